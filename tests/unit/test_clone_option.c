/* SPDX-License-Identifier: MIT */
/*
 * Clone overrides: parsing the --disk-override / --net-override values,
 * checking them against a snapshot's configuration (ids, sizes, TAP vs
 * user networking) and applying them all or none; the VM generation ID.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/clone_option.h"
#include "devices/legacy/vmgenid.h"
#include "snapshot/snap_config.h"
#include "snapshot/snap_override.h"
#include "test.h"

static void test_parse_disk(void)
{
	struct snap_overrides o = { 0 };
	char err[256];

	CHECK_EQ(clone_option_parse_disk(&o, "disk0=/tmp/clone.img", err, sizeof(err)), 0);
	CHECK_EQ(clone_option_parse_disk(&o, "rootfs=a=b", err, sizeof(err)), 0);
	CHECK_EQ(o.nr_disks, 2);
	CHECK(!strcmp(o.disks[0].drive_id, "disk0") && !strcmp(o.disks[0].path, "/tmp/clone.img"));
	CHECK(!strcmp(o.disks[1].drive_id, "rootfs") && !strcmp(o.disks[1].path, "a=b"));

	CHECK(clone_option_parse_disk(&o, "disk0=/other", err, sizeof(err)) == -EINVAL && strstr(err, "twice"));
	CHECK(clone_option_parse_disk(&o, "nopath", err, sizeof(err)) == -EINVAL && strstr(err, "ID=PATH"));
	CHECK(clone_option_parse_disk(&o, "=/x", err, sizeof(err)) == -EINVAL && strstr(err, "id"));
	CHECK(clone_option_parse_disk(&o, "d1=", err, sizeof(err)) == -EINVAL && strstr(err, "path"));
	CHECK(clone_option_parse_disk(&o, "bad/id=/x", err, sizeof(err)) == -EINVAL && strstr(err, "id"));
	CHECK_EQ(o.nr_disks, 2);
	for (int i = 2; i < VM_MAX_DISKS; i++) {
		char arg[32];

		snprintf(arg, sizeof(arg), "d%d=/x", i);
		CHECK_EQ(clone_option_parse_disk(&o, arg, err, sizeof(err)), 0);
	}
	CHECK(clone_option_parse_disk(&o, "one_more=/x", err, sizeof(err)) == -EINVAL && strstr(err, "at most"));
	clone_option_free(&o);
	CHECK_EQ(o.nr_disks, 0);
}

static void test_parse_net(void)
{
	struct snap_overrides o = { 0 };
	char err[256];

	CHECK_EQ(clone_option_parse_net(&o, "net0=tap=tap7", err, sizeof(err)), 0);
	CHECK_EQ(clone_option_parse_net(&o, "eth0=tap=vtap1,mac=52:54:00:aa:bb:cc", err, sizeof(err)), 0);
	CHECK_EQ(clone_option_parse_net(&o, "net2=mac=02:00:00:00:00:01", err, sizeof(err)), 0);
	CHECK_EQ(o.nr_nets, 3);
	CHECK(!strcmp(o.nets[0].tap, "tap7") && !o.nets[0].has_mac);
	CHECK(!strcmp(o.nets[1].iface_id, "eth0") && !strcmp(o.nets[1].tap, "vtap1") && o.nets[1].has_mac);
	CHECK(o.nets[1].mac[0] == 0x52 && o.nets[1].mac[5] == 0xcc);
	CHECK(o.nets[2].tap[0] == '\0' && o.nets[2].has_mac && o.nets[2].mac[5] == 1);

	CHECK(clone_option_parse_net(&o, "net3=mac=01:00:00:00:00:01", err, sizeof(err)) == -EINVAL &&
	      strstr(err, "unicast"));
	CHECK(clone_option_parse_net(&o, "net3=mac=00:00:00:00:00:00", err, sizeof(err)) == -EINVAL);
	CHECK(clone_option_parse_net(&o, "net3=mac=52:54:00:aa:bb", err, sizeof(err)) == -EINVAL);
	CHECK(clone_option_parse_net(&o, "net3=tap=a-name-far-too-long-for-linux", err, sizeof(err)) == -EINVAL);
	CHECK(clone_option_parse_net(&o, "net3=tap=", err, sizeof(err)) == -EINVAL);
	CHECK(clone_option_parse_net(&o, "net3=", err, sizeof(err)) == -EINVAL);
	CHECK(clone_option_parse_net(&o, "net3", err, sizeof(err)) == -EINVAL);
	CHECK(clone_option_parse_net(&o, "net3=user", err, sizeof(err)) == -EINVAL);
	CHECK(clone_option_parse_net(&o, "net3=tap=a,tap=b", err, sizeof(err)) == -EINVAL);
	CHECK(clone_option_parse_net(&o, "net3=tap=a,", err, sizeof(err)) == -EINVAL);
	CHECK(clone_option_parse_net(&o, "net0=mac=52:54:00:00:00:09", err, sizeof(err)) == -EINVAL &&
	      strstr(err, "twice"));
	CHECK_EQ(o.nr_nets, 3);
	CHECK_EQ(clone_option_parse_net(&o, "net3=tap=t3", err, sizeof(err)), 0);
	CHECK(clone_option_parse_net(&o, "net4=tap=t4", err, sizeof(err)) == -EINVAL && strstr(err, "at most"));
	clone_option_free(&o);
}

/* A file of size bytes in /tmp; its path in path. */
static void make_file(char *path, size_t len, uint64_t size)
{
	int fd;

	snprintf(path, len, "/tmp/vessel-test-clone-XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, (off_t)size), 0);
	close(fd);
}

/* A snapshot configuration: disk0 (CLI, 1 MiB), "rootfs" (API id, 2 MiB); net0 TAP, "eth1" user. */
static void fill_snap_config(struct snap_config *cfg)
{
	*cfg = (struct snap_config){ 0 };
	cfg->vm.nr_disks = 2;
	cfg->disk_paths[0] = strdup("/orig/d0.img");
	cfg->disk_paths[1] = strdup("/orig/root.img");
	cfg->disk_ids[1] = strdup("rootfs");
	cfg->disk_sizes[0] = 1 << 20;
	cfg->disk_sizes[1] = 2 << 20;
	cfg->vm.disks[0].path = cfg->disk_paths[0];
	cfg->vm.disks[1].path = cfg->disk_paths[1];
	cfg->vm.disk_ids[1] = cfg->disk_ids[1];
	cfg->vm.nr_nets = 2;
	cfg->vm.nets[0] = (struct net_config){ .type = NET_TAP, .ifname = "tap0", .mac = { 0x52, 0x54, 0, 0, 0, 1 } };
	cfg->vm.nets[1] = (struct net_config){ .type = NET_USER, .mac = { 0x52, 0x54, 0, 0, 0, 2 } };
	cfg->net_ids[1] = strdup("eth1");
	cfg->vm.net_ids[1] = cfg->net_ids[1];
}

static void test_apply(void)
{
	char small[64], big[64], err[256];
	struct snap_overrides o = { 0 };
	struct snap_config cfg;

	make_file(small, sizeof(small), 1 << 20);
	make_file(big, sizeof(big), 2 << 20);
	fill_snap_config(&cfg);

	/* Everything good: all applied. */
	CHECK_EQ(clone_option_add_disk(&o, "disk0", small, "t", err, sizeof(err)), 0);
	CHECK_EQ(clone_option_add_disk(&o, "rootfs", big, "t", err, sizeof(err)), 0);
	CHECK_EQ(clone_option_parse_net(&o, "net0=tap=tap9,mac=52:54:00:00:00:99", err, sizeof(err)), 0);
	CHECK_EQ(clone_option_parse_net(&o, "eth1=mac=52:54:00:00:00:98", err, sizeof(err)), 0);
	CHECK_EQ(snap_overrides_apply(&cfg, &o, err, sizeof(err)), 0);
	CHECK(!strcmp(cfg.vm.disks[0].path, small) && !strcmp(cfg.vm.disks[1].path, big));
	CHECK(!strcmp(cfg.vm.nets[0].ifname, "tap9") && cfg.vm.nets[0].mac[5] == 0x99);
	CHECK(cfg.vm.nets[1].type == NET_USER && cfg.vm.nets[1].mac[5] == 0x98);
	clone_option_free(&o);
	snap_config_free(&cfg);

	/* One bad override among good ones: nothing applied. */
	fill_snap_config(&cfg);
	CHECK_EQ(clone_option_add_disk(&o, "disk0", small, "t", err, sizeof(err)), 0);
	CHECK_EQ(clone_option_parse_net(&o, "net7=mac=52:54:00:00:00:99", err, sizeof(err)), 0);
	CHECK(snap_overrides_apply(&cfg, &o, err, sizeof(err)) == -ENOENT && strstr(err, "net7"));
	CHECK(!strcmp(cfg.vm.disks[0].path, "/orig/d0.img"));
	clone_option_free(&o);

	/* Unknown drive; "disk1" is not a name when the disk has an API id. */
	CHECK_EQ(clone_option_add_disk(&o, "disk1", big, "t", err, sizeof(err)), 0);
	CHECK(snap_overrides_apply(&cfg, &o, err, sizeof(err)) == -ENOENT && strstr(err, "no such drive"));
	clone_option_free(&o);

	/* Wrong size, then a missing image. */
	CHECK_EQ(clone_option_add_disk(&o, "rootfs", small, "t", err, sizeof(err)), 0);
	CHECK(snap_overrides_apply(&cfg, &o, err, sizeof(err)) == -EINVAL && strstr(err, "same size"));
	clone_option_free(&o);
	CHECK_EQ(clone_option_add_disk(&o, "disk0", "/nonexistent/clone.img", "t", err, sizeof(err)), 0);
	CHECK(snap_overrides_apply(&cfg, &o, err, sizeof(err)) == -ENOENT && strstr(err, "/nonexistent"));
	clone_option_free(&o);

	/* A TAP for a user-mode NIC. */
	CHECK_EQ(clone_option_parse_net(&o, "eth1=tap=tap3", err, sizeof(err)), 0);
	CHECK(snap_overrides_apply(&cfg, &o, err, sizeof(err)) == -EINVAL && strstr(err, "user-mode"));
	clone_option_free(&o);
	CHECK(cfg.vm.nets[1].type == NET_USER && cfg.vm.nets[1].mac[5] == 2);
	CHECK(!strcmp(cfg.vm.nets[0].ifname, "tap0"));

	/* NULL: nothing to do. */
	CHECK_EQ(snap_overrides_apply(&cfg, NULL, err, sizeof(err)), 0);
	snap_config_free(&cfg);
	unlink(small);
	unlink(big);
}

/* The configuration section keeps ids, disk sizes (version 2) and disk queues (version 3). */
static void test_config_ids_and_sizes(void)
{
	struct vm_config vm = { .nr_cpus = 1, .mem_size = 64 << 20, .cpu_model = CPU_MODEL_HOST, .nr_disks = 2,
				.nr_nets = 2 };
	uint64_t sizes[VM_MAX_DISKS] = { 4096, 1 << 20 };
	struct snap_writer w = { 0 };
	struct snap_config out;
	struct snap_reader r;
	char err[256], buf[16];

	vm.disks[0].path = "/a";
	vm.disks[1].path = "/b";
	vm.disks[1].queues = 4;
	vm.disk_ids[1] = "rootfs";
	vm.nets[0] = (struct net_config){ .type = NET_USER };
	vm.nets[1] = (struct net_config){ .type = NET_TAP, .ifname = "tap1" };
	vm.net_ids[0] = "eth0";
	snap_config_save(&vm, sizes, &w);
	r = snap_reader_init(w.buf, w.len);
	CHECK_EQ(snap_config_load(&r, &out, err, sizeof(err)), 0);
	CHECK_EQ(out.disk_sizes[0], 4096);
	CHECK_EQ(out.disk_sizes[1], 1 << 20);
	CHECK_EQ(out.vm.disks[0].queues, 1);    /* 0 in the config means 1 */
	CHECK_EQ(out.vm.disks[1].queues, 4);
	CHECK(!strcmp(snap_config_disk_id(&out, 0, buf, sizeof(buf)), "disk0"));
	CHECK(!strcmp(snap_config_disk_id(&out, 1, buf, sizeof(buf)), "rootfs"));
	CHECK(!strcmp(snap_config_net_id(&out, 0, buf, sizeof(buf)), "eth0"));
	CHECK(!strcmp(snap_config_net_id(&out, 1, buf, sizeof(buf)), "net1"));
	CHECK(out.vm.disk_ids[1] && !strcmp(out.vm.disk_ids[1], "rootfs") && !out.vm.disk_ids[0]);
	snap_config_free(&out);
	snap_writer_free(&w);

	/* A size that is not whole sectors is refused. */
	sizes[0] = 4097;
	snap_config_save(&vm, sizes, &w);
	r = snap_reader_init(w.buf, w.len);
	CHECK(snap_config_load(&r, &out, err, sizeof(err)) == -EINVAL && strstr(err, "disk"));
	snap_writer_free(&w);
}

static void test_vmgenid(void)
{
	static uint8_t ram[2 << 20];
	struct guest_mem mem = { 0 };
	uint8_t a[VMGENID_SIZE], b[VMGENID_SIZE];
	char text[VMGENID_STR_LEN];

	CHECK_EQ(guest_mem_add(&mem, 0, sizeof(ram), ram), 0);
	CHECK_EQ(vmgenid_renew(&mem, 0xdf000, a), 0);
	CHECK(!memcmp(ram + 0xdf000, a, VMGENID_SIZE));
	CHECK_EQ(vmgenid_renew(&mem, 0xdf000, b), 0);
	CHECK(!memcmp(ram + 0xdf000, b, VMGENID_SIZE));
	CHECK(memcmp(a, b, VMGENID_SIZE));
	/* RFC 4122 version 4, variant 10. */
	CHECK_EQ(b[6] >> 4, 4);
	CHECK_EQ(b[8] >> 6, 2);
	/* Outside RAM: refused, nothing written. */
	CHECK(vmgenid_renew(&mem, sizeof(ram) - 8, NULL) == -EFAULT);
	vmgenid_format((const uint8_t[VMGENID_SIZE]){ 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
						    0, 1, 2, 3, 4, 5, 6, 0xff }, text);
	CHECK(!strcmp(text, "01234567-89ab-cdef-0001-0203040506ff"));
}

TEST_MAIN(test_parse_disk, test_parse_net, test_apply, test_config_ids_and_sizes, test_vmgenid)
