/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * roomcastctl: administers a running roomcastd over its D-Bus API.
 */
#define G_LOG_DOMAIN "RcCtl"

#include "config.h"

#include <locale.h>
#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "dbus/rc-dbus-generated.h"

#define RC_CTL_PATH "/org/roomcast"
#define RC_CTL_INTERFACE "org.roomcast.Daemon"
#define RC_CTL_TIMEOUT_MS 10000

/* exit codes, documented in roomcastctl(1) */
enum {
	RC_CTL_EXIT_OK = 0,
	RC_CTL_EXIT_USAGE = 1,
	RC_CTL_EXIT_DBUS = 2,
};

typedef struct {
	RcDbusDaemon *proxy;
	gboolean json;
	guint limit;
} RcCtl;

typedef gboolean (*RcCtlFunc)(RcCtl *ctl, gchar **args, GError **error);

typedef struct {
	const gchar *name;
	const gchar *args;    /* untranslated on purpose: they stand for literal values */
	const gchar *summary; /* N_() */
	guint min_args;
	guint max_args;
	RcCtlFunc func;
} RcCtlCommand;

/* ---- output helpers -------------------------------------------------------------- */

/* takes @node */
static void
rc_ctl_print_json(JsonNode *node)
{
	g_autoptr(JsonNode) owned G_GNUC_UNUSED = node;
	g_autoptr(JsonGenerator) generator = json_generator_new();
	g_autofree gchar *text = NULL;

	json_generator_set_root(generator, node);
	json_generator_set_pretty(generator, TRUE);
	text = json_generator_to_data(generator, NULL);
	g_print("%s\n", text);
}

/* pads by characters, not bytes, so translated headers line up */
static void
rc_ctl_print_cell(const gchar *text, glong width, gboolean last)
{
	glong len = g_utf8_strlen(text, -1);

	g_print("%s", text);
	if (last) {
		g_print("\n");
		return;
	}
	for (glong i = len; i < width + 2; i++)
		g_print(" ");
}

/* @rows: (element-type GStrv) with @n_columns cells each; columns as wide as their
 * widest cell */
static void
rc_ctl_print_rows(GPtrArray *rows, guint n_columns)
{
	g_autofree glong *widths = g_new0(glong, n_columns);

	for (guint r = 0; r < rows->len; r++) {
		gchar **row = g_ptr_array_index(rows, r);
		for (guint c = 0; c < n_columns; c++)
			widths[c] = MAX(widths[c], g_utf8_strlen(row[c], -1));
	}
	for (guint r = 0; r < rows->len; r++) {
		gchar **row = g_ptr_array_index(rows, r);
		for (guint c = 0; c < n_columns; c++)
			rc_ctl_print_cell(row[c], widths[c], c + 1 == n_columns);
	}
}

static void
rc_ctl_print_table(const gchar *const *headers, guint n_columns, GPtrArray *rows)
{
	gchar **header = g_new0(gchar *, n_columns + 1);

	for (guint c = 0; c < n_columns; c++)
		header[c] = g_strdup(headers[c]);
	g_ptr_array_insert(rows, 0, header);
	rc_ctl_print_rows(rows, n_columns);
}

/* "Label:  value" lines, for a GPtrArray of GStrv made with g_strfreev */
static void
rc_ctl_fields_add(GPtrArray *fields, const gchar *label, const gchar *value)
{
	gchar **row = g_new0(gchar *, 3);
	row[0] = g_strdup_printf(_("%s:"), label);
	row[1] = g_strdup(value);
	g_ptr_array_add(fields, row);
}

static void
rc_ctl_fields_add_uint(GPtrArray *fields, const gchar *label, guint64 value)
{
	g_autofree gchar *s = g_strdup_printf("%" G_GUINT64_FORMAT, value);
	rc_ctl_fields_add(fields, label, s);
}

/* strings print bare, everything else in GVariant text form */
static gchar *
rc_ctl_variant_to_string(GVariant *value)
{
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING))
		return g_variant_dup_string(value, NULL);
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING_ARRAY)) {
		g_autofree const gchar **strv = g_variant_get_strv(value, NULL);
		if (strv[0] == NULL)
			return g_strdup(_("(none)"));
		return g_strjoinv(", ", (gchar **)strv);
	}
	return g_variant_print(value, FALSE);
}

