/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The shipped plugins inside a real roomcastd, seen from real clients: HTTP 401/403
 * at the upgrade, "forbidden" outside the allowed rooms, "rejected", masking,
 * "rate_limited", the /publish and D-Bus paths, filters running once across nodes (and
 * never on what outside programs PUBLISH), and exit code 1 for plugins that cannot start.
 */
#define G_LOG_DOMAIN "RcTestPluginsE2e"

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "rc-plugin-test-util.h"
#include "rc-test-harness.h"

#define JWT_SECRET "e2e secret that is long enough!!"
#define WAIT 5000

static const gchar *
shipped_plugin_dir(void)
{
	return rc_ptest_plugin_dir();
}

/* a node with @config, no Redis, no D-Bus */
static RcTestNode *
node_new(const gchar *plugin_dir, const gchar *config)
{
	const gchar *path = rc_test_write_config(config);

	return rc_test_node_new(
	    "--port", "0", "--bus", "none", "--plugin-dir", plugin_dir, "--config", path, NULL);
}

/* the upgrade must be refused with @status and no WebSocket */
static void
assert_upgrade_refused(RcTestNode *node,
		       const gchar *query,
		       const gchar *const *headers,
		       guint status)
{
	g_autofree gchar *url = rc_test_node_get_ws_url(node, query);
	g_autoptr(GError) error = NULL;
	guint got = 0;
	RcTestWs *ws = rc_test_ws_try_connect(url, NULL, headers, &got, &error);

	if (ws != NULL) {
		rc_test_ws_free(ws);
		g_error("upgrade with “%s” was accepted; expected HTTP %u", query, status);
	}
	g_assert_nonnull(error);
	g_assert_cmpuint(got, ==, status);
}

static void
assert_joined_or_forbidden(RcTestWs *ws, const gchar *room, gboolean allowed)
{
	g_autoptr(JsonObject) reply = NULL;

	rc_test_ws_send_printf(
	    ws, "{\"type\":\"join\",\"namespace\":\"/\",\"roomCode\":\"%s\",\"ref\":\"j\"}", room);
	if (allowed) {
		reply = rc_test_ws_expect(ws, "joined", WAIT);
		g_assert_cmpstr(rc_test_json_get_string(reply, "roomCode"), ==, room);
	} else {
		reply = rc_test_ws_expect_error(ws, "forbidden", "j", WAIT);
	}
}

