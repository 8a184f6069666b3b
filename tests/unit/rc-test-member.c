/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "rc-test-member.h"

struct _RcTestMember {
	GObject parent_instance;
	gchar *id;
	gchar *sender;
	GStrv globs;
	GPtrArray *messages;
	GPtrArray *removals;
	GPtrArray *presence;
	guint close_code;
	gboolean prefetched; /* since the last message */
	guint prefetched_sends;
};

static void rc_test_member_iface_init(RcMemberInterface *iface);

G_DEFINE_TYPE_WITH_CODE(RcTestMember,
			rc_test_member,
			G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(RC_TYPE_MEMBER, rc_test_member_iface_init))

static const gchar *
rc_test_member_get_id(RcMember *member)
{
	return RC_TEST_MEMBER(member)->id;
}

static const gchar *
rc_test_member_get_sender(RcMember *member)
{
	return RC_TEST_MEMBER(member)->sender;
}

static const gchar *
rc_test_member_get_peer(RcMember *member)
{
	return "127.0.0.1:1";
}

static const gchar *const *
rc_test_member_get_room_globs(RcMember *member)
{
	return (const gchar *const *)RC_TEST_MEMBER(member)->globs;
}

static gsize
rc_test_member_get_queued_bytes(RcMember *member)
{
	return 0;
}

static void
rc_test_member_send_message(RcMember *member, RcMessage *msg)
{
	RcTestMember *self = RC_TEST_MEMBER(member);

	if (self->prefetched)
		self->prefetched_sends++;
	self->prefetched = FALSE;
	g_ptr_array_add(self->messages, rc_message_ref(msg));
}

static void
rc_test_member_prefetch(RcMember *member)
{
	RC_TEST_MEMBER(member)->prefetched = TRUE;
}

static void
rc_test_member_send_presence(RcMember *member, RcPresence *event)
{
	g_ptr_array_add(RC_TEST_MEMBER(member)->presence, rc_presence_ref(event));
}

static void
rc_test_member_removed(RcMember *member, const gchar *ns, const gchar *room_code, const gchar *reason)
{
	g_ptr_array_add(RC_TEST_MEMBER(member)->removals,
			g_strdup_printf("%s %s %s", ns, room_code, reason));
}

static void
rc_test_member_close(RcMember *member, gushort code, const gchar *reason)
{
	RC_TEST_MEMBER(member)->close_code = code;
}

static void
rc_test_member_iface_init(RcMemberInterface *iface)
{
	iface->get_id = rc_test_member_get_id;
	iface->get_sender = rc_test_member_get_sender;
	iface->get_peer = rc_test_member_get_peer;
	iface->get_room_globs = rc_test_member_get_room_globs;
	iface->get_queued_bytes = rc_test_member_get_queued_bytes;
	iface->send_message = rc_test_member_send_message;
	iface->prefetch = rc_test_member_prefetch;
	iface->send_presence = rc_test_member_send_presence;
	iface->removed = rc_test_member_removed;
	iface->close = rc_test_member_close;
}

GPtrArray *
rc_test_member_get_messages(RcTestMember *self)
{
	return self->messages;
}

GPtrArray *
rc_test_member_get_presence(RcTestMember *self)
{
	return self->presence;
}

GPtrArray *
rc_test_member_get_removals(RcTestMember *self)
{
	return self->removals;
}

guint
rc_test_member_get_close_code(RcTestMember *self)
{
	return self->close_code;
}

static void
rc_test_member_finalize(GObject *object)
{
	RcTestMember *self = RC_TEST_MEMBER(object);
	g_free(self->id);
	g_free(self->sender);
	g_strfreev(self->globs);
	g_ptr_array_unref(self->messages);
	g_ptr_array_unref(self->removals);
	g_ptr_array_unref(self->presence);
	G_OBJECT_CLASS(rc_test_member_parent_class)->finalize(object);
}

static void
rc_test_member_class_init(RcTestMemberClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = rc_test_member_finalize;
}

static void
rc_test_member_init(RcTestMember *self)
{
	self->messages = g_ptr_array_new_with_free_func((GDestroyNotify)rc_message_unref);
	self->removals = g_ptr_array_new_with_free_func(g_free);
	self->presence = g_ptr_array_new_with_free_func((GDestroyNotify)rc_presence_unref);
}

RcTestMember *
rc_test_member_new(const gchar *id, const gchar *sender, const gchar *const *globs)
{
	RcTestMember *self = g_object_new(RC_TYPE_TEST_MEMBER, NULL);
	self->id = g_strdup(id);
	self->sender = g_strdup(sender);
	self->globs = g_strdupv((GStrv)globs);
	return self;
}

guint
rc_test_member_get_prefetched_sends(RcTestMember *self)
{
	return self->prefetched_sends;
}
