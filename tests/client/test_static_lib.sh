#!/bin/sh
# libcqlproxy.a: its only global symbols are the cqlp_ ones, and a program
# that defines the library's internal names for itself links and runs
# (static-clash).
: "${top_builddir:?}"
lib="$top_builddir/libclient/libcqlproxy.a"
[ -f "$lib" ] || { echo "missing $lib"; exit 1; }
syms=$(${NM:-nm} -g --defined-only "$lib" | awk 'NF == 3 { print $3 }')
[ -n "$syms" ] || { echo "no symbols in $lib"; exit 1; }
bad=$(printf '%s\n' "$syms" | grep -v '^cqlp_' || true)
if [ -n "$bad" ]; then
	echo "libcqlproxy.a exports internal symbols:"; echo "$bad"; exit 1
fi
echo "libcqlproxy.a: $(printf '%s\n' "$syms" | wc -l) symbols, all cqlp_"
exec "$top_builddir/tests/client/static-clash"
