/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTestPresence"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "rc-test-harness.h"
#include "rc-test-lossless.h"

/*
 * Presence across nodes: who is in a room (the "who" frame, GET /presence), the
 * join and leave events of members that asked for them, and what happens to the
 * members of a node that dies and to the entries Redis loses. Three nodes share
 * one real redis-server, with a short presence ttl (2 s) so that a dead node's
 * members go within 4 s; each node also has a private D-Bus name for KickClient
 * and CloseRoom.
 */

#define N_NODES 3
#define TTL_S 2
#define WAIT 3000

static RcTestRedis *redis;
static RcTestNode *nodes[N_NODES];
static gchar *cluster_config;

/* ---- helpers ------------------------------------------------------------------------ */

static const gchar *
node_id_of(RcTestWs *ws)
{
	return rc_test_json_get_string(rc_test_ws_get_hello(ws), "node");
}

static RcTestWs *
ws_new(RcTestNode *node, const gchar *sender)
{
	g_autofree gchar *query = g_strdup_printf("sender=%s", sender);
	return rc_test_ws_new(node, query);
}

/* join with presence events, and the reply */
static void
join_presence(RcTestWs *ws, const gchar *ns, const gchar *room)
{
	g_autoptr(JsonObject) reply = NULL;

	rc_test_ws_send_printf(ws,
			       "{\"type\":\"join\",\"namespace\":\"%s\",\"roomCode\":\"%s\","
			       "\"presence\":true,\"ref\":\"jp\"}",
			       ns,
			       room);
	reply = rc_test_ws_take(ws, NULL, "jp", WAIT);
	g_assert_cmpstr(rc_test_json_get_string(reply, "type"), ==, "joined");
	g_assert_cmpstr(rc_test_json_get_string(reply, "roomCode"), ==, room);
}

static void
leave(RcTestWs *ws, const gchar *ns, const gchar *room)
{
	g_autoptr(JsonObject) reply = NULL;

	rc_test_ws_send_printf(
	    ws,
	    "{\"type\":\"leave\",\"namespace\":\"%s\",\"roomCode\":\"%s\",\"ref\":\"lv\"}",
	    ns,
	    room);
	reply = rc_test_ws_take(ws, NULL, "lv", WAIT);
	g_assert_cmpstr(rc_test_json_get_string(reply, "type"), ==, "left");
}

/* the reply to a who frame (members or error), with its ref checked */
static JsonObject *
who(RcTestWs *ws, const gchar *ns, const gchar *room)
{
	static guint counter;
	g_autofree gchar *ref = g_strdup_printf("w%u", ++counter);
	JsonObject *reply;

	rc_test_ws_send_printf(
	    ws,
	    "{\"type\":\"who\",\"namespace\":\"%s\",\"roomCode\":\"%s\",\"ref\":\"%s\"}",
	    ns,
	    room,
	    ref);
	reply = rc_test_ws_take(ws, NULL, ref, WAIT);
	if (g_strcmp0(rc_test_json_get_string(reply, "type"), "members") == 0) {
		g_assert_cmpstr(rc_test_json_get_string(reply, "namespace"), ==, ns);
		g_assert_cmpstr(rc_test_json_get_string(reply, "roomCode"), ==, room);
		g_assert_true(json_object_has_member(reply, "members"));
	}
	return reply;
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const gchar *const *)a, *(const gchar *const *)b);
}

/* "client sender node" of each entry of a members array, sorted and joined by ", " */
static gchar *
members_string(JsonArray *members)
{
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < json_array_get_length(members); i++) {
		JsonObject *m = json_array_get_object_element(members, i);
		g_assert_nonnull(m);
		/* exactly these three keys */
		g_assert_cmpuint(json_object_get_size(m), ==, 3);
		g_ptr_array_add(rows,
				g_strdup_printf("%s %s %s",
						rc_test_json_get_string(m, "client"),
						rc_test_json_get_string(m, "sender"),
						rc_test_json_get_string(m, "node")));
	}
	g_ptr_array_sort(rows, compare_strings);
	g_ptr_array_add(rows, NULL);
	return g_strjoinv(", ", (gchar **)rows->pdata);
}

/* what members_string() says when exactly @wss are in the room */
static gchar *
expected_string(RcTestWs *const *wss, guint n)
{
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < n; i++)
		g_ptr_array_add(rows,
				g_strdup_printf("%s %s %s",
						rc_test_ws_get_client_id(wss[i]),
						rc_test_ws_get_sender(wss[i]),
						node_id_of(wss[i])));
	g_ptr_array_sort(rows, compare_strings);
	g_ptr_array_add(rows, NULL);
	return g_strjoinv(", ", (gchar **)rows->pdata);
}

/* who from @asker, as members_string(); fails on an error reply */
static gchar *
who_string(RcTestWs *asker, const gchar *ns, const gchar *room)
{
	g_autoptr(JsonObject) reply = who(asker, ns, room);
	g_autofree gchar *text = rc_test_json_to_string(reply);

	if (g_strcmp0(rc_test_json_get_string(reply, "type"), "members") != 0)
		g_error("who %s %s: %s", ns, room, text);
	return members_string(json_object_get_array_member(reply, "members"));
}

typedef struct {
	RcTestWs *asker;
	const gchar *ns;
	const gchar *room;
	const gchar *expected;
	gchar *last;
	gboolean allow_unavailable;
} WhoWait;

static gboolean
who_is(gpointer user_data)
{
	WhoWait *w = user_data;
	g_autoptr(JsonObject) reply = who(w->asker, w->ns, w->room);

	g_clear_pointer(&w->last, g_free);
	if (g_strcmp0(rc_test_json_get_string(reply, "type"), "members") != 0) {
		w->last = rc_test_json_to_string(reply);
		if (!w->allow_unavailable)
			g_error("who %s %s: %s", w->ns, w->room, w->last);
		rc_test_sleep(100);
		return FALSE;
	}
	w->last = members_string(json_object_get_array_member(reply, "members"));
	if (g_strcmp0(w->last, w->expected) == 0)
		return TRUE;
	rc_test_sleep(50);
	return FALSE;
}

/* who from @asker lists exactly @wss within @timeout_ms (a join is announced to
 * Redis just after its reply, so the first answer may still miss it) */
static void
wait_who(RcTestWs *asker,
	 const gchar *ns,
	 const gchar *room,
	 RcTestWs *const *wss,
	 guint n,
	 guint timeout_ms)
{
	g_autofree gchar *expected = expected_string(wss, n);
	WhoWait w = {asker, ns, room, expected, NULL, TRUE};

	if (!rc_test_wait_until(who_is, &w, timeout_ms))
		g_error("who %s %s from %s: expected [%s] within %u ms, last got [%s]",
			ns,
			room,
			node_id_of(asker),
			expected,
			timeout_ms,
			w.last);
	g_free(w.last);
}

typedef struct {
	RcTestWs *asker;
	const gchar *ns;
	const gchar *room;
	gchar *entry;
} ListedWait;

static gboolean
is_listed(gpointer user_data)
{
	ListedWait *w = user_data;
	g_autoptr(JsonObject) reply = who(w->asker, w->ns, w->room);
	g_autofree gchar *list = NULL;

	if (g_strcmp0(rc_test_json_get_string(reply, "type"), "members") != 0)
		return FALSE;
	list = members_string(json_object_get_array_member(reply, "members"));
	if (strstr(list, w->entry) != NULL)
		return TRUE;
	rc_test_sleep(20);
	return FALSE;
}

/* Waits until @asker's node lists @ws in the room: its join is in Redis, and its
 * event published. */
static void
wait_listed(RcTestWs *asker, const gchar *ns, const gchar *room, RcTestWs *ws)
{
	ListedWait w = {asker, ns, room, NULL};

	w.entry = g_strdup_printf(
	    "%s %s %s", rc_test_ws_get_client_id(ws), rc_test_ws_get_sender(ws), node_id_of(ws));
	if (!rc_test_wait_until(is_listed, &w, 2000))
		g_error("who %s %s never listed %s", ns, room, w.entry);
	g_free(w.entry);
}

/* Once this returns, @node has handled every event Redis published before: a message
 * sent now comes back through the same subscription, after them. A watcher that
 * joins on @node after someone else waits for this, or it may still hear of that
 * earlier join (the node reads its subscription and its join apart). */
static void
settle(RcTestNode *node)
{
	g_autoptr(RcTestWs) probe = ws_new(node, "probe");

	rc_test_ws_join(probe, "/", "probe");
	g_free(rc_test_ws_send_message(probe, "/", "probe", "settle"));
	rc_test_ws_drop(probe, "MSG_TO_CLIENTS", NULL, WAIT);
}

/* the next presence frame of @ws is @event about @about in @ns @room */
static void
expect_event(RcTestWs *ws, const gchar *ns, const gchar *room, const gchar *event, RcTestWs *about)
{
	g_autoptr(JsonObject) p = rc_test_ws_take(ws, "presence", NULL, WAIT);
	g_autofree gchar *text = rc_test_json_to_string(p);

	g_test_message("%s got %s", rc_test_ws_get_sender(ws), text);
	g_assert_cmpstr(rc_test_json_get_string(p, "namespace"), ==, ns);
	g_assert_cmpstr(rc_test_json_get_string(p, "roomCode"), ==, room);
	g_assert_cmpstr(rc_test_json_get_string(p, "event"), ==, event);
	g_assert_cmpstr(rc_test_json_get_string(p, "client"), ==, rc_test_ws_get_client_id(about));
	g_assert_cmpstr(rc_test_json_get_string(p, "sender"), ==, rc_test_ws_get_sender(about));
	g_assert_cmpstr(rc_test_json_get_string(p, "node"), ==, node_id_of(about));
	/* exactly these members */
	g_assert_cmpuint(json_object_get_size(p), ==, 7);
}

