"""Execution order (issue 7, 1; docs/protocol.md "Execution order"):

- a file of 300 lines without ids (DDL, writes, reads of just-written
  rows, use, DROP) piped through socat is answered in order and correctly,
  20 times over, each time by a new socat that half-closes after its last
  line;
- 1,000 requests with ids in flight at once on one connection are all
  answered and matched by id;
- mixing: a request without an id waits for everything before it and
  holds back everything after it.
Prints the in-order and pipelined throughput on one connection.
"""

import json
import shutil
import subprocess
import time

from svc import Svc, run_tests

KS = ("CREATE KEYSPACE ks WITH replication = "
      "{'class': 'SimpleStrategy', 'replication_factor': 3}")


def script(r):
    """300 request lines and, for each, a check of its answer."""
    t = "o%d" % r
    lines, checks = [], []

    def add(req, check):
        lines.append(json.dumps(req))
        checks.append(check)

    def ok(a):
        return a["ok"]

    def rows(expected):
        return lambda a: a["ok"] and a["rows"] == expected

    add({"cql": "CREATE TABLE ks.%s (k int PRIMARY KEY, v int)" % t},
        lambda a: a["ok"] and a["schema_agreement"] is True)
    i = 0
    while len(lines) < 240:
        add({"cql": "INSERT INTO ks.%s (k, v) VALUES (?, ?)" % t,
             "values": [i, i * 7]}, ok)
        add({"cql": "SELECT v FROM ks.%s WHERE k = ?" % t, "values": [i]},
            rows([[i * 7]]))
        add({"cql": "UPDATE ks.%s SET v = %d WHERE k = %d" % (t, i + 1, i)},
            ok)
        add({"cql": "SELECT v FROM ks.%s WHERE k = %d" % (t, i)},
            rows([[i + 1]]))
        if i % 3 == 0:
            add({"cql": "DELETE FROM ks.%s WHERE k = %d" % (t, i)}, ok)
            add({"cql": "SELECT v FROM ks.%s WHERE k = %d" % (t, i)},
                rows([]))
        i += 1
    if len(lines) % 2:
        add({"op": "ping"}, ok)
    # DDL in the middle: the next statement sees the new column
    add({"cql": "ALTER TABLE ks.%s ADD w text" % t}, ok)
    add({"op": "use", "keyspace": "ks"}, ok)
    while len(lines) < 298:
        n = len(lines)
        add({"cql": "INSERT INTO %s (k, v, w) VALUES (?, ?, ?)" % t,
             "values": [1000 + n, n, "w%d" % n]}, ok)
        add({"cql": "SELECT w FROM %s WHERE k = ?" % t,
             "values": [1000 + n]}, rows([["w%d" % n]]))
    add({"cql": "DROP TABLE ks.%s" % t}, ok)
    add({"op": "ping"}, lambda a: a == {"ok": True})
    assert len(lines) == 300
    return lines, checks


def test_socat_in_order():
    socat = shutil.which("socat")
    with Svc(nodes=3) as s:
        with s.client() as c:
            c.ok({"cql": KS})
        total_t = 0.0
        for r in range(20):
            lines, checks = script(r)
            data = ("\n".join(lines) + "\n").encode()
            t0 = time.monotonic()
            if socat:
                p = subprocess.run([socat, "-", "UNIX-CONNECT:" + s.socket],
                                   input=data, capture_output=True,
                                   timeout=60)
                assert p.returncode == 0, p.stderr
                out = p.stdout
            else:   # the same thing by hand: write all, half-close, read
                with s.client() as c:
                    c.sock.sendall(data)
                    c.shut_wr()
                    out = b""
                    while True:
                        b = c.sock.recv(1 << 16)
                        if not b:
                            break
                        out += b
            total_t += time.monotonic() - t0
            answers = out.decode().splitlines()
            assert len(answers) == 300, (r, len(answers), answers[-3:])
            for i, (line, check, ans) in enumerate(zip(lines, checks,
                                                        answers)):
                a = json.loads(ans)
                assert "id" not in a, a
                assert check(a), (r, i, line, a)
        print("in order through socat: %d requests in %.2f s (%.0f/s, "
              "process start included)" % (6000, total_t, 6000 / total_t))


