# Check unit tests for pure code.
if HAVE_CHECK
UNIT_LDADD = daemon/proto/libcqlproto.a daemon/util/libcqlutil.a $(CHECK_LIBS) -lm
UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
UNIT_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'

check_PROGRAMS += tests/unit/check_buf
tests_unit_check_buf_SOURCES = tests/unit/check_buf.c
tests_unit_check_buf_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_buf_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/check_buf

check_PROGRAMS += tests/unit/check_frame
tests_unit_check_frame_SOURCES = tests/unit/check_frame.c
tests_unit_check_frame_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_frame_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/check_frame

check_PROGRAMS += tests/unit/check_cqltype
tests_unit_check_cqltype_SOURCES = tests/unit/check_cqltype.c
tests_unit_check_cqltype_CFLAGS = $(UNIT_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_check_cqltype_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_unit_check_cqltype_LDADD = $(UNIT_LDADD) $(JANSSON_LIBS)
TESTS += tests/unit/check_cqltype

check_PROGRAMS += tests/unit/check_cqlval
tests_unit_check_cqlval_SOURCES = tests/unit/check_cqlval.c
tests_unit_check_cqlval_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_cqlval_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/check_cqlval

check_PROGRAMS += tests/unit/check_msg
tests_unit_check_msg_SOURCES = tests/unit/check_msg.c
tests_unit_check_msg_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_msg_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/check_msg
endif

# libFuzzer harnesses: the codec is compiled into each with the fuzzer's
# instrumentation (configure with CC=clang --enable-fuzzing).
if ENABLE_FUZZING
FUZZ_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined -g
noinst_PROGRAMS += tests/fuzz/msg-fuzzer
tests_fuzz_msg_fuzzer_SOURCES = tests/fuzz/msg-fuzzer.c \
	daemon/proto/buf.c daemon/proto/frame.c daemon/proto/cqltype.c \
	daemon/proto/cqlval.c daemon/proto/cqlval-text.c daemon/proto/msg.c
tests_fuzz_msg_fuzzer_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_msg_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_msg_fuzzer_LDADD = daemon/util/libcqlutil.a -lm
endif
EXTRA_DIST += tests/unit/data/system-schema-types.txt