static void
rc_ctl_print_empty_json(RcCtl *ctl)
{
	if (ctl->json)
		g_print("{}\n");
}

/* ---- commands -------------------------------------------------------------------- */

static gboolean
rc_ctl_status(RcCtl *ctl, gchar **args, GError **error)
{
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) props = NULL;
	g_autoptr(GVariant) plugins = NULL;
	const gchar *version = "", *node = "", *redis_error = "";
	guint32 connections = 0, rooms = 0;
	guint64 received = 0, delivered = 0;
	gboolean redis = FALSE;
	g_autofree gchar *plugins_str = NULL;
	g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);

	/* one GetAll round trip also tells us whether the daemon is there at all */
	reply = g_dbus_proxy_call_sync(G_DBUS_PROXY(ctl->proxy),
				       "org.freedesktop.DBus.Properties.GetAll",
				       g_variant_new("(s)", RC_CTL_INTERFACE),
				       G_DBUS_CALL_FLAGS_NONE,
				       RC_CTL_TIMEOUT_MS,
				       NULL,
				       error);
	if (reply == NULL)
		return FALSE;
	props = g_variant_get_child_value(reply, 0);
	if (ctl->json) {
		rc_ctl_print_json(json_gvariant_serialize(props));
		return TRUE;
	}
	g_variant_lookup(props, "Version", "&s", &version);
	g_variant_lookup(props, "NodeId", "&s", &node);
	g_variant_lookup(props, "Connections", "u", &connections);
	g_variant_lookup(props, "Rooms", "u", &rooms);
	g_variant_lookup(props, "RedisConnected", "b", &redis);
	g_variant_lookup(props, "RedisError", "&s", &redis_error);
	g_variant_lookup(props, "MessagesReceived", "t", &received);
	g_variant_lookup(props, "MessagesDelivered", "t", &delivered);
	plugins = g_variant_lookup_value(props, "Plugins", G_VARIANT_TYPE_STRING_ARRAY);
	plugins_str = plugins != NULL ? rc_ctl_variant_to_string(plugins) : g_strdup(_("(none)"));

	rc_ctl_fields_add(fields, _("Version"), version);
	rc_ctl_fields_add(fields, _("Node"), node);
	rc_ctl_fields_add_uint(fields, _("Connections"), connections);
	rc_ctl_fields_add_uint(fields, _("Rooms"), rooms);
	/* the API cannot tell embedded mode from a Redis outage, so neither do we */
	rc_ctl_fields_add(fields, _("Redis"), redis ? _("connected") : _("not connected"));
	if (redis_error[0] != '\0')
		rc_ctl_fields_add(fields, _("Redis error"), redis_error);
	rc_ctl_fields_add_uint(fields, _("Messages received"), received);
	rc_ctl_fields_add_uint(fields, _("Messages delivered"), delivered);
	rc_ctl_fields_add(fields, _("Plugins"), plugins_str);
	rc_ctl_print_rows(fields, 2);
	return TRUE;
}

static gboolean
rc_ctl_rooms(RcCtl *ctl, gchar **args, GError **error)
{
	g_autoptr(GVariant) rooms = NULL;
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	g_autoptr(JsonBuilder) builder = json_builder_new();
	const gchar *headers[] = {_("NAMESPACE"), _("ROOM"), _("MEMBERS")};
	GVariantIter iter;
	const gchar *ns, *code;
	guint32 members;

	if (!rc_dbus_daemon_call_list_rooms_sync(ctl->proxy, &rooms, NULL, error))
		return FALSE;
	json_builder_begin_array(builder);
	g_variant_iter_init(&iter, rooms);
	while (g_variant_iter_next(&iter, "(&s&su)", &ns, &code, &members)) {
		gchar **row = g_new0(gchar *, 4);
		row[0] = g_strdup(ns);
		row[1] = g_strdup(code);
		row[2] = g_strdup_printf("%u", members);
		g_ptr_array_add(rows, row);

		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "namespace");
		json_builder_add_string_value(builder, ns);
		json_builder_set_member_name(builder, "roomCode");
		json_builder_add_string_value(builder, code);
		json_builder_set_member_name(builder, "members");
		json_builder_add_int_value(builder, members);
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
	if (ctl->json)
		rc_ctl_print_json(json_builder_get_root(builder));
	else if (rows->len == 0)
		g_print("%s\n", _("No rooms on this node."));
	else
		rc_ctl_print_table(headers, G_N_ELEMENTS(headers), rows);
	return TRUE;
}

