// SPDX-License-Identifier: MIT
#include "manager/http_client.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The soname of Debian's libcurl4 (OpenSSL flavour; libcurl4-openssl-dev). */
#define CURL_SONAME "libcurl.so.4"
#define HTTP_REPLY_MAX (16 * 1024 * 1024)

struct curl_fn {
	__typeof__(&curl_global_init) global_init;
	__typeof__(&curl_easy_init) easy_init;
	__typeof__(&curl_easy_setopt) easy_setopt;
	__typeof__(&curl_easy_perform) easy_perform;
	__typeof__(&curl_easy_getinfo) easy_getinfo;
	__typeof__(&curl_easy_cleanup) easy_cleanup;
	__typeof__(&curl_easy_strerror) easy_strerror;
	__typeof__(&curl_slist_append) slist_append;
	__typeof__(&curl_slist_free_all) slist_free_all;
};

static struct curl_fn curl;
static const char *curl_error;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

#define CURL_SYM(handle, field, name) do { \
		*(void **)&curl.field = dlsym(handle, name); \
		if (!curl.field) { \
			curl_error = "missing symbol " name; \
			return; \
		} \
	} while (0)

static void curl_do_load(void)
{
	void *h = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		curl_error = dlerror();
		return;
	}
	CURL_SYM(h, global_init, "curl_global_init");
	CURL_SYM(h, easy_init, "curl_easy_init");
	CURL_SYM(h, easy_setopt, "curl_easy_setopt");
	CURL_SYM(h, easy_perform, "curl_easy_perform");
	CURL_SYM(h, easy_getinfo, "curl_easy_getinfo");
	CURL_SYM(h, easy_cleanup, "curl_easy_cleanup");
	CURL_SYM(h, easy_strerror, "curl_easy_strerror");
	CURL_SYM(h, slist_append, "curl_slist_append");
	CURL_SYM(h, slist_free_all, "curl_slist_free_all");
	/* Not thread-safe: done once, here, before any handle exists. */
	if (curl.global_init(CURL_GLOBAL_NOTHING))
		curl_error = "curl_global_init failed";
}

static size_t http_on_data(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct http_reply *reply = ctx;
	size_t n = size * nmemb;
	char *nb;

	if (reply->len + n > HTTP_REPLY_MAX)
		return 0;       /* makes curl fail with CURLE_WRITE_ERROR */
	nb = realloc(reply->body, reply->len + n + 1);
	if (!nb)
		return 0;
	memcpy(nb + reply->len, data, n);
	reply->body = nb;
	reply->len += n;
	reply->body[reply->len] = '\0';
	return n;
}

static int http_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT: return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
	case CURLE_OUT_OF_MEMORY: return -ENOMEM;
	default: return -EIO;
	}
}

int http_unix_request(const char *sock, const char *method, const char *path, const char *body,
		      long timeout_ms, struct http_reply *reply, char *err, size_t errlen)
{
	struct curl_slist *headers = NULL;
	char url[1024];
	CURLcode rc;
	CURL *h;
	int ret = 0;

	*reply = (struct http_reply){ 0 };
	pthread_once(&curl_once, curl_do_load);
	if (curl_error) {
		snprintf(err, errlen, "cannot load %s (install libcurl4): %s", CURL_SONAME, curl_error);
		return -ENOSYS;
	}
	h = curl.easy_init();
	if (!h) {
		snprintf(err, errlen, "cannot create an HTTP client");
		return -ENOMEM;
	}
	snprintf(url, sizeof(url), "http://localhost%s", path);
	curl.easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl.easy_setopt(h, CURLOPT_URL, url);
	curl.easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl.easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, http_on_data);
	curl.easy_setopt(h, CURLOPT_WRITEDATA, reply);
	if (body) {
		headers = curl.slist_append(headers, "Content-Type: application/json");
		/* No "Expect: 100-continue" round trip for bodies over 1 KiB. */
		headers = curl.slist_append(headers, "Expect:");
		curl.easy_setopt(h, CURLOPT_HTTPHEADER, headers);
		curl.easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl.easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	rc = curl.easy_perform(h);
	if (rc == CURLE_OK) {
		curl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply->status);
		if (!reply->body)
			reply->body = strdup("");
		if (!reply->body)
			ret = -ENOMEM;
	} else {
		ret = http_errno(rc);
		snprintf(err, errlen, "%s: %s", sock, curl.easy_strerror(rc));
		http_reply_clear(reply);
	}
	curl.slist_free_all(headers);
	curl.easy_cleanup(h);
	return ret;
}

void http_reply_clear(struct http_reply *reply)
{
	free(reply->body);
	*reply = (struct http_reply){ 0 };
}
