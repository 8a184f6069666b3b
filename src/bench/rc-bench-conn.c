/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcBench"

#include <errno.h>
#include <glib/gi18n.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rc-bench-conn.h"
#include "rc-bench-poller.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define MAX_HEADER_BYTES 16384
#define MAX_MESSAGE_BYTES (16 * 1024 * 1024)
#define READ_CHUNK (256 * 1024)
#define READS_PER_DISPATCH 4

#define OP_CONTINUATION 0x0
#define OP_TEXT 0x1
#define OP_BINARY 0x2
#define OP_CLOSE 0x8
#define OP_PING 0x9
#define OP_PONG 0xa

typedef enum {
	STATE_NEW,
	STATE_CONNECTING,
	STATE_HANDSHAKE,
	STATE_OPEN,
	STATE_CLOSED,
} ConnState;

struct _RcBenchConn {
	GObject parent_instance;
	RcBenchConnCallbacks callbacks;
	gpointer user_data;
	ConnState state;
	int fd;
	RcBenchPoller *poller;
	RcBenchPollerWatch watch;
	gboolean registered;
	GIOCondition events;
	GByteArray *in;	       /* bytes of a frame (or the handshake) not complete yet */
	GByteArray *out;       /* bytes the socket did not take yet */
	GByteArray *fragments; /* a fragmented text message being reassembled */
	gboolean in_fragmented;
	gchar *accept_key; /* the Sec-WebSocket-Accept the server must answer */
	guint32 mask_state;
	guint close_code;
};

G_DEFINE_TYPE(RcBenchConn, rc_bench_conn, G_TYPE_OBJECT)

/* Every socket reads into this one buffer; only a partial frame left at the end of a read is
 * copied to the connection, so thousands of connections cost no per-connection read buffer.
 * Safe because nothing reached from a callback reads another socket. */
static guint8 read_scratch[READ_CHUNK];

static void conn_handle_events(RcBenchConn *self, GIOCondition revents);

static void
conn_watch_cb(GIOCondition revents, gpointer user_data)
{
	g_autoptr(RcBenchConn) self = g_object_ref(user_data);

	conn_handle_events(self, revents);
}

static void
conn_drop_socket(RcBenchConn *self)
{
	self->state = STATE_CLOSED;
	if (self->registered) {
		rc_bench_poller_remove(self->poller, self->fd, &self->watch);
		self->registered = FALSE;
	}
	if (self->fd >= 0) {
		close(self->fd);
		self->fd = -1;
	}
}

static void
conn_fail(RcBenchConn *self, GError *error)
{
	g_autoptr(GError) owned = error;

	if (self->state == STATE_CLOSED)
		return;
	conn_drop_socket(self);
	if (self->callbacks.closed != NULL)
		self->callbacks.closed(self, owned, self->user_data);
}

static void
conn_set_events(RcBenchConn *self, GIOCondition events)
{
	if (!self->registered || events == self->events)
		return;
	self->events = events;
	rc_bench_poller_modify(self->poller, self->fd, events, &self->watch);
}

/* FALSE when the connection failed */
static gboolean
conn_flush(RcBenchConn *self)
{
	gsize done = 0;

	while (done < self->out->len) {
		ssize_t n =
		    send(self->fd, self->out->data + done, self->out->len - done, MSG_NOSIGNAL);
		if (n < 0) {
			int saved = errno;
			if (saved == EINTR)
				continue;
			if (saved == EAGAIN || saved == EWOULDBLOCK)
				break;
			conn_fail(self,
				  g_error_new(G_IO_ERROR,
					      g_io_error_from_errno(saved),
					      _("cannot send: %s"),
					      g_strerror(saved)));
			return FALSE;
		}
		done += (gsize)n;
	}
	if (done > 0)
		g_byte_array_remove_range(self->out, 0, (guint)done);
	conn_set_events(self, G_IO_IN | (self->out->len > 0 ? G_IO_OUT : 0));
	return TRUE;
}

static guint32
conn_next_mask(RcBenchConn *self)
{
	/* xorshift32: masking only has to be unpredictable to intermediaries, not secure */
	guint32 x = self->mask_state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	self->mask_state = x;
	return x;
}

