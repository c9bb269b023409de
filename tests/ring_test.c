/* ring_ and reorder_: single-thread semantics (order, batches, full/empty,
 * close) and two-thread hand-offs (sleeping sides woken by the other side
 * and by close). The TSan stress programs are in tests/tsan/. */
#define _GNU_SOURCE

#include "claimd/reorder.h"
#include "claimd/ring.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- create --------------------------------------------------------------- */

Test(ring, create_rejects_bad_args)
{
    ring_spsc *s = NULL;
    ring_mpmc *m = NULL;
    cr_assert_eq(ring_spsc_create(&s, 0, 8), -EINVAL);
    cr_assert_eq(ring_spsc_create(&s, 1, 8), -EINVAL);
    cr_assert_eq(ring_spsc_create(&s, 12, 8), -EINVAL);
    cr_assert_eq(ring_spsc_create(&s, 16, 0), -EINVAL);
    cr_assert_eq(ring_spsc_create(&s, 16, 5000), -EINVAL);
    cr_assert_eq(ring_spsc_create(NULL, 16, 8), -EINVAL);
    cr_assert_eq(ring_mpmc_create(&m, 6, 8), -EINVAL);
    cr_assert_eq(ring_mpmc_create(&m, 8, 0), -EINVAL);
    cr_assert_null(s);
    cr_assert_null(m);
    ring_spsc_free(NULL);
    ring_mpmc_free(NULL);
    reorder *w = NULL;
    cr_assert_eq(reorder_create(&w, 3, 0), -EINVAL);
    cr_assert_eq(reorder_create(&w, 0, 0), -EINVAL);
    cr_assert_null(w);
    reorder_free(NULL);
}

/* ---- spsc, one thread ------------------------------------------------------------ */

Test(ring, spsc_fifo_full_empty)
{
    ring_spsc *r;
    cr_assert_eq(ring_spsc_create(&r, 8, sizeof(uint64_t)), 0);
    cr_assert_eq(ring_spsc_capacity(r), 8);
    uint64_t v = 0;
    cr_assert_eq(ring_spsc_pop(r, &v), -EAGAIN);
    for (uint64_t round = 0; round < 5; round++) { /* several laps: wrap-around */
        for (uint64_t i = 0; i < 8; i++)
            cr_assert_eq(ring_spsc_push(r, &(uint64_t){round * 100 + i}), 0);
        cr_assert_eq(ring_spsc_push(r, &v), -EAGAIN);
        cr_assert_eq(ring_spsc_count(r), 8);
        for (uint64_t i = 0; i < 8; i++) {
            cr_assert_eq(ring_spsc_pop(r, &v), 0);
            cr_assert_eq(v, round * 100 + i);
        }
        cr_assert_eq(ring_spsc_pop(r, &v), -EAGAIN);
    }
    ring_spsc_free(r);
}

Test(ring, spsc_pointers_and_structs)
{
    ring_spsc *r;
    cr_assert_eq(ring_spsc_create(&r, 4, sizeof(void *)), 0);
    int a, b;
    void *p = &a;
    cr_assert_eq(ring_spsc_push(r, &p), 0);
    p = &b;
    cr_assert_eq(ring_spsc_push(r, &p), 0);
    cr_assert_eq(ring_spsc_pop(r, &p), 0);
    cr_assert_eq(p, &a);
    cr_assert_eq(ring_spsc_pop(r, &p), 0);
    cr_assert_eq(p, &b);
    ring_spsc_free(r);

    typedef struct {
        uint32_t a;
        char s[20];
    } item;
    cr_assert_eq(ring_spsc_create(&r, 4, sizeof(item)), 0);
    item in = {7, "twenty-four bytes!"}, out;
    cr_assert_eq(ring_spsc_push(r, &in), 0);
    cr_assert_eq(ring_spsc_pop(r, &out), 0);
    cr_assert_eq(memcmp(&in, &out, sizeof in), 0);
    ring_spsc_free(r);
}

