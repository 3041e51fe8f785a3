"""Every error code of docs/protocol.md ("Errors") through the real daemon:
each Cassandra error injected with cqlmock's `fail` comes back with its
stable code and fields; natural server errors (syntax, invalid, already
exists); every local failure (bad JSON, bad requests, unknown op, bad
values, value counts, unknown statement, no hosts, timeout, the global
in-flight cap, a 2 MiB line). After each one the connection keeps working
(except line_too_long, which closes it after answering what came before).
"""

import socket
import threading

import json

from svc import Svc, run_tests, wait_until

KS = ("CREATE KEYSPACE ks WITH replication = "
      "{'class': 'SimpleStrategy', 'replication_factor': 1}")

# fail error -> (code, fields that must be present with these values)
INJECTED = {
    "unavailable": ("unavailable", {"consistency": "QUORUM", "required": 1,
                                    "alive": 0}),
    "read_timeout": ("read_timeout", {"consistency": "QUORUM",
                                      "received": 0, "blockfor": 1,
                                      "data_present": False}),
    "write_timeout": ("write_timeout", {"consistency": "QUORUM",
                                        "received": 0, "blockfor": 1,
                                        "write_type": "SIMPLE"}),
    "read_failure": ("read_failure", {"consistency": "QUORUM",
                                      "received": 0, "blockfor": 1,
                                      "failures": 1,
                                      "data_present": False}),
    "write_failure": ("write_failure", {"consistency": "QUORUM",
                                        "received": 0, "blockfor": 1,
                                        "failures": 1,
                                        "write_type": "SIMPLE"}),
    "overloaded": ("overloaded", {}),
    "is_bootstrapping": ("is_bootstrapping", {}),
    "server_error": ("server_error", {}),
    "truncate_error": ("truncate_error", {}),
    "syntax_error": ("syntax_error", {}),
    "invalid": ("invalid", {}),
}


def test_injected_errors():
    # fallthrough: the retry policy hands every error straight back
    with Svc(nodes=1, policy={"retry": "fallthrough"}) as s:
        c = s.client()
        c.ok({"cql": KS})
        c.ok({"cql": "CREATE TABLE ks.e (k int PRIMARY KEY, v int)"})
        c.ok({"cql": "INSERT INTO ks.e (k, v) VALUES (1, 1)"})
        for err, (code, fields) in sorted(INJECTED.items()):
            write = "write" in err
            cql = ("INSERT INTO ks.e (k, v) VALUES (1, 1)" if write
                   else "SELECT v FROM ks.e WHERE k = 1")
            s.mock.fail(1, err, count=1, match="ks.e")
            a = c.call({"id": err, "cql": cql, "consistency": "QUORUM"})
            assert a["id"] == err and a["ok"] is False, a
            e = a["error"]
            assert e["code"] == code, (err, a)
            assert e["message"], a
            assert e["host"] == "127.0.0.1:%d" % s.mock.port, a
            for k, v in fields.items():
                assert e.get(k) == v, (err, k, e)
            # the connection keeps working
            assert c.ok({"cql": "SELECT v FROM ks.e WHERE k = 1"})
        # unprepared: the daemon prepares again by itself...
        s.mock.fail(1, "unprepared", count=1, match="ks.e")
        a = c.ok({"cql": "SELECT v FROM ks.e WHERE k = ?", "values": [1]})
        assert a["rows"] == [[1]], a
        # ...and only a node that keeps forgetting reaches the client
        s.mock.fail(1, "unprepared", count=-1, match="ks.e")
        a = c.call({"cql": "SELECT v FROM ks.e WHERE k = ?", "values": [1]})
        assert a["error"]["code"] == "unprepared", a
        assert len(a["error"]["statement"]) == 32, a
        s.mock.clear()
        # natural server errors
        a = c.call({"cql": "SELEKT * FROM ks.e"})
        assert a["error"]["code"] == "syntax_error", a
        a = c.call({"cql": "SELECT * FROM ks.nosuch"})
        assert a["error"]["code"] == "invalid", a
        a = c.call({"cql": "CREATE TABLE ks.e (k int PRIMARY KEY)"})
        assert a["error"]["code"] == "already_exists", a
        assert a["error"]["keyspace"] == "ks", a
        assert a["error"]["table"] == "e", a
        a = c.call({"cql": KS})
        assert a["error"]["code"] == "already_exists", a
        assert a["error"]["table"] == "", a


