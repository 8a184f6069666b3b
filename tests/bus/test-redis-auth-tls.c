/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * roomcastd against a Redis that wants credentials or TLS, from the outside: real
 * redis-server processes (--requirepass, ACL users, --tls-port with certificates
 * made by openssl), real nodes sharing rooms through them, and every way of getting
 * it wrong: a wrong password (the node keeps running, says Redis' own words once,
 * in /healthz and on D-Bus), untrusted or expired certificates, missing files, bad
 * URLs (exit 1 with one line). A password must never show up in anything the node
 * prints or serves.
 */
#define G_LOG_DOMAIN "RcTestRedisAuthTls"

#include "config.h"

#include <glib/gstdio.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <string.h>

#include "rc-test-cluster.h"
#include "rc-test-harness.h"
#include "rc-test-redis-extra.h"

/* distinctive, so that finding it anywhere is a leak and nothing else */
#define SECRET "Pa55-w0rd-4e1c9"
#define WRONG_SECRET "Wr0ng-9b7d2"
#define ADMIN_SECRET "Adm1n-3c5a8"
#define WAIT rc_test_timeout(15000)

/* ---- helpers -------------------------------------------------------------------- */

/* A command on the server's own unix socket, as @user (the default user when
 * NULL) with @password (none when NULL); an error reply fails the test. */
static redisReply *
server_command_reply(RcTestRedisServer *server,
		     const gchar *user,
		     const gchar *password,
		     const gchar *const *argv)
{
	redisContext *ctx = redisConnectUnix(rc_test_redis_server_get_unix_path(server));
	redisReply *reply;
	guint argc = g_strv_length((gchar **)argv);

	g_assert_nonnull(ctx);
	g_assert_cmpint(ctx->err, ==, 0);
	if (password != NULL) {
		reply = user != NULL ? redisCommand(ctx, "AUTH %s %s", user, password)
				     : redisCommand(ctx, "AUTH %s", password);
		g_assert_nonnull(reply);
		g_assert_cmpint(reply->type, !=, REDIS_REPLY_ERROR);
		freeReplyObject(reply);
	}
	reply = redisCommandArgv(ctx, (int)argc, (const char **)argv, NULL);
	g_assert_nonnull(reply);
	if (reply->type == REDIS_REPLY_ERROR)
		g_error("%s: %s", argv[0], reply->str);
	redisFree(ctx);
	return reply;
}

static void
server_command(RcTestRedisServer *server,
	       const gchar *user,
	       const gchar *password,
	       const gchar *const *argv)
{
	freeReplyObject(server_command_reply(server, user, password, argv));
}

/* ACL LOG: the entries' "count" fields added up (one entry counts the
 * repetitions of the same refusal) */
static gint64
acl_log_count(RcTestRedisServer *server, const gchar *user, const gchar *password)
{
	const gchar *argv[] = {"ACL", "LOG", NULL};
	redisReply *reply = server_command_reply(server, user, password, argv);
	gint64 n = 0;

	g_assert_cmpint(reply->type, ==, REDIS_REPLY_ARRAY);
	for (gsize i = 0; i < reply->elements; i++) {
		redisReply *entry = reply->element[i];
		for (gsize j = 0; j + 1 < entry->elements; j += 2) {
			if (g_strcmp0(entry->element[j]->str, "count") == 0)
				n += entry->element[j + 1]->integer;
		}
	}
	freeReplyObject(reply);
	return n;
}

/* the MSG_TO_CLIENTS frame of message @id */
static JsonObject *
take_message(RcTestWs *ws, const gchar *id)
{
	for (guint i = 0; i < 8; i++) {
		JsonObject *msg = rc_test_ws_take(ws, "MSG_TO_CLIENTS", NULL, WAIT);
		if (g_strcmp0(rc_test_json_get_string(msg, "id"), id) == 0)
			return msg;
		json_object_unref(msg);
	}
	g_error("message %s never came", id);
	return NULL;
}

static gchar *
tcp_url(const gchar *scheme, const gchar *userinfo, const gchar *host, guint16 port)
{
	return g_strdup_printf("%s://%s%s%s:%u",
			       scheme,
			       userinfo != NULL ? userinfo : "",
			       userinfo != NULL ? "@" : "",
			       host,
			       port);
}

typedef struct {
	RcTestNode *node;
	const gchar *needle;
	guint status;
	gchar *body;
} HealthWait;

static gboolean
healthz_error_has(gpointer user_data)
{
	HealthWait *w = user_data;
	g_autoptr(RcTestHttpReply) reply = rc_test_http_get(w->node, "/healthz");
	g_autoptr(JsonObject) body = rc_test_json_parse_object(reply->body);
	const gchar *error = body != NULL ? rc_test_json_get_string(body, "error") : NULL;

	g_free(w->body);
	w->body = g_strdup(reply->body);
	w->status = reply->status;
	return error != NULL && strstr(error, w->needle) != NULL;
}

/* Waits until /healthz says why Redis is not there, with @needle in its "error";
 * returns the body. The node is disconnected meanwhile: 503. */
