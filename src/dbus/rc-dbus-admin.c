/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcDbusAdmin"

#include "config.h"

#include <glib/gi18n.h>

#include "dbus/rc-dbus-admin.h"
#include "dbus/rc-dbus-live-skeleton.h"

#define RC_DBUS_ADMIN_PATH "/org/roomcast"
/* PropertiesChanged at most this often; Get always answers the current value */
#define RC_DBUS_ADMIN_CHANGED_INTERVAL_US G_USEC_PER_SEC

/* the properties that change while the daemon runs, in the order of the XML */
static const gchar *const rc_dbus_admin_live_props[] = {
    "Connections",
    "Rooms",
    "RedisConnected",
    "RedisError",
    "MessagesReceived",
    "MessagesDelivered",
    "Plugins",
    "Draining",
};

struct _RcDbusAdmin {
	GObject parent_instance;
	RcEngine *engine;
	RcDbusLiveSkeleton *skeleton;
	GDBusConnection *connection;
	GCancellable *cancellable;
	gchar *name;
	guint owner_id;
	gulong room_added_id;
	gulong room_removed_id;
	gulong changed_id;
	gulong closed_id;
	guint emit_id;
	gint64 last_emit_us;
	GVariant *last_values[G_N_ELEMENTS(rc_dbus_admin_live_props)];
};

G_DEFINE_TYPE(RcDbusAdmin, rc_dbus_admin, G_TYPE_OBJECT)

/* every engine error leaves as one of the documented org.roomcast.Error names */
static void
rc_dbus_admin_return_error(GDBusMethodInvocation *invocation, GError *error)
{
	g_autoptr(GError) owned = error;
	g_dbus_method_invocation_return_dbus_error(invocation,
						   rc_error_get_dbus_name(owned),
						   owned->message);
}

static GVariant *
rc_dbus_admin_get_property(const gchar *name, gpointer user_data)
{
	RcDbusAdmin *self = RC_DBUS_ADMIN(user_data);
	RcEngineStats stats;

	if (g_strcmp0(name, "Version") == 0)
		return g_variant_new_string(PACKAGE_VERSION);
	if (g_strcmp0(name, "NodeId") == 0)
		return g_variant_new_string(rc_engine_get_node_id(self->engine));
	if (g_strcmp0(name, "Plugins") == 0) {
		g_auto(GStrv) plugins = rc_engine_get_plugin_names(self->engine);
		return g_variant_new_strv((const gchar *const *)plugins, -1);
	}
	rc_engine_get_stats(self->engine, &stats);
	if (g_strcmp0(name, "Connections") == 0)
		return g_variant_new_uint32(stats.connections);
	if (g_strcmp0(name, "Rooms") == 0)
		return g_variant_new_uint32(stats.rooms);
	if (g_strcmp0(name, "RedisConnected") == 0)
		return g_variant_new_boolean(stats.bus_state == RC_BUS_STATE_CONNECTED ||
					     stats.bus_state == RC_BUS_STATE_DEGRADED);
	if (g_strcmp0(name, "Draining") == 0)
		return g_variant_new_boolean(rc_engine_is_draining(self->engine));
	if (g_strcmp0(name, "RedisError") == 0) {
		const gchar *error = rc_engine_get_bus_error(self->engine);
		return g_variant_new_string(error != NULL ? error : "");
	}
	if (g_strcmp0(name, "MessagesReceived") == 0)
		return g_variant_new_uint64(stats.received);
	if (g_strcmp0(name, "MessagesDelivered") == 0)
		return g_variant_new_uint64(stats.delivered);
	return NULL;
}

