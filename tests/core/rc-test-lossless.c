/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTestLossless"
#define _GNU_SOURCE /* memmem */

#include "rc-test-lossless.h"

#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <string.h>

static GList *live_members;

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

void
rc_test_lossless_init(int *argc, char ***argv)
{
	rc_test_init(argc, argv);
	g_setenv("G_SLICE", "always-malloc", TRUE);
}

gboolean
rc_test_under_wrapper(void)
{
	return g_getenv("RC_TEST_DAEMON_WRAPPER") != NULL;
}

RcTestMember *
rc_test_member_new(RcTestNode *node, const gchar *sender, const gchar *ns, const gchar *room)
{
	RcTestMember *self = g_new0(RcTestMember, 1);
	g_autofree gchar *query = g_strdup_printf("sender=%s", sender);

	self->ws = rc_test_ws_new(node, query);
	self->name = g_strdup(sender);
	self->ns = g_strdup(ns);
	self->room = g_strdup(room);
	self->messages = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	self->arrived_us = g_array_new(FALSE, FALSE, sizeof(gint64));
	self->replies = g_hash_table_new_full(
	    g_str_hash, g_str_equal, g_free, (GDestroyNotify)json_object_unref);
	self->others = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	live_members = g_list_prepend(live_members, self);
	return self;
}

void
rc_test_member_free(RcTestMember *self)
{
	if (self == NULL)
		return;
	live_members = g_list_remove(live_members, self);
	rc_test_ws_free(self->ws);
	g_ptr_array_unref(self->messages);
	g_array_unref(self->arrived_us);
	g_hash_table_unref(self->replies);
	g_ptr_array_unref(self->others);
	g_free(self->name);
	g_free(self->ns);
	g_free(self->room);
	g_free(self);
}

void
rc_test_member_pump(RcTestMember *self)
{
	gint64 now = g_get_monotonic_time();

	while (rc_test_ws_get_n_queued(self->ws) > 0) {
		JsonObject *frame = rc_test_ws_try_next(self->ws, 0);
		const gchar *type = rc_test_json_get_string(frame, "type");
		const gchar *ref = rc_test_json_get_string(frame, "ref");

		if (g_strcmp0(type, "MSG_TO_CLIENTS") == 0 &&
		    g_strcmp0(rc_test_json_get_string(frame, "namespace"), self->ns) == 0 &&
		    g_strcmp0(rc_test_json_get_string(frame, "roomCode"), self->room) == 0) {
			g_ptr_array_add(self->messages, frame);
			g_array_append_val(self->arrived_us, now);
		} else if (ref != NULL && g_strcmp0(type, "MSG_TO_CLIENTS") != 0) {
			if (g_hash_table_contains(self->replies, ref))
				fail("%s: a second reply with ref “%s”", self->name, ref);
			g_hash_table_insert(self->replies, g_strdup(ref), frame);
		} else {
			g_ptr_array_add(self->others, frame);
		}
	}
}

void
rc_test_member_pump_all(void)
{
	for (GList *l = live_members; l != NULL; l = l->next)
		rc_test_member_pump(l->data);
}

gchar *
rc_test_member_new_ref(RcTestMember *self, const gchar *prefix)
{
	return g_strdup_printf("%s-%u", prefix, ++self->next_ref);
}

void
rc_test_member_send_raw(RcTestMember *self, const gchar *text)
{
	rc_test_ws_send_text(self->ws, text);
}

void
rc_test_member_send(RcTestMember *self, const gchar *ref, const gchar *text)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, "send");
	json_builder_set_member_name(b, "namespace");
	json_builder_add_string_value(b, self->ns);
	json_builder_set_member_name(b, "roomCode");
	json_builder_add_string_value(b, self->room);
	json_builder_set_member_name(b, "text");
	json_builder_add_string_value(b, text);
	json_builder_set_member_name(b, "ref");
	json_builder_add_string_value(b, ref);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	rc_test_ws_send_json(self->ws, root);
}

typedef struct {
	RcTestMember *member;
	const gchar *ref;
} ReplyWait;

static gboolean
reply_arrived(gpointer user_data)
{
	ReplyWait *w = user_data;

	rc_test_member_pump_all();
	return g_hash_table_contains(w->member->replies, w->ref) ||
	       rc_test_ws_is_closed(w->member->ws);
}

