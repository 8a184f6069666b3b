/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <roomcast-plugin.h>

#include "rc-config.h"

G_BEGIN_DECLS

/* What every HTTP route of a node shares: reading the request (query, peer, auth)
 * and writing the few reply shapes. */

/* The query parameters (decoded, '+' as space; a repeated one: the last wins), or
 * NULL with an error for a malformed query: a bad %-escape, an escaped NUL, a
 * parameter without '='. An absent query is an empty table. */
GHashTable *rc_http_get_query(SoupServerMessage *msg, GError **error);
/* "ADDR:PORT" or "[ADDR]:PORT" of the peer, "unknown" when there is none */
gchar *rc_http_get_peer(SoupServerMessage *msg);
/* what auth plugins see of the request: headers, @query, peer */
RcAuthRequest *rc_http_auth_request_new(SoupServerMessage *msg, GHashTable *query);

/* browsers send Origin; a request without one (bots, CLIs) is not subject to it */
gboolean rc_http_origin_allowed(RcConfig *config, SoupServerMessage *msg);
/* TRUE when [http] api_token is unset or the request carries it as a bearer token */
gboolean rc_http_check_api_token(RcConfig *config, SoupServerMessage *msg);

typedef enum {
	RC_HTTP_HEAD_INCOMPLETE, /* no end of the head yet */
	RC_HTTP_HEAD_OK,
	RC_HTTP_HEAD_BAD, /* @status and @error say why */
} RcHttpHeadResult;

/* Checks a request head before libsoup parses it, for what libsoup 3.2 cannot
 * refuse without leaking: a Content-Length that is not one decimal number, a
 * Transfer-Encoding other than chunked, a head longer than @max_len. @data is
 * what arrived so far. *@path is set (the request target, up to any '?') when the
 * request line is complete, so the answer can speak the route's language. */
RcHttpHeadResult rc_http_check_head(const gchar *data,
				    gsize len,
				    gsize max_len,
				    gchar **path,
				    guint *status,
				    GError **error);

/* sets a JSON body built with @builder (which must hold one complete value) */
void rc_http_set_json(SoupServerMessage *msg, guint status, JsonBuilder *builder);
/* {"success":false,"error":@error} */
void rc_http_set_json_error(SoupServerMessage *msg, guint status, const gchar *error);
void rc_http_set_text(SoupServerMessage *msg, guint status, const gchar *text);

G_END_DECLS
