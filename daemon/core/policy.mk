# daemon/core: load-balancing, retry and speculative-execution policies
daemon_core_libcqlcore_a_SOURCES += daemon/core/policy.h \
	daemon/core/policy-lb.c daemon/core/policy-retry.c \
	daemon/core/policy-spec.c

# Unit tests: query plans, retry decision tables, speculative delays and
# timestamps.
if HAVE_CHECK
POLICY_UNIT_LDADD = daemon/core/libcqlcore.a daemon/proto/libcqlproto.a \
	daemon/util/libcqlutil.a $(CHECK_LIBS) -lm

check_PROGRAMS += tests/unit/check_policy_lb
tests_unit_check_policy_lb_SOURCES = tests/unit/check_policy_lb.c
tests_unit_check_policy_lb_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_policy_lb_LDADD = $(POLICY_UNIT_LDADD)
TESTS += tests/unit/check_policy_lb

check_PROGRAMS += tests/unit/check_policy_retry
tests_unit_check_policy_retry_SOURCES = tests/unit/check_policy_retry.c
tests_unit_check_policy_retry_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_check_policy_retry_LDADD = $(POLICY_UNIT_LDADD)
TESTS += tests/unit/check_policy_retry
endif
