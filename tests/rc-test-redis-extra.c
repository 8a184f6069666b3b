/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTestRedisExtra"

#include "rc-test-redis-extra.h"

#include <glib/gstdio.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "rc-test-harness.h"

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 10000

struct _RcTestRedisServer {
	GSubprocess *proc;
	gchar *dir;
	gchar *unix_path;
	guint16 port;
	guint16 tls_port;
};

/* a test that dies must not leave redis-server behind */
static void
child_setup(gpointer user_data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != GPOINTER_TO_INT(user_data))
		_exit(1);
}

/* Removes @dir and the files in it (no subdirectories are made here). */
static void
remove_dir(const gchar *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const gchar *name;

	if (d == NULL)
		return;
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree gchar *path = g_build_filename(dir, name, NULL);
		g_unlink(path);
	}
	g_rmdir(dir);
}

/* ------------------------------------------------------------------ TLS --- */

static void
run_openssl(const gchar *dir, const gchar *const *args)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
	    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
	g_autoptr(GSubprocess) proc = NULL;
	g_autofree gchar *out = NULL;

	g_subprocess_launcher_set_cwd(launcher, dir);
	proc = g_subprocess_launcher_spawnv(launcher, args, &error);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(proc, NULL, NULL, &out, NULL, &error);
	g_assert_no_error(error);
	if (!g_subprocess_get_successful(proc))
		g_error("openssl %s failed: %s", args[1], out);
}

/* a self-signed CA: NAME.crt, NAME.key */
static void
make_ca(const gchar *dir, const gchar *name)
{
	g_autofree gchar *key = g_strconcat(name, ".key", NULL);
	g_autofree gchar *crt = g_strconcat(name, ".crt", NULL);
	g_autofree gchar *subject = g_strconcat("/CN=roomcast test ", name, NULL);
	const gchar *args[] = {"openssl",
			       "req",
			       "-x509",
			       "-newkey",
			       "ec",
			       "-pkeyopt",
			       "ec_paramgen_curve:prime256v1",
			       "-nodes",
			       "-keyout",
			       key,
			       "-out",
			       crt,
			       "-days",
			       "2",
			       "-subj",
			       subject,
			       NULL};
	run_openssl(dir, args);
}

/* NAME.crt, NAME.key signed by ca.crt, with @extensions (openssl ext lines) */
static void
make_signed(const gchar *dir, const gchar *name, const gchar *cn, const gchar *extensions)
{
	g_autofree gchar *key = g_strconcat(name, ".key", NULL);
	g_autofree gchar *csr = g_strconcat(name, ".csr", NULL);
	g_autofree gchar *crt = g_strconcat(name, ".crt", NULL);
	g_autofree gchar *ext = g_strconcat(name, ".ext", NULL);
	g_autofree gchar *ext_path = g_build_filename(dir, ext, NULL);
	g_autofree gchar *subject = g_strconcat("/CN=", cn, NULL);
	g_autofree gchar *serial = g_strdup_printf("%u", g_random_int_range(1000, 1000000));
	const gchar *req[] = {"openssl",
			      "req",
			      "-newkey",
			      "ec",
			      "-pkeyopt",
			      "ec_paramgen_curve:prime256v1",
			      "-nodes",
			      "-keyout",
			      key,
			      "-out",
			      csr,
			      "-subj",
			      subject,
			      NULL};
	const gchar *sign[] = {"openssl",
			       "x509",
			       "-req",
			       "-in",
			       csr,
			       "-CA",
			       "ca.crt",
			       "-CAkey",
			       "ca.key",
			       "-set_serial",
			       serial,
			       "-days",
			       "2",
			       "-extfile",
			       ext,
			       "-out",
			       crt,
			       NULL};
	g_autoptr(GError) error = NULL;

	g_file_set_contents(ext_path, extensions, -1, &error);
	g_assert_no_error(error);
	run_openssl(dir, req);
	run_openssl(dir, sign);
}

