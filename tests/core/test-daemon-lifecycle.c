/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTestLifecycle"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "rc-test-harness.h"

/*
 * The daemon as a process: the command line, the config file, the listening line,
 * shutdown on SIGTERM/SIGINT and the exit codes 0, 1 and 2.
 */

/* non-empty stderr lines */
static guint
count_lines(GPtrArray *lines)
{
	guint n = 0;

	for (guint i = 0; i < lines->len; i++) {
		if (((const gchar *)lines->pdata[i])[0] != '\0')
			n++;
	}
	return n;
}

/* runs roomcastd with @args to its exit and checks status and the single
 * stderr line */
static void
assert_start_fails(const gchar *const *args, gint expected_status)
{
	g_autoptr(RcTestNode) node = rc_test_node_spawn(args);
	g_autofree gchar *joined = g_strjoinv(" ", (gchar **)args);
	gint status = rc_test_node_wait_exit(node, 10000);
	GPtrArray *err = rc_test_node_get_stderr_lines(node);

	g_test_message("roomcastd %s → exit %d", joined, status);
	for (guint i = 0; i < err->len; i++)
		g_test_message("  stderr: %s", (const gchar *)err->pdata[i]);
	g_assert_cmpint(status, ==, expected_status);
	/* one line that says why */
	g_assert_cmpuint(count_lines(err), ==, 1);
	g_assert_cmpuint(strlen(err->pdata[0]), >, 10);
	/* and never the listening line */
	for (guint i = 0; i < rc_test_node_get_stdout_lines(node)->len; i++)
		g_assert_null(
		    strstr(rc_test_node_get_stdout_lines(node)->pdata[i], "listening on"));
}

