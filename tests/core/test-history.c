/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTestHistory"

#include <string.h>

#include <signal.h>

#include "rc-test-lossless.h"
#include "rc-test-redis-extra.h"

/*
 * A room's history and resuming in it, against a real redis-server and, where it
 * applies, in embedded mode (history in memory): join with "history", the history
 * frame, GET /history, D-Bus GetHistory and GetRoomStats, join with "since" in
 * every case that decides "recovered" (same epoch, at the top, ahead of the room,
 * history flushed, trimmed, expired, turned off, an embedded node restarted), and
 * every bad value of these fields with its bad_request on a connection that works
 * afterwards. Every "joined" is checked for a string epoch and an integer offset
 * (rc_test_member_join).
 */

typedef struct {
	gboolean redis;
} Mode;

static const Mode redis_mode = {TRUE};
static const Mode embedded_mode = {FALSE};

/* how long "nothing more comes" is watched */
#define QUIET_MS 300

static RcTestNode *
start_node(const Mode *mode, RcTestRedis *redis, const gchar *id, const gchar *config_text)
{
	const gchar *config = rc_test_write_config(config_text != NULL ? config_text : "");
	RcTestNode *node;

	if (mode->redis) {
		node = rc_test_node_new("--port",
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
	} else {
		node = rc_test_node_new(
		    "--port", "0", "--bus", "none", "--node-id", id, "--config", config, NULL);
	}
	return node;
}

/* one Redis (in Redis mode) and @n nodes with @config_text */
typedef struct {
	const Mode *mode;
	RcTestRedis *redis;
	RcTestNode *nodes[2];
	guint n_nodes;
} Setup;

static Setup *
setup_new(gconstpointer data, guint n_nodes, const gchar *config_text)
{
	Setup *s = g_new0(Setup, 1);

	s->mode = data;
	if (s->mode->redis)
		s->redis = rc_test_redis_new();
	/* embedded nodes share nothing: one is enough */
	s->n_nodes = s->mode->redis ? n_nodes : 1;
	for (guint i = 0; i < s->n_nodes; i++) {
		g_autofree gchar *id = g_strdup_printf("h%u", i + 1);
		s->nodes[i] = start_node(s->mode, s->redis, id, config_text);
	}
	return s;
}

/* the last node: another node than nodes[0] in Redis mode */
static RcTestNode *
other_node(Setup *s)
{
	return s->nodes[s->n_nodes - 1];
}

static void
setup_free(Setup *s)
{
	for (guint i = 0; i < s->n_nodes; i++) {
		if (s->nodes[i] != NULL) {
			g_assert_cmpint(rc_test_node_stop(s->nodes[i]), ==, 0);
			rc_test_node_free(s->nodes[i]);
		}
	}
	g_clear_pointer(&s->redis, rc_test_redis_free);
	g_free(s);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Setup, setup_free)

/* @n messages "PREFIX N" (N from 1) through POST /publish; their ids */
static GPtrArray *
publish_n(RcTestNode *node, const gchar *ns, const gchar *room, guint n, const gchar *prefix)
{
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 1; i <= n; i++) {
		g_autofree gchar *text = g_strdup_printf("%s %u", prefix, i);
		g_ptr_array_add(ids, rc_test_publish(node, ns, room, "pub", text));
	}
	return ids;
}

static gchar *
since_json(const gchar *epoch, gint64 offset)
{
	return g_strdup_printf(
	    "\"since\":{\"epoch\":\"%s\",\"offset\":%" G_GINT64_FORMAT "}", epoch, offset);
}

/* a join with since that must answer recovered = @recovered in @epoch at @top */
static JsonObject *
join_since(RcTestMember *m, const gchar *epoch, gint64 offset)
{
	g_autofree gchar *extra = since_json(epoch, offset);
	JsonObject *joined = rc_test_member_join(m, extra);
	JsonNode *recovered = json_object_get_member(joined, "recovered");
	g_autofree gchar *text = rc_test_json_to_string(joined);

	if (recovered == NULL || json_node_get_value_type(recovered) != G_TYPE_BOOLEAN)
		g_error("a since join without a boolean “recovered”: %s", text);
	return joined;
}

static gboolean
recovered_of(JsonObject *joined)
{
	return json_object_get_boolean_member(joined, "recovered");
}

/* the history frame, checked for its shape; transfer full */
static JsonObject *
history_request(RcTestMember *m, const gchar *ns, const gchar *room, const gchar *extra)
{
	g_autofree gchar *ref = rc_test_member_new_ref(m, "hist");
	g_autofree gchar *frame = g_strdup_printf(
	    "{\"type\":\"history\",\"namespace\":\"%s\",\"roomCode\":\"%s\",\"ref\":\"%s\"%s%s}",
	    ns,
	    room,
	    ref,
	    extra != NULL ? "," : "",
	    extra != NULL ? extra : "");
	JsonObject *reply;
	g_autofree gchar *text = NULL;
	JsonArray *messages;

	rc_test_member_send_raw(m, frame);
	reply = rc_test_member_wait_reply(m, ref, 5000);
	text = rc_test_json_to_string(reply);
	if (g_strcmp0(rc_test_json_get_string(reply, "type"), "history") != 0)
		g_error("%s: expected a history reply, got %s", frame, text);
	g_assert_cmpstr(rc_test_json_get_string(reply, "namespace"), ==, ns);
	g_assert_cmpstr(rc_test_json_get_string(reply, "roomCode"), ==, room);
	g_assert_nonnull(rc_test_json_get_string(reply, "epoch"));
	g_assert_true(json_object_has_member(reply, "messages"));
	messages = json_object_get_array_member(reply, "messages");
	for (guint i = 0; i < json_array_get_length(messages); i++) {
		JsonObject *item = json_array_get_object_element(messages, i);
		/* a MSG_TO_CLIENTS object without its type */
		g_assert_false(json_object_has_member(item, "type"));
		g_assert_cmpstr(rc_test_json_get_string(item, "namespace"), ==, ns);
		g_assert_cmpstr(rc_test_json_get_string(item, "roomCode"), ==, room);
		g_assert_nonnull(rc_test_json_get_string(item, "id"));
		g_assert_cmpint(rc_test_json_get_int(item, "ts"), >, 0);
		g_assert_nonnull(rc_test_message_text(item));
	}
	return reply;
}

/* the items of a history list must be the offsets @first..@last */
static void
assert_items(JsonArray *items, gint64 first, gint64 last)
{
	GString *got = g_string_new(NULL);
	guint expected = last >= first ? (guint)(last - first + 1) : 0;
	gboolean ok = json_array_get_length(items) == expected;

	for (guint i = 0; i < json_array_get_length(items); i++) {
		gint64 offset = rc_test_message_offset(json_array_get_object_element(items, i));
		g_string_append_printf(got, "%s%" G_GINT64_FORMAT, i > 0 ? "," : "", offset);
		if (offset != first + i)
			ok = FALSE;
	}
	if (!ok)
		g_error("expected offsets %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT ", got [%s]",
			first,
			last,
			got->str);
	g_string_free(got, TRUE);
}

static JsonArray *
messages_of(JsonObject *reply)
{
	return json_object_get_array_member(reply, "messages");
}

/* GET /history with @query; the status must be @status; transfer full */
static JsonObject *
http_history(RcTestNode *node, const gchar *query, guint status)
{
	g_autofree gchar *path = g_strconcat("/history?", query, NULL);
	g_autoptr(RcTestHttpReply) reply = rc_test_http_get(node, path);
	JsonObject *body;

	if (reply->status != status)
		g_error("GET %s: expected %u, got %u %s", path, status, reply->status, reply->body);
	g_assert_cmpstr(reply->content_type, ==, "application/json");
	body = rc_test_http_reply_json(reply);
	if (status == 200) {
		g_assert_nonnull(rc_test_json_get_string(body, "epoch"));
		g_assert_cmpint(rc_test_json_get_int(body, "offset"), >=, 0);
		g_assert_true(json_object_has_member(body, "messages"));
	} else {
		g_assert_false(json_object_get_boolean_member(body, "success"));
		g_assert_nonnull(rc_test_json_get_string(body, "error"));
	}
	return body;
}