static gboolean
conn_send_frame(RcBenchConn *self, guint opcode, const guint8 *payload, gsize len)
{
	guint8 header[14];
	gsize hlen = 2;
	guint32 mask = conn_next_mask(self);
	guint8 key[4];
	guint start;

	header[0] = 0x80 | (guint8)opcode;
	if (len < 126) {
		header[1] = 0x80 | (guint8)len;
	} else if (len <= 0xffff) {
		header[1] = 0x80 | 126;
		header[2] = (guint8)(len >> 8);
		header[3] = (guint8)len;
		hlen = 4;
	} else {
		header[1] = 0x80 | 127;
		for (guint i = 0; i < 8; i++)
			header[2 + i] = (guint8)((guint64)len >> (56 - 8 * i));
		hlen = 10;
	}
	memcpy(key, &mask, 4);
	memcpy(header + hlen, key, 4);
	hlen += 4;

	start = self->out->len;
	g_byte_array_set_size(self->out, start + (guint)(hlen + len));
	memcpy(self->out->data + start, header, hlen);
	for (gsize i = 0; i < len; i++)
		self->out->data[start + hlen + i] = payload[i] ^ key[i & 3];
	/* when older bytes are still waiting, the socket is full: let G_IO_OUT do the rest */
	if (start > 0)
		return TRUE;
	return conn_flush(self);
}

static gboolean
conn_check_handshake(RcBenchConn *self, const gchar *header, GError **error)
{
	g_auto(GStrv) lines = g_strsplit(header, "\r\n", -1);
	gboolean accept_ok = FALSE;

	if (!g_str_has_prefix(lines[0], "HTTP/1.1 101")) {
		g_set_error(
		    error, G_IO_ERROR, G_IO_ERROR_FAILED, _("upgrade refused: %s"), lines[0]);
		return FALSE;
	}
	for (guint i = 1; lines[i] != NULL; i++) {
		const gchar *colon = strchr(lines[i], ':');
		g_autofree gchar *value = NULL;

		if (colon == NULL || colon - lines[i] != strlen("Sec-WebSocket-Accept") ||
		    g_ascii_strncasecmp(lines[i], "Sec-WebSocket-Accept", colon - lines[i]) != 0)
			continue;
		value = g_strstrip(g_strdup(colon + 1));
		accept_ok = g_strcmp0(value, self->accept_key) == 0;
	}
	if (!accept_ok) {
		g_set_error_literal(error,
				    G_IO_ERROR,
				    G_IO_ERROR_FAILED,
				    _("upgrade answer has no valid Sec-WebSocket-Accept"));
		return FALSE;
	}
	return TRUE;
}

static void
conn_deliver_text(RcBenchConn *self, const guint8 *data, gsize len)
{
	if (self->callbacks.text != NULL)
		self->callbacks.text(self, (const gchar *)data, len, self->user_data);
}

