"""The manuals, the metrics document and the systemd units held to the code.

- docs/cqlproxyd.conf.5 documents every key of daemon/service/config.c's
  table, in its section, with its type, its default and whether SIGHUP
  reloads it, and nothing else;
- docs/cqlproxyd.8 documents every command-line option;
- docs/metrics.md names every metric family metrics.c writes;
- the man pages format without warnings (man --warnings, mandoc -T lint
  when installed) and the units pass `systemd-analyze verify` (when
  installed), with the socket path the configuration uses by default.

Runs in `make check` (env: top_srcdir, top_builddir); no daemon needed.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cfkeys  # noqa: E402

TOP = os.environ.get("top_srcdir") or os.path.join(HERE, "..", "..")
BUILD = os.environ.get("top_builddir") or TOP


def read(*parts):
    with open(os.path.join(TOP, *parts), encoding="utf-8") as f:
        return f.read()


def man_keys(text):
    """{(section, key): (type, block text)} from the .Ss [section] lists."""
    out = {}
    section = None
    cur = None
    lines = text.split("\n")
    for line in lines:
        m = re.match(r"\.Ss \[(\w+)\]$", line)
        if m:
            section = m.group(1)
            cur = None
            continue
        if line.startswith(".Sh "):
            section = None
            cur = None
            continue
        if section is None:
            continue
        m = re.match(r"\.It Ic (\w+) Ar (\w+)$", line)
        if m:
            key = (section, m.group(1))
            if key in out:
                raise AssertionError("%s.%s documented twice" % key)
            out[key] = [m.group(2), []]
            cur = out[key][1]
            continue
        if line.startswith(".El"):
            cur = None
            continue
        if cur is not None:
            cur.append(line)
    return {k: (v[0], "\n".join(v[1])) for k, v in out.items()}


class ConfManual(unittest.TestCase):
    def setUp(self):
        self.keys = cfkeys.config_keys(TOP)
        self.man = man_keys(read("docs", "cqlproxyd.conf.5"))

    def test_parser_sees_the_table(self):
        # A guard on the table reader itself: the sections config.c knows.
        self.assertGreater(len(self.keys), 40)
        self.assertEqual({k.section for k in self.keys},
                         {"cluster", "policy", "listen", "log", "metrics",
                          "auth"})
        self.assertTrue(any(k.secret for k in self.keys))

    def test_every_key_documented(self):
        missing = ["%s.%s" % (k.section, k.name) for k in self.keys
                   if (k.section, k.name) not in self.man]
        self.assertEqual(missing, [], "keys missing from cqlproxyd.conf.5")

    def test_no_stale_keys(self):
        table = {(k.section, k.name) for k in self.keys}
        stale = ["%s.%s" % k for k in self.man if k not in table]
        self.assertEqual(stale, [], "cqlproxyd.conf.5 documents unknown keys")

    def test_type_default_reload(self):
        for k in self.keys:
            key = (k.section, k.name)
            if key not in self.man:
                continue
            mtype, block = self.man[key]
            what = "%s.%s" % key
            self.assertEqual(mtype, k.type, what + ": type")
            if k.default == "":
                self.assertIn("Default: empty.", block, what + ": default")
            else:
                self.assertRegex(block, r"(?m)^Default\n\.Ql %s \.$"
                                 % re.escape(k.default), what + ": default")
            if k.reload:
                self.assertIn("\nReloadable.", "\n" + block,
                              what + ": should say Reloadable")
                self.assertNotIn("Read at start only.", block, what)
            else:
                self.assertIn("Read at start only.", block,
                              what + ": should say Read at start only")
                self.assertNotIn("\nReloadable.", "\n" + block, what)

    def test_example_file_matches_table(self):
        # conf/cqlproxyd.conf is installed: it must set every key.
        conf = read("conf", "cqlproxyd.conf")
        section, seen = None, set()
        for line in conf.split("\n"):
            m = re.match(r"\[(\w+)\]$", line)
            if m:
                section = m.group(1)
                continue
            m = re.match(r"(\w+) =", line)
            if m:
                seen.add((section, m.group(1)))
        self.assertEqual(seen, {(k.section, k.name) for k in self.keys})


class DaemonManual(unittest.TestCase):
    def test_options(self):
        text = read("docs", "cqlproxyd.8")
        for opt in "cftVh":
            self.assertRegex(text, r"(?m)^\.It Fl %s\b" % opt,
                             "option -%s not documented" % opt)
        for sig in ("SIGHUP", "SIGTERM", "SIGINT", "SIGPIPE"):
            self.assertIn(sig, text)
        self.assertIn(".Sh EXIT STATUS", text)
        self.assertIn("LISTEN_FDS", text)


class Lint(unittest.TestCase):
    pages = [("docs", "cqlproxyd.8"), ("docs", "cqlproxyd.conf.5")]

    @unittest.skipUnless(shutil.which("man"), "man not installed")
    def test_man_warnings(self):
        for p in self.pages:
            r = subprocess.run(["man", "--warnings", "-l", os.path.join(TOP,
                               *p)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, MANWIDTH="80",
                                        MAN_KEEP_STDERR="1"))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stderr.strip(), "", "%s: %s" % (p[1],
                             r.stderr))

    @unittest.skipUnless(shutil.which("mandoc"), "mandoc not installed")
    def test_mandoc_lint(self):
        for p in self.pages:
            r = subprocess.run(["mandoc", "-T", "lint", "-W", "warning",
                               os.path.join(TOP, *p)],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            self.assertEqual(r.returncode, 0, r.stdout)


class Metrics(unittest.TestCase):
    def test_every_family_documented(self):
        src = read("daemon", "service", "metrics.c")
        names = set(re.findall(r'prom_(?:family|single)\(w,\s*"(\w+)"', src))
        names |= set(re.findall(r'\bC\("(\w+)"', src))
        self.assertGreater(len(names), 20)
        doc = read("docs", "metrics.md")
        missing = sorted(n for n in names if "`%s`" % n not in doc)
        self.assertEqual(missing, [], "families missing from metrics.md")


class Units(unittest.TestCase):
    def setUp(self):
        path = os.path.join(BUILD, "systemd", "cqlproxyd.service")
        if not os.path.exists(path):
            self.skipTest("systemd/cqlproxyd.service not generated")
        with open(path) as f:
            self.service = f.read()
        self.socket = read("systemd", "cqlproxyd.socket")

    def test_substituted(self):
        self.assertNotRegex(self.service, r"@\w+@")
        m = re.search(r"(?m)^ExecStart=(\S+) (.*)$", self.service)
        self.assertTrue(m)
        self.assertTrue(m.group(1).endswith("/sbin/cqlproxyd"), m.group(1))
        self.assertRegex(m.group(2), r"-c \S+/cqlproxyd/cqlproxyd\.conf")

    def test_socket_path_is_the_default(self):
        sock = [k for k in cfkeys.config_keys(TOP)
                if (k.section, k.name) == ("listen", "socket")][0]
        self.assertIn("ListenStream=%s\n" % sock.default, self.socket)
        self.assertIn("RuntimeDirectory=%s\n"
                      % os.path.basename(os.path.dirname(sock.default)),
                      self.service)

    def test_directives(self):
        for d in ("Type=notify", "ExecReload=/bin/kill -HUP $MAINPID",
                  "User=cqlproxyd", "NoNewPrivileges=yes",
                  "ProtectSystem=strict", "CapabilityBoundingSet=\n",
                  "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
                  "LimitNOFILE=20000", "Restart=on-failure"):
            self.assertIn(d, self.service)
        for d in ("SocketMode=0660", "SocketGroup=cqlproxyd"):
            self.assertIn(d, self.socket)

    @unittest.skipUnless(shutil.which("systemd-analyze"),
                         "systemd-analyze not installed")
    def test_verify(self):
        # verify insists the binary exists: point ExecStart at a stand-in.
        with tempfile.TemporaryDirectory() as d:
            fake = os.path.join(d, "cqlproxyd")
            with open(fake, "w") as f:
                f.write("#!/bin/sh\nexit 0\n")
            os.chmod(fake, 0o755)
            svc = re.sub(r"(?m)^(Exec\w+=)\S+/cqlproxyd\b", r"\g<1>" + fake,
                         self.service)
            with open(os.path.join(d, "cqlproxyd.service"), "w") as f:
                f.write(svc)
            with open(os.path.join(d, "cqlproxyd.socket"), "w") as f:
                f.write(self.socket)
            r = subprocess.run(["systemd-analyze", "verify", "--man=no",
                                os.path.join(d, "cqlproxyd.socket"),
                                os.path.join(d, "cqlproxyd.service")],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            out = "\n".join(line for line in r.stdout.split("\n")
                            if line and "cqlproxyd" in line)
            self.assertEqual(r.returncode, 0, r.stdout)
            self.assertEqual(out, "", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