RcTestTlsFiles *
rc_test_tls_files_new(void)
{
	g_autoptr(GError) error = NULL;
	RcTestTlsFiles *files = g_new0(RcTestTlsFiles, 1);

	files->dir = g_dir_make_tmp("roomcast-tls-XXXXXX", &error);
	g_assert_no_error(error);
	make_ca(files->dir, "ca");
	make_ca(files->dir, "other-ca");
	make_signed(files->dir,
		    "server",
		    "localhost",
		    "basicConstraints=CA:FALSE\n"
		    "keyUsage=digitalSignature,keyEncipherment\n"
		    "extendedKeyUsage=serverAuth\n"
		    "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
	make_signed(files->dir,
		    "client",
		    "roomcast-test-client",
		    "basicConstraints=CA:FALSE\n"
		    "keyUsage=digitalSignature,keyEncipherment\n"
		    "extendedKeyUsage=clientAuth\n");
	files->ca_cert = g_build_filename(files->dir, "ca.crt", NULL);
	files->other_ca_cert = g_build_filename(files->dir, "other-ca.crt", NULL);
	files->server_cert = g_build_filename(files->dir, "server.crt", NULL);
	files->server_key = g_build_filename(files->dir, "server.key", NULL);
	files->client_cert = g_build_filename(files->dir, "client.crt", NULL);
	files->client_key = g_build_filename(files->dir, "client.key", NULL);
	return files;
}

void
rc_test_tls_files_make_server(RcTestTlsFiles *files, const gchar *name, const gchar *cn)
{
	make_signed(files->dir,
		    name,
		    cn,
		    "basicConstraints=CA:FALSE\n"
		    "keyUsage=digitalSignature,keyEncipherment\n"
		    "extendedKeyUsage=serverAuth\n"
		    "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
}

/* `openssl x509` cannot date a certificate in the past: `openssl ca` can */
static const gchar rc_test_expired_ca_conf[] = "[ca]\n"
					       "default_ca = test\n"
					       "[test]\n"
					       "database = expired-index.txt\n"
					       "serial = expired-serial\n"
					       "new_certs_dir = .\n"
					       "certificate = ca.crt\n"
					       "private_key = ca.key\n"
					       "default_md = sha256\n"
					       "policy = any\n"
					       "unique_subject = no\n"
					       "[any]\n"
					       "commonName = supplied\n"
					       "[server]\n"
					       "basicConstraints = CA:FALSE\n"
					       "keyUsage = digitalSignature,keyEncipherment\n"
					       "extendedKeyUsage = serverAuth\n"
					       "subjectAltName = DNS:localhost,IP:127.0.0.1\n";

void
rc_test_tls_files_make_expired(RcTestTlsFiles *files)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *conf = g_build_filename(files->dir, "expired-ca.cnf", NULL);
	g_autofree gchar *index = g_build_filename(files->dir, "expired-index.txt", NULL);
	g_autofree gchar *serial = g_build_filename(files->dir, "expired-serial", NULL);
	const gchar *req[] = {"openssl",
			      "req",
			      "-newkey",
			      "ec",
			      "-pkeyopt",
			      "ec_paramgen_curve:prime256v1",
			      "-nodes",
			      "-keyout",
			      "expired.key",
			      "-out",
			      "expired.csr",
			      "-subj",
			      "/CN=localhost",
			      NULL};
	const gchar *sign[] = {"openssl",
			       "ca",
			       "-batch",
			       "-notext",
			       "-config",
			       "expired-ca.cnf",
			       "-extensions",
			       "server",
			       "-in",
			       "expired.csr",
			       "-out",
			       "expired.crt",
			       "-startdate",
			       "20200101000000Z",
			       "-enddate",
			       "20200102000000Z",
			       NULL};

	g_file_set_contents(conf, rc_test_expired_ca_conf, -1, &error);
	g_assert_no_error(error);
	g_file_set_contents(index, "", -1, &error);
	g_assert_no_error(error);
	g_file_set_contents(serial, "1000\n", -1, &error);
	g_assert_no_error(error);
	run_openssl(files->dir, req);
	run_openssl(files->dir, sign);
	g_free(files->expired_cert);
	g_free(files->expired_key);
	files->expired_cert = g_build_filename(files->dir, "expired.crt", NULL);
	files->expired_key = g_build_filename(files->dir, "expired.key", NULL);
}

void
rc_test_tls_files_free(RcTestTlsFiles *files)
{
	if (files == NULL)
		return;
	remove_dir(files->dir);
	g_free(files->dir);
	g_free(files->ca_cert);
	g_free(files->other_ca_cert);
	g_free(files->server_cert);
	g_free(files->server_key);
	g_free(files->client_cert);
	g_free(files->client_key);
	g_free(files->expired_cert);
	g_free(files->expired_key);
	g_free(files);
}

gboolean
rc_test_redis_server_has_tls(void)
{
	g_autoptr(GSubprocess) proc = NULL;
	g_autofree gchar *out = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = g_find_program_in_path("redis-server");

	if (path == NULL)
		return FALSE;
	/* Debian links TLS in (not as a module): a TLS build needs libssl */
	proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
				&error,
				"ldd",
				path,
				NULL);
	if (proc == NULL)
		return FALSE;
	if (!g_subprocess_communicate_utf8(proc, NULL, NULL, &out, NULL, NULL))
		return FALSE;
	return out != NULL && strstr(out, "libssl") != NULL;
}

/* ---------------------------------------------------------------- Redis --- */

