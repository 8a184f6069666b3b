/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcBench"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rc-bench-conn.h"
#include "rc-bench-histogram.h"
#include "rc-bench-poller.h"
#include "rc-bench-proc.h"
#include "rc-bench-runner.h"

#define CONNECT_ATTEMPTS 3
#define BARRIER_POLL_MS 50
#define BARRIER_PROBE_EVERY 10 /* polls, i.e. re-probe incomplete rooms every 500 ms */
#define DRAIN_POLL_MS 20
#define SEND_TICK_MS 1
#define RESUME_TICK_MS 100
#define RESUME_ATTEMPTS 5
#define RESUME_DELAY_MIN_MS 50	/* a dropped client is away this long before reconnecting ... */
#define RESUME_DELAY_MAX_MS 500 /* ... at most: long enough to miss messages it must recover */

/* what one receiver saw from one sender of its room during the measured phase */
typedef struct {
	guint64 *bits; /* one bit per seq */
	guint64 n_bits;
	gint64 max_seq;
} SeenSlot;

typedef struct {
	RcBenchRunner *runner;
	RcBenchConn *conn;
	guint index;
	guint room;
	guint node;
	guint attempts;
	guint timeout_id;
	gboolean hello;
	gboolean joined;
	gboolean ready; /* has received a probe */
	SeenSlot *seen; /* one per sender of the room, indexed by sender / R */
	guint n_seen;
	/* the resume scenario */
	guint cur_node;	   /* the node of the current connection; a reconnect takes the next */
	gboolean resuming; /* dropped on purpose, reconnecting and joining with "since" */
	guint resume_attempts;
	gint64 last_drop_ns;
	gchar epoch[65];     /* the room's epoch from the last joined */
	guint64 last_offset; /* highest room offset seen (joined's at the first join) */
	guint64 replay_top;  /* offset in the joined of the last rejoin: up to it, replays */
} Client;

typedef struct {
	guint64 sent, send_failed, expected, delivered, duplicates, out_of_order, stale, bad_text;
	guint64 acks, errors, presence;
	guint64 reconnects, reconnect_failed, acked_expected, recovered, not_recovered;
	guint64 offset_backwards;
} Counters;

typedef enum {
	FRAME_OTHER,
	FRAME_MSG,
	FRAME_HELLO,
	FRAME_JOINED,
	FRAME_ACK,
	FRAME_ERROR,
	FRAME_PRESENCE,
} FrameType;

struct _RcBenchRunner {
	GObject parent_instance;
	RcBenchConfig config;
	Client *clients;
	guint *room_sizes;
	guint *room_ready;
	guint *room_senders;
	RcBenchHistogram *latency;
	RcBenchPoller *poller;
	GString *send_buf;

	/* connect + barrier */
	GTask *connect_task;
	guint next_client;
	guint n_connecting;
	guint n_joined;
	guint n_ready;
	gint64 phase_start_ns;
	gdouble connect_ms;
	gdouble barrier_ms;
	guint barrier_timer;
	guint barrier_round;
	guint64 probe_seq;
	guint64 disconnects;
	gint64 first_join_ns;
	gint64 last_joined_ns;
	guint64 presence_total;
	guint resume_timer;
	gdouble resume_budget;
	GArray *eligible; /* guint: scratch list of the clients a resume tick may drop */

	/* the step being run */
	GTask *step_task;
	guint step;
	gdouble rate;
	gdouble duration_s;
	gdouble warmup_s;
	gchar measured_tag[16];
	gsize measured_tag_len;
	gchar warmup_tag[16];
	gboolean counting;
	gboolean measuring;
	guint64 n_warmup;
	guint64 n_total;
	guint64 n_scheduled;
	guint64 *seqs;
	gint64 t0_ns;
	gint64 first_send_ns;
	gint64 last_send_ns;
	gint64 last_recv_ns;
	gint64 end_send_ns;
	gint64 last_change_ns;
	guint64 last_count;
	gdouble max_lag_ms;
	guint send_timer;
	guint drain_timer;
	gdouble *pid_cpu_before;
	guint64 *pid_io_before; /* read, written per pid; G_MAXUINT64 when unknown */
	gdouble lg_cpu_before;
	gchar *pad;
	Counters n;
	GHashTable *error_codes;
};

G_DEFINE_TYPE(RcBenchRunner, rc_bench_runner, G_TYPE_OBJECT)

static inline gint64
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (gint64)ts.tv_sec * G_GINT64_CONSTANT(1000000000) + ts.tv_nsec;
}

void
rc_bench_node_free(RcBenchNode *node)
{
	g_free(node->url);
	g_clear_object(&node->address);
	g_free(node->host_header);
	g_free(node->path);
	g_free(node);
}

void
rc_bench_step_result_free(RcBenchStepResult *result)
{
	g_clear_pointer(&result->error_codes, g_hash_table_unref);
	g_clear_pointer(&result->pids, g_array_unref);
	g_free(result);
}

/* ------------------------------------------------------------------ frame scanning */

/* The fast path: roomcast writes compact JSON and the bench's own texts never need escaping,
 * so "type" and "text" can be cut out of the frame without building a JSON tree. */
static FrameType
frame_type_fast(const gchar *data, gsize len, gboolean *found)
{
	static const struct {
		const gchar *value;
		FrameType type;
	} types[] = {
	    {"MSG_TO_CLIENTS\"", FRAME_MSG},
	    {"ack\"", FRAME_ACK},
	    {"joined\"", FRAME_JOINED},
	    {"hello\"", FRAME_HELLO},
	    {"error\"", FRAME_ERROR},
	    {"presence\"", FRAME_PRESENCE},
	};
	const gchar *p = memmem(data, len, "\"type\":\"", 8);
	gsize rest;

	*found = p != NULL;
	if (p == NULL)
		return FRAME_OTHER;
	p += 8;
	rest = len - (gsize)(p - data);
	for (guint i = 0; i < G_N_ELEMENTS(types); i++) {
		gsize vl = strlen(types[i].value);
		if (rest >= vl && memcmp(p, types[i].value, vl) == 0)
			return types[i].type;
	}
	return FRAME_OTHER;
}