/* waits @ms, then no presence frame may be queued; other frames are dropped */
static void
expect_no_event(RcTestWs *ws, guint ms)
{
	JsonObject *frame;

	rc_test_sleep(ms);
	while ((frame = rc_test_ws_try_next(ws, 0)) != NULL) {
		g_autofree gchar *text = rc_test_json_to_string(frame);
		gboolean is_presence =
		    g_strcmp0(rc_test_json_get_string(frame, "type"), "presence") == 0;
		json_object_unref(frame);
		if (is_presence)
			g_error("%s: unexpected %s", rc_test_ws_get_sender(ws), text);
	}
}

/* After a Redis outage longer than the ttl (a whole cluster restarting under a
 * sanitizer takes that long) a node may find an entry expired before its owner
 * writes it again: that member leaves and joins again, in that order. Drops
 * such pairs from @ws until no presence frame came for @quiet_ms; anything
 * else is an error. */
static void
drop_expiry_pairs(RcTestWs *ws, guint quiet_ms)
{
	g_autoptr(GHashTable) left = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	JsonObject *frame;

	while ((frame = rc_test_ws_try_next(ws, quiet_ms)) != NULL) {
		g_autoptr(JsonObject) p = frame;
		g_autofree gchar *text = rc_test_json_to_string(p);
		const gchar *event = rc_test_json_get_string(p, "event");
		const gchar *client = rc_test_json_get_string(p, "client");

		if (g_strcmp0(rc_test_json_get_string(p, "type"), "presence") != 0)
			continue;
		g_test_message("%s got %s after the outage", rc_test_ws_get_sender(ws), text);
		if (g_strcmp0(event, "leave") == 0) {
			g_assert_false(g_hash_table_contains(left, client));
			g_hash_table_add(left, g_strdup(client));
		} else {
			g_assert_cmpstr(event, ==, "join");
			g_assert_true(g_hash_table_remove(left, client));
		}
	}
	g_assert_cmpuint(g_hash_table_size(left), ==, 0);
}

/* "event client" of the next @n presence frames of @ws */
static gchar *
take_events(RcTestWs *ws, guint n)
{
	g_autoptr(GString) s = g_string_new(NULL);

	for (guint i = 0; i < n; i++) {
		g_autoptr(JsonObject) p = rc_test_ws_take(ws, "presence", NULL, WAIT);
		g_string_append_printf(s,
				       "%s%s %s",
				       i > 0 ? ", " : "",
				       rc_test_json_get_string(p, "event"),
				       rc_test_json_get_string(p, "client"));
	}
	return g_strdup(s->str);
}

static gchar *
dbus_name_of(guint index)
{
	return g_strdup_printf("org.roomcast.Presence%u", index + 1);
}

static gboolean
dbus_name_owned(gpointer user_data)
{
	g_autoptr(GDBusConnection) bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, NULL);
	g_autoptr(GVariant) reply = NULL;
	gboolean owned = FALSE;

	if (bus == NULL)
		return FALSE;
	reply = g_dbus_connection_call_sync(bus,
					    "org.freedesktop.DBus",
					    "/org/freedesktop/DBus",
					    "org.freedesktop.DBus",
					    "NameHasOwner",
					    g_variant_new("(s)", (const gchar *)user_data),
					    G_VARIANT_TYPE("(b)"),
					    G_DBUS_CALL_FLAGS_NONE,
					    5000,
					    NULL,
					    NULL);
	if (reply != NULL)
		g_variant_get(reply, "(b)", &owned);
	return owned;
}

/* a method of the admin interface of node @index; fails the test on an error */
static GVariant *
admin_call(guint index, const gchar *method, GVariant *parameters)
{
	g_autofree gchar *name = dbus_name_of(index);
	g_autoptr(GDBusConnection) bus = NULL;
	g_autoptr(GError) error = NULL;
	GVariant *reply;

	g_assert_true(rc_test_wait_until(dbus_name_owned, name, 5000));
	bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &error);
	g_assert_no_error(error);
	reply = g_dbus_connection_call_sync(bus,
					    name,
					    "/org/roomcast",
					    "org.roomcast.Daemon",
					    method,
					    parameters,
					    NULL,
					    G_DBUS_CALL_FLAGS_NONE,
					    rc_test_timeout(5000),
					    NULL,
					    &error);
	g_assert_no_error(error);
	return reply;
}

static RcTestNode *
start_node(RcTestRedis *r, const gchar *id, const gchar *config, guint dbus_index)
{
	g_autofree gchar *dbus_name = dbus_index > 0 ? dbus_name_of(dbus_index - 1) : NULL;
	const gchar *args[16] = {"--port", "0", "--node-id", id, "--config", config, NULL};
	guint n = 6;
	RcTestNode *node;

	if (r != NULL) {
		args[n++] = "--redis";
		args[n++] = rc_test_redis_get_url(r);
	}
	args[n++] = "--bus";
	if (dbus_name != NULL) {
		args[n++] = "session";
		args[n++] = "--dbus-name";
		args[n++] = dbus_name;
	} else {
		args[n++] = "none";
	}
	args[n] = NULL;
	node = rc_test_node_spawn(args);
	{
		g_autoptr(GError) error = NULL;
		if (!rc_test_node_wait_listening(node, rc_test_timeout(10000), &error))
			g_error("node %s did not start: %s", id, error->message);
	}
	if (r != NULL)
		rc_test_node_wait_redis_connected(node, 5000);
	return node;
}

static RcTestNode *
start_redis_node(RcTestRedis *r, const gchar *id, guint ttl)
{
	g_autofree gchar *contents =
	    g_strdup_printf("[presence]\nttl=%u\n[redis]\ntimeout=1\n", ttl);
	const gchar *config = rc_test_write_config(contents);
	return start_node(r, id, config, 0);
}

/* ---- who ---------------------------------------------------------------------------- */

static void
test_who_across_nodes(void)
{
	g_autoptr(RcTestWs) a = ws_new(nodes[0], "alice");
	g_autoptr(RcTestWs) b = ws_new(nodes[1], "bob");
	g_autoptr(RcTestWs) c = ws_new(nodes[2], "carol");
	g_autoptr(RcTestWs) d = ws_new(nodes[0], "dave");
	g_autoptr(RcTestWs) other_ns = ws_new(nodes[1], "erin");
	RcTestWs *const in_room[] = {a, b, c, d};

	g_assert_cmpstr(node_id_of(a), ==, "p1");
	g_assert_cmpstr(node_id_of(b), ==, "p2");
	g_assert_cmpstr(node_id_of(c), ==, "p3");
	/* ids are unique across nodes */
	g_assert_cmpstr(rc_test_ws_get_client_id(a), !=, rc_test_ws_get_client_id(b));
	g_assert_cmpstr(rc_test_ws_get_client_id(a), !=, rc_test_ws_get_client_id(c));
	g_assert_cmpstr(rc_test_ws_get_client_id(b), !=, rc_test_ws_get_client_id(c));

	rc_test_ws_join(a, "/", "who-room");
	rc_test_ws_join(b, "/", "who-room");
	wait_listed(c, "/", "who-room", a);
	wait_listed(c, "/", "who-room", b);
	settle(nodes[2]);
	join_presence(c, "/", "who-room");
	rc_test_ws_join(d, "/", "who-room");
	/* the same room code in another namespace is another room */
	rc_test_ws_join(other_ns, "/other", "who-room");

	/* members ask, and so do clients that never joined: every node says the same */
	for (guint i = 0; i < N_NODES; i++) {
		g_autoptr(RcTestWs) outsider = ws_new(nodes[i], "outsider");
		RcTestWs *const other[] = {other_ns};
		wait_who(outsider, "/", "who-room", in_room, G_N_ELEMENTS(in_room), 2000);
		wait_who(outsider, "/other", "who-room", other, 1, 2000);
		/* the outsider is not in the room for having asked */
		wait_who(outsider, "/", "who-room", in_room, G_N_ELEMENTS(in_room), 0);
	}
	wait_who(b, "/", "who-room", in_room, G_N_ELEMENTS(in_room), 0);

	/* an empty room is an empty list, not an error */
	{
		g_autoptr(JsonObject) reply = who(a, "/", "nobody-here");
		g_assert_cmpstr(rc_test_json_get_string(reply, "type"), ==, "members");
		g_assert_cmpuint(
		    json_array_get_length(json_object_get_array_member(reply, "members")), ==, 0);
	}
	/* who without a ref works too, and has no ref */
	{
		g_autoptr(JsonObject) reply = NULL;
		g_autofree gchar *list = NULL;
		g_autofree gchar *expected = expected_string(in_room, G_N_ELEMENTS(in_room));
		rc_test_ws_send_text(b, "{\"type\":\"who\",\"roomCode\":\"who-room\"}");
		reply = rc_test_ws_take(b, "members", NULL, WAIT);
		g_assert_false(json_object_has_member(reply, "ref"));
		g_assert_cmpstr(rc_test_json_get_string(reply, "namespace"), ==, "/");
		list = members_string(json_object_get_array_member(reply, "members"));
		g_assert_cmpstr(list, ==, expected);
	}
	/* only c asked for events, and only d joined after it; nobody heard of who asked */
	expect_event(c, "/", "who-room", "join", d);
	expect_no_event(c, 200);
	expect_no_event(a, 0);
	expect_no_event(b, 0);
}

