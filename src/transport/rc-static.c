/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Serves the web client's files (data/www) for GET and HEAD, from a folder when there is one
 * (ROOMCAST_WWW_DIR, else the installed $datadir/roomcast/www), otherwise from the copy built
 * into roomcastd as a GResource.
 *
 * The files are few and small, so each request looks the file up for its ETag and reads it
 * whole; there is no cache to go stale while someone edits the page.
 */
#define G_LOG_DOMAIN "RcStatic"

#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "rc-static.h"
#include "rc-www-resources.h"

#define RC_STATIC_MAX_PATH 512
#define RC_STATIC_MAX_SEGMENT 128
#define RC_STATIC_ATTRIBUTES                                                                       \
	G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_SIZE                          \
				       "," G_FILE_ATTRIBUTE_TIME_MODIFIED                          \
				       "," G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC

/* The page loads nothing from elsewhere; the policy makes the browser hold it to that. */
#define RC_STATIC_CSP                                                                              \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "                \
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "             \
	"frame-ancestors 'none'"

static const struct {
	const gchar *suffix;
	const gchar *type;
} rc_static_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".webmanifest", "application/manifest+json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/vnd.microsoft.icon"},
    {".txt", "text/plain; charset=utf-8"},
};

/* Only files of these types are served: a stray meson.build or editor backup is not. */
static const gchar *
rc_static_content_type(const gchar *filename)
{
	for (gsize i = 0; i < G_N_ELEMENTS(rc_static_types); i++) {
		if (g_str_has_suffix(filename, rc_static_types[i].suffix))
			return rc_static_types[i].type;
	}
	return NULL;
}

#define RC_STATIC_RESOURCE_ROOT "/org/roomcast/www/"

typedef enum {
	RC_STATIC_FROM_FOLDER,
	RC_STATIC_BUILT_IN,
	RC_STATIC_NOTHING, /* ROOMCAST_WWW_DIR names a folder that is not there */
} RcStaticSource;

/* Where the page comes from, decided once; @root is the folder's real path. */
static RcStaticSource
rc_static_source(const gchar **root)
{
	static gchar *folder = NULL;
	static RcStaticSource source = RC_STATIC_NOTHING;
	static gboolean decided = FALSE;
	const gchar *dir = g_getenv("ROOMCAST_WWW_DIR");

	if (!decided) {
		decided = TRUE;
		/* also links the resource into the binary, whose constructor registers it */
		g_assert(rc_www_get_resource() != NULL);
		if (dir != NULL && dir[0] != '\0') {
			folder = realpath(dir, NULL);
			source = folder != NULL ? RC_STATIC_FROM_FOLDER : RC_STATIC_NOTHING;
			if (folder == NULL)
				g_warning("ROOMCAST_WWW_DIR %s is missing: GET / will answer 404", dir);
		} else {
			folder = realpath(RC_WWWDIR, NULL);
			source = folder != NULL ? RC_STATIC_FROM_FOLDER : RC_STATIC_BUILT_IN;
		}
		g_debug("serving the web client from %s",
			folder != NULL ? folder : "the copy built into roomcastd");
	}
	*root = folder;
	return source;
}

/* a file to answer with: its bytes (not read for HEAD), size and ETag */
typedef struct {
	gchar *name; /* what decides the type: the resolved path or the resource path */
	GBytes *contents;
	goffset size;
	gchar *etag;
} RcStaticFile;

