/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcEngine"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "bus/rc-embedded-bus.h"
#include "bus/rc-redis-bus.h"
#include "engine/rc-engine.h"
#include "plugins/rc-plugin-host.h"
#include "protocol/rc-protocol.h"
#include "rc-log.h"
#include "rooms/rc-room-registry.h"

#define RC_ENGINE_SHUTDOWN_DRAIN_MS 3000
/* a close reason has to fit in a WebSocket control frame */
#define RC_ENGINE_MAX_REASON_BYTES 120

struct _RcEngine {
	GObject parent_instance;
	RcConfig *config;
	gchar *node_id;
	gchar *id_prefix;
	guint64 id_counter;
	guint64 client_counter;
	RcRoomRegistry *registry;
	RcBus *bus;
	RcPluginHost *plugins;
	GHashTable *members; /* id → RcMember (owned) */
	GHashTable *waiters; /* RcRoom → GPtrArray of RcJoinWaiter, until the bus carries it */
	GHashTable *joins;   /* RcMember → GPtrArray of its RcJoinWaiters not done yet */
	guint64 received;
	guint64 delivered;
	guint64 slow_consumers;
	guint64 recovered;
	guint64 history_misses;
	guint64 invalid_ingress;
	guint64 unfounded; /* room messages whose offsets the history did not have */
	gboolean changed_latched;
	gboolean stopping;
	GTask *shutdown_task;
	guint shutdown_timeout_id;
	/* a drain: clients are asked to reconnect elsewhere, a few at a time */
	gboolean draining;
	GQueue drain_queue; /* ids of the members still to close */
	guint drain_total;
	guint drain_closed;
	gint64 drain_start_us;
	gint64 drain_end_us;
	guint drain_id;
	GPtrArray *drain_tasks; /* GTask waiting for the last member to go */
};

typedef struct {
	RcEngine *engine; /* while its read is in flight */
	RcMember *member;
	gchar *ns;
	gchar *room_code;
	gint history;
	gboolean since;
	gchar *since_epoch;
	guint64 since_offset;
	gboolean presence;
	RcEngineJoinFunc func;
	gpointer user_data;
	GDestroyNotify destroy;
	RcEngine *tracker; /* the engine whose joins list holds it */
	gboolean answered; /* the member left first: it got its reply then */
	GPtrArray *sends;  /* RcHeldSend: the member's sends while the join is in flight */
} RcJoinWaiter;

/* A send to a room whose join has not taken effect yet. It is published once the
 * join has, so it comes after the room's offset the join answers with and reaches
 * its sender like every other member; if the join never takes effect, the send is
 * refused as one to a room not joined. */
typedef struct {
	RcEngine *engine;
	gchar *text;
	gsize size; /* what it holds in memory, counted against the limit */
	GCancellable *cancellable;
	GAsyncReadyCallback callback;
	gpointer user_data;
} RcHeldSend;

static void
rc_held_send_free(RcHeldSend *send)
{
	g_object_unref(send->engine);
	g_free(send->text);
	g_clear_object(&send->cancellable);
	g_free(send);
}

enum { SIGNAL_ROOM_ADDED, SIGNAL_ROOM_REMOVED, SIGNAL_CHANGED, SIGNAL_LAST };
static guint signals[SIGNAL_LAST] = {0};

G_DEFINE_TYPE(RcEngine, rc_engine, G_TYPE_OBJECT)

static void rc_engine_set_not_joined(GError **error, const gchar *ns, const gchar *room_code);

/* the join did not take effect (refused, or the member left or went first) */
static void
rc_join_waiter_refuse_sends(RcJoinWaiter *w)
{
	g_autoptr(GPtrArray) sends = g_steal_pointer(&w->sends);

	for (guint i = 0; sends != NULL && i < sends->len; i++) {
		RcHeldSend *send = g_ptr_array_index(sends, i);
		g_autoptr(GError) error = NULL;
		rc_engine_set_not_joined(&error, w->ns, w->room_code);
		g_task_report_error(send->engine,
				    send->callback,
				    send->user_data,
				    rc_engine_publish_async,
				    g_steal_pointer(&error));
	}
}

/* the joins in flight, by member: a member's sends and leaves look at its own */
static void
rc_engine_track_join(RcEngine *self, RcJoinWaiter *w)
{
	GPtrArray *joins = g_hash_table_lookup(self->joins, w->member);

	if (joins == NULL) {
		joins = g_ptr_array_new();
		g_hash_table_insert(self->joins, w->member, joins);
	}
	g_ptr_array_add(joins, w);
	w->tracker = self;
}

static void
rc_engine_untrack_join(RcEngine *self, RcJoinWaiter *w)
{
	GPtrArray *joins = g_hash_table_lookup(self->joins, w->member);

	if (joins != NULL && g_ptr_array_remove(joins, w) && joins->len == 0)
		g_hash_table_remove(self->joins, w->member);
	w->tracker = NULL;
}

static void
rc_join_waiter_free(RcJoinWaiter *w)
{
	if (w->tracker != NULL)
		rc_engine_untrack_join(w->tracker, w);
	rc_join_waiter_refuse_sends(w);
	if (w->destroy != NULL)
		w->destroy(w->user_data);
	g_object_unref(w->member);
	g_clear_object(&w->engine);
	g_free(w->ns);
	g_free(w->room_code);
	g_free(w->since_epoch);
	g_free(w);
}

/* ::changed is latched: one emission until the next rc_engine_get_stats() */
static void
rc_engine_changed(RcEngine *self)
{
	if (self->changed_latched)
		return;
	self->changed_latched = TRUE;
	g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

static gint64
rc_engine_now_ms(void)
{
	return g_get_real_time() / 1000;
}

/* PREFIX-COUNTER in hex; written by hand, as printf costs more than the rest of
 * an id's share of a publish */
static gchar *
rc_engine_new_message_id(RcEngine *self)
{
	static const gchar hex[] = "0123456789abcdef";
	gsize prefix = strlen(self->id_prefix);
	guint64 n = ++self->id_counter;
	gchar digits[16];
	gsize count = 0;
	gchar *id;

	do {
		digits[count++] = hex[n & 0xf];
		n >>= 4;
	} while (n != 0);
	id = g_malloc(prefix + 1 + count + 1);
	memcpy(id, self->id_prefix, prefix);
	id[prefix] = '-';
	for (gsize i = 0; i < count; i++)
		id[prefix + 1 + i] = digits[count - 1 - i];
	id[prefix + 1 + count] = '\0';
	return id;
}

gchar *
rc_engine_new_client_id(RcEngine *self)
{
	return g_strdup_printf("c%s-%" G_GINT64_MODIFIER "x", self->id_prefix, ++self->client_counter);
}

RcConfig *
rc_engine_get_config(RcEngine *self)
{
	return self->config;
}

const gchar *
rc_engine_get_node_id(RcEngine *self)
{
	return self->node_id;
}

RcBusState
rc_engine_get_bus_state(RcEngine *self)
{
	return self->bus != NULL ? rc_bus_get_state(self->bus) : RC_BUS_STATE_DISCONNECTED;
}

const gchar *
rc_engine_get_bus_error(RcEngine *self)
{
	return self->bus != NULL ? rc_bus_get_error(self->bus) : NULL;
}

const gchar *
rc_engine_get_bus_state_name(RcEngine *self)
{
	return self->bus != NULL ? rc_bus_get_state_name(self->bus) : "disconnected";
}

void
rc_engine_get_stats(RcEngine *self, RcEngineStats *stats)
{
	self->changed_latched = FALSE;
	stats->connections = g_hash_table_size(self->members);
	stats->rooms = rc_room_registry_get_size(self->registry);
	stats->received = self->received;
	stats->delivered = self->delivered;
	stats->invalid_payloads =
	    self->invalid_ingress + self->unfounded +
	    (self->bus != NULL ? rc_bus_get_invalid_payloads(self->bus) : 0);
	stats->slow_consumers = self->slow_consumers;
	stats->recovered = self->recovered;
	stats->history_misses = self->history_misses;
	stats->bus_state = rc_engine_get_bus_state(self);
	if (self->bus != NULL)
		rc_bus_get_shards(self->bus, &stats->shards_up, &stats->shards_down);
}

GStrv
rc_engine_get_plugin_names(RcEngine *self)
{
	return rc_plugin_host_get_names(self->plugins);
}

gboolean
rc_engine_has_auth(RcEngine *self)
{
	return rc_plugin_host_has_auth(self->plugins);
}

GPtrArray *
rc_engine_list_rooms(RcEngine *self)
{
	return rc_room_registry_list(self->registry);
}

RcRoom *
rc_engine_lookup_room(RcEngine *self, const gchar *ns, const gchar *room_code)
{
	return rc_room_registry_lookup(self->registry, ns, room_code);
}

RcRoom *
rc_engine_get_room(RcEngine *self, const gchar *ns, const gchar *room_code, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	RcRoom *room;

	if (!rc_protocol_validate_namespace(ns, &error_local) ||
	    !rc_protocol_validate_room_code(room_code, &error_local)) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_INVALID_ARGS, error_local->message);
		return NULL;
	}
	room = rc_room_registry_lookup(self->registry, ns, room_code);
	if (room == NULL)
		g_set_error(error,
			    RC_ERROR,
			    RC_ERROR_NOT_FOUND,
			    _("no room “%s” in namespace “%s” on this node"),
			    room_code,
			    ns);
	return room;
}

