/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "rc-message.h"
#include "rc-presence.h"

G_BEGIN_DECLS

/* The wire codec: client frames in, server frames and Redis payloads both ways,
 * and the rules for names. Errors are RC_PROTOCOL_ERROR. */
#define RC_PROTOCOL_ERROR (rc_protocol_error_quark())
GQuark rc_protocol_error_quark(void);
typedef enum {
	RC_PROTOCOL_ERROR_BAD_REQUEST,
	RC_PROTOCOL_ERROR_TOO_LARGE,
} RcProtocolError;

typedef enum {
	RC_FRAME_JOIN,
	RC_FRAME_LEAVE,
	RC_FRAME_SEND,
	RC_FRAME_PING,
	RC_FRAME_HISTORY,
	RC_FRAME_WHO,
} RcFrameType;

typedef struct {
	RcFrameType type;
	gchar *ns;
	gchar *room_code;
	gchar *text;
	gchar *ref; /* NULL when the client gave none */
	/* join */
	gint64 history; /* -1: not asked */
	gboolean since;
	gchar *since_epoch;
	guint64 since_offset;
	gboolean presence;
	/* history */
	guint64 limit;	/* 0: not given */
	guint64 before; /* 0: not given */
} RcClientFrame;

void rc_client_frame_clear(RcClientFrame *frame);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(RcClientFrame, rc_client_frame_clear)

/* what g_utf8_validate() answers for @len bytes (NUL is refused), faster on ASCII */
gboolean rc_protocol_utf8_validate(const gchar *data, gsize len);
gboolean rc_protocol_validate_namespace(const gchar *ns, GError **error);
gboolean rc_protocol_validate_room_code(const gchar *room_code, GError **error);
gboolean rc_protocol_validate_sender(const gchar *sender, GError **error);
gboolean rc_protocol_validate_text(const gchar *text, gsize max_text_bytes, GError **error);
gboolean rc_protocol_validate_epoch(const gchar *epoch, GError **error);

/* Parses one client text frame. Even on error, @frame->ref is set when the frame
 * carried one, so the error can echo it. */
gboolean rc_protocol_parse_client_frame(const gchar *data,
					gsize len,
					gsize max_text_bytes,
					RcClientFrame *frame,
					GError **error);

/* Parses a Redis payload or a POST /publish body: the shared Message, optionally
 * with id, ts and origin. A missing ts is left 0 for the caller to fill. */
RcMessage *rc_protocol_parse_message(const gchar *data,
				     gsize len,
				     gsize max_text_bytes,
				     GError **error);

void rc_protocol_append_json_string(GString *s, const gchar *str);

/* Decimal integers without printf, which costs more than the rest of a message
 * frame together. @buf needs RC_PROTOCOL_UINT64_DIGITS bytes; no terminator. */
#define RC_PROTOCOL_UINT64_DIGITS 20
gsize rc_protocol_format_uint64(gchar *buf, guint64 value);
void rc_protocol_append_uint64(GString *s, guint64 value);
void rc_protocol_append_int64(GString *s, gint64 value);

/* {"type":"presence","namespace","roomCode","event","client","sender","node"}: what
 * /ws members get, and the Redis payload of a presence event */
GBytes *rc_protocol_build_presence(RcPresence *presence);
/* {"client","sender","node"}: a presence entry as Redis keeps it */
GBytes *rc_protocol_build_presence_entry(RcPresence *presence);
/* a presence event or entry (without namespace and roomCode, taken from @ns and
 * @room_code then) */
RcPresence *rc_protocol_parse_presence(const gchar *data,
				       gsize len,
				       const gchar *ns,
				       const gchar *room_code,
				       GError **error);
/* {"type":"members","namespace","roomCode","ref","members":[{client,sender,node}...]} */
GBytes *rc_protocol_build_members(const gchar *ns,
				  const gchar *room_code,
				  const gchar *ref,
				  GPtrArray *members);
void rc_protocol_append_presence_entry(GString *s, RcPresence *presence);

/* {"type":"MSG_TO_CLIENTS",...} as /ws clients receive it */
GBytes *rc_protocol_build_message(RcMessage *msg);
/* a message's "namespace","roomCode","id","ts"[,"offset"] members, without braces
 * (what socket.io clients get as the event's second argument) */
void rc_protocol_append_message_meta(GString *s, RcMessage *msg);
/* the message's {"sender","text"} object, its "msg" member */
void rc_protocol_append_message_body(GString *s, RcMessage *msg);
/* appends the MSG_TO_CLIENTS object, without "type" unless @with_type (history items) */
void rc_protocol_append_message(GString *s, RcMessage *msg, gboolean with_type);
/* the Redis payload: the shared Message plus id, ts, offset, origin and epoch */
GBytes *rc_protocol_build_payload(RcMessage *msg);

GBytes *rc_protocol_build_hello(const gchar *node, const gchar *client, const gchar *sender);
/* @type is "joined" or "left"; @reason may be NULL */
GBytes *rc_protocol_build_room_reply(const gchar *type,
				     const gchar *ns,
				     const gchar *room_code,
				     const gchar *ref,
				     const gchar *reason);
/* {"type":"joined",...,"epoch","offset"[,"recovered"]} */
GBytes *rc_protocol_build_joined(const gchar *ns,
				 const gchar *room_code,
				 const gchar *ref,
				 const gchar *epoch,
				 guint64 offset,
				 gboolean with_recovered,
				 gboolean recovered);
/* {"type":"history",...,"epoch","messages":[MSG_TO_CLIENTS without type, ...]} */
GBytes *rc_protocol_build_history(const gchar *ns,
				  const gchar *room_code,
				  const gchar *ref,
				  const gchar *epoch,
				  GPtrArray *messages);
GBytes *rc_protocol_build_ack(const gchar *ref, const gchar *id);
GBytes *rc_protocol_build_pong(const gchar *ref);
GBytes *rc_protocol_build_error(const gchar *code, const gchar *message, const gchar *ref);

G_END_DECLS
