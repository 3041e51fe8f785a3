#!/usr/bin/python3
"""gen-corpus.py: write the seed corpora of the fuzz harnesses.

Text seeds are written as they are; binary seeds (protocol frames for
msg-fuzzer, RESULT bodies for schema-fuzzer's raw form) are built here from
the protocol v4 layout and from the recorded Cassandra 4.0 system_schema
rows in tests/unit/schema_fixture.h. The output is committed under
tests/fuzz/corpus/NAME/; run again after changing the seeds:

    tests/fuzz/gen-corpus.py            (from the top of the tree)
"""
import os
import re
import struct
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
OUT = os.path.join(TOP, "tests", "fuzz", "corpus")


def put(name, seed, data):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, seed), "wb") as f:
        f.write(data)


# Protocol v4 notations.
def short(n):
    return struct.pack(">H", n)


def int32(n):
    return struct.pack(">i", n)


def string(s):
    b = s.encode()
    return short(len(b)) + b


def long_string(s):
    b = s.encode()
    return int32(len(b)) + b


def bytes_(b):
    return int32(-1) if b is None else int32(len(b)) + b


def string_map(m):
    out = short(len(m))
    for k, v in m.items():
        out += string(k) + string(v)
    return out


def frame(opcode, body, response=False, stream=1, flags=0):
    version = 0x84 if response else 0x04
    return struct.pack(">BBhBI", version, flags, stream, opcode,
                       len(body)) + body


OPT = {"varchar": 0x0D, "int": 0x09, "boolean": 0x04, "uuid": 0x0C,
       "double": 0x07, "blob": 0x03, "bigint": 0x02}


def option(t):
    """[option] for the few type texts the fixture uses."""
    t = t.replace(" ", "")
    if t.startswith("frozen<") and t.endswith(">"):
        t = t[7:-1]
    if t == "text":
        t = "varchar"
    if t in OPT:
        return short(OPT[t])
    m = re.fullmatch(r"(list|set)<(.*)>", t)
    if m:
        return short(0x20 if m.group(1) == "list" else 0x22) + \
            option(m.group(2))
    m = re.fullmatch(r"map<([a-z]+),(.*)>", t)
    if m:
        return short(0x21) + option(m.group(1)) + option(m.group(2))
    raise ValueError(t)


def rows_body(table, cols, rows):
    """A RESULT Rows body with a global table spec."""
    body = int32(2) + int32(1) + int32(len(cols))
    body += string("system_schema") + string(table)
    for name, typ in cols:
        body += string(name) + option(typ)
    body += int32(len(rows))
    for r in rows:
        for cell in r:
            body += bytes_(cell)
    return body


def c_string(lit):
    """The bytes of a C string literal body (octal and simple escapes)."""
    out = bytearray()
    i = 0
    while i < len(lit):
        ch = lit[i]
        if ch != "\\":
            out += ch.encode()
            i += 1
            continue
        i += 1
        ch = lit[i]
        if ch in "01234567":
            j = i
            while j < len(lit) and j < i + 3 and lit[j] in "01234567":
                j += 1
            out.append(int(lit[i:j], 8))
            i = j
            continue
        out += {"n": b"\n", "t": b"\t", "r": b"\r", "\\": b"\\",
                '"': b'"', "'": b"'", "?": b"?"}[ch]
        i += 1
    return bytes(out)


def fixture():
    """{table: (cols, rows)} from tests/unit/schema_fixture.h."""
    path = os.path.join(TOP, "tests", "unit", "schema_fixture.h")
    text = open(path).read()
    tables = {}
    for m in re.finditer(r"static const struct fx_col fx_(\w+)_cols\[\] = "
                         r"\{(.*?)\n\};", text, re.S):
        cols = re.findall(r'\{ "([^"]+)", "([^"]+)" \}', m.group(2))
        tables[m.group(1)] = [cols, []]
    for m in re.finditer(r"static const struct fx_cell fx_(\w+)_cells\[\] = "
                         r"\{(.*?)\n\};", text, re.S):
        cells = []
        for c in re.finditer(r'\{ (-?\d+), (NULL|"((?:[^"\\]|\\.)*)") \}',
                             m.group(2)):
            n = int(c.group(1))
            if n < 0:
                cells.append(None)
            elif c.group(2) == "NULL":
                continue        # an empty table's placeholder
            else:
                b = c_string(c.group(3))
                assert len(b) == n, (m.group(1), n, len(b))
                cells.append(b)
        cols = tables[m.group(1)][0]
        rows = [cells[i:i + len(cols)] for i in range(0, len(cells),
                                                       len(cols))]
        tables[m.group(1)][1] = rows
    return tables


