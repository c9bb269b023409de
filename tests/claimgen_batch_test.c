/* claimgen batch: determinism, an envelope check written here independently
 * of claimd's reader (segments re-split by the delimiters, control numbers,
 * counts, HL parents, CLM02 against the line charges), then claimd's own
 * walker on the same bytes (no 999 error, the counts as generated), and the
 * truth file of a batch with injected errors. */
#define _GNU_SOURCE
#include "claimd/edit.h"
#include "claimd/fp.h"
#include "claimd/tables.h"
#include "claimd/tbl_default.h"
#include "claimd/x12.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *claimgen_path(void)
{
    const char *b = getenv("CLAIMD_BUILD_DIR");
    return tu_path(b ? b : "build", "tools/claimgen/claimgen");
}

static int run_claimgen(const char *args)
{
    char *bin = claimgen_path();
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "'%s' batch %s 2>/dev/null", bin, args);
    free(bin);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char g_dir[64];

static void setup(void)
{
    strcpy(g_dir, "/tmp/cgbatch_test.XXXXXX");
    cr_assert_not_null(mkdtemp(g_dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    cr_assert_eq(system(cmd), 0);
}

/* Generates NAME in the test folder with args; returns its bytes. */
static char *gen(const char *name, const char *args, size_t *len)
{
    char full[1024];
    snprintf(full, sizeof full, "%s --out '%s/%s'", args, g_dir, name);
    cr_assert_eq(run_claimgen(full), 0, "claimgen batch %s failed", full);
    char *p = tu_path(g_dir, name);
    char *buf = tu_slurp(p, len);
    cr_assert_not_null(buf, "cannot read %s", p);
    free(p);
    return buf;
}

/* ---- the independent envelope check ------------------------------------- */

#define MAX_EL 32

typedef struct seg {
    char *el[MAX_EL]; /* NUL-terminated copies' pointers into a scratch line */
    int n;
} seg;

/* Splits one segment (without terminator) on the element separator. */
static void split(char *s, char sep, seg *out)
{
    out->n = 0;
    out->el[out->n++] = s;
    for (char *p = s; *p; p++) {
        if (*p == sep) {
            *p = 0;
            if (out->n < MAX_EL)
                out->el[out->n++] = p + 1;
        }
    }
}

static const char *el(const seg *s, int i)
{
    return i < s->n ? s->el[i] : "";
}

static int64_t cents(const char *s)
{
    int64_t whole = 0, frac = 0;
    int nf = 0;
    bool neg = *s == '-';
    if (neg)
        s++;
    for (; *s && *s != '.'; s++)
        whole = whole * 10 + (*s - '0');
    if (*s == '.')
        for (s++; *s && nf < 2; s++, nf++)
            frac = frac * 10 + (*s - '0');
    while (nf++ < 2)
        frac *= 10;
    return (neg ? -1 : 1) * (whole * 100 + frac);
}

static bool npi_ok(const char *npi)
{
    if (strlen(npi) != 10 || (npi[0] != '1' && npi[0] != '2'))
        return false;
    int sum = 24;
    for (int i = 8, dbl = 1; i >= 0; i--, dbl ^= 1) {
        int d = npi[i] - '0';
        if (d < 0 || d > 9)
            return false;
        if (dbl && (d *= 2) > 9)
            d -= 9;
        sum += d;
    }
    return npi[9] - '0' == (10 - sum % 10) % 10;
}

/* What the check found, per claim in input order. */
typedef struct claim_info {
    char id[40];
    int64_t clm02, lines_sum;
    int nlines;
    char freq;
    bool f8;
    bool bill_npi_ok, tin_ok;
    char *body; /* the claim's segments after CLM01, for DUPLICATE */
} claim_info;

typedef struct env {
    uint64_t claims, lines, txns, segs;
    claim_info *ci;
    size_t cap;
} env;

static void claim_close(env *e, claim_info *c, char **body, size_t blen)
{
    if (!c)
        return;
    (*body)[blen] = 0;
    c->body = *body;
    *body = NULL;
    (void)e;
}

/* Checks the envelope of buf with nothing but string handling. */
static void env_check(char *buf, size_t len, env *e)
{
    memset(e, 0, sizeof *e);
    cr_assert_geq(len, 106);
    cr_assert(memcmp(buf, "ISA", 3) == 0);
    char es = buf[3], cs = buf[104], ts = buf[105];
    cr_assert_eq(es, '*');
    cr_assert_eq(cs, ':');
    cr_assert_eq(ts, '~', "ISA is not 106 bytes");
    int nsep = 0;
    for (int i = 0; i < 105; i++)
        nsep += buf[i] == es;
    cr_assert_eq(nsep, 16, "ISA has %d separators", nsep);
    char isa13[16] = "", gs06[16] = "", st02[16] = "", bill_npi[16] = "", tin[16] = "";
    uint64_t ngs = 0, nst = 0, st_segs = 0;
    uint32_t hl_last = 0, lx_last = 0;
    enum { HL_MAX = 1 << 18 };             /* test batches stay far below */
    uint8_t *hl_level = calloc(HL_MAX, 1); /* HL id -> level */
    claim_info *cur = NULL;
    char *body = NULL;
    size_t blen = 0;
    char *p = buf, *end = buf + len;
    while (p < end) {
        while (p < end && (*p == '\n' || *p == '\r'))
            p++;
        if (p >= end)
            break;
        char *t = memchr(p, ts, (size_t)(end - p));
        cr_assert_not_null(t, "segment without terminator at %zu", (size_t)(p - buf));
        size_t n = (size_t)(t - p);
        char line[4096];
        cr_assert_lt(n, sizeof line);
        memcpy(line, p, n);
        line[n] = 0;
        char raw[4096];
        memcpy(raw, line, n + 1);
        p = t + 1;
        seg s;
        split(line, es, &s);
        const char *id = s.el[0];
        st_segs++;
        e->segs++;
        if (!strcmp(id, "CLM") || !strcmp(id, "HL") || !strcmp(id, "SE"))
            claim_close(e, cur, &body, blen), cur = NULL;
        if (!strcmp(id, "ISA")) {
            snprintf(isa13, sizeof isa13, "%s", el(&s, 13));
            cr_assert_eq(strlen(isa13), 9);
        } else if (!strcmp(id, "GS")) {
            snprintf(gs06, sizeof gs06, "%s", el(&s, 6));
            ngs++;
            nst = 0;
        } else if (!strcmp(id, "ST")) {
            snprintf(st02, sizeof st02, "%s", el(&s, 2));
            st_segs = 1;
            nst++;
            e->txns++;
            hl_last = 0;
        } else if (!strcmp(id, "SE")) {
            cr_assert_eq(strtoull(el(&s, 1), NULL, 10), st_segs, "SE01 %s, counted %llu", el(&s, 1),
                         (unsigned long long)st_segs);
            cr_assert_str_eq(el(&s, 2), st02);
        } else if (!strcmp(id, "GE")) {
            cr_assert_eq(strtoull(el(&s, 1), NULL, 10), nst);
            cr_assert_str_eq(el(&s, 2), gs06);
        } else if (!strcmp(id, "IEA")) {
            cr_assert_eq(strtoull(el(&s, 1), NULL, 10), ngs);
            cr_assert_str_eq(el(&s, 2), isa13);
        } else if (!strcmp(id, "HL")) {
            uint32_t hid = (uint32_t)strtoul(el(&s, 1), NULL, 10);
            cr_assert_eq(hid, hl_last + 1, "HL01 %u after %u", hid, hl_last);
            hl_last = hid;
            cr_assert_lt(hid, (uint32_t)HL_MAX);
            int lvl = atoi(el(&s, 3));
            hl_level[hid] = (uint8_t)lvl;
            if (lvl == 20) {
                cr_assert_str_empty(el(&s, 2));
            } else {
                uint32_t par = (uint32_t)strtoul(el(&s, 2), NULL, 10);
                cr_assert(par > 0 && par < hid, "HL02 %u of HL %u", par, hid);
                cr_assert_eq(hl_level[par], lvl == 22 ? 20 : 22, "HL %u level %d parent %u", hid,
                             lvl, par);
            }
        } else if (!strcmp(id, "NM1") && !strcmp(el(&s, 1), "85")) {
            snprintf(bill_npi, sizeof bill_npi, "%s", el(&s, 9));
        } else if (!strcmp(id, "REF") && !strcmp(el(&s, 1), "EI")) {
            snprintf(tin, sizeof tin, "%s", el(&s, 2));
        } else if (!strcmp(id, "CLM")) {
            if (e->claims == e->cap) {
                e->cap = e->cap ? e->cap * 2 : 1024;
                e->ci = realloc(e->ci, e->cap * sizeof *e->ci);
            }
            cur = &e->ci[e->claims++];
            memset(cur, 0, sizeof *cur);
            snprintf(cur->id, sizeof cur->id, "%s", el(&s, 1));
            cur->clm02 = cents(el(&s, 2));
            const char *c5 = el(&s, 5);
            cur->freq = c5[strlen(c5) - 1];
            cur->bill_npi_ok = npi_ok(bill_npi);
            cur->tin_ok = strlen(tin) == 9 && strspn(tin, "0123456789") == 9;
            lx_last = 0;
            body = malloc(65536);
            blen = 0;
            const char *rest = strchr(raw + 4, '*'); /* from CLM02 on */
            blen += (size_t)sprintf(body + blen, "%s|", rest ? rest : "");
        } else if (cur) {
            if (!strcmp(id, "LX")) {
                cr_assert_eq((uint32_t)atoi(el(&s, 1)), lx_last + 1);
                lx_last++;
                cur->nlines++;
                e->lines++;
            } else if (!strcmp(id, "SV1")) {
                cur->lines_sum += cents(el(&s, 2));
            } else if (!strcmp(id, "SV2")) {
                cur->lines_sum += cents(el(&s, 3));
            } else if (!strcmp(id, "REF") && !strcmp(el(&s, 1), "F8")) {
                cur->f8 = true;
            } else if (!strcmp(id, "NM1") && !strcmp(el(&s, 8), "XX")) {
                cr_assert(npi_ok(el(&s, 9)), "rendering NPI %s", el(&s, 9));
            }
            if (blen + n + 2 < 65536)
                blen += (size_t)sprintf(body + blen, "%s|", raw);
        }
    }
    claim_close(e, cur, &body, blen);
    free(body);
    free(hl_level);
    cr_assert_eq(ngs, 1);
}

static void env_free(env *e)
{
    for (uint64_t i = 0; i < e->claims; i++)
        free(e->ci[i].body);
    free(e->ci);
}

/* ---- claimd's own walker ---------------------------------------------- */

/* With a tables version, every claim also goes through claimd's edit engine
 * and duplicate set: found[i] is claim i's single error finding as
 * "EDIT\tline", "-" when it has none, "+" when it has several. */
typedef struct walk_count {
    uint64_t claims, lines, errs;
    char verdicts[8];
    const tbl_version *v;
    edit_settings es;
    fp_set *fps;
    char (*found)[48];
    size_t cap;
} walk_count;

static void engine(walk_count *w, const clm_claim *c)
{
    static edit_findings f;
    cr_assert_eq(edit_claim(w->v, &w->es, c, c->bht_date, &f), 0);
    fp128 h;
    if (fp_claim(c, &h) && fp_set_add(w->fps, &h) == 1)
        edit_add(&f, &w->es, EDIT_DUPLICATE, 0, 0, "duplicate");
    if (w->claims >= w->cap) {
        w->cap = w->cap ? w->cap * 2 : 4096;
        w->found = realloc(w->found, w->cap * sizeof *w->found);
    }
    char *out = w->found[w->claims];
    strcpy(out, "-");
    for (uint32_t i = 0; i < f.n; i++) {
        if (f.f[i].severity != EDIT_SEV_ERROR)
            continue;
        if (strcmp(out, "-") != 0) {
            strcpy(out, "+");
            break;
        }
        snprintf(out, 48, "%s\t%u", edit_def_of((edit_id)f.f[i].edit)->name, f.f[i].line);
    }
}

static int on_claim(void *ctx, const clm_claim *c)
{
    walk_count *w = ctx;
    if (w->v)
        engine(w, c);
    w->claims++;
    w->lines += c->nlines;
    return 0;
}

static int on_txn_end(void *ctx, const x12_txn_result *r)
{
    walk_count *w = ctx;
    w->errs += r->nerrs + r->errs_dropped;
    if (r->verdict != 'A')
        w->verdicts[0] = r->verdict;
    return 0;
}

static int on_group_end(void *ctx, const x12_group_result *r)
{
    walk_count *w = ctx;
    w->errs += r->nerrs;
    if (r->verdict != 'A')
        w->verdicts[1] = r->verdict;
    return 0;
}

static int on_ichg_end(void *ctx, const x12_ichg_result *r)
{
    walk_count *w = ctx;
    w->errs += r->nerrs;
    if (r->verdict != 'A')
        w->verdicts[2] = r->verdict;
    return 0;
}

/* Walks buf in 64 KiB reads, as a file would be. */
static void walk(const char *buf, size_t len, walk_count *wc, const tbl_version *v)
{
    memset(wc, 0, sizeof *wc);
    wc->v = v;
    edit_settings_default(&wc->es);
    if (v)
        cr_assert_eq(fp_set_create(1024, &wc->fps), 0);
    x12_sink sink = {.ctx = wc,
                     .claim = on_claim,
                     .txn_end = on_txn_end,
                     .group_end = on_group_end,
                     .ichg_end = on_ichg_end};
    x12_walker *w;
    cr_assert_eq(x12_walker_create(&sink, &w), 0);
    size_t off = 0, keep = 0;
    char *tmp = malloc((1u << 16) + (1u << 21));
    while (off < len) {
        size_t n = len - off < (1u << 16) ? len - off : (1u << 16);
        memcpy(tmp + keep, buf + off, n);
        off += n;
        size_t used = 0, have = keep + n;
        cr_assert_eq(x12_walker_feed(w, tmp, have, &used), 0);
        keep = have - used;
        memmove(tmp, tmp + used, keep);
    }
    cr_assert_eq(x12_walker_finish(w, tmp, keep), 0);
    free(tmp);
    x12_walker_free(w);
    fp_set_free(wc->fps);
    wc->fps = NULL;
}

static void check_clean(const char *name, const char *args, uint64_t n, uint64_t ntxn)
{
    size_t len;
    char *buf = gen(name, args, &len);
    char *copy = malloc(len + 1);
    memcpy(copy, buf, len + 1);
    env e;
    env_check(copy, len, &e);
    cr_assert_eq(e.claims, n, "%llu claims", (unsigned long long)e.claims);
    cr_assert_eq(e.txns, ntxn);
    for (uint64_t i = 0; i < e.claims; i++) {
        claim_info *c = &e.ci[i];
        cr_assert_eq(c->clm02, c->lines_sum, "claim %s: CLM02 %lld, lines %lld", c->id,
                     (long long)c->clm02, (long long)c->lines_sum);
        cr_assert(c->nlines >= 1 && c->nlines <= 6);
        cr_assert(c->bill_npi_ok && c->tin_ok, "claim %s: billing NPI/TIN", c->id);
        cr_assert(c->freq == '1' || (c->freq == '7' && c->f8), "claim %s: frequency", c->id);
    }
    walk_count wc;
    walk(buf, len, &wc, NULL);
    cr_assert_eq(wc.errs, 0, "the walker found %llu errors", (unsigned long long)wc.errs);
    cr_assert_eq(wc.claims, n);
    cr_assert_eq(wc.lines, e.lines);
    env_free(&e);
    free(copy);
    free(buf);
}

TestSuite(claimgen_batch, .init = setup, .fini = teardown, .timeout = 120);

Test(claimgen_batch, same_seed_same_bytes)
{
    size_t la, lb, lc;
    char *a = gen("a.837", "--claims 3000 --seed 11 --errors 0.1", &la);
    char *b = gen("b.837", "--claims 3000 --seed 11 --errors 0.1", &lb);
    char *c = gen("c.837", "--claims 3000 --seed 12 --errors 0.1", &lc);
    cr_assert_eq(la, lb);
    cr_assert(memcmp(a, b, la) == 0, "same seed, different bytes");
    cr_assert(la != lc || memcmp(a, c, la) != 0, "different seeds, same bytes");
    size_t ta = 0, tb = 0;
    char *p = tu_path(g_dir, "a.837.truth.tsv"), *q = tu_path(g_dir, "b.837.truth.tsv");
    char *x = tu_slurp(p, &ta), *y = tu_slurp(q, &tb);
    cr_assert(x && y && ta == tb && memcmp(x, y, ta) == 0);
    free(p), free(q), free(x), free(y), free(a), free(b), free(c);
}

Test(claimgen_batch, p837_envelope_and_walker)
{
    check_clean("p.837", "--claims 12000 --seed 3", 12000, 1);
}

Test(claimgen_batch, p837_several_transactions)
{
    check_clean("pk.837", "--claims 5001 --seed 4 --transactions 3", 5001, 3);
}

Test(claimgen_batch, i837_envelope_and_walker)
{
    check_clean("i.837", "--claims 6000 --seed 5 --type 837i --transactions 2", 6000, 2);
}

static const char *const allowed[] = {"NPI_CHECK_DIGIT",
                                      "TIN_FORMAT",
                                      "DX_INVALID",
                                      "DX_NOT_BILLABLE",
                                      "DX_FIRST_EXTERNAL_CAUSE",
                                      "DX_POINTER",
                                      "PROC_INVALID",
                                      "MOD_INVALID",
                                      "POS_INVALID",
                                      "AGE_CONFLICT",
                                      "SEX_CONFLICT",
                                      "NCCI_PTP",
                                      "MUE_UNITS",
                                      "CHARGE_MISMATCH",
                                      "DATE_FUTURE",
                                      "DOB_AFTER_DOS",
                                      "FREQ_REF_MISSING",
                                      "DUPLICATE"};
#define NALLOWED (sizeof allowed / sizeof allowed[0])

static void check_errors(const char *name, const char *args, uint64_t n, size_t min_kinds)
{
    size_t len, tlen;
    char *buf = gen(name, args, &len);
    char tname[128];
    snprintf(tname, sizeof tname, "%s.truth.tsv", name);
    char *tp = tu_path(g_dir, tname);
    char *truth = tu_slurp(tp, &tlen);
    cr_assert_not_null(truth);
    char *copy = malloc(len + 1);
    memcpy(copy, buf, len + 1);
    env e;
    env_check(copy, len, &e);
    cr_assert_eq(e.claims, n);
    char dir[4096];
    tbl_version *v;
    cr_assert_eq(tbl_default_dir(dir, sizeof dir), 0, "no default tables version");
    cr_assert_eq(tbl_open(dir, 0, &v), 0);
    walk_count wc;
    walk(buf, len, &wc, v);
    cr_assert_eq(wc.errs, 0, "the walker found %llu errors", (unsigned long long)wc.errs);
    cr_assert_eq(wc.claims, n);
    size_t seen[NALLOWED] = {0};
    uint64_t rows = 0, injected = 0;
    char *save = NULL;
    for (char *ln = strtok_r(truth, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save), rows++) {
        char id[40], kind[40];
        unsigned line;
        cr_assert_eq(sscanf(ln, "%39[^\t]\t%39[^\t]\t%u", id, kind, &line), 3, "row %s", ln);
        cr_assert_lt(rows, e.claims);
        claim_info *c = &e.ci[rows];
        cr_assert_str_eq(id, c->id, "truth row %llu", (unsigned long long)rows);
        cr_assert_leq(line, (unsigned)c->nlines);
        bool mismatch = strcmp(kind, "CHARGE_MISMATCH") == 0;
        cr_assert_eq(c->clm02 != c->lines_sum, mismatch, "claim %s (%s)", id, kind);
        cr_assert_eq(!c->bill_npi_ok, strcmp(kind, "NPI_CHECK_DIGIT") == 0, "claim %s", id);
        cr_assert_eq(!c->tin_ok, strcmp(kind, "TIN_FORMAT") == 0, "claim %s", id);
        cr_assert_eq(c->freq == '7' && !c->f8, strcmp(kind, "FREQ_REF_MISSING") == 0);
        /* claimd's engine finds exactly the injected error, on its line, or none */
        char want[48];
        snprintf(want, sizeof want, "%s\t%u", kind, line);
        cr_assert_str_eq(wc.found[rows], strcmp(kind, "-") ? want : "-", "claim %s", id);
        if (!strcmp(kind, "-"))
            continue;
        injected++;
        size_t k = 0;
        while (k < NALLOWED && strcmp(allowed[k], kind) != 0)
            k++;
        cr_assert_lt(k, NALLOWED, "unexpected kind %s", kind);
        seen[k]++;
        if (!strcmp(kind, "DUPLICATE")) { /* an exact repeat of an earlier clean claim */
            bool found = false;
            for (uint64_t j = 0; j < rows && !found; j++)
                found = strcmp(e.ci[j].body, c->body) == 0;
            cr_assert(found, "DUPLICATE %s repeats no earlier claim", id);
        }
    }
    cr_assert_eq(rows, n);
    double share = (double)injected / (double)n;
    cr_assert(share > 0.17 && share < 0.23, "share %.3f", share);
    size_t kinds = 0;
    for (size_t k = 0; k < NALLOWED; k++)
        kinds += seen[k] > 0;
    cr_assert_geq(kinds, min_kinds, "%zu kinds", kinds);
    free(wc.found);
    tbl_close(v);
    env_free(&e);
    free(copy), free(buf), free(truth), free(tp);
}

Test(claimgen_batch, p837_errors_truth)
{
    /* every kind the starter tables support (all of them) */
    check_errors("pe.837", "--claims 8000 --seed 9 --errors 0.2", 8000, NALLOWED);
}

Test(claimgen_batch, i837_errors_truth)
{
    /* 837I has no diagnosis pointers and no place of service, and the
     * practitioner NCCI and MUE files do not apply to it: four kinds fewer */
    check_errors("ie.837", "--claims 5000 --seed 10 --errors 0.2 --type 837i", 5000, NALLOWED - 4);
}

Test(claimgen_batch, bad_arguments)
{
    cr_assert_neq(run_claimgen("--seed 1"), 0);
    cr_assert_neq(run_claimgen("--claims 0"), 0);
    cr_assert_neq(run_claimgen("--claims 10 --type 837x"), 0);
    cr_assert_neq(run_claimgen("--claims 10 --errors 1.5 --out /tmp/x"), 0);
    cr_assert_neq(run_claimgen("--claims 10 --errors 0.1"), 0); /* no place for the truth */
    cr_assert_neq(run_claimgen("--claims 10 --tables /nonexistent --out /tmp/cgx.837"), 0);
    cr_assert_neq(access("/tmp/cgx.837", F_OK), 0, "a failed run left its output");
}