/* FALSE when the connection is closed afterwards */
static gboolean
conn_handle_frame(RcBenchConn *self, gboolean fin, guint opcode, const guint8 *payload, gsize len)
{
	switch (opcode) {
	case OP_TEXT:
	case OP_BINARY:
		if (self->in_fragmented) {
			conn_fail(self,
				  g_error_new_literal(G_IO_ERROR,
						      G_IO_ERROR_INVALID_DATA,
						      _("new message inside a fragmented one")));
			return FALSE;
		}
		if (!fin) {
			self->in_fragmented = TRUE;
			g_byte_array_set_size(self->fragments, 0);
			g_byte_array_append(self->fragments, payload, (guint)len);
			return TRUE;
		}
		/* binary frames are not part of the protocol: ignored */
		if (opcode == OP_TEXT)
			conn_deliver_text(self, payload, len);
		break;
	case OP_CONTINUATION:
		if (!self->in_fragmented) {
			conn_fail(self,
				  g_error_new_literal(G_IO_ERROR,
						      G_IO_ERROR_INVALID_DATA,
						      _("continuation frame without a message")));
			return FALSE;
		}
		if (self->fragments->len + len > MAX_MESSAGE_BYTES) {
			conn_fail(self,
				  g_error_new_literal(G_IO_ERROR,
						      G_IO_ERROR_MESSAGE_TOO_LARGE,
						      _("fragmented message too large")));
			return FALSE;
		}
		g_byte_array_append(self->fragments, payload, (guint)len);
		if (fin) {
			self->in_fragmented = FALSE;
			conn_deliver_text(self, self->fragments->data, self->fragments->len);
		}
		break;
	case OP_PING:
		return conn_send_frame(self, OP_PONG, payload, len);
	case OP_PONG:
		break;
	case OP_CLOSE:
		self->close_code = len >= 2 ? (guint)(payload[0] << 8 | payload[1]) : 1005;
		/* echo the code (RFC 6455 5.5.1), then the socket is done */
		conn_send_frame(self, OP_CLOSE, payload, MIN(len, 2));
		conn_fail(self,
			  g_error_new(G_IO_ERROR,
				      G_IO_ERROR_CONNECTION_CLOSED,
				      _("server closed the WebSocket with code %u"),
				      self->close_code));
		return FALSE;
	default:
		conn_fail(self,
			  g_error_new(G_IO_ERROR,
				      G_IO_ERROR_INVALID_DATA,
				      _("unknown WebSocket opcode %u"),
				      opcode));
		return FALSE;
	}
	return self->state == STATE_OPEN;
}

/* Consumes complete frames (and the handshake) from @data; returns how many bytes were used,
 * or -1 when the connection is closed afterwards. */
static gssize
conn_process(RcBenchConn *self, const guint8 *data, gsize len)
{
	gsize pos = 0;

	if (self->state == STATE_HANDSHAKE) {
		const guint8 *end = memmem(data, len, "\r\n\r\n", 4);
		g_autofree gchar *header = NULL;
		g_autoptr(GError) error = NULL;

		if (end == NULL) {
			if (len > MAX_HEADER_BYTES) {
				conn_fail(self,
					  g_error_new_literal(G_IO_ERROR,
							      G_IO_ERROR_INVALID_DATA,
							      _("upgrade answer too long")));
				return -1;
			}
			return 0;
		}
		header = g_strndup((const gchar *)data, end - data);
		if (!conn_check_handshake(self, header, &error)) {
			conn_fail(self, g_steal_pointer(&error));
			return -1;
		}
		self->state = STATE_OPEN;
		pos = (gsize)(end - data) + 4;
	}

	while (len - pos >= 2) {
		const guint8 *p = data + pos;
		gsize avail = len - pos, hlen = 2;
		guint64 plen = p[1] & 0x7f;

		if (p[1] & 0x80) {
			conn_fail(self,
				  g_error_new_literal(G_IO_ERROR,
						      G_IO_ERROR_INVALID_DATA,
						      _("server sent a masked frame")));
			return -1;
		}
		if (plen == 126) {
			if (avail < 4)
				break;
			plen = (guint64)p[2] << 8 | p[3];
			hlen = 4;
		} else if (plen == 127) {
			if (avail < 10)
				break;
			plen = 0;
			for (guint i = 0; i < 8; i++)
				plen = plen << 8 | p[2 + i];
			hlen = 10;
		}
		if (plen > MAX_MESSAGE_BYTES) {
			conn_fail(
			    self,
			    g_error_new(G_IO_ERROR,
					G_IO_ERROR_MESSAGE_TOO_LARGE,
					_("frame of %" G_GUINT64_FORMAT " bytes is too large"),
					plen));
			return -1;
		}
		if (avail < hlen + plen)
			break;
		pos += hlen + (gsize)plen;
		if (!conn_handle_frame(
			self, (p[0] & 0x80) != 0, p[0] & 0x0f, p + hlen, (gsize)plen))
			return -1;
	}
	return (gssize)pos;
}

