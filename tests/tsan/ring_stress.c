/* ring_stress: hammers ring_spsc (1 producer, 1 consumer) and ring_mpmc
 * (2 producers, 2 consumers) with small rings, so both sides keep filling,
 * draining, spinning and sleeping, and checks that every item arrives
 * exactly once, untorn, and in order (per producer for mpmc).
 *
 * A plain pthread program (Criterion does not run under ThreadSanitizer):
 * exit 0 on success, 1 on a failed check; ctest runs it with LABELS tsan
 * (-DCLAIMD_TSAN=ON) or stress. Usage: ring_stress [ITEMS] (default 200000
 * per producer). An alarm ends a hung run.
 */
#define _GNU_SOURCE

#include "claimd/ring.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NPROD 2
#define NCONS 2

static uint64_t g_items = 200000;
static int g_failed;

/* A 16-byte slot: a torn copy breaks the check word. */
typedef struct msg {
    uint64_t v;
    uint64_t check;
} msg;

static uint64_t check_of(uint64_t v)
{
    return ~v * 0x9E3779B97F4A7C15ull;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "ring_stress: " __VA_ARGS__);                                              \
        fputc('\n', stderr);                                                                       \
        __atomic_store_n(&g_failed, 1, __ATOMIC_RELAXED);                                          \
    } while (0)

/* ---- spsc ---------------------------------------------------------------------- */

typedef struct spsc_arg {
    ring_spsc *r;
    int batch;
} spsc_arg;

static void *spsc_prod(void *p)
{
    spsc_arg *a = p;
    msg buf[48];
    unsigned rnd = 1;
    for (uint64_t i = 0; i < g_items;) {
        size_t n = 1;
        if (a->batch) {
            rnd = rnd * 1103515245u + 12345u;
            n = 1 + (rnd >> 16) % 48;
            if (n > g_items - i)
                n = (size_t)(g_items - i);
        }
        for (size_t k = 0; k < n; k++)
            buf[k] = (msg){i + k, check_of(i + k)};
        ssize_t rc = n == 1 ? (ring_spsc_push_wait(a->r, buf) == 0 ? 1 : -1)
                            : ring_spsc_push_n_wait(a->r, buf, n);
        if (rc != (ssize_t)n)
            FAIL("spsc push returned %zd", rc);
        i += n;
    }
    ring_spsc_close(a->r);
    return NULL;
}

static void *spsc_cons(void *p)
{
    spsc_arg *a = p;
    msg buf[64];
    uint64_t expect = 0;
    for (;;) {
        ssize_t n;
        if (a->batch) {
            n = ring_spsc_pop_n_wait(a->r, buf, 1 + (size_t)(expect % 64));
        } else {
            int rc = ring_spsc_pop_wait(a->r, buf);
            n = rc < 0 ? rc : 1;
        }
        if (n == -EPIPE)
            break;
        if (n < 0) {
            FAIL("spsc pop returned %zd", n);
            return NULL;
        }
        for (ssize_t k = 0; k < n; k++, expect++)
            if (buf[k].v != expect || buf[k].check != check_of(buf[k].v)) {
                FAIL("spsc: got %llu, expected %llu", (unsigned long long)buf[k].v,
                     (unsigned long long)expect);
                return NULL;
            }
    }
    if (expect != g_items)
        FAIL("spsc: %llu items arrived of %llu", (unsigned long long)expect,
             (unsigned long long)g_items);
    return NULL;
}

static void run_spsc(int batch, size_t cap)
{
    double t0 = now_s();
    spsc_arg a = {.batch = batch};
    if (ring_spsc_create(&a.r, cap, sizeof(msg)) != 0) {
        FAIL("spsc create");
        return;
    }
    pthread_t tp, tc;
    pthread_create(&tc, NULL, spsc_cons, &a);
    pthread_create(&tp, NULL, spsc_prod, &a);
    pthread_join(tp, NULL);
    pthread_join(tc, NULL);
    ring_spsc_free(a.r);
    printf("ring_stress: spsc 1P/1C %s cap %zu: %llu items, %.2f s\n", batch ? "batch" : "single",
           cap, (unsigned long long)g_items, now_s() - t0);
}

/* ---- mpmc ---------------------------------------------------------------------- */

typedef struct mpmc_arg {
    ring_mpmc *r;
    unsigned id;
    unsigned char *seen; /* [NPROD][g_items]: set once by whichever consumer */
    uint64_t count;
} mpmc_arg;

