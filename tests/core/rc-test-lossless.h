/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

/*
 * Helpers for the tests of offsets, history, resuming and recovery
 * (test-offsets, test-history, test-recovery, test-ingress, test-redis-outage),
 * on top of rc-test-harness.h.
 *
 * RcTestMember is one WebSocket connection that sorts everything it receives as
 * it arrives: the MSG_TO_CLIENTS frames of its room (in arrival order, with the
 * time each came), the replies to its own frames (by ref), and the rest. Every
 * wait pumps every member, so several members can be driven from one loop
 * without one's frames piling up unread.
 */

#include "rc-test-harness.h"

G_BEGIN_DECLS

/* rc_test_init(), and every roomcastd started afterwards allocates without
 * GSlice's caches (G_SLICE=always-malloc), so LeakSanitizer and valgrind see
 * every block it loses */
void rc_test_lossless_init(int *argc, char ***argv);

typedef struct {
	RcTestWs *ws;
	gchar *name; /* for messages: the sender name it connected with */
	gchar *ns;
	gchar *room;
	GPtrArray *messages; /* JsonObject: the room's MSG_TO_CLIENTS, arrival order */
	GArray *arrived_us;  /* gint64 monotonic time of each, parallel to messages */
	GHashTable *replies; /* ref → JsonObject: ack, error, joined, history, pong... */
	GPtrArray *others;   /* JsonObject: everything else */
	guint next_ref;
} RcTestMember;

/* connects with ?sender=@sender (fails the test when refused); joins nothing */
RcTestMember *
rc_test_member_new(RcTestNode *node, const gchar *sender, const gchar *ns, const gchar *room);
void rc_test_member_free(RcTestMember *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcTestMember, rc_test_member_free)

/* sorts what arrived so far; never waits */
void rc_test_member_pump(RcTestMember *self);
/* the pump of every member still alive (what the waits call) */
void rc_test_member_pump_all(void);

/* a fresh ref, "PREFIX-N" */
gchar *rc_test_member_new_ref(RcTestMember *self, const gchar *prefix);
/* sends @text as a frame (not waiting for anything) */
void rc_test_member_send_raw(RcTestMember *self, const gchar *text);
/* sends a message to the room with @ref, not waiting for the ack */
void rc_test_member_send(RcTestMember *self, const gchar *ref, const gchar *text);

/* The reply with @ref (transfer full), taken out of the replies; fails the test
 * when none came within @timeout_ms. */
#define rc_test_member_wait_reply(m, ref, timeout_ms)                                              \
	rc_test_member_wait_reply_at((m), (ref), (timeout_ms), __FILE__, __LINE__)
JsonObject *rc_test_member_wait_reply_at(
    RcTestMember *self, const gchar *ref, guint timeout_ms, const gchar *file, gint line);
/* NULL when none came */
JsonObject *rc_test_member_try_reply(RcTestMember *self, const gchar *ref, guint timeout_ms);

/* Sends {"type":"join","namespace","roomCode","ref"[,@extra]} where @extra is
 * raw JSON members ("\"history\":3") or NULL, and returns the reply (joined or
 * error, transfer full). A "joined" reply is checked: namespace and roomCode,
 * "epoch" a string and "offset" a non-negative integer. */
#define rc_test_member_join_reply(m, extra)                                                        \
	rc_test_member_join_reply_at((m), (extra), __FILE__, __LINE__)
JsonObject *
rc_test_member_join_reply_at(RcTestMember *self, const gchar *extra, const gchar *file, gint line);
/* the same, and the reply must be "joined" */
#define rc_test_member_join(m, extra) rc_test_member_join_at((m), (extra), __FILE__, __LINE__)
JsonObject *
rc_test_member_join_at(RcTestMember *self, const gchar *extra, const gchar *file, gint line);

/* sends @frame_text (which must carry "ref":"@ref") and expects the error
 * @code with that ref; then a ping proves the connection still works */
