/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The D-Bus admin API of a real roomcastd on a private session bus (GTestDBus):
 * every property, method, signal and error, PropertiesChanged coalescing, two
 * nodes on one bus, ReloadConfig and SIGHUP changing a limit live, losing the bus.
 */
#define G_LOG_DOMAIN "RcTestDbus"

#include "config.h"

#include <signal.h>
#include <glib/gstdio.h>
#include <string.h>

#include "dbus/rc-dbus-generated.h"
#include "rc-test-harness.h"

#define ADMIN_PATH "/org/roomcast"
#define ADMIN_IFACE "org.roomcast.Daemon"

/* ---- helpers --------------------------------------------------------------------- */

static GDBusConnection *
session_bus(void)
{
	g_autoptr(GError) error = NULL;
	GDBusConnection *bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &error);
	g_assert_no_error(error);
	return bus;
}

typedef struct {
	GDBusConnection *bus;
	const gchar *name;
} NameCheck;

static gboolean
name_has_owner(GDBusConnection *bus, const gchar *name)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_sync(bus,
								"org.freedesktop.DBus",
								"/org/freedesktop/DBus",
								"org.freedesktop.DBus",
								"NameHasOwner",
								g_variant_new("(s)", name),
								G_VARIANT_TYPE("(b)"),
								G_DBUS_CALL_FLAGS_NONE,
								5000,
								NULL,
								&error);
	gboolean owned = FALSE;
	g_assert_no_error(error);
	g_variant_get(reply, "(b)", &owned);
	return owned;
}

static gboolean
name_check_owned(gpointer user_data)
{
	NameCheck *check = user_data;
	return name_has_owner(check->bus, check->name);
}

/* a proxy for @name once roomcastd owns it (it owns it asynchronously after listening) */
static RcDbusDaemon *
admin_proxy_new(const gchar *name)
{
	g_autoptr(GDBusConnection) bus = session_bus();
	g_autoptr(GError) error = NULL;
	NameCheck check = {bus, name};
	RcDbusDaemon *proxy;

	g_assert_true(rc_test_wait_until(name_check_owned, &check, rc_test_timeout(5000)));
	proxy = rc_dbus_daemon_proxy_new_sync(
	    bus, G_DBUS_PROXY_FLAGS_NONE, name, ADMIN_PATH, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(proxy);
	return proxy;
}

/* a fresh Properties.Get, not the proxy's cache */
static GVariant *
get_property(RcDbusDaemon *proxy, const gchar *property)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	    g_dbus_proxy_call_sync(G_DBUS_PROXY(proxy),
				   "org.freedesktop.DBus.Properties.Get",
				   g_variant_new("(ss)", ADMIN_IFACE, property),
				   G_DBUS_CALL_FLAGS_NONE,
				   5000,
				   NULL,
				   &error);
	GVariant *value = NULL;
	g_assert_no_error(error);
	g_variant_get(reply, "(v)", &value);
	return value;
}

static guint32
get_u(RcDbusDaemon *proxy, const gchar *property)
{
	g_autoptr(GVariant) v = get_property(proxy, property);
	g_assert_true(g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32));
	return g_variant_get_uint32(v);
}

static guint64
get_t(RcDbusDaemon *proxy, const gchar *property)
{
	g_autoptr(GVariant) v = get_property(proxy, property);
	g_assert_true(g_variant_is_of_type(v, G_VARIANT_TYPE_UINT64));
	return g_variant_get_uint64(v);
}

static gboolean
get_b(RcDbusDaemon *proxy, const gchar *property)
{
	g_autoptr(GVariant) v = get_property(proxy, property);
	g_assert_true(g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN));
	return g_variant_get_boolean(v);
}

static void
assert_dbus_error(GError *error, const gchar *expected_name)
{
	g_autofree gchar *name = NULL;

	g_assert_nonnull(error);
	name = g_dbus_error_get_remote_error(error);
	if (g_strcmp0(name, expected_name) != 0)
		g_error("expected %s, got %s: %s", expected_name, name, error->message);
	g_dbus_error_strip_remote_error(error);
	/* the message is for people: never empty */
	g_assert_cmpstr(error->message, !=, "");
}

typedef struct {
	RcDbusDaemon *proxy;
	const gchar *property;
	guint64 value;
} CachedCheck;

/* the proxy's cache only changes through PropertiesChanged */
static gboolean
cached_u_equals(gpointer user_data)
{
	CachedCheck *c = user_data;
	g_autoptr(GVariant) v =
	    g_dbus_proxy_get_cached_property(G_DBUS_PROXY(c->proxy), c->property);
	if (v == NULL)
		return FALSE;
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32))
		return g_variant_get_uint32(v) == c->value;
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT64))
		return g_variant_get_uint64(v) == c->value;
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN))
		return g_variant_get_boolean(v) == (c->value != 0);
	return FALSE;
}

static void
wait_cached(RcDbusDaemon *proxy, const gchar *property, guint64 value)
{
	CachedCheck c = {proxy, property, value};
	if (!rc_test_wait_until(cached_u_equals, &c, rc_test_timeout(4000))) {
		g_autoptr(GVariant) v =
		    g_dbus_proxy_get_cached_property(G_DBUS_PROXY(proxy), property);
		g_autofree gchar *s = v != NULL ? g_variant_print(v, TRUE) : g_strdup("(unset)");
		g_error("property %s never became %" G_GUINT64_FORMAT " (cached %s)",
			property,
			value,
			s);
	}
}

typedef struct {
	GPtrArray *added;   /* "NS ROOM" */
	GPtrArray *removed; /* "NS ROOM" */
} RoomSignals;

static void
room_added_cb(RcDbusDaemon *proxy, const gchar *ns, const gchar *room, RoomSignals *sigs)
{
	g_ptr_array_add(sigs->added, g_strdup_printf("%s %s", ns, room));
}

static void
room_removed_cb(RcDbusDaemon *proxy, const gchar *ns, const gchar *room, RoomSignals *sigs)
{
	g_ptr_array_add(sigs->removed, g_strdup_printf("%s %s", ns, room));
}

typedef struct {
	GPtrArray *array;
	const gchar *item;
} ContainsCheck;

static gboolean
array_contains(gpointer user_data)
{
	ContainsCheck *c = user_data;
	for (guint i = 0; i < c->array->len; i++) {
		if (g_strcmp0(g_ptr_array_index(c->array, i), c->item) == 0)
			return TRUE;
	}
	return FALSE;
}

static void
wait_contains(GPtrArray *array, const gchar *item)
{
	ContainsCheck c = {array, item};
	g_assert_true(rc_test_wait_until(array_contains, &c, rc_test_timeout(4000)));
}

static gchar *
publish(RcDbusDaemon *proxy,
	const gchar *ns,
	const gchar *room,
	const gchar *sender,
	const gchar *text,
	GError **error)
{
	gchar *id = NULL;
	if (!rc_dbus_daemon_call_publish_sync(proxy, ns, room, sender, text, &id, NULL, error))
		return NULL;
	return id;
}

/* ---- tests ----------------------------------------------------------------------- */

