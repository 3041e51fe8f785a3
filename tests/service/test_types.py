"""Every CQL type through the real daemon and back (docs/protocol.md,
"Values"): a value bound as JSON is written by cqlmock and read back in the
documented form; that form bound again reads back the same (lossless);
bigint/varint/decimal/counter as strings with numbers_as_strings (per
request and per connection); NaN and the infinities in both modes
(issue 7, 5).
"""

import math

from svc import Svc, run_tests

# type, value sent, value read back (the documented written form)
CASES = [
    ("ascii", "abc", "abc"),
    ("text", "na\u00efve \u2603", "na\u00efve \u2603"),
    ("varchar", "", ""),
    ("tinyint", 127, 127),
    ("tinyint", "-128", -128),
    ("smallint", -32768, -32768),
    ("int", 2147483647, 2147483647),
    ("bigint", -9223372036854775808, -9223372036854775808),
    ("bigint", "9007199254740993", 9007199254740993),
    ("varint", -1000000000000000000000000000000,
     -1000000000000000000000000000000),
    ("varint", "123456789012345678901234567890",
     123456789012345678901234567890),
    ("decimal", "-1.50E+3", "dec:-1.50E+3"),
    ("decimal", "0.1", "dec:0.1"),
    ("float", 2.5, 2.5),
    ("float", "-0.5", -0.5),
    ("double", 1.5e300, 1.5e300),
    ("double", 0.1, 0.1),
    ("boolean", True, True),
    ("boolean", "false", False),
    ("blob", "0x00ff", "0x00ff"),
    ("blob", "0x", "0x"),
    ("uuid", "62C36092-82A1-3A00-93D1-46196EE77204",
     "62c36092-82a1-3a00-93d1-46196ee77204"),
    ("timeuuid", "d2177dd0-eaa2-11de-a572-001b779c76e3",
     "d2177dd0-eaa2-11de-a572-001b779c76e3"),
    ("inet", "10.0.0.1", "10.0.0.1"),
    ("inet", "2001:db8::1", "2001:db8:0:0:0:0:0:1"),
    ("timestamp", "2021-06-01 12:30:45.123Z", "2021-06-01 12:30:45.123Z"),
    ("timestamp", 1622550645123, "2021-06-01 12:30:45.123Z"),
    ("date", "2024-02-29", "2024-02-29"),
    ("time", "12:34:56.123456789", "12:34:56.123456789"),
    ("duration", "1mo2d3s", "1mo2d3s"),
    ("duration", "PT1H30M", "1h30m"),
    ("list<int>", [0, 1, 2], [0, 1, 2]),
    ("set<text>", ["z", "y", "y"], ["y", "z"]),
    ("map<text, int>", {"c": 3, "b": 2}, {"b": 2, "c": 3}),
    ("map<int, text>", {"1": "x"}, {"1": "x"}),
    ("frozen<list<int>>", [3, 2], [3, 2]),
    ("tuple<int, text>", [1, "one"], [1, "one"]),
    ("tuple<int, text>", [1, None], [1, None]),
    ("frozen<addr>", {"street": "Main", "zip": 12345},
     {"street": "Main", "zip": 12345}),
    ("frozen<addr>", {"street": "Main"}, {"street": "Main", "zip": None}),
    ("list<frozen<map<int, text>>>", [{"1": "a"}], [{"1": "a"}]),
]

NUMSTR = {"bigint", "varint", "decimal", "counter"}


def unfrozen(t):
    """A type's text without frozen<>: the wire form has no frozen bit."""
    t = t.replace(" ", "").replace("varchar", "text")
    while "frozen<" in t:
        i = t.index("frozen<")
        depth, j = 0, i + 6
        while True:
            if t[j] == "<":
                depth += 1
            elif t[j] == ">":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        t = t[:i] + t[i + 7:j] + t[j + 1:]
    return t


def expect(v):
    """The expected read-back value as the JSON parser gives it."""
    if isinstance(v, str) and v.startswith("dec:"):
        return v[4:]
    return v


def read_decimal_as_text(line, col):
    """decimal is written as a JSON number in Java's form; compare text."""
    import re
    m = re.search(r'"rows": \[\[(.*)\]\]', line)
    return m.group(1).split(", ")[col]


