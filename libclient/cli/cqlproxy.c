/*
 * cqlproxy.c: the cqlproxy command, CQL from the shell through cqlproxyd
 * (see docs/cqlproxy.1).  Statements come from -e, -f or standard input,
 * are cut at `;`, and run one after another on one connection; rows are
 * printed as an aligned table, JSON lines or CSV.
 *
 * Exit status: 0 success, 1 a CQL (daemon) error, 2 a usage error, 3 the
 * daemon is unreachable, 4 any other failure (timeout, lost connection,
 * bad answer).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cqlproxy.h"
#include "split.h"

#define EXIT_CQL	1
#define EXIT_USAGE	2
#define EXIT_NODAEMON	3
#define EXIT_OTHER	4

/* The daemon takes timeout_ms up to a day (docs/protocol.md). */
#define MAX_TIMEOUT_MS	86400000

enum format {
	F_AUTO,
	F_TABLE,
	F_JSON,
	F_CSV
};

struct cli {
	struct cqlp	*c;
	enum format	 format;
	const char	*values;
	const char	*consistency;
	int		 page_size;
	int		 timeout_ms;
	int		 keep_going;
	int		 status;	/* worst exit status so far */
	int		 quiet;	/* table without the blank line and count */
};

static void
usage(void)
{
	fprintf(stderr,
"usage: cqlproxy [-s socket] [-k keyspace] [-t ms] [-c consistency]\n"
"                [--table | --json | --csv] [--values JSON] [--page-size N]\n"
"                [--numbers-as-strings] [--keep-going] [-q]\n"
"                [-e CQL | -f file | -r request]\n");
	exit(EXIT_USAGE);
}

/* A number option from lo to hi, else a usage error. */
static int
number(const char *arg, const char *what, long lo, long hi)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (end == arg || *end != '\0' || errno == ERANGE || v < lo ||
	    v > hi) {
		fprintf(stderr, "cqlproxy: %s must be a number from %ld to "
		    "%ld, not \"%s\"\n", what, lo, hi, arg);
		exit(EXIT_USAGE);
	}
	return ((int)v);
}

/* The exit status that a library error stands for. */
static int
exit_for(enum cqlp_err e)
{
	switch (e) {
	case CQLP_OK:
		return (0);
	case CQLP_ERR_SERVER:
		return (EXIT_CQL);
	case CQLP_ERR_NOENT:
	case CQLP_ERR_REFUSED:
	case CQLP_ERR_ACCESS:
	case CQLP_ERR_CONNECT:
		return (EXIT_NODAEMON);
	case CQLP_ERR_INVALID:
		return (EXIT_USAGE);
	default:
		return (EXIT_OTHER);
	}
}

static int
fail(struct cli *cl, const char *what)
{
	int	st = exit_for(cqlp_errno(cl->c));

	fprintf(stderr, "cqlproxy: %s%s%s: %s\n", what != NULL ? what : "",
	    what != NULL ? ": " : "", cqlp_error_code(cl->c),
	    cqlp_error_message(cl->c));
	if (st > cl->status || cl->status == 0)
		cl->status = st;
	return (st);
}

/* A column's name; "" when a (broken) answer gives none. */
static const char *
col_name(const struct cqlp_result *r, size_t i)
{
	const char	*s = cqlp_result_column_name(r, i);

	return (s != NULL ? s : "");
}

/* Characters on screen for UTF-8 text (code points; good enough). */
static size_t
width(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return (n);
}

/* A value for the table: strings as they are, the rest as JSON. */
static char *
cell_text(struct cqlp_result *r, size_t col)
{
	const char	*s;
	char		*out, *o;
	size_t		 n, i;

	if (cqlp_is_null(r, col))
		return (strdup("null"));
	if (cqlp_get_textn(r, col, &s, &n) != CQLP_OK)
		return (strdup("?"));
	/* Control characters would break the alignment: show them escaped. */
	if ((out = malloc(n * 4 + 1)) == NULL)
		return (NULL);
	for (i = 0, o = out; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			o += sprintf(o, "\\x%02x", (unsigned char)s[i]);
		else
			*o++ = s[i];
	}
	*o = '\0';
	return (out);
}

static void
print_sep(const size_t *w, size_t ncol)
{
	size_t	i, j;

	for (i = 0; i < ncol; i++) {
		if (i > 0)
			putchar('+');
		for (j = 0; j < w[i] + 2; j++)
			putchar('-');
	}
	putchar('\n');
}

static void
print_cell(const char *s, size_t w, int first, int right)
{
	size_t	pad = w - width(s), i;

	printf("%s ", first ? "" : "|");
	if (right)
		for (i = 0; i < pad; i++)
			putchar(' ');
	fputs(s, stdout);
	if (!right)
		for (i = 0; i < pad; i++)
			putchar(' ');
	putchar(' ');
}