def test_local_errors():
    with Svc(nodes=1) as s:
        c = s.client()
        c.ok({"cql": KS})
        c.ok({"cql": "CREATE TABLE ks.l (k int PRIMARY KEY, v text)"})
        cases = [
            (b"{not json\n", "bad_json", None),
            (b"[1, 2]\n", "bad_request", None),
            (b'"just a string"\n', "bad_request", None),
            ({"op": 5}, "bad_request", "op"),
            ({"id": [1]}, "bad_request", "id"),
            ({"op": "query"}, "bad_request", "cql"),
            ({"cql": 5}, "bad_request", "cql"),
            ({"cql": "SELECT * FROM ks.l", "values": "x"}, "bad_request",
             "values"),
            ({"cql": "SELECT * FROM ks.l", "consistency": "MOST"},
             "bad_request", "consistency"),
            ({"cql": "SELECT * FROM ks.l", "page_size": "big"},
             "bad_request", "page_size"),
            ({"cql": "SELECT * FROM ks.l", "trace": "yes"}, "bad_request",
             "trace"),
            ({"op": "frobnicate"}, "unknown_op", None),
            ({}, "bad_request", "op"),
        ]
        for req, code, field in cases:
            c.send(req)
            a = c.recv()
            assert a["ok"] is False and a["error"]["code"] == code, (req, a)
            if field:
                assert a["error"].get("field") == field, (req, a)
            c.ok({"op": "ping"})
        a = c.call({"id": 1, "op": "frobnicate"})
        assert a["id"] == 1 and a["error"]["op"] == "frobnicate", a

        ins = "INSERT INTO ks.l (k, v) VALUES (?, ?)"
        a = c.call({"cql": ins, "values": ["one", "x"]})
        assert a["error"]["code"] == "bad_value", a
        assert a["error"]["index"] == 0 and a["error"]["type"] == "int", a
        a = c.call({"cql": ins, "values": {"k": 1, "v": 5}})
        assert a["error"]["code"] == "bad_value", a
        assert a["error"]["name"] == "v" and a["error"]["type"] == "text", a
        a = c.call({"cql": ins, "values": [1, "x", 3]})
        assert a["error"]["code"] == "too_many_values", a
        assert (a["error"]["expected"], a["error"]["given"]) == (2, 3), a
        a = c.call({"cql": ins, "values": [1]})
        assert a["error"]["code"] == "missing_values", a
        assert (a["error"]["expected"], a["error"]["given"]) == (2, 1), a
        a = c.call({"cql": ins, "values": []})
        assert a["error"]["code"] == "missing_values", a
        assert (a["error"]["expected"], a["error"]["given"]) == (2, 0), a
        a = c.call({"cql": ins, "values": {"k": 1}})
        assert a["error"]["code"] == "missing_values", a
        assert a["error"]["name"] == "v", a
        a = c.call({"cql": ins, "values": {"k": 1, "v": "x", "w": 2}})
        assert a["error"]["code"] == "too_many_values", a
        assert a["error"]["name"] == "w", a
        a = c.call({"cql": "SELECT v FROM ks.l WHERE k = 1",
                    "values": [1]})
        assert a["error"]["code"] == "too_many_values", a
        a = c.call({"op": "execute", "statement": "ab" * 16})
        assert a["error"]["code"] == "unknown_statement", a
        assert a["error"]["statement"] == "ab" * 16, a
        a = c.call({"op": "execute", "statement": "zz"})
        assert a["error"]["code"] == "unknown_statement", a
        # still fine
        c.ok({"cql": ins, "values": [1, "x"]})

        # timeout: the node answers after the request's timeout
        s.mock.delay(1, 1500)
        a = c.call({"cql": "SELECT v FROM ks.l WHERE k = 1",
                    "timeout_ms": 200})
        assert a["error"]["code"] == "timeout", a
        s.mock.delay(1, 0)

        # no hosts: the only node is down
        s.mock.stop(1)
        a = wait_until(lambda: (lambda x: x if not x["ok"] and
                                x["error"]["code"] == "no_hosts_available"
                                else None)(
            c.call({"cql": "SELECT v FROM ks.l WHERE k = 1"})),
            10, "no_hosts_available")
        assert isinstance(a["error"]["attempts"], list), a
        s.mock.start(1)
        wait_until(lambda: c.call({"cql": "SELECT v FROM ks.l WHERE k = 1"}
                                  )["ok"], 15, "the node back")


def test_global_inflight_cap():
    with Svc(nodes=1, listen={"max_inflight": 2}) as s:
        c = s.client()
        c.ok({"cql": KS})
        c.ok({"cql": "CREATE TABLE ks.o (k int PRIMARY KEY, v int)"})
        s.mock.delay(1, 300)
        c.send_many([{"id": i, "cql": "SELECT v FROM ks.o WHERE k = 1"}
                     for i in range(6)])
        answers = [c.recv() for _ in range(6)]
        over = [a for a in answers if not a["ok"]]
        ok = [a for a in answers if a["ok"]]
        assert len(ok) == 2 and len(over) == 4, answers
        for a in over:
            assert a["error"]["code"] == "overloaded", a
            assert a["error"]["local"] is True, a
        assert sorted(a["id"] for a in answers) == list(range(6))
        s.mock.delay(1, 0)
        # local ops are never capped
        c.ok({"op": "ping"})


