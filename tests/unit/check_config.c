/*
 * check_config.c: the configuration file: defaults, units, every error with
 * its FILE:LINE, list continuation, reload classification, the dump, and
 * that conf/cqlproxyd.conf is exactly the defaults (so it cannot rot).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "msg.h"
#include "daemon/service/config.h"	/* not autoconf's config.h */

static char	err[512];

static struct config *
load(const char *text)
{
	return (config_load_string(text, "t.conf", err, sizeof err));
}

#define ck_load_err(text, want) do {					\
	struct config	*_c = load(text);				\
	ck_assert_msg(_c == NULL, "accepted: %s", text);		\
	ck_assert_str_eq(err, want);					\
} while (0)

static char *
dump(const struct config *c)
{
	struct wbuf	w;
	size_t		n;

	wbuf_init(&w, 0);
	config_dump(c, &w);
	wbuf_u8(&w, '\0');
	return ((char *)wbuf_steal(&w, &n));
}

START_TEST(test_defaults)
{
	struct config	*c = config_default();

	ck_assert_uint_eq(c->contact_points.n, 1);
	ck_assert_str_eq(c->contact_points.v[0], "127.0.0.1");
	ck_assert_int_eq(c->port, 9042);
	ck_assert_str_eq(c->local_dc, "");
	ck_assert_int_eq(c->protocol_version, 0);
	ck_assert(c->connect_timeout_ms == 5000);
	ck_assert(c->request_timeout_ms == 10000);
	ck_assert(c->heartbeat_interval_ms == 30000);
	ck_assert_int_eq(c->max_requests_per_connection, 2048);
	ck_assert(c->reconnect_max_delay_ms == 600000);
	ck_assert_int_eq(c->default_consistency, CL_LOCAL_ONE);
	ck_assert_int_eq(c->default_serial_consistency,
	    CONFIG_CONSISTENCY_UNSET);
	ck_assert_int_eq(c->default_page_size, 5000);
	ck_assert_int_eq(c->client_timestamps, 1);
	ck_assert_str_eq(c->socket, "/run/cqlproxyd/cqlproxyd.sock");
	ck_assert_uint_eq(c->socket_mode, 0660);
	ck_assert_uint_eq(c->max_line_length, 1024 * 1024);
	ck_assert_int_eq(c->log_level, LOG_LEVEL_INFO);
	ck_assert_str_eq(c->prometheus_listen, "");
	ck_assert_ptr_null(c->path);
	config_free(c);
}
END_TEST

START_TEST(test_values_and_units)
{
	struct config	*c;

	c = load("; comment\n# another\n[cluster]\n"
	    "connect_timeout = 500ms\nrequest_timeout = 2s ; inline comment\n"
	    "heartbeat_interval = 0\nschema_agreement_wait = 10m\n"
	    "heartbeat_timeout = 1H\nport=9142\nlocal_dc = dc 1\n"
	    "protocol_version = 4\nprepare_on_all_hosts = no\n"
	    "[policy]\nreconnect_max_delay = 1d\nretry = Downgrading\n"
	    "default_consistency = local_quorum\n"
	    "default_serial_consistency = LOCAL_SERIAL\n"
	    "[listen]\nmax_line_length = 64k\nmax_output_per_client = 2m\n"
	    "socket_mode = 0600\nallow_uids = 0 cassandra, 1000\n"
	    "[log]\nlevel = debug\n[auth]\nusername = u\npassword = p;w\n");
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert(c->connect_timeout_ms == 500);
	ck_assert(c->request_timeout_ms == 2000);
	ck_assert(c->heartbeat_interval_ms == 0);
	ck_assert(c->schema_agreement_wait_ms == 600000);
	ck_assert(c->heartbeat_timeout_ms == 3600000);
	ck_assert_int_eq(c->port, 9142);
	ck_assert_str_eq(c->local_dc, "dc 1");
	ck_assert_int_eq(c->protocol_version, 4);
	ck_assert_int_eq(c->prepare_on_all_hosts, 0);
	ck_assert(c->reconnect_max_delay_ms == 86400000);
	ck_assert_int_eq(c->retry, CONFIG_RETRY_DOWNGRADING);
	ck_assert_int_eq(c->default_consistency, CL_LOCAL_QUORUM);
	ck_assert_int_eq(c->default_serial_consistency, CL_LOCAL_SERIAL);
	ck_assert_uint_eq(c->max_line_length, 65536);
	ck_assert_uint_eq(c->max_output_per_client, 2 * 1024 * 1024);
	ck_assert_uint_eq(c->socket_mode, 0600);
	ck_assert_uint_eq(c->allow_uids.n, 3);
	ck_assert_str_eq(c->allow_uids.v[1], "cassandra");
	ck_assert_int_eq(c->log_level, LOG_LEVEL_DEBUG);
	/* ";" only starts a comment after blank space. */
	ck_assert_str_eq(c->password, "p;w");
	ck_assert_str_eq(c->path, "t.conf");
	config_free(c);
}
END_TEST

