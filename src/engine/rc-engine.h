/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <roomcast-plugin.h>

#include "bus/rc-bus.h"
#include "rc-config.h"
#include "rc-error.h"
#include "rc-message.h"
#include "rooms/rc-member.h"
#include "rooms/rc-room.h"

G_BEGIN_DECLS

/* The node's core: rooms, the bus, the plugins, publishing and the admin actions.
 * It knows nothing of HTTP, WebSocket or D-Bus. Front ends (the HTTP server and its
 * /ws clients, the D-Bus admin API) are built on top of it by RcDaemon: they call
 * down into this API and learn about changes from its signals; it never calls up,
 * except into members through the RcMember interface.
 *
 * Signals: ::room-added and ::room-removed (namespace, roomCode) when a room gets
 * its first or loses its last local member; ::changed once after any figure of
 * rc_engine_get_stats() changed since the last call to it (so a listener can
 * coalesce without a cost per message). */
#define RC_TYPE_ENGINE (rc_engine_get_type())
G_DECLARE_FINAL_TYPE(RcEngine, rc_engine, RC, ENGINE, GObject)

typedef struct {
	guint connections;
	guint rooms;
	guint64 received;  /* messages this node accepted (WebSocket, HTTP, D-Bus, ingress) */
	guint64 delivered; /* message frames sent to local members */
	guint64 invalid_payloads;
	guint64 slow_consumers;
	guint64 recovered; /* messages delivered from history: replays and node-level recovery */
	guint64 history_misses; /* recoveries that could not give everything asked for */
	RcBusState bus_state;
	guint shards_up; /* Redis servers (a cluster's masters) reachable, and not */
	guint shards_down;
} RcEngineStats;

/* what a join asks for besides membership */
typedef struct {
	gint history;	/* the room's last N messages, -1 for none */
	gboolean since; /* resume after since_offset in since_epoch */
	const gchar *since_epoch;
	guint64 since_offset;
	gboolean presence; /* the member wants the room's join and leave events */
} RcJoinOptions;

/* what a join answers with */
typedef struct {
	const gchar *ns;
	const gchar *room_code;
	const gchar *epoch; /* "" while the node could not learn it (Redis down) */
	guint64 offset;	    /* the room's latest offset when the join took effect */
	gboolean since;	    /* a resume: @recovered says whether all was still held */
	gboolean recovered;
} RcJoinResult;

/* Called once when the join took effect (@error NULL) or was refused; never after
 * the member left the engine. Room events for the member follow the call. */
typedef void (*RcEngineJoinFunc)(RcEngine *engine,
				 RcMember *member,
				 const RcJoinResult *result,
				 const GError *error,
				 gpointer user_data);

RcEngine *rc_engine_new(RcConfig *config);
/* loads the plugins and builds the bus; errors mean a bad configuration (exit 1) */
gboolean rc_engine_load(RcEngine *self, GError **error);
/* what rc_engine_load() would refuse, every problem of it, appended to @problems
 * (strings); nothing stays loaded */
void rc_engine_check(RcEngine *self, GPtrArray *problems);
/* connects the bus; @node_id names this node from now on */
gboolean rc_engine_start(RcEngine *self, const gchar *node_id, GError **error);
/* closes every member with 1001 and finishes once all left (or after 3 s), with the
 * bus stopped */
void rc_engine_shutdown_async(RcEngine *self, GAsyncReadyCallback callback, gpointer user_data);
gboolean rc_engine_shutdown_finish(RcEngine *self, GAsyncResult *res, GError **error);
gboolean rc_engine_is_shutting_down(RcEngine *self);
/* Stops taking clients and closes the ones there with 1012 (reconnect elsewhere),
 * spread evenly over @seconds so they do not all come back at once; finishes once
 * the last is gone. The node keeps running, serving nothing new. */
void rc_engine_drain_async(RcEngine *self,
			   guint seconds,
			   GAsyncReadyCallback callback,
			   gpointer user_data);
gboolean rc_engine_drain_finish(RcEngine *self, GAsyncResult *res, GError **error);
gboolean rc_engine_is_draining(RcEngine *self);
/* re-reads the configuration file; on error nothing changed */
gboolean rc_engine_reload_config(RcEngine *self, GError **error);

