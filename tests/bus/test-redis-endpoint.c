/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTestRedisEndpoint"

#include "config.h"

#include <string.h>

#include "bus/rc-redis-endpoint.h"

/*
 * Every address form RcRedisEndpoint accepts, what it makes of it, and a
 * clear one-line error for every form it refuses; a password never shows in an
 * error or in the display string.
 */

typedef struct {
	const gchar *url;
	const gchar *host;
	guint16 port;
	const gchar *unix_path;
	const gchar *username;
	const gchar *password;
	guint db;
	gboolean tls;
	const gchar *display;
} Accepted;

/* clang-format off */
static const Accepted accepted[] = {
    {"redis://localhost", "localhost", 6379, NULL, NULL, NULL, 0, FALSE, "redis://localhost:6379"},
    {"redis://127.0.0.1:7000/3", "127.0.0.1", 7000, NULL, NULL, NULL, 3, FALSE,
     "redis://127.0.0.1:7000/3"},
    {"redis://h/", "h", 6379, NULL, NULL, NULL, 0, FALSE, "redis://h:6379"},
    {"redis://h:1/0", "h", 1, NULL, NULL, NULL, 0, FALSE, "redis://h:1"},
    {"redis://h:65535/15", "h", 65535, NULL, NULL, NULL, 15, FALSE, "redis://h:65535/15"},
    {"REDIS://Cache-1.example_net:6380", "Cache-1.example_net", 6380, NULL, NULL, NULL, 0, FALSE,
     "redis://Cache-1.example_net:6380"},
    {"redis://:Secret1@h:1/2", "h", 1, NULL, NULL, "Secret1", 2, FALSE, "redis://:***@h:1/2"},
    {"redis://alice:s3cr%40t%3Ax@h", "h", 6379, NULL, "alice", "s3cr@t:x", 0, FALSE,
     "redis://alice:***@h:6379"},
    {"redis://al%40ice@h", "h", 6379, NULL, "al@ice", NULL, 0, FALSE, "redis://al%40ice@h:6379"},
    {"redis://al%3Aice:pw@h", "h", 6379, NULL, "al:ice", "pw", 0, FALSE,
     "redis://al%3Aice:***@h:6379"},
    /* the userinfo ends at the last '@': a careless password survives */
    {"redis://bob:p@ss/w:rd@h:6390/1", "h", 6390, NULL, "bob", "p@ss/w:rd", 1, FALSE,
     "redis://bob:***@h:6390/1"},
    {"redis://:@h", "h", 6379, NULL, NULL, NULL, 0, FALSE, "redis://h:6379"},
    {"redis://@h", "h", 6379, NULL, NULL, NULL, 0, FALSE, "redis://h:6379"},
    {"redis://[::1]:6380/4", "::1", 6380, NULL, NULL, NULL, 4, FALSE, "redis://[::1]:6380/4"},
    {"redis://[::1]", "::1", 6379, NULL, NULL, NULL, 0, FALSE, "redis://[::1]:6379"},
    {"redis://u:pw@[2001:db8::1]/2", "2001:db8::1", 6379, NULL, "u", "pw", 2, FALSE,
     "redis://u:***@[2001:db8::1]:6379/2"},
    {"rediss://u:pw@cache.example.com:6390", "cache.example.com", 6390, NULL, "u", "pw", 0, TRUE,
     "rediss://u:***@cache.example.com:6390"},
    {"rediss://h", "h", 6379, NULL, NULL, NULL, 0, TRUE, "rediss://h:6379"},
    {"unix:/run/redis.sock", NULL, 0, "/run/redis.sock", NULL, NULL, 0, FALSE,
     "unix:///run/redis.sock"},
    {"unix:///run/redis.sock", NULL, 0, "/run/redis.sock", NULL, NULL, 0, FALSE,
     "unix:///run/redis.sock"},
    {"unix:///run/redis.sock?password=p%26w&db=3&user=bob", NULL, 0, "/run/redis.sock", "bob",
     "p&w", 3, FALSE, "unix:///run/redis.sock?user=bob&password=***&db=3"},
    {"unix:/tmp/a%20b.sock?db=15", NULL, 0, "/tmp/a b.sock", NULL, NULL, 15, FALSE,
     "unix:///tmp/a%20b.sock?db=15"},
    {"unix:/s?password=", NULL, 0, "/s", NULL, NULL, 0, FALSE, "unix:///s"},
    {"10.0.0.1:7001", "10.0.0.1", 7001, NULL, NULL, NULL, 0, FALSE, "redis://10.0.0.1:7001"},
    {"[::1]:7002", "::1", 7002, NULL, NULL, NULL, 0, FALSE, "redis://[::1]:7002"},
    {"node-1.cluster_x:30001", "node-1.cluster_x", 30001, NULL, NULL, NULL, 0, FALSE,
     "redis://node-1.cluster_x:30001"},
};
/* clang-format on */

