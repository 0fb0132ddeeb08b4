// SPDX-License-Identifier: MIT
/* TCP commands: tcpget (an HTTP/1.0 client) and tcpserve (a one-connection echo server). */
#include "cmd.h"
#include "con.h"
#include "lib.h"
#include "net.h"

#define TCP_CONNECT_MS		5000
#define TCP_IDLE_MS		30000	/* no progress for this long: give up */
#define TCP_CLOSE_MS		3000
#define HTTP_HEAD_MAX		4096

/* The stack with an address, or NULL after printing <cmd>.ok=0 and the reason. */
static struct netif *tcp_cmd_stack(const char *cmd)
{
	const char *error = NULL;
	struct netif *nif = net_stack(&error);

	if (nif && !nif->ip)
		error = "no address (run ip: or dhcp first)";
	if (error) {
		con_printf("%s.ok=0\n%s.error=%s\n", cmd, cmd, error);
		return NULL;
	}
	return nif;
}

/* Send our FIN and wait (a while) for the peer to acknowledge it. */
static bool tcp_cmd_finish(struct netif *nif)
{
	uint64_t end = net_now_ms() + TCP_CLOSE_MS;

	tcp_close(nif);
	while (!tcp_is_done(nif) && net_now_ms() < end)
		net_poll(nif, 10);
	return tcp_is_done(nif) && !nif->tcp.error;
}

static const char *tcp_strerror(int err)
{
	switch (err) {
	case -ETIMEDOUT:
		return "timeout";
	case -ECONNREFUSED:
		return "connection refused";
	case -ECONNRESET:
		return "connection reset";
	default:
		return "not connected";
	}
}

struct http_resp {
	char head[HTTP_HEAD_MAX];
	uint32_t head_len;
	bool head_done;
	uint32_t status;
	uint64_t body_bytes;
	uint64_t hash;
};

/* "HTTP/1.x NNN ..." */
static uint32_t http_parse_status(const char *head)
{
	const char *p = head;
	uint32_t status;

	if (strncmp(p, "HTTP/", 5))
		return 0;
	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		p++;
	return net_parse_u32(&p, &status) ? 0 : status;
}

/* Feed received bytes: header until the blank line, then hash the body. */
static void http_feed(struct http_resp *r, const uint8_t *data, uint32_t len)
{
	uint32_t i = 0;

	while (!r->head_done && i < len) {
		if (r->head_len < HTTP_HEAD_MAX - 1)
			r->head[r->head_len++] = (char)data[i];
		i++;
		if (r->head_len >= 4 && !memcmp(r->head + r->head_len - 4, "\r\n\r\n", 4)) {
			r->head[r->head_len] = '\0';
			r->head_done = true;
			r->status = http_parse_status(r->head);
		}
	}
	if (i < len && r->head_done) {
		r->hash = fnv1a64_update(r->hash, data + i, len - i);
		r->body_bytes += len - i;
	}
}

