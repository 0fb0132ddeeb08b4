/* SPDX-License-Identifier: MIT */
/*
 * `vessel console --web`: an HTTP server (libmicrohttpd, one thread per
 * connection) on a TCP address serving one page with a terminal. Each open
 * page has its own connection to the VM's console socket, so it gets the
 * console's history first and then live output, like any viewer:
 *
 *   GET  /?token=T                     the page (console_web_page.c)
 *   GET  /output?token=T&session=S     Server-Sent Events: "data: <base64>"
 *                                      per chunk, "event: end" when the
 *                                      console closes, comments as keepalive
 *   POST /input?token=T&session=S      the body goes to the console (keys)
 *
 * The token (128 random bits, printed with the URL) guards every request;
 * sessions are the page's own random ids.
 */
#include "cli/console_web.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/mhd.h"
#include "cli/console_web_page.h"
#include "core/unix_socket.h"

#define WEB_SESSIONS_MAX    16
#define WEB_SESSION_ID_MAX  64
#define WEB_INPUT_MAX       4096
#define WEB_KEEPALIVE_MS    15000
#define WEB_CHUNK_RAW       3072        /* console bytes per event (4096 in base64) */
#define WEB_TOKEN_BYTES     16

struct web_session {
	char id[WEB_SESSION_ID_MAX + 1];
	int fd;                     /* the console socket; -1: slot free */
};

struct console_web {
	const struct mhd_fn *mhd;
	const char *sock_path;
	char token[2 * WEB_TOKEN_BYTES + 1];
	char *page;
	pthread_mutex_t lock;
	struct web_session sessions[WEB_SESSIONS_MAX];
};

/* One event stream: its session slot, and whether the closing event went out. */
struct web_stream {
	struct console_web *web;
	struct web_session *session;
	bool ended;
};

/* A POST body as it arrives (connection state, freed when the request completes). */
struct web_upload {
	size_t len;
	bool too_big;
	char data[WEB_INPUT_MAX];
};

/* ---- small helpers ---- */

static size_t base64_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = digits[v >> 18];
		out[o++] = digits[(v >> 12) & 63];
		out[o++] = i + 1 < len ? digits[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? digits[v & 63] : '=';
	}
	return o;
}

static bool web_token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	/* Constant time over the expected token's length. */
	for (size_t i = 0; i < lb; i++)
		diff |= (unsigned char)(b[i] ^ (i < la ? a[i] : 0));
	return !diff;
}

static bool web_session_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n < 8 || n > WEB_SESSION_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'z') ||
		      (id[i] >= 'A' && id[i] <= 'Z') || id[i] == '-' || id[i] == '_'))
			return false;
	return true;
}

/* The page with label HTML-escaped in its title; NULL if out of memory. */
static char *web_page_build(const char *label)
{
	size_t cap = strlen(console_web_page_head) + strlen(console_web_page_tail) + 6 * strlen(label) + 1;
	char *page = malloc(cap), *p;

	if (!page)
		return NULL;
	p = stpcpy(page, console_web_page_head);
	for (const char *c = label; *c; c++) {
		switch (*c) {
		case '<': p = stpcpy(p, "&lt;"); break;
		case '>': p = stpcpy(p, "&gt;"); break;
		case '&': p = stpcpy(p, "&amp;"); break;
		case '"': p = stpcpy(p, "&quot;"); break;
		default: *p++ = *c;
		}
	}
	stpcpy(p, console_web_page_tail);
	return page;
}

/* ---- responses ---- */

static enum MHD_Result web_reply(struct console_web *web, struct MHD_Connection *conn, unsigned int status,
				 const char *type, const void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp = web->mhd->create_response_from_buffer(len, (void *)body, mode);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	web->mhd->add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	web->mhd->add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = web->mhd->queue_response(conn, status, resp);
	web->mhd->destroy_response(resp);
	return ret;
}