static void
test_listening_line(void)
{
	g_autoptr(RcTestNode) node = rc_test_node_new("--port", "0", "--bus", "none", NULL);
	GPtrArray *out = rc_test_node_get_stdout_lines(node);
	g_autofree gchar *expected = g_strdup_printf("roomcastd: listening on http://127.0.0.1:%u/",
						     rc_test_node_get_port(node));

	g_assert_cmpuint(rc_test_node_get_port(node), >, 0);
	g_assert_cmpuint(out->len, >=, 1);
	g_assert_cmpstr(out->pdata[0], ==, expected);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

static void
test_sigterm_closes_clients(void)
{
	g_autoptr(RcTestRedis) redis = rc_test_redis_new();
	g_autoptr(RcTestNode) node = rc_test_node_new(
	    "--port", "0", "--bus", "none", "--redis", rc_test_redis_get_url(redis), NULL);
	g_autoptr(RcTestWs) a = rc_test_ws_new(node, NULL);
	g_autoptr(RcTestWs) b = rc_test_ws_new(node, NULL);
	g_autoptr(RcTestWs) idle = rc_test_ws_new(node, NULL);

	rc_test_ws_join(a, "/", "bye");
	rc_test_ws_join(b, "/", "bye");
	rc_test_node_signal(node, SIGTERM);
	g_assert_cmpuint(rc_test_ws_wait_closed(a, 5000), ==, 1001);
	g_assert_cmpuint(rc_test_ws_wait_closed(b, 5000), ==, 1001);
	g_assert_cmpuint(rc_test_ws_wait_closed(idle, 5000), ==, 1001);
	g_assert_cmpint(rc_test_node_wait_exit(node, 10000), ==, 0);
}

static void
test_sigint_embedded(void)
{
	g_autoptr(RcTestNode) node = rc_test_node_new("--port", "0", "--bus", "none", NULL);
	g_autoptr(RcTestWs) a = rc_test_ws_new(node, NULL);

	rc_test_ws_join(a, "/", "bye");
	rc_test_node_signal(node, SIGINT);
	g_assert_cmpuint(rc_test_ws_wait_closed(a, 5000), ==, 1001);
	g_assert_cmpint(rc_test_node_wait_exit(node, 10000), ==, 0);
}

static void
test_sigterm_idle(void)
{
	g_autoptr(RcTestNode) node = rc_test_node_new("--port", "0", "--bus", "none", NULL);

	rc_test_node_signal(node, SIGTERM);
	g_assert_cmpint(rc_test_node_wait_exit(node, 5000), ==, 0);
}

static void
test_embedded_mode(void)
{
	/* no --redis: one node on the embedded bus */
	g_autoptr(RcTestNode) node = rc_test_node_new("--port", "0", "--bus", "none", NULL);
	g_autoptr(RcTestWs) a = rc_test_ws_new(node, "sender=a");
	g_autoptr(RcTestWs) b = rc_test_ws_new(node, "sender=b");
	g_autoptr(RcTestHttpReply) health = rc_test_http_get(node, "/healthz");
	g_autoptr(JsonObject) body = rc_test_http_reply_json(health);
	g_autofree gchar *id = NULL;
	g_autoptr(JsonObject) ma = NULL;
	g_autoptr(JsonObject) mb = NULL;

	g_assert_cmpuint(health->status, ==, 200);
	g_assert_cmpstr(rc_test_json_get_string(body, "redis"), ==, "embedded");
	rc_test_ws_join(a, "/", "solo");
	rc_test_ws_join(b, "/", "solo");
	id = rc_test_ws_send_message(a, "/", "solo", "embedded hello");
	ma = rc_test_ws_take(a, "MSG_TO_CLIENTS", NULL, 3000);
	mb = rc_test_ws_take(b, "MSG_TO_CLIENTS", NULL, 3000);
	g_assert_cmpstr(rc_test_json_get_string(ma, "id"), ==, id);
	g_assert_cmpstr(rc_test_json_get_string(mb, "id"), ==, id);
	rc_test_ws_close(a);
	rc_test_ws_close(b);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

static void
test_bad_flags(void)
{
	const gchar *no_such[] = {"--no-such-flag", "--bus", "none", NULL};
	const gchar *port_text[] = {"--port", "abc", "--bus", "none", NULL};
	const gchar *port_big[] = {"--port", "70000", "--bus", "none", NULL};
	const gchar *port_neg[] = {"--port", "-1", "--bus", "none", NULL};
	const gchar *bus[] = {"--port", "0", "--bus", "tram", NULL};
	const gchar *redis_url[] = {"--port", "0", "--bus", "none", "--redis", "http://x", NULL};
	const gchar *listen[] = {
	    "--port", "0", "--bus", "none", "--listen", "not-an-address", NULL};
	const gchar *missing[] = {
	    "--port", "0", "--bus", "none", "--config", "/nonexistent/roomcast.conf", NULL};
	const gchar *extra[] = {"--port", "0", "--bus", "none", "stray-argument", NULL};

	assert_start_fails(no_such, 1);
	assert_start_fails(port_text, 1);
	assert_start_fails(port_big, 1);
	assert_start_fails(port_neg, 1);
	assert_start_fails(bus, 1);
	assert_start_fails(redis_url, 1);
	assert_start_fails(listen, 1);
	assert_start_fails(missing, 1);
	assert_start_fails(extra, 1);
}

static void
test_bad_config_values(void)
{
	const gchar *bad[] = {
	    "[limits]\nmax_text_bytes=abc\n",
	    "[limits]\nmax_frame_bytes=-5\n",
	    "[limits]\nmax_queue_bytes=lots\n",
	    "[redis]\nfanout=sometimes\n",
	    "[redis]\nurl=ftp://127.0.0.1/\n",
	    "[server]\nport=99999\n",
	    "[server]\nport=eighty\n",
	    "[dbus]\nbus=tram\n",
	    "this is not a key file\n",
	    "[server\nport=1\n",
	};

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		const gchar *config = rc_test_write_config(bad[i]);
		g_autoptr(GPtrArray) args = g_ptr_array_new();

		g_ptr_array_add(args, "--config");
		g_ptr_array_add(args, (gpointer)config);
		/* a flag would override the bad value under test */
		if (strstr(bad[i], "port=") == NULL) {
			g_ptr_array_add(args, "--port");
			g_ptr_array_add(args, "0");
		}
		if (strstr(bad[i], "bus=") == NULL) {
			g_ptr_array_add(args, "--bus");
			g_ptr_array_add(args, "none");
		}
		g_ptr_array_add(args, NULL);
		g_test_message("config: %s", bad[i]);
		assert_start_fails((const gchar *const *)args->pdata, 1);
	}
}

static void
test_port_in_use(void)
{
	g_autoptr(RcTestNode) first = rc_test_node_new("--port", "0", "--bus", "none", NULL);
	g_autofree gchar *port = g_strdup_printf("%u", rc_test_node_get_port(first));
	const gchar *args[] = {"--port", port, "--bus", "none", NULL};
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) sock = NULL;
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) addr = NULL;
	guint16 other = rc_test_free_port();
	g_autofree gchar *other_port = g_strdup_printf("%u", other);
	const gchar *args2[] = {"--port", other_port, "--bus", "none", NULL};

	/* taken by another roomcastd */
	assert_start_fails(args, 2);
	g_assert_true(rc_test_node_is_running(first));

	/* taken by any listening socket */
	sock =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
	g_assert_no_error(error);
	addr = g_inet_socket_address_new(lo, other);
	g_socket_bind(sock, addr, FALSE, &error);
	g_assert_no_error(error);
	g_socket_listen(sock, &error);
	g_assert_no_error(error);
	assert_start_fails(args2, 2);

	g_assert_cmpint(rc_test_node_stop(first), ==, 0);
}

