# daemon/core: the driver core (token ring, replica placement, ...).
noinst_LIBRARIES += daemon/core/libcqlcore.a
daemon_core_libcqlcore_a_SOURCES = \
	daemon/core/murmur3.h daemon/core/murmur3.c

# Unit tests for the partitioner and the token ring.
if HAVE_CHECK
CORE_UNIT_LDADD = daemon/core/libcqlcore.a daemon/proto/libcqlproto.a \
	daemon/util/libcqlutil.a $(CHECK_LIBS) -lm
CORE_UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)

check_PROGRAMS += tests/unit/check_murmur3
tests_unit_check_murmur3_SOURCES = tests/unit/check_murmur3.c
tests_unit_check_murmur3_CFLAGS = $(CORE_UNIT_CFLAGS)
tests_unit_check_murmur3_LDADD = $(CORE_UNIT_LDADD)
TESTS += tests/unit/check_murmur3
endif
