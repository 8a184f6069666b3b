/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcProtocol"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "rc-protocol.h"

G_DEFINE_QUARK(rc-protocol-error-quark, rc_protocol_error)

void
rc_client_frame_clear(RcClientFrame *frame)
{
	g_clear_pointer(&frame->ns, g_free);
	g_clear_pointer(&frame->room_code, g_free);
	g_clear_pointer(&frame->text, g_free);
	g_clear_pointer(&frame->ref, g_free);
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
rc_protocol_validate_sender(const gchar *sender, GError **error)
{
	gsize len = strlen(sender);
	gboolean ok = len > 0 && len <= 64 && g_utf8_validate(sender, len, NULL);
	for (const gchar *p = sender; ok && *p != '\0'; p = g_utf8_next_char(p)) {
		if (g_unichar_iscntrl(g_utf8_get_char(p)))
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
	if (!g_utf8_validate(text, len, NULL)) {
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
			    _("text is %" G_GSIZE_FORMAT " bytes, the limit is %" G_GSIZE_FORMAT),
			    len,
			    max_text_bytes);
		return FALSE;
	}
	return TRUE;
}

/* NULL with @error when the member is present but not a string */
static gboolean
rc_protocol_get_string_member(JsonObject *obj,
			      const gchar *name,
			      gboolean required,
			      const gchar **out,
			      GError **error)
{
	JsonNode *node = json_object_get_member(obj, name);
	*out = NULL;
	if (node == NULL || JSON_NODE_HOLDS_NULL(node)) {
		if (!required)
			return TRUE;
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("missing field “%s”"),
			    name);
		return FALSE;
	}
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("field “%s” must be a string"),
			    name);
		return FALSE;
	}
	*out = json_node_get_string(node);
	return TRUE;
}

static JsonNode *
rc_protocol_parse_object(const gchar *data, gsize len, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	g_autoptr(GError) error_local = NULL;
	JsonNode *root;

	if (!g_utf8_validate(data, len, NULL)) {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("not valid UTF-8"));
		return NULL;
	}
	if (!json_parser_load_from_data(parser, data, len, &error_local)) {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("malformed JSON: %s"),
			    error_local->message);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("expected a JSON object"));
		return NULL;
	}
	return json_node_ref(root);
}

static gboolean
rc_protocol_parse_room(JsonObject *obj, gchar **ns_out, gchar **room_out, GError **error)
{
	const gchar *ns = NULL;
	const gchar *room_code = NULL;
	if (!rc_protocol_get_string_member(obj, "namespace", FALSE, &ns, error))
		return FALSE;
	if (ns == NULL)
		ns = "/";
	if (!rc_protocol_validate_namespace(ns, error))
		return FALSE;
	if (!rc_protocol_get_string_member(obj, "roomCode", TRUE, &room_code, error))
		return FALSE;
	if (!rc_protocol_validate_room_code(room_code, error))
		return FALSE;
	*ns_out = g_strdup(ns);
	*room_out = g_strdup(room_code);
	return TRUE;
}

gboolean
rc_protocol_parse_client_frame(const gchar *data,
			       gsize len,
			       gsize max_text_bytes,
			       RcClientFrame *frame,
			       GError **error)
{
	g_autoptr(JsonNode) root = rc_protocol_parse_object(data, len, error);
	JsonObject *obj;
	JsonNode *ref_node;
	const gchar *type = NULL;
	const gchar *text = NULL;

	if (root == NULL)
		return FALSE;
	obj = json_node_get_object(root);

	/* the ref is echoed even in the error, so take it first */
	ref_node = json_object_get_member(obj, "ref");
	if (ref_node != NULL && !JSON_NODE_HOLDS_NULL(ref_node)) {
		if (JSON_NODE_HOLDS_VALUE(ref_node) &&
		    json_node_get_value_type(ref_node) == G_TYPE_STRING) {
			const gchar *ref = json_node_get_string(ref_node);
			if (strlen(ref) > 256) {
				g_set_error(error,
					    RC_PROTOCOL_ERROR,
					    RC_PROTOCOL_ERROR_BAD_REQUEST,
					    _("field “ref” is longer than 256 bytes"));
				return FALSE;
			}
			frame->ref = g_strdup(ref);
		} else {
			g_set_error(error,
				    RC_PROTOCOL_ERROR,
				    RC_PROTOCOL_ERROR_BAD_REQUEST,
				    _("field “ref” must be a string"));
			return FALSE;
		}
	}
	if (!rc_protocol_get_string_member(obj, "type", TRUE, &type, error))
		return FALSE;
	if (g_strcmp0(type, "ping") == 0) {
		frame->type = RC_FRAME_PING;
		return TRUE;
	}
	if (g_strcmp0(type, "join") == 0)
		frame->type = RC_FRAME_JOIN;
	else if (g_strcmp0(type, "leave") == 0)
		frame->type = RC_FRAME_LEAVE;
	else if (g_strcmp0(type, "send") == 0)
		frame->type = RC_FRAME_SEND;
	else {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("unknown frame type “%s”"),
			    type);
		return FALSE;
	}
	if (!rc_protocol_parse_room(obj, &frame->ns, &frame->room_code, error))
		return FALSE;
	if (frame->type != RC_FRAME_SEND)
		return TRUE;
	if (!rc_protocol_get_string_member(obj, "text", TRUE, &text, error))
		return FALSE;
	if (!rc_protocol_validate_text(text, max_text_bytes, error))
		return FALSE;
	frame->text = g_strdup(text);
	return TRUE;
}

