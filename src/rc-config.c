/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcConfig"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "rc-config.h"
#include "rc-tls.h"

/* Everything read from the file and the flags; swapped whole on reload so a
 * broken file never leaves half-applied settings. */
typedef struct {
	guint port;
	gchar *listen;
	gboolean reuse_port;
	gchar *redis_url;
	gchar *redis_cluster;
	gchar *redis_password_file;
	gchar *redis_password; /* read from redis_password_file; wiped when freed */
	gchar *redis_tls_ca_file;
	gchar *redis_tls_cert_file;
	gchar *redis_tls_key_file;
	gchar *node_id;
	RcDbusBus dbus_bus;
	gchar *dbus_name;
	GStrv plugin_dirs; /* searched in order; the shipped folder is the last one */
	GStrv plugins_enabled;
	gchar *channel;
	RcFanout fanout;
	gsize max_text_bytes;
	gsize max_frame_bytes;
	gsize max_queue_bytes;
	gsize max_rooms_per_client;
	gchar *api_token;
	GStrv allowed_origins;
	GStrv allowed_hosts;
	guint idle_timeout;
	guint drain_seconds;
	gchar *tls_certificate_file;
	gchar *tls_key_file;
	GTlsCertificate *tls_certificate; /* loaded from the two files */
	guint redis_timeout;
	guint history_size;
	guint history_ttl;
	guint presence_ttl;
	guint sio_ping_interval;
	guint sio_ping_timeout;
} RcSettings;

/* the flags, which win over the file; NULL / -1 when not given */
typedef struct {
	gint port;
	gchar *listen;
	gchar *redis_url;
	gchar *redis_cluster;
	gchar *node_id;
	gchar *bus;
	gchar *dbus_name;
	gchar *plugin_dir;
	gchar *config;
	gboolean version;
	gboolean check_config;
} RcOverrides;

struct _RcConfig {
	GObject parent_instance;
	RcSettings *settings;
	RcOverrides overrides;
	GKeyFile *keyfile;
	gchar *path;
	gboolean path_explicit;
};

G_DEFINE_TYPE(RcConfig, rc_config, G_TYPE_OBJECT)