/* "a.b.c.d:port:path" */
int cmd_tcpget(const char *arg)
{
	static struct http_resp resp;
	static uint8_t chunk[4096];
	char req[320], b[16];
	const char *p = arg, *error = NULL;
	uint32_t ip, port;
	uint64_t start, idle_end;
	struct netif *nif;
	bool clean;
	int n;

	if (ip_parse(&p, &ip) || *p++ != ':' || net_parse_u32(&p, &port) || !port ||
	    port > 65535 || *p++ != ':' || *p != '/' || strlen(p) > 256) {
		con_printf("tcpget.ok=0\ntcpget.error=want a.b.c.d:port:/path, got '%s'\n", arg);
		return -1;
	}
	nif = tcp_cmd_stack("tcpget");
	if (!nif)
		return -1;
	memset(&resp, 0, sizeof(resp));
	resp.hash = FNV1A64_INIT;
	start = net_now_ms();
	n = tcp_connect_wait(nif, ip, (uint16_t)port, TCP_CONNECT_MS);
	if (n) {
		con_printf("tcpget.ok=0\ntcpget.error=connect: %s\n", tcp_strerror(n));
		return -1;
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: vessel-guest\r\n\r\n",
		     p, ip_str(ip, b));
	tcp_send(nif, req, (uint32_t)n);
	idle_end = net_now_ms() + TCP_IDLE_MS;
	while (!tcp_eof(nif)) {
		n = tcp_recv(nif, chunk, sizeof(chunk));
		if (n < 0) {
			error = tcp_strerror(n);
			break;
		}
		if (n) {
			http_feed(&resp, chunk, (uint32_t)n);
			idle_end = net_now_ms() + TCP_IDLE_MS;
			continue;
		}
		if (net_now_ms() >= idle_end) {
			error = "timeout";
			break;
		}
		net_poll(nif, 10);
	}
	clean = !error && tcp_cmd_finish(nif);
	if (!error && !resp.head_done)
		error = "no HTTP header";
	if (!error && !clean)
		error = "close";
	if (error)
		tcp_abort(nif);
	con_printf("tcpget.status=%u\ntcpget.bytes=%lu\ntcpget.fnv1a=0x%lx\n",
		   resp.status, resp.body_bytes, resp.hash);
	con_printf("tcpget.time_ms=%lu\ntcpget.retransmits=%u\n",
		   net_now_ms() - start, nif->tcp.retransmits);
	if (!error && (resp.status < 200 || resp.status > 299))
		error = "HTTP status not 2xx";
	if (error) {
		con_printf("tcpget.ok=0\ntcpget.error=%s\n", error);
		return -1;
	}
	con_printf("tcpget.ok=1\n");
	return 0;
}

/* "port:seconds": accept within seconds, echo until the peer's FIN, close. */
int cmd_tcpserve(const char *arg)
{
	static uint8_t pend[TCP_BUF_SIZE];
	uint32_t port, secs, pend_len = 0;
	uint64_t bytes = 0, end;
	const char *p = arg, *error = NULL;
	struct netif *nif;
	int n;

	if (net_parse_u32(&p, &port) || !port || port > 65535 || *p++ != ':' ||
	    net_parse_u32(&p, &secs) || *p || secs > 3600) {
		con_printf("tcpserve.ok=0\ntcpserve.error=want port:seconds, got '%s'\n", arg);
		return -1;
	}
	nif = tcp_cmd_stack("tcpserve");
	if (!nif)
		return -1;
	tcp_listen(nif, (uint16_t)port);
	con_printf("tcpserve.listening=%u\n", port);
	end = net_now_ms() + secs * 1000ull;
	while (!tcp_is_established(nif) && net_now_ms() < end)
		net_poll(nif, 10);
	if (!tcp_is_established(nif)) {
		tcp_abort(nif);
		con_printf("tcpserve.bytes=0\ntcpserve.ok=0\ntcpserve.error=no connection\n");
		return -1;
	}
	end = net_now_ms() + TCP_IDLE_MS;
	while (!(tcp_eof(nif) && !pend_len)) {
		if (!pend_len) {
			n = tcp_recv(nif, pend, sizeof(pend));
			if (n < 0) {
				error = tcp_strerror(n);
				break;
			}
			pend_len = (uint32_t)n;
		}
		if (pend_len) {
			n = tcp_send(nif, pend, pend_len);
			if (n < 0) {
				error = tcp_strerror(n);
				break;
			}
			memmove(pend, pend + n, pend_len - (uint32_t)n);
			pend_len -= (uint32_t)n;
			bytes += (uint32_t)n;
			if (n)
				end = net_now_ms() + TCP_IDLE_MS;
		}
		if (net_now_ms() >= end) {
			error = "timeout";
			break;
		}
		net_poll(nif, 10);
	}
	if (!error && !tcp_cmd_finish(nif))
		error = "close";
	if (error)
		tcp_abort(nif);
	con_printf("tcpserve.bytes=%lu\ntcpserve.retransmits=%u\n", bytes, nif->tcp.retransmits);
	if (error) {
		con_printf("tcpserve.ok=0\ntcpserve.error=%s\n", error);
		return -1;
	}
	con_printf("tcpserve.ok=1\n");
	return 0;
}
