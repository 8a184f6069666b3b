/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcRoom"

#include "config.h"

#include <string.h>

#include "rooms/rc-room.h"
#include "rc-metrics.h"

/* messages held while a room waits for its history before it may deliver more */
#define RC_ROOM_MAX_HELD 4096
/* offsets read again after a lost subscription, to catch offsets given twice */
#define RC_ROOM_VERIFY 32

struct _RcMembership {
	RcMember *member; /* not owned: a member leaves its rooms before it goes away */
	RcRoom *room;     /* not owned: the room owns its memberships */
	/* looked up once: a delivery is one indirect call, not an interface lookup */
	void (*send_message)(RcMember *self, RcMessage *msg);
	void (*prefetch)(RcMember *self); /* NULL when the member has none */
	gboolean live;
	gboolean presence; /* it asked for the room's presence events */
	/* its own join came through the bus: what follows happened after it joined */
	gboolean presence_live;
	GQueue kept_presence; /* RcPresence, while pending */
	GQueue kept;	   /* RcMessage, while pending */
	/* what the join already gave it: offsets up to floor in floor_epoch are skipped */
	gchar *floor_epoch;
	guint64 floor;
	guint index; /* in the room's order */
};

typedef enum {
	RC_ROOM_UNSYNCED,   /* where the room stands is not known yet */
	RC_ROOM_LIVE,       /* messages go out as they come, in offset order */
	RC_ROOM_RECOVERING, /* reading what was missed; newer messages wait */
} RcRoomSequence;

struct _RcRoom {
	GObject parent_instance;
	gchar *ns;
	gchar *room_code;
	gchar *key;
	GHashTable *members; /* RcMember → RcMembership (owned) */
	GPtrArray *order;    /* the same memberships in a flat array, for the broadcast */
	guint64 n_messages;
	gboolean subscribed;
	/* the room's sequence: its epoch and the last offset delivered here */
	RcRoomSequence sequence;
	gchar *epoch;
	guint64 last;
	GQueue held;		/* RcMessage, while not LIVE */
	guint held_at_fetch;	/* how many of them came before the fetch in flight was asked */
	guint fetch_serial;	/* counts the fetches asked: only the latest one's answer counts */
	guint64 unfounded;	/* held messages that Redis' history turned out not to have */
	gboolean fetch_again;	/* more may be missing than the fetch in flight covers */
	gboolean fetching;	/* a fetch is asked for and not answered yet */
	RcRoomFetchFunc fetch;
	gpointer fetch_data;
	guint64 recovered;	/* messages delivered from history */
	guint64 misses;		/* recoveries that could not fill their gap */
	/* the ids of the last offsets delivered: after a lost subscription the room reads
	 * these again, for a promoted replica may have given lost offsets to new messages */
	guint64 seen_offset[RC_ROOM_VERIFY];
	gchar *seen_id[RC_ROOM_VERIFY];
	gboolean verify; /* the next fetch reads the last offsets again */
	/* the newest message time (ms) the room delivered, or when it took its place:
	 * a promoted replica that was further behind than those offsets gave the next
	 * ones to messages accepted after the failover, later than that */
	gint64 seen_ts;
	gboolean deep;	    /* the fetch in flight reads the whole history, after a rewind */
	gint64 deep_ts;	    /* seen_ts when the rewind was found */
	guint64 fetch_after; /* the offset the fetch in flight reads after */
	/* who is in the room on any node, as its presence events and lists said:
	 * kept while a local member listens, NULL otherwise */
	GHashTable *present; /* client → RcPresence entry */
	/* lists asked for and not answered, and the events that came meanwhile: a
	 * list can be older than they are */
	guint listing;
	GQueue since_list; /* RcPresence */
};

G_DEFINE_TYPE(RcRoom, rc_room, G_TYPE_OBJECT)

