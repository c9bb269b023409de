/* The scrub pipeline: see scrub_pipe.h and docs/pipeline.md.
 *
 * Threads and what they own:
 *   walker (one per file, joined at its end): the uring_reader, the x12
 *     walker, the 999 builder (until the join), the unit being filled, and
 *     p->seq. Units with claims go to the work ring; units of markers only
 *     (and the file's last unit) go straight into the reorder window.
 *   workers: a unit between its pop from the work ring and its insert into
 *     the window; their own scrub_work.
 *   writer (the caller of scrub_pipe_file): everything of scrub_writer (the
 *     file's outputs, the 277CA state, the run's duplicate set), and a unit
 *     from its take until it goes back on the free ring.
 * A unit changes hands only through a ring or the window (release/acquire),
 * so its contents need no locks.
 *
 * Deadlock freedom: there are W units and a window of W slots, so every
 * unit in flight has seq - next < W and an insert never waits; the work
 * ring holds W, so a push never waits either. The walker waits only for a
 * free unit, which exists once the writer has taken the unit numbered next,
 * and that unit is in the ring, a worker or the window, never held back.
 */
#define _POSIX_C_SOURCE 200809L

#include "scrub_pipe.h"

#include "claimd/error.h"
#include "claimd/log.h"
#include "claimd/reorder.h"
#include "claimd/ring.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PIPE_UNIT_CLAIMS 256 /* claims per unit */
#define PIPE_UNIT_MARKS  64  /* envelope markers per unit */
#define PIPE_EV_MARK     0x8000u
#define PIPE_W_MAX       64

enum pipe_mark_kind {
    PIPE_ICHG_BEGIN = 1,
    PIPE_GROUP_BEGIN,
    PIPE_TXN_BEGIN,
    PIPE_TXN_END,
    PIPE_ICHG_END,
};

/* An envelope event, copied out of the walker's callback. */
typedef struct pipe_mark {
    uint8_t kind;
    union {
        x12_isa isa;
        x12_gs gs;
        struct {
            char verdict;
            char ctrl[10]; /* printable (scrub_safe) */
        } txn;
        struct {
            char verdict;
            int err; /* first TA1 note code, -1 for none */
        } ichg;
    } u;
} pipe_mark;

/* One claim's results, in the unit's buffers. */
typedef struct pipe_out {
    uint32_t json_off, json_len, x_off, x_len, segs, edit_off, nedits;
    bool rejected, has_fp;
    fp128 fp;
} pipe_out;

typedef struct pipe_unit {
    uint64_t seq;
    ack277_fmt fmt; /* the 277CA delimiters the claims render with */
    int err;        /* a worker's first error */
    /* the file's last unit: the walk's result */
    bool eof;
    int walk_rc, stop_err;
    uint64_t err_off;
    /* events in input order: a claim index, or PIPE_EV_MARK | mark index */
    uint16_t ev[PIPE_UNIT_CLAIMS + PIPE_UNIT_MARKS];
    uint32_t nev, nclaims, nmarks;
    clm_claim claims[PIPE_UNIT_CLAIMS]; /* deep copies; lines in the arena below */
    uint32_t line_off[PIPE_UNIT_CLAIMS];
    pipe_out out[PIPE_UNIT_CLAIMS];
    pipe_mark marks[PIPE_UNIT_MARKS];
    clm_line *lines;
    uint32_t nlines, caplines;
    cbuf json, x277; /* the rendered claims, back to back */
    uint16_t *edits;
    uint32_t nedits, capedits;
} pipe_unit;

struct scrub_pipe {
    scrub_run *run;
    scrub_cfg cfg; /* the run's, without the single-thread fp_hint */
    unsigned nworkers, started;
    size_t nunits;
    pipe_unit **units;
    ring_mpmc *work, *free;
    reorder *win;
    uint64_t seq;               /* the next unit number (walker threads, one at a time) */
    _Atomic bool stop;          /* the writer failed: the walker stops early */
    _Atomic uint64_t in_flight; /* units taken from the free ring (stats) */
    pthread_t *threads;
    struct pipe_thr *thr;
};

/* A worker thread's own: the pipe and its stats slot. */
typedef struct pipe_thr {
    scrub_pipe *p;
    stats_slot *sl;
} pipe_thr;

