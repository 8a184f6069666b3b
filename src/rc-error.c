/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcError"

#include "config.h"

#include "protocol/rc-protocol.h"
#include "rc-error.h"

G_DEFINE_QUARK(rc-error-quark, rc_error)

typedef struct {
	RcError code;
	const gchar *wire;
	guint http;
	const gchar *dbus;
} RcErrorRow;

/* the one translation of engine errors to what each surface speaks */
static const RcErrorRow rc_error_rows[] = {
    {RC_ERROR_FAILED, "unavailable", 500, "org.roomcast.Error.Failed"},
    {RC_ERROR_NOT_FOUND, "bad_request", 404, "org.roomcast.Error.NotFound"},
    {RC_ERROR_INVALID_ARGS, "bad_request", 400, "org.roomcast.Error.InvalidArgs"},
    {RC_ERROR_UNAVAILABLE, "unavailable", 503, "org.roomcast.Error.Unavailable"},
    {RC_ERROR_TOO_LARGE, "too_large", 413, "org.roomcast.Error.InvalidArgs"},
    {RC_ERROR_FORBIDDEN, "forbidden", 403, "org.roomcast.Error.Failed"},
    {RC_ERROR_REJECTED, "rejected", 422, "org.roomcast.Error.Failed"},
    {RC_ERROR_RATE_LIMITED, "rate_limited", 429, "org.roomcast.Error.Failed"},
    {RC_ERROR_NOT_JOINED, "not_joined", 409, "org.roomcast.Error.NotFound"},
    {RC_ERROR_UNAUTHORIZED, "forbidden", 401, "org.roomcast.Error.Failed"},
    {RC_ERROR_TOO_MANY_ROOMS, "too_many_rooms", 429, "org.roomcast.Error.Failed"},
};

static const RcErrorRow *
rc_error_row(const GError *error)
{
	RcError code = RC_ERROR_FAILED;

	/* the codec's own errors are the client's fault or a size limit */
	if (error->domain == RC_PROTOCOL_ERROR)
		code = error->code == RC_PROTOCOL_ERROR_TOO_LARGE ? RC_ERROR_TOO_LARGE
								   : RC_ERROR_INVALID_ARGS;
	else if (error->domain == RC_ERROR)
		code = (RcError)error->code;
	for (gsize i = 0; i < G_N_ELEMENTS(rc_error_rows); i++) {
		if (rc_error_rows[i].code == code)
			return &rc_error_rows[i];
	}
	return &rc_error_rows[0];
}

const gchar *const *
rc_error_get_wire_codes(void)
{
	static const gchar *codes[G_N_ELEMENTS(rc_error_rows) + 1] = {NULL};
	guint n = 0;

	if (codes[0] != NULL)
		return codes;
	for (gsize i = 0; i < G_N_ELEMENTS(rc_error_rows); i++) {
		gboolean seen = FALSE;
		for (guint j = 0; j < n && !seen; j++)
			seen = g_strcmp0(codes[j], rc_error_rows[i].wire) == 0;
		if (!seen)
			codes[n++] = rc_error_rows[i].wire;
	}
	return codes;
}

const gchar *
rc_error_get_wire_code(const GError *error)
{
	return rc_error_row(error)->wire;
}

guint
rc_error_get_http_status(const GError *error)
{
	return rc_error_row(error)->http;
}

const gchar *
rc_error_get_dbus_name(const GError *error)
{
	return rc_error_row(error)->dbus;
}
