/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcRedisBus"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "bus/rc-redis-bus.h"
#include "bus/rc-redis-keys.h"
#include "bus/rc-redis-link.h"
#include "bus/rc-redis-router.h"
#include "bus/rc-redis-script.h"
#include "protocol/rc-protocol.h"
#include "rc-error.h"
#include "rc-metrics.h"

/* the ingress stream: entries read per call, and when another node's are taken over */
#define RC_REDIS_INGRESS_BATCH "64"
#define RC_REDIS_INGRESS_CLAIM_S 5
#define RC_REDIS_INGRESS_IDLE_MS "15000"
#define RC_REDIS_INGRESS_GROUP "roomcast"
/* a room whose sharded subscription was refused (its slot moving) tries again after */
#define RC_REDIS_RESUBSCRIBE_MS 500

/* a room channel this node wants (or is leaving) */
typedef struct {
	gchar *channel;
	gchar *ns;
	gchar *room_code;
	gboolean wanted;
	gboolean subscribed;
	gboolean subscribing; /* a SUBSCRIBE or SSUBSCRIBE is under way */
	gboolean awaiting;    /* its subscriber is connecting (one Redis: its SUBSCRIBE of
			       * every channel is unanswered): its joins wait */
	gboolean resync;      /* the subscription was lost: read what it missed once back */
	gchar *shard;	      /* on a cluster: the master it is subscribed on (or asked) */
	GPtrArray *pending;   /* GTask waiting for the subscription */
} RcRoomSub;

/* a subscriber link and the master it is on (NULL: not a cluster's room link) */
typedef struct {
	RcRedisBus *bus;
	gchar *address;
	RcRedisLink *link;
} RcShardSub;

struct _RcRedisBus {
	RcBus parent_instance;
	RcRedisRouter *router;
	gboolean cluster;
	gboolean was_connected; /* a connected state after this one is a reconnect */
	gchar *display;
	gchar *channel;
	gchar *ingress_stream;
	RcFanout fanout;
	const gchar *publish_verb; /* PUBLISH, or SPUBLISH for the room channels of a cluster */
	RcRedisScript *publish_script;
	RcRedisScript *read_script;
	RcRedisScript *presence_script;
	/* one Redis: the ingress channel and (per-room fanout) the rooms' channels;
	 * a cluster: the ingress channel only */
	RcRedisLink *sub;
	RcShardSub main_sub;	/* the push context of @sub */
	GHashTable *shard_subs; /* cluster: master address → RcShardSub (SSUBSCRIBE) */
	RcRedisLink *ingress;	/* reads the ingress stream */
	gboolean ingress_ready;
	gchar *url_password; /* the first URL's, for when [redis] password_file goes away */
	gchar *password;     /* the one in use */
	gchar *logged_error; /* the last reason logged, so that retries do not repeat it */
	gboolean stopping;
	guint claim_id;
	guint resubscribe_id;
	GQueue limbo; /* RcPublish whose answer was lost */
	guint limbo_id;
	GHashTable *room_subs; /* channel → RcRoomSub */
	GHashTable *presence;  /* "NS\nROOM" → RcPresenceRoom */
	guint heartbeat_id;
	guint presence_retry_id;
};

G_DEFINE_TYPE(RcRedisBus, rc_redis_bus, RC_TYPE_BUS)

static void rc_redis_bus_read_ingress(RcRedisBus *self, const gchar *from);
static void rc_redis_bus_presence_sync_up(RcRedisBus *self);
typedef struct _RcPublish RcPublish;
static void rc_publish_fail(RcPublish *p, GError *error);
static void rc_redis_bus_update_error(RcRedisBus *self);
static void rc_redis_bus_sync_subscriptions(RcRedisBus *self);

/* a password should not linger in freed memory */
static void
rc_redis_secret_free(gchar *secret)
{
	if (secret != NULL)
		explicit_bzero(secret, strlen(secret));
	g_free(secret);
}

/* ---- state ------------------------------------------------------------------- */

static void
rc_redis_bus_update_state(RcRedisBus *self)
{
	guint n = rc_redis_router_get_n_shards(self->router);
	guint up = rc_redis_router_get_n_shards_up(self->router);
	gboolean sub = rc_redis_link_is_ready(self->sub);
	RcBusState state;
	RcBusState old = rc_bus_get_state(RC_BUS(self));

	if (up == n && sub)
		state = RC_BUS_STATE_CONNECTED;
	else if (!self->cluster || up == 0)
		state = RC_BUS_STATE_DISCONNECTED;
	else
		state = RC_BUS_STATE_DEGRADED;
	rc_bus_set_shards(RC_BUS(self), up, n - up);
	if (state == old) {
		rc_redis_bus_update_error(self);
		return;
	}
	if (state == RC_BUS_STATE_CONNECTED) {
		g_message("connected to Redis at %s, subscribed to %s", self->display, self->channel);
		/* once per outage, however many links it took down */
		if (self->was_connected)
			rc_metrics_count_redis_reconnect();
		self->was_connected = TRUE;
	} else if (state == RC_BUS_STATE_DEGRADED && old == RC_BUS_STATE_CONNECTED && up < n)
		g_warning("Redis Cluster at %s: %u of %u shards unreachable", self->display, n - up, n);
	else if (state == RC_BUS_STATE_DEGRADED && old == RC_BUS_STATE_CONNECTED)
		g_warning("Redis Cluster at %s: the subscription to %s is down: reconnecting",
			  self->display,
			  self->channel);
	else if (state == RC_BUS_STATE_DEGRADED)
		g_debug("Redis Cluster at %s: %u of %u shards reachable", self->display, up, n);
	else
		g_warning("Redis at %s is unreachable: reconnecting", self->display);
	rc_bus_set_state(RC_BUS(self), state);
	rc_redis_bus_update_error(self);
}

/* The reason, Redis' or the network's own words, is logged once per outage and
 * cause, not once per retry of every link; /healthz and D-Bus show it meanwhile. */
static void
rc_redis_bus_update_error(RcRedisBus *self)
{
	RcBusState state = rc_bus_get_state(RC_BUS(self));
	const gchar *error = NULL;
	const GError *link_error;

	if (state != RC_BUS_STATE_CONNECTED && !self->stopping) {
		if ((link_error = rc_redis_link_get_error(self->sub)) != NULL)
			error = link_error->message;
		else if ((error = rc_redis_router_get_error(self->router)) != NULL)
			;
		else if ((link_error = rc_redis_link_get_error(self->ingress)) != NULL)
			error = link_error->message;
	}
	if (state == RC_BUS_STATE_CONNECTED)
		g_clear_pointer(&self->logged_error, g_free);
	if (error != NULL && g_strcmp0(error, self->logged_error) != 0) {
		g_warning("%s", error);
		g_free(self->logged_error);
		self->logged_error = g_strdup(error);
	}
	rc_bus_set_error(RC_BUS(self), error);
}

