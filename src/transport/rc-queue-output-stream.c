/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcQueueOutputStream"

#include "config.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rc-metrics.h"
#include "transport/rc-queue-output-stream.h"
#include "transport/rc-ws-frame.h"

/* writev batches at most this many queued frames per system call */
#define RC_QUEUE_MAX_VECTORS 64

typedef struct {
	GBytes *bytes;
	gsize offset;	    /* bytes of it already written */
	gboolean urgent;    /* a control frame of libsoup's */
	gint64 accepted_at; /* of the message in it, for the latency; 0: none */
} RcChunk;

struct _RcQueueOutputStream {
	GOutputStream parent_instance;
	/* what a push reads comes first: rc_queue_output_stream_prefetch() loads it */
	gboolean failed; /* the socket is gone: drop everything */
	gboolean closed; /* a close frame is queued or sent: nothing may follow it */
	gint fd;
	gboolean raw;  /* base writes straight to fd: send() may skip it */
	gsize queued;
	GQueue chunks; /* of RcChunk, in the order they go out */
	gsize limit;   /* 0: none */
	GPollableOutputStream *base;
	RcClientPoller *poller;
	GSource *flush_source; /* only while the socket is full */
	guint overflow_id;
};

enum { SIGNAL_OVERFLOW, SIGNAL_DRAINED, SIGNAL_LAST };
static guint signals[SIGNAL_LAST] = {0};

static void rc_queue_output_stream_pollable_init(GPollableOutputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE(RcQueueOutputStream,
			rc_queue_output_stream,
			G_TYPE_OUTPUT_STREAM,
			G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_OUTPUT_STREAM,
					      rc_queue_output_stream_pollable_init))

/* send(2) is a cancellation point: in a process with a second thread (GLib's
 * worker, which its signal sources start) glibc brackets it with two atomic updates
 * of the thread's cancellation state, a tenth of a delivery's own time. roomcastd
 * never cancels a thread, so a delivery makes the system call itself. */
static inline gssize
rc_queue_send(gint fd, const guint8 *data, gsize size)
{
	return syscall(SYS_sendto, fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0);
}

static void
rc_chunk_free(RcChunk *chunk)
{
	g_bytes_unref(chunk->bytes);
	g_free(chunk);
}

static gsize
rc_chunk_left(RcChunk *chunk)
{
	return g_bytes_get_size(chunk->bytes) - chunk->offset;
}

static void
rc_queue_output_stream_stop_waiting(RcQueueOutputStream *self)
{
	if (self->flush_source != NULL) {
		g_source_destroy(self->flush_source);
		g_clear_pointer(&self->flush_source, g_source_unref);
	}
}

static void
rc_queue_output_stream_clear(RcQueueOutputStream *self)
{
	RcChunk *chunk;
	while ((chunk = g_queue_pop_head(&self->chunks)) != NULL)
		rc_chunk_free(chunk);
	self->queued = 0;
	rc_queue_output_stream_stop_waiting(self);
}

static void
rc_queue_output_stream_fail(RcQueueOutputStream *self, const GError *error)
{
	/* the input side sees the same failure and libsoup closes the connection */
	g_debug("write failed: %s", error->message);
	self->failed = TRUE;
	rc_queue_output_stream_clear(self);
	g_signal_emit(self, signals[SIGNAL_DRAINED], 0);
}

static gboolean rc_queue_output_stream_flush_cb(GObject *stream, gpointer user_data);

static void
rc_queue_output_stream_wait(RcQueueOutputStream *self)
{
	if (self->flush_source != NULL)
		return;
	/* parked, never attached: the poller dispatches it when the socket drains */
	self->flush_source =
	    rc_client_poller_create_source(self->poller, G_OBJECT(self), self->fd, G_IO_OUT);
	g_source_set_callback(self->flush_source,
			      G_SOURCE_FUNC(rc_queue_output_stream_flush_cb),
			      self,
			      NULL);
}

