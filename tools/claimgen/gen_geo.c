/* claimgen tables: GPCI localities and the ZIP5 to carrier/locality file.
 *
 * Localities are generated per state (about 110 in all, as CMS has), with
 * Alabama's 10112/00 kept so the worked price of the shared data README
 * (ZIP 35203) has a home. ZIPs come from each state's real 3-digit prefixes,
 * and every ZIP maps to a locality of its own state. GPCI is small and is
 * always written whole; ZIP5 follows --scale.
 */
#define _GNU_SOURCE
#include "gen_tables.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_LOC      32

struct state {
    const char *abbr;
    const char *name;
    uint16_t zip3[3][2]; /* up to three ranges of 3-digit ZIP prefixes */
    uint8_t nloc;        /* localities */
};

/* In GPCI order (by state name). ZIP prefixes are the USPS ranges. */
static const struct state states[] = {
    {"AL", "ALABAMA", {{350, 369}}, 1},
    {"AK", "ALASKA", {{995, 999}}, 1},
    {"AZ", "ARIZONA", {{850, 865}}, 2},
    {"AR", "ARKANSAS", {{716, 729}}, 1},
    {"CA", "CALIFORNIA", {{900, 961}}, 27},
    {"CO", "COLORADO", {{800, 816}}, 1},
    {"CT", "CONNECTICUT", {{60, 69}}, 2},
    {"DE", "DELAWARE", {{197, 199}}, 1},
    {"DC", "DISTRICT OF COLUMBIA", {{200, 205}}, 1},
    {"FL", "FLORIDA", {{320, 349}}, 3},
    {"GA", "GEORGIA", {{300, 319}, {398, 399}}, 2},
    {"HI", "HAWAII", {{967, 968}}, 1},
    {"ID", "IDAHO", {{832, 838}}, 1},
    {"IL", "ILLINOIS", {{600, 629}}, 4},
    {"IN", "INDIANA", {{460, 479}}, 1},
    {"IA", "IOWA", {{500, 528}}, 1},
    {"KS", "KANSAS", {{660, 679}}, 1},
    {"KY", "KENTUCKY", {{400, 427}}, 1},
    {"LA", "LOUISIANA", {{700, 714}}, 2},
    {"ME", "MAINE", {{39, 49}}, 2},
    {"MD", "MARYLAND", {{206, 219}}, 2},
    {"MA", "MASSACHUSETTS", {{10, 27}}, 2},
    {"MI", "MICHIGAN", {{480, 499}}, 2},
    {"MN", "MINNESOTA", {{550, 567}}, 1},
    {"MS", "MISSISSIPPI", {{386, 397}}, 1},
    {"MO", "MISSOURI", {{630, 658}}, 3},
    {"MT", "MONTANA", {{590, 599}}, 1},
    {"NE", "NEBRASKA", {{680, 693}}, 1},
    {"NV", "NEVADA", {{889, 898}}, 1},
    {"NH", "NEW HAMPSHIRE", {{30, 38}}, 1},
    {"NJ", "NEW JERSEY", {{70, 89}}, 2},
    {"NM", "NEW MEXICO", {{870, 884}}, 1},
    {"NY", "NEW YORK", {{100, 149}}, 5},
    {"NC", "NORTH CAROLINA", {{270, 289}}, 1},
    {"ND", "NORTH DAKOTA", {{580, 588}}, 1},
    {"OH", "OHIO", {{430, 459}}, 2},
    {"OK", "OKLAHOMA", {{730, 749}}, 1},
    {"OR", "OREGON", {{970, 979}}, 2},
    {"PA", "PENNSYLVANIA", {{150, 196}}, 2},
    {"PR", "PUERTO RICO", {{6, 7}, {9, 9}}, 1},
    {"RI", "RHODE ISLAND", {{28, 29}}, 1},
    {"SC", "SOUTH CAROLINA", {{290, 299}}, 1},
    {"SD", "SOUTH DAKOTA", {{570, 577}}, 1},
    {"TN", "TENNESSEE", {{370, 385}}, 1},
    {"TX", "TEXAS", {{750, 799}, {885, 885}}, 8},
    {"UT", "UTAH", {{840, 847}}, 1},
    {"VT", "VERMONT", {{50, 59}}, 1},
    {"VA", "VIRGINIA", {{220, 246}}, 1},
    {"VI", "VIRGIN ISLANDS", {{8, 8}}, 1},
    {"WA", "WASHINGTON", {{980, 994}}, 2},
    {"WV", "WEST VIRGINIA", {{247, 268}}, 1},
    {"WI", "WISCONSIN", {{530, 549}}, 1},
    {"WY", "WYOMING", {{820, 831}}, 1},
};