static void
test_auth_token(void)
{
	const gchar *tokens = rc_test_write_temp_file("tokens-XXXXXX",
						      "# e2e\n"
						      "t-alice alice\n"
						      "t-bob bob team-*\n"
						      "broken-line\n"
						      "t-carol carol # a comment\n");
	g_autofree gchar *config = g_strdup_printf("[plugins]\nenabled=auth-token\n"
						   "[plugin:auth-token]\ntokens=%s\n",
						   tokens);
	g_autoptr(RcTestNode) node = node_new(shipped_plugin_dir(), config);
	g_autoptr(RcTestWs) alice = NULL;
	g_autoptr(RcTestWs) bob = NULL;
	g_autoptr(RcTestWs) bearer = NULL;
	g_autoptr(RcTestWs) carol = NULL;
	g_autofree gchar *url = rc_test_node_get_ws_url(node, NULL);
	const gchar *headers[] = {"Authorization", "Bearer t-alice", NULL};
	const gchar *bad_headers[] = {"Authorization", "Bearer t-nobody", NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) hello = NULL;
	g_autoptr(JsonObject) err = NULL;
	g_autoptr(JsonObject) echo = NULL;

	/* the malformed line was reported at start, naming file and line */
	g_assert_nonnull(rc_test_node_wait_stderr(node, ":4: expected", WAIT));

	assert_upgrade_refused(node, NULL, NULL, 401);
	assert_upgrade_refused(node, "token=t-nobody", NULL, 401);
	assert_upgrade_refused(node, "token=broken-line", NULL, 401);
	assert_upgrade_refused(node, NULL, bad_headers, 401);
	/* the sender query is ignored when an auth plugin decides */
	assert_upgrade_refused(node, "sender=alice", NULL, 401);

	alice = rc_test_ws_new(node, "token=t-alice&sender=mallory");
	g_assert_cmpstr(rc_test_ws_get_sender(alice), ==, "alice");
	assert_joined_or_forbidden(alice, "lobby", TRUE);

	bearer = rc_test_ws_try_connect(url, NULL, headers, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(bearer);
	hello = rc_test_ws_expect(bearer, "hello", WAIT);
	g_assert_cmpstr(rc_test_json_get_string(hello, "sender"), ==, "alice");

	/* a comment after the sender is no room glob */
	carol = rc_test_ws_new(node, "token=t-carol");
	g_assert_cmpstr(rc_test_ws_get_sender(carol), ==, "carol");
	assert_joined_or_forbidden(carol, "lobby", TRUE);

	/* bob may only use team-* rooms */
	bob = rc_test_ws_new(node, "token=t-bob");
	g_assert_cmpstr(rc_test_ws_get_sender(bob), ==, "bob");
	assert_joined_or_forbidden(bob, "lobby", FALSE);
	assert_joined_or_forbidden(bob, "red-team", FALSE);
	rc_test_ws_ping(bob);
	assert_joined_or_forbidden(bob, "team-red", TRUE);
	g_free(rc_test_ws_send_message(bob, "/", "team-red", "hello team"));
	echo = rc_test_ws_take(bob, "MSG_TO_CLIENTS", NULL, WAIT);
	g_assert_cmpstr(rc_test_json_get_string(echo, "roomCode"), ==, "team-red");
	rc_test_ws_send_text(bob,
			     "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"lobby\","
			     "\"text\":\"sneaky\",\"ref\":\"s1\"}");
	err = rc_test_ws_take(bob, "error", "s1", WAIT);
	/* bob cannot be in lobby, so the core may answer either; what counts is that
	 * alice, who is in lobby, never sees the message */
	g_assert_true(g_strv_contains((const gchar *[]){"forbidden", "not_joined", NULL},
				      rc_test_json_get_string(err, "code")));
	rc_test_ws_expect_silence(alice, 300);
	rc_test_ws_ping(bob);
}

static gchar *
jwt_for(const gchar *header, const gchar *sub, gint64 exp_in, const gchar *extra)
{
	g_autofree gchar *payload =
	    g_strdup_printf("{\"sub\":\"%s\",\"exp\":%" G_GINT64_FORMAT "%s}",
			    sub,
			    g_get_real_time() / G_USEC_PER_SEC + exp_in,
			    extra);

	return rc_ptest_make_jwt(header, payload, JWT_SECRET);
}

static void
test_auth_jwt(void)
{
	g_autoptr(RcTestNode) node = node_new(shipped_plugin_dir(),
					      "[plugins]\nenabled=auth-jwt\n"
					      "[plugin:auth-jwt]\nsecret=" JWT_SECRET "\n"
					      "audience=roomcast\n");
	const gchar *hs256 = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	g_autofree gchar *good = jwt_for(hs256, "carol", 300, ",\"aud\":\"roomcast\"");
	g_autofree gchar *rooms =
	    jwt_for(hs256, "dave", 300, ",\"aud\":[\"x\",\"roomcast\"],\"rooms\":[\"vip-*\"]");
	g_autofree gchar *expired = jwt_for(hs256, "carol", -120, ",\"aud\":\"roomcast\"");
	g_autofree gchar *wrong_aud = jwt_for(hs256, "carol", 300, ",\"aud\":\"other\"");
	g_autofree gchar *none =
	    jwt_for("{\"alg\":\"none\"}", "carol", 300, ",\"aud\":\"roomcast\"");
	g_autofree gchar *forged = g_strdup(good);
	g_autofree gchar *q_good = g_strdup_printf("token=%s", good);
	g_autofree gchar *q_rooms = g_strdup_printf("token=%s", rooms);
	g_autofree gchar *q_expired = g_strdup_printf("token=%s", expired);
	g_autofree gchar *q_wrong_aud = g_strdup_printf("token=%s", wrong_aud);
	g_autofree gchar *q_none = g_strdup_printf("token=%s", none);
	g_autofree gchar *q_forged = NULL;
	g_autoptr(RcTestWs) carol = NULL;
	g_autoptr(RcTestWs) dave = NULL;

	/* flip a signature character to another that still decodes */
	forged[strlen(forged) - 2] = forged[strlen(forged) - 2] == 'A' ? 'B' : 'A';
	q_forged = g_strdup_printf("token=%s", forged);

	assert_upgrade_refused(node, NULL, NULL, 401);
	assert_upgrade_refused(node, q_expired, NULL, 401);
	assert_upgrade_refused(node, q_wrong_aud, NULL, 401);
	assert_upgrade_refused(node, q_none, NULL, 401);
	assert_upgrade_refused(node, q_forged, NULL, 401);
	assert_upgrade_refused(node, "token=not.a.jwt", NULL, 401);

	carol = rc_test_ws_new(node, q_good);
	g_assert_cmpstr(rc_test_ws_get_sender(carol), ==, "carol");
	assert_joined_or_forbidden(carol, "lobby", TRUE);

	dave = rc_test_ws_new(node, q_rooms);
	g_assert_cmpstr(rc_test_ws_get_sender(dave), ==, "dave");
	assert_joined_or_forbidden(dave, "lobby", FALSE);
	assert_joined_or_forbidden(dave, "vip-lounge", TRUE);
	rc_test_ws_ping(dave);
}

/* 403 at the upgrade, from the test-only gate plugin */
static void
test_auth_forbidden(void)
{
	g_autoptr(RcTestNode) node =
	    node_new(rc_ptest_extra_plugin_dir(), "[plugins]\nenabled=test-gate\n");
	g_autoptr(RcTestWs) ws = NULL;

	assert_upgrade_refused(node, "token=forbid", NULL, 403);
	assert_upgrade_refused(node, "token=nope", NULL, 401);
	ws = rc_test_ws_new(node, "token=ok-erin");
	g_assert_cmpstr(rc_test_ws_get_sender(ws), ==, "erin");
}

static void
test_profanity_reject(void)
{
	const gchar *words = rc_test_write_temp_file("words-XXXXXX", "darn\nмат\n");
	g_autofree gchar *config = g_strdup_printf("[plugins]\nenabled=filter-profanity\n"
						   "[plugin:filter-profanity]\nwords=%s\n"
						   "action=reject\n",
						   words);
	g_autoptr(RcTestNode) node = node_new(shipped_plugin_dir(), config);
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, "sender=alice");
	g_autoptr(RcTestHttpReply) rejected = NULL;
	g_autoptr(RcTestHttpReply) clean = NULL;
	g_autoptr(JsonObject) body = NULL;
	g_autoptr(JsonObject) frame = NULL;
	g_autoptr(JsonObject) err = NULL;
	g_autofree gchar *id = NULL;
	const gchar *bad_body = "{\"namespace\":\"/\",\"roomCode\":\"room_1\","
				"\"msg\":{\"sender\":\"bot\",\"text\":\"well DARN\"}}";
	const gchar *good_body = "{\"namespace\":\"/\",\"roomCode\":\"room_1\","
				 "\"msg\":{\"sender\":\"bot\",\"text\":\"darned fine\"}}";

	rc_test_ws_join(ws, "/", "room_1");
	rc_test_ws_send_text(ws,
			     "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"room_1\","
			     "\"text\":\"oh мат\",\"ref\":\"r1\"}");
	err = rc_test_ws_expect_error(ws, "rejected", "r1", WAIT);
	/* nothing was published, and the connection still works */
	rc_test_ws_ping(ws);

	rejected = rc_test_http_post(node, "/publish", NULL, bad_body, strlen(bad_body), NULL);
	g_assert_cmpuint(rejected->status, ==, 422);
	body = rc_test_http_reply_json(rejected);
	g_assert_false(json_object_get_boolean_member(body, "success"));
	g_assert_nonnull(rc_test_json_get_string(body, "error"));
	rc_test_ws_expect_silence(ws, 300);

	clean = rc_test_http_post(node, "/publish", NULL, good_body, strlen(good_body), NULL);
	g_assert_cmpuint(clean->status, ==, 200);
	frame = rc_test_ws_expect(ws, "MSG_TO_CLIENTS", WAIT);
	g_assert_cmpstr(
	    json_object_get_string_member(json_object_get_object_member(frame, "msg"), "text"),
	    ==,
	    "darned fine");
	id = rc_test_ws_send_message(ws, "/", "room_1", "clean words");
	g_assert_nonnull(id);
}

