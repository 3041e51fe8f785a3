#!/bin/sh
# The main job: a 3-node cqlmock cluster on 127.0.0.1-3 with cqlproxyd in
# front of it, queried through socat the way a shell script would, then
# both stopped.  Everything runs on loopback and ends by itself.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
sh scripts/build.sh >/dev/null
top=$(pwd)
dir=$(mktemp -d /tmp/cqlproxyd-demo.XXXXXX)
mock_pid=""
daemon_pid=""
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true
	[ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

# cqlmock: try a few random ports until one is free on all three addresses.
for try in 1 2 3 4 5; do
	port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
	mkfifo "$dir/ready.$try"
	"$top/tests/mock/cqlmock" --nodes 3 --port "$port" \
	    --control "$dir/mock.ctl" >"$dir/ready.$try" 2>"$dir/mock.log" &
	mock_pid=$!
	if read -r line <"$dir/ready.$try" && [ "$line" = ready ]; then
		break
	fi
	wait "$mock_pid" 2>/dev/null || true
	mock_pid=""
done
[ -n "$mock_pid" ] || { echo "demo: cqlmock did not start"; cat "$dir/mock.log"; exit 1; }
echo "cqlmock: 3 nodes on 127.0.0.1-3 port $port"

cat >"$dir/cqlproxyd.conf" <<CONF
[cluster]
contact_points = 127.0.0.1
port = $port
status_event_window = 100ms
[policy]
reconnect_base_delay = 200ms
reconnect_max_delay = 1s
[listen]
socket = $dir/cqlproxyd.sock
CONF
"$top/daemon/service/cqlproxyd" -f -c "$dir/cqlproxyd.conf" 2>"$dir/cqlproxyd.log" &
daemon_pid=$!
S="UNIX-CONNECT:$dir/cqlproxyd.sock"
i=0
until echo '{"op":"ping"}' | socat -t 2 - "$S" 2>/dev/null | grep -q "\"ok\": *true"; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$daemon_pid" 2>/dev/null; then
		echo "demo: cqlproxyd did not come up"; cat "$dir/cqlproxyd.log"; exit 1
	fi
	sleep 0.1
done
echo "cqlproxyd: listening on $dir/cqlproxyd.sock"
echo

show() {
	echo "\$ echo '$1' | socat - UNIX-CONNECT:cqlproxyd.sock"
	echo "$1" | socat -t 10 - "$S"
	echo
}
show '{"cql":"SELECT release_version, data_center FROM system.local"}'
show '{"op":"hosts"}'
echo "\$ socat - UNIX-CONNECT:cqlproxyd.sock <<EOF   (no ids: run in order)"
socat -t 10 - "$S" <<'EOF'
{"cql":"CREATE KEYSPACE demo WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}"}
{"cql":"CREATE TABLE demo.fruit (name text PRIMARY KEY, colour text, stock int)"}
{"cql":"INSERT INTO demo.fruit (name, colour, stock) VALUES (?, ?, ?)","values":["apple","red",12]}
{"cql":"INSERT INTO demo.fruit (name, colour, stock) VALUES (?, ?, ?)","values":["kiwi","green",0]}
{"id":1,"cql":"SELECT * FROM demo.fruit WHERE name = ?","values":["apple"]}
{"id":2,"op":"query","cql":"SELECT count(*) FROM demo.fruit"}
EOF
echo
echo "# node 2 stops; reads keep working through the other replicas"
echo '{"op":"stop","node":2}' | socat -t 5 - "UNIX-CONNECT:$dir/mock.ctl" >/dev/null
show '{"cql":"SELECT name, stock FROM demo.fruit","idempotent":true}'
echo '{"op":"start","node":2}' | socat -t 5 - "UNIX-CONNECT:$dir/mock.ctl" >/dev/null

echo "# SIGTERM: the daemon answers what it received, then exits 0"
kill -TERM "$daemon_pid"
status=0
wait "$daemon_pid" || status=$?
daemon_pid=""
echo "cqlproxyd exited with status $status"
echo
echo "To use a real cluster: set [cluster] contact_points, port and local_dc in"
echo "conf/cqlproxyd.conf and run: cqlproxyd -c conf/cqlproxyd.conf  (docs/running.md)"
exit "$status"
