/* SPDX-License-Identifier: MIT */
#include "core/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

#define DELEGATE_HINT "run vessel as root, or alone in a cgroup with the cpu controller delegated " \
	"(e.g. systemd-run --scope -p Delegate=yes vessel run ...)"

/* The hierarchy that has the cpu controller, and this process's cgroup in it. */
struct cgroup_loc {
	int version;
	char mount[PATH_MAX];       /* where the hierarchy is mounted */
	char own[PATH_MAX];         /* this process's cgroup directory */
};

/* How a VM's cgroup is made in that hierarchy. */
struct cgroup_plan {
	bool alone;                 /* v2: the process is alone in own: the VM's cgroup goes under it */
	char base[PATH_MAX];        /* the VM's cgroup's parent */
};

static int cg_path(char *out, const char *dir, const char *file)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, file);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* dir/file opened with flags: a file descriptor, or -errno. */
static int cg_open(const char *dir, const char *file, int flags)
{
	char path[PATH_MAX];
	int fd, ret = cg_path(path, dir, file);

	if (ret)
		return ret;
	fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int cg_write(const char *dir, const char *file, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd = cg_open(dir, file, O_WRONLY), ret;

	if (fd < 0)
		return fd;
	n = write(fd, val, len);
	ret = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	close(fd);
	return ret;
}

static int cg_write_pid(const char *dir, pid_t pid)
{
	char val[24];

	snprintf(val, sizeof(val), "%d\n", (int)pid);
	return cg_write(dir, "cgroup.procs", val);
}

/* The file's contents (at most len - 1 bytes); 0 or -errno. */
static int cg_read(const char *dir, const char *file, char *buf, size_t len)
{
	ssize_t n;
	int fd = cg_open(dir, file, O_RDONLY), ret;

	if (fd < 0)
		return fd;
	n = read(fd, buf, len - 1);
	ret = n < 0 ? -errno : 0;
	buf[n < 0 ? 0 : n] = '\0';
	close(fd);
	return ret;
}

/* Is word one of the space-separated words of dir/file? */
static bool cg_has_word(const char *dir, const char *file, const char *word)
{
	char buf[1024], *save = NULL;

	if (cg_read(dir, file, buf, sizeof(buf)))
		return false;
	for (char *w = strtok_r(buf, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
		if (!strcmp(w, word))
			return true;
	return false;
}

/* Is process pid the only one in cgroup dir? */
static bool cg_only_process(const char *dir, pid_t pid)
{
	char buf[4096], *save = NULL;
	int n = 0;

	if (cg_read(dir, "cgroup.procs", buf, sizeof(buf)))
		return false;
	for (char *w = strtok_r(buf, "\n", &save); w; w = strtok_r(NULL, "\n", &save), n++)
		if (atoi(w) != (int)pid)
			return false;
	return n == 1;
}

static bool cg_list_has(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (!strncmp(p, word, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
	}
	return false;
}

/* mountinfo escapes spaces and such as \ooo. */
static void cg_unescape(char *s)
{
	char *out = s;

	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' &&
		    p[3] <= '7') {
			*out++ = (char)((p[1] - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0'));
			p += 3;
		} else {
			*out++ = *p;
		}
	}
	*out = '\0';
}

/* This process's cgroup paths: in the v1 hierarchy with cpu, and in v2. */
static int cg_read_proc_cgroup(const char *file, char *v1, char *v2, char *err, size_t errlen)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen(file, "re");

	v1[0] = v2[0] = '\0';
	if (!f) {
		snprintf(err, errlen, "--cpu-quota: cannot read %s: %s", file, strerror(errno));
		return -errno;
	}
	while (getline(&line, &cap, f) > 0) {
		char *ctl = strchr(line, ':'), *path;

		if (!ctl || !(path = strchr(ctl + 1, ':')))
			continue;
		*ctl++ = '\0';
		*path++ = '\0';
		path[strcspn(path, "\n")] = '\0';
		if (strlen(path) >= PATH_MAX / 2)
			continue;
		if (!strcmp(line, "0") && !*ctl)
			strcpy(v2, path);
		else if (cg_list_has(ctl, "cpu"))
			strcpy(v1, path);
	}
	free(line);
	fclose(f);
	return 0;
}

/* Where the v1 cpu hierarchy and the v2 one are mounted (their mount roots and mount points). */
static void cg_read_mounts(const char *file, char *v1_root, char *v1_mnt, char *v2_root, char *v2_mnt)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen(file, "re");

	v1_mnt[0] = v2_mnt[0] = '\0';
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		char root[PATH_MAX / 2], mnt[PATH_MAX / 2], type[32], opts[512];
		char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %2047s %2047s", root, mnt) != 2 ||
		    sscanf(sep + 3, "%31s %*s %511s", type, opts) != 2)
			continue;
		cg_unescape(root);
		cg_unescape(mnt);
		if (!strcmp(type, "cgroup") && cg_list_has(opts, "cpu") && !v1_mnt[0]) {
			strcpy(v1_root, root);
			strcpy(v1_mnt, mnt);
		} else if (!strcmp(type, "cgroup2") && !v2_mnt[0]) {
			strcpy(v2_root, root);
			strcpy(v2_mnt, mnt);
		}
	}
	free(line);
	fclose(f);
}

