/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* At most this many lines of one kind per window; then one line with how many
 * were left out when the window ends. */
#define RC_LOG_LIMIT_BURST 10
#define RC_LOG_LIMIT_WINDOW_SECONDS 10

/* A kind of info line that a peer can cause at will (refused upgrades, plugin
 * refusals): a flood of them must not flood the journal. Static, one per kind. */
typedef struct {
	const gchar *domain;
	const gchar *what; /* "refused WebSocket upgrades", for the summary line */
	gint64 window_start;
	guint n;
	guint suppressed;
	guint flush_id;
} RcLogLimit;

#define RC_LOG_LIMIT_INIT(what)                                                                    \
	{                                                                                          \
		G_LOG_DOMAIN, (what), 0, 0, 0, 0                                                   \
	}

/* Logs at info level as a structured entry with the fields ROOMCAST_CLIENT
 * (@client) and ROOMCAST_ROOM (@room, "NAMESPACE/ROOMCODE"; left out when NULL),
 * unless @limit already let RC_LOG_LIMIT_BURST through in this window. */
void
rc_log_limited(RcLogLimit *limit, const gchar *client, const gchar *room, const gchar *format, ...)
    G_GNUC_PRINTF(4, 5);

/* GLib formats every g_debug() and passes it through its default handler and
 * writer before dropping it; libsoup has two on each WebSocket frame read. When
 * G_MESSAGES_DEBUG does not ask for @domain, its debug messages go to a handler
 * that drops them at once. Returns the handler's id, 0 when none was needed. */
guint rc_log_drop_unwanted_debug(const gchar *domain);

G_END_DECLS
