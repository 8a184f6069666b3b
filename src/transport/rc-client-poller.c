/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcClientPoller"

#include "config.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "transport/rc-client-poller.h"

#define RC_CLIENT_POLLER_BATCH 256

typedef struct _RcParkedSource RcParkedSource;

/* the sources waiting on one fd, and what epoll has registered for it */
typedef struct {
	gint fd;
	guint32 registered; /* epoll events, G_MAXUINT32 when not added */
	GPtrArray *sources; /* RcParkedSource, not owned: each removes itself */
} RcFdWatch;

typedef struct {
	gint fd;
	guint32 events;
} RcWake;

struct _RcClientPoller {
	GSource source;
	gint epfd;
	guint64 round;
	GArray *wakes; /* RcWake: fds to treat as ready without epoll saying so */
	gboolean dispatching;
	guint64 epoll_changes; /* epoll_ctl calls, for the tests */
	guint run_parked_id;
	GMainContext *parking;
	GHashTable *watches; /* fd → RcFdWatch */
};

struct _RcParkedSource {
	GSource source;
	RcClientPoller *poller;
	GObject *stream; /* not owned: the stream owns the source's user */
	gint fd;
	GIOCondition condition;
};

static void
rc_fd_watch_free(RcFdWatch *w)
{
	g_ptr_array_unref(w->sources);
	g_free(w);
}

/* Whether @w only holds destroyed sources of a socket that is gone, when a new
 * source for @stream comes for its fd number. libsoup destroys its input source
 * and makes a new one on every read, inside our dispatch, while the ready list
 * still holds the old one: that is the same socket, still registered, and
 * nothing accepts a connection during a dispatch, so the fd number cannot have
 * changed hands meanwhile. Treating it as stale cost an epoll DEL and ADD per
 * message. */
static gboolean
rc_fd_watch_is_stale(RcFdWatch *w, GObject *stream, gboolean dispatching)
{
	for (guint i = 0; i < w->sources->len; i++) {
		RcParkedSource *ps = g_ptr_array_index(w->sources, i);
		if (!g_source_is_destroyed((GSource *)ps))
			return FALSE;
		if (dispatching && ps->stream == stream)
			return FALSE;
	}
	return TRUE;
}

static gint
rc_client_poller_ctl(RcClientPoller *self, gint op, gint fd, struct epoll_event *ev)
{
	self->epoll_changes++;
	return epoll_ctl(self->epfd, op, fd, ev);
}

static void
rc_client_poller_sync(RcClientPoller *self, RcFdWatch *w)
{
	struct epoll_event ev = {.data.fd = w->fd};
	guint32 wanted = 0;
	gint op;

	for (guint i = 0; i < w->sources->len; i++) {
		RcParkedSource *ps = g_ptr_array_index(w->sources, i);
		if (!g_source_is_destroyed((GSource *)ps))
			wanted |= ps->condition & (G_IO_IN | G_IO_OUT | G_IO_PRI);
	}
	if (w->sources->len == 0) {
		/* before the socket closes: the fd number may be reused at once */
		if (w->registered != G_MAXUINT32)
			rc_client_poller_ctl(self, EPOLL_CTL_DEL, w->fd, NULL);
		g_hash_table_remove(self->watches, GINT_TO_POINTER(w->fd));
		return;
	}
	if (wanted == w->registered)
		return;
	ev.events = wanted;
	op = w->registered == G_MAXUINT32 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
	if (rc_client_poller_ctl(self, op, w->fd, &ev) != 0) {
		g_warning("epoll_ctl(%d): %s", w->fd, g_strerror(errno));
		return;
	}
	w->registered = wanted;
}

static gboolean
rc_parked_source_prepare(GSource *source, gint *timeout)
{
	*timeout = -1;
	return FALSE;
}

static gboolean
rc_parked_source_check(GSource *source)
{
	return FALSE;
}

static gboolean
rc_parked_source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	RcParkedSource *ps = (RcParkedSource *)source;
	if (callback == NULL)
		return G_SOURCE_REMOVE;
	return ((GPollableSourceFunc)(void (*)(void))callback)(ps->stream, user_data);
}

