/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* One chat message on its way through a node. Immutable once built; its two wire
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
/* gives an id to a message from an outside publisher that came without one */
void rc_message_set_id(RcMessage *self, const gchar *id);
/* stamps a message from an outside publisher that came without a ts */
void rc_message_set_ts(RcMessage *self, gint64 ts);

/* the MSG_TO_CLIENTS frame (cached) */
GBytes *rc_message_get_client_frame(RcMessage *self);
/* the MSG_TO_CLIENTS frame as a complete WebSocket frame, shared by all recipients */
GBytes *rc_message_get_ws_frame(RcMessage *self);
/* the Redis payload: the seed's Message plus id, ts and origin (cached) */
GBytes *rc_message_get_payload(RcMessage *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcMessage, rc_message_unref)

G_END_DECLS
