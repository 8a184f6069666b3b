/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcMember"

#include "config.h"

#include "rooms/rc-member.h"

G_DEFINE_INTERFACE(RcMember, rc_member, G_TYPE_OBJECT)

static void
rc_member_default_init(RcMemberInterface *iface)
{
}

const gchar *
rc_member_get_id(RcMember *self)
{
	return RC_MEMBER_GET_IFACE(self)->get_id(self);
}

const gchar *
rc_member_get_sender(RcMember *self)
{
	return RC_MEMBER_GET_IFACE(self)->get_sender(self);
}

const gchar *
rc_member_get_peer(RcMember *self)
{
	return RC_MEMBER_GET_IFACE(self)->get_peer(self);
}

const gchar *const *
rc_member_get_room_globs(RcMember *self)
{
	RcMemberInterface *iface = RC_MEMBER_GET_IFACE(self);
	return iface->get_room_globs != NULL ? iface->get_room_globs(self) : NULL;
}

gboolean
rc_member_may_use_room(RcMember *self, const gchar *room_code)
{
	const gchar *const *globs = rc_member_get_room_globs(self);
	if (globs == NULL)
		return TRUE;
	for (guint i = 0; globs[i] != NULL; i++) {
		if (g_pattern_match_simple(globs[i], room_code))
			return TRUE;
	}
	return FALSE;
}

gsize
rc_member_get_queued_bytes(RcMember *self)
{
	return RC_MEMBER_GET_IFACE(self)->get_queued_bytes(self);
}

void
rc_member_send_message(RcMember *self, RcMessage *msg)
{
	RC_MEMBER_GET_IFACE(self)->send_message(self, msg);
}

void
rc_member_send_presence(RcMember *self, RcPresence *event)
{
	RC_MEMBER_GET_IFACE(self)->send_presence(self, event);
}

void
rc_member_removed(RcMember *self, const gchar *ns, const gchar *room_code, const gchar *reason)
{
	RC_MEMBER_GET_IFACE(self)->removed(self, ns, room_code, reason);
}

void
rc_member_close(RcMember *self, gushort code, const gchar *reason)
{
	RC_MEMBER_GET_IFACE(self)->close(self, code, reason);
}
