#!/usr/bin/python3
"""Raw-socket tests of cqlmock's native-protocol front end.

Checks the answers a real Cassandra 4.0 gives to wrong versions and
malformed requests (tests/../protocol notes), then throws seeded garbage,
truncated and oversized frames at it: the mock must never crash, its control
channel must keep answering and a fresh connection must still work.
Also checks the control channel's error answers. Standard library only.
"""

import json
import random
import socket
import struct
import sys
import time
import traceback

from cqlmock import Mock, MockError

OP_ERROR, OP_STARTUP, OP_READY, OP_OPTIONS, OP_SUPPORTED = 0, 1, 2, 5, 6
OP_QUERY, OP_RESULT, OP_PREPARE, OP_EXECUTE = 7, 8, 9, 10
OP_REGISTER, OP_BATCH = 11, 13
PROTOCOL_ERROR = 0x000A
TIMEOUT = 5.0

failures = []


def say(msg):
    print(msg, flush=True)


def ok(msg):
    say("ok   " + msg)


def step(name, fn, *args):
    t0 = time.monotonic()
    try:
        fn(*args)
    except Exception:
        failures.append(name)
        say("FAIL %s:" % name)
        traceback.print_exc(file=sys.stdout)
        return
    say("---- %s done (%.1f s)" % (name, time.monotonic() - t0))


# --- notations -------------------------------------------------------------

def p_string(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack(">H", len(b)) + b


def p_long_string(s):
    b = s.encode()
    return struct.pack(">i", len(b)) + b


def p_string_map(d):
    return struct.pack(">H", len(d)) + b"".join(
        p_string(k) + p_string(v) for k, v in d.items())


def query_body(cql, consistency=1, flags=0):
    return p_long_string(cql) + struct.pack(">HB", consistency, flags)


class Reader:
    """Bounds-checked reader of a response body."""

    def __init__(self, b):
        self.b, self.i = b, 0

    def take(self, n):
        if n < 0 or self.i + n > len(self.b):
            raise AssertionError("body too short: want %d at %d of %d"
                                 % (n, self.i, len(self.b)))
        v = self.b[self.i:self.i + n]
        self.i += n
        return v

    def int(self):
        return struct.unpack(">i", self.take(4))[0]

    def short(self):
        return struct.unpack(">H", self.take(2))[0]

    def string(self):
        return self.take(self.short()).decode()

    def string_list(self):
        return [self.string() for _ in range(self.short())]

    def multimap(self):
        return {self.string(): self.string_list()
                for _ in range(self.short())}


# --- frames ----------------------------------------------------------------

def frame(version, opcode, body=b"", stream=0, flags=0):
    """A request frame; versions 1 and 2 use the 8-byte header."""
    if (version & 0x7F) <= 2:
        return struct.pack(">BBbBI", version, flags, stream, opcode,
                           len(body)) + body
    return struct.pack(">BBhBI", version, flags, stream, opcode,
                       len(body)) + body


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes"
                           % (len(buf), n))
        buf += chunk
    return buf


def read_frame(sock):
    """(version, flags, stream, opcode, body) of the next response."""
    first = recv_exact(sock, 1)
    if (first[0] & 0x7F) <= 2:
        rest = recv_exact(sock, 7)
        _, flags, stream, opcode, n = struct.unpack(">BBbBI", first + rest)
    else:
        rest = recv_exact(sock, 8)
        _, flags, stream, opcode, n = struct.unpack(">BBhBI", first + rest)
    if n > 16 << 20:
        raise AssertionError("response body length %d" % n)
    return first[0], flags, stream, opcode, recv_exact(sock, n)


def connect(m, node=1):
    s = socket.create_connection((m.addr(node), m.port), timeout=TIMEOUT)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def error_of(fr):
    """(code, message) of an ERROR frame (asserts it is one)."""
    version, flags, stream, opcode, body = fr
    assert opcode == OP_ERROR, "expected ERROR, got opcode %d" % opcode
    r = Reader(body)
    return r.int(), r.string()


