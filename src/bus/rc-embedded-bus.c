/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcEmbeddedBus"

#include "config.h"

#include "bus/rc-embedded-bus.h"

struct _RcEmbeddedBus {
	RcBus parent_instance;
};

G_DEFINE_TYPE(RcEmbeddedBus, rc_embedded_bus, RC_TYPE_BUS)

static gboolean
rc_embedded_bus_start(RcBus *bus, GError **error)
{
	rc_bus_set_state(bus, RC_BUS_STATE_EMBEDDED);
	return TRUE;
}

static void
rc_embedded_bus_publish(RcBus *bus, RcMessage *msg, GTask *task)
{
	/* delivering before the ack keeps the order a Redis node shows its sender */
	rc_bus_emit_message(bus, msg);
	g_task_return_boolean(task, TRUE);
	g_object_unref(task);
}

static void
rc_embedded_bus_subscribe_room(RcBus *bus, const gchar *ns, const gchar *room_code, GTask *task)
{
	g_task_return_boolean(task, TRUE);
	g_object_unref(task);
}

static void
rc_embedded_bus_unsubscribe_room(RcBus *bus, const gchar *ns, const gchar *room_code)
{
}

static void
rc_embedded_bus_class_init(RcEmbeddedBusClass *klass)
{
	RcBusClass *bus_class = RC_BUS_CLASS(klass);
	bus_class->start = rc_embedded_bus_start;
	bus_class->publish = rc_embedded_bus_publish;
	bus_class->subscribe_room = rc_embedded_bus_subscribe_room;
	bus_class->unsubscribe_room = rc_embedded_bus_unsubscribe_room;
}

static void
rc_embedded_bus_init(RcEmbeddedBus *self)
{
}

RcBus *
rc_embedded_bus_new(RcConfig *config)
{
	return g_object_new(RC_TYPE_EMBEDDED_BUS, "config", config, NULL);
}