static gchar *
assert_healthz_error(RcTestNode *node, const gchar *needle)
{
	HealthWait w = {node, needle, 0, NULL};
	g_autoptr(JsonObject) body = NULL;

	if (!rc_test_wait_until(healthz_error_has, &w, WAIT))
		g_error("/healthz has no error with “%s”: %u %s", needle, w.status, w.body);
	body = rc_test_json_parse_object(w.body);
	g_assert_cmpuint(w.status, ==, 503);
	g_assert_cmpstr(rc_test_json_get_string(body, "redis"), ==, "disconnected");
	g_assert_cmpstr(rc_test_json_get_string(body, "status"), ==, "unavailable");
	return w.body;
}

static guint
count_stderr(RcTestNode *node, const gchar *needle)
{
	GPtrArray *lines = rc_test_node_get_stderr_lines(node);
	guint n = 0;

	for (guint i = 0; i < lines->len; i++)
		n += strstr(g_ptr_array_index(lines, i), needle) != NULL ? 1 : 0;
	return n;
}

static void
assert_nowhere_in_output(RcTestNode *node, const gchar *secret)
{
	GPtrArray *lines[] = {rc_test_node_get_stderr_lines(node),
			      rc_test_node_get_stdout_lines(node)};

	for (guint l = 0; l < G_N_ELEMENTS(lines); l++) {
		for (guint i = 0; i < lines[l]->len; i++) {
			if (strstr(g_ptr_array_index(lines[l], i), secret) != NULL)
				g_error("roomcastd printed a password: %s",
					(gchar *)g_ptr_array_index(lines[l], i));
		}
	}
}

/* a member on each node: what one sends, the other gets, through Redis */
static void
assert_rooms_shared(RcTestNode *a, RcTestNode *b, const gchar *room)
{
	g_autoptr(RcTestWs) wa = rc_test_ws_new(a, "sender=alice");
	g_autoptr(RcTestWs) wb = rc_test_ws_new(b, "sender=bob");
	g_autofree gchar *id = NULL;
	g_autoptr(JsonObject) got = NULL;
	g_autoptr(JsonObject) back = NULL;
	g_autofree gchar *id_back = NULL;

	rc_test_ws_join(wa, "/", room);
	rc_test_ws_join(wb, "/", room);
	id = rc_test_ws_send_message(wa, "/", room, "over a guarded Redis");
	got = take_message(wb, id);
	g_assert_cmpstr(rc_test_json_get_string(json_object_get_object_member(got, "msg"), "text"),
			==,
			"over a guarded Redis");
	id_back = rc_test_ws_send_message(wb, "/", room, "and back");
	back = take_message(wa, id_back);
	g_assert_cmpstr(
	    rc_test_json_get_string(json_object_get_object_member(back, "msg"), "sender"),
	    ==,
	    "bob");
}

/* Spawns roomcastd with @args, which must exit 1 at start with one line on
 * stderr matching @pattern and without @secret. */
static void
assert_start_refused(const gchar *const *args, const gchar *pattern, const gchar *secret)
{
	g_autoptr(RcTestNode) node = rc_test_node_spawn(args);
	GPtrArray *lines;
	guint n = 0;
	const gchar *line = NULL;

	g_assert_cmpint(rc_test_node_wait_exit(node, WAIT), ==, 1);
	lines = rc_test_node_get_stderr_lines(node);
	for (guint i = 0; i < lines->len; i++) {
		const gchar *l = g_ptr_array_index(lines, i);
		if (l[0] == '\0')
			continue;
		n++;
		line = l;
	}
	if (n != 1 || !g_pattern_match_simple(pattern, line))
		g_error("expected one line like “%s”, got %u, last “%s”", pattern, n, line);
	if (secret != NULL)
		g_assert_null(strstr(line, secret));
	g_assert_cmpuint(rc_test_node_get_stdout_lines(node)->len, ==, 0);
}

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
} NameWait;

static gboolean
name_owned(gpointer user_data)
{
	NameWait *w = user_data;
	g_autoptr(GVariant) reply = g_dbus_connection_call_sync(w->bus,
								"org.freedesktop.DBus",
								"/org/freedesktop/DBus",
								"org.freedesktop.DBus",
								"NameHasOwner",
								g_variant_new("(s)", w->name),
								G_VARIANT_TYPE("(b)"),
								G_DBUS_CALL_FLAGS_NONE,
								5000,
								NULL,
								NULL);
	gboolean owned = FALSE;
	if (reply != NULL)
		g_variant_get(reply, "(b)", &owned);
	return owned;
}

/* every property of the node's admin API, as one a{sv} */
static GVariant *
dbus_get_all(const gchar *name)
{
	g_autoptr(GDBusConnection) bus = session_bus();
	g_autoptr(GError) error = NULL;
	NameWait w = {bus, name};
	g_autoptr(GVariant) reply = NULL;

	g_assert_true(rc_test_wait_until(name_owned, &w, WAIT));
	reply = g_dbus_connection_call_sync(bus,
					    name,
					    "/org/roomcast",
					    "org.freedesktop.DBus.Properties",
					    "GetAll",
					    g_variant_new("(s)", "org.roomcast.Daemon"),
					    G_VARIANT_TYPE("(a{sv})"),
					    G_DBUS_CALL_FLAGS_NONE,
					    5000,
					    NULL,
					    &error);
	g_assert_no_error(error);
	return g_variant_get_child_value(reply, 0);
}