def expect_protocol_error(fr, text, version=None, stream=0, what=""):
    v, flags, st, opcode, body = fr
    code, msg = error_of(fr)
    assert code == PROTOCOL_ERROR, "%s: error code 0x%04x (%r), expected" \
        " 0x000A" % (what, code, msg)
    assert text in msg, "%s: message %r lacks %r" % (what, msg, text)
    assert v & 0x80, "%s: response bit not set in version 0x%02x" % (what, v)
    if version is not None:
        assert v & 0x7F == version, "%s: answered in version %d, want %d" % (
            what, v & 0x7F, version)
    assert stream is None or st == stream, "%s: stream %d, want %d" % (
        what, st, stream)
    return v, flags, msg


def options_ok(sock, version=4, stream=1):
    """OPTIONS on sock answers SUPPORTED: the connection is usable."""
    sock.sendall(frame(version, OP_OPTIONS, stream=stream))
    fr = read_frame(sock)
    assert fr[3] == OP_SUPPORTED, "OPTIONS answered with opcode %d" % fr[3]
    assert fr[2] == stream
    return Reader(fr[4]).multimap()


def startup(sock, version=4, opts=None):
    sock.sendall(frame(version, OP_STARTUP,
                       p_string_map(opts or {"CQL_VERSION": "3.0.0"})))
    fr = read_frame(sock)
    assert fr[3] == OP_READY, "STARTUP answered with opcode %d %r" % (
        fr[3], error_of(fr) if fr[3] == OP_ERROR else fr[4][:40])
    return fr


def fresh_connection_works(m, node=1):
    """A new connection can STARTUP and read system.local."""
    s = connect(m, node)
    try:
        startup(s)
        s.sendall(frame(4, OP_QUERY, query_body(
            "SELECT release_version FROM system.local"), stream=3))
        fr = read_frame(s)
        assert fr[3] == OP_RESULT, "QUERY answered with opcode %d %r" % (
            fr[3], error_of(fr) if fr[3] == OP_ERROR else "")
        assert Reader(fr[4]).int() == 2, "RESULT is not Rows"
        return True
    finally:
        s.close()


def mock_healthy(m):
    assert m.alive(), "cqlmock died; stderr:\n%s" % m.stderr_text()[-3000:]
    st = m.stats()
    assert st.get("ok"), st
    assert fresh_connection_works(m)


# --- checks ----------------------------------------------------------------

def check_handshake(m):
    s = connect(m)
    try:
        sup = options_ok(s)
        assert "4/v4" in sup.get("PROTOCOL_VERSIONS", []), sup
        assert "3/v3" in sup.get("PROTOCOL_VERSIONS", []), sup
        assert sup.get("CQL_VERSION"), sup
        ok("OPTIONS v4 -> SUPPORTED %s" % json.dumps(sup, sort_keys=True))
        startup(s)
        ok("STARTUP v4 CQL_VERSION 3.0.0 -> READY")
        s.sendall(frame(4, OP_QUERY, query_body(
            "SELECT cluster_name, release_version FROM system.local"),
            stream=77))
        fr = read_frame(s)
        assert fr[3] == OP_RESULT and fr[2] == 77, fr[:4]
        ok("QUERY system.local -> RESULT Rows on stream 77")
        s.sendall(frame(4, OP_STARTUP, p_string_map(
            {"CQL_VERSION": "3.0.0"}), stream=9))
        fr = read_frame(s)
        ok("second STARTUP answered (opcode %d%s)" % (
            fr[3], " %r" % (error_of(fr),) if fr[3] == OP_ERROR else ""))
    finally:
        s.close()
    s = connect(m)
    try:
        startup(s, 3)
        s.sendall(frame(3, OP_QUERY, query_body(
            "SELECT key FROM system.local"), stream=5))
        fr = read_frame(s)
        assert fr[0] == 0x83 and fr[3] == OP_RESULT, fr[:4]
        ok("protocol v3: STARTUP and QUERY answered in v3 frames")
    finally:
        s.close()


