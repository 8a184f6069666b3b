/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcBenchTest"

#include <gio/gio.h>
#include <math.h>
#include <string.h>

#include "rc-bench-conn.h"
#include "rc-bench-histogram.h"
#include "rc-bench-poller.h"
#include "rc-bench-redis.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

typedef enum {
	SERVE_FRAMES,	   /* a valid upgrade, then every kind of frame, split over two writes */
	SERVE_REFUSED,	   /* HTTP 403 instead of 101 */
	SERVE_BAD_ACCEPT,  /* 101 with a wrong Sec-WebSocket-Accept */
	SERVE_MASKED,	   /* a valid upgrade, then a masked frame (servers must not mask) */
	SERVE_EOF_NO_CLOSE /* a valid upgrade, then the TCP connection just ends */
} ServeMode;

typedef struct {
	ServeMode mode;
	GSocketService *service;
	GSocketConnection *server_conn;
	GByteArray *from_client;
	guint8 read_buf[4096];
	gboolean answered;
	gboolean server_eof;
	GBytes *second_chunk;
	/* what the client saw */
	RcBenchPoller *poller;
	RcBenchConn *conn;
	GPtrArray *texts;
	GError *closed_error;
	gboolean closed;
} Fixture;

static void
append_frame(GByteArray *out, guint8 first_byte, const guint8 *payload, gsize len, gboolean masked)
{
	guint8 h[14];
	gsize hl = 2;
	const guint8 key[4] = {0x11, 0x22, 0x33, 0x44};

	h[0] = first_byte;
	if (len < 126) {
		h[1] = (guint8)len;
	} else if (len <= 0xffff) {
		h[1] = 126;
		h[2] = (guint8)(len >> 8);
		h[3] = (guint8)len;
		hl = 4;
	} else {
		h[1] = 127;
		for (guint i = 0; i < 8; i++)
			h[2 + i] = (guint8)((guint64)len >> (56 - 8 * i));
		hl = 10;
	}
	if (masked) {
		h[1] |= 0x80;
		memcpy(h + hl, key, 4);
		hl += 4;
	}
	g_byte_array_append(out, h, (guint)hl);
	for (gsize i = 0; i < len; i++) {
		guint8 b = payload[i] ^ (masked ? key[i & 3] : 0);
		g_byte_array_append(out, &b, 1);
	}
}

static gchar *
accept_for(const gchar *request)
{
	const gchar *k = strstr(request, "Sec-WebSocket-Key: ");
	g_autofree gchar *key = NULL;
	g_autofree gchar *cat = NULL;
	guint8 digest[20];
	gsize dlen = sizeof(digest);
	g_autoptr(GChecksum) sha1 = g_checksum_new(G_CHECKSUM_SHA1);

	g_assert_nonnull(k);
	k += strlen("Sec-WebSocket-Key: ");
	key = g_strndup(k, strcspn(k, "\r"));
	cat = g_strconcat(key, WS_GUID, NULL);
	g_checksum_update(sha1, (const guchar *)cat, -1);
	g_checksum_get_digest(sha1, digest, &dlen);
	return g_base64_encode(digest, dlen);
}

static void
write_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GError) error = NULL;

	g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, &error);
	g_assert_no_error(error);
}

static void
server_write(Fixture *f, GBytes *bytes)
{
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(f->server_conn));
	gsize len;
	const guint8 *data = g_bytes_get_data(bytes, &len);

	/* the bytes stay alive in the closure of the idle/timeout that called us or in f */
	g_output_stream_write_all_async(out, data, len, G_PRIORITY_DEFAULT, NULL, write_done_cb, f);
}

static gboolean
second_chunk_cb(gpointer user_data)
{
	Fixture *f = user_data;

	server_write(f, f->second_chunk);
	return G_SOURCE_REMOVE;
}

