/* pr_: claimctl's readable output of the daemon's replies.
 *
 * Every printer takes the parsed reply and prints what is there: a member
 * that is missing prints as "-" or not at all, an unknown one is listed
 * with the rest. Strings from the daemon are printed with control bytes
 * replaced by '?', so a reply cannot drive the terminal.
 */
#ifndef CLAIMCTL_PRINT_H
#define CLAIMCTL_PRINT_H

#include "json.h"

#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* s with control bytes as '?'. */
void pr_safe(FILE *f, const char *s);
/* "1h02m03s" into buf. */
void pr_duration(char *buf, size_t cap, uint64_t s);
/* "11.8 MiB" into buf. */
void pr_bytes(char *buf, size_t cap, double bytes);

/* The reply's members but "ok" as an aligned `key: value` list. */
void pr_kv(FILE *f, const js_node *obj);
/* An aligned table of a `jobs` array; at most max_rows rows (0: all). */
void pr_jobs(FILE *f, const js_node *jobs, size_t max_rows);
/* The `stats` members: header, counters, gauges, findings, threads. */
void pr_stats(FILE *f, const js_node *st, time_t now);
/* The findings of a stats "edits" object sorted by count, at most max
 * (0: all), zero counts left out. */
void pr_findings(FILE *f, const js_node *edits, size_t max);
void pr_help(FILE *f, const js_node *root);
/* The human output of an ok reply to verb. */
void pr_reply(FILE *f, const char *verb, const js_node *root);
/* The final line of `wait`: "job ID STATE ...". */
void pr_job_line(FILE *f, const js_node *job);

#endif