static const gchar *
msg_text(JsonObject *frame)
{
	return json_object_get_string_member(json_object_get_object_member(frame, "msg"), "text");
}

static void
test_profanity_mask(void)
{
	const gchar *words = rc_test_write_temp_file("words-XXXXXX", "darn\nмат\n");
	g_autofree gchar *config = g_strdup_printf("[plugins]\nenabled=filter-profanity\n"
						   "[plugin:filter-profanity]\nwords=%s\n",
						   words);
	g_autoptr(RcTestNode) node = node_new(shipped_plugin_dir(), config);
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, "sender=alice");
	g_autoptr(RcTestHttpReply) reply = NULL;
	g_autoptr(JsonObject) from_http = NULL;
	g_autoptr(JsonObject) from_ws = NULL;
	g_autofree gchar *id = NULL;
	const gchar *body = "{\"namespace\":\"/\",\"roomCode\":\"room_1\","
			    "\"msg\":{\"sender\":\"bot\",\"text\":\"oh Darn, мат!\"}}";

	rc_test_ws_join(ws, "/", "room_1");
	reply = rc_test_http_post(node, "/publish", NULL, body, strlen(body), NULL);
	g_assert_cmpuint(reply->status, ==, 200);
	from_http = rc_test_ws_expect(ws, "MSG_TO_CLIENTS", WAIT);
	g_assert_cmpstr(msg_text(from_http), ==, "oh ****, ***!");

	id = rc_test_ws_send_message(ws, "/", "room_1", "darn darned");
	from_ws = rc_test_ws_take(ws, "MSG_TO_CLIENTS", NULL, WAIT);
	g_assert_cmpstr(msg_text(from_ws), ==, "**** darned");
}

