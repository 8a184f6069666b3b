/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcBench"

#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "rc-bench-proc.h"
#include "rc-bench-redis.h"
#include "rc-bench-report.h"
#include "rc-bench-runner.h"

#define EXIT_USAGE 1
#define EXIT_RUN_FAILED 2
#define RSS_SETTLE_S 2.0
#define PROGRESS_EVERY_MS 1000
#define RESUME_GAP_DEFAULT_S 1.0

typedef struct {
	gchar **urls;
	gchar **pids;
	gint redis_pid;
	gchar *source_addrs;
	gint clients;
	gint rooms;
	gint senders;
	gdouble rate;
	gdouble duration;
	gdouble warmup;
	gchar *placement;
	gint msg_bytes;
	gboolean find_max;
	gdouble step_factor;
	gint max_steps;
	gint refine;
	gdouble max_loss;
	gdouble max_p99;
	gdouble min_growth;
	gdouble step_pause;
	gboolean idle;
	gdouble idle_settle;
	gchar *json;
	gchar *label;
	gint connect_concurrency;
	gdouble connect_timeout;
	gdouble barrier_timeout;
	gdouble drain_max;
	gdouble drain_idle;
	gboolean presence;
	gdouble resume_every;
	gdouble resume_fraction;
	gint redis_port;
	gchar *redis_url;
	gboolean version;
} Options;

static void
options_clear(Options *o)
{
	g_clear_pointer(&o->urls, g_strfreev);
	g_clear_pointer(&o->pids, g_strfreev);
	g_clear_pointer(&o->source_addrs, g_free);
	g_clear_pointer(&o->placement, g_free);
	g_clear_pointer(&o->json, g_free);
	g_clear_pointer(&o->label, g_free);
	g_clear_pointer(&o->redis_url, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Options, options_clear)

typedef struct {
	Options *o;
	RcBenchConfig config;
	RcBenchRunner *runner;
	GCancellable *cancellable;
	FILE *table;
	FILE *json;
	gboolean json_is_stdout;
	gboolean progress;		/* a \r-updated line on stderr while a step runs */
	GSocketConnectable *redis_info; /* where to read INFO stats from; NULL: nowhere */
} Bench;

/* ------------------------------------------------------------------ parsing */

static gboolean
split_list(gchar **values, GPtrArray *out)
{
	for (guint i = 0; values != NULL && values[i] != NULL; i++) {
		g_auto(GStrv) parts = g_strsplit(values[i], ",", -1);
		for (guint j = 0; parts[j] != NULL; j++) {
			g_strstrip(parts[j]);
			if (parts[j][0] != '\0')
				g_ptr_array_add(out, g_strdup(parts[j]));
		}
	}
	return out->len > 0;
}

static RcBenchNode *
parse_node(const gchar *url, GError **error)
{
	g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_NONE, error);
	g_autoptr(RcBenchNode) node = NULL;
	g_autoptr(GInetAddress) addr = NULL;
	const gchar *scheme, *host, *path;
	gint port;

	if (uri == NULL)
		return NULL;
	scheme = g_uri_get_scheme(uri);
	if (g_strcmp0(scheme, "ws") != 0 && g_strcmp0(scheme, "http") != 0) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_ARGUMENT,
			    _("%s: only ws:// (or http://) URLs are supported"),
			    url);
		return NULL;
	}
	host = g_uri_get_host(uri);
	port = g_uri_get_port(uri) > 0 ? g_uri_get_port(uri) : 80;
	addr = g_inet_address_new_from_string(host);
	if (addr == NULL) {
		g_autoptr(GResolver) resolver = g_resolver_get_default();
		GList *list = g_resolver_lookup_by_name(resolver, host, NULL, error);

		if (list == NULL)
			return NULL;
		addr = g_object_ref(list->data);
		g_resolver_free_addresses(list);
	}
	node = g_new0(RcBenchNode, 1);
	node->url = g_strdup(url);
	node->address = g_inet_socket_address_new(addr, (guint16)port);
	node->host_header = g_inet_address_get_family(addr) == G_SOCKET_FAMILY_IPV6
				? g_strdup_printf("[%s]:%d", host, port)
				: g_strdup_printf("%s:%d", host, port);
	path = g_uri_get_path(uri);
	if (path == NULL || path[0] == '\0' || g_strcmp0(path, "/") == 0)
		path = "/ws";
	node->path = g_uri_get_query(uri) != NULL
			 ? g_strdup_printf("%s?%s", path, g_uri_get_query(uri))
			 : g_strdup(path);
	return g_steal_pointer(&node);
}

static gboolean
parse_source_addrs(const gchar *value, GPtrArray *out, GError **error)
{
	guint64 n;
	g_auto(GStrv) parts = NULL;

	if (value == NULL)
		return TRUE;
	if (g_ascii_string_to_unsigned(value, 10, 1, 254, &n, NULL)) {
		for (guint i = 1; i <= n; i++) {
			g_autofree gchar *s = g_strdup_printf("127.0.0.%u", i);
			g_ptr_array_add(out, g_inet_address_new_from_string(s));
		}
		return TRUE;
	}
	parts = g_strsplit(value, ",", -1);
	for (guint i = 0; parts[i] != NULL; i++) {
		GInetAddress *a = g_inet_address_new_from_string(g_strstrip(parts[i]));

		if (a == NULL) {
			g_set_error(
			    error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_ARGUMENT,
			    _("--source-addrs: “%s” is neither an IP address nor a count 1-254"),
			    parts[i]);
			return FALSE;
		}
		g_ptr_array_add(out, a);
	}
	return TRUE;
}

static gboolean
parse_pids(gchar **values, GArray *out, GError **error)
{
	g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);

	split_list(values, list);
	for (guint i = 0; i < list->len; i++) {
		const gchar *s = g_ptr_array_index(list, i);
		guint64 pid;
		gdouble cpu;
		gint p;

		if (!g_ascii_string_to_unsigned(s, 10, 1, G_MAXINT, &pid, NULL)) {
			g_set_error(error,
				    G_IO_ERROR,
				    G_IO_ERROR_INVALID_ARGUMENT,
				    _("--pid: “%s” is not a process id"),
				    s);
			return FALSE;
		}
		p = (gint)pid;
		if (!rc_bench_proc_get_cpu_seconds(p, &cpu, NULL)) {
			g_set_error(error,
				    G_IO_ERROR,
				    G_IO_ERROR_NOT_FOUND,
				    _("--pid: no process %d (cannot read /proc/%d/stat)"),
				    p,
				    p);
			return FALSE;
		}
		g_array_append_val(out, p);
	}
	return TRUE;
}