/* ---- subscriptions ------------------------------------------------------------ */

static void
rc_room_sub_free(RcRoomSub *rs)
{
	g_ptr_array_unref(rs->pending);
	g_free(rs->channel);
	g_free(rs->ns);
	g_free(rs->room_code);
	g_free(rs->shard);
	g_free(rs);
}

/* joins waiting for the subscription go on: subscribed or not (Redis away), the
 * room learns what it missed when the subscription is back */
static void
rc_room_sub_complete(RcRoomSub *rs)
{
	g_autoptr(GPtrArray) pending = g_steal_pointer(&rs->pending);
	rs->pending = g_ptr_array_new_with_free_func(g_object_unref);
	/* joins that go on unsubscribed: once the subscription comes, the room reads
	 * what was published before it (nothing later may reveal the gap) */
	if (!rs->subscribed && pending->len > 0)
		rs->resync = TRUE;
	for (guint i = 0; i < pending->len; i++)
		g_task_return_boolean(g_ptr_array_index(pending, i), TRUE);
}

static void
rc_room_sub_lost(RcRoomSub *rs)
{
	if (rs->subscribed)
		rs->resync = TRUE;
	rs->subscribed = FALSE;
	rs->subscribing = FALSE;
	rs->awaiting = FALSE;
	rc_room_sub_complete(rs);
}

static void
rc_redis_bus_room_confirmed(RcRedisBus *self, RcRoomSub *rs)
{
	gboolean resync = rs->resync;

	rs->subscribing = FALSE;
	rs->subscribed = TRUE;
	rs->resync = FALSE;
	rc_room_sub_complete(rs);
	if (resync)
		rc_bus_emit_room_resubscribed(RC_BUS(self), rs->ns, rs->room_code);
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

static gboolean
rc_redis_bus_resubscribe_cb(gpointer user_data)
{
	RcRedisBus *self = RC_REDIS_BUS(user_data);
	self->resubscribe_id = 0;
	rc_redis_bus_sync_subscriptions(self);
	return G_SOURCE_REMOVE;
}

static void
rc_redis_bus_resubscribe_later(RcRedisBus *self)
{
	if (self->resubscribe_id == 0 && !self->stopping)
		self->resubscribe_id =
		    g_timeout_add(RC_REDIS_RESUBSCRIBE_MS, rc_redis_bus_resubscribe_cb, self);
}

static void
rc_redis_bus_push_cb(RcRedisConnection *conn, redisReply *push, gpointer user_data)
{
	RcShardSub *ss = user_data;
	RcRedisBus *self = ss->bus;
	redisReply *kind, *channel;
	RcRoomSub *rs;

	if (push->type != REDIS_REPLY_ARRAY || push->elements < 2)
		return;
	kind = push->element[0];
	channel = push->element[1];
	if (kind->type != REDIS_REPLY_STRING || channel->type != REDIS_REPLY_STRING)
		return;
	if (push->elements >= 3 && push->element[2]->type == REDIS_REPLY_STRING &&
	    (strcmp(kind->str, "message") == 0 || strcmp(kind->str, "smessage") == 0)) {
		rc_redis_bus_handle_payload(self,
					    channel->str,
					    push->element[2]->str,
					    push->element[2]->len);
		return;
	}
	/* Redis drops the sharded subscriptions of a slot that moved to another master
	 * with a "sunsubscribe" nobody asked for */
	if (ss->address == NULL || strcmp(kind->str, "sunsubscribe") != 0)
		return;
	rs = g_hash_table_lookup(self->room_subs, channel->str);
	if (rs != NULL && rs->wanted && rs->subscribed && g_strcmp0(rs->shard, ss->address) == 0) {
		g_debug("%s left %s: its slot moved", channel->str, ss->address);
		rc_room_sub_lost(rs);
		rc_redis_router_refresh(self->router);
		rc_redis_bus_resubscribe_later(self);
	}
}

typedef struct {
	RcRedisBus *bus;
	gchar *channel;
	gchar *address;
} RcSubscribeCall;

static void
rc_redis_bus_room_subscribed_cb(RcRedisConnection *conn,
				redisReply *reply,
				const GError *error,
				gpointer user_data)
{
	RcSubscribeCall *call = user_data;
	RcRedisBus *self = call->bus;
	RcRoomSub *rs = g_hash_table_lookup(self->room_subs, call->channel);

	/* NULL: the link is lost, and all is subscribed again when it is back */
	if (reply != NULL && rs != NULL && rs->wanted && rs->subscribing &&
	    g_strcmp0(rs->shard, call->address) == 0) {
		if (reply->type == REDIS_REPLY_ERROR) {
			/* -MOVED: the slot is on another master now */
			g_debug("subscribing to %s refused: %s", call->channel, reply->str);
			rs->subscribing = FALSE;
			rc_redis_router_refresh(self->router);
			rc_redis_bus_resubscribe_later(self);
		} else {
			rc_redis_bus_room_confirmed(self, rs);
		}
	}
	g_object_unref(call->bus);
	g_free(call->channel);
	g_free(call->address);
	g_free(call);
}

static void
rc_redis_bus_send_subscribe(RcRedisBus *self, RcShardSub *ss, RcRoomSub *rs)
{
	RcSubscribeCall *call = g_new0(RcSubscribeCall, 1);

	call->bus = g_object_ref(self);
	call->channel = g_strdup(rs->channel);
	call->address = g_strdup(ss->address);
	rs->subscribing = TRUE;
	rs->awaiting = FALSE;
	rc_redis_connection_command(rc_redis_link_get_connection(ss->link),
				    rc_redis_bus_room_subscribed_cb,
				    call,
				    ss->address != NULL ? "SSUBSCRIBE" : "SUBSCRIBE",
				    rs->channel,
				    NULL);
}

static void
rc_redis_bus_send_unsubscribe(RcShardSub *ss, const gchar *channel)
{
	RcRedisConnection *conn = ss != NULL ? rc_redis_link_get_connection(ss->link) : NULL;
	if (conn != NULL)
		rc_redis_connection_command(conn,
					    NULL,
					    NULL,
					    ss->address != NULL ? "SUNSUBSCRIBE" : "UNSUBSCRIBE",
					    channel,
					    NULL);
}

/* ---- one Redis: the subscriber ------------------------------------------------ */

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
	rc_redis_link_set_ready(self->sub, TRUE);
	rc_redis_bus_update_state(self);
	if (self->cluster)
		return;
	g_hash_table_iter_init(&iter, self->room_subs);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		RcRoomSub *rs = value;
		if (!rs->wanted)
			continue;
		if (rs->subscribing) {
			rs->subscribing = FALSE;
			rs->subscribed = TRUE;
			rs->resync = FALSE;
			rc_room_sub_complete(rs);
		} else if (!rs->subscribed) {
			/* joined after that SUBSCRIBE went out: not in it */
			rc_redis_bus_send_subscribe(self, &self->main_sub, rs);
		}
	}
	/* what was published while the subscription was down never came (and rooms
	 * joined before Redis was first reached do not know where they stand) */
	rc_bus_emit_resubscribed(RC_BUS(self));
}