static void
rc_settings_free(RcSettings *s)
{
	g_free(s->listen);
	g_free(s->redis_url);
	g_free(s->redis_cluster);
	g_free(s->redis_password_file);
	if (s->redis_password != NULL)
		explicit_bzero(s->redis_password, strlen(s->redis_password));
	g_free(s->redis_password);
	g_free(s->redis_tls_ca_file);
	g_free(s->redis_tls_cert_file);
	g_free(s->redis_tls_key_file);
	g_free(s->node_id);
	g_free(s->dbus_name);
	g_strfreev(s->plugin_dirs);
	g_strfreev(s->plugins_enabled);
	g_free(s->channel);
	g_free(s->api_token);
	g_strfreev(s->allowed_origins);
	g_strfreev(s->allowed_hosts);
	g_free(s->tls_certificate_file);
	g_free(s->tls_key_file);
	g_clear_object(&s->tls_certificate);
	g_free(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcSettings, rc_settings_free)

static gboolean
rc_config_get_string(GKeyFile *kf,
		     const gchar *group,
		     const gchar *key,
		     const gchar *def,
		     gchar **out,
		     GError **error)
{
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *v = g_key_file_get_string(kf, group, key, &error_local);
	if (v == NULL) {
		if (g_error_matches(error_local, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND) ||
		    g_error_matches(error_local, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND)) {
			*out = g_strdup(def);
			return TRUE;
		}
		g_propagate_prefixed_error(error, g_steal_pointer(&error_local), "[%s] %s: ", group, key);
		return FALSE;
	}
	g_strstrip(v);
	*out = v[0] != '\0' ? g_steal_pointer(&v) : g_strdup(def);
	return TRUE;
}

/* A file named in the config; a relative path is taken from the config file's
 * folder, not from wherever the daemon was started (GIO's TLS database even
 * refuses relative paths). */
static gboolean
rc_config_get_file_key(
    RcConfig *self, GKeyFile *kf, const gchar *group, const gchar *key, gchar **out, GError **error)
{
	g_autofree gchar *v = NULL;
	g_autofree gchar *config_dir = NULL;
	g_autofree gchar *dir = NULL;

	if (!rc_config_get_string(kf, group, key, NULL, &v, error))
		return FALSE;
	if (v == NULL || g_path_is_absolute(v)) {
		*out = g_steal_pointer(&v);
		return TRUE;
	}
	config_dir = g_path_get_dirname(self->path);
	dir = g_canonicalize_filename(config_dir, NULL);
	*out = g_canonicalize_filename(v, dir);
	return TRUE;
}

static gboolean
rc_config_get_uint(GKeyFile *kf,
		   const gchar *group,
		   const gchar *key,
		   guint64 def,
		   guint64 min,
		   guint64 max,
		   guint64 *out,
		   GError **error)
{
	g_autofree gchar *s = NULL;
	if (!rc_config_get_string(kf, group, key, NULL, &s, error))
		return FALSE;
	if (s == NULL) {
		*out = def;
		return TRUE;
	}
	if (!g_ascii_string_to_unsigned(s, 10, min, max, out, NULL)) {
		g_set_error(error,
			    G_KEY_FILE_ERROR,
			    G_KEY_FILE_ERROR_INVALID_VALUE,
			    _("[%s] %s: “%s” is not a number between %llu and %llu"),
			    group,
			    key,
			    s,
			    (unsigned long long)min,
			    (unsigned long long)max);
		return FALSE;
	}
	return TRUE;
}

static gboolean
rc_config_parse_port(const gchar *s, guint *port, GError **error)
{
	guint64 v = 0;
	if (!g_ascii_string_to_unsigned(s, 10, 0, 65535, &v, NULL)) {
		g_set_error(error,
			    G_KEY_FILE_ERROR,
			    G_KEY_FILE_ERROR_INVALID_VALUE,
			    _("invalid port “%s”: expected a number from 0 to 65535"),
			    s);
		return FALSE;
	}
	*port = (guint)v;
	return TRUE;
}

static GStrv
rc_config_split_list(const gchar *s)
{
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) parts = NULL;
	if (s == NULL)
		return NULL;
	parts = g_strsplit_set(s, ";,", -1);
	for (guint i = 0; parts[i] != NULL; i++) {
		g_strstrip(parts[i]);
		if (parts[i][0] != '\0')
			g_ptr_array_add(out, g_strdup(parts[i]));
	}
	if (out->len == 0)
		return NULL;
	g_ptr_array_add(out, NULL);
	return (GStrv)g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

/*
 * The password in @path: the whole file but its final line ending (editors add
 * one). Nothing of the file's contents ever goes into @error.
 */
static gboolean
rc_config_read_password(const gchar *path, gchar **out, GError **error)
{
	g_autoptr(GError) local = NULL;
	gchar *contents = NULL;
	gsize len = 0;
	GStatBuf st;

	if (!g_file_get_contents(path, &contents, &len, &local)) {
		g_set_error(error,
			    G_KEY_FILE_ERROR,
			    G_KEY_FILE_ERROR_INVALID_VALUE,
			    _("[redis] password_file: %s"),
			    local->message);
		return FALSE;
	}
	while (len > 0 && (contents[len - 1] == '\n' || contents[len - 1] == '\r'))
		contents[--len] = '\0';
	if (len == 0 || memchr(contents, '\n', len) != NULL ||
	    memchr(contents, '\r', len) != NULL || strlen(contents) != len) {
		g_set_error(error,
			    G_KEY_FILE_ERROR,
			    G_KEY_FILE_ERROR_INVALID_VALUE,
			    len == 0
				? _("[redis] password_file: “%s” is empty")
				: _("[redis] password_file: “%s” must hold the password alone, "
				    "on one line"),
			    path);
		explicit_bzero(contents, len);
		g_free(contents);
		return FALSE;
	}
	if (g_stat(path, &st) == 0 && (st.st_mode & S_IROTH) != 0)
		g_warning("[redis] password_file %s can be read by every user of this system",
			  path);
	*out = contents;
	return TRUE;
}

/* Loads the TLS files once, so that a wrong path or a broken file stops the
 * start (or the reload) with its reason rather than every connect failing. */
static gboolean
rc_config_check_tls_files(RcSettings *s, GError **error)
{
	g_autoptr(GError) local = NULL;

	if (s->redis_tls_ca_file == NULL && s->redis_tls_cert_file == NULL &&
	    s->redis_tls_key_file == NULL)
		return TRUE;
	if (!g_tls_backend_supports_tls(g_tls_backend_get_default())) {
		g_set_error_literal(
		    error,
		    G_KEY_FILE_ERROR,
		    G_KEY_FILE_ERROR_INVALID_VALUE,
		    _("[redis] tls_ca_file, tls_cert_file, tls_key_file: this system "
		      "has no TLS support for GIO (install glib-networking)"));
		return FALSE;
	}
	if (s->redis_tls_ca_file != NULL) {
		g_autoptr(GTlsDatabase) db = g_tls_file_database_new(s->redis_tls_ca_file, &local);
		if (db == NULL) {
			g_set_error(error,
				    G_KEY_FILE_ERROR,
				    G_KEY_FILE_ERROR_INVALID_VALUE,
				    _("[redis] tls_ca_file: cannot load “%s”: %s"),
				    s->redis_tls_ca_file,
				    local->message);
			return FALSE;
		}
	}
	if ((s->redis_tls_cert_file == NULL) != (s->redis_tls_key_file == NULL)) {
		g_set_error_literal(
		    error,
		    G_KEY_FILE_ERROR,
		    G_KEY_FILE_ERROR_INVALID_VALUE,
		    _("[redis] tls_cert_file and tls_key_file go together: set both "
		      "or neither"));
		return FALSE;
	}
	if (s->redis_tls_cert_file != NULL) {
		g_autoptr(GTlsCertificate) cert = g_tls_certificate_new_from_files(
		    s->redis_tls_cert_file, s->redis_tls_key_file, &local);
		if (cert == NULL) {
			g_set_error(error,
				    G_KEY_FILE_ERROR,
				    G_KEY_FILE_ERROR_INVALID_VALUE,
				    _("[redis] tls_cert_file, tls_key_file: cannot load “%s” with "
				      "its key “%s”: %s"),
				    s->redis_tls_cert_file,
				    s->redis_tls_key_file,
				    local->message);
			return FALSE;
		}
	}
	return TRUE;
}

/* [plugins] dir or --plugin-dir: folders separated by ':', then the shipped one */
static GStrv
rc_config_plugin_dirs(const gchar *list)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	g_auto(GStrv) parts = g_strsplit(list != NULL ? list : "", G_SEARCHPATH_SEPARATOR_S, -1);
	gboolean shipped = FALSE;

	for (guint i = 0; parts[i] != NULL; i++) {
		gchar *dir = g_strstrip(parts[i]);
		gsize len = strlen(dir);

		while (len > 1 && dir[len - 1] == G_DIR_SEPARATOR)
			dir[--len] = '\0';
		if (len == 0)
			continue;
		shipped |= g_strcmp0(dir, RC_PLUGINDIR) == 0;
		g_strv_builder_add(builder, dir);
	}
	if (!shipped)
		g_strv_builder_add(builder, RC_PLUGINDIR);
	return g_strv_builder_end(builder);
}

/* a bad value: when it came from a flag the error says so (and carries no file
 * name, see rc_config_prefix_error()) */
static void G_GNUC_PRINTF(3, 4)
rc_config_bad_value(GError **error, gboolean from_flag, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *text = NULL;

	va_start(args, format);
	text = g_strdup_vprintf(format, args);
	va_end(args);
	if (from_flag)
		g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, text);
	else
		g_set_error_literal(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, text);
}

/* the file's name goes before what is wrong in it, not before a bad flag */
static void
rc_config_prefix_error(RcConfig *self, GError **error)
{
	if (error != NULL && *error != NULL && (*error)->domain != G_OPTION_ERROR)
		g_prefix_error(error, "%s: ", self->path);
}

