# libclient: libcqlproxy (the client library of cqlproxyd) and the cqlproxy
# command.  The library depends on libc only (its JSON reader is its own, so
# numbers stay exact); only the cqlp_ symbols are exported.
lib_LTLIBRARIES = libclient/libcqlproxy.la
include_HEADERS = libclient/cqlproxy.h
libclient_libcqlproxy_la_SOURCES = \
	libclient/cqlproxy.h libclient/cqlp-int.h \
	libclient/sbuf.c libclient/json.c libclient/io.c \
	libclient/stmt.c libclient/result.c libclient/client.c \
	libclient/async.c libclient/idtab.c libclient/idtab.h
libclient_libcqlproxy_la_CPPFLAGS = -include $(top_builddir)/config.h \
	-I$(top_srcdir)/libclient
libclient_libcqlproxy_la_CFLAGS = $(AM_CFLAGS) -fvisibility=default
libclient_libcqlproxy_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0 \
	-export-symbols-regex '^cqlp_' -no-undefined
libclient_libcqlproxy_la_LIBADD = -lm

# The same library as an archive, for programs that start often (the CGI
# case): linked in, it spares each start the dynamic loader's search and
# relocation of a shared object (see docs/performance.md).  Built from the
# same sources as position-independent code, and made into one object
# that exports only the cqlp_ symbols, as the shared library does.
lib_LIBRARIES = libclient/libcqlproxy.a
libclient_libcqlproxy_a_SOURCES = $(libclient_libcqlproxy_la_SOURCES)
libclient_libcqlproxy_a_CPPFLAGS = $(libclient_libcqlproxy_la_CPPFLAGS)
libclient_libcqlproxy_a_CFLAGS = $(AM_CFLAGS) -fPIC
libclient_libcqlproxy_a_AR = $(SHELL) $(top_srcdir)/libclient/mkstatic.sh \
	"$(LD)" "$(OBJCOPY)" "$(AR)"
EXTRA_DIST += libclient/mkstatic.sh

# libcqlproxy.pc is made here rather than by configure, so the installed
# paths follow a `make prefix=...` too.
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = libclient/libcqlproxy.pc
EXTRA_DIST += libclient/libcqlproxy.pc.in
CLEANFILES += libclient/libcqlproxy.pc
libclient/libcqlproxy.pc: $(top_srcdir)/libclient/libcqlproxy.pc.in Makefile
	$(AM_V_GEN)$(MKDIR_P) libclient && sed \
	    -e 's|[@]prefix[@]|$(prefix)|g' \
	    -e 's|[@]exec_prefix[@]|$(exec_prefix)|g' \
	    -e 's|[@]libdir[@]|$(libdir)|g' \
	    -e 's|[@]includedir[@]|$(includedir)|g' \
	    -e 's|[@]VERSION[@]|$(VERSION)|g' \
	    $(top_srcdir)/libclient/libcqlproxy.pc.in > $@

# The cqlproxy command.
bin_PROGRAMS += libclient/cli/cqlproxy
libclient_cli_cqlproxy_SOURCES = libclient/cli/cqlproxy.c \
	libclient/cli/split.c libclient/cli/split.h
libclient_cli_cqlproxy_CPPFLAGS = -include $(top_builddir)/config.h \
	-I$(top_srcdir)/libclient -I$(top_srcdir)/libclient/cli
libclient_cli_cqlproxy_LDADD = libclient/libcqlproxy.la

# Tests: the library against a fake daemon (tests/client/fakedaemon.c), and
# its JSON reader on hostile input.
if HAVE_CHECK
check_PROGRAMS += tests/client/check_client
tests_client_check_client_SOURCES = tests/client/check_client.c \
	tests/client/fakedaemon.c tests/client/fakedaemon.h
tests_client_check_client_CPPFLAGS = -include $(top_builddir)/config.h \
	-I$(top_srcdir)/libclient -I$(top_srcdir)/tests/client
tests_client_check_client_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) \
	$(CHECK_CFLAGS) -pthread
tests_client_check_client_LDADD = libclient/libcqlproxy.la $(JANSSON_LIBS) \
	$(CHECK_LIBS) -lm
tests_client_check_client_LDFLAGS = $(AM_LDFLAGS) -pthread
TESTS += tests/client/check_client