def check_bad_versions(m):
    cases = [
        (6, "Invalid or unsupported protocol version (6)"),
        (66, "Invalid or unsupported protocol version (66)"),
        (65, "Invalid or unsupported protocol version (65)"),
        (1, "Invalid or unsupported protocol version (1)"),
        (2, "Invalid or unsupported protocol version (2)"),
        (5, "Beta version of the protocol used (5/v5-beta), but USE_BETA"
            " flag is unset"),
    ]
    for version, text in cases:
        for opcode, name in ((OP_OPTIONS, "OPTIONS"), (OP_STARTUP, "STARTUP")):
            s = connect(m)
            try:
                body = b"" if opcode == OP_OPTIONS else \
                    p_string_map({"CQL_VERSION": "3.0.0"})
                s.sendall(frame(version, opcode, body))
                fr = read_frame(s)
                want_v = version if version in (1, 2) else None
                v, fl, msg = expect_protocol_error(
                    fr, text, want_v, 0, "%s v%d" % (name, version))
                if version in (1, 2):
                    assert v == 0x80 | version, hex(v)
                # the connection stays open and can go on at v4
                sup = options_ok(s, 4, 1)
                assert "4/v4" in sup["PROTOCOL_VERSIONS"]
            finally:
                s.close()
        ok("OPTIONS/STARTUP v%d -> ERROR 0x000A %r (in a 0x%02x header,"
           " flags 0x%02x); connection kept open" % (version, msg, v, fl))
    # the supported-versions list in the message, as Cassandra writes it
    s = connect(m)
    try:
        s.sendall(frame(6, OP_OPTIONS))
        _, msg = error_of(read_frame(s))
        assert "supported versions are (3/v3, 4/v4, 5/v5" in msg, msg
    finally:
        s.close()
    ok("unsupported-version message lists (3/v3, 4/v4, 5/v5...)")


def check_bad_requests(m):
    def one(data, text, stream, what, after_startup=False):
        s = connect(m)
        try:
            if after_startup:
                startup(s)
            s.sendall(data)
            fr = read_frame(s)
            expect_protocol_error(fr, text, None, stream, what)
            ok("%s -> ERROR 0x000A %r" % (what, error_of(fr)[1]))
            return s
        except Exception:
            s.close()
            raise

    s = one(frame(4, OP_QUERY, query_body("SELECT * FROM system.local"),
                  stream=12),
            "Unexpected message QUERY, expecting STARTUP or OPTIONS", 12,
            "QUERY before STARTUP")
    options_ok(s)
    s.close()
    s = one(frame(4, 0x42, stream=3), "Unknown opcode 66", 3,
            "unknown opcode 0x42")
    s.close()
    s = one(frame(4, OP_STARTUP, p_string_map({"DRIVER_NAME": "raw"}),
                  stream=4),
            "Missing value CQL_VERSION in STARTUP message", 4,
            "STARTUP without CQL_VERSION")
    s.close()
    s = one(frame(4, OP_STARTUP, p_string_map(
        {"CQL_VERSION": "3.0.0", "COMPRESSION": "bogus"}), stream=5),
        "Unknown compression algorithm: bogus", 5,
        "STARTUP with COMPRESSION bogus")
    s.close()
    s = one(frame(0x84, OP_OPTIONS, stream=6),
            "Wrong protocol direction (expected REQUEST, got RESPONSE) for"
            " opcode 5 (OPTIONS)", 6, "OPTIONS with the response bit (0x84)")
    s.close()
    s = one(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
            "Invalid or unsupported protocol version (71)", None,
            "HTTP request line")
    s.close()
    s = one(frame(4, OP_QUERY, b"\x00\x00\x00\x50abc", stream=8),
            "", 8, "QUERY with a long string longer than the body",
            after_startup=True)
    s.close()


def random_request(rng):
    """Bytes of one randomised, possibly malformed, request."""
    kind = rng.randrange(6)
    if kind == 0:	# pure noise
        return bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 200)))
    version = rng.choice([3, 4, 4, 4, 5, rng.randrange(256)])
    opcode = rng.choice([OP_STARTUP, OP_OPTIONS, OP_QUERY, OP_PREPARE,
                         OP_EXECUTE, OP_REGISTER, OP_BATCH, 0x0F,
                         rng.randrange(256)])
    flags = rng.choice([0, 0, 0x02, 0x04, 0x01, rng.randrange(256)])
    body = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 120)))
    if kind == 1:	# plausible QUERY body with random tail
        body = query_body(rng.choice([
            "SELECT * FROM system.local", "SELECT", "'", "INSERT INTO",
            "SELECT * FROM system.peers WHERE peer = ?", "\x00\xff",
            "CREATE KEYSPACE x WITH replication = {",
            "SELECT token(k) FROM nope.nope WHERE k = 1"]),
            rng.randrange(20), rng.randrange(256)) + body[:rng.randrange(40)]
        opcode, version = OP_QUERY, 4
    stream = rng.randrange(-32768, 32768) if rng.random() < 0.1 else \
        rng.randrange(0, 32768)
    hdr = struct.pack(">BBhBI", version, flags, stream, opcode, len(body))
    data = hdr + body
    if kind == 2:	# truncated
        data = data[:rng.randrange(1, len(data))] if len(data) > 1 else data
    elif kind == 3:	# length lies
        data = struct.pack(">BBhBI", version, flags, 1, opcode,
                           rng.choice([len(body) + 1, 0xFFFFFFFF, 0x7FFFFFFF,
                                       256 << 20, (256 << 20) + 1,
                                       rng.randrange(1 << 32)])) + body
    return data


