/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTestRedisConnection"

#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "bus/rc-redis-connection.h"
#include "bus/rc-redis-link.h"
#include "rc-test-harness.h"
#include "rc-test-redis-extra.h"

/*
 * RcRedisConnection against a real redis-server on a free 127.0.0.1 port:
 * connecting (TCP, unix socket, TLS, AUTH, ACL users, SELECT), pipelining,
 * binary-safe arguments, error replies, pub/sub in all three flavours with
 * the matching of confirmations, command and connect timeouts against a
 * stopped server, losing the server, closing and unreffing from callbacks.
 * Replies no real Redis sends (oversized, too deep, garbage) come from a
 * scripted peer on a real socket.
 */

#define WAIT_MS rc_test_timeout(10000)

/* ------------------------------------------------------------ helpers --- */

/* A deep copy, allocated like hiredis' own so freeReplyObject() frees it:
 * a callback must not keep the reply it is given. */
static redisReply *
reply_dup(const redisReply *r)
{
	redisReply *copy = calloc(1, sizeof(redisReply));

	g_assert_nonnull(copy);
	copy->type = r->type;
	copy->integer = r->integer;
	copy->len = r->len;
	if (r->str != NULL) {
		copy->str = malloc(r->len + 1);
		g_assert_nonnull(copy->str);
		memcpy(copy->str, r->str, r->len + 1);
	}
	if (r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
		copy->elements = r->elements;
		copy->element = calloc(r->elements, sizeof(redisReply *));
		g_assert_nonnull(copy->element);
		for (gsize i = 0; i < r->elements; i++)
			copy->element[i] = reply_dup(r->element[i]);
	}
	return copy;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(redisReply, freeReplyObject)

/* an array reply as "a b c" (nil as "(nil)", integers in decimal) */
static gchar *
reply_words(const redisReply *r)
{
	GString *out = g_string_new(NULL);

	g_assert_cmpint(r->type, ==, REDIS_REPLY_ARRAY);
	for (gsize i = 0; i < r->elements; i++) {
		const redisReply *e = r->element[i];
		if (i > 0)
			g_string_append_c(out, ' ');
		if (e->type == REDIS_REPLY_INTEGER)
			g_string_append_printf(out, "%lld", e->integer);
		else if (e->type == REDIS_REPLY_NIL)
			g_string_append(out, "(nil)");
		else
			g_string_append_len(out, e->str, e->len);
	}
	return g_string_free(out, FALSE);
}

typedef struct {
	guint calls;
	redisReply *reply;
	GError *error;
	gint64 at;
} Result;

static void
result_clear(Result *r)
{
	g_clear_pointer(&r->reply, freeReplyObject);
	g_clear_error(&r->error);
	r->calls = 0;
}

static void
on_result(RcRedisConnection *conn, redisReply *reply, const GError *error, gpointer user_data)
{
	Result *r = user_data;

	g_assert_true(RC_IS_REDIS_CONNECTION(conn));
	g_assert_true((reply == NULL) != (error == NULL));
	r->calls++;
	r->at = g_get_monotonic_time();
	if (reply != NULL)
		r->reply = reply_dup(reply);
	else
		r->error = g_error_copy(error);
}

static gboolean
result_done(gpointer user_data)
{
	return ((Result *)user_data)->calls > 0;
}

static void
wait_result(Result *r)
{
	g_assert_true(rc_test_wait_until(result_done, r, WAIT_MS));
	/* and no second call comes */
	rc_test_sleep(10);
	g_assert_cmpuint(r->calls, ==, 1);
}

/* Runs one command and returns its reply (no connection error allowed). */
static redisReply *
run_argv(RcRedisConnection *conn, guint argc, const gchar *const *argv, const gsize *lens)
{
	Result r = {0};

	rc_redis_connection_command_argv(conn, argc, argv, lens, on_result, &r);
	wait_result(&r);
	g_assert_no_error(r.error);
	return g_steal_pointer(&r.reply);
}

static redisReply *run(RcRedisConnection *conn, const gchar *first_arg, ...) G_GNUC_NULL_TERMINATED;

static redisReply *
run(RcRedisConnection *conn, const gchar *first_arg, ...)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	va_list ap;

	va_start(ap, first_arg);
	for (const gchar *a = first_arg; a != NULL; a = va_arg(ap, const gchar *))
		g_ptr_array_add(args, (gpointer)a);
	va_end(ap);
	return run_argv(conn, args->len, (const gchar *const *)args->pdata, NULL);
}

static void
assert_status(redisReply *reply, const gchar *status)
{
	g_assert_nonnull(reply);
	g_assert_cmpint(reply->type, ==, REDIS_REPLY_STATUS);
	g_assert_cmpstr(reply->str, ==, status);
	freeReplyObject(reply);
}

static void
assert_string(redisReply *reply, const gchar *value)
{
	g_assert_nonnull(reply);
	g_assert_cmpint(reply->type, ==, REDIS_REPLY_STRING);
	g_assert_cmpstr(reply->str, ==, value);
	freeReplyObject(reply);
}

static void
assert_integer(redisReply *reply, long long value)
{
	g_assert_nonnull(reply);
	g_assert_cmpint(reply->type, ==, REDIS_REPLY_INTEGER);
	g_assert_cmpint(reply->integer, ==, value);
	freeReplyObject(reply);
}

static void
assert_words(redisReply *reply, const gchar *words)
{
	g_autofree gchar *got = NULL;

	g_assert_nonnull(reply);
	got = reply_words(reply);
	g_assert_cmpstr(got, ==, words);
	freeReplyObject(reply);
}

static void
assert_error_reply(redisReply *reply, const gchar *prefix)
{
	g_assert_nonnull(reply);
	g_assert_cmpint(reply->type, ==, REDIS_REPLY_ERROR);
	if (!g_str_has_prefix(reply->str, prefix))
		g_error("error reply “%s” does not start with “%s”", reply->str, prefix);
	freeReplyObject(reply);
}

typedef struct {
	gboolean done;
	gboolean ok;
	GError *error;
} ConnectWait;

static void
on_connected(GObject *source, GAsyncResult *result, gpointer user_data)
{
	ConnectWait *w = user_data;

	g_assert_false(w->done);
	w->ok = rc_redis_connection_connect_finish(RC_REDIS_CONNECTION(source), result, &w->error);
	w->done = TRUE;
}

static gboolean
connect_done(gpointer user_data)
{
	return ((ConnectWait *)user_data)->done;
}

/* connects @conn and waits; FALSE with @error on failure */
static gboolean
connect_wait(RcRedisConnection *conn, GCancellable *cancellable, GError **error)
{
	ConnectWait w = {0};

	rc_redis_connection_connect_async(conn, cancellable, on_connected, &w);
	g_assert_true(rc_test_wait_until(connect_done, &w, WAIT_MS));
	g_assert_true(w.ok == (w.error == NULL));
	if (w.error != NULL)
		g_propagate_error(error, w.error);
	return w.ok;
}

static RcRedisEndpoint *
tcp_endpoint(RcTestRedisServer *server)
{
	RcRedisEndpoint *ep = rc_redis_endpoint_new();

	g_free(ep->host);
	ep->host = g_strdup("127.0.0.1");
	ep->port = rc_test_redis_server_get_port(server);
	return ep;
}

