#!/usr/bin/python3
"""Interoperability: the real DataStax Python driver against cqlmock.

The driver must accept cqlmock as a Cassandra 4.0 cluster: discovery, token
map and replica placement, every CQL type, prepared statements, paging,
tracing, schema metadata and events, failover and topology changes.
Exits 77 (automake SKIP) when the driver is not installed.
"""

import datetime
import decimal
import ipaddress
import math
import random
import struct
import sys
import time
import traceback
import uuid
import warnings

warnings.simplefilter("ignore", DeprecationWarning)

try:
    import cassandra
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, ExecutionProfile
    from cassandra.concurrent import execute_concurrent_with_args
    from cassandra.policies import RoundRobinPolicy
    from cassandra.query import SimpleStatement
    from cassandra.util import Date, Duration, Time
except ImportError as e:
    print("*" * 70)
    print("SKIP: the DataStax Python driver is not importable (%s)." % e)
    print("Install python3-cassandra to run the interoperability tests.")
    print("*" * 70)
    sys.exit(77)

from cqlmock import Mock, MockError, driver_cluster, wait_until

WAIT = 20.0		# seconds for any awaited state change
failures = []


def say(msg):
    print(msg, flush=True)


def ok(msg):
    say("ok   " + msg)


def step(fn):
    """Run one check group; record a failure and carry on with the next."""
    name = fn.__name__
    t0 = time.monotonic()
    try:
        fn()
    except Exception:
        failures.append(name)
        say("FAIL %s:" % name)
        traceback.print_exc(file=sys.stdout)
        return
    say("---- %s done (%.1f s)" % (name, time.monotonic() - t0))


def node_of(addr):
    """The node number of an address like 127.0.0.3 (or 127.0.0.3:port)."""
    return int(str(addr).split(":")[0].rsplit(".", 1)[1])


def mock_nodes(m):
    """Node descriptions from the `nodes` control op, keyed by number."""
    out = {}
    for n in m.nodes():
        if n.get("state") == "removed":
            continue
        num = n.get("node")
        if num is None:
            num = node_of(n["address"])
        out[int(num)] = n
    return out


def host_of(cluster, num):
    for h in cluster.metadata.all_hosts():
        if node_of(h.address) == num:
            return h
    return None


def find_counter(obj, names):
    """First integer under any of names, searched depth-first in obj."""
    if isinstance(obj, dict):
        for k in names:
            if k in obj and isinstance(obj[k], int):
                return obj[k]
        for v in obj.values():
            r = find_counter(v, names)
            if r is not None:
                return r
    elif isinstance(obj, list):
        for v in obj:
            r = find_counter(v, names)
            if r is not None:
                return r
    return None


def stats_by_node(m, reset=False):
    """The stats op's per-node objects, keyed by node number."""
    st = m.stats(reset=reset)
    nodes = st.get("nodes", st)
    out = {}
    if isinstance(nodes, dict):
        for k, v in nodes.items():
            if isinstance(v, dict) and str(k).isdigit():
                out[int(k)] = v
    else:
        for i, v in enumerate(nodes):
            num = v.get("node", i + 1)
            if isinstance(num, str) and not num.isdigit():
                num = node_of(num)
            out[int(num)] = v
    return out


def placement_counts(m):
    """node -> (replica, non_replica) counters from the stats op."""
    out = {}
    for num, v in stats_by_node(m).items():
        r = find_counter(v, ("replica",))
        nr = find_counter(v, ("non_replica",))
        if r is None or nr is None:
            raise AssertionError("stats op lacks replica/non_replica for node"
                                 " %d: %r" % (num, v))
        out[num] = (r, nr)
    return out


def opcode_count(m, num, opcode):
    v = stats_by_node(m)[num]
    for key in ("opcodes", "requests", "counts", "ops"):
        if isinstance(v.get(key), dict):
            return v[key].get(opcode, v[key].get(opcode.lower(), 0))
    c = find_counter(v, (opcode, opcode.lower()))
    return c or 0


# --------------------------------------------------------------------------
# discovery and protocol

def check_discovery(m, cluster, session):
    assert cluster.protocol_version == 4, \
        "negotiated protocol v%s, expected v4" % cluster.protocol_version
    ok("driver negotiated protocol v4 (started at its highest, stepped down)")
    desc = mock_nodes(m)
    hosts = {node_of(h.address): h for h in cluster.metadata.all_hosts()}
    assert sorted(hosts) == sorted(desc), \
        "driver sees nodes %s, mock has %s" % (sorted(hosts), sorted(desc))
    ok("driver discovered all %d hosts: %s" % (
        len(hosts), ", ".join(h.address for h in
                              sorted(hosts.values(), key=lambda h: h.address))))
    for num, h in hosts.items():
        d = desc[num]
        assert h.datacenter == d["dc"], (num, h.datacenter, d["dc"])
        assert h.rack == d["rack"], (num, h.rack, d["rack"])
        if "host_id" in d:
            assert str(h.host_id) == str(d["host_id"]), \
                (num, h.host_id, d["host_id"])
        if d.get("release_version"):
            assert h.release_version == d["release_version"], \
                (num, h.release_version, d["release_version"])
        else:
            assert h.release_version and h.release_version.startswith("4."),\
                "node %d release_version %r" % (num, h.release_version)
        assert h.is_up, "host %s not up" % h.address
    ok("dc/rack/host_id/release_version of every host match the mock's"
       " nodes op (%s)" % ", ".join(sorted(set(
           "%s/%s/%s" % (h.datacenter, h.rack, h.release_version)
           for h in hosts.values()))))
    tm = cluster.metadata.token_map
    assert tm is not None, "driver built no token map"
    owners = {}
    for tok, h in tm.token_to_host_owner.items():
        owners.setdefault(node_of(h.address), set()).add(tok.value)
    for num, d in desc.items():
        want = set(int(t) for t in d["tokens"])
        assert owners.get(num) == want, \
            "node %d: driver tokens %s != mock tokens %s" % (
                num, sorted(owners.get(num, ()))[:4], sorted(want)[:4])
    ok("driver token map owners equal the mock's tokens (%d tokens)"
       % len(tm.ring))
    row = session.execute("SELECT cluster_name, partitioner, release_version,"
                          " cql_version FROM system.local").one()
    assert row.partitioner.endswith("Murmur3Partitioner"), row.partitioner
    ok("system.local: cluster %r, %s, release %s, CQL %s" % (
        row.cluster_name, row.partitioner.rsplit(".", 1)[1],
        row.release_version, row.cql_version))


