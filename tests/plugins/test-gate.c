/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A scriptable auth + filter plugin for the host tests. Tokens: "ok-NAME" is accepted
 * as NAME, "forbid" is refused with 403, "no-sender" is accepted without a sender (a
 * plugin bug the host must catch), anything else gets 401. Texts: "reject" and "slow"
 * are refused, every other text gets " TAG" appended. [plugin:test-gate] fail = true
 * makes startup fail.
 */
#define G_LOG_DOMAIN "RcPluginTestGate"

#include <roomcast-plugin.h>

G_DECLARE_FINAL_TYPE(RcTestGatePlugin, rc_test_gate_plugin, RC, TEST_GATE_PLUGIN, RcPlugin)

struct _RcTestGatePlugin {
	RcPlugin parent_instance;
	gchar *tag;
	GHashTable *closed; /* connection ids seen by connection_closed */
};

G_DEFINE_TYPE(RcTestGatePlugin, rc_test_gate_plugin, RC_TYPE_PLUGIN)

RC_PLUGIN_DEFINE("test-gate", rc_test_gate_plugin_get_type)

static gboolean
rc_test_gate_plugin_startup(RcPlugin *plugin, GKeyFile *keyfile, const gchar *group, GError **error)
{
	RcTestGatePlugin *self = RC_TEST_GATE_PLUGIN(plugin);

	if (g_key_file_get_boolean(keyfile, group, "fail", NULL)) {
		g_set_error_literal(error, RC_PLUGIN_ERROR, RC_PLUGIN_ERROR_FAILED, "told to fail");
		return FALSE;
	}
	g_free(self->tag);
	self->tag = g_key_file_get_string(keyfile, group, "tag", NULL);
	if (self->tag == NULL)
		self->tag = g_strdup("gate");
	return TRUE;
}

static gboolean
rc_test_gate_plugin_authenticate(RcPlugin *plugin,
				 RcAuthRequest *request,
				 RcIdentity *identity,
				 GError **error)
{
	const gchar *token = rc_auth_request_get_token(request);
	const gchar *globs[] = {"gate-*", NULL};

	if (g_strcmp0(token, "forbid") == 0) {
		g_set_error_literal(
		    error, RC_PLUGIN_ERROR, RC_PLUGIN_ERROR_FORBIDDEN, "gate forbids");
		return FALSE;
	}
	if (g_strcmp0(token, "no-sender") == 0)
		return TRUE;
	if (token != NULL && g_str_has_prefix(token, "ok-")) {
		return rc_identity_set_sender(identity, token + 3, error) &&
		       rc_identity_set_room_globs(identity, globs, error);
	}
	g_set_error_literal(error, RC_PLUGIN_ERROR, RC_PLUGIN_ERROR_UNAUTHORIZED, "gate says no");
	return FALSE;
}

static gboolean
rc_test_gate_plugin_filter(RcPlugin *plugin, RcFilterMessage *message, GError **error)
{
	RcTestGatePlugin *self = RC_TEST_GATE_PLUGIN(plugin);
	const gchar *text = rc_filter_message_get_text(message);
	g_autofree gchar *tagged = NULL;

	if (g_strcmp0(text, "reject") == 0) {
		g_set_error_literal(
		    error, RC_PLUGIN_ERROR, RC_PLUGIN_ERROR_REJECTED, "gate rejects");
		return FALSE;
	}
	if (g_strcmp0(text, "slow") == 0) {
		g_set_error_literal(
		    error, RC_PLUGIN_ERROR, RC_PLUGIN_ERROR_RATE_LIMITED, "gate throttles");
		return FALSE;
	}
	if (g_strcmp0(text, "closed?") == 0) {
		const gchar *id = rc_filter_message_get_connection_id(message);
		rc_filter_message_set_text(message,
					   g_hash_table_contains(self->closed, id) ? "yes" : "no");
		return TRUE;
	}
	tagged = g_strdup_printf("%s %s", text, self->tag);
	rc_filter_message_set_text(message, tagged);
	return TRUE;
}

static void
rc_test_gate_plugin_connection_closed(RcPlugin *plugin, const gchar *connection_id)
{
	RcTestGatePlugin *self = RC_TEST_GATE_PLUGIN(plugin);

	g_hash_table_add(self->closed, g_strdup(connection_id));
}

static void
rc_test_gate_plugin_finalize(GObject *object)
{
	RcTestGatePlugin *self = RC_TEST_GATE_PLUGIN(object);

	g_free(self->tag);
	g_hash_table_unref(self->closed);
	G_OBJECT_CLASS(rc_test_gate_plugin_parent_class)->finalize(object);
}

static void
rc_test_gate_plugin_class_init(RcTestGatePluginClass *klass)
{
	RcPluginClass *plugin_class = RC_PLUGIN_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = rc_test_gate_plugin_finalize;
	plugin_class->startup = rc_test_gate_plugin_startup;
	plugin_class->authenticate = rc_test_gate_plugin_authenticate;
	plugin_class->filter = rc_test_gate_plugin_filter;
	plugin_class->connection_closed = rc_test_gate_plugin_connection_closed;
}

static void
rc_test_gate_plugin_init(RcTestGatePlugin *self)
{
	self->closed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}
