/* SPDX-License-Identifier: MIT */
/*
 * `vessel console NAME|PATH`: attaches this terminal to a VM's console
 * socket (a manager VM's, or any `vessel run --console-sock PATH`); with
 * --web, serves it to web browsers instead (console_web.c).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/console_client.h"
#include "cli/console_web.h"
#include "core/unix_socket.h"
#include "manager/state_dir.h"

enum {
	EXIT_DETACHED = 0,      /* escape key, end of input, or the VM stopped */
	EXIT_NO_CONSOLE = 1,    /* nothing to attach to, refused, or an I/O error */
	EXIT_USAGE = CLI_EXIT_USAGE,
	EXIT_SIGNAL_BASE = 128,
};

static const char usage_text[] =
"Usage: vessel console [OPTIONS] NAME|PATH\n"
"Attach to a VM's console: its recent output first (up to 64 KiB), then live\n"
"output; what you type goes to the guest. NAME is a VM of the manager (its\n"
"socket is STATE_DIR/vms/NAME/console.sock); an argument containing '/' is the\n"
"path of a socket served by 'vessel run --console-sock PATH'.\n"
"\n"
"  -e, --escape KEY     the key that detaches: ^] (Ctrl-], the default), another\n"
"                       control key as ^X or ctrl-x, one character, or none\n"
"      --web            serve the console to web browsers instead: prints a URL\n"
"                       (with a random access token) to open, and serves until\n"
"                       Ctrl-C; each open page is a viewer of its own\n"
"      --listen ADDR    with --web: HOST:PORT or [IPV6]:PORT to serve on (default\n"
"                       127.0.0.1:0, a free port on this machine only)\n"
"      --state-dir DIR  the manager's state directory (default: $VESSEL_STATE_DIR,\n"
"                       else /var/lib/vessel for root, ~/.local/state/vessel for\n"
"                       others)\n"
"  -h, --help           this help\n"
"\n"
"On a terminal, keys go to the guest as typed (Ctrl-C too) and the escape key\n"
"detaches, leaving the VM running. When stdin is not a terminal, its bytes are\n"
"sent as they are (no escape key); at its end, output is shown for one more\n"
"second and the client detaches. Other viewers may be attached at the same time.\n"
"\n"
"Exit status:\n"
"  0    detached (escape key or end of input), or the VM stopped\n"
"  1    no console to attach to (the VM is not running), or the connection was\n"
"       refused or failed\n"
"  2    bad command line or VM name\n"
"  128+N  ended by signal N (SIGINT, SIGTERM, SIGHUP); with --web, 0\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "vessel: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'vessel console --help'.\n");
	return EXIT_USAGE;
}

/* Where NAME|PATH's socket is; an exit status if it cannot be said. */
static int console_socket_path(const char *target, const char *state_override, char *buf, size_t len)
{
	char dir[PATH_MAX];
	int ret;

	if (strchr(target, '/')) {
		if (strlen(target) >= len)
			return usage_error("'%s': the path is too long", target);
		strcpy(buf, target);
		return 0;
	}
	if (!manager_name_valid(target)) {
		fprintf(stderr, "vessel: '%s' is not a VM name (1-%d letters, digits, '_', '.', '-'; "
			"not starting with '.' or '-'); a socket path contains '/'\n", target, MANAGER_NAME_MAX);
		return EXIT_USAGE;
	}
	ret = manager_state_dir(state_override, dir, sizeof(dir));
	if (!ret)
		ret = manager_vm_path(dir, target, MANAGER_VM_CONSOLE_SOCK, buf, len);
	if (ret) {
		fprintf(stderr, "vessel: cannot find the state directory: %s\n", strerror(-ret));
		return EXIT_NO_CONSOLE;
	}
	return 0;
}

/* After the server closed: it removes its socket when the VM ends, so a socket still there means it refused us. */
static int console_report_closed(const char *path)
{
	struct stat st;

	if (lstat(path, &st) && errno == ENOENT) {
		fputs("\r\n[console closed: the VM stopped]\r\n", stderr);
		return EXIT_DETACHED;
	}
	fputs("\r\n[console closed by the VM's vessel process]\r\n", stderr);
	return EXIT_NO_CONSOLE;
}

int cmd_console(int argc, char **argv)
{
	static const struct option options[] = {
		{ "escape", required_argument, NULL, 'e' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "web", no_argument, NULL, 'w' },
		{ "listen", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct console_client_config cfg = { .in_fd = STDIN_FILENO, .out_fd = STDOUT_FILENO,
					     .escape = CONSOLE_CLIENT_DEFAULT_ESCAPE };
	const char *state_dir = NULL, *target, *listen_addr = NULL;
	bool web = false;
	char path[PATH_MAX], key[8];
	enum console_client_end end;
	int opt, ret, signo = 0;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":e:h", options, NULL)) != -1) {
		switch (opt) {
		case 'e':
			if (console_client_parse_escape(optarg, &cfg.escape))
				return usage_error("--escape '%s': expected ^X (a control key), ctrl-x, "
						   "one character or none", optarg);
			break;
		case 'S': state_dir = optarg; break;
		case 'w': web = true; break;
		case 'l': listen_addr = optarg; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
		default: return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("%s", "which console? Give a VM name or a socket path");
	if (optind + 1 < argc)
		return usage_error("unexpected argument '%s'", argv[optind + 1]);
	target = argv[optind];
	if (listen_addr && !web)
		return usage_error("%s", "--listen goes with --web");
	ret = console_socket_path(target, state_dir, path, sizeof(path));
	if (ret)
		return ret;
	if (web)
		return console_web_run(path, listen_addr ? listen_addr : CONSOLE_WEB_DEFAULT_LISTEN, target);

	cfg.sock_fd = ret = unix_socket_connect(path);
	if (ret < 0) {
		if (strchr(target, '/'))
			fprintf(stderr, "vessel: no console at %s: %s\n", path, strerror(-ret));
		else if (ret == -ENOENT || ret == -ECONNREFUSED)
			fprintf(stderr, "vessel: no console for VM '%s' (not running?)\n", target);
		else
			fprintf(stderr, "vessel: console of VM '%s' (%s): %s\n", target, path, strerror(-ret));
		return EXIT_NO_CONSOLE;
	}
	if (isatty(cfg.in_fd)) {
		console_client_escape_name(cfg.escape, key, sizeof(key));
		if (cfg.escape == CONSOLE_CLIENT_NO_ESCAPE)
			fprintf(stderr, "[attached to %s; no escape key]\r\n", target);
		else
			fprintf(stderr, "[attached to %s; %s detaches]\r\n", target, key);
	}

	end = console_client_run(&cfg, &signo);
	ret = errno;
	close(cfg.sock_fd);
	switch (end) {
	case CONSOLE_CLIENT_DETACHED:
		fprintf(stderr, "\r\n[detached from %s]\r\n", target);
		return EXIT_DETACHED;
	case CONSOLE_CLIENT_CLOSED:
		return console_report_closed(path);
	case CONSOLE_CLIENT_SIGNALLED:
		fprintf(stderr, "\r\n[detached from %s: signal %d]\r\n", target, signo);
		return EXIT_SIGNAL_BASE + signo;
	case CONSOLE_CLIENT_FAILED:
	default:
		fprintf(stderr, "\r\nvessel: console of %s: %s\r\n", target, strerror(ret));
		return EXIT_NO_CONSOLE;
	}
}