static enum MHD_Result web_text(struct console_web *web, struct MHD_Connection *conn, unsigned int status,
				const char *msg)
{
	return web_reply(web, conn, status, "text/plain; charset=utf-8", msg, strlen(msg), MHD_RESPMEM_MUST_COPY);
}

/* ---- output: one event stream per page ---- */

static ssize_t web_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	static const char keepalive[] = ":\n\n";
	struct web_stream *st = cls;
	uint8_t raw[WEB_CHUNK_RAW];
	struct pollfd pfd = { .fd = st->session->fd, .events = POLLIN };
	size_t want, n;
	ssize_t got;
	int ret;

	(void)pos;
	if (st->ended)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (max < 64) {
		/* Too small for an event: say nothing but keep the stream alive. */
		memcpy(buf, keepalive, max < sizeof(keepalive) - 1 ? max : sizeof(keepalive) - 1);
		return (ssize_t)(max < sizeof(keepalive) - 1 ? max : sizeof(keepalive) - 1);
	}
	do
		ret = poll(&pfd, 1, WEB_KEEPALIVE_MS);
	while (ret < 0 && errno == EINTR);
	if (ret == 0) {
		memcpy(buf, keepalive, sizeof(keepalive) - 1);
		return sizeof(keepalive) - 1;
	}
	want = (max - 16) / 4 * 3;
	if (want > sizeof(raw))
		want = sizeof(raw);
	do
		got = read(st->session->fd, raw, want);
	while (got < 0 && errno == EINTR);
	if (got <= 0) {
		st->ended = true;
		n = (size_t)snprintf(buf, max, "event: end\ndata: %s\n\n",
				     got == 0 ? "the VM stopped or the viewer was dropped" : strerror(errno));
		return (ssize_t)(n < max ? n : max - 1);
	}
	memcpy(buf, "data: ", 6);
	n = 6 + base64_encode(raw, (size_t)got, buf + 6);
	buf[n++] = '\n';
	buf[n++] = '\n';
	return (ssize_t)n;
}

static void web_stream_free(void *cls)
{
	struct web_stream *st = cls;

	pthread_mutex_lock(&st->web->lock);
	close(st->session->fd);
	st->session->fd = -1;
	pthread_mutex_unlock(&st->web->lock);
	free(st);
}

static enum MHD_Result web_output(struct console_web *web, struct MHD_Connection *conn, const char *id)
{
	struct web_session *slot = NULL;
	struct MHD_Response *resp;
	struct web_stream *st;
	enum MHD_Result ret;
	char msg[256];
	int fd;

	if (!web_session_id_valid(id))
		return web_text(web, conn, 400, "session: 8-64 letters, digits, '-' or '_'\n");
	pthread_mutex_lock(&web->lock);
	for (int i = 0; i < WEB_SESSIONS_MAX; i++) {
		if (web->sessions[i].fd >= 0 && !strcmp(web->sessions[i].id, id)) {
			pthread_mutex_unlock(&web->lock);
			return web_text(web, conn, 409, "this session already has its output stream\n");
		}
		if (!slot && web->sessions[i].fd < 0)
			slot = &web->sessions[i];
	}
	if (!slot) {
		pthread_mutex_unlock(&web->lock);
		return web_text(web, conn, 503, "too many pages open on this console\n");
	}
	fd = unix_socket_connect(web->sock_path);
	if (fd < 0) {
		pthread_mutex_unlock(&web->lock);
		snprintf(msg, sizeof(msg), "no console at %s: %s (is the VM running?)\n", web->sock_path,
			 strerror(-fd));
		return web_text(web, conn, 502, msg);
	}
	snprintf(slot->id, sizeof(slot->id), "%s", id);
	slot->fd = fd;
	pthread_mutex_unlock(&web->lock);