static uint64_t pipe_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- units -------------------------------------------------------------- */

static void pipe_unit_reset(pipe_unit *u)
{
    u->err = 0;
    u->eof = false;
    u->walk_rc = u->stop_err = 0;
    u->err_off = 0;
    u->nev = u->nclaims = u->nmarks = 0;
    u->nlines = 0;
    u->nedits = 0;
    cbuf_clear(&u->json);
    cbuf_clear(&u->x277);
}

static void pipe_unit_free(pipe_unit *u)
{
    if (!u)
        return;
    free(u->lines);
    free(u->edits);
    cbuf_release(&u->json);
    cbuf_release(&u->x277);
    free(u);
}

static pipe_unit *pipe_unit_new(void)
{
    pipe_unit *u = malloc(sizeof *u);
    if (!u)
        return NULL;
    u->lines = NULL;
    u->caplines = 0;
    u->edits = NULL;
    u->capedits = 0;
    cbuf_init(&u->json);
    cbuf_init(&u->x277);
    pipe_unit_reset(u);
    return u;
}

static int pipe_grow(void **p, uint32_t *cap, uint32_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    uint32_t c = *cap ? *cap : 1024;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, size * c);
    if (!q)
        return -ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}

/* ---- workers ------------------------------------------------------------ */

static int pipe_scrub_one(const scrub_pipe *p, pipe_unit *u, uint32_t i, scrub_work *w)
{
    const clm_claim *c = &u->claims[i];
    int rc = scrub_eval(&p->cfg, c, w);
    if (rc == 0)
        rc = scrub_render(&u->fmt, c, w);
    uint32_t nf = w->f.n < EDIT_MAX_FINDINGS ? w->f.n : EDIT_MAX_FINDINGS;
    if (rc == 0)
        rc = pipe_grow((void **)&u->edits, &u->capedits, u->nedits + nf, sizeof *u->edits);
    if (rc)
        return rc;
    pipe_out *o = &u->out[i];
    *o = (pipe_out){.json_off = (uint32_t)u->json.len,
                    .json_len = (uint32_t)w->json.len,
                    .x_off = (uint32_t)u->x277.len,
                    .x_len = (uint32_t)w->x277.len,
                    .segs = w->x277_segs,
                    .edit_off = u->nedits,
                    .nedits = nf,
                    .rejected = w->rejected,
                    .has_fp = w->has_fp,
                    .fp = w->fp};
    for (uint32_t k = 0; k < nf; k++)
        u->edits[u->nedits++] = w->f.f[k].edit;
    cbuf_append(&u->json, w->json.p, w->json.len);
    cbuf_append(&u->x277, w->x277.p, w->x277.len);
    rc = cbuf_error(&u->json);
    return rc ? rc : cbuf_error(&u->x277);
}

/* Scrubs every claim of u, then hands it to the window. Returns the
 * window's answer: never waits (see the top of the file), fails only when
 * the window is closed. */
/* Scrubs a unit's claims and hands it to the window; sl (the thread's
 * stats slot, or NULL) counts the claims and the time. */
static int pipe_work_unit(const scrub_pipe *p, pipe_unit *u, scrub_work *w, stats_slot *sl)
{
    uint64_t t0 = sl ? pipe_now_ns() : 0;
    for (uint32_t i = 0; i < u->nclaims && !u->err; i++)
        u->err = pipe_scrub_one(p, u, i, w);
    if (sl) {
        stats_add(sl, STATS_CLAIMS_SCRUBBED, u->nclaims);
        stats_add(sl, STATS_BUSY_NS, pipe_now_ns() - t0);
    }
    return reorder_insert_wait(p->win, u->seq, u);
}

static void *pipe_worker(void *arg)
{
    pipe_thr *t = arg;
    scrub_pipe *p = t->p;
    scrub_work w;
    scrub_work_init(&w);
    pipe_unit *u;
    while (ring_mpmc_pop_wait(p->work, &u) == 0)
        if (pipe_work_unit(p, u, &w, t->sl) != 0)
            break;
    scrub_work_release(&w);
    return NULL;
}

/* The writer's wait for the next unit in order. While it is not there, the
 * writer scrubs waiting units itself instead of sleeping: on a machine with
 * as many cores as workers, the walker and the writer share the cores with
 * them, and an idle writer would leave a core's share unused. */
