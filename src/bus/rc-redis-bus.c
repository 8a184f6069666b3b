/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcRedisBus"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "bus/rc-redis-bus.h"
#include "bus/rc-redis-connection.h"
#include "bus/rc-redis-keys.h"
#include "bus/rc-redis-script.h"
#include "protocol/rc-protocol.h"
#include "rc-error.h"

#define RC_REDIS_BACKOFF_MIN_MS 100
#define RC_REDIS_BACKOFF_MAX_MS 5000
/* an idle link is asked this often whether Redis still answers */
#define RC_REDIS_PING_MS 1000
/* the ingress stream: entries read per call, and when another node's are taken over */
#define RC_REDIS_INGRESS_BATCH "64"
#define RC_REDIS_INGRESS_CLAIM_S 5
#define RC_REDIS_INGRESS_IDLE_MS "15000"
#define RC_REDIS_INGRESS_GROUP "roomcast"

typedef struct _RcRedisLink RcRedisLink;

/* One of the bus' connections to Redis, with its own reconnect and liveness check. */
struct _RcRedisLink {
	RcRedisBus *bus;
	const gchar *name;
	RcRedisConnection *conn; /* NULL while down */
	gboolean open;		 /* connected: commands may be sent */
	gboolean ready;		 /* and set up (for the subscriber: subscriptions confirmed) */
	guint attempt;
	guint reconnect_id;
	guint ping_id;
	GCancellable *cancellable;
	void (*on_ready)(RcRedisLink *link);
};

/* a room channel this node wants (or is leaving) in per-room fanout */
typedef struct {
	gboolean wanted;
	gboolean subscribed;
	GPtrArray *pending; /* GTask waiting for the subscription */
} RcRoomSub;

struct _RcRedisBus {
	RcBus parent_instance;
	RcRedisEndpoint *endpoint;
	gchar *display;
	gchar *channel;
	gchar *ingress_stream;
	RcFanout fanout;
	RcRedisScript *publish_script;
	RcRedisScript *read_script;
	RcRedisScript *presence_script;
	RcRedisLink cmd;
	RcRedisLink sub;
	RcRedisLink ingress;
	gboolean stopping;
	guint claim_id;
	GHashTable *room_subs; /* channel → RcRoomSub */
	GHashTable *presence;  /* "NS\nROOM" → RcPresenceRoom */
	guint heartbeat_id;
};

G_DEFINE_TYPE(RcRedisBus, rc_redis_bus, RC_TYPE_BUS)

static void rc_redis_link_connect(RcRedisLink *link);
static void rc_redis_bus_read_ingress(RcRedisBus *self, const gchar *from);

/* ---- links ------------------------------------------------------------------- */

static void
rc_redis_bus_update_state(RcRedisBus *self)
{
	gboolean up = self->cmd.ready && self->sub.ready;
	if (up == (rc_bus_get_state(RC_BUS(self)) == RC_BUS_STATE_CONNECTED))
		return;
	if (up)
		g_message("connected to Redis at %s, subscribed to %s", self->display, self->channel);
	else
		g_warning("Redis at %s is unreachable: reconnecting", self->display);
	rc_bus_set_state(RC_BUS(self), up ? RC_BUS_STATE_CONNECTED : RC_BUS_STATE_DISCONNECTED);
}

static gboolean
rc_redis_link_reconnect_cb(gpointer user_data)
{
	RcRedisLink *link = user_data;
	link->reconnect_id = 0;
	rc_redis_link_connect(link);
	return G_SOURCE_REMOVE;
}

static void
rc_redis_link_schedule_reconnect(RcRedisLink *link)
{
	guint delay = RC_REDIS_BACKOFF_MIN_MS << MIN(link->attempt, 6);

	if (link->bus->stopping || link->reconnect_id != 0)
		return;
	delay = MIN(delay, RC_REDIS_BACKOFF_MAX_MS);
	/* jitter spreads the reconnects of many nodes after a Redis restart */
	delay = delay / 2 + g_random_int_range(0, delay / 2 + 1);
	link->attempt++;
	g_debug("%s: reconnecting in %u ms", link->name, delay);
	link->reconnect_id = g_timeout_add(delay, rc_redis_link_reconnect_cb, link);
}

static void
rc_redis_link_drop(RcRedisLink *link)
{
	g_clear_handle_id(&link->ping_id, g_source_remove);
	if (link->cancellable != NULL) {
		g_cancellable_cancel(link->cancellable);
		g_clear_object(&link->cancellable);
	}
	if (link->conn != NULL) {
		g_autoptr(RcRedisConnection) conn = g_steal_pointer(&link->conn);
		g_signal_handlers_disconnect_by_data(conn, link);
		rc_redis_connection_set_push_handler(conn, NULL, NULL, NULL);
		rc_redis_connection_close(conn);
	}
	link->open = FALSE;
	link->ready = FALSE;
}

static void rc_redis_bus_lost_subscriber(RcRedisBus *self);

static void
rc_redis_link_closed_cb(RcRedisConnection *conn, GError *reason, gpointer user_data)
{
	RcRedisLink *link = user_data;
	RcRedisBus *self = link->bus;

	g_debug("%s: %s", link->name, reason != NULL ? reason->message : "closed");
	rc_redis_link_drop(link);
	if (link == &self->sub)
		rc_redis_bus_lost_subscriber(self);
	rc_redis_bus_update_state(self);
	rc_redis_link_schedule_reconnect(link);
}

/* A stalled Redis answers nothing and closes nothing: a PING that the command
 * timeout catches turns the stall into a lost connection, which is reconnected. */
static gboolean
rc_redis_link_ping_cb(gpointer user_data)
{
	RcRedisLink *link = user_data;
	if (link->conn != NULL && rc_redis_connection_get_n_pending(link->conn) == 0)
		rc_redis_connection_command(link->conn, NULL, NULL, "PING", NULL);
	return G_SOURCE_CONTINUE;
}

