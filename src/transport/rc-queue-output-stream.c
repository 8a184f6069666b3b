/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcQueueOutputStream"

#include "config.h"

#include "transport/rc-queue-output-stream.h"

/* writev batches at most this many queued frames per system call */
#define RC_QUEUE_MAX_VECTORS 64

typedef struct {
	GBytes *bytes;
	gsize offset;
} RcChunk;

struct _RcQueueOutputStream {
	GOutputStream parent_instance;
	GPollableOutputStream *base;
	gint fd;
	RcClientPoller *poller;
	GQueue chunks; /* of RcChunk */
	gsize queued;
	GSource *flush_source; /* only while the socket is full */
	gboolean failed;       /* the socket is gone: drop everything */
};

static void rc_queue_output_stream_pollable_init(GPollableOutputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE(RcQueueOutputStream,
			rc_queue_output_stream,
			G_TYPE_OUTPUT_STREAM,
			G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_OUTPUT_STREAM,
					      rc_queue_output_stream_pollable_init))

static void
rc_chunk_free(RcChunk *chunk)
{
	g_bytes_unref(chunk->bytes);
	g_free(chunk);
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
			gsize size = 0;
			const guint8 *data = g_bytes_get_data(chunk->bytes, &size);
			vectors[n].buffer = data + chunk->offset;
			vectors[n].size = size - chunk->offset;
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
			gsize left = g_bytes_get_size(chunk->bytes) - chunk->offset;
			if (done < left) {
				chunk->offset += done;
				break;
			}
			done -= left;
			rc_chunk_free(g_queue_pop_head(&self->chunks));
		}
	}
	rc_queue_output_stream_stop_waiting(self);
}

static gboolean
rc_queue_output_stream_flush_cb(GObject *stream, gpointer user_data)
{
	RcQueueOutputStream *self = RC_QUEUE_OUTPUT_STREAM(user_data);
	/* drain() drops the source once the queue is empty */
	rc_queue_output_stream_drain(self);
	return self->flush_source != NULL ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
rc_queue_output_stream_append(RcQueueOutputStream *self, GBytes *bytes, gsize offset)
{
	RcChunk *chunk = g_new(RcChunk, 1);
	chunk->bytes = bytes;
	chunk->offset = offset;
	g_queue_push_tail(&self->chunks, chunk);
	self->queued += g_bytes_get_size(bytes) - offset;
	rc_queue_output_stream_wait(self);
}

void
rc_queue_output_stream_push(RcQueueOutputStream *self, GBytes *bytes)
{
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(bytes, &size);
	g_autoptr(GError) error = NULL;
	gssize n;

	if (self->failed || size == 0)
		return;
	if (!g_queue_is_empty(&self->chunks)) {
		rc_queue_output_stream_append(self, g_bytes_ref(bytes), 0);
		return;
	}
	/* the common case: the socket has room, nothing is queued, no copy at all */
	n = g_pollable_output_stream_write_nonblocking(self->base, data, size, NULL, &error);
	if (n < 0) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
			rc_queue_output_stream_fail(self, error);
			return;
		}
		n = 0;
	}
	if ((gsize)n < size)
		rc_queue_output_stream_append(self, g_bytes_ref(bytes), (gsize)n);
}

gsize
rc_queue_output_stream_get_queued(RcQueueOutputStream *self)
{
	return self->queued;
}

GOutputStream *
rc_queue_output_stream_new(GOutputStream *base, gint fd, RcClientPoller *poller)
{
	RcQueueOutputStream *self = g_object_new(RC_TYPE_QUEUE_OUTPUT_STREAM, NULL);
	g_return_val_if_fail(G_IS_POLLABLE_OUTPUT_STREAM(base), NULL);
	self->base = G_POLLABLE_OUTPUT_STREAM(g_object_ref(base));
	self->fd = fd;
	self->poller = poller;
	return G_OUTPUT_STREAM(self);
}

/* libsoup's own writes: taken whole, in order with the pushed frames */
static gssize
rc_queue_output_stream_write_nonblocking(GPollableOutputStream *stream,
					 const void *buffer,
					 gsize count,
					 GError **error)
{
	RcQueueOutputStream *self = RC_QUEUE_OUTPUT_STREAM(stream);
	g_autoptr(GBytes) bytes = NULL;
	if (self->failed) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, "connection lost");
		return -1;
	}
	bytes = g_bytes_new(buffer, count);
	rc_queue_output_stream_push(self, bytes);
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
	return TRUE;
}

static gboolean
rc_queue_output_stream_can_poll(GPollableOutputStream *stream)
{
	return TRUE;
}

/* it always takes more: the limit is the daemon's max_queue_bytes, not the socket */
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
	G_OBJECT_CLASS(klass)->finalize = rc_queue_output_stream_finalize;
	stream_class->write_fn = rc_queue_output_stream_write;
	stream_class->close_fn = rc_queue_output_stream_close;
}

static void
rc_queue_output_stream_init(RcQueueOutputStream *self)
{
	g_queue_init(&self->chunks);
}
