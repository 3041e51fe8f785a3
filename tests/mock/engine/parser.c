/*
 * parser.c: CQL statements to trees, by recursive descent over the lexer's
 * tokens. Only syntax is checked here (SyntaxError, with ANTLR-like
 * messages); names and types are checked when the statement is bound to
 * the schema.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "engine.h"

struct parser {
	const char	*src;
	struct tokens	 toks;
	size_t		 pos;
	struct arena	*a;
	struct stmt	*root;		/* owns the bind markers */
	int		 depth;
	char		*err;
	jmp_buf		 jb;
};

/* Cassandra's reserved keywords: never identifiers unless quoted. */
static const char *reserved[] = {
	"add", "allow", "alter", "and", "apply", "asc", "authorize", "batch",
	"begin", "by", "columnfamily", "create", "delete", "desc", "describe",
	"drop", "entries", "execute", "from", "full", "grant", "if", "in",
	"index", "insert", "into", "is", "keyspace", "limit", "materialized",
	"mbean", "mbeans", "modify", "norecursive", "not", "null", "of", "on",
	"or", "order", "primary", "rename", "replace", "revoke", "schema",
	"select", "set", "table", "to", "token", "truncate", "unlogged",
	"update", "use", "using", "view", "where", "with"
};

static struct term *parse_term(struct parser *);

static int
position_of(struct parser *p, size_t off, int *col)
{
	int	 line = 1;
	size_t	 i;

	*col = 0;
	for (i = 0; i < off && p->src[i] != '\0'; i++) {
		if (p->src[i] == '\n') {
			line++;
			*col = 0;
		} else
			(*col)++;
	}
	return (line);
}

/* Abort the parse: every failure unwinds to parse_statement(). */
static __dead void printflike(2, 3)
parse_fail(struct parser *p, const char *fmt, ...)
{
	struct token	*t = &p->toks.v[p->pos];
	char		*msg;
	int		 line, col;
	va_list		 ap;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	line = position_of(p, t->off, &col);
	xasprintf(&p->err, "line %d:%d %s", line, col, msg);
	free(msg);
	longjmp(p->jb, 1);
}

static __dead void
parse_unexpected(struct parser *p, const char *expecting)
{
	struct token	*t = &p->toks.v[p->pos];
	const char	*shown = t->type == TK_EOF ? "<EOF>" : NULL;
	char		 buf[128];

	if (shown == NULL) {
		snprintf(buf, sizeof buf, "%.*s", (int)(t->len > 100 ? 100 :
		    t->len), p->src + t->off);
		shown = buf;
	}
	if (expecting != NULL)
		parse_fail(p, "mismatched input '%s' expecting %s", shown,
		    expecting);
	parse_fail(p, "no viable alternative at input '%s'", shown);
}

static struct token *
peek(struct parser *p)
{
	return (&p->toks.v[p->pos]);
}

static struct token *
peek_at(struct parser *p, size_t k)
{
	if (p->pos + k >= p->toks.n)
		return (&p->toks.v[p->toks.n - 1]);
	return (&p->toks.v[p->pos + k]);
}

static struct token *
next(struct parser *p)
{
	struct token	*t = &p->toks.v[p->pos];

	if (t->type != TK_EOF)
		p->pos++;
	return (t);
}

static int
tok_is_kw(struct token *t, const char *kw)
{
	return (t->type == TK_IDENT && strcmp(t->text, kw) == 0);
}

static int
tok_is_punct(struct token *t, const char *s)
{
	return (t->type == TK_PUNCT && strcmp(t->text, s) == 0);
}

static int
accept_kw(struct parser *p, const char *kw)
{
	if (tok_is_kw(peek(p), kw)) {
		next(p);
		return (1);
	}
	return (0);
}

static void
expect_kw(struct parser *p, const char *kw)
{
	char	up[32];
	size_t	i;

	if (accept_kw(p, kw))
		return;
	for (i = 0; kw[i] != '\0' && i < sizeof up - 1; i++)
		up[i] = kw[i] >= 'a' && kw[i] <= 'z' ? kw[i] - 32 : kw[i];
	up[i] = '\0';
	{
		char	exp[40];

		snprintf(exp, sizeof exp, "K_%s", up);
		parse_unexpected(p, exp);
	}
}

static int
accept_punct(struct parser *p, const char *s)
{
	if (tok_is_punct(peek(p), s)) {
		next(p);
		return (1);
	}
	return (0);
}

static void
expect_punct(struct parser *p, const char *s)
{
	char	exp[8];

	if (accept_punct(p, s))
		return;
	snprintf(exp, sizeof exp, "'%s'", s);
	parse_unexpected(p, exp);
}

static int
is_reserved(const char *s)
{
	size_t	i;

	for (i = 0; i < nitems(reserved); i++) {
		if (strcmp(reserved[i], s) == 0)
			return (1);
	}
	return (0);
}

static int
tok_is_ident(struct token *t)
{
	return (t->type == TK_QIDENT ||
	    (t->type == TK_IDENT && !is_reserved(t->text)));
}

static char *
parse_ident(struct parser *p)
{
	if (!tok_is_ident(peek(p)))
		parse_unexpected(p, NULL);
	return (next(p)->text);
}

/* [ks.]name */
static void
parse_qname(struct parser *p, char **ks, char **name)
{
	char	*first;

	first = parse_ident(p);
	if (accept_punct(p, ".")) {
		*ks = first;
		*name = parse_ident(p);
	} else {
		*ks = NULL;
		*name = first;
	}
}

