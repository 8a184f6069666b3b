/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Rooms, memberships and the registry as plain objects: who gets which message,
 * in which order, and when rooms come and go.
 */
#include "config.h"

#include <gio/gio.h>

#include "protocol/rc-protocol.h"
#include "rc-error.h"
#include "rc-test-member.h"
#include "rooms/rc-room-registry.h"

static RcMessage *
msg_new(const gchar *text, const gchar *epoch, guint64 offset)
{
	g_autofree gchar *id = g_strdup_printf("id-%s", text);
	RcMessage *msg = rc_message_new("/", "r1", "alice", text, id, 1000, "n1");
	if (offset > 0)
		rc_message_set_offset(msg, epoch, offset);
	return msg;
}

static void
assert_texts(RcTestMember *member, const gchar *const *expected)
{
	GPtrArray *got = rc_test_member_get_messages(member);
	g_assert_cmpuint(got->len, ==, g_strv_length((GStrv)expected));
	for (guint i = 0; i < got->len; i++)
		g_assert_cmpstr(rc_message_get_text(g_ptr_array_index(got, i)), ==, expected[i]);
}

static void
test_member_globs(void)
{
	const gchar *globs[] = {"team-*", "lobby", NULL};
	g_autoptr(RcTestMember) any = rc_test_member_new("c1", "alice", NULL);
	g_autoptr(RcTestMember) some = rc_test_member_new("c2", "bob", globs);

	g_assert_true(rc_member_may_use_room(RC_MEMBER(any), "whatever"));
	g_assert_true(rc_member_may_use_room(RC_MEMBER(some), "team-red"));
	g_assert_true(rc_member_may_use_room(RC_MEMBER(some), "lobby"));
	g_assert_false(rc_member_may_use_room(RC_MEMBER(some), "lobby2"));
	g_assert_false(rc_member_may_use_room(RC_MEMBER(some), "red-team"));
}

static void
test_room_broadcast_live(void)
{
	g_autoptr(RcRoom) room = rc_room_new("/", "r1");
	g_autoptr(RcTestMember) a = rc_test_member_new("c1", "alice", NULL);
	g_autoptr(RcTestMember) b = rc_test_member_new("c2", "bob", NULL);
	g_autoptr(RcMessage) m1 = msg_new("one", NULL, 0);
	g_autoptr(RcMessage) m2 = msg_new("two", NULL, 0);
	gboolean created = FALSE;
	RcMembership *ma = rc_room_add(room, RC_MEMBER(a), &created);
	RcMembership *mb;
	const gchar *both[] = {"one", "two", NULL};

	g_assert_true(created);
	g_assert_true(rc_room_add(room, RC_MEMBER(a), &created) == ma);
	g_assert_false(created);
	mb = rc_room_add(room, RC_MEMBER(b), NULL);
	g_assert_cmpuint(rc_room_activate(room, ma, NULL, 0, NULL), ==, 0);
	g_assert_cmpuint(rc_room_activate(room, mb, NULL, 0, NULL), ==, 0);
	g_assert_true(rc_membership_is_live(ma));
	g_assert_cmpuint(rc_room_deliver(room, m1), ==, 2);
	g_assert_cmpuint(rc_room_deliver(room, m2), ==, 2);
	assert_texts(a, both);
	assert_texts(b, both);
	/* every member gets the very same message object: one frame cache for all */
	g_assert_true(g_ptr_array_index(rc_test_member_get_messages(a), 0) == m1);
	g_assert_true(g_ptr_array_index(rc_test_member_get_messages(b), 0) == m1);
	g_assert_cmpuint(rc_room_get_n_messages(room), ==, 2);
	g_assert_cmpuint(rc_room_get_n_members(room), ==, 2);

	g_assert_true(rc_room_remove(room, RC_MEMBER(b)));
	g_assert_false(rc_room_remove(room, RC_MEMBER(b)));
	g_assert_null(rc_room_lookup(room, RC_MEMBER(b)));
	g_assert_cmpuint(rc_room_deliver(room, m1), ==, 1);
}

/* A room of many members, some pending, as members join and leave in any order:
 * each live member gets each message once, a pending one keeps it, and every
 * member is asked to prefetch before its turn but the first. */
