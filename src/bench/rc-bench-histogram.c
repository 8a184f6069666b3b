/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcBench"

#include <string.h>

#include "rc-bench-histogram.h"

#define SUB_BITS 6
#define SUB_COUNT (1u << SUB_BITS)
/* values below 2 * SUB_COUNT are exact; above, one group of SUB_COUNT per power of two */
#define N_BUCKETS (2 * SUB_COUNT + (64 - SUB_BITS - 1) * SUB_COUNT)

struct _RcBenchHistogram {
	guint64 count;
	guint64 max;
	guint64 buckets[N_BUCKETS];
};

static inline guint
bucket_index(guint64 v)
{
	guint msb, shift;

	if (v < 2 * SUB_COUNT)
		return (guint)v;
	msb = 63 - (guint)__builtin_clzll(v);
	shift = msb - SUB_BITS;
	/* v >> shift is in [SUB_COUNT, 2 * SUB_COUNT) */
	return 2 * SUB_COUNT + (shift - 1) * SUB_COUNT + (guint)((v >> shift) - SUB_COUNT);
}

static guint64
bucket_midpoint(guint idx)
{
	guint shift, sub;

	if (idx < 2 * SUB_COUNT)
		return idx;
	shift = (idx - 2 * SUB_COUNT) / SUB_COUNT + 1;
	sub = (idx - 2 * SUB_COUNT) % SUB_COUNT + SUB_COUNT;
	return ((guint64)sub << shift) + ((G_GUINT64_CONSTANT(1) << shift) >> 1);
}

RcBenchHistogram *
rc_bench_histogram_new(void)
{
	return g_new0(RcBenchHistogram, 1);
}

void
rc_bench_histogram_free(RcBenchHistogram *self)
{
	g_free(self);
}

void
rc_bench_histogram_reset(RcBenchHistogram *self)
{
	memset(self, 0, sizeof(*self));
}

void
rc_bench_histogram_record(RcBenchHistogram *self, guint64 value)
{
	self->buckets[bucket_index(value)]++;
	self->count++;
	if (value > self->max)
		self->max = value;
}

guint64
rc_bench_histogram_get_count(RcBenchHistogram *self)
{
	return self->count;
}

guint64
rc_bench_histogram_get_max(RcBenchHistogram *self)
{
	return self->max;
}

guint64
rc_bench_histogram_get_percentile(RcBenchHistogram *self, gdouble fraction)
{
	guint64 rank, seen = 0;

	if (self->count == 0)
		return 0;
	rank = (guint64)(CLAMP(fraction, 0.0, 1.0) * (gdouble)self->count) + 1;
	if (rank > self->count)
		rank = self->count;
	for (guint i = 0; i < N_BUCKETS; i++) {
		seen += self->buckets[i];
		if (seen >= rank)
			return MIN(bucket_midpoint(i), self->max);
	}
	return self->max;
}
