/* bench_parse: single-thread X12 parse throughput, from the page-cache floor
 * up to the full 837 walk, over one large file streamed through a fixed
 * buffer (memory does not grow with the file).
 *
 *   bench_parse [options] [FILE]     measure FILE (generated when absent)
 *   bench_parse --gen FILE [--size MB]   only write a synthetic 837P file
 *
 * Options:
 *   --size MB      size of the generated file (default 512; MB = 10^6 bytes)
 *   --reps N       runs of each measurement, the best and the median are shown (3)
 *   --buf KIB      read size of every mode (1024); the walk goes through
 *                  xfeed_fd(), which raises it to XFEED_BUF_MIN
 *   --modes LIST   comma-separated: read,memchr,tok,walk (all)
 *   --no-scalar    skip the forced-scalar runs of tok and walk
 *   --tok IMPL     cap the tokenizer at avx512, avx2 or scalar (default: the best)
 *   --keep         keep the generated file (it is deleted by default)
 *   --json         print one JSON object instead of the table
 *
 * Modes:
 *   read    read(2) of the whole file into the buffer (page-cache floor)
 *   memchr  read + memchr() for the segment terminator (a counting floor)
 *   tok     read + x12_tok_next() over every segment, the tail carried over
 *   walk    xfeed_fd() into an x12 walker with a counting sink: everything
 *
 * The generated file is one synthetic 837P interchange of about 1000 claims
 * (1-6 service lines, 1-8 diagnoses, valid NPIs, correct SE/GE/IEA counts),
 * repeated with distinct ISA13 control numbers up to the size. It contains
 * no real data.
 */
#define _POSIX_C_SOURCE 200809L

#include "claimd/x12.h"
#include "claimd/xfeed.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* jemalloc's mallctl when jemalloc is linked (the default build), else NULL. */
extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen)
    __attribute__((weak));

#define BP_CLAIMS_PER_ICHG 1000
#define BP_MAX_REPS        15

/* ---- a deterministic generator ------------------------------------------ */

typedef struct bp_buf {
    char *p;
    size_t n, cap;
} bp_buf;

static void bp_put(bp_buf *b, const char *s, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1 << 20;
        while (cap < b->n + n)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            perror("bench_parse: realloc");
            exit(1);
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void bp_puts(bp_buf *b, const char *s)
{
    bp_put(b, s, strlen(s));
}

/* Appends one segment ("~\n" terminated) and counts it. */
__attribute__((format(printf, 3, 4))) static void bp_seg(bp_buf *b, unsigned *nseg, const char *fmt,
                                                         ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp - 2, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp - 2) {
        fprintf(stderr, "bench_parse: segment too long\n");
        exit(1);
    }
    tmp[n++] = '~';
    tmp[n++] = '\n';
    bp_put(b, tmp, (size_t)n);
    (*nseg)++;
}

static uint64_t bp_rng = 0x2545F4914F6CDD1Du;

static uint32_t bp_rand(uint32_t n)
{
    bp_rng ^= bp_rng << 13;
    bp_rng ^= bp_rng >> 7;
    bp_rng ^= bp_rng << 17;
    return (uint32_t)((bp_rng >> 11) % n);
}