static void
server_answer(Fixture *f, const gchar *request)
{
	g_autofree gchar *accept = accept_for(request);
	g_autoptr(GByteArray) out = g_byte_array_new();
	g_autofree gchar *header = NULL;
	gsize split;

	if (f->mode == SERVE_REFUSED) {
		header = g_strdup("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
	} else {
		header = g_strdup_printf(
		    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		    "Connection: Upgrade\r\nsec-websocket-accept: %s\r\n\r\n",
		    f->mode == SERVE_BAD_ACCEPT ? "AAAAAAAAAAAAAAAAAAAAAAAAAAA=" : accept);
	}
	g_byte_array_append(out, (const guint8 *)header, (guint)strlen(header));
	if (f->mode == SERVE_FRAMES) {
		g_autofree guint8 *x300 = g_malloc(300);
		g_autofree guint8 *y70k = g_malloc(70000);
		static const guint8 close_1001[] = {0x03, 0xe9, 'b', 'y', 'e'};

		memset(x300, 'x', 300);
		memset(y70k, 'y', 70000);
		append_frame(out, 0x81, (const guint8 *)"a", 1, FALSE);
		append_frame(out, 0x01, (const guint8 *)"frag", 4, FALSE);
		append_frame(
		    out, 0x89, (const guint8 *)"pp", 2, FALSE); /* ping between fragments */
		append_frame(out, 0x00, (const guint8 *)"men", 3, FALSE);
		append_frame(out, 0x80, (const guint8 *)"ted", 3, FALSE);
		split = out->len + 3; /* the next write starts inside a frame header */
		append_frame(out, 0x81, x300, 300, FALSE);
		append_frame(out, 0x82, (const guint8 *)"bin", 3, FALSE); /* ignored */
		append_frame(out, 0x81, y70k, 70000, FALSE);
		append_frame(out, 0x88, close_1001, sizeof(close_1001), FALSE);
	} else if (f->mode == SERVE_MASKED) {
		append_frame(out, 0x81, (const guint8 *)"m", 1, TRUE);
		split = out->len;
	} else {
		split = out->len;
	}
	f->second_chunk = g_bytes_new(out->data + split, out->len - split);
	{
		g_autoptr(GBytes) first = g_bytes_new(out->data, split);
		GOutputStream *os = g_io_stream_get_output_stream(G_IO_STREAM(f->server_conn));

		g_output_stream_write_all(
		    os, g_bytes_get_data(first, NULL), split, NULL, NULL, NULL);
	}
	if (f->mode == SERVE_EOF_NO_CLOSE || f->mode == SERVE_REFUSED ||
	    f->mode == SERVE_BAD_ACCEPT)
		g_io_stream_close(G_IO_STREAM(f->server_conn), NULL, NULL);
	else
		g_timeout_add(50, second_chunk_cb, f);
}

static void server_read(Fixture *f);

static void
server_read_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Fixture *f = user_data;
	g_autoptr(GError) error = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);
	const guint8 *end;

	if (n <= 0) {
		f->server_eof = TRUE;
		return;
	}
	g_byte_array_append(f->from_client, f->read_buf, (guint)n);
	if (!f->answered &&
	    (end = memmem(f->from_client->data, f->from_client->len, "\r\n\r\n", 4)) != NULL) {
		g_autofree gchar *request =
		    g_strndup((const gchar *)f->from_client->data, end - f->from_client->data);

		f->answered = TRUE;
		g_assert_true(g_str_has_prefix(request, "GET /ws?sender=t1 HTTP/1.1\r\n"));
		g_assert_nonnull(strstr(request, "\r\nHost: 127.0.0.1:"));
		g_assert_nonnull(strstr(request, "\r\nSec-WebSocket-Version: 13"));
		g_byte_array_remove_range(
		    f->from_client, 0, (guint)(end - f->from_client->data) + 4);
		server_answer(f, request);
		if (f->server_conn == NULL || g_io_stream_is_closed(G_IO_STREAM(f->server_conn)))
			return;
	}
	server_read(f);
}