static void
test_properties(void)
{
	g_autoptr(RcTestNode) node = rc_test_node_new("--port",
						      "0",
						      "--bus",
						      "session",
						      "--dbus-name",
						      "org.roomcast.TestProps",
						      "--node-id",
						      "props-node",
						      NULL);
	g_autoptr(RcDbusDaemon) proxy = admin_proxy_new("org.roomcast.TestProps");
	g_autoptr(GVariant) plugins = NULL;
	g_autoptr(RcTestWs) a = NULL;
	g_autoptr(RcTestWs) b = NULL;

	g_assert_cmpstr(rc_dbus_daemon_get_version(proxy), ==, PACKAGE_VERSION);
	g_assert_cmpstr(rc_dbus_daemon_get_node_id(proxy), ==, "props-node");
	g_assert_cmpuint(get_u(proxy, "Connections"), ==, 0);
	g_assert_cmpuint(get_u(proxy, "Rooms"), ==, 0);
	g_assert_cmpuint(get_t(proxy, "MessagesReceived"), ==, 0);
	g_assert_cmpuint(get_t(proxy, "MessagesDelivered"), ==, 0);
	/* embedded mode: no Redis, so not connected */
	g_assert_false(get_b(proxy, "RedisConnected"));
	plugins = get_property(proxy, "Plugins");
	g_assert_true(g_variant_is_of_type(plugins, G_VARIANT_TYPE_STRING_ARRAY));
	g_assert_cmpuint(g_variant_n_children(plugins), ==, 0);

	a = rc_test_ws_new(node, "sender=alice");
	b = rc_test_ws_new(node, "sender=bob");
	rc_test_ws_join(a, "/", "room_1");
	rc_test_ws_join(b, "/", "room_1");
	g_free(rc_test_ws_send_message(a, "/", "room_1", "hello"));

	/* counters arrive through PropertiesChanged into the proxy's cache */
	wait_cached(proxy, "Connections", 2);
	wait_cached(proxy, "Rooms", 1);
	wait_cached(proxy, "MessagesReceived", 1);
	wait_cached(proxy, "MessagesDelivered", 2);
	g_assert_cmpuint(get_u(proxy, "Connections"), ==, 2);

	rc_test_ws_close(b);
	wait_cached(proxy, "Connections", 1);
}

static void
test_plugins_property(void)
{
	const gchar *plugin_dir = g_getenv("ROOMCAST_TEST_PLUGIN_DIR");
	g_autoptr(RcTestNode) node = NULL;
	g_autoptr(RcDbusDaemon) proxy = NULL;
	g_autoptr(GVariant) plugins = NULL;
	const gchar *config;
	g_autofree const gchar **names = NULL;

	if (plugin_dir == NULL || !g_file_test(plugin_dir, G_FILE_TEST_IS_DIR)) {
		g_test_skip("ROOMCAST_TEST_PLUGIN_DIR not set: no built plugins to load");
		return;
	}
	config = rc_test_write_config("[plugins]\n"
				      "enabled=filter-ratelimit\n");
	node = rc_test_node_new("--port",
				"0",
				"--bus",
				"session",
				"--dbus-name",
				"org.roomcast.TestPlugins",
				"--plugin-dir",
				plugin_dir,
				"--config",
				config,
				NULL);
	proxy = admin_proxy_new("org.roomcast.TestPlugins");
	plugins = get_property(proxy, "Plugins");
	names = g_variant_get_strv(plugins, NULL);
	g_assert_cmpuint(g_strv_length((gchar **)names), ==, 1);
	g_assert_cmpstr(names[0], ==, "filter-ratelimit");
}

