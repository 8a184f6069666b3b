/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcRedisBus"

#include "config.h"

#include <glib/gi18n.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "bus/rc-redis-bus.h"
#include "protocol/rc-protocol.h"
#include "rc-error.h"

#define RC_REDIS_BACKOFF_MIN_MS 100
#define RC_REDIS_BACKOFF_MAX_MS 5000

/* hiredis' own glib adapter calls redisAsyncHandleRead() on a context that
 * redisAsyncHandleWrite() may just have freed; this source checks in between. */
typedef struct {
	GSource source;
	redisAsyncContext *ac;
	GPollFD pfd;
} RcRedisSource;

typedef struct {
	RcRedisBus *bus;
	const gchar *name; /* "publisher" / "subscriber" */
	redisAsyncContext *ac;
	gboolean connected;
	guint attempt;
	guint reconnect_id;
} RcRedisConn;

/* a room channel this node wants (or is leaving) in per-room mode */
typedef struct {
	gboolean wanted;
	gboolean subscribed;
	guint inflight; /* SUBSCRIBEs sent and not answered yet */
	GPtrArray *pending; /* GTask waiting for the subscription */
} RcRoomSub;

struct _RcRedisBus {
	RcBus parent_instance;
	gchar *host;
	guint port;
	gchar *unix_path;
	gchar *channel;
	RcFanout fanout;
	RcRedisConn pub;
	RcRedisConn sub;
	gboolean ingress_subscribed;
	gboolean stopping;
	GHashTable *room_subs; /* channel → RcRoomSub */
};

G_DEFINE_TYPE(RcRedisBus, rc_redis_bus, RC_TYPE_BUS)

static void rc_redis_bus_connect(RcRedisConn *conn);

/* Commands queued while the last iteration dispatched leave here, all in one
 * write: pipelined, and without an extra poll-and-dispatch round to write them.
 * GLib calls prepare without holding the context lock. */
static gboolean
rc_redis_source_prepare(GSource *source, gint *timeout)
{
	RcRedisSource *rs = (RcRedisSource *)source;
	*timeout = -1;
	if (rs->ac != NULL && (rs->pfd.events & G_IO_OUT) != 0 && (rs->ac->c.flags & REDIS_CONNECTED))
		redisAsyncHandleWrite(rs->ac);
	return FALSE;
}

static gboolean
rc_redis_source_check(GSource *source)
{
	RcRedisSource *rs = (RcRedisSource *)source;
	return (rs->pfd.revents & (rs->pfd.events | G_IO_ERR | G_IO_HUP)) != 0;
}

static gboolean
rc_redis_source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	RcRedisSource *rs = (RcRedisSource *)source;
	gushort revents = rs->pfd.revents;
	rs->pfd.revents = 0;
	if (rs->ac != NULL && (revents & (G_IO_OUT | G_IO_ERR)) != 0)
		redisAsyncHandleWrite(rs->ac);
	if (rs->ac != NULL && (revents & (G_IO_IN | G_IO_HUP | G_IO_ERR)) != 0)
		redisAsyncHandleRead(rs->ac);
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs rc_redis_source_funcs = {
    .prepare = rc_redis_source_prepare,
    .check = rc_redis_source_check,
    .dispatch = rc_redis_source_dispatch,
};

static void
rc_redis_source_add_read(void *data)
{
	((RcRedisSource *)data)->pfd.events |= G_IO_IN;
}

static void
rc_redis_source_del_read(void *data)
{
	((RcRedisSource *)data)->pfd.events &= ~G_IO_IN;
}

static void
rc_redis_source_add_write(void *data)
{
	((RcRedisSource *)data)->pfd.events |= G_IO_OUT;
}

static void
rc_redis_source_del_write(void *data)
{
	((RcRedisSource *)data)->pfd.events &= ~G_IO_OUT;
}

