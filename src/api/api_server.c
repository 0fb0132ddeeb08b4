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
#include "core/unix_socket.h"

#define API_CONN_TIMEOUT_S  30
#define API_DRAIN_MS        500     /* how long responses in flight may take at exit */

/* The process's libmicrohttpd, loaded by the first api_server_create(). */
static const struct mhd_fn *mhd;

struct api_server {
	struct MHD_Daemon *mhd;
	api_server_handler_fn handle;
	void *handle_ctx;
	const char *log_prefix;
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

/* An answer the server gives without the handler (413, 505); logged if asked. */
static enum MHD_Result api_server_refuse(struct api_server *srv, struct MHD_Connection *conn, const char *method,
					 const char *url, int status, const char *msg)
{
	if (srv->log_prefix)
		fprintf(stderr, "%s: %.16s %.200s: %d %s\n", srv->log_prefix, method, url, status, msg);
	return api_server_send_error(conn, status, msg);
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
	struct api_response resp = { 0 };
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
		return api_server_refuse(srv, conn, method, url, c->early_status, "only HTTP/1.1 is supported");
	if (c->early_status)
		return MHD_YES;     /* already answered */
	if (c->too_large)
		return api_server_refuse(srv, conn, method, url, MHD_HTTP_CONTENT_TOO_LARGE,
					     "the request body is larger than 64 KiB");

	srv->handle(srv->handle_ctx, method, url, c->body ? c->body : "", c->len, &resp);
	ret = api_server_send(conn, &resp);
	api_response_clear(&resp);
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

/* The per-VM API's handler: parse and route here, carry out on the VMM thread. */
static void api_server_route_and_call(void *ctx, const char *method, const char *url,
				      const char *body, size_t len, struct api_response *resp)
{
	struct api_channel *ch = ctx;
	struct api_call call = { 0 };

	if (api_route(method, url, body, len, &call.req, &call.resp) == 0)
		api_channel_call(ch, &call);
	api_request_clear(&call.req);
	*resp = call.resp;
}

struct api_server *api_server_create(const char *path, struct api_channel *ch, char *err, size_t errlen)
{
	const struct api_server_options opts = { .what = "--api-sock" };

	return api_server_create_handler(path, &opts, api_server_route_and_call, ch, err, errlen);
}

struct api_server *api_server_create_handler(const char *path, const struct api_server_options *opts,
					     api_server_handler_fn handle, void *ctx,
					     char *err, size_t errlen)
{
	/* One internal thread polls every connection and runs the handler: the API thread. */
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC;
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
	srv->handle = handle;
	srv->handle_ctx = ctx;
	srv->log_prefix = opts->log_prefix;
	srv->path = strdup(path);
	if (!srv->path) {
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}
	fd = unix_socket_listen(path, opts->what, err, errlen);
	if (fd < 0)
		goto out_free;
	/* Or one thread per connection, so that a slow request does not hold up the others. */
	if (opts->thread_per_connection)
		flags |= MHD_USE_THREAD_PER_CONNECTION;
	srv->mhd = mhd->start_daemon(flags, 0, NULL, NULL, api_server_on_request, srv,
				    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
				    MHD_OPTION_NOTIFY_COMPLETED, api_server_on_completed, NULL,
				    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)API_CONN_TIMEOUT_S,
				    MHD_OPTION_END);
	if (!srv->mhd) {
		snprintf(err, errlen, "%s %s: cannot start the HTTP server", opts->what, path);
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
