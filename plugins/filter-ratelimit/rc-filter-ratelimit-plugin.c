/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcPluginFilterRatelimit"

#include "config.h"

#include <glib/gi18n.h>

#include "rc-filter-ratelimit-plugin.h"

#define RC_RATELIMIT_DEFAULT_RATE 10.0
#define RC_RATELIMIT_DEFAULT_BURST 20

typedef struct {
	gdouble tokens;
	gint64 updated; /* g_get_monotonic_time() of the last refill */
} RcBucket;

struct _RcFilterRatelimitPlugin {
	RcPlugin parent_instance;
	gdouble rate;	     /* tokens added per second */
	gint burst;	     /* bucket size */
	GHashTable *buckets; /* connection id -> RcBucket */
};

G_DEFINE_TYPE(RcFilterRatelimitPlugin, rc_filter_ratelimit_plugin, RC_TYPE_PLUGIN)

RC_PLUGIN_DEFINE("filter-ratelimit", rc_filter_ratelimit_plugin_get_type)

static gboolean
rc_filter_ratelimit_plugin_startup(RcPlugin *plugin,
				   GKeyFile *keyfile,
				   const gchar *group,
				   GError **error)
{
	RcFilterRatelimitPlugin *self = RC_FILTER_RATELIMIT_PLUGIN(plugin);
	gdouble rate = RC_RATELIMIT_DEFAULT_RATE;
	gint64 burst = RC_RATELIMIT_DEFAULT_BURST;

	if (g_key_file_has_key(keyfile, group, "rate", NULL)) {
		g_autoptr(GError) local = NULL;

		rate = g_key_file_get_double(keyfile, group, "rate", &local);
		/* also refuses nan and inf, which the comparisons let through otherwise */
		if (local != NULL || !(rate > 0.0 && rate <= 1e6)) {
			g_set_error(error,
				    RC_PLUGIN_ERROR,
				    RC_PLUGIN_ERROR_FAILED,
				    _("“rate” in [%s] must be a number of messages per second "
				      "above 0"),
				    group);
			return FALSE;
		}
	}
	if (g_key_file_has_key(keyfile, group, "burst", NULL)) {
		g_autoptr(GError) local = NULL;

		burst = g_key_file_get_int64(keyfile, group, "burst", &local);
		if (local != NULL || burst < 1 || burst > 1000000) {
			g_set_error(error,
				    RC_PLUGIN_ERROR,
				    RC_PLUGIN_ERROR_FAILED,
				    _("“burst” in [%s] must be a whole number of messages, 1 or "
				      "more"),
				    group);
			return FALSE;
		}
	}
	self->rate = rate;
	self->burst = (gint)burst;
	return TRUE;
}

static gboolean
rc_filter_ratelimit_plugin_filter(RcPlugin *plugin, RcFilterMessage *message, GError **error)
{
	RcFilterRatelimitPlugin *self = RC_FILTER_RATELIMIT_PLUGIN(plugin);
	const gchar *connection_id = rc_filter_message_get_connection_id(message);
	gint64 now = g_get_monotonic_time();
	RcBucket *bucket;

	/* HTTP and D-Bus publishers are trusted callers, guarded elsewhere */
	if (rc_filter_message_get_source(message) != RC_PLUGIN_SOURCE_WEBSOCKET ||
	    connection_id == NULL)
		return TRUE;

	bucket = g_hash_table_lookup(self->buckets, connection_id);
	if (bucket == NULL) {
		bucket = g_new0(RcBucket, 1);
		bucket->tokens = self->burst;
		bucket->updated = now;
		g_hash_table_insert(self->buckets, g_strdup(connection_id), bucket);
	}
	bucket->tokens += (gdouble)(now - bucket->updated) / G_USEC_PER_SEC * self->rate;
	bucket->tokens = MIN(bucket->tokens, (gdouble)self->burst);
	bucket->updated = now;
	if (bucket->tokens < 1.0) {
		g_set_error(error,
			    RC_PLUGIN_ERROR,
			    RC_PLUGIN_ERROR_RATE_LIMITED,
			    _("too many messages: at most %g per second (bursts of %d)"),
			    self->rate,
			    self->burst);
		return FALSE;
	}
	bucket->tokens -= 1.0;
	return TRUE;
}

static void
rc_filter_ratelimit_plugin_connection_closed(RcPlugin *plugin, const gchar *connection_id)
{
	RcFilterRatelimitPlugin *self = RC_FILTER_RATELIMIT_PLUGIN(plugin);

	g_hash_table_remove(self->buckets, connection_id);
}

static void
rc_filter_ratelimit_plugin_finalize(GObject *object)
{
	RcFilterRatelimitPlugin *self = RC_FILTER_RATELIMIT_PLUGIN(object);

	g_hash_table_unref(self->buckets);
	G_OBJECT_CLASS(rc_filter_ratelimit_plugin_parent_class)->finalize(object);
}

/* what startup reads: roomcastd names any other key of the group */
static const gchar *const rc_filter_ratelimit_settings[] = {"rate", "burst", NULL};

static void
rc_filter_ratelimit_plugin_class_init(RcFilterRatelimitPluginClass *klass)
{
	RcPluginClass *plugin_class = RC_PLUGIN_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = rc_filter_ratelimit_plugin_finalize;
	plugin_class->startup = rc_filter_ratelimit_plugin_startup;
	plugin_class->filter = rc_filter_ratelimit_plugin_filter;
	plugin_class->connection_closed = rc_filter_ratelimit_plugin_connection_closed;
	plugin_class->settings = rc_filter_ratelimit_settings;
}

static void
rc_filter_ratelimit_plugin_init(RcFilterRatelimitPlugin *self)
{
	self->rate = RC_RATELIMIT_DEFAULT_RATE;
	self->burst = RC_RATELIMIT_DEFAULT_BURST;
	self->buckets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}
