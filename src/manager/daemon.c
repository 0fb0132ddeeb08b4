// SPDX-License-Identifier: MIT
/*
 * `vessel daemon`: the manager. A foreground process (run it under systemd,
 * or with &) that keeps VM definitions in a state directory, runs each VM as
 * its own `vessel run` and serves its API on <state>/vesseld.sock. One
 * daemon per state directory (a lock file). SIGTERM/SIGINT end the daemon,
 * never the VMs: a daemon started later finds them again. docs/manager.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/api_server.h"
#include "cli/commands.h"
#include "manager/daemon.h"

#define MGR_LOCK_FILE "vesseld.lock"

static const char usage_text[] =
"Usage: vessel daemon [--state-dir DIR] [--max-memory SIZE|N%] [--cpu-overcommit R] [-v]\n"
"Run the VM manager in the foreground: it keeps VM definitions in the state\n"
"directory, runs each VM as its own 'vessel run' process, supervises it and\n"
"serves its API on DIR/vesseld.sock (docs/manager.md). Run it under systemd\n"
"or with '&'. SIGTERM or SIGINT stop the daemon and leave the VMs running;\n"
"a daemon started again finds them.\n"
"\n"
"      --state-dir DIR  where definitions and VM sockets live (default:\n"
"                       $VESSEL_STATE_DIR, else /var/lib/vessel for root,\n"
"                       ~/.local/state/vessel for other users)\n"
"      --max-memory SIZE|N%\n"
"                       memory VMs may hold: their guest RAM plus 16 MiB each,\n"
"                       while running (or from create, with 'create --reserve');\n"
"                       a start beyond it is refused (default: the host's RAM\n"
"                       minus 512 MiB)\n"
"      --cpu-overcommit R\n"
"                       vCPUs VMs may hold per online host CPU (default 16)\n"
"  -v, --verbose        log every request on stderr\n"
"  -h, --help           this help\n"
"\n"
"Exit status: 0 stopped by a signal, 1 could not start (another daemon holds\n"
"the state directory, ...), 2 bad command line.\n";

void mgr_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "vessel daemon: ");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line: request threads log concurrently. */
	fprintf(stderr, "%s\n", line);
}

int64_t mgr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *mgr_vm_state_name(enum mgr_vm_state state)
{
	static const char *const names[] = { "stopped", "running", "paused", "stopping", "crashed", "failed",
					     "migrated" };

	return (unsigned)state < sizeof(names) / sizeof(names[0]) ? names[state] : "unknown";
}

struct mgr_vm *mgr_vm_find(struct mgr_daemon *d, const char *name)
{
	struct mgr_vm *vm;

	for (vm = d->vms; vm && strcmp(vm->name, name); vm = vm->next)
		;
	return vm;
}

void mgr_vm_free(struct mgr_vm *vm)
{
	if (!vm)
		return;
	for (int i = 0; i < vm->nr_args; i++)
		free(vm->args[i]);
	free(vm->args);
	free(vm->migration);
	free(vm);
}

int mgr_vm_path(const struct mgr_daemon *d, const struct mgr_vm *vm, const char *file, char *buf, size_t len)
{
	return manager_vm_path(d->state_dir, vm->name, file, buf, len);
}

/* mkdir -p */
static int mgr_mkdirs(const char *path)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Takes <state>/vesseld.lock for this process's lifetime; its fd, or -errno with err. */
static int mgr_lock_state_dir(const char *state_dir, char *err, size_t errlen)
{
	char path[PATH_MAX], pid[32];
	int fd, n;

	if (snprintf(path, sizeof(path), "%s/%s", state_dir, MGR_LOCK_FILE) >= (int)sizeof(path)) {
		snprintf(err, errlen, "state directory %s: path too long", state_dir);
		return -ENAMETOOLONG;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		n = -errno;
		snprintf(err, errlen, "%.400s: %s", path, strerror(errno));
		return n;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		n = (int)read(fd, pid, sizeof(pid) - 1);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		snprintf(err, errlen, "another vessel daemon (pid %s) is running on %s", pid[0] ? pid : "?", state_dir);
		close(fd);
		return -EBUSY;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)n, 0) != n)
		mgr_log("cannot write %s: %s", path, strerror(errno));
	return fd;
}

/* Stop signals arrive on a signalfd, read by the event loop. */
static int mgr_signal_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Before any thread starts, so that every thread has them blocked. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -EINVAL;
	return signalfd(-1, &set, SFD_CLOEXEC);
}

