/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

/*
 * One connection to one Redis server, on GIO. It exists because hiredis 0.14's
 * async layer (redisAsyncContext) cannot do TLS, command timeouts, non-blocking
 * DNS or AUTH before anything else, and knows only SUBSCRIBE and PSUBSCRIBE as
 * subscription commands (no SSUBSCRIBE). hiredis is still used for RESP
 * replies: a redisReader parses them; the sockets, TLS, timers, the matching
 * of replies and the encoding of commands (rc_redis_append_command()) are ours.
 *
 * Life cycle: new → connect_async → (commands, pushes) → ::closed. A connection
 * is used once: it never reconnects; whoever owns it makes a new one (creating
 * one is cheap: it only copies the endpoint). Everything runs on the
 * thread-default GMainContext of the thread that called connect_async, without
 * threads and without blocking. All connections are used from one thread: the
 * connections of a context share one source (see Writing), found in a table
 * that is not locked.
 *
 * Connecting: resolves the host asynchronously (GSocketClient) or opens the
 * unix socket, does the TLS handshake when the endpoint says tls (the server
 * certificate is always verified: against tls_ca_file, or the system's CAs; a
 * client certificate is presented when tls_cert_file/tls_key_file are set),
 * then sends `AUTH [username] password` when the endpoint has a username or a
 * password, and `SELECT db` when db is not 0. When neither is needed it sends
 * a PING instead, so a successful connect always means that Redis answered (a
 * TLS 1.3 server refuses a client certificate only after the handshake, and a
 * server that wants a password says NOAUTH). Only then does the connect
 * finish. A refused AUTH finishes it with G_IO_ERROR_PERMISSION_DENIED and
 * Redis' own error text (e.g. "WRONGPASS …"), never the password. The whole
 * connect is bounded by the endpoint's timeout_ms (G_IO_ERROR_TIMED_OUT). A
 * failed connect does not emit ::closed.
 *
 * Commands issued before the connect finished wait, unsent, until it has
 * (AUTH must be the first thing Redis hears); they fail with the connect's
 * error if it fails.
 *
 * How replies are matched to commands (RESP2):
 *  - Replies come in the order of the commands; each one completes the oldest
 *    pending command, except in subscriber mode, below.
 *  - The connection tracks the channels, patterns and shard channels it is
 *    subscribed to from the confirmations Redis sends. While any of those is
 *    not empty, Redis is in subscriber mode and:
 *    · an array whose first element is "message", "pmessage" or "smessage" is
 *      a push: it goes to the push handler only;
 *    · ["pong", msg] (the answer to PING in subscriber mode) completes the PING;
 *    · anything else (e.g. the error Redis gives to GET there) completes the
 *      oldest pending command.
 *  - SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE and
 *    SUNSUBSCRIBE with N arguments expect N confirmations of their kind
 *    ("subscribe" … "sunsubscribe"); without arguments, the UNSUBSCRIBE kinds
 *    expect one per channel (pattern, shard channel) subscribed at that point,
 *    or one when there is none. Every confirmation goes to the push handler;
 *    the last one also completes the command (its callback runs once, after
 *    the push handler). An error reply instead (-MOVED, -CROSSSLOT, wrong
 *    number of arguments) completes the command at once.
 *  - A "sunsubscribe" that no pending SUNSUBSCRIBE asked for (Redis 7 sends
 *    one when a slot migrates away from the node) goes to the push handler
 *    only and leaves the pending commands alone. For a SUNSUBSCRIBE with
 *    arguments, a confirmation for a channel other than the next one it named
 *    counts as unsolicited too.
 *  - RESET leaves subscriber mode (its +RESET clears the tracked
 *    subscriptions); note that it also undoes AUTH and SELECT. MONITOR and the
 *    RESP3 protocol (HELLO 3) are not supported.
 *
 * Writing: commands are encoded into one buffer; the source of the main context
 * (one for all its connections, their sockets behind one epoll) writes it from
 * its prepare function, so all commands queued during one main loop iteration
 * leave together, in one write() on plain sockets (TLS writes one record per
 * 16 KiB). What the socket does not take waits for EPOLLOUT.
 *
 * Reading: each dispatch reads until the socket (or the TLS layer, which may
 * hold decrypted data the socket no longer shows) would block, but at most
 * 256 KiB; then the connection is read again in the next iteration without
 * waiting for poll, so a flood from Redis cannot starve other sources. A
 * single reply larger than 512 MiB (counting the memory of its parsed
 * elements; rc_redis_connection_set_max_reply_size() changes the limit) fails
 * the connection with G_IO_ERROR_INVALID_DATA, as does any protocol error and
 * replies nested deeper than hiredis allows (7 levels).
 *
 * Timeouts: when the endpoint's timeout_ms is not 0 and the oldest pending
 * command has waited longer (counted from when it was queued), the connection
 * fails with G_IO_ERROR_TIMED_OUT. Pushes do not count: an idle subscriber
 * waits forever (PING it to check the link). The timer is armed only while
 * commands are pending. Blocking commands (BLPOP…) longer than timeout_ms
 * would time out.
 *
 * Failure and close: when the connection is lost (EOF, reset, protocol error,
 * timeout) or closed with rc_redis_connection_close(), the socket is closed,
 * every pending callback is called with reply NULL and the error, in order,
 * and then ::closed is emitted once with that error (close() gives
 * G_IO_ERROR_CLOSED). A command issued afterwards fails with
 * G_IO_ERROR_NOT_CONNECTED, from an idle callback (a callback never runs
 * inside rc_redis_connection_command() itself). Dropping the last reference
 * closes the connection too: pending callbacks then get G_IO_ERROR_CLOSED,
 * but ::closed is not emitted.
 *
 * Callbacks and the push handler may issue commands, close the connection, or
 * drop the last reference to it: the connection holds a reference while it
 * runs them.
 */