/* builds complete settings from @kf and the flags; nothing is changed on error */
static RcSettings *
rc_config_build(RcConfig *self, GKeyFile *kf, GError **error)
{
	g_autoptr(RcSettings) s = g_new0(RcSettings, 1);
	RcOverrides *o = &self->overrides;
	g_autofree gchar *port = NULL;
	g_autofree gchar *bus = NULL;
	g_autofree gchar *fanout = NULL;
	g_autofree gchar *enabled = NULL;
	g_autofree gchar *origins = NULL;
	g_autofree gchar *hosts = NULL;
	g_autofree gchar *reuse = NULL;
	g_autofree gchar *plugin_dir = NULL;
	guint64 v = 0;

	if (!rc_config_get_string(kf, "server", "port", "8080", &port, error))
		return NULL;
	if (o->port >= 0)
		s->port = (guint)o->port;
	else if (!rc_config_parse_port(port, &s->port, error)) {
		g_prefix_error(error, "[server] port: ");
		return NULL;
	}
	if (!rc_config_get_string(kf, "server", "listen", "127.0.0.1", &s->listen, error))
		return NULL;
	if (o->listen != NULL) {
		g_free(s->listen);
		s->listen = g_strdup(o->listen);
	}
	if (!g_hostname_is_ip_address(s->listen)) {
		rc_config_bad_value(error,
				    o->listen != NULL,
				    _("invalid listen address “%s”: expected an IPv4 or IPv6 address"),
				    s->listen);
		return NULL;
	}
	if (!rc_config_get_string(kf, "server", "reuse_port", "false", &reuse, error))
		return NULL;
	if (g_strcmp0(reuse, "true") == 0)
		s->reuse_port = TRUE;
	else if (g_strcmp0(reuse, "false") != 0) {
		g_set_error(error,
			    G_KEY_FILE_ERROR,
			    G_KEY_FILE_ERROR_INVALID_VALUE,
			    _("[server] reuse_port: expected true or false, not “%s”"),
			    reuse);
		return NULL;
	}
	if (!rc_config_get_string(kf, "server", "node_id", NULL, &s->node_id, error))
		return NULL;
	if (o->node_id != NULL) {
		g_free(s->node_id);
		s->node_id = g_strdup(o->node_id);
	}
	if (s->node_id != NULL && (s->node_id[0] == '\0' || strlen(s->node_id) > 128 ||
				   !g_utf8_validate(s->node_id, -1, NULL))) {
		rc_config_bad_value(error,
				    o->node_id != NULL,
				    "%s",
				    _("invalid node id: 1 to 128 bytes of UTF-8"));
		return NULL;
	}
	if (!rc_config_get_string(kf, "server", "allowed_origins", NULL, &origins, error))
		return NULL;
	s->allowed_origins = rc_config_split_list(origins);
	if (!rc_config_get_string(kf, "server", "allowed_hosts", NULL, &hosts, error))
		return NULL;
	s->allowed_hosts = rc_config_split_list(hosts);
	if (!rc_config_get_uint(kf, "server", "idle_timeout", 60, 1, 86400, &v, error))
		return NULL;
	s->idle_timeout = (guint)v;
	if (!rc_config_get_uint(kf, "server", "drain_seconds", 0, 0, 86400, &v, error))
		return NULL;
	s->drain_seconds = (guint)v;
	if (!rc_config_get_file_key(
		self, kf, "server", "tls_certificate", &s->tls_certificate_file, error) ||
	    !rc_config_get_file_key(self, kf, "server", "tls_key", &s->tls_key_file, error))
		return NULL;
	if ((s->tls_certificate_file == NULL) != (s->tls_key_file == NULL)) {
		rc_config_bad_value(
		    error,
		    FALSE,
		    _("[server] tls_certificate and tls_key go together: “%s” is "
		      "set, %s is not"),
		    s->tls_certificate_file != NULL ? s->tls_certificate_file : s->tls_key_file,
		    s->tls_certificate_file != NULL ? "tls_key" : "tls_certificate");
		return NULL;
	}
	if (s->tls_certificate_file != NULL) {
		s->tls_certificate =
		    rc_tls_load_certificate(s->tls_certificate_file, s->tls_key_file, error);
		if (s->tls_certificate == NULL)
			return NULL;
	}

	if (!rc_config_get_string(kf, "redis", "url", NULL, &s->redis_url, error))
		return NULL;
	if (o->redis_url != NULL) {
		g_free(s->redis_url);
		s->redis_url = g_strdup(o->redis_url);
	}
	if (!rc_config_get_string(kf, "redis", "cluster", NULL, &s->redis_cluster, error))
		return NULL;
	if (o->redis_cluster != NULL) {
		g_free(s->redis_cluster);
		s->redis_cluster = g_strdup(o->redis_cluster);
	}
	/* an empty list is no cluster, and not meant as none either */
	if (s->redis_cluster == NULL && g_key_file_has_key(kf, "redis", "cluster", NULL)) {
		rc_config_bad_value(error,
				    FALSE,
				    "%s",
				    _("[redis] cluster: empty; remove the key to run without a cluster"));
		return NULL;
	}
	/* the URLs themselves are checked by the bus that uses them */
	if (s->redis_url != NULL && s->redis_cluster != NULL) {
		rc_config_bad_value(error,
				    o->redis_url != NULL || o->redis_cluster != NULL,
				    "%s",
				    _("a Redis URL and a Redis Cluster seed list exclude each "
				      "other: give one of them"));
		return NULL;
	}
	if (!rc_config_get_file_key(
		self, kf, "redis", "password_file", &s->redis_password_file, error))
		return NULL;
	if (s->redis_password_file != NULL &&
	    !rc_config_read_password(s->redis_password_file, &s->redis_password, error))
		return NULL;
	if (!rc_config_get_file_key(
		self, kf, "redis", "tls_ca_file", &s->redis_tls_ca_file, error) ||
	    !rc_config_get_file_key(
		self, kf, "redis", "tls_cert_file", &s->redis_tls_cert_file, error) ||
	    !rc_config_get_file_key(
		self, kf, "redis", "tls_key_file", &s->redis_tls_key_file, error))
		return NULL;
	if (!rc_config_check_tls_files(s, error))
		return NULL;
	if (!rc_config_get_string(kf, "redis", "channel", "livechat", &s->channel, error))
		return NULL;
	/* the channel begins every room's key names, before the room's {hash tag}:
	 * a brace of its own would become the tag and put every room in one slot */
	if (s->channel[0] == '\0' || strpbrk(s->channel, "{} \t\r\n") != NULL ||
	    !g_utf8_validate(s->channel, -1, NULL)) {
		rc_config_bad_value(error,
				    FALSE,
				    _("[redis] channel: “%s” is not a channel name: expected 1 or "
				      "more characters, without spaces, “{” or “}”"),
				    s->channel);
		return NULL;
	}
	if (!rc_config_get_uint(kf, "redis", "timeout", 2, 1, 3600, &v, error))
		return NULL;
	s->redis_timeout = (guint)v;
	if (!rc_config_get_string(kf, "redis", "fanout", "single", &fanout, error))
		return NULL;
	if (g_strcmp0(fanout, "single") == 0)
		s->fanout = RC_FANOUT_SINGLE;
	else if (g_strcmp0(fanout, "per-room") == 0)
		s->fanout = RC_FANOUT_PER_ROOM;
	else {
		g_set_error(error,
			    G_KEY_FILE_ERROR,
			    G_KEY_FILE_ERROR_INVALID_VALUE,
			    _("[redis] fanout: expected single or per-room, not “%s”"),
			    fanout);
		return NULL;
	}

	if (!rc_config_get_string(kf, "dbus", "bus", "session", &bus, error))
		return NULL;
	if (o->bus != NULL) {
		g_free(bus);
		bus = g_strdup(o->bus);
	}
	if (g_strcmp0(bus, "session") == 0)
		s->dbus_bus = RC_DBUS_BUS_SESSION;
	else if (g_strcmp0(bus, "system") == 0)
		s->dbus_bus = RC_DBUS_BUS_SYSTEM;
	else if (g_strcmp0(bus, "none") == 0)
		s->dbus_bus = RC_DBUS_BUS_NONE;
	else {
		rc_config_bad_value(error,
				    o->bus != NULL,
				    _("invalid bus “%s”: expected session, system or none"),
				    bus);
		return NULL;
	}
	if (!rc_config_get_string(kf, "dbus", "name", "org.roomcast", &s->dbus_name, error))
		return NULL;
	if (o->dbus_name != NULL) {
		g_free(s->dbus_name);
		s->dbus_name = g_strdup(o->dbus_name);
	}
	if (!g_dbus_is_name(s->dbus_name) || g_dbus_is_unique_name(s->dbus_name)) {
		rc_config_bad_value(
		    error, o->dbus_name != NULL, _("invalid D-Bus name “%s”"), s->dbus_name);
		return NULL;
	}

	if (!rc_config_get_string(kf, "plugins", "dir", NULL, &plugin_dir, error))
		return NULL;
	s->plugin_dirs = rc_config_plugin_dirs(o->plugin_dir != NULL ? o->plugin_dir : plugin_dir);
	if (!rc_config_get_string(kf, "plugins", "enabled", NULL, &enabled, error))
		return NULL;
	s->plugins_enabled = rc_config_split_list(enabled);
	if (s->plugins_enabled == NULL)
		s->plugins_enabled = g_new0(gchar *, 1);

	if (!rc_config_get_uint(kf, "limits", "max_text_bytes", 4096, 1, G_MAXINT32, &v, error))
		return NULL;
	s->max_text_bytes = v;
	if (!rc_config_get_uint(kf, "limits", "max_frame_bytes", 65536, 64, G_MAXINT32, &v, error))
		return NULL;
	s->max_frame_bytes = v;
	if (!rc_config_get_uint(kf, "limits", "max_queue_bytes", 1048576, 1024, G_MAXINT32, &v, error))
		return NULL;
	s->max_queue_bytes = v;
	if (!rc_config_get_uint(kf, "limits", "max_rooms_per_client", 100, 1, G_MAXINT32, &v, error))
		return NULL;
	s->max_rooms_per_client = v;
	if (!rc_config_get_string(kf, "http", "api_token", NULL, &s->api_token, error))
		return NULL;
	if (!rc_config_get_uint(kf, "history", "size", 100, 0, 100000, &v, error))
		return NULL;
	s->history_size = (guint)v;
	if (!rc_config_get_uint(kf, "history", "ttl", 86400, 1, 100 * 365 * 86400ULL, &v, error))
		return NULL;
	s->history_ttl = (guint)v;
	if (!rc_config_get_uint(kf, "presence", "ttl", 30, 1, 86400, &v, error))
		return NULL;
	s->presence_ttl = (guint)v;
	/* milliseconds, as socket.io's own options are */
	if (!rc_config_get_uint(kf, "socketio", "ping_interval", 25000, 50, 3600000, &v, error))
		return NULL;
	s->sio_ping_interval = (guint)v;
	if (!rc_config_get_uint(kf, "socketio", "ping_timeout", 20000, 50, 3600000, &v, error))
		return NULL;
	s->sio_ping_timeout = (guint)v;
	return g_steal_pointer(&s);
}