/* one PropertiesChanged with only the values that differ from the last one sent */
static void
rc_dbus_admin_emit_changed(RcDbusAdmin *self)
{
	GVariantBuilder builder;
	gboolean any = FALSE;

	g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
	for (guint i = 0; i < G_N_ELEMENTS(rc_dbus_admin_live_props); i++) {
		g_autoptr(GVariant) value = g_variant_ref_sink(
		    rc_dbus_admin_get_property(rc_dbus_admin_live_props[i], self));
		if (self->last_values[i] != NULL && g_variant_equal(self->last_values[i], value))
			continue;
		g_clear_pointer(&self->last_values[i], g_variant_unref);
		self->last_values[i] = g_variant_ref(value);
		g_variant_builder_add(&builder, "{sv}", rc_dbus_admin_live_props[i], value);
		any = TRUE;
	}
	if (!any) {
		g_variant_builder_clear(&builder);
		return;
	}
	self->last_emit_us = g_get_monotonic_time();
	rc_dbus_live_skeleton_emit_changed(self->skeleton, g_variant_builder_end(&builder));
}

static gboolean
rc_dbus_admin_emit_cb(gpointer user_data)
{
	RcDbusAdmin *self = RC_DBUS_ADMIN(user_data);
	self->emit_id = 0;
	rc_dbus_admin_emit_changed(self);
	return G_SOURCE_REMOVE;
}

/* the engine says something changed: tell the bus, but not more than once a second */
static void
rc_dbus_admin_changed_cb(RcEngine *engine, RcDbusAdmin *self)
{
	gint64 due = self->last_emit_us + RC_DBUS_ADMIN_CHANGED_INTERVAL_US;
	gint64 now = g_get_monotonic_time();

	if (self->emit_id != 0)
		return;
	self->emit_id = g_timeout_add(now >= due ? 0 : (guint)((due - now) / 1000) + 1,
				      rc_dbus_admin_emit_cb,
				      self);
}

static gboolean
rc_dbus_admin_handle_list_rooms(RcDbusDaemon *skeleton,
				GDBusMethodInvocation *invocation,
				RcDbusAdmin *self)
{
	g_autoptr(GPtrArray) rooms = rc_engine_list_rooms(self->engine);
	GVariantBuilder builder;

	g_variant_builder_init(&builder, G_VARIANT_TYPE("a(ssu)"));
	for (guint i = 0; i < rooms->len; i++) {
		RcRoom *room = g_ptr_array_index(rooms, i);
		g_variant_builder_add(&builder,
				      "(ssu)",
				      rc_room_get_namespace(room),
				      rc_room_get_code(room),
				      rc_room_get_n_members(room));
	}
	rc_dbus_daemon_complete_list_rooms(skeleton, invocation, g_variant_builder_end(&builder));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
rc_dbus_admin_handle_get_room_stats(RcDbusDaemon *skeleton,
				    GDBusMethodInvocation *invocation,
				    const gchar *ns,
				    const gchar *room_code,
				    RcDbusAdmin *self)
{
	g_autoptr(GError) error = NULL;
	RcRoom *room = rc_engine_get_room(self->engine, ns, room_code, &error);
	GVariantBuilder builder;

	if (room == NULL) {
		rc_dbus_admin_return_error(invocation, g_steal_pointer(&error));
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&builder, "{sv}", "namespace", g_variant_new_string(ns));
	g_variant_builder_add(&builder, "{sv}", "roomCode", g_variant_new_string(room_code));
	g_variant_builder_add(
	    &builder, "{sv}", "members", g_variant_new_uint32(rc_room_get_n_members(room)));
	g_variant_builder_add(
	    &builder, "{sv}", "messages", g_variant_new_uint64(rc_room_get_n_messages(room)));
	g_variant_builder_add(
	    &builder, "{sv}", "node", g_variant_new_string(rc_engine_get_node_id(self->engine)));
	/* what this node has delivered of the room */
	g_variant_builder_add(&builder,
			      "{sv}",
			      "epoch",
			      g_variant_new_string(rc_room_get_epoch(room) != NULL ? rc_room_get_epoch(room)
										 : ""));
	g_variant_builder_add(&builder,
			      "{sv}",
			      "offset",
			      g_variant_new_uint64(rc_room_get_last_offset(room)));
	rc_dbus_daemon_complete_get_room_stats(
	    skeleton, invocation, g_variant_builder_end(&builder));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
rc_dbus_admin_history_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GDBusMethodInvocation) invocation = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(RcHistory) history = rc_engine_history_finish(RC_ENGINE(source), res, &error);
	GVariantBuilder builder;

	if (history == NULL) {
		rc_dbus_admin_return_error(invocation, g_steal_pointer(&error));
		return;
	}
	g_variant_builder_init(&builder, G_VARIANT_TYPE("a(tsxss)"));
	for (guint i = 0; i < history->messages->len; i++) {
		RcMessage *msg = g_ptr_array_index(history->messages, i);
		g_variant_builder_add(&builder,
				      "(tsxss)",
				      rc_message_get_offset(msg),
				      rc_message_get_id(msg),
				      rc_message_get_ts(msg),
				      rc_message_get_sender(msg),
				      rc_message_get_text(msg));
	}
	g_dbus_method_invocation_return_value(
	    invocation,
	    g_variant_new("(st@a(tsxss))", history->epoch, history->top, g_variant_builder_end(&builder)));
}

