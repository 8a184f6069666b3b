/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "rc-config.h"
#include "rc-history.h"
#include "rc-message.h"
#include "rc-presence.h"

G_BEGIN_DECLS

typedef enum {
	RC_BUS_STATE_EMBEDDED,
	RC_BUS_STATE_CONNECTED,
	RC_BUS_STATE_DISCONNECTED,
	RC_BUS_STATE_DEGRADED, /* a Redis Cluster with some shards unreachable */
} RcBusState;

/* What carries messages between nodes and keeps rooms' histories: the embedded
 * in-process bus, or Redis.
 *
 * Every published message comes back through the message function, on every
 * node that subscribed to its room, with its room offset. The bus gives offsets in
 * publication order, so within a room messages come in offset order unless the
 * bus lost some (then a later offset shows the gap, and the engine reads the
 * missing ones back with read_room()). ::resubscribed says that the bus lost its
 * subscriptions and has them again: whatever was published meanwhile did not come
 * through the message function; ::room-resubscribed (namespace, roomCode) says
 * the same of one room (its shard changed or came back). ::state-changed follows the connection.
 * ::ingress hands over an entry of the durable ingress stream (id, payload); the engine publishes
 * it with that id (so a second delivery of the entry changes nothing) and then acknowledges it.
 * ::presence brings a presence event of a subscribed room, from any node, in the order the changes
 * happened in the room.
 *
 * Presence: the engine says who joins and leaves on this node; the bus keeps
 * their entries where every node sees them, alive for as long as this node runs,
 * and writes them again should the bus lose them. */
#define RC_TYPE_BUS (rc_bus_get_type())
G_DECLARE_DERIVABLE_TYPE(RcBus, rc_bus, RC, BUS, GObject)

/* one publish on its way: what a bus implementation completes */
typedef struct _RcBusPublish RcBusPublish;

struct _RcBusClass {
	GObjectClass parent_class;
	gboolean (*start)(RcBus *self, GError **error);
	void (*stop)(RcBus *self);
	/* completes @req with rc_bus_publish_return() once its message is in its room,
	 * with its offset set */
	void (*publish)(RcBus *self, RcBusPublish *req, const gchar *ingress_id);
	/* completes @task with an RcHistory */
	void (*read_room)(RcBus *self,
			  const gchar *ns,
			  const gchar *room_code,
			  const RcHistoryRange *range,
			  GTask *task);
	/* completes @task once messages of the room reach this node */
	void (*subscribe_room)(RcBus *self, const gchar *ns, const gchar *room_code, GTask *task);
	void (*unsubscribe_room)(RcBus *self, const gchar *ns, const gchar *room_code);
	void (*ack_ingress)(RcBus *self, const gchar *id);
	void (*presence_join)(RcBus *self, RcPresence *entry);
	void (*presence_leave)(RcBus *self, RcPresence *entry);
	/* completes @task with a GPtrArray of RcPresence entries */
	void (*presence_list)(RcBus *self, const gchar *ns, const gchar *room_code, GTask *task);
	/* completes @task once what was sent has arrived (or not soon), NULL: at once */
	void (*flush)(RcBus *self, GTask *task);
	gpointer padding[8];
};

gboolean rc_bus_start(RcBus *self, GError **error);
void rc_bus_stop(RcBus *self);
/* @error NULL: the bus accepted the message, its offset and epoch are set.
 * RC_ERROR_UNAVAILABLE when the bus is down: nothing was published. */
typedef void (*RcBusPublishedFunc)(RcBus *bus, RcMessage *msg, const GError *error, gpointer user_data);
/* Calls @done once, never before it returns. @ingress_id is the ingress stream entry
 * the message comes from, or NULL. A callback rather than a GTask: this is once per
 * message sent, and a GTask costs 4 000 instructions to make and finalize. */
void rc_bus_publish(RcBus *self,
		    RcMessage *msg,
		    const gchar *ingress_id,
		    RcBusPublishedFunc done,
		    gpointer user_data);
