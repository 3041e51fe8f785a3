/*
 * check_metrics.c: the service's metrics (metrics.c) and the Prometheus
 * endpoint (prometheus.c): counting, the exposition format checked line by
 * line against the 0.0.4 grammar, the stats JSON, HTTP answers over
 * loopback, and the core's host gauges against a 3-node cqlmock (that part
 * is skipped when the mock is not built).
 */
#include <sys/types.h>

#include <check.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "util.h"
#include "buf.h"
#include "prepared.h"
#include "metrics.h"
#include "prometheus.h"
#include "clustertest.h"

/* Render into a NUL-terminated string (caller frees). */
static char *
render(struct metrics *m)
{
	struct wbuf	 w;
	char		*s;

	wbuf_init(&w, WBUF_DEFAULT_CAP);
	metrics_prometheus(m, &w);
	wbuf_u8(&w, '\0');
	ck_assert(wbuf_ok(&w));
	s = xstrdup((char *)w.p);
	wbuf_free(&w);
	return (s);
}

/*
 * The value of the sample whose text before the value is exactly key
 * (e.g. "cqlproxyd_hosts{state=\"up\"}"); -1 when there is none.
 */
static double
sample(const char *text, const char *key)
{
	const char	*p = text;
	size_t		 n = strlen(key);

	while ((p = strstr(p, key)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return (strtod(p + n + 1, NULL));
		p += n;
	}
	return (-1);
}

/* Number of sample lines starting with prefix whose value is v. */
static int
count_samples(const char *text, const char *prefix, double v)
{
	const char	*p = text, *sp, *nl;
	int		 n = 0;

	for (; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		if (strncmp(p, prefix, strlen(prefix)) != 0)
			continue;
		sp = memrchr(p, ' ', nl - p);
		if (sp != NULL && strtod(sp + 1, NULL) == v)
			n++;
	}
	return (n);
}

static int
is_name_start(int c)
{
	return (isalpha(c) || c == '_' || c == ':');
}

static int
is_name_char(int c)
{
	return (isalnum(c) || c == '_' || c == ':');
}

/* The family a sample belongs to (histogram suffixes removed). */
static void
family_of(const char *name, size_t n, char *out, size_t outlen)
{
	static const char	*suffixes[] = { "_bucket", "_sum", "_count" };
	size_t			 i, l;

	for (i = 0; i < nitems(suffixes); i++) {
		l = strlen(suffixes[i]);
		if (n > l && memcmp(name + n - l, suffixes[i], l) == 0) {
			snprintf(out, outlen, "%.*s", (int)(n - l), name);
			return;
		}
	}
	snprintf(out, outlen, "%.*s", (int)n, name);
}

/*
 * Check every line against the text format 0.0.4: HELP then TYPE once per
 * family before its samples, metric and label names well formed, label
 * values with only \\ \" \n escapes, values numbers, counters named
 * _total, histogram buckets cumulative with +Inf equal to _count.
 */
static void
check_exposition(const char *text)
{
	char		 typed[256][96], types[256][16], fam[96];
	char		 line[4096], labels[1024];
	char		 lastname[96] = "", lastlabels[1024] = "";
	char		 lasthelp[96] = "";
	const char	*p = text, *nl, *q, *v;
	size_t		 ntyped = 0, i, n, ln;
	double		 prev = -1, val;
	char		*ep;

	ck_assert(text[0] != '\0');
	ck_assert_msg(text[strlen(text) - 1] == '\n', "no final newline");
	for (; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		ck_assert(nl != NULL);
		ln = nl - p;
		ck_assert(ln < sizeof line);
		memcpy(line, p, ln);
		line[ln] = '\0';
		ck_assert_msg(ln > 0, "empty line");

		if (strncmp(line, "# HELP ", 7) == 0) {
			q = line + 7;
			ck_assert(is_name_start((unsigned char)*q));
			for (n = 0; is_name_char((unsigned char)q[n]); n++)
				;
			ck_assert_msg(q[n] == ' ' && q[n + 1] != '\0',
			    "HELP without text: %s", line);
			snprintf(lasthelp, sizeof lasthelp, "%.*s", (int)n, q);
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			q = line + 7;
			for (n = 0; is_name_char((unsigned char)q[n]); n++)
				;
			ck_assert(n > 0 && q[n] == ' ');
			ck_assert(ntyped < nitems(typed));
			for (i = 0; i < ntyped; i++)
				ck_assert_msg(strncmp(typed[i], q, n) != 0 ||
				    typed[i][n] != '\0', "TYPE twice: %s",
				    line);
			snprintf(typed[ntyped], sizeof typed[0], "%.*s",
			    (int)n, q);
			snprintf(types[ntyped], sizeof types[0], "%s",
			    q + n + 1);
			ck_assert_msg(strcmp(types[ntyped], "counter") == 0 ||
			    strcmp(types[ntyped], "gauge") == 0 ||
			    strcmp(types[ntyped], "histogram") == 0,
			    "bad type: %s", line);
			/* Its HELP line came right before. */
			ck_assert_msg(strcmp(lasthelp, typed[ntyped]) == 0,
			    "no HELP before %s", line);
			lasthelp[0] = '\0';
			ntyped++;
			continue;
		}
		ck_assert_msg(line[0] != '#', "stray comment: %s", line);
		lasthelp[0] = '\0';

		/* A sample: name, labels, value. */
		q = line;
		ck_assert_msg(is_name_start((unsigned char)*q), "%s", line);
		for (n = 0; is_name_char((unsigned char)q[n]); n++)
			;
		family_of(q, n, fam, sizeof fam);
		for (i = 0; i < ntyped; i++)
			if (strcmp(typed[i], fam) == 0)
				break;
		if (i == ntyped) {	/* maybe a counter's own name */
			snprintf(fam, sizeof fam, "%.*s", (int)n, q);
			for (i = 0; i < ntyped; i++)
				if (strcmp(typed[i], fam) == 0)
					break;
		}
		ck_assert_msg(i < ntyped, "no TYPE before %s", line);
		if (strcmp(types[i], "counter") == 0)
			ck_assert_msg(n > 6 &&
			    strncmp(q + n - 6, "_total", 6) == 0,
			    "counter without _total: %s", line);
		q += n;
		labels[0] = '\0';
		if (*q == '{') {
			const char *start = q;

			q++;
			for (;;) {
				ck_assert(is_name_start((unsigned char)*q));
				while (is_name_char((unsigned char)*q))
					q++;
				ck_assert_msg(q[0] == '=' && q[1] == '"', "%s",
				    line);
				q += 2;
				while (*q != '"') {
					ck_assert_msg(*q != '\0', "%s", line);
					if (*q == '\\') {
						ck_assert_msg(q[1] == '\\' ||
						    q[1] == '"' || q[1] == 'n',
						    "bad escape: %s", line);
						q++;
					}
					q++;
				}
				q++;
				if (*q == ',') {
					q++;
					continue;
				}
				ck_assert_msg(*q == '}', "%s", line);
				q++;
				break;
			}
			snprintf(labels, sizeof labels, "%.*s",
			    (int)(q - start), start);
		}
		ck_assert_msg(*q == ' ', "%s", line);
		v = q + 1;
		if (strcmp(v, "+Inf") == 0 || strcmp(v, "-Inf") == 0 ||
		    strcmp(v, "NaN") == 0)
			val = 0;
		else {
			val = strtod(v, &ep);
			ck_assert_msg(*v != '\0' && *ep == '\0',
			    "bad value: %s", line);
		}

		/* Histogram buckets: cumulative within one label set. */
		if (n > 7 && strncmp(line + n - 7, "_bucket", 7) == 0) {
			char	*le = strstr(labels, "le=\"");
			char	 rest[1024];

			ck_assert(le != NULL);
			snprintf(rest, sizeof rest, "%.*s", (int)(le - labels),
			    labels);
			if (strcmp(lastname, fam) == 0 &&
			    strcmp(lastlabels, rest) == 0)
				ck_assert_msg(val >= prev, "not cumulative: %s",
				    line);
			snprintf(lastname, sizeof lastname, "%s", fam);
			snprintf(lastlabels, sizeof lastlabels, "%s", rest);
			prev = val;
		}
	}
}

START_TEST(test_op_names)
{
	int	i;

	for (i = 0; i < METRICS_NOPS - 1; i++)
		ck_assert_int_eq(metrics_op_from_name(metrics_op_name(i)), i);
	ck_assert_int_eq(metrics_op_from_name("invalid"), METRICS_OP_INVALID);
	ck_assert_int_eq(metrics_op_from_name("nope"), METRICS_OP_INVALID);
	ck_assert_int_eq(metrics_op_from_name(NULL), METRICS_OP_INVALID);
	ck_assert_str_eq(metrics_op_name(METRICS_OP_EXECUTE), "execute");
	ck_assert_str_eq(metrics_op_name(99), "invalid");
}
END_TEST

START_TEST(test_counters)
{
	struct metrics	*m = metrics_new();
	char		*t;
	int		 i;

	for (i = 0; i < 5; i++)
		metrics_request_begin(m, METRICS_OP_QUERY);
	metrics_request_begin(m, METRICS_OP_PING);
	for (i = 0; i < 3; i++)
		metrics_request_done(m, METRICS_OP_QUERY, "ok", 150);
	metrics_request_done(m, METRICS_OP_QUERY, "unavailable", 3000);
	t = render(m);
	ck_assert(sample(t, "cqlproxyd_requests_in_flight") == 2);
	free(t);
	metrics_request_done(m, METRICS_OP_QUERY, NULL, 40000000);
	metrics_request_done(m, METRICS_OP_PING, "ok", 10);
	/* Never begun: counted, and in-flight does not wrap. */
	metrics_request_done(m, METRICS_OP_INVALID, "bad_json", 0);
	/* Never ran: counted, but not in the histogram. */
	metrics_request_begin(m, METRICS_OP_BATCH);
	metrics_request_count(m, METRICS_OP_BATCH, "shutting_down");

	ck_assert_uint_eq(metrics_requests(m, METRICS_OP_QUERY, "ok"), 4);
	ck_assert_uint_eq(metrics_requests(m, METRICS_OP_QUERY, "unavailable"),
	    1);
	ck_assert_uint_eq(metrics_requests(m, METRICS_OP_PING, "ok"), 1);
	ck_assert_uint_eq(metrics_requests(m, METRICS_OP_INVALID, "bad_json"),
	    1);
	ck_assert_uint_eq(metrics_requests(m, METRICS_OP_BATCH, "ok"), 0);
	ck_assert_uint_eq(metrics_requests(m, METRICS_OP_BATCH, "what"), 0);

	metrics_client_accepted(m);
	metrics_client_accepted(m);
	metrics_client_closed(m);
	metrics_client_closed(m);
	metrics_client_closed(m);	/* no wrap either */
	metrics_client_accepted(m);
	metrics_client_rejected(m, "max_clients");
	metrics_client_rejected(m, "max_clients");
	metrics_client_rejected(m, "peer_credentials");
	metrics_waiting_add(m, 3);
	metrics_waiting_add(m, -1);
	metrics_bytes_in(m, 100);
	metrics_bytes_out(m, 250);
	metrics_bytes_out(m, 1);
	metrics_reload(m, 1);
	metrics_reload(m, 0);
	metrics_reload(m, 1);

	t = render(m);
	check_exposition(t);
	ck_assert(sample(t, "cqlproxyd_requests_total{op=\"query\","
	    "outcome=\"ok\"}") == 4);
	ck_assert(sample(t, "cqlproxyd_requests_total{op=\"query\","
	    "outcome=\"unavailable\"}") == 1);
	ck_assert(sample(t, "cqlproxyd_requests_total{op=\"invalid\","
	    "outcome=\"bad_json\"}") == 1);
	ck_assert(sample(t, "cqlproxyd_requests_total{op=\"batch\","
	    "outcome=\"ok\"}") == -1);
	ck_assert(sample(t, "cqlproxyd_requests_total{op=\"batch\","
	    "outcome=\"shutting_down\"}") == 1);
	ck_assert(strstr(t, "_count{op=\"batch\"}") == NULL);
	ck_assert(sample(t, "cqlproxyd_requests_in_flight") == 1);
	metrics_request_done(m, METRICS_OP_BATCH, "ok", 10);
	free(t);
	t = render(m);
	ck_assert(sample(t, "cqlproxyd_requests_in_flight") == 0);
	ck_assert(sample(t, "cqlproxyd_request_duration_seconds_count{"
	    "op=\"batch\"}") == 1);
	ck_assert(sample(t, "cqlproxyd_requests_waiting") == 2);
	ck_assert(sample(t, "cqlproxyd_clients_connected") == 1);
	ck_assert(sample(t, "cqlproxyd_clients_accepted_total") == 3);
	ck_assert(sample(t, "cqlproxyd_clients_rejected_total{reason="
	    "\"max_clients\"}") == 2);
	ck_assert(sample(t, "cqlproxyd_clients_rejected_total{reason="
	    "\"peer_credentials\"}") == 1);
	ck_assert(sample(t, "cqlproxyd_client_received_bytes_total") == 100);
	ck_assert(sample(t, "cqlproxyd_client_sent_bytes_total") == 251);
	ck_assert(sample(t, "cqlproxyd_config_reloads_total{result=\"ok\"}")
	    == 2);
	ck_assert(sample(t, "cqlproxyd_config_reloads_total{result="
	    "\"failed\"}") == 1);

	/* Histogram: 150us, 150us, 150us, 3ms, 40s (past the last bound). */
	ck_assert(sample(t, "cqlproxyd_request_duration_seconds_bucket{"
	    "op=\"query\",le=\"0.0001\"}") == 0);
	ck_assert(sample(t, "cqlproxyd_request_duration_seconds_bucket{"
	    "op=\"query\",le=\"0.00025\"}") == 3);
	ck_assert(sample(t, "cqlproxyd_request_duration_seconds_bucket{"
	    "op=\"query\",le=\"0.0025\"}") == 3);
	ck_assert(sample(t, "cqlproxyd_request_duration_seconds_bucket{"
	    "op=\"query\",le=\"0.005\"}") == 4);
	ck_assert(sample(t, "cqlproxyd_request_duration_seconds_bucket{"
	    "op=\"query\",le=\"30\"}") == 4);
	ck_assert(sample(t, "cqlproxyd_request_duration_seconds_bucket{"
	    "op=\"query\",le=\"+Inf\"}") == 5);
	ck_assert(sample(t, "cqlproxyd_request_duration_seconds_count{"
	    "op=\"query\"}") == 5);
	ck_assert(strstr(t, "\ncqlproxyd_request_duration_seconds_sum{"
	    "op=\"query\"} 40.003450\n") != NULL);
	/* Exactly on a bound falls in that bucket (le is inclusive). */
	ck_assert(sample(t, "cqlproxyd_request_duration_seconds_bucket{"
	    "op=\"ping\",le=\"0.0001\"}") == 1);
	/* Families without a cluster: none of the core's. */
	ck_assert(strstr(t, "cqlproxyd_host_up") == NULL);
	ck_assert(strstr(t, "# TYPE cqlproxyd_request_duration_seconds "
	    "histogram\n") != NULL);
	ck_assert(strstr(t, "# TYPE cqlproxyd_requests_total counter\n") !=
	    NULL);
	free(t);
	metrics_free(m);
}
END_TEST

START_TEST(test_escaping_and_cap)
{
	struct metrics	*m = metrics_new();
	char		*t, name[32];
	int		 i;

	metrics_request_done(m, METRICS_OP_QUERY, "we\"ird\\co\nde", 1);
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof name, "code_%d", i);
		metrics_request_done(m, METRICS_OP_QUERY, name, 1);
	}
	metrics_request_done(m, METRICS_OP_QUERY, "code_99", 1);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "r%d", i);
		metrics_client_rejected(m, name);
	}
	metrics_client_rejected(m, NULL);
	t = render(m);
	check_exposition(t);
	ck_assert(sample(t, "cqlproxyd_requests_total{op=\"query\","
	    "outcome=\"we\\\"ird\\\\co\\nde\"}") == 1);
	/* "ok" + the odd one + 46 codes are kept; the rest are "other". */
	ck_assert(sample(t, "cqlproxyd_requests_total{op=\"query\","
	    "outcome=\"code_45\"}") == 1);
	ck_assert(sample(t, "cqlproxyd_requests_total{op=\"query\","
	    "outcome=\"code_46\"}") == -1);
	ck_assert(sample(t, "cqlproxyd_requests_total{op=\"query\","
	    "outcome=\"other\"}") == 100 - 46 + 1);
	ck_assert_uint_eq(metrics_requests(m, METRICS_OP_QUERY, "other"), 55);
	ck_assert(sample(t, "cqlproxyd_clients_rejected_total{reason="
	    "\"other\"}") == 40 - METRICS_MAX_REASONS + 1);
	free(t);
	metrics_free(m);
}
END_TEST

