/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcMetrics"

#include "config.h"

#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "rc-error.h"
#include "rc-metrics.h"

/* upper bounds of the delivery latency buckets, in µs, and as Prometheus writes them */
static const gint64 rc_latency_bounds_us[] = {
    500,
    1000,
    2500,
    5000,
    10000,
    25000,
    50000,
    100000,
    250000,
    500000,
    1000000,
    2500000,
};
static const gchar *const rc_latency_bounds_text[] = {
    "0.0005",
    "0.001",
    "0.0025",
    "0.005",
    "0.01",
    "0.025",
    "0.05",
    "0.1",
    "0.25",
    "0.5",
    "1",
    "2.5",
};
G_STATIC_ASSERT(G_N_ELEMENTS(rc_latency_bounds_us) == G_N_ELEMENTS(rc_latency_bounds_text));
#define RC_LATENCY_N_BUCKETS G_N_ELEMENTS(rc_latency_bounds_us)

/* refused upgrades: the statuses a node answers with are few */
#define RC_METRICS_MAX_STATUSES 16

typedef struct {
	guint status;
	guint64 count;
} RcStatusCount;

static struct {
	/* per bucket, not cumulative; the last one is +Inf */
	guint64 latency[RC_LATENCY_N_BUCKETS + 1];
	guint64 latency_count;
	gint64 latency_sum_us;
	GHashTable *errors; /* wire code (static) -> guint64 * */
	RcStatusCount refused[RC_METRICS_MAX_STATUSES];
	guint n_refused;
	GHashTable *rejections; /* "kind\nplugin" -> guint64 * */
	guint64 redis_reconnects;
} rc_metrics;

/* In one fan-out the deliveries follow each other by microseconds, and the
 * histogram's smallest bucket is 500 µs: the clock is read once every
 * RC_METRICS_CLOCK_REUSE deliveries there, not once for each (a clock read was
 * a tenth of a large room's delivery loop outside send()). */
#define RC_METRICS_CLOCK_REUSE 16

static struct {
	guint depth;
	guint uses;
	gint64 now;
	/* the last delivery's sample: the rest of its fan-out repeats it */
	gint64 last_now;
	gint64 last_accepted_at;
	gint64 last_us;
	guint last_bucket;
} rc_metrics_clock;

void
rc_metrics_fanout_begin(void)
{
	if (rc_metrics_clock.depth++ == 0)
		rc_metrics_clock.uses = RC_METRICS_CLOCK_REUSE;
}

void
rc_metrics_fanout_end(void)
{
	g_return_if_fail(rc_metrics_clock.depth > 0);
	rc_metrics_clock.depth--;
}

static gint64
rc_metrics_now(void)
{
	if (rc_metrics_clock.depth == 0)
		return g_get_monotonic_time();
	if (rc_metrics_clock.uses++ >= RC_METRICS_CLOCK_REUSE) {
		rc_metrics_clock.now = g_get_monotonic_time();
		rc_metrics_clock.uses = 1;
	}
	return rc_metrics_clock.now;
}

void
rc_metrics_observe_delivery(gint64 accepted_at)
{
	gint64 now;
	gint64 us;
	guint i;

	if (accepted_at == 0)
		return;
	now = rc_metrics_now();
	if (now == rc_metrics_clock.last_now && accepted_at == rc_metrics_clock.last_accepted_at) {
		us = rc_metrics_clock.last_us;
		i = rc_metrics_clock.last_bucket;
	} else {
		us = MAX(now - accepted_at, 0);
		for (i = 0; i < RC_LATENCY_N_BUCKETS && us > rc_latency_bounds_us[i]; i++)
			;
		rc_metrics_clock.last_now = now;
		rc_metrics_clock.last_accepted_at = accepted_at;
		rc_metrics_clock.last_us = us;
		rc_metrics_clock.last_bucket = i;
	}
	rc_metrics.latency[i]++;
	rc_metrics.latency_count++;
	rc_metrics.latency_sum_us += us;
}

