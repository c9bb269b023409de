/* claimgen tables: determinism, row counts at a small scale, and each
 * file's layout, checked here independently of the importers. */
#define _GNU_SOURCE
#include "testutil.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const cg_files[] = {
    "icd10cm_order.txt", "hcpcs.txt",      "pprrvu.csv",     "gpci.csv",
    "zip5.txt",          "ncci_ptp_1.txt", "ncci_ptp_2.txt", "ncci_ptp_3.txt",
    "ncci_ptp_4.txt",    "mue.csv",        "pos.txt",
};
#define NFILES (sizeof(cg_files) / sizeof(cg_files[0]))

static char *claimgen_path(void)
{
    const char *b = getenv("CLAIMD_BUILD_DIR");
    return tu_path(b ? b : "build", "tools/claimgen/claimgen");
}

/* Runs claimgen with args (a shell word list); returns its exit status. */
static int run_claimgen(const char *args)
{
    char *bin = claimgen_path();
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "'%s' %s 2>/dev/null", bin, args);
    free(bin);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *make_tables(const char *seed, const char *scale)
{
    char tmpl[] = "/tmp/claimgen_test.XXXXXX";
    char *dir = mkdtemp(tmpl);
    cr_assert_not_null(dir);
    char args[512];
    snprintf(args, sizeof(args), "tables --out '%s' --seed %s --scale %s", dir, seed, scale);
    cr_assert_eq(run_claimgen(args), 0, "claimgen %s failed", args);
    return strdup(dir);
}

static void remove_tables(char *dir)
{
    for (size_t i = 0; i < NFILES; i++) {
        char *p = tu_path(dir, cg_files[i]);
        unlink(p);
        free(p);
    }
    rmdir(dir);
    free(dir);
}

static char *slurp(const char *dir, const char *name, size_t *len)
{
    char *p = tu_path(dir, name);
    char *buf = tu_slurp(p, len);
    cr_assert_not_null(buf, "cannot read %s", p);
    free(p);
    return buf;
}

/* Line iteration: *line and its length without the line ending. */
struct lines {
    char *p, *end;
};

static int next_line(struct lines *it, char **line, size_t *n)
{
    if (it->p >= it->end)
        return 0;
    char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
    char *e = nl ? nl : it->end;
    *line = it->p;
    *n = (size_t)(e - it->p);
    if (*n > 0 && e[-1] == '\r')
        (*n)--;
    it->p = nl ? nl + 1 : it->end;
    return 1;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int valid_date(const char *s)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!all_digits(s, 8))
        return 0;
    int y = atoi((char[5]){s[0], s[1], s[2], s[3], 0});
    int m = (s[4] - '0') * 10 + (s[5] - '0'), d = (s[6] - '0') * 10 + (s[7] - '0');
    return y >= 1965 && y <= 2030 && m >= 1 && m <= 12 && d >= 1 && d <= mdays[m - 1];
}

static int is_proc_code(const char *s)
{
    if (all_digits(s, 5))
        return 1;
    if (all_digits(s, 4) && (s[4] == 'F' || s[4] == 'T' || s[4] == 'U'))
        return 1;
    return s[0] >= 'A' && s[0] <= 'Z' && all_digits(s + 1, 4);
}

TestSuite(claimgen_tables, .timeout = 300);

Test(claimgen_tables, same_seed_same_bytes_other_seed_other_bytes)
{
    char *a = make_tables("5", "0.02"), *b = make_tables("5", "0.02"),
         *c = make_tables("6", "0.02");
    int differ = 0;
    for (size_t i = 0; i < NFILES; i++) {
        size_t la, lb, lc;
        char *x = slurp(a, cg_files[i], &la), *y = slurp(b, cg_files[i], &lb);
        char *z = slurp(c, cg_files[i], &lc);
        cr_expect(la == lb && memcmp(x, y, la) == 0, "%s differs for the same seed", cg_files[i]);
        if (la != lc || memcmp(x, z, la) != 0)
            differ++;
        free(x), free(y), free(z);
    }
    /* pos.txt and gpci.csv's shape are fixed, the others follow the seed */
    cr_expect_geq(differ, 8, "only %d files change with the seed", differ);
    remove_tables(a), remove_tables(b), remove_tables(c);
}