static void
test_who_bad_request(void)
{
	g_autoptr(RcTestWs) ws = ws_new(nodes[1], "pat");
	g_autofree gchar *long_room = g_strnfill(129, 'r');
	g_autofree gchar *long_ns = g_strnfill(65, 'n');
	g_autofree gchar *too_long_room = g_strdup_printf(
	    "{\"type\":\"who\",\"namespace\":\"/\",\"roomCode\":\"%s\",\"ref\":\"b\"}", long_room);
	g_autofree gchar *too_long_ns = g_strdup_printf(
	    "{\"type\":\"who\",\"namespace\":\"/%s\",\"roomCode\":\"r\",\"ref\":\"b\"}", long_ns);
	const gchar *cases[] = {
	    "{\"type\":\"who\",\"namespace\":\"/\",\"ref\":\"b\"}",
	    "{\"type\":\"who\",\"namespace\":\"/\",\"roomCode\":null,\"ref\":\"b\"}",
	    "{\"type\":\"who\",\"namespace\":\"/\",\"roomCode\":\"\",\"ref\":\"b\"}",
	    "{\"type\":\"who\",\"namespace\":\"/\",\"roomCode\":42,\"ref\":\"b\"}",
	    "{\"type\":\"who\",\"namespace\":\"/\",\"roomCode\":[\"r\"],\"ref\":\"b\"}",
	    "{\"type\":\"who\",\"namespace\":7,\"roomCode\":\"r\",\"ref\":\"b\"}",
	    "{\"type\":\"who\",\"namespace\":\"no-slash\",\"roomCode\":\"r\",\"ref\":\"b\"}",
	    "{\"type\":\"who\",\"namespace\":\"/\",\"roomCode\":\"bad room\",\"ref\":\"b\"}",
	    "{\"type\":\"who\",\"namespace\":\"/\",\"roomCode\":\"r/s\",\"ref\":\"b\"}",
	    "{\"type\":\"who\",\"namespace\":\"/a b\",\"roomCode\":\"r\",\"ref\":\"b\"}",
	    too_long_room,
	    too_long_ns,
	    /* presence on join must be a boolean */
	    "{\"type\":\"join\",\"namespace\":\"/\",\"roomCode\":\"r\",\"presence\":\"yes\","
	    "\"ref\":\"b\"}",
	    "{\"type\":\"join\",\"namespace\":\"/\",\"roomCode\":\"r\",\"presence\":1,"
	    "\"ref\":\"b\"}",
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(JsonObject) error = NULL;
		g_test_message("sending %s", cases[i]);
		rc_test_ws_send_text(ws, cases[i]);
		error = rc_test_ws_expect_error(ws, "bad_request", "b", WAIT);
		rc_test_ws_ping(ws);
	}
	/* the refused join joined nothing */
	{
		g_autofree gchar *list = who_string(ws, "/", "r");
		g_assert_cmpstr(list, ==, "");
	}
	/* the longest valid names are fine */
	{
		g_autofree gchar *room = g_strnfill(128, 'r');
		g_autofree gchar *ns = g_strdup_printf("/%s", long_ns + 1);
		g_autofree gchar *list = who_string(ws, ns, room);
		g_assert_cmpstr(list, ==, "");
	}
}

/* ---- events ------------------------------------------------------------------------- */

static void
test_events(void)
{
	const gchar *room = "ev-room";
	g_autoptr(RcTestWs) w2 = ws_new(nodes[1], "watch2");
	g_autoptr(RcTestWs) w3 = ws_new(nodes[2], "watch3");
	g_autoptr(RcTestWs) quiet = ws_new(nodes[1], "quiet");
	g_autoptr(RcTestWs) x = ws_new(nodes[0], "xavier");
	g_autoptr(RcTestWs) y = ws_new(nodes[2], "yolanda");
	g_autoptr(RcTestWs) k = ws_new(nodes[0], "kim");
	g_autoptr(RcTestWs) elsewhere = ws_new(nodes[0], "elsewhere");
	g_autoptr(RcTestWs) z = ws_new(nodes[2], "zed");
	g_autoptr(GVariant) removed = NULL;
	g_autoptr(GVariant) kicked = NULL;
	guint32 n_removed = 0;

	join_presence(w2, "/", room);
	wait_listed(w3, "/", room, w2);
	settle(nodes[2]);
	join_presence(w3, "/", room);
	/* w2 was there first and hears of w3; w3 hears nothing of itself */
	expect_event(w2, "/", room, "join", w3);
	rc_test_ws_join(quiet, "/", room);
	expect_event(w2, "/", room, "join", quiet);
	expect_event(w3, "/", room, "join", quiet);
	/* another room's events stay there, even for members asking for events */
	join_presence(elsewhere, "/", "ev-elsewhere");

	wait_listed(x, "/", room, quiet);
	settle(nodes[0]);
	join_presence(x, "/", room);
	expect_event(w2, "/", room, "join", x);
	expect_event(w3, "/", room, "join", x);
	wait_listed(y, "/", room, x);
	settle(nodes[2]);
	join_presence(y, "/", room);
	expect_event(w2, "/", room, "join", y);
	expect_event(w3, "/", room, "join", y);
	expect_event(x, "/", room, "join", y);
	/* joining again is no new join */
	join_presence(y, "/", room);

	/* leave */
	leave(x, "/", room);
	expect_event(w2, "/", room, "leave", x);
	expect_event(w3, "/", room, "leave", x);
	expect_event(y, "/", room, "leave", x);

	/* disconnect */
	rc_test_ws_close(y);
	expect_event(w2, "/", room, "leave", y);
	expect_event(w3, "/", room, "leave", y);

	/* kick, through the admin interface of the node the member is on */
	rc_test_ws_join(k, "/", room);
	expect_event(w2, "/", room, "join", k);
	expect_event(w3, "/", room, "join", k);
	kicked =
	    admin_call(0, "KickClient", g_variant_new("(ss)", rc_test_ws_get_client_id(k), "bye"));
	g_assert_cmpuint(rc_test_ws_wait_closed(k, WAIT), ==, 1008);
	expect_event(w2, "/", room, "leave", k);
	expect_event(w3, "/", room, "leave", k);

	/* CloseRoom on node 3: its members w3 and z go, the others hear of it */
	{
		RcTestWs *const before_z[] = {w2, w3, quiet};
		wait_who(z, "/", room, before_z, G_N_ELEMENTS(before_z), 2000);
	}
	settle(nodes[2]);
	join_presence(z, "/", room);
	expect_event(w2, "/", room, "join", z);
	expect_event(w3, "/", room, "join", z);
	removed = admin_call(2, "CloseRoom", g_variant_new("(sss)", "/", room, "closing"));
	g_variant_get(removed, "(u)", &n_removed);
	g_assert_cmpuint(n_removed, ==, 2);
	rc_test_ws_drop(w3, "left", NULL, WAIT);
	rc_test_ws_drop(z, "left", NULL, WAIT);
	{
		g_autofree gchar *events = take_events(w2, 2);
		g_autofree gchar *one = g_strdup_printf("leave %s, leave %s",
							rc_test_ws_get_client_id(w3),
							rc_test_ws_get_client_id(z));
		g_autofree gchar *other = g_strdup_printf("leave %s, leave %s",
							  rc_test_ws_get_client_id(z),
							  rc_test_ws_get_client_id(w3));
		if (g_strcmp0(events, one) != 0 && g_strcmp0(events, other) != 0)
			g_error("after CloseRoom w2 got %s", events);
	}
	{
		RcTestWs *const left_in_room[] = {w2, quiet};
		wait_who(x, "/", room, left_in_room, G_N_ELEMENTS(left_in_room), 2000);
	}

	/* and nothing else: no events for those who did not ask, none about oneself, none
	 * about the removed members after they went, none for the other room */
	expect_no_event(w2, 300);
	expect_no_event(w3, 0);
	expect_no_event(z, 0);
	expect_no_event(x, 0);
	expect_no_event(quiet, 0);
	expect_no_event(elsewhere, 0);
	/* the connections removed from the room still work */
	rc_test_ws_ping(w3);
	rc_test_ws_ping(z);
}

