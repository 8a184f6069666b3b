/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTlsInputStream"

#include "config.h"

#include <string.h>

#include "transport/rc-tls-input-stream.h"

/* what one fill takes at most before handing out what it has */
#define RC_TLS_INPUT_FILL_MAX (64 * 1024)

struct _RcTlsInputStream {
	GInputStream parent_instance;
	GPollableInputStream *base;
	GByteArray *buf;  /* read from @base, not yet handed out; NULL when empty */
	gboolean drained; /* the last read from @base would have blocked */
	gboolean eof;
	GError *error; /* what @base said last, handed out once @buf is empty */
};

static void rc_tls_input_stream_pollable_init(GPollableInputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE(RcTlsInputStream,
			rc_tls_input_stream,
			G_TYPE_INPUT_STREAM,
			G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_INPUT_STREAM,
					      rc_tls_input_stream_pollable_init))

GInputStream *
rc_tls_input_stream_new(GInputStream *base, GBytes *prefix)
{
	RcTlsInputStream *self = g_object_new(RC_TYPE_TLS_INPUT_STREAM, NULL);
	g_return_val_if_fail(G_IS_POLLABLE_INPUT_STREAM(base), NULL);
	self->base = G_POLLABLE_INPUT_STREAM(g_object_ref(base));
	if (prefix != NULL && g_bytes_get_size(prefix) > 0) {
		gsize size = 0;
		const guint8 *data = g_bytes_get_data(prefix, &size);
		self->buf = g_byte_array_sized_new((guint)size);
		g_byte_array_append(self->buf, data, (guint)size);
	}
	return G_INPUT_STREAM(self);
}

static gboolean
rc_tls_input_stream_has_data(RcTlsInputStream *self)
{
	return self->buf != NULL && self->buf->len > 0;
}

/* reads from @base until it would block, ends, fails, or enough is there */
static void
rc_tls_input_stream_fill(RcTlsInputStream *self)
{
	self->drained = FALSE;
	while (!self->eof && self->error == NULL &&
	       (self->buf == NULL || self->buf->len < RC_TLS_INPUT_FILL_MAX)) {
		guint8 chunk[16384];
		GError *error = NULL;
		gssize n = g_pollable_input_stream_read_nonblocking(
		    self->base, chunk, sizeof(chunk), NULL, &error);
		if (n > 0) {
			if (self->buf == NULL)
				self->buf = g_byte_array_sized_new((guint)n);
			g_byte_array_append(self->buf, chunk, (guint)n);
			continue;
		}
		if (n == 0) {
			self->eof = TRUE;
		} else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
			g_error_free(error);
			self->drained = TRUE;
		} else {
			self->error = error;
		}
		break;
	}
}

static gssize
rc_tls_input_stream_take(RcTlsInputStream *self, void *buffer, gsize count)
{
	gsize n = MIN(count, self->buf->len);

	memcpy(buffer, self->buf->data, n);
	g_byte_array_remove_range(self->buf, 0, (guint)n);
	if (self->buf->len == 0) {
		/* idle connections keep no buffer */
		g_clear_pointer(&self->buf, g_byte_array_unref);
		/* nothing may stay in the TLS layer unseen: read on */
		if (!self->drained)
			rc_tls_input_stream_fill(self);
	}
	return (gssize)n;
}

static gssize
rc_tls_input_stream_read_nonblocking(GPollableInputStream *stream,
				     void *buffer,
				     gsize count,
				     GError **error)
{
	RcTlsInputStream *self = RC_TLS_INPUT_STREAM(stream);

	if (count == 0)
		return 0;
	if (!rc_tls_input_stream_has_data(self) && !self->eof && self->error == NULL)
		rc_tls_input_stream_fill(self);
	if (rc_tls_input_stream_has_data(self))
		return rc_tls_input_stream_take(self, buffer, count);
	if (self->error != NULL) {
		g_propagate_error(error, g_steal_pointer(&self->error));
		return -1;
	}
	if (self->eof)
		return 0;
	g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "would block");
	return -1;
}

static gssize
rc_tls_input_stream_read(
    GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable, GError **error)
{
	RcTlsInputStream *self = RC_TLS_INPUT_STREAM(stream);

	if (rc_tls_input_stream_has_data(self) || self->eof || self->error != NULL)
		return rc_tls_input_stream_read_nonblocking(
		    G_POLLABLE_INPUT_STREAM(stream), buffer, count, error);
	return g_input_stream_read(G_INPUT_STREAM(self->base), buffer, count, cancellable, error);
}

/* the owning RcTlsStream closes the connection */
static gboolean
rc_tls_input_stream_close(GInputStream *stream, GCancellable *cancellable, GError **error)
{
	return TRUE;
}

static gboolean
rc_tls_input_stream_can_poll(GPollableInputStream *stream)
{
	return TRUE;
}

static gboolean
rc_tls_input_stream_is_readable(GPollableInputStream *stream)
{
	RcTlsInputStream *self = RC_TLS_INPUT_STREAM(stream);
	return rc_tls_input_stream_has_data(self) || self->eof || self->error != NULL ||
	       g_pollable_input_stream_is_readable(self->base);
}

static GSource *
rc_tls_input_stream_create_source(GPollableInputStream *stream, GCancellable *cancellable)
{
	RcTlsInputStream *self = RC_TLS_INPUT_STREAM(stream);
	g_autoptr(GSource) child = NULL;
	GSource *source;

	if (rc_tls_input_stream_has_data(self) || self->eof || self->error != NULL) {
		/* something to hand out: ready at once */
		source = g_pollable_source_new_full(self, NULL, cancellable);
		g_source_set_ready_time(source, 0);
		return source;
	}
	child = g_pollable_input_stream_create_source(self->base, NULL);
	return g_pollable_source_new_full(self, child, cancellable);
}

static void
rc_tls_input_stream_pollable_init(GPollableInputStreamInterface *iface)
{
	iface->can_poll = rc_tls_input_stream_can_poll;
	iface->is_readable = rc_tls_input_stream_is_readable;
	iface->create_source = rc_tls_input_stream_create_source;
	iface->read_nonblocking = rc_tls_input_stream_read_nonblocking;
}

static void
rc_tls_input_stream_finalize(GObject *object)
{
	RcTlsInputStream *self = RC_TLS_INPUT_STREAM(object);
	g_clear_pointer(&self->buf, g_byte_array_unref);
	g_clear_error(&self->error);
	g_object_unref(self->base);
	G_OBJECT_CLASS(rc_tls_input_stream_parent_class)->finalize(object);
}

static void
rc_tls_input_stream_class_init(RcTlsInputStreamClass *klass)
{
	GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS(klass);
	G_OBJECT_CLASS(klass)->finalize = rc_tls_input_stream_finalize;
	stream_class->read_fn = rc_tls_input_stream_read;
	stream_class->close_fn = rc_tls_input_stream_close;
}

static void
rc_tls_input_stream_init(RcTlsInputStream *self)
{
}