static void
depth_enter(struct parser *p)
{
	if (++p->depth > ENGINE_MAX_DEPTH)
		parse_fail(p, "statement nested too deeply");
}

static struct term *
term_new(struct parser *p, enum term_kind kind)
{
	struct term	*t;

	t = arena_alloc(p->a, sizeof *t);
	t->kind = kind;
	t->off = peek(p)->off;
	return (t);
}

static void
term_add(struct parser *p, struct term *t, struct term *a, struct term *b)
{
	size_t	n = t->n;

	t->a = arena_push(p->a, t->a, &n, sizeof *t->a);
	t->a[n - 1] = a;
	if (b != NULL || t->kind == TERM_MAP || t->kind == TERM_UDT) {
		n = t->n;
		t->b = arena_push(p->a, t->b, &n, sizeof *t->b);
		t->b[n - 1] = b;
	}
	t->n++;
}

static struct term *
parse_marker(struct parser *p)
{
	struct term	*t;
	struct stmt	*r = p->root;

	t = term_new(p, TERM_BIND);
	if (accept_punct(p, "?"))
		;
	else {
		expect_punct(p, ":");
		t->text = parse_ident(p);
	}
	if (r->nbinds >= 65535)
		parse_fail(p, "too many bind markers");
	r->binds = arena_push(p->a, r->binds, &r->nbinds, sizeof *r->binds);
	r->binds[r->nbinds - 1].name = t->text;
	t->bind = r->nbinds - 1;
	return (t);
}

static int
at_marker(struct parser *p)
{
	return (tok_is_punct(peek(p), "?") || (tok_is_punct(peek(p), ":") &&
	    tok_is_ident(peek_at(p, 1))));
}

static char *
cat(struct parser *p, const char *a, const char *b, const char *c)
{
	char	*s;
	size_t	 la = strlen(a), lb = strlen(b), lc = strlen(c);

	s = arena_alloc(p->a, la + lb + lc + 1);
	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc);
	return (s);
}

/* A CQL type, kept as text for cqltype_parse() (quoted names stay quoted). */
static char *
parse_type(struct parser *p)
{
	struct token	*t = peek(p);
	char		*out;

	depth_enter(p);
	if (t->type == TK_STRING)
		out = cat(p, "'", next(p)->text, "'");
	else if (t->type == TK_QIDENT)
		out = cat(p, "\"", next(p)->text, "\"");
	else if (t->type == TK_IDENT)
		out = next(p)->text;
	else
		parse_unexpected(p, NULL);
	if (t->type != TK_STRING && accept_punct(p, ".")) {
		t = peek(p);
		if (t->type == TK_QIDENT)
			out = cat(p, out, ".\"", cat(p, next(p)->text, "\"",
			    ""));
		else
			out = cat(p, out, ".", parse_ident(p));
	}
	if (t->type != TK_STRING && accept_punct(p, "<")) {
		out = cat(p, out, "<", "");
		do {
			if (peek(p)->type == TK_INTEGER)
				out = cat(p, out, next(p)->text, "");
			else
				out = cat(p, out, parse_type(p), "");
			if (!tok_is_punct(peek(p), ","))
				break;
			next(p);
			out = cat(p, out, ", ", "");
		} while (1);
		expect_punct(p, ">");
		out = cat(p, out, ">", "");
	}
	p->depth--;
	return (out);
}

static struct term *
parse_constant(struct parser *p, int neg)
{
	struct token	*t = peek(p);
	struct term	*c;

	c = term_new(p, TERM_CONST);
	switch (t->type) {
	case TK_STRING:
		c->ck = CONST_STRING;
		break;
	case TK_INTEGER:
		c->ck = CONST_INTEGER;
		break;
	case TK_FLOAT:
		c->ck = CONST_FLOAT;
		break;
	case TK_HEX:
		c->ck = CONST_HEX;
		break;
	case TK_UUID:
		c->ck = CONST_UUID;
		break;
	case TK_DURATION:
		c->ck = CONST_DURATION;
		break;
	case TK_IDENT:
		if (strcmp(t->text, "true") == 0 ||
		    strcmp(t->text, "false") == 0) {
			c->ck = CONST_BOOLEAN;
			break;
		}
		/* FALLTHROUGH */
	default:
		parse_unexpected(p, NULL);
	}
	next(p);
	c->len = t->tlen;
	if (neg) {
		if (c->ck != CONST_INTEGER && c->ck != CONST_FLOAT &&
		    c->ck != CONST_DURATION)
			parse_unexpected(p, NULL);
		c->text = arena_alloc(p->a, strlen(t->text) + 2);
		c->text[0] = '-';
		strcpy(c->text + 1, t->text);
	} else
		c->text = t->text;
	return (c);
}