/* the value of a string member "KEY":"..." without escapes, or FALSE */
static gboolean
string_member_fast(
    const gchar *data, gsize len, const gchar *key_pattern, const gchar **value, gsize *value_len)
{
	gsize kl = strlen(key_pattern);
	const gchar *p = memmem(data, len, key_pattern, kl);
	const gchar *end;

	if (p == NULL)
		return FALSE;
	p += kl;
	end = memchr(p, '"', len - (gsize)(p - data));
	if (end == NULL || memchr(p, '\\', (gsize)(end - p)) != NULL)
		return FALSE;
	*value = p;
	*value_len = (gsize)(end - p);
	return TRUE;
}

/* the value of a number member "KEY":N, or FALSE */
static gboolean
uint_member_fast(const gchar *data, gsize len, const gchar *key_pattern, guint64 *value)
{
	gsize kl = strlen(key_pattern);
	const gchar *p = memmem(data, len, key_pattern, kl);
	const gchar *end = data + len;
	guint64 v = 0;

	if (p == NULL)
		return FALSE;
	p += kl;
	if (p >= end || !g_ascii_isdigit(*p))
		return FALSE;
	while (p < end && g_ascii_isdigit(*p))
		v = v * 10 + (guint64)(*p++ - '0');
	*value = v;
	return TRUE;
}

/* The slow path for anything the fast path cannot read: a real JSON parse. */
static JsonObject *
frame_parse(const gchar *data, gsize len)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonNode *root;

	if (!json_parser_load_from_data(parser, data, (gssize)len, NULL))
		return NULL;
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		return NULL;
	return json_object_ref(json_node_get_object(root));
}

static FrameType
frame_type_from_object(JsonObject *obj)
{
	const gchar *type = json_object_get_string_member_with_default(obj, "type", "");

	if (g_strcmp0(type, "MSG_TO_CLIENTS") == 0)
		return FRAME_MSG;
	if (g_strcmp0(type, "ack") == 0)
		return FRAME_ACK;
	if (g_strcmp0(type, "joined") == 0)
		return FRAME_JOINED;
	if (g_strcmp0(type, "hello") == 0)
		return FRAME_HELLO;
	if (g_strcmp0(type, "error") == 0)
		return FRAME_ERROR;
	if (g_strcmp0(type, "presence") == 0)
		return FRAME_PRESENCE;
	return FRAME_OTHER;
}

/* ------------------------------------------------------------------ counting */

static gboolean
parse_field(const gchar **p, const gchar *end, guint64 *out)
{
	const gchar *q = *p;
	guint64 v = 0;

	if (q >= end || !g_ascii_isdigit(*q))
		return FALSE;
	while (q < end && g_ascii_isdigit(*q))
		v = v * 10 + (guint64)(*q++ - '0');
	if (q < end && *q != ':')
		return FALSE;
	*p = q < end ? q + 1 : q;
	*out = v;
	return TRUE;
}

static void
seen_slot_grow(SeenSlot *slot, guint64 seq)
{
	guint64 want = MAX(seq + 1, slot->n_bits * 2);
	guint64 words = (want + 63) / 64;

	slot->bits = g_renew(guint64, slot->bits, words);
	memset(slot->bits + slot->n_bits / 64, 0, (words - slot->n_bits / 64) * sizeof(guint64));
	slot->n_bits = words * 64;
}

/* text = TAG:SENDER:SEQ:SENDTIMENS[:PADDING]; TRUE when it is a new measured delivery */
static gboolean
runner_count_text(RcBenchRunner *self, Client *c, const gchar *text, gsize len, gint64 now)
{
	const gchar *end = text + len;
	const gchar *colon = memchr(text, ':', len);
	const gchar *p;
	guint64 sender, seq, sent_at;
	SeenSlot *slot;
	guint64 bit;

	if (colon == NULL) {
		self->n.bad_text++;
		return FALSE;
	}
	if (colon - text == 1 && text[0] == 'p') {
		if (!c->ready) {
			c->ready = TRUE;
			self->room_ready[c->room]++;
			self->n_ready++;
		}
		return FALSE;
	}
	if (!self->counting || (gsize)(colon - text) != self->measured_tag_len ||
	    memcmp(text, self->measured_tag, self->measured_tag_len) != 0) {
		self->n.stale++;
		return FALSE;
	}
	p = colon + 1;
	if (!parse_field(&p, end, &sender) || !parse_field(&p, end, &seq) ||
	    !parse_field(&p, end, &sent_at) || sender >= self->config.senders ||
	    sender % self->config.rooms != c->room) {
		self->n.bad_text++;
		return FALSE;
	}
	slot = &c->seen[sender / self->config.rooms];
	if (seq >= slot->n_bits)
		seen_slot_grow(slot, seq);
	bit = G_GUINT64_CONSTANT(1) << (seq & 63);
	if (slot->bits[seq / 64] & bit) {
		self->n.duplicates++;
		return FALSE;
	}
	slot->bits[seq / 64] |= bit;
	self->n.delivered++;
	if ((gint64)seq < slot->max_seq)
		self->n.out_of_order++;
	else
		slot->max_seq = (gint64)seq;
	rc_bench_histogram_record(self->latency,
				  now > (gint64)sent_at ? (guint64)(now - (gint64)sent_at) : 0);
	self->last_recv_ns = now;
	return TRUE;
}

/* ------------------------------------------------------------------ connecting */

static void runner_connect_next(RcBenchRunner *self);
static void client_start(Client *c);

static void
runner_fail_connect(RcBenchRunner *self, GError *error)
{
	g_autoptr(GTask) task = g_steal_pointer(&self->connect_task);

	g_clear_handle_id(&self->barrier_timer, g_source_remove);
	if (task != NULL)
		g_task_return_error(task, error);
	else
		g_error_free(error);
}

static gboolean
client_retry_cb(gpointer user_data)
{
	Client *c = user_data;

	c->timeout_id = 0;
	client_start(c);
	return G_SOURCE_REMOVE;
}