START_TEST(test_lists)
{
	struct config	*c;

	c = load("[cluster]\ncontact_points = 10.0.0.1, 10.0.0.2:9043\n"
	    "    [::1]:9042 db.example.com\n\tdb2\n"
	    "  ; a comment between continuation lines\n   db3\n"
	    "[policy]\ndeny_hosts = a\ndeny_hosts = b\n");
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->contact_points.n, 6);
	ck_assert_str_eq(c->contact_points.v[0], "10.0.0.1");
	ck_assert_str_eq(c->contact_points.v[1], "10.0.0.2:9043");
	ck_assert_str_eq(c->contact_points.v[2], "[::1]:9042");
	ck_assert_str_eq(c->contact_points.v[4], "db2");
	/* A repeated key replaces the list. */
	ck_assert_uint_eq(c->deny_hosts.n, 1);
	ck_assert_str_eq(c->deny_hosts.v[0], "b");
	config_free(c);

	/*
	 * A "; comment" after blank space ends a continuation line as it
	 * ends a key's line (inih leaves it there); a line indented with
	 * \r or \f continues the key too, as inih reads it.
	 */
	c = load("[cluster]\ncontact_points = 10.0.0.1 ; first\n"
	    "    10.0.0.2 ; the second; and\n\t10.0.0.3\t;x\n"
	    " \r 10.0.0.4 ;5\n");
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->contact_points.n, 4);
	ck_assert_str_eq(c->contact_points.v[0], "10.0.0.1");
	ck_assert_str_eq(c->contact_points.v[1], "10.0.0.2");
	ck_assert_str_eq(c->contact_points.v[2], "10.0.0.3");
	ck_assert_str_eq(c->contact_points.v[3], "10.0.0.4");
	config_free(c);
}
END_TEST