def test_types_roundtrip():
    with Svc(nodes=1) as s:
        c = s.client()
        c.ok({"cql": "CREATE KEYSPACE ty WITH replication = "
                     "{'class': 'SimpleStrategy', 'replication_factor': 1}"})
        c.ok({"cql": "CREATE TYPE ty.addr (street text, zip int)"})
        for i, (t, sent, back) in enumerate(CASES):
            table = "ty.t%d" % i
            c.ok({"cql": "CREATE TABLE %s (k int PRIMARY KEY, v %s)"
                         % (table, t)})
            c.ok({"cql": "INSERT INTO %s (k, v) VALUES (?, ?)" % table,
                  "values": [1, sent]})
            c.send({"cql": "SELECT v FROM %s WHERE k = 1" % table})
            line = c.recv_line().decode()
            a = __import__("json").loads(line)
            assert a["ok"], (t, a)
            assert unfrozen(a["columns"][0]["type"]) == unfrozen(t), (t, a)
            got = a["rows"][0][0]
            if t == "decimal":
                assert read_decimal_as_text(line, 0) == expect(back), \
                    (t, line)
            elif isinstance(back, float):
                assert got == back and math.copysign(1, got) == \
                    math.copysign(1, back), (t, got, back)
            else:
                assert got == expect(back), (t, sent, got, back)
            # what was written goes back in unchanged
            if t == "decimal":
                again = read_decimal_as_text(line, 0)
                again = again  # sent as a string to keep the scale
                c.ok({"cql": "INSERT INTO %s (k, v) VALUES (?, ?)" % table,
                      "values": [2, again]})
            else:
                c.ok({"cql": "INSERT INTO %s (k, v) VALUES (?, ?)" % table,
                      "values": [2, got]})
            c.send({"cql": "SELECT v FROM %s WHERE k = 2" % table})
            line2 = c.recv_line().decode()
            assert line2 == line, (t, line, line2)
            # numbers as strings: the big numeric types become strings
            a = c.ok({"cql": "SELECT v FROM %s WHERE k = 1" % table,
                      "numbers_as_strings": True})
            if t in NUMSTR:
                assert isinstance(a["rows"][0][0], str), (t, a)
                assert a["rows"][0][0] == str(expect(back)), (t, a)
        # null, and the empty value
        c.ok({"cql": "INSERT INTO ty.t4 (k, v) VALUES (?, ?)",
              "values": [3, None]})
        a = c.ok({"cql": "SELECT v FROM ty.t4 WHERE k = 3"})
        assert a["rows"] == [[None]], a
        c.ok({"cql": "INSERT INTO ty.t4 (k, v) VALUES (?, ?)",
              "values": [4, ""]})
        a = c.ok({"cql": "SELECT v FROM ty.t4 WHERE k = 4"})
        assert a["rows"] == [[""]], a
        # counters
        c.ok({"cql": "CREATE TABLE ty.cnt (k int PRIMARY KEY, n counter)"})
        c.ok({"cql": "UPDATE ty.cnt SET n = n + ? WHERE k = ?",
              "values": ["9007199254740993", 1]})
        a = c.ok({"cql": "SELECT n FROM ty.cnt WHERE k = 1"})
        assert a["rows"] == [[9007199254740993]], a
        # per connection
        c.ok({"op": "use", "numbers_as_strings": True})
        a = c.ok({"cql": "SELECT n FROM ty.cnt WHERE k = 1"})
        assert a["rows"] == [["9007199254740993"]], a
        a = c.ok({"cql": "SELECT n FROM ty.cnt WHERE k = 1",
                  "numbers_as_strings": False})
        assert a["rows"] == [[9007199254740993]], a
        # other connections are not affected
        with s.client() as c2:
            a = c2.ok({"cql": "SELECT n FROM ty.cnt WHERE k = 1"})
            assert a["rows"] == [[9007199254740993]], a


def test_nan_infinity():
    with Svc(nodes=1) as s:
        c = s.client()
        c.ok({"cql": "CREATE KEYSPACE nanks WITH replication = "
                     "{'class': 'SimpleStrategy', 'replication_factor': 1}"})
        c.ok({"cql": "CREATE TABLE nanks.t (k int PRIMARY KEY, f float, "
                     "d double)"})
        specials = ["NaN", "Infinity", "-Infinity"]
        for i, v in enumerate(specials):
            c.ok({"cql": "INSERT INTO nanks.t (k, f, d) VALUES (?, ?, ?)",
                  "values": [i, v, v]})
        for i, v in enumerate(specials):
            # default: null, as Cassandra's SELECT JSON
            a = c.ok({"cql": "SELECT f, d FROM nanks.t WHERE k = ?",
                      "values": [i]})
            assert a["rows"] == [[None, None]], (v, a)
            # numbers as strings: nothing is lost
            a = c.ok({"cql": "SELECT f, d FROM nanks.t WHERE k = ?",
                      "values": [i], "numbers_as_strings": True})
            assert a["rows"] == [[v, v]], (v, a)
            # and that form goes back in, in either mode
            for mode in (False, True):
                c.ok({"cql": "INSERT INTO nanks.t (k, f, d) VALUES (?, ?, ?)",
                      "values": [10 + i, a["rows"][0][0], a["rows"][0][1]],
                      "numbers_as_strings": mode})
                b = c.ok({"cql": "SELECT f, d FROM nanks.t WHERE k = ?",
                          "values": [10 + i], "numbers_as_strings": True})
                assert b["rows"] == [[v, v]], (v, mode, b)


if __name__ == "__main__":
    run_tests([test_types_roundtrip, test_nan_infinity])