static void
client_attempt_failed(Client *c, const GError *error)
{
	RcBenchRunner *self = c->runner;
	RcBenchNode *node = g_ptr_array_index(self->config.nodes, c->cur_node);

	g_clear_handle_id(&c->timeout_id, g_source_remove);
	if (c->conn != NULL) {
		rc_bench_conn_close(c->conn);
		g_clear_object(&c->conn);
	}
	if (c->resuming) {
		c->resume_attempts++;
		g_debug("client %u -> %s, reconnect attempt %u: %s",
			c->index,
			node->url,
			c->resume_attempts,
			error->message);
		if (c->resume_attempts >= RESUME_ATTEMPTS) {
			/* it stays away: what it misses from now on counts as lost */
			c->resuming = FALSE;
			self->n.reconnect_failed++;
			return;
		}
		c->timeout_id = g_timeout_add(200 * c->resume_attempts, client_retry_cb, c);
		return;
	}
	if (self->connect_task == NULL)
		return;
	c->attempts++;
	g_debug(
	    "client %u -> %s, attempt %u: %s", c->index, node->url, c->attempts, error->message);
	if (c->attempts >= CONNECT_ATTEMPTS) {
		runner_fail_connect(
		    self,
		    g_error_new(G_IO_ERROR,
				G_IO_ERROR_FAILED,
				_("client %u cannot connect to %s after %u attempts: %s"),
				c->index,
				node->url,
				c->attempts,
				error->message));
		return;
	}
	c->timeout_id = g_timeout_add(200 * c->attempts, client_retry_cb, c);
}

static gboolean
client_timeout_cb(gpointer user_data)
{
	Client *c = user_data;
	g_autoptr(GError) error = g_error_new_literal(G_IO_ERROR,
						      G_IO_ERROR_TIMED_OUT,
						      c->hello ? _("no joined answer in time")
							       : _("no hello frame in time"));

	c->timeout_id = 0;
	client_attempt_failed(c, error);
	return G_SOURCE_REMOVE;
}

static void
runner_send_probes(RcBenchRunner *self)
{
	for (guint r = 0; r < self->config.rooms; r++) {
		/* client r is the first member of room r */
		Client *from = &self->clients[r];

		if (self->room_ready[r] >= self->room_sizes[r] || from->conn == NULL)
			continue;
		g_string_printf(self->send_buf,
				"{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"room_%u\","
				"\"text\":\"p:%u:%" G_GUINT64_FORMAT ":%" G_GINT64_FORMAT "\"}",
				r,
				from->index,
				self->probe_seq++,
				now_ns());
		rc_bench_conn_send_text(from->conn, self->send_buf->str, self->send_buf->len);
	}
}

static gboolean
runner_barrier_tick(gpointer user_data)
{
	RcBenchRunner *self = user_data;
	GCancellable *cancellable = g_task_get_cancellable(self->connect_task);
	gdouble elapsed_s = (gdouble)(now_ns() - self->phase_start_ns) / 1e9;
	g_autoptr(GError) error = NULL;

	if (self->n_ready >= self->config.clients) {
		g_autoptr(GTask) task = g_steal_pointer(&self->connect_task);

		self->barrier_timer = 0;
		self->barrier_ms = elapsed_s * 1e3;
		g_task_return_boolean(task, TRUE);
		return G_SOURCE_REMOVE;
	}
	if (g_cancellable_set_error_if_cancelled(cancellable, &error)) {
		self->barrier_timer = 0;
		runner_fail_connect(self, g_steal_pointer(&error));
		return G_SOURCE_REMOVE;
	}
	if (elapsed_s > self->config.barrier_timeout_s) {
		self->barrier_timer = 0;
		runner_fail_connect(
		    self,
		    g_error_new(G_IO_ERROR,
				G_IO_ERROR_TIMED_OUT,
				_("barrier timeout: %u of %u clients never received a "
				  "probe message of their room"),
				self->config.clients - self->n_ready,
				self->config.clients));
		return G_SOURCE_REMOVE;
	}
	if (++self->barrier_round % BARRIER_PROBE_EVERY == 0)
		runner_send_probes(self);
	return G_SOURCE_CONTINUE;
}

static void
client_joined(Client *c, const gchar *data, gsize len)
{
	RcBenchRunner *self = c->runner;
	const gchar *epoch;
	gsize epoch_len;
	guint64 offset = 0;
	gboolean same_epoch;

	c->joined = TRUE;
	g_clear_handle_id(&c->timeout_id, g_source_remove);
	if (!string_member_fast(data, len, "\"epoch\":\"", &epoch, &epoch_len) ||
	    epoch_len >= sizeof(c->epoch)) {
		epoch = "";
		epoch_len = 0;
	}
	uint_member_fast(data, len, "\"offset\":", &offset);
	same_epoch = strlen(c->epoch) == epoch_len && memcmp(c->epoch, epoch, epoch_len) == 0;
	memcpy(c->epoch, epoch, epoch_len);
	c->epoch[epoch_len] = '\0';
	if (c->resuming) {
		/* everything up to the joined offset can only come from the replay */
		c->resuming = FALSE;
		c->replay_top = offset;
		self->n.reconnects++;
		if (memmem(data, len, "\"recovered\":false", 17) != NULL)
			self->n.not_recovered++;
		if (!same_epoch)
			c->last_offset = 0; /* the room's offsets started over */
		return;
	}
	c->last_offset = offset;
	self->last_joined_ns = now_ns();
	if (self->connect_task == NULL)
		return;
	self->n_connecting--;
	self->n_joined++;
	if (self->n_joined < self->config.clients) {
		runner_connect_next(self);
		return;
	}
	self->connect_ms = (gdouble)(now_ns() - self->phase_start_ns) / 1e6;
	self->phase_start_ns = now_ns();
	runner_send_probes(self);
	self->barrier_timer = g_timeout_add(BARRIER_POLL_MS, runner_barrier_tick, self);
}