static gboolean
rc_dbus_admin_handle_get_history(RcDbusDaemon *skeleton,
				 GDBusMethodInvocation *invocation,
				 const gchar *ns,
				 const gchar *room_code,
				 guint limit,
				 RcDbusAdmin *self)
{
	rc_engine_history_async(self->engine,
				NULL,
				ns,
				room_code,
				limit,
				0,
				rc_dbus_admin_history_cb,
				g_object_ref(invocation));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
rc_dbus_admin_members_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GDBusMethodInvocation) invocation = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) members = rc_engine_who_finish(RC_ENGINE(source), res, &error);
	GVariantBuilder builder;

	if (members == NULL) {
		rc_dbus_admin_return_error(invocation, g_steal_pointer(&error));
		return;
	}
	g_variant_builder_init(&builder, G_VARIANT_TYPE("a(sss)"));
	for (guint i = 0; i < members->len; i++) {
		RcPresence *entry = g_ptr_array_index(members, i);
		g_variant_builder_add(&builder,
				      "(sss)",
				      rc_presence_get_client(entry),
				      rc_presence_get_sender(entry),
				      rc_presence_get_node(entry));
	}
	g_dbus_method_invocation_return_value(invocation,
					      g_variant_new("(@a(sss))", g_variant_builder_end(&builder)));
}

