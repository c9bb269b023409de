/* The ordered half of `claimd scrub`: see scrub_writer.h.
 *
 * Claims are written as they arrive, before their transaction's verdict
 * (known only at its SE): the results and the 277CA body go to temporary
 * files, and when the 999 rejects the transaction both are cut back to where
 * the transaction started, with the counts, the 277CA HL numbering and the
 * duplicate set restored. No transaction is held in memory.
 */
#define _POSIX_C_SOURCE 200809L

#include "scrub_writer.h"

#include "claimd/error.h"
#include "claimd/log.h"
#include "claimd/uring.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the run ------------------------------------------------------------ */

static void scrub_fp_hint(void *ctx, const fp128 *fp)
{
    fp_set_prefetch(((scrub_run *)ctx)->fps, fp);
}

int scrub_run_init(scrub_run *r, tbl_version *v, size_t expect)
{
    r->v = v;
    /* a line break after each segment: easier to read, and every X12 reader
     * skips it */
    r->ao = (ack_opts){.newline = 1};
    r->cfg = (scrub_cfg){.v = v, .s = &r->es};
    r->spill_fd = -1;
    scrub_work_init(&r->w);
    cbuf_init(&r->pre);
    r->txfp = malloc(sizeof *r->txfp * SCRUB_TXFP_MEM);
    if (!r->txfp || fp_set_create(expect, &r->fps) != 0)
        return -ENOMEM;
    r->cfg.fp_hint = scrub_fp_hint;
    r->cfg.fp_hint_ctx = r;
    r->st_read = stats_slot_get(r->stats, "reader");
    r->st_write = stats_slot_get(r->stats, "writer");
    return 0;
}

void scrub_run_release(scrub_run *r)
{
    fp_set_free(r->fps);
    free(r->txfp);
    if (r->spill_fd >= 0)
        close(r->spill_fd);
    scrub_work_release(&r->w);
    cbuf_release(&r->pre);
    tbl_close(r->v);
    r->fps = NULL;
    r->txfp = NULL;
    r->spill_fd = -1;
    r->v = NULL;
}

/* ---- duplicates --------------------------------------------------------- */

/* Writes the in-memory fingerprints of the open transaction to the spill
 * file (an unlinked scratch file in outdir, created at the first need). */
static int scrub_txfp_spill(scrub_run *r)
{
    if (r->spill_fd < 0) {
        char path[4096];
        int n = snprintf(path, sizeof path, "%s/.claimd-txfp.XXXXXX", r->outdir);
        if (n < 0 || (size_t)n >= sizeof path)
            return -ENAMETOOLONG;
        int fd = mkstemp(path);
        if (fd < 0)
            return -errno;
        unlink(path);
        r->spill_fd = fd;
    }
    const char *p = (const char *)r->txfp;
    size_t len = r->ntxfp * sizeof *r->txfp;
    off_t off = (off_t)(r->nspilled * sizeof *r->txfp);
    while (len) {
        ssize_t w = pwrite(r->spill_fd, p, len, off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? -errno : -EIO;
        p += w;
        len -= (size_t)w;
        off += w;
    }
    r->nspilled += r->ntxfp;
    r->ntxfp = 0;
    return 0;
}

/* Decides a claim with fingerprint fp: 1 when seen before (a duplicate), 0
 * when new (and remembered as the open transaction's), or an error. */
static int scrub_dup(scrub_run *r, const fp128 *fp)
{
    if (r->ntxfp == SCRUB_TXFP_MEM) {
        int rc = scrub_txfp_spill(r);
        if (rc)
            return rc;
    }
    int rc = fp_set_add(r->fps, fp);
    if (rc == 0) {
        r->txfp[r->ntxfp++] = *fp;
        if (r->history && fp_set_has(r->history, fp))
            return 1; /* billed in an earlier job */
    }
    return rc; /* 1: seen before; or -ENOMEM */
}

/* The open transaction is over: forget what it added (kept in the set). */
static void scrub_txfp_clear(scrub_run *r)
{
    if (r->nspilled && ftruncate(r->spill_fd, 0) != 0)
        log_warn(SCRUB_MOD, "cannot truncate the take-back scratch file: %s", strerror(errno));
    r->ntxfp = 0;
    r->nspilled = 0;
}

/* Takes back the fingerprints the open transaction added (the 999 rejects
 * it): its claims are not scrubbed, so a later copy of one is not a
 * duplicate. The spilled ones are read back through txfp. */
static int scrub_dup_takeback(scrub_run *r)
{
    for (size_t i = 0; i < r->ntxfp; i++)
        fp_set_remove(r->fps, &r->txfp[i]);
    int rc = 0;
    for (uint64_t done = 0; rc == 0 && done < r->nspilled;) {
        uint64_t n = r->nspilled - done < SCRUB_TXFP_MEM ? r->nspilled - done : SCRUB_TXFP_MEM;
        size_t len = (size_t)n * sizeof *r->txfp;
        ssize_t got = pread(r->spill_fd, r->txfp, len, (off_t)(done * sizeof *r->txfp));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 || (size_t)got != len) /* whole chunks: a regular file */
            rc = got < 0 ? -errno : -EIO;
        for (uint64_t i = 0; rc == 0 && i < n; i++)
            fp_set_remove(r->fps, &r->txfp[i]);
        done += n;
    }
    scrub_txfp_clear(r);
    return rc;
}

