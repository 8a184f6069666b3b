/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>

#include "rc-message.h"

G_BEGIN_DECLS

/* Someone in a room: a presence entry (who is there, on which node), or an event
 * about one (@event "join" or "leave"). Like a message, an event keeps one ready
 * frame per wire format for the members that asked for events. */
typedef struct _RcPresence RcPresence;

#define RC_TYPE_PRESENCE (rc_presence_get_type())
GType rc_presence_get_type(void);

/* @event is NULL for an entry, else "join" or "leave" */
RcPresence *rc_presence_new(const gchar *ns,
			    const gchar *room_code,
			    const gchar *event,
			    const gchar *client,
			    const gchar *sender,
			    const gchar *node);
RcPresence *rc_presence_ref(RcPresence *self);
void rc_presence_unref(RcPresence *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcPresence, rc_presence_unref)

const gchar *rc_presence_get_namespace(RcPresence *self);
const gchar *rc_presence_get_room_code(RcPresence *self);
const gchar *rc_presence_get_event(RcPresence *self);
const gchar *rc_presence_get_client(RcPresence *self);
const gchar *rc_presence_get_sender(RcPresence *self);
const gchar *rc_presence_get_node(RcPresence *self);

GBytes *rc_presence_peek_frame(RcPresence *self, RcWireFormat format);
GBytes *rc_presence_set_frame(RcPresence *self, RcWireFormat format, GBytes *frame);

G_END_DECLS
