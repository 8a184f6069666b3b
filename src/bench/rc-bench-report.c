/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcBench"

#include <glib/gi18n.h>

#include "rc-bench-report.h"

void
rc_bench_report_print_header(FILE *out)
{
	fprintf(out,
		"%-5s %4s %8s %9s %10s %10s %7s %6s %6s %8s %8s %8s %8s %10s %6s %7s %5s %6s %7s "
		"%8s %s\n",
		"mode",
		"step",
		"P",
		"sent",
		"expected",
		"delivered",
		"loss%",
		"dup",
		"ooo",
		"p50ms",
		"p90ms",
		"p99ms",
		"maxms",
		"deliv/s",
		"srv%",
		"us/msg",
		"rds%",
		"lg%",
		"lgus/m",
		"join_s",
		"peakRSS MB");
}

static gchar *
peak_rss_list(const RcBenchStepResult *r)
{
	g_autoptr(GString) s = g_string_new(NULL);

	for (guint i = 0; i < r->pids->len; i++) {
		const RcBenchPidStats *ps = &g_array_index(r->pids, RcBenchPidStats, i);
		if (i > 0)
			g_string_append_c(s, '/');
		if (ps->ok)
			g_string_append_printf(s, "%.1f", ps->peak_rss_mb);
		else
			g_string_append_c(s, '?');
	}
	if (s->len == 0)
		g_string_append_c(s, '-');
	return g_string_free(g_steal_pointer(&s), FALSE);
}

void
rc_bench_report_print_step(FILE *out, const gchar *mode, const RcBenchStepResult *r)
{
	g_autofree gchar *rss = peak_rss_list(r);
	g_autofree gchar *us = r->server_cpu_us_per_msg >= 0
				   ? g_strdup_printf("%.2f", r->server_cpu_us_per_msg)
				   : g_strdup("-");
	g_autofree gchar *srv =
	    r->pids->len > 0 ? g_strdup_printf("%.1f", r->server_cpu_pct) : g_strdup("-");
	g_autofree gchar *rds =
	    r->redis_cpu_s >= 0 ? g_strdup_printf("%.1f", r->redis_cpu_pct) : g_strdup("-");

	fprintf(out,
		"%-5s %4u %8.0f %9" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT
		" %7.3f %6" G_GUINT64_FORMAT " %6" G_GUINT64_FORMAT
		" %8.2f %8.2f %8.2f %8.2f %10.0f %6s %7s %5s %6.1f %7.2f %8.3f %s\n",
		mode,
		r->step,
		r->rate,
		r->sent,
		r->expected,
		r->delivered,
		r->loss_pct,
		r->duplicates,
		r->out_of_order,
		r->lat_ms_p50,
		r->lat_ms_p90,
		r->lat_ms_p99,
		r->lat_ms_max,
		r->delivered_per_s,
		srv,
		us,
		rds,
		r->lg_cpu_pct,
		MAX(r->lg_cpu_us_per_msg, 0),
		r->join_s,
		rss);
	fflush(out);
}

void
rc_bench_report_print_warnings(FILE *out, const RcBenchStepResult *r)
{
	if (r->resume)
		fprintf(
		    out,
		    _("#   resume: %llu reconnects, %llu lost, %llu recovered, %llu duplicates, "
		      "%llu order violations, %llu rejoins not recovered, %llu reconnects gave "
		      "up\n"),
		    (unsigned long long)r->reconnects,
		    (unsigned long long)r->lost,
		    (unsigned long long)r->recovered,
		    (unsigned long long)r->duplicates,
		    (unsigned long long)r->offset_backwards,
		    (unsigned long long)r->not_recovered,
		    (unsigned long long)r->reconnect_failed);
	if (r->lg_cpu_pct > 85)
		fprintf(
		    out,
		    _("#   the load generator used %.0f%% of a core: it may be the bottleneck\n"),
		    r->lg_cpu_pct);
	if (r->max_send_lag_ms > 50)
		fprintf(out, _("#   senders fell %.0f ms behind schedule\n"), r->max_send_lag_ms);
	if (r->disconnects > 0)
		fprintf(out,
			_("#   %" G_GUINT64_FORMAT " client disconnects so far\n"),
			r->disconnects);
	if (r->send_failed > 0)
		fprintf(out,
			_("#   %" G_GUINT64_FORMAT
			  " messages could not be sent (sender disconnected)\n"),
			r->send_failed);
	if (r->client_errors > 0)
		fprintf(out,
			_("#   %" G_GUINT64_FORMAT " error frames from the servers\n"),
			r->client_errors);
	if (r->bad_text > 0)
		fprintf(out,
			_("#   %" G_GUINT64_FORMAT " frames with an unreadable text\n"),
			r->bad_text);
	for (guint i = 0; i < r->pids->len; i++) {
		const RcBenchPidStats *ps = &g_array_index(r->pids, RcBenchPidStats, i);
		if (!ps->ok)
			fprintf(
			    out, _("#   cannot read /proc/%d: the process is gone?\n"), ps->pid);
	}
}

static void
add_double(JsonBuilder *b, const gchar *name, gdouble v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_double_value(b, v);
}

static void
add_int(JsonBuilder *b, const gchar *name, gint64 v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, v);
}

static void
add_double_or_null(JsonBuilder *b, const gchar *name, gboolean have, gdouble v)
{
	json_builder_set_member_name(b, name);
	if (have)
		json_builder_add_double_value(b, v);
	else
		json_builder_add_null_value(b);
}

