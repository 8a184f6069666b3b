/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcRedisRouter"

#include "config.h"

#include <string.h>

#include "bus/rc-redis-router.h"
#include "bus/rc-redis-slots.h"

/* the layout is asked for this often while a shard is down or a slot unserved… */
#define RC_ROUTER_REFRESH_AMISS_MS 1000
/* …and this often when all is well, to notice a resharding nobody redirected us to */
#define RC_ROUTER_REFRESH_IDLE_MS 10000
/* redirections and refusals one command may meet before it fails */
#define RC_ROUTER_MAX_ATTEMPTS 16
/* pause before a command the cluster refused for now (TRYAGAIN, CLUSTERDOWN) is retried */
#define RC_ROUTER_RETRY_MS 100

typedef struct {
	RcRedisRouter *router; /* not a reference: the router owns its shards */
	gchar *address;
	RcRedisLink *link;
	gboolean up;
} RcRedisShard;

struct _RcRedisRouter {
	GObject parent_instance;
	gboolean cluster;
	gboolean running;
	GPtrArray *seeds;	     /* RcRedisEndpoint */
	GPtrArray *scripts;	     /* RcRedisScript, not owned */
	GHashTable *shards;	     /* address → RcRedisShard */
	RcRedisShard *single;	     /* the one server when not a cluster */
	RcRedisTopology *topology;   /* NULL until first learnt */
	GPtrArray *topology_shards;  /* topology shard index → RcRedisShard (NULL: none) */
	GPtrArray *waiting;	     /* RcRedisRequest waiting for a refresh */
	GQueue refused;		     /* RcRedisRequest refused for now, in the order they were */
	guint refused_id;
	/* the refresh under way */
	gboolean refreshing;
	gboolean refresh_again;
	GPtrArray *candidates; /* RcRedisEndpoint to ask, in order */
	guint candidate;
	RcRedisConnection *asking;
	gboolean asking_slots; /* it answered CLUSTER SHARDS with an error: CLUSTER SLOTS */
	GCancellable *refresh_cancellable;
	gchar *refresh_error;
	gchar *layout_error; /* why no node told the layout, until one does */
	gboolean warned;
	gint64 last_refresh;
	guint timer_id;
	guint soon_id;
};

G_DEFINE_TYPE(RcRedisRouter, rc_redis_router, G_TYPE_OBJECT)

enum { SIGNAL_CHANGED, SIGNAL_SHARD_OPENED, SIGNAL_FAILED, SIGNAL_LAST };
static guint signals[SIGNAL_LAST] = {0};

static gchar *
rc_redis_router_address(const gchar *host, guint16 port)
{
	return g_strdup_printf("%s:%u", host, port);
}

/* ---- shards ------------------------------------------------------------------ */

static void
rc_redis_shard_update(RcRedisShard *shard)
{
	gboolean up = rc_redis_link_is_ready(shard->link);
	if (up == shard->up)
		return;
	shard->up = up;
	g_signal_emit(shard->router, signals[SIGNAL_CHANGED], 0);
}

static void
rc_redis_shard_opened_cb(RcRedisLink *link, RcRedisShard *shard)
{
	RcRedisConnection *conn = rc_redis_link_get_connection(link);
	RcRedisRouter *self = shard->router;

	for (guint i = 0; i < self->scripts->len; i++)
		rc_redis_script_load(g_ptr_array_index(self->scripts, i), conn);
	rc_redis_link_set_ready(link, TRUE);
	rc_redis_shard_update(shard);
	g_signal_emit(self, signals[SIGNAL_SHARD_OPENED], 0, shard->address);
}

static void
rc_redis_shard_lost_cb(RcRedisLink *link, RcRedisShard *shard)
{
	rc_redis_shard_update(shard);
	g_signal_emit(shard->router, signals[SIGNAL_FAILED], 0);
	/* a master that went away may have been replaced: ask who serves its slots */
	if (shard->router->cluster)
		rc_redis_router_refresh(shard->router);
}