JsonObject *
rc_test_member_try_reply(RcTestMember *self, const gchar *ref, guint timeout_ms)
{
	ReplyWait w = {self, ref};
	gpointer key = NULL, value = NULL;

	rc_test_wait_until(reply_arrived, &w, timeout_ms);
	if (!g_hash_table_steal_extended(self->replies, ref, &key, &value))
		return NULL;
	g_free(key);
	return value;
}

JsonObject *
rc_test_member_wait_reply_at(
    RcTestMember *self, const gchar *ref, guint timeout_ms, const gchar *file, gint line)
{
	JsonObject *reply = rc_test_member_try_reply(self, ref, timeout_ms);

	if (reply == NULL)
		fail_at(file,
			line,
			"%s: no reply with ref “%s” within %u ms%s",
			self->name,
			ref,
			rc_test_timeout(timeout_ms),
			rc_test_ws_is_closed(self->ws) ? " (connection closed)" : "");
	return reply;
}

gint64
rc_test_json_get_int(JsonObject *object, const gchar *name)
{
	JsonNode *member = object != NULL ? json_object_get_member(object, name) : NULL;

	if (member == NULL || json_node_get_value_type(member) != G_TYPE_INT64)
		return -1;
	return json_node_get_int(member);
}

JsonObject *
rc_test_member_join_reply_at(RcTestMember *self, const gchar *extra, const gchar *file, gint line)
{
	g_autofree gchar *ref = rc_test_member_new_ref(self, "join");
	g_autofree gchar *ns = NULL;
	g_autofree gchar *room = NULL;
	g_autofree gchar *frame = NULL;
	JsonObject *reply;

	{
		g_autoptr(JsonNode) n1 = json_node_init_string(json_node_alloc(), self->ns);
		g_autoptr(JsonNode) n2 = json_node_init_string(json_node_alloc(), self->room);
		ns = json_to_string(n1, FALSE);
		room = json_to_string(n2, FALSE);
	}
	frame = g_strdup_printf(
	    "{\"type\":\"join\",\"namespace\":%s,\"roomCode\":%s,\"ref\":\"%s\"%s%s}",
	    ns,
	    room,
	    ref,
	    extra != NULL ? "," : "",
	    extra != NULL ? extra : "");
	rc_test_member_send_raw(self, frame);
	reply = rc_test_member_wait_reply_at(self, ref, 5000, file, line);
	if (reply != NULL && g_strcmp0(rc_test_json_get_string(reply, "type"), "joined") == 0) {
		g_autofree gchar *text = rc_test_json_to_string(reply);
		JsonNode *epoch = json_object_get_member(reply, "epoch");
		JsonNode *offset = json_object_get_member(reply, "offset");

		if (g_strcmp0(rc_test_json_get_string(reply, "namespace"), self->ns) != 0 ||
		    g_strcmp0(rc_test_json_get_string(reply, "roomCode"), self->room) != 0)
			fail_at(file, line, "%s: joined names another room: %s", self->name, text);
		if (epoch == NULL || json_node_get_value_type(epoch) != G_TYPE_STRING)
			fail_at(
			    file, line, "%s: joined without a string epoch: %s", self->name, text);
		if (offset == NULL || json_node_get_value_type(offset) != G_TYPE_INT64 ||
		    json_node_get_int(offset) < 0)
			fail_at(file,
				line,
				"%s: joined without an integer offset: %s",
				self->name,
				text);
	}
	return reply;
}

JsonObject *
rc_test_member_join_at(RcTestMember *self, const gchar *extra, const gchar *file, gint line)
{
	JsonObject *reply = rc_test_member_join_reply_at(self, extra, file, line);

	if (g_strcmp0(rc_test_json_get_string(reply, "type"), "joined") != 0) {
		g_autofree gchar *text = rc_test_json_to_string(reply);
		fail_at(file,
			line,
			"%s: join %s %s {%s}: expected joined, got %s",
			self->name,
			self->ns,
			self->room,
			extra != NULL ? extra : "",
			text);
	}
	return reply;
}