static void
assert_endpoint(const RcRedisEndpoint *ep, const Accepted *a)
{
	g_assert_cmpstr(ep->host, ==, a->host);
	g_assert_cmpuint(ep->port, ==, a->port);
	g_assert_cmpstr(ep->unix_path, ==, a->unix_path);
	g_assert_cmpstr(ep->username, ==, a->username);
	g_assert_cmpstr(ep->password, ==, a->password);
	g_assert_cmpuint(ep->db, ==, a->db);
	g_assert_cmpint(ep->tls, ==, a->tls);
	g_assert_null(ep->tls_ca_file);
	g_assert_cmpuint(ep->timeout_ms, ==, 0);
}

static void
test_accepted(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(accepted); i++) {
		const Accepted *a = &accepted[i];
		g_autoptr(GError) error = NULL;
		g_autoptr(RcRedisEndpoint) ep = rc_redis_endpoint_parse(a->url, &error);
		g_autoptr(RcRedisEndpoint) again = NULL;
		g_autofree gchar *display = NULL;

		g_test_message("%s", a->url);
		g_assert_no_error(error);
		g_assert_nonnull(ep);
		assert_endpoint(ep, a);
		display = rc_redis_endpoint_to_display_string(ep);
		g_assert_cmpstr(display, ==, a->display);
		if (a->password != NULL)
			g_assert_null(strstr(display, a->password));
		/* the display string is an address again, with "***" for the password */
		again = rc_redis_endpoint_parse(display, &error);
		g_assert_no_error(error);
		g_assert_cmpstr(again->host, ==, ep->host);
		g_assert_cmpuint(again->port, ==, ep->port);
		g_assert_cmpstr(again->unix_path, ==, ep->unix_path);
		g_assert_cmpstr(again->username, ==, ep->username);
		g_assert_cmpstr(again->password, ==, a->password != NULL ? "***" : NULL);
		g_assert_cmpuint(again->db, ==, ep->db);
		g_assert_cmpint(again->tls, ==, ep->tls);
	}
}

typedef struct {
	const gchar *url;
	const gchar *expect; /* a substring of the message */
	const gchar *secret; /* must not be in the message */
} Refused;

