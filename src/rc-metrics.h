/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What the node did that the engine's stats do not hold, for /metrics: counters the
 * transport, the plugin host and the bus bump where things happen. A process is one
 * node and everything runs on its main thread, so they are plain statics. Every
 * call is O(1) and allocates nothing, except the first time a new label shows up. */

/* a message frame accepted at @accepted_at (g_get_monotonic_time()) reached a
 * member's socket now; 0 means unknown (history, a replay) and is not counted */
void rc_metrics_observe_delivery(gint64 accepted_at);
/* between these two (they nest) the deliveries are one fan-out, in one go:
 * they may share a reading of the clock */
void rc_metrics_fanout_begin(void);
void rc_metrics_fanout_end(void);
/* an error frame with the wire code @code ("bad_request", …) went to a client */
void rc_metrics_count_error(const gchar *code);
/* a WebSocket upgrade was answered with HTTP @status instead */
void rc_metrics_count_refused_upgrade(guint status);
/* plugin @plugin of @kind ("auth" or "filter") refused a client or a message */
void rc_metrics_count_plugin_rejection(const gchar *plugin, const gchar *kind);
/* the bus is connected to Redis again after losing it */
void rc_metrics_count_redis_reconnect(void);

/* appends every metric above, roomcast_build_info and the process_* ones, in the
 * Prometheus text format */
void rc_metrics_append(GString *s);

G_END_DECLS