/* the replayed frame is the live one: same id, ts, offset, sender and text */
static void
assert_same_frame(JsonObject *a, JsonObject *b)
{
	g_assert_cmpstr(rc_test_json_get_string(a, "id"), ==, rc_test_json_get_string(b, "id"));
	g_assert_cmpint(rc_test_json_get_int(a, "ts"), ==, rc_test_json_get_int(b, "ts"));
	g_assert_cmpint(rc_test_message_offset(a), ==, rc_test_message_offset(b));
	g_assert_cmpstr(rc_test_message_sender(a), ==, rc_test_message_sender(b));
	g_assert_cmpstr(rc_test_message_text(a), ==, rc_test_message_text(b));
}

/* ---- join with history ---------------------------------------------------------- */

static void
test_join_history(gconstpointer data)
{
	g_autoptr(Setup) s = setup_new(data, 2, "[history]\nsize=10\n");
	RcTestNode *n1 = s->nodes[0];
	g_autoptr(RcTestMember) live = rc_test_member_new(n1, "live", "/", "jh");
	g_autoptr(RcTestMember) three = rc_test_member_new(n1, "three", "/", "jh");
	g_autoptr(RcTestMember) many = rc_test_member_new(n1, "many", "/", "jh");
	g_autoptr(RcTestMember) none = rc_test_member_new(n1, "none", "/", "jh");
	g_autoptr(RcTestMember) null = rc_test_member_new(n1, "null", "/", "jh");
	g_autoptr(RcTestMember) far = rc_test_member_new(other_node(s), "far", "/", "jh");
	RcTestMember *all[] = {live, three, many, none, null, far};
	guint had[G_N_ELEMENTS(all)];
	g_autoptr(JsonObject) joined_live = NULL;
	g_autoptr(JsonObject) j3 = NULL;
	g_autoptr(JsonObject) jmany = NULL;
	g_autoptr(JsonObject) jnone = NULL;
	g_autoptr(JsonObject) jnull = NULL;
	g_autoptr(JsonObject) jfar = NULL;
	g_autoptr(GPtrArray) ids = NULL;
	const gchar *epoch;
	gdouble recovered_before = rc_test_node_metric(n1, "roomcast_recovered_messages_total");

	joined_live = rc_test_member_join(live, NULL);
	g_assert_cmpint(rc_test_json_get_int(joined_live, "offset"), ==, 0);
	g_assert_false(json_object_has_member(joined_live, "recovered"));
	epoch = rc_test_json_get_string(joined_live, "epoch");
	/* a room has its epoch from its first join */
	g_assert_cmpstr(epoch, !=, "");
	ids = publish_n(n1, "/", "jh", 15, "jh");
	g_assert_true(rc_test_member_wait_messages(live, 15, 5000));
	rc_test_member_assert_offsets(live, 1, 15);
	for (guint i = 0; i < 15; i++)
		g_assert_cmpstr(
		    rc_test_json_get_string(live->messages->pdata[i], "id"), ==, ids->pdata[i]);

	/* N < what is held: the last N, oldest first */
	j3 = rc_test_member_join(three, "\"history\":3");
	g_assert_cmpint(rc_test_json_get_int(j3, "offset"), ==, 15);
	g_assert_cmpstr(rc_test_json_get_string(j3, "epoch"), ==, epoch);
	g_assert_false(json_object_has_member(j3, "recovered"));
	g_assert_true(rc_test_member_wait_messages(three, 3, 5000));
	/* N > size: clamped to size */
	jmany = rc_test_member_join(many, "\"history\":9223372036854775807");
	g_assert_cmpint(rc_test_json_get_int(jmany, "offset"), ==, 15);
	g_assert_true(rc_test_member_wait_messages(many, 10, 5000));
	/* 0 and null: nothing */
	jnone = rc_test_member_join(none, "\"history\":0");
	jnull = rc_test_member_join(null, "\"history\":null");
	g_assert_cmpint(rc_test_json_get_int(jnone, "offset"), ==, 15);
	g_assert_cmpint(rc_test_json_get_int(jnull, "offset"), ==, 15);
	/* another node (in Redis mode): the same room, the same epoch */
	jfar = rc_test_member_join(far, "\"history\":10");
	g_assert_cmpstr(rc_test_json_get_string(jfar, "epoch"), ==, epoch);
	g_assert_cmpint(rc_test_json_get_int(jfar, "offset"), ==, 15);
	g_assert_true(rc_test_member_wait_messages(far, 10, 5000));

	rc_test_member_expect_no_more(three, QUIET_MS);
	rc_test_member_assert_offsets(three, 13, 15);
	rc_test_member_assert_offsets(many, 6, 15);
	rc_test_member_assert_offsets(none, 1, 0);
	rc_test_member_assert_offsets(null, 1, 0);
	rc_test_member_assert_offsets(far, 6, 15);
	/* a replayed message is the live frame */
	for (guint i = 0; i < 10; i++) {
		assert_same_frame(many->messages->pdata[i], live->messages->pdata[5 + i]);
		assert_same_frame(far->messages->pdata[i], live->messages->pdata[5 + i]);
	}
	for (guint i = 0; i < 3; i++)
		assert_same_frame(three->messages->pdata[i], live->messages->pdata[12 + i]);
	for (guint i = 0; i < G_N_ELEMENTS(all); i++)
		had[i] = all[i]->messages->len;
	/* counted as delivered from history on the node that sent them */
	g_assert_cmpfloat(rc_test_node_metric(n1, "roomcast_recovered_messages_total") -
			      recovered_before,
			  ==,
			  s->n_nodes > 1 ? 13 : 23);

	/* then live, once, after the replay */
	g_free(rc_test_publish(n1, "/", "jh", "pub", "after"));
	for (guint i = 0; i < G_N_ELEMENTS(all); i++) {
		if (!rc_test_member_wait_messages(all[i], had[i] + 1, 5000))
			g_error("%s did not get the live message", all[i]->name);
	}
	rc_test_member_expect_no_more(live, QUIET_MS);
	rc_test_member_assert_offsets(live, 1, 16);
	rc_test_member_assert_offsets(three, 13, 16);
	rc_test_member_assert_offsets(many, 6, 16);
	rc_test_member_assert_offsets(none, 16, 16);
	rc_test_member_assert_offsets(null, 16, 16);
	rc_test_member_assert_offsets(far, 6, 16);
}

/* A join whose catch-up is still being read when the member leaves again (Redis
 * held up for a moment with SIGSTOP, so the read is surely in flight): the join is
 * answered all the same (joined, or an error), never left without a reply. */
static void
test_join_then_leave(void)
{
	g_autoptr(RcTestRedisServer) redis = rc_test_redis_server_new_argv(NULL);
	g_autofree gchar *url =
	    g_strdup_printf("redis://127.0.0.1:%u", rc_test_redis_server_get_port(redis));
	const gchar *config = rc_test_write_config("[history]\nsize=10\n");
	g_autoptr(RcTestNode) node = rc_test_node_new(
	    "--port", "0", "--bus", "none", "--redis", url, "--config", config, NULL);
	g_autoptr(RcTestMember) m = NULL;
	g_autoptr(GPtrArray) ids = NULL;
	g_autoptr(JsonObject) left = NULL;
	g_autoptr(JsonObject) joined = NULL;
	g_autoptr(JsonObject) again = NULL;

	rc_test_node_wait_redis_connected(node, 5000);
	m = rc_test_member_new(node, "m", "/", "jl");
	ids = publish_n(node, "/", "jl", 3, "jl");
	/* the room exists on the node (another member), so the join reads at once */
	{
		g_autoptr(RcTestMember) other = rc_test_member_new(node, "other", "/", "jl");
		json_object_unref(rc_test_member_join(other, NULL));
		rc_test_redis_server_signal(redis, SIGSTOP);
		rc_test_member_send_raw(
		    m, "{\"type\":\"join\",\"roomCode\":\"jl\",\"ref\":\"j\",\"history\":5}");
		rc_test_sleep(200);
		rc_test_member_send_raw(m,
					"{\"type\":\"leave\",\"roomCode\":\"jl\",\"ref\":\"l\"}");
		left = rc_test_member_wait_reply(m, "l", 5000);
		g_assert_cmpstr(rc_test_json_get_string(left, "type"), ==, "left");
		rc_test_redis_server_signal(redis, SIGCONT);
		joined = rc_test_member_try_reply(m, "j", 3000);
	}
	if (joined == NULL)
		g_test_fail_printf(
		    "known bug: a join with history whose read was in flight when the "
		    "member left never got a reply");
	else
		g_test_message("the join got %s", rc_test_json_get_string(joined, "type"));
	/* nothing of the room reaches the member who left */
	g_free(rc_test_publish(node, "/", "jl", "pub", "after the leave"));
	rc_test_member_expect_no_more(m, QUIET_MS);
	rc_test_member_assert_offsets(m, 1, 0);
	/* the connection works, and a join now is answered */
	rc_test_member_ping(m);
	again = rc_test_member_join(m, "\"history\":5");
	g_assert_true(rc_test_member_wait_messages(m, 4, 5000));
	rc_test_member_assert_offsets(m, 1, 4);
}

