/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcProtocol"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "protocol/rc-json-reader.h"
#include "protocol/rc-protocol.h"

G_DEFINE_QUARK(rc-protocol-error-quark, rc_protocol_error)

/* g_string_append_len() inline, as GLib has it only from 2.76 on: a frame is
 * built from a dozen short pieces */
static inline void
rc_protocol_put(GString *s, const gchar *data, gsize len)
{
	if (G_LIKELY(s->len + len < s->allocated_len)) {
		memcpy(s->str + s->len, data, len);
		s->len += len;
		s->str[s->len] = '\0';
	} else {
		g_string_append_len(s, data, (gssize)len);
	}
}

#define rc_protocol_put_literal(s, lit) rc_protocol_put((s), "" lit, sizeof(lit) - 1)

void
rc_client_frame_clear(RcClientFrame *frame)
{
	g_clear_pointer(&frame->ns, g_free);
	g_clear_pointer(&frame->room_code, g_free);
	g_clear_pointer(&frame->text, g_free);
	g_clear_pointer(&frame->ref, g_free);
	g_clear_pointer(&frame->since_epoch, g_free);
}

static gboolean
rc_protocol_chars_valid(const gchar *s, const gchar *extra)
{
	for (const gchar *p = s; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && strchr(extra, *p) == NULL)
			return FALSE;
	}
	return TRUE;
}

gboolean
rc_protocol_validate_namespace(const gchar *ns, GError **error)
{
	gsize len = strlen(ns);
	if (ns[0] != '/' || len > 65 || !rc_protocol_chars_valid(ns + 1, "_.-")) {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("invalid namespace: “/” or “/” followed by 1–64 of A-Z a-z 0-9 _ . -"));
		return FALSE;
	}
	return TRUE;
}

gboolean
rc_protocol_validate_room_code(const gchar *room_code, GError **error)
{
	gsize len = strlen(room_code);
	if (len == 0 || len > 128 || !rc_protocol_chars_valid(room_code, "_.:@-")) {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("invalid roomCode: 1–128 of A-Z a-z 0-9 _ . : @ -"));
		return FALSE;
	}
	return TRUE;
}

gboolean
rc_protocol_utf8_validate(const gchar *data, gsize len)
{
	const guint64 ones = G_GUINT64_CONSTANT(0x0101010101010101);
	const guint64 highs = G_GUINT64_CONSTANT(0x8080808080808080);
	gsize i = 0;

	/* ASCII without NUL, nearly every frame, eight bytes at a time; from the first
	 * other byte on, GLib's validator, which also refuses NUL */
	for (; i + 8 <= len; i += 8) {
		guint64 w;
		memcpy(&w, data + i, sizeof(w));
		if (((w | ((w - ones) & ~w)) & highs) != 0)
			break;
	}
	while (i < len && (guchar)data[i] < 0x80 && data[i] != '\0')
		i++;
	return i == len || g_utf8_validate(data + i, (gssize)(len - i), NULL);
}

gboolean
rc_protocol_validate_sender(const gchar *sender, GError **error)
{
	gsize len = strlen(sender);
	gboolean ok = len > 0 && len <= 64 && rc_protocol_utf8_validate(sender, len);
	for (const gchar *p = sender; ok && *p != '\0'; p = g_utf8_next_char(p)) {
		guchar c = (guchar)*p;
		if (c < 0x80 ? c < 0x20 || c == 0x7f : g_unichar_iscntrl(g_utf8_get_char(p)))
			ok = FALSE;
	}
	if (!ok) {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("invalid sender: 1–64 bytes of UTF-8 without control characters"));
		return FALSE;
	}
	return TRUE;
}

gboolean
rc_protocol_validate_text(const gchar *text, gsize max_text_bytes, GError **error)
{
	gsize len = strlen(text);
	if (!rc_protocol_utf8_validate(text, len)) {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("text is not valid UTF-8"));
		return FALSE;
	}
	if (len > max_text_bytes) {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_TOO_LARGE,
			    _("text is %zu bytes, the limit is %zu"),
			    len,
			    max_text_bytes);
		return FALSE;
	}
	return TRUE;
}

/* One parse: the reader, and one block for the string values it keeps. A value
 * takes at most its JSON's length and a NUL, and the values of one input never
 * overlap in it, so the input's length and one byte hold them all; small inputs,
 * nearly all, need no allocation. */
typedef struct {
	RcJsonReader r;
	GString *scratch; /* keys with escapes */
	gchar *values;
	gsize values_used;
	gchar stack[512];
} RcParse;

