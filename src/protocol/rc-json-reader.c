/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcJsonReader"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "protocol/rc-json-reader.h"
#include "protocol/rc-protocol.h"

/* deeper nesting is no chat message; it only costs stack */
#define RC_JSON_MAX_DEPTH 32

static gboolean
rc_json_reader_fail(RcJsonReader *self, const gchar *what, GError **error)
{
	g_set_error(error,
		    RC_PROTOCOL_ERROR,
		    RC_PROTOCOL_ERROR_BAD_REQUEST,
		    _("malformed JSON at byte %u: %s"),
		    (guint)(self->p - self->start),
		    _(what));
	return FALSE;
}

void
rc_json_reader_init(RcJsonReader *self, const gchar *data, gsize len)
{
	self->start = data;
	self->p = data;
	self->end = data + len;
	self->depth = 0;
}

static void
rc_json_reader_skip_ws(RcJsonReader *self)
{
	while (self->p < self->end &&
	       (*self->p == ' ' || *self->p == '\t' || *self->p == '\n' || *self->p == '\r'))
		self->p++;
}

static gboolean
rc_json_reader_expect(RcJsonReader *self, gchar c, const gchar *what, GError **error)
{
	rc_json_reader_skip_ws(self);
	if (self->p >= self->end || *self->p != c)
		return rc_json_reader_fail(self, what, error);
	self->p++;
	return TRUE;
}

gboolean
rc_json_reader_begin_object(RcJsonReader *self, GError **error)
{
	if (!rc_json_reader_expect(self, '{', N_("expected an object"), error))
		return FALSE;
	self->depth++;
	self->first = TRUE;
	return TRUE;
}

RcJsonType
rc_json_reader_peek(RcJsonReader *self)
{
	rc_json_reader_skip_ws(self);
	if (self->p >= self->end)
		return RC_JSON_INVALID;
	switch (*self->p) {
	case '"':
		return RC_JSON_STRING;
	case '{':
		return RC_JSON_OBJECT;
	case '[':
		return RC_JSON_ARRAY;
	case 't':
		return RC_JSON_TRUE;
	case 'f':
		return RC_JSON_FALSE;
	case 'n':
		return RC_JSON_NULL;
	case '-':
	case '0' ... '9':
		return RC_JSON_NUMBER;
	default:
		return RC_JSON_INVALID;
	}
}