static RcRedisShard *
rc_redis_shard_new(RcRedisRouter *self, const RcRedisEndpoint *endpoint)
{
	RcRedisShard *shard = g_new0(RcRedisShard, 1);
	g_autofree gchar *name = NULL;

	shard->router = self;
	shard->address = endpoint->unix_path != NULL
			     ? g_strdup(endpoint->unix_path)
			     : rc_redis_router_address(endpoint->host, endpoint->port);
	name = g_strdup_printf("command %s", shard->address);
	shard->link = rc_redis_link_new(name, endpoint);
	g_signal_connect(shard->link, "opened", G_CALLBACK(rc_redis_shard_opened_cb), shard);
	g_signal_connect(shard->link, "lost", G_CALLBACK(rc_redis_shard_lost_cb), shard);
	if (self->running)
		rc_redis_link_start(shard->link);
	return shard;
}

static void
rc_redis_shard_free(RcRedisShard *shard)
{
	g_signal_handlers_disconnect_by_data(shard->link, shard);
	rc_redis_link_stop(shard->link);
	g_object_unref(shard->link);
	g_free(shard->address);
	g_free(shard);
}

static RcRedisShard *
rc_redis_router_shard_for_slot(RcRedisRouter *self, guint16 slot)
{
	gint index;

	if (!self->cluster)
		return self->single;
	if (self->topology == NULL)
		return NULL;
	index = rc_redis_topology_shard_for_slot(self->topology, slot);
	if (index == RC_REDIS_SHARD_NONE)
		return NULL;
	return g_ptr_array_index(self->topology_shards, index);
}

static RcRedisShard *
rc_redis_router_shard_for_key(RcRedisRouter *self, const gchar *key)
{
	if (!self->cluster)
		return self->single;
	return rc_redis_router_shard_for_slot(self, rc_redis_key_slot(key, strlen(key)));
}

/* ---- requests ---------------------------------------------------------------- */

typedef struct {
	RcRedisRouter *router;
	guint16 slot;
	RcRedisScript *script;
	RcRedisArgs *args; /* for a script: numkeys, keys, arguments */
	RcRedisReplyFunc func;
	gpointer user_data;
	guint attempts;
	gchar *redirect; /* the address the last MOVED or ASK named */
	gboolean asking;
} RcRedisRequest;

static void
rc_redis_request_free(RcRedisRequest *req)
{
	g_object_unref(req->router);
	rc_redis_args_unref(req->args);
	g_free(req->redirect);
	g_free(req);
}

static void
rc_redis_request_finish(RcRedisRequest *req,
			RcRedisConnection *conn,
			redisReply *reply,
			const GError *error)
{
	if (req->func != NULL)
		req->func(conn, reply, error, req->user_data);
	rc_redis_request_free(req);
}

static gboolean
rc_redis_request_fail_cb(gpointer user_data)
{
	RcRedisRequest *req = user_data;
	g_autoptr(GError) error = g_error_new_literal(G_IO_ERROR,
						      G_IO_ERROR_NOT_CONNECTED,
						      "no connected Redis serves this key");
	rc_redis_request_finish(req, NULL, NULL, error);
	return G_SOURCE_REMOVE;
}

static void rc_redis_request_reply_cb(RcRedisConnection *conn,
				      redisReply *reply,
				      const GError *error,
				      gpointer user_data);

static void
rc_redis_request_send(RcRedisRequest *req)
{
	RcRedisRouter *self = req->router;
	RcRedisShard *shard = NULL;
	RcRedisConnection *conn;

	if (req->redirect != NULL)
		shard = g_hash_table_lookup(self->shards, req->redirect);
	if (shard == NULL && !req->asking)
		shard = rc_redis_router_shard_for_slot(self, req->slot);
	conn = shard != NULL && shard->up ? rc_redis_link_get_connection(shard->link) : NULL;
	if (conn == NULL) {
		/* a redirection to a master not known yet: the refresh brings it */
		if (req->redirect != NULL && self->refreshing) {
			g_ptr_array_add(self->waiting, req);
			return;
		}
		/* callbacks never run inside the call that issued the command */
		g_idle_add(rc_redis_request_fail_cb, req);
		return;
	}
	if (req->asking)
		rc_redis_connection_command(conn, NULL, NULL, "ASKING", NULL);
	if (req->script != NULL) {
		rc_redis_script_call_args(req->script, conn, req->args, rc_redis_request_reply_cb, req);
	} else {
		rc_redis_connection_command_argv(conn,
						 req->args->argc,
						 req->args->argv,
						 req->args->lens,
						 rc_redis_request_reply_cb,
						 req);
	}
}