SOURCES = ["keyspaces", "tables", "columns", "types", "functions",
           "aggregates", "indexes", "views", "triggers"]


def schema_raw(tables, ks_filter, extra=()):
    """schema-fuzzer's raw form: R, then [u8 src][u16 len][body]."""
    out = b"R"
    for i, name in enumerate(SOURCES):
        cols, rows = tables[name]
        rows = [r for r in rows if r[0] in ks_filter]
        body = rows_body(name, cols, rows)
        assert len(body) < 65536, name
        out += bytes([i]) + short(len(body)) + body
    for src, body in extra:
        out += bytes([src]) + short(len(body)) + body
    return out


def cell_text(s):
    return s.encode()


def cell_list(items):
    out = int32(len(items))
    for s in items:
        out += bytes_(s.encode())
    return out


def cell_map(m):
    out = int32(len(m))
    for k, v in m.items():
        out += bytes_(k.encode()) + bytes_(v.encode())
    return out


def schema_seeds(tables):
    put("schema", "raw-system-auth", schema_raw(tables, [b"system_auth"]))
    put("schema", "raw-system-traces",
        schema_raw(tables, [b"system_traces", b"system_distributed"]))
    # A keyspace of our own with a table, a type, a function, an index,
    # then a SCHEMA_CHANGE for the table.
    own = {k: [v[0], []] for k, v in tables.items()}
    own["keyspaces"][1] = [[b"ks", b"\x01", cell_map({
        "class": "org.apache.cassandra.locator.SimpleStrategy",
        "replication_factor": "3"})]]
    tcols = own["tables"][0]
    row = [None] * len(tcols)
    row[0], row[1] = b"ks", b"t"
    row[[c[0] for c in tcols].index("id")] = bytes(range(16))
    own["tables"][1] = [row]
    own["columns"][1] = [
        [b"ks", b"t", b"k", b"none", b"k", b"partition_key", int32(0),
         b"int"],
        [b"ks", b"t", b"c", b"asc", b"c", b"clustering", int32(0),
         b"frozen<udt1>"],
        [b"ks", b"t", b"v", b"none", b"v", b"regular", int32(-1),
         b"map<text, int>"]]
    assert [c[0] for c in own["columns"][0]] == [
        "keyspace_name", "table_name", "column_name", "clustering_order",
        "column_name_bytes", "kind", "position", "type"], own["columns"][0]
    own["types"][1] = [[b"ks", b"udt1", cell_list(["a", "b"]),
                        cell_list(["int", "text"])]]
    own["functions"][1] = [[b"ks", b"f", cell_list(["int"]),
                            cell_list(["a"]), b"return a;", b"\x01",
                            b"java", b"int"]]
    own["indexes"][1] = [[b"ks", b"t", b"idx", b"COMPOSITES",
                          cell_map({"target": "v"})]]
    change = int32(5) + string("CREATED") + string("TABLE") + \
        string("ks") + string("t")
    put("schema", "raw-own-keyspace",
        schema_raw(own, [b"ks"], extra=[(0, change)]))
    # The generator form: a first byte of 1 (mod 8) loads the recorded
    # keyspaces as base.
    put("schema", "gen-fixture-base", bytes([1] + [0x42] * 64))
    put("schema", "gen-plain", bytes(range(2, 200)))


def msg_seeds(tables):
    put("msg", "startup", frame(0x01, string_map({"CQL_VERSION": "3.0.0"})))
    put("msg", "options", frame(0x05, b""))
    q = long_string("SELECT * FROM system.local WHERE key = ?") + \
        short(1) + bytes([0x25]) + short(1) + bytes_(b"local") + \
        int32(100)
    put("msg", "query", frame(0x07, q))
    put("msg", "prepare", frame(0x09, long_string("SELECT k FROM ks.t")))
    cols, rows = tables["keyspaces"]
    put("msg", "result-rows", frame(0x08, rows_body("keyspaces", cols, rows),
                                    response=True))
    put("msg", "error", frame(0x00, int32(0x1000) + string("no") +
                              short(4) + int32(3) + int32(1), response=True))
    ev = string("SCHEMA_CHANGE") + string("CREATED") + string("TABLE") + \
        string("ks") + string("t")
    put("msg", "event", frame(0x0C, ev, response=True, stream=-1))
    put("msg", "type-text", "#frozen<map<text, list<tuple<int, udt>>>>")
    put("msg", "scalar-text", "$2020-01-01T00:00:00.000+0000")


