/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define RC_TYPE_CONFIG (rc_config_get_type())
G_DECLARE_FINAL_TYPE(RcConfig, rc_config, RC, CONFIG, GObject)

typedef enum {
	RC_FANOUT_SINGLE,
	RC_FANOUT_PER_ROOM,
} RcFanout;

typedef enum {
	RC_DBUS_BUS_NONE,
	RC_DBUS_BUS_SESSION,
	RC_DBUS_BUS_SYSTEM,
} RcDbusBus;

RcConfig *rc_config_new(void);
/* Parses the command line, then the config file; a flag wins over its key.
 * Errors are G_OPTION_ERROR or G_KEY_FILE_ERROR with a one-line message. */
gboolean rc_config_parse_args(RcConfig *self, gint *argc, gchar ***argv, GError **error);
/* Loads only the file (tests, and --config without other flags). */
gboolean rc_config_load_file(RcConfig *self, const gchar *path, GError **error);
/* Reads and checks the file without applying it (transfer full) */
GKeyFile *rc_config_check_file(RcConfig *self, GError **error);
/* Applies a checked file; on error nothing changes. Sets @restart_needed when a
 * key that only applies at start-up changed. */
gboolean rc_config_apply(RcConfig *self, GKeyFile *keyfile, gboolean *restart_needed, GError **error);
gboolean rc_config_get_show_version(RcConfig *self);
/* --check-config was given */
gboolean rc_config_get_check_config(RcConfig *self);
/* Reads the file and the flags and lists every problem, one line each (unknown
 * groups and keys with a near miss named, bad values, bad combinations); when the
 * list is empty the settings are applied, as rc_config_load_file() would. */
GPtrArray *rc_config_check(RcConfig *self);

GKeyFile *rc_config_get_keyfile(RcConfig *self);
const gchar *rc_config_get_path(RcConfig *self);
/* where the Redis address came from, to name it in an error: "--redis-cluster",
 * "--redis", "[redis] cluster" or "[redis] url" */
const gchar *rc_config_get_redis_origin(RcConfig *self);
/* one line per key of @group in the file that is not one of @known, as
 * --check-config words it (for the groups plugins read) */
void rc_config_list_unknown_keys(RcConfig *self,
				 const gchar *group,
				 const gchar *const *known,
				 GPtrArray *problems);
guint rc_config_get_port(RcConfig *self);
const gchar *rc_config_get_listen(RcConfig *self);
gboolean rc_config_get_reuse_port(RcConfig *self);
/* NULL: embedded single-node mode, unless a cluster is set */
const gchar *rc_config_get_redis_url(RcConfig *self);
/* the seed list of a Redis Cluster (','-separated), or NULL */
const gchar *rc_config_get_redis_cluster(RcConfig *self);
/* the password read from [redis] password_file (at start and on each reload),
 * which replaces one in the URLs; NULL when the key is not set */
const gchar *rc_config_get_redis_password(RcConfig *self);
/* [redis] tls_ca_file, tls_cert_file, tls_key_file (checked to load), or NULL */
const gchar *rc_config_get_redis_tls_ca_file(RcConfig *self);
const gchar *rc_config_get_redis_tls_cert_file(RcConfig *self);
const gchar *rc_config_get_redis_tls_key_file(RcConfig *self);
/* NULL when not set: the daemon derives one from the hostname and port */
const gchar *rc_config_get_node_id(RcConfig *self);
RcDbusBus rc_config_get_dbus_bus(RcConfig *self);
const gchar *rc_config_get_dbus_name(RcConfig *self);
/* folders to look for plugins in, in order; the shipped folder is always last */
const gchar *const *rc_config_get_plugin_dirs(RcConfig *self);
const gchar *const *rc_config_get_plugins_enabled(RcConfig *self);
const gchar *rc_config_get_channel(RcConfig *self);
RcFanout rc_config_get_fanout(RcConfig *self);
gsize rc_config_get_max_text_bytes(RcConfig *self);
gsize rc_config_get_max_frame_bytes(RcConfig *self);
gsize rc_config_get_max_queue_bytes(RcConfig *self);
gsize rc_config_get_max_rooms_per_client(RcConfig *self);
/* NULL when /publish is open */
const gchar *rc_config_get_api_token(RcConfig *self);
/* NULL when only same-origin browsers may connect; contains "*" for any */
const gchar *const *rc_config_get_allowed_origins(RcConfig *self);
/* Host names a node bound to loopback answers besides loopback ones; NULL for none */
const gchar *const *rc_config_get_allowed_hosts(RcConfig *self);
/* seconds an HTTP connection may take to send a complete request */
guint rc_config_get_idle_timeout(RcConfig *self);
/* [server] tls_certificate and tls_key, loaded; NULL for plain HTTP */
GTlsCertificate *rc_config_get_tls_certificate(RcConfig *self);
const gchar *rc_config_get_tls_certificate_file(RcConfig *self);
/* seconds SIGTERM spends closing clients with 1012 before the node stops; 0: at once */
guint rc_config_get_drain_seconds(RcConfig *self);
/* seconds Redis may take to answer a command before it counts as down */
guint rc_config_get_redis_timeout(RcConfig *self);
/* messages kept per room, 0 for none (offsets are still given) */
guint rc_config_get_history_size(RcConfig *self);
/* seconds a room's history lives after its last message */
guint rc_config_get_history_ttl(RcConfig *self);
/* seconds a dead node's members stay listed */
guint rc_config_get_presence_ttl(RcConfig *self);
/* milliseconds between the server's Engine.IO pings, and for the answer to one */
guint rc_config_get_sio_ping_interval(RcConfig *self);
guint rc_config_get_sio_ping_timeout(RcConfig *self);


G_END_DECLS
