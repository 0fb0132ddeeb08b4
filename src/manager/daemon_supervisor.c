// SPDX-License-Identifier: MIT
/*
 * Supervision: each VM is a `vessel run` monitor in its own session,
 * watched with a pidfd in the daemon's epoll loop. When one ends, its exit
 * status (waitid, for our own children) and reason (exit.json, which the
 * monitor writes itself) are recorded and the restart policy applied. A
 * restarted daemon finds the monitors that kept running (the PID, checked
 * against the monitor's command line and start time) and watches them again.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/cgroup.h"
#include "manager/daemon.h"

/* Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot. 0 if unknown. */
static uint64_t mgr_proc_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: fields count from the last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
			 &start) != 1)
		return 0;
	return start;
}

/* Does PID's command line hold needle as one of its arguments? */
static bool mgr_proc_has_arg(pid_t pid, const char *needle)
{
	char path[64], buf[8192];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (char *p = buf; p < buf + n; p += strlen(p) + 1)
		if (!strcmp(p, needle))
			return true;
	return false;
}

static int mgr_watch(struct mgr_daemon *d, struct mgr_vm *vm, int pidfd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = pidfd };

	if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, pidfd, &ev))
		return -errno;
	vm->pidfd = pidfd;
	return 0;
}

static void mgr_unwatch(struct mgr_daemon *d, struct mgr_vm *vm)
{
	if (vm->pidfd >= 0) {
		epoll_ctl(d->epoll_fd, EPOLL_CTL_DEL, vm->pidfd, NULL);
		close(vm->pidfd);
	}
	vm->pidfd = -1;
	vm->pid = 0;
	vm->proc_start = 0;
}

/* Appends one line to the VM's log, so that its starts can be told apart there. */
static void mgr_log_to_vm(struct mgr_daemon *d, struct mgr_vm *vm, const char *what)
{
	char path[PATH_MAX], line[256], when[64];
	time_t now = time(NULL);
	struct tm tm;
	int fd, n;

	if (mgr_vm_path(d, vm, MGR_VM_LOG, path, sizeof(path)))
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&now, &tm));
	n = snprintf(line, sizeof(line), "--- vessel daemon, %s: %s ---\n", when, what);
	if (write(fd, line, (size_t)n) < 0)
		mgr_log("%s: cannot write its log: %s", vm->name, strerror(errno));
	close(fd);
}

int mgr_vm_start(struct mgr_daemon *d, struct mgr_vm *vm, char *err, size_t errlen)
{
	char api[PATH_MAX], con[PATH_MAX], exitp[PATH_MAX], logp[PATH_MAX];
	char *argv[MGR_ARGS_MAX + 16];
	int n = 0, pidfd, ret;
	pid_t pid;

	ret = mgr_admit(&d->cap, d->vms, vm, err, errlen);
	if (ret)
		return ret;

	if (mgr_vm_path(d, vm, MANAGER_VM_API_SOCK, api, sizeof(api)) ||
	    mgr_vm_path(d, vm, MANAGER_VM_CONSOLE_SOCK, con, sizeof(con)) ||
	    mgr_vm_path(d, vm, MGR_VM_EXIT, exitp, sizeof(exitp)) ||
	    mgr_vm_path(d, vm, MGR_VM_LOG, logp, sizeof(logp))) {
		snprintf(err, errlen, "the state directory path is too long");
		return -ENAMETOOLONG;
	}
	/* The options the manager owns come first: the user's cannot end the option list before them. */
	argv[n++] = d->exe;
	argv[n++] = "run";
	argv[n++] = "--api-sock";
	argv[n++] = api;
	argv[n++] = "--console-sock";
	argv[n++] = con;
	argv[n++] = "--status-file";
	argv[n++] = exitp;
	for (int i = 0; i < vm->nr_args; i++)
		argv[n++] = vm->args[i];
	argv[n] = NULL;

	unlink(exitp);      /* an exit record now is from this run */
	mgr_log_to_vm(d, vm, vm->restarts && !vm->stop_requested ? "restarting" : "starting");
	ret = mgr_exec_monitor(argv, logp, &pid);
	if (ret) {
		snprintf(err, errlen, "cannot start vessel run: %s", strerror(-ret));
		return ret;
	}
	/* Our child stays a zombie until waitid(): the pidfd is for this very process. */
	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0 || mgr_watch(d, vm, pidfd)) {
		ret = -errno;
		snprintf(err, errlen, "cannot watch the VM process: %s", strerror(errno));
		if (pidfd >= 0)
			close(pidfd);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return ret;
	}
	vm->pid = pid;
	vm->proc_start = mgr_proc_start(pid);
	vm->is_child = true;
	vm->state = MGR_VM_RUNNING;
	vm->stop_requested = false;
	vm->started_ms = mgr_now_ms();
	mgr_store_save_state(d, vm);
	mgr_log("%s: started, pid %d", vm->name, (int)pid);
	return 0;
}

