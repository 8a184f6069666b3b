/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "bus/rc-redis-connection.h"

G_BEGIN_DECLS

/* A server-side Lua script, run with EVALSHA. Redis keeps scripts until it restarts
 * or SCRIPT FLUSH: a NOSCRIPT answer sends the script itself once (EVAL, which also
 * loads it for the next call) with the same arguments. */
typedef struct _RcRedisScript RcRedisScript;

/* the script at @path in roomcastd's resources */
RcRedisScript *rc_redis_script_new_from_resource(const gchar *path);
void rc_redis_script_free(RcRedisScript *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcRedisScript, rc_redis_script_free)

const gchar *rc_redis_script_get_sha(RcRedisScript *self);
/* loads the script on @conn ahead of its first use (fire and forget) */
void rc_redis_script_load(RcRedisScript *self, RcRedisConnection *conn);
/* the arguments of a call: numkeys, then @argv (@lens may be NULL) */
RcRedisArgs *
rc_redis_script_args_new(guint n_keys, guint argc, const gchar *const *argv, const gsize *lens);
/* runs the script with @args as made by rc_redis_script_args_new() (kept, not copied) */
void rc_redis_script_call_args(RcRedisScript *self,
			       RcRedisConnection *conn,
			       RcRedisArgs *args,
			       RcRedisReplyFunc func,
			       gpointer user_data);

G_END_DECLS
