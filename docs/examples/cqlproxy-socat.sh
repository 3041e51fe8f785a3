#!/bin/sh
# cqlproxy-socat.sh: talking to cqlproxyd from a shell script with socat
# and jq only: no client library, no driver.
#
#	CQLPROXY_SOCKET=/run/cqlproxyd/cqlproxyd.sock sh cqlproxy-socat.sh
#
# Each request is one JSON line; socat sends them, half-closes, and prints
# one answer line per request (requests without an "id" run in order, so
# a script reads exactly as it runs).  jq picks the answers apart.
set -eu

SOCK=${CQLPROXY_SOCKET:-/run/cqlproxyd/cqlproxyd.sock}

# One request in, one answer out.
cql() {
	jq -cn --arg cql "$1" --argjson values "${2:-[]}" \
	    '{cql: $cql, values: $values}' |
	    socat -t 30 - "UNIX-CONNECT:$SOCK"
}

# Stop on the first error, with the daemon's code and message.
check() {
	printf '%s\n' "$1" | jq -e '.ok' >/dev/null || {
		printf '%s\n' "$1" | jq -r '"error: \(.error.code): \(.error.message)"' >&2
		exit 1
	}
}

a=$(cql "CREATE KEYSPACE IF NOT EXISTS demo WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
check "$a"
a=$(cql "CREATE TABLE IF NOT EXISTS demo.kv (k int PRIMARY KEY, v text)")
check "$a"

# Values go separately from the CQL: no quoting problems, and the daemon
# prepares the statement once for every client.
for k in 1 2 3; do
	a=$(cql "INSERT INTO demo.kv (k, v) VALUES (?, ?)" "[$k, \"value $k\"]")
	check "$a"
done

# Several requests in one connection, in order, one answer line each.
{
	echo '{"cql": "UPDATE demo.kv SET v = ? WHERE k = ?", "values": ["three!", 3]}'
	echo '{"cql": "SELECT k, v FROM demo.kv WHERE k IN (1, 2, 3)"}'
} | socat -t 30 - "UNIX-CONNECT:$SOCK" | tail -n 1 |
    jq -r '.columns as $c | .rows[] | [$c, .] | transpose |
	map({(.[0].name): .[1]}) | add | "\(.k)\t\(.v)"'
