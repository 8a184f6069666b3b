/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcRedisSlots"

#include "config.h"

#include <string.h>

#include "bus/rc-redis-slots.h"

/* ------------------------------------------------------------ hash slot --- */

/* CRC-16/XMODEM: polynomial 0x1021, initial value 0, no reflection, no final
 * xor. A byte at a time from a table: a cluster node computes a slot for
 * every message it publishes, and bit by bit that was 500 instructions for a
 * room's tag. */
static guint16 crc16_table[256];

static void
crc16_table_init(void)
{
	static gsize done = 0;

	if (!g_once_init_enter(&done))
		return;
	for (guint i = 0; i < 256; i++) {
		guint16 crc = (guint16)(i << 8);
		for (guint bit = 0; bit < 8; bit++)
			crc = (crc & 0x8000) ? (guint16)((crc << 1) ^ 0x1021) : (guint16)(crc << 1);
		crc16_table[i] = crc;
	}
	g_once_init_leave(&done, 1);
}

static guint16
crc16_xmodem(const guint8 *data, gsize len)
{
	guint16 crc = 0;

	crc16_table_init();
	for (gsize i = 0; i < len; i++)
		crc = (guint16)((crc << 8) ^ crc16_table[((crc >> 8) ^ data[i]) & 0xff]);
	return crc;
}

guint16
rc_redis_key_slot(const gchar *key, gsize len)
{
	const gchar *open = len > 0 ? memchr(key, '{', len) : NULL;

	if (open != NULL) {
		const gchar *tag = open + 1;
		gsize rest = len - (gsize)(tag - key);
		const gchar *close = rest > 0 ? memchr(tag, '}', rest) : NULL;

		if (close != NULL && close > tag)
			return crc16_xmodem((const guint8 *)tag, (gsize)(close - tag)) &
			       (RC_REDIS_SLOT_COUNT - 1);
	}
	return crc16_xmodem((const guint8 *)key, len) & (RC_REDIS_SLOT_COUNT - 1);
}

/* ---------------------------------------------------------- redirection --- */

/* a decimal number without sign or leading junk, at most @max */
static gboolean
parse_uint(const gchar *s, gsize len, guint64 max, guint64 *out)
{
	guint64 v = 0;

	if (len == 0 || len > 20)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isdigit(s[i]))
			return FALSE;
		v = v * 10 + (guint64)(s[i] - '0');
		if (v > max)
			return FALSE;
	}
	*out = v;
	return TRUE;
}

gboolean
rc_redis_parse_redirect(
    const redisReply *error_reply, gboolean *ask, guint16 *slot, gchar **host, guint16 *port)
{
	const gchar *s, *end, *space, *endpoint, *colon;
	gboolean is_ask;
	guint64 slot_v, port_v;
	gsize host_len;

	if (error_reply == NULL || error_reply->type != REDIS_REPLY_ERROR ||
	    error_reply->str == NULL)
		return FALSE;
	s = error_reply->str;
	end = s + error_reply->len;
	if (error_reply->len > 6 && memcmp(s, "MOVED ", 6) == 0) {
		is_ask = FALSE;
		s += 6;
	} else if (error_reply->len > 4 && memcmp(s, "ASK ", 4) == 0) {
		is_ask = TRUE;
		s += 4;
	} else {
		return FALSE;
	}
	space = memchr(s, ' ', (gsize)(end - s));
	if (space == NULL || !parse_uint(s, (gsize)(space - s), RC_REDIS_SLOT_COUNT - 1, &slot_v))
		return FALSE;
	endpoint = space + 1;
	/* the port follows the last colon: IPv6 addresses come unbracketed */
	colon = NULL;
	for (const gchar *p = endpoint; p < end; p++) {
		if (*p == ':')
			colon = p;
		else if (*p == ' ' || *p == '\0' || g_ascii_iscntrl(*p))
			return FALSE;
	}
	if (colon == NULL ||
	    !parse_uint(colon + 1, (gsize)(end - colon - 1), G_MAXUINT16, &port_v) || port_v == 0)
		return FALSE;
	host_len = (gsize)(colon - endpoint);
	if (host_len >= 2 && endpoint[0] == '[' && endpoint[host_len - 1] == ']') {
		endpoint++;
		host_len -= 2;
	}

	if (ask != NULL)
		*ask = is_ask;
	if (slot != NULL)
		*slot = (guint16)slot_v;
	if (port != NULL)
		*port = (guint16)port_v;
	if (host != NULL) {
		gboolean unknown = host_len == 0 || (host_len == 1 && endpoint[0] == '?');
		*host = unknown ? NULL : g_strndup(endpoint, host_len);
	}
	return TRUE;
}