/* ---- AUTH --------------------------------------------------------------------------- */

static void
test_password(void)
{
	g_autoptr(RcTestRedisServer) server =
	    rc_test_redis_server_new("--requirepass", SECRET, NULL);
	guint16 port = rc_test_redis_server_get_port(server);
	g_autofree gchar *url = tcp_url("redis", ":" SECRET, "127.0.0.1", port);
	g_autofree gchar *unix_url = g_strdup_printf(
	    "unix:%s?password=%s", rc_test_redis_server_get_unix_path(server), SECRET);
	g_autoptr(RcTestNode) a =
	    rc_test_node_new("--port", "0", "--bus", "none", "--redis", url, NULL);
	g_autoptr(RcTestNode) b =
	    rc_test_node_new("--port", "0", "--bus", "none", "--redis", unix_url, NULL);

	rc_test_node_wait_redis_connected(a, WAIT);
	rc_test_node_wait_redis_connected(b, WAIT);
	assert_rooms_shared(a, b, "auth-password");
	/* the start line names Redis, with the password as *** */
	g_assert_nonnull(rc_test_node_wait_stderr(a, "bus redis://:***@127.0.0.1:", WAIT));
	g_assert_nonnull(rc_test_node_wait_stderr(b, "password=***", WAIT));
	assert_nowhere_in_output(a, SECRET);
	assert_nowhere_in_output(b, SECRET);
}

static void
test_wrong_password(void)
{
	g_autoptr(RcTestRedisServer) server =
	    rc_test_redis_server_new("--requirepass", SECRET, NULL);
	g_autofree gchar *url =
	    tcp_url("redis", ":" WRONG_SECRET, "127.0.0.1", rc_test_redis_server_get_port(server));
	g_autoptr(RcTestNode) node = rc_test_node_new("--port",
						      "0",
						      "--bus",
						      "session",
						      "--dbus-name",
						      "org.roomcast.wrongpass",
						      "--redis",
						      url,
						      NULL);
	g_autofree gchar *body = assert_healthz_error(node, "WRONGPASS");
	g_autoptr(GVariant) props = NULL;
	g_autofree gchar *props_text = NULL;
	const gchar *redis_error = NULL;
	gboolean connected = TRUE;
	const gchar *help_args[] = {g_getenv("ROOMCASTD"), "--redis", url, "--help", NULL};
	g_autofree gchar *help = NULL;
	gint help_status = -1;
	g_autoptr(GError) error = NULL;

	g_assert_null(strstr(body, WRONG_SECRET));
	/* it keeps serving its own clients meanwhile */
	{
		g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);
		rc_test_ws_ping(ws);
	}
	/* every link (three of them) retries with a backoff and Redis counts each
	 * refusal in ACL LOG, but the log says it once */
	rc_test_sleep(rc_test_timeout(3000));
	g_assert_cmpint(acl_log_count(server, NULL, SECRET), >, 3);
	g_assert_cmpuint(count_stderr(node, "WRONGPASS"), ==, 1);
	g_assert_nonnull(
	    rc_test_node_wait_stderr(node, "Redis refused the authentication: WRONGPASS", 0));

	/* D-Bus says the same, and no more */
	props = dbus_get_all("org.roomcast.wrongpass");
	g_assert_true(g_variant_lookup(props, "RedisConnected", "b", &connected));
	g_assert_false(connected);
	g_assert_true(g_variant_lookup(props, "RedisError", "&s", &redis_error));
	g_assert_nonnull(strstr(redis_error, "WRONGPASS"));
	props_text = g_variant_print(props, FALSE);
	g_assert_null(strstr(props_text, WRONG_SECRET));

	/* nor in --help, even with the URL on the command line */
	g_spawn_sync(NULL,
		     (gchar **)help_args,
		     NULL,
		     G_SPAWN_DEFAULT,
		     NULL,
		     NULL,
		     &help,
		     NULL,
		     &help_status,
		     &error);
	g_assert_no_error(error);
	g_assert_true(g_spawn_check_wait_status(help_status, NULL));
	g_assert_nonnull(strstr(help, "--redis"));
	g_assert_null(strstr(help, WRONG_SECRET));

	assert_nowhere_in_output(node, WRONG_SECRET);
	assert_nowhere_in_output(node, SECRET);
	g_assert_true(rc_test_node_is_running(node));
}

static void
write_secret(const gchar *path, const gchar *contents)
{
	g_autoptr(GError) error = NULL;

	g_file_set_contents_full(path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error);
	g_assert_no_error(error);
}