RcConfig *rc_engine_get_config(RcEngine *self);
const gchar *rc_engine_get_node_id(RcEngine *self);
void rc_engine_get_stats(RcEngine *self, RcEngineStats *stats);
RcBusState rc_engine_get_bus_state(RcEngine *self);
const gchar *rc_engine_get_bus_state_name(RcEngine *self);
/* why Redis is not (fully) connected, in Redis' or the network's words; NULL when it is */
const gchar *rc_engine_get_bus_error(RcEngine *self);
/* names of the loaded plugins, in load order (transfer full), never NULL */
GStrv rc_engine_get_plugin_names(RcEngine *self);
gboolean rc_engine_has_auth(RcEngine *self);

/* (element-type RcRoom) (transfer container) */
GPtrArray *rc_engine_list_rooms(RcEngine *self);
RcRoom *rc_engine_lookup_room(RcEngine *self, const gchar *ns, const gchar *room_code);
/* the local room, or RC_ERROR_INVALID_ARGS for a bad name, RC_ERROR_NOT_FOUND */
RcRoom *rc_engine_get_room(RcEngine *self, const gchar *ns, const gchar *room_code, GError **error);

/* connections */
gchar *rc_engine_new_client_id(RcEngine *self);
/* Runs the auth plugins on an upgrade request; see rc_plugin_host_authenticate_request() */
gboolean rc_engine_authenticate(RcEngine *self,
				RcAuthRequest *request,
				gchar **sender,
				GStrv *room_globs,
				GError **error);
void rc_engine_add_member(RcEngine *self, RcMember *member);
/* leaves every room; a no-op for a member the engine no longer has */
void rc_engine_remove_member(RcEngine *self, RcMember *member);
RcMember *rc_engine_lookup_member(RcEngine *self, const gchar *id);
/* a member closed itself for not reading */
void rc_engine_count_slow_consumer(RcEngine *self);

/* a member's own actions; @options may be NULL for a plain join */
void rc_engine_join(RcEngine *self,
		    RcMember *member,
		    const gchar *ns,
		    const gchar *room_code,
		    const RcJoinOptions *options,
		    RcEngineJoinFunc func,
		    gpointer user_data,
		    GDestroyNotify destroy);
gboolean rc_engine_leave(RcEngine *self,
			 RcMember *member,
			 const gchar *ns,
			 const gchar *room_code,
			 GError **error);
/* publishes as @member, which must have joined the room */
void rc_engine_send_async(RcEngine *self,
			  RcMember *member,
			  const gchar *ns,
			  const gchar *room_code,
			  const gchar *text,
			  GCancellable *cancellable,
			  GAsyncReadyCallback callback,
			  gpointer user_data);

/* Validates, runs the filter plugins and publishes on the bus; finishes with the
 * message id once the bus accepted it. @connection_id names the sending connection
 * for filters (NULL for HTTP and D-Bus). */
void rc_engine_publish_async(RcEngine *self,
			     const gchar *ns,
			     const gchar *room_code,
			     const gchar *sender,
			     const gchar *text,
			     RcSource source,
			     const gchar *connection_id,
			     GCancellable *cancellable,
			     GAsyncReadyCallback callback,
			     gpointer user_data);
/* the published message, with its id and offset (transfer full) */
RcMessage *rc_engine_publish_finish(RcEngine *self, GAsyncResult *res, GError **error);

/* The newest @limit messages (0: 50; more than [history] size: size) with an offset
 * below @before (0: the newest), oldest first, with where the room stands. When
 * @member is given, it must be allowed to join the room. */
void rc_engine_history_async(RcEngine *self,
			     RcMember *member,
			     const gchar *ns,
			     const gchar *room_code,
			     guint limit,
			     guint64 before,
			     GAsyncReadyCallback callback,
			     gpointer user_data);
RcHistory *rc_engine_history_finish(RcEngine *self, GAsyncResult *res, GError **error);

/* Everyone in the room on every node (element-type RcPresence entries). When @member
 * is given, it must be allowed to join the room. */
void rc_engine_who_async(RcEngine *self,
			 RcMember *member,
			 const gchar *ns,
			 const gchar *room_code,
			 GAsyncReadyCallback callback,
			 gpointer user_data);
GPtrArray *rc_engine_who_finish(RcEngine *self, GAsyncResult *res, GError **error);

/* admin actions */
gboolean rc_engine_kick(RcEngine *self, const gchar *client_id, const gchar *reason, GError **error);
/* every local member gets removed() and stays connected */
gboolean rc_engine_close_room(RcEngine *self,
			      const gchar *ns,
			      const gchar *room_code,
			      const gchar *reason,
			      guint *removed,
			      GError **error);

G_END_DECLS
