/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcRedisLink"

#include "config.h"

#include "bus/rc-redis-link.h"

#define RC_REDIS_BACKOFF_MIN_MS 100
/* A node away from Redis longer than its rooms' history holds cannot recover
 * what it missed: after Redis is back, a link waits at most this (less its
 * jitter) before trying again. */
#define RC_REDIS_BACKOFF_MAX_MS 1000
/* an idle link is asked this often whether Redis still answers */
#define RC_REDIS_PING_MS 1000

struct _RcRedisLink {
	GObject parent_instance;
	gchar *name;
	RcRedisEndpoint *endpoint;
	gchar *display;
	RcRedisConnection *conn; /* NULL while down */
	GCancellable *cancellable;
	gboolean running;
	gboolean open;
	gboolean ready;
	guint attempts;
	GError *error; /* why the last connection failed or went away */
	guint reconnect_id;
	gboolean pinged; /* in rc_redis_link_pinged */
};

G_DEFINE_TYPE(RcRedisLink, rc_redis_link, G_TYPE_OBJECT)

enum { SIGNAL_OPENED, SIGNAL_LOST, SIGNAL_LAST };
static guint signals[SIGNAL_LAST] = {0};

static void rc_redis_link_connect(RcRedisLink *self);

/* Every open link, pinged from one timer: a timer per link is one more source
 * the main loop walks on every wakeup, and a cluster node has two links per
 * master. Links are not references: each leaves before it goes away. */
static GPtrArray *rc_redis_link_pinged;
static guint rc_redis_link_ping_id;

/* A stalled Redis answers nothing and closes nothing: a PING that the command
 * timeout catches turns the stall into a lost connection. */
static gboolean
rc_redis_link_ping_cb(gpointer user_data)
{
	for (guint i = 0; i < rc_redis_link_pinged->len; i++) {
		RcRedisLink *self = g_ptr_array_index(rc_redis_link_pinged, i);
		if (self->conn != NULL && rc_redis_connection_get_n_pending(self->conn) == 0)
			rc_redis_connection_command(self->conn, NULL, NULL, "PING", NULL);
	}
	return G_SOURCE_CONTINUE;
}

static void
rc_redis_link_ping_start(RcRedisLink *self)
{
	if (self->pinged)
		return;
	if (rc_redis_link_pinged == NULL)
		rc_redis_link_pinged = g_ptr_array_new();
	g_ptr_array_add(rc_redis_link_pinged, self);
	self->pinged = TRUE;
	if (rc_redis_link_ping_id == 0)
		rc_redis_link_ping_id = g_timeout_add(RC_REDIS_PING_MS, rc_redis_link_ping_cb, NULL);
}

static void
rc_redis_link_ping_stop(RcRedisLink *self)
{
	if (!self->pinged)
		return;
	g_ptr_array_remove_fast(rc_redis_link_pinged, self);
	self->pinged = FALSE;
	if (rc_redis_link_pinged->len == 0)
		g_clear_handle_id(&rc_redis_link_ping_id, g_source_remove);
}

/* Every link waiting out its backoff: when one of them reaches a server, the
 * others of that server try it at once. A node's command and subscriber links
 * wait on timers of their own, and a node is only back once both are. */
static GPtrArray *rc_redis_link_waiting;

static void
rc_redis_link_stop_waiting(RcRedisLink *self)
{
	if (self->reconnect_id == 0)
		return;
	g_clear_handle_id(&self->reconnect_id, g_source_remove);
	g_ptr_array_remove_fast(rc_redis_link_waiting, self);
}

static gboolean
rc_redis_link_reconnect_cb(gpointer user_data)
{
	RcRedisLink *self = RC_REDIS_LINK(user_data);
	self->reconnect_id = 0;
	g_ptr_array_remove_fast(rc_redis_link_waiting, self);
	rc_redis_link_connect(self);
	return G_SOURCE_REMOVE;
}

