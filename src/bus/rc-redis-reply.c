/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcRedisReply"

#include "config.h"

#include <string.h>

#include "bus/rc-redis-reply.h"

/* hiredis' own constructors make two allocations for a string or an array and
 * a publication's reply is four objects; a node reads one for every message.
 * Counting as they go also stops a "*2147483647\r\n" from having 16 GiB
 * allocated at once. */

void
rc_redis_reply_free(void *obj)
{
	redisReply *reply = obj;

	if (reply == NULL)
		return;
	if (reply->type == REDIS_REPLY_ARRAY) {
		for (gsize i = 0; i < reply->elements; i++)
			rc_redis_reply_free(reply->element[i]);
	}
	g_free(reply);
}

static gboolean
rc_redis_budget_take(const redisReadTask *task, gsize n)
{
	RcRedisReplyBudget *budget = task->privdata;

	if (n > budget->max || budget->used > budget->max - n) {
		budget->exceeded = TRUE;
		return FALSE;
	}
	budget->used += n;
	return TRUE;
}

/* @extra bytes follow the object in its block, zeroed with it when @zero; the
 * parent array gets it. NULL (hiredis then fails the reply as out of memory)
 * past the budget or when the allocation fails: an array header announcing
 * the whole budget must not take the daemon down. */
static redisReply *
rc_redis_reply_new(const redisReadTask *task, gint type, gsize extra, gboolean zero)
{
	redisReply *reply;

	if (extra > G_MAXSIZE - sizeof(redisReply) ||
	    !rc_redis_budget_take(task, sizeof(redisReply) + extra))
		return NULL;
	/* calloc's fresh pages stay untouched until hiredis fills them */
	reply = zero ? g_try_malloc0(sizeof(redisReply) + extra)
		     : g_try_malloc(sizeof(redisReply) + extra);
	if (reply == NULL)
		return NULL;
	if (!zero)
		memset(reply, 0, sizeof(redisReply));
	reply->type = type;
	if (task->parent != NULL) {
		redisReply *parent = task->parent->obj;
		parent->element[task->idx] = reply;
	}
	return reply;
}

static void *
rc_redis_create_string(const redisReadTask *task, char *str, size_t len)
{
	redisReply *reply;

	if (len > G_MAXSIZE - sizeof(redisReply) - 1)
		return NULL;
	reply = rc_redis_reply_new(task, task->type, len + 1, FALSE);
	if (reply == NULL)
		return NULL;
	reply->str = (gchar *)(reply + 1);
	memcpy(reply->str, str, len);
	reply->str[len] = '\0';
	reply->len = len;
	return reply;
}

static void *
rc_redis_create_array(const redisReadTask *task, int elements)
{
	redisReply *reply;

	/* the vector's size must not wrap where gsize is 32 bits */
	if (elements < 0 ||
	    (gsize)elements > (G_MAXSIZE - sizeof(redisReply)) / sizeof(redisReply *))
		return NULL;
	/* zeroed: a reply that breaks off half way is freed with the elements it has */
	reply = rc_redis_reply_new(
	    task, REDIS_REPLY_ARRAY, (gsize)elements * sizeof(redisReply *), TRUE);
	if (reply == NULL)
		return NULL;
	if (elements > 0)
		reply->element = (redisReply **)(reply + 1);
	reply->elements = (gsize)elements;
	return reply;
}

static void *
rc_redis_create_integer(const redisReadTask *task, long long value)
{
	redisReply *reply = rc_redis_reply_new(task, REDIS_REPLY_INTEGER, 0, FALSE);

	if (reply != NULL)
		reply->integer = value;
	return reply;
}

static void *
rc_redis_create_nil(const redisReadTask *task)
{
	return rc_redis_reply_new(task, REDIS_REPLY_NIL, 0, FALSE);
}

static redisReplyObjectFunctions rc_redis_reply_fns = {
    .createString = rc_redis_create_string,
    .createArray = rc_redis_create_array,
    .createInteger = rc_redis_create_integer,
    .createNil = rc_redis_create_nil,
    .freeObject = rc_redis_reply_free,
};

redisReader *
rc_redis_reader_new(RcRedisReplyBudget *budget)
{
	redisReader *reader = redisReaderCreateWithFunctions(&rc_redis_reply_fns);

	g_return_val_if_fail(reader != NULL, NULL);
	/* not redisReaderSetPrivdata(): it casts the pointer to int */
	reader->privdata = budget;
	return reader;
}