static void
test_room_broadcast_many(void)
{
	g_autoptr(RcRoom) room = rc_room_new("/", "r1");
	g_autoptr(GPtrArray) members = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(RcMessage) m1 = msg_new("one", NULL, 0);
	g_autoptr(RcMessage) m2 = msg_new("two", NULL, 0);
	guint n_live = 0;
	guint prefetched = 0;

	for (guint i = 0; i < 200; i++) {
		g_autofree gchar *id = g_strdup_printf("c%u", i);
		RcTestMember *member = rc_test_member_new(id, "alice", NULL);
		RcMembership *m = rc_room_add(room, RC_MEMBER(member), NULL);
		/* one in seven stays pending */
		if (i % 7 != 3)
			rc_room_activate(room, m, NULL, 0, NULL);
		g_ptr_array_add(members, member);
	}
	/* every third leaves: the others change places in the room */
	for (guint i = 0; i < members->len; i += 3)
		g_assert_true(rc_room_remove(room, g_ptr_array_index(members, i)));
	for (guint i = 0; i < members->len; i++)
		n_live += i % 3 != 0 && i % 7 != 3;
	g_assert_cmpuint(rc_room_get_n_members(room), ==, 200 - 67);

	g_assert_cmpuint(rc_room_deliver(room, m1), ==, n_live);
	g_assert_cmpuint(rc_room_deliver(room, m2), ==, n_live);
	for (guint i = 0; i < members->len; i++) {
		RcTestMember *member = g_ptr_array_index(members, i);
		guint got = rc_test_member_get_messages(member)->len;
		g_assert_cmpuint(got, ==, i % 3 != 0 && i % 7 != 3 ? 2 : 0);
		prefetched += rc_test_member_get_prefetched_sends(member);
	}
	g_assert_cmpuint(prefetched, >=, 2 * (n_live - 1));

	/* all gone: nothing is sent, and nothing is touched */
	for (guint i = 0; i < members->len; i++)
		rc_room_remove(room, g_ptr_array_index(members, i));
	g_assert_cmpuint(rc_room_get_n_members(room), ==, 0);
	g_assert_cmpuint(rc_room_deliver(room, m1), ==, 0);
}

static void
test_room_pending_keeps_then_replays(void)
{
	g_autoptr(RcRoom) room = rc_room_new("/", "r1");
	g_autoptr(RcTestMember) a = rc_test_member_new("c1", "alice", NULL);
	g_autoptr(GPtrArray) replay = g_ptr_array_new_with_free_func((GDestroyNotify)rc_message_unref);
	RcMembership *ma = rc_room_add(room, RC_MEMBER(a), NULL);
	g_autoptr(RcMessage) m4 = msg_new("four", "E1", 4);
	g_autoptr(RcMessage) m5 = msg_new("five", "E1", 5);
	g_autoptr(RcMessage) m6 = msg_new("six", "E1", 6);
	g_autoptr(RcMessage) loose = msg_new("loose", NULL, 0);
	g_autoptr(RcMessage) m7 = msg_new("seven", "E1", 7);
	const gchar *expected[] = {"three", "four", "five", "six", "loose", "seven", NULL};

	g_assert_cmpuint(rc_room_sync(room, "E1", 3), ==, 0);
	/* pending: nothing reaches it yet, everything is kept in order */
	g_assert_false(rc_membership_is_live(ma));
	g_assert_cmpuint(rc_room_deliver(room, m4), ==, 0);
	g_assert_cmpuint(rc_room_deliver(room, m5), ==, 0);
	g_assert_cmpuint(rc_room_deliver(room, m6), ==, 0);
	g_assert_cmpuint(rc_room_deliver(room, loose), ==, 0);
	g_assert_cmpuint(rc_test_member_get_messages(a)->len, ==, 0);
	/* the catch-up went up to offset 5: 4 and 5 come from the replay, not twice */
	g_ptr_array_add(replay, msg_new("three", "E1", 3));
	g_ptr_array_add(replay, rc_message_ref(m4));
	g_ptr_array_add(replay, rc_message_ref(m5));
	g_assert_cmpuint(rc_room_activate(room, ma, "E1", 5, replay), ==, 5);
	g_assert_true(rc_membership_is_live(ma));
	/* once live, events go straight through; a second activation changes nothing */
	g_assert_cmpuint(rc_room_deliver(room, m7), ==, 1);
	g_assert_cmpuint(rc_room_activate(room, ma, "E1", 0, replay), ==, 0);
	assert_texts(a, expected);
}

static void fetch_log_cb(RcRoom *room, guint64 after, gboolean messages, gpointer user_data);