static RcRedisConnection *
connect_ok(const RcRedisEndpoint *ep)
{
	g_autoptr(GError) error = NULL;
	RcRedisConnection *conn = rc_redis_connection_new(ep);

	g_assert_false(rc_redis_connection_is_connected(conn));
	connect_wait(conn, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(rc_redis_connection_is_connected(conn));
	return conn;
}

static RcRedisConnection *
connect_server(RcTestRedisServer *server)
{
	g_autoptr(RcRedisEndpoint) ep = tcp_endpoint(server);
	return connect_ok(ep);
}

/* connects and expects failure; returns the error */
static GError *
connect_fails(const RcRedisEndpoint *ep)
{
	g_autoptr(RcRedisConnection) conn = rc_redis_connection_new(ep);
	GError *error = NULL;

	g_assert_false(connect_wait(conn, NULL, &error));
	g_assert_nonnull(error);
	g_assert_false(rc_redis_connection_is_connected(conn));
	g_test_message("connect failed as expected: %s", error->message);
	return error;
}

typedef struct {
	guint count;
	GError *reason;
} ClosedWatch;

static void
on_closed(RcRedisConnection *conn, GError *reason, gpointer user_data)
{
	ClosedWatch *w = user_data;

	g_assert_nonnull(reason);
	/* the signal comes after the pending callbacks, and after the state changed */
	g_assert_false(rc_redis_connection_is_connected(conn));
	g_assert_cmpuint(rc_redis_connection_get_n_pending(conn), ==, 0);
	w->count++;
	g_clear_error(&w->reason);
	w->reason = g_error_copy(reason);
}

static gboolean
closed_seen(gpointer user_data)
{
	return ((ClosedWatch *)user_data)->count > 0;
}

static void
watch_closed(RcRedisConnection *conn, ClosedWatch *w)
{
	g_signal_connect(conn, "closed", G_CALLBACK(on_closed), w);
}

typedef struct {
	GPtrArray *pushes; /* redisReply copies */
	gboolean destroyed;
} Pushes;

static void
on_push(RcRedisConnection *conn, redisReply *push, gpointer user_data)
{
	Pushes *p = user_data;

	g_assert_cmpint(push->type, ==, REDIS_REPLY_ARRAY);
	g_ptr_array_add(p->pushes, reply_dup(push));
}

static void
on_pushes_destroyed(gpointer user_data)
{
	((Pushes *)user_data)->destroyed = TRUE;
}

static void
pushes_init(Pushes *p, RcRedisConnection *conn)
{
	p->pushes = g_ptr_array_new_with_free_func(freeReplyObject);
	p->destroyed = FALSE;
	rc_redis_connection_set_push_handler(conn, on_push, p, on_pushes_destroyed);
}

typedef struct {
	Pushes *p;
	guint n;
} PushCount;

static gboolean
pushes_reached(gpointer user_data)
{
	PushCount *c = user_data;
	return c->p->pushes->len >= c->n;
}

/* waits for @n pushes in all and checks the last one */
static void
wait_push(Pushes *p, guint n, const gchar *words)
{
	PushCount c = {p, n};
	g_autofree gchar *got = NULL;

	g_assert_true(rc_test_wait_until(pushes_reached, &c, WAIT_MS));
	g_assert_cmpuint(p->pushes->len, ==, n);
	got = reply_words(g_ptr_array_index(p->pushes, n - 1));
	g_assert_cmpstr(got, ==, words);
}

static gchar *
push_words(Pushes *p, guint i)
{
	return reply_words(g_ptr_array_index(p->pushes, i));
}

/* one field of INFO */
static gint64
info_field(RcRedisConnection *conn, const gchar *section, const gchar *field)
{
	g_autoptr(redisReply) reply = run(conn, "INFO", section, NULL);
	g_autofree gchar *key = g_strconcat("\n", field, ":", NULL);
	const gchar *p;

	g_assert_cmpint(reply->type, ==, REDIS_REPLY_STRING);
	p = strstr(reply->str, key);
	g_assert_nonnull(p);
	return g_ascii_strtoll(p + strlen(key), NULL, 10);
}

/* ------------------------------------------------------------- basics --- */

static void
test_ping(void)
{
	g_autoptr(RcTestRedisServer) server = rc_test_redis_server_new_argv(NULL);
	g_autoptr(RcRedisConnection) conn = connect_server(server);

	assert_status(run(conn, "PING", NULL), "PONG");
	assert_string(run(conn, "PING", "hello", NULL), "hello");
	assert_status(run(conn, "SET", "k", "v", NULL), "OK");
	assert_string(run(conn, "GET", "k", NULL), "v");
	g_assert_cmpuint(rc_redis_connection_get_n_pending(conn), ==, 0);
	g_assert_cmpuint(rc_redis_connection_get_endpoint(conn)->port,
			 ==,
			 rc_test_redis_server_get_port(server));
}

typedef struct {
	guint target;
	guint seen;
	guint out_of_order;
	guint errors;
} Counter;

static void
on_incr(RcRedisConnection *conn, redisReply *reply, const GError *error, gpointer user_data)
{
	Counter *c = user_data;

	if (reply == NULL || reply->type != REDIS_REPLY_INTEGER) {
		c->errors++;
		return;
	}
	c->seen++;
	if (reply->integer != (long long)c->seen)
		c->out_of_order++;
}

static gboolean
counter_reached(gpointer user_data)
{
	Counter *c = user_data;
	return c->seen + c->errors >= c->target;
}

static void
run_pipeline(RcRedisConnection *conn)
{
	Counter c = {.target = 10000};

	for (guint i = 0; i < 10000; i++)
		rc_redis_connection_command(conn, on_incr, &c, "INCR", "counter", NULL);
	g_assert_cmpuint(rc_redis_connection_get_n_pending(conn), ==, 10000);
	g_assert_true(rc_test_wait_until(counter_reached, &c, WAIT_MS));
	g_assert_cmpuint(c.errors, ==, 0);
	g_assert_cmpuint(c.out_of_order, ==, 0);
	g_assert_cmpuint(c.seen, ==, 10000);
	g_assert_cmpuint(rc_redis_connection_get_n_pending(conn), ==, 0);
	assert_string(run(conn, "GET", "counter", NULL), "10000");
}

static void
test_pipeline(void)
{
	g_autoptr(RcTestRedisServer) server = rc_test_redis_server_new_argv(NULL);
	g_autoptr(RcRedisConnection) conn = connect_server(server);
	Counter c = {.target = 200};
	gint64 before, after;

	run_pipeline(conn);

	/* 200 commands queued in one iteration reach Redis in one write: Redis
	 * reads them in one go (one read for them, one for the INFO after) */
	before = info_field(conn, "stats", "total_reads_processed");
	for (guint i = 0; i < 200; i++)
		rc_redis_connection_command(conn, on_incr, &c, "INCR", "batched", NULL);
	g_assert_true(rc_test_wait_until(counter_reached, &c, WAIT_MS));
	after = info_field(conn, "stats", "total_reads_processed");
	g_test_message("reads for 200 pipelined commands: %" G_GINT64_FORMAT, after - before);
	g_assert_cmpint(c.errors, ==, 0);
	g_assert_cmpint(after - before, <=, 3);
}

static void
test_binary_args(void)
{
	g_autoptr(RcTestRedisServer) server = rc_test_redis_server_new_argv(NULL);
	g_autoptr(RcRedisConnection) conn = connect_server(server);
	static const gchar key[] = {'k', '\0', 'e', 'y'};
	static const gchar value[] = {'\0', '\r', '\n', '\xff', '*', '$', '\0'};
	const gchar *set[] = {"SET", key, value};
	const gsize set_lens[] = {3, sizeof key, sizeof value};
	const gchar *get[] = {"GET", key};
	const gsize get_lens[] = {3, sizeof key};
	const gchar *strlen_argv[] = {"STRLEN", key};
	const gsize strlen_lens[] = {6, sizeof key};
	redisReply *reply;

	assert_status(run_argv(conn, 3, set, set_lens), "OK");
	reply = run_argv(conn, 2, get, get_lens);
	g_assert_cmpint(reply->type, ==, REDIS_REPLY_STRING);
	g_assert_cmpuint(reply->len, ==, sizeof value);
	g_assert_cmpmem(reply->str, reply->len, value, sizeof value);
	freeReplyObject(reply);
	assert_integer(run_argv(conn, 2, strlen_argv, strlen_lens), sizeof value);
	/* the key with its NUL is not the key cut at the NUL */
	reply = run(conn, "GET", "k", NULL);
	g_assert_cmpint(reply->type, ==, REDIS_REPLY_NIL);
	freeReplyObject(reply);
}

static void
test_error_replies(void)
{
	g_autoptr(RcTestRedisServer) server = rc_test_redis_server_new_argv(NULL);
	g_autoptr(RcRedisConnection) conn = connect_server(server);

	assert_error_reply(run(conn, "NOSUCHCOMMAND", "x", NULL), "ERR unknown command");
	assert_status(run(conn, "SET", "s", "abc", NULL), "OK");
	assert_error_reply(run(conn, "INCR", "s", NULL), "ERR value is not an integer");
	assert_error_reply(run(conn, "LPUSH", "s", "x", NULL), "WRONGTYPE");
	/* an error reply ends nothing */
	g_assert_true(rc_redis_connection_is_connected(conn));
	assert_status(run(conn, "PING", NULL), "PONG");
	/* fire and forget */
	rc_redis_connection_command(conn, NULL, NULL, "SET", "ff", "1", NULL);
	rc_redis_connection_command(conn, NULL, NULL, "NOSUCHCOMMAND", NULL);
	assert_string(run(conn, "GET", "ff", NULL), "1");
}

/* --------------------------------------------------------- handshake --- */

static void
test_auth_password(void)
{
	g_autoptr(RcTestRedisServer) server =
	    rc_test_redis_server_new("--requirepass", "S3cretPass", NULL);
	g_autoptr(RcRedisEndpoint) ep = tcp_endpoint(server);
	g_autoptr(RcRedisConnection) conn = NULL;
	g_autoptr(GError) error = NULL;
	Result early = {0};

	/* without the password Redis says NOAUTH, and the connect says so */
	error = connect_fails(ep);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
	g_assert_nonnull(strstr(error->message, "NOAUTH"));
	g_clear_error(&error);

	ep->password = g_strdup("S3cretPass");
	conn = rc_redis_connection_new(ep);
	/* a command issued before the connect finished waits for AUTH */
	rc_redis_connection_command(conn, on_result, &early, "SET", "early", "1", NULL);
	g_assert_cmpuint(rc_redis_connection_get_n_pending(conn), ==, 1);
	connect_wait(conn, NULL, &error);
	g_assert_no_error(error);
	wait_result(&early);
	g_assert_no_error(early.error);
	assert_status(g_steal_pointer(&early.reply), "OK");
	assert_status(run(conn, "PING", NULL), "PONG");
	assert_string(run(conn, "ACL", "WHOAMI", NULL), "default");
}

static void
test_auth_acl_user(void)
{
	g_autoptr(RcTestRedisServer) server = rc_test_redis_server_new(
	    "--user", "alice", "on", ">AlicePw1", "~*", "&*", "+@all", NULL);
	g_autoptr(RcRedisEndpoint) ep = tcp_endpoint(server);
	g_autoptr(RcRedisConnection) conn = NULL;
	g_autoptr(GError) error = NULL;

	ep->username = g_strdup("alice");
	ep->password = g_strdup("AlicePw1");
	conn = connect_ok(ep);
	assert_string(run(conn, "ACL", "WHOAMI", NULL), "alice");
	assert_status(run(conn, "SET", "a", "1", NULL), "OK");

	g_free(ep->password);
	ep->password = g_strdup("NotAlicePw7");
	error = connect_fails(ep);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
	g_assert_nonnull(strstr(error->message, "WRONGPASS"));
	g_assert_null(strstr(error->message, "NotAlicePw7"));
	g_assert_null(strstr(error->message, "AlicePw1"));
}

static void
test_auth_wrong_password(void)
{
	g_autoptr(RcTestRedisServer) server =
	    rc_test_redis_server_new("--requirepass", "S3cretPass", NULL);
	g_autoptr(RcRedisEndpoint) ep = tcp_endpoint(server);
	g_autoptr(RcRedisConnection) conn = NULL;
	g_autoptr(GError) error = NULL;
	ClosedWatch closed = {0};
	Result early = {0}, late = {0};

	ep->password = g_strdup("WrongPw9");
	conn = rc_redis_connection_new(ep);
	watch_closed(conn, &closed);
	rc_redis_connection_command(conn, on_result, &early, "SET", "never", "1", NULL);
	g_assert_false(connect_wait(conn, NULL, &error));
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "WRONGPASS"));
	g_assert_null(strstr(error->message, "WrongPw9"));
	g_assert_null(strstr(error->message, "S3cretPass"));
	/* the waiting command was never sent: it fails with the connect */
	wait_result(&early);
	g_assert_null(early.reply);
	g_assert_error(early.error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
	g_assert_false(rc_redis_connection_is_connected(conn));
	/* a connect that failed is no close */
	g_assert_cmpuint(closed.count, ==, 0);
	rc_redis_connection_command(conn, on_result, &late, "PING", NULL);
	wait_result(&late);
	g_assert_error(late.error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
	result_clear(&early);
	result_clear(&late);
}

static void
test_select(void)
{
	g_autoptr(RcTestRedisServer) server = rc_test_redis_server_new("--databases", "8", NULL);
	g_autoptr(RcRedisEndpoint) ep = tcp_endpoint(server);
	g_autoptr(RcRedisConnection) db0 = connect_ok(ep);
	g_autoptr(RcRedisConnection) db3 = NULL;
	g_autoptr(RcRedisConnection) db3b = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(redisReply) info = NULL;
	redisReply *reply;

	ep->db = 3;
	db3 = connect_ok(ep);
	info = run(db3, "CLIENT", "INFO", NULL);
	g_assert_cmpint(info->type, ==, REDIS_REPLY_STRING);
	g_assert_nonnull(strstr(info->str, " db=3 "));
	assert_status(run(db3, "SET", "where", "three", NULL), "OK");
	reply = run(db0, "GET", "where", NULL);
	g_assert_cmpint(reply->type, ==, REDIS_REPLY_NIL);
	freeReplyObject(reply);
	db3b = connect_ok(ep);
	assert_string(run(db3b, "GET", "where", NULL), "three");

	/* a database the server does not have fails the connect, in Redis' words */
	ep->db = 9;
	error = connect_fails(ep);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "SELECT"));
	g_assert_nonnull(strstr(error->message, "out of range"));
}