/* the same order of events at every watcher, on every node, as things happened */
static void
test_event_order(void)
{
	const gchar *room = "order-room";
	g_autoptr(RcTestWs) w2 = ws_new(nodes[1], "ow2");
	g_autoptr(RcTestWs) w3 = ws_new(nodes[2], "ow3");
	g_autoptr(RcTestWs) a = ws_new(nodes[0], "oa");
	g_autoptr(RcTestWs) b = ws_new(nodes[1], "ob");
	g_autoptr(RcTestWs) c = ws_new(nodes[2], "oc");
	g_autoptr(RcTestWs) burst = ws_new(nodes[0], "burst");
	g_autoptr(RcTestWs) burst2 = ws_new(nodes[2], "burst2");
	g_autoptr(GString) expected = g_string_new(NULL);
	guint n = 0;

	join_presence(w2, "/", room);
	wait_listed(w3, "/", room, w2);
	settle(nodes[2]);
	join_presence(w3, "/", room);
	expect_event(w2, "/", room, "join", w3);

	/* Each change is in Redis before the next one starts: the events must come in
	 * exactly this order. (A reply reaches its client a little before the change
	 * reaches Redis, so without the wait a change made on another node right after
	 * a reply could still overtake it.) */
	{
		struct {
			RcTestWs *ws;
			gboolean join;
		} steps[] = {
		    {a, TRUE},
		    {b, TRUE},
		    {a, FALSE},
		    {c, TRUE},
		    {a, TRUE},
		    {b, FALSE},
		    {c, FALSE},
		    {b, TRUE},
		    {a, FALSE},
		};
		g_autoptr(GPtrArray) present = g_ptr_array_new();

		g_ptr_array_add(present, w2);
		g_ptr_array_add(present, w3);
		for (guint i = 0; i < G_N_ELEMENTS(steps); i++) {
			if (steps[i].join) {
				rc_test_ws_join(steps[i].ws, "/", room);
				g_ptr_array_add(present, steps[i].ws);
			} else {
				leave(steps[i].ws, "/", room);
				g_assert_true(g_ptr_array_remove(present, steps[i].ws));
			}
			g_string_append_printf(expected,
					       "%s%s %s",
					       n++ > 0 ? ", " : "",
					       steps[i].join ? "join" : "leave",
					       rc_test_ws_get_client_id(steps[i].ws));
			wait_who(
			    w2, "/", room, (RcTestWs *const *)present->pdata, present->len, 2000);
		}
	}
	{
		g_autofree gchar *at2 = take_events(w2, n);
		g_autofree gchar *at3 = take_events(w3, n);
		g_assert_cmpstr(at2, ==, expected->str);
		g_assert_cmpstr(at3, ==, expected->str);
	}

	/* two clients on two nodes joining and leaving as fast as they can, each waiting
	 * only for its own "joined": every watcher sees the same interleaving, and each
	 * client's events alternate */
	{
		RcTestWs *bursts[] = {burst, burst2};
		for (guint i = 0; i < 10; i++) {
			for (guint j = 0; j < G_N_ELEMENTS(bursts); j++)
				rc_test_ws_send_printf(
				    bursts[j],
				    "{\"type\":\"join\",\"roomCode\":\"%s\",\"ref\":\"bj%u\"}",
				    room,
				    i);
			for (guint j = 0; j < G_N_ELEMENTS(bursts); j++) {
				g_autofree gchar *ref = g_strdup_printf("bj%u", i);
				rc_test_ws_drop(bursts[j], "joined", ref, WAIT);
				rc_test_ws_send_printf(
				    bursts[j],
				    "{\"type\":\"leave\",\"roomCode\":\"%s\",\"ref\":\"bl%u\"}",
				    room,
				    i);
			}
		}
		for (guint j = 0; j < G_N_ELEMENTS(bursts); j++) {
			rc_test_ws_send_printf(
			    bursts[j],
			    "{\"type\":\"join\",\"roomCode\":\"%s\",\"ref\":\"last\"}",
			    room);
			rc_test_ws_drop(bursts[j], "joined", "last", WAIT);
		}
	}
	{
		RcTestWs *const final[] = {w2, w3, b, burst, burst2};
		wait_who(a, "/", room, final, G_N_ELEMENTS(final), 2000);
	}
	{
		g_autofree gchar *at2 = take_events(w2, 42);
		g_autofree gchar *at3 = take_events(w3, 42);
		g_auto(GStrv) events = g_strsplit(at2, ", ", -1);
		const gchar *ids[] = {rc_test_ws_get_client_id(burst),
				      rc_test_ws_get_client_id(burst2)};
		guint seen[2] = {0, 0};

		g_assert_cmpstr(at2, ==, at3);
		for (guint i = 0; events[i] != NULL; i++) {
			for (guint j = 0; j < G_N_ELEMENTS(ids); j++) {
				g_autofree gchar *join = g_strdup_printf("join %s", ids[j]);
				g_autofree gchar *leave_ev = g_strdup_printf("leave %s", ids[j]);
				if (strcmp(events[i], seen[j] % 2 == 0 ? join : leave_ev) == 0) {
					seen[j]++;
					break;
				}
				if (j == G_N_ELEMENTS(ids) - 1)
					g_error("event %u out of order: %s", i, at2);
			}
		}
		g_assert_cmpuint(seen[0], ==, 21);
		g_assert_cmpuint(seen[1], ==, 21);
	}
	expect_no_event(w2, 300);
	expect_no_event(w3, 0);
}

/* ---- a node dies -------------------------------------------------------------------- */

#define N_DOOMED 50

typedef struct {
	RcTestWs *ws;
	GHashTable *left; /* client id → count */
	guint n_events;
	guint n_left;
} Watcher;

static void
watcher_poll(Watcher *w)
{
	JsonObject *frame;

	while ((frame = rc_test_ws_try_next(w->ws, 0)) != NULL) {
		if (g_strcmp0(rc_test_json_get_string(frame, "type"), "presence") == 0) {
			const gchar *client = rc_test_json_get_string(frame, "client");
			guint count = GPOINTER_TO_UINT(g_hash_table_lookup(w->left, client));
			w->n_events++;
			g_assert_cmpstr(rc_test_json_get_string(frame, "event"), ==, "leave");
			g_assert_cmpstr(rc_test_json_get_string(frame, "node"), ==, "victim");
			g_assert_cmpstr(rc_test_json_get_string(frame, "roomCode"), ==, "doomed");
			if (count == 0)
				w->n_left++;
			g_hash_table_replace(
			    w->left, g_strdup(client), GUINT_TO_POINTER(count + 1));
		}
		json_object_unref(frame);
	}
}

static gboolean
watchers_done(gpointer user_data)
{
	Watcher *ws = user_data;
	watcher_poll(&ws[0]);
	watcher_poll(&ws[1]);
	return ws[0].n_left == N_DOOMED && ws[1].n_left == N_DOOMED;
}

static void
test_node_killed(void)
{
	g_autoptr(RcTestNode) victim = start_node(redis, "victim", cluster_config, 0);
	g_autoptr(RcTestWs) w2 = ws_new(nodes[1], "kw2");
	g_autoptr(RcTestWs) w3 = ws_new(nodes[2], "kw3");
	RcTestWs *doomed[N_DOOMED];
	Watcher watchers[2] = {
	    {w2, g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL), 0, 0},
	    {w3, g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL), 0, 0},
	};
	gint64 killed_at, took_ms;

	join_presence(w2, "/", "doomed");
	wait_listed(w3, "/", "doomed", w2);
	settle(nodes[2]);
	join_presence(w3, "/", "doomed");
	expect_event(w2, "/", "doomed", "join", w3);
	for (guint i = 0; i < N_DOOMED; i++) {
		g_autofree gchar *sender = g_strdup_printf("doomed%02u", i);
		doomed[i] = ws_new(victim, sender);
		rc_test_ws_send_text(doomed[i], "{\"type\":\"join\",\"roomCode\":\"doomed\"}");
	}
	for (guint i = 0; i < N_DOOMED; i++)
		rc_test_ws_drop(doomed[i], "joined", NULL, WAIT);
	/* 50 joins at each watcher */
	for (guint i = 0; i < N_DOOMED; i++) {
		rc_test_ws_drop(w2, "presence", NULL, WAIT);
		rc_test_ws_drop(w3, "presence", NULL, WAIT);
	}
	{
		RcTestWs *all[N_DOOMED + 2];
		memcpy(all, doomed, sizeof doomed);
		all[N_DOOMED] = w2;
		all[N_DOOMED + 1] = w3;
		wait_who(w2, "/", "doomed", all, G_N_ELEMENTS(all), 2000);
	}

	rc_test_node_signal(victim, SIGKILL);
	killed_at = g_get_monotonic_time();
	g_assert_cmpint(rc_test_node_wait_exit(victim, 5000), ==, 128 + SIGKILL);

	/* each watcher hears every one of them leave, within 2 × ttl */
	if (!rc_test_wait_until(watchers_done, watchers, 2 * TTL_S * 1000))
		g_error("within %u ms of the kill: %u of %u leave events at w2, %u at w3",
			rc_test_timeout(2 * TTL_S * 1000),
			watchers[0].n_left,
			N_DOOMED,
			watchers[1].n_left);
	took_ms = (g_get_monotonic_time() - killed_at) / 1000;
	g_test_message("all leave events within %" G_GINT64_FORMAT " ms of the kill", took_ms);
	/* and only once: nothing more comes, whichever node noticed */
	rc_test_sleep(1500);
	watcher_poll(&watchers[0]);
	watcher_poll(&watchers[1]);
	for (guint i = 0; i < N_DOOMED; i++) {
		const gchar *id = rc_test_ws_get_client_id(doomed[i]);
		g_assert_cmpuint(
		    GPOINTER_TO_UINT(g_hash_table_lookup(watchers[0].left, id)), ==, 1);
		g_assert_cmpuint(
		    GPOINTER_TO_UINT(g_hash_table_lookup(watchers[1].left, id)), ==, 1);
	}
	g_assert_cmpuint(watchers[0].n_events, ==, N_DOOMED);
	g_assert_cmpuint(watchers[1].n_events, ==, N_DOOMED);
	{
		RcTestWs *const alive[] = {w2, w3};
		wait_who(w2, "/", "doomed", alive, 2, 0);
		wait_who(w3, "/", "doomed", alive, 2, 0);
	}
	for (guint i = 0; i < N_DOOMED; i++)
		rc_test_ws_free(doomed[i]);
	g_hash_table_unref(watchers[0].left);
	g_hash_table_unref(watchers[1].left);
}