/* ------------------------------------------------------------- topology --- */

G_DEFINE_QUARK(rc-redis-topology-error-quark, rc_redis_topology_error)

typedef struct {
	RcRedisNode *master;
	GPtrArray *replicas; /* RcRedisNode */
	GArray *ranges;	     /* guint16 pairs: first, last */
	guint n_slots;
} RcRedisShard;

struct _RcRedisTopology {
	gatomicrefcount ref_count;
	GPtrArray *shards; /* RcRedisShard */
	guint n_unassigned;
	gint16 owner[RC_REDIS_SLOT_COUNT]; /* shard index or RC_REDIS_SHARD_NONE */
};

G_DEFINE_BOXED_TYPE(RcRedisTopology,
		    rc_redis_topology,
		    rc_redis_topology_ref,
		    rc_redis_topology_unref)

static void
node_free(RcRedisNode *node)
{
	if (node == NULL)
		return;
	g_free(node->id);
	g_free(node->host);
	g_free(node->ip);
	g_free(node->hostname);
	g_free(node);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcRedisNode, node_free)

static RcRedisNode *
node_new(void)
{
	RcRedisNode *node = g_new0(RcRedisNode, 1);
	node->replication_offset = -1;
	return node;
}

static void
shard_free(RcRedisShard *shard)
{
	if (shard == NULL)
		return;
	node_free(shard->master);
	g_ptr_array_unref(shard->replicas);
	g_array_unref(shard->ranges);
	g_free(shard);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcRedisShard, shard_free)

static RcRedisShard *
shard_new(void)
{
	RcRedisShard *shard = g_new0(RcRedisShard, 1);
	shard->replicas = g_ptr_array_new_with_free_func((GDestroyNotify)node_free);
	shard->ranges = g_array_new(FALSE, FALSE, sizeof(guint16));
	return shard;
}

static RcRedisTopology *
topology_new(void)
{
	RcRedisTopology *self = g_new0(RcRedisTopology, 1);

	g_atomic_ref_count_init(&self->ref_count);
	self->shards = g_ptr_array_new_with_free_func((GDestroyNotify)shard_free);
	return self;
}

RcRedisTopology *
rc_redis_topology_ref(RcRedisTopology *self)
{
	g_return_val_if_fail(self != NULL, NULL);
	g_atomic_ref_count_inc(&self->ref_count);
	return self;
}

void
rc_redis_topology_unref(RcRedisTopology *self)
{
	g_return_if_fail(self != NULL);
	if (!g_atomic_ref_count_dec(&self->ref_count))
		return;
	g_ptr_array_unref(self->shards);
	g_free(self);
}

static gboolean G_GNUC_PRINTF(2, 3) fail(GError **error, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *msg = NULL;

	va_start(args, format);
	msg = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error,
		    RC_REDIS_TOPOLOGY_ERROR,
		    RC_REDIS_TOPOLOGY_ERROR_INVALID,
		    "unusable cluster slot map: %s",
		    msg);
	return FALSE;
}

