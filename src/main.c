/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "Roomcastd"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>

#include "rc-daemon.h"
#include "rc-log.h"

typedef struct {
	GMainLoop *loop;
	RcDaemon *daemon;
} RcMain;

static void
rc_main_shutdown_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcMain *m = user_data;
	rc_daemon_shutdown_finish(RC_DAEMON(source), res, NULL);
	g_main_loop_quit(m->loop);
}

static gboolean
rc_main_quit_cb(gpointer user_data)
{
	RcMain *m = user_data;
	rc_daemon_shutdown_async(m->daemon, rc_main_shutdown_cb, m);
	return G_SOURCE_CONTINUE;
}

static gboolean
rc_main_reload_cb(gpointer user_data)
{
	RcMain *m = user_data;
	g_autoptr(GError) error = NULL;
	if (!rc_daemon_reload_config(m->daemon, &error))
		g_warning("SIGHUP: %s", error->message);
	return G_SOURCE_CONTINUE;
}

int
main(int argc, char **argv)
{
	g_autoptr(RcConfig) config = rc_config_new();
	g_autoptr(RcDaemon) daemon = NULL;
	g_autoptr(GMainLoop) loop = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *host = NULL;
	const gchar *listen;
	RcMain m = {0};

	setlocale(LC_ALL, "");
	/* ROOMCAST_LOCALEDIR: translations from a build tree, as roomcastctl does */
	bindtextdomain(GETTEXT_PACKAGE,
		       g_getenv("ROOMCAST_LOCALEDIR") != NULL ? g_getenv("ROOMCAST_LOCALEDIR")
							     : RC_LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
	rc_log_drop_unwanted_debug("libsoup");
	/* hiredis writes with plain write(2): a vanished Redis must not kill us */
	signal(SIGPIPE, SIG_IGN);
	/* one fd per client: take every descriptor the administrator allows */
	{
		struct rlimit rl;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
				g_debug("cannot raise the open file limit: %s", g_strerror(errno));
		}
	}

	if (!rc_config_parse_args(config, &argc, &argv, &error)) {
		g_printerr("roomcastd: %s\n", error->message);
		return 1;
	}
	if (rc_config_get_show_version(config)) {
		g_print("roomcastd %s\n", PACKAGE_VERSION);
		return 0;
	}

	if (rc_config_get_check_config(config)) {
		g_autoptr(GPtrArray) problems = rc_config_check(config);
		/* a bad value of the file leaves its default in place: the rest is
		 * checked all the same, so every problem is listed at once */
		daemon = rc_daemon_new(config);
		rc_daemon_check(daemon, problems);
		for (guint i = 0; i < problems->len; i++)
			g_print("%s\n", (const gchar *)g_ptr_array_index(problems, i));
		return problems->len == 0 ? 0 : 1;
	}

	loop = g_main_loop_new(NULL, FALSE);
	daemon = rc_daemon_new(config);
	if (!rc_daemon_start(daemon, &error)) {
		g_printerr("roomcastd: %s\n", error->message);
		return error->domain == G_IO_ERROR ? 2 : 1;
	}

	/* before the listening line: a script may signal us as soon as it reads it */
	m.loop = loop;
	m.daemon = daemon;
	g_unix_signal_add(SIGINT, rc_main_quit_cb, &m);
	g_unix_signal_add(SIGTERM, rc_main_quit_cb, &m);
	g_unix_signal_add(SIGHUP, rc_main_reload_cb, &m);

	listen = rc_config_get_listen(config);
	host = strchr(listen, ':') != NULL ? g_strdup_printf("[%s]", listen) : g_strdup(listen);
	/* scripts read this line to learn the port: one line, flushed */
	g_print("roomcastd: listening on %s://%s:%u/\n",
		rc_daemon_is_tls(daemon) ? "https" : "http",
		host,
		rc_daemon_get_port(daemon));
	fflush(stdout);
	g_main_loop_run(loop);
	g_message("stopped");
	return 0;
}
