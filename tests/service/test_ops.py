"""Every operation of docs/protocol.md through the real daemon against a
3-node cqlmock: query (values positional and named, paging, options),
prepare/execute across connections, batch, use (op and USE statement),
schema, hosts, trace (waited for: cqlmock writes traces late), ping,
stats; ids echoed as given; compact answers.
"""

import json
import time

from svc import Svc, run_tests

KS = ("CREATE KEYSPACE ks WITH replication = "
      "{'class': 'SimpleStrategy', 'replication_factor': 3}")


def test_query_and_ids():
    with Svc(nodes=3) as s:
        c = s.client()
        # ids come back exactly as given
        for ident in (7, "seven", None, True, -3, 12.5):
            a = c.ok({"id": ident, "op": "ping"})
            assert "id" in a and a["id"] == ident, (ident, a)
        a = c.ok({"op": "ping"})
        assert "id" not in a
        # ...as the request wrote them, numbers too: not 0.1 as
        # 0.10000000000000001, whether the line was read quickly or (a
        # 30-digit number elsewhere) by jansson
        for text in (b"0.1", b"1e2", b"-0.0", b"1.5E300", b"12.5"):
            for extra in (b"", b', "x": 123456789012345678901234567890'):
                c.send(b'{"id": ' + text + b', "op": "ping"' + extra +
                       b'}\n')
                line = c.recv_line()
                back = line[len(b'{"id": '):line.index(b", ")]
                assert float(back) == float(text), (text, line)
                assert back == text or extra and back in (
                    b"1e+02", b"1.5e+300"), (text, line)
        raw = c.call({"id": 9, "cql": "SELECT release_version FROM "
                      "system.local"})
        assert raw == {"id": 9, "ok": True, "columns": [
            {"name": "release_version", "type": "text"}],
            "rows": [["4.0.0"]]}, raw

        a = c.ok({"cql": KS})
        assert a["schema_change"] == {"change": "CREATED",
                                      "target": "KEYSPACE",
                                      "keyspace": "ks"}, a
        assert a["schema_agreement"] is True, a
        a = c.ok({"cql": "CREATE TABLE ks.t (k int, c int, v text, "
                         "PRIMARY KEY (k, c))"})
        assert a["schema_change"]["name"] == "t", a
        # positional and named values
        for i in range(5):
            c.ok({"cql": "INSERT INTO ks.t (k, c, v) VALUES (?, ?, ?)",
                  "values": [1, i, "v%d" % i]})
        c.ok({"cql": "INSERT INTO ks.t (k, c, v) VALUES (:k, :c, :v)",
              "values": {"v": "named", "c": 9, "k": 2}})
        a = c.ok({"cql": "SELECT v FROM ks.t WHERE k = :k AND c = :c",
                  "values": {"k": 2, "c": 9}})
        assert a["rows"] == [["named"]], a
        a = c.ok({"cql": "SELECT c, v FROM ks.t WHERE k = ?", "values": [1]})
        assert a["rows"] == [[i, "v%d" % i] for i in range(5)], a
        assert "paging_state" not in a
        # paging
        rows, state, pages = [], None, 0
        while True:
            req = {"cql": "SELECT c FROM ks.t WHERE k = ?", "values": [1],
                   "page_size": 2}
            if state:
                req["paging_state"] = state
            a = c.ok(req)
            rows += a["rows"]
            pages += 1
            state = a.get("paging_state")
            if not state:
                break
            assert pages < 10
        assert rows == [[i] for i in range(5)] and pages == 3, (rows, pages)
        # options: timestamp, consistency, idempotent, timeout
        c.ok({"cql": "INSERT INTO ks.t (k, c, v) VALUES (3, 0, 'ts')",
              "timestamp": 1234567, "consistency": "quorum",
              "idempotent": True, "timeout_ms": 3000})
        a = c.ok({"cql": "SELECT WRITETIME(v) FROM ks.t WHERE k = 3"})
        assert a["rows"] == [[1234567]], a
        # per-request keyspace
        a = c.ok({"cql": "SELECT v FROM t WHERE k = 3", "keyspace": "ks"})
        assert a["rows"] == [["ts"]], a
        # compact separators
        c.send({"id": 1, "cql": "SELECT v FROM ks.t WHERE k = 3",
                "compact": True})
        line = c.recv_line()
        assert line == b'{"id":1,"ok":true,"columns":[{"name":"v",' \
            b'"type":"text"}],"rows":[["ts"]]}', line
        # a connection that asked for compact answers gets every error
        # compact, those given before the request's options are read too
        with s.client() as c4:
            c4.ok({"op": "use", "compact": True})
            for bad in (b"nope\n", b'{"op": "frob"}\n', b'{"id": [1]}\n',
                        b'{"cql": "SELECT v FROM ks.t", "page_size": "x"}\n'):
                c4.send(bad)
                line = c4.recv_line()
                assert line.startswith(b'{"ok":false,"error":{"code":'), \
                    (bad, line)
            c4.send(b'{"op": "frob", "compact": false}\n')
            line = c4.recv_line()
            assert line.startswith(b'{"ok": false, "error": {'), line
        # DML answers just ok
        a = c.ok({"cql": "DELETE FROM ks.t WHERE k = 3"})
        assert a == {"ok": True}, a