/* A node killed and started again at once with the same id: Redis never saw
 * the id go quiet, so only the new run can say that the old run's members are
 * gone. It does when its first member joins the room, not a ttl later. */
static void
test_node_restarted(void)
{
	g_autoptr(RcTestNode) first = start_node(redis, "phoenix", cluster_config, 0);
	g_autoptr(RcTestNode) again = NULL;
	g_autoptr(RcTestWs) w2 = ws_new(nodes[1], "rw2");
	g_autoptr(RcTestWs) ghost = ws_new(first, "ghost");
	g_autoptr(RcTestWs) newbie = NULL;
	g_autofree gchar *ghost_id = NULL;

	join_presence(w2, "/", "reborn");
	join_presence(ghost, "/", "reborn");
	expect_event(w2, "/", "reborn", "join", ghost);
	ghost_id = g_strdup(rc_test_ws_get_client_id(ghost));

	rc_test_node_signal(first, SIGKILL);
	g_assert_cmpint(rc_test_node_wait_exit(first, 5000), ==, 128 + SIGKILL);
	again = start_node(redis, "phoenix", cluster_config, 0);
	newbie = ws_new(again, "newbie");
	join_presence(newbie, "/", "reborn");

	/* The new member's join and the ghost's leave, once each. Natively the node
	 * starts again well within the ttl, so only the new run's first join can
	 * remove the ghost; a slow start (valgrind) may let the id expire first, and
	 * then the leave comes before the join. */
	{
		gboolean joined = FALSE, left = FALSE;
		for (guint i = 0; i < 2; i++) {
			g_autoptr(JsonObject) p = rc_test_ws_take(w2, "presence", NULL, WAIT);
			const gchar *event = rc_test_json_get_string(p, "event");
			g_assert_cmpstr(rc_test_json_get_string(p, "roomCode"), ==, "reborn");
			g_assert_cmpstr(rc_test_json_get_string(p, "node"), ==, "phoenix");
			if (g_strcmp0(event, "join") == 0) {
				g_assert_false(joined);
				g_assert_cmpstr(rc_test_json_get_string(p, "client"),
						==,
						rc_test_ws_get_client_id(newbie));
				joined = TRUE;
			} else {
				g_assert_cmpstr(event, ==, "leave");
				g_assert_false(left);
				g_assert_cmpstr(rc_test_json_get_string(p, "client"), ==, ghost_id);
				left = TRUE;
			}
		}
	}
	{
		RcTestWs *const now[] = {w2, newbie};
		wait_who(w2, "/", "reborn", now, G_N_ELEMENTS(now), 0);
	}
	/* and it stays gone, announced once, while the new run beats for the room */
	expect_no_event(w2, 2 * TTL_S * 1000 + 500);
	{
		RcTestWs *const now[] = {w2, newbie};
		wait_who(w2, "/", "reborn", now, G_N_ELEMENTS(now), 0);
	}
}

/* a node stopped the usual way: its members leave once each, whether it told Redis
 * before it went or the others noticed */
static void
test_node_stopped(void)
{
	g_autoptr(RcTestNode) leaving = start_node(redis, "leaving", cluster_config, 0);
	g_autoptr(RcTestWs) w1 = ws_new(nodes[0], "sw1");
	RcTestWs *members[3];
	g_autoptr(GHashTable) left = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	gint64 deadline;

	join_presence(w1, "/", "stopping");
	for (guint i = 0; i < G_N_ELEMENTS(members); i++) {
		g_autofree gchar *sender = g_strdup_printf("stopping%u", i);
		members[i] = ws_new(leaving, sender);
		rc_test_ws_join(members[i], "/", "stopping");
		expect_event(w1, "/", "stopping", "join", members[i]);
	}
	g_assert_cmpint(rc_test_node_stop(leaving), ==, 0);
	/* a node that stops says so itself before it exits: no waiting for the ttl */
	deadline = g_get_monotonic_time() + rc_test_timeout(1000) * G_TIME_SPAN_MILLISECOND;
	while (g_hash_table_size(left) < G_N_ELEMENTS(members) &&
	       g_get_monotonic_time() < deadline) {
		JsonObject *p = rc_test_ws_try_next(w1, 100);
		if (p == NULL)
			continue;
		g_assert_cmpstr(rc_test_json_get_string(p, "type"), ==, "presence");
		g_assert_cmpstr(rc_test_json_get_string(p, "event"), ==, "leave");
		g_assert_cmpstr(rc_test_json_get_string(p, "node"), ==, "leaving");
		/* one of them, once */
		{
			const gchar *client = rc_test_json_get_string(p, "client");
			gboolean known = FALSE;
			for (guint i = 0; i < G_N_ELEMENTS(members); i++)
				known |=
				    g_strcmp0(rc_test_ws_get_client_id(members[i]), client) == 0;
			g_assert_true(known);
			g_assert_true(g_hash_table_add(left, g_strdup(client)));
		}
		json_object_unref(p);
	}
	g_assert_cmpuint(g_hash_table_size(left), ==, G_N_ELEMENTS(members));
	expect_no_event(w1, 1000);
	wait_who(w1, "/", "stopping", &w1, 1, 0);
	for (guint i = 0; i < G_N_ELEMENTS(members); i++)
		rc_test_ws_free(members[i]);
}

/* ---- Redis loses everything, or goes away ------------------------------------------- */

static void
assert_unavailable(RcTestWs *ws, RcTestNode *node, const gchar *room)
{
	g_autoptr(JsonObject) reply = who(ws, "/", room);
	g_autofree gchar *path = g_strdup_printf("/presence?roomCode=%s", room);
	g_autoptr(RcTestHttpReply) http = rc_test_http_get(node, path);
	g_autoptr(JsonObject) body = NULL;

	g_assert_cmpstr(rc_test_json_get_string(reply, "type"), ==, "error");
	g_assert_cmpstr(rc_test_json_get_string(reply, "code"), ==, "unavailable");
	g_assert_cmpstr(rc_test_json_get_string(reply, "message"), !=, "");
	g_assert_cmpuint(http->status, ==, 503);
	body = rc_test_http_reply_json(http);
	g_assert_false(json_object_get_boolean_member(body, "success"));
	rc_test_ws_ping(ws);
}

typedef struct {
	RcTestNode *node;
	guint status;
} HealthWait;

static gboolean
health_is(gpointer user_data)
{
	HealthWait *w = user_data;
	g_autoptr(RcTestHttpReply) reply = rc_test_http_get(w->node, "/healthz");
	return reply->status == w->status;
}

static void
wait_health(RcTestNode *node, guint status)
{
	HealthWait w = {node, status};

	if (!rc_test_wait_until(health_is, &w, 10000)) {
		g_autoptr(RcTestHttpReply) reply = rc_test_http_get(node, "/healthz");
		g_error("%s/healthz: expected %u, got %u %s",
			rc_test_node_get_base_url(node),
			status,
			reply->status,
			reply->body);
	}
}

