/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Our own Redis connection on GIO, because hiredis 0.14's async layer has no
 * TLS, no timeouts, resolves host names with a blocking getaddrinfo() and does
 * not know sharded pub/sub. hiredis remains the RESP parser.
 * The header says how replies are matched, written and read.
 */
#define G_LOG_DOMAIN "RcRedisConnection"

#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gi18n.h>
#include <hiredis/read.h>
#include <netinet/in.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "bus/rc-redis-connection.h"
#include "bus/rc-redis-reply.h"
#include "protocol/rc-protocol.h"

/* one read() */
#define RC_REDIS_READ_CHUNK (64 * 1024)
/* what one dispatch reads before letting other sources run */
#define RC_REDIS_READ_BUDGET (256 * 1024)
/* hiredis moves the unparsed rest of its buffer after each reply: feeding it
 * small slices keeps that rest short */
#define RC_REDIS_FEED_SLICE (4 * 1024)
/* the largest single reply by default, counted as buffered bytes plus parsed objects */
#define RC_REDIS_MAX_REPLY ((gsize)512 * 1024 * 1024)
/* an output buffer grown past this is given back once it is empty */
#define RC_REDIS_OUT_KEEP (256 * 1024)

typedef enum {
	RC_REDIS_STATE_NEW,
	RC_REDIS_STATE_CONNECTING,
	RC_REDIS_STATE_CONNECTED,
	RC_REDIS_STATE_CLOSED,
} RcRedisState;

/* the three kinds of subscription Redis keeps per client */
typedef enum {
	RC_REDIS_SUBS_CHANNELS,
	RC_REDIS_SUBS_PATTERNS,
	RC_REDIS_SUBS_SHARDS,
	RC_REDIS_N_SUBS,
} RcRedisSubs;

typedef enum {
	RC_REDIS_CMD_PLAIN,
	RC_REDIS_CMD_RESET,
	/* the subscription commands, in the order of rc_redis_sub_commands[] */
	RC_REDIS_CMD_SUBSCRIBE,
	RC_REDIS_CMD_PSUBSCRIBE,
	RC_REDIS_CMD_SSUBSCRIBE,
	RC_REDIS_CMD_UNSUBSCRIBE,
	RC_REDIS_CMD_PUNSUBSCRIBE,
	RC_REDIS_CMD_SUNSUBSCRIBE,
} RcRedisCmdKind;

static const struct {
	const gchar *command;	   /* as sent */
	const gchar *confirmation; /* first element of Redis' confirmations */
	RcRedisSubs subs;
	gboolean adds;
} rc_redis_sub_commands[] = {
    {"SUBSCRIBE", "subscribe", RC_REDIS_SUBS_CHANNELS, TRUE},
    {"PSUBSCRIBE", "psubscribe", RC_REDIS_SUBS_PATTERNS, TRUE},
    {"SSUBSCRIBE", "ssubscribe", RC_REDIS_SUBS_SHARDS, TRUE},
    {"UNSUBSCRIBE", "unsubscribe", RC_REDIS_SUBS_CHANNELS, FALSE},
    {"PUNSUBSCRIBE", "punsubscribe", RC_REDIS_SUBS_PATTERNS, FALSE},
    {"SUNSUBSCRIBE", "sunsubscribe", RC_REDIS_SUBS_SHARDS, FALSE},
};

#define RC_REDIS_IS_SUB_CMD(kind) ((kind) >= RC_REDIS_CMD_SUBSCRIBE)
#define RC_REDIS_SUB_INDEX(kind) ((guint)(kind) - (guint)RC_REDIS_CMD_SUBSCRIBE)

typedef struct {
	RcRedisReplyFunc func;
	gpointer user_data;
	gint64 queued_at; /* monotonic µs */
	RcRedisCmdKind kind;
	/* subscription commands: confirmations still due, -1 until the first one
	 * arrives (an UNSUBSCRIBE without arguments: one per subscription then) */
	gint expected;
	/* SUNSUBSCRIBE with arguments: its channels (GBytes), to tell its
	 * confirmations from the ones Redis sends on its own */
	GPtrArray *channels;
	guint next_channel;
} RcRedisCommand;

/* All the Redis connections of a main context behind one source, their sockets
 * behind one epoll (level-triggered, as poll is). The main loop does a round of
 * work for every source on every wakeup, and a cluster node has two connections
 * per master: with a source each, that round was a tenth of a node's work. */
typedef struct {
	GSource source;
	GMainContext *context;
	gint epfd;
	GPollFD pfd;
	GPtrArray *conns; /* RcRedisConnection, not references: each leaves before it goes */
	GPtrArray *round; /* kept for the next dispatch: none allocates on its way */
} RcRedisLoop;

struct _RcRedisConnection {
	GObject parent_instance;

	RcRedisEndpoint *ep;
	gchar *display; /* the endpoint for messages, password hidden */
	RcRedisState state;
	GMainContext *context;
	gboolean disposing;

	/* connecting */
	GTask *connect_task;
	GCancellable *connect_cancellable; /* ours; the caller's one is watched */
	GSource *connect_timer;
	GSource *user_cancel_source;
	guint handshake_pending;	 /* AUTH / SELECT / PING replies still due */
	gboolean tls_handshaking;	 /* glib-networking uses the socket from a thread */
	GTlsCertificateFlags tls_errors; /* why the server's certificate was refused */

	/* I/O, from the socket's connection on */
	GSocketConnection *sockconn;
	GTlsConnection *tls;
	GSocket *socket;
	GPollableInputStream *tls_in;
	GPollableOutputStream *tls_out;
	RcRedisLoop *loop; /* while the session runs: the context's, holding us */
	gint fd;
	guint32 watched; /* epoll events registered for fd */
	guint32 revents; /* what epoll said this round */
	redisReader *reader;
	RcRedisReplyBudget budget;
	guint8 *readbuf;
	GByteArray *out;
	gsize out_pos;	     /* bytes of out already written */
	GError *io_error;    /* a write failed in prepare; dispatch fails the connection */
	gboolean out_secret; /* out holds an AUTH: wipe it once written */
	gboolean more_to_read;

	GQueue pending;	 /* RcRedisCommand, in the order sent */
	GQueue deferred; /* issued before the connect finished */
	GByteArray *deferred_out;
	gboolean deferred_secret;
	GQueue doomed; /* issued after the close, failed from an idle */
	GSource *doomed_idle;
	GError *close_error;

	GHashTable *subs[RC_REDIS_N_SUBS]; /* GBytes set each */

	RcRedisPushFunc push_func;
	gpointer push_data;
	GDestroyNotify push_destroy;
};

G_DEFINE_TYPE(RcRedisConnection, rc_redis_connection, G_TYPE_OBJECT)

enum {
	SIGNAL_CLOSED,
	N_SIGNALS,
};
static guint signals[N_SIGNALS];

static void rc_redis_connection_fail(RcRedisConnection *self, const GError *error);

/* Fails for an error of the stream (takes @error): during the connect it is
 * the connect's error; after it, @lost says "Lost the connection" first. */
static void
rc_redis_fail_stream(RcRedisConnection *self, GError *error, gboolean lost)
{
	if (self->state == RC_REDIS_STATE_CONNECTING)
		g_prefix_error(&error, _("Cannot connect to Redis at %s: "), self->display);
	else if (lost)
		g_prefix_error(&error, "%s", _("Lost the connection to Redis: "));
	rc_redis_connection_fail(self, error);
	g_error_free(error);
}

/* ----------------------------------------------------------- commands --- */

static void
rc_redis_command_free(RcRedisCommand *cmd)
{
	g_clear_pointer(&cmd->channels, g_ptr_array_unref);
	g_free(cmd);
}