static void
test_methods(void)
{
	g_autoptr(RcTestNode) node = rc_test_node_new(
	    "--port", "0", "--bus", "session", "--dbus-name", "org.roomcast.TestMethods", NULL);
	g_autoptr(RcDbusDaemon) proxy = admin_proxy_new("org.roomcast.TestMethods");
	g_autoptr(RcTestWs) a = rc_test_ws_new(node, "sender=alice");
	g_autoptr(RcTestWs) b = rc_test_ws_new(node, "sender=bob");
	g_autoptr(RcTestWs) c = rc_test_ws_new(node, "sender=carol");
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) rooms = NULL;
	g_autoptr(GVariant) stats = NULL;
	g_autoptr(GVariant) clients = NULL;
	g_autoptr(JsonObject) msg_a = NULL;
	g_autoptr(JsonObject) msg_b = NULL;
	g_autoptr(JsonObject) left = NULL;
	g_autofree gchar *id = NULL;
	g_autofree gchar *ws_id = NULL;
	g_autoptr(GPtrArray) seen_ids = g_ptr_array_new_with_free_func(g_free);
	RoomSignals sigs = {g_ptr_array_new_with_free_func(g_free),
			    g_ptr_array_new_with_free_func(g_free)};
	GVariantIter iter;
	const gchar *ns, *room, *cid, *sender, *peer;
	guint32 members = 0, removed = 0;
	guint64 messages = 0;
	gboolean found = FALSE;
	SoupWebsocketConnection *conn;

	g_signal_connect(proxy, "room-added", G_CALLBACK(room_added_cb), &sigs);
	g_signal_connect(proxy, "room-removed", G_CALLBACK(room_removed_cb), &sigs);

	rc_test_ws_join(a, "/", "room_1");
	rc_test_ws_join(b, "/", "room_1");
	rc_test_ws_join(c, "/ops", "desk");
	wait_contains(sigs.added, "/ room_1");
	wait_contains(sigs.added, "/ops desk");
	ws_id = rc_test_ws_send_message(a, "/", "room_1", "from the socket");

	/* ListRooms */
	g_assert_true(rc_dbus_daemon_call_list_rooms_sync(proxy, &rooms, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(g_variant_n_children(rooms), ==, 2);
	g_variant_iter_init(&iter, rooms);
	while (g_variant_iter_next(&iter, "(&s&su)", &ns, &room, &members)) {
		if (g_strcmp0(ns, "/") == 0 && g_strcmp0(room, "room_1") == 0) {
			g_assert_cmpuint(members, ==, 2);
			found = TRUE;
		} else {
			g_assert_cmpstr(ns, ==, "/ops");
			g_assert_cmpstr(room, ==, "desk");
			g_assert_cmpuint(members, ==, 1);
		}
	}
	g_assert_true(found);

	/* GetRoomStats */
	g_assert_true(
	    rc_dbus_daemon_call_get_room_stats_sync(proxy, "/", "room_1", &stats, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(g_variant_lookup(stats, "members", "u", &members));
	g_assert_cmpuint(members, ==, 2);
	g_assert_true(g_variant_lookup(stats, "messages", "t", &messages));
	g_assert_cmpuint(messages, ==, 1);

	/* ListClients: ids as in the hello frames, senders, loopback peers */
	g_assert_true(
	    rc_dbus_daemon_call_list_clients_sync(proxy, "/", "room_1", &clients, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(g_variant_n_children(clients), ==, 2);
	g_variant_iter_init(&iter, clients);
	while (g_variant_iter_next(&iter, "(&s&s&s)", &cid, &sender, &peer)) {
		if (g_strcmp0(cid, rc_test_ws_get_client_id(a)) == 0)
			g_assert_cmpstr(sender, ==, "alice");
		else if (g_strcmp0(cid, rc_test_ws_get_client_id(b)) == 0)
			g_assert_cmpstr(sender, ==, "bob");
		else
			g_error("unexpected client %s in room_1", cid);
		g_assert_true(g_str_has_prefix(peer, "127.0.0.1:"));
		g_ptr_array_add(seen_ids, g_strdup(cid));
	}

	/* Publish: every member gets it, with the id D-Bus returned */
	id = publish(proxy, "/", "room_1", "ops-bot", "maintenance at 18:00", &error);
	g_assert_no_error(error);
	g_assert_nonnull(id);
	g_assert_cmpstr(id, !=, "");
	g_assert_cmpstr(id, !=, ws_id);
	/* the socket's own message came first; the D-Bus one is next */
	msg_a = rc_test_ws_take(a, "MSG_TO_CLIENTS", NULL, rc_test_timeout(3000));
	g_assert_cmpstr(rc_test_json_get_string(msg_a, "id"), ==, ws_id);
	g_clear_pointer(&msg_a, json_object_unref);
	msg_a = rc_test_ws_take(a, "MSG_TO_CLIENTS", NULL, rc_test_timeout(3000));
	g_assert_cmpstr(rc_test_json_get_string(msg_a, "id"), ==, id);
	g_assert_cmpstr(
	    rc_test_json_get_string(json_object_get_object_member(msg_a, "msg"), "sender"),
	    ==,
	    "ops-bot");
	g_assert_cmpstr(
	    rc_test_json_get_string(json_object_get_object_member(msg_a, "msg"), "text"),
	    ==,
	    "maintenance at 18:00");
	msg_b = rc_test_ws_take(b, "MSG_TO_CLIENTS", NULL, rc_test_timeout(3000));
	g_assert_cmpstr(rc_test_json_get_string(msg_b, "id"), ==, ws_id);
	g_clear_pointer(&msg_b, json_object_unref);
	msg_b = rc_test_ws_take(b, "MSG_TO_CLIENTS", NULL, rc_test_timeout(3000));
	g_assert_cmpstr(rc_test_json_get_string(msg_b, "id"), ==, id);
	rc_test_ws_expect_silence(c, 200);

	/* CloseRoom: both members get "left" with the reason and stay connected */
	g_assert_true(rc_dbus_daemon_call_close_room_sync(
	    proxy, "/", "room_1", "room closed for cleaning", &removed, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(removed, ==, 2);
	left = rc_test_ws_take(a, "left", NULL, rc_test_timeout(3000));
	g_assert_cmpstr(rc_test_json_get_string(left, "namespace"), ==, "/");
	g_assert_cmpstr(rc_test_json_get_string(left, "roomCode"), ==, "room_1");
	g_assert_cmpstr(rc_test_json_get_string(left, "reason"), ==, "room closed for cleaning");
	g_clear_pointer(&left, json_object_unref);
	left = rc_test_ws_take(b, "left", NULL, rc_test_timeout(3000));
	g_assert_cmpstr(rc_test_json_get_string(left, "reason"), ==, "room closed for cleaning");
	rc_test_ws_ping(a);
	rc_test_ws_ping(b);
	wait_contains(sigs.removed, "/ room_1");
	/* the room is gone: sending there now needs a new join */
	rc_test_ws_send_text(a,
			     "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"room_1\","
			     "\"text\":\"x\",\"ref\":\"r1\"}");
	g_clear_pointer(&left, json_object_unref);
	left = rc_test_ws_expect_error(a, "not_joined", "r1", rc_test_timeout(3000));

	/* KickClient: the client is closed with 1008 and the reason */
	g_assert_true(rc_dbus_daemon_call_kick_client_sync(
	    proxy, rc_test_ws_get_client_id(c), "spamming", NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(rc_test_ws_wait_closed(c, rc_test_timeout(3000)), ==, 1008);
	conn = rc_test_ws_get_connection(c);
	g_assert_cmpstr(soup_websocket_connection_get_close_data(conn), ==, "spamming");
	wait_contains(sigs.removed, "/ops desk");
	/* the others are untouched */
	rc_test_ws_ping(a);

	/* ReloadConfig without a config file change succeeds */
	g_assert_true(rc_dbus_daemon_call_reload_config_sync(proxy, NULL, &error));
	g_assert_no_error(error);

	g_signal_handlers_disconnect_by_data(proxy, &sigs);
	g_ptr_array_unref(sigs.added);
	g_ptr_array_unref(sigs.removed);
}

static void
test_errors(void)
{
	g_autoptr(RcTestNode) node = rc_test_node_new(
	    "--port", "0", "--bus", "session", "--dbus-name", "org.roomcast.TestErrors", NULL);
	g_autoptr(RcDbusDaemon) proxy = admin_proxy_new("org.roomcast.TestErrors");
	g_autoptr(RcTestWs) a = rc_test_ws_new(node, "sender=alice");
	g_autoptr(GVariant) out = NULL;
	g_autofree gchar *long_text = g_strnfill(5000, 'x');
	g_autofree gchar *long_reason = g_strnfill(200, 'r');
	g_autofree gchar *id = NULL;
	guint32 removed = 0;

	rc_test_ws_join(a, "/", "room_1");

	/* NotFound: unknown room or client */
	{
		g_autoptr(GError) error = NULL;
		g_assert_false(rc_dbus_daemon_call_get_room_stats_sync(
		    proxy, "/", "nope", &out, NULL, &error));
		assert_dbus_error(error, "org.roomcast.Error.NotFound");
		g_assert_nonnull(strstr(error->message, "nope"));
	}
	{
		g_autoptr(GError) error = NULL;
		g_assert_false(rc_dbus_daemon_call_list_clients_sync(
		    proxy, "/other", "room_1", &out, NULL, &error));
		assert_dbus_error(error, "org.roomcast.Error.NotFound");
	}
	{
		g_autoptr(GError) error = NULL;
		g_assert_false(rc_dbus_daemon_call_kick_client_sync(
		    proxy, "no-such-client", "bye", NULL, &error));
		assert_dbus_error(error, "org.roomcast.Error.NotFound");
	}
	{
		g_autoptr(GError) error = NULL;
		g_assert_false(rc_dbus_daemon_call_close_room_sync(
		    proxy, "/", "nope", "bye", &removed, NULL, &error));
		assert_dbus_error(error, "org.roomcast.Error.NotFound");
	}

	/* InvalidArgs: names outside the documented grammar, oversized text, long reasons */
	{
		g_autoptr(GError) error = NULL;
		g_assert_false(rc_dbus_daemon_call_get_room_stats_sync(
		    proxy, "no-slash", "room_1", &out, NULL, &error));
		assert_dbus_error(error, "org.roomcast.Error.InvalidArgs");
	}
	{
		g_autoptr(GError) error = NULL;
		g_assert_false(rc_dbus_daemon_call_list_clients_sync(
		    proxy, "/", "bad room", &out, NULL, &error));
		assert_dbus_error(error, "org.roomcast.Error.InvalidArgs");
	}
	{
		g_autoptr(GError) error = NULL;
		g_assert_false(rc_dbus_daemon_call_close_room_sync(
		    proxy, "/", "", "bye", &removed, NULL, &error));
		assert_dbus_error(error, "org.roomcast.Error.InvalidArgs");
	}
	{
		g_autoptr(GError) error = NULL;
		id = publish(proxy, "/", "bad room", "ops", "hi", &error);
		g_assert_null(id);
		assert_dbus_error(error, "org.roomcast.Error.InvalidArgs");
	}
	{
		g_autoptr(GError) error = NULL;
		id = publish(proxy, "/", "room_1", "", "hi", &error);
		g_assert_null(id);
		assert_dbus_error(error, "org.roomcast.Error.InvalidArgs");
	}
	{
		g_autoptr(GError) error = NULL;
		id = publish(proxy, "/", "room_1", "bad\001sender", "hi", &error);
		g_assert_null(id);
		assert_dbus_error(error, "org.roomcast.Error.InvalidArgs");
	}
	{
		g_autoptr(GError) error = NULL;
		id = publish(proxy, "/", "room_1", "ops", long_text, &error);
		g_assert_null(id);
		assert_dbus_error(error, "org.roomcast.Error.InvalidArgs");
	}
	{
		g_autoptr(GError) error = NULL;
		g_assert_false(rc_dbus_daemon_call_kick_client_sync(
		    proxy, rc_test_ws_get_client_id(a), long_reason, NULL, &error));
		assert_dbus_error(error, "org.roomcast.Error.InvalidArgs");
	}
	/* nothing was delivered by the refused calls, and everything still works */
	rc_test_ws_expect_silence(a, 300);
	rc_test_ws_ping(a);
	{
		g_autoptr(GError) error = NULL;
		id = publish(proxy, "/", "room_1", "ops", "still here", &error);
		g_assert_no_error(error);
		g_assert_nonnull(id);
	}
	{
		g_autoptr(JsonObject) msg =
		    rc_test_ws_take(a, "MSG_TO_CLIENTS", NULL, rc_test_timeout(3000));
		g_assert_cmpstr(rc_test_json_get_string(msg, "id"), ==, id);
	}
}

static void
test_unavailable(void)
{
	g_autoptr(RcTestRedis) redis = rc_test_redis_new();
	g_autoptr(RcTestNode) node = rc_test_node_new("--port",
						      "0",
						      "--bus",
						      "session",
						      "--dbus-name",
						      "org.roomcast.TestRedis",
						      "--redis",
						      rc_test_redis_get_url(redis),
						      NULL);
	g_autoptr(RcDbusDaemon) proxy = admin_proxy_new("org.roomcast.TestRedis");
	g_autoptr(RcTestWs) a = rc_test_ws_new(node, "sender=alice");
	g_autofree gchar *id = NULL;

	rc_test_ws_join(a, "/", "room_1");
	wait_cached(proxy, "RedisConnected", TRUE);
	g_assert_true(get_b(proxy, "RedisConnected"));

	rc_test_redis_stop(redis);
	wait_cached(proxy, "RedisConnected", FALSE);
	{
		g_autoptr(GError) error = NULL;
		id = publish(proxy, "/", "room_1", "ops", "lost", &error);
		g_assert_null(id);
		assert_dbus_error(error, "org.roomcast.Error.Unavailable");
	}
	rc_test_ws_expect_silence(a, 200);

	rc_test_redis_start(redis);
	wait_cached(proxy, "RedisConnected", TRUE);
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(JsonObject) msg = NULL;
		id = publish(proxy, "/", "room_1", "ops", "back", &error);
		g_assert_no_error(error);
		msg = rc_test_ws_take(a, "MSG_TO_CLIENTS", NULL, rc_test_timeout(3000));
		g_assert_cmpstr(rc_test_json_get_string(msg, "id"), ==, id);
	}
}

typedef struct {
	gint64 *times;
	guint n;
	guint n_with_received;
	guint n_with_unchanged; /* carried a property that did not change */
} ChangedLog;

static void
properties_changed_cb(GDBusConnection *connection,
		      const gchar *sender,
		      const gchar *path,
		      const gchar *iface,
		      const gchar *signal,
		      GVariant *parameters,
		      gpointer user_data)
{
	/* constant during the burst: the connection and room are already there */
	const gchar *steady[] = {
	    "Version", "NodeId", "Connections", "Rooms", "RedisConnected", "Plugins"};
	ChangedLog *log = user_data;
	g_autoptr(GVariant) changed = g_variant_get_child_value(parameters, 1);
	g_autoptr(GVariant) received = g_variant_lookup_value(changed, "MessagesReceived", NULL);

	if (log->n < 64)
		log->times[log->n] = g_get_monotonic_time();
	log->n++;
	if (received != NULL)
		log->n_with_received++;
	for (guint i = 0; i < G_N_ELEMENTS(steady); i++) {
		g_autoptr(GVariant) v = g_variant_lookup_value(changed, steady[i], NULL);
		if (v != NULL)
			log->n_with_unchanged++;
	}
}

static void
test_properties_changed_coalesced(void)
{
	g_autoptr(RcTestNode) node = rc_test_node_new(
	    "--port", "0", "--bus", "session", "--dbus-name", "org.roomcast.TestCoalesce", NULL);
	g_autoptr(RcDbusDaemon) proxy = admin_proxy_new("org.roomcast.TestCoalesce");
	g_autoptr(GDBusConnection) bus = session_bus();
	g_autoptr(RcTestWs) a = rc_test_ws_new(node, "sender=alice");
	gint64 times[64] = {0};
	ChangedLog log = {times, 0, 0, 0};
	guint sub;
	const guint n_messages = 40;
	gint64 start, burst_ms;
	guint max_samples;
	g_autofree gchar *owner = NULL;

	rc_test_ws_join(a, "/", "room_1");
	wait_cached(proxy, "Connections", 1);
	/* let the join's own property changes go out first */
	rc_test_sleep(1200);

	owner = g_dbus_proxy_get_name_owner(G_DBUS_PROXY(proxy));
	sub = g_dbus_connection_signal_subscribe(bus,
						 owner,
						 "org.freedesktop.DBus.Properties",
						 "PropertiesChanged",
						 ADMIN_PATH,
						 NULL,
						 G_DBUS_SIGNAL_FLAGS_NONE,
						 properties_changed_cb,
						 &log,
						 NULL);
	start = g_get_monotonic_time();
	for (guint i = 0; i < n_messages; i++) {
		g_autofree gchar *text = g_strdup_printf("burst %u", i);
		g_free(rc_test_ws_send_message(a, "/", "room_1", text));
	}
	burst_ms = (g_get_monotonic_time() - start) / G_TIME_SPAN_MILLISECOND;
	wait_cached(proxy, "MessagesReceived", n_messages);
	rc_test_sleep(1500);
	g_dbus_connection_signal_unsubscribe(bus, sub);

	g_test_message("%u PropertiesChanged for %u messages sent in %" G_GINT64_FORMAT " ms",
		       log.n,
		       n_messages,
		       burst_ms);
	/* one sample per second of burst (plus the one catching its tail), never one per
	 * message, and never two within a second */
	max_samples = (guint)(burst_ms / 1000) + 2;
	g_assert_cmpuint(log.n_with_received, >=, 1);
	g_assert_cmpuint(log.n_with_received, <=, max_samples);
	g_assert_cmpuint(log.n_with_received, <, n_messages / 4);
	g_assert_cmpuint(log.n, <=, max_samples + 1);
	/* only what changed is sent */
	g_assert_cmpuint(log.n_with_unchanged, ==, 0);
	for (guint i = 1; i < MIN(log.n, 64); i++)
		g_assert_cmpint(times[i] - times[i - 1], >, 600 * G_TIME_SPAN_MILLISECOND);
	g_assert_cmpuint(get_t(proxy, "MessagesReceived"), ==, n_messages);
	g_assert_cmpuint(get_t(proxy, "MessagesDelivered"), ==, n_messages);
}

static void
test_two_nodes(void)
{
	g_autoptr(RcTestRedis) redis = rc_test_redis_new();
	g_autoptr(RcTestNode) n1 = rc_test_node_new("--port",
						    "0",
						    "--bus",
						    "session",
						    "--dbus-name",
						    "org.roomcast.NodeA",
						    "--node-id",
						    "node-a",
						    "--redis",
						    rc_test_redis_get_url(redis),
						    NULL);
	g_autoptr(RcTestNode) n2 = rc_test_node_new("--port",
						    "0",
						    "--bus",
						    "session",
						    "--dbus-name",
						    "org.roomcast.NodeB",
						    "--node-id",
						    "node-b",
						    "--redis",
						    rc_test_redis_get_url(redis),
						    NULL);
	g_autoptr(RcDbusDaemon) p1 = admin_proxy_new("org.roomcast.NodeA");
	g_autoptr(RcDbusDaemon) p2 = admin_proxy_new("org.roomcast.NodeB");
	g_autoptr(RcTestWs) on1 = rc_test_ws_new(n1, "sender=alice");
	g_autoptr(RcTestWs) on2 = rc_test_ws_new(n2, "sender=bob");
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) clients1 = NULL;
	g_autoptr(GVariant) clients2 = NULL;
	g_autoptr(JsonObject) m1 = NULL;
	g_autoptr(JsonObject) m2 = NULL;
	g_autofree gchar *id = NULL;
	const gchar *cid, *sender, *peer;

	g_assert_cmpstr(rc_dbus_daemon_get_node_id(p1), ==, "node-a");
	g_assert_cmpstr(rc_dbus_daemon_get_node_id(p2), ==, "node-b");
	rc_test_ws_join(on1, "/", "shared");
	rc_test_ws_join(on2, "/", "shared");

	/* each node lists only its own members */
	g_assert_true(
	    rc_dbus_daemon_call_list_clients_sync(p1, "/", "shared", &clients1, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(g_variant_n_children(clients1), ==, 1);
	g_variant_get_child(clients1, 0, "(&s&s&s)", &cid, &sender, &peer);
	g_assert_cmpstr(sender, ==, "alice");
	g_assert_true(
	    rc_dbus_daemon_call_list_clients_sync(p2, "/", "shared", &clients2, NULL, &error));
	g_assert_no_error(error);
	g_variant_get_child(clients2, 0, "(&s&s&s)", &cid, &sender, &peer);
	g_assert_cmpstr(sender, ==, "bob");

	/* a D-Bus publish on node A reaches the member on node B with the same id */
	wait_cached(p1, "RedisConnected", TRUE);
	wait_cached(p2, "RedisConnected", TRUE);
	id = publish(p1, "/", "shared", "ops", "to everyone", &error);
	g_assert_no_error(error);
	m1 = rc_test_ws_take(on1, "MSG_TO_CLIENTS", NULL, rc_test_timeout(3000));
	m2 = rc_test_ws_take(on2, "MSG_TO_CLIENTS", NULL, rc_test_timeout(3000));
	g_assert_cmpstr(rc_test_json_get_string(m1, "id"), ==, id);
	g_assert_cmpstr(rc_test_json_get_string(m2, "id"), ==, id);

	/* kicking on the wrong node is NotFound; the right node does it */
	{
		g_autoptr(GError) kick_error = NULL;
		g_assert_false(rc_dbus_daemon_call_kick_client_sync(
		    p1, rc_test_ws_get_client_id(on2), "x", NULL, &kick_error));
		assert_dbus_error(kick_error, "org.roomcast.Error.NotFound");
	}
	g_assert_true(rc_dbus_daemon_call_kick_client_sync(
	    p2, rc_test_ws_get_client_id(on2), "x", NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(rc_test_ws_wait_closed(on2, rc_test_timeout(3000)), ==, 1008);
	rc_test_ws_ping(on1);
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const gchar *const *)a, *(const gchar *const *)b);
}

/* ListMembers as "client sender node" rows, sorted, joined by ", "; NULL with
 * @error set when the call fails */
static gchar *
list_members(RcDbusDaemon *proxy, const gchar *ns, const gchar *room, GError **error)
{
	g_autoptr(GVariant) members = NULL;
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(g_free);
	GVariantIter iter;
	const gchar *client, *sender, *node;

	if (!rc_dbus_daemon_call_list_members_sync(proxy, ns, room, &members, NULL, error))
		return NULL;
	g_assert_true(g_variant_is_of_type(members, G_VARIANT_TYPE("a(sss)")));
	g_variant_iter_init(&iter, members);
	while (g_variant_iter_next(&iter, "(&s&s&s)", &client, &sender, &node))
		g_ptr_array_add(rows, g_strdup_printf("%s %s %s", client, sender, node));
	g_ptr_array_sort(rows, compare_strings);
	g_ptr_array_add(rows, NULL);
	return g_strjoinv(", ", (gchar **)rows->pdata);
}

/* what list_members() says when exactly @n @rows are there */
static gchar *
rows_string(gchar *const *rows, guint n)
{
	g_autoptr(GPtrArray) sorted = g_ptr_array_new();

	for (guint i = 0; i < n; i++)
		g_ptr_array_add(sorted, rows[i]);
	g_ptr_array_sort(sorted, compare_strings);
	g_ptr_array_add(sorted, NULL);
	return g_strjoinv(", ", (gchar **)sorted->pdata);
}

/* the row list_members() gives for @ws */
static gchar *
member_row(RcTestWs *ws)
{
	return g_strdup_printf("%s %s %s",
			       rc_test_ws_get_client_id(ws),
			       rc_test_ws_get_sender(ws),
			       rc_test_json_get_string(rc_test_ws_get_hello(ws), "node"));
}

typedef struct {
	RcDbusDaemon *proxy;
	const gchar *room;
	const gchar *expected;
	gchar *last;
} MembersCheck;

static gboolean
members_are(gpointer user_data)
{
	MembersCheck *c = user_data;
	g_autoptr(GError) error = NULL;

	g_free(c->last);
	c->last = list_members(c->proxy, "/", c->room, &error);
	g_assert_no_error(error);
	return g_strcmp0(c->last, c->expected) == 0;
}

/* a join is in Redis a moment after its reply: ListMembers may lag a little */
static void
wait_members(RcDbusDaemon *proxy, const gchar *room, const gchar *expected)
{
	MembersCheck c = {proxy, room, expected, NULL};

	if (!rc_test_wait_until(members_are, &c, 3000))
		g_error("ListMembers / %s: expected [%s], got [%s]", room, expected, c.last);
	g_free(c.last);
}

/* ListMembers: everyone in the room on every node, where ListClients stays local */
static void
test_list_members(void)
{
	g_autoptr(RcTestRedis) redis = rc_test_redis_new();
	g_autoptr(RcTestNode) n1 = rc_test_node_new("--port",
						    "0",
						    "--bus",
						    "session",
						    "--dbus-name",
						    "org.roomcast.MembersA",
						    "--node-id",
						    "members-a",
						    "--redis",
						    rc_test_redis_get_url(redis),
						    NULL);
	g_autoptr(RcTestNode) n2 = rc_test_node_new("--port",
						    "0",
						    "--bus",
						    "session",
						    "--dbus-name",
						    "org.roomcast.MembersB",
						    "--node-id",
						    "members-b",
						    "--redis",
						    rc_test_redis_get_url(redis),
						    NULL);
	g_autoptr(RcDbusDaemon) p1 = admin_proxy_new("org.roomcast.MembersA");
	g_autoptr(RcDbusDaemon) p2 = admin_proxy_new("org.roomcast.MembersB");
	g_autoptr(RcTestWs) alice = rc_test_ws_new(n1, "sender=alice");
	g_autoptr(RcTestWs) bob = rc_test_ws_new(n2, "sender=bob");
	g_autoptr(RcTestWs) carol = rc_test_ws_new(n2, "sender=carol");
	g_autoptr(RcTestWs) dave = rc_test_ws_new(n1, "sender=dave");
	g_autofree gchar *row_a = member_row(alice);
	g_autofree gchar *row_b = member_row(bob);
	g_autofree gchar *row_c = member_row(carol);
	gchar *const rows[] = {row_a, row_b, row_c};
	gchar *const rows_left[] = {row_a, row_c};
	g_autofree gchar *all = rows_string(rows, G_N_ELEMENTS(rows));
	g_autofree gchar *without_bob = rows_string(rows_left, G_N_ELEMENTS(rows_left));
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) clients = NULL;

	wait_cached(p1, "RedisConnected", TRUE);
	wait_cached(p2, "RedisConnected", TRUE);
	rc_test_ws_join(alice, "/", "shared");
	rc_test_ws_join(bob, "/", "shared");
	rc_test_ws_join(carol, "/", "shared");
	/* another namespace, same room code: another room */
	rc_test_ws_join(dave, "/elsewhere", "shared");

	g_assert_cmpstr(
	    rc_test_json_get_string(rc_test_ws_get_hello(alice), "node"), ==, "members-a");
	g_assert_cmpstr(
	    rc_test_json_get_string(rc_test_ws_get_hello(bob), "node"), ==, "members-b");

	/* both nodes say the same, with each member's node */
	wait_members(p1, "shared", all);
	wait_members(p2, "shared", all);
	/* ListClients stays local */
	g_assert_true(
	    rc_dbus_daemon_call_list_clients_sync(p1, "/", "shared", &clients, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(g_variant_n_children(clients), ==, 1);
	{
		g_autofree gchar *elsewhere = list_members(p2, "/elsewhere", "shared", &error);
		g_autofree gchar *row_d = member_row(dave);
		g_assert_no_error(error);
		g_assert_cmpstr(elsewhere, ==, row_d);
	}
	/* a room nobody is in is an empty list */
	{
		g_autofree gchar *empty = list_members(p1, "/", "nobody", &error);
		g_assert_no_error(error);
		g_assert_cmpstr(empty, ==, "");
	}

	/* someone leaves on one node: both nodes drop them */
	rc_test_ws_close(bob);
	wait_members(p1, "shared", without_bob);
	wait_members(p2, "shared", without_bob);

	/* bad names are InvalidArgs */
	{
		const gchar *bad[][2] = {
		    {"no-slash", "shared"},
		    {"/", "bad room"},
		    {"/", ""},
		    {"/a b", "shared"},
		};
		for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
			g_autoptr(GError) bad_error = NULL;
			g_autofree gchar *list = list_members(p1, bad[i][0], bad[i][1], &bad_error);
			g_assert_null(list);
			assert_dbus_error(bad_error, "org.roomcast.Error.InvalidArgs");
		}
	}

	/* without Redis the answer is Unavailable, not an empty or partial list */
	rc_test_redis_stop(redis);
	wait_cached(p1, "RedisConnected", FALSE);
	{
		g_autoptr(GError) down_error = NULL;
		g_autofree gchar *list = list_members(p1, "/", "shared", &down_error);
		g_assert_null(list);
		assert_dbus_error(down_error, "org.roomcast.Error.Unavailable");
	}
	/* and back by itself: both members still there */
	rc_test_redis_start(redis);
	wait_cached(p1, "RedisConnected", TRUE);
	wait_cached(p2, "RedisConnected", TRUE);
	wait_members(p2, "shared", without_bob);
	g_assert_cmpint(rc_test_node_stop(n1), ==, 0);
	g_assert_cmpint(rc_test_node_stop(n2), ==, 0);
}

/* roomcast@1 and roomcast@2 without systemd: one port shared with SO_REUSEPORT, a bus
 * name and node id per instance, rooms shared through Redis */
static void
test_instances_share_port(void)
{
	g_autoptr(RcTestRedis) redis = rc_test_redis_new();
	g_autofree gchar *port = g_strdup_printf("%u", rc_test_free_port());
	const gchar *config = rc_test_write_config("[server]\nreuse_port=true\n");
	g_autoptr(RcTestNode) i1 = rc_test_node_new("--port",
						    port,
						    "--config",
						    config,
						    "--bus",
						    "session",
						    "--dbus-name",
						    "org.roomcast.i1",
						    "--node-id",
						    "host-1",
						    "--redis",
						    rc_test_redis_get_url(redis),
						    NULL);
	g_autoptr(RcTestNode) i2 G_GNUC_UNUSED = rc_test_node_new("--port",
								  port,
								  "--config",
								  config,
								  "--bus",
								  "session",
								  "--dbus-name",
								  "org.roomcast.i2",
								  "--node-id",
								  "host-2",
								  "--redis",
								  rc_test_redis_get_url(redis),
								  NULL);
	g_autoptr(RcDbusDaemon) p1 = admin_proxy_new("org.roomcast.i1");
	g_autoptr(RcDbusDaemon) p2 = admin_proxy_new("org.roomcast.i2");
	g_autoptr(GPtrArray) clients =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rc_test_ws_free);
	const guint n = 16;
	guint on1 = 0, on2 = 0;

	g_assert_cmpstr(rc_dbus_daemon_get_node_id(p1), ==, "host-1");
	g_assert_cmpstr(rc_dbus_daemon_get_node_id(p2), ==, "host-2");
	for (guint i = 0; i < n; i++) {
		RcTestWs *ws = rc_test_ws_new(i1, NULL);
		JsonObject *hello = rc_test_ws_get_hello(ws);
		const gchar *node = rc_test_json_get_string(hello, "node");
		if (g_strcmp0(node, "host-1") == 0)
			on1++;
		else if (g_strcmp0(node, "host-2") == 0)
			on2++;
		else
			g_error("hello from unknown node %s", node);
		g_ptr_array_add(clients, ws);
	}
	/* the kernel spread them; each instance counts its own */
	g_test_message("%u connections on host-1, %u on host-2", on1, on2);
	g_assert_cmpuint(on1, >, 0);
	g_assert_cmpuint(on2, >, 0);
	wait_cached(p1, "Connections", on1);
	wait_cached(p2, "Connections", on2);
}

static void
test_name_taken(void)
{
	g_autoptr(RcTestNode) first G_GNUC_UNUSED = rc_test_node_new("--port",
								     "0",
								     "--bus",
								     "session",
								     "--dbus-name",
								     "org.roomcast.Taken",
								     "--node-id",
								     "first",
								     NULL);
	g_autoptr(RcDbusDaemon) proxy = admin_proxy_new("org.roomcast.Taken");
	g_autoptr(RcTestNode) second = rc_test_node_new("--port",
							"0",
							"--bus",
							"session",
							"--dbus-name",
							"org.roomcast.Taken",
							"--node-id",
							"second",
							NULL);
	g_autoptr(RcTestWs) ws = NULL;

	/* the second node says so and keeps serving WebSockets */
	g_assert_nonnull(rc_test_node_wait_stderr(second, "could not own", rc_test_timeout(5000)));
	ws = rc_test_ws_new(second, "sender=alice");
	rc_test_ws_join(ws, "/", "room_1");
	rc_test_ws_ping(ws);
	g_assert_true(rc_test_node_is_running(second));
	g_assert_cmpstr(rc_dbus_daemon_get_node_id(proxy), ==, "first");
	{
		g_autoptr(GVariant) v = get_property(proxy, "NodeId");
		g_assert_cmpstr(g_variant_get_string(v, NULL), ==, "first");
	}
}

static void
test_bus_none(void)
{
	g_autoptr(RcTestNode) node = rc_test_node_new(
	    "--port", "0", "--bus", "none", "--dbus-name", "org.roomcast.TestNone", NULL);
	g_autoptr(GDBusConnection) bus = session_bus();
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);

	rc_test_ws_ping(ws);
	rc_test_sleep(500);
	g_assert_false(name_has_owner(bus, "org.roomcast.TestNone"));
}

/* A kicked client that never answers the close frame: its socket may linger until
 * the close handshake times out, but it is out of every room and list at once, and
 * a second kick finds no such client. */
static void
kick_no_close_answer(const gchar *redis_url)
{
	g_autoptr(RcTestNode) node = redis_url != NULL
					 ? rc_test_node_new("--port",
							    "0",
							    "--bus",
							    "session",
							    "--dbus-name",
							    "org.roomcast.TestKickMute",
							    "--redis",
							    redis_url,
							    NULL)
					 : rc_test_node_new("--port",
							    "0",
							    "--bus",
							    "session",
							    "--dbus-name",
							    "org.roomcast.TestKickMute",
							    NULL);
	g_autoptr(RcDbusDaemon) proxy = admin_proxy_new("org.roomcast.TestKickMute");
	g_autoptr(RcTestRawWs) mute = rc_test_raw_ws_new(node, "sender=mute", 0);
	g_autoptr(RcTestWs) bob = rc_test_ws_new(node, "sender=bob");
	g_autoptr(JsonObject) hello = rc_test_raw_ws_read_json(mute, rc_test_timeout(3000));
	g_autoptr(JsonObject) joined = NULL;
	g_autoptr(GVariant) stats = NULL;
	g_autoptr(GVariant) clients = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *mute_id = NULL;
	g_autofree gchar *rows = NULL;
	g_autofree gchar *expected = NULL;
	const gchar *join = "{\"type\":\"join\",\"namespace\":\"/\",\"roomCode\":\"room_1\"}";
	guint32 members = 0;

	if (redis_url != NULL)
		rc_test_node_wait_redis_connected(node, rc_test_timeout(5000));
	g_assert_nonnull(hello);
	g_assert_cmpstr(rc_test_json_get_string(hello, "type"), ==, "hello");
	mute_id = g_strdup(rc_test_json_get_string(hello, "client"));
	rc_test_raw_ws_send_frame(mute, 0x1, join, strlen(join));
	joined = rc_test_raw_ws_read_json(mute, rc_test_timeout(3000));
	g_assert_nonnull(joined);
	g_assert_cmpstr(rc_test_json_get_string(joined, "type"), ==, "joined");
	rc_test_ws_join(bob, "/", "room_1");

	g_assert_true(rc_dbus_daemon_call_kick_client_sync(proxy, mute_id, "bye", NULL, &error));
	g_assert_no_error(error);
	/* right away, with mute's close frame unanswered: the socket is still open */
	g_assert_true(
	    rc_dbus_daemon_call_get_room_stats_sync(proxy, "/", "room_1", &stats, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(g_variant_lookup(stats, "members", "u", &members));
	g_assert_cmpuint(members, ==, 1);
	g_assert_true(
	    rc_dbus_daemon_call_list_clients_sync(proxy, "/", "room_1", &clients, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(g_variant_n_children(clients), ==, 1);
	rows = list_members(proxy, "/", "room_1", &error);
	g_assert_no_error(error);
	expected = g_strdup_printf(
	    "%s bob %s", rc_test_ws_get_client_id(bob), rc_dbus_daemon_get_node_id(proxy));
	g_assert_cmpstr(rows, ==, expected);
	rc_test_ws_send_text(
	    bob, "{\"type\":\"who\",\"namespace\":\"/\",\"roomCode\":\"room_1\",\"ref\":\"w1\"}");
	{
		g_autoptr(JsonObject) who =
		    rc_test_ws_take(bob, "members", "w1", rc_test_timeout(3000));
		JsonArray *list = json_object_get_array_member(who, "members");
		g_assert_cmpuint(json_array_get_length(list), ==, 1);
		g_assert_cmpstr(
		    json_object_get_string_member(json_array_get_object_element(list, 0), "sender"),
		    ==,
		    "bob");
	}
	/* a second kick: not found, worded like any unknown client */
	{
		g_autoptr(GError) again = NULL;
		g_autofree gchar *text = g_strdup_printf("no client “%s” on this node", mute_id);
		g_assert_false(
		    rc_dbus_daemon_call_kick_client_sync(proxy, mute_id, "again", NULL, &again));
		assert_dbus_error(again, "org.roomcast.Error.NotFound");
		g_assert_nonnull(strstr(again->message, text));
	}
	/* the socket itself did get the close frame */
	{
		guint8 opcode = 0;
		gboolean got_close = FALSE;
		for (guint i = 0; i < 5 && !got_close; i++) {
			g_autoptr(GBytes) payload = NULL;
			if (!rc_test_raw_ws_read_frame(
				mute, rc_test_timeout(2000), &opcode, &payload, NULL))
				break;
			got_close = opcode == 0x8;
		}
		g_assert_true(got_close);
	}
	rc_test_ws_ping(bob);
}

static void
test_kick_no_close_answer(void)
{
	kick_no_close_answer(NULL);
}

/* the same with Redis: ListMembers and who read the shared presence */
static void
test_kick_no_close_answer_redis(void)
{
	g_autoptr(RcTestRedis) redis = rc_test_redis_new();

	kick_no_close_answer(rc_test_redis_get_url(redis));
}

/* a headless start without a session bus: one warning that says what to do, nothing
 * about X11, and the chat service runs */
static void
test_no_session_bus(void)
{
	g_autofree gchar *saved = g_strdup(g_getenv("DBUS_SESSION_BUS_ADDRESS"));
	g_autofree gchar *saved_display = g_strdup(g_getenv("DISPLAY"));
	g_autofree gchar *runtime = g_dir_make_tmp("roomcast-no-bus-XXXXXX", NULL);
	g_autoptr(RcTestNode) node = NULL;
	g_autoptr(RcTestWs) ws = NULL;
	const gchar *line;

	g_assert_nonnull(runtime);
	g_unsetenv("DBUS_SESSION_BUS_ADDRESS");
	g_unsetenv("DISPLAY");
	rc_test_node_set_next_env("XDG_RUNTIME_DIR", runtime);
	node = rc_test_node_new("--port", "0", "--bus", "session", NULL);
	if (saved != NULL)
		g_setenv("DBUS_SESSION_BUS_ADDRESS", saved, TRUE);
	if (saved_display != NULL)
		g_setenv("DISPLAY", saved_display, TRUE);

	line = rc_test_node_wait_stderr(node, "admin API is off", rc_test_timeout(5000));
	g_assert_nonnull(line);
	g_assert_nonnull(strstr(line, "--bus none"));
	g_assert_nonnull(strstr(line, "session bus"));
	g_assert_null(strstr(line, "X11"));
	g_assert_null(strstr(line, "DISPLAY"));
	ws = rc_test_ws_new(node, NULL);
	rc_test_ws_ping(ws);
	g_assert_true(rc_test_node_is_running(node));
	/* and it stops cleanly without ever having had a bus */
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
	g_rmdir(runtime);
}

/* a bus of our own that we can pull out from under the daemon */
static void
test_bus_lost(void)
{
	const gchar *argv[] = {"dbus-daemon", "--session", "--nofork", "--print-address=1", NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) busd = NULL;
	g_autoptr(GDataInputStream) out = NULL;
	g_autofree gchar *address = NULL;
	g_autofree gchar *saved = g_strdup(g_getenv("DBUS_SESSION_BUS_ADDRESS"));
	g_autoptr(RcTestNode) node = NULL;
	g_autoptr(RcTestWs) ws = NULL;
	g_autoptr(GDBusConnection) conn = NULL;
	NameCheck check = {NULL, "org.roomcast.TestLost"};

	busd = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
	g_assert_no_error(error);
	out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(busd));
	address = g_data_input_stream_read_line(out, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(address);

	/* only the daemon's environment points at the doomed bus */
	g_setenv("DBUS_SESSION_BUS_ADDRESS", address, TRUE);
	node = rc_test_node_new(
	    "--port", "0", "--bus", "session", "--dbus-name", "org.roomcast.TestLost", NULL);
	g_setenv("DBUS_SESSION_BUS_ADDRESS", saved, TRUE);

	conn = g_dbus_connection_new_for_address_sync(
	    address,
	    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
	    NULL,
	    NULL,
	    &error);
	g_assert_no_error(error);
	check.bus = conn;
	g_assert_true(rc_test_wait_until(name_check_owned, &check, rc_test_timeout(5000)));

	g_subprocess_force_exit(busd);
	g_subprocess_wait(busd, NULL, NULL);
	g_assert_nonnull(
	    rc_test_node_wait_stderr(node, "lost the D-Bus connection", rc_test_timeout(5000)));
	rc_test_sleep(300);
	g_assert_true(rc_test_node_is_running(node));
	ws = rc_test_ws_new(node, "sender=alice");
	rc_test_ws_join(ws, "/", "room_1");
	{
		g_autofree gchar *id = rc_test_ws_send_message(ws, "/", "room_1", "still serving");
		g_autoptr(JsonObject) msg =
		    rc_test_ws_take(ws, "MSG_TO_CLIENTS", NULL, rc_test_timeout(3000));
		g_assert_cmpstr(rc_test_json_get_string(msg, "id"), ==, id);
	}
	rc_test_ws_ping(ws);
}

/* ---- configuration reload -------------------------------------------------------- */

static void
write_file(const gchar *path, const gchar *contents)
{
	g_autoptr(GError) error = NULL;
	g_file_set_contents(path, contents, -1, &error);
	g_assert_no_error(error);
}

static void
send_text(RcTestWs *ws, const gchar *ref, gsize len)
{
	g_autofree gchar *text = g_strnfill(len, 'a');
	rc_test_ws_send_printf(ws,
			       "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"r\","
			       "\"text\":\"%s\",\"ref\":\"%s\"}",
			       text,
			       ref);
}

static void
expect_ack(RcTestWs *ws, const gchar *ref)
{
	g_autoptr(JsonObject) ack = rc_test_ws_take(ws, "ack", ref, rc_test_timeout(3000));
	g_autoptr(JsonObject) msg =
	    rc_test_ws_take(ws, "MSG_TO_CLIENTS", NULL, rc_test_timeout(3000));
	g_assert_nonnull(rc_test_json_get_string(ack, "id"));
	g_assert_cmpstr(rc_test_json_get_string(msg, "id"), ==, rc_test_json_get_string(ack, "id"));
}

static void
test_reload_config(void)
{
	const gchar *config = rc_test_write_config("[limits]\nmax_text_bytes=100\n");
	g_autoptr(RcTestNode) node = rc_test_node_new("--port",
						      "0",
						      "--bus",
						      "session",
						      "--dbus-name",
						      "org.roomcast.TestReload",
						      "--config",
						      config,
						      NULL);
	g_autoptr(RcDbusDaemon) proxy = admin_proxy_new("org.roomcast.TestReload");
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, "sender=alice");
	g_autoptr(GError) error = NULL;

	rc_test_ws_join(ws, "/", "r");
	send_text(ws, "s1", 80);
	expect_ack(ws, "s1");

	/* lowered over D-Bus: the same connection is now refused */
	write_file(config, "[limits]\nmax_text_bytes=50\n");
	g_assert_true(rc_dbus_daemon_call_reload_config_sync(proxy, NULL, &error));
	g_assert_no_error(error);
	send_text(ws, "s2", 80);
	g_clear_pointer(&error, g_error_free);
	{
		g_autoptr(JsonObject) e G_GNUC_UNUSED =
		    rc_test_ws_expect_error(ws, "too_large", "s2", rc_test_timeout(3000));
	}
	send_text(ws, "s3", 40);
	expect_ack(ws, "s3");
	{
		g_autoptr(GError) pub_error = NULL;
		g_autofree gchar *text = g_strnfill(80, 'b');
		g_autofree gchar *id = publish(proxy, "/", "r", "ops", text, &pub_error);
		g_assert_null(id);
		assert_dbus_error(pub_error, "org.roomcast.Error.InvalidArgs");
	}

	/* a broken file is refused with its error and the old limit stays */
	write_file(config, "[limits]\nmax_text_bytes=not-a-number\n");
	{
		g_autoptr(GError) reload_error = NULL;
		g_assert_false(rc_dbus_daemon_call_reload_config_sync(proxy, NULL, &reload_error));
		assert_dbus_error(reload_error, "org.roomcast.Error.Failed");
		g_assert_nonnull(strstr(reload_error->message, "max_text_bytes"));
	}
	send_text(ws, "s4", 80);
	{
		g_autoptr(JsonObject) e G_GNUC_UNUSED =
		    rc_test_ws_expect_error(ws, "too_large", "s4", rc_test_timeout(3000));
	}

	/* SIGHUP does the same as ReloadConfig */
	write_file(config, "[limits]\nmax_text_bytes=200\n");
	rc_test_node_signal(node, SIGHUP);
	for (guint attempt = 0;; attempt++) {
		g_autofree gchar *ref = g_strdup_printf("s5-%u", attempt);
		g_autoptr(JsonObject) reply = NULL;
		send_text(ws, ref, 150);
		reply = rc_test_ws_take(ws, NULL, ref, rc_test_timeout(3000));
		if (g_strcmp0(rc_test_json_get_string(reply, "type"), "ack") == 0) {
			g_autoptr(JsonObject) msg G_GNUC_UNUSED =
			    rc_test_ws_take(ws, "MSG_TO_CLIENTS", NULL, rc_test_timeout(3000));
			break;
		}
		/* the signal is handled by the daemon's main loop: give it a moment */
		g_assert_cmpstr(rc_test_json_get_string(reply, "code"), ==, "too_large");
		g_assert_cmpuint(attempt, <, 50);
		rc_test_sleep(100);
	}
	rc_test_ws_ping(ws);
	g_assert_true(rc_test_node_is_running(node));
}

static guint
post_publish(RcTestNode *node, const gchar *token)
{
	const gchar *body = "{\"namespace\":\"/\",\"roomCode\":\"r\","
			    "\"msg\":{\"sender\":\"bot\",\"text\":\"hi\"}}";
	g_autofree gchar *auth = token != NULL ? g_strdup_printf("Bearer %s", token) : NULL;
	const gchar *headers[] = {"Authorization", auth, NULL};
	g_autoptr(RcTestHttpReply) reply = rc_test_http_post(
	    node, "/publish", NULL, body, strlen(body), token != NULL ? headers : NULL);
	return reply->status;
}

/* ReloadConfig also applies [http] api_token and the plugins' settings, live */
static void
test_reload_token_and_plugins(void)
{
	const gchar *plugin_dir = g_getenv("ROOMCAST_TEST_PLUGIN_DIR");
	const gchar *words = rc_test_write_temp_file("words-XXXXXX.txt", "darn\n");
	g_autofree gchar *conf_text = NULL;
	g_autofree gchar *conf_text2 = NULL;
	const gchar *config;
	g_autoptr(RcTestNode) node = NULL;
	g_autoptr(RcDbusDaemon) proxy = NULL;
	g_autoptr(GError) error = NULL;
	gboolean with_plugin = plugin_dir != NULL && g_file_test(plugin_dir, G_FILE_TEST_IS_DIR);

	conf_text = g_strdup_printf("%s[plugin:filter-profanity]\nwords=%s\naction=reject\n",
				    with_plugin ? "[plugins]\nenabled=filter-profanity\n" : "",
				    words);
	config = rc_test_write_config(conf_text);
	node = rc_test_node_new("--port",
				"0",
				"--bus",
				"session",
				"--dbus-name",
				"org.roomcast.TestReload2",
				"--config",
				config,
				"--plugin-dir",
				with_plugin ? plugin_dir : ".",
				NULL);
	proxy = admin_proxy_new("org.roomcast.TestReload2");

	g_assert_cmpuint(post_publish(node, NULL), ==, 200);
	if (with_plugin) {
		g_autoptr(GError) pub_error = NULL;
		g_autofree gchar *id = publish(proxy, "/", "r", "ops", "darn it", &pub_error);
		g_assert_null(id);
		/* a filter's refusal is Failed, with the filter's reason */
		assert_dbus_error(pub_error, "org.roomcast.Error.Failed");
	}

	/* a token for /publish and another word list, without a restart */
	g_file_set_contents(words, "heck\n", -1, &error);
	g_assert_no_error(error);
	conf_text2 = g_strdup_printf("%s[http]\napi_token=s3cret\n", conf_text);
	g_file_set_contents(config, conf_text2, -1, &error);
	g_assert_no_error(error);
	g_assert_true(rc_dbus_daemon_call_reload_config_sync(proxy, NULL, &error));
	g_assert_no_error(error);

	g_assert_cmpuint(post_publish(node, NULL), ==, 401);
	g_assert_cmpuint(post_publish(node, "wrong"), ==, 401);
	g_assert_cmpuint(post_publish(node, "s3cret"), ==, 200);
	if (with_plugin) {
		g_autoptr(GError) pub_error = NULL;
		g_autofree gchar *id = publish(proxy, "/", "r", "ops", "darn it", &pub_error);
		g_autofree gchar *id2 = NULL;
		g_assert_no_error(pub_error);
		g_assert_nonnull(id);
		id2 = publish(proxy, "/", "r", "ops", "what the heck", &pub_error);
		g_assert_null(id2);
		assert_dbus_error(pub_error, "org.roomcast.Error.Failed");
	} else {
		g_test_message("ROOMCAST_TEST_PLUGIN_DIR not set: plugin settings not checked");
	}
}

int
main(int argc, char **argv)
{
	g_autoptr(GTestDBus) bus = NULL;
	int ret;

	rc_test_init(&argc, &argv);

	/* one private session bus for the whole program; every roomcastd inherits it */
	bus = g_test_dbus_new(G_TEST_DBUS_NONE);
	g_test_dbus_up(bus);

	g_test_add_func("/dbus/properties", test_properties);
	g_test_add_func("/dbus/properties/plugins", test_plugins_property);
	g_test_add_func("/dbus/properties/changed-coalesced", test_properties_changed_coalesced);
	g_test_add_func("/dbus/methods", test_methods);
	g_test_add_func("/dbus/errors", test_errors);
	g_test_add_func("/dbus/errors/unavailable", test_unavailable);
	g_test_add_func("/dbus/two-nodes", test_two_nodes);
	g_test_add_func("/dbus/two-nodes/list-members", test_list_members);
	g_test_add_func("/dbus/instances-share-port", test_instances_share_port);
	g_test_add_func("/dbus/name-taken", test_name_taken);
	g_test_add_func("/dbus/bus-none", test_bus_none);
	g_test_add_func("/dbus/bus-lost", test_bus_lost);
	g_test_add_func("/dbus/no-session-bus", test_no_session_bus);
	g_test_add_func("/dbus/kick/no-close-answer", test_kick_no_close_answer);
	g_test_add_func("/dbus/kick/no-close-answer/redis", test_kick_no_close_answer_redis);
	g_test_add_func("/dbus/reload-config", test_reload_config);
	g_test_add_func("/dbus/reload-config/token-and-plugins", test_reload_token_and_plugins);
	ret = g_test_run();

	g_test_dbus_down(bus);
	return ret;
}