/* one SUBSCRIBE for everything: its reply comes once every channel is confirmed */
static void
rc_redis_bus_sub_opened_cb(RcRedisLink *link, RcRedisBus *self)
{
	RcRedisConnection *conn = rc_redis_link_get_connection(link);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	GHashTableIter iter;
	gpointer key, value;

	rc_redis_connection_set_push_handler(conn, rc_redis_bus_push_cb, &self->main_sub, NULL);
	g_ptr_array_add(argv, (gpointer) "SUBSCRIBE");
	g_ptr_array_add(argv, self->channel);
	g_hash_table_iter_init(&iter, self->room_subs);
	while (!self->cluster && g_hash_table_iter_next(&iter, &key, &value)) {
		RcRoomSub *rs = value;
		if (rs->wanted) {
			rs->subscribing = TRUE;
			g_ptr_array_add(argv, key);
		}
	}
	rc_redis_connection_command_argv(conn,
					 argv->len,
					 (const gchar *const *)argv->pdata,
					 NULL,
					 rc_redis_bus_resubscribed_cb,
					 g_object_ref(self));
}

static void
rc_redis_bus_sub_lost_cb(RcRedisLink *link, RcRedisBus *self)
{
	GHashTableIter iter;
	gpointer value;

	if (!self->cluster) {
		g_hash_table_iter_init(&iter, self->room_subs);
		while (g_hash_table_iter_next(&iter, NULL, &value))
			rc_room_sub_lost(value);
	} else {
		/* classic pub/sub reaches every node of a cluster: any master that answers */
		const RcRedisEndpoint *ep =
		    rc_redis_router_get_endpoint_for_key(self->router, self->channel);
		if (ep != NULL && !rc_redis_endpoint_equal_address(ep, rc_redis_link_get_endpoint(link)))
			rc_redis_link_set_endpoint(link, ep);
	}
	rc_redis_bus_update_state(self);
}

/* ---- a cluster: sharded subscribers ------------------------------------------- */

static void
rc_shard_sub_opened_cb(RcRedisLink *link, RcShardSub *ss)
{
	RcRedisBus *self = ss->bus;
	GHashTableIter iter;
	gpointer value;

	rc_redis_connection_set_push_handler(rc_redis_link_get_connection(link),
					     rc_redis_bus_push_cb,
					     ss,
					     NULL);
	rc_redis_link_set_ready(link, TRUE);
	/* one SSUBSCRIBE per room: channels of different slots cannot share one */
	g_hash_table_iter_init(&iter, self->room_subs);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		RcRoomSub *rs = value;
		if (rs->wanted && !rs->subscribed && !rs->subscribing &&
		    g_strcmp0(rs->shard, ss->address) == 0)
			rc_redis_bus_send_subscribe(self, ss, rs);
	}
}

static void
rc_shard_sub_lost_cb(RcRedisLink *link, RcShardSub *ss)
{
	RcRedisBus *self = ss->bus;
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, self->room_subs);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		RcRoomSub *rs = value;
		if (g_strcmp0(rs->shard, ss->address) == 0)
			rc_room_sub_lost(rs);
	}
	rc_redis_router_refresh(self->router);
	rc_redis_bus_update_error(self);
}

static void
rc_shard_sub_free(RcShardSub *ss)
{
	g_signal_handlers_disconnect_by_data(ss->link, ss);
	rc_redis_link_stop(ss->link);
	g_object_unref(ss->link);
	g_free(ss->address);
	g_free(ss);
}

static RcShardSub *
rc_redis_bus_get_shard_sub(RcRedisBus *self, const gchar *address, const RcRedisEndpoint *ep)
{
	RcShardSub *ss = g_hash_table_lookup(self->shard_subs, address);
	g_autofree gchar *name = NULL;

	if (ss != NULL)
		return ss;
	ss = g_new0(RcShardSub, 1);
	ss->bus = self;
	ss->address = g_strdup(address);
	name = g_strdup_printf("subscriber %s", address);
	ss->link = rc_redis_link_new(name, ep);
	g_signal_connect(ss->link, "opened", G_CALLBACK(rc_shard_sub_opened_cb), ss);
	g_signal_connect(ss->link, "lost", G_CALLBACK(rc_shard_sub_lost_cb), ss);
	g_hash_table_insert(self->shard_subs, ss->address, ss);
	rc_redis_link_start(ss->link);
	return ss;
}

/* puts every wanted room on the master that serves its slot now */
static void
rc_redis_bus_sync_subscriptions(RcRedisBus *self)
{
	GHashTableIter iter;
	gpointer key, value;

	if (!self->cluster || self->stopping)
		return;
	g_hash_table_iter_init(&iter, self->room_subs);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		RcRoomSub *rs = value;
		const gchar *address = rc_redis_router_get_shard_for_key(self->router, rs->channel);
		RcShardSub *ss;

		if (!rs->wanted)
			continue;
		if (g_strcmp0(address, rs->shard) != 0) {
			/* a room new here has lost nothing: its joins wait for its first
			 * subscription */
			if (rs->shard != NULL) {
				if (rs->subscribed || rs->subscribing)
					rc_redis_bus_send_unsubscribe(
					    g_hash_table_lookup(self->shard_subs, rs->shard),
					    rs->channel);
				rc_room_sub_lost(rs);
			}
			g_free(rs->shard);
			rs->shard = g_strdup(address);
		}
		if (address == NULL || rs->subscribed || rs->subscribing)
			continue;
		ss = rc_redis_bus_get_shard_sub(
		    self,
		    address,
		    rc_redis_router_get_endpoint_for_key(self->router, rs->channel));
		if (rc_redis_link_is_ready(ss->link))
			rc_redis_bus_send_subscribe(self, ss, rs);
		else if (rc_redis_link_get_attempts(ss->link) == 0)
			/* its first connect is under way: worth waiting for, so that the
			 * join is subscribed as it would be on one Redis (a subscriber that
			 * failed or waits to reconnect lets it go on, and the room reads
			 * what it missed once subscribed) */
			rs->awaiting = TRUE;
	}
	/* subscribers on masters that serve nothing any more */
	g_hash_table_iter_init(&iter, self->shard_subs);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		if (!rc_redis_router_has_shard(self->router, key))
			g_hash_table_iter_remove(&iter);
	}
}

