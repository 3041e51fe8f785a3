# daemon/service: the local service. For now a static library of the pure
# parts (configuration, CQL<->JSON values); the daemon links it later.
noinst_LIBRARIES += daemon/service/libcqlservice.a
daemon_service_libcqlservice_a_SOURCES = \
	daemon/service/config.h daemon/service/config.c \
	daemon/service/jsonval.h daemon/service/jsonval.c
daemon_service_libcqlservice_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) \
	$(INIH_CFLAGS)

EXTRA_DIST += conf/cqlproxyd.conf docs/protocol.md

if HAVE_CHECK
SERVICE_UNIT_LDADD = daemon/service/libcqlservice.a \
	daemon/proto/libcqlproto.a daemon/util/libcqlutil.a \
	$(JANSSON_LIBS) $(INIH_LIBS) $(CHECK_LIBS) -lm
SERVICE_UNIT_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(INIH_CFLAGS) \
	$(CHECK_CFLAGS)

check_PROGRAMS += tests/unit/check_jsonval
tests_unit_check_jsonval_SOURCES = tests/unit/check_jsonval.c
tests_unit_check_jsonval_CFLAGS = $(SERVICE_UNIT_CFLAGS)
tests_unit_check_jsonval_LDADD = $(SERVICE_UNIT_LDADD)
TESTS += tests/unit/check_jsonval

check_PROGRAMS += tests/unit/check_config
tests_unit_check_config_SOURCES = tests/unit/check_config.c
tests_unit_check_config_CFLAGS = $(SERVICE_UNIT_CFLAGS)
tests_unit_check_config_LDADD = $(SERVICE_UNIT_LDADD)
TESTS += tests/unit/check_config
endif

# The daemon.
daemon_service_libcqlservice_a_SOURCES += \
	daemon/service/service.h \
	daemon/service/server.c daemon/service/listen.c \
	daemon/service/client.c daemon/service/jsonproto.c \
	daemon/service/ops-cql.c daemon/service/ops-info.c \
	daemon/service/notify.c
daemon_service_libcqlservice_a_CFLAGS += $(LIBEVENT_CFLAGS)

sbin_PROGRAMS += daemon/service/cqlproxyd
daemon_service_cqlproxyd_SOURCES = daemon/service/main.c
daemon_service_cqlproxyd_CPPFLAGS = $(AM_CPPFLAGS) \
	-DSYSCONFDIR='"$(sysconfdir)"'
daemon_service_cqlproxyd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(JANSSON_CFLAGS) $(INIH_CFLAGS)
daemon_service_cqlproxyd_LDADD = daemon/service/libcqlservice.a \
	daemon/core/libcqlcore.a daemon/proto/libcqlproto.a \
	daemon/util/libcqlutil.a $(LIBEVENT_LIBS) $(JANSSON_LIBS) \
	$(INIH_LIBS) $(OPENSSL_LIBS) -lm

# Behaviour tests: the real daemon in front of cqlmock (tests/service/svc.py
# starts both); each exits 77 (skipped) when either is not built.
SERVICE_PY_TESTS = \
	tests/service/test_ops.py \
	tests/service/test_types.py \
	tests/service/test_errors.py \
	tests/service/test_order.py \
	tests/service/test_limits.py \
	tests/service/test_signals.py \
	tests/service/test_reload.py \
	tests/service/test_access.py
TESTS += $(SERVICE_PY_TESTS)
EXTRA_DIST += tests/service/svc.py tests/service/bench_service.py \
	$(SERVICE_PY_TESTS)
