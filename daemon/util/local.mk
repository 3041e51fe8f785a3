# Small helpers every layer uses: allocation, logging, time.
noinst_LIBRARIES += daemon/util/libcqlutil.a
daemon_util_libcqlutil_a_SOURCES = \
	daemon/util/util.h \
	daemon/util/xmalloc.c \
	daemon/util/freelist.c \
	daemon/util/slab.c \
	daemon/util/log.c

# The free lists' unit test (tests/unit/check_freelist.c).
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_freelist
tests_unit_check_freelist_SOURCES = tests/unit/check_freelist.c
tests_unit_check_freelist_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_freelist_LDADD = daemon/util/libcqlutil.a $(CHECK_LIBS)
TESTS += tests/unit/check_freelist
endif

# The slab pools' unit test (tests/unit/check_slab.c).
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_slab
tests_unit_check_slab_SOURCES = tests/unit/check_slab.c
tests_unit_check_slab_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_slab_LDADD = daemon/util/libcqlutil.a $(CHECK_LIBS)
TESTS += tests/unit/check_slab
endif
