/* reorder_stress: two producers insert sequence numbers out of order into a
 * small reorder window (each shuffles its own block of W/2 numbers); one
 * consumer takes them and checks that every number arrives exactly once,
 * in order, with its own item. Then the same through a ring_mpmc in front,
 * as in the pipeline: a splitter numbers units, two workers pass them on
 * in whatever order they finish, the writer restores the order.
 *
 * A plain pthread program (Criterion does not run under ThreadSanitizer):
 * exit 0 on success, 1 on a failed check. Usage: reorder_stress [ITEMS]
 * (default 200000). An alarm ends a hung run.
 */
#define _GNU_SOURCE

#include "claimd/reorder.h"
#include "claimd/ring.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define NPROD 2

static uint64_t g_items = 200000;
static int g_failed;

/* An item: written by its producer before the insert, read by the
 * consumer after the take; taken is written by the consumer only. */
typedef struct unit {
    uint64_t seq;
    uint64_t check;
    int taken;
} unit;

static uint64_t check_of(uint64_t v)
{
    return v * 0xD6E8FEB86659FD93ull + 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "reorder_stress: " __VA_ARGS__);                                           \
        fputc('\n', stderr);                                                                       \
        __atomic_store_n(&g_failed, 1, __ATOMIC_RELAXED);                                          \
    } while (0)

typedef struct ctx {
    reorder *w;
    ring_mpmc *m; /* NULL: producers number their own units */
    unit *units;
    size_t window;
    unsigned id;
} ctx;

/* Producer id owns seq = id, id + 2, ...; inserts each block of window/2
 * of its numbers in a shuffled order. A block spans fewer than window
 * numbers, so a producer never waits for a number it holds itself. */
static void *producer(void *p)
{
    ctx *c = p;
    size_t block = c->window / 2;
    uint64_t order[64];
    unsigned rnd = 7u + c->id;
    for (uint64_t base = c->id; base < g_items; base += NPROD * block) {
        size_t n = 0;
        for (uint64_t s = base; s < g_items && n < block; s += NPROD)
            order[n++] = s;
        for (size_t i = n; i > 1; i--) { /* Fisher-Yates */
            rnd = rnd * 1103515245u + 12345u;
            size_t j = (rnd >> 16) % i;
            uint64_t t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        for (size_t i = 0; i < n; i++) {
            unit *u = &c->units[order[i]];
            u->seq = order[i];
            u->check = check_of(order[i]);
            int rc = reorder_insert_wait(c->w, order[i], u);
            if (rc != 0)
                FAIL("insert %llu: %d", (unsigned long long)order[i], rc);
        }
    }
    return NULL;
}

/* Worker: takes numbered units from the mpmc ring (in order, several at a
 * time) and inserts them; two workers finish them out of order. */
static void *worker(void *p)
{
    ctx *c = p;
    uint64_t seqs[8];
    for (;;) {
        ssize_t n = ring_mpmc_pop_n_wait(c->m, seqs, 8);
        if (n == -EPIPE)
            return NULL;
        if (n < 0) {
            FAIL("worker pop: %zd", n);
            return NULL;
        }
        for (ssize_t i = n - 1; i >= 0; i--) { /* backwards: more disorder */
            unit *u = &c->units[seqs[i]];
            u->seq = seqs[i];
            u->check = check_of(seqs[i]);
            int rc = reorder_insert_wait(c->w, seqs[i], u);
            if (rc != 0)
                FAIL("worker insert %llu: %d", (unsigned long long)seqs[i], rc);
        }
    }
}

static void consume(reorder *w)
{
    for (uint64_t expect = 0; expect < g_items; expect++) {
        void *it;
        int rc = reorder_take_wait(w, &it);
        if (rc != 0) {
            FAIL("take %llu: %d", (unsigned long long)expect, rc);
            return;
        }
        unit *u = it;
        if (u->seq != expect || u->check != check_of(expect) || u->taken) {
            FAIL("took seq %llu (taken %d), expected %llu", (unsigned long long)u->seq, u->taken,
                 (unsigned long long)expect);
            return;
        }
        u->taken = 1;
    }
    void *it;
    if (reorder_take(w, &it) != -EAGAIN)
        FAIL("an item after the last");
}

/* n items through a window of `window` slots. */
static void run_direct(size_t window, uint64_t n)
{
    double t0 = now_s();
    uint64_t saved = g_items; /* the producers and the consumer count to g_items */
    g_items = n;
    reorder *w;
    unit *units = calloc(g_items, sizeof *units);
    if (!units || reorder_create(&w, window, 0) != 0) {
        FAIL("create");
        g_items = saved;
        free(units);
        return;
    }
    ctx c[NPROD];
    pthread_t t[NPROD];
    for (unsigned i = 0; i < NPROD; i++) {
        c[i] = (ctx){.w = w, .units = units, .window = window, .id = i};
        pthread_create(&t[i], NULL, producer, &c[i]);
    }
    consume(w);
    for (unsigned i = 0; i < NPROD; i++)
        pthread_join(t[i], NULL);
    reorder_close(w);
    reorder_free(w);
    free(units);
    printf("reorder_stress: 2 producers out of order, window %zu: %llu items, %.2f s\n", window,
           (unsigned long long)g_items, now_s() - t0);
    g_items = saved;
}

/* splitter (this thread) -> mpmc -> 2 workers -> reorder -> writer thread. */
typedef struct writer_arg {
    reorder *w;
} writer_arg;

static void *writer(void *p)
{
    consume(((writer_arg *)p)->w);
    return NULL;
}

static void run_pipeline(size_t window)
{
    double t0 = now_s();
    reorder *w;
    ring_mpmc *m;
    unit *units = calloc(g_items, sizeof *units);
    if (!units || reorder_create(&w, window, 0) != 0) {
        FAIL("create");
        free(units);
        return;
    }
    /* Units in flight: ring + what workers hold (8 each) must fit the window. */
    if (ring_mpmc_create(&m, window / 4, sizeof(uint64_t)) != 0) {
        FAIL("create ring");
        reorder_free(w);
        free(units);
        return;
    }
    ctx c[NPROD];
    pthread_t t[NPROD], tw;
    writer_arg wa = {w};
    pthread_create(&tw, NULL, writer, &wa);
    for (unsigned i = 0; i < NPROD; i++) {
        c[i] = (ctx){.w = w, .m = m, .units = units, .window = window, .id = i};
        pthread_create(&t[i], NULL, worker, &c[i]);
    }
    for (uint64_t s = 0; s < g_items; s++)
        if (ring_mpmc_push_wait(m, &s) != 0)
            FAIL("splitter push");
    ring_mpmc_close(m);
    for (unsigned i = 0; i < NPROD; i++)
        pthread_join(t[i], NULL);
    pthread_join(tw, NULL);
    reorder_free(w);
    ring_mpmc_free(m);
    free(units);
    printf("reorder_stress: splitter -> mpmc -> 2 workers -> window %zu: %llu items, %.2f s\n",
           window, (unsigned long long)g_items, now_s() - t0);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        g_items = strtoull(argv[1], NULL, 10);
    if (g_items == 0) {
        fprintf(stderr, "usage: reorder_stress [ITEMS]\n");
        return 2;
    }
    alarm(120);
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* A window of 4 sleeps and wakes on almost every item: fewer of them. */
    run_direct(4, g_items / 10 + 1);
    run_direct(64, g_items);
    run_pipeline(64);
    printf("reorder_stress: %s\n", g_failed ? "FAILED" : "ok");
    return g_failed ? 1 : 0;
}
