/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What the libsoup roomcast is built against does that roomcast works around, shown
 * on a bare SoupServer in-process. Each test asserts that the quirk is still there:
 * when one fails, libsoup was fixed, and its message says which workaround may go.
 */
#define G_LOG_DOMAIN "RcTestLibsoupQuirks"
#define _GNU_SOURCE /* memmem */

#include <string.h>

#include <libsoup/soup.h>

#include "rc-test-harness.h"

static void
ok_handler(SoupServer *server,
	   SoupServerMessage *msg,
	   const gchar *path,
	   GHashTable *query,
	   gpointer user_data)
{
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_STATIC, "ok\n", 3);
}

/* runs the main context for @ms, so the server does what it would */
static void
iterate_for(guint ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	while (g_get_monotonic_time() < end) {
		g_main_context_iteration(NULL, FALSE);
		g_usleep(1000);
	}
}

/* a complete response (Content-Length) has arrived on @client */
static gboolean
read_response(GSocket *client, GByteArray *rx, guint timeout_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)rc_test_timeout(timeout_ms) * 1000;

	while (g_get_monotonic_time() < end) {
		gchar buf[4096];
		gssize n;

		g_main_context_iteration(NULL, FALSE);
		if (!g_socket_condition_check(client, G_IO_IN)) {
			g_usleep(1000);
			continue;
		}
		n = g_socket_receive(client, buf, sizeof(buf), NULL, NULL);
		if (n <= 0)
			return FALSE;
		g_byte_array_append(rx, (const guint8 *)buf, (guint)n);
		if (rx->len >= 4 && memmem(rx->data, rx->len, "\r\n\r\nok\n", 7) != NULL)
			return TRUE;
	}
	return FALSE;
}

/*
 * libsoup 3.2 keeps an HTTP/1.1 connection alive after its response; when the client
 * then closes it while idle, libsoup reads the EOF and does nothing more: the
 * connection stays in CLOSE-WAIT, its descriptor open, until the server goes.
 * (Fixed upstream in 3.3.0.)
 */
static void
test_keepalive_close_wait(void)
{
	g_autoptr(SoupServer) server = soup_server_new(NULL, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) client = NULL;
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) addr = NULL;
	g_autoptr(GByteArray) rx = g_byte_array_new();
	const gchar *request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	GSList *uris;
	guint16 port;
	guint close_wait;

	soup_server_add_handler(server, NULL, ok_handler, NULL, NULL);
	soup_server_listen_local(server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
	g_assert_no_error(error);
	uris = soup_server_get_uris(server);
	g_assert_nonnull(uris);
	port = (guint16)g_uri_get_port(uris->data);
	g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);

	client =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
	g_assert_no_error(error);
	addr = g_inet_socket_address_new(lo, port);
	/* the backlog completes the handshake: no need to run the server for it */
	g_assert_true(g_socket_connect(client, addr, NULL, &error));
	g_assert_cmpint(g_socket_send(client, request, strlen(request), NULL, &error),
			==,
			(gssize)strlen(request));
	g_assert_true(read_response(client, rx, 5000));
	/* kept alive: nothing says otherwise */
	g_assert_null(memmem(rx->data, rx->len, "Connection: close", 17));

	/* the client goes; the server has all the time it needs to notice */
	g_socket_close(client, NULL);
	iterate_for(500);
	close_wait = rc_test_count_tcp_sockets(port, RC_TEST_TCP_CLOSE_WAIT);
	g_test_message("server sockets in CLOSE-WAIT after the client closed: %u", close_wait);
	if (close_wait != 1) {
		g_autofree gchar *msg = g_strdup_printf(
		    "%u server sockets in CLOSE-WAIT, expected 1: this libsoup closes a kept-alive "
		    "connection that its client closed, so roomcast's one-request-per-connection "
		    "workaround (transport/rc-http-connection.h) may go",
		    close_wait);
		g_assertion_message(G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, msg);
	}

	/* only taking the server down releases it */
	soup_server_disconnect(server);
	iterate_for(100);
	g_assert_cmpuint(rc_test_count_tcp_sockets(port, RC_TEST_TCP_CLOSE_WAIT), ==, 0);
}

int
main(int argc, char **argv)
{
	rc_test_init(&argc, &argv);
	g_test_add_func("/libsoup-quirks/keepalive-close-wait", test_keepalive_close_wait);
	return g_test_run();
}
