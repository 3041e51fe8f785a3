# daemon/service/ops.mk: the operations side of the service: metrics and
# the Prometheus endpoint, systemd units, man pages, the installed example
# configuration, and their tests.

daemon_service_libcqlservice_a_SOURCES += \
	daemon/service/metrics.h daemon/service/metrics.c \
	daemon/service/prometheus.h daemon/service/prometheus.c
daemon_service_libcqlservice_a_CFLAGS += $(LIBEVENT_CFLAGS)

# Man pages.
dist_man_MANS = docs/cqlproxyd.8 docs/cqlproxyd.conf.5
dist_doc_DATA += docs/protocol.md docs/metrics.md docs/running.md

# systemd units.  configure sets systemdsystemunitdir and sysusersdir
# (--with-systemdsystemunitdir, --with-sysusersdir; by default from
# systemd.pc); when it does not, they go under $(prefix)/lib.
cqlp_unitdir = $(if $(systemdsystemunitdir),$(systemdsystemunitdir),$(prefix)/lib/systemd/system)
cqlp_sysusersdir = $(if $(sysusersdir),$(sysusersdir),$(prefix)/lib/sysusers.d)
systemdunitdir = $(cqlp_unitdir)
nodist_systemdunit_DATA = systemd/cqlproxyd.service
dist_systemdunit_DATA = systemd/cqlproxyd.socket
EXTRA_DIST += systemd/cqlproxyd.service.in systemd/cqlproxyd.sysusers
CLEANFILES += systemd/cqlproxyd.service

# The paths in the service unit are the ones this build installs to.
systemd/cqlproxyd.service: $(top_srcdir)/systemd/cqlproxyd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' \
	    -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	    $(top_srcdir)/systemd/cqlproxyd.service.in > $@.tmp && \
	mv $@.tmp $@

# The example configuration goes to $(sysconfdir)/cqlproxyd, but never
# over a file the administrator already has; it holds the password, so
# it is not world-readable.  The sysusers.d file is renamed on the way.
cqlp_confdir = $(sysconfdir)/cqlproxyd
install-data-local:
	$(MKDIR_P) '$(DESTDIR)$(cqlp_confdir)'
	@if test -f '$(DESTDIR)$(cqlp_confdir)/cqlproxyd.conf'; then \
	  echo "keeping $(DESTDIR)$(cqlp_confdir)/cqlproxyd.conf"; \
	else \
	  echo " $(INSTALL_DATA) -m 640 conf/cqlproxyd.conf '$(DESTDIR)$(cqlp_confdir)/cqlproxyd.conf'"; \
	  $(INSTALL_DATA) -m 640 $(top_srcdir)/conf/cqlproxyd.conf \
	    '$(DESTDIR)$(cqlp_confdir)/cqlproxyd.conf'; \
	fi
	$(MKDIR_P) '$(DESTDIR)$(cqlp_sysusersdir)'
	$(INSTALL_DATA) $(top_srcdir)/systemd/cqlproxyd.sysusers \
	  '$(DESTDIR)$(cqlp_sysusersdir)/cqlproxyd.conf'

# Remove the configuration only if it is still the one we installed.
uninstall-local:
	@if cmp -s $(top_srcdir)/conf/cqlproxyd.conf \
	    '$(DESTDIR)$(cqlp_confdir)/cqlproxyd.conf'; then \
	  echo " rm -f '$(DESTDIR)$(cqlp_confdir)/cqlproxyd.conf'"; \
	  rm -f '$(DESTDIR)$(cqlp_confdir)/cqlproxyd.conf'; \
	fi
	rm -f '$(DESTDIR)$(cqlp_sysusersdir)/cqlproxyd.conf'

# distcheck installs as an ordinary user under its own prefix: keep the
# units there too, whatever systemd.pc says.
AM_DISTCHECK_CONFIGURE_FLAGS = \
	--with-systemdsystemunitdir=$$dc_install_base/lib/systemd/system \
	--with-sysusersdir=$$dc_install_base/lib/sysusers.d

# Unit and behaviour tests of the metrics: rendering, the HTTP endpoint,
# and the core's gauges against cqlmock (skipped when the mock is absent).
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_metrics
tests_unit_check_metrics_SOURCES = tests/unit/check_metrics.c \
	tests/lib/mockproc.h tests/lib/mockproc.c tests/core/clustertest.h \
	tests/core/testloop.h
tests_unit_check_metrics_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) \
	$(LIBEVENT_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/tests/lib \
	-I$(top_srcdir)/tests/core -Wno-unused-function
tests_unit_check_metrics_LDADD = daemon/service/libcqlservice.a \
	daemon/core/libcqlcore.a daemon/proto/libcqlproto.a \
	daemon/util/libcqlutil.a $(JANSSON_LIBS) $(LIBEVENT_LIBS) \
	$(CHECK_LIBS) -lm
TESTS += tests/unit/check_metrics
endif

# The manuals and units against the code: every configuration key
# documented with its default and reload behaviour, man pages and units
# linted when the tools are installed.
check_SCRIPTS += systemd/cqlproxyd.service
TESTS += tests/service/test_docs.py
EXTRA_DIST += tests/service/test_docs.py tests/service/cfkeys.py

# The metrics through the real daemon in front of cqlmock (skipped until
# both are built).
TESTS += tests/service/test_metrics.py
EXTRA_DIST += tests/service/test_metrics.py tests/service/svc.py
