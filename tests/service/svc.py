"""Harness for cqlproxyd's behaviour tests: a cqlmock cluster, then the
real daemon in front of it with a generated configuration and a socket in
a temporary directory.

    with Svc(nodes=3, listen={"max_inflight_per_client": 1000}) as s:
        c = s.client()
        a = c.call({"op": "ping"})
        assert a["ok"]

The daemon runs in the foreground with its log in the temporary
directory; when the `with` block fails the log's tail is printed and the
directory is kept (its path is printed too). Readiness is a `ping` answered
on the socket, polled. Standard library only, plus tests/lib/cqlmock.py.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from cqlmock import Mock, wait_until

__all__ = ["Svc", "Client", "daemon_path", "skip_unless_built", "wait_until"]

BUILD = os.environ.get("top_builddir") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")


def daemon_path():
    """The built daemon: $CQLPROXYD, else $top_builddir's."""
    p = os.environ.get("CQLPROXYD")
    if p:
        return p
    return os.path.join(BUILD, "daemon", "service", "cqlproxyd")


def skip_unless_built():
    """Exit 77 (automake's skip) when the daemon or the mock is missing."""
    from cqlmock import mock_path
    for p in (daemon_path(), mock_path()):
        if not os.access(p, os.X_OK):
            sys.stderr.write("skipped: %s not built\n" % p)
            sys.exit(77)


class Client:
    """One connection to the daemon: JSON lines both ways."""

    def __init__(self, path, timeout=20.0):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()
        return False

    def send(self, req):
        """Send a request (a dict, or raw bytes/str for a whole line)."""
        if isinstance(req, dict):
            line = (json.dumps(req) + "\n").encode()
        elif isinstance(req, str):
            line = req.encode()
        else:
            line = req
        self.sock.sendall(line)

    def send_many(self, reqs):
        self.sock.sendall(b"".join((json.dumps(r) + "\n").encode()
                                   for r in reqs))

    def recv_line(self):
        """One raw answer line (bytes, without the newline); b"" at EOF."""
        while b"\n" not in self.buf:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                rest, self.buf = self.buf, b""
                return rest
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def recv(self):
        """One answer, parsed; None at EOF."""
        line = self.recv_line()
        if not line:
            return None
        return json.loads(line)

    def call(self, req):
        self.send(req)
        a = self.recv()
        if a is None:
            raise AssertionError("EOF instead of an answer to %r" % (req,))
        return a

    def ok(self, req):
        """call() that insists on ok: true."""
        a = self.call(req)
        if not a.get("ok"):
            raise AssertionError("%r failed: %r" % (req, a))
        return a

    def shut_wr(self):
        self.sock.shutdown(socket.SHUT_WR)

    def at_eof(self, timeout=10.0):
        """True when the daemon closed its side (nothing more to read)."""
        self.sock.settimeout(timeout)
        return self.recv_line() == b"" and not self.buf


def ini(sections):
    out = []
    for sec, keys in sections.items():
        out.append("[%s]" % sec)
        for k, v in keys.items():
            if isinstance(v, bool):
                v = "true" if v else "false"
            out.append("%s = %s" % (k, v))
        out.append("")
    return "\n".join(out)


