"""Signals, systemd and the command line (issue 4 "Configuration",
"Operations"; issue 7, 3):

- SIGHUP under load drops no request and no client, applies reloadable
  keys, keeps the old configuration when the new one is bad, keeps
  restart-only keys;
- SIGTERM under load: 200 requests written just before the signal (most
  still unread in the socket) are all answered, each client then reads
  EOF, exit status 0; a drain that runs out answers shutting_down; a second
  signal exits at once with a non-zero status;
- sd_notify: READY=1, RELOADING=1 then READY=1, STOPPING=1, WATCHDOG=1;
- socket activation: the socket comes from LISTEN_FDS, is not unlinked,
  and a client queued in it while no daemon ran is served by the next;
- cqlproxyd -t: 0 for a good file, 1 and "file:line: reason" for a bad one.
"""

import json
import os
import signal
import socket
import subprocess
import threading
import time

from svc import Svc, Client, daemon_path, run_tests, wait_until

KS = ("CREATE KEYSPACE ks WITH replication = "
      "{'class': 'SimpleStrategy', 'replication_factor': 1}")


def setup_table(s):
    with s.client() as c:
        c.ok({"cql": KS})
        c.ok({"cql": "CREATE TABLE ks.s (k int PRIMARY KEY, v int)"})
        c.ok({"cql": "INSERT INTO ks.s (k, v) VALUES (1, 1)"})


class Load:
    """Clients sending requests until stopped; counts what they got."""

    def __init__(self, s, nclients=4, window=16):
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
                        c.send({"id": self.sent[i],
                                "cql": "SELECT v FROM ks.s WHERE k = 1"})
                        self.sent[i] += 1
                        pending += 1
                    a = c.recv()
                    if a is None or not a["ok"] or a["rows"] != [[1]]:
                        self.errors.append(a)
                        return
                    self.got[i] += 1
                    pending -= 1
        except Exception as e:
            self.errors.append(repr(e))

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(30)
        return sum(self.sent), sum(self.got)


def test_sighup_under_load():
    with Svc(nodes=1) as s:
        setup_table(s)
        load = Load(s)
        wait_until(lambda: sum(load.got) > 200, 10, "load running")
        # 1: a good change of reloadable keys
        s.write_config({"listen": {"max_inflight_per_client": 64},
                        "log": {"level": "info"}})
        s.signal(signal.SIGHUP)
        wait_until(lambda: s.stats()["reloads"]["ok"] == 1, 10, "reload 1")
        # 2: a broken file: refused, old configuration kept
        s.write_config(text="[listen]\nmax_clients = lots\n")
        s.signal(signal.SIGHUP)
        wait_until(lambda: s.stats()["reloads"]["failed"] == 1, 10,
                   "reload 2 refused")
        # 3: a restart-only key changed: warned, kept
        s.write_config({"listen": {"backlog": 7}})
        s.signal(signal.SIGHUP)
        wait_until(lambda: s.stats()["reloads"]["ok"] == 2, 10, "reload 3")
        n0 = sum(load.got)
        wait_until(lambda: sum(load.got) > n0 + 200, 10, "load after")
        sent, got = load.finish()
        assert not load.errors, load.errors[:3]
        assert sent == got, (sent, got)
        log = s.log_text()
        assert "reload refused" in log and "max_clients" in log, log[-2000:]
        assert "listen.backlog" in log, log[-2000:]
        # the running configuration is the last good one
        with s.client() as c:
            c.ok({"op": "ping"})


def drain_run(s, ids, expect_status=0):
    """200 requests written right before SIGTERM: all answered, then EOF."""
    c = s.client()
    reqs = []
    for i in range(200):
        r = {"cql": "SELECT v FROM ks.s WHERE k = 1"}
        if ids:
            r["id"] = i
        reqs.append(r)
    c.send_many(reqs)
    s.signal(signal.SIGTERM)
    got = []
    while True:
        a = c.recv()
        if a is None:
            break
        got.append(a)
    rc = s.wait_exit(30)
    return got, rc


