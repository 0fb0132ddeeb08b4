// SPDX-License-Identifier: MIT
/* libmicrohttpd glue: socket setup, body collection, limits, answers. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/mhd.h"

#include "api/api_routes.h"
#include "api/api_server.h"

#define API_CONN_TIMEOUT_S  30
#define API_DRAIN_MS        500     /* how long responses in flight may take at exit */

/* The process's libmicrohttpd, loaded by the first api_server_create(). */
static const struct mhd_fn *mhd;

struct api_server {
	struct MHD_Daemon *mhd;
	struct api_channel *ch;
	char *path;
};

/* Per-request state, kept by MHD between calls of the access handler. */
struct api_conn {
	char *body;
	size_t len;
	int early_status;           /* answer this without reading the body (413, 505) */
	bool too_large;
};

static enum MHD_Result api_server_send(struct MHD_Connection *conn, const struct api_response *r)
{
	const char *body = r->body ? r->body : "";
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = mhd->create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	if (r->body)
		mhd->add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = mhd->queue_response(conn, (unsigned int)r->status, resp);
	mhd->destroy_response(resp);
	return ret;
}

static enum MHD_Result api_server_send_error(struct MHD_Connection *conn, int status, const char *msg)
{
	struct api_response r = { 0 };
	enum MHD_Result ret;

	api_response_error(&r, status, "%s", msg);
	ret = api_server_send(conn, &r);
	api_response_clear(&r);
	return ret;
}

/* The first call for a request: checks what the headers alone decide. */
static int api_server_check_headers(struct MHD_Connection *conn, const char *version)
{
	const char *cl;

	if (strcmp(version, MHD_HTTP_VERSION_1_1))
		return MHD_HTTP_HTTP_VERSION_NOT_SUPPORTED;
	cl = mhd->lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > API_MAX_BODY)
		return MHD_HTTP_CONTENT_TOO_LARGE;
	return 0;
}

static enum MHD_Result api_server_on_request(void *cls, struct MHD_Connection *conn, const char *url,
					     const char *method, const char *version,
					     const char *upload_data, size_t *upload_data_size,
					     void **con_cls)
{
	struct api_server *srv = cls;
	struct api_conn *c = *con_cls;
	struct api_call call = { 0 };
	enum MHD_Result ret;

	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return MHD_NO;
		*con_cls = c;
		c->early_status = api_server_check_headers(conn, version);
		/*
		 * Too large: read and drop the body, then answer 413. Answering
		 * before the body is read makes clients that are still sending
		 * it see a reset instead of the answer.
		 */
		if (c->early_status == MHD_HTTP_CONTENT_TOO_LARGE) {
			c->early_status = 0;
			c->too_large = true;
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (c->too_large || c->len + n > API_MAX_BODY) {
			/* Chunked bodies have no Content-Length: count and drop. */
			c->too_large = true;
			free(c->body);
			c->body = NULL;
			return MHD_YES;
		}
		char *nb = realloc(c->body, c->len + n + 1);
		if (!nb)
			return MHD_NO;
		memcpy(nb + c->len, upload_data, n);
		c->body = nb;
		c->len += n;
		c->body[c->len] = '\0';
		return MHD_YES;
	}
	if (c->early_status == MHD_HTTP_HTTP_VERSION_NOT_SUPPORTED)
		return api_server_send_error(conn, c->early_status, "only HTTP/1.1 is supported");
	if (c->early_status)
		return MHD_YES;     /* already answered */
	if (c->too_large)
		return api_server_send_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
					     "the request body is larger than 64 KiB");

	if (api_route(method, url, c->body ? c->body : "", c->len, &call.req, &call.resp) == 0)
		api_channel_call(srv->ch, &call);
	ret = api_server_send(conn, &call.resp);
	api_request_clear(&call.req);
	api_response_clear(&call.resp);
	return ret;
}

static void api_server_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
				    enum MHD_RequestTerminationCode toe)
{
	struct api_conn *c = *con_cls;

	if (c) {
		free(c->body);
		free(c);
		*con_cls = NULL;
	}
}

static int api_socket_bind(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "--api-sock %s: the path is longer than %zu bytes", path,
			 sizeof(addr.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "--api-sock: socket: %s", strerror(errno));
		return ret;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "--api-sock %s: exists and is not a socket", path);
			ret = -EEXIST;
			goto out_close;
		}
		/* A socket nobody accepts on is left over from a vessel that died: replace it. */
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
			snprintf(err, errlen, "--api-sock %s: in use by a running server", path);
			ret = -EADDRINUSE;
			goto out_close;
		}
		unlink(path);
		close(fd);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			ret = -errno;
			snprintf(err, errlen, "--api-sock: socket: %s", strerror(errno));
			return ret;
		}
	}
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, 16)) {
		ret = -errno;
		snprintf(err, errlen, "--api-sock %s: %s", path, strerror(errno));
		goto out_close;
	}
	return fd;
out_close:
	close(fd);
	return ret;
}

struct api_server *api_server_create(const char *path, struct api_channel *ch, char *err, size_t errlen)
{
	struct api_server *srv;
	int fd;

	mhd = mhd_load(err, errlen);
	if (!mhd)
		return NULL;
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->ch = ch;
	srv->path = strdup(path);
	if (!srv->path) {
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}
	fd = api_socket_bind(path, err, errlen);
	if (fd < 0)
		goto out_free;
	/* One internal thread polls every connection and runs the handler: the API thread. */
	srv->mhd = mhd->start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC,
				    0, NULL, NULL, api_server_on_request, srv,
				    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
				    MHD_OPTION_NOTIFY_COMPLETED, api_server_on_completed, NULL,
				    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)API_CONN_TIMEOUT_S,
				    MHD_OPTION_END);
	if (!srv->mhd) {
		snprintf(err, errlen, "--api-sock %s: cannot start the HTTP server", path);
		close(fd);
		unlink(path);
		goto out_free;
	}
	return srv;
out_free:
	free(srv->path);
	free(srv);
	return NULL;
}

void api_server_destroy(struct api_server *srv)
{
	if (!srv)
		return;
	/*
	 * A response the VMM thread just gave (say, to the shutdown that ended
	 * the VM) may still be on its way out: stop accepting, and give open
	 * connections up to API_DRAIN_MS to finish before closing them.
	 */
	MHD_socket listen_fd = mhd->quiesce_daemon(srv->mhd);

	for (int waited = 0; waited < API_DRAIN_MS; waited += 10) {
		const union MHD_DaemonInfo *info =
			mhd->get_daemon_info(srv->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

		if (!info || info->num_connections == 0)
			break;
		usleep(10 * 1000);
	}
	mhd->stop_daemon(srv->mhd);      /* joins the thread */
	if (listen_fd != MHD_INVALID_SOCKET)
		close(listen_fd);
	unlink(srv->path);
	free(srv->path);
	free(srv);
}