static void
client_on_text(RcBenchConn *conn, const gchar *data, gsize len, gpointer user_data)
{
	Client *c = user_data;
	RcBenchRunner *self = c->runner;
	gint64 now = now_ns();
	gboolean found;
	FrameType type = frame_type_fast(data, len, &found);
	g_autoptr(JsonObject) obj = NULL;
	const gchar *text;
	gsize text_len;

	if (!found) {
		obj = frame_parse(data, len);
		if (obj == NULL) {
			self->n.bad_text++;
			return;
		}
		type = frame_type_from_object(obj);
	}
	switch (type) {
	case FRAME_MSG: {
		gboolean replayed = FALSE;

		if (self->config.resume_fraction > 0) {
			guint64 offset = 0;

			if (obj != NULL)
				offset = (guint64)MAX(
				    json_object_get_int_member_with_default(obj, "offset", 0), 0);
			else
				uint_member_fast(data, len, "\"offset\":", &offset);
			if (offset > 0 && offset < c->last_offset)
				self->n.offset_backwards++;
			else if (offset > c->last_offset)
				c->last_offset = offset;
			replayed = offset > 0 && offset <= c->replay_top;
		}
		if (obj == NULL && string_member_fast(data, len, "\"text\":\"", &text, &text_len)) {
			if (runner_count_text(self, c, text, text_len, now) && replayed)
				self->n.recovered++;
			return;
		}
		if (obj == NULL)
			obj = frame_parse(data, len);
		if (obj != NULL && json_object_has_member(obj, "msg") &&
		    JSON_NODE_HOLDS_OBJECT(json_object_get_member(obj, "msg"))) {
			JsonObject *msg = json_object_get_object_member(obj, "msg");
			text = json_object_get_string_member_with_default(msg, "text", NULL);
			if (text != NULL) {
				if (runner_count_text(self, c, text, strlen(text), now) && replayed)
					self->n.recovered++;
				return;
			}
		}
		self->n.bad_text++;
		break;
	}
	case FRAME_HELLO:
		if (!c->hello) {
			g_autoptr(GString) join = g_string_new(NULL);

			g_string_printf(
			    join,
			    "{\"type\":\"join\",\"namespace\":\"/\",\"roomCode\":\"room_%u\"",
			    c->room);
			if (self->config.presence)
				g_string_append(join, ",\"presence\":true");
			/* the epoch is [A-Za-z0-9_-]: no escaping needed */
			if (c->resuming)
				g_string_append_printf(
				    join,
				    ",\"since\":{\"epoch\":\"%s\",\"offset\":%" G_GUINT64_FORMAT
				    "}",
				    c->epoch,
				    c->last_offset);
			g_string_append_c(join, '}');
			c->hello = TRUE;
			if (!c->resuming && self->first_join_ns == 0)
				self->first_join_ns = now_ns();
			rc_bench_conn_send_text(conn, join->str, join->len);
		}
		break;
	case FRAME_JOINED:
		if (!c->joined)
			client_joined(c, data, len);
		break;
	case FRAME_ACK:
		self->n.acks++;
		/* measured sends of the resume scenario carry "ref":"mROOM" */
		if (self->config.resume_fraction > 0 &&
		    string_member_fast(data, len, "\"ref\":\"", &text, &text_len) && text_len > 1 &&
		    text[0] == 'm') {
			guint64 room = g_ascii_strtoull(text + 1, NULL, 10);

			if (room < self->config.rooms)
				self->n.acked_expected += self->room_sizes[room];
		}
		break;
	case FRAME_PRESENCE:
		self->n.presence++;
		self->presence_total++;
		break;
	case FRAME_ERROR: {
		g_autofree gchar *code = NULL;

		if (obj == NULL && string_member_fast(data, len, "\"code\":\"", &text, &text_len))
			code = g_strndup(text, text_len);
		else if ((obj != NULL || (obj = frame_parse(data, len)) != NULL))
			code =
			    g_strdup(json_object_get_string_member_with_default(obj, "code", "?"));
		else
			code = g_strdup("?");
		if (!c->joined) {
			g_autofree gchar *frame = g_strndup(data, MIN(len, 200));
			g_autoptr(GError) error = g_error_new(
			    G_IO_ERROR, G_IO_ERROR_FAILED, _("join refused: %s"), frame);
			client_attempt_failed(c, error);
			return;
		}
		self->n.errors++;
		g_hash_table_insert(
		    self->error_codes,
		    g_strdup(code),
		    GUINT_TO_POINTER(
			GPOINTER_TO_UINT(g_hash_table_lookup(self->error_codes, code)) + 1));
		break;
	}
	case FRAME_OTHER:
	default:
		break;
	}
}

static void
client_on_closed(RcBenchConn *conn, const GError *error, gpointer user_data)
{
	Client *c = user_data;

	if (!c->joined) {
		client_attempt_failed(c, error);
		return;
	}
	c->runner->disconnects++;
	g_debug("client %u disconnected: %s", c->index, error->message);
}

static const RcBenchConnCallbacks client_callbacks = {
    .text = client_on_text,
    .closed = client_on_closed,
};

static void
client_start(Client *c)
{
	RcBenchRunner *self = c->runner;
	RcBenchNode *node = g_ptr_array_index(self->config.nodes, c->cur_node);
	GInetAddress *source = NULL;
	g_autofree gchar *path = NULL;
	g_autoptr(GError) error = NULL;

	if (self->connect_task == NULL && !c->resuming)
		return;
	if (self->config.source_addresses->len > 0)
		source = g_ptr_array_index(self->config.source_addresses,
					   c->index % self->config.source_addresses->len);
	path = g_strdup_printf(
	    "%s%csender=c%u", node->path, strchr(node->path, '?') != NULL ? '&' : '?', c->index);
	c->hello = FALSE;
	c->conn = rc_bench_conn_new(self->poller, &client_callbacks, c);
	c->timeout_id =
	    g_timeout_add((guint)(self->config.connect_timeout_s * 1000), client_timeout_cb, c);
	if (!rc_bench_conn_start(c->conn, node->address, source, node->host_header, path, &error))
		client_attempt_failed(c, error);
}

static void
runner_connect_next(RcBenchRunner *self)
{
	while (self->connect_task != NULL &&
	       self->n_connecting < self->config.connect_concurrency &&
	       self->next_client < self->config.clients) {
		Client *c = &self->clients[self->next_client++];

		self->n_connecting++;
		client_start(c);
	}
}

void
rc_bench_runner_connect_async(RcBenchRunner *self,
			      GCancellable *cancellable,
			      GAsyncReadyCallback callback,
			      gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);

	g_task_set_source_tag(task, rc_bench_runner_connect_async);
	if (self->connect_task != NULL || self->next_client > 0) {
		g_task_return_new_error(
		    task, G_IO_ERROR, G_IO_ERROR_PENDING, _("clients are already connected"));
		return;
	}
	self->connect_task = g_steal_pointer(&task);
	self->phase_start_ns = now_ns();
	runner_connect_next(self);
}