static const gchar *
rc_ctl_stat_label(const gchar *key)
{
	if (g_strcmp0(key, "namespace") == 0)
		return _("Namespace");
	if (g_strcmp0(key, "roomCode") == 0)
		return _("Room");
	if (g_strcmp0(key, "members") == 0)
		return _("Members");
	if (g_strcmp0(key, "messages") == 0)
		return _("Messages");
	if (g_strcmp0(key, "node") == 0)
		return _("Node");
	if (g_strcmp0(key, "epoch") == 0)
		return _("Epoch");
	if (g_strcmp0(key, "offset") == 0)
		return _("Offset");
	return key;
}

static gboolean
rc_ctl_room(RcCtl *ctl, gchar **args, GError **error)
{
	g_autoptr(GVariant) stats = NULL;
	/* a stable order for people; the daemon may add keys, they show up too */
	const gchar *order[] = {
	    "namespace", "roomCode", "members", "messages", "node", "epoch", "offset", NULL};
	g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	GVariantIter iter;
	const gchar *key;
	GVariant *value;

	if (!rc_dbus_daemon_call_get_room_stats_sync(
		ctl->proxy, args[0], args[1], &stats, NULL, error))
		return FALSE;
	if (ctl->json) {
		rc_ctl_print_json(json_gvariant_serialize(stats));
		return TRUE;
	}
	for (guint i = 0; order[i] != NULL; i++) {
		g_autoptr(GVariant) v = g_variant_lookup_value(stats, order[i], NULL);
		g_autofree gchar *s = NULL;
		if (v == NULL)
			continue;
		s = rc_ctl_variant_to_string(v);
		rc_ctl_fields_add(fields, rc_ctl_stat_label(order[i]), s);
	}
	g_variant_iter_init(&iter, stats);
	while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
		g_autoptr(GVariant) owned G_GNUC_UNUSED = value;
		g_autofree gchar *s = NULL;
		if (g_strv_contains(order, key))
			continue;
		s = rc_ctl_variant_to_string(value);
		rc_ctl_fields_add(fields, key, s);
	}
	rc_ctl_print_rows(fields, 2);
	return TRUE;
}

/* prints (id, sender, third) rows: a room's clients here or its members everywhere */
static void
rc_ctl_print_people(RcCtl *ctl,
		    GVariant *people,
		    const gchar *id_key,
		    const gchar *third_header,
		    const gchar *third_key,
		    const gchar *none)
{
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	g_autoptr(JsonBuilder) builder = json_builder_new();
	const gchar *headers[] = {_("CLIENT"), _("SENDER"), third_header};
	GVariantIter iter;
	const gchar *id, *sender, *third;

	json_builder_begin_array(builder);
	g_variant_iter_init(&iter, people);
	while (g_variant_iter_next(&iter, "(&s&s&s)", &id, &sender, &third)) {
		const gchar *cells[] = {id, sender, third, NULL};
		g_ptr_array_add(rows, g_strdupv((gchar **)cells));

		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, id_key);
		json_builder_add_string_value(builder, id);
		json_builder_set_member_name(builder, "sender");
		json_builder_add_string_value(builder, sender);
		json_builder_set_member_name(builder, third_key);
		json_builder_add_string_value(builder, third);
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
	if (ctl->json)
		rc_ctl_print_json(json_builder_get_root(builder));
	else if (rows->len == 0)
		g_print("%s\n", none);
	else
		rc_ctl_print_table(headers, G_N_ELEMENTS(headers), rows);
}

static gboolean
rc_ctl_clients(RcCtl *ctl, gchar **args, GError **error)
{
	g_autoptr(GVariant) clients = NULL;

	if (!rc_dbus_daemon_call_list_clients_sync(
		ctl->proxy, args[0], args[1], &clients, NULL, error))
		return FALSE;
	rc_ctl_print_people(ctl, clients, "id", _("PEER"), "peer", _("No clients in this room."));
	return TRUE;
}