static void
test_fixed_port_restart(void)
{
	guint16 port = rc_test_free_port();
	g_autofree gchar *port_str = g_strdup_printf("%u", port);
	g_autofree gchar *expected =
	    g_strdup_printf("roomcastd: listening on http://127.0.0.1:%u/", port);

	for (guint round = 0; round < 2; round++) {
		g_autoptr(RcTestNode) node =
		    rc_test_node_new("--port", port_str, "--bus", "none", NULL);
		g_autoptr(RcTestWs) ws = NULL;

		/* the same line for a fixed port */
		g_assert_cmpstr(rc_test_node_get_stdout_lines(node)->pdata[0], ==, expected);
		g_assert_cmpuint(rc_test_node_get_port(node), ==, port);
		/* a client connected at shutdown must not block the restart */
		ws = rc_test_ws_new(node, NULL);
		rc_test_ws_ping(ws);
		g_assert_cmpint(rc_test_node_stop(node), ==, 0);
	}
}

/* roomcastd --check-config with @config: its exit status and stdout lines */
static gint
run_check(const gchar *config, const gchar *extra, GPtrArray **lines)
{
	const gchar *path = rc_test_write_config(config);
	const gchar *args[] = {"--check-config", "--config", path, extra, NULL};
	g_autoptr(RcTestNode) node = rc_test_node_spawn(args);
	gint status = rc_test_node_wait_exit(node, 10000);

	*lines = g_ptr_array_ref(rc_test_node_get_stdout_lines(node));
	for (guint i = 0; i < (*lines)->len; i++)
		g_test_message("  %s", (const gchar *)(*lines)->pdata[i]);
	/* nothing but the report: no start, no listening line */
	g_assert_cmpuint(count_lines(rc_test_node_get_stderr_lines(node)), ==, 0);
	return status;
}

static gboolean
lines_have(GPtrArray *lines, const gchar *a, const gchar *b)
{
	for (guint i = 0; i < lines->len; i++) {
		const gchar *l = lines->pdata[i];
		if (strstr(l, a) != NULL && (b == NULL || strstr(l, b) != NULL))
			return TRUE;
	}
	return FALSE;
}

