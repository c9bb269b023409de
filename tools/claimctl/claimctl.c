/* claimctl: the operator's command line for a running claimd.
 *
 *   claimctl [--socket PATH] [--json] VERB [ARG]
 *   claimctl [--socket PATH] [--json] top [--interval SECONDS] [--iterations N]
 *   claimctl [--socket PATH] [--json] wait [--timeout SECONDS] ID
 *
 * One request line per verb over the control socket (docs/control.md), one
 * JSON reply; `stats` and `top` read the shared-memory segment SOCKET.stats
 * directly. docs/claimctl.md documents the output and the exit codes. */
#define _GNU_SOURCE
#include "claimctl.h"

#include "client.h"
#include "print.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DEFAULT_SOCKET "claimd-data/claimd.sock"

static void usage(FILE *f)
{
    fputs("usage: claimctl [--socket PATH] [--json] VERB [ARG]\n"
          "       claimctl [--socket PATH] [--json] top [--interval SECONDS] [--iterations N]\n"
          "       claimctl [--socket PATH] [--json] wait [--timeout SECONDS] ID\n"
          "VERB: status stats metrics submit PATH, jobs [STATE], job ID, cancel ID,\n"
          "      purge [ID], pause, resume, drain, reload, tables, memory,\n"
          "      loglevel LEVEL, version, shutdown, help (the daemon's `help` lists them)\n"
          "--socket  the control socket (default: $CLAIMD_SOCKET, else " DEFAULT_SOCKET ")\n"
          "--json    print the daemon's reply line as it is\n"
          "exit: 0 ok, 1 the daemon refused (ok:false), 2 usage, 3 cannot connect,\n"
          "      connection lost or bad reply, 4 job failed, 5 job cancelled,\n"
          "      6 wait timed out\n",
          f);
}

static int fail_usage(const char *msg)
{
    fprintf(stderr, "claimctl: %s\n", msg);
    usage(stderr);
    return CC_EXIT_USAGE;
}

/* An ok:false reply on stderr (with the earlier job of a repeat). */
static void print_refusal(const cc_reply *r)
{
    fputs("claimctl: ", stderr);
    pr_safe(stderr, r->error);
    const char *job = js_str(js_get(r->root, "job"));
    if (job) {
        fputs(" (job ", stderr);
        pr_safe(stderr, job);
        fputc(')', stderr);
    }
    fputc('\n', stderr);
}

static int run_verb(const char *sock, bool json, const char *verb, const char *arg)
{
    cc_reply r;
    char err[512];
    int rc = cc_request(sock, verb, arg, CC_TIMEOUT_MS, &r, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "claimctl: %s\n", err);
        return rc == -EINVAL ? CC_EXIT_USAGE : CC_EXIT_CONNECT;
    }
    if (json)
        printf("%s\n", r.line);
    else if (!r.ok)
        print_refusal(&r);
    else
        pr_reply(stdout, verb, r.root);
    rc = r.ok ? CC_EXIT_OK : CC_EXIT_REFUSED;
    cc_reply_free(&r);
    return fflush(stdout) == 0 ? rc : CC_EXIT_CONNECT;
}

/* A positive number of seconds; false when s is not one. */
static bool parse_seconds(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v > 0) || v > 1e7)
        return false;
    *out = v;
    return true;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* The exit code of a final state; -1 while the job is not over. */
static int final_code(const char *state)
{
    if (!state)
        return -1;
    if (!strcmp(state, "done"))
        return CC_EXIT_OK;
    if (!strcmp(state, "failed"))
        return CC_EXIT_FAILED;
    if (!strcmp(state, "cancelled"))
        return CC_EXIT_CANCELLED;
    return -1;
}

/* `wait`: polls `job ID` every 200 ms, backing off to 1 s. */
static int cmd_wait(const char *sock, bool json, int argc, char **argv)
{
    double timeout = 0, delay = 0.2;
    int i = 0;
    for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
        if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
            if (!parse_seconds(argv[++i], &timeout))
                return fail_usage("--timeout takes a positive number of seconds");
        } else {
            return fail_usage("wait takes [--timeout SECONDS] ID");
        }
    }
    if (argc - i != 1)
        return fail_usage("wait takes [--timeout SECONDS] ID");
    const char *id = argv[i];
    double deadline = timeout > 0 ? now_s() + timeout : 0;
    for (;;) {
        cc_reply r;
        char err[512];
        if (cc_request(sock, "job", id, CC_TIMEOUT_MS, &r, err, sizeof err) < 0) {
            fprintf(stderr, "claimctl: %s\n", err);
            return CC_EXIT_CONNECT;
        }
        if (!r.ok) {
            if (json)
                printf("%s\n", r.line);
            else
                print_refusal(&r);
            cc_reply_free(&r);
            return CC_EXIT_REFUSED;
        }
        const char *state = js_str(js_get(r.root, "state"));
        int code = final_code(state);
        if (code >= 0) {
            if (json)
                printf("%s\n", r.line);
            else
                pr_job_line(stdout, r.root);
            cc_reply_free(&r);
            return code;
        }
        double left = deadline ? deadline - now_s() : delay;
        if (left <= 0) {
            fprintf(stderr, "claimctl: timed out waiting for job %s (state ", id);
            pr_safe(stderr, state ? state : "unknown");
            fputs(")\n", stderr);
            cc_reply_free(&r);
            return CC_EXIT_TIMEOUT;
        }
        cc_reply_free(&r);
        sleep_s(delay < left ? delay : left);
        delay = delay * 2 < 1 ? delay * 2 : 1;
    }
}

int main(int argc, char **argv)
{
    const char *sock = getenv("CLAIMD_SOCKET");
    bool json = false;
    if (!sock || !*sock)
        sock = DEFAULT_SOCKET;
    int i = 1;
    for (; i < argc && !strncmp(argv[i], "-", 1); i++) {
        if (!strcmp(argv[i], "--socket") && i + 1 < argc && *argv[i + 1]) {
            sock = argv[++i];
        } else if (!strncmp(argv[i], "--socket=", 9) && argv[i][9]) {
            sock = argv[i] + 9;
        } else if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return CC_EXIT_OK;
        } else {
            return fail_usage("unknown option (options go before the verb)");
        }
    }
    if (i >= argc)
        return fail_usage("no verb");
    const char *verb = argv[i++];
    if (!strcasecmp(verb, "top"))
        return cc_cmd_top(sock, argc - i, argv + i);
    if (!strcasecmp(verb, "wait"))
        return cmd_wait(sock, json, argc - i, argv + i);
    if (argc - i > 1)
        return fail_usage("one argument at most (quote a path with blanks)");
    if (!strcasecmp(verb, "stats") && i == argc)
        return cc_cmd_stats(sock, json);
    return run_verb(sock, json, verb, i < argc ? argv[i] : NULL);
}
