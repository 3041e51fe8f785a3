#!/bin/sh
# Configure (once) and build in the source tree. Extra arguments go to configure.
set -eu
cd "$(dirname "$0")/.."
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
	autoreconf -fi
fi
if [ ! -f Makefile ] || [ -n "${1:-}" ]; then
	./configure "$@"
fi
make -j"$(nproc)"