static void
test_check_config(void)
{
	g_autoptr(GPtrArray) lines = NULL;
	g_autoptr(GSocket) sock = NULL;
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) addr = NULL;
	g_autoptr(GError) error = NULL;
	guint16 taken = rc_test_free_port();
	g_autofree gchar *good = NULL;

	/* a good file: exit 0, silent, and nothing is bound: a taken port is no problem */
	sock = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
	g_assert_no_error(error);
	addr = g_inet_socket_address_new(lo, taken);
	g_assert_true(g_socket_bind(sock, addr, FALSE, &error));
	g_assert_true(g_socket_listen(sock, &error));
	good = g_strdup_printf("[server]\nport=%u\n[history]\nsize=10\n"
			       "[plugin:auth-token]\ntokens=/nowhere\n",
			       taken);
	g_assert_cmpint(run_check(good, NULL, &lines), ==, 0);
	g_assert_cmpuint(count_lines(lines), ==, 0);
	g_clear_pointer(&lines, g_ptr_array_unref);

	/* every problem on its own line, near misses named */
	g_assert_cmpint(run_check("[server]\nprot=8080\nport=99999\nidle_timeout=abc\n"
				  "[sever]\nx=1\n[redis]\nfanout=maybe\n[limits]\n"
				  "max_text_bytes=-1\n[histroy]\nsize=3\n[frobnicate]\na=b\n",
				  NULL,
				  &lines),
			==,
			1);
	g_assert_cmpuint(count_lines(lines), ==, 8);
	g_assert_true(lines_have(lines, "unknown key prot in [server]", "did you mean port?"));
	g_assert_true(lines_have(lines, "unknown group [sever]", "did you mean [server]?"));
	g_assert_true(lines_have(lines, "unknown group [histroy]", "did you mean [history]?"));
	g_assert_true(lines_have(lines, "unknown group [frobnicate]", NULL));
	g_assert_false(lines_have(lines, "[frobnicate]", "did you mean"));
	g_assert_true(lines_have(lines, "[server] port", "99999"));
	g_assert_true(lines_have(lines, "[server] idle_timeout", "abc"));
	g_assert_true(lines_have(lines, "[redis] fanout", "maybe"));
	g_assert_true(lines_have(lines, "[limits] max_text_bytes", "-1"));
	g_clear_pointer(&lines, g_ptr_array_unref);

	/* what only a combination gets wrong, and what the file alone does not say */
	g_assert_cmpint(run_check("[redis]\nurl=redis://127.0.0.1:1\ncluster=127.0.0.1:2\n",
				  NULL,
				  &lines),
			==,
			1);
	g_assert_cmpuint(count_lines(lines), ==, 2);
	g_assert_true(lines_have(lines, "exclude each other", NULL));
	/* neither key is wrong alone, so nothing is left to check plugins with */
	g_assert_true(lines_have(lines, "not checked until the problems above are fixed", NULL));
	g_clear_pointer(&lines, g_ptr_array_unref);
	g_assert_cmpint(run_check("[redis]\nurl=http://127.0.0.1:1\n", NULL, &lines), ==, 1);
	g_assert_true(lines_have(lines, "[redis] url", "http"));
	g_clear_pointer(&lines, g_ptr_array_unref);
	g_assert_cmpint(run_check("[plugins]\nenabled=no-such-plugin\n", NULL, &lines), ==, 1);
	g_assert_true(lines_have(lines, "no-such-plugin", NULL));
	g_clear_pointer(&lines, g_ptr_array_unref);
	/* what the daemon checks is listed along with the file's problems, each plugin
	 * on its own */
	g_assert_cmpint(run_check("[redis]\nurl=ftp://127.0.0.1:1\nfanout=weird\n"
				  "[plugins]\nenabled=no-such-plugin;nor-this-one;no-such-plugin\n",
				  NULL,
				  &lines),
			==,
			1);
	g_assert_cmpuint(count_lines(lines), ==, 4);
	g_assert_true(lines_have(lines, "[redis] fanout", "weird"));
	g_assert_true(lines_have(lines, "[redis] url", "ftp"));
	g_assert_true(lines_have(lines, "no-such-plugin", NULL));
	g_assert_true(lines_have(lines, "nor-this-one", NULL));
	g_clear_pointer(&lines, g_ptr_array_unref);
	/* a flag is checked with the file */
	g_assert_cmpint(run_check("[server]\nport=0\n", "--listen=nowhere", &lines), ==, 1);
	g_assert_true(lines_have(lines, "nowhere", NULL));
	g_clear_pointer(&lines, g_ptr_array_unref);
	/* a channel with a brace of its own would put every room in one cluster slot */
	g_assert_cmpint(run_check("[redis]\nchannel=chat{x}\n", NULL, &lines), ==, 1);
	g_assert_cmpuint(count_lines(lines), ==, 1);
	g_assert_true(lines_have(lines, "[redis] channel", "chat{x}"));
	g_clear_pointer(&lines, g_ptr_array_unref);
	/* and blamed on the flag, not on the file */
	g_assert_cmpint(run_check("[server]\nport=0\n", "--dbus-name=not a name", &lines), ==, 1);
	g_assert_cmpuint(count_lines(lines), ==, 1);
	g_assert_true(lines_have(lines, "invalid D-Bus name", "not a name"));
	g_assert_false(lines_have(lines, ".conf", NULL));
	g_clear_pointer(&lines, g_ptr_array_unref);
}

