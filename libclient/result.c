/*
 * result.c: answers as results.  The answer line stays as the daemon
 * wrote it; accessors read the current row's values from the parsed
 * nodes, converting on demand, and any text they hand out belongs to the
 * result until its page changes.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cqlp-int.h"

/* Remember a string handed out for this page. */
static const char *
own(struct cqlp_result *r, char *p)
{
	char	**o;

	if (p == NULL)
		return (NULL);
	o = realloc(r->owned, (r->nowned + 1) * sizeof *o);
	if (o == NULL) {
		free(p);
		return (NULL);
	}
	r->owned = o;
	r->owned[r->nowned++] = p;
	return (p);
}

static void
owned_free(struct cqlp_result *r)
{
	size_t	i;

	for (i = 0; i < r->nowned; i++)
		free(r->owned[i]);
	free(r->owned);
	r->owned = NULL;
	r->nowned = 0;
}

/* Point the result at its answer's parts; ids are ours, so integers. */
static void
result_bind(struct cqlp_result *r)
{
	const struct jnode	*root = r->doc.root, *ok, *err, *id, *n;

	r->cols = r->rows = NULL;
	r->row = 0;
	free(r->err_code);
	free(r->err_msg);
	r->err_code = r->err_msg = NULL;
	if ((id = jnode_get(root, "id")) != NULL && id->type == J_NUMBER)
		r->id = strtoull(id->raw, NULL, 10);
	ok = jnode_get(root, "ok");
	if (ok != NULL && ok->type == J_TRUE) {
		r->status = CQLP_OK;
		if ((n = jnode_get(root, "columns")) != NULL &&
		    n->type == J_ARRAY)
			r->cols = n;
		if ((n = jnode_get(root, "rows")) != NULL &&
		    n->type == J_ARRAY)
			r->rows = n;
		return;
	}
	r->status = CQLP_ERR_SERVER;
	err = jnode_get(root, "error");
	r->err_code = lc_strdup(jnode_str(jnode_get(err, "code")));
	r->err_msg = lc_strdup(jnode_str(jnode_get(err, "message")));
	if (r->err_code == NULL)
		r->err_code = lc_strdup(ok == NULL || ok->type != J_FALSE ?
		    "bad_answer" : "unknown");
}

struct cqlp_result *
result_new(struct jdoc *doc)
{
	struct cqlp_result	*r;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return (NULL);
	r->doc = *doc;
	memset(doc, 0, sizeof *doc);
	result_bind(r);
	return (r);
}

struct cqlp_result *
result_new_error(enum cqlp_err e, const char *code, const char *msg)
{
	struct cqlp_result	*r;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return (NULL);
	r->status = e;
	r->err_code = lc_strdup(code);
	r->err_msg = lc_strdup(msg);
	return (r);
}

void
result_replace(struct cqlp_result *r, struct cqlp_result *nr)
{
	owned_free(r);
	jdoc_free(&r->doc);
	r->doc = nr->doc;
	memset(&nr->doc, 0, sizeof nr->doc);
	result_bind(r);
	cqlp_result_free(nr);
}

void
cqlp_result_free(struct cqlp_result *r)
{
	if (r == NULL)
		return;
	owned_free(r);
	jdoc_free(&r->doc);
	free(r->err_code);
	free(r->err_msg);
	cqlp_stmt_free(r->stmt);
	if (r->conn != NULL)
		client_unref(r->conn);
	free(r);
}

enum cqlp_err
cqlp_result_status(const struct cqlp_result *r)
{
	return (r->status);
}

const char *
cqlp_result_error_code(const struct cqlp_result *r)
{
	return (r->err_code);
}

const char *
cqlp_result_error_message(const struct cqlp_result *r)
{
	return (r->err_msg);
}

const char *
cqlp_result_json(const struct cqlp_result *r)
{
	return (r->doc.text);
}

const char *
cqlp_result_member(struct cqlp_result *r, const char *name)
{
	const struct jnode	*n;

	if ((n = jnode_get(r->doc.root, name)) == NULL)
		return (NULL);
	return (own(r, lc_strndup(n->raw, n->rawlen)));
}

size_t
cqlp_result_ncolumns(const struct cqlp_result *r)
{
	return (r->cols == NULL ? 0 : r->cols->n);
}

static const struct jnode *
column(const struct cqlp_result *r, size_t i)
{
	if (r->cols == NULL || i >= r->cols->n)
		return (NULL);
	return (&r->cols->kids[i]);
}

const char *
cqlp_result_column_name(const struct cqlp_result *r, size_t i)
{
	return (jnode_str(jnode_get(column(r, i), "name")));
}