static void
test_room_pending_other_epoch_is_kept(void)
{
	g_autoptr(RcRoom) room = rc_room_new("/", "r1");
	g_autoptr(RcTestMember) a = rc_test_member_new("c1", "alice", NULL);
	RcMembership *ma = rc_room_add(room, RC_MEMBER(a), NULL);
	g_autoptr(GArray) afters = g_array_new(FALSE, FALSE, sizeof(guint64));
	g_autoptr(RcMessage) old = msg_new("old", "E1", 3);
	g_autoptr(RcMessage) fresh = msg_new("fresh", "E2", 1);
	g_autoptr(RcHistory) first = rc_history_new("E2", 1);
	g_autoptr(RcHistory) second = rc_history_new("E2", 1);
	const gchar *expected[] = {"old", "fresh", NULL};

	rc_room_set_fetch_func(room, fetch_log_cb, afters);
	rc_room_sync(room, "E1", 2);
	rc_room_deliver(room, old);
	/* another epoch is taken once the history confirms it, read from its start */
	g_assert_cmpuint(rc_room_deliver(room, fresh), ==, 0);
	g_assert_cmpuint(afters->len, ==, 1);
	g_assert_cmpuint(rc_room_recovered(room, first), ==, 0);
	g_assert_cmpuint(afters->len, ==, 2);
	g_assert_cmpuint(g_array_index(afters, guint64, 1), ==, 0);
	g_ptr_array_add(second->messages, rc_message_ref(fresh));
	rc_room_recovered(room, second);
	g_assert_cmpuint(rc_room_take_unfounded(room), ==, 0);
	/* only what the catch-up covers is skipped: same epoch, offset up to the top */
	g_assert_cmpuint(rc_room_activate(room, ma, "E0", 10, NULL), ==, 2);
	assert_texts(a, expected);
}

static void
fetch_log_cb(RcRoom *room, guint64 after, gboolean messages, gpointer user_data)
{
	GArray *afters = user_data;
	g_array_append_val(afters, after);
}

/* A room recovering a gap finds its history started over (an emptied Redis): the
 * read it made began past the old epoch's offset, so it reads the new epoch from
 * the start, and the new epoch's first messages, held meanwhile, go out once. */
static void
test_room_recovery_new_epoch(void)
{
	g_autoptr(RcRoom) room = rc_room_new("/", "r1");
	g_autoptr(RcTestMember) a = rc_test_member_new("c1", "alice", NULL);
	RcMembership *ma = rc_room_add(room, RC_MEMBER(a), NULL);
	g_autoptr(GArray) afters = g_array_new(FALSE, FALSE, sizeof(guint64));
	g_autoptr(RcMessage) n1 = msg_new("n1", "E2", 1);
	g_autoptr(RcMessage) n2 = msg_new("n2", "E2", 2);
	g_autoptr(RcMessage) n3 = msg_new("n3", "E2", 3);
	g_autoptr(RcHistory) first = rc_history_new("E2", 2);
	g_autoptr(RcHistory) second = rc_history_new("E2", 2);
	const gchar *expected[] = {"n1", "n2", "n3", NULL};

	rc_room_set_fetch_func(room, fetch_log_cb, afters);
	rc_room_sync(room, "E1", 5);
	rc_room_activate(room, ma, "E1", 5, NULL);
	/* the subscription came back: read what came after 5, and the last offsets
	 * delivered again to check them */
	rc_room_resync(room);
	g_assert_cmpuint(afters->len, ==, 1);
	g_assert_cmpuint(g_array_index(afters, guint64, 0), ==, 0);
	/* the new epoch's messages wait for the read */
	g_assert_cmpuint(rc_room_deliver(room, n1), ==, 0);
	g_assert_cmpuint(rc_room_deliver(room, n2), ==, 0);
	/* past 5 of E2 there is nothing: read E2 again from its start */
	g_assert_cmpuint(rc_room_recovered(room, first), ==, 0);
	g_assert_cmpuint(afters->len, ==, 2);
	g_assert_cmpuint(g_array_index(afters, guint64, 1), ==, 0);
	g_assert_cmpuint(rc_test_member_get_messages(a)->len, ==, 0);
	g_ptr_array_add(second->messages, rc_message_ref(n1));
	g_ptr_array_add(second->messages, rc_message_ref(n2));
	g_assert_cmpuint(rc_room_recovered(room, second), ==, 2);
	g_assert_cmpuint(rc_room_deliver(room, n3), ==, 1);
	assert_texts(a, expected);
	g_assert_cmpstr(rc_room_get_epoch(room), ==, "E2");
	g_assert_cmpuint(rc_room_get_last_offset(room), ==, 3);
	g_assert_cmpuint(rc_room_take_misses(room), >=, 1);
}

/* A payload with a made-up epoch, then one of the room's epoch past its top,
 * published from outside: the read asked for after each says neither is in the
 * history. Both are dropped once, nothing is replayed, no read follows, and the
 * room goes on. */