static gboolean
check_redis_pid(gint pid, GError **error)
{
	gdouble cpu;

	if (pid > 0 && !rc_bench_proc_get_cpu_seconds(pid, &cpu, NULL)) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_NOT_FOUND,
			    _("--redis-pid: no process %d (cannot read /proc/%d/stat)"),
			    pid,
			    pid);
		return FALSE;
	}
	return TRUE;
}

static gboolean
raise_fd_limit(guint needed, GError **error)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(errno),
			    "getrlimit: %s",
			    g_strerror(errno));
		return FALSE;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			g_warning("cannot raise the open-file limit: %s", g_strerror(errno));
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < needed) {
		g_set_error(
		    error,
		    G_IO_ERROR,
		    G_IO_ERROR_TOO_MANY_OPEN_FILES,
		    _("%u clients need about %u open files, but the limit is %lu (hard limit "
		      "%lu)"),
		    needed - 64,
		    needed,
		    (unsigned long)rl.rlim_cur,
		    (unsigned long)rl.rlim_max);
		return FALSE;
	}
	return TRUE;
}

static gboolean
check_options(Options *o, GError **error)
{
#define BAD(...)                                                                                   \
	do {                                                                                       \
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, __VA_ARGS__);         \
		return FALSE;                                                                      \
	} while (0)
	if (o->clients < 1)
		BAD(_("--clients must be at least 1"));
	if (o->rooms < 1 || o->rooms > o->clients)
		BAD(_("--rooms must be between 1 and --clients (%d)"), o->clients);
	if (o->senders < 0 || o->senders > o->clients)
		BAD(_("--senders must be between 0 and --clients (%d)"), o->clients);
	if (!o->idle && o->senders < 1)
		BAD(_("--senders must be at least 1 (or use --idle)"));
	if (!o->idle && (o->rate <= 0 || o->duration <= 0 || o->rate * o->duration < 1))
		BAD(_("--rate and --duration must be positive and send at least one message"));
	if (o->warmup < 0 || o->idle_settle < 0 || o->step_pause < 0)
		BAD(_("--warmup, --idle-settle and --step-pause cannot be negative"));
	if (g_strcmp0(o->placement, "spread") != 0 && g_strcmp0(o->placement, "rr") != 0)
		BAD(_("--placement must be spread or rr"));
	if (o->msg_bytes < 0 || o->msg_bytes > 60000)
		BAD(_("--msg-bytes must be between 0 and 60000"));
	if (o->step_factor <= 1 || o->max_steps < 1 || o->refine < 0 || o->min_growth < 1)
		BAD(_("--step-factor and --min-growth must be above 1, --max-steps at least 1, "
		      "--refine not negative"));
	if (o->connect_concurrency < 1 || o->connect_timeout <= 0 || o->barrier_timeout <= 0 ||
	    o->drain_max < 0 || o->drain_idle < 0)
		BAD(_("--connect-concurrency, --connect-timeout and --barrier-timeout must be "
		      "positive, the drain times not negative"));
	if (o->redis_pid < 0)
		BAD(_("--redis-pid must be a process id"));
	if (o->idle && o->find_max)
		BAD(_("--idle and --find-max cannot be combined"));
	if (o->resume_every < 0 || o->resume_fraction < 0 || o->resume_fraction > 1)
		BAD(_("--resume-every cannot be negative and --resume must be between 0 and 1"));
	if ((o->resume_every > 0 || o->resume_fraction > 0) && o->idle)
		BAD(_("--resume-every and --resume need messages: they cannot be combined with "
		      "--idle"));
	if ((o->resume_every > 0 || o->resume_fraction > 0) && o->senders >= o->clients)
		BAD(_("--resume-every and --resume drop receiving clients: --senders must be below "
		      "--clients"));
	if (o->redis_port < 0 || o->redis_port > 65535)
		BAD(_("--redis-port must be between 1 and 65535"));
	if (o->redis_port > 0 && o->redis_url != NULL)
		BAD(_("--redis-port and --redis-url cannot be combined"));
	return TRUE;
#undef BAD
}

/* ------------------------------------------------------------------ main loop helpers */

static void
store_result_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	*(GAsyncResult **)user_data = g_object_ref(result);
}

static void
iterate_until(GAsyncResult **result)
{
	while (*result == NULL)
		g_main_context_iteration(NULL, TRUE);
}

static gboolean
set_flag_cb(gpointer user_data)
{
	*(gboolean *)user_data = TRUE;
	return G_SOURCE_REMOVE;
}

/* keeps the clients served (pings, late frames) while waiting */
static void
bench_sleep(Bench *b, gdouble seconds)
{
	gboolean done = FALSE;
	guint id = g_timeout_add((guint)(seconds * 1000), set_flag_cb, &done);

	while (!done && !g_cancellable_is_cancelled(b->cancellable))
		g_main_context_iteration(NULL, TRUE);
	if (!done)
		g_source_remove(id);
}

static gboolean
on_signal_cb(gpointer user_data)
{
	g_cancellable_cancel(G_CANCELLABLE(user_data));
	return G_SOURCE_CONTINUE;
}

static GSocketConnectable *
parse_redis_address(Options *o, GError **error)
{
	g_autoptr(GUri) uri = NULL;

	if (o->redis_port > 0)
		return g_network_address_new("127.0.0.1", (guint16)o->redis_port);
	if (o->redis_url == NULL)
		return NULL;
	uri = g_uri_parse(o->redis_url, G_URI_FLAGS_NONE, NULL);
	if (uri == NULL || g_strcmp0(g_uri_get_scheme(uri), "redis") != 0 ||
	    g_uri_get_host(uri) == NULL || g_uri_get_host(uri)[0] == '\0') {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_ARGUMENT,
			    _("--redis-url: “%s” is not a redis://HOST[:PORT] URL"),
			    o->redis_url);
		return NULL;
	}
	return g_network_address_new(g_uri_get_host(uri),
				     g_uri_get_port(uri) > 0 ? (guint16)g_uri_get_port(uri) : 6379);
}