gboolean
rc_bench_runner_connect_finish(RcBenchRunner *self, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, self), FALSE);
	return g_task_propagate_boolean(G_TASK(result), error);
}

gdouble
rc_bench_runner_get_connect_ms(RcBenchRunner *self)
{
	return self->connect_ms;
}

gdouble
rc_bench_runner_get_barrier_ms(RcBenchRunner *self)
{
	return self->barrier_ms;
}

guint
rc_bench_runner_get_node_clients(RcBenchRunner *self, guint node)
{
	guint n = 0;

	for (guint i = 0; i < self->config.clients; i++)
		n += self->clients[i].node == node;
	return n;
}

guint
rc_bench_runner_get_min_nodes_per_room(RcBenchRunner *self)
{
	guint k = self->config.nodes->len;
	guint min = G_MAXUINT;
	g_autofree gboolean *on = g_new0(gboolean, (gsize)k * self->config.rooms);

	for (guint i = 0; i < self->config.clients; i++)
		on[(gsize)self->clients[i].room * k + self->clients[i].node] = TRUE;
	for (guint r = 0; r < self->config.rooms; r++) {
		guint n = 0;
		for (guint j = 0; j < k; j++)
			n += on[(gsize)r * k + j];
		min = MIN(min, n);
	}
	return min;
}

guint64
rc_bench_runner_get_disconnects(RcBenchRunner *self)
{
	return self->disconnects;
}

gdouble
rc_bench_runner_get_join_s(RcBenchRunner *self)
{
	if (self->first_join_ns == 0 || self->last_joined_ns < self->first_join_ns)
		return 0;
	return (gdouble)(self->last_joined_ns - self->first_join_ns) / 1e9;
}

guint64
rc_bench_runner_get_presence_events(RcBenchRunner *self)
{
	return self->presence_total;
}

gboolean
rc_bench_runner_get_progress(RcBenchRunner *self,
			     gdouble *elapsed_s,
			     guint64 *sent,
			     guint64 *delivered,
			     guint64 *expected,
			     guint64 *reconnects)
{
	if (self->step_task == NULL)
		return FALSE;
	*elapsed_s = (gdouble)(now_ns() - self->t0_ns) / 1e9;
	*sent = self->n.sent;
	*delivered = self->n.delivered;
	*expected = self->n.expected;
	*reconnects = self->n.reconnects;
	return TRUE;
}

/* ------------------------------------------------------------------ steps */

static void
runner_snapshot_cpu(RcBenchRunner *self, gdouble *pids, gdouble *lg)
{
	for (guint i = 0; i < self->config.pids->len; i++) {
		gint pid = g_array_index(self->config.pids, gint, i);
		g_autoptr(GError) error = NULL;

		if (!rc_bench_proc_get_cpu_seconds(pid, &pids[i], &error)) {
			g_debug("pid %d: %s", pid, error->message);
			pids[i] = -1;
		}
	}
	/* the slot after the nodes is the Redis server's */
	pids[self->config.pids->len] = -1;
	if (self->config.redis_pid > 0 &&
	    !rc_bench_proc_get_cpu_seconds(
		self->config.redis_pid, &pids[self->config.pids->len], NULL))
		pids[self->config.pids->len] = -1;
	*lg = rc_bench_proc_get_self_cpu_seconds();
}

static void
runner_snapshot_io(RcBenchRunner *self, guint64 *io)
{
	for (guint i = 0; i < self->config.pids->len; i++) {
		if (!rc_bench_proc_get_io_bytes(g_array_index(self->config.pids, gint, i),
						&io[2 * i],
						&io[2 * i + 1],
						NULL))
			io[2 * i] = io[2 * i + 1] = G_MAXUINT64;
	}
}

static gboolean
runner_send_one(RcBenchRunner *self,
		guint sender,
		const gchar *tag,
		gboolean measured,
		guint64 seq,
		gint64 *sent_at)
{
	Client *c = &self->clients[sender]; /* sender s is member s / R of room s mod R: client s */

	*sent_at = now_ns();
	g_string_printf(self->send_buf,
			"{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"room_%u\","
			"\"text\":\"%s:%u:%" G_GUINT64_FORMAT ":%" G_GINT64_FORMAT "%s\"",
			c->room,
			tag,
			sender,
			seq,
			*sent_at,
			self->pad);
	/* the resume scenario counts losses against acknowledged messages only */
	if (measured && self->config.resume_fraction > 0)
		g_string_append_printf(self->send_buf, ",\"ref\":\"m%u\"", c->room);
	g_string_append_c(self->send_buf, '}');
	return c->conn != NULL &&
	       rc_bench_conn_send_text(c->conn, self->send_buf->str, self->send_buf->len);
}

static gboolean
client_resume_cb(gpointer user_data)
{
	Client *c = user_data;
	RcBenchRunner *self = c->runner;

	c->timeout_id = 0;
	c->cur_node = (c->cur_node + 1) % self->config.nodes->len;
	client_start(c);
	return G_SOURCE_REMOVE;
}

/* drops one receiver; it reconnects (to the next node) after a short random pause */
static void
client_drop(Client *c)
{
	rc_bench_conn_close(c->conn);
	g_clear_object(&c->conn);
	c->joined = FALSE;
	c->hello = FALSE;
	c->resuming = TRUE;
	c->resume_attempts = 0;
	c->replay_top = 0;
	c->last_drop_ns = now_ns();
	c->timeout_id =
	    g_timeout_add((guint)g_random_int_range(RESUME_DELAY_MIN_MS, RESUME_DELAY_MAX_MS + 1),
			  client_resume_cb,
			  c);
}

