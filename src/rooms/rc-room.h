/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>

#include "rc-history.h"
#include "rc-message.h"
#include "rooms/rc-member.h"

G_BEGIN_DECLS

/* One room as this node knows it: its local members and what reaches them.
 *
 * Messages reach the room in offset order (rc_room_deliver()): the room knows the
 * last offset it delivered, drops what it saw already, and on a gap holds newer
 * messages back while its owner reads the missing ones from the history
 * (the fetch function, answered with rc_room_recovered()); the same after the bus
 * lost messages (rc_room_resync()). Until the room knows where it stands
 * (rc_room_sync(), from the first join), it holds messages back too.
 *
 * A member joins in two steps. rc_room_add() makes it pending: room events are
 * kept for it while the engine learns where the room stands (its epoch and latest
 * offset) and fetches what the member asked to catch up on. rc_room_activate()
 * then hands it the catch-up, the events kept meanwhile that are newer, and from
 * then on every live event. */
#define RC_TYPE_ROOM (rc_room_get_type())
G_DECLARE_FINAL_TYPE(RcRoom, rc_room, RC, ROOM, GObject)

typedef struct _RcMembership RcMembership;

/* reads the room's history after offset @after (only where it stands when not
 * @messages) and answers with rc_room_recovered() */
typedef void (*RcRoomFetchFunc)(RcRoom *room, guint64 after, gboolean messages, gpointer user_data);

RcRoom *rc_room_new(const gchar *ns, const gchar *room_code);
const gchar *rc_room_get_namespace(RcRoom *self);
const gchar *rc_room_get_code(RcRoom *self);
/* "NS\nROOM": the registry's key, unambiguous since neither name holds a newline */
const gchar *rc_room_get_key(RcRoom *self);
gchar *rc_room_make_key(const gchar *ns, const gchar *room_code);
/* the same key in @buf when it fits its @size bytes, else in a new string left
 * in *@owned for the caller to free */
const gchar *
rc_room_format_key(const gchar *ns, const gchar *room_code, gchar *buf, gsize size, gchar **owned);

guint rc_room_get_n_members(RcRoom *self);
/* messages delivered to this room on this node */
guint64 rc_room_get_n_messages(RcRoom *self);
/* (element-type RcMember) (transfer container), in no particular order */
GPtrArray *rc_room_get_members(RcRoom *self);
RcMembership *rc_room_lookup(RcRoom *self, RcMember *member);

/* a new pending membership, or the existing one; @created tells which */
RcMembership *rc_room_add(RcRoom *self, RcMember *member, gboolean *created);
gboolean rc_room_remove(RcRoom *self, RcMember *member);

/* Makes a pending membership live: sends @replay (element-type RcMessage, may be
 * NULL) and then the events kept while pending, skipping those of @epoch with an
 * offset up to @top (the replay or the join already covers them, as it does for
 * any such message that comes later). Returns the number of message frames sent. */
guint rc_room_activate(RcRoom *self,
		       RcMembership *membership,
		       const gchar *epoch,
		       guint64 top,
		       GPtrArray *replay);

/* A message from the bus: delivered to every live member (and kept for pending
 * ones) in its turn. Returns the number of message frames sent now. */
guint rc_room_deliver(RcRoom *self, RcMessage *msg);
/* the room's epoch and latest offset as a join read them; the first one counts */
guint rc_room_sync(RcRoom *self, const gchar *epoch, guint64 top);
/* the bus lost messages: read what came after the last one delivered */
void rc_room_resync(RcRoom *self);
/* a join could not read where the room stands: the room reads it itself, once
 * for however many joins, or its messages would wait for good */
void rc_room_sync_later(RcRoom *self);
/* the last fetch failed: try it again */
void rc_room_retry_fetch(RcRoom *self);
/* the answer to the fetch function */
guint rc_room_recovered(RcRoom *self, RcHistory *history);
/* Changes each time the room asks for a fetch. An answer to a fetch asked before
 * the latest one is stale: it must not reach rc_room_recovered(). */
guint rc_room_get_fetch_serial(RcRoom *self);
void rc_room_set_fetch_func(RcRoom *self, RcRoomFetchFunc func, gpointer user_data);
/* NULL until synced */
const gchar *rc_room_get_epoch(RcRoom *self);
guint64 rc_room_get_last_offset(RcRoom *self);
gboolean rc_room_is_synced(RcRoom *self);
/* messages delivered from the history, and recoveries that left a gap, since the
 * last call */
guint64 rc_room_take_recovered(RcRoom *self);
guint64 rc_room_take_misses(RcRoom *self);
/* messages dropped because the history did not have them (made-up offsets, or
 * lost with a master), since the last call */
guint64 rc_room_take_unfounded(RcRoom *self);

/* Sends a presence event to the members that asked for them, except the one it is
 * about, from their own join event on (a pending member gets them once it is
 * live); returns how many got it now. */
guint rc_room_deliver_presence(RcRoom *self, RcPresence *event);
/* Presence across nodes is pub/sub, so events can be lost (a subscription that
 * dropped, a failover): while local members listen, the room keeps who it thinks is
 * there, and a full list read from the bus (rc_room_reconcile_presence()) sends the
 * joins and leaves it missed. Events that tell the room nothing new are dropped, so
 * an event and a list that overlap give each change once. */
gboolean rc_room_wants_presence(RcRoom *self);
gboolean rc_room_knows_presence(RcRoom *self);
gboolean rc_room_is_listing_presence(RcRoom *self);
/* a list was asked for: events from now on are newer than it; the list ends with
 * rc_room_reconcile_presence(), or rc_room_end_presence_list() when it failed */
void rc_room_begin_presence_list(RcRoom *self);
void rc_room_end_presence_list(RcRoom *self);
guint rc_room_reconcile_presence(RcRoom *self, GPtrArray *entries);
/* no local member listens any more */
void rc_room_forget_presence(RcRoom *self);

/* whether room events reach this node yet (its bus subscription is confirmed) */
gboolean rc_room_get_subscribed(RcRoom *self);
void rc_room_set_subscribed(RcRoom *self, gboolean subscribed);

RcMember *rc_membership_get_member(RcMembership *self);
RcRoom *rc_membership_get_room(RcMembership *self);
gboolean rc_membership_is_live(RcMembership *self);
/* @live: the member's own join is known to be through already (a join again) */
void rc_membership_set_presence(RcMembership *self, gboolean presence, gboolean live);

G_END_DECLS
