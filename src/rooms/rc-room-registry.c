/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcRoomRegistry"

#include "config.h"

#include "rooms/rc-room-registry.h"

struct _RcRoomRegistry {
	GObject parent_instance;
	GHashTable *rooms;        /* key (owned by the room) → RcRoom (owned) */
	GHashTable *member_rooms; /* RcMember → GHashTable set of RcRoom (not owned) */
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
rc_room_registry_lookup(RcRoomRegistry *self, const gchar *ns, const gchar *room_code)
{
	g_autofree gchar *owned = NULL;
	gchar buf[256];

	/* the key on the stack: this is once per message a node receives */
	return g_hash_table_lookup(self->rooms,
				   rc_room_format_key(ns, room_code, buf, sizeof(buf), &owned));
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

RcMembership *
rc_room_registry_join(RcRoomRegistry *self,
		      RcMember *member,
		      const gchar *ns,
		      const gchar *room_code,
		      gboolean *created)
{
	RcRoom *room = rc_room_registry_lookup(self, ns, room_code);
	GHashTable *rooms;

	if (room == NULL) {
		room = rc_room_new(ns, room_code);
		g_hash_table_insert(self->rooms, (gpointer)rc_room_get_key(room), room);
		g_debug("room %s %s added", ns, room_code);
		g_signal_emit(self, signals[SIGNAL_ROOM_ADDED], 0, room);
	}
	rooms = g_hash_table_lookup(self->member_rooms, member);
	if (rooms == NULL) {
		rooms = g_hash_table_new(g_direct_hash, g_direct_equal);
		g_hash_table_insert(self->member_rooms, member, rooms);
	}
	g_hash_table_add(rooms, room);
	return rc_room_add(room, member, created);
}

RcMembership *
rc_room_registry_lookup_membership(RcRoomRegistry *self,
				   RcMember *member,
				   const gchar *ns,
				   const gchar *room_code)
{
	RcRoom *room = rc_room_registry_lookup(self, ns, room_code);
	return room != NULL ? rc_room_lookup(room, member) : NULL;
}

gboolean
rc_room_registry_leave(RcRoomRegistry *self, RcMember *member, RcRoom *room)
{
	GHashTable *rooms = g_hash_table_lookup(self->member_rooms, member);
	g_autoptr(RcRoom) keep = NULL;

	if (rooms == NULL || !g_hash_table_remove(rooms, room))
		return FALSE;
	if (g_hash_table_size(rooms) == 0)
		g_hash_table_remove(self->member_rooms, member);
	rc_room_remove(room, member);
	if (rc_room_get_n_members(room) > 0)
		return TRUE;
	keep = g_object_ref(room);
	g_hash_table_remove(self->rooms, rc_room_get_key(room));
	g_debug("room %s %s removed", rc_room_get_namespace(room), rc_room_get_code(room));
	g_signal_emit(self, signals[SIGNAL_ROOM_REMOVED], 0, room);
	return TRUE;
}

GPtrArray *
rc_room_registry_get_rooms_of(RcRoomRegistry *self, RcMember *member)
{
	GHashTable *rooms = g_hash_table_lookup(self->member_rooms, member);
	GPtrArray *out = g_ptr_array_new();
	GHashTableIter iter;
	gpointer key;

	if (rooms == NULL)
		return out;
	g_hash_table_iter_init(&iter, rooms);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		g_ptr_array_add(out, key);
	return out;
}

guint
rc_room_registry_count_rooms_of(RcRoomRegistry *self, RcMember *member)
{
	GHashTable *rooms = g_hash_table_lookup(self->member_rooms, member);
	return rooms != NULL ? g_hash_table_size(rooms) : 0;
}

static void
rc_room_registry_finalize(GObject *object)
{
	RcRoomRegistry *self = RC_ROOM_REGISTRY(object);
	g_hash_table_unref(self->member_rooms);
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
	self->member_rooms = g_hash_table_new_full(g_direct_hash,
						   g_direct_equal,
						   NULL,
						   (GDestroyNotify)g_hash_table_unref);
}