/* total_commands_processed of the --redis-port/--redis-url server, the main loop running */
static gboolean
bench_redis_commands(Bench *b, guint64 *commands, GError **error)
{
	g_autoptr(GAsyncResult) res = NULL;

	rc_bench_redis_commands_async(b->redis_info, b->cancellable, store_result_cb, &res);
	iterate_until(&res);
	return rc_bench_redis_commands_finish(res, commands, error);
}

static gboolean
progress_cb(gpointer user_data)
{
	Bench *b = user_data;
	gdouble elapsed, total = b->o->warmup + b->o->duration;
	guint64 sent, delivered, expected, reconnects;

	if (!rc_bench_runner_get_progress(
		b->runner, &elapsed, &sent, &delivered, &expected, &reconnects))
		return G_SOURCE_CONTINUE;
	fputs("\r\033[K", stderr);
	fprintf(stderr,
		_("  %.0f/%.0f s: sent %llu, delivered %llu of %llu"),
		MIN(elapsed, total),
		total,
		(unsigned long long)sent,
		(unsigned long long)delivered,
		(unsigned long long)expected);
	if (b->o->resume_every > 0 || b->o->resume_fraction > 0)
		fprintf(stderr, _(", reconnects %llu"), (unsigned long long)reconnects);
	return G_SOURCE_CONTINUE;
}

/* iterate_until() with the progress line when the table goes to a terminal */
static void
bench_wait_step(Bench *b, GAsyncResult **result)
{
	guint id = b->progress ? g_timeout_add(PROGRESS_EVERY_MS, progress_cb, b) : 0;

	iterate_until(result);
	if (id != 0) {
		g_source_remove(id);
		fputs("\r\033[K", stderr);
	}
}

/* ------------------------------------------------------------------ output */

static JsonBuilder *
bench_begin_row(Bench *b, const gchar *mode)
{
	JsonBuilder *builder = json_builder_new();
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree gchar *ts = g_date_time_format_iso8601(now);
	guint k = b->config.nodes->len;

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "ts");
	json_builder_add_string_value(builder, ts);
	json_builder_set_member_name(builder, "tool");
	json_builder_add_string_value(builder, "roomcast-bench");
	json_builder_set_member_name(builder, "version");
	json_builder_add_string_value(builder, PACKAGE_VERSION);
	json_builder_set_member_name(builder, "mode");
	json_builder_add_string_value(builder, mode);
	json_builder_set_member_name(builder, "label");
	json_builder_add_string_value(builder, b->o->label != NULL ? b->o->label : "");
	json_builder_set_member_name(builder, "K");
	json_builder_add_int_value(builder, k);
	json_builder_set_member_name(builder, "C");
	json_builder_add_int_value(builder, b->o->clients);
	json_builder_set_member_name(builder, "R");
	json_builder_add_int_value(builder, b->o->rooms);
	json_builder_set_member_name(builder, "S");
	json_builder_add_int_value(builder, b->o->idle ? 0 : b->o->senders);
	json_builder_set_member_name(builder, "placement");
	json_builder_add_string_value(builder, b->o->placement);
	json_builder_set_member_name(builder, "msgBytes");
	json_builder_add_int_value(builder, b->o->msg_bytes);
	json_builder_set_member_name(builder, "sourceAddrs");
	json_builder_add_int_value(builder, b->config.source_addresses->len);
	json_builder_set_member_name(builder, "urls");
	json_builder_begin_array(builder);
	for (guint i = 0; i < k; i++)
		json_builder_add_string_value(
		    builder, ((RcBenchNode *)g_ptr_array_index(b->config.nodes, i))->url);
	json_builder_end_array(builder);
	json_builder_set_member_name(builder, "clientsPerNode");
	json_builder_begin_array(builder);
	for (guint i = 0; i < k; i++)
		json_builder_add_int_value(builder, rc_bench_runner_get_node_clients(b->runner, i));
	json_builder_end_array(builder);
	json_builder_set_member_name(builder, "minNodesPerRoom");
	json_builder_add_int_value(builder, rc_bench_runner_get_min_nodes_per_room(b->runner));
	json_builder_set_member_name(builder, "connectMs");
	json_builder_add_double_value(builder, rc_bench_runner_get_connect_ms(b->runner));
	json_builder_set_member_name(builder, "barrierMs");
	json_builder_add_double_value(builder, rc_bench_runner_get_barrier_ms(b->runner));
	json_builder_set_member_name(builder, "presence");
	json_builder_add_boolean_value(builder, b->o->presence);
	json_builder_set_member_name(builder, "join_s");
	json_builder_add_double_value(builder, rc_bench_runner_get_join_s(b->runner));
	json_builder_set_member_name(builder, "presenceEventsTotal");
	json_builder_add_int_value(builder, (gint64)rc_bench_runner_get_presence_events(b->runner));
	json_builder_set_member_name(builder, "resumeFraction");
	json_builder_add_double_value(builder, b->config.resume_fraction);
	json_builder_set_member_name(builder, "resumeGapS");
	json_builder_add_double_value(builder, b->config.resume_gap_s);
	return builder;
}

static void
bench_end_row(Bench *b, JsonBuilder *builder)
{
	g_autofree gchar *line = NULL;

	json_builder_end_object(builder);
	if (b->json == NULL)
		return;
	line = rc_bench_report_to_line(builder);
	fprintf(b->json, "%s\n", line);
	fflush(b->json);
}

/* ------------------------------------------------------------------ phases */

static RcBenchStepResult *
bench_run_step(
    Bench *b, guint step, gdouble rate, const gchar *mode, gboolean *pass, GError **error)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(RcBenchStepResult) r = NULL;
	g_autoptr(JsonBuilder) builder = NULL;

	rc_bench_runner_run_step_async(b->runner,
				       step,
				       rate,
				       b->o->duration,
				       b->o->warmup,
				       b->cancellable,
				       store_result_cb,
				       &res);
	bench_wait_step(b, &res);
	r = rc_bench_runner_run_step_finish(b->runner, res, error);
	if (r == NULL)
		return NULL;
	*pass = r->loss_pct <= b->o->max_loss && r->have_latency && r->lat_ms_p99 <= b->o->max_p99;
	rc_bench_report_print_step(b->table, mode, r);
	rc_bench_report_print_warnings(b->table, r);
	builder = bench_begin_row(b, mode);
	rc_bench_report_add_step(builder, r);
	json_builder_set_member_name(builder, "pass");
	json_builder_add_boolean_value(builder, *pass);
	bench_end_row(b, builder);
	if (g_cancellable_set_error_if_cancelled(b->cancellable, error))
		return NULL;
	return g_steal_pointer(&r);
}