/* for implementations */
RcMessage *rc_bus_publish_get_message(RcBusPublish *req);
/* completes @req (and frees it), taking @error; NULL: published */
void rc_bus_publish_return(RcBusPublish *req, GError *error);
void rc_bus_read_room_async(RcBus *self,
			    const gchar *ns,
			    const gchar *room_code,
			    const RcHistoryRange *range,
			    GAsyncReadyCallback callback,
			    gpointer user_data);
RcHistory *rc_bus_read_room_finish(RcBus *self, GAsyncResult *res, GError **error);
void rc_bus_subscribe_room_async(RcBus *self,
				 const gchar *ns,
				 const gchar *room_code,
				 GAsyncReadyCallback callback,
				 gpointer user_data);
gboolean rc_bus_subscribe_room_finish(RcBus *self, GAsyncResult *res, GError **error);
void rc_bus_unsubscribe_room(RcBus *self, const gchar *ns, const gchar *room_code);
void rc_bus_ack_ingress(RcBus *self, const gchar *id);
/* @entry is a member of its room on this node (no event); the bus announces it */
void rc_bus_presence_join(RcBus *self, RcPresence *entry);
void rc_bus_presence_leave(RcBus *self, RcPresence *entry);
/* everyone in the room, on every node (element-type RcPresence) */
void rc_bus_presence_list_async(RcBus *self,
				const gchar *ns,
				const gchar *room_code,
				GAsyncReadyCallback callback,
				gpointer user_data);
GPtrArray *rc_bus_presence_list_finish(RcBus *self, GAsyncResult *res, GError **error);

/* Finishes once what the bus was told has reached Redis, or after a second at
 * most: before a stop, so the last leaves are not lost. */
void rc_bus_flush_async(RcBus *self, GAsyncReadyCallback callback, gpointer user_data);
gboolean rc_bus_flush_finish(RcBus *self, GAsyncResult *res, GError **error);

RcBusState rc_bus_get_state(RcBus *self);
/* "embedded", "connected", "disconnected" or "degraded" */
const gchar *rc_bus_get_state_name(RcBus *self);
guint64 rc_bus_get_invalid_payloads(RcBus *self);
/* the Redis servers (one, or a cluster's masters) that answer and that do not;
 * both 0 for the embedded bus */
void rc_bus_get_shards(RcBus *self, guint *up, guint *down);
/* why the bus is not (fully) connected, as Redis or the network said it; NULL
 * while connected, in embedded mode, or before a first attempt failed */
const gchar *rc_bus_get_error(RcBus *self);
RcConfig *rc_bus_get_config(RcBus *self);
/* set with the "node-id" property before the bus starts */
const gchar *rc_bus_get_node_id(RcBus *self);

/* One listener, the engine, and called for every message a node receives: a
 * function rather than a signal, whose emission cost as much as a tenth of the
 * message's own work. @func NULL: messages are dropped. */
typedef void (*RcBusMessageFunc)(RcBus *bus, RcMessage *msg, gpointer user_data);
void rc_bus_set_message_func(RcBus *self, RcBusMessageFunc func, gpointer user_data);

/* for implementations */
void rc_bus_set_state(RcBus *self, RcBusState state);
/* emits ::state-changed when the counts changed */
void rc_bus_set_shards(RcBus *self, guint up, guint down);
/* emits ::state-changed when it differs */
void rc_bus_set_error(RcBus *self, const gchar *error);
void rc_bus_emit_room_resubscribed(RcBus *self, const gchar *ns, const gchar *room_code);
void rc_bus_emit_message(RcBus *self, RcMessage *msg);
void rc_bus_emit_resubscribed(RcBus *self);
void rc_bus_emit_ingress(RcBus *self, const gchar *id, GBytes *payload);
void rc_bus_emit_presence(RcBus *self, RcPresence *event);
void rc_bus_count_invalid_payload(RcBus *self);
/* a fresh epoch for a room that has none: short, random, the same on every node
 * once written where the room is kept */
gchar *rc_bus_new_epoch(void);

G_END_DECLS
