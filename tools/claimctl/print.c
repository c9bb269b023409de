/* pr_: see print.h. */
#define _GNU_SOURCE
#include "print.h"

#include "claimd/cbuf.h"
#include "claimd/stats.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CELL_MAX 256 /* characters of one table cell or inline value */

void pr_safe(FILE *f, const char *s)
{
    for (; s && *s; s++)
        fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

void pr_duration(char *buf, size_t cap, uint64_t s)
{
    if (s >= 86400)
        snprintf(buf, cap, "%" PRIu64 "d%02" PRIu64 "h%02" PRIu64 "m", s / 86400, s / 3600 % 24,
                 s / 60 % 60);
    else if (s >= 3600)
        snprintf(buf, cap, "%" PRIu64 "h%02" PRIu64 "m%02" PRIu64 "s", s / 3600, s / 60 % 60,
                 s % 60);
    else if (s >= 60)
        snprintf(buf, cap, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
    else
        snprintf(buf, cap, "%" PRIu64 "s", s);
}

void pr_bytes(char *buf, size_t cap, double b)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    unsigned u = 0;
    while (b >= 1024 && u + 1 < sizeof unit / sizeof *unit) {
        b /= 1024;
        u++;
    }
    snprintf(buf, cap, u ? "%.1f %s" : "%.0f %s", b, unit[u]);
}

/* A scalar's text into buf (control bytes as '?'), "-" for null or a
 * missing node; objects and arrays as "{...}" / "[...]". */
static const char *scalar(const js_node *n, char *buf, size_t cap)
{
    const char *s = "-";
    if (n && (n->type == JS_STR || n->type == JS_NUM))
        s = n->str;
    else if (n && n->type == JS_TRUE)
        s = "true";
    else if (n && n->type == JS_FALSE)
        s = "false";
    else if (n && n->type == JS_OBJ)
        s = "{...}";
    else if (n && n->type == JS_ARR)
        s = "[...]";
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++)
        buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    buf[i] = 0;
    return buf;
}

/* An object as "k=v k=v", an array of scalars as "a, b". */
static void inline_value(FILE *f, const js_node *n)
{
    char buf[CELL_MAX];
    if (!n || (n->type != JS_OBJ && n->type != JS_ARR)) {
        fputs(scalar(n, buf, sizeof buf), f);
        return;
    }
    if (!n->child)
        fputs(n->type == JS_OBJ ? "-" : "none", f);
    for (const js_node *c = n->child; c; c = c->next) {
        if (c != n->child)
            fputs(n->type == JS_OBJ ? " " : ", ", f);
        if (c->key) {
            pr_safe(f, c->key);
            fputc('=', f);
        }
        fputs(scalar(c, buf, sizeof buf), f);
    }
}