RcMember *
rc_engine_lookup_member(RcEngine *self, const gchar *id)
{
	return g_hash_table_lookup(self->members, id);
}

gboolean
rc_engine_authenticate(RcEngine *self,
		       RcAuthRequest *request,
		       gchar **sender,
		       GStrv *room_globs,
		       GError **error)
{
	return rc_plugin_host_authenticate_request(self->plugins, request, sender, room_globs, error);
}

void
rc_engine_count_slow_consumer(RcEngine *self)
{
	self->slow_consumers++;
	rc_engine_changed(self);
}

gboolean
rc_engine_is_shutting_down(RcEngine *self)
{
	return self->shutdown_task != NULL;
}

void
rc_engine_add_member(RcEngine *self, RcMember *member)
{
	g_hash_table_insert(self->members, (gpointer)rc_member_get_id(member), g_object_ref(member));
	rc_engine_changed(self);
}

static void
rc_engine_flushed_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;

	rc_bus_flush_finish(RC_BUS(source), res, NULL);
	rc_bus_stop(RC_BUS(source));
	g_task_return_boolean(task, TRUE);
}

static void
rc_engine_finish_shutdown(RcEngine *self)
{
	GTask *task = g_steal_pointer(&self->shutdown_task);
	g_clear_handle_id(&self->shutdown_timeout_id, g_source_remove);
	if (task == NULL)
		return;
	self->stopping = TRUE;
	if (self->bus == NULL) {
		g_task_return_boolean(task, TRUE);
		g_object_unref(task);
		return;
	}
	/* the members' leaves are on their way to Redis: let them arrive */
	rc_bus_flush_async(self->bus, rc_engine_flushed_cb, task);
}

/* a member's entry in its room's presence */
static RcPresence *
rc_engine_presence_entry(RcEngine *self, RcMember *member, RcRoom *room)
{
	return rc_presence_new(rc_room_get_namespace(room),
			       rc_room_get_code(room),
			       NULL,
			       rc_member_get_id(member),
			       rc_member_get_sender(member),
			       self->node_id);
}

/* where @room stands here, as a join's reply says it */
static RcJoinResult
rc_engine_room_result(RcRoom *room)
{
	RcJoinResult result = {
	    .ns = rc_room_get_namespace(room),
	    .room_code = rc_room_get_code(room),
	    .epoch = rc_room_get_epoch(room) != NULL ? rc_room_get_epoch(room) : "",
	    .offset = rc_room_get_last_offset(room),
	};
	return result;
}

/* A join still in flight when its member leaves gets its reply first, with
 * where the room stands, so every request is answered and in order. */
static void
rc_engine_answer_joins(RcEngine *self, RcMember *member, RcRoom *room)
{
	GPtrArray *joins = g_hash_table_lookup(self->joins, member);
	g_autoptr(GPtrArray) answer = g_ptr_array_new();

	for (guint i = 0; joins != NULL && i < joins->len; i++) {
		RcJoinWaiter *w = g_ptr_array_index(joins, i);
		if (!w->answered && g_strcmp0(w->ns, rc_room_get_namespace(room)) == 0 &&
		    g_strcmp0(w->room_code, rc_room_get_code(room)) == 0)
			g_ptr_array_add(answer, w);
	}
	for (guint i = 0; i < answer->len; i++) {
		RcJoinWaiter *w = g_ptr_array_index(answer, i);
		RcJoinResult result = rc_engine_room_result(room);
		w->answered = TRUE;
		w->func(self, w->member, &result, NULL, w->user_data);
		rc_join_waiter_refuse_sends(w);
	}
}

static void rc_engine_drain_complete(RcEngine *self);

/* every way out of a room goes here: the membership and the presence entry go */
static gboolean
rc_engine_drop(RcEngine *self, RcMember *member, RcRoom *room)
{
	g_autoptr(RcRoom) keep = g_object_ref(room);
	g_autoptr(RcPresence) entry = NULL;

	if (rc_room_lookup(room, member) == NULL)
		return FALSE;
	rc_engine_answer_joins(self, member, room);
	if (!rc_room_registry_leave(self->registry, member, room))
		return FALSE;
	if (!rc_room_wants_presence(keep))
		rc_room_forget_presence(keep);
	entry = rc_engine_presence_entry(self, member, keep);
	rc_bus_presence_leave(self->bus, entry);
	return TRUE;
}

/* the member's room list is the registry's: leave them all */
static void
rc_engine_leave_all(RcEngine *self, RcMember *member)
{
	g_autoptr(GPtrArray) rooms = rc_room_registry_get_rooms_of(self->registry, member);
	for (guint i = 0; i < rooms->len; i++)
		rc_engine_drop(self, member, g_ptr_array_index(rooms, i));
}

void
rc_engine_remove_member(RcEngine *self, RcMember *member)
{
	g_autoptr(RcMember) keep G_GNUC_UNUSED = g_object_ref(member);

	if (g_hash_table_lookup(self->members, rc_member_get_id(member)) != member)
		return;
	rc_engine_leave_all(self, member);
	rc_plugin_host_connection_closed(self->plugins, rc_member_get_id(member));
	g_hash_table_remove(self->members, rc_member_get_id(member));
	rc_engine_changed(self);
	if (self->shutdown_task != NULL && g_hash_table_size(self->members) == 0)
		rc_engine_finish_shutdown(self);
	rc_engine_drain_complete(self);
}

/* messages read at most to catch a room up, whatever the history size says */
#define RC_ENGINE_MAX_CATCH_UP 10000

static RcJoinWaiter *
rc_join_waiter_new(RcMember *member,
		   const RcJoinOptions *options,
		   RcEngineJoinFunc func,
		   gpointer user_data,
		   GDestroyNotify destroy)
{
	RcJoinWaiter *w = g_new0(RcJoinWaiter, 1);
	w->member = g_object_ref(member);
	w->func = func;
	w->user_data = user_data;
	w->destroy = destroy;
	w->history = -1;
	if (options != NULL) {
		w->history = options->history;
		w->since = options->since;
		w->since_epoch = g_strdup(options->since_epoch);
		w->since_offset = options->since_offset;
		w->presence = options->presence;
	}
	return w;
}

static void
rc_engine_join_fail(RcEngine *self, RcJoinWaiter *w, GError *error)
{
	g_autoptr(GError) owned = error;
	w->func(self, w->member, NULL, owned, w->user_data);
	rc_join_waiter_free(w);
}

static void
rc_engine_count_recovery(RcEngine *self, guint64 recovered, gboolean missed)
{
	self->recovered += recovered;
	if (missed)
		self->history_misses++;
	if (recovered > 0 || missed)
		rc_engine_changed(self);
}

/* how long a room waits before it reads its history or its presence again after
 * a failed read */
#define RC_ENGINE_FETCH_RETRY_MS 500

typedef struct {
	RcEngine *engine;
	RcRoom *room;
} RcPresenceCall;

static void
rc_presence_call_free(RcPresenceCall *call)
{
	g_object_unref(call->engine);
	g_object_unref(call->room);
	g_free(call);
}

static void rc_engine_list_presence(RcEngine *self, RcRoom *room);

