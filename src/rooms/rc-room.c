/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcRoom"

#include "config.h"

#include "rooms/rc-room.h"
#include "transport/rc-client.h"

struct _RcRoom {
	GObject parent_instance;
	gchar *ns;
	gchar *room_code;
	gchar *key;
	/* set of RcClient, not owned: a client leaves its rooms before it goes away */
	GHashTable *members;
	guint64 n_messages;
	gboolean ready;
};

G_DEFINE_TYPE(RcRoom, rc_room, G_TYPE_OBJECT)

gchar *
rc_room_make_key(const gchar *ns, const gchar *room_code)
{
	return g_strconcat(ns, "\n", room_code, NULL);
}

RcRoom *
rc_room_new(const gchar *ns, const gchar *room_code)
{
	RcRoom *self = g_object_new(RC_TYPE_ROOM, NULL);
	self->ns = g_strdup(ns);
	self->room_code = g_strdup(room_code);
	self->key = rc_room_make_key(ns, room_code);
	return self;
}

const gchar *
rc_room_get_namespace(RcRoom *self)
{
	return self->ns;
}

const gchar *
rc_room_get_code(RcRoom *self)
{
	return self->room_code;
}

const gchar *
rc_room_get_key(RcRoom *self)
{
	return self->key;
}

guint
rc_room_get_n_members(RcRoom *self)
{
	return g_hash_table_size(self->members);
}

guint64
rc_room_get_n_messages(RcRoom *self)
{
	return self->n_messages;
}

GPtrArray *
rc_room_get_members(RcRoom *self)
{
	GPtrArray *out = g_ptr_array_sized_new(g_hash_table_size(self->members));
	GHashTableIter iter;
	gpointer key;
	g_hash_table_iter_init(&iter, self->members);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		g_ptr_array_add(out, key);
	return out;
}

gboolean
rc_room_has_member(RcRoom *self, RcClient *client)
{
	return g_hash_table_contains(self->members, client);
}

gboolean
rc_room_add_member(RcRoom *self, RcClient *client)
{
	return g_hash_table_add(self->members, client);
}

gboolean
rc_room_remove_member(RcRoom *self, RcClient *client)
{
	return g_hash_table_remove(self->members, client);
}

guint
rc_room_broadcast(RcRoom *self, RcMessage *msg)
{
	GBytes *frame = rc_message_get_ws_frame(msg);
	GHashTableIter iter;
	gpointer key;
	guint n = 0;

	/* sending never removes a member synchronously, so iterating is safe */
	g_hash_table_iter_init(&iter, self->members);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		rc_client_send_frame(RC_CLIENT(key), frame);
		n++;
	}
	self->n_messages++;
	return n;
}

gboolean
rc_room_get_ready(RcRoom *self)
{
	return self->ready;
}

void
rc_room_set_ready(RcRoom *self, gboolean ready)
{
	self->ready = ready;
}

static void
rc_room_finalize(GObject *object)
{
	RcRoom *self = RC_ROOM(object);
	g_hash_table_unref(self->members);
	g_free(self->ns);
	g_free(self->room_code);
	g_free(self->key);
	G_OBJECT_CLASS(rc_room_parent_class)->finalize(object);
}

static void
rc_room_class_init(RcRoomClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = rc_room_finalize;
}

static void
rc_room_init(RcRoom *self)
{
	self->members = g_hash_table_new(g_direct_hash, g_direct_equal);
	self->ready = TRUE;
}
