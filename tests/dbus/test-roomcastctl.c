/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * roomcastctl as a user runs it: output, --json parsed back, exit codes and the
 * German translation, against a real roomcastd on a private session bus.
 */
#define G_LOG_DOMAIN "RcTestCtl"

#include "config.h"

#include <string.h>

#include "rc-test-harness.h"

typedef struct {
	gint status;
	gchar *out;
	gchar *err;
} CtlResult;

static void
ctl_result_free(CtlResult *r)
{
	g_free(r->out);
	g_free(r->err);
	g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CtlResult, ctl_result_free)

typedef struct {
	GSubprocess *proc;
	gboolean done;
	gchar *out;
	gchar *err;
	GError *error;
} CtlRun;

static void
ctl_communicate_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	CtlRun *run = user_data;
	g_subprocess_communicate_utf8_finish(
	    G_SUBPROCESS(source), res, &run->out, &run->err, &run->error);
	run->done = TRUE;
}

static gboolean
ctl_done(gpointer user_data)
{
	return ((CtlRun *)user_data)->done;
}

/* @env: NULL or "NAME=VALUE" / "-NAME" (unset) entries; @args NULL-terminated */
static CtlResult *
ctl_runv(const gchar *const *env, const gchar *const *args)
{
	const gchar *ctl = g_getenv("ROOMCASTCTL");
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
	    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *cmdline = NULL;
	CtlRun run = {0};
	CtlResult *r;

	g_assert_nonnull(ctl);
	g_ptr_array_add(argv, (gpointer)ctl);
	for (guint i = 0; args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);
	cmdline = g_strjoinv(" ", (gchar **)argv->pdata);

	for (guint i = 0; env != NULL && env[i] != NULL; i++) {
		if (env[i][0] == '-') {
			g_subprocess_launcher_unsetenv(launcher, env[i] + 1);
		} else {
			g_auto(GStrv) kv = g_strsplit(env[i], "=", 2);
			g_subprocess_launcher_setenv(launcher, kv[0], kv[1], TRUE);
		}
	}
	run.proc =
	    g_subprocess_launcher_spawnv(launcher, (const gchar *const *)argv->pdata, &error);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8_async(run.proc, NULL, NULL, ctl_communicate_cb, &run);
	if (!rc_test_wait_until(ctl_done, &run, rc_test_timeout(15000)))
		g_error("%s did not finish in time", cmdline);
	g_assert_no_error(run.error);
	g_subprocess_wait(run.proc, NULL, NULL);
	g_assert_true(g_subprocess_get_if_exited(run.proc));

	r = g_new0(CtlResult, 1);
	r->status = g_subprocess_get_exit_status(run.proc);
	r->out = run.out != NULL ? run.out : g_strdup("");
	r->err = run.err != NULL ? run.err : g_strdup("");
	g_object_unref(run.proc);
	g_test_message("%s → %d\nstdout: %s\nstderr: %s", cmdline, r->status, r->out, r->err);
	return r;
}

static CtlResult *
ctl_run_env(const gchar *const *env, const gchar *first_arg, ...)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	va_list ap;

	va_start(ap, first_arg);
	for (const gchar *a = first_arg; a != NULL; a = va_arg(ap, const gchar *))
		g_ptr_array_add(args, (gpointer)a);
	va_end(ap);
	g_ptr_array_add(args, NULL);
	return ctl_runv(env, (const gchar *const *)args->pdata);
}

#define ctl_run(...) ctl_run_env(NULL, __VA_ARGS__)

static JsonNode *
parse_json(const gchar *text)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;

	json_parser_load_from_data(parser, text, -1, &error);
	g_assert_no_error(error);
	return json_node_copy(json_parser_get_root(parser));
}

static void
assert_contains(const gchar *haystack, const gchar *needle)
{
	if (strstr(haystack, needle) == NULL)
		g_error("“%s” not found in:\n%s", needle, haystack);
}

/* ---- without a daemon ------------------------------------------------------------- */