static void
test_unix_socket(void)
{
	g_autoptr(RcTestRedisServer) server =
	    rc_test_redis_server_new("--requirepass", "Unix%Pw", NULL);
	g_autofree gchar *url = g_strdup_printf("unix://%s?password=Unix%%25Pw&db=2",
						rc_test_redis_server_get_unix_path(server));
	g_autoptr(GError) error = NULL;
	g_autoptr(RcRedisEndpoint) ep = rc_redis_endpoint_parse(url, &error);
	g_autoptr(RcRedisConnection) conn = NULL;
	g_autoptr(redisReply) info = NULL;

	g_assert_no_error(error);
	conn = connect_ok(ep);
	assert_status(run(conn, "PING", NULL), "PONG");
	info = run(conn, "CLIENT", "INFO", NULL);
	/* a unix socket client has no TCP address; it is in db 2 */
	g_assert_nonnull(strstr(info->str, " db=2 "));
	g_assert_nonnull(strstr(info->str, "laddr="));
	g_assert_nonnull(strstr(info->str, "redis.sock"));
	run_pipeline(conn);
}

/* ------------------------------------------------------------ pub/sub --- */

static void
test_pubsub(void)
{
	g_autoptr(RcTestRedisServer) server = rc_test_redis_server_new_argv(NULL);
	g_autoptr(RcRedisConnection) sub = connect_server(server);
	g_autoptr(RcRedisConnection) pub = connect_server(server);
	Pushes p;
	g_autofree gchar *w0 = NULL, *w1 = NULL, *w5 = NULL, *w6 = NULL;

	pushes_init(&p, sub);
	/* two channels, two confirmations to the handler, one callback with the last */
	assert_words(run(sub, "SUBSCRIBE", "a", "b", NULL), "subscribe b 2");
	g_assert_cmpuint(p.pushes->len, ==, 2);
	w0 = push_words(&p, 0);
	w1 = push_words(&p, 1);
	g_assert_cmpstr(w0, ==, "subscribe a 1");
	g_assert_cmpstr(w1, ==, "subscribe b 2");

	assert_integer(run(pub, "PUBLISH", "a", "hello", NULL), 1);
	wait_push(&p, 3, "message a hello");
	assert_integer(run(pub, "PUBLISH", "b", "", NULL), 1);
	wait_push(&p, 4, "message b ");

	assert_words(run(sub, "PSUBSCRIBE", "p.*", NULL), "psubscribe p.* 3");
	assert_integer(run(pub, "PUBLISH", "p.x", "hi", NULL), 1);
	wait_push(&p, 6, "pmessage p.* p.x hi");

	/* without arguments: one confirmation per channel subscribed, patterns stay */
	{
		g_autoptr(redisReply) last = run(sub, "UNSUBSCRIBE", NULL);
		g_autofree gchar *words = reply_words(last);
		g_assert_true(g_str_has_prefix(words, "unsubscribe "));
		g_assert_true(g_str_has_suffix(words, " 1"));
	}
	g_assert_cmpuint(p.pushes->len, ==, 8);
	w5 = push_words(&p, 6);
	w6 = push_words(&p, 7);
	g_assert_true(g_str_has_prefix(w5, "unsubscribe "));
	g_assert_true(g_str_has_suffix(w5, " 2"));
	g_assert_true(g_str_has_suffix(w6, " 1"));
	assert_integer(run(pub, "PUBLISH", "a", "gone", NULL), 0);
	assert_words(run(sub, "PUNSUBSCRIBE", NULL), "punsubscribe p.* 0");
	g_assert_cmpuint(p.pushes->len, ==, 9);

	/* out of subscriber mode a reply that looks like a message is a reply */
	assert_integer(run(sub, "RPUSH", "l", "message", "x", "y", NULL), 3);
	assert_words(run(sub, "LRANGE", "l", "0", "-1", NULL), "message x y");
	g_assert_cmpuint(p.pushes->len, ==, 9);
	/* UNSUBSCRIBE with nothing subscribed: one confirmation with nil */
	assert_words(run(sub, "UNSUBSCRIBE", NULL), "unsubscribe (nil) 0");
	g_assert_cmpuint(p.pushes->len, ==, 10);

	/* a refused SUBSCRIBE completes at once */
	assert_error_reply(run(sub, "SUBSCRIBE", NULL), "ERR wrong number of arguments");
	g_ptr_array_unref(p.pushes);
}