/* ZIP5 state codes that CMS uses beyond the states: their ZIPs are priced in
 * the named state's localities. */
static const char *const state_alias[][2] = {
    {"EK", "KS"}, {"WK", "KS"}, {"EM", "MO"}, {"WM", "MO"}, {"AS", "HI"},
    {"GU", "HI"}, {"MP", "HI"}, {"FM", "HI"}, {"MH", "HI"}, {"PW", "HI"},
};

struct locality {
    char carrier[6];
    char num[3];
    char name[64];
    uint32_t pw, pe, mp; /* GPCI x 1000 */
};

struct geo {
    struct locality loc[ARRAY_LEN(states)][MAX_LOC];
};

static void make_localities(const cg_ctx *ctx, cg_rng *r, struct geo *g)
{
    (void)ctx;
    for (size_t s = 0; s < ARRAY_LEN(states); s++) {
        const struct state *st = &states[s];
        unsigned jur = 1 + (unsigned)(s * 7 % 15), k = 1 + (unsigned)(s % 4);
        unsigned carrier = jur * 1000 + k * 100 + (s % 2 ? 2 : 12);
        if (strcmp(st->abbr, "AL") == 0)
            carrier = 10112;
        unsigned used[100] = {0}, num = 0;
        for (unsigned i = 0; i < st->nloc; i++) {
            struct locality *l = &g->loc[s][i];
            snprintf(l->carrier, sizeof(l->carrier), "%05u", carrier);
            if (st->nloc == 1) {
                num = strcmp(st->abbr, "AL") == 0
                          ? 0
                          : (unsigned)"0000011199"[cg_rng_below(r, 10)] - '0';
                num = num == 9 ? 99 : num;
                snprintf(l->name, sizeof(l->name), "%s", st->name);
            } else if (i + 1 == st->nloc) {
                num = 99;
                snprintf(l->name, sizeof(l->name), "REST OF %s", st->name);
            } else {
                do {
                    num = 1 + cg_rng_below(r, 98);
                } while (used[num]);
                snprintf(l->name, sizeof(l->name), "METROPOLITAN %s %u", st->name, i + 1);
            }
            used[num] = 1;
            snprintf(l->num, sizeof(l->num), "%02u", num);
            l->pw = cg_rng_below(r, 10) < 7 ? 1000 : 1001 + cg_rng_below(r, 100);
            if (strcmp(st->abbr, "AK") == 0)
                l->pw = 1500;
            l->pe = 850 + cg_rng_below(r, 600);
            l->mp = 300 + cg_rng_below(r, 1900);
        }
        if (strcmp(st->abbr, "AL") == 0) {
            g->loc[s][0].pe = 869;
            g->loc[s][0].mp = 575;
        }
    }
}

/* A GPCI as CMS prints it: up to 3 decimals, trailing zeros dropped. */
static void put_gpci(cg_file *f, uint32_t milli)
{
    cg_file_uint(f, milli / 1000, 0);
    uint32_t frac = milli % 1000;
    if (!frac)
        return;
    char d[4] = {(char)('0' + frac / 100), (char)('0' + frac / 10 % 10), (char)('0' + frac % 10),
                 0};
    for (int i = 2; i > 0 && d[i] == '0'; i--)
        d[i] = 0;
    cg_file_putc(f, '.');
    cg_file_puts(f, d);
}

