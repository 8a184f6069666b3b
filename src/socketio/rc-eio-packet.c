/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcEioPacket"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "protocol/rc-protocol.h"
#include "socketio/rc-eio-packet.h"

G_DEFINE_QUARK(rc-eio-error-quark, rc_eio_error)

const gchar *
rc_eio_packet_type_to_string(RcEioPacketType type)
{
	static const gchar *const names[] = {
	    "open", "close", "ping", "pong", "message", "upgrade", "noop"};
	if ((guint)type >= G_N_ELEMENTS(names))
		return "unknown";
	return names[type];
}

/* what a base64 encoder of the client writes: padded, standard alphabet */
static gboolean
rc_eio_base64_valid(const gchar *s, gsize len)
{
	if (len % 4 != 0)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		gchar c = s[i];
		if (g_ascii_isalnum(c) || c == '+' || c == '/')
			continue;
		if (c == '=' && i + 2 >= len && (i + 1 == len || s[i + 1] == '='))
			continue;
		return FALSE;
	}
	return TRUE;
}

/* one packet of a polling body (already split at the separators) or a text frame */
static gboolean
rc_eio_packet_parse_text(const gchar *data, gsize len, RcEioPacket *packet, GError **error)
{
	RcEioPacketType type;

	if (len == 0) {
		g_set_error(error, RC_EIO_ERROR, RC_EIO_ERROR_MALFORMED, _("empty packet"));
		return FALSE;
	}
	/* NUL is refused here too */
	if (!rc_protocol_utf8_validate(data, len)) {
		g_set_error(error,
			    RC_EIO_ERROR,
			    RC_EIO_ERROR_MALFORMED,
			    _("packet is not valid UTF-8 text"));
		return FALSE;
	}
	if (memchr(data, RC_EIO_RECORD_SEPARATOR, len) != NULL) {
		g_set_error(error,
			    RC_EIO_ERROR,
			    RC_EIO_ERROR_MALFORMED,
			    _("record separator 0x1e inside a packet"));
		return FALSE;
	}
	if (data[0] == 'b') {
		if (!rc_eio_base64_valid(data + 1, len - 1)) {
			g_set_error(error,
				    RC_EIO_ERROR,
				    RC_EIO_ERROR_MALFORMED,
				    _("binary packet is not valid padded base64"));
			return FALSE;
		}
		packet->type = RC_EIO_PACKET_MESSAGE;
		packet->binary = TRUE;
		packet->data = data + 1;
		packet->len = len - 1;
		return TRUE;
	}
	if (data[0] < '0' || data[0] > '6') {
		g_set_error(error,
			    RC_EIO_ERROR,
			    RC_EIO_ERROR_MALFORMED,
			    _("packet type must be a digit 0–6 or “b”"));
		return FALSE;
	}
	type = (RcEioPacketType)(data[0] - '0');
	switch (type) {
	case RC_EIO_PACKET_OPEN:
		if (len == 1) {
			g_set_error(error,
				    RC_EIO_ERROR,
				    RC_EIO_ERROR_MALFORMED,
				    _("open packet without handshake data"));
			return FALSE;
		}
		break;
	case RC_EIO_PACKET_CLOSE:
	case RC_EIO_PACKET_UPGRADE:
	case RC_EIO_PACKET_NOOP:
		if (len > 1) {
			g_set_error(error,
				    RC_EIO_ERROR,
				    RC_EIO_ERROR_MALFORMED,
				    _("“%s” packets carry no data"),
				    rc_eio_packet_type_to_string(type));
			return FALSE;
		}
		break;
	case RC_EIO_PACKET_PING:
	case RC_EIO_PACKET_PONG:
	case RC_EIO_PACKET_MESSAGE:
	default:
		break;
	}
	packet->type = type;
	packet->binary = FALSE;
	packet->data = data + 1;
	packet->len = len - 1;
	return TRUE;
}

gboolean
rc_eio_packet_parse_frame(
    const gchar *data, gsize len, gboolean binary_frame, RcEioPacket *packet, GError **error)
{
	g_return_val_if_fail(data != NULL || len == 0, FALSE);
	g_return_val_if_fail(packet != NULL, FALSE);

	if (binary_frame) {
		/* the frame opcode is the only type a binary frame has */
		packet->type = RC_EIO_PACKET_MESSAGE;
		packet->binary = TRUE;
		packet->data = data;
		packet->len = len;
		return TRUE;
	}
	return rc_eio_packet_parse_text(data, len, packet, error);
}

