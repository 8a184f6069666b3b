/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

/*
 * Helpers for roomcast's integration tests: they start REAL processes
 * (redis-server, roomcastd) and talk to them over 127.0.0.1 like any client.
 *
 * Conventions:
 *  - Every wait has a timeout in milliseconds. The asserting helpers (expect,
 *    take, join, send_message, ping, wait_closed, *_new) fail the test
 *    (g_assertion_message) when they time out or the daemon answers something
 *    else, naming the caller's file:line; the others (try_*, wait_until,
 *    wait_exit, wait_stderr) report it in their return value.
 *  - Waiting always iterates the thread-default GMainContext, so the stdout and
 *    stderr of every child keep being read and WebSocket frames keep arriving.
 *  - Every child process gets PR_SET_PDEATHSIG=SIGKILL, so nothing outlives
 *    the test program even when an assertion aborts it. The *_free() functions
 *    stop the process gracefully (SIGTERM, then SIGKILL after a timeout).
 *  - Call rc_test_init() instead of g_test_init(): it also ignores SIGPIPE.
 *
 * Environment read (set by tests/meson.build):
 *  ROOMCASTD             path of the roomcastd to test (required by RcTestNode)
 *  ROOMCAST_BUILD_ROOT   top build dir; ROOMCAST_SOURCE_ROOT top source dir
 *  RC_TEST_QUIET=1       do not echo roomcastd's stderr to ours (by default
 *                        every line is echoed live as "[roomcastd PID] line",
 *                        so a failing test's log shows what the daemon said)
 *  RC_TEST_DEBUG=1       keep GLib/libsoup debug messages of the test program,
 *                        and echo roomcastd's stdout too, where GLib writes the
 *                        daemon's debug lines (with G_MESSAGES_DEBUG=RcEngine,…)
 *  RC_TEST_SANITIZED     set by meson in an ASan build (looser memory bounds)
 *  RC_TEST_TIMEOUT_SCALE multiplies every timeout (e.g. 3 under valgrind/ASan)
 *  RC_TEST_REDIS=cluster rc_test_redis_new() starts a Redis Cluster (see below)
 */

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

void rc_test_init(int *argc, char ***argv);

/* timeout_ms scaled by RC_TEST_TIMEOUT_SCALE */
guint rc_test_timeout(guint timeout_ms);

/* Iterates the main context for @ms milliseconds. */
void rc_test_sleep(guint ms);

typedef gboolean (*RcTestPredicate)(gpointer user_data);
/* Iterates the main context until @pred returns TRUE (checked before each
 * iteration) or @timeout_ms passed; returns the last result of @pred. */
gboolean rc_test_wait_until(RcTestPredicate pred, gpointer user_data, guint timeout_ms);

/* Writes @contents to a new temporary file named after @name_template
 * (g_file_open_tmp() template, e.g. "roomcast-XXXXXX.conf"); the file is
 * deleted at the end of the current test case (so call it inside one).
 * Returns the path (owned by the harness until then). */
const gchar *rc_test_write_temp_file(const gchar *name_template, const gchar *contents);
#define rc_test_write_config(contents) rc_test_write_temp_file("roomcast-XXXXXX.conf", contents)

/* A free TCP port on 127.0.0.1 (bound to port 0 and released; never 6379). */
guint16 rc_test_free_port(void);

/* ---------------------------------------------------------------- Redis --- */

