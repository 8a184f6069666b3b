/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The hand-written I/O under every client connection, in-process over socketpairs
 * (as libsoup's own websocket tests do): RcQueueOutputStream, RcClientPoller, and a
 * real SoupWebsocketConnection on top of them. The peer end is a plain socket the
 * test reads and writes byte for byte.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "transport/rc-client-io-stream.h"
#include "transport/rc-client-poller.h"
#include "transport/rc-queue-output-stream.h"
#include "transport/rc-ws-client.h"
#include "transport/rc-ws-frame.h"

typedef struct {
	gint server_fd;
	gint peer_fd;
	GIOStream *base;   /* GSocketConnection of server_fd */
	GIOStream *stream; /* RcClientIOStream over it */
	RcQueueOutputStream *queue;
} Pair;

/* @raw: the queue sends to the socket itself, as a node's plain (not TLS) clients'
 * queues do; else it writes through GIO's socket stream, as under TLS */
static void
pair_init_full(Pair *p, gint sndbuf, gboolean raw)
{
	gint fds[2];
	g_autoptr(GSocket) socket = NULL;

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
	p->server_fd = fds[0];
	p->peer_fd = fds[1];
	if (sndbuf > 0) {
		g_assert_cmpint(setsockopt(p->server_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)),
				==,
				0);
		g_assert_cmpint(setsockopt(p->peer_fd, SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof(sndbuf)),
				==,
				0);
	}
	socket = g_socket_new_from_fd(p->server_fd, NULL);
	g_assert_nonnull(socket);
	g_socket_set_blocking(socket, FALSE);
	p->base = G_IO_STREAM(g_socket_connection_factory_create_connection(socket));
	p->stream = rc_client_io_stream_new(p->base, p->server_fd, !raw);
	p->queue = rc_client_io_stream_get_queue(RC_CLIENT_IO_STREAM(p->stream));
}

static void
pair_init(Pair *p, gint sndbuf)
{
	pair_init_full(p, sndbuf, TRUE);
}

static void
pair_clear(Pair *p)
{
	g_io_stream_close(p->stream, NULL, NULL);
	g_clear_object(&p->stream);
	g_clear_object(&p->base);
	close(p->peer_fd);
	/* let the poller drop what the closed socket left */
	while (g_main_context_iteration(NULL, FALSE))
		;
}

/* runs what is ready, a bounded number of times: a level-triggered watch on a
 * readable socket would keep an unbounded loop busy forever */
static void
iterate(void)
{
	for (guint i = 0; i < 50 && g_main_context_iteration(NULL, FALSE); i++)
		;
}

/* reads what the peer can get within @ms, letting the server side flush meanwhile */
static void
peer_read_all(Pair *p, GByteArray *into, guint ms)
{
	gint64 end = g_get_monotonic_time() + ms * G_TIME_SPAN_MILLISECOND;
	guint8 buf[4096];

	while (g_get_monotonic_time() < end) {
		struct pollfd pfd = {p->peer_fd, POLLIN, 0};
		gssize n;

		iterate();
		if (poll(&pfd, 1, 5) <= 0)
			continue;
		n = recv(p->peer_fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0)
			return;
		if (n < 0) {
			g_assert_true(errno == EAGAIN || errno == EINTR || errno == ECONNRESET);
			if (errno == ECONNRESET)
				return;
			continue;
		}
		g_byte_array_append(into, buf, (guint)n);
	}
}

static GBytes *
numbered_frame(guint i, gsize len)
{
	g_autofree gchar *payload = g_malloc(len);
	for (gsize j = 0; j < len; j++)
		payload[j] = (gchar)('a' + (i + j) % 26);
	return rc_ws_frame_text(payload, len);
}

/* the frames in @bytes: opcodes and payloads, checking the framing as it goes */
typedef struct {
	guint8 opcode;
	GBytes *payload;
} Frame;

static void
frame_clear(Frame *f)
{
	g_clear_pointer(&f->payload, g_bytes_unref);
}