static void
server_read(Fixture *f)
{
	GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(f->server_conn));

	g_input_stream_read_async(
	    in, f->read_buf, sizeof(f->read_buf), G_PRIORITY_DEFAULT, NULL, server_read_cb, f);
}

static gboolean
incoming_cb(GSocketService *service, GSocketConnection *conn, GObject *src, gpointer user_data)
{
	Fixture *f = user_data;

	g_assert_null(f->server_conn);
	f->server_conn = g_object_ref(conn);
	server_read(f);
	return TRUE;
}

static void
client_text_cb(RcBenchConn *conn, const gchar *data, gsize len, gpointer user_data)
{
	Fixture *f = user_data;

	g_ptr_array_add(f->texts, g_strndup(data, len));
	if (f->texts->len == 1)
		g_assert_true(rc_bench_conn_send_text(conn, "hi there", 8));
}

static void
client_closed_cb(RcBenchConn *conn, const GError *error, gpointer user_data)
{
	Fixture *f = user_data;

	g_assert_false(f->closed);
	f->closed = TRUE;
	f->closed_error = g_error_copy(error);
}

static const RcBenchConnCallbacks client_callbacks = {
    .text = client_text_cb,
    .closed = client_closed_cb,
};

static void
run_client(Fixture *f, ServeMode mode)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) dest = NULL;
	g_autofree gchar *host = NULL;
	guint16 port;
	gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

	f->mode = mode;
	f->from_client = g_byte_array_new();
	f->texts = g_ptr_array_new_with_free_func(g_free);
	f->service = g_socket_service_new();
	port = g_socket_listener_add_any_inet_port(G_SOCKET_LISTENER(f->service), NULL, &error);
	g_assert_no_error(error);
	g_signal_connect(f->service, "incoming", G_CALLBACK(incoming_cb), f);

	f->poller = rc_bench_poller_new(&error);
	g_assert_no_error(error);
	f->conn = rc_bench_conn_new(f->poller, &client_callbacks, f);
	dest = g_inet_socket_address_new(lo, port);
	host = g_strdup_printf("127.0.0.1:%u", port);
	g_assert_true(rc_bench_conn_start(f->conn, dest, NULL, host, "/ws?sender=t1", &error));
	g_assert_no_error(error);

	/* the client is done when it reports the close; the server when it sees EOF */
	while (!f->closed || (mode != SERVE_REFUSED && mode != SERVE_BAD_ACCEPT &&
			      mode != SERVE_EOF_NO_CLOSE && !f->server_eof)) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_main_context_iteration(NULL, TRUE);
	}
}

static void
fixture_clear(Fixture *f)
{
	g_socket_service_stop(f->service);
	g_socket_listener_close(G_SOCKET_LISTENER(f->service));
	g_clear_object(&f->service);
	g_clear_object(&f->server_conn);
	g_clear_object(&f->conn);
	g_clear_object(&f->poller);
	g_clear_pointer(&f->from_client, g_byte_array_unref);
	g_clear_pointer(&f->texts, g_ptr_array_unref);
	g_clear_pointer(&f->second_chunk, g_bytes_unref);
	g_clear_error(&f->closed_error);
	/* let pending async callbacks of the closed streams run before the next test */
	while (g_main_context_iteration(NULL, FALSE))
		;
}

/* reads the next masked client frame from @buf at *@pos */
static gboolean
next_client_frame(GByteArray *buf, gsize *pos, guint *opcode, GByteArray *payload)
{
	const guint8 *p = buf->data + *pos;
	gsize avail = buf->len - *pos, len, hl = 2;

	if (avail < 6)
		return FALSE;
	g_assert_true(p[0] & 0x80); /* FIN */
	g_assert_true(p[1] & 0x80); /* RFC 6455: client frames are masked */
	len = p[1] & 0x7f;
	g_assert_cmpuint(len, <, 126);
	g_assert_cmpuint(avail, >=, hl + 4 + len);
	*opcode = p[0] & 0x0f;
	g_byte_array_set_size(payload, 0);
	for (gsize i = 0; i < len; i++) {
		guint8 b = p[hl + 4 + i] ^ p[hl + (i & 3)];
		g_byte_array_append(payload, &b, 1);
	}
	*pos += hl + 4 + len;
	return TRUE;
}