/* a failed list, read again; a list on its way meanwhile does the same if it fails */
static gboolean
rc_engine_list_presence_again_cb(gpointer user_data)
{
	RcPresenceCall *call = user_data;
	RcEngine *self = call->engine;
	RcRoom *room = call->room;

	if (!self->stopping && !rc_room_is_listing_presence(room) &&
	    rc_room_registry_lookup(self->registry,
				    rc_room_get_namespace(room),
				    rc_room_get_code(room)) == room &&
	    rc_room_wants_presence(room))
		rc_engine_list_presence(self, room);
	return G_SOURCE_REMOVE;
}

static void
rc_engine_presence_listed_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcPresenceCall *call = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) entries = rc_bus_presence_list_finish(RC_BUS(source), res, &error);
	RcRoom *room = call->room;
	/* the room must still be this one, and still have listeners */
	gboolean current = rc_room_registry_lookup(call->engine->registry,
						   rc_room_get_namespace(room),
						   rc_room_get_code(room)) == room &&
			   rc_room_wants_presence(room);

	if (entries != NULL && current) {
		rc_room_reconcile_presence(room, entries);
		rc_presence_call_free(call);
		return;
	}
	rc_room_end_presence_list(room);
	if (entries == NULL && current && !call->engine->stopping) {
		/* Without a first list the room has nothing to set straight after a lost
		 * subscription, and a failed later list leaves what it missed unsaid:
		 * the room reads again a little later, as it does its history. */
		g_debug("room %s %s: presence not read, again in %u ms: %s",
			rc_room_get_namespace(room),
			rc_room_get_code(room),
			(guint)RC_ENGINE_FETCH_RETRY_MS,
			error->message);
		g_timeout_add_full(G_PRIORITY_DEFAULT,
				   RC_ENGINE_FETCH_RETRY_MS,
				   rc_engine_list_presence_again_cb,
				   call,
				   (GDestroyNotify)rc_presence_call_free);
		return;
	}
	rc_presence_call_free(call);
}

/* reads who is in the room, for the room to set its list straight */
static void
rc_engine_list_presence(RcEngine *self, RcRoom *room)
{
	RcPresenceCall *call = g_new0(RcPresenceCall, 1);
	call->engine = g_object_ref(self);
	call->room = g_object_ref(room);
	rc_room_begin_presence_list(room);
	rc_bus_presence_list_async(self->bus,
				   rc_room_get_namespace(room),
				   rc_room_get_code(room),
				   rc_engine_presence_listed_cb,
				   call);
}

static gboolean
rc_engine_list_presence_later_cb(gpointer user_data)
{
	RcPresenceCall *call = user_data;
	if (!call->engine->stopping && rc_room_wants_presence(call->room))
		rc_engine_list_presence(call->engine, call->room);
	return G_SOURCE_REMOVE;
}

/* After a lost subscription: by the time every node has refreshed its members
 * (a heartbeat, a third of the ttl), the list says what the room missed. */
static void
rc_engine_reconcile_presence_later(RcEngine *self, RcRoom *room)
{
	RcPresenceCall *call;

	if (!rc_room_wants_presence(room))
		return;
	call = g_new0(RcPresenceCall, 1);
	call->engine = g_object_ref(self);
	call->room = g_object_ref(room);
	g_timeout_add_full(G_PRIORITY_DEFAULT,
			   rc_config_get_presence_ttl(self->config) * 1000 / 3 + 1000,
			   rc_engine_list_presence_later_cb,
			   call,
			   (GDestroyNotify)rc_presence_call_free);
}

/* a send of @member to a room it is in, as the member's own */
static void
rc_engine_publish_from(RcEngine *self,
		       RcMember *member,
		       const gchar *ns,
		       const gchar *room_code,
		       const gchar *text,
		       GCancellable *cancellable,
		       GAsyncReadyCallback callback,
		       gpointer user_data)
{
	rc_engine_publish_async(self,
				ns,
				room_code,
				rc_member_get_sender(member),
				text,
				RC_SOURCE_WEBSOCKET,
				rc_member_get_id(member),
				cancellable,
				callback,
				user_data);
}

/* the sends that waited for @w's join, in the order they came */
static void
rc_engine_send_held(RcEngine *self, RcJoinWaiter *w)
{
	g_autoptr(GPtrArray) sends = g_steal_pointer(&w->sends);

	for (guint i = 0; sends != NULL && i < sends->len; i++) {
		RcHeldSend *send = g_ptr_array_index(sends, i);
		rc_engine_publish_from(self,
				       w->member,
				       w->ns,
				       w->room_code,
				       send->text,
				       send->cancellable,
				       send->callback,
				       send->user_data);
	}
}

/* The join of @member to the room in flight, if any; @held: the bytes of the
 * member's sends that wait for its joins, in every room. A join already holding
 * sends keeps taking them, so they stay in order. */
static RcJoinWaiter *
rc_engine_find_join(RcEngine *self,
		    RcMember *member,
		    const gchar *ns,
		    const gchar *room_code,
		    gsize *held)
{
	GPtrArray *joins = g_hash_table_lookup(self->joins, member);
	RcJoinWaiter *found = NULL;

	*held = 0;
	for (guint j = 0; joins != NULL && j < joins->len; j++) {
		RcJoinWaiter *w = g_ptr_array_index(joins, j);
		if (w->answered)
			continue;
		for (guint i = 0; w->sends != NULL && i < w->sends->len; i++)
			*held += ((RcHeldSend *)g_ptr_array_index(w->sends, i))->size;
		if (g_strcmp0(w->ns, ns) == 0 && g_strcmp0(w->room_code, room_code) == 0 &&
		    (found == NULL || w->sends != NULL))
			found = w;
	}
	return found;
}

/* the join took effect: the reply, then the catch-up, then whatever came meanwhile */
static void
rc_engine_join_done(RcEngine *self, RcJoinWaiter *w, RcHistory *history)
{
	RcMembership *membership = rc_room_registry_lookup_membership(self->registry,
								      w->member,
								      w->ns,
								      w->room_code);
	RcRoom *room;
	g_autoptr(GPtrArray) replay = g_ptr_array_new();
	RcJoinResult result = {0};
	guint delivered;

	/* the member left (or was removed) meanwhile, and had its answer then */
	if (membership == NULL || w->answered)
		return;
	room = rc_membership_get_room(membership);
	/* An earlier join of the same member took effect first: this one is a join
	 * of a room it is in, answered with where the room stands now (the read
	 * began before the messages it has had since). */
	if (rc_membership_is_live(membership)) {
		if (w->presence)
			rc_membership_set_presence(membership, TRUE, TRUE);
		result = rc_engine_room_result(room);
		w->func(self, w->member, &result, NULL, w->user_data);
		rc_engine_send_held(self, w);
		return;
	}
	if (history != NULL) {
		self->delivered += rc_room_sync(room, history->epoch, history->top);
		result.epoch = history->epoch;
		result.offset = history->top;
	} else {
		/* Redis is away: the node says what it knows, and catches up later; the
		 * subscription may be in place already, and then nothing else would make
		 * the room read where it stands */
		result.epoch = rc_room_get_epoch(room) != NULL ? rc_room_get_epoch(room) : "";
		result.offset = rc_room_get_last_offset(room);
		rc_room_sync_later(room);
	}
	result.ns = rc_room_get_namespace(room);
	result.room_code = rc_room_get_code(room);
	if (history != NULL && (w->history > 0 || w->since)) {
		for (guint i = 0; i < history->messages->len; i++) {
			RcMessage *msg = g_ptr_array_index(history->messages, i);
			if (rc_message_get_offset(msg) <= history->top)
				g_ptr_array_add(replay, msg);
		}
	}
	if (w->since) {
		guint64 first = replay->len > 0 ? rc_message_get_offset(g_ptr_array_index(replay, 0)) : 0;
		gboolean same_epoch = g_strcmp0(w->since_epoch, result.epoch) == 0;
		/* still held: the same epoch, and nothing between K and the first one kept */
		result.since = TRUE;
		result.recovered = history != NULL &&
				   rc_config_get_history_size(self->config) > 0 && same_epoch &&
				   w->since_offset <= result.offset &&
				   (w->since_offset == result.offset || first == w->since_offset + 1);
		/* what is still held after K in epoch E; nothing when the epoch changed */
		if (!same_epoch)
			g_ptr_array_set_size(replay, 0);
		rc_engine_count_recovery(self, replay->len, !result.recovered);
	} else if (w->history > 0) {
		rc_engine_count_recovery(self, replay->len, FALSE);
	}
	w->func(self, w->member, &result, NULL, w->user_data);
	/* the callback may have closed the member, which removes it from its rooms */
	membership = rc_room_lookup(room, w->member);
	if (membership == NULL)
		return;
	delivered = rc_room_activate(room, membership, result.epoch, result.offset, replay);
	if (delivered > 0 || history != NULL) {
		self->delivered += delivered;
		rc_engine_changed(self);
	}
	rc_engine_send_held(self, w);
	/* the list asked for with the read did not come (Redis was away) */
	if (w->presence && !rc_room_knows_presence(room) && !rc_room_is_listing_presence(room))
		rc_engine_list_presence(self, room);
}

