/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

/*
 * More ways to start a real redis-server than rc_test_redis_new() offers, for
 * the tests of the Redis connection layer: with extra configuration (a
 * password, ACL users, cluster mode), always with a unix socket too, with TLS
 * and certificates made by `openssl` for the test, and with the process at
 * hand to stop (SIGSTOP) or kill it.
 *
 * Like the rest of the harness (rc-test-harness.h): the process gets
 * PR_SET_PDEATHSIG, binds 127.0.0.1 on a free port only, persists nothing,
 * and lives in a temporary directory removed by _free().
 */

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _RcTestRedisServer RcTestRedisServer;

/* Certificates and keys (PEM files in one temporary directory): a CA, a
 * server certificate it signed for localhost and 127.0.0.1, a client
 * certificate it signed, and a second CA that signed nothing of these. */
typedef struct {
	gchar *dir;
	gchar *ca_cert;
	gchar *server_cert;
	gchar *server_key;
	gchar *client_cert;
	gchar *client_key;
	gchar *other_ca_cert;
	gchar *expired_cert; /* NULL until rc_test_tls_files_make_expired() */
	gchar *expired_key;
} RcTestTlsFiles;

/* Fails the test when openssl is missing or fails. */
RcTestTlsFiles *rc_test_tls_files_new(void);
void rc_test_tls_files_free(RcTestTlsFiles *files);
/* Adds a server certificate (localhost, 127.0.0.1) signed by the CA that
 * expired in 2020: expired_cert, expired_key. */
void rc_test_tls_files_make_expired(RcTestTlsFiles *files);
/* Adds NAME.crt and NAME.key in the files' directory: another server certificate
 * (localhost, 127.0.0.1) signed by the CA, with the subject CN=@cn. */
void rc_test_tls_files_make_server(RcTestTlsFiles *files, const gchar *name, const gchar *cn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcTestTlsFiles, rc_test_tls_files_free)

/* TRUE when this redis-server can do TLS (Debian builds it with OpenSSL). */
gboolean rc_test_redis_server_has_tls(void);

/* Starts redis-server with the given extra arguments (NULL-terminated, as on
 * its command line: "--requirepass", "pw", ...) and waits until it answers
 * (PONG, or a NOAUTH error when it wants a password); fails the test
 * otherwise. It also listens on a unix socket (get_unix_path). */
RcTestRedisServer *rc_test_redis_server_new(const gchar *first_arg, ...) G_GNUC_NULL_TERMINATED;
RcTestRedisServer *rc_test_redis_server_new_argv(const gchar *const *args);
/* The same with a TLS port as well, using @files; @auth_clients: demand a
 * client certificate (--tls-auth-clients yes). */
RcTestRedisServer *rc_test_redis_server_new_tls(const RcTestTlsFiles *files, gboolean auth_clients);
/* The same with another server certificate and key (NULL: the files' own)
 * and extra arguments (NULL-terminated, may be NULL; "--port", "0" makes it
 * TLS only, and then get_port() names a port nothing listens on). */
RcTestRedisServer *rc_test_redis_server_new_tls_full(const RcTestTlsFiles *files,
						     const gchar *cert,
						     const gchar *key,
						     gboolean auth_clients,
						     const gchar *const *extra);

guint16 rc_test_redis_server_get_port(RcTestRedisServer *self);
/* 0 unless started with _new_tls() */
guint16 rc_test_redis_server_get_tls_port(RcTestRedisServer *self);
const gchar *rc_test_redis_server_get_unix_path(RcTestRedisServer *self);
/* its working directory (also a place for test files) */
const gchar *rc_test_redis_server_get_dir(RcTestRedisServer *self);

/* kill(2) the server at once; SIGSTOP and SIGCONT return when the process
 * is stopped / runs again */
void rc_test_redis_server_signal(RcTestRedisServer *self, gint signum);
/* SIGKILL and wait for it */
void rc_test_redis_server_kill(RcTestRedisServer *self);
gboolean rc_test_redis_server_is_running(RcTestRedisServer *self);
/* Stops (SIGCONT first, in case it was stopped, then SIGTERM) and removes
 * the directory. */
void rc_test_redis_server_free(RcTestRedisServer *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcTestRedisServer, rc_test_redis_server_free)

G_END_DECLS