static void
rc_room_remember(RcRoom *self, RcMessage *msg)
{
	guint64 offset = rc_message_get_offset(msg);
	guint i = (guint)(offset % RC_ROOM_VERIFY);

	self->seen_offset[i] = offset;
	g_free(self->seen_id[i]);
	self->seen_id[i] = g_strdup(rc_message_get_id(msg));
	self->seen_ts = MAX(self->seen_ts, rc_message_get_ts(msg));
}

/* TRUE when @msg is what this room delivered at its offset; FALSE for another message
 * at an offset it delivered (a rewritten offset), or one it has no record of */
static gboolean
rc_room_seen_same(RcRoom *self, RcMessage *msg, gboolean *known)
{
	guint64 offset = rc_message_get_offset(msg);
	guint i = (guint)(offset % RC_ROOM_VERIFY);

	*known = self->seen_offset[i] == offset && self->seen_id[i] != NULL;
	return *known && g_strcmp0(self->seen_id[i], rc_message_get_id(msg)) == 0;
}

/* the table's destroy function, so whatever takes a membership out of the table
 * takes it out of the array as well */
static void
rc_membership_free(RcMembership *m)
{
	GPtrArray *order = m->room->order;

	/* the last one takes its place: the order of members means nothing */
	g_ptr_array_remove_index_fast(order, m->index);
	if (m->index < order->len)
		((RcMembership *)g_ptr_array_index(order, m->index))->index = m->index;
	g_queue_clear_full(&m->kept, (GDestroyNotify)rc_message_unref);
	g_queue_clear_full(&m->kept_presence, (GDestroyNotify)rc_presence_unref);
	g_free(m->floor_epoch);
	g_free(m);
}

const gchar *
rc_room_format_key(const gchar *ns, const gchar *room_code, gchar *buf, gsize size, gchar **owned)
{
	gsize ns_len = strlen(ns), code_len = strlen(room_code);
	gchar *key = buf;

	if (ns_len + code_len + 2 > size)
		key = *owned = g_malloc(ns_len + code_len + 2);
	memcpy(key, ns, ns_len);
	key[ns_len] = '\n';
	memcpy(key + ns_len + 1, room_code, code_len + 1);
	return key;
}

gchar *
rc_room_make_key(const gchar *ns, const gchar *room_code)
{
	gchar *owned = NULL;

	rc_room_format_key(ns, room_code, NULL, 0, &owned);
	return owned;
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
	m->prefetch = RC_MEMBER_GET_IFACE(member)->prefetch;
	g_queue_init(&m->kept);
	g_queue_init(&m->kept_presence);
	m->index = self->order->len;
	g_ptr_array_add(self->order, m);
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
	g_free(m->floor_epoch);
	m->floor_epoch = g_strdup(epoch);
	m->floor = top;
	for (guint i = 0; replay != NULL && i < replay->len; i++, n++)
		m->send_message(m->member, g_ptr_array_index(replay, i));
	while ((msg = g_queue_pop_head(&m->kept)) != NULL) {
		if (!rc_room_covered(msg, epoch, top)) {
			m->send_message(m->member, msg);
			n++;
		}
		rc_message_unref(msg);
	}
	/* presence events after the reply to the join, like the messages */
	{
		RcPresence *event;
		while ((event = g_queue_pop_head(&m->kept_presence)) != NULL) {
			rc_member_send_presence(m->member, event);
			rc_presence_unref(event);
		}
	}
	return n;
}