static gboolean
check_not_error_reply(const redisReply *reply, const gchar *command, GError **error)
{
	if (reply == NULL)
		return fail(error, "no reply to %s", command);
	if (reply->type == REDIS_REPLY_ERROR) {
		g_set_error(error,
			    RC_REDIS_TOPOLOGY_ERROR,
			    RC_REDIS_TOPOLOGY_ERROR_SERVER,
			    "%s: %.*s",
			    command,
			    (gint)MIN(reply->len, 200),
			    reply->str != NULL ? reply->str : "");
		return FALSE;
	}
	if (reply->type != REDIS_REPLY_ARRAY)
		return fail(error, "the reply to %s is not an array", command);
	return TRUE;
}

/* Maps arrive as flat key/value arrays over RESP2; a RESP3 client would see
 * real maps with the same layout. */
static gboolean
is_pairs(const redisReply *r)
{
#ifdef REDIS_REPLY_MAP
	if (r->type == REDIS_REPLY_MAP)
		return TRUE;
#endif
	return r->type == REDIS_REPLY_ARRAY && r->elements % 2 == 0;
}

static gboolean
is_string(const redisReply *r)
{
	return (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) && r->str != NULL;
}

/* text without NUL bytes, which no host or id contains */
static gboolean
is_clean_string(const redisReply *r)
{
	return is_string(r) && memchr(r->str, '\0', r->len) == NULL;
}

static gboolean
key_is(const redisReply *key, const gchar *name)
{
	gsize n = strlen(name);
	return is_string(key) && key->len == n && memcmp(key->str, name, n) == 0;
}

/* integer replies, or decimal strings as some servers send them */
static gboolean
get_int(const redisReply *r, gint64 min, gint64 max, gint64 *out)
{
	if (r->type == REDIS_REPLY_INTEGER) {
		if (r->integer < min || r->integer > max)
			return FALSE;
		*out = r->integer;
		return TRUE;
	}
	if (is_string(r)) {
		guint64 v;
		gboolean negative = r->len > 0 && r->str[0] == '-';
		if (!parse_uint(r->str + negative, r->len - negative, G_MAXINT64, &v))
			return FALSE;
		*out = negative ? -(gint64)v : (gint64)v;
		return *out >= min && *out <= max;
	}
	return FALSE;
}

static void
set_string(gchar **field, const redisReply *r)
{
	g_free(*field);
	*field = g_strndup(r->str, r->len);
}

static gboolean
usable_host(const gchar *s)
{
	return s != NULL && s[0] != '\0' && strcmp(s, "?") != 0;
}

/* @endpoint NULL: the server sent nil (unknown endpoint) */
static gboolean
node_set_host(RcRedisNode *node, const gchar *endpoint, const gchar *asked_host, GError **error)
{
	const gchar *host = NULL;

	if (usable_host(endpoint))
		host = endpoint;
	else if (g_strcmp0(endpoint, "?") == 0 && usable_host(node->ip))
		/* hostnames preferred but none announced: the IP still reaches it */
		host = node->ip;
	else if (usable_host(asked_host))
		/* unknown endpoint: the cluster is reached through the address we used */
		host = asked_host;
	else if (usable_host(node->ip))
		host = node->ip;
	if (host == NULL)
		return fail(error,
			    "node %s on port %u has no usable address",
			    node->id[0] != '\0' ? node->id : "-",
			    node->port);
	node->host = g_strdup(host);
	return TRUE;
}