static void *mpmc_prod(void *p)
{
    mpmc_arg *a = p;
    msg buf[16];
    for (uint64_t i = 0; i < g_items;) {
        size_t n = 1 + (size_t)((i / 7) % 16); /* singles and batches mixed */
        if (n > g_items - i)
            n = (size_t)(g_items - i);
        for (size_t k = 0; k < n; k++) {
            uint64_t v = ((uint64_t)a->id << 40) | (i + k);
            buf[k] = (msg){v, check_of(v)};
        }
        ssize_t rc = n == 1 ? (ring_mpmc_push_wait(a->r, buf) == 0 ? 1 : -1)
                            : ring_mpmc_push_n_wait(a->r, buf, n);
        if (rc != (ssize_t)n)
            FAIL("mpmc push returned %zd", rc);
        i += n;
    }
    return NULL;
}

static void *mpmc_cons(void *p)
{
    mpmc_arg *a = p;
    msg buf[16];
    uint64_t last[NPROD];
    memset(last, 0xff, sizeof last);
    for (unsigned turn = 0;; turn++) {
        ssize_t n = ring_mpmc_pop_n_wait(a->r, buf, 1 + turn % 16);
        if (n == -EPIPE)
            return NULL;
        if (n < 0) {
            FAIL("mpmc pop returned %zd", n);
            return NULL;
        }
        for (ssize_t k = 0; k < n; k++) {
            uint64_t prod = buf[k].v >> 40, i = buf[k].v & (((uint64_t)1 << 40) - 1);
            if (buf[k].check != check_of(buf[k].v) || prod >= NPROD || i >= g_items) {
                FAIL("mpmc: torn or foreign item %llx", (unsigned long long)buf[k].v);
                return NULL;
            }
            /* FIFO: one consumer sees one producer's items in increasing order. */
            if (last[prod] != UINT64_MAX && i <= last[prod])
                FAIL("mpmc: producer %llu item %llu after %llu", (unsigned long long)prod,
                     (unsigned long long)i, (unsigned long long)last[prod]);
            last[prod] = i;
            unsigned char *s = &a->seen[prod * g_items + i];
            if (*s)
                FAIL("mpmc: item %llx twice", (unsigned long long)buf[k].v);
            *s = 1; /* a duplicate racing here is also a TSan report */
        }
        a->count += (uint64_t)n;
    }
}

static void run_mpmc(size_t cap)
{
    double t0 = now_s();
    ring_mpmc *r;
    unsigned char *seen = calloc(NPROD, g_items);
    if (!seen || ring_mpmc_create(&r, cap, sizeof(msg)) != 0) {
        FAIL("mpmc create");
        free(seen);
        return;
    }
    mpmc_arg prod[NPROD], cons[NCONS];
    pthread_t tp[NPROD], tc[NCONS];
    for (unsigned i = 0; i < NCONS; i++) {
        cons[i] = (mpmc_arg){.r = r, .seen = seen};
        pthread_create(&tc[i], NULL, mpmc_cons, &cons[i]);
    }
    for (unsigned i = 0; i < NPROD; i++) {
        prod[i] = (mpmc_arg){.r = r, .id = i};
        pthread_create(&tp[i], NULL, mpmc_prod, &prod[i]);
    }
    for (unsigned i = 0; i < NPROD; i++)
        pthread_join(tp[i], NULL);
    ring_mpmc_close(r); /* consumers drain, then see -EPIPE */
    uint64_t total = 0;
    for (unsigned i = 0; i < NCONS; i++) {
        pthread_join(tc[i], NULL);
        total += cons[i].count;
    }
    uint64_t missing = 0;
    for (uint64_t i = 0; i < NPROD * g_items; i++)
        missing += !seen[i];
    if (total != NPROD * g_items || missing)
        FAIL("mpmc: %llu items arrived of %llu, %llu missing", (unsigned long long)total,
             (unsigned long long)(NPROD * g_items), (unsigned long long)missing);
    free(seen);
    ring_mpmc_free(r);
    printf("ring_stress: mpmc 2P/2C cap %zu: %llu items, %.2f s\n", cap, (unsigned long long)total,
           now_s() - t0);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        g_items = strtoull(argv[1], NULL, 10);
    if (g_items == 0 || g_items >= ((uint64_t)1 << 40)) {
        fprintf(stderr, "usage: ring_stress [ITEMS]\n");
        return 2;
    }
    alarm(120); /* a lost wake-up hangs: fail rather than wait for ctest */
    setvbuf(stdout, NULL, _IOLBF, 0);
    run_spsc(0, 4);
    run_spsc(0, 64);
    run_spsc(1, 64);
    run_mpmc(4);
    run_mpmc(64);
    printf("ring_stress: %s\n", g_failed ? "FAILED" : "ok");
    return g_failed ? 1 : 0;
}