const char *
cqlp_result_column_type(const struct cqlp_result *r, size_t i)
{
	return (jnode_str(jnode_get(column(r, i), "type")));
}

int
cqlp_result_column_index(const struct cqlp_result *r, const char *name)
{
	const char	*s;
	size_t		 i;

	for (i = 0; i < cqlp_result_ncolumns(r); i++) {
		if ((s = cqlp_result_column_name(r, i)) != NULL &&
		    strcmp(s, name) == 0)
			return ((int)i);
	}
	return (-1);
}

size_t
cqlp_result_nrows(const struct cqlp_result *r)
{
	return (r->rows == NULL ? 0 : r->rows->n);
}

const char *
cqlp_result_paging_state(const struct cqlp_result *r)
{
	return (jnode_str(jnode_get(r->doc.root, "paging_state")));
}

int
cqlp_result_has_more_pages(const struct cqlp_result *r)
{
	return (cqlp_result_paging_state(r) != NULL);
}

int
cqlp_result_next_page(struct cqlp_result *r)
{
	struct cqlp_result	*nr;

	if (!cqlp_result_has_more_pages(r))
		return (0);
	if (r->conn == NULL || r->stmt == NULL) {
		free(r->err_code);
		free(r->err_msg);
		r->status = CQLP_ERR_INVALID;
		r->err_code = lc_strdup(cqlp_strerr(CQLP_ERR_INVALID));
		r->err_msg = lc_strdup("this result cannot fetch pages "
		    "(async: submit a statement with its paging state)");
		return (-1);
	}
	if (cqlp_stmt_set_paging_state(r->stmt,
	    cqlp_result_paging_state(r)) != CQLP_OK ||
	    (nr = client_exec_page(r->conn, r->stmt)) == NULL) {
		free(r->err_code);
		free(r->err_msg);
		r->status = cqlp_errno(r->conn);
		r->err_code = lc_strdup(cqlp_error_code(r->conn));
		r->err_msg = lc_strdup(cqlp_error_message(r->conn));
		return (-1);
	}
	result_replace(r, nr);
	return (1);
}

int
cqlp_result_next(struct cqlp_result *r)
{
	int	rv;

	for (;;) {
		if (r->rows != NULL && r->row < r->rows->n) {
			r->row++;
			return (1);
		}
		if (r->conn == NULL || !cqlp_result_has_more_pages(r))
			return (0);
		if ((rv = cqlp_result_next_page(r)) <= 0)
			return (rv);
	}
}

/* The current row's value in column col, or NULL. */
static const struct jnode *
cell(const struct cqlp_result *r, size_t col)
{
	const struct jnode	*row;

	if (r->rows == NULL || r->row == 0 || r->row > r->rows->n)
		return (NULL);
	row = &r->rows->kids[r->row - 1];
	if (row->type != J_ARRAY || col >= row->n)
		return (NULL);
	return (&row->kids[col]);
}

int
cqlp_is_null(struct cqlp_result *r, size_t col)
{
	const struct jnode	*v = cell(r, col);

	return (v == NULL || v->type == J_NULL);
}

enum cqlp_err
cqlp_get_textn(struct cqlp_result *r, size_t col, const char **p,
    size_t *n)
{
	const struct jnode	*v = cell(r, col);
	const char		*s;

	*p = NULL;
	*n = 0;
	if (v == NULL)
		return (CQLP_ERR_INVALID);
	if (v->type == J_NULL)
		return (CQLP_ERR_NULL);
	if (v->type == J_STRING) {
		*p = v->str;
		*n = v->slen;
		return (CQLP_OK);
	}
	if ((s = own(r, lc_strndup(v->raw, v->rawlen))) == NULL)
		return (CQLP_ERR_NOMEM);
	*p = s;
	*n = v->rawlen;
	return (CQLP_OK);
}

const char *
cqlp_get_text(struct cqlp_result *r, size_t col)
{
	const char	*p;
	size_t		 n;

	return (cqlp_get_textn(r, col, &p, &n) == CQLP_OK ? p : NULL);
}

const char *
cqlp_get_json(struct cqlp_result *r, size_t col)
{
	const struct jnode	*v = cell(r, col);

	if (v == NULL)
		return (NULL);
	return (own(r, lc_strndup(v->raw, v->rawlen)));
}