/* writes as much of the queue as the socket takes, several frames per call */
static void
rc_queue_output_stream_drain(RcQueueOutputStream *self)
{
	while (!g_queue_is_empty(&self->chunks)) {
		GOutputVector vectors[RC_QUEUE_MAX_VECTORS];
		g_autoptr(GError) error = NULL;
		GPollableReturn ret;
		gsize n = 0;
		gsize done = 0;

		for (GList *l = self->chunks.head; l != NULL && n < RC_QUEUE_MAX_VECTORS; l = l->next) {
			RcChunk *chunk = l->data;
			const guint8 *data = g_bytes_get_data(chunk->bytes, NULL);
			vectors[n].buffer = data + chunk->offset;
			vectors[n].size = rc_chunk_left(chunk);
			n++;
		}
		ret = g_pollable_output_stream_writev_nonblocking(self->base,
								  vectors,
								  n,
								  &done,
								  NULL,
								  &error);
		if (ret == G_POLLABLE_RETURN_WOULD_BLOCK) {
			rc_queue_output_stream_wait(self);
			return;
		}
		if (ret == G_POLLABLE_RETURN_FAILED) {
			rc_queue_output_stream_fail(self, error);
			return;
		}
		self->queued -= done;
		while (done > 0) {
			RcChunk *chunk = g_queue_peek_head(&self->chunks);
			gsize left = rc_chunk_left(chunk);
			if (done < left) {
				chunk->offset += done;
				break;
			}
			done -= left;
			rc_metrics_observe_delivery(chunk->accepted_at);
			rc_chunk_free(g_queue_pop_head(&self->chunks));
		}
	}
	rc_queue_output_stream_stop_waiting(self);
	g_signal_emit(self, signals[SIGNAL_DRAINED], 0);
}

static gboolean
rc_queue_output_stream_flush_cb(GObject *stream, gpointer user_data)
{
	RcQueueOutputStream *self = RC_QUEUE_OUTPUT_STREAM(user_data);
	/* drain() drops the source once the queue is empty */
	rc_queue_output_stream_drain(self);
	return self->flush_source != NULL ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static RcChunk *
rc_chunk_new(GBytes *bytes, gsize offset, gboolean urgent)
{
	RcChunk *chunk = g_new(RcChunk, 1);
	chunk->bytes = g_bytes_ref(bytes);
	chunk->offset = offset;
	chunk->urgent = urgent;
	chunk->accepted_at = 0;
	return chunk;
}

/* writes @bytes at once when nothing waits, and queues what the socket leaves over */
static void
rc_queue_output_stream_write_or_queue(RcQueueOutputStream *self, GBytes *bytes, gint64 accepted_at)
{
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(bytes, &size);
	g_autoptr(GError) error = NULL;
	gssize n;

	/* the common case: the socket has room, nothing is queued, no copy at all */
	if (self->raw) {
		/* GIO's socket stream only adds work here (its pollable write, then
		 * GSocket's checks): a quarter of a node's own time in a large room's
		 * fan-out. GSocket ignores SIGPIPE process-wide; MSG_NOSIGNAL says so here. */
		do
			n = rc_queue_send(self->fd, data, size);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			gint saved = errno;
			if (saved != EAGAIN && saved != EWOULDBLOCK) {
				error = g_error_new_literal(G_IO_ERROR,
							    g_io_error_from_errno(saved),
							    g_strerror(saved));
				rc_queue_output_stream_fail(self, error);
				return;
			}
			n = 0;
		}
	} else {
		n = g_pollable_output_stream_write_nonblocking(
		    self->base, data, size, NULL, &error);
	}
	if (n < 0) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
			rc_queue_output_stream_fail(self, error);
			return;
		}
		n = 0;
	}
	if ((gsize)n < size) {
		RcChunk *chunk = rc_chunk_new(bytes, (gsize)n, FALSE);
		chunk->accepted_at = accepted_at;
		g_queue_push_tail(&self->chunks, chunk);
		self->queued += size - (gsize)n;
		rc_queue_output_stream_wait(self);
		return;
	}
	rc_metrics_observe_delivery(accepted_at);
}

void
rc_queue_output_stream_push_stamped(RcQueueOutputStream *self, GBytes *bytes, gint64 accepted_at)
{
	gsize size = g_bytes_get_size(bytes);
	RcChunk *chunk;

	if (self->failed || self->closed || size == 0)
		return;
	if (g_queue_is_empty(&self->chunks)) {
		rc_queue_output_stream_write_or_queue(self, bytes, accepted_at);
		return;
	}
	/* the chunk is allocated anyway: the stamp rides in it, no more per delivery */
	chunk = rc_chunk_new(bytes, 0, FALSE);
	chunk->accepted_at = accepted_at;
	g_queue_push_tail(&self->chunks, chunk);
	self->queued += size;
}

void
rc_queue_output_stream_push(RcQueueOutputStream *self, GBytes *bytes)
{
	rc_queue_output_stream_push_stamped(self, bytes, 0);
}

/* Control frames go ahead of every queued data frame that has not started (a frame
 * on the wire cannot be interrupted), behind earlier control frames. After a close
 * frame nothing else may be sent, so the data behind it is dropped. */
