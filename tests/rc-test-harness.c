/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTestHarness"
#define _GNU_SOURCE /* memmem */

#include "rc-test-harness.h"
#include "rc-test-cluster.h"

#include <glib/gstdio.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define RC_TEST_START_TIMEOUT_MS 10000
#define RC_TEST_STOP_TIMEOUT_MS 10000
#define RC_TEST_CONNECT_TIMEOUT_MS 10000

static gdouble timeout_scale = 1.0;

static void G_GNUC_PRINTF(3, 4) fail_at(const gchar *file, gint line, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *msg = NULL;

	va_start(args, format);
	msg = g_strdup_vprintf(format, args);
	va_end(args);
	g_assertion_message(G_LOG_DOMAIN, file, line, "", msg);
}

#define fail(...) fail_at(__FILE__, __LINE__, __VA_ARGS__)

static void
drop_log(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer user_data)
{
}

void
rc_test_init(int *argc, char ***argv)
{
	const gchar *scale = g_getenv("RC_TEST_TIMEOUT_SCALE");

	g_test_init(argc, argv, NULL);
	/* GTest shows every g_debug() of GIO and libsoup by default: far too
	 * much for a test log; RC_TEST_DEBUG=1 brings them back */
	if (g_getenv("RC_TEST_DEBUG") == NULL) {
		const gchar *domains[] = {"GLib", "GLib-GIO", "GLib-Net", "libsoup", "Json"};
		for (guint i = 0; i < G_N_ELEMENTS(domains); i++)
			g_log_set_handler(domains[i], G_LOG_LEVEL_DEBUG, drop_log, NULL);
	}
	/* a peer closing under us must show up as EPIPE, not kill the test */
	signal(SIGPIPE, SIG_IGN);
	if (scale != NULL && g_ascii_strtod(scale, NULL) >= 1.0)
		timeout_scale = g_ascii_strtod(scale, NULL);
}

guint
rc_test_timeout(guint timeout_ms)
{
	return (guint)(timeout_ms * timeout_scale);
}

static gboolean
on_sleep_done(gpointer user_data)
{
	*(gboolean *)user_data = TRUE;
	return G_SOURCE_REMOVE;
}

void
rc_test_sleep(guint ms)
{
	gboolean done = FALSE;

	g_timeout_add(ms, on_sleep_done, &done);
	while (!done)
		g_main_context_iteration(NULL, TRUE);
}

static gboolean
on_poll_tick(gpointer user_data)
{
	return G_SOURCE_CONTINUE;
}

gboolean
rc_test_wait_until(RcTestPredicate pred, gpointer user_data, guint timeout_ms)
{
	gboolean timed_out = FALSE;
	gboolean ok = FALSE;
	guint id;
	guint tick;

	if (pred(user_data))
		return TRUE;
	id = g_timeout_add(rc_test_timeout(timeout_ms), on_sleep_done, &timed_out);
	/* predicates may watch other processes (Redis, /proc): wake up to re-check */
	tick = g_timeout_add(20, on_poll_tick, NULL);
	while (!timed_out) {
		g_main_context_iteration(NULL, TRUE);
		if (pred(user_data)) {
			ok = TRUE;
			break;
		}
	}
	g_source_remove(tick);
	if (!timed_out)
		g_source_remove(id);
	return ok || pred(user_data);
}

static void
remove_temp_file(gpointer data)
{
	g_unlink(data);
	g_free(data);
}

const gchar *
rc_test_write_temp_file(const gchar *name_template, const gchar *contents)
{
	g_autoptr(GError) error = NULL;
	gchar *path = NULL;
	gint fd;

	fd = g_file_open_tmp(name_template, &path, &error);
	g_assert_no_error(error);
	close(fd);
	g_file_set_contents(path, contents, -1, &error);
	g_assert_no_error(error);
	g_test_queue_destroy(remove_temp_file, path);
	return path;
}

guint16
rc_test_free_port(void)
{
	for (guint attempt = 0; attempt < 20; attempt++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GSocket) sock = NULL;
		g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
		g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
		g_autoptr(GSocketAddress) bound = NULL;
		guint16 port;

		sock = g_socket_new(
		    G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
		g_assert_no_error(error);
		if (!g_socket_bind(sock, any, FALSE, &error))
			continue;
		bound = g_socket_get_local_address(sock, &error);
		g_assert_no_error(error);
		port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
		if (port != 6379)
			return port;
	}
	fail("no free TCP port on 127.0.0.1");
	return 0;
}

typedef struct {
	pid_t parent;
	rlim_t nofile; /* 0: inherited */
} ChildSetup;

/* Children die with us, even when a failed assertion aborts the test. Runs in the
 * forked child: only async-signal-safe calls. */
static void
child_setup(gpointer user_data)
{
	const ChildSetup *setup = user_data;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != setup->parent)
		_exit(127);
	if (setup->nofile > 0) {
		/* the hard limit too: roomcastd raises its soft limit to the hard one */
		struct rlimit rl = {setup->nofile, setup->nofile};
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			_exit(126);
	}
}

static GSubprocessLauncher *
new_launcher_full(GSubprocessFlags flags, guint nofile)
{
	GSubprocessLauncher *launcher = g_subprocess_launcher_new(flags);
	ChildSetup *setup = g_new0(ChildSetup, 1);

	setup->parent = getpid();
	setup->nofile = nofile;
	g_subprocess_launcher_set_child_setup(launcher, child_setup, setup, g_free);
	return launcher;
}

static GSubprocessLauncher *
new_launcher(GSubprocessFlags flags)
{
	return new_launcher_full(flags, 0);
}

/* exit status, or 128+signal like a shell */
static gint
subprocess_status(GSubprocess *proc)
{
	if (g_subprocess_get_if_exited(proc))
		return g_subprocess_get_exit_status(proc);
	if (g_subprocess_get_if_signaled(proc))
		return 128 + g_subprocess_get_term_sig(proc);
	return -1;
}

/* ---------------------------------------------------------------- Redis --- */

struct _RcTestRedis {
	GSubprocess *proc;
	gboolean exited;
	guint16 port;
	gchar *url;
	RcTestCluster *cluster; /* the cluster backend, or NULL */
};

/* every live RcTestRedis with a cluster backend, whose URL rc_test_node_spawn() rewrites */
static GPtrArray *cluster_backends;

/* reaps the child so g_subprocess_get_identifier() turns NULL when it exits */
static void
on_redis_exited(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_subprocess_wait_finish(G_SUBPROCESS(source), res, NULL);
}

static gboolean
redis_ping(guint16 port)
{
	struct timeval tv = {0, 200000};
	redisContext *ctx = redisConnectWithTimeout("127.0.0.1", port, tv);
	redisReply *reply;
	gboolean ok = FALSE;

	if (ctx == NULL)
		return FALSE;
	if (ctx->err == 0) {
		reply = redisCommand(ctx, "PING");
		ok = reply != NULL && reply->type == REDIS_REPLY_STATUS &&
		     g_strcmp0(reply->str, "PONG") == 0;
		if (reply != NULL)
			freeReplyObject(reply);
	}
	redisFree(ctx);
	return ok;
}

static gboolean
redis_spawn(RcTestRedis *self, GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher =
	    new_launcher(G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
	g_autofree gchar *port = g_strdup_printf("%u", self->port);
	gint64 deadline;

	self->proc = g_subprocess_launcher_spawn(launcher,
						 error,
						 "redis-server",
						 "--port",
						 port,
						 "--bind",
						 "127.0.0.1",
						 "--save",
						 "",
						 "--appendonly",
						 "no",
						 NULL);
	if (self->proc == NULL)
		return FALSE;
	g_subprocess_wait_async(self->proc, NULL, on_redis_exited, NULL);
	deadline = g_get_monotonic_time() + rc_test_timeout(RC_TEST_START_TIMEOUT_MS) * 1000;
	while (g_get_monotonic_time() < deadline) {
		if (redis_ping(self->port))
			return TRUE;
		while (g_main_context_pending(NULL))
			g_main_context_iteration(NULL, FALSE);
		if (g_subprocess_get_identifier(self->proc) == NULL) {
			g_set_error(error,
				    G_IO_ERROR,
				    G_IO_ERROR_FAILED,
				    "redis-server exited at start (port %u)",
				    self->port);
			g_clear_object(&self->proc);
			return FALSE;
		}
		g_usleep(20000);
	}
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "redis-server does not answer PING");
	return FALSE;
}

gboolean
rc_test_redis_want_cluster(void)
{
	const gchar *backend = g_getenv("RC_TEST_REDIS");

	if (backend == NULL || backend[0] == '\0' || g_str_equal(backend, "single"))
		return FALSE;
	if (g_str_equal(backend, "cluster"))
		return TRUE;
	fail("RC_TEST_REDIS=%s: expected \"single\" or \"cluster\"", backend);
	return FALSE;
}

static RcTestRedis *
redis_new_single(void)
{
	RcTestRedis *self = g_new0(RcTestRedis, 1);
	g_autoptr(GError) error = NULL;

	/* another process may take the port between probing and binding: retry */
	for (guint attempt = 0; attempt < 5; attempt++) {
		g_clear_error(&error);
		self->port = rc_test_free_port();
		if (redis_spawn(self, &error))
			break;
	}
	g_assert_no_error(error);
	self->url = g_strdup_printf("redis://127.0.0.1:%u", self->port);
	return self;
}

RcTestRedis *
rc_test_redis_new_cluster(void)
{
	RcTestRedis *self = g_new0(RcTestRedis, 1);

	self->cluster = rc_test_cluster_new();
	self->port = rc_test_cluster_get_master_port(self->cluster, 0);
	/* the address of a master, so that it names a real Redis; nodes started
	 * with it get the seed list instead */
	self->url = g_strdup_printf("redis://127.0.0.1:%u", self->port);
	if (cluster_backends == NULL)
		cluster_backends = g_ptr_array_new();
	g_ptr_array_add(cluster_backends, self);
	g_test_message("Redis for this test: a cluster, %s", rc_test_cluster_get_seeds(self->cluster));
	return self;
}

RcTestRedis *
rc_test_redis_new(void)
{
	return rc_test_redis_want_cluster() ? rc_test_redis_new_cluster() : redis_new_single();
}

gboolean
rc_test_redis_is_cluster(RcTestRedis *self)
{
	return self->cluster != NULL;
}

RcTestCluster *
rc_test_redis_get_cluster(RcTestRedis *self)
{
	return self->cluster;
}

const gchar *
rc_test_redis_get_seeds(RcTestRedis *self)
{
	return self->cluster != NULL ? rc_test_cluster_get_seeds(self->cluster) : NULL;
}