/* hiredis frees the context right after this: detach, the main context drops the source */
static void
rc_redis_source_cleanup(void *data)
{
	RcRedisSource *rs = data;
	rs->ac = NULL;
	rs->pfd.events = 0;
	g_source_destroy((GSource *)rs);
}

static void
rc_redis_source_attach(redisAsyncContext *ac)
{
	RcRedisSource *rs = (RcRedisSource *)g_source_new(&rc_redis_source_funcs, sizeof(RcRedisSource));
	g_source_set_static_name((GSource *)rs, "RcRedisSource");
	rs->ac = ac;
	rs->pfd.fd = ac->c.fd;
	g_source_add_poll((GSource *)rs, &rs->pfd);
	ac->ev.addRead = rc_redis_source_add_read;
	ac->ev.delRead = rc_redis_source_del_read;
	ac->ev.addWrite = rc_redis_source_add_write;
	ac->ev.delWrite = rc_redis_source_del_write;
	ac->ev.cleanup = rc_redis_source_cleanup;
	ac->ev.data = rs;
	g_source_attach((GSource *)rs, NULL);
	g_source_unref((GSource *)rs);
}

gchar *
rc_redis_bus_room_channel(const gchar *channel, const gchar *ns, const gchar *room_code)
{
	return g_strconcat(channel, ":", ns, ":", room_code, NULL);
}

static void
rc_room_sub_free(RcRoomSub *rs)
{
	g_ptr_array_unref(rs->pending);
	g_free(rs);
}

static void
rc_room_sub_complete(RcRoomSub *rs)
{
	for (guint i = 0; i < rs->pending->len; i++) {
		GTask *task = g_ptr_array_index(rs->pending, i);
		g_task_return_boolean(task, TRUE);
	}
	g_ptr_array_set_size(rs->pending, 0);
}

static void
rc_redis_bus_update_state(RcRedisBus *self)
{
	gboolean connected = self->pub.connected && self->sub.connected && self->ingress_subscribed;
	if (connected == (rc_bus_get_state(RC_BUS(self)) == RC_BUS_STATE_CONNECTED))
		return;
	if (connected)
		g_message("connected to Redis, subscribed to %s", self->channel);
	else
		g_warning("Redis is unreachable: reconnecting");
	rc_bus_set_state(RC_BUS(self),
			 connected ? RC_BUS_STATE_CONNECTED : RC_BUS_STATE_DISCONNECTED);
}

static void
rc_redis_bus_handle_payload(RcRedisBus *self, const gchar *channel, const gchar *data, gsize len)
{
	g_autoptr(GError) error = NULL;
	RcConfig *config = rc_bus_get_config(RC_BUS(self));
	g_autoptr(RcMessage) msg =
	    rc_protocol_parse_message(data, len, rc_config_get_max_text_bytes(config), &error);
	if (msg == NULL) {
		rc_bus_count_invalid_payload(RC_BUS(self));
		g_warning("ignoring invalid payload on %s: %s", channel, error->message);
		return;
	}
	rc_bus_emit_message(RC_BUS(self), msg);
}

static void
rc_redis_bus_on_sub_reply(redisAsyncContext *ac, void *r, void *privdata)
{
	RcRedisBus *self = privdata;
	redisReply *reply = r;
	const gchar *kind;
	const gchar *channel;

	if (reply == NULL || self->stopping)
		return;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_STRING)
		return;
	kind = reply->element[0]->str;
	channel = reply->element[1]->str;
	if (g_strcmp0(kind, "message") == 0) {
		redisReply *payload = reply->element[2];
		if (payload->type == REDIS_REPLY_STRING)
			rc_redis_bus_handle_payload(self, channel, payload->str, payload->len);
		return;
	}
	if (g_strcmp0(kind, "subscribe") == 0) {
		RcRoomSub *rs;
		if (g_strcmp0(channel, self->channel) == 0) {
			self->ingress_subscribed = TRUE;
			rc_redis_bus_update_state(self);
			return;
		}
		rs = g_hash_table_lookup(self->room_subs, channel);
		if (rs == NULL)
			return;
		if (rs->inflight > 0)
			rs->inflight--;
		if (rs->inflight > 0)
			return;
		if (rs->wanted) {
			rs->subscribed = TRUE;
			rc_room_sub_complete(rs);
		} else {
			g_hash_table_remove(self->room_subs, channel);
		}
	}
}

