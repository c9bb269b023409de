/* claimd scrub [--tables DIR] [--out DIR] [--threads N] [--severity EDIT=LEVEL]...
 *              [--timely-filing DAYS] [--log-level LEVEL] FILE...
 *
 * For each input NAME writes, in DIR: NAME.results.jsonl (one JSON line per
 * claim of the transactions the 999 accepts, in input order), NAME.277ca,
 * NAME.999 (and NAME.ta1 when one is owed) and NAME.summary.json; prints one
 * summary line on stderr. Contracts: DESIGN.md, docs/outputs.md.
 *
 * Claims are scrubbed as they arrive, before their transaction's verdict
 * (known only at its SE): the results and the 277CA body are written to
 * temporary files, and when the 999 rejects the transaction both are cut back
 * to where the transaction started, with the counts, the 277CA HL numbering
 * and the duplicate set restored. No transaction is held in memory.
 *
 * Single-threaded for now (--threads is accepted; the pipeline comes later):
 * the per-claim work is scrub_claim() in the core, the ordering decisions
 * (duplicates, take-back, HL numbering) are here.
 *
 * stderr carries file names, control numbers, counts, timings and error text
 * only: never a claim field (PHI).
 */
#define _POSIX_C_SOURCE 200809L

#include "claimd/ack.h"
#include "claimd/ack277.h"
#include "claimd/cbuf.h"
#include "claimd/edit.h"
#include "claimd/error.h"
#include "claimd/fp.h"
#include "claimd/log.h"
#include "claimd/ofile.h"
#include "claimd/scrub.h"
#include "claimd/tables.h"
#include "claimd/tbl_default.h"
#include "claimd/x12.h"
#include "claimd/xfeed.h"
#include "cmd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define SCRUB_MOD "scrub"

/* ---- the run ------------------------------------------------------------ */

typedef struct scrub_run {
    const char *outdir;
    tbl_version *v;
    edit_settings es;
    scrub_cfg cfg;
    ack_opts ao;
    /* the run's duplicate set, and the fingerprints it holds in input order
     * (to rebuild it without a rejected transaction's claims) */
    fp_set *fps;
    fp128 *fpv;
    size_t nfp, capfp;
    scrub_work w;
    cbuf pre;
    /* totals */
    unsigned files, failed;
    uint64_t claims, accepted, rejected;
} scrub_run;

/* Counts that a rejected transaction gives back. */
typedef struct scrub_counts {
    uint64_t accepted, rejected;
    uint64_t edits[EDIT_COUNT];
} scrub_counts;

typedef struct scrub_file {
    scrub_run *run;
    const char *name; /* base name, for the outputs and messages */
    ofile res, body;
    ack277 *a277;
    ack_999 *a999;
    scrub_counts cnt;
    uint64_t txn_acc, txn_rej, claims_dropped;
    /* where the open transaction started */
    uint64_t mark_res, mark_body;
    size_t mark_nfp;
    ack277_mark mark277;
    scrub_counts mark_cnt;
    uint64_t txn_claims;
    char isa13[10], gs06[10];
    int err; /* first output error (-errno / -ENOMEM) */
} scrub_file;

/* ---- duplicates --------------------------------------------------------- */

static void scrub_fp_hint(void *ctx, const fp128 *fp)
{
    fp_set_prefetch(((scrub_run *)ctx)->fps, fp);
}

static int scrub_dup(void *ctx, const fp128 *fp)
{
    scrub_run *r = ctx;
    int rc = fp_set_add(r->fps, fp);
    if (rc != 0)
        return rc; /* 1: seen before; or -ENOMEM */
    if (r->nfp == r->capfp) {
        size_t cap = r->capfp ? r->capfp * 2 : 4096;
        fp128 *v = realloc(r->fpv, sizeof *v * cap);
        if (!v)
            return -ENOMEM;
        r->fpv = v;
        r->capfp = cap;
    }
    r->fpv[r->nfp++] = *fp;
    return 0;
}

/* Forgets the fingerprints added after the first n (a rejected transaction's):
 * the set has no removal, so it is rebuilt from the ones kept. */
static int scrub_dup_rewind(scrub_run *r, size_t n)
{
    if (r->nfp <= n)
        return 0;
    fp_set *s;
    int rc = fp_set_create(n ? n * 2 : 1024, &s);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = fp_set_add(s, &r->fpv[i]) < 0 ? -ENOMEM : 0;
    if (rc) {
        fp_set_free(s);
        return rc;
    }
    fp_set_free(r->fps);
    r->fps = s;
    r->nfp = n;
    return 0;
}