static int pipe_next_in_order(scrub_pipe *p, scrub_work *w, pipe_unit **out)
{
    for (;;) {
        int rc = reorder_take(p->win, (void **)out);
        if (rc != -EAGAIN)
            return rc;
        pipe_unit *u;
        if (ring_mpmc_pop(p->work, &u) != 0)
            return reorder_take_wait(p->win, (void **)out);
        if (pipe_work_unit(p, u, w, p->run->st_write) != 0)
            return -EPIPE;
    }
}

/* ---- the walker thread -------------------------------------------------- */

typedef struct pipe_walk {
    scrub_pipe *p;
    scrub_file *f;
    const char *path;
    ack277 *shadow; /* fed the ISAs only: the 277CA format for the workers */
    pipe_unit *u;   /* being filled, or NULL */
    int err;        /* the walker thread's own error (-ENOMEM) */
} pipe_walk;

static pipe_unit *pipe_take_free(scrub_pipe *p)
{
    pipe_unit *u;
    /* the free ring is never closed while a file runs */
    if (ring_mpmc_pop_wait(p->free, &u) != 0)
        return NULL;
    atomic_fetch_add_explicit(&p->in_flight, 1, memory_order_relaxed);
    u->seq = p->seq++;
    return u;
}

/* Sends the unit being filled on: to the workers, or straight to the window
 * when it holds no claim. */
static void pipe_flush(pipe_walk *k)
{
    pipe_unit *u = k->u;
    if (!u)
        return;
    k->u = NULL;
    u->fmt = *ack277_format(k->shadow);
    for (uint32_t i = 0; i < u->nclaims; i++)
        u->claims[i].lines = u->lines + u->line_off[i];
    if (u->nclaims)
        ring_mpmc_push_wait(k->p->work, &u);
    else
        reorder_insert_wait(k->p->win, u->seq, u);
}

static pipe_unit *pipe_cur(pipe_walk *k)
{
    if (!k->u)
        k->u = pipe_take_free(k->p);
    return k->u;
}

static int pipe_stopped(pipe_walk *k)
{
    if (k->err)
        return k->err;
    return atomic_load_explicit(&k->p->stop, memory_order_relaxed) ? 1 : 0;
}

static pipe_mark *pipe_mark_add(pipe_walk *k, uint8_t kind)
{
    if (k->u && k->u->nmarks == PIPE_UNIT_MARKS)
        pipe_flush(k);
    pipe_unit *u = pipe_cur(k);
    pipe_mark *m = &u->marks[u->nmarks];
    m->kind = kind;
    u->ev[u->nev++] = (uint16_t)(PIPE_EV_MARK | u->nmarks++);
    return m;
}

static int pipe_on_ichg_begin(void *ctx, const x12_isa *isa)
{
    pipe_walk *k = ctx;
    ack277_input_isa(k->shadow, isa);
    pipe_mark_add(k, PIPE_ICHG_BEGIN)->u.isa = *isa;
    return pipe_stopped(k);
}

static int pipe_on_group_begin(void *ctx, const x12_gs *gs)
{
    pipe_walk *k = ctx;
    pipe_mark_add(k, PIPE_GROUP_BEGIN)->u.gs = *gs;
    return pipe_stopped(k);
}

static int pipe_on_txn_begin(void *ctx, const x12_st *st)
{
    (void)st;
    pipe_walk *k = ctx;
    pipe_mark_add(k, PIPE_TXN_BEGIN);
    return pipe_stopped(k);
}

static int pipe_on_claim(void *ctx, const clm_claim *c)
{
    pipe_walk *k = ctx;
    pipe_unit *u = pipe_cur(k);
    int rc = pipe_grow((void **)&u->lines, &u->caplines, u->nlines + c->nlines, sizeof *u->lines);
    if (rc) {
        k->err = rc;
        return rc;
    }
    uint32_t i = u->nclaims++;
    u->claims[i] = *c;
    u->claims[i].lines = NULL; /* set at the flush: the arena may move */
    u->line_off[i] = u->nlines;
    if (c->nlines)
        memcpy(u->lines + u->nlines, c->lines, sizeof *c->lines * c->nlines);
    u->nlines += c->nlines;
    u->ev[u->nev++] = (uint16_t)i;
    if (u->nclaims == PIPE_UNIT_CLAIMS)
        pipe_flush(k);
    return pipe_stopped(k);
}