START_TEST(test_errors)
{
	char	long_line[400];

	config_free(config_load("/nonexistent/cqlproxyd.conf", err,
	    sizeof err));
	ck_assert_str_eq(err,
	    "/nonexistent/cqlproxyd.conf: No such file or directory");

	ck_load_err("[cluster]\nport = 1\n[foo]\n",
	    "t.conf:3: unknown section [foo]");
	ck_load_err("[foo]\nbar = 1\n", "t.conf:1: unknown section [foo]");
	ck_load_err("[log]\n  [foo]\n", "t.conf:2: unknown section [foo]");
	ck_load_err("[cluster]\n\nbogus = 1\n",
	    "t.conf:3: unknown key bogus in [cluster]");
	ck_load_err("port = 1\n", "t.conf:1: port outside a section");
	ck_load_err("[cluster]\nport = 70000\n",
	    "t.conf:2: bad value for port: \"70000\": out of range "
	    "(1 to 65535)");
	ck_load_err("[cluster]\nport = 9o42\n",
	    "t.conf:2: bad value for port: \"9o42\": expected an integer");
	ck_load_err("[cluster]\nconnect_timeout = 5\n",
	    "t.conf:2: bad value for connect_timeout: \"5\": expected a "
	    "duration with a unit: ms, s, m, h or d");
	ck_load_err("[cluster]\nconnect_timeout = 5x\n",
	    "t.conf:2: bad value for connect_timeout: \"5x\": expected a "
	    "duration with a unit: ms, s, m, h or d");
	ck_load_err("[cluster]\nconnect_timeout = 0\n",
	    "t.conf:2: bad value for connect_timeout: \"0\": out of range "
	    "(1ms to 10m)");
	ck_load_err("[cluster]\nconnect_timeout = 99999999999999999999d\n",
	    "t.conf:2: bad value for connect_timeout: "
	    "\"99999999999999999999d\": expected a duration with a unit: "
	    "ms, s, m, h or d");
	ck_load_err("[listen]\nmax_line_length = 64\n",
	    "t.conf:2: bad value for max_line_length: \"64\": out of range "
	    "(1KiB to 256MiB)");
	ck_load_err("[listen]\nmax_line_length = 1 TiB\n",
	    "t.conf:2: bad value for max_line_length: \"1 TiB\": expected a "
	    "size such as 512, 64k or 1MiB");
	ck_load_err("[policy]\nretry = sometimes\n",
	    "t.conf:2: bad value for retry: \"sometimes\": expected default, "
	    "downgrading or fallthrough");
	ck_load_err("[policy]\ntoken_aware = maybe\n",
	    "t.conf:2: bad value for token_aware: \"maybe\": expected true "
	    "or false");
	ck_load_err("[listen]\nsocket_mode = 0999\n",
	    "t.conf:2: bad value for socket_mode: \"0999\": expected an octal "
	    "file mode such as 0660");
	ck_load_err("[listen]\nsocket = run/x.sock\n",
	    "t.conf:2: bad value for socket: \"run/x.sock\": not an absolute "
	    "path");
	ck_load_err("[metrics]\nprometheus_listen = 9469\n",
	    "t.conf:2: bad value for prometheus_listen: \"9469\": expected "
	    "host:port");
	ck_load_err("[cluster]\ncontact_points = a, host/x\n",
	    "t.conf:2: bad value for contact_points: \"host/x\": not a host "
	    "name or address");
	ck_load_err("[cluster]\nport = 1\ngarbage\n",
	    "t.conf:3: syntax error (expected [section] or key = value)");
	ck_load_err("[cluster]\nport = 1\n  local_dc = x\n",
	    "t.conf:3: indented line continues port, which is not a list");
	/* Indented with a carriage return: still a continuation (fuzz). */
	ck_load_err("[cluster]\nlocal_dc =\n; c\n \r   dc2 ; x\n",
	    "t.conf:4: indented line continues local_dc, which is not a list");
	/* The first error is the one reported. */
	ck_load_err("[cluster]\nport = 0\nbogus = 1\n",
	    "t.conf:2: bad value for port: \"0\": out of range (1 to 65535)");
	ck_load_err("[cluster]\nbogus = 1\nport = 0\n",
	    "t.conf:2: unknown key bogus in [cluster]");

	memset(long_line, 'a', sizeof long_line);
	memcpy(long_line, "[auth]\nusername = ", 18);
	memcpy(long_line + sizeof long_line - 2, "\n", 2);
	ck_load_err(long_line, "t.conf:2: line too long (at most 197 "
	    "characters; continue long lists on indented lines)");

	/* Rules between keys name no line. */
	ck_load_err("[cluster]\nconnections_per_host_local = 3\n",
	    "t.conf: max_connections_per_host_local (2) is below "
	    "connections_per_host_local (3)");
	ck_load_err("[policy]\nreconnect_base_delay = 1h\nreconnect_max_delay "
	    "= 1m\n", "t.conf: reconnect_max_delay is below "
	    "reconnect_base_delay");
	ck_load_err("[auth]\npassword = x\n",
	    "t.conf: password given without username");
	ck_load_err("[cluster]\ncontact_points =\n", "t.conf: no contact_points");
}
END_TEST