/* @verb is SUBSCRIBE or UNSUBSCRIBE; replies and messages all come to one callback */
static void
rc_redis_bus_send_sub_command(RcRedisBus *self, const gchar *verb, const gchar *channel)
{
	const gchar *argv[] = {verb, channel};
	const size_t lens[] = {strlen(verb), strlen(channel)};
	if (redisAsyncCommandArgv(self->sub.ac, rc_redis_bus_on_sub_reply, self, 2, argv, lens) !=
	    REDIS_OK)
		g_warning("failed to queue %s %s", verb, channel);
}

static void
rc_redis_bus_send_subscribe(RcRedisBus *self, const gchar *channel)
{
	rc_redis_bus_send_sub_command(self, "SUBSCRIBE", channel);
}

static void
rc_redis_bus_resubscribe(RcRedisBus *self)
{
	GHashTableIter iter;
	gpointer key, value;

	rc_redis_bus_send_subscribe(self, self->channel);
	g_hash_table_iter_init(&iter, self->room_subs);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		RcRoomSub *rs = value;
		rc_redis_bus_send_subscribe(self, key);
		rs->inflight++;
	}
}

static void
rc_redis_bus_schedule_reconnect(RcRedisConn *conn);

static void
rc_redis_bus_lost(RcRedisConn *conn)
{
	RcRedisBus *self = conn->bus;
	conn->ac = NULL;
	conn->connected = FALSE;
	if (conn == &self->sub) {
		GHashTableIter iter;
		gpointer value;
		self->ingress_subscribed = FALSE;
		/* joins must not hang while Redis is away: everything is resubscribed later */
		g_hash_table_iter_init(&iter, self->room_subs);
		while (g_hash_table_iter_next(&iter, NULL, &value)) {
			RcRoomSub *rs = value;
			rs->inflight = 0;
			rs->subscribed = FALSE;
			rc_room_sub_complete(rs);
			if (!rs->wanted)
				g_hash_table_iter_remove(&iter);
		}
	}
	rc_redis_bus_update_state(self);
	if (!self->stopping)
		rc_redis_bus_schedule_reconnect(conn);
}

static void
rc_redis_bus_on_connect(const redisAsyncContext *ac, int status)
{
	RcRedisConn *conn = ac->data;
	RcRedisBus *self = conn->bus;
	if (status != REDIS_OK) {
		g_debug("%s: connecting to Redis failed: %s", conn->name, ac->errstr);
		rc_redis_bus_lost(conn);
		return;
	}
	g_debug("%s connected", conn->name);
	conn->connected = TRUE;
	conn->attempt = 0;
	if (conn == &self->sub)
		rc_redis_bus_resubscribe(self);
	rc_redis_bus_update_state(self);
}

static void
rc_redis_bus_on_disconnect(const redisAsyncContext *ac, int status)
{
	RcRedisConn *conn = ac->data;
	if (conn->bus->stopping)
		return;
	g_debug("%s disconnected: %s", conn->name, status == REDIS_OK ? "closed" : ac->errstr);
	rc_redis_bus_lost(conn);
}

static gboolean
rc_redis_bus_reconnect_cb(gpointer user_data)
{
	RcRedisConn *conn = user_data;
	conn->reconnect_id = 0;
	rc_redis_bus_connect(conn);
	return G_SOURCE_REMOVE;
}