START_TEST(test_stats_json)
{
	struct metrics	*m = metrics_new();
	json_t		*o, *q, *lat, *b;
	int		 i;

	for (i = 0; i < 100; i++) {
		metrics_request_begin(m, METRICS_OP_QUERY);
		/* 1..100 ms: the median near 50 ms, p99 near 99 ms. */
		metrics_request_done(m, METRICS_OP_QUERY, i < 98 ? "ok" :
		    "read_timeout", (uint64_t)(i + 1) * 1000);
	}
	metrics_request_count(m, METRICS_OP_QUERY, "shutting_down");
	metrics_request_begin(m, METRICS_OP_EXECUTE);
	metrics_client_accepted(m);
	metrics_client_rejected(m, "max_clients");

	o = metrics_stats_json(m);
	ck_assert(json_is_object(o));
	ck_assert_str_eq(json_string_value(json_object_get(o, "version")),
	    PACKAGE_VERSION);
	ck_assert(json_is_null(json_object_get(o, "cluster")));
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(o,
	    "clients"), "connected")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    json_object_get(o, "clients"), "rejected"), "max_clients")), 1);
	q = json_object_get(o, "requests");
	ck_assert_int_eq(json_integer_value(json_object_get(q, "in_flight")),
	    1);
	ck_assert_int_eq(json_integer_value(json_object_get(q, "total")), 101);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    json_object_get(q, "by_op"), "execute"), "in_flight")), 1);
	q = json_object_get(json_object_get(q, "by_op"), "query");
	ck_assert_int_eq(json_integer_value(json_object_get(q, "total")), 101);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(q,
	    "outcomes"), "shutting_down")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(q,
	    "outcomes"), "ok")), 98);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(q,
	    "outcomes"), "read_timeout")), 2);
	lat = json_object_get(q, "latency");
	ck_assert_int_eq(json_integer_value(json_object_get(lat, "count")),
	    100);
	ck_assert_int_eq(json_integer_value(json_object_get(lat, "sum_us")),
	    5050000);
	ck_assert_int_eq(json_integer_value(json_object_get(lat, "mean_us")),
	    50500);
	/* Estimates within the bucket holding the true value. */
	ck_assert_int_ge(json_integer_value(json_object_get(lat, "p50_us")),
	    25000);
	ck_assert_int_le(json_integer_value(json_object_get(lat, "p50_us")),
	    50000);
	ck_assert_int_ge(json_integer_value(json_object_get(lat, "p99_us")),
	    50000);
	ck_assert_int_le(json_integer_value(json_object_get(lat, "p99_us")),
	    100000);
	b = json_object_get(lat, "buckets");
	ck_assert_int_eq(json_array_size(b), METRICS_NBUCKETS);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(b,
	    METRICS_NBUCKETS - 1), "count")), 100);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(b,
	    METRICS_NBUCKETS - 1), "le_us")), 30000000);
	/* ops never used are left out */
	ck_assert(json_object_get(json_object_get(json_object_get(o,
	    "requests"), "by_op"), "batch") == NULL);
	json_decref(o);
	metrics_free(m);
}
END_TEST