/* ---- sink --------------------------------------------------------------- */

/* Copies an input value for a message: printable ASCII only, bounded. */
static void scrub_safe(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (src[i] > 0x20 && src[i] < 0x7f) ? src[i] : '?';
    dst[i] = 0;
}

static int scrub_on_ichg_begin(void *ctx, const x12_isa *isa)
{
    scrub_file *f = ctx;
    scrub_safe(f->isa13, sizeof f->isa13, isa->ctrl);
    ack277_input_isa(f->a277, isa);
    return 0;
}

static int scrub_on_group_begin(void *ctx, const x12_gs *gs)
{
    scrub_file *f = ctx;
    scrub_safe(f->gs06, sizeof f->gs06, gs->ctrl);
    if (strncmp(gs->version, "005010X222", 10) == 0 || strncmp(gs->version, "005010X223", 10) == 0)
        ack277_input_gs(f->a277, gs);
    else
        log_warn(SCRUB_MOD, "%s: interchange %s group %s: not a 5010 837; rejected in the 999",
                 f->name, f->isa13, f->gs06);
    return 0;
}

static int scrub_on_txn_begin(void *ctx, const x12_st *st)
{
    (void)st;
    scrub_file *f = ctx;
    f->mark_res = ofile_tell(&f->res);
    f->mark_body = ofile_tell(&f->body);
    f->mark_nfp = f->run->nfp;
    ack277_mark_get(f->a277, &f->mark277);
    f->mark_cnt = f->cnt;
    f->txn_claims = 0;
    ack277_txn_begin(f->a277);
    return 0;
}

static int scrub_on_claim(void *ctx, const clm_claim *c)
{
    scrub_file *f = ctx;
    scrub_run *r = f->run;
    scrub_work *w = &r->w;
    const ack277_fmt *fmt = ack277_format(f->a277);
    int rc = scrub_claim(&r->cfg, fmt, c, scrub_dup, r, w);
    if (rc == 0) {
        cbuf_clear(&r->pre);
        rc = ack277_claim_begin(f->a277, &r->pre, c, w->rejected);
        ack277_add_segs(f->a277, w->x277_segs);
    }
    if (rc) {
        f->err = rc;
        return rc;
    }
    ofile_write(&f->res, w->json.p, w->json.len);
    ofile_write(&f->body, r->pre.p, r->pre.len);
    ofile_write(&f->body, w->x277.p, w->x277.len);
    f->txn_claims++;
    if (w->rejected)
        f->cnt.rejected++;
    else
        f->cnt.accepted++;
    uint32_t n = w->f.n < EDIT_MAX_FINDINGS ? w->f.n : EDIT_MAX_FINDINGS;
    for (uint32_t i = 0; i < n; i++)
        if (w->f.f[i].edit < EDIT_COUNT)
            f->cnt.edits[w->f.f[i].edit]++;
    return 0;
}

static int scrub_on_txn_end(void *ctx, const x12_txn_result *r)
{
    scrub_file *f = ctx;
    if (r->verdict != 'R') {
        f->txn_acc++;
        return 0;
    }
    /* the 999 rejects it: none of its claims is scrubbed */
    f->txn_rej++;
    f->claims_dropped += f->txn_claims;
    f->cnt = f->mark_cnt;
    ack277_mark_restore(f->a277, &f->mark277);
    int rc = ofile_truncate(&f->res, f->mark_res);
    if (rc == 0)
        rc = ofile_truncate(&f->body, f->mark_body);
    if (rc == 0)
        rc = scrub_dup_rewind(f->run, f->mark_nfp);
    if (rc)
        f->err = rc;
    if (f->txn_claims) {
        char ctl[sizeof r->st->ctrl] = "";
        if (r->st)
            scrub_safe(ctl, sizeof ctl, r->st->ctrl);
        log_info(SCRUB_MOD,
                 "%s: interchange %s group %s transaction %s rejected in the 999: %" PRIu64
                 " claims not scrubbed",
                 f->name, f->isa13, f->gs06, ctl, f->txn_claims);
    }
    f->txn_claims = 0;
    return rc;
}

static int scrub_on_ichg_end(void *ctx, const x12_ichg_result *r)
{
    scrub_file *f = ctx;
    for (uint32_t i = 0; i < r->nerrs; i++) {
        if (r->errs[i].level != X12_ERR_ICHG)
            continue;
        log_warn(SCRUB_MOD, "%s: interchange %s: envelope error, TA1 %c with note %03u", f->name,
                 f->isa13, r->verdict ? r->verdict : '?', r->errs[i].code % 1000u);
        break;
    }
    return 0;
}