/* { ... }: set, map, UDT literal or empty braces. */
static struct term *
parse_braces(struct parser *p)
{
	struct term	*t, *k;
	struct token	*tk;

	t = term_new(p, TERM_SET);
	expect_punct(p, "{");
	if (accept_punct(p, "}")) {
		t->kind = TERM_EMPTY_BRACES;
		return (t);
	}
	tk = peek(p);
	if (tok_is_ident(tk) && tok_is_punct(peek_at(p, 1), ":") &&
	    !(tk->type == TK_IDENT && (strcmp(tk->text, "true") == 0 ||
	    strcmp(tk->text, "false") == 0))) {
		t->kind = TERM_UDT;
		do {
			size_t	n = t->n;

			t->names = arena_push(p->a, t->names, &n,
			    sizeof *t->names);
			t->names[n - 1] = parse_ident(p);
			expect_punct(p, ":");
			term_add(p, t, parse_term(p), NULL);
		} while (accept_punct(p, ","));
		expect_punct(p, "}");
		return (t);
	}
	k = parse_term(p);
	if (accept_punct(p, ":")) {
		t->kind = TERM_MAP;
		term_add(p, t, k, parse_term(p));
		while (accept_punct(p, ",")) {
			k = parse_term(p);
			expect_punct(p, ":");
			term_add(p, t, k, parse_term(p));
		}
	} else {
		term_add(p, t, k, NULL);
		while (accept_punct(p, ","))
			term_add(p, t, parse_term(p), NULL);
	}
	expect_punct(p, "}");
	return (t);
}

static int
looks_like_type_cast(struct parser *p)
{
	struct token	*a = peek_at(p, 1), *b = peek_at(p, 2);

	return (tok_is_punct(peek(p), "(") && a->type == TK_IDENT &&
	    (tok_is_punct(b, ")") || tok_is_punct(b, "<")) &&
	    (tok_is_punct(b, "<") || peek_at(p, 3)->type != TK_EOF));
}

static struct term *
parse_term(struct parser *p)
{
	struct term	*t;
	struct token	*tk;

	depth_enter(p);
	tk = peek(p);
	if (at_marker(p))
		t = parse_marker(p);
	else if (tok_is_kw(tk, "null")) {
		t = term_new(p, TERM_NULL);
		next(p);
	} else if (tok_is_punct(tk, "[")) {
		t = term_new(p, TERM_LIST);
		next(p);
		if (!accept_punct(p, "]")) {
			do
				term_add(p, t, parse_term(p), NULL);
			while (accept_punct(p, ","));
			expect_punct(p, "]");
		}
	} else if (tok_is_punct(tk, "{"))
		t = parse_braces(p);
	else if (tok_is_punct(tk, "(")) {
		if (looks_like_type_cast(p) &&
		    !tok_is_punct(peek_at(p, 3), ",")) {
			t = term_new(p, TERM_CAST);
			next(p);
			t->text = parse_type(p);
			expect_punct(p, ")");
			term_add(p, t, parse_term(p), NULL);
		} else {
			t = term_new(p, TERM_TUPLE);
			next(p);
			do
				term_add(p, t, parse_term(p), NULL);
			while (accept_punct(p, ","));
			expect_punct(p, ")");
		}
	} else if (tok_is_punct(tk, "-")) {
		next(p);
		t = parse_constant(p, 1);
	} else if ((tk->type == TK_IDENT || tk->type == TK_QIDENT) &&
	    tok_is_punct(peek_at(p, 1), "(") && !tok_is_kw(tk, "true") &&
	    !tok_is_kw(tk, "false")) {
		t = term_new(p, TERM_FUNC);
		t->text = next(p)->text;
		next(p);
		if (!accept_punct(p, ")")) {
			do
				term_add(p, t, parse_term(p), NULL);
			while (accept_punct(p, ","));
			expect_punct(p, ")");
		}
	} else
		t = parse_constant(p, 0);
	p->depth--;
	return (t);
}

static void
parse_string_list(struct parser *p, char ***v, size_t *n)
{
	do {
		*v = arena_push(p->a, *v, n, sizeof **v);
		(*v)[*n - 1] = parse_ident(p);
	} while (accept_punct(p, ","));
}

static struct selector *
parse_selector(struct parser *p)
{
	struct selector	*s;
	struct token	*tk = peek(p);
	char		*name;

	depth_enter(p);
	s = arena_alloc(p->a, sizeof *s);
	if ((tk->type == TK_IDENT || tk->type == TK_QIDENT) &&
	    tok_is_punct(peek_at(p, 1), "(")) {
		name = next(p)->text;
		next(p);
		s->fname = name;
		if (tk->type == TK_IDENT && strcmp(name, "count") == 0) {
			s->kind = SEL_COUNT;
			if (accept_punct(p, "*"))
				;
			else if (peek(p)->type == TK_INTEGER &&
			    strcmp(peek(p)->text, "1") == 0)
				next(p);
			else
				s->col = parse_ident(p);
			expect_punct(p, ")");
			goto alias;
		}
		if (tk->type == TK_IDENT && strcmp(name, "cast") == 0) {
			s->kind = SEL_FUNC;
			s->args = arena_alloc(p->a, sizeof *s->args);
			s->args[0] = parse_selector(p);
			s->nargs = 1;
			expect_kw(p, "as");
			s->fname = arena_strdup(p->a, "cast");
			s->col = parse_type(p);
			expect_punct(p, ")");
			goto alias;
		}
		if (tk->type == TK_IDENT && (strcmp(name, "writetime") == 0 ||
		    strcmp(name, "ttl") == 0)) {
			s->kind = name[0] == 'w' ? SEL_WRITETIME : SEL_TTL;
			s->col = parse_ident(p);
			expect_punct(p, ")");
			goto alias;
		}
		if (tk->type == TK_IDENT && strcmp(name, "token") == 0)
			s->kind = SEL_TOKEN;
		else if (tk->type == TK_IDENT && (strcmp(name, "min") == 0 ||
		    strcmp(name, "max") == 0 || strcmp(name, "sum") == 0 ||
		    strcmp(name, "avg") == 0))
			s->kind = SEL_AGG;
		else
			s->kind = SEL_FUNC;
		if (!accept_punct(p, ")")) {
			do {
				s->args = arena_push(p->a, s->args, &s->nargs,
				    sizeof *s->args);
				s->args[s->nargs - 1] = parse_selector(p);
			} while (accept_punct(p, ","));
			expect_punct(p, ")");
		}
		if (s->kind == SEL_TOKEN || s->kind == SEL_AGG) {
			size_t	i;

			for (i = 0; i < s->nargs; i++) {
				if (s->args[i]->kind != SEL_COLUMN)
					parse_fail(p, "%s accepts only columns",
					    name);
			}
			if (s->kind == SEL_AGG) {
				if (s->nargs != 1)
					parse_fail(p, "Invalid number of "
					    "arguments in call to function %s",
					    name);
				s->col = s->args[0]->col;
			}
		}
		goto alias;
	}
	if (tok_is_ident(tk)) {
		s->kind = SEL_COLUMN;
		s->col = next(p)->text;
	} else {
		s->kind = SEL_TERM;
		s->term = parse_term(p);
	}
alias:
	if (accept_kw(p, "as"))
		s->alias = parse_ident(p);
	p->depth--;
	return (s);
}