/* at a normal start an unknown key is worth a warning, not a refusal */
static void
test_unknown_keys_warned(void)
{
	const gchar *config = rc_test_write_config("[server]\nprot=1\n[sever]\nport=1\n");
	g_autoptr(RcTestNode) node =
	    rc_test_node_new("--port", "0", "--bus", "none", "--config", config, NULL);

	g_assert_nonnull(rc_test_node_wait_stderr(node, "unknown key prot in [server]", 5000));
	g_assert_nonnull(rc_test_node_wait_stderr(node, "did you mean [server]?", 5000));
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

static gchar *
join_lines(GPtrArray *lines)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < lines->len; i++)
		g_string_append_printf(out, "%s\n", (const gchar *)lines->pdata[i]);
	return g_string_free(out, FALSE);
}

static void
test_version_and_help(void)
{
	const gchar *version[] = {"--version", NULL};
	const gchar *help[] = {"--help", NULL};
	const gchar *flags[] = {"--port",
				"--listen",
				"--redis",
				"--node-id",
				"--bus",
				"--dbus-name",
				"--plugin-dir",
				"--config",
				"--version"};
	g_autoptr(RcTestNode) v = rc_test_node_spawn(version);
	g_autoptr(RcTestNode) h = rc_test_node_spawn(help);
	g_autofree gchar *out = NULL;
	g_autofree gchar *help_out = NULL;

	g_assert_cmpint(rc_test_node_wait_exit(v, 5000), ==, 0);
	out = join_lines(rc_test_node_get_stdout_lines(v));
	g_test_message("--version: %s", out);
	g_assert_nonnull(strstr(out, g_getenv("ROOMCAST_VERSION")));

	g_assert_cmpint(rc_test_node_wait_exit(h, 5000), ==, 0);
	help_out = join_lines(rc_test_node_get_stdout_lines(h));
	for (guint i = 0; i < G_N_ELEMENTS(flags); i++) {
		g_test_message("--help mentions %s", flags[i]);
		g_assert_nonnull(strstr(help_out, flags[i]));
	}
}

static void
test_config_file_and_flag_precedence(void)
{
	guint16 conf_port = rc_test_free_port();
	g_autofree gchar *contents = g_strdup_printf("[server]\nport=%u\nnode_id=from-config\n"
						     "[dbus]\nbus=none\n",
						     conf_port);
	const gchar *config = rc_test_write_config(contents);

	/* the config alone */
	{
		g_autoptr(RcTestNode) node = rc_test_node_new("--config", config, NULL);
		g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);

		g_assert_cmpuint(rc_test_node_get_port(node), ==, conf_port);
		g_assert_cmpstr(
		    rc_test_json_get_string(rc_test_ws_get_hello(ws), "node"), ==, "from-config");
		rc_test_ws_close(ws);
		g_assert_cmpint(rc_test_node_stop(node), ==, 0);
	}
	/* flags win */
	{
		g_autoptr(RcTestNode) node = rc_test_node_new(
		    "--config", config, "--port", "0", "--node-id", "from-flag", NULL);
		g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);

		g_assert_cmpuint(rc_test_node_get_port(node), !=, conf_port);
		g_assert_cmpstr(
		    rc_test_json_get_string(rc_test_ws_get_hello(ws), "node"), ==, "from-flag");
		rc_test_ws_close(ws);
		g_assert_cmpint(rc_test_node_stop(node), ==, 0);
	}
}

static const gchar *
hello_node(RcTestNode *node)
{
	static gchar id[256];
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);

	g_strlcpy(id, rc_test_json_get_string(rc_test_ws_get_hello(ws), "node"), sizeof(id));
	rc_test_ws_close(ws);
	return id;
}

/* a desktop user's $XDG_CONFIG_HOME/roomcast/roomcast.conf: read instead of the
 * system file when it exists, unless --config or --bus system says otherwise */