gchar *
rc_test_redis_get_config_entry(RcTestRedis *self)
{
	if (self->cluster != NULL)
		return g_strdup_printf("cluster=%s", rc_test_cluster_get_seeds(self->cluster));
	return g_strdup_printf("url=%s", self->url);
}

guint16
rc_test_redis_get_port(RcTestRedis *self)
{
	if (self->cluster != NULL)
		return rc_test_cluster_get_master_port(self->cluster, 0);
	return self->port;
}

const gchar *
rc_test_redis_get_url(RcTestRedis *self)
{
	return self->url;
}

/* every node of the cluster */
static guint
cluster_ports(RcTestRedis *self, guint16 *ports)
{
	guint n = 0;

	for (guint i = 0; i < RC_TEST_CLUSTER_N_MASTERS; i++) {
		ports[n++] = rc_test_cluster_get_master_port(self->cluster, i);
		ports[n++] = rc_test_cluster_get_replica_port(self->cluster, i);
	}
	return n;
}

gboolean
rc_test_redis_is_running(RcTestRedis *self)
{
	if (self->cluster != NULL) {
		for (guint i = 0; i < RC_TEST_CLUSTER_N_MASTERS; i++) {
			guint16 port = rc_test_cluster_get_master_port(self->cluster, i);
			if (!rc_test_cluster_is_running(self->cluster, port))
				return FALSE;
		}
		return TRUE;
	}
	return self->proc != NULL && g_subprocess_get_identifier(self->proc) != NULL;
}

/* the whole cluster goes away at once, and comes back as it was (without its data) */
static void
cluster_stop_all(RcTestRedis *self)
{
	guint16 ports[2 * RC_TEST_CLUSTER_N_MASTERS];
	guint n = cluster_ports(self, ports);

	for (guint i = 0; i < n; i++) {
		if (rc_test_cluster_is_running(self->cluster, ports[i]))
			rc_test_cluster_kill_node(self->cluster, ports[i]);
	}
}

static void
cluster_start_all(RcTestRedis *self)
{
	guint16 ports[2 * RC_TEST_CLUSTER_N_MASTERS];
	guint16 stopped[2 * RC_TEST_CLUSTER_N_MASTERS];
	guint n = cluster_ports(self, ports);
	guint n_stopped = 0;

	for (guint i = 0; i < n; i++) {
		if (!rc_test_cluster_is_running(self->cluster, ports[i]))
			stopped[n_stopped++] = ports[i];
	}
	rc_test_cluster_restart_nodes(self->cluster, stopped, n_stopped);
}

static gboolean
subprocess_gone(gpointer user_data)
{
	return g_subprocess_get_identifier(G_SUBPROCESS(user_data)) == NULL;
}

static gint
subprocess_terminate(GSubprocess *proc, gint signum, guint timeout_ms)
{
	if (g_subprocess_get_identifier(proc) != NULL)
		g_subprocess_send_signal(proc, signum);
	if (!rc_test_wait_until(subprocess_gone, proc, timeout_ms)) {
		g_warning("pid %s did not exit after signal %d, killing it",
			  g_subprocess_get_identifier(proc),
			  signum);
		g_subprocess_force_exit(proc);
		rc_test_wait_until(subprocess_gone, proc, 5000);
	}
	/* the wait_async callback reaped it; the status is cached */
	g_subprocess_wait(proc, NULL, NULL);
	return subprocess_status(proc);
}

void
rc_test_redis_stop(RcTestRedis *self)
{
	if (self->cluster != NULL) {
		cluster_stop_all(self);
		return;
	}
	if (self->proc == NULL)
		return;
	subprocess_terminate(self->proc, SIGTERM, RC_TEST_STOP_TIMEOUT_MS);
	g_clear_object(&self->proc);
}

void
rc_test_redis_kill(RcTestRedis *self)
{
	if (self->cluster != NULL) {
		cluster_stop_all(self);
		return;
	}
	if (self->proc == NULL)
		return;
	subprocess_terminate(self->proc, SIGKILL, RC_TEST_STOP_TIMEOUT_MS);
	g_clear_object(&self->proc);
}

void
rc_test_redis_start(RcTestRedis *self)
{
	g_autoptr(GError) error = NULL;

	if (self->cluster != NULL) {
		cluster_start_all(self);
		return;
	}
	g_assert_null(self->proc);
	/* the old socket may linger briefly; redis uses SO_REUSEADDR, but retry anyway */
	for (guint attempt = 0; attempt < 10; attempt++) {
		g_clear_error(&error);
		if (redis_spawn(self, &error))
			return;
		rc_test_sleep(200);
	}
	g_assert_no_error(error);
}

static void
reply_flatten(redisReply *reply, GString *out)
{
	switch (reply->type) {
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
		g_string_append_len(out, reply->str, reply->len);
		break;
	case REDIS_REPLY_INTEGER:
		g_string_append_printf(out, "%lld", reply->integer);
		break;
	case REDIS_REPLY_ARRAY:
		for (gsize i = 0; i < reply->elements; i++) {
			if (i > 0)
				g_string_append_c(out, '\n');
			reply_flatten(reply->element[i], out);
		}
		break;
	default:
		break;
	}
}

/* One command over a fresh connection to @port, after ASKING when @asking;
 * NULL with @errstr when the connection fails or breaks. */
static redisReply *
port_command_argv(guint16 port, GPtrArray *args, gboolean asking, gchar **errstr)
{
	struct timeval tv = {5, 0};
	redisContext *ctx = redisConnectWithTimeout("127.0.0.1", port, tv);
	g_autofree gsize *lens = g_new0(gsize, args->len);
	redisReply *reply = NULL;

	if (ctx == NULL || ctx->err != 0) {
		*errstr = g_strdup_printf("cannot connect to redis on port %u: %s",
					  port,
					  ctx != NULL ? ctx->errstr : "out of memory");
		if (ctx != NULL)
			redisFree(ctx);
		return NULL;
	}
	redisSetTimeout(ctx, tv);
	if (asking) {
		reply = redisCommand(ctx, "ASKING");
		if (reply != NULL)
			freeReplyObject(reply);
	}
	for (guint i = 0; i < args->len; i++)
		lens[i] = strlen(args->pdata[i]);
	reply = redisCommandArgv(ctx, (int)args->len, (const char **)args->pdata, lens);
	if (reply == NULL)
		*errstr = g_strdup_printf("redis command %s on port %u failed: %s",
					  (gchar *)args->pdata[0],
					  port,
					  ctx->errstr);
	redisFree(ctx);
	return reply;
}

/* the flattened reply; fails the test on an error reply or none */
static gchar *
reply_take_flat(redisReply *reply, const gchar *errstr, GPtrArray *args, guint16 port)
{
	GString *out = g_string_new(NULL);

	if (reply == NULL)
		fail("%s", errstr);
	else if (reply->type == REDIS_REPLY_ERROR)
		fail("redis command %s on port %u: %s", (gchar *)args->pdata[0], port, reply->str);
	else
		reply_flatten(reply, out);
	if (reply != NULL)
		freeReplyObject(reply);
	return g_string_free(out, FALSE);
}

static gchar *
redis_command_argv_single(RcTestRedis *self, GPtrArray *args)
{
	g_autofree gchar *errstr = NULL;
	redisReply *reply = port_command_argv(self->port, args, FALSE, &errstr);

	return reply_take_flat(reply, errstr, args, self->port);
}

/* ---- a cluster behind the same calls ---- */

static int
compare_strv_items(const void *a, const void *b)
{
	return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}


static gboolean
arg_is(GPtrArray *args, guint index, const gchar *name)
{
	return index < args->len && g_ascii_strcasecmp(args->pdata[index], name) == 0;
}

static guint16
cluster_any_master(RcTestRedis *self)
{
	for (guint i = 0; i < RC_TEST_CLUSTER_N_MASTERS; i++) {
		guint16 port = rc_test_cluster_get_master_port(self->cluster, i);
		if (rc_test_cluster_is_running(self->cluster, port))
			return port;
	}
	fail("no master of the test cluster is running");
	return 0;
}

/* the master that serves @key's slot now */
static guint16
cluster_port_for_key(RcTestRedis *self, const gchar *key)
{
	g_autofree gchar *slot = rc_test_cluster_command(
	    self->cluster, cluster_any_master(self), "CLUSTER", "KEYSLOT", key, NULL);
	gint shard = rc_test_cluster_master_for_slot(self->cluster,
						     (guint16)g_ascii_strtoull(slot, NULL, 10));

	if (shard < 0)
		fail("no master of the test cluster serves the slot of %s", key);
	return rc_test_cluster_get_master_port(self->cluster, (guint)shard);
}

/* like redis-cli -c: asks a master, follows MOVED and ASK, waits out TRYAGAIN
 * and CLUSTERDOWN for a few seconds */
static gchar *
cluster_routed(RcTestRedis *self, GPtrArray *args, guint16 port)
{
	gboolean asking = FALSE;

	for (guint attempt = 0; attempt < 50; attempt++) {
		g_autofree gchar *errstr = NULL;
		redisReply *reply = port_command_argv(port, args, asking, &errstr);
		const gchar *colon;

		asking = FALSE;
		if (reply != NULL && reply->type == REDIS_REPLY_ERROR &&
		    (g_str_has_prefix(reply->str, "MOVED ") || g_str_has_prefix(reply->str, "ASK ")) &&
		    (colon = strrchr(reply->str, ':')) != NULL) {
			asking = g_str_has_prefix(reply->str, "ASK ");
			port = (guint16)g_ascii_strtoull(colon + 1, NULL, 10);
			freeReplyObject(reply);
			continue;
		}
		if (reply != NULL && reply->type == REDIS_REPLY_ERROR &&
		    (g_str_has_prefix(reply->str, "TRYAGAIN") ||
		     g_str_has_prefix(reply->str, "CLUSTERDOWN"))) {
			freeReplyObject(reply);
			rc_test_sleep(100);
			continue;
		}
		return reply_take_flat(reply, errstr, args, port);
	}
	fail("redis command %s: still redirected or refused after 50 attempts",
	     (gchar *)args->pdata[0]);
	return g_strdup("");
}

/* commands about a whole server (no key): every master runs them; integer
 * replies are added up, arrays joined, anything else is the first master's */