static void
rc_engine_join_read_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcJoinWaiter *w = user_data;
	RcEngine *self = w->engine;
	g_autoptr(GError) error = NULL;
	g_autoptr(RcHistory) history = rc_bus_read_room_finish(RC_BUS(source), res, &error);

	if (w->answered) {
		rc_join_waiter_free(w);
		return;
	}
	if (history != NULL || (w->history <= 0 && !w->since)) {
		/* a plain join works without Redis: rooms are local */
		rc_engine_join_done(self, w, history);
		rc_join_waiter_free(w);
		return;
	}
	/* a catch-up cannot be given: refuse rather than pretend */
	if (rc_room_registry_lookup_membership(self->registry, w->member, w->ns, w->room_code) !=
	    NULL) {
		RcRoom *room = rc_room_registry_lookup(self->registry, w->ns, w->room_code);
		/* its answer is the error, not the reply a leave gives joins in flight */
		rc_engine_untrack_join(self, w);
		rc_engine_drop(self, w->member, room);
		rc_engine_join_fail(self,
				    w,
				    g_error_new_literal(RC_ERROR, RC_ERROR_UNAVAILABLE, error->message));
		return;
	}
	rc_join_waiter_free(w);
}

/* reads where the room stands (and what the member asked to catch up on), after
 * the subscription is in place: nothing falls between the read and live delivery,
 * and what comes both ways is sent once (rc_room_activate) */
static void
rc_engine_join_read(RcEngine *self, RcJoinWaiter *w)
{
	guint size = rc_config_get_history_size(self->config);
	RcHistoryRange range = {.ensure_epoch = TRUE};

	if (w->since) {
		range.after = w->since_offset;
		range.limit = MIN(size, RC_ENGINE_MAX_CATCH_UP);
	} else if (w->history > 0) {
		range.limit = MIN((guint)w->history, size);
		range.newest = TRUE;
	}
	w->engine = g_object_ref(self);
	/* In the room for everyone, on every node, from now on. Sent before the read
	 * on the same way to Redis: once the read answers, the entry is there. */
	if (!w->answered) {
		RcMembership *membership = rc_room_registry_lookup_membership(self->registry,
									      w->member,
									      w->ns,
									      w->room_code);
		if (membership != NULL) {
			RcRoom *room = rc_membership_get_room(membership);
			g_autoptr(RcPresence) entry = rc_engine_presence_entry(self, w->member, room);
			rc_bus_presence_join(self->bus, entry);
			/* The first listener here: the room learns who is there on the same
			 * way, before the join is answered. Read after the answer, the list
			 * could hold a join the member caused by then, and its event, on the
			 * subscriber's way, would be taken for one the room knows. */
			if (w->presence && !rc_room_knows_presence(room) &&
			    !rc_room_is_listing_presence(room))
				rc_engine_list_presence(self, room);
		}
	}
	rc_bus_read_room_async(self->bus, w->ns, w->room_code, &range, rc_engine_join_read_cb, w);
}

void
rc_engine_join(RcEngine *self,
	       RcMember *member,
	       const gchar *ns,
	       const gchar *room_code,
	       const RcJoinOptions *options,
	       RcEngineJoinFunc func,
	       gpointer user_data,
	       GDestroyNotify destroy)
{
	RcJoinWaiter *w = rc_join_waiter_new(member, options, func, user_data, destroy);
	RcMembership *membership;
	RcRoom *room;
	GPtrArray *waiters;
	gsize max_rooms = rc_config_get_max_rooms_per_client(self->config);

	w->ns = g_strdup(ns);
	w->room_code = g_strdup(room_code);
	if (!rc_member_may_use_room(member, room_code)) {
		rc_engine_join_fail(self,
				    w,
				    g_error_new_literal(RC_ERROR,
							RC_ERROR_FORBIDDEN,
							_("this identity may not join that room")));
		return;
	}
	membership = rc_room_registry_lookup_membership(self->registry, member, ns, room_code);
	if (membership == NULL &&
	    rc_room_registry_count_rooms_of(self->registry, member) >= max_rooms) {
		rc_engine_join_fail(self,
				    w,
				    g_error_new(RC_ERROR,
						RC_ERROR_TOO_MANY_ROOMS,
						_("a connection may be in at most %u rooms"),
						(guint)max_rooms));
		return;
	}
	if (membership != NULL && rc_membership_is_live(membership)) {
		/* joining again changes nothing but a wish for presence events: it says
		 * where the room stands */
		if (options != NULL && options->presence)
			rc_membership_set_presence(membership, TRUE, TRUE);
		RcRoom *joined = rc_membership_get_room(membership);
		RcJoinResult result = rc_engine_room_result(joined);
		func(self, member, &result, NULL, user_data);
		rc_join_waiter_free(w);
		return;
	}
	if (membership == NULL) {
		membership = rc_room_registry_join(self->registry, member, ns, room_code, NULL);
		rc_engine_changed(self);
	}
	/* from the start: its own join event, which may come before the read, counts */
	if (w->presence)
		rc_membership_set_presence(membership, TRUE, FALSE);
	room = rc_membership_get_room(membership);
	rc_engine_track_join(self, w);
	if (rc_room_get_subscribed(room)) {
		rc_engine_join_read(self, w);
		return;
	}
	/* the read waits until messages of the room reach this node */
	waiters = g_hash_table_lookup(self->waiters, room);
	if (waiters == NULL) {
		waiters = g_ptr_array_new_with_free_func((GDestroyNotify)rc_join_waiter_free);
		g_hash_table_insert(self->waiters, room, waiters);
	}
	g_ptr_array_add(waiters, w);
}

/* one wording for "not in that room", whether it was a leave or a send */
static void
rc_engine_set_not_joined(GError **error, const gchar *ns, const gchar *room_code)
{
	g_set_error(error,
		    RC_ERROR,
		    RC_ERROR_NOT_JOINED,
		    _("not a member of room “%s” in namespace “%s”: join it first"),
		    room_code,
		    ns);
}

gboolean
rc_engine_leave(RcEngine *self,
		RcMember *member,
		const gchar *ns,
		const gchar *room_code,
		GError **error)
{
	RcRoom *room = rc_room_registry_lookup(self->registry, ns, room_code);
	if (room == NULL || !rc_engine_drop(self, member, room)) {
		rc_engine_set_not_joined(error, ns, room_code);
		return FALSE;
	}
	rc_engine_changed(self);
	return TRUE;
}

typedef struct {
	RcEngine *engine;
	RcRoom *room;
	guint serial; /* the room's fetch this answers (rc_room_get_fetch_serial()) */
} RcRoomCall;

static RcRoomCall *
rc_room_call_new(RcEngine *self, RcRoom *room)
{
	RcRoomCall *call = g_new0(RcRoomCall, 1);
	call->engine = g_object_ref(self);
	call->room = g_object_ref(room);
	call->serial = rc_room_get_fetch_serial(room);
	return call;
}

static void
rc_room_call_free(RcRoomCall *call)
{
	g_object_unref(call->engine);
	g_object_unref(call->room);
	g_free(call);
}

/* the room may have gone (and come back as another object) meanwhile */
static gboolean
rc_room_call_current(RcRoomCall *call)
{
	return rc_room_registry_lookup(call->engine->registry,
				       rc_room_get_namespace(call->room),
				       rc_room_get_code(call->room)) == call->room;
}

static void
rc_engine_room_subscribed_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcRoomCall *call = user_data;
	RcEngine *self = call->engine;
	g_autoptr(GPtrArray) waiters = NULL;

	rc_bus_subscribe_room_finish(RC_BUS(source), res, NULL);
	if (rc_room_call_current(call)) {
		rc_room_set_subscribed(call->room, TRUE);
		if (g_hash_table_steal_extended(self->waiters,
						call->room,
						NULL,
						(gpointer *)&waiters)) {
			/* the waiters move on to their reads */
			g_ptr_array_set_free_func(waiters, NULL);
			for (guint i = 0; i < waiters->len; i++)
				rc_engine_join_read(self, g_ptr_array_index(waiters, i));
		}
	}
	rc_room_call_free(call);
}

