/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcDbusAdmin"

#include "config.h"

#include <glib/gi18n.h>

#include "rc-daemon.h"
#include "dbus/rc-dbus-admin.h"
#include "protocol/rc-protocol.h"
#include "dbus/rc-dbus-generated.h"

#define RC_DBUS_ADMIN_PATH "/org/roomcast"
/* counters are sampled, never pushed per message: at most one PropertiesChanged a second */
#define RC_DBUS_ADMIN_REFRESH_SECONDS 1

struct _RcDbusAdmin {
	GObject parent_instance;
	RcDaemon *daemon; /* not owned: the daemon owns us */
	RcDbusDaemon *skeleton;
	GDBusConnection *connection;
	GCancellable *cancellable;
	gchar *name;
	guint owner_id;
	guint refresh_id;
	gulong room_added_id;
	gulong room_removed_id;
	gulong closed_id;
};

G_DEFINE_TYPE(RcDbusAdmin, rc_dbus_admin, G_TYPE_OBJECT)

static const GDBusErrorEntry rc_dbus_admin_error_entries[] = {
    {RC_DBUS_ERROR_FAILED, "org.roomcast.Error.Failed"},
    {RC_DBUS_ERROR_NOT_FOUND, "org.roomcast.Error.NotFound"},
    {RC_DBUS_ERROR_INVALID_ARGS, "org.roomcast.Error.InvalidArgs"},
    {RC_DBUS_ERROR_UNAVAILABLE, "org.roomcast.Error.Unavailable"},
};

GQuark
rc_dbus_error_quark(void)
{
	static gsize quark = 0;
	g_dbus_error_register_error_domain("rc-dbus-error-quark",
					   &quark,
					   rc_dbus_admin_error_entries,
					   G_N_ELEMENTS(rc_dbus_admin_error_entries));
	return (GQuark)quark;
}

static RcDbusError
rc_dbus_admin_error_code(const GError *error)
{
	if (error->domain == RC_ERROR) {
		switch ((RcError)error->code) {
		case RC_ERROR_NOT_FOUND:
		case RC_ERROR_NOT_JOINED:
			return RC_DBUS_ERROR_NOT_FOUND;
		case RC_ERROR_INVALID_ARGS:
		case RC_ERROR_TOO_LARGE:
			return RC_DBUS_ERROR_INVALID_ARGS;
		case RC_ERROR_UNAVAILABLE:
			return RC_DBUS_ERROR_UNAVAILABLE;
		default:
			return RC_DBUS_ERROR_FAILED;
		}
	}
	if (error->domain == RC_PROTOCOL_ERROR)
		return RC_DBUS_ERROR_INVALID_ARGS;
	/* e.g. a config file that does not parse on ReloadConfig */
	return RC_DBUS_ERROR_FAILED;
}

/* takes @error; every error leaves as one of the four documented D-Bus errors */
static void
rc_dbus_admin_return_error(GDBusMethodInvocation *invocation, GError *error)
{
	g_autoptr(GError) owned = error;
	g_dbus_method_invocation_return_error_literal(
	    invocation, RC_DBUS_ERROR, rc_dbus_admin_error_code(owned), owned->message);
}

static gboolean
rc_dbus_admin_check_room_names(GDBusMethodInvocation *invocation,
			       const gchar *ns,
			       const gchar *room_code)
{
	g_autoptr(GError) error = NULL;
	if (!rc_protocol_validate_namespace(ns, &error) ||
	    !rc_protocol_validate_room_code(room_code, &error)) {
		rc_dbus_admin_return_error(invocation, g_steal_pointer(&error));
		return FALSE;
	}
	return TRUE;
}

static RcRoom *
rc_dbus_admin_lookup_room(RcDbusAdmin *self,
			  GDBusMethodInvocation *invocation,
			  const gchar *ns,
			  const gchar *room_code)
{
	RcRoom *room;
	if (!rc_dbus_admin_check_room_names(invocation, ns, room_code))
		return NULL;
	room = rc_daemon_lookup_room(self->daemon, ns, room_code);
	if (room == NULL) {
		g_dbus_method_invocation_return_error(
		    invocation,
		    RC_DBUS_ERROR,
		    RC_DBUS_ERROR_NOT_FOUND,
		    _("no room “%s” in namespace “%s” on this node"),
		    room_code,
		    ns);
	}
	return room;
}