static GArray *
parse_frames(GByteArray *bytes)
{
	GArray *frames = g_array_new(FALSE, TRUE, sizeof(Frame));
	gsize at = 0;

	g_array_set_clear_func(frames, (GDestroyNotify)frame_clear);
	while (at < bytes->len) {
		Frame f = {0};
		guint64 len;
		gsize head = 2;

		g_assert_cmpuint(bytes->len - at, >=, 2);
		g_assert_cmpuint(bytes->data[at] & 0x80, ==, 0x80); /* FIN */
		g_assert_cmpuint(bytes->data[at + 1] & 0x80, ==, 0);   /* server frames are unmasked */
		f.opcode = bytes->data[at] & 0x0f;
		len = bytes->data[at + 1] & 0x7f;
		if (len == 126) {
			len = ((guint64)bytes->data[at + 2] << 8) | bytes->data[at + 3];
			head = 4;
		} else if (len == 127) {
			len = 0;
			for (guint i = 0; i < 8; i++)
				len = (len << 8) | bytes->data[at + 2 + i];
			head = 10;
		}
		g_assert_cmpuint(bytes->len - at, >=, head + len);
		f.payload = g_bytes_new(bytes->data + at + head, len);
		g_array_append_val(frames, f);
		at += head + len;
	}
	return frames;
}

static GByteArray *
concat(GPtrArray *frames)
{
	GByteArray *all = g_byte_array_new();
	for (guint i = 0; i < frames->len; i++) {
		gsize len = 0;
		const guint8 *data = g_bytes_get_data(g_ptr_array_index(frames, i), &len);
		g_byte_array_append(all, data, (guint)len);
	}
	return all;
}

/* Frames the socket only takes in pieces: every byte arrives once, in order. A
 * queue that wrote a frame's start again after a short write fails here. */
static void
test_queue_partial_writes(gconstpointer data)
{
	Pair p;
	g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	g_autoptr(GByteArray) got = g_byte_array_new();
	g_autoptr(GByteArray) expected = NULL;

	pair_init_full(&p, 4096, GPOINTER_TO_INT(data));
	/* the first write, to an empty queue, is short: far more than the socket takes */
	{
		GBytes *frame = numbered_frame(1000, 100000);
		rc_queue_output_stream_push(p.queue, frame);
		g_ptr_array_add(sent, frame);
		g_assert_cmpuint(rc_queue_output_stream_get_queued(p.queue), >, 0);
		g_assert_cmpuint(rc_queue_output_stream_get_queued(p.queue),
				 <,
				 g_bytes_get_size(frame));
	}
	for (guint i = 0; i < 300; i++) {
		GBytes *frame = numbered_frame(i, 1 + (i * 7919) % 20000);
		rc_queue_output_stream_push(p.queue, frame);
		g_ptr_array_add(sent, frame);
	}
	/* the socket took a little, the rest waits */
	g_assert_cmpuint(rc_queue_output_stream_get_queued(p.queue), >, 100000);
	expected = concat(sent);
	/* until it is all there, or nothing came for 2 s (a loaded machine stalls) */
	for (guint idle = 0; got->len < expected->len && idle < 40;) {
		guint before = got->len;
		peer_read_all(&p, got, 50);
		idle = got->len == before ? idle + 1 : 0;
	}
	g_assert_cmpuint(got->len, ==, expected->len);
	g_assert_true(memcmp(got->data, expected->data, got->len) == 0);
	g_assert_cmpuint(rc_queue_output_stream_get_queued(p.queue), ==, 0);
	pair_clear(&p);
}

/* a peer that went away: the next write fails, the queue says so, drops what it
 * holds and takes nothing more */
