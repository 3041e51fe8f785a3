#!/usr/bin/python3
"""The main job: a 3-node cqlmock cluster driven by the real Python driver.

Starts cqlmock on 127.0.0.1-3, connects the DataStax Python driver, shows
the hosts it found, writes and reads a few rows with a trace, stops node 2
and shows the driver noticing, starts it again, and exits 0.
"""

import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cqlmock import Mock, MockError, driver_cluster, wait_until  # noqa: E402

warnings.simplefilter("ignore", DeprecationWarning)


def main():
    try:
        import cassandra
    except ImportError as e:
        print("The DataStax Python driver is not installed (%s);"
              " run scripts/deps.sh." % e)
        return 1
    t0 = time.monotonic()
    try:
        with Mock(nodes=3) as m:
            print("cqlmock: 3 nodes listening on 127.0.0.1-3 port %d"
                  % m.port)
            cluster = driver_cluster(m)
            try:
                run(m, cluster, cassandra.__version__)
            finally:
                cluster.shutdown()
    except MockError as e:
        print("cqlmock failed: %s" % e)
        return 1
    print("done in %.1f s" % (time.monotonic() - t0))
    return 0


def run(m, cluster, version):
    session = cluster.connect()
    print("driver %s connected, protocol v%d; hosts it discovered:"
          % (version, cluster.protocol_version))
    for h in sorted(cluster.metadata.all_hosts(), key=lambda h: h.address):
        print("  %-10s %s/%s  Cassandra %s  %s" % (
            h.address, h.datacenter, h.rack, h.release_version,
            "up" if h.is_up else "down"))

    session.execute("CREATE KEYSPACE demo WITH replication ="
                    " {'class': 'SimpleStrategy', 'replication_factor': 2}")
    session.execute("CREATE TABLE demo.fruit (name text PRIMARY KEY,"
                    " colour text, stock int)")
    ins = session.prepare("INSERT INTO demo.fruit (name, colour, stock)"
                          " VALUES (?, ?, ?)")
    for row in (("apple", "red", 12), ("banana", "yellow", 7),
                ("cherry", "dark red", 250), ("kiwi", "green", 0)):
        session.execute(ins, row)
    print("created demo.fruit (RF 2) and inserted 4 rows")

    rs = session.execute("SELECT name, colour, stock FROM demo.fruit",
                         trace=True)
    print("SELECT * FROM demo.fruit:")
    for r in rs:
        replicas = cluster.metadata.get_replicas(
            "demo", r.name.encode())
        print("  %-7s %-9s %4d   replicas %s" % (
            r.name, r.colour, r.stock,
            ", ".join(sorted(h.address for h in replicas))))
    tr = rs.get_query_trace(max_wait_sec=5)
    print("trace %s on %s, %s:" % (tr.trace_id, tr.coordinator, tr.duration))
    for ev in tr.events[:6]:
        us = int(ev.source_elapsed.total_seconds() * 1e6) \
            if ev.source_elapsed is not None else 0
        print("  %6d us  %-10s %s" % (us, ev.source, ev.description))

    h2 = [h for h in cluster.metadata.all_hosts()
          if h.address == m.addr(2)][0]
    m.stop(2)
    print("stopped node 2 ...", end=" ", flush=True)
    wait_until(lambda: not h2.is_up, 20, "the driver to mark node 2 down")
    print("the driver marked 127.0.0.2 down")
    n = session.execute("SELECT count(*) FROM demo.fruit").one()[0]
    print("  queries still work: count(*) = %d" % n)
    m.start(2)
    print("started node 2 ...", end=" ", flush=True)
    wait_until(lambda: h2.is_up, 20, "the driver to mark node 2 up")
    print("the driver marked 127.0.0.2 up again")


if __name__ == "__main__":
    sys.exit(main())