static gchar *
cluster_on_every_master(RcTestRedis *self, GPtrArray *args)
{
	GString *out = g_string_new(NULL);
	gboolean all_integers = TRUE;
	gboolean have_other = FALSE;
	long long sum = 0;

	for (guint i = 0; i < RC_TEST_CLUSTER_N_MASTERS; i++) {
		guint16 port = rc_test_cluster_get_master_port(self->cluster, i);
		g_autofree gchar *errstr = NULL;
		redisReply *reply;

		if (!rc_test_cluster_is_running(self->cluster, port))
			continue;
		reply = port_command_argv(port, args, FALSE, &errstr);
		if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
			g_free(reply_take_flat(reply, errstr, args, port)); /* fails the test */
			continue;
		}
		if (reply->type == REDIS_REPLY_INTEGER) {
			sum += reply->integer;
		} else if (reply->type == REDIS_REPLY_ARRAY) {
			all_integers = FALSE;
			if (reply->elements > 0 && out->len > 0)
				g_string_append_c(out, '\n');
			reply_flatten(reply, out);
		} else {
			all_integers = FALSE;
			if (!have_other)
				reply_flatten(reply, out);
			have_other = TRUE;
		}
		freeReplyObject(reply);
	}
	if (all_integers)
		g_string_printf(out, "%lld", sum);
	return g_string_free(out, FALSE);
}

/* Classic subscriptions are per cluster node and sharded ones per shard:
 * PUBSUB CHANNELS and NUMSUB count both kinds on every running node, the
 * SHARD variants the sharded ones, NUMPAT the patterns. */
static gchar *
cluster_pubsub(RcTestRedis *self, GPtrArray *args)
{
	gboolean shard_only = arg_is(args, 1, "SHARDCHANNELS") || arg_is(args, 1, "SHARDNUMSUB");
	gboolean numsub = arg_is(args, 1, "NUMSUB") || arg_is(args, 1, "SHARDNUMSUB");
	gboolean channels = arg_is(args, 1, "CHANNELS") || arg_is(args, 1, "SHARDCHANNELS");
	const gchar *kinds[2][2] = {{"CHANNELS", "SHARDCHANNELS"}, {"NUMSUB", "SHARDNUMSUB"}};
	guint16 ports[2 * RC_TEST_CLUSTER_N_MASTERS];
	guint n = cluster_ports(self, ports);
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GArray) counts = g_array_new(FALSE, TRUE, sizeof(gint64));
	GString *out = g_string_new(NULL);
	long long numpat = 0;

	if (!channels && !numsub && !arg_is(args, 1, "NUMPAT"))
		fail("PUBSUB %s: not supported on the test cluster",
		     args->len > 1 ? (gchar *)args->pdata[1] : "");
	g_array_set_size(counts, args->len);
	for (guint i = 0; i < n; i++) {
		if (!rc_test_cluster_is_running(self->cluster, ports[i]))
			continue;
		for (guint k = shard_only ? 1 : 0; k < 2; k++) {
			g_autoptr(GPtrArray) asked = g_ptr_array_new();
			g_autofree gchar *errstr = NULL;
			redisReply *reply;

			g_ptr_array_add(asked, "PUBSUB");
			g_ptr_array_add(asked, channels ? (gpointer)kinds[0][k]
					       : numsub ? (gpointer)kinds[1][k]
							: "NUMPAT");
			for (guint a = 2; a < args->len; a++)
				g_ptr_array_add(asked, args->pdata[a]);
			reply = port_command_argv(ports[i], asked, FALSE, &errstr);
			if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
				g_free(reply_take_flat(reply, errstr, asked, ports[i]));
				continue;
			}
			if (reply->type == REDIS_REPLY_INTEGER)
				numpat += reply->integer;
			for (gsize e = 0; reply->type == REDIS_REPLY_ARRAY && e < reply->elements;
			     e++) {
				redisReply *item = reply->element[e];
				if (channels && item->type == REDIS_REPLY_STRING)
					g_hash_table_add(seen, g_strdup(item->str));
				/* NUMSUB: channel, count, channel, count... in the order asked */
				if (numsub && e % 2 == 1 && item->type == REDIS_REPLY_INTEGER)
					g_array_index(counts, gint64, 2 + e / 2) += item->integer;
			}
			freeReplyObject(reply);
			if (!channels && !numsub)
				break;
		}
	}
	if (channels) {
		g_autofree gpointer *keys = g_hash_table_get_keys_as_array(seen, NULL);
		g_auto(GStrv) sorted = g_strdupv((gchar **)keys);
		qsort(sorted, g_strv_length(sorted), sizeof(gchar *), compare_strv_items);
		g_string_free(out, TRUE);
		return g_strjoinv("\n", sorted);
	}
	if (numsub) {
		for (guint a = 2; a < args->len; a++)
			g_string_append_printf(out,
					       "%s%s\n%" G_GINT64_FORMAT,
					       a > 2 ? "\n" : "",
					       (gchar *)args->pdata[a],
					       g_array_index(counts, gint64, a));
		return g_string_free(out, FALSE);
	}
	g_string_printf(out, "%lld", numpat);
	return g_string_free(out, FALSE);
}

static gchar *
redis_command_argv(RcTestRedis *self, GPtrArray *args)
{
	const gchar *whole_server[] = {"FLUSHALL",
				       "FLUSHDB",
				       "DBSIZE",
				       "KEYS",
				       "CLIENT",
				       "CONFIG",
				       "SCRIPT",
				       "FUNCTION"};

	if (self->cluster == NULL)
		return redis_command_argv_single(self, args);
	if (arg_is(args, 0, "PUBSUB"))
		return cluster_pubsub(self, args);
	for (guint i = 0; i < G_N_ELEMENTS(whole_server); i++) {
		if (arg_is(args, 0, whole_server[i]))
			return cluster_on_every_master(self, args);
	}
	/* a classic PUBLISH reaches the whole cluster, but counts the receivers
	 * of the node it was sent to: roomcast's nodes subscribe on the master of
	 * the channel's slot */
	if (arg_is(args, 0, "PUBLISH") && args->len > 1)
		return cluster_routed(self, args, cluster_port_for_key(self, args->pdata[1]));
	return cluster_routed(self, args, cluster_any_master(self));
}

gchar *
rc_test_redis_command(RcTestRedis *self, const gchar *first_arg, ...)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	va_list ap;

	va_start(ap, first_arg);
	for (const gchar *a = first_arg; a != NULL; a = va_arg(ap, const gchar *))
		g_ptr_array_add(args, (gpointer)a);
	va_end(ap);
	return redis_command_argv(self, args);
}

GStrv
rc_test_redis_pubsub_channels(RcTestRedis *self, const gchar *pattern)
{
	g_autofree gchar *flat = rc_test_redis_command(self, "PUBSUB", "CHANNELS", pattern, NULL);
	g_auto(GStrv) lines = g_strsplit(flat, "\n", -1);
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	GStrv result;

	for (guint i = 0; lines[i] != NULL; i++) {
		if (lines[i][0] != '\0')
			g_strv_builder_add(builder, lines[i]);
	}
	result = g_strv_builder_end(builder);
	qsort(result, g_strv_length(result), sizeof(gchar *), compare_strv_items);
	return result;
}

guint16
rc_test_redis_get_port_for_key(RcTestRedis *self, const gchar *key)
{
	return self->cluster != NULL ? cluster_port_for_key(self, key) : self->port;
}

static gchar *
redis_cli_argv(RcTestRedis *self, GPtrArray *args)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocessLauncher) launcher = new_launcher(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	guint16 port = self->port;
	gchar *out = NULL;

	/* on a cluster, the master of the first argument after the command: its key
	 * (and, for PUBLISH, where roomcast's nodes subscribe; see redis_command_argv()) */
	if (self->cluster != NULL)
		port = args->len > 1 ? cluster_port_for_key(self, args->pdata[1])
				     : cluster_any_master(self);
	g_ptr_array_add(argv, g_strdup("redis-cli"));
	/* follows MOVED and ASK on a cluster; changes nothing on one server */
	g_ptr_array_add(argv, g_strdup("-c"));
	g_ptr_array_add(argv, g_strdup("-h"));
	g_ptr_array_add(argv, g_strdup("127.0.0.1"));
	g_ptr_array_add(argv, g_strdup("-p"));
	g_ptr_array_add(argv, g_strdup_printf("%u", port));
	for (guint i = 0; i < args->len; i++)
		g_ptr_array_add(argv, g_strdup(args->pdata[i]));
	g_ptr_array_add(argv, NULL);
	proc = g_subprocess_launcher_spawnv(launcher, (const gchar *const *)argv->pdata, &error);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(proc, NULL, NULL, &out, NULL, &error);
	g_assert_no_error(error);
	if (!g_subprocess_get_successful(proc))
		fail("redis-cli %s failed: %s", (gchar *)args->pdata[0], out);
	return g_strstrip(out);
}

gchar *
rc_test_redis_cli(RcTestRedis *self, const gchar *first_arg, ...)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	va_list ap;

	va_start(ap, first_arg);
	for (const gchar *a = first_arg; a != NULL; a = va_arg(ap, const gchar *))
		g_ptr_array_add(args, (gpointer)a);
	va_end(ap);
	return redis_cli_argv(self, args);
}

gint
rc_test_redis_cli_publish(RcTestRedis *self, const gchar *channel, const gchar *payload)
{
	g_autofree gchar *out = rc_test_redis_cli(self, "PUBLISH", channel, payload, NULL);

	/* redis-cli prints "(integer) N" on a tty, plain "N" otherwise */
	return (gint)g_ascii_strtoll(
	    g_str_has_prefix(out, "(integer) ") ? out + 10 : out, NULL, 10);
}

void
rc_test_redis_free(RcTestRedis *self)
{
	if (self == NULL)
		return;
	if (self->cluster != NULL) {
		g_ptr_array_remove(cluster_backends, self);
		g_clear_pointer(&self->cluster, rc_test_cluster_free);
	}
	rc_test_redis_stop(self);
	g_free(self->url);
	g_free(self);
}

/* ------------------------------------------------------------ roomcastd --- */

struct _RcTestNode {
	GSubprocess *proc;
	GPid pid;
	GCancellable *cancellable;
	GPtrArray *out_lines;
	GPtrArray *err_lines;
	guint n_readers;
	gboolean exited;
	gint exit_status;
	guint16 port;
	gchar *base_url;
};

static void
node_clear(gpointer data)
{
	RcTestNode *self = data;

	g_clear_object(&self->proc);
	g_clear_object(&self->cancellable);
	g_ptr_array_unref(self->out_lines);
	g_ptr_array_unref(self->err_lines);
	g_free(self->base_url);
}

static RcTestNode *
node_ref(RcTestNode *self)
{
	return g_rc_box_acquire(self);
}

static void
node_unref(RcTestNode *self)
{
	g_rc_box_release_full(self, node_clear);
}

typedef struct {
	RcTestNode *node;
	gboolean is_stderr;
} NodeReader;

static void node_read_next(NodeReader *reader, GDataInputStream *stream);