static void
test_subscriber_ping(void)
{
	g_autoptr(RcTestRedisServer) server = rc_test_redis_server_new_argv(NULL);
	g_autoptr(RcRedisConnection) sub = connect_server(server);
	g_autoptr(RcRedisConnection) pub = connect_server(server);
	Pushes p;
	Result r1 = {0}, r2 = {0}, r3 = {0};

	pushes_init(&p, sub);
	assert_words(run(sub, "SUBSCRIBE", "a", NULL), "subscribe a 1");
	/* in subscriber mode PING answers an array, matched to the PING */
	assert_words(run(sub, "PING", NULL), "pong ");
	assert_words(run(sub, "PING", "hi", NULL), "pong hi");
	assert_error_reply(run(sub, "GET", "k", NULL), "ERR Can't execute 'get'");
	g_assert_cmpuint(p.pushes->len, ==, 1);

	/* pushes between pipelined PINGs go to the handler, the PINGs get theirs */
	rc_redis_connection_command(sub, on_result, &r1, "PING", "1", NULL);
	rc_redis_connection_command(pub, NULL, NULL, "PUBLISH", "a", "between", NULL);
	rc_redis_connection_command(sub, on_result, &r2, "PING", "2", NULL);
	rc_redis_connection_command(pub, NULL, NULL, "PUBLISH", "a", "more", NULL);
	rc_redis_connection_command(sub, on_result, &r3, "PING", "3", NULL);
	wait_result(&r1);
	wait_result(&r2);
	wait_result(&r3);
	assert_words(g_steal_pointer(&r1.reply), "pong 1");
	assert_words(g_steal_pointer(&r2.reply), "pong 2");
	assert_words(g_steal_pointer(&r3.reply), "pong 3");
	wait_push(&p, 3, "message a more");
	g_ptr_array_unref(p.pushes);
}

static void
test_sharded(void)
{
	g_autoptr(RcTestRedisServer) server = rc_test_redis_server_new_argv(NULL);
	g_autoptr(RcRedisConnection) sub = connect_server(server);
	g_autoptr(RcRedisConnection) pub = connect_server(server);
	Pushes p;
	redisReply *reply;

	pushes_init(&p, sub);
	assert_words(run(sub, "SSUBSCRIBE", "s1", "s2", NULL), "ssubscribe s2 2");
	g_assert_cmpuint(p.pushes->len, ==, 2);
	assert_integer(run(pub, "SPUBLISH", "s1", "m", NULL), 1);
	wait_push(&p, 3, "smessage s1 m");
	/* shard channels count apart from channels */
	assert_words(run(sub, "SUBSCRIBE", "c", NULL), "subscribe c 1");
	assert_words(run(sub, "SUNSUBSCRIBE", "s1", NULL), "sunsubscribe s1 1");
	assert_integer(run(pub, "SPUBLISH", "s1", "x", NULL), 0);
	assert_words(run(sub, "UNSUBSCRIBE", "c", NULL), "unsubscribe c 0");
	/* still in subscriber mode through s2 */
	assert_words(run(sub, "PING", NULL), "pong ");
	assert_words(run(sub, "SUNSUBSCRIBE", NULL), "sunsubscribe s2 0");
	g_assert_cmpuint(p.pushes->len, ==, 7);
	reply = run(sub, "GET", "nothing", NULL);
	g_assert_cmpint(reply->type, ==, REDIS_REPLY_NIL);
	freeReplyObject(reply);
	assert_status(run(sub, "PING", NULL), "PONG");
	g_ptr_array_unref(p.pushes);
}

static gboolean
cluster_ok(gpointer user_data)
{
	g_autoptr(redisReply) info = run(user_data, "CLUSTER", "INFO", NULL);
	return strstr(info->str, "cluster_state:ok") != NULL;
}

/* A one-node cluster: Redis refuses SSUBSCRIBE across slots, and when a slot
 * leaves the node it unsubscribes its shard channels by itself. */
static void
test_sharded_cluster(void)
{
	g_autoptr(RcTestRedisServer) server = rc_test_redis_server_new(
	    "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", NULL);
	g_autoptr(RcRedisConnection) admin = connect_server(server);
	g_autoptr(RcRedisConnection) sub = connect_server(server);
	g_autoptr(redisReply) slot = NULL;
	g_autofree gchar *slot_text = NULL;
	Pushes p;
	Result ping = {0}, delslots = {0};

	assert_status(run(admin, "CLUSTER", "ADDSLOTSRANGE", "0", "16383", NULL), "OK");
	g_assert_true(rc_test_wait_until(cluster_ok, admin, WAIT_MS));
	pushes_init(&p, sub);

	/* x and y hash to different slots */
	assert_error_reply(run(sub, "SSUBSCRIBE", "x", "y", NULL), "CROSSSLOT");
	g_assert_cmpuint(p.pushes->len, ==, 0);
	g_assert_cmpuint(rc_redis_connection_get_n_pending(sub), ==, 0);

	assert_words(run(sub, "SSUBSCRIBE", "{t}a", "{t}b", NULL), "ssubscribe {t}b 2");
	slot = run(admin, "CLUSTER", "KEYSLOT", "{t}a", NULL);
	slot_text = g_strdup_printf("%lld", slot->integer);
	/* a PING in flight while the unsolicited sunsubscribes arrive keeps its place */
	rc_redis_connection_command(sub, on_result, &ping, "PING", NULL);
	rc_redis_connection_command(
	    admin, on_result, &delslots, "CLUSTER", "DELSLOTS", slot_text, NULL);
	wait_result(&delslots);
	wait_result(&ping);
	g_assert_no_error(ping.error);
	if (ping.reply->type == REDIS_REPLY_STATUS)
		assert_status(g_steal_pointer(&ping.reply), "PONG");
	else
		assert_words(g_steal_pointer(&ping.reply), "pong ");
	assert_status(g_steal_pointer(&delslots.reply), "OK");
	{
		PushCount four = {&p, 4};
		g_autofree gchar *w2 = NULL, *w3 = NULL;

		g_assert_true(rc_test_wait_until(pushes_reached, &four, WAIT_MS));
		g_assert_cmpuint(p.pushes->len, ==, 4);
		/* one per shard channel of the slot, in Redis' order, the last with 0 left */
		w2 = push_words(&p, 2);
		w3 = push_words(&p, 3);
		g_assert_true(g_str_has_prefix(w2, "sunsubscribe {t}"));
		g_assert_true(g_str_has_suffix(w2, " 1"));
		g_assert_true(g_str_has_prefix(w3, "sunsubscribe {t}"));
		g_assert_true(g_str_has_suffix(w3, " 0"));
		g_assert_cmpstr(w2, !=, w3);
	}
	g_assert_cmpuint(rc_redis_connection_get_n_pending(sub), ==, 0);
	/* and the connection left subscriber mode with Redis */
	assert_status(run(sub, "PING", NULL), "PONG");
	/* the slot is nobody's now */
	assert_error_reply(run(sub, "SSUBSCRIBE", "{t}a", NULL), "CLUSTERDOWN");
	g_assert_cmpuint(p.pushes->len, ==, 4);
	g_ptr_array_unref(p.pushes);
}

/* ----------------------------------------------------------- timeouts --- */