/* ---- events ------------------------------------------------------------- */

void scrub_safe(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (src[i] > 0x20 && src[i] < 0x7f) ? src[i] : '?';
    dst[i] = 0;
}

void scrub_writer_ichg_begin(scrub_file *f, const x12_isa *isa)
{
    scrub_safe(f->isa13, sizeof f->isa13, isa->ctrl);
    ack277_input_isa(f->a277, isa);
}

void scrub_writer_group_begin(scrub_file *f, const x12_gs *gs)
{
    scrub_safe(f->gs06, sizeof f->gs06, gs->ctrl);
    if (strncmp(gs->version, "005010X222", 10) == 0 || strncmp(gs->version, "005010X223", 10) == 0)
        ack277_input_gs(f->a277, gs);
    else
        log_warn(SCRUB_MOD, "%s: interchange %s group %s: not a 5010 837; rejected in the 999",
                 f->name, f->isa13, f->gs06);
}

void scrub_writer_txn_begin(scrub_file *f)
{
    f->mark_res = ofile_tell(&f->res);
    f->mark_body = ofile_tell(&f->body);
    scrub_txfp_clear(f->run);
    ack277_mark_get(f->a277, &f->mark277);
    f->mark_cnt = f->cnt;
    f->txn_claims = 0;
    ack277_txn_begin(f->a277);
}

void scrub_done_from_work(scrub_done *d, const scrub_work *w, uint16_t *edits)
{
    uint32_t n = w->f.n < EDIT_MAX_FINDINGS ? w->f.n : EDIT_MAX_FINDINGS;
    for (uint32_t i = 0; i < n; i++)
        edits[i] = w->f.f[i].edit;
    *d = (scrub_done){.json = w->json.p,
                      .json_len = w->json.len,
                      .x277 = w->x277.p,
                      .x277_len = w->x277.len,
                      .x277_segs = w->x277_segs,
                      .rejected = w->rejected,
                      .has_fp = w->has_fp,
                      .fp = w->fp,
                      .edits = edits,
                      .nedits = n};
}

/* A duplicate (rare): evaluated again in the run's own work, marked and
 * rendered, so *d then describes r->w. scrub_eval is a pure function of the
 * claim and the tables: the same findings and prices as the first time. */
static int scrub_writer_redo_dup(scrub_run *r, const ack277_fmt *fmt, const clm_claim *c,
                                 scrub_done *d, uint16_t *edits)
{
    scrub_cfg cfg = r->cfg;
    cfg.fp_hint = NULL;
    int rc = scrub_eval(&cfg, c, &r->w);
    if (rc)
        return rc;
    scrub_mark_duplicate(&cfg, c, &r->w);
    rc = scrub_render(fmt, c, &r->w);
    if (rc == 0)
        scrub_done_from_work(d, &r->w, edits);
    return rc;
}

