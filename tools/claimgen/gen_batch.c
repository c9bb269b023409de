/* claimgen batch: deterministic, streaming 5010 837P / 837I batches.
 *
 *   claimgen batch --claims N [--seed S] [--tables DIR] [--type 837p|837i]
 *                  [--errors RATE] [--transactions K] [--out FILE] [--truth PATH]
 *
 * Start-up reads small code pools from a tables version once (gen_batch_pool.c
 * would be the place if this grows): billable ICD-10-CM codes, payable PPRRVU
 * procedures with RVUs, ZIP5 rows whose locality has a GPCI, NCCI pairs and
 * MUE values for the error kinds, each pool capped at a few thousand codes so
 * start-up does not depend on the version's size. Generation then streams:
 * every claim is rendered straight into the output buffer, SE01 is counted as
 * segments are written, and memory does not depend on N.
 *
 * Envelope: one ISA/GS; the claims are split over K ST/SE (K = 1 unless
 * --transactions says otherwise; K <= 999999 because GE01 is N0 1/6). HL ids
 * restart in every transaction. Dates of service lie in a window chosen from
 * the tables' periods and the seed, never from the clock; BHT04 (and the
 * ISA/GS dates) follow the window's last day.
 *
 * With --errors RATE, each claim independently carries, with probability
 * RATE, exactly one error of a kind from the edit catalogue (only kinds the
 * tables support); the truth file lists per claim the edit injected (or "-")
 * and the line it is on (0: the claim). Every other claim is built to pass
 * every edit: codes valid and payable over the whole window, no NCCI pair on a
 * claim, units within MUE, age/sex-restricted codes only where they fit.
 */
#define _GNU_SOURCE
#include "claimd/edit.h"
#include "claimd/error.h"
#include "claimd/tables.h"
#include "claimd/tbl_default.h"
#include "claimgen.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lmdb.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define GB_DX_CAP     3000
#define GB_HDR_CAP    300
#define GB_EXT_CAP    300
#define GB_PROC_CAP   2000
#define GB_ZIP_CAP    2000
#define GB_PAIR_CAP   512
#define GB_PAIR_TOP   400 /* NCCI pairs are searched among the most frequent procedures */
#define GB_MAX_LINES  8
#define GB_MAX_DX     12
#define GB_CLAIM_ROOM 16384 /* bytes reserved per claim in the output buffer */
#define GB_OUT_BUF    (4u << 20)
#define GB_MAX_TXN    999999u

/* ---- dates --------------------------------------------------------------- */