static gboolean
rc_ctl_members(RcCtl *ctl, gchar **args, GError **error)
{
	g_autoptr(GVariant) members = NULL;

	if (!rc_dbus_daemon_call_list_members_sync(
		ctl->proxy, args[0], args[1], &members, NULL, error))
		return FALSE;
	rc_ctl_print_people(ctl,
			    members,
			    "client",
			    _("NODE"),
			    "node",
			    _("Nobody is in this room on any node."));
	return TRUE;
}

static gboolean
rc_ctl_kick(RcCtl *ctl, gchar **args, GError **error)
{
	/* sent to the client in its close frame: a protocol string, not translated */
	const gchar *reason = args[1] != NULL ? args[1] : "kicked by an administrator";

	if (!rc_dbus_daemon_call_kick_client_sync(ctl->proxy, args[0], reason, NULL, error))
		return FALSE;
	rc_ctl_print_empty_json(ctl);
	return TRUE;
}

static gboolean
rc_ctl_close_room(RcCtl *ctl, gchar **args, GError **error)
{
	const gchar *reason = args[2] != NULL ? args[2] : "closed by an administrator";
	guint removed = 0;

	if (!rc_dbus_daemon_call_close_room_sync(
		ctl->proxy, args[0], args[1], reason, &removed, NULL, error))
		return FALSE;
	if (ctl->json) {
		g_autoptr(JsonBuilder) builder = json_builder_new();
		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "removed");
		json_builder_add_int_value(builder, removed);
		json_builder_end_object(builder);
		rc_ctl_print_json(json_builder_get_root(builder));
	} else {
		g_print(ngettext("%u client removed\n", "%u clients removed\n", removed), removed);
	}
	return TRUE;
}

static gboolean
rc_ctl_publish(RcCtl *ctl, gchar **args, GError **error)
{
	g_autofree gchar *id = NULL;

	if (!rc_dbus_daemon_call_publish_sync(
		ctl->proxy, args[0], args[1], args[2], args[3], &id, NULL, error))
		return FALSE;
	if (ctl->json) {
		g_autoptr(JsonBuilder) builder = json_builder_new();
		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "id");
		json_builder_add_string_value(builder, id);
		json_builder_end_object(builder);
		rc_ctl_print_json(json_builder_get_root(builder));
	} else {
		g_print("%s\n", id);
	}
	return TRUE;
}

static gboolean
rc_ctl_history(RcCtl *ctl, gchar **args, GError **error)
{
	g_autofree gchar *epoch = NULL;
	g_autoptr(GVariant) messages = NULL;
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	g_autoptr(JsonBuilder) builder = json_builder_new();
	const gchar *headers[] = {_("OFFSET"), _("TIME"), _("SENDER"), _("TEXT")};
	guint64 top = 0, offset = 0;
	gint64 ts = 0;
	const gchar *id, *sender, *text;
	GVariantIter iter;

	if (!rc_dbus_daemon_call_get_history_sync(ctl->proxy,
						  args[0],
						  args[1],
						  ctl->limit,
						  &epoch,
						  &top,
						  &messages,
						  NULL,
						  error))
		return FALSE;
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "epoch");
	json_builder_add_string_value(builder, epoch);
	json_builder_set_member_name(builder, "offset");
	json_builder_add_int_value(builder, (gint64)top);
	json_builder_set_member_name(builder, "messages");
	json_builder_begin_array(builder);
	g_variant_iter_init(&iter, messages);
	while (g_variant_iter_next(&iter, "(t&sx&s&s)", &offset, &id, &ts, &sender, &text)) {
		g_autoptr(GDateTime) when = g_date_time_new_from_unix_local(ts / 1000);
		g_autofree gchar *offset_s = g_strdup_printf("%" G_GUINT64_FORMAT, offset);
		g_autofree gchar *when_s =
		    when != NULL ? g_date_time_format(when, "%F %T") : g_strdup("?");
		const gchar *cells[] = {offset_s, when_s, sender, text, NULL};
		g_ptr_array_add(rows, g_strdupv((gchar **)cells));

		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "offset");
		json_builder_add_int_value(builder, (gint64)offset);
		json_builder_set_member_name(builder, "id");
		json_builder_add_string_value(builder, id);
		json_builder_set_member_name(builder, "ts");
		json_builder_add_int_value(builder, ts);
		json_builder_set_member_name(builder, "sender");
		json_builder_add_string_value(builder, sender);
		json_builder_set_member_name(builder, "text");
		json_builder_add_string_value(builder, text);
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
	json_builder_end_object(builder);
	if (ctl->json) {
		rc_ctl_print_json(json_builder_get_root(builder));
		return TRUE;
	}
	if (rows->len == 0) {
		g_print(_("No messages in that room’s history.\n"));
		return TRUE;
	}
	rc_ctl_print_table(headers, G_N_ELEMENTS(headers), rows);
	return TRUE;
}