static void
rc_redis_link_connected_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcRedisLink *link = user_data;
	RcRedisBus *self = link->bus;
	g_autoptr(GError) error = NULL;

	if (!rc_redis_connection_connect_finish(RC_REDIS_CONNECTION(source), res, &error)) {
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			return;
		/* a refused password is said once per outage, with Redis' words */
		if (link->attempt == 0)
			g_warning("%s: cannot connect to Redis at %s: %s",
				  link->name,
				  self->display,
				  error->message);
		else
			g_debug("%s: connecting failed: %s", link->name, error->message);
		g_clear_object(&link->conn);
		g_clear_object(&link->cancellable);
		rc_redis_link_schedule_reconnect(link);
		return;
	}
	g_clear_object(&link->cancellable);
	g_debug("%s connected", link->name);
	link->attempt = 0;
	g_signal_connect(link->conn, "closed", G_CALLBACK(rc_redis_link_closed_cb), link);
	link->ping_id = g_timeout_add(RC_REDIS_PING_MS, rc_redis_link_ping_cb, link);
	link->open = TRUE;
	link->on_ready(link);
}

static void
rc_redis_link_connect(RcRedisLink *link)
{
	if (link->bus->stopping || link->conn != NULL)
		return;
	link->conn = rc_redis_connection_new(link->bus->endpoint);
	link->cancellable = g_cancellable_new();
	rc_redis_connection_connect_async(link->conn,
					  link->cancellable,
					  rc_redis_link_connected_cb,
					  link);
}

/* ---- the command link -------------------------------------------------------- */

static void rc_redis_bus_presence_sync_all(RcRedisBus *self);

static void
rc_redis_bus_cmd_ready(RcRedisLink *link)
{
	RcRedisBus *self = link->bus;
	rc_redis_script_load(self->publish_script, link->conn);
	rc_redis_script_load(self->read_script, link->conn);
	rc_redis_script_load(self->presence_script, link->conn);
	link->ready = TRUE;
	/* Redis may have lost this node's members while it was away */
	rc_redis_bus_presence_sync_all(self);
	rc_redis_bus_update_state(self);
}

/* ---- the subscriber ---------------------------------------------------------- */

static void
rc_room_sub_free(RcRoomSub *rs)
{
	g_ptr_array_unref(rs->pending);
	g_free(rs);
}

static void
rc_room_sub_complete(RcRoomSub *rs)
{
	g_autoptr(GPtrArray) pending = g_steal_pointer(&rs->pending);
	rs->pending = g_ptr_array_new_with_free_func(g_object_unref);
	for (guint i = 0; i < pending->len; i++)
		g_task_return_boolean(g_ptr_array_index(pending, i), TRUE);
}

#define RC_REDIS_PRESENCE_PREFIX "{\"type\":\"presence\""

static void
rc_redis_bus_handle_payload(RcRedisBus *self, const gchar *channel, const gchar *data, gsize len)
{
	RcConfig *config = rc_bus_get_config(RC_BUS(self));
	g_autoptr(GError) error = NULL;
	g_autoptr(RcMessage) msg = NULL;

	/* presence events are written by presence.lua, always with this beginning */
	if (len > strlen(RC_REDIS_PRESENCE_PREFIX) &&
	    memcmp(data, RC_REDIS_PRESENCE_PREFIX, strlen(RC_REDIS_PRESENCE_PREFIX)) == 0) {
		g_autoptr(RcPresence) event = rc_protocol_parse_presence(data, len, NULL, NULL, &error);
		if (event == NULL || rc_presence_get_event(event) == NULL) {
			rc_bus_count_invalid_payload(RC_BUS(self));
			g_warning("ignoring invalid presence event on %s: %s",
				  channel,
				  error != NULL ? error->message : "no event");
			return;
		}
		rc_bus_emit_presence(RC_BUS(self), event);
		return;
	}
	msg = rc_protocol_parse_message(data, len, rc_config_get_max_text_bytes(config), &error);
	if (msg == NULL) {
		rc_bus_count_invalid_payload(RC_BUS(self));
		g_warning("ignoring invalid payload on %s: %s", channel, error->message);
		return;
	}
	rc_bus_emit_message(RC_BUS(self), msg);
}

static void
rc_redis_bus_push_cb(RcRedisConnection *conn, redisReply *push, gpointer user_data)
{
	RcRedisBus *self = user_data;
	redisReply *kind, *channel, *payload;

	if (push->type != REDIS_REPLY_ARRAY || push->elements < 3)
		return;
	kind = push->element[0];
	channel = push->element[1];
	payload = push->element[2];
	if (kind->type != REDIS_REPLY_STRING || channel->type != REDIS_REPLY_STRING ||
	    strcmp(kind->str, "message") != 0 || payload->type != REDIS_REPLY_STRING)
		return;
	rc_redis_bus_handle_payload(self, channel->str, payload->str, payload->len);
}

static void
rc_redis_bus_room_subscribed_cb(RcRedisConnection *conn,
				redisReply *reply,
				const GError *error,
				gpointer user_data)
{
	RcRedisBus *self = RC_REDIS_BUS(user_data);
	g_autofree gchar *channel = NULL;
	RcRoomSub *rs;

	/* the last confirmation names the channel */
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
	    reply->element[1]->type != REDIS_REPLY_STRING) {
		g_object_unref(self);
		return;
	}
	channel = g_strndup(reply->element[1]->str, reply->element[1]->len);
	rs = g_hash_table_lookup(self->room_subs, channel);
	if (rs != NULL && rs->wanted) {
		rs->subscribed = TRUE;
		rc_room_sub_complete(rs);
	}
	g_object_unref(self);
}