static GHashTable *
rc_metrics_get_errors(void)
{
	if (rc_metrics.errors == NULL) {
		const gchar *const *codes = rc_error_get_wire_codes();
		rc_metrics.errors = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
		/* every code from the start, so a rate() sees the first one */
		for (guint i = 0; codes[i] != NULL; i++)
			g_hash_table_insert(
			    rc_metrics.errors, (gpointer)codes[i], g_new0(guint64, 1));
	}
	return rc_metrics.errors;
}

void
rc_metrics_count_error(const gchar *code)
{
	guint64 *count = g_hash_table_lookup(rc_metrics_get_errors(), code);
	/* the codes are rc-error.c's, so there is no other */
	g_return_if_fail(count != NULL);
	(*count)++;
}

static RcStatusCount *
rc_metrics_get_refused(guint status)
{
	/* the usual ones from the start */
	if (rc_metrics.n_refused == 0) {
		rc_metrics.refused[rc_metrics.n_refused++].status = 400;
		rc_metrics.refused[rc_metrics.n_refused++].status = 401;
		rc_metrics.refused[rc_metrics.n_refused++].status = 403;
	}
	for (guint i = 0; i < rc_metrics.n_refused; i++) {
		if (rc_metrics.refused[i].status == status)
			return &rc_metrics.refused[i];
	}
	if (rc_metrics.n_refused == RC_METRICS_MAX_STATUSES)
		return NULL;
	rc_metrics.refused[rc_metrics.n_refused].status = status;
	return &rc_metrics.refused[rc_metrics.n_refused++];
}

void
rc_metrics_count_refused_upgrade(guint status)
{
	RcStatusCount *sc = rc_metrics_get_refused(status);
	if (sc != NULL)
		sc->count++;
}

void
rc_metrics_count_plugin_rejection(const gchar *plugin, const gchar *kind)
{
	g_autofree gchar *key = g_strconcat(kind, "\n", plugin, NULL);
	guint64 *count;

	if (rc_metrics.rejections == NULL)
		rc_metrics.rejections =
		    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	count = g_hash_table_lookup(rc_metrics.rejections, key);
	if (count == NULL) {
		count = g_new0(guint64, 1);
		g_hash_table_insert(rc_metrics.rejections, g_steal_pointer(&key), count);
	}
	(*count)++;
}

void
rc_metrics_count_redis_reconnect(void)
{
	rc_metrics.redis_reconnects++;
}

/* ---- the text format ---------------------------------------------------------- */

static void
rc_metrics_append_label_value(GString *s, const gchar *value)
{
	for (const gchar *p = value; *p != '\0'; p++) {
		if (*p == '\\' || *p == '"')
			g_string_append_c(s, '\\');
		if (*p == '\n')
			g_string_append(s, "\\n");
		else
			g_string_append_c(s, *p);
	}
}

static void
rc_metrics_append_double(GString *s, gdouble value)
{
	gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
	/* never the locale's decimal comma */
	g_string_append(s, g_ascii_formatd(buf, sizeof(buf), "%.6f", value));
}

