/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Draining a real roomcastd: the D-Bus Drain method and SIGTERM with
 * [server] drain_seconds close the clients with 1012, spread over the window,
 * while the node refuses new ones and /healthz says "draining".
 */
#define G_LOG_DOMAIN "RcTestDrain"

#include "config.h"

#include <signal.h>
#include <string.h>

#include "dbus/rc-dbus-generated.h"
#include "rc-test-harness.h"

#define N_CLIENTS 30

typedef struct {
	RcTestWs *ws[N_CLIENTS];
	gint64 closed_at[N_CLIENTS]; /* 0 while open */
	gushort code[N_CLIENTS];
	gint64 start;
} Fleet;

static void
fleet_connect(Fleet *f, RcTestNode *node)
{
	for (guint i = 0; i < N_CLIENTS; i++) {
		f->ws[i] = rc_test_ws_new(node, NULL);
		rc_test_ws_join(f->ws[i], "/", "drain");
		f->closed_at[i] = 0;
	}
}

static void
fleet_free(Fleet *f)
{
	for (guint i = 0; i < N_CLIENTS; i++)
		g_clear_pointer(&f->ws[i], rc_test_ws_free);
}

static gboolean
fleet_all_closed(gpointer user_data)
{
	Fleet *f = user_data;
	guint open = 0;

	for (guint i = 0; i < N_CLIENTS; i++) {
		SoupWebsocketConnection *conn = rc_test_ws_get_connection(f->ws[i]);
		if (f->closed_at[i] != 0)
			continue;
		if (rc_test_ws_is_closed(f->ws[i])) {
			f->closed_at[i] = g_get_monotonic_time();
			f->code[i] = soup_websocket_connection_get_close_code(conn);
			continue;
		}
		open++;
	}
	return open == 0;
}

/* every client got 1012, and the closes are spread over @seconds: each third of
 * the window has some, none has most */
static void
fleet_assert_spread(Fleet *f, guint seconds)
{
	guint thirds[3] = {0};
	gint64 window = (gint64)seconds * G_USEC_PER_SEC;
	gint64 last = 0;

	g_assert_true(rc_test_wait_until(fleet_all_closed, f, rc_test_timeout(seconds * 1000 + 5000)));
	for (guint i = 0; i < N_CLIENTS; i++) {
		gint64 at = f->closed_at[i] - f->start;
		g_assert_cmpuint(f->code[i], ==, 1012);
		thirds[MIN(at * 3 / window, 2)]++;
		last = MAX(last, at);
	}
	g_test_message("closes per third of the window: %u %u %u, last after %" G_GINT64_FORMAT
		       " ms",
		       thirds[0],
		       thirds[1],
		       thirds[2],
		       last / 1000);
	for (guint t = 0; t < 3; t++) {
		g_assert_cmpuint(thirds[t], >=, N_CLIENTS / 6);
		g_assert_cmpuint(thirds[t], <=, N_CLIENTS * 2 / 3);
	}
	/* over by the end of the window (the last tick may come a little after) */
	g_assert_cmpint(last, <, window + rc_test_timeout(1500) * 1000);
}

static void
assert_draining_refuses(RcTestNode *node)
{
	g_autoptr(RcTestHttpReply) health = rc_test_http_get(node, "/healthz");
	g_autoptr(JsonObject) body = rc_test_json_parse_object(health->body);
	g_autofree gchar *url = rc_test_node_get_ws_url(node, NULL);
	g_autoptr(GError) error = NULL;
	guint status = 0;
	RcTestWs *ws;

	g_assert_cmpuint(health->status, ==, 503);
	g_assert_cmpstr(rc_test_json_get_string(body, "status"), ==, "draining");
	ws = rc_test_ws_try_connect(url, NULL, NULL, &status, &error);
	g_assert_null(ws);
	g_assert_cmpuint(status, ==, 503);
}

static RcDbusDaemon *
proxy_new(const gchar *name)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GDBusConnection) bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &error);
	RcDbusDaemon *proxy;

	g_assert_no_error(error);
	proxy = rc_dbus_daemon_proxy_new_sync(bus,
					      G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
					      name,
					      "/org/roomcast",
					      NULL,
					      &error);
	g_assert_no_error(error);
	return proxy;
}

static gboolean
name_owned(gpointer user_data)
{
	g_autofree gchar *owner = g_dbus_proxy_get_name_owner(G_DBUS_PROXY(user_data));
	return owner != NULL;
}

