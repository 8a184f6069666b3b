/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A strict pull reader for the small JSON objects of the wire protocol. It reads
 * straight into the fields the codec wants, without building a tree: parsing a
 * frame is on the hot path of every message. Errors are RC_PROTOCOL_ERROR. */
typedef enum {
	RC_JSON_STRING,
	RC_JSON_NUMBER,
	RC_JSON_OBJECT,
	RC_JSON_ARRAY,
	RC_JSON_TRUE,
	RC_JSON_FALSE,
	RC_JSON_NULL,
	RC_JSON_INVALID,
} RcJsonType;

typedef struct {
	const gchar *start;
	const gchar *p;
	const gchar *end;
	guint depth;
	gboolean first; /* no member read yet in the innermost open object */
} RcJsonReader;

/* @data must already be valid UTF-8 */
void rc_json_reader_init(RcJsonReader *self, const gchar *data, gsize len);
gboolean rc_json_reader_begin_object(RcJsonReader *self, GError **error);
/* the next key, or @done at the closing brace: @key points into the input when the
 * key has no escapes, else into *@scratch (made when first needed); it is not
 * NUL-terminated, and valid until the next key. @scratch, @key and @key_len NULL:
 * the key is only checked. */
gboolean rc_json_reader_next_key(RcJsonReader *self,
				 GString **scratch,
				 const gchar **key,
				 gsize *key_len,
				 gboolean *done,
				 GError **error);
RcJsonType rc_json_reader_peek(RcJsonReader *self);
/* decodes the string into @dest, NUL-terminated, and its length into @len (@dest
 * NULL: only checks it): a decoded string is never longer than its JSON, so room
 * for the rest of the input and a NUL is always enough */
gboolean rc_json_reader_read_string_into(RcJsonReader *self, gchar *dest, gsize *len, GError **error);
/* an integral number that fits a gint64; anything else is an error */
gboolean rc_json_reader_read_int64(RcJsonReader *self, gint64 *out, GError **error);
gboolean rc_json_reader_skip_value(RcJsonReader *self, GError **error);
/* only whitespace may follow the value */
gboolean rc_json_reader_end(RcJsonReader *self, GError **error);

G_END_DECLS