static RcRedisCmdKind
rc_redis_classify(const gchar *name, gsize len)
{
	if (len == 5 && g_ascii_strncasecmp(name, "RESET", 5) == 0)
		return RC_REDIS_CMD_RESET;
	for (guint i = 0; i < G_N_ELEMENTS(rc_redis_sub_commands); i++) {
		const gchar *command = rc_redis_sub_commands[i].command;
		if (len == strlen(command) && g_ascii_strncasecmp(name, command, len) == 0)
			return RC_REDIS_CMD_SUBSCRIBE + i;
	}
	return RC_REDIS_CMD_PLAIN;
}

static void
rc_redis_call(RcRedisConnection *self, RcRedisCommand *cmd, redisReply *reply, const GError *error)
{
	if (cmd->func != NULL)
		cmd->func(self, reply, error, cmd->user_data);
	rc_redis_command_free(cmd);
}

static void
rc_redis_fail_queue(RcRedisConnection *self, GQueue *queue, const GError *error)
{
	RcRedisCommand *cmd;

	/* a callback may queue more: those go to the doomed queue, not here */
	while ((cmd = g_queue_pop_head(queue)) != NULL)
		rc_redis_call(self, cmd, NULL, error);
}

static gboolean
rc_redis_on_doomed(gpointer user_data)
{
	RcRedisConnection *self = user_data;
	g_autoptr(GError) error = NULL;
	GQueue doomed = G_QUEUE_INIT;

	g_clear_pointer(&self->doomed_idle, g_source_unref);
	error = g_error_new(G_IO_ERROR,
			    G_IO_ERROR_NOT_CONNECTED,
			    _("Not connected to Redis: %s"),
			    self->close_error != NULL ? self->close_error->message
						      : _("the connection is closed"));
	/* those queued by these callbacks get the next idle */
	doomed = self->doomed;
	g_queue_init(&self->doomed);
	rc_redis_fail_queue(self, &doomed, error);
	return G_SOURCE_REMOVE;
}

static void
rc_redis_schedule_doomed(RcRedisConnection *self)
{
	if (self->doomed_idle != NULL)
		return;
	/* closed before connect_async was ever called */
	if (self->context == NULL)
		self->context = g_main_context_ref_thread_default();
	self->doomed_idle = g_idle_source_new();
	g_source_set_static_name(self->doomed_idle, "RcRedisConnection closed");
	g_source_set_callback(
	    self->doomed_idle, rc_redis_on_doomed, g_object_ref(self), g_object_unref);
	g_source_attach(self->doomed_idle, self->context);
}

/* ------------------------------------------------------------- output --- */

static gboolean
rc_redis_has_output(RcRedisConnection *self)
{
	return self->out != NULL && self->out_pos < self->out->len;
}

/* Writes what the socket takes; a hard error is kept in io_error (this runs
 * in prepare, where no callback may run). */
static void
rc_redis_flush(RcRedisConnection *self)
{
	if (!rc_redis_has_output(self))
		return;
	while (rc_redis_has_output(self) && self->io_error == NULL) {
		g_autoptr(GError) error = NULL;
		gssize n;

		if (self->tls_out != NULL)
			n = g_pollable_output_stream_write_nonblocking(
			    self->tls_out,
			    self->out->data + self->out_pos,
			    self->out->len - self->out_pos,
			    NULL,
			    &error);
		else
			n = g_socket_send_with_blocking(self->socket,
							(const gchar *)self->out->data +
							    self->out_pos,
							self->out->len - self->out_pos,
							FALSE,
							NULL,
							&error);
		if (n < 0) {
			if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
				self->io_error = g_steal_pointer(&error);
			break;
		}
		self->out_pos += n;
		/* a short write on a plain socket: its buffer is full, wait for POLLOUT */
		if (self->tls_out == NULL)
			break;
	}
	if (self->out_pos == self->out->len) {
		if (self->out_secret) {
			explicit_bzero(self->out->data, self->out->len);
			self->out_secret = FALSE;
		}
		if (self->out->len > RC_REDIS_OUT_KEEP) {
			g_byte_array_unref(self->out);
			self->out = g_byte_array_new();
		} else {
			g_byte_array_set_size(self->out, 0);
		}
		self->out_pos = 0;
	} else if (self->out_pos > RC_REDIS_OUT_KEEP && self->out_pos > self->out->len / 2) {
		g_byte_array_remove_range(self->out, 0, self->out_pos);
		self->out_pos = 0;
	}
}

/* ------------------------------------------------------ subscriptions --- */

static gboolean
rc_redis_in_subscriber_mode(RcRedisConnection *self)
{
	for (guint i = 0; i < RC_REDIS_N_SUBS; i++) {
		if (g_hash_table_size(self->subs[i]) > 0)
			return TRUE;
	}
	return FALSE;
}

static void
rc_redis_clear_subs(RcRedisConnection *self)
{
	for (guint i = 0; i < RC_REDIS_N_SUBS; i++)
		g_hash_table_remove_all(self->subs[i]);
}

/* a bulk string equal to @word (binary-safe: "message\0x" is not "message") */
static gboolean
rc_redis_reply_is(const redisReply *reply, const gchar *word)
{
	return reply->type == REDIS_REPLY_STRING && reply->len == strlen(word) &&
	       memcmp(reply->str, word, reply->len) == 0;
}

/* the index in rc_redis_sub_commands[] of a confirmation, or -1 */
static gint
rc_redis_confirmation_index(const redisReply *reply)
{
	const redisReply *first;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3)
		return -1;
	first = reply->element[0];
	if (reply->element[2]->type != REDIS_REPLY_INTEGER)
		return -1;
	for (guint i = 0; i < G_N_ELEMENTS(rc_redis_sub_commands); i++) {
		if (rc_redis_reply_is(first, rc_redis_sub_commands[i].confirmation))
			return (gint)i;
	}
	return -1;
}

static gboolean
rc_redis_is_message(const redisReply *reply)
{
	const redisReply *first;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3)
		return FALSE;
	first = reply->element[0];
	return rc_redis_reply_is(first, "message") || rc_redis_reply_is(first, "pmessage") ||
	       rc_redis_reply_is(first, "smessage");
}

/* Keeps our copy of Redis' subscriptions in step with a confirmation. */
static void
rc_redis_apply_confirmation(RcRedisConnection *self, guint index, const redisReply *reply)
{
	GHashTable *set = self->subs[rc_redis_sub_commands[index].subs];
	const redisReply *channel = reply->element[1];

	if (channel->type == REDIS_REPLY_STRING) {
		g_autoptr(GBytes) key = g_bytes_new(channel->str, channel->len);
		if (rc_redis_sub_commands[index].adds)
			g_hash_table_add(set, g_steal_pointer(&key));
		else
			g_hash_table_remove(set, key);
	}
	/* Redis' count is the truth: channels and patterns share one, shards have theirs */
	if (reply->element[2]->integer == 0) {
		if (rc_redis_sub_commands[index].subs == RC_REDIS_SUBS_SHARDS) {
			g_hash_table_remove_all(self->subs[RC_REDIS_SUBS_SHARDS]);
		} else {
			g_hash_table_remove_all(self->subs[RC_REDIS_SUBS_CHANNELS]);
			g_hash_table_remove_all(self->subs[RC_REDIS_SUBS_PATTERNS]);
		}
	}
}

static gboolean
rc_redis_confirms(RcRedisCommand *cmd, guint index, const redisReply *reply)
{
	const redisReply *channel = reply->element[1];
	GBytes *expected;

	if (!RC_REDIS_IS_SUB_CMD(cmd->kind) || RC_REDIS_SUB_INDEX(cmd->kind) != index)
		return FALSE;
	if (cmd->channels == NULL)
		return TRUE;
	if (cmd->next_channel >= cmd->channels->len || channel->type != REDIS_REPLY_STRING)
		return FALSE;
	expected = g_ptr_array_index(cmd->channels, cmd->next_channel);
	return g_bytes_get_size(expected) == channel->len &&
	       memcmp(g_bytes_get_data(expected, NULL), channel->str, channel->len) == 0;
}