def check_garbage(m):
    rng = random.Random(20240601)
    stats = {"answered": 0, "closed": 0, "silent": 0}
    for rnd in range(200):
        node = rng.randrange(1, 4)
        s = connect(m, node)
        try:
            if rng.random() < 0.5:
                startup(s)
            for _ in range(rng.randrange(1, 4)):
                s.sendall(random_request(rng))
            if rnd % 4 == 0:
                # look at what comes back, without insisting on an answer
                s.settimeout(0.2)
                try:
                    if s.recv(65536):
                        stats["answered"] += 1
                    else:
                        stats["closed"] += 1
                except socket.timeout:
                    stats["silent"] += 1
                except ConnectionResetError:
                    stats["closed"] += 1
        except (BrokenPipeError, ConnectionResetError, EOFError):
            stats["closed"] += 1
        finally:
            if rng.random() < 0.3:	# abortive close (RST)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                              struct.pack("ii", 1, 0))
            s.close()
        if rnd % 50 == 49:
            mock_healthy(m)
    mock_healthy(m)
    ok("200 rounds of seeded garbage/truncated/lying frames: mock alive,"
       " control answers, fresh connection works (%s)" % json.dumps(stats))

    # oversized length: refused before allocating, mock keeps going
    for length in (0x7FFFFFFF, 0xFFFFFFFF, (256 << 20) + 1):
        s = connect(m)
        try:
            startup(s)
            s.sendall(struct.pack(">BBhBI", 4, 0, 2, OP_QUERY, length)
                      + b"x" * 100)
            s.settimeout(TIMEOUT)
            try:
                fr = read_frame(s)
                what = "ERROR 0x%04x %r" % error_of(fr)
            except (EOFError, ConnectionResetError):
                what = "connection closed"
        finally:
            s.close()
        mock_healthy(m)
        ok("frame length 0x%08x -> %s; mock healthy" % (length, what))

    # a truncated frame then close; a header split over many writes
    s = connect(m)
    startup(s)
    data = frame(4, OP_QUERY, query_body("SELECT key FROM system.local"),
                 stream=21)
    for b in data:
        s.sendall(bytes([b]))
    fr = read_frame(s)
    assert fr[3] == OP_RESULT and fr[2] == 21, fr[:4]
    s.sendall(data[:20])
    s.close()
    mock_healthy(m)
    ok("a frame sent one byte per write is answered; truncated frame +"
       " close is harmless")

    # many frames pipelined in one write, answered on their streams
    s = connect(m)
    startup(s)
    s.sendall(b"".join(frame(4, OP_QUERY, query_body(
        "SELECT key FROM system.local"), stream=i) for i in range(100, 164)))
    got = sorted(read_frame(s)[2] for _ in range(64))
    assert got == list(range(100, 164)), got
    s.close()
    ok("64 pipelined QUERYs answered on their 64 streams")