/* sends @msg to every live member and keeps it for pending ones */
static guint
rc_room_broadcast(RcRoom *self, RcMessage *msg)
{
	guint n = 0;

	rc_metrics_fanout_begin();
	/* sending never adds or removes a member synchronously; the array is read afresh
	 * each round all the same, so a member that did would not make it read freed memory */
	for (guint i = 0; i < self->order->len; i++) {
		RcMembership **order = (RcMembership **)self->order->pdata;
		guint len = self->order->len;
		RcMembership *m = order[i];

		/* Each delivery waits in send() while the kernel hands the frame to the peer.
		 * Meanwhile the CPU can fetch what the next deliveries touch, which is cold by
		 * now (a membership, its member, the member's queue, each behind the one
		 * before): one more step of that chain for each of the next three members. */
		if (i + 3 < len)
			__builtin_prefetch(order[i + 3]);
		if (i + 2 < len)
			__builtin_prefetch(order[i + 2]->member);
		if (i + 1 < len && order[i + 1]->prefetch != NULL)
			order[i + 1]->prefetch(order[i + 1]->member);

		if (G_UNLIKELY(!m->live)) {
			g_queue_push_tail(&m->kept, rc_message_ref(msg));
			continue;
		}
		/* a message its join already gave it (history, or taken before it joined) */
		if (G_UNLIKELY(m->floor > 0)) {
			if (rc_room_covered(msg, m->floor_epoch, m->floor))
				continue;
			if (rc_message_get_offset(msg) > 0)
				m->floor = 0;
		}
		m->send_message(m->member, msg);
		n++;
	}
	rc_metrics_fanout_end();
	self->n_messages++;
	return n;
}

static void
rc_room_hold(RcRoom *self, RcMessage *msg)
{
	/* what is dropped here is in the history: fetch again once this fetch is done */
	if (g_queue_get_length(&self->held) >= RC_ROOM_MAX_HELD) {
		g_queue_clear_full(&self->held, (GDestroyNotify)rc_message_unref);
		self->held_at_fetch = 0;
		self->fetch_again = TRUE;
	}
	g_queue_push_tail(&self->held, rc_message_ref(msg));
}

static void
rc_room_start_fetch(RcRoom *self, gboolean messages)
{
	guint64 after = self->last;

	self->sequence = RC_ROOM_RECOVERING;
	self->fetch_again = FALSE;
	self->held_at_fetch = g_queue_get_length(&self->held);
	self->fetch_serial++;
	if (self->deep) {
		after = 0;
	} else if (self->verify) {
		after -= MIN(after, RC_ROOM_VERIFY);
		self->verify = FALSE;
	}
	self->fetch_after = after;
	if (self->fetch != NULL) {
		self->fetching = TRUE;
		self->fetch(self, after, messages, self->fetch_data);
	}
}

/* where the room stands, and nothing older: nobody here was promised more */
static void
rc_room_fetch_top(RcRoom *self)
{
	self->fetch_serial++;
	if (self->fetch != NULL) {
		self->fetching = TRUE;
		self->fetch(self, 0, FALSE, self->fetch_data);
	}
}

guint
rc_room_get_fetch_serial(RcRoom *self)
{
	return self->fetch_serial;
}

guint
rc_room_deliver(RcRoom *self, RcMessage *msg)
{
	guint64 offset = rc_message_get_offset(msg);

	/* an outside publisher's payload has no offset and no order to keep */
	if (offset == 0)
		return rc_room_broadcast(self, msg);
	if (self->sequence != RC_ROOM_LIVE) {
		rc_room_hold(self, msg);
		return 0;
	}
	if (self->epoch == NULL || self->epoch[0] == '\0') {
		/* nothing to hold it against: the room's first epoch here */
		g_free(self->epoch);
		self->epoch = g_strdup(rc_message_get_epoch(msg));
		self->last = 0;
	} else if (g_strcmp0(rc_message_get_epoch(msg), self->epoch) != 0) {
		/* The room's offsets started over (its history was lost), or the payload
		 * did not come from the publish script: only the history says which. A
		 * payload is not believed on its word, or one with a made-up epoch would
		 * make the room replay its history to every member. */
		g_debug("room %s %s: a message of epoch %s, not %s: reading the history",
			self->ns,
			self->room_code,
			rc_message_get_epoch(msg),
			self->epoch);
		rc_room_hold(self, msg);
		rc_room_start_fetch(self, TRUE);
		return 0;
	}
	if (offset <= self->last)
		return 0; /* seen already */
	if (offset == self->last + 1) {
		self->last = offset;
		rc_room_remember(self, msg);
		return rc_room_broadcast(self, msg);
	}
	/* a gap: what fills it comes from the history, then this and what follows */
	g_debug("room %s %s: offsets %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT " missed",
		self->ns,
		self->room_code,
		self->last + 1,
		offset - 1);
	rc_room_hold(self, msg);
	rc_room_start_fetch(self, TRUE);
	return 0;
}