static void
rc_parked_source_finalize(GSource *source)
{
	RcParkedSource *ps = (RcParkedSource *)source;
	RcFdWatch *w = g_hash_table_lookup(ps->poller->watches, GINT_TO_POINTER(ps->fd));
	if (w != NULL && g_ptr_array_remove_fast(w->sources, ps))
		rc_client_poller_sync(ps->poller, w);
	g_source_unref((GSource *)ps->poller);
}

static GSourceFuncs rc_parked_source_funcs = {
    .prepare = rc_parked_source_prepare,
    .check = rc_parked_source_check,
    .dispatch = rc_parked_source_dispatch,
    .finalize = rc_parked_source_finalize,
};

/* What g_main_dispatch() does for a ready source, for one that GLib never sees.
 *
 * This is the one place that reads GSource fields gmain.h marks private
 * (callback_funcs, callback_data): GLib has no public way to call the callback
 * that libsoup set with g_source_set_callback() other than iterating the context
 * the source is attached to, and iterating a context walks every source in it,
 * which is the cost the poller exists to avoid. test-transport's
 * /transport/poller/callback-contract fails if GLib stops keeping the callback
 * there (the callback must run with its data, and the data be dropped once). */
static void
rc_parked_source_invoke(RcParkedSource *ps)
{
	GSource *source = (GSource *)ps;
	GSourceFunc callback = NULL;
	gpointer cb_data = source->callback_data;
	GSourceCallbackFuncs *cb_funcs = source->callback_funcs;
	gpointer user_data = NULL;
	gboolean again;

	GMainContext *parking = NULL;

	if (g_source_is_destroyed(source) || cb_funcs == NULL)
		return;
	/* libsoup re-creates its input source while it reads: keep those parked too */
	if (g_source_get_context(source) == ps->poller->parking)
		parking = ps->poller->parking;
	if (parking != NULL)
		g_main_context_push_thread_default(parking);
	cb_funcs->ref(cb_data);
	cb_funcs->get(cb_data, source, &callback, &user_data);
	again = rc_parked_source_dispatch(source, callback, user_data);
	cb_funcs->unref(cb_data);
	if (parking != NULL)
		g_main_context_pop_thread_default(parking);
	if (!again && !g_source_is_destroyed(source))
		g_source_destroy(source);
}

static void
rc_client_poller_collect(RcClientPoller *self, gint fd, guint32 revents, GPtrArray *ready)
{
	RcFdWatch *w = g_hash_table_lookup(self->watches, GINT_TO_POINTER(fd));
	if (w == NULL)
		return;
	/* errors and hang-ups wake every waiter, as poll(2) would */
	if (revents & (EPOLLERR | EPOLLHUP))
		revents |= G_IO_IN | G_IO_OUT;
	for (guint j = 0; j < w->sources->len; j++) {
		RcParkedSource *ps = g_ptr_array_index(w->sources, j);
		if (ps->condition & revents)
			g_ptr_array_add(ready, g_source_ref((GSource *)ps));
	}
}

static gboolean
rc_client_poller_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	RcClientPoller *self = (RcClientPoller *)source;
	struct epoll_event events[RC_CLIENT_POLLER_BATCH];
	g_autoptr(GPtrArray) ready = g_ptr_array_new_with_free_func((GDestroyNotify)g_source_unref);
	gint n = epoll_wait(self->epfd, events, RC_CLIENT_POLLER_BATCH, 0);

	/* a round: each ready connection gets one turn, then the loop runs others */
	self->round++;
	g_source_set_ready_time(source, -1);
	/* collect first: callbacks close connections and drop watches */
	for (guint i = 0; i < self->wakes->len; i++) {
		RcWake *wake = &g_array_index(self->wakes, RcWake, i);
		rc_client_poller_collect(self, wake->fd, wake->events, ready);
	}
	g_array_set_size(self->wakes, 0);
	for (gint i = 0; i < n; i++)
		rc_client_poller_collect(self, events[i].data.fd, events[i].events, ready);
	self->dispatching = TRUE;
	for (guint i = 0; i < ready->len; i++)
		rc_parked_source_invoke(g_ptr_array_index(ready, i));
	self->dispatching = FALSE;
	return G_SOURCE_CONTINUE;
}

void
rc_client_poller_wake(RcClientPoller *self, gint fd, GIOCondition condition)
{
	RcWake wake = {fd, condition};
	g_array_append_val(self->wakes, wake);
	g_source_set_ready_time((GSource *)self, 0);
}