/* ---- summary.json ------------------------------------------------------- */

static const char *scrub_sev_name(unsigned sev)
{
    return sev == EDIT_SEV_ERROR ? "error" : sev == EDIT_SEV_WARNING ? "warning" : "off";
}

static void scrub_json_date(cbuf *b, uint32_t d)
{
    if (d == 0 || d >= 99991231u)
        cbuf_puts(b, "null");
    else
        cbuf_json_date(b, d);
}

static void scrub_summary_tables(cbuf *b, const tbl_version *v)
{
    const tbl_info *in = tbl_version_info(v);
    cbuf_puts(b, ",\"tables\":{\"path\":");
    cbuf_json_cstr_or_null(b, tbl_version_path(v));
    cbuf_puts(b, ",\"name\":");
    cbuf_json_cstr_or_null(b, in->name);
    cbuf_puts(b, ",\"sources\":[");
    for (uint32_t i = 0; i < in->nsources; i++) {
        const tbl_source *s = &in->sources[i];
        cbuf_puts(b, i ? ",{\"kind\":" : "{\"kind\":");
        cbuf_json_cstr_or_null(b, s->kind);
        cbuf_puts(b, ",\"name\":");
        cbuf_json_cstr_or_null(b, s->name);
        cbuf_puts(b, ",\"checksum\":");
        cbuf_json_cstr_or_null(b, s->checksum);
        cbuf_printf(b, ",\"rows\":%" PRIu64 ",\"period\":", s->rows);
        if (s->period.from == 0 && (s->period.to == 0 || s->period.to >= 99991231u)) {
            cbuf_puts(b, "null");
        } else {
            cbuf_puts(b, "{\"from\":");
            scrub_json_date(b, s->period.from);
            cbuf_puts(b, ",\"to\":");
            scrub_json_date(b, s->period.to);
            cbuf_putc(b, '}');
        }
        cbuf_putc(b, '}');
    }
    cbuf_puts(b, "]}");
}

static void scrub_summary_settings(cbuf *b, const edit_settings *es)
{
    edit_settings def;
    edit_settings_default(&def);
    cbuf_puts(b, ",\"settings\":{\"severity\":{");
    bool first = true;
    for (unsigned i = 0; i < EDIT_COUNT; i++) {
        if (es->severity[i] == def.severity[i])
            continue;
        const edit_def *d = edit_def_of((edit_id)i);
        cbuf_puts(b, first ? "" : ",");
        cbuf_json_cstr_or_null(b, d ? d->name : "?");
        cbuf_printf(b, ":\"%s\"", scrub_sev_name(es->severity[i]));
        first = false;
    }
    cbuf_printf(b, "},\"timely_filing_days\":%" PRIu32 "}", es->timely_filing_days);
}

/* The file's summary: a pure function of the inputs, the tables and the
 * settings (no timings, no dates of the run). */
static void scrub_summary(cbuf *b, const scrub_file *f)
{
    const scrub_counts *c = &f->cnt;
    cbuf_puts(b, "{\"file\":");
    cbuf_json_str(b, f->name, strlen(f->name));
    cbuf_printf(b,
                ",\"claims\":%" PRIu64 ",\"accepted\":%" PRIu64 ",\"rejected\":%" PRIu64
                ",\"claims_not_scrubbed\":%" PRIu64 ",\"transactions\":{\"accepted\":%" PRIu64
                ",\"rejected\":%" PRIu64 "},\"edits\":{",
                c->accepted + c->rejected, c->accepted, c->rejected, f->claims_dropped, f->txn_acc,
                f->txn_rej);
    for (unsigned i = 0; i < EDIT_COUNT; i++) {
        const edit_def *d = edit_def_of((edit_id)i);
        cbuf_puts(b, i ? "," : "");
        cbuf_json_cstr_or_null(b, d ? d->name : "?");
        cbuf_printf(b, ":%" PRIu64, c->edits[i]);
    }
    cbuf_putc(b, '}');
    scrub_summary_tables(b, f->run->v);
    cbuf_puts(b, ",\"claimd_version\":\"" CLAIMD_VERSION "\"");
    scrub_summary_settings(b, &f->run->es);
    cbuf_puts(b, "}\n");
}

/* ---- one file ----------------------------------------------------------- */