RcMessage *
rc_protocol_parse_message(const gchar *data, gsize len, gsize max_text_bytes, GError **error)
{
	g_autoptr(JsonNode) root = rc_protocol_parse_object(data, len, error);
	g_autofree gchar *ns = NULL;
	g_autofree gchar *room_code = NULL;
	JsonObject *obj;
	JsonNode *msg_node;
	JsonNode *ts_node;
	JsonObject *msg;
	const gchar *sender = NULL;
	const gchar *text = NULL;
	const gchar *id = NULL;
	const gchar *origin = NULL;
	gint64 ts = 0;

	if (root == NULL)
		return NULL;
	obj = json_node_get_object(root);
	if (!rc_protocol_parse_room(obj, &ns, &room_code, error))
		return NULL;
	msg_node = json_object_get_member(obj, "msg");
	if (msg_node == NULL || !JSON_NODE_HOLDS_OBJECT(msg_node)) {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("field “msg” must be an object with sender and text"));
		return NULL;
	}
	msg = json_node_get_object(msg_node);
	if (!rc_protocol_get_string_member(msg, "sender", TRUE, &sender, error))
		return NULL;
	if (!rc_protocol_validate_sender(sender, error))
		return NULL;
	if (!rc_protocol_get_string_member(msg, "text", TRUE, &text, error))
		return NULL;
	if (!rc_protocol_validate_text(text, max_text_bytes, error))
		return NULL;
	if (!rc_protocol_get_string_member(obj, "id", FALSE, &id, error))
		return NULL;
	if (id != NULL && (id[0] == '\0' || strlen(id) > 128)) {
		g_set_error(error,
			    RC_PROTOCOL_ERROR,
			    RC_PROTOCOL_ERROR_BAD_REQUEST,
			    _("field “id” must be 1–128 bytes"));
		return NULL;
	}
	if (!rc_protocol_get_string_member(obj, "origin", FALSE, &origin, error))
		return NULL;
	ts_node = json_object_get_member(obj, "ts");
	if (ts_node != NULL && !JSON_NODE_HOLDS_NULL(ts_node)) {
		if (!JSON_NODE_HOLDS_VALUE(ts_node) ||
		    json_node_get_value_type(ts_node) != G_TYPE_INT64) {
			g_set_error(error,
				    RC_PROTOCOL_ERROR,
				    RC_PROTOCOL_ERROR_BAD_REQUEST,
				    _("field “ts” must be an integer"));
			return NULL;
		}
		ts = json_node_get_int(ts_node);
	}
	return rc_message_new(ns, room_code, sender, text, id, ts, origin);
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
		g_string_append_len(s, (const gchar *)run, p - run);
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
			g_string_append(s, esc);
		} else {
			g_string_append(s, "\\u00");
			g_string_append_c(s, hex[*p >> 4]);
			g_string_append_c(s, hex[*p & 0xf]);
		}
		run = p + 1;
	}
	g_string_append_len(s, (const gchar *)run, p - run);
	g_string_append_c(s, '"');
}

GBytes *
rc_protocol_ws_text_frame(const gchar *payload, gsize len)
{
	guint8 *buf = g_malloc(len + 10);
	gsize head;

	buf[0] = 0x81; /* FIN | text */
	if (len < 126) {
		buf[1] = (guint8)len;
		head = 2;
	} else if (len < 65536) {
		buf[1] = 126;
		buf[2] = (guint8)(len >> 8);
		buf[3] = (guint8)len;
		head = 4;
	} else {
		buf[1] = 127;
		for (guint i = 0; i < 8; i++)
			buf[2 + i] = (guint8)((guint64)len >> (56 - 8 * i));
		head = 10;
	}
	memcpy(buf + head, payload, len);
	return g_bytes_new_take(buf, head + len);
}

static void
rc_protocol_append_member(GString *s, const gchar *name, const gchar *value)
{
	if (value == NULL)
		return;
	g_string_append_printf(s, ",\"%s\":", name);
	rc_protocol_append_json_string(s, value);
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
