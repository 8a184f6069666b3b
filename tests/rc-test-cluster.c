/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTestRedisCluster"

#include "rc-test-cluster.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define N_NODES (2 * RC_TEST_CLUSTER_N_MASTERS)
#define START_TIMEOUT_MS 10000
#define SETTLE_TIMEOUT_MS 30000

typedef struct {
	guint16 port;
	guint shard;
	GSubprocess *proc;
	gchar *id;
} Node;

struct _RcTestCluster {
	gchar *dir;
	gchar *seeds;
	Node nodes[N_NODES];
	Node *master[RC_TEST_CLUSTER_N_MASTERS];
	Node *replica[RC_TEST_CLUSTER_N_MASTERS];
	/* masters killed since the last wait_failover() */
	gboolean killed[RC_TEST_CLUSTER_N_MASTERS];
};

static const guint16 initial_ranges[RC_TEST_CLUSTER_N_MASTERS][2] = {
    {0, 5460},
    {5461, 10922},
    {10923, 16383},
};

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

/* ------------------------------------------------------------ commands --- */

static redisReply *
command_argv(guint16 port, gint argc, const gchar **argv, const gsize *lens, gchar **errstr)
{
	struct timeval tv = {5, 0};
	redisContext *ctx = redisConnectWithTimeout("127.0.0.1", port, tv);
	redisReply *reply = NULL;

	if (ctx == NULL || ctx->err != 0) {
		*errstr = g_strdup_printf("cannot connect to 127.0.0.1:%u: %s",
					  port,
					  ctx != NULL ? ctx->errstr : "out of memory");
		if (ctx != NULL)
			redisFree(ctx);
		return NULL;
	}
	redisSetTimeout(ctx, tv);
	reply = redisCommandArgv(ctx, argc, argv, lens);
	if (reply == NULL)
		*errstr = g_strdup_printf("127.0.0.1:%u: %s", port, ctx->errstr);
	redisFree(ctx);
	return reply;
}

static redisReply *
command_va(guint16 port, gchar **errstr, const gchar *first_arg, va_list ap)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	g_autoptr(GArray) lens = g_array_new(FALSE, FALSE, sizeof(gsize));

	for (const gchar *a = first_arg; a != NULL; a = va_arg(ap, const gchar *)) {
		gsize len = strlen(a);
		g_ptr_array_add(args, (gpointer)a);
		g_array_append_val(lens, len);
	}
	return command_argv(
	    port, (gint)args->len, (const gchar **)args->pdata, (const gsize *)lens->data, errstr);
}