# --------------------------------------------------------------------------
# system keyspaces as the driver reads them from system_schema

# The system tables every node must describe in system_schema, as a real
# Cassandra 4.0 does: (keyspace, table) -> {column: (kind, type)}.
SYSTEM_SAMPLE = {
    ("system", "local"): {"key": ("partition_key", "text"),
                          "tokens": ("regular", "set<text>"),
                          "truncated_at": ("regular", "map<uuid, blob>"),
                          "host_id": ("regular", "uuid"),
                          "rpc_address": ("regular", "inet")},
    ("system", "peers_v2"): {"peer": ("partition_key", "inet"),
                             "peer_port": ("clustering", "int"),
                             "native_port": ("regular", "int")},
    ("system_schema", "columns"): {
        "keyspace_name": ("partition_key", "text"),
        "table_name": ("clustering", "text"),
        "column_name": ("clustering", "text"),
        "position": ("regular", "int")},
    ("system_traces", "events"): {"session_id": ("partition_key", "uuid"),
                                  "event_id": ("clustering", "timeuuid"),
                                  "source_elapsed": ("regular", "int")},
    ("system", "IndexInfo"): {"table_name": ("partition_key", "text"),
                              "index_name": ("clustering", "text")},
}


def check_system_schema(m, cluster, session):
    ks = cluster.metadata.keyspaces
    for name in ("system", "system_schema", "system_auth",
                 "system_distributed", "system_traces"):
        assert name in ks, "driver metadata lacks keyspace %s" % name
    assert ks["system_traces"].replication_strategy.replication_factor == 2
    ntables = sum(len(ks[k].tables) for k in ("system", "system_schema",
                                              "system_auth",
                                              "system_distributed",
                                              "system_traces"))
    assert ntables >= 40, "only %d system tables" % ntables
    for (k, t), cols in SYSTEM_SAMPLE.items():
        tm = ks[k].tables.get(t)
        assert tm is not None, "no table %s.%s in driver metadata" % (k, t)
        pk = {c.name for c in tm.partition_key}
        ck = {c.name for c in tm.clustering_key}
        for c, (kind, typ) in cols.items():
            cm = tm.columns.get(c)
            assert cm is not None, "%s.%s lacks column %s" % (k, t, c)
            got = ("partition_key" if c in pk else "clustering" if c in ck
                   else "regular")
            assert (got, cm.cql_type) == (kind, typ), \
                "%s.%s.%s: %s %s, want %s %s" % (k, t, c, got,
                                                 cm.cql_type, kind, typ)
    ok("driver metadata has the 5 system keyspaces, %d system tables;"
       " sampled columns of system.local, peers_v2, \"IndexInfo\","
       " system_schema.columns, system_traces.events match Cassandra 4.0"
       % ntables)


# --------------------------------------------------------------------------
# token map and replica placement

def check_placement(m, cluster, session, ks, nkeys):
    """Driver replicas for nkeys keys equal where the mock places them."""
    session.execute("CREATE TABLE %s.t (k int PRIMARY KEY, v int)" % ks)
    wait_until(lambda: "t" in cluster.metadata.keyspaces[ks].tables, WAIT,
               "table %s.t in the driver's metadata" % ks)
    tokq = session.prepare("SELECT token(k) FROM %s.t WHERE k = ?" % ks)
    selq = session.prepare("SELECT v FROM %s.t WHERE k = ?" % ks)
    tclass = cluster.metadata.token_map.token_class
    hosts = sorted(cluster.metadata.all_hosts(), key=lambda h: h.address)
    rng = random.Random(7)
    keys = [0, 1, -1, 2147483647, -2147483648] + \
        [rng.randint(-2**31, 2**31 - 1) for _ in range(nkeys - 5)]
    insq = session.prepare("INSERT INTO %s.t (k, v) VALUES (?, ?)" % ks)
    for k in keys:
        session.execute(insq, [k, k % 1000])
    # the token function must agree with the driver's murmur3
    for k in keys:
        rk = struct.pack(">i", k)
        got = session.execute(tokq, [k]).one()[0]
        want = tclass.from_key(rk).value
        assert got == want, "token(%d): mock %d, driver %d" % (k, got, want)
    ok("%s: SELECT token(k) equals the driver's Murmur3 for %d keys"
       % (ks, len(keys)))

    # ask every host for every key; the mock counts replica / non-replica
    plan = []
    for k in keys:
        rk = struct.pack(">i", k)
        reps = set(node_of(h.address)
                   for h in cluster.metadata.get_replicas(ks, rk))
        assert reps, "driver has no replicas for %s key %d" % (ks, k)
        for h in hosts:
            plan.append((k, h, node_of(h.address) in reps, reps))
    expect = {}
    for k, h, is_rep, _ in plan:
        r, nr = expect.get(node_of(h.address), (0, 0))
        expect[node_of(h.address)] = (r + is_rep, nr + (not is_rep))
    before = placement_counts(m)
    for k, h, _, _ in plan:
        session.execute(selq, [k], host=h)
    after = placement_counts(m)
    delta = {n: (after[n][0] - before.get(n, (0, 0))[0],
                 after[n][1] - before.get(n, (0, 0))[1]) for n in after}
    if all(delta.get(n) == e for n, e in expect.items()):
        ok("%s: replica/non-replica counts per node match driver's"
           " get_replicas for %d keys x %d hosts (%s)" % (
               ks, len(keys), len(hosts),
               " ".join("n%d=%d/%d" % (n, e[0], e[1])
                        for n, e in sorted(expect.items()))))
        return
    # find the first key where they disagree, for a precise report
    for k, h, is_rep, reps in plan:
        b = placement_counts(m)[node_of(h.address)]
        session.execute(selq, [k], host=h)
        a = placement_counts(m)[node_of(h.address)]
        got_rep = a[0] - b[0] == 1
        if got_rep != is_rep or (a[0] - b[0]) + (a[1] - b[1]) != 1:
            tok = tclass.from_key(struct.pack(">i", k)).value
            raise AssertionError(
                "%s key %d (token %d) on node %d: driver replicas %s, mock"
                " counted replica+%d non_replica+%d" % (
                    ks, k, tok, node_of(h.address), sorted(reps),
                    a[0] - b[0], a[1] - b[1]))
    raise AssertionError("%s: aggregate counts differ (expected %s, got %s)"
                         " but no single key reproduces it" % (ks, expect,
                                                               delta))