/* A 10-digit NPI with its Luhn check digit (prefix 80840). */
static void bp_npi(char out[11], uint32_t base9)
{
    char d[10];
    snprintf(d, sizeof d, "%09u", 100000000u + base9 % 800000000u);
    int sum = 24; /* the 80840 prefix */
    for (int i = 0; i < 9; i++) {
        int v = d[8 - i] - '0';
        if (i % 2 == 0) {
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
    }
    snprintf(out, 11, "%s%d", d, (10 - sum % 10) % 10);
}

static const char *const bp_dx[] = {"E119",  "I10",   "E785", "J069",  "M545",   "R0789",
                                    "Z0000", "K219",  "F329", "M1711", "N390",   "J029",
                                    "E669",  "G4733", "I480", "R51",   "M25561", "L409"};
static const struct {
    const char *code;
    int cents;
} bp_cpt[] = {{"99213", 9800},  {"99214", 13500}, {"99215", 19000}, {"36415", 2000},
              {"93000", 6500},  {"80053", 4500},  {"85025", 3000},  {"97110", 4000},
              {"20610", 22000}, {"J1030", 1500},  {"71046", 8500},  {"90471", 2500}};
static const char *const bp_mod[] = {"25", "59", "RT", "LT", "GP", "QW"};

/* One claim: a subscriber HL (and sometimes a patient HL), CLM, HI, an
 * optional rendering provider, 1-6 lines. */
static void bp_claim(bp_buf *b, unsigned *nseg, unsigned *hl, unsigned k)
{
    int patient = bp_rand(10) < 3;
    unsigned sub_hl = (*hl)++;
    bp_seg(b, nseg, "HL*%u*1*22*%d", sub_hl, patient);
    bp_seg(b, nseg, "SBR*P*%s*GRP%04u******CI", patient ? "" : "18", bp_rand(10000));
    bp_seg(b, nseg, "NM1*IL*1*TESTPATIENT*MEMBER%u****MI*SYN%09u", k, bp_rand(1000000000));
    bp_seg(b, nseg, "N3*%u SYNTHETIC WAY", 1 + bp_rand(9000));
    bp_seg(b, nseg, "N4*SPRINGFIELD*IL*627%02u", bp_rand(100));
    bp_seg(b, nseg, "DMG*D8*19%02u%02u%02u*%c", 30 + bp_rand(70), 1 + bp_rand(12), 1 + bp_rand(28),
           bp_rand(2) ? 'F' : 'M');
    bp_seg(b, nseg, "NM1*PR*2*DEMO HEALTH PLAN*****PI*DEMOPAYER%u", 1 + bp_rand(5));
    if (patient) {
        bp_seg(b, nseg, "HL*%u*%u*23*0", (*hl)++, sub_hl);
        bp_seg(b, nseg, "PAT*19");
        bp_seg(b, nseg, "NM1*QC*1*TESTPATIENT*CHILD%u", k);
        bp_seg(b, nseg, "N3*%u SYNTHETIC WAY", 1 + bp_rand(9000));
        bp_seg(b, nseg, "N4*SPRINGFIELD*IL*62704");
        bp_seg(b, nseg, "DMG*D8*20%02u%02u%02u*%c", 5 + bp_rand(15), 1 + bp_rand(12),
               1 + bp_rand(28), bp_rand(2) ? 'F' : 'M');
    }
    unsigned nlines = 1 + bp_rand(6), ndx = 1 + bp_rand(8);
    unsigned idx[6], units[6];
    long total = 0;
    for (unsigned i = 0; i < nlines; i++) {
        idx[i] = bp_rand(sizeof bp_cpt / sizeof bp_cpt[0]);
        units[i] = 1 + (bp_rand(5) == 0) * bp_rand(4);
        total += (long)bp_cpt[idx[i]].cents * units[i];
    }
    int freq7 = bp_rand(20) == 0;
    bp_seg(b, nseg, "CLM*BENCH-%06u*%ld.%02ld***11:B:%c*Y*A*Y*Y", k, total / 100, total % 100,
           freq7 ? '7' : '1');
    if (freq7)
        bp_seg(b, nseg, "REF*F8*PAYERCLM%08u", bp_rand(100000000));
    char hi[256];
    size_t o = (size_t)snprintf(hi, sizeof hi, "HI");
    for (unsigned i = 0; i < ndx; i++)
        o += (size_t)snprintf(hi + o, sizeof hi - o, "*%s:%s", i ? "ABF" : "ABK",
                              bp_dx[bp_rand(sizeof bp_dx / sizeof bp_dx[0])]);
    bp_seg(b, nseg, "%s", hi);
    if (bp_rand(3) == 0) {
        char npi[11];
        bp_npi(npi, bp_rand(800000000));
        bp_seg(b, nseg, "NM1*82*1*TESTDOC*RENDER%u****XX*%s", bp_rand(100), npi);
        bp_seg(b, nseg, "PRV*PE*PXC*207Q00000X");
    }
    unsigned day = 1 + bp_rand(28);
    for (unsigned i = 0; i < nlines; i++) {
        bp_seg(b, nseg, "LX*%u", i + 1);
        char mods[16] = "";
        if (bp_rand(4) == 0)
            snprintf(mods, sizeof mods, ":%s", bp_mod[bp_rand(sizeof bp_mod / sizeof bp_mod[0])]);
        char ptrs[16];
        unsigned np = 1 + bp_rand(ndx < 4 ? ndx : 4);
        size_t po = 0;
        for (unsigned j = 0; j < np; j++)
            po += (size_t)snprintf(ptrs + po, sizeof ptrs - po, "%s%u", j ? ":" : "", j + 1);
        long ch = (long)bp_cpt[idx[i]].cents * units[i];
        bp_seg(b, nseg, "SV1*HC:%s%s*%ld.%02ld*UN*%u***%s", bp_cpt[idx[i]].code, mods, ch / 100,
               ch % 100, units[i], ptrs);
        bp_seg(b, nseg, "DTP*472*D8*202503%02u", day);
    }
}

/* The GS..GE part of one interchange: a group with one 837P transaction. */
static void bp_group(bp_buf *b)
{
    unsigned nseg = 0, hl = 1;
    bp_puts(b, "GS*HC*BENCHSUBMIT*CLAIMDCH*20250310*1402*1*X*005010X222A1~\n");
    bp_seg(b, &nseg, "ST*837*0001*005010X222A1");
    bp_seg(b, &nseg, "BHT*0019*00*BENCH0001*20250310*1402*CH");
    bp_seg(b, &nseg, "NM1*41*2*BENCH SUBMITTER*****46*BENCHSUBMIT");
    bp_seg(b, &nseg, "PER*IC*SUBMITTER DESK*TE*5555550100");
    bp_seg(b, &nseg, "NM1*40*2*CLAIMD DEMO CLEARINGHOUSE*****46*CLAIMDCH");
    bp_seg(b, &nseg, "HL*%u**20*1", hl++);
    bp_seg(b, &nseg, "PRV*BI*PXC*207Q00000X");
    char npi[11];
    bp_npi(npi, 123456789);
    bp_seg(b, &nseg, "NM1*85*2*BENCH FAMILY MEDICINE*****XX*%s", npi);
    bp_seg(b, &nseg, "N3*100 MAIN ST");
    bp_seg(b, &nseg, "N4*SPRINGFIELD*IL*627010001");
    bp_seg(b, &nseg, "REF*EI*371234567");
    for (unsigned k = 0; k < BP_CLAIMS_PER_ICHG; k++)
        bp_claim(b, &nseg, &hl, k + 1);
    bp_seg(b, &nseg, "SE*%u*0001", nseg + 1);
    bp_puts(b, "GE*1*1~\n");
}

static int bp_write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes interchanges to path until it holds at least bytes. */
static int bp_generate(const char *path, uint64_t bytes)
{
    bp_buf g = {0};
    bp_group(&g);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "bench_parse: %s: %s\n", path, strerror(errno));
        return -1;
    }
    bp_buf chunk = {0};
    uint64_t done = 0;
    for (unsigned ctrl = 1; done < bytes; ctrl++) {
        char env[160];
        int n = snprintf(env, sizeof env,
                         "ISA*00*          *00*          *ZZ*BENCHSUBMIT    *ZZ*CLAIMDCH       "
                         "*250310*1402*^*00501*%09u*0*P*:~\n",
                         ctrl);
        bp_put(&chunk, env, (size_t)n);
        bp_put(&chunk, g.p, g.n);
        n = snprintf(env, sizeof env, "IEA*1*%09u~\n", ctrl);
        bp_put(&chunk, env, (size_t)n);
        if (chunk.n >= (8u << 20) || done + chunk.n >= bytes) {
            if (bp_write_all(fd, chunk.p, chunk.n) != 0) {
                fprintf(stderr, "bench_parse: write %s: %s\n", path, strerror(errno));
                close(fd);
                return -1;
            }
            done += chunk.n;
            chunk.n = 0;
        }
    }
    free(chunk.p);
    free(g.p);
    return close(fd);
}

