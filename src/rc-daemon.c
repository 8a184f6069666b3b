/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcDaemon"

#include "config.h"

#include <glib/gi18n.h>

#include "bus/rc-embedded-bus.h"
#include "bus/rc-redis-bus.h"
#include "dbus/rc-dbus-admin.h"
#include "protocol/rc-protocol.h"
#include "rc-daemon-private.h"
#include "rooms/rc-room-registry.h"
#include "transport/rc-client-private.h"
#include "transport/rc-server.h"

#define RC_SHUTDOWN_DRAIN_MS 3000

struct _RcDaemon {
	GObject parent_instance;
	RcConfig *config;
	gchar *node_id;
	gchar *id_prefix;
	guint64 id_counter;
	guint64 client_counter;
	RcRoomRegistry *registry;
	RcBus *bus;
	RcServer *server;
	RcPluginHost *plugins;
	RcDbusAdmin *dbus;
	GHashTable *clients; /* id → RcClient (owned) */
	GHashTable *waiters; /* RcRoom → GPtrArray of RcJoinWaiter, until the bus carries the room */
	guint64 received;
	guint64 delivered;
	guint64 slow_consumers;
	GTask *shutdown_task;
	guint shutdown_timeout_id;
};

typedef struct {
	RcClient *client;
	gchar *ref;
} RcJoinWaiter;

enum {
	SIGNAL_ROOM_ADDED,
	SIGNAL_ROOM_REMOVED,
	SIGNAL_CLIENT_ADDED,
	SIGNAL_CLIENT_REMOVED,
	SIGNAL_LAST
};
static guint signals[SIGNAL_LAST] = {0};

G_DEFINE_TYPE(RcDaemon, rc_daemon, G_TYPE_OBJECT)
G_DEFINE_QUARK(rc-error-quark, rc_error)

static void
rc_join_waiter_free(RcJoinWaiter *w)
{
	g_object_unref(w->client);
	g_free(w->ref);
	g_free(w);
}

const gchar *
rc_daemon_error_to_code(const GError *error)
{
	if (error->domain == RC_PROTOCOL_ERROR)
		return error->code == RC_PROTOCOL_ERROR_TOO_LARGE ? "too_large" : "bad_request";
	if (error->domain != RC_ERROR)
		return "unavailable";
	switch (error->code) {
	case RC_ERROR_INVALID_ARGS:
		return "bad_request";
	case RC_ERROR_TOO_LARGE:
		return "too_large";
	case RC_ERROR_FORBIDDEN:
	case RC_ERROR_UNAUTHORIZED:
		return "forbidden";
	case RC_ERROR_REJECTED:
		return "rejected";
	case RC_ERROR_RATE_LIMITED:
		return "rate_limited";
	case RC_ERROR_NOT_JOINED:
		return "not_joined";
	case RC_ERROR_NOT_FOUND:
		return "bad_request";
	default:
		return "unavailable";
	}
}

static gint64
rc_daemon_now_ms(void)
{
	return g_get_real_time() / 1000;
}

static gchar *
rc_daemon_new_message_id(RcDaemon *self)
{
	return g_strdup_printf("%s-%" G_GINT64_MODIFIER "x", self->id_prefix, ++self->id_counter);
}

gchar *
rc_daemon_new_client_id(RcDaemon *self)
{
	return g_strdup_printf("c%s-%" G_GINT64_MODIFIER "x", self->id_prefix, ++self->client_counter);
}

RcConfig *
rc_daemon_get_config(RcDaemon *self)
{
	return self->config;
}

RcPluginHost *
rc_daemon_get_plugin_host(RcDaemon *self)
{
	return self->plugins;
}

const gchar *
rc_daemon_get_node_id(RcDaemon *self)
{
	return self->node_id;
}

guint
rc_daemon_get_port(RcDaemon *self)
{
	return self->server != NULL ? rc_server_get_port(self->server) : 0;
}

guint
rc_daemon_get_connections(RcDaemon *self)
{
	return g_hash_table_size(self->clients);
}

guint
rc_daemon_get_n_rooms(RcDaemon *self)
{
	return rc_room_registry_get_size(self->registry);
}

gboolean
rc_daemon_is_embedded(RcDaemon *self)
{
	return RC_IS_EMBEDDED_BUS(self->bus);
}