static void
test_command_timeout(void)
{
	g_autoptr(RcTestRedisServer) server = rc_test_redis_server_new_argv(NULL);
	g_autoptr(RcRedisEndpoint) ep = tcp_endpoint(server);
	g_autoptr(RcRedisConnection) conn = NULL;
	g_autoptr(RcRedisConnection) again = NULL;
	ClosedWatch closed = {0};
	Result first = {0}, second = {0};
	gint64 start;

	ep->timeout_ms = 500;
	conn = connect_ok(ep);
	watch_closed(conn, &closed);
	/* idle, the timer is not armed: nothing times out */
	rc_test_sleep(800);
	g_assert_true(rc_redis_connection_is_connected(conn));
	assert_status(run(conn, "PING", NULL), "PONG");

	rc_test_redis_server_signal(server, SIGSTOP);
	start = g_get_monotonic_time();
	rc_redis_connection_command(conn, on_result, &first, "PING", NULL);
	rc_test_sleep(100);
	rc_redis_connection_command(conn, on_result, &second, "PING", NULL);
	wait_result(&first);
	g_assert_error(first.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
	g_test_message("timed out after %" G_GINT64_FORMAT " ms", (first.at - start) / 1000);
	g_assert_cmpint(first.at - start, >=, 500 * 1000);
	g_assert_cmpint(first.at - start, <=, (500 + 500) * 1000);
	/* every pending command fails with it, then ::closed */
	wait_result(&second);
	g_assert_error(second.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
	g_assert_cmpuint(closed.count, ==, 1);
	g_assert_error(closed.reason, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
	g_assert_false(rc_redis_connection_is_connected(conn));

	rc_test_redis_server_signal(server, SIGCONT);
	again = connect_ok(ep);
	assert_status(run(again, "PING", NULL), "PONG");
	g_assert_cmpuint(closed.count, ==, 1);
	result_clear(&first);
	result_clear(&second);
	g_clear_error(&closed.reason);
}

/* One round of @ctx without polling: the poll timeout its sources ask for. */
static gint
poll_timeout(GMainContext *ctx)
{
	GPollFD fds[32];
	gint priority = 0, timeout = 0, n;

	g_assert_true(g_main_context_acquire(ctx));
	g_main_context_prepare(ctx, &priority);
	n = g_main_context_query(ctx, priority, &timeout, fds, G_N_ELEMENTS(fds));
	g_assert_cmpint(n, <=, (gint)G_N_ELEMENTS(fds));
	if (g_main_context_check(ctx, priority, fds, n))
		g_main_context_dispatch(ctx);
	g_main_context_release(ctx);
	return timeout;
}

/* The connection lives on the thread-default context it was connected on,
 * and its timer wakes that context only while a command is pending. */
static void
test_timer_only_when_pending(void)
{
	g_autoptr(RcTestRedisServer) server = rc_test_redis_server_new_argv(NULL);
	g_autoptr(RcRedisEndpoint) ep = tcp_endpoint(server);
	g_autoptr(GMainContext) ctx = g_main_context_new();
	g_autoptr(RcRedisConnection) conn = NULL;
	gint64 deadline = g_get_monotonic_time() + WAIT_MS * 1000;
	ConnectWait w = {0};
	Result r = {0};
	gint timeout;

	ep->timeout_ms = 3000;
	g_main_context_push_thread_default(ctx);
	conn = rc_redis_connection_new(ep);
	rc_redis_connection_connect_async(conn, NULL, on_connected, &w);
	/* (the harness' waits iterate the global default context) */
	while (!w.done && g_get_monotonic_time() < deadline)
		g_main_context_iteration(ctx, TRUE);
	g_assert_true(w.ok);
	/* the global default context has nothing of the connection */
	g_assert_false(g_main_context_pending(NULL));
	g_assert_cmpint(poll_timeout(ctx), ==, -1);
	rc_redis_connection_command(conn, on_result, &r, "PING", NULL);
	timeout = poll_timeout(ctx);
	g_assert_cmpint(timeout, >, 0);
	g_assert_cmpint(timeout, <=, 3000);
	while (r.calls == 0 && g_get_monotonic_time() < deadline)
		g_main_context_iteration(ctx, TRUE);
	g_assert_cmpuint(r.calls, ==, 1);
	assert_status(g_steal_pointer(&r.reply), "PONG");
	g_assert_cmpint(poll_timeout(ctx), ==, -1);
	g_clear_object(&conn);
	g_main_context_pop_thread_default(ctx);
}

static void
test_connect_timeout(void)
{
	g_autoptr(RcTestRedisServer) server = rc_test_redis_server_new_argv(NULL);
	g_autoptr(RcRedisEndpoint) ep = tcp_endpoint(server);
	g_autoptr(GError) error = NULL;
	gint64 start;

	/* the kernel accepts the TCP connection, Redis never answers PING */
	rc_test_redis_server_signal(server, SIGSTOP);
	ep->timeout_ms = 400;
	start = g_get_monotonic_time();
	error = connect_fails(ep);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
	g_assert_cmpint(g_get_monotonic_time() - start, >=, 400 * 1000);
	g_assert_cmpint(g_get_monotonic_time() - start, <=, (400 + 500) * 1000);
	rc_test_redis_server_signal(server, SIGCONT);
}

static void
test_connect_cancel(void)
{
	g_autoptr(RcTestRedisServer) server = rc_test_redis_server_new_argv(NULL);
	g_autoptr(RcRedisEndpoint) ep = tcp_endpoint(server);
	g_autoptr(RcRedisConnection) conn = rc_redis_connection_new(ep);
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	ConnectWait w = {0};

	rc_test_redis_server_signal(server, SIGSTOP);
	rc_redis_connection_connect_async(conn, cancellable, on_connected, &w);
	rc_test_sleep(100);
	g_assert_false(w.done);
	g_cancellable_cancel(cancellable);
	g_assert_true(rc_test_wait_until(connect_done, &w, WAIT_MS));
	g_assert_false(w.ok);
	g_assert_error(w.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	g_clear_error(&w.error);
	rc_test_redis_server_signal(server, SIGCONT);
}

/* ------------------------------------------------------------ failure --- */

static void
test_connection_lost(void)
{
	g_autoptr(RcTestRedisServer) server = rc_test_redis_server_new_argv(NULL);
	g_autoptr(RcRedisConnection) conn = connect_server(server);
	ClosedWatch closed = {0};
	Result blocked = {0}, late = {0};

	watch_closed(conn, &closed);
	/* blocks until the server dies */
	rc_redis_connection_command(conn, on_result, &blocked, "BLPOP", "nothing", "0", NULL);
	rc_test_sleep(100);
	g_assert_cmpuint(blocked.calls, ==, 0);
	rc_test_redis_server_kill(server);
	wait_result(&blocked);
	g_assert_null(blocked.reply);
	g_assert_true(g_error_matches(blocked.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
		      g_error_matches(blocked.error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE));
	g_assert_cmpuint(closed.count, ==, 1);
	g_assert_cmpint(closed.reason->code, ==, blocked.error->code);
	g_assert_false(rc_redis_connection_is_connected(conn));

	/* later commands fail at once, but never inside the call itself */
	rc_redis_connection_command(conn, on_result, &late, "PING", NULL);
	g_assert_cmpuint(late.calls, ==, 0);
	wait_result(&late);
	g_assert_error(late.error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
	g_assert_cmpuint(closed.count, ==, 1);
	rc_redis_connection_close(conn);
	g_assert_cmpuint(closed.count, ==, 1);
	result_clear(&blocked);
	result_clear(&late);
	g_clear_error(&closed.reason);
}

typedef struct {
	Result results[3];
	Result after;
	RcRedisConnection *conn;
} CloseInside;

static void
on_close_inside(RcRedisConnection *conn, redisReply *reply, const GError *error, gpointer user_data)
{
	CloseInside *c = user_data;

	on_result(conn, reply, error, &c->results[0]);
	rc_redis_connection_close(conn);
	g_assert_false(rc_redis_connection_is_connected(conn));
	/* closing twice is harmless; a command now fails later */
	rc_redis_connection_close(conn);
	rc_redis_connection_command(conn, on_result, &c->after, "PING", NULL);
	g_assert_cmpuint(c->after.calls, ==, 0);
}

static void
test_close_in_callback(void)
{
	g_autoptr(RcTestRedisServer) server = rc_test_redis_server_new_argv(NULL);
	g_autoptr(RcRedisConnection) conn = connect_server(server);
	ClosedWatch closed = {0};
	CloseInside c = {0};

	watch_closed(conn, &closed);
	rc_redis_connection_command(conn, on_close_inside, &c, "PING", NULL);
	rc_redis_connection_command(conn, on_result, &c.results[1], "PING", NULL);
	rc_redis_connection_command(conn, on_result, &c.results[2], "BLPOP", "nothing", "0", NULL);
	wait_result(&c.results[0]);
	assert_status(g_steal_pointer(&c.results[0].reply), "PONG");
	/* closing fails the rest synchronously, in order, then emits ::closed */
	g_assert_cmpuint(c.results[1].calls, ==, 1);
	g_assert_cmpuint(c.results[2].calls, ==, 1);
	g_assert_error(c.results[1].error, G_IO_ERROR, G_IO_ERROR_CLOSED);
	g_assert_error(c.results[2].error, G_IO_ERROR, G_IO_ERROR_CLOSED);
	g_assert_cmpint(c.results[1].at, <=, c.results[2].at);
	g_assert_cmpuint(closed.count, ==, 1);
	g_assert_error(closed.reason, G_IO_ERROR, G_IO_ERROR_CLOSED);
	wait_result(&c.after);
	g_assert_error(c.after.error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
	for (guint i = 0; i < 3; i++)
		result_clear(&c.results[i]);
	result_clear(&c.after);
	g_clear_error(&closed.reason);
}

typedef struct {
	RcRedisConnection *conn;
	Result first;
} UnrefInside;

static void
on_unref_inside(RcRedisConnection *conn, redisReply *reply, const GError *error, gpointer user_data)
{
	UnrefInside *u = user_data;

	on_result(conn, reply, error, &u->first);
	/* the test's only reference */
	g_clear_object(&u->conn);
	/* still usable until the callback returns */
	g_assert_true(rc_redis_connection_is_connected(conn));
}

static void
test_unref_in_callback(void)
{
	g_autoptr(RcTestRedisServer) server = rc_test_redis_server_new_argv(NULL);
	UnrefInside u = {0};
	Result blocked = {0};
	ClosedWatch closed = {0};
	Pushes p;
	gpointer weak;

	u.conn = connect_server(server);
	weak = u.conn;
	g_object_add_weak_pointer(G_OBJECT(u.conn), &weak);
	watch_closed(u.conn, &closed);
	pushes_init(&p, u.conn);
	rc_redis_connection_command(u.conn, on_unref_inside, &u, "PING", NULL);
	rc_redis_connection_command(u.conn, on_result, &blocked, "BLPOP", "nothing", "0", NULL);
	wait_result(&u.first);
	assert_status(g_steal_pointer(&u.first.reply), "PONG");
	g_assert_null(u.conn);
	/* gone once the dispatch returned; what was pending failed with CLOSED */
	g_assert_null(weak);
	g_assert_cmpuint(blocked.calls, ==, 1);
	g_assert_error(blocked.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
	g_assert_true(p.destroyed);
	/* dropping it is not a ::closed */
	g_assert_cmpuint(closed.count, ==, 0);
	result_clear(&blocked);
	g_ptr_array_unref(p.pushes);
}

typedef struct {
	guint pushes;
	Result subscribe;
} PushClose;

static void
on_push_close(RcRedisConnection *conn, redisReply *push, gpointer user_data)
{
	PushClose *pc = user_data;

	pc->pushes++;
	/* the first of two confirmations: the SUBSCRIBE is still pending */
	rc_redis_connection_close(conn);
}

static void
test_close_in_push_handler(void)
{
	g_autoptr(RcTestRedisServer) server = rc_test_redis_server_new_argv(NULL);
	g_autoptr(RcRedisConnection) conn = connect_server(server);
	ClosedWatch closed = {0};
	PushClose pc = {0};

	watch_closed(conn, &closed);
	rc_redis_connection_set_push_handler(conn, on_push_close, &pc, NULL);
	rc_redis_connection_command(conn, on_result, &pc.subscribe, "SUBSCRIBE", "a", "b", NULL);
	wait_result(&pc.subscribe);
	g_assert_cmpuint(pc.pushes, ==, 1);
	g_assert_null(pc.subscribe.reply);
	g_assert_error(pc.subscribe.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
	g_assert_cmpuint(closed.count, ==, 1);
	result_clear(&pc.subscribe);
	g_clear_error(&closed.reason);
}

typedef struct {
	guint done;
	guint errors;
} Chain;

static void
on_chain(RcRedisConnection *conn, redisReply *reply, const GError *error, gpointer user_data)
{
	Chain *c = user_data;

	if (reply == NULL || reply->type != REDIS_REPLY_INTEGER ||
	    reply->integer != (long long)c->done + 1) {
		c->errors++;
		return;
	}
	/* each reply asks for the next: queued inside a dispatch, sent in the next prepare */
	if (++c->done < 100)
		rc_redis_connection_command(conn, on_chain, c, "INCR", "chain", NULL);
}

static gboolean
chain_done(gpointer user_data)
{
	Chain *c = user_data;
	return c->done >= 100 || c->errors > 0;
}

static void
test_command_from_callback(void)
{
	g_autoptr(RcTestRedisServer) server = rc_test_redis_server_new_argv(NULL);
	g_autoptr(RcRedisConnection) conn = connect_server(server);
	Chain c = {0};

	rc_redis_connection_command(conn, on_chain, &c, "INCR", "chain", NULL);
	g_assert_true(rc_test_wait_until(chain_done, &c, WAIT_MS));
	g_assert_cmpuint(c.errors, ==, 0);
	g_assert_cmpuint(c.done, ==, 100);
	assert_string(run(conn, "GET", "chain", NULL), "100");
}

static void
test_connect_refused(void)
{
	g_autoptr(RcRedisEndpoint) ep = rc_redis_endpoint_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *display = NULL;

	g_free(ep->host);
	ep->host = g_strdup("127.0.0.1");
	ep->port = rc_test_free_port();
	ep->password = g_strdup("TopS3cretPw");
	error = connect_fails(ep);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
	display = g_strdup_printf("redis://:***@127.0.0.1:%u", ep->port);
	g_assert_nonnull(strstr(error->message, display));
	g_assert_null(strstr(error->message, "TopS3cretPw"));
	g_assert_null(strchr(error->message, '\n'));
}

static void
test_close_unconnected(void)
{
	g_autoptr(RcRedisEndpoint) ep = rc_redis_endpoint_new();
	g_autoptr(RcRedisConnection) conn = rc_redis_connection_new(ep);
	Result early = {0}, late = {0};

	rc_redis_connection_command(conn, on_result, &early, "PING", NULL);
	rc_redis_connection_close(conn);
	g_assert_cmpuint(early.calls, ==, 1);
	g_assert_error(early.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
	rc_redis_connection_command(conn, on_result, &late, "PING", NULL);
	wait_result(&late);
	g_assert_error(late.error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
	result_clear(&early);
	result_clear(&late);
}

/* ---------------------------------------------------------------- TLS --- */

static RcTestTlsFiles *tls_files;

static RcTestTlsFiles *
get_tls_files(void)
{
	if (tls_files == NULL)
		tls_files = rc_test_tls_files_new();
	return tls_files;
}

static gboolean
skip_without_tls(void)
{
	if (rc_test_redis_server_has_tls())
		return FALSE;
	g_test_skip("this redis-server is built without TLS");
	return TRUE;
}

static RcRedisEndpoint *
tls_endpoint(RcTestRedisServer *server, const gchar *ca_file)
{
	RcRedisEndpoint *ep = tcp_endpoint(server);

	ep->port = rc_test_redis_server_get_tls_port(server);
	ep->tls = TRUE;
	ep->tls_ca_file = g_strdup(ca_file);
	ep->timeout_ms = rc_test_timeout(5000);
	return ep;
}

static void
test_tls(void)
{
	g_autoptr(RcTestRedisServer) server = NULL;
	g_autoptr(RcRedisEndpoint) ep = NULL;
	g_autoptr(RcRedisConnection) conn = NULL;
	g_autoptr(redisReply) big = NULL;
	g_autofree gchar *value = NULL;
	g_autoptr(redisReply) info = NULL;

	if (skip_without_tls())
		return;
	server = rc_test_redis_server_new_tls(get_tls_files(), FALSE);
	ep = tls_endpoint(server, get_tls_files()->ca_cert);
	conn = connect_ok(ep);
	assert_status(run(conn, "PING", NULL), "PONG");
	/* pipelined both ways through TLS records */
	run_pipeline(conn);
	/* a reply of many records: read until the TLS layer has nothing left */
	value = g_strnfill(3 * 1024 * 1024 + 7, 'v');
	assert_status(run(conn, "SET", "big", value, NULL), "OK");
	big = run(conn, "GET", "big", NULL);
	g_assert_cmpuint(big->len, ==, strlen(value));
	g_assert_cmpmem(big->str, big->len, value, strlen(value));
	/* it really is the TLS port */
	info = run(conn, "CLIENT", "INFO", NULL);
	g_assert_nonnull(strstr(info->str, " db=0 "));
	{
		g_autofree gchar *laddr = g_strdup_printf(
		    "laddr=127.0.0.1:%u", rc_test_redis_server_get_tls_port(server));
		g_assert_nonnull(strstr(info->str, laddr));
	}
}

static void
test_tls_untrusted(void)
{
	g_autoptr(RcTestRedisServer) server = NULL;
	g_autoptr(RcRedisEndpoint) ep = NULL;
	g_autoptr(GError) error = NULL;

	if (skip_without_tls())
		return;
	server = rc_test_redis_server_new_tls(get_tls_files(), FALSE);
	/* signed by a CA we do not trust */
	ep = tls_endpoint(server, get_tls_files()->other_ca_cert);
	error = connect_fails(ep);
	g_assert_error(error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
	g_assert_nonnull(strstr(error->message, "TLS handshake"));
	g_clear_error(&error);

	/* a CA file that is not one */
	g_free(ep->tls_ca_file);
	ep->tls_ca_file = g_build_filename(get_tls_files()->dir, "no-such-ca.pem", NULL);
	error = connect_fails(ep);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_FAILED);
	g_assert_nonnull(strstr(error->message, "CA file"));
	g_clear_error(&error);

	/* a plain client on the TLS port hears no Redis */
	g_clear_pointer(&ep->tls_ca_file, g_free);
	ep->tls = FALSE;
	ep->timeout_ms = 1000;
	error = connect_fails(ep);
	g_assert_nonnull(error);
}

static void
test_tls_handshake_timeout(void)
{
	g_autoptr(RcTestRedisServer) server = NULL;
	g_autoptr(RcRedisEndpoint) ep = NULL;
	g_autoptr(GError) error = NULL;
	gint64 start;

	if (skip_without_tls())
		return;
	server = rc_test_redis_server_new_tls(get_tls_files(), FALSE);
	ep = tls_endpoint(server, get_tls_files()->ca_cert);
	ep->timeout_ms = 400;
	/* TCP is accepted by the kernel; the handshake never gets an answer */
	rc_test_redis_server_signal(server, SIGSTOP);
	start = g_get_monotonic_time();
	error = connect_fails(ep);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
	g_assert_cmpint(g_get_monotonic_time() - start, <=, (400 + 500) * 1000);
	rc_test_redis_server_signal(server, SIGCONT);
	/* the handshake given up on ends quietly */
	rc_test_sleep(200);
}

static void
test_tls_client_cert(void)
{
	g_autoptr(RcTestRedisServer) server = NULL;
	g_autoptr(RcRedisEndpoint) ep = NULL;
	g_autoptr(RcRedisConnection) conn = NULL;
	g_autoptr(GError) error = NULL;

	if (skip_without_tls())
		return;
	server = rc_test_redis_server_new_tls(get_tls_files(), TRUE);
	ep = tls_endpoint(server, get_tls_files()->ca_cert);
	/* without a client certificate the server hangs up (TLS 1.3: after the
	 * handshake, which is why a connect always waits for a first answer) */
	error = connect_fails(ep);
	g_assert_false(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
	g_clear_error(&error);

	ep->tls_cert_file = g_strdup(get_tls_files()->client_cert);
	error = connect_fails(ep);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "both"));
	g_clear_error(&error);

	ep->tls_key_file = g_strdup(get_tls_files()->client_key);
	conn = connect_ok(ep);
	assert_status(run(conn, "PING", NULL), "PONG");
}

/* -------------------------------------------------- a malicious peer --- */

/* Accepts one connection on 127.0.0.1 and writes @script to it (then keeps
 * it open): what a broken or hostile server could send. */
typedef struct {
	GSocketListener *listener;
	guint16 port;
	GBytes *script;
	GSocketConnection *conn;
} Peer;

static void
on_peer_written(GObject *source, GAsyncResult *result, gpointer user_data)
{
	/* the client hangs up in the middle: that is the point */
	g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, NULL);
	g_bytes_unref(user_data);
}

static void
on_peer_accepted(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Peer *peer = user_data;
	g_autoptr(GError) error = NULL;

	peer->conn =
	    g_socket_listener_accept_finish(G_SOCKET_LISTENER(source), result, NULL, &error);
	if (peer->conn == NULL)
		return;
	g_output_stream_write_all_async(g_io_stream_get_output_stream(G_IO_STREAM(peer->conn)),
					g_bytes_get_data(peer->script, NULL),
					g_bytes_get_size(peer->script),
					G_PRIORITY_DEFAULT,
					NULL,
					on_peer_written,
					g_bytes_ref(peer->script));
}

static Peer *
peer_new(GBytes *script)
{
	Peer *peer = g_new0(Peer, 1);
	g_autoptr(GError) error = NULL;
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(loopback, 0);
	g_autoptr(GSocketAddress) effective = NULL;

	peer->listener = g_socket_listener_new();
	peer->script = g_bytes_ref(script);
	g_socket_listener_add_address(peer->listener,
				      addr,
				      G_SOCKET_TYPE_STREAM,
				      G_SOCKET_PROTOCOL_TCP,
				      NULL,
				      &effective,
				      &error);
	g_assert_no_error(error);
	peer->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(effective));
	g_socket_listener_accept_async(peer->listener, NULL, on_peer_accepted, peer);
	return peer;
}

static void
peer_free(Peer *peer)
{
	g_socket_listener_close(peer->listener);
	g_clear_object(&peer->listener);
	if (peer->conn != NULL)
		g_io_stream_close(G_IO_STREAM(peer->conn), NULL, NULL);
	g_clear_object(&peer->conn);
	g_bytes_unref(peer->script);
	g_free(peer);
}

/* Connects to a peer that answers the connect's PING with @script (after
 * "+PONG\r\n"); returns why the connection ended. */
static GError *
peer_fails_connection(GBytes *script, gsize max_reply)
{
	Peer *peer = peer_new(script);
	g_autoptr(RcRedisEndpoint) ep = rc_redis_endpoint_new();
	g_autoptr(RcRedisConnection) conn = NULL;
	ClosedWatch closed = {0};
	ConnectWait w = {0};

	g_free(ep->host);
	ep->host = g_strdup("127.0.0.1");
	ep->port = peer->port;
	conn = rc_redis_connection_new(ep);
	if (max_reply > 0)
		rc_redis_connection_set_max_reply_size(conn, max_reply);
	watch_closed(conn, &closed);
	rc_redis_connection_connect_async(conn, NULL, on_connected, &w);
	g_assert_true(rc_test_wait_until(connect_done, &w, WAIT_MS));
	g_assert_no_error(w.error);
	g_assert_true(rc_test_wait_until(closed_seen, &closed, WAIT_MS));
	g_assert_cmpuint(closed.count, ==, 1);
	g_assert_false(rc_redis_connection_is_connected(conn));
	g_test_message("closed: %s", closed.reason->message);
	peer_free(peer);
	return closed.reason;
}

static GBytes *
script_new(const gchar *prefix, gsize filler, gchar fill, const gchar *suffix)
{
	GByteArray *script = g_byte_array_new();

	g_byte_array_append(script, (const guint8 *)"+PONG\r\n", 7);
	g_byte_array_append(script, (const guint8 *)prefix, strlen(prefix));
	for (gsize i = 0; i < filler; i++)
		g_byte_array_append(script, (const guint8 *)&fill, 1);
	g_byte_array_append(script, (const guint8 *)suffix, strlen(suffix));
	return g_byte_array_free_to_bytes(script);
}

static void
test_hostile_replies(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) script = NULL;
	GString *nested = g_string_new(NULL);
	GString *many = g_string_new(NULL);

	/* an array header alone would make hiredis calloc 16 GiB */
	script = script_new("*2147483647\r\n", 0, 0, "");
	error = peer_fails_connection(script, 0);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "larger than 512.0"));
	g_clear_error(&error);
	g_clear_pointer(&script, g_bytes_unref);

	/* a bulk string that grows past the limit while it arrives */
	script = script_new("$10000000\r\n", 2 * 1024 * 1024, 'x', "");
	error = peer_fails_connection(script, 1024 * 1024);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "larger than 1.0"));
	g_clear_error(&error);
	g_clear_pointer(&script, g_bytes_unref);

	/* small on the wire, large in memory: 40 000 parsed elements */
	g_string_append(many, "*40000\r\n");
	for (guint i = 0; i < 40000; i++)
		g_string_append(many, ":1\r\n");
	script = script_new(many->str, 0, 0, "");
	error = peer_fails_connection(script, 1024 * 1024);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "larger than 1.0"));
	g_clear_error(&error);
	g_clear_pointer(&script, g_bytes_unref);

	/* nesting deeper than the parser goes */
	for (guint i = 0; i < 12; i++)
		g_string_append(nested, "*1\r\n");
	g_string_append(nested, ":1\r\n");
	script = script_new(nested->str, 0, 0, "");
	error = peer_fails_connection(script, 0);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "protocol error"));
	g_clear_error(&error);
	g_clear_pointer(&script, g_bytes_unref);

	/* not RESP at all */
	script = script_new("HTTP/1.1 400 Bad Request\r\n", 0, 0, "");
	error = peer_fails_connection(script, 0);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "protocol error"));
	g_clear_error(&error);
	g_clear_pointer(&script, g_bytes_unref);

	/* a reply nobody asked for */
	script = script_new("+OK\r\n", 0, 0, "");
	error = peer_fails_connection(script, 0);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "no command"));

	g_string_free(nested, TRUE);
	g_string_free(many, TRUE);
}