Test(ring, spsc_batches_wrap)
{
    ring_spsc *r;
    cr_assert_eq(ring_spsc_create(&r, 16, sizeof(uint32_t)), 0);
    uint32_t in[40], out[40], next_in = 0, next_out = 0;
    /* Odd batch sizes walk the start position through every slot. */
    for (int step = 0; step < 200; step++) {
        size_t n = (size_t)(step % 7) + 1;
        for (size_t i = 0; i < n; i++)
            in[i] = next_in + (uint32_t)i;
        ssize_t k = ring_spsc_push_n(r, in, n);
        cr_assert(k > 0 && (size_t)k <= n, "push_n %zd", k);
        next_in += (uint32_t)k;
        ssize_t m = ring_spsc_pop_n(r, out, (size_t)(step % 5) + 1);
        cr_assert(m > 0);
        for (ssize_t i = 0; i < m; i++)
            cr_assert_eq(out[i], next_out++);
    }
    /* Fill completely: a batch larger than the room moves what fits. */
    while (ring_spsc_count(r) < 16) {
        for (size_t i = 0; i < 40; i++)
            in[i] = next_in + (uint32_t)i;
        ssize_t k = ring_spsc_push_n(r, in, 40);
        cr_assert(k > 0 && k <= 16);
        next_in += (uint32_t)k;
    }
    cr_assert_eq(ring_spsc_push_n(r, in, 3), -EAGAIN);
    cr_assert_eq(ring_spsc_push_n(r, in, 0), 0);
    ssize_t m = ring_spsc_pop_n(r, out, 40);
    cr_assert_eq(m, 16);
    for (ssize_t i = 0; i < m; i++)
        cr_assert_eq(out[i], next_out++);
    cr_assert_eq(ring_spsc_pop_n(r, out, 40), -EAGAIN);
    ring_spsc_free(r);
}

Test(ring, spsc_close_drains_then_epipe)
{
    ring_spsc *r;
    cr_assert_eq(ring_spsc_create(&r, 8, sizeof(int)), 0);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(ring_spsc_push(r, &i), 0);
    ring_spsc_close(r);
    ring_spsc_close(r); /* idempotent */
    int v = 42;
    cr_assert_eq(ring_spsc_push(r, &v), -EPIPE);
    cr_assert_eq(ring_spsc_push_n(r, &v, 1), -EPIPE);
    cr_assert_eq(ring_spsc_push_wait(r, &v), -EPIPE);
    cr_assert_eq(ring_spsc_pop(r, &v), 0);
    cr_assert_eq(v, 0);
    int two[2];
    cr_assert_eq(ring_spsc_pop_n_wait(r, two, 2), 2);
    cr_assert_eq(two[1], 2);
    cr_assert_eq(ring_spsc_pop(r, &v), -EPIPE);
    cr_assert_eq(ring_spsc_pop_n(r, two, 2), -EPIPE);
    cr_assert_eq(ring_spsc_pop_wait(r, &v), -EPIPE);
    ring_spsc_free(r);
}

/* ---- spsc, two threads ----------------------------------------------------------- */

#define XFER_N 200000u

typedef struct xfer {
    ring_spsc *s;
    ring_mpmc *m;
    unsigned id;    /* producer id (mpmc) */
    unsigned nprod; /* producers (mpmc) */
    int batch;      /* use the _n calls */
    uint64_t sum;   /* consumer: sum of values */
    uint64_t count; /* consumer: items */
    int bad;        /* consumer: order violations */
    int rc;         /* last return code */
} xfer;

static void *spsc_producer(void *arg)
{
    xfer *x = arg;
    uint64_t buf[37];
    for (uint64_t i = 0; i < XFER_N;) {
        if (!x->batch) {
            x->rc = ring_spsc_push_wait(x->s, &i);
            i++;
            continue;
        }
        size_t n = 1 + (size_t)(i % 37);
        if (n > XFER_N - i)
            n = XFER_N - i;
        for (size_t k = 0; k < n; k++)
            buf[k] = i + k;
        /* No cr_assert off the test's thread: failures are counted. */
        x->bad += ring_spsc_push_n_wait(x->s, buf, n) != (ssize_t)n;
        i += n;
    }
    ring_spsc_close(x->s);
    return NULL;
}

static void *spsc_consumer(void *arg)
{
    xfer *x = arg;
    uint64_t buf[64], expect = 0;
    for (;;) {
        ssize_t n;
        if (x->batch) {
            n = ring_spsc_pop_n_wait(x->s, buf, 1 + expect % 64);
        } else {
            int rc = ring_spsc_pop_wait(x->s, buf);
            n = rc < 0 ? rc : 1;
        }
        if (n < 0) {
            x->rc = (int)n;
            return NULL;
        }
        for (ssize_t k = 0; k < n; k++)
            x->bad += buf[k] != expect++;
        x->count += (uint64_t)n;
    }
}