/* "roomcastd: listening on http://ADDR:PORT/" */
static void
node_parse_listening(RcTestNode *self, const gchar *line)
{
	const gchar *url = strstr(line, "listening on ");
	const gchar *colon;
	g_autofree gchar *base = NULL;

	if (url == NULL || self->base_url != NULL)
		return;
	url += strlen("listening on ");
	base = g_strdup(url);
	g_strchomp(base);
	if (g_str_has_suffix(base, "/"))
		base[strlen(base) - 1] = '\0';
	colon = strrchr(base, ':');
	if (colon == NULL)
		return;
	self->port = (guint16)g_ascii_strtoull(colon + 1, NULL, 10);
	self->base_url = g_steal_pointer(&base);
}

static void
on_node_line(GObject *source, GAsyncResult *res, gpointer user_data)
{
	NodeReader *reader = user_data;
	RcTestNode *self = reader->node;
	g_autoptr(GError) error = NULL;
	gsize len = 0;
	gchar *line = g_data_input_stream_read_line_finish_utf8(
	    G_DATA_INPUT_STREAM(source), res, &len, &error);

	if (line == NULL) {
		/* EOF, or cancelled by rc_test_node_free() */
		self->n_readers--;
		node_unref(self);
		g_free(reader);
		return;
	}
	if (reader->is_stderr) {
		const gchar *quiet = g_getenv("RC_TEST_QUIET");
		if (quiet == NULL || quiet[0] == '\0' || g_strcmp0(quiet, "0") == 0)
			g_printerr("[roomcastd %d] %s\n", (gint)self->pid, line);
		g_ptr_array_add(self->err_lines, line);
	} else {
		/* GLib writes debug lines to stdout: RC_TEST_DEBUG=1 shows them too */
		if (g_getenv("RC_TEST_DEBUG") != NULL)
			g_printerr("[roomcastd %d] %s\n", (gint)self->pid, line);
		node_parse_listening(self, line);
		g_ptr_array_add(self->out_lines, line);
	}
	node_read_next(reader, G_DATA_INPUT_STREAM(source));
}

static void
node_read_next(NodeReader *reader, GDataInputStream *stream)
{
	g_data_input_stream_read_line_async(
	    stream, G_PRIORITY_DEFAULT, reader->node->cancellable, on_node_line, reader);
}

static void
node_start_reader(RcTestNode *self, GInputStream *pipe, gboolean is_stderr)
{
	NodeReader *reader = g_new0(NodeReader, 1);
	g_autoptr(GDataInputStream) stream = g_data_input_stream_new(pipe);

	reader->node = node_ref(self);
	reader->is_stderr = is_stderr;
	self->n_readers++;
	/* the pending read keeps the stream alive */
	node_read_next(reader, stream);
}

static void
on_node_exited(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcTestNode *self = user_data;

	g_subprocess_wait_finish(G_SUBPROCESS(source), res, NULL);
	self->exit_status = subprocess_status(G_SUBPROCESS(source));
	self->exited = TRUE;
	node_unref(self);
}

static guint next_nofile_limit;
static GPtrArray *next_env; /* "NAME", "VALUE", ... */

void
rc_test_node_set_next_nofile_limit(guint limit)
{
	next_nofile_limit = limit;
}

void
rc_test_node_set_next_env(const gchar *variable, const gchar *value)
{
	if (next_env == NULL)
		next_env = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(next_env, g_strdup(variable));
	g_ptr_array_add(next_env, g_strdup(value));
}

/* the seed list of the cluster backend whose URL is @url, or NULL */
static const gchar *
cluster_seeds_for_url(const gchar *url)
{
	for (guint i = 0; cluster_backends != NULL && i < cluster_backends->len; i++) {
		RcTestRedis *redis = g_ptr_array_index(cluster_backends, i);
		if (g_str_equal(redis->url, url))
			return rc_test_cluster_get_seeds(redis->cluster);
	}
	return NULL;
}

RcTestNode *
rc_test_node_spawn(const gchar *const *args)
{
	RcTestNode *self = g_rc_box_new0(RcTestNode);
	g_autoptr(GSubprocessLauncher) launcher = new_launcher_full(
	    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, next_nofile_limit);
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	const gchar *daemon = g_getenv("ROOMCASTD");
	const gchar *ident;

	next_nofile_limit = 0; /* for this spawn only */
	if (daemon == NULL)
		fail("ROOMCASTD is not set: run the tests through `meson test`");
	/* `meson test --setup valgrind` runs every daemon under memcheck */
	if (g_getenv("RC_TEST_DAEMON_WRAPPER") != NULL) {
		g_auto(GStrv) wrapper = NULL;
		if (!g_shell_parse_argv(g_getenv("RC_TEST_DAEMON_WRAPPER"), NULL, &wrapper, &error))
			fail("RC_TEST_DAEMON_WRAPPER: %s", error->message);
		for (guint i = 0; wrapper[i] != NULL; i++)
			g_ptr_array_add(argv, g_steal_pointer(&wrapper[i]));
	}
	g_ptr_array_add(argv, g_strdup(daemon));
	for (guint i = 0; args != NULL && args[i] != NULL; i++) {
		const gchar *seeds = NULL;

		/* --redis URL of a cluster backend: its seed list */
		if (g_str_equal(args[i], "--redis") && args[i + 1] != NULL &&
		    (seeds = cluster_seeds_for_url(args[i + 1])) != NULL) {
			g_ptr_array_add(argv, g_strdup("--redis-cluster"));
			g_ptr_array_add(argv, g_strdup(seeds));
			i++;
		} else if (g_str_has_prefix(args[i], "--redis=") &&
			   (seeds = cluster_seeds_for_url(args[i] + strlen("--redis="))) != NULL) {
			g_ptr_array_add(argv, g_strconcat("--redis-cluster=", seeds, NULL));
		} else {
			g_ptr_array_add(argv, g_strdup(args[i]));
		}
	}
	g_ptr_array_add(argv, NULL);

	/* English log lines whatever the machine's locale */
	g_subprocess_launcher_setenv(launcher, "LANGUAGE", "C", TRUE);
	g_subprocess_launcher_setenv(launcher, "LC_ALL", "C.UTF-8", TRUE);
	for (guint i = 0; next_env != NULL && i + 1 < next_env->len; i += 2)
		g_subprocess_launcher_setenv(
		    launcher, next_env->pdata[i], next_env->pdata[i + 1], TRUE);
	g_clear_pointer(&next_env, g_ptr_array_unref);
	self->cancellable = g_cancellable_new();
	self->out_lines = g_ptr_array_new_with_free_func(g_free);
	self->err_lines = g_ptr_array_new_with_free_func(g_free);
	self->exit_status = -1;
	self->proc =
	    g_subprocess_launcher_spawnv(launcher, (const gchar *const *)argv->pdata, &error);
	g_assert_no_error(error);
	/* NULL when the child already exited and was reaped (e.g. a bad flag) */
	ident = g_subprocess_get_identifier(self->proc);
	self->pid = ident != NULL ? (GPid)g_ascii_strtoll(ident, NULL, 10) : 0;
	node_start_reader(self, g_subprocess_get_stdout_pipe(self->proc), FALSE);
	node_start_reader(self, g_subprocess_get_stderr_pipe(self->proc), TRUE);
	g_subprocess_wait_async(self->proc, NULL, on_node_exited, node_ref(self));
	return self;
}

static gboolean
node_listening_or_exited(gpointer user_data)
{
	RcTestNode *self = user_data;
	return self->base_url != NULL || self->exited;
}

gboolean
rc_test_node_wait_listening(RcTestNode *self, guint timeout_ms, GError **error)
{
	rc_test_wait_until(node_listening_or_exited, self, timeout_ms);
	if (self->base_url != NULL)
		return TRUE;
	if (self->exited) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_FAILED,
			    "roomcastd exited with status %d before listening",
			    self->exit_status);
		return FALSE;
	}
	g_set_error(error,
		    G_IO_ERROR,
		    G_IO_ERROR_TIMED_OUT,
		    "roomcastd printed no “listening on” line within %u ms",
		    timeout_ms);
	return FALSE;
}

RcTestNode *
rc_test_node_new(const gchar *first_arg, ...)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	RcTestNode *self;
	va_list ap;

	va_start(ap, first_arg);
	for (const gchar *a = first_arg; a != NULL; a = va_arg(ap, const gchar *))
		g_ptr_array_add(args, (gpointer)a);
	va_end(ap);
	g_ptr_array_add(args, NULL);
	self = rc_test_node_spawn((const gchar *const *)args->pdata);
	if (!rc_test_node_wait_listening(self, RC_TEST_START_TIMEOUT_MS, &error))
		fail("starting roomcastd: %s", error->message);
	return self;
}

GPid
rc_test_node_get_pid(RcTestNode *self)
{
	return self->pid;
}

guint16
rc_test_node_get_port(RcTestNode *self)
{
	return self->port;
}

const gchar *
rc_test_node_get_base_url(RcTestNode *self)
{
	return self->base_url;
}

gchar *
rc_test_node_get_ws_url(RcTestNode *self, const gchar *query)
{
	gboolean tls;

	g_assert_nonnull(self->base_url);
	tls = g_str_has_prefix(self->base_url, "https://");
	g_assert_true(tls || g_str_has_prefix(self->base_url, "http://"));
	return g_strdup_printf("%s://%s/ws%s%s",
			       tls ? "wss" : "ws",
			       self->base_url + strlen(tls ? "https://" : "http://"),
			       query != NULL ? "?" : "",
			       query != NULL ? query : "");
}

GPtrArray *
rc_test_node_get_stderr_lines(RcTestNode *self)
{
	return self->err_lines;
}

GPtrArray *
rc_test_node_get_stdout_lines(RcTestNode *self)
{
	return self->out_lines;
}

typedef struct {
	RcTestNode *node;
	const gchar *substring;
	const gchar *found;
} StderrSearch;

static gboolean
stderr_has_line(gpointer user_data)
{
	StderrSearch *search = user_data;

	for (guint i = 0; i < search->node->err_lines->len; i++) {
		const gchar *line = search->node->err_lines->pdata[i];
		if (strstr(line, search->substring) != NULL) {
			search->found = line;
			return TRUE;
		}
	}
	return FALSE;
}

const gchar *
rc_test_node_wait_stderr(RcTestNode *self, const gchar *substring, guint timeout_ms)
{
	StderrSearch search = {self, substring, NULL};

	rc_test_wait_until(stderr_has_line, &search, timeout_ms);
	return search.found;
}

void
rc_test_node_signal(RcTestNode *self, gint signum)
{
	g_assert_false(self->exited);
	g_subprocess_send_signal(self->proc, signum);
}

static gboolean
node_exited(gpointer user_data)
{
	return ((RcTestNode *)user_data)->exited;
}

static gboolean
node_exited_and_drained(gpointer user_data)
{
	RcTestNode *self = user_data;
	return self->exited && self->n_readers == 0;
}