static void
rc_redis_push(RcRedisConnection *self, redisReply *reply)
{
	if (self->push_func != NULL)
		self->push_func(self, reply, self->push_data);
}

/* ------------------------------------------------------------- replies --- */

static gboolean
rc_redis_is_open(RcRedisConnection *self)
{
	return self->state != RC_REDIS_STATE_CLOSED;
}

/* Routes one reply (see the header); takes it. */
static void
rc_redis_handle_reply(RcRedisConnection *self, redisReply *reply)
{
	RcRedisCommand *head = g_queue_peek_head(&self->pending);
	gint index = rc_redis_confirmation_index(reply);

	if (rc_redis_is_message(reply) && rc_redis_in_subscriber_mode(self)) {
		rc_redis_push(self, reply);
		rc_redis_reply_free(reply);
		return;
	}
	if (index >= 0 && head != NULL && rc_redis_confirms(head, (guint)index, reply)) {
		GHashTable *set = self->subs[rc_redis_sub_commands[index].subs];
		if (head->expected < 0)
			head->expected = MAX(1, (gint)g_hash_table_size(set));
		rc_redis_apply_confirmation(self, (guint)index, reply);
		head->next_channel++;
		if (--head->expected > 0) {
			/* the push handler may close the connection, which fails head */
			rc_redis_push(self, reply);
			rc_redis_reply_free(reply);
			return;
		}
		g_queue_pop_head(&self->pending);
		rc_redis_push(self, reply);
		rc_redis_call(self, head, reply, NULL);
		rc_redis_reply_free(reply);
		return;
	}
	if (index >= 0 && rc_redis_in_subscriber_mode(self)) {
		/* e.g. the sunsubscribe Redis sends when a slot leaves the node */
		g_debug("%s: unsolicited %s", self->display, reply->element[0]->str);
		rc_redis_apply_confirmation(self, (guint)index, reply);
		rc_redis_push(self, reply);
		rc_redis_reply_free(reply);
		return;
	}
	if (head == NULL) {
		rc_redis_reply_free(reply);
		rc_redis_fail_stream(self,
				     g_error_new_literal(G_IO_ERROR,
							 G_IO_ERROR_INVALID_DATA,
							 _("Redis sent a reply to no command")),
				     FALSE);
		return;
	}
	g_queue_pop_head(&self->pending);
	if (head->kind == RC_REDIS_CMD_RESET && reply->type == REDIS_REPLY_STATUS)
		rc_redis_clear_subs(self);
	rc_redis_call(self, head, reply, NULL);
	rc_redis_reply_free(reply);
}

static GError *
rc_redis_too_large_error(RcRedisConnection *self)
{
	g_autofree gchar *size = g_format_size_full(self->budget.max, G_FORMAT_SIZE_IEC_UNITS);
	return g_error_new(
	    G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("Redis sent a reply larger than %s"), size);
}

/* Feeds one slice of what was read and handles every complete reply; FALSE
 * when the connection closed meanwhile. */
static gboolean
rc_redis_feed(RcRedisConnection *self, const guint8 *data, gsize len)
{
	for (gsize off = 0; off < len; off += RC_REDIS_FEED_SLICE) {
		gsize n = MIN(RC_REDIS_FEED_SLICE, len - off);

		if (redisReaderFeed(self->reader, (const char *)data + off, n) != REDIS_OK) {
			rc_redis_fail_stream(self,
					     g_error_new_literal(G_IO_ERROR,
								 G_IO_ERROR_INVALID_DATA,
								 _("Out of memory")),
					     FALSE);
			return FALSE;
		}
		while (TRUE) {
			void *reply = NULL;

			if (redisReaderGetReply(self->reader, &reply) != REDIS_OK) {
				GError *error;
				if (self->budget.exceeded)
					error = rc_redis_too_large_error(self);
				else
					error = g_error_new(G_IO_ERROR,
							    G_IO_ERROR_INVALID_DATA,
							    _("Redis protocol error: %s"),
							    self->reader->errstr);
				rc_redis_fail_stream(self, error, FALSE);
				return FALSE;
			}
			if (reply == NULL)
				break;
			self->budget.used = 0;
			rc_redis_handle_reply(self, reply);
			if (!rc_redis_is_open(self))
				return FALSE;
		}
		/* what is left in the reader is the start of one reply */
		if (self->budget.used + (self->reader->len - self->reader->pos) >
		    self->budget.max) {
			rc_redis_fail_stream(self, rc_redis_too_large_error(self), FALSE);
			return FALSE;
		}
	}
	return TRUE;
}

static void
rc_redis_read(RcRedisConnection *self)
{
	gsize total = 0;

	self->more_to_read = FALSE;
	while (rc_redis_is_open(self)) {
		g_autoptr(GError) error = NULL;
		gssize n;

		if (total >= RC_REDIS_READ_BUDGET) {
			/* the rest next iteration; TLS may hold it where poll cannot see it */
			self->more_to_read = TRUE;
			return;
		}
		if (self->tls_in != NULL)
			n = g_pollable_input_stream_read_nonblocking(
			    self->tls_in, self->readbuf, RC_REDIS_READ_CHUNK, NULL, &error);
		else
			n = g_socket_receive_with_blocking(self->socket,
							   (gchar *)self->readbuf,
							   RC_REDIS_READ_CHUNK,
							   FALSE,
							   NULL,
							   &error);
		if (n < 0) {
			if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
				return;
			rc_redis_fail_stream(self, g_steal_pointer(&error), TRUE);
			return;
		}
		if (n == 0) {
			rc_redis_fail_stream(self,
					     g_error_new_literal(G_IO_ERROR,
								 G_IO_ERROR_CONNECTION_CLOSED,
								 _("Redis closed the connection")),
					     FALSE);
			return;
		}
		total += n;
		if (!rc_redis_feed(self, self->readbuf, n))
			return;
		/* A short read took all the kernel had: asking again costs a syscall
		 * that says EAGAIN, and poll is level-triggered, so bytes that came in
		 * since wake the next iteration. TLS may hold decrypted bytes poll
		 * cannot see: that stream is read to the end. */
		if (self->tls_in == NULL && (gsize)n < RC_REDIS_READ_CHUNK)
			return;
	}
}

/* ------------------------------------------------------------- source --- */

/* µs until the oldest pending command times out; G_MAXINT64 without one */
static gint64
rc_redis_time_left(RcRedisConnection *self, gint64 now)
{
	RcRedisCommand *head = g_queue_peek_head(&self->pending);

	if (head == NULL || self->ep->timeout_ms == 0)
		return G_MAXINT64;
	return head->queued_at + (gint64)self->ep->timeout_ms * 1000 - now;
}

/* one context's loop; contexts are not shared between threads here */
static GHashTable *rc_redis_loops; /* GMainContext → RcRedisLoop */

/* @call failed with errno @saved */
static GError *
rc_redis_errno_error(const gchar *call, gint saved)
{
	return g_error_new(
	    G_IO_ERROR, g_io_error_from_errno(saved), "%s: %s", call, g_strerror(saved));
}

/* a loop with no connection left goes away */
static void
rc_redis_loop_unref_if_empty(RcRedisLoop *loop)
{
	if (loop->conns->len > 0)
		return;
	g_hash_table_remove(rc_redis_loops, loop->context);
	g_source_destroy((GSource *)loop);
	g_source_unref((GSource *)loop);
}

