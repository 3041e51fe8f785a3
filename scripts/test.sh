#!/bin/sh
# The whole test suite from a fresh Debian 12 machine: dependencies, build,
# make check. Exit status is the suite's.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
sh scripts/build.sh ${CONFIGURE_FLAGS:-}
status=0
make -j"$(nproc)" check || status=$?
if [ "$status" -ne 0 ]; then
	# Show the logs of what failed so CI output says why.
	for f in $(find tests -name '*.log' ! -name test-suite.log); do
		if grep -q '^:test-result: FAIL\|^:test-result: ERROR' "${f%.log}.trs" 2>/dev/null; then
			echo "=== $f"; tail -n 60 "$f"
		fi
	done
fi
# One closing line in the plain form CI reads.
p=$(cat $(find tests -name '*.trs') 2>/dev/null | grep -c '^:test-result: PASS' || true)
fl=$(cat $(find tests -name '*.trs') 2>/dev/null | grep -c '^:test-result: \(FAIL\|ERROR\|XPASS\)' || true)
sk=$(cat $(find tests -name '*.trs') 2>/dev/null | grep -c '^:test-result: SKIP' || true)
echo "tests: $p passed, $fl failed, $sk skipped"
exit "$status"