/* The prepared cache's counters are read live through the pointer. */
START_TEST(test_prepared)
{
	struct metrics		*m = metrics_new();
	struct prepared_metrics	 pm;
	json_t			*o, *p;
	char			*t;

	memset(&pm, 0, sizeof pm);
	metrics_set_prepared(m, &pm);
	pm.hits = 41;
	pm.misses = 3;
	pm.evictions = 2;
	pm.entries = 1;
	pm.live = 5;
	t = render(m);
	check_exposition(t);
	ck_assert(sample(t, "cqlproxyd_prepared_cache_hits_total") == 41);
	ck_assert(sample(t, "cqlproxyd_prepared_cache_misses_total") == 3);
	ck_assert(sample(t, "cqlproxyd_prepared_cache_evictions_total") == 2);
	ck_assert(sample(t, "cqlproxyd_prepared_cache_size") == 1);
	ck_assert(sample(t, "cqlproxyd_prepared_live") == 5);
	free(t);
	pm.hits++;
	o = metrics_stats_json(m);
	p = json_object_get(o, "prepared");
	ck_assert_int_eq(json_integer_value(json_object_get(p, "hits")), 42);
	ck_assert_int_eq(json_integer_value(json_object_get(p, "size")), 1);
	json_decref(o);

	metrics_set_prepared(m, NULL);
	t = render(m);
	ck_assert(strstr(t, "prepared") == NULL);
	free(t);
	o = metrics_stats_json(m);
	ck_assert(json_is_null(json_object_get(o, "prepared")));
	json_decref(o);
	metrics_free(m);
}
END_TEST

