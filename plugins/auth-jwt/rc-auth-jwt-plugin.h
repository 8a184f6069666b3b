/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <roomcast-plugin.h>

G_BEGIN_DECLS

/* auth-jwt: clients present a JWT signed HS256 with the shared secret; "sub" is the sender */
#define RC_TYPE_AUTH_JWT_PLUGIN (rc_auth_jwt_plugin_get_type())
G_DECLARE_FINAL_TYPE(RcAuthJwtPlugin, rc_auth_jwt_plugin, RC, AUTH_JWT_PLUGIN, RcPlugin)

G_END_DECLS