/*
 * The Redis the nodes of a test share: one redis-server, or a Redis Cluster
 * (three masters and three replicas, see rc-test-cluster.h) when the
 * environment says RC_TEST_REDIS=cluster. The same test program runs against
 * either without a change when it
 *  - gets its Redis from rc_test_redis_new() and starts its nodes with
 *    "--redis", rc_test_redis_get_url(redis) (also "--redis=URL"): for a
 *    cluster, rc_test_node_new() and rc_test_node_spawn() pass
 *    "--redis-cluster", SEEDS instead;
 *  - names Redis in a config file with rc_test_redis_get_config_entry(), not
 *    with a url= it builds itself;
 *  - talks to Redis through rc_test_redis_command(), rc_test_redis_cli(),
 *    rc_test_redis_pubsub_channels() and rc_test_redis_cli_publish(), which
 *    route by key on a cluster (below), and opens its own connections (a
 *    redis-cli of its own, a raw socket) to rc_test_redis_get_port_for_key();
 *  - skips, with g_test_skip() and a reason, what means nothing on a cluster
 *    (rc_test_redis_is_cluster(), or rc_test_redis_want_cluster() before
 *    there is a Redis), e.g. a URL with a database number.
 * The lifecycle calls (stop, kill, start) take the whole cluster down and up
 * again: every node at once, back with the same layout and no data, as a
 * single Redis without persistence comes back.
 */
typedef struct _RcTestRedis RcTestRedis;
typedef struct _RcTestCluster RcTestCluster;

/* TRUE when RC_TEST_REDIS=cluster (FALSE unset, empty or "single"; any other
 * value fails the test) */
gboolean rc_test_redis_want_cluster(void);
/* Starts redis-server on a free 127.0.0.1 port, no persistence, and waits until
 * it answers PING; or, when rc_test_redis_want_cluster(), a cluster, as
 * rc_test_redis_new_cluster(). Fails the test when it cannot. */
RcTestRedis *rc_test_redis_new(void);
/* always a cluster, settled and ready */
RcTestRedis *rc_test_redis_new_cluster(void);
gboolean rc_test_redis_is_cluster(RcTestRedis *self);
/* the cluster behind it (owned by @self), or NULL for one redis-server */
RcTestCluster *rc_test_redis_get_cluster(RcTestRedis *self);
/* the cluster's seed list for --redis-cluster and [redis] cluster, or NULL */
const gchar *rc_test_redis_get_seeds(RcTestRedis *self);
/* the [redis] line that points a config file at this Redis:
 * "url=redis://127.0.0.1:PORT", or "cluster=SEEDS" (transfer full) */
gchar *rc_test_redis_get_config_entry(RcTestRedis *self);
/* the port; on a cluster, the port of the first shard's current master */
guint16 rc_test_redis_get_port(RcTestRedis *self);
/* "redis://127.0.0.1:PORT" (on a cluster: a master's, with which nodes get
 * the seed list as said above) */
const gchar *rc_test_redis_get_url(RcTestRedis *self);
/* SIGTERM and wait; the port is remembered for rc_test_redis_start(). */
void rc_test_redis_stop(RcTestRedis *self);
/* SIGKILL and wait: a crash, no goodbye to the clients. */
void rc_test_redis_kill(RcTestRedis *self);
/* (Re)starts on the same port and waits for PING (a cluster: until settled). */
void rc_test_redis_start(RcTestRedis *self);
/* on a cluster: whether every master runs */
gboolean rc_test_redis_is_running(RcTestRedis *self);
/* Runs one command (argv as for redis-cli, NULL-terminated) over a fresh
 * connection and returns the reply flattened to a string: integers and status
 * as text, arrays as their elements joined with '\n', nil as "".
 * Fails the test on connection errors or an error reply.
 * On a cluster, like `redis-cli -c`: a command goes to a master and follows
 * MOVED and ASK to the one that serves its key (TRYAGAIN and CLUSTERDOWN are
 * retried for a few seconds); PUBLISH goes to the master of the channel's
 * slot, where roomcast's nodes subscribe, since Redis counts only the
 * receivers on the node that got it; FLUSHALL, FLUSHDB, DBSIZE, KEYS, CLIENT,
 * CONFIG, SCRIPT and FUNCTION run on every master (integers added up, arrays
 * joined); PUBSUB CHANNELS and NUMSUB count classic and sharded
 * subscriptions on every node (SHARDCHANNELS, SHARDNUMSUB the sharded ones). */