def test_prepare_execute_batch():
    with Svc(nodes=3) as s:
        c1, c2 = s.client(), s.client()
        c1.ok({"cql": KS})
        c1.ok({"cql": "CREATE TABLE ks.kv (k int PRIMARY KEY, v text)"})
        p = c1.ok({"op": "prepare",
                   "cql": "INSERT INTO ks.kv (k, v) VALUES (?, ?)"})
        assert p["params"] == [{"name": "k", "type": "int"},
                               {"name": "v", "type": "text"}], p
        assert p["columns"] == [], p
        p2 = c2.ok({"op": "prepare",
                    "cql": "INSERT INTO ks.kv (k, v) VALUES (?, ?)"})
        assert p2["statement"] == p["statement"]
        # the handle works from any connection
        c2.ok({"op": "execute", "statement": p["statement"],
               "values": [1, "one"]})
        c1.ok({"op": "execute", "statement": p["statement"],
               "values": {"k": 2, "v": "two"}})
        sel = c2.ok({"op": "prepare",
                     "cql": "SELECT v FROM ks.kv WHERE k = ?"})
        assert sel["columns"] == [{"name": "v", "type": "text"}], sel
        a = c1.ok({"op": "execute", "statement": sel["statement"],
                   "values": [2]})
        assert a["rows"] == [["two"]], a
        a = c1.call({"op": "execute", "statement": "00" * 16,
                     "values": [2]})
        assert a["error"]["code"] == "unknown_statement", a
        # batch: cql with values, a handle, plain cql
        a = c1.ok({"op": "batch", "statements": [
            {"cql": "INSERT INTO ks.kv (k, v) VALUES (?, ?)",
             "values": [3, "three"]},
            {"statement": p["statement"], "values": [4, "four"]},
            {"cql": "DELETE FROM ks.kv WHERE k = 1"}]})
        assert a == {"ok": True}, a
        a = c2.ok({"cql": "SELECT k, v FROM ks.kv"})
        assert sorted(a["rows"]) == [[2, "two"], [3, "three"],
                                     [4, "four"]], a
        # under a keyspace, unqualified names: cql with values, a handle
        # prepared there, plain cql
        with s.client() as c3:
            c3.ok({"op": "use", "keyspace": "ks"})
            pu = c3.ok({"op": "prepare",
                        "cql": "INSERT INTO kv (k, v) VALUES (?, ?)"})
            a = c3.ok({"op": "batch", "type": "unlogged", "statements": [
                {"cql": "INSERT INTO kv (k, v) VALUES (?, ?)",
                 "values": [5, "five"]},
                {"statement": pu["statement"], "values": [6, "six"]},
                {"cql": "INSERT INTO kv (k, v) VALUES (7, 'seven')"},
                {"cql": "DELETE FROM kv WHERE k = 4"}]})
            assert a == {"ok": True}, a
            a = c3.ok({"cql": "SELECT k, v FROM kv"})
            assert sorted(a["rows"]) == [[2, "two"], [3, "three"],
                                         [5, "five"], [6, "six"],
                                         [7, "seven"]], a
        # the handle names its keyspace: usable from a connection without
        a = c1.ok({"op": "batch", "statements": [
            {"statement": pu["statement"], "values": [8, "eight"]}]})
        a = c1.ok({"cql": "SELECT v FROM ks.kv WHERE k = 8"})
        assert a["rows"] == [["eight"]], a
        # counter batch
        c1.ok({"cql": "CREATE TABLE ks.cn (k int PRIMARY KEY, n counter)"})
        c1.ok({"op": "batch", "type": "counter", "statements": [
            {"cql": "UPDATE ks.cn SET n = n + ? WHERE k = 1",
             "values": [5]},
            {"cql": "UPDATE ks.cn SET n = n + 2 WHERE k = 1"}]})
        a = c1.ok({"cql": "SELECT n FROM ks.cn WHERE k = 1"})
        assert a["rows"] == [[7]], a
        # errors point at the entry
        a = c1.call({"op": "batch", "statements": [
            {"cql": "INSERT INTO ks.kv (k, v) VALUES (?, ?)",
             "values": [1, "x"]},
            {"cql": "INSERT INTO ks.kv (k, v) VALUES (?, ?)",
             "values": ["nope", "x"]}]})
        assert a["error"]["code"] == "bad_value", a
        assert a["error"]["statement_index"] == 1, a
        # a values field, even an empty one, is counted against the
        # markers, as for query (not sent to fail at the node)
        for vals in ([], {}):
            a = c1.call({"op": "batch", "statements": [
                {"cql": "DELETE FROM ks.kv WHERE k = 3", "values": []},
                {"cql": "INSERT INTO ks.kv (k, v) VALUES (?, ?)",
                 "values": vals}]})
            assert a["error"]["code"] == "missing_values", a
            assert a["error"]["statement_index"] == 1, a
            assert "host" not in a["error"], a
        a = c1.ok({"op": "batch", "statements": [
            {"cql": "DELETE FROM ks.kv WHERE k = 3", "values": []}]})
        a = c1.ok({"cql": "SELECT v FROM ks.kv WHERE k = 3"})
        assert a["rows"] == [], a