def check_token_map(m, cluster, session):
    for ks, rf in (("ks_rf1", 1), ("ks_rf2", 2)):
        session.execute("CREATE KEYSPACE %s WITH replication = {'class':"
                        " 'SimpleStrategy', 'replication_factor': %d}"
                        % (ks, rf))
        wait_until(lambda: ks in cluster.metadata.keyspaces, WAIT,
                   "keyspace %s in driver metadata" % ks)
        check_placement(m, cluster, session, ks, 60)


# Tokens a real Cassandra 4.0 reported (SELECT token(k)), from the
# protocol notes: (type, CQL literal, Python value, token).
KNOWN_TOKENS = [
    ("int", 0, -3485513579396041028), ("int", 1, -4069959284402364209),
    ("int", -1, 7297452126230313552), ("int", 2147483647, -765994672030311617),
    ("int", -2147483648, -420533958509279465),
    ("bigint", 0, 2945182322382062539), ("bigint", -1, 7071048584287372947),
    ("bigint", 9223372036854775807, -1722304415079482439),
    ("bigint", -9223372036854775808, 9204767954415360687),
    ("text", "a", -8839064797231613815), ("text", "abc", -5434086359492102041),
    ("text", "naïve ☃", -7022513565951316891),
    ("text", "0123456789abcdef0", -1502884478548852619),
    ("text", "The quick brown fox jumps over the lazy dog",
     -2068352364225029268),
    ("blob", b"\x00", 5048724184180415669),
    ("blob", bytes(range(1, 17)), -5563837382979743776),
    ("blob", b"\xff" * 17, -4128212798341382003),
    ("uuid", uuid.UUID("62c36092-82a1-3a00-93d1-46196ee77204"),
     2123808624450663568),
    ("uuid", uuid.UUID(int=0), 5457549051747178710),
]
KNOWN_COMPOSITE = [
    ((1, "x", 2), -5620454608407415595), ((0, "", 0), -3652995834371562275),
    ((-1, "naïve", 9223372036854775807), -2388242831711664447),
]


def check_tokens(m, cluster, session):
    session.execute("CREATE KEYSPACE tok_ks WITH replication = {'class':"
                    " 'SimpleStrategy', 'replication_factor': 1}")
    tclass = cluster.metadata.token_map.token_class
    n = 0
    for typ in ("int", "bigint", "text", "blob", "uuid"):
        session.execute("CREATE TABLE tok_ks.t_%s (k %s PRIMARY KEY, v int)"
                        % (typ, typ))
        ins = session.prepare("INSERT INTO tok_ks.t_%s (k, v) VALUES (?, 1)"
                              % typ)
        tq = session.prepare("SELECT token(k) FROM tok_ks.t_%s WHERE k = ?"
                             % typ)
        for t, v, want in KNOWN_TOKENS:
            if t != typ:
                continue
            b = ins.bind([v])
            session.execute(b)
            got = session.execute(tq, [v]).one()
            assert got is not None, "%s key %r: no row" % (typ, v)
            drv = tclass.from_key(b.routing_key).value
            assert (got[0], drv) == (want, want), \
                "%s key %r: mock token %d, driver %d, Cassandra %d" % (
                    typ, v, got[0], drv, want)
            n += 1
    session.execute("CREATE TABLE tok_ks.comp (a int, b text, c bigint,"
                    " v int, PRIMARY KEY ((a, b, c)))")
    ins = session.prepare("INSERT INTO tok_ks.comp (a, b, c, v) VALUES"
                          " (?, ?, ?, 1)")
    assert ins.routing_key_indexes == [0, 1, 2], ins.routing_key_indexes
    tq = session.prepare("SELECT token(a, b, c) FROM tok_ks.comp WHERE"
                         " a = ? AND b = ? AND c = ?")
    for vals, want in KNOWN_COMPOSITE:
        b = ins.bind(vals)
        session.execute(b)
        got = session.execute(tq, vals).one()[0]
        drv = tclass.from_key(b.routing_key).value
        assert (got, drv) == (want, want), \
            "composite %r: mock %d, driver %d, Cassandra %d" % (
                vals, got, drv, want)
        n += 1
    ok("token(): %d keys (int, bigint, text, blob, uuid, composite) equal"
       " what Cassandra 4.0 reported and the driver's Murmur3" % n)
    for typ, lit_ in (("text", "''"), ("blob", "0x")):
        try:
            session.execute("INSERT INTO tok_ks.t_%s (k, v) VALUES (%s, 1)"
                            % (typ, lit_))
            raise AssertionError("empty %s key accepted" % typ)
        except cassandra.InvalidRequest as e:
            assert "Key may not be empty" in str(e), e
    ok("empty text/blob partition key -> InvalidRequest 'Key may not be"
       " empty'")


def run_nts():
    """A second cluster, two DCs with two racks: NetworkTopologyStrategy."""
    with Mock(dcs="dc1:2,dc2:2", racks=2, num_tokens=8, seed=11) as m:
        prof = ExecutionProfile(load_balancing_policy=RoundRobinPolicy())
        cluster = driver_cluster(
            m, execution_profiles={EXEC_PROFILE_DEFAULT: prof})
        try:
            session = cluster.connect()
            desc = mock_nodes(m)
            hosts = {node_of(h.address): h
                     for h in cluster.metadata.all_hosts()}
            assert sorted(hosts) == sorted(desc), (sorted(hosts),
                                                   sorted(desc))
            for num, h in hosts.items():
                assert (h.datacenter, h.rack) == (desc[num]["dc"],
                                                  desc[num]["rack"]), \
                    (num, h.datacenter, h.rack, desc[num])
            ok("NTS cluster: driver sees %s" % ", ".join(
                "%s=%s/%s" % (h.address, h.datacenter, h.rack)
                for _, h in sorted(hosts.items())))
            session.execute(
                "CREATE KEYSPACE ks_nts WITH replication = {'class':"
                " 'NetworkTopologyStrategy', 'dc1': 2, 'dc2': 1}")
            wait_until(lambda: "ks_nts" in cluster.metadata.keyspaces, WAIT,
                       "keyspace ks_nts in driver metadata")
            check_placement(m, cluster, session, "ks_nts", 60)
        finally:
            cluster.shutdown()


