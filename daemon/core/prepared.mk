# daemon/core: prepared statements (the daemon-wide cache, keyspace
# channels, re-preparing) and fetching traces.
daemon_core_libcqlcore_a_SOURCES += \
	daemon/core/prepared.h daemon/core/prepared-int.h \
	daemon/core/prepared.c daemon/core/prepared-chan.c \
	daemon/core/trace.h daemon/core/trace.c

# Behaviour tests against cqlmock (exit 77, skipped, when it is not built).
if HAVE_CHECK
PREPARED_TEST_LDADD = daemon/core/libcqlcore.a daemon/proto/libcqlproto.a \
	daemon/util/libcqlutil.a $(LIBEVENT_LIBS) $(CHECK_LIBS) -lm
PREPARED_TEST_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(CHECK_CFLAGS) \
	-I$(top_srcdir)/tests/lib

check_PROGRAMS += tests/core/check_prepared tests/core/check_trace
tests_core_check_prepared_SOURCES = tests/core/check_prepared.c tests/core/selffree.h \
	tests/lib/mockproc.h tests/lib/mockproc.c tests/core/testloop.h
tests_core_check_prepared_CFLAGS = $(PREPARED_TEST_CFLAGS)
tests_core_check_prepared_LDADD = $(PREPARED_TEST_LDADD)
tests_core_check_trace_SOURCES = tests/core/check_trace.c tests/core/selffree.h \
	tests/lib/mockproc.h tests/lib/mockproc.c tests/core/testloop.h
tests_core_check_trace_CFLAGS = $(PREPARED_TEST_CFLAGS)
tests_core_check_trace_LDADD = $(PREPARED_TEST_LDADD)
TESTS += tests/core/check_prepared tests/core/check_trace
endif
