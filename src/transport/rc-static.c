/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * STUB: replaced by the real static file handler.
 */
#define G_LOG_DOMAIN "RcStatic"

#include "config.h"

#include "rc-static.h"

void
rc_static_serve(SoupServerMessage *msg, const gchar *path)
{
	soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, NULL);
}