void
rc_test_member_ping_at(RcTestMember *self, const gchar *file, gint line)
{
	g_autofree gchar *ref = rc_test_member_new_ref(self, "ping");
	g_autofree gchar *frame = g_strdup_printf("{\"type\":\"ping\",\"ref\":\"%s\"}", ref);
	g_autoptr(JsonObject) pong = NULL;

	rc_test_member_send_raw(self, frame);
	pong = rc_test_member_wait_reply_at(self, ref, 5000, file, line);
	if (g_strcmp0(rc_test_json_get_string(pong, "type"), "pong") != 0) {
		g_autofree gchar *text = rc_test_json_to_string(pong);
		fail_at(file, line, "%s: expected pong, got %s", self->name, text);
	}
}

void
rc_test_member_expect_error_at(RcTestMember *self,
			       const gchar *frame_text,
			       const gchar *ref,
			       const gchar *code,
			       const gchar *file,
			       gint line)
{
	g_autoptr(JsonObject) reply = NULL;
	g_autofree gchar *text = NULL;
	const gchar *message;

	rc_test_member_send_raw(self, frame_text);
	reply = rc_test_member_wait_reply_at(self, ref, 5000, file, line);
	text = rc_test_json_to_string(reply);
	message = rc_test_json_get_string(reply, "message");
	if (g_strcmp0(rc_test_json_get_string(reply, "type"), "error") != 0 ||
	    g_strcmp0(rc_test_json_get_string(reply, "code"), code) != 0)
		fail_at(file,
			line,
			"%s: %s: expected error %s, got %s",
			self->name,
			frame_text,
			code,
			text);
	if (message == NULL || message[0] == '\0')
		fail_at(file, line, "%s: error without a message: %s", self->name, text);
	if (rc_test_ws_is_closed(self->ws))
		fail_at(file, line, "%s: %s closed the connection", self->name, frame_text);
	rc_test_member_ping_at(self, file, line);
}

typedef struct {
	RcTestMember **members;
	guint n;
} MessagesWait;

static gboolean
messages_arrived(gpointer user_data)
{
	MessagesWait *w = user_data;

	rc_test_member_pump_all();
	for (guint i = 0; w->members[i] != NULL; i++) {
		if (w->members[i]->messages->len < w->n)
			return FALSE;
	}
	return TRUE;
}

gboolean
rc_test_member_wait_messages(RcTestMember *self, guint n, guint timeout_ms)
{
	RcTestMember *list[] = {self, NULL};
	MessagesWait w = {list, n};

	return rc_test_wait_until(messages_arrived, &w, timeout_ms);
}

void
rc_test_members_wait_messages(RcTestMember **members, guint n, guint timeout_ms)
{
	MessagesWait w = {members, n};

	if (!rc_test_wait_until(messages_arrived, &w, timeout_ms)) {
		GString *late = g_string_new(NULL);
		for (guint i = 0; members[i] != NULL; i++) {
			if (members[i]->messages->len < n)
				g_string_append_printf(
				    late, " %s (%u)", members[i]->name, members[i]->messages->len);
		}
		fail("after %u ms, still short of %u messages:%s",
		     rc_test_timeout(timeout_ms),
		     n,
		     late->str);
		g_string_free(late, TRUE);
	}
}

gint64
rc_test_message_offset(JsonObject *msg)
{
	return rc_test_json_get_int(msg, "offset");
}

const gchar *
rc_test_message_text(JsonObject *msg)
{
	JsonObject *body = msg != NULL && json_object_has_member(msg, "msg")
			       ? json_object_get_object_member(msg, "msg")
			       : NULL;
	return rc_test_json_get_string(body, "text");
}

const gchar *
rc_test_message_sender(JsonObject *msg)
{
	JsonObject *body = msg != NULL && json_object_has_member(msg, "msg")
			       ? json_object_get_object_member(msg, "msg")
			       : NULL;
	return rc_test_json_get_string(body, "sender");
}

gchar *
rc_test_member_describe(RcTestMember *self, guint from)
{
	GString *s = g_string_new(NULL);

	for (guint i = from; i < self->messages->len; i++) {
		if (s->len > 400) {
			g_string_append(s, ",…");
			break;
		}
		g_string_append_printf(s,
				       "%s%" G_GINT64_FORMAT,
				       i > from ? "," : "",
				       rc_test_message_offset(self->messages->pdata[i]));
	}
	return g_string_free(s, FALSE);
}