START_TEST(test_reload)
{
	struct config	*old = config_default(), *new;

	new = load("[cluster]\nport = 9043\ncontact_points = 10.1.1.1\n"
	    "request_timeout = 1s\n[listen]\nmax_clients = 5\n"
	    "socket = /tmp/x.sock\n[log]\nlevel = warn\n[auth]\n"
	    "username = u\npassword = secret\n");
	ck_assert_msg(new != NULL, "%s", err);
	ck_assert_int_eq(config_reload_check(old, new, err, sizeof err), 5);
	ck_assert_str_eq(err, "cluster.contact_points, cluster.port, "
	    "listen.socket, auth.username, auth.password");
	config_keep_restart_keys(new, old);
	ck_assert_int_eq(config_reload_check(old, new, err, sizeof err), 0);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(new->port, 9042);
	ck_assert_str_eq(new->contact_points.v[0], "127.0.0.1");
	ck_assert_str_eq(new->password, "");
	/* Reloadable keys keep their new values. */
	ck_assert(new->request_timeout_ms == 1000);
	ck_assert_int_eq(new->max_clients, 5);
	ck_assert_int_eq(new->log_level, LOG_LEVEL_WARN);
	ck_assert(!config_equal(old, new));
	config_free(new);
	config_free(old);
}
END_TEST

START_TEST(test_dump)
{
	struct config	*c, *back;
	char		*d;

	c = load("[cluster]\ncontact_points = a, b:1\nrequest_timeout = "
	    "1500ms\nlocal_dc =;dc ; c\n[listen]\nmax_line_length = 3000\n"
	    "socket_mode = 600\n[auth]\nusername =;u\npassword = secret\n");
	ck_assert_msg(c != NULL, "%s", err);
	d = dump(c);
	ck_assert_ptr_null(strstr(d, "secret"));
	ck_assert_ptr_nonnull(strstr(d, "\npassword = ********\n"));
	ck_assert_ptr_nonnull(strstr(d, "\ncontact_points = a, b:1\n"));
	ck_assert_ptr_nonnull(strstr(d, "\nrequest_timeout = 1500ms\n"));
	ck_assert_ptr_nonnull(strstr(d, "\nmax_line_length = 3000\n"));
	ck_assert_ptr_nonnull(strstr(d, "\nsocket_mode = 0600\n"));
	ck_assert_ptr_nonnull(strstr(d, "\nreconnect_max_delay = 10m\n"));
	/* A value that starts with ";" is not taken for a comment (fuzz). */
	ck_assert_str_eq(c->local_dc, ";dc");
	ck_assert_ptr_nonnull(strstr(d, "\nlocal_dc =;dc\n"));
	ck_assert_ptr_nonnull(strstr(d, "\nusername =;u\n"));
	ck_assert(strncmp(d, "[cluster]\n", 10) == 0);
	/* The dump is itself a configuration file that reads back. */
	back = load(d);
	ck_assert_msg(back != NULL, "%s", err);
	ck_assert_str_eq(back->password, "********");
	free(back->password);
	back->password = xstrdup("secret");
	ck_assert(config_equal(c, back));
	config_free(back);
	free(d);
	config_free(c);
}
END_TEST

/*
 * Long lists are dumped on continuation lines the reader accepts (fuzz
 * finding config-1): dump -> load -> equal, and no line over the limit.
 */
START_TEST(test_dump_long_lists)
{
	struct config	*c, *back;
	struct wbuf	 w;
	char		*d, *text, item[256], name[200];
	const char	*p;
	size_t		 i, n;

	wbuf_init(&w, 0);
	p = "[cluster]\ncontact_points = ";
	wbuf_raw(&w, p, strlen(p));
	for (i = 0; i < 40; i++) {
		snprintf(item, sizeof item, "%shost-number-%02zu.example.com",
		    i == 0 ? "" : i % 3 == 0 ? "\n    " : ", ", i);
		wbuf_raw(&w, item, strlen(item));
	}
	/* An item as long as a continuation line allows (195 + tab). */
	memset(name, 'a', 195);
	for (i = 60; i < 195; i += 61)
		name[i] = '.';
	name[195] = '\0';
	snprintf(item, sizeof item, "\n\t%s\n", name);
	wbuf_raw(&w, item, strlen(item));
	p = "[listen]\nallow_uids =\n";
	wbuf_raw(&w, p, strlen(p));
	for (i = 0; i < 60; i++) {
		snprintf(item, sizeof item, "  user%zu\n", i);
		wbuf_raw(&w, item, strlen(item));
	}
	wbuf_u8(&w, '\0');
	text = (char *)wbuf_steal(&w, &n);
	c = load(text);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->contact_points.n, 41);
	ck_assert_str_eq(c->contact_points.v[40], name);
	ck_assert_uint_eq(c->allow_uids.n, 60);

	d = dump(c);
	for (p = d; *p != '\0'; p += n + (p[n] == '\n')) {
		n = strcspn(p, "\n");
		ck_assert_msg(n + 1 <= 197, "line of %zu: %.*s", n, (int)n, p);
	}
	ck_assert_ptr_nonnull(strstr(d, "\ncontact_points = "
	    "host-number-00.example.com, host-number-01.example.com,\n\t"));
	back = load(d);
	ck_assert_msg(back != NULL, "%s\n%s", err, d);
	free(back->password);
	back->password = xstrdup(c->password);
	ck_assert_msg(config_equal(c, back), "dump differs:\n%s", d);
	config_free(back);
	free(d);
	config_free(c);
	free(text);

	/* The fuzzer's reproducer. */
	c = load("[cluster]\ncontact_points = host-number-01.example.com, "
	    "host-number-02.example.com, host-number-03.example.com\n"
	    "    host-number-04.example.com, host-number-05.example.com, "
	    "host-number-06.example.com\n"
	    "    host-number-07.example.com, host-number-08.example.com\n");
	ck_assert_msg(c != NULL, "%s", err);
	d = dump(c);
	back = load(d);
	ck_assert_msg(back != NULL, "%s\n%s", err, d);
	ck_assert(config_equal(c, back));
	config_free(back);
	free(d);
	config_free(c);
}
END_TEST

