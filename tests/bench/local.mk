# tests/bench: the benchmark suite (make bench), and its tiny run in make
# check (tests/bench/test_bench_tiny.sh) so that it cannot rot.
# tests/bench/bench.py runs everything and prints the tables; the C
# programs below are its load generators and timers.
BENCH_UTIL = tests/bench/benchutil.h tests/bench/benchutil.c
BENCH_LDADD = daemon/util/libcqlutil.a -lm

noinst_PROGRAMS += tests/bench/mock-load
tests_bench_mock_load_SOURCES = tests/bench/mock-load.c $(BENCH_UTIL)
tests_bench_mock_load_LDADD = $(BENCH_LDADD)

noinst_PROGRAMS += tests/bench/core-bench
tests_bench_core_bench_SOURCES = tests/bench/core-bench.c $(BENCH_UTIL)
tests_bench_core_bench_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
tests_bench_core_bench_LDADD = daemon/core/libcqlcore.a \
	daemon/proto/libcqlproto.a daemon/util/libcqlutil.a $(LIBEVENT_LIBS) -lm

noinst_PROGRAMS += tests/bench/proxy-load tests/bench/idle-clients \
	tests/bench/spawn-time
tests_bench_proxy_load_SOURCES = tests/bench/proxy-load.c $(BENCH_UTIL)
tests_bench_proxy_load_LDADD = $(BENCH_LDADD)
tests_bench_idle_clients_SOURCES = tests/bench/idle-clients.c $(BENCH_UTIL)
tests_bench_idle_clients_LDADD = $(BENCH_LDADD)
tests_bench_spawn_time_SOURCES = tests/bench/spawn-time.c $(BENCH_UTIL)
tests_bench_spawn_time_LDADD = $(BENCH_LDADD)

# The CGI case on libcqlproxy.  -no-install: a real executable linked to
# the uninstalled library (no libtool wrapper script to time).
noinst_PROGRAMS += tests/bench/cqlp-oneshot
tests_bench_cqlp_oneshot_SOURCES = tests/bench/cqlp-oneshot.c
tests_bench_cqlp_oneshot_CPPFLAGS = -I$(top_srcdir)/libclient
tests_bench_cqlp_oneshot_LDFLAGS = $(AM_LDFLAGS) -no-install
tests_bench_cqlp_oneshot_LDADD = libclient/libcqlproxy.la
# The same program linked with libcqlproxy.a (how a CGI program that starts
# for every request would rather link it).
noinst_PROGRAMS += tests/bench/cqlp-oneshot-static
tests_bench_cqlp_oneshot_static_SOURCES = tests/bench/cqlp-oneshot.c
tests_bench_cqlp_oneshot_static_CPPFLAGS = -I$(top_srcdir)/libclient
tests_bench_cqlp_oneshot_static_LDADD = libclient/libcqlproxy.a -lm

# make bench: tests/bench/run-bench runs bench.py (every section) and keeps
# the tables and raw numbers in tests/bench/last-run.md and .json.
BENCH_PROGS += tests/bench/run-bench
BENCH_DEPS = tests/bench/mock-load tests/bench/core-bench \
	tests/bench/proxy-load tests/bench/idle-clients tests/bench/spawn-time \
	tests/bench/cqlp-oneshot tests/bench/cqlp-oneshot-static tests/mock/cqlmock daemon/service/cqlproxyd \
	libclient/cli/cqlproxy
tests/bench/run-bench: Makefile $(BENCH_DEPS)
	$(AM_V_GEN)$(MKDIR_P) tests/bench && { \
	    echo '#!/bin/sh'; \
	    echo '# Made by make: the benchmark suite (tests/bench/bench.py).'; \
	    echo 'top_builddir="$(abs_top_builddir)"; export top_builddir'; \
	    echo 'CQLMOCK="$(abs_top_builddir)/tests/mock/cqlmock"; export CQLMOCK'; \
	    echo 'exec $(PYTHON_DRIVER) "$(abs_top_srcdir)/tests/bench/bench.py" \'; \
	    echo '    --markdown "$(abs_top_builddir)/tests/bench/last-run.md" \'; \
	    echo '    --json "$(abs_top_builddir)/tests/bench/last-run.json" "$$@"'; \
	} > $@.tmp && chmod +x $@.tmp && mv $@.tmp $@
CLEANFILES += tests/bench/run-bench tests/bench/last-run.md \
	tests/bench/last-run.json

TESTS += tests/bench/test_bench_tiny.sh
EXTRA_DIST += tests/bench/bench.py tests/bench/py-driver.py \
	tests/bench/test_bench_tiny.sh docs/performance.md