void
rc_test_member_assert_offsets_at(
    RcTestMember *self, gint64 first, gint64 last, const gchar *file, gint line)
{
	guint expected = last >= first ? (guint)(last - first + 1) : 0;

	rc_test_member_pump(self);
	for (guint i = 0; i < self->messages->len && i < expected; i++) {
		gint64 offset = rc_test_message_offset(self->messages->pdata[i]);
		if (offset != first + i) {
			g_autofree gchar *got = rc_test_member_describe(self, i > 3 ? i - 3 : 0);
			fail_at(file,
				line,
				"%s: message %u has offset %" G_GINT64_FORMAT
				", expected %" G_GINT64_FORMAT " (offsets from message %u: %s)",
				self->name,
				i,
				offset,
				first + i,
				i > 3 ? i - 3 : 0,
				got);
		}
	}
	if (self->messages->len != expected) {
		g_autofree gchar *got = rc_test_member_describe(self, 0);
		fail_at(file,
			line,
			"%s: expected offsets %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT
			" (%u messages), got %u: %s",
			self->name,
			first,
			last,
			expected,
			self->messages->len,
			got);
	}
}

void
rc_test_member_expect_no_more_at(RcTestMember *self, guint ms, const gchar *file, gint line)
{
	guint had = self->messages->len;

	rc_test_sleep(ms);
	rc_test_member_pump_all();
	if (self->messages->len != had) {
		g_autofree gchar *extra = rc_test_member_describe(self, had);
		fail_at(file,
			line,
			"%s: %u messages more than expected, offsets %s",
			self->name,
			self->messages->len - had,
			extra);
	}
}

void
rc_test_member_clear_messages(RcTestMember *self)
{
	rc_test_member_pump(self);
	g_ptr_array_set_size(self->messages, 0);
	g_array_set_size(self->arrived_us, 0);
}