gboolean
rc_daemon_get_redis_connected(RcDaemon *self)
{
	return !rc_daemon_is_embedded(self) && rc_bus_get_connected(self->bus);
}

const gchar *
rc_daemon_get_bus_state(RcDaemon *self)
{
	return rc_bus_get_state(self->bus);
}

guint64
rc_daemon_get_invalid_payloads(RcDaemon *self)
{
	return rc_bus_get_invalid_payloads(self->bus);
}

guint64
rc_daemon_get_slow_consumers(RcDaemon *self)
{
	return self->slow_consumers;
}

void
rc_daemon_count_slow_consumer(RcDaemon *self)
{
	self->slow_consumers++;
}

guint64
rc_daemon_get_messages_received(RcDaemon *self)
{
	return self->received;
}

guint64
rc_daemon_get_messages_delivered(RcDaemon *self)
{
	return self->delivered;
}

GStrv
rc_daemon_get_plugin_names(RcDaemon *self)
{
	return rc_plugin_host_get_names(self->plugins);
}

GPtrArray *
rc_daemon_list_rooms(RcDaemon *self)
{
	return rc_room_registry_list(self->registry);
}

RcRoom *
rc_daemon_lookup_room(RcDaemon *self, const gchar *ns, const gchar *room_code)
{
	return rc_room_registry_lookup(self->registry, ns, room_code);
}

RcClient *
rc_daemon_lookup_client(RcDaemon *self, const gchar *client_id)
{
	return g_hash_table_lookup(self->clients, client_id);
}

void
rc_daemon_add_client(RcDaemon *self, RcClient *client)
{
	g_hash_table_insert(self->clients, (gpointer)rc_client_get_id(client), g_object_ref(client));
	rc_client_send_hello(client, self->node_id);
	g_signal_emit(self, signals[SIGNAL_CLIENT_ADDED], 0, client);
}

static void
rc_daemon_finish_shutdown(RcDaemon *self)
{
	g_autoptr(GTask) task = g_steal_pointer(&self->shutdown_task);
	g_clear_handle_id(&self->shutdown_timeout_id, g_source_remove);
	if (task == NULL)
		return;
	if (self->dbus != NULL)
		rc_dbus_admin_stop(self->dbus);
	rc_bus_stop(self->bus);
	g_task_return_boolean(task, TRUE);
}

void
rc_daemon_remove_client(RcDaemon *self, RcClient *client)
{
	g_autoptr(RcClient) keep G_GNUC_UNUSED = g_object_ref(client);
	g_autoptr(GPtrArray) rooms = rc_client_get_rooms(client);

	for (guint i = 0; i < rooms->len; i++)
		rc_daemon_client_leave(self, client, g_ptr_array_index(rooms, i));
	rc_plugin_host_connection_closed(self->plugins, rc_client_get_id(client));
	if (!g_hash_table_remove(self->clients, rc_client_get_id(client)))
		return;
	g_signal_emit(self, signals[SIGNAL_CLIENT_REMOVED], 0, client);
	if (self->shutdown_task != NULL && g_hash_table_size(self->clients) == 0)
		rc_daemon_finish_shutdown(self);
}

static void
rc_daemon_send_joined(RcClient *client, RcRoom *room, const gchar *ref)
{
	g_autoptr(GBytes) frame = rc_protocol_build_room_reply("joined",
							       rc_room_get_namespace(room),
							       rc_room_get_code(room),
							       ref,
							       NULL);
	rc_client_send_json(client, frame);
}

void
rc_daemon_client_join(RcDaemon *self,
		      RcClient *client,
		      const gchar *ns,
		      const gchar *room_code,
		      const gchar *ref)
{
	RcRoom *room = rc_room_registry_ensure(self->registry, ns, room_code);
	GPtrArray *waiters;
	RcJoinWaiter *w;

	if (rc_room_add_member(room, client))
		rc_client_add_room(client, room);
	if (rc_room_get_ready(room)) {
		rc_daemon_send_joined(client, room, ref);
		return;
	}
	/* the reply waits until messages of the room reach this node */
	waiters = g_hash_table_lookup(self->waiters, room);
	if (waiters == NULL) {
		waiters = g_ptr_array_new_with_free_func((GDestroyNotify)rc_join_waiter_free);
		g_hash_table_insert(self->waiters, room, waiters);
	}
	w = g_new0(RcJoinWaiter, 1);
	w->client = g_object_ref(client);
	w->ref = g_strdup(ref);
	g_ptr_array_add(waiters, w);
}