static void
rc_redis_bus_send_sub(RcRedisBus *self, const gchar *verb, const gchar *channel)
{
	if (g_strcmp0(verb, "SUBSCRIBE") == 0)
		rc_redis_connection_command(self->sub.conn,
					    rc_redis_bus_room_subscribed_cb,
					    g_object_ref(self),
					    verb,
					    channel,
					    NULL);
	else
		rc_redis_connection_command(self->sub.conn, NULL, NULL, verb, channel, NULL);
}

static void
rc_redis_bus_resubscribed_cb(RcRedisConnection *conn,
			     redisReply *reply,
			     const GError *error,
			     gpointer user_data)
{
	RcRedisBus *self = RC_REDIS_BUS(user_data);
	g_autoptr(RcRedisBus) keep G_GNUC_UNUSED = self;
	GHashTableIter iter;
	gpointer value;

	if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
		return; /* the link is lost or broken: its closing starts over */
	self->sub.ready = TRUE;
	g_hash_table_iter_init(&iter, self->room_subs);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		RcRoomSub *rs = value;
		if (rs->wanted) {
			rs->subscribed = TRUE;
			rc_room_sub_complete(rs);
		}
	}
	rc_redis_bus_update_state(self);
	/* what was published while the subscription was down never came (and rooms
	 * joined before Redis was first reached do not know where they stand) */
	rc_bus_emit_resubscribed(RC_BUS(self));
}

/* one SUBSCRIBE for everything: its reply comes once every channel is confirmed */
static void
rc_redis_bus_sub_ready(RcRedisLink *link)
{
	RcRedisBus *self = link->bus;
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	GHashTableIter iter;
	gpointer key, value;

	rc_redis_connection_set_push_handler(link->conn, rc_redis_bus_push_cb, self, NULL);
	g_ptr_array_add(argv, (gpointer) "SUBSCRIBE");
	g_ptr_array_add(argv, self->channel);
	g_hash_table_iter_init(&iter, self->room_subs);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		if (((RcRoomSub *)value)->wanted)
			g_ptr_array_add(argv, key);
	}
	rc_redis_connection_command_argv(link->conn,
					 argv->len,
					 (const gchar *const *)argv->pdata,
					 NULL,
					 rc_redis_bus_resubscribed_cb,
					 g_object_ref(self));
}

/* joins must not hang while Redis is away: everything is resubscribed later */
static void
rc_redis_bus_lost_subscriber(RcRedisBus *self)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, self->room_subs);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		RcRoomSub *rs = value;
		rs->subscribed = FALSE;
		rc_room_sub_complete(rs);
		if (!rs->wanted)
			g_hash_table_iter_remove(&iter);
	}
}

/* ---- the ingress stream ------------------------------------------------------ */

/* An entry's "message" field, or NULL. Entries are [id, [field, value, ...]]. */
static redisReply *
rc_redis_bus_entry_message(redisReply *entry)
{
	redisReply *fields;
	if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 2 ||
	    entry->element[0]->type != REDIS_REPLY_STRING)
		return NULL;
	fields = entry->element[1];
	if (fields->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (gsize i = 0; i + 1 < fields->elements; i += 2) {
		if (fields->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(fields->element[i]->str, "message") == 0 &&
		    fields->element[i + 1]->type == REDIS_REPLY_STRING)
			return fields->element[i + 1];
	}
	return NULL;
}

static void
rc_redis_bus_handle_entries(RcRedisBus *self, redisReply *entries)
{
	for (gsize i = 0; entries != NULL && i < entries->elements; i++) {
		redisReply *entry = entries->element[i];
		redisReply *message;
		g_autoptr(GBytes) payload = NULL;

		/* a deleted entry that is still pending comes back as [id, nil] */
		if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 1 ||
		    entry->element[0]->type != REDIS_REPLY_STRING)
			continue;
		message = rc_redis_bus_entry_message(entry);
		payload = message != NULL ? g_bytes_new(message->str, message->len) : NULL;
		/* the engine counts and acknowledges an entry without a message too */
		rc_bus_emit_ingress(RC_BUS(self),
				    entry->element[0]->str,
				    payload != NULL ? payload : g_bytes_new_static("", 0));
	}
}

static void
rc_redis_bus_ingress_read_cb(RcRedisConnection *conn,
			     redisReply *reply,
			     const GError *error,
			     gpointer user_data)
{
	RcRedisBus *self = RC_REDIS_BUS(user_data);
	g_autoptr(RcRedisBus) keep G_GNUC_UNUSED = self;

	if (reply == NULL || self->ingress.conn != conn)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		/* NOGROUP after a FLUSHALL: the group is created again on the next connect */
		g_debug("ingress: %s", reply->str);
		rc_redis_connection_close(conn);
		return;
	}
	/* [[stream, [entry, ...]]] or nil when BLOCK timed out */
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
	    reply->element[0]->type == REDIS_REPLY_ARRAY && reply->element[0]->elements == 2) {
		redisReply *entries = reply->element[0]->element[1];
		if (entries->type == REDIS_REPLY_ARRAY)
			rc_redis_bus_handle_entries(self, entries);
	}
	rc_redis_bus_read_ingress(self, ">");
}

static void
rc_redis_bus_read_ingress(RcRedisBus *self, const gchar *from)
{
	RcConfig *config = rc_bus_get_config(RC_BUS(self));
	/* shorter than the command timeout, so a quiet stream is no stall */
	g_autofree gchar *block =
	    g_strdup_printf("%u", MIN(1000u, rc_config_get_redis_timeout(config) * 500));

	if (self->ingress.conn == NULL)
		return;
	rc_redis_connection_command(self->ingress.conn,
				    rc_redis_bus_ingress_read_cb,
				    g_object_ref(self),
				    "XREADGROUP",
				    "GROUP",
				    RC_REDIS_INGRESS_GROUP,
				    rc_bus_get_node_id(RC_BUS(self)),
				    "COUNT",
				    RC_REDIS_INGRESS_BATCH,
				    "BLOCK",
				    block,
				    "STREAMS",
				    self->ingress_stream,
				    from,
				    NULL);
}

