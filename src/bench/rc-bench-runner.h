/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
	RC_BENCH_PLACEMENT_SPREAD,
	RC_BENCH_PLACEMENT_RR,
} RcBenchPlacement;

/* One node to connect to, from a ws:// URL */
typedef struct {
	gchar *url;
	GSocketAddress *address;
	gchar *host_header; /* HOST:PORT */
	gchar *path;	    /* e.g. "/ws" */
} RcBenchNode;

typedef struct {
	GPtrArray *nodes;	     /* RcBenchNode; K = nodes->len */
	GPtrArray *source_addresses; /* GInetAddress, may be empty */
	GArray *pids;		     /* gint: server processes to account CPU and memory for */
	gint redis_pid;		     /* the Redis server, accounted on its own; 0: none */
	guint clients;		     /* C */
	guint rooms;		     /* R */
	guint senders;		     /* S */
	RcBenchPlacement placement;
	guint msg_bytes; /* padding added to every message text */
	guint connect_concurrency;
	gdouble connect_timeout_s;
	gdouble barrier_timeout_s;
	gdouble drain_max_s;
	gdouble drain_idle_s;
	gboolean presence; /* join with "presence":true */
	/* the resume scenario: receivers (clients S..C-1) drop their connection and join again
	 * with "since"; resume_fraction of them per second, each at most once per resume_gap_s;
	 * 0: off */
	gdouble resume_fraction;
	gdouble resume_gap_s;
} RcBenchConfig;

void rc_bench_node_free(RcBenchNode *node);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcBenchNode, rc_bench_node_free)

/* CPU and memory of one --pid process over a step */
typedef struct {
	gint pid;
	gboolean ok; /* FALSE: /proc could not be read (the process is gone?) */
	gdouble cpu_s;
	gdouble peak_rss_mb; /* VmHWM at the end of the step */
	gdouble rss_mb;	     /* VmRSS at the end of the step */
	gdouble read_mb;     /* bytes read (rchar) in the CPU window, MiB; < 0 when unknown */
	gdouble written_mb;  /* bytes written (wchar) in the CPU window, MiB; < 0 when unknown */
} RcBenchPidStats;

typedef struct {
	guint step;
	gdouble rate; /* P asked for */
	gdouble duration_s;
	gdouble warmup_s;
	guint64 sent;
	guint64 send_failed; /* measured messages not sent: the sender's connection was closed */
	guint64 expected;
	guint64 delivered;
	gdouble loss_pct;
	guint64 duplicates;
	guint64 out_of_order;
	guint64 stale;
	guint64 bad_text;
	gdouble lat_ms_p50, lat_ms_p90, lat_ms_p99, lat_ms_p999, lat_ms_max;
	gboolean have_latency;
	gdouble send_span_s;
	gdouble delivery_span_s;
	gdouble sent_per_s;
	gdouble delivered_per_s;
	gdouble max_send_lag_ms;
	gdouble window_s;    /* wall time of the CPU window: first measured send to end of drain */
	guint64 disconnects; /* cumulative since connecting */
	guint64 client_errors; /* error frames during the step */
	guint64 acks;
	GHashTable *error_codes; /* code -> GUINT_TO_POINTER(count) */
	GArray *pids;		 /* RcBenchPidStats */
	gdouble server_cpu_s;	 /* sum over pids */
	gdouble server_cpu_pct;
	gdouble server_cpu_us_per_msg; /* < 0 when unknown */
	gdouble redis_cpu_s;	       /* < 0 when there is no (readable) --redis-pid */
	gdouble redis_cpu_pct;
	gdouble redis_cpu_us_per_msg;
	gdouble redis_peak_rss_mb;
	gdouble lg_cpu_s;
	gdouble lg_cpu_pct;
	gdouble lg_cpu_us_per_msg;
	gdouble lg_peak_rss_mb;
	gdouble join_s;		 /* first join sent -> last joined received, when connecting */
	guint64 presence_events; /* presence frames received during the step */
	/* the resume scenario (all 0 without it); see docs/bench.md */
	gboolean resume;
	guint64 reconnects;	  /* drops done and joined again with "since" */
	guint64 reconnect_failed; /* reconnects that gave up (RESUME_ATTEMPTS) */
	guint64 acked_expected;	  /* Σ room size over the measured messages acked */
	guint64 lost;		  /* acked_expected - delivered */
	guint64 recovered;	  /* deliveries replayed after a rejoin (offset <= joined offset) */
	guint64 not_recovered;	  /* rejoins answered "recovered":false */
	guint64 offset_backwards; /* a client saw a room offset lower than one before */
} RcBenchStepResult;

void rc_bench_step_result_free(RcBenchStepResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcBenchStepResult, rc_bench_step_result_free)

/* Owns the C client connections and runs the phases of a benchmark on the thread-default main
 * context: connect + join + readiness barrier once, then any number of measured steps. */
#define RC_TYPE_BENCH_RUNNER (rc_bench_runner_get_type())
G_DECLARE_FINAL_TYPE(RcBenchRunner, rc_bench_runner, RC, BENCH_RUNNER, GObject)

/* @config is copied (the arrays are referenced) */
RcBenchRunner *rc_bench_runner_new(const RcBenchConfig *config, GError **error);

/* Connects every client (connect_concurrency at a time, up to 3 attempts each), joins it to its
 * room, then sends probes until every member of every room has received one. */
void rc_bench_runner_connect_async(RcBenchRunner *self,
				   GCancellable *cancellable,
				   GAsyncReadyCallback callback,
				   gpointer user_data);
gboolean rc_bench_runner_connect_finish(RcBenchRunner *self, GAsyncResult *result, GError **error);
gdouble rc_bench_runner_get_connect_ms(RcBenchRunner *self);
gdouble rc_bench_runner_get_barrier_ms(RcBenchRunner *self);
/* clients placed on node @node */
guint rc_bench_runner_get_node_clients(RcBenchRunner *self, guint node);
/* fewest distinct nodes any room has members on */
guint rc_bench_runner_get_min_nodes_per_room(RcBenchRunner *self);
guint64 rc_bench_runner_get_disconnects(RcBenchRunner *self);
/* seconds from the first join sent to the last joined received while connecting */
gdouble rc_bench_runner_get_join_s(RcBenchRunner *self);
/* presence frames received since connecting */
guint64 rc_bench_runner_get_presence_events(RcBenchRunner *self);
/* where the running step is, for a progress line: FALSE when no step runs */
gboolean rc_bench_runner_get_progress(RcBenchRunner *self,
				      gdouble *elapsed_s,
				      guint64 *sent,
				      guint64 *delivered,
				      guint64 *expected,
				      guint64 *reconnects);

/* Warm-up then measured phase on one schedule (message n due at n/@rate s, round-robin over
 * the senders), then a drain; see docs/bench.md for every figure of the result. */
void rc_bench_runner_run_step_async(RcBenchRunner *self,
				    guint step,
				    gdouble rate,
				    gdouble duration_s,
				    gdouble warmup_s,
				    GCancellable *cancellable,
				    GAsyncReadyCallback callback,
				    gpointer user_data);
RcBenchStepResult *
rc_bench_runner_run_step_finish(RcBenchRunner *self, GAsyncResult *result, GError **error);

/* closes every client connection */
void rc_bench_runner_close(RcBenchRunner *self);

G_END_DECLS
