// SPDX-License-Identifier: MIT
/* `vessel create NAME [--restart POLICY] [run options...]` */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli/commands.h"
#include "manager/cli_client.h"
#include "manager/daemon_routes.h"
#include "manager/state_dir.h"

static const char usage_text[] =
"Usage: vessel create NAME [--restart POLICY] [--reserve] [--state-dir DIR] [RUN OPTIONS...]\n"
"Define a VM in the manager (vessel daemon). RUN OPTIONS are those of\n"
"'vessel run' (see vessel run --help), checked now with 'vessel run --dry-run';\n"
"the manager sets --api-sock, --console-sock and --status-file itself.\n"
"Relative paths (--kernel, --initrd, --config-file, --disk path=, --vsock uds=,\n"
"--firmware, --restore) are made absolute. Start it with 'vessel start NAME'.\n"
"A VM defined with --restore DIR resumes that snapshot (vessel snapshot) each\n"
"time it starts.\n"
"\n"
"      --restart POLICY  when the manager restarts the VM after it ended on its\n"
"                        own: no (default), on-failure (non-zero exit status) or\n"
"                        always; at most 5 restarts in 60 s, then 'failed'\n"
"      --reserve         hold the VM's memory and vCPUs in the manager from now\n"
"                        until 'vessel rm', so that it can always start; refused\n"
"                        if they are not free now (vessel daemon --max-memory)\n"
"      --state-dir DIR   the manager's state directory (see vessel daemon --help)\n"
"  -h, --help            this help\n"
"\n"
"Example: vessel create web --cpus 2 --memory 128M --kernel bzImage --disk path=web.img\n"
"         vessel create web2 --restore /srv/snap/web\n"
"\n"
"Exit status: 0 created, 1 the manager refused (the reason is printed) or is\n"
"not running, 2 bad command line.\n";