static void rc_engine_room_fetch(RcRoom *room, guint64 after, gboolean messages, gpointer user_data);

static gboolean
rc_engine_room_retry_cb(gpointer user_data)
{
	RcRoomCall *call = user_data;
	/* a later fetch asked meanwhile takes its place */
	if (rc_room_call_current(call) && !call->engine->stopping &&
	    call->serial == rc_room_get_fetch_serial(call->room))
		rc_room_retry_fetch(call->room);
	return G_SOURCE_REMOVE;
}

static void
rc_engine_room_fetched_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcRoomCall *call = user_data;
	RcEngine *self = call->engine;
	g_autoptr(GError) error = NULL;
	g_autoptr(RcHistory) history = rc_bus_read_room_finish(RC_BUS(source), res, &error);
	guint64 unfounded;

	/* the room went, or asked for another read since: that one's answer counts */
	if (!rc_room_call_current(call) || call->serial != rc_room_get_fetch_serial(call->room)) {
		rc_room_call_free(call);
		return;
	}
	if (history == NULL) {
		/* Redis is away: the room holds on and tries again a little later */
		g_debug("room %s %s: cannot read its history: %s",
			rc_room_get_namespace(call->room),
			rc_room_get_code(call->room),
			error->message);
		g_timeout_add_full(G_PRIORITY_DEFAULT,
				   RC_ENGINE_FETCH_RETRY_MS,
				   rc_engine_room_retry_cb,
				   call,
				   (GDestroyNotify)rc_room_call_free);
		return;
	}
	self->delivered += rc_room_recovered(call->room, history);
	unfounded = rc_room_take_unfounded(call->room);
	if (unfounded > 0) {
		static RcLogLimit limit = RC_LOG_LIMIT_INIT("room messages not in the history");
		g_autofree gchar *room = g_strdup_printf(
		    "%s/%s", rc_room_get_namespace(call->room), rc_room_get_code(call->room));
		self->unfounded += unfounded;
		rc_log_limited(&limit,
			       NULL,
			       room,
			       "dropped %" G_GUINT64_FORMAT
			       " message(s) of room %s: their epoch or offset is not in its history",
			       unfounded,
			       room);
	}
	rc_engine_count_recovery(self,
				 rc_room_take_recovered(call->room),
				 rc_room_take_misses(call->room) > 0);
	rc_engine_changed(self);
	rc_room_call_free(call);
}

/* the room asks for what it missed */
static void
rc_engine_room_fetch(RcRoom *room, guint64 after, gboolean messages, gpointer user_data)
{
	RcEngine *self = RC_ENGINE(user_data);
	RcHistoryRange range = {
	    .after = after,
	    .limit = messages ? MIN(rc_config_get_history_size(self->config), RC_ENGINE_MAX_CATCH_UP)
			      : 0,
	};
	rc_bus_read_room_async(self->bus,
			       rc_room_get_namespace(room),
			       rc_room_get_code(room),
			       &range,
			       rc_engine_room_fetched_cb,
			       rc_room_call_new(self, room));
}

static void
rc_engine_room_added_cb(RcRoomRegistry *registry, RcRoom *room, RcEngine *self)
{
	rc_room_set_fetch_func(room, rc_engine_room_fetch, self);
	rc_bus_subscribe_room_async(self->bus,
				    rc_room_get_namespace(room),
				    rc_room_get_code(room),
				    rc_engine_room_subscribed_cb,
				    rc_room_call_new(self, room));
	g_signal_emit(self,
		      signals[SIGNAL_ROOM_ADDED],
		      0,
		      rc_room_get_namespace(room),
		      rc_room_get_code(room));
}

static void
rc_engine_room_removed_cb(RcRoomRegistry *registry, RcRoom *room, RcEngine *self)
{
	g_hash_table_remove(self->waiters, room);
	rc_room_set_fetch_func(room, NULL, NULL);
	rc_bus_unsubscribe_room(self->bus, rc_room_get_namespace(room), rc_room_get_code(room));
	g_signal_emit(self,
		      signals[SIGNAL_ROOM_REMOVED],
		      0,
		      rc_room_get_namespace(room),
		      rc_room_get_code(room));
}

static void
rc_engine_bus_message_cb(RcBus *bus, RcMessage *msg, gpointer user_data)
{
	RcEngine *self = user_data;
	RcRoom *room;
	guint delivered;

	/* once per message: each member's write is measured from here */
	if (rc_message_get_accepted_at(msg) == 0)
		rc_message_set_accepted_at(msg, g_get_monotonic_time());
	if (rc_message_get_id(msg) == NULL) {
		g_autofree gchar *id = rc_engine_new_message_id(self);
		rc_message_set_id(msg, id);
	}
	if (rc_message_get_ts(msg) == 0)
		rc_message_set_ts(msg, rc_engine_now_ms());
	room = rc_room_registry_lookup(self->registry,
				       rc_message_get_namespace(msg),
				       rc_message_get_room_code(msg));
	if (room == NULL)
		return;
	delivered = rc_room_deliver(room, msg);
	if (delivered > 0) {
		self->delivered += delivered;
		rc_engine_changed(self);
	}
}

static void
rc_engine_bus_presence_cb(RcBus *bus, RcPresence *event, RcEngine *self)
{
	RcRoom *room = rc_room_registry_lookup(self->registry,
					       rc_presence_get_namespace(event),
					       rc_presence_get_room_code(event));
	if (room != NULL)
		rc_room_deliver_presence(room, event);
}

/* what was published while the bus was away is read back for every room */
static void
rc_engine_bus_resubscribed_cb(RcBus *bus, RcEngine *self)
{
	g_autoptr(GPtrArray) rooms = rc_room_registry_list(self->registry);
	for (guint i = 0; i < rooms->len; i++) {
		rc_room_resync(g_ptr_array_index(rooms, i));
		rc_engine_reconcile_presence_later(self, g_ptr_array_index(rooms, i));
	}
}

static void
rc_engine_bus_room_resubscribed_cb(RcBus *bus,
				   const gchar *ns,
				   const gchar *room_code,
				   RcEngine *self)
{
	RcRoom *room = rc_room_registry_lookup(self->registry, ns, room_code);
	if (room != NULL) {
		rc_room_resync(room);
		rc_engine_reconcile_presence_later(self, room);
	}
}

static void
rc_engine_bus_state_changed_cb(RcBus *bus, RcEngine *self)
{
	rc_engine_changed(self);
}

static void
rc_engine_published_cb(RcBus *bus, RcMessage *msg, const GError *error, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	RcEngine *self = g_task_get_source_object(task);

	if (error != NULL) {
		g_task_return_error(task, g_error_copy(error));
		return;
	}
	self->received++;
	rc_engine_changed(self);
	g_task_return_pointer(task, rc_message_ref(msg), (GDestroyNotify)rc_message_unref);
}

