/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTestTls"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rc-test-harness.h"
#include "rc-test-redis-extra.h"

/*
 * TLS for clients: real roomcastd processes with [server] tls_certificate and
 * tls_key (certificates made by openssl for the test, see rc-test-redis-extra.h),
 * real clients over 127.0.0.1: curl, WebSockets on /ws and /socket.io/ through
 * libsoup, GIO's own TLS client to look at the certificate a node serves, and
 * raw sockets for what no client should do.
 */

#define WAIT 5000

/* the config of a node serving @cert and @key, plus @extra lines for [server] */
static RcTestNode *
tls_node_new(const gchar *cert, const gchar *key, const gchar *extra)
{
	g_autofree gchar *config = g_strdup_printf(
	    "[server]\ntls_certificate=%s\ntls_key=%s\n%s", cert, key, extra != NULL ? extra : "");
	const gchar *path = rc_test_write_config(config);
	RcTestNode *node = rc_test_node_new("--port", "0", "--bus", "none", "--config", path, NULL);

	g_assert_true(g_str_has_prefix(rc_test_node_get_base_url(node), "https://127.0.0.1:"));
	return node;
}

/* curl's exit status; its output in @out and @err when not NULL */
static gint
curl(const gchar *ca, const gchar *url, gchar **out, gchar **err)
{
	const gchar *args[] = {"curl", "-sS", "--max-time", "10", "--cacert", ca, url, NULL};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *o = NULL;
	g_autofree gchar *e = NULL;
	gint status = 0;

	g_spawn_sync(
	    NULL, (gchar **)args, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &o, &e, &status, &error);
	g_assert_no_error(error);
	g_test_message("curl %s: %s%s", url, o, e);
	if (out != NULL)
		*out = g_steal_pointer(&o);
	if (err != NULL)
		*err = g_steal_pointer(&e);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* GET /healthz with curl trusting @ca: "ok" came back */
static void
assert_healthz(RcTestNode *node, const gchar *ca)
{
	g_autofree gchar *url = g_strconcat(rc_test_node_get_base_url(node), "/healthz", NULL);
	g_autofree gchar *out = NULL;

	g_assert_cmpint(curl(ca, url, &out, NULL), ==, 0);
	g_assert_nonnull(strstr(out, "\"status\":\"ok\""));
}

static GSocketConnection *
tcp_connect(RcTestNode *node)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GError) error = NULL;
	GSocketConnection *conn;

	g_socket_client_set_timeout(client, 10);
	conn = g_socket_client_connect_to_host(
	    client, "127.0.0.1", rc_test_node_get_port(node), NULL, &error);
	g_assert_no_error(error);
	return conn;
}

/* a TLS client connection over @tcp that trusts @ca, its handshake done */
static GIOStream *
tls_connect(GSocketConnection *tcp, const gchar *ca, GError **error)
{
	g_autoptr(GTlsDatabase) db = g_tls_file_database_new(ca, NULL);
	g_autoptr(GSocketConnectable) identity = g_network_address_new("127.0.0.1", 0);
	g_autoptr(GIOStream) tls = g_tls_client_connection_new(G_IO_STREAM(tcp), identity, error);

	if (tls == NULL)
		return NULL;
	g_tls_connection_set_database(G_TLS_CONNECTION(tls), db);
	if (!g_tls_connection_handshake(G_TLS_CONNECTION(tls), NULL, error))
		return NULL;
	return g_steal_pointer(&tls);
}

/* the certificate a new connection to @node gets, checked against @ca */
static GTlsCertificate *
served_certificate(RcTestNode *node, const gchar *ca)
{
	g_autoptr(GSocketConnection) tcp = tcp_connect(node);
	g_autoptr(GError) error = NULL;
	g_autoptr(GIOStream) tls = tls_connect(tcp, ca, &error);

	g_assert_no_error(error);
	return g_object_ref(g_tls_connection_get_peer_certificate(G_TLS_CONNECTION(tls)));
}

static void
assert_serves(RcTestNode *node, const gchar *ca, const gchar *cert_file)
{
	g_autoptr(GTlsCertificate) served = served_certificate(node, ca);
	g_autoptr(GError) error = NULL;
	g_autoptr(GTlsCertificate) expected = g_tls_certificate_new_from_file(cert_file, &error);

	g_assert_no_error(error);
	g_assert_true(g_tls_certificate_is_same(served, expected));
}