/* mnt + path seen from the mount's root. */
static int cg_join(char *out, const char *mnt, const char *root, const char *path)
{
	size_t n = strlen(root);
	int len;

	if (strcmp(root, "/")) {
		if (strncmp(path, root, n) || (path[n] != '/' && path[n] != '\0'))
			return -ENOENT;
		path += n;
	}
	len = snprintf(out, PATH_MAX, "%s%s%s", mnt, *path == '/' ? "" : "/", path);
	if (len < 0 || len >= PATH_MAX)
		return -ENAMETOOLONG;
	/* The root cgroup: no trailing slash. */
	if (len > 1 && out[len - 1] == '/')
		out[len - 1] = '\0';
	return 0;
}

static int cgroup_locate(const struct cgroup_paths *paths, struct cgroup_loc *loc, char *err, size_t errlen)
{
	const char *proc_cgroup = paths && paths->proc_cgroup ? paths->proc_cgroup : "/proc/self/cgroup";
	const char *mountinfo = paths && paths->mountinfo ? paths->mountinfo : "/proc/self/mountinfo";
	char v1[PATH_MAX / 2], v2[PATH_MAX / 2], v1_root[PATH_MAX / 2], v2_root[PATH_MAX / 2];
	char v1_mnt[PATH_MAX / 2], v2_mnt[PATH_MAX / 2];
	int ret;

	ret = cg_read_proc_cgroup(proc_cgroup, v1, v2, err, errlen);
	if (ret)
		return ret;
	cg_read_mounts(mountinfo, v1_root, v1_mnt, v2_root, v2_mnt);
	*loc = (struct cgroup_loc){ 0 };
	if (v1[0] && v1_mnt[0]) {
		loc->version = 1;
		strcpy(loc->mount, v1_mnt);
		ret = cg_join(loc->own, v1_mnt, v1_root, v1);
	} else if (v2[0] && v2_mnt[0] && !v1[0]) {
		loc->version = 2;
		strcpy(loc->mount, v2_mnt);
		ret = cg_join(loc->own, v2_mnt, v2_root, v2);
	} else {
		snprintf(err, errlen, "--cpu-quota: no cgroup hierarchy with the cpu controller is mounted here");
		return -ENOENT;
	}
	if (ret) {
		snprintf(err, errlen, "--cpu-quota: this process's cgroup is not inside the cgroup%s hierarchy "
			 "mounted at %s", loc->version == 2 ? "2" : " cpu", loc->mount);
		return ret;
	}
	return 0;
}

/* Can we create directories in dir (or in its parent, if dir does not exist yet)? */
static int cg_can_create_in(const char *dir)
{
	char parent[PATH_MAX], *slash;

	if (!access(dir, W_OK | X_OK))
		return 0;
	if (errno != ENOENT)
		return -errno;
	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	return access(parent, W_OK | X_OK) ? -errno : 0;
}

