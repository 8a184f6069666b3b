/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcSioPacket"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "protocol/rc-json-reader.h"
#include "protocol/rc-protocol.h"
#include "socketio/rc-sio-packet.h"

G_DEFINE_QUARK(rc-sio-error-quark, rc_sio_error)

/* event names the client library keeps for itself: a peer never sends them */
static const gchar *const rc_sio_reserved_events[] = {
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
};

void
rc_sio_packet_clear(RcSioPacket *packet)
{
	g_clear_pointer(&packet->nsp, g_free);
	g_clear_pointer(&packet->data, json_node_unref);
	packet->event = NULL;
	packet->type = RC_SIO_PACKET_CONNECT;
	packet->ack_id = RC_SIO_NO_ACK_ID;
	packet->attachments = 0;
}

const gchar *
rc_sio_packet_type_to_string(RcSioPacketType type)
{
	static const gchar *const names[] = {
	    "CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"};
	if ((guint)type >= G_N_ELEMENTS(names))
		return "unknown";
	return names[type];
}

static gboolean
rc_sio_fail(GError **error, const gchar *message)
{
	g_set_error_literal(error, RC_SIO_ERROR, RC_SIO_ERROR_MALFORMED, message);
	return FALSE;
}

/* Printable text that cannot be mistaken for the start of the data: a client takes
 * the namespace from its URL path as it is, spaces and UTF-8 included, and such a
 * name deserves a clean refusal from the caller rather than a broken connection
 * (the packet is valid UTF-8 by now). */
static gboolean
rc_sio_namespace_char(gchar c)
{
	return (c >= 0x20 && c < 0x7f && strchr(",[]{}\"", c) == NULL) || (guchar)c >= 0x80;
}

/* a decimal without leading zeros, at most @max; the digits are known to be there */
static gboolean
rc_sio_read_decimal(const gchar **p, const gchar *end, guint64 max, guint64 *out)
{
	const gchar *start = *p;
	guint64 v = 0;
	while (*p < end && g_ascii_isdigit(**p)) {
		guint d = (guint)(**p - '0');
		if (d > max || v > (max - d) / 10)
			return FALSE;
		v = v * 10 + d;
		(*p)++;
	}
	if (*p - start > 1 && *start == '0')
		return FALSE;
	*out = v;
	return TRUE;
}

/* json-glib trusts what it is given: a huge integer wraps, 1e999 is infinite */
static gboolean
rc_sio_number_ok(const gchar *start, gsize len)
{
	gchar buf[64];
	g_autofree gchar *heap = NULL;
	gchar *token = buf;
	gint64 v;

	/* the data is not NUL-terminated: the parsers below want a copy */
	if (len < sizeof(buf)) {
		memcpy(buf, start, len);
		buf[len] = '\0';
	} else {
		token = heap = g_strndup(start, len);
	}
	if (strpbrk(token, ".eE") == NULL)
		return g_ascii_string_to_signed(token, 10, G_MININT64, G_MAXINT64, &v, NULL);
	return isfinite(g_ascii_strtod(token, NULL));
}

/* after the strict reader: the caller's depth bound and the numbers json-glib keeps exactly */
static gboolean
rc_sio_json_scan(const gchar *json, gsize len, guint max_depth, GError **error)
{
	const gchar *p = json;
	const gchar *end = json + len;
	guint depth = 0;

	while (p < end) {
		gchar c = *p;
		if (c == '"') {
			for (p++; p < end && *p != '"'; p++) {
				if (*p == '\\')
					p++;
			}
			p++;
			continue;
		}
		if (c == '[' || c == '{') {
			if (++depth > max_depth) {
				g_set_error(error,
					    RC_SIO_ERROR,
					    RC_SIO_ERROR_MALFORMED,
					    _("JSON data nested deeper than %u levels"),
					    max_depth);
				return FALSE;
			}
		} else if (c == ']' || c == '}') {
			depth--;
		} else if (c == '-' || g_ascii_isdigit(c)) {
			const gchar *start = p;
			while (p < end && (g_ascii_isdigit(*p) || *p == '-' || *p == '+' ||
					   *p == '.' || *p == 'e' || *p == 'E'))
				p++;
			if (!rc_sio_number_ok(start, p - start)) {
				g_set_error(error,
					    RC_SIO_ERROR,
					    RC_SIO_ERROR_MALFORMED,
					    _("JSON number at byte %u is out of range"),
					    (guint)(start - json));
				return FALSE;
			}
			continue;
		}
		p++;
	}
	return TRUE;
}

