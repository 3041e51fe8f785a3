# Check unit tests for pure code.
if HAVE_CHECK
UNIT_LDADD = daemon/proto/libcqlproto.a daemon/util/libcqlutil.a $(CHECK_LIBS) -lm
UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

check_PROGRAMS += tests/unit/check_buf
tests_unit_check_buf_SOURCES = tests/unit/check_buf.c
tests_unit_check_buf_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_buf_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/check_buf
endif
