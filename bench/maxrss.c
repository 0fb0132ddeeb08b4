/* SPDX-License-Identifier: MIT */
/*
 * maxrss OUTFILE CMD [ARGS...]: runs CMD and writes its peak RSS in KiB
 * (ru_maxrss from wait4) to OUTFILE; exits with CMD's status (128+N if
 * killed by signal N).
 *
 * Why not wait4() in the Python bench itself: Linux keeps a process's peak
 * RSS across fork and exec, so a VMM forked from Python starts with
 * Python's RSS as its "peak". Forked from this tiny program it starts near 1 MiB.
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct rusage ru;
	int status;
	pid_t pid;
	FILE *out;

	if (argc < 3) {
		fprintf(stderr, "usage: maxrss OUTFILE CMD [ARGS...]\n");
		return 125;
	}
	pid = fork();
	if (pid < 0) {
		perror("maxrss: fork");
		return 125;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror("maxrss: exec");
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("maxrss: wait4");
		return 125;
	}
	out = fopen(argv[1], "w");
	if (!out || fprintf(out, "%ld\n", ru.ru_maxrss) < 0 || fclose(out)) {
		perror("maxrss: OUTFILE");
		return 125;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
