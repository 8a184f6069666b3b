/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcBench"

#include <errno.h>
#include <glib/gi18n.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "rc-bench-poller.h"

#define MAX_EVENTS 512

typedef struct {
	GSource parent;
	RcBenchPoller *poller; /* not a reference: the poller owns the source */
} PollerSource;

struct _RcBenchPoller {
	GObject parent_instance;
	int epfd;
	GSource *source;
	gboolean dispatching;
	GPtrArray *removed; /* watches removed while a batch of events is being dispatched */
	struct epoll_event events[MAX_EVENTS];
};

G_DEFINE_TYPE(RcBenchPoller, rc_bench_poller, G_TYPE_OBJECT)

static guint32
to_epoll(GIOCondition events)
{
	return ((events & G_IO_IN) ? EPOLLIN : 0) | ((events & G_IO_OUT) ? EPOLLOUT : 0);
}

static GIOCondition
from_epoll(guint32 ev)
{
	return ((ev & EPOLLIN) ? G_IO_IN : 0) | ((ev & EPOLLOUT) ? G_IO_OUT : 0) |
	       ((ev & EPOLLERR) ? G_IO_ERR : 0) | ((ev & (EPOLLHUP | EPOLLRDHUP)) ? G_IO_HUP : 0);
}

static gboolean
poller_source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	RcBenchPoller *self = ((PollerSource *)source)->poller;
	int n;

	do {
		n = epoll_wait(self->epfd, self->events, MAX_EVENTS, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		g_warning("epoll_wait: %s", g_strerror(errno));
		return G_SOURCE_CONTINUE;
	}
	g_object_ref(self);
	self->dispatching = TRUE;
	for (int i = 0; i < n; i++) {
		RcBenchPollerWatch *watch = self->events[i].data.ptr;

		if (self->removed->len > 0 && g_ptr_array_find(self->removed, watch, NULL))
			continue;
		watch->func(from_epoll(self->events[i].events), watch->user_data);
	}
	self->dispatching = FALSE;
	g_ptr_array_set_size(self->removed, 0);
	g_object_unref(self);
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs poller_source_funcs = {
    .dispatch = poller_source_dispatch,
};

gboolean
rc_bench_poller_add(
    RcBenchPoller *self, int fd, GIOCondition events, RcBenchPollerWatch *watch, GError **error)
{
	struct epoll_event ev = {.events = to_epoll(events), .data.ptr = watch};

	if (epoll_ctl(self->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		int saved = errno;
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(saved),
			    "epoll_ctl: %s",
			    g_strerror(saved));
		return FALSE;
	}
	return TRUE;
}

void
rc_bench_poller_modify(RcBenchPoller *self, int fd, GIOCondition events, RcBenchPollerWatch *watch)
{
	struct epoll_event ev = {.events = to_epoll(events), .data.ptr = watch};

	if (epoll_ctl(self->epfd, EPOLL_CTL_MOD, fd, &ev) != 0)
		g_warning("epoll_ctl(MOD, %d): %s", fd, g_strerror(errno));
}

void
rc_bench_poller_remove(RcBenchPoller *self, int fd, RcBenchPollerWatch *watch)
{
	epoll_ctl(self->epfd, EPOLL_CTL_DEL, fd, NULL);
	if (self->dispatching)
		g_ptr_array_add(self->removed, watch);
}

static void
rc_bench_poller_finalize(GObject *object)
{
	RcBenchPoller *self = RC_BENCH_POLLER(object);

	if (self->source != NULL) {
		g_source_destroy(self->source);
		g_source_unref(self->source);
	}
	if (self->epfd >= 0)
		close(self->epfd);
	g_ptr_array_unref(self->removed);
	G_OBJECT_CLASS(rc_bench_poller_parent_class)->finalize(object);
}

static void
rc_bench_poller_class_init(RcBenchPollerClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = rc_bench_poller_finalize;
}

static void
rc_bench_poller_init(RcBenchPoller *self)
{
	self->epfd = -1;
	self->removed = g_ptr_array_new();
}

RcBenchPoller *
rc_bench_poller_new(GError **error)
{
	g_autoptr(RcBenchPoller) self = g_object_new(RC_TYPE_BENCH_POLLER, NULL);

	self->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (self->epfd < 0) {
		int saved = errno;
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(saved),
			    "epoll_create1: %s",
			    g_strerror(saved));
		return NULL;
	}
	self->source = g_source_new(&poller_source_funcs, sizeof(PollerSource));
	((PollerSource *)self->source)->poller = self;
	g_source_set_name(self->source, "RcBenchPoller");
	g_source_add_unix_fd(self->source, self->epfd, G_IO_IN);
	g_source_attach(self->source, g_main_context_get_thread_default());
	return g_steal_pointer(&self);
}