/* true if the policy allows another restart now (and counts it), false if it gave up. */
static bool mgr_restart_allowed(struct mgr_vm *vm)
{
	int64_t now = mgr_now_ms();
	int recent = 0, oldest = 0;

	for (int i = 0; i < MGR_RESTART_BURST; i++) {
		if (vm->restart_ms[i] && now - vm->restart_ms[i] < MGR_RESTART_WINDOW_MS)
			recent++;
		if (vm->restart_ms[i] < vm->restart_ms[oldest])
			oldest = i;
	}
	if (recent >= MGR_RESTART_BURST)
		return false;
	vm->restart_ms[oldest] = now;
	vm->restarts++;
	return true;
}

static bool mgr_wants_restart(const struct mgr_vm *vm)
{
	if (vm->stop_requested || vm->state == MGR_VM_MIGRATED)
		return false;
	if (vm->restart == MGR_RESTART_ALWAYS)
		return true;
	return vm->restart == MGR_RESTART_ON_FAILURE && vm->exit_status != 0;
}

/* The monitor has ended (status -1: unknown); records why and applies the restart policy. */
static void mgr_vm_ended(struct mgr_daemon *d, struct mgr_vm *vm, int status)
{
	char err[256];

	if (mgr_store_read_exit(d, vm)) {
		/* No record: killed before it could write one (SIGKILL), or it is not ours to wait for. */
		vm->has_exit = true;
		vm->exit_status = status;
		if (status > 128)
			snprintf(vm->reason, sizeof(vm->reason), "killed by signal %d (%s)", status - 128,
				 strsignal(status - 128));
		else if (status >= 0)
			snprintf(vm->reason, sizeof(vm->reason), "exited with status %d", status);
		else if (vm->stop_requested)
			snprintf(vm->reason, sizeof(vm->reason), "stopped, without an exit record (killed)");
		else
			snprintf(vm->reason, sizeof(vm->reason), "ended without an exit record (killed by a signal?)");
	} else if (status >= 0) {
		vm->exit_status = status;       /* the kernel's word over the file's */
	}
	/* A VM process killed with --cpu-quota could not remove its cgroup (it inherited ours). */
	if (cgroup_remove_leftover(NULL, vm->pid))
		mgr_log("%s: removed the cgroup its process left behind", vm->name);
	mgr_unwatch(d, vm);
	if (vm->exit_status == 0 && !strncmp(vm->reason, MGR_REASON_MIGRATED, strlen(MGR_REASON_MIGRATED)))
		vm->state = MGR_VM_MIGRATED;    /* the guest runs at the destination: nothing to restart */
	else if (vm->stop_requested || vm->exit_status == 0)
		vm->state = MGR_VM_STOPPED;
	else
		vm->state = MGR_VM_CRASHED;
	mgr_log("%s: ended: status %d, %s", vm->name, vm->exit_status, vm->reason);
	if (mgr_wants_restart(vm)) {
		if (!mgr_restart_allowed(vm)) {
			vm->state = MGR_VM_FAILED;
			mgr_log("%s: %d restarts within %d s: giving up", vm->name, MGR_RESTART_BURST,
				MGR_RESTART_WINDOW_MS / 1000);
		} else if (mgr_vm_start(d, vm, err, sizeof(err))) {
			vm->state = MGR_VM_FAILED;
			mgr_log("%s: restart failed: %s", vm->name, err);
		}
	}
	mgr_store_save_state(d, vm);
}