static void
test_redis_restart(void)
{
	g_autoptr(RcTestRedis) own = rc_test_redis_new();
	g_autoptr(RcTestNode) r1 = start_redis_node(own, "r1", TTL_S);
	g_autoptr(RcTestNode) r2 = start_redis_node(own, "r2", TTL_S);
	g_autoptr(RcTestWs) a = ws_new(r1, "ra");
	g_autoptr(RcTestWs) a2 = ws_new(r1, "ra2");
	g_autoptr(RcTestWs) b = ws_new(r2, "rb");
	g_autoptr(RcTestWs) late = ws_new(r1, "late");
	RcTestWs *const all[] = {a, a2, b};
	RcTestWs *const with_late[] = {a, a2, b, late};

	join_presence(a, "/", "restart");
	rc_test_ws_join(a2, "/", "restart");
	rc_test_ws_join(b, "/", "restart");
	wait_who(b, "/", "restart", all, G_N_ELEMENTS(all), 2000);
	rc_test_ws_drop(a, "presence", NULL, WAIT);
	rc_test_ws_drop(a, "presence", NULL, WAIT);

	/* stopped: who is unavailable, over /ws and HTTP, and the connections stay */
	rc_test_redis_stop(own);
	wait_health(r1, 503);
	wait_health(r2, 503);
	assert_unavailable(a, r1, "restart");
	assert_unavailable(b, r2, "restart");

	/* back, empty: every node writes its members again by itself */
	rc_test_redis_start(own);
	wait_health(r1, 200);
	wait_health(r2, 200);
	wait_who(b, "/", "restart", all, G_N_ELEMENTS(all), 3000);
	wait_who(a, "/", "restart", all, G_N_ELEMENTS(all), 0);
	/* the list r1 reads after its lost subscription (a heartbeat and a second
	 * later) changes nothing now, and must not meet the flushes below */
	rc_test_sleep(TTL_S * 1000 / 3 + 1500);
	drop_expiry_pairs(a, 300);

	/* FLUSHALL, without any reconnect: within a heartbeat or so */
	g_free(rc_test_redis_command(own, "FLUSHALL", NULL));
	wait_who(b, "/", "restart", all, G_N_ELEMENTS(all), 3000);

	/* FLUSHALL and at once a join on the same node: the others there are written
	 * again all the same */
	g_free(rc_test_redis_command(own, "FLUSHALL", NULL));
	rc_test_ws_join(late, "/", "restart");
	wait_who(b, "/", "restart", with_late, G_N_ELEMENTS(with_late), 3000);
	/* and they stay */
	rc_test_sleep(TTL_S * 1000);
	wait_who(b, "/", "restart", with_late, G_N_ELEMENTS(with_late), 0);

	/* writing members again is no new join: a heard of late only, and goes on
	 * hearing */
	expect_event(a, "/", "restart", "join", late);
	rc_test_ws_close(b);
	expect_event(a, "/", "restart", "leave", b);
	expect_no_event(a, 300);
	g_assert_false(rc_test_ws_is_closed(a));
	/* a clean exit, after all this (no leak under ASan) */
	g_assert_cmpint(rc_test_node_stop(r1), ==, 0);
	g_assert_cmpint(rc_test_node_stop(r2), ==, 0);
}

/* two @event events in @room, one about @a and one about @b, in either order */
static void
expect_events_of(RcTestWs *ws, const gchar *room, const gchar *event, RcTestWs *a, RcTestWs *b)
{
	gboolean seen_a = FALSE, seen_b = FALSE;

	for (guint i = 0; i < 2; i++) {
		g_autoptr(JsonObject) p = rc_test_ws_take(ws, "presence", NULL, rc_test_timeout(3 * TTL_S * 1000));
		const gchar *client = rc_test_json_get_string(p, "client");
		g_assert_cmpstr(rc_test_json_get_string(p, "roomCode"), ==, room);
		g_assert_cmpstr(rc_test_json_get_string(p, "event"), ==, event);
		if (g_strcmp0(client, rc_test_ws_get_client_id(a)) == 0 && !seen_a)
			seen_a = TRUE;
		else if (g_strcmp0(client, rc_test_ws_get_client_id(b)) == 0 && !seen_b)
			seen_b = TRUE;
		else
			g_error("unexpected %s event about %s", event, client);
	}
}

/* A join while Redis is away is announced once Redis is back, and the members of a
 * node the others took for dead (stopped for longer than the ttl) are announced
 * again when it comes back: a watcher's list ends right both times. */
static void
test_announced_late(void)
{
	g_autoptr(RcTestRedis) own = rc_test_redis_new();
	g_autoptr(RcTestNode) r1 = start_redis_node(own, "l1", TTL_S);
	g_autoptr(RcTestNode) r2 = start_redis_node(own, "l2", TTL_S);
	g_autoptr(RcTestWs) watcher = ws_new(r2, "lw");
	g_autoptr(RcTestWs) early = ws_new(r1, "learly");
	g_autoptr(RcTestWs) late = ws_new(r1, "llate");
	RcTestWs *const all[] = {watcher, early, late};

	join_presence(watcher, "/", "late");
	rc_test_ws_join(early, "/", "late");
	expect_event(watcher, "/", "late", "join", early);

	/* joined while Redis is stopped: a plain join works, its event comes later */
	rc_test_redis_stop(own);
	wait_health(r1, 503);
	rc_test_ws_join(late, "/", "late");
	rc_test_redis_start(own);
	wait_health(r1, 200);
	wait_health(r2, 200);
	/* from its node's announcement, or else from the watcher node's own look at
	 * the list once its subscription is back: within a heartbeat and a second.
	 * A Redis back later than the ttl (a whole cluster restarting takes that
	 * long) first finds early's entry expired: early leaves and joins again,
	 * in that order, and late joins once. */
	{
		guint late_joins = 0;
		gint early_left = 0;

		while (late_joins == 0 || early_left > 0) {
			g_autoptr(JsonObject) p = rc_test_ws_take(watcher,
								  "presence",
								  NULL,
								  rc_test_timeout(4 * TTL_S * 1000));
			const gchar *event = rc_test_json_get_string(p, "event");
			const gchar *client = rc_test_json_get_string(p, "client");

			if (g_strcmp0(client, rc_test_ws_get_client_id(late)) == 0) {
				g_assert_cmpstr(event, ==, "join");
				late_joins++;
				continue;
			}
			g_assert_cmpstr(client, ==, rc_test_ws_get_client_id(early));
			if (g_strcmp0(event, "leave") == 0) {
				g_assert_cmpint(early_left, ==, 0);
				early_left++;
			} else {
				g_assert_cmpstr(event, ==, "join");
				g_assert_cmpint(early_left, ==, 1);
				early_left--;
			}
		}
		g_assert_cmpuint(late_joins, ==, 1);
	}
	wait_who(watcher, "/", "late", all, G_N_ELEMENTS(all), 3000);
	/* written again after the restart, but announced once */
	expect_no_event(watcher, 300);

	/* a node frozen past the ttl is reaped: its members leave... */
	rc_test_node_signal(r1, SIGSTOP);
	expect_events_of(watcher, "late", "leave", early, late);
	/* ...and join again when it wakes */
	rc_test_node_signal(r1, SIGCONT);
	expect_events_of(watcher, "late", "join", early, late);
	wait_who(watcher, "/", "late", all, G_N_ELEMENTS(all), 3000);
	expect_no_event(watcher, 300);
	g_assert_cmpint(rc_test_node_stop(r1), ==, 0);
	g_assert_cmpint(rc_test_node_stop(r2), ==, 0);
}

#define AWAY_TTL_S 9

/* Redis keeps its data but a node loses it for a while: who joined and left
 * meanwhile is right once it is back */
static void
test_redis_away(void)
{
	g_autoptr(RcTestRedis) own = rc_test_redis_new();
	g_autoptr(RcTestNode) r1 = start_redis_node(own, "s1", AWAY_TTL_S);
	g_autoptr(RcTestNode) r2 = start_redis_node(own, "s2", AWAY_TTL_S);
	g_autoptr(RcTestWs) a = ws_new(r1, "sa");
	g_autoptr(RcTestWs) gone = ws_new(r1, "gone");
	g_autoptr(RcTestWs) b = ws_new(r2, "sb");
	RcTestWs *const all[] = {a, gone, b};
	RcTestWs *const after[] = {a, b};

	rc_test_ws_join(a, "/", "away");
	rc_test_ws_join(gone, "/", "away");
	wait_who(b, "/", "away", all, 2, 2000);
	settle(r2);
	join_presence(b, "/", "away");
	wait_who(b, "/", "away", all, G_N_ELEMENTS(all), 2000);

	/* Redis runs no script for 3 s: a who times out (1 s) and is unavailable, the
	 * nodes reconnect, and they are back well within the ttl, so nobody takes them
	 * for dead. Their subscriptions stay (a PING is no write), so b hears what s1
	 * says afterwards. */
	g_free(rc_test_redis_command(own, "CLIENT", "PAUSE", "3000", "WRITE", NULL));
	{
		g_autoptr(JsonObject) reply = who(a, "/", "away");
		g_assert_cmpstr(rc_test_json_get_string(reply, "code"), ==, "unavailable");
	}
	/* s1 has just lost its link: Redis cannot be told */
	leave(gone, "/", "away");

	/* back with its data: the node's members are right again, without "gone" */
	wait_who(b, "/", "away", after, G_N_ELEMENTS(after), 6000);
	wait_health(r1, 200);
	wait_health(r2, 200);
	expect_event(b, "/", "away", "leave", gone);
	/* and it stays so, with no other event, past a heartbeat (ttl / 3) */
	rc_test_sleep(AWAY_TTL_S * 1000 / 3 + 500);
	wait_who(a, "/", "away", after, G_N_ELEMENTS(after), 0);
	expect_no_event(b, 0);
	g_assert_cmpint(rc_test_node_stop(r1), ==, 0);
	g_assert_cmpint(rc_test_node_stop(r2), ==, 0);
}

/* A watcher's first look at who is in the room fails: the node's command link timed
 * out while its subscription stayed. The node looks again once Redis answers, so a
 * leave it misses later, while its subscription is down, still reaches the watcher
 * when it sets its list straight. */
