"""Test harness for cqlmock, the in-memory multi-node CQL cluster.

Starts tests/mock/cqlmock on a free loopback port, waits until every node
listens, talks JSON lines to its control socket and stops it on exit:

    with Mock(nodes=3) as m:
        m.stop(2)
        wait_until(lambda: ..., 10, "the driver to mark node 2 down")

Standard library only; the mock binary comes from $CQLMOCK, else from
$top_builddir/tests/mock/cqlmock.
"""

import json
import os
import random
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

__all__ = ["Mock", "MockError", "wait_until", "mock_path", "driver_cluster"]


class MockError(Exception):
    """The mock failed to start, stop or answer as its contract says."""


def mock_path():
    """Where the cqlmock binary is: $CQLMOCK, else under the build tree."""
    path = os.environ.get("CQLMOCK")
    if path:
        return path
    top = os.environ.get("top_builddir")
    if not top:
        top = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "..", "..")
    return os.path.join(top, "tests", "mock", "cqlmock")


def wait_until(predicate, timeout=10.0, what="condition", interval=0.05):
    """Poll predicate() until it returns a true value; return that value.

    Exceptions raised by the predicate count as "not yet" and the last one
    is shown in the failure message, together with what was awaited.
    """
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            value = predicate()
            if value:
                return value
            last = "last value %r" % (value,)
        except Exception as e:  # the condition may throw while in flux
            last = "last error %s: %s" % (type(e).__name__, e)
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1f s waiting for %s (%s)"
                                 % (timeout, what, last))
        time.sleep(interval)