/* ---- the history frame ---------------------------------------------------------- */

static void
test_history_frame(gconstpointer data)
{
	g_autoptr(Setup) s = setup_new(data, 1, "[history]\nsize=60\n");
	RcTestNode *n1 = s->nodes[0];
	/* not a member of the room: reading needs the permission to join only */
	g_autoptr(RcTestMember) reader = rc_test_member_new(n1, "reader", "/", "other");
	g_autoptr(RcTestMember) member = rc_test_member_new(n1, "member", "/", "hf");
	g_autoptr(JsonObject) joined = rc_test_member_join(member, NULL);
	g_autoptr(GPtrArray) ids = publish_n(n1, "/", "hf", 70, "hf");
	const gchar *epoch = rc_test_json_get_string(joined, "epoch");
	struct {
		const gchar *extra;
		gint64 first, last;
	} cases[] = {
	    {NULL, 21, 70},			   /* default limit 50, the newest */
	    {"\"limit\":100", 11, 70},		   /* clamped to size 60 */
	    {"\"limit\":1", 70, 70},		   /* the newest one */
	    {"\"limit\":5,\"before\":30", 25, 29}, /* the newest 5 older than 30 */
	    {"\"before\":40", 11, 39},		   /* only 11..70 are still held */
	    {"\"before\":12", 11, 11},		   /* the oldest held */
	    {"\"before\":11", 1, 0},		   /* older than anything held */
	    {"\"before\":1", 1, 0},		   /* nothing is older than 1 */
	    {"\"before\":71", 21, 70},		   /* beyond the top: like none */
	    {"\"before\":100000", 21, 70},
	    {"\"limit\":null,\"before\":null", 21, 70}, /* null: absent */
	    {"\"before\":9223372036854775807", 21, 70}, /* the largest */
	    {"\"limit\":9223372036854775807", 11, 70},
	};

	g_assert_true(rc_test_member_wait_messages(member, 70, 5000));
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(JsonObject) reply = history_request(reader, "/", "hf", cases[i].extra);
		JsonArray *items = messages_of(reply);

		g_test_message("history {%s}", cases[i].extra != NULL ? cases[i].extra : "");
		g_assert_cmpstr(rc_test_json_get_string(reply, "epoch"), ==, epoch);
		assert_items(items, cases[i].first, cases[i].last);
		/* the items are the live frames */
		for (guint k = 0; k < json_array_get_length(items); k++) {
			JsonObject *item = json_array_get_object_element(items, k);
			gint64 offset = rc_test_message_offset(item);
			JsonObject *seen = member->messages->pdata[offset - 1];
			g_assert_cmpstr(rc_test_json_get_string(item, "id"),
					==,
					rc_test_json_get_string(seen, "id"));
			g_assert_cmpint(
			    rc_test_json_get_int(item, "ts"), ==, rc_test_json_get_int(seen, "ts"));
			g_assert_cmpstr(rc_test_message_text(item), ==, rc_test_message_text(seen));
		}
	}
	/* no messages were sent to the reader meanwhile */
	rc_test_member_assert_offsets(reader, 1, 0);
	g_assert_cmpuint(reader->others->len, ==, 0);

	/* a room never used: nothing */
	{
		g_autoptr(JsonObject) reply = history_request(reader, "/", "never-used", NULL);
		assert_items(messages_of(reply), 1, 0);
		g_test_message("epoch of a room never used: \"%s\"",
			       rc_test_json_get_string(reply, "epoch"));
	}
	/* rooms are per namespace */
	{
		g_autoptr(JsonObject) reply = history_request(reader, "/chat", "hf", NULL);
		assert_items(messages_of(reply), 1, 0);
	}
	{
		g_autoptr(GPtrArray) chat = publish_n(n1, "/chat", "hf", 2, "chat");
		g_autoptr(JsonObject) reply = history_request(reader, "/chat", "hf", NULL);
		assert_items(messages_of(reply), 1, 2);
		g_assert_cmpstr(rc_test_json_get_string(
				    json_array_get_object_element(messages_of(reply), 1), "id"),
				==,
				chat->pdata[1]);
	}
}

/* ---- GET /history --------------------------------------------------------------- */