static void
rc_parse_clear(RcParse *ps)
{
	if (ps->values != ps->stack)
		g_free(ps->values);
	ps->values = NULL;
	if (ps->scratch != NULL)
		g_string_free(g_steal_pointer(&ps->scratch), TRUE);
}

/* a key: not NUL-terminated, valid until the next one */
typedef struct {
	const gchar *str;
	gsize len;
} RcKey;

/* inline, so that a literal's length and comparison are folded */
static inline gboolean
rc_key_is(const RcKey *key, const gchar *name)
{
	gsize n = strlen(name);
	return key->len == n && memcmp(key->str, name, n) == 0;
}

static gboolean
rc_parse_next_key(RcParse *ps, RcKey *key, gboolean *done, GError **error)
{
	return rc_json_reader_next_key(&ps->r, &ps->scratch, &key->str, &key->len, done, error);
}

/* one string field of a frame: absent, a string, or present with a wrong type */
typedef struct {
	const gchar *name;
	const gchar *value; /* in the parse's block */
	gboolean wrong_type;
} RcField;

static void
rc_field_clear(RcField *f)
{
	f->value = NULL;
}

static gboolean
rc_protocol_read_field(RcParse *ps, RcField *f, GError **error)
{
	RcJsonType t = rc_json_reader_peek(&ps->r);
	/* a later duplicate wins, as in most JSON readers */
	f->value = NULL;
	f->wrong_type = FALSE;
	if (t == RC_JSON_STRING) {
		gchar *dest = ps->values + ps->values_used;
		gsize n = 0;
		if (!rc_json_reader_read_string_into(&ps->r, dest, &n, error))
			return FALSE;
		f->value = dest;
		/* an escaped NUL is refused by the reader, so the length is the C length */
		ps->values_used += n + 1;
		return TRUE;
	}
	/* null counts as absent */
	if (t != RC_JSON_NULL)
		f->wrong_type = TRUE;
	return rc_json_reader_skip_value(&ps->r, error);
}

static gboolean
rc_protocol_check_field(RcField *f, gboolean required, GError **error)
{
	if (f->wrong_type) {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("field “%s” must be a string"),
			    f->name);
		return FALSE;
	}
	if (required && f->value == NULL) {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("missing field “%s”"),
			    f->name);
		return FALSE;
	}
	return TRUE;
}

static gboolean
rc_protocol_begin(RcParse *ps, const gchar *data, gsize len, GError **error)
{
	RcJsonReader *r = &ps->r;

	ps->scratch = NULL;
	ps->values_used = 0;
	ps->values = len < sizeof(ps->stack) ? ps->stack : g_malloc(len + 1);
	if (!rc_protocol_utf8_validate(data, len)) {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("not valid UTF-8"));
		return FALSE;
	}
	rc_json_reader_init(r, data, len);
	if (rc_json_reader_peek(r) != RC_JSON_OBJECT) {
		if (rc_json_reader_peek(r) == RC_JSON_INVALID) {
			g_set_error(error,
				    RC_PROTOCOL_ERROR,
				    RC_PROTOCOL_ERROR_BAD_REQUEST,
				    _("malformed JSON: expected a JSON object"));
			return FALSE;
		}
		/* valid JSON of the wrong shape gets a clearer message */
		if (rc_json_reader_skip_value(r, NULL) && rc_json_reader_end(r, NULL)) {
			g_set_error(error,
				    RC_PROTOCOL_ERROR,
				    RC_PROTOCOL_ERROR_BAD_REQUEST,
				    _("expected a JSON object"));
			return FALSE;
		}
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("malformed JSON: expected a JSON object"));
		return FALSE;
	}
	return rc_json_reader_begin_object(r, error);
}

static gboolean
rc_protocol_check_room(RcField *ns, RcField *room_code, GError **error)
{
	if (!rc_protocol_check_field(ns, FALSE, error))
		return FALSE;
	if (ns->value == NULL)
		ns->value = "/";
	if (!rc_protocol_validate_namespace(ns->value, error))
		return FALSE;
	if (!rc_protocol_check_field(room_code, TRUE, error))
		return FALSE;
	return rc_protocol_validate_room_code(room_code->value, error);
}