/* delivers what waited, each in turn; a new gap makes the rest wait again */
static guint
rc_room_flush_held(RcRoom *self)
{
	GQueue held = self->held;
	RcMessage *msg;
	guint n = 0;

	g_queue_init(&self->held);
	while ((msg = g_queue_pop_head(&held)) != NULL) {
		n += rc_room_deliver(self, msg);
		rc_message_unref(msg);
	}
	return n;
}

guint
rc_room_sync(RcRoom *self, const gchar *epoch, guint64 top)
{
	RcMessage *first = g_queue_peek_head(&self->held);

	if (self->sequence != RC_ROOM_UNSYNCED)
		return 0;
	g_free(self->epoch);
	self->epoch = g_strdup(epoch);
	self->last = top;
	self->seen_ts = MAX(self->seen_ts, g_get_real_time() / 1000);
	/* Messages held meanwhile go out even when the read already counted them: each
	 * member's own floor (what its join covered) decides, and a member that joined
	 * while Redis was away has none. */
	if (first != NULL && rc_message_get_offset(first) > 0 &&
	    g_strcmp0(rc_message_get_epoch(first), epoch) == 0)
		self->last = MIN(top, rc_message_get_offset(first) - 1);
	self->sequence = RC_ROOM_LIVE;
	return rc_room_flush_held(self);
}

void
rc_room_resync(RcRoom *self)
{
	GHashTableIter iter;
	gpointer value;

	/* an own join that fell into the lost stretch is not waited for */
	g_hash_table_iter_init(&iter, self->members);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		RcMembership *m = value;
		m->presence_live = m->presence;
	}
	self->verify = TRUE;
	switch (self->sequence) {
	case RC_ROOM_RECOVERING:
		/* the fetch in flight may have been read before the loss */
		self->fetch_again = TRUE;
		return;
	case RC_ROOM_UNSYNCED:
		/* a read in flight may have been answered before the loss */
		rc_room_fetch_top(self);
		return;
	case RC_ROOM_LIVE:
	default:
		rc_room_start_fetch(self, TRUE);
		return;
	}
}

void
rc_room_retry_fetch(RcRoom *self)
{
	if (self->sequence == RC_ROOM_RECOVERING)
		rc_room_start_fetch(self, TRUE);
	else if (self->sequence == RC_ROOM_UNSYNCED)
		rc_room_fetch_top(self);
}

void
rc_room_sync_later(RcRoom *self)
{
	if (self->sequence == RC_ROOM_UNSYNCED && !self->fetching)
		rc_room_fetch_top(self);
}

/* the lowest offset held of @epoch past the last delivered, 0 for none */
static guint64
rc_room_first_held(RcRoom *self, const gchar *epoch)
{
	guint64 first = 0;

	for (GList *l = self->held.head; l != NULL; l = l->next) {
		RcMessage *msg = l->data;
		guint64 offset = rc_message_get_offset(msg);
		if (offset > self->last && g_strcmp0(rc_message_get_epoch(msg), epoch) == 0 &&
		    (first == 0 || offset < first))
			first = offset;
	}
	return first;
}

/* The publish script writes a message into the room's history before it publishes
 * it, so a read asked for after the message came sees it: its epoch, and a top at
 * least its offset. A message held since before this read that does not fit what
 * the read says was not written by the script (a payload published from outside
 * with made-up offsets), or was written to a master that died before its replica
 * had it. Either way the history will never fill the gap before it: delivering it
 * would ask for the same read again, for ever. */