/* FALSE when the connection is closed afterwards */
static gboolean
conn_consume(RcBenchConn *self, const guint8 *data, gsize len)
{
	gssize used;

	if (self->in->len == 0) {
		used = conn_process(self, data, len);
		if (used < 0)
			return FALSE;
		if ((gsize)used < len)
			g_byte_array_append(self->in, data + used, (guint)(len - (gsize)used));
		return TRUE;
	}
	g_byte_array_append(self->in, data, (guint)len);
	used = conn_process(self, self->in->data, self->in->len);
	if (used < 0)
		return FALSE;
	g_byte_array_remove_range(self->in, 0, (guint)used);
	return TRUE;
}

static void
conn_read(RcBenchConn *self)
{
	for (guint i = 0; i < READS_PER_DISPATCH; i++) {
		ssize_t n = recv(self->fd, read_scratch, sizeof(read_scratch), 0);

		if (n < 0) {
			int saved = errno;
			if (saved == EINTR)
				continue;
			if (saved == EAGAIN || saved == EWOULDBLOCK)
				return;
			conn_fail(self,
				  g_error_new(G_IO_ERROR,
					      g_io_error_from_errno(saved),
					      _("cannot receive: %s"),
					      g_strerror(saved)));
			return;
		}
		if (n == 0) {
			conn_fail(self,
				  g_error_new_literal(G_IO_ERROR,
						      G_IO_ERROR_CONNECTION_CLOSED,
						      _("server closed the TCP connection")));
			return;
		}
		if (!conn_consume(self, read_scratch, (gsize)n))
			return;
		/* a short read drained the socket: poll() tells when there is more */
		if ((gsize)n < sizeof(read_scratch))
			return;
	}
}