def test_use():
    with Svc(nodes=1) as s:
        c = s.client()
        c.ok({"cql": KS})
        c.ok({"cql": "CREATE TABLE ks.u (k int PRIMARY KEY, v int)"})
        a = c.ok({"op": "use", "keyspace": "ks"})
        assert a == {"ok": True, "keyspace": "ks",
                     "numbers_as_strings": False, "compact": False}, a
        c.ok({"cql": "INSERT INTO u (k, v) VALUES (1, 10)"})
        # DDL under the connection's keyspace waits for agreement too
        a = c.ok({"cql": "CREATE TABLE u2 (k int PRIMARY KEY)"})
        assert a["schema_change"] == {"change": "CREATED", "target": "TABLE",
                                      "keyspace": "ks", "name": "u2"}, a
        assert a["schema_agreement"] is True, a
        c.ok({"cql": "INSERT INTO u2 (k) VALUES (1)"})
        # options of a use that fails are not applied
        a = c.call({"op": "use", "keyspace": "nosuch",
                    "numbers_as_strings": True})
        assert a["error"]["code"] == "invalid", a
        a = c.ok({"op": "use", "keyspace": "ks"})
        assert a["numbers_as_strings"] is False, a
        c.ok({"cql": "INSERT INTO u (k, v) VALUES (?, ?)", "values": [2, 20]})
        a = c.ok({"cql": "SELECT v FROM u WHERE k = ?", "values": [2]})
        assert a["rows"] == [[20]], a
        # other connections keep their own keyspace (none)
        with s.client() as c2:
            a = c2.call({"cql": "SELECT v FROM u WHERE k = 1"})
            assert not a["ok"] and a["error"]["code"] == "invalid", a
        # USE in cql; an unknown keyspace leaves the connection as it was
        a = c.call({"cql": "USE nosuch"})
        assert a["error"]["code"] == "invalid", a
        a = c.ok({"cql": "SELECT v FROM u WHERE k = 1"})
        assert a["rows"] == [[10]], a
        a = c.ok({"cql": "use \"system\";"})
        assert a["keyspace"] == "system", a
        a = c.ok({"cql": "SELECT release_version FROM local"})
        assert a["rows"] == [["4.0.0"]], a
        a = c.ok({"op": "use", "keyspace": None})
        assert a["keyspace"] is None, a
        a = c.call({"cql": "SELECT v FROM u WHERE k = 1"})
        assert a["error"]["code"] == "invalid", a
        # use with an id is still a barrier for what follows
        c.send_many([{"id": 1, "op": "use", "keyspace": "ks"},
                     {"id": 2, "cql": "SELECT v FROM u WHERE k = 1"}])
        a, b = c.recv(), c.recv()
        assert a["id"] == 1 and a["ok"], a
        assert b["id"] == 2 and b["rows"] == [[10]], b


