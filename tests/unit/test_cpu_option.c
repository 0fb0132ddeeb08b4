/* SPDX-License-Identifier: MIT */
/* CPU lists (taskset's syntax), vCPU placement, and the --cpus / --vmm-affinity / --cpu-quota parsers. */
#include <string.h>

#include "cli/cpu_option.h"
#include "test.h"

static cpu_set_t set_of(const int *cpus, int n)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	for (int i = 0; i < n; i++)
		CPU_SET(cpus[i], &s);
	return s;
}

#define SET(...) set_of((const int[]){ __VA_ARGS__ }, (int)(sizeof((const int[]){ __VA_ARGS__ }) / sizeof(int)))

static void expect_msg(const char *what, const char *err, const char *msg)
{
	if (!strstr(err, msg)) {
		fprintf(stderr, "%s: message '%s' lacks '%s'\n", what, err, msg);
		CHECK(0);
	}
}

static void test_list_parse(void)
{
	cpu_set_t s, want;
	char err[192];

	CHECK_EQ(cpu_list_parse("0-3,6", &s, err, sizeof(err)), 0);
	want = SET(0, 1, 2, 3, 6);
	CHECK(CPU_EQUAL(&s, &want));
	CHECK_EQ(cpu_list_parse("0-7:2", &s, err, sizeof(err)), 0);
	want = SET(0, 2, 4, 6);
	CHECK(CPU_EQUAL(&s, &want));
	CHECK_EQ(cpu_list_parse("5", &s, err, sizeof(err)), 0);
	want = SET(5);
	CHECK(CPU_EQUAL(&s, &want));
	CHECK_EQ(cpu_list_parse("3,1,1", &s, err, sizeof(err)), 0);   /* a set: order and repeats don't matter */
	want = SET(1, 3);
	CHECK(CPU_EQUAL(&s, &want));
	CHECK_EQ(cpu_list_parse("1023", &s, err, sizeof(err)), 0);
	CHECK(CPU_ISSET(1023, &s));
}

static void test_list_parse_errors(void)
{
	static const struct { const char *in, *msg; } bad[] = {
		{ "", "empty" }, { "a", "not a CPU number" }, { "3-1", "upwards" }, { "1,", "empty item" },
		{ ",1", "empty item" }, { "1,,2", "empty item" }, { "1-", "not a CPU number" },
		{ "0-3:0", "not a CPU number" }, { "1024", "up to 1023" }, { "99999999999999999999", "up to" },
		{ "0x1", "not a CPU number" }, { "-1", "not a CPU number" }, { " 1", "not a CPU number" },
		{ "1 ", "not a CPU number" }, { "0-3:2:1", "not a CPU number" },
	};
	cpu_set_t s;
	char err[192];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(cpu_list_parse(bad[i].in, &s, err, sizeof(err)) < 0);
		expect_msg(bad[i].in, err, bad[i].msg);
	}
}

static void test_list_format(void)
{
	cpu_set_t s = SET(0, 1, 2, 3, 6, 8, 9);
	char buf[64], tiny[4];

	CHECK(!strcmp(cpu_list_format(&s, buf, sizeof(buf)), "0-3,6,8-9"));
	s = SET(1);
	CHECK(!strcmp(cpu_list_format(&s, buf, sizeof(buf)), "1"));
	CPU_ZERO(&s);
	CHECK(!strcmp(cpu_list_format(&s, buf, sizeof(buf)), "none"));
	s = SET(100, 200, 300);
	cpu_list_format(&s, tiny, sizeof(tiny));   /* truncated, still terminated */
	CHECK_EQ(strlen(tiny), 3);
}

static void test_placement(void)
{
	struct vcpu_placement p = { .active = true, .pin = true, .cpus = SET(1, 3, 5) };
	cpu_set_t out, want;

	for (uint32_t id = 0; id < 7; id++) {
		CHECK_EQ(vcpu_placement_cpus(&p, id, &out), 0);
		want = SET((int[]){ 1, 3, 5 }[id % 3]);    /* round robin */
		CHECK(CPU_EQUAL(&out, &want));
	}
	p.pin = false;
	CHECK_EQ(vcpu_placement_cpus(&p, 4, &out), 0);
	CHECK(CPU_EQUAL(&out, &p.cpus));
	CPU_ZERO(&p.cpus);
	CHECK(vcpu_placement_cpus(&p, 0, &out) < 0);
}

/* A host with CPUs 0-7 online, of which vessel may use 0-3. */
static struct cpu_host host(void)
{
	return (struct cpu_host){ .usable = SET(0, 1, 2, 3), .online = SET(0, 1, 2, 3, 4, 5, 6, 7) };
}