void
rc_queue_output_stream_push_control(RcQueueOutputStream *self, GBytes *bytes)
{
	gboolean is_close =
	    rc_ws_frame_opcode(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes)) == 0x8;
	GList *after = NULL;
	GList *l;

	if (self->failed || self->closed)
		return;
	/* one answer to the latest ping is enough: a pong not sent yet is replaced */
	if (rc_ws_frame_opcode(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes)) == 0xA) {
		for (l = self->chunks.head; l != NULL; l = l->next) {
			RcChunk *chunk = l->data;
			if (chunk->urgent && chunk->offset == 0 &&
			    rc_ws_frame_opcode(g_bytes_get_data(chunk->bytes, NULL),
					       g_bytes_get_size(chunk->bytes)) == 0xA) {
				self->queued -= g_bytes_get_size(chunk->bytes);
				self->queued += g_bytes_get_size(bytes);
				g_bytes_unref(chunk->bytes);
				chunk->bytes = g_bytes_ref(bytes);
				return;
			}
		}
	}
	if (g_queue_is_empty(&self->chunks)) {
		if (is_close)
			self->closed = TRUE;
		rc_queue_output_stream_write_or_queue(self, bytes, 0);
		return;
	}
	for (l = self->chunks.head; l != NULL; l = l->next) {
		RcChunk *chunk = l->data;
		if (chunk->urgent || chunk->offset > 0)
			after = l;
		else
			break;
	}
	if (is_close) {
		/* l is the first data frame that has not started */
		while (l != NULL) {
			GList *next = l->next;
			RcChunk *chunk = l->data;
			self->queued -= rc_chunk_left(chunk);
			rc_chunk_free(chunk);
			g_queue_delete_link(&self->chunks, l);
			l = next;
		}
		self->closed = TRUE;
	}
	if (after == NULL)
		g_queue_push_head(&self->chunks, rc_chunk_new(bytes, 0, TRUE));
	else
		g_queue_insert_after(&self->chunks, after, rc_chunk_new(bytes, 0, TRUE));
	self->queued += g_bytes_get_size(bytes);
}

void
rc_queue_output_stream_prefetch(RcQueueOutputStream *self)
{
	/* the first and the last byte of the fields a push reads: one or two cache lines */
	__builtin_prefetch(&self->failed);
	__builtin_prefetch((const guint8 *)&self->chunks + sizeof(self->chunks) - 1);
}

gsize
rc_queue_output_stream_get_queued(RcQueueOutputStream *self)
{
	return self->queued;
}

void
rc_queue_output_stream_set_limit(RcQueueOutputStream *self, gsize limit)
{
	self->limit = limit;
}

gboolean
rc_queue_output_stream_has_failed(RcQueueOutputStream *self)
{
	return self->failed;
}

gboolean
rc_queue_output_stream_is_closed(RcQueueOutputStream *self)
{
	return self->closed || self->failed;
}

GOutputStream *
rc_queue_output_stream_new(GOutputStream *base, gint fd, gboolean raw, RcClientPoller *poller)
{
	RcQueueOutputStream *self = g_object_new(RC_TYPE_QUEUE_OUTPUT_STREAM, NULL);
	g_return_val_if_fail(G_IS_POLLABLE_OUTPUT_STREAM(base), NULL);
	self->base = G_POLLABLE_OUTPUT_STREAM(g_object_ref(base));
	self->fd = fd;
	self->raw = raw;
	self->poller = poller;
	return G_OUTPUT_STREAM(self);
}

static gboolean
rc_queue_output_stream_overflow_cb(gpointer user_data)
{
	RcQueueOutputStream *self = RC_QUEUE_OUTPUT_STREAM(user_data);
	self->overflow_id = 0;
	g_signal_emit(self, signals[SIGNAL_OVERFLOW], 0);
	return G_SOURCE_REMOVE;
}

/* libsoup's own writes: its control frames (pongs, the close frame), each taken
 * whole. They count against the limit like everything else: a peer that sends
 * pings and reads nothing is a slow consumer too. ::overflow is emitted from an
 * idle, never from inside libsoup's write. */