static gboolean
add_range(RcRedisShard *shard, gint64 first, gint64 last, GError **error)
{
	guint16 pair[2];

	if (first < 0 || last >= RC_REDIS_SLOT_COUNT || first > last)
		return fail(
		    error, "bad slot range %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT, first, last);
	pair[0] = (guint16)first;
	pair[1] = (guint16)last;
	g_array_append_vals(shard->ranges, pair, 2);
	return TRUE;
}

static gint
compare_ranges(gconstpointer a, gconstpointer b)
{
	return (gint)((const guint16 *)a)[0] - (gint)((const guint16 *)b)[0];
}

static gint
compare_shards(gconstpointer a, gconstpointer b)
{
	const RcRedisShard *sa = *(RcRedisShard *const *)a;
	const RcRedisShard *sb = *(RcRedisShard *const *)b;

	if (sa->ranges->len > 0 && sb->ranges->len > 0)
		return (gint)g_array_index(sa->ranges, guint16, 0) -
		       (gint)g_array_index(sb->ranges, guint16, 0);
	if (sa->ranges->len > 0 || sb->ranges->len > 0)
		return sa->ranges->len > 0 ? -1 : 1;
	return strcmp(sa->master->id, sb->master->id);
}

/* Sorts the shards and their ranges, then fills the slot map; a slot claimed
 * twice makes the whole reply suspect. */
static gboolean
topology_finish(RcRedisTopology *self, GError **error)
{
	if (self->shards->len > RC_REDIS_SLOT_COUNT)
		return fail(error, "%u shards", self->shards->len);
	g_ptr_array_sort(self->shards, compare_shards);
	for (guint s = 0; s < RC_REDIS_SLOT_COUNT; s++)
		self->owner[s] = RC_REDIS_SHARD_NONE;
	self->n_unassigned = RC_REDIS_SLOT_COUNT;
	for (guint i = 0; i < self->shards->len; i++) {
		RcRedisShard *shard = g_ptr_array_index(self->shards, i);

		/* the ranges are pairs: sort them as 4-byte records */
		if (shard->ranges->len > 2)
			qsort(shard->ranges->data,
			      shard->ranges->len / 2,
			      2 * sizeof(guint16),
			      compare_ranges);
		for (guint r = 0; r + 1 < shard->ranges->len; r += 2) {
			guint first = g_array_index(shard->ranges, guint16, r);
			guint last = g_array_index(shard->ranges, guint16, r + 1);

			for (guint s = first; s <= last; s++) {
				if (self->owner[s] != RC_REDIS_SHARD_NONE)
					return fail(error, "slot %u is served by two shards", s);
				self->owner[s] = (gint16)i;
			}
			shard->n_slots += last - first + 1;
			self->n_unassigned -= last - first + 1;
		}
	}
	return TRUE;
}

/* ---- CLUSTER SHARDS ---- */

static RcRedisNode *
parse_shards_node(const redisReply *r, const gchar *asked_host, GError **error)
{
	g_autoptr(RcRedisNode) node = node_new();
	g_autofree gchar *endpoint = NULL;
	gboolean have_endpoint = FALSE, have_port = FALSE, have_role = FALSE;

	if (!is_pairs(r)) {
		fail(error, "a node is not a list of fields");
		return NULL;
	}
	for (gsize i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];
		gint64 n;

		if (key_is(k, "id") && is_clean_string(v)) {
			set_string(&node->id, v);
		} else if (key_is(k, "port")) {
			if (!get_int(v, 1, G_MAXUINT16, &n)) {
				fail(error, "bad port");
				return NULL;
			}
			node->port = (guint16)n;
			have_port = TRUE;
		} else if (key_is(k, "tls-port")) {
			if (!get_int(v, 1, G_MAXUINT16, &n)) {
				fail(error, "bad tls-port");
				return NULL;
			}
			node->tls_port = (guint16)n;
		} else if (key_is(k, "ip") && is_clean_string(v)) {
			set_string(&node->ip, v);
		} else if (key_is(k, "endpoint")) {
			/* nil and "" both mean an unknown endpoint */
			if (is_clean_string(v))
				set_string(&endpoint, v);
			else
				g_clear_pointer(&endpoint, g_free);
			have_endpoint = TRUE;
		} else if (key_is(k, "hostname") && is_clean_string(v)) {
			set_string(&node->hostname, v);
		} else if (key_is(k, "role") && is_string(v)) {
			node->is_master = v->len == 6 && memcmp(v->str, "master", 6) == 0;
			have_role = TRUE;
		} else if (key_is(k, "replication-offset")) {
			if (get_int(v, 0, G_MAXINT64, &n))
				node->replication_offset = n;
		} else if (key_is(k, "health") && is_string(v)) {
			if (v->len == 6 && memcmp(v->str, "online", 6) == 0)
				node->health = RC_REDIS_NODE_HEALTH_ONLINE;
			/* documented as "failed"; Redis 7.0 writes "fail" */
			else if ((v->len == 4 && memcmp(v->str, "fail", 4) == 0) ||
				 (v->len == 6 && memcmp(v->str, "failed", 6) == 0))
				node->health = RC_REDIS_NODE_HEALTH_FAILED;
			else if (v->len == 7 && memcmp(v->str, "loading", 7) == 0)
				node->health = RC_REDIS_NODE_HEALTH_LOADING;
			else
				node->health = RC_REDIS_NODE_HEALTH_UNKNOWN;
		}
		/* other fields (whatever later versions add) are not ours */
	}
	if (node->id == NULL) {
		fail(error, "a node without id");
		return NULL;
	}
	if (!have_port && node->tls_port == 0) {
		fail(error, "node %s has no port", node->id);
		return NULL;
	}
	if (!have_role) {
		fail(error, "node %s has no role", node->id);
		return NULL;
	}
	if (!node_set_host(node, have_endpoint ? endpoint : "?", asked_host, error))
		return NULL;
	return g_steal_pointer(&node);
}