static gboolean
bench_find_max(Bench *b, GError **error)
{
	Options *o = b->o;
	gdouble rate = o->rate, prev_rate = 0, lo = -1, hi = -1;
	gdouble best_rate = 0, best_p = 0, best_p99 = 0, best_us = -1;
	g_autofree gchar *stop = g_strdup(_("--max-steps reached"));
	g_autoptr(JsonBuilder) builder = NULL;
	guint step = 0;

	for (gint i = 0; i < o->max_steps; i++) {
		gboolean pass;
		g_autoptr(RcBenchStepResult) r =
		    bench_run_step(b, step++, rate, "fmax", &pass, error);

		if (r == NULL)
			return FALSE;
		if (pass && r->delivered_per_s > best_rate) {
			best_rate = r->delivered_per_s;
			best_p = rate;
			best_p99 = r->lat_ms_p99;
			best_us = r->server_cpu_us_per_msg;
		}
		if (!pass) {
			hi = rate;
			g_free(stop);
			stop = g_strdup_printf(_("P=%.0f failed (loss %.2f%%, p99 %.1f ms)"),
					       rate,
					       r->loss_pct,
					       r->lat_ms_p99);
			break;
		}
		lo = rate;
		if (prev_rate > 0 && r->delivered_per_s < prev_rate * o->min_growth) {
			g_free(stop);
			stop = g_strdup_printf(_("delivered rate stopped growing at P=%.0f "
						 "(%.0f/s after %.0f/s)"),
					       rate,
					       r->delivered_per_s,
					       prev_rate);
			break;
		}
		if (r->sent_per_s < 0.95 * rate) {
			g_free(stop);
			stop =
			    g_strdup_printf(_("the generator could not send P=%.0f (sent %.0f/s)"),
					    rate,
					    r->sent_per_s);
			break;
		}
		prev_rate = r->delivered_per_s;
		rate = round(rate * o->step_factor);
		bench_sleep(b, o->step_pause);
	}
	for (gint i = 0; i < o->refine && lo > 0 && hi > 0 && hi - lo > 1; i++) {
		gdouble mid = round(sqrt(lo * hi));
		gboolean pass;
		g_autoptr(RcBenchStepResult) r = NULL;

		if (mid <= lo || mid >= hi)
			break;
		bench_sleep(b, o->step_pause);
		r = bench_run_step(b, step++, mid, "fmax", &pass, error);
		if (r == NULL)
			return FALSE;
		if (pass && r->delivered_per_s > best_rate) {
			best_rate = r->delivered_per_s;
			best_p = mid;
			best_p99 = r->lat_ms_p99;
			best_us = r->server_cpu_us_per_msg;
		}
		if (pass)
			lo = mid;
		else
			hi = mid;
	}
	{
		g_autofree gchar *best =
		    best_rate > 0
			? g_strdup_printf(_("highest passing delivered rate %.0f msg/s at P=%.0f"),
					  best_rate,
					  best_p)
			: g_strdup(_("no step passed"));
		g_autofree gchar *last_pass =
		    lo > 0 ? g_strdup_printf(_("last passing rate: %.0f msg/s"), lo)
			   : g_strdup(_("no step passed"));
		g_autofree gchar *first_fail =
		    hi > 0 ? g_strdup_printf(_("first failing rate: %.0f msg/s"), hi)
			   : g_strdup(_("no step failed"));

		/* "last pass" would repeat "no step passed" */
		if (best_rate > 0)
			fprintf(b->table,
				"# find-max: %s; %s, %s; %s %s\n",
				best,
				last_pass,
				first_fail,
				_("stop:"),
				stop);
		else
			fprintf(b->table,
				"# find-max: %s; %s; %s %s\n",
				best,
				first_fail,
				_("stop:"),
				stop);
	}
	builder = bench_begin_row(b, "fmax-summary");
	json_builder_set_member_name(builder, "maxSustainedDeliveredPerSec");
	json_builder_add_double_value(builder, best_rate);
	json_builder_set_member_name(builder, "atP");
	json_builder_add_double_value(builder, best_p);
	json_builder_set_member_name(builder, "atP99Ms");
	json_builder_add_double_value(builder, best_p99);
	json_builder_set_member_name(builder, "atServerCpuUsPerMsg");
	if (best_us >= 0)
		json_builder_add_double_value(builder, best_us);
	else
		json_builder_add_null_value(builder);
	json_builder_set_member_name(builder, "lastPassP");
	json_builder_add_double_value(builder, lo);
	json_builder_set_member_name(builder, "firstFailP");
	json_builder_add_double_value(builder, hi);
	json_builder_set_member_name(builder, "stopReason");
	json_builder_add_string_value(builder, stop);
	bench_end_row(b, builder);
	return TRUE;
}

static guint64
sum_rss_kb(Bench *b, GArray *per_pid)
{
	guint64 sum = 0;

	for (guint i = 0; i < b->config.pids->len; i++) {
		guint64 kb = 0;
		g_autoptr(GError) error = NULL;

		if (!rc_bench_proc_get_status_kb(
			g_array_index(b->config.pids, gint, i), "VmRSS", &kb, &error))
			g_warning("%s", error->message);
		g_array_append_val(per_pid, kb);
		sum += kb;
	}
	return sum;
}

static void
add_kb_array(JsonBuilder *builder, const gchar *name, GArray *kb)
{
	json_builder_set_member_name(builder, name);
	json_builder_begin_array(builder);
	for (guint i = 0; i < kb->len; i++)
		json_builder_add_double_value(builder,
					      (gdouble)g_array_index(kb, guint64, i) / 1024);
	json_builder_end_array(builder);
}

