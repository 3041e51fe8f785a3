/*
 * config-fuzzer.c: libFuzzer harness for cqlproxyd's configuration file
 * reader (daemon/service/config.c through inih): arbitrary text must load
 * or be refused with a message, never crash or leak. What loads is dumped,
 * compared with the defaults the way a SIGHUP reload does, and the dump
 * read back must give the same configuration.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "buf.h"
#include "daemon/service/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * config_dump writes every key as INI under its section; reading it back
 * must give the same values (the password is masked there, so it is taken
 * over before comparing).
 */
static void
check_dump(const struct config *cfg)
{
	struct config	*again;
	struct wbuf	 w;
	char		 err[512], *text;

	wbuf_init(&w, 0);
	config_dump(cfg, &w);
	wbuf_u8(&w, '\0');
	if (!wbuf_ok(&w))
		abort();
	text = (char *)w.p;
	again = config_load_string(text, "dump", err, sizeof err);
	if (again == NULL) {
		fprintf(stderr, "config-fuzzer: dump does not load: %s\n%s",
		    err, text);
		abort();
	}
	free(again->password);
	again->password = xstrdup(cfg->password);
	if (!config_equal(cfg, again)) {
		fprintf(stderr, "config-fuzzer: dump loads as something "
		    "else:\n%s", text);
		abort();
	}
	config_free(again);
	wbuf_free(&w);
}

/* A configuration that loaded: reload checks, equality, the dump. */
static void
poke_config(struct config *cfg)
{
	struct config	*def;
	char		 err[512];

	def = config_default();
	(void)config_reload_check(def, cfg, err, sizeof err);
	(void)config_reload_check(cfg, def, err, sizeof err);
	(void)config_equal(def, cfg);
	check_dump(cfg);
	config_keep_restart_keys(def, cfg);
	config_free(def);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*cfg;
	char		*text, err[512];

	/* The reader stops at a NUL as the file reader would not: cut there. */
	text = xstrndup((const char *)data, size);
	err[0] = '\0';
	cfg = config_load_string(text, "fuzz.conf", err, sizeof err);
	if (cfg == NULL) {
		if (err[0] == '\0')
			abort();	/* a refusal must say why */
	} else {
		poke_config(cfg);
		config_free(cfg);
	}
	free(text);
	return (0);
}
