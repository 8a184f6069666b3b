/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcPluginHost"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "plugins/rc-plugin-host.h"
#include "rc-error.h"
#include "rc-log.h"
#include "rc-metrics.h"
#include "rc-message.h"

struct _RcPluginHost {
	GObject parent_instance;
	GPtrArray *plugins; /* (element-type RcPlugin), load order */
};

G_DEFINE_TYPE(RcPluginHost, rc_plugin_host, G_TYPE_OBJECT)

typedef const RcPluginInfo *(*RcPluginGetInfoFunc)(void);

static void
rc_plugin_host_finalize(GObject *object)
{
	RcPluginHost *self = RC_PLUGIN_HOST(object);

	g_ptr_array_unref(self->plugins);
	G_OBJECT_CLASS(rc_plugin_host_parent_class)->finalize(object);
}

static void
rc_plugin_host_class_init(RcPluginHostClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = rc_plugin_host_finalize;
}

static void
rc_plugin_host_init(RcPluginHost *self)
{
	self->plugins = g_ptr_array_new_with_free_func(g_object_unref);
}

RcPluginHost *
rc_plugin_host_new(void)
{
	return g_object_new(RC_TYPE_PLUGIN_HOST, NULL);
}

/* names end up in file paths: no '/', no "..", nothing surprising */
static gboolean
rc_plugin_host_name_is_valid(const gchar *name)
{
	if (name[0] == '\0' || name[0] == '-' || strlen(name) > 64)
		return FALSE;
	for (const gchar *p = name; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
			return FALSE;
	}
	return TRUE;
}

/* DIR/NAME.so when installed, DIR/NAME/NAME.so in the build tree; the first
 * folder that has it wins, so a folder of one's own can replace a shipped plugin */
static gchar *
rc_plugin_host_find_module(const gchar *const *dirs, const gchar *name)
{
	g_autofree gchar *basename = g_strdup_printf("%s.%s", name, G_MODULE_SUFFIX);

	for (guint i = 0; dirs[i] != NULL; i++) {
		g_autofree gchar *flat = g_build_filename(dirs[i], basename, NULL);
		g_autofree gchar *nested = g_build_filename(dirs[i], name, basename, NULL);

		if (g_file_test(flat, G_FILE_TEST_IS_REGULAR))
			return g_steal_pointer(&flat);
		if (g_file_test(nested, G_FILE_TEST_IS_REGULAR))
			return g_steal_pointer(&nested);
	}
	return NULL;
}