static void
test_queue_peer_gone(gconstpointer data)
{
	Pair p;
	g_autoptr(GBytes) frame = numbered_frame(1, 100);
	g_autoptr(GByteArray) got = g_byte_array_new();

	pair_init_full(&p, 0, GPOINTER_TO_INT(data));
	rc_queue_output_stream_push(p.queue, frame);
	peer_read_all(&p, got, 50);
	g_assert_cmpuint(got->len, ==, g_bytes_get_size(frame));
	g_assert_false(rc_queue_output_stream_has_failed(p.queue));
	close(p.peer_fd);
	for (guint i = 0; i < 3 && !rc_queue_output_stream_has_failed(p.queue); i++)
		rc_queue_output_stream_push(p.queue, frame);
	g_assert_true(rc_queue_output_stream_has_failed(p.queue));
	g_assert_cmpuint(rc_queue_output_stream_get_queued(p.queue), ==, 0);
	/* and pushes after that are dropped, not queued */
	rc_queue_output_stream_push(p.queue, frame);
	g_assert_cmpuint(rc_queue_output_stream_get_queued(p.queue), ==, 0);
	p.peer_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pair_clear(&p);
}

/* A stream closed under its WebSocket: libsoup learns of it a loop round later and
 * its owner may push meanwhile. Nothing may reach the socket that has the old fd
 * number by then (the next accept() or Redis reconnect takes the lowest free one). */
static void
test_queue_after_close(gconstpointer data)
{
	Pair p;
	g_autoptr(GBytes) frame = numbered_frame(2, 100);
	g_autoptr(GBytes) close_frame = rc_ws_frame_close(1000, "bye");
	gint fds[2];
	gint old_fd;
	guint8 buf[256];

	pair_init_full(&p, 0, GPOINTER_TO_INT(data));
	old_fd = p.server_fd;
	g_assert_true(g_io_stream_close(p.stream, NULL, NULL));
	/* another connection now has that number */
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
	g_assert_cmpint(dup2(fds[0], old_fd), ==, old_fd);
	rc_queue_output_stream_push(p.queue, frame);
	rc_queue_output_stream_push_control(p.queue, close_frame);
	iterate();
	g_assert_cmpint(recv(fds[1], buf, sizeof(buf), MSG_DONTWAIT), ==, -1);
	g_assert_cmpint(errno, ==, EAGAIN);
	g_assert_cmpuint(rc_queue_output_stream_get_queued(p.queue), ==, 0);
	close(old_fd);
	close(fds[0]);
	close(fds[1]);
	pair_clear(&p);
}

static void
write_control(RcQueueOutputStream *queue, GBytes *frame)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(frame, &len);
	/* as libsoup does: a pollable write of the whole frame */
	g_assert_cmpint(g_pollable_output_stream_write_nonblocking(G_POLLABLE_OUTPUT_STREAM(queue),
								    data,
								    len,
								    NULL,
								    NULL),
			==,
			(gssize)len);
}

static GBytes *
control_frame(guint8 opcode, const gchar *payload)
{
	gsize len = strlen(payload);
	guint8 *buf = g_malloc(2 + len);
	buf[0] = 0x80 | opcode;
	buf[1] = (guint8)len;
	memcpy(buf + 2, payload, len);
	return g_bytes_new_take(buf, 2 + len);
}

/* pongs do not wait behind queued data; they wait for the frame on the wire. Of two
 * pongs not sent yet only the latest goes out (an answer to the latest ping is all a
 * WebSocket owes), so pings cannot pile up pongs. */