# --------------------------------------------------------------------------
# every CQL type

UDT = ("udt", "addr", [("street", "text"), ("num", "int"),
                       ("tags", ("frozen", ("set", "text")))])

# (column, type); a vector<float, 3> column is left out: driver 3.25 has
# no vector type (it arrived in 3.29).
COLUMNS = [
    ("a", "ascii"), ("b", "bigint"), ("bl", "blob"), ("bo", "boolean"),
    ("d", "date"), ("dec", "decimal"), ("dbl", "double"),
    ("dur", "duration"), ("f", "float"), ("i", "inet"), ("n", "int"),
    ("si", "smallint"), ("t", "text"), ("tm", "time"), ("ts", "timestamp"),
    ("tu", "timeuuid"), ("ti", "tinyint"), ("u", "uuid"), ("vi", "varint"),
    ("vis", ("list", "varint")), ("decs", ("list", "decimal")),
    ("l", ("list", "int")), ("s", ("set", "text")),
    ("m", ("map", "text", "int")),
    ("tup", ("tuple", "int", "text", "double")),
    ("ad", ("frozen", UDT)),
    ("fl", ("frozen", ("list", "int"))),
    ("fs", ("frozen", ("set", "bigint"))),
    ("fm", ("frozen", ("map", "int", "text"))),
    ("nest", ("map", "text", ("frozen", ("list", ("frozen",
                                                   ("set", "int")))))),
    ("ladr", ("list", ("frozen", UDT))),
    ("tsets", ("set", ("frozen", ("tuple", "int", "blob")))),
]

EPOCH = datetime.datetime(1970, 1, 1)
EPOCH_DATE = datetime.date(1970, 1, 1)


def type_str(t):
    if isinstance(t, str):
        return t
    if t[0] == "udt":
        return t[1]
    if t[0] == "frozen":
        return "frozen<%s>" % type_str(t[1])
    return "%s<%s>" % (t[0], ", ".join(type_str(x) for x in t[1:]))


def f32(x):
    return struct.unpack(">f", struct.pack(">f", x))[0]


def lit(t, v):
    """A CQL literal for v of type t."""
    if v is None:
        return "null"
    if isinstance(t, tuple):
        kind = t[0]
        if kind == "frozen":
            return lit(t[1], v)
        if kind == "list":
            return "[" + ", ".join(lit(t[1], x) for x in v) + "]"
        if kind == "set":
            return "{" + ", ".join(lit(t[1], x) for x in v) + "}"
        if kind == "map":
            return "{" + ", ".join("%s: %s" % (lit(t[1], a), lit(t[2], b))
                                   for a, b in v.items()) + "}"
        if kind == "tuple":
            return "(" + ", ".join(lit(s, x) for s, x in zip(t[1:], v)) + ")"
        if kind == "udt":
            return "{" + ", ".join("%s: %s" % (f, lit(ft, x))
                                   for (f, ft), x in zip(t[2], v)) + "}"
    if t in ("ascii", "text", "inet"):
        return "'" + str(v).replace("'", "''") + "'"
    if t in ("int", "bigint", "smallint", "tinyint", "varint", "counter"):
        return str(v)
    if t == "blob":
        return "0x" + v.hex()
    if t == "boolean":
        return "true" if v else "false"
    if t in ("double", "float"):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return repr(v)
    if t == "decimal":
        return str(v)
    if t == "date":
        return "'%04d-%02d-%02d'" % (v.year, v.month, v.day)
    if t == "time":
        s, ns = divmod(v, 10**9)
        return "'%02d:%02d:%02d.%09d'" % (s // 3600, s // 60 % 60, s % 60,
                                          ns)
    if t == "timestamp":
        ms = (v - EPOCH) // datetime.timedelta(milliseconds=1)
        return str(ms)
    if t in ("uuid", "timeuuid"):
        return str(v)
    if t == "duration":
        return str(v)
    raise ValueError(t)


def bind(t, v):
    """The Python value handed to the driver for binding."""
    if v is None:
        return None
    if isinstance(t, tuple):
        kind = t[0]
        if kind == "frozen":
            return bind(t[1], v)
        if kind == "list":
            return [bind(t[1], x) for x in v]
        if kind == "set":
            return set(bind(t[1], x) for x in v)
        if kind == "map":
            return {bind(t[1], a): bind(t[2], b) for a, b in v.items()}
        if kind in ("tuple", "udt"):
            subs = t[1:] if kind == "tuple" else [ft for _, ft in t[2]]
            return tuple(bind(s, x) for s, x in zip(subs, v))
    if t == "time":
        return Time(v)
    return v


def norm(t, v):
    """A comparable form of a value (what was written or what was read)."""
    if v is None:
        return None
    if isinstance(t, tuple):
        kind = t[0]
        if kind == "frozen":
            return norm(t[1], v)
        if kind == "list":
            return ("list", [norm(t[1], x) for x in v])
        if kind == "set":
            return ("set", sorted((norm(t[1], x) for x in v), key=repr))
        if kind == "map":
            return ("map", sorted(((norm(t[1], a), norm(t[2], b))
                                   for a, b in v.items()), key=repr))
        if kind == "tuple":
            return ("tuple", [norm(s, x) for s, x in zip(t[1:], v)])
        if kind == "udt":
            return ("udt", [norm(ft, x) for (_, ft), x in zip(t[2], v)])
    if t in ("double", "float"):
        if math.isnan(v):
            return "NaN"
        return f32(v) if t == "float" else float(v)
    if t == "decimal":
        return v.as_tuple()
    if t == "date":
        if isinstance(v, Date):
            return v.days_from_epoch
        return (v - EPOCH_DATE).days
    if t == "time":
        return v.nanosecond_time if isinstance(v, Time) else v
    if t == "timestamp":
        return (v - EPOCH) // datetime.timedelta(milliseconds=1)
    if t == "duration":
        return (v.months, v.days, v.nanoseconds)
    if t == "inet":
        return str(ipaddress.ip_address(v))
    return v