static void
bench_idle(Bench *b, guint64 before_kb, GArray *before)
{
	g_autoptr(GArray) after = g_array_new(FALSE, TRUE, sizeof(guint64));
	g_autoptr(GArray) late = g_array_new(FALSE, TRUE, sizeof(guint64));
	g_autoptr(JsonBuilder) builder = NULL;
	g_autoptr(GError) redis_error = NULL;
	g_autofree gdouble *cpu_a = g_new0(gdouble, b->config.pids->len + 1);
	g_autofree gchar *srv = NULL, *rds = NULL, *cmds = NULL;
	gdouble cpu_s = 0, lg_a, lg_b, redis_a = -1, redis_b = -1, redis_cpu_s = -1, window_s;
	guint64 after_kb, late_kb, cmds_a = 0, cmds_b = 0, presence_a;
	gdouble per_conn, per_conn_late, c = b->o->clients, cmds_per_s = -1;
	gboolean have_cmds = FALSE;
	gint64 t_a, t_b;

	bench_sleep(b, RSS_SETTLE_S);
	after_kb = sum_rss_kb(b, after);
	/* the idle window: CPU and Redis commands from here to the late sample */
	if (b->redis_info != NULL)
		have_cmds = bench_redis_commands(b, &cmds_a, &redis_error);
	for (guint i = 0; i < b->config.pids->len; i++)
		rc_bench_proc_get_cpu_seconds(
		    g_array_index(b->config.pids, gint, i), &cpu_a[i], NULL);
	if (b->config.redis_pid > 0 &&
	    !rc_bench_proc_get_cpu_seconds(b->config.redis_pid, &redis_a, NULL))
		redis_a = -1;
	lg_a = rc_bench_proc_get_self_cpu_seconds();
	presence_a = rc_bench_runner_get_presence_events(b->runner);
	t_a = g_get_monotonic_time();
	bench_sleep(b, b->o->idle_settle);
	t_b = g_get_monotonic_time();
	late_kb = sum_rss_kb(b, late);
	for (guint i = 0; i < b->config.pids->len; i++) {
		gdouble v = 0;
		if (rc_bench_proc_get_cpu_seconds(g_array_index(b->config.pids, gint, i), &v, NULL))
			cpu_s += v - cpu_a[i];
	}
	if (redis_a >= 0 && rc_bench_proc_get_cpu_seconds(b->config.redis_pid, &redis_b, NULL))
		redis_cpu_s = redis_b - redis_a;
	lg_b = rc_bench_proc_get_self_cpu_seconds();
	window_s = MAX((gdouble)(t_b - t_a) / G_USEC_PER_SEC, 1e-6);
	if (have_cmds && bench_redis_commands(b, &cmds_b, &redis_error) && cmds_b >= cmds_a)
		cmds_per_s = (gdouble)(cmds_b - cmds_a) / window_s;
	per_conn = ((gdouble)after_kb - (gdouble)before_kb) / c;
	per_conn_late = ((gdouble)late_kb - (gdouble)before_kb) / c;
	srv = b->config.pids->len > 0 ? g_strdup_printf("%.2f", 100 * cpu_s / window_s)
				      : g_strdup("-");
	rds = redis_cpu_s >= 0 ? g_strdup_printf("%.2f", 100 * redis_cpu_s / window_s)
			       : g_strdup("-");
	cmds = cmds_per_s >= 0 ? g_strdup_printf("%.1f", cmds_per_s) : g_strdup("-");

	fprintf(b->table,
		"%-5s %7s %13s %13s %9s %13s %9s %9s %7s %7s %10s %8s %12s\n",
		"mode",
		"C",
		"rssBefore MB",
		"rssAfter MB",
		"KB/conn",
		"rssLate MB",
		"KB/connL",
		"idleCPUs",
		"srv%",
		"rds%",
		"rdsCmd/s",
		"join_s",
		"disconnects");
	fprintf(b->table,
		"%-5s %7d %13.1f %13.1f %9.2f %13.1f %9.2f %9.2f %7s %7s %10s %8.3f "
		"%12" G_GUINT64_FORMAT "\n",
		"idle",
		b->o->clients,
		(gdouble)before_kb / 1024,
		(gdouble)after_kb / 1024,
		per_conn,
		(gdouble)late_kb / 1024,
		per_conn_late,
		cpu_s,
		srv,
		rds,
		cmds,
		rc_bench_runner_get_join_s(b->runner),
		rc_bench_runner_get_disconnects(b->runner));
	if (b->config.pids->len == 0)
		fprintf(b->table, _("# no --pid given: the memory figures are all zero\n"));
	if (redis_error != NULL)
		fprintf(b->table,
			_("# cannot read the Redis command count: %s\n"),
			redis_error->message);

	builder = bench_begin_row(b, "idle");
	add_kb_array(builder, "rssBeforeMB", before);
	add_kb_array(builder, "rssAfterMB", after);
	add_kb_array(builder, "rssLateMB", late);
	json_builder_set_member_name(builder, "rssPerConnKB");
	json_builder_add_double_value(builder, per_conn);
	json_builder_set_member_name(builder, "rssPerConnKBLate");
	json_builder_add_double_value(builder, per_conn_late);
	json_builder_set_member_name(builder, "idleSettleS");
	json_builder_add_double_value(builder, b->o->idle_settle);
	json_builder_set_member_name(builder, "windowS");
	json_builder_add_double_value(builder, window_s);
	json_builder_set_member_name(builder, "serverCpuS");
	json_builder_add_double_value(builder, cpu_s);
	json_builder_set_member_name(builder, "serverCpuPct");
	if (b->config.pids->len > 0)
		json_builder_add_double_value(builder, 100 * cpu_s / window_s);
	else
		json_builder_add_null_value(builder);
	json_builder_set_member_name(builder, "redisCpuS");
	if (redis_cpu_s >= 0)
		json_builder_add_double_value(builder, redis_cpu_s);
	else
		json_builder_add_null_value(builder);
	json_builder_set_member_name(builder, "redisCpuPct");
	if (redis_cpu_s >= 0)
		json_builder_add_double_value(builder, 100 * redis_cpu_s / window_s);
	else
		json_builder_add_null_value(builder);
	json_builder_set_member_name(builder, "redis_cmds_per_s");
	if (cmds_per_s >= 0)
		json_builder_add_double_value(builder, cmds_per_s);
	else
		json_builder_add_null_value(builder);
	json_builder_set_member_name(builder, "lgCpuS");
	json_builder_add_double_value(builder, lg_b - lg_a);
	json_builder_set_member_name(builder, "presenceEvents");
	json_builder_add_int_value(
	    builder, (gint64)(rc_bench_runner_get_presence_events(b->runner) - presence_a));
	json_builder_set_member_name(builder, "disconnects");
	json_builder_add_int_value(builder, (gint64)rc_bench_runner_get_disconnects(b->runner));
	bench_end_row(b, builder);
}

/* ------------------------------------------------------------------ main */