static void
test_ratelimit(void)
{
	g_autoptr(RcTestNode) node = node_new(shipped_plugin_dir(),
					      "[plugins]\nenabled=filter-ratelimit\n"
					      "[plugin:filter-ratelimit]\nrate=0.2\nburst=3\n");
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, "sender=alice");
	g_autoptr(RcTestWs) other = rc_test_ws_new(node, "sender=bob");
	const gchar *body = "{\"namespace\":\"/\",\"roomCode\":\"room_1\","
			    "\"msg\":{\"sender\":\"bot\",\"text\":\"hi\"}}";
	g_autoptr(JsonObject) err = NULL;

	rc_test_ws_join(ws, "/", "room_1");
	rc_test_ws_join(other, "/", "room_1");
	for (guint i = 0; i < 3; i++)
		g_free(rc_test_ws_send_message(ws, "/", "room_1", "burst"));
	rc_test_ws_send_text(ws,
			     "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"room_1\","
			     "\"text\":\"one too many\",\"ref\":\"over\"}");
	err = rc_test_ws_take(ws, "error", "over", WAIT);
	g_assert_cmpstr(rc_test_json_get_string(err, "code"), ==, "rate_limited");
	/* the three that got through, and nothing else */
	for (guint i = 0; i < 3; i++) {
		g_autoptr(JsonObject) frame = rc_test_ws_take(ws, "MSG_TO_CLIENTS", NULL, WAIT);
		g_assert_cmpstr(msg_text(frame), ==, "burst");
	}
	rc_test_ws_ping(ws);

	/* another connection has its own bucket */
	g_free(rc_test_ws_send_message(other, "/", "room_1", "mine"));

	/* /publish is not limited by it */
	for (guint i = 0; i < 10; i++) {
		g_autoptr(RcTestHttpReply) reply =
		    rc_test_http_post(node, "/publish", NULL, body, strlen(body), NULL);
		g_assert_cmpuint(reply->status, ==, 200);
	}
}

typedef struct {
	GDBusConnection *conn;
	const gchar *name;
} NameCheck;

static gboolean
name_has_owner(gpointer user_data)
{
	NameCheck *check = user_data;
	g_autoptr(GVariant) reply = NULL;
	gboolean owned = FALSE;

	reply = g_dbus_connection_call_sync(check->conn,
					    "org.freedesktop.DBus",
					    "/org/freedesktop/DBus",
					    "org.freedesktop.DBus",
					    "NameHasOwner",
					    g_variant_new("(s)", check->name),
					    G_VARIANT_TYPE("(b)"),
					    G_DBUS_CALL_FLAGS_NONE,
					    -1,
					    NULL,
					    NULL);
	if (reply != NULL)
		g_variant_get(reply, "(b)", &owned);
	return owned;
}

static GVariant *
call(GDBusConnection *conn,
     const gchar *name,
     const gchar *method,
     GVariant *parameters,
     GError **error)
{
	return g_dbus_connection_call_sync(conn,
					   name,
					   "/org/roomcast",
					   "org.roomcast.Daemon",
					   method,
					   parameters,
					   NULL,
					   G_DBUS_CALL_FLAGS_NONE,
					   (gint)rc_test_timeout(5000),
					   NULL,
					   error);
}