class Svc:
    """cqlmock plus cqlproxyd (a context manager)."""

    READY_TIMEOUT = 30.0

    def __init__(self, nodes=1, trace_delay_ms=None, mock=None,
                 mock_args=None, preexec_fn=None, **sections):
        self.preexec_fn = preexec_fn
        self.nodes = nodes
        self.trace_delay_ms = trace_delay_ms
        self.mock_args = mock_args
        self.sections = sections
        self.mock = mock
        self.own_mock = mock is None
        self.dir = None
        self.proc = None
        self.log_path = None
        self.socket = None
        self.conf_path = None
        self.expect_status = 0     # what the daemon must exit with

    # --- life cycle -------------------------------------------------------

    def __enter__(self):
        try:
            if self.own_mock:
                self.mock = Mock(nodes=self.nodes,
                                 trace_delay_ms=self.trace_delay_ms,
                                 extra_args=self.mock_args)
                self.mock.launch()
            self.dir = tempfile.mkdtemp(prefix="cqlproxyd.")
            os.chmod(self.dir, 0o755)
            self.socket = os.path.join(self.dir, "cqlproxyd.sock")
            self.write_config()
            self.start()
        except BaseException:
            self.dump_log()
            self._stop_all()
            raise
        return self

    def __exit__(self, etype, evalue, tb):
        if etype is not None:
            self.dump_log()
            sys.stderr.write("kept %s\n" % self.dir)
            self._stop_all(keep=True)
            return False
        self._stop_all()
        return False

    def config_text(self, overrides=None):
        secs = {
            "cluster": {
                "contact_points": "127.0.0.1",
                "port": self.mock.port,
                "topology_event_window": "100ms",
                "status_event_window": "100ms",
                "schema_event_window": "10ms",
                "connect_timeout": "2s",
                "request_timeout": "5s",
            },
            "policy": {
                "reconnect_base_delay": "200ms",
                "reconnect_max_delay": "1s",
            },
            "listen": {
                "socket": self.socket,
                "socket_mode": "0666",
                "drain_timeout": "10s",
            },
            "log": {"level": "debug", "target": "stderr"},
        }
        for sec, keys in list(self.sections.items()) + \
                list((overrides or {}).items()):
            secs.setdefault(sec, {}).update(keys)
        return ini(secs)

    def write_config(self, overrides=None, text=None):
        self.conf_path = os.path.join(self.dir, "cqlproxyd.conf")
        with open(self.conf_path, "w") as f:
            f.write(text if text is not None else
                    self.config_text(overrides))

    def start(self, wait=True, env=None, pass_fds=()):
        self.log_path = os.path.join(self.dir, "cqlproxyd.log")
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                [daemon_path(), "-f", "-c", self.conf_path],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                close_fds=True, env=env, pass_fds=pass_fds,
                preexec_fn=self.preexec_fn)
        finally:
            log.close()
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout=None):
        deadline = time.monotonic() + (timeout or self.READY_TIMEOUT)
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("cqlproxyd exited with %d before it "
                                     "was ready" % self.proc.returncode)
            try:
                with Client(self.socket, timeout=2) as c:
                    # any answer will do (a refused peer gets one too)
                    c.send({"op": "ping"})
                    a = c.recv()
                    if a is not None:
                        return
                    last = "EOF"
            except (OSError, ValueError, AssertionError) as e:
                last = e
            time.sleep(0.05)
        raise AssertionError("cqlproxyd not ready in time (%s)" % (last,))

    def _stop_all(self, keep=False):
        problem = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(20)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
                    problem = "cqlproxyd ignored SIGTERM; killed"
            if problem is None and self.proc.returncode != 0 and \
                    self.expect_status == 0:
                problem = "cqlproxyd exited with status %d" % \
                    self.proc.returncode
        self.proc = None
        if problem is None and self.log_path and \
                os.path.exists(self.log_path):
            text = self.log_text()
            for bad in ("AddressSanitizer", "LeakSanitizer",
                        "runtime error:", "bad state change"):
                if bad in text:
                    problem = "cqlproxyd log has %r" % bad
                    break
        if problem is not None and not keep:
            keep = True
            self.dump_log()
            sys.stderr.write("kept %s\n" % self.dir)
        if self.own_mock and self.mock is not None:
            try:
                self.mock.shutdown()
            except Exception as e:
                sys.stderr.write("cqlmock: %s\n" % e)
            self.mock = None
        if self.dir and not keep and \
                os.environ.get("CQLPROXYD_KEEP_LOGS") is None:
            shutil.rmtree(self.dir, ignore_errors=True)
        if problem is not None:
            raise AssertionError(problem)

    def dump_log(self, tail=6000):
        if self.log_path and os.path.exists(self.log_path):
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            sys.stderr.write("---- cqlproxyd log (tail) ----\n%s\n"
                             "------------------------------\n"
                             % text[-tail:])
        if self.mock is not None:
            self.mock.dump_stderr()

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    # --- helpers ----------------------------------------------------------

    def client(self, path=None, timeout=20.0):
        return Client(path or self.socket, timeout=timeout)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait_exit(self, timeout=30.0):
        return self.proc.wait(timeout)

    def cpu_seconds(self):
        """User plus system CPU time the daemon used so far."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / \
            os.sysconf("SC_CLK_TCK")

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return None

    def stats(self):
        with self.client() as c:
            return c.ok({"op": "stats"})["stats"]


def run_tests(tests):
    """Run each function of tests in order; print a line per test."""
    skip_unless_built()
    failed = 0
    for t in tests:
        t0 = time.monotonic()
        try:
            t()
            print("ok   %s (%.1f s)" % (t.__name__, time.monotonic() - t0))
        except Exception:
            import traceback
            failed += 1
            print("FAIL %s" % t.__name__)
            traceback.print_exc()
        sys.stdout.flush()
    sys.exit(1 if failed else 0)
