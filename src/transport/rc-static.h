/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Serves the web client's files for GET/HEAD @path (already decoded by libsoup). */
void rc_static_serve(SoupServerMessage *msg, const gchar *path);

G_END_DECLS