D = decimal.Decimal
ROWS = {
    "min": {
        "a": "", "b": -2**63, "bl": b"", "bo": False,
        "d": datetime.date(1, 1, 1), "dec": D("-123456789012345678901234567890.000000001"),
        "dbl": -math.inf, "dur": Duration(-14, -3, -1),
        "f": -math.inf, "i": "0.0.0.0", "n": -2**31, "si": -2**15,
        "t": "", "tm": 0, "ts": datetime.datetime(1900, 1, 1),
        "tu": uuid.UUID("50554d6e-29bb-11e5-b345-feff819cdc9f"),
        "ti": -128, "u": uuid.UUID("00000000-0000-0000-0000-000000000000"),
        "vi": -2**200,
        "vis": [-1, 0, 127, 128, -128, -129, 255, 256, -(2**64), 2**64 - 1],
        "decs": [D("0"), D("-1.50"), D("1E+10"), D("1E-30"), D("-0.001")],
        "l": [-2**31, 0, 2**31 - 1, 0], "s": {"", "a", "b'c"},
        "m": {"": 0, "neg": -1}, "tup": (None, "", -0.5),
        "ad": ("", None, set()), "fl": [], "fs": {-2**63, 2**63 - 1},
        "fm": {-1: "", 1: "x"}, "nest": {"": [set(), {1, -1}]},
        "ladr": [("x", 1, {"a"}), ("y", 2, None)],
        "tsets": {(1, b""), (2, b"\x00\xff")},
    },
    "max": {
        "a": "~ascii 'quoted' \\ printable",
        "b": 2**63 - 1, "bl": bytes(range(256)), "bo": True,
        "d": datetime.date(9999, 12, 31),
        "dec": D("98765432109876543210.123456789012345678901234567890"),
        "dbl": 1.7976931348623157e308, "dur": Duration(14, 3, 86399999999999),
        "f": 3.4028234663852886e38, "i": "2001:db8::ff00:42:8329",
        "n": 2**31 - 1, "si": 2**15 - 1,
        "t": "naïve ☃ 日本語 \U0001F389 'q'", "tm": 86399999999999,
        "ts": datetime.datetime(9999, 12, 31, 23, 59, 59),
        "tu": uuid.UUID("e7b4b4a0-0000-1000-8000-000000000000"),
        "ti": 127, "u": uuid.UUID("ffffffff-ffff-4fff-bfff-ffffffffffff"),
        "vi": 2**200 + 12345, "vis": [2**63, -(2**63) - 1],
        "decs": [D("3.14159265358979323846264338327950288")],
        "l": [1, 2, 3], "s": {"ü", "z"}, "m": {"é": 2**31 - 1},
        "tup": (2**31 - 1, "ω", math.inf),
        "ad": ("Rue de l'Église", 42, {"x", "y"}),
        "fl": [5, 4, 3], "fs": {0}, "fm": {0: "zero"},
        "nest": {"k": [{3, 2, 1}], "j": []},
        "ladr": [("z", -1, set())], "tsets": {(-2**31, bytes([0] * 40))},
    },
    "special": {
        "a": "x", "b": 0, "bl": b"\x00", "bo": False,
        "d": datetime.date(1970, 1, 1), "dec": D("0.0"),
        "dbl": math.nan, "dur": Duration(0, 0, 0), "f": math.nan,
        "i": "127.0.0.1", "n": 0, "si": 0, "t": "tab\there\nnewline \\ \u00a0",
        "tm": 1, "ts": datetime.datetime(2038, 1, 19, 3, 14, 7, 123000),
        "tu": uuid.UUID("50554d6e-29bb-11e5-b345-feff819cdc9f"),
        "ti": 0, "u": uuid.UUID("62c36092-82a1-3a00-93d1-46196ee77204"),
        "vi": 0, "vis": [0], "decs": [D("0E-5")],
        "l": [], "s": set(), "m": {}, "tup": (0, None, math.nan),
        "ad": (None, None, None), "fl": [0], "fs": set(), "fm": {},
        "nest": {}, "ladr": [], "tsets": set(),
    },
    "nulls": {},
}


def expected_read(t, v):
    """What Cassandra gives back: empty non-frozen collections are null."""
    if isinstance(t, tuple) and t[0] in ("list", "set", "map") and \
            v is not None and len(v) == 0:
        return None
    return v