/* Commands the cluster refused for now (TRYAGAIN while a slot migrates,
 * CLUSTERDOWN during a failover) go again together, in the order they were
 * refused, pipelined. Each on a timer of its own, a sender's later message could
 * pass an earlier one whose timer fell after the slot settled, and get the
 * smaller offset. */
static gboolean
rc_redis_router_retry_cb(gpointer user_data)
{
	g_autoptr(RcRedisRouter) self = g_object_ref(RC_REDIS_ROUTER(user_data));
	GQueue due = self->refused;

	g_queue_init(&self->refused);
	self->refused_id = 0;
	while (!g_queue_is_empty(&due))
		rc_redis_request_send(g_queue_pop_head(&due));
	return G_SOURCE_REMOVE;
}

/* each queued request holds a reference: the router outlives the timer */
static void
rc_redis_router_hold(RcRedisRouter *self, RcRedisRequest *req)
{
	g_queue_push_tail(&self->refused, req);
	if (self->refused_id == 0)
		self->refused_id = g_timeout_add(RC_ROUTER_RETRY_MS, rc_redis_router_retry_cb, self);
}

static gboolean
rc_redis_router_slot_refused(RcRedisRouter *self, guint16 slot)
{
	for (GList *l = self->refused.head; l != NULL; l = l->next) {
		if (((RcRedisRequest *)l->data)->slot == slot)
			return TRUE;
	}
	return FALSE;
}

static void
rc_redis_request_reply_cb(RcRedisConnection *conn,
			  redisReply *reply,
			  const GError *error,
			  gpointer user_data)
{
	RcRedisRequest *req = user_data;
	RcRedisRouter *self = req->router;
	gboolean ask = FALSE;
	g_autofree gchar *host = NULL;
	guint16 port = 0;

	if (reply == NULL || reply->type != REDIS_REPLY_ERROR || !self->cluster ||
	    req->attempts >= RC_ROUTER_MAX_ATTEMPTS) {
		rc_redis_request_finish(req, conn, reply, error);
		return;
	}
	req->attempts++;
	if (rc_redis_parse_redirect(reply, &ask, NULL, &host, &port)) {
		const RcRedisEndpoint *from = rc_redis_connection_get_endpoint(conn);
		g_free(req->redirect);
		req->redirect = rc_redis_router_address(host != NULL ? host : from->host, port);
		req->asking = ask;
		g_debug("%s to %s", ask ? "ASK" : "MOVED", req->redirect);
		/* MOVED: the layout changed for good; ASK: a slot is on its way */
		if (!ask)
			rc_redis_router_refresh(self);
		rc_redis_request_send(req);
		return;
	}
	if (g_str_has_prefix(reply->str, "TRYAGAIN") || g_str_has_prefix(reply->str, "CLUSTERDOWN")) {
		g_debug("retrying after: %s", reply->str);
		rc_redis_router_hold(self, req);
		return;
	}
	rc_redis_request_finish(req, conn, reply, error);
}

void
rc_redis_router_command(RcRedisRouter *self,
			const gchar *key,
			RcRedisScript *script,
			guint n_keys,
			guint argc,
			const gchar *const *argv,
			const gsize *lens,
			RcRedisReplyFunc func,
			gpointer user_data)
{
	RcRedisRequest *req = g_new0(RcRedisRequest, 1);

	g_return_if_fail(RC_IS_REDIS_ROUTER(self));
	req->router = g_object_ref(self);
	req->slot = self->cluster ? rc_redis_key_slot(key, strlen(key)) : 0;
	req->script = script;
	req->func = func;
	req->user_data = user_data;
	req->args = script != NULL ? rc_redis_script_args_new(n_keys, argc, argv, lens)
				   : rc_redis_args_new(NULL, argc, argv, lens);
	/* behind what waits for its slot: sent now, it could run first */
	if (!g_queue_is_empty(&self->refused) && rc_redis_router_slot_refused(self, req->slot)) {
		rc_redis_router_hold(self, req);
		return;
	}
	rc_redis_request_send(req);
}

/* ---- the layout ---------------------------------------------------------------- */

static RcRedisEndpoint *
rc_redis_router_endpoint_for(RcRedisRouter *self, const gchar *host, guint16 port)
{
	RcRedisEndpoint *ep = rc_redis_endpoint_copy(g_ptr_array_index(self->seeds, 0));
	g_free(ep->host);
	g_clear_pointer(&ep->unix_path, g_free);
	ep->host = g_strdup(host);
	ep->port = port;
	return ep;
}