static void
test_room_unfounded_dropped(void)
{
	g_autoptr(RcRoom) room = rc_room_new("/", "r1");
	g_autoptr(RcTestMember) a = rc_test_member_new("c1", "alice", NULL);
	RcMembership *ma = rc_room_add(room, RC_MEMBER(a), NULL);
	g_autoptr(GArray) afters = g_array_new(FALSE, FALSE, sizeof(guint64));
	g_autoptr(RcMessage) three = msg_new("three", "E1", 3);
	g_autoptr(RcMessage) made_up = msg_new("made up", "madeUp", 100);
	g_autoptr(RcMessage) ahead = msg_new("ahead", "E1", 100);
	g_autoptr(RcMessage) four = msg_new("four", "E1", 4);
	g_autoptr(RcHistory) top = rc_history_new("E1", 3);
	const gchar *expected[] = {"three", "four", NULL};

	rc_room_set_fetch_func(room, fetch_log_cb, afters);
	rc_room_sync(room, "E1", 2);
	rc_room_activate(room, ma, "E1", 2, NULL);
	g_assert_cmpuint(rc_room_deliver(room, three), ==, 1);
	for (guint i = 0; i < 2; i++) {
		g_assert_cmpuint(rc_room_deliver(room, i == 0 ? made_up : ahead), ==, 0);
		g_assert_cmpuint(afters->len, ==, i + 1);
		g_assert_cmpuint(g_array_index(afters, guint64, i), ==, 3);
		/* the history has E1 up to 3: nothing to deliver, and no read after it */
		g_assert_cmpuint(rc_room_recovered(room, top), ==, 0);
		g_assert_cmpuint(afters->len, ==, i + 1);
		g_assert_cmpuint(rc_room_take_unfounded(room), ==, 1);
		g_assert_cmpstr(rc_room_get_epoch(room), ==, "E1");
		g_assert_cmpuint(rc_room_get_last_offset(room), ==, 3);
	}
	g_assert_cmpuint(rc_room_deliver(room, four), ==, 1);
	assert_texts(a, expected);
}

/* History off: a read brings where the room stands, never messages. The message
 * that showed the room's new epoch is not taken for one the read covered. */
static void
test_room_new_epoch_history_off(void)
{
	g_autoptr(RcRoom) room = rc_room_new("/", "r1");
	g_autoptr(RcTestMember) a = rc_test_member_new("c1", "alice", NULL);
	RcMembership *ma = rc_room_add(room, RC_MEMBER(a), NULL);
	g_autoptr(GArray) afters = g_array_new(FALSE, FALSE, sizeof(guint64));
	g_autoptr(RcMessage) two = msg_new("two", "E1", 2);
	g_autoptr(RcMessage) fresh = msg_new("fresh", "E2", 1);
	g_autoptr(RcMessage) next = msg_new("next", "E2", 2);
	g_autoptr(RcHistory) first = rc_history_new("E2", 1);
	g_autoptr(RcHistory) second = rc_history_new("E2", 1);
	const gchar *expected[] = {"two", "fresh", "next", NULL};
	guint serial;

	rc_room_set_fetch_func(room, fetch_log_cb, afters);
	rc_room_sync(room, "E1", 1);
	rc_room_activate(room, ma, "E1", 1, NULL);
	g_assert_cmpuint(rc_room_deliver(room, two), ==, 1);
	serial = rc_room_get_fetch_serial(room);
	g_assert_cmpuint(rc_room_deliver(room, fresh), ==, 0);
	/* each read asked for is a new one: an older answer can be told apart */
	g_assert_cmpuint(rc_room_get_fetch_serial(room), !=, serial);
	g_assert_cmpuint(rc_room_recovered(room, first), ==, 0);
	g_assert_cmpuint(afters->len, ==, 2);
	g_assert_cmpuint(rc_room_recovered(room, second), ==, 1);
	g_assert_cmpuint(rc_room_deliver(room, next), ==, 1);
	assert_texts(a, expected);
	g_assert_cmpuint(rc_room_take_unfounded(room), ==, 0);
}

/* A message that came while the read was in flight may be newer than what the
 * read saw (it was published after the read ran): it is kept, and read for again
 * when it leaves a gap. */
static void
test_room_newer_than_read_kept(void)
{
	g_autoptr(RcRoom) room = rc_room_new("/", "r1");
	g_autoptr(RcTestMember) a = rc_test_member_new("c1", "alice", NULL);
	RcMembership *ma = rc_room_add(room, RC_MEMBER(a), NULL);
	g_autoptr(GArray) afters = g_array_new(FALSE, FALSE, sizeof(guint64));
	g_autoptr(RcMessage) m2 = msg_new("two", "E1", 2);
	g_autoptr(RcMessage) m3 = msg_new("three", "E1", 3);
	g_autoptr(RcMessage) m5 = msg_new("five", "E1", 5);
	g_autoptr(RcHistory) first = rc_history_new("E1", 3);
	g_autoptr(RcHistory) second = rc_history_new("E1", 5);
	g_autoptr(RcMessage) m4 = msg_new("four", "E1", 4);
	const gchar *expected[] = {"two", "three", "four", "five", NULL};

	rc_room_set_fetch_func(room, fetch_log_cb, afters);
	rc_room_sync(room, "E1", 1);
	rc_room_activate(room, ma, "E1", 1, NULL);
	/* 3 leaves a gap: read after 1; 5 comes while that read is out */
	g_assert_cmpuint(rc_room_deliver(room, m3), ==, 0);
	g_assert_cmpuint(rc_room_deliver(room, m5), ==, 0);
	g_ptr_array_add(first->messages, rc_message_ref(m2));
	g_ptr_array_add(first->messages, rc_message_ref(m3));
	g_assert_cmpuint(rc_room_recovered(room, first), ==, 2);
	/* past the read's top, but newer than it: read again, not dropped */
	g_assert_cmpuint(rc_room_take_unfounded(room), ==, 0);
	g_assert_cmpuint(afters->len, ==, 2);
	g_assert_cmpuint(g_array_index(afters, guint64, 1), ==, 3);
	g_ptr_array_add(second->messages, rc_message_ref(m4));
	g_ptr_array_add(second->messages, rc_message_ref(m5));
	g_assert_cmpuint(rc_room_recovered(room, second), ==, 2);
	g_assert_cmpuint(rc_room_take_unfounded(room), ==, 0);
	assert_texts(a, expected);
}