static void
test_queue_control_frames_first(void)
{
	Pair p;
	g_autoptr(GBytes) d1 = numbered_frame(1, 60000);
	g_autoptr(GBytes) d2 = numbered_frame(2, 60000);
	g_autoptr(GBytes) d3 = numbered_frame(3, 100);
	g_autoptr(GBytes) pong1 = control_frame(0xA, "p1");
	g_autoptr(GBytes) pong2 = control_frame(0xA, "p2");
	g_autoptr(GByteArray) got = g_byte_array_new();
	g_autoptr(GArray) frames = NULL;
	const gchar *const expected[] = {"d1", "p2", "d2", "d3"};
	gsize queued;

	pair_init(&p, 4096);
	rc_queue_output_stream_push(p.queue, d1);
	rc_queue_output_stream_push(p.queue, d2);
	rc_queue_output_stream_push(p.queue, d3);
	queued = rc_queue_output_stream_get_queued(p.queue);
	write_control(p.queue, pong1);
	write_control(p.queue, pong2);
	/* control frames count like everything else */
	g_assert_cmpuint(rc_queue_output_stream_get_queued(p.queue),
			 ==,
			 queued + g_bytes_get_size(pong2));
	peer_read_all(&p, got, 500);
	frames = parse_frames(got);
	g_assert_cmpuint(frames->len, ==, G_N_ELEMENTS(expected));
	for (guint i = 0; i < frames->len; i++) {
		Frame *f = &g_array_index(frames, Frame, i);
		if (expected[i][0] == 'p') {
			g_assert_cmpuint(f->opcode, ==, 0xA);
			g_assert_cmpmem(g_bytes_get_data(f->payload, NULL),
					g_bytes_get_size(f->payload),
					expected[i],
					2);
		} else {
			g_assert_cmpuint(f->opcode, ==, 0x1);
		}
	}
	g_assert_cmpuint(g_bytes_get_size(g_array_index(frames, Frame, 2).payload), ==, 60000);
	pair_clear(&p);
}

/* the close frame jumps the queue; the data behind it is never sent */
static void
test_queue_close_frame_drops_the_rest(void)
{
	Pair p;
	g_autoptr(GBytes) d1 = numbered_frame(1, 60000);
	g_autoptr(GBytes) d2 = numbered_frame(2, 60000);
	g_autoptr(GBytes) d3 = numbered_frame(3, 100);
	g_autoptr(GBytes) close_frame = rc_ws_frame_close(1013, "slow consumer");
	g_autoptr(GByteArray) got = g_byte_array_new();
	g_autoptr(GArray) frames = NULL;
	Frame *last;

	pair_init(&p, 4096);
	rc_queue_output_stream_push(p.queue, d1);
	rc_queue_output_stream_push(p.queue, d2);
	g_assert_false(rc_queue_output_stream_is_closed(p.queue));
	write_control(p.queue, close_frame);
	g_assert_true(rc_queue_output_stream_is_closed(p.queue));
	/* nothing goes after a close frame */
	rc_queue_output_stream_push(p.queue, d3);
	peer_read_all(&p, got, 500);
	frames = parse_frames(got);
	g_assert_cmpuint(frames->len, ==, 2);
	g_assert_cmpuint(g_array_index(frames, Frame, 0).opcode, ==, 0x1);
	g_assert_cmpuint(g_bytes_get_size(g_array_index(frames, Frame, 0).payload), ==, 60000);
	last = &g_array_index(frames, Frame, 1);
	g_assert_cmpuint(last->opcode, ==, 0x8);
	g_assert_cmpuint(((const guint8 *)g_bytes_get_data(last->payload, NULL))[0] << 8 |
			     ((const guint8 *)g_bytes_get_data(last->payload, NULL))[1],
			 ==,
			 1013);
	g_assert_cmpuint(rc_queue_output_stream_get_queued(p.queue), ==, 0);
	pair_clear(&p);
}

static void
overflow_cb(RcQueueOutputStream *queue, guint *n)
{
	(*n)++;
}

/* a peer that pings and reads nothing is bounded like one that gets messages */
static void
test_queue_control_frames_are_limited(void)
{
	Pair p;
	g_autoptr(GBytes) d1 = numbered_frame(1, 30000);
	g_autoptr(GBytes) pong = control_frame(0xA, "");
	guint overflows = 0;
	gsize queued;

	pair_init(&p, 4096);
	rc_queue_output_stream_set_limit(p.queue, 20000);
	g_signal_connect(p.queue, "overflow", G_CALLBACK(overflow_cb), &overflows);
	rc_queue_output_stream_push(p.queue, d1);
	queued = rc_queue_output_stream_get_queued(p.queue);
	g_assert_cmpuint(queued, >, 20000);
	for (guint i = 0; i < 1000; i++)
		write_control(p.queue, pong);
	/* dropped, not queued; the owner hears of it from the main loop, once */
	g_assert_cmpuint(rc_queue_output_stream_get_queued(p.queue), ==, queued);
	g_assert_cmpuint(overflows, ==, 0);
	iterate();
	g_assert_cmpuint(overflows, ==, 1);
	pair_clear(&p);
}