/* an integer member; a number that is no integer, or another type, sets @wrong */
static gboolean
rc_protocol_read_integer(RcJsonReader *r, gint64 *out, gboolean *wrong, GError **error)
{
	RcJsonType t = rc_json_reader_peek(r);
	*out = 0;
	*wrong = FALSE;
	if (t == RC_JSON_NUMBER) {
		const gchar *at = r->p;
		if (!rc_json_reader_read_int64(r, out, NULL)) {
			r->p = at;
			*wrong = TRUE;
			return rc_json_reader_skip_value(r, error);
		}
		return TRUE;
	}
	*wrong = t != RC_JSON_NULL;
	return rc_json_reader_skip_value(r, error);
}

/* an integer option: absent (or null), or a number that must be an integer */
typedef struct {
	const gchar *name;
	gboolean present;
	gboolean wrong_type;
	gint64 value;
} RcOption;

static gboolean
rc_protocol_check_option(RcOption *o, gint64 min, GError **error)
{
	if (!o->present)
		return TRUE;
	if (o->wrong_type || o->value < min) {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("field “%s” must be an integer of at least %d"),
			    o->name,
			    (gint)min);
		return FALSE;
	}
	return TRUE;
}

/* "since": {"epoch": "E", "offset": K} */
typedef struct {
	gboolean present;
	gboolean valid;
	gchar *epoch;
	gint64 offset;
} RcSince;

static gboolean
rc_protocol_read_since(RcParse *ps, RcSince *since, GError **error)
{
	RcJsonReader *r = &ps->r;
	RcField epoch = {"epoch"};
	gboolean have_offset = FALSE, offset_wrong = FALSE;
	gboolean ok;

	since->present = TRUE;
	since->valid = FALSE;
	g_clear_pointer(&since->epoch, g_free);
	if (rc_json_reader_peek(r) != RC_JSON_OBJECT)
		return rc_json_reader_skip_value(r, error);
	if (!rc_json_reader_begin_object(r, error))
		return FALSE;
	for (;;) {
		gboolean done = FALSE;
		RcKey key;
		if (!rc_parse_next_key(ps, &key, &done, error))
			return FALSE;
		if (done)
			break;
		if (rc_key_is(&key, "epoch")) {
			if (!rc_protocol_read_field(ps, &epoch, error))
				return FALSE;
		} else if (rc_key_is(&key, "offset")) {
			/* a resume needs its offset: null is no offset here */
			have_offset = rc_json_reader_peek(r) != RC_JSON_NULL;
			if (!rc_protocol_read_integer(r, &since->offset, &offset_wrong, error))
				return FALSE;
		} else if (!rc_json_reader_skip_value(r, error)) {
			return FALSE;
		}
	}
	ok = epoch.value != NULL && !epoch.wrong_type && have_offset && !offset_wrong &&
	     since->offset >= 0 && (epoch.value[0] == '\0' || rc_protocol_validate_epoch(epoch.value, NULL));
	if (ok) {
		since->valid = TRUE;
		since->epoch = g_strdup(epoch.value);
	}
	return TRUE;
}

