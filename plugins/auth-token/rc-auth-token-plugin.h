/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <roomcast-plugin.h>

G_BEGIN_DECLS

/* auth-token: clients present a token listed in a file of "TOKEN SENDER [ROOM_GLOB ...]" */
#define RC_TYPE_AUTH_TOKEN_PLUGIN (rc_auth_token_plugin_get_type())
G_DECLARE_FINAL_TYPE(RcAuthTokenPlugin, rc_auth_token_plugin, RC, AUTH_TOKEN_PLUGIN, RcPlugin)

G_END_DECLS