static void
rc_redis_bus_schedule_reconnect(RcRedisConn *conn)
{
	guint delay = RC_REDIS_BACKOFF_MIN_MS << MIN(conn->attempt, 6);
	delay = MIN(delay, RC_REDIS_BACKOFF_MAX_MS);
	/* jitter spreads the reconnects of many nodes after a Redis restart */
	delay = delay / 2 + g_random_int_range(0, delay / 2 + 1);
	conn->attempt++;
	if (conn->reconnect_id != 0)
		return;
	g_debug("%s: reconnecting in %u ms", conn->name, delay);
	conn->reconnect_id = g_timeout_add(delay, rc_redis_bus_reconnect_cb, conn);
}

static void
rc_redis_bus_connect(RcRedisConn *conn)
{
	RcRedisBus *self = conn->bus;
	redisAsyncContext *ac;

	if (self->unix_path != NULL)
		ac = redisAsyncConnectUnix(self->unix_path);
	else
		ac = redisAsyncConnect(self->host, (int)self->port);
	if (ac == NULL || ac->err) {
		g_debug("%s: cannot connect: %s", conn->name, ac != NULL ? ac->errstr : "out of memory");
		if (ac != NULL)
			redisAsyncFree(ac);
		rc_redis_bus_schedule_reconnect(conn);
		return;
	}
	ac->data = conn;
	conn->ac = ac;
	rc_redis_source_attach(ac);
	redisAsyncSetConnectCallback(ac, rc_redis_bus_on_connect);
	redisAsyncSetDisconnectCallback(ac, rc_redis_bus_on_disconnect);
}

static gboolean
rc_redis_bus_start(RcBus *bus, GError **error)
{
	RcRedisBus *self = RC_REDIS_BUS(bus);
	rc_redis_bus_connect(&self->pub);
	rc_redis_bus_connect(&self->sub);
	return TRUE;
}

static void
rc_redis_bus_stop(RcBus *bus)
{
	RcRedisBus *self = RC_REDIS_BUS(bus);
	RcRedisConn *conns[] = {&self->pub, &self->sub};
	self->stopping = TRUE;
	for (guint i = 0; i < G_N_ELEMENTS(conns); i++) {
		g_clear_handle_id(&conns[i]->reconnect_id, g_source_remove);
		if (conns[i]->ac != NULL) {
			redisAsyncContext *ac = conns[i]->ac;
			conns[i]->ac = NULL;
			conns[i]->connected = FALSE;
			redisAsyncFree(ac);
		}
	}
}

static void
rc_redis_bus_on_publish_reply(redisAsyncContext *ac, void *r, void *privdata)
{
	g_autoptr(GTask) task = privdata;
	redisReply *reply = r;
	if (reply == NULL) {
		g_task_return_new_error(task,
					RC_ERROR,
					RC_ERROR_UNAVAILABLE,
					_("the connection to Redis was lost: the message was not sent"));
		return;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		g_task_return_new_error(task,
					RC_ERROR,
					RC_ERROR_UNAVAILABLE,
					_("Redis refused the message: %s"),
					reply->str);
		return;
	}
	g_task_return_boolean(task, TRUE);
}