static GVariant *
publish(GDBusConnection *conn, const gchar *name, const gchar *text, GError **error)
{
	return call(
	    conn, name, "Publish", g_variant_new("(ssss)", "/", "gate-1", "ops", text), error);
}

/* D-Bus Publish goes through the filters like every other way in, and ReloadConfig
 * restarts the plugins with their new settings, all or none */
static void
test_dbus_publish(void)
{
	const gchar *words = rc_test_write_temp_file("words-XXXXXX", "darn\n");
	g_autofree gchar *config = g_strdup_printf("[plugins]\nenabled=filter-profanity;test-gate\n"
						   "[plugin:filter-profanity]\nwords=%s\n"
						   "[plugin:test-gate]\ntag=(checked)\n",
						   words);
	g_autoptr(GTestDBus) bus = g_test_dbus_new(G_TEST_DBUS_NONE);
	g_autoptr(RcTestNode) node = NULL;
	g_autoptr(RcTestWs) ws = NULL;
	g_autoptr(GDBusConnection) conn = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(JsonObject) frame = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = NULL;
	const gchar *name = "org.roomcast.TestPluginsE2e";
	const gchar *config_path = rc_test_write_config(config);
	g_autofree gchar *config_v2 = NULL;
	g_autofree gchar *config_bad = NULL;
	NameCheck check = {NULL, NULL};

	/* the gate plugin lives apart from the shipped ones: one folder with both */
	g_test_dbus_up(bus);
	path = g_build_filename(g_get_tmp_dir(), "roomcast-e2e-plugins-XXXXXX", NULL);
	g_assert_nonnull(g_mkdtemp(path));
	{
		g_autofree gchar *a = g_build_filename(
		    shipped_plugin_dir(), "filter-profanity", "filter-profanity.so", NULL);
		g_autofree gchar *b =
		    g_build_filename(rc_ptest_extra_plugin_dir(), "test-gate.so", NULL);
		g_autofree gchar *la = g_build_filename(path, "filter-profanity.so", NULL);
		g_autofree gchar *lb = g_build_filename(path, "test-gate.so", NULL);

		g_assert_cmpint(symlink(a, la), ==, 0);
		g_assert_cmpint(symlink(b, lb), ==, 0);
	}
	node = rc_test_node_new("--port",
				"0",
				"--bus",
				"session",
				"--dbus-name",
				name,
				"--plugin-dir",
				path,
				"--config",
				config_path,
				NULL);
	ws = rc_test_ws_new(node, "token=ok-alice");
	rc_test_ws_join(ws, "/", "gate-1");
	conn = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &error);
	g_assert_no_error(error);
	/* the name is owned asynchronously, after the listening line */
	check.conn = conn;
	check.name = name;
	g_assert_true(rc_test_wait_until(name_has_owner, &check, rc_test_timeout(5000)));

	/* masked by the first filter, tagged by the second: both ran, in order */
	reply = publish(conn, name, "darn it", &error);
	g_assert_no_error(error);
	frame = rc_test_ws_expect(ws, "MSG_TO_CLIENTS", WAIT);
	g_assert_cmpstr(msg_text(frame), ==, "**** it (checked)");
	g_clear_pointer(&reply, g_variant_unref);
	g_clear_pointer(&frame, json_object_unref);

	/* refused by a filter: a D-Bus error with its reason, nothing delivered */
	reply = publish(conn, name, "reject", &error);
	g_assert_null(reply);
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, "gate rejects"));
	g_clear_error(&error);
	rc_test_ws_expect_silence(ws, 300);

	/* ReloadConfig hands the plugins their new settings... */
	config_v2 = g_strdup_printf("[plugins]\nenabled=filter-profanity;test-gate\n"
				    "[plugin:filter-profanity]\nwords=%s\naction=reject\n"
				    "[plugin:test-gate]\ntag=(v2)\n",
				    words);
	g_file_set_contents(config_path, config_v2, -1, &error);
	g_assert_no_error(error);
	reply = call(conn, name, "ReloadConfig", NULL, &error);
	g_assert_no_error(error);
	g_clear_pointer(&reply, g_variant_unref);
	reply = publish(conn, name, "darn it", &error);
	g_assert_null(reply);
	g_assert_nonnull(strstr(error->message, "not allowed"));
	g_clear_error(&error);
	reply = publish(conn, name, "fine", &error);
	g_assert_no_error(error);
	g_clear_pointer(&reply, g_variant_unref);
	frame = rc_test_ws_expect(ws, "MSG_TO_CLIENTS", WAIT);
	g_assert_cmpstr(msg_text(frame), ==, "fine (v2)");
	g_clear_pointer(&frame, json_object_unref);

	/* ...and when one cannot start with them, all keep their old ones */
	config_bad = g_strdup_printf("[plugins]\nenabled=filter-profanity;test-gate\n"
				     "[plugin:filter-profanity]\nwords=%s\n"
				     "[plugin:test-gate]\ntag=(v3)\nfail=true\n",
				     words);
	g_file_set_contents(config_path, config_bad, -1, &error);
	g_assert_no_error(error);
	reply = call(conn, name, "ReloadConfig", NULL, &error);
	g_assert_null(reply);
	g_assert_nonnull(strstr(error->message, "plugin test-gate: cannot start: told to fail"));
	g_clear_error(&error);
	reply = publish(conn, name, "darn", &error);
	g_assert_null(reply);
	g_clear_error(&error);
	reply = publish(conn, name, "still", &error);
	g_assert_no_error(error);
	frame = rc_test_ws_expect(ws, "MSG_TO_CLIENTS", WAIT);
	g_assert_cmpstr(msg_text(frame), ==, "still (v2)");

	g_clear_object(&conn);
	rc_test_node_stop(node);
	g_clear_pointer(&node, rc_test_node_free);
	g_test_dbus_down(bus);
	{
		g_autofree gchar *la = g_build_filename(path, "filter-profanity.so", NULL);
		g_autofree gchar *lb = g_build_filename(path, "test-gate.so", NULL);

		g_unlink(la);
		g_unlink(lb);
		g_rmdir(path);
	}
}