/* The hierarchy (*loc), where the VM's cgroup goes in it, and whether the cpu controller is there to be had. */
static int cgroup_plan(const struct cgroup_paths *paths, pid_t pid, struct cgroup_loc *loc, struct cgroup_plan *plan,
		       char *err, size_t errlen)
{
	int ret;

	*plan = (struct cgroup_plan){ 0 };
	ret = cgroup_locate(paths, loc, err, errlen);
	if (ret)
		return ret;
	if (loc->version == 1) {
		snprintf(plan->base, sizeof(plan->base), "%s", loc->own);
		return 0;
	}
	plan->alone = cg_only_process(loc->own, pid);
	if (plan->alone) {
		if (!cg_has_word(loc->own, "cgroup.controllers", "cpu")) {
			snprintf(err, errlen, "--cpu-quota: cgroup v2: the cpu controller is not delegated to %s "
				 "(its parent must enable it in cgroup.subtree_control)", loc->own);
			return -EPERM;
		}
		snprintf(plan->base, sizeof(plan->base), "%s", loc->own);
		return 0;
	}
	if (!cg_has_word(loc->mount, "cgroup.controllers", "cpu")) {
		snprintf(err, errlen, "--cpu-quota: the cgroup2 hierarchy at %s has no cpu controller", loc->mount);
		return -ENOENT;
	}
	if (snprintf(plan->base, sizeof(plan->base), "%s/%s", loc->mount, CGROUP_V2_SHARED) >= PATH_MAX) {
		snprintf(err, errlen, "--cpu-quota: cgroup path too long");
		return -ENAMETOOLONG;
	}
	return 0;
}

