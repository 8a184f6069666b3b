/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Makes @context wait with epoll(7) instead of poll(2). GLib hands the poll
 * function every file descriptor on every iteration; with thousands of WebSocket
 * connections poll(2) makes the kernel look at all of them each time, epoll only
 * at those that are ready. FALSE (and nothing changed) if epoll is unavailable. */
gboolean rc_epoll_install(GMainContext *context, GError **error);

G_END_DECLS