def test_sigterm_answers_everything():
    for ids in (False, True):
        with Svc(nodes=1, listen={"max_inflight_per_client": 8}) as s:
            setup_table(s)
            s.mock.delay(1, 5)
            other = s.client()
            other.ok({"op": "ping"})
            got, rc = drain_run(s, ids)
            assert rc == 0, rc
            assert len(got) == 200, len(got)
            assert all(a["ok"] and a["rows"] == [[1]] for a in got), \
                [a for a in got if not a["ok"]][:3]
            if ids:
                assert sorted(a["id"] for a in got) == list(range(200))
            # an idle client sees EOF too
            assert other.at_eof()
            assert not os.path.exists(s.socket)
            assert "every client answered" in s.log_text()


def test_drain_waits_for_orphans():
    """A client that sends a write and closes at once, then SIGTERM: the
    write still reaches the cluster before the daemon exits."""
    with Svc(nodes=1) as s:
        setup_table(s)
        s.mock.delay(1, 800)
        c = s.client()
        c.send_many([{"id": 1, "op": "ping"},
                     {"id": 2, "cql": "INSERT INTO ks.s (k, v) VALUES (?, ?)",
                      "values": [7, 70]}])
        c.close()
        s.signal(signal.SIGTERM)
        assert s.wait_exit(10) == 0
        s.mock.delay(1, 0)
        s.start()
        with s.client() as c2:
            a = c2.ok({"cql": "SELECT v FROM ks.s WHERE k = 7"})
            assert a["rows"] == [[70]], a


def delayed(s):
    """Requests the mock's nodes have held back so far."""
    return sum(n.get("delayed", 0) for n in s.mock.stats()["nodes"])


def test_drain_timeout_and_second_signal():
    with Svc(nodes=1, listen={"drain_timeout": "300ms"}) as s:
        setup_table(s)
        s.mock.delay(1, 3000)
        held = delayed(s)
        c = s.client()
        c.send_many([{"id": i, "cql": "SELECT v FROM ks.s WHERE k = 1"}
                     for i in range(5)])
        wait_until(lambda: delayed(s) >= held + 5, 10,
                   "the requests to reach the node")
        t0 = time.monotonic()
        s.signal(signal.SIGTERM)
        got = []
        while True:
            a = c.recv()
            if a is None:
                break
            got.append(a)
        assert s.wait_exit(10) == 0
        assert time.monotonic() - t0 < 2.5
        assert len(got) == 5, got
        for a in got:
            assert a["error"]["code"] == "shutting_down", a
        s.mock.delay(1, 0)
    with Svc(nodes=1) as s:
        s.expect_status = None
        setup_table(s)
        s.mock.delay(1, 5000)
        held = delayed(s)
        c = s.client()
        c.send({"cql": "SELECT v FROM ks.s WHERE k = 1"})
        wait_until(lambda: delayed(s) >= held + 1, 10,
                   "the request to reach the node")
        s.signal(signal.SIGTERM)
        wait_until(lambda: "draining 1 client" in s.log_text(), 10,
                   "the drain to start")
        time.sleep(0.1)
        assert s.proc.poll() is None    # still draining
        s.signal(signal.SIGINT)
        rc = s.wait_exit(5)
        assert rc != 0, rc
        s.mock.delay(1, 0)


def test_notify_and_watchdog():
    d = None
    with Svc(nodes=1) as s:
        d = s.dir
        path = os.path.join(s.dir, "notify.sock")
        ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        ns.bind(path)
        ns.settimeout(10)
        # restart the daemon with the notify socket and a watchdog
        s.signal(signal.SIGTERM)
        assert s.wait_exit(10) == 0
        env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="200000")
        s.start(env=env)
        msgs = []

        def until(word):
            while not any(word in m for m in msgs):
                msgs.append(ns.recv(4096).decode())
            return True
        until("READY=1")
        # the first at start, then every WATCHDOG_USEC / 2 by the timer
        t0 = time.monotonic()
        while sum("WATCHDOG=1" in m for m in msgs) < 3:
            msgs.append(ns.recv(4096).decode())
        assert time.monotonic() - t0 >= 0.1, msgs
        s.signal(signal.SIGHUP)
        until("RELOADING=1")
        assert any("MONOTONIC_USEC=" in m for m in msgs if "RELOADING" in m)
        idx = [i for i, m in enumerate(msgs) if "RELOADING=1" in m][0]
        while not any("READY=1" in m for m in msgs[idx + 1:]):
            msgs.append(ns.recv(4096).decode())
        s.signal(signal.SIGTERM)
        until("STOPPING=1")
        assert s.wait_exit(10) == 0
        ns.close()