static void
rc_room_drop_unfounded(RcRoom *self, RcHistory *history)
{
	GList *l = self->held.head;

	for (guint i = 0; l != NULL && i < self->held_at_fetch; i++) {
		GList *next = l->next;
		RcMessage *msg = l->data;
		if (g_strcmp0(rc_message_get_epoch(msg), history->epoch) != 0 ||
		    rc_message_get_offset(msg) > history->top) {
			g_debug("room %s %s: dropping offset %" G_GUINT64_FORMAT
				" of epoch %s: the history has epoch %s up to %" G_GUINT64_FORMAT,
				self->ns,
				self->room_code,
				rc_message_get_offset(msg),
				rc_message_get_epoch(msg),
				history->epoch,
				history->top);
			g_queue_delete_link(&self->held, l);
			rc_message_unref(msg);
			self->unfounded++;
		}
		l = next;
	}
	self->held_at_fetch = 0;
}

/* TRUE when @history shows this room's offsets given again (a rewind) and the read
 * does not reach back to an offset it confirms: the rewind may begin before it */
static gboolean
rc_room_rewound_unanchored(RcRoom *self, RcHistory *history)
{
	for (guint i = 0; i < history->messages->len; i++) {
		RcMessage *msg = g_ptr_array_index(history->messages, i);
		gboolean known = FALSE;

		if (rc_message_get_offset(msg) > self->last)
			break;
		/* an offset read back as delivered: any rewind begins after it */
		if (rc_room_seen_same(self, msg, &known))
			return FALSE;
		if (known)
			return TRUE;
	}
	return history->top < self->last;
}

guint
rc_room_recovered(RcRoom *self, RcHistory *history)
{
	guint n = 0;
	gboolean missed = FALSE;

	self->fetching = FALSE;
	if (self->sequence == RC_ROOM_UNSYNCED)
		return rc_room_sync(self, history->epoch, history->top);
	if (self->sequence != RC_ROOM_RECOVERING)
		return 0;
	if (g_strcmp0(history->epoch, self->epoch) != 0) {
		/* the room lost its history meanwhile: what was missed is gone */
		g_free(self->epoch);
		self->epoch = g_strdup(history->epoch);
		missed = TRUE;
		/* this read began past where the old epoch was: the new one is read from
		 * its start, or its first messages would count as seen */
		if (self->last > 0) {
			self->last = 0;
			self->misses++;
			rc_room_start_fetch(self, TRUE);
			return 0;
		}
	}
	/* offsets went back further than the room remembers what it delivered: read
	 * the whole history, and tell new messages from delivered ones by their time */
	if (!self->deep && self->fetch_after > 0 && self->seen_ts > 0 &&
	    rc_room_rewound_unanchored(self, history)) {
		g_debug("room %s %s: its offsets went back past offset %" G_GUINT64_FORMAT
			": reading its whole history",
			self->ns,
			self->room_code,
			self->fetch_after);
		self->deep = TRUE;
		self->deep_ts = self->seen_ts;
		rc_room_start_fetch(self, TRUE);
		return 0;
	}
	for (guint i = 0; i < history->messages->len; i++) {
		RcMessage *msg = g_ptr_array_index(history->messages, i);
		guint64 offset = rc_message_get_offset(msg);
		if (offset <= self->last) {
			gboolean known = FALSE;
			if (rc_room_seen_same(self, msg, &known))
				continue;
			/* no record of that offset: delivered, unless the whole history is
			 * read after a rewind and it was accepted after all the room saw */
			if (!known && (!self->deep || rc_message_get_ts(msg) <= self->deep_ts))
				continue;
			/* a message of its own at an offset delivered before: the master
			 * that gave that offset first died before its replica had it */
			g_debug("room %s %s: offset %" G_GUINT64_FORMAT " was given again",
				self->ns,
				self->room_code,
				offset);
			self->last = offset - 1;
			missed = TRUE;
		}
		if (offset != self->last + 1)
			missed = TRUE; /* trimmed or expired before it could be read */
		self->last = offset;
		rc_room_remember(self, msg);
		n += rc_room_broadcast(self, msg);
		self->recovered++;
	}
	if (history->top < self->last) {
		/* the room's offsets went back (a promoted replica that had not seen the
		 * last ones): what comes next has offsets this room delivered already */
		self->last = history->top;
		missed = TRUE;
	}
	if (history->top > self->last) {
		/* Held no more (history off, or trimmed): what the read did not bring is
		 * lost, up to the first message held here of this epoch, which is not. */
		guint64 first = rc_room_first_held(self, history->epoch);
		missed = TRUE;
		self->last = first > 0 ? MIN(history->top, first - 1) : history->top;
	}
	self->deep = FALSE;
	if (missed)
		self->misses++;
	rc_room_drop_unfounded(self, history);
	self->sequence = RC_ROOM_LIVE;
	n += rc_room_flush_held(self);
	if (self->fetch_again && self->sequence == RC_ROOM_LIVE)
		rc_room_start_fetch(self, TRUE);
	return n;
}

