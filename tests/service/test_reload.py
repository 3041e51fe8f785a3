"""SIGHUP applies what can change at run time to the running cluster
connections (issue 4, "Configuration"):

- under load, a reload that denies a node and changes the retry policy
  drops no request and no client; afterwards the mock sees no request on
  the denied node (its connections close) and one attempt per failing
  request instead of two; allowing the node again brings traffic back;
- a reload the core refuses (a deny list with a name, not an address)
  keeps the whole old configuration, retry policy included, and the log
  says why; each key a good reload changes is logged, the password never.
"""

import signal
import threading

from svc import Svc, run_tests, wait_until

PROBE = "SELECT release_version AS retry_probe FROM system.local"


class Load:
    """Clients sending unrouted queries (every node takes a share)."""

    def __init__(self, s, nclients=4, window=8):
        self.stop = threading.Event()
        self.errors = []
        self.sent = [0] * nclients
        self.got = [0] * nclients
        self.threads = [threading.Thread(target=self.run, args=(s, i,
                                                                window))
                        for i in range(nclients)]
        for t in self.threads:
            t.start()

    def run(self, s, i, window):
        try:
            with s.client() as c:
                pending = 0
                while not self.stop.is_set() or pending:
                    while pending < window and not self.stop.is_set():
                        c.send({"id": self.sent[i], "cql":
                                "SELECT release_version FROM system.local"})
                        self.sent[i] += 1
                        pending += 1
                    a = c.recv()
                    if a is None or not a.get("ok") or \
                            a["rows"] != [["4.0.0"]]:
                        self.errors.append(a)
                        return
                    self.got[i] += 1
                    pending -= 1
        except Exception as e:
            self.errors.append(repr(e))

    def total(self):
        return sum(self.got)

    def advance(self, n, what):
        n0 = self.total()
        wait_until(lambda: self.total() >= n0 + n or self.errors, 20, what)
        assert not self.errors, self.errors[:3]

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(30)
        return sum(self.sent), sum(self.got)


def node_stats(s):
    return {n["node"]: n for n in s.mock.stats()["nodes"]}


def connections(s, node):
    """Connections open to node now (the stats count accepted ones)."""
    return {n["node"]: n for n in s.mock.nodes()}[node]["connections"]


def queries(st, node):
    return st[node]["requests"].get("QUERY", 0)


def probe_faults(s, c):
    """Send the probe (every node fails it) and count the attempts."""
    s.mock.stats(reset=True)
    a = c.call({"cql": PROBE})
    assert not a["ok"] and a["error"]["code"] == "unavailable", a
    return sum(n.get("faults", 0) for n in s.mock.stats()["nodes"])


def reload(s, overrides, count):
    s.write_config(overrides)
    s.signal(signal.SIGHUP)
    wait_until(lambda: s.stats()["reloads"]["ok"] == count, 10,
               "reload %d" % count)


def test_deny_and_retry_under_load():
    with Svc(nodes=3) as s:
        for node in (1, 2, 3):
            s.mock.fail(node, "unavailable", count=-1, match="retry_probe")
        with s.client() as c:
            # the default policy tries a second node after unavailable
            assert probe_faults(s, c) == 2
        load = Load(s)
        load.advance(300, "load running")
        s.mock.stats(reset=True)
        load.advance(300, "load spread")
        st = node_stats(s)
        for node in (1, 2, 3):
            assert queries(st, node) > 0, st

        reload(s, {"policy": {"deny_hosts": "127.0.0.2",
                              "retry": "fallthrough"}}, 1)
        load.advance(200, "load after the reload")
        # what node 2 had in flight was answered; then nothing more
        s.mock.stats(reset=True)
        load.advance(300, "load without node 2")
        st = node_stats(s)
        assert queries(st, 2) == 0, st
        assert queries(st, 1) > 0 and queries(st, 3) > 0, st
        wait_until(lambda: connections(s, 2) == 0, 10,
                   "node 2's connections closed")
        with s.client() as c:
            assert probe_faults(s, c) == 1      # fallthrough: no retry

        # allowed again: a pool and traffic come back
        reload(s, {"policy": {"retry": "fallthrough"}}, 2)
        wait_until(lambda: connections(s, 2) > 0, 10,
                   "node 2 connected again")
        s.mock.stats(reset=True)
        load.advance(300, "load with node 2 again")
        assert queries(node_stats(s), 2) > 0
        sent, got = load.finish()
        assert not load.errors, load.errors[:3]
        assert sent == got, (sent, got)
        assert s.stats()["reloads"]["failed"] == 0

        log = s.log_text()
        assert 'reload: policy.deny_hosts: "" -> "127.0.0.2"' in log, \
            log[-3000:]
        assert 'reload: policy.retry: "default" -> "fallthrough"' in log
        assert "need a restart" not in log and \
            "needs a restart" not in log, log[-3000:]


def test_refused_reload_keeps_everything():
    with Svc(nodes=2) as s:
        for node in (1, 2):
            s.mock.fail(node, "unavailable", count=-1, match="retry_probe")
        load = Load(s, nclients=2)
        load.advance(100, "load running")
        # parses, but the core wants addresses: refused as a whole
        s.write_config({"policy": {"deny_hosts": "db.example.com",
                                   "retry": "fallthrough"}})
        s.signal(signal.SIGHUP)
        wait_until(lambda: s.stats()["reloads"]["failed"] == 1, 10,
                   "reload refused")
        load.advance(100, "load after the refused reload")
        with s.client() as c:
            assert probe_faults(s, c) == 2      # still the default policy
        assert connections(s, 1) > 0 and connections(s, 2) > 0
        log = s.log_text()
        assert "reload refused" in log and "deny_hosts" in log, log[-3000:]
        assert "reload: policy.retry" not in log, log[-3000:]

        # a good one afterwards: each changed key is logged, secrets not
        reload(s, {"policy": {"retry": "downgrading"},
                   "auth": {"username": "u", "password": "s3cret"}}, 1)
        with s.client() as c:
            c.ok({"op": "ping"})
        sent, got = load.finish()
        assert not load.errors, load.errors[:3]
        assert sent == got, (sent, got)
        log = s.log_text()
        assert 'reload: policy.retry: "default" -> "downgrading"' in log
        assert "s3cret" not in log, log[-3000:]
        assert "auth.username" in log and "auth.password" in log


if __name__ == "__main__":
    run_tests([test_deny_and_retry_under_load,
               test_refused_reload_keeps_everything])