static void
test_conn_frames(void)
{
	Fixture f = {0};
	g_autoptr(GByteArray) payload = g_byte_array_new();
	gsize pos = 0;
	guint opcode;

	run_client(&f, SERVE_FRAMES);

	/* texts in order, fragments reassembled around a ping, binary ignored, split reads joined
	 */
	g_assert_cmpuint(f.texts->len, ==, 4);
	g_assert_cmpstr(g_ptr_array_index(f.texts, 0), ==, "a");
	g_assert_cmpstr(g_ptr_array_index(f.texts, 1), ==, "fragmented");
	g_assert_cmpuint(strlen(g_ptr_array_index(f.texts, 2)), ==, 300);
	g_assert_cmpuint(strspn(g_ptr_array_index(f.texts, 2), "x"), ==, 300);
	g_assert_cmpuint(strlen(g_ptr_array_index(f.texts, 3)), ==, 70000);
	g_assert_cmpuint(strspn(g_ptr_array_index(f.texts, 3), "y"), ==, 70000);
	/* the server's close code is reported */
	g_assert_error(f.closed_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
	g_assert_nonnull(strstr(f.closed_error->message, "1001"));
	g_assert_cmpuint(rc_bench_conn_get_close_code(f.conn), ==, 1001);
	g_assert_false(rc_bench_conn_is_open(f.conn));
	g_assert_false(rc_bench_conn_send_text(f.conn, "late", 4));

	/* what the server received: our text, the pong, the close echo; all masked */
	g_assert_true(next_client_frame(f.from_client, &pos, &opcode, payload));
	g_assert_cmpuint(opcode, ==, 0x1);
	g_assert_cmpmem(payload->data, payload->len, "hi there", 8);
	g_assert_true(next_client_frame(f.from_client, &pos, &opcode, payload));
	g_assert_cmpuint(opcode, ==, 0xa);
	g_assert_cmpmem(payload->data, payload->len, "pp", 2);
	g_assert_true(next_client_frame(f.from_client, &pos, &opcode, payload));
	g_assert_cmpuint(opcode, ==, 0x8);
	g_assert_cmpmem(payload->data, payload->len, "\x03\xe9", 2);
	g_assert_cmpuint(pos, ==, f.from_client->len);
	fixture_clear(&f);
}

static void
test_conn_refused(void)
{
	Fixture f = {0};

	run_client(&f, SERVE_REFUSED);
	g_assert_cmpuint(f.texts->len, ==, 0);
	g_assert_nonnull(f.closed_error);
	g_assert_nonnull(strstr(f.closed_error->message, "HTTP/1.1 403 Forbidden"));
	fixture_clear(&f);
}

static void
test_conn_bad_accept(void)
{
	Fixture f = {0};

	run_client(&f, SERVE_BAD_ACCEPT);
	g_assert_cmpuint(f.texts->len, ==, 0);
	g_assert_nonnull(f.closed_error);
	g_assert_nonnull(strstr(f.closed_error->message, "Sec-WebSocket-Accept"));
	fixture_clear(&f);
}

static void
test_conn_masked_frame(void)
{
	Fixture f = {0};

	run_client(&f, SERVE_MASKED);
	g_assert_cmpuint(f.texts->len, ==, 0);
	g_assert_error(f.closed_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(f.closed_error->message, "masked"));
	fixture_clear(&f);
}

static void
test_conn_eof(void)
{
	Fixture f = {0};

	run_client(&f, SERVE_EOF_NO_CLOSE);
	g_assert_error(f.closed_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
	g_assert_cmpuint(rc_bench_conn_get_close_code(f.conn), ==, 0);
	fixture_clear(&f);
}

static void
test_conn_refused_port(void)
{
	Fixture f = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) s =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

	/* a port that is bound but not listening refuses connections */
	g_assert_true(g_socket_bind(s, any, FALSE, &error));
	bound = g_socket_get_local_address(s, &error);
	f.texts = g_ptr_array_new_with_free_func(g_free);
	f.poller = rc_bench_poller_new(&error);
	f.conn = rc_bench_conn_new(f.poller, &client_callbacks, &f);
	/* loopback may refuse at once or report it through the poller */
	if (!rc_bench_conn_start(f.conn, bound, lo, "x", "/ws", &error)) {
		f.closed = TRUE;
		f.closed_error = g_steal_pointer(&error);
	}
	while (!f.closed) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_main_context_iteration(NULL, TRUE);
	}
	g_assert_error(f.closed_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
	g_clear_object(&f.conn);
	g_clear_object(&f.poller);
	g_clear_pointer(&f.texts, g_ptr_array_unref);
	g_clear_error(&f.closed_error);
}

static void
test_histogram(void)
{
	g_autoptr(RcBenchHistogram) h = rc_bench_histogram_new();

	g_assert_cmpuint(rc_bench_histogram_get_percentile(h, 0.5), ==, 0);
	/* small values are exact */
	for (guint64 v = 1; v <= 100; v++)
		rc_bench_histogram_record(h, v);
	g_assert_cmpuint(rc_bench_histogram_get_count(h), ==, 100);
	g_assert_cmpuint(rc_bench_histogram_get_percentile(h, 0.5), ==, 51);
	g_assert_cmpuint(rc_bench_histogram_get_percentile(h, 0.99), ==, 100);
	g_assert_cmpuint(rc_bench_histogram_get_percentile(h, 0.0), ==, 1);
	g_assert_cmpuint(rc_bench_histogram_get_max(h), ==, 100);

	/* large values within 1/64 of the truth, the maximum exact */
	rc_bench_histogram_reset(h);
	g_assert_cmpuint(rc_bench_histogram_get_count(h), ==, 0);
	for (guint64 i = 1; i <= 100000; i++)
		rc_bench_histogram_record(h, i * 1000); /* 1 µs .. 100 ms in ns */
	for (guint p = 1; p < 100; p++) {
		gdouble want = (gdouble)(p * 1000 + 1) * 1000;
		gdouble got = (gdouble)rc_bench_histogram_get_percentile(h, p / 100.0);
		g_assert_cmpfloat(fabs(got - want) / want, <, 1.0 / 64);
	}
	g_assert_cmpuint(rc_bench_histogram_get_max(h), ==, 100000000);
	g_assert_cmpuint(rc_bench_histogram_get_percentile(h, 1.0), <=, 100000000);
	rc_bench_histogram_record(h, G_MAXUINT64);
	g_assert_cmpuint(rc_bench_histogram_get_max(h), ==, G_MAXUINT64);
}

static void
test_redis_parse_info(void)
{
	static const gchar full[] = "$80\r\n# Stats\r\ntotal_connections_received:3\r\n"
				    "total_commands_processed:12345\r\ninstantaneous_ops:1\r\n\r\n";
	guint64 v = 0;
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(rc_bench_redis_parse_info(full, strlen(full), &v, &error), ==, 1);
	g_assert_no_error(error);
	g_assert_cmpuint(v, ==, 12345);
	/* cut inside the number, or before the field: not there yet */
	for (gsize cut = 0; cut < strlen(full); cut++) {
		const gchar *p = strstr(full, "12345\r");
		gint found = rc_bench_redis_parse_info(full, cut, &v, &error);

		g_assert_no_error(error);
		g_assert_cmpint(found, ==, cut > (gsize)(p + 5 - full) ? 1 : 0);
	}
	g_assert_cmpint(
	    rc_bench_redis_parse_info("-NOAUTH Authentication required.\r\n", 35, &v, &error),
	    ==,
	    -1);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "NOAUTH Authentication required."));
	g_clear_error(&error);
	g_assert_cmpint(rc_bench_redis_parse_info("+OK\r\n", 5, &v, &error), ==, -1);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
	g_clear_error(&error);
	g_assert_cmpint(
	    rc_bench_redis_parse_info("$40\r\ntotal_commands_processed:1x2\r\n", 36, &v, &error),
	    ==,
	    -1);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "1x2"));
}

