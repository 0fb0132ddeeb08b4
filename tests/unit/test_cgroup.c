/* SPDX-License-Identifier: MIT */
/*
 * The CPU quota's cgroup handling on fake cgroup trees (plain directories
 * and files, described by fake /proc/self/cgroup and mountinfo files):
 * where the VM's cgroup goes on v1, on v2 delegated and not, what gets
 * written, going back at removal, and each refusal. The kernel's own rules
 * are exercised by the integration test on a real host.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cgroup.h"
#include "test.h"

#define PID 4242

static char root[64];
static struct cgroup_paths paths;
static char proc_path[PATH_MAX], mounts_path[PATH_MAX];

static void put(const char *content, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs(content, f);
	fclose(f);
}

static void dir(const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	CHECK(!mkdir(path, 0755) || errno == EEXIST);
}

static bool has(const char *want, const char *fmt, ...)
{
	char path[PATH_MAX], buf[256] = "";
	va_list ap;
	size_t n;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	if (strcmp(buf, want))
		fprintf(stderr, "%s: '%s', expected '%s'\n", path, buf, want);
	return !strcmp(buf, want);
}

static bool exists(const char *fmt, ...)
{
	char path[PATH_MAX];
	struct stat st;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return !stat(path, &st);
}

/* A fresh fake host: the /proc files say what the test passes. */
static void host(const char *proc_cgroup, const char *mountinfo)
{
	char cmd[PATH_MAX + 16];

	if (root[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		CHECK_EQ(system(cmd), 0);
	}
	snprintf(root, sizeof(root), "/tmp/vessel-test-cgroup-XXXXXX");
	CHECK(mkdtemp(root) != NULL);
	snprintf(proc_path, sizeof(proc_path), "%s/proc-cgroup", root);
	snprintf(mounts_path, sizeof(mounts_path), "%s/mountinfo", root);
	put(proc_cgroup, "%s", proc_path);
	put(mountinfo, "%s", mounts_path);
	paths = (struct cgroup_paths){ .proc_cgroup = proc_path, .mountinfo = mounts_path };
}

static void expect_error(int ret, const char *err, const char *msg)
{
	CHECK(ret < 0);
	if (!strstr(err, msg)) {
		fprintf(stderr, "message '%s' lacks '%s'\n", err, msg);
		CHECK(0);
	}
}

/* v1 (this project's hybrid hosts): under our own cgroup in the cpu hierarchy, whose mount point has a space. */
static void test_v1(void)
{
	char mi[1024], err[512];
	struct cgroup cg;

	host("4:memory:/x\n1:cpu,cpuacct:/user\n0::/\n", "");
	snprintf(mi, sizeof(mi), "31 23 0:28 / %s rw - tmpfs tmpfs rw\n"
		 "32 31 0:29 / %s/cpu\\040x rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
		 "41 31 0:38 / %s/unified rw,relatime - cgroup2 cgroup2 rw\n", root, root, root);
	put(mi, "%s", mounts_path);
	dir("%s/cpu x", root);
	dir("%s/cpu x/user", root);
	put("4242\n17\n", "%s/cpu x/user/cgroup.procs", root);
	/* What the kernel would create with the directory. */
	dir("%s/cpu x/user/vessel-4242", root);
	put("", "%s/cpu x/user/vessel-4242/cgroup.procs", root);
	put("100000\n", "%s/cpu x/user/vessel-4242/cpu.cfs_period_us", root);
	put("-1\n", "%s/cpu x/user/vessel-4242/cpu.cfs_quota_us", root);

	CHECK_EQ(cgroup_check_cpu_quota(&paths, PID, err, sizeof(err)), 0);
	CHECK_EQ(cgroup_create_cpu_quota(&cg, &paths, PID, 250, err, sizeof(err)), 0);
	CHECK_EQ(cg.version, 1);
	CHECK(!strcmp(strrchr(cg.dir, '/'), "/vessel-4242"));
	CHECK(has("250000\n", "%s/cpu x/user/vessel-4242/cpu.cfs_quota_us", root));
	CHECK(has("100000\n", "%s/cpu x/user/vessel-4242/cpu.cfs_period_us", root));
	CHECK(has("4242\n", "%s/cpu x/user/vessel-4242/cgroup.procs", root));

	/* Removal: back home, directory gone (once the kernel's files are, as in cgroupfs). */
	put("", "%s/cpu x/user/cgroup.procs", root);
	unlink(strcat(strcpy(err, cg.dir), "/cgroup.procs"));
	unlink(strcat(strcpy(err, cg.dir), "/cpu.cfs_period_us"));
	unlink(strcat(strcpy(err, cg.dir), "/cpu.cfs_quota_us"));
	cgroup_remove(&cg, PID);
	CHECK(has("4242\n", "%s/cpu x/user/cgroup.procs", root));
	CHECK(!exists("%s/cpu x/user/vessel-4242", root));
	CHECK_EQ(cg.version, 0);
	cgroup_remove(&cg, PID);    /* twice is harmless */
}

static void v2_host(const char *own_procs, const char *root_controllers)
{
	char mi[1024];

	host("0::/user.slice/app.scope\n", "");
	snprintf(mi, sizeof(mi), "41 31 0:38 / %s/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n", root);
	put(mi, "%s", mounts_path);
	dir("%s/unified", root);
	put(root_controllers, "%s/unified/cgroup.controllers", root);
	put("", "%s/unified/cgroup.subtree_control", root);
	dir("%s/unified/user.slice", root);
	dir("%s/unified/user.slice/app.scope", root);
	put(own_procs, "%s/unified/user.slice/app.scope/cgroup.procs", root);
	put("cpu memory pids\n", "%s/unified/user.slice/app.scope/cgroup.controllers", root);
	put("", "%s/unified/user.slice/app.scope/cgroup.subtree_control", root);
}

/* v2, alone in a delegated cgroup: the VM's goes below it, cpu enabled after moving down. */
static void test_v2_delegated(void)
{
	const char *own = "unified/user.slice/app.scope";
	char err[512];
	struct cgroup cg;

	v2_host("4242\n", "cpu io memory pids\n");
	dir("%s/%s/vessel-4242", root, own);
	put("", "%s/%s/vessel-4242/cgroup.procs", root, own);
	put("max 100000\n", "%s/%s/vessel-4242/cpu.max", root, own);

	CHECK_EQ(cgroup_check_cpu_quota(&paths, PID, err, sizeof(err)), 0);
	CHECK_EQ(cgroup_create_cpu_quota(&cg, &paths, PID, 50, err, sizeof(err)), 0);
	CHECK_EQ(cg.version, 2);
	CHECK(cg.enabled_in_home);
	CHECK(has("4242\n", "%s/%s/vessel-4242/cgroup.procs", root, own));
	CHECK(has("+cpu", "%s/%s/cgroup.subtree_control", root, own));
	CHECK(has("50000 100000\n", "%s/%s/vessel-4242/cpu.max", root, own));
	CHECK(has("", "%s/unified/cgroup.subtree_control", root));   /* nothing above us touched */

	unlink(strcat(strcpy(err, cg.dir), "/cgroup.procs"));
	unlink(strcat(strcpy(err, cg.dir), "/cpu.max"));
	cgroup_remove(&cg, PID);
	CHECK(has("-cpu", "%s/%s/cgroup.subtree_control", root, own));   /* disabled before going back */
	CHECK(has("4242\n", "%s/%s/cgroup.procs", root, own));
	CHECK(!exists("%s/%s/vessel-4242", root, own));
}

/* v2 with other processes in our cgroup: <mount>/vessel/vessel-<pid>, cpu enabled from the top. */
static void test_v2_shared(void)
{
	char err[512];
	struct cgroup cg;

	v2_host("1\n4242\n", "cpu io memory pids\n");
	dir("%s/unified/vessel", root);
	put("", "%s/unified/vessel/cgroup.subtree_control", root);
	dir("%s/unified/vessel/vessel-4242", root);
	put("", "%s/unified/vessel/vessel-4242/cgroup.procs", root);
	put("max 100000\n", "%s/unified/vessel/vessel-4242/cpu.max", root);

	CHECK_EQ(cgroup_create_cpu_quota(&cg, &paths, PID, 125, err, sizeof(err)), 0);
	CHECK_EQ(cg.version, 2);
	CHECK(!cg.enabled_in_home);
	CHECK(has("+cpu", "%s/unified/cgroup.subtree_control", root));
	CHECK(has("+cpu", "%s/unified/vessel/cgroup.subtree_control", root));
	CHECK(has("125000 100000\n", "%s/unified/vessel/vessel-4242/cpu.max", root));
	CHECK(has("4242\n", "%s/unified/vessel/vessel-4242/cgroup.procs", root));
	CHECK(has("", "%s/unified/user.slice/app.scope/cgroup.subtree_control", root));
	put("", "%s/unified/user.slice/app.scope/cgroup.procs", root);
	unlink(strcat(strcpy(err, cg.dir), "/cgroup.procs"));
	unlink(strcat(strcpy(err, cg.dir), "/cpu.max"));
	cgroup_remove(&cg, PID);
	CHECK(has("4242\n", "%s/unified/user.slice/app.scope/cgroup.procs", root));
	CHECK(!exists("%s/unified/vessel/vessel-4242", root));
	CHECK(exists("%s/unified/vessel", root));     /* shared by all VMs: stays */

	/* Left behind by a killed VM process: the manager removes it. */
	dir("%s/unified/vessel/vessel-4242", root);
	CHECK(cgroup_remove_leftover(&paths, PID));
	CHECK(!exists("%s/unified/vessel/vessel-4242", root));
	CHECK(!cgroup_remove_leftover(&paths, PID));
}

static void test_refusals(void)
{
	char err[512], mi[1024];
	struct cgroup cg;
	int ret;

	/* Delegated, but the parent did not hand down cpu. */
	v2_host("4242\n", "cpu io memory pids\n");
	put("memory pids\n", "%s/unified/user.slice/app.scope/cgroup.controllers", root);
	ret = cgroup_create_cpu_quota(&cg, &paths, PID, 50, err, sizeof(err));
	expect_error(ret, err, "cpu controller is not delegated to");
	CHECK_EQ(cg.version, 0);
	expect_error(cgroup_check_cpu_quota(&paths, PID, err, sizeof(err)), err, "not delegated");

	/* Not alone, and the v2 hierarchy has no cpu (bound to v1 elsewhere). */
	v2_host("1\n4242\n", "memory pids\n");
	expect_error(cgroup_create_cpu_quota(&cg, &paths, PID, 50, err, sizeof(err)), err, "has no cpu controller");

	/* Not alone, and <mount>/vessel cannot be a cgroup (here: a file is in the way). */
	v2_host("1\n4242\n", "cpu memory\n");
	put("", "%s/unified/vessel", root);
	ret = cgroup_create_cpu_quota(&cg, &paths, PID, 50, err, sizeof(err));
	expect_error(ret, err, "holds other processes");
	expect_error(ret, err, "systemd-run --scope -p Delegate=yes");

	/* No hierarchy with cpu at all. */
	host("0::/\n", "");
	expect_error(cgroup_create_cpu_quota(&cg, &paths, PID, 50, err, sizeof(err)), err,
		     "no cgroup hierarchy with the cpu controller");
	expect_error(cgroup_check_cpu_quota(&paths, PID, err, sizeof(err)), err, "no cgroup hierarchy");

	/* Our cgroup outside the mounted part of the hierarchy (a container's view). */
	host("0::/elsewhere\n", "");
	snprintf(mi, sizeof(mi), "41 31 0:38 /lxc/c1 %s/unified rw - cgroup2 cgroup2 rw\n", root);
	put(mi, "%s", mounts_path);
	expect_error(cgroup_create_cpu_quota(&cg, &paths, PID, 50, err, sizeof(err)), err, "not inside");

	/* v1: the VM's cgroup cannot be created (a file is in the way of its parent). */
	host("1:cpu:/user\n", "");
	snprintf(mi, sizeof(mi), "32 31 0:29 / %s/cpu rw - cgroup cgroup rw,cpu\n", root);
	put(mi, "%s", mounts_path);
	dir("%s/cpu", root);
	put("", "%s/cpu/user", root);
	ret = cgroup_create_cpu_quota(&cg, &paths, PID, 50, err, sizeof(err));
	expect_error(ret, err, "cannot create cgroup");
	expect_error(ret, err, "needs root or write access");
}

/* A mount root below the hierarchy's root: paths are taken relative to it. */
static void test_mount_root(void)
{
	char err[512], mi[1024];
	struct cgroup cg;

	host("1:cpu:/lxc/c1/app\n", "");
	snprintf(mi, sizeof(mi), "32 31 0:29 /lxc/c1 %s/cpu rw - cgroup cgroup rw,cpu\n", root);
	put(mi, "%s", mounts_path);
	dir("%s/cpu", root);
	dir("%s/cpu/app", root);
	dir("%s/cpu/app/vessel-4242", root);
	put("", "%s/cpu/app/vessel-4242/cgroup.procs", root);
	put("", "%s/cpu/app/vessel-4242/cpu.cfs_period_us", root);
	put("", "%s/cpu/app/vessel-4242/cpu.cfs_quota_us", root);
	CHECK_EQ(cgroup_create_cpu_quota(&cg, &paths, PID, 1, err, sizeof(err)), 0);
	CHECK(has("1000\n", "%s/cpu/app/vessel-4242/cpu.cfs_quota_us", root));
}

static void test_cleanup(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	CHECK_EQ(system(cmd), 0);
}

TEST_MAIN(test_v1, test_v2_delegated, test_v2_shared, test_refusals, test_mount_root, test_cleanup)