/* ---- a real SoupWebsocketConnection on our streams ------------------------------ */

static SoupWebsocketConnection *
server_connection_new(Pair *p)
{
	GMainContext *parking = rc_client_poller_get_parking_context(rc_client_poller_get_default());
	g_autoptr(GUri) uri = g_uri_parse("ws://127.0.0.1/ws", G_URI_FLAGS_NONE, NULL);
	SoupWebsocketConnection *conn;

	/* as RcServer does: libsoup's sources are parked, the poller dispatches them */
	g_main_context_push_thread_default(parking);
	conn = soup_websocket_connection_new(p->stream,
					     uri,
					     SOUP_WEBSOCKET_CONNECTION_SERVER,
					     NULL,
					     NULL,
					     NULL);
	g_main_context_pop_thread_default(parking);
	soup_websocket_connection_set_keepalive_interval(conn, 0);
	return conn;
}

/* a masked client frame, as a browser sends it */
static void
peer_send_frame(Pair *p, guint8 opcode, const gchar *payload)
{
	gsize len = strlen(payload);
	guint8 buf[2 + 4 + 125];
	const guint8 mask[4] = {0x12, 0x34, 0x56, 0x78};

	g_assert_cmpuint(len, <=, 125);
	buf[0] = 0x80 | opcode;
	buf[1] = 0x80 | (guint8)len;
	memcpy(buf + 2, mask, 4);
	for (gsize i = 0; i < len; i++)
		buf[6 + i] = (guint8)payload[i] ^ mask[i % 4];
	g_assert_cmpint(send(p->peer_fd, buf, 6 + len, 0), ==, (gssize)(6 + len));
}

static void
test_websocket_pong_ahead_of_data(void)
{
	Pair p;
	g_autoptr(SoupWebsocketConnection) conn = NULL;
	g_autoptr(GByteArray) got = g_byte_array_new();
	g_autoptr(GArray) frames = NULL;
	guint pong_at = G_MAXUINT;

	pair_init(&p, 4096);
	conn = server_connection_new(&p);
	for (guint i = 0; i < 20; i++) {
		g_autoptr(GBytes) frame = numbered_frame(i, 10000);
		rc_queue_output_stream_push(p.queue, frame);
	}
	peer_send_frame(&p, 0x9, "are you there");
	/* libsoup reads the ping through the poller and answers through our queue */
	for (guint i = 0; i < 50; i++) {
		iterate();
		g_usleep(1000);
	}
	peer_read_all(&p, got, 500);
	frames = parse_frames(got);
	g_assert_cmpuint(frames->len, ==, 21);
	for (guint i = 0; i < frames->len; i++) {
		Frame *f = &g_array_index(frames, Frame, i);
		if (f->opcode == 0xA) {
			g_assert_cmpmem(g_bytes_get_data(f->payload, NULL),
					g_bytes_get_size(f->payload),
					"are you there",
					13);
			pong_at = i;
		}
	}
	/* right behind the frame that was on the wire, not behind all 20 */
	g_assert_cmpuint(pong_at, <=, 2);
	pair_clear(&p);
}

static gushort
close_code_of(Frame *f)
{
	const guint8 *data = g_bytes_get_data(f->payload, NULL);
	g_assert_cmpuint(f->opcode, ==, 0x8);
	g_assert_cmpuint(g_bytes_get_size(f->payload), >=, 2);
	return (gushort)(data[0] << 8 | data[1]);
}

/* libsoup 3.2 will not send 1013: it closes with a protocol error instead. RcWsClient
 * works around it; when this starts failing, libsoup sends 1013 itself and the
 * workaround (rc_ws_client_code_refused_by_libsoup) can go. */