guint64
rc_client_poller_get_round(RcClientPoller *self)
{
	return self->round;
}

guint64
rc_client_poller_get_epoll_changes(RcClientPoller *self)
{
	return self->epoll_changes;
}

static GSourceFuncs rc_client_poller_funcs = {
    .dispatch = rc_client_poller_dispatch,
};

/* the main loop's poller; it lives as long as the process */
static RcClientPoller *rc_client_poller_default = NULL;

RcClientPoller *
rc_client_poller_get_default(void)
{
	RcClientPoller *self;
	gint epfd;

	if (rc_client_poller_default != NULL)
		return rc_client_poller_default;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		g_error("epoll_create1: %s", g_strerror(errno));
	self = (RcClientPoller *)g_source_new(&rc_client_poller_funcs, sizeof(RcClientPoller));
	g_source_set_static_name((GSource *)self, "RcClientPoller");
	self->epfd = epfd;
	self->wakes = g_array_new(FALSE, FALSE, sizeof(RcWake));
	self->parking = g_main_context_new();
	self->watches =
	    g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)rc_fd_watch_free);
	g_source_add_unix_fd((GSource *)self, epfd, G_IO_IN);
	/* GLib blocks a source for its dispatch by taking its fds out of the poll set
	 * and putting them back, and each of those wakes the loop through its eventfd:
	 * two writes, a read and an empty iteration per dispatch. Nothing here runs
	 * the main context again from inside, so there is nothing to block. */
	g_source_set_can_recurse((GSource *)self, TRUE);
	g_source_attach((GSource *)self, NULL);
	rc_client_poller_default = self;
	return self;
}

GMainContext *
rc_client_poller_get_parking_context(RcClientPoller *self)
{
	return self->parking;
}

GSource *
rc_client_poller_create_source(RcClientPoller *self,
			       GObject *stream,
			       gint fd,
			       GIOCondition condition)
{
	RcParkedSource *ps = (RcParkedSource *)g_source_new(&rc_parked_source_funcs,
							    sizeof(RcParkedSource));
	RcFdWatch *w = g_hash_table_lookup(self->watches, GINT_TO_POINTER(fd));

	g_source_set_static_name((GSource *)ps, "RcParkedSource");
	ps->poller = (RcClientPoller *)g_source_ref((GSource *)self);
	ps->stream = stream;
	ps->fd = fd;
	ps->condition = condition;
	if (w != NULL && rc_fd_watch_is_stale(w, stream, self->dispatching)) {
		/* Only destroyed sources that someone still holds a reference to: their
		 * socket is closed and this fd is a new one, which epoll does not know. */
		if (w->registered != G_MAXUINT32)
			rc_client_poller_ctl(self, EPOLL_CTL_DEL, w->fd, NULL);
		w->registered = G_MAXUINT32;
	}
	if (w == NULL) {
		w = g_new0(RcFdWatch, 1);
		w->fd = fd;
		w->registered = G_MAXUINT32;
		w->sources = g_ptr_array_new();
		g_hash_table_insert(self->watches, GINT_TO_POINTER(fd), w);
	}
	g_ptr_array_add(w->sources, ps);
	rc_client_poller_sync(self, w);
	return (GSource *)ps;
}

void
rc_client_poller_leave(void)
{
	g_main_context_push_thread_default(g_main_context_default());
}

void
rc_client_poller_return(void)
{
	g_main_context_pop_thread_default(g_main_context_default());
}

static gboolean
rc_client_poller_run_parked_cb(gpointer user_data)
{
	RcClientPoller *self = user_data;
	self->run_parked_id = 0;
	/* parked sources never say they are ready: only idles and timeouts run here */
	while (g_main_context_pending(self->parking))
		g_main_context_iteration(self->parking, FALSE);
	return G_SOURCE_REMOVE;
}

void
rc_client_poller_run_parked_soon(RcClientPoller *self)
{
	/* low priority: after the default-priority idle that completes the close */
	if (self->run_parked_id == 0)
		self->run_parked_id = g_idle_add_full(G_PRIORITY_LOW,
						      rc_client_poller_run_parked_cb,
						      self,
						      NULL);
}