static enum rel_op
parse_op(struct parser *p)
{
	static const struct {
		const char	*s;
		enum rel_op	 op;
	} ops[] = {
		{ "=", OP_EQ }, { "<", OP_LT }, { "<=", OP_LE }, { ">", OP_GT },
		{ ">=", OP_GE }, { "!=", OP_NE }
	};
	size_t	i;

	for (i = 0; i < nitems(ops); i++) {
		if (accept_punct(p, ops[i].s))
			return (ops[i].op);
	}
	parse_unexpected(p, NULL);
}

/* IN (..) | IN ?: a list term with in_list, or a marker. */
static void
parse_in_values(struct parser *p, struct relation *r)
{
	r->op = OP_IN;
	if (at_marker(p)) {
		r->rhs = parse_marker(p);
		return;
	}
	r->in_list = 1;
	r->rhs = term_new(p, TERM_LIST);
	expect_punct(p, "(");
	if (accept_punct(p, ")"))
		return;
	do {
		if (r->rhs->n >= ENGINE_MAX_IN)
			parse_fail(p, "too many values in IN");
		term_add(p, r->rhs, parse_term(p), NULL);
	} while (accept_punct(p, ","));
	expect_punct(p, ")");
}

static struct relation *
parse_relation(struct parser *p, int condition)
{
	struct relation	*r;

	r = arena_alloc(p->a, sizeof *r);
	if (!condition && tok_is_kw(peek(p), "token") &&
	    tok_is_punct(peek_at(p, 1), "(")) {
		next(p);
		next(p);
		r->lhs = LHS_TOKEN;
		parse_string_list(p, &r->cols, &r->ncols);
		expect_punct(p, ")");
		r->op = parse_op(p);
		r->rhs = parse_term(p);
		return (r);
	}
	if (!condition && accept_punct(p, "(")) {
		r->lhs = LHS_TUPLE;
		parse_string_list(p, &r->cols, &r->ncols);
		expect_punct(p, ")");
		if (accept_kw(p, "in"))
			parse_in_values(p, r);
		else {
			r->op = parse_op(p);
			r->rhs = parse_term(p);
		}
		return (r);
	}
	r->lhs = LHS_COLUMN;
	r->cols = arena_alloc(p->a, sizeof *r->cols);
	r->cols[0] = parse_ident(p);
	r->ncols = 1;
	if (accept_punct(p, "[")) {
		r->lhs = LHS_ELEMENT;
		r->elem = parse_term(p);
		expect_punct(p, "]");
	}
	if (accept_kw(p, "in"))
		parse_in_values(p, r);
	else if (r->lhs == LHS_COLUMN && accept_kw(p, "contains")) {
		r->op = accept_kw(p, "key") ? OP_CONTAINS_KEY : OP_CONTAINS;
		r->rhs = parse_term(p);
	} else if (r->lhs == LHS_COLUMN && accept_kw(p, "like")) {
		r->op = OP_LIKE;
		r->rhs = parse_term(p);
	} else if (r->lhs == LHS_COLUMN && accept_kw(p, "is")) {
		expect_kw(p, "not");
		expect_kw(p, "null");
		r->op = OP_IS_NOT_NULL;
	} else {
		r->op = parse_op(p);
		r->rhs = parse_term(p);
	}
	return (r);
}

static void
parse_where(struct parser *p, struct relation ***v, size_t *n)
{
	do {
		*v = arena_push(p->a, *v, n, sizeof **v);
		(*v)[*n - 1] = parse_relation(p, 0);
	} while (accept_kw(p, "and"));
}

/* IF EXISTS | IF NOT EXISTS (insert) | IF cond AND cond */
static void
parse_if(struct parser *p, struct stmt *s, int insert)
{
	if (!accept_kw(p, "if"))
		return;
	if (insert) {
		expect_kw(p, "not");
		expect_kw(p, "exists");
		s->if_not_exists = 1;
		return;
	}
	if (accept_kw(p, "exists")) {
		s->if_exists = 1;
		return;
	}
	do {
		s->conds = arena_push(p->a, s->conds, &s->nconds,
		    sizeof *s->conds);
		s->conds[s->nconds - 1] = parse_relation(p, 1);
	} while (accept_kw(p, "and"));
}