/* clang-format off */
static const Refused refused[] = {
    {"", "empty", NULL},
    {"redis://", "host is empty", NULL},
    {"redis://:Pw0rdA@", "host is empty", "Pw0rdA"},
    {"redis://Pw0rdA@:6379", "host is empty", "Pw0rdA"},
    {"redis://h:", "port after “:” is empty", NULL},
    {"redis://h:0", "port 0 is out of range", NULL},
    {"redis://h:65536", "port 65536 is out of range", NULL},
    {"redis://h:99999999999999", "port is out of range", NULL},
    {"redis://h:abc", "port is not a number", "abc"},
    {"redis://h:-1", "port is not a number", NULL},
    {"redis://h:Pw0rdA", "port is not a number", "Pw0rdA"},
    {"redis://h/16", "database 16 is out of range", NULL},
    {"redis://h/99999999999999", "database is out of range", NULL},
    {"redis://h/x", "database is not a number", NULL},
    {"redis://h/-1", "database is not a number", NULL},
    {"redis://h/1/2", "database is not a number", NULL},
    {"redis://h?db=1", "“?” is not allowed here", NULL},
    {"redis://h#frag", "“#” is not allowed here", NULL},
    {"redis://h%41st", "host contains an invalid character", NULL},
    {"redis://ho!st:1", "host contains an invalid character", NULL},
    {"redis://u:%zzPw0rdA@h", "password has an invalid percent-escape", "Pw0rdA"},
    {"redis://u:Pw0rdA%4@h", "password has an invalid percent-escape", "Pw0rdA"},
    {"redis://u:Pw%00rdA@h", "password contains an escaped NUL byte", "rdA"},
    {"redis://us%zzer:Pw0rdA@h", "user name has an invalid percent-escape", "Pw0rdA"},
    {"redis://u:Pw0 rdA@h", "spaces or control characters", "Pw0"},
    {"redis://u:Pw0\trdA@h", "spaces or control characters", "Pw0"},
    {"redis://[::1", "“[” without “]”", NULL},
    {"redis://[zz]:1", "not an IPv6 address", NULL},
    {"redis://[10.0.0.1]:1", "not an IPv6 address", NULL},
    {"redis://[::1]x", "unexpected text after the IPv6 address", NULL},
    {"redis://::1:6379", "must be written in brackets", NULL},
    {"redis://[::1]:", "port after “:” is empty", NULL},
    {"http://u:Pw0rdA@h", "unknown scheme “http”", "Pw0rdA"},
    {"1nv@lid://Pw0rdA", "unknown scheme (expected", "Pw0rdA"},
    {"://h", "unknown scheme (expected", NULL},
    {"unix:", "absolute socket path", NULL},
    {"unix:relative.sock", "absolute socket path", NULL},
    {"unix:/", "absolute socket path", NULL},
    {"unix://host/run/redis.sock", "take no host", NULL},
    {"unix:/s%zz", "socket path has an invalid percent-escape", NULL},
    {"unix:///s?db=x", "database is not a number", NULL},
    {"unix:///s?db=99", "database 99 is out of range", NULL},
    {"unix:///s?foo=1", "unknown parameter", NULL},
    {"unix:///s?password", "parameter without “=”", NULL},
    {"unix:///s?db=1&db=2", "given twice", NULL},
    /* a stray '&' splits a password: its second half is never quoted */
    {"unix:///s?password=Pw0&rdA", "parameter without “=”", "rdA"},
    {"unix:///s?password=Pw0&rdA=Zq9", "unknown parameter", "Zq9"},
    {"unix:///s?password=Pw%zz0rdA", "password has an invalid percent-escape", "Pw"},
    {"localhost", "expected HOST:PORT", NULL},
    {"h:1:2", "must be written in brackets", NULL},
    {"u:Pw0rdA@h:1", "expected HOST:PORT", "Pw0rdA"},
    {"h:1/2", "expected HOST:PORT", NULL},
    {":6379", "host is empty", NULL},
    {"garbage!!", "host contains an invalid character", NULL},
    {"\x01\x02", "control characters", NULL},
};
/* clang-format on */

static void
assert_clear_error(const GError *error, const gchar *expect, const gchar *secret)
{
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, expect));
	g_assert_null(strchr(error->message, '\n'));
	g_assert_true(g_utf8_validate(error->message, -1, NULL));
	if (secret != NULL)
		g_assert_null(strstr(error->message, secret));
}

static void
test_refused(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(refused); i++) {
		const Refused *r = &refused[i];
		g_autoptr(GError) error = NULL;
		g_autoptr(RcRedisEndpoint) ep = rc_redis_endpoint_parse(r->url, &error);

		g_test_message("%s", r->url);
		g_assert_null(ep);
		g_assert_nonnull(error);
		g_test_message("  → %s", error->message);
		g_assert_true(g_str_has_prefix(error->message, "Invalid Redis address: "));
		assert_clear_error(error, r->expect, r->secret);
	}
}

static void
test_display_redacts(void)
{
	g_autoptr(RcRedisEndpoint) ep = rc_redis_endpoint_new();
	g_autofree gchar *display = NULL;

	/* an endpoint filled in by hand (e.g. from a config file) is redacted too */
	g_free(ep->host);
	ep->host = g_strdup("redis.internal");
	ep->password = g_strdup("Hunter2Hunter2");
	ep->tls = TRUE;
	ep->db = 7;
	display = rc_redis_endpoint_to_display_string(ep);
	g_assert_cmpstr(display, ==, "rediss://:***@redis.internal:6379/7");
	g_free(display);

	ep->username = g_strdup("ops team");
	display = rc_redis_endpoint_to_display_string(ep);
	g_assert_cmpstr(display, ==, "rediss://ops%20team:***@redis.internal:6379/7");
	g_assert_null(strstr(display, "Hunter2"));
}