/* ---- measuring ---------------------------------------------------------- */

static double bp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static ssize_t bp_read(int fd, char *p, size_t n)
{
    for (;;) {
        ssize_t r = read(fd, p, n);
        if (r >= 0 || errno != EINTR)
            return r;
    }
}

typedef struct bp_ctx {
    const char *path;
    size_t bufsize;
    char *buf; /* bufsize + room for a carried tail */
    size_t cap;
    x12_delims d;
    uint64_t bytes, count; /* bytes read, what the mode counted */
    uint64_t claims, lines;
    size_t heap_peak; /* sampled jemalloc stats.allocated */
} bp_ctx;

static int bp_open(const bp_ctx *c)
{
    int fd = open(c->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "bench_parse: %s: %s\n", c->path, strerror(errno));
        exit(1);
    }
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return fd;
}

static int bp_mode_read(bp_ctx *c)
{
    int fd = bp_open(c);
    ssize_t r;
    c->bytes = 0;
    while ((r = bp_read(fd, c->buf, c->bufsize)) > 0)
        c->bytes += (uint64_t)r;
    close(fd);
    c->count = c->bytes;
    return r < 0 ? -1 : 0;
}

static int bp_mode_memchr(bp_ctx *c)
{
    int fd = bp_open(c);
    ssize_t r;
    uint64_t n = 0;
    c->bytes = 0;
    while ((r = bp_read(fd, c->buf, c->bufsize)) > 0) {
        const char *p = c->buf, *end = c->buf + r;
        while ((p = memchr(p, c->d.seg, (size_t)(end - p))) != NULL) {
            n++;
            p++;
        }
        c->bytes += (uint64_t)r;
    }
    close(fd);
    c->count = n;
    return r < 0 ? -1 : 0;
}

