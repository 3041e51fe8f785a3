"""cqlproxyd's benchmark suite: runs every benchmark against a 3-node
cqlmock on loopback and prints the results as tables.

    bench.py [--tiny] [--rounds N] [--duration S] [--json FILE]
             [--markdown FILE] [--only SECTION,...]

Sections (each bounded in time):
  throughput  cqlmock's own ceiling (mock-load, raw frames), the driver core
              in one process (core-bench), cqlproxyd with many pipelining
              clients (proxy-load) and the Python driver's execute_async
              (py-driver.py) at the same concurrency, in rounds: medians of
              the rounds, and ratios taken within each round.  Then the
              core and cqlproxyd again with the mock on a CPU of its own
              and the client side on the others (the mock stands in for
              servers on other machines).
  order       one client connection: requests without ids (run in order)
              against requests with ids (pipelined).
  oneshot     the CGI case: a new process runs one query and exits
              (cqlp-oneshot on libcqlproxy, the cqlproxy command, socat,
              the Python driver), interleaved, median wall time.
  scale       a fresh daemon: idle clients at 1,000 / 5,000 / 10,000 (RSS
              slope per client), memory after they leave, and the CGI
              pattern of short connections (errors, descriptor leak).
  profile     (only when asked: --only profile) perf record of the daemon
              during one proxied run, with its report.

--tiny runs each once at a tiny size (what make check does, through
test_bench_tiny.sh): it checks that everything still runs, not speed.
Exit status: 0 when every benchmark ran without errors (goals missed are
reported, not failed), 1 otherwise.

The programs come from $top_builddir (default: the current directory);
the mock is tests/mock/cqlmock (or $CQLMOCK), the daemon
daemon/service/cqlproxyd.  Run with /usr/bin/python3 (the Python driver).
"""

import argparse
import importlib.util
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from cqlmock import Mock, MockError  # noqa: E402

QUERY = "SELECT v FROM bench.kv WHERE k = ?"
LIBCQLP = "libcqlproxy (C program, shared library)"
LIBCQLP_STATIC = "libcqlproxy (the same program, libcqlproxy.a linked in)"
PYDRV = "Python driver (Cluster, connect, query, shutdown)"
EXPECT = "value-00000001"

# Goals (docs/performance.md; issue 5 and issue 7 section 4).
GOAL_PROXY_VS_CORE = 0.8
GOAL_PROXY_VS_PYTHON = 10.0
GOAL_ONESHOT_VS_PYTHON = 100.0
GOAL_IDLE_BYTES = 800


class BenchError(Exception):
    """A benchmark program failed (not a goal missed: a broken run)."""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