static RcPlugin *
rc_plugin_host_open_plugin(const gchar *const *dirs, const gchar *name, GError **error)
{
	GModule *module;
	RcPluginGetInfoFunc get_info = NULL;
	const RcPluginInfo *info;
	GType type;
	g_autofree gchar *path = NULL;

	path = rc_plugin_host_find_module(dirs, name);
	if (path == NULL) {
		g_autofree gchar *where = g_strjoinv(", ", (gchar **)dirs);
		g_set_error(error,
			    RC_ERROR,
			    RC_ERROR_FAILED,
			    _("plugin %s: %s.%s not found in %s"),
			    name,
			    name,
			    G_MODULE_SUFFIX,
			    where);
		return NULL;
	}
	/* local binding: two plugins may both define helpers of the same name */
	module = g_module_open(path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
	if (module == NULL) {
		g_set_error(error,
			    RC_ERROR,
			    RC_ERROR_FAILED,
			    _("plugin %s: cannot load %s: %s"),
			    name,
			    path,
			    g_module_error());
		return NULL;
	}
	if (!g_module_symbol(module, RC_PLUGIN_ENTRY_SYMBOL, (gpointer *)&get_info) ||
	    get_info == NULL) {
		g_set_error(error,
			    RC_ERROR,
			    RC_ERROR_FAILED,
			    _("plugin %s: %s is not a roomcast plugin (no %s symbol)"),
			    name,
			    path,
			    RC_PLUGIN_ENTRY_SYMBOL);
		g_module_close(module);
		return NULL;
	}
	info = get_info();
	if (info == NULL || info->abi_version != RC_PLUGIN_ABI_VERSION) {
		g_set_error(error,
			    RC_ERROR,
			    RC_ERROR_FAILED,
			    _("plugin %s: %s was built for plugin ABI %u but this roomcastd "
			      "needs ABI %u; rebuild it against this roomcast-plugin-1"),
			    name,
			    path,
			    info != NULL ? info->abi_version : 0,
			    (guint)RC_PLUGIN_ABI_VERSION);
		g_module_close(module);
		return NULL;
	}
	if (g_strcmp0(info->name, name) != 0 || info->get_type == NULL) {
		g_set_error(error,
			    RC_ERROR,
			    RC_ERROR_FAILED,
			    _("plugin %s: %s declares itself as “%s”"),
			    name,
			    path,
			    info->name != NULL ? info->name : "");
		g_module_close(module);
		return NULL;
	}

	/* its GType lives in the module from now on, so it can never be unloaded */
	g_module_make_resident(module);
	type = info->get_type();
	if (!g_type_is_a(type, RC_TYPE_PLUGIN) || G_TYPE_IS_ABSTRACT(type)) {
		g_set_error(error,
			    RC_ERROR,
			    RC_ERROR_FAILED,
			    _("plugin %s: %s does not give a concrete RcPlugin type"),
			    name,
			    path);
		return NULL;
	}
	g_debug("loaded plugin %s from %s", name, path);
	return g_object_new(type, "name", name, NULL);
}

/* the group of the config file a plugin reads: "plugin:NAME" */
static gchar *
rc_plugin_host_group_of(RcPlugin *plugin)
{
	return g_strdup_printf("plugin:%s", rc_plugin_get_name(plugin));
}

static gboolean
rc_plugin_host_start_plugin(RcPlugin *plugin, GKeyFile *keyfile, GError **error)
{
	g_autofree gchar *group = rc_plugin_host_group_of(plugin);
	g_autoptr(GError) local = NULL;

	if (!rc_plugin_startup(plugin, keyfile, group, &local)) {
		g_set_error(error,
			    RC_ERROR,
			    RC_ERROR_FAILED,
			    _("plugin %s: cannot start: %s"),
			    rc_plugin_get_name(plugin),
			    local != NULL ? local->message : _("no reason given"));
		return FALSE;
	}
	return TRUE;
}

void
rc_plugin_host_list_unknown_keys(RcPluginHost *self, RcConfig *config, GPtrArray *problems)
{
	g_return_if_fail(RC_IS_PLUGIN_HOST(self));

	for (guint i = 0; i < self->plugins->len; i++) {
		RcPlugin *plugin = g_ptr_array_index(self->plugins, i);
		const gchar *const *settings = rc_plugin_get_settings(plugin);
		g_autofree gchar *group = NULL;
		if (settings == NULL)
			continue;
		group = rc_plugin_host_group_of(plugin);
		rc_config_list_unknown_keys(config, group, settings, problems);
	}
}

static gboolean
rc_plugin_host_has_plugin(GPtrArray *plugins, const gchar *name)
{
	for (guint i = 0; i < plugins->len; i++) {
		if (g_strcmp0(rc_plugin_get_name(g_ptr_array_index(plugins, i)), name) == 0)
			return TRUE;
	}
	return FALSE;
}

gboolean
rc_plugin_host_load(RcPluginHost *self,
		    const gchar *const *dirs,
		    const gchar *const *names,
		    GKeyFile *keyfile,
		    GError **error)
{
	g_autoptr(GPtrArray) plugins = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GKeyFile) empty = NULL;

	g_return_val_if_fail(RC_IS_PLUGIN_HOST(self), FALSE);
	g_return_val_if_fail(dirs != NULL, FALSE);

	if (keyfile == NULL) {
		empty = g_key_file_new();
		keyfile = empty;
	}
	for (guint i = 0; names != NULL && names[i] != NULL; i++) {
		g_autofree gchar *name = g_strstrip(g_strdup(names[i]));
		g_autoptr(RcPlugin) plugin = NULL;

		/* "a; b;" in the config file */
		if (name[0] == '\0')
			continue;
		if (!rc_plugin_host_name_is_valid(name)) {
			g_set_error(error,
				    RC_ERROR,
				    RC_ERROR_FAILED,
				    _("plugin name “%s” is not valid (use A-Z a-z 0-9 - _)"),
				    name);
			return FALSE;
		}
		if (rc_plugin_host_has_plugin(plugins, name)) {
			g_set_error(error,
				    RC_ERROR,
				    RC_ERROR_FAILED,
				    _("plugin %s: listed twice in [plugins] enabled"),
				    name);
			return FALSE;
		}
		if (!g_module_supported()) {
			g_set_error(error,
				    RC_ERROR,
				    RC_ERROR_FAILED,
				    _("plugin %s: this system cannot load modules"),
				    name);
			return FALSE;
		}
		plugin = rc_plugin_host_open_plugin(dirs, name, error);
		if (plugin == NULL)
			return FALSE;
		if (!rc_plugin_host_start_plugin(plugin, keyfile, error))
			return FALSE;
		g_ptr_array_add(plugins, g_steal_pointer(&plugin));
	}

	g_ptr_array_unref(self->plugins);
	self->plugins = g_steal_pointer(&plugins);
	return TRUE;
}