static void
test_http_history(gconstpointer data)
{
	const Mode *mode = data;
	g_autoptr(Setup) s = setup_new(data, 2, "[history]\nsize=60\n");
	RcTestNode *n1 = s->nodes[0];
	g_autoptr(RcTestMember) member = rc_test_member_new(n1, "member", "/", "hh");
	g_autoptr(JsonObject) joined = rc_test_member_join(member, NULL);
	g_autoptr(GPtrArray) ids = publish_n(n1, "/", "hh", 70, "hh");
	const gchar *epoch = rc_test_json_get_string(joined, "epoch");
	struct {
		const gchar *query;
		gint64 first, last;
	} ok[] = {
	    {"roomCode=hh", 21, 70}, /* namespace "/" by default, limit 50 */
	    {"namespace=%2F&roomCode=hh", 21, 70},
	    {"namespace=/&roomCode=hh", 21, 70},
	    {"namespace=%2F&roomCode=hh&limit=5", 66, 70},
	    {"namespace=%2F&roomCode=hh&limit=5&before=30", 25, 29},
	    {"namespace=%2F&roomCode=hh&before=40", 11, 39},
	    {"namespace=%2F&roomCode=hh&before=1", 1, 0},
	    {"namespace=%2F&roomCode=hh&limit=1000", 11, 70}, /* clamped to size */
	    {"namespace=%2Fchat&roomCode=hh", 1, 0},	      /* another namespace */
	    {"namespace=%2F&roomCode=never-used", 1, 0},
	};
	const gchar *bad[] = {
	    "namespace=%2F",			 /* no roomCode */
	    "",					 /* nothing */
	    "namespace=%2F&roomCode=bad%20room", /* a space */
	    "namespace=%2F&roomCode=",		 /* empty */
	    "namespace=chat&roomCode=hh",	 /* no leading slash */
	    "namespace=%2Fa%2Fb&roomCode=hh",	 /* a slash inside */
	    "namespace=%2F&roomCode=hh&limit=0", /* at least 1 */
	    "namespace=%2F&roomCode=hh&limit=-1",
	    "namespace=%2F&roomCode=hh&limit=x",
	    "namespace=%2F&roomCode=hh&limit=1.5",
	    "namespace=%2F&roomCode=hh&limit=",
	    "namespace=%2F&roomCode=hh&limit=99999999999999999999999",
	    "namespace=%2F&roomCode=hh&before=0",
	    "namespace=%2F&roomCode=hh&before=-3",
	    "namespace=%2F&roomCode=hh&before=abc",
	    "namespace=%2F&roomCode=hh&before=2.5",
	};

	g_assert_true(rc_test_member_wait_messages(member, 70, 5000));
	for (guint n = 0; n < s->n_nodes; n++) {
		for (guint i = 0; i < G_N_ELEMENTS(ok); i++) {
			g_autoptr(JsonObject) body = http_history(s->nodes[n], ok[i].query, 200);
			JsonArray *items = messages_of(body);
			gboolean same_room = strstr(ok[i].query, "roomCode=hh") != NULL &&
					     strstr(ok[i].query, "chat") == NULL;

			g_test_message("GET /history?%s on node %u", ok[i].query, n + 1);
			assert_items(items, ok[i].first, ok[i].last);
			g_assert_cmpint(
			    rc_test_json_get_int(body, "offset"), ==, same_room ? 70 : 0);
			if (same_room)
				g_assert_cmpstr(rc_test_json_get_string(body, "epoch"), ==, epoch);
			for (guint k = 0; k < json_array_get_length(items); k++) {
				JsonObject *item = json_array_get_object_element(items, k);
				gint64 offset = rc_test_message_offset(item);
				g_assert_false(json_object_has_member(item, "type"));
				g_assert_cmpstr(rc_test_json_get_string(item, "id"),
						==,
						ids->pdata[offset - 1]);
				assert_same_frame(item, member->messages->pdata[offset - 1]);
			}
		}
	}
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(JsonObject) body = http_history(n1, bad[i], 400);
		g_test_message(
		    "GET /history?%s → 400 %s", bad[i], rc_test_json_get_string(body, "error"));
	}
	/* the namespace /chat has a room hh of its own */
	{
		g_autoptr(GPtrArray) chat = publish_n(n1, "/chat", "hh", 3, "chat");
		g_autoptr(JsonObject) body = http_history(n1, "namespace=%2Fchat&roomCode=hh", 200);
		assert_items(messages_of(body), 1, 3);
		g_assert_cmpint(rc_test_json_get_int(body, "offset"), ==, 3);
		g_assert_cmpstr(rc_test_json_get_string(body, "epoch"), !=, epoch);
	}

	/* [http] api_token guards it like /publish */
	{
		g_autoptr(RcTestNode) guarded = start_node(
		    mode, s->redis, "guarded", "[http]\napi_token=s3cret\n[history]\nsize=60\n");
		const gchar *right[] = {"Authorization", "Bearer s3cret", NULL};
		const gchar *wrong[] = {"Authorization", "Bearer nope", NULL};
		const gchar *path = "/history?namespace=%2F&roomCode=hh";
		g_autoptr(RcTestHttpReply) none = rc_test_http_get(guarded, path);
		g_autoptr(RcTestHttpReply) bad_token =
		    rc_test_http_get_with_headers(guarded, path, wrong);
		g_autoptr(RcTestHttpReply) good =
		    rc_test_http_get_with_headers(guarded, path, right);
		g_autoptr(JsonObject) none_body = rc_test_http_reply_json(none);
		g_autoptr(JsonObject) good_body = rc_test_http_reply_json(good);

		g_assert_cmpuint(none->status, ==, 401);
		g_assert_false(json_object_get_boolean_member(none_body, "success"));
		g_assert_cmpuint(bad_token->status, ==, 401);
		g_assert_cmpuint(good->status, ==, 200);
		/* in Redis mode it reads the same room; an embedded node has its own */
		if (mode->redis)
			assert_items(messages_of(good_body), 21, 70);
		else
			assert_items(messages_of(good_body), 1, 0);
		g_assert_cmpint(rc_test_node_stop(guarded), ==, 0);
	}
}

/* ---- since ---------------------------------------------------------------------- */

static void
test_since_same_epoch(gconstpointer data)
{
	g_autoptr(Setup) s = setup_new(data, 2, "[history]\nsize=20\n");
	RcTestNode *n1 = s->nodes[0];
	g_autoptr(RcTestMember) first = rc_test_member_new(n1, "first", "/", "rs");
	g_autoptr(JsonObject) joined = rc_test_member_join(first, NULL);
	g_autoptr(GPtrArray) ids = publish_n(n1, "/", "rs", 10, "rs");
	g_autoptr(GPtrArray) resumed =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rc_test_member_free);
	const gchar *epoch = rc_test_json_get_string(joined, "epoch");
	const struct {
		const gchar *name;
		const gchar *epoch; /* NULL: the room's */
		gint64 offset;
		gboolean recovered;
		gint64 replay_first, replay_last;
	} cases[] = {
	    {"middle", NULL, 6, TRUE, 7, 10}, /* exactly what came after K */
	    {"start", NULL, 0, TRUE, 1, 10},  /* everything */
	    {"top", NULL, 10, TRUE, 1, 0},    /* nothing missed */
	    {"ahead", NULL, 11, FALSE, 1, 0}, /* K beyond the room */
	    {"far-ahead", NULL, 1000000, FALSE, 1, 0},
	    {"largest", NULL, G_MAXINT64, FALSE, 1, 0},	    /* K + 1 still fits in 64 bits */
	    {"other-epoch", "notTheEpoch", 3, FALSE, 1, 0}, /* nothing of another epoch */
	    {"empty-epoch", "", 0, FALSE, 1, 0},
	    {"middle-again", NULL, 9, TRUE, 10, 10},
	};
	gdouble misses_before = 0, misses_after = 0;
	guint n_misses = 0;

	g_assert_true(rc_test_member_wait_messages(first, 10, 5000));
	for (guint n = 0; n < s->n_nodes; n++)
		misses_before += rc_test_node_metric(s->nodes[n], "roomcast_history_misses_total");
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		/* in Redis mode every other case resumes on the second node */
		RcTestNode *node = s->nodes[i % s->n_nodes];
		RcTestMember *m = rc_test_member_new(node, cases[i].name, "/", "rs");
		g_autoptr(JsonObject) j =
		    join_since(m, cases[i].epoch != NULL ? cases[i].epoch : epoch, cases[i].offset);

		g_ptr_array_add(resumed, m);
		g_test_message("since %s on node %u", cases[i].name, i % s->n_nodes + 1);
		g_assert_cmpstr(rc_test_json_get_string(j, "epoch"), ==, epoch);
		g_assert_cmpint(rc_test_json_get_int(j, "offset"), ==, 10);
		g_assert_cmpint(recovered_of(j), ==, cases[i].recovered);
		if (cases[i].replay_last >= cases[i].replay_first)
			g_assert_true(rc_test_member_wait_messages(
			    m, (guint)(cases[i].replay_last - cases[i].replay_first + 1), 5000));
		rc_test_member_expect_no_more(m, QUIET_MS);
		rc_test_member_assert_offsets(m, cases[i].replay_first, cases[i].replay_last);
		/* the replay is the live frames */
		for (guint k = 0; k < m->messages->len; k++)
			assert_same_frame(m->messages->pdata[k],
					  first->messages->pdata[cases[i].replay_first - 1 + k]);
		if (!cases[i].recovered)
			n_misses++;
	}
	for (guint n = 0; n < s->n_nodes; n++)
		misses_after += rc_test_node_metric(s->nodes[n], "roomcast_history_misses_total");
	g_assert_cmpfloat(misses_after - misses_before, ==, n_misses);

	/* then live ones, once, after each replay */
	g_free(rc_test_publish(other_node(s), "/", "rs", "pub", "live"));
	for (guint i = 0; i < resumed->len; i++) {
		RcTestMember *m = resumed->pdata[i];
		gboolean replayed = cases[i].replay_last >= cases[i].replay_first;
		guint replay_len =
		    replayed ? (guint)(cases[i].replay_last - cases[i].replay_first + 1) : 0;
		g_assert_true(rc_test_member_wait_messages(m, replay_len + 1, 5000));
		rc_test_member_expect_no_more(m, i == 0 ? QUIET_MS : 0);
		rc_test_member_assert_offsets(m, replayed ? cases[i].replay_first : 11, 11);
	}
}

