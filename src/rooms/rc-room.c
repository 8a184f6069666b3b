/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcRoom"

#include "config.h"

#include "rooms/rc-room.h"

struct _RcMembership {
	RcMember *member; /* not owned: a member leaves its rooms before it goes away */
	RcRoom *room;     /* not owned: the room owns its memberships */
	/* looked up once: a delivery is one indirect call, not an interface lookup */
	void (*send_message)(RcMember *self, RcMessage *msg);
	gboolean live;
	GQueue kept; /* RcMessage, while pending */
};

struct _RcRoom {
	GObject parent_instance;
	gchar *ns;
	gchar *room_code;
	gchar *key;
	GHashTable *members; /* RcMember → RcMembership (owned) */
	guint64 n_messages;
	gboolean subscribed;
};

G_DEFINE_TYPE(RcRoom, rc_room, G_TYPE_OBJECT)

static void
rc_membership_free(RcMembership *m)
{
	g_queue_clear_full(&m->kept, (GDestroyNotify)rc_message_unref);
	g_free(m);
}

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

RcMembership *
rc_room_lookup(RcRoom *self, RcMember *member)
{
	return g_hash_table_lookup(self->members, member);
}

RcMembership *
rc_room_add(RcRoom *self, RcMember *member, gboolean *created)
{
	RcMembership *m = g_hash_table_lookup(self->members, member);
	if (created != NULL)
		*created = m == NULL;
	if (m != NULL)
		return m;
	m = g_new0(RcMembership, 1);
	m->member = member;
	m->room = self;
	m->send_message = RC_MEMBER_GET_IFACE(member)->send_message;
	g_queue_init(&m->kept);
	g_hash_table_insert(self->members, member, m);
	return m;
}

gboolean
rc_room_remove(RcRoom *self, RcMember *member)
{
	return g_hash_table_remove(self->members, member);
}

static gboolean
rc_room_covered(RcMessage *msg, const gchar *epoch, guint64 top)
{
	guint64 offset = rc_message_get_offset(msg);
	return offset > 0 && offset <= top && g_strcmp0(rc_message_get_epoch(msg), epoch) == 0;
}

guint
rc_room_activate(RcRoom *self,
		 RcMembership *m,
		 const gchar *epoch,
		 guint64 top,
		 GPtrArray *replay)
{
	RcMessage *msg;
	guint n = 0;

	g_return_val_if_fail(m->room == self, 0);
	if (m->live)
		return 0;
	m->live = TRUE;
	for (guint i = 0; replay != NULL && i < replay->len; i++, n++)
		m->send_message(m->member, g_ptr_array_index(replay, i));
	while ((msg = g_queue_pop_head(&m->kept)) != NULL) {
		if (!rc_room_covered(msg, epoch, top)) {
			m->send_message(m->member, msg);
			n++;
		}
		rc_message_unref(msg);
	}
	return n;
}

guint
rc_room_broadcast(RcRoom *self, RcMessage *msg)
{
	GHashTableIter iter;
	gpointer value;
	guint n = 0;

	/* sending never removes a member synchronously, so iterating is safe */
	g_hash_table_iter_init(&iter, self->members);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		RcMembership *m = value;
		if (G_LIKELY(m->live)) {
			m->send_message(m->member, msg);
			n++;
		} else {
			g_queue_push_tail(&m->kept, rc_message_ref(msg));
		}
	}
	self->n_messages++;
	return n;
}

gboolean
rc_room_get_subscribed(RcRoom *self)
{
	return self->subscribed;
}

void
rc_room_set_subscribed(RcRoom *self, gboolean subscribed)
{
	self->subscribed = subscribed;
}

RcMember *
rc_membership_get_member(RcMembership *self)
{
	return self->member;
}

RcRoom *
rc_membership_get_room(RcMembership *self)
{
	return self->room;
}

gboolean
rc_membership_is_live(RcMembership *self)
{
	return self->live;
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
	self->members = g_hash_table_new_full(g_direct_hash,
					      g_direct_equal,
					      NULL,
					      (GDestroyNotify)rc_membership_free);
}
