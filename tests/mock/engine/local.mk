# tests/mock/engine: cqlmock's CQL engine (parser, storage, execution,
# system tables), a library with no I/O that the mock server links.
noinst_LIBRARIES += tests/mock/engine/libmockdb.a
tests_mock_engine_libmockdb_a_SOURCES = \
	tests/mock/engine/db.h tests/mock/engine/engine.h \
	tests/mock/engine/systables.inc \
	tests/mock/engine/arena.c \
	tests/mock/engine/lexer.c \
	tests/mock/engine/parser.c \
	tests/mock/engine/db.c \
	tests/mock/engine/result.c \
	tests/mock/engine/literal.c \
	tests/mock/engine/json.c \
	tests/mock/engine/where.c \
	tests/mock/engine/exec.c \
	tests/mock/engine/exec_select.c \
	tests/mock/engine/exec_modify.c \
	tests/mock/engine/collection.c \
	tests/mock/engine/ddl.c \
	tests/mock/engine/systables.c \
	tests/mock/engine/replicas.c
tests_mock_engine_libmockdb_a_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/tests/mock/engine

if HAVE_CHECK
check_PROGRAMS += tests/mock/engine/check_engine
tests_mock_engine_check_engine_SOURCES = tests/mock/engine/check_engine.c
tests_mock_engine_check_engine_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/tests/mock/engine
tests_mock_engine_check_engine_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_mock_engine_check_engine_LDADD = tests/mock/engine/libmockdb.a \
	daemon/core/libcqlcore.a daemon/proto/libcqlproto.a \
	daemon/util/libcqlutil.a $(CHECK_LIBS) -lm
TESTS += tests/mock/engine/check_engine
endif

EXTRA_DIST += tests/mock/engine/gen-systables.py
