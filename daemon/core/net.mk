# daemon/core: connections, hosts, pools and reconnection schedules.
daemon_core_libcqlcore_a_SOURCES += \
	daemon/core/clock.h daemon/core/clock.c \
	daemon/core/conn.h daemon/core/conn.c \
	daemon/core/host.h daemon/core/host.c \
	daemon/core/pool.h daemon/core/pool.c \
	daemon/core/reconnect.h daemon/core/reconnect.c
daemon_core_libcqlcore_a_CPPFLAGS = $(AM_CPPFLAGS) $(LIBEVENT_CFLAGS)

# Tests of the connection layer: pure pieces, then behaviour against
# tests/core's fake node and against cqlmock (tests/lib/mockproc.c).
if HAVE_CHECK
NET_TEST_LDADD = daemon/core/libcqlcore.a daemon/proto/libcqlproto.a \
	daemon/util/libcqlutil.a $(LIBEVENT_LIBS) $(CHECK_LIBS) -lm
NET_TEST_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(CHECK_CFLAGS)

check_PROGRAMS += tests/core/check_reconnect tests/core/check_streams
tests_core_check_reconnect_SOURCES = tests/core/check_reconnect.c
tests_core_check_reconnect_CFLAGS = $(NET_TEST_CFLAGS)
tests_core_check_reconnect_LDADD = $(NET_TEST_LDADD)
tests_core_check_streams_SOURCES = tests/core/check_streams.c
tests_core_check_streams_CFLAGS = $(NET_TEST_CFLAGS)
tests_core_check_streams_LDADD = $(NET_TEST_LDADD)
TESTS += tests/core/check_reconnect tests/core/check_streams

check_PROGRAMS += tests/core/check_connfake
tests_core_check_connfake_SOURCES = tests/core/check_connfake.c \
	tests/core/fakenode.h tests/core/fakenode.c tests/core/testloop.h
tests_core_check_connfake_CFLAGS = $(NET_TEST_CFLAGS)
tests_core_check_connfake_LDADD = $(NET_TEST_LDADD)
TESTS += tests/core/check_connfake

# These two run cqlmock (tests/mock/cqlmock); they exit 77 (skip) when it
# is not built.
check_PROGRAMS += tests/core/check_conn tests/core/check_pool
tests_core_check_conn_SOURCES = tests/core/check_conn.c \
	tests/lib/mockproc.h tests/lib/mockproc.c tests/core/testloop.h
tests_core_check_conn_CFLAGS = $(NET_TEST_CFLAGS) -I$(top_srcdir)/tests/lib
tests_core_check_conn_LDADD = $(NET_TEST_LDADD)
tests_core_check_pool_SOURCES = tests/core/check_pool.c \
	tests/lib/mockproc.h tests/lib/mockproc.c tests/core/testloop.h
tests_core_check_pool_CFLAGS = $(NET_TEST_CFLAGS) -I$(top_srcdir)/tests/lib
tests_core_check_pool_LDADD = $(NET_TEST_LDADD)
TESTS += tests/core/check_conn tests/core/check_pool
endif

# The per-turn clocks (daemon/core/clock.c).
if HAVE_CHECK
check_PROGRAMS += tests/core/check_clock
tests_core_check_clock_SOURCES = tests/core/check_clock.c
tests_core_check_clock_CFLAGS = $(NET_TEST_CFLAGS)
tests_core_check_clock_LDADD = $(NET_TEST_LDADD)
TESTS += tests/core/check_clock
endif