START_TEST(test_parse_addr)
{
	char		host[64];
	uint16_t	port;

	ck_assert_int_eq(prometheus_parse_addr("127.0.0.1:9469", host,
	    sizeof host, &port), 0);
	ck_assert_str_eq(host, "127.0.0.1");
	ck_assert_uint_eq(port, 9469);
	ck_assert_int_eq(prometheus_parse_addr("[::1]:80", host, sizeof host,
	    &port), 0);
	ck_assert_str_eq(host, "::1");
	ck_assert_uint_eq(port, 80);
	ck_assert_int_eq(prometheus_parse_addr(":9469", host, sizeof host,
	    &port), 0);
	ck_assert_str_eq(host, "");
	ck_assert_int_eq(prometheus_parse_addr("*:0", host, sizeof host,
	    &port), 0);
	ck_assert_str_eq(host, "");
	ck_assert_uint_eq(port, 0);
	ck_assert_int_eq(prometheus_parse_addr("localhost:1", host,
	    sizeof host, &port), 0);
	ck_assert_int_eq(prometheus_parse_addr("127.0.0.1", host, sizeof host,
	    &port), -1);
	ck_assert_int_eq(prometheus_parse_addr("::1:80", host, sizeof host,
	    &port), -1);
	ck_assert_int_eq(prometheus_parse_addr("h:65536", host, sizeof host,
	    &port), -1);
	ck_assert_int_eq(prometheus_parse_addr("h:-1", host, sizeof host,
	    &port), -1);
	ck_assert_int_eq(prometheus_parse_addr("h:", host, sizeof host,
	    &port), -1);
	ck_assert_int_eq(prometheus_parse_addr("h:1x", host, sizeof host,
	    &port), -1);
	ck_assert_int_eq(prometheus_parse_addr("averyveryverylonghostname:1",
	    host, 8, &port), -1);
}
END_TEST