#define rc_test_member_expect_error(m, frame_text, ref, code)                                      \
	rc_test_member_expect_error_at((m), (frame_text), (ref), (code), __FILE__, __LINE__)
void rc_test_member_expect_error_at(RcTestMember *self,
				    const gchar *frame_text,
				    const gchar *ref,
				    const gchar *code,
				    const gchar *file,
				    gint line);
/* ping with a fresh ref, the pong must come */
#define rc_test_member_ping(m) rc_test_member_ping_at((m), __FILE__, __LINE__)
void rc_test_member_ping_at(RcTestMember *self, const gchar *file, gint line);

/* Waits until the member holds @n messages; FALSE when it timed out. */
gboolean rc_test_member_wait_messages(RcTestMember *self, guint n, guint timeout_ms);
/* Waits until every member of the NULL-terminated list holds @n messages,
 * fails the test naming the laggards otherwise. */
void rc_test_members_wait_messages(RcTestMember **members, guint n, guint timeout_ms);

/* Its messages must be exactly the offsets @first..@last, in that order (an
 * empty range when @last < @first). Names the first difference. */
#define rc_test_member_assert_offsets(m, first, last)                                              \
	rc_test_member_assert_offsets_at((m), (first), (last), __FILE__, __LINE__)
void rc_test_member_assert_offsets_at(
    RcTestMember *self, gint64 first, gint64 last, const gchar *file, gint line);
/* "3,4,5" of its messages from index @from on (for messages) */
gchar *rc_test_member_describe(RcTestMember *self, guint from);
/* No more messages within @ms than it holds now. */
#define rc_test_member_expect_no_more(m, ms)                                                       \
	rc_test_member_expect_no_more_at((m), (ms), __FILE__, __LINE__)
void rc_test_member_expect_no_more_at(RcTestMember *self, guint ms, const gchar *file, gint line);
/* forgets the messages held (the replies stay) */
void rc_test_member_clear_messages(RcTestMember *self);

/* message fields */
gint64 rc_test_message_offset(JsonObject *msg); /* -1 when absent or no integer */
const gchar *rc_test_message_text(JsonObject *msg);
const gchar *rc_test_message_sender(JsonObject *msg);
/* an integer member, -1 when absent or of another type */
gint64 rc_test_json_get_int(JsonObject *object, const gchar *name);

/* POST /publish of one message, which must be accepted; returns its id */
gchar *rc_test_publish(
    RcTestNode *node, const gchar *ns, const gchar *room, const gchar *sender, const gchar *text);
/* GET @path with extra request headers (NULL or "Name", "Value", ..., NULL) */
RcTestHttpReply *
rc_test_http_get_with_headers(RcTestNode *node, const gchar *path, const gchar *const *headers);
/* a sample of GET /metrics */
gdouble rc_test_node_metric(RcTestNode *node, const gchar *sample);

/* One command over a fresh connection to the redis-server on 127.0.0.1:@port,
 * its reply flattened as rc_test_redis_command() does; fails the test on an
 * error reply. */
gchar *rc_test_port_command(guint16 port, const gchar *first_arg, ...) G_GNUC_NULL_TERMINATED;
gchar *rc_test_port_command_argv(guint16 port, const gchar *const *argv);
/* MULTI, each of @commands (GStrv each), EXEC on one connection: the EXEC
 * reply flattened */
gchar *rc_test_port_transaction(guint16 port, GPtrArray *commands);

/* Kills (CLIENT KILL ID) the Redis pub/sub connections of the process @pid,
 * found by matching its sockets (/proc/PID/fd, /proc/net/tcp) with CLIENT
 * LIST TYPE pubsub; returns how many. */
guint rc_test_kill_pubsub_of(guint16 redis_port, GPid pid);
/* the CLIENT ids of those connections (to kill them over a connection of one's own) */
GStrv rc_test_pubsub_ids_of(guint16 redis_port, GPid pid);

/* TRUE under `meson test --setup valgrind` (every node far slower) */
gboolean rc_test_under_wrapper(void);

G_END_DECLS
