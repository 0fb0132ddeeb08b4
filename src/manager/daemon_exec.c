// SPDX-License-Identifier: MIT
/*
 * Running `vessel run`: posix_spawn (vfork-fast, safe in a threaded
 * process), with a clean signal state (the daemon blocks its stop signals
 * for its signalfd; a child must not inherit that).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "manager/daemon.h"

extern char **environ;

static int mgr_exec_attr(posix_spawnattr_t *attr, bool new_session)
{
	sigset_t none, defaults;
	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;

	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGTERM);
	sigaddset(&defaults, SIGHUP);
	sigaddset(&defaults, SIGCHLD);
	if (new_session)
		flags |= POSIX_SPAWN_SETSID;
	if (posix_spawnattr_init(attr))
		return -ENOMEM;
	posix_spawnattr_setsigmask(attr, &none);
	posix_spawnattr_setsigdefault(attr, &defaults);
	posix_spawnattr_setflags(attr, flags);
	return 0;
}

static int mgr_status_of(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	return 128 + WTERMSIG(wstatus);
}

int mgr_exec_capture(char *const argv[], int timeout_ms, struct mgr_capture *cap)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int64_t deadline = mgr_now_ms() + timeout_ms;
	bool timed_out = false;
	size_t len = 0;
	int pipefd[2], ret, wstatus;
	pid_t pid;

	cap->status = -1;
	cap->out[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	ret = mgr_exec_attr(&attr, false);
	if (ret)
		goto out_pipe;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
	ret = -posix_spawn(&pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (ret)
		goto out_pipe;
	close(pipefd[1]);
	pipefd[1] = -1;
	for (;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		int64_t left = deadline - mgr_now_ms();
		char drop[512];
		ssize_t n;

		if (left <= 0) {
			timed_out = true;
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if (len < sizeof(cap->out) - 1)
			n = read(pipefd[0], cap->out + len, sizeof(cap->out) - 1 - len);
		else
			n = read(pipefd[0], drop, sizeof(drop));
		if (n <= 0)
			break;
		if (len < sizeof(cap->out) - 1)
			len += (size_t)n;
	}
	cap->out[len] = '\0';
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	cap->status = timed_out ? -1 : mgr_status_of(wstatus);
	ret = 0;
out_pipe:
	close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	return ret;
}

int mgr_exec_monitor(char *const argv[], const char *log_path, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int ret;

	ret = mgr_exec_attr(&attr, true);
	if (ret)
		return ret;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log_path, O_WRONLY | O_APPEND | O_CREAT, 0644);
	posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
	ret = -posix_spawn(pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return ret;
}
