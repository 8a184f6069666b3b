/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcRoomRegistry"

#include "config.h"

#include "rooms/rc-room-registry.h"

struct _RcRoomRegistry {
	GObject parent_instance;
	GHashTable *rooms; /* key (owned by the room) → RcRoom (owned) */
};

enum { SIGNAL_ROOM_ADDED, SIGNAL_ROOM_REMOVED, SIGNAL_LAST };
static guint signals[SIGNAL_LAST] = {0};

G_DEFINE_TYPE(RcRoomRegistry, rc_room_registry, G_TYPE_OBJECT)

RcRoomRegistry *
rc_room_registry_new(void)
{
	return g_object_new(RC_TYPE_ROOM_REGISTRY, NULL);
}

RcRoom *
rc_room_registry_lookup_key(RcRoomRegistry *self, const gchar *key)
{
	return g_hash_table_lookup(self->rooms, key);
}

RcRoom *
rc_room_registry_lookup(RcRoomRegistry *self, const gchar *ns, const gchar *room_code)
{
	g_autofree gchar *key = rc_room_make_key(ns, room_code);
	return rc_room_registry_lookup_key(self, key);
}

RcRoom *
rc_room_registry_ensure(RcRoomRegistry *self, const gchar *ns, const gchar *room_code)
{
	RcRoom *room = rc_room_registry_lookup(self, ns, room_code);
	if (room != NULL)
		return room;
	room = rc_room_new(ns, room_code);
	g_hash_table_insert(self->rooms, (gpointer)rc_room_get_key(room), room);
	g_debug("room %s %s added", ns, room_code);
	g_signal_emit(self, signals[SIGNAL_ROOM_ADDED], 0, room);
	return room;
}

void
rc_room_registry_prune(RcRoomRegistry *self, RcRoom *room)
{
	g_autoptr(RcRoom) keep = NULL;
	if (rc_room_get_n_members(room) > 0)
		return;
	keep = g_object_ref(room);
	if (!g_hash_table_remove(self->rooms, rc_room_get_key(room)))
		return;
	g_debug("room %s %s removed", rc_room_get_namespace(room), rc_room_get_code(room));
	g_signal_emit(self, signals[SIGNAL_ROOM_REMOVED], 0, room);
}

guint
rc_room_registry_get_size(RcRoomRegistry *self)
{
	return g_hash_table_size(self->rooms);
}

GPtrArray *
rc_room_registry_list(RcRoomRegistry *self)
{
	GPtrArray *out = g_ptr_array_new_full(g_hash_table_size(self->rooms), g_object_unref);
	GHashTableIter iter;
	gpointer value;
	g_hash_table_iter_init(&iter, self->rooms);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		g_ptr_array_add(out, g_object_ref(value));
	return out;
}

static void
rc_room_registry_finalize(GObject *object)
{
	RcRoomRegistry *self = RC_ROOM_REGISTRY(object);
	g_hash_table_unref(self->rooms);
	G_OBJECT_CLASS(rc_room_registry_parent_class)->finalize(object);
}

static void
rc_room_registry_class_init(RcRoomRegistryClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = rc_room_registry_finalize;
	signals[SIGNAL_ROOM_ADDED] = g_signal_new("room-added",
						  G_TYPE_FROM_CLASS(klass),
						  G_SIGNAL_RUN_LAST,
						  0,
						  NULL,
						  NULL,
						  NULL,
						  G_TYPE_NONE,
						  1,
						  RC_TYPE_ROOM);
	signals[SIGNAL_ROOM_REMOVED] = g_signal_new("room-removed",
						    G_TYPE_FROM_CLASS(klass),
						    G_SIGNAL_RUN_LAST,
						    0,
						    NULL,
						    NULL,
						    NULL,
						    G_TYPE_NONE,
						    1,
						    RC_TYPE_ROOM);
}

static void
rc_room_registry_init(RcRoomRegistry *self)
{
	self->rooms = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_object_unref);
}