def check_control(m):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.connect(m.control_path)
    buf = [b""]

    def ask(line):
        s.sendall(line if isinstance(line, bytes) else line.encode())
        while b"\n" not in buf[0]:
            chunk = s.recv(65536)
            if not chunk:
                raise EOFError("control channel closed after %r" % line)
            buf[0] += chunk
        ans, buf[0] = buf[0].split(b"\n", 1)
        return json.loads(ans)

    cases = [
        ("bad JSON", b"{nope\n"),
        ("JSON not an object", b"[1, 2]\n"),
        ("no op", b'{"node": 1}\n'),
        ("unknown op", b'{"op": "explode"}\n'),
        ("op not a string", b'{"op": 7}\n'),
        ("node 0", b'{"op": "stop", "node": 0}\n'),
        ("node 99", b'{"op": "stop", "node": 99}\n'),
        ("node -1", b'{"op": "kill", "node": -1}\n'),
        ("node a string", b'{"op": "start", "node": "two"}\n'),
        ("missing node", b'{"op": "stop"}\n'),
        ("unknown error name", b'{"op": "fail", "node": 1, "error": "nope",'
                               b' "count": 1}\n'),
        ("negative delay", b'{"op": "delay", "node": 1, "ms": -5}\n'),
        ("remove node 99", b'{"op": "remove", "node": 99}\n'),
    ]
    for what, line in cases:
        ans = ask(line)
        assert ans.get("ok") is False and isinstance(ans.get("error"), str) \
            and ans["error"], "%s: answer %r" % (what, ans)
        ok("control %-20s -> error %r" % (what, ans["error"]))
    ans = ask('{"op": "nodes"}\n')
    assert ans.get("ok") is True and len(ans["nodes"]) == 3, ans
    ok("control channel still answers on the same connection after errors")
    # a very long line: refused or cut, but the mock lives on
    try:
        ans = ask(b'{"op": "' + b"x" * (4 << 20) + b'"}\n')
        ok("control 4 MiB line -> %r" % (ans.get("error", ans),))
    except (EOFError, ConnectionResetError, BrokenPipeError) as e:
        ok("control 4 MiB line -> connection closed (%s)" % e)
    s.close()
    for n in m.nodes():
        assert n["state"] == "up", n
    mock_healthy(m)
    ok("control: mock healthy afterwards, all nodes still up")


def read_inet(r):
    n = r.take(1)[0]
    addr = socket.inet_ntop(socket.AF_INET if n == 4 else socket.AF_INET6,
                            r.take(n))
    return addr, r.int()


def next_event(sock, what):
    """The next EVENT on sock as a tuple, skipping nothing else."""
    sock.settimeout(TIMEOUT)
    try:
        fr = read_frame(sock)
    except socket.timeout:
        raise AssertionError("no EVENT within %.0f s (waiting for %s)"
                             % (TIMEOUT, what))
    assert fr[3] == 0x0C, "expected EVENT, got opcode %d" % fr[3]
    assert fr[2] == -1, "EVENT on stream %d, want -1" % fr[2]
    r = Reader(fr[4])
    kind = r.string()
    if kind in ("STATUS_CHANGE", "TOPOLOGY_CHANGE"):
        return (kind, r.string()) + read_inet(r)
    change, target = r.string(), r.string()
    if target == "KEYSPACE":
        return (kind, change, target, r.string())
    return (kind, change, target, r.string(), r.string())


def is_closed_now(sock):
    """True if sock already has EOF (or a reset) waiting; never blocks."""
    sock.setblocking(False)
    try:
        return sock.recv(65536) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
    finally:
        sock.setblocking(True)