def test_pipelined_1000():
    with Svc(nodes=3, listen={"max_inflight_per_client": 2000}) as s:
        c = s.client()
        c.ok({"cql": KS})
        c.ok({"cql": "CREATE TABLE ks.p (k int PRIMARY KEY, v text)"})
        for i in range(0, 1000, 100):
            c.ok({"op": "batch", "type": "unlogged", "statements": [
                {"cql": "INSERT INTO ks.p (k, v) VALUES (?, ?)",
                 "values": [k, "v%d" % k]} for k in range(i, i + 100)]})
        # every node holds its answers back 300 ms: all 1,000 are in
        # flight at the same time
        for n in (1, 2, 3):
            s.mock.delay(n, 300)
        reqs = [{"id": "q%d" % k, "cql": "SELECT v FROM ks.p WHERE k = ?",
                 "values": [k]} for k in range(1000)]
        t0 = time.monotonic()
        c.send_many(reqs)
        seen = {}
        for _ in range(1000):
            a = c.recv()
            assert a["ok"], a
            assert a["id"] not in seen, a
            seen[a["id"]] = a["rows"]
        took = time.monotonic() - t0
        assert took < 10, took     # concurrent, not 1,000 x 300 ms
        for k in range(1000):
            assert seen["q%d" % k] == [["v%d" % k]], (k, seen["q%d" % k])
        for n in (1, 2, 3):
            s.mock.delay(n, 0)
        # throughput, one connection: in order vs pipelined
        n = 2000
        t0 = time.monotonic()
        for k in range(n):
            c.send({"cql": "SELECT v FROM ks.p WHERE k = ?",
                    "values": [k % 1000]})
            assert c.recv()["ok"]
        t_order = time.monotonic() - t0
        t0 = time.monotonic()
        c.send_many([{"id": k, "cql": "SELECT v FROM ks.p WHERE k = ?",
                      "values": [k % 1000]} for k in range(n)])
        for k in range(n):
            assert c.recv()["ok"]
        t_pipe = time.monotonic() - t0
        print("one connection: in order %.0f req/s, pipelined %.0f req/s"
              % (n / t_order, n / t_pipe))


def test_mixing():
    with Svc(nodes=1) as s:
        c = s.client()
        c.ok({"cql": KS})
        c.ok({"cql": "CREATE TABLE ks.slow (k int PRIMARY KEY, v int)"})
        c.ok({"cql": "CREATE TABLE ks.fast (k int PRIMARY KEY, v int)"})
        c.ok({"cql": "INSERT INTO ks.fast (k, v) VALUES (1, 1)"})
        s.mock.control({"op": "delay", "node": 1, "ms": 250,
                        "match": "ks.slow"}, check=True)
        c.send_many([
            {"id": "a", "cql": "INSERT INTO ks.slow (k, v) VALUES (1, 1)"},
            # no id: must see a's row, so it waited for a
            {"cql": "SELECT v FROM ks.slow WHERE k = 1"},
            # fast, but must not start before the request above answered
            {"id": "b", "cql": "UPDATE ks.fast SET v = 2 WHERE k = 1"},
            {"id": "c", "cql": "SELECT v FROM ks.fast WHERE k = 1"},
            {"cql": "SELECT v FROM ks.fast WHERE k = 1"},
        ])
        a = [c.recv() for _ in range(5)]
        assert a[0]["id"] == "a" and a[0]["ok"], a
        assert "id" not in a[1] and a[1]["rows"] == [[1]], a
        assert {x.get("id") for x in a[2:4]} == {"b", "c"}, a
        assert "id" not in a[4] and a[4]["rows"] == [[2]], a


if __name__ == "__main__":
    run_tests([test_socat_in_order, test_pipelined_1000, test_mixing])
