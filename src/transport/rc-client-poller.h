/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Watches every client socket of the node with one epoll descriptor, which the
 * main loop sees as a single GSource.
 *
 * GLib walks every GSource of a context on every iteration (prepare, query,
 * check), so one source per WebSocket connection made each wakeup cost O(number
 * of clients): at a thousand clients per node that dominated everything. A
 * client's sources are therefore "parked": created by the pollable streams of
 * RcClientIOStream, attached to a context that is never iterated, and
 * dispatched from here only when epoll says their socket is ready. */
typedef struct _RcClientPoller RcClientPoller;

/* the poller of the thread-default main context, attached on first use */
RcClientPoller *rc_client_poller_get_default(void);
/* The context to push as thread-default while libsoup creates a connection's
 * sources. The poller pushes it again while it runs libsoup's input callbacks, so
 * handlers that libsoup calls from there (signals) must push the main context
 * back before creating sources or GTasks of their own: rc_client_poller_leave(). */
GMainContext *rc_client_poller_get_parking_context(RcClientPoller *self);
/* Dispatches, a little later, what was queued on the parking context other than
 * parked sources (the completion of a close that libsoup started from its input
 * callback). It walks every parked source, so only for rare events. */
void rc_client_poller_run_parked_soon(RcClientPoller *self);
/* pushes the main context as thread-default; pair with rc_client_poller_return() */
void rc_client_poller_leave(void);
void rc_client_poller_return(void);
/* makes the sources waiting on @fd for @condition ready in the next round, as if
 * epoll had said so (for bytes a stream holds that the socket does not show) */
void rc_client_poller_wake(RcClientPoller *self, gint fd, GIOCondition condition);
/* counts dispatches: a connection's work can be bounded per round */
guint64 rc_client_poller_get_round(RcClientPoller *self);
/* how many times the epoll set was changed (added to, modified, removed from) */
guint64 rc_client_poller_get_epoll_changes(RcClientPoller *self);
/* a pollable source for @stream, ready when @fd is ready for @condition; it must be
 * attached to the parking context (the caller sets the callback as usual) */
GSource *rc_client_poller_create_source(RcClientPoller *self,
					GObject *stream,
					gint fd,
					GIOCondition condition);

G_END_DECLS