static void
conn_handle_events(RcBenchConn *self, GIOCondition revents)
{
	if (self->state == STATE_CONNECTING) {
		int err = 0;
		socklen_t err_len = sizeof(err);

		if ((revents & (G_IO_OUT | G_IO_ERR | G_IO_HUP)) == 0)
			return;
		if (getsockopt(self->fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0)
			err = errno;
		if (err != 0) {
			conn_fail(self,
				  g_error_new(G_IO_ERROR,
					      g_io_error_from_errno(err),
					      _("cannot connect: %s"),
					      g_strerror(err)));
			return;
		}
		self->state = STATE_HANDSHAKE;
		conn_flush(self);
		return;
	}
	if ((revents & G_IO_OUT) && !conn_flush(self))
		return;
	if (revents & (G_IO_IN | G_IO_HUP | G_IO_ERR))
		conn_read(self);
}

static void
rc_bench_conn_finalize(GObject *object)
{
	RcBenchConn *self = RC_BENCH_CONN(object);

	conn_drop_socket(self);
	g_byte_array_unref(self->in);
	g_byte_array_unref(self->out);
	g_byte_array_unref(self->fragments);
	g_free(self->accept_key);
	g_clear_object(&self->poller);
	G_OBJECT_CLASS(rc_bench_conn_parent_class)->finalize(object);
}

static void
rc_bench_conn_class_init(RcBenchConnClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = rc_bench_conn_finalize;
}

static void
rc_bench_conn_init(RcBenchConn *self)
{
	self->fd = -1;
	self->in = g_byte_array_new();
	self->out = g_byte_array_new();
	self->fragments = g_byte_array_new();
	self->mask_state = g_random_int() | 1;
}

RcBenchConn *
rc_bench_conn_new(RcBenchPoller *poller, const RcBenchConnCallbacks *callbacks, gpointer user_data)
{
	RcBenchConn *self = g_object_new(RC_TYPE_BENCH_CONN, NULL);

	self->poller = g_object_ref(poller);
	self->watch.func = conn_watch_cb;
	self->watch.user_data = self;
	self->callbacks = *callbacks;
	self->user_data = user_data;
	return self;
}

static gboolean
set_error_from_errno(GError **error, const gchar *what)
{
	int saved = errno;

	g_set_error(
	    error, G_IO_ERROR, g_io_error_from_errno(saved), "%s: %s", what, g_strerror(saved));
	return FALSE;
}

gboolean
rc_bench_conn_start(RcBenchConn *self,
		    GSocketAddress *dest,
		    GInetAddress *source_address,
		    const gchar *host,
		    const gchar *path_and_query,
		    GError **error)
{
	struct sockaddr_storage native;
	guint32 key_raw[4];
	g_autofree gchar *key = NULL;
	g_autofree gchar *key_and_guid = NULL;
	g_autofree gchar *request = NULL;
	guint8 digest[20];
	gsize digest_len = sizeof(digest);
	g_autoptr(GChecksum) sha1 = g_checksum_new(G_CHECKSUM_SHA1);
	int one = 1;
	int family = g_socket_address_get_family(dest) == G_SOCKET_FAMILY_IPV6 ? AF_INET6 : AF_INET;
	int rc;

	g_return_val_if_fail(self->state == STATE_NEW, FALSE);

	if (!g_socket_address_to_native(dest, &native, sizeof(native), error))
		return FALSE;
	self->fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (self->fd < 0)
		return set_error_from_errno(error, _("cannot create a socket"));
	setsockopt(self->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (source_address != NULL) {
		g_autoptr(GSocketAddress) src = g_inet_socket_address_new(source_address, 0);
		struct sockaddr_storage src_native;

		if (!g_socket_address_to_native(src, &src_native, sizeof(src_native), error))
			return FALSE;
		/* let connect() pick the port per 4-tuple, so every source address gets its own
		 * ~28k ephemeral ports towards each server */
		setsockopt(self->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(self->fd,
			 (struct sockaddr *)&src_native,
			 (socklen_t)g_socket_address_get_native_size(src)) != 0)
			return set_error_from_errno(error, _("cannot bind the source address"));
	}
	do {
		rc = connect(self->fd,
			     (struct sockaddr *)&native,
			     (socklen_t)g_socket_address_get_native_size(dest));
	} while (rc != 0 && errno == EINTR);
	if (rc != 0 && errno != EINPROGRESS)
		return set_error_from_errno(error, _("cannot connect"));

	for (guint i = 0; i < G_N_ELEMENTS(key_raw); i++)
		key_raw[i] = g_random_int();
	key = g_base64_encode((const guchar *)key_raw, sizeof(key_raw));
	key_and_guid = g_strconcat(key, WS_GUID, NULL);
	g_checksum_update(sha1, (const guchar *)key_and_guid, -1);
	g_checksum_get_digest(sha1, digest, &digest_len);
	self->accept_key = g_base64_encode(digest, digest_len);
	request = g_strdup_printf("GET %s HTTP/1.1\r\n"
				  "Host: %s\r\n"
				  "Upgrade: websocket\r\n"
				  "Connection: Upgrade\r\n"
				  "Sec-WebSocket-Key: %s\r\n"
				  "Sec-WebSocket-Version: 13\r\n"
				  "\r\n",
				  path_and_query,
				  host,
				  key);
	g_byte_array_append(self->out, (const guint8 *)request, (guint)strlen(request));

	self->events = G_IO_OUT;
	if (!rc_bench_poller_add(self->poller, self->fd, self->events, &self->watch, error))
		return FALSE;
	self->registered = TRUE;
	self->state = STATE_CONNECTING;
	return TRUE;
}

gboolean
rc_bench_conn_send_text(RcBenchConn *self, const gchar *text, gsize len)
{
	if (self->state != STATE_OPEN)
		return FALSE;
	conn_send_frame(self, OP_TEXT, (const guint8 *)text, len);
	return TRUE;
}

gboolean
rc_bench_conn_is_open(RcBenchConn *self)
{
	return self->state == STATE_OPEN;
}

gsize
rc_bench_conn_get_queued(RcBenchConn *self)
{
	return self->out->len;
}

guint
rc_bench_conn_get_close_code(RcBenchConn *self)
{
	return self->close_code;
}

void
rc_bench_conn_close(RcBenchConn *self)
{
	self->callbacks.closed = NULL;
	self->callbacks.text = NULL;
	if (self->state == STATE_OPEN && self->out->len == 0) {
		static const guint8 normal[2] = {1000 >> 8, 1000 & 0xff};
		conn_send_frame(self, OP_CLOSE, normal, sizeof(normal));
	}
	conn_drop_socket(self);
}