gint
rc_test_node_wait_exit(RcTestNode *self, guint timeout_ms)
{
	if (!rc_test_wait_until(node_exited, self, timeout_ms))
		return -1;
	/* let the last stderr lines in */
	rc_test_wait_until(node_exited_and_drained, self, 1000);
	return self->exit_status;
}

gboolean
rc_test_node_is_running(RcTestNode *self)
{
	return !self->exited;
}

gint
rc_test_node_stop(RcTestNode *self)
{
	gint status;

	if (self->exited)
		return self->exit_status;
	g_subprocess_send_signal(self->proc, SIGTERM);
	status = rc_test_node_wait_exit(self, RC_TEST_STOP_TIMEOUT_MS);
	if (status < 0) {
		g_warning("roomcastd %d ignored SIGTERM, killing it", (gint)self->pid);
		g_subprocess_force_exit(self->proc);
		rc_test_wait_until(node_exited, self, 5000);
		status = self->exit_status;
		/* a node that does not stop on SIGTERM is a failure in itself */
		fail("roomcastd %d did not exit within %u ms of SIGTERM",
		     (gint)self->pid,
		     rc_test_timeout(RC_TEST_STOP_TIMEOUT_MS));
	}
	return status;
}

/* a "Name:   N kB" line of /proc/PID/status, 0 if unknown */
static guint64
node_status_kb(RcTestNode *self, const gchar *field)
{
	g_autofree gchar *path = g_strdup_printf("/proc/%d/status", (gint)self->pid);
	g_autofree gchar *contents = NULL;
	const gchar *line;

	if (!g_file_get_contents(path, &contents, NULL, NULL))
		return 0;
	line = strstr(contents, field);
	if (line == NULL)
		return 0;
	return g_ascii_strtoull(line + strlen(field), NULL, 10);
}

guint64
rc_test_node_get_rss_kb(RcTestNode *self)
{
	return node_status_kb(self, "VmRSS:");
}

guint64
rc_test_node_get_peak_rss_kb(RcTestNode *self)
{
	return node_status_kb(self, "VmHWM:");
}

gint
rc_test_node_count_fds(RcTestNode *self)
{
	g_autofree gchar *path = g_strdup_printf("/proc/%d/fd", (gint)self->pid);
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	gint n = 0;

	if (dir == NULL)
		return -1;
	while (g_dir_read_name(dir) != NULL)
		n++;
	return n;
}

guint
rc_test_count_tcp_sockets(guint16 local_port, guint state)
{
	const gchar *tables[] = {"/proc/net/tcp", "/proc/net/tcp6"};
	guint n = 0;

	for (guint t = 0; t < G_N_ELEMENTS(tables); t++) {
		g_autofree gchar *contents = NULL;
		g_auto(GStrv) lines = NULL;

		if (!g_file_get_contents(tables[t], &contents, NULL, NULL))
			continue;
		lines = g_strsplit(contents, "\n", -1);
		/* "  sl  local_address rem_address   st ...": ADDR:PORT in hex, state in hex */
		for (guint i = 1; lines[i] != NULL; i++) {
			g_auto(GStrv) fields = g_strsplit_set(g_strstrip(lines[i]), " ", -1);
			g_autoptr(GPtrArray) words = g_ptr_array_new();
			const gchar *colon;

			for (guint j = 0; fields[j] != NULL; j++) {
				if (fields[j][0] != '\0')
					g_ptr_array_add(words, fields[j]);
			}
			if (words->len < 4)
				continue;
			colon = strrchr(g_ptr_array_index(words, 1), ':');
			if (colon == NULL || g_ascii_strtoull(colon + 1, NULL, 16) != local_port)
				continue;
			if (g_ascii_strtoull(g_ptr_array_index(words, 3), NULL, 16) == state)
				n++;
		}
	}
	return n;
}

void
rc_test_node_free(RcTestNode *self)
{
	if (self == NULL)
		return;
	if (!self->exited && rc_test_node_stop(self) == RC_TEST_WRAPPER_ERROR_EXIT &&
	    g_getenv("RC_TEST_DAEMON_WRAPPER") != NULL)
		fail("roomcastd %d: the wrapper (valgrind) reported errors or leaks, see the log",
		     (gint)self->pid);
	g_cancellable_cancel(self->cancellable);
	/* let the cancelled reads return their refs, so nothing leaks */
	rc_test_wait_until(node_exited_and_drained, self, 2000);
	node_unref(self);
}

/* ----------------------------------------------------------------- HTTP --- */

static gboolean
node_redis_connected(gpointer user_data)
{
	g_autoptr(RcTestHttpReply) reply = rc_test_http_get(user_data, "/healthz");
	g_autoptr(JsonObject) body = rc_test_json_parse_object(reply->body);

	return reply->status == 200 &&
	       g_strcmp0(rc_test_json_get_string(body, "redis"), "connected") == 0;
}

void
rc_test_node_wait_redis_connected(RcTestNode *self, guint timeout_ms)
{
	if (!rc_test_wait_until(node_redis_connected, self, timeout_ms))
		fail("roomcastd %d: /healthz does not say \"redis\":\"connected\" after %u ms",
		     (gint)self->pid,
		     rc_test_timeout(timeout_ms));
}

static SoupSession *
test_session(void)
{
	static SoupSession *session;

	if (session == NULL)
		session = soup_session_new_with_options("timeout", 10, "idle-timeout", 0, NULL);
	return session;
}

void
rc_test_http_reply_free(RcTestHttpReply *reply)
{
	if (reply == NULL)
		return;
	g_free(reply->body);
	g_free(reply->content_type);
	g_free(reply);
}

typedef struct {
	gboolean done;
	GBytes *bytes;
	GError *error;
} HttpCall;

static void
on_http_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	HttpCall *call = user_data;

	call->bytes = soup_session_send_and_read_finish(SOUP_SESSION(source), res, &call->error);
	call->done = TRUE;
}

static gboolean
http_call_done(gpointer user_data)
{
	return ((HttpCall *)user_data)->done;
}

static RcTestHttpReply *
http_run(SoupMessage *msg)
{
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	RcTestHttpReply *reply = g_new0(RcTestHttpReply, 1);
	HttpCall call = {0};
	const gchar *ctype;

	soup_session_send_and_read_async(
	    test_session(), msg, G_PRIORITY_DEFAULT, cancellable, on_http_done, &call);
	if (!rc_test_wait_until(http_call_done, &call, RC_TEST_CONNECT_TIMEOUT_MS)) {
		g_cancellable_cancel(cancellable);
		while (!call.done)
			g_main_context_iteration(NULL, TRUE);
	}
	if (call.error != NULL) {
		g_test_message("HTTP %s %s failed: %s",
			       soup_message_get_method(msg),
			       g_uri_get_path(soup_message_get_uri(msg)),
			       call.error->message);
		g_error_free(call.error);
	} else {
		reply->status = soup_message_get_status(msg);
	}
	if (call.bytes != NULL) {
		reply->body =
		    g_strndup(g_bytes_get_data(call.bytes, NULL), g_bytes_get_size(call.bytes));
		g_bytes_unref(call.bytes);
	} else {
		reply->body = g_strdup("");
	}
	ctype = soup_message_headers_get_content_type(soup_message_get_response_headers(msg), NULL);
	reply->content_type = g_strdup(ctype);
	return reply;
}

RcTestHttpReply *
rc_test_http_get(RcTestNode *node, const gchar *path)
{
	g_autofree gchar *url = g_strconcat(rc_test_node_get_base_url(node), path, NULL);
	g_autoptr(SoupMessage) msg = soup_message_new("GET", url);

	g_assert_nonnull(msg);
	return http_run(msg);
}

RcTestHttpReply *
rc_test_http_post(RcTestNode *node,
		  const gchar *path,
		  const gchar *content_type,
		  const gchar *body,
		  gsize body_len,
		  const gchar *const *headers)
{
	g_autofree gchar *url = g_strconcat(rc_test_node_get_base_url(node), path, NULL);
	g_autoptr(SoupMessage) msg = soup_message_new("POST", url);
	g_autoptr(GBytes) bytes = g_bytes_new(body, body_len);

	g_assert_nonnull(msg);
	soup_message_set_request_body_from_bytes(
	    msg, content_type != NULL ? content_type : "application/json", bytes);
	for (guint i = 0; headers != NULL && headers[i] != NULL && headers[i + 1] != NULL; i += 2)
		soup_message_headers_replace(
		    soup_message_get_request_headers(msg), headers[i], headers[i + 1]);
	return http_run(msg);
}

JsonObject *
rc_test_http_reply_json(RcTestHttpReply *reply)
{
	JsonObject *object = rc_test_json_parse_object(reply->body);

	if (object == NULL)
		fail("HTTP reply (status %u) is not a JSON object: %s", reply->status, reply->body);
	return object;
}

gboolean
rc_test_metrics_try_value(const gchar *exposition, const gchar *sample, gdouble *value)
{
	g_auto(GStrv) lines = g_strsplit(exposition, "\n", -1);
	gsize len = strlen(sample);

	for (guint i = 0; lines[i] != NULL; i++) {
		const gchar *line = lines[i];
		gchar *end = NULL;
		gdouble v;

		if (line[0] == '#' || strncmp(line, sample, len) != 0 || line[len] != ' ')
			continue;
		v = g_ascii_strtod(line + len + 1, &end);
		if (end == line + len + 1)
			return FALSE;
		if (value != NULL)
			*value = v;
		return TRUE;
	}
	return FALSE;
}

gdouble
rc_test_metrics_value(const gchar *exposition, const gchar *sample)
{
	gdouble value = 0;

	if (!rc_test_metrics_try_value(exposition, sample, &value))
		fail("metrics have no numeric sample “%s”:\n%s", sample, exposition);
	return value;
}

/* ---------------------------------------------------------------- JSON --- */

JsonObject *
rc_test_json_parse_object(const gchar *text)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonNode *root;

	if (!json_parser_load_from_data(parser, text, -1, NULL))
		return NULL;
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		return NULL;
	return json_object_ref(json_node_get_object(root));
}

gchar *
rc_test_json_to_string(JsonObject *object)
{
	g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);

	json_node_set_object(node, object);
	return json_to_string(node, FALSE);
}