def check_types(m, cluster, session):
    session.execute("CREATE KEYSPACE types_ks WITH replication = {'class':"
                    " 'SimpleStrategy', 'replication_factor': 2}")
    session.execute("CREATE TYPE types_ks.addr (street text, num int,"
                    " tags frozen<set<text>>)")
    session.execute("CREATE TABLE types_ks.all_types (k text PRIMARY KEY, %s)"
                    % ", ".join("%s %s" % (c, type_str(t))
                                for c, t in COLUMNS))
    session.execute("CREATE TABLE types_ks.cnt (k int PRIMARY KEY,"
                    " c counter, c2 counter)")
    ok("created a table with %d columns of every type (vector<float, 3>"
       " skipped: driver 3.25 has no vector type)" % len(COLUMNS))
    names = ", ".join(c for c, _ in COLUMNS)
    ins = session.prepare("INSERT INTO types_ks.all_types (k, %s) VALUES"
                          " (?, %s)" % (names, ", ".join("?" * len(COLUMNS))))
    sel = session.prepare("SELECT %s FROM types_ks.all_types WHERE k = ?"
                          % names)
    bad, mismatches = [], []
    for label, row in ROWS.items():
        vals = [row.get(c) for c, _ in COLUMNS]
        session.execute("INSERT INTO types_ks.all_types (k, %s) VALUES"
                        " ('lit_%s', %s)" % (names, label, ", ".join(
                            lit(t, v) for (_, t), v in zip(COLUMNS, vals))))
        session.execute(ins, ["prep_%s" % label] +
                        [bind(t, v) for (_, t), v in zip(COLUMNS, vals)])
        for how in ("lit", "prep"):
            for q in (sel, "SELECT %s FROM types_ks.all_types WHERE k = '%s_%s'"
                      % (names, how, label)):
                got = (session.execute(q, ["%s_%s" % (how, label)])
                       if not isinstance(q, str) else session.execute(q)).one()
                assert got is not None, "row %s_%s not found" % (how, label)
                for (c, t), v, g in zip(COLUMNS, vals, got):
                    want = norm(t, expected_read(t, v))
                    have = norm(t, g)
                    if want != have:
                        bad.append("row %s_%s column %s %s: wrote %r, read %r"
                                   " (%s)" % (how, label, c, type_str(t), v,
                                              g, "prepared read" if not
                                              isinstance(q, str) else
                                              "simple read"))
        what = {"min": "minimums, -inf, empty blob/text, negative"
                " varint/decimal", "max": "maximums, non-ASCII, +inf",
                "special": "NaN, zero, empty collections",
                "nulls": "every column null"}[label]
        if bad:
            say("BAD  row %-7s (%s):\n     %s" % (label, what,
                                                 "\n     ".join(bad)))
            mismatches.extend(bad)
            del bad[:]
        else:
            ok("row %-7s (%s) round-trips as literals and as bound values"
               % (label, what))

    def sub(what, fn):
        try:
            fn()
            ok(what)
        except Exception as e:
            say("BAD  %s: %s" % (what, e))
            mismatches.append(what)

    # a NUL byte inside a text value, bound and as a literal
    nul = "nul\x00inside"
    upd_t = session.prepare("UPDATE types_ks.all_types SET t = ? WHERE k = ?")

    def nul_bound():
        session.execute(upd_t, [nul, "prep_nul"])
        r = session.execute(sel, ["prep_nul"]).one()
        assert r.t == nul, "bound text with NUL read back as %r" % (r.t,)

    def nul_literal():
        session.execute("UPDATE types_ks.all_types SET t = %s WHERE"
                        " k = 'lit_nul'" % lit("text", nul))
        r = session.execute(sel, ["lit_nul"]).one()
        assert r is not None and r.t == nul, \
            "literal text with NUL read back as %r" % (r and r.t,)
    sub("bound text value with a NUL byte round-trips", nul_bound)
    sub("text literal with a NUL byte inside a QUERY round-trips",
        nul_literal)

    def unset():
        # overwrite with unset (v4): the column keeps its value
        upd = session.prepare("UPDATE types_ks.all_types SET n = ?, t = ?"
                              " WHERE k = ?")
        session.execute(upd, [7, cassandra.query.UNSET_VALUE, "prep_max"])
        r = session.execute("SELECT n, t FROM types_ks.all_types WHERE"
                            " k = 'prep_max'").one()
        assert (r.n, r.t) == (7, ROWS["max"]["t"]), (r.n, r.t)
    sub("UNSET bound value leaves the column untouched", unset)

    def counters():
        session.execute("UPDATE types_ks.cnt SET c = c + 5, c2 = c2 - 1"
                        " WHERE k = 1")
        cinc = session.prepare("UPDATE types_ks.cnt SET c = c + ?"
                               " WHERE k = ?")
        session.execute(cinc, [-12, 1])
        session.execute(cinc, [2**62, 2])
        session.execute(cinc, [2**62 - 1, 2])
        rows = {r.k: (r.c, r.c2) for r in
                session.execute("SELECT k, c, c2 FROM types_ks.cnt")}
        assert rows == {1: (-7, -1), 2: (2**63 - 1, None)}, rows
    sub("counter table: increments, decrements, up to 2^63-1", counters)

    def empty_frozen():
        # frozen empty collections stay empty (not null), unlike the rest
        session.execute("INSERT INTO types_ks.all_types (k, fl, fs, fm)"
                        " VALUES ('frozen_empty', [], {}, {})")
        r = session.execute("SELECT fl, fs, fm FROM types_ks.all_types"
                            " WHERE k = 'frozen_empty'").one()
        assert (list(r.fl), len(r.fs), len(r.fm)) == ([], 0, 0), r
    sub("empty frozen collections read back empty, not null", empty_frozen)

    def udt_partial():
        # a UDT literal may leave fields out: they read back null
        session.execute("INSERT INTO types_ks.all_types (k, ad) VALUES"
                        " ('udt_partial', {num: 5})")
        r = session.execute("SELECT ad FROM types_ks.all_types WHERE"
                            " k = 'udt_partial'").one()
        assert tuple(r.ad) == (None, 5, None), r.ad
    sub("UDT literal with missing fields reads them as null", udt_partial)

    assert not mismatches, "%d type checks failed" % len(mismatches)


# --------------------------------------------------------------------------
# prepared statements and UNPREPARED

def check_prepared(m, cluster, session):
    session.execute("CREATE KEYSPACE prep_ks WITH replication = {'class':"
                    " 'SimpleStrategy', 'replication_factor': 3}")
    session.execute("CREATE TABLE prep_ks.kv (k int PRIMARY KEY, v text)")
    ins = session.prepare("INSERT INTO prep_ks.kv (k, v) VALUES (?, ?)")
    assert ins.routing_key_indexes == [0], ins.routing_key_indexes
    sel = session.prepare("SELECT k, v FROM prep_ks.kv WHERE k = ?")
    for k in range(10):
        session.execute(ins, [k, "v%d" % k])
    got = [session.execute(sel, [k]).one().v for k in range(10)]
    assert got == ["v%d" % k for k in range(10)], got
    ok("prepared INSERT/SELECT (routing key index [0]) work")
    named = session.prepare("SELECT v FROM prep_ks.kv WHERE k = :key")
    assert session.execute(named, {"key": 3}).one().v == "v3"
    ok("named bind marker :key works")

    for node in (1, 2, 3):
        h = host_of(cluster, node)
        before = opcode_count(m, node, "PREPARE")
        m.fail(node, "unprepared", count=1, match="prep_ks.kv")
        r = session.execute(sel, [5], host=h).one()
        assert r is not None and r.v == "v5", r
        after = opcode_count(m, node, "PREPARE")
        assert after > before, \
            "node %d: no re-PREPARE after UNPREPARED (%d -> %d)" % (
                node, before, after)
        ok("node %d answered UNPREPARED once; driver re-prepared"
           " (PREPARE count %d -> %d) and the EXECUTE succeeded"
           % (node, before, after))
    m.clear()


# --------------------------------------------------------------------------
# paging