static void
parse_using(struct parser *p, struct stmt *s, int ttl_ok)
{
	if (!accept_kw(p, "using"))
		return;
	do {
		if (ttl_ok && accept_kw(p, "ttl"))
			s->ttl = parse_term(p);
		else if (accept_kw(p, "timestamp"))
			s->timestamp = parse_term(p);
		else
			parse_unexpected(p, NULL);
	} while (accept_kw(p, "and"));
}

static struct stmt *
stmt_new(struct parser *p, enum stmt_kind kind)
{
	struct stmt	*s;

	s = arena_alloc(p->a, sizeof *s);
	s->kind = kind;
	s->arena = p->a;
	if (p->root == NULL)
		p->root = s;
	else
		s->parent = p->root;
	return (s);
}

static struct stmt *
parse_select(struct parser *p)
{
	struct stmt	*s;
	struct token	*a;

	s = stmt_new(p, STMT_SELECT);
	expect_kw(p, "select");
	a = peek_at(p, 1);
	if (tok_is_kw(peek(p), "json") && !tok_is_kw(a, "from") &&
	    !tok_is_kw(a, "as") && !tok_is_punct(a, ",")) {
		next(p);
		s->json = 1;
	}
	a = peek_at(p, 1);
	if (tok_is_kw(peek(p), "distinct") && !tok_is_kw(a, "from") &&
	    !tok_is_kw(a, "as") && !tok_is_punct(a, ",")) {
		next(p);
		s->distinct = 1;
	}
	if (accept_punct(p, "*"))
		s->star = 1;
	else {
		do {
			s->sels = arena_push(p->a, s->sels, &s->nsels,
			    sizeof *s->sels);
			s->sels[s->nsels - 1] = parse_selector(p);
		} while (accept_punct(p, ","));
	}
	expect_kw(p, "from");
	parse_qname(p, &s->ks, &s->name);
	if (accept_kw(p, "where"))
		parse_where(p, &s->where, &s->nwhere);
	if (accept_kw(p, "group"))
		parse_fail(p, "GROUP BY is not supported by cqlmock");
	if (accept_kw(p, "order")) {
		expect_kw(p, "by");
		do {
			size_t	n = s->norder;

			s->order_cols = arena_push(p->a, s->order_cols,
			    &s->norder, sizeof *s->order_cols);
			s->order_desc = arena_push(p->a, s->order_desc, &n,
			    sizeof *s->order_desc);
			s->order_cols[n - 1] = parse_ident(p);
			if (accept_kw(p, "desc"))
				s->order_desc[n - 1] = 1;
			else
				(void)accept_kw(p, "asc");
		} while (accept_punct(p, ","));
	}
	if (accept_kw(p, "per")) {
		expect_kw(p, "partition");
		expect_kw(p, "limit");
		s->pplimit = parse_term(p);
	}
	if (accept_kw(p, "limit"))
		s->limit = parse_term(p);
	if (accept_kw(p, "allow")) {
		expect_kw(p, "filtering");
		s->allow_filtering = 1;
	}
	return (s);
}

static struct stmt *
parse_insert(struct parser *p)
{
	struct stmt	*s;
	size_t		 nvals = 0;

	s = stmt_new(p, STMT_INSERT);
	expect_kw(p, "insert");
	expect_kw(p, "into");
	parse_qname(p, &s->ks, &s->name);
	if (accept_kw(p, "json")) {
		s->insert_json = 1;
		s->vals = arena_alloc(p->a, sizeof *s->vals);
		s->vals[0] = parse_term(p);
		if (accept_kw(p, "default")) {
			if (accept_kw(p, "unset"))
				s->json_default_unset = 1;
			else
				expect_kw(p, "null");
		}
	} else {
		expect_punct(p, "(");
		parse_string_list(p, &s->cols, &s->ncols);
		expect_punct(p, ")");
		expect_kw(p, "values");
		expect_punct(p, "(");
		do {
			s->vals = arena_push(p->a, s->vals, &nvals,
			    sizeof *s->vals);
			s->vals[nvals - 1] = parse_term(p);
		} while (accept_punct(p, ","));
		expect_punct(p, ")");
		if (nvals != s->ncols)
			parse_fail(p, "Unmatched column names/values");
	}
	parse_if(p, s, 1);
	parse_using(p, s, 1);
	return (s);
}