typedef struct {
	const gchar *answer;
	GAsyncResult *result;
} RedisFixture;

static gboolean
redis_incoming_cb(GSocketService *service,
		  GSocketConnection *conn,
		  GObject *source,
		  gpointer user_data)
{
	RedisFixture *f = user_data;
	GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));

	/* a few bytes on a local socket: the write does not block */
	g_assert_true(
	    g_output_stream_write_all(out, f->answer, strlen(f->answer), NULL, NULL, NULL));
	g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
	return TRUE;
}

static void
redis_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	RedisFixture *f = user_data;

	f->result = g_object_ref(result);
}

/* rc_bench_redis_commands_async() against a scripted server: @answer, then EOF */
static gboolean
redis_commands(const gchar *answer, guint64 *v, GError **error)
{
	g_autoptr(GSocketService) service = g_socket_service_new();
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	g_autoptr(GSocketConnectable) dest = NULL;
	RedisFixture f = {.answer = answer};
	gboolean ok;

	g_assert_true(g_socket_listener_add_address(G_SOCKET_LISTENER(service),
						    any,
						    G_SOCKET_TYPE_STREAM,
						    G_SOCKET_PROTOCOL_TCP,
						    NULL,
						    &bound,
						    NULL));
	g_signal_connect(service, "incoming", G_CALLBACK(redis_incoming_cb), &f);
	dest = g_network_address_new("127.0.0.1",
				     g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound)));
	rc_bench_redis_commands_async(dest, NULL, redis_done_cb, &f);
	while (f.result == NULL)
		g_main_context_iteration(NULL, TRUE);
	ok = rc_bench_redis_commands_finish(f.result, v, error);
	g_object_unref(f.result);
	g_socket_service_stop(service);
	g_socket_listener_close(G_SOCKET_LISTENER(service));
	return ok;
}

static void
test_redis_commands(void)
{
	guint64 v = 0;
	g_autoptr(GError) error = NULL;

	g_assert_true(
	    redis_commands("$40\r\n# Stats\r\ntotal_commands_processed:77\r\n\r\n", &v, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(v, ==, 77);
	g_assert_false(redis_commands("-ERR unknown command\r\n", &v, &error));
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_FAILED);
	g_clear_error(&error);
	/* the answer ends without the field */
	g_assert_false(redis_commands("$10\r\n# Stats\r\n\r\n", &v, &error));
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/bench/conn/frames", test_conn_frames);
	g_test_add_func("/bench/conn/refused-upgrade", test_conn_refused);
	g_test_add_func("/bench/conn/bad-accept", test_conn_bad_accept);
	g_test_add_func("/bench/conn/masked-server-frame", test_conn_masked_frame);
	g_test_add_func("/bench/conn/eof-without-close", test_conn_eof);
	g_test_add_func("/bench/conn/connection-refused", test_conn_refused_port);
	g_test_add_func("/bench/histogram", test_histogram);
	g_test_add_func("/bench/redis/parse-info", test_redis_parse_info);
	g_test_add_func("/bench/redis/commands", test_redis_commands);
	return g_test_run();
}
