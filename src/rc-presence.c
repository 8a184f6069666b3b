/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcPresence"

#include "config.h"

#include "rc-presence.h"

struct _RcPresence {
	gatomicrefcount ref_count;
	gchar *ns;
	gchar *room_code;
	gchar *event;
	gchar *client;
	gchar *sender;
	gchar *node;
	GBytes *frames[RC_WIRE_N_FORMATS];
};

G_DEFINE_BOXED_TYPE(RcPresence, rc_presence, rc_presence_ref, rc_presence_unref)

RcPresence *
rc_presence_new(const gchar *ns,
		const gchar *room_code,
		const gchar *event,
		const gchar *client,
		const gchar *sender,
		const gchar *node)
{
	RcPresence *self = g_new0(RcPresence, 1);
	g_atomic_ref_count_init(&self->ref_count);
	self->ns = g_strdup(ns);
	self->room_code = g_strdup(room_code);
	self->event = g_strdup(event);
	self->client = g_strdup(client);
	self->sender = g_strdup(sender);
	self->node = g_strdup(node);
	return self;
}

RcPresence *
rc_presence_ref(RcPresence *self)
{
	g_atomic_ref_count_inc(&self->ref_count);
	return self;
}

void
rc_presence_unref(RcPresence *self)
{
	if (!g_atomic_ref_count_dec(&self->ref_count))
		return;
	for (guint i = 0; i < RC_WIRE_N_FORMATS; i++)
		g_clear_pointer(&self->frames[i], g_bytes_unref);
	g_free(self->ns);
	g_free(self->room_code);
	g_free(self->event);
	g_free(self->client);
	g_free(self->sender);
	g_free(self->node);
	g_free(self);
}

const gchar *
rc_presence_get_namespace(RcPresence *self)
{
	return self->ns;
}

const gchar *
rc_presence_get_room_code(RcPresence *self)
{
	return self->room_code;
}

const gchar *
rc_presence_get_event(RcPresence *self)
{
	return self->event;
}

const gchar *
rc_presence_get_client(RcPresence *self)
{
	return self->client;
}

const gchar *
rc_presence_get_sender(RcPresence *self)
{
	return self->sender;
}

const gchar *
rc_presence_get_node(RcPresence *self)
{
	return self->node;
}

GBytes *
rc_presence_peek_frame(RcPresence *self, RcWireFormat format)
{
	return self->frames[format];
}

GBytes *
rc_presence_set_frame(RcPresence *self, RcWireFormat format, GBytes *frame)
{
	g_clear_pointer(&self->frames[format], g_bytes_unref);
	self->frames[format] = g_bytes_ref(frame);
	return frame;
}