void
rc_bench_report_add_step(JsonBuilder *b, const RcBenchStepResult *r)
{
	GHashTableIter iter;
	gpointer key, value;

	add_int(b, "step", r->step);
	add_double(b, "P", r->rate);
	add_double(b, "T", r->duration_s);
	add_double(b, "warmup", r->warmup_s);
	add_int(b, "sent", (gint64)r->sent);
	add_int(b, "sendFailed", (gint64)r->send_failed);
	add_int(b, "expected", (gint64)r->expected);
	add_int(b, "delivered", (gint64)r->delivered);
	add_double(b, "lossPct", r->loss_pct);
	add_int(b, "duplicates", (gint64)r->duplicates);
	add_int(b, "outOfOrder", (gint64)r->out_of_order);
	add_int(b, "stale", (gint64)r->stale);
	add_int(b, "badText", (gint64)r->bad_text);
	json_builder_set_member_name(b, "latMs");
	json_builder_begin_object(b);
	add_double_or_null(b, "p50", r->have_latency, r->lat_ms_p50);
	add_double_or_null(b, "p90", r->have_latency, r->lat_ms_p90);
	add_double_or_null(b, "p99", r->have_latency, r->lat_ms_p99);
	add_double_or_null(b, "p999", r->have_latency, r->lat_ms_p999);
	add_double_or_null(b, "max", r->have_latency, r->lat_ms_max);
	json_builder_end_object(b);
	add_double(b, "sendSpanS", r->send_span_s);
	add_double(b, "deliverySpanS", r->delivery_span_s);
	add_double(b, "sentPerSec", r->sent_per_s);
	add_double(b, "deliveredPerSec", r->delivered_per_s);
	add_double(b, "maxSendLagMs", r->max_send_lag_ms);
	add_double(b, "windowS", r->window_s);
	add_int(b, "disconnects", (gint64)r->disconnects);
	add_int(b, "clientErrors", (gint64)r->client_errors);
	add_int(b, "acks", (gint64)r->acks);
	json_builder_set_member_name(b, "errorCodes");
	json_builder_begin_object(b);
	g_hash_table_iter_init(&iter, r->error_codes);
	while (g_hash_table_iter_next(&iter, &key, &value))
		add_int(b, key, GPOINTER_TO_UINT(value));
	json_builder_end_object(b);
	json_builder_set_member_name(b, "nodes");
	json_builder_begin_array(b);
	for (guint i = 0; i < r->pids->len; i++) {
		const RcBenchPidStats *ps = &g_array_index(r->pids, RcBenchPidStats, i);

		json_builder_begin_object(b);
		add_int(b, "pid", ps->pid);
		json_builder_set_member_name(b, "ok");
		json_builder_add_boolean_value(b, ps->ok);
		add_double(b, "cpuS", ps->cpu_s);
		add_double(b, "peakRssMB", ps->peak_rss_mb);
		add_double(b, "rssMB", ps->rss_mb);
		add_double_or_null(b, "readMB", ps->read_mb >= 0, ps->read_mb);
		add_double_or_null(b, "writtenMB", ps->written_mb >= 0, ps->written_mb);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	add_double(b, "serverCpuS", r->server_cpu_s);
	add_double(b, "serverCpuPct", r->server_cpu_pct);
	add_double_or_null(
	    b, "serverCpuUsPerMsg", r->server_cpu_us_per_msg >= 0, r->server_cpu_us_per_msg);
	add_double_or_null(b, "redisCpuS", r->redis_cpu_s >= 0, r->redis_cpu_s);
	add_double_or_null(b, "redisCpuPct", r->redis_cpu_s >= 0, r->redis_cpu_pct);
	add_double_or_null(
	    b, "redisCpuUsPerMsg", r->redis_cpu_us_per_msg >= 0, r->redis_cpu_us_per_msg);
	add_double_or_null(b, "redisPeakRssMB", r->redis_peak_rss_mb > 0, r->redis_peak_rss_mb);
	add_double(b, "lgCpuS", r->lg_cpu_s);
	add_double(b, "lgCpuPct", r->lg_cpu_pct);
	add_double_or_null(b, "lgCpuUsPerMsg", r->lg_cpu_us_per_msg >= 0, r->lg_cpu_us_per_msg);
	add_double(b, "lgPeakRssMB", r->lg_peak_rss_mb);
	add_int(b, "presenceEvents", (gint64)r->presence_events);
	if (r->resume) {
		json_builder_set_member_name(b, "resume");
		json_builder_begin_object(b);
		add_int(b, "reconnects", (gint64)r->reconnects);
		add_int(b, "reconnectFailed", (gint64)r->reconnect_failed);
		add_int(b, "ackedExpected", (gint64)r->acked_expected);
		add_int(b, "lost", (gint64)r->lost);
		add_int(b, "recovered", (gint64)r->recovered);
		add_int(b, "duplicates", (gint64)r->duplicates);
		add_int(b, "orderViolations", (gint64)r->offset_backwards);
		add_int(b, "notRecovered", (gint64)r->not_recovered);
		json_builder_end_object(b);
	}
}

gchar *
rc_bench_report_to_line(JsonBuilder *builder)
{
	g_autoptr(JsonGenerator) gen = json_generator_new();
	g_autoptr(JsonNode) root = json_builder_get_root(builder);

	json_generator_set_root(gen, root);
	return json_generator_to_data(gen, NULL);
}