static void
test_user_config_file(void)
{
	g_autofree gchar *home = g_dir_make_tmp("roomcast-xdg-XXXXXX", NULL);
	g_autofree gchar *dir = g_build_filename(home, "roomcast", NULL);
	g_autofree gchar *file = g_build_filename(dir, "roomcast.conf", NULL);
	g_autofree gchar *empty_home = g_build_filename(home, "nothing-here", NULL);
	const gchar *explicit_config = rc_test_write_config("[server]\nnode_id=from-config\n");
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(g_mkdir(dir, 0700), ==, 0);
	g_file_set_contents(file, "[server]\nport=0\nnode_id=from-user-file\n", -1, &error);
	g_assert_no_error(error);
	/* the user's file, with nothing given on the command line but --bus none */
	{
		g_autoptr(RcTestNode) node = NULL;

		rc_test_node_set_next_env("XDG_CONFIG_HOME", home);
		node = rc_test_node_new("--bus", "none", NULL);
		g_assert_cmpstr(hello_node(node), ==, "from-user-file");
		g_assert_cmpint(rc_test_node_stop(node), ==, 0);
	}
	/* --config wins over it */
	{
		g_autoptr(RcTestNode) node = NULL;

		rc_test_node_set_next_env("XDG_CONFIG_HOME", home);
		node = rc_test_node_new(
		    "--bus", "none", "--port", "0", "--config", explicit_config, NULL);
		g_assert_cmpstr(hello_node(node), ==, "from-config");
		g_assert_cmpint(rc_test_node_stop(node), ==, 0);
	}
	/* a system node never reads a user's file (here it finds no system bus) */
	{
		g_autoptr(RcTestNode) node = NULL;

		rc_test_node_set_next_env("XDG_CONFIG_HOME", home);
		rc_test_node_set_next_env("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/bus");
		node = rc_test_node_new("--bus", "system", "--port", "0", NULL);
		g_assert_cmpstr(hello_node(node), !=, "from-user-file");
		g_assert_cmpint(rc_test_node_stop(node), ==, 0);
	}
	/* no such file: the defaults (there is no system file in a build tree) */
	{
		g_autoptr(RcTestNode) node = NULL;

		rc_test_node_set_next_env("XDG_CONFIG_HOME", empty_home);
		node = rc_test_node_new("--bus", "none", "--port", "0", NULL);
		g_assert_true(g_str_has_prefix(hello_node(node), g_get_host_name()));
		g_assert_cmpint(rc_test_node_stop(node), ==, 0);
	}
	/* a broken user file is a bad configuration, named in the one line */
	{
		const gchar *args[] = {"--bus", "none", "--port", "0", NULL};
		g_autoptr(RcTestNode) node = NULL;
		const gchar *line;

		g_file_set_contents(file, "[redis]\nfanout=sideways\n", -1, &error);
		g_assert_no_error(error);
		rc_test_node_set_next_env("XDG_CONFIG_HOME", home);
		node = rc_test_node_spawn(args);
		g_assert_cmpint(rc_test_node_wait_exit(node, 10000), ==, 1);
		line = rc_test_node_get_stderr_lines(node)->pdata[0];
		g_assert_true(g_str_has_prefix(line, "roomcastd: "));
		g_assert_nonnull(strstr(line, file));
		g_assert_nonnull(strstr(line, "sideways"));
	}
	g_unlink(file);
	g_rmdir(dir);
	g_rmdir(home);
}

static void
test_listen_ipv6_loopback(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) probe =
	    g_socket_new(G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
	g_autoptr(GInetAddress) lo6 = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV6);
	g_autoptr(GSocketAddress) any6 = g_inet_socket_address_new(lo6, 0);
	g_autoptr(RcTestNode) node = NULL;
	g_autoptr(RcTestWs) ws = NULL;
	g_autofree gchar *expected = NULL;

	if (probe == NULL || !g_socket_bind(probe, any6, FALSE, &error)) {
		g_test_skip("no IPv6 loopback here");
		return;
	}
	g_socket_close(probe, NULL);
	node = rc_test_node_new("--port", "0", "--bus", "none", "--listen", "::1", NULL);
	expected = g_strdup_printf("roomcastd: listening on http://[::1]:%u/",
				   rc_test_node_get_port(node));
	g_assert_cmpstr(rc_test_node_get_stdout_lines(node)->pdata[0], ==, expected);
	ws = rc_test_ws_new(node, NULL);
	rc_test_ws_ping(ws);
	rc_test_ws_close(ws);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

static void
test_default_node_id(void)
{
	/* default: hostname + port */
	g_autoptr(RcTestNode) node = rc_test_node_new("--port", "0", "--bus", "none", NULL);
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);
	const gchar *id = rc_test_json_get_string(rc_test_ws_get_hello(ws), "node");
	g_autofree gchar *port = g_strdup_printf("%u", rc_test_node_get_port(node));

	g_assert_nonnull(id);
	g_assert_nonnull(strstr(id, g_get_host_name()));
	g_assert_true(g_str_has_suffix(id, port));
	rc_test_ws_close(ws);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

