/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * example-nolinks: a complete roomcast filter plugin, built against the installed SDK
 * only (see Makefile and docs/plugins.md). It refuses messages that contain a link,
 * except from the senders listed in its settings:
 *
 *   [plugins]
 *   enabled=example-nolinks
 *
 *   [plugin:example-nolinks]
 *   allowed_senders=ops;announcer
 *   schemes=http;https;ftp
 */
#define G_LOG_DOMAIN "ExampleNolinks"

#include <roomcast-plugin.h>
#include <string.h>

/* 1. Declare the plugin type: a final subclass of RcPlugin. */
G_DECLARE_FINAL_TYPE(
    ExampleNolinksPlugin, example_nolinks_plugin, EXAMPLE, NOLINKS_PLUGIN, RcPlugin)

struct _ExampleNolinksPlugin {
	RcPlugin parent_instance;
	GStrv allowed_senders;
	GStrv schemes;
};

G_DEFINE_TYPE(ExampleNolinksPlugin, example_nolinks_plugin, RC_TYPE_PLUGIN)

/* 2. Tell roomcastd what this module is: its name (= file name without ".so") and
 *    its type. This also records the SDK ABI version it was built against. */
RC_PLUGIN_DEFINE("example-nolinks", example_nolinks_plugin_get_type)

/* 3. startup: read the settings from [plugin:example-nolinks]; an error here stops
 *    roomcastd with exit code 1 and the error's message. */
static gboolean
example_nolinks_plugin_startup(RcPlugin *plugin,
			       GKeyFile *keyfile,
			       const gchar *group,
			       GError **error)
{
	ExampleNolinksPlugin *self = EXAMPLE_NOLINKS_PLUGIN(plugin);
	g_auto(GStrv) schemes = NULL;

	schemes = g_key_file_get_string_list(keyfile, group, "schemes", NULL, NULL);
	if (schemes == NULL)
		schemes = g_strsplit("http;https", ";", -1);
	for (guint i = 0; schemes[i] != NULL; i++) {
		if (schemes[i][0] == '\0' || strpbrk(schemes[i], ":/ ") != NULL) {
			g_set_error(error,
				    RC_PLUGIN_ERROR,
				    RC_PLUGIN_ERROR_FAILED,
				    "“%s” in “schemes” of [%s] is not a URI scheme",
				    schemes[i],
				    group);
			return FALSE;
		}
	}
	g_strfreev(self->schemes);
	self->schemes = g_steal_pointer(&schemes);
	g_strfreev(self->allowed_senders);
	self->allowed_senders =
	    g_key_file_get_string_list(keyfile, group, "allowed_senders", NULL, NULL);
	g_debug("refusing links with %u schemes", g_strv_length(self->schemes));
	return TRUE;
}

/* 4. filter: runs on every message (WebSocket, POST /publish, D-Bus Publish) before
 *    it is published. Return TRUE to pass it (after rc_filter_message_set_text() to
 *    rewrite it), or FALSE with RC_PLUGIN_ERROR_REJECTED: the WebSocket client gets
 *    {"type":"error","code":"rejected","message":...}, POST /publish gets 422. */
static gboolean
example_nolinks_plugin_filter(RcPlugin *plugin, RcFilterMessage *message, GError **error)
{
	ExampleNolinksPlugin *self = EXAMPLE_NOLINKS_PLUGIN(plugin);
	const gchar *sender = rc_filter_message_get_sender(message);
	g_autofree gchar *folded = g_ascii_strdown(rc_filter_message_get_text(message), -1);

	if (self->allowed_senders != NULL && sender != NULL &&
	    g_strv_contains((const gchar *const *)self->allowed_senders, sender))
		return TRUE;
	for (guint i = 0; self->schemes[i] != NULL; i++) {
		g_autofree gchar *prefix = g_strdup_printf("%s://", self->schemes[i]);
		g_autofree gchar *folded_prefix = g_ascii_strdown(prefix, -1);

		if (strstr(folded, folded_prefix) != NULL) {
			g_set_error(error,
				    RC_PLUGIN_ERROR,
				    RC_PLUGIN_ERROR_REJECTED,
				    "links (%s) are not allowed in this room",
				    prefix);
			return FALSE;
		}
	}
	return TRUE;
}

static void
example_nolinks_plugin_finalize(GObject *object)
{
	ExampleNolinksPlugin *self = EXAMPLE_NOLINKS_PLUGIN(object);

	g_strfreev(self->allowed_senders);
	g_strfreev(self->schemes);
	G_OBJECT_CLASS(example_nolinks_plugin_parent_class)->finalize(object);
}

/* 5. Hook up what the plugin does. An auth plugin would set ->authenticate too. */
static void
example_nolinks_plugin_class_init(ExampleNolinksPluginClass *klass)
{
	RcPluginClass *plugin_class = RC_PLUGIN_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = example_nolinks_plugin_finalize;
	plugin_class->startup = example_nolinks_plugin_startup;
	plugin_class->filter = example_nolinks_plugin_filter;
}

static void
example_nolinks_plugin_init(ExampleNolinksPlugin *self)
{
}
