/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTestOffsets"

#include <string.h>

#include "rc-test-lossless.h"

/*
 * Room offsets under concurrency: three nodes on one Redis, six senders (two per
 * node) pipelining their messages into one room while a second room gets its own
 * traffic. Every member on every node must see the room's messages exactly once,
 * with offsets 1..N without a gap, in one and the same order everywhere (the same
 * id at the same offset), each sender's messages in the order it sent them, and
 * each ack naming the id its message was delivered with.
 */

#define N_NODES 3
#define SENDERS_PER_NODE 2
#define LISTENERS_PER_NODE 2
#define N_SENDERS (N_NODES * SENDERS_PER_NODE)
#define N_LISTENERS (N_NODES * LISTENERS_PER_NODE)

/* fewer under valgrind, where every node is some 20 times slower */
static guint
per_sender(guint normal)
{
	return rc_test_under_wrapper() ? normal / 4 : normal;
}

static RcTestNode *
start_node_full(RcTestRedis *redis, guint i, const gchar *fanout, const gchar *extra)
{
	g_autofree gchar *contents = g_strdup_printf(
	    "[redis]\nfanout=%s\n[history]\nsize=2000\n%s", fanout, extra != NULL ? extra : "");
	const gchar *config = rc_test_write_config(contents);
	g_autofree gchar *id = g_strdup_printf("off%u", i + 1);
	RcTestNode *node = rc_test_node_new("--port",
					    "0",
					    "--bus",
					    "none",
					    "--node-id",
					    id,
					    "--redis",
					    rc_test_redis_get_url(redis),
					    "--config",
					    config,
					    NULL);
	rc_test_node_wait_redis_connected(node, 5000);
	return node;
}

static RcTestNode *
start_node(RcTestRedis *redis, guint i, const gchar *fanout)
{
	return start_node_full(redis, i, fanout, NULL);
}

/* "SENDER:SEQ" */
static gboolean
parse_text(const gchar *text, gchar **sender, guint *seq)
{
	const gchar *colon = text != NULL ? strrchr(text, ':') : NULL;

	if (colon == NULL)
		return FALSE;
	*sender = g_strndup(text, colon - text);
	*seq = (guint)g_ascii_strtoull(colon + 1, NULL, 10);
	return TRUE;
}

/*
 * Checks one room once every member holds @total messages: exactly offsets
 * 1..total, the same ids at the same offsets everywhere, each sender's sequence in
 * order, every sender's acks matching.
 */
static void
check_room(RcTestMember **members, RcTestMember **senders, guint n_senders, guint per, guint total)
{
	RcTestMember *reference = members[0];
	g_autoptr(GHashTable) id_of_text = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) next_seq =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (guint m = 0; members[m] != NULL; m++) {
		rc_test_member_assert_offsets(members[m], 1, total);
		for (guint i = 0; i < total; i++) {
			JsonObject *mine = members[m]->messages->pdata[i];
			JsonObject *ref = reference->messages->pdata[i];
			if (g_strcmp0(rc_test_json_get_string(mine, "id"),
				      rc_test_json_get_string(ref, "id")) != 0 ||
			    g_strcmp0(rc_test_message_text(mine), rc_test_message_text(ref)) != 0)
				g_error("%s and %s differ at offset %u: %s “%s” vs %s “%s”",
					members[m]->name,
					reference->name,
					i + 1,
					rc_test_json_get_string(mine, "id"),
					rc_test_message_text(mine),
					rc_test_json_get_string(ref, "id"),
					rc_test_message_text(ref));
		}
	}
	/* each sender's messages in its order, under its name, each once */
	for (guint i = 0; i < total; i++) {
		JsonObject *msg = reference->messages->pdata[i];
		g_autofree gchar *sender = NULL;
		guint seq = 0;
		gpointer expected;

		g_assert_true(parse_text(rc_test_message_text(msg), &sender, &seq));
		g_assert_cmpstr(rc_test_message_sender(msg), ==, sender);
		expected = g_hash_table_lookup(next_seq, sender);
		if (GPOINTER_TO_UINT(expected) != seq)
			g_error("offset %u: %s's message %u where %u was due",
				i + 1,
				sender,
				seq,
				GPOINTER_TO_UINT(expected));
		g_hash_table_insert(next_seq, g_strdup(sender), GUINT_TO_POINTER(seq + 1));
		g_assert_false(g_hash_table_contains(id_of_text, rc_test_message_text(msg)));
		g_hash_table_insert(id_of_text,
				    (gpointer)rc_test_message_text(msg),
				    (gpointer)rc_test_json_get_string(msg, "id"));
	}
	g_assert_cmpuint(g_hash_table_size(next_seq), ==, n_senders);
	/* the acks name the ids the messages went out with */
	for (guint s = 0; s < n_senders; s++) {
		for (guint k = 0; k < per; k++) {
			g_autofree gchar *ref = g_strdup_printf("%s-%u", senders[s]->name, k);
			g_autofree gchar *text = g_strdup_printf("%s:%u", senders[s]->name, k);
			g_autoptr(JsonObject) ack =
			    rc_test_member_wait_reply(senders[s], ref, 10000);
			g_autofree gchar *ack_text = rc_test_json_to_string(ack);

			if (g_strcmp0(rc_test_json_get_string(ack, "type"), "ack") != 0)
				g_error("%s: expected an ack, got %s", ref, ack_text);
			g_assert_cmpstr(rc_test_json_get_string(ack, "id"),
					==,
					g_hash_table_lookup(id_of_text, text));
		}
	}
}

