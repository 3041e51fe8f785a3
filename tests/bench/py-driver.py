"""The DataStax Python driver (Debian's python3-cassandra) on the benchmark
workload, for comparison with the driver core and with cqlproxyd.

    py-driver.py throughput --port P [--concurrency 256] [--duration 3]
        [--warmup 1] [--keys 1000]
        execute_async of a prepared single-row read by partition key,
        --concurrency requests in flight (each callback starts the next),
        for a fixed time; prints one JSON line (rps, p50/p99/p999 in us).

    py-driver.py oneshot --port P
        What a CGI program does with the driver: create a Cluster,
        connect, run one query, shut down.  Prints the value read.

Run with /usr/bin/python3 (it has the driver).  Needs the schema of
mock-load --setup.
"""

import argparse
import json
import sys
import threading
import time

QUERY = "SELECT v FROM bench.kv WHERE k = ?"


def cluster_for(port):
    """A Cluster on the mock with the driver's defaults (protocol v4)."""
    from cassandra.cluster import Cluster
    return Cluster(["127.0.0.1"], port=port, protocol_version=4)


def pct(sorted_samples, p):
    """Nearest-rank percentile, as benchutil.c computes it."""
    if not sorted_samples:
        return 0
    i = int(p / 100.0 * len(sorted_samples) + 0.999999)
    i = min(max(i, 1), len(sorted_samples))
    return sorted_samples[i - 1]


def throughput(args):
    """Keep args.concurrency requests in flight until the time is up."""
    cluster = cluster_for(args.port)
    session = cluster.connect()
    stmt = session.prepare(QUERY)
    lock = threading.Lock()
    finished = threading.Event()
    state = {"inflight": 0, "done": 0, "errors": 0, "first_error": None}
    lat = []
    seed = [88172645463325252]
    start = time.monotonic()
    t_from = start + args.warmup
    t_to = t_from + args.duration

    def next_key():
        s = seed[0]
        s ^= (s << 13) & 0xFFFFFFFFFFFFFFFF
        s ^= s >> 7
        s ^= (s << 17) & 0xFFFFFFFFFFFFFFFF
        seed[0] = s
        return (s >> 11) % args.keys

    def send():
        with lock:
            key = next_key()
            state["inflight"] += 1
        sent = time.monotonic()
        fut = session.execute_async(stmt, (key,))
        fut.add_callbacks(done, failed, callback_args=(sent,),
                          errback_args=(sent,))

    def finish(sent, ok, err=None):
        now = time.monotonic()
        with lock:
            state["inflight"] -= 1
            if t_from <= now < t_to:
                state["done"] += 1
                lat.append(int((now - sent) * 1e6))
                if not ok:
                    state["errors"] += 1
                    if state["first_error"] is None:
                        state["first_error"] = repr(err)
            stop = now >= t_to
            if stop and state["inflight"] == 0:
                finished.set()
        if not stop:
            send()

    def done(rows, sent):
        finish(sent, len(rows) == 1)

    def failed(exc, sent):
        finish(sent, False, exc)

    for _ in range(args.concurrency):
        send()
    if not finished.wait(args.warmup + args.duration + 60):
        sys.exit("py-driver: requests did not finish in time")
    cluster.shutdown()
    lat.sort()
    out = {"bench": "python", "concurrency": args.concurrency,
           "requests": state["done"], "errors": state["errors"],
           "rps": state["done"] / args.duration,
           "p50_us": pct(lat, 50), "p99_us": pct(lat, 99),
           "p999_us": pct(lat, 99.9),
           "reactor": cluster.connection_class.__name__}
    if state["first_error"]:
        out["first_error"] = state["first_error"]
    print(json.dumps(out), flush=True)


def oneshot(args):
    """Cluster, connect, query, shutdown: the CGI pattern."""
    cluster = cluster_for(args.port)
    session = cluster.connect()
    row = session.execute("SELECT v FROM bench.kv WHERE k = 1").one()
    cluster.shutdown()
    print(row.v)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["throughput", "oneshot"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--concurrency", type=int, default=256)
    ap.add_argument("--duration", type=float, default=3.0)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--keys", type=int, default=1000)
    args = ap.parse_args()
    if args.mode == "throughput":
        throughput(args)
    else:
        oneshot(args)


if __name__ == "__main__":
    main()