static int write_gpci(const cg_ctx *ctx, const struct geo *g)
{
    cg_file f;
    double t0 = cg_now();
    int rc = cg_file_open(&f, ctx->dir, "gpci.csv");
    if (rc)
        return rc;
    cg_file_puts(&f, "ADDENDUM E. FINAL CY 2025 GEOGRAPHIC PRACTICE COST INDICES (GPCIs) BY STATE "
                     "AND MEDICARE LOCALITY,,,,,,\r\n,,,,,,\r\n"
                     "Medicare Administrative Contractor (MAC),State,Locality Number,Locality "
                     "Name,2025 PW GPCI (with 1.0 Floor),2025 PE GPCI,2025 MP GPCI\r\n");
    for (size_t s = 0; s < ARRAY_LEN(states); s++) {
        for (unsigned i = 0; i < states[s].nloc; i++) {
            const struct locality *l = &g->loc[s][i];
            cg_file_puts(&f, l->carrier);
            cg_file_putc(&f, ',');
            cg_file_puts(&f, states[s].abbr);
            cg_file_putc(&f, ',');
            cg_file_puts(&f, l->num);
            cg_file_putc(&f, ',');
            cg_file_puts(&f, l->name);
            cg_file_putc(&f, ',');
            put_gpci(&f, l->pw);
            cg_file_putc(&f, ',');
            put_gpci(&f, l->pe);
            cg_file_putc(&f, ',');
            put_gpci(&f, l->mp);
            cg_file_put(&f, "\r\n", 2);
            f.rows++;
        }
    }
    cg_file_puts(&f, "\"MAC Assignments as of November 22, 2023\",,,,,,\r\n,,,,,,\r\n"
                     "*Work GPCI reflects a 1.5 floor in Alaska established by the MIPPA.,,,,,,\r\n"
                     "**PE GPCI reflects a 1.0 floor for frontier states established by the "
                     "ACA.,,,,,,\r\n");
    rc = cg_file_commit(&f);
    if (!rc)
        cg_report("gpci.csv", &f, cg_now() - t0);
    return rc;
}

struct zip_row {
    char state[3];
    char zip[6];
    uint8_t st; /* index into states[] */
    uint8_t starter;
};

static int zip_cmp(const void *a, const void *b)
{
    const struct zip_row *x = a, *y = b;
    int c = strcmp(x->state, y->state);
    return c ? c : strcmp(x->zip, y->zip);
}

static int state_index(const char *abbr)
{
    for (size_t i = 0; i < ARRAY_LEN(state_alias); i++) {
        if (strncmp(abbr, state_alias[i][0], 2) == 0)
            abbr = state_alias[i][1];
    }
    for (size_t i = 0; i < ARRAY_LEN(states); i++) {
        if (strncmp(abbr, states[i].abbr, 2) == 0)
            return (int)i;
    }
    return -1;
}

static int is_starter_zip(const cg_ctx *ctx, const char *zip)
{
    size_t lo = 0, hi = ctx->st.zip5.n;
    /* starter ZIPs are sorted by state first: a linear scan is plenty for a
     * few hundred, but only ZIP prefixes near one are ever asked about */
    for (size_t i = lo; i < hi; i++) {
        if (memcmp(ctx->st.zip5.v[i] + 2, zip, 5) == 0)
            return 1;
    }
    return 0;
}