/* resuming on another node than the one that served the member before */
static void
test_since_other_node(gconstpointer data)
{
	g_autoptr(Setup) s = setup_new(data, 2, "[history]\nsize=20\n");
	g_autoptr(RcTestMember) m = rc_test_member_new(s->nodes[0], "wanderer", "/", "wander");
	g_autoptr(RcTestMember) back = NULL;
	g_autoptr(JsonObject) joined = rc_test_member_join(m, NULL);
	g_autoptr(JsonObject) rejoined = NULL;
	g_autofree gchar *epoch = g_strdup(rc_test_json_get_string(joined, "epoch"));
	g_autoptr(GPtrArray) before = publish_n(s->nodes[0], "/", "wander", 4, "before");
	g_autoptr(GPtrArray) during = NULL;

	g_assert_true(rc_test_member_wait_messages(m, 4, 5000));
	g_clear_pointer(&m, rc_test_member_free);
	during = publish_n(s->nodes[0], "/", "wander", 3, "during");
	back = rc_test_member_new(other_node(s), "wanderer", "/", "wander");
	rejoined = join_since(back, epoch, 4);
	g_assert_true(recovered_of(rejoined));
	g_assert_cmpint(rc_test_json_get_int(rejoined, "offset"), ==, 7);
	g_assert_true(rc_test_member_wait_messages(back, 3, 5000));
	g_free(rc_test_publish(s->nodes[0], "/", "wander", "pub", "after"));
	g_assert_true(rc_test_member_wait_messages(back, 4, 5000));
	rc_test_member_expect_no_more(back, QUIET_MS);
	rc_test_member_assert_offsets(back, 5, 8);
	for (guint i = 0; i < 3; i++)
		g_assert_cmpstr(
		    rc_test_json_get_string(back->messages->pdata[i], "id"), ==, during->pdata[i]);
}

static void
test_since_trimmed(gconstpointer data)
{
	g_autoptr(Setup) s = setup_new(data, 1, "[history]\nsize=5\n");
	RcTestNode *n1 = s->nodes[0];
	g_autoptr(RcTestMember) first = rc_test_member_new(n1, "first", "/", "tr");
	g_autoptr(JsonObject) joined = rc_test_member_join(first, NULL);
	g_autoptr(GPtrArray) ids = publish_n(n1, "/", "tr", 20, "tr");
	const gchar *epoch = rc_test_json_get_string(joined, "epoch");
	struct {
		gint64 offset;
		gboolean recovered;
	} cases[] = {
	    {2, FALSE},	 /* 3..15 are gone: what is still held, 16..20 */
	    {14, FALSE}, /* 15 is gone */
	    {15, TRUE},	 /* 16.. are all held */
	    {18, TRUE},
	};

	g_assert_true(rc_test_member_wait_messages(first, 20, 5000));
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(RcTestMember) m = rc_test_member_new(n1, "resumer", "/", "tr");
		g_autoptr(JsonObject) j = join_since(m, epoch, cases[i].offset);
		gint64 from = MAX(16, cases[i].offset + 1);

		g_test_message("since %" G_GINT64_FORMAT " with 16..20 held", cases[i].offset);
		g_assert_cmpint(recovered_of(j), ==, cases[i].recovered);
		g_assert_cmpstr(rc_test_json_get_string(j, "epoch"), ==, epoch);
		g_assert_cmpint(rc_test_json_get_int(j, "offset"), ==, 20);
		g_assert_true(rc_test_member_wait_messages(m, (guint)(20 - from + 1), 5000));
		rc_test_member_expect_no_more(m, QUIET_MS);
		rc_test_member_assert_offsets(m, from, 20);
		for (guint k = 0; k < m->messages->len; k++)
			g_assert_cmpstr(rc_test_json_get_string(m->messages->pdata[k], "id"),
					==,
					ids->pdata[from - 1 + k]);
	}
}

static void
test_since_flushall(void)
{
	g_autoptr(Setup) s = setup_new(&redis_mode, 2, "[history]\nsize=20\n");
	RcTestNode *n1 = s->nodes[0];
	g_autoptr(RcTestMember) stay = rc_test_member_new(n1, "stay", "/", "fl");
	g_autoptr(RcTestMember) back = rc_test_member_new(other_node(s), "back", "/", "fl");
	g_autoptr(RcTestMember) again = rc_test_member_new(n1, "again", "/", "fl");
	g_autoptr(JsonObject) joined = rc_test_member_join(stay, NULL);
	g_autoptr(JsonObject) j = NULL;
	g_autoptr(JsonObject) j2 = NULL;
	g_autoptr(GPtrArray) ids = publish_n(n1, "/", "fl", 5, "fl");
	g_autofree gchar *epoch = g_strdup(rc_test_json_get_string(joined, "epoch"));
	g_autofree gchar *flushed = NULL;
	const gchar *new_epoch;

	g_assert_true(rc_test_member_wait_messages(stay, 5, 5000));
	flushed = rc_test_redis_command(s->redis, "FLUSHALL", NULL);
	g_assert_cmpstr(flushed, ==, "OK");

	/* the history is gone: a new epoch, nothing replayed */
	j = join_since(back, epoch, 3);
	new_epoch = rc_test_json_get_string(j, "epoch");
	g_assert_false(recovered_of(j));
	g_assert_cmpstr(new_epoch, !=, epoch);
	g_assert_cmpstr(new_epoch, !=, "");
	g_assert_cmpint(rc_test_json_get_int(j, "offset"), ==, 0);
	rc_test_member_expect_no_more(back, QUIET_MS);
	rc_test_member_assert_offsets(back, 1, 0);

	/* the offsets start over in the new epoch, and a member who stayed follows them */
	g_free(rc_test_publish(n1, "/", "fl", "pub", "new 1"));
	g_free(rc_test_publish(other_node(s), "/", "fl", "pub", "new 2"));
	g_assert_true(rc_test_member_wait_messages(back, 2, 5000));
	g_assert_true(rc_test_member_wait_messages(stay, 7, 5000));
	rc_test_member_expect_no_more(stay, QUIET_MS);
	rc_test_member_assert_offsets(back, 1, 2);
	g_assert_cmpint(rc_test_message_offset(stay->messages->pdata[5]), ==, 1);
	g_assert_cmpint(rc_test_message_offset(stay->messages->pdata[6]), ==, 2);
	g_assert_cmpstr(rc_test_message_text(stay->messages->pdata[6]), ==, "new 2");
	/* and resuming in the new epoch works */
	j2 = join_since(again, new_epoch, 1);
	g_assert_true(recovered_of(j2));
	g_assert_cmpstr(rc_test_json_get_string(j2, "epoch"), ==, new_epoch);
	g_assert_true(rc_test_member_wait_messages(again, 1, 5000));
	rc_test_member_expect_no_more(again, QUIET_MS);
	rc_test_member_assert_offsets(again, 2, 2);
}

static void
test_since_ttl(gconstpointer data)
{
	g_autoptr(Setup) s = setup_new(data, 1, "[history]\nsize=20\nttl=1\n");
	RcTestNode *n1 = s->nodes[0];
	g_autoptr(RcTestMember) first = rc_test_member_new(n1, "first", "/", "ttl");
	g_autoptr(RcTestMember) stay = rc_test_member_new(n1, "stay", "/", "ttl-stay");
	g_autoptr(RcTestMember) late = rc_test_member_new(n1, "late", "/", "ttl");
	g_autoptr(RcTestMember) reader = rc_test_member_new(n1, "reader", "/", "none");
	g_autoptr(JsonObject) joined = rc_test_member_join(first, NULL);
	g_autoptr(JsonObject) joined_stay = rc_test_member_join(stay, NULL);
	g_autoptr(JsonObject) j = NULL;
	g_autoptr(JsonObject) h = NULL;
	g_autoptr(GPtrArray) ids = publish_n(n1, "/", "ttl", 3, "ttl");
	g_autoptr(GPtrArray) ids_stay = publish_n(n1, "/", "ttl-stay", 2, "stay");
	g_autofree gchar *epoch = g_strdup(rc_test_json_get_string(joined, "epoch"));

	g_assert_true(rc_test_member_wait_messages(first, 3, 5000));
	g_assert_true(rc_test_member_wait_messages(stay, 2, 5000));
	/* nobody left in the room: the node forgets it too */
	g_clear_pointer(&first, rc_test_member_free);
	rc_test_sleep(2200);

	j = join_since(late, epoch, 3);
	g_assert_false(recovered_of(j));
	g_assert_cmpstr(rc_test_json_get_string(j, "epoch"), !=, epoch);
	g_assert_cmpint(rc_test_json_get_int(j, "offset"), ==, 0);
	rc_test_member_expect_no_more(late, QUIET_MS);
	rc_test_member_assert_offsets(late, 1, 0);
	h = history_request(reader, "/", "ttl", NULL);
	assert_items(messages_of(h), 1, 0);
	g_assert_cmpstr(
	    rc_test_json_get_string(h, "epoch"), ==, rc_test_json_get_string(j, "epoch"));

	/* a member who stayed through the expiry follows the room into its new epoch */
	g_free(rc_test_publish(n1, "/", "ttl-stay", "pub", "after expiry"));
	g_assert_true(rc_test_member_wait_messages(stay, 3, 5000));
	rc_test_member_expect_no_more(stay, QUIET_MS);
	g_assert_cmpint(rc_test_message_offset(stay->messages->pdata[2]), ==, 1);
	g_assert_cmpstr(rc_test_message_text(stay->messages->pdata[2]), ==, "after expiry");
}