static gboolean
rc_engine_validate(RcEngine *self,
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

/* @ingress_id: the ingress stream entry published, so a second delivery counts once */
static void
rc_engine_publish_full(RcEngine *self,
		       const gchar *ns,
		       const gchar *room_code,
		       const gchar *sender,
		       const gchar *text,
		       RcSource source,
		       const gchar *connection_id,
		       const gchar *ingress_id,
		       GCancellable *cancellable,
		       GAsyncReadyCallback callback,
		       gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(RcMessage) msg = NULL;
	g_autofree gchar *filtered = NULL;
	g_autofree gchar *id = NULL;

	g_task_set_source_tag(task, rc_engine_publish_async);
	if (self->shutdown_task != NULL) {
		g_task_return_new_error(task,
					RC_ERROR,
					RC_ERROR_UNAVAILABLE,
					_("the server is shutting down"));
		return;
	}
	if (!rc_engine_validate(self, ns, room_code, sender, text, &error)) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	filtered = g_strdup(text);
	if (!rc_plugin_host_filter(self->plugins,
				   source,
				   connection_id,
				   ns,
				   room_code,
				   sender,
				   &filtered,
				   &error)) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	/* a filter may have made the text longer */
	if (!rc_engine_validate(self, ns, room_code, sender, filtered, &error)) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	id = rc_engine_new_message_id(self);
	msg = rc_message_new(ns, room_code, sender, filtered, id, rc_engine_now_ms(), self->node_id);
	rc_bus_publish(self->bus, msg, ingress_id, rc_engine_published_cb, g_steal_pointer(&task));
}

void
rc_engine_publish_async(RcEngine *self,
			const gchar *ns,
			const gchar *room_code,
			const gchar *sender,
			const gchar *text,
			RcSource source,
			const gchar *connection_id,
			GCancellable *cancellable,
			GAsyncReadyCallback callback,
			gpointer user_data)
{
	rc_engine_publish_full(self,
			       ns,
			       room_code,
			       sender,
			       text,
			       source,
			       connection_id,
			       NULL,
			       cancellable,
			       callback,
			       user_data);
}

RcMessage *
rc_engine_publish_finish(RcEngine *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}

void
rc_engine_send_async(RcEngine *self,
		     RcMember *member,
		     const gchar *ns,
		     const gchar *room_code,
		     const gchar *text,
		     GCancellable *cancellable,
		     GAsyncReadyCallback callback,
		     gpointer user_data)
{
	RcMembership *membership;
	RcJoinWaiter *w;
	gsize held = 0;

	/* refused rooms say so, whether or not a join was tried */
	if (!rc_member_may_use_room(member, room_code)) {
		g_task_report_new_error(self,
					callback,
					user_data,
					rc_engine_publish_async,
					RC_ERROR,
					RC_ERROR_FORBIDDEN,
					_("this identity may not send to that room"));
		return;
	}
	membership = rc_room_registry_lookup_membership(self->registry, member, ns, room_code);
	if (membership == NULL) {
		g_autoptr(GError) error = NULL;
		rc_engine_set_not_joined(&error, ns, room_code);
		g_task_report_error(
		    self, callback, user_data, rc_engine_publish_async, g_steal_pointer(&error));
		return;
	}
	if (!rc_membership_is_live(membership) &&
	    (w = rc_engine_find_join(self, member, ns, room_code, &held)) != NULL) {
		gsize size = sizeof(RcHeldSend) + strlen(text) + 1;
		RcHeldSend *send;
		/* as much as the node would queue to the connection, no more */
		if (held + size > rc_config_get_max_queue_bytes(self->config)) {
			g_task_report_new_error(self,
						callback,
						user_data,
						rc_engine_publish_async,
						RC_ERROR,
						RC_ERROR_RATE_LIMITED,
						_("too many sends wait for joins to take effect"));
			return;
		}
		send = g_new0(RcHeldSend, 1);
		send->engine = g_object_ref(self);
		send->text = g_strdup(text);
		send->size = size;
		send->cancellable = cancellable != NULL ? g_object_ref(cancellable) : NULL;
		send->callback = callback;
		send->user_data = user_data;
		if (w->sends == NULL)
			w->sends = g_ptr_array_new_with_free_func((GDestroyNotify)rc_held_send_free);
		g_ptr_array_add(w->sends, send);
		return;
	}
	rc_engine_publish_from(
	    self, member, ns, room_code, text, cancellable, callback, user_data);
}

/* ---- history and the ingress stream ------------------------------------------- */

#define RC_ENGINE_DEFAULT_HISTORY_LIMIT 50

static void
rc_engine_history_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	GError *error = NULL;
	RcHistory *history = rc_bus_read_room_finish(RC_BUS(source), res, &error);

	if (history == NULL) {
		g_task_return_error(task, error);
		return;
	}
	g_task_return_pointer(task, history, (GDestroyNotify)rc_history_free);
}

void
rc_engine_history_async(RcEngine *self,
			RcMember *member,
			const gchar *ns,
			const gchar *room_code,
			guint limit,
			guint64 before,
			GAsyncReadyCallback callback,
			gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, NULL, callback, user_data);
	g_autoptr(GError) error = NULL;
	guint size = rc_config_get_history_size(self->config);
	RcHistoryRange range = {.before = before, .newest = TRUE};

	g_task_set_source_tag(task, rc_engine_history_async);
	if (!rc_protocol_validate_namespace(ns, &error) ||
	    !rc_protocol_validate_room_code(room_code, &error)) {
		g_task_return_new_error(task, RC_ERROR, RC_ERROR_INVALID_ARGS, "%s", error->message);
		return;
	}
	/* reading a room is for those who may join it */
	if (member != NULL && !rc_member_may_use_room(member, room_code)) {
		g_task_return_new_error(task,
					RC_ERROR,
					RC_ERROR_FORBIDDEN,
					_("this identity may not read that room"));
		return;
	}
	range.limit = MIN(limit > 0 ? limit : RC_ENGINE_DEFAULT_HISTORY_LIMIT, size);
	rc_bus_read_room_async(self->bus,
			       ns,
			       room_code,
			       &range,
			       rc_engine_history_cb,
			       g_steal_pointer(&task));
}

RcHistory *
rc_engine_history_finish(RcEngine *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}

static void
rc_engine_who_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	GError *error = NULL;
	GPtrArray *members = rc_bus_presence_list_finish(RC_BUS(source), res, &error);

	if (members == NULL) {
		g_task_return_error(task, error);
		return;
	}
	g_task_return_pointer(task, members, (GDestroyNotify)g_ptr_array_unref);
}

void
rc_engine_who_async(RcEngine *self,
		    RcMember *member,
		    const gchar *ns,
		    const gchar *room_code,
		    GAsyncReadyCallback callback,
		    gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, NULL, callback, user_data);
	g_autoptr(GError) error = NULL;

	g_task_set_source_tag(task, rc_engine_who_async);
	if (!rc_protocol_validate_namespace(ns, &error) ||
	    !rc_protocol_validate_room_code(room_code, &error)) {
		g_task_return_new_error(task, RC_ERROR, RC_ERROR_INVALID_ARGS, "%s", error->message);
		return;
	}
	/* who is in a room is for those who may join it */
	if (member != NULL && !rc_member_may_use_room(member, room_code)) {
		g_task_return_new_error(task,
					RC_ERROR,
					RC_ERROR_FORBIDDEN,
					_("this identity may not read that room"));
		return;
	}
	rc_bus_presence_list_async(self->bus, ns, room_code, rc_engine_who_cb, g_steal_pointer(&task));
}

GPtrArray *
rc_engine_who_finish(RcEngine *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}

typedef struct {
	RcEngine *engine;
	gchar *id;
} RcIngressEntry;

static void
rc_ingress_entry_free(RcIngressEntry *entry)
{
	g_object_unref(entry->engine);
	g_free(entry->id);
	g_free(entry);
}

static void
rc_engine_ingress_published_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcIngressEntry *entry = user_data;
	RcEngine *self = entry->engine;
	g_autoptr(GError) error = NULL;
	g_autoptr(RcMessage) msg = rc_engine_publish_finish(self, res, &error);

	if (msg == NULL && g_error_matches(error, RC_ERROR, RC_ERROR_UNAVAILABLE)) {
		/* not acknowledged: the entry waits in the stream for the bus to come back */
		g_debug("ingress entry %s not published yet: %s", entry->id, error->message);
		rc_ingress_entry_free(entry);
		return;
	}
	if (msg == NULL)
		g_message("ingress entry %s refused: %s", entry->id, error->message);
	/* published, or refused for good (a filter, a limit): either way it is done */
	rc_bus_ack_ingress(self->bus, entry->id);
	rc_ingress_entry_free(entry);
}

/* an entry of the durable ingress stream: published like a POST /publish, with its
 * entry id, so that one taken over from a dead node appears in its room once */
static void
rc_engine_bus_ingress_cb(RcBus *bus, const gchar *id, GBytes *payload, RcEngine *self)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RcMessage) msg = NULL;
	RcIngressEntry *entry;

	msg = rc_protocol_parse_message(g_bytes_get_data(payload, NULL),
					g_bytes_get_size(payload),
					rc_config_get_max_text_bytes(self->config),
					&error);
	if (msg == NULL) {
		self->invalid_ingress++;
		rc_engine_changed(self);
		g_warning("ignoring invalid ingress entry %s: %s",
			  id,
			  g_bytes_get_size(payload) > 0 ? error->message
							: "no field “message”");
		rc_bus_ack_ingress(bus, id);
		return;
	}
	entry = g_new0(RcIngressEntry, 1);
	entry->engine = g_object_ref(self);
	entry->id = g_strdup(id);
	rc_engine_publish_full(self,
			       rc_message_get_namespace(msg),
			       rc_message_get_room_code(msg),
			       rc_message_get_sender(msg),
			       rc_message_get_text(msg),
			       RC_SOURCE_INGRESS,
			       NULL,
			       id,
			       NULL,
			       rc_engine_ingress_published_cb,
			       entry);
}

