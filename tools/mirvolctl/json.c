// SPDX-License-Identifier: GPL-2.0
/*
 * mirvolctl: a small streaming JSON writer (RFC 8259), pretty-printed with
 * two spaces per level, or compact on one line (json_init_line(): JSON
 * lines, one object per event).
 *
 * Strings are written as valid UTF-8 whatever bytes they hold: '"', '\\'
 * and control characters are escaped, well-formed UTF-8 sequences are
 * copied, and every byte that is not part of one becomes U+FFFD, so that
 * a corrupt superblock's name still yields parseable output.
 *
 * Copyright (C) 2026 The mirvol authors
 */
#include <inttypes.h>
#include <string.h>

#include "mirvolctl.h"

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

/* Ends the document with a newline. */
void json_finish(struct json *j)
{
	fputc('\n', j->f);
}

/* A writer of one-line documents (JSON lines). */
void json_init_line(struct json *j, FILE *f)
{
	json_init(j, f);
	j->compact = true;
}

static void indent(struct json *j)
{
	int i;

	if (j->compact)
		return;
	fputc('\n', j->f);
	for (i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Separator and indentation before a value or a key. */
static void before_item(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth == 0)
		return;
	if (j->has_items[j->depth])
		fputc(',', j->f);
	j->has_items[j->depth] = true;
	indent(j);
}

static void open_container(struct json *j, char c)
{
	before_item(j);
	fputc(c, j->f);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->has_items[j->depth] = false;
}

static void close_container(struct json *j, char c)
{
	bool had = j->has_items[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (had)
		indent(j);
	fputc(c, j->f);
}

void json_obj_begin(struct json *j)
{
	open_container(j, '{');
}

void json_obj_end(struct json *j)
{
	close_container(j, '}');
}

void json_arr_begin(struct json *j)
{
	open_container(j, '[');
}

void json_arr_end(struct json *j)
{
	close_container(j, ']');
}

void json_key(struct json *j, const char *key)
{
	before_item(j);
	json_escape(j->f, key, strlen(key));
	fputs(j->compact ? ":" : ": ", j->f);
	j->after_key = true;
}

/*
 * Length of the well-formed UTF-8 sequence at @s (at most @len bytes), or
 * 0 when the bytes there are not one (overlong forms, surrogates and code
 * points above U+10FFFF included).
 */
static size_t utf8_seq_len(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n, i;
	u32 cp;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/**
 * json_escape - write @len bytes of @s as a JSON string literal
 * @f: the stream
 * @s: the bytes (NULs included, if within @len)
 * @len: how many
 */
void json_escape(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	fputc('"', f);
	while (i < len) {
		unsigned char c = p[i];
		size_t n;

		switch (c) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				fprintf(f, "\\u%04x", c);
			} else if (c < 0x80) {
				fputc(c, f);
			} else {
				n = utf8_seq_len(p + i, len - i);
				if (!n) {
					fputs("\\ufffd", f);
					break;
				}
				fwrite(p + i, 1, n, f);
				i += n;
				continue;
			}
		}
		i++;
	}
	fputc('"', f);
}

/* A string value, or null for NULL. */
void json_str(struct json *j, const char *s)
{
	if (!s) {
		json_null(j);
		return;
	}
	json_strn(j, s, strlen(s));
}

void json_strn(struct json *j, const char *s, size_t len)
{
	before_item(j);
	json_escape(j->f, s, len);
}

void json_u64(struct json *j, u64 v)
{
	before_item(j);
	fprintf(j->f, "%" PRIu64, v);
}

/* A number with three decimals (a time in seconds). */
void json_double(struct json *j, double v)
{
	before_item(j);
	fprintf(j->f, "%.3f", v);
}

void json_i64(struct json *j, int64_t v)
{
	before_item(j);
	fprintf(j->f, "%" PRId64, v);
}

void json_bool(struct json *j, bool v)
{
	before_item(j);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j)
{
	before_item(j);
	fputs("null", j->f);
}

void json_uuid(struct json *j, const u8 uuid[MIRVOL_UUID_LEN])
{
	char s[MV_UUID_STR_LEN];

	mv_uuid_format(uuid, s);
	json_str(j, s);
}