/* One HTTP exchange with the endpoint, on the test's own loop. */
struct http_ans {
	int	 done;
	int	 code;
	char	*body;
	char	*ctype;
};

static void
http_done(struct evhttp_request *req, void *arg)
{
	struct http_ans	*a = arg;
	struct evbuffer	*in;
	const char	*ct;
	size_t		 n;

	a->done = 1;
	if (req == NULL)
		return;
	a->code = evhttp_request_get_response_code(req);
	in = evhttp_request_get_input_buffer(req);
	n = evbuffer_get_length(in);
	a->body = xmalloc(n + 1);
	evbuffer_remove(in, a->body, n);
	a->body[n] = '\0';
	ct = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
	a->ctype = ct != NULL ? xstrdup(ct) : NULL;
}

static int
http_cond(void *arg)
{
	return (((struct http_ans *)arg)->done);
}

static void
http_ask(struct event_base *base, uint16_t port, enum evhttp_cmd_type cmd,
    const char *path, size_t bighdr, struct http_ans *a)
{
	struct evhttp_connection	*c;
	struct evhttp_request		*req;
	char				*big;

	memset(a, 0, sizeof *a);
	c = evhttp_connection_base_new(base, NULL, "127.0.0.1", port);
	ck_assert(c != NULL);
	req = evhttp_request_new(http_done, a);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host",
	    "127.0.0.1");
	if (bighdr != 0) {
		big = xmalloc(bighdr + 1);
		memset(big, 'x', bighdr);
		big[bighdr] = '\0';
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "X-Big", big);
		free(big);
	}
	ck_assert_int_eq(evhttp_make_request(c, req, cmd, path), 0);
	ck_assert_msg(testloop_until(base, http_cond, a, 10000),
	    "no HTTP answer");
	evhttp_connection_free(c);
}

