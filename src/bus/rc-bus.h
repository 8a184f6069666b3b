/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "rc-config.h"
#include "rc-message.h"

G_BEGIN_DECLS

typedef enum {
	RC_BUS_STATE_EMBEDDED,
	RC_BUS_STATE_CONNECTED,
	RC_BUS_STATE_DISCONNECTED,
} RcBusState;

/* What carries messages between nodes: the embedded in-process bus or Redis.
 * Every accepted message comes back through ::message, on every node; every change
 * of state is told through ::state-changed. */
#define RC_TYPE_BUS (rc_bus_get_type())
G_DECLARE_DERIVABLE_TYPE(RcBus, rc_bus, RC, BUS, GObject)

struct _RcBusClass {
	GObjectClass parent_class;
	gboolean (*start)(RcBus *self, GError **error);
	void (*stop)(RcBus *self);
	void (*publish)(RcBus *self, RcMessage *msg, GTask *task);
	/* completes @task once messages of the room reach this node */
	void (*subscribe_room)(RcBus *self, const gchar *ns, const gchar *room_code, GTask *task);
	void (*unsubscribe_room)(RcBus *self, const gchar *ns, const gchar *room_code);
	gpointer padding[8];
};

gboolean rc_bus_start(RcBus *self, GError **error);
void rc_bus_stop(RcBus *self);
/* finishes once the bus accepted the message; RC_ERROR_UNAVAILABLE when it is down */
void rc_bus_publish_async(RcBus *self,
			  RcMessage *msg,
			  GCancellable *cancellable,
			  GAsyncReadyCallback callback,
			  gpointer user_data);
gboolean rc_bus_publish_finish(RcBus *self, GAsyncResult *res, GError **error);
void rc_bus_subscribe_room_async(RcBus *self,
				 const gchar *ns,
				 const gchar *room_code,
				 GAsyncReadyCallback callback,
				 gpointer user_data);
gboolean rc_bus_subscribe_room_finish(RcBus *self, GAsyncResult *res, GError **error);
void rc_bus_unsubscribe_room(RcBus *self, const gchar *ns, const gchar *room_code);

RcBusState rc_bus_get_state(RcBus *self);
/* "embedded", "connected" or "disconnected" */
const gchar *rc_bus_get_state_name(RcBus *self);
guint64 rc_bus_get_invalid_payloads(RcBus *self);
RcConfig *rc_bus_get_config(RcBus *self);

/* for implementations */
void rc_bus_set_state(RcBus *self, RcBusState state);
void rc_bus_emit_message(RcBus *self, RcMessage *msg);
void rc_bus_count_invalid_payload(RcBus *self);

G_END_DECLS