gchar *rc_test_redis_command(RcTestRedis *self, const gchar *first_arg, ...) G_GNUC_NULL_TERMINATED;
/* PUBSUB CHANNELS @pattern, sorted; never NULL */
GStrv rc_test_redis_pubsub_channels(RcTestRedis *self, const gchar *pattern);
/* One command through the real `redis-cli -c` binary (as an operator would),
 * sent to the server of the first argument after the command (its key, or a
 * PUBLISH's channel, as rc_test_redis_command() sends it); returns what it
 * printed, stripped (an error reply is printed too). Fails the test when
 * redis-cli cannot run or exits with an error. */
gchar *rc_test_redis_cli(RcTestRedis *self, const gchar *first_arg, ...) G_GNUC_NULL_TERMINATED;
/* PUBLISH through rc_test_redis_cli(); returns the number of receivers redis
 * reported. */
gint rc_test_redis_cli_publish(RcTestRedis *self, const gchar *channel, const gchar *payload);
/* the port of the server that holds @key: rc_test_redis_get_port(), or on a
 * cluster the port of the master serving @key's slot now (for tests that
 * talk to Redis over their own connection) */
guint16 rc_test_redis_get_port_for_key(RcTestRedis *self, const gchar *key);
void rc_test_redis_free(RcTestRedis *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcTestRedis, rc_test_redis_free)

/* ------------------------------------------------------------ roomcastd --- */

typedef struct _RcTestNode RcTestNode;

/* Spawns $ROOMCASTD with the given extra arguments (NULL-terminated) and waits
 * for its `roomcastd: listening on http://ADDR:PORT/` line; fails the test if
 * it exits or does not print it within 10 s. Typical:
 *   rc_test_node_new("--port", "0", "--bus", "none", "--redis", url, NULL) */
RcTestNode *rc_test_node_new(const gchar *first_arg, ...) G_GNUC_NULL_TERMINATED;
/* Spawns without waiting for anything (for tests of failing start-ups). */
RcTestNode *rc_test_node_spawn(const gchar *const *args);
/* Waits for the listening line; FALSE with @error if the process exited or
 * the timeout passed. */
gboolean rc_test_node_wait_listening(RcTestNode *self, guint timeout_ms, GError **error);

GPid rc_test_node_get_pid(RcTestNode *self);
guint16 rc_test_node_get_port(RcTestNode *self);
/* "http://127.0.0.1:PORT" (no trailing slash), "https://…" when it serves TLS */
const gchar *rc_test_node_get_base_url(RcTestNode *self);
/* "ws://127.0.0.1:PORT/ws" ("wss://…" with TLS) plus "?@query" when @query is not NULL */
gchar *rc_test_node_get_ws_url(RcTestNode *self, const gchar *query);

/* Every line written to stderr/stdout so far (without newline). */
GPtrArray *rc_test_node_get_stderr_lines(RcTestNode *self);
GPtrArray *rc_test_node_get_stdout_lines(RcTestNode *self);
/* Waits until a stderr line containing @substring was seen (also lines seen
 * before the call); returns that line or NULL on timeout. */
const gchar *rc_test_node_wait_stderr(RcTestNode *self, const gchar *substring, guint timeout_ms);

void rc_test_node_signal(RcTestNode *self, gint signum);
/* Waits for the process to exit; returns its exit status (0–255), 128+N when
 * killed by signal N, or -1 when it is still running after @timeout_ms. */
gint rc_test_node_wait_exit(RcTestNode *self, guint timeout_ms);
gboolean rc_test_node_is_running(RcTestNode *self);
/* the exit status `--error-exitcode` gives valgrind in the valgrind test setup */
#define RC_TEST_WRAPPER_ERROR_EXIT 99

/* SIGTERM, wait up to 10 s (then SIGKILL); returns the exit status as above.
 * With RC_TEST_DAEMON_WRAPPER set (e.g. valgrind), every node runs under it and
 * rc_test_node_free() fails the test when it exits with RC_TEST_WRAPPER_ERROR_EXIT. */