static void
run_offsets(const gchar *fanout)
{
	g_autoptr(RcTestRedis) redis = rc_test_redis_new();
	RcTestNode *nodes[N_NODES];
	/* room R: listeners and senders (both members); room B: one sender per node */
	RcTestMember *r_members[N_LISTENERS + N_SENDERS + 1] = {NULL};
	RcTestMember *r_senders[N_SENDERS];
	RcTestMember *b_members[N_NODES + 1] = {NULL};
	const guint per = per_sender(200);
	const guint b_per = per_sender(100);
	const guint total = per * N_SENDERS;
	const guint b_total = b_per * N_NODES;
	const gchar *epoch = NULL;
	guint n = 0;
	gint64 started;

	for (guint i = 0; i < N_NODES; i++)
		nodes[i] = start_node(redis, i, fanout);
	for (guint i = 0; i < N_NODES; i++) {
		for (guint k = 0; k < LISTENERS_PER_NODE; k++) {
			g_autofree gchar *name = g_strdup_printf("l%u%c", i + 1, 'a' + k);
			r_members[n++] = rc_test_member_new(nodes[i], name, "/", "offsets");
		}
		for (guint k = 0; k < SENDERS_PER_NODE; k++) {
			g_autofree gchar *name = g_strdup_printf("s%u%c", i + 1, 'a' + k);
			r_senders[i * SENDERS_PER_NODE + k] = r_members[n++] =
			    rc_test_member_new(nodes[i], name, "/", "offsets");
		}
		{
			g_autofree gchar *name = g_strdup_printf("b%u", i + 1);
			b_members[i] = rc_test_member_new(nodes[i], name, "/", "offsets-b");
		}
	}
	/* every join says the same epoch (the first one made it), offset 0 */
	for (guint m = 0; r_members[m] != NULL; m++) {
		g_autoptr(JsonObject) joined = rc_test_member_join(r_members[m], NULL);
		g_assert_cmpint(rc_test_json_get_int(joined, "offset"), ==, 0);
		g_assert_cmpstr(rc_test_json_get_string(joined, "epoch"), !=, "");
		if (epoch == NULL)
			epoch = g_intern_string(rc_test_json_get_string(joined, "epoch"));
		g_assert_cmpstr(rc_test_json_get_string(joined, "epoch"), ==, epoch);
	}
	for (guint m = 0; b_members[m] != NULL; m++) {
		g_autoptr(JsonObject) joined = rc_test_member_join(b_members[m], NULL);
		g_assert_cmpint(rc_test_json_get_int(joined, "offset"), ==, 0);
		/* another room, another epoch */
		g_assert_cmpstr(rc_test_json_get_string(joined, "epoch"), !=, epoch);
	}

	/* everyone at once, pipelined: the frames go out before any ack comes back */
	started = g_get_monotonic_time();
	for (guint k = 0; k < MAX(per, b_per); k++) {
		for (guint s = 0; s < N_SENDERS && k < per; s++) {
			g_autofree gchar *ref = g_strdup_printf("%s-%u", r_senders[s]->name, k);
			g_autofree gchar *text = g_strdup_printf("%s:%u", r_senders[s]->name, k);
			rc_test_member_send(r_senders[s], ref, text);
		}
		for (guint s = 0; s < N_NODES && k < b_per; s++) {
			g_autofree gchar *ref = g_strdup_printf("%s-%u", b_members[s]->name, k);
			g_autofree gchar *text = g_strdup_printf("%s:%u", b_members[s]->name, k);
			rc_test_member_send(b_members[s], ref, text);
		}
	}
	rc_test_members_wait_messages(r_members, total, 30000);
	rc_test_members_wait_messages(b_members, b_total, 30000);
	g_test_message("fanout %s: %u + %u messages reached %u members in %.2f s",
		       fanout,
		       total,
		       b_total,
		       N_LISTENERS + N_SENDERS + N_NODES,
		       (g_get_monotonic_time() - started) / 1e6);
	/* exactly once: nothing more comes */
	rc_test_member_expect_no_more(r_members[0], 300);
	for (guint m = 0; r_members[m] != NULL; m++)
		rc_test_member_expect_no_more(r_members[m], 0);
	for (guint m = 0; b_members[m] != NULL; m++)
		rc_test_member_expect_no_more(b_members[m], 0);

	check_room(r_members, r_senders, N_SENDERS, per, total);
	check_room(b_members, b_members, N_NODES, b_per, b_total);

	/* the history holds the same order: its newest 50 are the last 50 offsets */
	{
		g_autoptr(RcTestHttpReply) reply =
		    rc_test_http_get(nodes[2], "/history?namespace=%2F&roomCode=offsets");
		g_autoptr(JsonObject) body = rc_test_http_reply_json(reply);
		JsonArray *messages = json_object_get_array_member(body, "messages");

		g_assert_cmpuint(reply->status, ==, 200);
		g_assert_cmpstr(rc_test_json_get_string(body, "epoch"), ==, epoch);
		g_assert_cmpint(rc_test_json_get_int(body, "offset"), ==, total);
		g_assert_cmpuint(json_array_get_length(messages), ==, MIN(50, total));
		for (guint i = 0; i < json_array_get_length(messages); i++) {
			JsonObject *item = json_array_get_object_element(messages, i);
			JsonObject *seen =
			    r_members[0]
				->messages->pdata[total - json_array_get_length(messages) + i];
			g_assert_cmpstr(rc_test_json_get_string(item, "id"),
					==,
					rc_test_json_get_string(seen, "id"));
			g_assert_cmpint(
			    rc_test_message_offset(item), ==, rc_test_message_offset(seen));
		}
	}

	for (guint m = 0; r_members[m] != NULL; m++)
		rc_test_member_free(r_members[m]);
	for (guint m = 0; b_members[m] != NULL; m++)
		rc_test_member_free(b_members[m]);
	for (guint i = 0; i < N_NODES; i++) {
		g_assert_cmpint(rc_test_node_stop(nodes[i]), ==, 0);
		rc_test_node_free(nodes[i]);
	}
}

