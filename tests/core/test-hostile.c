/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTestHostile"
#define _GNU_SOURCE /* memmem */

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

#include "rc-test-harness.h"

/*
 * Hostile clients against real roomcastd processes: one test per attack, each
 * asserting what the node must do whatever a client sends. Descriptor
 * exhaustion, connections left half-closed, connections that never finish a
 * request, request bodies that never end or lie about their framing, WebSocket
 * messages in endless fragments, ping floods, one client's burst against
 * another's round trips, a slow reader's close frame, browsers and DNS
 * rebinding, and more rooms than a connection may join.
 *
 * Memory: a node's VmHWM (its peak RSS) must stay under 50 MB however much a
 * client sends; under ASan (RC_TEST_SANITIZED) the bound is 300 MB, and under
 * valgrind (RC_TEST_DAEMON_WRAPPER) it is not checked, since the process is
 * valgrind's. Valgrind also gets floods 20 to 50 times smaller: the daemon runs
 * that much slower.
 */

#define WAIT 5000
#define MIB (1024 * 1024)
#define MAX_FRAME_BYTES 65536 /* the default [limits] max_frame_bytes */
#define MESSAGE_JSON                                                                               \
	"{\"namespace\":\"/\",\"roomCode\":\"hostile\","                                           \
	"\"msg\":{\"sender\":\"bot\",\"text\":\"hi\"}}"

static gboolean
under_wrapper(void)
{
	return g_getenv("RC_TEST_DAEMON_WRAPPER") != NULL;
}

static gboolean
sanitized(void)
{
	return g_getenv("RC_TEST_SANITIZED") != NULL;
}

/* flood sizes: the full count, a @divisor-th of it under valgrind */
static guint
flood_count(guint count, guint divisor)
{
	return under_wrapper() ? count / divisor : count;
}

/* a bound on a duration the node's own timers decide (valgrind slows the rest) */
static guint
bound_ms(guint ms)
{
	return under_wrapper() ? ms * 2 : ms;
}

static gint64
elapsed_ms(gint64 since_us)
{
	return (g_get_monotonic_time() - since_us) / 1000;
}

static void
assert_peak_rss(RcTestNode *node, const gchar *what)
{
	guint64 peak = rc_test_node_get_peak_rss_kb(node);
	guint64 bound = sanitized() ? 300 * 1024 : 50 * 1024;

	g_test_message("%s: node VmHWM %" G_GUINT64_FORMAT " KiB", what, peak);
	if (under_wrapper())
		return; /* valgrind's own memory */
	g_assert_cmpuint(peak, >, 0);
	g_assert_cmpuint(peak, <, bound);
}

/* ASan keeps freed memory in quarantine, 256 MB by default: more than any
 * bound, after a flood's churn. The nodes here get a quarter of it, so the
 * bound under ASan still says something. */
static void
limit_asan_quarantine(void)
{
	const gchar *asan = g_getenv("ASAN_OPTIONS");
	g_autofree gchar *options = NULL;

	if (!sanitized())
		return;
	options = g_strconcat(
	    asan != NULL ? asan : "", asan != NULL ? ":" : "", "quarantine_size_mb=64", NULL);
	rc_test_node_set_next_env("ASAN_OPTIONS", options);
}

/* an embedded node, with @config as its config file when not NULL */
static RcTestNode *
node_new(const gchar *config)
{
	limit_asan_quarantine();
	if (config == NULL)
		return rc_test_node_new("--port", "0", "--bus", "none", NULL);
	return rc_test_node_new(
	    "--port", "0", "--bus", "none", "--config", rc_test_write_config(config), NULL);
}

static guint
count_stderr(RcTestNode *node, const gchar *substring)
{
	GPtrArray *lines = rc_test_node_get_stderr_lines(node);
	guint n = 0;

	for (guint i = 0; i < lines->len; i++) {
		if (strstr(lines->pdata[i], substring) != NULL)
			n++;
	}
	return n;
}

typedef struct {
	RcTestNode *node;
	const gchar *substring;
	guint n;
} StderrCount;

static gboolean
stderr_count_reached(gpointer user_data)
{
	StderrCount *c = user_data;
	return count_stderr(c->node, c->substring) >= c->n;
}

/* the number of stderr lines with @substring once @n came or @timeout_ms passed;
 * the main loop runs meanwhile, so lines written earlier are in */
static guint
wait_stderr_count(RcTestNode *node, const gchar *substring, guint n, guint timeout_ms)
{
	StderrCount c = {node, substring, n};

	rc_test_wait_until(stderr_count_reached, &c, timeout_ms);
	rc_test_sleep(100); /* a line too many would show now */
	return count_stderr(node, substring);
}

/* a member of room "hostile" */
static RcTestWs *
member_new(RcTestNode *node)
{
	RcTestWs *ws = rc_test_ws_new(node, "sender=member");

	rc_test_ws_join(ws, "/", "hostile");
	return ws;
}

/* After a refusal the node still serves: HTTP, and WebSocket both ways. */
static void
assert_serves(RcTestNode *node, RcTestWs *member)
{
	g_autoptr(RcTestHttpReply) health = rc_test_http_get(node, "/healthz");
	g_autofree gchar *id = NULL;
	g_autoptr(JsonObject) msg = NULL;

	g_assert_cmpuint(health->status, ==, 200);
	id = rc_test_ws_send_message(member, "/", "hostile", "still here");
	msg = rc_test_ws_take(member, "MSG_TO_CLIENTS", NULL, WAIT);
	g_assert_cmpstr(rc_test_json_get_string(msg, "id"), ==, id);
}

/* a {"success":false,"error":"..."} refusal with @status */
static void
assert_json_refusal(RcTestHttpReply *reply, guint status)
{
	g_autoptr(JsonObject) body = NULL;

	g_test_message("HTTP %u %s", reply->status, reply->body);
	g_assert_cmpuint(reply->status, ==, status);
	body = rc_test_http_reply_json(reply);
	g_assert_false(json_object_get_boolean_member(body, "success"));
	g_assert_nonnull(rc_test_json_get_string(body, "error"));
}

static gchar *request_printf(RcTestNode *node, const gchar *format, ...) G_GNUC_PRINTF(2, 3);

/* @format with every "@HOST@" replaced by 127.0.0.1:PORT */
static gchar *
request_printf(RcTestNode *node, const gchar *format, ...)
{
	g_autofree gchar *text = NULL;
	g_autofree gchar *host = g_strdup_printf("127.0.0.1:%u", rc_test_node_get_port(node));
	g_auto(GStrv) parts = NULL;
	va_list args;

	va_start(args, format);
	text = g_strdup_vprintf(format, args);
	va_end(args);
	parts = g_strsplit(text, "@HOST@", -1);
	return g_strjoinv(host, parts);
}

/* how long the streaming client gives the node after each unit to answer: so
 * that what it sent before the answer says what the node read, not how much
 * the kernel buffers hold */
#define STREAM_PACE_MS 5

/*
 * Sends @first (if not NULL), then @unit again and again, without ever blocking,
 * until the peer answers (something to read, or the connection ends) or
 * @give_up bytes went out. Returns TRUE when the answer came; @sent says how
 * much was sent by then.
 */
static gboolean
stream_until_answered(GSocket *socket, GBytes *first, GBytes *unit, guint64 give_up, guint64 *sent)
{
	gint fd = g_socket_get_fd(socket);
	GBytes *current = first != NULL ? first : unit;
	gint64 deadline = g_get_monotonic_time() + (gint64)rc_test_timeout(10000) * 1000;
	gsize offset = 0;

	*sent = 0;
	while (*sent < give_up) {
		struct pollfd p = {fd, POLLIN | POLLOUT, 0};
		gint64 left = (deadline - g_get_monotonic_time()) / 1000;
		gsize size = 0;
		const guint8 *data;
		gssize n;

		/* neither reading nor answering for that long: stuck */
		if (left <= 0 || poll(&p, 1, (gint)left) <= 0)
			return FALSE;
		if (p.revents & (POLLIN | POLLHUP | POLLERR))
			return TRUE;
		data = g_bytes_get_data(current, &size);
		n = send(fd, data + offset, size - offset, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return TRUE; /* reset: what the node said before is waiting */
		}
		offset += (gsize)n;
		*sent += (guint64)n;
		if (offset == size) {
			struct pollfd in = {fd, POLLIN, 0};

			offset = 0;
			current = unit;
			if (poll(&in, 1, STREAM_PACE_MS) > 0)
				return TRUE;
		}
	}
	return FALSE;
}

/* code and reason of a close frame's payload */
static gushort
close_code(GBytes *payload, gchar **reason)
{
	gsize len = 0;
	const guint8 *d = g_bytes_get_data(payload, &len);

	if (len < 2)
		return 0;
	if (reason != NULL)
		*reason = g_strndup((const gchar *)d + 2, len - 2);
	return (gushort)((d[0] << 8) | d[1]);
}