static void
http_ans_free(struct http_ans *a)
{
	free(a->body);
	free(a->ctype);
}

static void
render_cb(struct wbuf *w, void *arg)
{
	metrics_prometheus(arg, w);
}

START_TEST(test_http)
{
	struct event_base	*base = event_base_new();
	struct metrics		*m = metrics_new();
	struct prometheus	*p;
	struct http_ans		 a;
	char			 err[256];

	p = prometheus_start(base, "127.0.0.1:0", render_cb, m, err,
	    sizeof err);
	ck_assert_msg(p != NULL, "%s", err);
	ck_assert_uint_ne(prometheus_port(p), 0);

	metrics_request_done(m, METRICS_OP_PING, "ok", 5);
	http_ask(base, prometheus_port(p), EVHTTP_REQ_GET, "/metrics", 0, &a);
	ck_assert_int_eq(a.code, 200);
	ck_assert_str_eq(a.ctype, "text/plain; version=0.0.4; charset=utf-8");
	check_exposition(a.body);
	ck_assert(sample(a.body, "cqlproxyd_requests_total{op=\"ping\","
	    "outcome=\"ok\"}") == 1);
	http_ans_free(&a);

	/* Each scrape is rendered afresh. */
	metrics_request_done(m, METRICS_OP_PING, "ok", 5);
	http_ask(base, prometheus_port(p), EVHTTP_REQ_GET,
	    "/metrics?x=1", 0, &a);
	ck_assert_int_eq(a.code, 200);
	ck_assert(sample(a.body, "cqlproxyd_requests_total{op=\"ping\","
	    "outcome=\"ok\"}") == 2);
	http_ans_free(&a);

	http_ask(base, prometheus_port(p), EVHTTP_REQ_GET, "/", 0, &a);
	ck_assert_int_eq(a.code, 404);
	http_ans_free(&a);
	http_ask(base, prometheus_port(p), EVHTTP_REQ_GET, "/metricsx", 0, &a);
	ck_assert_int_eq(a.code, 404);
	http_ans_free(&a);
	http_ask(base, prometheus_port(p), EVHTTP_REQ_POST, "/metrics", 0, &a);
	ck_assert_int_eq(a.code, 405);
	http_ans_free(&a);
	http_ask(base, prometheus_port(p), EVHTTP_REQ_HEAD, "/metrics", 0, &a);
	ck_assert_int_eq(a.code, 200);
	ck_assert_str_eq(a.body, "");
	http_ans_free(&a);
	/* Oversized headers are refused, not buffered. */
	http_ask(base, prometheus_port(p), EVHTTP_REQ_GET, "/metrics", 65536,
	    &a);
	ck_assert_int_ne(a.code, 200);
	http_ans_free(&a);

	/* Still serving after all that. */
	http_ask(base, prometheus_port(p), EVHTTP_REQ_GET, "/metrics", 0, &a);
	ck_assert_int_eq(a.code, 200);
	http_ans_free(&a);

	/* The port is taken now: a second endpoint there fails cleanly. */
	{
		char		 addr[32];
		struct prometheus *p2;

		snprintf(addr, sizeof addr, "127.0.0.1:%u",
		    prometheus_port(p));
		p2 = prometheus_start(base, addr, render_cb, m, err,
		    sizeof err);
		ck_assert(p2 == NULL);
		ck_assert(strstr(err, addr) != NULL);
	}
	ck_assert(prometheus_start(base, "nonsense", render_cb, m, err,
	    sizeof err) == NULL);
	ck_assert(strstr(err, "host:port") != NULL);

	prometheus_stop(p);
	prometheus_stop(NULL);
	testloop_drain(base);
	metrics_free(m);
	event_base_free(base);
}
END_TEST