/* Filters run once, on the node that accepts a message: not again on the nodes that
 * receive it from Redis, and not on what outside programs PUBLISH into Redis. */
static void
test_filtered_once_across_nodes(void)
{
	g_autoptr(RcTestRedis) redis = rc_test_redis_new();
	const gchar *config = rc_test_write_config("[plugins]\nenabled=test-gate\n"
						   "[plugin:test-gate]\ntag=+gate\n");
	g_autoptr(RcTestNode) a = NULL;
	g_autoptr(RcTestNode) b = NULL;
	g_autoptr(RcTestWs) on_a = NULL;
	g_autoptr(RcTestWs) on_b = NULL;
	g_autoptr(JsonObject) seen_a = NULL;
	g_autoptr(JsonObject) seen_b = NULL;
	g_autoptr(JsonObject) outside_a = NULL;
	g_autoptr(JsonObject) outside_b = NULL;
	g_autofree gchar *id = NULL;

	a = rc_test_node_new("--port",
			     "0",
			     "--bus",
			     "none",
			     "--redis",
			     rc_test_redis_get_url(redis),
			     "--node-id",
			     "node-a",
			     "--plugin-dir",
			     rc_ptest_extra_plugin_dir(),
			     "--config",
			     config,
			     NULL);
	b = rc_test_node_new("--port",
			     "0",
			     "--bus",
			     "none",
			     "--redis",
			     rc_test_redis_get_url(redis),
			     "--node-id",
			     "node-b",
			     "--plugin-dir",
			     rc_ptest_extra_plugin_dir(),
			     "--config",
			     config,
			     NULL);
	on_a = rc_test_ws_new(a, "token=ok-alice");
	on_b = rc_test_ws_new(b, "token=ok-bob");
	rc_test_ws_join(on_a, "/", "gate-1");
	rc_test_ws_join(on_b, "/", "gate-1");

	id = rc_test_ws_send_message(on_a, "/", "gate-1", "hi");
	seen_a = rc_test_ws_take(on_a, "MSG_TO_CLIENTS", NULL, WAIT);
	seen_b = rc_test_ws_take(on_b, "MSG_TO_CLIENTS", NULL, WAIT);
	g_assert_cmpstr(msg_text(seen_a), ==, "hi +gate");
	g_assert_cmpstr(msg_text(seen_b), ==, "hi +gate");
	g_assert_cmpstr(rc_test_json_get_string(seen_b, "id"), ==, id);

	rc_test_redis_cli_publish(redis,
				  "livechat",
				  "{\"namespace\":\"/\",\"roomCode\":\"gate-1\","
				  "\"msg\":{\"sender\":\"ops\",\"text\":\"reject\"}}");
	outside_a = rc_test_ws_take(on_a, "MSG_TO_CLIENTS", NULL, WAIT);
	outside_b = rc_test_ws_take(on_b, "MSG_TO_CLIENTS", NULL, WAIT);
	g_assert_cmpstr(msg_text(outside_a), ==, "reject");
	g_assert_cmpstr(msg_text(outside_b), ==, "reject");
}