static void
test_size_zero(gconstpointer data)
{
	g_autoptr(Setup) s = setup_new(data, 1, "[history]\nsize=0\n");
	RcTestNode *n1 = s->nodes[0];
	g_autoptr(RcTestMember) first = rc_test_member_new(n1, "first", "/", "off");
	g_autoptr(RcTestMember) hist = rc_test_member_new(n1, "hist", "/", "off");
	g_autoptr(JsonObject) joined = rc_test_member_join(first, NULL);
	g_autoptr(JsonObject) jh = NULL;
	g_autoptr(GPtrArray) ids = publish_n(n1, "/", "off", 3, "off");
	const gchar *epoch = rc_test_json_get_string(joined, "epoch");

	/* offsets are still given */
	g_assert_cmpstr(epoch, !=, "");
	g_assert_true(rc_test_member_wait_messages(first, 3, 5000));
	rc_test_member_assert_offsets(first, 1, 3);
	/* nothing is kept */
	{
		g_autoptr(JsonObject) reply = history_request(first, "/", "off", "\"limit\":10");
		g_autoptr(JsonObject) body = http_history(n1, "namespace=%2F&roomCode=off", 200);
		assert_items(messages_of(reply), 1, 0);
		assert_items(messages_of(body), 1, 0);
		g_assert_cmpint(rc_test_json_get_int(body, "offset"), ==, 3);
		g_assert_cmpstr(rc_test_json_get_string(body, "epoch"), ==, epoch);
	}
	jh = rc_test_member_join(hist, "\"history\":5");
	g_assert_cmpint(rc_test_json_get_int(jh, "offset"), ==, 3);
	/* a since join is never recovered, even with nothing missed */
	for (gint64 k = 0; k <= 3; k++) {
		g_autoptr(RcTestMember) m = rc_test_member_new(n1, "resumer", "/", "off");
		g_autoptr(JsonObject) j = join_since(m, epoch, k);
		g_assert_false(recovered_of(j));
		g_assert_cmpint(rc_test_json_get_int(j, "offset"), ==, 3);
		g_assert_cmpstr(rc_test_json_get_string(j, "epoch"), ==, epoch);
		rc_test_member_expect_no_more(m, k == 0 ? QUIET_MS : 0);
		rc_test_member_assert_offsets(m, 1, 0);
	}
	rc_test_member_assert_offsets(hist, 1, 0);
	/* and live goes on with offset 4 */
	g_free(rc_test_publish(n1, "/", "off", "pub", "four"));
	g_assert_true(rc_test_member_wait_messages(hist, 1, 5000));
	rc_test_member_assert_offsets(hist, 4, 4);
}

/* With nothing kept, a room whose keys expired starts a new epoch: the node
 * reads where it stands (the read brings no messages), and the message that
 * showed the new epoch still reaches everyone, as does the next. */
static void
test_size_zero_new_epoch(gconstpointer data)
{
	g_autoptr(Setup) s = setup_new(data, 1, "[history]\nsize=0\nttl=1\n");
	RcTestNode *n1 = s->nodes[0];
	g_autoptr(RcTestMember) stay = rc_test_member_new(n1, "stay", "/", "off-ttl");
	g_autoptr(JsonObject) joined = rc_test_member_join(stay, NULL);
	g_autoptr(GPtrArray) ids = publish_n(n1, "/", "off-ttl", 2, "before");
	g_autofree gchar *after = NULL;
	g_autofree gchar *next = NULL;

	g_assert_true(rc_test_member_wait_messages(stay, 2, 5000));
	rc_test_sleep(2200);
	after = rc_test_publish(n1, "/", "off-ttl", "pub", "after idle");
	next = rc_test_publish(n1, "/", "off-ttl", "pub", "next");
	g_assert_true(rc_test_member_wait_messages(stay, 4, 5000));
	rc_test_member_expect_no_more(stay, QUIET_MS);
	g_assert_cmpstr(rc_test_message_text(stay->messages->pdata[2]), ==, "after idle");
	g_assert_cmpstr(rc_test_message_text(stay->messages->pdata[3]), ==, "next");
	g_assert_cmpint(rc_test_message_offset(stay->messages->pdata[2]), ==, 1);
	g_assert_cmpint(rc_test_message_offset(stay->messages->pdata[3]), ==, 2);
}

static void
test_embedded_restart(void)
{
	const gchar *config = "[history]\nsize=20\n";
	g_autoptr(RcTestNode) node = start_node(&embedded_mode, NULL, "e1", config);
	g_autoptr(RcTestMember) m = rc_test_member_new(node, "m", "/", "er");
	g_autoptr(JsonObject) joined = rc_test_member_join(m, NULL);
	g_autofree gchar *epoch = g_strdup(rc_test_json_get_string(joined, "epoch"));
	g_autoptr(GPtrArray) ids = publish_n(node, "/", "er", 3, "er");
	g_autoptr(RcTestNode) again = NULL;
	g_autoptr(RcTestMember) back = NULL;
	g_autoptr(JsonObject) j = NULL;

	g_assert_true(rc_test_member_wait_messages(m, 3, 5000));
	g_clear_pointer(&m, rc_test_member_free);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
	again = start_node(&embedded_mode, NULL, "e1", config);
	back = rc_test_member_new(again, "m", "/", "er");
	j = join_since(back, epoch, 3);
	g_assert_false(recovered_of(j));
	g_assert_cmpstr(rc_test_json_get_string(j, "epoch"), !=, epoch);
	g_assert_cmpint(rc_test_json_get_int(j, "offset"), ==, 0);
	rc_test_member_expect_no_more(back, QUIET_MS);
	rc_test_member_assert_offsets(back, 1, 0);
	g_free(rc_test_publish(again, "/", "er", "pub", "first again"));
	g_assert_true(rc_test_member_wait_messages(back, 1, 5000));
	rc_test_member_assert_offsets(back, 1, 1);
}

/* ---- bad values ----------------------------------------------------------------- */

/*
 * @frame must be refused with bad_request (and the connection work on). A bad
 * value taken anyway is reported as a failure of the test case, and undone (the
 * member leaves the room it joined), so the rest of the battery still runs;
 * returns FALSE then.
 */