static int
cond_host_down(void *arg)
{
	struct host	*h = arg;

	return (h->state == HOST_DOWN);
}

/* Host gauges and core counters from a live cluster on a 3-node mock. */
START_TEST(test_cluster_gauges)
{
	struct metrics	*m;
	struct result	*r;
	struct host	*h2;
	json_t		*o, *hosts, *cl;
	char		*t, key[128];
	double		 before;
	size_t		 i;
	int		 j, nup;

	ct_setup(3, NULL);
	ct_connect();
	m = metrics_new();
	metrics_set_cluster(m, CT->c);

	/* Wait until every pool has a connection. */
	for (j = 0; j < 1000; j++) {
		t = render(m);
		nup = count_samples(t, "cqlproxyd_host_up{", 1);
		free(t);
		if (nup == 3)
			break;
		testloop_until(CT->base, NULL, NULL, 10);
	}
	t = render(m);
	check_exposition(t);
	ck_assert_int_eq(count_samples(t, "cqlproxyd_host_up{", 1), 3);
	ck_assert(sample(t, "cqlproxyd_hosts{state=\"up\"}") == 3);
	ck_assert(sample(t, "cqlproxyd_hosts{state=\"down\"}") == 0);
	ck_assert(sample(t, "cqlproxyd_cluster_ready") == 1);
	ck_assert_int_eq(count_samples(t, "cqlproxyd_host_connections{", 0),
	    0);
	snprintf(key, sizeof key, "cqlproxyd_host_up{host=\"127.0.0.1:%d\","
	    "dc=\"datacenter1\",rack=\"rack1\",distance=\"local\"}",
	    CT->mock.port);
	if (sample(t, key) != 1)
		fprintf(stderr, "%s", t);
	ck_assert_msg(sample(t, key) == 1, "no %s", key);
	before = sample(t, "cqlproxyd_core_requests_total");
	ck_assert(before >= 0);
	free(t);

	for (j = 0; j < 7; j++) {
		r = ct_query_opts("SELECT release_version FROM system.local",
		    NULL);
		ck_assert_int_eq(r->error, CORE_OK);
		result_free(r);
	}
	t = render(m);
	ck_assert(sample(t, "cqlproxyd_core_requests_total") == before + 7);
	ck_assert(sample(t, "cqlproxyd_core_errors_total{kind=\"timeout\"}")
	    == 0);
	free(t);

	h2 = ct_host(2);
	ck_assert(h2 != NULL);
	CT_CONTROL("{\"op\":\"stop\",\"node\":%d}", 2);
	ck_assert_msg(testloop_until(CT->base, cond_host_down, h2, 10000),
	    "node 2 never down");
	t = render(m);
	check_exposition(t);
	ck_assert_int_eq(count_samples(t, "cqlproxyd_host_up{", 1), 2);
	ck_assert_int_eq(count_samples(t, "cqlproxyd_host_up{", 0), 1);
	snprintf(key, sizeof key, "cqlproxyd_host_up{host=\"%s\"", h2->name);
	ck_assert_int_eq(count_samples(t, key, 0), 1);
	ck_assert(sample(t, "cqlproxyd_hosts{state=\"down\"}") == 1);
	ck_assert(sample(t, "cqlproxyd_host_downs_total") >= 1);
	snprintf(key, sizeof key, "cqlproxyd_host_connections{host=\"%s\"}",
	    h2->name);
	ck_assert(sample(t, key) == 0);
	free(t);

	o = metrics_stats_json(m);
	cl = json_object_get(o, "cluster");
	ck_assert(json_is_true(json_object_get(cl, "ready")));
	hosts = json_object_get(cl, "hosts");
	ck_assert_int_eq(json_array_size(hosts), 3);
	nup = 0;
	for (i = 0; i < json_array_size(hosts); i++) {
		json_t	*h = json_array_get(hosts, i);
		const char *st = json_string_value(json_object_get(h, "state"));

		if (strcmp(json_string_value(json_object_get(h, "address")),
		    h2->name) == 0)
			ck_assert_str_eq(st, "down");
		else {
			ck_assert_str_eq(st, "up");
			ck_assert_int_ge(json_integer_value(json_object_get(h,
			    "connections")), 1);
			nup++;
		}
	}
	ck_assert_int_eq(nup, 2);
	ck_assert_int_ge(json_integer_value(json_object_get(json_object_get(cl,
	    "counters"), "requests")), 7);
	json_decref(o);

	metrics_free(m);
	ct_teardown();
}
END_TEST