static void spsc_two_threads(int batch, size_t cap)
{
    xfer p = {.batch = batch}, c = {.batch = batch};
    cr_assert_eq(ring_spsc_create(&p.s, cap, sizeof(uint64_t)), 0);
    c.s = p.s;
    pthread_t tp, tc;
    pthread_create(&tc, NULL, spsc_consumer, &c);
    pthread_create(&tp, NULL, spsc_producer, &p);
    pthread_join(tp, NULL);
    pthread_join(tc, NULL);
    cr_assert_eq(c.count, XFER_N);
    cr_assert_eq(c.bad, 0);
    cr_assert_eq(p.bad, 0);
    cr_assert(p.rc == 0);
    cr_assert_eq(c.rc, -EPIPE);
    ring_spsc_free(p.s);
}

Test(ring, spsc_two_threads_single)
{
    spsc_two_threads(0, 4); /* tiny: both sides keep sleeping and waking */
    spsc_two_threads(0, 1024);
}

Test(ring, spsc_two_threads_batch)
{
    spsc_two_threads(1, 8);
    spsc_two_threads(1, 4096);
}

static void *pop_wait_one(void *arg)
{
    xfer *x = arg;
    uint64_t v = 0;
    x->rc = ring_spsc_pop_wait(x->s, &v);
    x->sum = v;
    return NULL;
}

static void *push_wait_one(void *arg)
{
    xfer *x = arg;
    uint64_t v = 9;
    x->rc = ring_spsc_push_wait(x->s, &v);
    return NULL;
}

Test(ring, spsc_sleeper_woken_by_push_and_by_close)
{
    xfer x = {.rc = 1};
    cr_assert_eq(ring_spsc_create(&x.s, 2, sizeof(uint64_t)), 0);
    pthread_t t;
    /* A consumer asleep on an empty ring wakes for a push. */
    pthread_create(&t, NULL, pop_wait_one, &x);
    sleep_ms(50);
    cr_assert_eq(ring_spsc_push(x.s, &(uint64_t){77}), 0);
    pthread_join(t, NULL);
    cr_assert_eq(x.rc, 0);
    cr_assert_eq(x.sum, 77);
    /* A producer asleep on a full ring wakes for a pop. */
    cr_assert_eq(ring_spsc_push(x.s, &(uint64_t){1}), 0);
    cr_assert_eq(ring_spsc_push(x.s, &(uint64_t){2}), 0);
    x.rc = 1;
    pthread_create(&t, NULL, push_wait_one, &x);
    sleep_ms(50);
    uint64_t v;
    cr_assert_eq(ring_spsc_pop(x.s, &v), 0);
    pthread_join(t, NULL);
    cr_assert_eq(x.rc, 0);
    /* A producer asleep on a full ring wakes for close with -EPIPE. */
    x.rc = 1;
    pthread_create(&t, NULL, push_wait_one, &x);
    sleep_ms(50);
    ring_spsc_close(x.s);
    pthread_join(t, NULL);
    cr_assert_eq(x.rc, -EPIPE);
    ring_spsc_free(x.s);

    /* A consumer asleep on an empty ring wakes for close with -EPIPE. */
    cr_assert_eq(ring_spsc_create(&x.s, 2, sizeof(uint64_t)), 0);
    x.rc = 1;
    pthread_create(&t, NULL, pop_wait_one, &x);
    sleep_ms(50);
    ring_spsc_close(x.s);
    pthread_join(t, NULL);
    cr_assert_eq(x.rc, -EPIPE);
    ring_spsc_free(x.s);
}

/* ---- mpmc ------------------------------------------------------------------------ */

Test(ring, mpmc_fifo_full_empty_close)
{
    ring_mpmc *r;
    cr_assert_eq(ring_mpmc_create(&r, 4, sizeof(uint64_t)), 0);
    cr_assert_eq(ring_mpmc_capacity(r), 4);
    uint64_t v, buf[8];
    cr_assert_eq(ring_mpmc_pop(r, &v), -EAGAIN);
    for (uint64_t lap = 0; lap < 3; lap++) {
        for (uint64_t i = 0; i < 4; i++)
            cr_assert_eq(ring_mpmc_push(r, &(uint64_t){lap * 10 + i}), 0);
        cr_assert_eq(ring_mpmc_push(r, &v), -EAGAIN);
        for (uint64_t i = 0; i < 4; i++) {
            cr_assert_eq(ring_mpmc_pop(r, &v), 0);
            cr_assert_eq(v, lap * 10 + i);
        }
    }
    for (uint64_t i = 0; i < 8; i++)
        buf[i] = 100 + i;
    cr_assert_eq(ring_mpmc_push_n(r, buf, 3), 3);
    cr_assert_eq(ring_mpmc_push_n(r, buf + 3, 5), 1); /* what fits */
    cr_assert_eq(ring_mpmc_push_n(r, buf, 2), -EAGAIN);
    cr_assert_eq(ring_mpmc_pop_n(r, buf, 3), 3);
    cr_assert_eq(buf[0], 100);
    cr_assert_eq(buf[2], 102);
    ring_mpmc_close(r);
    cr_assert_eq(ring_mpmc_push(r, &v), -EPIPE);
    cr_assert_eq(ring_mpmc_pop_n_wait(r, buf, 8), 1);
    cr_assert_eq(buf[0], 103);
    cr_assert_eq(ring_mpmc_pop(r, &v), -EPIPE);
    cr_assert_eq(ring_mpmc_pop_wait(r, &v), -EPIPE);
    ring_mpmc_free(r);
}