static gboolean
runner_resume_tick(gpointer user_data)
{
	RcBenchRunner *self = user_data;
	guint receivers = self->config.clients - self->config.senders;
	gint64 now = now_ns();
	gint64 gap_ns = (gint64)(self->config.resume_gap_s * 1e9);

	g_array_set_size(self->eligible, 0);
	for (guint i = self->config.senders; i < self->config.clients; i++) {
		Client *c = &self->clients[i];

		if (c->conn != NULL && c->joined && !c->resuming &&
		    (c->last_drop_ns == 0 || now - c->last_drop_ns >= gap_ns))
			g_array_append_val(self->eligible, i);
	}
	self->resume_budget += self->config.resume_fraction * receivers * RESUME_TICK_MS / 1000.0;
	/* what the gap holds back is not made up later in a burst */
	self->resume_budget = MIN(self->resume_budget, (gdouble)self->eligible->len + 1);
	while (self->resume_budget >= 1 && self->eligible->len > 0) {
		guint j = (guint)g_random_int_range(0, (gint32)self->eligible->len);

		client_drop(&self->clients[g_array_index(self->eligible, guint, j)]);
		g_array_remove_index_fast(self->eligible, j);
		self->resume_budget -= 1;
	}
	return G_SOURCE_CONTINUE;
}

static void
runner_finish_step(RcBenchRunner *self)
{
	g_autoptr(GTask) task = g_steal_pointer(&self->step_task);
	g_autoptr(RcBenchStepResult) r = g_new0(RcBenchStepResult, 1);
	g_autofree gdouble *pid_after = g_new0(gdouble, self->config.pids->len + 1);
	g_autofree guint64 *io_after = g_new0(guint64, 2 * self->config.pids->len + 2);
	gdouble lg_after;
	gint64 end = now_ns();
	gint64 last_recv = self->last_recv_ns != 0 ? self->last_recv_ns : self->last_send_ns;
	guint64 kb;
	GHashTableIter iter;
	gpointer key, value;

	runner_snapshot_cpu(self, pid_after, &lg_after);
	runner_snapshot_io(self, io_after);
	self->counting = FALSE;
	self->drain_timer = 0;

	r->step = self->step;
	r->rate = self->rate;
	r->duration_s = self->duration_s;
	r->warmup_s = self->warmup_s;
	r->sent = self->n.sent;
	r->send_failed = self->n.send_failed;
	r->expected = self->n.expected;
	r->delivered = self->n.delivered;
	r->loss_pct = r->expected > 0
			  ? 100.0 * (gdouble)(r->expected - MIN(r->expected, r->delivered)) /
				(gdouble)r->expected
			  : 0;
	r->duplicates = self->n.duplicates;
	r->out_of_order = self->n.out_of_order;
	r->stale = self->n.stale;
	r->bad_text = self->n.bad_text;
	r->have_latency = rc_bench_histogram_get_count(self->latency) > 0;
	r->lat_ms_p50 = (gdouble)rc_bench_histogram_get_percentile(self->latency, 0.50) / 1e6;
	r->lat_ms_p90 = (gdouble)rc_bench_histogram_get_percentile(self->latency, 0.90) / 1e6;
	r->lat_ms_p99 = (gdouble)rc_bench_histogram_get_percentile(self->latency, 0.99) / 1e6;
	r->lat_ms_p999 = (gdouble)rc_bench_histogram_get_percentile(self->latency, 0.999) / 1e6;
	r->lat_ms_max = (gdouble)rc_bench_histogram_get_max(self->latency) / 1e6;
	r->send_span_s = (gdouble)(self->last_send_ns - self->first_send_ns) / 1e9;
	r->delivery_span_s = MAX(r->send_span_s, (gdouble)(last_recv - self->first_send_ns) / 1e9);
	r->sent_per_s = (gdouble)r->sent / MAX(r->send_span_s, 1e-9);
	r->delivered_per_s = (gdouble)r->delivered / MAX(r->delivery_span_s, 1e-9);
	r->max_send_lag_ms = self->max_lag_ms;
	r->window_s = (gdouble)(end - self->first_send_ns) / 1e9;
	r->disconnects = self->disconnects;
	r->client_errors = self->n.errors;
	r->acks = self->n.acks;
	r->error_codes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_hash_table_iter_init(&iter, self->error_codes);
	while (g_hash_table_iter_next(&iter, &key, &value))
		g_hash_table_insert(r->error_codes, g_strdup(key), value);

	r->pids = g_array_new(FALSE, TRUE, sizeof(RcBenchPidStats));
	for (guint i = 0; i < self->config.pids->len; i++) {
		RcBenchPidStats ps = {.pid = g_array_index(self->config.pids, gint, i)};

		ps.ok = self->pid_cpu_before[i] >= 0 && pid_after[i] >= 0;
		if (ps.ok) {
			ps.cpu_s = pid_after[i] - self->pid_cpu_before[i];
			r->server_cpu_s += ps.cpu_s;
		}
		if (rc_bench_proc_get_status_kb(ps.pid, "VmHWM", &kb, NULL))
			ps.peak_rss_mb = (gdouble)kb / 1024;
		else
			ps.ok = FALSE;
		if (rc_bench_proc_get_status_kb(ps.pid, "VmRSS", &kb, NULL))
			ps.rss_mb = (gdouble)kb / 1024;
		ps.read_mb = ps.written_mb = -1;
		if (self->pid_io_before[2 * i] != G_MAXUINT64 && io_after[2 * i] != G_MAXUINT64) {
			ps.read_mb =
			    (gdouble)(io_after[2 * i] - self->pid_io_before[2 * i]) / 1048576;
			ps.written_mb =
			    (gdouble)(io_after[2 * i + 1] - self->pid_io_before[2 * i + 1]) /
			    1048576;
		}
		g_array_append_val(r->pids, ps);
	}
	r->server_cpu_pct = 100 * r->server_cpu_s / MAX(r->window_s, 1e-9);
	r->server_cpu_us_per_msg = r->delivered > 0 && self->config.pids->len > 0
				       ? r->server_cpu_s * 1e6 / (gdouble)r->delivered
				       : -1;
	r->redis_cpu_s = -1;
	r->redis_cpu_us_per_msg = -1;
	if (self->pid_cpu_before[self->config.pids->len] >= 0 &&
	    pid_after[self->config.pids->len] >= 0) {
		r->redis_cpu_s = pid_after[self->config.pids->len] -
				 self->pid_cpu_before[self->config.pids->len];
		r->redis_cpu_pct = 100 * r->redis_cpu_s / MAX(r->window_s, 1e-9);
		if (r->delivered > 0)
			r->redis_cpu_us_per_msg = r->redis_cpu_s * 1e6 / (gdouble)r->delivered;
	}
	if (self->config.redis_pid > 0 &&
	    rc_bench_proc_get_status_kb(self->config.redis_pid, "VmHWM", &kb, NULL))
		r->redis_peak_rss_mb = (gdouble)kb / 1024;
	r->join_s = rc_bench_runner_get_join_s(self);
	r->presence_events = self->n.presence;
	r->resume = self->config.resume_fraction > 0;
	r->reconnects = self->n.reconnects;
	r->reconnect_failed = self->n.reconnect_failed;
	r->acked_expected = self->n.acked_expected;
	r->lost = r->acked_expected - MIN(r->acked_expected, r->delivered);
	r->recovered = self->n.recovered;
	r->not_recovered = self->n.not_recovered;
	r->offset_backwards = self->n.offset_backwards;
	r->lg_cpu_s = lg_after - self->lg_cpu_before;
	r->lg_cpu_pct = 100 * r->lg_cpu_s / MAX(r->window_s, 1e-9);
	r->lg_cpu_us_per_msg = r->delivered > 0 ? r->lg_cpu_s * 1e6 / (gdouble)r->delivered : -1;
	if (rc_bench_proc_get_status_kb(getpid(), "VmHWM", &kb, NULL))
		r->lg_peak_rss_mb = (gdouble)kb / 1024;

	g_task_return_pointer(task, g_steal_pointer(&r), (GDestroyNotify)rc_bench_step_result_free);
}

