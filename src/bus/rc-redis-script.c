/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcRedisBus"

#include "config.h"

#include <string.h>

#include "bus/rc-redis-script.h"
#include "protocol/rc-protocol.h"
#include "rc-lua-resources.h"

struct _RcRedisScript {
	GBytes *source;
	gchar *sha;
};

RcRedisScript *
rc_redis_script_new_from_resource(const gchar *path)
{
	RcRedisScript *self = g_new0(RcRedisScript, 1);
	g_autoptr(GError) error = NULL;

	/* also links the scripts' resource into the binary, whose constructor registers it */
	g_assert(rc_lua_get_resource() != NULL);
	self->source = g_resources_lookup_data(path, G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
	/* built into the binary: missing means a broken build */
	if (self->source == NULL)
		g_error("script %s: %s", path, error->message);
	self->sha = g_compute_checksum_for_bytes(G_CHECKSUM_SHA1, self->source);
	return self;
}

void
rc_redis_script_free(RcRedisScript *self)
{
	if (self == NULL)
		return;
	g_bytes_unref(self->source);
	g_free(self->sha);
	g_free(self);
}

const gchar *
rc_redis_script_get_sha(RcRedisScript *self)
{
	return self->sha;
}

void
rc_redis_script_load(RcRedisScript *self, RcRedisConnection *conn)
{
	const gchar *argv[] = {"SCRIPT", "LOAD", g_bytes_get_data(self->source, NULL)};
	const gsize lens[] = {6, 4, g_bytes_get_size(self->source)};
	rc_redis_connection_command_argv(conn, G_N_ELEMENTS(argv), argv, lens, NULL, NULL);
}

/* what a retry after NOSCRIPT needs: the call, kept until the first answer */
typedef struct {
	RcRedisScript *script;
	RcRedisArgs *args; /* numkeys, keys, arguments */
	RcRedisReplyFunc func;
	gpointer user_data;
} RcScriptCall;

static void
rc_script_call_free(RcScriptCall *call)
{
	rc_redis_args_unref(call->args);
	g_free(call);
}

static void
rc_redis_script_send(RcRedisConnection *conn,
		     const gchar *verb,
		     const gchar *first,
		     gsize first_len,
		     RcRedisArgs *args,
		     RcRedisReplyFunc func,
		     gpointer user_data)
{
	guint argc = 2 + args->argc;
	const gchar *argv_local[24];
	gsize lens_local[G_N_ELEMENTS(argv_local)];
	g_autofree const gchar **argv_heap = NULL;
	g_autofree gsize *lens_heap = NULL;
	const gchar **argv = argv_local;
	gsize *lens = lens_local;

	if (argc > G_N_ELEMENTS(argv_local)) {
		argv = argv_heap = g_new(const gchar *, argc);
		lens = lens_heap = g_new(gsize, argc);
	}
	argv[0] = verb;
	lens[0] = strlen(verb);
	argv[1] = first;
	lens[1] = first_len;
	memcpy(argv + 2, args->argv, args->argc * sizeof(gchar *));
	memcpy(lens + 2, args->lens, args->argc * sizeof(gsize));
	rc_redis_connection_command_argv(conn, argc, argv, lens, func, user_data);
}

static void
rc_redis_script_reply_cb(RcRedisConnection *conn,
			 redisReply *reply,
			 const GError *error,
			 gpointer user_data)
{
	RcScriptCall *call = user_data;

	if (reply != NULL && reply->type == REDIS_REPLY_ERROR &&
	    g_str_has_prefix(reply->str, "NOSCRIPT")) {
		/* the server lost it (restart, SCRIPT FLUSH): send it along this once */
		g_debug("Redis has no script %s: sending it", call->script->sha);
		rc_redis_script_send(conn,
				     "EVAL",
				     g_bytes_get_data(call->script->source, NULL),
				     g_bytes_get_size(call->script->source),
				     call->args,
				     call->func,
				     call->user_data);
		rc_script_call_free(call);
		return;
	}
	if (call->func != NULL)
		call->func(conn, reply, error, call->user_data);
	rc_script_call_free(call);
}

void
rc_redis_script_call_args(RcRedisScript *self,
			  RcRedisConnection *conn,
			  RcRedisArgs *args,
			  RcRedisReplyFunc func,
			  gpointer user_data)
{
	RcScriptCall *call = g_new0(RcScriptCall, 1);

	call->script = self;
	call->func = func;
	call->user_data = user_data;
	call->args = rc_redis_args_ref(args);
	rc_redis_script_send(
	    conn, "EVALSHA", self->sha, strlen(self->sha), call->args, rc_redis_script_reply_cb, call);
}

RcRedisArgs *
rc_redis_script_args_new(guint n_keys, guint argc, const gchar *const *argv, const gsize *lens)
{
	gchar numkeys[RC_PROTOCOL_UINT64_DIGITS + 1];

	numkeys[rc_protocol_format_uint64(numkeys, n_keys)] = '\0';
	return rc_redis_args_new(numkeys, argc, argv, lens);
}