/* PONG, or the NOAUTH error of a server with a password: either way it is up.
 * Asked on its unix socket, which is ours alone: someone else's server that
 * took the TCP port in between would answer there too (and ours would exit) */
static gboolean
server_answers(const gchar *unix_path)
{
	struct timeval tv = {0, 200000};
	redisContext *ctx = redisConnectUnixWithTimeout(unix_path, tv);
	redisReply *reply;
	gboolean ok = FALSE;

	if (ctx == NULL)
		return FALSE;
	if (ctx->err == 0) {
		reply = redisCommand(ctx, "PING");
		ok = reply != NULL &&
		     ((reply->type == REDIS_REPLY_STATUS && g_strcmp0(reply->str, "PONG") == 0) ||
		      (reply->type == REDIS_REPLY_ERROR && g_str_has_prefix(reply->str, "NOAUTH")));
		if (reply != NULL)
			freeReplyObject(reply);
	}
	redisFree(ctx);
	return ok;
}

static void
on_exited(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_subprocess_wait_finish(G_SUBPROCESS(source), res, NULL);
}

static gboolean
spawn(RcTestRedisServer *self, const gchar *const *extra, GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
	    G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
	g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
	gint64 deadline;

	g_subprocess_launcher_set_child_setup(
	    launcher, child_setup, GINT_TO_POINTER(getpid()), NULL);
	g_subprocess_launcher_set_cwd(launcher, self->dir);
	g_ptr_array_add(args, g_strdup("redis-server"));
	g_ptr_array_add(args, g_strdup("--port"));
	g_ptr_array_add(args, g_strdup_printf("%u", self->port));
	g_ptr_array_add(args, g_strdup("--bind"));
	g_ptr_array_add(args, g_strdup("127.0.0.1"));
	g_ptr_array_add(args, g_strdup("--save"));
	g_ptr_array_add(args, g_strdup(""));
	g_ptr_array_add(args, g_strdup("--appendonly"));
	g_ptr_array_add(args, g_strdup("no"));
	g_ptr_array_add(args, g_strdup("--dir"));
	g_ptr_array_add(args, g_strdup(self->dir));
	g_ptr_array_add(args, g_strdup("--unixsocket"));
	g_ptr_array_add(args, g_strdup(self->unix_path));
	g_ptr_array_add(args, g_strdup("--unixsocketperm"));
	g_ptr_array_add(args, g_strdup("700"));
	if (self->tls_port != 0) {
		g_ptr_array_add(args, g_strdup("--tls-port"));
		g_ptr_array_add(args, g_strdup_printf("%u", self->tls_port));
	}
	for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
		g_ptr_array_add(args, g_strdup(extra[i]));
	g_ptr_array_add(args, NULL);

	self->proc =
	    g_subprocess_launcher_spawnv(launcher, (const gchar *const *)args->pdata, error);
	if (self->proc == NULL)
		return FALSE;
	g_subprocess_wait_async(self->proc, NULL, on_exited, NULL);
	deadline = g_get_monotonic_time() + rc_test_timeout(START_TIMEOUT_MS) * 1000;
	while (g_get_monotonic_time() < deadline) {
		if (server_answers(self->unix_path))
			return TRUE;
		while (g_main_context_pending(NULL))
			g_main_context_iteration(NULL, FALSE);
		if (g_subprocess_get_identifier(self->proc) == NULL) {
			g_set_error(error,
				    G_IO_ERROR,
				    G_IO_ERROR_FAILED,
				    "redis-server exited at start (port %u)",
				    self->port);
			g_clear_object(&self->proc);
			return FALSE;
		}
		g_usleep(20000);
	}
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "redis-server does not answer");
	return FALSE;
}

static RcTestRedisServer *
server_new(const gchar *const *args, gboolean with_tls)
{
	RcTestRedisServer *self = g_new0(RcTestRedisServer, 1);
	g_autoptr(GError) error = NULL;

	self->dir = g_dir_make_tmp("roomcast-redis-XXXXXX", &error);
	g_assert_no_error(error);
	self->unix_path = g_build_filename(self->dir, "redis.sock", NULL);
	/* another process may take a port between probing and binding: retry */
	for (guint attempt = 0; attempt < 5; attempt++) {
		g_clear_error(&error);
		self->port = rc_test_free_port();
		if (with_tls) {
			do
				self->tls_port = rc_test_free_port();
			while (self->tls_port == self->port);
		}
		if (spawn(self, args, &error))
			break;
	}
	g_assert_no_error(error);
	return self;
}

RcTestRedisServer *
rc_test_redis_server_new_argv(const gchar *const *args)
{
	return server_new(args, FALSE);
}