gint rc_test_node_stop(RcTestNode *self);
/* Polls GET /healthz until it says "redis":"connected": a node prints its
 * listening line before its Redis connection is up (it serves without Redis
 * too), so a test that needs the bus must wait for it. Fails the test after
 * @timeout_ms. */
void rc_test_node_wait_redis_connected(RcTestNode *self, guint timeout_ms);
/* VmRSS of the process in KiB (0 if unknown) */
guint64 rc_test_node_get_rss_kb(RcTestNode *self);
/* VmHWM, the peak RSS of the process over its whole life, in KiB (0 if unknown).
 * Under RC_TEST_DAEMON_WRAPPER it is valgrind's and says nothing about roomcastd;
 * under RC_TEST_SANITIZED it includes ASan's shadow memory and quarantine. */
guint64 rc_test_node_get_peak_rss_kb(RcTestNode *self);
/* open file descriptors of the process (entries of /proc/PID/fd), -1 if unknown */
gint rc_test_node_count_fds(RcTestNode *self);
/* RLIMIT_NOFILE (soft and hard) of the next node spawned by rc_test_node_new() or
 * rc_test_node_spawn(), set in the child before it execs; that spawn consumes it
 * (0, the default: the test's own limit). */
void rc_test_node_set_next_nofile_limit(guint limit);
/* An environment variable for the next node spawned, the same way (may be called
 * several times before it). */
void rc_test_node_set_next_env(const gchar *variable, const gchar *value);

/* TCP states as /proc/net/tcp writes them */
#define RC_TEST_TCP_ESTABLISHED 0x01
#define RC_TEST_TCP_CLOSE_WAIT 0x08
/* Sockets of any process on this host (IPv4 and IPv6) whose local port is
 * @local_port and whose state is @state: with a server's port, its side of
 * the connections. */
guint rc_test_count_tcp_sockets(guint16 local_port, guint state);
/* Stops the node if still running, then frees. */
void rc_test_node_free(RcTestNode *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcTestNode, rc_test_node_free)

/* ----------------------------------------------------------------- HTTP --- */

typedef struct {
	guint status; /* 0 when the request itself failed */
	gchar *body;  /* never NULL */
	gchar *content_type;
} RcTestHttpReply;

void rc_test_http_reply_free(RcTestHttpReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcTestHttpReply, rc_test_http_reply_free)

/* GET http://127.0.0.1:PORT@path */
RcTestHttpReply *rc_test_http_get(RcTestNode *node, const gchar *path);
/* POST with body; @headers is NULL or a NULL-terminated list of "Name", "Value"
 * pairs. @content_type may be NULL (then "application/json"). */
RcTestHttpReply *rc_test_http_post(RcTestNode *node,
				   const gchar *path,
				   const gchar *content_type,
				   const gchar *body,
				   gsize body_len,
				   const gchar *const *headers);
/* The first HTTP response in @bytes as received on the wire (head, then a body of
 * Content-Length bytes, or everything after the head without one); status 0
 * when there is no complete head. */
RcTestHttpReply *rc_test_http_reply_parse(GBytes *bytes);
/* Parses the reply body as a JSON object; fails the test if it is not one. */
JsonObject *rc_test_http_reply_json(RcTestHttpReply *reply);
/* Value of one sample in a Prometheus text exposition ("name" or
 * "name{labels}" exactly as written); fails the test when absent. */
gdouble rc_test_metrics_value(const gchar *exposition, const gchar *sample);
/* the same without failing: FALSE when the sample is absent */
gboolean rc_test_metrics_try_value(const gchar *exposition, const gchar *sample, gdouble *value);

/* ------------------------------------------------------------ WebSocket --- */

typedef struct _RcTestWs RcTestWs;

/* Connects to @node's /ws (with "?@query" when not NULL), reads the hello
 * frame; fails the test on anything else. */