/* ------------------------------------------------------------- links --- */

static void
on_link_opened(RcRedisLink *link, gpointer user_data)
{
	guint *opened = user_data;
	(*opened)++;
}

static gboolean
link_open(gpointer user_data)
{
	return rc_redis_link_get_connection(RC_REDIS_LINK(user_data)) != NULL;
}

/* A link moved to another server while it is still connecting (a cluster's
 * layout changed) abandons that attempt. The attempt ends later, with the
 * connection's "closed" error rather than a cancellation; it must not take
 * the new attempt's connection with it. */
static void
test_link_moved_while_connecting(void)
{
	g_autoptr(RcTestRedisServer) stalled = rc_test_redis_server_new_argv(NULL);
	g_autoptr(RcTestRedisServer) live = rc_test_redis_server_new_argv(NULL);
	g_autoptr(RcRedisEndpoint) from = tcp_endpoint(stalled);
	g_autoptr(RcRedisEndpoint) to = tcp_endpoint(live);
	g_autoptr(RcRedisLink) link = rc_redis_link_new("test link", from);
	guint opened = 0;

	g_signal_connect(link, "opened", G_CALLBACK(on_link_opened), &opened);
	/* the kernel accepts, Redis never answers: the link stays connecting */
	rc_test_redis_server_signal(stalled, SIGSTOP);
	rc_redis_link_start(link);
	rc_test_sleep(100);
	g_assert_false(rc_redis_link_is_open(link));

	/* outside any dispatch, as a test body is, GTask hands the abandoned
	 * attempt's end to a later main-loop round */
	rc_redis_link_set_endpoint(link, to);
	rc_redis_link_reset(link);
	g_assert_true(rc_test_wait_until(link_open, link, WAIT_MS));
	/* a late end of the old attempt would have cleared the connection */
	rc_test_sleep(200);
	g_assert_nonnull(rc_redis_link_get_connection(link));
	g_assert_cmpuint(opened, ==, 1);
	g_assert_cmpuint(rc_redis_link_get_endpoint(link)->port, ==, rc_test_redis_server_get_port(live));
	assert_status(run(rc_redis_link_get_connection(link), "PING", NULL), "PONG");
	rc_redis_link_stop(link);
	rc_test_redis_server_signal(stalled, SIGCONT);
}