#include <gio/gio.h>
#include <hiredis/hiredis.h>

#include "bus/rc-redis-endpoint.h"

G_BEGIN_DECLS

#define RC_TYPE_REDIS_CONNECTION (rc_redis_connection_get_type())
G_DECLARE_FINAL_TYPE(RcRedisConnection, rc_redis_connection, RC, REDIS_CONNECTION, GObject)

/*
 * Called exactly once per command: with @reply (which may be an error reply,
 * REDIS_REPLY_ERROR; it is freed after the callback returns, do not keep it)
 * and @error NULL, or with @reply NULL and @error set when the connection was
 * lost, closed, or timed out before the reply came.
 */
typedef void (*RcRedisReplyFunc)(RcRedisConnection *conn,
				 redisReply *reply,
				 const GError *error,
				 gpointer user_data);

/* A pub/sub message or subscription confirmation (an array whose first
 * element names it); freed after the handler returns. */
typedef void (*RcRedisPushFunc)(RcRedisConnection *conn, redisReply *push, gpointer user_data);

/* Copies @ep. Does not connect yet. */
RcRedisConnection *rc_redis_connection_new(const RcRedisEndpoint *ep);
const RcRedisEndpoint *rc_redis_connection_get_endpoint(RcRedisConnection *self);

/* Connects as described above; may be called once per connection. */
void rc_redis_connection_connect_async(RcRedisConnection *self,
				       GCancellable *cancellable,
				       GAsyncReadyCallback callback,
				       gpointer user_data);
gboolean
rc_redis_connection_connect_finish(RcRedisConnection *self, GAsyncResult *result, GError **error);

/* A command's arguments copied into one block (one allocation, not one per
 * argument), kept to send again after MOVED, ASK or NOSCRIPT. Reference
 * counted; the fields are read-only. Each argument is also NUL-terminated. */
typedef struct {
	guint argc;
	const gchar *const *argv;
	const gsize *lens;
} RcRedisArgs;

/* @first (may be NULL) goes before @argv; @lens may be NULL */
RcRedisArgs *rc_redis_args_new(const gchar *first,
			       guint argc,
			       const gchar *const *argv,
			       const gsize *lens);
RcRedisArgs *rc_redis_args_ref(RcRedisArgs *self);
void rc_redis_args_unref(RcRedisArgs *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcRedisArgs, rc_redis_args_unref)

/* Appends one command as RESP (an array of bulk strings) to @out. What
 * hiredis' redisFormatCommandArgv() writes, without its sprintf per argument
 * and its buffer of its own: a third of the cost of publishing a message. */
void rc_redis_append_command(GByteArray *out,
			     guint argc,
			     const gchar *const *argv,
			     const gsize *lens);

/* Queues one command of @argc arguments; @lens may be NULL (then every
 * argument is a NUL-terminated string). @func may be NULL: fire and forget. */
void rc_redis_connection_command_argv(RcRedisConnection *self,
				      guint argc,
				      const gchar *const *argv,
				      const gsize *lens,
				      RcRedisReplyFunc func,
				      gpointer user_data);
/* The same with NUL-terminated arguments, the list ending with NULL:
 * rc_redis_connection_command(conn, func, data, "SET", "k", "v", NULL) */
void rc_redis_connection_command(RcRedisConnection *self,
				 RcRedisReplyFunc func,
				 gpointer user_data,
				 const gchar *first_arg,
				 ...) G_GNUC_NULL_TERMINATED;

/* Replaces the handler of pushes (see above); @destroy is called on the old
 * @user_data when replaced and at finalization. */
void rc_redis_connection_set_push_handler(RcRedisConnection *self,
					  RcRedisPushFunc func,
					  gpointer user_data,
					  GDestroyNotify destroy);

/* Closes now (see above); harmless when already closed. During a connect,
 * the connect fails with G_IO_ERROR_CLOSED. */
void rc_redis_connection_close(RcRedisConnection *self);
/* TRUE between a successful connect and ::closed */
gboolean rc_redis_connection_is_connected(RcRedisConnection *self);
/* The largest reply accepted (512 MiB unless changed; see above). */
void rc_redis_connection_set_max_reply_size(RcRedisConnection *self, gsize max_bytes);
/* commands sent (or queued) and not answered yet */
guint rc_redis_connection_get_n_pending(RcRedisConnection *self);

G_END_DECLS