static gboolean
rc_ctl_reload(RcCtl *ctl, gchar **args, GError **error)
{
	if (!rc_dbus_daemon_call_reload_config_sync(ctl->proxy, NULL, error))
		return FALSE;
	rc_ctl_print_empty_json(ctl);
	return TRUE;
}

static const RcCtlCommand rc_ctl_commands[] = {
    {"status",
     "",
     N_("Show version, node, counters, Redis state and plugins"),
     0,
     0,
     rc_ctl_status},
    {"rooms", "", N_("List the rooms that have members on this node"), 0, 0, rc_ctl_rooms},
    {"room", "NS ROOM", N_("Show one room’s statistics"), 2, 2, rc_ctl_room},
    {"clients", "NS ROOM", N_("List the clients in a room on this node"), 2, 2, rc_ctl_clients},
    {"members",
     "NS ROOM",
     N_("List everyone in a room, on every node"),
     2,
     2,
     rc_ctl_members},
    {"kick",
     "CLIENT [REASON]",
     N_("Disconnect a client (WebSocket close code 1008)"),
     1,
     2,
     rc_ctl_kick},
    {"close-room",
     "NS ROOM [REASON]",
     N_("Remove every client from a room"),
     2,
     3,
     rc_ctl_close_room},
    {"history",
     "NS ROOM",
     N_("Show a room’s latest messages (--limit N, default 50)"),
     2,
     2,
     rc_ctl_history},
    {"publish",
     "NS ROOM SENDER TEXT",
     N_("Send a message to a room; prints its id"),
     4,
     4,
     rc_ctl_publish},
    {"reload", "", N_("Re-read the configuration file"), 0, 0, rc_ctl_reload},
};

static gchar *
rc_ctl_commands_summary(void)
{
	g_autoptr(GString) s = g_string_new(_("Commands:"));

	for (guint i = 0; i < G_N_ELEMENTS(rc_ctl_commands); i++) {
		const RcCtlCommand *cmd = &rc_ctl_commands[i];
		g_autofree gchar *usage = g_strdup_printf("%s %s", cmd->name, cmd->args);
		g_string_append_printf(s, "\n  %-28s %s", usage, _(cmd->summary));
	}
	return g_string_free(g_steal_pointer(&s), FALSE);
}