static void
rc_redis_bus_claimed_cb(RcRedisConnection *conn,
			redisReply *reply,
			const GError *error,
			gpointer user_data)
{
	RcRedisBus *self = RC_REDIS_BUS(user_data);

	/* [next-id, [entry, ...], [deleted ids]] */
	if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 2 &&
	    reply->element[1]->type == REDIS_REPLY_ARRAY && reply->element[1]->elements > 0) {
		g_message("taking over %zu ingress entries another node left pending",
			  reply->element[1]->elements);
		rc_redis_bus_handle_entries(self, reply->element[1]);
	}
	g_object_unref(self);
}

/* entries a dead node read and never acknowledged go to a live one */
static gboolean
rc_redis_bus_claim_cb(gpointer user_data)
{
	RcRedisBus *self = RC_REDIS_BUS(user_data);
	if (self->cmd.ready)
		rc_redis_connection_command(self->cmd.conn,
					    rc_redis_bus_claimed_cb,
					    g_object_ref(self),
					    "XAUTOCLAIM",
					    self->ingress_stream,
					    RC_REDIS_INGRESS_GROUP,
					    rc_bus_get_node_id(RC_BUS(self)),
					    RC_REDIS_INGRESS_IDLE_MS,
					    "0-0",
					    "COUNT",
					    RC_REDIS_INGRESS_BATCH,
					    NULL);
	return G_SOURCE_CONTINUE;
}

static void
rc_redis_bus_group_created_cb(RcRedisConnection *conn,
			      redisReply *reply,
			      const GError *error,
			      gpointer user_data)
{
	RcRedisBus *self = RC_REDIS_BUS(user_data);
	g_autoptr(RcRedisBus) keep G_GNUC_UNUSED = self;

	if (reply == NULL || self->ingress.conn != conn)
		return;
	/* BUSYGROUP: another node (or an earlier start) created it */
	if (reply->type == REDIS_REPLY_ERROR && !g_str_has_prefix(reply->str, "BUSYGROUP"))
		g_warning("cannot create the ingress consumer group: %s", reply->str);
	/* our own pending entries first (once, from "0"): a restarted node finishes what
	 * it began; then new ones (">") */
	rc_redis_bus_read_ingress(self, "0");
	self->ingress.ready = TRUE;
}

static void
rc_redis_bus_ingress_ready(RcRedisLink *link)
{
	RcRedisBus *self = link->bus;
	link->ready = FALSE;
	rc_redis_connection_command(link->conn,
				    rc_redis_bus_group_created_cb,
				    g_object_ref(self),
				    "XGROUP",
				    "CREATE",
				    self->ingress_stream,
				    RC_REDIS_INGRESS_GROUP,
				    "$",
				    "MKSTREAM",
				    NULL);
}

static void
rc_redis_bus_ack_ingress(RcBus *bus, const gchar *id)
{
	RcRedisBus *self = RC_REDIS_BUS(bus);
	if (self->cmd.conn != NULL)
		rc_redis_connection_command(self->cmd.conn,
					    NULL,
					    NULL,
					    "XACK",
					    self->ingress_stream,
					    RC_REDIS_INGRESS_GROUP,
					    id,
					    NULL);
}

/* ---- presence ------------------------------------------------------------------ */

/* this node's members of one room, as written to Redis */
typedef struct {
	gchar *ns;
	gchar *room_code;
	GHashTable *entries; /* client → RcPresence */
} RcPresenceRoom;

static void
rc_presence_room_free(RcPresenceRoom *room)
{
	g_free(room->ns);
	g_free(room->room_code);
	g_hash_table_unref(room->entries);
	g_free(room);
}

static guint
rc_redis_bus_presence_ttl_ms(RcRedisBus *self)
{
	return rc_config_get_presence_ttl(rc_bus_get_config(RC_BUS(self))) * 1000;
}

/* runs presence.lua for one room with @extra (op-specific) arguments */
static void
rc_redis_bus_presence_call(RcRedisBus *self,
			   const gchar *ns,
			   const gchar *room_code,
			   const gchar *op,
			   GPtrArray *extra,
			   RcRedisReplyFunc func,
			   gpointer user_data)
{
	g_autofree gchar *presence =
	    rc_redis_room_key(self->channel, RC_REDIS_KEY_PRESENCE, ns, room_code);
	g_autofree gchar *nodes =
	    rc_redis_room_key(self->channel, RC_REDIS_KEY_PRESENCE_NODES, ns, room_code);
	g_autofree gchar *room_channel = NULL;
	g_autofree gchar *ttl = g_strdup_printf("%u", rc_redis_bus_presence_ttl_ms(self));
	g_autoptr(GString) leave = g_string_new("{\"type\":\"presence\",\"namespace\":");
	g_autoptr(GPtrArray) argv = g_ptr_array_new();

	if (self->fanout == RC_FANOUT_PER_ROOM)
		room_channel = rc_redis_room_key(self->channel, RC_REDIS_KEY_CHANNEL, ns, room_code);
	rc_protocol_append_json_string(leave, ns);
	g_string_append(leave, ",\"roomCode\":");
	rc_protocol_append_json_string(leave, room_code);
	g_string_append(leave, ",\"event\":\"leave\",");
	g_ptr_array_add(argv, presence);
	g_ptr_array_add(argv, nodes);
	g_ptr_array_add(argv, (gpointer)op);
	g_ptr_array_add(argv, ttl);
	g_ptr_array_add(argv, (gpointer)rc_bus_get_node_id(RC_BUS(self)));
	g_ptr_array_add(argv, room_channel != NULL ? room_channel : self->channel);
	g_ptr_array_add(argv, (gpointer) "PUBLISH");
	g_ptr_array_add(argv, leave->str);
	for (guint i = 0; extra != NULL && i < extra->len; i++)
		g_ptr_array_add(argv, g_ptr_array_index(extra, i));
	rc_redis_script_call(self->presence_script,
			     self->cmd.conn,
			     2,
			     argv->len,
			     (const gchar *const *)argv->pdata,
			     NULL,
			     func,
			     user_data);
}