/* Reads frames until a close frame; returns its code (0: EOF or nothing first). */
static gushort
raw_ws_read_close(RcTestRawWs *ws, guint timeout_ms, gchar **reason)
{
	for (;;) {
		g_autoptr(GBytes) payload = NULL;
		guint8 opcode = 0;

		if (!rc_test_raw_ws_read_frame(ws, timeout_ms, &opcode, &payload, NULL))
			return 0;
		if (opcode == 0x8)
			return close_code(payload, reason);
	}
}

/* ------------------------------------------------------------ floods --- */

/*
 * One raw WebSocket client ("A") driven by threads: a writer that sends
 * @count frames as fast as the socket takes them, then {"type":"ping",
 * "ref":"end"}; and a reader that takes every frame the node sends back,
 * either along with the writer (@read: the node never has a reason to drop
 * A) or only once everything is written (A that never reads meanwhile). The
 * node handles a connection's frames in order, so the "end" pong says the
 * whole flood was handled. roomcastd is single-threaded; the test is not.
 */
typedef enum {
	FLOOD_JSON_PINGS, /* {"type":"ping"} */
	FLOOD_WS_PINGS,	  /* WebSocket ping frames */
	FLOOD_JOIN_LEAVE, /* join and leave of one room, @count pairs */
	FLOOD_JOINS,	  /* joins of @count different rooms */
} FloodKind;

typedef struct {
	FloodKind kind;
	guint count;
	gint fd;
	gboolean read;	     /* A reads while it writes */
	gboolean read_after; /* A reads only once everything is written */
	guint expect_text;   /* the reader stops after "end" and this many text frames */
	GThread *writer;
	GThread *reader;
	/* written by the threads; flags atomic, the rest read after joining them */
	gint written;
	gint ended; /* the "end" pong arrived */
	gint reader_done;
	gint64 end_us;
	guint64 bytes_written;
	gchar *error;
	guint n_text, n_pong, n_joined, n_left, n_too_many, n_other_error, n_ctrl_pong;
	gushort close_code; /* the node closed A */
} Flood;

static gboolean
fd_send_all(gint fd, const guint8 *data, gsize len)
{
	while (len > 0) {
		struct pollfd p = {fd, POLLOUT, 0};
		gint ready = poll(&p, 1, rc_test_timeout(20000));
		gssize n;

		if (ready <= 0) {
			if (ready == 0)
				errno = 0; /* timed out */
			return FALSE;
		}
		n = send(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return FALSE;
		}
		data += n;
		len -= (gsize)n;
	}
	return TRUE;
}

static void
append_frame(GByteArray *out, guint8 opcode, const gchar *text)
{
	g_autoptr(GBytes) frame = rc_test_ws_frame_new(opcode, TRUE, text, strlen(text));
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(frame, &size);

	g_byte_array_append(out, data, (guint)size);
}

#define FLOOD_BATCH 1000

/* frames @first .. @first+@n-1 of the flood */
static void
flood_batch(Flood *flood, GByteArray *out, guint first, guint n)
{
	g_byte_array_set_size(out, 0);
	for (guint i = first; i < first + n; i++) {
		switch (flood->kind) {
		case FLOOD_JSON_PINGS:
			append_frame(out, 0x1, "{\"type\":\"ping\"}");
			break;
		case FLOOD_WS_PINGS:
			append_frame(out, 0x9, "");
			break;
		case FLOOD_JOIN_LEAVE:
			append_frame(out,
				     0x1,
				     "{\"type\":\"join\",\"namespace\":\"/\",\"roomCode\":\"jl\"}");
			append_frame(
			    out,
			    0x1,
			    "{\"type\":\"leave\",\"namespace\":\"/\",\"roomCode\":\"jl\"}");
			break;
		case FLOOD_JOINS: {
			g_autofree gchar *join = g_strdup_printf(
			    "{\"type\":\"join\",\"namespace\":\"/\",\"roomCode\":\"r%u\"}", i);
			append_frame(out, 0x1, join);
			break;
		}
		}
	}
}

static gpointer flood_read_thread(gpointer user_data);

/* Where a stalled flood's bytes are, for the failure message: the flooder's
 * unacknowledged bytes and the node's unread ones, from /proc/net/tcp. A large
 * node-side receive queue means the node stopped reading; an empty one, that
 * the bytes never reached it. */
static gchar *
tcp_queues_of(gint fd)
{
	struct sockaddr_in local = {0}, peer = {0};
	socklen_t len = sizeof(local);
	g_autofree gchar *table = NULL;
	g_auto(GStrv) lines = NULL;
	GString *out = g_string_new(NULL);

	if (getsockname(fd, (struct sockaddr *)&local, &len) != 0 ||
	    (len = sizeof(peer), getpeername(fd, (struct sockaddr *)&peer, &len)) != 0 ||
	    !g_file_get_contents("/proc/net/tcp", &table, NULL, NULL))
		return g_string_free(out, FALSE);
	lines = g_strsplit(table, "\n", -1);
	for (guint i = 1; lines[i] != NULL; i++) {
		guint lport = 0, rport = 0, state = 0;
		gulong tx = 0, rx = 0;

		if (sscanf(lines[i],
			   "%*u: %*x:%x %*x:%x %x %lx:%lx",
			   &lport,
			   &rport,
			   &state,
			   &tx,
			   &rx) != 5)
			continue;
		if (lport == ntohs(local.sin_port) && rport == ntohs(peer.sin_port))
			g_string_append_printf(
			    out, " flooder: state %x, %lu unacked, %lu unread;", state, tx, rx);
		else if (lport == ntohs(peer.sin_port) && rport == ntohs(local.sin_port))
			g_string_append_printf(
			    out, " node: state %x, %lu unacked, %lu unread;", state, tx, rx);
	}
	return g_string_free(out, FALSE);
}

static gpointer
flood_write_thread(gpointer user_data)
{
	Flood *flood = user_data;
	g_autoptr(GByteArray) batch = g_byte_array_new();
	/* the same frames again and again need building once */
	gboolean same = flood->kind != FLOOD_JOINS;

	for (guint i = 0; i < flood->count; i += FLOOD_BATCH) {
		guint n = MIN(FLOOD_BATCH, flood->count - i);

		if (!same || i == 0 || n < FLOOD_BATCH)
			flood_batch(flood, batch, i, n);
		if (!fd_send_all(flood->fd, batch->data, batch->len)) {
			gint saved = errno;
			g_autofree gchar *queues = tcp_queues_of(flood->fd);
			flood->error =
			    g_strdup_printf("send failed after %" G_GUINT64_FORMAT " bytes: %s;%s",
					    flood->bytes_written,
					    saved != 0 ? g_strerror(saved) : "timed out",
					    queues);
			g_atomic_int_set(&flood->written, 1);
			return NULL;
		}
		flood->bytes_written += batch->len;
	}
	g_byte_array_set_size(batch, 0);
	append_frame(batch, 0x1, "{\"type\":\"ping\",\"ref\":\"end\"}");
	if (!fd_send_all(flood->fd, batch->data, batch->len))
		flood->error =
		    g_strdup_printf("send of the last ping failed: %s", g_strerror(errno));
	g_atomic_int_set(&flood->written, 1);
	if (flood->read_after && flood->error == NULL)
		flood_read_thread(flood);
	return NULL;
}

static void
flood_count_text(Flood *flood, const guint8 *data, gsize len)
{
	flood->n_text++;
	if (memmem(data, len, "\"ref\":\"end\"", 11) != NULL) {
		flood->end_us = g_get_monotonic_time();
		g_atomic_int_set(&flood->ended, 1);
	} else if (memmem(data, len, "\"type\":\"pong\"", 13) != NULL) {
		flood->n_pong++;
	} else if (memmem(data, len, "\"type\":\"joined\"", 15) != NULL) {
		flood->n_joined++;
	} else if (memmem(data, len, "\"type\":\"left\"", 13) != NULL) {
		flood->n_left++;
	} else if (memmem(data, len, "\"code\":\"too_many_rooms\"", 23) != NULL) {
		flood->n_too_many++;
	} else {
		flood->n_other_error++;
		if (flood->n_other_error == 1)
			g_printerr("# flood: unexpected reply %.*s\n", (gint)MIN(len, 200), data);
	}
}

