/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcRedisBus"

#include "config.h"

#include <string.h>

#include "bus/rc-redis-keys.h"

static const gchar *const rc_redis_key_suffixes[] = {
    [RC_REDIS_KEY_CHANNEL] = "",
    [RC_REDIS_KEY_META] = ":meta",
    [RC_REDIS_KEY_HISTORY] = ":history",
    [RC_REDIS_KEY_INGRESS_SEEN] = ":ingress",
    [RC_REDIS_KEY_PRESENCE] = ":presence",
    [RC_REDIS_KEY_PRESENCE_NODES] = ":nodes",
};

/* built by hand, in one allocation: a publish makes two or three of these, and
 * g_strconcat() walks its arguments twice (600 instructions a key) */
gchar *
rc_redis_room_key(const gchar *channel, RcRedisKey which, const gchar *ns, const gchar *room_code)
{
	const gchar *suffix = rc_redis_key_suffixes[which];
	gsize channel_len = strlen(channel), ns_len = strlen(ns), code_len = strlen(room_code);
	gsize suffix_len = strlen(suffix);
	gchar *key = g_malloc(channel_len + ns_len + code_len + suffix_len + 5);
	gchar *p = key;

	memcpy(p, channel, channel_len);
	p += channel_len;
	*p++ = ':';
	*p++ = '{';
	memcpy(p, ns, ns_len);
	p += ns_len;
	*p++ = ':';
	memcpy(p, room_code, code_len);
	p += code_len;
	*p++ = '}';
	memcpy(p, suffix, suffix_len + 1);
	return key;
}

gchar *
rc_redis_ingress_stream(const gchar *channel)
{
	return g_strconcat(channel, ":ingress", NULL);
}

gboolean
rc_redis_parse_room_channel(const gchar *channel, const gchar *name, gchar **ns, gchar **room_code)
{
	gsize prefix = strlen(channel);
	const gchar *tag, *colon, *end;

	if (strncmp(name, channel, prefix) != 0 || strncmp(name + prefix, ":{", 2) != 0)
		return FALSE;
	tag = name + prefix + 2;
	/* a namespace has no colon after its slash; a roomCode may have them */
	colon = strchr(tag, ':');
	end = strchr(tag, '}');
	if (colon == NULL || end == NULL || colon > end || end[1] != '\0')
		return FALSE;
	*ns = g_strndup(tag, colon - tag);
	*room_code = g_strndup(colon + 1, end - colon - 1);
	return TRUE;
}
