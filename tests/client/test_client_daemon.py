"""libcqlproxy, the cqlproxy command and the examples in docs/examples,
against the real cqlproxyd in front of cqlmock.

The C parts are built by make check; this driver runs the daemon (through
tests/service/svc.py), points each program at its socket, and checks what
they print and how they exit.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "service"))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

from svc import Svc, skip_unless_built  # noqa: E402

BUILD = os.environ.get("top_builddir") or os.path.join(HERE, "..", "..")
SRC = os.environ.get("top_srcdir") or os.path.join(HERE, "..", "..")


def prog(*parts):
    return os.path.join(BUILD, *parts)


CLI = prog("libclient", "cli", "cqlproxy")
SVC = None


def env_for(sock, **extra):
    e = dict(os.environ)
    e["CQLPROXY_SOCKET"] = sock
    e.update(extra)
    return e


def run(argv, sock=None, inp=None, env=None, timeout=60, text=True):
    p = subprocess.run(argv, input=inp, capture_output=True, text=text,
                       env=env or env_for(sock or SVC.socket),
                       timeout=timeout)
    if not text:
        # Keep \r\n as sent (text mode would translate it).
        p.stdout = p.stdout.decode()
        p.stderr = p.stderr.decode()
    return p


def cli(*args, inp=None, sock=None):
    return run([CLI, "-s", sock or SVC.socket] + list(args), inp=inp)


def expect(p, status, what):
    assert p.returncode == status, "%s: exit %d, wanted %d\nstdout: %s\n" \
        "stderr: %s" % (what, p.returncode, status, p.stdout, p.stderr)


def test_library():
    p = run([prog("tests", "client", "check_client_daemon")], timeout=300)
    sys.stdout.write(p.stdout + p.stderr)
    expect(p, 0, "check_client_daemon")


def test_restart():
    """One handle survives a daemon restart between two calls."""
    proc = subprocess.Popen([prog("tests", "client", "check_client_daemon"),
                             "restart"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True,
                            env=env_for(SVC.socket))
    try:
        assert proc.stdout.readline().strip() == "ready"
        SVC.signal(signal.SIGTERM)
        assert SVC.wait_exit() == 0
        SVC.start()
        proc.stdin.write("go\n")
        proc.stdin.flush()
        out = proc.stdout.readline().strip()
        assert out == "rows 1", out
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_outputs():
    expect(cli("-e", "CREATE KEYSPACE IF NOT EXISTS clit WITH replication "
               "= {'class': 'SimpleStrategy', 'replication_factor': 1};"
               "CREATE TABLE IF NOT EXISTS clit.t (k int PRIMARY KEY, "
               "v text, n bigint)"), 0, "ddl")
    p = cli("-e", "INSERT INTO clit.t (k, v, n) VALUES (?, ?, ?)",
            "--values", '[1, "a;b, \\"c\\"", 9007199254740993]')
    expect(p, 0, "insert with values")
    # Statements from stdin: `;` inside strings and comments do not split.
    script = ("-- a comment; not a statement\n"
              "INSERT INTO clit.t (k, v) VALUES (2, 'x;y''z');\n"
              "/* block; comment */ INSERT INTO clit.t (k, v)\n"
              "  VALUES (3, $$dollar;text$$)  // trailing; comment\n"
              ";\n"
              "SELECT k, v, n FROM clit.t WHERE k IN (1, 2, 3)\n")
    p = cli("--json", inp=script)
    expect(p, 0, "stdin script")
    lines = p.stdout.strip().split("\n")
    assert lines == [
        '{"k": 1, "v": "a;b, \\"c\\"", "n": 9007199254740993}',
        '{"k": 2, "v": "x;y\'z", "n": null}',
        '{"k": 3, "v": "dollar;text", "n": null}'], lines
    # Not a terminal: JSON lines by default.
    p = cli("-e", "SELECT k FROM clit.t WHERE k = 1")
    expect(p, 0, "default format")
    assert p.stdout == '{"k": 1}\n', p.stdout
    p = cli("--csv", "-e", "SELECT k, v, n FROM clit.t WHERE k = 1")
    assert p.stdout == 'k,v,n\n1,"a;b, ""c""",9007199254740993\n', p.stdout
    p = cli("--table", "-e", "SELECT k, v FROM clit.t WHERE k = 2")
    assert " k | v     \n---+-------\n 2 | x;y'z \n" in p.stdout, p.stdout
    assert "(1 rows)" in p.stdout
    p = cli("--numbers-as-strings", "-k", "clit",
            "-e", "SELECT n FROM t WHERE k = 1")
    assert p.stdout == '{"n": "9007199254740993"}\n', p.stdout
    with tempfile.NamedTemporaryFile("w", suffix=".cql") as f:
        f.write("SELECT k FROM clit.t WHERE k = 1;\nSELECT k FROM clit.t "
                "WHERE k = 2;\n")
        f.flush()
        p = cli("-f", f.name)
        assert p.stdout == '{"k": 1}\n{"k": 2}\n', p.stdout
    # A batch block is one statement, its inner `;` included.
    p = cli(inp="BEGIN UNLOGGED BATCH\n"
            "  INSERT INTO clit.t (k, v) VALUES (4, 'four;');\n"
            "  INSERT INTO clit.t (k, v) VALUES (5, 'five');\n"
            "APPLY BATCH;\nSELECT v FROM clit.t WHERE k IN (4, 5);\n")
    expect(p, 0, "batch block")
    assert sorted(p.stdout.split("\n")) == [
        "", '{"v": "five"}', '{"v": "four;"}'], p.stdout
    p = cli("-r", '{"op": "ping"}')
    expect(p, 0, "raw")
    assert '"ok":true' in p.stdout.replace(" ", ""), p.stdout