static GKeyFile *
rc_config_read_file(RcConfig *self, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) error_local = NULL;
	if (!g_key_file_load_from_file(kf, self->path, G_KEY_FILE_NONE, &error_local)) {
		/* the default file is optional: roomcastd works out of the box */
		if (!self->path_explicit &&
		    g_error_matches(error_local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return g_steal_pointer(&kf);
		g_propagate_prefixed_error(error, g_steal_pointer(&error_local), "%s: ", self->path);
		return NULL;
	}
	return g_steal_pointer(&kf);
}

/* every key roomcastd reads; plugins read their own [plugin:NAME] groups */
static const struct {
	const gchar *group;
	const gchar *const keys[16];
} rc_config_known[] = {
    {"server",
     {"port", "listen", "reuse_port", "node_id", "allowed_origins", "allowed_hosts",
      "idle_timeout", "tls_certificate", "tls_key", "drain_seconds", NULL}},
    {"redis",
     {"url", "cluster", "channel", "timeout", "fanout", "password_file", "tls_ca_file",
      "tls_cert_file", "tls_key_file", NULL}},
    {"dbus", {"bus", "name", NULL}},
    {"plugins", {"dir", "enabled", NULL}},
    {"limits", {"max_text_bytes", "max_frame_bytes", "max_queue_bytes", "max_rooms_per_client", NULL}},
    {"http", {"api_token", NULL}},
    {"history", {"size", "ttl", NULL}},
    {"presence", {"ttl", NULL}},
};

/* edits (insert, delete, replace) from @a to @b, stopping early past @max */
static guint
rc_config_distance(const gchar *a, const gchar *b, guint max)
{
	gsize la = strlen(a), lb = strlen(b);
	g_autofree guint *row = NULL;

	if ((la > lb ? la - lb : lb - la) > max)
		return max + 1;
	row = g_new(guint, lb + 1);
	for (gsize j = 0; j <= lb; j++)
		row[j] = (guint)j;
	for (gsize i = 1; i <= la; i++) {
		guint diag = row[0];
		row[0] = (guint)i;
		for (gsize j = 1; j <= lb; j++) {
			guint up = row[j];
			guint cost = g_ascii_tolower(a[i - 1]) == g_ascii_tolower(b[j - 1]) ? 0 : 1;
			row[j] = MIN(MIN(row[j] + 1, row[j - 1] + 1), diag + cost);
			diag = up;
		}
	}
	return row[lb];
}

/* the known name nearest to @name, when it is a near miss */
static const gchar *
rc_config_nearest(const gchar *name, const gchar *const *candidates)
{
	const gchar *best = NULL;
	guint best_d = MAX(strlen(name) / 3, 2) + 1;

	for (guint i = 0; candidates[i] != NULL; i++) {
		guint d = rc_config_distance(name, candidates[i], best_d - 1);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best;
}

static gint
rc_config_find_group(const gchar *group)
{
	for (guint i = 0; i < G_N_ELEMENTS(rc_config_known); i++) {
		if (g_strcmp0(rc_config_known[i].group, group) == 0)
			return (gint)i;
	}
	return -1;
}

/* one line per key of @group in @kf that is not one of @known */
static void
rc_config_list_keys_not_in(RcConfig *self,
			   GKeyFile *kf,
			   const gchar *group,
			   const gchar *const *known,
			   GPtrArray *problems)
{
	g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);

	for (guint k = 0; keys != NULL && keys[k] != NULL; k++) {
		const gchar *near;
		if (g_strv_contains(known, keys[k]))
			continue;
		near = rc_config_nearest(keys[k], known);
		if (near != NULL)
			g_ptr_array_add(problems,
					g_strdup_printf(_("%s: unknown key %s in [%s] (did you mean %s?)"),
							self->path,
							keys[k],
							group,
							near));
		else
			g_ptr_array_add(problems,
					g_strdup_printf(_("%s: unknown key %s in [%s]"),
							self->path,
							keys[k],
							group));
	}
}

void
rc_config_list_unknown_keys(RcConfig *self,
			    const gchar *group,
			    const gchar *const *known,
			    GPtrArray *problems)
{
	g_return_if_fail(RC_IS_CONFIG(self));
	rc_config_list_keys_not_in(self, self->keyfile, group, known, problems);
}

/* one line per group or key roomcastd does not know */
static void
rc_config_list_unknown(RcConfig *self, GKeyFile *kf, GPtrArray *problems)
{
	g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
	const gchar *group_names[G_N_ELEMENTS(rc_config_known) + 1] = {NULL};

	for (guint i = 0; i < G_N_ELEMENTS(rc_config_known); i++)
		group_names[i] = rc_config_known[i].group;
	for (guint g = 0; groups[g] != NULL; g++) {
		gint known = rc_config_find_group(groups[g]);

		if (g_str_has_prefix(groups[g], "plugin:"))
			continue;
		if (known < 0) {
			const gchar *near = rc_config_nearest(groups[g], group_names);
			if (near != NULL)
				g_ptr_array_add(problems,
						g_strdup_printf(_("%s: unknown group [%s] (did you mean [%s]?)"),
								self->path,
								groups[g],
								near));
			else
				g_ptr_array_add(problems,
						g_strdup_printf(_("%s: unknown group [%s]"),
								self->path,
								groups[g]));
			continue;
		}
		rc_config_list_keys_not_in(self, kf, groups[g], rc_config_known[known].keys, problems);
	}
}

static void
rc_config_warn_unknown(RcConfig *self)
{
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);

	rc_config_list_unknown(self, self->keyfile, problems);
	for (guint i = 0; i < problems->len; i++)
		g_warning("%s", (const gchar *)g_ptr_array_index(problems, i));
}

