/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcEmbeddedBus"

#include "config.h"

#include "bus/rc-embedded-bus.h"

/* how often rooms whose history outlived its ttl are forgotten */
#define RC_EMBEDDED_SWEEP_S 60

/* one room's offsets and history, kept in memory for as long as its ttl */
typedef struct {
	gchar *epoch;
	guint64 offset;
	GQueue history; /* RcMessage, oldest first */
	gint64 expires_us;
} RcEmbeddedRoom;

struct _RcEmbeddedBus {
	RcBus parent_instance;
	GHashTable *rooms;    /* "NS\nROOM" → RcEmbeddedRoom */
	GHashTable *presence; /* "NS\nROOM" → GHashTable client → RcPresence entry */
	guint sweep_id;
};

G_DEFINE_TYPE(RcEmbeddedBus, rc_embedded_bus, RC_TYPE_BUS)

static void
rc_embedded_room_free(RcEmbeddedRoom *room)
{
	g_free(room->epoch);
	g_queue_clear_full(&room->history, (GDestroyNotify)rc_message_unref);
	g_free(room);
}

static gint64
rc_embedded_bus_ttl_us(RcEmbeddedBus *self)
{
	return (gint64)rc_config_get_history_ttl(rc_bus_get_config(RC_BUS(self))) * G_USEC_PER_SEC;
}

/* the room, created with a fresh epoch when @create; expired rooms start over */
static RcEmbeddedRoom *
rc_embedded_bus_room(RcEmbeddedBus *self, const gchar *ns, const gchar *room_code, gboolean create)
{
	g_autofree gchar *key = g_strconcat(ns, "\n", room_code, NULL);
	RcEmbeddedRoom *room = g_hash_table_lookup(self->rooms, key);
	gint64 now = g_get_monotonic_time();

	if (room != NULL && room->expires_us <= now) {
		g_hash_table_remove(self->rooms, key);
		room = NULL;
	}
	if (room == NULL && create) {
		room = g_new0(RcEmbeddedRoom, 1);
		room->epoch = rc_bus_new_epoch();
		g_queue_init(&room->history);
		room->expires_us = now + rc_embedded_bus_ttl_us(self);
		g_hash_table_insert(self->rooms, g_steal_pointer(&key), room);
	}
	return room;
}

static gboolean
rc_embedded_bus_sweep_cb(gpointer user_data)
{
	RcEmbeddedBus *self = RC_EMBEDDED_BUS(user_data);
	gint64 now = g_get_monotonic_time();
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, self->rooms);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		if (((RcEmbeddedRoom *)value)->expires_us <= now)
			g_hash_table_iter_remove(&iter);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean
rc_embedded_bus_start(RcBus *bus, GError **error)
{
	RcEmbeddedBus *self = RC_EMBEDDED_BUS(bus);
	rc_bus_set_state(bus, RC_BUS_STATE_EMBEDDED);
	self->sweep_id = g_timeout_add_seconds(RC_EMBEDDED_SWEEP_S, rc_embedded_bus_sweep_cb, self);
	return TRUE;
}

static void
rc_embedded_bus_stop(RcBus *bus)
{
	RcEmbeddedBus *self = RC_EMBEDDED_BUS(bus);
	g_clear_handle_id(&self->sweep_id, g_source_remove);
}

static void
rc_embedded_bus_publish(RcBus *bus, RcBusPublish *req, const gchar *ingress_id)
{
	RcEmbeddedBus *self = RC_EMBEDDED_BUS(bus);
	RcMessage *msg = rc_bus_publish_get_message(req);
	guint size = rc_config_get_history_size(rc_bus_get_config(bus));
	RcEmbeddedRoom *room = rc_embedded_bus_room(self,
						    rc_message_get_namespace(msg),
						    rc_message_get_room_code(msg),
						    TRUE);

	rc_message_set_offset(msg, room->epoch, ++room->offset);
	room->expires_us = g_get_monotonic_time() + rc_embedded_bus_ttl_us(self);
	if (size > 0) {
		g_queue_push_tail(&room->history, rc_message_ref(msg));
		while (g_queue_get_length(&room->history) > size)
			rc_message_unref(g_queue_pop_head(&room->history));
	}
	/* delivering before the ack keeps the order a Redis node shows its sender */
	rc_bus_emit_message(bus, msg);
	rc_bus_publish_return(req, NULL);
}