def test_cli_exit_codes():
    p = cli("-e", "SELEC broken")
    expect(p, 1, "syntax error")
    assert "syntax_error" in p.stderr, p.stderr
    # Stops at the first error unless --keep-going.
    p = cli(inp="SELEC x; SELECT k FROM clit.t WHERE k = 1;")
    expect(p, 1, "stop at error")
    assert p.stdout == "", p.stdout
    p = cli("--keep-going", inp="SELEC x; SELECT k FROM clit.t WHERE k = 1;")
    expect(p, 1, "keep going")
    assert p.stdout == '{"k": 1}\n', p.stdout
    expect(cli("--bogus"), 2, "usage")
    expect(cli("-e", "SELECT 1", "extra"), 2, "usage: operand")
    expect(cli("-e", "SELECT 1; SELECT 2", "--values", "[1]"), 2,
           "values with two statements")
    expect(cli("-e", "SELECT ?", "--values", "nope"), 2, "bad values")
    expect(cli("-k", "no_such_keyspace", "-e", "SELECT 1"), 1, "bad keyspace")
    d = tempfile.mkdtemp()
    try:
        p = cli("-e", "SELECT 1", sock=os.path.join(d, "none.sock"))
        expect(p, 3, "no daemon")
        assert "is cqlproxyd running" in p.stderr, p.stderr
    finally:
        shutil.rmtree(d)


def test_cli_input_errors():
    """Bad input is a usage error (2), with or without a daemon."""
    d = tempfile.mkdtemp()
    try:
        none = os.path.join(d, "none.sock")
        p = cli("-f", d)
        expect(p, 2, "-f on a directory")
        assert "Is a directory" in p.stderr, p.stderr
        expect(cli("-e", "SELECT ?", "--values", "nope", sock=none), 2,
               "bad values, no daemon")
        expect(cli("-f", os.path.join(d, "missing.cql"), sock=none), 2,
               "missing file, no daemon")
        for opt in (["-t", "4294967396"], ["-t", "0"], ["-t", "86400001"],
                    ["--page-size", "4294967297"], ["--page-size", "x"]):
            p = cli(*(opt + ["-e", "SELECT k FROM clit.t WHERE k = 1"]))
            expect(p, 2, " ".join(opt))
            assert "must be a number" in p.stderr, p.stderr
    finally:
        shutil.rmtree(d)
    # Text that is not UTF-8 is refused by the library, nothing after runs.
    p = run([CLI, "-s", SVC.socket],
            inp=b"SELECT k FROM clit.t WHERE k = 1;\n"
                b"SELECT k FROM clit.t WHERE k = 2 -- caf\xe9;\n"
                b"SELECT k FROM clit.t WHERE k = 2;\n", text=False)
    expect(p, 2, "not UTF-8")
    assert p.stdout == '{"k": 1}\n', p.stdout
    assert "UTF-8" in p.stderr, p.stderr
    # A NUL byte would cut a statement short unseen: refused, with where.
    p = run([CLI, "-s", SVC.socket],
            inp=b"SELECT k FROM clit.t WHERE k = 1;\n"
                b"SELECT k FROM clit.t WHERE k = 2\0 AND nothing;\n"
                b"SELECT k FROM clit.t WHERE k = 2;\n", text=False)
    expect(p, 2, "NUL byte")
    assert p.stdout == '{"k": 1}\n', p.stdout
    assert ":2: a NUL byte" in p.stderr, p.stderr