/* Until a stop signal: VM monitors ending. 0, or -errno. */
static int mgr_event_loop(struct mgr_daemon *d, int sig_fd)
{
	for (;;) {
		struct epoll_event ev[16];
		int n = epoll_wait(d->epoll_fd, ev, 16, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (int i = 0; i < n; i++) {
			if (ev[i].data.fd == sig_fd) {
				struct signalfd_siginfo si;

				if (read(sig_fd, &si, sizeof(si)) == sizeof(si))
					mgr_log("%s: stopping the daemon; the VMs keep running", strsignal((int)si.ssi_signo));
				return 0;
			}
			pthread_mutex_lock(&d->lock);
			mgr_supervisor_on_exit(d, ev[i].data.fd);
			pthread_mutex_unlock(&d->lock);
		}
	}
}

static int mgr_daemon_run(struct mgr_daemon *d)
{
	const struct api_server_options opts = {
		.what = "the manager socket", .thread_per_connection = true, .log_prefix = "vessel daemon",
	};
	struct epoll_event ev = { .events = EPOLLIN };
	struct api_server *srv;
	char err[512];
	int lock_fd, sig_fd, ret, running = 0;
	ssize_t n;

	n = readlink("/proc/self/exe", d->exe, sizeof(d->exe) - 1);
	if (n <= 0 || n >= (ssize_t)sizeof(d->exe) - 1)
		snprintf(d->exe, sizeof(d->exe), "/proc/self/exe");
	else
		d->exe[n] = '\0';
	ret = mgr_mkdirs(d->state_dir);
	if (ret) {
		fprintf(stderr, "vessel: state directory %s: %s\n", d->state_dir, strerror(-ret));
		return 1;
	}
	lock_fd = mgr_lock_state_dir(d->state_dir, err, sizeof(err));
	if (lock_fd < 0) {
		fprintf(stderr, "vessel: %s\n", err);
		return 1;
	}
	/* VMs run with / as working directory: their paths are absolute (vessel create makes them so). */
	if (chdir("/"))
		mgr_log("chdir /: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	sig_fd = mgr_signal_fd();
	d->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (sig_fd < 0 || d->epoll_fd < 0) {
		fprintf(stderr, "vessel: daemon: cannot set up its event loop: %s\n", strerror(errno));
		ret = 1;
		goto out_close;
	}
	ev.data.fd = sig_fd;
	epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, sig_fd, &ev);

	ret = mgr_store_load_all(d);
	if (ret) {
		fprintf(stderr, "vessel: state directory %s/vms: %s\n", d->state_dir, strerror(-ret));
		ret = 1;
		goto out_close;
	}
	mgr_supervisor_adopt_all(d);
	srv = api_server_create_handler(d->sock_path, &opts, mgr_api_handle, d, err, sizeof(err));
	if (!srv) {
		fprintf(stderr, "vessel: %s\n", err);
		ret = 1;
		goto out_release;
	}
	for (struct mgr_vm *vm = d->vms; vm; vm = vm->next)
		running += mgr_vm_is_active(vm);
	mgr_log("listening on %s (pid %d, %d VM(s) running; VMs may hold %llu MiB and %u vCPUs)", d->sock_path,
		(int)getpid(), running, (unsigned long long)d->cap.mem_mib, d->cap.vcpus);

	ret = mgr_event_loop(d, sig_fd) ? 1 : 0;
	/* Joins the request threads: nothing touches the VM list after this. */
	api_server_destroy(srv);
out_release:
	mgr_supervisor_release_all(d);
out_close:
	while (d->vms) {
		struct mgr_vm *vm = d->vms;

		d->vms = vm->next;
		mgr_vm_free(vm);
	}
	if (d->epoll_fd >= 0)
		close(d->epoll_fd);
	if (sig_fd >= 0)
		close(sig_fd);
	close(lock_fd);
	return ret;
}

int cmd_daemon(int argc, char **argv)
{
	static const struct option options[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "max-memory", required_argument, NULL, 'm' },
		{ "cpu-overcommit", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *max_memory = NULL;
	double overcommit = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN), pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	char err[256], *end;
	static struct mgr_daemon daemon;   /* large (paths); one per process */
	const char *state_override = NULL;
	char dir[PATH_MAX];
	int opt, ret;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":vh", options, NULL)) != -1) {
		switch (opt) {
		case 'd': state_override = optarg; break;
		case 'v': daemon.verbose++; break;
		case 'm': max_memory = optarg; break;
		case 'c':
			overcommit = strtod(optarg, &end);
			if (end == optarg || *end || !(overcommit > 0)) {
				fprintf(stderr, "vessel: --cpu-overcommit '%s': expected a ratio above 0 (e.g. 4, 1.5)\n"
					"Try 'vessel daemon --help'.\n", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		case ':':
			fprintf(stderr, "vessel: option '%s' needs a value\nTry 'vessel daemon --help'.\n", argv[optind - 1]);
			return CLI_EXIT_USAGE;
		default:
			fprintf(stderr, "vessel: unknown option '%s'\nTry 'vessel daemon --help'.\n", argv[optind - 1]);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vessel: unexpected argument '%s'\nTry 'vessel daemon --help'.\n", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	if (mgr_capacity_init(&daemon.cap, max_memory, overcommit,
			      pages > 0 && page > 0 ? ((uint64_t)pages * (uint64_t)page) >> 20 : 0,
			      cpus > 0 ? (uint32_t)cpus : 1, err, sizeof(err))) {
		fprintf(stderr, "vessel: %s\nTry 'vessel daemon --help'.\n", err);
		return CLI_EXIT_USAGE;
	}
	ret = manager_state_dir(state_override, dir, sizeof(dir));
	if (ret) {
		fprintf(stderr, "vessel: cannot find a state directory: %s (use --state-dir)\n", strerror(-ret));
		return 1;
	}
	/* Absolute, since the daemon runs in /. */
	if (dir[0] != '/') {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)) ||
		    snprintf(daemon.state_dir, sizeof(daemon.state_dir), "%s/%s", cwd, dir) >= (int)sizeof(daemon.state_dir)) {
			fprintf(stderr, "vessel: state directory %s: path too long\n", dir);
			return 1;
		}
	} else {
		snprintf(daemon.state_dir, sizeof(daemon.state_dir), "%s", dir);
	}
	if (snprintf(daemon.sock_path, sizeof(daemon.sock_path), "%s/%s", daemon.state_dir,
		     MANAGER_DAEMON_SOCK) >= 108) {
		fprintf(stderr, "vessel: %s/%s: a socket path must be shorter than 108 bytes\n",
			daemon.state_dir, MANAGER_DAEMON_SOCK);
		return 1;
	}
	pthread_mutex_init(&daemon.lock, NULL);
	daemon.epoll_fd = -1;
	return mgr_daemon_run(&daemon);
}