static void
rc_redis_bus_router_changed_cb(RcRedisRouter *router, RcRedisBus *self)
{
	const RcRedisEndpoint *ep;

	rc_redis_bus_update_state(self);
	/* the layout changed, or a shard went up or down */
	rc_redis_bus_presence_sync_up(self);
	if (!self->cluster)
		return;
	rc_redis_bus_sync_subscriptions(self);
	/* the ingress links follow the masters they need */
	ep = rc_redis_router_get_endpoint_for_key(router, self->channel);
	if (ep != NULL && !rc_redis_link_is_open(self->sub) &&
	    !rc_redis_endpoint_equal_address(ep, rc_redis_link_get_endpoint(self->sub)))
		rc_redis_link_set_endpoint(self->sub, ep);
	if (ep != NULL && !self->stopping)
		rc_redis_link_start(self->sub);
	ep = rc_redis_router_get_endpoint_for_key(router, self->ingress_stream);
	if (ep != NULL &&
	    !rc_redis_endpoint_equal_address(ep, rc_redis_link_get_endpoint(self->ingress))) {
		rc_redis_link_set_endpoint(self->ingress, ep);
		rc_redis_link_reset(self->ingress);
	}
	if (ep != NULL && !self->stopping)
		rc_redis_link_start(self->ingress);
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
		/* the engine counts and acknowledges an entry without a message too */
		payload = message != NULL ? g_bytes_new(message->str, message->len)
					  : g_bytes_new_static("", 0);
		rc_bus_emit_ingress(RC_BUS(self), entry->element[0]->str, payload);
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

	if (reply == NULL || rc_redis_link_get_connection(self->ingress) != conn)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		/* NOGROUP after a FLUSHALL: the group is created again on the next connect;
		 * MOVED: the stream's slot went to another master */
		g_debug("ingress: %s", reply->str);
		if (self->cluster)
			rc_redis_router_refresh(self->router);
		rc_redis_link_reset(self->ingress);
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

	RcRedisConnection *conn = rc_redis_link_get_connection(self->ingress);

	if (conn == NULL)
		return;
	rc_redis_connection_command(conn,
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
	const gchar *argv[] = {"XAUTOCLAIM",
			       self->ingress_stream,
			       RC_REDIS_INGRESS_GROUP,
			       rc_bus_get_node_id(RC_BUS(self)),
			       RC_REDIS_INGRESS_IDLE_MS,
			       "0-0",
			       "COUNT",
			       RC_REDIS_INGRESS_BATCH};

	if (rc_redis_router_key_is_up(self->router, self->ingress_stream))
		rc_redis_router_command(self->router,
					self->ingress_stream,
					NULL,
					0,
					G_N_ELEMENTS(argv),
					argv,
					NULL,
					rc_redis_bus_claimed_cb,
					g_object_ref(self));
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

	if (reply == NULL || rc_redis_link_get_connection(self->ingress) != conn)
		return;
	/* BUSYGROUP: another node (or an earlier start) created it */
	if (reply->type == REDIS_REPLY_ERROR && !g_str_has_prefix(reply->str, "BUSYGROUP"))
		g_warning("cannot create the ingress consumer group: %s", reply->str);
	/* our own pending entries first (once, from "0"): a restarted node finishes what
	 * it began; then new ones (">") */
	rc_redis_bus_read_ingress(self, "0");
	rc_redis_link_set_ready(self->ingress, TRUE);
}

static void
rc_redis_bus_ingress_opened_cb(RcRedisLink *link, RcRedisBus *self)
{
	rc_redis_connection_command(rc_redis_link_get_connection(link),
				    rc_redis_bus_group_created_cb,
				    g_object_ref(self),
				    "XGROUP",
				    "CREATE",
				    self->ingress_stream,
				    RC_REDIS_INGRESS_GROUP,
				    /* entries written before any node ran wait for it */
				    "0",
				    "MKSTREAM",
				    NULL);
}

static void
rc_redis_bus_ack_ingress(RcBus *bus, const gchar *id)
{
	RcRedisBus *self = RC_REDIS_BUS(bus);
	const gchar *argv[] = {"XACK", self->ingress_stream, RC_REDIS_INGRESS_GROUP, id};

	/* an entry not acknowledged now is delivered again: publishing it twice is harmless */
	rc_redis_router_command(self->router,
				self->ingress_stream,
				NULL,
				0,
				G_N_ELEMENTS(argv),
				argv,
				NULL,
				NULL,
				NULL);
}

static void
rc_redis_bus_ingress_lost_cb(RcRedisLink *link, RcRedisBus *self)
{
	const RcRedisEndpoint *ep;

	rc_redis_bus_update_error(self);
	if (!self->cluster)
		return;
	ep = rc_redis_router_get_endpoint_for_key(self->router, self->ingress_stream);
	if (ep != NULL && !rc_redis_endpoint_equal_address(ep, rc_redis_link_get_endpoint(link)))
		rc_redis_link_set_endpoint(link, ep);
}

/* ---- presence ------------------------------------------------------------------ */

/* this node's members of one room, as written to Redis */
typedef struct {
	gchar *ns;
	gchar *room_code;
	gchar *redis_key; /* its presence hash, which decides where it lives */
	GHashTable *entries; /* client → RcPresence */
	gboolean written;    /* its shard was up when the entries were last written */
} RcPresenceRoom;

static void
rc_presence_room_free(RcPresenceRoom *room)
{
	g_free(room->ns);
	g_free(room->room_code);
	g_free(room->redis_key);
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

	if (self->fanout == RC_FANOUT_PER_ROOM || self->cluster)
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
	g_ptr_array_add(argv, (gpointer)self->publish_verb);
	g_ptr_array_add(argv, leave->str);
	for (guint i = 0; extra != NULL && i < extra->len; i++)
		g_ptr_array_add(argv, g_ptr_array_index(extra, i));
	rc_redis_router_command(self->router,
				presence,
				self->presence_script,
				2,
				argv->len,
				(const gchar *const *)argv->pdata,
				NULL,
				func,
				user_data);
}

/* writes every member of @room on this node again, without events */
typedef struct {
	RcRedisBus *bus;
	gchar *key;
} RcPresenceBeat;

/* how soon members that could not be written (a cluster still settling) are tried again */
#define RC_REDIS_PRESENCE_RETRY_MS 500

static gboolean
rc_redis_bus_presence_retry_cb(gpointer user_data)
{
	RcRedisBus *self = RC_REDIS_BUS(user_data);
	self->presence_retry_id = 0;
	rc_redis_bus_presence_sync_up(self);
	return G_SOURCE_REMOVE;
}

static void
rc_redis_bus_synced_cb(RcRedisConnection *conn,
		       redisReply *reply,
		       const GError *error,
		       gpointer user_data)
{
	RcPresenceBeat *call = user_data;
	RcRedisBus *self = call->bus;
	RcPresenceRoom *room = g_hash_table_lookup(self->presence, call->key);

	if ((reply == NULL || reply->type == REDIS_REPLY_ERROR) && room != NULL) {
		g_debug("presence of a room not written: %s",
			reply != NULL ? reply->str : error->message);
		room->written = FALSE;
		if (self->presence_retry_id == 0 && !self->stopping)
			self->presence_retry_id = g_timeout_add(RC_REDIS_PRESENCE_RETRY_MS,
								rc_redis_bus_presence_retry_cb,
								self);
	}
	g_object_unref(call->bus);
	g_free(call->key);
	g_free(call);
}

static void
rc_redis_bus_presence_sync(RcRedisBus *self, RcPresenceRoom *room)
{
	g_autoptr(GPtrArray) extra = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter iter;
	gpointer value;
	RcPresenceBeat *call = g_new0(RcPresenceBeat, 1);

	g_hash_table_iter_init(&iter, room->entries);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		g_autoptr(GBytes) entry = rc_protocol_build_presence_entry(value);
		g_ptr_array_add(extra, g_strdup(rc_presence_get_client(value)));
		g_ptr_array_add(extra, g_strndup(g_bytes_get_data(entry, NULL), g_bytes_get_size(entry)));
	}
	call->bus = g_object_ref(self);
	call->key = g_strconcat(room->ns, "\n", room->room_code, NULL);
	rc_redis_bus_presence_call(self,
				   room->ns,
				   room->room_code,
				   "sync",
				   extra,
				   rc_redis_bus_synced_cb,
				   call);
}

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
	    rc_redis_router_key_is_up(beat->bus->router, room->redis_key))
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

	g_hash_table_iter_init(&iter, self->presence);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		RcPresenceRoom *room = value;
		RcPresenceBeat *beat;
		if (!rc_redis_router_key_is_up(self->router, room->redis_key))
			continue;
		beat = g_new0(RcPresenceBeat, 1);
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