static void
rc_ctl_setup_locale(void)
{
	const gchar *localedir = g_getenv("ROOMCAST_LOCALEDIR");
	const gchar *current = setlocale(LC_ALL, "");
	const gchar *language = g_getenv("LANGUAGE");

	/* gettext ignores LANGUAGE in the plain C locale; C.UTF-8 is that locale with UTF-8,
	 * so `LANGUAGE=de roomcastctl --help` works without LANG too */
	if ((current == NULL || g_strcmp0(current, "C") == 0 || g_strcmp0(current, "POSIX") == 0) &&
	    language != NULL && *language != '\0')
		setlocale(LC_ALL, "C.UTF-8");
	bindtextdomain(GETTEXT_PACKAGE, localedir != NULL ? localedir : RC_LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
}

static int
rc_ctl_usage_error(const gchar *message)
{
	g_printerr("roomcastctl: %s\n", message);
	g_printerr(_("Try “%s” for the list of commands.\n"), "roomcastctl --help");
	return RC_CTL_EXIT_USAGE;
}

/* @command and @args: what failed, to name the room or client in this user's words */
static int
rc_ctl_dbus_error(
    GError *error, const gchar *command, gchar **args, const gchar *dest, gboolean system_bus)
{
	const gchar *bus = system_bus ? _("system") : _("session");
	g_autofree gchar *remote = NULL;
	const struct {
		const gchar *name;
		const gchar *what;
	} kinds[] = {
	    {"org.roomcast.Error.InvalidArgs", N_("invalid argument")},
	    {"org.roomcast.Error.Unavailable", N_("not available right now")},
	    {"org.roomcast.Error.Failed", N_("refused")},
	};

	if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
	    g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER)) {
		g_dbus_error_strip_remote_error(error);
		g_printerr(_("roomcastctl: %s is not running on the %s bus: %s\n"),
			   dest,
			   bus,
			   error->message);
		return RC_CTL_EXIT_DBUS;
	}
	if (g_error_matches(error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED)) {
		/* the bus's own text is a dump of the matched policy rule */
		g_printerr(
		    _("roomcastctl: access denied by the D-Bus policy: on the system bus only "
		      "root may kick, close rooms, publish and reload\n"));
		return RC_CTL_EXIT_DBUS;
	}
	remote = g_dbus_error_get_remote_error(error);
	g_dbus_error_strip_remote_error(error);
	/* the daemon words its errors in its own locale (a service: usually C); the
	 * typed name says what happened in this user's language */
	if (g_strcmp0(remote, "org.roomcast.Error.NotFound") == 0) {
		if (g_strcmp0(command, "kick") == 0 && args[0] != NULL) {
			g_printerr("roomcastctl: ");
			g_printerr(_("no client “%s” on this node"), args[0]);
			g_printerr("\n");
			return RC_CTL_EXIT_DBUS;
		}
		if (args[0] != NULL && args[1] != NULL) {
			g_printerr("roomcastctl: ");
			g_printerr(
			    _("no room “%s” in namespace “%s” on this node"), args[1], args[0]);
			g_printerr("\n");
			return RC_CTL_EXIT_DBUS;
		}
	}
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		if (g_strcmp0(remote, kinds[i].name) == 0) {
			/* a message without arguments is a msgid of the same catalog */
			g_printerr("roomcastctl: %s: %s\n", _(kinds[i].what), _(error->message));
			return RC_CTL_EXIT_DBUS;
		}
	}
	g_printerr("roomcastctl: %s\n", error->message);
	return RC_CTL_EXIT_DBUS;
}