const gchar *
rc_test_json_get_string(JsonObject *object, const gchar *name)
{
	JsonNode *member;

	if (object == NULL)
		return NULL;
	member = json_object_get_member(object, name);
	if (member == NULL || json_node_get_value_type(member) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(member);
}

/* ------------------------------------------------------------ WebSocket --- */

struct _RcTestWs {
	SoupSession *session;
	SoupWebsocketConnection *conn;
	GQueue frames;
	JsonObject *hello;
	gboolean closed;
	gushort close_code;
	guint next_ref;
};

static void
on_ws_message(SoupWebsocketConnection *conn, gint type, GBytes *message, gpointer user_data)
{
	RcTestWs *self = user_data;
	JsonObject *frame;
	gsize len = 0;
	const gchar *data = g_bytes_get_data(message, &len);

	if (type == SOUP_WEBSOCKET_DATA_TEXT) {
		g_autofree gchar *text = g_strndup(data, len);
		frame = rc_test_json_parse_object(text);
		if (frame == NULL) {
			frame = json_object_new();
			json_object_set_string_member(frame, "type", "<unparsable>");
			json_object_set_string_member(frame, "raw", text);
		}
	} else {
		frame = json_object_new();
		json_object_set_string_member(frame, "type", "<binary>");
		json_object_set_int_member(frame, "size", (gint64)len);
	}
	g_queue_push_tail(&self->frames, frame);
}

static void
on_ws_closed(SoupWebsocketConnection *conn, gpointer user_data)
{
	RcTestWs *self = user_data;

	self->closed = TRUE;
	self->close_code = soup_websocket_connection_get_close_code(conn);
}

typedef struct {
	gboolean done;
	SoupWebsocketConnection *conn;
	GError *error;
} WsConnect;

static void
on_ws_connected(GObject *source, GAsyncResult *res, gpointer user_data)
{
	WsConnect *call = user_data;

	call->conn = soup_session_websocket_connect_finish(SOUP_SESSION(source), res, &call->error);
	call->done = TRUE;
}

static gboolean
ws_connect_done(gpointer user_data)
{
	return ((WsConnect *)user_data)->done;
}

RcTestWs *
rc_test_ws_try_connect(const gchar *url,
		       const gchar *origin,
		       const gchar *const *headers,
		       guint *http_status,
		       GError **error)
{
	return rc_test_ws_try_connect_tls(url, origin, headers, NULL, http_status, error);
}

RcTestWs *
rc_test_ws_try_connect_tls(const gchar *url,
			   const gchar *origin,
			   const gchar *const *headers,
			   GTlsDatabase *tls_database,
			   guint *http_status,
			   GError **error)
{
	g_autoptr(SoupSession) session = soup_session_new_with_options("timeout", 10, NULL);
	g_autoptr(SoupMessage) msg = soup_message_new("GET", url);
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	WsConnect call = {0};
	RcTestWs *self;

	if (http_status != NULL)
		*http_status = 0;
	if (tls_database != NULL)
		soup_session_set_tls_database(session, tls_database);
	if (msg == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "bad URL %s", url);
		return NULL;
	}
	for (guint i = 0; headers != NULL && headers[i] != NULL && headers[i + 1] != NULL; i += 2)
		soup_message_headers_replace(
		    soup_message_get_request_headers(msg), headers[i], headers[i + 1]);
	soup_session_websocket_connect_async(
	    session, msg, origin, NULL, G_PRIORITY_DEFAULT, cancellable, on_ws_connected, &call);
	if (!rc_test_wait_until(ws_connect_done, &call, RC_TEST_CONNECT_TIMEOUT_MS)) {
		g_cancellable_cancel(cancellable);
		while (!call.done)
			g_main_context_iteration(NULL, TRUE);
	}
	if (http_status != NULL)
		*http_status = soup_message_get_status(msg);
	if (call.conn == NULL) {
		g_propagate_error(error, call.error);
		return NULL;
	}
	self = g_new0(RcTestWs, 1);
	self->session = g_steal_pointer(&session);
	self->conn = call.conn;
	g_queue_init(&self->frames);
	/* the server enforces its own limits; the test client accepts anything */
	soup_websocket_connection_set_max_incoming_payload_size(self->conn, 64 * 1024 * 1024);
	g_signal_connect(self->conn, "message", G_CALLBACK(on_ws_message), self);
	g_signal_connect(self->conn, "closed", G_CALLBACK(on_ws_closed), self);
	return self;
}

RcTestWs *
rc_test_ws_new_tls(RcTestNode *node, const gchar *query, const gchar *ca_file)
{
	g_autofree gchar *url = rc_test_node_get_ws_url(node, query);
	g_autoptr(GError) error = NULL;
	g_autoptr(GTlsDatabase) db = g_tls_file_database_new(ca_file, &error);
	guint status = 0;
	RcTestWs *self;
	g_autoptr(JsonObject) hello = NULL;

	g_assert_no_error(error);
	self = rc_test_ws_try_connect_tls(url, NULL, NULL, db, &status, &error);
	if (self == NULL) {
		fail("WebSocket upgrade to %s refused (HTTP %u): %s", url, status, error->message);
		return NULL;
	}
	hello = rc_test_ws_expect(self, "hello", 5000);
	return self;
}

RcTestWs *
rc_test_ws_new(RcTestNode *node, const gchar *query)
{
	g_autofree gchar *url = rc_test_node_get_ws_url(node, query);
	g_autoptr(GError) error = NULL;
	guint status = 0;
	RcTestWs *self = rc_test_ws_try_connect(url, NULL, NULL, &status, &error);
	g_autoptr(JsonObject) hello = NULL;

	if (self == NULL) {
		fail("WebSocket upgrade to %s refused (HTTP %u): %s", url, status, error->message);
		return NULL;
	}
	hello = rc_test_ws_expect(self, "hello", 5000);
	return self;
}

JsonObject *
rc_test_ws_get_hello(RcTestWs *self)
{
	return self->hello;
}

const gchar *
rc_test_ws_get_client_id(RcTestWs *self)
{
	return rc_test_json_get_string(self->hello, "client");
}

const gchar *
rc_test_ws_get_sender(RcTestWs *self)
{
	return rc_test_json_get_string(self->hello, "sender");
}

SoupWebsocketConnection *
rc_test_ws_get_connection(RcTestWs *self)
{
	return self->conn;
}

void
rc_test_ws_send_text(RcTestWs *self, const gchar *text)
{
	g_assert_cmpint(
	    soup_websocket_connection_get_state(self->conn), ==, SOUP_WEBSOCKET_STATE_OPEN);
	soup_websocket_connection_send_text(self->conn, text);
}

void
rc_test_ws_send_printf(RcTestWs *self, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *text = NULL;

	va_start(args, format);
	text = g_strdup_vprintf(format, args);
	va_end(args);
	rc_test_ws_send_text(self, text);
}

void
rc_test_ws_send_json(RcTestWs *self, JsonNode *node)
{
	g_autofree gchar *text = json_to_string(node, FALSE);
	rc_test_ws_send_text(self, text);
}

void
rc_test_ws_send_binary(RcTestWs *self, gconstpointer data, gsize len)
{
	g_assert_cmpint(
	    soup_websocket_connection_get_state(self->conn), ==, SOUP_WEBSOCKET_STATE_OPEN);
	soup_websocket_connection_send_binary(self->conn, data, len);
}

guint
rc_test_ws_get_n_queued(RcTestWs *self)
{
	return self->frames.length;
}

static gboolean
ws_has_frame_or_closed(gpointer user_data)
{
	RcTestWs *self = user_data;
	return self->frames.length > 0 || self->closed;
}

JsonObject *
rc_test_ws_try_next(RcTestWs *self, guint timeout_ms)
{
	rc_test_wait_until(ws_has_frame_or_closed, self, timeout_ms);
	return g_queue_pop_head(&self->frames);
}

static gchar *
frame_to_string(JsonObject *frame)
{
	return frame != NULL ? rc_test_json_to_string(frame) : g_strdup("(none)");
}

JsonObject *
rc_test_ws_expect_at(
    RcTestWs *self, const gchar *type, guint timeout_ms, const gchar *file, gint line)
{
	JsonObject *frame = rc_test_ws_try_next(self, timeout_ms);
	g_autofree gchar *text = NULL;

	if (frame == NULL) {
		fail_at(file,
			line,
			"expected a “%s” frame, got %s within %u ms",
			type,
			self->closed ? "a close" : "nothing",
			rc_test_timeout(timeout_ms));
		return NULL;
	}
	if (g_strcmp0(rc_test_json_get_string(frame, "type"), type) != 0) {
		text = frame_to_string(frame);
		fail_at(file, line, "expected a “%s” frame, got %s", type, text);
	}
	if (g_strcmp0(type, "hello") == 0 && self->hello == NULL)
		self->hello = json_object_ref(frame);
	return frame;
}

typedef struct {
	RcTestWs *ws;
	const gchar *type;
	const gchar *ref;
	GList *found;
} WsSearch;

static gboolean
ws_search(gpointer user_data)
{
	WsSearch *search = user_data;

	for (GList *l = search->ws->frames.head; l != NULL; l = l->next) {
		if (search->type != NULL &&
		    g_strcmp0(rc_test_json_get_string(l->data, "type"), search->type) != 0)
			continue;
		if (search->ref != NULL &&
		    g_strcmp0(rc_test_json_get_string(l->data, "ref"), search->ref) != 0)
			continue;
		search->found = l;
		return TRUE;
	}
	return search->ws->closed;
}

JsonObject *
rc_test_ws_take_at(RcTestWs *self,
		   const gchar *type,
		   const gchar *ref,
		   guint timeout_ms,
		   const gchar *file,
		   gint line)
{
	WsSearch search = {self, type, ref, NULL};
	JsonObject *frame;

	rc_test_wait_until(ws_search, &search, timeout_ms);
	if (search.found == NULL) {
		GString *queued = g_string_new(NULL);
		for (GList *l = self->frames.head; l != NULL; l = l->next) {
			g_autofree gchar *text = frame_to_string(l->data);
			g_string_append_printf(queued, "\n  %s", text);
		}
		fail_at(file,
			line,
			"no “%s” frame with ref “%s” within %u ms%s; queued:%s",
			type != NULL ? type : "(any)",
			ref != NULL ? ref : "(any)",
			rc_test_timeout(timeout_ms),
			self->closed ? " (connection closed)" : "",
			queued->str);
		g_string_free(queued, TRUE);
		return NULL;
	}
	frame = search.found->data;
	g_queue_delete_link(&self->frames, search.found);
	return frame;
}

JsonObject *
rc_test_ws_expect_error_at(RcTestWs *self,
			   const gchar *code,
			   const gchar *ref,
			   guint timeout_ms,
			   const gchar *file,
			   gint line)
{
	JsonObject *frame = rc_test_ws_expect_at(self, "error", timeout_ms, file, line);
	g_autofree gchar *text = frame_to_string(frame);
	const gchar *message = rc_test_json_get_string(frame, "message");

	if (g_strcmp0(rc_test_json_get_string(frame, "code"), code) != 0)
		fail_at(file, line, "expected error code “%s”, got %s", code, text);
	if (ref != NULL && g_strcmp0(rc_test_json_get_string(frame, "ref"), ref) != 0)
		fail_at(file, line, "expected error with ref “%s”, got %s", ref, text);
	if (message == NULL || message[0] == '\0')
		fail_at(file, line, "error frame without a human readable message: %s", text);
	return frame;
}