/* one request on @stream, the whole answer until the node closes */
static gchar *
request(GIOStream *stream, const gchar *req)
{
	GOutputStream *out = g_io_stream_get_output_stream(stream);
	GInputStream *in = g_io_stream_get_input_stream(stream);
	g_autoptr(GString) answer = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	gchar buf[4096];
	gssize n;

	g_output_stream_write_all(out, req, strlen(req), NULL, NULL, &error);
	g_assert_no_error(error);
	while ((n = g_input_stream_read(in, buf, sizeof(buf), NULL, &error)) > 0)
		g_string_append_len(answer, buf, n);
	/* the node closes without close_notify: the answer is framed */
	if (error != NULL && !g_error_matches(error, G_TLS_ERROR, G_TLS_ERROR_EOF))
		g_assert_no_error(error);
	return g_string_free(g_steal_pointer(&answer), FALSE);
}

#define HEALTHZ_REQUEST "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

/* the next frame's raw text (Socket.IO packets are no JSON of their own) */
static gchar *
next_raw(RcTestWs *ws)
{
	g_autoptr(JsonObject) frame = rc_test_ws_try_next(ws, WAIT);

	g_assert_nonnull(frame);
	g_assert_cmpstr(json_object_get_string_member(frame, "type"), ==, "<unparsable>");
	return g_strdup(json_object_get_string_member(frame, "raw"));
}

typedef struct {
	RcTestNode *node;
	gint fds;
} FdsWait;

/* the node's open sockets (the poller and GIO's workers add descriptors of their own) */
static gint
count_sockets(RcTestNode *node)
{
	g_autofree gchar *dir_path = g_strdup_printf("/proc/%d/fd", rc_test_node_get_pid(node));
	g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
	const gchar *name;
	gint n = 0;

	g_assert_nonnull(dir);
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *path = g_build_filename(dir_path, name, NULL);
		g_autofree gchar *target = g_file_read_link(path, NULL);
		if (target != NULL && g_str_has_prefix(target, "socket:"))
			n++;
	}
	return n;
}

static gboolean
fds_back(gpointer user_data)
{
	FdsWait *w = user_data;
	return count_sockets(w->node) == w->fds;
}

