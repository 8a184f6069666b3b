/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The names roomcast uses in Redis. Everything of one room shares the hash tag
 * {NAMESPACE:ROOMCODE} (neither name can hold a brace or, in a namespace, a colon
 * after the slash), so on a Redis Cluster a room's channel, history and presence
 * live in one slot, and rooms spread over all slots:
 *
 *   CHANNEL                         the ingress channel every node subscribes to
 *   CHANNEL:ingress                 the durable ingress stream (consumer group roomcast)
 *   CHANNEL:{NS:ROOM}               the room's channel (per-room fanout, sharded pub/sub)
 *   CHANNEL:{NS:ROOM}:meta          hash: epoch, offset
 *   CHANNEL:{NS:ROOM}:history       stream of payloads, entry id OFFSET-1
 *   CHANNEL:{NS:ROOM}:ingress       ingress entry ids published into the room
 */
typedef enum {
	RC_REDIS_KEY_CHANNEL,
	RC_REDIS_KEY_META,
	RC_REDIS_KEY_HISTORY,
	RC_REDIS_KEY_INGRESS_SEEN,
	RC_REDIS_KEY_PRESENCE,
	RC_REDIS_KEY_PRESENCE_NODES,
} RcRedisKey;

gchar *rc_redis_room_key(const gchar *channel, RcRedisKey which, const gchar *ns, const gchar *room_code);
/* CHANNEL:ingress */
gchar *rc_redis_ingress_stream(const gchar *channel);
/* the namespace and roomCode of a room channel name, FALSE when it is none */
gboolean rc_redis_parse_room_channel(const gchar *channel,
				     const gchar *name,
				     gchar **ns,
				     gchar **room_code);

G_END_DECLS