static void
rc_redis_link_wake_siblings(RcRedisLink *self)
{
	g_autoptr(GPtrArray) wake = g_ptr_array_new();

	if (rc_redis_link_waiting == NULL)
		return;
	for (guint i = 0; i < rc_redis_link_waiting->len; i++) {
		RcRedisLink *other = g_ptr_array_index(rc_redis_link_waiting, i);
		if (rc_redis_endpoint_equal_address(other->endpoint, self->endpoint))
			g_ptr_array_add(wake, other);
	}
	for (guint i = 0; i < wake->len; i++) {
		RcRedisLink *other = g_ptr_array_index(wake, i);
		g_debug("%s: %s answers again, reconnecting now", other->name, other->display);
		rc_redis_link_stop_waiting(other);
		rc_redis_link_connect(other);
	}
}

static void
rc_redis_link_schedule_reconnect(RcRedisLink *self)
{
	guint delay = RC_REDIS_BACKOFF_MIN_MS << MIN(self->attempts, 6);

	if (!self->running || self->reconnect_id != 0)
		return;
	delay = MIN(delay, RC_REDIS_BACKOFF_MAX_MS);
	/* jitter spreads the reconnects of many nodes after a Redis restart */
	delay = delay / 2 + g_random_int_range(0, delay / 2 + 1);
	self->attempts++;
	g_debug("%s: reconnecting in %u ms", self->name, delay);
	self->reconnect_id = g_timeout_add(delay, rc_redis_link_reconnect_cb, self);
	if (rc_redis_link_waiting == NULL)
		rc_redis_link_waiting = g_ptr_array_new();
	g_ptr_array_add(rc_redis_link_waiting, self);
}

static void
rc_redis_link_drop(RcRedisLink *self)
{
	rc_redis_link_ping_stop(self);
	if (self->cancellable != NULL) {
		g_cancellable_cancel(self->cancellable);
		g_clear_object(&self->cancellable);
	}
	if (self->conn != NULL) {
		g_autoptr(RcRedisConnection) conn = g_steal_pointer(&self->conn);
		g_signal_handlers_disconnect_by_data(conn, self);
		rc_redis_connection_set_push_handler(conn, NULL, NULL, NULL);
		rc_redis_connection_close(conn);
	}
	self->open = FALSE;
	self->ready = FALSE;
}

static void
rc_redis_link_closed_cb(RcRedisConnection *conn, GError *reason, gpointer user_data)
{
	RcRedisLink *self = RC_REDIS_LINK(user_data);
	g_autoptr(RcRedisLink) keep G_GNUC_UNUSED = g_object_ref(self);

	g_debug("%s: %s", self->name, reason != NULL ? reason->message : "closed");
	g_clear_error(&self->error);
	if (reason != NULL)
		self->error = g_error_copy(reason);
	rc_redis_link_drop(self);
	rc_redis_link_schedule_reconnect(self);
	g_signal_emit(self, signals[SIGNAL_LOST], 0);
}

static void
rc_redis_link_connected_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcRedisLink *self = RC_REDIS_LINK(user_data);
	g_autoptr(GError) error = NULL;
	gboolean ok = rc_redis_connection_connect_finish(RC_REDIS_CONNECTION(source), res, &error);

	/* An attempt the link dropped (a reset, a new endpoint) ends with the
	 * connection's "closed" as often as with a cancellation, and maybe after
	 * the next attempt began: what it holds is not this attempt's any more. */
	if ((gpointer)source != (gpointer)self->conn) {
		g_object_unref(self);
		return;
	}
	if (!ok) {
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			g_object_unref(self);
			return;
		}
		/* the owner reports it (once for all its links), from rc_redis_link_get_error() */
		g_debug("%s: connecting failed: %s", self->name, error->message);
		g_clear_error(&self->error);
		self->error = g_steal_pointer(&error);
		g_clear_object(&self->conn);
		g_clear_object(&self->cancellable);
		rc_redis_link_schedule_reconnect(self);
		g_signal_emit(self, signals[SIGNAL_LOST], 0);
		g_object_unref(self);
		return;
	}
	g_clear_object(&self->cancellable);
	g_debug("%s connected to %s", self->name, self->display);
	self->attempts = 0;
	g_clear_error(&self->error);
	g_signal_connect(self->conn, "closed", G_CALLBACK(rc_redis_link_closed_cb), self);
	rc_redis_link_ping_start(self);
	self->open = TRUE;
	rc_redis_link_wake_siblings(self);
	g_signal_emit(self, signals[SIGNAL_OPENED], 0);
	g_object_unref(self);
}