/* a node's port as the seeds speak: TLS when they do */
static guint16
rc_redis_router_node_port(RcRedisRouter *self, const RcRedisNode *node)
{
	const RcRedisEndpoint *seed = g_ptr_array_index(self->seeds, 0);
	if (seed->tls && node->tls_port != 0)
		return node->tls_port;
	return node->port;
}

static void
rc_redis_router_apply(RcRedisRouter *self, RcRedisTopology *topology)
{
	g_autoptr(GHashTable) shards =
	    g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)rc_redis_shard_free);
	g_autoptr(GPtrArray) index = g_ptr_array_new();
	gboolean changed = self->topology == NULL ||
			   !rc_redis_topology_same_owners(self->topology, topology);
	GHashTableIter iter;
	gpointer value;
	g_autoptr(GPtrArray) waiting = NULL;

	for (guint i = 0; i < rc_redis_topology_get_n_shards(topology); i++) {
		const RcRedisNode *master = rc_redis_topology_get_master(topology, i);
		const gchar *host = master->host;
		guint16 port = rc_redis_router_node_port(self, master);
		g_autofree gchar *address = rc_redis_router_address(host, port);
		RcRedisShard *shard = NULL;

		if (rc_redis_topology_get_n_slots(topology, i) == 0 || port == 0) {
			g_ptr_array_add(index, NULL);
			continue;
		}
		if (!g_hash_table_steal_extended(self->shards, address, NULL, (gpointer *)&shard)) {
			g_autoptr(RcRedisEndpoint) ep = rc_redis_router_endpoint_for(self, host, port);
			shard = rc_redis_shard_new(self, ep);
			changed = TRUE;
		}
		g_hash_table_insert(shards, shard->address, shard);
		g_ptr_array_add(index, shard);
	}
	/* what is left serves nothing any more */
	g_hash_table_iter_init(&iter, self->shards);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		g_debug("%s no longer serves slots", ((RcRedisShard *)value)->address);
		changed = TRUE;
	}
	g_hash_table_unref(self->shards);
	self->shards = g_steal_pointer(&shards);
	g_ptr_array_unref(self->topology_shards);
	self->topology_shards = g_steal_pointer(&index);
	g_clear_pointer(&self->topology, rc_redis_topology_unref);
	self->topology = rc_redis_topology_ref(topology);
	if (changed) {
		g_autofree gchar *text = rc_redis_topology_to_string(topology);
		g_message("Redis Cluster layout: %s", text);
	}
	/* redirected commands that waited for this */
	waiting = g_steal_pointer(&self->waiting);
	self->waiting = g_ptr_array_new();
	for (guint i = 0; i < waiting->len; i++)
		rc_redis_request_send(g_ptr_array_index(waiting, i));
	if (changed)
		g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

static void rc_redis_router_ask_next(RcRedisRouter *self);

static void
rc_redis_router_refresh_done(RcRedisRouter *self, RcRedisTopology *topology)
{
	g_autoptr(GPtrArray) waiting = NULL;

	if (self->asking != NULL) {
		g_signal_handlers_disconnect_by_data(self->asking, self);
		rc_redis_connection_close(self->asking);
		g_clear_object(&self->asking);
	}
	g_clear_object(&self->refresh_cancellable);
	g_clear_pointer(&self->candidates, g_ptr_array_unref);
	self->refreshing = FALSE;
	self->last_refresh = g_get_monotonic_time();
	if (topology != NULL) {
		if (self->warned)
			g_message("learnt the Redis Cluster layout again");
		self->warned = FALSE;
		g_clear_pointer(&self->layout_error, g_free);
		rc_redis_router_apply(self, topology);
	} else {
		/* the owner says it, once, with whatever else it knows (get_error) */
		if (!self->warned) {
			g_free(self->layout_error);
			self->layout_error = g_strdup_printf(
			    "cannot learn the Redis Cluster layout from any known node: %s",
			    self->refresh_error != NULL ? self->refresh_error : "no node");
			g_debug("%s", self->layout_error);
		}
		self->warned = TRUE;
		/* nothing learnt: whatever waited for it fails */
		waiting = g_steal_pointer(&self->waiting);
		self->waiting = g_ptr_array_new();
		for (guint i = 0; i < waiting->len; i++) {
			RcRedisRequest *req = g_ptr_array_index(waiting, i);
			g_clear_pointer(&req->redirect, g_free);
			req->asking = FALSE;
			g_idle_add(rc_redis_request_fail_cb, req);
		}
		if (self->running)
			g_signal_emit(self, signals[SIGNAL_FAILED], 0);
	}
	g_clear_pointer(&self->refresh_error, g_free);
	if (self->refresh_again) {
		self->refresh_again = FALSE;
		rc_redis_router_refresh(self);
	}
}