	st = calloc(1, sizeof(*st));
	resp = st ? web->mhd->create_response_from_callback(MHD_SIZE_UNKNOWN, 4 * WEB_CHUNK_RAW / 3 + 64,
							     web_stream_read, st, web_stream_free) : NULL;
	if (!resp) {
		free(st);
		pthread_mutex_lock(&web->lock);
		close(slot->fd);
		slot->fd = -1;
		pthread_mutex_unlock(&web->lock);
		return MHD_NO;
	}
	st->web = web;
	st->session = slot;
	web->mhd->add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	web->mhd->add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = web->mhd->queue_response(conn, 200, resp);
	web->mhd->destroy_response(resp);
	return ret;
}

/* ---- input ---- */

static enum MHD_Result web_input(struct console_web *web, struct MHD_Connection *conn, const char *id,
				 const struct web_upload *up)
{
	size_t off = 0;
	int i;

	if (up->too_big)
		return web_text(web, conn, 413, "at most 4096 bytes of input per request\n");
	if (!web_session_id_valid(id))
		return web_text(web, conn, 400, "session: 8-64 letters, digits, '-' or '_'\n");
	pthread_mutex_lock(&web->lock);
	for (i = 0; i < WEB_SESSIONS_MAX; i++)
		if (web->sessions[i].fd >= 0 && !strcmp(web->sessions[i].id, id))
			break;
	if (i == WEB_SESSIONS_MAX) {
		pthread_mutex_unlock(&web->lock);
		return web_text(web, conn, 404, "no such session: open its output stream first\n");
	}
	while (off < up->len) {
		ssize_t n = send(web->sessions[i].fd, up->data + off, up->len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	pthread_mutex_unlock(&web->lock);
	if (off < up->len)
		return web_text(web, conn, 502, "the console connection is closed\n");
	return web_reply(web, conn, 204, "text/plain", "", 0, MHD_RESPMEM_PERSISTENT);
}

/* ---- routing ---- */

static enum MHD_Result web_on_request(void *cls, struct MHD_Connection *conn, const char *url,
				      const char *method, const char *version, const char *upload,
				      size_t *upload_size, void **con_cls)
{
	struct console_web *web = cls;
	const char *token, *session;
	bool post = !strcmp(method, "POST");

	(void)version;
	if (post && !*con_cls) {
		/* First call: headers only. The body comes in the next calls. */
		*con_cls = calloc(1, sizeof(struct web_upload));
		return *con_cls ? MHD_YES : MHD_NO;
	}
	if (post && *upload_size) {
		struct web_upload *up = *con_cls;

		if (up->len + *upload_size > sizeof(up->data)) {
			up->too_big = true;
		} else {
			memcpy(up->data + up->len, upload, *upload_size);
			up->len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (!post && strcmp(method, "GET"))
		return web_text(web, conn, 405, "GET or POST only\n");
	token = web->mhd->lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token");
	if (!token || !web_token_equal(token, web->token))
		return web_text(web, conn, 403, "a valid token is needed: use the URL vessel console --web printed\n");
	session = web->mhd->lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "session");
	if (post && !strcmp(url, "/input"))
		return web_input(web, conn, session, *con_cls);
	if (post)
		return web_text(web, conn, 404, "no such page\n");
	if (!strcmp(url, "/"))
		return web_reply(web, conn, 200, "text/html; charset=utf-8", web->page, strlen(web->page),
				 MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/output"))
		return web_output(web, conn, session);
	return web_text(web, conn, 404, "no such page\n");
}

static void web_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			     enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

/* ---- listening ---- */

/* Splits "HOST:PORT" / "[V6]:PORT" and binds a listening TCP socket; the fd or -1 with err. */
static int web_listen(const char *listen_arg, char *url_host, size_t url_host_len, int *port,
		      char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char host[256], *colon;
	const char *portstr;
	struct addrinfo *ai;
	int fd, one = 1, ret;

	if (listen_arg[0] == '[') {
		const char *end = strchr(listen_arg, ']');

		if (!end || end[1] != ':' || (size_t)(end - listen_arg - 1) >= sizeof(host))
			goto bad;
		memcpy(host, listen_arg + 1, (size_t)(end - listen_arg - 1));
		host[end - listen_arg - 1] = '\0';
		portstr = end + 2;
	} else {
		if (strlen(listen_arg) >= sizeof(host))
			goto bad;
		strcpy(host, listen_arg);
		colon = strrchr(host, ':');
		if (!colon || strchr(host, ':') != colon)
			goto bad;
		*colon = '\0';
		portstr = listen_arg + (colon - host) + 1;
	}
	if (!*host || !*portstr || strspn(portstr, "0123456789") != strlen(portstr) || atoi(portstr) > 65535)
		goto bad;
	ret = getaddrinfo(host, portstr, &hints, &ai);
	if (ret) {
		snprintf(err, errlen, "--listen %s: %s", listen_arg, gai_strerror(ret));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 16) ||
	    getsockname(fd, (struct sockaddr *)&ss, &sslen)) {
		snprintf(err, errlen, "--listen %s: %s", listen_arg, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	if (ss.ss_family == AF_INET6) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, a, sizeof(a));
		snprintf(url_host, url_host_len, "[%s]", a);
		*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, url_host, (socklen_t)url_host_len);
		*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	return fd;
bad:
	snprintf(err, errlen, "--listen '%s': expected HOST:PORT or [IPV6]:PORT (port 0: any free one)", listen_arg);
	return -1;
}

static bool web_is_loopback(const char *url_host)
{
	return !strncmp(url_host, "127.", 4) || !strcmp(url_host, "[::1]");
}

int console_web_run(const char *sock_path, const char *listen_arg, const char *label)
{
	struct console_web web = { .sock_path = sock_path };
	uint8_t raw[WEB_TOKEN_BYTES];
	struct MHD_Daemon *mhd;
	char err[512], host[INET6_ADDRSTRLEN + 2];
	sigset_t stop;
	int fd, port, sig, ret = 1;

	web.mhd = mhd_load(err, sizeof(err));
	if (!web.mhd) {
		fprintf(stderr, "vessel: %s\n", err);
		return 1;
	}
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		fprintf(stderr, "vessel: cannot make an access token: %s\n", strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(web.token + 2 * i, 3, "%02x", raw[i]);
	web.page = web_page_build(label);
	if (!web.page) {
		fprintf(stderr, "vessel: out of memory\n");
		return 1;
	}
	pthread_mutex_init(&web.lock, NULL);
	for (int i = 0; i < WEB_SESSIONS_MAX; i++)
		web.sessions[i].fd = -1;

	fd = web_listen(listen_arg, host, sizeof(host), &port, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "vessel: %s\n", err);
		goto out_free;
	}
	/* The server's threads inherit the mask: the signals are only ever taken by sigwait() below. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	mhd = web.mhd->start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
				    MHD_USE_ITC, 0, NULL, NULL, web_on_request, &web,
				    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
				    MHD_OPTION_NOTIFY_COMPLETED, web_on_completed, NULL,
				    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)(2 * WEB_SESSIONS_MAX + 8),
				    MHD_OPTION_END);
	if (!mhd) {
		fprintf(stderr, "vessel: --listen %s: cannot start the HTTP server\n", listen_arg);
		close(fd);
		goto out_free;
	}
	printf("http://%s:%d/?token=%s\n", host, port, web.token);
	fflush(stdout);
	fprintf(stderr, "vessel: web console for %s at the URL above; Ctrl-C stops it\n", label);
	if (!web_is_loopback(host))
		fprintf(stderr, "vessel: warning: %s is not a loopback address: anyone who can reach it and has "
			"the URL can type into the console (no TLS)\n", host);
	sigwait(&stop, &sig);
	/* Wake the streams blocked on their sockets, so that stopping does not wait for a keepalive. */
	pthread_mutex_lock(&web.lock);
	for (int i = 0; i < WEB_SESSIONS_MAX; i++)
		if (web.sessions[i].fd >= 0)
			shutdown(web.sessions[i].fd, SHUT_RDWR);
	pthread_mutex_unlock(&web.lock);
	web.mhd->stop_daemon(mhd);
	ret = 0;
out_free:
	free(web.page);
	return ret;
}
