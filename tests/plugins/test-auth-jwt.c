/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * auth-jwt through the plugin host: tokens signed here with GHmac, good ones and every
 * kind of bad one.
 */
#define G_LOG_DOMAIN "RcTestAuthJwt"

#include "config.h"

#include <string.h>

#include "rc-error.h"
#include "rc-message.h"
#include "rc-plugin-test-util.h"

#define SECRET "correct horse battery staple, 32+ bytes"
#define B64URL_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
#define HS256 "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

#define b64url rc_ptest_base64url
#define sign_parts rc_ptest_sign_jwt_parts
#define make_jwt rc_ptest_make_jwt

static gchar *
b64url_str(const gchar *s)
{
	return b64url((const guint8 *)s, strlen(s));
}

static gint64
now(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

/* a payload with sub and exp (seconds from now) plus @extra members ("" or ",...") */
static gchar *
claims(const gchar *sub, gint64 exp_in, const gchar *extra)
{
	return g_strdup_printf(
	    "{\"sub\":\"%s\",\"exp\":%" G_GINT64_FORMAT "%s}", sub, now() + exp_in, extra);
}

static RcPluginHost *
host_new(const gchar *extra_config)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *config =
	    g_strdup_printf("[plugin:auth-jwt]\nsecret=" SECRET "\n%s", extra_config);
	RcPluginHost *host = rc_ptest_host_new(rc_ptest_plugin_dir(), "auth-jwt", config, &error);

	g_assert_no_error(error);
	return host;
}

static gboolean
auth(RcPluginHost *host, const gchar *token, gchar **sender, GStrv *globs, GError **error)
{
	g_autoptr(RcAuthRequest) request = rc_ptest_request_new(token);

	return rc_plugin_host_authenticate_request(host, request, sender, globs, error);
}

static void
assert_refused(RcPluginHost *host, const gchar *token, const gchar *message)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sender = NULL;
	g_auto(GStrv) globs = NULL;

	g_assert_false(auth(host, token, &sender, &globs, &error));
	g_assert_error(error, RC_ERROR, RC_ERROR_UNAUTHORIZED);
	g_assert_cmpstr(error->message, ==, message);
	g_assert_null(sender);
	g_assert_null(globs);
}

