/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcPluginSdk"

#include <string.h>

#include "rc-auth-request.h"

struct _RcAuthRequest {
	GObject parent_instance;
	gchar *peer_address;
	GHashTable *headers; /* lower-case name -> value */
	GHashTable *query;   /* name -> value */
};

G_DEFINE_TYPE(RcAuthRequest, rc_auth_request, G_TYPE_OBJECT)

static void
rc_auth_request_finalize(GObject *object)
{
	RcAuthRequest *self = RC_AUTH_REQUEST(object);

	g_free(self->peer_address);
	g_hash_table_unref(self->headers);
	g_hash_table_unref(self->query);
	G_OBJECT_CLASS(rc_auth_request_parent_class)->finalize(object);
}

static void
rc_auth_request_class_init(RcAuthRequestClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = rc_auth_request_finalize;
}

static void
rc_auth_request_init(RcAuthRequest *self)
{
	self->headers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	self->query = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

RcAuthRequest *
rc_auth_request_new(const gchar *peer_address)
{
	RcAuthRequest *self = g_object_new(RC_TYPE_AUTH_REQUEST, NULL);

	self->peer_address = g_strdup(peer_address);
	return self;
}

void
rc_auth_request_add_header(RcAuthRequest *self, const gchar *name, const gchar *value)
{
	const gchar *old;
	g_autofree gchar *key = NULL;

	g_return_if_fail(RC_IS_AUTH_REQUEST(self));
	g_return_if_fail(name != NULL);
	g_return_if_fail(value != NULL);

	key = g_ascii_strdown(name, -1);
	old = g_hash_table_lookup(self->headers, key);
	if (old != NULL) {
		gchar *joined = g_strdup_printf("%s, %s", old, value);
		g_hash_table_replace(self->headers, g_steal_pointer(&key), joined);
		return;
	}
	g_hash_table_replace(self->headers, g_steal_pointer(&key), g_strdup(value));
}

void
rc_auth_request_add_query_param(RcAuthRequest *self, const gchar *name, const gchar *value)
{
	g_return_if_fail(RC_IS_AUTH_REQUEST(self));
	g_return_if_fail(name != NULL);
	g_return_if_fail(value != NULL);

	g_hash_table_replace(self->query, g_strdup(name), g_strdup(value));
}

const gchar *
rc_auth_request_get_header(RcAuthRequest *self, const gchar *name)
{
	g_autofree gchar *key = NULL;

	g_return_val_if_fail(RC_IS_AUTH_REQUEST(self), NULL);
	g_return_val_if_fail(name != NULL, NULL);

	key = g_ascii_strdown(name, -1);
	return g_hash_table_lookup(self->headers, key);
}

const gchar *
rc_auth_request_get_query_param(RcAuthRequest *self, const gchar *name)
{
	g_return_val_if_fail(RC_IS_AUTH_REQUEST(self), NULL);
	g_return_val_if_fail(name != NULL, NULL);

	return g_hash_table_lookup(self->query, name);
}

const gchar *
rc_auth_request_get_peer_address(RcAuthRequest *self)
{
	g_return_val_if_fail(RC_IS_AUTH_REQUEST(self), NULL);

	return self->peer_address;
}

const gchar *
rc_auth_request_get_token(RcAuthRequest *self)
{
	const gchar *auth;
	const gchar *token;

	g_return_val_if_fail(RC_IS_AUTH_REQUEST(self), NULL);

	/* the auth scheme is case-insensitive (RFC 7235); other schemes are not ours */
	auth = rc_auth_request_get_header(self, "Authorization");
	if (auth != NULL && g_ascii_strncasecmp(auth, "Bearer ", 7) == 0) {
		token = auth + 7;
		while (*token == ' ')
			token++;
		if (*token != '\0')
			return token;
	}
	token = rc_auth_request_get_query_param(self, "token");
	if (token != NULL && *token != '\0')
		return token;
	return NULL;
}
