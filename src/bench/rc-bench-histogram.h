/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A log-bucket latency histogram in the spirit of HdrHistogram: every power of two is split
 * into 64 linear sub-buckets, so a recorded value is known within 1/64 (< 1.6 %) while the
 * whole range from 1 ns to hours takes a few kilobytes and recording never allocates. */
typedef struct _RcBenchHistogram RcBenchHistogram;

RcBenchHistogram *rc_bench_histogram_new(void);
void rc_bench_histogram_free(RcBenchHistogram *self);
void rc_bench_histogram_reset(RcBenchHistogram *self);
void rc_bench_histogram_record(RcBenchHistogram *self, guint64 value);
guint64 rc_bench_histogram_get_count(RcBenchHistogram *self);
/* exact largest recorded value, 0 when empty */
guint64 rc_bench_histogram_get_max(RcBenchHistogram *self);
/* value at or below which @fraction (0..1) of the recorded values lie: the
 * (floor(fraction * count) + 1)-th smallest value, as the midpoint of its bucket (never above
 * the exact maximum); 0 when empty */
guint64 rc_bench_histogram_get_percentile(RcBenchHistogram *self, gdouble fraction);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcBenchHistogram, rc_bench_histogram_free)

G_END_DECLS
