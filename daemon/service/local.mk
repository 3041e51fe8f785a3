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