void
rc_room_set_fetch_func(RcRoom *self, RcRoomFetchFunc func, gpointer user_data)
{
	self->fetch = func;
	self->fetch_data = user_data;
}

const gchar *
rc_room_get_epoch(RcRoom *self)
{
	return self->epoch;
}

guint64
rc_room_get_last_offset(RcRoom *self)
{
	return self->last;
}

gboolean
rc_room_is_synced(RcRoom *self)
{
	return self->sequence != RC_ROOM_UNSYNCED;
}

guint64
rc_room_take_recovered(RcRoom *self)
{
	guint64 n = self->recovered;
	self->recovered = 0;
	return n;
}

guint64
rc_room_take_misses(RcRoom *self)
{
	guint64 n = self->misses;
	self->misses = 0;
	return n;
}

guint64
rc_room_take_unfounded(RcRoom *self)
{
	guint64 n = self->unfounded;
	self->unfounded = 0;
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

static guint
rc_room_send_presence(RcRoom *self, RcPresence *event)
{
	GHashTableIter iter;
	gpointer value;
	guint n = 0;

	g_hash_table_iter_init(&iter, self->members);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		RcMembership *m = value;
		if (!m->presence)
			continue;
		/* never about itself; its own join marks where "afterwards" begins, since
		 * the bus carries a room's events in the order they happened */
		if (g_strcmp0(rc_member_get_id(m->member), rc_presence_get_client(event)) == 0) {
			if (g_strcmp0(rc_presence_get_event(event), "join") == 0)
				m->presence_live = TRUE;
			continue;
		}
		if (!m->presence_live)
			continue;
		if (!m->live) {
			g_queue_push_tail(&m->kept_presence, rc_presence_ref(event));
			continue;
		}
		rc_member_send_presence(m->member, event);
		n++;
	}
	return n;
}

guint
rc_room_deliver_presence(RcRoom *self, RcPresence *event)
{
	const gchar *client = rc_presence_get_client(event);
	gboolean join = g_strcmp0(rc_presence_get_event(event), "join") == 0;

	if (self->listing > 0)
		g_queue_push_tail(&self->since_list, rc_presence_ref(event));

	/* what the room knows already (a late event, or one a list gave before it)
	 * changes nothing; a member's own join passes, it marks its start */
	if (self->present != NULL) {
		gboolean known = g_hash_table_contains(self->present, client);
		if (join == known) {
			GHashTableIter iter;
			gpointer value;
			g_hash_table_iter_init(&iter, self->members);
			while (join && g_hash_table_iter_next(&iter, NULL, &value)) {
				RcMembership *m = value;
				if (g_strcmp0(rc_member_get_id(m->member), client) == 0 && m->presence)
					m->presence_live = TRUE;
			}
			return 0;
		}
		if (join)
			g_hash_table_insert(self->present, g_strdup(client), rc_presence_ref(event));
		else
			g_hash_table_remove(self->present, client);
	}
	return rc_room_send_presence(self, event);
}