gboolean
rc_protocol_parse_client_frame(const gchar *data,
			       gsize len,
			       gsize max_text_bytes,
			       RcClientFrame *frame,
			       GError **error)
{
	RcParse ps;
	RcJsonReader *r = &ps.r;
	RcField type = {"type"}, ns = {"namespace"}, room_code = {"roomCode"}, text = {"text"},
		ref = {"ref"};
	RcField *fields[] = {&type, &ns, &room_code, &text, &ref};
	RcOption history = {"history"}, limit = {"limit"}, before = {"before"};
	RcOption *options[] = {&history, &limit, &before};
	RcSince since = {0};
	RcJsonType presence = RC_JSON_INVALID;
	gboolean ok = FALSE;

	frame->history = -1;
	if (!rc_protocol_begin(&ps, data, len, error))
		goto out;
	for (;;) {
		gboolean done = FALSE;
		RcField *f = NULL;
		RcOption *o = NULL;
		RcKey key;
		if (!rc_parse_next_key(&ps, &key, &done, error))
			goto out;
		if (done)
			break;
		for (guint i = 0; f == NULL && i < G_N_ELEMENTS(fields); i++) {
			if (rc_key_is(&key, fields[i]->name))
				f = fields[i];
		}
		for (guint i = 0; f == NULL && o == NULL && i < G_N_ELEMENTS(options); i++) {
			if (rc_key_is(&key, options[i]->name))
				o = options[i];
		}
		if (o != NULL) {
			/* null counts as absent */
			o->present = rc_json_reader_peek(r) != RC_JSON_NULL;
			if (!rc_protocol_read_integer(r, &o->value, &o->wrong_type, error))
				goto out;
			continue;
		}
		if (f == NULL && rc_key_is(&key, "since")) {
			if (!rc_protocol_read_since(&ps, &since, error))
				goto out;
			continue;
		}
		if (f == NULL && rc_key_is(&key, "presence")) {
			presence = rc_json_reader_peek(r);
			if (!rc_json_reader_skip_value(r, error))
				goto out;
			continue;
		}
		if (f != NULL ? !rc_protocol_read_field(&ps, f, error)
			      : !rc_json_reader_skip_value(r, error))
			goto out;
	}
	if (!rc_json_reader_end(r, error))
		goto out;

	/* the ref is echoed even in the error, so take it first */
	if (!rc_protocol_check_field(&ref, FALSE, error))
		goto out;
	if (ref.value != NULL && strlen(ref.value) > 256) {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("field “ref” is longer than 256 bytes"));
		goto out;
	}
	frame->ref = g_strdup(ref.value);
	if (!rc_protocol_check_field(&type, TRUE, error))
		goto out;
	if (g_strcmp0(type.value, "ping") == 0) {
		frame->type = RC_FRAME_PING;
		ok = TRUE;
		goto out;
	}
	if (g_strcmp0(type.value, "join") == 0)
		frame->type = RC_FRAME_JOIN;
	else if (g_strcmp0(type.value, "leave") == 0)
		frame->type = RC_FRAME_LEAVE;
	else if (g_strcmp0(type.value, "send") == 0)
		frame->type = RC_FRAME_SEND;
	else if (g_strcmp0(type.value, "history") == 0)
		frame->type = RC_FRAME_HISTORY;
	else if (g_strcmp0(type.value, "who") == 0)
		frame->type = RC_FRAME_WHO;
	else {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("unknown frame type “%s”"),
			    type.value);
		goto out;
	}
	if (!rc_protocol_check_room(&ns, &room_code, error))
		goto out;
	frame->ns = g_strdup(ns.value);
	frame->room_code = g_strdup(room_code.value);
	if (frame->type == RC_FRAME_SEND) {
		if (!rc_protocol_check_field(&text, TRUE, error))
			goto out;
		if (!rc_protocol_validate_text(text.value, max_text_bytes, error))
			goto out;
		frame->text = g_strdup(text.value);
	}
	if (frame->type == RC_FRAME_JOIN) {
		if (!rc_protocol_check_option(&history, 0, error))
			goto out;
		frame->history = history.present ? history.value : -1;
		if (since.present) {
			if (!since.valid) {
				g_set_error(error,
					    RC_PROTOCOL_ERROR,
					    RC_PROTOCOL_ERROR_BAD_REQUEST,
					    _("field “since” must be {\"epoch\": string, \"offset\": "
					      "integer ≥ 0}"));
				goto out;
			}
			frame->since = TRUE;
			frame->since_epoch = g_steal_pointer(&since.epoch);
			frame->since_offset = (guint64)since.offset;
		}
		if (presence != RC_JSON_INVALID && presence != RC_JSON_TRUE &&
		    presence != RC_JSON_FALSE && presence != RC_JSON_NULL) {
			g_set_error(error,
				    RC_PROTOCOL_ERROR,
				    RC_PROTOCOL_ERROR_BAD_REQUEST,
				    _("field “presence” must be true or false"));
			goto out;
		}
		frame->presence = presence == RC_JSON_TRUE;
	}
	if (frame->type == RC_FRAME_HISTORY) {
		if (!rc_protocol_check_option(&limit, 1, error) ||
		    !rc_protocol_check_option(&before, 1, error))
			goto out;
		frame->limit = limit.present ? (guint64)limit.value : 0;
		frame->before = before.present ? (guint64)before.value : 0;
	}
	ok = TRUE;
out:
	/* read but not taken: a refused frame, or "since" on a frame that is no join */
	g_free(since.epoch);
	rc_parse_clear(&ps);
	return ok;
}

gboolean
rc_protocol_validate_epoch(const gchar *epoch, GError **error)
{
	gsize len = strlen(epoch);
	if (len == 0 || len > 64 || !rc_protocol_chars_valid(epoch, "_-")) {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("invalid epoch: 1–64 of A-Z a-z 0-9 _ -"));
		return FALSE;
	}
	return TRUE;
}