gchar *
rc_test_publish(
    RcTestNode *node, const gchar *ns, const gchar *room, const gchar *sender, const gchar *text)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree gchar *body = NULL;
	g_autoptr(RcTestHttpReply) reply = NULL;
	g_autoptr(JsonObject) answer = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "namespace");
	json_builder_add_string_value(b, ns);
	json_builder_set_member_name(b, "roomCode");
	json_builder_add_string_value(b, room);
	json_builder_set_member_name(b, "msg");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "sender");
	json_builder_add_string_value(b, sender);
	json_builder_set_member_name(b, "text");
	json_builder_add_string_value(b, text);
	json_builder_end_object(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	body = json_to_string(root, FALSE);
	reply = rc_test_http_post(node, "/publish", NULL, body, strlen(body), NULL);
	if (reply->status != 200)
		fail("POST /publish %s: %u %s", body, reply->status, reply->body);
	answer = rc_test_http_reply_json(reply);
	g_assert_true(json_object_get_boolean_member(answer, "success"));
	return g_strdup(rc_test_json_get_string(answer, "id"));
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
http_done(gpointer user_data)
{
	return ((HttpCall *)user_data)->done;
}

RcTestHttpReply *
rc_test_http_get_with_headers(RcTestNode *node, const gchar *path, const gchar *const *headers)
{
	g_autoptr(SoupSession) session = soup_session_new_with_options("timeout", 10, NULL);
	g_autofree gchar *url = g_strconcat(rc_test_node_get_base_url(node), path, NULL);
	g_autoptr(SoupMessage) msg = soup_message_new("GET", url);
	RcTestHttpReply *reply = g_new0(RcTestHttpReply, 1);
	HttpCall call = {0};

	g_assert_nonnull(msg);
	for (guint i = 0; headers != NULL && headers[i] != NULL && headers[i + 1] != NULL; i += 2)
		soup_message_headers_replace(
		    soup_message_get_request_headers(msg), headers[i], headers[i + 1]);
	soup_session_send_and_read_async(
	    session, msg, G_PRIORITY_DEFAULT, NULL, on_http_done, &call);
	if (!rc_test_wait_until(http_done, &call, 10000))
		fail("GET %s: no answer", path);
	if (call.error != NULL) {
		g_test_message("GET %s failed: %s", path, call.error->message);
		g_error_free(call.error);
	} else {
		reply->status = soup_message_get_status(msg);
	}
	reply->body = call.bytes != NULL ? g_strndup(g_bytes_get_data(call.bytes, NULL),
						     g_bytes_get_size(call.bytes))
					 : g_strdup("");
	g_clear_pointer(&call.bytes, g_bytes_unref);
	reply->content_type = g_strdup(
	    soup_message_headers_get_content_type(soup_message_get_response_headers(msg), NULL));
	return reply;
}

gdouble
rc_test_node_metric(RcTestNode *node, const gchar *sample)
{
	g_autoptr(RcTestHttpReply) reply = rc_test_http_get(node, "/metrics");

	g_assert_cmpuint(reply->status, ==, 200);
	return rc_test_metrics_value(reply->body, sample);
}

/* ---- Redis by port ------------------------------------------------------------ */

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

static redisContext *
port_connect(guint16 port)
{
	struct timeval tv = {5, 0};
	redisContext *ctx = redisConnectWithTimeout("127.0.0.1", port, tv);

	if (ctx == NULL || ctx->err != 0) {
		fail("cannot connect to redis on port %u: %s",
		     port,
		     ctx != NULL ? ctx->errstr : "out of memory");
		if (ctx != NULL)
			redisFree(ctx);
		return NULL;
	}
	return ctx;
}

static void
append_argv(redisContext *ctx, const gchar *const *argv)
{
	guint n = g_strv_length((gchar **)argv);
	g_autofree gsize *lens = g_new0(gsize, n);

	for (guint i = 0; i < n; i++)
		lens[i] = strlen(argv[i]);
	redisAppendCommandArgv(ctx, (int)n, (const char **)argv, lens);
}

static redisReply *
get_reply(redisContext *ctx, const gchar *what)
{
	void *reply = NULL;

	if (redisGetReply(ctx, &reply) != REDIS_OK || reply == NULL) {
		fail("redis %s: %s", what, ctx->errstr);
		return NULL;
	}
	if (((redisReply *)reply)->type == REDIS_REPLY_ERROR) {
		fail("redis %s: %s", what, ((redisReply *)reply)->str);
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

gchar *
rc_test_port_command_argv(guint16 port, const gchar *const *argv)
{
	redisContext *ctx = port_connect(port);
	redisReply *reply;
	GString *out = g_string_new(NULL);

	if (ctx == NULL)
		return g_string_free(out, FALSE);
	append_argv(ctx, argv);
	reply = get_reply(ctx, argv[0]);
	if (reply != NULL) {
		reply_flatten(reply, out);
		freeReplyObject(reply);
	}
	redisFree(ctx);
	return g_string_free(out, FALSE);
}

gchar *
rc_test_port_command(guint16 port, const gchar *first_arg, ...)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	va_list ap;

	va_start(ap, first_arg);
	for (const gchar *a = first_arg; a != NULL; a = va_arg(ap, const gchar *))
		g_ptr_array_add(args, (gpointer)a);
	va_end(ap);
	g_ptr_array_add(args, NULL);
	return rc_test_port_command_argv(port, (const gchar *const *)args->pdata);
}

gchar *
rc_test_port_transaction(guint16 port, GPtrArray *commands)
{
	redisContext *ctx = port_connect(port);
	const gchar *multi[] = {"MULTI", NULL};
	const gchar *exec[] = {"EXEC", NULL};
	redisReply *reply;
	GString *out = g_string_new(NULL);

	if (ctx == NULL)
		return g_string_free(out, FALSE);
	append_argv(ctx, multi);
	for (guint i = 0; i < commands->len; i++)
		append_argv(ctx, g_ptr_array_index(commands, i));
	append_argv(ctx, exec);
	for (guint i = 0; i < commands->len + 1; i++) {
		reply = get_reply(ctx, i == 0 ? "MULTI" : "(queued)");
		if (reply != NULL)
			freeReplyObject(reply);
	}
	reply = get_reply(ctx, "EXEC");
	if (reply != NULL) {
		reply_flatten(reply, out);
		freeReplyObject(reply);
	}
	redisFree(ctx);
	return g_string_free(out, FALSE);
}

/* the inodes of the sockets process @pid holds */
static GHashTable *
socket_inodes(GPid pid)
{
	GHashTable *inodes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autofree gchar *dir_path = g_strdup_printf("/proc/%d/fd", (gint)pid);
	g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
	const gchar *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *path = g_build_filename(dir_path, name, NULL);
		g_autofree gchar *target = g_file_read_link(path, NULL);

		/* "socket:[12345]" */
		if (target != NULL && g_str_has_prefix(target, "socket:[")) {
			gchar *inode = g_strdup(target + strlen("socket:["));
			inode[strcspn(inode, "]")] = '\0';
			g_hash_table_add(inodes, inode);
		}
	}
	return inodes;
}

/* local ports of @pid's TCP connections to 127.0.0.1:@remote_port */
static GHashTable *
local_ports_to(GPid pid, guint16 remote_port)
{
	g_autoptr(GHashTable) inodes = socket_inodes(pid);
	GHashTable *ports = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_autofree gchar *contents = NULL;
	g_autofree gchar *remote_hex = g_strdup_printf(":%04X ", remote_port);
	gsize len = 0;
	const gchar *line, *end;

	if (!g_file_get_contents("/proc/net/tcp", &contents, &len, NULL))
		return ports;
	/* "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout
	 * inode". A busy machine has thousands of lines, and tests running side by side leave
	 * little CPU: lines are only split when they name the port. */
	for (line = contents; line < contents + len; line = end + 1) {
		g_auto(GStrv) cols = NULL;
		g_autoptr(GPtrArray) fields = NULL;
		g_autofree gchar *copy = NULL;
		const gchar *local, *remote, *inode;

		end = memchr(line, '\n', contents + len - line);
		if (end == NULL)
			end = contents + len;
		if (memmem(line, end - line, remote_hex, strlen(remote_hex)) == NULL)
			continue;
		copy = g_strndup(line, end - line);
		cols = g_strsplit_set(g_strstrip(copy), " ", -1);
		fields = g_ptr_array_new();
		for (guint j = 0; cols[j] != NULL; j++) {
			if (cols[j][0] != '\0')
				g_ptr_array_add(fields, cols[j]);
		}
		if (fields->len < 10)
			continue;
		local = fields->pdata[1];
		remote = fields->pdata[2];
		inode = fields->pdata[9];
		if (!g_hash_table_contains(inodes, inode) || strchr(remote, ':') == NULL ||
		    g_ascii_strtoull(strchr(remote, ':') + 1, NULL, 16) != remote_port)
			continue;
		g_hash_table_add(
		    ports,
		    GUINT_TO_POINTER((guint)g_ascii_strtoull(strchr(local, ':') + 1, NULL, 16)));
	}
	return ports;
}

GStrv
rc_test_pubsub_ids_of(guint16 redis_port, GPid pid)
{
	g_autoptr(GHashTable) ports = local_ports_to(pid, redis_port);
	g_autofree gchar *list =
	    rc_test_port_command(redis_port, "CLIENT", "LIST", "TYPE", "pubsub", NULL);
	g_auto(GStrv) lines = g_strsplit(list, "\n", -1);
	g_autoptr(GStrvBuilder) ids = g_strv_builder_new();

	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) fields = g_strsplit(lines[i], " ", -1);
		const gchar *id = NULL;
		guint port = 0;

		for (guint j = 0; fields[j] != NULL; j++) {
			if (g_str_has_prefix(fields[j], "id="))
				id = fields[j] + 3;
			else if (g_str_has_prefix(fields[j], "addr=") &&
				 strrchr(fields[j], ':') != NULL)
				port =
				    (guint)g_ascii_strtoull(strrchr(fields[j], ':') + 1, NULL, 10);
		}
		if (id != NULL && g_hash_table_contains(ports, GUINT_TO_POINTER(port)))
			g_strv_builder_add(ids, id);
	}
	return g_strv_builder_end(ids);
}

guint
rc_test_kill_pubsub_of(guint16 redis_port, GPid pid)
{
	g_auto(GStrv) ids = rc_test_pubsub_ids_of(redis_port, pid);
	guint killed = 0;

	for (guint i = 0; ids[i] != NULL; i++) {
		g_autofree gchar *n =
		    rc_test_port_command(redis_port, "CLIENT", "KILL", "ID", ids[i], NULL);
		killed += (guint)g_ascii_strtoull(n, NULL, 10);
	}
	return killed;
}