static void
rc_embedded_bus_read_room(RcBus *bus,
			  const gchar *ns,
			  const gchar *room_code,
			  const RcHistoryRange *range,
			  GTask *task)
{
	RcEmbeddedBus *self = RC_EMBEDDED_BUS(bus);
	RcEmbeddedRoom *room = rc_embedded_bus_room(self, ns, room_code, range->ensure_epoch);
	RcHistory *history = rc_history_new(room != NULL ? room->epoch : "", room != NULL ? room->offset : 0);
	GList *l;

	if (room != NULL && range->limit > 0) {
		if (range->newest) {
			for (l = room->history.tail; l != NULL && history->messages->len < range->limit;
			     l = l->prev) {
				guint64 offset = rc_message_get_offset(l->data);
				if (range->before > 0 && offset >= range->before)
					continue;
				if (offset <= range->after)
					break;
				g_ptr_array_add(history->messages, rc_message_ref(l->data));
			}
			/* collected newest first */
			for (guint i = 0, j = history->messages->len; i + 1 < j; i++, j--) {
				gpointer tmp = history->messages->pdata[i];
				history->messages->pdata[i] = history->messages->pdata[j - 1];
				history->messages->pdata[j - 1] = tmp;
			}
		} else {
			for (l = room->history.head; l != NULL && history->messages->len < range->limit;
			     l = l->next) {
				guint64 offset = rc_message_get_offset(l->data);
				if (offset <= range->after)
					continue;
				if (range->before > 0 && offset >= range->before)
					break;
				g_ptr_array_add(history->messages, rc_message_ref(l->data));
			}
		}
	}
	g_task_return_pointer(task, history, (GDestroyNotify)rc_history_free);
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

static gchar *
rc_embedded_bus_key(RcPresence *p)
{
	return g_strconcat(rc_presence_get_namespace(p), "\n", rc_presence_get_room_code(p), NULL);
}

static void
rc_embedded_bus_announce(RcBus *bus, RcPresence *entry, const gchar *event)
{
	g_autoptr(RcPresence) p = rc_presence_new(rc_presence_get_namespace(entry),
						  rc_presence_get_room_code(entry),
						  event,
						  rc_presence_get_client(entry),
						  rc_presence_get_sender(entry),
						  rc_presence_get_node(entry));
	rc_bus_emit_presence(bus, p);
}

static void
rc_embedded_bus_presence_join(RcBus *bus, RcPresence *entry)
{
	RcEmbeddedBus *self = RC_EMBEDDED_BUS(bus);
	g_autofree gchar *key = rc_embedded_bus_key(entry);
	GHashTable *room = g_hash_table_lookup(self->presence, key);

	if (room == NULL) {
		room = g_hash_table_new_full(g_str_hash,
					     g_str_equal,
					     g_free,
					     (GDestroyNotify)rc_presence_unref);
		g_hash_table_insert(self->presence, g_strdup(key), room);
	}
	g_hash_table_replace(room, g_strdup(rc_presence_get_client(entry)), rc_presence_ref(entry));
	rc_embedded_bus_announce(bus, entry, "join");
}

static void
rc_embedded_bus_presence_leave(RcBus *bus, RcPresence *entry)
{
	RcEmbeddedBus *self = RC_EMBEDDED_BUS(bus);
	g_autofree gchar *key = rc_embedded_bus_key(entry);
	GHashTable *room = g_hash_table_lookup(self->presence, key);

	if (room == NULL || !g_hash_table_remove(room, rc_presence_get_client(entry)))
		return;
	if (g_hash_table_size(room) == 0)
		g_hash_table_remove(self->presence, key);
	rc_embedded_bus_announce(bus, entry, "leave");
}

static void
rc_embedded_bus_presence_list(RcBus *bus, const gchar *ns, const gchar *room_code, GTask *task)
{
	RcEmbeddedBus *self = RC_EMBEDDED_BUS(bus);
	g_autofree gchar *key = g_strconcat(ns, "\n", room_code, NULL);
	GHashTable *room = g_hash_table_lookup(self->presence, key);
	GPtrArray *members = g_ptr_array_new_with_free_func((GDestroyNotify)rc_presence_unref);
	GHashTableIter iter;
	gpointer value;

	if (room != NULL) {
		g_hash_table_iter_init(&iter, room);
		while (g_hash_table_iter_next(&iter, NULL, &value))
			g_ptr_array_add(members, rc_presence_ref(value));
	}
	g_task_return_pointer(task, members, (GDestroyNotify)g_ptr_array_unref);
	g_object_unref(task);
}

static void
rc_embedded_bus_finalize(GObject *object)
{
	RcEmbeddedBus *self = RC_EMBEDDED_BUS(object);
	g_clear_handle_id(&self->sweep_id, g_source_remove);
	g_hash_table_unref(self->presence);
	g_hash_table_unref(self->rooms);
	G_OBJECT_CLASS(rc_embedded_bus_parent_class)->finalize(object);
}

static void
rc_embedded_bus_class_init(RcEmbeddedBusClass *klass)
{
	RcBusClass *bus_class = RC_BUS_CLASS(klass);
	G_OBJECT_CLASS(klass)->finalize = rc_embedded_bus_finalize;
	bus_class->start = rc_embedded_bus_start;
	bus_class->stop = rc_embedded_bus_stop;
	bus_class->publish = rc_embedded_bus_publish;
	bus_class->read_room = rc_embedded_bus_read_room;
	bus_class->subscribe_room = rc_embedded_bus_subscribe_room;
	bus_class->unsubscribe_room = rc_embedded_bus_unsubscribe_room;
	bus_class->presence_join = rc_embedded_bus_presence_join;
	bus_class->presence_leave = rc_embedded_bus_presence_leave;
	bus_class->presence_list = rc_embedded_bus_presence_list;
}

static void
rc_embedded_bus_init(RcEmbeddedBus *self)
{
	self->rooms = g_hash_table_new_full(g_str_hash,
					    g_str_equal,
					    g_free,
					    (GDestroyNotify)rc_embedded_room_free);
	self->presence =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_hash_table_unref);
}

RcBus *
rc_embedded_bus_new(RcConfig *config)
{
	return g_object_new(RC_TYPE_EMBEDDED_BUS, "config", config, NULL);
}