static void
run_first_list_lost(void)
{
	g_autoptr(RcTestRedis) own = rc_test_redis_new();
	g_autoptr(RcTestNode) r1 = start_redis_node(own, "f1", AWAY_TTL_S);
	g_autoptr(RcTestNode) r2 = start_redis_node(own, "f2", AWAY_TTL_S);
	g_autoptr(RcTestWs) watcher = ws_new(r1, "fw");
	g_autoptr(RcTestWs) other = ws_new(r2, "fo");
	RcTestWs *const both[] = {watcher, other};
	RcTestWs *const after[] = {watcher};
	g_autoptr(JsonObject) p = NULL;
	gint64 paused_us;

	rc_test_ws_join(other, "/", "first");
	wait_listed(other, "/", "first", other);
	settle(r1);

	/* no script runs for 2.5 s: the join's read of the room and its list of who
	 * is there give up after [redis] timeout (1 s); subscribing still works */
	g_free(rc_test_redis_command(own, "CLIENT", "PAUSE", "2500", "WRITE", NULL));
	paused_us = g_get_monotonic_time();
	join_presence(watcher, "/", "first");
	rc_test_sleep(MAX(0, (gint)(2800 - (g_get_monotonic_time() - paused_us) / 1000)));
	wait_health(r1, 200);
	/* a heartbeat writes the watcher's entry again if its join's was lost */
	wait_who(other, "/", "first", both, G_N_ELEMENTS(both), 6000);
	/* and a list tried again every half second has been read by now */
	rc_test_sleep(rc_test_timeout(1000));
	expect_no_event(watcher, 0);

	/* the node frozen, its subscription cut: it cannot hear this leave */
	rc_test_node_signal(r1, SIGSTOP);
	g_assert_cmpuint(rc_test_kill_pubsub_of(rc_test_redis_get_port(own),
						rc_test_node_get_pid(r1)),
			 ==,
			 1);
	leave(other, "/", "first");
	wait_who(other, "/", "first", after, G_N_ELEMENTS(after), 3000);
	rc_test_node_signal(r1, SIGCONT);
	/* it subscribes again, and a heartbeat later it compares the list with what it
	 * knew; without a first list it would have nothing to compare with */
	p = rc_test_ws_take(watcher, "presence", NULL, AWAY_TTL_S * 1000 / 3 + 3000);
	g_assert_nonnull(p);
	g_assert_cmpstr(rc_test_json_get_string(p, "event"), ==, "leave");
	g_assert_cmpstr(rc_test_json_get_string(p, "client"), ==, rc_test_ws_get_client_id(other));
	g_assert_cmpstr(rc_test_json_get_string(p, "sender"), ==, "fo");
	expect_no_event(watcher, 300);
	g_assert_cmpint(rc_test_node_stop(r1), ==, 0);
	g_assert_cmpint(rc_test_node_stop(r2), ==, 0);
}

static void
test_first_list_lost(void)
{
	if (rc_test_redis_want_cluster()) {
		g_test_skip("pauses one redis-server and cuts a node's link to it");
		return;
	}
	run_first_list_lost();
}

/* ---- ACL-limited identities --------------------------------------------------------- */

static void
test_who_forbidden(void)
{
	g_autofree gchar *plugin_dir =
	    g_build_filename(g_getenv("ROOMCAST_BUILD_ROOT"), "plugins", NULL);
	const gchar *tokens = rc_test_write_temp_file("tokens-XXXXXX",
						      "t-bob bob team-*\n"
						      "t-alice alice\n");
	g_autofree gchar *config = g_strdup_printf("[presence]\nttl=2\n"
						   "[plugins]\nenabled=auth-token\n"
						   "[plugin:auth-token]\ntokens=%s\n",
						   tokens);
	const gchar *path = rc_test_write_config(config);
	g_autoptr(RcTestNode) gate = rc_test_node_new("--port",
						      "0",
						      "--bus",
						      "none",
						      "--node-id",
						      "gate",
						      "--redis",
						      rc_test_redis_get_url(redis),
						      "--plugin-dir",
						      plugin_dir,
						      "--config",
						      path,
						      NULL);
	g_autoptr(RcTestWs) bob = NULL;
	g_autoptr(RcTestWs) alice = NULL;
	g_autoptr(RcTestWs) lobby = ws_new(nodes[0], "lobbyist");
	g_autoptr(RcTestWs) team = ws_new(nodes[2], "teamer");
	RcTestWs *const in_team[] = {team};
	RcTestWs *const in_lobby[] = {lobby};

	rc_test_node_wait_redis_connected(gate, 5000);
	bob = rc_test_ws_new(gate, "token=t-bob");
	alice = rc_test_ws_new(gate, "token=t-alice");
	rc_test_ws_join(lobby, "/", "lobby");
	rc_test_ws_join(team, "/", "team-red");

	/* bob may join team-* rooms only: so he may see who is in those only */
	{
		g_autoptr(JsonObject) reply = who(bob, "/", "lobby");
		g_assert_cmpstr(rc_test_json_get_string(reply, "type"), ==, "error");
		g_assert_cmpstr(rc_test_json_get_string(reply, "code"), ==, "forbidden");
		g_assert_cmpstr(rc_test_json_get_string(reply, "message"), !=, "");
		g_assert_false(json_object_has_member(reply, "members"));
	}
	rc_test_ws_ping(bob);
	{
		g_autoptr(JsonObject) reply = who(bob, "/other", "red-team");
		g_assert_cmpstr(rc_test_json_get_string(reply, "code"), ==, "forbidden");
	}
	rc_test_ws_ping(bob);
	wait_who(bob, "/", "team-red", in_team, 1, 2000);
	/* alice may go anywhere */
	wait_who(alice, "/", "lobby", in_lobby, 1, 2000);
	/* the gate's own node id is in the entries of its members */
	rc_test_ws_join(bob, "/", "team-red");
	{
		RcTestWs *const both[] = {team, bob};
		g_assert_cmpstr(node_id_of(bob), ==, "gate");
		wait_who(team, "/", "team-red", both, 2, 2000);
	}
	g_assert_cmpint(rc_test_node_stop(gate), ==, 0);
}

/* ---- HTTP --------------------------------------------------------------------------- */

static void
assert_http_members(RcTestNode *node, const gchar *path, RcTestWs *const *wss, guint n)
{
	g_autoptr(RcTestHttpReply) reply = rc_test_http_get(node, path);
	g_autoptr(JsonObject) body = NULL;
	g_autofree gchar *expected = expected_string(wss, n);
	g_autofree gchar *got = NULL;

	g_assert_cmpuint(reply->status, ==, 200);
	g_assert_cmpstr(reply->content_type, ==, "application/json");
	body = rc_test_http_reply_json(reply);
	g_assert_cmpuint(json_object_get_size(body), ==, 1);
	got = members_string(json_object_get_array_member(body, "members"));
	g_assert_cmpstr(got, ==, expected);
}

static void
assert_http_status(RcTestNode *node, const gchar *path, guint status)
{
	g_autoptr(RcTestHttpReply) reply = rc_test_http_get(node, path);
	g_autoptr(JsonObject) body = NULL;

	g_test_message("GET %s → %u %s", path, reply->status, reply->body);
	g_assert_cmpuint(reply->status, ==, status);
	body = rc_test_http_reply_json(reply);
	g_assert_false(json_object_get_boolean_member(body, "success"));
	g_assert_cmpstr(rc_test_json_get_string(body, "error"), !=, "");
}

static const gchar *const bad_paths[] = {
    "/presence",
    "/presence?namespace=/",
    "/presence?roomCode=",
    "/presence?roomCode=bad%20room",
    "/presence?roomCode=a/b",
    "/presence?namespace=noslash&roomCode=r",
    "/presence?namespace=/a%20b&roomCode=r",
    "/presence?namespace=&roomCode=r",
    "/presence?roomCode=%ff",
};

static void
test_http(void)
{
	g_autoptr(RcTestWs) a = ws_new(nodes[0], "ha");
	g_autoptr(RcTestWs) c = ws_new(nodes[2], "hc");
	g_autoptr(RcTestWs) n = ws_new(nodes[1], "hn");
	RcTestWs *const in_room[] = {a, c};
	RcTestWs *const in_ns[] = {n};

	rc_test_ws_join(a, "/", "http-room");
	rc_test_ws_join(c, "/", "http-room");
	rc_test_ws_join(n, "/ns.1", "http-room");
	wait_who(n, "/", "http-room", in_room, 2, 2000);
	for (guint i = 0; i < N_NODES; i++) {
		assert_http_members(nodes[i], "/presence?roomCode=http-room", in_room, 2);
		assert_http_members(
		    nodes[i], "/presence?namespace=/&roomCode=http-room", in_room, 2);
		assert_http_members(
		    nodes[i], "/presence?namespace=%2F&roomCode=http-room", in_room, 2);
		assert_http_members(
		    nodes[i], "/presence?namespace=/ns.1&roomCode=http-room", in_ns, 1);
		assert_http_members(nodes[i], "/presence?roomCode=empty-room", NULL, 0);
	}
	for (guint i = 0; i < G_N_ELEMENTS(bad_paths); i++)
		assert_http_status(nodes[1], bad_paths[i], 400);
	/* no api_token set: no Authorization needed, and a POST is not a way in */
	{
		g_autoptr(RcTestHttpReply) post = rc_test_http_post(
		    nodes[0], "/presence?roomCode=http-room", NULL, "{}", 2, NULL);
		g_assert_cmpuint(post->status, >=, 400);
		g_assert_cmpuint(post->status, <, 500);
	}
}

/* GET with an Authorization header */
typedef struct {
	gboolean done;
	guint status;
	gchar *body;
} BearerGet;