static void
rc_redis_loop_watch(RcRedisLoop *loop, RcRedisConnection *conn, guint32 events)
{
	struct epoll_event ev = {.events = events, .data.ptr = conn};

	if (conn->watched == events)
		return;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, conn->fd, &ev) < 0) {
		/* output that would never be waited for, or a loop woken for nothing
		 * forever: the connection is failed in dispatch, as after a write error */
		if (conn->io_error == NULL)
			conn->io_error = rc_redis_errno_error("epoll_ctl", errno);
		return;
	}
	conn->watched = events;
}

/* Commands queued since the last iteration leave here, all in one write per
 * connection. */
static gboolean
rc_redis_loop_prepare(GSource *source, gint *timeout)
{
	RcRedisLoop *loop = (RcRedisLoop *)source;
	gint64 now = g_source_get_time(source);
	gint64 soonest = G_MAXINT64;
	gboolean ready = FALSE;

	for (guint i = 0; i < loop->conns->len; i++) {
		RcRedisConnection *self = g_ptr_array_index(loop->conns, i);
		gint64 left;

		if (self->io_error == NULL)
			rc_redis_flush(self);
		rc_redis_loop_watch(loop, self, EPOLLIN | (rc_redis_has_output(self) ? EPOLLOUT : 0));
		/* a write error is handled in dispatch; unread input is read there too */
		if (self->io_error != NULL || self->more_to_read)
			ready = TRUE;
		left = rc_redis_time_left(self, now);
		if (left <= 0)
			ready = TRUE;
		soonest = MIN(soonest, left);
	}
	*timeout = -1;
	if (ready)
		*timeout = 0;
	else if (soonest != G_MAXINT64)
		*timeout = (gint)MIN((soonest + 999) / 1000, G_MAXINT);
	return ready;
}

static gboolean
rc_redis_loop_check(GSource *source)
{
	RcRedisLoop *loop = (RcRedisLoop *)source;
	gint64 now;

	if ((loop->pfd.revents & G_IO_IN) != 0)
		return TRUE;
	now = g_source_get_time(source);
	for (guint i = 0; i < loop->conns->len; i++) {
		if (rc_redis_time_left(g_ptr_array_index(loop->conns, i), now) <= 0)
			return TRUE;
	}
	return FALSE;
}

static void
rc_redis_dispatch_one(RcRedisConnection *self, guint32 revents, gint64 now)
{
	if (self->io_error != NULL) {
		rc_redis_fail_stream(self, g_steal_pointer(&self->io_error), TRUE);
		return;
	}
	if ((revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 || self->more_to_read)
		rc_redis_read(self);
	if (rc_redis_is_open(self) && (revents & EPOLLOUT) != 0) {
		rc_redis_flush(self);
		if (self->io_error != NULL) {
			rc_redis_fail_stream(self, g_steal_pointer(&self->io_error), TRUE);
			return;
		}
	}
	if (rc_redis_is_open(self) && self->loop != NULL && rc_redis_time_left(self, now) <= 0) {
		rc_redis_fail_stream(self,
				     g_error_new(G_IO_ERROR,
						 G_IO_ERROR_TIMED_OUT,
						 _("Redis did not answer within %u ms"),
						 self->ep->timeout_ms),
				     FALSE);
	}
}

static gboolean
rc_redis_loop_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	RcRedisLoop *loop = (RcRedisLoop *)source;
	struct epoll_event events[64];
	/* a dispatch nested in a callback (none is today) would make its own */
	GPtrArray *round = g_steal_pointer(&loop->round);
	gint64 now = g_source_get_time(source);
	gint n = 0;

	if ((loop->pfd.revents & G_IO_IN) != 0) {
		do
			n = epoll_wait(loop->epfd, events, G_N_ELEMENTS(events), 0);
		while (n < 0 && errno == EINTR);
	}
	loop->pfd.revents = 0;
	for (gint i = 0; i < n; i++)
		((RcRedisConnection *)events[i].data.ptr)->revents |= events[i].events;
	/* the connections with something to do; callbacks may close connections and
	 * open others, and drop the last reference to any of them */
	for (guint i = 0; i < loop->conns->len; i++) {
		RcRedisConnection *self = g_ptr_array_index(loop->conns, i);
		if (self->revents == 0 && !self->more_to_read && self->io_error == NULL &&
		    rc_redis_time_left(self, now) > 0)
			continue;
		if (round == NULL)
			round = g_ptr_array_new_with_free_func(g_object_unref);
		g_ptr_array_add(round, g_object_ref(self));
	}
	for (guint i = 0; round != NULL && i < round->len; i++) {
		RcRedisConnection *self = g_ptr_array_index(round, i);
		guint32 revents = self->revents;

		if (self->loop != loop)
			continue; /* it left meanwhile */
		self->revents = 0;
		rc_redis_dispatch_one(self, revents, now);
	}
	/* the source is alive until dispatch returns, even if its last connection left */
	if (round != NULL) {
		g_ptr_array_set_size(round, 0);
		if (loop->round == NULL)
			loop->round = round;
		else
			g_ptr_array_unref(round);
	}
	return G_SOURCE_CONTINUE;
}

static void
rc_redis_loop_finalize(GSource *source)
{
	RcRedisLoop *loop = (RcRedisLoop *)source;

	close(loop->epfd);
	g_clear_pointer(&loop->round, g_ptr_array_unref);
	g_ptr_array_unref(loop->conns);
	g_main_context_unref(loop->context);
}

static GSourceFuncs rc_redis_loop_funcs = {
    .prepare = rc_redis_loop_prepare,
    .check = rc_redis_loop_check,
    .dispatch = rc_redis_loop_dispatch,
    .finalize = rc_redis_loop_finalize,
};

/* watches @self's socket from its context's loop, made on first use */
static gboolean
rc_redis_loop_add(RcRedisConnection *self, GError **error)
{
	RcRedisLoop *loop = NULL;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = self};

	if (rc_redis_loops == NULL)
		rc_redis_loops = g_hash_table_new(g_direct_hash, g_direct_equal);
	loop = g_hash_table_lookup(rc_redis_loops, self->context);
	if (loop == NULL) {
		gint epfd = epoll_create1(EPOLL_CLOEXEC);
		if (epfd < 0) {
			g_propagate_error(error, rc_redis_errno_error("epoll_create1", errno));
			return FALSE;
		}
		loop = (RcRedisLoop *)g_source_new(&rc_redis_loop_funcs, sizeof(RcRedisLoop));
		g_source_set_static_name((GSource *)loop, "RcRedisConnection");
		loop->context = g_main_context_ref(self->context);
		loop->epfd = epfd;
		loop->conns = g_ptr_array_new();
		loop->pfd.fd = epfd;
		loop->pfd.events = G_IO_IN;
		g_source_add_poll((GSource *)loop, &loop->pfd);
		/* not blocked while it dispatches: blocking takes the fd out of the poll
		 * set and back, which wakes the loop twice per dispatch (see
		 * RcClientPoller) */
		g_source_set_can_recurse((GSource *)loop, TRUE);
		g_source_attach((GSource *)loop, self->context);
		g_hash_table_insert(rc_redis_loops, self->context, loop);
	}
	/* TLS too is polled on the socket: the TLS layer reads and writes only it,
	 * and what it decrypted ahead is drained by reading until WOULD_BLOCK */
	self->fd = g_socket_get_fd(self->socket);
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, self->fd, &ev) < 0) {
		g_propagate_error(error, rc_redis_errno_error("epoll_ctl", errno));
		rc_redis_loop_unref_if_empty(loop);
		return FALSE;
	}
	self->watched = EPOLLIN;
	self->revents = 0;
	g_ptr_array_add(loop->conns, self);
	self->loop = loop;
	return TRUE;
}

