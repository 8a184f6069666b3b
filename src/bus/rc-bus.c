/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcBus"

#include "config.h"

#include "bus/rc-bus.h"

typedef struct {
	RcBusState state;
	guint shards_up;
	guint shards_down;
	RcConfig *config;
	gchar *node_id;
	gchar *error;
	guint64 invalid_payloads;
	RcBusMessageFunc message_func;
	gpointer message_data;
} RcBusPrivate;

enum { PROP_0, PROP_CONFIG, PROP_NODE_ID, PROP_LAST };
enum {
	SIGNAL_STATE_CHANGED,
	SIGNAL_RESUBSCRIBED,
	SIGNAL_ROOM_RESUBSCRIBED,
	SIGNAL_INGRESS,
	SIGNAL_PRESENCE,
	SIGNAL_LAST
};
static GParamSpec *props[PROP_LAST] = {NULL};
static guint signals[SIGNAL_LAST] = {0};

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE(RcBus, rc_bus, G_TYPE_OBJECT)
#define GET_PRIVATE(o) (rc_bus_get_instance_private(o))
gboolean
rc_bus_start(RcBus *self, GError **error)
{
	return RC_BUS_GET_CLASS(self)->start(self, error);
}

void
rc_bus_stop(RcBus *self)
{
	if (RC_BUS_GET_CLASS(self)->stop != NULL)
		RC_BUS_GET_CLASS(self)->stop(self);
}

struct _RcBusPublish {
	RcBus *bus;
	RcMessage *msg;
	RcBusPublishedFunc done;
	gpointer user_data;
	gboolean in_call; /* still inside rc_bus_publish() */
	gboolean returned;
	GError *error;
};

static void
rc_bus_publish_finish_req(RcBusPublish *req)
{
	req->done(req->bus, req->msg, req->error, req->user_data);
	g_clear_error(&req->error);
	rc_message_unref(req->msg);
	g_object_unref(req->bus);
	g_free(req);
}

static gboolean
rc_bus_publish_idle_cb(gpointer user_data)
{
	rc_bus_publish_finish_req(user_data);
	return G_SOURCE_REMOVE;
}

void
rc_bus_publish(RcBus *self,
	       RcMessage *msg,
	       const gchar *ingress_id,
	       RcBusPublishedFunc done,
	       gpointer user_data)
{
	RcBusPublish *req = g_new0(RcBusPublish, 1);

	req->bus = g_object_ref(self);
	req->msg = rc_message_ref(msg);
	req->done = done;
	req->user_data = user_data;
	req->in_call = TRUE;
	RC_BUS_GET_CLASS(self)->publish(self, req, ingress_id);
	req->in_call = FALSE;
	/* answered at once: the caller hears of it from the main loop, as from a GTask */
	if (req->returned)
		g_idle_add(rc_bus_publish_idle_cb, req);
}

RcMessage *
rc_bus_publish_get_message(RcBusPublish *req)
{
	return req->msg;
}

void
rc_bus_publish_return(RcBusPublish *req, GError *error)
{
	g_return_if_fail(!req->returned);
	req->returned = TRUE;
	req->error = error;
	if (!req->in_call)
		rc_bus_publish_finish_req(req);
}

void
rc_bus_read_room_async(RcBus *self,
		       const gchar *ns,
		       const gchar *room_code,
		       const RcHistoryRange *range,
		       GAsyncReadyCallback callback,
		       gpointer user_data)
{
	GTask *task = g_task_new(self, NULL, callback, user_data);
	g_task_set_source_tag(task, rc_bus_read_room_async);
	RC_BUS_GET_CLASS(self)->read_room(self, ns, room_code, range, task);
}

RcHistory *
rc_bus_read_room_finish(RcBus *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}

void
rc_bus_subscribe_room_async(RcBus *self,
			    const gchar *ns,
			    const gchar *room_code,
			    GAsyncReadyCallback callback,
			    gpointer user_data)
{
	GTask *task = g_task_new(self, NULL, callback, user_data);
	g_task_set_source_tag(task, rc_bus_subscribe_room_async);
	RC_BUS_GET_CLASS(self)->subscribe_room(self, ns, room_code, task);
}

