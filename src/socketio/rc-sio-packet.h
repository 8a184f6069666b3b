/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Socket.IO protocol 5 packets, each carried as the data of one Engine.IO
 * message packet:
 *   <type>[<attachments>-][<namespace>,][<ack id>][<JSON data>]
 * Errors are RC_SIO_ERROR. */
#define RC_SIO_ERROR (rc_sio_error_quark())
GQuark rc_sio_error_quark(void);
typedef enum {
	RC_SIO_ERROR_MALFORMED,
	RC_SIO_ERROR_TOO_LARGE,
	/* a well-formed BINARY_EVENT or BINARY_ACK, which is not supported */
	RC_SIO_ERROR_BINARY,
} RcSioError;

/* the values are the type digits of the wire format */
typedef enum {
	RC_SIO_PACKET_CONNECT = 0,
	RC_SIO_PACKET_DISCONNECT = 1,
	RC_SIO_PACKET_EVENT = 2,
	RC_SIO_PACKET_ACK = 3,
	RC_SIO_PACKET_CONNECT_ERROR = 4,
	RC_SIO_PACKET_BINARY_EVENT = 5,
	RC_SIO_PACKET_BINARY_ACK = 6,
} RcSioPacketType;

#define RC_SIO_NO_ACK_ID ((gint64)-1)
/* 2^53 - 1: the largest integer a JavaScript peer counts exactly */
#define RC_SIO_MAX_ACK_ID G_GINT64_CONSTANT(9007199254740991)
#define RC_SIO_MAX_NAMESPACE_BYTES 128
/* as many binary attachments as the reference parser accepts by default */
#define RC_SIO_MAX_ATTACHMENTS 10
/* the strict JSON reader that checks the data never goes deeper */
#define RC_SIO_MAX_JSON_DEPTH 32

typedef struct {
	RcSioPacketType type;
	gchar *nsp;	    /* "/" when the packet names none */
	gint64 ack_id;	    /* RC_SIO_NO_ACK_ID when the packet has none */
	guint attachments;  /* binary types only */
	JsonNode *data;	    /* NULL when the packet carries none */
	const gchar *event; /* EVENT: the event name, owned by @data */
} RcSioPacket;

void rc_sio_packet_clear(RcSioPacket *packet);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(RcSioPacket, rc_sio_packet_clear)

/* "CONNECT", "EVENT", …; "unknown" for anything else */
const gchar *rc_sio_packet_type_to_string(RcSioPacketType type);

/* Parses one packet (the data of an Engine.IO message). Strict: a namespace is
 * "/" and printable text (spaces and UTF-8 included) other than , [ ] { } " and
 * ends at a "," (or at the end of a packet without data), never the main namespace written out; an ack
 * id is 0..2^53-1 without leading zeros, only on EVENT and ACK (where it is
 * required) and their binary forms; the data is strict JSON, UTF-8, at most
 * @max_depth deep (at most RC_SIO_MAX_JSON_DEPTH), integers within 64 bits,
 * numbers finite:
 *   CONNECT        an object, or none
 *   DISCONNECT     none
 *   EVENT          a non-empty array whose first element, the event name, is a
 *                  string other than the names the client library reserves
 *   ACK            an array
 *   CONNECT_ERROR  an object
 * A packet over @max_bytes is RC_SIO_ERROR_TOO_LARGE. A binary event or ack is
 * checked up to its data and refused with RC_SIO_ERROR_BINARY; then, and only
 * then, @packet still holds its type, nsp, ack_id and attachments (the caller
 * answers it and skips that many binary packets that follow).
 * @packet must be zeroed or cleared; it is cleared first. */
gboolean rc_sio_packet_parse(const gchar *data,
			     gsize len,
			     gsize max_bytes,
			     guint max_depth,
			     RcSioPacket *packet,
			     GError **error);

/* Appends "<type>[<nsp>,][<ack id>][<json>]": @nsp NULL or "/" for the main
 * namespace, @ack_id RC_SIO_NO_ACK_ID for none, @json already serialized (or
 * NULL). No binary types. */
void rc_sio_packet_append(
    GString *out, RcSioPacketType type, const gchar *nsp, gint64 ack_id, const gchar *json);

/* The encoders below return the bare Socket.IO packet; a transport sends it as
 * an Engine.IO message ("4" in front). */

/* 0[<nsp>,]{"sid":"…"}: the namespace is joined */
GBytes *rc_sio_packet_build_connect(const gchar *nsp, const gchar *sid);
/* 4[<nsp>,]{"message":"…"[,"data":<data_json>]}: the namespace is refused */
GBytes *
rc_sio_packet_build_connect_error(const gchar *nsp, const gchar *message, const gchar *data_json);
/* 1[<nsp>,] */
GBytes *rc_sio_packet_build_disconnect(const gchar *nsp);
/* 2[<nsp>,]["<event>",<args>…]: @args_json is the serialized JSON array of the
 * arguments (or NULL for none), spliced in without being parsed again */
GBytes *rc_sio_packet_build_event(const gchar *nsp, const gchar *event, const gchar *args_json);
/* 3[<nsp>,]<ack id><args_json>: @args_json is a serialized JSON array */
GBytes *rc_sio_packet_build_ack(const gchar *nsp, gint64 ack_id, const gchar *args_json);

G_END_DECLS