static void
rc_redis_loop_remove(RcRedisConnection *self)
{
	RcRedisLoop *loop = self->loop;

	if (loop == NULL)
		return;
	/* before the socket closes: its number may be reused at once */
	if (epoll_ctl(loop->epfd, EPOLL_CTL_DEL, self->fd, NULL) < 0)
		g_debug("%s: epoll_ctl DEL: %s", self->display, g_strerror(errno));
	g_ptr_array_remove_fast(loop->conns, self);
	self->loop = NULL;
	self->fd = -1;
	self->revents = 0;
	rc_redis_loop_unref_if_empty(loop);
}

/* ------------------------------------------------------------ closing --- */

static void
rc_redis_stop_connect_sources(RcRedisConnection *self)
{
	if (self->connect_timer != NULL) {
		g_source_destroy(self->connect_timer);
		g_clear_pointer(&self->connect_timer, g_source_unref);
	}
	if (self->user_cancel_source != NULL) {
		g_source_destroy(self->user_cancel_source);
		g_clear_pointer(&self->user_cancel_source, g_source_unref);
	}
}

static void
rc_redis_teardown_io(RcRedisConnection *self)
{
	rc_redis_loop_remove(self);
	/* the socket first: closing a TLS connection would try to send close_notify.
	 * Not under a TLS handshake, though: its thread may still use the fd (the
	 * handshake's callback closes it, once cancelled) */
	if (self->sockconn != NULL && !self->tls_handshaking)
		g_io_stream_close(G_IO_STREAM(self->sockconn), NULL, NULL);
	self->tls_in = NULL;
	self->tls_out = NULL;
	self->socket = NULL;
	g_clear_object(&self->tls);
	g_clear_object(&self->sockconn);
	g_clear_pointer(&self->reader, redisReaderFree);
	g_clear_pointer(&self->readbuf, g_free);
	if (self->out != NULL && self->out_secret)
		explicit_bzero(self->out->data, self->out->len);
	self->out_secret = FALSE;
	g_clear_pointer(&self->out, g_byte_array_unref);
	self->out_pos = 0;
	g_clear_error(&self->io_error);
	self->more_to_read = FALSE;
}

/* Everything that ends the connection comes here, once. */
static void
rc_redis_connection_fail(RcRedisConnection *self, const GError *error)
{
	g_autoptr(RcRedisConnection) hold = NULL;
	gboolean was_connected = self->state == RC_REDIS_STATE_CONNECTED;

	if (self->state == RC_REDIS_STATE_CLOSED)
		return;
	/* not from dispose: there the last reference is already gone */
	if (!self->disposing)
		hold = g_object_ref(self);
	self->state = RC_REDIS_STATE_CLOSED;
	self->close_error = g_error_copy(error);
	if (was_connected)
		g_debug("%s: connection closed: %s", self->display, error->message);
	else
		g_debug("%s: connect failed: %s", self->display, error->message);
	rc_redis_stop_connect_sources(self);
	/* an async step of the connect still running ends with CANCELLED and finds
	 * the connection closed */
	if (self->connect_cancellable != NULL)
		g_cancellable_cancel(self->connect_cancellable);
	g_clear_object(&self->connect_cancellable);
	rc_redis_teardown_io(self);
	if (self->deferred_out != NULL)
		explicit_bzero(self->deferred_out->data, self->deferred_out->len);
	g_clear_pointer(&self->deferred_out, g_byte_array_unref);
	rc_redis_clear_subs(self);

	rc_redis_fail_queue(self, &self->pending, error);
	rc_redis_fail_queue(self, &self->deferred, error);
	if (self->connect_task != NULL) {
		g_autoptr(GTask) task = g_steal_pointer(&self->connect_task);
		g_task_return_error(task, g_error_copy(error));
	}
	if (was_connected && !self->disposing)
		g_signal_emit(self, signals[SIGNAL_CLOSED], 0, error);
}

void
rc_redis_connection_close(RcRedisConnection *self)
{
	g_autoptr(GError) error = NULL;

	g_return_if_fail(RC_IS_REDIS_CONNECTION(self));
	if (self->state == RC_REDIS_STATE_CLOSED)
		return;
	error = g_error_new_literal(
	    G_IO_ERROR, G_IO_ERROR_CLOSED, _("The Redis connection was closed"));
	rc_redis_connection_fail(self, error);
}

/* ---------------------------------------------------------- connecting --- */

static void
rc_redis_on_handshake_reply(RcRedisConnection *self,
			    redisReply *reply,
			    const GError *error,
			    gpointer user_data)
{
	const gchar *step = user_data;
	g_autoptr(GError) refused = NULL;

	/* a lost connection already failed the connect */
	if (reply == NULL)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		/* Redis' text, never ours: AUTH's arguments are not in it */
		if (g_strcmp0(step, "AUTH") == 0)
			refused = g_error_new(G_IO_ERROR,
					      G_IO_ERROR_PERMISSION_DENIED,
					      _("Redis refused the authentication: %s"),
					      reply->str);
		else if (g_str_has_prefix(reply->str, "NOAUTH"))
			refused = g_error_new(G_IO_ERROR,
					      G_IO_ERROR_PERMISSION_DENIED,
					      _("Redis wants a password: %s"),
					      reply->str);
		else
			refused = g_error_new(G_IO_ERROR,
					      G_IO_ERROR_FAILED,
					      _("Redis refused %s: %s"),
					      step,
					      reply->str);
		g_prefix_error(&refused, _("Cannot connect to Redis at %s: "), self->display);
		rc_redis_connection_fail(self, refused);
		return;
	}
	if (--self->handshake_pending > 0)
		return;

	/* connected: what waited goes now, after the handshake */
	self->state = RC_REDIS_STATE_CONNECTED;
	rc_redis_stop_connect_sources(self);
	g_clear_object(&self->connect_cancellable);
	g_debug("%s: connected", self->display);
	if (self->deferred_out != NULL) {
		g_byte_array_append(self->out, self->deferred_out->data, self->deferred_out->len);
		if (self->deferred_secret)
			explicit_bzero(self->deferred_out->data, self->deferred_out->len);
		self->out_secret |= self->deferred_secret;
		self->deferred_secret = FALSE;
	}
	g_clear_pointer(&self->deferred_out, g_byte_array_unref);
	{
		gint64 now = g_get_monotonic_time();
		RcRedisCommand *cmd;
		while ((cmd = g_queue_pop_head(&self->deferred)) != NULL) {
			cmd->queued_at = now;
			g_queue_push_tail(&self->pending, cmd);
		}
	}
	{
		g_autoptr(GTask) task = g_steal_pointer(&self->connect_task);
		g_task_return_boolean(task, TRUE);
	}
}

static void rc_redis_queue(RcRedisConnection *self,
			   guint argc,
			   const gchar *const *argv,
			   const gsize *lens,
			   RcRedisReplyFunc func,
			   gpointer user_data,
			   gboolean now);