static const char *scrub_base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int scrub_walk(scrub_file *f, const char *path)
{
    const x12_sink sink = {.ctx = f,
                           .ichg_begin = scrub_on_ichg_begin,
                           .group_begin = scrub_on_group_begin,
                           .txn_begin = scrub_on_txn_begin,
                           .claim = scrub_on_claim,
                           .txn_end = scrub_on_txn_end,
                           .ichg_end = scrub_on_ichg_end};
    uint64_t off = 0;
    int rc = xfeed_walk_acked(path, f->a999, &sink, &off);
    if (rc == -CLAIMD_EX12_STOPPED)
        rc = f->err ? f->err : ack_999_error(f->a999);
    bool walk_err = rc <= -CLAIMD_EBASE && rc > -CLAIMD_ETBL_BASE;
    if (rc && walk_err)
        log_err(SCRUB_MOD, "%s: %s (at byte %" PRIu64 ")", f->name, claimd_strerror(rc), off);
    else if (rc)
        log_err(SCRUB_MOD, "%s: %s", f->name, claimd_strerror(rc));
    return rc;
}

/* Writes the 277CA (head, body, tail), the 999/TA1 and the summary; then
 * renames the results and the 277CA into place. */
static int scrub_commit(scrub_file *f)
{
    scrub_run *r = f->run;
    const char *dir = r->outdir;
    cbuf t;
    cbuf_init(&t);
    ofile x;
    int rc = ofile_open(&x, dir, f->name, "277ca");
    if (rc == 0) {
        ack277_head(f->a277, &t);
        ofile_write(&x, t.p, t.len);
        rc = ofile_append_file(&x, &f->body);
        cbuf_clear(&t);
        ack277_tail(f->a277, &t);
        ofile_write(&x, t.p, t.len);
        rc = rc ? rc : cbuf_error(&t);
        if (rc)
            ofile_abort(&x);
        else
            rc = ofile_commit(&x);
    }
    size_t n999, nta1;
    const char *t999 = ack_999_text(f->a999, &n999);
    const char *ta1 = ack_ta1_text(f->a999, &nta1);
    if (rc == 0)
        rc = ofile_write_atomic(dir, f->name, "999", n999 ? t999 : NULL, n999);
    if (rc == 0)
        rc = ofile_write_atomic(dir, f->name, "ta1", ta1, nta1);
    if (rc == 0) {
        cbuf_clear(&t);
        scrub_summary(&t, f);
        rc = cbuf_error(&t);
        if (rc == 0)
            rc = ofile_write_atomic(dir, f->name, "summary.json", t.p, t.len);
    }
    if (rc == 0)
        rc = ofile_commit(&f->res);
    cbuf_release(&t);
    if (rc)
        log_err(SCRUB_MOD, "%s: cannot write its outputs in %s: %s", f->name, dir,
                claimd_strerror(rc));
    return rc;
}

static int scrub_file_run(scrub_run *r, const char *path)
{
    scrub_file f = {.run = r, .name = scrub_base(path)};
    int rc = ofile_open(&f.res, r->outdir, f.name, "results.jsonl");
    if (rc == 0)
        rc = ofile_open_scratch(&f.body, r->outdir);
    if (rc == 0)
        rc = ack277_create(&r->ao, &f.a277);
    if (rc == 0)
        rc = ack_999_create(&r->ao, &f.a999);
    if (rc)
        log_err(SCRUB_MOD, "%s: cannot create its outputs in %s: %s", f.name, r->outdir,
                claimd_strerror(rc));
    if (rc == 0)
        rc = scrub_walk(&f, path);
    if (rc == 0)
        rc = scrub_commit(&f);
    ofile_abort(&f.res);
    ofile_abort(&f.body);
    ack277_free(f.a277);
    ack_999_free(f.a999);
    if (rc == 0) {
        r->accepted += f.cnt.accepted;
        r->rejected += f.cnt.rejected;
        r->claims += f.cnt.accepted + f.cnt.rejected;
    }
    return rc;
}

/* ---- arguments ---------------------------------------------------------- */

static void scrub_usage(void)
{
    fputs("usage: claimd scrub [--tables DIR] [--out DIR] [--threads N] [--severity EDIT=LEVEL]\n"
          "                    [--timely-filing DAYS] [--log-level LEVEL] FILE...\n",
          stderr);
}

static bool scrub_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || errno || v > max || s[0] == '-')
        return false;
    *out = v;
    return true;
}

typedef struct scrub_args {
    const char *tables, *outdir;
    unsigned long threads;
    int first; /* index of the first FILE */
} scrub_args;

