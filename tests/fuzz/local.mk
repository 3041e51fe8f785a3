# tests/fuzz: libFuzzer harnesses (configure CC=clang --enable-fuzzing; make fuzz)
#
# Each harness compiles the code under test itself, with the fuzzer's
# instrumentation and ASan+UBSan; what it merely calls comes from the
# ordinary libraries. msg-fuzzer's rules are in tests/unit/local.mk.
# tests/fuzz/README.md says how to run them and what each one feeds.

EXTRA_DIST += tests/fuzz/README.md tests/fuzz/corpus tests/fuzz/crashes \
	tests/fuzz/gen-corpus.py tests/fuzz/cql.dict tests/fuzz/jsonval.dict \
	tests/fuzz/jsonproto.dict tests/fuzz/config.dict

if ENABLE_FUZZING
FUZZ_SAN = -fsanitize=fuzzer,address,undefined
FUZZ_HARNESS_CFLAGS = $(AM_CFLAGS) $(FUZZ_SAN) \
	-fno-sanitize-recover=undefined -g
FUZZ_PROTO_SRC = daemon/proto/buf.c daemon/proto/frame.c \
	daemon/proto/cqltype.c daemon/proto/cqlval.c \
	daemon/proto/cqlval-text.c daemon/proto/msg.c

# system_schema rows into schema snapshots (the control connection's food).
noinst_PROGRAMS += tests/fuzz/schema-fuzzer
tests_fuzz_schema_fuzzer_SOURCES = tests/fuzz/schema-fuzzer.c \
	daemon/core/schema.c daemon/core/schema-rows.c daemon/core/token.c \
	daemon/core/murmur3.c $(FUZZ_PROTO_SRC)
tests_fuzz_schema_fuzzer_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
tests_fuzz_schema_fuzzer_CFLAGS = $(FUZZ_HARNESS_CFLAGS)
tests_fuzz_schema_fuzzer_LDFLAGS = $(FUZZ_SAN)
tests_fuzz_schema_fuzzer_LDADD = daemon/util/libcqlutil.a -lm

# Client JSON values to CQL bytes and server values to JSON.
noinst_PROGRAMS += tests/fuzz/jsonval-fuzzer
tests_fuzz_jsonval_fuzzer_SOURCES = tests/fuzz/jsonval-fuzzer.c \
	daemon/service/jsonval.c $(FUZZ_PROTO_SRC)
tests_fuzz_jsonval_fuzzer_CFLAGS = $(FUZZ_HARNESS_CFLAGS) $(JANSSON_CFLAGS)
tests_fuzz_jsonval_fuzzer_LDFLAGS = $(FUZZ_SAN)
tests_fuzz_jsonval_fuzzer_LDADD = daemon/util/libcqlutil.a \
	$(JANSSON_LIBS) -lm

# One request line from a local client into a request.
noinst_PROGRAMS += tests/fuzz/jsonproto-fuzzer
tests_fuzz_jsonproto_fuzzer_SOURCES = tests/fuzz/jsonproto-fuzzer.c \
	daemon/service/jsonproto.c daemon/service/jsonval.c \
	daemon/service/ops-cql.c
tests_fuzz_jsonproto_fuzzer_CFLAGS = $(FUZZ_HARNESS_CFLAGS) \
	$(JANSSON_CFLAGS) $(LIBEVENT_CFLAGS)
tests_fuzz_jsonproto_fuzzer_LDFLAGS = $(FUZZ_SAN)
tests_fuzz_jsonproto_fuzzer_LDADD = daemon/service/libcqlservice.a \
	daemon/core/libcqlcore.a daemon/proto/libcqlproto.a \
	daemon/util/libcqlutil.a $(LIBEVENT_LIBS) $(JANSSON_LIBS) \
	$(INIH_LIBS) $(OPENSSL_LIBS) -lm

# The configuration file.
noinst_PROGRAMS += tests/fuzz/config-fuzzer
tests_fuzz_config_fuzzer_SOURCES = tests/fuzz/config-fuzzer.c \
	daemon/service/config.c
tests_fuzz_config_fuzzer_CFLAGS = $(FUZZ_HARNESS_CFLAGS) $(INIH_CFLAGS)
tests_fuzz_config_fuzzer_LDFLAGS = $(FUZZ_SAN)
tests_fuzz_config_fuzzer_LDADD = daemon/proto/libcqlproto.a \
	daemon/util/libcqlutil.a $(INIH_LIBS) -lm

# cqlmock's CQL engine: statements, bind values, paging states.
noinst_PROGRAMS += tests/fuzz/cql-fuzzer
tests_fuzz_cql_fuzzer_SOURCES = tests/fuzz/cql-fuzzer.c \
	tests/mock/engine/arena.c tests/mock/engine/lexer.c \
	tests/mock/engine/parser.c tests/mock/engine/db.c \
	tests/mock/engine/result.c tests/mock/engine/literal.c \
	tests/mock/engine/json.c tests/mock/engine/where.c \
	tests/mock/engine/exec.c tests/mock/engine/exec_select.c \
	tests/mock/engine/exec_modify.c tests/mock/engine/collection.c \
	tests/mock/engine/ddl.c tests/mock/engine/systables.c \
	tests/mock/engine/replicas.c