static int32_t gb_days(uint32_t ymd)
{
    int y = (int)(ymd / 10000), m = (int)(ymd / 100 % 100), d = (int)(ymd % 100);
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static uint32_t gb_ymd(int32_t z)
{
    z += 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int y = yoe + era * 400;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    int d = doy - (153 * mp + 2) / 5 + 1;
    int m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    return (uint32_t)(y * 10000 + m * 100 + d);
}

/* Whole years on dos for a birth date dob; -1 when dob > dos (as edit_age_years). */
static int gb_age(uint32_t dob, uint32_t dos)
{
    if (!dob || !dos || dob > dos)
        return -1;
    int a = (int)(dos / 10000) - (int)(dob / 10000);
    if (dos % 10000 < dob % 10000)
        a--;
    return a;
}

/* ---- output: buffered, temp file renamed into place ---------------------- */

typedef struct gb_out {
    int fd;
    int err;
    char *buf;
    size_t len, cap;
    uint64_t bytes;
    char *path, *tmp; /* NULL for stdout */
} gb_out;

static void gb_out_flush(gb_out *o)
{
    size_t off = 0;
    while (off < o->len && !o->err) {
        ssize_t n = write(o->fd, o->buf + off, o->len - off);
        if (n < 0) {
            if (errno != EINTR)
                o->err = -errno;
            continue;
        }
        off += (size_t)n;
    }
    o->len = 0;
}

static int gb_out_open(gb_out *o, const char *path)
{
    memset(o, 0, sizeof *o);
    o->fd = 1;
    o->cap = GB_OUT_BUF;
    o->buf = malloc(o->cap);
    if (!o->buf)
        return -ENOMEM;
    if (!path)
        return 0;
    const char *slash = strrchr(path, '/');
    size_t dl = slash ? (size_t)(slash - path) : 1;
    const char *base = slash ? slash + 1 : path;
    o->path = strdup(path);
    o->tmp = malloc(dl + strlen(base) + 16);
    if (!o->path || !o->tmp)
        return -ENOMEM;
    sprintf(o->tmp, "%.*s/.%s.XXXXXX", (int)dl, slash ? path : ".", base);
    o->fd = mkostemp(o->tmp, O_CLOEXEC);
    if (o->fd < 0) {
        int e = errno;
        fprintf(stderr, "claimgen: %s: cannot create: %s\n", path, strerror(e));
        free(o->tmp);
        o->tmp = NULL;
        return -e;
    }
    if (fchmod(o->fd, 0644) != 0)
        o->err = -errno;
    return 0;
}

/* Room for n bytes at the end of the buffer (n <= cap). */
static inline char *gb_out_reserve(gb_out *o, size_t n)
{
    if (o->cap - o->len < n)
        gb_out_flush(o);
    return o->buf + o->len;
}

static inline void gb_out_commit(gb_out *o, const char *end)
{
    size_t n = (size_t)(end - (o->buf + o->len));
    o->len += n;
    o->bytes += n;
}

/* Flushes and, for a file, fsyncs and renames it into place when ok (else
 * removes it). Frees everything. Returns 0 or -errno. */
static int gb_out_close(gb_out *o, bool ok)
{
    if (o->buf && ok)
        gb_out_flush(o);
    if (o->path && o->tmp) {
        if (ok && !o->err && fsync(o->fd) != 0)
            o->err = -errno;
        if (close(o->fd) != 0 && !o->err)
            o->err = -errno;
        if (ok && !o->err && rename(o->tmp, o->path) != 0)
            o->err = -errno;
        if (!ok || o->err)
            unlink(o->tmp);
    }
    if (ok && o->err)
        fprintf(stderr, "claimgen: %s: cannot write: %s\n", o->path ? o->path : "stdout",
                strerror(-o->err));
    int err = ok ? o->err : 0;
    free(o->buf);
    free(o->path);
    free(o->tmp);
    memset(o, 0, sizeof *o);
    return err;
}

/* ---- segment writer ------------------------------------------------------ */

/* Writes into the output buffer through a cursor; every segment end counts
 * one segment (SE01 is the sum over a transaction). */
typedef struct gb_w {
    char *p;
    uint64_t nseg;
} gb_w;

static inline void w_s(gb_w *w, const char *s)
{
    while (*s)
        *w->p++ = *s++;
}

static inline void w_c(gb_w *w, char c)
{
    *w->p++ = c;
}

static inline void w_u(gb_w *w, uint64_t v, int width)
{
    char tmp[24];
    char *e = tmp + sizeof tmp, *q = e;
    do {
        *--q = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (e - q < width && q > tmp)
        *--q = '0';
    memcpy(w->p, q, (size_t)(e - q));
    w->p += e - q;
}

static inline void w_money(gb_w *w, int64_t cents)
{
    if (cents < 0) {
        w_c(w, '-');
        cents = -cents;
    }
    w_u(w, (uint64_t)cents / 100, 0);
    w_c(w, '.');
    w_u(w, (uint64_t)cents % 100, 2);
}

static inline void w_end(gb_w *w)
{
    w->p[0] = '~';
    w->p[1] = '\n';
    w->p += 2;
    w->nseg++;
}

/* ---- synthetic names ----------------------------------------------------- */

static const char *const gb_last[] = {
    "SMITH",    "JOHNSON",   "WILLIAMS", "BROWN",     "JONES",    "GARCIA",   "MILLER",
    "DAVIS",    "RODRIGUEZ", "MARTINEZ", "HERNANDEZ", "LOPEZ",    "GONZALEZ", "WILSON",
    "ANDERSON", "THOMAS",    "TAYLOR",   "MOORE",     "JACKSON",  "MARTIN",   "LEE",
    "PEREZ",    "THOMPSON",  "WHITE",    "HARRIS",    "SANCHEZ",  "CLARK",    "RAMIREZ",
    "LEWIS",    "ROBINSON",  "WALKER",   "YOUNG",     "ALLEN",    "KING",     "WRIGHT",
    "SCOTT",    "TORRES",    "NGUYEN",   "HILL",      "FLORES",   "GREEN",    "ADAMS",
    "NELSON",   "BAKER",     "HALL",     "RIVERA",    "CAMPBELL", "MITCHELL"};
static const char *const gb_first_m[] = {
    "JAMES",  "ROBERT",  "JOHN",   "MICHAEL", "DAVID",   "WILLIAM", "RICHARD", "JOSEPH",
    "THOMAS", "CHARLES", "DANIEL", "MATTHEW", "ANTHONY", "MARK",    "STEVEN",  "PAUL",
    "ANDREW", "JOSHUA",  "KEVIN",  "BRIAN",   "GEORGE",  "EDWARD",  "RYAN",    "JACOB"};
static const char *const gb_first_f[] = {
    "MARY",  "PATRICIA", "JENNIFER", "LINDA",  "ELIZABETH", "BARBARA", "SUSAN",  "JESSICA",
    "SARAH", "KAREN",    "LISA",     "NANCY",  "BETTY",     "SANDRA",  "ASHLEY", "EMILY",
    "DONNA", "MICHELLE", "CAROL",    "AMANDA", "MELISSA",   "DEBORAH", "LAURA",  "OLIVIA"};
static const char *const gb_streets[] = {
    "MAIN",   "OAK",    "PINE",    "MAPLE",   "CEDAR",    "ELM",    "WASHINGTON", "LAKE",
    "HILL",   "PARK",   "SUNSET",  "RIVER",   "CHURCH",   "MILL",   "HIGHLAND",   "FOREST",
    "SPRING", "MEADOW", "LINCOLN", "JACKSON", "FRANKLIN", "CENTER", "VALLEY",     "RIDGE"};
static const char *const gb_suffix[] = {"ST", "AVE", "RD", "DR", "LN", "BLVD", "CT", "WAY"};
static const char *const gb_cities[] = {
    "SPRINGFIELD", "FRANKLIN",   "GREENVILLE", "BRISTOL", "CLINTON",  "FAIRVIEW", "SALEM",
    "MADISON",     "GEORGETOWN", "ARLINGTON",  "ASHLAND", "DOVER",    "OXFORD",   "JACKSON",
    "BURLINGTON",  "MANCHESTER", "MILTON",     "NEWPORT", "AUBURN",   "DAYTON",   "LEXINGTON",
    "MILFORD",     "RIVERSIDE",  "CLAYTON",    "HUDSON",  "KINGSTON", "MARION",   "WINCHESTER"};
static const char *const gb_org_p[] = {"FAMILY MEDICINE", "MEDICAL GROUP",    "INTERNAL MEDICINE",
                                       "PEDIATRICS",      "ORTHOPEDICS",      "PRIMARY CARE",
                                       "HEALTH PARTNERS", "CARDIOLOGY ASSOC", "PHYSICIANS PC"};
static const char *const gb_org_i[] = {"GENERAL HOSPITAL", "REGIONAL MEDICAL CENTER",
                                       "COMMUNITY HOSPITAL", "MEMORIAL HOSPITAL", "HEALTH SYSTEM"};
static const char *const gb_tax_p[] = {"207Q00000X", "207R00000X", "208000000X",
                                       "207X00000X", "207RC0000X", "208D00000X"};

typedef struct gb_payer {
    const char *name, *id, *filing;
} gb_payer;

static const gb_payer gb_payers[] = {
    {"MEDICARE PART B", "00882", "MB"}, {"SUMMIT HEALTH PLAN", "60054", "CI"},
    {"BLUE PRAIRIE", "00590", "BL"},    {"NORTHSTAR HMO", "87726", "HM"},
    {"STATE MEDICAID", "77027", "MC"},  {"LIBERTY MUTUAL CARE", "62308", "CI"},
    {"UNITY HEALTH", "39026", "CI"},    {"CASCADE HEALTH ALLIANCE", "93688", "HM"},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- pools --------------------------------------------------------------- */

enum { CAT_EM = 0, CAT_LAB, CAT_RAD, CAT_MED, CAT_SURG, CAT_DRUG, CAT_OTHER };

typedef struct gb_lim {
    uint8_t restricted; /* the code has an age/sex row: used only where it fits */
    char sex;           /* 'M', 'F' or 0 */
    uint8_t amin, amax;
} gb_lim;

typedef struct gb_dx {
    char code[8];
    gb_lim lim;
} gb_dx;

typedef struct gb_proc {
    char code[6];
    uint8_t cat;
    uint8_t ncci; /* may be in an NCCI edit */
    uint8_t na_fac, na_nonfac;
    uint8_t pc26; /* a payable 26 row exists and PCTC is 1 */
    uint16_t mue; /* 0: no MUE row */
    uint32_t fee; /* usual charge per unit, cents */
    gb_lim lim;
} gb_proc;

typedef struct gb_zip {
    char zip[6];
    char state[3];
} gb_zip;

typedef struct gb_pair {
    uint16_t c1, c2; /* indexes into procs */
} gb_pair;

typedef struct gb_pool {
    gb_dx *dx;
    uint32_t ndx;
    uint32_t *dx_cdf;
    gb_dx *hdr;
    uint32_t nhdr;
    gb_dx *ext;
    uint32_t next;
    gb_proc *procs;
    uint32_t nprocs;
    uint32_t *proc_cdf;
    gb_zip *zips;
    uint32_t nzips;
    gb_pair *pairs;
    uint32_t npairs;
    uint16_t *mue_procs; /* procedures with an MUE of 1..50 */
    uint32_t nmue;
    uint32_t *restricted; /* dx indexes with an age/sex row, then ~(proc index) */
    uint32_t nrestricted;
} gb_pool;

/* ---- the run ------------------------------------------------------------- */

/* Distinct periods of a table's rows, with counts (for the window). */
typedef struct gb_periods {
    tbl_period p[32];
    uint64_t n[32];
    int np;
} gb_periods;

typedef struct gb_opts {
    uint64_t n;
    uint64_t seed;
    const char *tables;
    bool inst; /* 837I */
    double rate;
    bool errors;
    uint32_t ntxn;
    const char *out;
    const char *truth;
} gb_opts;

typedef struct gb_line {
    char code[6];
    char mods[4][3];
    uint8_t nmods;
    uint8_t ptr[4];
    uint8_t nptr;
    int16_t proc; /* index into procs, -1 for an injected code */
    uint32_t units;
    int64_t charge;
    uint32_t date;
    char rev[5];
} gb_line;

typedef struct gb_claim {
    char id[16];
    int64_t clm02;
    char pos[3];
    char freq;
    bool f8;
    char dx[GB_MAX_DX + 1][9];
    uint8_t ndx;
    gb_line lines[GB_MAX_LINES];
    uint8_t nlines;
    uint32_t from, to; /* service span (837I statement span) */
    int rend;          /* rendering/attending provider slot, -1 none */
} gb_claim;

typedef struct gb_person {
    char last[16], first[16];
    char sex;
    uint32_t dob;
    uint32_t zip; /* index into zips */
    uint32_t street;
} gb_person;

typedef struct gb_bp {
    uint64_t idx;
    bool org;
    char name[64];
    char npi[11];
    char tin[11];
    uint32_t zip;
    uint32_t street;
    uint8_t nrend;
    char rend_npi[5][11];
    uint8_t rend_last[5], rend_first[5];
    const char *tax;
    uint32_t fee_pct; /* this provider's charges as a share of the usual fee, % */
    uint8_t pos_bias;
} gb_bp;

typedef struct gb_sub {
    gb_person sub, pat;
    bool dependent;
    const gb_payer *payer;
    char member[16];
    char group[12];
    /* for DUPLICATE: the last clean, original claim of this patient */
    bool prev_ok;
    gb_claim prev;
    uint32_t nclaims, step;
} gb_sub;

typedef struct gb_run {
    gb_opts o;
    tbl_version *v;
    gb_pool pl;
    int32_t win_from, win_len;   /* dates of service: [win_from, win_from + win_len) */
    uint32_t span_from, span_to; /* every pooled code is valid on this whole span */
    uint32_t bht;
    uint32_t bht_time;
    cg_rng rp, rc; /* plan (which claim gets an error), content */
    gb_out out, tr;
    bool want_truth;
    /* error kinds the tables support */
    int kinds[EDIT_COUNT];
    int nkinds;
    char bad_dx[8], bad_proc[6], bad_mod[3], bad_pos[3];
    const char *pos_ok[12];
    uint8_t pos_w[12];
    int npos;
    bool mod_ok[5]; /* 25, 26, 95, LT, RT */
    /* running state */
    uint64_t claim_no, nbp, nsub;
    uint32_t hl;
    int peek; /* -2 none yet, -1 clean, else an edit_id */
    uint64_t lines, injected, per_kind[EDIT_COUNT];
    uint64_t txn_seg;
    uint32_t hl_bp; /* HL id of the open billing provider */
    /* start-up scratch */
    gb_periods per_icd, per_rvu;
    uint64_t seen_dx, seen_hdr, seen_ext, seen_proc, seen_zip;
    gb_proc *proc_all; /* the procedure reservoir before filtering */
    bool zip_any;      /* no ZIP5 row is in force in the window: use them anyway */
} gb_run;

static const char *const gb_mods[5] = {"25", "26", "95", "LT", "RT"};
enum { MOD_25, MOD_26, MOD_95, MOD_LT, MOD_RT };

/* ---- small helpers ------------------------------------------------------- */

static uint32_t rnd(gb_run *r, uint32_t n)
{
    return cg_rng_below(&r->rc, n);
}

static void copy_code(char *dst, size_t cap, const char *src, size_t srcmax)
{
    size_t i = 0;
    for (; i + 1 < cap && i < srcmax && src[i]; i++)
        dst[i] = src[i];
    dst[i] = 0;
}

/* NPI check digit: Luhn over "80840" and the 9-digit base (the constant 24). */
static char npi_check(const char *base9)
{
    int sum = 24;
    for (int i = 8, dbl = 1; i >= 0; i--, dbl ^= 1) {
        int d = base9[i] - '0';
        if (dbl) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    return (char)('0' + (10 - sum % 10) % 10);
}

/* A distinct valid NPI for every id < 2e8 (an affine bijection mod 2e8). */
static void make_npi(uint64_t id, uint64_t seed, char out[11])
{
    uint64_t x = (id * 48271u + seed % 200000000u) % 200000000u + 100000000u;
    for (int i = 8; i >= 0; i--) {
        out[i] = (char)('0' + x % 10);
        x /= 10;
    }
    out[9] = npi_check(out);
    out[10] = 0;
}

static bool lim_fits(const gb_lim *l, char sex, int alo, int ahi)
{
    if (!l->restricted)
        return true;
    if (alo < 0)
        return false;
    return (!l->sex || l->sex == sex) && alo >= l->amin && ahi <= l->amax;
}

/* Zipf-like cumulative weights (s = 1.1) over n ranks, scaled to 2^32. */
static uint32_t *zipf_cdf(uint32_t n)
{
    uint32_t *c = malloc(sizeof *c * (n ? n : 1));
    if (!c)
        return NULL;
    double tot = 0, acc = 0;
    for (uint32_t i = 0; i < n; i++)
        tot += pow(i + 1.0, -1.1);
    for (uint32_t i = 0; i < n; i++) {
        acc += pow(i + 1.0, -1.1);
        double f = acc / tot * 4294967295.0;
        c[i] = i + 1 == n ? UINT32_MAX : (uint32_t)f;
    }
    return c;
}

static uint32_t zipf_pick(gb_run *r, const uint32_t *cdf, uint32_t n)
{
    uint32_t u = (uint32_t)(cg_rng_next(&r->rc) >> 32);
    uint32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (cdf[mid] >= u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* ---- loading the pools ---------------------------------------------------- */

typedef int (*gb_row_fn)(gb_run *r, const void *rec);

/* Walks every B-tree row of table t in key order. */
static int walk_table(gb_run *r, tbl_table t, gb_row_fn fn)
{
    tbl_reader *rd;
    int rc = tbl_reader_open(r->v, &rd);
    if (rc < 0)
        return rc;
    MDB_cursor *c;
    if (mdb_cursor_open(tbl_reader_txn(rd), (MDB_dbi)tbl_reader_dbi(rd, t), &c) != 0) {
        tbl_reader_close(rd);
        return 0; /* a version without this table: nothing to walk */
    }
    _Alignas(16) unsigned char buf[512];
    size_t sz = tbl_record_size(t);
    MDB_val k, val;
    int mrc = mdb_cursor_get(c, &k, &val, MDB_FIRST);
    while (mrc == 0 && rc == 0) {
        if (val.mv_size == sz && sz <= sizeof buf) {
            memcpy(buf, val.mv_data, sz);
            rc = fn(r, buf);
        }
        mrc = mdb_cursor_get(c, &k, &val, MDB_NEXT);
    }
    mdb_cursor_close(c);
    tbl_reader_close(rd);
    return rc;
}

static void periods_add(gb_periods *ps, tbl_period p)
{
    for (int i = 0; i < ps->np; i++) {
        if (ps->p[i].from == p.from && ps->p[i].to == p.to) {
            ps->n[i]++;
            return;
        }
    }
    if (ps->np < 32) {
        ps->p[ps->np] = p;
        ps->n[ps->np++] = 1;
    }
}

static bool rvu_payable(const tbl_rvu *u)
{
    return !u->mod[0] && (u->status == 'A' || u->status == 'R' || u->status == 'T') &&
           !u->not_used_medicare && (u->total_nonfac > 0 || u->total_fac > 0) &&
           !(u->na_fac && u->na_nonfac);
}

static int per_icd_row(gb_run *r, const void *rec)
{
    const tbl_icd10 *d = rec;
    if (d->billable)
        periods_add(&r->per_icd, d->period);
    return 0;
}

static int per_rvu_row(gb_run *r, const void *rec)
{
    if (rvu_payable(rec))
        periods_add(&r->per_rvu, ((const tbl_rvu *)rec)->period);
    return 0;
}

/* Chooses the window of service dates: inside the overlap of the most common
 * ICD-10-CM and PPRRVU periods, up to 90 days, placed by the seed; the span
 * every pooled code must cover runs on to BHT04 plus ten days (so a claim
 * dated after BHT04 for DATE_FUTURE still has valid codes). */
static int choose_window(gb_run *r)
{
    int rc = walk_table(r, TBL_ICD10CM, per_icd_row);
    if (rc == 0)
        rc = walk_table(r, TBL_RVU, per_rvu_row);
    if (rc < 0)
        return rc;
    int32_t best_from = 0, best_to = -1;
    uint64_t best = 0;
    for (int i = 0; i < r->per_icd.np; i++) {
        for (int j = 0; j < r->per_rvu.np; j++) {
            uint32_t f = r->per_icd.p[i].from > r->per_rvu.p[j].from ? r->per_icd.p[i].from
                                                                     : r->per_rvu.p[j].from;
            uint32_t t =
                r->per_icd.p[i].to < r->per_rvu.p[j].to ? r->per_icd.p[i].to : r->per_rvu.p[j].to;
            if (f < 19000101)
                f = 20250101;
            if (t > 29991231)
                t = gb_ymd(gb_days(f) + 364);
            if (t < f || gb_days(t) - gb_days(f) < 45)
                continue;
            uint64_t s = r->per_icd.n[i] < r->per_rvu.n[j] ? r->per_icd.n[i] : r->per_rvu.n[j];
            if (s > best || (s == best && gb_days(f) > best_from)) {
                best = s;
                best_from = gb_days(f);
                best_to = gb_days(t);
            }
        }
    }
    if (!best) {
        fprintf(stderr, "claimgen: the tables have no ICD-10-CM and PPRRVU periods that "
                        "overlap by 45 days: no dates of service to use\n");
        return -EINVAL;
    }
    int32_t len = best_to - best_from + 1 - 15;
    r->win_len = len < 90 ? len : 90;
    r->win_from = best_from + (int32_t)(r->o.seed % (uint64_t)(len - r->win_len + 1));
    int32_t last = r->win_from + r->win_len - 1;
    int32_t bht = last + 1 + (int32_t)(r->o.seed / 7 % 3);
    r->bht = gb_ymd(bht);
    r->bht_time = (uint32_t)(800 + r->o.seed % 10 * 100 + r->o.seed / 10 % 60);
    r->span_from = gb_ymd(r->win_from);
    r->span_to = gb_ymd(bht + 10);
    return 0;
}

static bool covers(tbl_period p, const gb_run *r)
{
    return p.from <= r->span_from && p.to >= r->span_to;
}

static gb_lim code_lim(gb_run *r, const char *code, bool *complex)
{
    gb_lim l = {0, 0, 0, 124};
    const char *f[1] = {code};
    const void *recs;
    size_t n;
    *complex = false;
    if (tbl_group(r->v, TBL_AGESEX, f, 1, &recs, &n) != 0)
        return l;
    const tbl_agesex *a = recs;
    int in_force = 0;
    for (size_t i = 0; i < n; i++) {
        if (a[i].period.from > r->span_to || a[i].period.to < r->span_from)
            continue;
        if (in_force++ == 0) {
            l.restricted = 1;
            l.sex = a[i].sex;
            l.amin = a[i].min_age;
            l.amax = a[i].max_age;
        }
        if (!covers(a[i].period, r))
            *complex = true;
    }
    if (in_force > 1)
        *complex = true;
    return l;
}

/* Manifestation-only categories (never first-listed; kept out of the pools). */
static bool is_manifestation(const char *c)
{
    static const char *const m[] = {
        "F02", "G01", "G02", "G05", "G07", "G13", "G22", "G26", "G32", "G46", "G53", "G55",
        "G59", "G63", "G73", "G94", "G99", "H22", "H28", "H32", "H36", "H42", "H48", "H62",
        "H67", "H75", "H82", "H94", "I32", "I39", "I41", "I43", "I52", "I68", "I79", "J17",
        "J91", "J99", "K23", "K67", "K77", "K87", "L14", "L45", "L54", "L62", "L86", "L99",
        "M01", "M14", "M36", "M49", "M63", "M68", "M73", "M82", "M90", "N08", "N16", "N22",
        "N29", "N33", "N37", "N51", "N74", "N77", "D63", "D77", "E35"};
    for (size_t i = 0; i < NELEM(m); i++)
        if (memcmp(c, m[i], 3) == 0)
            return true;
    return false;
}

static bool is_external(const char *c)
{
    return c[0] >= 'V' && c[0] <= 'Y';
}

/* Reservoir sampling into a pool of cap entries; order is the walk's (key
 * order) disturbed by the seeded generator: a pure function of the seed. */
static void reservoir(gb_run *r, gb_dx *arr, uint32_t *n, uint64_t *seen, uint32_t cap,
                      const gb_dx *e)
{
    (*seen)++;
    if (*n < cap) {
        arr[(*n)++] = *e;
        return;
    }
    uint64_t j = cg_rng_next(&r->rp) % *seen;
    if (j < cap)
        arr[j] = *e;
}

static int icd_row(gb_run *r, const void *rec)
{
    const tbl_icd10 *d = rec;
    if (!covers(d->period, r) || is_manifestation(d->code))
        return 0;
    gb_dx e;
    memset(&e, 0, sizeof e);
    copy_code(e.code, sizeof e.code, d->code, sizeof d->code);
    if (!d->billable) {
        if (!is_external(e.code))
            reservoir(r, r->pl.hdr, &r->pl.nhdr, &r->seen_hdr, GB_HDR_CAP, &e);
    } else if (is_external(e.code)) {
        reservoir(r, r->pl.ext, &r->pl.next, &r->seen_ext, GB_EXT_CAP, &e);
    } else {
        reservoir(r, r->pl.dx, &r->pl.ndx, &r->seen_dx, GB_DX_CAP, &e);
    }
    return 0;
}

/* Moves the preferred codes (real-traffic favourites) to the front, in order. */
static void prefer(char *base, size_t size, uint32_t n, const char *const *pref, size_t npref)
{
    uint32_t front = 0;
    char tmp[64];
    for (size_t k = 0; k < npref; k++) {
        for (uint32_t i = front; i < n; i++) {
            if (strcmp(base + (size_t)i * size, pref[k]) != 0)
                continue;
            memcpy(tmp, base + (size_t)front * size, size);
            memcpy(base + (size_t)front * size, base + (size_t)i * size, size);
            memcpy(base + (size_t)i * size, tmp, size);
            front++;
            break;
        }
    }
}

static const char *const gb_pref_dx[] = {
    "I10",   "E119",  "E785", "Z0000", "J069",  "M5450",  "Z23",  "E1165", "Z0001",
    "R0789", "F419",  "E039", "K219",  "N390",  "J209",   "E669", "F329",  "J449",
    "I2510", "G4733", "M545", "R051",  "Z1231", "M25561", "R109", "E559",  "Z7901"};
static const char *const gb_pref_proc[] = {
    "99213", "99214", "99212", "99215", "36415", "99203", "99204", "85025", "80053", "93000",
    "99396", "99395", "90471", "96372", "97110", "99202", "99205", "99211", "20610", "71046",
    "80061", "83036", "99397", "99232", "99233", "99284", "99285", "97140", "97530", "73721",
    "72148", "74177", "70450", "77067", "45378", "17000", "11721", "93010", "99283", "G0439"};

static int load_dx(gb_run *r)
{
    r->pl.dx = calloc(GB_DX_CAP, sizeof(gb_dx));
    r->pl.hdr = calloc(GB_HDR_CAP, sizeof(gb_dx));
    r->pl.ext = calloc(GB_EXT_CAP, sizeof(gb_dx));
    if (!r->pl.dx || !r->pl.hdr || !r->pl.ext)
        return -ENOMEM;
    int rc = walk_table(r, TBL_ICD10CM, icd_row);
    if (rc < 0)
        return rc;
    /* Codes with an age/sex row are kept (used where they fit) unless their
     * limits change inside the span; header and external-cause codes used
     * for errors must carry no limit of their own. */
    uint32_t k = 0;
    for (uint32_t i = 0; i < r->pl.ndx; i++) {
        bool cx;
        r->pl.dx[i].lim = code_lim(r, r->pl.dx[i].code, &cx);
        if (!cx)
            r->pl.dx[k++] = r->pl.dx[i];
    }
    r->pl.ndx = k;
    gb_dx *lists[2] = {r->pl.hdr, r->pl.ext};
    uint32_t *ns[2] = {&r->pl.nhdr, &r->pl.next};
    for (int l = 0; l < 2; l++) {
        k = 0;
        for (uint32_t i = 0; i < *ns[l]; i++) {
            bool cx;
            gb_lim lim = code_lim(r, lists[l][i].code, &cx);
            if (!lim.restricted && !cx)
                lists[l][k++] = lists[l][i];
        }
        *ns[l] = k;
    }
    prefer((char *)r->pl.dx, sizeof(gb_dx), r->pl.ndx, gb_pref_dx, NELEM(gb_pref_dx));
    if (r->pl.ndx == 0) {
        fprintf(stderr, "claimgen: no billable ICD-10-CM code is valid on %u-%u\n", r->span_from,
                r->span_to);
        return -EINVAL;
    }
    r->pl.dx_cdf = zipf_cdf(r->pl.ndx);
    return r->pl.dx_cdf ? 0 : -ENOMEM;
}

static uint8_t proc_cat(const char *c)
{
    if (c[0] >= 'A' && c[0] <= 'Z')
        return c[0] == 'J' ? CAT_DRUG : CAT_OTHER;
    if (memcmp(c, "992", 3) >= 0 && memcmp(c, "995", 3) < 0)
        return CAT_EM;
    switch (c[0]) {
    case '8':
        return CAT_LAB;
    case '7':
        return CAT_RAD;
    case '9':
        return CAT_MED;
    default:
        return CAT_SURG;
    }
}

static int rvu_row(gb_run *r, const void *rec)
{
    const tbl_rvu *u = rec;
    if (!rvu_payable(u) || !covers(u->period, r))
        return 0;
    gb_proc p;
    memset(&p, 0, sizeof p);
    copy_code(p.code, sizeof p.code, u->code, sizeof u->code);
    p.cat = proc_cat(p.code);
    p.na_fac = u->na_fac;
    p.na_nonfac = u->na_nonfac;
    int64_t tot = u->na_nonfac ? u->total_fac : u->total_nonfac;
    int64_t cf = u->conv_factor > 0 ? u->conv_factor : 323465;
    int64_t medicare = tot * cf / 1000000; /* cents */
    uint64_t h = cg_hash(0x5eed, p.code, sizeof p.code);
    int64_t fee = medicare * (160 + (int64_t)(h % 120)) / 100;
    p.fee = (uint32_t)((fee + 99) / 100 * 100);
    if (p.fee < 1000)
        p.fee = 1000;
    r->seen_proc++;
    if (r->pl.nprocs < GB_PROC_CAP) {
        r->proc_all[r->pl.nprocs++] = p;
    } else {
        uint64_t j = cg_rng_next(&r->rp) % r->seen_proc;
        if (j < GB_PROC_CAP)
            r->proc_all[j] = p;
    }
    return 0;
}

/* Per-code facts from the hash indexes; false when the code must not be used. */
static bool proc_facts(gb_run *r, gb_proc *p)
{
    if (p->code[0] >= 'A' && p->code[0] <= 'Z') {
        const tbl_hcpcs *h;
        if (tbl_hcpcs_get(r->v, p->code, r->span_from, &h) != 0 || !covers(h->period, r))
            return false;
    }
    const tbl_mue *m;
    if (tbl_mue_get(r->v, p->code, r->span_from, &m) == 0) {
        if (!covers(m->period, r) || m->value == 0)
            return false;
        p->mue = m->value;
    } else if (tbl_mue_get(r->v, p->code, r->span_to, &m) == 0) {
        return false; /* an MUE that starts inside the span */
    }
    bool cx;
    p->lim = code_lim(r, p->code, &cx);
    if (cx)
        return false;
    p->ncci = (uint8_t)tbl_ncci_any(r->v, p->code);
    const tbl_rvu *g, *u26;
    if (tbl_rvu_get(r->v, p->code, "", r->span_from, &g) == 0 && g->pctc == 1 &&
        tbl_rvu_get(r->v, p->code, "26", r->span_from, &u26) == 0 && covers(u26->period, r) &&
        (u26->status == 'A' || u26->status == 'R' || u26->status == 'T'))
        p->pc26 = 1;
    return true;
}

static int load_procs(gb_run *r)
{
    r->proc_all = calloc(GB_PROC_CAP, sizeof(gb_proc));
    if (!r->proc_all)
        return -ENOMEM;
    int rc = walk_table(r, TBL_RVU, rvu_row);
    if (rc < 0)
        return rc;
    uint32_t k = 0;
    for (uint32_t i = 0; i < r->pl.nprocs; i++)
        if (proc_facts(r, &r->proc_all[i]))
            r->proc_all[k++] = r->proc_all[i];
    r->pl.nprocs = k;
    r->pl.procs = r->proc_all;
    r->proc_all = NULL;
    prefer((char *)r->pl.procs, sizeof(gb_proc), r->pl.nprocs, gb_pref_proc, NELEM(gb_pref_proc));
    if (r->pl.nprocs < 2) {
        fprintf(stderr, "claimgen: fewer than two payable procedure codes valid on %u-%u\n",
                r->span_from, r->span_to);
        return -EINVAL;
    }
    r->pl.proc_cdf = zipf_cdf(r->pl.nprocs);
    r->pl.mue_procs = malloc(sizeof(uint16_t) * r->pl.nprocs);
    if (!r->pl.proc_cdf || !r->pl.mue_procs)
        return -ENOMEM;
    for (uint32_t i = 0; i < r->pl.nprocs; i++)
        if (r->pl.procs[i].mue >= 1 && r->pl.procs[i].mue <= 50)
            r->pl.mue_procs[r->pl.nmue++] = (uint16_t)i;
    return 0;
}

/* An NCCI row in force on date d between a and b (either order). */
static bool ncci_hit(gb_run *r, const char *a, const char *b, uint32_t d)
{
    const tbl_ncci *e;
    return tbl_ncci_get(r->v, a, b, d, &e) == 0 || tbl_ncci_get(r->v, b, a, d, &e) == 0;
}

static int load_pairs(gb_run *r)
{
    uint32_t top = r->pl.nprocs < GB_PAIR_TOP ? r->pl.nprocs : GB_PAIR_TOP;
    r->pl.pairs = malloc(sizeof(gb_pair) * GB_PAIR_CAP);
    if (!r->pl.pairs)
        return -ENOMEM;
    for (uint32_t i = 0; i < top && r->pl.npairs < GB_PAIR_CAP; i++) {
        const gb_proc *a = &r->pl.procs[i];
        if (!a->ncci)
            continue;
        for (uint32_t j = 0; j < top && r->pl.npairs < GB_PAIR_CAP; j++) {
            const gb_proc *b = &r->pl.procs[j];
            const tbl_ncci *e, *rev;
            if (i == j || !b->ncci || tbl_ncci_get(r->v, a->code, b->code, r->span_from, &e))
                continue;
            /* in force over the whole span, no reverse edit (one finding only) */
            if (!covers(e->period, r) || e->mod_ind > 1 ||
                tbl_ncci_get(r->v, b->code, a->code, r->span_from, &rev) == 0 ||
                tbl_ncci_get(r->v, b->code, a->code, r->span_to, &rev) == 0)
                continue;
            r->pl.pairs[r->pl.npairs++] = (gb_pair){(uint16_t)i, (uint16_t)j};
        }
    }
    return 0;
}

static int zip_row(gb_run *r, const void *rec)
{
    const tbl_zip5 *z = rec;
    if (z->plus4 || (!r->zip_any && !(z->period.from <= r->span_from &&
                                      z->period.to >= gb_ymd(r->win_from + r->win_len))))
        return 0;
    const tbl_gpci *g;
    if (tbl_gpci_get(r->v, z->carrier, z->locality, r->span_from, &g) != 0)
        return 0;
    gb_zip e = {.zip = ""};
    copy_code(e.zip, sizeof e.zip, z->zip, sizeof z->zip);
    copy_code(e.state, sizeof e.state, z->state, sizeof z->state);
    if (strlen(e.zip) != 5 || strlen(e.state) != 2)
        return 0;
    r->seen_zip++;
    if (r->pl.nzips < GB_ZIP_CAP) {
        r->pl.zips[r->pl.nzips++] = e;
    } else {
        uint64_t j = cg_rng_next(&r->rp) % r->seen_zip;
        if (j < GB_ZIP_CAP)
            r->pl.zips[j] = e;
    }
    return 0;
}

static int zip_cmp(const void *a, const void *b)
{
    return strcmp(((const gb_zip *)a)->zip, ((const gb_zip *)b)->zip);
}

static int load_zips(gb_run *r)
{
    r->pl.zips = malloc(sizeof(gb_zip) * GB_ZIP_CAP);
    if (!r->pl.zips)
        return -ENOMEM;
    int rc = walk_table(r, TBL_ZIP5, zip_row);
    if (rc == 0 && r->pl.nzips == 0) {
        fprintf(stderr,
                "claimgen: note: no ZIP5 row is in force on %u-%u; using the ZIP5 "
                "rows of other periods (pricing may not find a locality)\n",
                r->span_from, gb_ymd(r->win_from + r->win_len));
        r->zip_any = true;
        rc = walk_table(r, TBL_ZIP5, zip_row);
    }
    if (rc < 0)
        return rc;
    if (r->pl.nzips == 0) {
        r->pl.zips[0] = (gb_zip){"35203", "AL"};
        r->pl.nzips = 1;
    }
    /* nearby ZIPs sit together: patients are drawn near their provider */
    qsort(r->pl.zips, r->pl.nzips, sizeof(gb_zip), zip_cmp);
    return 0;
}

static void load_restricted(gb_run *r)
{
    uint32_t n = 0;
    r->pl.restricted = malloc(sizeof(uint32_t) * (r->pl.ndx + 1));
    if (!r->pl.restricted)
        return;
    for (uint32_t i = 0; i < r->pl.ndx; i++)
        if (r->pl.dx[i].lim.restricted)
            r->pl.restricted[n++] = i;
    r->pl.nrestricted = n;
}

/* Values certainly absent from the tables, for the injected errors. */
static void pick_invalid(gb_run *r)
{
    static const char *const dx[] = {"Z9999", "U999", "A0000", "Q9999", "R999"};
    static const char *const pr[] = {"99999", "00001", "89999", "0000T", "X9999"};
    static const char *const md[] = {"ZZ", "Z9", "9Z", "QQ", "XY"};
    static const char *const ps[] = {"98", "97", "96", "94", "00", "30"};
    const tbl_icd10 *i;
    const tbl_rvu *u;
    const tbl_hcpcs *h;
    for (size_t k = 0; k < NELEM(dx) && !r->bad_dx[0]; k++)
        if (tbl_icd10_get(r->v, dx[k], r->span_from, &i) == -CLAIMD_ETBL_NOT_FOUND)
            strcpy(r->bad_dx, dx[k]);
    for (size_t k = 0; k < NELEM(pr) && !r->bad_proc[0]; k++)
        if (tbl_rvu_get(r->v, pr[k], "", r->span_from, &u) == -CLAIMD_ETBL_NOT_FOUND &&
            tbl_hcpcs_get(r->v, pr[k], r->span_from, &h) == -CLAIMD_ETBL_NOT_FOUND)
            strcpy(r->bad_proc, pr[k]);
    for (size_t k = 0; k < NELEM(md) && !r->bad_mod[0]; k++)
        if (!tbl_modifier_valid(r->v, md[k], r->span_from) &&
            tbl_hcpcs_get(r->v, md[k], r->span_from, &h) == -CLAIMD_ETBL_NOT_FOUND)
            strcpy(r->bad_mod, md[k]);
    for (size_t k = 0; k < NELEM(ps) && !r->bad_pos[0]; k++)
        if (tbl_pos_get(r->v, ps[k], r->span_from, &(const tbl_pos *){0}) == -CLAIMD_ETBL_NOT_FOUND)
            strcpy(r->bad_pos, ps[k]);
}

static bool pos_valid(gb_run *r, const char *p)
{
    return tbl_pos_valid(r->v, p, r->span_from) && tbl_pos_valid(r->v, p, r->span_to);
}

/* Places of service (837P) or facility types (837I, also kept valid as POS
 * codes so no reading of CLM05-1 can find them unknown), and modifiers. */
static void pick_settings(gb_run *r)
{
    static const char *const p_pos[] = {"11", "22", "02", "19", "12", "23", "81", "31"};
    static const uint8_t p_w[] = {78, 7, 5, 3, 2, 2, 2, 1};
    static const char *const i_tob[] = {"13", "12", "14", "71", "72"};
    static const uint8_t i_w[] = {80, 6, 8, 3, 3};
    const char *const *c = r->o.inst ? i_tob : p_pos;
    const uint8_t *w = r->o.inst ? i_w : p_w;
    size_t n = r->o.inst ? NELEM(i_tob) : NELEM(p_pos);
    for (size_t i = 0; i < n; i++) {
        if (!pos_valid(r, c[i]))
            continue;
        r->pos_ok[r->npos] = c[i];
        r->pos_w[r->npos++] = w[i];
    }
    for (int i = 0; i < 5; i++)
        r->mod_ok[i] = tbl_modifier_valid(r->v, gb_mods[i], r->span_from) &&
                       tbl_modifier_valid(r->v, gb_mods[i], r->span_to);
}

/* The error kinds these tables support, in catalogue order. */
static void pick_kinds(gb_run *r)
{
    static const edit_id all[] = {EDIT_NPI_CHECK_DIGIT,
                                  EDIT_TIN_FORMAT,
                                  EDIT_DX_INVALID,
                                  EDIT_DX_NOT_BILLABLE,
                                  EDIT_DX_FIRST_EXTERNAL_CAUSE,
                                  EDIT_DX_POINTER,
                                  EDIT_PROC_INVALID,
                                  EDIT_MOD_INVALID,
                                  EDIT_POS_INVALID,
                                  EDIT_AGE_CONFLICT,
                                  EDIT_SEX_CONFLICT,
                                  EDIT_NCCI_PTP,
                                  EDIT_MUE_UNITS,
                                  EDIT_CHARGE_MISMATCH,
                                  EDIT_DATE_FUTURE,
                                  EDIT_DOB_AFTER_DOS,
                                  EDIT_FREQ_REF_MISSING,
                                  EDIT_DUPLICATE};
    for (size_t i = 0; i < NELEM(all); i++) {
        bool ok = true;
        switch (all[i]) {
        case EDIT_DX_INVALID:
            ok = r->bad_dx[0] != 0;
            break;
        case EDIT_DX_NOT_BILLABLE:
            ok = r->pl.nhdr > 0;
            break;
        case EDIT_DX_FIRST_EXTERNAL_CAUSE:
            ok = r->pl.next > 0;
            break;
        case EDIT_DX_POINTER:
            ok = !r->o.inst; /* 837I lines carry no diagnosis pointers */
            break;
        case EDIT_PROC_INVALID:
            ok = r->bad_proc[0] != 0;
            break;
        case EDIT_MOD_INVALID:
            ok = r->bad_mod[0] != 0;
            break;
        case EDIT_POS_INVALID:
            ok = !r->o.inst && r->bad_pos[0]; /* 837I has a type of bill instead */
            break;
        case EDIT_AGE_CONFLICT:
        case EDIT_SEX_CONFLICT:
            ok = r->pl.nrestricted > 0;
            break;
        case EDIT_NCCI_PTP: /* practitioner PTP and MUE files: 837P only */
            ok = !r->o.inst && r->pl.npairs > 0;
            break;
        case EDIT_MUE_UNITS:
            ok = !r->o.inst && r->pl.nmue > 0;
            break;
        default:
            break;
        }
        if (ok)
            r->kinds[r->nkinds++] = (int)all[i];
    }
}

static int load_pools(gb_run *r)
{
    int rc = choose_window(r);
    if (rc == 0)
        rc = load_dx(r);
    if (rc == 0)
        rc = load_procs(r);
    if (rc == 0)
        rc = load_pairs(r);
    if (rc == 0)
        rc = load_zips(r);
    if (rc < 0)
        return rc;
    load_restricted(r);
    pick_invalid(r);
    pick_settings(r);
    if (r->npos == 0) {
        fprintf(stderr, "claimgen: no usable place of service in the tables\n");
        return -EINVAL;
    }
    pick_kinds(r);
    return 0;
}

static void free_pools(gb_run *r)
{
    gb_pool *p = &r->pl;
    free(p->dx);
    free(p->dx_cdf);
    free(p->hdr);
    free(p->ext);
    free(p->procs);
    free(p->proc_cdf);
    free(p->zips);
    free(p->pairs);
    free(p->mue_procs);
    free(p->restricted);
    free(r->proc_all);
    r->proc_all = NULL;
}

/* ---- people and providers -------------------------------------------------- */

static uint32_t near_zip(gb_run *r, uint32_t zi)
{
    uint32_t n = r->pl.nzips;
    uint32_t spread = n < 8 ? n : 8;
    return (zi + rnd(r, spread)) % n;
}

static void make_person(gb_run *r, gb_person *p, int amin, int amax, uint32_t zip)
{
    p->sex = rnd(r, 2) ? 'F' : 'M';
    const char *const *fn = p->sex == 'F' ? gb_first_f : gb_first_m;
    size_t nf = p->sex == 'F' ? NELEM(gb_first_f) : NELEM(gb_first_m);
    snprintf(p->last, sizeof p->last, "%s", gb_last[rnd(r, NELEM(gb_last))]);
    snprintf(p->first, sizeof p->first, "%s", fn[rnd(r, (uint32_t)nf)]);
    int age = amin + (int)rnd(r, (uint32_t)(amax - amin + 1));
    /* born age years before the window starts, on a random day of that year */
    int32_t d = r->win_from - age * 365 - (int32_t)(age / 4) - (int32_t)rnd(r, 365);
    p->dob = gb_ymd(d);
    p->zip = near_zip(r, zip);
    p->street = rnd(r, 9000) + 100;
}

static void new_bp(gb_run *r, gb_bp *b)
{
    memset(b, 0, sizeof *b);
    b->idx = r->nbp++;
    uint64_t id = b->idx * 8;
    make_npi(id, r->o.seed, b->npi);
    b->org = r->o.inst || rnd(r, 10) < 7;
    b->zip = rnd(r, r->pl.nzips);
    b->street = rnd(r, 9000) + 100;
    const char *city = gb_cities[rnd(r, NELEM(gb_cities))];
    if (r->o.inst)
        snprintf(b->name, sizeof b->name, "%s %s", city, gb_org_i[rnd(r, NELEM(gb_org_i))]);
    else if (b->org)
        snprintf(b->name, sizeof b->name, "%s %s", rnd(r, 2) ? city : gb_last[rnd(r, 40)],
                 gb_org_p[rnd(r, NELEM(gb_org_p))]);
    else
        snprintf(b->name, sizeof b->name, "%s", gb_last[rnd(r, NELEM(gb_last))]);
    static const char *const tin_prefix[] = {"20", "26", "27", "45", "46", "47", "52", "61",
                                             "62", "63", "74", "75", "81", "84", "86", "95"};
    uint64_t t = (b->idx * 7919u + r->o.seed) % 10000000u;
    snprintf(b->tin, sizeof b->tin, "%s%07llu", tin_prefix[rnd(r, NELEM(tin_prefix))],
             (unsigned long long)t);
    b->nrend = b->org ? (uint8_t)(1 + rnd(r, 5)) : 0;
    for (int i = 0; i < b->nrend; i++) {
        make_npi(id + 1 + (uint64_t)i, r->o.seed, b->rend_npi[i]);
        b->rend_last[i] = (uint8_t)rnd(r, NELEM(gb_last));
        b->rend_first[i] = (uint8_t)rnd(r, NELEM(gb_first_f));
    }
    b->tax = r->o.inst ? "282N00000X" : gb_tax_p[rnd(r, NELEM(gb_tax_p))];
    b->fee_pct = 85 + rnd(r, 40);
    b->pos_bias = (uint8_t)rnd(r, 100);
}

static void new_sub(gb_run *r, const gb_bp *b, gb_sub *s, uint32_t nclaims)
{
    memset(s, 0, sizeof *s);
    uint64_t idx = r->nsub++;
    uint32_t kind = rnd(r, 100);
    s->payer = &gb_payers[rnd(r, NELEM(gb_payers))];
    s->dependent = kind < 22 && s->payer->filing[0] != 'M';
    if (!strcmp(s->payer->filing, "MB"))
        make_person(r, &s->sub, 65, 94, b->zip);
    else if (s->dependent)
        make_person(r, &s->sub, 24, 60, b->zip);
    else if (kind < 30)
        make_person(r, &s->sub, 0, 17, b->zip); /* a child with its own (Medicaid) cover */
    else
        make_person(r, &s->sub, 18, 64, b->zip);
    if (s->dependent) {
        make_person(r, &s->pat, 0, 17, s->sub.zip);
        strcpy(s->pat.last, s->sub.last);
        s->pat.zip = s->sub.zip;
        s->pat.street = s->sub.street;
    }
    static const char letters[] = "ABCDEFGHJKLMNPRSTUVWXYZ";
    uint64_t m = (idx * 2654435761u + r->o.seed * 97u) % 10000000000ull;
    s->member[0] = letters[(idx + r->o.seed) % 23];
    s->member[1] = letters[idx / 23 % 23];
    s->member[2] = 'G';
    snprintf(s->member + 3, sizeof s->member - 3, "%010llu", (unsigned long long)m);
    if (s->payer->filing[0] != 'M')
        snprintf(s->group, sizeof s->group, "GRP%05u", rnd(r, 100000));
    s->nclaims = nclaims;
    s->step = (uint32_t)r->win_len / nclaims;
}

static const gb_person *patient(const gb_sub *s)
{
    return s->dependent ? &s->pat : &s->sub;
}

/* ---- clean claims ---------------------------------------------------------- */

static const char *pick_pos(gb_run *r)
{
    uint32_t u = rnd(r, 100), acc = 0;
    for (int i = 0; i < r->npos; i++) {
        acc += r->pos_w[i];
        if (u < acc)
            return r->pos_ok[i];
    }
    return r->pos_ok[0];
}

static bool pos_facility(const char *p)
{
    static const char *const f[] = {"19", "21", "22", "23", "24", "26", "31", "34",
                                    "41", "42", "51", "52", "53", "56", "61", "02"};
    for (size_t i = 0; i < NELEM(f); i++)
        if (!strcmp(p, f[i]))
            return true;
    return false;
}

/* Whether procedure pi may join claim c (lines [0, n)) on date d. */
static bool proc_fits(gb_run *r, const gb_claim *c, int n, uint32_t pi, char sex, int alo, int ahi,
                      uint32_t d)
{
    const gb_proc *p = &r->pl.procs[pi];
    bool fac = pos_facility(c->pos);
    if (!lim_fits(&p->lim, sex, alo, ahi) || (fac ? p->na_fac : p->na_nonfac))
        return false;
    for (int i = 0; i < n; i++) {
        const gb_line *l = &c->lines[i];
        if (l->proc == (int16_t)pi)
            return false;
        if (l->proc >= 0 && p->cat == CAT_EM && r->pl.procs[l->proc].cat == CAT_EM)
            return false; /* one visit code a claim */
        if (p->ncci && l->proc >= 0 && r->pl.procs[l->proc].ncci &&
            (ncci_hit(r, p->code, l->code, d) || ncci_hit(r, p->code, l->code, l->date)))
            return false;
    }
    return true;
}

static const char *rev_code(const gb_proc *p)
{
    switch (p->cat) {
    case CAT_EM:
        return memcmp(p->code, "9928", 4) == 0 ? "0450" : "0510";
    case CAT_LAB:
        return "0300";
    case CAT_RAD:
        return "0320";
    case CAT_MED:
        return memcmp(p->code, "97", 2) == 0 ? "0420" : "0730";
    case CAT_SURG:
        return "0360";
    case CAT_DRUG:
        return "0636";
    default:
        return "0940";
    }
}

static void set_line(gb_run *r, const gb_bp *b, gb_line *l, uint32_t pi, uint32_t units)
{
    const gb_proc *p = &r->pl.procs[pi];
    memcpy(l->code, p->code, sizeof l->code);
    l->proc = (int16_t)pi;
    l->nmods = 0;
    l->units = units;
    int64_t unit = (int64_t)p->fee * b->fee_pct / 100 / 100 * 100;
    if (unit < 500)
        unit = 500;
    l->charge = unit * units;
    strcpy(l->rev, rev_code(p));
}

static uint32_t pick_units(gb_run *r, const gb_proc *p)
{
    uint32_t u = 1;
    if ((p->cat == CAT_DRUG || (p->cat == CAT_MED && p->code[1] == '7')) && rnd(r, 3) == 0)
        u = 2 + rnd(r, 3);
    if (p->mue && u > p->mue)
        u = p->mue;
    return u;
}

/* Modifiers that keep a line clean: 25 on a visit with other services, 26 on
 * a professional component in a facility, 95 on telehealth visits. */
static void line_mods(gb_run *r, gb_claim *c)
{
    bool other = false;
    for (int i = 0; i < c->nlines; i++)
        if (c->lines[i].proc >= 0 && r->pl.procs[c->lines[i].proc].cat != CAT_EM)
            other = true;
    for (int i = 0; i < c->nlines; i++) {
        gb_line *l = &c->lines[i];
        const gb_proc *p = &r->pl.procs[l->proc];
        if (p->cat == CAT_EM && other && r->mod_ok[MOD_25])
            strcpy(l->mods[l->nmods++], "25");
        if (p->cat == CAT_EM && !strcmp(c->pos, "02") && r->mod_ok[MOD_95])
            strcpy(l->mods[l->nmods++], "95");
        if (p->pc26 && pos_facility(c->pos) && r->mod_ok[MOD_26])
            strcpy(l->mods[l->nmods++], "26");
    }
}

static void claim_dx(gb_run *r, gb_claim *c, char sex, int alo, int ahi)
{
    static const uint8_t w[] = {30, 25, 17, 12, 7, 4, 3, 2};
    uint32_t u = rnd(r, 100), acc = 0, want = 1;
    for (uint32_t i = 0; i < NELEM(w); i++) {
        acc += w[i];
        if (u < acc) {
            want = i + 1;
            break;
        }
    }
    c->ndx = 0;
    for (uint32_t tries = 0; c->ndx < want && tries < want * 6; tries++) {
        const gb_dx *d = &r->pl.dx[zipf_pick(r, r->pl.dx_cdf, r->pl.ndx)];
        bool dup = false;
        for (int k = 0; k < c->ndx; k++)
            dup |= strcmp(c->dx[k], d->code) == 0;
        if (!dup && lim_fits(&d->lim, sex, alo, ahi))
            strcpy(c->dx[c->ndx++], d->code);
    }
    if (c->ndx == 0) {
        for (uint32_t i = 0; i < r->pl.ndx && !c->ndx; i++)
            if (!r->pl.dx[i].lim.restricted)
                strcpy(c->dx[c->ndx++], r->pl.dx[i].code);
    }
}

static void claim_ptrs(gb_run *r, gb_claim *c)
{
    for (int i = 0; i < c->nlines; i++) {
        gb_line *l = &c->lines[i];
        uint32_t np = 1 + rnd(r, c->ndx < 4 ? c->ndx : 4);
        l->nptr = 0;
        l->ptr[l->nptr++] = (uint8_t)(i == 0 ? 1 : 1 + rnd(r, c->ndx));
        for (uint32_t t = 0; l->nptr < np && t < 8; t++) {
            uint8_t p = (uint8_t)(1 + rnd(r, c->ndx));
            bool dup = false;
            for (int k = 0; k < l->nptr; k++)
                dup |= l->ptr[k] == p;
            if (!dup)
                l->ptr[l->nptr++] = p;
        }
    }
}

static void claim_total(gb_claim *c)
{
    c->clm02 = 0;
    for (int i = 0; i < c->nlines; i++)
        c->clm02 += c->lines[i].charge;
}

static int claim_nlines(gb_run *r)
{
    static const uint8_t w[] = {45, 25, 15, 8, 4, 3};
    uint32_t u = rnd(r, 100), acc = 0;
    for (uint32_t i = 0; i < NELEM(w); i++) {
        acc += w[i];
        if (u < acc)
            return (int)i + 1;
    }
    return 1;
}

/* A claim that passes every edit, for patient s of provider b; j is its
 * place among the patient's claims (for distinct dates). single_day forces
 * every line onto one date. */
static void clean_claim(gb_run *r, const gb_bp *b, const gb_sub *s, uint32_t j, gb_claim *c,
                        bool single_day)
{
    memset(c, 0, sizeof *c);
    const gb_person *pt = patient(s);
    uint32_t step = s->step ? s->step : 1;
    uint32_t off = j * step + rnd(r, step);
    uint32_t spread = 0;
    if (!single_day && rnd(r, 10) == 0) {
        spread = 1 + rnd(r, 2);
        if (off + spread >= (j + 1) * step || off + spread >= (uint32_t)r->win_len)
            spread = 0;
    }
    c->from = gb_ymd(r->win_from + (int32_t)off);
    c->to = gb_ymd(r->win_from + (int32_t)(off + spread));
    int alo = gb_age(pt->dob, c->from), ahi = gb_age(pt->dob, c->to);
    snprintf(c->pos, sizeof c->pos, "%s", b->pos_bias < 60 ? r->pos_ok[0] : pick_pos(r));
    c->freq = '1';
    if (rnd(r, 40) == 0) {
        c->freq = '7';
        c->f8 = true;
    }
    c->rend = b->nrend ? (int)rnd(r, b->nrend) : -1;
    claim_dx(r, c, pt->sex, alo, ahi);
    int want = claim_nlines(r);
    for (int tries = 0; c->nlines < want && tries < want * 6; tries++) {
        uint32_t pi = zipf_pick(r, r->pl.proc_cdf, r->pl.nprocs);
        uint32_t d = gb_ymd(r->win_from + (int32_t)(off + (spread ? rnd(r, spread + 1) : 0)));
        if (c->nlines == 0)
            d = c->from;
        if (!proc_fits(r, c, c->nlines, pi, pt->sex, alo, ahi, d))
            continue;
        gb_line *l = &c->lines[c->nlines++];
        set_line(r, b, l, pi, pick_units(r, &r->pl.procs[pi]));
        l->date = d;
    }
    if (c->nlines == 0) { /* nothing fitted: the first unrestricted code that does */
        for (uint32_t pi = 0; pi < r->pl.nprocs && !c->nlines; pi++) {
            if (!proc_fits(r, c, 0, pi, pt->sex, alo, ahi, c->from))
                continue;
            set_line(r, b, &c->lines[0], pi, 1);
            c->lines[0].date = c->from;
            c->nlines = 1;
        }
    }
    if (spread) { /* the last date actually used closes the span */
        c->to = c->from;
        for (int i = 0; i < c->nlines; i++)
            if (c->lines[i].date > c->to)
                c->to = c->lines[i].date;
    }
    line_mods(r, c);
    claim_ptrs(r, c);
    claim_total(c);
}

/* ---- injected errors ------------------------------------------------------- */

typedef struct gb_inj {
    int kind; /* edit_id or -1 */
    uint32_t line;
} gb_inj;

static int any_restricted(gb_run *r, const gb_claim *c)
{
    for (int i = 0; i < c->nlines; i++)
        if (c->lines[i].proc >= 0 && r->pl.procs[c->lines[i].proc].lim.restricted)
            return 1;
    for (int i = 0; i < c->ndx; i++)
        for (uint32_t k = 0; k < r->pl.nrestricted; k++)
            if (!strcmp(r->pl.dx[r->pl.restricted[k]].code, c->dx[i]))
                return 1;
    return 0;
}

/* AGE or SEX: add (or put last) a diagnosis whose limit the patient breaks in
 * exactly that one way. */
static bool inj_agesex(gb_run *r, const gb_sub *s, gb_claim *c, bool sex_kind)
{
    const gb_person *pt = patient(s);
    int alo = gb_age(pt->dob, c->from), ahi = gb_age(pt->dob, c->to);
    if (alo < 0 || r->pl.nrestricted == 0)
        return false;
    uint32_t start = rnd(r, r->pl.nrestricted);
    for (uint32_t t = 0; t < r->pl.nrestricted; t++) {
        const gb_dx *d = &r->pl.dx[r->pl.restricted[(start + t) % r->pl.nrestricted]];
        bool age_in = alo >= d->lim.amin && ahi <= d->lim.amax;
        bool age_out = ahi < d->lim.amin || alo > d->lim.amax;
        bool sex_ok = !d->lim.sex || d->lim.sex == pt->sex;
        if (sex_kind ? (sex_ok || !age_in) : (!sex_ok || !age_out))
            continue;
        bool dup = false;
        for (int k = 0; k < c->ndx; k++)
            dup |= !strcmp(c->dx[k], d->code);
        if (dup)
            continue;
        if (c->ndx < GB_MAX_DX)
            strcpy(c->dx[c->ndx++], d->code);
        else
            strcpy(c->dx[c->ndx - 1], d->code);
        return true;
    }
    return false;
}

static bool inj_ncci(gb_run *r, const gb_bp *b, const gb_sub *s, gb_claim *c, uint32_t *line)
{
    const gb_person *pt = patient(s);
    int alo = gb_age(pt->dob, c->from), ahi = gb_age(pt->dob, c->to);
    uint32_t start = rnd(r, r->pl.npairs);
    for (uint32_t t = 0; t < r->pl.npairs && t < 64; t++) {
        const gb_pair *pr = &r->pl.pairs[(start + t) % r->pl.npairs];
        gb_claim k = *c;
        k.nlines = 0;
        if (!proc_fits(r, &k, 0, pr->c1, pt->sex, alo, ahi, c->from))
            continue;
        set_line(r, b, &k.lines[k.nlines++], pr->c1, 1);
        k.lines[0].date = c->from;
        /* the pair itself is the one edit: c2 joins without the NCCI check */
        const gb_proc *p2 = &r->pl.procs[pr->c2];
        if (!lim_fits(&p2->lim, pt->sex, alo, ahi) ||
            (pos_facility(c->pos) ? p2->na_fac : p2->na_nonfac))
            continue;
        set_line(r, b, &k.lines[k.nlines++], pr->c2, 1);
        k.lines[1].date = c->from;
        for (int i = 0; i < c->nlines && k.nlines < 4; i++) {
            const gb_line *o = &c->lines[i];
            if (proc_fits(r, &k, k.nlines, (uint32_t)o->proc, pt->sex, alo, ahi, o->date)) {
                k.lines[k.nlines] = *o;
                k.lines[k.nlines++].nmods = 0;
            }
        }
        for (int i = 0; i < k.nlines; i++)
            k.lines[i].nmods = 0;
        /* modifiers again, but never a bypass on the pair (25 is one) */
        for (int i = 2; i < k.nlines; i++) {
            const gb_proc *p = &r->pl.procs[k.lines[i].proc];
            if (p->pc26 && pos_facility(k.pos) && r->mod_ok[MOD_26])
                strcpy(k.lines[i].mods[k.lines[i].nmods++], "26");
        }
        claim_ptrs(r, &k);
        claim_total(&k);
        *c = k;
        *line = 2;
        return true;
    }
    return false;
}

static bool inj_mue(gb_run *r, const gb_bp *b, const gb_sub *s, gb_claim *c, uint32_t *line)
{
    const gb_person *pt = patient(s);
    int alo = gb_age(pt->dob, c->from), ahi = gb_age(pt->dob, c->to);
    for (int i = 0; i < c->nlines; i++) {
        const gb_proc *p = &r->pl.procs[c->lines[i].proc];
        if (p->mue >= 1 && p->mue <= 50) {
            gb_line *l = &c->lines[i];
            l->charge = l->charge / l->units * (p->mue + 1);
            l->units = p->mue + 1u;
            claim_total(c);
            *line = (uint32_t)i + 1;
            return true;
        }
    }
    uint32_t start = rnd(r, r->pl.nmue);
    for (uint32_t t = 0; t < r->pl.nmue && t < 64; t++) {
        uint32_t pi = r->pl.mue_procs[(start + t) % r->pl.nmue];
        int at = c->nlines - 1; /* replace the last line */
        gb_line keep = c->lines[at];
        if (!proc_fits(r, c, at, pi, pt->sex, alo, ahi, keep.date))
            continue;
        gb_line *l = &c->lines[at];
        set_line(r, b, l, pi, r->pl.procs[pi].mue + 1u);
        l->date = keep.date;
        memcpy(l->ptr, keep.ptr, sizeof l->ptr);
        l->nptr = keep.nptr;
        /* a replaced visit may leave a 25 behind, or need one: recompute */
        for (int i = 0; i < c->nlines; i++)
            c->lines[i].nmods = 0;
        line_mods(r, c);
        claim_total(c);
        *line = (uint32_t)at + 1;
        return true;
    }
    return false;
}

static bool inj_date_future(gb_run *r, const gb_sub *s, gb_claim *c, uint32_t *line)
{
    const gb_person *pt = patient(s);
    int32_t fut = gb_days(r->bht) + 1 + (int32_t)rnd(r, 7);
    int a = gb_age(pt->dob, gb_ymd(fut));
    if (any_restricted(r, c) && a != gb_age(pt->dob, c->from))
        return false;
    /* one line past BHT04; on an 837I the statement span stretches to hold it */
    int at = (int)rnd(r, c->nlines);
    c->lines[at].date = gb_ymd(fut);
    if (c->lines[at].date > c->to)
        c->to = c->lines[at].date;
    *line = (uint32_t)at + 1;
    return true;
}

static bool inj_dx(gb_run *r, gb_claim *c, int kind)
{
    int at = (int)rnd(r, c->ndx);
    switch (kind) {
    case EDIT_DX_INVALID:
        if (strlen(c->dx[at]) > 3 && rnd(r, 2)) { /* the same code, written with a dot */
            char t[9];
            snprintf(t, sizeof t, "%.3s.%s", c->dx[at], c->dx[at] + 3);
            strcpy(c->dx[at], t);
        } else {
            strcpy(c->dx[at], r->bad_dx);
        }
        return true;
    case EDIT_DX_NOT_BILLABLE: {
        const char *h = r->pl.hdr[rnd(r, r->pl.nhdr)].code;
        for (int k = 0; k < c->ndx; k++)
            if (!strcmp(c->dx[k], h))
                return false;
        strcpy(c->dx[at], h);
        return true;
    }
    default: /* DX_FIRST_EXTERNAL_CAUSE: an external-cause code moves in first */
        if (c->ndx >= GB_MAX_DX)
            return false;
        memmove(c->dx[1], c->dx[0], sizeof c->dx[0] * c->ndx);
        strcpy(c->dx[0], r->pl.ext[rnd(r, r->pl.next)].code);
        c->ndx++;
        for (int i = 0; i < c->nlines; i++)
            for (int k = 0; k < c->lines[i].nptr; k++)
                c->lines[i].ptr[k]++;
        return true;
    }
}

/* Applies kind to the clean claim c; false (c untouched) when it cannot. */
static bool inject(gb_run *r, const gb_bp *b, gb_sub *s, gb_claim *c, int kind, uint32_t *line)
{
    *line = 0;
    switch (kind) {
    case EDIT_DX_INVALID:
    case EDIT_DX_NOT_BILLABLE:
    case EDIT_DX_FIRST_EXTERNAL_CAUSE:
        return inj_dx(r, c, kind);
    case EDIT_DX_POINTER: {
        int at = (int)rnd(r, c->nlines);
        gb_line *l = &c->lines[at];
        l->ptr[l->nptr - 1] = (uint8_t)(c->ndx + 1);
        *line = (uint32_t)at + 1;
        return true;
    }
    case EDIT_PROC_INVALID: {
        int at = (int)rnd(r, c->nlines);
        gb_line *l = &c->lines[at];
        strcpy(l->code, r->bad_proc);
        l->nmods = 0;
        l->units = 1;
        l->proc = -1;
        l->charge = 5000 + rnd(r, 200) * 100;
        claim_total(c);
        *line = (uint32_t)at + 1;
        return true;
    }
    case EDIT_MOD_INVALID: {
        int at = (int)rnd(r, c->nlines);
        gb_line *l = &c->lines[at];
        if (l->nmods >= 4)
            return false;
        strcpy(l->mods[l->nmods++], r->bad_mod);
        *line = (uint32_t)at + 1;
        return true;
    }
    case EDIT_POS_INVALID:
        for (int i = 0; i < c->nlines; i++) /* 26 and 95 follow the setting: drop them */
            c->lines[i].nmods = 0;
        strcpy(c->pos, r->bad_pos);
        line_mods(r, c);
        return true;
    case EDIT_AGE_CONFLICT:
    case EDIT_SEX_CONFLICT:
        return inj_agesex(r, s, c, kind == EDIT_SEX_CONFLICT);
    case EDIT_NCCI_PTP:
        return inj_ncci(r, b, s, c, line);
    case EDIT_MUE_UNITS:
        return inj_mue(r, b, s, c, line);
    case EDIT_CHARGE_MISMATCH:
        c->clm02 += (rnd(r, 2) ? 1 : -1) * (int64_t)(100 + rnd(r, 40) * 100);
        if (c->clm02 <= 0)
            c->clm02 += (int64_t)2 * (100 + 40 * 100);
        return true;
    case EDIT_DATE_FUTURE:
        return inj_date_future(r, s, c, line);
    case EDIT_FREQ_REF_MISSING:
        c->freq = '7';
        c->f8 = false;
        return true;
    case EDIT_DUPLICATE:
        if (!s->prev_ok)
            return false;
        *c = s->prev;
        return true;
    default:
        return false;
    }
}

static bool isolated_kind(int k)
{
    return k == EDIT_NPI_CHECK_DIGIT || k == EDIT_TIN_FORMAT || k == EDIT_DOB_AFTER_DOS;
}

/* The next claim's plan: -1 clean, else the kind drawn for it. Drawn from
 * its own stream so the structure of a batch does not move the draws. */
static int peek_plan(gb_run *r)
{
    if (r->peek == -2) {
        r->peek = -1;
        if (r->o.rate > 0 && r->nkinds > 0 && cg_rng_unit(&r->rp) < r->o.rate)
            r->peek = r->kinds[cg_rng_below(&r->rp, (uint32_t)r->nkinds)];
    }
    return r->peek;
}

/* ---- rendering ------------------------------------------------------------- */

static void w_person_addr(gb_w *w, gb_run *r, uint32_t street, uint32_t zi, bool person)
{
    const gb_zip *z = &r->pl.zips[zi];
    w_s(w, "N3*");
    w_u(w, street, 0);
    w_c(w, ' ');
    w_s(w, gb_streets[(street + zi) % NELEM(gb_streets)]);
    w_c(w, ' ');
    w_s(w, gb_suffix[street % NELEM(gb_suffix)]);
    w_end(w);
    w_s(w, "N4*");
    w_s(w, gb_cities[(zi * 7 + (uint32_t)z->zip[4]) % NELEM(gb_cities)]);
    w_c(w, '*');
    w_s(w, z->state);
    w_c(w, '*');
    w_s(w, z->zip);
    if (person && street % 3 == 0) /* some senders give a patient's ZIP+4 */
        w_u(w, (uint64_t)(street * 7u) % 10000u, 4);
    w_end(w);
}

static void w_hl(gb_w *w, uint32_t id, uint32_t parent, const char *code, int child)
{
    w_s(w, "HL*");
    w_u(w, id, 0);
    w_c(w, '*');
    if (parent)
        w_u(w, parent, 0);
    w_c(w, '*');
    w_s(w, code);
    w_c(w, '*');
    w_c(w, child ? '1' : '0');
    w_end(w);
}

static void render_bp(gb_run *r, gb_w *w, const gb_bp *b, const char *npi, const char *tin)
{
    w_hl(w, ++r->hl, 0, "20", 1);
    r->hl_bp = r->hl;
    w_s(w, "PRV*BI*PXC*");
    w_s(w, b->tax);
    w_end(w);
    w_s(w, "NM1*85*");
    w_c(w, b->org ? '2' : '1');
    w_c(w, '*');
    w_s(w, b->name);
    if (!b->org) {
        w_c(w, '*');
        w_s(w, gb_first_m[b->idx % NELEM(gb_first_m)]);
        w_s(w, "****XX*");
    } else {
        w_s(w, "*****XX*");
    }
    w_s(w, npi);
    w_end(w);
    w_person_addr(w, r, b->street, b->zip, false);
    w_s(w, "REF*EI*");
    w_s(w, tin);
    w_end(w);
}

static void w_dmg(gb_w *w, const gb_person *p)
{
    w_s(w, "DMG*D8*");
    w_u(w, p->dob, 8);
    w_c(w, '*');
    w_c(w, p->sex);
    w_end(w);
}

static void render_sub(gb_run *r, gb_w *w, const gb_sub *s)
{
    uint32_t parent = r->hl_bp;
    w_hl(w, ++r->hl, parent, "22", s->dependent);
    uint32_t sub_hl = r->hl;
    w_s(w, "SBR*P*");
    if (!s->dependent)
        w_s(w, "18");
    w_c(w, '*');
    w_s(w, s->group);
    w_s(w, "******");
    w_s(w, s->payer->filing);
    w_end(w);
    w_s(w, "NM1*IL*1*");
    w_s(w, s->sub.last);
    w_c(w, '*');
    w_s(w, s->sub.first);
    w_s(w, "****MI*");
    w_s(w, s->member);
    w_end(w);
    w_person_addr(w, r, s->sub.street, s->sub.zip, true);
    w_dmg(w, &s->sub);
    w_s(w, "NM1*PR*2*");
    w_s(w, s->payer->name);
    w_s(w, "*****PI*");
    w_s(w, s->payer->id);
    w_end(w);
    if (s->dependent) {
        w_hl(w, ++r->hl, sub_hl, "23", 0);
        w_s(w, "PAT*19");
        w_end(w);
        w_s(w, "NM1*QC*1*");
        w_s(w, s->pat.last);
        w_c(w, '*');
        w_s(w, s->pat.first);
        w_end(w);
        w_person_addr(w, r, s->pat.street, s->pat.zip, true);
        w_dmg(w, &s->pat);
    }
}

static void w_hi(gb_w *w, const gb_claim *c)
{
    w_s(w, "HI*ABK:");
    w_s(w, c->dx[0]);
    for (int i = 1; i < c->ndx; i++) {
        w_s(w, "*ABF:");
        w_s(w, c->dx[i]);
    }
    w_end(w);
}

static void w_proc(gb_w *w, const gb_line *l)
{
    w_s(w, "HC:");
    w_s(w, l->code);
    for (int m = 0; m < l->nmods; m++) {
        w_c(w, ':');
        w_s(w, l->mods[m]);
    }
}

static void render_lines(gb_run *r, gb_w *w, const gb_claim *c)
{
    for (int i = 0; i < c->nlines; i++) {
        const gb_line *l = &c->lines[i];
        w_s(w, "LX*");
        w_u(w, (uint64_t)i + 1, 0);
        w_end(w);
        if (r->o.inst) {
            w_s(w, "SV2*");
            w_s(w, l->rev);
            w_c(w, '*');
            w_proc(w, l);
            w_c(w, '*');
            w_money(w, l->charge);
            w_s(w, "*UN*");
            w_u(w, l->units, 0);
        } else {
            w_s(w, "SV1*");
            w_proc(w, l);
            w_c(w, '*');
            w_money(w, l->charge);
            w_s(w, "*UN*");
            w_u(w, l->units, 0);
            w_s(w, "***");
            for (int k = 0; k < l->nptr; k++) {
                if (k)
                    w_c(w, ':');
                w_u(w, l->ptr[k], 0);
            }
        }
        w_end(w);
        w_s(w, "DTP*472*D8*");
        w_u(w, l->date, 8);
        w_end(w);
    }
}

static void render_claim(gb_run *r, gb_w *w, const gb_bp *b, const gb_claim *c)
{
    w_s(w, "CLM*");
    w_s(w, c->id);
    w_c(w, '*');
    w_money(w, c->clm02);
    w_s(w, "***");
    w_s(w, c->pos);
    w_s(w, r->o.inst ? ":A:" : ":B:");
    w_c(w, c->freq);
    w_s(w, r->o.inst ? "**A*Y*Y" : "*Y*A*Y*Y");
    w_end(w);
    if (r->o.inst) {
        w_s(w, "DTP*434*RD8*");
        w_u(w, c->from, 8);
        w_c(w, '-');
        w_u(w, c->to, 8);
        w_end(w);
        w_s(w, "CL1*1*1*01");
        w_end(w);
    }
    if (c->f8) {
        w_s(w, "REF*F8*");
        w_s(w, "PCN");
        w_s(w, c->id + 3);
        w_end(w);
    }
    w_hi(w, c);
    if (c->rend >= 0) {
        w_s(w, r->o.inst ? "NM1*71*1*" : "NM1*82*1*");
        w_s(w, gb_last[b->rend_last[c->rend] % NELEM(gb_last)]);
        w_c(w, '*');
        w_s(w, gb_first_f[b->rend_first[c->rend] % NELEM(gb_first_f)]);
        w_s(w, "****XX*");
        w_s(w, b->rend_npi[c->rend]);
        w_end(w);
        w_s(w, r->o.inst ? "PRV*AT*PXC*" : "PRV*PE*PXC*");
        w_s(w, r->o.inst ? "207Q00000X" : b->tax);
        w_end(w);
    }
    render_lines(r, w, c);
}

/* ---- the stream ------------------------------------------------------------ */

static void truth_line(gb_run *r, const gb_claim *c, const gb_inj *in)
{
    if (!r->want_truth)
        return;
    gb_w w = {gb_out_reserve(&r->tr, 128), 0};
    w_s(&w, c->id);
    w_c(&w, '\t');
    w_s(&w, in->kind < 0 ? "-" : edit_def_of((edit_id)in->kind)->name);
    w_c(&w, '\t');
    w_u(&w, in->line, 0);
    w_c(&w, '\n');
    gb_out_commit(&r->tr, w.p);
}

/* Generates, renders and records one claim with the planned kind (-1 clean,
 * or a non-isolated kind; the isolated ones are applied by the caller). */
static void emit_claim(gb_run *r, gb_w *w, const gb_bp *b, gb_sub *s, uint32_t j, int plan,
                       gb_inj *pre)
{
    gb_claim c;
    bool dob_kind = pre && pre->kind == EDIT_DOB_AFTER_DOS;
    clean_claim(r, b, s, j, &c, dob_kind);
    gb_inj in = pre ? *pre : (gb_inj){-1, 0};
    if (!pre && plan >= 0) {
        int start = 0;
        while (r->kinds[start] != plan)
            start++;
        for (int t = 0; t < r->nkinds && in.kind < 0; t++) {
            int k = r->kinds[(start + t) % r->nkinds];
            if (!isolated_kind(k) && inject(r, b, s, &c, k, &in.line))
                in.kind = k;
        }
    }
    snprintf(c.id, sizeof c.id, "CG%010llu", (unsigned long long)++r->claim_no);
    if (in.kind < 0 && c.freq == '1') {
        s->prev_ok = true;
        s->prev = c;
    }
    render_claim(r, w, b, &c);
    r->lines += c.nlines;
    if (in.kind >= 0) {
        r->injected++;
        r->per_kind[in.kind]++;
    }
    truth_line(r, &c, &in);
}

/* A patient born after the claim's date of service: its own subscriber loop,
 * one claim with unrestricted codes on a single day. */
static void emit_dob_claim(gb_run *r, gb_w *w, const gb_bp *b)
{
    gb_sub s;
    new_sub(r, b, &s, 1);
    s.dependent = false;
    int32_t dos_hi = r->win_from + r->win_len - 1;
    /* DOB after the whole window: DOB > every DOS of the claim, DOB <= BHT04 */
    int32_t bd = dos_hi + 1 + (int32_t)rnd(r, (uint32_t)(gb_days(r->bht) - dos_hi));
    s.sub.dob = gb_ymd(bd);
    render_sub(r, w, &s);
    gb_inj in = {EDIT_DOB_AFTER_DOS, 0};
    emit_claim(r, w, b, &s, 0, -1, &in);
}

static void flush_seg(gb_run *r, gb_w *w)
{
    gb_out_commit(&r->out, w->p);
    r->txn_seg += w->nseg;
    w->nseg = 0;
}

/* A billing provider whose own NPI or TIN is wrong: one subscriber, one claim. */
static void emit_isolated_bp(gb_run *r, int kind)
{
    gb_bp b;
    new_bp(r, &b);
    b.nrend = 0;
    char npi[11], tin[12];
    strcpy(npi, b.npi);
    strcpy(tin, b.tin);
    if (kind == EDIT_NPI_CHECK_DIGIT)
        npi[9] = (char)('0' + (npi[9] - '0' + 1 + (int)rnd(r, 9)) % 10);
    else if (rnd(r, 2))
        tin[8] = 0; /* eight digits */
    else
        snprintf(tin, sizeof tin, "%.2s-%.7s", b.tin, b.tin + 2);
    gb_w w = {gb_out_reserve(&r->out, GB_CLAIM_ROOM), 0};
    render_bp(r, &w, &b, npi, tin);
    gb_sub s;
    new_sub(r, &b, &s, 1);
    render_sub(r, &w, &s);
    gb_inj in = {kind, 0};
    emit_claim(r, &w, &b, &s, 0, -1, &in);
    flush_seg(r, &w);
}

/* Claims per billing provider: many, skewed (a few large groups). */
static uint64_t bp_quota(gb_run *r)
{
    double u = cg_rng_unit(&r->rc);
    return 5 + (uint64_t)(400.0 * u * u * u);
}

static uint32_t sub_quota(gb_run *r)
{
    static const uint8_t w[] = {55, 25, 12, 8};
    uint32_t u = rnd(r, 100), acc = 0;
    for (uint32_t i = 0; i < NELEM(w); i++) {
        acc += w[i];
        if (u < acc)
            return i + 1;
    }
    return 1;
}

/* One billing provider loop with up to quota claims (fewer when the next
 * claim must sit under a provider of its own). Returns the claims written. */
static uint64_t emit_bp(gb_run *r, uint64_t quota)
{
    gb_bp b;
    new_bp(r, &b);
    gb_w w = {gb_out_reserve(&r->out, GB_CLAIM_ROOM), 0};
    render_bp(r, &w, &b, b.npi, b.tin);
    flush_seg(r, &w);
    uint64_t done = 0;
    while (done < quota) {
        int plan = peek_plan(r);
        if (plan == EDIT_NPI_CHECK_DIGIT || plan == EDIT_TIN_FORMAT)
            break;
        w.p = gb_out_reserve(&r->out, (size_t)GB_CLAIM_ROOM * 2);
        if (plan == EDIT_DOB_AFTER_DOS) {
            r->peek = -2;
            emit_dob_claim(r, &w, &b);
            flush_seg(r, &w);
            done++;
            continue;
        }
        uint32_t n = sub_quota(r);
        if (n > quota - done)
            n = (uint32_t)(quota - done);
        gb_sub *s = malloc(sizeof *s);
        if (!s) {
            r->out.err = -ENOMEM;
            return quota;
        }
        new_sub(r, &b, s, n);
        render_sub(r, &w, s);
        for (uint32_t j = 0; j < n; j++) {
            plan = peek_plan(r);
            if (j > 0 && isolated_kind(plan))
                break;
            w.p = j ? gb_out_reserve(&r->out, GB_CLAIM_ROOM) : w.p;
            r->peek = -2;
            emit_claim(r, &w, &b, s, j, plan, NULL);
            flush_seg(r, &w);
            done++;
        }
        flush_seg(r, &w);
        free(s);
    }
    return done;
}

static void w_date6(gb_w *w, uint32_t ymd)
{
    w_u(w, ymd % 1000000, 6);
}

static void render_isa_gs(gb_run *r)
{
    gb_w w = {gb_out_reserve(&r->out, 1024), 0};
    w_s(&w, "ISA*00*          *00*          *ZZ*CLAIMGEN       *ZZ*CLAIMD         *");
    w_date6(&w, r->bht);
    w_c(&w, '*');
    w_u(&w, r->bht_time, 4);
    w_s(&w, "*^*00501*");
    w_u(&w, 1 + r->o.seed % 999999999u, 9);
    w_s(&w, "*0*T*:");
    w_end(&w);
    w_s(&w, "GS*HC*CLAIMGEN*CLAIMD*");
    w_u(&w, r->bht, 8);
    w_c(&w, '*');
    w_u(&w, r->bht_time, 4);
    w_c(&w, '*');
    w_u(&w, 1 + r->o.seed % 99999u, 0);
    w_s(&w, r->o.inst ? "*X*005010X223A2" : "*X*005010X222A1");
    w_end(&w);
    gb_out_commit(&r->out, w.p);
}

static void render_st(gb_run *r, uint32_t t)
{
    gb_w w = {gb_out_reserve(&r->out, 1024), 0};
    w_s(&w, "ST*837*");
    w_u(&w, t, 4);
    w_s(&w, r->o.inst ? "*005010X223A2" : "*005010X222A1");
    w_end(&w);
    w_s(&w, "BHT*0019*00*CG");
    w_u(&w, r->o.seed % 1000000u, 6);
    w_u(&w, t, 6);
    w_c(&w, '*');
    w_u(&w, r->bht, 8);
    w_c(&w, '*');
    w_u(&w, r->bht_time, 4);
    w_s(&w, "*CH");
    w_end(&w);
    w_s(&w, "NM1*41*2*CLAIMGEN BILLING SERVICE*****46*CG");
    w_u(&w, r->o.seed % 100000u, 5);
    w_end(&w);
    w_s(&w, "PER*IC*EDI DESK*TE*8005550100");
    w_end(&w);
    w_s(&w, "NM1*40*2*CLAIMD CLEARINGHOUSE*****46*CLAIMD");
    w_end(&w);
    r->txn_seg = 0;
    flush_seg(r, &w);
    r->hl = 0;
}

static void render_se(gb_run *r, uint32_t t)
{
    gb_w w = {gb_out_reserve(&r->out, 128), 0};
    w_s(&w, "SE*");
    w_u(&w, r->txn_seg + 1, 0);
    w_c(&w, '*');
    w_u(&w, t, 4);
    w_end(&w);
    gb_out_commit(&r->out, w.p);
}

static void render_trailers(gb_run *r)
{
    gb_w w = {gb_out_reserve(&r->out, 128), 0};
    w_s(&w, "GE*");
    w_u(&w, r->o.ntxn, 0);
    w_c(&w, '*');
    w_u(&w, 1 + r->o.seed % 99999u, 0);
    w_end(&w);
    w_s(&w, "IEA*1*");
    w_u(&w, 1 + r->o.seed % 999999999u, 9);
    w_end(&w);
    gb_out_commit(&r->out, w.p);
}

static void generate(gb_run *r)
{
    render_isa_gs(r);
    r->peek = -2;
    for (uint32_t t = 1; t <= r->o.ntxn; t++) {
        uint64_t want = r->o.n / r->o.ntxn + (t <= r->o.n % r->o.ntxn ? 1 : 0);
        render_st(r, t);
        while (want > 0 && !r->out.err) {
            int plan = peek_plan(r);
            if (plan == EDIT_NPI_CHECK_DIGIT || plan == EDIT_TIN_FORMAT) {
                r->peek = -2;
                emit_isolated_bp(r, plan);
                want--;
                continue;
            }
            uint64_t q = bp_quota(r);
            want -= emit_bp(r, q < want ? q : want);
        }
        render_se(r, t);
    }
    render_trailers(r);
}

/* ---- command line ---------------------------------------------------------- */

static int usage_err(const char *msg, const char *arg)
{
    fprintf(stderr, "claimgen batch: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    fprintf(stderr, "usage: claimgen batch --claims N [--seed S] [--tables DIR] "
                    "[--type 837p|837i] [--errors RATE] [--transactions K] [--out FILE] "
                    "[--truth PATH]\n");
    return 2;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return false;
    *out = v;
    return true;
}

static int parse_args(int argc, char **argv, gb_opts *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->ntxn = 1;
    bool have_n = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t u;
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return -1;
        if (!v)
            return usage_err("missing value for", a);
        i++;
        if (!strcmp(a, "--claims")) {
            if (!parse_u64(v, &o->n) || o->n == 0)
                return usage_err("--claims needs a positive count", v);
            have_n = true;
        } else if (!strcmp(a, "--seed")) {
            if (!parse_u64(v, &o->seed))
                return usage_err("--seed needs a non-negative integer", v);
        } else if (!strcmp(a, "--tables")) {
            o->tables = v;
        } else if (!strcmp(a, "--type")) {
            if (strcasecmp(v, "837p") != 0 && strcasecmp(v, "837i") != 0)
                return usage_err("--type is 837p or 837i", v);
            o->inst = strcasecmp(v, "837i") == 0;
        } else if (!strcmp(a, "--errors")) {
            char *end;
            o->rate = strtod(v, &end);
            if (end == v || *end || !(o->rate >= 0 && o->rate <= 1))
                return usage_err("--errors is a rate in [0, 1]", v);
            o->errors = true;
        } else if (!strcmp(a, "--transactions")) {
            if (!parse_u64(v, &u) || u == 0 || u > GB_MAX_TXN)
                return usage_err("--transactions is 1..999999", v);
            o->ntxn = (uint32_t)u;
        } else if (!strcmp(a, "--out")) {
            o->out = v;
        } else if (!strcmp(a, "--truth")) {
            o->truth = v;
        } else {
            return usage_err("unknown option", a);
        }
    }
    if (!have_n)
        return usage_err("--claims is required", NULL);
    if (o->ntxn > o->n)
        o->ntxn = (uint32_t)o->n;
    if (o->errors && !o->out && !o->truth)
        return usage_err("--errors writes a truth file: give --out FILE or --truth PATH", NULL);
    return 0;
}

static int open_tables(gb_run *r)
{
    char dir[PATH_MAX];
    const char *path = r->o.tables;
    if (!path || !strcmp(path, "default")) {
        int rc = tbl_default_dir(dir, sizeof dir);
        if (rc < 0) {
            fprintf(stderr, "claimgen: no default tables version found (%s); give --tables\n",
                    claimd_strerror(rc));
            return rc;
        }
        path = dir;
    }
    int rc = tbl_open(path, 0, &r->v);
    if (rc < 0)
        fprintf(stderr, "claimgen: %s: %s\n", path, claimd_strerror(rc));
    return rc;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void report(gb_run *r, double t0, double t1, double t2)
{
    fprintf(stderr,
            "claimgen batch: %llu claims, %llu lines, %u transactions, %llu bytes; "
            "dates of service %u-%u, BHT04 %u; %llu with an injected error; "
            "pools: %u dx, %u procedures, %u ZIPs, %u NCCI pairs; "
            "start-up %.3f s, generation %.3f s (%.0f claims/s)\n",
            (unsigned long long)r->claim_no, (unsigned long long)r->lines, r->o.ntxn,
            (unsigned long long)r->out.bytes, r->span_from, gb_ymd(r->win_from + r->win_len - 1),
            r->bht, (unsigned long long)r->injected, r->pl.ndx, r->pl.nprocs, r->pl.nzips,
            r->pl.npairs, t1 - t0, t2 - t1, t2 > t1 ? (double)r->claim_no / (t2 - t1) : 0.0);
}

int cg_batch_main(int argc, char **argv)
{
    gb_run *r = calloc(1, sizeof *r);
    if (!r)
        return 1;
    int st = parse_args(argc, argv, &r->o);
    if (st) {
        free(r);
        if (st < 0)
            printf("usage: claimgen batch --claims N [--seed S] [--tables DIR] [--type 837p|837i]\n"
                   "         [--errors RATE] [--transactions K] [--out FILE] [--truth PATH]\n");
        return st < 0 ? 0 : st;
    }
    double t0 = now_s();
    cg_rng_seed(&r->rp, r->o.seed, 1);
    cg_rng_seed(&r->rc, r->o.seed, 2);
    int rc = open_tables(r);
    if (rc == 0)
        rc = load_pools(r);
    char *truth = NULL;
    r->want_truth = r->o.errors || r->o.truth;
    if (rc == 0 && r->want_truth && !r->o.truth) {
        truth = malloc(strlen(r->o.out) + 16);
        if (truth)
            sprintf(truth, "%s.truth.tsv", r->o.out);
    }
    if (rc == 0)
        rc = gb_out_open(&r->out, r->o.out);
    if (rc == 0 && r->want_truth)
        rc = gb_out_open(&r->tr, r->o.truth ? r->o.truth : truth);
    double t1 = now_s();
    if (rc == 0)
        generate(r);
    bool ok = rc == 0 && !r->out.err && !r->tr.err;
    uint64_t bytes = r->out.bytes;
    int e1 = r->want_truth ? gb_out_close(&r->tr, ok) : 0;
    int e2 = gb_out_close(&r->out, ok && !e1);
    double t2 = now_s();
    r->out.bytes = bytes;
    if (ok && !e1 && !e2)
        report(r, t0, t1, t2);
    free(truth);
    free_pools(r);
    tbl_close(r->v);
    st = ok && !e1 && !e2 ? 0 : 1;
    free(r);
    return st;
}
