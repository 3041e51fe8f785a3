/*
 * split.c: the cqlproxy command's statement splitter (see split.h).  A
 * small state machine over bytes; the state survives between pieces so a
 * string or comment may span lines.  Words of code are followed just
 * enough to know a BEGIN BATCH ... APPLY BATCH block, whose inner `;`
 * belong to the one statement.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "split.h"

enum split_state {
	S_CODE,
	S_SQUOTE,		/* in '...' */
	S_DQUOTE,		/* in "..." */
	S_DOLLAR,		/* in $$...$$ */
	S_LINE_COMMENT,		/* after -- or // */
	S_BLOCK_COMMENT		/* in a block comment */
};

/* Where a statement is in a batch block. */
enum split_batch {
	B_NONE,
	B_BEGIN,		/* first word BEGIN: BATCH may follow */
	B_INSIDE,		/* after BEGIN [UNLOGGED | COUNTER] BATCH */
	B_APPLIED		/* after APPLY BATCH: `;` ends it again */
};

struct split {
	enum split_state  state;
	char		 *buf;
	size_t		  len;
	size_t		  cap;
	int		  code;	/* buf holds something besides blanks/comments */
	int		  err;
	char		  word[16];	/* the word of code being read */
	size_t		  wlen;
	int		  nwords;	/* words of code in this statement */
	enum split_batch  batch;
	int		  apply;	/* inside a batch, the last word was APPLY */
};

struct split *
split_new(void)
{
	return (calloc(1, sizeof (struct split)));
}

void
split_free(struct split *sp)
{
	if (sp == NULL)
		return;
	free(sp->buf);
	free(sp);
}

static void
put(struct split *sp, char c)
{
	char	*p;
	size_t	 cap;

	if (sp->len + 2 > sp->cap) {
		cap = sp->cap == 0 ? 256 : sp->cap * 2;
		if ((p = realloc(sp->buf, cap)) == NULL) {
			sp->err = 1;
			return;
		}
		sp->buf = p;
		sp->cap = cap;
	}
	sp->buf[sp->len++] = c;
	sp->buf[sp->len] = '\0';
}

static int
is_word_char(char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_');
}

/* A word of code ended: follow BEGIN ... BATCH and APPLY BATCH. */
static void
word_end(struct split *sp)
{
	const char	*w = sp->word;

	if (sp->wlen == 0)
		return;
	if (sp->wlen >= sizeof sp->word)
		w = "";			/* longer than any keyword */
	else
		sp->word[sp->wlen] = '\0';
	if (sp->nwords == 0 && strcasecmp(w, "BEGIN") == 0)
		sp->batch = B_BEGIN;
	else if (sp->batch == B_BEGIN) {
		if (strcasecmp(w, "BATCH") == 0)
			sp->batch = B_INSIDE;
		else if (strcasecmp(w, "UNLOGGED") != 0 &&
		    strcasecmp(w, "COUNTER") != 0)
			sp->batch = B_NONE;
	} else if (sp->batch == B_INSIDE && sp->apply &&
	    strcasecmp(w, "BATCH") == 0)
		sp->batch = B_APPLIED;
	sp->apply = sp->batch == B_INSIDE && strcasecmp(w, "APPLY") == 0;
	sp->nwords++;
	sp->wlen = 0;
}

/* Hand over the statement collected so far, if it holds any code. */
static int
emit(struct split *sp, split_cb cb, void *arg)
{
	char	*s, *e;
	int	 rv = 0;

	if (sp->err)
		return (-1);
	if (sp->code && sp->buf != NULL) {
		for (s = sp->buf; *s == ' ' || *s == '\t' || *s == '\n' ||
		    *s == '\r'; s++)
			;
		e = sp->buf + sp->len;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' ||
		    e[-1] == '\n' || e[-1] == '\r'))
			e--;
		*e = '\0';
		rv = cb(s, arg);
	}
	sp->len = 0;
	sp->code = 0;
	sp->wlen = 0;
	sp->nwords = 0;
	sp->batch = B_NONE;
	sp->apply = 0;
	if (sp->buf != NULL)
		sp->buf[0] = '\0';
	return (rv);
}

int
split_feed(struct split *sp, const char *p, size_t n, split_cb cb, void *arg)
{
	size_t	i;
	char	c, next;
	int	rv;

	for (i = 0; i < n; i++) {
		c = p[i];
		next = i + 1 < n ? p[i + 1] : '\0';
		switch (sp->state) {
		case S_CODE:
			if (is_word_char(c)) {
				if (sp->wlen < sizeof sp->word)
					sp->word[sp->wlen] = c;
				sp->wlen++;
			} else
				word_end(sp);
			if (c == ';' && sp->batch != B_INSIDE) {
				if ((rv = emit(sp, cb, arg)) != 0)
					return (rv);
				continue;
			}
			if (c == '\'')
				sp->state = S_SQUOTE;
			else if (c == '"')
				sp->state = S_DQUOTE;
			else if (c == '$' && next == '$') {
				sp->state = S_DOLLAR;
				put(sp, c);
				c = p[++i];
			} else if ((c == '-' && next == '-') ||
			    (c == '/' && next == '/'))
				sp->state = S_LINE_COMMENT;
			else if (c == '/' && next == '*') {
				sp->state = S_BLOCK_COMMENT;
				put(sp, c);
				c = p[++i];
			}
			if (sp->state == S_CODE || sp->state == S_SQUOTE ||
			    sp->state == S_DQUOTE || sp->state == S_DOLLAR) {
				if (c != ' ' && c != '\t' && c != '\n' &&
				    c != '\r')
					sp->code = 1;
			}
			break;
		case S_SQUOTE:
			/* '' inside a string is a quote: leave and re-enter. */
			if (c == '\'')
				sp->state = S_CODE;
			break;
		case S_DQUOTE:
			if (c == '"')
				sp->state = S_CODE;
			break;
		case S_DOLLAR:
			if (c == '$' && next == '$') {
				put(sp, c);
				c = p[++i];
				sp->state = S_CODE;
			}
			break;
		case S_LINE_COMMENT:
			if (c == '\n')
				sp->state = S_CODE;
			break;
		case S_BLOCK_COMMENT:
			if (c == '*' && next == '/') {
				put(sp, c);
				c = p[++i];
				sp->state = S_CODE;
			}
			break;
		}
		put(sp, c);
	}
	return (sp->err ? -1 : 0);
}

int
split_finish(struct split *sp, split_cb cb, void *arg)
{
	word_end(sp);
	sp->state = S_CODE;
	return (emit(sp, cb, arg));
}
