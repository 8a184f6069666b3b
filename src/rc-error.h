/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The errors of the engine, as every front end shows them. Each code has one row in
 * rc-error.c giving its WebSocket error code, its HTTP status and its D-Bus error
 * name, so that a refusal reads the same over every surface. */
#define RC_ERROR (rc_error_quark())
GQuark rc_error_quark(void);

typedef enum {
	RC_ERROR_FAILED,
	RC_ERROR_NOT_FOUND,
	RC_ERROR_INVALID_ARGS,
	RC_ERROR_UNAVAILABLE, /* the bus is down: nothing was sent */
	RC_ERROR_TOO_LARGE,
	RC_ERROR_FORBIDDEN,
	RC_ERROR_REJECTED, /* a filter plugin refused it */
	RC_ERROR_RATE_LIMITED,
	RC_ERROR_NOT_JOINED,
	RC_ERROR_UNAUTHORIZED,
	RC_ERROR_TOO_MANY_ROOMS,
} RcError;

/* "bad_request", "forbidden", … as error frames carry them */
const gchar *rc_error_get_wire_code(const GError *error);
/* every wire code once, NULL-terminated */
const gchar *const *rc_error_get_wire_codes(void);
/* the HTTP status a route answers the error with */
guint rc_error_get_http_status(const GError *error);
/* "org.roomcast.Error.NotFound", … */
const gchar *rc_error_get_dbus_name(const GError *error);

G_END_DECLS