static gboolean
rc_protocol_parse_msg_object(RcParse *ps, RcField *sender, RcField *text, GError **error)
{
	RcJsonReader *r = &ps->r;

	/* a later "msg" replaces an earlier one whole, not member by member */
	rc_field_clear(sender);
	rc_field_clear(text);
	sender->wrong_type = text->wrong_type = FALSE;
	if (!rc_json_reader_begin_object(r, error))
		return FALSE;
	for (;;) {
		gboolean done = FALSE;
		RcField *f = NULL;
		RcKey key;
		if (!rc_parse_next_key(ps, &key, &done, error))
			return FALSE;
		if (done)
			return TRUE;
		if (rc_key_is(&key, "sender"))
			f = sender;
		else if (rc_key_is(&key, "text"))
			f = text;
		if (f != NULL ? !rc_protocol_read_field(ps, f, error)
			      : !rc_json_reader_skip_value(r, error))
			return FALSE;
	}
}

RcMessage *
rc_protocol_parse_message(const gchar *data, gsize len, gsize max_text_bytes, GError **error)
{
	RcParse ps;
	RcJsonReader *r = &ps.r;
	RcField ns = {"namespace"}, room_code = {"roomCode"}, id = {"id"}, origin = {"origin"},
		sender = {"sender"}, text = {"text"}, epoch = {"epoch"};
	RcMessage *msg = NULL;
	gboolean have_msg = FALSE, msg_wrong = FALSE, ts_wrong = FALSE, offset_wrong = FALSE;
	gint64 ts = 0, offset = 0;

	if (!rc_protocol_begin(&ps, data, len, error))
		goto out;
	for (;;) {
		gboolean done = FALSE;
		RcField *f = NULL;
		RcKey key;
		if (!rc_parse_next_key(&ps, &key, &done, error))
			goto out;
		if (done)
			break;
		if (rc_key_is(&key, "msg")) {
			if (rc_json_reader_peek(r) == RC_JSON_OBJECT) {
				have_msg = TRUE;
				msg_wrong = FALSE;
				if (!rc_protocol_parse_msg_object(&ps, &sender, &text, error))
					goto out;
			} else {
				msg_wrong = TRUE;
				if (!rc_json_reader_skip_value(r, error))
					goto out;
			}
			continue;
		}
		if (rc_key_is(&key, "ts")) {
			if (!rc_protocol_read_integer(r, &ts, &ts_wrong, error))
				goto out;
			continue;
		}
		if (rc_key_is(&key, "offset")) {
			if (!rc_protocol_read_integer(r, &offset, &offset_wrong, error))
				goto out;
			continue;
		}
		if (rc_key_is(&key, "epoch"))
			f = &epoch;
		else if (rc_key_is(&key, "namespace"))
			f = &ns;
		else if (rc_key_is(&key, "roomCode"))
			f = &room_code;
		else if (rc_key_is(&key, "id"))
			f = &id;
		else if (rc_key_is(&key, "origin"))
			f = &origin;
		if (f != NULL ? !rc_protocol_read_field(&ps, f, error)
			      : !rc_json_reader_skip_value(r, error))
			goto out;
	}
	if (!rc_json_reader_end(r, error))
		goto out;

	if (!rc_protocol_check_room(&ns, &room_code, error))
		goto out;
	if (!have_msg || msg_wrong) {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("field “msg” must be an object with sender and text"));
		goto out;
	}
	if (!rc_protocol_check_field(&sender, TRUE, error) ||
	    !rc_protocol_validate_sender(sender.value, error))
		goto out;
	if (!rc_protocol_check_field(&text, TRUE, error) ||
	    !rc_protocol_validate_text(text.value, max_text_bytes, error))
		goto out;
	if (!rc_protocol_check_field(&id, FALSE, error))
		goto out;
	if (id.value != NULL && (id.value[0] == '\0' || strlen(id.value) > 128)) {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("field “id” must be 1–128 bytes"));
		goto out;
	}
	if (!rc_protocol_check_field(&origin, FALSE, error))
		goto out;
	if (ts_wrong) {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("field “ts” must be an integer"));
		goto out;
	}
	if (offset_wrong || offset < 0) {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("field “offset” must be a positive integer"));
		goto out;
	}
	if (!rc_protocol_check_field(&epoch, FALSE, error))
		goto out;
	if ((offset > 0) != (epoch.value != NULL) ||
	    (epoch.value != NULL && !rc_protocol_validate_epoch(epoch.value, NULL))) {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("fields “offset” and “epoch” go together; an epoch is 1–64 of A-Z a-z 0-9 _ -"));
		goto out;
	}
	msg = rc_message_new(ns.value, room_code.value, sender.value, text.value, id.value, ts, origin.value);
	if (offset > 0)
		rc_message_set_offset(msg, epoch.value, (guint64)offset);
