# daemon/core: schema metadata (system_schema rows into snapshots)
daemon_core_libcqlcore_a_SOURCES += daemon/core/schema.h \
	daemon/core/schema-int.h daemon/core/schema.c daemon/core/schema-rows.c

# Unit test: the recorded Cassandra 4.0 system_schema rows (a C fixture
# generated from the shared reference system tables by tests/unit/gen_schema_fixture.py
# and committed), refreshes, drops, malformed rows, snapshots.
EXTRA_DIST += tests/unit/gen_schema_fixture.py tests/unit/schema_fixture.h
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_schema
tests_unit_check_schema_SOURCES = tests/unit/check_schema.c \
	tests/unit/schema_fixture.h
tests_unit_check_schema_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_schema_LDADD = daemon/core/libcqlcore.a \
	daemon/proto/libcqlproto.a daemon/util/libcqlutil.a $(CHECK_LIBS) -lm
TESTS += tests/unit/check_schema
endif