RcTestWs *rc_test_ws_new(RcTestNode *node, const gchar *query);
/* Connects to @url with extra request headers (NULL or "Name", "Value", ...,
 * NULL pairs) and @origin (NULL: no Origin header). Does NOT read the hello.
 * On refusal returns NULL, sets @http_status (when not NULL) to the HTTP
 * status of the upgrade response (0 if the connection itself failed) and @error. */
RcTestWs *rc_test_ws_try_connect(const gchar *url,
				 const gchar *origin,
				 const gchar *const *headers,
				 guint *http_status,
				 GError **error);

/* rc_test_ws_try_connect() that trusts @tls_database (NULL: the system's) for
 * a wss:// @url */
RcTestWs *rc_test_ws_try_connect_tls(const gchar *url,
				     const gchar *origin,
				     const gchar *const *headers,
				     GTlsDatabase *tls_database,
				     guint *http_status,
				     GError **error);
/* rc_test_ws_new() for a node that serves TLS, trusting the CA in @ca_file */
RcTestWs *rc_test_ws_new_tls(RcTestNode *node, const gchar *query, const gchar *ca_file);

/* the hello frame and its fields (set by rc_test_ws_new, or by the first
 * rc_test_ws_expect(ws, "hello", ...)) */
JsonObject *rc_test_ws_get_hello(RcTestWs *self);
const gchar *rc_test_ws_get_client_id(RcTestWs *self);
const gchar *rc_test_ws_get_sender(RcTestWs *self);
SoupWebsocketConnection *rc_test_ws_get_connection(RcTestWs *self);

void rc_test_ws_send_text(RcTestWs *self, const gchar *text);
void rc_test_ws_send_printf(RcTestWs *self, const gchar *format, ...) G_GNUC_PRINTF(2, 3);
void rc_test_ws_send_json(RcTestWs *self, JsonNode *node);
void rc_test_ws_send_binary(RcTestWs *self, gconstpointer data, gsize len);

/* Number of received frames not yet taken. */
guint rc_test_ws_get_n_queued(RcTestWs *self);
/* Next frame (transfer full), or NULL if none arrived within @timeout_ms.
 * Non-JSON frames come back as {"type":"<unparsable>","raw":TEXT} and binary
 * frames as {"type":"<binary>","size":N}, so the test fails visibly. */
JsonObject *rc_test_ws_try_next(RcTestWs *self, guint timeout_ms);

/* Asserting helpers; they are macros to report the caller's file:line. */
JsonObject *rc_test_ws_expect_at(
    RcTestWs *self, const gchar *type, guint timeout_ms, const gchar *file, gint line);
JsonObject *rc_test_ws_take_at(RcTestWs *self,
			       const gchar *type,
			       const gchar *ref,
			       guint timeout_ms,
			       const gchar *file,
			       gint line);
JsonObject *rc_test_ws_expect_error_at(RcTestWs *self,
				       const gchar *code,
				       const gchar *ref,
				       guint timeout_ms,
				       const gchar *file,
				       gint line);
void rc_test_ws_expect_silence_at(RcTestWs *self, guint ms, const gchar *file, gint line);
gushort rc_test_ws_wait_closed_at(RcTestWs *self, guint timeout_ms, const gchar *file, gint line);
void rc_test_ws_join_at(
    RcTestWs *self, const gchar *ns, const gchar *room_code, const gchar *file, gint line);
gchar *rc_test_ws_send_message_at(RcTestWs *self,
				  const gchar *ns,
				  const gchar *room_code,
				  const gchar *text,
				  const gchar *file,
				  gint line);
void rc_test_ws_ping_at(RcTestWs *self, const gchar *file, gint line);

/* Next frame must be of @type; returns it (transfer full). */
#define rc_test_ws_expect(ws, type, timeout_ms)                                                    \
	rc_test_ws_expect_at((ws), (type), (timeout_ms), __FILE__, __LINE__)
