/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* What an auth plugin sees of a WebSocket upgrade request: its headers, its query
 * parameters and the peer address. Read-only for plugins; the daemon fills it in. */
#define RC_TYPE_AUTH_REQUEST (rc_auth_request_get_type())
G_DECLARE_FINAL_TYPE(RcAuthRequest, rc_auth_request, RC, AUTH_REQUEST, GObject)

/* @peer_address: "ADDR:PORT" or "ADDR" of the client, or NULL when unknown */
RcAuthRequest *rc_auth_request_new(const gchar *peer_address);
/* a repeated header is joined to the earlier value with ", " as HTTP does */
void rc_auth_request_add_header(RcAuthRequest *self, const gchar *name, const gchar *value);
/* a repeated parameter replaces the earlier value */
void rc_auth_request_add_query_param(RcAuthRequest *self, const gchar *name, const gchar *value);

/* header names are case-insensitive; NULL when absent */
const gchar *rc_auth_request_get_header(RcAuthRequest *self, const gchar *name);
/* the decoded value of a query parameter; NULL when absent */
const gchar *rc_auth_request_get_query_param(RcAuthRequest *self, const gchar *name);
const gchar *rc_auth_request_get_peer_address(RcAuthRequest *self);
/* The client's token: from "Authorization: Bearer TOKEN", else from the "token" query
 * parameter; NULL when neither is given (or is empty). */
const gchar *rc_auth_request_get_token(RcAuthRequest *self);

G_END_DECLS