static gpointer
flood_read_thread(gpointer user_data)
{
	Flood *flood = user_data;
	g_autoptr(GByteArray) rx = g_byte_array_sized_new(1 << 18);
	guint8 buf[1 << 16];

	for (;;) {
		struct pollfd p = {flood->fd, POLLIN, 0};
		gsize at = 0;
		gssize n;

		if (g_atomic_int_get(&flood->ended) && flood->n_text >= flood->expect_text)
			break;
		if (poll(&p, 1, rc_test_timeout(30000)) <= 0) {
			flood->error = g_strdup("the node sent nothing for 30 s");
			break;
		}
		n = recv(flood->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			if (flood->close_code == 0)
				flood->error = g_strdup("the node closed the connection");
			break;
		}
		g_byte_array_append(rx, buf, (guint)n);
		/* server frames are not masked */
		while (rx->len - at >= 2) {
			const guint8 *d = rx->data + at;
			guint64 plen = d[1] & 0x7f;
			gsize hlen = 2;

			if (plen == 126) {
				if (rx->len - at < 4)
					break;
				plen = ((guint64)d[2] << 8) | d[3];
				hlen = 4;
			} else if (plen == 127) {
				if (rx->len - at < 10)
					break;
				plen = 0;
				for (guint i = 0; i < 8; i++)
					plen = (plen << 8) | d[2 + i];
				hlen = 10;
			}
			if (rx->len - at < hlen + plen)
				break;
			switch (d[0] & 0x0f) {
			case 0x1:
				flood_count_text(flood, d + hlen, (gsize)plen);
				break;
			case 0x8:
				flood->close_code = plen >= 2 ? (d[hlen] << 8) | d[hlen + 1] : 1005;
				flood->error =
				    g_strdup_printf("the node closed A with %u", flood->close_code);
				break;
			case 0xA:
				flood->n_ctrl_pong++;
				break;
			default:
				break;
			}
			at += hlen + (gsize)plen;
		}
		g_byte_array_remove_range(rx, 0, (guint)at);
		if (flood->close_code != 0)
			break;
	}
	g_atomic_int_set(&flood->reader_done, 1);
	return NULL;
}

/* @read: A reads along; otherwise only once it wrote everything */
static void
flood_start(Flood *flood, RcTestRawWs *a, FloodKind kind, guint count, gboolean read)
{
	memset(flood, 0, sizeof(*flood));
	flood->kind = kind;
	flood->count = count;
	flood->fd = g_socket_get_fd(rc_test_raw_ws_get_socket(a));
	flood->read = read;
	flood->read_after = !read;
	switch (kind) {
	case FLOOD_JSON_PINGS:
	case FLOOD_JOINS:
		flood->expect_text = count + 1;
		break;
	case FLOOD_JOIN_LEAVE:
		/* a "joined" and a "left" for every pair */
		flood->expect_text = 2 * count + 1;
		break;
	case FLOOD_WS_PINGS:
		flood->expect_text = 1;
		break;
	}
	flood->writer = g_thread_new("flood-writer", flood_write_thread, flood);
	if (read)
		flood->reader = g_thread_new("flood-reader", flood_read_thread, flood);
}

/* the flood is over for the prober: the node handled all of it */
static gboolean
flood_over(Flood *flood)
{
	return g_atomic_int_get(&flood->ended) || g_atomic_int_get(&flood->reader_done) ||
	       (g_atomic_int_get(&flood->written) && flood->error != NULL);
}

static gboolean
flood_finished(gpointer user_data)
{
	Flood *flood = user_data;
	return g_atomic_int_get(&flood->written) &&
	       (g_atomic_int_get(&flood->reader_done) || flood->error != NULL);
}

static void
flood_join(Flood *flood)
{
	g_assert_true(rc_test_wait_until(flood_finished, flood, 120000));
	g_thread_join(flood->writer);
	if (flood->reader != NULL)
		g_thread_join(flood->reader);
}

static void
flood_clear(Flood *flood)
{
	g_free(flood->error);
}

/* One probe of client B: a ping, and when its pong came. */
typedef struct {
	gint64 sent_us;
	gint64 answered_us; /* 0: not answered */
} Probe;

typedef struct {
	RcTestWs *ws;
	const gchar *ref;
	gboolean answered;
} ProbeWait;

static gboolean
probe_answered(gpointer user_data)
{
	ProbeWait *w = user_data;
	g_autoptr(JsonObject) frame = NULL;

	if (w->answered || rc_test_ws_get_n_queued(w->ws) == 0)
		return w->answered || rc_test_ws_is_closed(w->ws);
	frame = rc_test_ws_try_next(w->ws, 0);
	g_assert_cmpstr(rc_test_json_get_string(frame, "type"), ==, "pong");
	g_assert_cmpstr(rc_test_json_get_string(frame, "ref"), ==, w->ref);
	w->answered = TRUE;
	return TRUE;
}

/*
 * Client B pings every 50 ms while the flood lasts and measures each round trip.
 * The flood lasts at least @min_probes of them; every ping sent while it was
 * still being handled is answered before it ends (all but those of its last
 * 250 ms, scaled like the timeouts); every ping is answered at all; and the
 * worst round trip stays under a second (scaled too). Returns the worst round
 * trip in ms.
 */
static gint64
probe_during_flood(RcTestWs *b, Flood *flood, guint min_probes, const gchar *what)
{
	g_autoptr(GArray) probes = g_array_new(FALSE, TRUE, sizeof(Probe));
	gint64 start = g_get_monotonic_time();
	gint64 worst = 0;
	gint64 sum = 0;
	gint64 end_us;
	guint late = 0;

	while (!flood_over(flood)) {
		g_autofree gchar *ref = g_strdup_printf("b%u", probes->len);
		ProbeWait w = {b, ref, FALSE};
		Probe probe = {g_get_monotonic_time(), 0};

		rc_test_ws_send_printf(b, "{\"type\":\"ping\",\"ref\":\"%s\"}", ref);
		if (rc_test_wait_until(probe_answered, &w, 10000) && w.answered)
			probe.answered_us = g_get_monotonic_time();
		g_array_append_val(probes, probe);
		if (probe.answered_us == 0)
			break;
		rc_test_sleep(50);
	}
	flood_join(flood);
	/* a flood cut short has no end of its own: it failed below */
	end_us = flood->end_us != 0 ? flood->end_us : g_get_monotonic_time();
	for (guint i = 0; i < probes->len; i++) {
		Probe *p = &g_array_index(probes, Probe, i);
		gint64 rtt = (p->answered_us - p->sent_us) / 1000;

		g_assert_cmpint(p->answered_us, !=, 0);
		worst = MAX(worst, rtt);
		sum += rtt;
		/* a ping sent in the flood's last moments may be answered after it */
		if (p->sent_us < end_us - (gint64)rc_test_timeout(250) * 1000 &&
		    p->answered_us > end_us)
			late++;
	}
	g_test_message("%s: A sent %u frames (%" G_GUINT64_FORMAT " bytes) in %" G_GINT64_FORMAT
		       " ms; B: %u pings, "
		       "worst round trip %" G_GINT64_FORMAT " ms, mean %" G_GINT64_FORMAT
		       " ms, %u answered after the flood",
		       what,
		       flood->kind == FLOOD_JOIN_LEAVE ? 2 * flood->count : flood->count,
		       flood->bytes_written,
		       (end_us - start) / 1000,
		       probes->len,
		       worst,
		       probes->len > 0 ? sum / probes->len : 0,
		       late);
	if (flood->error != NULL)
		g_test_message("flood: %s", flood->error);
	g_assert_null(flood->error);
	/* the flood lasted long enough to say something (valgrind's smaller floods
	 * last a few of its slow round trips) */
	g_assert_cmpuint(probes->len, >=, under_wrapper() ? MIN(min_probes, 3) : min_probes);
	g_assert_cmpuint(late, ==, 0);
	g_assert_cmpint(worst, <, rc_test_timeout(1000));
	return worst;
}

/* --------------------------------------------------- 1. descriptors --- */

#define FD_LIMIT 64
#define IDLE_CONNECTIONS 80

static void
raw_http_free_cb(gpointer data)
{
	rc_test_raw_http_free(data);
}

static void
raw_ws_free_cb(gpointer data)
{
	rc_test_raw_ws_free(data);
}

/* Out of descriptors, a node refuses connections for the moment and takes them
 * again as soon as descriptors free up (a listener that gives up on the first
 * failed accept() never does). It says so once per episode, not every retry. */