GArray *
rc_eio_payload_parse(
    const gchar *data, gsize len, gsize max_bytes, guint max_packets, GError **error)
{
	g_autoptr(GArray) packets = NULL;
	const gchar *p = data;
	const gchar *end = data + len;
	guint count = 1;

	g_return_val_if_fail(data != NULL || len == 0, NULL);

	if (len > max_bytes) {
		g_set_error(error,
			    RC_EIO_ERROR,
			    RC_EIO_ERROR_TOO_LARGE,
			    _("payload of %zu bytes is over the limit of %zu"),
			    len,
			    max_bytes);
		return NULL;
	}
	if (len == 0) {
		g_set_error(error, RC_EIO_ERROR, RC_EIO_ERROR_MALFORMED, _("empty payload"));
		return NULL;
	}
	/* count first, so a flood of separators costs no allocation */
	for (const gchar *q = data; count <= max_packets && q < end; q++) {
		q = memchr(q, RC_EIO_RECORD_SEPARATOR, end - q);
		if (q == NULL)
			break;
		count++;
	}
	if (count > max_packets) {
		g_set_error(error,
			    RC_EIO_ERROR,
			    RC_EIO_ERROR_TOO_MANY_PACKETS,
			    _("payload has more than %u packets"),
			    max_packets);
		return NULL;
	}

	packets = g_array_sized_new(FALSE, FALSE, sizeof(RcEioPacket), count);
	for (guint i = 0; i < count; i++) {
		const gchar *sep = memchr(p, RC_EIO_RECORD_SEPARATOR, end - p);
		const gchar *stop = sep != NULL ? sep : end;
		RcEioPacket packet = {0};
		if (!rc_eio_packet_parse_text(p, stop - p, &packet, error)) {
			g_prefix_error(error, _("packet %u of the payload: "), i + 1);
			return NULL;
		}
		g_array_append_val(packets, packet);
		p = stop + 1;
	}
	return g_steal_pointer(&packets);
}

void
rc_eio_packet_append(GString *out, RcEioPacketType type, const gchar *data, gsize len)
{
	g_return_if_fail(out != NULL);
	g_return_if_fail((guint)type <= RC_EIO_PACKET_NOOP);
	g_return_if_fail(data != NULL || len == 0);
	g_return_if_fail(len == 0 || (type != RC_EIO_PACKET_CLOSE &&
				      type != RC_EIO_PACKET_UPGRADE && type != RC_EIO_PACKET_NOOP));

	g_string_append_c(out, (gchar)('0' + type));
	if (len > 0)
		g_string_append_len(out, data, (gssize)len);
}

GBytes *
rc_eio_packet_encode(RcEioPacketType type, const gchar *data, gsize len)
{
	GString *s = g_string_sized_new(len + 1);
	rc_eio_packet_append(s, type, data, len);
	return g_string_free_to_bytes(s);
}

GBytes *
rc_eio_packet_build_open(const gchar *sid,
			 gboolean offer_websocket,
			 guint ping_interval_ms,
			 guint ping_timeout_ms,
			 guint64 max_payload)
{
	GString *s;

	g_return_val_if_fail(sid != NULL && *sid != '\0', NULL);

	s = g_string_new("0{\"sid\":");
	rc_protocol_append_json_string(s, sid);
	g_string_append(s, offer_websocket ? ",\"upgrades\":[\"websocket\"]" : ",\"upgrades\":[]");
	g_string_append_printf(
	    s,
	    ",\"pingInterval\":%u,\"pingTimeout\":%u,\"maxPayload\":%" G_GUINT64_FORMAT "}",
	    ping_interval_ms,
	    ping_timeout_ms,
	    max_payload);
	return g_string_free_to_bytes(s);
}

void
rc_eio_payload_append(GString *payload, const gchar *packet, gsize len)
{
	g_return_if_fail(payload != NULL);
	g_return_if_fail(packet != NULL && len > 0);
	/* the separator is the framing: a packet holding one would split in two */
	g_return_if_fail(memchr(packet, RC_EIO_RECORD_SEPARATOR, len) == NULL);

	if (payload->len > 0)
		g_string_append_c(payload, RC_EIO_RECORD_SEPARATOR);
	g_string_append_len(payload, packet, (gssize)len);
}

GBytes *
rc_eio_payload_encode(GBytes *const *packets, guint n_packets)
{
	GString *s;
	gsize total = 0;

	g_return_val_if_fail(packets != NULL && n_packets > 0, NULL);

	for (guint i = 0; i < n_packets; i++)
		total += g_bytes_get_size(packets[i]) + 1;
	s = g_string_sized_new(total);
	for (guint i = 0; i < n_packets; i++) {
		gsize len = 0;
		const gchar *data = g_bytes_get_data(packets[i], &len);
		rc_eio_payload_append(s, data, len);
	}
	return g_string_free_to_bytes(s);
}

GBytes *
rc_eio_build_http_error(RcEioHttpError code, const gchar *detail)
{
	/* the reference server's words, which clients and proxies may match on */
	static const gchar *const messages[] = {
	    "Transport unknown",
	    "Session ID unknown",
	    "Bad handshake method",
	    "Bad request",
	    "Forbidden",
	    "Unsupported protocol version",
	};
	GString *s;

	g_return_val_if_fail((guint)code < G_N_ELEMENTS(messages), NULL);

	s = g_string_new(NULL);
	g_string_append_printf(s, "{\"code\":%u,\"message\":", (guint)code);
	rc_protocol_append_json_string(s, messages[code]);
	if (detail != NULL) {
		g_string_append(s, ",\"detail\":");
		rc_protocol_append_json_string(s, detail);
	}
	g_string_append_c(s, '}');
	return g_string_free_to_bytes(s);
}