static struct assign *
parse_assign(struct parser *p)
{
	struct assign	*as;
	struct token	*t;

	as = arena_alloc(p->a, sizeof *as);
	as->col = parse_ident(p);
	if (accept_punct(p, "[")) {
		as->kind = ASSIGN_ELEMENT;
		as->key = parse_term(p);
		expect_punct(p, "]");
		expect_punct(p, "=");
		as->val = parse_term(p);
		return (as);
	}
	if (accept_punct(p, ".")) {
		as->kind = ASSIGN_FIELD;
		as->field = parse_ident(p);
		expect_punct(p, "=");
		as->val = parse_term(p);
		return (as);
	}
	if (accept_punct(p, "+=") || (tok_is_punct(peek(p), "-=") && 0)) {
		as->kind = ASSIGN_ADD;
		as->val = parse_term(p);
		return (as);
	}
	if (accept_punct(p, "-=")) {
		as->kind = ASSIGN_SUB;
		as->val = parse_term(p);
		return (as);
	}
	expect_punct(p, "=");
	t = peek(p);
	if (tok_is_ident(t) && strcmp(t->text, as->col) == 0 &&
	    !tok_is_punct(peek_at(p, 1), "(")) {
		next(p);
		t = peek(p);
		if (accept_punct(p, "+"))
			as->kind = ASSIGN_ADD;
		else if (accept_punct(p, "-"))
			as->kind = ASSIGN_SUB;
		else if (t->type == TK_INTEGER && t->text[0] == '-') {
			/* "c = c -1": the lexer made "-1" a number */
			as->kind = ASSIGN_SUB;
			next(p);
			as->val = term_new(p, TERM_CONST);
			as->val->ck = CONST_INTEGER;
			as->val->text = t->text + 1;
			return (as);
		} else
			parse_unexpected(p, NULL);
		as->val = parse_term(p);
		return (as);
	}
	as->val = parse_term(p);
	if (accept_punct(p, "+")) {
		t = peek(p);
		if (!tok_is_ident(t) || strcmp(t->text, as->col) != 0)
			parse_fail(p, "Invalid operation (%s = ... + %s) for "
			    "non list column %s", as->col, t->text, as->col);
		next(p);
		as->kind = ASSIGN_PREPEND;
		return (as);
	}
	as->kind = ASSIGN_SET;
	return (as);
}

static struct stmt *
parse_update(struct parser *p)
{
	struct stmt	*s;

	s = stmt_new(p, STMT_UPDATE);
	expect_kw(p, "update");
	parse_qname(p, &s->ks, &s->name);
	parse_using(p, s, 1);
	expect_kw(p, "set");
	do {
		s->assigns = arena_push(p->a, s->assigns, &s->nassigns,
		    sizeof *s->assigns);
		s->assigns[s->nassigns - 1] = parse_assign(p);
	} while (accept_punct(p, ","));
	expect_kw(p, "where");
	parse_where(p, &s->where, &s->nwhere);
	parse_if(p, s, 0);
	return (s);
}

static struct stmt *
parse_delete(struct parser *p)
{
	struct stmt	*s;
	struct deletion	*d;

	s = stmt_new(p, STMT_DELETE);
	expect_kw(p, "delete");
	if (!tok_is_kw(peek(p), "from")) {
		do {
			s->dels = arena_push(p->a, s->dels, &s->ndels,
			    sizeof *s->dels);
			d = &s->dels[s->ndels - 1];
			d->col = parse_ident(p);
			if (accept_punct(p, "[")) {
				d->elem = parse_term(p);
				expect_punct(p, "]");
			} else if (accept_punct(p, "."))
				d->field = parse_ident(p);
		} while (accept_punct(p, ","));
	}
	expect_kw(p, "from");
	parse_qname(p, &s->ks, &s->name);
	parse_using(p, s, 0);
	expect_kw(p, "where");
	parse_where(p, &s->where, &s->nwhere);
	parse_if(p, s, 0);
	return (s);
}

static struct stmt *
parse_batch(struct parser *p)
{
	struct stmt	*s, *sub;
	struct token	*t;

	s = stmt_new(p, STMT_BATCH);
	expect_kw(p, "begin");
	if (accept_kw(p, "unlogged"))
		s->batch_type = DB_BATCH_UNLOGGED;
	else if (accept_kw(p, "counter"))
		s->batch_type = DB_BATCH_COUNTER;
	else
		s->batch_type = DB_BATCH_LOGGED;
	expect_kw(p, "batch");
	parse_using(p, s, 0);
	for (;;) {
		t = peek(p);
		if (tok_is_kw(t, "apply"))
			break;
		if (tok_is_kw(t, "insert"))
			sub = parse_insert(p);
		else if (tok_is_kw(t, "update"))
			sub = parse_update(p);
		else if (tok_is_kw(t, "delete"))
			sub = parse_delete(p);
		else
			parse_unexpected(p, "K_APPLY");
		if (s->nstmts >= DB_MAX_BATCH)
			parse_fail(p, "too many statements in batch");
		s->stmts = arena_push(p->a, s->stmts, &s->nstmts,
		    sizeof *s->stmts);
		s->stmts[s->nstmts - 1] = sub;
		while (accept_punct(p, ";"))
			;
	}
	expect_kw(p, "apply");
	expect_kw(p, "batch");
	return (s);
}

static void
parse_if_not_exists(struct parser *p, struct stmt *s)
{
	if (accept_kw(p, "if")) {
		expect_kw(p, "not");
		expect_kw(p, "exists");
		s->if_not_exists = 1;
	}
}

static void
parse_if_exists(struct parser *p, struct stmt *s)
{
	if (accept_kw(p, "if")) {
		expect_kw(p, "exists");
		s->if_exists = 1;
	}
}