static void
test_fd_exhaustion(void)
{
	g_autoptr(RcTestNode) node = NULL;
	g_autoptr(GPtrArray) idle = g_ptr_array_new_with_free_func(raw_http_free_cb);
	g_autoptr(GPtrArray) sockets = g_ptr_array_new_with_free_func(raw_ws_free_cb);
	g_autoptr(RcTestHttpReply) reply = NULL;
	g_autoptr(RcTestRawWs) fresh = NULL;
	g_autoptr(RcTestWs) ws = NULL;
	g_autoptr(JsonObject) hello = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *healthz = NULL;
	gint64 t0;

	rc_test_node_set_next_nofile_limit(FD_LIMIT);
	node = node_new(NULL);
	healthz = request_printf(node, "GET /healthz HTTP/1.1\r\nHost: @HOST@\r\n\r\n");

	/* idle HTTP connections: the kernel completes them all (backlog), the node
	 * takes what its descriptors allow */
	for (guint i = 0; i < IDLE_CONNECTIONS; i++)
		g_ptr_array_add(idle, rc_test_raw_http_new(node));
	g_assert_nonnull(rc_test_node_wait_stderr(node, "cannot accept connections", WAIT));
	g_ptr_array_set_size(idle, 0);
	t0 = g_get_monotonic_time();
	reply = rc_test_raw_http_request(node, healthz, 1000);
	g_test_message("HTTP: /healthz answered %u %" G_GINT64_FORMAT " ms after the idle "
		       "connections closed",
		       reply->status,
		       elapsed_ms(t0));
	g_assert_cmpuint(reply->status, ==, 200);
	g_assert_cmpint(elapsed_ms(t0), <, rc_test_timeout(1000));
	/* said once, not every 100 ms */
	g_assert_cmpuint(wait_stderr_count(node, "cannot accept connections", 1, WAIT), ==, 1);
	g_assert_nonnull(rc_test_node_wait_stderr(node, "accepting connections again", WAIT));

	/* WebSocket connections until the node takes no more */
	for (guint i = 0; i < IDLE_CONNECTIONS; i++) {
		RcTestRawWs *c = rc_test_raw_ws_try_new(node, NULL, 0, 1000, &error);
		if (c == NULL)
			break;
		g_ptr_array_add(sockets, c);
	}
	g_test_message("WebSocket: the node took %u connections, then: %s",
		       sockets->len,
		       error != NULL ? error->message : "(no failure)");
	g_assert_nonnull(error);
	g_clear_error(&error);
	g_assert_cmpuint(sockets->len, >, 10);
	g_assert_cmpuint(sockets->len, <, FD_LIMIT);
	g_ptr_array_set_size(sockets, 0);
	t0 = g_get_monotonic_time();
	fresh = rc_test_raw_ws_try_new(node, NULL, 0, 1000, &error);
	g_assert_no_error(error);
	hello = rc_test_raw_ws_read_json(fresh, 1000);
	g_test_message("WebSocket: a new connection got its hello %" G_GINT64_FORMAT
		       " ms after the others closed",
		       elapsed_ms(t0));
	g_assert_cmpstr(rc_test_json_get_string(hello, "type"), ==, "hello");
	g_assert_cmpint(elapsed_ms(t0), <, rc_test_timeout(1000));
	g_assert_cmpuint(wait_stderr_count(node, "cannot accept connections", 2, WAIT), ==, 2);

	ws = rc_test_ws_new(node, NULL);
	rc_test_ws_ping(ws);
	rc_test_ws_close(ws);
	/* a raw client does not answer the close a stopping node sends it */
	g_clear_pointer(&fresh, rc_test_raw_ws_free);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

/* ---------------------------------------------------- 2. CLOSE-WAIT --- */

#define CURL_LIKE_REQUESTS 200

typedef struct {
	RcTestNode *node;
	gint fds;
} FdWait;

static gboolean
no_close_wait(gpointer user_data)
{
	return rc_test_count_tcp_sockets(rc_test_node_get_port(user_data),
					 RC_TEST_TCP_CLOSE_WAIT) == 0;
}

static gboolean
fds_back(gpointer user_data)
{
	FdWait *w = user_data;
	return rc_test_node_count_fds(w->node) <= w->fds + 2;
}

/* A client that keeps its connection alive and closes it after the response
 * (curl, a browser leaving the page) leaves nothing behind on the node. */
static void
test_close_wait(void)
{
	g_autoptr(RcTestNode) node = node_new(NULL);
	g_autofree gchar *healthz =
	    request_printf(node, "GET /healthz HTTP/1.1\r\nHost: @HOST@\r\nAccept: */*\r\n\r\n");
	guint16 port = rc_test_node_get_port(node);
	FdWait w = {node, 0};
	guint close_wait;
	g_autoptr(RcTestHttpReply) first = rc_test_raw_http_request(node, healthz, WAIT);

	g_assert_cmpuint(first->status, ==, 200);
	rc_test_wait_until(no_close_wait, node, 1000);
	w.fds = rc_test_node_count_fds(node);
	g_assert_cmpint(w.fds, >, 0);
	for (guint i = 0; i < CURL_LIKE_REQUESTS; i++) {
		g_autoptr(RcTestRawHttp) conn = rc_test_raw_http_new(node);
		g_autoptr(RcTestHttpReply) reply = NULL;
		g_autoptr(GError) error = NULL;

		/* HTTP/1.1: keep-alive unless said otherwise */
		g_assert_true(rc_test_raw_http_send(conn, healthz, -1, &error));
		reply = rc_test_raw_http_read_reply(conn, WAIT);
		if (reply->status != 200)
			g_test_message("request %u: status %u, connection closed: %s",
				       i,
				       reply->status,
				       rc_test_raw_http_is_closed(conn) ? "yes" : "no");
		g_assert_cmpuint(reply->status, ==, 200);
		/* and the client closes */
	}
	rc_test_wait_until(no_close_wait, node, 1000);
	close_wait = rc_test_count_tcp_sockets(port, RC_TEST_TCP_CLOSE_WAIT);
	g_test_message("after %u keep-alive requests: %u node sockets in CLOSE-WAIT, %d fds "
		       "(%d before)",
		       CURL_LIKE_REQUESTS,
		       close_wait,
		       rc_test_node_count_fds(node),
		       w.fds);
	g_assert_cmpuint(close_wait, ==, 0);
	g_assert_true(rc_test_wait_until(fds_back, &w, 1000));
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

/* ------------------------------------------------- 3. idle timeouts --- */

typedef struct {
	const gchar *what;
	RcTestRawHttp *conn;
	gint64 opened_us;
	gint64 closed_ms; /* -1: still open */
	gboolean trickle;
} IdleConn;

/* Connections that never complete a request are closed after [server]
 * idle_timeout, whatever they send meanwhile; WebSocket connections are not. */
static void
test_idle_timeout(void)
{
	g_autoptr(RcTestNode) node = node_new("[server]\nidle_timeout = 1\n");
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);
	gint64 ws_opened = g_get_monotonic_time();
	g_autofree gchar *healthz =
	    request_printf(node, "GET /healthz HTTP/1.1\r\nHost: @HOST@\r\n\r\n");
	g_autofree gchar *trickle_head =
	    request_printf(node, "GET /healthz HTTP/1.1\r\nHost: @HOST@\r\nX-Slow: ");
	g_autoptr(RcTestHttpReply) normal = NULL;
	IdleConn conns[] = {
	    {"silent", NULL, 0, -1, FALSE},
	    {"half a request line", NULL, 0, -1, FALSE},
	    {"one header byte every 300 ms", NULL, 0, -1, TRUE},
	};
	gint64 last_trickle = 0;
	guint open = G_N_ELEMENTS(conns);

	for (guint i = 0; i < G_N_ELEMENTS(conns); i++) {
		g_autoptr(GError) error = NULL;

		conns[i].conn = rc_test_raw_http_new(node);
		conns[i].opened_us = g_get_monotonic_time();
		if (i == 1)
			g_assert_true(
			    rc_test_raw_http_send(conns[i].conn, "GET /heal", -1, &error));
		if (i == 2)
			g_assert_true(
			    rc_test_raw_http_send(conns[i].conn, trickle_head, -1, &error));
	}
	last_trickle = g_get_monotonic_time();
	while (open > 0 && elapsed_ms(conns[0].opened_us) < 5000) {
		gboolean tick = elapsed_ms(last_trickle) >= 300;

		g_usleep(20000);
		if (tick)
			last_trickle = g_get_monotonic_time();
		for (guint i = 0; i < G_N_ELEMENTS(conns); i++) {
			IdleConn *c = &conns[i];
			gboolean closed = FALSE;

			if (c->closed_ms >= 0)
				continue;
			if (rc_test_raw_http_has_input(c->conn))
				g_bytes_unref(
				    rc_test_raw_http_read_until_close(c->conn, 100, &closed));
			if (!closed && c->trickle && tick) {
				g_autoptr(GError) error = NULL;
				closed = !rc_test_raw_http_send(c->conn, "a", 1, &error);
			}
			if (closed) {
				c->closed_ms = elapsed_ms(c->opened_us);
				open--;
			}
		}
	}
	for (guint i = 0; i < G_N_ELEMENTS(conns); i++) {
		g_test_message("%s: closed by the node after %" G_GINT64_FORMAT " ms",
			       conns[i].what,
			       conns[i].closed_ms);
		g_assert_cmpint(conns[i].closed_ms, >=, 900);
		g_assert_cmpint(conns[i].closed_ms, <=, bound_ms(2500));
		rc_test_raw_http_free(conns[i].conn);
	}

	/* a request that completes is not cut off */
	normal = rc_test_raw_http_request(node, healthz, WAIT);
	g_assert_cmpuint(normal->status, ==, 200);

	/* idle for 3 s and still there: pings govern WebSocket connections */
	if (elapsed_ms(ws_opened) < 3000)
		rc_test_sleep((guint)(3000 - elapsed_ms(ws_opened)));
	g_assert_false(rc_test_ws_is_closed(ws));
	rc_test_ws_ping(ws);
	rc_test_ws_close(ws);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

/* ------------------------------------------------ 4. request bodies --- */

/* what a client may have sent when the refusal reaches it: the node decides
 * after 64 KiB at most, and the client gives it time after each piece */
static guint64
answer_bound(void)
{
	return under_wrapper() || sanitized() ? 4 * MIB : MIB;
}

/* Sends @head, then body bytes (@first, then @unit repeated) until the node
 * answers; the answer must come before answer_bound() bytes went out. */
static RcTestHttpReply *
send_endless_body(RcTestNode *node, const gchar *head, GBytes *first, GBytes *unit, guint64 *sent)
{
	g_autoptr(RcTestRawHttp) conn = rc_test_raw_http_new(node);
	g_autoptr(GError) error = NULL;
	gboolean answered;

	g_assert_true(rc_test_raw_http_send(conn, head, -1, &error));
	answered =
	    stream_until_answered(rc_test_raw_http_get_socket(conn), first, unit, 32 * MIB, sent);
	g_test_message(
	    "answered: %s, after %" G_GUINT64_FORMAT " body bytes", answered ? "yes" : "no", *sent);
	g_assert_true(answered);
	g_assert_cmpuint(*sent, <, answer_bound());
	/* the client stops here and reads */
	return rc_test_raw_http_read_reply(conn, WAIT);
}

/* A Content-Length of 1 GB is refused from the header, before the body is read. */
static void
test_body_content_length(void)
{
	g_autoptr(RcTestNode) node = node_new(NULL);
	g_autoptr(RcTestWs) member = member_new(node);
	g_autofree gchar *head =
	    request_printf(node,
			   "POST /publish HTTP/1.1\r\nHost: @HOST@\r\n"
			   "Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n");
	g_autofree guint8 *zeros = g_malloc0(64 * 1024);
	g_autoptr(GBytes) unit = g_bytes_new_static(zeros, 64 * 1024);
	guint64 sent = 0;
	g_autoptr(RcTestHttpReply) reply = send_endless_body(node, head, NULL, unit, &sent);

	assert_json_refusal(reply, 413);
	assert_peak_rss(node, "1 GB Content-Length");
	rc_test_ws_expect_silence(member, 0);
	assert_serves(node, member);
	rc_test_ws_close(member);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

/* A chunked body is refused as soon as it passes max_frame_bytes. */
static void
test_body_chunked(void)
{
	g_autoptr(RcTestNode) node = node_new(NULL);
	g_autoptr(RcTestWs) member = member_new(node);
	g_autofree gchar *head =
	    request_printf(node,
			   "POST /publish HTTP/1.1\r\nHost: @HOST@\r\n"
			   "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
	/* 300 MB in chunks of 32 KiB, were it ever read to the end */
	g_autofree gchar *filler = g_strnfill(32768, 'a');
	g_autofree gchar *chunk = g_strdup_printf("8000\r\n%s\r\n", filler);
	g_autoptr(GBytes) unit = g_bytes_new(chunk, strlen(chunk));
	guint64 sent = 0;
	g_autoptr(RcTestHttpReply) reply = send_endless_body(node, head, NULL, unit, &sent);

	assert_json_refusal(reply, 413);
	/* refused once it passed the limit */
	g_assert_cmpuint(sent, >, MAX_FRAME_BYTES);
	assert_peak_rss(node, "300 MB chunked body");
	rc_test_ws_expect_silence(member, 0);
	assert_serves(node, member);
	rc_test_ws_close(member);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

/* Without the api_token the answer is 401 before any of the body is read: the
 * client sends the head only and waits. The scheme is case-insensitive. */
static void
test_body_api_token(void)
{
	g_autoptr(RcTestNode) node = node_new("[http]\napi_token = s3cret-token\n");
	g_autoptr(RcTestWs) member = member_new(node);
	const gchar *heads[] = {
	    "POST /publish HTTP/1.1\r\nHost: @HOST@\r\nContent-Type: application/json\r\n"
	    "Content-Length: 1000000000\r\n\r\n",
	    "POST /publish HTTP/1.1\r\nHost: @HOST@\r\nContent-Type: application/json\r\n"
	    "Authorization: Bearer wrong-token\r\nContent-Length: 1000000000\r\n\r\n",
	};
	const gchar *lower[] = {"Authorization", "bearer s3cret-token", NULL};
	g_autoptr(RcTestHttpReply) ok = NULL;
	g_autoptr(JsonObject) msg = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(heads); i++) {
		g_autofree gchar *head = request_printf(node, "%s", heads[i]);
		g_autoptr(RcTestRawHttp) conn = rc_test_raw_http_new(node);
		g_autoptr(RcTestHttpReply) reply = NULL;
		g_autoptr(GError) error = NULL;

		g_assert_true(rc_test_raw_http_send(conn, head, -1, &error));
		/* not one byte of the body */
		reply = rc_test_raw_http_read_reply(conn, 2000);
		assert_json_refusal(reply, 401);
		rc_test_ws_expect_silence(member, 0);
		assert_serves(node, member);
	}
	ok = rc_test_http_post(node, "/publish", NULL, MESSAGE_JSON, strlen(MESSAGE_JSON), lower);
	g_assert_cmpuint(ok->status, ==, 200);
	msg = rc_test_ws_take(member, "MSG_TO_CLIENTS", NULL, WAIT);
	g_assert_cmpstr(
	    rc_test_json_get_string(json_object_get_object_member(msg, "msg"), "text"), ==, "hi");
	assert_peak_rss(node, "401 before a 1 GB body");
	rc_test_ws_close(member);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

/* counts the responses in what a connection received */
static guint
count_responses(GBytes *bytes)
{
	gsize len = 0;
	const gchar *data = g_bytes_get_data(bytes, &len);
	guint n = 0;

	for (const gchar *at = data; at != NULL && (gsize)(at - data) < len;) {
		at = memmem(at, len - (gsize)(at - data), "HTTP/1.1 ", 9);
		if (at == NULL)
			break;
		n++;
		at += 9;
	}
	return n;
}

/* Framing that libsoup 3.2 would read some way and a proxy another is refused with
 * 400 (and nothing after it is read as a next request); a body where a route
 * takes none is 405. */
static void
test_body_framing(void)
{
	g_autoptr(RcTestNode) node = NULL;
	g_autoptr(RcTestWs) member = NULL;
	g_autofree gchar *chunked_body =
	    g_strdup_printf("%zx\r\n%s\r\n0\r\n\r\n", strlen(MESSAGE_JSON), MESSAGE_JSON);
	const struct {
		const gchar *what;
		const gchar *request;
		guint status;
	} cases[] = {
	    {"Content-Length with Transfer-Encoding",
	     "POST /publish HTTP/1.1\r\nHost: @HOST@\r\nContent-Type: application/json\r\n"
	     "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n@CHUNKED@",
	     400},
	    {"Transfer-Encoding with Content-Length",
	     "POST /publish HTTP/1.1\r\nHost: @HOST@\r\nContent-Type: application/json\r\n"
	     "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n@CHUNKED@",
	     400},
	    {"Content-Length -5",
	     "POST /publish HTTP/1.1\r\nHost: @HOST@\r\nContent-Type: application/json\r\n"
	     "Content-Length: -5\r\n\r\nGET /healthz HTTP/1.1\r\nHost: @HOST@\r\n\r\n",
	     400},
	    {"Content-Length +5",
	     "POST /publish HTTP/1.1\r\nHost: @HOST@\r\nContent-Type: application/json\r\n"
	     "Content-Length: +5\r\n\r\n{}   GET /healthz HTTP/1.1\r\nHost: @HOST@\r\n\r\n",
	     400},
	    {"Content-Length 5, 2",
	     "POST /publish HTTP/1.1\r\nHost: @HOST@\r\nContent-Type: application/json\r\n"
	     "Content-Length: 5, 2\r\n\r\n{}GET /healthz HTTP/1.1\r\nHost: @HOST@\r\n\r\n",
	     400},
	    {"Content-Length 5 and Content-Length 2",
	     "POST /publish HTTP/1.1\r\nHost: @HOST@\r\nContent-Type: application/json\r\n"
	     "Content-Length: 5\r\nContent-Length: 2\r\n\r\n{}GET /healthz HTTP/1.1\r\n"
	     "Host: @HOST@\r\n\r\n",
	     400},
	    {"a body on GET /healthz",
	     "GET /healthz HTTP/1.1\r\nHost: @HOST@\r\nContent-Length: 5\r\n\r\nhello",
	     405},
	    {"Transfer-Encoding gzip",
	     "POST /publish HTTP/1.1\r\nHost: @HOST@\r\nContent-Type: application/json\r\n"
	     "Transfer-Encoding: gzip\r\n\r\n{}",
	     501},
	    {"Content-Length past 2^63",
	     "POST /publish HTTP/1.1\r\nHost: @HOST@\r\nContent-Type: application/json\r\n"
	     "Content-Length: 99999999999999999999\r\n\r\n{}",
	     400},
	};

	node = node_new(NULL);
	member = member_new(node);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *text = request_printf(node, "%s", cases[i].request);
		g_auto(GStrv) parts = g_strsplit(text, "@CHUNKED@", -1);
		g_autofree gchar *request = g_strjoinv(chunked_body, parts);
		g_autoptr(RcTestRawHttp) conn = rc_test_raw_http_new(node);
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) received = NULL;
		g_autoptr(RcTestHttpReply) reply = NULL;
		gboolean closed = FALSE;

		g_test_message("%s", cases[i].what);
		g_assert_true(rc_test_raw_http_send(conn, request, -1, &error));
		received = rc_test_raw_http_read_until_close(conn, WAIT, &closed);
		reply = rc_test_http_reply_parse(received);
		g_test_message("  -> %u %s", reply->status, reply->body);
		g_assert_cmpuint(reply->status, ==, cases[i].status);
		g_assert_true(closed);
		/* one request, one answer: nothing was smuggled in behind it */
		g_assert_cmpuint(count_responses(received), ==, 1);
		rc_test_ws_expect_silence(member, 100);
		assert_serves(node, member);
	}
	rc_test_ws_close(member);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
	/* libsoup 3.2 warns about a negative length it was handed, if it ever is */
	g_assert_cmpuint(count_stderr(node, "GLib"), ==, 0);
	g_assert_cmpuint(count_stderr(node, "CRITICAL"), ==, 0);
	g_assert_cmpuint(count_stderr(node, "libsoup-"), ==, 0);
}

/* Heads libsoup 3.2 cannot read without losing their request path are refused
 * before libsoup sees them: a thousand of them with a long path leave the node's
 * memory where it was, and a head past 64 KiB gets 431. */
static void
test_body_framing_no_leak(void)
{
	g_autoptr(RcTestNode) node = node_new(NULL);
	g_autofree gchar *path = g_strnfill(60 * 1024, 'p');
	g_autofree gchar *huge = g_strnfill(70 * 1024, 'h');
	guint64 before = 0, after;
	guint n = under_wrapper() ? 100 : 1000;

	/* the first requests allocate what the node keeps anyway */
	for (guint round = 0; round < 2; round++) {
		if (round == 1)
			before = rc_test_node_get_rss_kb(node);
		for (guint i = 0; i < n; i++) {
			g_autofree gchar *request = request_printf(
			    node,
			    "POST /%s HTTP/1.1\r\nHost: @HOST@\r\nContent-Length: 5, 2\r\n\r\n",
			    i % 2 == 0 ? path : "publish");
			g_autoptr(RcTestRawHttp) conn = rc_test_raw_http_new(node);
			g_autoptr(GError) error = NULL;
			g_autoptr(GBytes) received = NULL;
			g_autoptr(RcTestHttpReply) reply = NULL;
			gboolean closed = FALSE;

			g_assert_true(rc_test_raw_http_send(conn, request, -1, &error));
			received = rc_test_raw_http_read_until_close(conn, WAIT, &closed);
			reply = rc_test_http_reply_parse(received);
			g_assert_cmpuint(reply->status, ==, 400);
			if (i % 2 == 1)
				g_assert_nonnull(strstr(reply->body, "\"success\":false"));
		}
	}
	after = rc_test_node_get_rss_kb(node);
	g_test_message("RSS %" G_GUINT64_FORMAT " KiB before, %" G_GUINT64_FORMAT
		       " KiB after %u heads of 60 KiB",
		       before,
		       after,
		       n);
	/* leaking the path would be 60 MB; under a sanitizer the quarantine keeps
	 * freed memory resident, and LeakSanitizer checks at the node's exit below */
	if (!under_wrapper() && !sanitized())
		g_assert_cmpuint(after, <, before + 8 * 1024);
	{
		g_autofree gchar *request =
		    request_printf(node, "GET /%s HTTP/1.1\r\nHost: @HOST@\r\n\r\n", huge);
		g_autoptr(RcTestRawHttp) conn = rc_test_raw_http_new(node);
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) received = NULL;
		g_autoptr(RcTestHttpReply) reply = NULL;
		gboolean closed = FALSE;

		g_assert_true(rc_test_raw_http_send(conn, request, -1, &error));
		received = rc_test_raw_http_read_until_close(conn, WAIT, &closed);
		reply = rc_test_http_reply_parse(received);
		g_assert_cmpuint(reply->status, ==, 431);
	}
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

/* ---------------------------------------------- 5. WebSocket limits --- */

/* A message in endless fragments is closed with 1009 as soon as the total passes
 * max_frame_bytes, long before its end. */
static void
test_ws_fragments(void)
{
	g_autoptr(RcTestNode) node = node_new(NULL);
	g_autoptr(RcTestRawWs) raw = rc_test_raw_ws_new(node, NULL, 0);
	g_autoptr(JsonObject) hello = rc_test_raw_ws_read_json(raw, WAIT);
	g_autofree gchar *filler = g_strnfill(32768, 'a');
	/* a text frame without FIN, then continuations: 300 MB, were it read to the end */
	g_autoptr(GBytes) first = rc_test_ws_frame_new(0x1, FALSE, filler, 32768);
	g_autoptr(GBytes) unit = rc_test_ws_frame_new(0x0, FALSE, filler, 32768);
	g_autoptr(RcTestWs) other = NULL;
	g_autofree gchar *reason = NULL;
	guint64 sent = 0;
	gboolean answered;
	gushort code;

	g_assert_cmpstr(rc_test_json_get_string(hello, "type"), ==, "hello");
	answered =
	    stream_until_answered(rc_test_raw_ws_get_socket(raw), first, unit, 32 * MIB, &sent);
	code = raw_ws_read_close(raw, WAIT, &reason);
	g_test_message("close %u \"%s\" after %" G_GUINT64_FORMAT " bytes of fragments sent",
		       code,
		       reason != NULL ? reason : "",
		       sent);
	g_assert_true(answered);
	g_assert_cmpuint(code, ==, 1009);
	/* refused from the frame headers once the total passed the limit, not before */
	g_assert_cmpuint(sent, >, MAX_FRAME_BYTES);
	g_assert_cmpuint(sent, <, answer_bound());
	assert_peak_rss(node, "300 MB in fragments");

	other = rc_test_ws_new(node, NULL);
	rc_test_ws_ping(other);
	rc_test_ws_close(other);
	/* a raw client does not answer the close a stopping node sends it */
	g_clear_pointer(&raw, rc_test_raw_ws_free);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

/* A client that sends ping frames and never reads: the node answers only the
 * latest ping it has not answered yet, so its memory stays flat; it keeps
 * serving that client and the others. */
static void
test_ws_ping_flood_unread(void)
{
	g_autoptr(RcTestNode) node = node_new(NULL);
	/* a small receive window: the pongs back up in the node, not in the kernel */
	g_autoptr(RcTestRawWs) a = rc_test_raw_ws_new(node, NULL, 4096);
	g_autoptr(JsonObject) hello = rc_test_raw_ws_read_json(a, WAIT);
	g_autoptr(RcTestWs) b = rc_test_ws_new(node, NULL);
	Flood flood;

	g_assert_cmpstr(rc_test_json_get_string(hello, "type"), ==, "hello");
	flood_start(&flood, a, FLOOD_WS_PINGS, flood_count(3000000, 50), FALSE);
	probe_during_flood(b, &flood, 10, "3 000 000 unread pings");
	assert_peak_rss(node, "3 000 000 unread pings");

	/* A was never dropped: reading at last, it got pongs, then the answer to its
	 * last JSON ping */
	g_test_message("A then read %u pongs and its last answer", flood.n_ctrl_pong);
	g_assert_true(flood.ended);
	g_assert_cmpuint(flood.n_ctrl_pong, >, 0);
	/* pings answered while A did not read were answered once (valgrind's node is
	 * too slow to fall behind) */
	if (!under_wrapper())
		g_assert_cmpuint(flood.n_ctrl_pong, <, flood.count);
	rc_test_ws_ping(b);
	flood_clear(&flood);
	rc_test_ws_close(b);
	/* a raw client does not answer the close a stopping node sends it */
	g_clear_pointer(&a, rc_test_raw_ws_free);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

/* --------------------------------------------------- 6. starvation --- */

static void
run_starvation(FloodKind kind, guint count, const gchar *what)
{
	g_autoptr(RcTestNode) node = node_new(NULL);
	g_autoptr(RcTestRawWs) a = rc_test_raw_ws_new(node, "sender=flood", 0);
	g_autoptr(JsonObject) hello = rc_test_raw_ws_read_json(a, WAIT);
	g_autoptr(RcTestWs) b = rc_test_ws_new(node, "sender=probe");
	Flood flood;

	g_assert_cmpstr(rc_test_json_get_string(hello, "type"), ==, "hello");
	flood_start(&flood, a, kind, count, TRUE);
	probe_during_flood(b, &flood, 10, what);
	/* the flood itself was served in full */
	switch (kind) {
	case FLOOD_JSON_PINGS:
		g_assert_cmpuint(flood.n_pong, ==, count);
		break;
	case FLOOD_WS_PINGS:
		g_assert_cmpuint(flood.n_ctrl_pong, >, 0);
		break;
	case FLOOD_JOIN_LEAVE:
		/* every join is answered, also one its leave overtook */
		g_assert_cmpuint(flood.n_joined, ==, count);
		g_assert_cmpuint(flood.n_left, ==, count);
		break;
	case FLOOD_JOINS:
		g_assert_not_reached();
	}
	g_assert_cmpuint(flood.n_other_error, ==, 0);
	flood_clear(&flood);
	rc_test_ws_ping(b);
	rc_test_ws_close(b);
	/* a raw client does not answer the close a stopping node sends it */
	g_clear_pointer(&a, rc_test_raw_ws_free);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

/* One client's pipelined burst does not hold up another client's replies. The
 * floods are sized to last about two seconds here (a million JSON pings take the
 * node some eight), some forty of B's round trips. */
static void
test_starvation_json_pings(void)
{
	run_starvation(FLOOD_JSON_PINGS, flood_count(250000, 20), "250 000 JSON pings");
}

static void
test_starvation_ws_pings(void)
{
	run_starvation(FLOOD_WS_PINGS, flood_count(250000, 20), "250 000 WebSocket pings");
}

static void
test_starvation_join_leave(void)
{
	run_starvation(FLOOD_JOIN_LEAVE, flood_count(100000, 20), "100 000 join/leave pairs");
}

/* ------------------------------------------------- 7. 1013 on the wire --- */

static gboolean
slow_consumer_counted(gpointer user_data)
{
	g_autoptr(RcTestHttpReply) reply = rc_test_http_get(user_data, "/metrics");
	gdouble slow = 0;

	return rc_test_metrics_try_value(reply->body, "roomcast_slow_consumers_total", &slow) &&
	       slow >= 1;
}

/* A client that stopped reading and was given up still learns why: the data
 * already on its way, then a close frame with 1013, ahead of what was dropped. */
static void
test_slow_consumer_close_frame(void)
{
	g_autoptr(RcTestNode) node = node_new("[limits]\nmax_queue_bytes = 262144\n");
	g_autoptr(RcTestWs) sender = rc_test_ws_new(node, "sender=sender");
	g_autoptr(RcTestRawWs) slow = rc_test_raw_ws_new(node, "sender=slow", 4096);
	g_autoptr(JsonObject) hello = rc_test_raw_ws_read_json(slow, WAIT);
	g_autoptr(JsonObject) joined = NULL;
	g_autofree gchar *filler = g_strnfill(3994, 'x');
	g_autofree gchar *reason = NULL;
	const gchar *join = "{\"type\":\"join\",\"namespace\":\"/\",\"roomCode\":\"slow\"}";
	gboolean dropped = FALSE;
	gboolean eof = FALSE;
	gushort code = 0;
	guint seq = 0;
	guint n_data = 0;
	gint last = -1;

	g_assert_cmpstr(rc_test_json_get_string(hello, "type"), ==, "hello");
	rc_test_raw_ws_send_frame(slow, 0x1, join, strlen(join));
	joined = rc_test_raw_ws_read_json(slow, WAIT);
	g_assert_cmpstr(rc_test_json_get_string(joined, "type"), ==, "joined");
	/* from here on, the slow client reads nothing */
	rc_test_ws_join(sender, "/", "slow");
	for (guint batch = 0; batch < 100 && !dropped; batch++) {
		for (guint i = 0; i < 20; i++, seq++) {
			g_autofree gchar *ref = g_strdup_printf("m%u", seq);
			rc_test_ws_send_printf(
			    sender,
			    "{\"type\":\"send\",\"namespace\":\"/\","
			    "\"roomCode\":\"slow\",\"text\":\"%06u%s\",\"ref\":\"%s\"}",
			    seq,
			    filler,
			    ref);
		}
		for (guint i = seq - 20; i < seq; i++) {
			g_autofree gchar *ref = g_strdup_printf("m%u", i);
			rc_test_ws_drop(sender, "ack", ref, WAIT);
			rc_test_ws_drop(sender, "MSG_TO_CLIENTS", NULL, WAIT);
		}
		dropped = slow_consumer_counted(node);
	}
	g_test_message("%u messages of 4000 bytes sent; the node gave up on the slow client: %s",
		       seq,
		       dropped ? "yes" : "no");
	g_assert_true(dropped);

	/* now it reads: whole messages, in order, then the close frame */
	for (;;) {
		g_autoptr(GBytes) payload = NULL;
		guint8 opcode = 0;

		if (!rc_test_raw_ws_read_frame(slow, 10000, &opcode, &payload, &eof))
			break;
		if (opcode == 0x8) {
			code = close_code(payload, &reason);
			break;
		}
		if (opcode == 0x1) {
			g_autofree gchar *text =
			    g_strndup(g_bytes_get_data(payload, NULL), g_bytes_get_size(payload));
			g_autoptr(JsonObject) msg = rc_test_json_parse_object(text);
			const gchar *t;

			g_assert_nonnull(msg);
			g_assert_cmpstr(rc_test_json_get_string(msg, "type"), ==, "MSG_TO_CLIENTS");
			t = rc_test_json_get_string(json_object_get_object_member(msg, "msg"),
						    "text");
			g_assert_cmpuint(strlen(t), ==, 4000);
			g_assert_cmpint((gint)g_ascii_strtoll(t, NULL, 10), >, last);
			last = (gint)g_ascii_strtoll(t, NULL, 10);
			n_data++;
		}
	}
	g_test_message("the slow client read %u messages (the last #%d), then %s %u \"%s\"",
		       n_data,
		       last,
		       code != 0 ? "a close frame"
		       : eof	 ? "EOF"
				 : "nothing",
		       code,
		       reason != NULL ? reason : "");
	g_assert_cmpuint(n_data, >, 0);
	g_assert_cmpuint(code, ==, 1013);
	g_assert_cmpstr(reason, ==, "slow consumer");
	/* it answers the close; the node then ends the connection */
	rc_test_raw_ws_send_frame(slow, 0x8, "\x03\xe8", 2);
	g_assert_false(rc_test_raw_ws_read_frame(slow, 6000, NULL, NULL, &eof));
	g_assert_true(eof);

	rc_test_ws_ping(sender);
	rc_test_ws_close(sender);
	/* a raw client does not answer the close a stopping node sends it */
	g_clear_pointer(&slow, rc_test_raw_ws_free);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

/* ------------------------------------------------------ 8. browsers --- */

/* A web page elsewhere cannot publish through a visitor's browser. */
static void
test_browser_publish_origin(void)
{
	g_autoptr(RcTestNode) node = node_new(NULL);
	g_autoptr(RcTestWs) member = member_new(node);
	g_autofree gchar *own = g_strdup_printf("http://127.0.0.1:%u", rc_test_node_get_port(node));
	const gchar *evil[] = {"Origin", "http://evil.example", NULL};
	const gchar *same[] = {"Origin", own, NULL};
	g_autoptr(RcTestHttpReply) refused = NULL;
	g_autoptr(RcTestHttpReply) ok = NULL;
	g_autoptr(JsonObject) msg = NULL;

	/* text/plain: a form or fetch() sends it without asking first (no preflight) */
	refused = rc_test_http_post(
	    node, "/publish", "text/plain", MESSAGE_JSON, strlen(MESSAGE_JSON), evil);
	assert_json_refusal(refused, 403);
	rc_test_ws_expect_silence(member, 300);

	ok = rc_test_http_post(
	    node, "/publish", "text/plain", MESSAGE_JSON, strlen(MESSAGE_JSON), same);
	g_assert_cmpuint(ok->status, ==, 200);
	msg = rc_test_ws_take(member, "MSG_TO_CLIENTS", NULL, WAIT);
	g_assert_cmpstr(
	    rc_test_json_get_string(json_object_get_object_member(msg, "msg"), "text"), ==, "hi");
	rc_test_ws_close(member);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

static guint
status_for_host(RcTestNode *node, const gchar *path, const gchar *host, const gchar *origin)
{
	g_autofree gchar *origin_line =
	    origin != NULL ? g_strdup_printf("Origin: %s\r\n", origin) : g_strdup("");
	g_autofree gchar *upgrade = g_str_equal(path, "/ws")
					? g_strdup("Upgrade: websocket\r\nConnection: Upgrade\r\n"
						   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
						   "Sec-WebSocket-Version: 13\r\n")
					: g_strdup("");
	g_autofree gchar *request = g_strdup_printf(
	    "GET %s HTTP/1.1\r\nHost: %s\r\n%s%s\r\n", path, host, origin_line, upgrade);
	g_autoptr(RcTestHttpReply) reply = rc_test_raw_http_request(node, request, WAIT);

	g_test_message("GET %s, Host %s, Origin %s -> %u",
		       path,
		       host,
		       origin != NULL ? origin : "(none)",
		       reply->status);
	return reply->status;
}

/* A node on a loopback address answers only to loopback names and the hosts it is
 * told about: a page whose name resolves to 127.0.0.1 (DNS rebinding) is refused,
 * even when it sends its own origin. */
static void
test_browser_host(void)
{
	g_autoptr(RcTestNode) node = node_new(NULL);
	g_autoptr(RcTestNode) named = node_new("[server]\nallowed_hosts = chat.example\n");
	guint port = rc_test_node_get_port(node);
	guint named_port = rc_test_node_get_port(named);
	g_autofree gchar *localhost = g_strdup_printf("localhost:%u", port);
	g_autofree gchar *ipv6 = g_strdup_printf("[::1]:%u", port);
	g_autofree gchar *ipv4 = g_strdup_printf("127.0.0.1:%u", port);
	g_autofree gchar *evil_port = g_strdup_printf("evil.example:%u", port);
	g_autofree gchar *chat = g_strdup_printf("chat.example:%u", named_port);
	g_autofree gchar *chat_origin = g_strdup_printf("http://chat.example:%u", named_port);

	g_assert_cmpuint(
	    status_for_host(node, "/ws", "evil.example", "http://evil.example"), ==, 403);
	g_assert_cmpuint(status_for_host(node, "/healthz", "evil.example", NULL), ==, 403);
	g_assert_cmpuint(status_for_host(node, "/healthz", evil_port, NULL), ==, 403);
	g_assert_cmpuint(status_for_host(node, "/healthz", localhost, NULL), ==, 200);
	g_assert_cmpuint(status_for_host(node, "/healthz", ipv6, NULL), ==, 200);
	g_assert_cmpuint(status_for_host(node, "/healthz", ipv4, NULL), ==, 200);
	g_assert_cmpuint(status_for_host(node, "/ws", localhost, NULL), ==, 101);

	g_assert_cmpuint(status_for_host(named, "/healthz", chat, NULL), ==, 200);
	g_assert_cmpuint(status_for_host(named, "/ws", chat, chat_origin), ==, 101);
	g_assert_cmpuint(status_for_host(named, "/healthz", "evil.example", NULL), ==, 403);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
	g_assert_cmpint(rc_test_node_stop(named), ==, 0);
}

/* ---------------------------------------------------- 9. room limit --- */

static void
send_join(RcTestWs *ws, const gchar *room, const gchar *ref)
{
	rc_test_ws_send_printf(
	    ws,
	    "{\"type\":\"join\",\"namespace\":\"/\",\"roomCode\":\"%s\",\"ref\":\"%s\"}",
	    room,
	    ref);
}

/* A connection may be in [limits] max_rooms_per_client rooms (default 100). */
static void
test_rooms_limit(void)
{
	g_autoptr(RcTestNode) node = node_new(NULL);
	g_autoptr(RcTestNode) three = node_new("[limits]\nmax_rooms_per_client = 3\n");
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);
	g_autoptr(RcTestWs) small = rc_test_ws_new(three, NULL);
	g_autoptr(RcTestWs) other = rc_test_ws_new(three, NULL);
	g_autoptr(JsonObject) err = NULL;
	g_autoptr(JsonObject) err3 = NULL;

	for (guint i = 0; i < 100; i++) {
		g_autofree gchar *room = g_strdup_printf("room-%u", i);
		rc_test_ws_join(ws, "/", room);
	}
	send_join(ws, "room-100", "over");
	err = rc_test_ws_expect_error(ws, "too_many_rooms", "over", WAIT);
	rc_test_ws_ping(ws);
	/* a room it is in already is no new room; one left makes room for another */
	rc_test_ws_join(ws, "/", "room-0");
	rc_test_ws_send_text(ws,
			     "{\"type\":\"leave\",\"namespace\":\"/\",\"roomCode\":\"room-1\"}");
	rc_test_ws_drop(ws, "left", NULL, WAIT);
	rc_test_ws_join(ws, "/", "room-100");
	g_assert_false(rc_test_ws_is_closed(ws));

	for (guint i = 0; i < 3; i++) {
		g_autofree gchar *room = g_strdup_printf("room-%u", i);
		rc_test_ws_join(small, "/", room);
	}
	send_join(small, "room-3", "over3");
	err3 = rc_test_ws_expect_error(small, "too_many_rooms", "over3", WAIT);
	rc_test_ws_ping(small);
	/* per connection: another one has its own three */
	rc_test_ws_join(other, "/", "room-3");
	rc_test_ws_close(ws);
	rc_test_ws_close(small);
	rc_test_ws_close(other);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
	g_assert_cmpint(rc_test_node_stop(three), ==, 0);
}

typedef struct {
	RcTestRedis *redis;
	guint expected;
} ChannelWait;

static gboolean
room_channels_are(gpointer user_data)
{
	ChannelWait *w = user_data;
	g_auto(GStrv) channels = rc_test_redis_pubsub_channels(w->redis, "livechat:*");
	return g_strv_length(channels) == w->expected;
}

/* In per-room fanout, joins beyond the limit subscribe nothing: 100 000 pipelined
 * joins of different rooms cost Redis 100 channels, and the node stays responsive. */
static void
test_rooms_per_room_flood(void)
{
	g_autoptr(RcTestRedis) redis = rc_test_redis_new();
	g_autoptr(RcTestNode) node = NULL;
	g_autoptr(RcTestRawWs) a = NULL;
	g_autoptr(JsonObject) hello = NULL;
	g_autoptr(RcTestWs) b = NULL;
	g_auto(GStrv) channels = NULL;
	ChannelWait none = {redis, 0};
	guint count = flood_count(100000, 20);
	Flood flood;

	limit_asan_quarantine();
	node = rc_test_node_new("--port",
				"0",
				"--bus",
				"none",
				"--redis",
				rc_test_redis_get_url(redis),
				"--config",
				rc_test_write_config("[redis]\nfanout = per-room\n"),
				NULL);
	rc_test_node_wait_redis_connected(node, WAIT);
	a = rc_test_raw_ws_new(node, "sender=flood", 0);
	hello = rc_test_raw_ws_read_json(a, WAIT);
	g_assert_cmpstr(rc_test_json_get_string(hello, "type"), ==, "hello");
	b = rc_test_ws_new(node, "sender=probe");
	flood_start(&flood, a, FLOOD_JOINS, count, TRUE);
	/* short: the limit makes most joins cheap */
	probe_during_flood(b, &flood, 5, "100 000 joins of different rooms");
	channels = rc_test_redis_pubsub_channels(redis, "livechat:*");
	g_test_message("%u joined, %u too_many_rooms, %u room channels in Redis",
		       flood.n_joined,
		       flood.n_too_many,
		       g_strv_length(channels));
	g_assert_cmpuint(flood.n_joined, ==, 100);
	g_assert_cmpuint(flood.n_too_many, ==, count - 100);
	g_assert_cmpuint(flood.n_other_error, ==, 0);
	g_assert_cmpuint(g_strv_length(channels), <=, 100);
	rc_test_ws_ping(b);
	flood_clear(&flood);

	/* and they go with the connection */
	g_clear_pointer(&a, rc_test_raw_ws_free);
	g_assert_true(rc_test_wait_until(room_channels_are, &none, WAIT));
	rc_test_ws_close(b);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

int
main(int argc, char **argv)
{
	rc_test_init(&argc, &argv);
	g_test_add_func("/hostile/fd-exhaustion", test_fd_exhaustion);
	g_test_add_func("/hostile/close-wait", test_close_wait);
	g_test_add_func("/hostile/idle-timeout", test_idle_timeout);
	g_test_add_func("/hostile/body/content-length", test_body_content_length);
	g_test_add_func("/hostile/body/chunked", test_body_chunked);
	g_test_add_func("/hostile/body/api-token", test_body_api_token);
	g_test_add_func("/hostile/body/framing", test_body_framing);
	g_test_add_func("/hostile/body/framing-no-leak", test_body_framing_no_leak);
	g_test_add_func("/hostile/ws/fragments", test_ws_fragments);
	g_test_add_func("/hostile/ws/ping-flood-unread", test_ws_ping_flood_unread);
	g_test_add_func("/hostile/starvation/json-pings", test_starvation_json_pings);
	g_test_add_func("/hostile/starvation/ws-pings", test_starvation_ws_pings);
	g_test_add_func("/hostile/starvation/join-leave", test_starvation_join_leave);
	g_test_add_func("/hostile/slow-consumer-close-frame", test_slow_consumer_close_frame);
	g_test_add_func("/hostile/browser/publish-origin", test_browser_publish_origin);
	g_test_add_func("/hostile/browser/host", test_browser_host);
	g_test_add_func("/hostile/rooms/limit", test_rooms_limit);
	g_test_add_func("/hostile/rooms/per-room-flood", test_rooms_per_room_flood);
	return g_test_run();
}