/* The tokenizer alone, fed as xfeed feeds the walker: each read appends to
 * the unconsumed tail. */
static int bp_mode_tok(bp_ctx *c)
{
    int fd = bp_open(c);
    size_t len = 0;
    uint64_t base = 0, n = 0;
    ssize_t r;
    c->bytes = 0;
    while ((r = bp_read(fd, c->buf + len, c->bufsize)) > 0) {
        c->bytes += (uint64_t)r;
        len += (size_t)r;
        x12_tok t;
        x12_seg s;
        x12_tok_init(&t, c->buf, len, &c->d, base);
        while (x12_tok_next(&t, &s) == 1)
            n++;
        if (len - t.pos > c->cap - c->bufsize) {
            fprintf(stderr, "bench_parse: a segment longer than the buffer\n");
            close(fd);
            return -1;
        }
        memmove(c->buf, c->buf + t.pos, len - t.pos);
        base += t.pos;
        len -= t.pos;
    }
    close(fd);
    c->count = n;
    return r < 0 ? -1 : 0;
}

static size_t bp_allocated(void)
{
    if (!mallctl)
        return 0;
    uint64_t e = 1;
    size_t sz = sizeof e, v = 0, vl = sizeof v;
    mallctl("epoch", &e, &sz, &e, sz);
    if (mallctl("stats.allocated", &v, &vl, NULL, 0) != 0)
        return 0;
    return v;
}

static int bp_on_claim(void *ctx, const clm_claim *cl)
{
    bp_ctx *c = ctx;
    c->lines += cl->nlines;
    if ((++c->claims & 0xffff) == 0) {
        size_t a = bp_allocated();
        if (a > c->heap_peak)
            c->heap_peak = a;
    }
    return 0;
}

static int bp_mode_walk(bp_ctx *c)
{
    x12_sink sink = {.ctx = c, .claim = bp_on_claim};
    x12_walker *w;
    if (x12_walker_create(&sink, &w) != 0)
        return -1;
    c->claims = c->lines = 0;
    int fd = bp_open(c);
    xfeed_stats st;
    int rc = xfeed_fd(fd, w, c->bufsize, &st);
    close(fd);
    x12_walk_stats ws;
    x12_walker_stats(w, &ws);
    x12_walker_free(w);
    if (rc != 0) {
        fprintf(stderr, "bench_parse: walk failed: %d\n", rc);
        return -1;
    }
    c->bytes = st.bytes;
    c->count = ws.segments;
    size_t a = bp_allocated();
    if (a > c->heap_peak)
        c->heap_peak = a;
    return 0;
}