/* writes every member of @room on this node again, without events */
static void
rc_redis_bus_presence_sync(RcRedisBus *self, RcPresenceRoom *room)
{
	g_autoptr(GPtrArray) extra = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, room->entries);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		g_autoptr(GBytes) entry = rc_protocol_build_presence_entry(value);
		g_ptr_array_add(extra, g_strdup(rc_presence_get_client(value)));
		g_ptr_array_add(extra, g_strndup(g_bytes_get_data(entry, NULL), g_bytes_get_size(entry)));
	}
	rc_redis_bus_presence_call(self, room->ns, room->room_code, "sync", extra, NULL, NULL);
}

typedef struct {
	RcRedisBus *bus;
	gchar *key;
} RcPresenceBeat;

static void
rc_redis_bus_beat_cb(RcRedisConnection *conn,
		     redisReply *reply,
		     const GError *error,
		     gpointer user_data)
{
	RcPresenceBeat *beat = user_data;
	RcPresenceRoom *room;

	/* 1: Redis had forgotten this node here (a flush): write its members again */
	if (reply != NULL && reply->type == REDIS_REPLY_INTEGER && reply->integer == 1 &&
	    (room = g_hash_table_lookup(beat->bus->presence, beat->key)) != NULL &&
	    beat->bus->cmd.ready)
		rc_redis_bus_presence_sync(beat->bus, room);
	g_object_unref(beat->bus);
	g_free(beat->key);
	g_free(beat);
}

/* one command per room with members here, whatever their number, all pipelined */
static gboolean
rc_redis_bus_heartbeat_cb(gpointer user_data)
{
	RcRedisBus *self = RC_REDIS_BUS(user_data);
	GHashTableIter iter;
	gpointer key, value;

	if (!self->cmd.ready)
		return G_SOURCE_CONTINUE;
	g_hash_table_iter_init(&iter, self->presence);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		RcPresenceRoom *room = value;
		RcPresenceBeat *beat = g_new0(RcPresenceBeat, 1);
		beat->bus = g_object_ref(self);
		beat->key = g_strdup(key);
		rc_redis_bus_presence_call(self,
					   room->ns,
					   room->room_code,
					   "beat",
					   NULL,
					   rc_redis_bus_beat_cb,
					   beat);
	}
	return G_SOURCE_CONTINUE;
}

/* after a reconnect, Redis may have lost everything (a restart without persistence) */
static void
rc_redis_bus_presence_sync_all(RcRedisBus *self)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, self->presence);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		rc_redis_bus_presence_sync(self, value);
}

static gchar *
rc_redis_bus_presence_key(RcPresence *p)
{
	return g_strconcat(rc_presence_get_namespace(p), "\n", rc_presence_get_room_code(p), NULL);
}

static void
rc_redis_bus_presence_join(RcBus *bus, RcPresence *entry)
{
	RcRedisBus *self = RC_REDIS_BUS(bus);
	g_autofree gchar *key = rc_redis_bus_presence_key(entry);
	RcPresenceRoom *room = g_hash_table_lookup(self->presence, key);
	g_autoptr(RcPresence) event = NULL;
	g_autoptr(GBytes) entry_json = NULL;
	g_autoptr(GBytes) event_json = NULL;
	g_autoptr(GPtrArray) extra = g_ptr_array_new_with_free_func(g_free);

	if (room == NULL) {
		room = g_new0(RcPresenceRoom, 1);
		room->ns = g_strdup(rc_presence_get_namespace(entry));
		room->room_code = g_strdup(rc_presence_get_room_code(entry));
		room->entries = g_hash_table_new_full(g_str_hash,
						      g_str_equal,
						      g_free,
						      (GDestroyNotify)rc_presence_unref);
		g_hash_table_insert(self->presence, g_strdup(key), room);
	}
	g_hash_table_replace(room->entries,
			     g_strdup(rc_presence_get_client(entry)),
			     rc_presence_ref(entry));
	/* while Redis is away the entry waits here and is written when it is back */
	if (!self->cmd.ready)
		return;
	event = rc_presence_new(room->ns,
				room->room_code,
				"join",
				rc_presence_get_client(entry),
				rc_presence_get_sender(entry),
				rc_presence_get_node(entry));
	entry_json = rc_protocol_build_presence_entry(entry);
	event_json = rc_protocol_build_presence(event);
	g_ptr_array_add(extra, g_strdup(rc_presence_get_client(entry)));
	g_ptr_array_add(extra, g_strndup(g_bytes_get_data(entry_json, NULL), g_bytes_get_size(entry_json)));
	g_ptr_array_add(extra, g_strndup(g_bytes_get_data(event_json, NULL), g_bytes_get_size(event_json)));
	/* the join refreshes this node here, so the next beat would not see that Redis
	 * lost the node's other members (a flush): the join itself says so */
	if (g_hash_table_size(room->entries) > 1) {
		RcPresenceBeat *beat = g_new0(RcPresenceBeat, 1);
		beat->bus = g_object_ref(self);
		beat->key = g_strdup(key);
		rc_redis_bus_presence_call(
		    self, room->ns, room->room_code, "join", extra, rc_redis_bus_beat_cb, beat);
		return;
	}
	rc_redis_bus_presence_call(self, room->ns, room->room_code, "join", extra, NULL, NULL);
}