class Bench:
    """Paths, settings and the processes (mock, daemon) of one run."""

    def __init__(self, args):
        self.args = args
        self.top = os.path.abspath(os.environ.get("top_builddir", "."))
        os.environ.setdefault("CQLMOCK", self.prog("tests/mock/cqlmock"))
        self.tiny = args.tiny
        self.results = {"machine": machine_note(), "tiny": self.tiny}
        self.failures = []
        self.mock = None
        self.daemon = None
        self.daemon_dir = None
        # The separate-CPU layout (run_apart): the mock on the last CPU,
        # the client side on the others; None on a single CPU.
        cpus = sorted(os.sched_getaffinity(0))
        self.apart = (({cpus[-1]}, set(cpus[:-1])) if len(cpus) >= 2
                      else None)

    # --- paths

    def prog(self, rel):
        return os.path.join(self.top, rel)

    def have(self, rel):
        return os.access(self.prog(rel), os.X_OK)

    def cli_cmd(self):
        """The cqlproxy command without libtool's wrapper script."""
        real = self.prog("libclient/cli/.libs/cqlproxy")
        if os.access(real, os.X_OK):
            return [real], {"LD_LIBRARY_PATH":
                            self.prog("libclient/.libs")}
        if self.have("libclient/cli/cqlproxy"):
            return [self.prog("libclient/cli/cqlproxy")], {}
        return None, {}

    # --- running programs

    def run_json(self, argv, timeout, env=None, what=None, cpus=None):
        """Run a program that prints one JSON line; return it parsed.
        cpus: the CPUs it may run on (default: any)."""
        e = dict(os.environ)
        if env:
            e.update(env)
        pre = None
        if cpus is not None:
            def pre():
                os.sched_setaffinity(0, cpus)
        try:
            p = subprocess.run(argv, capture_output=True, text=True,
                               timeout=timeout, env=e, preexec_fn=pre)
        except subprocess.TimeoutExpired:
            raise BenchError("%s: no result within %ds" %
                             (what or argv[0], timeout))
        lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
        if p.returncode != 0 or not lines:
            raise BenchError("%s exited %d: %s %s" % (
                what or os.path.basename(argv[0]), p.returncode,
                p.stdout[-500:], p.stderr[-1500:]))
        return json.loads(lines[-1])

    # --- the mock and the daemon

    def start_mock(self):
        self.mock = Mock(nodes=3)
        self.mock.launch()
        self.run_checked([self.prog("tests/bench/mock-load"), "--port",
                          str(self.mock.port), "--setup", "--keys", "1000"],
                         60, "schema setup")

    def run_checked(self, argv, timeout, what):
        p = subprocess.run(argv, capture_output=True, text=True,
                           timeout=timeout)
        if p.returncode != 0:
            raise BenchError("%s failed: %s" % (what, p.stderr[-1500:]))

    def start_daemon(self):
        """A cqlproxyd on the mock, with room for the scale benchmark."""
        self.stop_daemon()
        self.daemon_dir = tempfile.mkdtemp(prefix="cqlbench.")
        sock = os.path.join(self.daemon_dir, "cqlproxyd.sock")
        conf = os.path.join(self.daemon_dir, "cqlproxyd.conf")
        with open(conf, "w") as f:
            f.write("[cluster]\ncontact_points = 127.0.0.1\nport = %d\n"
                    "[listen]\nsocket = %s\nsocket_mode = 0600\n"
                    "max_clients = 15000\n"
                    "[log]\nlevel = warn\ntarget = stderr\n"
                    % (self.mock.port, sock))
        err = open(os.path.join(self.daemon_dir, "stderr.log"), "w")

        def raise_nofile():
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

        self.daemon = subprocess.Popen(
            [self.prog("daemon/service/cqlproxyd"), "-f", "-c", conf],
            stdin=subprocess.DEVNULL, stdout=err, stderr=err,
            preexec_fn=raise_nofile)
        err.close()
        self.sock = sock
        deadline = time.monotonic() + 20
        last = None
        while time.monotonic() < deadline:
            if self.daemon.poll() is not None:
                break
            try:
                ans = self.ask('{"cql": "%s", "values": [1]}' % QUERY)
                if '"ok": true' in ans or '"ok":true' in ans:
                    return
                last = ans
            except OSError as e:
                last = repr(e)
            time.sleep(0.05)
        raise BenchError("cqlproxyd not ready (%s): %s" %
                         (last, self.daemon_stderr()))

    def ask(self, line):
        """One request on a new connection; the answer line."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect(self.sock)
            s.sendall(line.encode() + b"\n")
            buf = b""
            while b"\n" not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
            return buf.decode(errors="replace").strip()
        finally:
            s.close()

    def daemon_stderr(self):
        if not self.daemon_dir:
            return ""
        try:
            with open(os.path.join(self.daemon_dir, "stderr.log")) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def stop_daemon(self):
        if self.daemon is not None:
            self.daemon.send_signal(signal.SIGTERM)
            try:
                rc = self.daemon.wait(15)
                if rc != 0:
                    self.failures.append("cqlproxyd exited %d on SIGTERM: %s"
                                         % (rc, self.daemon_stderr()))
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()
                self.failures.append("cqlproxyd did not exit on SIGTERM")
            self.daemon = None
        if self.daemon_dir:
            shutil.rmtree(self.daemon_dir, ignore_errors=True)
            self.daemon_dir = None

    def close(self):
        self.stop_daemon()
        if self.mock is not None:
            self.mock.shutdown()
            self.mock = None

    # --- sections

    def timing(self):
        a = self.args
        if self.tiny:
            return {"duration": "0.3", "warmup": "0.1"}
        return {"duration": str(a.duration), "warmup": str(a.warmup)}

    def load_args(self, t):
        return ["--duration", t["duration"], "--warmup", t["warmup"]]

    def run_round(self, conc):
        """One round of the throughput variants; name -> result."""
        t = self.timing()
        tmo = float(t["duration"]) + float(t["warmup"]) + 60
        mockw = ["--watch", "mock:%d" % self.mock.proc.pid]
        out = {}
        mconns, mdepth = (3, 4) if self.tiny else (12, 32)
        out["mock"] = self.run_json(
            [self.prog("tests/bench/mock-load"), "--port",
             str(self.mock.port), "--conns", str(mconns), "--depth",
             str(mdepth)] + self.load_args(t) + mockw, tmo)
        out["core"] = self.run_json(
            [self.prog("tests/bench/core-bench"), "--port",
             str(self.mock.port), "--concurrency", str(conc)] +
            self.load_args(t) + mockw, tmo)
        if self.daemon is not None:
            conns = 4 if self.tiny else 16
            out["proxy"] = self.run_json(
                [self.prog("tests/bench/proxy-load"), "--socket", self.sock,
                 "--conns", str(conns), "--depth", str(conc // conns),
                 "--mode", "ids"] + self.load_args(t) + mockw +
                ["--watch", "daemon:%d" % self.daemon.pid], tmo)
        if self.python_ok:
            out["python"] = self.run_json(
                [sys.executable, os.path.join(HERE, "py-driver.py"),
                 "throughput", "--port", str(self.mock.port),
                 "--concurrency", str(conc), "--duration", t["duration"],
                 "--warmup", t["warmup"]], tmo + 30, what="py-driver.py")
        if self.apart is not None:
            out.update(self.run_apart(conc, tmo))
        for name, r in out.items():
            if r.get("errors", 0) or r.get("requests", 0) == 0:
                self.failures.append("%s: %s errors in %s requests (%s)" % (
                    name, r.get("errors"), r.get("requests"),
                    r.get("first_error", "")))
        return out

    def pin(self, pid, cpus):
        """Every thread of pid on cpus."""
        for t in os.listdir("/proc/%d/task" % pid):
            try:
                os.sched_setaffinity(int(t), cpus)
            except OSError:
                pass

    def run_apart(self, conc, tmo):
        """The driver core and cqlproxyd again with the mock on a CPU of
        its own and the client side (load generator, core, daemon) on
        the others: the mock stands in for servers on other machines, so
        here it does not compete with the client side for CPU."""
        mock_cpus, client_cpus = self.apart
        t = self.timing()
        mockw = ["--watch", "mock:%d" % self.mock.proc.pid]
        out = {}
        self.pin(self.mock.proc.pid, mock_cpus)
        try:
            out["core_apart"] = self.run_json(
                [self.prog("tests/bench/core-bench"), "--port",
                 str(self.mock.port), "--concurrency", str(conc)] +
                self.load_args(t) + mockw, tmo, cpus=client_cpus)
            if self.daemon is not None:
                conns = 4 if self.tiny else 16
                self.pin(self.daemon.pid, client_cpus)
                out["proxy_apart"] = self.run_json(
                    [self.prog("tests/bench/proxy-load"), "--socket",
                     self.sock, "--conns", str(conns), "--depth",
                     str(conc // conns), "--mode", "ids"] +
                    self.load_args(t) + mockw +
                    ["--watch", "daemon:%d" % self.daemon.pid], tmo,
                    cpus=client_cpus)
        finally:
            every = set(range(os.cpu_count() or 1))
            self.pin(self.mock.proc.pid, every)
            if self.daemon is not None:
                self.pin(self.daemon.pid, every)
        return out

    def section_throughput(self):
        rounds = 1 if self.tiny else self.args.rounds
        conc = 16 if self.tiny else self.args.concurrency
        runs = []
        for i in range(rounds):
            log("throughput round %d/%d" % (i + 1, rounds))
            runs.append(self.run_round(conc))
        res = {"concurrency": conc, "rounds": rounds, "runs": runs}
        names = ["mock", "core", "proxy", "python", "core_apart",
                 "proxy_apart"]
        summary = {}
        for n in names:
            rs = [r[n] for r in runs if n in r]
            if not rs:
                continue
            summary[n] = {k: median([r.get(k) for r in rs]) for k in
                          ("rps", "p50_us", "p99_us", "p999_us",
                           "mock_cpu_us", "daemon_cpu_us", "self_cpu_us")}
        ratios = {}
        for a, b in (("proxy", "core"), ("proxy", "python"),
                     ("core", "mock"), ("proxy", "mock"),
                     ("proxy_apart", "core_apart")):
            xs = [r[a]["rps"] / r[b]["rps"] for r in runs
                  if a in r and b in r and r[b]["rps"] > 0]
            if xs:
                ratios["%s/%s" % (a, b)] = median(xs)
        res["summary"] = summary
        res["ratios"] = ratios
        self.results["throughput"] = res

    def section_order(self):
        if self.daemon is None:
            return
        t = self.timing()
        tmo = float(t["duration"]) + float(t["warmup"]) + 60
        depth = 8 if self.tiny else 128
        rounds = 1 if self.tiny else self.args.rounds
        runs = []
        for i in range(rounds):
            log("order round %d/%d" % (i + 1, rounds))
            r = {}
            for mode in ("inorder", "ids"):
                r[mode] = self.run_json(
                    [self.prog("tests/bench/proxy-load"), "--socket",
                     self.sock, "--conns", "1", "--depth", str(depth),
                     "--mode", mode] + self.load_args(t) +
                    ["--watch", "daemon:%d" % self.daemon.pid], tmo)
                if r[mode].get("errors") or not r[mode].get("requests"):
                    self.failures.append("one connection %s: %s" % (
                        mode, r[mode]))
            runs.append(r)
        summary = {m: {k: median([r[m].get(k) for r in runs]) for k in
                       ("rps", "p50_us", "p99_us", "p999_us",
                        "daemon_cpu_us")} for m in ("inorder", "ids")}
        ratio = median([r["ids"]["rps"] / r["inorder"]["rps"] for r in runs
                        if r["inorder"]["rps"] > 0])
        self.results["order"] = {"depth": depth, "runs": runs,
                                 "summary": summary, "ids/inorder": ratio}

    def section_oneshot(self):
        """hyperfine-like: per command, warm-up runs then timed runs; the
        whole sequence repeated in rounds, ratios taken within a round."""
        rounds = 1 if self.tiny else self.args.rounds
        reps = 1 if self.tiny else self.args.oneshot_runs
        warm = 0 if self.tiny else 2
        st = self.prog("tests/bench/spawn-time")
        cmds = [("empty process (/bin/true): the floor", ["/bin/true"],
                 None, {}, None)]
        if self.daemon is not None:
            if self.have("tests/bench/cqlp-oneshot"):
                cmds.append((LIBCQLP, [self.prog("tests/bench/cqlp-oneshot"),
                                       self.sock], None, {}, EXPECT))
            if self.have("tests/bench/cqlp-oneshot-static"):
                cmds.append((LIBCQLP_STATIC,
                             [self.prog("tests/bench/cqlp-oneshot-static"),
                              self.sock], None, {}, EXPECT))
            cli, env = self.cli_cmd()
            if cli is not None:
                cmds.append(("cqlproxy command",
                             cli + ["-s", self.sock, "-e", QUERY,
                                    "--values", "[1]"], None, env, EXPECT))
            socat = shutil.which("socat")
            if socat:
                req = os.path.join(self.daemon_dir, "oneshot.json")
                with open(req, "w") as f:
                    f.write('{"cql": "%s", "values": [1]}\n' % QUERY)
                cmds.append(("socat (a JSON line piped in)",
                             [socat, "-", "UNIX-CONNECT:" + self.sock],
                             req, {}, EXPECT))
        if self.python_ok:
            cmds.append((PYDRV, [sys.executable,
                                 os.path.join(HERE, "py-driver.py"),
                                 "oneshot", "--port", str(self.mock.port)],
                         None, {}, EXPECT))
        per_round = []
        mins = {}
        broken = set()
        for i in range(rounds):
            log("one-shot round %d/%d" % (i + 1, rounds))
            med = {}
            # A different command goes first in each round, so that no
            # command always follows the same one.
            k = i % len(cmds)
            for name, argv, stdin, env, expect in cmds[k:] + cmds[:k]:
                if name in broken:
                    continue
                n = max(1, reps // 2) if name == PYDRV else reps
                pre = [st, "-w", str(warm), "-n", str(n)]
                if expect:
                    pre += ["-e", expect]
                if stdin:
                    pre += ["-i", stdin]
                try:
                    r = self.run_json(pre + ["--"] + argv, 300, env=env,
                                      what="one-shot " + name)
                except BenchError as e:
                    broken.add(name)
                    self.failures.append(str(e))
                    continue
                med[name] = r["median_ms"]
                mins[name] = min(mins.get(name, r["min_ms"]), r["min_ms"])
            per_round.append(med)
        res = {"rounds": rounds, "runs": reps, "warmup": warm,
               "median_ms": {}, "min_ms": mins, "per_round": per_round}
        for name, _, _, _, _ in cmds:
            xs = [r[name] for r in per_round if name in r]
            if xs:
                res["median_ms"][name] = median(xs)
        for key, name in (("python/libcqlproxy", LIBCQLP),
                          ("python/libcqlproxy.a", LIBCQLP_STATIC)):
            xs = [r[PYDRV] / r[name] for r in per_round
                  if PYDRV in r and name in r and r[name] > 0]
            if xs:
                res[key] = median(xs)
                res[key + " rounds"] = xs
        self.results["oneshot"] = res

    def section_profile(self):
        """perf on the daemon during one proxied run (not in the default
        set: --only profile); the report goes into the results."""
        perf = shutil.which("perf")
        if perf is None or self.daemon is None:
            self.results["profile"] = {"error": "perf or cqlproxyd missing"}
            return
        t = self.timing()
        dur = float(t["duration"]) + float(t["warmup"])
        data = os.path.join(self.daemon_dir, "perf.data")
        conc = 16 if self.tiny else self.args.concurrency
        conns = 4 if self.tiny else 16
        log("profile: perf record on cqlproxyd during a proxied run")
        load = subprocess.Popen(
            [self.prog("tests/bench/proxy-load"), "--socket", self.sock,
             "--conns", str(conns), "--depth", str(conc // conns),
             "--mode", "ids", "--duration", str(dur + 1), "--warmup", "0"],
            stdout=subprocess.PIPE, text=True)
        time.sleep(float(t["warmup"]))
        subprocess.run([perf, "record", "-q", "-F", "999", "--call-graph",
                        "dwarf,16384", "-p", str(self.daemon.pid), "-o",
                        data, "--", "sleep", t["duration"]],
                       capture_output=True, timeout=dur + 120)
        load_out = load.communicate(timeout=dur + 60)[0]
        rep = {"load": load_out.strip()}
        for key, extra in (
                ("by_library", ["--no-children", "--sort", "dso"]),
                ("by_function_self", ["--no-children", "--sort", "symbol",
                                      "--percent-limit", "0.7"]),
                ("by_function_children", ["--children", "--sort", "symbol",
                                          "--percent-limit", "4"])):
            p = subprocess.run([perf, "report", "-i", data, "--stdio",
                                "-g", "none"] + extra, capture_output=True,
                               text=True, timeout=300)
            rep[key] = "\n".join(
                ln.replace("-      -", "").rstrip()
                for ln in p.stdout.splitlines()
                if ln.strip() and not ln.startswith("#"))
        self.results["profile"] = rep

    def section_scale(self):
        if not self.have("daemon/service/cqlproxyd"):
            return
        log("scale: fresh daemon")
        self.start_daemon()
        steps = "20,50,100" if self.tiny else "1000,5000,10000"
        cgi_s = "0.3" if self.tiny else str(self.args.cgi_seconds)
        r = self.run_json([self.prog("tests/bench/idle-clients"),
                           "--socket", self.sock, "--pid",
                           str(self.daemon.pid), "--steps", steps,
                           "--cgi-seconds", cgi_s], 600)
        r["steps"] = [int(x) for x in steps.split(",")]
        self.results["scale"] = r
        if r.get("idle_errors") or r.get("cgi_errors") or \
                r.get("clients_reached") != r["steps"][-1]:
            self.failures.append("scale: errors: %s" %
                                 r.get("first_error", r))
        if r.get("cgi_fd_leak", 0) > 0 or r.get("fds_after", 0) > \
                r["fds0"] or r.get("fds_after_again", 0) > r["fds0"]:
            self.failures.append("scale: daemon descriptors not released "
                                 "(%s)" % r)


def machine_note():
    """What the run was on: cores, CPU model, kernel."""
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for ln in f:
                if ln.startswith("model name"):
                    model = ln.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "model": model,
            "load": "%.2f %.2f %.2f" % os.getloadavg(),
            "kernel": os.uname().release,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def fmt(x, nd=0):
    if x is None:
        return "-"
    if isinstance(x, float) and nd:
        return "%.*f" % (nd, x)
    return "{:,}".format(int(round(x)))


def goal(ok):
    return "met" if ok else "MISSED"


def table(headers, rows):
    """A Markdown table (also readable as plain text)."""
    w = [len(h) for h in headers]
    for r in rows:
        for i, c in enumerate(r):
            w[i] = max(w[i], len(c))
    line = lambda cs: "| " + " | ".join(c.ljust(w[i]) for i, c in
                                        enumerate(cs)) + " |"
    out = [line(headers), "|" + "|".join("-" * (x + 2) for x in w) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


NOT_MEASURED = "not measured yet"


def report(res):
    """Every table, as Markdown, with the goals."""
    out = []
    m = res["machine"]
    out.append("Machine: %s CPU(s), %s, Linux %s; %s; load average "
               "before the run %s%s." % (
        m["cpus"], m["model"], m["kernel"], m["date"], m["load"],
        " (TINY run: sizes too small to mean anything)" if res["tiny"]
        else ""))
    th = res.get("throughput")
    if th:
        s = th["summary"]
        labels = [("mock", "cqlmock ceiling (raw frames, %s)" % (
            "3x4 pipelined" if res["tiny"] else "12 conns x 32 pipelined")),
                  ("core", "driver core, one process"),
                  ("proxy", "cqlproxyd, many clients with ids"),
                  ("python", "Python driver execute_async")]
        rows = []
        for k, label in labels:
            r = s.get(k)
            if r is None:
                rows.append([label, NOT_MEASURED, "", "", "", "", "", ""])
                continue
            rows.append([label, fmt(r["rps"]), fmt(r["p50_us"]),
                         fmt(r["p99_us"]), fmt(r["p999_us"]),
                         fmt(r.get("self_cpu_us"), 2) if k != "python"
                         else "-",
                         fmt(r.get("daemon_cpu_us"), 2),
                         fmt(r.get("mock_cpu_us"), 2)])
        out.append("\n### Throughput (concurrency %d, medians of %d rounds)\n"
                   % (th["concurrency"], th["rounds"]))
        out.append(table(["path", "requests/s", "p50 us", "p99 us",
                          "p999 us", "client CPU us/req",
                          "daemon CPU us/req", "mock CPU us/req"], rows))
        rt = th["ratios"]
        rows = []
        pc = rt.get("proxy/core")
        pp = rt.get("proxy/python")
        rows.append(["cqlproxyd / driver core", fmt(pc, 2) if pc else
                     NOT_MEASURED, ">= %.1f" % GOAL_PROXY_VS_CORE,
                     goal(pc >= GOAL_PROXY_VS_CORE) if pc else "-"])
        rows.append(["cqlproxyd / Python driver", fmt(pp, 1) if pp else
                     NOT_MEASURED, ">= %.0f" % GOAL_PROXY_VS_PYTHON,
                     goal(pp >= GOAL_PROXY_VS_PYTHON) if pp else "-"])
        for k in ("core/mock", "proxy/mock"):
            if k in rt:
                rows.append([k.replace("mock", "cqlmock ceiling").replace(
                    "proxy", "cqlproxyd").replace("core", "driver core"),
                    fmt(rt[k], 2), "", ""])
        out.append("\nRatios (taken within each round, then the median):\n")
        out.append(table(["ratio", "measured", "goal", ""], rows))
        if "core_apart" in s:
            rows = []
            for k, label in (("core_apart", "driver core, one process"),
                             ("proxy_apart",
                              "cqlproxyd, many clients with ids")):
                r = s.get(k)
                if r is None:
                    continue
                rows.append([label, fmt(r["rps"]), fmt(r["p50_us"]),
                             fmt(r["p99_us"]), fmt(r["p999_us"]),
                             fmt(r.get("self_cpu_us"), 2),
                             fmt(r.get("daemon_cpu_us"), 2),
                             fmt(r.get("mock_cpu_us"), 2)])
            out.append("\n### Throughput with the mock on a CPU of its own "
                       "(client side on the other)\n")
            out.append(table(["path", "requests/s", "p50 us", "p99 us",
                              "p999 us", "client CPU us/req",
                              "daemon CPU us/req", "mock CPU us/req"],
                             rows))
            pa = rt.get("proxy_apart/core_apart")
            if pa:
                out.append("\ncqlproxyd / driver core in this layout "
                           "(within each round, then the median): %s"
                           % fmt(pa, 2))
    asked = res.get("sections", [])
    od = res.get("order")
    if "order" in asked:
        out.append("\n### One connection: in order (no ids) vs pipelined "
                   "(ids)\n")
    if od:
        rows = []
        for mode, label in (("inorder", "without ids (in order)"),
                            ("ids", "with ids (pipelined)")):
            r = od["summary"][mode]
            rows.append([label, fmt(r["rps"]), fmt(r["p50_us"]),
                         fmt(r["p99_us"]), fmt(r["p999_us"]),
                         fmt(r["daemon_cpu_us"], 2)])
        out.append("%d requests written ahead on the connection.\n" %
                   od["depth"])
        out.append(table(["mode", "requests/s", "p50 us", "p99 us",
                          "p999 us", "daemon CPU us/req"], rows))
        out.append("\npipelined / in order: %.1fx" % od["ids/inorder"])
    elif "order" in asked:
        out.append(NOT_MEASURED)
    os_ = res.get("oneshot")
    if "oneshot" in asked:
        out.append("\n### One-shot (the CGI case): new process, one query, "
                   "exit\n")
    if os_ and os_["median_ms"]:
        rows = [[name, "%.2f" % ms, "%.2f" % os_["min_ms"][name]]
                for name, ms in os_["median_ms"].items()]
        out.append("Per command %d warm-up runs, then %d timed runs (the "
                   "Python driver half as many), in %d rounds (the order of "
                   "the commands rotated each round); the median of the "
                   "round medians.\n" % (
                       os_["warmup"], os_["runs"], os_["rounds"]))
        out.append(table(["program", "median ms", "min ms"], rows))
        for key, what in (("python/libcqlproxy", "shared library"),
                          ("python/libcqlproxy.a", "libcqlproxy.a")):
            r = os_.get(key)
            rs = os_.get(key + " rounds", [])
            out.append("\nPython driver / libcqlproxy, %s (within each "
                       "round, then the median): %s%s (goal >= %.0fx: %s)" % (
                what, ("%.0fx" % r) if r else NOT_MEASURED,
                (" (rounds " + ", ".join("%.0fx" % x for x in rs) + ")")
                if len(rs) > 1 else "", GOAL_ONESHOT_VS_PYTHON,
                goal(r >= GOAL_ONESHOT_VS_PYTHON) if r else "-"))
    elif "oneshot" in asked:
        out.append(NOT_MEASURED)
    pr = res.get("profile")
    if pr:
        out.append("\n### Profile of cqlproxyd under the proxied load "
                   "(perf, samples of the daemon only)\n")
        if "error" in pr:
            out.append(pr["error"])
        else:
            out.append("Load: %s\n" % pr["load"])
            for key, title in (("by_library", "by library"),
                               ("by_function_self", "by function, self"),
                               ("by_function_children",
                                "by function, with callees")):
                out.append("%s:\n\n```\n%s\n```\n" % (title, pr[key]))
    sc = res.get("scale")
    if "scale" in asked:
        out.append("\n### Scale: idle clients and short connections\n")
    if sc:
        rows = [["0 (baseline)", fmt(sc["rss0_kib"]), "", fmt(sc["fds0"])]]
        last = None
        for n in sc["steps"]:
            if "rss_%d_kib" % n not in sc:
                rows.append([fmt(n), NOT_MEASURED, "", ""])
                continue
            last = sc["slope_%d_bytes" % n]
            rows.append([fmt(n), fmt(sc["rss_%d_kib" % n]), fmt(last),
                         fmt(sc["fds_%d" % n])])
        rows.append(["after they left", fmt(sc["rss_after_kib"]), "",
                     fmt(sc["fds_after"])])
        if "rss_again_kib" in sc:
            rows.append(["%s again" % fmt(sc["steps"][-1]),
                         fmt(sc["rss_again_kib"]), "", ""])
            rows.append(["after they left again",
                         fmt(sc["rss_after_again_kib"]), "",
                         fmt(sc["fds_after_again"])])
        out.append(table(["idle clients", "daemon RSS KiB",
                          "bytes per client", "daemon fds"], rows))
        out.append("\nIdle-client slope at %s clients: %s bytes (goal <= %d: "
                   "%s); RSS kept after they left: %s KiB above the baseline."
                   % (fmt(sc["steps"][-1]), fmt(last), GOAL_IDLE_BYTES,
                      goal(last is not None and last <= GOAL_IDLE_BYTES),
                      fmt(sc["rss_after_kib"] - sc["rss0_kib"])))
        if "cgi_connections" in sc:
            out.append("\nShort connections (connect, one query, close; 8 at "
                       "a time): %s in all, %s/s, %s errors; daemon "
                       "descriptors %s before, %s after (leak: %s); RSS "
                       "after: %s KiB." % (
                           fmt(sc["cgi_connections"]), fmt(sc["cgi_per_s"]),
                           fmt(sc["cgi_errors"]), fmt(sc["fds0"]),
                           fmt(sc["cgi_fds_after"]), fmt(sc["cgi_fd_leak"]),
                           fmt(sc["rss_after_cgi_kib"])))
    elif "scale" in asked:
        out.append(NOT_MEASURED)
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=3.0)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--concurrency", type=int, default=256)
    ap.add_argument("--oneshot-runs", type=int, default=20)
    ap.add_argument("--cgi-seconds", type=float, default=3.0)
    ap.add_argument("--only", default="throughput,order,oneshot,scale")
    ap.add_argument("--json", help="write the raw results here")
    ap.add_argument("--markdown", help="write the tables here")
    args = ap.parse_args()
    only = set(args.only.split(","))
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)

    b = Bench(args)
    b.results["sections"] = sorted(only)
    b.python_ok = importlib.util.find_spec("cassandra") is not None
    if not b.python_ok:
        log("the Python driver is not installed: its columns are skipped")
    for rel in ("tests/bench/mock-load", "tests/bench/core-bench",
                "tests/bench/proxy-load", "tests/bench/idle-clients",
                "tests/bench/spawn-time"):
        if not b.have(rel):
            sys.exit("bench.py: %s is not built (make first)" % rel)
    rc = 0
    try:
        b.start_mock()
        if b.have("daemon/service/cqlproxyd"):
            b.start_daemon()
        else:
            log("cqlproxyd is not built: proxied benchmarks not measured")
        if "throughput" in only:
            b.section_throughput()
        if "order" in only:
            b.section_order()
        if "oneshot" in only:
            b.section_oneshot()
        if "profile" in only:
            b.section_profile()
        if "scale" in only:
            b.section_scale()
    except (BenchError, MockError, OSError,
            subprocess.SubprocessError) as e:
        b.failures.append("%s: %s" % (type(e).__name__, e))
        if b.daemon is not None:
            b.failures.append("daemon stderr: " + b.daemon_stderr())
    finally:
        b.close()
    text = report(b.results)
    print(text)
    if args.json:
        b.results["failures"] = b.failures
        with open(args.json, "w") as f:
            json.dump(b.results, f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    for msg in b.failures:
        print("FAILED: " + msg, file=sys.stderr)
        rc = 1
    sys.exit(rc)


if __name__ == "__main__":
    main()