def test_socket_activation():
    with Svc(nodes=1) as s:
        s.signal(signal.SIGTERM)
        assert s.wait_exit(10) == 0
        path = os.path.join(s.dir, "activated.sock")
        ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ls.bind(path)
        ls.listen(16)
        s.write_config({"listen": {"socket": path}})

        def run_daemon():
            fd = ls.fileno()

            def child():
                os.dup2(fd, 3)
                os.environ["LISTEN_FDS"] = "1"
                os.environ["LISTEN_PID"] = str(os.getpid())
            log = open(s.log_path, "ab")
            p = subprocess.Popen([daemon_path(), "-f", "-c", s.conf_path],
                                 stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=log, pass_fds=(fd, 3),
                                 preexec_fn=child)
            log.close()
            return p
        # a client that connects while no daemon runs waits in the backlog
        early = Client(path)
        early.send({"id": "early", "op": "ping"})
        s.proc = run_daemon()
        a = early.recv()
        assert a == {"id": "early", "ok": True}, a
        s.proc.send_signal(signal.SIGTERM)
        assert s.proc.wait(10) == 0
        assert early.at_eof()
        # the socket stays: systemd's, not ours to unlink
        assert os.path.exists(path)
        queued = Client(path)
        queued.send({"id": "queued", "op": "ping"})
        s.proc = run_daemon()
        assert queued.recv() == {"id": "queued", "ok": True}
        s.proc.send_signal(signal.SIGTERM)
        assert s.proc.wait(10) == 0
        s.proc = None
        ls.close()


def test_check_config():
    with Svc(nodes=1) as s:
        p = subprocess.run([daemon_path(), "-t", "-c", s.conf_path],
                           capture_output=True, text=True, timeout=10)
        assert p.returncode == 0, p.stderr
        assert "configuration OK" in p.stderr, p.stderr
        bad = os.path.join(s.dir, "bad.conf")
        with open(bad, "w") as f:
            f.write("[listen]\n; comment\nmax_clients = -5\n")
        p = subprocess.run([daemon_path(), "-t", "-c", bad],
                           capture_output=True, text=True, timeout=10)
        assert p.returncode == 1, p
        assert "%s:3:" % bad in p.stderr, p.stderr
        with open(bad, "w") as f:
            f.write("[cluster]\nno_such_key = 1\n")
        p = subprocess.run([daemon_path(), "-t", "-c", bad],
                           capture_output=True, text=True, timeout=10)
        assert p.returncode == 1 and "%s:2:" % bad in p.stderr, p.stderr
        p = subprocess.run([daemon_path(), "-t", "-c", bad + ".missing"],
                           capture_output=True, text=True, timeout=10)
        assert p.returncode == 1 and "missing" in p.stderr, p.stderr
        p = subprocess.run([daemon_path(), "-V"], capture_output=True,
                           text=True, timeout=10)
        assert p.returncode == 0 and p.stdout.startswith("cqlproxyd "), p
        p = subprocess.run([daemon_path(), "-x"], capture_output=True,
                           text=True, timeout=10)
        assert p.returncode == 1 and "usage" in p.stderr, p


if __name__ == "__main__":
    run_tests([test_sighup_under_load, test_sigterm_answers_everything,
               test_drain_waits_for_orphans,
               test_drain_timeout_and_second_signal,
               test_notify_and_watchdog, test_socket_activation,
               test_check_config])