static void
rc_redis_bus_presence_leave(RcBus *bus, RcPresence *entry)
{
	RcRedisBus *self = RC_REDIS_BUS(bus);
	g_autofree gchar *key = rc_redis_bus_presence_key(entry);
	RcPresenceRoom *room = g_hash_table_lookup(self->presence, key);
	g_autoptr(RcPresence) event = NULL;
	g_autoptr(GBytes) event_json = NULL;
	g_autoptr(GPtrArray) extra = g_ptr_array_new_with_free_func(g_free);

	if (room == NULL || !g_hash_table_remove(room->entries, rc_presence_get_client(entry)))
		return;
	if (self->cmd.ready) {
		event = rc_presence_new(room->ns,
					room->room_code,
					"leave",
					rc_presence_get_client(entry),
					rc_presence_get_sender(entry),
					rc_presence_get_node(entry));
		event_json = rc_protocol_build_presence(event);
		g_ptr_array_add(extra, g_strdup(rc_presence_get_client(entry)));
		g_ptr_array_add(extra,
				g_strndup(g_bytes_get_data(event_json, NULL), g_bytes_get_size(event_json)));
		rc_redis_bus_presence_call(self, room->ns, room->room_code, "leave", extra, NULL, NULL);
	}
	if (g_hash_table_size(room->entries) == 0)
		g_hash_table_remove(self->presence, key);
}

static void
rc_redis_bus_presence_listed_cb(RcRedisConnection *conn,
				redisReply *reply,
				const GError *error,
				gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	GPtrArray *members;
	const gchar *const *names = g_task_get_task_data(task);

	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
		g_task_return_new_error(task,
					RC_ERROR,
					RC_ERROR_UNAVAILABLE,
					_("Redis is unreachable: try again later"));
		return;
	}
	members = g_ptr_array_new_with_free_func((GDestroyNotify)rc_presence_unref);
	for (gsize i = 0; i < reply->elements; i++) {
		redisReply *e = reply->element[i];
		RcPresence *p;
		if (e->type != REDIS_REPLY_STRING)
			continue;
		p = rc_protocol_parse_presence(e->str, e->len, names[0], names[1], NULL);
		if (p != NULL)
			g_ptr_array_add(members, p);
	}
	g_task_return_pointer(task, members, (GDestroyNotify)g_ptr_array_unref);
}

static void
rc_redis_bus_presence_list(RcBus *bus, const gchar *ns, const gchar *room_code, GTask *task)
{
	RcRedisBus *self = RC_REDIS_BUS(bus);
	gchar **names = g_new0(gchar *, 3);

	if (!self->cmd.ready) {
		g_strfreev(names);
		g_task_return_new_error(task,
					RC_ERROR,
					RC_ERROR_UNAVAILABLE,
					_("Redis is unreachable: try again later"));
		g_object_unref(task);
		return;
	}
	names[0] = g_strdup(ns);
	names[1] = g_strdup(room_code);
	g_task_set_task_data(task, names, (GDestroyNotify)g_strfreev);
	rc_redis_bus_presence_call(self,
				   ns,
				   room_code,
				   "list",
				   NULL,
				   rc_redis_bus_presence_listed_cb,
				   task);
}

/* ---- RcBus ------------------------------------------------------------------- */

static gboolean
rc_redis_bus_start(RcBus *bus, GError **error)
{
	RcRedisBus *self = RC_REDIS_BUS(bus);
	rc_redis_link_connect(&self->cmd);
	rc_redis_link_connect(&self->sub);
	rc_redis_link_connect(&self->ingress);
	self->claim_id = g_timeout_add_seconds(RC_REDIS_INGRESS_CLAIM_S, rc_redis_bus_claim_cb, self);
	/* a node refreshes its rooms three times per ttl: a missed beat is no death */
	self->heartbeat_id = g_timeout_add(MAX(rc_redis_bus_presence_ttl_ms(self) / 3, 100),
					   rc_redis_bus_heartbeat_cb,
					   self);
	return TRUE;
}

static void
rc_redis_bus_stop(RcBus *bus)
{
	RcRedisBus *self = RC_REDIS_BUS(bus);
	RcRedisLink *links[] = {&self->cmd, &self->sub, &self->ingress};

	self->stopping = TRUE;
	g_clear_handle_id(&self->claim_id, g_source_remove);
	g_clear_handle_id(&self->heartbeat_id, g_source_remove);
	for (guint i = 0; i < G_N_ELEMENTS(links); i++) {
		g_clear_handle_id(&links[i]->reconnect_id, g_source_remove);
		rc_redis_link_drop(links[i]);
	}
	rc_redis_bus_lost_subscriber(self);
}

static GError *
rc_redis_bus_unavailable(const GError *error, redisReply *reply)
{
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
		return g_error_new(RC_ERROR,
				   RC_ERROR_UNAVAILABLE,
				   _("Redis refused the message: %s"),
				   reply->str);
	return g_error_new_literal(RC_ERROR,
				   RC_ERROR_UNAVAILABLE,
				   _("the connection to Redis was lost: the message was not sent"));
}

static void
rc_redis_bus_published_cb(RcRedisConnection *conn,
			  redisReply *reply,
			  const GError *error,
			  gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	RcMessage *msg = g_task_get_task_data(task);

	/* {epoch, offset, duplicate} */
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_INTEGER) {
		g_task_return_error(task, rc_redis_bus_unavailable(error, reply));
		return;
	}
	rc_message_set_offset(msg, reply->element[0]->str, (guint64)reply->element[1]->integer);
	g_task_return_boolean(task, TRUE);
}

