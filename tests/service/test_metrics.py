"""cqlproxyd's metrics through the real daemon in front of a 3-node cqlmock:
the `stats` operation and the Prometheus endpoint (scraped over HTTP on
127.0.0.1) count exactly the requests made, the latency histogram agrees
with the counters, the host gauges follow a node that stops and comes
back, clients are counted, and no configuration secret appears anywhere.

Runs in `make check` (env: top_builddir, CQLMOCK, PYTHONPATH=tests/lib)
on tests/service/svc.py's harness; exits 77 (skip) when the daemon or the
mock is not built.
"""

import http.client
import json
import os
import re
import socket
import sys
import unittest

from svc import Svc, skip_unless_built, wait_until

SECRET = "s3cr3t-pa55word-never-shown"


def free_port():
    """A TCP port free on 127.0.0.1 right now."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def parse_exposition(text):
    """{(name, frozenset(labels)): value}, checking each line's shape."""
    samples = {}
    label = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
    for line in text.split("\n"):
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$", line)
        assert m, "bad sample line: %r" % line
        labels = frozenset(label.findall(m.group(2) or ""))
        v = m.group(3)
        samples[(m.group(1), labels)] = float(v.replace("+Inf", "inf"))
    return samples


def val(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def series(samples, name):
    """[(labels dict, value)] of one metric name."""
    return [(dict(k[1]), v) for k, v in samples.items() if k[0] == name]


class MetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.prom_port = free_port()
        cls.svc = Svc(nodes=3,
                      metrics={"prometheus_listen":
                               "127.0.0.1:%d" % cls.prom_port},
                      auth={"username": "metrics-user", "password": SECRET})
        cls.svc.__enter__()
        cls.mock = cls.svc.mock
        # ping answers before the cluster is reached: wait for that too
        wait_until(lambda: cls.svc.stats()["cluster"]["ready"], 30,
                   "cqlproxyd to reach the cluster")

    @classmethod
    def tearDownClass(cls):
        cls.svc.__exit__(None, None, None)

    def setUp(self):
        self.c = self.svc.client()

    def tearDown(self):
        self.c.close()

    # -- helpers ---------------------------------------------------------

    def scrape(self, path="/metrics", method="GET"):
        conn = http.client.HTTPConnection("127.0.0.1", self.prom_port,
                                          timeout=10)
        try:
            conn.request(method, path)
            r = conn.getresponse()
            return r.status, r.getheader("Content-Type"), r.read().decode()
        finally:
            conn.close()

    def samples(self):
        status, ctype, body = self.scrape()
        self.assertEqual(status, 200)
        return parse_exposition(body)

    def stats(self):
        a = self.c.call({"op": "stats"})
        self.assertTrue(a["ok"], a)
        return a["stats"]

    def host_name(self, node):
        return "127.0.0.%d:%d" % (node, self.mock.port)

    # -- tests -----------------------------------------------------------

    def test_requests_counted_exactly(self):
        s0 = self.samples()
        st0 = self.stats()
        n = 25
        for i in range(n):
            a = self.c.call({"cql": "SELECT release_version "
                                    "FROM system.local"})
            self.assertTrue(a["ok"], a)
        for i in range(3):
            self.assertTrue(self.c.call({"op": "ping"})["ok"])
        self.c.send("{this is not json\n")
        self.assertEqual(self.c.recv()["error"]["code"], "bad_json")
        self.c.send('{"op": "frobnicate"}\n')
        self.assertEqual(self.c.recv()["error"]["code"], "unknown_op")
        # with ids, pipelined: each counted once as well
        for i in range(10):
            self.c.send({"id": i, "cql": "SELECT key FROM system.local"})
        got = sorted(self.c.recv()["id"] for i in range(10))
        self.assertEqual(got, list(range(10)))

        s1 = self.samples()
        st1 = self.stats()

        def delta(name, **labels):
            return val(s1, name, **labels) - val(s0, name, **labels)

        self.assertEqual(delta("cqlproxyd_requests_total", op="query",
                               outcome="ok"), n + 10)
        self.assertEqual(delta("cqlproxyd_requests_total", op="ping",
                               outcome="ok"), 3)
        self.assertEqual(delta("cqlproxyd_requests_total", op="invalid",
                               outcome="bad_json"), 1)
        self.assertEqual(delta("cqlproxyd_requests_total", op="invalid",
                               outcome="unknown_op"), 1)
        # the first stats call is counted by the time of the second
        self.assertEqual(delta("cqlproxyd_requests_total", op="stats",
                               outcome="ok"), 1)
        self.assertEqual(delta("cqlproxyd_request_duration_seconds_count",
                               op="query"), n + 10)
        self.assertEqual(delta("cqlproxyd_request_duration_seconds_bucket",
                               op="query", le="+Inf"), n + 10)
        self.assertGreater(delta("cqlproxyd_request_duration_seconds_sum",
                                 op="query"), 0)
        # buckets are cumulative and end at _count
        buckets = sorted(((float(l["le"].replace("+Inf", "inf")), v)
                          for l, v in series(
                              s1, "cqlproxyd_request_duration_seconds_bucket")
                          if l["op"] == "query"))
        self.assertEqual(len(buckets), 18)
        for (le0, v0), (le1, v1) in zip(buckets, buckets[1:]):
            self.assertLessEqual(v0, v1)
        self.assertEqual(buckets[-1][1], val(
            s1, "cqlproxyd_request_duration_seconds_count", op="query"))
        self.assertGreaterEqual(delta("cqlproxyd_core_requests_total"),
                                n + 10)
        self.assertEqual(val(s1, "cqlproxyd_requests_in_flight"), 0)

        # the stats op agrees
        q0 = st0["requests"]["by_op"].get("query", {})
        q1 = st1["requests"]["by_op"]["query"]
        self.assertEqual(q1["outcomes"]["ok"] -
                         q0.get("outcomes", {}).get("ok", 0), n + 10)
        self.assertEqual(q1["latency"]["count"] -
                         q0.get("latency", {}).get("count", 0), n + 10)
        self.assertEqual(q1["total"], sum(
            v for l, v in series(s1, "cqlproxyd_requests_total")
            if l["op"] == "query"))
        self.assertEqual(st1["requests"]["by_op"]["stats"]["in_flight"], 1)
        self.assertGreater(st1["clients"]["bytes_in"],
                           st0["clients"]["bytes_in"])
        self.assertGreater(st1["clients"]["bytes_out"],
                           st0["clients"]["bytes_out"])

    def test_errors_counted_by_code(self):
        s0 = self.samples()
        a = self.c.call({"cql": "SELECT * FROM no_such_ks.t"})
        self.assertFalse(a["ok"])
        code = a["error"]["code"]
        s1 = self.samples()
        self.assertEqual(val(s1, "cqlproxyd_requests_total", op="query",
                             outcome=code) -
                         val(s0, "cqlproxyd_requests_total", op="query",
                             outcome=code), 1)

    def test_prepared_cache(self):
        st0 = self.stats()
        self.assertIsNotNone(st0.get("prepared"),
                             "stats has no prepared cache counters")
        q = "SELECT release_version FROM system.local WHERE key = ?"
        for i in range(4):
            a = self.c.call({"cql": q, "values": ["local"]})
            self.assertTrue(a["ok"], a)
        st1 = self.stats()
        p0, p1 = st0["prepared"], st1["prepared"]
        # one statement: at most one miss, the other uses are hits
        self.assertEqual((p1["hits"] + p1["misses"]) -
                         (p0["hits"] + p0["misses"]), 4)
        self.assertGreaterEqual(p1["hits"] - p0["hits"], 3)
        self.assertGreaterEqual(p1["size"], 1)
        s = self.samples()
        self.assertEqual(val(s, "cqlproxyd_prepared_cache_hits_total"),
                         self.stats()["prepared"]["hits"])

    def test_clients_gauge(self):
        base = val(self.samples(), "cqlproxyd_clients_connected")
        acc = val(self.samples(), "cqlproxyd_clients_accepted_total")
        extra = [self.svc.client() for i in range(5)]
        try:
            for c in extra:
                self.assertTrue(c.call({"op": "ping"})["ok"])
            s = self.samples()
            self.assertEqual(val(s, "cqlproxyd_clients_connected"), base + 5)
            self.assertEqual(val(s, "cqlproxyd_clients_accepted_total"),
                             acc + 5)
        finally:
            for c in extra:
                c.close()
        wait_until(lambda: val(self.samples(), "cqlproxyd_clients_connected")
                   == base, 10, "closed clients to be counted")

    def test_http_endpoint(self):
        status, ctype, body = self.scrape()
        self.assertEqual(status, 200)
        self.assertEqual(ctype, "text/plain; version=0.0.4; charset=utf-8")
        self.assertIn("# TYPE cqlproxyd_requests_total counter\n", body)
        self.assertIn("# TYPE cqlproxyd_request_duration_seconds "
                      "histogram\n", body)
        self.assertEqual(self.scrape("/")[0], 404)
        self.assertEqual(self.scrape("/metrics/x")[0], 404)
        self.assertEqual(self.scrape(method="POST")[0], 405)

    def test_no_secrets(self):
        text = json.dumps(self.stats())
        self.assertNotIn(SECRET, text)
        self.assertNotIn(SECRET, self.scrape()[2])

    def test_zz_host_gauges_follow_a_node(self):
        # (runs last: it stops and restarts node 2)
        s = self.samples()
        self.assertEqual(val(s, "cqlproxyd_hosts", state="up"), 3)
        ups = series(s, "cqlproxyd_host_up")
        self.assertEqual(sorted(l["host"] for l, v in ups if v == 1),
                         sorted(self.host_name(i) for i in (1, 2, 3)))
        for l, v in ups:
            self.assertEqual(l["dc"], "datacenter1")
            self.assertEqual(l["distance"], "local")
        for l, v in series(s, "cqlproxyd_host_connections"):
            self.assertGreaterEqual(v, 1, l)
        self.assertEqual(val(s, "cqlproxyd_cluster_ready"), 1)
        downs0 = val(s, "cqlproxyd_host_downs_total")
        rec0 = val(s, "cqlproxyd_reconnects_total")

        self.mock.stop(2)
        h2 = self.host_name(2)

        def node2(v):
            s = self.samples()
            return [x for l, x in series(s, "cqlproxyd_host_up")
                    if l["host"] == h2] == [v]
        wait_until(lambda: node2(0), 15, "node 2's gauge to show it down")
        s = self.samples()
        self.assertEqual(val(s, "cqlproxyd_hosts", state="up"), 2)
        self.assertEqual(val(s, "cqlproxyd_hosts", state="down"), 1)
        self.assertEqual(val(s, "cqlproxyd_host_connections", host=h2), 0)
        self.assertGreater(val(s, "cqlproxyd_host_downs_total"), downs0)
        hosts = {h["address"]: h for h in self.stats()["cluster"]["hosts"]}
        self.assertEqual(hosts[h2]["state"], "down")
        self.assertEqual(sorted(h["state"] for h in hosts.values()),
                         ["down", "up", "up"])
        # requests keep working on the others, and are counted
        self.assertTrue(self.c.call({"cql": "SELECT key FROM system.local"})
                        ["ok"])

        self.mock.start(2)
        wait_until(lambda: node2(1), 20, "node 2's gauge to show it up")
        s = self.samples()
        self.assertEqual(val(s, "cqlproxyd_hosts", state="up"), 3)
        self.assertGreater(val(s, "cqlproxyd_reconnects_total"), rec0)


if __name__ == "__main__":
    skip_unless_built()
    unittest.main(verbosity=2)