typedef struct bp_result {
    const char *mode, *impl;
    double best_mbps, median_mbps, best_s;
    uint64_t count;
} bp_result;

static int bp_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int bp_measure(bp_ctx *c, const char *mode, int (*fn)(bp_ctx *), const char *impl, int reps,
                      bp_result *out)
{
    double mbps[BP_MAX_REPS], best_s = 1e30;
    for (int i = 0; i < reps; i++) {
        double t0 = bp_now();
        if (fn(c) != 0)
            return -1;
        double s = bp_now() - t0;
        mbps[i] = (double)c->bytes / 1e6 / s;
        if (s < best_s)
            best_s = s;
    }
    qsort(mbps, (size_t)reps, sizeof mbps[0], bp_cmp_double);
    *out = (bp_result){.mode = mode,
                       .impl = impl,
                       .best_mbps = mbps[reps - 1],
                       .median_mbps = mbps[reps / 2],
                       .best_s = best_s,
                       .count = c->count};
    return 0;
}

static long bp_vmhwm_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

/* ---- main --------------------------------------------------------------- */

static void bp_usage(void)
{
    fprintf(stderr, "usage: bench_parse [--size MB] [--reps N] [--buf KIB] [--modes LIST]\n"
                    "                   [--no-scalar] [--keep] [--json] [FILE]\n"
                    "       bench_parse --gen FILE [--size MB]\n");
    exit(2);
}