/* the daemon must refuse to start, exit 1, and say why on one stderr line */
static void
assert_start_fails(const gchar *plugin_dir, const gchar *config, const gchar *reason)
{
	const gchar *path = rc_test_write_config(config);
	const gchar *args[] = {
	    "--port", "0", "--bus", "none", "--plugin-dir", plugin_dir, "--config", path, NULL};
	g_autoptr(RcTestNode) node = rc_test_node_spawn(args);
	GPtrArray *lines;
	guint n_reason = 0;

	g_assert_cmpint(rc_test_node_wait_exit(node, rc_test_timeout(10000)), ==, 1);
	lines = rc_test_node_get_stderr_lines(node);
	for (guint i = 0; i < lines->len; i++) {
		const gchar *line = g_ptr_array_index(lines, i);

		if (strstr(line, reason) != NULL) {
			g_assert_true(g_str_has_prefix(line, "roomcastd: "));
			n_reason++;
		}
	}
	if (n_reason != 1) {
		for (guint i = 0; i < lines->len; i++)
			g_test_message("stderr: %s", (const gchar *)g_ptr_array_index(lines, i));
		g_error("expected one stderr line with “%s”", reason);
	}
	g_assert_cmpuint(rc_test_node_get_stdout_lines(node)->len, ==, 0);
}

static void
test_start_failures(void)
{
	assert_start_fails(shipped_plugin_dir(),
			   "[plugins]\nenabled=auth-nope\n",
			   "plugin auth-nope: auth-nope.so not found in ");
	assert_start_fails(
	    rc_ptest_extra_plugin_dir(), "[plugins]\nenabled=wrong-abi\n", "plugin wrong-abi: ");
	assert_start_fails(rc_ptest_extra_plugin_dir(),
			   "[plugins]\nenabled=wrong-abi\n",
			   "was built for plugin ABI");
	assert_start_fails(shipped_plugin_dir(),
			   "[plugins]\nenabled=auth-jwt\n",
			   "plugin auth-jwt: cannot start: set “secret” in [plugin:auth-jwt]");
	assert_start_fails(
	    shipped_plugin_dir(),
	    "[plugins]\nenabled=auth-token\n[plugin:auth-token]\ntokens=/nonexistent\n",
	    "plugin auth-token: cannot start: cannot read the token file");
	assert_start_fails(
	    shipped_plugin_dir(),
	    "[plugins]\nenabled=filter-ratelimit\n[plugin:filter-ratelimit]\nrate=0\n",
	    "plugin filter-ratelimit: cannot start: “rate”");
}

/* A key of a plugin's group that the plugin does not read is named, as an unknown
 * key of roomcastd's own groups is: a problem for --check-config, a warning at
 * start (the plugin still starts, with its defaults for what was misspelt). */
static void
test_unknown_settings(void)
{
	const gchar *config =
	    "[plugins]\nenabled=filter-ratelimit\n"
	    "[plugin:filter-ratelimit]\nrate=5\nburts=3\nfrobnicate=1\n";
	const gchar *path = rc_test_write_config(config);
	const gchar *check[] = {
	    "--check-config", "--plugin-dir", shipped_plugin_dir(), "--config", path, NULL};
	g_autoptr(RcTestNode) checked = rc_test_node_spawn(check);
	g_autoptr(RcTestNode) node = NULL;
	GPtrArray *lines;
	guint n_burst = 0, n_other = 0;

	g_assert_cmpint(rc_test_node_wait_exit(checked, rc_test_timeout(10000)), ==, 1);
	lines = rc_test_node_get_stdout_lines(checked);
	for (guint i = 0; i < lines->len; i++) {
		const gchar *line = g_ptr_array_index(lines, i);
		g_test_message("check: %s", line);
		if (strstr(line, "unknown key burts in [plugin:filter-ratelimit] (did you mean burst?)"))
			n_burst++;
		else if (strstr(line, "unknown key frobnicate in [plugin:filter-ratelimit]"))
			n_other++;
	}
	g_assert_cmpuint(lines->len, ==, 2);
	g_assert_cmpuint(n_burst, ==, 1);
	g_assert_cmpuint(n_other, ==, 1);

	node = node_new(shipped_plugin_dir(), config);
	g_assert_nonnull(rc_test_node_wait_stderr(
	    node, "unknown key burts in [plugin:filter-ratelimit] (did you mean burst?)", WAIT));
	g_assert_nonnull(rc_test_node_wait_stderr(node, "plugins: filter-ratelimit", WAIT));
}