static void
rc_redis_router_set_refresh_error(RcRedisRouter *self, const gchar *what, const gchar *message)
{
	g_free(self->refresh_error);
	self->refresh_error = g_strdup_printf("%s: %s", what, message);
	g_debug("layout refresh: %s", self->refresh_error);
}

static void
rc_redis_router_layout_cb(RcRedisConnection *conn,
			  redisReply *reply,
			  const GError *error,
			  gpointer user_data)
{
	RcRedisRouter *self = RC_REDIS_ROUTER(user_data);
	g_autoptr(RcRedisRouter) keep G_GNUC_UNUSED = self;
	const RcRedisEndpoint *ep = rc_redis_connection_get_endpoint(conn);
	g_autofree gchar *address = rc_redis_router_address(ep->host, ep->port);
	g_autoptr(RcRedisTopology) topology = NULL;
	g_autoptr(GError) error_local = NULL;
	gboolean slots = self->asking_slots;

	if (conn != self->asking)
		return;
	if (reply == NULL) {
		rc_redis_router_set_refresh_error(self, address, error->message);
		rc_redis_router_ask_next(self);
		return;
	}
	topology = slots ? rc_redis_topology_new_from_slots(reply, ep->host, &error_local)
			 : rc_redis_topology_new_from_shards(reply, ep->host, &error_local);
	if (topology == NULL && !slots &&
	    g_error_matches(error_local, RC_REDIS_TOPOLOGY_ERROR, RC_REDIS_TOPOLOGY_ERROR_SERVER) &&
	    strstr(error_local->message, "cluster support disabled") == NULL) {
		/* a server older than CLUSTER SHARDS */
		self->asking_slots = TRUE;
		rc_redis_connection_command(conn,
					    rc_redis_router_layout_cb,
					    g_object_ref(self),
					    "CLUSTER",
					    "SLOTS",
					    NULL);
		return;
	}
	if (topology == NULL || rc_redis_topology_get_n_shards(topology) == 0) {
		rc_redis_router_set_refresh_error(self,
						  address,
						  topology == NULL ? error_local->message
								   : "the cluster has no masters");
		rc_redis_router_ask_next(self);
		return;
	}
	rc_redis_router_refresh_done(self, topology);
}

static void
rc_redis_router_asking_connected_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcRedisRouter *self = RC_REDIS_ROUTER(user_data);
	g_autoptr(RcRedisRouter) keep G_GNUC_UNUSED = self;
	RcRedisConnection *conn = RC_REDIS_CONNECTION(source);
	g_autoptr(GError) error = NULL;

	if (!rc_redis_connection_connect_finish(conn, res, &error)) {
		const RcRedisEndpoint *ep;
		g_autofree gchar *address = NULL;
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || conn != self->asking)
			return;
		ep = rc_redis_connection_get_endpoint(conn);
		address = rc_redis_router_address(ep->host, ep->port);
		rc_redis_router_set_refresh_error(self, address, error->message);
		rc_redis_router_ask_next(self);
		return;
	}
	rc_redis_connection_command(conn,
				    rc_redis_router_layout_cb,
				    g_object_ref(self),
				    "CLUSTER",
				    "SHARDS",
				    NULL);
}

static void
rc_redis_router_ask_next(RcRedisRouter *self)
{
	const RcRedisEndpoint *ep;

	if (self->asking != NULL) {
		rc_redis_connection_close(self->asking);
		g_clear_object(&self->asking);
	}
	if (self->candidate >= self->candidates->len) {
		rc_redis_router_refresh_done(self, NULL);
		return;
	}
	ep = g_ptr_array_index(self->candidates, self->candidate++);
	self->asking = rc_redis_connection_new(ep);
	self->asking_slots = FALSE;
	rc_redis_connection_connect_async(self->asking,
					  self->refresh_cancellable,
					  rc_redis_router_asking_connected_cb,
					  g_object_ref(self));
}