static void
rc_redis_bus_publish(RcBus *bus, RcMessage *msg, const gchar *ingress_id, GTask *task)
{
	RcRedisBus *self = RC_REDIS_BUS(bus);
	RcConfig *config = rc_bus_get_config(bus);
	const gchar *ns = rc_message_get_namespace(msg);
	const gchar *room_code = rc_message_get_room_code(msg);
	g_autofree gchar *meta = rc_redis_room_key(self->channel, RC_REDIS_KEY_META, ns, room_code);
	g_autofree gchar *history =
	    rc_redis_room_key(self->channel, RC_REDIS_KEY_HISTORY, ns, room_code);
	g_autofree gchar *seen =
	    rc_redis_room_key(self->channel, RC_REDIS_KEY_INGRESS_SEEN, ns, room_code);
	g_autofree gchar *room_channel = NULL;
	g_autofree gchar *size = g_strdup_printf("%u", rc_config_get_history_size(config));
	g_autofree gchar *ttl =
	    g_strdup_printf("%" G_GUINT64_FORMAT, (guint64)rc_config_get_history_ttl(config) * 1000);
	g_autofree gchar *epoch = rc_bus_new_epoch();
	GBytes *payload;
	gsize payload_len = 0;
	const gchar *payload_data;
	const gchar *argv[10];
	gsize lens[10];

	if (!self->cmd.ready) {
		g_task_return_new_error(task,
					RC_ERROR,
					RC_ERROR_UNAVAILABLE,
					_("Redis is unreachable: the message was not sent"));
		g_object_unref(task);
		return;
	}
	if (self->fanout == RC_FANOUT_PER_ROOM)
		room_channel = rc_redis_room_key(self->channel, RC_REDIS_KEY_CHANNEL, ns, room_code);
	payload = rc_message_get_payload(msg);
	payload_data = g_bytes_get_data(payload, &payload_len);
	argv[0] = meta;
	argv[1] = history;
	argv[2] = seen;
	argv[3] = room_channel != NULL ? room_channel : self->channel;
	/* the script closes the object after adding offset and epoch */
	argv[4] = payload_data;
	argv[5] = size;
	argv[6] = ttl;
	argv[7] = epoch;
	argv[8] = "PUBLISH";
	argv[9] = ingress_id != NULL ? ingress_id : "";
	for (guint i = 0; i < G_N_ELEMENTS(argv); i++)
		lens[i] = strlen(argv[i]);
	lens[4] = payload_len - 1;
	rc_redis_script_call(self->publish_script,
			     self->cmd.conn,
			     3,
			     G_N_ELEMENTS(argv),
			     argv,
			     lens,
			     rc_redis_bus_published_cb,
			     task);
}

static void
rc_redis_bus_read_cb(RcRedisConnection *conn,
		     redisReply *reply,
		     const GError *error,
		     gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	RcRedisBus *self = RC_REDIS_BUS(g_task_get_source_object(task));
	RcConfig *config = rc_bus_get_config(RC_BUS(self));
	g_autoptr(RcHistory) history = NULL;
	redisReply *payloads;

	/* {epoch, top, {payload, ...}} */
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_INTEGER ||
	    reply->element[2]->type != REDIS_REPLY_ARRAY) {
		g_task_return_error(task, rc_redis_bus_unavailable(error, reply));
		return;
	}
	history = rc_history_new(reply->element[0]->str, (guint64)reply->element[1]->integer);
	payloads = reply->element[2];
	for (gsize i = 0; i < payloads->elements; i++) {
		redisReply *p = payloads->element[i];
		g_autoptr(GError) error_local = NULL;
		RcMessage *msg;

		if (p->type != REDIS_REPLY_STRING)
			continue;
		msg = rc_protocol_parse_message(p->str,
						p->len,
						rc_config_get_max_text_bytes(config),
						&error_local);
		/* written by the script, so only a changed limit makes one invalid */
		if (msg == NULL) {
			g_debug("skipping a stored message: %s", error_local->message);
			continue;
		}
		g_ptr_array_add(history->messages, msg);
	}
	g_task_return_pointer(task, g_steal_pointer(&history), (GDestroyNotify)rc_history_free);
}

static void
rc_redis_bus_read_room(RcBus *bus,
		       const gchar *ns,
		       const gchar *room_code,
		       const RcHistoryRange *range,
		       GTask *task)
{
	RcRedisBus *self = RC_REDIS_BUS(bus);
	RcConfig *config = rc_bus_get_config(bus);
	g_autofree gchar *meta = rc_redis_room_key(self->channel, RC_REDIS_KEY_META, ns, room_code);
	g_autofree gchar *history =
	    rc_redis_room_key(self->channel, RC_REDIS_KEY_HISTORY, ns, room_code);
	g_autofree gchar *epoch = range->ensure_epoch ? rc_bus_new_epoch() : g_strdup("");
	g_autofree gchar *ttl =
	    g_strdup_printf("%" G_GUINT64_FORMAT, (guint64)rc_config_get_history_ttl(config) * 1000);
	g_autofree gchar *lo = g_strdup_printf("%" G_GUINT64_FORMAT, range->after + 1);
	g_autofree gchar *hi = range->before > 1
				   ? g_strdup_printf("%" G_GUINT64_FORMAT, range->before - 1)
				   : g_strdup(range->before == 1 ? "0" : "+");
	g_autofree gchar *limit = g_strdup_printf("%u", range->limit);
	const gchar *argv[] = {meta, history, epoch, ttl, lo, hi, limit, range->newest ? "1" : "0"};

	if (!self->cmd.ready) {
		g_task_return_new_error(task,
					RC_ERROR,
					RC_ERROR_UNAVAILABLE,
					_("Redis is unreachable: try again later"));
		g_object_unref(task);
		return;
	}
	rc_redis_script_call(self->read_script,
			     self->cmd.conn,
			     2,
			     G_N_ELEMENTS(argv),
			     argv,
			     NULL,
			     rc_redis_bus_read_cb,
			     task);
}