static gboolean
refused_or_report(RcTestMember *m, const gchar *frame, const gchar *ref)
{
	g_autoptr(JsonObject) reply = NULL;
	g_autofree gchar *text = NULL;
	const gchar *type;

	rc_test_member_send_raw(m, frame);
	reply = rc_test_member_wait_reply(m, ref, 5000);
	text = rc_test_json_to_string(reply);
	type = rc_test_json_get_string(reply, "type");
	if (g_strcmp0(type, "error") == 0) {
		g_assert_cmpstr(rc_test_json_get_string(reply, "code"), ==, "bad_request");
		g_assert_nonnull(rc_test_json_get_string(reply, "message"));
		g_assert_false(rc_test_ws_is_closed(m->ws));
		rc_test_member_ping(m);
		return TRUE;
	}
	g_test_fail_printf("known bug: %s was accepted, answered %s", frame, text);
	if (g_strcmp0(type, "joined") == 0) {
		g_autofree gchar *leave =
		    g_strdup_printf("{\"type\":\"leave\",\"namespace\":\"/"
				    "\",\"roomCode\":\"%s\",\"ref\":\"undo-%s\"}",
				    m->room,
				    ref);
		g_autofree gchar *undo_ref = g_strdup_printf("undo-%s", ref);
		g_autoptr(JsonObject) left = NULL;
		rc_test_member_send_raw(m, leave);
		left = rc_test_member_wait_reply(m, undo_ref, 5000);
		g_assert_cmpstr(rc_test_json_get_string(left, "type"), ==, "left");
		rc_test_member_clear_messages(m);
	}
	return FALSE;
}

static void
test_bad_values(gconstpointer data)
{
	g_autoptr(Setup) s = setup_new(data, 1, "[history]\nsize=20\n");
	RcTestNode *n1 = s->nodes[0];
	g_autoptr(RcTestMember) m = rc_test_member_new(n1, "m", "/", "bad");
	g_autoptr(RcTestMember) first = rc_test_member_new(n1, "first", "/", "bad");
	g_autoptr(JsonObject) joined = rc_test_member_join(first, NULL);
	g_autoptr(GPtrArray) ids = publish_n(n1, "/", "bad", 3, "bad");
	const gchar *epoch = rc_test_json_get_string(joined, "epoch");
	const gchar *bad_join[] = {
	    "\"history\":\"x\"",
	    "\"history\":\"3\"",
	    "\"history\":-1",
	    "\"history\":1.5",
	    "\"history\":true",
	    "\"history\":{}",
	    "\"history\":[3]",
	    "\"history\":1e400",
	    "\"since\":\"x\"",
	    "\"since\":3",
	    "\"since\":true",
	    "\"since\":[]",
	    "\"since\":null",
	    "\"since\":{}",
	    "\"since\":{\"offset\":3}",
	    "\"since\":{\"epoch\":\"EPOCH\"}",
	    "\"since\":{\"epoch\":\"EPOCH\",\"offset\":\"3\"}",
	    "\"since\":{\"epoch\":\"EPOCH\",\"offset\":-1}",
	    "\"since\":{\"epoch\":\"EPOCH\",\"offset\":2.5}",
	    "\"since\":{\"epoch\":\"EPOCH\",\"offset\":1180591620717411303424}",
	    "\"since\":{\"epoch\":\"EPOCH\",\"offset\":18446744073709551616}",
	    "\"since\":{\"epoch\":\"EPOCH\",\"offset\":null}",
	    "\"since\":{\"epoch\":\"EPOCH\",\"offset\":true}",
	    "\"since\":{\"epoch\":\"bad epoch!\",\"offset\":1}",
	    "\"since\":{\"epoch\":\"a/b\",\"offset\":1}",
	    "\"since\":{\"epoch\":\"\\u00e9\",\"offset\":1}",
	    "\"since\":{\"epoch\":5,\"offset\":1}",
	    "\"since\":{\"epoch\":null,\"offset\":1}",
	    "\"since\":{\"epoch\":\"" /* 65 characters */
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"offset\":1}",
	    "\"history\":3,\"since\":{\"epoch\":\"EPOCH\",\"offset\":-1}",
	};
	const gchar *bad_history[] = {
	    "\"limit\":0",
	    "\"limit\":-3",
	    "\"limit\":\"10\"",
	    "\"limit\":1.5",
	    "\"limit\":true",
	    "\"limit\":[]",
	    "\"limit\":1180591620717411303424",
	    "\"before\":0",
	    "\"before\":1.5",
	    "\"before\":-1",
	    "\"before\":\"5\"",
	    "\"before\":{}",
	};

	g_assert_true(rc_test_member_wait_messages(first, 3, 5000));
	for (guint i = 0; i < G_N_ELEMENTS(bad_join); i++) {
		g_autofree gchar *ref = g_strdup_printf("bj%u", i);
		g_auto(GStrv) parts = g_strsplit(bad_join[i], "EPOCH", -1);
		g_autofree gchar *extra = g_strjoinv(epoch, parts);
		g_autofree gchar *frame =
		    g_strdup_printf("{\"type\":\"join\",\"namespace\":\"/"
				    "\",\"roomCode\":\"bad\",\"ref\":\"%s\",%s}",
				    ref,
				    extra);
		g_autofree gchar *send_ref = g_strdup_printf("bs%u", i);
		g_autofree gchar *send =
		    g_strdup_printf("{\"type\":\"send\",\"namespace\":\"/"
				    "\",\"roomCode\":\"bad\",\"text\":\"x\",\"ref\":\"%s\"}",
				    send_ref);

		g_test_message("join {%s}", extra);
		if (!refused_or_report(m, frame, ref))
			continue;
		/* not joined by the refused frame */
		rc_test_member_expect_error(m, send, send_ref, "not_joined");
	}
	for (guint i = 0; i < G_N_ELEMENTS(bad_history); i++) {
		g_autofree gchar *ref = g_strdup_printf("bh%u", i);
		g_autofree gchar *frame =
		    g_strdup_printf("{\"type\":\"history\",\"namespace\":\"/"
				    "\",\"roomCode\":\"bad\",\"ref\":\"%s\",%s}",
				    ref,
				    bad_history[i]);
		g_test_message("history {%s}", bad_history[i]);
		refused_or_report(m, frame, ref);
	}
	rc_test_member_expect_error(
	    m, "{\"type\":\"history\",\"namespace\":\"/\",\"ref\":\"nr\"}", "nr", "bad_request");
	rc_test_member_expect_error(
	    m,
	    "{\"type\":\"history\",\"namespace\":\"/\",\"roomCode\":\"b d\",\"ref\":\"br\"}",
	    "br",
	    "bad_request");
	rc_test_member_expect_error(
	    m,
	    "{\"type\":\"history\",\"namespace\":\"x\",\"roomCode\":\"bad\",\"ref\":\"bn\"}",
	    "bn",
	    "bad_request");
	/* nothing of the room reached the refused member */
	rc_test_member_assert_offsets(m, 1, 0);

	/* null is absent; the good values still work on the same connection */
	{
		g_autoptr(JsonObject) j = rc_test_member_join(m, "\"history\":null");
		g_assert_cmpint(rc_test_json_get_int(j, "offset"), ==, 3);
		g_assert_false(json_object_has_member(j, "recovered"));
		rc_test_member_expect_no_more(m, QUIET_MS);
	}
	{
		g_autoptr(RcTestMember) r = rc_test_member_new(n1, "r", "/", "bad");
		g_autofree gchar *extra = since_json(epoch, 1);
		g_autofree gchar *both = g_strdup_printf("\"history\":null,%s", extra);
		g_autoptr(JsonObject) j = rc_test_member_join(r, both);
		g_assert_true(recovered_of(j));
		g_assert_true(rc_test_member_wait_messages(r, 2, 5000));
		rc_test_member_assert_offsets(r, 2, 3);
	}
}

/* ---- D-Bus ---------------------------------------------------------------------- */

static GVariant *
dbus_call(const gchar *name, const gchar *method, GVariant *args, const gchar *type, GError **error)
{
	g_autoptr(GDBusConnection) bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, NULL);

	g_assert_nonnull(bus);
	return g_dbus_connection_call_sync(bus,
					   name,
					   "/org/roomcast",
					   "org.roomcast.Daemon",
					   method,
					   args,
					   G_VARIANT_TYPE(type),
					   G_DBUS_CALL_FLAGS_NONE,
					   5000,
					   NULL,
					   error);
}

typedef struct {
	const gchar *name;
} NameWait;

static gboolean
name_owned(gpointer user_data)
{
	NameWait *w = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) v =
	    dbus_call(w->name, "GetRoomStats", g_variant_new("(ss)", "/", "x"), "(a{sv})", &error);
	g_autofree gchar *remote = error != NULL ? g_dbus_error_get_remote_error(error) : NULL;

	/* NotFound for that room: the daemon answers */
	return g_strcmp0(remote, "org.roomcast.Error.NotFound") == 0;
}