static gboolean
rc_dbus_admin_handle_list_members(RcDbusDaemon *skeleton,
				  GDBusMethodInvocation *invocation,
				  const gchar *ns,
				  const gchar *room_code,
				  RcDbusAdmin *self)
{
	rc_engine_who_async(self->engine,
			    NULL,
			    ns,
			    room_code,
			    rc_dbus_admin_members_cb,
			    g_object_ref(invocation));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
rc_dbus_admin_handle_drain(RcDbusDaemon *skeleton,
			   GDBusMethodInvocation *invocation,
			   guint seconds,
			   RcDbusAdmin *self)
{
	rc_engine_drain_async(self->engine, seconds, NULL, NULL);
	rc_dbus_daemon_complete_drain(skeleton, invocation);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
rc_dbus_admin_handle_list_clients(RcDbusDaemon *skeleton,
				  GDBusMethodInvocation *invocation,
				  const gchar *ns,
				  const gchar *room_code,
				  RcDbusAdmin *self)
{
	g_autoptr(GError) error = NULL;
	RcRoom *room = rc_engine_get_room(self->engine, ns, room_code, &error);
	g_autoptr(GPtrArray) members = NULL;
	GVariantBuilder builder;

	if (room == NULL) {
		rc_dbus_admin_return_error(invocation, g_steal_pointer(&error));
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	members = rc_room_get_members(room);
	g_variant_builder_init(&builder, G_VARIANT_TYPE("a(sss)"));
	for (guint i = 0; i < members->len; i++) {
		RcMember *member = g_ptr_array_index(members, i);
		g_variant_builder_add(&builder,
				      "(sss)",
				      rc_member_get_id(member),
				      rc_member_get_sender(member),
				      rc_member_get_peer(member));
	}
	rc_dbus_daemon_complete_list_clients(skeleton, invocation, g_variant_builder_end(&builder));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
rc_dbus_admin_handle_kick_client(RcDbusDaemon *skeleton,
				 GDBusMethodInvocation *invocation,
				 const gchar *client_id,
				 const gchar *reason,
				 RcDbusAdmin *self)
{
	g_autoptr(GError) error = NULL;

	if (!rc_engine_kick(self->engine, client_id, reason, &error)) {
		rc_dbus_admin_return_error(invocation, g_steal_pointer(&error));
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	rc_dbus_daemon_complete_kick_client(skeleton, invocation);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
rc_dbus_admin_handle_close_room(RcDbusDaemon *skeleton,
				GDBusMethodInvocation *invocation,
				const gchar *ns,
				const gchar *room_code,
				const gchar *reason,
				RcDbusAdmin *self)
{
	g_autoptr(GError) error = NULL;
	guint removed = 0;

	if (!rc_engine_close_room(self->engine, ns, room_code, reason, &removed, &error)) {
		rc_dbus_admin_return_error(invocation, g_steal_pointer(&error));
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	rc_dbus_daemon_complete_close_room(skeleton, invocation, removed);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
rc_dbus_admin_publish_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GDBusMethodInvocation) invocation = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(RcMessage) msg = rc_engine_publish_finish(RC_ENGINE(source), res, &error);

	if (msg == NULL) {
		rc_dbus_admin_return_error(invocation, g_steal_pointer(&error));
		return;
	}
	g_dbus_method_invocation_return_value(invocation,
					      g_variant_new("(s)", rc_message_get_id(msg)));
}

static gboolean
rc_dbus_admin_handle_publish(RcDbusDaemon *skeleton,
			     GDBusMethodInvocation *invocation,
			     const gchar *ns,
			     const gchar *room_code,
			     const gchar *sender,
			     const gchar *text,
			     RcDbusAdmin *self)
{
	rc_engine_publish_async(self->engine,
				ns,
				room_code,
				sender,
				text,
				RC_SOURCE_DBUS,
				NULL,
				self->cancellable,
				rc_dbus_admin_publish_cb,
				g_object_ref(invocation));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
rc_dbus_admin_handle_reload_config(RcDbusDaemon *skeleton,
				   GDBusMethodInvocation *invocation,
				   RcDbusAdmin *self)
{
	g_autoptr(GError) error = NULL;

	if (!rc_engine_reload_config(self->engine, &error)) {
		g_warning("reloading the configuration over D-Bus failed: %s", error->message);
		rc_dbus_admin_return_error(invocation, g_steal_pointer(&error));
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	rc_dbus_daemon_complete_reload_config(skeleton, invocation);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
rc_dbus_admin_room_added_cb(RcEngine *engine,
			    const gchar *ns,
			    const gchar *room_code,
			    RcDbusAdmin *self)
{
	rc_dbus_daemon_emit_room_added(RC_DBUS_DAEMON(self->skeleton), ns, room_code);
}

static void
rc_dbus_admin_room_removed_cb(RcEngine *engine,
			      const gchar *ns,
			      const gchar *room_code,
			      RcDbusAdmin *self)
{
	rc_dbus_daemon_emit_room_removed(RC_DBUS_DAEMON(self->skeleton), ns, room_code);
}

static void
rc_dbus_admin_unexport(RcDbusAdmin *self)
{
	GDBusInterfaceSkeleton *skeleton = G_DBUS_INTERFACE_SKELETON(self->skeleton);
	if (g_dbus_interface_skeleton_has_connection(skeleton, self->connection))
		g_dbus_interface_skeleton_unexport_from_connection(skeleton, self->connection);
}

static void
rc_dbus_admin_connection_closed_cb(GDBusConnection *connection,
				   gboolean remote_peer_vanished,
				   GError *error,
				   RcDbusAdmin *self)
{
	g_warning("lost the D-Bus connection (%s); the admin API is gone, WebSockets keep running",
		  error != NULL ? error->message : "closed");
	rc_dbus_admin_unexport(self);
}

static void
rc_dbus_admin_name_acquired_cb(GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	g_message("owning %s on D-Bus", name);
}

static void
rc_dbus_admin_name_lost_cb(GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	if (connection == NULL || g_dbus_connection_is_closed(connection))
		return; /* already reported by the closed handler */
	g_warning("could not own or lost the D-Bus name %s; the admin API stays reachable only "
		  "by unique name, WebSockets keep running",
		  name);
}

static void
rc_dbus_admin_bus_get_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(RcDbusAdmin) self = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GDBusConnection) connection = g_bus_get_finish(res, &error);

	if (connection != NULL && g_cancellable_is_cancelled(self->cancellable))
		return; /* stopped while connecting */
	if (connection == NULL) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			g_warning("cannot connect to D-Bus, the admin API is off: %s "
				  "(start roomcastd with --bus none, or where a bus is running)",
				  error->message);
		return;
	}
	/* the bus going away must not take the chat server with it */
	g_dbus_connection_set_exit_on_close(connection, FALSE);
	if (!g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(self->skeleton),
					      connection,
					      RC_DBUS_ADMIN_PATH,
					      &error)) {
		g_warning("cannot export %s on D-Bus: %s", RC_DBUS_ADMIN_PATH, error->message);
		return;
	}
	self->connection = g_steal_pointer(&connection);
	self->closed_id = g_signal_connect(
	    self->connection, "closed", G_CALLBACK(rc_dbus_admin_connection_closed_cb), self);
	self->owner_id = g_bus_own_name_on_connection(self->connection,
						      self->name,
						      G_BUS_NAME_OWNER_FLAGS_NONE,
						      rc_dbus_admin_name_acquired_cb,
						      rc_dbus_admin_name_lost_cb,
						      NULL,
						      NULL);
}

/* whether GLib can find a session bus without autolaunching one, which needs X11:
 * on a headless machine that attempt only ends in an error about $DISPLAY */
static gboolean
rc_dbus_admin_has_session_bus(void)
{
	g_autofree gchar *socket = NULL;

	if (g_getenv("DBUS_SESSION_BUS_ADDRESS") != NULL || g_getenv("DISPLAY") != NULL)
		return TRUE;
	socket = g_build_filename(g_get_user_runtime_dir(), "bus", NULL);
	return g_file_test(socket, G_FILE_TEST_EXISTS);
}

gboolean
rc_dbus_admin_start(RcDbusAdmin *self, GBusType bus_type, const gchar *name, GError **error)
{
	g_return_val_if_fail(RC_IS_DBUS_ADMIN(self), FALSE);
	g_return_val_if_fail(self->changed_id == 0, FALSE);

	if (!g_dbus_is_name(name) || g_dbus_is_unique_name(name)) {
		g_set_error(error, RC_ERROR, RC_ERROR_FAILED, _("invalid D-Bus name “%s”"), name);
		return FALSE;
	}
	g_free(self->name);
	self->name = g_strdup(name);

	/* what the bus has been told so far: the values at export */
	for (guint i = 0; i < G_N_ELEMENTS(rc_dbus_admin_live_props); i++)
		self->last_values[i] =
		    g_variant_ref_sink(rc_dbus_admin_get_property(rc_dbus_admin_live_props[i], self));
	self->room_added_id = g_signal_connect(
	    self->engine, "room-added", G_CALLBACK(rc_dbus_admin_room_added_cb), self);
	self->room_removed_id = g_signal_connect(
	    self->engine, "room-removed", G_CALLBACK(rc_dbus_admin_room_removed_cb), self);
	self->changed_id =
	    g_signal_connect(self->engine, "changed", G_CALLBACK(rc_dbus_admin_changed_cb), self);
	if (bus_type == G_BUS_TYPE_SESSION && !rc_dbus_admin_has_session_bus()) {
		g_warning("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set), the admin "
			  "API is off: start roomcastd with --bus none, or inside a session bus "
			  "(dbus-run-session)");
		return TRUE;
	}
	g_bus_get(bus_type, self->cancellable, rc_dbus_admin_bus_get_cb, g_object_ref(self));
	return TRUE;
}

void
rc_dbus_admin_stop(RcDbusAdmin *self)
{
	g_return_if_fail(RC_IS_DBUS_ADMIN(self));

	g_cancellable_cancel(self->cancellable);
	g_clear_handle_id(&self->emit_id, g_source_remove);
	g_clear_signal_handler(&self->room_added_id, self->engine);
	g_clear_signal_handler(&self->room_removed_id, self->engine);
	g_clear_signal_handler(&self->changed_id, self->engine);
	g_clear_handle_id(&self->owner_id, g_bus_unown_name);
	if (self->connection != NULL) {
		g_clear_signal_handler(&self->closed_id, self->connection);
		rc_dbus_admin_unexport(self);
		/* push out the name release and any last replies without waiting for them */
		g_dbus_connection_flush(self->connection, NULL, NULL, NULL);
		g_clear_object(&self->connection);
	}
}

static void
rc_dbus_admin_dispose(GObject *object)
{
	RcDbusAdmin *self = RC_DBUS_ADMIN(object);

	rc_dbus_admin_stop(self);
	G_OBJECT_CLASS(rc_dbus_admin_parent_class)->dispose(object);
}

static void
rc_dbus_admin_finalize(GObject *object)
{
	RcDbusAdmin *self = RC_DBUS_ADMIN(object);

	for (guint i = 0; i < G_N_ELEMENTS(rc_dbus_admin_live_props); i++)
		g_clear_pointer(&self->last_values[i], g_variant_unref);
	g_object_unref(self->skeleton);
	g_object_unref(self->cancellable);
	g_object_unref(self->engine);
	g_free(self->name);
	G_OBJECT_CLASS(rc_dbus_admin_parent_class)->finalize(object);
}

static void
rc_dbus_admin_class_init(RcDbusAdminClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = rc_dbus_admin_dispose;
	object_class->finalize = rc_dbus_admin_finalize;
}

static void
rc_dbus_admin_init(RcDbusAdmin *self)
{
	self->cancellable = g_cancellable_new();
	self->skeleton = rc_dbus_live_skeleton_new(rc_dbus_admin_get_property, self);
	g_signal_connect(
	    self->skeleton, "handle-list-rooms", G_CALLBACK(rc_dbus_admin_handle_list_rooms), self);
	g_signal_connect(self->skeleton,
			 "handle-get-room-stats",
			 G_CALLBACK(rc_dbus_admin_handle_get_room_stats),
			 self);
	g_signal_connect(self->skeleton,
			 "handle-get-history",
			 G_CALLBACK(rc_dbus_admin_handle_get_history),
			 self);
	g_signal_connect(self->skeleton, "handle-drain", G_CALLBACK(rc_dbus_admin_handle_drain), self);
	g_signal_connect(self->skeleton,
			 "handle-list-members",
			 G_CALLBACK(rc_dbus_admin_handle_list_members),
			 self);
	g_signal_connect(self->skeleton,
			 "handle-list-clients",
			 G_CALLBACK(rc_dbus_admin_handle_list_clients),
			 self);
	g_signal_connect(self->skeleton,
			 "handle-kick-client",
			 G_CALLBACK(rc_dbus_admin_handle_kick_client),
			 self);
	g_signal_connect(
	    self->skeleton, "handle-close-room", G_CALLBACK(rc_dbus_admin_handle_close_room), self);
	g_signal_connect(
	    self->skeleton, "handle-publish", G_CALLBACK(rc_dbus_admin_handle_publish), self);
	g_signal_connect(self->skeleton,
			 "handle-reload-config",
			 G_CALLBACK(rc_dbus_admin_handle_reload_config),
			 self);
}

RcDbusAdmin *
rc_dbus_admin_new(RcEngine *engine)
{
	RcDbusAdmin *self = g_object_new(RC_TYPE_DBUS_ADMIN, NULL);
	self->engine = g_object_ref(engine);
	return self;
}