int
main(int argc, char **argv)
{
	gboolean opt_system = FALSE;
	gboolean opt_session = FALSE;
	gboolean opt_json = FALSE;
	gboolean opt_version = FALSE;
	gint opt_limit = 0;
	g_autofree gchar *opt_dest = NULL;
	const GOptionEntry entries[] = {
	    {"system",
	     0,
	     0,
	     G_OPTION_ARG_NONE,
	     &opt_system,
	     N_("Talk to roomcastd on the system bus"),
	     NULL},
	    {"session",
	     0,
	     0,
	     G_OPTION_ARG_NONE,
	     &opt_session,
	     N_("Talk to roomcastd on the session bus (the default)"),
	     NULL},
	    {"dest",
	     'd',
	     0,
	     G_OPTION_ARG_STRING,
	     &opt_dest,
	     N_("Bus name of the daemon (default org.roomcast)"),
	     N_("NAME")},
	    {"json",
	     'j',
	     0,
	     G_OPTION_ARG_NONE,
	     &opt_json,
	     N_("Print machine-readable JSON instead of tables"),
	     NULL},
	    {"limit",
	     'n',
	     0,
	     G_OPTION_ARG_INT,
	     &opt_limit,
	     N_("For history: how many messages (default 50)"),
	     N_("N")},
	    {"version",
	     'V',
	     0,
	     G_OPTION_ARG_NONE,
	     &opt_version,
	     N_("Show the version and exit"),
	     NULL},
	    {NULL},
	};
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(RcDbusDaemon) proxy = NULL;
	g_autofree gchar *summary = NULL;
	const RcCtlCommand *cmd = NULL;
	const gchar *dest;
	gchar **args;
	guint n_args;
	RcCtl ctl = {0};

	rc_ctl_setup_locale();

	context = g_option_context_new(_("COMMAND [ARGUMENT…] — administer roomcastd"));
	g_option_context_set_translation_domain(context, GETTEXT_PACKAGE);
	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
	summary = rc_ctl_commands_summary();
	g_option_context_set_summary(context, summary);
	g_option_context_set_description(
	    context,
	    _("roomcastctl talks to the session bus unless --system is given, like roomcastd,\n"
	      "whose default is --bus session. Exit status: 0 success, 1 usage error,\n"
	      "2 D-Bus error (for example an unknown room or client); the error is printed on\n"
	      "standard error. See roomcastctl(1)."));
	if (!g_option_context_parse(context, &argc, &argv, &error))
		return rc_ctl_usage_error(error->message);
	if (opt_version) {
		g_print("roomcastctl %s\n", PACKAGE_VERSION);
		return RC_CTL_EXIT_OK;
	}
	if (opt_system && opt_session)
		return rc_ctl_usage_error(_("--system and --session cannot be used together"));
	dest = opt_dest != NULL ? opt_dest : "org.roomcast";
	if (!g_dbus_is_name(dest)) {
		g_autofree gchar *msg = g_strdup_printf(_("invalid bus name “%s”"), dest);
		return rc_ctl_usage_error(msg);
	}

	/* GOption stops at "--" but leaves it in place: drop it, everything after it is an
	 * argument even when it starts with a dash */
	for (gint i = 1; i < argc; i++) {
		if (g_strcmp0(argv[i], "--") == 0) {
			memmove(&argv[i], &argv[i + 1], (argc - i) * sizeof(gchar *));
			argc--;
			break;
		}
	}
	args = argv + 1;
	n_args = argc - 1;
	if (n_args == 0)
		return rc_ctl_usage_error(_("no command given"));
	for (guint i = 0; i < G_N_ELEMENTS(rc_ctl_commands); i++) {
		if (g_strcmp0(rc_ctl_commands[i].name, args[0]) == 0)
			cmd = &rc_ctl_commands[i];
	}
	if (cmd == NULL) {
		g_autofree gchar *msg = g_strdup_printf(_("unknown command “%s”"), args[0]);
		return rc_ctl_usage_error(msg);
	}
	args++;
	n_args--;
	if (n_args < cmd->min_args || n_args > cmd->max_args) {
		g_autofree gchar *msg =
		    g_strdup_printf(_("usage: roomcastctl %s %s"), cmd->name, cmd->args);
		return rc_ctl_usage_error(msg);
	}
	if (opt_limit < 0)
		return rc_ctl_usage_error(_("--limit must be a positive number"));
	/* D-Bus strings are UTF-8: GVariant would put its own text in place of the
	 * bytes and send that, never saying so */
	for (guint i = 0; i < n_args; i++) {
		if (!g_utf8_validate(args[i], -1, NULL)) {
			g_autofree gchar *msg =
			    g_strdup_printf(_("argument %u is not valid UTF-8"), i + 1);
			return rc_ctl_usage_error(msg);
		}
	}

	/* no property loading: each command asks for exactly what it prints */
	proxy = rc_dbus_daemon_proxy_new_for_bus_sync(
	    opt_system ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION,
	    G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES | G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
	    dest,
	    RC_CTL_PATH,
	    NULL,
	    &error);
	if (proxy == NULL) {
		g_printerr(_("roomcastctl: cannot connect to the %s bus: %s\n"),
			   opt_system ? _("system") : _("session"),
			   error->message);
		return RC_CTL_EXIT_DBUS;
	}
	g_dbus_proxy_set_default_timeout(G_DBUS_PROXY(proxy), RC_CTL_TIMEOUT_MS);
	ctl.proxy = proxy;
	ctl.json = opt_json;
	ctl.limit = (guint)opt_limit;
	if (!cmd->func(&ctl, args, &error))
		return rc_ctl_dbus_error(error, cmd->name, args, dest, opt_system);
	return RC_CTL_EXIT_OK;
}