def test_line_too_long():
    with Svc(nodes=1) as s:
        c = s.client()
        big = b'{"id": "big", "cql": "SELECT \'' + b"x" * (2 << 20) + \
            b'\' FROM system.local"}\n'
        before = b"".join(b'{"id": %d, "op": "ping"}\n' % i
                          for i in range(3))

        def writer():
            try:
                c.sock.sendall(before + big + b'{"op": "ping"}\n')
            except OSError:
                pass   # the daemon closed the connection: expected
        t = threading.Thread(target=writer)
        t.start()
        got = []
        while True:
            a = c.recv()
            if a is None:
                break
            got.append(a)
        t.join(20)
        assert [a.get("id") for a in got[:3]] == [0, 1, 2], got
        assert len(got) == 4, got
        assert got[3]["error"]["code"] == "line_too_long", got
        assert got[3]["error"]["message"], got
        # other clients are fine
        with s.client() as c2:
            c2.ok({"op": "ping"})
        # a line just under the limit is fine
        with s.client() as c3:
            q = "SELECT '" + "y" * 1000 + "' FROM system.local"
            a = c3.call({"cql": q})
            assert a["ok"] or a["error"]["code"] != "line_too_long", a


def test_line_limit_exact():
    """The limit counts neither the newline nor a carriage return before
    it; past it the error names the limit."""
    with Svc(nodes=1, listen={"max_line_length": 1024}) as s:
        def line(n, tag):
            head = b'{"op": "ping", "id": "' + tag + b'", "x": "'
            return head + b"y" * (n - len(head) - 2) + b'"}'
        at = line(1024, b"at")
        assert len(at) == 1024
        with s.client() as c:
            c.send(at + b"\n")
            assert c.recv()["id"] == "at"
            c.send(line(1024, b"crlf") + b"\r\n")
            assert c.recv()["id"] == "crlf"
            # the "\r" arrives alone, the "\n" once the daemon read it
            # (bytes_in counts every client's: less our stats requests)
            asks = len(json.dumps({"op": "stats"})) + 1
            calls = [1]
            before = s.stats()["clients"]["bytes_in"]

            def read_all():
                calls[0] += 1
                n = s.stats()["clients"]["bytes_in"]
                return n - before - (calls[0] - 1) * asks >= 1025
            c.send(line(1024, b"split") + b"\r")
            wait_until(read_all, 10, "the daemon read the line")
            c.send(b"\n")
            assert c.recv()["id"] == "split"
        with s.client() as c:
            c.send(line(1025, b"over") + b"\r\n")
            a = c.recv()
            assert a["error"]["code"] == "line_too_long", a
            assert a["error"]["limit"] == 1024, a
            assert "id" not in a, a
            assert c.at_eof()


def test_answer_too_large():
    """An answer past max_output_per_client is answer_too_large (with the
    limit), not a decoding error; smaller pages of it work."""
    with Svc(nodes=1, listen={"max_output_per_client": "64KiB"}) as s:
        c = s.client()
        c.ok({"cql": KS})
        c.ok({"cql": "CREATE TABLE ks.big (k int, c int, v text, "
                     "PRIMARY KEY (k, c))"})
        for i in range(40):
            c.ok({"cql": "INSERT INTO ks.big (k, c, v) VALUES (1, ?, ?)",
                  "values": [i, "x" * 4000]})
        a = c.call({"id": "all", "cql": "SELECT * FROM ks.big WHERE k = 1"})
        assert a["id"] == "all" and not a["ok"], a
        assert a["error"]["code"] == "answer_too_large", a
        assert a["error"]["limit"] == 65536, a
        rows, state = [], None
        while True:
            req = {"cql": "SELECT * FROM ks.big WHERE k = 1", "page_size": 5}
            if state:
                req["paging_state"] = state
            a = c.ok(req)
            rows += a["rows"]
            state = a.get("paging_state")
            if not state:
                break
        assert [r[1] for r in rows] == list(range(40)), rows


def test_hostile_ids_and_text():
    """A huge id is refused (without echoing it) even with the smallest
    output cap; answers stay valid UTF-8 whatever the client or a node
    put in a message."""
    with Svc(nodes=1, listen={"max_output_per_client": "64KiB"}) as s:
        with s.client() as c:
            a = c.call({"op": "ping", "id": "y" * 200000})
            assert not a["ok"] and a["error"]["code"] == "bad_request", a
            assert "id" not in a, a
            assert c.call({"op": "ping", "id": 1})["ok"]
            # "unknown op" quotes a cut of the name: never half a character
            c.send({"op": "a" + "\u00e9" * 40})
            line = c.recv_line()
            a = json.loads(line.decode("utf-8"))
            assert a["error"]["code"] == "unknown_op", a
            # a node's syntax error quoting non-ASCII text
            c.send({"cql": "SELEC \u00e9\u00e9\u00e9\u00e9"})
            line = c.recv_line()
            a = json.loads(line.decode("utf-8"))
            assert a["error"]["code"] == "syntax_error", a
            assert c.call({"op": "ping"})["ok"]


if __name__ == "__main__":
    run_tests([test_injected_errors, test_local_errors,
               test_global_inflight_cap, test_line_too_long,
               test_line_limit_exact, test_answer_too_large,
               test_hostile_ids_and_text])