static int pipe_on_txn_end(void *ctx, const x12_txn_result *r)
{
    pipe_walk *k = ctx;
    pipe_mark *m = pipe_mark_add(k, PIPE_TXN_END);
    m->u.txn.verdict = r->verdict;
    m->u.txn.ctrl[0] = 0;
    if (r->st)
        scrub_safe(m->u.txn.ctrl, sizeof m->u.txn.ctrl, r->st->ctrl);
    return pipe_stopped(k);
}

static int pipe_on_ichg_end(void *ctx, const x12_ichg_result *r)
{
    pipe_walk *k = ctx;
    pipe_mark *m = pipe_mark_add(k, PIPE_ICHG_END);
    m->u.ichg.verdict = r->verdict;
    m->u.ichg.err = -1;
    for (uint32_t i = 0; i < r->nerrs; i++)
        if (r->errs[i].level == X12_ERR_ICHG) {
            m->u.ichg.err = r->errs[i].code;
            break;
        }
    return pipe_stopped(k);
}

static int pipe_walk_file(pipe_walk *k, uint64_t *err_off)
{
    x12_sink_pair pair = {.b = {.ctx = k,
                                .ichg_begin = pipe_on_ichg_begin,
                                .group_begin = pipe_on_group_begin,
                                .txn_begin = pipe_on_txn_begin,
                                .claim = pipe_on_claim,
                                .txn_end = pipe_on_txn_end,
                                .ichg_end = pipe_on_ichg_end}};
    ack_999_sink(k->f->a999, &pair.a);
    x12_sink tee;
    x12_sink_tee(&pair, &tee);
    int rc = ack277_create(&k->f->run->ao, &k->shadow);
    if (rc)
        return rc;
    x12_walker *w;
    rc = x12_walker_create(&tee, &w);
    if (rc)
        return rc;
    rc = scrub_feed_file(k->f->run, k->path, w);
    *err_off = x12_walker_error_off(w);
    x12_walker_free(w);
    return rc;
}

static void *pipe_walker(void *arg)
{
    pipe_walk *k = arg;
    uint64_t off = 0;
    int rc = pipe_walk_file(k, &off);
    pipe_flush(k);
    /* the last unit: the walk's result, straight to the writer */
    pipe_unit *u = pipe_take_free(k->p);
    u->eof = true;
    u->walk_rc = rc;
    u->stop_err = k->err;
    u->err_off = off;
    reorder_insert_wait(k->p->win, u->seq, u);
    return NULL;
}

/* ---- the writer --------------------------------------------------------- */

static void pipe_write_mark(scrub_file *f, const pipe_mark *m)
{
    switch (m->kind) {
    case PIPE_ICHG_BEGIN:
        scrub_writer_ichg_begin(f, &m->u.isa);
        break;
    case PIPE_GROUP_BEGIN:
        scrub_writer_group_begin(f, &m->u.gs);
        break;
    case PIPE_TXN_BEGIN:
        scrub_writer_txn_begin(f);
        break;
    case PIPE_TXN_END:
        scrub_writer_txn_end(f, m->u.txn.verdict, m->u.txn.ctrl);
        break;
    case PIPE_ICHG_END:
        scrub_writer_ichg_end(f, m->u.ichg.verdict, m->u.ichg.err);
        break;
    }
}

/* Applies a unit's events in order. Prefetches the duplicate-set slots of
 * the claims a few ahead. */
static void pipe_write_unit(scrub_pipe *p, scrub_file *f, pipe_unit *u)
{
    if (u->err && !f->err)
        f->err = u->err;
    uint32_t ahead = 0;
    for (uint32_t e = 0; e < u->nev && !f->err; e++) {
        uint16_t ev = u->ev[e];
        if (ev & PIPE_EV_MARK) {
            pipe_write_mark(f, &u->marks[ev & ~PIPE_EV_MARK]);
            continue;
        }
        for (; ahead < u->nclaims && ahead < (uint32_t)ev + 8; ahead++)
            if (u->out[ahead].has_fp)
                fp_set_prefetch(p->run->fps, &u->out[ahead].fp);
        const pipe_out *o = &u->out[ev];
        scrub_done d = {.json = u->json.p + o->json_off,
                        .json_len = o->json_len,
                        .x277 = u->x277.p + o->x_off,
                        .x277_len = o->x_len,
                        .x277_segs = o->segs,
                        .rejected = o->rejected,
                        .has_fp = o->has_fp,
                        .fp = o->fp,
                        .edits = u->edits + o->edit_off,
                        .nedits = o->nedits};
        scrub_writer_claim(f, &u->claims[ev], &d);
    }
    if (f->err)
        atomic_store_explicit(&p->stop, true, memory_order_relaxed);
}

