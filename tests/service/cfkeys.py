"""Read the key table of daemon/service/config.c (the one place every
configuration key is described) so that tests can hold the manual and the
example file to it.

    for k in config_keys(top_srcdir):
        k.section, k.name, k.type, k.default, k.reload, k.secret, k.help

Standard library only.  The table is a list of macro rows such as
    D("cluster", "request_timeout", request_timeout_ms, "10s", 1, DAY,
        CF_RELOAD, "default time a request may take, retries included"),
whose macros (S I B D Z E L M) are defined just above it.
"""

import os
import re
from collections import namedtuple

__all__ = ["Key", "config_keys", "TYPES"]

Key = namedtuple("Key", "section name type default reload secret help")

# Macro letter -> type word used in the manual.
TYPES = {"S": "string", "I": "integer", "B": "boolean", "D": "duration",
         "Z": "size", "E": "enum", "L": "list", "M": "mode"}


def _split_args(s):
    """Split a macro's argument text on top-level commas."""
    args, depth, cur, i, instr = [], 0, [], 0, False
    while i < len(s):
        c = s[i]
        if instr:
            cur.append(c)
            if c == "\\":
                cur.append(s[i + 1])
                i += 1
            elif c == '"':
                instr = False
        elif c == '"':
            instr = True
            cur.append(c)
        elif c in "([{":
            depth += 1
            cur.append(c)
        elif c in ")]}":
            depth -= 1
            cur.append(c)
        elif c == "," and depth == 0:
            args.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    if "".join(cur).strip():
        args.append("".join(cur).strip())
    return args


def _cstring(expr):
    """Concatenate the C string literals of an argument."""
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', expr)
    if not parts and expr.strip() != "NULL":
        raise ValueError("not a string literal: %r" % expr)
    return "".join(p.encode().decode("unicode_escape") for p in parts)


def config_keys(top_srcdir):
    path = os.path.join(top_srcdir, "daemon", "service", "config.c")
    with open(path) as f:
        src = f.read()
    # Drop comments so they cannot hide or fake rows.
    src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
    m = re.search(r"static const struct cf_key cf_keys\[\] = \{(.*?)\n\};",
                  src, re.S)
    if m is None:
        raise ValueError("%s: key table not found" % path)
    body = m.group(1)
    keys = []
    pos = 0
    row = re.compile(r"\b([SIBDZELM])\(")
    while True:
        m = row.search(body, pos)
        if m is None:
            break
        depth, i = 1, m.end()
        instr = False
        while depth:
            c = body[i]
            if instr:
                if c == "\\":
                    i += 1
                elif c == '"':
                    instr = False
            elif c == '"':
                instr = True
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
            i += 1
        args = _split_args(body[m.end():i - 1])
        letter = m.group(1)
        flags = args[-2]
        keys.append(Key(section=_cstring(args[0]), name=_cstring(args[1]),
                        type=TYPES[letter], default=_cstring(args[3]),
                        reload="CF_RELOAD" in flags,
                        secret="CF_SECRET" in flags,
                        help=_cstring(args[-1])))
        pos = i
    if not keys:
        raise ValueError("%s: no keys in the table" % path)
    return keys


if __name__ == "__main__":
    import sys
    for k in config_keys(sys.argv[1] if len(sys.argv) > 1 else "."):
        print("%s.%s\t%s\t%r\t%s\t%s" % (k.section, k.name, k.type,
              k.default, "reload" if k.reload else "restart", k.help))