void mgr_supervisor_on_exit(struct mgr_daemon *d, int pidfd)
{
	struct mgr_vm *vm;
	siginfo_t si = { 0 };
	int status = -1;

	for (vm = d->vms; vm && vm->pidfd != pidfd; vm = vm->next)
		;
	if (!vm) {
		epoll_ctl(d->epoll_fd, EPOLL_CTL_DEL, pidfd, NULL);
		return;
	}
	if (vm->is_child && waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG) == 0 && si.si_pid) {
		status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
	} else if (vm->is_child) {
		return;         /* not ended yet (spurious wake-up) */
	}
	mgr_vm_ended(d, vm, status);
}

/* Is the recorded monitor still running? Returns a pidfd for it, or -1. */
static int mgr_find_monitor(struct mgr_daemon *d, struct mgr_vm *vm)
{
	char api[PATH_MAX];
	int pidfd;

	if (vm->pid <= 0 || mgr_vm_path(d, vm, MANAGER_VM_API_SOCK, api, sizeof(api)))
		return -1;
	pidfd = pidfd_open(vm->pid, 0);
	if (pidfd < 0)
		return -1;
	/* Checked after opening the pidfd, so that it refers to the process checked. */
	if (!mgr_proc_has_arg(vm->pid, api) || (vm->proc_start && mgr_proc_start(vm->pid) != vm->proc_start)) {
		close(pidfd);
		return -1;
	}
	return pidfd;
}

/* Asks a monitor found again whether its VM is paused. */
static void mgr_sync_paused(struct mgr_daemon *d, struct mgr_vm *vm)
{
	char api[PATH_MAX], msg[512];
	long status;

	if (vm->state == MGR_VM_STOPPING || mgr_vm_path(d, vm, MANAGER_VM_API_SOCK, api, sizeof(api)))
		return;
	if (mgr_vm_api_call(api, "GET", "/vessel/status", NULL, &status, msg, sizeof(msg)) || status != 200)
		return;
	vm->state = strstr(msg, "\"Paused\"") ? MGR_VM_PAUSED : MGR_VM_RUNNING;
}

void mgr_supervisor_adopt_all(struct mgr_daemon *d)
{
	for (struct mgr_vm *vm = d->vms; vm; vm = vm->next) {
		int pidfd;

		if (!mgr_vm_is_active(vm))
			continue;
		pidfd = mgr_find_monitor(d, vm);
		if (pidfd < 0) {
			mgr_log("%s: pid %d is gone", vm->name, (int)vm->pid);
			mgr_vm_ended(d, vm, -1);
			continue;
		}
		if (mgr_watch(d, vm, pidfd)) {
			mgr_log("%s: cannot watch pid %d: %s", vm->name, (int)vm->pid, strerror(errno));
			close(pidfd);
			continue;
		}
		vm->is_child = false;
		mgr_sync_paused(d, vm);
		mgr_store_save_state(d, vm);
		mgr_log("%s: found running, pid %d (%s)", vm->name, (int)vm->pid, mgr_vm_state_name(vm->state));
	}
}

void mgr_supervisor_release_all(struct mgr_daemon *d)
{
	for (struct mgr_vm *vm = d->vms; vm; vm = vm->next) {
		if (vm->pidfd >= 0)
			close(vm->pidfd);
		vm->pidfd = -1;
	}
}