int scrub_pipe_file(scrub_pipe *p, scrub_file *f, const char *path)
{
    pipe_walk k = {.p = p, .f = f, .path = path};
    atomic_store_explicit(&p->stop, false, memory_order_relaxed);
    pthread_t t;
    int rc = pthread_create(&t, NULL, pipe_walker, &k);
    if (rc)
        return scrub_file_walked(f, -rc, 0, 0);
    pipe_unit *u = NULL;
    int walk_rc = 0, stop_err = 0;
    uint64_t err_off = 0;
    scrub_work w;
    scrub_work_init(&w);
    for (bool eof = false; !eof;) {
        if (pipe_next_in_order(p, &w, &u) != 0)
            break; /* not reached: the window is closed only by free */
        eof = u->eof;
        if (eof) {
            walk_rc = u->walk_rc;
            stop_err = u->stop_err;
            err_off = u->err_off;
        } else {
            uint64_t t0 = p->run->st_write ? pipe_now_ns() : 0;
            pipe_write_unit(p, f, u);
            if (p->run->st_write)
                stats_add(p->run->st_write, STATS_BUSY_NS, pipe_now_ns() - t0);
        }
        pipe_unit_reset(u);
        uint64_t n = atomic_fetch_sub_explicit(&p->in_flight, 1, memory_order_relaxed);
        stats_set_gauge(p->run->stats, STATS_QUEUE_UNITS, n - 1);
        ring_mpmc_push_wait(p->free, &u);
    }
    scrub_work_release(&w);
    pthread_join(t, NULL);
    ack277_free(k.shadow);
    return scrub_file_walked(f, walk_rc, stop_err, err_off);
}

/* ---- create / free ------------------------------------------------------ */

void scrub_pipe_free(scrub_pipe *p)
{
    if (!p)
        return;
    if (p->work)
        ring_mpmc_close(p->work);
    if (p->win)
        reorder_close(p->win);
    for (unsigned i = 0; i < p->started; i++)
        pthread_join(p->threads[i], NULL);
    for (size_t i = 0; p->units && i < p->nunits; i++)
        pipe_unit_free(p->units[i]);
    ring_mpmc_free(p->work);
    ring_mpmc_free(p->free);
    reorder_free(p->win);
    free(p->units);
    free(p->threads);
    free(p->thr);
    free(p);
}

static int pipe_alloc(scrub_pipe *p)
{
    size_t w = 8;
    while (w < (size_t)p->nworkers * 4 && w < PIPE_W_MAX)
        w *= 2;
    p->nunits = w;
    p->units = calloc(w, sizeof(pipe_unit *));
    p->threads = calloc(p->nworkers, sizeof *p->threads);
    p->thr = calloc(p->nworkers, sizeof *p->thr);
    if (!p->units || !p->threads || !p->thr)
        return -ENOMEM;
    stats_set_gauge(p->run->stats, STATS_QUEUE_CAP, w);
    int rc = ring_mpmc_create(&p->work, w, sizeof(pipe_unit *));
    if (rc == 0)
        rc = ring_mpmc_create(&p->free, w, sizeof(pipe_unit *));
    if (rc == 0)
        rc = reorder_create(&p->win, w, 0);
    for (size_t i = 0; rc == 0 && i < w; i++) {
        p->units[i] = pipe_unit_new();
        if (!p->units[i])
            rc = -ENOMEM;
        else
            rc = ring_mpmc_push(p->free, &p->units[i]);
    }
    return rc;
}

unsigned scrub_pipe_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 1024 ? 1024 : (unsigned)n;
}

