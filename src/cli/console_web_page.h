/* SPDX-License-Identifier: MIT */
/* The web console's HTML page: head, the HTML-escaped title, tail. */
#ifndef VESSEL_CLI_CONSOLE_WEB_PAGE_H
#define VESSEL_CLI_CONSOLE_WEB_PAGE_H

extern const char console_web_page_head[];
extern const char console_web_page_tail[];

#endif
