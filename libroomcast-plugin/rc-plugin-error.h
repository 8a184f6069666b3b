/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How a plugin refuses something. The daemon maps these to what the client sees. */
#define RC_PLUGIN_ERROR (rc_plugin_error_quark())
GQuark rc_plugin_error_quark(void);

typedef enum {
	RC_PLUGIN_ERROR_FAILED,	      /* bad settings, unreadable file: startup fails */
	RC_PLUGIN_ERROR_UNAUTHORIZED, /* missing or bad credentials: HTTP 401 */
	RC_PLUGIN_ERROR_FORBIDDEN,    /* good credentials, not allowed in: HTTP 403 */
	RC_PLUGIN_ERROR_REJECTED,     /* a filter refused the message: "rejected" */
	RC_PLUGIN_ERROR_RATE_LIMITED, /* a filter throttled the sender: "rate_limited" */
} RcPluginError;

G_END_DECLS
