"""Access control (docs/protocol.md "Transport", "Read-only socket"):
socket mode, owner and group from the configuration; SO_PEERCRED
allow-lists (uids and gids; a uid that is not ours is refused with
not_permitted; another user is let in only when listed; a SIGHUP changes
the lists without dropping connected clients); the read-only socket serves
SELECT and refuses writes, DDL and batches with read_only.
"""

import grp
import os
import pwd
import signal
import stat
import subprocess
import sys

from svc import Svc, run_tests, wait_until

KS = ("CREATE KEYSPACE ks WITH replication = "
      "{'class': 'SimpleStrategy', 'replication_factor': 1}")

NOBODY = pwd.getpwnam("nobody").pw_uid
NOGROUP = grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_gid

# A client run as another user: prints the first answer to a ping.
AS_USER = r"""
import json, os, socket, sys
os.setgroups([])
os.setgid(int(sys.argv[2]))
os.setuid(int(sys.argv[1]))
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[3])
try:
    s.sendall(b'{"op": "ping"}\n')
except BrokenPipeError:
    pass    # refused and closed already: the answer is still there
buf = b""
while b"\n" not in buf:
    b = s.recv(4096)
    if not b:
        break
    buf += b
print(buf.split(b"\n")[0].decode())
"""


def as_user(uid, gid, path):
    p = subprocess.run([sys.executable, "-c", AS_USER, str(uid), str(gid),
                        path], capture_output=True, text=True, timeout=20)
    assert p.returncode == 0, p.stderr
    import json
    return json.loads(p.stdout)


def test_socket_mode_owner():
    if os.geteuid() != 0:
        print("skipped: not root")
        return
    with Svc(nodes=1, listen={"socket_mode": "0640",
                              "socket_owner": "nobody",
                              "socket_group": str(NOGROUP)}) as s:
        st = os.stat(s.socket)
        assert stat.S_ISSOCK(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o640, oct(st.st_mode)
        assert st.st_uid == NOBODY and st.st_gid == NOGROUP, st


def test_peer_credentials():
    if os.geteuid() != 0:
        print("skipped: not root")
        return
    me = os.getuid()
    # only a uid that is not ours: refused
    with Svc(nodes=1, listen={"allow_uids": "12345"}) as s:
        c = s.client()
        a = c.recv()
        assert a["error"]["code"] == "not_permitted", a
        assert c.at_eof()
        assert "refused uid %d" % me in s.log_text()
        # our primary gid on the gid list lets us in
        s.write_config({"listen": {"allow_uids": "12345",
                                   "allow_gids": str(os.getgid())}})
        s.signal(signal.SIGHUP)
        wait_until(lambda: s.proc and _reloaded(s), 10, "reload")
        with s.client() as c:
            c.ok({"op": "ping"})
    # names work; another user is refused unless listed
    with Svc(nodes=1, listen={"allow_uids": "root"}) as s:
        with s.client() as kept:
            kept.ok({"op": "ping"})
            a = as_user(NOBODY, NOGROUP, s.socket)
            assert a["error"]["code"] == "not_permitted", a
            s.write_config({"listen": {"allow_uids": "root, nobody"}})
            s.signal(signal.SIGHUP)
            wait_until(lambda: _reloaded(s), 10, "reload")
            a = as_user(NOBODY, NOGROUP, s.socket)
            assert a == {"ok": True}, a
            # a list without us: new connections refused, this one kept
            s.write_config({"listen": {"allow_uids": "nobody"}})
            s.signal(signal.SIGHUP)
            wait_until(lambda: kept.ok({"op": "stats"})["stats"][
                "reloads"]["ok"] == 2, 10, "reload 2")
            kept.ok({"op": "ping"})
            with s.client() as c:
                assert c.recv()["error"]["code"] == "not_permitted"


def _reloaded(s):
    log = s.log_text()
    return "configuration reloaded" in log


def test_readonly_socket():
    with Svc(nodes=1) as s:
        ro_path = os.path.join(s.dir, "ro.sock")
        s.signal(signal.SIGTERM)
        assert s.wait_exit(10) == 0
        s.write_config({"listen": {"readonly_socket": ro_path}})
        s.start()
        with s.client() as c:
            c.ok({"cql": KS})
            c.ok({"cql": "CREATE TABLE ks.r (k int PRIMARY KEY, v int)"})
            c.ok({"cql": "INSERT INTO ks.r (k, v) VALUES (1, 1)"})
            ins = c.ok({"op": "prepare",
                        "cql": "INSERT INTO ks.r (k, v) VALUES (?, ?)"})
        assert os.path.exists(ro_path)
        with s.client(ro_path) as ro:
            a = ro.ok({"cql": "SELECT v FROM ks.r WHERE k = 1"})
            assert a["rows"] == [[1]], a
            a = ro.ok({"cql": "  /* why */ select v FROM ks.r WHERE k = ?",
                       "values": [1]})
            assert a["rows"] == [[1]], a
            for req in (
                    {"cql": "INSERT INTO ks.r (k, v) VALUES (2, 2)"},
                    {"cql": "UPDATE ks.r SET v = 3 WHERE k = 1"},
                    {"cql": "DELETE FROM ks.r WHERE k = 1"},
                    {"cql": "TRUNCATE ks.r"},
                    {"cql": "DROP TABLE ks.r"},
                    {"cql": "CREATE TABLE ks.x (k int PRIMARY KEY)"},
                    {"cql": "-- SELECT\nINSERT INTO ks.r (k, v) VALUES "
                            "(2, 2)"},
                    {"op": "prepare",
                     "cql": "INSERT INTO ks.r (k, v) VALUES (?, ?)"},
                    {"op": "execute", "statement": ins["statement"],
                     "values": [5, 5]},
                    {"op": "batch", "statements": [
                        {"cql": "INSERT INTO ks.r (k, v) VALUES (2, 2)"}]}):
                a = ro.call(req)
                assert a["ok"] is False and \
                    a["error"]["code"] == "read_only", (req, a)
            # reads of every other kind still work
            sel = ro.ok({"op": "prepare",
                         "cql": "SELECT v FROM ks.r WHERE k = ?"})
            a = ro.ok({"op": "execute", "statement": sel["statement"],
                       "values": [1]})
            assert a["rows"] == [[1]], a
            ro.ok({"op": "use", "keyspace": "ks"})
            ro.ok({"op": "schema", "keyspace": "ks"})
            ro.ok({"op": "hosts"})
            ro.ok({"op": "ping"})
        with s.client() as c:
            a = c.ok({"cql": "SELECT v FROM ks.r WHERE k = 1"})
            assert a["rows"] == [[1]], a     # nothing was written
            a = c.ok({"cql": "SELECT v FROM ks.r WHERE k = 2"})
            assert a["rows"] == [], a


if __name__ == "__main__":
    run_tests([test_socket_mode_owner, test_peer_credentials,
               test_readonly_socket])
