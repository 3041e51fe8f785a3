# daemon/core: cluster, control connection, requests
daemon_core_libcqlcore_a_SOURCES += \
	daemon/core/cluster.h daemon/core/cluster.c \
	daemon/core/control.h daemon/core/control.c \
	daemon/core/request.h daemon/core/request.c \
	daemon/core/result.h daemon/core/result.c

# Behaviour tests of the cluster and of requests against cqlmock; they
# exit 77 (skip) when the mock is not built.
if HAVE_CHECK
CLUSTER_TEST_LDADD = daemon/core/libcqlcore.a daemon/proto/libcqlproto.a \
	daemon/util/libcqlutil.a $(LIBEVENT_LIBS) $(CHECK_LIBS) -lm
CLUSTER_TEST_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(CHECK_CFLAGS) \
	-I$(top_srcdir)/tests/lib -I$(top_srcdir)/tests/core

check_PROGRAMS += tests/core/check_cluster tests/core/check_request
tests_core_check_cluster_SOURCES = tests/core/check_cluster.c \
	tests/core/clustertest.h tests/lib/mockproc.h tests/lib/mockproc.c \
	tests/core/testloop.h
tests_core_check_cluster_CFLAGS = $(CLUSTER_TEST_CFLAGS)
tests_core_check_cluster_LDADD = $(CLUSTER_TEST_LDADD)
tests_core_check_request_SOURCES = tests/core/check_request.c \
	tests/core/clustertest.h tests/lib/mockproc.h tests/lib/mockproc.c \
	tests/core/testloop.h
tests_core_check_request_CFLAGS = $(CLUSTER_TEST_CFLAGS)
tests_core_check_request_LDADD = $(CLUSTER_TEST_LDADD)
TESTS += tests/core/check_cluster tests/core/check_request

# cluster_reconfigure (a reload) against cqlmock.
check_PROGRAMS += tests/core/check_reconfigure
tests_core_check_reconfigure_SOURCES = tests/core/check_reconfigure.c \
	tests/core/clustertest.h tests/lib/mockproc.h tests/lib/mockproc.c \
	tests/core/testloop.h
tests_core_check_reconfigure_CFLAGS = $(CLUSTER_TEST_CFLAGS)
tests_core_check_reconfigure_LDADD = $(CLUSTER_TEST_LDADD)
TESTS += tests/core/check_reconfigure

# A fake node listing more peers than CLUSTER_MAX_HOSTS, with repeats.
check_PROGRAMS += tests/core/check_peers
tests_core_check_peers_SOURCES = tests/core/check_peers.c \
	tests/core/fakenode.h tests/core/fakenode.c tests/core/testloop.h
tests_core_check_peers_CFLAGS = $(CLUSTER_TEST_CFLAGS)
tests_core_check_peers_LDADD = $(CLUSTER_TEST_LDADD)
TESTS += tests/core/check_peers

# Copying RESULT messages into results.
check_PROGRAMS += tests/unit/check_result
tests_unit_check_result_SOURCES = tests/unit/check_result.c
tests_unit_check_result_CFLAGS = $(CLUSTER_TEST_CFLAGS)
tests_unit_check_result_LDADD = $(CLUSTER_TEST_LDADD)
TESTS += tests/unit/check_result
endif
