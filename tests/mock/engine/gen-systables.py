#!/usr/bin/python3
# Generate tests/mock/engine/systables.inc: the CQL statements that create
# Cassandra 4.0's system keyspaces and tables inside cqlmock's engine.
#
# Input is the reference dump of system_schema rows a real 3-node Cassandra
# 4.0 showed a driver (cassandra-4.0-system-tables.json).  The output is a
# committed C file; the build never runs this script, so the tree does not
# depend on the reference directory.
#
# usage: gen-systables.py [reference.json] > systables.inc

import json
import os
import re
import sys

DEFAULT_JSON = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "..", "..", "..", "..", "shared", "reference",
                            "cassandra-4.0-system-tables.json")

# CQL's reserved keywords (identifiers that must be double-quoted).
RESERVED = set("""
add allow alter and apply asc authorize batch begin by columnfamily create
default delete desc describe drop entries execute from full grant if in index
infinity insert into is keyspace limit materialized mbean mbeans modify nan
norecursive not null of on or order primary rename replace revoke schema
select set table to token truncate unlogged unset update use using view where
with
""".split())

# Table options kept, in the order DESCRIBE prints them.  Only options a
# CREATE TABLE accepts in 4.0 and whose value is a number, a string or a
# map of strings (extensions is always empty and cdc is null in the dump).
TABLE_OPTIONS = [
    "additional_write_policy",
    "bloom_filter_fp_chance",
    "caching",
    "comment",
    "compaction",
    "compression",
    "crc_check_chance",
    "default_time_to_live",
    "gc_grace_seconds",
    "max_index_interval",
    "memtable_flush_period_in_ms",
    "min_index_interval",
    "read_repair",
    "speculative_retry",
]


def ident(name):
    """Quote a CQL identifier when it is not a plain lower-case word."""
    if re.fullmatch(r"[a-z][a-z0-9_]*", name) and name not in RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def literal(value):
    """Render a JSON value from the dump as a CQL literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, dict):
        items = ["%s: %s" % (literal(k), literal(value[k]))
                 for k in sorted(value)]
        return "{" + ", ".join(items) + "}"
    raise ValueError("no CQL literal for %r" % (value,))


def c_string(text):
    """Render text as a C string literal (ASCII only, escapes as needed)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif 32 <= ord(ch) < 127:
            out.append(ch)
        else:
            raise ValueError("non-ASCII character in %r" % (text,))
    return '"' + "".join(out) + '"'


def keyspace_cql(ks):
    return ["CREATE KEYSPACE %s WITH replication = %s AND durable_writes = %s"
            % (ident(ks["keyspace_name"]), literal(ks["replication"]),
               literal(ks["durable_writes"]))]


def table_cql(table, columns):
    """Return the CREATE TABLE as a list of pieces (one C line each)."""
    def by_kind(kind):
        return sorted((c for c in columns if c["kind"] == kind),
                      key=lambda c: c["position"])

    partition = by_kind("partition_key")
    clustering = by_kind("clustering")
    rest = sorted((c for c in columns
                   if c["kind"] not in ("partition_key", "clustering")),
                  key=lambda c: c["column_name"])
    if not partition:
        raise ValueError("table %s has no partition key" % table["table_name"])
    for group in (partition, clustering):
        if [c["position"] for c in group] != list(range(len(group))):
            raise ValueError("bad positions in %s" % table["table_name"])

    pieces = ["CREATE TABLE %s.%s (" % (ident(table["keyspace_name"]),
                                        ident(table["table_name"]))]
    for c in partition + clustering + rest:
        static = " static" if c["kind"] == "static" else ""
        pieces.append(" %s %s%s," % (ident(c["column_name"]), c["type"],
                                     static))
    pk = "(" + ", ".join(ident(c["column_name"]) for c in partition) + ")"
    if clustering:
        pk += ", " + ", ".join(ident(c["column_name"]) for c in clustering)
    pieces.append(" PRIMARY KEY (%s))" % pk)

    opts = []
    if clustering:
        opts.append("CLUSTERING ORDER BY (%s)" % ", ".join(
            "%s %s" % (ident(c["column_name"]), c["clustering_order"].upper())
            for c in clustering))
    for name in TABLE_OPTIONS:
        value = table.get(name)
        if value is None:
            continue
        opts.append("%s = %s" % (name, literal(value)))
    for i, o in enumerate(opts):
        pieces.append((" WITH " if i == 0 else " AND ") + o)
    return pieces


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_JSON
    with open(path) as f:
        ref = json.load(f)
    keyspaces = ref["system_schema.keyspaces (system keyspaces)"]
    tables = ref["system_schema.tables (system keyspaces)"]
    columns = ref["system_schema.columns (system keyspaces)"]
    for key in ("types", "functions", "aggregates", "indexes", "views",
                "triggers"):
        if ref.get("system_schema.%s (system keyspaces)" % key):
            raise ValueError("system_schema.%s rows are not handled" % key)

    out = sys.stdout
    out.write("/* Generated by tests/mock/engine/gen-systables.py from "
              "cassandra-4.0-system-tables.json. */\n"
              "/* Do not edit: rerun the script instead. */\n\n"
              "/*\n"
              " * Cassandra 4.0's system keyspaces and tables as CQL, run "
              "by the engine at start-up\n"
              " * in this order (each keyspace before its tables).  "
              "Columns: partition key, then\n"
              " * clustering columns (by position), then the rest by name.\n"
              " */\n"
              "static const char *const systables_cql[] = {\n")
    ks_names = [k["keyspace_name"] for k in keyspaces]
    for t in tables:
        if t["keyspace_name"] not in ks_names:
            raise ValueError("table %s.%s has no keyspace"
                             % (t["keyspace_name"], t["table_name"]))
    ntables = 0
    for ks in keyspaces:
        name = ks["keyspace_name"]
        for piece in keyspace_cql(ks):
            out.write("\t%s,\n" % c_string(piece))
        for t in sorted((t for t in tables if t["keyspace_name"] == name),
                        key=lambda t: t["table_name"]):
            cols = [c for c in columns if c["keyspace_name"] == name and
                    c["table_name"] == t["table_name"]]
            pieces = table_cql(t, cols)
            out.write("\t%s\n" % c_string(pieces[0]))
            for p in pieces[1:-1]:
                out.write("\t    %s\n" % c_string(p))
            out.write("\t    %s,\n" % c_string(pieces[-1]))
            ntables += 1
    known = set((t["keyspace_name"], t["table_name"]) for t in tables)
    for c in columns:
        if (c["keyspace_name"], c["table_name"]) not in known:
            raise ValueError("column %s of unknown table %s.%s" % (
                c["column_name"], c["keyspace_name"], c["table_name"]))
    out.write("\tNULL\n};\n")
    sys.stderr.write("%d keyspaces, %d tables\n" % (len(keyspaces), ntables))


if __name__ == "__main__":
    main()