/* after a reconnect, the master may have lost everything (a restart without
 * persistence, or a replica promoted before it had all) */
/* Writes the members of every room whose shard came up since they were last
 * written: Redis may have lost them (a restart without persistence, a replica
 * promoted before it had all, a shard that was lost) */
static void
rc_redis_bus_presence_sync_up(RcRedisBus *self)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, self->presence);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		RcPresenceRoom *room = value;
		gboolean up = rc_redis_router_key_is_up(self->router, room->redis_key);
		if (up && !room->written)
			rc_redis_bus_presence_sync(self, room);
		room->written = up;
	}
}

static void
rc_redis_bus_shard_opened_cb(RcRedisRouter *router, const gchar *address, RcRedisBus *self)
{
	GHashTableIter iter;
	gpointer value;

	/* a master that connected again may have restarted: what it held is not trusted */
	g_hash_table_iter_init(&iter, self->presence);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		RcPresenceRoom *room = value;
		if (g_strcmp0(rc_redis_router_get_shard_for_key(router, room->redis_key), address) == 0)
			room->written = FALSE;
	}
	rc_redis_bus_presence_sync_up(self);
	rc_redis_bus_update_state(self);
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
	gboolean first = room == NULL;

	if (room == NULL) {
		room = g_new0(RcPresenceRoom, 1);
		room->ns = g_strdup(rc_presence_get_namespace(entry));
		room->room_code = g_strdup(rc_presence_get_room_code(entry));
		room->redis_key = rc_redis_room_key(self->channel,
						    RC_REDIS_KEY_PRESENCE,
						    room->ns,
						    room->room_code);
		room->entries = g_hash_table_new_full(g_str_hash,
						      g_str_equal,
						      g_free,
						      (GDestroyNotify)rc_presence_unref);
		g_hash_table_insert(self->presence, g_strdup(key), room);
	}
	g_hash_table_replace(room->entries,
			     g_strdup(rc_presence_get_client(entry)),
			     rc_presence_ref(entry));
	/* while Redis is away the entry waits here and is written (and announced)
	 * when it is back */
	if (!rc_redis_router_key_is_up(self->router, room->redis_key)) {
		room->written = FALSE;
		return;
	}
	room->written = TRUE;
	/* The first member here since this node had none: whatever Redis lists
	 * under this node's id in the room is not a member now. It is left by an
	 * earlier run of a node with this id (killed, then started again within
	 * the ttl, so Redis never saw the id go quiet) or by a leave Redis missed.
	 * A sync writes the new member, announces it, and removes the rest with a
	 * leave event each. */
	if (first) {
		rc_redis_bus_presence_sync(self, room);
		return;
	}
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
	if (rc_redis_router_key_is_up(self->router, room->redis_key)) {
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
	g_autofree gchar *key = rc_redis_room_key(self->channel, RC_REDIS_KEY_PRESENCE, ns, room_code);

	if (!rc_redis_router_key_is_up(self->router, key)) {
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
	rc_redis_router_start(self->router);
	/* the shards are down until they answer: counted so from the start, not
	 * only after a first change (a seed list nobody answers makes none) */
	rc_redis_bus_update_state(self);
	/* on a cluster they wait for the layout, which says where they go */
	if (!self->cluster) {
		rc_redis_link_start(self->sub);
		rc_redis_link_start(self->ingress);
	}
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
	GHashTableIter iter;
	gpointer value;

	self->stopping = TRUE;
	if (self->router == NULL)
		return; /* never made whole */
	g_clear_handle_id(&self->claim_id, g_source_remove);
	g_clear_handle_id(&self->heartbeat_id, g_source_remove);
	g_clear_handle_id(&self->presence_retry_id, g_source_remove);
	g_clear_handle_id(&self->resubscribe_id, g_source_remove);
	g_clear_handle_id(&self->limbo_id, g_source_remove);
	while (!g_queue_is_empty(&self->limbo))
		rc_publish_fail(g_queue_pop_head(&self->limbo),
				g_error_new_literal(RC_ERROR,
						    RC_ERROR_UNAVAILABLE,
						    _("Redis is unreachable: the message was not sent")));
	rc_redis_link_stop(self->sub);
	rc_redis_link_stop(self->ingress);
	g_hash_table_remove_all(self->shard_subs);
	rc_redis_router_stop(self->router);
	g_hash_table_iter_init(&iter, self->room_subs);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		rc_room_sub_lost(value);
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

/* A publish on its way. When its answer is lost (the connection dropped, or Redis
 * stalled past the timeout) Redis may have run it all the same: it waits, and once
 * Redis answers again it is sent a second time with its id, which the script looks
 * for in the room's history before it publishes anything. */
struct _RcPublish {
	RcRedisBus *bus;
	RcBusPublish *req;
	gchar *meta; /* the room's meta key: where the room lives */
	gchar *ingress_id;
	gboolean retry;
	gboolean lost; /* sent, and its answer lost */
	gint64 lost_at;
};

/* how long a publish whose answer was lost waits for Redis before it gives up */
#define RC_REDIS_PUBLISH_LIMBO_US (30 * G_USEC_PER_SEC)
#define RC_REDIS_PUBLISH_RETRY_MS 100

static void rc_redis_bus_send_publish(RcRedisBus *self, RcPublish *p);

static void
rc_publish_free(RcPublish *p)
{
	g_free(p->meta);
	g_free(p->ingress_id);
	g_free(p);
}

static void
rc_publish_fail(RcPublish *p, GError *error)
{
	rc_bus_publish_return(p->req, error);
	rc_publish_free(p);
}

static gboolean
rc_redis_bus_limbo_cb(gpointer user_data)
{
	RcRedisBus *self = RC_REDIS_BUS(user_data);
	gint64 now = g_get_monotonic_time();
	GQueue waiting = self->limbo;

	g_queue_init(&self->limbo);
	while (!g_queue_is_empty(&waiting)) {
		RcPublish *p = g_queue_pop_head(&waiting);
		if (rc_redis_router_key_is_up(self->router, p->meta)) {
			p->retry = p->lost;
			rc_redis_bus_send_publish(self, p);
		} else if (now - p->lost_at > RC_REDIS_PUBLISH_LIMBO_US) {
			rc_publish_fail(p,
					g_error_new_literal(RC_ERROR,
							    RC_ERROR_UNAVAILABLE,
							    _("Redis is unreachable: the message was not "
							      "sent")));
		} else {
			g_queue_push_tail(&self->limbo, p);
		}
	}
	if (!g_queue_is_empty(&self->limbo))
		return G_SOURCE_CONTINUE;
	self->limbo_id = 0;
	return G_SOURCE_REMOVE;
}

static void
rc_redis_bus_published_cb(RcRedisConnection *conn,
			  redisReply *reply,
			  const GError *error,
			  gpointer user_data)
{
	RcPublish *p = user_data;
	RcRedisBus *self = p->bus;
	RcMessage *msg = rc_bus_publish_get_message(p->req);

	/* sent, and the answer lost: Redis may have run it */
	if (reply == NULL && conn != NULL && !self->stopping) {
		p->lost = TRUE;
		p->lost_at = g_get_monotonic_time();
		g_queue_push_tail(&self->limbo, p);
		if (self->limbo_id == 0)
			self->limbo_id =
			    g_timeout_add(RC_REDIS_PUBLISH_RETRY_MS, rc_redis_bus_limbo_cb, self);
		return;
	}
	/* {epoch, offset, duplicate} */
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_INTEGER) {
		rc_publish_fail(p, rc_redis_bus_unavailable(error, reply));
		return;
	}
	rc_message_set_offset(msg, reply->element[0]->str, (guint64)reply->element[1]->integer);
	rc_bus_publish_return(p->req, NULL);
	rc_publish_free(p);
}

static void
rc_redis_bus_send_publish(RcRedisBus *self, RcPublish *p)
{
	RcConfig *config = rc_bus_get_config(RC_BUS(self));
	RcMessage *msg = rc_bus_publish_get_message(p->req);
	const gchar *ns = rc_message_get_namespace(msg);
	const gchar *room_code = rc_message_get_room_code(msg);
	g_autofree gchar *history = NULL;
	g_autofree gchar *seen = NULL;
	g_autofree gchar *room_channel = NULL;
	gchar size[RC_PROTOCOL_UINT64_DIGITS + 1];
	gchar ttl[RC_PROTOCOL_UINT64_DIGITS + 1];
	g_autofree gchar *epoch = rc_bus_new_epoch();
	GBytes *payload;
	gsize payload_len = 0;
	const gchar *argv[11];
	gsize lens[11];
	guint64 history_size = rc_config_get_history_size(config);
	guint n_keys = 0, argc, payload_at;

	if (self->fanout == RC_FANOUT_PER_ROOM)
		room_channel = rc_redis_room_key(self->channel, RC_REDIS_KEY_CHANNEL, ns, room_code);
	size[rc_protocol_format_uint64(size, history_size)] = '\0';
	ttl[rc_protocol_format_uint64(ttl, (guint64)rc_config_get_history_ttl(config) * 1000)] = '\0';
	payload = rc_message_get_payload(msg);
	/* only the keys the script touches (see publish.lua) */
	argv[n_keys++] = p->meta;
	if (history_size > 0) {
		history = rc_redis_room_key(self->channel, RC_REDIS_KEY_HISTORY, ns, room_code);
		argv[n_keys++] = history;
	}
	if (p->ingress_id != NULL && *p->ingress_id != '\0') {
		seen = rc_redis_room_key(self->channel, RC_REDIS_KEY_INGRESS_SEEN, ns, room_code);
		argv[n_keys++] = seen;
	}
	argc = n_keys;
	argv[argc++] = room_channel != NULL ? room_channel : self->channel;
	/* the script closes the object after adding offset and epoch */
	payload_at = argc;
	argv[argc++] = g_bytes_get_data(payload, &payload_len);
	argv[argc++] = size;
	argv[argc++] = ttl;
	argv[argc++] = epoch;
	argv[argc++] = self->publish_verb;
	argv[argc++] = p->ingress_id != NULL ? p->ingress_id : "";
	argv[argc++] = p->retry ? rc_message_get_id(msg) : "";
	for (guint i = 0; i < argc; i++)
		lens[i] = i == payload_at ? payload_len - 1 : strlen(argv[i]);
	rc_redis_router_command(self->router,
				p->meta,
				self->publish_script,
				n_keys,
				argc,
				argv,
				lens,
				rc_redis_bus_published_cb,
				p);
}

static gboolean
rc_redis_bus_room_in_limbo(RcRedisBus *self, RcMessage *msg)
{
	for (GList *l = self->limbo.head; l != NULL; l = l->next) {
		RcPublish *p = l->data;
		RcMessage *waiting = rc_bus_publish_get_message(p->req);
		if (g_str_equal(rc_message_get_room_code(waiting), rc_message_get_room_code(msg)) &&
		    g_str_equal(rc_message_get_namespace(waiting), rc_message_get_namespace(msg)))
			return TRUE;
	}
	return FALSE;
}

static void
rc_redis_bus_publish(RcBus *bus, RcBusPublish *req, const gchar *ingress_id)
{
	RcRedisBus *self = RC_REDIS_BUS(bus);
	RcMessage *msg = rc_bus_publish_get_message(req);
	g_autofree gchar *meta = rc_redis_room_key(self->channel,
						   RC_REDIS_KEY_META,
						   rc_message_get_namespace(msg),
						   rc_message_get_room_code(msg));
	RcPublish *p;

	if (!rc_redis_router_key_is_up(self->router, meta)) {
		rc_bus_publish_return(req,
				      g_error_new_literal(RC_ERROR,
							  RC_ERROR_UNAVAILABLE,
							  _("Redis is unreachable: the message was not sent")));
		return;
	}
	p = g_new0(RcPublish, 1);
	p->bus = self;
	p->req = req;
	p->meta = g_steal_pointer(&meta);
	p->ingress_id = g_strdup(ingress_id);
	/* Behind a message of the same room that waits for a second try: sent now, it
	 * could reach Redis first, and a sender's messages would get offsets out of
	 * the order they were sent in (seen after a failover). */
	if (rc_redis_bus_room_in_limbo(self, msg)) {
		p->lost_at = g_get_monotonic_time();
		g_queue_push_tail(&self->limbo, p);
		return;
	}
	rc_redis_bus_send_publish(self, p);
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

	if (!rc_redis_router_key_is_up(self->router, meta)) {
		g_task_return_new_error(task,
					RC_ERROR,
					RC_ERROR_UNAVAILABLE,
					_("Redis is unreachable: try again later"));
		g_object_unref(task);
		return;
	}
	rc_redis_router_command(self->router,
				meta,
				self->read_script,
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
		rs->channel = g_strdup(channel);
		rs->ns = g_strdup(ns);
		rs->room_code = g_strdup(room_code);
		rs->pending = g_ptr_array_new_with_free_func(g_object_unref);
		g_hash_table_insert(self->room_subs, rs->channel, rs);
	}
	rs->wanted = TRUE;
	g_ptr_array_add(rs->pending, task);
	if (self->cluster) {
		RcShardSub *ss;

		rc_redis_bus_sync_subscriptions(self);
		/* a subscriber to a master that is up but still connecting sends the
		 * SSUBSCRIBE once open (or gives up on losing it): joined waits for that,
		 * or messages published meanwhile would be missed for good */
		ss = rs->shard != NULL ? g_hash_table_lookup(self->shard_subs, rs->shard) : NULL;
		if (!rs->subscribed && !rs->subscribing && ss != NULL &&
		    !rc_redis_link_is_ready(ss->link) &&
		    rc_redis_router_key_is_up(self->router, rs->channel))
			return;
	} else if (!rs->subscribed && !rs->subscribing) {
		if (rc_redis_link_is_ready(self->sub))
			rc_redis_bus_send_subscribe(self, &self->main_sub, rs);
		else if (rc_redis_link_is_open(self->sub))
			/* the subscriber's SUBSCRIBE of every channel is out without this
			 * one: it goes once that is answered, and the join waits for it */
			rs->awaiting = TRUE;
	}
	/* while its subscriber is down the room is subscribed when it is back */
	if (rs->subscribed || (!rs->subscribing && !rs->awaiting))
		rc_room_sub_complete(rs);
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
	rc_room_sub_lost(rs);
	if (!self->cluster)
		rc_redis_bus_send_unsubscribe(&self->main_sub, channel);
	else if (rs->shard != NULL)
		rc_redis_bus_send_unsubscribe(g_hash_table_lookup(self->shard_subs, rs->shard),
					      channel);
	g_hash_table_remove(self->room_subs, channel);
}

static void
rc_redis_bus_finalize(GObject *object)
{
	RcRedisBus *self = RC_REDIS_BUS(object);
	rc_redis_bus_stop(RC_BUS(self));
	if (self->router != NULL) {
		g_signal_handlers_disconnect_by_data(self->router, self);
		g_object_unref(self->router);
	}
	if (self->sub != NULL) {
		g_signal_handlers_disconnect_by_data(self->sub, self);
		g_object_unref(self->sub);
	}
	if (self->ingress != NULL) {
		g_signal_handlers_disconnect_by_data(self->ingress, self);
		g_object_unref(self->ingress);
	}
	g_hash_table_unref(self->shard_subs);
	g_hash_table_unref(self->room_subs);
	g_hash_table_unref(self->presence);
	rc_redis_script_free(self->publish_script);
	rc_redis_script_free(self->read_script);
	rc_redis_script_free(self->presence_script);
	g_free(self->display);
	g_free(self->channel);
	g_free(self->ingress_stream);
	rc_redis_secret_free(self->url_password);
	rc_redis_secret_free(self->password);
	g_free(self->logged_error);
	G_OBJECT_CLASS(rc_redis_bus_parent_class)->finalize(object);
}

/* how often, and how long at most, a flush looks for unanswered commands */
#define RC_REDIS_FLUSH_POLL_MS 10
#define RC_REDIS_FLUSH_MAX_US (G_USEC_PER_SEC)

static gboolean
rc_redis_bus_flush_poll_cb(gpointer user_data)
{
	GTask *task = user_data;
	RcRedisBus *self = g_task_get_source_object(task);
	gint64 *deadline = g_task_get_task_data(task);

	if (rc_redis_router_get_n_pending(self->router) > 0 && g_get_monotonic_time() < *deadline)
		return G_SOURCE_CONTINUE;
	g_task_return_boolean(task, TRUE);
	return G_SOURCE_REMOVE;
}

static void
rc_redis_bus_flush(RcBus *bus, GTask *task)
{
	gint64 *deadline = g_new(gint64, 1);

	*deadline = g_get_monotonic_time() + RC_REDIS_FLUSH_MAX_US;
	g_task_set_task_data(task, deadline, g_free);
	g_timeout_add_full(G_PRIORITY_DEFAULT,
			   RC_REDIS_FLUSH_POLL_MS,
			   rc_redis_bus_flush_poll_cb,
			   task,
			   g_object_unref);
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
	bus_class->flush = rc_redis_bus_flush;
}

static void
rc_redis_bus_init(RcRedisBus *self)
{
	self->main_sub.bus = self;
	self->publish_script = rc_redis_script_new_from_resource("/org/roomcast/lua/publish.lua");
	self->read_script = rc_redis_script_new_from_resource("/org/roomcast/lua/read.lua");
	self->presence_script = rc_redis_script_new_from_resource("/org/roomcast/lua/presence.lua");
	self->presence = g_hash_table_new_full(g_str_hash,
					       g_str_equal,
					       g_free,
					       (GDestroyNotify)rc_presence_room_free);
	self->room_subs =
	    g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)rc_room_sub_free);
	self->shard_subs =
	    g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)rc_shard_sub_free);
}