/* First queued-or-arriving frame of @type (and with "ref" == @ref when @ref is
 * not NULL; @type may be NULL to match any type); other frames stay queued
 * in order. */
#define rc_test_ws_take(ws, type, ref, timeout_ms)                                                 \
	rc_test_ws_take_at((ws), (type), (ref), (timeout_ms), __FILE__, __LINE__)
/* rc_test_ws_take() for a frame the test only needs to have arrived: frees it. */
#define rc_test_ws_drop(ws, type, ref, timeout_ms)                                                 \
	json_object_unref(rc_test_ws_take_at((ws), (type), (ref), (timeout_ms), __FILE__, __LINE__))
/* Next frame must be {"type":"error","code":@code} (and "ref":@ref if not NULL)
 * with a non-empty "message". */
#define rc_test_ws_expect_error(ws, code, ref, timeout_ms)                                         \
	rc_test_ws_expect_error_at((ws), (code), (ref), (timeout_ms), __FILE__, __LINE__)
/* No frame may arrive within @ms (and none may be queued). */
#define rc_test_ws_expect_silence(ws, ms)                                                          \
	rc_test_ws_expect_silence_at((ws), (ms), __FILE__, __LINE__)
/* Waits for the connection to close; returns the peer's close code (0 if none). */
#define rc_test_ws_wait_closed(ws, timeout_ms)                                                     \
	rc_test_ws_wait_closed_at((ws), (timeout_ms), __FILE__, __LINE__)
/* Sends join, expects "joined" with the same namespace and roomCode. */
#define rc_test_ws_join(ws, ns, room) rc_test_ws_join_at((ws), (ns), (room), __FILE__, __LINE__)
/* Sends a message with a fresh ref, waits for its ack (other frames such as
 * the echo stay queued) and returns the message id (transfer full). */
#define rc_test_ws_send_message(ws, ns, room, text)                                                \
	rc_test_ws_send_message_at((ws), (ns), (room), (text), __FILE__, __LINE__)
/* ping with a fresh ref, expects the matching pong as the next frame: proves the
 * connection still works. */
#define rc_test_ws_ping(ws) rc_test_ws_ping_at((ws), __FILE__, __LINE__)

gboolean rc_test_ws_is_closed(RcTestWs *self);
/* Closes normally (1000) and waits briefly for the close handshake. */
void rc_test_ws_close(RcTestWs *self);
void rc_test_ws_free(RcTestWs *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcTestWs, rc_test_ws_free)

/* ------------------------------------------------- raw WebSocket client --- */

/* A hand-rolled client on a plain GSocket, for what libsoup will not do: send
 * invalid UTF-8 in a text frame, or stop reading from the socket entirely
 * (slow consumer). All calls are blocking with the given timeouts. */
typedef struct _RcTestRawWs RcTestRawWs;

/* Connects and performs the upgrade; @rcvbuf > 0 sets SO_RCVBUF before
 * connecting (a small receive buffer makes a non-reading client hit the
 * server's queue limit quickly). Fails the test unless the answer is 101. */
RcTestRawWs *rc_test_raw_ws_new(RcTestNode *node, const gchar *query, gint rcvbuf);
/* The same without failing the test: NULL with @error when the connection fails,
 * the answer is not 101, or no answer came within @timeout_ms. */
RcTestRawWs *rc_test_raw_ws_try_new(
    RcTestNode *node, const gchar *query, gint rcvbuf, guint timeout_ms, GError **error);
/* the same for any request target ("/path?query") */
RcTestRawWs *rc_test_raw_ws_new_at(RcTestNode *node, const gchar *target, gint rcvbuf);
RcTestRawWs *rc_test_raw_ws_try_new_at(
    RcTestNode *node, const gchar *target, gint rcvbuf, guint timeout_ms, GError **error);