static int collect_zips(const cg_ctx *ctx, cg_rng *r, struct zip_row **out, size_t *n)
{
    size_t cap = 64 + ctx->st.zip5.n + (size_t)cg_scaled(ctx, 50000), k = 0, possible = 0;
    struct zip_row *v = calloc(cap, sizeof(*v));
    uint8_t starter3[1000] = {0};
    if (!v)
        return -ENOMEM;
    for (size_t i = 0; i < ctx->st.zip5.n; i++) {
        const char *s = ctx->st.zip5.v[i];
        int si = state_index(s);
        if (si < 0)
            continue;
        memcpy(v[k].state, s, 2);
        memcpy(v[k].zip, s + 2, 5);
        v[k].st = (uint8_t)si;
        v[k++].starter = 1;
        starter3[strtoul(v[k - 1].zip, NULL, 10) / 100] = 1;
    }
    for (size_t s = 0; s < ARRAY_LEN(states); s++)
        for (int j = 0; j < 3 && states[s].zip3[j][1]; j++)
            possible += (size_t)100 * (states[s].zip3[j][1] - states[s].zip3[j][0] + 1u);
    double p = ((double)cg_scaled(ctx, 42956) - (double)k) / (double)possible;
    for (size_t s = 0; s < ARRAY_LEN(states); s++) {
        for (int j = 0; j < 3 && states[s].zip3[j][1]; j++) {
            for (unsigned z = states[s].zip3[j][0] * 100u; z <= states[s].zip3[j][1] * 100u + 99;
                 z++) {
                if (cg_rng_unit(r) >= p || k == cap)
                    continue;
                char zip[6];
                snprintf(zip, sizeof(zip), "%05u", z % 100000u);
                if (starter3[z / 100] && is_starter_zip(ctx, zip))
                    continue;
                memcpy(v[k].state, states[s].abbr, 2);
                memcpy(v[k].zip, zip, 6);
                v[k++].st = (uint8_t)s;
            }
        }
    }
    qsort(v, k, sizeof(*v), zip_cmp);
    *out = v;
    *n = k;
    return 0;
}

static void put_zip(cg_file *f, const cg_ctx *ctx, const struct geo *g, const struct zip_row *z,
                    cg_rng *r)
{
    const struct state *st = &states[z->st];
    /* ZIPs of one 3-digit area share a locality; the rest-of-state locality
     * (the last) takes the larger share */
    uint64_t h = cg_hash(ctx->seed, z->zip, 3);
    unsigned li = st->nloc == 1 ? 0 : (h % 3 == 0 ? st->nloc - 1u : (unsigned)(h >> 8) % st->nloc);
    const struct locality *l = &g->loc[z->st][li];
    uint32_t roll = cg_rng_below(r, 1000);
    char rural = roll < 547 ? ' ' : roll < 818 ? 'R' : 'B';
    roll = cg_rng_below(r, 1000);
    const char *lab = roll < 3 ? "Z1" : roll < 5 ? "Z2" : "Z9";
    char plus4 = cg_rng_below(r, 10000) < 135 ? '1' : '0';
    cg_file_put(f, z->state, 2);
    cg_file_put(f, z->zip, 5);
    cg_file_put(f, l->carrier, 5);
    cg_file_put(f, l->num, 2);
    cg_file_putc(f, rural);
    cg_file_put(f, lab, 2);
    cg_file_putc(f, rural);
    cg_file_put(f, "  ", 2);
    cg_file_putc(f, plus4);
    cg_file_put(f, " A", 2);
    cg_file_pad(f, "", 52);
    cg_file_put(f, "20254\r\n", 7);
    f->rows++;
}

static int write_zip5(const cg_ctx *ctx, const struct geo *g)
{
    cg_rng r;
    cg_file f;
    struct zip_row *z = NULL;
    size_t n = 0;
    double t0 = cg_now();
    cg_rng_seed(&r, ctx->seed, CG_S_ZIP);
    if (collect_zips(ctx, &r, &z, &n)) {
        fprintf(stderr, "claimgen: zip5.txt: out of memory\n");
        return -ENOMEM;
    }
    int rc = cg_file_open(&f, ctx->dir, "zip5.txt");
    if (!rc) {
        for (size_t i = 0; i < n; i++)
            put_zip(&f, ctx, g, &z[i], &r);
        rc = cg_file_commit(&f);
    }
    if (!rc)
        cg_report("zip5.txt", &f, cg_now() - t0);
    free(z);
    return rc;
}

int cg_gen_gpci_zip5(const cg_ctx *ctx)
{
    cg_rng r;
    struct geo *g = calloc(1, sizeof(*g));
    if (!g) {
        fprintf(stderr, "claimgen: gpci.csv: out of memory\n");
        return -ENOMEM;
    }
    cg_rng_seed(&r, ctx->seed, CG_S_GPCI);
    make_localities(ctx, &r, g);
    int rc = write_gpci(ctx, g);
    if (!rc)
        rc = write_zip5(ctx, g);
    free(g);
    return rc;
}