/* Producer p sends (p << 32) | i for i < XFER_N. */
static void *mpmc_producer(void *arg)
{
    xfer *x = arg;
    uint64_t buf[16];
    for (uint64_t i = 0; i < XFER_N;) {
        size_t n = x->batch ? 1 + (size_t)(i % 16) : 1;
        if (n > XFER_N - i)
            n = XFER_N - i;
        for (size_t k = 0; k < n; k++)
            buf[k] = ((uint64_t)x->id << 32) | (i + k);
        x->bad += ring_mpmc_push_n_wait(x->m, buf, n) != (ssize_t)n;
        i += n;
    }
    return NULL;
}

/* Each consumer sees each producer's items in increasing order. */
static void *mpmc_consumer(void *arg)
{
    xfer *x = arg;
    uint64_t buf[16], last[4];
    memset(last, 0xff, sizeof last);
    for (;;) {
        ssize_t n = ring_mpmc_pop_n_wait(x->m, buf, x->batch ? 16 : 1);
        if (n < 0) {
            x->rc = (int)n;
            return NULL;
        }
        for (ssize_t k = 0; k < n; k++) {
            unsigned p = (unsigned)(buf[k] >> 32);
            uint64_t i = buf[k] & 0xffffffffu;
            x->bad += p >= x->nprod || (last[p] != UINT64_MAX && i <= last[p]);
            last[p] = i;
            x->sum += i;
        }
        x->count += (uint64_t)n;
    }
}

static void mpmc_two_by_two(int batch, size_t cap)
{
    ring_mpmc *m;
    cr_assert_eq(ring_mpmc_create(&m, cap, sizeof(uint64_t)), 0);
    xfer p[2], c[2];
    pthread_t tp[2], tc[2];
    for (unsigned i = 0; i < 2; i++) {
        p[i] = (xfer){.m = m, .id = i, .nprod = 2, .batch = batch};
        c[i] = p[i];
        pthread_create(&tc[i], NULL, mpmc_consumer, &c[i]);
    }
    for (unsigned i = 0; i < 2; i++)
        pthread_create(&tp[i], NULL, mpmc_producer, &p[i]);
    for (unsigned i = 0; i < 2; i++)
        pthread_join(tp[i], NULL);
    ring_mpmc_close(m);
    for (unsigned i = 0; i < 2; i++)
        pthread_join(tc[i], NULL);
    uint64_t n = XFER_N;
    cr_assert_eq(c[0].count + c[1].count, 2 * n);
    cr_assert_eq(c[0].sum + c[1].sum, n * (n - 1)); /* 2 * sum(0..n-1) */
    cr_assert_eq(c[0].bad + c[1].bad + p[0].bad + p[1].bad, 0);
    cr_assert_eq(c[0].rc, -EPIPE);
    cr_assert_eq(c[1].rc, -EPIPE);
    ring_mpmc_free(m);
}

Test(ring, mpmc_two_producers_two_consumers)
{
    mpmc_two_by_two(0, 4);
    mpmc_two_by_two(0, 256);
    mpmc_two_by_two(1, 8);
    mpmc_two_by_two(1, 1024);
}

/* ---- reorder -------------------------------------------------------------------- */