gboolean
rc_engine_kick(RcEngine *self, const gchar *client_id, const gchar *reason, GError **error)
{
	RcMember *member = rc_engine_lookup_member(self, client_id);
	g_autoptr(RcMember) keep = NULL;

	if (member == NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_NOT_FOUND, _("no client “%s” on this node"), client_id);
		return FALSE;
	}
	if (reason != NULL && strlen(reason) > RC_ENGINE_MAX_REASON_BYTES) {
		g_set_error(error,
			    RC_ERROR,
			    RC_ERROR_INVALID_ARGS,
			    _("the reason is longer than 120 bytes"));
		return FALSE;
	}
	g_message("kicking client %s (%s): %s", client_id, rc_member_get_sender(member), reason);
	keep = g_object_ref(member);
	/* gone from rooms and lists at once; only the socket lingers until it closes */
	rc_engine_remove_member(self, keep);
	rc_member_close(keep, 1008, reason);
	return TRUE;
}

gboolean
rc_engine_close_room(RcEngine *self,
		     const gchar *ns,
		     const gchar *room_code,
		     const gchar *reason,
		     guint *removed,
		     GError **error)
{
	g_autoptr(GPtrArray) members = NULL;
	g_autoptr(RcRoom) room = NULL;
	RcRoom *found = rc_engine_get_room(self, ns, room_code, error);

	if (found == NULL)
		return FALSE;
	room = g_object_ref(found);
	members = rc_room_get_members(room);
	g_ptr_array_set_free_func(members, g_object_unref);
	for (guint i = 0; i < members->len; i++)
		g_object_ref(g_ptr_array_index(members, i));
	for (guint i = 0; i < members->len; i++) {
		RcMember *member = g_ptr_array_index(members, i);
		rc_engine_drop(self, member, room);
		rc_member_removed(member, ns, room_code, reason);
	}
	if (removed != NULL)
		*removed = members->len;
	rc_engine_changed(self);
	g_message("closed room %s %s: %u clients removed", ns, room_code, members->len);
	return TRUE;
}

/* keys of the plugins' groups they do not read: a misspelt one would be ignored */
static void
rc_engine_warn_unknown_settings(RcEngine *self)
{
	g_autoptr(GPtrArray) unknown = g_ptr_array_new_with_free_func(g_free);

	rc_plugin_host_list_unknown_keys(self->plugins, self->config, unknown);
	for (guint i = 0; i < unknown->len; i++)
		g_warning("%s", (const gchar *)g_ptr_array_index(unknown, i));
}

gboolean
rc_engine_reload_config(RcEngine *self, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	g_autoptr(GKeyFile) kf = NULL;
	g_autoptr(GTlsCertificate) tls_before = NULL;
	GTlsCertificate *tls_after;
	gboolean restart_needed = FALSE;

	if (rc_config_get_tls_certificate(self->config) != NULL)
		tls_before = g_object_ref(rc_config_get_tls_certificate(self->config));
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
	rc_engine_warn_unknown_settings(self);
	/* the password file is read again with the rest */
	if (RC_IS_REDIS_BUS(self->bus))
		rc_redis_bus_reload(RC_REDIS_BUS(self->bus));
	/* the TLS files are read again on every reload: renewed ones serve from now on */
	tls_after = rc_config_get_tls_certificate(self->config);
	if (tls_before != NULL && tls_after != NULL && tls_after != tls_before)
		g_message("TLS certificate reloaded from %s for new connections",
			  rc_config_get_tls_certificate_file(self->config));
	if (restart_needed)
		g_message("configuration reloaded; changes to server, redis, dbus and plugin list "
			  "keys apply at the next start");
	else
		g_message("configuration reloaded");
	return TRUE;
}

/* the Redis bus of the configuration; its error names where the address came from */
static RcBus *
rc_engine_new_redis_bus(RcEngine *self, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	RcBus *bus = rc_redis_bus_new(self->config, &error_local);

	if (bus == NULL)
		g_set_error(error,
			    RC_ERROR,
			    RC_ERROR_FAILED,
			    "%s: %s",
			    rc_config_get_redis_origin(self->config),
			    error_local->message);
	return bus;
}

/* a problem for --check-config, once however many checks find it */
static void
rc_engine_add_problem(GPtrArray *problems, const gchar *problem)
{
	if (!g_ptr_array_find_with_equal_func(problems, problem, g_str_equal, NULL))
		g_ptr_array_add(problems, g_strdup(problem));
}

void
rc_engine_check(RcEngine *self, GPtrArray *problems)
{
	const gchar *const *names = rc_config_get_plugins_enabled(self->config);
	g_autoptr(RcPluginHost) all = rc_plugin_host_new();
	g_autoptr(GError) error = NULL;

	/* each plugin on its own, so one that does not load hides no other */
	for (guint i = 0; names != NULL && names[i] != NULL; i++) {
		const gchar *one[] = {names[i], NULL};
		g_autoptr(RcPluginHost) host = rc_plugin_host_new();
		g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func(g_free);
		g_autoptr(GError) error_one = NULL;
		if (rc_plugin_host_load(host,
					rc_config_get_plugin_dirs(self->config),
					one,
					rc_config_get_keyfile(self->config),
					&error_one))
			rc_plugin_host_list_unknown_keys(host, self->config, found);
		else
			g_ptr_array_add(found, g_strdup(error_one->message));
		for (guint k = 0; k < found->len; k++)
			rc_engine_add_problem(problems, found->pdata[k]);
	}
	/* then the list as a whole: a name given twice */
	if (!rc_plugin_host_load(all,
				 rc_config_get_plugin_dirs(self->config),
				 names,
				 rc_config_get_keyfile(self->config),
				 &error))
		rc_engine_add_problem(problems, error->message);
	g_clear_error(&error);
	if (rc_config_get_redis_url(self->config) != NULL ||
	    rc_config_get_redis_cluster(self->config) != NULL) {
		g_autoptr(RcBus) bus = rc_engine_new_redis_bus(self, &error);
		if (bus == NULL)
			g_ptr_array_add(problems, g_strdup(error->message));
	}
}

gboolean
rc_engine_load(RcEngine *self, GError **error)
{
	g_autoptr(GError) error_local = NULL;

	if (!rc_plugin_host_load(self->plugins,
				 rc_config_get_plugin_dirs(self->config),
				 rc_config_get_plugins_enabled(self->config),
				 rc_config_get_keyfile(self->config),
				 &error_local)) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_FAILED, error_local->message);
		return FALSE;
	}
	rc_engine_warn_unknown_settings(self);
	if (rc_config_get_redis_url(self->config) != NULL ||
	    rc_config_get_redis_cluster(self->config) != NULL) {
		self->bus = rc_engine_new_redis_bus(self, error);
		if (self->bus == NULL)
			return FALSE;
	} else {
		self->bus = rc_embedded_bus_new(self->config);
	}
	rc_bus_set_message_func(self->bus, rc_engine_bus_message_cb, self);
	g_signal_connect(self->bus,
			 "state-changed",
			 G_CALLBACK(rc_engine_bus_state_changed_cb),
			 self);
	g_signal_connect(self->bus,
			 "resubscribed",
			 G_CALLBACK(rc_engine_bus_resubscribed_cb),
			 self);
	g_signal_connect(self->bus,
			 "room-resubscribed",
			 G_CALLBACK(rc_engine_bus_room_resubscribed_cb),
			 self);
	g_signal_connect(self->bus, "ingress", G_CALLBACK(rc_engine_bus_ingress_cb), self);
	g_signal_connect(self->bus, "presence", G_CALLBACK(rc_engine_bus_presence_cb), self);
	return TRUE;
}

