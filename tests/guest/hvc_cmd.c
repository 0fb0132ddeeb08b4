// SPDX-License-Identifier: MIT
/*
 * The hvc commands: the first virtio-console is hvc0. Each command opens it
 * (reset, negotiate, queues, DRIVER_OK) and resets it at the end, so the
 * device never touches our memory between commands.
 */
#include "cmd.h"
#include "con.h"
#include "lib.h"
#include "virtio_console.h"

#define HVC_LINE_MAX		512
#define HVC_ECHO_TIMEOUT_MS	120000

static struct virtio_console_mem hvc_mem;
static struct virtio_console hvc;

/* Only a reader posts receive buffers; the others leave host input in the host. */
static int hvc_open(const char *cmd, bool rx)
{
	if (virtio_console_open(&hvc, virtio_console_find(0), &hvc_mem, rx) == 0)
		return 0;
	con_printf("%s.ok=0\n%s.error=%s\n", cmd, cmd, hvc.vp.error);
	virtio_console_close(&hvc);
	return -1;
}

int cmd_hvc(const char *arg)
{
	uint32_t count = 0;

	while (virtio_console_find(count))
		count++;
	con_printf("hvc.count=%u\n", count);
	if (!count || hvc_open("hvc", false))
		return 0;
	virtio_console_close(&hvc);
	con_printf("hvc.cols=%u\nhvc.rows=%u\nhvc.features=0x%lx\n", hvc.cols, hvc.rows, hvc.vp.features);
	return 0;
}

int cmd_hvcwrite(const char *arg)
{
	char line[HVC_LINE_MAX];
	uint32_t len = strlen(arg);
	int ret;

	if (len > sizeof(line) - 1)
		len = sizeof(line) - 1;
	memcpy(line, arg, len);
	line[len++] = '\n';
	if (hvc_open("hvcwrite", false))
		return -1;
	ret = virtio_console_write(&hvc, line, len);
	virtio_console_close(&hvc);
	if (ret)
		con_printf("hvcwrite.ok=0\nhvcwrite.error=%s\n", hvc.vp.error);
	else
		con_printf("hvcwrite.ok=1\n");
	return ret;
}

int cmd_hvcemerg(const char *arg)
{
	if (hvc_open("hvcemerg", false))
		return -1;
	if (!(hvc.vp.features & VIRTIO_CONSOLE_F_EMERG_WRITE)) {
		con_printf("hvcemerg.ok=0\nhvcemerg.error=no EMERG_WRITE\n");
		virtio_console_close(&hvc);
		return -1;
	}
	for (; *arg; arg++)
		virtio_console_emerg_write(&hvc, *arg);
	virtio_console_emerg_write(&hvc, '\n');
	virtio_console_close(&hvc);
	con_printf("hvcemerg.ok=1\n");
	return 0;
}

int cmd_hvcecho(const char *arg)
{
	char line[HVC_LINE_MAX];
	int ret;

	if (hvc_open("hvcecho", true))
		return -1;
	ret = virtio_console_readline(&hvc, line, sizeof(line), HVC_ECHO_TIMEOUT_MS);
	/*
	 * Reset before answering: input sent after the answer then waits in
	 * the host for the next open instead of landing in buffers we drop.
	 */
	virtio_console_close(&hvc);
	if (ret < 0)
		con_printf("hvcecho.ok=0\nhvcecho.error=%s\n", hvc.vp.error);
	else
		con_printf("hvcecho=%s\nhvcecho.len=%d\nhvcecho.irqs=%u\n", line, ret, hvc.irqs);
	return ret < 0 ? -1 : 0;
}