static const gchar *figures_help =
    N_("Placement (as the shared harness): client i joins room_(i mod R) in namespace \"/\" and\n"
       "connects to node ((i mod R) + floor(i/R)) mod K (spread) or i mod K (rr); sender s is\n"
       "client s, i.e. member floor(s/R) of room s mod R. Message n of a step is due at n/P s and\n"
       "is sent by sender n mod S; its text is TAG:SENDER:SEQ:SENDTIMENS (monotonic clock of this\n"
       "process). After joining, probe messages are sent until every member of every room has\n"
       "received one. Each step: W s warm-up (not counted), T s measured, then a drain until\n"
       "all expected deliveries arrived, nothing arrived for --drain-idle s, or --drain-max s.\n"
       "\n"
       "Figures (table on stdout, or stderr with --json -; the same and more in the JSON lines):\n"
       "  P          messages/s asked for (all senders together)\n"
       "  sent       measured messages sent\n"
       "  expected   sum over measured messages of their room's size (senders get their own)\n"
       "  delivered  unique measured messages received, over all clients\n"
       "  loss%      (expected - delivered) / expected\n"
       "  dup        a client received the same (sender, seq) again\n"
       "  ooo        a client received a seq lower than one already seen from that sender\n"
       "  p50ms..maxms  latency send -> receipt (includes the generator's own queueing)\n"
       "  deliv/s    delivered / (first measured send -> last delivery, at least the send span)\n"
       "  srv%       CPU (utime+stime) of all --pid processes, first measured send -> end of\n"
       "             drain, in % of one core\n"
       "  us/msg     that CPU time in microseconds per delivered message\n"
       "  rds%       the same CPU share for the --redis-pid process (JSON: redisCpuUsPerMsg too)\n"
       "  lg%, lgus/m  the same for roomcast-bench itself (near 100% = it is the bottleneck)\n"
       "  peakRSS MB VmHWM of each --pid process at the end of the step\n"
       "Idle mode (--idle): rssBefore/rssAfter/rssLate = sum of VmRSS of the --pid processes\n"
       "before connecting, 2 s after all clients joined, and --idle-settle s later; KB/conn and\n"
       "KB/connL = (after or late - before) / C; idleCPUs = their CPU seconds while idle.\n"
       "--find-max: P grows by --step-factor per step (connections kept) until a step fails\n"
       "(loss > --max-loss %, or p99 > --max-p99 ms), the delivered rate grows by less than\n"
       "--min-growth, or the generator cannot send P; then --refine bisection steps; the\n"
       "summary is the highest delivered rate of a passing step.\n"
       "\n"
       "Exit status: 0 done, 1 bad command line or setup, 2 the run failed (connect, barrier,\n"
       "interrupted). See roomcast-bench(1) and docs/bench.md.");

static const gchar *figures_help_more =
    N_("More figures:\n"
       "  join_s     every row: first join sent -> last joined received while connecting\n"
       "             (compare runs with and without --presence)\n"
       "  --idle     srv%, rds% = CPU of the --pid and --redis-pid processes over the idle\n"
       "             window in % of one core; rdsCmd/s = Redis commands per second in it\n"
       "             (INFO stats, --redis-port or --redis-url)\n"
       "  --resume-every, --resume: receivers drop and rejoin with \"since\"; the \"# resume:\"\n"
       "             line counts reconnects, lost (acknowledged deliveries never received),\n"
       "             recovered (replayed after a rejoin), duplicates and order violations\n"
       "             (a room offset going backwards)");

