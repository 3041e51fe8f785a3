# cqlmock: an in-memory multi-node CQL cluster on loopback (built, not installed).
noinst_PROGRAMS += tests/mock/cqlmock
tests_mock_cqlmock_SOURCES = \
	tests/mock/mock.h \
	tests/mock/mock.c \
	tests/mock/cluster.c \
	tests/mock/node.c \
	tests/mock/session.c \
	tests/mock/request.c \
	tests/mock/events.c \
	tests/mock/control.c \
	tests/mock/fault.c \
	tests/mock/stats.c \
	tests/mock/trace.c \
	tests/mock/rng.c
tests_mock_cqlmock_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/mock/engine
tests_mock_cqlmock_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JANSSON_CFLAGS) \
	$(OPENSSL_CFLAGS)
tests_mock_cqlmock_LDADD = tests/mock/engine/libmockdb.a \
	daemon/core/libcqlcore.a daemon/proto/libcqlproto.a \
	daemon/util/libcqlutil.a $(LIBEVENT_LIBS) $(JANSSON_LIBS) \
	$(OPENSSL_LIBS) -lm
EXTRA_DIST += tests/mock/README.md

# Unit tests of the mock's pure pieces.
if HAVE_CHECK
check_PROGRAMS += tests/mock/check_mock
tests_mock_check_mock_SOURCES = tests/mock/check_mock.c tests/mock/rng.c \
	tests/mock/fault.c
tests_mock_check_mock_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/mock/engine
tests_mock_check_mock_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_mock_check_mock_LDADD = daemon/proto/libcqlproto.a \
	daemon/util/libcqlutil.a $(CHECK_LIBS) -lm
TESTS += tests/mock/check_mock
endif