/* what a URL cannot say: TLS files, the timeout, and the password of the
 * password file, which wins over the URL's */
static void
rc_redis_bus_configure_endpoint(RcRedisBus *self, RcRedisEndpoint *ep, guint timeout_ms)
{
	RcConfig *config = rc_bus_get_config(RC_BUS(self));

	ep->timeout_ms = timeout_ms;
	if (rc_config_get_redis_password(config) != NULL)
		rc_redis_endpoint_set_password(ep, rc_config_get_redis_password(config));
	g_free(ep->tls_ca_file);
	ep->tls_ca_file = g_strdup(rc_config_get_redis_tls_ca_file(config));
	g_free(ep->tls_cert_file);
	ep->tls_cert_file = g_strdup(rc_config_get_redis_tls_cert_file(config));
	g_free(ep->tls_key_file);
	ep->tls_key_file = g_strdup(rc_config_get_redis_tls_key_file(config));
}

static void
rc_redis_bus_link_set_password(RcRedisLink *link, const gchar *password)
{
	g_autoptr(RcRedisEndpoint) ep = rc_redis_endpoint_copy(rc_redis_link_get_endpoint(link));
	rc_redis_endpoint_set_password(ep, password);
	rc_redis_link_set_endpoint(link, ep);
}

void
rc_redis_bus_reload(RcRedisBus *self)
{
	RcConfig *config = rc_bus_get_config(RC_BUS(self));
	const gchar *password = rc_config_get_redis_password(config) != NULL
				    ? rc_config_get_redis_password(config)
				    : self->url_password;
	GHashTableIter iter;
	gpointer value;

	g_return_if_fail(RC_IS_REDIS_BUS(self));
	if (g_strcmp0(password, self->password) == 0)
		return;
	rc_redis_secret_free(self->password);
	self->password = g_strdup(password);
	/* open connections stay: Redis does not drop them when a password changes */
	rc_redis_router_set_password(self->router, password);
	rc_redis_bus_link_set_password(self->sub, password);
	rc_redis_bus_link_set_password(self->ingress, password);
	g_hash_table_iter_init(&iter, self->shard_subs);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		rc_redis_bus_link_set_password(((RcShardSub *)value)->link, password);
	g_message("the Redis password changed: new connections to Redis use it");
}

