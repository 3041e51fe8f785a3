#!/bin/sh
# The main job on the embedded default: a 3-node cqlmock cluster on
# 127.0.0.1-3, queried through the DataStax Python driver, then stopped.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
sh scripts/build.sh
exec /usr/bin/python3 tests/lib/demo.py