void
rc_daemon_client_leave(RcDaemon *self, RcClient *client, RcRoom *room)
{
	g_autoptr(RcRoom) keep G_GNUC_UNUSED = g_object_ref(room);
	rc_room_remove_member(room, client);
	rc_client_remove_room(client, room);
	rc_room_registry_prune(self->registry, room);
}

static void
rc_daemon_room_subscribed_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(RcRoom) room = user_data;
	RcDaemon *self = g_object_get_data(G_OBJECT(room), "rc-daemon");
	GPtrArray *waiters;

	rc_bus_subscribe_room_finish(RC_BUS(source), res, NULL);
	if (self == NULL ||
	    rc_room_registry_lookup_key(self->registry, rc_room_get_key(room)) != room)
		return;
	rc_room_set_ready(room, TRUE);
	waiters = g_hash_table_lookup(self->waiters, room);
	if (waiters == NULL)
		return;
	for (guint i = 0; i < waiters->len; i++) {
		RcJoinWaiter *w = g_ptr_array_index(waiters, i);
		if (rc_room_has_member(room, w->client))
			rc_daemon_send_joined(w->client, room, w->ref);
	}
	g_hash_table_remove(self->waiters, room);
}

static void
rc_daemon_room_added_cb(RcRoomRegistry *registry, RcRoom *room, RcDaemon *self)
{
	if (!rc_daemon_is_embedded(self) &&
	    rc_config_get_fanout(self->config) == RC_FANOUT_PER_ROOM) {
		rc_room_set_ready(room, FALSE);
		g_object_set_data(G_OBJECT(room), "rc-daemon", self);
		rc_bus_subscribe_room_async(self->bus,
					    rc_room_get_namespace(room),
					    rc_room_get_code(room),
					    rc_daemon_room_subscribed_cb,
					    g_object_ref(room));
	}
	g_signal_emit(self,
		      signals[SIGNAL_ROOM_ADDED],
		      0,
		      rc_room_get_namespace(room),
		      rc_room_get_code(room));
}

static void
rc_daemon_room_removed_cb(RcRoomRegistry *registry, RcRoom *room, RcDaemon *self)
{
	g_hash_table_remove(self->waiters, room);
	rc_bus_unsubscribe_room(self->bus, rc_room_get_namespace(room), rc_room_get_code(room));
	g_signal_emit(self,
		      signals[SIGNAL_ROOM_REMOVED],
		      0,
		      rc_room_get_namespace(room),
		      rc_room_get_code(room));
}

static void
rc_daemon_bus_message_cb(RcBus *bus, RcMessage *msg, RcDaemon *self)
{
	RcRoom *room;
	if (rc_message_get_id(msg) == NULL) {
		g_autofree gchar *id = rc_daemon_new_message_id(self);
		rc_message_set_id(msg, id);
	}
	if (rc_message_get_ts(msg) == 0)
		rc_message_set_ts(msg, rc_daemon_now_ms());
	room = rc_room_registry_lookup(self->registry,
				       rc_message_get_namespace(msg),
				       rc_message_get_room_code(msg));
	if (room == NULL)
		return;
	self->delivered += rc_room_broadcast(room, msg);
}

static void
rc_daemon_publish_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	RcDaemon *self = g_task_get_source_object(task);
	g_autoptr(GError) error = NULL;

	if (!rc_bus_publish_finish(RC_BUS(source), res, &error)) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	self->received++;
	g_task_return_pointer(task, g_strdup(g_task_get_task_data(task)), g_free);
}