/* --plugin-dir and [plugins] dir: folders separated by ':', then the shipped one */
static void
test_plugin_dirs(void)
{
	g_autofree gchar *empty = g_dir_make_tmp("roomcast-plugins-XXXXXX", NULL);
	g_autofree gchar *list = g_strdup_printf("%s:%s", empty, shipped_plugin_dir());
	g_autofree gchar *config =
	    g_strdup_printf("[plugins]\ndir=%s\nenabled=filter-ratelimit\n", list);
	g_autofree gchar *missing = g_strdup_printf(
	    "[plugins]\ndir=%s:/nonexistent/roomcast\nenabled=no-such-plugin\n", empty);
	g_autofree gchar *reason = g_strdup_printf(
	    "plugin no-such-plugin: no-such-plugin.%s not found in %s, /nonexistent/roomcast, %s",
	    G_MODULE_SUFFIX,
	    empty,
	    RC_PLUGINDIR);
	g_autofree gchar *reason_flag =
	    g_strdup_printf("not found in %s, %s, %s", empty, shipped_plugin_dir(), RC_PLUGINDIR);
	g_autoptr(RcTestNode) by_flag = node_new(list, "[plugins]\nenabled=filter-ratelimit\n");
	const gchar *path = rc_test_write_config(config);
	g_autoptr(RcTestNode) by_key =
	    rc_test_node_new("--port", "0", "--bus", "none", "--config", path, NULL);

	g_assert_nonnull(rc_test_node_wait_stderr(by_flag, "plugins: filter-ratelimit", WAIT));
	g_assert_nonnull(rc_test_node_wait_stderr(by_key, "plugins: filter-ratelimit", WAIT));
	/* the flag replaces the key's list; the shipped folder comes last either way */
	assert_start_fails(
	    "/nonexistent/roomcast", missing, "not found in /nonexistent/roomcast, ");
	{
		const gchar *mpath = rc_test_write_config(missing);
		const gchar *args[] = {"--port", "0", "--bus", "none", "--config", mpath, NULL};
		g_autoptr(RcTestNode) node = rc_test_node_spawn(args);

		g_assert_cmpint(rc_test_node_wait_exit(node, rc_test_timeout(10000)), ==, 1);
		g_assert_nonnull(rc_test_node_wait_stderr(node, reason, 0));
	}
	assert_start_fails(list, "[plugins]\nenabled=no-such-plugin\n", reason_flag);
	g_rmdir(empty);
}

static void
test_names_logged(void)
{
	const gchar *words = rc_test_write_temp_file("words-XXXXXX", "darn\n");
	g_autofree gchar *config =
	    g_strdup_printf("[plugins]\nenabled=filter-ratelimit;filter-profanity\n"
			    "[plugin:filter-profanity]\nwords=%s\n",
			    words);
	g_autoptr(RcTestNode) node = node_new(shipped_plugin_dir(), config);

	g_assert_nonnull(
	    rc_test_node_wait_stderr(node, "plugins: filter-ratelimit, filter-profanity", WAIT));
}

int
main(int argc, char **argv)
{
	rc_test_init(&argc, &argv);
	g_test_add_func("/plugins-e2e/auth-token", test_auth_token);
	g_test_add_func("/plugins-e2e/auth-jwt", test_auth_jwt);
	g_test_add_func("/plugins-e2e/auth-forbidden", test_auth_forbidden);
	g_test_add_func("/plugins-e2e/profanity-reject", test_profanity_reject);
	g_test_add_func("/plugins-e2e/profanity-mask", test_profanity_mask);
	g_test_add_func("/plugins-e2e/ratelimit", test_ratelimit);
	g_test_add_func("/plugins-e2e/dbus-publish-and-reload", test_dbus_publish);
	g_test_add_func("/plugins-e2e/filtered-once-across-nodes", test_filtered_once_across_nodes);
	g_test_add_func("/plugins-e2e/start-failures", test_start_failures);
	g_test_add_func("/plugins-e2e/names-logged", test_names_logged);
	g_test_add_func("/plugins-e2e/plugin-dirs", test_plugin_dirs);
	g_test_add_func("/plugins-e2e/unknown-settings", test_unknown_settings);
	return g_test_run();
}