/* the key that must be set together with @group's @key, if any */
static const gchar *
rc_config_partner(const gchar *group, const gchar *key)
{
	const struct {
		const gchar *group, *a, *b;
	} pairs[] = {
	    {"server", "tls_certificate", "tls_key"},
	    {"redis", "tls_cert_file", "tls_key_file"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(pairs); i++) {
		if (g_strcmp0(group, pairs[i].group) != 0)
			continue;
		if (g_strcmp0(key, pairs[i].a) == 0)
			return pairs[i].b;
		if (g_strcmp0(key, pairs[i].b) == 0)
			return pairs[i].a;
	}
	return NULL;
}

GPtrArray *
rc_config_check(RcConfig *self)
{
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GKeyFile) kf = NULL;
	g_autoptr(GKeyFile) good = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) groups = NULL;
	RcSettings *s;

	kf = rc_config_read_file(self, &error);
	if (kf == NULL) {
		g_ptr_array_add(problems, g_strdup(error->message));
		return problems;
	}
	rc_config_list_unknown(self, kf, problems);
	/* the file without the keys refused on their own: what the daemon checks */
	{
		g_autofree gchar *data = g_key_file_to_data(kf, NULL, NULL);
		good = g_key_file_new();
		g_key_file_load_from_data(good, data, (gsize)-1, G_KEY_FILE_NONE, NULL);
	}
	/* each key on its own, so one bad value does not hide the next */
	groups = g_key_file_get_groups(kf, NULL);
	for (guint g = 0; groups[g] != NULL; g++) {
		g_auto(GStrv) keys = NULL;
		if (rc_config_find_group(groups[g]) < 0)
			continue;
		keys = g_key_file_get_keys(kf, groups[g], NULL, NULL);
		for (guint k = 0; keys != NULL && keys[k] != NULL; k++) {
			g_autoptr(GKeyFile) one = g_key_file_new();
			g_autofree gchar *value = g_key_file_get_value(kf, groups[g], keys[k], NULL);
			g_autoptr(GError) error_key = NULL;
			gchar *line;

			const gchar *partner = rc_config_partner(groups[g], keys[k]);

			g_key_file_set_value(one, groups[g], keys[k], value != NULL ? value : "");
			/* a key that is only valid with another is checked with it */
			if (partner != NULL && g_key_file_has_key(kf, groups[g], partner, NULL)) {
				g_autofree gchar *pv =
				    g_key_file_get_value(kf, groups[g], partner, NULL);
				g_key_file_set_value(one, groups[g], partner, pv != NULL ? pv : "");
			}
			s = rc_config_build(self, one, &error_key);
			if (s != NULL) {
				rc_settings_free(s);
				continue;
			}
			g_key_file_remove_key(good, groups[g], keys[k], NULL);
			rc_config_prefix_error(self, &error_key);
			line = g_strdup(error_key->message);
			if (g_hash_table_contains(seen, line)) {
				g_free(line);
				continue;
			}
			g_hash_table_add(seen, line);
			g_ptr_array_add(problems, line);
		}
	}
	/* and together, for what only a combination gets wrong */
	s = rc_config_build(self, kf, &error);
	if (s == NULL) {
		gchar *line;
		rc_config_prefix_error(self, &error);
		line = g_strdup(error->message);
		if (!g_hash_table_contains(seen, line))
			g_ptr_array_add(problems, line);
		else
			g_free(line);
		/* the rest, so the daemon can check what needs more than the file
		 * (plugins, Redis addresses) and list those problems too */
		s = rc_config_build(self, good, NULL);
		if (s != NULL) {
			g_clear_pointer(&self->settings, rc_settings_free);
			self->settings = s;
			g_clear_pointer(&self->keyfile, g_key_file_unref);
			self->keyfile = g_steal_pointer(&good);
		} else if (g_key_file_has_key(kf, "plugins", "enabled", NULL) ||
			   g_key_file_has_key(kf, "redis", "url", NULL) ||
			   g_key_file_has_key(kf, "redis", "cluster", NULL) ||
			   self->overrides.redis_url != NULL ||
			   self->overrides.redis_cluster != NULL) {
			/* what is left does not build either: say what goes unchecked */
			g_ptr_array_add(problems,
					g_strdup_printf(_("%s: plugins and Redis addresses are not "
							  "checked until the problems above are fixed"),
							self->path));
		}
		return problems;
	}
	/* what passes is applied, so the daemon can check what needs more than the file */
	g_clear_pointer(&self->settings, rc_settings_free);
	self->settings = s;
	g_clear_pointer(&self->keyfile, g_key_file_unref);
	self->keyfile = g_steal_pointer(&kf);
	return problems;
}