static void
rc_redis_router_add_candidate(RcRedisRouter *self,
			      GHashTable *seen,
			      const gchar *host,
			      guint16 port,
			      const RcRedisEndpoint *ep)
{
	g_autofree gchar *address = rc_redis_router_address(host, port);

	if (g_hash_table_contains(seen, address))
		return;
	g_hash_table_add(seen, g_steal_pointer(&address));
	g_ptr_array_add(self->candidates,
			ep != NULL ? rc_redis_endpoint_copy(ep)
				   : rc_redis_router_endpoint_for(self, host, port));
}

/* asks the masters that answer now, then the seeds, then every other node it knows */
static void
rc_redis_router_refresh_start(RcRedisRouter *self)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GHashTableIter iter;
	gpointer value;

	self->refreshing = TRUE;
	self->candidates = g_ptr_array_new_with_free_func((GDestroyNotify)rc_redis_endpoint_free);
	self->candidate = 0;
	g_hash_table_iter_init(&iter, self->shards);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		RcRedisShard *shard = value;
		const RcRedisEndpoint *ep = rc_redis_link_get_endpoint(shard->link);
		if (shard->up)
			rc_redis_router_add_candidate(self, seen, ep->host, ep->port, ep);
	}
	for (guint i = 0; i < self->seeds->len; i++) {
		const RcRedisEndpoint *ep = g_ptr_array_index(self->seeds, i);
		rc_redis_router_add_candidate(self, seen, ep->host, ep->port, ep);
	}
	for (guint i = 0; self->topology != NULL && i < rc_redis_topology_get_n_shards(self->topology);
	     i++) {
		const RcRedisNode *node = rc_redis_topology_get_master(self->topology, i);
		if (rc_redis_router_node_port(self, node) != 0)
			rc_redis_router_add_candidate(
			    self, seen, node->host, rc_redis_router_node_port(self, node), NULL);
		for (guint j = 0; j < rc_redis_topology_get_n_replicas(self->topology, i); j++) {
			node = rc_redis_topology_get_replica(self->topology, i, j);
			if (rc_redis_router_node_port(self, node) != 0)
				rc_redis_router_add_candidate(self,
							      seen,
							      node->host,
							      rc_redis_router_node_port(self, node),
							      NULL);
		}
	}
	self->refresh_cancellable = g_cancellable_new();
	rc_redis_router_ask_next(self);
}

static gboolean
rc_redis_router_soon_cb(gpointer user_data)
{
	RcRedisRouter *self = RC_REDIS_ROUTER(user_data);
	self->soon_id = 0;
	if (!self->running)
		return G_SOURCE_REMOVE;
	if (self->refreshing)
		self->refresh_again = TRUE;
	else
		rc_redis_router_refresh_start(self);
	return G_SOURCE_REMOVE;
}

void
rc_redis_router_refresh(RcRedisRouter *self)
{
	g_return_if_fail(RC_IS_REDIS_ROUTER(self));
	if (!self->cluster || !self->running || self->soon_id != 0)
		return;
	self->soon_id = g_idle_add(rc_redis_router_soon_cb, self);
}

static gboolean
rc_redis_router_amiss(RcRedisRouter *self)
{
	GHashTableIter iter;
	gpointer value;

	if (self->topology == NULL || rc_redis_topology_get_n_unassigned(self->topology) > 0)
		return TRUE;
	g_hash_table_iter_init(&iter, self->shards);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		if (!((RcRedisShard *)value)->up)
			return TRUE;
	}
	return FALSE;
}

static gboolean
rc_redis_router_timer_cb(gpointer user_data)
{
	RcRedisRouter *self = RC_REDIS_ROUTER(user_data);
	gint64 idle = g_get_monotonic_time() - self->last_refresh;

	if (rc_redis_router_amiss(self) || idle >= RC_ROUTER_REFRESH_IDLE_MS * (gint64)1000)
		rc_redis_router_refresh(self);
	return G_SOURCE_CONTINUE;
}

/* ---- public ------------------------------------------------------------------ */

void
rc_redis_router_add_script(RcRedisRouter *self, RcRedisScript *script)
{
	g_return_if_fail(RC_IS_REDIS_ROUTER(self));
	g_ptr_array_add(self->scripts, script);
}