tests_fuzz_cql_fuzzer_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/tests/mock/engine
tests_fuzz_cql_fuzzer_CFLAGS = $(FUZZ_HARNESS_CFLAGS) -Wno-format-nonliteral
tests_fuzz_cql_fuzzer_LDFLAGS = $(FUZZ_SAN)
tests_fuzz_cql_fuzzer_LDADD = daemon/core/libcqlcore.a \
	daemon/proto/libcqlproto.a daemon/util/libcqlutil.a -lm

# make fuzz: every harness for FUZZ_SECONDS from its seed corpus (new
# inputs go to tests/fuzz/work/NAME in the build tree, crashes to
# tests/fuzz/artifacts/); fails if any harness crashed, leaked or hung.
# FUZZ_FLAGS adds libFuzzer options (-fork=2 -ignore_crashes=1 goes on
# past crashes, saving each, and then exits 0);
# FUZZ_SKIP_KNOWN=1 in the environment skips findings already reported.
# make fuzz-replay: run each harness once over its seeds and the committed
# reproducers in tests/fuzz/crashes (a regression check; no fuzzing).
FUZZ_SECONDS = 30
FUZZ_FLAGS =
FUZZ_NAMES = msg schema jsonval jsonproto config cql
FUZZ_PROGS = tests/fuzz/msg-fuzzer tests/fuzz/schema-fuzzer \
	tests/fuzz/jsonval-fuzzer tests/fuzz/jsonproto-fuzzer \
	tests/fuzz/config-fuzzer tests/fuzz/cql-fuzzer
FUZZ_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

fuzz: $(FUZZ_PROGS)
	@failed=""; \
	for n in $(FUZZ_NAMES); do \
	  $(MKDIR_P) tests/fuzz/work/$$n tests/fuzz/artifacts; \
	  dict=""; \
	  for d in $(srcdir)/tests/fuzz/$$n.dict; do \
	    test -f $$d && dict="-dict=$$d"; \
	  done; \
	  echo "== $$n-fuzzer for $(FUZZ_SECONDS)s (log: tests/fuzz/$$n.log)"; \
	  if $(FUZZ_ENV) ./tests/fuzz/$$n-fuzzer $$dict \
	      -max_total_time=$(FUZZ_SECONDS) -timeout=25 -rss_limit_mb=2048 \
	      -max_len=65536 -print_final_stats=1 $(FUZZ_FLAGS) \
	      -artifact_prefix=tests/fuzz/artifacts/$$n- \
	      tests/fuzz/work/$$n $(srcdir)/tests/fuzz/corpus/$$n \
	      > tests/fuzz/$$n.log 2>&1; then \
	    grep -E '^stat::(number_of_executed_units|peak_rss_mb)' \
	      tests/fuzz/$$n.log | tr '\n' ' '; echo; \
	  else \
	    failed="$$failed $$n"; \
	    grep -E -A6 '^[a-z]+-fuzzer: |^==[0-9]+==ERROR|runtime error' \
	      tests/fuzz/$$n.log | head -30; \
	    grep -E '^SUMMARY|Test unit written' tests/fuzz/$$n.log; \
	  fi; \
	done; \
	if test -n "$$failed"; then \
	  echo "fuzz: FAILED:$$failed (reproducers in tests/fuzz/artifacts)"; \
	  exit 1; \
	fi; \
	echo "fuzz: no crash in $(FUZZ_NAMES)"

fuzz-replay: $(FUZZ_PROGS)
	@failed=""; \
	for n in $(FUZZ_NAMES); do \
	  if $(FUZZ_ENV) ./tests/fuzz/$$n-fuzzer \
	      $(srcdir)/tests/fuzz/corpus/$$n/* \
	      > tests/fuzz/$$n-replay.log 2>&1; then \
	    echo "PASS: $$n-fuzzer seeds"; \
	  else \
	    failed="$$failed $$n"; \
	    echo "FAIL: $$n-fuzzer seeds (tests/fuzz/$$n-replay.log)"; \
	  fi; \
	  for c in $(srcdir)/tests/fuzz/crashes/$$n-*; do \
	    test -f "$$c" || continue; \
	    b=$$(basename $$c); \
	    if $(FUZZ_ENV) ./tests/fuzz/$$n-fuzzer $$c \
	        > tests/fuzz/$$b-replay.log 2>&1; then \
	      echo "PASS: $$b"; \
	    else \
	      failed="$$failed $$b"; \
	      echo "FAIL: $$b (tests/fuzz/$$b-replay.log)"; \
	    fi; \
	  done; \
	done; \
	test -z "$$failed"

fuzz-clean:
	rm -rf tests/fuzz/work tests/fuzz/artifacts tests/fuzz/*.log
else
fuzz fuzz-replay fuzz-clean:
	@echo "$@: configure with CC=clang --enable-fuzzing first"; exit 1
endif
.PHONY: fuzz fuzz-replay fuzz-clean