/* [server] reuse_port: two processes share one port (SO_REUSEPORT) and, through
 * Redis, their rooms; without it the second one cannot bind (exit-2 test). */
static void
test_reuse_port(void)
{
	g_autoptr(RcTestRedis) redis = rc_test_redis_new();
	const gchar *config = rc_test_write_config("[server]\nreuse_port=true\n");
	g_autofree gchar *port = g_strdup_printf("%u", rc_test_free_port());
	g_autoptr(RcTestNode) a = rc_test_node_new("--port", port, "--bus", "none", "--node-id", "ra",
						   "--config", config, "--redis",
						   rc_test_redis_get_url(redis), NULL);
	g_autoptr(RcTestNode) b = rc_test_node_new("--port", port, "--bus", "none", "--node-id", "rb",
						   "--config", config, "--redis",
						   rc_test_redis_get_url(redis), NULL);
	g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func((GDestroyNotify)rc_test_ws_free);
	RcTestWs *on_a = NULL;
	RcTestWs *on_b = NULL;
	g_autofree gchar *id = NULL;
	JsonObject *got;

	rc_test_node_wait_redis_connected(a, 5000);
	rc_test_node_wait_redis_connected(b, 5000);
	/* the kernel spreads connections over both listeners */
	for (guint i = 0; i < 64 && (on_a == NULL || on_b == NULL); i++) {
		RcTestWs *ws = rc_test_ws_new(a, "sender=probe");
		const gchar *node = json_object_get_string_member(rc_test_ws_get_hello(ws), "node");
		g_ptr_array_add(clients, ws);
		if (g_strcmp0(node, "ra") == 0 && on_a == NULL)
			on_a = ws;
		else if (g_strcmp0(node, "rb") == 0 && on_b == NULL)
			on_b = ws;
	}
	g_assert_nonnull(on_a);
	g_assert_nonnull(on_b);
	rc_test_ws_join(on_a, "/", "shared");
	rc_test_ws_join(on_b, "/", "shared");
	id = rc_test_ws_send_message(on_a, "/", "shared", "across processes");
	got = rc_test_ws_expect(on_b, "MSG_TO_CLIENTS", 5000);
	g_assert_cmpstr(json_object_get_string_member(got, "id"), ==, id);
	g_ptr_array_set_size(clients, 0);
	g_assert_cmpint(rc_test_node_stop(a), ==, 0);
	g_assert_cmpint(rc_test_node_stop(b), ==, 0);
}

int
main(int argc, char **argv)
{
	rc_test_init(&argc, &argv);
	g_test_add_func("/lifecycle/listening-line", test_listening_line);
	g_test_add_func("/lifecycle/sigterm-closes-clients", test_sigterm_closes_clients);
	g_test_add_func("/lifecycle/sigint-embedded", test_sigint_embedded);
	g_test_add_func("/lifecycle/sigterm-idle", test_sigterm_idle);
	g_test_add_func("/lifecycle/embedded-mode", test_embedded_mode);
	g_test_add_func("/lifecycle/exit-1/bad-flags", test_bad_flags);
	g_test_add_func("/lifecycle/exit-1/bad-config-values", test_bad_config_values);
	g_test_add_func("/lifecycle/exit-2/port-in-use", test_port_in_use);
	g_test_add_func("/lifecycle/fixed-port-restart", test_fixed_port_restart);
	g_test_add_func("/lifecycle/version-and-help", test_version_and_help);
	g_test_add_func("/lifecycle/user-config-file", test_user_config_file);
	g_test_add_func("/lifecycle/config-file-and-flag-precedence",
			test_config_file_and_flag_precedence);
	g_test_add_func("/lifecycle/default-node-id", test_default_node_id);
	g_test_add_func("/lifecycle/listen-ipv6-loopback", test_listen_ipv6_loopback);
	g_test_add_func("/lifecycle/reuse-port", test_reuse_port);
	g_test_add_func("/lifecycle/check-config", test_check_config);
	g_test_add_func("/lifecycle/unknown-keys-warned", test_unknown_keys_warned);
	return g_test_run();
}