static void
bearer_get_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	BearerGet *get = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes =
	    soup_session_send_and_read_finish(SOUP_SESSION(source), res, &error);
	SoupMessage *msg = soup_session_get_async_result_message(SOUP_SESSION(source), res);

	g_assert_no_error(error);
	get->status = soup_message_get_status(msg);
	get->body = g_strndup(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
	get->done = TRUE;
}

static gboolean
bearer_get_done(gpointer user_data)
{
	return ((BearerGet *)user_data)->done;
}

static guint
get_with_bearer(RcTestNode *node, const gchar *path, const gchar *token, gchar **body)
{
	g_autoptr(SoupSession) session = soup_session_new();
	g_autofree gchar *url = g_strconcat(rc_test_node_get_base_url(node), path, NULL);
	g_autoptr(SoupMessage) msg = soup_message_new("GET", url);
	g_autofree gchar *value = g_strdup_printf("Bearer %s", token);
	BearerGet get = {0};

	soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization", value);
	soup_session_send_and_read_async(
	    session, msg, G_PRIORITY_DEFAULT, NULL, bearer_get_cb, &get);
	g_assert_true(rc_test_wait_until(bearer_get_done, &get, 5000));
	*body = get.body;
	return get.status;
}

/* fanout = per-room: the events go on the room's own channel */
static void
test_per_room(void)
{
	const gchar *config = rc_test_write_config("[presence]\nttl=2\n[redis]\nfanout=per-room\n");
	g_autoptr(RcTestRedis) own = rc_test_redis_new();
	g_autoptr(RcTestNode) q1 = start_node(own, "q1", config, 0);
	g_autoptr(RcTestNode) q2 = start_node(own, "q2", config, 0);
	g_autoptr(RcTestWs) watcher = ws_new(q1, "qw");
	g_autoptr(RcTestWs) other = ws_new(q2, "qo");
	g_autoptr(RcTestWs) outsider = ws_new(q2, "qx");
	RcTestWs *const both[] = {watcher, other};

	join_presence(watcher, "/", "per-room");
	rc_test_ws_join(other, "/", "per-room");
	expect_event(watcher, "/", "per-room", "join", other);
	wait_who(outsider, "/", "per-room", both, G_N_ELEMENTS(both), 2000);
	assert_http_members(q1, "/presence?roomCode=per-room", both, G_N_ELEMENTS(both));
	/* presence events are room events: they go on the room's channel */
	{
		g_autofree gchar *n =
		    rc_test_redis_command(own, "PUBSUB", "NUMSUB", "livechat:{/:per-room}", NULL);
		g_assert_cmpstr(n, ==, "livechat:{/:per-room}\n2");
	}
	rc_test_ws_close(other);
	expect_event(watcher, "/", "per-room", "leave", other);
	wait_who(outsider, "/", "per-room", both, 1, 2000);
	expect_no_event(watcher, 200);
	g_assert_cmpint(rc_test_node_stop(q1), ==, 0);
	g_assert_cmpint(rc_test_node_stop(q2), ==, 0);
}

/* ---- embedded ----------------------------------------------------------------------- */

static void
test_embedded(void)
{
	const gchar *config = rc_test_write_config("[http]\napi_token=s3cret\n");
	g_autoptr(RcTestNode) node = start_node(NULL, "solo", config, 0);
	g_autoptr(RcTestWs) a = ws_new(node, "ea");
	g_autoptr(RcTestWs) b = ws_new(node, "eb");
	g_autoptr(RcTestWs) c = ws_new(node, "ec");
	g_autoptr(RcTestWs) plain = ws_new(node, "eplain");
	g_autoptr(RcTestWs) asker = ws_new(node, "easker");

	{
		g_autoptr(RcTestHttpReply) health = rc_test_http_get(node, "/healthz");
		g_autoptr(JsonObject) body = rc_test_http_reply_json(health);
		g_assert_cmpstr(rc_test_json_get_string(body, "redis"), ==, "embedded");
	}
	join_presence(a, "/", "solo-room");
	rc_test_ws_join(plain, "/", "solo-room");
	expect_event(a, "/", "solo-room", "join", plain);
	join_presence(b, "/", "solo-room");
	expect_event(a, "/", "solo-room", "join", b);
	/* joining again is no new join */
	join_presence(b, "/", "solo-room");
	rc_test_ws_join(c, "/", "solo-room");
	expect_event(a, "/", "solo-room", "join", c);
	expect_event(b, "/", "solo-room", "join", c);
	{
		RcTestWs *const all[] = {a, b, c, plain};
		g_autofree gchar *list = who_string(asker, "/", "solo-room");
		g_autofree gchar *expected = expected_string(all, G_N_ELEMENTS(all));
		g_autofree gchar *body = NULL;
		g_autoptr(JsonObject) parsed = NULL;
		g_autofree gchar *http_list = NULL;

		g_assert_cmpstr(list, ==, expected);
		g_assert_cmpstr(node_id_of(a), ==, "solo");
		/* GET /presence wants the token here */
		g_assert_cmpuint(
		    get_with_bearer(node, "/presence?roomCode=solo-room", "s3cret", &body),
		    ==,
		    200);
		parsed = rc_test_json_parse_object(body);
		g_assert_nonnull(parsed);
		http_list = members_string(json_object_get_array_member(parsed, "members"));
		g_assert_cmpstr(http_list, ==, expected);
	}
	assert_http_status(node, "/presence?roomCode=solo-room", 401);
	{
		g_autofree gchar *body = NULL;
		g_assert_cmpuint(
		    get_with_bearer(node, "/presence?roomCode=solo-room", "wrong", &body), ==, 401);
		g_free(g_steal_pointer(&body));
		/* bad input, with the token, is still bad input */
		g_assert_cmpuint(get_with_bearer(node, "/presence", "s3cret", &body), ==, 400);
		g_free(g_steal_pointer(&body));
		g_assert_cmpuint(
		    get_with_bearer(node, "/presence?roomCode=bad%20room", "s3cret", &body),
		    ==,
		    400);
	}

	/* leave and disconnect */
	leave(c, "/", "solo-room");
	expect_event(a, "/", "solo-room", "leave", c);
	expect_event(b, "/", "solo-room", "leave", c);
	rc_test_ws_close(b);
	expect_event(a, "/", "solo-room", "leave", b);
	{
		RcTestWs *const left[] = {a, plain};
		g_autofree gchar *list = who_string(c, "/", "solo-room");
		g_autofree gchar *expected = expected_string(left, G_N_ELEMENTS(left));
		g_assert_cmpstr(list, ==, expected);
	}
	/* a room that emptied is an empty list */
	leave(plain, "/", "solo-room");
	expect_event(a, "/", "solo-room", "leave", plain);
	leave(a, "/", "solo-room");
	{
		g_autofree gchar *list = who_string(c, "/", "solo-room");
		g_assert_cmpstr(list, ==, "");
	}
	expect_no_event(a, 200);
	expect_no_event(c, 0);
	expect_no_event(plain, 0);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

int
main(int argc, char **argv)
{
	g_autoptr(GTestDBus) bus = NULL;
	g_autoptr(GError) error = NULL;
	gint fd;
	int ret;

	rc_test_init(&argc, &argv);
	/* a private session bus for the admin calls; every node inherits it */
	bus = g_test_dbus_new(G_TEST_DBUS_NONE);
	g_test_dbus_up(bus);

	fd = g_file_open_tmp("roomcast-presence-XXXXXX.conf", &cluster_config, &error);
	g_assert_no_error(error);
	close(fd);
	g_file_set_contents(cluster_config, "[presence]\nttl=2\n", -1, &error);
	g_assert_no_error(error);

	redis = rc_test_redis_new();
	for (guint i = 0; i < N_NODES; i++) {
		g_autofree gchar *id = g_strdup_printf("p%u", i + 1);
		nodes[i] = start_node(redis, id, cluster_config, i + 1);
	}

	g_test_add_func("/presence/who/across-nodes", test_who_across_nodes);
	g_test_add_func("/presence/who/bad-request", test_who_bad_request);
	g_test_add_func("/presence/who/forbidden", test_who_forbidden);
	g_test_add_func("/presence/events", test_events);
	g_test_add_func("/presence/events/order", test_event_order);
	g_test_add_func("/presence/node-killed", test_node_killed);
	g_test_add_func("/presence/node-stopped", test_node_stopped);
	g_test_add_func("/presence/node-restarted", test_node_restarted);
	g_test_add_func("/presence/per-room", test_per_room);
	g_test_add_func("/presence/http", test_http);
	g_test_add_func("/presence/redis/restart-and-flush", test_redis_restart);
	g_test_add_func("/presence/redis/away", test_redis_away);
	g_test_add_func("/presence/redis/announced-late", test_announced_late);
	g_test_add_func("/presence/redis/first-list-lost", test_first_list_lost);
	g_test_add_func("/presence/embedded", test_embedded);
	ret = g_test_run();

	for (guint i = 0; i < N_NODES; i++) {
		g_assert_cmpint(rc_test_node_stop(nodes[i]), ==, 0);
		rc_test_node_free(nodes[i]);
	}
	rc_test_redis_free(redis);
	g_unlink(cluster_config);
	g_free(cluster_config);
	g_test_dbus_down(bus);
	return ret;
}