TEXT_SEEDS = {
    "jsonval": {
        "int": "int\n42",
        "bigint-str": "bigint\n\"-9223372036854775808\"",
        "varint": "varint\n123456789012345678901234567890",
        "decimal": "decimal\n-1.50E+3",
        "double": "double\n0.1",
        "float-nan": "float\n\"NaN\"",
        "text": "text\n\"h\\u00e9llo\\u0000\"",
        "ascii": "ascii\n\"abc\"",
        "blob": "blob\n\"0xcafe\"",
        "uuid": "uuid\n\"0b6a4c4e-7f3a-4c10-9d8e-1b2c3d4e5f60\"",
        "timeuuid": "timeuuid\n\"d2177dd0-eaa2-11de-a572-001b779c76e3\"",
        "inet": "set<inet>\n[\"127.0.0.1\", \"::1\"]",
        "timestamp": "timestamp\n\"2020-01-01 00:00:00.000Z\"",
        "date": "date\n\"2020-02-29\"",
        "time": "time\n\"12:34:56.789\"",
        "duration": "duration\n\"1y2mo3d4h5m6s7ms\"",
        "map": "map<text, int>\n{\"a\": 1, \"b\": 2}",
        "map-pairs": "frozen<map<date, time>>\n[[\"2020-01-01\", "
                     "\"12:00:00\"]]",
        "list-tuple": "list<frozen<tuple<int, text, boolean>>>\n"
                      "[[1, \"a\", true], [2, null, false]]",
        "set-wrapped": "set<int>\n\"[3, 1, 2]\"",
        "vector": "vector<float, 3>\n[1.5, 2, 3]",
        "udt-class": "org.apache.cassandra.db.marshal.UserType(ks,"
                     "61646472,737472656574:"
                     "org.apache.cassandra.db.marshal.UTF8Type,"
                     "7a6970:org.apache.cassandra.db.marshal.Int32Type)\n"
                     "{\"street\": \"Main\", \"zip\": 12345}",
        "bytes-int": b"int\n\x00\x00\x00\x2a",
        "bytes-map": b"map<text, int>\n\x00\x00\x00\x01\x00\x00\x00\x01a"
                     b"\x00\x00\x00\x04\x00\x00\x00\x01",
        "empty": "int\n\"\"",
    },
    "jsonproto": {
        "query": '{"id": 1, "op": "query", "cql": "SELECT k, v FROM ks.t '
                 'WHERE k = ?", "values": [1]}',
        "bare-cql": '{"cql": "SELECT release_version FROM system.local"}',
        "prepare": '{"op": "prepare", "cql": "INSERT INTO ks.t (k, v) '
                   'VALUES (?, ?)"}',
        "execute": '{"op": "execute", "statement": '
                   '"8bd3c0e9f0d94be7b3d4bcd0c42f7a51", "values": '
                   '[2, "two"], "page_size": 10, "consistency": "QUORUM"}',
        "batch": '{"op": "batch", "type": "logged", "statements": [{"cql": '
                 '"INSERT INTO ks.t (k, v) VALUES (?, ?)", "values": [1, '
                 '"a"]}, {"cql": "DELETE FROM ks.t WHERE k = 3"}]}',
        "use": '{"op": "use", "keyspace": "ks", "numbers_as_strings": true, '
               '"compact": true}',
        "use-cql": '{"id": "u", "cql": "USE \\"My KS\\""}',
        "schema": '{"op": "schema", "keyspace": "ks", "table": "t"}',
        "ping": '{"id": "p", "op": "ping"}',
        "trace": '{"op": "trace", "tracing_id": '
                 '"a7b8c1d0-1111-11ee-8000-000000000000"}',
        "bad-op": '{"id": [1], "op": "nope"}',
        "big-number": '{"id": 123456789012345678901234567890, "op": "stats"}',
        "not-json": '{"op": "query", "cql": ',
        "names": '{"id":7,"op":"query","cql":"SELECT 1","values":[1],'
                 '"type":"x","trace":false,"table":"t","compact":true,'
                 '"wait_ms":1,"keyspace":"ks","i":1,"idd":2,"valuez":3,'
                 '"keyspac":4,"keyspacex":5,"\\u0069d":6,"Id":8,'
                 '"page_size":9}',
    },
    "config": {
        "small": "[cluster]\ncontact_points = 127.0.0.1, 127.0.0.2\n"
                 "port = 9042\nlocal_dc = dc1\n\n[listen]\n"
                 "socket = /run/cqlproxyd/cqlproxyd.sock\n"
                 "socket_mode = 0660\nmax_line_length = 1M\n",
        "lists": "[cluster]\ncontact_points = a.example, b.example\n"
                 "    c.example ; comment\n[policy]\n"
                 "allow_hosts = 10.0.0.1\n  10.0.0.2\n"
                 "reconnect_base_delay = 500ms\n"
                 "reconnect_max_delay = 10m\n",
        "bad": "[cluster]\nport = 99999\n[nosuch]\nx = y\n",
        "auth": "# comment\n[auth]\nusername = u\npassword = p ; secret\n"
                "[log]\nlevel = debug\n",
    },
    "cql": {
        "keyspace-table": "CREATE KEYSPACE ks WITH replication = {'class': "
                          "'SimpleStrategy', 'replication_factor': 1}\n"
                          "USE ks\n"
                          "CREATE TABLE t (k int, c text, v map<text, int>, "
                          "PRIMARY KEY (k, c)) WITH CLUSTERING ORDER BY "
                          "(c DESC)\n"
                          "INSERT INTO t (k, c, v) VALUES (1, 'a', {'x': 1})\n"
                          "INSERT INTO t (k, c, v) VALUES (1, 'b', {'y': 2}) "
                          "USING TTL 10\n"
                          "SELECT * FROM t WHERE k = 1 AND c > 'a'\n"
                          "SELECT JSON * FROM t\n"
                          "UPDATE t SET v['z'] = 3 WHERE k = 1 AND c = 'a' "
                          "IF EXISTS\n"
                          "DELETE v['x'] FROM t WHERE k = 1 AND c = 'a'\n",
        "binds": b"CREATE KEYSPACE k2 WITH replication = {'class': "
                 b"'NetworkTopologyStrategy', 'dc1': 3}\n"
                 b"CREATE TABLE k2.t (a int PRIMARY KEY, b text, c "
                 b"list<bigint>)\n"
                 b"INSERT INTO k2.t (a, b, c) VALUES (?, ?, ?)\n"
                 b"SELECT * FROM k2.t WHERE a = ?\n"
                 b"\x00\x04\x00\x00\x00\x07\x02hi\xff\x04\x00\x00\x00\x07"
                 b"\x01\x02\x03",
        "system": "SELECT * FROM system.local\n"
                  "SELECT peer, tokens FROM system.peers\n"
                  "SELECT * FROM system_schema.columns WHERE keyspace_name "
                  "= 'system'\n"
                  "SELECT count(*) FROM system_schema.tables\n",
        "types": "CREATE KEYSPACE ks WITH replication = {'class': "
                 "'SimpleStrategy', 'replication_factor': 1}\n"
                 "CREATE TYPE ks.addr (street text, zip int)\n"
                 "CREATE TABLE ks.p (k uuid PRIMARY KEY, a frozen<addr>, "
                 "t tuple<int, text>, s set<timeuuid>, d decimal, "
                 "du duration, i inet, ts timestamp)\n"
                 "INSERT INTO ks.p JSON '{\"k\": "
                 "\"0b6a4c4e-7f3a-4c10-9d8e-1b2c3d4e5f60\", \"a\": "
                 "{\"street\": \"x\", \"zip\": 1}, \"d\": 1.5}'\n"
                 "INSERT INTO ks.p (k, t, du, i, ts) VALUES (uuid(), "
                 "(1, 'x'), 1h2m, '127.0.0.1', '2020-01-01')\n"
                 "SELECT k, writetime(d), ttl(d) FROM ks.p\n"
                 "CREATE INDEX ON ks.p (d)\n"
                 "ALTER TABLE ks.p ADD z blob\n"
                 "DROP TYPE ks.addr\n",
        "batch": "CREATE KEYSPACE ks WITH replication = {'class': "
                 "'SimpleStrategy', 'replication_factor': 1}\n"
                 "CREATE TABLE ks.c (k text PRIMARY KEY, n counter)\n"
                 "BEGIN COUNTER BATCH UPDATE ks.c SET n = n + 1 WHERE "
                 "k = 'a'; UPDATE ks.c SET n = n - 2 WHERE k = 'b'; APPLY "
                 "BATCH\n"
                 "SELECT * FROM ks.c WHERE k IN ('a', 'b') LIMIT 1\n"
                 "TRUNCATE ks.c\n",
    },
}


def main():
    tables = fixture()
    schema_seeds(tables)
    msg_seeds(tables)
    for name, seeds in TEXT_SEEDS.items():
        for seed, data in seeds.items():
            put(name, seed, data)
    with open(os.path.join(TOP, "conf", "cqlproxyd.conf"), "rb") as f:
        put("config", "example", f.read())
    return 0


if __name__ == "__main__":
    sys.exit(main())