struct counts {
    size_t icd, hcpcs, rvu, gpci, zip, ncci, mue, pos;
};

static void check_icd(const char *dir, struct counts *k)
{
    size_t len;
    char *buf = slurp(dir, "icd10cm_order.txt", &len), *line, prev[8] = "";
    struct lines it = {buf, buf + len};
    size_t n, no = 0;
    int prev_billable = 1;
    int seen_i10 = 0, seen_u071 = 0;
    while (next_line(&it, &line, &n)) {
        cr_assert_geq(n, 78, "ICD row %zu too short", no + 1);
        cr_assert(all_digits(line, 5) && (size_t)atoi(line) == ++no, "order number %zu", no);
        cr_assert(line[5] == ' ' && line[13] == ' ' && line[15] == ' ' && line[76] == ' ');
        char code[8] = {0};
        memcpy(code, line + 6, 7);
        for (int i = 6; i >= 0 && code[i] == ' '; i--)
            code[i] = 0;
        size_t cl = strlen(code);
        cr_assert(cl >= 3 && cl <= 7 && code[0] >= 'A' && code[0] <= 'Z' && all_digits(code + 1, 1),
                  "bad ICD code '%s'", code);
        cr_assert(line[14] == '0' || line[14] == '1');
        cr_assert_gt(strcmp(code, prev), 0, "ICD codes out of order at %s", code);
        /* a header is followed by a code below it; a billable code is not */
        int child = prev[0] && strncmp(prev, code, strlen(prev)) == 0;
        if (no > 1)
            cr_assert_eq(prev_billable, !child, "billable flag of %s", prev);
        prev_billable = line[14] == '1';
        seen_i10 |= strcmp(code, "I10") == 0 && prev_billable;
        seen_u071 |= strcmp(code, "U071") == 0 && prev_billable;
        memcpy(prev, code, 8);
    }
    cr_assert(prev_billable, "the last code must be billable");
    cr_assert(seen_i10 && seen_u071, "starter codes I10 and U071 missing or not billable");
    k->icd = no;
    free(buf);
}

static void check_hcpcs(const char *dir, struct counts *k)
{
    size_t len, n;
    char *buf = slurp(dir, "hcpcs.txt", &len), *line;
    struct lines it = {buf, buf + len};
    int in_records = 0;
    char prev[6] = "";
    while (next_line(&it, &line, &n)) {
        int rec = n >= 11 && all_digits(line + 5, 5) && strchr("3478", line[10]);
        if (!in_records && !rec)
            continue; /* the disclaimer paragraph */
        in_records = 1;
        cr_assert(rec, "not a HCPCS record: %.20s", line);
        char rid = line[10];
        if (rid == '4' || rid == '8') {
            cr_assert_eq(n, 91, "continuation record of %zu bytes", n);
            cr_assert_eq(memcmp(line, prev, 5), 0, "continuation of another code");
            continue;
        }
        cr_assert_eq(n, 320, "record of %zu bytes: %.11s", n, line);
        cr_assert_gt(memcmp(line, prev, 5), 0, "HCPCS records out of order at %.5s", line);
        memcpy(prev, line, 5);
        if (rid == '3')
            cr_assert(line[0] >= 'A' && line[0] <= 'Z' && all_digits(line + 1, 4));
        else
            cr_assert(memcmp(line, "   ", 3) == 0 && line[3] != ' ' && line[4] != ' ');
        cr_assert(valid_date(line + 268), "add date of %.5s", line);
        k->hcpcs++;
    }
    free(buf);
}