int scrub_writer_claim(scrub_file *f, const clm_claim *c, const scrub_done *done)
{
    scrub_run *r = f->run;
    if (f->err)
        return f->err;
    const ack277_fmt *fmt = ack277_format(f->a277);
    scrub_done dd = *done;
    uint16_t edits[EDIT_MAX_FINDINGS];
    int rc = dd.has_fp ? scrub_dup(r, &dd.fp) : 0;
    if (rc == 1)
        rc = scrub_writer_redo_dup(r, fmt, c, &dd, edits);
    if (rc == 0) {
        cbuf_clear(&r->pre);
        rc = ack277_claim_begin(f->a277, &r->pre, c, dd.rejected);
        ack277_add_segs(f->a277, dd.x277_segs);
    }
    if (rc) {
        f->err = rc;
        return rc;
    }
    ofile_write(&f->res, dd.json, dd.json_len);
    ofile_write(&f->body, r->pre.p, r->pre.len);
    ofile_write(&f->body, dd.x277, dd.x277_len);
    stats_add(r->st_write, STATS_CLAIMS_READ, 1);
    f->txn_claims++;
    if (dd.rejected)
        f->cnt.rejected++;
    else
        f->cnt.accepted++;
    for (uint32_t i = 0; i < dd.nedits; i++)
        if (dd.edits[i] < EDIT_COUNT)
            f->cnt.edits[dd.edits[i]]++;
    return 0;
}

/* The stats of an accepted transaction: its claims' outcomes and findings
 * (those of a rejected one are taken back, so they never count). */
static void scrub_count_txn(const scrub_file *f)
{
    stats_slot *sl = f->run->st_write;
    if (!sl)
        return;
    stats_add(sl, STATS_ACCEPTED, f->cnt.accepted - f->mark_cnt.accepted);
    stats_add(sl, STATS_REJECTED, f->cnt.rejected - f->mark_cnt.rejected);
    for (unsigned e = 0; e < EDIT_COUNT; e++)
        if (f->cnt.edits[e] != f->mark_cnt.edits[e])
            stats_add_edit(sl, e, f->cnt.edits[e] - f->mark_cnt.edits[e]);
}

int scrub_writer_txn_end(scrub_file *f, char verdict, const char *st_ctrl)
{
    if (verdict != 'R') {
        f->txn_acc++;
        scrub_txfp_clear(f->run);
        scrub_count_txn(f);
        return 0;
    }
    stats_add(f->run->st_write, STATS_TXN_REJECTED, 1);
    /* the 999 rejects it: none of its claims is scrubbed */
    f->txn_rej++;
    f->claims_dropped += f->txn_claims;
    f->cnt = f->mark_cnt;
    ack277_mark_restore(f->a277, &f->mark277);
    int rc = ofile_truncate(&f->res, f->mark_res);
    if (rc == 0)
        rc = ofile_truncate(&f->body, f->mark_body);
    /* whatever happens to this file, the run's set must forget them */
    int rc_dup = scrub_dup_takeback(f->run);
    rc = rc ? rc : rc_dup;
    if (rc && !f->err)
        f->err = rc;
    if (f->txn_claims)
        log_info(SCRUB_MOD,
                 "%s: interchange %s group %s transaction %s rejected in the 999: %" PRIu64
                 " claims not scrubbed",
                 f->name, f->isa13, f->gs06, st_ctrl, f->txn_claims);
    f->txn_claims = 0;
    return rc;
}