/* Every "section.key" of text (a config file), space-separated. */
static char *
keys_of(const char *text)
{
	struct wbuf	 w;
	const char	*p = text, *e;
	char		 section[64] = "", *line, *eq;
	size_t		 n;

	wbuf_init(&w, 0);
	while (*p != '\0') {
		n = strcspn(p, "\n");
		line = xstrndup(p, n);
		p += n + (p[n] == '\n');
		if (line[0] == '[' && (e = strchr(line, ']')) != NULL)
			snprintf(section, sizeof section, "%.*s",
			    (int)(e - line - 1), line + 1);
		else if (line[0] != ';' && line[0] != '#' &&
		    (eq = strstr(line, " =")) != NULL) {
			*eq = '\0';
			wbuf_raw(&w, section, strlen(section));
			wbuf_u8(&w, '.');
			wbuf_raw(&w, line, strlen(line));
			wbuf_u8(&w, ' ');
		}
		free(line);
	}
	wbuf_u8(&w, '\0');
	return ((char *)wbuf_steal(&w, &n));
}

START_TEST(test_example_file)
{
	struct config	*def = config_default(), *c;
	const char	*srcdir = getenv("top_srcdir");
	char		*path, *text, *want, *have, *d;
	FILE		*f;
	long		 len;

	xasprintf(&path, "%s/conf/cqlproxyd.conf",
	    srcdir != NULL ? srcdir : ".");
	c = config_load(path, err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	d = dump(c);
	ck_assert_msg(config_equal(c, def), "example differs from defaults:\n%s",
	    d);
	free(d);

	/* Every key is in it, set (not commented out), in table order. */
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = xmalloc((size_t)len + 1);
	ck_assert_uint_eq(fread(text, 1, (size_t)len, f), (size_t)len);
	text[len] = '\0';
	fclose(f);
	d = dump(def);
	want = keys_of(d);
	have = keys_of(text);
	ck_assert_str_eq(have, want);
	free(want);
	free(have);
	free(d);
	free(text);
	free(path);
	config_free(c);
	config_free(def);
}
END_TEST

START_TEST(test_example_generator)
{
	struct wbuf	 w;
	struct config	*c, *def = config_default();
	size_t		 n;
	char		*text;

	wbuf_init(&w, 0);
	config_example(&w);
	wbuf_u8(&w, '\0');
	text = (char *)wbuf_steal(&w, &n);
	c = load(text);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert(config_equal(c, def));
	free(text);
	config_free(c);
	config_free(def);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite	*s = suite_create("config");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_values_and_units);
	tcase_add_test(tc, test_lists);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_reload);
	tcase_add_test(tc, test_dump);
	tcase_add_test(tc, test_dump_long_lists);
	tcase_add_test(tc, test_example_file);
	tcase_add_test(tc, test_example_generator);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(config_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