static void
rc_redis_bus_subscribe_room(RcBus *bus, const gchar *ns, const gchar *room_code, GTask *task)
{
	RcRedisBus *self = RC_REDIS_BUS(bus);
	g_autofree gchar *channel = NULL;
	RcRoomSub *rs;

	if (self->fanout != RC_FANOUT_PER_ROOM) {
		g_task_return_boolean(task, TRUE);
		g_object_unref(task);
		return;
	}
	channel = rc_redis_room_key(self->channel, RC_REDIS_KEY_CHANNEL, ns, room_code);
	rs = g_hash_table_lookup(self->room_subs, channel);
	if (rs == NULL) {
		rs = g_new0(RcRoomSub, 1);
		rs->pending = g_ptr_array_new_with_free_func(g_object_unref);
		g_hash_table_insert(self->room_subs, g_strdup(channel), rs);
	}
	rs->wanted = TRUE;
	if (rs->subscribed || !self->sub.open) {
		/* while the subscriber is down the room is subscribed with everything else */
		g_task_return_boolean(task, TRUE);
		g_object_unref(task);
		return;
	}
	g_ptr_array_add(rs->pending, task);
	rc_redis_bus_send_sub(self, "SUBSCRIBE", channel);
}

static void
rc_redis_bus_unsubscribe_room(RcBus *bus, const gchar *ns, const gchar *room_code)
{
	RcRedisBus *self = RC_REDIS_BUS(bus);
	g_autofree gchar *channel = NULL;
	RcRoomSub *rs;

	if (self->fanout != RC_FANOUT_PER_ROOM)
		return;
	channel = rc_redis_room_key(self->channel, RC_REDIS_KEY_CHANNEL, ns, room_code);
	rs = g_hash_table_lookup(self->room_subs, channel);
	if (rs == NULL)
		return;
	rs->wanted = FALSE;
	rs->subscribed = FALSE;
	rc_room_sub_complete(rs);
	if (self->sub.open)
		rc_redis_bus_send_sub(self, "UNSUBSCRIBE", channel);
	g_hash_table_remove(self->room_subs, channel);
}

static void
rc_redis_bus_finalize(GObject *object)
{
	RcRedisBus *self = RC_REDIS_BUS(object);
	rc_redis_bus_stop(RC_BUS(self));
	g_hash_table_unref(self->room_subs);
	g_hash_table_unref(self->presence);
	rc_redis_script_free(self->publish_script);
	rc_redis_script_free(self->read_script);
	rc_redis_script_free(self->presence_script);
	rc_redis_endpoint_free(self->endpoint);
	g_free(self->display);
	g_free(self->channel);
	g_free(self->ingress_stream);
	G_OBJECT_CLASS(rc_redis_bus_parent_class)->finalize(object);
}

static void
rc_redis_bus_class_init(RcRedisBusClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	RcBusClass *bus_class = RC_BUS_CLASS(klass);

	object_class->finalize = rc_redis_bus_finalize;
	bus_class->start = rc_redis_bus_start;
	bus_class->stop = rc_redis_bus_stop;
	bus_class->publish = rc_redis_bus_publish;
	bus_class->read_room = rc_redis_bus_read_room;
	bus_class->subscribe_room = rc_redis_bus_subscribe_room;
	bus_class->unsubscribe_room = rc_redis_bus_unsubscribe_room;
	bus_class->ack_ingress = rc_redis_bus_ack_ingress;
	bus_class->presence_join = rc_redis_bus_presence_join;
	bus_class->presence_leave = rc_redis_bus_presence_leave;
	bus_class->presence_list = rc_redis_bus_presence_list;
}

static void
rc_redis_bus_init(RcRedisBus *self)
{
	RcRedisLink *links[] = {&self->cmd, &self->sub, &self->ingress};
	const gchar *names[] = {"command", "subscriber", "ingress"};
	void (*ready[])(RcRedisLink *) = {rc_redis_bus_cmd_ready,
					   rc_redis_bus_sub_ready,
					   rc_redis_bus_ingress_ready};

	for (guint i = 0; i < G_N_ELEMENTS(links); i++) {
		links[i]->bus = self;
		links[i]->name = names[i];
		links[i]->on_ready = ready[i];
	}
	self->publish_script = rc_redis_script_new_from_resource("/org/roomcast/lua/publish.lua");
	self->read_script = rc_redis_script_new_from_resource("/org/roomcast/lua/read.lua");
	self->presence_script = rc_redis_script_new_from_resource("/org/roomcast/lua/presence.lua");
	self->presence = g_hash_table_new_full(g_str_hash,
					       g_str_equal,
					       g_free,
					       (GDestroyNotify)rc_presence_room_free);
	self->room_subs =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)rc_room_sub_free);
}

RcBus *
rc_redis_bus_new(RcConfig *config, GError **error)
{
	g_autoptr(RcRedisBus) self = g_object_new(RC_TYPE_REDIS_BUS, "config", config, NULL);

	self->endpoint = rc_redis_endpoint_parse(rc_config_get_redis_url(config), error);
	if (self->endpoint == NULL)
		return NULL;
	self->endpoint->timeout_ms = rc_config_get_redis_timeout(config) * 1000;
	self->display = rc_redis_endpoint_to_display_string(self->endpoint);
	/* pub/sub channels are global to the server, so the database number has no effect */
	self->channel = g_strdup(rc_config_get_channel(config));
	self->ingress_stream = rc_redis_ingress_stream(self->channel);
	self->fanout = rc_config_get_fanout(config);
	return RC_BUS(g_steal_pointer(&self));
}