/* "1.30" -> 130 */
static long dec2(const char *s)
{
    char *e;
    long a = strtol(s, &e, 10);
    cr_assert_eq(*e, '.');
    return a * 100 + strtol(e + 1, NULL, 10);
}

static void check_pprrvu(const char *dir, struct counts *k)
{
    size_t len, n, ln = 0;
    char *buf = slurp(dir, "pprrvu.csv", &len), *line;
    struct lines it = {buf, buf + len};
    int header = 0, seen_99213 = 0;
    char global[6] = "";
    while (next_line(&it, &line, &n)) {
        ln++;
        char row[512], *f[40];
        int nf = 0;
        cr_assert_lt(n, sizeof(row));
        memcpy(row, line, n);
        row[n] = 0;
        for (char *p = row, *c; nf < 40; p = c + 1) {
            f[nf++] = p;
            if (!(c = strchr(p, ',')))
                break;
            *c = 0;
        }
        if (!header) {
            header = strcmp(f[0], "HCPCS") == 0 && strcmp(f[1], "MOD") == 0;
            if (header)
                cr_assert_eq(nf, 31, "header of %d columns", nf);
            continue;
        }
        cr_assert_eq(nf, 31, "line %zu has %d columns", ln, nf);
        cr_assert(is_proc_code(f[0]) && strlen(f[0]) == 5, "code %s", f[0]);
        cr_assert_str_empty(f[2], "DESCRIPTION must stay empty");
        cr_assert(strlen(f[3]) == 1 && f[3][0] >= 'A' && f[3][0] <= 'Z', "STATUS CODE");
        cr_assert(strlen(f[13]) == 1 && all_digits(f[13], 1), "PCTC IND of %s", f[0]);
        for (int i = 18; i <= 22; i++)
            cr_assert(strlen(f[i]) == 1 && all_digits(f[i], 1), "indicator %d of %s", i, f[0]);
        cr_assert(strlen(f[14]) == 3, "GLOB DAYS");
        cr_assert_str_eq(f[24], "32.3465");
        long w = dec2(f[5]), penf = dec2(f[6]), pef = dec2(f[8]), mp = dec2(f[10]);
        cr_assert_eq(w + penf + mp, dec2(f[11]), "non-facility total of %s %s", f[0], f[1]);
        cr_assert_eq(w + pef + mp, dec2(f[12]), "facility total of %s %s", f[0], f[1]);
        if (f[1][0])
            cr_assert_str_eq(f[0], global, "%s %s without its global row", f[0], f[1]);
        else
            strcpy(global, f[0]);
        seen_99213 |= strcmp(f[0], "99213") == 0;
        k->rvu++;
    }
    cr_assert(header, "no PPRRVU header row");
    cr_assert(seen_99213);
    free(buf);
}

static int gpci_has(const char *gpci, const char *carrier, const char *loc)
{
    char key[16];
    snprintf(key, sizeof(key), "\n%.5s,", carrier);
    for (const char *p = strstr(gpci, key); p; p = strstr(p + 1, key)) {
        const char *c = strchr(p + 7, ',');
        if (c && strncmp(c + 1, loc, 2) == 0 && c[3] == ',')
            return 1;
    }
    return 0;
}