/* Numbers line up on the right, as in cqlsh. */
static int
is_numeric_type(const char *t)
{
	static const char *const num[] = { "int", "bigint", "smallint",
	    "tinyint", "varint", "decimal", "float", "double", "counter" };
	size_t	i;

	for (i = 0; t != NULL && i < sizeof num / sizeof num[0]; i++)
		if (strcmp(t, num[i]) == 0)
			return (1);
	return (0);
}

/* All rows (every page) are read first, to size the columns. */
static int
print_table(struct cli *cl, struct cqlp_result *r)
{
	size_t	 ncol = cqlp_result_ncolumns(r), nrows = 0, cap = 0, i, j;
	char	**cells = NULL, **nc;
	size_t	*w;
	int	*right, rv;

	if ((w = calloc(ncol + 1, sizeof *w)) == NULL ||
	    (right = calloc(ncol + 1, sizeof *right)) == NULL) {
		free(w);
		return (-1);
	}
	for (i = 0; i < ncol; i++) {
		w[i] = width(col_name(r, i));
		right[i] = is_numeric_type(cqlp_result_column_type(r, i));
	}
	while ((rv = cqlp_result_next(r)) == 1) {
		if ((nrows + 1) * ncol > cap) {
			cap = cap == 0 ? ncol * 64 : cap * 2;
			if ((nc = realloc(cells, cap * sizeof *cells)) == NULL)
				break;
			cells = nc;
		}
		for (i = 0; i < ncol; i++) {
			cells[nrows * ncol + i] = cell_text(r, i);
			if (cells[nrows * ncol + i] == NULL)
				cells[nrows * ncol + i] = strdup("");
			if (width(cells[nrows * ncol + i]) > w[i])
				w[i] = width(cells[nrows * ncol + i]);
		}
		nrows++;
	}
	if (!cl->quiet)
		putchar('\n');
	for (i = 0; i < ncol; i++)
		print_cell(col_name(r, i), w[i], i == 0, 0);
	putchar('\n');
	print_sep(w, ncol);
	for (j = 0; j < nrows; j++) {
		for (i = 0; i < ncol; i++)
			print_cell(cells[j * ncol + i], w[i], i == 0, right[i]);
		putchar('\n');
	}
	if (!cl->quiet)
		printf("\n(%zu rows)\n", nrows);
	for (j = 0; j < nrows * ncol; j++)
		free(cells[j]);
	free(cells);
	free(w);
	free(right);
	if (rv < 0) {
		fprintf(stderr, "cqlproxy: fetching rows: %s: %s\n",
		    cqlp_result_error_code(r), cqlp_result_error_message(r));
		return (-1);
	}
	return (0);
}

/* JSON text of a string (for keys and CSV-free output). */
static void
put_json_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* One object per row, values exactly as the daemon wrote them. */
static int
print_json(struct cli *cl, struct cqlp_result *r)
{
	size_t		 ncol = cqlp_result_ncolumns(r), i;
	const char	*v;
	int		 rv;

	while ((rv = cqlp_result_next(r)) == 1) {
		putchar('{');
		for (i = 0; i < ncol; i++) {
			if (i > 0)
				fputs(", ", stdout);
			put_json_string(col_name(r, i));
			fputs(": ", stdout);
			/* A row shorter than its columns: the rest is null. */
			v = cqlp_get_json(r, i);
			fputs(v != NULL ? v : "null", stdout);
		}
		fputs("}\n", stdout);
	}
	if (rv < 0) {
		fprintf(stderr, "cqlproxy: fetching rows: %s: %s\n",
		    cqlp_result_error_code(r), cqlp_result_error_message(r));
		return (-1);
	}
	return (0);
}

/* RFC 4180 field: quoted when it holds a comma, quote or line break. */
static void
put_csv(const char *s, size_t n)
{
	size_t	i;

	if (strcspn(s, ",\"\r\n") >= n && n > 0) {
		fwrite(s, 1, n, stdout);
		return;
	}
	putchar('"');
	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			putchar('"');
		putchar(s[i]);
	}
	putchar('"');
}