static JsonNode *
rc_sio_parse_json(const gchar *json, gsize len, guint max_depth, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(JsonParser) parser = NULL;
	RcJsonReader reader;

	/* json-glib accepts comments, hex, single quotes, raw control characters and
	 * a second value after the first: the strict reader rules on the syntax */
	rc_json_reader_init(&reader, json, len);
	if (!rc_json_reader_skip_value(&reader, &local) || !rc_json_reader_end(&reader, &local)) {
		g_set_error(error,
			    RC_SIO_ERROR,
			    RC_SIO_ERROR_MALFORMED,
			    _("packet data: %s"),
			    local->message);
		return NULL;
	}
	if (!rc_sio_json_scan(json, len, max_depth, error))
		return NULL;
	parser = json_parser_new();
	if (!json_parser_load_from_data(parser, json, (gssize)len, &local)) {
		g_set_error(error,
			    RC_SIO_ERROR,
			    RC_SIO_ERROR_MALFORMED,
			    _("packet data: %s"),
			    local->message);
		return NULL;
	}
	return json_parser_steal_root(parser);
}

static gboolean
rc_sio_check_event(RcSioPacket *packet, GError **error)
{
	JsonArray *args = json_node_get_array(packet->data);
	JsonNode *name;

	if (json_array_get_length(args) == 0)
		return rc_sio_fail(error, _("an EVENT array needs the event name first"));
	name = json_array_get_element(args, 0);
	if (!JSON_NODE_HOLDS_VALUE(name) || json_node_get_value_type(name) != G_TYPE_STRING)
		return rc_sio_fail(error, _("the event name must be a string"));
	packet->event = json_node_get_string(name);
	for (guint i = 0; i < G_N_ELEMENTS(rc_sio_reserved_events); i++) {
		if (g_strcmp0(packet->event, rc_sio_reserved_events[i]) == 0) {
			g_set_error(error,
				    RC_SIO_ERROR,
				    RC_SIO_ERROR_MALFORMED,
				    _("“%s” is a reserved event name"),
				    packet->event);
			packet->event = NULL;
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
rc_sio_packet_parse(const gchar *data,
		    gsize len,
		    gsize max_bytes,
		    guint max_depth,
		    RcSioPacket *packet,
		    GError **error)
{
	const gchar *p = data;
	const gchar *end = data + len;
	RcSioPacketType type;
	gboolean binary;
	gsize json_len;

	g_return_val_if_fail(data != NULL || len == 0, FALSE);
	g_return_val_if_fail(packet != NULL, FALSE);

	rc_sio_packet_clear(packet);
	if (len > max_bytes) {
		g_set_error(error,
			    RC_SIO_ERROR,
			    RC_SIO_ERROR_TOO_LARGE,
			    _("packet of %zu bytes is over the limit of %zu"),
			    len,
			    max_bytes);
		return FALSE;
	}
	if (len == 0)
		return rc_sio_fail(error, _("empty packet"));
	/* NUL is refused too */
	if (!rc_protocol_utf8_validate(data, len))
		return rc_sio_fail(error, _("packet is not valid UTF-8"));
	if (*p < '0' || *p > '6')
		return rc_sio_fail(error, _("packet type must be a digit 0–6"));
	type = (RcSioPacketType)(*p++ - '0');
	binary = type == RC_SIO_PACKET_BINARY_EVENT || type == RC_SIO_PACKET_BINARY_ACK;

	if (binary) {
		guint64 n = 0;
		if (p >= end || !g_ascii_isdigit(*p) ||
		    !rc_sio_read_decimal(&p, end, RC_SIO_MAX_ATTACHMENTS, &n) || n == 0 ||
		    p >= end || *p != '-') {
			g_set_error(
			    error,
			    RC_SIO_ERROR,
			    RC_SIO_ERROR_MALFORMED,
			    _("a binary packet starts with its attachment count, 1–%u, and “-”"),
			    (guint)RC_SIO_MAX_ATTACHMENTS);
			return FALSE;
		}
		p++;
		packet->attachments = (guint)n;
	}

	if (p < end && *p == '/') {
		const gchar *start = p;
		gsize nsp_len;
		for (; p < end && *p != ','; p++) {
			if (*p == '[' || *p == '{')
				return rc_sio_fail(error,
						   _("the namespace must be followed by “,”"));
			if (!rc_sio_namespace_char(*p))
				return rc_sio_fail(error, _("invalid character in the namespace"));
		}
		nsp_len = p - start;
		if (nsp_len > RC_SIO_MAX_NAMESPACE_BYTES) {
			g_set_error(error,
				    RC_SIO_ERROR,
				    RC_SIO_ERROR_MALFORMED,
				    _("the namespace is longer than %u bytes"),
				    (guint)RC_SIO_MAX_NAMESPACE_BYTES);
			return FALSE;
		}
		if (nsp_len == 1)
			return rc_sio_fail(error, _("the main namespace “/” is never written out"));
		packet->nsp = g_strndup(start, nsp_len);
		/* a packet without data may end right after the namespace */
		if (p < end)
			p++;
	} else {
		packet->nsp = g_strdup("/");
	}

	if (p < end && g_ascii_isdigit(*p)) {
		guint64 id = 0;
		if (type != RC_SIO_PACKET_EVENT && type != RC_SIO_PACKET_ACK && !binary) {
			g_set_error(error,
				    RC_SIO_ERROR,
				    RC_SIO_ERROR_MALFORMED,
				    _("%s packets have no ack id"),
				    rc_sio_packet_type_to_string(type));
			return FALSE;
		}
		if (*p == '0' && p + 1 < end && g_ascii_isdigit(p[1]))
			return rc_sio_fail(error, _("ack id with a leading zero"));
		if (!rc_sio_read_decimal(&p, end, RC_SIO_MAX_ACK_ID, &id))
			return rc_sio_fail(error, _("ack id out of range: at most 2^53 - 1"));
		packet->ack_id = (gint64)id;
	} else if (type == RC_SIO_PACKET_ACK || type == RC_SIO_PACKET_BINARY_ACK) {
		g_set_error(error,
			    RC_SIO_ERROR,
			    RC_SIO_ERROR_MALFORMED,
			    _("%s packets need an ack id"),
			    rc_sio_packet_type_to_string(type));
		return FALSE;
	}

	json_len = end - p;
	switch (type) {
	case RC_SIO_PACKET_CONNECT:
		if (json_len > 0 && *p != '{')
			return rc_sio_fail(error, _("CONNECT data must be a JSON object"));
		break;
	case RC_SIO_PACKET_DISCONNECT:
		if (json_len > 0)
			return rc_sio_fail(error, _("DISCONNECT packets carry no data"));
		break;
	case RC_SIO_PACKET_EVENT:
		if (json_len == 0 || *p != '[')
			return rc_sio_fail(
			    error,
			    _("EVENT data must be a JSON array of the event name and arguments"));
		break;
	case RC_SIO_PACKET_ACK:
		if (json_len == 0 || *p != '[')
			return rc_sio_fail(error, _("ACK data must be a JSON array"));
		break;
	case RC_SIO_PACKET_CONNECT_ERROR:
		if (json_len == 0 || *p != '{')
			return rc_sio_fail(error, _("CONNECT_ERROR data must be a JSON object"));
		break;
	case RC_SIO_PACKET_BINARY_EVENT:
	case RC_SIO_PACKET_BINARY_ACK:
	default:
		/* the placeholders in the data are never resolved: no need to parse it */
		if (json_len == 0 || *p != '[')
			return rc_sio_fail(error, _("binary packet data must be a JSON array"));
		packet->type = type;
		g_set_error(error,
			    RC_SIO_ERROR,
			    RC_SIO_ERROR_BINARY,
			    _("binary packets (%s) are not supported"),
			    rc_sio_packet_type_to_string(type));
		return FALSE;
	}

	if (json_len > 0) {
		packet->data = rc_sio_parse_json(p, json_len, max_depth, error);
		if (packet->data == NULL)
			return FALSE;
	}
	if (type == RC_SIO_PACKET_EVENT && !rc_sio_check_event(packet, error))
		return FALSE;
	packet->type = type;
	return TRUE;
}

void
rc_sio_packet_append(
    GString *out, RcSioPacketType type, const gchar *nsp, gint64 ack_id, const gchar *json)
{
	gboolean named = nsp != NULL && g_strcmp0(nsp, "/") != 0;

	g_return_if_fail(out != NULL);
	g_return_if_fail((guint)type <= RC_SIO_PACKET_CONNECT_ERROR);
	g_return_if_fail(!named || (nsp[0] == '/' && strchr(nsp, ',') == NULL));
	g_return_if_fail(ack_id == RC_SIO_NO_ACK_ID ||
			 (ack_id >= 0 && ack_id <= RC_SIO_MAX_ACK_ID));

	g_string_append_c(out, (gchar)('0' + type));
	if (named) {
		g_string_append(out, nsp);
		g_string_append_c(out, ',');
	}
	if (ack_id != RC_SIO_NO_ACK_ID)
		rc_protocol_append_int64(out, ack_id);
	if (json != NULL)
		g_string_append(out, json);
}

GBytes *
rc_sio_packet_build_connect(const gchar *nsp, const gchar *sid)
{
	GString *s;

	g_return_val_if_fail(sid != NULL, NULL);

	s = g_string_sized_new(64);
	rc_sio_packet_append(s, RC_SIO_PACKET_CONNECT, nsp, RC_SIO_NO_ACK_ID, "{\"sid\":");
	rc_protocol_append_json_string(s, sid);
	g_string_append_c(s, '}');
	return g_string_free_to_bytes(s);
}

GBytes *
rc_sio_packet_build_connect_error(const gchar *nsp, const gchar *message, const gchar *data_json)
{
	GString *s;

	g_return_val_if_fail(message != NULL, NULL);

	s = g_string_sized_new(64);
	rc_sio_packet_append(
	    s, RC_SIO_PACKET_CONNECT_ERROR, nsp, RC_SIO_NO_ACK_ID, "{\"message\":");
	rc_protocol_append_json_string(s, message);
	if (data_json != NULL) {
		g_string_append(s, ",\"data\":");
		g_string_append(s, data_json);
	}
	g_string_append_c(s, '}');
	return g_string_free_to_bytes(s);
}

GBytes *
rc_sio_packet_build_disconnect(const gchar *nsp)
{
	GString *s = g_string_sized_new(16);
	rc_sio_packet_append(s, RC_SIO_PACKET_DISCONNECT, nsp, RC_SIO_NO_ACK_ID, NULL);
	return g_string_free_to_bytes(s);
}

GBytes *
rc_sio_packet_build_event(const gchar *nsp, const gchar *event, const gchar *args_json)
{
	GString *s;
	const gchar *rest = NULL;

	g_return_val_if_fail(event != NULL, NULL);
	g_return_val_if_fail(args_json == NULL || args_json[0] == '[', NULL);

	if (args_json != NULL) {
		rest = args_json + 1;
		while (g_ascii_isspace(*rest))
			rest++;
	}
	s = g_string_sized_new(32 + strlen(event) + (args_json != NULL ? strlen(args_json) : 0));
	rc_sio_packet_append(s, RC_SIO_PACKET_EVENT, nsp, RC_SIO_NO_ACK_ID, "[");
	rc_protocol_append_json_string(s, event);
	/* ["a","b"] becomes ["event","a","b"]; [] becomes ["event"] */
	if (rest != NULL && *rest != ']')
		g_string_append_c(s, ',');
	g_string_append(s, rest != NULL ? rest : "]");
	return g_string_free_to_bytes(s);
}

GBytes *
rc_sio_packet_build_ack(const gchar *nsp, gint64 ack_id, const gchar *args_json)
{
	GString *s;

	g_return_val_if_fail(ack_id >= 0 && ack_id <= RC_SIO_MAX_ACK_ID, NULL);
	g_return_val_if_fail(args_json != NULL && args_json[0] == '[', NULL);

	s = g_string_sized_new(16 + strlen(args_json));
	rc_sio_packet_append(s, RC_SIO_PACKET_ACK, nsp, ack_id, args_json);
	return g_string_free_to_bytes(s);
}
