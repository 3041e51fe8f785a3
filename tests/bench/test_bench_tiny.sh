#!/bin/sh
# make check: every benchmark of tests/bench/bench.py once, at a tiny size,
# so that none of them can rot.  Speed is not checked here, only that each
# program runs against cqlmock (and cqlproxyd) and gets no errors.
: "${top_srcdir:?}" "${top_builddir:?}"
exec "${PYTHON_DRIVER:-/usr/bin/python3}" "$top_srcdir/tests/bench/bench.py" \
    --tiny
