/* SPDX-License-Identifier: MIT */
/*
 * `vessel console --web`: a VM's console in a web browser, served on a TCP
 * address by this process for as long as it runs (docs/console.md).
 */
#ifndef VESSEL_CLI_CONSOLE_WEB_H
#define VESSEL_CLI_CONSOLE_WEB_H

#define CONSOLE_WEB_DEFAULT_LISTEN "127.0.0.1:0"

/*
 * Serves the console socket at sock_path until SIGINT/SIGTERM/SIGHUP.
 * listen is "HOST:PORT" or "[V6]:PORT" (port 0: any free one); label names
 * the console on the page. Prints the URL (with its access token) on
 * stdout. Returns the exit status: 0 stopped by a signal, 1 cannot serve.
 */
int console_web_run(const char *sock_path, const char *listen, const char *label);

#endif