void
rc_redis_router_start(RcRedisRouter *self)
{
	g_return_if_fail(RC_IS_REDIS_ROUTER(self));
	if (self->running)
		return;
	self->running = TRUE;
	if (!self->cluster) {
		rc_redis_link_start(self->single->link);
		return;
	}
	self->timer_id = g_timeout_add(RC_ROUTER_REFRESH_AMISS_MS, rc_redis_router_timer_cb, self);
	rc_redis_router_refresh_start(self);
}

void
rc_redis_router_stop(RcRedisRouter *self)
{
	GHashTableIter iter;
	gpointer value;

	g_return_if_fail(RC_IS_REDIS_ROUTER(self));
	self->running = FALSE;
	g_clear_handle_id(&self->timer_id, g_source_remove);
	g_clear_handle_id(&self->soon_id, g_source_remove);
	if (self->refresh_cancellable != NULL)
		g_cancellable_cancel(self->refresh_cancellable);
	if (self->refreshing) {
		self->refresh_again = FALSE;
		self->warned = TRUE; /* no warning for a refresh cut short */
		rc_redis_router_refresh_done(self, NULL);
	}
	g_hash_table_iter_init(&iter, self->shards);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		rc_redis_link_stop(((RcRedisShard *)value)->link);
}

gboolean
rc_redis_router_is_cluster(RcRedisRouter *self)
{
	return self->cluster;
}

gboolean
rc_redis_router_key_is_up(RcRedisRouter *self, const gchar *key)
{
	RcRedisShard *shard = rc_redis_router_shard_for_key(self, key);
	return shard != NULL && shard->up;
}

gboolean
rc_redis_router_has_shard(RcRedisRouter *self, const gchar *address)
{
	return g_hash_table_contains(self->shards, address);
}

const gchar *
rc_redis_router_get_shard_for_key(RcRedisRouter *self, const gchar *key)
{
	RcRedisShard *shard = rc_redis_router_shard_for_key(self, key);
	return shard != NULL ? shard->address : NULL;
}

const RcRedisEndpoint *
rc_redis_router_get_endpoint_for_key(RcRedisRouter *self, const gchar *key)
{
	RcRedisShard *shard = rc_redis_router_shard_for_key(self, key);
	return shard != NULL ? rc_redis_link_get_endpoint(shard->link) : NULL;
}

const RcRedisEndpoint *
rc_redis_router_get_first_endpoint(RcRedisRouter *self)
{
	return g_ptr_array_index(self->seeds, 0);
}

const gchar *
rc_redis_router_get_error(RcRedisRouter *self)
{
	GHashTableIter iter;
	gpointer value;
	RcRedisShard *first = NULL;

	g_return_val_if_fail(RC_IS_REDIS_ROUTER(self), NULL);
	if (self->cluster && self->topology == NULL)
		return self->layout_error;
	/* the same shard every time, so that the reason does not flip between two */
	g_hash_table_iter_init(&iter, self->shards);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		RcRedisShard *shard = value;
		if (!shard->up && rc_redis_link_get_error(shard->link) != NULL &&
		    (first == NULL || strcmp(shard->address, first->address) < 0))
			first = shard;
	}
	if (first != NULL)
		return rc_redis_link_get_error(first->link)->message;
	return self->layout_error;
}

void
rc_redis_router_set_password(RcRedisRouter *self, const gchar *password)
{
	GHashTableIter iter;
	gpointer value;

	g_return_if_fail(RC_IS_REDIS_ROUTER(self));
	for (guint i = 0; i < self->seeds->len; i++)
		rc_redis_endpoint_set_password(g_ptr_array_index(self->seeds, i), password);
	g_hash_table_iter_init(&iter, self->shards);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		RcRedisShard *shard = value;
		g_autoptr(RcRedisEndpoint) ep =
		    rc_redis_endpoint_copy(rc_redis_link_get_endpoint(shard->link));
		rc_redis_endpoint_set_password(ep, password);
		rc_redis_link_set_endpoint(shard->link, ep);
	}
	/* a cluster that refused the old one may tell its layout now */
	if (self->cluster && self->topology == NULL)
		rc_redis_router_refresh(self);
}