/* path made absolute against the working directory (malloc'd). */
static char *cli_abs_path(const char *path)
{
	char cwd[PATH_MAX], *out;

	if (path[0] == '/' || !path[0] || !getcwd(cwd, sizeof(cwd)))
		return strdup(path);
	if (asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

/* A key=value,... option's value with its KEY= path made absolute (malloc'd): --disk path=, --vsock uds=. */
static char *cli_abs_key(const char *value, const char *key)
{
	size_t keylen = strlen(key);
	const char *p = strstr(value, key);
	char *path, *abs, *out;
	size_t len;

	/* KEY= is the first key, or one after a comma. */
	while (p && p != value && p[-1] != ',')
		p = strstr(p + 1, key);
	if (!p)
		return strdup(value);
	p += keylen;
	len = strcspn(p, ",");
	path = strndup(p, len);
	abs = path ? cli_abs_path(path) : NULL;
	free(path);
	if (!abs || asprintf(&out, "%.*s%s%s", (int)(p - value), value, abs, p + len) < 0)
		out = NULL;
	free(abs);
	return out;
}

struct cli_path_option {
	const char *long_name;      /* without "--" */
	char short_name;            /* 0: none */
	const char *key;            /* "path=": only that key of a key=value,... value is a path; NULL: all of it */
	const char *keyword;        /* a value that is not a path (--firmware seabios); NULL: none */
};

static const struct cli_path_option path_options[] = {
	{ "kernel", 'k', NULL, NULL }, { "initrd", 'i', NULL, NULL }, { "config-file", 0, NULL, NULL },
	{ "disk", 0, "path=", NULL }, { "vsock", 0, "uds=", NULL }, { "restore", 0, NULL, NULL },
	{ "firmware", 0, NULL, "seabios" },
};

/* If arg names a path option, the option with its value given as-is; NULL otherwise. */
static const struct cli_path_option *cli_path_option(const char *arg, const char **inline_value)
{
	*inline_value = NULL;
	for (size_t i = 0; i < sizeof(path_options) / sizeof(path_options[0]); i++) {
		const struct cli_path_option *o = &path_options[i];
		size_t n = strlen(o->long_name);

		if (!strncmp(arg, "--", 2) && !strncmp(arg + 2, o->long_name, n)) {
			if (arg[2 + n] == '=') {
				*inline_value = arg + 3 + n;
				return o;
			}
			if (!arg[2 + n])
				return o;
		}
		if (o->short_name && arg[0] == '-' && arg[1] == o->short_name) {
			if (arg[2])
				*inline_value = arg + 2;
			return o;
		}
	}
	return NULL;
}

static char *cli_abs_value(const struct cli_path_option *o, const char *value)
{
	if (o->keyword && !strcmp(value, o->keyword))
		return strdup(value);
	return o->key ? cli_abs_key(value, o->key) : cli_abs_path(value);
}

/* The run options as a JSON array, paths made absolute. */
static struct json_object *cli_run_args(int argc, char **argv)
{
	struct json_object *arr = json_object_new_array();

	for (int i = 0; i < argc; i++) {
		const struct cli_path_option *o;
		const char *inline_value;
		char *abs, *joined;

		o = cli_path_option(argv[i], &inline_value);
		if (o && inline_value) {
			abs = cli_abs_value(o, inline_value);
			if (!abs)
				goto out_nomem;
			if (asprintf(&joined, "%.*s%s", (int)(inline_value - argv[i]), argv[i], abs) < 0) {
				free(abs);
				goto out_nomem;
			}
			json_object_array_add(arr, json_object_new_string(joined));
			free(joined);
			free(abs);
			continue;
		}
		json_object_array_add(arr, json_object_new_string(argv[i]));
		if (o && i + 1 < argc) {
			abs = cli_abs_value(o, argv[++i]);
			if (!abs)
				goto out_nomem;
			json_object_array_add(arr, json_object_new_string(abs));
			free(abs);
		}
	}
	return arr;
out_nomem:
	json_object_put(arr);
	return NULL;
}

/* --opt VALUE or --opt=VALUE at argv[*i]; NULL if argv[*i] is not opt. */
static const char *cli_take_value(int argc, char **argv, int *i, const char *opt, bool *missing)
{
	size_t n = strlen(opt);

	*missing = false;
	if (strncmp(argv[*i], opt, n))
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n])
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

int cmd_create(int argc, char **argv)
{
	const char *name = NULL, *state_dir = NULL, *restart = NULL, *v;
	struct json_object *body, *args, *answer;
	enum mgr_restart policy;
	struct mgr_client c;
	char **run_args;
	int nr_run = 0, ret;
	char path[128];
	bool missing, reserve = false;

	run_args = calloc((size_t)argc, sizeof(*run_args));
	if (!run_args)
		return CLI_EXIT_FAILED;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage_text, stdout);
			free(run_args);
			return 0;
		}
		if ((v = cli_take_value(argc, argv, &i, "--state-dir", &missing)) || missing) {
			state_dir = v;
		} else if ((v = cli_take_value(argc, argv, &i, "--restart", &missing)) || missing) {
			restart = v;
		} else if (!strcmp(argv[i], "--reserve")) {
			reserve = true;
		} else if (!name && argv[i][0] != '-') {
			name = argv[i];
		} else if (!name) {
			free(run_args);
			return mgr_client_usage("create", "the VM's NAME comes before the run options ('%s')", argv[i]);
		} else {
			run_args[nr_run++] = argv[i];
			continue;
		}
		if (missing) {
			free(run_args);
			return mgr_client_usage("create", "option '%s' needs a value", argv[i]);
		}
	}
	if (!name) {
		free(run_args);
		return mgr_client_usage("create", "missing the VM's NAME");
	}
	if (!manager_name_valid(name)) {
		free(run_args);
		return mgr_client_usage("create", "VM name '%s' is not valid: use 1-%d letters, digits, '_', '.' or "
					"'-', not starting with '.' or '-'", name, MANAGER_NAME_MAX);
	}
	if (restart && mgr_restart_parse(restart, &policy)) {
		free(run_args);
		return mgr_client_usage("create", "--restart '%s': expected no, on-failure or always", restart);
	}
	ret = mgr_client_init(&c, state_dir);
	args = ret ? NULL : cli_run_args(nr_run, run_args);
	free(run_args);
	if (ret || !args)
		return CLI_EXIT_FAILED;
	body = json_object_new_object();
	json_object_object_add(body, "args", args);
	if (restart)
		json_object_object_add(body, "restart", json_object_new_string(restart));
	if (reserve)
		json_object_object_add(body, "reserve", json_object_new_boolean(true));
	snprintf(path, sizeof(path), "/vms/%s", name);
	ret = mgr_client_call(&c, "PUT", path, json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN),
			      &answer, NULL, false);
	json_object_put(body);
	if (ret)
		return ret;
	json_object_put(answer);
	printf("created %s\n", name);
	return 0;
}