int scrub_pipe_create(scrub_pipe **out, scrub_run *r, unsigned nworkers)
{
    scrub_pipe *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->run = r;
    p->cfg = r->cfg;
    p->cfg.fp_hint = NULL;
    p->cfg.fp_hint_ctx = NULL;
    p->nworkers = nworkers ? nworkers : 1;
    atomic_init(&p->stop, false);
    atomic_init(&p->in_flight, 0);
    int rc = pipe_alloc(p);
    for (unsigned i = 0; rc == 0 && i < p->nworkers; i++) {
        char name[STATS_NAME_MAX];
        snprintf(name, sizeof name, "worker%u", i);
        p->thr[i] = (pipe_thr){p, stats_slot_get(p->run->stats, name)};
        rc = -pthread_create(&p->threads[i], NULL, pipe_worker, &p->thr[i]);
        if (rc == 0)
            p->started++;
    }
    if (rc) {
        scrub_pipe_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

/* ---- one thread: the walker's sink is the writer ------------------------ */

static int scrub_on_ichg_begin(void *ctx, const x12_isa *isa)
{
    scrub_writer_ichg_begin(ctx, isa);
    return 0;
}

static int scrub_on_group_begin(void *ctx, const x12_gs *gs)
{
    scrub_writer_group_begin(ctx, gs);
    return 0;
}

static int scrub_on_txn_begin(void *ctx, const x12_st *st)
{
    (void)st;
    scrub_writer_txn_begin(ctx);
    return 0;
}

static int scrub_on_claim(void *ctx, const clm_claim *c)
{
    scrub_file *f = ctx;
    scrub_run *r = f->run;
    stats_add(r->st_write, STATS_CLAIMS_SCRUBBED, 1);
    int rc = scrub_eval(&r->cfg, c, &r->w);
    if (rc == 0)
        rc = scrub_render(ack277_format(f->a277), c, &r->w);
    if (rc) {
        f->err = f->err ? f->err : rc;
        return rc;
    }
    scrub_done d;
    uint16_t edits[EDIT_MAX_FINDINGS];
    scrub_done_from_work(&d, &r->w, edits);
    return scrub_writer_claim(f, c, &d);
}

static int scrub_on_txn_end(void *ctx, const x12_txn_result *r)
{
    char ctl[sizeof r->st->ctrl] = "";
    if (r->st)
        scrub_safe(ctl, sizeof ctl, r->st->ctrl);
    return scrub_writer_txn_end(ctx, r->verdict, ctl);
}

static int scrub_on_ichg_end(void *ctx, const x12_ichg_result *r)
{
    for (uint32_t i = 0; i < r->nerrs; i++)
        if (r->errs[i].level == X12_ERR_ICHG) {
            scrub_writer_ichg_end(ctx, r->verdict, r->errs[i].code);
            break;
        }
    return 0;
}

static int scrub_walk_direct(scrub_file *f, const char *path)
{
    x12_sink_pair pair = {.b = {.ctx = f,
                                .ichg_begin = scrub_on_ichg_begin,
                                .group_begin = scrub_on_group_begin,
                                .txn_begin = scrub_on_txn_begin,
                                .claim = scrub_on_claim,
                                .txn_end = scrub_on_txn_end,
                                .ichg_end = scrub_on_ichg_end}};
    ack_999_sink(f->a999, &pair.a);
    x12_sink tee;
    x12_sink_tee(&pair, &tee);
    x12_walker *w;
    int rc = x12_walker_create(&tee, &w);
    if (rc)
        return scrub_file_walked(f, rc, 0, 0);
    rc = scrub_feed_file(f->run, path, w);
    uint64_t off = x12_walker_error_off(w);
    x12_walker_free(w);
    return scrub_file_walked(f, rc, 0, off);
}

/* ---- one file ----------------------------------------------------------- */

int scrub_run_file(scrub_run *r, scrub_pipe *p, const char *path)
{
    scrub_file f;
    int rc = scrub_file_open(&f, r, path);
    if (rc == 0)
        rc = p ? scrub_pipe_file(p, &f, path) : scrub_walk_direct(&f, path);
    if (rc == 0)
        rc = scrub_file_commit(&f);
    scrub_file_close(&f);
    if (rc == 0) {
        r->accepted += f.cnt.accepted;
        r->rejected += f.cnt.rejected;
        r->claims += f.cnt.accepted + f.cnt.rejected;
    }
    return rc;
}