guint
rc_redis_router_get_n_pending(RcRedisRouter *self)
{
	GHashTableIter iter;
	gpointer value;
	guint n = self->waiting->len;

	g_hash_table_iter_init(&iter, self->shards);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		RcRedisConnection *conn = rc_redis_link_get_connection(((RcRedisShard *)value)->link);
		if (conn != NULL)
			n += rc_redis_connection_get_n_pending(conn);
	}
	return n;
}

guint
rc_redis_router_get_n_shards(RcRedisRouter *self)
{
	/* before the layout is known, the cluster counts as one shard that is down */
	return MAX(g_hash_table_size(self->shards), 1);
}

guint
rc_redis_router_get_n_shards_up(RcRedisRouter *self)
{
	GHashTableIter iter;
	gpointer value;
	guint n = 0;

	g_hash_table_iter_init(&iter, self->shards);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		n += ((RcRedisShard *)value)->up ? 1 : 0;
	return n;
}

/* ---- life cycle -------------------------------------------------------------- */

static void
rc_redis_router_dispose(GObject *object)
{
	RcRedisRouter *self = RC_REDIS_ROUTER(object);
	if (self->running)
		rc_redis_router_stop(self);
	g_hash_table_remove_all(self->shards);
	self->single = NULL;
	G_OBJECT_CLASS(rc_redis_router_parent_class)->dispose(object);
}

static void
rc_redis_router_finalize(GObject *object)
{
	RcRedisRouter *self = RC_REDIS_ROUTER(object);
	g_hash_table_unref(self->shards);
	g_ptr_array_unref(self->topology_shards);
	g_ptr_array_unref(self->waiting);
	g_ptr_array_unref(self->scripts);
	g_ptr_array_unref(self->seeds);
	g_clear_pointer(&self->topology, rc_redis_topology_unref);
	g_free(self->refresh_error);
	g_free(self->layout_error);
	G_OBJECT_CLASS(rc_redis_router_parent_class)->finalize(object);
}

static void
rc_redis_router_class_init(RcRedisRouterClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = rc_redis_router_dispose;
	object_class->finalize = rc_redis_router_finalize;
	signals[SIGNAL_CHANGED] = g_signal_new("changed",
					       G_TYPE_FROM_CLASS(klass),
					       G_SIGNAL_RUN_LAST,
					       0,
					       NULL,
					       NULL,
					       NULL,
					       G_TYPE_NONE,
					       0);
	signals[SIGNAL_SHARD_OPENED] = g_signal_new("shard-opened",
						    G_TYPE_FROM_CLASS(klass),
						    G_SIGNAL_RUN_LAST,
						    0,
						    NULL,
						    NULL,
						    NULL,
						    G_TYPE_NONE,
						    1,
						    G_TYPE_STRING);
	signals[SIGNAL_FAILED] = g_signal_new("failed",
					      G_TYPE_FROM_CLASS(klass),
					      G_SIGNAL_RUN_LAST,
					      0,
					      NULL,
					      NULL,
					      NULL,
					      G_TYPE_NONE,
					      0);
}

static void
rc_redis_router_init(RcRedisRouter *self)
{
	self->shards =
	    g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)rc_redis_shard_free);
	self->topology_shards = g_ptr_array_new();
	self->waiting = g_ptr_array_new();
	self->scripts = g_ptr_array_new();
	self->seeds = g_ptr_array_new_with_free_func((GDestroyNotify)rc_redis_endpoint_free);
}

RcRedisRouter *
rc_redis_router_new_single(const RcRedisEndpoint *endpoint)
{
	RcRedisRouter *self = g_object_new(RC_TYPE_REDIS_ROUTER, NULL);
	g_ptr_array_add(self->seeds, rc_redis_endpoint_copy(endpoint));
	self->single = rc_redis_shard_new(self, endpoint);
	g_hash_table_insert(self->shards, self->single->address, self->single);
	return self;
}

RcRedisRouter *
rc_redis_router_new_cluster(GPtrArray *seeds)
{
	RcRedisRouter *self = g_object_new(RC_TYPE_REDIS_ROUTER, NULL);

	g_return_val_if_fail(seeds != NULL && seeds->len > 0, NULL);
	self->cluster = TRUE;
	for (guint i = 0; i < seeds->len; i++)
		g_ptr_array_add(self->seeds, rc_redis_endpoint_copy(g_ptr_array_index(seeds, i)));
	return self;
}