void scrub_writer_ichg_end(scrub_file *f, char verdict, int ichg_err)
{
    if (ichg_err < 0)
        return;
    log_warn(SCRUB_MOD, "%s: interchange %s: envelope error, TA1 %c with note %03u", f->name,
             f->isa13, verdict ? verdict : '?', (unsigned)ichg_err % 1000u);
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

/* Writes the 277CA (head, body, tail), the 999/TA1 and the summary; then
 * renames the results and the 277CA into place. */
/* Opens DIR/NAME.EXT and writes data into it (not yet published). */
static int scrub_out_fill(ofile *o, const char *dir, const char *name, const char *ext,
                          const char *data, size_t len)
{
    int rc = ofile_open(o, dir, name, ext);
    if (rc == 0) {
        ofile_write(o, data, len);
        rc = ofile_error(o);
    }
    return rc;
}

/* The 277CA: its head (totals known only now), the claims' body, its tail. */
static int scrub_out_277(scrub_file *f, ofile *o, cbuf *t)
{
    int rc = ofile_open(o, f->run->outdir, f->name, "277ca");
    if (rc)
        return rc;
    ack277_head(f->a277, t);
    ofile_write(o, t->p, t->len);
    rc = ofile_append_file(o, &f->body);
    cbuf_clear(t);
    ack277_tail(f->a277, t);
    ofile_write(o, t->p, t->len);
    rc = rc ? rc : cbuf_error(t);
    return rc ? rc : ofile_error(o);
}

/* Every output of a file appears, or none does: all are written and
 * fsynced under temporary names first, and renamed into place only when
 * every one of them made it to disk (a disk that fills up during the commit
 * leaves no mix of old and new outputs). */
int scrub_file_commit(scrub_file *f)
{
    scrub_run *r = f->run;
    const char *dir = r->outdir;
    enum { O_277, O_999, O_TA1, O_SUM, O_COUNT };
    ofile o[O_COUNT];
    memset(o, 0, sizeof o);
    cbuf t;
    cbuf_init(&t);
    size_t n999, nta1;
    const char *t999 = ack_999_text(f->a999, &n999);
    const char *ta1 = ack_ta1_text(f->a999, &nta1);
    int rc = scrub_out_277(f, &o[O_277], &t);
    if (rc == 0 && n999)
        rc = scrub_out_fill(&o[O_999], dir, f->name, "999", t999, n999);
    if (rc == 0 && ta1)
        rc = scrub_out_fill(&o[O_TA1], dir, f->name, "ta1", ta1, nta1);
    if (rc == 0) {
        cbuf_clear(&t);
        scrub_summary(&t, f);
        rc = cbuf_error(&t);
        if (rc == 0)
            rc = scrub_out_fill(&o[O_SUM], dir, f->name, "summary.json", t.p, t.len);
    }
    cbuf_release(&t);
    if (rc == 0)
        rc = ofile_sync(&f->res);
    for (int i = 0; i < O_COUNT && rc == 0; i++)
        if (o[i].path)
            rc = ofile_sync(&o[i]);
    /* an acknowledgment not owed this time: a stale one from an earlier run goes */
    if (rc == 0 && !ta1)
        rc = ofile_write_atomic(dir, f->name, "ta1", NULL, 0);
    if (rc == 0 && !n999)
        rc = ofile_write_atomic(dir, f->name, "999", NULL, 0);
    if (rc == 0)
        rc = ofile_publish(&f->res);
    for (int i = 0; i < O_COUNT; i++) {
        if (rc == 0 && o[i].path)
            rc = ofile_publish(&o[i]);
        else
            ofile_abort(&o[i]);
    }
    if (rc) {
        ofile_abort(&f->res);
        log_err(SCRUB_MOD, "%s: cannot write its outputs in %s: %s", f->name, dir,
                claimd_strerror(rc));
    }
    return rc;
}

/* ---- one file ----------------------------------------------------------- */

static const char *scrub_base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int scrub_file_open(scrub_file *f, scrub_run *r, const char *path)
{
    *f = (scrub_file){.run = r, .name = scrub_base(path)};
    int rc = ofile_open(&f->res, r->outdir, f->name, "results.jsonl");
    if (rc == 0)
        rc = ofile_open_scratch(&f->body, r->outdir);
    if (rc == 0)
        rc = ack277_create(&r->ao, &f->a277);
    if (rc == 0)
        rc = ack_999_create(&r->ao, &f->a999);
    if (rc)
        log_err(SCRUB_MOD, "%s: cannot create its outputs in %s: %s", f->name, r->outdir,
                claimd_strerror(rc));
    return rc;
}

void scrub_file_close(scrub_file *f)
{
    ofile_abort(&f->res);
    ofile_abort(&f->body);
    ack277_free(f->a277);
    ack_999_free(f->a999);
    f->a277 = NULL;
    f->a999 = NULL;
}

int scrub_file_walked(scrub_file *f, int rc, int stop_err, uint64_t err_off)
{
    if (rc == -CLAIMD_EX12_STOPPED)
        rc = stop_err ? stop_err : f->err ? f->err : ack_999_error(f->a999);
    else if (rc == 0 && f->err)
        rc = f->err;
    bool walk_err = rc <= -CLAIMD_EBASE && rc > -CLAIMD_ETBL_BASE;
    if (rc && walk_err)
        log_err(SCRUB_MOD, "%s: %s (at byte %" PRIu64 ")", f->name, claimd_strerror(rc), err_off);
    else if (rc)
        log_err(SCRUB_MOD, "%s: %s", f->name, claimd_strerror(rc));
    return rc;
}

/* ---- reading ------------------------------------------------------------ */

/* The bytes of a segment split between reader buffers: the unconsumed tail
 * of one buffer, joined with as much of the next as the walker needs. */
typedef struct scrub_carry {
    char *p;
    size_t len, cap;
} scrub_carry;

static int scrub_carry_add(scrub_carry *c, const char *p, size_t n)
{
    if (n == 0)
        return 0;
    if (c->len + n > c->cap) {
        size_t cap = c->cap ? c->cap : 65536;
        while (cap < c->len + n)
            cap *= 2;
        char *q = realloc(c->p, cap);
        if (!q)
            return -ENOMEM;
        c->p = q;
        c->cap = cap;
    }
    memcpy(c->p + c->len, p, n);
    c->len += n;
    return 0;
}

/* Feeds buf[0..len) after the carried tail; leaves the new unconsumed tail
 * in the carry. While a tail is carried, the next buffer's bytes are joined
 * to it in growing pieces until the walker consumes past the tail; then the
 * rest of the buffer is fed in place (no copy). */
static int scrub_feed_buf(x12_walker *w, scrub_carry *c, const char *buf, size_t len)
{
    size_t off = 0, from_buf = 0; /* the carry ends with buf[off - from_buf .. off) */
    int rc;
    while (c->len && off < len) {
        size_t n = c->len > 4096 ? c->len : 4096;
        n = n < len - off ? n : len - off;
        if ((rc = scrub_carry_add(c, buf + off, n)) != 0)
            return rc;
        off += n;
        from_buf += n;
        size_t used = 0;
        if ((rc = x12_walker_feed(w, c->p, c->len, &used)) < 0)
            return rc;
        size_t rest = c->len - (used < c->len ? used : c->len);
        if (rest <= from_buf) { /* the rest lies in buf: continue there */
            off -= rest;
            c->len = 0;
            break;
        }
        memmove(c->p, c->p + (c->len - rest), rest);
        c->len = rest;
    }
    if (off < len) {
        size_t used = 0;
        if ((rc = x12_walker_feed(w, buf + off, len - off, &used)) < 0)
            return rc;
        off += used < len - off ? used : len - off;
        if ((rc = scrub_carry_add(c, buf + off, len - off)) != 0)
            return rc;
    }
    return 0;
}

static void scrub_log_backend(scrub_run *r, const uring_reader *rd)
{
    if (r->backend_logged)
        return;
    r->backend_logged = true;
    if (strcmp(uring_reader_backend(rd), "io_uring") == 0)
        log_info(SCRUB_MOD, "reading and writing with io_uring");
    else
        log_info(SCRUB_MOD, "io_uring unavailable (%s): reading with pread, writing with pwrite",
                 r->no_uring            ? "--no-uring"
                 : uring_env_no_uring() ? URING_ENV_NO_URING "=1"
                                        : "cannot set up a ring");
}

int scrub_feed_file(scrub_run *r, const char *path, x12_walker *w)
{
    uring_reader *rd;
    int rc = uring_reader_open(&rd, path, &(uring_reader_opts){.no_uring = r->no_uring});
    if (rc)
        return rc;
    scrub_log_backend(r, rd);
    scrub_carry c = {0};
    void *buf;
    size_t len;
    while ((rc = uring_reader_next(rd, &buf, &len)) == 1) {
        int stop = r->cancel ? atomic_load_explicit(r->cancel, memory_order_relaxed) : 0;
        rc = stop ? stop : scrub_feed_buf(w, &c, buf, len);
        uring_reader_release(rd, buf);
        if (rc)
            break;
        stats_add(r->st_read, STATS_BYTES_READ, len);
    }
    if (rc == 0)
        rc = x12_walker_finish(w, c.p, c.len);
    free(c.p);
    uring_reader_free(rd);
    return rc;
}