static void
test_websocket_libsoup_refuses_1013(void)
{
	Pair p;
	g_autoptr(SoupWebsocketConnection) conn = NULL;
	g_autoptr(GByteArray) got = g_byte_array_new();
	g_autoptr(GArray) frames = NULL;

	pair_init(&p, 0);
	conn = server_connection_new(&p);
	soup_websocket_connection_close(conn, 1013, "slow consumer");
	peer_read_all(&p, got, 300);
	frames = parse_frames(got);
	g_assert_cmpuint(frames->len, ==, 1);
	g_assert_cmpuint(close_code_of(&g_array_index(frames, Frame, 0)),
			 ==,
			 SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR);
	pair_clear(&p);
}

/* a slow reader that starts reading again gets what was on the wire, then the close
 * frame with the real code and reason: not a cut-off stream */
static void
test_websocket_close_reaches_slow_reader(void)
{
	Pair p;
	g_autoptr(SoupWebsocketConnection) conn = NULL;
	g_autoptr(RcConfig) config = rc_config_new();
	g_autoptr(RcEngine) engine = rc_engine_new(config);
	g_autoptr(RcWsClient) client = NULL;
	g_autoptr(GByteArray) got = g_byte_array_new();
	g_autoptr(GArray) frames = NULL;
	g_autoptr(GError) error = NULL;
	Frame *last;

	g_assert_true(rc_engine_load(engine, &error));
	g_assert_true(rc_engine_start(engine, "n1", &error));
	pair_init(&p, 4096);
	conn = server_connection_new(&p);
	client = rc_ws_client_new(engine, conn, p.stream, "c1", "alice", "peer", NULL);
	for (guint i = 0; i < 20; i++) {
		g_autoptr(GBytes) frame = numbered_frame(i, 10000);
		rc_queue_output_stream_push(p.queue, frame);
	}
	rc_member_close(RC_MEMBER(client), 1013, "slow consumer");
	/* the reader wakes up later and still learns why */
	for (guint i = 0; i < 20; i++) {
		iterate();
		g_usleep(5000);
	}
	peer_read_all(&p, got, 500);
	frames = parse_frames(got);
	g_assert_cmpuint(frames->len, >=, 2);
	g_assert_cmpuint(frames->len, <=, 3);
	last = &g_array_index(frames, Frame, frames->len - 1);
	g_assert_cmpuint(close_code_of(last), ==, 1013);
	g_assert_cmpmem((const guint8 *)g_bytes_get_data(last->payload, NULL) + 2,
			g_bytes_get_size(last->payload) - 2,
			"slow consumer",
			13);
	pair_clear(&p);
}

/* ---- the poller ------------------------------------------------------------------ */

typedef struct {
	guint calls;
	guint notified;
	GSource **other; /* destroyed by this callback when set */
	gboolean remove;
} Calls;

