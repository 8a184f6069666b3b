/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Where a message entered this node. */
typedef enum {
	RC_PLUGIN_SOURCE_WEBSOCKET, /* a "send" frame; the connection id is set */
	RC_PLUGIN_SOURCE_HTTP,	    /* POST /publish */
	RC_PLUGIN_SOURCE_DBUS,	    /* the D-Bus Publish method */
} RcPluginSource;

/* What a filter plugin sees of a message before it is published. Only the text can
 * be changed. */
#define RC_TYPE_FILTER_MESSAGE (rc_filter_message_get_type())
G_DECLARE_FINAL_TYPE(RcFilterMessage, rc_filter_message, RC, FILTER_MESSAGE, GObject)

/* @connection_id: the WebSocket client id, NULL for HTTP and D-Bus */
RcFilterMessage *rc_filter_message_new(RcPluginSource source,
				       const gchar *connection_id,
				       const gchar *ns,
				       const gchar *room_code,
				       const gchar *sender,
				       const gchar *text);

RcPluginSource rc_filter_message_get_source(RcFilterMessage *self);
const gchar *rc_filter_message_get_connection_id(RcFilterMessage *self);
const gchar *rc_filter_message_get_namespace(RcFilterMessage *self);
const gchar *rc_filter_message_get_room_code(RcFilterMessage *self);
const gchar *rc_filter_message_get_sender(RcFilterMessage *self);
const gchar *rc_filter_message_get_text(RcFilterMessage *self);
/* @text must be valid UTF-8; the next filter sees the new text */
void rc_filter_message_set_text(RcFilterMessage *self, const gchar *text);

G_END_DECLS