static void
rc_redis_start_session(RcRedisConnection *self)
{
	RcRedisEndpoint *ep = self->ep;

	self->reader = rc_redis_reader_new(&self->budget);
	self->readbuf = g_malloc(RC_REDIS_READ_CHUNK);
	self->out = g_byte_array_new();
	if (self->tls != NULL) {
		self->tls_in =
		    G_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(G_IO_STREAM(self->tls)));
		self->tls_out =
		    G_POLLABLE_OUTPUT_STREAM(g_io_stream_get_output_stream(G_IO_STREAM(self->tls)));
	}
	{
		GError *error = NULL;
		if (!rc_redis_loop_add(self, &error)) {
			rc_redis_fail_stream(self, error, FALSE);
			return;
		}
	}

	/* AUTH first, so Redis hears nothing else from a stranger */
	if (ep->password != NULL || ep->username != NULL) {
		const gchar *password = ep->password != NULL ? ep->password : "";
		if (ep->username != NULL) {
			const gchar *argv[] = {"AUTH", ep->username, password};
			rc_redis_queue(
			    self, 3, argv, NULL, rc_redis_on_handshake_reply, "AUTH", TRUE);
		} else {
			const gchar *argv[] = {"AUTH", password};
			rc_redis_queue(
			    self, 2, argv, NULL, rc_redis_on_handshake_reply, "AUTH", TRUE);
		}
		self->handshake_pending++;
	}
	if (ep->db != 0) {
		g_autofree gchar *db = g_strdup_printf("%u", ep->db);
		const gchar *argv[] = {"SELECT", db};
		rc_redis_queue(self, 2, argv, NULL, rc_redis_on_handshake_reply, "SELECT", TRUE);
		self->handshake_pending++;
	}
	if (self->handshake_pending == 0) {
		const gchar *argv[] = {"PING"};
		rc_redis_queue(self, 1, argv, NULL, rc_redis_on_handshake_reply, "PING", TRUE);
		self->handshake_pending++;
	}
}

/* GIO refuses a certificate that fails verification with one word for every
 * reason ("unacceptable"): an operator needs to know which one */
static gboolean
rc_redis_on_accept_certificate(GTlsConnection *tls,
			       GTlsCertificate *peer,
			       GTlsCertificateFlags errors,
			       gpointer user_data)
{
	RcRedisConnection *self = user_data;
	self->tls_errors = errors;
	return FALSE;
}

static gchar *
rc_redis_describe_certificate_errors(RcRedisConnection *self)
{
	GTlsCertificateFlags errors = self->tls_errors;
	g_autoptr(GPtrArray) why = g_ptr_array_new_with_free_func(g_free);

	if (errors & G_TLS_CERTIFICATE_UNKNOWN_CA)
		g_ptr_array_add(why,
				self->ep->tls_ca_file != NULL
				    ? g_strdup_printf(_("it is not signed by a CA of %s"),
						      self->ep->tls_ca_file)
				    : g_strdup(_("it is not signed by a CA this system trusts")));
	if (errors & G_TLS_CERTIFICATE_BAD_IDENTITY)
		g_ptr_array_add(why,
				g_strdup_printf(_("it is not made out to %s"),
						self->ep->host != NULL ? self->ep->host : ""));
	if (errors & G_TLS_CERTIFICATE_NOT_ACTIVATED)
		g_ptr_array_add(why, g_strdup(_("it is not valid yet")));
	if (errors & G_TLS_CERTIFICATE_EXPIRED)
		g_ptr_array_add(why, g_strdup(_("it has expired")));
	if (errors & G_TLS_CERTIFICATE_REVOKED)
		g_ptr_array_add(why, g_strdup(_("it has been revoked")));
	if (errors & G_TLS_CERTIFICATE_INSECURE)
		g_ptr_array_add(why, g_strdup(_("it uses an insecure algorithm")));
	if (why->len == 0)
		g_ptr_array_add(why, g_strdup(_("it is not valid")));
	g_ptr_array_add(why, NULL);
	return g_strjoinv("; ", (gchar **)why->pdata);
}

static void
rc_redis_on_tls_handshake(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(RcRedisConnection) self = user_data;
	g_autoptr(GError) error = NULL;
	gboolean ok = g_tls_connection_handshake_finish(G_TLS_CONNECTION(source), result, &error);

	self->tls_handshaking = FALSE;
	if (!rc_redis_is_open(self)) {
		g_autoptr(GIOStream) base = NULL;
		g_object_get(source, "base-io-stream", &base, NULL);
		g_io_stream_close(base, NULL, NULL);
		return;
	}
	if (!ok) {
		if (self->tls_errors != 0 &&
		    g_error_matches(error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE)) {
			g_autofree gchar *why = rc_redis_describe_certificate_errors(self);
			g_clear_error(&error);
			error = g_error_new(G_TLS_ERROR,
					    G_TLS_ERROR_BAD_CERTIFICATE,
					    _("the server's certificate is refused: %s"),
					    why);
		}
		g_prefix_error(&error, _("TLS handshake with Redis at %s failed: "), self->display);
		rc_redis_connection_fail(self, error);
		return;
	}
	rc_redis_start_session(self);
}

static gboolean
rc_redis_start_tls(RcRedisConnection *self, GError **error)
{
	RcRedisEndpoint *ep = self->ep;
	g_autoptr(GSocketConnectable) identity = NULL;
	g_autoptr(GIOStream) tls = NULL;

	if (ep->unix_path == NULL)
		identity = g_network_address_new(ep->host, ep->port);
	tls = g_tls_client_connection_new(G_IO_STREAM(self->sockconn), identity, error);
	if (tls == NULL)
		return FALSE;
	if (ep->tls_ca_file != NULL) {
		g_autoptr(GError) local = NULL;
		g_autoptr(GTlsDatabase) db = g_tls_file_database_new(ep->tls_ca_file, &local);
		if (db == NULL) {
			g_set_error(error,
				    G_IO_ERROR,
				    G_IO_ERROR_FAILED,
				    _("Cannot read the CA file %s: %s"),
				    ep->tls_ca_file,
				    local->message);
			return FALSE;
		}
		g_tls_connection_set_database(G_TLS_CONNECTION(tls), db);
	}
	if (ep->tls_cert_file != NULL || ep->tls_key_file != NULL) {
		g_autoptr(GError) local = NULL;
		g_autoptr(GTlsCertificate) cert = NULL;
		if (ep->tls_cert_file == NULL || ep->tls_key_file == NULL) {
			g_set_error_literal(error,
					    G_IO_ERROR,
					    G_IO_ERROR_INVALID_ARGUMENT,
					    _("A TLS client certificate needs both a certificate "
					      "and a key file"));
			return FALSE;
		}
		cert =
		    g_tls_certificate_new_from_files(ep->tls_cert_file, ep->tls_key_file, &local);
		if (cert == NULL) {
			g_set_error(error,
				    G_IO_ERROR,
				    G_IO_ERROR_FAILED,
				    _("Cannot read the TLS client certificate %s: %s"),
				    ep->tls_cert_file,
				    local->message);
			return FALSE;
		}
		g_tls_connection_set_certificate(G_TLS_CONNECTION(tls), cert);
	}
	g_signal_connect(
	    tls, "accept-certificate", G_CALLBACK(rc_redis_on_accept_certificate), self);
	/* RESP is self-delimiting: a truncated stream is just a lost connection */
	g_tls_connection_set_require_close_notify(G_TLS_CONNECTION(tls), FALSE);
	self->tls = G_TLS_CONNECTION(g_steal_pointer(&tls));
	self->tls_handshaking = TRUE;
	g_tls_connection_handshake_async(self->tls,
					 G_PRIORITY_DEFAULT,
					 self->connect_cancellable,
					 rc_redis_on_tls_handshake,
					 g_object_ref(self));
	return TRUE;
}

static void
rc_redis_on_socket_connected(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(RcRedisConnection) self = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketConnection) conn =
	    g_socket_client_connect_finish(G_SOCKET_CLIENT(source), result, &error);

	if (!rc_redis_is_open(self)) {
		if (conn != NULL)
			g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
		return;
	}
	if (conn == NULL) {
		g_prefix_error(&error, _("Cannot connect to Redis at %s: "), self->display);
		rc_redis_connection_fail(self, error);
		return;
	}
	self->sockconn = g_steal_pointer(&conn);
	self->socket = g_socket_connection_get_socket(self->sockconn);
	if (self->ep->unix_path == NULL) {
		/* small pipelined commands must not wait for Nagle */
		if (!g_socket_set_option(self->socket, IPPROTO_TCP, TCP_NODELAY, 1, &error)) {
			g_debug("%s: TCP_NODELAY: %s", self->display, error->message);
			g_clear_error(&error);
		}
		g_socket_set_keepalive(self->socket, TRUE);
	}
	if (self->ep->tls) {
		if (!rc_redis_start_tls(self, &error)) {
			g_prefix_error(&error, _("Cannot connect to Redis at %s: "), self->display);
			rc_redis_connection_fail(self, error);
		}
		return;
	}
	rc_redis_start_session(self);
}