static void
test_password_file(void)
{
	g_autoptr(RcTestRedisServer) server =
	    rc_test_redis_server_new("--requirepass", SECRET, NULL);
	guint16 port = rc_test_redis_server_get_port(server);
	g_autofree gchar *secret_path =
	    g_build_filename(rc_test_redis_server_get_dir(server), "redis-password", NULL);
	g_autofree gchar *url = tcp_url("redis", NULL, "127.0.0.1", port);
	g_autofree gchar *wrong_url = tcp_url("redis", ":" WRONG_SECRET, "127.0.0.1", port);
	g_autofree gchar *config = NULL;
	g_autofree gchar *override_config = NULL;
	const gchar *path;
	g_autoptr(RcTestNode) node = NULL;
	g_autoptr(RcTestNode) other = NULL;
	g_autofree gchar *body = NULL;

	/* a wrong password first: the node waits for a right one */
	write_secret(secret_path, WRONG_SECRET "\n");
	config = g_strdup_printf("[redis]\nurl=%s\npassword_file=%s\n", url, secret_path);
	path = rc_test_write_config(config);
	node = rc_test_node_new("--port", "0", "--bus", "none", "--config", path, NULL);
	body = assert_healthz_error(node, "WRONGPASS");
	g_assert_null(strstr(body, WRONG_SECRET));

	/* the file is read again on SIGHUP: the right password connects at once */
	write_secret(secret_path, SECRET "\n");
	rc_test_node_signal(node, SIGHUP);
	g_assert_nonnull(rc_test_node_wait_stderr(node, "the Redis password changed", WAIT));
	rc_test_node_wait_redis_connected(node, WAIT);

	/* the file wins over a password in the URL */
	override_config =
	    g_strdup_printf("[redis]\nurl=%s\npassword_file=%s\n", wrong_url, secret_path);
	path = rc_test_write_config(override_config);
	other = rc_test_node_new("--port", "0", "--bus", "none", "--config", path, NULL);
	rc_test_node_wait_redis_connected(other, WAIT);
	assert_rooms_shared(node, other, "password-file");
	g_assert_nonnull(rc_test_node_wait_stderr(other, "bus redis://:***@127.0.0.1:", WAIT));

	assert_nowhere_in_output(node, SECRET);
	assert_nowhere_in_output(node, WRONG_SECRET);
	assert_nowhere_in_output(other, SECRET);
	assert_nowhere_in_output(other, WRONG_SECRET);
}

static void
test_password_file_errors(void)
{
	g_autofree gchar *dir = g_dir_make_tmp("roomcast-secret-XXXXXX", NULL);
	g_autofree gchar *missing = g_build_filename(dir, "missing", NULL);
	g_autofree gchar *empty = g_build_filename(dir, "empty", NULL);
	g_autofree gchar *two_lines = g_build_filename(dir, "two-lines", NULL);
	const gchar *cases[][2] = {
	    {missing, "roomcastd: *[redis] password_file: *missing*No such file*"},
	    {empty, "roomcastd: *[redis] password_file: “*empty” is empty"},
	    {two_lines,
	     "roomcastd: *[redis] password_file: “*two-lines” must hold the password "
	     "alone, on one line"},
	};

	write_secret(empty, "\n");
	write_secret(two_lines, SECRET "\nsecond line\n");
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *config = g_strdup_printf(
		    "[redis]\nurl=redis://127.0.0.1:1\npassword_file=%s\n", cases[i][0]);
		const gchar *path = rc_test_write_config(config);
		const gchar *args[] = {"--port", "0", "--bus", "none", "--config", path, NULL};

		assert_start_refused(args, cases[i][1], SECRET);
	}
	g_unlink(empty);
	g_unlink(two_lines);
	g_rmdir(dir);
}