static gboolean
rc_dbus_admin_handle_list_rooms(RcDbusDaemon *skeleton,
				GDBusMethodInvocation *invocation,
				RcDbusAdmin *self)
{
	g_autoptr(GPtrArray) rooms = rc_daemon_list_rooms(self->daemon);
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
	RcRoom *room = rc_dbus_admin_lookup_room(self, invocation, ns, room_code);
	GVariantBuilder builder;

	if (room == NULL)
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&builder, "{sv}", "namespace", g_variant_new_string(ns));
	g_variant_builder_add(&builder, "{sv}", "roomCode", g_variant_new_string(room_code));
	g_variant_builder_add(
	    &builder, "{sv}", "members", g_variant_new_uint32(rc_room_get_n_members(room)));
	g_variant_builder_add(
	    &builder, "{sv}", "messages", g_variant_new_uint64(rc_room_get_n_messages(room)));
	g_variant_builder_add(
	    &builder, "{sv}", "node", g_variant_new_string(rc_daemon_get_node_id(self->daemon)));
	rc_dbus_daemon_complete_get_room_stats(
	    skeleton, invocation, g_variant_builder_end(&builder));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
rc_dbus_admin_handle_list_clients(RcDbusDaemon *skeleton,
				  GDBusMethodInvocation *invocation,
				  const gchar *ns,
				  const gchar *room_code,
				  RcDbusAdmin *self)
{
	RcRoom *room = rc_dbus_admin_lookup_room(self, invocation, ns, room_code);
	g_autoptr(GPtrArray) members = NULL;
	GVariantBuilder builder;

	if (room == NULL)
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	members = rc_room_get_members(room);
	g_variant_builder_init(&builder, G_VARIANT_TYPE("a(sss)"));
	for (guint i = 0; i < members->len; i++) {
		RcClient *client = g_ptr_array_index(members, i);
		g_variant_builder_add(&builder,
				      "(sss)",
				      rc_client_get_id(client),
				      rc_client_get_sender(client),
				      rc_client_get_peer(client));
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

	if (!rc_daemon_kick_client(self->daemon, client_id, reason, &error)) {
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

	if (!rc_dbus_admin_check_room_names(invocation, ns, room_code))
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	if (!rc_daemon_close_room(self->daemon, ns, room_code, reason, &removed, &error)) {
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
	g_autofree gchar *id = rc_daemon_publish_finish(RC_DAEMON(source), res, &error);

	if (id == NULL) {
		rc_dbus_admin_return_error(invocation, g_steal_pointer(&error));
		return;
	}
	g_dbus_method_invocation_return_value(invocation, g_variant_new("(s)", id));
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
	rc_daemon_publish_async(self->daemon,
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

	if (!rc_daemon_reload_config(self->daemon, &error)) {
		g_warning("reloading the configuration over D-Bus failed: %s", error->message);
		rc_dbus_admin_return_error(invocation, g_steal_pointer(&error));
		return G_DBUS_METHOD_INVOCATION_HANDLED;
	}
	rc_dbus_daemon_complete_reload_config(skeleton, invocation);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static void
rc_dbus_admin_room_added_cb(RcDaemon *daemon,
			    const gchar *ns,
			    const gchar *room_code,
			    RcDbusAdmin *self)
{
	rc_dbus_daemon_emit_room_added(self->skeleton, ns, room_code);
}

static void
rc_dbus_admin_room_removed_cb(RcDaemon *daemon,
			      const gchar *ns,
			      const gchar *room_code,
			      RcDbusAdmin *self)
{
	rc_dbus_daemon_emit_room_removed(self->skeleton, ns, room_code);
}

/* The skeleton queues PropertiesChanged only for values that differ, so setting
 * the same counter again costs nothing on the bus; comparing here also spares
 * the GObject notify. */
static void
rc_dbus_admin_refresh(RcDbusAdmin *self)
{
	RcDbusDaemon *s = self->skeleton;
	guint connections = rc_daemon_get_connections(self->daemon);
	guint rooms = rc_daemon_get_n_rooms(self->daemon);
	gboolean redis =
	    rc_daemon_get_redis_connected(self->daemon) && !rc_daemon_is_embedded(self->daemon);
	guint64 received = rc_daemon_get_messages_received(self->daemon);
	guint64 delivered = rc_daemon_get_messages_delivered(self->daemon);
	g_auto(GStrv) plugins = rc_daemon_get_plugin_names(self->daemon);
	const gchar *const *old_plugins = rc_dbus_daemon_get_plugins(s);

	if (rc_dbus_daemon_get_connections(s) != connections)
		rc_dbus_daemon_set_connections(s, connections);
	if (rc_dbus_daemon_get_rooms(s) != rooms)
		rc_dbus_daemon_set_rooms(s, rooms);
	if (rc_dbus_daemon_get_redis_connected(s) != redis)
		rc_dbus_daemon_set_redis_connected(s, redis);
	if (rc_dbus_daemon_get_messages_received(s) != received)
		rc_dbus_daemon_set_messages_received(s, received);
	if (rc_dbus_daemon_get_messages_delivered(s) != delivered)
		rc_dbus_daemon_set_messages_delivered(s, delivered);
	if (old_plugins == NULL || !g_strv_equal(old_plugins, (const gchar *const *)plugins))
		rc_dbus_daemon_set_plugins(s, (const gchar *const *)plugins);
}

static gboolean
rc_dbus_admin_refresh_cb(gpointer user_data)
{
	rc_dbus_admin_refresh(RC_DBUS_ADMIN(user_data));
	return G_SOURCE_CONTINUE;
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
			g_warning("cannot connect to D-Bus, the admin API is off: %s",
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

RcDbusAdmin *
rc_dbus_admin_new(RcDaemon *daemon)
{
	RcDbusAdmin *self = g_object_new(RC_TYPE_DBUS_ADMIN, NULL);
	self->daemon = daemon;
	return self;
}

gboolean
rc_dbus_admin_start(RcDbusAdmin *self, GBusType bus_type, const gchar *name, GError **error)
{
	g_return_val_if_fail(RC_IS_DBUS_ADMIN(self), FALSE);
	g_return_val_if_fail(self->refresh_id == 0, FALSE);

	if (!g_dbus_is_name(name) || g_dbus_is_unique_name(name)) {
		g_set_error(error, RC_ERROR, RC_ERROR_FAILED, _("invalid D-Bus name “%s”"), name);
		return FALSE;
	}
	g_free(self->name);
	self->name = g_strdup(name);

	rc_dbus_daemon_set_version(self->skeleton, PACKAGE_VERSION);
	rc_dbus_daemon_set_node_id(self->skeleton, rc_daemon_get_node_id(self->daemon));
	rc_dbus_admin_refresh(self);

	self->room_added_id = g_signal_connect(
	    self->daemon, "room-added", G_CALLBACK(rc_dbus_admin_room_added_cb), self);
	self->room_removed_id = g_signal_connect(
	    self->daemon, "room-removed", G_CALLBACK(rc_dbus_admin_room_removed_cb), self);
	self->refresh_id =
	    g_timeout_add_seconds(RC_DBUS_ADMIN_REFRESH_SECONDS, rc_dbus_admin_refresh_cb, self);
	g_bus_get(bus_type, self->cancellable, rc_dbus_admin_bus_get_cb, g_object_ref(self));
	return TRUE;
}

void
rc_dbus_admin_stop(RcDbusAdmin *self)
{
	g_return_if_fail(RC_IS_DBUS_ADMIN(self));

	g_cancellable_cancel(self->cancellable);
	g_clear_handle_id(&self->refresh_id, g_source_remove);
	g_clear_signal_handler(&self->room_added_id, self->daemon);
	g_clear_signal_handler(&self->room_removed_id, self->daemon);
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

	g_object_unref(self->skeleton);
	g_object_unref(self->cancellable);
	g_free(self->name);
	G_OBJECT_CLASS(rc_dbus_admin_parent_class)->finalize(object);
}

static void
rc_dbus_admin_class_init(RcDbusAdminClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = rc_dbus_admin_dispose;
	object_class->finalize = rc_dbus_admin_finalize;
	/* registers the org.roomcast.Error.* names before the first call can fail */
	rc_dbus_error_quark();
}

static void
rc_dbus_admin_init(RcDbusAdmin *self)
{
	self->cancellable = g_cancellable_new();
	self->skeleton = rc_dbus_daemon_skeleton_new();
	g_signal_connect(
	    self->skeleton, "handle-list-rooms", G_CALLBACK(rc_dbus_admin_handle_list_rooms), self);
	g_signal_connect(self->skeleton,
			 "handle-get-room-stats",
			 G_CALLBACK(rc_dbus_admin_handle_get_room_stats),
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