static void
test_help(void)
{
	g_autoptr(CtlResult) r = ctl_run("--help", NULL);
	const gchar *commands[] = {"status",
				   "rooms",
				   "room NS ROOM",
				   "clients NS ROOM",
				   "kick CLIENT [REASON]",
				   "close-room NS ROOM [REASON]",
				   "publish NS ROOM SENDER TEXT",
				   "reload"};

	g_assert_cmpint(r->status, ==, 0);
	assert_contains(r->out, "Commands:");
	for (guint i = 0; i < G_N_ELEMENTS(commands); i++)
		assert_contains(r->out, commands[i]);
	assert_contains(r->out, "--system");
	assert_contains(r->out, "--session");
	assert_contains(r->out, "--dest");
	assert_contains(r->out, "--json");
	assert_contains(r->out, "session bus unless --system");
}

static void
test_help_german(void)
{
	/* as a user types it, with and without a UTF-8 locale around it */
	const gchar *env_utf8[] = {"LANGUAGE=de", NULL};
	const gchar *env_bare[] = {"LANGUAGE=de", "-LC_ALL", "-LANG", "-LC_MESSAGES", NULL};
	const gchar *const *envs[] = {env_utf8, env_bare};

	for (guint i = 0; i < G_N_ELEMENTS(envs); i++) {
		g_autoptr(CtlResult) r = ctl_run_env(envs[i], "--help", NULL);
		g_assert_cmpint(r->status, ==, 0);
		assert_contains(r->out, "Befehle:");
		assert_contains(r->out, "Sitzungsbus");
		assert_contains(r->out, "Die Räume auflisten");
		g_assert_null(strstr(r->out, "Commands:"));
	}
	{
		/* usage errors are translated too, and keep their exit code */
		g_autoptr(CtlResult) r = ctl_run_env(env_utf8, "frobnicate", NULL);
		g_assert_cmpint(r->status, ==, 1);
		assert_contains(r->err, "unbekannter Befehl");
	}
}

static void
test_usage_errors(void)
{
	const gchar *const cases[][6] = {
	    {NULL},
	    {"frobnicate", NULL},
	    {"room", "/", NULL},
	    {"status", "extra", NULL},
	    {"publish", "/", "room_1", NULL},
	    {"--bogus", "status", NULL},
	    {"--system", "--session", "status", NULL},
	    {"--dest", "not a bus name", "status", NULL},
	    /* refused before anything is sent: GVariant would send other text */
	    {"publish", "/", "room_1", "ops", "\xff\xfe", NULL},
	    {"kick", "c1-1", "bye \xc3", NULL},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(CtlResult) r = ctl_runv(NULL, cases[i]);
		g_assert_cmpint(r->status, ==, 1);
		g_assert_cmpstr(r->out, ==, "");
		assert_contains(r->err, "roomcastctl: ");
		assert_contains(r->err, "roomcastctl --help");
		if (i >= G_N_ELEMENTS(cases) - 2)
			assert_contains(r->err, "is not valid UTF-8");
	}
}

static void
test_not_running(void)
{
	g_autoptr(CtlResult) r = ctl_run("--dest", "org.roomcast.Nobody", "status", NULL);

	g_assert_cmpint(r->status, ==, 2);
	g_assert_cmpstr(r->out, ==, "");
	assert_contains(r->err, "org.roomcast.Nobody is not running on the session bus");
}

static void
test_no_bus(void)
{
	const gchar *env[] = {"DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/roomcast-bus", NULL};
	g_autoptr(CtlResult) r = ctl_run_env(env, "--system", "status", NULL);

	g_assert_cmpint(r->status, ==, 2);
	g_assert_cmpstr(r->out, ==, "");
	assert_contains(r->err, "roomcastctl: cannot connect to the system bus: ");
}

/* ---- against a daemon ------------------------------------------------------------- */

#define DEST "org.roomcast.TestCtl"

typedef struct {
	const gchar *member;
	gint64 value;
} StatusCheck;

static gboolean
status_member_is(gpointer user_data)
{
	StatusCheck *check = user_data;
	g_autoptr(CtlResult) r = ctl_run("--dest", DEST, "--json", "status", NULL);
	g_autoptr(JsonNode) root = NULL;

	if (r->status != 0)
		return FALSE;
	root = parse_json(r->out);
	return json_object_get_int_member(json_node_get_object(root), check->member) ==
	       check->value;
}