static Suite *
metrics_suite(int with_mock)
{
	Suite	*s = suite_create("metrics");
	TCase	*tc;

	tc = tcase_create("render");
	tcase_add_test(tc, test_op_names);
	tcase_add_test(tc, test_counters);
	tcase_add_test(tc, test_escaping_and_cap);
	tcase_add_test(tc, test_stats_json);
	tcase_add_test(tc, test_prepared);
	suite_add_tcase(s, tc);

	tc = tcase_create("http");
	tcase_add_test(tc, test_parse_addr);
	tcase_add_test(tc, test_http);
	suite_add_tcase(s, tc);

	if (with_mock) {
		tc = tcase_create("cluster");
		tcase_set_timeout(tc, 60);
		tcase_add_test(tc, test_cluster_gauges);
		suite_add_tcase(s, tc);
	}
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed, with_mock;

	with_mock = access(mockproc_path(), X_OK) == 0;
	if (!with_mock)
		fprintf(stderr, "cqlmock not built: skipping the cluster "
		    "gauge test\n");
	log_open("check_metrics", getenv("CQLP_TEST_DEBUG") != NULL ?
	    LOG_LEVEL_DEBUG : LOG_LEVEL_WARN, 1);
	sr = srunner_create(metrics_suite(with_mock));
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