const gchar *
rc_config_get_redis_origin(RcConfig *self)
{
	RcOverrides *o = &self->overrides;

	g_return_val_if_fail(RC_IS_CONFIG(self), NULL);
	if (o->redis_cluster != NULL)
		return "--redis-cluster";
	if (o->redis_url != NULL)
		return "--redis";
	return self->settings->redis_cluster != NULL ? "[redis] cluster" : "[redis] url";
}

gboolean
rc_config_get_check_config(RcConfig *self)
{
	return self->overrides.check_config;
}

gboolean
rc_config_load_file(RcConfig *self, const gchar *path, GError **error)
{
	g_autoptr(GKeyFile) kf = NULL;
	RcSettings *s;

	if (path != NULL) {
		g_free(self->path);
		self->path = g_strdup(path);
		self->path_explicit = TRUE;
	}
	kf = rc_config_read_file(self, error);
	if (kf == NULL)
		return FALSE;
	s = rc_config_build(self, kf, error);
	if (s == NULL) {
		rc_config_prefix_error(self, error);
		return FALSE;
	}
	g_clear_pointer(&self->settings, rc_settings_free);
	self->settings = s;
	g_clear_pointer(&self->keyfile, g_key_file_unref);
	self->keyfile = g_steal_pointer(&kf);
	return TRUE;
}

