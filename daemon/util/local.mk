# Small helpers every layer uses: allocation, logging, time.
noinst_LIBRARIES += daemon/util/libcqlutil.a
daemon_util_libcqlutil_a_SOURCES = \
	daemon/util/util.h \
	daemon/util/xmalloc.c \
	daemon/util/log.c