static void
test_copy(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RcRedisEndpoint) ep = rc_redis_endpoint_parse("rediss://u:pw@h:2/3", &error);
	g_autoptr(RcRedisEndpoint) copy = NULL;
	RcRedisEndpoint *boxed;

	g_assert_no_error(error);
	ep->tls_ca_file = g_strdup("/etc/ca.pem");
	ep->tls_cert_file = g_strdup("/etc/c.pem");
	ep->tls_key_file = g_strdup("/etc/k.pem");
	ep->timeout_ms = 1500;
	copy = rc_redis_endpoint_copy(ep);
	g_assert_true(copy->host != ep->host);
	g_assert_cmpstr(copy->host, ==, "h");
	g_assert_cmpuint(copy->port, ==, 2);
	g_assert_cmpstr(copy->username, ==, "u");
	g_assert_cmpstr(copy->password, ==, "pw");
	g_assert_true(copy->password != ep->password);
	g_assert_cmpuint(copy->db, ==, 3);
	g_assert_true(copy->tls);
	g_assert_cmpstr(copy->tls_ca_file, ==, "/etc/ca.pem");
	g_assert_cmpstr(copy->tls_cert_file, ==, "/etc/c.pem");
	g_assert_cmpstr(copy->tls_key_file, ==, "/etc/k.pem");
	g_assert_cmpuint(copy->timeout_ms, ==, 1500);

	boxed = g_boxed_copy(RC_TYPE_REDIS_ENDPOINT, ep);
	g_assert_cmpstr(boxed->password, ==, "pw");
	g_boxed_free(RC_TYPE_REDIS_ENDPOINT, boxed);
	g_assert_true(G_TYPE_IS_BOXED(RC_TYPE_REDIS_ENDPOINT));
}

static void
test_list(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) list = rc_redis_endpoint_parse_list(
	    "10.0.0.1:7000, 10.0.0.2:7001 ,redis://:pw@h:7002/1", &error);
	RcRedisEndpoint *ep;

	g_assert_no_error(error);
	g_assert_cmpuint(list->len, ==, 3);
	ep = g_ptr_array_index(list, 0);
	g_assert_cmpstr(ep->host, ==, "10.0.0.1");
	g_assert_cmpuint(ep->port, ==, 7000);
	ep = g_ptr_array_index(list, 1);
	g_assert_cmpstr(ep->host, ==, "10.0.0.2");
	g_assert_cmpuint(ep->port, ==, 7001);
	ep = g_ptr_array_index(list, 2);
	g_assert_cmpstr(ep->host, ==, "h");
	g_assert_cmpstr(ep->password, ==, "pw");
	g_assert_cmpuint(ep->db, ==, 1);

	g_clear_pointer(&list, g_ptr_array_unref);
	list = rc_redis_endpoint_parse_list("[::1]:1", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(list->len, ==, 1);
}

static void
test_list_refused(void)
{
	const Refused cases[] = {
	    {"", "entry 1 is empty", NULL},
	    {"a:1,,b:2", "entry 2 is empty", NULL},
	    {"a:1, ", "entry 2 is empty", NULL},
	    {"a:1,redis://:Sup3rS3cret@h:99999",
	     "Entry 2 of the list: Invalid Redis address: port "
	     "99999 is out of range",
	     "Sup3rS3cret"},
	    {"a:1,b:2,c", "Entry 3 of the list: Invalid Redis address: expected HOST:PORT", NULL},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) list = rc_redis_endpoint_parse_list(cases[i].url, &error);

		g_test_message("%s", cases[i].url);
		g_assert_null(list);
		assert_clear_error(error, cases[i].expect, cases[i].secret);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/redis/endpoint/accepted", test_accepted);
	g_test_add_func("/redis/endpoint/refused", test_refused);
	g_test_add_func("/redis/endpoint/display-redacts", test_display_redacts);
	g_test_add_func("/redis/endpoint/copy", test_copy);
	g_test_add_func("/redis/endpoint/list", test_list);
	g_test_add_func("/redis/endpoint/list-refused", test_list_refused);
	return g_test_run();
}