static RcRedisShard *
parse_shards_entry(const redisReply *r, const gchar *asked_host, GError **error)
{
	g_autoptr(RcRedisShard) shard = shard_new();
	const redisReply *slots = NULL, *nodes = NULL;

	if (!is_pairs(r)) {
		fail(error, "a shard is not a list of fields");
		return NULL;
	}
	for (gsize i = 0; i + 1 < r->elements; i += 2) {
		if (key_is(r->element[i], "slots"))
			slots = r->element[i + 1];
		else if (key_is(r->element[i], "nodes"))
			nodes = r->element[i + 1];
	}
	if (slots == NULL || slots->type != REDIS_REPLY_ARRAY || slots->elements % 2 != 0) {
		fail(error, "a shard without a list of slot ranges");
		return NULL;
	}
	if (nodes == NULL || nodes->type != REDIS_REPLY_ARRAY) {
		fail(error, "a shard without a list of nodes");
		return NULL;
	}
	for (gsize i = 0; i + 1 < slots->elements; i += 2) {
		gint64 first, last;
		if (!get_int(slots->element[i], 0, RC_REDIS_SLOT_COUNT - 1, &first) ||
		    !get_int(slots->element[i + 1], 0, RC_REDIS_SLOT_COUNT - 1, &last)) {
			fail(error, "a slot range that is not two slot numbers");
			return NULL;
		}
		if (!add_range(shard, first, last, error))
			return NULL;
	}
	for (gsize i = 0; i < nodes->elements; i++) {
		RcRedisNode *node = parse_shards_node(nodes->element[i], asked_host, error);

		if (node == NULL)
			return NULL;
		if (node->is_master && shard->master != NULL) {
			fail(error,
			     "a shard with two masters (%s, %s)",
			     shard->master->id,
			     node->id);
			node_free(node);
			return NULL;
		}
		if (node->is_master)
			shard->master = node;
		else
			g_ptr_array_add(shard->replicas, node);
	}
	if (shard->master == NULL && shard->ranges->len > 0) {
		fail(error, "a shard serving slots has no master");
		return NULL;
	}
	return g_steal_pointer(&shard);
}

RcRedisTopology *
rc_redis_topology_new_from_shards(const redisReply *reply, const gchar *asked_host, GError **error)
{
	g_autoptr(RcRedisTopology) self = NULL;

	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	if (!check_not_error_reply(reply, "CLUSTER SHARDS", error))
		return NULL;
	self = topology_new();
	for (gsize i = 0; i < reply->elements; i++) {
		RcRedisShard *shard = parse_shards_entry(reply->element[i], asked_host, error);

		if (shard == NULL)
			return NULL;
		/* replicas whose master is gone serve nothing and are not reachable
		 * through a master: nothing to route to */
		if (shard->master == NULL) {
			shard_free(shard);
			continue;
		}
		g_ptr_array_add(self->shards, shard);
	}
	if (!topology_finish(self, error))
		return NULL;
	return g_steal_pointer(&self);
}