static void
test_offsets_single(void)
{
	run_offsets("single");
}

static void
test_offsets_per_room(void)
{
	run_offsets("per-room");
}

/* ---- sends pipelined behind their join ----------------------------------------- */

static void
append_text_frame(GByteArray *out, const gchar *text)
{
	g_autoptr(GBytes) frame = rc_test_ws_frame_new(0x1, TRUE, text, strlen(text));
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(frame, &size);

	g_byte_array_append(out, data, (guint)size);
}

/* every frame in one write: the join cannot have taken effect before the sends are read */
static void
send_together(RcTestRawWs *raw, GByteArray *frames)
{
	g_autoptr(GError) error = NULL;
	gssize n = g_socket_send(rc_test_raw_ws_get_socket(raw),
				 (const gchar *)frames->data,
				 frames->len,
				 NULL,
				 &error);

	g_assert_no_error(error);
	g_assert_cmpint(n, ==, (gssize)frames->len);
}

/* what the sends waiting for their joins may hold, for the test: a few of them */
#define PIPELINED_QUEUE 16384
#define PIPELINED_TEXT 1000
#define WAIT 5000

/* A client that writes join and send together gets the join's answer first, then
 * its sends, at the offsets after the one the join answered with: its own
 * messages reach it and every other member, as everyone's do. */