/* returns the room globs (NULL: every room) */
static GStrv
assert_accepted(RcPluginHost *host, const gchar *token, const gchar *sender)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *got = NULL;
	GStrv globs = NULL;

	g_assert_true(auth(host, token, &got, &globs, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(got, ==, sender);
	return globs;
}

static void
test_valid(void)
{
	g_autoptr(RcPluginHost) host = host_new("");
	g_autofree gchar *payload = claims("alice", 60, ",\"iat\":1,\"extra\":{\"x\":[1,2]}");
	g_autofree gchar *token = make_jwt(HS256, payload, SECRET);
	g_autofree gchar *no_typ = make_jwt("{\"alg\":\"HS256\"}", payload, SECRET);
	g_autofree gchar *bearer = NULL;
	g_autoptr(RcAuthRequest) request = rc_ptest_request_new(NULL);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sender = NULL;
	g_auto(GStrv) globs = NULL;
	g_auto(GStrv) globs2 = NULL;

	globs = assert_accepted(host, token, "alice");
	g_assert_null(globs);
	globs2 = assert_accepted(host, no_typ, "alice");
	g_assert_null(globs2);

	bearer = g_strdup_printf("Bearer %s", token);
	rc_auth_request_add_header(request, "Authorization", bearer);
	g_assert_true(rc_plugin_host_authenticate_request(host, request, &sender, &globs, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(sender, ==, "alice");
}

static void
test_missing(void)
{
	g_autoptr(RcPluginHost) host = host_new("");

	assert_refused(host, NULL, "a token is required (?token= or Authorization: Bearer)");
	assert_refused(host, "", "a token is required (?token= or Authorization: Bearer)");
}

static void
test_expiry(void)
{
	g_autoptr(RcPluginHost) host = host_new("");
	g_autoptr(RcPluginHost) strict = host_new("leeway=0\n");
	g_autofree gchar *expired = claims("alice", -60, "");
	g_autofree gchar *skewed = claims("alice", -10, "");
	g_autofree gchar *t_expired = make_jwt(HS256, expired, SECRET);
	g_autofree gchar *t_skewed = make_jwt(HS256, skewed, SECRET);
	g_autofree gchar *no_exp = g_strdup_printf("{\"sub\":\"alice\"}");
	g_autofree gchar *t_no_exp = make_jwt(HS256, no_exp, SECRET);
	g_autofree gchar *t_str_exp =
	    make_jwt(HS256, "{\"sub\":\"alice\",\"exp\":\"9999999999\"}", SECRET);
	g_autofree gchar *t_null_exp = make_jwt(HS256, "{\"sub\":\"alice\",\"exp\":null}", SECRET);
	g_autofree gchar *frac =
	    g_strdup_printf("{\"sub\":\"alice\",\"exp\":%" G_GINT64_FORMAT ".5}", now() + 60);
	g_autofree gchar *t_frac = make_jwt(HS256, frac, SECRET);
	g_auto(GStrv) g1 = NULL;
	g_auto(GStrv) g2 = NULL;

	assert_refused(host, t_expired, "token has expired");
	/* within the default 30 s of leeway, but not without leeway */
	g1 = assert_accepted(host, t_skewed, "alice");
	assert_refused(strict, t_skewed, "token has expired");
	assert_refused(host, t_no_exp, "token has no “exp” claim");
	assert_refused(host, t_str_exp, "token “exp” claim is not a number");
	assert_refused(host, t_null_exp, "token “exp” claim is not a number");
	/* NumericDate may have a fraction */
	g2 = assert_accepted(host, t_frac, "alice");
}

static void
test_not_before(void)
{
	g_autoptr(RcPluginHost) host = host_new("");
	g_autofree gchar *later_p = NULL;
	g_autofree gchar *soon_p = NULL;
	g_autofree gchar *later = NULL;
	g_autofree gchar *soon = NULL;
	g_autofree gchar *bad = NULL;
	g_autofree gchar *nbf = NULL;
	g_auto(GStrv) globs = NULL;

	nbf = g_strdup_printf(",\"nbf\":%" G_GINT64_FORMAT, now() + 600);
	later_p = claims("alice", 900, nbf);
	later = make_jwt(HS256, later_p, SECRET);
	assert_refused(host, later, "token is not valid yet");

	g_free(nbf);
	nbf = g_strdup_printf(",\"nbf\":%" G_GINT64_FORMAT, now() + 10);
	soon_p = claims("alice", 900, nbf);
	soon = make_jwt(HS256, soon_p, SECRET);
	globs = assert_accepted(host, soon, "alice");

	g_free(later_p);
	later_p = claims("alice", 900, ",\"nbf\":\"now\"");
	bad = make_jwt(HS256, later_p, SECRET);
	assert_refused(host, bad, "token “nbf” claim is not a number");
}

static void
test_forged(void)
{
	g_autoptr(RcPluginHost) host = host_new("");
	g_autofree gchar *payload = claims("alice", 60, "");
	g_autofree gchar *admin = claims("admin", 60, "");
	g_autofree gchar *other = make_jwt(HS256, payload, "another secret");
	g_autofree gchar *good = make_jwt(HS256, payload, SECRET);
	g_autofree gchar *h = b64url_str(HS256);
	g_autofree gchar *p_admin = b64url_str(admin);
	g_autofree gchar *tampered = NULL;
	g_autofree gchar *truncated = g_strndup(good, strlen(good) - 3);
	g_autofree gchar *no_sig = g_strndup(good, strrchr(good, '.') - good + 1);
	g_autofree gchar *flipped = g_strdup(good);
	gchar *last = flipped + strlen(flipped) - 1;
	g_auto(GStrv) globs = NULL;

	assert_refused(host, other, "token signature does not match");

	/* alice's signature on admin's payload */
	tampered = g_strdup_printf("%s.%s%s", h, p_admin, strrchr(good, '.'));
	assert_refused(host, tampered, "token signature does not match");
	assert_refused(host, truncated, "token signature does not match");
	assert_refused(host, no_sig, "token is not valid base64url");

	/* the last character of a 32-byte signature carries 2 unused bits: flipping one
	 * gives the same bytes in a non-canonical spelling, which strict base64url refuses */
	g_assert_cmpuint((strchr(B64URL_ALPHABET, *last) - B64URL_ALPHABET) % 4, ==, 0);
	*last = B64URL_ALPHABET[(strchr(B64URL_ALPHABET, *last) - B64URL_ALPHABET) ^ 1];
	assert_refused(host, flipped, "token is not valid base64url");

	/* the genuine one still works */
	globs = assert_accepted(host, good, "alice");
}

static void
test_algorithms(void)
{
	g_autoptr(RcPluginHost) host = host_new("");
	g_autofree gchar *payload = claims("alice", 60, "");
	g_autofree gchar *h_none = b64url_str("{\"alg\":\"none\",\"typ\":\"JWT\"}");
	g_autofree gchar *p = b64url_str(payload);
	g_autofree gchar *unsigned_none = g_strdup_printf("%s.%s.", h_none, p);
	const gchar *headers[] = {
	    "{\"alg\":\"none\"}",
	    "{\"alg\":\"None\"}",
	    "{\"alg\":\"hs256\"}",
	    "{\"alg\":\"HS256 \"}",
	    "{\"alg\":\"HS384\"}",
	    "{\"alg\":\"HS512\"}",
	    "{\"alg\":\"RS256\"}",
	    "{\"alg\":\"ES256\"}",
	    "{\"alg\":null}",
	    "{\"alg\":[\"HS256\"]}",
	    "{\"typ\":\"JWT\"}",
	};

	/* the classic: alg none with an empty signature */
	assert_refused(host, unsigned_none, "token algorithm must be HS256");
	/* even correctly HMAC-signed, only the exact "HS256" is accepted */
	for (guint i = 0; i < G_N_ELEMENTS(headers); i++) {
		g_autofree gchar *token = make_jwt(headers[i], payload, SECRET);
		assert_refused(host, token, "token algorithm must be HS256");
	}
	{
		g_autofree gchar *token =
		    make_jwt("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", payload, SECRET);
		assert_refused(host, token, "token has critical header extensions");
	}
}

static void
test_strict_base64url(void)
{
	g_autoptr(RcPluginHost) host = host_new("");
	g_autofree gchar *payload = claims("alice", 60, "");
	g_autofree gchar *h = b64url_str(HS256);
	g_autofree gchar *p = b64url_str(payload);
	g_autofree gchar *good = sign_parts(h, p, SECRET);
	const gchar *hdr28 = "{\"alg\":\"HS256\", \"typ\":\"JWT\"}";
	g_autofree gchar *std_header = g_base64_encode((const guchar *)hdr28, strlen(hdr28));
	g_autofree gchar *padded = NULL;
	g_autofree gchar *plus = NULL;
	g_autofree gchar *space = NULL;
	g_autofree gchar *std_payload = NULL;
	g_auto(GStrv) globs = NULL;

	/* a 28-byte header has padding in base64: refused with it, even signed over */
	g_assert_nonnull(strchr(std_header, '='));
	padded = sign_parts(std_header, p, SECRET);
	assert_refused(host, padded, "token header is not valid base64url");

	/* '+' and '/' belong to the other alphabet: a payload that needs one of them */
	{
		const gchar *needs =
		    "{\"sub\":\"alice\",\"exp\":9999999999,\"x\":\"~~~~~~>>>>>>\"}";
		g_autofree gchar *std = g_base64_encode((const guchar *)needs, strlen(needs));
		g_autofree gchar *url = b64url_str(needs);
		g_autofree gchar *url_token = sign_parts(h, url, SECRET);
		g_auto(GStrv) ok_globs = NULL;

		g_strdelimit(std, "=", '\0');
		g_assert_true(strchr(std, '+') != NULL || strchr(std, '/') != NULL);
		std_payload = sign_parts(h, std, SECRET);
		assert_refused(host, std_payload, "token is not valid base64url");
		ok_globs = assert_accepted(host, url_token, "alice");
	}

	plus = g_strdup_printf("%s.%s.", h, p);
	assert_refused(host, plus, "token is not valid base64url");
	space = g_strdup_printf(" %s", good);
	assert_refused(host, space, "token header is not valid base64url");

	assert_refused(host, "abc", "token is not a JWT (header.payload.signature)");
	assert_refused(host, "a.b", "token is not a JWT (header.payload.signature)");
	{
		g_autofree gchar *four = g_strdup_printf("%s.x", good);
		assert_refused(host, four, "token is not a JWT (header.payload.signature)");
	}
	assert_refused(host, "..", "token header is not valid base64url");
	/* valid base64url of something that is not JSON */
	{
		g_autofree gchar *h_junk = b64url_str("not json");
		g_autofree gchar *junk = sign_parts(h_junk, p, SECRET);
		assert_refused(host, junk, "token header is not a JSON object");
	}
	globs = assert_accepted(host, good, "alice");
}

static void
test_issuer_audience(void)
{
	g_autoptr(RcPluginHost) host = host_new("issuer=https://id.example\naudience=roomcast\n");
	struct {
		const gchar *extra;
		const gchar *refusal; /* NULL: accepted */
	} cases[] = {
	    {",\"iss\":\"https://id.example\",\"aud\":\"roomcast\"", NULL},
	    {",\"iss\":\"https://id.example\",\"aud\":[\"other\",\"roomcast\"]", NULL},
	    {",\"iss\":\"https://id.example\",\"aud\":\"other\"", "token audience does not match"},
	    {",\"iss\":\"https://id.example\",\"aud\":[\"other\"]",
	     "token audience does not match"},
	    {",\"iss\":\"https://id.example\",\"aud\":[]", "token audience does not match"},
	    {",\"iss\":\"https://id.example\"", "token audience does not match"},
	    {",\"iss\":\"https://id.example\",\"aud\":[1]", "token audience does not match"},
	    {",\"iss\":\"https://evil.example\",\"aud\":\"roomcast\"",
	     "token issuer does not match"},
	    {",\"aud\":\"roomcast\"", "token issuer does not match"},
	    {",\"iss\":7,\"aud\":\"roomcast\"", "token issuer does not match"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *payload = claims("alice", 60, cases[i].extra);
		g_autofree gchar *token = make_jwt(HS256, payload, SECRET);

		if (cases[i].refusal == NULL) {
			g_auto(GStrv) globs = assert_accepted(host, token, "alice");
			g_assert_null(globs);
		} else {
			assert_refused(host, token, cases[i].refusal);
		}
	}
}

static void
test_unchecked_when_unset(void)
{
	g_autoptr(RcPluginHost) host = host_new("issuer=\naudience=\n");
	g_autofree gchar *payload = claims("alice", 60, ",\"iss\":\"anyone\",\"aud\":\"anything\"");
	g_autofree gchar *token = make_jwt(HS256, payload, SECRET);
	g_auto(GStrv) globs = assert_accepted(host, token, "alice");

	g_assert_null(globs);
}

static void
test_subject(void)
{
	g_autoptr(RcPluginHost) host = host_new("");
	g_autofree gchar *long_sub = g_strnfill(65, 'a');
	g_autofree gchar *max_sub = g_strnfill(64, 'a');
	g_autofree gchar *p_long = claims(long_sub, 60, "");
	g_autofree gchar *p_max = claims(max_sub, 60, "");
	g_autofree gchar *p_ctrl = claims("ali\\u0007ce", 60, "");
	g_autofree gchar *p_utf8 = claims("Zoë 😀", 60, "");
	g_autofree gchar *p_none = g_strdup_printf("{\"exp\":%" G_GINT64_FORMAT "}", now() + 60);
	g_autofree gchar *p_num =
	    g_strdup_printf("{\"sub\":5,\"exp\":%" G_GINT64_FORMAT "}", now() + 60);
	g_autofree gchar *t_long = make_jwt(HS256, p_long, SECRET);
	g_autofree gchar *t_max = make_jwt(HS256, p_max, SECRET);
	g_autofree gchar *t_ctrl = make_jwt(HS256, p_ctrl, SECRET);
	g_autofree gchar *t_utf8 = make_jwt(HS256, p_utf8, SECRET);
	g_autofree gchar *t_none = make_jwt(HS256, p_none, SECRET);
	g_autofree gchar *t_num = make_jwt(HS256, p_num, SECRET);
	g_autofree gchar *t_array = make_jwt(HS256, "[1,2]", SECRET);
	g_auto(GStrv) g1 = NULL;
	g_auto(GStrv) g2 = NULL;

	g1 = assert_accepted(host, t_max, max_sub);
	g2 = assert_accepted(host, t_utf8, "Zoë 😀");
	assert_refused(host, t_long, "token “sub” claim: sender is longer than 64 bytes");
	assert_refused(host, t_ctrl, "token “sub” claim: sender contains a control character");
	assert_refused(host, t_none, "token has no “sub” claim");
	assert_refused(host, t_num, "token has no “sub” claim");
	assert_refused(host, t_array, "token payload is not a JSON object");
}

/* json-glib hands out a string with an escaped NUL ("\u0000") cut short at it, so
 * "ali\u0000ce" would read as "ali" and "https://id.example\u0000.evil" as the
 * issuer: the plugin refuses such a token rather than read it as something else. */
static void
test_escaped_nul(void)
{
	g_autoptr(RcPluginHost) host = host_new("");
	g_autoptr(RcPluginHost) issuer = host_new("issuer=https://id.example\n");
	g_autofree gchar *p_sub = claims("ali\\u0000ce", 60, "");
	g_autofree gchar *p_end = claims("alice\\u0000", 60, "");
	g_autofree gchar *p_iss = claims("alice", 60, ",\"iss\":\"https://id.example\\u0000.evil\"");
	g_autofree gchar *p_glob = claims("alice", 60, ",\"rooms\":[\"team-*\\u0000x\"]");
	g_autofree gchar *p_name = claims("alice", 60, ",\"x\\u0000y\":1");
	/* an escaped backslash before "u0000" is a backslash: no NUL in that */
	g_autofree gchar *p_backslash = claims("ali\\\\u0000ce", 60, "");
	g_autofree gchar *p_ok_iss = claims("alice", 60, ",\"iss\":\"https://id.example\"");
	g_autofree gchar *t_sub = make_jwt(HS256, p_sub, SECRET);
	g_autofree gchar *t_end = make_jwt(HS256, p_end, SECRET);
	g_autofree gchar *t_iss = make_jwt(HS256, p_iss, SECRET);
	g_autofree gchar *t_glob = make_jwt(HS256, p_glob, SECRET);
	g_autofree gchar *t_name = make_jwt(HS256, p_name, SECRET);
	g_autofree gchar *t_header =
	    make_jwt("{\"alg\":\"HS256\",\"kid\":\"a\\u0000b\"}", p_ok_iss, SECRET);
	g_autofree gchar *t_backslash = make_jwt(HS256, p_backslash, SECRET);
	g_autofree gchar *t_ok_iss = make_jwt(HS256, p_ok_iss, SECRET);
	g_auto(GStrv) g1 = NULL;
	g_auto(GStrv) g2 = NULL;

	assert_refused(host, t_sub, "token payload is not a JSON object");
	assert_refused(host, t_end, "token payload is not a JSON object");
	assert_refused(issuer, t_iss, "token payload is not a JSON object");
	assert_refused(host, t_glob, "token payload is not a JSON object");
	assert_refused(host, t_name, "token payload is not a JSON object");
	assert_refused(host, t_header, "token header is not a JSON object");
	g1 = assert_accepted(host, t_backslash, "ali\\u0000ce");
	g2 = assert_accepted(issuer, t_ok_iss, "alice");
}

static void
test_rooms(void)
{
	g_autoptr(RcPluginHost) host = host_new("");
	g_autofree gchar *p_rooms = claims("alice", 60, ",\"rooms\":[\"team-*\",\"lobby\"]");
	g_autofree gchar *p_empty = claims("alice", 60, ",\"rooms\":[]");
	g_autofree gchar *p_str = claims("alice", 60, ",\"rooms\":\"team-*\"");
	g_autofree gchar *p_num = claims("alice", 60, ",\"rooms\":[\"a\",1]");
	g_autofree gchar *p_bad = claims("alice", 60, ",\"rooms\":[\"a/b\"]");
	g_autofree gchar *t_rooms = make_jwt(HS256, p_rooms, SECRET);
	g_autofree gchar *t_empty = make_jwt(HS256, p_empty, SECRET);
	g_autofree gchar *t_str = make_jwt(HS256, p_str, SECRET);
	g_autofree gchar *t_num = make_jwt(HS256, p_num, SECRET);
	g_autofree gchar *t_bad = make_jwt(HS256, p_bad, SECRET);
	g_auto(GStrv) globs = NULL;
	g_auto(GStrv) none = NULL;

	globs = assert_accepted(host, t_rooms, "alice");
	g_assert_cmpstrv(globs, ((const gchar *[]){"team-*", "lobby", NULL}));
	/* an empty list lets the client in but into no room */
	none = assert_accepted(host, t_empty, "alice");
	g_assert_nonnull(none);
	g_assert_cmpuint(g_strv_length(none), ==, 0);
	assert_refused(host, t_str, "token “rooms” claim is not an array");
	assert_refused(host, t_num, "token “rooms” claim must hold only strings");
	assert_refused(
	    host,
	    t_bad,
	    "token “rooms” claim: room glob “a/b” may only hold A-Z a-z 0-9 _ . : @ - * ?");
}

static void
test_too_long(void)
{
	g_autoptr(RcPluginHost) host = host_new("");
	g_autofree gchar *big = g_strnfill(10000, 'a');

	assert_refused(host, big, "token is too long");
}

static void
test_startup_errors(void)
{
	const struct {
		const gchar *config;
		const gchar *message;
	} cases[] = {
	    {"",
	     "plugin auth-jwt: cannot start: set “secret” in [plugin:auth-jwt] to the HS256 key"},
	    {"[plugin:auth-jwt]\nsecret=\n",
	     "plugin auth-jwt: cannot start: set “secret” in [plugin:auth-jwt] to the HS256 key"},
	    {"[plugin:auth-jwt]\nsecret=s\nleeway=-1\n",
	     "plugin auth-jwt: cannot start: “leeway” in [plugin:auth-jwt] must be a number of "
	     "seconds, 0 or more"},
	    {"[plugin:auth-jwt]\nsecret=s\nleeway=soon\n",
	     "plugin auth-jwt: cannot start: “leeway” in [plugin:auth-jwt] must be a number of "
	     "seconds, 0 or more"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(RcPluginHost) host =
		    rc_ptest_host_new(rc_ptest_plugin_dir(), "auth-jwt", cases[i].config, &error);

		g_assert_null(host);
		g_assert_error(error, RC_ERROR, RC_ERROR_FAILED);
		g_assert_cmpstr(error->message, ==, cases[i].message);
	}
}

int
main(int argc, char **argv)
{
	rc_ptest_init(&argc, &argv);
	g_test_add_func("/auth-jwt/valid", test_valid);
	g_test_add_func("/auth-jwt/missing", test_missing);
	g_test_add_func("/auth-jwt/expiry", test_expiry);
	g_test_add_func("/auth-jwt/not-before", test_not_before);
	g_test_add_func("/auth-jwt/forged", test_forged);
	g_test_add_func("/auth-jwt/algorithms", test_algorithms);
	g_test_add_func("/auth-jwt/strict-base64url", test_strict_base64url);
	g_test_add_func("/auth-jwt/issuer-audience", test_issuer_audience);
	g_test_add_func("/auth-jwt/unchecked-when-unset", test_unchecked_when_unset);
	g_test_add_func("/auth-jwt/subject", test_subject);
	g_test_add_func("/auth-jwt/escaped-nul", test_escaped_nul);
	g_test_add_func("/auth-jwt/rooms", test_rooms);
	g_test_add_func("/auth-jwt/too-long", test_too_long);
	g_test_add_func("/auth-jwt/startup-errors", test_startup_errors);
	return g_test_run();
}