static void check_geo(const char *dir, struct counts *k)
{
    size_t len, glen, n;
    char *gpci = slurp(dir, "gpci.csv", &glen), *buf = slurp(dir, "zip5.txt", &len), *line;
    struct lines it = {gpci, gpci + glen};
    while (next_line(&it, &line, &n))
        k->gpci += n > 6 && all_digits(line, 5) && line[5] == ',';
    it = (struct lines){buf, buf + len};
    char prev[8] = "";
    int seen_35203 = 0;
    while (next_line(&it, &line, &n)) {
        cr_assert_eq(n, 80, "ZIP5 record of %zu bytes", n);
        cr_assert(line[0] >= 'A' && line[1] >= 'A' && all_digits(line + 2, 5) &&
                  all_digits(line + 7, 7));
        cr_assert(strchr(" RB", line[14]) && (line[20] == '0' || line[20] == '1'));
        cr_assert(all_digits(line + 75, 5));
        cr_assert_gt(strncmp(line, prev, 7), 0, "ZIP5 out of order at %.7s", line);
        memcpy(prev, line, 7);
        char loc[3] = {line[12], line[13], 0};
        cr_assert(gpci_has(gpci, line + 7, loc), "ZIP %.5s maps to no GPCI locality", line + 2);
        if (memcmp(line, "AL35203", 7) == 0)
            seen_35203 = memcmp(line + 7, "1011200", 7) == 0;
        k->zip++;
    }
    cr_assert(seen_35203, "35203 must map to 10112/00");
    free(gpci);
    free(buf);
}

static uint64_t pair_key(const char *c1, const char *c2)
{
    uint64_t k = 0;
    for (int i = 0; i < 5; i++)
        k = k * 37 + (uint64_t)(c1[i] <= '9' ? c1[i] - '0' : c1[i] - 'A' + 10);
    for (int i = 0; i < 5; i++)
        k = k * 37 + (uint64_t)(c2[i] <= '9' ? c2[i] - '0' : c2[i] - 'A' + 10);
    return k;
}

static void check_ncci(const char *dir, struct counts *k)
{
    uint64_t prev = 0;
    int seen_93000 = 0;
    size_t mods[10] = {0}, deleted = 0;
    for (int part = 1; part <= 4; part++) {
        char name[32];
        size_t len, n, ln = 0;
        snprintf(name, sizeof(name), "ncci_ptp_%d.txt", part);
        char *buf = slurp(dir, name, &len), *line;
        struct lines it = {buf, buf + len};
        cr_assert(strncmp(buf, "CPT only copyright", 18) == 0);
        while (next_line(&it, &line, &n)) {
            if (++ln <= 6) {
                cr_assert(ln != 3 || strncmp(line, "Column 1\tColumn 2\t", 18) == 0);
                continue;
            }
            char row[256], *f[8];
            int nf = 0;
            memcpy(row, line, n);
            row[n] = 0;
            for (char *p = row, *c; nf < 8; p = c + 1) {
                f[nf++] = p;
                if (!(c = strchr(p, '\t')))
                    break;
                *c = 0;
            }
            cr_assert_eq(nf, 7, "%s line %zu has %d fields", name, ln, nf);
            cr_assert(strlen(f[0]) == 5 && strlen(f[1]) == 5 && is_proc_code(f[0]) &&
                      is_proc_code(f[1]) && strcmp(f[0], f[1]) != 0);
            cr_assert(f[2][0] == 0 || strcmp(f[2], "*") == 0);
            cr_assert(strlen(f[3]) == 8 && valid_date(f[3]), "effective date %s", f[3]);
            if (strcmp(f[4], "*") != 0) {
                cr_assert(strlen(f[4]) == 8 && valid_date(f[4]), "deletion date %s", f[4]);
                cr_assert_gt(strcmp(f[4], f[3]), 0, "deleted %s before effective %s", f[4], f[3]);
                deleted++;
            }
            cr_assert(strlen(f[5]) == 1 && strchr("019", f[5][0]), "modifier indicator");
            mods[f[5][0] - '0']++;
            cr_assert(f[6][0]);
            /* sorted by (column 1, column 2), strictly: so every pair is unique */
            uint64_t key = pair_key(f[0], f[1]);
            cr_assert_gt(key, prev, "pair %s/%s repeated or out of order", f[0], f[1]);
            prev = key;
            seen_93000 |= strcmp(f[0], "93000") == 0 && strcmp(f[1], "93005") == 0;
            k->ncci++;
        }
        free(buf);
    }
    cr_assert(seen_93000, "the starter's 93000/93005 edit is missing");
    cr_assert(mods[0] > 0 && mods[1] > mods[0] && mods[9] > 0, "modifier indicator mix");
    cr_assert(deleted > k->ncci / 10 && deleted < k->ncci / 2, "deleted share");
}