/* The message for a cgroup we could not create in plan->base: what failed (fmt, ...) and why (-ret). Returns ret. */
__attribute__((format(printf, 6, 7)))
static int cgroup_create_error(const struct cgroup_loc *loc, const struct cgroup_plan *plan, int ret,
			       char *err, size_t errlen, const char *fmt, ...)
{
	char what[PATH_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (loc->version == 2 && !plan->alone)
		snprintf(err, errlen, "--cpu-quota: cgroup v2 keeps processes out of cgroups with controllers enabled, "
			 "%s holds other processes, and %s: %s; %s", loc->own, what, strerror(-ret), DELEGATE_HINT);
	else
		snprintf(err, errlen, "--cpu-quota: %s: %s (needs root or write access to %s)", what, strerror(-ret),
			 plan->base);
	return ret;
}

int cgroup_check_cpu_quota(const struct cgroup_paths *paths, pid_t pid, char *err, size_t errlen)
{
	struct cgroup_loc loc;
	struct cgroup_plan plan;
	int ret;

	ret = cgroup_plan(paths, pid, &loc, &plan, err, errlen);
	if (ret)
		return ret;
	ret = cg_can_create_in(plan.base);
	if (ret)
		return cgroup_create_error(&loc, &plan, ret, err, errlen, "cannot create cgroups in %s", plan.base);
	return 0;
}

/* Turns the cpu controller on for dir's children. */
static int cg_enable_cpu(const char *dir)
{
	if (cg_has_word(dir, "cgroup.subtree_control", "cpu"))
		return 0;
	return cg_write(dir, "cgroup.subtree_control", "+cpu");
}

static int cgroup_set_quota(const struct cgroup *cg, uint32_t percent)
{
	uint64_t quota = (uint64_t)percent * CGROUP_PERIOD_US / 100;
	char val[64];
	int ret;

	if (cg->version == 2) {
		snprintf(val, sizeof(val), "%llu %u\n", (unsigned long long)quota, CGROUP_PERIOD_US);
		return cg_write(cg->dir, "cpu.max", val);
	}
	snprintf(val, sizeof(val), "%u\n", CGROUP_PERIOD_US);
	ret = cg_write(cg->dir, "cpu.cfs_period_us", val);
	if (ret)
		return ret;
	snprintf(val, sizeof(val), "%llu\n", (unsigned long long)quota);
	return cg_write(cg->dir, "cpu.cfs_quota_us", val);
}

/* v2, not delegated: <mount>/vessel with cpu enabled for its children (and in the root for it). */
static int cgroup_v2_shared_parent(const struct cgroup_loc *loc, const struct cgroup_plan *plan,
				   char *err, size_t errlen)
{
	int ret;

	if (mkdir(plan->base, 0755) && errno != EEXIST)
		return cgroup_create_error(loc, plan, -errno, err, errlen, "cannot create %s", plan->base);
	ret = cg_enable_cpu(loc->mount);
	if (!ret)
		ret = cg_enable_cpu(plan->base);
	if (ret)
		return cgroup_create_error(loc, plan, ret, err, errlen, "cannot enable the cpu controller in %s",
					   plan->base);
	return 0;
}

int cgroup_create_cpu_quota(struct cgroup *cg, const struct cgroup_paths *paths, pid_t pid, uint32_t percent,
			    char *err, size_t errlen)
{
	struct cgroup_loc loc;
	struct cgroup_plan plan;
	int ret;

	*cg = (struct cgroup){ 0 };
	ret = cgroup_plan(paths, pid, &loc, &plan, err, errlen);
	if (ret)
		return ret;
	if (loc.version == 2 && !plan.alone) {
		ret = cgroup_v2_shared_parent(&loc, &plan, err, errlen);
		if (ret)
			return ret;
	}
	snprintf(cg->home, sizeof(cg->home), "%s", loc.own);
	if (snprintf(cg->dir, sizeof(cg->dir), "%s/" CGROUP_NAME_PREFIX "%d", plan.base, (int)pid) >= PATH_MAX) {
		snprintf(err, errlen, "--cpu-quota: cgroup path too long");
		return -ENAMETOOLONG;
	}
	/* It may exist: left by an earlier process with this pid that was killed. */
	if (mkdir(cg->dir, 0755) && errno != EEXIST)
		return cgroup_create_error(&loc, &plan, -errno, err, errlen, "cannot create cgroup %s", cg->dir);
	cg->version = loc.version;
	/* v1, or v2's shared parent: the quota is in place before the process enters. */
	if (!plan.alone) {
		ret = cgroup_set_quota(cg, percent);
		if (ret) {
			snprintf(err, errlen, "--cpu-quota: cannot set the quota of cgroup %s: %s", cg->dir,
				 strerror(-ret));
			goto out_rmdir;
		}
	}
	ret = cg_write_pid(cg->dir, pid);
	if (ret) {
		snprintf(err, errlen, "--cpu-quota: cannot move vessel into cgroup %s: %s%s", cg->dir, strerror(-ret),
			 ret == -EACCES || ret == -EPERM ? " (needs root or a delegated cgroup)" : "");
		goto out_rmdir;
	}
	if (plan.alone) {
		/* Delegated v2: only now is our old cgroup empty, so cpu can be enabled below it. */
		if (!cg_has_word(plan.base, "cgroup.subtree_control", "cpu")) {
			ret = cg_write(plan.base, "cgroup.subtree_control", "+cpu");
			if (ret) {
				snprintf(err, errlen, "--cpu-quota: cannot enable the cpu controller in %s: %s; %s",
					 plan.base, strerror(-ret), DELEGATE_HINT);
				goto out_back;
			}
			cg->enabled_in_home = true;
		}
		ret = cgroup_set_quota(cg, percent);
		if (ret) {
			snprintf(err, errlen, "--cpu-quota: cannot set the quota of cgroup %s: %s", cg->dir,
				 strerror(-ret));
			goto out_back;
		}
	}
	log_info("CPU quota %u%% of one CPU: cgroup v%d %s", percent, cg->version, cg->dir);
	return 0;

out_back:
	cgroup_remove(cg, pid);
	return ret;
out_rmdir:
	rmdir(cg->dir);
	cg->version = 0;
	return ret;
}

void cgroup_remove(struct cgroup *cg, pid_t pid)
{
	int ret;

	if (!cg->version)
		return;
	cg->version = 0;
	if (cg->enabled_in_home) {
		ret = cg_write(cg->home, "cgroup.subtree_control", "-cpu");
		if (ret)
			log_warn("cannot disable the cpu controller in %s again: %s", cg->home, strerror(-ret));
	}
	ret = cg_write_pid(cg->home, pid);
	if (ret) {
		log_warn("cannot move back to cgroup %s (%s): cgroup %s stays", cg->home, strerror(-ret), cg->dir);
		return;
	}
	if (rmdir(cg->dir) && errno != ENOENT)
		log_warn("cannot remove cgroup %s: %s", cg->dir, strerror(errno));
}

bool cgroup_remove_leftover(const struct cgroup_paths *paths, pid_t pid)
{
	struct cgroup_loc loc;
	char err[256], dir[PATH_MAX];
	bool removed = false;

	if (pid <= 0 || cgroup_locate(paths, &loc, err, sizeof(err)))
		return false;
	if (snprintf(dir, sizeof(dir), "%s/" CGROUP_NAME_PREFIX "%d", loc.own, (int)pid) < PATH_MAX)
		removed |= !rmdir(dir);
	if (loc.version == 2 &&
	    snprintf(dir, sizeof(dir), "%s/" CGROUP_V2_SHARED "/" CGROUP_NAME_PREFIX "%d", loc.mount, (int)pid) < PATH_MAX)
		removed |= !rmdir(dir);
	return removed;
}
