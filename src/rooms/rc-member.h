/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>

#include "rc-message.h"
#include "rc-presence.h"

G_BEGIN_DECLS

/* A connection as rooms see it: an identity, a queue, and a way to hand it a room
 * event. Rooms and the engine never know which protocol a member speaks; each
 * front end (the /ws client, a socket.io session) implements this and encodes the
 * event in its own wire format, at most once per message per node (the message
 * caches the frame it builds for its format). */
#define RC_TYPE_MEMBER (rc_member_get_type())
G_DECLARE_INTERFACE(RcMember, rc_member, RC, MEMBER, GObject)

struct _RcMemberInterface {
	GTypeInterface g_iface;

	/* unique on this node; never changes */
	const gchar *(*get_id)(RcMember *self);
	const gchar *(*get_sender)(RcMember *self);
	/* "ADDR:PORT" of the peer */
	const gchar *(*get_peer)(RcMember *self);
	/* globs of roomCodes this identity may use, NULL for every room */
	const gchar *const *(*get_room_globs)(RcMember *self);
	/* bytes handed to the member and not written to its socket yet */
	gsize (*get_queued_bytes)(RcMember *self);
	/* queues @msg in the member's wire format; never removes the member synchronously */
	void (*send_message)(RcMember *self, RcMessage *msg);
	/* optional: asks the CPU to load what send_message() reads (a hint, it must not
	 * change anything); a room calls it for the next member while sending to one */
	void (*prefetch)(RcMember *self);
	/* the same for a presence event of a room it asked events of */
	void (*send_presence)(RcMember *self, RcPresence *event);
	/* an administrator removed the member from a room; it stays connected */
	void (*removed)(RcMember *self, const gchar *ns, const gchar *room_code, const gchar *reason);
	/* closes the connection (WebSocket close codes); the member later leaves the engine */
	void (*close)(RcMember *self, gushort code, const gchar *reason);
};

const gchar *rc_member_get_id(RcMember *self);
const gchar *rc_member_get_sender(RcMember *self);
const gchar *rc_member_get_peer(RcMember *self);
const gchar *const *rc_member_get_room_globs(RcMember *self);
/* TRUE when the identity's room globs allow @room_code */
gboolean rc_member_may_use_room(RcMember *self, const gchar *room_code);
gsize rc_member_get_queued_bytes(RcMember *self);
void rc_member_send_message(RcMember *self, RcMessage *msg);
void rc_member_send_presence(RcMember *self, RcPresence *event);
void rc_member_removed(RcMember *self, const gchar *ns, const gchar *room_code, const gchar *reason);
void rc_member_close(RcMember *self, gushort code, const gchar *reason);

G_END_DECLS