static gboolean
get_draining(RcDbusDaemon *proxy)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
	    g_dbus_connection_call_sync(g_dbus_proxy_get_connection(G_DBUS_PROXY(proxy)),
					g_dbus_proxy_get_name(G_DBUS_PROXY(proxy)),
					"/org/roomcast",
					"org.freedesktop.DBus.Properties",
					"Get",
					g_variant_new("(ss)", "org.roomcast.Daemon", "Draining"),
					G_VARIANT_TYPE("(v)"),
					G_DBUS_CALL_FLAGS_NONE,
					5000,
					NULL,
					&error);
	g_autoptr(GVariant) value = NULL;

	g_assert_no_error(error);
	g_variant_get(reply, "(v)", &value);
	return g_variant_get_boolean(value);
}

/* Drain(3) returns at once; the clients go over three seconds; the node stays up */
static void
test_dbus_drain(void)
{
	g_autoptr(RcTestNode) node = rc_test_node_new("--port",
						      "0",
						      "--bus",
						      "session",
						      "--dbus-name",
						      "org.roomcast.TestDrain",
						      NULL);
	g_autoptr(RcDbusDaemon) proxy = proxy_new("org.roomcast.TestDrain");
	g_autoptr(GError) error = NULL;
	Fleet f = {0};
	gint64 called;

	g_assert_true(rc_test_wait_until(name_owned, proxy, rc_test_timeout(5000)));
	fleet_connect(&f, node);
	g_assert_false(get_draining(proxy));
	f.start = g_get_monotonic_time();
	g_assert_true(rc_dbus_daemon_call_drain_sync(proxy, 3, NULL, &error));
	g_assert_no_error(error);
	called = g_get_monotonic_time() - f.start;
	g_assert_cmpint(called, <, rc_test_timeout(1000) * 1000);
	g_assert_true(get_draining(proxy));
	assert_draining_refuses(node);
	fleet_assert_spread(&f, 3);
	/* serving nothing new, but running and answering */
	g_assert_true(rc_test_node_is_running(node));
	assert_draining_refuses(node);
	fleet_free(&f);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

/* with drain_seconds, SIGTERM drains first and exits 0 once everyone is gone */
static void
test_sigterm_drain(void)
{
	const gchar *config = rc_test_write_config("[server]\ndrain_seconds=2\n");
	g_autoptr(RcTestNode) node =
	    rc_test_node_new("--port", "0", "--bus", "none", "--config", config, NULL);
	Fleet f = {0};

	fleet_connect(&f, node);
	f.start = g_get_monotonic_time();
	rc_test_node_signal(node, SIGTERM);
	fleet_assert_spread(&f, 2);
	g_assert_cmpint(rc_test_node_wait_exit(node, rc_test_timeout(5000)), ==, 0);
	fleet_free(&f);
}

/* a second SIGTERM does not wait for the drain: the rest get 1001 at once */
static void
test_sigterm_twice(void)
{
	const gchar *config = rc_test_write_config("[server]\ndrain_seconds=60\n");
	g_autoptr(RcTestNode) node =
	    rc_test_node_new("--port", "0", "--bus", "none", "--config", config, NULL);
	Fleet f = {0};
	guint n1001 = 0, n1012 = 0;

	fleet_connect(&f, node);
	f.start = g_get_monotonic_time();
	rc_test_node_signal(node, SIGTERM);
	g_assert_nonnull(rc_test_node_wait_stderr(node, "draining", rc_test_timeout(5000)));
	assert_draining_refuses(node);
	rc_test_sleep(300);
	rc_test_node_signal(node, SIGTERM);
	g_assert_true(rc_test_wait_until(fleet_all_closed, &f, rc_test_timeout(5000)));
	for (guint i = 0; i < N_CLIENTS; i++) {
		n1001 += f.code[i] == 1001 ? 1 : 0;
		n1012 += f.code[i] == 1012 ? 1 : 0;
	}
	g_test_message("%u closed with 1012 before the second signal, %u with 1001", n1012, n1001);
	g_assert_cmpuint(n1001 + n1012, ==, N_CLIENTS);
	g_assert_cmpuint(n1001, >, N_CLIENTS / 2);
	g_assert_cmpint(rc_test_node_wait_exit(node, rc_test_timeout(5000)), ==, 0);
	fleet_free(&f);
}

int
main(int argc, char **argv)
{
	g_autoptr(GTestDBus) bus = NULL;
	int ret;

	rc_test_init(&argc, &argv);
	bus = g_test_dbus_new(G_TEST_DBUS_NONE);
	g_test_dbus_up(bus);
	g_test_add_func("/drain/dbus", test_dbus_drain);
	g_test_add_func("/drain/sigterm", test_sigterm_drain);
	g_test_add_func("/drain/sigterm-twice", test_sigterm_twice);
	ret = g_test_run();
	g_test_dbus_down(bus);
	return ret;
}