static void
rc_redis_bus_publish(RcBus *bus, RcMessage *msg, GTask *task)
{
	RcRedisBus *self = RC_REDIS_BUS(bus);
	g_autofree gchar *room_channel = NULL;
	const gchar *channel = self->channel;
	GBytes *payload;
	gsize len = 0;
	const gchar *data;

	if (rc_bus_get_state(bus) != RC_BUS_STATE_CONNECTED) {
		g_task_return_new_error(task,
					RC_ERROR,
					RC_ERROR_UNAVAILABLE,
					_("Redis is unreachable: the message was not sent"));
		g_object_unref(task);
		return;
	}
	if (self->fanout == RC_FANOUT_PER_ROOM) {
		room_channel = rc_redis_bus_room_channel(self->channel,
							 rc_message_get_namespace(msg),
							 rc_message_get_room_code(msg));
		channel = room_channel;
	}
	payload = rc_message_get_payload(msg);
	data = g_bytes_get_data(payload, &len);
	if (redisAsyncCommand(self->pub.ac,
			      rc_redis_bus_on_publish_reply,
			      task,
			      "PUBLISH %b %b",
			      channel,
			      strlen(channel),
			      data,
			      len) != REDIS_OK) {
		g_task_return_new_error(task,
					RC_ERROR,
					RC_ERROR_UNAVAILABLE,
					_("Redis is unreachable: the message was not sent"));
		g_object_unref(task);
	}
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
	channel = rc_redis_bus_room_channel(self->channel, ns, room_code);
	rs = g_hash_table_lookup(self->room_subs, channel);
	if (rs == NULL) {
		rs = g_new0(RcRoomSub, 1);
		rs->pending = g_ptr_array_new_with_free_func(g_object_unref);
		g_hash_table_insert(self->room_subs, g_strdup(channel), rs);
	}
	rs->wanted = TRUE;
	if (rs->subscribed || !self->sub.connected) {
		g_task_return_boolean(task, TRUE);
		g_object_unref(task);
		return;
	}
	g_ptr_array_add(rs->pending, task);
	rc_redis_bus_send_subscribe(self, channel);
	rs->inflight++;
}

static void
rc_redis_bus_unsubscribe_room(RcBus *bus, const gchar *ns, const gchar *room_code)
{
	RcRedisBus *self = RC_REDIS_BUS(bus);
	g_autofree gchar *channel = NULL;
	RcRoomSub *rs;

	if (self->fanout != RC_FANOUT_PER_ROOM)
		return;
	channel = rc_redis_bus_room_channel(self->channel, ns, room_code);
	rs = g_hash_table_lookup(self->room_subs, channel);
	if (rs == NULL)
		return;
	rs->wanted = FALSE;
	rs->subscribed = FALSE;
	rc_room_sub_complete(rs);
	if (self->sub.connected)
		rc_redis_bus_send_sub_command(self, "UNSUBSCRIBE", channel);
	if (rs->inflight == 0)
		g_hash_table_remove(self->room_subs, channel);
}

static void
rc_redis_bus_finalize(GObject *object)
{
	RcRedisBus *self = RC_REDIS_BUS(object);
	rc_redis_bus_stop(RC_BUS(self));
	g_hash_table_unref(self->room_subs);
	g_free(self->host);
	g_free(self->unix_path);
	g_free(self->channel);
	G_OBJECT_CLASS(rc_redis_bus_parent_class)->finalize(object);
}

static void
rc_redis_bus_class_init(RcRedisBusClass *klass)
{
	RcBusClass *bus_class = RC_BUS_CLASS(klass);
	G_OBJECT_CLASS(klass)->finalize = rc_redis_bus_finalize;
	bus_class->start = rc_redis_bus_start;
	bus_class->stop = rc_redis_bus_stop;
	bus_class->publish = rc_redis_bus_publish;
	bus_class->subscribe_room = rc_redis_bus_subscribe_room;
	bus_class->unsubscribe_room = rc_redis_bus_unsubscribe_room;
}

static void
rc_redis_bus_init(RcRedisBus *self)
{
	self->pub.bus = self;
	self->pub.name = "publisher";
	self->sub.bus = self;
	self->sub.name = "subscriber";
	self->room_subs =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)rc_room_sub_free);
}

RcBus *
rc_redis_bus_new(RcConfig *config, GError **error)
{
	g_autoptr(RcRedisBus) self = g_object_new(RC_TYPE_REDIS_BUS, "config", config, NULL);
	guint db = 0;
	if (!rc_config_parse_redis_url(rc_config_get_redis_url(config),
				       &self->host,
				       &self->port,
				       &self->unix_path,
				       &db,
				       error))
		return NULL;
	/* pub/sub channels are global to the server, so the database number has no effect */
	self->channel = g_strdup(rc_config_get_channel(config));
	self->fanout = rc_config_get_fanout(config);
	return RC_BUS(g_steal_pointer(&self));
}