gboolean
rc_room_wants_presence(RcRoom *self)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, self->members);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		if (((RcMembership *)value)->presence)
			return TRUE;
	}
	return FALSE;
}

gboolean
rc_room_knows_presence(RcRoom *self)
{
	return self->present != NULL;
}

gboolean
rc_room_is_listing_presence(RcRoom *self)
{
	return self->listing > 0;
}

guint
rc_room_reconcile_presence(RcRoom *self, GPtrArray *entries)
{
	g_autoptr(GHashTable) now =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)rc_presence_unref);
	GHashTableIter iter;
	gpointer key, value;
	guint n = 0;

	for (guint i = 0; i < entries->len; i++) {
		RcPresence *entry = g_ptr_array_index(entries, i);
		g_hash_table_replace(now,
				     g_strdup(rc_presence_get_client(entry)),
				     rc_presence_ref(entry));
	}
	/* what happened while the list was on its way is newer than the list */
	for (GList *l = self->since_list.head; l != NULL; l = l->next) {
		RcPresence *event = l->data;
		if (g_strcmp0(rc_presence_get_event(event), "join") == 0)
			g_hash_table_replace(now,
					     g_strdup(rc_presence_get_client(event)),
					     rc_presence_ref(event));
		else
			g_hash_table_remove(now, rc_presence_get_client(event));
	}
	rc_room_end_presence_list(self);
	/* the first list is where the room starts; later ones tell what was missed */
	if (self->present != NULL) {
		g_hash_table_iter_init(&iter, now);
		while (g_hash_table_iter_next(&iter, &key, &value)) {
			g_autoptr(RcPresence) event = NULL;
			if (g_hash_table_contains(self->present, key))
				continue;
			event = rc_presence_new(self->ns,
						self->room_code,
						"join",
						key,
						rc_presence_get_sender(value),
						rc_presence_get_node(value));
			n += rc_room_send_presence(self, event);
		}
		g_hash_table_iter_init(&iter, self->present);
		while (g_hash_table_iter_next(&iter, &key, &value)) {
			g_autoptr(RcPresence) event = NULL;
			if (g_hash_table_contains(now, key))
				continue;
			event = rc_presence_new(self->ns,
						self->room_code,
						"leave",
						key,
						rc_presence_get_sender(value),
						rc_presence_get_node(value));
			n += rc_room_send_presence(self, event);
		}
		g_hash_table_unref(self->present);
	}
	self->present = g_steal_pointer(&now);
	return n;
}

void
rc_room_begin_presence_list(RcRoom *self)
{
	self->listing++;
}

void
rc_room_end_presence_list(RcRoom *self)
{
	if (self->listing > 0 && --self->listing == 0)
		g_queue_clear_full(&self->since_list, (GDestroyNotify)rc_presence_unref);
}

void
rc_room_forget_presence(RcRoom *self)
{
	g_clear_pointer(&self->present, g_hash_table_unref);
}

void
rc_membership_set_presence(RcMembership *self, gboolean presence, gboolean live)
{
	self->presence = presence;
	self->presence_live = presence && (live || self->presence_live);
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
	rc_room_forget_presence(RC_ROOM(object));
	for (guint i = 0; i < RC_ROOM_VERIFY; i++)
		g_free(RC_ROOM(object)->seen_id[i]);
	g_queue_clear_full(&RC_ROOM(object)->since_list, (GDestroyNotify)rc_presence_unref);
	RcRoom *self = RC_ROOM(object);
	/* the memberships leave the array as the table frees them */
	g_hash_table_unref(self->members);
	g_ptr_array_unref(self->order);
	g_queue_clear_full(&self->held, (GDestroyNotify)rc_message_unref);
	g_free(self->epoch);
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
	self->order = g_ptr_array_new();
	g_queue_init(&self->held);
	g_queue_init(&self->since_list);
}