gboolean
rc_config_parse_args(RcConfig *self, gint *argc, gchar ***argv, GError **error)
{
	RcOverrides *o = &self->overrides;
	g_autofree gchar *port = NULL;
	const GOptionEntry entries[] = {
	    {"port", 'p', 0, G_OPTION_ARG_STRING, &port,
	     N_("HTTP and WebSocket port, 0 picks a free one (default 8080)"), N_("PORT")},
	    {"listen", 'l', 0, G_OPTION_ARG_STRING, &o->listen,
	     N_("Address to bind (default 127.0.0.1)"), N_("ADDR")},
	    {"redis", 'r', 0, G_OPTION_ARG_STRING, &o->redis_url,
	     N_("Redis URL redis://[USER][:PASSWORD]@HOST:PORT[/DB], rediss://… or unix:/path; "
		"unset runs a single node"),
	     N_("URL")},
	    {"redis-cluster", 0, 0, G_OPTION_ARG_STRING, &o->redis_cluster,
	     N_("Seed nodes of a Redis Cluster, HOST:PORT[,HOST:PORT…]"), N_("LIST")},
	    {"node-id", 0, 0, G_OPTION_ARG_STRING, &o->node_id,
	     N_("This node's name (default hostname-port)"), N_("ID")},
	    {"bus", 0, 0, G_OPTION_ARG_STRING, &o->bus,
	     N_("D-Bus bus for the admin API: session, system or none"), N_("BUS")},
	    {"dbus-name", 0, 0, G_OPTION_ARG_STRING, &o->dbus_name,
	     N_("Well-known D-Bus name to own (default org.roomcast)"), N_("NAME")},
	    {"plugin-dir", 0, 0, G_OPTION_ARG_FILENAME, &o->plugin_dir,
	     N_("Folders to look for plugins in, separated by “:”, before the shipped one"),
	     N_("DIR[:DIR…]")},
	    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config,
	     N_("Configuration file"), N_("FILE")},
	    {"check-config", 0, 0, G_OPTION_ARG_NONE, &o->check_config,
	     N_("Check the configuration file and the flags, print each problem, and exit"),
	     NULL},
	    {"version", 'V', 0, G_OPTION_ARG_NONE, &o->version, N_("Show the version and exit"), NULL},
	    {NULL}};
	g_autoptr(GOptionContext) ctx =
	    g_option_context_new(_("— roomcast WebSocket chat server"));

	g_option_context_set_translation_domain(ctx, GETTEXT_PACKAGE);
	g_option_context_add_main_entries(ctx, entries, GETTEXT_PACKAGE);
	g_option_context_set_summary(ctx,
				     _("Serves chat rooms over WebSocket and shares them with other "
				       "nodes through Redis."));
	if (!g_option_context_parse(ctx, argc, argv, error))
		return FALSE;
	if (*argc > 1) {
		g_set_error(error,
			    G_OPTION_ERROR,
			    G_OPTION_ERROR_BAD_VALUE,
			    _("unexpected argument “%s”"),
			    (*argv)[1]);
		return FALSE;
	}
	if (o->version)
		return TRUE;
	if (port != NULL) {
		guint p = 0;
		if (!rc_config_parse_port(port, &p, error))
			return FALSE;
		o->port = (gint)p;
	}
	if (o->config != NULL) {
		g_free(self->path);
		self->path = g_strdup(o->config);
		self->path_explicit = TRUE;
	} else if (g_strcmp0(o->bus, "system") != 0) {
		/* a desktop user's own node: their file replaces the system one, as a whole,
		 * so that nothing of a system node's settings leaks into it */
		g_autofree gchar *user =
		    g_build_filename(g_get_user_config_dir(), "roomcast", "roomcast.conf", NULL);
		if (g_file_test(user, G_FILE_TEST_EXISTS)) {
			g_debug("reading the user's configuration %s", user);
			g_free(self->path);
			self->path = g_steal_pointer(&user);
			self->path_explicit = TRUE;
		}
	}
	/* the check reports every problem itself instead of stopping at the first */
	if (o->check_config)
		return TRUE;
	if (!rc_config_load_file(self, NULL, error))
		return FALSE;
	rc_config_warn_unknown(self);
	return TRUE;
}

GKeyFile *
rc_config_check_file(RcConfig *self, GError **error)
{
	g_autoptr(GKeyFile) kf = rc_config_read_file(self, error);
	RcSettings *s;
	if (kf == NULL)
		return NULL;
	s = rc_config_build(self, kf, error);
	if (s == NULL) {
		rc_config_prefix_error(self, error);
		return NULL;
	}
	rc_settings_free(s);
	return g_steal_pointer(&kf);
}

gboolean
rc_config_apply(RcConfig *self, GKeyFile *keyfile, gboolean *restart_needed, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_ref(keyfile);
	RcSettings *s;
	RcSettings *old = self->settings;

	s = rc_config_build(self, kf, error);
	if (s == NULL) {
		rc_config_prefix_error(self, error);
		return FALSE;
	}
	if (restart_needed != NULL) {
		*restart_needed =
		    s->port != old->port || g_strcmp0(s->listen, old->listen) != 0 ||
		    g_strcmp0(s->redis_url, old->redis_url) != 0 ||
		    g_strcmp0(s->redis_cluster, old->redis_cluster) != 0 ||
		    g_strcmp0(s->channel, old->channel) != 0 || s->fanout != old->fanout ||
		    s->dbus_bus != old->dbus_bus || g_strcmp0(s->dbus_name, old->dbus_name) != 0 ||
		    g_strcmp0(s->node_id, old->node_id) != 0 ||
		    g_strcmp0(s->redis_tls_ca_file, old->redis_tls_ca_file) != 0 ||
		    g_strcmp0(s->redis_tls_cert_file, old->redis_tls_cert_file) != 0 ||
		    g_strcmp0(s->redis_tls_key_file, old->redis_tls_key_file) != 0 ||
		    !g_strv_equal((const gchar *const *)s->plugin_dirs,
				  (const gchar *const *)old->plugin_dirs) ||
		    !g_strv_equal((const gchar *const *)s->plugins_enabled,
				  (const gchar *const *)old->plugins_enabled);
	}
	/* the port speaks TLS or not until the next start; the certificate itself is
	 * replaced at once, for the connections that come next */
	if ((s->tls_certificate == NULL) != (old->tls_certificate == NULL)) {
		if (restart_needed != NULL)
			*restart_needed = TRUE;
		g_free(s->tls_certificate_file);
		s->tls_certificate_file = g_strdup(old->tls_certificate_file);
		g_free(s->tls_key_file);
		s->tls_key_file = g_strdup(old->tls_key_file);
		g_set_object(&s->tls_certificate, old->tls_certificate);
	}
	/* keys that only apply at start-up keep their running values */
	s->port = old->port;
	g_free(s->listen);
	s->listen = g_strdup(old->listen);
	g_free(s->redis_url);
	s->redis_url = g_strdup(old->redis_url);
	g_free(s->redis_cluster);
	s->redis_cluster = g_strdup(old->redis_cluster);
	g_free(s->channel);
	s->channel = g_strdup(old->channel);
	s->fanout = old->fanout;
	s->dbus_bus = old->dbus_bus;
	g_free(s->dbus_name);
	s->dbus_name = g_strdup(old->dbus_name);
	g_free(s->node_id);
	s->node_id = g_strdup(old->node_id);
	g_free(s->redis_tls_ca_file);
	s->redis_tls_ca_file = g_strdup(old->redis_tls_ca_file);
	g_free(s->redis_tls_cert_file);
	s->redis_tls_cert_file = g_strdup(old->redis_tls_cert_file);
	g_free(s->redis_tls_key_file);
	s->redis_tls_key_file = g_strdup(old->redis_tls_key_file);
	g_strfreev(s->plugin_dirs);
	s->plugin_dirs = g_strdupv(old->plugin_dirs);
	g_strfreev(s->plugins_enabled);
	s->plugins_enabled = g_strdupv(old->plugins_enabled);
	s->reuse_port = old->reuse_port;

	rc_settings_free(old);
	self->settings = s;
	g_key_file_unref(self->keyfile);
	self->keyfile = g_steal_pointer(&kf);
	rc_config_warn_unknown(self);
	return TRUE;
}

