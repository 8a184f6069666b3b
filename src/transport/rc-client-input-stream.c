/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcClientInputStream"

#include "config.h"

#include <libsoup/soup.h>

#include "transport/rc-client-input-stream.h"
#include "transport/rc-ws-frame.h"

/* bytes one connection may hand libsoup per poller round */
#define RC_CLIENT_INPUT_BUDGET 16384

struct _RcClientInputStream {
	GInputStream parent_instance;
	GPollableInputStream *base;
	gint fd;
	RcClientPoller *poller;
	guint64 round;
	gsize used; /* bytes read in this round */
	gboolean drained; /* a short read in this round took all the kernel had */
	/* the frame headers seen so far: a message's size is known before its bytes */
	guint64 max_message;
	RcWsFrameCounter counter;
	gboolean failed;
	gboolean buffered;
};

static void rc_client_input_stream_pollable_init(GPollableInputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE(RcClientInputStream,
			rc_client_input_stream,
			G_TYPE_INPUT_STREAM,
			G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_INPUT_STREAM,
					      rc_client_input_stream_pollable_init))

GInputStream *
rc_client_input_stream_new(GInputStream *base, gint fd, RcClientPoller *poller)
{
	RcClientInputStream *self = g_object_new(RC_TYPE_CLIENT_INPUT_STREAM, NULL);
	g_return_val_if_fail(G_IS_POLLABLE_INPUT_STREAM(base), NULL);
	self->base = G_POLLABLE_INPUT_STREAM(g_object_ref(base));
	self->fd = fd;
	self->poller = poller;
	/* libsoup's HTTP reader may have read past the upgrade request: frames sent
	 * with it wait in the base stream, where epoll cannot see them */
	if (g_pollable_input_stream_is_readable(self->base))
		rc_client_poller_wake(poller, fd, G_IO_IN);
	return G_INPUT_STREAM(self);
}

void
rc_client_input_stream_set_buffered(RcClientInputStream *self, gboolean buffered)
{
	self->buffered = buffered;
}

void
rc_client_input_stream_set_max_message(RcClientInputStream *self, guint64 max_message)
{
	self->max_message = max_message;
}

/* A message sent in many fragments is only limited by libsoup frame by frame: count
 * the whole message here, from the (unmasked) frame headers, and refuse it as soon as
 * it passes the limit, before its bytes are buffered. */
static gboolean
rc_client_input_stream_account(RcClientInputStream *self,
			       const guint8 *data,
			       gsize len,
			       GError **error)
{
	if (rc_ws_frame_counter_feed(&self->counter, data, len, self->max_message, NULL))
		return TRUE;
	g_set_error(error,
		    SOUP_WEBSOCKET_ERROR,
		    SOUP_WEBSOCKET_CLOSE_TOO_BIG,
		    "message of more than %" G_GUINT64_FORMAT " bytes",
		    self->max_message);
	return FALSE;
}

static gssize
rc_client_input_stream_read_nonblocking(GPollableInputStream *stream,
					void *buffer,
					gsize count,
					GError **error)
{
	RcClientInputStream *self = RC_CLIENT_INPUT_STREAM(stream);
	guint64 round = rc_client_poller_get_round(self->poller);
	gssize n;

	if (self->failed) {
		g_set_error_literal(error,
				    SOUP_WEBSOCKET_ERROR,
				    SOUP_WEBSOCKET_CLOSE_TOO_BIG,
				    "message too large");
		return -1;
	}
	/* One connection's burst must not hold up the others: past its budget for this
	 * round it reads nothing. The bytes stay in the kernel, the fd stays readable, and
	 * the level-triggered poller comes back to it in the next round. */
	if (round != self->round) {
		self->round = round;
		self->used = 0;
		self->drained = FALSE;
	}
	/* libsoup reads until a read finds nothing; after a short read that is a
	 * syscall only to hear EAGAIN. The poller's epoll is level-triggered, so
	 * bytes that arrive later make the fd ready in the next round. */
	if (self->drained) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "drained");
		return -1;
	}
	if (self->used >= RC_CLIENT_INPUT_BUDGET) {
		/* the kernel may have nothing more: the rest is in the TLS layer */
		if (self->buffered)
			rc_client_poller_wake(self->poller, self->fd, G_IO_IN);
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "budget used up");
		return -1;
	}
	count = MIN(count, RC_CLIENT_INPUT_BUDGET - self->used);
	n = g_pollable_input_stream_read_nonblocking(self->base, buffer, count, NULL, error);
	if (n <= 0)
		return n;
	self->used += (gsize)n;
	/* under TLS the rest may wait decrypted in the stream, unseen by epoll */
	if ((gsize)n < count && !self->buffered)
		self->drained = TRUE;
	if (!rc_client_input_stream_account(self, buffer, (gsize)n, error)) {
		self->failed = TRUE;
		return -1;
	}
	return n;
}

static gssize
rc_client_input_stream_read(GInputStream *stream,
			    void *buffer,
			    gsize count,
			    GCancellable *cancellable,
			    GError **error)
{
	RcClientInputStream *self = RC_CLIENT_INPUT_STREAM(stream);
	gssize n = g_input_stream_read(G_INPUT_STREAM(self->base), buffer, count, cancellable, error);
	if (n > 0 && !rc_client_input_stream_account(self, buffer, (gsize)n, error)) {
		self->failed = TRUE;
		return -1;
	}
	return n;
}

/* the owning RcClientIOStream closes the socket */
static gboolean
rc_client_input_stream_close(GInputStream *stream, GCancellable *cancellable, GError **error)
{
	return TRUE;
}

static gboolean
rc_client_input_stream_can_poll(GPollableInputStream *stream)
{
	return TRUE;
}

static gboolean
rc_client_input_stream_is_readable(GPollableInputStream *stream)
{
	RcClientInputStream *self = RC_CLIENT_INPUT_STREAM(stream);
	return g_pollable_input_stream_is_readable(self->base);
}

static GSource *
rc_client_input_stream_create_source(GPollableInputStream *stream, GCancellable *cancellable)
{
	RcClientInputStream *self = RC_CLIENT_INPUT_STREAM(stream);
	if (cancellable != NULL)
		return g_pollable_input_stream_create_source(self->base, cancellable);
	return rc_client_poller_create_source(self->poller, G_OBJECT(self), self->fd, G_IO_IN);
}

static void
rc_client_input_stream_pollable_init(GPollableInputStreamInterface *iface)
{
	iface->can_poll = rc_client_input_stream_can_poll;
	iface->is_readable = rc_client_input_stream_is_readable;
	iface->create_source = rc_client_input_stream_create_source;
	iface->read_nonblocking = rc_client_input_stream_read_nonblocking;
}

static void
rc_client_input_stream_finalize(GObject *object)
{
	RcClientInputStream *self = RC_CLIENT_INPUT_STREAM(object);
	g_object_unref(self->base);
	G_OBJECT_CLASS(rc_client_input_stream_parent_class)->finalize(object);
}

static void
rc_client_input_stream_class_init(RcClientInputStreamClass *klass)
{
	GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS(klass);
	G_OBJECT_CLASS(klass)->finalize = rc_client_input_stream_finalize;
	stream_class->read_fn = rc_client_input_stream_read;
	stream_class->close_fn = rc_client_input_stream_close;
}

static void
rc_client_input_stream_init(RcClientInputStream *self)
{
}