out:
	rc_parse_clear(&ps);
	return msg;
}

gsize
rc_protocol_format_uint64(gchar *buf, guint64 value)
{
	gchar digits[RC_PROTOCOL_UINT64_DIGITS];
	gsize n = 0;

	do {
		digits[n++] = (gchar)('0' + value % 10);
		value /= 10;
	} while (value != 0);
	for (gsize i = 0; i < n; i++)
		buf[i] = digits[n - 1 - i];
	return n;
}

void
rc_protocol_append_uint64(GString *s, guint64 value)
{
	gchar buf[RC_PROTOCOL_UINT64_DIGITS];
	rc_protocol_put(s, buf, rc_protocol_format_uint64(buf, value));
}

void
rc_protocol_append_int64(GString *s, gint64 value)
{
	if (value < 0) {
		g_string_append_c(s, '-');
		/* G_MININT64 has no positive counterpart in a gint64 */
		rc_protocol_append_uint64(s, (guint64)(-(value + 1)) + 1);
		return;
	}
	rc_protocol_append_uint64(s, (guint64)value);
}

void
rc_protocol_append_json_string(GString *s, const gchar *str)
{
	static const gchar hex[] = "0123456789abcdef";
	const guchar *p = (const guchar *)str;
	const guchar *run = p;

	g_string_append_c(s, '"');
	for (; *p != '\0'; p++) {
		const gchar *esc = NULL;
		if (*p >= 0x20 && *p != '"' && *p != '\\')
			continue;
		rc_protocol_put(s, (const gchar *)run, p - run);
		switch (*p) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		default:
			break;
		}
		if (esc != NULL) {
			rc_protocol_put(s, esc, 2);
		} else {
			rc_protocol_put_literal(s, "\\u00");
			g_string_append_c(s, hex[*p >> 4]);
			g_string_append_c(s, hex[*p & 0xf]);
		}
		run = p + 1;
	}
	rc_protocol_put(s, (const gchar *)run, p - run);
	g_string_append_c(s, '"');
}

static void
rc_protocol_append_member(GString *s, const gchar *name, const gchar *value)
{
	if (value == NULL)
		return;
	rc_protocol_put_literal(s, ",\"");
	g_string_append(s, name);
	rc_protocol_put_literal(s, "\":");
	rc_protocol_append_json_string(s, value);
}

/* the fields a Redis payload and a MSG_TO_CLIENTS frame share, without braces */
static void
rc_protocol_append_message_fields(GString *s, RcMessage *msg)
{
	rc_protocol_append_message_meta(s, msg);
	rc_protocol_put_literal(s, ",\"msg\":");
	rc_protocol_append_message_body(s, msg);
}

void
rc_protocol_append_message_meta(GString *s, RcMessage *msg)
{
	rc_protocol_put_literal(s, "\"namespace\":");
	rc_protocol_append_json_string(s, rc_message_get_namespace(msg));
	rc_protocol_put_literal(s, ",\"roomCode\":");
	rc_protocol_append_json_string(s, rc_message_get_room_code(msg));
	rc_protocol_put_literal(s, ",\"id\":");
	rc_protocol_append_json_string(s, rc_message_get_id(msg));
	rc_protocol_put_literal(s, ",\"ts\":");
	rc_protocol_append_int64(s, rc_message_get_ts(msg));
	if (rc_message_get_offset(msg) > 0) {
		rc_protocol_put_literal(s, ",\"offset\":");
		rc_protocol_append_uint64(s, rc_message_get_offset(msg));
	}
}

void
rc_protocol_append_message_body(GString *s, RcMessage *msg)
{
	rc_protocol_put_literal(s, "{\"sender\":");
	rc_protocol_append_json_string(s, rc_message_get_sender(msg));
	rc_protocol_put_literal(s, ",\"text\":");
	rc_protocol_append_json_string(s, rc_message_get_text(msg));
	g_string_append_c(s, '}');
}

void
rc_protocol_append_message(GString *s, RcMessage *msg, gboolean with_type)
{
	g_string_append_c(s, '{');
	if (with_type)
		rc_protocol_put_literal(s, "\"type\":\"MSG_TO_CLIENTS\",");
	rc_protocol_append_message_fields(s, msg);
	g_string_append_c(s, '}');
}

GBytes *
rc_protocol_build_message(RcMessage *msg)
{
	GString *s = g_string_sized_new(128 + strlen(rc_message_get_text(msg)));
	rc_protocol_append_message(s, msg, TRUE);
	return g_string_free_to_bytes(s);
}