/* ---- CLUSTER SLOTS ---- */

/* [endpoint or nil, port, id, {metadata}] (id since 4.0, metadata since 7.0) */
static RcRedisNode *
parse_slots_node(const redisReply *r, const gchar *asked_host, GError **error)
{
	g_autoptr(RcRedisNode) node = node_new();
	g_autofree gchar *endpoint = NULL;
	gint64 port;

	if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) {
		fail(error, "a node is not [endpoint, port, ...]");
		return NULL;
	}
	if (is_clean_string(r->element[0]))
		endpoint = g_strndup(r->element[0]->str, r->element[0]->len);
	else if (r->element[0]->type != REDIS_REPLY_NIL) {
		fail(error, "a node endpoint that is neither text nor nil");
		return NULL;
	}
	if (!get_int(r->element[1], 1, G_MAXUINT16, &port)) {
		fail(error, "bad port");
		return NULL;
	}
	node->port = (guint16)port;
	if (r->elements > 2 && is_clean_string(r->element[2]))
		node->id = g_strndup(r->element[2]->str, r->element[2]->len);
	else
		node->id = g_strdup("");
	if (r->elements > 3 && is_pairs(r->element[3])) {
		const redisReply *meta = r->element[3];
		for (gsize i = 0; i + 1 < meta->elements; i += 2) {
			if (key_is(meta->element[i], "ip") && is_clean_string(meta->element[i + 1]))
				set_string(&node->ip, meta->element[i + 1]);
			else if (key_is(meta->element[i], "hostname") &&
				 is_clean_string(meta->element[i + 1]))
				set_string(&node->hostname, meta->element[i + 1]);
		}
	}
	/* with the IP as preferred endpoint, the endpoint is the IP */
	if (node->ip == NULL && usable_host(endpoint) && g_hostname_is_ip_address(endpoint))
		node->ip = g_strdup(endpoint);
	if (!node_set_host(node, endpoint, asked_host, error))
		return NULL;
	return g_steal_pointer(&node);
}

static gboolean
same_node(const RcRedisNode *a, const RcRedisNode *b)
{
	if (a->id[0] != '\0' && b->id[0] != '\0')
		return strcmp(a->id, b->id) == 0;
	return a->port == b->port && strcmp(a->host, b->host) == 0;
}

RcRedisTopology *
rc_redis_topology_new_from_slots(const redisReply *reply, const gchar *asked_host, GError **error)
{
	g_autoptr(RcRedisTopology) self = NULL;

	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	if (!check_not_error_reply(reply, "CLUSTER SLOTS", error))
		return NULL;
	self = topology_new();
	for (gsize i = 0; i < reply->elements; i++) {
		const redisReply *entry = reply->element[i];
		g_autoptr(RcRedisNode) master = NULL;
		RcRedisShard *shard = NULL;
		gint64 first, last;

		if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 3 ||
		    !get_int(entry->element[0], 0, RC_REDIS_SLOT_COUNT - 1, &first) ||
		    !get_int(entry->element[1], 0, RC_REDIS_SLOT_COUNT - 1, &last)) {
			fail(error, "an entry is not [first, last, master, replicas...]");
			return NULL;
		}
		master = parse_slots_node(entry->element[2], asked_host, error);
		if (master == NULL)
			return NULL;
		master->is_master = TRUE;
		/* a master serving several ranges comes once per range */
		for (guint s = 0; s < self->shards->len && shard == NULL; s++) {
			RcRedisShard *known = g_ptr_array_index(self->shards, s);
			if (same_node(known->master, master))
				shard = known;
		}
		if (shard == NULL) {
			shard = shard_new();
			shard->master = g_steal_pointer(&master);
			g_ptr_array_add(self->shards, shard);
			for (gsize r = 3; r < entry->elements; r++) {
				RcRedisNode *replica =
				    parse_slots_node(entry->element[r], asked_host, error);
				if (replica == NULL)
					return NULL;
				g_ptr_array_add(shard->replicas, replica);
			}
		}
		if (!add_range(shard, first, last, error))
			return NULL;
	}
	if (!topology_finish(self, error))
		return NULL;
	return g_steal_pointer(&self);
}