static bool is_bytes_key(const char *k)
{
    static const char *const keys[] = {"allocated", "active",   "resident",
                                       "mapped",    "retained", "size"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (strcmp(k, keys[i]) == 0)
            return true;
    return false;
}

static void kv_value(FILE *f, const js_node *c)
{
    uint64_t v;
    char buf[64];
    if (c->type == JS_ARR && c->child && c->child->type == JS_OBJ) {
        for (const js_node *e = c->child; e; e = e->next) {
            fputs("\n    ", f);
            inline_value(f, e);
        }
        return;
    }
    inline_value(f, c);
    if (js_u64(c, &v) && strcmp(c->key, "uptime_s") == 0) {
        pr_duration(buf, sizeof buf, v);
        fprintf(f, " (%s)", buf);
    } else if (js_u64(c, &v) && is_bytes_key(c->key) && v >= 1024) {
        pr_bytes(buf, sizeof buf, (double)v);
        fprintf(f, " (%s)", buf);
    }
}

void pr_kv(FILE *f, const js_node *obj)
{
    if (!js_is(obj, JS_OBJ))
        return;
    int w = 0;
    for (const js_node *c = obj->child; c; c = c->next)
        if (strcmp(c->key, "ok") != 0 && (int)strnlen(c->key, 40) > w)
            w = (int)strnlen(c->key, 40);
    for (const js_node *c = obj->child; c; c = c->next) {
        if (strcmp(c->key, "ok") == 0)
            continue;
        pr_safe(f, c->key);
        fprintf(f, ":%*s ", w - (int)strnlen(c->key, 40), "");
        kv_value(f, c);
        fputc('\n', f);
    }
}

/* ---- tables --------------------------------------------------------------- */

typedef struct col {
    const char *head, *key;
    bool right; /* numbers */
} col;

static const col job_cols[] = {
    {"ID", "job", false},
    {"STATE", "state", false},
    {"NAME", "name", false},
    {"CLAIMS", "claims", true},
    {"ACCEPTED", "accepted", true},
    {"REJECTED", "rejected", true},
    {"SUBMITTED", "submitted", false},
    {"ENDED", "ended", false},
    {"REASON", "reason", false},
};
#define NCOLS (sizeof job_cols / sizeof *job_cols)

static void pr_row(FILE *f, const char *const *cells, const int *w)
{
    for (size_t c = 0; c < NCOLS; c++) {
        int pad = w[c] - (int)strlen(cells[c]);
        bool last = c + 1 == NCOLS;
        if (job_cols[c].right)
            fprintf(f, "%*s%s", pad, "", cells[c]);
        else
            fprintf(f, "%s%*s", cells[c], last ? 0 : pad, "");
        fputs(last ? "\n" : "  ", f);
    }
}

void pr_jobs(FILE *f, const js_node *jobs, size_t max_rows)
{
    size_t n = js_is(jobs, JS_ARR) ? jobs->count : 0;
    if (max_rows && n > max_rows)
        n = max_rows;
    if (n == 0) {
        fputs("no jobs\n", f);
        return;
    }
    char(*cell)[NCOLS][CELL_MAX] = calloc(n, sizeof *cell);
    if (!cell)
        return;
    int w[NCOLS];
    for (size_t c = 0; c < NCOLS; c++)
        w[c] = (int)strlen(job_cols[c].head);
    size_t r = 0;
    for (const js_node *j = jobs->child; j && r < n; j = j->next, r++) {
        for (size_t c = 0; c < NCOLS; c++) {
            scalar(js_get(j, job_cols[c].key), cell[r][c], CELL_MAX);
            if ((int)strlen(cell[r][c]) > w[c])
                w[c] = (int)strlen(cell[r][c]);
        }
    }
    const char *row[NCOLS];
    for (size_t c = 0; c < NCOLS; c++)
        row[c] = job_cols[c].head;
    pr_row(f, row, w);
    for (r = 0; r < n; r++) {
        for (size_t c = 0; c < NCOLS; c++)
            row[c] = cell[r][c];
        pr_row(f, row, w);
    }
    free(cell);
    if (jobs->count > n)
        fprintf(f, "... and %zu more\n", jobs->count - n);
}

/* ---- stats ---------------------------------------------------------------- */

typedef struct finding {
    const char *name;
    uint64_t n;
} finding;

static int by_count(const void *a, const void *b)
{
    const finding *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return strcmp(x->name, y->name);
}

void pr_findings(FILE *f, const js_node *edits, size_t max)
{
    finding fs[256];
    size_t n = 0;
    for (const js_node *c = js_is(edits, JS_OBJ) ? edits->child : NULL; c && n < 256; c = c->next) {
        uint64_t v;
        if (js_u64(c, &v) && v)
            fs[n++] = (finding){c->key, v};
    }
    if (!n) {
        fputs("  none\n", f);
        return;
    }
    qsort(fs, n, sizeof *fs, by_count);
    int w = 4;
    for (size_t i = 0; i < n; i++)
        if ((int)strnlen(fs[i].name, 40) > w)
            w = (int)strnlen(fs[i].name, 40);
    for (size_t i = 0; i < n && (!max || i < max); i++) {
        fputs("  ", f);
        pr_safe(f, fs[i].name);
        fprintf(f, "%*s %12" PRIu64 "\n", w - (int)strnlen(fs[i].name, 40), "", fs[i].n);
    }
}

static bool is_ctr(const char *key)
{
    for (unsigned c = 0; c < STATS_CTR_COUNT; c++)
        if (strcmp(key, stats_ctr_name((stats_ctr)c)) == 0)
            return true;
    return false;
}

/* The numeric members, counters (ctrs true) or the others. */
static void stats_numbers(FILE *f, const js_node *st, bool ctrs)
{
    static const char *const skip[] = {"pid", "start_unix"};
    for (const js_node *c = st->child; c; c = c->next) {
        uint64_t v;
        if (!js_u64(c, &v) || is_ctr(c->key) != ctrs || strcmp(c->key, skip[0]) == 0 ||
            strcmp(c->key, skip[1]) == 0)
            continue;
        fputs("  ", f);
        pr_safe(f, c->key);
        fprintf(f, "%*s %14" PRIu64 "\n", 18 - (int)strnlen(c->key, 18), "", v);
    }
}

static void stats_threads(FILE *f, const js_node *threads, uint64_t up)
{
    fprintf(f, "threads:\n  %-24s %12s %6s %14s %14s\n", "NAME", "BUSY_S", "BUSY%", "CLAIMS_READ",
            "SCRUBBED");
    if (!js_is(threads, JS_ARR) || !threads->child)
        fputs("  none\n", f);
    for (const js_node *t = js_is(threads, JS_ARR) ? threads->child : NULL; t; t = t->next) {
        char name[CELL_MAX], a[32], b[32];
        uint64_t busy = 0;
        js_u64(js_get(t, "busy_ns"), &busy);
        double pct = up ? (double)busy / 1e9 / (double)up * 100 : 0;
        fprintf(f, "  %-24s %12.3f %5.1f%% %14s %14s\n",
                scalar(js_get(t, "name"), name, sizeof name), (double)busy / 1e9, pct,
                scalar(js_get(t, "claims_read"), a, sizeof a),
                scalar(js_get(t, "claims_scrubbed"), b, sizeof b));
    }
}

void pr_stats(FILE *f, const js_node *st, time_t now)
{
    char v[CELL_MAX], t[CELL_MAX], up_s[32] = "-";
    uint64_t start = 0, pid = 0, up = 0;
    if (js_u64(js_get(st, "start_unix"), &start) && start && (uint64_t)now >= start) {
        up = (uint64_t)now - start;
        pr_duration(up_s, sizeof up_s, up);
    }
    js_u64(js_get(st, "pid"), &pid);
    fprintf(f, "claimd %s, pid %" PRIu64 ", up %s, tables %s\n",
            scalar(js_get(st, "version"), v, sizeof v), pid, up_s,
            scalar(js_get(st, "tables"), t, sizeof t));
    if (!js_is(st, JS_OBJ))
        return;
    fputs("counters:\n", f);
    stats_numbers(f, st, true);
    fputs("gauges:\n", f);
    stats_numbers(f, st, false);
    fputs("findings (by count):\n", f);
    pr_findings(f, js_get(st, "edits"), 0);
    stats_threads(f, js_get(st, "threads"), up);
}

void pr_help(FILE *f, const js_node *root)
{
    const js_node *verbs = js_get(root, "verbs");
    for (const js_node *v = js_is(verbs, JS_ARR) ? verbs->child : NULL; v; v = v->next) {
        char u[CELL_MAX], h[CELL_MAX];
        bool ch = false;
        js_bool(js_get(v, "changes"), &ch);
        fprintf(f, "  %-20s %s%s\n", scalar(js_get(v, "usage"), u, sizeof u),
                scalar(js_get(v, "help"), h, sizeof h), ch ? " (changes state)" : "");
    }
}

void pr_job_line(FILE *f, const js_node *job)
{
    char id[CELL_MAX], st[CELL_MAX], a[32], b[32], c[32];
    fprintf(f, "job %s %s", scalar(js_get(job, "job"), id, sizeof id),
            scalar(js_get(job, "state"), st, sizeof st));
    if (js_get(job, "claims"))
        fprintf(f, " (claims %s, accepted %s, rejected %s)",
                scalar(js_get(job, "claims"), a, sizeof a),
                scalar(js_get(job, "accepted"), b, sizeof b),
                scalar(js_get(job, "rejected"), c, sizeof c));
    if (js_str(js_get(job, "reason"))) {
        fputs(": ", f);
        pr_safe(f, js_str(js_get(job, "reason")));
    }
    fputc('\n', f);
}

/* One line for the verbs that change state; false when the members it
 * needs are missing (the caller then lists the reply). */
static bool short_line(FILE *f, const char *verb, const js_node *root)
{
    char a[CELL_MAX], b[CELL_MAX];
    const js_node *job = js_get(root, "job"), *state = js_get(root, "state");
    bool changed;
    if ((!strcasecmp(verb, "submit") || !strcasecmp(verb, "cancel")) && job && state)
        fprintf(f, "job %s %s\n", scalar(job, a, sizeof a), scalar(state, b, sizeof b));
    else if (!strcasecmp(verb, "purge") && js_get(root, "purged"))
        fprintf(f, "purged %s\n", scalar(js_get(root, "purged"), a, sizeof a));
    else if ((!strcasecmp(verb, "pause") || !strcasecmp(verb, "resume") ||
              !strcasecmp(verb, "drain") || !strcasecmp(verb, "shutdown")) &&
             state)
        fprintf(f, "state: %s\n", scalar(state, a, sizeof a));
    else if (!strcasecmp(verb, "reload") && js_get(root, "tables"))
        fprintf(f, "tables %s%s\n", scalar(js_get(root, "tables"), a, sizeof a),
                !js_bool(js_get(root, "changed"), &changed) ? ""
                : changed                                   ? " (changed)"
                                                            : " (unchanged)");
    else if (!strcasecmp(verb, "loglevel") && js_get(root, "log_level"))
        fprintf(f, "log level: %s\n", scalar(js_get(root, "log_level"), a, sizeof a));
    else
        return false;
    return true;
}

void pr_reply(FILE *f, const char *verb, const js_node *root)
{
    if (!strcasecmp(verb, "jobs") && js_is(js_get(root, "jobs"), JS_ARR))
        pr_jobs(f, js_get(root, "jobs"), 0);
    else if (!strcasecmp(verb, "metrics") && js_str(js_get(root, "metrics")))
        fputs(js_str(js_get(root, "metrics")), f); /* the exposition text as is */
    else if (!strcasecmp(verb, "stats"))
        pr_stats(f, root, time(NULL));
    else if (!strcasecmp(verb, "help") && js_is(js_get(root, "verbs"), JS_ARR))
        pr_help(f, root);
    else if (!short_line(f, verb, root))
        pr_kv(f, root);
}
