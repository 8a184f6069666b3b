/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Where a published message came from; filters may treat them differently. */
typedef enum {
	RC_SOURCE_WEBSOCKET,
	RC_SOURCE_HTTP,
	RC_SOURCE_DBUS,
	RC_SOURCE_INGRESS, /* the durable ingress stream */
} RcSource;

/* The ways a node writes a room event to its members. A message keeps one ready
 * frame per format, built by the first member that needs it: a room whose members
 * all speak one protocol never pays for the others. */
typedef enum {
	RC_WIRE_WS,          /* a complete WebSocket text frame of the /ws JSON protocol */
	RC_WIRE_SIO_WS,      /* a WebSocket text frame of a socket.io event packet */
	RC_WIRE_SIO_POLLING, /* the same packet, unframed, for long-polling */
	RC_WIRE_N_FORMATS
} RcWireFormat;

/* One chat message on its way through a node. Immutable once delivered; its wire
 * forms are serialized once and shared by every recipient. */
typedef struct _RcMessage RcMessage;

#define RC_TYPE_MESSAGE (rc_message_get_type())
GType rc_message_get_type(void);

RcMessage *rc_message_new(const gchar *ns,
			  const gchar *room_code,
			  const gchar *sender,
			  const gchar *text,
			  const gchar *id,
			  gint64 ts,
			  const gchar *origin);
RcMessage *rc_message_ref(RcMessage *self);
void rc_message_unref(RcMessage *self);

const gchar *rc_message_get_namespace(RcMessage *self);
const gchar *rc_message_get_room_code(RcMessage *self);
const gchar *rc_message_get_sender(RcMessage *self);
const gchar *rc_message_get_text(RcMessage *self);
const gchar *rc_message_get_id(RcMessage *self);
gint64 rc_message_get_ts(RcMessage *self);
/* node that accepted it; NULL for an outside publisher */
const gchar *rc_message_get_origin(RcMessage *self);
/* the room offset, 0 for a message that has none (published straight onto Redis) */
guint64 rc_message_get_offset(RcMessage *self);
/* the epoch of the offset; NULL when there is no offset */
const gchar *rc_message_get_epoch(RcMessage *self);

/* Setters for what a message learns on its way in, before it is delivered: an id and
 * a ts for an outside publisher's payload, the offset the bus assigned. */
void rc_message_set_id(RcMessage *self, const gchar *id);
void rc_message_set_ts(RcMessage *self, gint64 ts);
void rc_message_set_offset(RcMessage *self, const gchar *epoch, guint64 offset);
/* when the engine took it from the bus (g_get_monotonic_time()), for the delivery
 * latency; 0 for a message read from history */
gint64 rc_message_get_accepted_at(RcMessage *self);
void rc_message_set_accepted_at(RcMessage *self, gint64 accepted_at);

/* the cached frame for @format, or NULL when no member asked for it yet */
GBytes *rc_message_peek_frame(RcMessage *self, RcWireFormat format);
/* caches @frame (a reference is taken) and returns it */
GBytes *rc_message_set_frame(RcMessage *self, RcWireFormat format, GBytes *frame);

/* the Redis payload: the shared Message plus id, ts and origin (cached) */
GBytes *rc_message_get_payload(RcMessage *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcMessage, rc_message_unref)

G_END_DECLS