static gboolean
rc_redis_on_connect_timeout(gpointer user_data)
{
	RcRedisConnection *self = user_data;
	g_autoptr(GError) error = NULL;

	g_clear_pointer(&self->connect_timer, g_source_unref);
	error = g_error_new(G_IO_ERROR,
			    G_IO_ERROR_TIMED_OUT,
			    _("Cannot connect to Redis at %s: no answer within %u ms"),
			    self->display,
			    self->ep->timeout_ms);
	rc_redis_connection_fail(self, error);
	return G_SOURCE_REMOVE;
}

static gboolean
rc_redis_on_user_cancelled(GCancellable *cancellable, gpointer user_data)
{
	RcRedisConnection *self = user_data;
	g_autoptr(GError) error = NULL;

	g_clear_pointer(&self->user_cancel_source, g_source_unref);
	error = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Operation was cancelled"));
	rc_redis_connection_fail(self, error);
	return G_SOURCE_REMOVE;
}

void
rc_redis_connection_connect_async(RcRedisConnection *self,
				  GCancellable *cancellable,
				  GAsyncReadyCallback callback,
				  gpointer user_data)
{
	g_autoptr(GSocketClient) client = NULL;
	g_autoptr(GSocketConnectable) connectable = NULL;
	RcRedisEndpoint *ep;

	g_return_if_fail(RC_IS_REDIS_CONNECTION(self));
	g_return_if_fail(cancellable == NULL || G_IS_CANCELLABLE(cancellable));
	g_return_if_fail(self->state == RC_REDIS_STATE_NEW);

	ep = self->ep;
	self->state = RC_REDIS_STATE_CONNECTING;
	self->context = g_main_context_ref_thread_default();
	self->connect_task = g_task_new(self, cancellable, callback, user_data);
	g_task_set_source_tag(self->connect_task, rc_redis_connection_connect_async);
	/* we report cancellation ourselves, after cleaning up */
	g_task_set_check_cancellable(self->connect_task, FALSE);
	self->connect_cancellable = g_cancellable_new();
	if (cancellable != NULL) {
		self->user_cancel_source = g_cancellable_source_new(cancellable);
		g_source_set_callback(self->user_cancel_source,
				      G_SOURCE_FUNC(rc_redis_on_user_cancelled),
				      self,
				      NULL);
		g_source_attach(self->user_cancel_source, self->context);
	}
	if (ep->timeout_ms > 0) {
		self->connect_timer = g_timeout_source_new(ep->timeout_ms);
		g_source_set_static_name(self->connect_timer, "RcRedisConnection connect timeout");
		g_source_set_callback(self->connect_timer, rc_redis_on_connect_timeout, self, NULL);
		g_source_attach(self->connect_timer, self->context);
	}
	g_debug("%s: connecting", self->display);
	if (ep->unix_path != NULL)
		connectable = G_SOCKET_CONNECTABLE(g_unix_socket_address_new(ep->unix_path));
	else
		connectable =
		    g_network_address_new(ep->host != NULL ? ep->host : "localhost", ep->port);
	client = g_socket_client_new();
	/* Redis is never reached through an HTTP or SOCKS proxy */
	g_socket_client_set_enable_proxy(client, FALSE);
	g_socket_client_connect_async(client,
				      connectable,
				      self->connect_cancellable,
				      rc_redis_on_socket_connected,
				      g_object_ref(self));
}

gboolean
rc_redis_connection_connect_finish(RcRedisConnection *self, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, self), FALSE);
	return g_task_propagate_boolean(G_TASK(result), error);
}

/* ------------------------------------------------------------ commands --- */

/* argument @i of @first (when not NULL) followed by @argv */
static const gchar *
rc_redis_args_nth(const gchar *first,
		  const gchar *const *argv,
		  const gsize *lens,
		  guint i,
		  gsize *len)
{
	if (first != NULL) {
		if (i == 0) {
			*len = strlen(first);
			return first;
		}
		i--;
	}
	*len = lens != NULL ? lens[i] : strlen(argv[i]);
	return argv[i];
}

RcRedisArgs *
rc_redis_args_new(const gchar *first, guint argc, const gchar *const *argv, const gsize *lens)
{
	guint n = argc + (first != NULL ? 1 : 0);
	gsize data = 0, len;
	RcRedisArgs *self;
	const gchar **out_argv;
	gsize *out_lens;
	gchar *p;

	for (guint i = 0; i < n; i++) {
		rc_redis_args_nth(first, argv, lens, i, &len);
		data += len + 1;
	}
	self = g_rc_box_alloc(sizeof(RcRedisArgs) + n * (sizeof(gchar *) + sizeof(gsize)) + data);
	out_argv = (const gchar **)(self + 1);
	out_lens = (gsize *)(out_argv + n);
	p = (gchar *)(out_lens + n);
	for (guint i = 0; i < n; i++) {
		const gchar *a = rc_redis_args_nth(first, argv, lens, i, &len);
		if (len > 0)
			memcpy(p, a, len);
		p[len] = '\0';
		out_argv[i] = p;
		out_lens[i] = len;
		p += len + 1;
	}
	self->argc = n;
	self->argv = out_argv;
	self->lens = out_lens;
	return self;
}

RcRedisArgs *
rc_redis_args_ref(RcRedisArgs *self)
{
	return g_rc_box_acquire(self);
}

void
rc_redis_args_unref(RcRedisArgs *self)
{
	g_rc_box_release(self);
}