def canned_daemon(path, body):
    """A stand-in daemon answering every request line with body (a JSON
    object as text) under the request's id; stop with the returned
    function."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)
    srv.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except socket.timeout:
                continue
            with conn:
                conn.settimeout(10)
                for line in conn.makefile("rb"):
                    rid = json.loads(line).get("id")
                    conn.sendall(('{"id": %s, %s\n' % (json.dumps(rid),
                                                       body[1:])).encode())
        srv.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()

    def halt():
        stop.set()
        t.join(10)
    return halt


def test_cli_bad_answers():
    """Answers with a nameless column or short rows never crash it."""
    d = tempfile.mkdtemp()
    sock = os.path.join(d, "canned.sock")
    halt = canned_daemon(sock, '{"ok": true, "columns": [{"name": "a", '
                         '"type": "int"}, {"type": "text"}, {"name": "c"}],'
                         ' "rows": [[1], [2, "x", 3, 4], 5, []]}')
    try:
        p = cli("--json", "-e", "SELECT x", sock=sock)
        expect(p, 0, "json")
        assert p.stdout.split("\n")[:2] == [
            '{"a": 1, "": null, "c": null}',
            '{"a": 2, "": "x", "c": 3}'], p.stdout
        p = cli("--csv", "-e", "SELECT x", sock=sock)
        expect(p, 0, "csv")
        assert p.stdout.startswith('a,"",c\n1,,\n2,x,3\n'), p.stdout
        p = cli("--table", "-e", "SELECT x", sock=sock)
        expect(p, 0, "table")
        assert "(4 rows)" in p.stdout, p.stdout
    finally:
        halt()
        shutil.rmtree(d)


def test_cli_timeout():
    """-t: a statement the cluster is too slow for ends in time with the
    daemon's own timeout error (exit 1), not a client-side one."""
    for n in (1, 2, 3):
        SVC.mock.delay(n, 1500)
    try:
        for _ in range(3):
            t0 = time.monotonic()
            p = cli("-t", "300", "-e", "SELECT k FROM clit.t WHERE k = 1")
            expect(p, 1, "cluster timeout")
            assert p.stderr.startswith("cqlproxy: timeout: "), p.stderr
            assert time.monotonic() - t0 < 1.4
    finally:
        SVC.mock.clear()

def test_example_socat():
    if not shutil.which("socat") or not shutil.which("jq"):
        print("skip: socat or jq missing")
        return
    p = run(["sh", os.path.join(SRC, "docs", "examples",
                                "cqlproxy-socat.sh")])
    expect(p, 0, "cqlproxy-socat.sh")
    assert p.stdout == "1\tvalue 1\n2\tvalue 2\n3\tthree!\n", p.stdout


def cgi(method, qs, sock=None):
    return run([prog("docs", "examples", "cgi-query")],
               env=env_for(sock or SVC.socket, REQUEST_METHOD=method,
                           QUERY_STRING=qs, GATEWAY_INTERFACE="CGI/1.1"),
               text=False)


def test_example_cgi():
    expect(cli("-e", "INSERT INTO demo.kv (k, v) VALUES (42, 'forty \"two\"')"),
           0, "cgi row")
    p = cgi("GET", "x=1&k=42")
    expect(p, 0, "cgi")
    head, body = p.stdout.split("\r\n\r\n", 1)
    assert head.startswith("Status: 200 OK\r\n"), head
    assert "Content-Type: application/json" in head
    assert body == '{"k": 42, "v": "forty \\"two\\""}\n', body
    assert cgi("GET", "k=4242").stdout.startswith("Status: 404")
    assert cgi("GET", "k=4x").stdout.startswith("Status: 400")
    assert cgi("POST", "k=1").stdout.startswith("Status: 405")
    p = cgi("HEAD", "k=42")
    assert p.stdout.endswith("\r\n\r\n"), p.stdout
    d = tempfile.mkdtemp()
    try:
        p = cgi("GET", "k=42", sock=os.path.join(d, "none.sock"))
        assert p.stdout.startswith("Status: 502"), p.stdout
    finally:
        shutil.rmtree(d)


def test_example_async():
    keys = "".join("%d\n" % k for k in [1, 2, 3, 99, 42] * 40)
    p = run([prog("docs", "examples", "async-lookup")], inp=keys)
    expect(p, 0, "async-lookup")
    lines = p.stdout.strip().split("\n")
    assert len(lines) == 200, len(lines)
    want = {"1\tvalue 1", "2\tvalue 2", "3\tthree!", "99\t-",
            '42\tforty "two"'}
    assert set(lines) == want, set(lines)


def main():
    global SVC
    skip_unless_built()
    for p in (CLI, prog("tests", "client", "check_client_daemon"),
              prog("docs", "examples", "cgi-query"),
              prog("docs", "examples", "async-lookup")):
        if not os.access(p, os.X_OK):
            sys.stderr.write("skipped: %s not built\n" % p)
            sys.exit(77)
    failed = 0
    with Svc(nodes=3) as s:
        SVC = s
        # The examples read demo.kv, made by the socat example or here.
        expect(cli("-e", "CREATE KEYSPACE IF NOT EXISTS demo WITH "
                   "replication = {'class': 'SimpleStrategy', "
                   "'replication_factor': 1}; CREATE TABLE IF NOT EXISTS "
                   "demo.kv (k int PRIMARY KEY, v text); INSERT INTO "
                   "demo.kv (k, v) VALUES (1, 'value 1'); INSERT INTO "
                   "demo.kv (k, v) VALUES (2, 'value 2'); INSERT INTO "
                   "demo.kv (k, v) VALUES (3, 'three!')"), 0, "demo")
        for t in (test_library, test_cli_outputs, test_cli_exit_codes,
                  test_cli_input_errors, test_cli_bad_answers,
                  test_cli_timeout, test_example_socat, test_example_cgi, test_example_async,
                  test_restart):
            t0 = time.monotonic()
            try:
                t()
                print("ok   %s (%.1f s)" % (t.__name__,
                                           time.monotonic() - t0))
            except Exception:
                failed += 1
                print("FAIL %s" % t.__name__)
                traceback.print_exc()
            sys.stdout.flush()
        if failed:
            s.dump_log()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