static void
wait_status(const gchar *member, gint64 value)
{
	StatusCheck check = {member, value};
	if (!rc_test_wait_until(status_member_is, &check, rc_test_timeout(5000)))
		g_error("status never showed %s = %" G_GINT64_FORMAT, member, value);
}

static gboolean
name_owned(gpointer user_data)
{
	g_autoptr(CtlResult) r = ctl_run("--dest", DEST, "status", NULL);
	return r->status == 0;
}

static void
test_commands(void)
{
	const gchar *config = rc_test_write_config("[limits]\nmax_text_bytes=100\n");
	g_autoptr(RcTestNode) node = rc_test_node_new("--port",
						      "0",
						      "--bus",
						      "session",
						      "--dbus-name",
						      DEST,
						      "--node-id",
						      "ctl-node",
						      "--config",
						      config,
						      NULL);
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, "sender=alice");
	const gchar *client_id = rc_test_ws_get_client_id(ws);

	g_assert_true(rc_test_wait_until(name_owned, NULL, rc_test_timeout(5000)));
	rc_test_ws_join(ws, "/", "room_1");
	g_free(rc_test_ws_send_message(ws, "/", "room_1", "first"));

	/* status, for people and for scripts */
	wait_status("Connections", 1);
	wait_status("MessagesReceived", 1);
	{
		g_autoptr(CtlResult) r = ctl_run("--dest", DEST, "status", NULL);
		g_autoptr(GRegex) re = g_regex_new("^Connections: +1$", G_REGEX_MULTILINE, 0, NULL);
		g_assert_cmpint(r->status, ==, 0);
		assert_contains(r->out, "ctl-node");
		assert_contains(r->out, PACKAGE_VERSION);
		assert_contains(r->out, "not connected");
		assert_contains(r->out, "(none)");
		g_assert_true(g_regex_match(re, r->out, 0, NULL));
	}
	{
		g_autoptr(CtlResult) r = ctl_run("--dest", DEST, "--json", "status", NULL);
		g_autoptr(JsonNode) root = parse_json(r->out);
		JsonObject *o = json_node_get_object(root);
		g_assert_cmpint(r->status, ==, 0);
		g_assert_cmpstr(json_object_get_string_member(o, "Version"), ==, PACKAGE_VERSION);
		g_assert_cmpstr(json_object_get_string_member(o, "NodeId"), ==, "ctl-node");
		g_assert_cmpint(json_object_get_int_member(o, "Rooms"), ==, 1);
		g_assert_false(json_object_get_boolean_member(o, "RedisConnected"));
		g_assert_cmpint(json_object_get_int_member(o, "MessagesDelivered"), ==, 1);
		g_assert_cmpuint(
		    json_array_get_length(json_object_get_array_member(o, "Plugins")), ==, 0);
	}

	/* rooms */
	{
		g_autoptr(CtlResult) r = ctl_run("--dest", DEST, "rooms", NULL);
		g_autoptr(GRegex) re = g_regex_new("^/ +room_1 +1$", G_REGEX_MULTILINE, 0, NULL);
		g_assert_cmpint(r->status, ==, 0);
		assert_contains(r->out, "NAMESPACE");
		g_assert_true(g_regex_match(re, r->out, 0, NULL));
	}
	{
		g_autoptr(CtlResult) r = ctl_run("--dest", DEST, "--json", "rooms", NULL);
		g_autoptr(JsonNode) root = parse_json(r->out);
		JsonArray *a = json_node_get_array(root);
		JsonObject *room;
		g_assert_cmpuint(json_array_get_length(a), ==, 1);
		room = json_array_get_object_element(a, 0);
		g_assert_cmpstr(json_object_get_string_member(room, "namespace"), ==, "/");
		g_assert_cmpstr(json_object_get_string_member(room, "roomCode"), ==, "room_1");
		g_assert_cmpint(json_object_get_int_member(room, "members"), ==, 1);
	}

	/* room */
	{
		g_autoptr(CtlResult) r =
		    ctl_run("--dest", DEST, "--json", "room", "/", "room_1", NULL);
		g_autoptr(JsonNode) root = parse_json(r->out);
		JsonObject *o = json_node_get_object(root);
		g_assert_cmpint(r->status, ==, 0);
		g_assert_cmpint(json_object_get_int_member(o, "members"), ==, 1);
		g_assert_cmpint(json_object_get_int_member(o, "messages"), ==, 1);
	}
	{
		g_autoptr(CtlResult) r = ctl_run("--dest", DEST, "room", "/", "room_1", NULL);
		g_autoptr(GRegex) re = g_regex_new("^Members: +1$", G_REGEX_MULTILINE, 0, NULL);
		g_assert_cmpint(r->status, ==, 0);
		g_assert_true(g_regex_match(re, r->out, 0, NULL));
	}
	{
		g_autoptr(CtlResult) r = ctl_run("--dest", DEST, "room", "/", "nope", NULL);
		g_assert_cmpint(r->status, ==, 2);
		g_assert_cmpstr(r->out, ==, "");
		assert_contains(r->err, "nope");
		/* the D-Bus error name prefix is stripped: people get the message */
		g_assert_null(strstr(r->err, "org.roomcast.Error"));
	}
	{
		g_autoptr(CtlResult) r =
		    ctl_run("--dest", DEST, "room", "no-slash", "room_1", NULL);
		g_assert_cmpint(r->status, ==, 2);
		assert_contains(r->err, "roomcastctl: ");
	}

	/* clients */
	{
		g_autoptr(CtlResult) r =
		    ctl_run("--dest", DEST, "--json", "clients", "/", "room_1", NULL);
		g_autoptr(JsonNode) root = parse_json(r->out);
		JsonArray *a = json_node_get_array(root);
		JsonObject *c;
		g_assert_cmpint(r->status, ==, 0);
		g_assert_cmpuint(json_array_get_length(a), ==, 1);
		c = json_array_get_object_element(a, 0);
		g_assert_cmpstr(json_object_get_string_member(c, "id"), ==, client_id);
		g_assert_cmpstr(json_object_get_string_member(c, "sender"), ==, "alice");
		g_assert_true(
		    g_str_has_prefix(json_object_get_string_member(c, "peer"), "127.0.0.1:"));
	}
	{
		g_autoptr(CtlResult) r = ctl_run("--dest", DEST, "clients", "/", "room_1", NULL);
		g_assert_cmpint(r->status, ==, 0);
		assert_contains(r->out, "SENDER");
		assert_contains(r->out, client_id);
		assert_contains(r->out, "alice");
	}

	/* publish: the printed id is the one the member sees */
	{
		g_autoptr(CtlResult) r = ctl_run(
		    "--dest", DEST, "publish", "/", "room_1", "ops", "hello from the shell", NULL);
		g_autoptr(JsonObject) msg = NULL;
		g_autofree gchar *id = NULL;
		g_assert_cmpint(r->status, ==, 0);
		id = g_strstrip(g_strdup(r->out));
		g_assert_cmpstr(id, !=, "");
		/* skip our own "first" message */
		msg = rc_test_ws_take(ws, "MSG_TO_CLIENTS", NULL, rc_test_timeout(3000));
		g_clear_pointer(&msg, json_object_unref);
		msg = rc_test_ws_take(ws, "MSG_TO_CLIENTS", NULL, rc_test_timeout(3000));
		g_assert_cmpstr(rc_test_json_get_string(msg, "id"), ==, id);
		g_assert_cmpstr(
		    rc_test_json_get_string(json_object_get_object_member(msg, "msg"), "text"),
		    ==,
		    "hello from the shell");
	}
	{
		g_autoptr(CtlResult) r = ctl_run(
		    "--dest", DEST, "--json", "publish", "/", "room_1", "ops", "json too", NULL);
		g_autoptr(JsonNode) root = parse_json(r->out);
		g_autoptr(JsonObject) msg =
		    rc_test_ws_take(ws, "MSG_TO_CLIENTS", NULL, rc_test_timeout(3000));
		g_assert_cmpint(r->status, ==, 0);
		g_assert_cmpstr(json_object_get_string_member(json_node_get_object(root), "id"),
				==,
				rc_test_json_get_string(msg, "id"));
	}
	{
		/* after "--" a dash is text, not an option */
		g_autoptr(CtlResult) r =
		    ctl_run("--dest", DEST, "publish", "/", "room_1", "ops", "--", "-1", NULL);
		g_autoptr(JsonObject) msg =
		    rc_test_ws_take(ws, "MSG_TO_CLIENTS", NULL, rc_test_timeout(3000));
		g_assert_cmpint(r->status, ==, 0);
		g_assert_cmpstr(
		    rc_test_json_get_string(json_object_get_object_member(msg, "msg"), "text"),
		    ==,
		    "-1");
	}
	{
		/* over the live limit of 100 bytes */
		g_autofree gchar *text = g_strnfill(150, 'x');
		g_autoptr(CtlResult) r =
		    ctl_run("--dest", DEST, "publish", "/", "room_1", "ops", text, NULL);
		g_assert_cmpint(r->status, ==, 2);
		g_assert_cmpstr(r->out, ==, "");
		rc_test_ws_expect_silence(ws, 200);
	}

	/* close-room, JSON and human */
	{
		g_autoptr(CtlResult) r =
		    ctl_run("--dest", DEST, "--json", "close-room", "/", "room_1", "bye now", NULL);
		g_autoptr(JsonNode) root = parse_json(r->out);
		g_autoptr(JsonObject) left =
		    rc_test_ws_take(ws, "left", NULL, rc_test_timeout(3000));
		g_assert_cmpint(r->status, ==, 0);
		g_assert_cmpint(
		    json_object_get_int_member(json_node_get_object(root), "removed"), ==, 1);
		g_assert_cmpstr(rc_test_json_get_string(left, "reason"), ==, "bye now");
		rc_test_ws_ping(ws);
	}
	rc_test_ws_join(ws, "/", "room_1");
	{
		g_autoptr(CtlResult) r = ctl_run("--dest", DEST, "close-room", "/", "room_1", NULL);
		g_autoptr(JsonObject) left =
		    rc_test_ws_take(ws, "left", NULL, rc_test_timeout(3000));
		g_assert_cmpint(r->status, ==, 0);
		g_assert_cmpstr(r->out, ==, "1 client removed\n");
		g_assert_cmpstr(
		    rc_test_json_get_string(left, "reason"), ==, "closed by an administrator");
	}
	{
		g_autoptr(CtlResult) r = ctl_run("--dest", DEST, "close-room", "/", "room_1", NULL);
		g_assert_cmpint(r->status, ==, 2);
	}

	/* reload: fine, then a broken file */
	{
		g_autoptr(CtlResult) r = ctl_run("--dest", DEST, "--json", "reload", NULL);
		g_autoptr(JsonNode) root = parse_json(r->out);
		g_assert_cmpint(r->status, ==, 0);
		g_assert_true(JSON_NODE_HOLDS_OBJECT(root));
	}
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(CtlResult) r = NULL;
		g_file_set_contents(config, "[limits]\nmax_text_bytes=lots\n", -1, &error);
		g_assert_no_error(error);
		r = ctl_run("--dest", DEST, "reload", NULL);
		g_assert_cmpint(r->status, ==, 2);
		assert_contains(r->err, "max_text_bytes");
	}

	/* kick: unknown, then for real */
	{
		g_autoptr(CtlResult) r = ctl_run("--dest", DEST, "kick", "no-such-client", NULL);
		g_assert_cmpint(r->status, ==, 2);
		assert_contains(r->err, "roomcastctl: ");
		rc_test_ws_ping(ws);
	}
	{
		g_autoptr(CtlResult) r =
		    ctl_run("--dest", DEST, "kick", client_id, "go away", NULL);
		g_assert_cmpint(r->status, ==, 0);
		g_assert_cmpstr(r->out, ==, "");
		g_assert_cmpuint(rc_test_ws_wait_closed(ws, rc_test_timeout(3000)), ==, 1008);
		g_assert_cmpstr(
		    soup_websocket_connection_get_close_data(rc_test_ws_get_connection(ws)),
		    ==,
		    "go away");
	}
	wait_status("Connections", 0);
	{
		g_autoptr(CtlResult) r = ctl_run("--dest", DEST, "rooms", NULL);
		g_assert_cmpint(r->status, ==, 0);
		g_assert_cmpstr(r->out, ==, "No rooms on this node.\n");
	}
}