static gboolean
rc_daemon_validate(RcDaemon *self,
		   const gchar *ns,
		   const gchar *room_code,
		   const gchar *sender,
		   const gchar *text,
		   GError **error)
{
	g_autoptr(GError) error_local = NULL;
	if (!rc_protocol_validate_namespace(ns, &error_local) ||
	    !rc_protocol_validate_room_code(room_code, &error_local) ||
	    !rc_protocol_validate_sender(sender, &error_local) ||
	    !rc_protocol_validate_text(text, rc_config_get_max_text_bytes(self->config), &error_local)) {
		g_set_error_literal(error,
				    RC_ERROR,
				    error_local->code == RC_PROTOCOL_ERROR_TOO_LARGE
					? RC_ERROR_TOO_LARGE
					: RC_ERROR_INVALID_ARGS,
				    error_local->message);
		return FALSE;
	}
	return TRUE;
}

void
rc_daemon_publish_async(RcDaemon *self,
			const gchar *ns,
			const gchar *room_code,
			const gchar *sender,
			const gchar *text,
			RcSource source,
			RcClient *client,
			GCancellable *cancellable,
			GAsyncReadyCallback callback,
			gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(RcMessage) msg = NULL;
	g_autofree gchar *filtered = g_strdup(text);
	g_autofree gchar *id = NULL;

	g_task_set_source_tag(task, rc_daemon_publish_async);
	if (self->shutdown_task != NULL) {
		g_task_return_new_error(task,
					RC_ERROR,
					RC_ERROR_UNAVAILABLE,
					_("the server is shutting down"));
		return;
	}
	if (!rc_daemon_validate(self, ns, room_code, sender, text, &error)) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	if (!rc_plugin_host_filter(self->plugins,
				   source,
				   client != NULL ? rc_client_get_id(client) : NULL,
				   ns,
				   room_code,
				   sender,
				   &filtered,
				   &error)) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	/* a filter may have made the text longer */
	if (!rc_daemon_validate(self, ns, room_code, sender, filtered, &error)) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	id = rc_daemon_new_message_id(self);
	msg = rc_message_new(ns, room_code, sender, filtered, id, rc_daemon_now_ms(), self->node_id);
	g_task_set_task_data(task, g_steal_pointer(&id), g_free);
	rc_bus_publish_async(self->bus, msg, NULL, rc_daemon_publish_cb, g_steal_pointer(&task));
}

gchar *
rc_daemon_publish_finish(RcDaemon *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}

gboolean
rc_daemon_kick_client(RcDaemon *self, const gchar *client_id, const gchar *reason, GError **error)
{
	RcClient *client = rc_daemon_lookup_client(self, client_id);
	if (client == NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_NOT_FOUND, _("no client “%s” on this node"), client_id);
		return FALSE;
	}
	/* a close reason must fit in a control frame */
	if (reason != NULL && strlen(reason) > 120) {
		g_set_error(error,
			    RC_ERROR,
			    RC_ERROR_INVALID_ARGS,
			    _("the reason is longer than 120 bytes"));
		return FALSE;
	}
	g_message("kicking client %s (%s): %s", client_id, rc_client_get_sender(client), reason);
	rc_client_close(client, 1008, reason);
	return TRUE;
}

gboolean
rc_daemon_close_room(RcDaemon *self,
		     const gchar *ns,
		     const gchar *room_code,
		     const gchar *reason,
		     guint *removed,
		     GError **error)
{
	g_autoptr(GError) error_local = NULL;
	g_autoptr(GPtrArray) members = NULL;
	g_autoptr(RcRoom) room = NULL;
	RcRoom *found;

	if (!rc_protocol_validate_namespace(ns, &error_local) ||
	    !rc_protocol_validate_room_code(room_code, &error_local)) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_INVALID_ARGS, error_local->message);
		return FALSE;
	}
	found = rc_daemon_lookup_room(self, ns, room_code);
	if (found == NULL) {
		g_set_error(error,
			    RC_ERROR,
			    RC_ERROR_NOT_FOUND,
			    _("no room %s %s on this node"),
			    ns,
			    room_code);
		return FALSE;
	}
	room = g_object_ref(found);
	members = rc_room_get_members(room);
	for (guint i = 0; i < members->len; i++)
		rc_client_force_leave(g_ptr_array_index(members, i), room, reason);
	if (removed != NULL)
		*removed = members->len;
	g_message("closed room %s %s: %u clients removed", ns, room_code, members->len);
	return TRUE;
}