/* Sends one masked, final frame with @opcode (0x1 text, 0x2 binary, 0x8 close...). */
void rc_test_raw_ws_send_frame(RcTestRawWs *self, guint8 opcode, gconstpointer data, gsize len);
/* Sends one masked frame with an explicit FIN bit: a message in fragments is a
 * text or binary frame with @fin FALSE, continuation frames (opcode 0x0), and a
 * last continuation with @fin TRUE. Does not fail the test: FALSE with @error
 * when the peer closed or reset the connection. */
gboolean rc_test_raw_ws_try_send_frame(
    RcTestRawWs *self, guint8 opcode, gboolean fin, gconstpointer data, gsize len, GError **error);
/* The bytes of such a masked client frame, for a test that writes them itself. */
GBytes *rc_test_ws_frame_new(guint8 opcode, gboolean fin, gconstpointer data, gsize len);
/* Reads the next complete frame; returns FALSE on EOF, error or timeout
 * (@closed_by_peer set TRUE on EOF/ECONNRESET). The payload is returned in
 * @payload (transfer full). */
gboolean rc_test_raw_ws_read_frame(RcTestRawWs *self,
				   guint timeout_ms,
				   guint8 *opcode,
				   GBytes **payload,
				   gboolean *closed_by_peer);
/* Reads frames until a text frame arrives, returns it parsed (or NULL). */
JsonObject *rc_test_raw_ws_read_json(RcTestRawWs *self, guint timeout_ms);
GSocket *rc_test_raw_ws_get_socket(RcTestRawWs *self);
void rc_test_raw_ws_free(RcTestRawWs *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcTestRawWs, rc_test_raw_ws_free)

/* ------------------------------------------------------- raw HTTP client --- */

/* A plain TCP connection to a node, for requests libsoup's client will not send
 * (a Host of our choosing, broken framing, a body that never ends, nothing at
 * all). Blocking calls with the given timeouts; the socket itself gives up
 * after 10 s. */
typedef struct _RcTestRawHttp RcTestRawHttp;

/* Connects to the node's port; fails the test when the connection is refused
 * (a node that does not accept still completes the TCP handshake: its backlog). */
RcTestRawHttp *rc_test_raw_http_new(RcTestNode *node);
/* Sends all of @data (@len -1: a string); FALSE with @error when the node closed
 * or reset the connection. */
gboolean rc_test_raw_http_send(RcTestRawHttp *self, gconstpointer data, gssize len, GError **error);
/* TRUE when an answer (or the end of the connection) is waiting to be read */
gboolean rc_test_raw_http_has_input(RcTestRawHttp *self);
/* Reads until the node closes (EOF or reset) or @timeout_ms passed; returns every
 * byte received on the connection so far. @closed (may be NULL) tells which. */
GBytes *rc_test_raw_http_read_until_close(RcTestRawHttp *self, guint timeout_ms, gboolean *closed);
/* Reads until the first response is complete (or the connection ends, or
 * @timeout_ms passed) and returns it; status 0 when no complete head came. */
RcTestHttpReply *rc_test_raw_http_read_reply(RcTestRawHttp *self, guint timeout_ms);
/* TRUE once a read saw the node close the connection */
gboolean rc_test_raw_http_is_closed(RcTestRawHttp *self);
GSocket *rc_test_raw_http_get_socket(RcTestRawHttp *self);
void rc_test_raw_http_free(RcTestRawHttp *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcTestRawHttp, rc_test_raw_http_free)
/* One request (@request sent as is) on a new connection; the first response. */
RcTestHttpReply *rc_test_raw_http_request(RcTestNode *node, const gchar *request, guint timeout_ms);

/* ---------------------------------------------------------------- JSON --- */

/* Parses @text as a JSON object, NULL if it is not one. */
JsonObject *rc_test_json_parse_object(const gchar *text);
/* compact serialisation, for messages */
gchar *rc_test_json_to_string(JsonObject *object);
/* the string member @name or NULL (no criticals when absent / not a string) */
const gchar *rc_test_json_get_string(JsonObject *object, const gchar *name);

G_END_DECLS