static void
rc_static_file_clear(RcStaticFile *f)
{
	g_clear_pointer(&f->name, g_free);
	g_clear_pointer(&f->contents, g_bytes_unref);
	g_clear_pointer(&f->etag, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(RcStaticFile, rc_static_file_clear)

static gboolean
rc_static_find_in_folder(const gchar *root, const gchar *relative, gboolean head, RcStaticFile *f)
{
	g_autofree gchar *candidate = g_build_filename(root, relative, NULL);
	g_autofree gchar *resolved = realpath(candidate, NULL);
	g_autofree gchar *root_prefix = g_strconcat(root, G_DIR_SEPARATOR_S, NULL);
	g_autoptr(GFile) file = NULL;
	g_autoptr(GFileInfo) info = NULL;
	g_autoptr(GError) error = NULL;
	guint64 mtime_usec;

	/* symlinks may not lead out of the web root */
	if (resolved == NULL || !g_str_has_prefix(resolved, root_prefix))
		return FALSE;
	file = g_file_new_for_path(resolved);
	info = g_file_query_info(file, RC_STATIC_ATTRIBUTES, G_FILE_QUERY_INFO_NONE, NULL, &error);
	if (info == NULL || g_file_info_get_file_type(info) != G_FILE_TYPE_REGULAR) {
		if (error != NULL)
			g_debug("cannot stat %s: %s", resolved, error->message);
		return FALSE;
	}
	f->size = g_file_info_get_size(info);
	mtime_usec = g_file_info_get_attribute_uint64(info, G_FILE_ATTRIBUTE_TIME_MODIFIED);
	mtime_usec *= G_USEC_PER_SEC;
	mtime_usec += g_file_info_get_attribute_uint32(info, G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC);
	f->etag = g_strdup_printf("\"%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x\"",
				  (gint64)f->size,
				  mtime_usec);
	if (!head) {
		gchar *data = NULL;
		gsize length = 0;
		if (!g_file_get_contents(resolved, &data, &length, &error)) {
			g_warning("cannot read %s: %s", resolved, error->message);
			return FALSE;
		}
		f->contents = g_bytes_new_take(data, length);
		f->size = (goffset)length;
	}
	f->name = g_steal_pointer(&resolved);
	return TRUE;
}

static gboolean
rc_static_find_built_in(const gchar *relative, RcStaticFile *f)
{
	g_autofree gchar *path = g_strconcat(RC_STATIC_RESOURCE_ROOT, relative, NULL);
	g_autoptr(GBytes) data = g_resources_lookup_data(path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);

	if (data == NULL)
		return FALSE;
	/* built in with the binary, or overlaid by a developer: the bytes are the version */
	f->size = (goffset)g_bytes_get_size(data);
	f->etag = g_strdup_printf("\"%" G_GINT64_MODIFIER "x-%x\"",
				  (gint64)f->size,
				  g_bytes_hash(data));
	f->contents = g_steal_pointer(&data);
	f->name = g_steal_pointer(&path);
	return TRUE;
}

/* Only plain names: this rejects "..", ".", empty segments, dotfiles, and any leftover
 * escape, backslash or control character before the file system is consulted at all. */
static gboolean
rc_static_segment_ok(const gchar *segment)
{
	gsize len = 0;

	if (segment[0] == '\0' || segment[0] == '.')
		return FALSE;
	for (const gchar *p = segment; *p != '\0'; p++, len++) {
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
			return FALSE;
	}
	return len <= RC_STATIC_MAX_SEGMENT;
}

/* Returns the path relative to the web root, or NULL when it can name no file of ours. */
static gchar *
rc_static_relative_path(const gchar *path)
{
	g_auto(GStrv) segments = NULL;

	if (path == NULL || path[0] != '/' || strlen(path) > RC_STATIC_MAX_PATH)
		return NULL;
	if (g_str_equal(path, "/"))
		return g_strdup("index.html");
	segments = g_strsplit(path + 1, "/", -1);
	for (guint i = 0; segments[i] != NULL; i++) {
		if (!rc_static_segment_ok(segments[i]))
			return NULL;
	}
	return g_strjoinv(G_DIR_SEPARATOR_S, segments);
}

static gboolean
rc_static_etag_matches(const gchar *if_none_match, const gchar *etag)
{
	GSList *tags = soup_header_parse_list(if_none_match);
	gboolean match = FALSE;

	for (GSList *l = tags; l != NULL && !match; l = l->next) {
		const gchar *tag = l->data;

		/* If-None-Match uses the weak comparison */
		if (g_str_has_prefix(tag, "W/"))
			tag += 2;
		match = g_str_equal(tag, "*") || g_str_equal(tag, etag);
	}
	soup_header_free_list(tags);
	return match;
}

static void
rc_static_not_found(SoupServerMessage *msg)
{
	static const gchar body[] = "not found\n";

	soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, NULL);
	soup_server_message_set_response(
	    msg, "text/plain; charset=utf-8", SOUP_MEMORY_STATIC, body, sizeof(body) - 1);
}

void
rc_static_serve(SoupServerMessage *msg, const gchar *path)
{
	const gchar *method = soup_server_message_get_method(msg);
	SoupMessageHeaders *req_headers = soup_server_message_get_request_headers(msg);
	SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
	gboolean head = g_strcmp0(method, SOUP_METHOD_HEAD) == 0;
	g_autofree gchar *relative = NULL;
	g_auto(RcStaticFile) file = {0};
	const gchar *content_type;
	const gchar *if_none_match;
	const gchar *root = NULL;
	gboolean found = FALSE;

	if (!head && g_strcmp0(method, SOUP_METHOD_GET) != 0) {
		soup_message_headers_replace(headers, "Allow", "GET, HEAD");
		soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
		return;
	}
	relative = rc_static_relative_path(path);
	if (relative != NULL) {
		switch (rc_static_source(&root)) {
		case RC_STATIC_FROM_FOLDER:
			found = rc_static_find_in_folder(root, relative, head, &file);
			break;
		case RC_STATIC_BUILT_IN:
			found = rc_static_find_built_in(relative, &file);
			break;
		case RC_STATIC_NOTHING:
		default:
			break;
		}
	}
	content_type = found ? rc_static_content_type(file.name) : NULL;
	if (content_type == NULL) {
		rc_static_not_found(msg);
		return;
	}

	soup_message_headers_replace(headers, "ETag", file.etag);
	/* revalidate every time: a 304 is cheap and an upgraded node never serves a stale page */
	soup_message_headers_replace(headers, "Cache-Control", "no-cache");
	soup_message_headers_replace(headers, "X-Content-Type-Options", "nosniff");
	soup_message_headers_replace(headers, "Referrer-Policy", "no-referrer");
	if (g_str_has_suffix(file.name, ".html"))
		soup_message_headers_replace(headers, "Content-Security-Policy", RC_STATIC_CSP);

	if_none_match = soup_message_headers_get_list(req_headers, "If-None-Match");
	if (if_none_match != NULL && rc_static_etag_matches(if_none_match, file.etag)) {
		soup_server_message_set_status(msg, SOUP_STATUS_NOT_MODIFIED, NULL);
		return;
	}
	if (head) {
		soup_message_headers_replace(headers, "Content-Type", content_type);
		soup_message_headers_set_content_length(headers, file.size);
		soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
		return;
	}
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg,
					 content_type,
					 SOUP_MEMORY_COPY,
					 g_bytes_get_data(file.contents, NULL),
					 g_bytes_get_size(file.contents));
}