/* https:// and wss:// on the node's port: curl, /ws, /socket.io/ both ways */
static void
test_tls_serves(void)
{
	g_autoptr(RcTestTlsFiles) files = rc_test_tls_files_new();
	g_autoptr(RcTestNode) node = tls_node_new(files->server_cert, files->server_key, NULL);
	g_autoptr(RcTestWs) alice = NULL;
	g_autoptr(RcTestWs) bob = NULL;
	g_autoptr(RcTestWs) sio = NULL;
	g_autoptr(JsonObject) got = NULL;
	g_autoptr(GTlsDatabase) db = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *id = NULL;
	g_autofree gchar *url = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *raw = NULL;
	gchar *packet;
	FdsWait fds_wait = {0};
	gint fds;

	fds = count_sockets(node);
	assert_healthz(node, files->ca_cert);
	assert_serves(node, files->ca_cert, files->server_cert);

	/* the WebSocket protocol, both clients over TLS */
	alice = rc_test_ws_new_tls(node, "sender=alice", files->ca_cert);
	bob = rc_test_ws_new_tls(node, "sender=bob", files->ca_cert);
	rc_test_ws_join(alice, "/", "tls");
	rc_test_ws_join(bob, "/", "tls");
	id = rc_test_ws_send_message(alice, "/", "tls", "over TLS");
	got = rc_test_ws_take(bob, "MSG_TO_CLIENTS", NULL, WAIT);
	g_assert_cmpstr(
	    json_object_get_string_member(json_object_get_object_member(got, "msg"), "text"),
	    ==,
	    "over TLS");
	/* a burst larger than one read budget arrives whole (bytes held by TLS) */
	for (guint i = 0; i < 200; i++) {
		g_autofree gchar *text = g_strdup_printf("burst %u %0300u", i, i);
		g_autofree gchar *json =
		    g_strdup_printf("{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"tls\","
				    "\"text\":\"%s\"}",
				    text);
		rc_test_ws_send_text(alice, json);
	}
	for (guint i = 0; i < 200; i++) {
		g_autoptr(JsonObject) m = rc_test_ws_take(bob, "MSG_TO_CLIENTS", NULL, WAIT);
		g_autofree gchar *prefix = g_strdup_printf("burst %u ", i);
		const gchar *text =
		    json_object_get_string_member(json_object_get_object_member(m, "msg"), "text");
		g_assert_true(g_str_has_prefix(text, prefix));
	}

	/* a page of the node's own https:// origin may open one, another origin may not */
	{
		g_autofree gchar *ws_url = rc_test_node_get_ws_url(node, NULL);
		g_autofree gchar *own =
		    g_strdup_printf("https://127.0.0.1:%u", rc_test_node_get_port(node));
		g_autoptr(GTlsDatabase) ca = g_tls_file_database_new(files->ca_cert, NULL);
		g_autoptr(GError) ws_error = NULL;
		guint status = 0;
		RcTestWs *ws =
		    rc_test_ws_try_connect_tls(ws_url, own, NULL, ca, &status, &ws_error);

		g_assert_no_error(ws_error);
		rc_test_ws_free(ws);
		ws = rc_test_ws_try_connect_tls(
		    ws_url, "https://elsewhere.example", NULL, ca, &status, &ws_error);
		g_assert_null(ws);
		g_assert_cmpuint(status, ==, 403);
	}

	/* Engine.IO long-polling over https */
	url = g_strconcat(
	    rc_test_node_get_base_url(node), "/socket.io/?EIO=4&transport=polling", NULL);
	g_assert_cmpint(curl(files->ca_cert, url, &out, NULL), ==, 0);
	g_assert_true(g_str_has_prefix(out, "0{\"sid\":\""));

	/* and Socket.IO over wss: CONNECT, join, a message from /ws comes through */
	g_free(url);
	url = g_strdup_printf("wss://127.0.0.1:%u/socket.io/?EIO=4&transport=websocket",
			      rc_test_node_get_port(node));
	db = g_tls_file_database_new(files->ca_cert, &error);
	g_assert_no_error(error);
	sio = rc_test_ws_try_connect_tls(url, NULL, NULL, db, NULL, &error);
	g_assert_no_error(error);
	raw = next_raw(sio);
	g_assert_true(g_str_has_prefix(raw, "0{\"sid\":\""));
	rc_test_ws_send_text(sio, "40/chat,{\"sender\":\"pat\"}");
	g_free(raw);
	raw = next_raw(sio);
	g_assert_true(g_str_has_prefix(raw, "40/chat,{\"sid\":\""));
	rc_test_ws_send_text(sio, "42/chat,0[\"join\",\"r1\"]");
	g_free(raw);
	raw = next_raw(sio);
	g_assert_true(g_str_has_prefix(raw, "43/chat,0[{\"joined\":true"));
	rc_test_ws_join(alice, "/chat", "r1");
	g_free(rc_test_ws_send_message(alice, "/chat", "r1", "to socket.io"));
	packet = next_raw(sio);
	g_assert_true(g_str_has_prefix(packet, "42/chat,"));
	g_assert_nonnull(strstr(packet, "to socket.io"));
	g_free(packet);
	rc_test_ws_ping(bob);

	/* closed WebSockets over TLS give their sockets back */
	g_clear_pointer(&alice, rc_test_ws_free);
	g_clear_pointer(&bob, rc_test_ws_free);
	g_clear_pointer(&sio, rc_test_ws_free);
	fds_wait.node = node;
	fds_wait.fds = fds;
	g_assert_true(rc_test_wait_until(fds_back, &fds_wait, WAIT));
}