static gssize
rc_queue_output_stream_write_nonblocking(GPollableOutputStream *stream,
					 const void *buffer,
					 gsize count,
					 GError **error)
{
	RcQueueOutputStream *self = RC_QUEUE_OUTPUT_STREAM(stream);
	g_autoptr(GBytes) bytes = NULL;
	gboolean is_close = rc_ws_frame_opcode(buffer, count) == 0x8;

	if (self->failed) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, "connection lost");
		return -1;
	}
	/* after a close frame nothing more goes out */
	if (count == 0 || self->closed)
		return (gssize)count;
	if (!is_close && self->limit > 0 && self->queued + count > self->limit) {
		if (self->overflow_id == 0)
			self->overflow_id = g_idle_add_full(G_PRIORITY_DEFAULT,
							    rc_queue_output_stream_overflow_cb,
							    g_object_ref(self),
							    g_object_unref);
		return (gssize)count;
	}
	bytes = g_bytes_new(buffer, count);
	rc_queue_output_stream_push_control(self, bytes);
	return (gssize)count;
}

static gssize
rc_queue_output_stream_write(GOutputStream *stream,
			     const void *buffer,
			     gsize count,
			     GCancellable *cancellable,
			     GError **error)
{
	return rc_queue_output_stream_write_nonblocking(G_POLLABLE_OUTPUT_STREAM(stream),
							buffer,
							count,
							error);
}

/* the owning RcClientIOStream closes the socket */
static gboolean
rc_queue_output_stream_close(GOutputStream *stream, GCancellable *cancellable, GError **error)
{
	RcQueueOutputStream *self = RC_QUEUE_OUTPUT_STREAM(stream);
	/* a last close frame usually fits; whatever does not is dropped with the socket */
	if (!self->failed)
		rc_queue_output_stream_drain(self);
	rc_queue_output_stream_clear(self);
	/* The socket closes right after this, and its owner learns of it only a loop
	 * round later: pushes meanwhile go nowhere, not to a reused fd number. */
	self->failed = TRUE;
	self->fd = -1;
	return TRUE;
}

static gboolean
rc_queue_output_stream_can_poll(GPollableOutputStream *stream)
{
	return TRUE;
}

/* it always takes more: the limit is the queue's, not the socket's */
static gboolean
rc_queue_output_stream_is_writable(GPollableOutputStream *stream)
{
	return TRUE;
}

static GSource *
rc_queue_output_stream_create_source(GPollableOutputStream *stream, GCancellable *cancellable)
{
	GSource *source = g_pollable_source_new(G_OBJECT(stream));
	g_source_set_ready_time(source, 0);
	return source;
}

static void
rc_queue_output_stream_pollable_init(GPollableOutputStreamInterface *iface)
{
	iface->can_poll = rc_queue_output_stream_can_poll;
	iface->is_writable = rc_queue_output_stream_is_writable;
	iface->create_source = rc_queue_output_stream_create_source;
	iface->write_nonblocking = rc_queue_output_stream_write_nonblocking;
}

static void
rc_queue_output_stream_dispose(GObject *object)
{
	RcQueueOutputStream *self = RC_QUEUE_OUTPUT_STREAM(object);
	g_clear_handle_id(&self->overflow_id, g_source_remove);
	G_OBJECT_CLASS(rc_queue_output_stream_parent_class)->dispose(object);
}

static void
rc_queue_output_stream_finalize(GObject *object)
{
	RcQueueOutputStream *self = RC_QUEUE_OUTPUT_STREAM(object);
	rc_queue_output_stream_clear(self);
	g_object_unref(self->base);
	G_OBJECT_CLASS(rc_queue_output_stream_parent_class)->finalize(object);
}

static void
rc_queue_output_stream_class_init(RcQueueOutputStreamClass *klass)
{
	GOutputStreamClass *stream_class = G_OUTPUT_STREAM_CLASS(klass);
	G_OBJECT_CLASS(klass)->dispose = rc_queue_output_stream_dispose;
	G_OBJECT_CLASS(klass)->finalize = rc_queue_output_stream_finalize;
	stream_class->write_fn = rc_queue_output_stream_write;
	stream_class->close_fn = rc_queue_output_stream_close;
	signals[SIGNAL_OVERFLOW] = g_signal_new("overflow",
						G_TYPE_FROM_CLASS(klass),
						G_SIGNAL_RUN_LAST,
						0,
						NULL,
						NULL,
						NULL,
						G_TYPE_NONE,
						0);
	signals[SIGNAL_DRAINED] = g_signal_new("drained",
					       G_TYPE_FROM_CLASS(klass),
					       G_SIGNAL_RUN_LAST,
					       0,
					       NULL,
					       NULL,
					       NULL,
					       G_TYPE_NONE,
					       0);
}

static void
rc_queue_output_stream_init(RcQueueOutputStream *self)
{
	g_queue_init(&self->chunks);
}