/* A master died before its replica had its last messages: the promoted replica
 * gives those offsets to new messages. A room that reads its last offsets again
 * after the lost subscription sees other ids there, and delivers the new ones. */
static void
test_room_offsets_given_again(void)
{
	g_autoptr(RcRoom) room = rc_room_new("/", "r1");
	g_autoptr(RcTestMember) a = rc_test_member_new("c1", "alice", NULL);
	RcMembership *ma = rc_room_add(room, RC_MEMBER(a), NULL);
	g_autoptr(GArray) afters = g_array_new(FALSE, FALSE, sizeof(guint64));
	g_autoptr(RcMessage) m1 = msg_new("m1", "E1", 1);
	g_autoptr(RcMessage) lost2 = msg_new("lost2", "E1", 2);
	g_autoptr(RcMessage) lost3 = msg_new("lost3", "E1", 3);
	g_autoptr(RcMessage) new2 = msg_new("new2", "E1", 2);
	g_autoptr(RcMessage) new3 = msg_new("new3", "E1", 3);
	g_autoptr(RcMessage) new4 = msg_new("new4", "E1", 4);
	g_autoptr(RcHistory) again = rc_history_new("E1", 3);
	g_autoptr(RcHistory) behind = rc_history_new("E1", 1);
	const gchar *expected[] = {"m1", "lost2", "lost3", "new2", "new3", "new4", NULL};

	rc_room_set_fetch_func(room, fetch_log_cb, afters);
	rc_room_sync(room, "E1", 0);
	rc_room_activate(room, ma, "E1", 0, NULL);
	g_assert_cmpuint(rc_room_deliver(room, m1), ==, 1);
	g_assert_cmpuint(rc_room_deliver(room, lost2), ==, 1);
	g_assert_cmpuint(rc_room_deliver(room, lost3), ==, 1);
	/* failover: the new master holds 1, 2', 3' */
	rc_room_resync(room);
	g_ptr_array_add(again->messages, rc_message_ref(m1));
	g_ptr_array_add(again->messages, rc_message_ref(new2));
	g_ptr_array_add(again->messages, rc_message_ref(new3));
	g_assert_cmpuint(rc_room_recovered(room, again), ==, 2);
	g_assert_cmpuint(rc_room_deliver(room, new4), ==, 1);
	assert_texts(a, expected);
	g_assert_cmpuint(rc_room_get_last_offset(room), ==, 4);

	/* and one that read the new master before it had anything new: it goes back,
	 * so the next offsets count as new */
	rc_room_resync(room);
	g_ptr_array_add(behind->messages, rc_message_ref(m1));
	g_assert_cmpuint(rc_room_recovered(room, behind), ==, 0);
	g_assert_cmpuint(rc_room_get_last_offset(room), ==, 1);
}

/* The promoted replica was further behind than the offsets a room reads again:
 * the new master gave offsets the room delivered long ago to messages accepted
 * after the failover. The room reads its whole history and delivers those, told
 * from the old ones by their time; nothing twice. */