RcTestRedisServer *
rc_test_redis_server_new(const gchar *first_arg, ...)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	va_list ap;

	va_start(ap, first_arg);
	for (const gchar *a = first_arg; a != NULL; a = va_arg(ap, const gchar *))
		g_ptr_array_add(args, (gpointer)a);
	va_end(ap);
	g_ptr_array_add(args, NULL);
	return server_new((const gchar *const *)args->pdata, FALSE);
}

RcTestRedisServer *
rc_test_redis_server_new_tls(const RcTestTlsFiles *files, gboolean auth_clients)
{
	return rc_test_redis_server_new_tls_full(files, NULL, NULL, auth_clients, NULL);
}

RcTestRedisServer *
rc_test_redis_server_new_tls_full(const RcTestTlsFiles *files,
				  const gchar *cert,
				  const gchar *key,
				  gboolean auth_clients,
				  const gchar *const *extra)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	const gchar *tls[] = {"--tls-cert-file",
			      cert != NULL ? cert : files->server_cert,
			      "--tls-key-file",
			      key != NULL ? key : files->server_key,
			      "--tls-ca-cert-file",
			      files->ca_cert,
			      "--tls-auth-clients",
			      auth_clients ? "yes" : "no"};

	for (guint i = 0; i < G_N_ELEMENTS(tls); i++)
		g_ptr_array_add(args, (gpointer)tls[i]);
	for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
		g_ptr_array_add(args, (gpointer)extra[i]);
	g_ptr_array_add(args, NULL);
	return server_new((const gchar *const *)args->pdata, TRUE);
}

guint16
rc_test_redis_server_get_port(RcTestRedisServer *self)
{
	return self->port;
}

guint16
rc_test_redis_server_get_tls_port(RcTestRedisServer *self)
{
	return self->tls_port;
}

const gchar *
rc_test_redis_server_get_unix_path(RcTestRedisServer *self)
{
	return self->unix_path;
}

const gchar *
rc_test_redis_server_get_dir(RcTestRedisServer *self)
{
	return self->dir;
}

/* the state letter of /proc/PID/stat ('T' when stopped), or 0 */
static gchar
proc_state(const gchar *pid)
{
	g_autofree gchar *path = g_strdup_printf("/proc/%s/stat", pid);
	g_autofree gchar *stat = NULL;
	const gchar *paren;

	if (!g_file_get_contents(path, &stat, NULL, NULL))
		return 0;
	/* "PID (comm) S ..."; comm may hold spaces and parentheses */
	paren = strrchr(stat, ')');
	return paren != NULL && paren[1] == ' ' ? paren[2] : 0;
}

void
rc_test_redis_server_signal(RcTestRedisServer *self, gint signum)
{
	const gchar *pid;
	gint64 deadline = g_get_monotonic_time() + G_USEC_PER_SEC * 5;

	g_assert_nonnull(self->proc);
	pid = g_subprocess_get_identifier(self->proc);
	g_assert_nonnull(pid);
	/* not g_subprocess_send_signal(): it kills from GLib's worker thread,
	 * later, and a test must know the process is stopped when this returns */
	g_assert_cmpint(kill((pid_t)g_ascii_strtoll(pid, NULL, 10), signum), ==, 0);
	if (signum != SIGSTOP && signum != SIGCONT)
		return;
	while ((proc_state(pid) == 'T') != (signum == SIGSTOP)) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_usleep(1000);
	}
}

gboolean
rc_test_redis_server_is_running(RcTestRedisServer *self)
{
	return self->proc != NULL && g_subprocess_get_identifier(self->proc) != NULL;
}

static gboolean
gone(gpointer user_data)
{
	return g_subprocess_get_identifier(G_SUBPROCESS(user_data)) == NULL;
}

static void
terminate(RcTestRedisServer *self, gint signum)
{
	if (self->proc == NULL)
		return;
	if (g_subprocess_get_identifier(self->proc) != NULL) {
		/* a stopped process would not act on SIGTERM */
		g_subprocess_send_signal(self->proc, SIGCONT);
		g_subprocess_send_signal(self->proc, signum);
	}
	if (!rc_test_wait_until(gone, self->proc, STOP_TIMEOUT_MS)) {
		g_subprocess_force_exit(self->proc);
		rc_test_wait_until(gone, self->proc, 5000);
	}
	g_subprocess_wait(self->proc, NULL, NULL);
	g_clear_object(&self->proc);
}

void
rc_test_redis_server_kill(RcTestRedisServer *self)
{
	terminate(self, SIGKILL);
}

void
rc_test_redis_server_free(RcTestRedisServer *self)
{
	if (self == NULL)
		return;
	terminate(self, SIGTERM);
	remove_dir(self->dir);
	g_free(self->dir);
	g_free(self->unix_path);
	g_free(self);
}
