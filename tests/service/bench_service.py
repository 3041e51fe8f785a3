"""Service benchmark (not part of make check; `make bench` may run it):

- idle-client cost (issue 7, 4): RSS of the daemon with 0, 1,000, 5,000
  and 10,000 connected clients that each ran one query, the slope in bytes
  per client, and the RSS after they all left;
- one connection's throughput: requests without ids (in order, each after
  the previous answer) beside requests with ids (pipelined).

Prints a markdown table. Needs about 2 x 10,000 descriptors (the limit is
raised to the hard limit; fewer clients are measured if it is lower).
Env as for the tests: top_builddir, CQLMOCK, PYTHONPATH=tests/lib.
"""

import resource
import sys
import time

from svc import Svc, skip_unless_built

QUERY = {"cql": "SELECT release_version FROM system.local"}


def idle_slope():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    top = min(10000, hard - 500)
    steps = [n for n in (1000, 5000, 10000) if n <= top] or [top]
    rows = []
    with Svc(nodes=1, listen={"max_clients": top + 200, "backlog": 4096},
             log={"level": "warn"},
             preexec_fn=lambda: resource.setrlimit(
                 resource.RLIMIT_NOFILE, (hard, hard))) as s:
        warm = [s.client() for _ in range(100)]
        for c in warm:
            c.ok(QUERY)
        time.sleep(0.3)
        base = s.rss_kib()
        clients = []
        for n in steps:
            while len(clients) < n:
                c = s.client()
                c.ok(QUERY)
                clients.append(c)
            time.sleep(0.3)
            rss = s.rss_kib()
            rows.append((n, rss, (rss - base) * 1024.0 / n))
        for c in clients:
            c.close()
        time.sleep(1.0)
        with s.client() as c:
            c.ok({"op": "ping"})    # a loop turn after the last close
        after = s.rss_kib()
        for c in warm:
            c.close()
    print("| idle clients | daemon RSS (KiB) | bytes per client |")
    print("|---:|---:|---:|")
    print("| 0 | %d | |" % base)
    for n, rss, per in rows:
        print("| %d | %d | %.0f |" % (n, rss, per))
    print("| 0 (after they left) | %d | |" % after)
    print()


def throughput(n=20000):
    with Svc(nodes=1, log={"level": "warn"},
             listen={"max_inflight_per_client": 1024}) as s:
        c = s.client()
        c.ok(QUERY)
        t0 = time.monotonic()
        for _ in range(n):
            c.send(QUERY)
            c.recv_line()
        t_order = time.monotonic() - t0
        t0 = time.monotonic()
        batch = 512
        for i in range(0, n, batch):
            c.send_many([dict(QUERY, id=k) for k in range(batch)])
            for _ in range(batch):
                c.recv_line()
        t_pipe = time.monotonic() - t0
    print("| one connection, %d requests | requests/s |" % n)
    print("|---|---:|")
    print("| without ids (in order) | %.0f |" % (n / t_order))
    print("| with ids (pipelined, %d in flight) | %.0f |"
          % (batch, n / t_pipe))
    print()


if __name__ == "__main__":
    skip_unless_built()
    idle_slope()
    throughput()
    sys.exit(0)