static guint
count(const gchar *haystack, const gchar *needle)
{
	guint n = 0;
	for (const gchar *p = strstr(haystack, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* a client text frame: masked, with a zero mask (the bytes stay as they are) */
static void
append_frame(GString *s, const gchar *text)
{
	gsize len = strlen(text);

	g_string_append_c(s, (gchar)0x81);
	if (len < 126) {
		g_string_append_c(s, (gchar)(0x80 | len));
	} else {
		g_string_append_c(s, (gchar)(0x80 | 126));
		g_string_append_c(s, (gchar)(len >> 8));
		g_string_append_c(s, (gchar)(len & 0xff));
	}
	g_string_append_len(s, "\0\0\0\0", 4);
	g_string_append(s, text);
}

/* the upgrade and the first frames in one write, so they come in the same TLS
 * records: what TLS decrypted with the head is not left waiting for more (frames
 * are NUL-free text, so the answer can be searched as a string) */
static void
test_tls_frames_with_upgrade(void)
{
	g_autoptr(RcTestTlsFiles) files = rc_test_tls_files_new();
	g_autoptr(RcTestNode) node = tls_node_new(files->server_cert, files->server_key, NULL);
	g_autoptr(GSocketConnection) tcp = tcp_connect(node);
	g_autoptr(GError) error = NULL;
	g_autoptr(GIOStream) tls = tls_connect(tcp, files->ca_cert, &error);
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GString) in = g_string_new(NULL);
	gint64 deadline = g_get_monotonic_time() + WAIT * 1000;

	g_assert_no_error(error);
	g_string_append_printf(out,
			       "GET /ws?sender=early HTTP/1.1\r\n"
			       "Host: 127.0.0.1:%u\r\n"
			       "Upgrade: websocket\r\n"
			       "Connection: Upgrade\r\n"
			       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			       "Sec-WebSocket-Version: 13\r\n\r\n",
			       rc_test_node_get_port(node));
	append_frame(out, "{\"type\":\"join\",\"namespace\":\"/\",\"roomCode\":\"early\"}");
	for (guint i = 0; i < 40; i++) {
		g_autofree gchar *send =
		    g_strdup_printf("{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"early\","
				    "\"text\":\"early %u %0200u\"}",
				    i,
				    i);
		append_frame(out, send);
	}
	g_output_stream_write_all(
	    g_io_stream_get_output_stream(tls), out->str, out->len, NULL, NULL, &error);
	g_assert_no_error(error);
	/* every frame is answered, the last one too: 40 acks and the join */
	g_socket_set_timeout(g_socket_connection_get_socket(tcp), WAIT / 1000);
	while (count(in->str, "\"type\":\"ack\"") < 40 || strstr(in->str, "\"joined\"") == NULL) {
		gchar buf[16384];
		gssize n = g_input_stream_read(
		    g_io_stream_get_input_stream(tls), buf, sizeof(buf), NULL, &error);
		g_assert_no_error(error);
		g_assert_cmpint(n, >, 0);
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_string_append_len(in, buf, n);
	}
	g_assert_true(g_str_has_prefix(in->str, "HTTP/1.1 101 "));
	g_assert_nonnull(strstr(in->str, "\"joined\""));
}

/* plain HTTP on the TLS port: a plain 400 that says why, and the node goes on */
static void
test_tls_plain_http(void)
{
	g_autoptr(RcTestTlsFiles) files = rc_test_tls_files_new();
	g_autoptr(RcTestNode) node = tls_node_new(files->server_cert, files->server_key, NULL);

	for (guint i = 0; i < 3; i++) {
		g_autoptr(GSocketConnection) tcp = tcp_connect(node);
		g_autofree gchar *answer = request(G_IO_STREAM(tcp), HEALTHZ_REQUEST);

		g_assert_true(g_str_has_prefix(answer, "HTTP/1.1 400 "));
		g_assert_nonnull(
		    strstr(answer, "this port speaks TLS only: use https:// or wss://"));
		/* nothing of the node's answers leaked in the clear */
		g_assert_null(strstr(answer, "\"status\""));
	}
	/* a plain WebSocket fails in the upgrade, with that status */
	{
		g_autofree gchar *url =
		    g_strdup_printf("ws://127.0.0.1:%u/ws", rc_test_node_get_port(node));
		g_autoptr(GError) error = NULL;
		guint status = 0;
		RcTestWs *ws = rc_test_ws_try_connect(url, NULL, NULL, &status, &error);

		g_assert_null(ws);
		g_assert_nonnull(error);
		g_assert_cmpuint(status, ==, 400);
	}
	assert_healthz(node, files->ca_cert);
	g_assert_true(rc_test_node_is_running(node));
}

/* the client verifies: a certificate from another CA, or an expired one, is refused */
static void
test_tls_untrusted(void)
{
	g_autoptr(RcTestTlsFiles) files = rc_test_tls_files_new();
	g_autoptr(RcTestNode) node = tls_node_new(files->server_cert, files->server_key, NULL);
	g_autoptr(RcTestNode) expired = NULL;
	g_autoptr(GTlsDatabase) other = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *url = g_strconcat(rc_test_node_get_base_url(node), "/healthz", NULL);
	g_autofree gchar *ws_url = rc_test_node_get_ws_url(node, NULL);
	g_autofree gchar *err = NULL;
	g_autofree gchar *expired_url = NULL;
	RcTestWs *ws;

	/* curl: 60, "SSL certificate problem" */
	g_assert_cmpint(curl(files->other_ca_cert, url, NULL, &err), ==, 60);
	g_assert_nonnull(strstr(err, "certificate"));
	/* libsoup: the upgrade never happens */
	other = g_tls_file_database_new(files->other_ca_cert, &error);
	g_assert_no_error(error);
	ws = rc_test_ws_try_connect_tls(ws_url, NULL, NULL, other, NULL, &error);
	g_assert_null(ws);
	g_assert_error(error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
	/* the node is fine, and serves who trusts it */
	assert_healthz(node, files->ca_cert);
	g_assert_cmpint(rc_test_node_get_stderr_lines(node)->len, ==, 1); /* started */

	rc_test_tls_files_make_expired(files);
	expired = tls_node_new(files->expired_cert, files->expired_key, NULL);
	expired_url = g_strconcat(rc_test_node_get_base_url(expired), "/healthz", NULL);
	g_clear_pointer(&err, g_free);
	g_assert_cmpint(curl(files->ca_cert, expired_url, NULL, &err), ==, 60);
	g_assert_nonnull(strstr(err, "expired"));
}

static void
copy_file(const gchar *from, const gchar *to)
{
	g_autofree gchar *contents = NULL;
	g_autoptr(GError) error = NULL;
	gsize len = 0;

	g_file_get_contents(from, &contents, &len, &error);
	g_assert_no_error(error);
	g_file_set_contents(to, contents, (gssize)len, &error);
	g_assert_no_error(error);
}

/* the next stderr line that has @a and @b, after @from lines */
static const gchar *
wait_stderr_both(RcTestNode *node, guint from, const gchar *a, const gchar *b)
{
	for (guint t = 0; t < WAIT / 50; t++) {
		GPtrArray *lines = rc_test_node_get_stderr_lines(node);
		for (guint i = from; i < lines->len; i++) {
			const gchar *l = g_ptr_array_index(lines, i);
			if (strstr(l, a) != NULL && strstr(l, b) != NULL) {
				g_test_message("%s", l);
				return l;
			}
		}
		rc_test_sleep(50);
	}
	g_error("roomcastd printed no line with “%s” and “%s”", a, b);
	return NULL;
}

/* SIGHUP: new connections get the new certificate, existing ones keep theirs; a
 * reload that cannot load the files changes nothing and says why */
static void
test_tls_reload(void)
{
	g_autoptr(RcTestTlsFiles) files = rc_test_tls_files_new();
	g_autofree gchar *cert = g_build_filename(files->dir, "live.crt", NULL);
	g_autofree gchar *key = g_build_filename(files->dir, "live.key", NULL);
	g_autofree gchar *renewed_cert = g_build_filename(files->dir, "renewed.crt", NULL);
	g_autofree gchar *renewed_key = g_build_filename(files->dir, "renewed.key", NULL);
	g_autoptr(RcTestNode) node = NULL;
	g_autoptr(GSocketConnection) held_tcp = NULL;
	g_autoptr(GIOStream) held = NULL;
	g_autoptr(RcTestWs) ws = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *answer = NULL;
	const gchar *line;
	guint from;

	copy_file(files->server_cert, cert);
	copy_file(files->server_key, key);
	rc_test_tls_files_make_server(files, "renewed", "renewed.localhost");
	node = tls_node_new(cert, key, NULL);
	assert_serves(node, files->ca_cert, files->server_cert);
	/* opened before the reload: a handshake done, and a WebSocket */
	held_tcp = tcp_connect(node);
	held = tls_connect(held_tcp, files->ca_cert, &error);
	g_assert_no_error(error);
	ws = rc_test_ws_new_tls(node, NULL, files->ca_cert);

	/* renewed in place */
	copy_file(renewed_cert, cert);
	copy_file(renewed_key, key);
	from = rc_test_node_get_stderr_lines(node)->len;
	rc_test_node_signal(node, SIGHUP);
	wait_stderr_both(node, from, "TLS certificate reloaded", cert);
	assert_serves(node, files->ca_cert, renewed_cert);
	assert_healthz(node, files->ca_cert);
	/* the old connections go on with the old certificate */
	g_assert_true(
	    g_tls_certificate_is_same(g_tls_connection_get_peer_certificate(G_TLS_CONNECTION(held)),
				      g_tls_certificate_new_from_file(files->server_cert, NULL)));
	answer = request(held, HEALTHZ_REQUEST);
	g_assert_true(g_str_has_prefix(answer, "HTTP/1.1 200 "));
	rc_test_ws_ping(ws);

	/* the key gone: a warning naming it, and the renewed certificate stays */
	g_assert_cmpint(g_unlink(key), ==, 0);
	from = rc_test_node_get_stderr_lines(node)->len;
	rc_test_node_signal(node, SIGHUP);
	line = wait_stderr_both(node, from, "[server] tls_key: cannot read", key);
	g_assert_nonnull(strstr(line, "WARNING"));
	g_assert_nonnull(strstr(line, "SIGHUP: configuration not reloaded"));
	assert_serves(node, files->ca_cert, renewed_cert);

	/* a key of another certificate: refused the same way */
	copy_file(files->server_key, key);
	from = rc_test_node_get_stderr_lines(node)->len;
	rc_test_node_signal(node, SIGHUP);
	line = wait_stderr_both(node, from, "does not belong to the certificate", cert);
	g_assert_nonnull(strstr(line, "WARNING"));
	assert_serves(node, files->ca_cert, renewed_cert);
	assert_healthz(node, files->ca_cert);
	rc_test_ws_ping(ws);
	g_assert_true(rc_test_node_is_running(node));
}

/* TLS set in the file of a running plain node: the reload says a restart is
 * needed, and the port goes on speaking plain HTTP */
static void
test_tls_reload_turns_on(void)
{
	g_autoptr(RcTestTlsFiles) files = rc_test_tls_files_new();
	const gchar *path = rc_test_write_config("[server]\n");
	g_autoptr(RcTestNode) node =
	    rc_test_node_new("--port", "0", "--bus", "none", "--config", path, NULL);
	g_autofree gchar *config = g_strdup_printf(
	    "[server]\ntls_certificate=%s\ntls_key=%s\n", files->server_cert, files->server_key);
	g_autoptr(GError) error = NULL;
	g_autoptr(RcTestHttpReply) reply = NULL;
	guint from;

	g_assert_true(g_str_has_prefix(rc_test_node_get_base_url(node), "http://"));
	g_file_set_contents(path, config, -1, &error);
	g_assert_no_error(error);
	from = rc_test_node_get_stderr_lines(node)->len;
	rc_test_node_signal(node, SIGHUP);
	wait_stderr_both(node, from, "configuration reloaded", "apply at the next start");
	reply = rc_test_http_get(node, "/healthz");
	g_assert_cmpuint(reply->status, ==, 200);
}

/* how long until the node closes @tcp (EOF or reset), in ms */
static gint64
wait_closed_ms(GSocketConnection *tcp)
{
	GSocket *socket = g_socket_connection_get_socket(tcp);
	gint64 start = g_get_monotonic_time();
	gchar buf[256];

	g_socket_set_timeout(socket, rc_test_timeout(20000) / 1000);
	for (;;) {
		g_autoptr(GError) error = NULL;
		gssize n = g_socket_receive(socket, buf, sizeof(buf), NULL, &error);
		g_assert_false(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
		if (n <= 0)
			break;
	}
	return (g_get_monotonic_time() - start) / 1000;
}

static void
hello_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_tls_connection_handshake_finish(G_TLS_CONNECTION(source), res, NULL);
}

/* the first flight of a real TLS client, its ClientHello, as GIO sends it */
static GBytes *
client_hello(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) a = NULL;
	g_autoptr(GSocket) b = NULL;
	g_autoptr(GSocketConnection) conn = NULL;
	g_autoptr(GSocketConnectable) identity = g_network_address_new("localhost", 0);
	g_autoptr(GIOStream) tls = NULL;
	g_autoptr(GCancellable) cancel = g_cancellable_new();
	g_autoptr(GByteArray) hello = g_byte_array_new();
	gint fds[2];

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
	a = g_socket_new_from_fd(fds[0], &error);
	g_assert_no_error(error);
	b = g_socket_new_from_fd(fds[1], &error);
	g_assert_no_error(error);
	conn = g_socket_connection_factory_create_connection(a);
	tls = g_tls_client_connection_new(G_IO_STREAM(conn), identity, &error);
	g_assert_no_error(error);
	g_tls_connection_handshake_async(
	    G_TLS_CONNECTION(tls), G_PRIORITY_DEFAULT, cancel, hello_done_cb, NULL);
	/* the record header says how long the rest is */
	g_socket_set_timeout(b, 10);
	while (hello->len < 5 || hello->len < 5u + (hello->data[3] << 8 | hello->data[4])) {
		guint8 buf[4096];
		gssize n = g_socket_receive(b, (gchar *)buf, sizeof(buf), NULL, &error);
		g_assert_no_error(error);
		g_assert_cmpint(n, >, 0);
		g_byte_array_append(hello, buf, (guint)n);
	}
	g_assert_cmpuint(hello->data[0], ==, 22);
	g_cancellable_cancel(cancel);
	return g_byte_array_free_to_bytes(g_steal_pointer(&hello));
}

/* clients that never get through their handshake, or never ask anything after
 * it, are closed after idle_timeout; the others are served all along */
static void
test_tls_silent_clients(void)
{
	g_autoptr(RcTestTlsFiles) files = rc_test_tls_files_new();
	/* a served client's handshake must beat it: longer for a daemon under
	 * valgrind, whose handshakes take seconds on a busy machine */
	guint idle_s = rc_test_timeout(2000) / 1000;
	g_autofree gchar *idle_line = g_strdup_printf("idle_timeout=%u\n", idle_s);
	g_autoptr(RcTestNode) node = tls_node_new(files->server_cert, files->server_key, idle_line);
	g_autoptr(GSocketConnection) silent = NULL;
	g_autoptr(GSocketConnection) partial = NULL;
	g_autoptr(GSocketConnection) idle_tcp = NULL;
	g_autoptr(GSocketConnection) stalled = NULL;
	g_autoptr(GBytes) hello = client_hello();
	g_autoptr(GIOStream) idle = NULL;
	g_autoptr(GError) error = NULL;
	/* a handshake record header announcing 512 bytes, then nothing */
	const guint8 header[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01};
	gint fds;
	gint64 ms;

	rc_test_sleep(200);
	fds = count_sockets(node);
	silent = tcp_connect(node);
	partial = tcp_connect(node);
	g_socket_send(g_socket_connection_get_socket(partial),
		      (const gchar *)header,
		      sizeof(header),
		      NULL,
		      &error);
	g_assert_no_error(error);
	idle_tcp = tcp_connect(node);
	idle = tls_connect(idle_tcp, files->ca_cert, &error);
	g_assert_no_error(error);
	/* a whole ClientHello, and then nothing: the node's handshake waits for more */
	stalled = tcp_connect(node);
	g_socket_send(g_socket_connection_get_socket(stalled),
		      g_bytes_get_data(hello, NULL),
		      g_bytes_get_size(hello),
		      NULL,
		      &error);
	g_assert_no_error(error);
	/* meanwhile the node serves */
	for (guint i = 0; i < 3; i++)
		assert_healthz(node, files->ca_cert);

	ms = wait_closed_ms(silent);
	g_assert_cmpint(ms, <, idle_s * 3000);
	ms = wait_closed_ms(partial);
	g_assert_cmpint(ms, <, idle_s * 3000);
	ms = wait_closed_ms(idle_tcp);
	g_assert_cmpint(ms, <, idle_s * 3000);
	ms = wait_closed_ms(stalled);
	g_assert_cmpint(ms, <, idle_s * 3000);
	/* every socket is given back */
	rc_test_sleep(200);
	g_assert_cmpint(count_sockets(node), ==, fds);
	assert_healthz(node, files->ca_cert);
}

/* the start with bad TLS settings: exit 1 and one line; --check-config says the same */
static void
test_tls_bad_config(void)
{
	g_autoptr(RcTestTlsFiles) files = rc_test_tls_files_new();
	g_autofree gchar *missing_crt = g_build_filename(files->dir, "missing.crt", NULL);
	g_autofree gchar *missing_key = g_build_filename(files->dir, "missing.key", NULL);
	g_autofree gchar *locked = g_build_filename(files->dir, "locked.key", NULL);
	struct {
		const gchar *cert, *key, *pattern;
	} cases[] = {
	    {files->server_cert,
	     NULL,
	     "*[server] tls_certificate and tls_key go together: “*server.crt” is set, tls_key is "
	     "not"},
	    {NULL,
	     files->server_key,
	     "*[server] tls_certificate and tls_key go together: “*server.key” is set, "
	     "tls_certificate is not"},
	    {missing_crt,
	     files->server_key,
	     "*[server] tls_certificate: cannot read “*missing.crt”: No such file or directory"},
	    {files->server_cert,
	     missing_key,
	     "*[server] tls_key: cannot read “*missing.key”: No such file or directory"},
	    {files->server_cert,
	     files->client_key,
	     "*[server] tls_key: the key in “*client.key” does not belong to the certificate in "
	     "“*server.crt”"},
	    {files->server_key,
	     files->server_key,
	     "*[server] tls_certificate: no certificate in “*server.key”: *"},
	    {files->server_cert,
	     files->server_cert,
	     "*[server] tls_key: no private key in “*server.crt”: *"},
	    /* unreadable whoever runs the test: a folder */
	    {files->dir, files->server_key, "*[server] tls_certificate: cannot read “*”: *"},
	    {files->server_cert,
	     locked,
	     "*[server] tls_key: cannot read “*locked.key”: Permission denied"},
	};

	copy_file(files->server_key, locked);
	g_assert_cmpint(g_chmod(locked, 0), ==, 0);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GString) config = g_string_new("[server]\n");
		const gchar *path;
		g_autoptr(RcTestNode) node = NULL;
		g_autoptr(RcTestNode) check = NULL;
		GPtrArray *lines;
		const gchar *line = NULL;
		guint n = 0;

		/* root reads anything */
		if (cases[i].key == locked && geteuid() == 0)
			continue;
		if (cases[i].cert != NULL)
			g_string_append_printf(config, "tls_certificate=%s\n", cases[i].cert);
		if (cases[i].key != NULL)
			g_string_append_printf(config, "tls_key=%s\n", cases[i].key);
		path = rc_test_write_config(config->str);
		{
			const gchar *args[] = {
			    "--port", "0", "--bus", "none", "--config", path, NULL};
			node = rc_test_node_spawn(args);
		}
		g_assert_cmpint(rc_test_node_wait_exit(node, WAIT), ==, 1);
		lines = rc_test_node_get_stderr_lines(node);
		for (guint j = 0; j < lines->len; j++) {
			const gchar *l = g_ptr_array_index(lines, j);
			if (l[0] == '\0')
				continue;
			n++;
			line = l;
		}
		g_test_message("%s", line);
		if (n != 1 || !g_pattern_match_simple(cases[i].pattern, line) ||
		    !g_str_has_prefix(line, "roomcastd: ") || strstr(line, path) == NULL)
			g_error("expected one line like “%s”, got %u, last “%s”",
				cases[i].pattern,
				n,
				line);
		g_assert_cmpuint(rc_test_node_get_stdout_lines(node)->len, ==, 0);

		/* the check: exit 1, that same line and no other */
		{
			const gchar *args[] = {"--check-config", "--config", path, NULL};
			check = rc_test_node_spawn(args);
		}
		g_assert_cmpint(rc_test_node_wait_exit(check, WAIT), ==, 1);
		lines = rc_test_node_get_stdout_lines(check);
		g_assert_cmpuint(lines->len, ==, 1);
		g_assert_cmpstr(g_ptr_array_index(lines, 0), ==, line + strlen("roomcastd: "));
	}

	/* a good pair passes the check, and the check binds nothing */
	{
		g_autofree gchar *config =
		    g_strdup_printf("[server]\ntls_certificate=%s\ntls_key=%s\n",
				    files->server_cert,
				    files->server_key);
		const gchar *path = rc_test_write_config(config);
		const gchar *args[] = {"--check-config", "--config", path, NULL};
		g_autoptr(RcTestNode) check = rc_test_node_spawn(args);

		g_assert_cmpint(rc_test_node_wait_exit(check, WAIT), ==, 0);
		g_assert_cmpuint(rc_test_node_get_stdout_lines(check)->len, ==, 0);
	}
	/* the check looks at each key with the one it goes with: a good Redis client
	 * certificate and key are no "set both" problem either */
	{
		g_autofree gchar *config =
		    g_strdup_printf("[redis]\nurl=rediss://localhost:6390\ntls_ca_file=%s\n"
				    "tls_cert_file=%s\ntls_key_file=%s\n",
				    files->ca_cert,
				    files->client_cert,
				    files->client_key);
		const gchar *path = rc_test_write_config(config);
		const gchar *args[] = {"--check-config", "--config", path, NULL};
		g_autoptr(RcTestNode) check = rc_test_node_spawn(args);

		g_assert_cmpint(rc_test_node_wait_exit(check, WAIT), ==, 0);
		g_assert_cmpuint(rc_test_node_get_stdout_lines(check)->len, ==, 0);
	}
}

int
main(int argc, char **argv)
{
	rc_test_init(&argc, &argv);
	g_test_add_func("/tls/serves", test_tls_serves);
	g_test_add_func("/tls/frames-with-upgrade", test_tls_frames_with_upgrade);
	g_test_add_func("/tls/plain-http", test_tls_plain_http);
	g_test_add_func("/tls/untrusted", test_tls_untrusted);
	g_test_add_func("/tls/reload", test_tls_reload);
	g_test_add_func("/tls/reload-turns-on", test_tls_reload_turns_on);
	g_test_add_func("/tls/silent-clients", test_tls_silent_clients);
	g_test_add_func("/tls/bad-config", test_tls_bad_config);
	return g_test_run();
}