gboolean
rc_bus_subscribe_room_finish(RcBus *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

void
rc_bus_unsubscribe_room(RcBus *self, const gchar *ns, const gchar *room_code)
{
	RC_BUS_GET_CLASS(self)->unsubscribe_room(self, ns, room_code);
}

void
rc_bus_ack_ingress(RcBus *self, const gchar *id)
{
	if (RC_BUS_GET_CLASS(self)->ack_ingress != NULL)
		RC_BUS_GET_CLASS(self)->ack_ingress(self, id);
}

void
rc_bus_flush_async(RcBus *self, GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = g_task_new(self, NULL, callback, user_data);
	g_task_set_source_tag(task, rc_bus_flush_async);
	if (RC_BUS_GET_CLASS(self)->flush == NULL) {
		g_task_return_boolean(task, TRUE);
		g_object_unref(task);
		return;
	}
	RC_BUS_GET_CLASS(self)->flush(self, task);
}

gboolean
rc_bus_flush_finish(RcBus *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

RcBusState
rc_bus_get_state(RcBus *self)
{
	RcBusPrivate *priv = GET_PRIVATE(self);
	return priv->state;
}

const gchar *
rc_bus_get_state_name(RcBus *self)
{
	RcBusPrivate *priv = GET_PRIVATE(self);
	switch (priv->state) {
	case RC_BUS_STATE_EMBEDDED:
		return "embedded";
	case RC_BUS_STATE_CONNECTED:
		return "connected";
	case RC_BUS_STATE_DEGRADED:
		return "degraded";
	case RC_BUS_STATE_DISCONNECTED:
	default:
		return "disconnected";
	}
}

const gchar *
rc_bus_get_node_id(RcBus *self)
{
	RcBusPrivate *priv = GET_PRIVATE(self);
	return priv->node_id != NULL ? priv->node_id : "roomcastd";
}

RcConfig *
rc_bus_get_config(RcBus *self)
{
	RcBusPrivate *priv = GET_PRIVATE(self);
	return priv->config;
}

guint64
rc_bus_get_invalid_payloads(RcBus *self)
{
	RcBusPrivate *priv = GET_PRIVATE(self);
	return priv->invalid_payloads;
}

void
rc_bus_set_state(RcBus *self, RcBusState state)
{
	RcBusPrivate *priv = GET_PRIVATE(self);
	if (priv->state == state)
		return;
	priv->state = state;
	g_signal_emit(self, signals[SIGNAL_STATE_CHANGED], 0);
}

const gchar *
rc_bus_get_error(RcBus *self)
{
	RcBusPrivate *priv = GET_PRIVATE(self);
	return priv->error;
}

void
rc_bus_set_error(RcBus *self, const gchar *error)
{
	RcBusPrivate *priv = GET_PRIVATE(self);
	if (g_strcmp0(priv->error, error) == 0)
		return;
	g_free(priv->error);
	priv->error = g_strdup(error);
	g_signal_emit(self, signals[SIGNAL_STATE_CHANGED], 0);
}

void
rc_bus_get_shards(RcBus *self, guint *up, guint *down)
{
	RcBusPrivate *priv = GET_PRIVATE(self);
	if (up != NULL)
		*up = priv->shards_up;
	if (down != NULL)
		*down = priv->shards_down;
}

void
rc_bus_set_shards(RcBus *self, guint up, guint down)
{
	RcBusPrivate *priv = GET_PRIVATE(self);
	if (priv->shards_up == up && priv->shards_down == down)
		return;
	priv->shards_up = up;
	priv->shards_down = down;
	g_signal_emit(self, signals[SIGNAL_STATE_CHANGED], 0);
}

void
rc_bus_emit_room_resubscribed(RcBus *self, const gchar *ns, const gchar *room_code)
{
	g_signal_emit(self, signals[SIGNAL_ROOM_RESUBSCRIBED], 0, ns, room_code);
}

void
rc_bus_set_message_func(RcBus *self, RcBusMessageFunc func, gpointer user_data)
{
	RcBusPrivate *priv = GET_PRIVATE(self);

	g_return_if_fail(RC_IS_BUS(self));
	priv->message_func = func;
	priv->message_data = user_data;
}

void
rc_bus_emit_message(RcBus *self, RcMessage *msg)
{
	RcBusPrivate *priv = GET_PRIVATE(self);

	if (priv->message_func != NULL)
		priv->message_func(self, msg, priv->message_data);
}

void
rc_bus_presence_join(RcBus *self, RcPresence *entry)
{
	RC_BUS_GET_CLASS(self)->presence_join(self, entry);
}

void
rc_bus_presence_leave(RcBus *self, RcPresence *entry)
{
	RC_BUS_GET_CLASS(self)->presence_leave(self, entry);
}

void
rc_bus_presence_list_async(RcBus *self,
			   const gchar *ns,
			   const gchar *room_code,
			   GAsyncReadyCallback callback,
			   gpointer user_data)
{
	GTask *task = g_task_new(self, NULL, callback, user_data);
	g_task_set_source_tag(task, rc_bus_presence_list_async);
	RC_BUS_GET_CLASS(self)->presence_list(self, ns, room_code, task);
}

GPtrArray *
rc_bus_presence_list_finish(RcBus *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}

void
rc_bus_emit_presence(RcBus *self, RcPresence *event)
{
	g_signal_emit(self, signals[SIGNAL_PRESENCE], 0, event);
}

void
rc_bus_emit_resubscribed(RcBus *self)
{
	g_signal_emit(self, signals[SIGNAL_RESUBSCRIBED], 0);
}

void
rc_bus_emit_ingress(RcBus *self, const gchar *id, GBytes *payload)
{
	g_signal_emit(self, signals[SIGNAL_INGRESS], 0, id, payload);
}

gchar *
rc_bus_new_epoch(void)
{
	static const gchar alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	/* every publish makes one for the script in case the room has none yet:
	 * three draws of GLib's locked generator, four digits each, instead of
	 * one per digit (its ranges are unbiased; digits cut from one 64-bit draw
	 * would not be, 2^64 not being a multiple of 36^12) */
	gchar epoch[13];

	for (guint i = 0; i < sizeof(epoch) - 1; i += 4) {
		guint32 four = (guint32)g_random_int_range(0, 36 * 36 * 36 * 36);
		for (guint j = 0; j < 4; j++) {
			epoch[i + j] = alphabet[four % 36];
			four /= 36;
		}
	}
	epoch[sizeof(epoch) - 1] = '\0';
	return g_strdup(epoch);
}

void
rc_bus_count_invalid_payload(RcBus *self)
{
	RcBusPrivate *priv = GET_PRIVATE(self);
	priv->invalid_payloads++;
}

static void
rc_bus_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
	RcBusPrivate *priv = GET_PRIVATE(RC_BUS(object));
	switch (prop_id) {
	case PROP_CONFIG:
		priv->config = g_value_dup_object(value);
		break;
	case PROP_NODE_ID:
		g_free(priv->node_id);
		priv->node_id = g_value_dup_string(value);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
		break;
	}
}

static void
rc_bus_finalize(GObject *object)
{
	RcBusPrivate *priv = GET_PRIVATE(RC_BUS(object));
	g_clear_object(&priv->config);
	g_free(priv->node_id);
	g_free(priv->error);
	G_OBJECT_CLASS(rc_bus_parent_class)->finalize(object);
}

static void
rc_bus_class_init(RcBusClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->set_property = rc_bus_set_property;
	object_class->finalize = rc_bus_finalize;
	/* limits are read from it when they apply, so a reload reaches the bus too */
	props[PROP_CONFIG] = g_param_spec_object("config",
						 NULL,
						 NULL,
						 RC_TYPE_CONFIG,
						 G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY |
						     G_PARAM_STATIC_STRINGS);
	/* the node's name where the bus needs one (its reads of the ingress stream) */
	props[PROP_NODE_ID] = g_param_spec_string("node-id",
						  NULL,
						  NULL,
						  NULL,
						  G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, PROP_LAST, props);
	signals[SIGNAL_STATE_CHANGED] = g_signal_new("state-changed",
						     G_TYPE_FROM_CLASS(klass),
						     G_SIGNAL_RUN_LAST,
						     0,
						     NULL,
						     NULL,
						     NULL,
						     G_TYPE_NONE,
						     0);
	signals[SIGNAL_RESUBSCRIBED] = g_signal_new("resubscribed",
						    G_TYPE_FROM_CLASS(klass),
						    G_SIGNAL_RUN_LAST,
						    0,
						    NULL,
						    NULL,
						    NULL,
						    G_TYPE_NONE,
						    0);
	signals[SIGNAL_ROOM_RESUBSCRIBED] = g_signal_new("room-resubscribed",
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
	signals[SIGNAL_INGRESS] = g_signal_new("ingress",
					       G_TYPE_FROM_CLASS(klass),
					       G_SIGNAL_RUN_LAST,
					       0,
					       NULL,
					       NULL,
					       NULL,
					       G_TYPE_NONE,
					       2,
					       G_TYPE_STRING,
					       G_TYPE_BYTES);
	signals[SIGNAL_PRESENCE] = g_signal_new("presence",
						G_TYPE_FROM_CLASS(klass),
						G_SIGNAL_RUN_LAST,
						0,
						NULL,
						NULL,
						NULL,
						G_TYPE_NONE,
						1,
						RC_TYPE_PRESENCE | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
rc_bus_init(RcBus *self)
{
	RcBusPrivate *priv = GET_PRIVATE(self);
	priv->state = RC_BUS_STATE_DISCONNECTED;
}
