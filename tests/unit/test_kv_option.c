/* SPDX-License-Identifier: MIT */
/* The key=value items of an option: splitting, lookup, "given twice", and the exact messages. */
#include <string.h>

#include "cli/kv_option.h"
#include "test.h"

static const char *const keys[] = { "path", "readonly" };

/* Reads every item of arg; the error (or "") in err, the keys seen in order in got. */
static int read_all(const char *arg, const char *after, size_t max_item, char *got, char *err)
{
	char copy[256];
	struct kv_option kv;
	unsigned int key;
	char *val;
	int ret;

	snprintf(copy, sizeof(copy), "%s", arg);
	kv = KV_OPTION("--disk", keys, copy);
	kv.after = after;
	kv.max_item = max_item;
	got[0] = err[0] = '\0';
	while ((ret = kv_option_next(&kv, &key, &val, err, 256)) > 0)
		snprintf(got + strlen(got), 256 - strlen(got), "%s%u=%s", *got ? "," : "", key, val);
	return ret;
}

static void expect_error(const char *arg, const char *after, size_t max_item, const char *msg)
{
	char got[256], err[256];

	CHECK_EQ(read_all(arg, after, max_item, got, err), -22);
	if (strcmp(err, msg)) {
		fprintf(stderr, "'%s': message '%s', expected '%s'\n", arg, err, msg);
		CHECK(0);
	}
}

static void test_kv_option_items(void)
{
	char got[256], err[256];

	CHECK_EQ(read_all("readonly=on,path=a=b", NULL, 0, got, err), 0);
	CHECK(!strcmp(got, "1=on,0=a=b"));
	CHECK_EQ(read_all("path=", NULL, 0, got, err), 0);
	CHECK(!strcmp(got, "0="));
}

static void test_kv_option_no_items(void)
{
	struct kv_option kv = KV_OPTION("--disk", keys, NULL);
	unsigned int key;
	char err[64], *val;

	CHECK_EQ(kv_option_next(&kv, &key, &val, err, sizeof(err)), 0);
	CHECK(!kv_option_given(&kv, 0));
}

static void test_kv_option_messages(void)
{
	expect_error("", NULL, 0, "--disk: empty item (stray comma?)");
	expect_error("path=a,", NULL, 0, "--disk: empty item (stray comma?)");
	expect_error("path=a,,readonly=on", NULL, 0, "--disk: empty item (stray comma?)");
	expect_error("disk.img", NULL, 0, "--disk 'disk.img': expected key=value (keys: path, readonly)");
	expect_error("x", "after the size", 0, "--disk 'x': expected key=value after the size (keys: path, readonly)");
	expect_error("path=a,size=1", NULL, 0, "--disk: unknown key 'size' (keys: path, readonly)");
	expect_error("path=a,path=b", NULL, 0, "--disk: path given twice");
	expect_error("path=0123456789abcdef", NULL, 20, "--disk: 'path=0123456789a...' is too long");
}

static void test_kv_option_key_and_onoff(void)
{
	struct kv_option kv = KV_OPTION("--cpus", keys, NULL);
	char err[128];
	bool on = false;

	CHECK_EQ(kv_option_key(&kv, "readonly", err, sizeof(err)), 1);
	CHECK(kv_option_given(&kv, 1));
	CHECK(!kv_option_given(&kv, 0));
	CHECK_EQ(kv_option_key(&kv, "readonly", err, sizeof(err)), -22);
	CHECK(!strcmp(err, "--cpus: readonly given twice"));
	CHECK_EQ(kv_option_onoff(&kv, 1, "on", &on, err, sizeof(err)), 0);
	CHECK(on);
	CHECK_EQ(kv_option_onoff(&kv, 1, "yes", &on, err, sizeof(err)), -22);
	CHECK(!strcmp(err, "--cpus readonly='yes': expected 'on' or 'off'"));
}

TEST_MAIN(test_kv_option_items, test_kv_option_no_items, test_kv_option_messages, test_kv_option_key_and_onoff)