static void
test_bad_urls(void)
{
	const gchar *cases[][2] = {
	    {"redis://:" SECRET "%zz@127.0.0.1:6390",
	     "Invalid Redis address: the password has an invalid "
	     "percent-escape*"},
	    {"redis://us%Gr:" SECRET "@127.0.0.1:6390",
	     "Invalid Redis address: the user name has an invalid "
	     "percent-escape*"},
	    {"redis://:" SECRET "@127.0.0.1:6390/99",
	     "Invalid Redis address: database 99 is out of range (0–15)"},
	    {"redis://:" SECRET "@127.0.0.1:6390/db" SECRET,
	     "Invalid Redis address: the database is not a number (0–15)"},
	    {"redis://:" SECRET "@127.0.0.1:" SECRET,
	     "Invalid Redis address: the port is not a number"},
	    {"unix:/tmp/redis.sock?password=" SECRET "%zz",
	     "Invalid Redis address: the password has an invalid "
	     "percent-escape*"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *config = NULL;
		const gchar *path;

		/* the line names where the address came from */
		{
			const gchar *args[] = {
			    "--port", "0", "--bus", "none", "--redis", cases[i][0], NULL};
			g_autofree gchar *want = g_strdup_printf("roomcastd: --redis: %s", cases[i][1]);
			assert_start_refused(args, want, SECRET);
		}
		/* the same from the config file */
		config = g_strdup_printf("[redis]\nurl=%s\n", cases[i][0]);
		path = rc_test_write_config(config);
		{
			const gchar *args[] = {
			    "--port", "0", "--bus", "none", "--config", path, NULL};
			g_autofree gchar *want =
			    g_strdup_printf("roomcastd: [redis] url: %s", cases[i][1]);
			assert_start_refused(args, want, SECRET);
		}
	}
}

/*
 * The commands roomcast needs, as documented in docs/admin.md: nothing else is
 * granted, and the keys and channels are those under the default channel name.
 */
static const gchar *const rc_test_minimal_acl[] = {"ACL",
						   "SETUSER",
						   "roomcast",
						   "reset",
						   "on",
						   ">" SECRET,
						   "~livechat:*",
						   "&livechat",
						   "&livechat:*",
						   "+ping",
						   "+subscribe",
						   "+unsubscribe",
						   "+publish",
						   "+evalsha",
						   "+eval",
						   "+script|load",
						   "+xgroup|create",
						   "+xreadgroup",
						   "+xack",
						   "+xautoclaim",
						   "+time",
						   "+hget",
						   "+hset",
						   "+hincrby",
						   "+hdel",
						   "+hgetall",
						   "+hvals",
						   "+del",
						   "+pexpire",
						   "+xadd",
						   "+xrange",
						   "+xrevrange",
						   "+zadd",
						   "+zscore",
						   "+zrem",
						   "+zrangebyscore",
						   "+zremrangebyrank",
						   NULL};

static void
test_acl_user(void)
{
	g_autoptr(RcTestRedisServer) server = rc_test_redis_server_new_argv(NULL);
	const gchar *admin[] = {
	    "ACL", "SETUSER", "admin", "on", ">" ADMIN_SECRET, "~*", "&*", "+@all", NULL};
	const gchar *default_off[] = {"ACL", "SETUSER", "default", "off", NULL};
	const gchar *fanouts[] = {"single", "per-room"};
	g_autofree gchar *url = tcp_url(
	    "redis", "roomcast:" SECRET, "127.0.0.1", rc_test_redis_server_get_port(server));

	server_command(server, NULL, NULL, admin);
	server_command(server, NULL, NULL, rc_test_minimal_acl);
	server_command(server, NULL, NULL, default_off);

	for (guint f = 0; f < G_N_ELEMENTS(fanouts); f++) {
		g_autofree gchar *config = g_strdup_printf(
		    "[redis]\nurl=%s\nfanout=%s\n[presence]\nttl=2\n", url, fanouts[f]);
		const gchar *path = rc_test_write_config(config);
		g_autoptr(RcTestNode) a = rc_test_node_new(
		    "--port", "0", "--bus", "none", "--node-id", "acl-a", "--config", path, NULL);
		g_autoptr(RcTestNode) b = rc_test_node_new(
		    "--port", "0", "--bus", "none", "--node-id", "acl-b", "--config", path, NULL);
		g_autoptr(RcTestWs) watcher = NULL;
		g_autoptr(RcTestWs) late = NULL;
		g_autoptr(JsonObject) presence = NULL;
		g_autoptr(JsonObject) members = NULL;
		g_autoptr(JsonObject) replay = NULL;
		g_autoptr(JsonObject) ingress = NULL;
		g_autofree gchar *room = g_strdup_printf("acl-%s", fanouts[f]);
		g_autofree gchar *payload = g_strdup_printf(
		    "{\"namespace\":\"/\",\"roomCode\":\"%s\",\"msg\":{\"sender\":\"ops\","
		    "\"text\":\"from the stream\"}}",
		    room);
		const gchar *xadd[] = {"XADD", "livechat:ingress", "*", "message", payload, NULL};

		rc_test_node_wait_redis_connected(a, WAIT);
		rc_test_node_wait_redis_connected(b, WAIT);
		/* publishing, history, presence, who and the ingress stream, across nodes */
		watcher = rc_test_ws_new(a, "sender=watcher");
		rc_test_ws_send_printf(
		    watcher, "{\"type\":\"join\",\"roomCode\":\"%s\",\"presence\":true}", room);
		json_object_unref(rc_test_ws_expect(watcher, "joined", WAIT));
		assert_rooms_shared(a, b, room);
		presence = rc_test_ws_take(watcher, "presence", NULL, WAIT);
		g_assert_cmpstr(rc_test_json_get_string(presence, "event"), ==, "join");
		rc_test_ws_send_printf(
		    watcher, "{\"type\":\"who\",\"roomCode\":\"%s\",\"ref\":\"w\"}", room);
		members = rc_test_ws_take(watcher, "members", "w", WAIT);
		g_assert_nonnull(json_object_get_array_member(members, "members"));
		late = rc_test_ws_new(b, "sender=late");
		rc_test_ws_send_printf(
		    late, "{\"type\":\"join\",\"roomCode\":\"%s\",\"history\":1}", room);
		json_object_unref(rc_test_ws_expect(late, "joined", WAIT));
		replay = rc_test_ws_expect(late, "MSG_TO_CLIENTS", WAIT);
		g_assert_cmpstr(
		    rc_test_json_get_string(json_object_get_object_member(replay, "msg"), "text"),
		    ==,
		    "and back");
		server_command(server, "admin", ADMIN_SECRET, xadd);
		ingress = rc_test_ws_take(late, "MSG_TO_CLIENTS", NULL, WAIT);
		g_assert_cmpstr(
		    rc_test_json_get_string(json_object_get_object_member(ingress, "msg"), "text"),
		    ==,
		    "from the stream");
		/* a node claims what others left pending every few seconds, and beats */
		rc_test_sleep(6000);
		g_assert_cmpuint(count_stderr(a, "NOPERM"), ==, 0);
		g_assert_cmpuint(count_stderr(b, "NOPERM"), ==, 0);
		assert_nowhere_in_output(a, SECRET);
	}
	/* Redis refused the nodes nothing */
	g_assert_cmpint(acl_log_count(server, "admin", ADMIN_SECRET), ==, 0);
}

/* what a Redis Cluster adds to the minimal ACL: sharded pub/sub and the layout */
static const gchar *const rc_test_cluster_acl[] = {"ACL",
						   "SETUSER",
						   "roomcast",
						   "+ssubscribe",
						   "+sunsubscribe",
						   "+spublish",
						   "+cluster|shards",
						   "+cluster|slots",
						   "+asking",
						   NULL};

/* a command to a cluster node as @user, after CONFIG SET requirepass */
static redisReply *
cluster_node_command(guint16 port,
		     const gchar *user,
		     const gchar *password,
		     const gchar *const *argv)
{
	redisContext *ctx = redisConnect("127.0.0.1", port);
	redisReply *reply;

	g_assert_nonnull(ctx);
	g_assert_cmpint(ctx->err, ==, 0);
	reply = redisCommand(ctx, "AUTH %s %s", user, password);
	g_assert_nonnull(reply);
	if (reply->type == REDIS_REPLY_ERROR)
		g_error("AUTH on %u: %s", port, reply->str);
	freeReplyObject(reply);
	reply =
	    redisCommandArgv(ctx, (int)g_strv_length((gchar **)argv), (const char **)argv, NULL);
	g_assert_nonnull(reply);
	if (reply->type == REDIS_REPLY_ERROR)
		g_error("%s on %u: %s", argv[0], port, reply->str);
	redisFree(ctx);
	return reply;
}

/* A Redis Cluster whose every node wants a password, and roomcast as an ACL user
 * with the minimal ACL: the seeds are URLs with the user name, the password file
 * reaches them and the masters learnt from them. */
static void
test_cluster_password_file(void)
{
	g_autoptr(RcTestCluster) cluster = rc_test_cluster_new();
	g_autofree gchar *dir = g_dir_make_tmp("roomcast-secret-XXXXXX", NULL);
	g_autofree gchar *secret_path = g_build_filename(dir, "password", NULL);
	g_autofree gchar *config = NULL;
	const gchar *path;
	g_autoptr(RcTestNode) a = NULL;
	g_autoptr(RcTestNode) b = NULL;
	g_auto(GStrv) seeds = g_strsplit(rc_test_cluster_get_seeds(cluster), ",", -1);
	g_autoptr(GString) urls = g_string_new(NULL);
	guint16 ports[16];
	guint n_ports = 0;
	const gchar *acl_log[] = {"ACL", "LOG", NULL};

	for (guint i = 0; seeds[i] != NULL && n_ports < G_N_ELEMENTS(ports); i++) {
		guint16 port = (guint16)g_ascii_strtoull(strrchr(seeds[i], ':') + 1, NULL, 10);
		const gchar *minimal[G_N_ELEMENTS(rc_test_minimal_acl)];
		redisReply *reply;

		memcpy(minimal, rc_test_minimal_acl, sizeof(minimal));
		g_free(rc_test_cluster_command(
		    cluster, port, "CONFIG", "SET", "masterauth", ADMIN_SECRET, NULL));
		g_free(rc_test_cluster_command(
		    cluster, port, "CONFIG", "SET", "requirepass", ADMIN_SECRET, NULL));
		reply = cluster_node_command(port, "default", ADMIN_SECRET, minimal);
		freeReplyObject(reply);
		reply = cluster_node_command(port, "default", ADMIN_SECRET, rc_test_cluster_acl);
		freeReplyObject(reply);
		g_string_append_printf(
		    urls, "%sredis://roomcast@127.0.0.1:%u", i > 0 ? "," : "", port);
		ports[n_ports++] = port;
	}
	write_secret(secret_path, SECRET "\n");
	config = g_strdup_printf("[redis]\ncluster=%s\npassword_file=%s\n", urls->str, secret_path);
	path = rc_test_write_config(config);
	a = rc_test_node_new("--port", "0", "--bus", "none", "--config", path, NULL);
	b = rc_test_node_new("--port", "0", "--bus", "none", "--config", path, NULL);
	rc_test_node_wait_redis_connected(a, WAIT);
	rc_test_node_wait_redis_connected(b, WAIT);
	assert_rooms_shared(a, b, "cluster-password");
	assert_rooms_shared(b, a, "cluster-password-2");
	assert_nowhere_in_output(a, SECRET);
	assert_nowhere_in_output(b, SECRET);
	/* no node refused roomcast anything */
	for (guint i = 0; i < n_ports; i++) {
		redisReply *reply =
		    cluster_node_command(ports[i], "default", ADMIN_SECRET, acl_log);
		if (reply->elements != 0)
			g_error("the minimal ACL is not enough on %u: ACL LOG has entries",
				ports[i]);
		freeReplyObject(reply);
	}
	g_unlink(secret_path);
	g_rmdir(dir);
}

/* ---- TLS ---------------------------------------------------------------------------- */

static gchar *
tls_config(const gchar *url, const gchar *ca, const gchar *cert, const gchar *key)
{
	GString *s = g_string_new("[redis]\n");

	g_string_append_printf(s, "url=%s\n", url);
	/* the default 2 s, but for a node under valgrind: its TLS handshake alone can
	 * take longer, and a timed-out attempt between two refusals makes the node
	 * say the refusal again */
	g_string_append_printf(s, "timeout=%u\n", rc_test_timeout(2000) / 1000);
	if (ca != NULL)
		g_string_append_printf(s, "tls_ca_file=%s\n", ca);
	if (cert != NULL)
		g_string_append_printf(s, "tls_cert_file=%s\n", cert);
	if (key != NULL)
		g_string_append_printf(s, "tls_key_file=%s\n", key);
	return g_string_free(s, FALSE);
}

static RcTestNode *
tls_node_new(const gchar *url, const gchar *ca, const gchar *cert, const gchar *key)
{
	g_autofree gchar *config = tls_config(url, ca, cert, key);
	const gchar *path = rc_test_write_config(config);

	return rc_test_node_new("--port", "0", "--bus", "none", "--config", path, NULL);
}

static void
test_tls(void)
{
	g_autoptr(RcTestTlsFiles) files = rc_test_tls_files_new();
	/* TLS only, and a password on top */
	const gchar *extra[] = {"--port", "0", "--requirepass", SECRET, NULL};
	g_autoptr(RcTestRedisServer) server =
	    rc_test_redis_server_new_tls_full(files, NULL, NULL, FALSE, extra);
	guint16 port = rc_test_redis_server_get_tls_port(server);
	g_autofree gchar *by_name = tcp_url("rediss", ":" SECRET, "localhost", port);
	g_autofree gchar *by_address = tcp_url("rediss", ":" SECRET, "127.0.0.1", port);
	g_autoptr(RcTestNode) a = tls_node_new(by_name, files->ca_cert, NULL, NULL);
	g_autoptr(RcTestNode) b = tls_node_new(by_address, files->ca_cert, NULL, NULL);

	rc_test_node_wait_redis_connected(a, WAIT);
	rc_test_node_wait_redis_connected(b, WAIT);
	assert_rooms_shared(a, b, "tls");
	g_assert_nonnull(rc_test_node_wait_stderr(a, "bus rediss://:***@localhost:", WAIT));
	assert_nowhere_in_output(a, SECRET);
	assert_nowhere_in_output(b, SECRET);
}

/* refused certificates: the node runs, disconnected, and says why once */
static void
assert_certificate_refused(RcTestNode *node, const gchar *why)
{
	g_autofree gchar *body = assert_healthz_error(node, why);

	g_assert_nonnull(strstr(body, "the server's certificate is refused"));
	rc_test_sleep(rc_test_timeout(2000));
	g_assert_cmpuint(count_stderr(node, "the server's certificate is refused"), ==, 1);
	g_assert_cmpuint(count_stderr(node, why), ==, 1);
	g_assert_true(rc_test_node_is_running(node));
}

static void
test_tls_untrusted(void)
{
	g_autoptr(RcTestTlsFiles) files = rc_test_tls_files_new();
	g_autoptr(RcTestRedisServer) server = rc_test_redis_server_new_tls(files, FALSE);
	g_autofree gchar *url =
	    tcp_url("rediss", NULL, "localhost", rc_test_redis_server_get_tls_port(server));
	g_autoptr(RcTestNode) node = tls_node_new(url, files->other_ca_cert, NULL, NULL);
	g_autofree gchar *why =
	    g_strdup_printf("it is not signed by a CA of %s", files->other_ca_cert);

	assert_certificate_refused(node, why);
}

/* the TLS keys with a redis:// URL: the node says they are unused, and works */
static void
test_tls_keys_without_tls(void)
{
	g_autoptr(RcTestTlsFiles) files = rc_test_tls_files_new();
	g_autoptr(RcTestRedisServer) server = rc_test_redis_server_new_argv(NULL);
	g_autofree gchar *url =
	    tcp_url("redis", NULL, "127.0.0.1", rc_test_redis_server_get_port(server));
	g_autoptr(RcTestNode) node = tls_node_new(url, files->ca_cert, NULL, NULL);

	g_assert_nonnull(rc_test_node_wait_stderr(
	    node, "are only used with rediss:// URLs: this node talks to Redis without TLS", WAIT));
	rc_test_node_wait_redis_connected(node, WAIT);
}

static void
test_tls_expired(void)
{
	g_autoptr(RcTestTlsFiles) files = rc_test_tls_files_new();
	g_autoptr(RcTestRedisServer) server = NULL;
	g_autofree gchar *url = NULL;
	g_autoptr(RcTestNode) node = NULL;

	rc_test_tls_files_make_expired(files);
	server = rc_test_redis_server_new_tls_full(
	    files, files->expired_cert, files->expired_key, FALSE, NULL);
	url = tcp_url("rediss", NULL, "localhost", rc_test_redis_server_get_tls_port(server));
	node = tls_node_new(url, files->ca_cert, NULL, NULL);
	assert_certificate_refused(node, "it has expired");
	/* the CA is right: nothing else is wrong with it */
	g_assert_cmpuint(count_stderr(node, "not signed"), ==, 0);
}

static void
test_tls_bad_files(void)
{
	g_autoptr(RcTestTlsFiles) files = rc_test_tls_files_new();
	g_autofree gchar *missing = g_build_filename(files->dir, "missing.crt", NULL);
	g_autofree gchar *garbage = g_build_filename(files->dir, "garbage.key", NULL);
	const gchar *url = "rediss://:" SECRET "@localhost:6390";
	struct {
		const gchar *ca, *cert, *key, *pattern;
	} cases[] = {
	    {missing, NULL, NULL, "roomcastd: *[redis] tls_ca_file: cannot load “*missing.crt”: *"},
	    /* a key is no CA certificate */
	    {files->client_key,
	     NULL,
	     NULL,
	     "roomcastd: *[redis] tls_ca_file: cannot load “*client.key”: *"},
	    {files->ca_cert,
	     files->client_cert,
	     NULL,
	     "roomcastd: *[redis] tls_cert_file and tls_key_file go together: set both or neither"},
	    {files->ca_cert,
	     NULL,
	     files->client_key,
	     "roomcastd: *[redis] tls_cert_file and tls_key_file go together: set both or neither"},
	    {files->ca_cert,
	     files->client_cert,
	     missing,
	     "roomcastd: *[redis] tls_cert_file, tls_key_file: cannot load “*client.crt” with its "
	     "key "
	     "“*missing.crt”: *"},
	    {files->ca_cert,
	     files->client_cert,
	     garbage,
	     "roomcastd: *[redis] tls_cert_file, tls_key_file: cannot load “*client.crt” with its "
	     "key "
	     "“*garbage.key”: *"},
	};
	g_autoptr(GError) error = NULL;

	g_file_set_contents(garbage, "-----BEGIN PRIVATE KEY-----\nnot a key\n", -1, &error);
	g_assert_no_error(error);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *config =
		    tls_config(url, cases[i].ca, cases[i].cert, cases[i].key);
		const gchar *path = rc_test_write_config(config);
		const gchar *args[] = {"--port", "0", "--bus", "none", "--config", path, NULL};

		assert_start_refused(args, cases[i].pattern, SECRET);
	}
}