static int
print_csv(struct cli *cl, struct cqlp_result *r, int header)
{
	size_t		 ncol = cqlp_result_ncolumns(r), i, n;
	const char	*s;
	int		 rv;

	if (header) {
		for (i = 0; i < ncol; i++) {
			if (i > 0)
				putchar(',');
			s = col_name(r, i);
			put_csv(s, strlen(s));
		}
		putchar('\n');
	}
	while ((rv = cqlp_result_next(r)) == 1) {
		for (i = 0; i < ncol; i++) {
			if (i > 0)
				putchar(',');
			/* null is an empty field; an empty string is "". */
			if (cqlp_is_null(r, i))
				continue;
			if (cqlp_get_textn(r, i, &s, &n) == CQLP_OK) {
				if (n == 0)
					fputs("\"\"", stdout);
				else
					put_csv(s, n);
			}
		}
		putchar('\n');
	}
	if (rv < 0) {
		fprintf(stderr, "cqlproxy: fetching rows: %s: %s\n",
		    cqlp_result_error_code(r), cqlp_result_error_message(r));
		return (-1);
	}
	return (0);
}

static int
run_one(const char *cql, void *arg)
{
	struct cli		*cl = arg;
	struct cqlp_stmt	*s;
	struct cqlp_result	*r;
	int			 rv = 0;

	if ((s = cqlp_stmt_new(cql)) == NULL) {
		fprintf(stderr, "cqlproxy: out of memory\n");
		cl->status = EXIT_OTHER;
		return (-1);
	}
	if (cl->values != NULL && cqlp_stmt_set_values(s, cl->values) !=
	    CQLP_OK) {
		fprintf(stderr, "cqlproxy: --values must be a JSON array or "
		    "object\n");
		cqlp_stmt_free(s);
		exit(EXIT_USAGE);
	}
	if (cl->consistency != NULL)
		cqlp_stmt_set_consistency(s, cl->consistency);
	if (cl->page_size > 0)
		cqlp_stmt_set_page_size(s, cl->page_size);
	if (cl->timeout_ms > 0)
		cqlp_stmt_set_timeout(s, cl->timeout_ms);
	r = cqlp_exec(cl->c, s);
	cqlp_stmt_free(s);
	if (r == NULL) {
		fail(cl, NULL);
		return (cl->keep_going &&
		    exit_for(cqlp_errno(cl->c)) == EXIT_CQL ? 0 : -1);
	}
	if (cqlp_result_ncolumns(r) > 0) {
		switch (cl->format) {
		case F_TABLE:
			rv = print_table(cl, r);
			break;
		case F_CSV:
			rv = print_csv(cl, r, 1);
			break;
		default:
			rv = print_json(cl, r);
			break;
		}
	}
	if (rv < 0) {
		if (cl->status == 0)
			cl->status = exit_for(cqlp_result_status(r));
		cqlp_result_free(r);
		return (-1);
	}
	cqlp_result_free(r);
	fflush(stdout);
	return (0);
}

/* One raw request: the whole answer line is printed. */
static int
run_raw(struct cli *cl, const char *json)
{
	struct cqlp_result	*r;

	if ((r = cqlp_request(cl->c, json)) == NULL)
		return (fail(cl, NULL));
	printf("%s\n", cqlp_result_json(r));
	cqlp_result_free(r);
	return (0);
}