/* ---- lookups ---- */

gboolean
rc_redis_node_is_usable(const RcRedisNode *node)
{
	g_return_val_if_fail(node != NULL, FALSE);
	return node->health == RC_REDIS_NODE_HEALTH_ONLINE ||
	       node->health == RC_REDIS_NODE_HEALTH_UNKNOWN;
}

static RcRedisShard *
get_shard(RcRedisTopology *self, guint shard)
{
	g_return_val_if_fail(self != NULL, NULL);
	g_return_val_if_fail(shard < self->shards->len, NULL);
	return g_ptr_array_index(self->shards, shard);
}

guint
rc_redis_topology_get_n_shards(RcRedisTopology *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return self->shards->len;
}

guint
rc_redis_topology_get_n_unassigned(RcRedisTopology *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return self->n_unassigned;
}

gint
rc_redis_topology_shard_for_slot(RcRedisTopology *self, guint16 slot)
{
	g_return_val_if_fail(self != NULL, RC_REDIS_SHARD_NONE);
	g_return_val_if_fail(slot < RC_REDIS_SLOT_COUNT, RC_REDIS_SHARD_NONE);
	return self->owner[slot];
}

gint
rc_redis_topology_shard_for_key(RcRedisTopology *self, const gchar *key, gsize len)
{
	return rc_redis_topology_shard_for_slot(self, rc_redis_key_slot(key, len));
}

gint
rc_redis_topology_find_shard(RcRedisTopology *self, const gchar *host, guint16 port)
{
	g_return_val_if_fail(self != NULL, RC_REDIS_SHARD_NONE);
	g_return_val_if_fail(host != NULL, RC_REDIS_SHARD_NONE);
	for (guint i = 0; i < self->shards->len; i++) {
		RcRedisShard *shard = g_ptr_array_index(self->shards, i);
		if (shard->master->port == port &&
		    g_ascii_strcasecmp(shard->master->host, host) == 0)
			return (gint)i;
	}
	return RC_REDIS_SHARD_NONE;
}

const RcRedisNode *
rc_redis_topology_get_master(RcRedisTopology *self, guint shard)
{
	RcRedisShard *s = get_shard(self, shard);
	return s != NULL ? s->master : NULL;
}

const gchar *
rc_redis_topology_get_master_address(RcRedisTopology *self, guint shard, guint16 *port)
{
	RcRedisShard *s = get_shard(self, shard);

	if (s == NULL)
		return NULL;
	if (port != NULL)
		*port = s->master->port;
	return s->master->host;
}

guint
rc_redis_topology_get_n_replicas(RcRedisTopology *self, guint shard)
{
	RcRedisShard *s = get_shard(self, shard);
	return s != NULL ? s->replicas->len : 0;
}

const RcRedisNode *
rc_redis_topology_get_replica(RcRedisTopology *self, guint shard, guint index)
{
	RcRedisShard *s = get_shard(self, shard);

	if (s == NULL)
		return NULL;
	g_return_val_if_fail(index < s->replicas->len, NULL);
	return g_ptr_array_index(s->replicas, index);
}

guint
rc_redis_topology_get_n_slots(RcRedisTopology *self, guint shard)
{
	RcRedisShard *s = get_shard(self, shard);
	return s != NULL ? s->n_slots : 0;
}

guint
rc_redis_topology_get_n_ranges(RcRedisTopology *self, guint shard)
{
	RcRedisShard *s = get_shard(self, shard);
	return s != NULL ? s->ranges->len / 2 : 0;
}

