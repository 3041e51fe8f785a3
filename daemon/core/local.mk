# daemon/core: the driver core (partitioner, token ring, replica placement).
noinst_LIBRARIES += daemon/core/libcqlcore.a
daemon_core_libcqlcore_a_SOURCES = \
	daemon/core/murmur3.h daemon/core/murmur3.c \
	daemon/core/token.h daemon/core/token.c

CORE_LDADD = daemon/core/libcqlcore.a daemon/proto/libcqlproto.a \
	daemon/util/libcqlutil.a

# Unit tests for the partitioner and the token ring.
if HAVE_CHECK
CORE_UNIT_LDADD = $(CORE_LDADD) $(CHECK_LIBS) -lm
CORE_UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

check_PROGRAMS += tests/unit/check_murmur3
tests_unit_check_murmur3_SOURCES = tests/unit/check_murmur3.c
tests_unit_check_murmur3_CFLAGS = $(CORE_UNIT_CFLAGS)
tests_unit_check_murmur3_LDADD = $(CORE_UNIT_LDADD)
TESTS += tests/unit/check_murmur3

check_PROGRAMS += tests/unit/check_token
tests_unit_check_token_SOURCES = tests/unit/check_token.c
tests_unit_check_token_CFLAGS = $(CORE_UNIT_CFLAGS)
tests_unit_check_token_LDADD = $(CORE_UNIT_LDADD)
TESTS += tests/unit/check_token
endif

# Benchmarks: built with `make bench-token` (the lead wires `make bench`).
# (BENCH_PROGRAMS would read to automake as an install directory.)
BENCH_PROGS += tests/bench/token-bench
noinst_PROGRAMS += tests/bench/token-bench
tests_bench_token_bench_SOURCES = tests/bench/token-bench.c
tests_bench_token_bench_LDADD = $(CORE_LDADD) -lm

bench-token: tests/bench/token-bench
	./tests/bench/token-bench
.PHONY: bench-token