GTlsCertificate *
rc_config_get_tls_certificate(RcConfig *self)
{
	return self->settings->tls_certificate;
}

const gchar *
rc_config_get_tls_certificate_file(RcConfig *self)
{
	return self->settings->tls_certificate_file;
}

gboolean
rc_config_get_show_version(RcConfig *self)
{
	return self->overrides.version;
}

GKeyFile *
rc_config_get_keyfile(RcConfig *self)
{
	return self->keyfile;
}

const gchar *
rc_config_get_path(RcConfig *self)
{
	return self->path;
}

guint
rc_config_get_port(RcConfig *self)
{
	return self->settings->port;
}

const gchar *
rc_config_get_listen(RcConfig *self)
{
	return self->settings->listen;
}

gboolean
rc_config_get_reuse_port(RcConfig *self)
{
	return self->settings->reuse_port;
}

const gchar *
rc_config_get_redis_url(RcConfig *self)
{
	return self->settings->redis_url;
}

const gchar *
rc_config_get_redis_cluster(RcConfig *self)
{
	return self->settings->redis_cluster;
}

const gchar *
rc_config_get_redis_password(RcConfig *self)
{
	return self->settings->redis_password;
}

const gchar *
rc_config_get_redis_tls_ca_file(RcConfig *self)
{
	return self->settings->redis_tls_ca_file;
}

const gchar *
rc_config_get_redis_tls_cert_file(RcConfig *self)
{
	return self->settings->redis_tls_cert_file;
}

const gchar *
rc_config_get_redis_tls_key_file(RcConfig *self)
{
	return self->settings->redis_tls_key_file;
}

const gchar *
rc_config_get_node_id(RcConfig *self)
{
	return self->settings->node_id;
}

RcDbusBus
rc_config_get_dbus_bus(RcConfig *self)
{
	return self->settings->dbus_bus;
}

const gchar *
rc_config_get_dbus_name(RcConfig *self)
{
	return self->settings->dbus_name;
}

const gchar *const *
rc_config_get_plugin_dirs(RcConfig *self)
{
	return (const gchar *const *)self->settings->plugin_dirs;
}

const gchar *const *
rc_config_get_plugins_enabled(RcConfig *self)
{
	return (const gchar *const *)self->settings->plugins_enabled;
}

const gchar *
rc_config_get_channel(RcConfig *self)
{
	return self->settings->channel;
}

RcFanout
rc_config_get_fanout(RcConfig *self)
{
	return self->settings->fanout;
}

gsize
rc_config_get_max_text_bytes(RcConfig *self)
{
	return self->settings->max_text_bytes;
}

gsize
rc_config_get_max_frame_bytes(RcConfig *self)
{
	return self->settings->max_frame_bytes;
}

gsize
rc_config_get_max_queue_bytes(RcConfig *self)
{
	return self->settings->max_queue_bytes;
}

gsize
rc_config_get_max_rooms_per_client(RcConfig *self)
{
	return self->settings->max_rooms_per_client;
}

const gchar *
rc_config_get_api_token(RcConfig *self)
{
	return self->settings->api_token;
}

const gchar *const *
rc_config_get_allowed_origins(RcConfig *self)
{
	return (const gchar *const *)self->settings->allowed_origins;
}

const gchar *const *
rc_config_get_allowed_hosts(RcConfig *self)
{
	return (const gchar *const *)self->settings->allowed_hosts;
}

guint
rc_config_get_idle_timeout(RcConfig *self)
{
	return self->settings->idle_timeout;
}

guint
rc_config_get_drain_seconds(RcConfig *self)
{
	return self->settings->drain_seconds;
}

guint
rc_config_get_redis_timeout(RcConfig *self)
{
	return self->settings->redis_timeout;
}

guint
rc_config_get_history_size(RcConfig *self)
{
	return self->settings->history_size;
}

guint
rc_config_get_history_ttl(RcConfig *self)
{
	return self->settings->history_ttl;
}

guint
rc_config_get_presence_ttl(RcConfig *self)
{
	return self->settings->presence_ttl;
}

guint
rc_config_get_sio_ping_interval(RcConfig *self)
{
	return self->settings->sio_ping_interval;
}

guint
rc_config_get_sio_ping_timeout(RcConfig *self)
{
	return self->settings->sio_ping_timeout;
}

static void
rc_config_finalize(GObject *object)
{
	RcConfig *self = RC_CONFIG(object);
	RcOverrides *o = &self->overrides;
	g_clear_pointer(&self->settings, rc_settings_free);
	g_clear_pointer(&self->keyfile, g_key_file_unref);
	g_free(self->path);
	g_free(o->listen);
	g_free(o->redis_url);
	g_free(o->redis_cluster);
	g_free(o->node_id);
	g_free(o->bus);
	g_free(o->dbus_name);
	g_free(o->plugin_dir);
	g_free(o->config);
	G_OBJECT_CLASS(rc_config_parent_class)->finalize(object);
}

static void
rc_config_class_init(RcConfigClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = rc_config_finalize;
}

static void
rc_config_init(RcConfig *self)
{
	g_autoptr(GError) error = NULL;
	self->overrides.port = -1;
	self->path = g_build_filename(RC_SYSCONFDIR, "roomcast", "roomcast.conf", NULL);
	self->keyfile = g_key_file_new();
	self->settings = rc_config_build(self, self->keyfile, &error);
	g_assert_no_error(error);
}

RcConfig *
rc_config_new(void)
{
	return g_object_new(RC_TYPE_CONFIG, NULL);
}