/* An integer from exact text: the whole of it, in range. */
static enum cqlp_err
parse_int64(const char *s, size_t n, int64_t *out)
{
	char		 buf[32], *ep;
	long long	 v;
	size_t		 i;

	if (n == 0 || n >= sizeof buf)
		return (n == 0 ? CQLP_ERR_TYPE : CQLP_ERR_RANGE);
	for (i = 0; i < n; i++)
		if (!(s[i] >= '0' && s[i] <= '9') && !(i == 0 && s[i] == '-'))
			return (CQLP_ERR_TYPE);
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	v = strtoll(buf, &ep, 10);
	if (ep == buf || *ep != '\0')
		return (CQLP_ERR_TYPE);
	if (errno == ERANGE)
		return (CQLP_ERR_RANGE);
	*out = v;
	return (CQLP_OK);
}

enum cqlp_err
cqlp_get_int64(struct cqlp_result *r, size_t col, int64_t *out)
{
	const struct jnode	*v = cell(r, col);

	if (v == NULL)
		return (CQLP_ERR_INVALID);
	switch (v->type) {
	case J_NULL:
		return (CQLP_ERR_NULL);
	case J_NUMBER:
		return (parse_int64(v->raw, v->rawlen, out));
	case J_STRING:
		return (parse_int64(v->str, v->slen, out));
	default:
		return (CQLP_ERR_TYPE);
	}
}

enum cqlp_err
cqlp_get_double(struct cqlp_result *r, size_t col, double *out)
{
	const struct jnode	*v = cell(r, col);
	const char		*s;
	char			*buf;
	double			 d;
	size_t			 n;
	int			 rv, erange;

	if (v == NULL)
		return (CQLP_ERR_INVALID);
	switch (v->type) {
	case J_NULL:
		return (CQLP_ERR_NULL);
	case J_NUMBER:
		s = v->raw;
		n = v->rawlen;
		break;
	case J_STRING:
		if (strcmp(v->str, "NaN") == 0) {
			*out = NAN;
			return (CQLP_OK);
		}
		if (strcmp(v->str, "Infinity") == 0) {
			*out = INFINITY;
			return (CQLP_OK);
		}
		if (strcmp(v->str, "-Infinity") == 0) {
			*out = -INFINITY;
			return (CQLP_OK);
		}
		s = v->str;
		n = v->slen;
		if (n == 0 || !json_valid(s, n, J_NUMBER))
			return (CQLP_ERR_TYPE);
		break;
	default:
		return (CQLP_ERR_TYPE);
	}
	if ((buf = lc_strndup(s, n)) == NULL)
		return (CQLP_ERR_NOMEM);
	rv = lc_strtod(buf, &d, &erange);
	free(buf);
	if (rv != 0)
		return (CQLP_ERR_TYPE);
	if (erange && isinf(d))
		return (CQLP_ERR_RANGE);
	*out = d;
	return (CQLP_OK);
}

enum cqlp_err
cqlp_get_bool(struct cqlp_result *r, size_t col, int *out)
{
	const struct jnode	*v = cell(r, col);

	if (v == NULL)
		return (CQLP_ERR_INVALID);
	switch (v->type) {
	case J_NULL:
		return (CQLP_ERR_NULL);
	case J_TRUE:
	case J_FALSE:
		*out = v->type == J_TRUE;
		return (CQLP_OK);
	default:
		return (CQLP_ERR_TYPE);
	}
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

enum cqlp_err
cqlp_get_bytes(struct cqlp_result *r, size_t col, const unsigned char **p,
    size_t *n)
{
	const struct jnode	*v = cell(r, col);
	unsigned char		*b;
	size_t			 i, len;
	int			 hi, lo;

	*p = NULL;
	*n = 0;
	if (v == NULL)
		return (CQLP_ERR_INVALID);
	if (v->type == J_NULL)
		return (CQLP_ERR_NULL);
	if (v->type != J_STRING || v->slen < 2 || v->str[0] != '0' ||
	    (v->str[1] != 'x' && v->str[1] != 'X') || v->slen % 2 != 0)
		return (CQLP_ERR_TYPE);
	len = (v->slen - 2) / 2;
	if ((b = malloc(len + 1)) == NULL)
		return (CQLP_ERR_NOMEM);
	for (i = 0; i < len; i++) {
		hi = hexval(v->str[2 + 2 * i]);
		lo = hexval(v->str[3 + 2 * i]);
		if (hi < 0 || lo < 0) {
			free(b);
			return (CQLP_ERR_TYPE);
		}
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	b[len] = 0;
	if (own(r, (char *)b) == NULL)
		return (CQLP_ERR_NOMEM);
	*p = b;
	*n = len;
	return (CQLP_OK);
}

uint64_t
cqlp_result_id(const struct cqlp_result *r)
{
	return (r->id);
}

void *
cqlp_result_udata(const struct cqlp_result *r)
{
	return (r->udata);
}