gboolean
rc_daemon_reload_config(RcDaemon *self, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	g_autoptr(GKeyFile) kf = NULL;
	gboolean restart_needed = FALSE;

	/* plugins first: if one refuses its new settings, nothing changes at all */
	kf = rc_config_check_file(self->config, &error_local);
	if (kf == NULL || !rc_plugin_host_reload(self->plugins, kf, &error_local) ||
	    !rc_config_apply(self->config, kf, &restart_needed, &error_local)) {
		g_set_error(error,
			    RC_ERROR,
			    RC_ERROR_FAILED,
			    _("configuration not reloaded, the old settings stay: %s"),
			    error_local->message);
		return FALSE;
	}
	if (RC_IS_REDIS_BUS(self->bus))
		rc_redis_bus_set_max_text_bytes(RC_REDIS_BUS(self->bus),
						rc_config_get_max_text_bytes(self->config));
	if (restart_needed)
		g_message("configuration reloaded; changes to server, redis, dbus and plugin list "
			  "keys apply at the next start");
	else
		g_message("configuration reloaded");
	return TRUE;
}

gboolean
rc_daemon_start(RcDaemon *self, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	g_auto(GStrv) names = NULL;
	g_autofree gchar *names_str = NULL;
	const gchar *redis_url = rc_config_get_redis_url(self->config);

	if (!rc_plugin_host_load(self->plugins,
				 rc_config_get_plugin_dir(self->config),
				 rc_config_get_plugins_enabled(self->config),
				 rc_config_get_keyfile(self->config),
				 &error_local)) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_FAILED, error_local->message);
		return FALSE;
	}
	if (redis_url != NULL) {
		self->bus = rc_redis_bus_new(redis_url,
					     rc_config_get_channel(self->config),
					     rc_config_get_fanout(self->config),
					     rc_config_get_max_text_bytes(self->config),
					     &error_local);
		if (self->bus == NULL) {
			g_set_error_literal(error, RC_ERROR, RC_ERROR_FAILED, error_local->message);
			return FALSE;
		}
	} else {
		self->bus = rc_embedded_bus_new();
	}
	g_signal_connect(self->bus, "message", G_CALLBACK(rc_daemon_bus_message_cb), self);

	self->server = rc_server_new(self);
	if (!rc_server_listen(self->server,
			      rc_config_get_listen(self->config),
			      rc_config_get_port(self->config),
			      rc_config_get_reuse_port(self->config),
			      error))
		return FALSE;
	if (rc_config_get_node_id(self->config) != NULL)
		self->node_id = g_strdup(rc_config_get_node_id(self->config));
	else
		self->node_id = g_strdup_printf("%s-%u", g_get_host_name(), rc_daemon_get_port(self));
	if (!rc_bus_start(self->bus, &error_local)) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_FAILED, error_local->message);
		return FALSE;
	}

	names = rc_plugin_host_get_names(self->plugins);
	names_str = g_strjoinv(", ", names);
	g_message("node %s started: bus %s, fanout %s, plugins: %s",
		  self->node_id,
		  redis_url != NULL ? redis_url : "embedded",
		  rc_config_get_fanout(self->config) == RC_FANOUT_PER_ROOM ? "per-room" : "single",
		  names_str[0] != '\0' ? names_str : "none");

	if (rc_config_get_dbus_bus(self->config) != RC_DBUS_BUS_NONE) {
		GBusType bus_type = rc_config_get_dbus_bus(self->config) == RC_DBUS_BUS_SYSTEM
					? G_BUS_TYPE_SYSTEM
					: G_BUS_TYPE_SESSION;
		self->dbus = rc_dbus_admin_new(self);
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

static gboolean
rc_daemon_shutdown_timeout_cb(gpointer user_data)
{
	RcDaemon *self = RC_DAEMON(user_data);
	self->shutdown_timeout_id = 0;
	g_message("%u clients did not close in time", g_hash_table_size(self->clients));
	rc_daemon_finish_shutdown(self);
	return G_SOURCE_REMOVE;
}

void
rc_daemon_shutdown_async(RcDaemon *self, GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GPtrArray) clients = NULL;
	GHashTableIter iter;
	gpointer value;

	if (self->shutdown_task != NULL)
		return;
	self->shutdown_task = g_task_new(self, NULL, callback, user_data);
	if (self->server != NULL)
		rc_server_stop(self->server);
	g_message("shutting down: closing %u clients", g_hash_table_size(self->clients));
	clients = g_ptr_array_new_with_free_func(g_object_unref);
	g_hash_table_iter_init(&iter, self->clients);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		g_ptr_array_add(clients, g_object_ref(value));
	for (guint i = 0; i < clients->len; i++)
		rc_client_close(g_ptr_array_index(clients, i), 1001, "server shutting down");
	if (g_hash_table_size(self->clients) == 0) {
		rc_daemon_finish_shutdown(self);
		return;
	}
	self->shutdown_timeout_id =
	    g_timeout_add(RC_SHUTDOWN_DRAIN_MS, rc_daemon_shutdown_timeout_cb, self);
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
	g_clear_handle_id(&self->shutdown_timeout_id, g_source_remove);
	if (self->dbus != NULL)
		rc_dbus_admin_stop(self->dbus);
	g_clear_object(&self->dbus);
	if (self->waiters != NULL)
		g_hash_table_remove_all(self->waiters);
	if (self->clients != NULL)
		g_hash_table_remove_all(self->clients);
	g_clear_object(&self->server);
	if (self->bus != NULL)
		rc_bus_stop(self->bus);
	g_clear_object(&self->bus);
	G_OBJECT_CLASS(rc_daemon_parent_class)->dispose(object);
}