gboolean
rc_plugin_host_reload(RcPluginHost *self, GKeyFile *keyfile, GError **error)
{
	g_autoptr(GPtrArray) plugins = g_ptr_array_new_with_free_func(g_object_unref);

	g_return_val_if_fail(RC_IS_PLUGIN_HOST(self), FALSE);
	g_return_val_if_fail(keyfile != NULL, FALSE);

	/* fresh instances, swapped in only when all of them started: all or nothing */
	for (guint i = 0; i < self->plugins->len; i++) {
		RcPlugin *old = g_ptr_array_index(self->plugins, i);
		g_autoptr(RcPlugin) plugin =
		    g_object_new(G_OBJECT_TYPE(old), "name", rc_plugin_get_name(old), NULL);

		if (!rc_plugin_host_start_plugin(plugin, keyfile, error))
			return FALSE;
		g_ptr_array_add(plugins, g_steal_pointer(&plugin));
	}
	g_ptr_array_unref(self->plugins);
	self->plugins = g_steal_pointer(&plugins);
	return TRUE;
}

GStrv
rc_plugin_host_get_names(RcPluginHost *self)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();

	g_return_val_if_fail(RC_IS_PLUGIN_HOST(self), NULL);

	for (guint i = 0; i < self->plugins->len; i++)
		g_strv_builder_add(builder,
				   rc_plugin_get_name(g_ptr_array_index(self->plugins, i)));
	return g_strv_builder_end(builder);
}

gboolean
rc_plugin_host_has_auth(RcPluginHost *self)
{
	g_return_val_if_fail(RC_IS_PLUGIN_HOST(self), FALSE);

	for (guint i = 0; i < self->plugins->len; i++) {
		if (rc_plugin_is_auth(g_ptr_array_index(self->plugins, i)))
			return TRUE;
	}
	return FALSE;
}

static gboolean
rc_plugin_host_has_filter(RcPluginHost *self)
{
	for (guint i = 0; i < self->plugins->len; i++) {
		if (rc_plugin_is_filter(g_ptr_array_index(self->plugins, i)))
			return TRUE;
	}
	return FALSE;
}

/* a peer can cause these at will: counted always, logged within a limit */
static RcLogLimit rc_plugin_host_auth_log = RC_LOG_LIMIT_INIT("auth plugin refusals");
static RcLogLimit rc_plugin_host_filter_log = RC_LOG_LIMIT_INIT("filter plugin refusals");

static void
rc_plugin_host_auth_refused(const gchar *plugin, const gchar *peer, const gchar *reason)
{
	rc_metrics_count_plugin_rejection(plugin, "auth");
	rc_log_limited(&rc_plugin_host_auth_log,
		       peer,
		       NULL,
		       "plugin %s refused client %s: %s",
		       plugin,
		       peer,
		       reason);
}

/* @refusals: (name, reason) pairs of every plugin that refused a client nobody accepted */
static void
rc_plugin_host_auth_refused_all(GPtrArray *refusals, const gchar *peer)
{
	for (guint i = 0; i + 1 < refusals->len; i += 2)
		rc_plugin_host_auth_refused(
		    g_ptr_array_index(refusals, i), peer, g_ptr_array_index(refusals, i + 1));
}

gboolean
rc_plugin_host_authenticate_request(
    RcPluginHost *self, RcAuthRequest *request, gchar **sender, GStrv *room_globs, GError **error)
{
	g_autoptr(GString) reasons = g_string_new(NULL);
	g_autofree gchar *first_reason = NULL;
	/* the refusals count only when no plugin accepts: (name, reason) pairs */
	g_autoptr(GPtrArray) refusals = g_ptr_array_new_with_free_func(g_free);
	const gchar *peer;
	guint n_refused = 0;

	g_return_val_if_fail(RC_IS_PLUGIN_HOST(self), FALSE);
	g_return_val_if_fail(RC_IS_AUTH_REQUEST(request), FALSE);
	g_return_val_if_fail(sender != NULL && room_globs != NULL, FALSE);

	*sender = NULL;
	*room_globs = NULL;
	if (!rc_plugin_host_has_auth(self))
		return TRUE;

	peer = rc_auth_request_get_peer_address(request);
	if (peer == NULL)
		peer = "unknown peer";
	/* the first auth plugin that accepts wins; 401 from one lets the next one try */
	for (guint i = 0; i < self->plugins->len; i++) {
		RcPlugin *plugin = g_ptr_array_index(self->plugins, i);
		const gchar *name = rc_plugin_get_name(plugin);
		g_autoptr(RcIdentity) identity = NULL;
		g_autoptr(GError) local = NULL;

		if (!rc_plugin_is_auth(plugin))
			continue;
		identity = rc_identity_new();
		if (rc_plugin_authenticate(plugin, request, identity, &local)) {
			if (!rc_identity_validate_sender(rc_identity_get_sender(identity),
							 &local)) {
				g_warning("plugin %s accepted a client without a valid sender: %s",
					  name,
					  local->message);
			} else {
				*sender = g_strdup(rc_identity_get_sender(identity));
				*room_globs =
				    g_strdupv((GStrv)rc_identity_get_room_globs(identity));
				g_debug("plugin %s accepted %s as %s", name, peer, *sender);
				return TRUE;
			}
		}
		if (local == NULL)
			local = g_error_new_literal(RC_PLUGIN_ERROR,
						    RC_PLUGIN_ERROR_UNAUTHORIZED,
						    _("refused without a reason"));
		g_debug("plugin %s refused %s: %s", name, peer, local->message);
		g_ptr_array_add(refusals, g_strdup(name));
		g_ptr_array_add(refusals, g_strdup(local->message));
		if (g_error_matches(local, RC_PLUGIN_ERROR, RC_PLUGIN_ERROR_FORBIDDEN)) {
			rc_plugin_host_auth_refused_all(refusals, peer);
			g_set_error_literal(error, RC_ERROR, RC_ERROR_FORBIDDEN, local->message);
			return FALSE;
		}
		if (n_refused++ == 0)
			first_reason = g_strdup(local->message);
		if (reasons->len > 0)
			g_string_append(reasons, "; ");
		g_string_append_printf(reasons, "%s: %s", name, local->message);
	}
	rc_plugin_host_auth_refused_all(refusals, peer);
	/* one auth plugin: its own words; several: each one's, so nobody has to guess */
	if (n_refused == 1) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_UNAUTHORIZED, first_reason);
		return FALSE;
	}
	g_set_error_literal(error, RC_ERROR, RC_ERROR_UNAUTHORIZED, reasons->str);
	return FALSE;
}