static void
rc_metrics_append_head(GString *s, const gchar *name, const gchar *type, const gchar *help)
{
	g_string_append_printf(s, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static gint
rc_metrics_compare_strings(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

/* the keys of @table, sorted, so that the output does not change its order */
static GPtrArray *
rc_metrics_sorted_keys(GHashTable *table)
{
	GPtrArray *keys = g_ptr_array_new();
	GHashTableIter iter;
	gpointer key;

	if (table != NULL) {
		g_hash_table_iter_init(&iter, table);
		while (g_hash_table_iter_next(&iter, &key, NULL))
			g_ptr_array_add(keys, key);
	}
	g_ptr_array_sort(keys, rc_metrics_compare_strings);
	return keys;
}

static void
rc_metrics_append_latency(GString *s)
{
	guint64 cumulative = 0;

	rc_metrics_append_head(s,
			       "roomcast_delivery_latency_seconds",
			       "histogram",
			       "Time from a message being accepted by this node to its frame being "
			       "written to a member's socket.");
	for (guint i = 0; i < RC_LATENCY_N_BUCKETS; i++) {
		cumulative += rc_metrics.latency[i];
		g_string_append_printf(s,
				       "roomcast_delivery_latency_seconds_bucket{le=\"%s\"} "
				       "%" G_GUINT64_FORMAT "\n",
				       rc_latency_bounds_text[i],
				       cumulative);
	}
	cumulative += rc_metrics.latency[RC_LATENCY_N_BUCKETS];
	g_string_append_printf(s,
			       "roomcast_delivery_latency_seconds_bucket{le=\"+Inf\"} "
			       "%" G_GUINT64_FORMAT "\n",
			       cumulative);
	g_string_append(s, "roomcast_delivery_latency_seconds_sum ");
	rc_metrics_append_double(s, (gdouble)rc_metrics.latency_sum_us / G_USEC_PER_SEC);
	g_string_append_printf(s,
			       "\nroomcast_delivery_latency_seconds_count %" G_GUINT64_FORMAT "\n",
			       rc_metrics.latency_count);
}

static void
rc_metrics_append_counters(GString *s)
{
	g_autoptr(GPtrArray) codes = rc_metrics_sorted_keys(rc_metrics_get_errors());
	g_autoptr(GPtrArray) rejections = rc_metrics_sorted_keys(rc_metrics.rejections);

	rc_metrics_append_head(s,
			       "roomcast_errors_total",
			       "counter",
			       "Error replies sent to clients (/ws and socket.io), by error code.");
	for (guint i = 0; i < codes->len; i++) {
		const gchar *code = g_ptr_array_index(codes, i);
		guint64 *count = g_hash_table_lookup(rc_metrics.errors, code);
		g_string_append_printf(
		    s, "roomcast_errors_total{code=\"%s\"} %" G_GUINT64_FORMAT "\n", code, *count);
	}

	rc_metrics_get_refused(400);
	rc_metrics_append_head(
	    s,
	    "roomcast_upgrades_refused_total",
	    "counter",
	    "WebSocket upgrades answered with an HTTP error instead, by status.");
	for (guint i = 0; i < rc_metrics.n_refused; i++) {
		g_string_append_printf(s,
				       "roomcast_upgrades_refused_total{status=\"%u\"} "
				       "%" G_GUINT64_FORMAT "\n",
				       rc_metrics.refused[i].status,
				       rc_metrics.refused[i].count);
	}

	rc_metrics_append_head(
	    s,
	    "roomcast_plugin_rejections_total",
	    "counter",
	    "Clients (auth plugins) and messages (filter plugins) a plugin refused.");
	for (guint i = 0; i < rejections->len; i++) {
		const gchar *key = g_ptr_array_index(rejections, i);
		const gchar *plugin = strchr(key, '\n') + 1;
		guint64 *count = g_hash_table_lookup(rc_metrics.rejections, key);
		g_string_append(s, "roomcast_plugin_rejections_total{kind=\"");
		g_string_append_len(s, key, plugin - 1 - key);
		g_string_append(s, "\",plugin=\"");
		rc_metrics_append_label_value(s, plugin);
		g_string_append_printf(s, "\"} %" G_GUINT64_FORMAT "\n", *count);
	}

	rc_metrics_append_head(s,
			       "roomcast_redis_reconnects_total",
			       "counter",
			       "Times the node was connected to Redis again after losing it.");
	g_string_append_printf(s,
			       "roomcast_redis_reconnects_total %" G_GUINT64_FORMAT "\n",
			       rc_metrics.redis_reconnects);

	rc_metrics_append_head(
	    s, "roomcast_build_info", "gauge", "Always 1; the version of roomcastd in its label.");
	g_string_append(s, "roomcast_build_info{version=\"");
	rc_metrics_append_label_value(s, PACKAGE_VERSION);
	g_string_append(s, "\"} 1\n");
}

/* ---- the process -------------------------------------------------------------- */

/* the seconds since the epoch the system booted at, from /proc/stat */
static gboolean
rc_metrics_boot_time(guint64 *btime)
{
	g_autofree gchar *contents = NULL;
	const gchar *line;

	if (!g_file_get_contents("/proc/stat", &contents, NULL, NULL))
		return FALSE;
	line = strstr(contents, "\nbtime ");
	if (line == NULL)
		return FALSE;
	*btime = g_ascii_strtoull(line + 7, NULL, 10);
	return TRUE;
}

static gint
rc_metrics_count_fds(void)
{
	g_autoptr(GDir) dir = g_dir_open("/proc/self/fd", 0, NULL);
	gint n = 0;

	if (dir == NULL)
		return -1;
	while (g_dir_read_name(dir) != NULL)
		n++;
	/* the descriptor of the listing itself */
	return MAX(n - 1, 0);
}

static void
rc_metrics_append_process(GString *s)
{
	g_autofree gchar *stat = NULL;
	const gchar *p;
	g_auto(GStrv) fields = NULL;
	struct rlimit rl;
	gint fds;

	/* after the command name in parentheses, which may hold anything; fields[0] is
	 * the state, field 3 of proc(5) */
	if (g_file_get_contents("/proc/self/stat", &stat, NULL, NULL) &&
	    (p = strrchr(stat, ')')) != NULL) {
		fields = g_strsplit(p + 2, " ", -1);
	}
	if (fields != NULL && g_strv_length(fields) > 21) {
		gdouble ticks = (gdouble)sysconf(_SC_CLK_TCK);
		gdouble page = (gdouble)sysconf(_SC_PAGESIZE);
		guint64 utime = g_ascii_strtoull(fields[11], NULL, 10);
		guint64 stime = g_ascii_strtoull(fields[12], NULL, 10);
		guint64 start = g_ascii_strtoull(fields[19], NULL, 10);
		guint64 vsize = g_ascii_strtoull(fields[20], NULL, 10);
		guint64 rss = g_ascii_strtoull(fields[21], NULL, 10);
		guint64 btime = 0;

		rc_metrics_append_head(s,
				       "process_cpu_seconds_total",
				       "counter",
				       "Total user and system CPU time spent in seconds.");
		g_string_append(s, "process_cpu_seconds_total ");
		rc_metrics_append_double(s, (gdouble)(utime + stime) / ticks);
		g_string_append_c(s, '\n');
		rc_metrics_append_head(
		    s, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
		g_string_append_printf(
		    s, "process_resident_memory_bytes %.0f\n", (gdouble)rss * page);
		rc_metrics_append_head(
		    s, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
		g_string_append_printf(
		    s, "process_virtual_memory_bytes %" G_GUINT64_FORMAT "\n", vsize);
		if (rc_metrics_boot_time(&btime)) {
			rc_metrics_append_head(
			    s,
			    "process_start_time_seconds",
			    "gauge",
			    "Start time of the process since unix epoch in seconds.");
			g_string_append(s, "process_start_time_seconds ");
			rc_metrics_append_double(s, (gdouble)btime + (gdouble)start / ticks);
			g_string_append_c(s, '\n');
		}
	}
	fds = rc_metrics_count_fds();
	if (fds >= 0) {
		rc_metrics_append_head(
		    s, "process_open_fds", "gauge", "Number of open file descriptors.");
		g_string_append_printf(s, "process_open_fds %d\n", fds);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rc_metrics_append_head(
		    s, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
		g_string_append_printf(
		    s, "process_max_fds %" G_GUINT64_FORMAT "\n", (guint64)rl.rlim_cur);
	}
}

void
rc_metrics_append(GString *s)
{
	rc_metrics_append_latency(s);
	rc_metrics_append_counters(s);
	rc_metrics_append_process(s);
}