void
rc_test_ws_expect_silence_at(RcTestWs *self, guint ms, const gchar *file, gint line)
{
	JsonObject *frame = NULL;

	if (self->frames.length == 0)
		rc_test_sleep(ms);
	frame = g_queue_peek_head(&self->frames);
	if (frame != NULL) {
		g_autofree gchar *text = frame_to_string(frame);
		fail_at(file, line, "expected no frame, got %s", text);
	}
}

static gboolean
ws_closed(gpointer user_data)
{
	return ((RcTestWs *)user_data)->closed;
}

gushort
rc_test_ws_wait_closed_at(RcTestWs *self, guint timeout_ms, const gchar *file, gint line)
{
	if (!rc_test_wait_until(ws_closed, self, timeout_ms))
		fail_at(file,
			line,
			"the connection is still open after %u ms",
			rc_test_timeout(timeout_ms));
	return self->close_code;
}

void
rc_test_ws_join_at(
    RcTestWs *self, const gchar *ns, const gchar *room_code, const gchar *file, gint line)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(JsonObject) reply = NULL;
	g_autofree gchar *ref = g_strdup_printf("j%u", ++self->next_ref);

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, "join");
	json_builder_set_member_name(b, "namespace");
	json_builder_add_string_value(b, ns);
	json_builder_set_member_name(b, "roomCode");
	json_builder_add_string_value(b, room_code);
	json_builder_set_member_name(b, "ref");
	json_builder_add_string_value(b, ref);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	rc_test_ws_send_json(self, root);
	reply = rc_test_ws_take_at(self, NULL, ref, 5000, file, line);
	if (reply == NULL)
		return;
	if (g_strcmp0(rc_test_json_get_string(reply, "type"), "joined") != 0 ||
	    g_strcmp0(rc_test_json_get_string(reply, "namespace"), ns) != 0 ||
	    g_strcmp0(rc_test_json_get_string(reply, "roomCode"), room_code) != 0) {
		g_autofree gchar *text = frame_to_string(reply);
		fail_at(file, line, "join %s %s: expected “joined”, got %s", ns, room_code, text);
	}
}

gchar *
rc_test_ws_send_message_at(RcTestWs *self,
			   const gchar *ns,
			   const gchar *room_code,
			   const gchar *text,
			   const gchar *file,
			   gint line)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(JsonObject) reply = NULL;
	g_autofree gchar *ref = g_strdup_printf("s%u", ++self->next_ref);
	const gchar *id;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, "send");
	json_builder_set_member_name(b, "namespace");
	json_builder_add_string_value(b, ns);
	json_builder_set_member_name(b, "roomCode");
	json_builder_add_string_value(b, room_code);
	json_builder_set_member_name(b, "text");
	json_builder_add_string_value(b, text);
	json_builder_set_member_name(b, "ref");
	json_builder_add_string_value(b, ref);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	rc_test_ws_send_json(self, root);
	reply = rc_test_ws_take_at(self, NULL, ref, 5000, file, line);
	if (reply == NULL)
		return NULL;
	id = rc_test_json_get_string(reply, "id");
	if (g_strcmp0(rc_test_json_get_string(reply, "type"), "ack") != 0 || id == NULL ||
	    id[0] == '\0') {
		g_autofree gchar *str = frame_to_string(reply);
		fail_at(file, line, "send: expected an “ack” with an id, got %s", str);
		return NULL;
	}
	return g_strdup(id);
}

void
rc_test_ws_ping_at(RcTestWs *self, const gchar *file, gint line)
{
	g_autofree gchar *ref = g_strdup_printf("p%u", ++self->next_ref);
	g_autoptr(JsonObject) pong = NULL;

	rc_test_ws_send_printf(self, "{\"type\":\"ping\",\"ref\":\"%s\"}", ref);
	pong = rc_test_ws_expect_at(self, "pong", 5000, file, line);
	if (pong != NULL && g_strcmp0(rc_test_json_get_string(pong, "ref"), ref) != 0) {
		g_autofree gchar *str = frame_to_string(pong);
		fail_at(file, line, "expected pong with ref “%s”, got %s", ref, str);
	}
}

gboolean
rc_test_ws_is_closed(RcTestWs *self)
{
	return self->closed;
}

void
rc_test_ws_close(RcTestWs *self)
{
	if (self->closed)
		return;
	if (soup_websocket_connection_get_state(self->conn) == SOUP_WEBSOCKET_STATE_OPEN)
		soup_websocket_connection_close(self->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
	rc_test_wait_until(ws_closed, self, 2000);
}

void
rc_test_ws_free(RcTestWs *self)
{
	if (self == NULL)
		return;
	g_signal_handlers_disconnect_by_data(self->conn, self);
	if (soup_websocket_connection_get_state(self->conn) == SOUP_WEBSOCKET_STATE_OPEN)
		soup_websocket_connection_close(self->conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
	g_object_unref(self->conn);
	g_queue_clear_full(&self->frames, (GDestroyNotify)json_object_unref);
	g_clear_pointer(&self->hello, json_object_unref);
	g_object_unref(self->session);
	g_free(self);
}

/* ------------------------------------------------- raw WebSocket client --- */

struct _RcTestRawWs {
	GSocket *sock;
	GByteArray *rx;
};

static gboolean
raw_fill(RcTestRawWs *self, guint timeout_ms, gboolean *closed_by_peer, GError **error)
{
	guint8 buf[16384];
	gssize n;

	if (!g_socket_condition_timed_wait(
		self->sock, G_IO_IN, (gint64)rc_test_timeout(timeout_ms) * 1000, NULL, error))
		return FALSE;
	n = g_socket_receive(self->sock, (gchar *)buf, sizeof(buf), NULL, error);
	if (n <= 0) {
		if (closed_by_peer != NULL)
			*closed_by_peer = TRUE;
		if (n == 0)
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_CLOSED, "EOF");
		return FALSE;
	}
	g_byte_array_append(self->rx, buf, (guint)n);
	return TRUE;
}

/* blocking (within the socket's timeout); FALSE when the peer is gone */
static gboolean
raw_try_send_all(GSocket *sock, const guint8 *data, gsize len, GError **error)
{
	while (len > 0) {
		gssize n = g_socket_send(sock, (const gchar *)data, len, NULL, error);
		if (n < 0)
			return FALSE;
		data += n;
		len -= (gsize)n;
	}
	return TRUE;
}

RcTestRawWs *
rc_test_raw_ws_try_new(
    RcTestNode *node, const gchar *query, gint rcvbuf, guint timeout_ms, GError **error)
{
	g_autofree gchar *target = g_strconcat("/ws", query != NULL ? "?" : "", query, NULL);
	return rc_test_raw_ws_try_new_at(node, target, rcvbuf, timeout_ms, error);
}

RcTestRawWs *
rc_test_raw_ws_new_at(RcTestNode *node, const gchar *target, gint rcvbuf)
{
	g_autoptr(GError) error = NULL;
	RcTestRawWs *self = rc_test_raw_ws_try_new_at(node, target, rcvbuf, 5000, &error);

	if (self == NULL)
		fail("raw WebSocket handshake: %s", error->message);
	return self;
}

RcTestRawWs *
rc_test_raw_ws_try_new_at(
    RcTestNode *node, const gchar *target, gint rcvbuf, guint timeout_ms, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(lo, rc_test_node_get_port(node));
	g_autofree gchar *request = NULL;
	RcTestRawWs *self = g_new0(RcTestRawWs, 1);
	gint64 deadline = g_get_monotonic_time() + (gint64)rc_test_timeout(timeout_ms) * 1000;
	guint8 *end = NULL;

	self->rx = g_byte_array_new();
	self->sock =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &local);
	g_assert_no_error(local);
	if (rcvbuf > 0) {
		g_socket_set_option(self->sock, SOL_SOCKET, SO_RCVBUF, rcvbuf, &local);
		g_assert_no_error(local);
	}
	/* blocking calls must not hang a test on a daemon that stopped reading */
	g_socket_set_timeout(self->sock, 10);
	request = g_strdup_printf("GET %s HTTP/1.1\r\n"
				  "Host: 127.0.0.1:%u\r\n"
				  "Upgrade: websocket\r\n"
				  "Connection: Upgrade\r\n"
				  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				  "Sec-WebSocket-Version: 13\r\n"
				  "\r\n",
				  target,
				  rc_test_node_get_port(node));
	if (!g_socket_connect(self->sock, addr, NULL, &local) ||
	    !raw_try_send_all(self->sock, (const guint8 *)request, strlen(request), &local))
		goto failed;
	/* an empty GByteArray has no data pointer at all */
	while (self->rx->len < 4 ||
	       (end = memmem(self->rx->data, self->rx->len, "\r\n\r\n", 4)) == NULL) {
		gint64 left = deadline - g_get_monotonic_time();
		if (left <= 0) {
			g_set_error(&local,
				    G_IO_ERROR,
				    G_IO_ERROR_TIMED_OUT,
				    "no upgrade answer within %u ms",
				    rc_test_timeout(timeout_ms));
			goto failed;
		}
		if (!raw_fill(self, (guint)(left / 1000) + 1, NULL, &local))
			goto failed;
	}
	if (self->rx->len < 12 || memcmp(self->rx->data, "HTTP/1.1 101", 12) != 0) {
		g_set_error(&local,
			    G_IO_ERROR,
			    G_IO_ERROR_FAILED,
			    "upgrade refused: %.*s",
			    (gint)(end - self->rx->data),
			    self->rx->data);
		goto failed;
	}
	g_byte_array_remove_range(self->rx, 0, (guint)(end + 4 - self->rx->data));
	return self;

failed:
	g_propagate_error(error, g_steal_pointer(&local));
	rc_test_raw_ws_free(self);
	return NULL;
}

RcTestRawWs *
rc_test_raw_ws_new(RcTestNode *node, const gchar *query, gint rcvbuf)
{
	g_autoptr(GError) error = NULL;
	RcTestRawWs *self = rc_test_raw_ws_try_new(node, query, rcvbuf, 5000, &error);

	if (self == NULL)
		fail("raw WebSocket handshake: %s", error->message);
	return self;
}