static void
rc_daemon_finalize(GObject *object)
{
	RcDaemon *self = RC_DAEMON(object);
	g_hash_table_unref(self->waiters);
	g_hash_table_unref(self->clients);
	g_object_unref(self->registry);
	g_object_unref(self->plugins);
	g_object_unref(self->config);
	g_free(self->node_id);
	g_free(self->id_prefix);
	G_OBJECT_CLASS(rc_daemon_parent_class)->finalize(object);
}

static void
rc_daemon_class_init(RcDaemonClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = rc_daemon_dispose;
	object_class->finalize = rc_daemon_finalize;
	signals[SIGNAL_ROOM_ADDED] = g_signal_new("room-added",
						  G_TYPE_FROM_CLASS(klass),
						  G_SIGNAL_RUN_LAST,
						  0,
						  NULL,
						  NULL,
						  NULL,
						  G_TYPE_NONE,
						  2,
						  G_TYPE_STRING,
						  G_TYPE_STRING);
	signals[SIGNAL_ROOM_REMOVED] = g_signal_new("room-removed",
						    G_TYPE_FROM_CLASS(klass),
						    G_SIGNAL_RUN_LAST,
						    0,
						    NULL,
						    NULL,
						    NULL,
						    G_TYPE_NONE,
						    2,
						    G_TYPE_STRING,
						    G_TYPE_STRING);
	signals[SIGNAL_CLIENT_ADDED] = g_signal_new("client-added",
						    G_TYPE_FROM_CLASS(klass),
						    G_SIGNAL_RUN_LAST,
						    0,
						    NULL,
						    NULL,
						    NULL,
						    G_TYPE_NONE,
						    1,
						    RC_TYPE_CLIENT);
	signals[SIGNAL_CLIENT_REMOVED] = g_signal_new("client-removed",
						      G_TYPE_FROM_CLASS(klass),
						      G_SIGNAL_RUN_LAST,
						      0,
						      NULL,
						      NULL,
						      NULL,
						      G_TYPE_NONE,
						      1,
						      RC_TYPE_CLIENT);
}

static void
rc_daemon_init(RcDaemon *self)
{
	self->id_prefix = g_strdup_printf("%08x", g_random_int());
	self->registry = rc_room_registry_new();
	self->plugins = rc_plugin_host_new();
	self->clients = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_object_unref);
	self->waiters = g_hash_table_new_full(g_direct_hash,
					      g_direct_equal,
					      NULL,
					      (GDestroyNotify)g_ptr_array_unref);
	g_signal_connect(self->registry, "room-added", G_CALLBACK(rc_daemon_room_added_cb), self);
	g_signal_connect(self->registry, "room-removed", G_CALLBACK(rc_daemon_room_removed_cb), self);
}

RcDaemon *
rc_daemon_new(RcConfig *config)
{
	RcDaemon *self = g_object_new(RC_TYPE_DAEMON, NULL);
	self->config = g_object_ref(config);
	return self;
}