GBytes *
rc_protocol_build_payload(RcMessage *msg)
{
	GString *s = g_string_sized_new(128 + strlen(rc_message_get_text(msg)));
	g_string_append_c(s, '{');
	rc_protocol_append_message_fields(s, msg);
	if (rc_message_get_origin(msg) != NULL) {
		rc_protocol_put_literal(s, ",\"origin\":");
		rc_protocol_append_json_string(s, rc_message_get_origin(msg));
	}
	if (rc_message_get_epoch(msg) != NULL) {
		rc_protocol_put_literal(s, ",\"epoch\":");
		rc_protocol_append_json_string(s, rc_message_get_epoch(msg));
	}
	g_string_append_c(s, '}');
	return g_string_free_to_bytes(s);
}

GBytes *
rc_protocol_build_hello(const gchar *node, const gchar *client, const gchar *sender)
{
	GString *s = g_string_new("{\"type\":\"hello\"");
	rc_protocol_append_member(s, "node", node);
	rc_protocol_append_member(s, "client", client);
	rc_protocol_append_member(s, "sender", sender);
	g_string_append_c(s, '}');
	return g_string_free_to_bytes(s);
}

GBytes *
rc_protocol_build_room_reply(const gchar *type,
			     const gchar *ns,
			     const gchar *room_code,
			     const gchar *ref,
			     const gchar *reason)
{
	GString *s = g_string_new("{\"type\":");
	rc_protocol_append_json_string(s, type);
	rc_protocol_append_member(s, "namespace", ns);
	rc_protocol_append_member(s, "roomCode", room_code);
	rc_protocol_append_member(s, "ref", ref);
	rc_protocol_append_member(s, "reason", reason);
	g_string_append_c(s, '}');
	return g_string_free_to_bytes(s);
}

GBytes *
rc_protocol_build_joined(const gchar *ns,
			 const gchar *room_code,
			 const gchar *ref,
			 const gchar *epoch,
			 guint64 offset,
			 gboolean with_recovered,
			 gboolean recovered)
{
	GString *s = g_string_new("{\"type\":\"joined\"");
	rc_protocol_append_member(s, "namespace", ns);
	rc_protocol_append_member(s, "roomCode", room_code);
	rc_protocol_append_member(s, "ref", ref);
	rc_protocol_append_member(s, "epoch", epoch);
	rc_protocol_put_literal(s, ",\"offset\":");
	rc_protocol_append_uint64(s, offset);
	if (with_recovered)
		g_string_append(s, recovered ? ",\"recovered\":true" : ",\"recovered\":false");
	g_string_append_c(s, '}');
	return g_string_free_to_bytes(s);
}

GBytes *
rc_protocol_build_history(const gchar *ns,
			  const gchar *room_code,
			  const gchar *ref,
			  const gchar *epoch,
			  GPtrArray *messages)
{
	GString *s = g_string_new("{\"type\":\"history\"");
	rc_protocol_append_member(s, "namespace", ns);
	rc_protocol_append_member(s, "roomCode", room_code);
	rc_protocol_append_member(s, "epoch", epoch);
	rc_protocol_append_member(s, "ref", ref);
	rc_protocol_put_literal(s, ",\"messages\":[");
	for (guint i = 0; i < messages->len; i++) {
		if (i > 0)
			g_string_append_c(s, ',');
		rc_protocol_append_message(s, g_ptr_array_index(messages, i), FALSE);
	}
	rc_protocol_put_literal(s, "]}");
	return g_string_free_to_bytes(s);
}

void
rc_protocol_append_presence_entry(GString *s, RcPresence *presence)
{
	rc_protocol_put_literal(s, "{\"client\":");
	rc_protocol_append_json_string(s, rc_presence_get_client(presence));
	rc_protocol_append_member(s, "sender", rc_presence_get_sender(presence));
	rc_protocol_append_member(s, "node", rc_presence_get_node(presence));
	g_string_append_c(s, '}');
}

GBytes *
rc_protocol_build_presence_entry(RcPresence *presence)
{
	GString *s = g_string_new(NULL);
	rc_protocol_append_presence_entry(s, presence);
	return g_string_free_to_bytes(s);
}