static gint
rc_json_reader_hex4(const gchar *p)
{
	gint v = 0;
	for (guint i = 0; i < 4; i++) {
		gint d = g_ascii_xdigit_value(p[i]);
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

gboolean
rc_json_reader_read_string_into(RcJsonReader *self, gchar *dest, gsize *len, GError **error)
{
	const gchar *run;
	gsize n = 0;

	if (!rc_json_reader_expect(self, '"', N_("expected a string"), error))
		return FALSE;
	run = self->p;
	while (self->p < self->end) {
		guchar c = (guchar)*self->p;
		if (c == '"') {
			if (dest != NULL) {
				memcpy(dest + n, run, self->p - run);
				n += self->p - run;
				dest[n] = '\0';
			}
			if (len != NULL)
				*len = n;
			self->p++;
			return TRUE;
		}
		if (c < 0x20)
			return rc_json_reader_fail(self, N_("control character in a string"), error);
		if (c != '\\') {
			self->p++;
			continue;
		}
		if (dest != NULL) {
			memcpy(dest + n, run, self->p - run);
			n += self->p - run;
		}
		self->p++;
		if (self->p >= self->end)
			break;
		switch (*self->p) {
		case '"':
		case '\\':
		case '/':
			if (dest != NULL)
				dest[n++] = *self->p;
			self->p++;
			break;
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't': {
			static const gchar from[] = "bfnrt";
			static const gchar to[] = "\b\f\n\r\t";
			if (dest != NULL)
				dest[n++] = to[strchr(from, *self->p) - from];
			self->p++;
			break;
		}
		case 'u': {
			gint hi, lo;
			gunichar ch;
			if (self->end - self->p < 5 || (hi = rc_json_reader_hex4(self->p + 1)) < 0)
				return rc_json_reader_fail(self, N_("bad \\u escape"), error);
			self->p += 5;
			ch = (gunichar)hi;
			if (hi >= 0xd800 && hi < 0xdc00) {
				if (self->end - self->p < 6 || self->p[0] != '\\' || self->p[1] != 'u' ||
				    (lo = rc_json_reader_hex4(self->p + 2)) < 0xdc00 || lo >= 0xe000)
					return rc_json_reader_fail(self, N_("unpaired surrogate"), error);
				self->p += 6;
				ch = 0x10000 + (((gunichar)hi - 0xd800) << 10) + ((gunichar)lo - 0xdc00);
			} else if (hi >= 0xdc00 && hi < 0xe000) {
				return rc_json_reader_fail(self, N_("unpaired surrogate"), error);
			} else if (hi == 0) {
				return rc_json_reader_fail(self, N_("NUL character in a string"), error);
			}
			/* at most 4 bytes for the 6 or 12 read */
			if (dest != NULL)
				n += g_unichar_to_utf8(ch, dest + n);
			break;
		}
		default:
			return rc_json_reader_fail(self, N_("bad escape"), error);
		}
		run = self->p;
	}
	return rc_json_reader_fail(self, N_("unterminated string"), error);
}

/* the extent of a number token, checked against the JSON grammar */
static gboolean
rc_json_reader_scan_number(RcJsonReader *self, gboolean *integral, GError **error)
{
	const gchar *p = self->p;
	*integral = TRUE;
	if (p < self->end && *p == '-')
		p++;
	if (p >= self->end || !g_ascii_isdigit(*p))
		return rc_json_reader_fail(self, N_("bad number"), error);
	if (*p == '0')
		p++;
	else
		while (p < self->end && g_ascii_isdigit(*p))
			p++;
	if (p < self->end && *p == '.') {
		*integral = FALSE;
		p++;
		if (p >= self->end || !g_ascii_isdigit(*p))
			return rc_json_reader_fail(self, N_("bad number"), error);
		while (p < self->end && g_ascii_isdigit(*p))
			p++;
	}
	if (p < self->end && (*p == 'e' || *p == 'E')) {
		*integral = FALSE;
		p++;
		if (p < self->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= self->end || !g_ascii_isdigit(*p))
			return rc_json_reader_fail(self, N_("bad number"), error);
		while (p < self->end && g_ascii_isdigit(*p))
			p++;
	}
	self->p = p;
	return TRUE;
}

gboolean
rc_json_reader_read_int64(RcJsonReader *self, gint64 *out, GError **error)
{
	const gchar *start;
	gboolean integral = FALSE;
	gsize len;

	rc_json_reader_skip_ws(self);
	start = self->p;
	if (!rc_json_reader_scan_number(self, &integral, error))
		return FALSE;
	len = self->p - start;
	/* longer is no integer of any use here, whatever its value */
	if (!integral || len >= 24) {
		self->p = start;
		return rc_json_reader_fail(self, N_("expected an integer"), error);
	}
	/* the grammar is checked: an optional '-', then digits; counted towards the
	 * negative side, which holds one more than the positive */
	{
		gboolean negative = start[0] == '-';
		const gchar *digits = start + (negative ? 1 : 0);
		gint64 v = 0;
		/* 18 digits cannot overflow: no check per digit */
		if (self->p - digits <= 18) {
			for (const gchar *d = digits; d < self->p; d++)
				v = v * 10 + (*d - '0');
			*out = negative ? -v : v;
			return TRUE;
		}
		for (const gchar *d = digits; d < self->p; d++) {
			gint digit = *d - '0';
			if (v < (G_MININT64 + digit) / 10) {
				self->p = start;
				return rc_json_reader_fail(self, N_("integer out of range"), error);
			}
			v = v * 10 - digit;
		}
		if (!negative && v == G_MININT64) {
			self->p = start;
			return rc_json_reader_fail(self, N_("integer out of range"), error);
		}
		*out = negative ? v : -v;
	}
	return TRUE;
}

static gboolean
rc_json_reader_literal(RcJsonReader *self, const gchar *word, GError **error)
{
	gsize len = strlen(word);
	if ((gsize)(self->end - self->p) < len || memcmp(self->p, word, len) != 0)
		return rc_json_reader_fail(self, N_("unexpected word"), error);
	self->p += len;
	return TRUE;
}

gboolean
rc_json_reader_skip_value(RcJsonReader *self, GError **error)
{
	gboolean integral;
	switch (rc_json_reader_peek(self)) {
	case RC_JSON_STRING:
		return rc_json_reader_read_string_into(self, NULL, NULL, error);
	case RC_JSON_NUMBER:
		return rc_json_reader_scan_number(self, &integral, error);
	case RC_JSON_TRUE:
		return rc_json_reader_literal(self, "true", error);
	case RC_JSON_FALSE:
		return rc_json_reader_literal(self, "false", error);
	case RC_JSON_NULL:
		return rc_json_reader_literal(self, "null", error);
	case RC_JSON_OBJECT: {
		gboolean done = FALSE;
		if (self->depth >= RC_JSON_MAX_DEPTH)
			return rc_json_reader_fail(self, N_("nested too deeply"), error);
		if (!rc_json_reader_begin_object(self, error))
			return FALSE;
		for (;;) {
			if (!rc_json_reader_next_key(self, NULL, NULL, NULL, &done, error))
				return FALSE;
			if (done)
				return TRUE;
			if (!rc_json_reader_skip_value(self, error))
				return FALSE;
		}
	}
	case RC_JSON_ARRAY:
		if (self->depth >= RC_JSON_MAX_DEPTH)
			return rc_json_reader_fail(self, N_("nested too deeply"), error);
		self->p++;
		self->depth++;
		rc_json_reader_skip_ws(self);
		if (self->p < self->end && *self->p == ']') {
			self->p++;
			self->depth--;
			return TRUE;
		}
		for (;;) {
			if (!rc_json_reader_skip_value(self, error))
				return FALSE;
			rc_json_reader_skip_ws(self);
			if (self->p < self->end && *self->p == ',') {
				self->p++;
				continue;
			}
			if (!rc_json_reader_expect(self, ']', N_("expected , or ]"), error))
				return FALSE;
			self->depth--;
			return TRUE;
		}
	case RC_JSON_INVALID:
	default:
		return rc_json_reader_fail(self, N_("expected a value"), error);
	}
}

gboolean
rc_json_reader_next_key(RcJsonReader *self,
			GString **scratch,
			const gchar **key,
			gsize *key_len,
			gboolean *done,
			GError **error)
{
	const gchar *p;

	rc_json_reader_skip_ws(self);
	*done = FALSE;
	if (self->p < self->end && *self->p == '}') {
		self->p++;
		self->depth--;
		/* whatever encloses a closed object is past its first element */
		self->first = FALSE;
		*done = TRUE;
		return TRUE;
	}
	if (!self->first && !rc_json_reader_expect(self, ',', N_("expected , or }"), error))
		return FALSE;
	self->first = FALSE;
	rc_json_reader_skip_ws(self);
	/* a key without escapes, nearly every key, is read where it lies */
	p = self->p;
	if (p < self->end && *p == '"') {
		p++;
		while (p < self->end && *p != '"' && *p != '\\' && (guchar)*p >= 0x20)
			p++;
	}
	if (p > self->p && p < self->end && *p == '"') {
		if (key != NULL) {
			*key = self->p + 1;
			*key_len = p - *key;
		}
		self->p = p + 1;
	} else if (scratch == NULL) {
		if (!rc_json_reader_read_string_into(self, NULL, NULL, error))
			return FALSE;
	} else {
		gsize n = 0;
		if (*scratch == NULL)
			*scratch = g_string_sized_new(32);
		g_string_set_size(*scratch, self->end - self->p);
		if (!rc_json_reader_read_string_into(self, (*scratch)->str, &n, error))
			return FALSE;
		g_string_truncate(*scratch, n);
		*key = (*scratch)->str;
		*key_len = n;
	}
	return rc_json_reader_expect(self, ':', N_("expected :"), error);
}

gboolean
rc_json_reader_end(RcJsonReader *self, GError **error)
{
	rc_json_reader_skip_ws(self);
	if (self->p != self->end)
		return rc_json_reader_fail(self, N_("trailing data"), error);
	return TRUE;
}