GBytes *
rc_test_ws_frame_new(guint8 opcode, gboolean fin, gconstpointer data, gsize len)
{
	guint8 *frame = g_malloc(len + 14);
	guint32 key = g_random_int();
	const guint8 *mask = (const guint8 *)&key;
	const guint8 *payload = data;
	gsize hlen = 2;

	frame[0] = (fin ? 0x80 : 0x00) | (opcode & 0x0f);
	if (len < 126) {
		frame[1] = 0x80 | (guint8)len;
	} else if (len <= 0xffff) {
		frame[1] = 0x80 | 126;
		frame[2] = (guint8)(len >> 8);
		frame[3] = (guint8)len;
		hlen = 4;
	} else {
		frame[1] = 0x80 | 127;
		for (guint i = 0; i < 8; i++)
			frame[2 + i] = (guint8)((guint64)len >> (56 - 8 * i));
		hlen = 10;
	}
	memcpy(frame + hlen, mask, 4);
	hlen += 4;
	for (gsize i = 0; i < len; i++)
		frame[hlen + i] = payload[i] ^ mask[i % 4];
	return g_bytes_new_take(frame, hlen + len);
}

gboolean
rc_test_raw_ws_try_send_frame(
    RcTestRawWs *self, guint8 opcode, gboolean fin, gconstpointer data, gsize len, GError **error)
{
	g_autoptr(GBytes) frame = rc_test_ws_frame_new(opcode, fin, data, len);
	gsize size = 0;
	const guint8 *bytes = g_bytes_get_data(frame, &size);

	return raw_try_send_all(self->sock, bytes, size, error);
}

void
rc_test_raw_ws_send_frame(RcTestRawWs *self, guint8 opcode, gconstpointer data, gsize len)
{
	g_autoptr(GError) error = NULL;

	if (!rc_test_raw_ws_try_send_frame(self, opcode, TRUE, data, len, &error))
		fail("raw WebSocket send: %s", error->message);
}

gboolean
rc_test_raw_ws_read_frame(
    RcTestRawWs *self, guint timeout_ms, guint8 *opcode, GBytes **payload, gboolean *closed_by_peer)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)rc_test_timeout(timeout_ms) * 1000;

	if (closed_by_peer != NULL)
		*closed_by_peer = FALSE;
	for (;;) {
		g_autoptr(GError) error = NULL;
		gint64 left;

		if (self->rx->len >= 2) {
			const guint8 *d = self->rx->data;
			guint64 len = d[1] & 0x7f;
			gsize hlen = 2;

			if (len == 126 && self->rx->len >= 4) {
				len = ((guint64)d[2] << 8) | d[3];
				hlen = 4;
			} else if (len == 127 && self->rx->len >= 10) {
				len = 0;
				for (guint i = 0; i < 8; i++)
					len = (len << 8) | d[2 + i];
				hlen = 10;
			} else if (len >= 126) {
				hlen = 0; /* header incomplete */
			}
			if (hlen > 0 && self->rx->len >= hlen + len) {
				if (opcode != NULL)
					*opcode = d[0] & 0x0f;
				if (payload != NULL)
					*payload = g_bytes_new(d + hlen, (gsize)len);
				g_byte_array_remove_range(self->rx, 0, (guint)(hlen + len));
				return TRUE;
			}
		}
		left = deadline - g_get_monotonic_time();
		if (left <= 0)
			return FALSE;
		if (!raw_fill(self, (guint)(left / 1000) + 1, closed_by_peer, &error))
			return FALSE;
	}
}

JsonObject *
rc_test_raw_ws_read_json(RcTestRawWs *self, guint timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)rc_test_timeout(timeout_ms) * 1000;

	while (g_get_monotonic_time() < deadline) {
		g_autoptr(GBytes) payload = NULL;
		g_autofree gchar *text = NULL;
		guint8 opcode = 0;

		if (!rc_test_raw_ws_read_frame(self,
					       (guint)((deadline - g_get_monotonic_time()) / 1000) +
						   1,
					       &opcode,
					       &payload,
					       NULL))
			return NULL;
		if (opcode != 0x1)
			continue;
		text = g_strndup(g_bytes_get_data(payload, NULL), g_bytes_get_size(payload));
		return rc_test_json_parse_object(text);
	}
	return NULL;
}

GSocket *
rc_test_raw_ws_get_socket(RcTestRawWs *self)
{
	return self->sock;
}

void
rc_test_raw_ws_free(RcTestRawWs *self)
{
	if (self == NULL)
		return;
	g_socket_close(self->sock, NULL);
	g_object_unref(self->sock);
	g_byte_array_unref(self->rx);
	g_free(self);
}

/* ------------------------------------------------------- raw HTTP client --- */

struct _RcTestRawHttp {
	GSocket *sock;
	GByteArray *rx;
	gboolean closed; /* EOF or reset seen */
};

RcTestRawHttp *
rc_test_raw_http_new(RcTestNode *node)
{
	RcTestRawHttp *self = g_new0(RcTestRawHttp, 1);
	g_autoptr(GError) error = NULL;
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(lo, rc_test_node_get_port(node));

	self->rx = g_byte_array_new();
	self->sock =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
	g_assert_no_error(error);
	g_socket_set_timeout(self->sock, 10);
	if (!g_socket_connect(self->sock, addr, NULL, &error))
		fail(
		    "raw HTTP connect to port %u: %s", rc_test_node_get_port(node), error->message);
	return self;
}

gboolean
rc_test_raw_http_send(RcTestRawHttp *self, gconstpointer data, gssize len, GError **error)
{
	return raw_try_send_all(self->sock, data, len < 0 ? strlen(data) : (gsize)len, error);
}

gboolean
rc_test_raw_http_has_input(RcTestRawHttp *self)
{
	return self->rx->len > 0 || self->closed ||
	       (g_socket_condition_check(self->sock, G_IO_IN | G_IO_HUP | G_IO_ERR) != 0);
}

/* one read of what is there within @timeout_us (absolute deadline); FALSE when
 * nothing came (timeout) or the connection ended */
static gboolean
raw_http_fill(RcTestRawHttp *self, gint64 deadline)
{
	g_autoptr(GError) error = NULL;
	guint8 buf[65536];
	gint64 left = deadline - g_get_monotonic_time();
	gssize n;

	if (self->closed || left <= 0)
		return FALSE;
	if (!g_socket_condition_timed_wait(self->sock, G_IO_IN, left, NULL, NULL))
		return FALSE;
	n = g_socket_receive(self->sock, (gchar *)buf, sizeof(buf), NULL, &error);
	if (n <= 0) {
		/* EOF, or a reset after the answer: both end the connection */
		self->closed = TRUE;
		return FALSE;
	}
	g_byte_array_append(self->rx, buf, (guint)n);
	return TRUE;
}

GBytes *
rc_test_raw_http_read_until_close(RcTestRawHttp *self, guint timeout_ms, gboolean *closed)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)rc_test_timeout(timeout_ms) * 1000;

	while (raw_http_fill(self, deadline))
		;
	if (closed != NULL)
		*closed = self->closed;
	return g_bytes_new(self->rx->data, self->rx->len);
}

/* the value of header @name in a response head (NUL-terminated), or NULL */
static gchar *
raw_http_header(const gchar *head, const gchar *name)
{
	g_auto(GStrv) lines = g_strsplit(head, "\r\n", -1);
	gsize len = strlen(name);

	for (guint i = 1; lines[i] != NULL; i++) {
		if (g_ascii_strncasecmp(lines[i], name, len) == 0 && lines[i][len] == ':')
			return g_strstrip(g_strdup(lines[i] + len + 1));
	}
	return NULL;
}

/* the first response in @data, or NULL while its head or body is incomplete */
static RcTestHttpReply *
raw_http_parse(const guint8 *data, gsize len, gboolean complete)
{
	const guint8 *end = NULL;
	g_autofree gchar *head = NULL;
	g_autofree gchar *length = NULL;
	RcTestHttpReply *reply;
	guint status;
	gsize head_len;
	gsize body_len;

	/* an empty GByteArray has no data pointer at all */
	if (data == NULL || len < 12 || memcmp(data, "HTTP/1.", 7) != 0)
		return NULL;
	end = memmem(data, len, "\r\n\r\n", 4);
	if (end == NULL)
		return NULL;
	head_len = (gsize)(end - data) + 4;
	head = g_strndup((const gchar *)data, head_len - 4);
	status = (guint)g_ascii_strtoull(head + 9, NULL, 10);
	length = raw_http_header(head, "Content-Length");
	body_len = len - head_len;
	if (status < 200 || status == 204 || status == 304) {
		body_len = 0; /* no body, whatever follows (101: WebSocket frames) */
	} else if (length != NULL) {
		guint64 want = g_ascii_strtoull(length, NULL, 10);
		if (want > body_len && !complete)
			return NULL;
		body_len = MIN(body_len, (gsize)want);
	} else if (!complete) {
		return NULL; /* delimited by the end of the connection */
	}
	reply = g_new0(RcTestHttpReply, 1);
	reply->status = status;
	reply->body = g_strndup((const gchar *)data + head_len, body_len);
	reply->content_type = raw_http_header(head, "Content-Type");
	return reply;
}

RcTestHttpReply *
rc_test_http_reply_parse(GBytes *bytes)
{
	gsize len = 0;
	const guint8 *data = g_bytes_get_data(bytes, &len);
	RcTestHttpReply *reply = raw_http_parse(data, len, TRUE);

	if (reply == NULL) {
		reply = g_new0(RcTestHttpReply, 1);
		reply->body = g_strdup("");
	}
	return reply;
}

RcTestHttpReply *
rc_test_raw_http_read_reply(RcTestRawHttp *self, guint timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)rc_test_timeout(timeout_ms) * 1000;
	RcTestHttpReply *reply;

	for (;;) {
		reply = raw_http_parse(self->rx->data, self->rx->len, self->closed);
		if (reply != NULL || !raw_http_fill(self, deadline))
			break;
	}
	if (reply == NULL)
		reply = raw_http_parse(self->rx->data, self->rx->len, TRUE);
	if (reply == NULL) {
		reply = g_new0(RcTestHttpReply, 1);
		reply->body = g_strdup("");
	}
	return reply;
}

gboolean
rc_test_raw_http_is_closed(RcTestRawHttp *self)
{
	return self->closed;
}

GSocket *
rc_test_raw_http_get_socket(RcTestRawHttp *self)
{
	return self->sock;
}

void
rc_test_raw_http_free(RcTestRawHttp *self)
{
	if (self == NULL)
		return;
	g_socket_close(self->sock, NULL);
	g_object_unref(self->sock);
	g_byte_array_unref(self->rx);
	g_free(self);
}

RcTestHttpReply *
rc_test_raw_http_request(RcTestNode *node, const gchar *request, guint timeout_ms)
{
	g_autoptr(RcTestRawHttp) conn = rc_test_raw_http_new(node);
	g_autoptr(GError) error = NULL;

	if (!rc_test_raw_http_send(conn, request, -1, &error))
		g_test_message("raw HTTP send: %s", error->message);
	return rc_test_raw_http_read_reply(conn, timeout_ms);
}