Test(reorder, out_of_order_in_order_out)
{
    reorder *w;
    cr_assert_eq(reorder_create(&w, 8, 100), 0);
    int items[8];
    void *it;
    cr_assert_eq(reorder_take(w, &it), -EAGAIN);
    static const int perm[8] = {3, 1, 7, 0, 2, 6, 4, 5};
    for (int i = 0; i < 8; i++)
        cr_assert_eq(reorder_insert(w, 100 + (uint64_t)perm[i], &items[perm[i]]), 0);
    cr_assert_eq(reorder_pending(w), 8);
    cr_assert_eq(reorder_insert(w, 108, &items[0]), -EAGAIN); /* beyond the window */
    cr_assert_eq(reorder_insert(w, 103, &items[3]), -EEXIST);
    cr_assert_eq(reorder_insert(w, 99, &items[0]), -EINVAL);
    cr_assert_eq(reorder_insert(w, 109, NULL), -EINVAL);
    for (int i = 0; i < 8; i++) {
        cr_assert_eq(reorder_take(w, &it), 0);
        cr_assert_eq(it, &items[i]);
        cr_assert_eq(reorder_next(w), 101 + (uint64_t)i);
    }
    cr_assert_eq(reorder_take(w, &it), -EAGAIN);
    cr_assert_eq(reorder_insert(w, 100, &items[0]), -EINVAL); /* already taken */
    /* The second lap of every slot. */
    cr_assert_eq(reorder_insert(w, 109, &items[1]), 0);
    cr_assert_eq(reorder_take(w, &it), -EAGAIN);
    cr_assert_eq(reorder_insert(w, 108, &items[0]), 0);
    cr_assert_eq(reorder_take(w, &it), 0);
    cr_assert_eq(it, &items[0]);
    cr_assert_eq(reorder_take(w, &it), 0);
    cr_assert_eq(it, &items[1]);
    reorder_free(w);
}

Test(reorder, close_with_gap)
{
    reorder *w;
    cr_assert_eq(reorder_create(&w, 4, 0), 0);
    int a, c;
    cr_assert_eq(reorder_insert(w, 0, &a), 0);
    cr_assert_eq(reorder_insert(w, 2, &c), 0);
    reorder_close(w);
    void *it;
    cr_assert_eq(reorder_insert(w, 1, &a), -EPIPE);
    cr_assert_eq(reorder_take_wait(w, &it), 0);
    cr_assert_eq(it, &a);
    cr_assert_eq(reorder_take(w, &it), -EPIPE); /* 1 never came */
    cr_assert_eq(reorder_take_wait(w, &it), -EPIPE);
    cr_assert_eq(reorder_pending(w), 1);
    reorder_free(w);
}

typedef struct rx {
    reorder *w;
    uint64_t seq;
    int rc;
} rx;

static void *insert_wait_one(void *arg)
{
    rx *x = arg;
    x->rc = reorder_insert_wait(x->w, x->seq, &x->seq);
    return NULL;
}

static void *take_wait_one(void *arg)
{
    rx *x = arg;
    void *it = NULL;
    x->rc = reorder_take_wait(x->w, &it);
    x->seq = it ? *(uint64_t *)it : UINT64_MAX;
    return NULL;
}

Test(reorder, sleepers_woken)
{
    reorder *w;
    cr_assert_eq(reorder_create(&w, 2, 0), 0);
    int a;
    /* An insert beyond the window sleeps until a take makes room. */
    cr_assert_eq(reorder_insert(w, 0, &a), 0);
    rx ins = {w, 2, 1};
    pthread_t t;
    pthread_create(&t, NULL, insert_wait_one, &ins);
    sleep_ms(50);
    cr_assert_eq(ins.rc, 1, "insert of 2 did not wait");
    void *it;
    cr_assert_eq(reorder_take(w, &it), 0);
    pthread_join(t, NULL);
    cr_assert_eq(ins.rc, 0);
    /* The consumer sleeps for 1 and ignores 2 already there. */
    rx tk = {w, 0, 1};
    pthread_create(&t, NULL, take_wait_one, &tk);
    sleep_ms(50);
    cr_assert_eq(tk.rc, 1, "take returned before 1 was inserted");
    uint64_t one = 1;
    cr_assert_eq(reorder_insert(w, 1, &one), 0);
    pthread_join(t, NULL);
    cr_assert_eq(tk.rc, 0);
    cr_assert_eq(tk.seq, 1);
    cr_assert_eq(reorder_take(w, &it), 0);
    cr_assert_eq(it, &ins.seq);
    /* Close wakes a sleeping consumer and a sleeping producer. */
    tk.rc = 1;
    pthread_create(&t, NULL, take_wait_one, &tk);
    ins = (rx){w, 9, 1};
    pthread_t t2;
    pthread_create(&t2, NULL, insert_wait_one, &ins);
    sleep_ms(50);
    reorder_close(w);
    pthread_join(t, NULL);
    pthread_join(t2, NULL);
    cr_assert_eq(tk.rc, -EPIPE);
    cr_assert_eq(ins.rc, -EPIPE);
    reorder_free(w);
}