static guint8 *
rc_redis_put_header(guint8 *p, gchar kind, gsize n)
{
	*p++ = (guint8)kind;
	p += rc_protocol_format_uint64((gchar *)p, n);
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

void
rc_redis_append_command(GByteArray *out, guint argc, const gchar *const *argv, const gsize *lens)
{
	gchar digits[RC_PROTOCOL_UINT64_DIGITS];
	gsize total = 3 + rc_protocol_format_uint64(digits, argc);
	guint start = out->len;
	guint8 *p;

	for (guint i = 0; i < argc; i++)
		total += 5 + rc_protocol_format_uint64(digits, lens[i]) + lens[i];
	if (total > G_MAXUINT - start)
		g_error("a Redis command of %" G_GSIZE_FORMAT " bytes does not fit a buffer", total);
	/* sized once, before any byte is written: no copy of an AUTH password is
	 * left behind in a block the array gave up */
	g_byte_array_set_size(out, start + (guint)total);
	p = rc_redis_put_header(out->data + start, '*', argc);
	for (guint i = 0; i < argc; i++) {
		p = rc_redis_put_header(p, '$', lens[i]);
		if (lens[i] > 0)
			memcpy(p, argv[i], lens[i]);
		p += lens[i];
		*p++ = '\r';
		*p++ = '\n';
	}
	g_assert(p == out->data + out->len);
}

/* @now: straight onto the wire (the handshake), not behind the connect */
static void
rc_redis_queue(RcRedisConnection *self,
	       guint argc,
	       const gchar *const *argv,
	       const gsize *lens,
	       RcRedisReplyFunc func,
	       gpointer user_data,
	       gboolean now)
{
	gsize sizes_local[16];
	g_autofree gsize *sizes_heap = argc > G_N_ELEMENTS(sizes_local) ? g_new(gsize, argc) : NULL;
	gsize *sizes = sizes_heap != NULL ? sizes_heap : sizes_local;
	RcRedisCommand *cmd = g_new0(RcRedisCommand, 1);
	gboolean secret;

	for (guint i = 0; i < argc; i++)
		sizes[i] = lens != NULL ? lens[i] : strlen(argv[i]);
	/* AUTH (and HELLO … AUTH) carry a password: no copy of it should linger */
	secret = (sizes[0] == 4 && g_ascii_strncasecmp(argv[0], "AUTH", 4) == 0) ||
		 (sizes[0] == 5 && g_ascii_strncasecmp(argv[0], "HELLO", 5) == 0);
	cmd->func = func;
	cmd->user_data = user_data;
	cmd->kind = rc_redis_classify(argv[0], sizes[0]);
	cmd->queued_at = g_get_monotonic_time();
	if (RC_REDIS_IS_SUB_CMD(cmd->kind)) {
		cmd->expected = argc > 1 ? (gint)MIN(argc - 1, G_MAXINT) : -1;
		if (cmd->kind == RC_REDIS_CMD_SUNSUBSCRIBE && argc > 1) {
			cmd->channels =
			    g_ptr_array_new_full(argc - 1, (GDestroyNotify)g_bytes_unref);
			for (guint i = 1; i < argc; i++)
				g_ptr_array_add(cmd->channels, g_bytes_new(argv[i], sizes[i]));
		}
	}

	switch (now ? RC_REDIS_STATE_CONNECTED : self->state) {
	case RC_REDIS_STATE_NEW:
	case RC_REDIS_STATE_CONNECTING:
	case RC_REDIS_STATE_CONNECTED:
		if (self->state == RC_REDIS_STATE_CONNECTED || now) {
			rc_redis_append_command(self->out, argc, argv, sizes);
			g_queue_push_tail(&self->pending, cmd);
			self->out_secret |= secret;
		} else {
			if (self->deferred_out == NULL)
				self->deferred_out = g_byte_array_new();
			rc_redis_append_command(self->deferred_out, argc, argv, sizes);
			self->deferred_secret |= secret;
			g_queue_push_tail(&self->deferred, cmd);
		}
		break;
	case RC_REDIS_STATE_CLOSED:
		g_queue_push_tail(&self->doomed, cmd);
		rc_redis_schedule_doomed(self);
		break;
	}
}

void
rc_redis_connection_command_argv(RcRedisConnection *self,
				 guint argc,
				 const gchar *const *argv,
				 const gsize *lens,
				 RcRedisReplyFunc func,
				 gpointer user_data)
{
	g_return_if_fail(RC_IS_REDIS_CONNECTION(self));
	g_return_if_fail(argc > 0 && argc <= G_MAXINT);
	g_return_if_fail(argv != NULL);

	rc_redis_queue(self, argc, argv, lens, func, user_data, FALSE);
}

void
rc_redis_connection_command(
    RcRedisConnection *self, RcRedisReplyFunc func, gpointer user_data, const gchar *first_arg, ...)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	va_list ap;

	g_return_if_fail(RC_IS_REDIS_CONNECTION(self));
	g_return_if_fail(first_arg != NULL);

	va_start(ap, first_arg);
	for (const gchar *a = first_arg; a != NULL; a = va_arg(ap, const gchar *))
		g_ptr_array_add(args, (gpointer)a);
	va_end(ap);
	rc_redis_queue(
	    self, args->len, (const gchar *const *)args->pdata, NULL, func, user_data, FALSE);
}

/* -------------------------------------------------------------- object --- */

void
rc_redis_connection_set_push_handler(RcRedisConnection *self,
				     RcRedisPushFunc func,
				     gpointer user_data,
				     GDestroyNotify destroy)
{
	GDestroyNotify old_destroy;
	gpointer old_data;

	g_return_if_fail(RC_IS_REDIS_CONNECTION(self));

	old_destroy = self->push_destroy;
	old_data = self->push_data;
	self->push_func = func;
	self->push_data = user_data;
	self->push_destroy = destroy;
	if (old_destroy != NULL)
		old_destroy(old_data);
}

gboolean
rc_redis_connection_is_connected(RcRedisConnection *self)
{
	g_return_val_if_fail(RC_IS_REDIS_CONNECTION(self), FALSE);
	return self->state == RC_REDIS_STATE_CONNECTED;
}

void
rc_redis_connection_set_max_reply_size(RcRedisConnection *self, gsize max_bytes)
{
	g_return_if_fail(RC_IS_REDIS_CONNECTION(self));
	g_return_if_fail(max_bytes > 0);
	self->budget.max = max_bytes;
}

guint
rc_redis_connection_get_n_pending(RcRedisConnection *self)
{
	g_return_val_if_fail(RC_IS_REDIS_CONNECTION(self), 0);
	return self->pending.length + self->deferred.length;
}

const RcRedisEndpoint *
rc_redis_connection_get_endpoint(RcRedisConnection *self)
{
	g_return_val_if_fail(RC_IS_REDIS_CONNECTION(self), NULL);
	return self->ep;
}

RcRedisConnection *
rc_redis_connection_new(const RcRedisEndpoint *ep)
{
	RcRedisConnection *self;

	g_return_val_if_fail(ep != NULL, NULL);
	self = g_object_new(RC_TYPE_REDIS_CONNECTION, NULL);
	self->ep = rc_redis_endpoint_copy(ep);
	self->display = rc_redis_endpoint_to_display_string(ep);
	return self;
}

static void
rc_redis_connection_dispose(GObject *object)
{
	RcRedisConnection *self = RC_REDIS_CONNECTION(object);

	if (self->state != RC_REDIS_STATE_CLOSED) {
		g_autoptr(GError) error = g_error_new_literal(
		    G_IO_ERROR, G_IO_ERROR_CLOSED, _("The Redis connection was closed"));
		self->disposing = TRUE;
		rc_redis_connection_fail(self, error);
	}
	rc_redis_connection_set_push_handler(self, NULL, NULL, NULL);
	G_OBJECT_CLASS(rc_redis_connection_parent_class)->dispose(object);
}

static void
rc_redis_connection_finalize(GObject *object)
{
	RcRedisConnection *self = RC_REDIS_CONNECTION(object);

	/* the doomed idle holds a reference: nothing can be left in it */
	g_assert(self->doomed.length == 0);
	for (guint i = 0; i < RC_REDIS_N_SUBS; i++)
		g_hash_table_unref(self->subs[i]);
	g_clear_error(&self->close_error);
	g_clear_pointer(&self->deferred_out, g_byte_array_unref);
	g_clear_pointer(&self->context, g_main_context_unref);
	g_free(self->display);
	rc_redis_endpoint_free(self->ep);
	G_OBJECT_CLASS(rc_redis_connection_parent_class)->finalize(object);
}

static void
rc_redis_connection_class_init(RcRedisConnectionClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = rc_redis_connection_dispose;
	object_class->finalize = rc_redis_connection_finalize;

	/**
	 * RcRedisConnection::closed:
	 * @reason: why (G_IO_ERROR_CLOSED after rc_redis_connection_close())
	 *
	 * Emitted once, after every pending callback has been called, when a
	 * connection that had connected ends.
	 */
	signals[SIGNAL_CLOSED] = g_signal_new("closed",
					      G_TYPE_FROM_CLASS(klass),
					      G_SIGNAL_RUN_LAST,
					      0,
					      NULL,
					      NULL,
					      NULL,
					      G_TYPE_NONE,
					      1,
					      G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
rc_redis_connection_init(RcRedisConnection *self)
{
	self->budget.max = RC_REDIS_MAX_REPLY;
	for (guint i = 0; i < RC_REDIS_N_SUBS; i++)
		self->subs[i] = g_hash_table_new_full(
		    g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref, NULL);
	g_queue_init(&self->pending);
	g_queue_init(&self->deferred);
	g_queue_init(&self->doomed);
}
