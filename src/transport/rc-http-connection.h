/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <libsoup/soup.h>

#include "transport/rc-http.h"

G_BEGIN_DECLS

/* One accepted HTTP connection, as RcServer watches it: until its request is
 * complete, it has a deadline; a request that must not be read any further is
 * refused here, by taking the connection away from libsoup and answering on it.
 *
 * Every connection serves one request (no keep-alive): libsoup 3.2 keeps a
 * keep-alive connection that the client closed while idle in CLOSE-WAIT for good,
 * and a client that needs many requests loses little by connecting again. */
#define RC_TYPE_HTTP_CONNECTION (rc_http_connection_get_type())
G_DECLARE_FINAL_TYPE(RcHttpConnection, rc_http_connection, RC, HTTP_CONNECTION, GObject)

/* @deadline_us: monotonic time by which the request must be complete */
RcHttpConnection *rc_http_connection_new(GSocketConnection *connection, gint64 deadline_us);
/* the connection a message arrived on; NULL when it is not one of ours */
RcHttpConnection *rc_http_connection_from_message(SoupServerMessage *msg);
/* ties @self to the addresses libsoup gets for it, so messages lead back to it */
void rc_http_connection_attach(RcHttpConnection *self, GSocketAddress *remote);

/* Serves TLS with @certificate: rc_http_connection_wait_head() first waits for the
 * client's first TLS record, does the handshake, and reads the head through it.
 * The deadline covers the handshake too. */
void rc_http_connection_set_tls(RcHttpConnection *self, GTlsCertificate *certificate);
gboolean rc_http_connection_is_tls(RcHttpConnection *self);
GSocket *rc_http_connection_get_socket(RcHttpConnection *self);
/* what libsoup reads and writes: the connection, or its TLS stream once the head
 * was read through it */
GIOStream *rc_http_connection_get_stream(RcHttpConnection *self);
GSocketConnection *rc_http_connection_get_connection(RcHttpConnection *self);
/* the address object attached to (transfer full) */
GSocketAddress *rc_http_connection_get_remote(RcHttpConnection *self);
/* the request libsoup is reading on it (a reference is kept until the request ends) */
void rc_http_connection_set_message(RcHttpConnection *self, SoupServerMessage *msg);
gboolean rc_http_connection_is_expired(RcHttpConnection *self, gint64 now_us);
/* FALSE once it was refused, aborted, or closed by either side */
gboolean rc_http_connection_is_open(RcHttpConnection *self);

/* Takes the connection from libsoup (inside got-headers or got-chunk) and answers
 * @status with @body itself, then stops sending and reads what the client still
 * sends for a moment before closing: closing with unread input would reset the
 * connection and lose the answer. Nothing more of the request body is buffered. */
void rc_http_connection_refuse(RcHttpConnection *self,
			       guint status,
			       const gchar *content_type,
			       const gchar *body);
/* Waits, without reading anything, until the request head has arrived, and calls
 * @func with its result (see rc_http_check_head()). The bytes stay in the socket for
 * libsoup. @func is not called when the client goes away first or the connection
 * is aborted. */
typedef void (*RcHttpHeadFunc)(RcHttpConnection *self,
			       RcHttpHeadResult result,
			       const gchar *path,
			       guint status,
			       const GError *error,
			       gpointer user_data);
void rc_http_connection_wait_head(RcHttpConnection *self,
				  gsize max_len,
				  RcHttpHeadFunc func,
				  gpointer user_data);
/* the methods a 405 answer names in its Allow header ("GET, HEAD") */
void rc_http_connection_set_allow(RcHttpConnection *self, const gchar *methods);
/* answers a request libsoup never saw, like rc_http_connection_refuse() */
void rc_http_connection_refuse_unread(RcHttpConnection *self,
				      guint status,
				      const gchar *content_type,
				      const gchar *body);
/* closes a connection whose request did not complete in time */
void rc_http_connection_abort(RcHttpConnection *self);

G_END_DECLS