/* Returns 0, or 2 after printing why (usage). */
static int scrub_parse_args(int argc, char **argv, scrub_args *a, edit_settings *es)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long n;
        enum log_level lvl;
        if (strcmp(o, "--") == 0) {
            i++;
            break;
        }
        if (!v) {
            scrub_usage();
            return 2;
        }
        i++;
        if (strcmp(o, "--tables") == 0) {
            a->tables = v;
        } else if (strcmp(o, "--out") == 0) {
            a->outdir = v;
        } else if (strcmp(o, "--threads") == 0 && scrub_uint(v, 1024, &n) && n > 0) {
            a->threads = n;
        } else if (strcmp(o, "--timely-filing") == 0 && scrub_uint(v, 36600, &n)) {
            es->timely_filing_days = (uint32_t)n;
        } else if (strcmp(o, "--severity") == 0 && edit_settings_apply(es, v) == 0) {
            continue;
        } else if (strcmp(o, "--log-level") == 0 && log_level_parse(v, &lvl) == 0) {
            log_set_level(lvl);
        } else {
            fprintf(stderr, "claimd scrub: bad option or value: %s %s\n", o, v);
            scrub_usage();
            return 2;
        }
    }
    if (i >= argc) {
        scrub_usage();
        return 2;
    }
    a->first = i;
    return 0;
}

static int scrub_open_tables(const char *dir, tbl_version **v)
{
    char def[4096];
    if (!dir) {
        int rc = tbl_default_dir(def, sizeof def);
        if (rc) {
            log_err(SCRUB_MOD, "no tables version: none given (--tables) and no default: %s",
                    claimd_strerror(rc));
            return rc;
        }
        dir = def;
    }
    int rc = tbl_open(dir, 0, v);
    if (rc)
        log_err(SCRUB_MOD, "cannot open the tables version %s: %s", dir, claimd_strerror(rc));
    return rc;
}

static int scrub_outdir(const char *dir)
{
    if (mkdir(dir, 0750) == 0 || errno == EEXIST)
        return 0;
    int rc = -errno;
    log_err(SCRUB_MOD, "cannot create %s: %s", dir, claimd_strerror(rc));
    return rc;
}

static double scrub_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void scrub_run_free(scrub_run *r)
{
    fp_set_free(r->fps);
    free(r->fpv);
    scrub_work_release(&r->w);
    cbuf_release(&r->pre);
    tbl_close(r->v);
}

int cmd_scrub_main(int argc, char **argv)
{
    scrub_run r = {.outdir = "."};
    scrub_args a = {.threads = 1};
    edit_settings_default(&r.es);
    int rc = scrub_parse_args(argc, argv, &a, &r.es);
    if (rc)
        return rc;
    if (a.outdir)
        r.outdir = a.outdir;
    double t0 = scrub_now();
    if (scrub_outdir(r.outdir) != 0 || scrub_open_tables(a.tables, &r.v) != 0)
        return 1;
    /* a line break after each segment: easier to read, and every X12 reader
     * skips it */
    r.ao = (ack_opts){.newline = 1};
    r.cfg = (scrub_cfg){.v = r.v, .s = &r.es};
    scrub_work_init(&r.w);
    cbuf_init(&r.pre);
    /* Size the duplicate set for the run up front (a claim is rarely under
     * 256 bytes of X12): growing it by doubling rehashes every entry. */
    size_t expect = 1 << 16;
    for (int i = a.first; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && st.st_size > 0)
            expect += (size_t)st.st_size / 256;
    }
    if (fp_set_create(expect, &r.fps) != 0) {
        log_err(SCRUB_MOD, "%s", claimd_strerror(-ENOMEM));
        scrub_run_free(&r);
        return 1;
    }
    r.cfg.fp_hint = scrub_fp_hint;
    r.cfg.fp_hint_ctx = &r;
    for (int i = a.first; i < argc; i++) {
        r.files++;
        if (scrub_file_run(&r, argv[i]) != 0)
            r.failed++;
    }
    double secs = scrub_now() - t0;
    fprintf(stderr,
            "claimd: scrub: %u files (%u failed), %" PRIu64 " claims, %" PRIu64
            " accepted, %" PRIu64 " rejected, %.3f seconds, %.0f claims/s\n",
            r.files, r.failed, r.claims, r.accepted, r.rejected, secs,
            secs > 0 ? (double)r.claims / secs : 0.0);
    scrub_run_free(&r);
    return r.failed ? 1 : 0;
}