static void
test_tls_client_certificate(void)
{
	g_autoptr(RcTestTlsFiles) files = rc_test_tls_files_new();
	g_autoptr(RcTestRedisServer) server = rc_test_redis_server_new_tls(files, TRUE);
	g_autofree gchar *url =
	    tcp_url("rediss", NULL, "localhost", rc_test_redis_server_get_tls_port(server));
	g_autoptr(RcTestNode) without = tls_node_new(url, files->ca_cert, NULL, NULL);
	g_autoptr(RcTestNode) with =
	    tls_node_new(url, files->ca_cert, files->client_cert, files->client_key);
	HealthWait w = {without, "TLS", 0, NULL};

	rc_test_node_wait_redis_connected(with, WAIT);
	/* the server hangs up on a client without a certificate: whatever GIO calls
	 * it, the node stays disconnected and says it was the TLS layer */
	if (!rc_test_wait_until(healthz_error_has, &w, WAIT))
		g_error("no TLS error in /healthz: %u %s", w.status, w.body);
	g_assert_cmpuint(w.status, ==, 503);
	g_free(w.body);
	g_assert_true(rc_test_node_is_running(without));
}

int
main(int argc, char **argv)
{
	g_autoptr(GTestDBus) bus = NULL;
	int ret;

	rc_test_init(&argc, &argv);
	/* a private session bus for the D-Bus checks; every roomcastd inherits it */
	bus = g_test_dbus_new(G_TEST_DBUS_NONE);
	g_test_dbus_up(bus);

	g_test_add_func("/redis/auth/password", test_password);
	g_test_add_func("/redis/auth/wrong-password", test_wrong_password);
	g_test_add_func("/redis/auth/password-file", test_password_file);
	g_test_add_func("/redis/auth/password-file-errors", test_password_file_errors);
	g_test_add_func("/redis/auth/bad-urls", test_bad_urls);
	g_test_add_func("/redis/auth/acl-user", test_acl_user);
	g_test_add_func("/redis/auth/cluster-password-file", test_cluster_password_file);
	if (rc_test_redis_server_has_tls()) {
		g_test_add_func("/redis/tls/connect", test_tls);
		g_test_add_func("/redis/tls/untrusted", test_tls_untrusted);
		g_test_add_func("/redis/tls/keys-without-tls", test_tls_keys_without_tls);
		g_test_add_func("/redis/tls/expired", test_tls_expired);
		g_test_add_func("/redis/tls/bad-files", test_tls_bad_files);
		g_test_add_func("/redis/tls/client-certificate", test_tls_client_certificate);
	} else {
		g_test_message("redis-server has no TLS: the TLS tests are not run");
	}
	ret = g_test_run();
	g_test_dbus_down(bus);
	return ret;
}