/* Feed a stream by lines, so each statement runs once it is complete. */
static int
run_stream(struct cli *cl, FILE *fp, const char *name)
{
	struct split	*sp = split_new();
	char		*line = NULL;
	size_t		 cap = 0;
	ssize_t		 n;
	long		 lineno = 0;
	int		 rv = 0;

	if (sp == NULL)
		return (-1);
	while (rv == 0 && (n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		/* A statement would end at the NUL unseen: refuse it. */
		if (memchr(line, '\0', (size_t)n) != NULL) {
			fprintf(stderr, "cqlproxy: %s:%ld: a NUL byte in the "
			    "input\n", name, lineno);
			if (cl->status < EXIT_USAGE)
				cl->status = EXIT_USAGE;
			rv = -1;
			break;
		}
		rv = split_feed(sp, line, (size_t)n, run_one, cl);
	}
	/* A read error is not the end of the script: run nothing more. */
	if (rv == 0 && ferror(fp)) {
		fprintf(stderr, "cqlproxy: %s: %s\n", name, strerror(errno));
		if (cl->status < EXIT_USAGE)
			cl->status = EXIT_USAGE;
		rv = -1;
	}
	if (rv == 0)
		rv = split_finish(sp, run_one, cl);
	free(line);
	split_free(sp);
	return (rv);
}

static int
run_text(struct cli *cl, const char *text)
{
	struct split	*sp = split_new();
	int		 rv;

	if (sp == NULL)
		return (-1);
	rv = split_feed(sp, text, strlen(text), run_one, cl);
	if (rv == 0)
		rv = split_finish(sp, run_one, cl);
	split_free(sp);
	return (rv);
}

/* Statements ending in `;` in text? (For --values, one only.) */
static int
count_one(const char *stmt, void *arg)
{
	(*(int *)arg)++;
	return (0);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "keyspace", required_argument, NULL, 'k' },
		{ "execute", required_argument, NULL, 'e' },
		{ "file", required_argument, NULL, 'f' },
		{ "request", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "consistency", required_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "table", no_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'J' },
		{ "csv", no_argument, NULL, 'C' },
		{ "values", required_argument, NULL, 'V' },
		{ "page-size", required_argument, NULL, 'P' },
		{ "numbers-as-strings", no_argument, NULL, 'N' },
		{ "keep-going", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli	 cl;
	const char	*sock = NULL, *ks = NULL, *exec = NULL, *file = NULL;
	const char	*raw = NULL;
	struct split	*sp;
	FILE		*fp;
	struct cqlp_stmt *check;
	int		 ch, nas = 0, rv, n;

	memset(&cl, 0, sizeof cl);
	while ((ch = getopt_long(argc, argv, "s:k:e:f:r:t:c:qh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'k':
			ks = optarg;
			break;
		case 'e':
			exec = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'r':
			raw = optarg;
			break;
		case 't':
			cl.timeout_ms = number(optarg, "--timeout", 1,
			    MAX_TIMEOUT_MS);
			break;
		case 'c':
			cl.consistency = optarg;
			break;
		case 'q':
			cl.quiet = 1;
			break;
		case 'T':
			cl.format = F_TABLE;
			break;
		case 'J':
			cl.format = F_JSON;
			break;
		case 'C':
			cl.format = F_CSV;
			break;
		case 'V':
			cl.values = optarg;
			break;
		case 'P':
			cl.page_size = number(optarg, "--page-size", 1,
			    INT_MAX);
			break;
		case 'N':
			nas = 1;
			break;
		case 'K':
			cl.keep_going = 1;
			break;
		case 'v':
			printf("cqlproxy %s\n", CQLP_VERSION);
			return (0);
		default:
			usage();
		}
	}
	if (optind != argc || (exec != NULL) + (file != NULL) +
	    (raw != NULL) > 1)
		usage();
	if (cl.values != NULL) {
		/* Values belong to one statement. */
		if (exec == NULL)
			usage();
		n = 0;
		if ((sp = split_new()) == NULL)
			return (EXIT_OTHER);
		split_feed(sp, exec, strlen(exec), count_one, &n);
		split_finish(sp, count_one, &n);
		split_free(sp);
		if (n != 1) {
			fprintf(stderr, "cqlproxy: --values needs exactly one "
			    "statement\n");
			return (EXIT_USAGE);
		}
		/* A usage error whether or not the daemon is there. */
		if ((check = cqlp_stmt_new(exec)) == NULL)
			return (EXIT_OTHER);
		if (cqlp_stmt_set_values(check, cl.values) != CQLP_OK) {
			fprintf(stderr, "cqlproxy: --values must be a JSON "
			    "array or object\n");
			cqlp_stmt_free(check);
			return (EXIT_USAGE);
		}
		cqlp_stmt_free(check);
	}
	if (cl.format == F_AUTO)
		cl.format = isatty(STDOUT_FILENO) ? F_TABLE : F_JSON;
	/* A file that cannot be opened is a usage error, daemon or not. */
	fp = stdin;
	if (file != NULL && strcmp(file, "-") != 0 &&
	    (fp = fopen(file, "r")) == NULL) {
		fprintf(stderr, "cqlproxy: %s: %s\n", file, strerror(errno));
		return (EXIT_USAGE);
	}

	if ((cl.c = cqlp_open(sock)) == NULL) {
		fprintf(stderr, "cqlproxy: out of memory\n");
		return (EXIT_OTHER);
	}
	if (cl.timeout_ms > 0)
		cqlp_set_timeout(cl.c, cl.timeout_ms);
	cqlp_set_numbers_as_strings(cl.c, nas);
	if (cqlp_errno(cl.c) != CQLP_OK) {
		rv = fail(&cl, NULL);
		cqlp_close(cl.c);
		return (rv);
	}
	if (ks != NULL && cqlp_use(cl.c, ks) != CQLP_OK) {
		rv = fail(&cl, "use");
		cqlp_close(cl.c);
		return (rv);
	}
	if (raw != NULL)
		run_raw(&cl, raw);
	else if (exec != NULL)
		run_text(&cl, exec);
	else
		run_stream(&cl, fp, fp == stdin ? "standard input" : file);
	if (fp != stdin)
		fclose(fp);
	cqlp_close(cl.c);
	if (fflush(stdout) == EOF && cl.status == 0)
		cl.status = EXIT_OTHER;
	return (cl.status);
}