/* WITH a = x AND b = {..} AND CLUSTERING ORDER BY (..) AND COMPACT STORAGE */
static void
parse_props(struct parser *p, struct stmt *s, int table)
{
	struct prop	*pr;
	struct token	*t;

	do {
		if (table && accept_kw(p, "clustering")) {
			expect_kw(p, "order");
			expect_kw(p, "by");
			expect_punct(p, "(");
			do {
				size_t	n = s->ncorder;

				s->corder_cols = arena_push(p->a,
				    s->corder_cols, &s->ncorder,
				    sizeof *s->corder_cols);
				s->corder_desc = arena_push(p->a,
				    s->corder_desc, &n, sizeof *s->corder_desc);
				s->corder_cols[n - 1] = parse_ident(p);
				if (accept_kw(p, "desc"))
					s->corder_desc[n - 1] = 1;
				else
					(void)accept_kw(p, "asc");
			} while (accept_punct(p, ","));
			expect_punct(p, ")");
			continue;
		}
		if (table && accept_kw(p, "compact")) {
			expect_kw(p, "storage");
			s->compact_storage = 1;
			continue;
		}
		s->props = arena_push(p->a, s->props, &s->nprops,
		    sizeof *s->props);
		pr = &s->props[s->nprops - 1];
		pr->name = parse_ident(p);
		expect_punct(p, "=");
		t = peek(p);
		if (tok_is_punct(t, "{"))
			pr->val = parse_braces(p);
		else if (t->type == TK_IDENT && !tok_is_kw(t, "true") &&
		    !tok_is_kw(t, "false")) {
			pr->val = term_new(p, TERM_CONST);
			pr->val->ck = CONST_STRING;
			pr->val->text = next(p)->text;
		} else
			pr->val = parse_term(p);
	} while (accept_kw(p, "and"));
}

static void
parse_pk_def(struct parser *p, struct stmt *s)
{
	expect_punct(p, "(");
	if (accept_punct(p, "(")) {
		parse_string_list(p, &s->pk, &s->npk);
		expect_punct(p, ")");
	} else {
		s->pk = arena_alloc(p->a, sizeof *s->pk);
		s->pk[0] = parse_ident(p);
		s->npk = 1;
	}
	while (accept_punct(p, ","))
		parse_string_list(p, &s->ck, &s->nck);
	expect_punct(p, ")");
}

static void
parse_coldef(struct parser *p, struct stmt *s, int allow_pk)
{
	struct coldef	*d;

	s->defs = arena_push(p->a, s->defs, &s->ndefs, sizeof *s->defs);
	d = &s->defs[s->ndefs - 1];
	d->name = parse_ident(p);
	d->type = parse_type(p);
	if (accept_kw(p, "static"))
		d->is_static = 1;
	if (allow_pk && accept_kw(p, "primary")) {
		expect_kw(p, "key");
		d->pk = 1;
	}
}

static struct stmt *
parse_create(struct parser *p)
{
	struct stmt	*s;

	expect_kw(p, "create");
	if (accept_kw(p, "keyspace") || accept_kw(p, "schema")) {
		s = stmt_new(p, STMT_CREATE_KEYSPACE);
		parse_if_not_exists(p, s);
		s->name = parse_ident(p);
		expect_kw(p, "with");
		parse_props(p, s, 0);
		return (s);
	}
	if (accept_kw(p, "table") || accept_kw(p, "columnfamily")) {
		s = stmt_new(p, STMT_CREATE_TABLE);
		parse_if_not_exists(p, s);
		parse_qname(p, &s->ks, &s->name);
		expect_punct(p, "(");
		do {
			if (accept_kw(p, "primary")) {
				expect_kw(p, "key");
				if (s->npk != 0)
					parse_fail(p, "Multiple PRIMARY KEYs "
					    "specified (exactly one required)");
				parse_pk_def(p, s);
			} else
				parse_coldef(p, s, 1);
		} while (accept_punct(p, ",") && !tok_is_punct(peek(p), ")"));
		expect_punct(p, ")");
		if (accept_kw(p, "with"))
			parse_props(p, s, 1);
		return (s);
	}
	if (accept_kw(p, "type")) {
		s = stmt_new(p, STMT_CREATE_TYPE);
		parse_if_not_exists(p, s);
		parse_qname(p, &s->ks, &s->name);
		expect_punct(p, "(");
		do
			parse_coldef(p, s, 0);
		while (accept_punct(p, ","));
		expect_punct(p, ")");
		return (s);
	}
	s = stmt_new(p, STMT_CREATE_INDEX);
	if (accept_kw(p, "custom"))
		s->idx_class = "";
	expect_kw(p, "index");
	parse_if_not_exists(p, s);
	if (!tok_is_kw(peek(p), "on"))
		s->name = parse_ident(p);
	expect_kw(p, "on");
	parse_qname(p, &s->ks, &s->idx_table);
	expect_punct(p, "(");
	if ((tok_is_kw(peek(p), "keys") || tok_is_kw(peek(p), "values") ||
	    tok_is_kw(peek(p), "entries") || tok_is_kw(peek(p), "full")) &&
	    tok_is_punct(peek_at(p, 1), "(")) {
		s->idx_target = next(p)->text;
		next(p);
		s->idx_col = parse_ident(p);
		expect_punct(p, ")");
	} else
		s->idx_col = parse_ident(p);
	expect_punct(p, ")");
	if (accept_kw(p, "using")) {
		if (peek(p)->type != TK_STRING)
			parse_unexpected(p, "STRING_LITERAL");
		s->idx_class = next(p)->text;
		if (accept_kw(p, "with"))
			parse_props(p, s, 0);
	}
	return (s);
}

