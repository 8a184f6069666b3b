/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcPluginSdk"

#include "rc-filter-message.h"

struct _RcFilterMessage {
	GObject parent_instance;
	RcPluginSource source;
	gchar *connection_id;
	gchar *ns;
	gchar *room_code;
	gchar *sender;
	gchar *text;
};

G_DEFINE_TYPE(RcFilterMessage, rc_filter_message, G_TYPE_OBJECT)

static void
rc_filter_message_finalize(GObject *object)
{
	RcFilterMessage *self = RC_FILTER_MESSAGE(object);

	g_free(self->connection_id);
	g_free(self->ns);
	g_free(self->room_code);
	g_free(self->sender);
	g_free(self->text);
	G_OBJECT_CLASS(rc_filter_message_parent_class)->finalize(object);
}

static void
rc_filter_message_class_init(RcFilterMessageClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = rc_filter_message_finalize;
}

static void
rc_filter_message_init(RcFilterMessage *self)
{
}

RcFilterMessage *
rc_filter_message_new(RcPluginSource source,
		      const gchar *connection_id,
		      const gchar *ns,
		      const gchar *room_code,
		      const gchar *sender,
		      const gchar *text)
{
	RcFilterMessage *self;

	g_return_val_if_fail(text != NULL, NULL);

	self = g_object_new(RC_TYPE_FILTER_MESSAGE, NULL);
	self->source = source;
	self->connection_id = g_strdup(connection_id);
	self->ns = g_strdup(ns);
	self->room_code = g_strdup(room_code);
	self->sender = g_strdup(sender);
	self->text = g_strdup(text);
	return self;
}

RcPluginSource
rc_filter_message_get_source(RcFilterMessage *self)
{
	g_return_val_if_fail(RC_IS_FILTER_MESSAGE(self), RC_PLUGIN_SOURCE_WEBSOCKET);

	return self->source;
}

const gchar *
rc_filter_message_get_connection_id(RcFilterMessage *self)
{
	g_return_val_if_fail(RC_IS_FILTER_MESSAGE(self), NULL);

	return self->connection_id;
}

const gchar *
rc_filter_message_get_namespace(RcFilterMessage *self)
{
	g_return_val_if_fail(RC_IS_FILTER_MESSAGE(self), NULL);

	return self->ns;
}

const gchar *
rc_filter_message_get_room_code(RcFilterMessage *self)
{
	g_return_val_if_fail(RC_IS_FILTER_MESSAGE(self), NULL);

	return self->room_code;
}

const gchar *
rc_filter_message_get_sender(RcFilterMessage *self)
{
	g_return_val_if_fail(RC_IS_FILTER_MESSAGE(self), NULL);

	return self->sender;
}

const gchar *
rc_filter_message_get_text(RcFilterMessage *self)
{
	g_return_val_if_fail(RC_IS_FILTER_MESSAGE(self), NULL);

	return self->text;
}

void
rc_filter_message_set_text(RcFilterMessage *self, const gchar *text)
{
	g_return_if_fail(RC_IS_FILTER_MESSAGE(self));
	g_return_if_fail(text != NULL && g_utf8_validate(text, -1, NULL));

	if (text == self->text)
		return;
	g_free(self->text);
	self->text = g_strdup(text);
}