static int parse(const char *arg, uint32_t *n, bool *given, struct vcpu_placement *pl, char *err)
{
	struct cpu_host h = host();

	err[0] = '\0';
	*n = 1;
	return cpu_option_parse(arg, 255, &h, n, given, pl, err, 256);
}

static void test_cpus_option(void)
{
	struct vcpu_placement pl;
	cpu_set_t want;
	uint32_t n;
	bool given;
	char err[256];

	CHECK_EQ(parse("4", &n, &given, &pl, err), 0);
	CHECK_EQ(n, 4);
	CHECK(given);
	CHECK(!pl.active);
	CHECK_EQ(parse("2,affinity=0-1,3,pin=on", &n, &given, &pl, err), 0);
	CHECK_EQ(n, 2);
	CHECK(pl.active && pl.pin);
	want = SET(0, 1, 3);
	CHECK(CPU_EQUAL(&pl.cpus, &want));
	CHECK_EQ(parse("affinity=1", &n, &given, &pl, err), 0);   /* no count: the machine keeps its own */
	CHECK(!given);
	CHECK_EQ(n, 1);
	CHECK(pl.active && !pl.pin);
	want = SET(1);
	CHECK(CPU_EQUAL(&pl.cpus, &want));
	CHECK_EQ(parse("8,pin=on", &n, &given, &pl, err), 0);     /* over every CPU vessel may use */
	want = host().usable;
	CHECK(pl.active && pl.pin && CPU_EQUAL(&pl.cpus, &want));
	CHECK_EQ(parse("2,pin=off", &n, &given, &pl, err), 0);
	CHECK(!pl.active);
	CHECK_EQ(parse("2,pin=on,affinity=2-3", &n, &given, &pl, err), 0);
	want = SET(2, 3);
	CHECK(pl.pin && CPU_EQUAL(&pl.cpus, &want));
}

static void test_cpus_option_errors(void)
{
	static const struct { const char *in, *msg; } bad[] = {
		{ "0", "at least one vCPU" }, { "999", "at most 255" }, { "two", "not a number" },
		{ "", "empty item" },
		{ "2,affinity=9", "--cpus affinity=9: this host has CPUs 0-7" },
		{ "2,affinity=5", "vessel may only use CPUs 0-3" },
		{ "2,affinity=0,9", "this host has CPUs 0-7" },
		{ "2,affinity=x", "not a CPU number" }, { "2,affinity=", "empty" },
		{ "2,pin=yes", "expected 'on' or 'off'" }, { "2,affinity=0,affinity=1", "affinity given twice" },
		{ "2,pin=on,pin=off", "pin given twice" }, { "2,foo=1", "unknown key 'foo'" },
		{ "2,,pin=on", "empty item" }, { "2,3", "the count comes first" }, { "2,", "empty item" },
		{ "pin=on,2", "the count comes first" },
	};
	struct vcpu_placement pl;
	uint32_t n;
	bool given;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(parse(bad[i].in, &n, &given, &pl, err) < 0);
		expect_msg(bad[i].in, err, bad[i].msg);
	}
}

static void test_list_option(void)
{
	struct cpu_host h = host();
	cpu_set_t s, want = SET(2, 3);
	char err[256];

	CHECK_EQ(cpu_option_parse_list("--vmm-affinity ", "2-3", &h, &s, err, sizeof(err)), 0);
	CHECK(CPU_EQUAL(&s, &want));
	CHECK(cpu_option_parse_list("--vmm-affinity ", "12", &h, &s, err, sizeof(err)) < 0);
	expect_msg("vmm 12", err, "--vmm-affinity 12: this host has CPUs 0-7");
}

static void test_quota(void)
{
	static const struct { const char *in, *msg; } bad[] = {
		{ "0", "at least 1" }, { "abc", "expected a whole percentage" }, { "", "expected" },
		{ "%", "expected" }, { "-5", "expected" }, { "12.5", "expected" }, { "801", "at most 800" },
		{ "99999999999999999999", "expected" },
	};
	struct cpu_host h = host();
	uint32_t pct = 0;
	char err[256];

	CHECK_EQ(cpu_option_parse_quota("50", &h, &pct, err, sizeof(err)), 0);
	CHECK_EQ(pct, 50);
	CHECK_EQ(cpu_option_parse_quota("250%", &h, &pct, err, sizeof(err)), 0);
	CHECK_EQ(pct, 250);
	CHECK_EQ(cpu_option_parse_quota("800", &h, &pct, err, sizeof(err)), 0);  /* every online CPU */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(cpu_option_parse_quota(bad[i].in, &h, &pct, err, sizeof(err)) < 0);
		expect_msg(bad[i].in, err, bad[i].msg);
	}
}

TEST_MAIN(test_list_parse, test_list_parse_errors, test_list_format, test_placement, test_cpus_option,
	  test_cpus_option_errors, test_list_option, test_quota)