static void check_mue(const char *dir, struct counts *k)
{
    size_t len, n;
    char *buf = slurp(dir, "mue.csv", &len), *line;
    char *hdr = strstr(buf, "\"Practitioner Services MUE Values\",\"MUE Adjudication Indicator\"");
    cr_assert_not_null(hdr, "no MUE header");
    struct lines it = {strchr(hdr, '\n') + 1, buf + len};
    char prev[6] = "";
    while (next_line(&it, &line, &n)) {
        cr_assert(n > 10 && line[5] == ',' && is_proc_code(line), "MUE row %.20s", line);
        char *q = strchr(line + 6, ',');
        cr_assert(q && all_digits(line + 6, (size_t)(q - line - 6)) && q[1] == '"');
        cr_assert(q[2] >= '1' && q[2] <= '3', "MAI");
        cr_assert_gt(memcmp(line, prev, 5), 0, "MUE codes repeated or out of order");
        memcpy(prev, line, 5);
        k->mue++;
    }
    free(buf);
}

static size_t count_lines(const char *dir, const char *name)
{
    size_t len, n, c = 0;
    char *buf = slurp(dir, name, &len), *line;
    struct lines it = {buf, buf + len};
    while (next_line(&it, &line, &n))
        c++;
    free(buf);
    return c;
}

#define NEAR(v, want, tol)                                                                         \
    cr_expect((double)(v) >= (want) * (1 - (tol)) && (double)(v) <= (want) * (1 + (tol)),          \
              #v " = %zu, want about %.0f", (size_t)(v), (double)(want))

Test(claimgen_tables, layouts_and_counts_at_small_scale)
{
    char *dir = make_tables("11", "0.05");
    struct counts k = {0};
    check_icd(dir, &k);
    check_hcpcs(dir, &k);
    check_pprrvu(dir, &k);
    check_geo(dir, &k);
    check_ncci(dir, &k);
    check_mue(dir, &k);
    k.pos = count_lines(dir, "pos.txt");
    NEAR(k.icd, 95524 * 0.05, 0.10);
    NEAR(k.ncci, 2600000 * 0.05, 0.10);
    NEAR(k.mue, 15000 * 0.05, 0.15);
    NEAR(k.zip, 42956 * 0.05, 0.15);
    cr_expect(k.gpci >= 100 && k.gpci <= 120, "%zu localities", k.gpci);
    cr_expect(k.hcpcs > 300 && k.rvu > 900, "hcpcs %zu, pprrvu %zu", k.hcpcs, k.rvu);
    cr_expect_eq(k.pos, 52);
    remove_tables(dir);
}

Test(claimgen_tables, bad_arguments_and_unwritable_folder_fail)
{
    cr_expect_eq(run_claimgen("tables"), 2, "--out is required");
    cr_expect_eq(run_claimgen("tables --out /tmp --scale 0"), 2);
    cr_expect_eq(run_claimgen("tables --out /tmp --seed x"), 2);
    cr_expect_eq(run_claimgen("nosuchcommand"), 2);
    cr_expect_neq(run_claimgen("tables --out /proc/claimgen_no/such --scale 0.01"), 0);

    /* a folder no file can be created in: the message names the path and why */
    char *bin = claimgen_path(), cmd[1024], out[1024] = "";
    snprintf(cmd, sizeof(cmd), "'%s' tables --out /proc --scale 0.01 2>&1", bin);
    free(bin);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = 0;
    int st = pclose(p);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) != 0);
    cr_expect(strstr(out, "/proc/icd10cm_order.txt") && strstr(out, "cannot create"), "%s", out);
}