static gboolean
count_cb(GObject *stream, gpointer user_data)
{
	Calls *c = user_data;
	c->calls++;
	if (c->other != NULL && *c->other != NULL) {
		g_source_destroy(*c->other);
		g_clear_pointer(c->other, g_source_unref);
	}
	return c->remove ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static void
count_notify(gpointer user_data)
{
	((Calls *)user_data)->notified++;
}

static GSource *
watch_new(gint fd, Calls *calls)
{
	g_autoptr(GObject) any = g_object_new(G_TYPE_OBJECT, NULL);
	GSource *source = rc_client_poller_create_source(rc_client_poller_get_default(),
							 any,
							 fd,
							 G_IO_IN);
	g_source_set_callback(source, G_SOURCE_FUNC(count_cb), calls, count_notify);
	return source;
}

/* the poller invokes a source's callback itself, the way GLib's dispatch would:
 * with the callback data given to g_source_set_callback(), dropping it once */
static void
test_poller_callback_contract(void)
{
	gint fds[2];
	Calls calls = {0};
	GSource *source;

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
	source = watch_new(fds[0], &calls);
	iterate();
	g_assert_cmpuint(calls.calls, ==, 0);
	g_assert_cmpint(write(fds[1], "x", 1), ==, 1);
	g_main_context_iteration(NULL, FALSE);
	g_assert_cmpuint(calls.calls, ==, 1);
	/* level-triggered: it stays ready until read */
	g_main_context_iteration(NULL, FALSE);
	g_assert_cmpuint(calls.calls, ==, 2);
	calls.remove = TRUE;
	calls.calls = 0;
	iterate();
	g_assert_cmpuint(calls.calls, ==, 1);
	g_assert_true(g_source_is_destroyed(source));
	g_assert_cmpuint(calls.notified, ==, 0);
	g_source_unref(source);
	g_assert_cmpuint(calls.notified, ==, 1);
	iterate();
	g_assert_cmpuint(calls.calls, ==, 1);
	close(fds[0]);
	close(fds[1]);
}

/* a socket closed and its fd number reused: only the new watch fires */
static void
test_poller_fd_reuse(void)
{
	gint a[2], b[2];
	Calls old = {0}, fresh = {0};
	GSource *s_old, *s_new;

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a), ==, 0);
	s_old = watch_new(a[0], &old);
	g_source_destroy(s_old);
	g_source_unref(s_old);
	close(a[0]);
	close(a[1]);
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, b), ==, 0);
	if (b[0] != a[0] && b[1] != a[0])
		g_test_message("fd %d was not reused (got %d, %d)", a[0], b[0], b[1]);
	s_new = watch_new(b[0], &fresh);
	g_assert_cmpint(write(b[1], "y", 1), ==, 1);
	iterate();
	g_assert_cmpuint(old.calls, ==, 0);
	g_assert_cmpuint(fresh.calls, >=, 1);
	g_source_destroy(s_new);
	g_source_unref(s_new);
	close(b[0]);
	close(b[1]);
}

/* A source destroyed but still referenced (as during the poller's own dispatch)
 * while its socket closes and the fd number comes back for a new socket: the new
 * socket's watch must reach epoll, the old one must never fire again. */
static void
test_poller_fd_reuse_while_referenced(void)
{
	gint a[2], b[2];
	Calls old = {0}, fresh = {0};
	GSource *s_old, *s_new;

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a), ==, 0);
	s_old = watch_new(a[0], &old);
	g_source_destroy(s_old);
	close(a[0]);
	close(a[1]);
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, b), ==, 0);
	if (b[0] != a[0]) {
		g_source_unref(s_old);
		close(b[0]);
		close(b[1]);
		g_test_skip("the fd number was not reused");
		return;
	}
	s_new = watch_new(b[0], &fresh);
	g_assert_cmpint(write(b[1], "y", 1), ==, 1);
	g_main_context_iteration(NULL, FALSE);
	g_assert_cmpuint(old.calls, ==, 0);
	g_assert_cmpuint(fresh.calls, ==, 1);
	g_source_unref(s_old);
	g_source_destroy(s_new);
	g_source_unref(s_new);
	close(b[0]);
	close(b[1]);
}

/* a hang-up wakes the reader, which then sees EOF */
static void
test_poller_hang_up(void)
{
	gint fds[2];
	Calls calls = {0};
	GSource *source;

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
	source = watch_new(fds[0], &calls);
	close(fds[1]);
	calls.remove = TRUE;
	iterate();
	g_assert_cmpuint(calls.calls, ==, 1);
	g_source_unref(source);
	close(fds[0]);
}

/* one callback removes a source that was ready in the same round: it never runs */
static void
test_poller_removal_during_dispatch(void)
{
	gint a[2], b[2];
	Calls ca = {0}, cb = {0};
	GSource *sa, *sb;

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a), ==, 0);
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, b), ==, 0);
	sa = watch_new(a[0], &ca);
	sb = watch_new(b[0], &cb);
	ca.other = &sb;
	cb.other = &sa;
	g_assert_cmpint(write(a[1], "x", 1), ==, 1);
	g_assert_cmpint(write(b[1], "x", 1), ==, 1);
	g_main_context_iteration(NULL, FALSE);
	/* whichever ran first removed the other */
	g_assert_cmpuint(ca.calls + cb.calls, ==, 1);
	g_assert_true(sa == NULL || sb == NULL);
	if (sa != NULL) {
		g_source_destroy(sa);
		g_source_unref(sa);
	}
	if (sb != NULL) {
		g_source_destroy(sb);
		g_source_unref(sb);
	}
	iterate();
	g_assert_cmpuint(ca.calls + cb.calls, ==, 1);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