static void
test_dbus(gconstpointer data)
{
	const Mode *mode = data;
	g_autoptr(RcTestRedis) redis = mode->redis ? rc_test_redis_new() : NULL;
	const gchar *config = rc_test_write_config("[history]\nsize=20\n");
	const gchar *name =
	    mode->redis ? "org.roomcast.TestHistoryRedis" : "org.roomcast.TestHistoryEmbedded";
	g_autoptr(RcTestNode) node = NULL;
	g_autoptr(RcTestMember) m = NULL;
	g_autoptr(JsonObject) joined = NULL;
	g_autoptr(GPtrArray) ids = NULL;
	g_autoptr(GError) error = NULL;
	NameWait w = {name};
	const gchar *epoch;

	if (g_getenv("DBUS_SESSION_BUS_ADDRESS") == NULL) {
		g_test_skip("no private session bus");
		return;
	}
	if (mode->redis)
		node = rc_test_node_new("--port",
					"0",
					"--bus",
					"session",
					"--dbus-name",
					name,
					"--redis",
					rc_test_redis_get_url(redis),
					"--config",
					config,
					NULL);
	else
		node = rc_test_node_new("--port",
					"0",
					"--bus",
					"session",
					"--dbus-name",
					name,
					"--config",
					config,
					NULL);
	if (mode->redis)
		rc_test_node_wait_redis_connected(node, 5000);
	g_assert_true(rc_test_wait_until(name_owned, &w, 5000));
	m = rc_test_member_new(node, "m", "/", "db");
	joined = rc_test_member_join(m, NULL);
	epoch = rc_test_json_get_string(joined, "epoch");
	ids = publish_n(node, "/", "db", 25, "db");
	g_assert_true(rc_test_member_wait_messages(m, 25, 5000));

	{
		struct {
			guint limit;
			gint64 first;
		} cases[] = {{3, 23}, {0, 6} /* 50, clamped to 20 */, {1000, 6}, {1, 25}};
		for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
			g_autoptr(GVariant) reply =
			    dbus_call(name,
				      "GetHistory",
				      g_variant_new("(ssu)", "/", "db", cases[c].limit),
				      "(sta(tsxss))",
				      &error);
			g_autoptr(GVariant) list = NULL;
			const gchar *got_epoch = NULL;
			guint64 top = 0;

			g_assert_no_error(error);
			g_variant_get(reply, "(&st@a(tsxss))", &got_epoch, &top, &list);
			g_assert_cmpstr(got_epoch, ==, epoch);
			g_assert_cmpuint(top, ==, 25);
			g_assert_cmpuint(g_variant_n_children(list), ==, 25 - cases[c].first + 1);
			for (gsize i = 0; i < g_variant_n_children(list); i++) {
				guint64 offset;
				const gchar *id, *sender, *text;
				gint64 ts;
				JsonObject *seen;
				g_variant_get_child(
				    list, i, "(t&sx&s&s)", &offset, &id, &ts, &sender, &text);
				g_assert_cmpuint(offset, ==, cases[c].first + i);
				seen = m->messages->pdata[offset - 1];
				g_assert_cmpstr(id, ==, ids->pdata[offset - 1]);
				g_assert_cmpint(ts, ==, rc_test_json_get_int(seen, "ts"));
				g_assert_cmpstr(sender, ==, "pub");
				g_assert_cmpstr(text, ==, rc_test_message_text(seen));
			}
		}
	}
	{
		g_autoptr(GVariant) reply = dbus_call(
		    name, "GetRoomStats", g_variant_new("(ss)", "/", "db"), "(a{sv})", &error);
		g_autoptr(GVariant) stats = NULL;
		const gchar *got_epoch = NULL;
		guint64 offset = 0;

		g_assert_no_error(error);
		stats = g_variant_get_child_value(reply, 0);
		g_assert_true(g_variant_lookup(stats, "epoch", "&s", &got_epoch));
		g_assert_true(g_variant_lookup(stats, "offset", "t", &offset));
		g_assert_cmpstr(got_epoch, ==, epoch);
		g_assert_cmpuint(offset, ==, 25);
	}
	/* a room never used: empty; bad names: InvalidArgs */
	{
		g_autoptr(GVariant) reply = dbus_call(name,
						      "GetHistory",
						      g_variant_new("(ssu)", "/", "never", 5),
						      "(sta(tsxss))",
						      &error);
		g_autoptr(GVariant) list = NULL;
		guint64 top = 1;
		g_assert_no_error(error);
		g_variant_get(reply, "(&st@a(tsxss))", NULL, &top, &list);
		g_assert_cmpuint(top, ==, 0);
		g_assert_cmpuint(g_variant_n_children(list), ==, 0);
	}
	{
		g_autoptr(GVariant) reply = dbus_call(name,
						      "GetHistory",
						      g_variant_new("(ssu)", "nope", "db", 5),
						      "(sta(tsxss))",
						      &error);
		g_autofree gchar *remote = NULL;
		g_assert_null(reply);
		g_assert_nonnull(error);
		remote = g_dbus_error_get_remote_error(error);
		g_assert_cmpstr(remote, ==, "org.roomcast.Error.InvalidArgs");
		g_clear_error(&error);
	}
	rc_test_member_free(g_steal_pointer(&m));
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

int
main(int argc, char **argv)
{
	g_autoptr(GTestDBus) bus = NULL;
	int ret;

	rc_test_lossless_init(&argc, &argv);
	/* a private session bus for the D-Bus cases; the others use --bus none */
	bus = g_test_dbus_new(G_TEST_DBUS_NONE);
	g_test_dbus_up(bus);

	g_test_add_data_func("/history/redis/join-history", &redis_mode, test_join_history);
	g_test_add_data_func("/history/embedded/join-history", &embedded_mode, test_join_history);
	g_test_add_func("/history/redis/join-then-leave", test_join_then_leave);
	g_test_add_data_func("/history/redis/history-frame", &redis_mode, test_history_frame);
	g_test_add_data_func("/history/embedded/history-frame", &embedded_mode, test_history_frame);
	g_test_add_data_func("/history/redis/http", &redis_mode, test_http_history);
	g_test_add_data_func("/history/embedded/http", &embedded_mode, test_http_history);
	g_test_add_data_func("/history/redis/since/same-epoch", &redis_mode, test_since_same_epoch);
	g_test_add_data_func(
	    "/history/embedded/since/same-epoch", &embedded_mode, test_since_same_epoch);
	g_test_add_data_func("/history/redis/since/other-node", &redis_mode, test_since_other_node);
	g_test_add_data_func("/history/redis/since/trimmed", &redis_mode, test_since_trimmed);
	g_test_add_data_func("/history/embedded/since/trimmed", &embedded_mode, test_since_trimmed);
	g_test_add_func("/history/redis/since/flushall", test_since_flushall);
	g_test_add_data_func("/history/redis/since/ttl", &redis_mode, test_since_ttl);
	g_test_add_data_func("/history/embedded/since/ttl", &embedded_mode, test_since_ttl);
	g_test_add_data_func("/history/redis/size-zero", &redis_mode, test_size_zero);
	g_test_add_data_func("/history/embedded/size-zero", &embedded_mode, test_size_zero);
	g_test_add_data_func(
	    "/history/redis/size-zero/new-epoch", &redis_mode, test_size_zero_new_epoch);
	g_test_add_data_func(
	    "/history/embedded/size-zero/new-epoch", &embedded_mode, test_size_zero_new_epoch);
	g_test_add_func("/history/embedded/since/restart", test_embedded_restart);
	g_test_add_data_func("/history/redis/bad-values", &redis_mode, test_bad_values);
	g_test_add_data_func("/history/embedded/bad-values", &embedded_mode, test_bad_values);
	g_test_add_data_func("/history/redis/dbus", &redis_mode, test_dbus);
	g_test_add_data_func("/history/embedded/dbus", &embedded_mode, test_dbus);

	ret = g_test_run();
	g_test_dbus_down(bus);
	return ret;
}