check_PROGRAMS += tests/client/check_idtab
tests_client_check_idtab_SOURCES = tests/client/check_idtab.c \
	libclient/idtab.c
tests_client_check_idtab_CPPFLAGS = -include $(top_builddir)/config.h \
	-I$(top_srcdir)/libclient
tests_client_check_idtab_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_client_check_idtab_LDADD = $(CHECK_LIBS) -lm
TESTS += tests/client/check_idtab

check_PROGRAMS += tests/client/check_cqlp_json
tests_client_check_cqlp_json_SOURCES = tests/client/check_cqlp_json.c \
	libclient/json.c libclient/sbuf.c
tests_client_check_cqlp_json_CPPFLAGS = -include $(top_builddir)/config.h \
	-I$(top_srcdir)/libclient
tests_client_check_cqlp_json_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_client_check_cqlp_json_LDADD = $(CHECK_LIBS) -lm
TESTS += tests/client/check_cqlp_json
endif

# The same library, the command and the examples against the real daemon
# and cqlmock: test_client_daemon.py runs them (skipped if not built).
if HAVE_CHECK
check_PROGRAMS += tests/client/check_client_daemon
tests_client_check_client_daemon_SOURCES = tests/client/check_client_daemon.c
tests_client_check_client_daemon_CPPFLAGS = -include $(top_builddir)/config.h \
	-I$(top_srcdir)/libclient
tests_client_check_client_daemon_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_client_check_client_daemon_LDADD = libclient/libcqlproxy.la \
	$(CHECK_LIBS) -lm
endif
TESTS += tests/client/test_client_daemon.py
EXTRA_DIST += tests/client/test_client_daemon.py

# Examples (docs/examples): built by make check so they cannot rot, and
# run by test_client_daemon.py.
check_PROGRAMS += docs/examples/cgi-query docs/examples/async-lookup
docs_examples_cgi_query_SOURCES = docs/examples/cgi-query.c
docs_examples_cgi_query_CPPFLAGS = -I$(top_srcdir)/libclient
docs_examples_cgi_query_LDADD = libclient/libcqlproxy.la
docs_examples_async_lookup_SOURCES = docs/examples/async-lookup.c
docs_examples_async_lookup_CPPFLAGS = -I$(top_srcdir)/libclient
docs_examples_async_lookup_LDADD = libclient/libcqlproxy.la
EXTRA_DIST += docs/examples/cqlproxy-socat.sh

dist_man_MANS += docs/cqlproxy.1 docs/libcqlproxy.3

if HAVE_CHECK
check_PROGRAMS += tests/client/check_split
tests_client_check_split_SOURCES = tests/client/check_split.c \
	libclient/cli/split.c
tests_client_check_split_CPPFLAGS = -include $(top_builddir)/config.h \
	-I$(top_srcdir)/libclient/cli
tests_client_check_split_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_client_check_split_LDADD = $(CHECK_LIBS) -lm
TESTS += tests/client/check_split
endif

# libFuzzer harness of the JSON reader (configure with CC=clang
# --enable-fuzzing).
if ENABLE_FUZZING
noinst_PROGRAMS += tests/client/cqlp-json-fuzzer
tests_client_cqlp_json_fuzzer_SOURCES = tests/client/cqlp-json-fuzzer.c \
	libclient/json.c libclient/sbuf.c
tests_client_cqlp_json_fuzzer_CPPFLAGS = -include $(top_builddir)/config.h \
	-I$(top_srcdir)/libclient
tests_client_cqlp_json_fuzzer_CFLAGS = $(AM_CFLAGS) \
	-fsanitize=fuzzer,address,undefined -g
tests_client_cqlp_json_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
endif

# The archive: only cqlp_ symbols, and a program that defines the
# library's internal names for itself still links with it and runs.
check_PROGRAMS += tests/client/static-clash
tests_client_static_clash_SOURCES = tests/client/static-clash.c
tests_client_static_clash_CPPFLAGS = -I$(top_srcdir)/libclient
tests_client_static_clash_LDADD = libclient/libcqlproxy.a -lm
TESTS += tests/client/test_static_lib.sh
EXTRA_DIST += tests/client/test_static_lib.sh
