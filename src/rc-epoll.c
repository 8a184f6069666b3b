/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcEpoll"

#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rc-epoll.h"

/* One file descriptor as epoll knows it. GLib may list one fd several times
 * (a connection's input and output sources): the entry holds the union, and the
 * indices of this iteration's GPollFDs are chained through `next`. */
typedef struct {
	gint fd;
	guint32 registered;
	guint32 wanted;
	guint generation;
	gint first;
	gboolean always_ready; /* epoll refuses regular files; poll(2) says they're ready */
} RcEpollEntry;

typedef struct {
	gint epfd;
	guint generation;
	GHashTable *entries; /* fd → RcEpollEntry */
	gint *next;
	guint next_len;
	struct epoll_event *events;
	guint events_len;
} RcEpoll;

/* one poll function per process: GPollFunc has no user data */
static RcEpoll *rc_epoll = NULL;

/* fds closed since the last poll, from any thread */
static GMutex rc_epoll_closed_lock;
static GArray *rc_epoll_closed = NULL;

/* Linux hands out the lowest free fd, so a socket closed in one dispatch and a
 * connection accepted in the next callback share a number: both look the same in
 * GLib's list, but the kernel dropped the old registration at close(). GLib has
 * no close hook, so roomcastd interposes close() itself (the executable's symbol
 * wins over libc's for GLib, libsoup and hiredis too) and re-registers. */
int close(int fd);
int
close(int fd)
{
	if (fd >= 0 && g_atomic_pointer_get(&rc_epoll) != NULL) {
		g_mutex_lock(&rc_epoll_closed_lock);
		g_array_append_val(rc_epoll_closed, fd);
		g_mutex_unlock(&rc_epoll_closed_lock);
	}
	return (int)syscall(SYS_close, fd);
}

static void
rc_epoll_forget_closed(RcEpoll *self)
{
	g_mutex_lock(&rc_epoll_closed_lock);
	for (guint i = 0; i < rc_epoll_closed->len; i++) {
		gint fd = g_array_index(rc_epoll_closed, gint, i);
		RcEpollEntry *e = g_hash_table_lookup(self->entries, GINT_TO_POINTER(fd));
		if (e != NULL) {
			e->registered = G_MAXUINT32;
			e->always_ready = FALSE;
		}
	}
	g_array_set_size(rc_epoll_closed, 0);
	g_mutex_unlock(&rc_epoll_closed_lock);
}

static gboolean
rc_epoll_ctl(RcEpoll *self, RcEpollEntry *e)
{
	struct epoll_event ev = {.events = e->wanted, .data.ptr = e};
	gint op = e->registered == G_MAXUINT32 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;

	if (epoll_ctl(self->epfd, op, e->fd, &ev) == 0)
		goto ok;
	/* the fd number was closed and reused since we registered it */
	if (errno == ENOENT && op == EPOLL_CTL_MOD && epoll_ctl(self->epfd, EPOLL_CTL_ADD, e->fd, &ev) == 0)
		goto ok;
	if (errno == EEXIST && op == EPOLL_CTL_ADD && epoll_ctl(self->epfd, EPOLL_CTL_MOD, e->fd, &ev) == 0)
		goto ok;
	if (errno == EPERM) {
		e->always_ready = TRUE;
		goto ok;
	}
	return FALSE;
ok:
	e->registered = e->wanted;
	return TRUE;
}

static gint
rc_epoll_poll(GPollFD *ufds, guint nfds, gint timeout)
{
	RcEpoll *self = rc_epoll;
	GHashTableIter iter;
	gpointer value;
	gint n, ready = 0;

	rc_epoll_forget_closed(self);
	self->generation++;
	if (nfds > self->next_len) {
		self->next_len = MAX(nfds, self->next_len * 2);
		self->next = g_renew(gint, self->next, self->next_len);
	}
	for (guint i = 0; i < nfds; i++) {
		RcEpollEntry *e;
		ufds[i].revents = 0;
		if (ufds[i].fd < 0) {
			self->next[i] = -1;
			continue;
		}
		e = g_hash_table_lookup(self->entries, GINT_TO_POINTER(ufds[i].fd));
		if (e == NULL) {
			e = g_new0(RcEpollEntry, 1);
			e->fd = ufds[i].fd;
			e->registered = G_MAXUINT32;
			g_hash_table_insert(self->entries, GINT_TO_POINTER(e->fd), e);
		}
		if (e->generation != self->generation) {
			e->generation = self->generation;
			e->wanted = 0;
			e->first = -1;
		}
		e->wanted |= ufds[i].events & (G_IO_IN | G_IO_OUT | G_IO_PRI);
		self->next[i] = e->first;
		e->first = (gint)i;
	}

	g_hash_table_iter_init(&iter, self->entries);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		RcEpollEntry *e = value;
		if (e->generation != self->generation) {
			/* gone from GLib's list: forget it (it may be closed already) */
			if (!e->always_ready && e->registered != G_MAXUINT32)
				epoll_ctl(self->epfd, EPOLL_CTL_DEL, e->fd, NULL);
			g_hash_table_iter_remove(&iter);
			continue;
		}
		if (e->always_ready) {
			timeout = 0;
			continue;
		}
		if (e->wanted != e->registered && !rc_epoll_ctl(self, e)) {
			/* a closed fd in the list: report it the way poll(2) would */
			for (gint i = e->first; i >= 0; i = self->next[i])
				ufds[i].revents = G_IO_NVAL;
			ready++;
			timeout = 0;
		}
	}

	if (self->events_len < nfds + 1) {
		self->events_len = MAX(nfds + 1, self->events_len * 2);
		self->events = g_renew(struct epoll_event, self->events, self->events_len);
	}
	n = epoll_wait(self->epfd, self->events, (gint)self->events_len, timeout);
	if (n < 0)
		return ready > 0 ? ready : -1;
	for (gint k = 0; k < n; k++) {
		RcEpollEntry *e = self->events[k].data.ptr;
		guint32 revents = self->events[k].events;
		for (gint i = e->first; i >= 0; i = self->next[i]) {
			ufds[i].revents = revents & (ufds[i].events | G_IO_ERR | G_IO_HUP);
			if (ufds[i].revents != 0)
				ready++;
		}
	}
	/* regular files are always ready, as poll(2) has it */
	g_hash_table_iter_init(&iter, self->entries);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		RcEpollEntry *e = value;
		if (!e->always_ready)
			continue;
		for (gint i = e->first; i >= 0; i = self->next[i]) {
			ufds[i].revents = ufds[i].events & (G_IO_IN | G_IO_OUT);
			if (ufds[i].revents != 0)
				ready++;
		}
	}
	return ready;
}

gboolean
rc_epoll_install(GMainContext *context, GError **error)
{
	gint epfd;
	if (rc_epoll != NULL) {
		g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_EXISTS, "already installed");
		return FALSE;
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(errno),
			    "epoll_create1: %s",
			    g_strerror(errno));
		return FALSE;
	}
	rc_epoll_closed = g_array_new(FALSE, FALSE, sizeof(gint));
	rc_epoll = g_new0(RcEpoll, 1);
	rc_epoll->epfd = epfd;
	rc_epoll->entries = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	g_main_context_set_poll_func(context, rc_epoll_poll);
	return TRUE;
}