static void
count_message_cb(SoupWebsocketConnection *conn, gint type, GBytes *message, gpointer user_data)
{
	guint *count = user_data;
	(*count)++;
}

/* Frames that come one by one, as chat messages do, each reach libsoup, and
 * reading them changes nothing in the epoll set: libsoup's new input source
 * per read reuses the registration, and a short read is not followed by one
 * that finds nothing (the frame sent after it still arrives). */
static void
test_poller_steady_reads(void)
{
	Pair p;
	g_autoptr(SoupWebsocketConnection) conn = NULL;
	RcClientPoller *poller = rc_client_poller_get_default();
	guint messages = 0;
	guint64 changes;

	pair_init(&p, 0);
	conn = server_connection_new(&p);
	g_signal_connect(conn, "message", G_CALLBACK(count_message_cb), &messages);
	peer_send_frame(&p, 0x1, "first");
	for (guint i = 0; i < 20 && messages < 1; i++) {
		iterate();
		g_usleep(1000);
	}
	g_assert_cmpuint(messages, ==, 1);
	changes = rc_client_poller_get_epoll_changes(poller);
	for (guint n = 2; n <= 30; n++) {
		peer_send_frame(&p, 0x1, "one more");
		for (guint i = 0; i < 50 && messages < n; i++) {
			iterate();
			if (messages < n)
				g_usleep(1000);
		}
		g_assert_cmpuint(messages, ==, n);
	}
	g_assert_cmpuint(rc_client_poller_get_epoll_changes(poller), ==, changes);
	g_signal_handlers_disconnect_by_data(conn, &messages);
	pair_clear(&p);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_data_func("/transport/queue/partial-writes",
			     GINT_TO_POINTER(TRUE),
			     test_queue_partial_writes);
	g_test_add_data_func("/transport/queue/partial-writes-through-gio",
			     GINT_TO_POINTER(FALSE),
			     test_queue_partial_writes);
	g_test_add_data_func("/transport/queue/peer-gone", GINT_TO_POINTER(TRUE), test_queue_peer_gone);
	g_test_add_data_func("/transport/queue/after-close", GINT_TO_POINTER(TRUE), test_queue_after_close);
	g_test_add_data_func("/transport/queue/after-close-through-gio",
			     GINT_TO_POINTER(FALSE),
			     test_queue_after_close);
	g_test_add_data_func("/transport/queue/peer-gone-through-gio",
			     GINT_TO_POINTER(FALSE),
			     test_queue_peer_gone);
	g_test_add_func("/transport/queue/control-frames-first", test_queue_control_frames_first);
	g_test_add_func("/transport/queue/close-frame-drops-the-rest",
			test_queue_close_frame_drops_the_rest);
	g_test_add_func("/transport/queue/control-frames-are-limited",
			test_queue_control_frames_are_limited);
	g_test_add_func("/transport/websocket/pong-ahead-of-data", test_websocket_pong_ahead_of_data);
	g_test_add_func("/transport/websocket/libsoup-refuses-1013",
			test_websocket_libsoup_refuses_1013);
	g_test_add_func("/transport/websocket/close-reaches-slow-reader",
			test_websocket_close_reaches_slow_reader);
	g_test_add_func("/transport/poller/callback-contract", test_poller_callback_contract);
	g_test_add_func("/transport/poller/fd-reuse", test_poller_fd_reuse);
	g_test_add_func("/transport/poller/fd-reuse-while-referenced",
			test_poller_fd_reuse_while_referenced);
	g_test_add_func("/transport/poller/hang-up", test_poller_hang_up);
	g_test_add_func("/transport/poller/steady-reads", test_poller_steady_reads);
	g_test_add_func("/transport/poller/removal-during-dispatch",
			test_poller_removal_during_dispatch);
	return g_test_run();
}