static void
rc_redis_link_connect(RcRedisLink *self)
{
	if (!self->running || self->conn != NULL)
		return;
	self->conn = rc_redis_connection_new(self->endpoint);
	self->cancellable = g_cancellable_new();
	rc_redis_connection_connect_async(self->conn,
					  self->cancellable,
					  rc_redis_link_connected_cb,
					  g_object_ref(self));
}

void
rc_redis_link_start(RcRedisLink *self)
{
	g_return_if_fail(RC_IS_REDIS_LINK(self));
	self->running = TRUE;
	rc_redis_link_connect(self);
}

void
rc_redis_link_stop(RcRedisLink *self)
{
	g_return_if_fail(RC_IS_REDIS_LINK(self));
	self->running = FALSE;
	rc_redis_link_stop_waiting(self);
	rc_redis_link_drop(self);
}

void
rc_redis_link_reset(RcRedisLink *self)
{
	g_return_if_fail(RC_IS_REDIS_LINK(self));
	if (self->conn == NULL)
		return;
	rc_redis_link_drop(self);
	rc_redis_link_stop_waiting(self);
	rc_redis_link_connect(self);
	g_signal_emit(self, signals[SIGNAL_LOST], 0);
}

const gchar *
rc_redis_link_get_name(RcRedisLink *self)
{
	return self->name;
}

const RcRedisEndpoint *
rc_redis_link_get_endpoint(RcRedisLink *self)
{
	return self->endpoint;
}

void
rc_redis_link_set_endpoint(RcRedisLink *self, const RcRedisEndpoint *endpoint)
{
	g_return_if_fail(RC_IS_REDIS_LINK(self));
	rc_redis_endpoint_free(self->endpoint);
	g_free(self->display);
	self->endpoint = rc_redis_endpoint_copy(endpoint);
	self->display = rc_redis_endpoint_to_display_string(endpoint);
	/* a link waiting to reconnect tries the new place at once */
	if (self->running && !self->open) {
		rc_redis_link_drop(self);
		rc_redis_link_stop_waiting(self);
		self->attempts = 0;
		rc_redis_link_connect(self);
	}
}

RcRedisConnection *
rc_redis_link_get_connection(RcRedisLink *self)
{
	return self->open ? self->conn : NULL;
}

gboolean
rc_redis_link_is_open(RcRedisLink *self)
{
	return self->open;
}

gboolean
rc_redis_link_is_ready(RcRedisLink *self)
{
	return self->ready;
}

void
rc_redis_link_set_ready(RcRedisLink *self, gboolean ready)
{
	self->ready = self->open && ready;
}

const GError *
rc_redis_link_get_error(RcRedisLink *self)
{
	return self->open ? NULL : self->error;
}

guint
rc_redis_link_get_attempts(RcRedisLink *self)
{
	return self->attempts;
}

static void
rc_redis_link_dispose(GObject *object)
{
	rc_redis_link_stop(RC_REDIS_LINK(object));
	G_OBJECT_CLASS(rc_redis_link_parent_class)->dispose(object);
}

static void
rc_redis_link_finalize(GObject *object)
{
	RcRedisLink *self = RC_REDIS_LINK(object);
	rc_redis_endpoint_free(self->endpoint);
	g_free(self->display);
	g_free(self->name);
	g_clear_error(&self->error);
	G_OBJECT_CLASS(rc_redis_link_parent_class)->finalize(object);
}

static void
rc_redis_link_class_init(RcRedisLinkClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = rc_redis_link_dispose;
	object_class->finalize = rc_redis_link_finalize;
	signals[SIGNAL_OPENED] = g_signal_new("opened",
					      G_TYPE_FROM_CLASS(klass),
					      G_SIGNAL_RUN_LAST,
					      0,
					      NULL,
					      NULL,
					      NULL,
					      G_TYPE_NONE,
					      0);
	signals[SIGNAL_LOST] = g_signal_new("lost",
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
rc_redis_link_init(RcRedisLink *self)
{
}

RcRedisLink *
rc_redis_link_new(const gchar *name, const RcRedisEndpoint *endpoint)
{
	RcRedisLink *self = g_object_new(RC_TYPE_REDIS_LINK, NULL);
	self->name = g_strdup(name);
	rc_redis_link_set_endpoint(self, endpoint);
	return self;
}