#define DEST_MEMBERS "org.roomcast.TestCtlMembers"

typedef struct {
	guint n;
	gchar *out;
} MembersCount;

static gboolean
members_count_is(gpointer user_data)
{
	MembersCount *check = user_data;
	g_autoptr(CtlResult) r =
	    ctl_run("--dest", DEST_MEMBERS, "--json", "members", "/", "room_1", NULL);
	g_autoptr(JsonNode) root = NULL;

	if (r->status != 0)
		return FALSE;
	root = parse_json(r->out);
	g_free(check->out);
	check->out = g_strdup(r->out);
	return json_array_get_length(json_node_get_array(root)) == check->n;
}

/* members: everyone in the room on every node, for people and for scripts */
static void
test_members(void)
{
	g_autoptr(RcTestRedis) redis = rc_test_redis_new();
	g_autoptr(RcTestNode) here = rc_test_node_new("--port",
						      "0",
						      "--bus",
						      "session",
						      "--dbus-name",
						      DEST_MEMBERS,
						      "--node-id",
						      "ctl-a",
						      "--redis",
						      rc_test_redis_get_url(redis),
						      NULL);
	g_autoptr(RcTestNode) there = rc_test_node_new("--port",
						       "0",
						       "--bus",
						       "none",
						       "--node-id",
						       "ctl-b",
						       "--redis",
						       rc_test_redis_get_url(redis),
						       NULL);
	g_autoptr(RcTestWs) alice = NULL;
	g_autoptr(RcTestWs) bob = NULL;
	MembersCount count = {2, NULL};

	rc_test_node_wait_redis_connected(here, 5000);
	rc_test_node_wait_redis_connected(there, 5000);
	alice = rc_test_ws_new(here, "sender=alice");
	bob = rc_test_ws_new(there, "sender=bob");
	rc_test_ws_join(alice, "/", "room_1");
	rc_test_ws_join(bob, "/", "room_1");
	/* a join is in Redis a moment after its reply */
	if (!rc_test_wait_until(members_count_is, &count, rc_test_timeout(5000)))
		g_error("members never listed 2: %s", count.out);
	g_free(count.out);

	{
		g_autoptr(CtlResult) r =
		    ctl_run("--dest", DEST_MEMBERS, "--json", "members", "/", "room_1", NULL);
		g_autoptr(JsonNode) root = parse_json(r->out);
		JsonArray *a = json_node_get_array(root);
		gboolean seen_alice = FALSE, seen_bob = FALSE;

		g_assert_cmpint(r->status, ==, 0);
		g_assert_cmpuint(json_array_get_length(a), ==, 2);
		for (guint i = 0; i < 2; i++) {
			JsonObject *m = json_array_get_object_element(a, i);
			const gchar *client = json_object_get_string_member(m, "client");
			/* client, sender, node and nothing else */
			g_assert_cmpuint(json_object_get_size(m), ==, 3);
			if (g_strcmp0(client, rc_test_ws_get_client_id(alice)) == 0) {
				g_assert_cmpstr(
				    json_object_get_string_member(m, "sender"), ==, "alice");
				g_assert_cmpstr(
				    json_object_get_string_member(m, "node"), ==, "ctl-a");
				seen_alice = TRUE;
			} else {
				g_assert_cmpstr(client, ==, rc_test_ws_get_client_id(bob));
				g_assert_cmpstr(
				    json_object_get_string_member(m, "sender"), ==, "bob");
				g_assert_cmpstr(
				    json_object_get_string_member(m, "node"), ==, "ctl-b");
				seen_bob = TRUE;
			}
		}
		g_assert_true(seen_alice && seen_bob);
	}
	{
		g_autoptr(CtlResult) r =
		    ctl_run("--dest", DEST_MEMBERS, "members", "/", "room_1", NULL);
		g_autofree gchar *alice_row =
		    g_strdup_printf("^%s +alice +ctl-a$", rc_test_ws_get_client_id(alice));
		g_autofree gchar *bob_row =
		    g_strdup_printf("^%s +bob +ctl-b$", rc_test_ws_get_client_id(bob));
		g_autoptr(GRegex) header =
		    g_regex_new("^CLIENT +SENDER +NODE$", G_REGEX_MULTILINE, 0, NULL);
		g_autoptr(GRegex) re_a = g_regex_new(alice_row, G_REGEX_MULTILINE, 0, NULL);
		g_autoptr(GRegex) re_b = g_regex_new(bob_row, G_REGEX_MULTILINE, 0, NULL);
		g_auto(GStrv) lines = NULL;

		g_assert_cmpint(r->status, ==, 0);
		g_assert_true(g_regex_match(header, r->out, 0, NULL));
		g_assert_true(g_regex_match(re_a, r->out, 0, NULL));
		g_assert_true(g_regex_match(re_b, r->out, 0, NULL));
		/* the header and two rows */
		lines = g_strsplit(r->out, "\n", -1);
		g_assert_cmpuint(g_strv_length(lines), ==, 4);
		g_assert_cmpstr(lines[3], ==, "");
	}
	/* clients stays local */
	{
		g_autoptr(CtlResult) r =
		    ctl_run("--dest", DEST_MEMBERS, "--json", "clients", "/", "room_1", NULL);
		g_autoptr(JsonNode) root = parse_json(r->out);
		g_assert_cmpint(r->status, ==, 0);
		g_assert_cmpuint(json_array_get_length(json_node_get_array(root)), ==, 1);
	}
	/* nobody there */
	{
		g_autoptr(CtlResult) r =
		    ctl_run("--dest", DEST_MEMBERS, "members", "/", "empty", NULL);
		g_assert_cmpint(r->status, ==, 0);
		g_assert_cmpstr(r->out, ==, "Nobody is in this room on any node.\n");
	}
	{
		g_autoptr(CtlResult) r =
		    ctl_run("--dest", DEST_MEMBERS, "--json", "members", "/", "empty", NULL);
		g_autoptr(JsonNode) root = parse_json(r->out);
		g_assert_cmpint(r->status, ==, 0);
		g_assert_true(JSON_NODE_HOLDS_ARRAY(root));
		g_assert_cmpuint(json_array_get_length(json_node_get_array(root)), ==, 0);
	}
	/* bad names: the daemon's message, exit 2; wrong arguments: usage, exit 1 */
	{
		g_autoptr(CtlResult) r =
		    ctl_run("--dest", DEST_MEMBERS, "members", "/", "bad room", NULL);
		g_assert_cmpint(r->status, ==, 2);
		g_assert_cmpstr(r->out, ==, "");
		assert_contains(r->err, "roomcastctl: ");
		g_assert_null(strstr(r->err, "org.roomcast.Error"));
	}
	{
		g_autoptr(CtlResult) r = ctl_run("--dest", DEST_MEMBERS, "members", "/", NULL);
		g_assert_cmpint(r->status, ==, 1);
		assert_contains(r->err, "roomcastctl --help");
	}
	/* Redis down: an error, not an empty list */
	rc_test_redis_stop(redis);
	{
		g_autoptr(CtlResult) r = NULL;
		g_autoptr(RcTestHttpReply) health = NULL;
		/* the node notices the closed connection at once, but let it say so */
		for (guint i = 0; i < 50; i++) {
			g_clear_pointer(&health, rc_test_http_reply_free);
			health = rc_test_http_get(here, "/healthz");
			if (health->status == 503)
				break;
			rc_test_sleep(100);
		}
		g_assert_cmpuint(health->status, ==, 503);
		r = ctl_run("--dest", DEST_MEMBERS, "--json", "members", "/", "room_1", NULL);
		g_assert_cmpint(r->status, ==, 2);
		g_assert_cmpstr(r->out, ==, "");
		assert_contains(r->err, "roomcastctl: ");
	}
	g_assert_cmpint(rc_test_node_stop(here), ==, 0);
	g_assert_cmpint(rc_test_node_stop(there), ==, 0);
}

