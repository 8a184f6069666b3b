/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Readiness of many sockets through one epoll descriptor, dispatched from one GSource on the
 * thread-default main context. GLib's own poll() walks every descriptor on every loop
 * iteration, which costs a load generator with thousands of sockets more than all its real
 * work (docs/bench.md has the numbers); here the main loop polls one descriptor and the
 * kernel reports only the ready sockets. */
#define RC_TYPE_BENCH_POLLER (rc_bench_poller_get_type())
G_DECLARE_FINAL_TYPE(RcBenchPoller, rc_bench_poller, RC, BENCH_POLLER, GObject)

typedef void (*RcBenchPollerFunc)(GIOCondition revents, gpointer user_data);

/* What the poller calls for one descriptor; owned by the caller and kept alive (and at the
 * same address) from rc_bench_poller_add() to rc_bench_poller_remove(). */
typedef struct {
	RcBenchPollerFunc func;
	gpointer user_data;
} RcBenchPollerWatch;

RcBenchPoller *rc_bench_poller_new(GError **error);

/* @events: G_IO_IN and/or G_IO_OUT; errors and hang-ups are always reported */
gboolean rc_bench_poller_add(
    RcBenchPoller *self, int fd, GIOCondition events, RcBenchPollerWatch *watch, GError **error);
void
rc_bench_poller_modify(RcBenchPoller *self, int fd, GIOCondition events, RcBenchPollerWatch *watch);
/* before closing @fd; events of @watch already fetched are dropped */
void rc_bench_poller_remove(RcBenchPoller *self, int fd, RcBenchPollerWatch *watch);

G_END_DECLS