static gboolean
runner_drain_tick(gpointer user_data)
{
	RcBenchRunner *self = user_data;
	gint64 now = now_ns();

	if (self->n.delivered != self->last_count) {
		self->last_count = self->n.delivered;
		self->last_change_ns = now;
	}
	if (self->n.delivered >= self->n.expected ||
	    (gdouble)(now - self->last_change_ns) / 1e9 > self->config.drain_idle_s ||
	    (gdouble)(now - self->end_send_ns) / 1e9 > self->config.drain_max_s ||
	    g_cancellable_is_cancelled(g_task_get_cancellable(self->step_task))) {
		runner_finish_step(self);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean
runner_send_tick(gpointer user_data)
{
	RcBenchRunner *self = user_data;
	guint senders = self->config.senders;
	gint64 now = now_ns();
	/* message n is due at n/P s: messages 0 .. floor(elapsed * P) are due now */
	guint64 due = (guint64)((gdouble)(now - self->t0_ns) * self->rate / 1e9) + 1;

	if (due > self->n_total)
		due = self->n_total;
	if (due > self->n_scheduled && self->n_scheduled >= self->n_warmup) {
		gdouble lag = (gdouble)(now - self->t0_ns) / 1e6 -
			      (gdouble)self->n_scheduled * 1e3 / self->rate;
		self->max_lag_ms = MAX(self->max_lag_ms, lag);
		if (lag > 10)
			g_debug("message %" G_GUINT64_FORMAT " sent %.1f ms late",
				self->n_scheduled,
				lag);
	}
	while (self->n_scheduled < due) {
		guint64 n = self->n_scheduled++;
		guint s = (guint)(n % senders);
		gint64 sent_at;

		if (n < self->n_warmup) {
			runner_send_one(self, s, self->warmup_tag, FALSE, n, &sent_at);
			continue;
		}
		if (!self->measuring) {
			self->measuring = TRUE;
			runner_snapshot_cpu(self, self->pid_cpu_before, &self->lg_cpu_before);
			runner_snapshot_io(self, self->pid_io_before);
			self->first_send_ns = now_ns();
		}
		if (!runner_send_one(self, s, self->measured_tag, TRUE, self->seqs[s]++, &sent_at))
			self->n.send_failed++;
		self->last_send_ns = sent_at;
		self->n.sent++;
		self->n.expected += self->room_sizes[s % self->config.rooms];
	}
	if (self->n_scheduled < self->n_total &&
	    !g_cancellable_is_cancelled(g_task_get_cancellable(self->step_task)))
		return G_SOURCE_CONTINUE;
	self->send_timer = 0;
	/* no more drops: the drain lets the last reconnects catch up */
	g_clear_handle_id(&self->resume_timer, g_source_remove);
	self->end_send_ns = now_ns();
	self->last_change_ns = self->end_send_ns;
	self->last_count = self->n.delivered;
	self->drain_timer = g_timeout_add(DRAIN_POLL_MS, runner_drain_tick, self);
	return G_SOURCE_REMOVE;
}

void
rc_bench_runner_run_step_async(RcBenchRunner *self,
			       guint step,
			       gdouble rate,
			       gdouble duration_s,
			       gdouble warmup_s,
			       GCancellable *cancellable,
			       GAsyncReadyCallback callback,
			       gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	guint64 n_measured = (guint64)llround(rate * duration_s);
	guint64 per_sender;

	g_task_set_source_tag(task, rc_bench_runner_run_step_async);
	/* an interrupted step still returns what it counted so far */
	g_task_set_check_cancellable(task, FALSE);
	if (self->step_task != NULL || self->connect_task != NULL ||
	    self->n_ready < self->config.clients) {
		g_task_return_new_error(
		    task,
		    G_IO_ERROR,
		    G_IO_ERROR_PENDING,
		    _("a step needs connected clients and no other step running"));
		return;
	}
	if (self->config.senders == 0 || n_measured == 0 || rate <= 0) {
		g_task_return_new_error(
		    task,
		    G_IO_ERROR,
		    G_IO_ERROR_INVALID_ARGUMENT,
		    _("a step needs senders and at least one measured message"));
		return;
	}
	memset(&self->n, 0, sizeof(self->n));
	g_hash_table_remove_all(self->error_codes);
	rc_bench_histogram_reset(self->latency);
	self->step = step;
	self->rate = rate;
	self->duration_s = duration_s;
	self->warmup_s = warmup_s;
	self->n_warmup = (guint64)llround(rate * warmup_s);
	self->n_total = self->n_warmup + n_measured;
	self->n_scheduled = 0;
	self->measuring = FALSE;
	self->max_lag_ms = 0;
	self->first_send_ns = self->last_send_ns = self->last_recv_ns = 0;
	g_free(self->seqs);
	self->seqs = g_new0(guint64, self->config.senders);
	g_snprintf(self->measured_tag, sizeof(self->measured_tag), "m%u", step);
	self->measured_tag_len = strlen(self->measured_tag);
	g_snprintf(self->warmup_tag, sizeof(self->warmup_tag), "w%u", step);

	/* preallocate the receivers' seen-bitmaps so counting never allocates */
	per_sender = (n_measured + self->config.senders - 1) / self->config.senders + 64;
	for (guint i = 0; i < self->config.clients; i++) {
		Client *c = &self->clients[i];

		for (guint j = 0; j < c->n_seen; j++) {
			SeenSlot *slot = &c->seen[j];
			guint64 words = (per_sender + 63) / 64;

			g_free(slot->bits);
			slot->bits = g_new0(guint64, words);
			slot->n_bits = words * 64;
			slot->max_seq = -1;
		}
	}
	self->counting = TRUE;
	self->step_task = g_steal_pointer(&task);
	self->t0_ns = now_ns();
	self->send_timer =
	    g_timeout_add_full(G_PRIORITY_HIGH, SEND_TICK_MS, runner_send_tick, self, NULL);
	self->resume_budget = 0;
	if (self->config.resume_fraction > 0 && self->config.clients > self->config.senders)
		self->resume_timer = g_timeout_add(RESUME_TICK_MS, runner_resume_tick, self);
}

RcBenchStepResult *
rc_bench_runner_run_step_finish(RcBenchRunner *self, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, self), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}

/* ------------------------------------------------------------------ object */

void
rc_bench_runner_close(RcBenchRunner *self)
{
	g_clear_handle_id(&self->barrier_timer, g_source_remove);
	g_clear_handle_id(&self->send_timer, g_source_remove);
	g_clear_handle_id(&self->drain_timer, g_source_remove);
	g_clear_handle_id(&self->resume_timer, g_source_remove);
	for (guint i = 0; self->clients != NULL && i < self->config.clients; i++) {
		Client *c = &self->clients[i];

		g_clear_handle_id(&c->timeout_id, g_source_remove);
		if (c->conn != NULL) {
			rc_bench_conn_close(c->conn);
			g_clear_object(&c->conn);
		}
	}
}

static void
rc_bench_runner_dispose(GObject *object)
{
	RcBenchRunner *self = RC_BENCH_RUNNER(object);

	rc_bench_runner_close(self);
	G_OBJECT_CLASS(rc_bench_runner_parent_class)->dispose(object);
}

static void
rc_bench_runner_finalize(GObject *object)
{
	RcBenchRunner *self = RC_BENCH_RUNNER(object);

	for (guint i = 0; self->clients != NULL && i < self->config.clients; i++) {
		for (guint j = 0; j < self->clients[i].n_seen; j++)
			g_free(self->clients[i].seen[j].bits);
		g_free(self->clients[i].seen);
	}
	g_free(self->clients);
	g_free(self->room_sizes);
	g_free(self->room_ready);
	g_free(self->room_senders);
	g_free(self->seqs);
	g_free(self->pid_cpu_before);
	g_free(self->pid_io_before);
	g_free(self->pad);
	g_clear_pointer(&self->latency, rc_bench_histogram_free);
	g_clear_object(&self->poller);
	g_string_free(self->send_buf, TRUE);
	g_clear_pointer(&self->error_codes, g_hash_table_unref);
	g_clear_pointer(&self->eligible, g_array_unref);
	g_clear_pointer(&self->config.nodes, g_ptr_array_unref);
	g_clear_pointer(&self->config.source_addresses, g_ptr_array_unref);
	g_clear_pointer(&self->config.pids, g_array_unref);
	G_OBJECT_CLASS(rc_bench_runner_parent_class)->finalize(object);
}

static void
rc_bench_runner_class_init(RcBenchRunnerClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = rc_bench_runner_dispose;
	object_class->finalize = rc_bench_runner_finalize;
}

static void
rc_bench_runner_init(RcBenchRunner *self)
{
	self->latency = rc_bench_histogram_new();
	self->send_buf = g_string_sized_new(256);
	self->error_codes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->eligible = g_array_new(FALSE, FALSE, sizeof(guint));
}

RcBenchRunner *
rc_bench_runner_new(const RcBenchConfig *config, GError **error)
{
	g_autoptr(RcBenchRunner) self = NULL;
	guint k = config->nodes->len;
	guint rooms = config->rooms;

	g_return_val_if_fail(k > 0 && rooms > 0 && rooms <= config->clients, NULL);
	g_return_val_if_fail(config->senders <= config->clients, NULL);

	self = g_object_new(RC_TYPE_BENCH_RUNNER, NULL);
	self->poller = rc_bench_poller_new(error);
	if (self->poller == NULL)
		return NULL;

	self->config = *config;
	self->config.nodes = g_ptr_array_ref(config->nodes);
	self->config.source_addresses = g_ptr_array_ref(config->source_addresses);
	self->config.pids = g_array_ref(config->pids);
	self->pid_cpu_before = g_new0(gdouble, config->pids->len + 1);
	self->pid_io_before = g_new0(guint64, 2 * config->pids->len + 2);
	self->pad = g_malloc(config->msg_bytes + 2);
	self->pad[0] = '\0';
	if (config->msg_bytes > 0) {
		self->pad[0] = ':';
		memset(self->pad + 1, 'x', config->msg_bytes);
		self->pad[config->msg_bytes + 1] = '\0';
	}

	self->room_sizes = g_new0(guint, rooms);
	self->room_ready = g_new0(guint, rooms);
	self->room_senders = g_new0(guint, rooms);
	for (guint s = 0; s < config->senders; s++)
		self->room_senders[s % rooms]++;
	self->clients = g_new0(Client, config->clients);
	for (guint i = 0; i < config->clients; i++) {
		Client *c = &self->clients[i];

		c->runner = self;
		c->index = i;
		c->room = i % rooms;
		c->node = config->placement == RC_BENCH_PLACEMENT_RR
			      ? i % k
			      : ((i % rooms) + i / rooms) % k;
		c->cur_node = c->node;
		c->n_seen = self->room_senders[c->room];
		c->seen = g_new0(SeenSlot, c->n_seen);
		self->room_sizes[c->room]++;
	}
	return g_steal_pointer(&self);
}
