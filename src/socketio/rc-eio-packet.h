/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Engine.IO protocol 4 packets, the layer under Socket.IO: one packet per
 * WebSocket frame, or several in an HTTP long-polling body separated by the
 * record separator 0x1e. Errors are RC_EIO_ERROR. */
#define RC_EIO_ERROR (rc_eio_error_quark())
GQuark rc_eio_error_quark(void);
typedef enum {
	RC_EIO_ERROR_MALFORMED,
	RC_EIO_ERROR_TOO_LARGE,
	RC_EIO_ERROR_TOO_MANY_PACKETS,
} RcEioError;

/* the values are the type digits of the wire format */
typedef enum {
	RC_EIO_PACKET_OPEN = 0,
	RC_EIO_PACKET_CLOSE = 1,
	RC_EIO_PACKET_PING = 2,
	RC_EIO_PACKET_PONG = 3,
	RC_EIO_PACKET_MESSAGE = 4,
	RC_EIO_PACKET_UPGRADE = 5,
	RC_EIO_PACKET_NOOP = 6,
} RcEioPacketType;

#define RC_EIO_RECORD_SEPARATOR '\x1e'

/* A parsed packet is a view into the buffer it was parsed from: @data is not
 * NUL-terminated and lives as long as that buffer. A binary packet is always a
 * message; from a polling body (or a text frame) its @data is the base64 text
 * after the "b", from a binary WebSocket frame the raw bytes. Text data is
 * valid UTF-8 without NUL or 0x1e. */
typedef struct {
	RcEioPacketType type;
	gboolean binary;
	const gchar *data;
	gsize len;
} RcEioPacket;

/* "open", "close", …; "unknown" for anything else */
const gchar *rc_eio_packet_type_to_string(RcEioPacketType type);

/* Parses one WebSocket frame's payload. @binary_frame says the frame was a
 * binary one: it is a binary message, whatever its bytes. */
gboolean rc_eio_packet_parse_frame(
    const gchar *data, gsize len, gboolean binary_frame, RcEioPacket *packet, GError **error);

/* Splits and parses an HTTP long-polling request body. Refuses a body over
 * @max_bytes (RC_EIO_ERROR_TOO_LARGE) or of more than @max_packets packets
 * (RC_EIO_ERROR_TOO_MANY_PACKETS) before building anything, and any malformed
 * packet, an empty one included. Returns an array of RcEioPacket that point
 * into @data. */
GArray *rc_eio_payload_parse(
    const gchar *data, gsize len, gsize max_bytes, guint max_packets, GError **error);

/* Appends "<type digit><data>". Close, upgrade and noop carry no data. */
void rc_eio_packet_append(GString *out, RcEioPacketType type, const gchar *data, gsize len);
/* one packet: a WebSocket text frame's payload, or one element of a payload */
GBytes *rc_eio_packet_encode(RcEioPacketType type, const gchar *data, gsize len);

/* The open packet of the handshake: "0{"sid":…,"upgrades":[…],"pingInterval":…,
 * "pingTimeout":…,"maxPayload":…}". @offer_websocket puts "websocket" in the
 * upgrades, which only a polling session can use. Times are milliseconds. */
GBytes *rc_eio_packet_build_open(const gchar *sid,
				 gboolean offer_websocket,
				 guint ping_interval_ms,
				 guint ping_timeout_ms,
				 guint64 max_payload);

/* Appends one encoded packet to a polling response body, after a separator
 * unless it is the first. */
void rc_eio_payload_append(GString *payload, const gchar *packet, gsize len);
/* the polling response body of @n_packets encoded packets (at least one) */
GBytes *rc_eio_payload_encode(GBytes *const *packets, guint n_packets);

/* The error codes of an Engine.IO server's HTTP 400 answers */
typedef enum {
	RC_EIO_HTTP_UNKNOWN_TRANSPORT = 0,
	RC_EIO_HTTP_UNKNOWN_SID = 1,
	RC_EIO_HTTP_BAD_HANDSHAKE_METHOD = 2,
	RC_EIO_HTTP_BAD_REQUEST = 3,
	RC_EIO_HTTP_FORBIDDEN = 4,
	RC_EIO_HTTP_UNSUPPORTED_PROTOCOL_VERSION = 5,
} RcEioHttpError;

/* {"code":N,"message":"<the protocol's words for N>"[,"detail":@detail]}: the
 * JSON body of such an answer, @detail saying what exactly was wrong */
GBytes *rc_eio_build_http_error(RcEioHttpError code, const gchar *detail);

G_END_DECLS