def check_paging(m, cluster, session):
    session.execute("CREATE KEYSPACE page_ks WITH replication = {'class':"
                    " 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE page_ks.pg (p int, c int, v text,"
                    " PRIMARY KEY (p, c))")
    session.execute("CREATE TABLE page_ks.pgd (p int, c int, v text,"
                    " PRIMARY KEY (p, c)) WITH CLUSTERING ORDER BY (c DESC)")
    rows = [(p, c) for p in range(4) for c in range(250)]
    random.Random(3).shuffle(rows)
    for tbl in ("pg", "pgd"):
        ins = session.prepare("INSERT INTO page_ks.%s (p, c, v) VALUES"
                              " (?, ?, ?)" % tbl)
        res = execute_concurrent_with_args(
            session, ins, [(p, c, "r%d.%d" % (p, c)) for p, c in rows],
            concurrency=50)
        assert all(r.success for r in res)
    ok("inserted 1000 rows (4 partitions x 250) in shuffled order")

    for tbl, desc in (("pg", False), ("pgd", True)):
        st = SimpleStatement("SELECT p, c, v FROM page_ks.%s" % tbl,
                             fetch_size=100)
        rs = session.execute(st)
        seen, pages = [], 0
        while True:
            page = list(rs.current_rows)
            assert len(page) <= 100, "page of %d rows" % len(page)
            pages += 1
            seen += page
            if not rs.has_more_pages:
                break
            rs.fetch_next_page()
        keys = [(r.p, r.c) for r in seen]
        assert len(keys) == 1000 and len(set(keys)) == 1000, \
            "%d rows, %d distinct" % (len(keys), len(set(keys)))
        assert all(r.v == "r%d.%d" % (r.p, r.c) for r in seen)
        byp = {}
        for p, c in keys:
            byp.setdefault(p, []).append(c)
        for p, cs in byp.items():
            want = sorted(cs, reverse=desc)
            assert cs == want, "partition %d out of clustering order" % p
            # a partition's rows come together (token order between them)
        runs = [p for i, (p, _) in enumerate(keys)
                if i == 0 or keys[i - 1][0] != p]
        assert len(runs) == 4, "partitions interleaved: %s" % runs
        assert pages in (10, 11), "%d pages" % pages
        ok("%s: paged 1000 rows at fetch_size 100 in %d pages, each once,"
           " %s clustering order" % (tbl, pages, "DESC" if desc else "ASC"))
        # token order between partitions, as Cassandra returns them
        tclass = cluster.metadata.token_map.token_class
        toks = [tclass.from_key(struct.pack(">i", p)).value for p in runs]
        assert toks == sorted(toks), "partitions not in token order: %s" % (
            list(zip(runs, toks)),)
    ok("partitions come back in token order")

    st = SimpleStatement("SELECT c FROM page_ks.pg WHERE p = 2 AND c >= 10"
                         " ORDER BY c DESC", fetch_size=7)
    cs = [r.c for r in session.execute(st)]
    assert cs == list(range(249, 9, -1)), cs[:10]
    ok("single partition, range + ORDER BY DESC, fetch_size 7: %d rows"
       % len(cs))


# --------------------------------------------------------------------------
# tracing

def check_trace(m, cluster, session):
    rs = session.execute("SELECT * FROM prep_ks.kv WHERE k = 1", trace=True)
    tr = rs.get_query_trace(max_wait_sec=10)
    assert tr is not None
    assert tr.events, "trace has no events"
    assert tr.duration is not None and tr.duration.total_seconds() >= 0, \
        tr.duration
    assert tr.coordinator, tr.coordinator
    ok("trace %s: %d events, duration %s, coordinator %s, request %r" % (
        tr.trace_id, len(tr.events), tr.duration, tr.coordinator,
        tr.request_type))
    pq = session.prepare("SELECT v FROM prep_ks.kv WHERE k = ?")
    rs = session.execute(pq, [2], trace=True)
    tr = rs.get_query_trace(max_wait_sec=10)
    assert tr.events and tr.duration is not None
    ok("trace of a prepared EXECUTE: %d events" % len(tr.events))


# --------------------------------------------------------------------------
# schema metadata and SCHEMA_CHANGE events

def check_schema(m, cluster, session):
    session.execute("CREATE KEYSPACE meta_ks WITH replication = {'class':"
                    " 'SimpleStrategy', 'replication_factor': 2}"
                    " AND durable_writes = false")
    session.execute("CREATE TYPE meta_ks.point (x double, y double,"
                    " label text)")
    session.execute(
        "CREATE TABLE meta_ks.m (a int, b text, c timeuuid, d int,"
        " pt frozen<point>, e map<text, int>, s int static,"
        " \"Quoted Col\" text, PRIMARY KEY ((a, b), c, d))"
        " WITH CLUSTERING ORDER BY (c DESC, d ASC)"
        " AND comment = 'meta test' AND gc_grace_seconds = 3600")
    meta = cluster.metadata
    wait_until(lambda: "m" in meta.keyspaces["meta_ks"].tables, WAIT,
               "table meta_ks.m in metadata")
    ksm = meta.keyspaces["meta_ks"]
    assert ksm.replication_strategy.replication_factor == 2
    assert ksm.durable_writes is False, ksm.durable_writes
    t = ksm.tables["m"]
    assert [c.name for c in t.partition_key] == ["a", "b"], t.partition_key
    assert [c.name for c in t.clustering_key] == ["c", "d"], t.clustering_key
    assert [c.is_reversed for c in t.clustering_key] == [True, False]
    want = {"a": "int", "b": "text", "c": "timeuuid", "d": "int",
            "pt": "frozen<point>", "e": "map<text, int>", "s": "int",
            "Quoted Col": "text"}
    got = {n: c.cql_type for n, c in t.columns.items()}
    assert got == want, got
    assert t.columns["s"].is_static and not t.columns["e"].is_static
    assert t.options.get("comment") == "meta test", t.options
    assert t.options.get("gc_grace_seconds") == 3600, t.options
    ok("table metadata: partition key (a, b), clustering (c DESC, d ASC),"
       " column types, static s, quoted column, options")
    ut = ksm.user_types["point"]
    assert list(ut.field_names) == ["x", "y", "label"], ut.field_names
    assert list(ut.field_types) == ["double", "double", "text"], \
        ut.field_types
    ok("UDT point(x double, y double, label text) in user_types")
    cql = t.export_as_string()
    assert "CLUSTERING ORDER BY (c DESC, d ASC)" in cql, cql
    ok("export_as_string works (%d chars)" % len(cql))

    # DDL from a second, independent driver shows up in the first
    other = driver_cluster(m, contact=2)
    try:
        s2 = other.connect()
        s2.execute("CREATE TABLE meta_ks.from_other (id uuid PRIMARY KEY,"
                   " x int)")
        wait_until(lambda: "from_other" in meta.keyspaces["meta_ks"].tables,
                   WAIT, "first driver to see meta_ks.from_other")
        ok("CREATE TABLE from a second Cluster seen by the first")
        s2.execute("ALTER TABLE meta_ks.from_other ADD y list<text>")
        wait_until(lambda: "y" in meta.keyspaces["meta_ks"]
                   .tables["from_other"].columns, WAIT,
                   "first driver to see the added column y")
        assert meta.keyspaces["meta_ks"].tables["from_other"].columns["y"]\
            .cql_type == "list<text>"
        ok("ALTER TABLE ADD from the second Cluster seen by the first")
        s2.execute("CREATE TYPE meta_ks.other_t (z int)")
        wait_until(lambda: "other_t" in meta.keyspaces["meta_ks"].user_types,
                   WAIT, "first driver to see type other_t")
        s2.execute("DROP TABLE meta_ks.from_other")
        wait_until(lambda: "from_other" not in
                   meta.keyspaces["meta_ks"].tables, WAIT,
                   "first driver to see meta_ks.from_other dropped")
        s2.execute("CREATE KEYSPACE other_ks WITH replication = {'class':"
                   " 'SimpleStrategy', 'replication_factor': 1}")
        wait_until(lambda: "other_ks" in meta.keyspaces, WAIT,
                   "first driver to see keyspace other_ks")
        s2.execute("DROP KEYSPACE other_ks")
        wait_until(lambda: "other_ks" not in meta.keyspaces, WAIT,
                   "first driver to see keyspace other_ks dropped")
        ok("CREATE TYPE, DROP TABLE, CREATE/DROP KEYSPACE from the second"
           " Cluster seen by the first")
        assert cluster.control_connection.wait_for_schema_agreement(
            wait_time=10), "no schema agreement"
        ok("schema agreement (all nodes report one schema_version)")
    finally:
        other.shutdown()