static int bp_has_mode(const char *modes, const char *m)
{
    size_t n = strlen(m);
    for (const char *p = modes; (p = strstr(p, m)) != NULL; p += n)
        if ((p == modes || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t size_mb = 512;
    int reps = 3, json = 0, scalar = 1, keep = 0;
    size_t buf_kib = 1024;
    const char *modes = "read,memchr,tok,walk", *file = NULL, *gen = NULL, *tok_impl = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--size") && more)
            size_mb = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--reps") && more)
            reps = atoi(argv[++i]);
        else if (!strcmp(a, "--buf") && more)
            buf_kib = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--modes") && more)
            modes = argv[++i];
        else if (!strcmp(a, "--gen") && more)
            gen = argv[++i];
        else if (!strcmp(a, "--no-scalar"))
            scalar = 0;
        else if (!strcmp(a, "--tok") && more)
            tok_impl = argv[++i];
        else if (!strcmp(a, "--keep"))
            keep = 1;
        else if (!strcmp(a, "--json"))
            json = 1;
        else if (a[0] == '-' || file)
            bp_usage();
        else
            file = a;
    }
    if (reps < 1 || reps > BP_MAX_REPS || buf_kib < 4 || size_mb == 0)
        bp_usage();
    if (gen)
        return bp_generate(gen, size_mb * 1000000) == 0 ? 0 : 1;
    if (tok_impl && x12_tok_force(tok_impl) != 0) {
        fprintf(stderr, "bench_parse: --tok %s: not a tokenizer this CPU runs\n", tok_impl);
        return 2;
    }

    char tmp[256];
    int generated = 0;
    if (!file) {
        const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(tmp, sizeof tmp, "%s/claimd-bench-%ld.837", dir, (long)getpid());
        fprintf(stderr, "bench_parse: generating %llu MB in %s\n", (unsigned long long)size_mb,
                tmp);
        if (bp_generate(tmp, size_mb * 1000000) != 0)
            return 1;
        file = tmp;
        generated = 1;
    }

    bp_ctx c = {.path = file, .bufsize = buf_kib << 10};
    c.cap = c.bufsize + XFEED_BUF_MIN; /* a read plus a carried segment */
    c.buf = malloc(c.cap);
    if (!c.buf)
        return 1;
    {
        int fd = bp_open(&c);
        ssize_t r = bp_read(fd, c.buf, 4096);
        close(fd);
        size_t isa_len;
        if (r <= 0 || x12_delims_detect(c.buf, (size_t)r, &c.d, &isa_len) != 0) {
            fprintf(stderr, "bench_parse: %s does not start with an ISA\n", file);
            return 1;
        }
    }
    const char *avx = x12_tok_impl();
    bp_result res[8];
    int nres = 0, rc = 0;
    bp_mode_read(&c); /* warm the page cache */
    if (bp_has_mode(modes, "read"))
        rc |= bp_measure(&c, "read", bp_mode_read, "-", reps, &res[nres++]);
    if (bp_has_mode(modes, "memchr"))
        rc |= bp_measure(&c, "memchr", bp_mode_memchr, "-", reps, &res[nres++]);
    for (int sc = 0; sc <= scalar; sc++) {
        if (sc)
            x12_tok_force_scalar(true);
        else
            x12_tok_force(tok_impl);
        const char *impl = sc ? "scalar" : avx;
        if (sc && strcmp(avx, "scalar") == 0)
            break; /* no SIMD scanner here: the scalar runs are the runs above */
        if (bp_has_mode(modes, "tok"))
            rc |= bp_measure(&c, "tok", bp_mode_tok, impl, reps, &res[nres++]);
        if (bp_has_mode(modes, "walk"))
            rc |= bp_measure(&c, "walk", bp_mode_walk, impl, reps, &res[nres++]);
    }
    x12_tok_force_scalar(false);
    if (rc) {
        fprintf(stderr, "bench_parse: a measurement failed\n");
        return 1;
    }

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long hwm = bp_vmhwm_kb();
    double claim_bytes = c.claims ? (double)c.bytes / (double)c.claims : 0;
    if (json) {
        printf("{\"file\":\"%s\",\"bytes\":%llu,\"buf_kib\":%zu,\"reps\":%d,\"claims\":%llu,"
               "\"lines\":%llu,\"avg_claim_bytes\":%.1f,\"results\":[",
               file, (unsigned long long)c.bytes, buf_kib, reps, (unsigned long long)c.claims,
               (unsigned long long)c.lines, claim_bytes);
        for (int i = 0; i < nres; i++) {
            const bp_result *r = &res[i];
            printf("%s{\"mode\":\"%s\",\"impl\":\"%s\",\"mb_s\":%.1f,\"mb_s_median\":%.1f,"
                   "\"count\":%llu",
                   i ? "," : "", r->mode, r->impl, r->best_mbps, r->median_mbps,
                   (unsigned long long)r->count);
            if (!strcmp(r->mode, "walk"))
                printf(",\"claims_s\":%.0f", (double)c.claims / r->best_s);
            printf("}");
        }
        printf("],\"mem\":{\"maxrss_kb\":%ld,\"vmhwm_kb\":%ld,\"heap_peak_bytes\":%zu}}\n",
               ru.ru_maxrss, hwm, c.heap_peak);
    } else {
        printf("file %s: %.1f MB, read size %zu KiB, best of %d\n", file, (double)c.bytes / 1e6,
               buf_kib, reps);
        printf("%-8s %-7s %10s %10s %14s %12s\n", "mode", "impl", "MB/s", "median", "count",
               "claims/s");
        for (int i = 0; i < nres; i++) {
            const bp_result *r = &res[i];
            char cps[32] = "";
            if (!strcmp(r->mode, "walk"))
                snprintf(cps, sizeof cps, "%.0f", (double)c.claims / r->best_s);
            printf("%-8s %-7s %10.1f %10.1f %14llu %12s\n", r->mode, r->impl, r->best_mbps,
                   r->median_mbps, (unsigned long long)r->count, cps);
        }
        if (c.claims)
            printf("claims %llu, lines %llu, average claim %.0f bytes (file bytes / claims)\n",
                   (unsigned long long)c.claims, (unsigned long long)c.lines, claim_bytes);
        printf("memory: maxrss %ld KiB, VmHWM %ld KiB, heap peak %s%zu bytes\n", ru.ru_maxrss, hwm,
               mallctl ? "" : "(no jemalloc) ", c.heap_peak);
    }
    free(c.buf);
    if (generated && !keep)
        unlink(file);
    else if (generated)
        fprintf(stderr, "bench_parse: kept %s\n", file);
    return 0;
}