void
rc_redis_topology_get_range(
    RcRedisTopology *self, guint shard, guint index, guint16 *first, guint16 *last)
{
	RcRedisShard *s = get_shard(self, shard);

	if (s == NULL)
		return;
	g_return_if_fail(index < s->ranges->len / 2);
	if (first != NULL)
		*first = g_array_index(s->ranges, guint16, 2 * index);
	if (last != NULL)
		*last = g_array_index(s->ranges, guint16, 2 * index + 1);
}

static gboolean
same_owner(const RcRedisNode *a, const RcRedisNode *b)
{
	if (a->id[0] != '\0' && b->id[0] != '\0' && strcmp(a->id, b->id) != 0)
		return FALSE;
	return a->port == b->port && g_ascii_strcasecmp(a->host, b->host) == 0;
}

gboolean
rc_redis_topology_same_owners(RcRedisTopology *a, RcRedisTopology *b)
{
	gint last_a = RC_REDIS_SHARD_NONE, last_b = RC_REDIS_SHARD_NONE;

	g_return_val_if_fail(a != NULL && b != NULL, FALSE);
	for (guint s = 0; s < RC_REDIS_SLOT_COUNT; s++) {
		gint ia = a->owner[s], ib = b->owner[s];
		RcRedisShard *sa, *sb;

		if ((ia == RC_REDIS_SHARD_NONE) != (ib == RC_REDIS_SHARD_NONE))
			return FALSE;
		/* runs of slots share their owners: compare each pair once */
		if (ia == RC_REDIS_SHARD_NONE || (ia == last_a && ib == last_b))
			continue;
		sa = g_ptr_array_index(a->shards, ia);
		sb = g_ptr_array_index(b->shards, ib);
		if (!same_owner(sa->master, sb->master))
			return FALSE;
		last_a = ia;
		last_b = ib;
	}
	return TRUE;
}

static const gchar *
health_name(RcRedisNodeHealth health)
{
	switch (health) {
	case RC_REDIS_NODE_HEALTH_ONLINE:
		return "online";
	case RC_REDIS_NODE_HEALTH_FAILED:
		return "failed";
	case RC_REDIS_NODE_HEALTH_LOADING:
		return "loading";
	case RC_REDIS_NODE_HEALTH_UNKNOWN:
	default:
		return "unknown";
	}
}

static void
append_node(GString *out, const RcRedisNode *node)
{
	gboolean v6 = strchr(node->host, ':') != NULL;

	g_string_append_printf(out,
			       "%s%s%s:%u %s [%s]",
			       v6 ? "[" : "",
			       node->host,
			       v6 ? "]" : "",
			       node->port,
			       node->id[0] != '\0' ? node->id : "-",
			       health_name(node->health));
}

gchar *
rc_redis_topology_to_string(RcRedisTopology *self)
{
	GString *out = g_string_new(NULL);

	g_return_val_if_fail(self != NULL, NULL);
	for (guint i = 0; i < self->shards->len; i++) {
		RcRedisShard *shard = g_ptr_array_index(self->shards, i);

		for (guint r = 0; r + 1 < shard->ranges->len; r += 2) {
			guint first = g_array_index(shard->ranges, guint16, r);
			guint last = g_array_index(shard->ranges, guint16, r + 1);
			if (r > 0)
				g_string_append_c(out, ',');
			if (first == last)
				g_string_append_printf(out, "%u", first);
			else
				g_string_append_printf(out, "%u-%u", first, last);
		}
		if (shard->ranges->len == 0)
			g_string_append_c(out, '-');
		g_string_append_c(out, ' ');
		append_node(out, shard->master);
		for (guint r = 0; r < shard->replicas->len; r++) {
			g_string_append(out, r == 0 ? " replicas " : ", ");
			append_node(out, g_ptr_array_index(shard->replicas, r));
		}
		g_string_append_c(out, '\n');
	}
	return g_string_free(out, FALSE);
}