static void
test_pipelined_send(void)
{
	g_autoptr(RcTestRedis) redis = rc_test_redis_new();
	g_autoptr(RcTestNode) n1 =
	    start_node_full(redis, 0, "single", "[limits]\nmax_queue_bytes=16384\n");
	g_autoptr(RcTestNode) n2 = start_node(redis, 1, "single");
	g_autoptr(RcTestMember) other = rc_test_member_new(n2, "other", "/", "piped");
	g_autoptr(JsonObject) other_joined = rc_test_member_join(other, NULL);
	g_autoptr(RcTestRawWs) raw = rc_test_raw_ws_new(n1, "sender=piper", 0);
	g_autoptr(JsonObject) hello = rc_test_raw_ws_read_json(raw, WAIT);
	g_autoptr(GByteArray) frames = g_byte_array_new();
	g_autoptr(GHashTable) acked = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	const guint n_sends = 30;
	g_autofree gchar *filler = g_strnfill(PIPELINED_TEXT, 'x');
	guint64 top = 0;
	guint n_acks = 0, n_limited = 0, n_own = 0;
	gboolean joined = FALSE;

	g_assert_cmpstr(rc_test_json_get_string(hello, "type"), ==, "hello");
	/* the room already has a message: the join answers with offset 1 */
	rc_test_member_send(other, "b", "before");
	g_assert_true(rc_test_member_wait_messages(other, 1, WAIT));

	append_text_frame(frames, "{\"type\":\"join\",\"roomCode\":\"piped\",\"ref\":\"j\"}");
	for (guint i = 0; i < n_sends; i++) {
		g_autofree gchar *send = g_strdup_printf(
		    "{\"type\":\"send\",\"roomCode\":\"piped\",\"text\":\"p%u %s\",\"ref\":\"s%u\"}",
		    i,
		    filler,
		    i);
		append_text_frame(frames, send);
	}
	send_together(raw, frames);

	/* the answer to the join, the acks and refusals, and the member's own messages */
	while (n_acks + n_limited < n_sends || n_own < n_acks) {
		g_autoptr(JsonObject) f = rc_test_raw_ws_read_json(raw, WAIT);
		const gchar *type;

		g_assert_nonnull(f);
		type = rc_test_json_get_string(f, "type");
		if (g_strcmp0(type, "joined") == 0) {
			g_assert_false(joined);
			g_assert_cmpstr(rc_test_json_get_string(f, "ref"), ==, "j");
			top = (guint64)json_object_get_int_member(f, "offset");
			g_assert_cmpuint(top, ==, 1);
			joined = TRUE;
			continue;
		}
		/* refused at once: the sends past the limit */
		if (g_strcmp0(type, "error") == 0) {
			g_assert_cmpstr(rc_test_json_get_string(f, "code"), ==, "rate_limited");
			n_limited++;
			continue;
		}
		/* nothing of a send that was taken comes before the join's answer */
		if (!joined)
			g_error("%s before the join's answer", rc_test_json_to_string(f));
		if (g_strcmp0(type, "ack") == 0) {
			g_hash_table_insert(acked,
					    g_strdup(rc_test_json_get_string(f, "id")),
					    g_strdup(rc_test_json_get_string(f, "ref")));
			n_acks++;
		} else if (g_strcmp0(type, "MSG_TO_CLIENTS") == 0) {
			JsonObject *msg = json_object_get_object_member(f, "msg");
			g_autofree gchar *want = g_strdup_printf("p%u %s", n_own, filler);
			/* in the order sent, right after the offset the join named */
			g_assert_cmpint(json_object_get_int_member(f, "offset"), ==, top + 1 + n_own);
			g_assert_cmpstr(json_object_get_string_member(msg, "text"), ==, want);
			n_own++;
		} else {
			g_error("unexpected frame %s", type);
		}
	}
	/* the sends that fit into max_queue_bytes waited, the rest were refused, each
	 * answered once */
	g_test_message("%u sends waited for the join, %u refused", n_acks, n_limited);
	g_assert_cmpuint(n_acks, >=, PIPELINED_QUEUE / (PIPELINED_TEXT + 200));
	g_assert_cmpuint(n_acks, <=, PIPELINED_QUEUE / PIPELINED_TEXT);
	g_assert_cmpuint(n_acks + n_limited, ==, n_sends);
	g_assert_cmpuint(n_own, ==, n_acks);
	g_assert_cmpuint(g_hash_table_size(acked), ==, n_acks);
	/* the member on the other node got the same messages at the same offsets */
	g_assert_true(rc_test_member_wait_messages(other, 1 + n_acks, WAIT));
	rc_test_member_assert_offsets(other, 1, 1 + n_acks);

	/* a join left before it took effect: its answer, the leave's, then the sends
	 * it held are refused, and nothing reaches the room */
	g_byte_array_set_size(frames, 0);
	append_text_frame(frames, "{\"type\":\"join\",\"roomCode\":\"piped2\",\"ref\":\"j3\"}");
	append_text_frame(
	    frames, "{\"type\":\"send\",\"roomCode\":\"piped2\",\"text\":\"gone\",\"ref\":\"s3\"}");
	append_text_frame(frames, "{\"type\":\"leave\",\"roomCode\":\"piped2\",\"ref\":\"l3\"}");
	send_together(raw, frames);
	{
		g_autoptr(JsonObject) j = rc_test_raw_ws_read_json(raw, WAIT);
		g_autoptr(JsonObject) l = rc_test_raw_ws_read_json(raw, WAIT);
		g_autoptr(JsonObject) e = rc_test_raw_ws_read_json(raw, WAIT);
		g_assert_cmpstr(rc_test_json_get_string(j, "type"), ==, "joined");
		g_assert_cmpstr(rc_test_json_get_string(j, "ref"), ==, "j3");
		g_assert_cmpstr(rc_test_json_get_string(l, "type"), ==, "left");
		g_assert_cmpstr(rc_test_json_get_string(l, "ref"), ==, "l3");
		g_assert_cmpstr(rc_test_json_get_string(e, "type"), ==, "error");
		g_assert_cmpstr(rc_test_json_get_string(e, "code"), ==, "not_joined");
		g_assert_cmpstr(rc_test_json_get_string(e, "ref"), ==, "s3");
	}
	/* two joins of one room in flight, each with a send behind it: both joins are
	 * answered, the second no earlier than the first, and both sends reach the
	 * sender once, in order, after the first answer */
	g_byte_array_set_size(frames, 0);
	append_text_frame(frames, "{\"type\":\"join\",\"roomCode\":\"piped3\",\"ref\":\"j4\"}");
	append_text_frame(
	    frames, "{\"type\":\"send\",\"roomCode\":\"piped3\",\"text\":\"one\",\"ref\":\"s4\"}");
	append_text_frame(frames, "{\"type\":\"join\",\"roomCode\":\"piped3\",\"ref\":\"j5\"}");
	append_text_frame(
	    frames, "{\"type\":\"send\",\"roomCode\":\"piped3\",\"text\":\"two\",\"ref\":\"s5\"}");
	send_together(raw, frames);
	{
		gint64 first_offset = -1, second_offset = -1;
		guint n_msgs = 0, n_acks3 = 0;
		while (second_offset < 0 || n_msgs < 2 || n_acks3 < 2) {
			g_autoptr(JsonObject) f = rc_test_raw_ws_read_json(raw, WAIT);
			const gchar *type;
			g_assert_nonnull(f);
			type = rc_test_json_get_string(f, "type");
			if (g_strcmp0(type, "joined") == 0) {
				if (g_strcmp0(rc_test_json_get_string(f, "ref"), "j4") == 0) {
					g_assert_cmpint(first_offset, <, 0);
					first_offset = json_object_get_int_member(f, "offset");
				} else {
					g_assert_cmpstr(rc_test_json_get_string(f, "ref"), ==, "j5");
					second_offset = json_object_get_int_member(f, "offset");
					/* never older than what the member already has */
					g_assert_cmpint(second_offset, >=, n_msgs);
				}
			} else if (g_strcmp0(type, "MSG_TO_CLIENTS") == 0) {
				JsonObject *msg = json_object_get_object_member(f, "msg");
				g_assert_cmpint(first_offset, >=, 0);
				g_assert_cmpstr(json_object_get_string_member(msg, "text"),
						==,
						n_msgs == 0 ? "one" : "two");
				g_assert_cmpint(json_object_get_int_member(f, "offset"), ==, n_msgs + 1);
				n_msgs++;
			} else {
				g_assert_cmpstr(type, ==, "ack");
				n_acks3++;
			}
		}
		g_assert_cmpint(first_offset, ==, 0);
		g_assert_cmpint(second_offset, >=, first_offset);
	}
	{
		g_autoptr(RcTestMember) late = rc_test_member_new(n2, "late", "/", "piped2");
		g_autoptr(JsonObject) j = rc_test_member_join(late, NULL);
		g_assert_cmpint(json_object_get_int_member(j, "offset"), ==, 0);
	}
}

int
main(int argc, char **argv)
{
	rc_test_lossless_init(&argc, &argv);
	g_test_add_func("/offsets/concurrent/single", test_offsets_single);
	g_test_add_func("/offsets/concurrent/per-room", test_offsets_per_room);
	g_test_add_func("/offsets/pipelined-send", test_pipelined_send);
	return g_test_run();
}
