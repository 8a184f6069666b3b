/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcBus"

#include "config.h"

#include "bus/rc-bus.h"

typedef struct {
	gboolean connected;
	gboolean embedded;
	guint64 invalid_payloads;
} RcBusPrivate;

enum { PROP_0, PROP_CONNECTED, PROP_LAST };
enum { SIGNAL_MESSAGE, SIGNAL_LAST };
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

void
rc_bus_publish_async(RcBus *self,
		     RcMessage *msg,
		     GCancellable *cancellable,
		     GAsyncReadyCallback callback,
		     gpointer user_data)
{
	GTask *task = g_task_new(self, cancellable, callback, user_data);
	g_task_set_source_tag(task, rc_bus_publish_async);
	RC_BUS_GET_CLASS(self)->publish(self, msg, task);
}

gboolean
rc_bus_publish_finish(RcBus *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
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

gboolean
rc_bus_get_connected(RcBus *self)
{
	RcBusPrivate *priv = GET_PRIVATE(self);
	return priv->connected;
}

const gchar *
rc_bus_get_state(RcBus *self)
{
	RcBusPrivate *priv = GET_PRIVATE(self);
	if (priv->embedded)
		return "embedded";
	return priv->connected ? "connected" : "disconnected";
}

guint64
rc_bus_get_invalid_payloads(RcBus *self)
{
	RcBusPrivate *priv = GET_PRIVATE(self);
	return priv->invalid_payloads;
}

void
rc_bus_set_connected(RcBus *self, gboolean connected)
{
	RcBusPrivate *priv = GET_PRIVATE(self);
	if (priv->connected == connected)
		return;
	priv->connected = connected;
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CONNECTED]);
}

void
rc_bus_set_embedded(RcBus *self, gboolean embedded)
{
	RcBusPrivate *priv = GET_PRIVATE(self);
	priv->embedded = embedded;
}

void
rc_bus_emit_message(RcBus *self, RcMessage *msg)
{
	g_signal_emit(self, signals[SIGNAL_MESSAGE], 0, msg);
}

void
rc_bus_count_invalid_payload(RcBus *self)
{
	RcBusPrivate *priv = GET_PRIVATE(self);
	priv->invalid_payloads++;
}

static void
rc_bus_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	RcBus *self = RC_BUS(object);
	switch (prop_id) {
	case PROP_CONNECTED:
		g_value_set_boolean(value, rc_bus_get_connected(self));
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
		break;
	}
}

static void
rc_bus_class_init(RcBusClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->get_property = rc_bus_get_property;
	props[PROP_CONNECTED] = g_param_spec_boolean("connected",
						     NULL,
						     NULL,
						     FALSE,
						     G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY |
							 G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, PROP_LAST, props);
	signals[SIGNAL_MESSAGE] = g_signal_new("message",
					       G_TYPE_FROM_CLASS(klass),
					       G_SIGNAL_RUN_LAST,
					       0,
					       NULL,
					       NULL,
					       NULL,
					       G_TYPE_NONE,
					       1,
					       RC_TYPE_MESSAGE | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
rc_bus_init(RcBus *self)
{
}
