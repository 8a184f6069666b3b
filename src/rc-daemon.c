/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcDaemon"

#include "config.h"

#include "dbus/rc-dbus-admin.h"
#include "engine/rc-engine.h"
#include "rc-daemon.h"
#include "socketio/rc-eio-server.h"
#include "transport/rc-server.h"

struct _RcDaemon {
	GObject parent_instance;
	RcConfig *config;
	RcEngine *engine;
	GTask *shutdown_task; /* a shutdown waiting for its drain */
	RcServer *server;
	RcEioServer *socketio;
	RcDbusAdmin *dbus;
};

G_DEFINE_TYPE(RcDaemon, rc_daemon, G_TYPE_OBJECT)

guint
rc_daemon_get_port(RcDaemon *self)
{
	return self->server != NULL ? rc_server_get_port(self->server) : 0;
}

gboolean
rc_daemon_is_tls(RcDaemon *self)
{
	return self->server != NULL && rc_server_is_tls(self->server);
}

gboolean
rc_daemon_reload_config(RcDaemon *self, GError **error)
{
	return rc_engine_reload_config(self->engine, error);
}

void
rc_daemon_check(RcDaemon *self, GPtrArray *problems)
{
	/* plugins load and read their settings, the bus parses its addresses:
	 * nothing binds, nothing connects */
	rc_engine_check(self->engine, problems);
}

gboolean
rc_daemon_start(RcDaemon *self, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *node_id = NULL;

	if (!rc_engine_load(self->engine, error))
		return FALSE;
	self->server = rc_server_new(self->engine);
	self->socketio = rc_eio_server_new(self->engine, self->server);
	if (!rc_server_listen(self->server,
			      rc_config_get_listen(self->config),
			      rc_config_get_port(self->config),
			      rc_config_get_reuse_port(self->config),
			      error))
		return FALSE;
	if (rc_config_get_node_id(self->config) != NULL)
		node_id = g_strdup(rc_config_get_node_id(self->config));
	else
		node_id = g_strdup_printf("%s-%u", g_get_host_name(), rc_daemon_get_port(self));
	if (!rc_engine_start(self->engine, node_id, error))
		return FALSE;
	if (rc_config_get_dbus_bus(self->config) != RC_DBUS_BUS_NONE) {
		GBusType bus_type = rc_config_get_dbus_bus(self->config) == RC_DBUS_BUS_SYSTEM
					? G_BUS_TYPE_SYSTEM
					: G_BUS_TYPE_SESSION;
		self->dbus = rc_dbus_admin_new(self->engine);
		if (!rc_dbus_admin_start(self->dbus,
					 bus_type,
					 rc_config_get_dbus_name(self->config),
					 &error_local)) {
			/* the chat service does not depend on the admin API */
			g_warning("D-Bus admin API not available: %s", error_local->message);
			g_clear_error(&error_local);
		}
	}
	return TRUE;
}

static void
rc_daemon_engine_shutdown_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	RcDaemon *self = g_task_get_source_object(task);

	rc_engine_shutdown_finish(RC_ENGINE(source), res, NULL);
	if (self->dbus != NULL)
		rc_dbus_admin_stop(self->dbus);
	g_task_return_boolean(task, TRUE);
}

static void
rc_daemon_stop_now(RcDaemon *self, GTask *task)
{
	if (self->server != NULL)
		rc_server_stop(self->server);
	if (self->socketio != NULL)
		rc_eio_server_stop(self->socketio);
	rc_engine_shutdown_async(self->engine, rc_daemon_engine_shutdown_cb, task);
}

static void
rc_daemon_drained_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	RcDaemon *self = g_task_get_source_object(task);

	rc_engine_drain_finish(RC_ENGINE(source), res, NULL);
	/* not stopped already by a second signal */
	if (self->shutdown_task == task)
		rc_daemon_stop_now(self, g_steal_pointer(&self->shutdown_task));
}

void
rc_daemon_shutdown_async(RcDaemon *self, GAsyncReadyCallback callback, gpointer user_data)
{
	guint drain = rc_config_get_drain_seconds(self->config);
	GTask *task;

	if (rc_engine_is_shutting_down(self->engine))
		return;
	/* a second signal during the drain: stop at once */
	if (self->shutdown_task != NULL) {
		task = g_steal_pointer(&self->shutdown_task);
		g_message("stopping without waiting for the drain to end");
		rc_daemon_stop_now(self, task);
		return;
	}
	task = g_task_new(self, NULL, callback, user_data);
	if (drain == 0) {
		rc_daemon_stop_now(self, task);
		return;
	}
	self->shutdown_task = task;
	rc_engine_drain_async(self->engine, drain, rc_daemon_drained_cb, g_object_ref(task));
}

gboolean
rc_daemon_shutdown_finish(RcDaemon *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

static void
rc_daemon_dispose(GObject *object)
{
	RcDaemon *self = RC_DAEMON(object);
	/* the front ends first: they hold the engine */
	if (self->dbus != NULL)
		rc_dbus_admin_stop(self->dbus);
	g_clear_object(&self->dbus);
	g_clear_object(&self->socketio);
	g_clear_object(&self->server);
	g_clear_object(&self->engine);
	G_OBJECT_CLASS(rc_daemon_parent_class)->dispose(object);
}

static void
rc_daemon_finalize(GObject *object)
{
	RcDaemon *self = RC_DAEMON(object);
	g_object_unref(self->config);
	G_OBJECT_CLASS(rc_daemon_parent_class)->finalize(object);
}

static void
rc_daemon_class_init(RcDaemonClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = rc_daemon_dispose;
	object_class->finalize = rc_daemon_finalize;
}

static void
rc_daemon_init(RcDaemon *self)
{
}

RcDaemon *
rc_daemon_new(RcConfig *config)
{
	RcDaemon *self = g_object_new(RC_TYPE_DAEMON, NULL);
	self->config = g_object_ref(config);
	self->engine = rc_engine_new(config);
	return self;
}