static void
reply_flatten(const redisReply *reply, GString *out)
{
	switch (reply->type) {
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
		g_string_append_len(out, reply->str, (gssize)reply->len);
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

/* flattened reply, or NULL (for polling: the node may be down or busy) */
static gchar *G_GNUC_NULL_TERMINATED
try_command(guint16 port, const gchar *first_arg, ...)
{
	g_autofree gchar *errstr = NULL;
	redisReply *reply;
	GString *out;
	va_list ap;

	va_start(ap, first_arg);
	reply = command_va(port, &errstr, first_arg, ap);
	va_end(ap);
	if (reply == NULL)
		return NULL;
	if (reply->type == REDIS_REPLY_ERROR) {
		freeReplyObject(reply);
		return NULL;
	}
	out = g_string_new(NULL);
	reply_flatten(reply, out);
	freeReplyObject(reply);
	return g_string_free(out, FALSE);
}

redisReply *
rc_test_cluster_command_reply(RcTestCluster *self, guint16 port, const gchar *first_arg, ...)
{
	g_autofree gchar *errstr = NULL;
	redisReply *reply;
	va_list ap;

	va_start(ap, first_arg);
	reply = command_va(port, &errstr, first_arg, ap);
	va_end(ap);
	if (reply == NULL)
		fail("redis command %s: %s", first_arg, errstr);
	return reply;
}

gchar *
rc_test_cluster_command(RcTestCluster *self, guint16 port, const gchar *first_arg, ...)
{
	g_autofree gchar *errstr = NULL;
	GString *out = g_string_new(NULL);
	redisReply *reply;
	va_list ap;

	va_start(ap, first_arg);
	reply = command_va(port, &errstr, first_arg, ap);
	va_end(ap);
	if (reply == NULL)
		fail("redis command %s: %s", first_arg, errstr);
	else if (reply->type == REDIS_REPLY_ERROR)
		fail("redis command %s on port %u: %s", first_arg, port, reply->str);
	else
		reply_flatten(reply, out);
	if (reply != NULL)
		freeReplyObject(reply);
	return g_string_free(out, FALSE);
}

/* "field:value" lines of INFO / CLUSTER INFO */
static gchar *
info_field(const gchar *info, const gchar *field)
{
	g_auto(GStrv) lines = g_strsplit(info != NULL ? info : "", "\n", -1);
	gsize n = strlen(field);

	for (guint i = 0; lines[i] != NULL; i++) {
		if (strncmp(lines[i], field, n) == 0 && lines[i][n] == ':')
			return g_strstrip(g_strdup(lines[i] + n + 1));
	}
	return NULL;
}

static gboolean
info_is(const gchar *info, const gchar *field, const gchar *value)
{
	g_autofree gchar *v = info_field(info, field);
	return g_strcmp0(v, value) == 0;
}

/* --------------------------------------------------------- CLUSTER NODES --- */

typedef struct {
	gchar *id;
	guint16 port;
	gchar *flags;
	gchar *master_id; /* "-" for masters */
	GArray *ranges;	  /* guint16 pairs */
} NodesLine;

static void
nodes_line_free(gpointer data)
{
	NodesLine *l = data;
	g_free(l->id);
	g_free(l->flags);
	g_free(l->master_id);
	g_array_unref(l->ranges);
	g_free(l);
}

/* "id ip:port@cport flags master ping pong epoch link slot..." per line */
static GPtrArray *
parse_nodes(const gchar *text)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(nodes_line_free);
	g_auto(GStrv) rows = g_strsplit(text != NULL ? text : "", "\n", -1);

	for (guint r = 0; rows[r] != NULL; r++) {
		g_auto(GStrv) f = g_strsplit(g_strstrip(rows[r]), " ", -1);
		NodesLine *l;
		const gchar *colon;

		if (g_strv_length(f) < 8)
			continue;
		colon = strrchr(f[1], ':');
		if (colon == NULL)
			continue;
		l = g_new0(NodesLine, 1);
		l->id = g_strdup(f[0]);
		l->port = (guint16)g_ascii_strtoull(colon + 1, NULL, 10);
		l->flags = g_strdup(f[2]);
		l->master_id = g_strdup(f[3]);
		l->ranges = g_array_new(FALSE, FALSE, sizeof(guint16));
		for (guint i = 8; f[i] != NULL; i++) {
			guint16 pair[2];
			gchar *dash;

			/* [slot->-id] / [slot-<-id]: a slot on the move */
			if (f[i][0] == '[' || f[i][0] == '\0')
				continue;
			dash = strchr(f[i], '-');
			pair[0] = (guint16)g_ascii_strtoull(f[i], NULL, 10);
			pair[1] =
			    dash != NULL ? (guint16)g_ascii_strtoull(dash + 1, NULL, 10) : pair[0];
			g_array_append_vals(l->ranges, pair, 2);
		}
		g_ptr_array_add(lines, l);
	}
	return lines;
}

static NodesLine *
find_line(GPtrArray *lines, const gchar *id)
{
	for (guint i = 0; i < lines->len; i++) {
		NodesLine *l = g_ptr_array_index(lines, i);
		if (g_strcmp0(l->id, id) == 0)
			return l;
	}
	return NULL;
}

static gboolean
has_flag(const NodesLine *l, const gchar *flag)
{
	g_auto(GStrv) flags = g_strsplit(l->flags, ",", -1);
	return g_strv_contains((const gchar *const *)flags, flag);
}

static gboolean
line_failing(const NodesLine *l)
{
	return has_flag(l, "fail") || has_flag(l, "fail?") || has_flag(l, "handshake") ||
	       has_flag(l, "noaddr");
}

static guint16
lines_slot_owner(GPtrArray *lines, guint16 slot)
{
	for (guint i = 0; i < lines->len; i++) {
		NodesLine *l = g_ptr_array_index(lines, i);
		for (guint r = 0; r + 1 < l->ranges->len; r += 2) {
			if (slot >= g_array_index(l->ranges, guint16, r) &&
			    slot <= g_array_index(l->ranges, guint16, r + 1))
				return l->port;
		}
	}
	return 0;
}

/* --------------------------------------------------------------- nodes --- */

static gboolean
node_running(const Node *node)
{
	return node->proc != NULL && g_subprocess_get_identifier(node->proc) != NULL;
}

static Node *
node_by_port(RcTestCluster *self, guint16 port)
{
	for (guint i = 0; i < N_NODES; i++) {
		if (self->nodes[i].port == port)
			return &self->nodes[i];
	}
	fail("no node of the test cluster on port %u", port);
	g_assert_not_reached();
}

/* Children die with us, even when a failed assertion aborts the test. */
static void
child_setup(gpointer user_data)
{
	pid_t parent = GPOINTER_TO_INT(user_data);

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
}

/* reaps the child so g_subprocess_get_identifier() turns NULL when it exits */
static void
on_node_exited(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_subprocess_wait_finish(G_SUBPROCESS(source), res, NULL);
}

static gboolean
node_spawn(RcTestCluster *self, Node *node, GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
	    G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
	g_autofree gchar *port = g_strdup_printf("%u", node->port);
	g_autofree gchar *conf = g_strdup_printf("%s/nodes-%u.conf", self->dir, node->port);
	g_autofree gchar *log = g_strdup_printf("%s/redis-%u.log", self->dir, node->port);
	g_autofree gchar *rdb = g_strdup_printf("dump-%u.rdb", node->port);
	const gchar *argv[] = {
	    "redis-server",
	    "--port",
	    port,
	    "--bind",
	    "127.0.0.1",
	    "--cluster-enabled",
	    "yes",
	    "--cluster-node-timeout",
	    "1000",
	    "--cluster-config-file",
	    conf,
	    "--cluster-require-full-coverage",
	    "no",
	    /* replicas report a replication offset within a second, so CLUSTER
	     * SLOTS lists them and CLUSTER SHARDS calls them online */
	    "--repl-ping-replica-period",
	    "1",
	    "--repl-diskless-sync-delay",
	    "0",
	    "--save",
	    "",
	    "--appendonly",
	    "no",
	    "--dir",
	    self->dir,
	    "--dbfilename",
	    rdb,
	    "--logfile",
	    log,
	    "--daemonize",
	    "no",
	    NULL,
	};

	g_subprocess_launcher_set_child_setup(
	    launcher, child_setup, GINT_TO_POINTER(getpid()), NULL);
	node->proc = g_subprocess_launcher_spawnv(launcher, argv, error);
	if (node->proc == NULL)
		return FALSE;
	g_subprocess_wait_async(node->proc, NULL, on_node_exited, NULL);
	return TRUE;
}

static gboolean
node_ping(const Node *node)
{
	g_autofree gchar *pong = try_command(node->port, "PING", NULL);
	return g_strcmp0(pong, "PONG") == 0;
}

/* waits for PING; FALSE when the process exits first (its port was taken) */
static gboolean
node_wait_ready(Node *node, GError **error)
{
	gint64 deadline = g_get_monotonic_time() + rc_test_timeout(START_TIMEOUT_MS) * 1000;

	while (g_get_monotonic_time() < deadline) {
		if (node_ping(node))
			return TRUE;
		if (!node_running(node)) {
			g_set_error(error,
				    G_IO_ERROR,
				    G_IO_ERROR_FAILED,
				    "redis-server exited at start (port %u)",
				    node->port);
			return FALSE;
		}
		rc_test_sleep(20);
	}
	g_set_error(error,
		    G_IO_ERROR,
		    G_IO_ERROR_TIMED_OUT,
		    "redis-server on port %u does not answer",
		    node->port);
	return FALSE;
}

static gboolean
subprocess_gone(gpointer user_data)
{
	return g_subprocess_get_identifier(G_SUBPROCESS(user_data)) == NULL;
}

static void
node_kill(Node *node)
{
	if (node->proc == NULL)
		return;
	if (g_subprocess_get_identifier(node->proc) != NULL)
		g_subprocess_send_signal(node->proc, SIGKILL);
	if (!rc_test_wait_until(subprocess_gone, node->proc, 10000))
		g_warning("redis-server on port %u survived SIGKILL", node->port);
	g_clear_object(&node->proc);
}

/* ------------------------------------------------------------ start-up --- */

static gboolean
port_free(guint16 port)
{
	g_autoptr(GSocket) sock =
	    g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(lo, port);

	return sock != NULL && g_socket_bind(sock, addr, FALSE, NULL);
}

/* Six consecutive ports and their cluster bus ports (+10000), all below the
 * kernel's ephemeral range so outgoing connections do not take them. */
static guint16
pick_base(void)
{
	for (guint attempt = 0; attempt < 200; attempt++) {
		guint16 base = (guint16)(20000 + g_random_int_range(0, 450) * N_NODES);
		gboolean ok = TRUE;

		for (guint i = 0; i < N_NODES && ok; i++)
			ok = port_free((guint16)(base + i)) &&
			     port_free((guint16)(base + i + 10000));
		if (ok)
			return base;
	}
	fail("no free block of %u ports on 127.0.0.1", N_NODES);
	return 0;
}

static gboolean
start_nodes(RcTestCluster *self, GError **error)
{
	guint16 base = pick_base();

	for (guint i = 0; i < N_NODES; i++) {
		Node *node = &self->nodes[i];
		node->port = (guint16)(base + i);
		node->shard = i % RC_TEST_CLUSTER_N_MASTERS;
		if (!node_spawn(self, node, error))
			return FALSE;
	}
	for (guint i = 0; i < N_NODES; i++) {
		if (!node_wait_ready(&self->nodes[i], error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
all_nodes_known(gpointer user_data)
{
	RcTestCluster *self = user_data;

	for (guint i = 0; i < N_NODES; i++) {
		g_autofree gchar *text = try_command(self->nodes[i].port, "CLUSTER", "NODES", NULL);
		g_autoptr(GPtrArray) lines = parse_nodes(text);
		guint known = 0;

		for (guint j = 0; j < N_NODES; j++) {
			NodesLine *l = find_line(lines, self->nodes[j].id);
			if (l != NULL && !has_flag(l, "handshake") && !has_flag(l, "noaddr"))
				known++;
		}
		if (known != N_NODES)
			return FALSE;
	}
	return TRUE;
}

/* Every running node: cluster_state:ok with all slots ok, sees each shard's
 * master as a healthy master and each running replica as a healthy replica of
 * it, and every running replica is in sync (and so listed by CLUSTER SLOTS). */
static gboolean
cluster_settled(gpointer user_data)
{
	RcTestCluster *self = user_data;
	guint n_running = 0;

	for (guint i = 0; i < N_NODES; i++)
		n_running += node_running(&self->nodes[i]);
	for (guint i = 0; i < N_NODES; i++) {
		Node *node = &self->nodes[i];
		g_autofree gchar *info = NULL;
		g_autofree gchar *text = NULL;
		g_autofree gchar *slots = NULL;
		g_autoptr(GPtrArray) lines = NULL;
		g_autoptr(GHashTable) listed = NULL;

		if (!node_running(node))
			continue;
		info = try_command(node->port, "CLUSTER", "INFO", NULL);
		if (!info_is(info, "cluster_state", "ok") ||
		    !info_is(info, "cluster_slots_ok", "16384") ||
		    !info_is(info, "cluster_size", "3"))
			return FALSE;
		text = try_command(node->port, "CLUSTER", "NODES", NULL);
		lines = parse_nodes(text);
		for (guint s = 0; s < RC_TEST_CLUSTER_N_MASTERS; s++) {
			NodesLine *m = find_line(lines, self->master[s]->id);
			NodesLine *r = find_line(lines, self->replica[s]->id);

			if (m == NULL || !has_flag(m, "master") || line_failing(m) ||
			    m->ranges->len == 0)
				return FALSE;
			if (node_running(self->replica[s]) &&
			    (r == NULL || !has_flag(r, "slave") || line_failing(r) ||
			     g_strcmp0(r->master_id, self->master[s]->id) != 0))
				return FALSE;
		}
		slots = try_command(node->port, "CLUSTER", "SLOTS", NULL);
		listed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		{
			g_auto(GStrv) items = g_strsplit(slots != NULL ? slots : "", "\n", -1);
			for (guint k = 0; items[k] != NULL; k++) {
				if (strlen(items[k]) == 40)
					g_hash_table_add(listed, g_strdup(items[k]));
			}
		}
		if (g_hash_table_size(listed) != n_running)
			return FALSE;
	}
	for (guint s = 0; s < RC_TEST_CLUSTER_N_MASTERS; s++) {
		Node *r = self->replica[s];
		g_autofree gchar *info = NULL;
		g_autofree gchar *master_port = NULL;

		if (!node_running(r))
			continue;
		info = try_command(r->port, "INFO", "replication", NULL);
		master_port = g_strdup_printf("%u", self->master[s]->port);
		if (!info_is(info, "role", "slave") || !info_is(info, "master_port", master_port) ||
		    !info_is(info, "master_link_status", "up") ||
		    !info_is(info, "master_sync_in_progress", "0"))
			return FALSE;
	}
	return TRUE;
}

static gchar *
describe_state(RcTestCluster *self)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < N_NODES; i++) {
		Node *node = &self->nodes[i];
		g_autofree gchar *info = NULL;
		g_autofree gchar *state = NULL;

		if (!node_running(node)) {
			g_string_append_printf(out, "\n  %u: down", node->port);
			continue;
		}
		info = try_command(node->port, "CLUSTER", "INFO", NULL);
		state = info_field(info, "cluster_state");
		g_string_append_printf(out, "\n  %u: cluster_state:%s", node->port, state);
	}
	return g_string_free(out, FALSE);
}

static void
wait_settled(RcTestCluster *self, guint timeout_ms, const gchar *what)
{
	if (!rc_test_wait_until(cluster_settled, self, timeout_ms)) {
		g_autofree gchar *state = describe_state(self);
		fail("the test cluster did not settle %s within %u ms (logs in %s):%s",
		     what,
		     rc_test_timeout(timeout_ms),
		     self->dir,
		     state);
	}
}

static void
cluster_create(RcTestCluster *self)
{
	for (guint i = 0; i < N_NODES; i++) {
		Node *node = &self->nodes[i];
		g_autofree gchar *epoch = g_strdup_printf("%u", i + 1);

		node->id = rc_test_cluster_command(self, node->port, "CLUSTER", "MYID", NULL);
		/* distinct epochs up front, as redis-cli does: no collisions to resolve */
		g_free(rc_test_cluster_command(
		    self, node->port, "CLUSTER", "SET-CONFIG-EPOCH", epoch, NULL));
	}
	for (guint s = 0; s < RC_TEST_CLUSTER_N_MASTERS; s++) {
		g_autofree gchar *first = g_strdup_printf("%u", initial_ranges[s][0]);
		g_autofree gchar *last = g_strdup_printf("%u", initial_ranges[s][1]);

		self->master[s] = &self->nodes[s];
		self->replica[s] = &self->nodes[s + RC_TEST_CLUSTER_N_MASTERS];
		g_free(rc_test_cluster_command(
		    self, self->master[s]->port, "CLUSTER", "ADDSLOTSRANGE", first, last, NULL));
	}
	for (guint i = 1; i < N_NODES; i++) {
		g_autofree gchar *port = g_strdup_printf("%u", self->nodes[i].port);
		g_free(rc_test_cluster_command(
		    self, self->nodes[0].port, "CLUSTER", "MEET", "127.0.0.1", port, NULL));
	}
	if (!rc_test_wait_until(all_nodes_known, self, SETTLE_TIMEOUT_MS))
		fail("the nodes of the test cluster did not meet (logs in %s)", self->dir);
	for (guint s = 0; s < RC_TEST_CLUSTER_N_MASTERS; s++) {
		g_free(rc_test_cluster_command(self,
					       self->replica[s]->port,
					       "CLUSTER",
					       "REPLICATE",
					       self->master[s]->id,
					       NULL));
	}
	wait_settled(self, SETTLE_TIMEOUT_MS, "after creation");
}

static void
remove_dir(const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const gchar *name;

	if (dir == NULL)
		return;
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *file = g_build_filename(path, name, NULL);
		g_unlink(file);
	}
	g_rmdir(path);
}

RcTestCluster *
rc_test_cluster_new(void)
{
	RcTestCluster *self = g_new0(RcTestCluster, 1);
	g_autoptr(GError) error = NULL;
	GString *seeds = g_string_new(NULL);

	self->dir = g_dir_make_tmp("roomcast-cluster-XXXXXX", &error);
	g_assert_no_error(error);
	/* another process may take a port between probing and binding: retry */
	for (guint attempt = 0; attempt < 5; attempt++) {
		g_clear_error(&error);
		if (start_nodes(self, &error))
			break;
		g_debug("%s, trying other ports", error->message);
		for (guint i = 0; i < N_NODES; i++)
			node_kill(&self->nodes[i]);
	}
	g_assert_no_error(error);
	cluster_create(self);
	for (guint i = 0; i < N_NODES; i++)
		g_string_append_printf(
		    seeds, "%s127.0.0.1:%u", i > 0 ? "," : "", self->nodes[i].port);
	self->seeds = g_string_free(seeds, FALSE);
	g_debug("test cluster up: %s", self->seeds);
	return self;
}

/* ----------------------------------------------------------- accessors --- */

guint16
rc_test_cluster_get_master_port(RcTestCluster *self, guint index)
{
	g_assert_cmpuint(index, <, RC_TEST_CLUSTER_N_MASTERS);
	return self->master[index]->port;
}

guint16
rc_test_cluster_get_replica_port(RcTestCluster *self, guint index)
{
	g_assert_cmpuint(index, <, RC_TEST_CLUSTER_N_MASTERS);
	return self->replica[index]->port;
}

const gchar *
rc_test_cluster_get_seeds(RcTestCluster *self)
{
	return self->seeds;
}

const gchar *
rc_test_cluster_get_dir(RcTestCluster *self)
{
	return self->dir;
}

GPid
rc_test_cluster_get_pid(RcTestCluster *self, guint16 port)
{
	Node *node = node_by_port(self, port);
	const gchar *pid;

	if (node == NULL || !node_running(node))
		return 0;
	pid = g_subprocess_get_identifier(node->proc);
	return pid != NULL ? (GPid)g_ascii_strtoll(pid, NULL, 10) : 0;
}

const gchar *
rc_test_cluster_get_node_id(RcTestCluster *self, guint16 port)
{
	Node *node = node_by_port(self, port);
	return node != NULL ? node->id : NULL;
}

/* ------------------------------------------------------------ failover --- */

void
rc_test_cluster_kill_master(RcTestCluster *self, guint index)
{
	Node *master;

	g_assert_cmpuint(index, <, RC_TEST_CLUSTER_N_MASTERS);
	master = self->master[index];
	if (!node_running(master))
		fail("the master of shard %u (port %u) is not running", index, master->port);
	if (!node_running(self->replica[index]))
		fail("shard %u has no running replica to take over", index);
	node_kill(master);
	self->killed[index] = TRUE;
}

static gboolean
replicas_promoted(gpointer user_data)
{
	RcTestCluster *self = user_data;

	for (guint s = 0; s < RC_TEST_CLUSTER_N_MASTERS; s++) {
		g_autofree gchar *info = NULL;

		if (!self->killed[s])
			continue;
		info = try_command(self->replica[s]->port, "INFO", "replication", NULL);
		if (!info_is(info, "role", "master"))
			return FALSE;
	}
	return TRUE;
}

guint
rc_test_cluster_wait_failover(RcTestCluster *self, guint timeout_ms)
{
	gint64 start = g_get_monotonic_time();
	guint scaled = rc_test_timeout(timeout_ms);
	guint spent;

	if (!rc_test_wait_until(replicas_promoted, self, timeout_ms)) {
		g_autofree gchar *state = describe_state(self);
		fail("no replica took over within %u ms (logs in %s):%s", scaled, self->dir, state);
	}
	for (guint s = 0; s < RC_TEST_CLUSTER_N_MASTERS; s++) {
		Node *old = self->master[s];

		if (!self->killed[s])
			continue;
		self->master[s] = self->replica[s];
		self->replica[s] = old;
		self->killed[s] = FALSE;
	}
	/* rc_test_wait_until() scales: hand it the unscaled rest */
	spent = (guint)((g_get_monotonic_time() - start) / 1000 * 1000 / rc_test_timeout(1000));
	wait_settled(self, timeout_ms > spent ? timeout_ms - spent : 1, "after the failover");
	return (guint)((g_get_monotonic_time() - start) / 1000);
}

void
rc_test_cluster_kill_node(RcTestCluster *self, guint16 port)
{
	Node *node = node_by_port(self, port);

	if (!node_running(node))
		fail("the node on port %u is not running", port);
	node_kill(node);
}

gboolean
rc_test_cluster_is_running(RcTestCluster *self, guint16 port)
{
	return node_running(node_by_port(self, port));
}

/* its old socket may linger briefly: retries */
static void
node_restart(RcTestCluster *self, Node *node)
{
	g_autoptr(GError) error = NULL;

	if (node_running(node))
		fail("the node on port %u is running", node->port);
	g_clear_object(&node->proc);
	if (self->master[node->shard] == node)
		self->killed[node->shard] = FALSE;
	for (guint attempt = 0; attempt < 10; attempt++) {
		g_clear_error(&error);
		if (node_spawn(self, node, &error) && node_wait_ready(node, &error))
			break;
		if (node->proc != NULL)
			node_kill(node);
		rc_test_sleep(200);
	}
	g_assert_no_error(error);
}

void
rc_test_cluster_restart_nodes(RcTestCluster *self, const guint16 *ports, guint n_ports)
{
	for (guint i = 0; i < n_ports; i++)
		node_restart(self, node_by_port(self, ports[i]));
	wait_settled(self, SETTLE_TIMEOUT_MS, "after a restart");
}

void
rc_test_cluster_restart_node(RcTestCluster *self, guint16 port)
{
	rc_test_cluster_restart_nodes(self, &port, 1);
}

/* ---------------------------------------------------------- resharding --- */

guint16
rc_test_cluster_slot_owner_seen_by(RcTestCluster *self, guint16 asked_port, guint16 slot)
{
	g_autofree gchar *text =
	    rc_test_cluster_command(self, asked_port, "CLUSTER", "NODES", NULL);
	g_autoptr(GPtrArray) lines = parse_nodes(text);

	return lines_slot_owner(lines, slot);
}

gint
rc_test_cluster_master_for_slot(RcTestCluster *self, guint16 slot)
{
	for (guint s = 0; s < RC_TEST_CLUSTER_N_MASTERS; s++) {
		guint16 owner;

		if (!node_running(self->master[s]))
			continue;
		owner = rc_test_cluster_slot_owner_seen_by(self, self->master[s]->port, slot);
		return owner != 0 ? (gint)node_by_port(self, owner)->shard : -1;
	}
	fail("no master of the test cluster is running");
	return -1;
}

typedef struct {
	RcTestCluster *cluster;
	guint16 slot;
	guint16 owner;
} OwnerWait;

static gboolean
all_see_owner(gpointer user_data)
{
	OwnerWait *w = user_data;

	for (guint i = 0; i < N_NODES; i++) {
		Node *node = &w->cluster->nodes[i];
		g_autofree gchar *text = NULL;
		g_autoptr(GPtrArray) lines = NULL;

		if (!node_running(node))
			continue;
		text = try_command(node->port, "CLUSTER", "NODES", NULL);
		lines = parse_nodes(text);
		if (lines_slot_owner(lines, w->slot) != w->owner)
			return FALSE;
	}
	return TRUE;
}

static void
migrate_keys(RcTestCluster *self, Node *src, Node *dst, guint16 slot)
{
	g_autofree gchar *slot_s = g_strdup_printf("%u", slot);
	g_autofree gchar *dst_port = g_strdup_printf("%u", dst->port);

	for (;;) {
		redisReply *keys = rc_test_cluster_command_reply(
		    self, src->port, "CLUSTER", "GETKEYSINSLOT", slot_s, "100", NULL);
		g_autoptr(GPtrArray) argv = g_ptr_array_new();
		g_autoptr(GArray) lens = g_array_new(FALSE, FALSE, sizeof(gsize));
		const gchar *head[] = {"MIGRATE", "127.0.0.1", dst_port, "", "0", "5000", "KEYS"};
		g_autofree gchar *errstr = NULL;
		redisReply *reply;

		if (keys->type != REDIS_REPLY_ARRAY)
			fail("CLUSTER GETKEYSINSLOT %u on port %u: %s",
			     slot,
			     src->port,
			     keys->str != NULL ? keys->str : "not an array");
		if (keys->elements == 0) {
			freeReplyObject(keys);
			return;
		}
		for (guint i = 0; i < G_N_ELEMENTS(head); i++) {
			gsize len = strlen(head[i]);
			g_ptr_array_add(argv, (gpointer)head[i]);
			g_array_append_val(lens, len);
		}
		/* keys are bytes: pass their lengths */
		for (gsize i = 0; i < keys->elements; i++) {
			g_ptr_array_add(argv, keys->element[i]->str);
			g_array_append_val(lens, keys->element[i]->len);
		}
		reply = command_argv(src->port,
				     (gint)argv->len,
				     (const gchar **)argv->pdata,
				     (const gsize *)lens->data,
				     &errstr);
		if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
			fail("MIGRATE of slot %u from %u to %u: %s",
			     slot,
			     src->port,
			     dst->port,
			     reply != NULL ? reply->str : errstr);
		freeReplyObject(reply);
		freeReplyObject(keys);
	}
}

void
rc_test_cluster_move_slot(RcTestCluster *self, guint16 slot, guint to_index)
{
	rc_test_cluster_move_slot_held(self, slot, to_index, 0, NULL);
}

void
rc_test_cluster_move_slot_held(RcTestCluster *self,
			       guint16 slot,
			       guint to_index,
			       guint hold_ms,
			       const gchar *first_key)
{
	g_autofree gchar *slot_s = g_strdup_printf("%u", slot);
	gint from_index = rc_test_cluster_master_for_slot(self, slot);
	Node *src, *dst;
	OwnerWait wait;

	g_assert_cmpuint(to_index, <, RC_TEST_CLUSTER_N_MASTERS);
	if (from_index < 0)
		fail("slot %u has no owner to move it from", slot);
	if ((guint)from_index == to_index)
		return;
	src = self->master[from_index];
	dst = self->master[to_index];
	if (!node_running(src) || !node_running(dst))
		fail("moving slot %u needs both masters (%u, %u) running",
		     slot,
		     src->port,
		     dst->port);

	/* importing first, so no ASK from the source finds a target that refuses */
	g_free(rc_test_cluster_command(
	    self, dst->port, "CLUSTER", "SETSLOT", slot_s, "IMPORTING", src->id, NULL));
	g_free(rc_test_cluster_command(
	    self, src->port, "CLUSTER", "SETSLOT", slot_s, "MIGRATING", dst->id, NULL));
	if (first_key != NULL) {
		g_autofree gchar *port = g_strdup_printf("%u", dst->port);
		g_autofree gchar *moved = rc_test_cluster_command(
		    self, src->port, "MIGRATE", "127.0.0.1", port, first_key, "0", "5000", NULL);
		if (g_strcmp0(moved, "OK") != 0)
			fail("MIGRATE of %s to %u: %s", first_key, dst->port, moved);
	}
	if (hold_ms > 0)
		rc_test_sleep(hold_ms);
	migrate_keys(self, src, dst, slot);
	/* the target first: it bumps its epoch and ends importing; then the
	 * source, so it stops redirecting with ASK; then everyone else */
	g_free(rc_test_cluster_command(
	    self, dst->port, "CLUSTER", "SETSLOT", slot_s, "NODE", dst->id, NULL));
	g_free(rc_test_cluster_command(
	    self, src->port, "CLUSTER", "SETSLOT", slot_s, "NODE", dst->id, NULL));
	for (guint s = 0; s < RC_TEST_CLUSTER_N_MASTERS; s++) {
		Node *m = self->master[s];
		if (m != src && m != dst && node_running(m))
			g_free(rc_test_cluster_command(
			    self, m->port, "CLUSTER", "SETSLOT", slot_s, "NODE", dst->id, NULL));
	}
	wait.cluster = self;
	wait.slot = slot;
	wait.owner = dst->port;
	if (!rc_test_wait_until(all_see_owner, &wait, SETTLE_TIMEOUT_MS))
		fail("not every node sees slot %u on port %u", slot, dst->port);
}

/* ------------------------------------------------------------ teardown --- */

void
rc_test_cluster_free(RcTestCluster *self)
{
	if (self == NULL)
		return;
	for (guint i = 0; i < N_NODES; i++) {
		/* no goodbye needed: nothing of a test cluster is worth keeping */
		if (self->nodes[i].proc != NULL && g_subprocess_get_identifier(self->nodes[i].proc))
			g_subprocess_send_signal(self->nodes[i].proc, SIGKILL);
	}
	for (guint i = 0; i < N_NODES; i++) {
		node_kill(&self->nodes[i]);
		g_free(self->nodes[i].id);
	}
	remove_dir(self->dir);
	g_free(self->dir);
	g_free(self->seeds);
	g_free(self);
}
