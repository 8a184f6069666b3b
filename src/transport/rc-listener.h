/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Accepts connections on a listening socket and hands each one over through
 * ::accepted (GSocketConnection *connection).
 *
 * libsoup's own listener gives up for good on the first failed accept() (out of
 * file descriptors, say): its source returns G_SOURCE_REMOVE and nothing re-arms it,
 * so the node never accepts again. This one waits a moment and tries again, so a
 * node that ran out of descriptors accepts as soon as some are free. */
#define RC_TYPE_LISTENER (rc_listener_get_type())
G_DECLARE_FINAL_TYPE(RcListener, rc_listener, RC, LISTENER, GObject)

/* @socket must be listening; it is made non-blocking */
RcListener *rc_listener_new(GSocket *socket);
/* stops accepting and closes the socket */
void rc_listener_stop(RcListener *self);
/* accept() failures so far (for the logs and tests) */
guint64 rc_listener_get_failures(RcListener *self);

G_END_DECLS
