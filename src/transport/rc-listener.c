/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcListener"

#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "transport/rc-listener.h"

/* connections taken per wakeup: a burst of connects does not hold the loop */
#define RC_LISTENER_BATCH 64
/* how long to wait after accept() failed before trying again */
#define RC_LISTENER_RETRY_MS 100

struct _RcListener {
	GObject parent_instance;
	GSocket *socket;
	GSource *source;
	guint retry_id;
	guint64 failures;
	gboolean warned;
};

enum { SIGNAL_ACCEPTED, SIGNAL_LAST };
static guint signals[SIGNAL_LAST] = {0};

G_DEFINE_TYPE(RcListener, rc_listener, G_TYPE_OBJECT)

static void rc_listener_arm(RcListener *self);

static gboolean
rc_listener_retry_cb(gpointer user_data)
{
	RcListener *self = RC_LISTENER(user_data);
	self->retry_id = 0;
	rc_listener_arm(self);
	return G_SOURCE_REMOVE;
}

static gboolean
rc_listener_accept_cb(GSocket *socket, GIOCondition condition, gpointer user_data)
{
	RcListener *self = RC_LISTENER(user_data);

	for (guint i = 0; i < RC_LISTENER_BATCH; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GSocket) client = g_socket_accept(socket, NULL, &error);
		g_autoptr(GSocketConnection) connection = NULL;

		if (client == NULL) {
			if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
				return G_SOURCE_CONTINUE;
			/* out of descriptors, or the like: the backlog keeps the socket readable,
			 * so pause instead of spinning, and never give up */
			self->failures++;
			if (!self->warned)
				g_warning("cannot accept connections (%s): trying again every %u ms",
					  error->message,
					  RC_LISTENER_RETRY_MS);
			self->warned = TRUE;
			g_clear_pointer(&self->source, g_source_unref);
			self->retry_id =
			    g_timeout_add(RC_LISTENER_RETRY_MS, rc_listener_retry_cb, self);
			return G_SOURCE_REMOVE;
		}
		if (self->warned) {
			g_message("accepting connections again");
			self->warned = FALSE;
		}
		g_socket_set_blocking(client, FALSE);
		/* replies are small and latency matters more than packet count */
		g_socket_set_option(client, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
		connection = g_socket_connection_factory_create_connection(client);
		g_signal_emit(self, signals[SIGNAL_ACCEPTED], 0, connection);
		if (self->source == NULL)
			return G_SOURCE_REMOVE; /* stopped from a handler */
	}
	return G_SOURCE_CONTINUE;
}

static void
rc_listener_arm(RcListener *self)
{
	self->source = g_socket_create_source(self->socket, G_IO_IN, NULL);
	g_source_set_callback(self->source,
			      G_SOURCE_FUNC(rc_listener_accept_cb),
			      self,
			      NULL);
	g_source_attach(self->source, NULL);
}

void
rc_listener_stop(RcListener *self)
{
	g_clear_handle_id(&self->retry_id, g_source_remove);
	if (self->source != NULL) {
		g_source_destroy(self->source);
		g_clear_pointer(&self->source, g_source_unref);
	}
	if (self->socket != NULL)
		g_socket_close(self->socket, NULL);
}

guint64
rc_listener_get_failures(RcListener *self)
{
	return self->failures;
}

static void
rc_listener_dispose(GObject *object)
{
	RcListener *self = RC_LISTENER(object);
	rc_listener_stop(self);
	g_clear_object(&self->socket);
	G_OBJECT_CLASS(rc_listener_parent_class)->dispose(object);
}

static void
rc_listener_class_init(RcListenerClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = rc_listener_dispose;
	signals[SIGNAL_ACCEPTED] = g_signal_new("accepted",
						G_TYPE_FROM_CLASS(klass),
						G_SIGNAL_RUN_LAST,
						0,
						NULL,
						NULL,
						NULL,
						G_TYPE_NONE,
						1,
						G_TYPE_SOCKET_CONNECTION);
}

static void
rc_listener_init(RcListener *self)
{
}

RcListener *
rc_listener_new(GSocket *socket)
{
	RcListener *self = g_object_new(RC_TYPE_LISTENER, NULL);
	self->socket = g_object_ref(socket);
	g_socket_set_blocking(socket, FALSE);
	rc_listener_arm(self);
	return self;
}