static void
test_room_offsets_given_again_far_back(void)
{
	g_autoptr(RcRoom) room = rc_room_new("/", "r1");
	g_autoptr(RcTestMember) a = rc_test_member_new("c1", "alice", NULL);
	RcMembership *ma = rc_room_add(room, RC_MEMBER(a), NULL);
	g_autoptr(GArray) afters = g_array_new(FALSE, FALSE, sizeof(guint64));
	g_autoptr(GPtrArray) old = g_ptr_array_new_with_free_func((GDestroyNotify)rc_message_unref);
	g_autoptr(GPtrArray) fresh = g_ptr_array_new_with_free_func((GDestroyNotify)rc_message_unref);
	g_autoptr(RcHistory) window = rc_history_new("E1", 11);
	g_autoptr(RcHistory) whole = rc_history_new("E1", 11);
	gint64 later = g_get_real_time() / 1000 + 5000;
	GPtrArray *got;

	rc_room_set_fetch_func(room, fetch_log_cb, afters);
	rc_room_sync(room, "E1", 0);
	rc_room_activate(room, ma, "E1", 0, NULL);
	for (guint i = 1; i <= 45; i++) {
		g_autofree gchar *text = g_strdup_printf("old%u", i);
		g_ptr_array_add(old, msg_new(text, "E1", i));
		g_assert_cmpuint(rc_room_deliver(room, old->pdata[i - 1]), ==, 1);
	}
	/* the new master had 1..5 and gave 6..11 to new messages */
	for (guint i = 6; i <= 11; i++) {
		g_autofree gchar *text = g_strdup_printf("new%u", i);
		RcMessage *msg = msg_new(text, "E1", i);
		rc_message_set_ts(msg, later + i);
		g_ptr_array_add(fresh, msg);
	}
	rc_room_resync(room);
	g_assert_cmpuint(g_array_index(afters, guint64, afters->len - 1), ==, 45 - 32);
	/* the new ones come live while the read is out: they wait */
	for (guint i = 0; i < fresh->len; i++)
		g_assert_cmpuint(rc_room_deliver(room, fresh->pdata[i]), ==, 0);
	/* the read after 13 finds nothing, and the top below 45: read it all */
	g_assert_cmpuint(rc_room_recovered(room, window), ==, 0);
	g_assert_cmpuint(g_array_index(afters, guint64, afters->len - 1), ==, 0);
	for (guint i = 0; i < 5; i++)
		g_ptr_array_add(whole->messages, rc_message_ref(old->pdata[i]));
	for (guint i = 0; i < fresh->len; i++)
		g_ptr_array_add(whole->messages, rc_message_ref(fresh->pdata[i]));
	g_assert_cmpuint(rc_room_recovered(room, whole), ==, 6);
	g_assert_cmpuint(rc_room_get_last_offset(room), ==, 11);
	got = rc_test_member_get_messages(a);
	g_assert_cmpuint(got->len, ==, 45 + 6);
	for (guint i = 0; i < 6; i++)
		g_assert_true(g_ptr_array_index(got, 45 + i) == fresh->pdata[i]);
	/* the next one is live again */
	{
		g_autoptr(RcMessage) m12 = msg_new("new12", "E1", 12);
		g_assert_cmpuint(rc_room_deliver(room, m12), ==, 1);
	}
}

/* Joins that could not read where the room stands (Redis away) leave the room
 * unsynced, its messages held: it reads that itself, once however many joins ask,
 * once more after a failed read, and then delivers what waited. */
static void
test_room_sync_later(void)
{
	g_autoptr(RcRoom) room = rc_room_new("/", "r1");
	g_autoptr(RcTestMember) a = rc_test_member_new("c1", "alice", NULL);
	RcMembership *ma = rc_room_add(room, RC_MEMBER(a), NULL);
	g_autoptr(GArray) afters = g_array_new(FALSE, FALSE, sizeof(guint64));
	g_autoptr(RcMessage) m4 = msg_new("four", "E1", 4);
	g_autoptr(RcHistory) top = rc_history_new("E1", 3);
	const gchar *expected[] = {"four", NULL};

	rc_room_set_fetch_func(room, fetch_log_cb, afters);
	g_assert_cmpuint(rc_room_activate(room, ma, "", 0, NULL), ==, 0);
	rc_room_sync_later(room);
	rc_room_sync_later(room);
	g_assert_cmpuint(afters->len, ==, 1);
	g_assert_cmpuint(g_array_index(afters, guint64, 0), ==, 0);
	/* held until the room knows where it stands */
	g_assert_cmpuint(rc_room_deliver(room, m4), ==, 0);
	g_assert_false(rc_room_is_synced(room));
	/* the read failed and is tried again: still one in flight */
	rc_room_retry_fetch(room);
	rc_room_sync_later(room);
	g_assert_cmpuint(afters->len, ==, 2);
	g_assert_cmpuint(rc_room_recovered(room, top), ==, 1);
	g_assert_true(rc_room_is_synced(room));
	assert_texts(a, expected);
	/* synced: nothing more to read */
	rc_room_sync_later(room);
	g_assert_cmpuint(afters->len, ==, 2);
}

typedef struct {
	GPtrArray *added;
	GPtrArray *removed;
} RoomLog;

static void
room_added_cb(RcRoomRegistry *registry, RcRoom *room, RoomLog *log)
{
	g_ptr_array_add(log->added, g_strdup(rc_room_get_code(room)));
}