def _port_free(port, hosts):
    """True when port can be bound on every host (no SO_REUSEADDR)."""
    for h in hosts:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((h, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


class Mock:
    """One running cqlmock cluster (a context manager)."""

    READY_TIMEOUT = 30.0
    STOP_TIMEOUT = 10.0
    CONTROL_TIMEOUT = 15.0

    def __init__(self, nodes=3, dcs=None, racks=None, num_tokens=None,
                 seed=None, trace_delay_ms=None, extra_args=None,
                 spare_addrs=3, binary=None):
        if dcs is not None and not isinstance(dcs, str):
            # accept {"dc1": 2, "dc2": 2} or [("dc1", 2), ...] as well
            items = dcs.items() if isinstance(dcs, dict) else dcs
            dcs = ",".join("%s:%d" % (d, n) for d, n in items)
        if dcs is not None:
            nodes = sum(int(p.split(":")[1]) for p in dcs.split(","))
        self.node_count = nodes
        self.dcs = dcs
        self.racks = racks
        self.num_tokens = num_tokens
        self.seed = seed
        self.trace_delay_ms = trace_delay_ms
        self.extra_args = list(extra_args or [])
        self.spare_addrs = spare_addrs
        self.binary = binary or mock_path()
        self.port = None
        self.proc = None
        self.dir = None
        self.control_path = None
        self.stderr_path = None
        self._ctl = None
        self._ctl_buf = b""
        self._lock = threading.Lock()

    # --- life cycle -------------------------------------------------------

    def __enter__(self):
        self.launch()
        return self

    def __exit__(self, etype, evalue, tb):
        if etype is None:
            self.shutdown()
            return False
        # keep the original failure; still stop the mock and show its log
        try:
            self.shutdown()
        except Exception as e:
            sys.stderr.write("cqlmock: %s\n" % e)
        self.dump_stderr()
        return False

    def addr(self, i):
        """Address of node i (1-based): 127.0.0.i."""
        return "127.0.0.%d" % i

    def launch(self):
        """Start the mock on a free port and wait for its `ready` line."""
        if not os.access(self.binary, os.X_OK):
            raise MockError("cqlmock binary not found or not executable: %s"
                            " (set $CQLMOCK or build tests/mock/cqlmock)"
                            % self.binary)
        self.dir = tempfile.mkdtemp(prefix="cqlmock.")
        self.control_path = os.path.join(self.dir, "control.sock")
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        rng = random.Random()
        hosts = [self.addr(i)
                 for i in range(1, self.node_count + self.spare_addrs + 1)]
        for attempt in range(8):
            port = rng.randint(20000, 60000)
            if not _port_free(port, hosts):
                continue
            if self._spawn(port):
                self.port = port
                return
        raise MockError("could not start cqlmock on a free port: %s"
                        % self.stderr_text()[-2000:])

    def _argv(self, port):
        argv = [self.binary, "--nodes", str(self.node_count), "--port", str(port),
                "--control", self.control_path]
        if self.dcs is not None:
            argv += ["--dcs", self.dcs]
        if self.racks is not None:
            argv += ["--racks", str(self.racks)]
        if self.num_tokens is not None:
            argv += ["--num-tokens", str(self.num_tokens)]
        if self.seed is not None:
            argv += ["--seed", str(self.seed)]
        if self.trace_delay_ms is not None:
            argv += ["--trace-delay-ms", str(self.trace_delay_ms)]
        return argv + self.extra_args

    def _spawn(self, port):
        """Run the mock; True once ready, False on a port collision."""
        if os.path.exists(self.control_path):
            os.unlink(self.control_path)
        errf = open(self.stderr_path, "wb")
        try:
            self.proc = subprocess.Popen(self._argv(port),
                                         stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE,
                                         stderr=errf, close_fds=True)
        finally:
            errf.close()
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + self.READY_TIMEOUT
        line = b""
        while b"\n" not in line:
            left = deadline - time.monotonic()
            if left <= 0:
                self._force_kill()
                raise MockError("cqlmock did not print `ready` within %.0f s;"
                                " stderr:\n%s" % (self.READY_TIMEOUT,
                                                  self.stderr_text()[-4000:]))
            r, _, _ = select.select([fd], [], [], min(left, 0.5))
            if not r:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                rc = self.proc.wait()
                err = self.stderr_text()
                self.proc = None
                if "in use" in err or "EADDRINUSE" in err:
                    return False
                raise MockError("cqlmock exited with status %d before `ready`;"
                                " stderr:\n%s" % (rc, err[-4000:]))
            line += chunk
        first = line.split(b"\n", 1)[0].strip()
        if first != b"ready":
            self._force_kill()
            raise MockError("cqlmock printed %r instead of `ready`; stderr:\n%s"
                            % (first, self.stderr_text()[-4000:]))
        # drain anything else it prints so it never blocks on a full pipe
        threading.Thread(target=self._drain, daemon=True).start()
        return True

    def _drain(self):
        proc = self.proc
        try:
            while proc.stdout.read(4096):
                pass
        except (OSError, ValueError):
            pass

    def _force_kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def shutdown(self):
        """SIGTERM the mock; it must exit 0 (SIGKILL after a timeout)."""
        self._close_control()
        proc, self.proc = self.proc, None
        problem = None
        if proc is not None:
            if proc.poll() is not None:
                problem = ("cqlmock had already exited with status %d"
                           % proc.returncode)
            else:
                proc.send_signal(signal.SIGTERM)
                try:
                    rc = proc.wait(self.STOP_TIMEOUT)
                    if rc != 0:
                        problem = "cqlmock exited with status %d" % rc
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                    problem = ("cqlmock ignored SIGTERM for %.0f s; killed"
                               % self.STOP_TIMEOUT)
            if proc.stdout is not None:
                proc.stdout.close()
        if problem:
            err = self.stderr_text()
            self._cleanup()
            raise MockError("%s; stderr:\n%s" % (problem, err[-4000:]))
        self._cleanup()

    def _cleanup(self):
        if self.dir and os.environ.get("CQLMOCK_KEEP_LOGS") is None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def stderr_text(self):
        """Everything the mock wrote on stderr so far."""
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except (OSError, TypeError):
            return ""

    def dump_stderr(self, tail=4000):
        text = self.stderr_text()
        if text:
            sys.stderr.write("---- cqlmock stderr (tail) ----\n%s\n"
                             "-------------------------------\n"
                             % text[-tail:])

    def alive(self):
        """True while the mock process runs."""
        return self.proc is not None and self.proc.poll() is None

    # --- control channel --------------------------------------------------

    def _close_control(self):
        if self._ctl is not None:
            self._ctl.close()
            self._ctl = None
            self._ctl_buf = b""

    def _control_once(self, line):
        if self._ctl is None:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(self.CONTROL_TIMEOUT)
            s.connect(self.control_path)
            self._ctl = s
        self._ctl.sendall(line)
        while b"\n" not in self._ctl_buf:
            chunk = self._ctl.recv(65536)
            if not chunk:
                raise ConnectionError("control socket closed by cqlmock")
            self._ctl_buf += chunk
        answer, self._ctl_buf = self._ctl_buf.split(b"\n", 1)
        return answer

    def control(self, req, check=False):
        """Send one request (a dict) on the control socket; return the answer.

        With check=True an {"ok": false} answer raises MockError.
        """
        line = (json.dumps(req) + "\n").encode()
        with self._lock:
            try:
                answer = self._control_once(line)
            except (OSError, ConnectionError):
                # one retry on a fresh connection (the old one may be stale)
                self._close_control()
                if not self.alive():
                    raise MockError("cqlmock is not running; stderr:\n%s"
                                    % self.stderr_text()[-4000:])
                answer = self._control_once(line)
        try:
            ans = json.loads(answer)
        except ValueError:
            raise MockError("control answer is not JSON: %r" % answer)
        if check and not ans.get("ok"):
            raise MockError("control %s failed: %s" % (json.dumps(req),
                                                       ans.get("error", ans)))
        return ans

    def stop(self, node):
        """Stop node (closes its listener and connections; state kept)."""
        return self.control({"op": "stop", "node": node}, check=True)

    def kill(self, node):
        """Kill node abruptly (connections reset)."""
        return self.control({"op": "kill", "node": node}, check=True)

    def start(self, node):
        """Start a stopped or killed node again."""
        return self.control({"op": "start", "node": node}, check=True)

    def add(self):
        """Add (bootstrap) a new node; returns its number."""
        ans = self.control({"op": "add"}, check=True)
        self.node_count = max(self.node_count, ans["node"])
        return ans["node"]

    def remove(self, node):
        """Decommission node from the ring."""
        return self.control({"op": "remove", "node": node}, check=True)

    def fail(self, node, error, count=1, match=None):
        """Make node answer the next count requests with an error."""
        req = {"op": "fail", "node": node, "error": error, "count": count}
        if match is not None:
            req["match"] = match
        return self.control(req, check=True)

    def delay(self, node, ms):
        """Delay every answer of node by ms milliseconds (0 to clear)."""
        return self.control({"op": "delay", "node": node, "ms": ms},
                            check=True)

    def clear(self):
        """Drop all injected failures and delays."""
        return self.control({"op": "clear"}, check=True)

    def stats(self, reset=False):
        """Per-node statistics (see tests/mock/README.md)."""
        req = {"op": "stats"}
        if reset:
            req["reset"] = True
        return self.control(req, check=True)

    def nodes(self):
        """The nodes as the mock describes them (list of dicts)."""
        ans = self.control({"op": "nodes"}, check=True)
        return ans["nodes"]


def driver_cluster(mock, contact=1, **kw):
    """A DataStax Python driver Cluster pointed at mock with test settings.

    Short reconnection and event windows so state changes show up fast;
    anything can be overridden by keyword. The 2 s heartbeat also finds
    pool connections closed under the driver when a DOWN event was
    discounted (the driver ignores DOWN while it still sees an open pool).
    """
    from cassandra.cluster import Cluster
    from cassandra.policies import ConstantReconnectionPolicy
    args = dict(contact_points=[mock.addr(contact)], port=mock.port,
                reconnection_policy=ConstantReconnectionPolicy(0.5),
                schema_event_refresh_window=0.1,
                topology_event_refresh_window=0.1,
                status_event_refresh_window=0.1,
                idle_heartbeat_interval=2, idle_heartbeat_timeout=5,
                connect_timeout=5, control_connection_timeout=5)
    args.update(kw)
    return Cluster(**args)