static RcPluginSource
rc_plugin_host_map_source(gint source)
{
	switch (source) {
	case RC_SOURCE_HTTP:
		return RC_PLUGIN_SOURCE_HTTP;
	case RC_SOURCE_DBUS:
		return RC_PLUGIN_SOURCE_DBUS;
	case RC_SOURCE_INGRESS:
		return RC_PLUGIN_SOURCE_HTTP;
	case RC_SOURCE_WEBSOCKET:
	default:
		return RC_PLUGIN_SOURCE_WEBSOCKET;
	}
}

gboolean
rc_plugin_host_filter(RcPluginHost *self,
		      gint source,
		      const gchar *connection_id,
		      const gchar *ns,
		      const gchar *room_code,
		      const gchar *sender,
		      gchar **text,
		      GError **error)
{
	g_autoptr(RcFilterMessage) message = NULL;
	g_autofree gchar *room = NULL;

	g_return_val_if_fail(RC_IS_PLUGIN_HOST(self), FALSE);
	g_return_val_if_fail(text != NULL && *text != NULL, FALSE);

	if (!rc_plugin_host_has_filter(self))
		return TRUE;

	message = rc_filter_message_new(
	    rc_plugin_host_map_source(source), connection_id, ns, room_code, sender, *text);
	for (guint i = 0; i < self->plugins->len; i++) {
		RcPlugin *plugin = g_ptr_array_index(self->plugins, i);
		g_autoptr(GError) local = NULL;

		if (!rc_plugin_is_filter(plugin))
			continue;
		if (rc_plugin_filter(plugin, message, &local))
			continue;
		room = g_strdup_printf("%s/%s", ns, room_code);
		rc_metrics_count_plugin_rejection(rc_plugin_get_name(plugin), "filter");
		rc_log_limited(&rc_plugin_host_filter_log,
			       connection_id,
			       room,
			       "plugin %s refused a message from %s to %s: %s",
			       rc_plugin_get_name(plugin),
			       connection_id != NULL ? connection_id : "HTTP or D-Bus",
			       room,
			       local != NULL ? local->message : "(no reason)");
		if (g_error_matches(local, RC_PLUGIN_ERROR, RC_PLUGIN_ERROR_RATE_LIMITED)) {
			g_set_error_literal(error, RC_ERROR, RC_ERROR_RATE_LIMITED, local->message);
			return FALSE;
		}
		/* every other refusal of a filter, even a buggy one, means "not published" */
		g_set_error_literal(error,
				    RC_ERROR,
				    RC_ERROR_REJECTED,
				    local != NULL ? local->message : _("refused by a filter"));
		return FALSE;
	}
	if (g_strcmp0(rc_filter_message_get_text(message), *text) != 0) {
		g_free(*text);
		*text = g_strdup(rc_filter_message_get_text(message));
	}
	return TRUE;
}

void
rc_plugin_host_connection_closed(RcPluginHost *self, const gchar *connection_id)
{
	g_return_if_fail(RC_IS_PLUGIN_HOST(self));

	if (connection_id == NULL)
		return;
	for (guint i = 0; i < self->plugins->len; i++)
		rc_plugin_connection_closed(g_ptr_array_index(self->plugins, i), connection_id);
}