RcBus *
rc_redis_bus_new(RcConfig *config, GError **error)
{
	g_autoptr(RcRedisBus) self = g_object_new(RC_TYPE_REDIS_BUS, "config", config, NULL);
	const gchar *cluster = rc_config_get_redis_cluster(config);
	guint timeout_ms = rc_config_get_redis_timeout(config) * 1000;
	const RcRedisEndpoint *first;
	RcRedisScript *scripts[] = {self->publish_script, self->read_script, self->presence_script};

	self->channel = g_strdup(rc_config_get_channel(config));
	self->ingress_stream = rc_redis_ingress_stream(self->channel);
	self->fanout = rc_config_get_fanout(config);
	self->publish_verb = "PUBLISH";
	if (cluster != NULL) {
		g_autoptr(GPtrArray) seeds = rc_redis_endpoint_parse_list(cluster, error);
		if (seeds == NULL)
			return NULL;
		for (guint i = 0; i < seeds->len; i++) {
			RcRedisEndpoint *ep = g_ptr_array_index(seeds, i);
			/* the engine puts "[redis] " before the message */
			if (ep->unix_path != NULL) {
				g_set_error(error,
					    G_IO_ERROR,
					    G_IO_ERROR_INVALID_ARGUMENT,
					    _("Entry %u of the list: a Redis Cluster is reached over "
					      "TCP, not over a unix socket"),
					    i + 1);
				return NULL;
			}
			if (ep->db != 0) {
				g_set_error(error,
					    G_IO_ERROR,
					    G_IO_ERROR_INVALID_ARGUMENT,
					    _("Entry %u of the list: a Redis Cluster has no databases "
					      "to select"),
					    i + 1);
				return NULL;
			}
			if (i == 0)
				self->url_password = g_strdup(ep->password);
			rc_redis_bus_configure_endpoint(self, ep, timeout_ms);
		}
		self->cluster = TRUE;
		/* a cluster carries every room on its own sharded channel */
		self->fanout = RC_FANOUT_PER_ROOM;
		self->publish_verb = "SPUBLISH";
		self->router = rc_redis_router_new_cluster(seeds);
	} else {
		g_autoptr(RcRedisEndpoint) ep =
		    rc_redis_endpoint_parse(rc_config_get_redis_url(config), error);
		if (ep == NULL)
			return NULL;
		self->url_password = g_strdup(ep->password);
		rc_redis_bus_configure_endpoint(self, ep, timeout_ms);
		self->router = rc_redis_router_new_single(ep);
	}
	for (guint i = 0; i < G_N_ELEMENTS(scripts); i++)
		rc_redis_router_add_script(self->router, scripts[i]);
	first = rc_redis_router_get_first_endpoint(self->router);
	self->password = g_strdup(first->password);
	if (!first->tls && (rc_config_get_redis_tls_ca_file(config) != NULL ||
			    rc_config_get_redis_tls_cert_file(config) != NULL))
		g_warning("[redis] tls_ca_file, tls_cert_file and tls_key_file are only used "
			  "with rediss:// URLs: this node talks to Redis without TLS");
	self->display = rc_redis_endpoint_to_display_string(first);
	if (self->cluster) {
		g_autofree gchar *seeds = self->display;
		self->display = g_strdup_printf("%s (cluster)", seeds);
	}
	g_signal_connect(self->router, "changed", G_CALLBACK(rc_redis_bus_router_changed_cb), self);
	g_signal_connect_swapped(
	    self->router, "failed", G_CALLBACK(rc_redis_bus_update_error), self);
	g_signal_connect(self->router,
			 "shard-opened",
			 G_CALLBACK(rc_redis_bus_shard_opened_cb),
			 self);
	/* on a cluster these start on a seed node and move to the right masters */
	self->sub = rc_redis_link_new("subscriber", first);
	self->main_sub.link = self->sub;
	g_signal_connect(self->sub, "opened", G_CALLBACK(rc_redis_bus_sub_opened_cb), self);
	g_signal_connect(self->sub, "lost", G_CALLBACK(rc_redis_bus_sub_lost_cb), self);
	self->ingress = rc_redis_link_new("ingress", first);
	g_signal_connect(self->ingress, "opened", G_CALLBACK(rc_redis_bus_ingress_opened_cb), self);
	g_signal_connect(self->ingress, "lost", G_CALLBACK(rc_redis_bus_ingress_lost_cb), self);
	return RC_BUS(g_steal_pointer(&self));
}

const gchar *
rc_redis_bus_get_display(RcRedisBus *self)
{
	return self->display;
}