GBytes *
rc_protocol_build_presence(RcPresence *presence)
{
	GString *s = g_string_new("{\"type\":\"presence\"");
	rc_protocol_append_member(s, "namespace", rc_presence_get_namespace(presence));
	rc_protocol_append_member(s, "roomCode", rc_presence_get_room_code(presence));
	rc_protocol_append_member(s, "event", rc_presence_get_event(presence));
	rc_protocol_append_member(s, "client", rc_presence_get_client(presence));
	rc_protocol_append_member(s, "sender", rc_presence_get_sender(presence));
	rc_protocol_append_member(s, "node", rc_presence_get_node(presence));
	g_string_append_c(s, '}');
	return g_string_free_to_bytes(s);
}

GBytes *
rc_protocol_build_members(const gchar *ns,
			  const gchar *room_code,
			  const gchar *ref,
			  GPtrArray *members)
{
	GString *s = g_string_new("{\"type\":\"members\"");
	rc_protocol_append_member(s, "namespace", ns);
	rc_protocol_append_member(s, "roomCode", room_code);
	rc_protocol_append_member(s, "ref", ref);
	rc_protocol_put_literal(s, ",\"members\":[");
	for (guint i = 0; i < members->len; i++) {
		if (i > 0)
			g_string_append_c(s, ',');
		rc_protocol_append_presence_entry(s, g_ptr_array_index(members, i));
	}
	rc_protocol_put_literal(s, "]}");
	return g_string_free_to_bytes(s);
}

RcPresence *
rc_protocol_parse_presence(const gchar *data,
			   gsize len,
			   const gchar *ns,
			   const gchar *room_code,
			   GError **error)
{
	RcParse ps;
	RcJsonReader *r = &ps.r;
	RcField f_ns = {"namespace"}, f_room = {"roomCode"}, event = {"event"}, client = {"client"},
		sender = {"sender"}, node = {"node"}, type = {"type"};
	RcField *fields[] = {&f_ns, &f_room, &event, &client, &sender, &node, &type};
	RcPresence *presence = NULL;

	if (!rc_protocol_begin(&ps, data, len, error))
		goto out;
	for (;;) {
		gboolean done = FALSE;
		RcField *f = NULL;
		RcKey key;
		if (!rc_parse_next_key(&ps, &key, &done, error))
			goto out;
		if (done)
			break;
		for (guint i = 0; f == NULL && i < G_N_ELEMENTS(fields); i++) {
			if (rc_key_is(&key, fields[i]->name))
				f = fields[i];
		}
		if (f != NULL ? !rc_protocol_read_field(&ps, f, error)
			      : !rc_json_reader_skip_value(r, error))
			goto out;
	}
	if (!rc_json_reader_end(r, error))
		goto out;
	if (ns == NULL) {
		if (!rc_protocol_check_room(&f_ns, &f_room, error))
			goto out;
		ns = f_ns.value;
		room_code = f_room.value;
	}
	for (guint i = 0; i < G_N_ELEMENTS(fields); i++) {
		if (fields[i]->wrong_type) {
			rc_protocol_check_field(fields[i], FALSE, error);
			goto out;
		}
	}
	if (event.value != NULL && g_strcmp0(event.value, "join") != 0 &&
	    g_strcmp0(event.value, "leave") != 0) {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("presence event must be join or leave"));
		goto out;
	}
	if (!rc_protocol_check_field(&client, TRUE, error) ||
	    !rc_protocol_check_field(&sender, TRUE, error) ||
	    !rc_protocol_check_field(&node, TRUE, error) ||
	    !rc_protocol_validate_sender(sender.value, error))
		goto out;
	presence = rc_presence_new(ns, room_code, event.value, client.value, sender.value, node.value);
out:
	rc_parse_clear(&ps);
	return presence;
}

GBytes *
rc_protocol_build_ack(const gchar *ref, const gchar *id)
{
	GString *s = g_string_new("{\"type\":\"ack\"");
	rc_protocol_append_member(s, "ref", ref);
	rc_protocol_append_member(s, "id", id);
	g_string_append_c(s, '}');
	return g_string_free_to_bytes(s);
}

GBytes *
rc_protocol_build_pong(const gchar *ref)
{
	GString *s = g_string_new("{\"type\":\"pong\"");
	rc_protocol_append_member(s, "ref", ref);
	g_string_append_c(s, '}');
	return g_string_free_to_bytes(s);
}

GBytes *
rc_protocol_build_error(const gchar *code, const gchar *message, const gchar *ref)
{
	GString *s = g_string_new("{\"type\":\"error\"");
	rc_protocol_append_member(s, "code", code);
	rc_protocol_append_member(s, "message", message);
	rc_protocol_append_member(s, "ref", ref);
	g_string_append_c(s, '}');
	return g_string_free_to_bytes(s);
}