gboolean
rc_engine_start(RcEngine *self, const gchar *node_id, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	g_auto(GStrv) names = NULL;
	g_autofree gchar *names_str = NULL;
	gboolean cluster = rc_config_get_redis_cluster(self->config) != NULL;

	g_return_val_if_fail(self->bus != NULL, FALSE);
	g_free(self->node_id);
	self->node_id = g_strdup(node_id);
	g_object_set(self->bus, "node-id", node_id, NULL);
	if (!rc_bus_start(self->bus, &error_local)) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_FAILED, error_local->message);
		return FALSE;
	}
	names = rc_plugin_host_get_names(self->plugins);
	names_str = g_strjoinv(", ", names);
	/* the bus names Redis without its password */
	g_message("node %s started: bus %s, fanout %s, plugins: %s",
		  self->node_id,
		  RC_IS_REDIS_BUS(self->bus) ? rc_redis_bus_get_display(RC_REDIS_BUS(self->bus))
					     : "embedded",
		  cluster ? "sharded"
		  : rc_config_get_fanout(self->config) == RC_FANOUT_PER_ROOM ? "per-room"
									       : "single",
		  names_str[0] != '\0' ? names_str : "none");
	return TRUE;
}

static gboolean
rc_engine_shutdown_timeout_cb(gpointer user_data)
{
	RcEngine *self = RC_ENGINE(user_data);
	self->shutdown_timeout_id = 0;
	g_message("%u clients did not close in time", g_hash_table_size(self->members));
	rc_engine_finish_shutdown(self);
	return G_SOURCE_REMOVE;
}

void
rc_engine_shutdown_async(RcEngine *self, GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GPtrArray) members = NULL;
	GHashTableIter iter;
	gpointer value;

	if (self->shutdown_task != NULL)
		return;
	self->shutdown_task = g_task_new(self, NULL, callback, user_data);
	g_message("shutting down: closing %u clients", g_hash_table_size(self->members));
	members = g_ptr_array_new_with_free_func(g_object_unref);
	g_hash_table_iter_init(&iter, self->members);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		g_ptr_array_add(members, g_object_ref(value));
	for (guint i = 0; i < members->len; i++)
		rc_member_close(g_ptr_array_index(members, i), 1001, "server shutting down");
	if (g_hash_table_size(self->members) == 0) {
		rc_engine_finish_shutdown(self);
		return;
	}
	self->shutdown_timeout_id =
	    g_timeout_add(RC_ENGINE_SHUTDOWN_DRAIN_MS, rc_engine_shutdown_timeout_cb, self);
}

/* how often a drain closes its next few clients */
#define RC_ENGINE_DRAIN_TICK_MS 20

static void
rc_engine_drain_complete(RcEngine *self)
{
	g_autoptr(GPtrArray) tasks = NULL;

	if (self->drain_tasks == NULL || self->drain_tasks->len == 0 ||
	    g_hash_table_size(self->members) > 0 || !g_queue_is_empty(&self->drain_queue))
		return;
	tasks = g_steal_pointer(&self->drain_tasks);
	self->drain_tasks = g_ptr_array_new_with_free_func(g_object_unref);
	for (guint i = 0; i < tasks->len; i++)
		g_task_return_boolean(g_ptr_array_index(tasks, i), TRUE);
}

/* closes clients at an even pace: by time t, the share t / window of them */
static gboolean
rc_engine_drain_tick_cb(gpointer user_data)
{
	RcEngine *self = RC_ENGINE(user_data);
	gint64 now = g_get_monotonic_time();
	gint64 window = MAX(self->drain_end_us - self->drain_start_us, 1);
	gint64 elapsed = CLAMP(now - self->drain_start_us, 0, window);
	guint target = (guint)(((gint64)self->drain_total * elapsed + window - 1) / window);

	for (; self->drain_closed < target && !g_queue_is_empty(&self->drain_queue);
	     self->drain_closed++) {
		g_autofree gchar *id = g_queue_pop_head(&self->drain_queue);
		RcMember *member = g_hash_table_lookup(self->members, id);
		if (member != NULL)
			rc_member_close(member, 1012, "server restarting: reconnect");
	}
	if (!g_queue_is_empty(&self->drain_queue))
		return G_SOURCE_CONTINUE;
	self->drain_id = 0;
	rc_engine_drain_complete(self);
	return G_SOURCE_REMOVE;
}

void
rc_engine_drain_async(RcEngine *self,
		      guint seconds,
		      GAsyncReadyCallback callback,
		      gpointer user_data)
{
	GTask *task = g_task_new(self, NULL, callback, user_data);
	GHashTableIter iter;
	gpointer key;

	g_ptr_array_add(self->drain_tasks, task);
	if (!self->draining) {
		self->draining = TRUE;
		g_message("draining: %u clients asked to reconnect elsewhere over %u s",
			  g_hash_table_size(self->members),
			  seconds);
		g_hash_table_iter_init(&iter, self->members);
		while (g_hash_table_iter_next(&iter, &key, NULL))
			g_queue_push_tail(&self->drain_queue, g_strdup(key));
		self->drain_total = self->drain_queue.length;
		self->drain_closed = 0;
		self->drain_start_us = g_get_monotonic_time();
		self->drain_end_us = self->drain_start_us + (gint64)seconds * G_USEC_PER_SEC;
		self->drain_id = g_timeout_add(RC_ENGINE_DRAIN_TICK_MS, rc_engine_drain_tick_cb, self);
		rc_engine_changed(self);
	}
	rc_engine_drain_complete(self);
}

gboolean
rc_engine_drain_finish(RcEngine *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

gboolean
rc_engine_is_draining(RcEngine *self)
{
	return self->draining;
}

gboolean
rc_engine_shutdown_finish(RcEngine *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

static void
rc_engine_dispose(GObject *object)
{
	RcEngine *self = RC_ENGINE(object);
	g_clear_handle_id(&self->shutdown_timeout_id, g_source_remove);
	g_clear_handle_id(&self->drain_id, g_source_remove);
	g_queue_clear_full(&self->drain_queue, g_free);
	if (self->waiters != NULL)
		g_hash_table_remove_all(self->waiters);
	if (self->members != NULL)
		g_hash_table_remove_all(self->members);
	if (self->bus != NULL) {
		g_signal_handlers_disconnect_by_data(self->bus, self);
		rc_bus_set_message_func(self->bus, NULL, NULL);
		rc_bus_stop(self->bus);
	}
	g_clear_object(&self->bus);
	G_OBJECT_CLASS(rc_engine_parent_class)->dispose(object);
}

static void
rc_engine_finalize(GObject *object)
{
	RcEngine *self = RC_ENGINE(object);
	g_hash_table_unref(self->waiters);
	g_hash_table_unref(self->members);
	g_hash_table_unref(self->joins);
	g_ptr_array_unref(self->drain_tasks);
	g_object_unref(self->registry);
	g_object_unref(self->plugins);
	g_object_unref(self->config);
	g_free(self->node_id);
	g_free(self->id_prefix);
	G_OBJECT_CLASS(rc_engine_parent_class)->finalize(object);
}

static void
rc_engine_class_init(RcEngineClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = rc_engine_dispose;
	object_class->finalize = rc_engine_finalize;
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
	signals[SIGNAL_CHANGED] = g_signal_new("changed",
					       G_TYPE_FROM_CLASS(klass),
					       G_SIGNAL_RUN_LAST,
					       0,
					       NULL,
					       NULL,
					       NULL,
					       G_TYPE_NONE,
					       0);
}

static void
rc_engine_init(RcEngine *self)
{
	/* 64 random bits: client and message ids stay unique across every node */
	self->id_prefix = g_strdup_printf("%08x%08x", g_random_int(), g_random_int());
	self->registry = rc_room_registry_new();
	self->plugins = rc_plugin_host_new();
	self->members = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_object_unref);
	self->joins = g_hash_table_new_full(g_direct_hash,
					    g_direct_equal,
					    NULL,
					    (GDestroyNotify)g_ptr_array_unref);
	self->drain_tasks = g_ptr_array_new_with_free_func(g_object_unref);
	self->waiters = g_hash_table_new_full(g_direct_hash,
					      g_direct_equal,
					      NULL,
					      (GDestroyNotify)g_ptr_array_unref);
	g_signal_connect(self->registry, "room-added", G_CALLBACK(rc_engine_room_added_cb), self);
	g_signal_connect(self->registry, "room-removed", G_CALLBACK(rc_engine_room_removed_cb), self);
}

RcEngine *
rc_engine_new(RcConfig *config)
{
	RcEngine *self = g_object_new(RC_TYPE_ENGINE, NULL);
	self->config = g_object_ref(config);
	return self;
}