int
main(int argc, char **argv)
{
	g_auto(Options) o = {
	    .clients = 300,
	    .rooms = 30,
	    .senders = 30,
	    .rate = 1000,
	    .duration = 15,
	    .warmup = 3,
	    .step_factor = 1.5,
	    .max_steps = 12,
	    .refine = 2,
	    .max_loss = 0.5,
	    .max_p99 = 250,
	    .min_growth = 1.1,
	    .step_pause = 2,
	    .idle_settle = 10,
	    .connect_concurrency = 50,
	    .connect_timeout = 15,
	    .barrier_timeout = 60,
	    .drain_max = 10,
	    .drain_idle = 3,
	};
	const GOptionEntry entries[] = {
	    {"url",
	     'u',
	     0,
	     G_OPTION_ARG_STRING_ARRAY,
	     &o.urls,
	     N_("Node to connect to, ws://HOST:PORT[/PATH] (path /ws by default); repeat or "
		"comma-separate for K nodes"),
	     N_("URL")},
	    {"clients",
	     'c',
	     0,
	     G_OPTION_ARG_INT,
	     &o.clients,
	     N_("Client connections C (300)"),
	     "C"},
	    {"rooms", 'r', 0, G_OPTION_ARG_INT, &o.rooms, N_("Rooms R (30)"), "R"},
	    {"senders", 's', 0, G_OPTION_ARG_INT, &o.senders, N_("Sending clients S (30)"), "S"},
	    {"rate",
	     'p',
	     0,
	     G_OPTION_ARG_DOUBLE,
	     &o.rate,
	     N_("Messages per second P, all senders together (1000)"),
	     "P"},
	    {"duration",
	     't',
	     0,
	     G_OPTION_ARG_DOUBLE,
	     &o.duration,
	     N_("Measured seconds T per step (15)"),
	     "T"},
	    {"warmup",
	     'w',
	     0,
	     G_OPTION_ARG_DOUBLE,
	     &o.warmup,
	     N_("Warm-up seconds W before each measured phase, not counted (3)"),
	     "W"},
	    {"placement",
	     0,
	     0,
	     G_OPTION_ARG_STRING,
	     &o.placement,
	     N_("Client to node placement: spread (default) or rr"),
	     "spread|rr"},
	    {"msg-bytes",
	     0,
	     0,
	     G_OPTION_ARG_INT,
	     &o.msg_bytes,
	     N_("Pad every message text with N more bytes (0)"),
	     "N"},
	    {"pid",
	     0,
	     0,
	     G_OPTION_ARG_STRING_ARRAY,
	     &o.pids,
	     N_("A server process to measure (CPU per message, peak RSS); repeat or "
		"comma-separate"),
	     N_("PID")},
	    {"redis-pid",
	     0,
	     0,
	     G_OPTION_ARG_INT,
	     &o.redis_pid,
	     N_("The Redis server's process: its CPU per message and peak RSS, reported apart from "
		"the "
		"--pid processes"),
	     N_("PID")},
	    {"find-max",
	     0,
	     0,
	     G_OPTION_ARG_NONE,
	     &o.find_max,
	     N_("Step P up until loss or p99 breaks, report the highest passing delivered rate"),
	     NULL},
	    {"step-factor",
	     0,
	     0,
	     G_OPTION_ARG_DOUBLE,
	     &o.step_factor,
	     N_("--find-max: P multiplier per step (1.5)"),
	     "F"},
	    {"max-steps",
	     0,
	     0,
	     G_OPTION_ARG_INT,
	     &o.max_steps,
	     N_("--find-max: at most N growing steps (12)"),
	     "N"},
	    {"refine",
	     0,
	     0,
	     G_OPTION_ARG_INT,
	     &o.refine,
	     N_("--find-max: bisection steps after the first failure (2)"),
	     "N"},
	    {"max-loss",
	     0,
	     0,
	     G_OPTION_ARG_DOUBLE,
	     &o.max_loss,
	     N_("--find-max: a step fails above this loss in % (0.5)"),
	     "PCT"},
	    {"max-p99",
	     0,
	     0,
	     G_OPTION_ARG_DOUBLE,
	     &o.max_p99,
	     N_("--find-max: a step fails above this p99 in ms (250)"),
	     "MS"},
	    {"min-growth",
	     0,
	     0,
	     G_OPTION_ARG_DOUBLE,
	     &o.min_growth,
	     N_("--find-max: stop when the delivered rate grows by less than this factor (1.1)"),
	     "F"},
	    {"step-pause",
	     0,
	     0,
	     G_OPTION_ARG_DOUBLE,
	     &o.step_pause,
	     N_("--find-max: seconds to wait between steps (2)"),
	     "S"},
	    {"idle",
	     0,
	     0,
	     G_OPTION_ARG_NONE,
	     &o.idle,
	     N_("Connect and join, send nothing, report RSS per connection of the --pid processes"),
	     NULL},
	    {"idle-settle",
	     0,
	     0,
	     G_OPTION_ARG_DOUBLE,
	     &o.idle_settle,
	     N_("--idle: seconds to wait for the late RSS sample (10)"),
	     "S"},
	    {"json",
	     0,
	     0,
	     G_OPTION_ARG_FILENAME,
	     &o.json,
	     N_("Append one JSON line per step to FILE (- = standard output; the table then goes "
		"to "
		"standard error)"),
	     N_("FILE")},
	    {"label",
	     0,
	     0,
	     G_OPTION_ARG_STRING,
	     &o.label,
	     N_("Free text copied into the JSON lines"),
	     N_("TEXT")},
	    {"source-addrs",
	     0,
	     0,
	     G_OPTION_ARG_STRING,
	     &o.source_addrs,
	     N_("Bind client sockets to these source addresses in turn (comma list), or to "
		"127.0.0.1..127.0.0.N for a count N: ~28k ports per address and server"),
	     N_("LIST|N")},
	    {"connect-concurrency",
	     0,
	     0,
	     G_OPTION_ARG_INT,
	     &o.connect_concurrency,
	     N_("Connections being set up at the same time (50)"),
	     "N"},
	    {"connect-timeout",
	     0,
	     0,
	     G_OPTION_ARG_DOUBLE,
	     &o.connect_timeout,
	     N_("Seconds for connect + hello + joined of one client; 3 attempts (15)"),
	     "S"},
	    {"barrier-timeout",
	     0,
	     0,
	     G_OPTION_ARG_DOUBLE,
	     &o.barrier_timeout,
	     N_("Seconds for every member to receive a probe (60)"),
	     "S"},
	    {"drain-max",
	     0,
	     0,
	     G_OPTION_ARG_DOUBLE,
	     &o.drain_max,
	     N_("After the last send, wait at most S seconds for deliveries (10)"),
	     "S"},
	    {"drain-idle",
	     0,
	     0,
	     G_OPTION_ARG_DOUBLE,
	     &o.drain_idle,
	     N_("... or until nothing arrived for S seconds (3)"),
	     "S"},
	    {"presence",
	     0,
	     0,
	     G_OPTION_ARG_NONE,
	     &o.presence,
	     N_("Join with \"presence\":true: every member gets the joins and leaves of its room"),
	     NULL},
	    {"resume-every",
	     0,
	     0,
	     G_OPTION_ARG_DOUBLE,
	     &o.resume_every,
	     N_("Resume scenario: receiving clients drop their connection and resume with "
		"\"since\", each at most once per S seconds (1/S of them per second unless "
		"--resume)"),
	     "S"},
	    {"resume",
	     0,
	     0,
	     G_OPTION_ARG_DOUBLE,
	     &o.resume_fraction,
	     N_("Resume scenario: this fraction of the receiving clients drops per second "
		"(each at most once per --resume-every S, 1 by default)"),
	     N_("FRACTION")},
	    {"redis-port",
	     0,
	     0,
	     G_OPTION_ARG_INT,
	     &o.redis_port,
	     N_("--idle: read the commands Redis on 127.0.0.1:PORT processed over the idle window "
		"(INFO stats)"),
	     N_("PORT")},
	    {"redis-url",
	     0,
	     0,
	     G_OPTION_ARG_STRING,
	     &o.redis_url,
	     N_("The same for a Redis at redis://HOST[:PORT] (no AUTH)"),
	     N_("URL")},
	    {"version",
	     0,
	     0,
	     G_OPTION_ARG_NONE,
	     &o.version,
	     N_("Print the version and exit"),
	     NULL},
	    {NULL},
	};
	g_autoptr(GOptionContext) ctx = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) urls = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) nodes =
	    g_ptr_array_new_with_free_func((GDestroyNotify)rc_bench_node_free);
	g_autoptr(GPtrArray) sources = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GArray) pids = g_array_new(FALSE, FALSE, sizeof(gint));
	g_autoptr(GArray) rss_before = g_array_new(FALSE, TRUE, sizeof(guint64));
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(RcBenchRunner) runner = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GSocketConnectable) redis_info = NULL;
	g_autofree gchar *description = NULL;
	Bench b = {.o = &o, .cancellable = cancellable, .table = stdout};
	guint64 before_kb;
	gboolean ok = TRUE;

	/* rows reach a pipe as they are written, not at exit */
	setvbuf(stdout, NULL, _IOLBF, 0);
	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, RC_LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);

	ctx = g_option_context_new(_("— WebSocket load generator for roomcastd"));
	g_option_context_add_main_entries(ctx, entries, GETTEXT_PACKAGE);
	g_option_context_set_translation_domain(ctx, GETTEXT_PACKAGE);
	description = g_strconcat(_(figures_help), "\n\n", _(figures_help_more), NULL);
	g_option_context_set_description(ctx, description);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		g_printerr("roomcast-bench: %s\n", error->message);
		return EXIT_USAGE;
	}
	if (o.version) {
		g_print("roomcast-bench %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (o.placement == NULL)
		o.placement = g_strdup("spread");
	if (argc > 1) {
		g_printerr(_("roomcast-bench: unexpected argument “%s”\n"), argv[1]);
		return EXIT_USAGE;
	}
	if (!split_list(o.urls, urls)) {
		g_printerr(_("roomcast-bench: at least one --url is needed (see --help)\n"));
		return EXIT_USAGE;
	}
	for (guint i = 0; i < urls->len; i++) {
		RcBenchNode *node = parse_node(g_ptr_array_index(urls, i), &error);
		if (node == NULL) {
			g_printerr("roomcast-bench: --url: %s\n", error->message);
			return EXIT_USAGE;
		}
		g_ptr_array_add(nodes, node);
	}
	if (!check_options(&o, &error) || !parse_source_addrs(o.source_addrs, sources, &error) ||
	    !parse_pids(o.pids, pids, &error) || !check_redis_pid(o.redis_pid, &error) ||
	    !raise_fd_limit((guint)o.clients + 64, &error)) {
		g_printerr("roomcast-bench: %s\n", error->message);
		return EXIT_USAGE;
	}
	if (o.json != NULL) {
		if (g_strcmp0(o.json, "-") == 0) {
			b.json = stdout;
			b.json_is_stdout = TRUE;
			b.table = stderr;
		} else if ((b.json = fopen(o.json, "a")) == NULL) {
			g_printerr(
			    _("roomcast-bench: cannot open %s: %s\n"), o.json, g_strerror(errno));
			return EXIT_USAGE;
		}
	}
	b.progress = isatty(fileno(b.table)) && isatty(STDERR_FILENO);
	redis_info = parse_redis_address(&o, &error);
	b.redis_info = redis_info;
	if (redis_info == NULL && error != NULL) {
		g_printerr("roomcast-bench: %s\n", error->message);
		return EXIT_USAGE;
	}
	if (b.redis_info != NULL) {
		guint64 cmds;

		/* a wrong address is found now, not after connecting thousands of clients */
		if (!bench_redis_commands(&b, &cmds, &error)) {
			g_printerr(_("roomcast-bench: cannot read INFO stats from Redis: %s\n"),
				   error->message);
			return EXIT_USAGE;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	g_unix_signal_add(SIGINT, on_signal_cb, cancellable);
	g_unix_signal_add(SIGTERM, on_signal_cb, cancellable);

	b.config = (RcBenchConfig){
	    .nodes = nodes,
	    .source_addresses = sources,
	    .pids = pids,
	    .redis_pid = o.redis_pid,
	    .clients = (guint)o.clients,
	    .rooms = (guint)o.rooms,
	    .senders = o.idle ? 0 : (guint)o.senders,
	    .placement = g_strcmp0(o.placement, "rr") == 0 ? RC_BENCH_PLACEMENT_RR
							   : RC_BENCH_PLACEMENT_SPREAD,
	    .msg_bytes = (guint)o.msg_bytes,
	    .connect_concurrency = (guint)o.connect_concurrency,
	    .connect_timeout_s = o.connect_timeout,
	    .barrier_timeout_s = o.barrier_timeout,
	    .drain_max_s = o.drain_max,
	    .drain_idle_s = o.drain_idle,
	    .presence = o.presence,
	    .resume_fraction = o.resume_fraction > 0 ? o.resume_fraction
			       : o.resume_every > 0  ? 1 / o.resume_every
						     : 0,
	    .resume_gap_s = o.resume_every > 0 ? o.resume_every : RESUME_GAP_DEFAULT_S,
	};
	runner = rc_bench_runner_new(&b.config, &error);
	if (runner == NULL) {
		g_printerr("roomcast-bench: %s\n", error->message);
		return EXIT_USAGE;
	}
	b.runner = runner;

	before_kb = sum_rss_kb(&b, rss_before);
	rc_bench_runner_connect_async(runner, cancellable, store_result_cb, &res);
	iterate_until(&res);
	ok = rc_bench_runner_connect_finish(runner, res, &error);
	if (ok) {
		g_autoptr(GString) per_node = g_string_new(NULL);

		for (guint i = 0; i < nodes->len; i++)
			g_string_append_printf(per_node,
					       "%s%u",
					       i > 0 ? "/" : "",
					       rc_bench_runner_get_node_clients(runner, i));
		fprintf(b.table,
			_("# roomcast-bench %s: K=%u C=%d R=%d S=%d: connected in %.0f ms, barrier "
			  "%.0f ms, clients/node %s, each room spans >= %u node(s)\n"),
			PACKAGE_VERSION,
			nodes->len,
			o.clients,
			o.rooms,
			o.idle ? 0 : o.senders,
			rc_bench_runner_get_connect_ms(runner),
			rc_bench_runner_get_barrier_ms(runner),
			per_node->str,
			rc_bench_runner_get_min_nodes_per_room(runner));
		if (o.idle) {
			bench_idle(&b, before_kb, rss_before);
			ok = !g_cancellable_set_error_if_cancelled(cancellable, &error);
		} else if (o.find_max) {
			rc_bench_report_print_header(b.table);
			ok = bench_find_max(&b, &error);
		} else {
			gboolean pass;
			g_autoptr(RcBenchStepResult) r = NULL;

			rc_bench_report_print_header(b.table);
			r = bench_run_step(&b, 0, o.rate, "run", &pass, &error);
			ok = r != NULL;
		}
	}
	if (!ok && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		g_printerr(_("roomcast-bench: interrupted\n"));
	else if (!ok)
		g_printerr("roomcast-bench: %s\n", error->message);
	rc_bench_runner_close(runner);
	if (b.json != NULL && !b.json_is_stdout)
		fclose(b.json);
	return ok ? 0 : EXIT_RUN_FAILED;
}