def check_events(m):
    P = m.port
    c1 = connect(m, 1)
    startup(c1)
    c1.sendall(frame(4, OP_REGISTER, struct.pack(">H", 3) + p_string(
        "TOPOLOGY_CHANGE") + p_string("STATUS_CHANGE") +
        p_string("SCHEMA_CHANGE"), stream=2))
    fr = read_frame(c1)
    assert fr[3] == OP_READY, "REGISTER answered with opcode %d" % fr[3]
    ok("REGISTER TOPOLOGY_CHANGE, STATUS_CHANGE, SCHEMA_CHANGE -> READY")
    plain = connect(m, 3)	# not registered: must get no events
    startup(plain)

    late = []
    for how in ("stop", "kill"):
        c2 = connect(m, 2)
        startup(c2)
        getattr(m, how)(2)
        # node 2's connection ends first, then node 1 announces DOWN
        c2.settimeout(TIMEOUT)
        try:
            eof = c2.recv(65536) == b""
        except ConnectionResetError:
            eof = True
        t_eof = time.monotonic()
        c2.close()
        assert eof, "node 2's connection got data instead of EOF"
        ev = next_event(c1, "STATUS_CHANGE DOWN")
        gap = (time.monotonic() - t_eof) * 1000
        assert ev == ("STATUS_CHANGE", "DOWN", "127.0.0.2", P), ev
        ok("%s 2: its connection closed, then node 1 pushed %s %.0f ms"
           " later" % (how, " ".join(map(str, ev)), gap))
        if gap < 50:
            late.append("%s: DOWN %.1f ms after EOF" % (how, gap))
        try:
            connect(m, 2).close()
            raise AssertionError("node 2 still accepts connections")
        except ConnectionRefusedError:
            ok("%s 2: 127.0.0.2 refuses connections" % how)
        m.start(2)
        ev = next_event(c1, "STATUS_CHANGE UP")
        assert ev == ("STATUS_CHANGE", "UP", "127.0.0.2", P), ev
        assert fresh_connection_works(m, 2)
        ok("start 2: node 1 pushed %s; node 2 serves again"
           % " ".join(map(str, ev)))

    n = m.add()
    ev = next_event(c1, "TOPOLOGY_CHANGE NEW_NODE")
    assert ev == ("TOPOLOGY_CHANGE", "NEW_NODE", m.addr(n), P), ev
    ev2 = next_event(c1, "STATUS_CHANGE UP")
    assert ev2 == ("STATUS_CHANGE", "UP", m.addr(n), P), ev2
    assert fresh_connection_works(m, n)
    ok("add -> node %d; pushed %s, then %s" % (
        n, " ".join(map(str, ev)), " ".join(map(str, ev2))))
    m.remove(n)
    ev = next_event(c1, "TOPOLOGY_CHANGE REMOVED_NODE")
    assert ev == ("TOPOLOGY_CHANGE", "REMOVED_NODE", m.addr(n), P), ev
    ok("remove %d -> pushed %s" % (n, " ".join(map(str, ev))))

    for cql, want in (
            ("CREATE KEYSPACE ev_ks WITH replication = {'class':"
             " 'SimpleStrategy', 'replication_factor': 1}",
             ("SCHEMA_CHANGE", "CREATED", "KEYSPACE", "ev_ks")),
            ("CREATE TABLE ev_ks.t (k int PRIMARY KEY)",
             ("SCHEMA_CHANGE", "CREATED", "TABLE", "ev_ks", "t")),
            ("ALTER TABLE ev_ks.t ADD v text",
             ("SCHEMA_CHANGE", "UPDATED", "TABLE", "ev_ks", "t")),
            ("CREATE TYPE ev_ks.ty (a int)",
             ("SCHEMA_CHANGE", "CREATED", "TYPE", "ev_ks", "ty")),
            ("DROP TABLE ev_ks.t",
             ("SCHEMA_CHANGE", "DROPPED", "TABLE", "ev_ks", "t")),
            ("DROP KEYSPACE ev_ks",
             ("SCHEMA_CHANGE", "DROPPED", "KEYSPACE", "ev_ks"))):
        plain.sendall(frame(4, OP_QUERY, query_body(cql), stream=30))
        fr = read_frame(plain)
        assert fr[3] == OP_RESULT and Reader(fr[4]).int() == 5, \
            "%s: answer opcode %d %r" % (cql, fr[3], fr[4][:60])
        ev = next_event(c1, " ".join(want))
        assert ev == want, "%s: event %r, want %r" % (cql, ev, want)
    ok("DDL on node 3 -> SCHEMA_CHANGE events on node 1's registered"
       " connection (keyspace, table, type; created/updated/dropped)")
    # the unregistered connection got its answers and nothing else
    sup = options_ok(plain, 4, 31)
    assert sup
    ok("an unregistered connection received no EVENT frames")
    plain.close()
    c1.close()
    # As Cassandra (gossip), DOWN must come well after the node's client
    # connections closed: a driver reading both in one loop turn sees the
    # event first and ignores it while its pool still looks open.
    assert not late, ("STATUS_CHANGE DOWN pushed less than 50 ms after the"
                      " node's connections closed (%s)" % "; ".join(late))
    ok("DOWN events came at least 50 ms after the connections closed")


def main():
    t0 = time.monotonic()
    try:
        with Mock(nodes=3, seed=5) as m:
            say("cqlmock up: 3 nodes on 127.0.0.1-3 port %d" % m.port)
            step("handshake", check_handshake, m)
            step("bad_versions", check_bad_versions, m)
            step("bad_requests", check_bad_requests, m)
            step("garbage", check_garbage, m)
            step("control", check_control, m)
            step("events", check_events, m)
    except MockError as e:
        say("FAIL cqlmock: %s" % e)
        return 1
    say("%d check groups failed%s; %.1f s" % (
        len(failures), (": " + ", ".join(failures)) if failures else "",
        time.monotonic() - t0))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