static struct stmt *
parse_alter(struct parser *p)
{
	struct stmt	*s;

	expect_kw(p, "alter");
	if (accept_kw(p, "keyspace") || accept_kw(p, "schema")) {
		s = stmt_new(p, STMT_ALTER_KEYSPACE);
		s->name = parse_ident(p);
		expect_kw(p, "with");
		parse_props(p, s, 0);
		return (s);
	}
	if (!accept_kw(p, "columnfamily"))
		expect_kw(p, "table");
	s = stmt_new(p, STMT_ALTER_TABLE);
	parse_qname(p, &s->ks, &s->name);
	if (accept_kw(p, "add")) {
		s->alter = ALTER_ADD;
		if (accept_punct(p, "(")) {
			do
				parse_coldef(p, s, 0);
			while (accept_punct(p, ","));
			expect_punct(p, ")");
		} else
			parse_coldef(p, s, 0);
	} else if (accept_kw(p, "drop")) {
		s->alter = ALTER_DROP;
		if (accept_punct(p, "(")) {
			parse_string_list(p, &s->cols, &s->ncols);
			expect_punct(p, ")");
		} else {
			s->cols = arena_alloc(p->a, sizeof *s->cols);
			s->cols[0] = parse_ident(p);
			s->ncols = 1;
		}
	} else if (accept_kw(p, "with")) {
		s->alter = ALTER_WITH;
		parse_props(p, s, 1);
	} else if (accept_kw(p, "rename")) {
		s->alter = ALTER_RENAME;
		s->cols = arena_alloc(p->a, sizeof *s->cols);
		s->cols[0] = parse_ident(p);
		s->ncols = 1;
		expect_kw(p, "to");
		s->rename_to = parse_ident(p);
	} else
		parse_unexpected(p, NULL);
	return (s);
}

static struct stmt *
parse_drop(struct parser *p)
{
	struct stmt	*s;

	expect_kw(p, "drop");
	if (accept_kw(p, "keyspace") || accept_kw(p, "schema")) {
		s = stmt_new(p, STMT_DROP_KEYSPACE);
		parse_if_exists(p, s);
		s->name = parse_ident(p);
		return (s);
	}
	if (accept_kw(p, "table") || accept_kw(p, "columnfamily"))
		s = stmt_new(p, STMT_DROP_TABLE);
	else if (accept_kw(p, "type"))
		s = stmt_new(p, STMT_DROP_TYPE);
	else if (accept_kw(p, "index"))
		s = stmt_new(p, STMT_DROP_INDEX);
	else
		parse_unexpected(p, NULL);
	parse_if_exists(p, s);
	parse_qname(p, &s->ks, &s->name);
	return (s);
}

static struct stmt *
parse_top(struct parser *p)
{
	struct token	*t = peek(p);
	struct stmt	*s;

	if (tok_is_kw(t, "select"))
		return (parse_select(p));
	if (tok_is_kw(t, "insert"))
		return (parse_insert(p));
	if (tok_is_kw(t, "update"))
		return (parse_update(p));
	if (tok_is_kw(t, "delete"))
		return (parse_delete(p));
	if (tok_is_kw(t, "begin"))
		return (parse_batch(p));
	if (tok_is_kw(t, "use")) {
		next(p);
		s = stmt_new(p, STMT_USE);
		s->name = parse_ident(p);
		return (s);
	}
	if (tok_is_kw(t, "create"))
		return (parse_create(p));
	if (tok_is_kw(t, "alter"))
		return (parse_alter(p));
	if (tok_is_kw(t, "drop"))
		return (parse_drop(p));
	if (tok_is_kw(t, "truncate")) {
		next(p);
		s = stmt_new(p, STMT_TRUNCATE);
		if (!accept_kw(p, "table"))
			(void)accept_kw(p, "columnfamily");
		parse_qname(p, &s->ks, &s->name);
		return (s);
	}
	parse_unexpected(p, NULL);
}

/* NUL bytes travel through the lexer as 0xff, which UTF-8 never uses. */
struct stmt *
parse_statement_n(const char *src, size_t len, char **err)
{
	struct stmt	*s;
	char		*copy;
	size_t		 i;

	*err = NULL;
	if (len > DB_MAX_STATEMENT) {
		*err = xstrdup("statement too long");
		return (NULL);
	}
	if (memchr(src, 0xff, len) != NULL) {
		*err = xstrdup("line 1:0 invalid UTF-8 in statement");
		return (NULL);
	}
	copy = xmalloc(len + 1);
	for (i = 0; i < len; i++)
		copy[i] = src[i] != '\0' ? src[i] : (char)0xff;
	copy[len] = '\0';
	s = parse_statement(copy, err);
	free(copy);
	return (s);
}

struct stmt *
parse_statement(const char *src, char **err)
{
	struct parser	 p;
	struct stmt	*s;

	memset(&p, 0, sizeof p);
	*err = NULL;
	if (strlen(src) > DB_MAX_STATEMENT) {
		*err = xstrdup("statement too long");
		return (NULL);
	}
	p.src = src;
	p.a = arena_new();
	if (lex_run(p.a, src, &p.toks, err) != 0) {
		arena_free(p.a);
		return (NULL);
	}
	if (setjmp(p.jb) != 0) {
		arena_free(p.a);
		*err = p.err;
		return (NULL);
	}
	s = parse_top(&p);
	while (accept_punct(&p, ";"))
		;
	if (peek(&p)->type != TK_EOF)
		parse_unexpected(&p, NULL);
	return (s);
}

void
stmt_free(struct stmt *s)
{
	size_t	i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nbinds; i++) {
		free(s->binds[i].recv);
		cqltype_free(s->binds[i].type);
	}
	arena_free(s->arena);
}