static void
room_removed_cb(RcRoomRegistry *registry, RcRoom *room, RoomLog *log)
{
	g_ptr_array_add(log->removed, g_strdup(rc_room_get_code(room)));
}

static void
test_registry_rooms_come_and_go(void)
{
	g_autoptr(RcRoomRegistry) registry = rc_room_registry_new();
	g_autoptr(RcTestMember) a = rc_test_member_new("c1", "alice", NULL);
	g_autoptr(RcTestMember) b = rc_test_member_new("c2", "bob", NULL);
	g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) removed = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) rooms_of_a = NULL;
	RoomLog log = {added, removed};
	gboolean created = FALSE;
	RcMembership *m;
	RcRoom *r1;

	g_signal_connect(registry, "room-added", G_CALLBACK(room_added_cb), &log);
	g_signal_connect(registry, "room-removed", G_CALLBACK(room_removed_cb), &log);
	m = rc_room_registry_join(registry, RC_MEMBER(a), "/", "r1", &created);
	g_assert_true(created);
	r1 = rc_membership_get_room(m);
	g_assert_true(rc_membership_get_member(m) == RC_MEMBER(a));
	g_assert_true(rc_room_registry_join(registry, RC_MEMBER(a), "/", "r1", &created) == m);
	g_assert_false(created);
	rc_room_registry_join(registry, RC_MEMBER(b), "/", "r1", NULL);
	rc_room_registry_join(registry, RC_MEMBER(a), "/team", "r1", NULL);
	g_assert_cmpuint(added->len, ==, 2);
	g_assert_cmpuint(rc_room_registry_get_size(registry), ==, 2);
	g_assert_true(rc_room_registry_lookup(registry, "/", "r1") == r1);
	g_assert_null(rc_room_registry_lookup(registry, "/", "r2"));
	g_assert_cmpuint(rc_room_registry_count_rooms_of(registry, RC_MEMBER(a)), ==, 2);
	g_assert_cmpuint(rc_room_registry_count_rooms_of(registry, RC_MEMBER(b)), ==, 1);
	rooms_of_a = rc_room_registry_get_rooms_of(registry, RC_MEMBER(a));
	g_assert_cmpuint(rooms_of_a->len, ==, 2);
	g_assert_nonnull(rc_room_registry_lookup_membership(registry, RC_MEMBER(b), "/", "r1"));
	g_assert_null(rc_room_registry_lookup_membership(registry, RC_MEMBER(b), "/team", "r1"));

	/* the room lives while anyone is in it */
	g_assert_true(rc_room_registry_leave(registry, RC_MEMBER(a), r1));
	g_assert_false(rc_room_registry_leave(registry, RC_MEMBER(a), r1));
	g_assert_cmpuint(removed->len, ==, 0);
	g_assert_cmpuint(rc_room_get_n_members(r1), ==, 1);
	g_assert_true(rc_room_registry_leave(registry, RC_MEMBER(b), r1));
	g_assert_cmpuint(removed->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(removed, 0), ==, "r1");
	g_assert_null(rc_room_registry_lookup(registry, "/", "r1"));
	g_assert_cmpuint(rc_room_registry_count_rooms_of(registry, RC_MEMBER(b)), ==, 0);
	g_assert_cmpuint(rc_room_registry_count_rooms_of(registry, RC_MEMBER(a)), ==, 1);

	/* a room that comes back is a new room */
	m = rc_room_registry_join(registry, RC_MEMBER(b), "/", "r1", &created);
	g_assert_true(created);
	g_assert_cmpuint(added->len, ==, 3);

	/* a key longer than the lookup's buffer on the stack, and one that fills it */
	{
		g_autofree gchar *long_code = g_strnfill(400, 'x');
		g_autofree gchar *edge_code = g_strnfill(256 - 3, 'y');
		RcMembership *lm =
		    rc_room_registry_join(registry, RC_MEMBER(b), "/", long_code, NULL);
		RcMembership *em =
		    rc_room_registry_join(registry, RC_MEMBER(b), "/", edge_code, NULL);

		g_assert_true(rc_room_registry_lookup(registry, "/", long_code) ==
			      rc_membership_get_room(lm));
		g_assert_true(rc_room_registry_lookup(registry, "/", edge_code) ==
			      rc_membership_get_room(em));
		long_code[399] = 'z';
		g_assert_null(rc_room_registry_lookup(registry, "/", long_code));
		g_assert_true(
		    rc_room_registry_leave(registry, RC_MEMBER(b), rc_membership_get_room(em)));
		long_code[399] = 'x';
		g_assert_true(rc_room_registry_leave(
		    registry, RC_MEMBER(b), rc_room_registry_lookup(registry, "/", long_code)));
	}
}