/* The daemon (in the C locale here, as a service usually is) sends its errors typed;
 * roomcastctl words them in its user's language, and the not-found ones exactly as
 * the daemon does in English. */
static void
test_errors_german(void)
{
	const gchar *env_de[] = {"LANGUAGE=de", NULL};
	g_autoptr(RcTestNode) node =
	    rc_test_node_new("--port", "0", "--bus", "session", "--dbus-name", DEST, NULL);
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, "sender=alice");
	g_autofree gchar *long_reason = g_strnfill(200, 'r');

	g_assert_true(rc_test_wait_until(name_owned, NULL, rc_test_timeout(5000)));
	rc_test_ws_join(ws, "/", "room_1");
	{
		g_autoptr(CtlResult) r = ctl_run("--dest", DEST, "room", "/", "nope", NULL);
		g_assert_cmpint(r->status, ==, 2);
		g_assert_cmpstr(
		    r->err, ==, "roomcastctl: no room “nope” in namespace “/” on this node\n");
	}
	{
		g_autoptr(CtlResult) r = ctl_run("--dest", DEST, "kick", "no-such-client", NULL);
		g_assert_cmpint(r->status, ==, 2);
		g_assert_cmpstr(
		    r->err, ==, "roomcastctl: no client “no-such-client” on this node\n");
	}
	{
		const gchar *const commands[][4] = {
		    {"room", "/", "nope", NULL},
		    {"clients", "/", "nope", NULL},
		    {"close-room", "/", "nope", NULL},
		};
		for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
			const gchar *args[6] = {"--dest", DEST, NULL};
			g_autoptr(CtlResult) r = NULL;
			for (guint j = 0; commands[i][j] != NULL; j++)
				args[2 + j] = commands[i][j];
			r = ctl_runv(env_de, args);
			g_assert_cmpint(r->status, ==, 2);
			g_assert_cmpstr(
			    r->err,
			    ==,
			    "roomcastctl: Kein Raum „nope“ im Namensraum „/“ auf diesem Knoten\n");
		}
	}
	{
		g_autoptr(CtlResult) r =
		    ctl_run_env(env_de, "--dest", DEST, "kick", "no-such-client", NULL);
		g_assert_cmpint(r->status, ==, 2);
		g_assert_cmpstr(
		    r->err, ==, "roomcastctl: Kein Client „no-such-client“ auf diesem Knoten\n");
	}
	{
		/* InvalidArgs: the kind in German, and the daemon's text too when it is a
		 * message of the catalog */
		g_autoptr(CtlResult) r = ctl_run_env(env_de,
						     "--dest",
						     DEST,
						     "kick",
						     rc_test_ws_get_client_id(ws),
						     long_reason,
						     NULL);
		g_assert_cmpint(r->status, ==, 2);
		g_assert_cmpstr(
		    r->err,
		    ==,
		    "roomcastctl: ungültiges Argument: Der Grund ist länger als 120 Bytes\n");
	}
	{
		g_autoptr(CtlResult) r = ctl_run(
		    "--dest", DEST, "kick", rc_test_ws_get_client_id(ws), long_reason, NULL);
		g_assert_cmpint(r->status, ==, 2);
		g_assert_cmpstr(
		    r->err,
		    ==,
		    "roomcastctl: invalid argument: the reason is longer than 120 bytes\n");
	}
	/* nothing else broke: alice is still there */
	rc_test_ws_ping(ws);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

int
main(int argc, char **argv)
{
	g_autoptr(GTestDBus) bus = NULL;
	int ret;

	rc_test_init(&argc, &argv);
	bus = g_test_dbus_new(G_TEST_DBUS_NONE);
	g_test_dbus_up(bus);

	g_test_add_func("/ctl/help", test_help);
	g_test_add_func("/ctl/help/german", test_help_german);
	g_test_add_func("/ctl/usage-errors", test_usage_errors);
	g_test_add_func("/ctl/not-running", test_not_running);
	g_test_add_func("/ctl/no-bus", test_no_bus);
	g_test_add_func("/ctl/commands", test_commands);
	g_test_add_func("/ctl/members", test_members);
	g_test_add_func("/ctl/errors/german", test_errors_german);
	ret = g_test_run();

	g_test_dbus_down(bus);
	return ret;
}