typedef struct {
	RcRedisLink *link;
	gint64 opened_at;
} LinkOpened;

static void
on_link_opened_at(RcRedisLink *link, gpointer user_data)
{
	LinkOpened *o = user_data;
	o->opened_at = g_get_monotonic_time();
}

static gboolean
links_open(gpointer user_data)
{
	LinkOpened *o = user_data;
	return o[0].opened_at != 0 && o[1].opened_at != 0;
}

/* Two links to one server that went away wait out backoffs of their own; once
 * one of them is back, the other follows at once rather than when its timer
 * fires (up to a second later, jittered). Three rounds: timers that happen to
 * fire together pass a round by luck, not three. */
static void
test_link_siblings_reconnect_together(void)
{
	g_autoptr(RcTestRedis) redis = rc_test_redis_new();
	g_autoptr(RcRedisEndpoint) ep = NULL;
	g_autoptr(RcRedisLink) a = NULL;
	g_autoptr(RcRedisLink) b = NULL;
	LinkOpened opened[2] = {{0}};

	if (rc_test_redis_is_cluster(redis)) {
		g_test_skip("one server");
		return;
	}
	ep = rc_redis_endpoint_new();
	g_free(ep->host);
	ep->host = g_strdup("127.0.0.1");
	ep->port = rc_test_redis_get_port(redis);
	a = rc_redis_link_new("link a", ep);
	b = rc_redis_link_new("link b", ep);
	opened[0].link = a;
	opened[1].link = b;
	g_signal_connect(a, "opened", G_CALLBACK(on_link_opened_at), &opened[0]);
	g_signal_connect(b, "opened", G_CALLBACK(on_link_opened_at), &opened[1]);
	rc_redis_link_start(a);
	rc_redis_link_start(b);
	g_assert_true(rc_test_wait_until(links_open, opened, WAIT_MS));

	for (guint round = 0; round < 3; round++) {
		gint64 gap;

		rc_test_redis_stop(redis);
		/* long enough for both backoffs to reach their longest */
		rc_test_sleep(2500);
		g_assert_false(rc_redis_link_is_open(a));
		g_assert_false(rc_redis_link_is_open(b));
		g_assert_cmpuint(rc_redis_link_get_attempts(a), >=, 4);
		g_assert_cmpuint(rc_redis_link_get_attempts(b), >=, 4);
		opened[0].opened_at = opened[1].opened_at = 0;
		rc_test_redis_start(redis);
		g_assert_true(rc_test_wait_until(links_open, opened, WAIT_MS));
		gap = ABS(opened[0].opened_at - opened[1].opened_at);
		g_test_message("round %u: links opened %" G_GINT64_FORMAT " ms apart", round, gap / 1000);
		g_assert_cmpint(gap, <, 150 * 1000);
	}
	rc_redis_link_stop(a);
	rc_redis_link_stop(b);
}