static void
test_message_frames_are_cached(void)
{
	g_autoptr(RcMessage) msg = msg_new("hi", "E1", 7);
	g_autoptr(GBytes) frame = g_bytes_new_static("x", 1);
	g_autoptr(GBytes) json = rc_protocol_build_message(msg);

	g_assert_null(rc_message_peek_frame(msg, RC_WIRE_WS));
	g_assert_true(rc_message_set_frame(msg, RC_WIRE_WS, frame) == frame);
	g_assert_true(rc_message_peek_frame(msg, RC_WIRE_WS) == frame);
	g_assert_null(rc_message_peek_frame(msg, RC_WIRE_SIO_WS));
	g_assert_nonnull(strstr(g_bytes_get_data(json, NULL), "\"offset\":7"));
	/* a changed message must not reuse a frame of its old content */
	rc_message_set_id(msg, "other");
	g_assert_null(rc_message_peek_frame(msg, RC_WIRE_WS));
}

static void
test_error_table(void)
{
	static const struct {
		gint code;
		const gchar *wire;
		guint http;
		const gchar *dbus;
	} rows[] = {
	    {RC_ERROR_FAILED, "unavailable", 500, "org.roomcast.Error.Failed"},
	    {RC_ERROR_NOT_FOUND, "bad_request", 404, "org.roomcast.Error.NotFound"},
	    {RC_ERROR_INVALID_ARGS, "bad_request", 400, "org.roomcast.Error.InvalidArgs"},
	    {RC_ERROR_UNAVAILABLE, "unavailable", 503, "org.roomcast.Error.Unavailable"},
	    {RC_ERROR_TOO_LARGE, "too_large", 413, "org.roomcast.Error.InvalidArgs"},
	    {RC_ERROR_FORBIDDEN, "forbidden", 403, "org.roomcast.Error.Failed"},
	    {RC_ERROR_REJECTED, "rejected", 422, "org.roomcast.Error.Failed"},
	    {RC_ERROR_RATE_LIMITED, "rate_limited", 429, "org.roomcast.Error.Failed"},
	    {RC_ERROR_NOT_JOINED, "not_joined", 409, "org.roomcast.Error.NotFound"},
	    {RC_ERROR_UNAUTHORIZED, "forbidden", 401, "org.roomcast.Error.Failed"},
	    {RC_ERROR_TOO_MANY_ROOMS, "too_many_rooms", 429, "org.roomcast.Error.Failed"},
	};
	g_autoptr(GError) protocol = g_error_new_literal(RC_PROTOCOL_ERROR,
							 RC_PROTOCOL_ERROR_TOO_LARGE,
							 "big");
	g_autoptr(GError) foreign = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_FAILED, "x");

	for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
		g_autoptr(GError) error = g_error_new_literal(RC_ERROR, rows[i].code, "m");
		g_assert_cmpstr(rc_error_get_wire_code(error), ==, rows[i].wire);
		g_assert_cmpuint(rc_error_get_http_status(error), ==, rows[i].http);
		g_assert_cmpstr(rc_error_get_dbus_name(error), ==, rows[i].dbus);
	}
	g_assert_cmpstr(rc_error_get_wire_code(protocol), ==, "too_large");
	g_assert_cmpuint(rc_error_get_http_status(protocol), ==, 413);
	g_assert_cmpstr(rc_error_get_wire_code(foreign), ==, "unavailable");
	g_assert_cmpstr(rc_error_get_dbus_name(foreign), ==, "org.roomcast.Error.Failed");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rooms/member/globs", test_member_globs);
	g_test_add_func("/rooms/room/broadcast-live", test_room_broadcast_live);
	g_test_add_func("/rooms/room/broadcast-many", test_room_broadcast_many);
	g_test_add_func("/rooms/room/pending-keeps-then-replays", test_room_pending_keeps_then_replays);
	g_test_add_func("/rooms/room/pending-other-epoch-is-kept", test_room_pending_other_epoch_is_kept);
	g_test_add_func("/rooms/room/recovery-new-epoch", test_room_recovery_new_epoch);
	g_test_add_func("/rooms/room/unfounded-dropped", test_room_unfounded_dropped);
	g_test_add_func("/rooms/room/newer-than-read-kept", test_room_newer_than_read_kept);
	g_test_add_func("/rooms/room/new-epoch-history-off", test_room_new_epoch_history_off);
	g_test_add_func("/rooms/room/offsets-given-again", test_room_offsets_given_again);
	g_test_add_func("/rooms/room/offsets-given-again-far-back",
			test_room_offsets_given_again_far_back);
	g_test_add_func("/rooms/room/sync-later", test_room_sync_later);
	g_test_add_func("/rooms/registry/rooms-come-and-go", test_registry_rooms_come_and_go);
	g_test_add_func("/rooms/message/frames-are-cached", test_message_frames_are_cached);
	g_test_add_func("/errors/one-table", test_error_table);
	return g_test_run();
}