# --------------------------------------------------------------------------
# failover and topology

def check_failover(m, cluster, session):
    sel = session.prepare("SELECT v FROM prep_ks.kv WHERE k = ?")
    counter = [0]

    def query_ok():
        """One query through the default policy; it must succeed."""
        k = counter[0] % 10
        counter[0] += 1
        assert session.execute(sel, [k]).one().v == "v%d" % k
        return True

    for how in ("stop", "kill"):
        h2 = host_of(cluster, 2)
        assert h2.is_up
        getattr(m, how)(2)
        # no traffic and a 30 s heartbeat: only the closed pool connection
        # and the STATUS_CHANGE DOWN event can tell the driver
        t0 = time.monotonic()
        wait_until(lambda: h2.is_up is False, WAIT,
                   "driver to mark 127.0.0.2 down after %s" % how)
        ok("%s node 2: driver marked 127.0.0.2 down in %.2f s (from the"
           " closed connection and the DOWN event)" % (
               how, time.monotonic() - t0))
        for _ in range(30):
            query_ok()
        ok("30 more queries work with node 2 %s" % (
            "stopped" if how == "stop" else "killed"))
        m.start(2)
        wait_until(lambda: h2.is_up is True, WAIT,
                   "driver to mark 127.0.0.2 up after start")
        wait_until(lambda: session.get_pool_state().get(h2, {})
                   .get("open_count", 0) > 0, WAIT,
                   "a connection pool to 127.0.0.2 again")
        r = session.execute(sel, [4], host=h2).one()
        assert r.v == "v4", r
        ok("start node 2: driver marked it up and queries it again")
        counter[0] = 0


def check_topology(m, cluster, session):
    n = m.add()
    wait_until(lambda: host_of(cluster, n) is not None and
               host_of(cluster, n).is_up, WAIT,
               "driver to discover the added node %d" % n)
    h = host_of(cluster, n)
    desc = mock_nodes(m)[n]
    assert (h.datacenter, h.rack) == (desc["dc"], desc["rack"])
    tm = cluster.metadata.token_map
    wait_until(lambda: len([t for t, o in cluster.metadata.token_map
                            .token_to_host_owner.items()
                            if o.address == h.address]) == len(desc["tokens"]),
               WAIT, "driver token map to include node %d's tokens" % n)
    ok("add: driver discovered 127.0.0.%d (%s/%s, %d tokens)" % (
        n, h.datacenter, h.rack, len(desc["tokens"])))
    r = session.execute("SELECT v FROM prep_ks.kv WHERE k = 1", host=h).one()
    assert r.v == "v1"
    ok("the new node serves existing data")
    m.remove(n)
    wait_until(lambda: host_of(cluster, n) is None, WAIT,
               "driver to drop removed node %d" % n)
    ok("remove: driver dropped 127.0.0.%d" % n)
    assert session.execute("SELECT v FROM prep_ks.kv WHERE k = 1").one()\
        .v == "v1"


def main():
    t0 = time.monotonic()
    say("cqlmock interop with DataStax Python driver %s"
        % cassandra.__version__)
    try:
        with Mock(nodes=3, seed=1) as m:
            # the driver's default heartbeat, so that failover is noticed
            # from events and closed connections alone
            cluster = driver_cluster(m, idle_heartbeat_interval=30)
            try:
                session = cluster.connect()
                for fn in (check_discovery, check_system_schema,
                           check_token_map, check_tokens,
                           check_types,
                           check_prepared, check_paging, check_trace,
                           check_schema, check_failover, check_topology):
                    step(_named(fn, m, cluster, session))
            finally:
                cluster.shutdown()
        step(run_nts)
    except MockError as e:
        say("FAIL cqlmock: %s" % e)
        return 1
    say("%d check groups failed%s; %.1f s" % (
        len(failures), (": " + ", ".join(failures)) if failures else "",
        time.monotonic() - t0))
    return 1 if failures else 0


def _named(fn, *args):
    """fn bound to args, keeping fn's name for the report."""
    def run():
        fn(*args)
    run.__name__ = fn.__name__
    return run


if __name__ == "__main__":
    sys.exit(main())
