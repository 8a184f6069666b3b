/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

/*
 * Where and how to reach one Redis server. The connection layer of roomcast
 * (RcRedisConnection) is our own, because hiredis 0.14's async layer has no
 * TLS, no timeouts, blocking DNS and no sharded pub/sub; this describes the
 * server it connects to, parsed from the URL forms users write.
 */

#include <gio/gio.h>

G_BEGIN_DECLS

#define RC_REDIS_ENDPOINT_DEFAULT_PORT 6379
/* Redis' default number of logical databases (SELECT 0 … 15) */
#define RC_REDIS_ENDPOINT_MAX_DB 15

/*
 * Fields are public: a caller may fill in what a URL cannot say (the TLS
 * files, the timeout) after parsing. Every string is owned by the endpoint.
 */
typedef struct {
	gchar *host;	      /* TCP host name or address (IPv6 without brackets); NULL for unix */
	guint16 port;	      /* TCP port, RC_REDIS_ENDPOINT_DEFAULT_PORT unless given */
	gchar *unix_path;     /* absolute path of a unix socket; NULL for TCP */
	gchar *username;      /* ACL user for AUTH, or NULL ("default") */
	gchar *password;      /* AUTH password, or NULL: no AUTH */
	guint db;	      /* SELECTed after connecting when not 0 */
	gboolean tls;	      /* rediss:// */
	gchar *tls_ca_file;   /* PEM CA bundle to verify the server, NULL: the system's */
	gchar *tls_cert_file; /* PEM client certificate, or NULL */
	gchar *tls_key_file;  /* PEM private key of tls_cert_file, or NULL */
	guint timeout_ms;     /* connect and command timeout; 0: none (parsing leaves 0) */
} RcRedisEndpoint;

#define RC_TYPE_REDIS_ENDPOINT (rc_redis_endpoint_get_type())
GType rc_redis_endpoint_get_type(void) G_GNUC_CONST;

/* localhost:6379, everything else empty */
RcRedisEndpoint *rc_redis_endpoint_new(void);
RcRedisEndpoint *rc_redis_endpoint_copy(const RcRedisEndpoint *ep);
/* also wipes the password from memory */
void rc_redis_endpoint_free(RcRedisEndpoint *ep);

/*
 * Accepted forms:
 *   redis://[USER][:PASSWORD]@HOST[:PORT][/DB]   (HOST may be [IPv6])
 *   rediss://…                                   (the same, with tls = TRUE)
 *   unix:/path  unix:///path   [?user=U&password=P&db=N]
 *   HOST:PORT   [IPv6]:PORT                      (bare, as in cluster seed lists)
 * USER, PASSWORD, the unix path and the query values are percent-decoded; the
 * userinfo ends at the last '@', so a password may even hold unescaped '@', '/'
 * or ':'. PORT is 1–65535, DB 0–15. On error returns NULL and sets @error
 * (G_IO_ERROR_INVALID_ARGUMENT) to one line that never contains the password.
 */
RcRedisEndpoint *rc_redis_endpoint_parse(const gchar *url, GError **error);

/* Replaces the password (NULL: none), wiping the old one from memory. */
void rc_redis_endpoint_set_password(RcRedisEndpoint *ep, const gchar *password);

/* TRUE when both name the same server (host and port, or unix path) */
gboolean rc_redis_endpoint_equal_address(const RcRedisEndpoint *a, const RcRedisEndpoint *b);

/* The endpoint as a URL for logs: the password (if any) shows as "***". */
gchar *rc_redis_endpoint_to_display_string(const RcRedisEndpoint *ep);

/* A ','-separated list of endpoints (spaces around entries are ignored), each
 * in any form rc_redis_endpoint_parse() accepts. Returns an array of
 * RcRedisEndpoint (it frees them), or NULL with @error naming the entry. */
GPtrArray *rc_redis_endpoint_parse_list(const gchar *list, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcRedisEndpoint, rc_redis_endpoint_free)

G_END_DECLS