int
main(int argc, char **argv)
{
	int status;

	rc_test_init(&argc, &argv);
	g_test_add_func("/redis/connection/ping", test_ping);
	g_test_add_func("/redis/connection/pipeline", test_pipeline);
	g_test_add_func("/redis/connection/binary-args", test_binary_args);
	g_test_add_func("/redis/connection/error-replies", test_error_replies);
	g_test_add_func("/redis/connection/auth-password", test_auth_password);
	g_test_add_func("/redis/connection/auth-acl-user", test_auth_acl_user);
	g_test_add_func("/redis/connection/auth-wrong-password", test_auth_wrong_password);
	g_test_add_func("/redis/connection/select", test_select);
	g_test_add_func("/redis/connection/unix-socket", test_unix_socket);
	g_test_add_func("/redis/connection/pubsub", test_pubsub);
	g_test_add_func("/redis/connection/subscriber-ping", test_subscriber_ping);
	g_test_add_func("/redis/connection/sharded", test_sharded);
	g_test_add_func("/redis/connection/sharded-cluster", test_sharded_cluster);
	g_test_add_func("/redis/connection/command-timeout", test_command_timeout);
	g_test_add_func("/redis/connection/timer-only-when-pending", test_timer_only_when_pending);
	g_test_add_func("/redis/connection/connect-timeout", test_connect_timeout);
	g_test_add_func("/redis/connection/connect-cancel", test_connect_cancel);
	g_test_add_func("/redis/connection/connection-lost", test_connection_lost);
	g_test_add_func("/redis/connection/close-in-callback", test_close_in_callback);
	g_test_add_func("/redis/connection/unref-in-callback", test_unref_in_callback);
	g_test_add_func("/redis/connection/close-in-push-handler", test_close_in_push_handler);
	g_test_add_func("/redis/connection/command-from-callback", test_command_from_callback);
	g_test_add_func("/redis/connection/connect-refused", test_connect_refused);
	g_test_add_func("/redis/connection/close-unconnected", test_close_unconnected);
	g_test_add_func("/redis/connection/tls", test_tls);
	g_test_add_func("/redis/connection/tls-untrusted", test_tls_untrusted);
	g_test_add_func("/redis/connection/tls-handshake-timeout", test_tls_handshake_timeout);
	g_test_add_func("/redis/connection/tls-client-cert", test_tls_client_cert);
	g_test_add_func("/redis/connection/hostile-replies", test_hostile_replies);
	g_test_add_func("/redis/link/moved-while-connecting", test_link_moved_while_connecting);
	g_test_add_func("/redis/link/siblings-reconnect-together", test_link_siblings_reconnect_together);
	status = g_test_run();
	g_clear_pointer(&tls_files, rc_test_tls_files_free);
	return status;
}