def test_schema_hosts():
    with Svc(nodes=3) as s:
        c = s.client()
        c.ok({"cql": KS})
        c.ok({"cql": "CREATE TYPE ks.addr (street text, zip int)"})
        c.ok({"cql": "CREATE TABLE ks.st (k int, c text, v frozen<addr>, "
                     "s int static, PRIMARY KEY (k, c)) WITH CLUSTERING "
                     "ORDER BY (c DESC)"})

        def table_known():
            a = c.call({"op": "schema", "keyspace": "ks", "table": "st"})
            return a if a["ok"] else None
        from svc import wait_until
        a = wait_until(table_known, 10, "the schema to show ks.st")
        t = a["table"]
        assert t["keyspace"] == "ks" and t["name"] == "st", t
        assert t["partition_key"] == ["k"] and t["clustering_key"] == ["c"]
        cols = {x["name"]: x for x in t["columns"]}
        assert cols["k"]["kind"] == "partition_key", cols
        assert cols["c"]["kind"] == "clustering", cols
        assert cols["c"]["order"] == "desc", cols
        assert cols["s"]["kind"] == "static", cols
        assert cols["v"]["type"] == "frozen<addr>", cols
        a = c.ok({"op": "schema"})
        assert "ks" in a["keyspaces"] and "system" in a["keyspaces"], a
        a = c.ok({"op": "schema", "keyspace": "ks"})
        k = a["keyspace"]
        assert k["name"] == "ks" and "st" in k["tables"], k
        assert k["replication"]["replication_factor"] == "3", k
        assert k["types"] == [{"name": "addr", "fields": [
            {"name": "street", "type": "text"},
            {"name": "zip", "type": "int"}]}], k
        a = c.call({"op": "schema", "keyspace": "nosuch"})
        assert a["error"]["code"] == "unknown_keyspace", a
        a = c.call({"op": "schema", "keyspace": "ks", "table": "nosuch"})
        assert a["error"]["code"] == "unknown_table", a
        assert a["error"]["table"] == "nosuch", a

        a = c.ok({"op": "hosts"})
        hosts = sorted(a["hosts"], key=lambda h: h["address"])
        assert [h["address"] for h in hosts] == \
            ["127.0.0.1", "127.0.0.2", "127.0.0.3"], hosts
        nodes = {n["address"]: n for n in s.mock.nodes()}
        for h in hosts:
            assert h["port"] == s.mock.port
            assert h["dc"] == "datacenter1" and h["rack"] == "rack1", h
            assert h["release_version"] == "4.0.0", h
            assert h["tokens"] == len(nodes[h["address"]]["tokens"]), h
            assert h["host_id"] == nodes[h["address"]]["host_id"], h
            assert h["distance"] == "local", h
        assert sum(1 for h in hosts if h["control"]) == 1
        # a node that stops is seen down
        s.mock.stop(3)
        wait_until(lambda: [h for h in c.ok({"op": "hosts"})["hosts"]
                            if h["address"] == "127.0.0.3"][0]["state"]
                   == "down", 10, "node 3 down")
        s.mock.start(3)
        wait_until(lambda: [h for h in c.ok({"op": "hosts"})["hosts"]
                            if h["address"] == "127.0.0.3"][0]["state"]
                   == "up", 15, "node 3 up again")


def test_trace_waits():
    # cqlmock writes trace rows 300 ms after the answer
    with Svc(nodes=1, trace_delay_ms=300) as s:
        c = s.client()
        c.ok({"cql": KS})
        c.ok({"cql": "CREATE TABLE ks.tr (k int PRIMARY KEY, v int)"})
        a = c.ok({"cql": "INSERT INTO ks.tr (k, v) VALUES (?, ?)",
                  "values": [1, 1], "trace": True})
        tid = a["tracing_id"]
        t0 = time.monotonic()
        t = c.ok({"op": "trace", "tracing_id": tid})
        took = time.monotonic() - t0
        assert took > 0.1, took     # it really waited for the rows
        sess = t["session"]
        assert sess["session_id"] == tid, sess
        assert isinstance(sess["duration"], int), sess
        assert sess["request"] == "Execute CQL3 prepared query", sess
        assert sess["coordinator"] == "127.0.0.1", sess
        acts = [e["activity"] for e in t["events"]]
        assert acts[-1] == "Request complete", acts
        assert any("memtable" in x for x in acts), acts
        # a wait shorter than the delay: trace_timeout
        a = c.ok({"cql": "SELECT v FROM ks.tr WHERE k = 1", "trace": True})
        e = c.call({"op": "trace", "tracing_id": a["tracing_id"],
                    "wait_ms": 50})
        assert e["error"]["code"] == "trace_timeout", e
        assert e["error"]["tracing_id"] == a["tracing_id"], e
        # it becomes complete later
        t = c.ok({"op": "trace", "tracing_id": a["tracing_id"]})
        assert t["events"][-1]["activity"] == "Request complete", t
        e = c.call({"op": "trace", "tracing_id": "not-a-uuid"})
        assert e["error"]["code"] == "bad_request", e


def test_stats():
    with Svc(nodes=1) as s:
        c = s.client()
        c.ok({"op": "ping"})
        c.call({"op": "bogus"})
        st = c.ok({"op": "stats"})["stats"]
        assert st["requests"]["by_op"]["ping"]["outcomes"]["ok"] >= 2, st
        assert st["requests"]["by_op"]["invalid"]["outcomes"][
            "unknown_op"] == 1, st
        assert st["clients"]["connected"] >= 1, st
        assert "password" not in json.dumps(st)


if __name__ == "__main__":
    run_tests([test_query_and_ids, test_prepare_execute_batch, test_use,
               test_schema_hosts, test_trace_waits, test_stats])
