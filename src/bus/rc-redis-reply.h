/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <hiredis/hiredis.h>

G_BEGIN_DECLS

/* What the replies read since the budget was last reset may cost: a reply
 * that would exceed max makes the reader fail and sets exceeded. */
typedef struct {
	gsize max;
	gsize used;
	gboolean exceeded;
} RcRedisReplyBudget;

/* A hiredis reader whose reply objects are roomcast's, each in one allocation
 * with its string or element vector and counted against @budget (borrowed).
 * Free its replies with rc_redis_reply_free(), never freeReplyObject(). */
redisReader *rc_redis_reader_new(RcRedisReplyBudget *budget);
void rc_redis_reply_free(void *reply);

G_END_DECLS
