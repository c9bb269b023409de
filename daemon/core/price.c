/* price_: MPFS pricing of a claim's service lines (contract: claimd/price.h,
 * rules and worked examples: docs/pricing.md).
 *
 * Three passes over the lines, no allocation:
 *   1. per line: RVU row, locality (cached per date of service), per-unit fee,
 *      OPPS cap, units, then the line's own adjustments (bilateral,
 *      co-surgeon, assistant). The amount before the charge cap is parked in
 *      price_line.allowed and the row's MULT PROC indicator in .mult_proc.
 *   2. multiple procedures per date: ranks computed from pass-1 amounts only
 *      (2a), then applied (2b), so a line's reduction never changes another
 *      line's rank.
 *   3. the lesser of charge and amount; the claim's sum.
 * Lookups per line: one RVU probe and one OPPSCAP probe (a single test when
 * the version has no OPPSCAP table); per claim and date of service: ZIP5,
 * ZIP9 when the ZIP is split, GPCI.
 */
#include "claimd/price.h"

#include "claimd/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PCT_FULL 1000 /* 100 %, in tenths of a percent */

/* mp_rank of a line in a multiple-procedure family whose rules are not built. */
#define RANK_FAMILY UINT32_MAX

/* The locality of a claim, resolved once per date of service. */
typedef struct price_loc {
    uint32_t dos;      /* 0: not resolved yet */
    const tbl_gpci *g; /* NULL when why is set */
    const char *whose; /* "service facility" or "billing provider" */
    const char *why;   /* why there is no locality, or NULL */
} price_loc;

typedef struct price_ctx {
    const tbl_version *v;
    const edit_settings *s;
    const clm_claim *c;
    edit_findings *f;
    price_loc loc;
} price_ctx;

int64_t price_round_div(__int128 v, int div_pow10)
{
    if (div_pow10 <= 0)
        return (int64_t)v;
    __int128 d = 1;
    for (int i = 0; i < div_pow10 && i < 38; i++)
        d *= 10;
    __int128 q = v / d, r = v % d;
    /* |r| >= d/2, compared as 2|r| >= d so an odd d cannot round early */
    if (r < 0 ? -2 * r >= d : 2 * r >= d)
        q += v < 0 ? -1 : 1;
    return (int64_t)q;
}

/* num / den rounded half away from zero; den > 0. */
static int64_t price_div_half_away(__int128 num, int64_t den)
{
    __int128 q = num / den, r = num % den;
    if (r < 0 ? -2 * r >= den : 2 * r >= den)
        q += num < 0 ? -1 : 1;
    return (int64_t)q;
}

bool price_pos_is_facility(const char *pos)
{
    static const char fac[][3] = {"19", "21", "22", "23", "24", "26", "31", "34",
                                  "41", "42", "51", "52", "53", "56", "61"};
    if (!pos || !pos[0] || !pos[1] || pos[2])
        return false;
    for (size_t i = 0; i < sizeof fac / sizeof fac[0]; i++)
        if (pos[0] == fac[i][0] && pos[1] == fac[i][1])
            return true;
    return false;
}

static uint32_t line_no(const clm_claim *c, uint32_t i)
{
    return c->lines[i].number ? c->lines[i].number : i + 1;
}

static bool line_has_mod(const clm_line *l, const char *m)
{
    for (uint8_t i = 0; i < l->nmods && i < CLM_MAX_MODS; i++)
        if (l->mods[i][0] == m[0] && l->mods[i][1] == m[1] && !l->mods[i][2])
            return true;
    return false;
}

/* The modifier of the RVU row: 26 or TC (their own rows), else 53 (its own
 * row where CMS publishes one), else blank. */
static const char *row_mod(const clm_line *l)
{
    if (line_has_mod(l, "26"))
        return "26";
    if (line_has_mod(l, "TC"))
        return "TC";
    if (line_has_mod(l, "53"))
        return "53";
    return "";
}

/* Marks a line not priced and adds PRICE_UNAVAILABLE. The message starts
 * with the code and row modifier (codes are not PHI). */
__attribute__((format(printf, 5, 6))) static int
unavailable(price_ctx *x, uint32_t i, price_line *o, const char *mod, const char *fmt, ...)
{
    char why[EDIT_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    const clm_line *l = &x->c->lines[i];
    o->priced = false;
    o->allowed = 0;
    edit_add(x->f, x->s, EDIT_PRICE_UNAVAILABLE, line_no(x->c, i), l->seg_index,
             "%s%s%s: not priced: %s", l->code, mod[0] ? "-" : "", mod, why);
    return 0;
}

/* Splits a ZIP into its 5 digits and its +4 ("" when absent). Accepts
 * 12345, 123456789 and 12345-6789. */
static bool zip_split(const char *zip, char z5[6], char p4[5])
{
    size_t n = 0;
    while (n < 11 && zip[n])
        n++;
    for (size_t i = 0; i < n; i++)
        if ((zip[i] < '0' || zip[i] > '9') && !(i == 5 && zip[i] == '-' && n == 10))
            return false;
    if (n != 5 && n != 9 && n != 10)
        return false;
    memcpy(z5, zip, 5);
    z5[5] = 0;
    p4[0] = 0;
    if (n > 5) {
        memcpy(p4, zip + n - 4, 4);
        p4[4] = 0;
    }
    return true;
}

/* Resolves x->loc for dos: the service facility ZIP when the claim has one,
 * else the billing provider's; the ZIP9 row when the ZIP5 row is split and
 * the ZIP has its +4 and the version a ZIP9 row for it, else the ZIP5 row. */
static void resolve_locality(price_ctx *x, uint32_t dos)
{
    price_loc *L = &x->loc;
    if (L->dos == dos)
        return;
    const clm_claim *c = x->c;
    bool fac = c->facility_zip[0] != 0;
    const char *zip = fac ? c->facility_zip : c->bill_zip;
    *L = (price_loc){.dos = dos, .whose = fac ? "service facility" : "billing provider"};
    char z5[6], p4[5];
    if (!zip[0]) {
        L->why = "is missing";
        return;
    }
    if (!zip_split(zip, z5, p4)) {
        L->why = "is not 5 or 9 digits";
        return;
    }
    const tbl_zip5 *z;
    int rc = tbl_zip5_get(x->v, z5, dos, &z);
    if (rc != 0) {
        L->why = rc == -CLAIMD_ETBL_NOT_EFFECTIVE ? "has no ZIP5 row in force on the date"
                                                  : "is not in the ZIP5 table";
        return;
    }
    const char *carrier = z->carrier, *locality = z->locality;
    const tbl_zip9 *z9;
    if (z->plus4 && p4[0] && tbl_zip9_get(x->v, z5, p4, dos, &z9) == 0) {
        carrier = z9->carrier;
        locality = z9->locality;
    }
    if (tbl_gpci_get(x->v, carrier, locality, dos, &L->g) != 0) {
        L->g = NULL;
        L->why = "maps to a locality with no GPCI row in force on the date";
    }
}

/* The status codes priced: A, R, T. Returns NULL or why the row is not priced. */
static const char *status_why(const tbl_rvu *r)
{
    switch (r->status) {
    case 'A':
    case 'R':
    case 'T':
        break;
    case 'C':
        return "carrier-priced (status C)";
    case 'J':
        return "anesthesia (status J) is priced by base and time units, not built";
    default:
        return "status is not payable under the MPFS";
    }
    if (r->not_used_medicare)
        return "its RVUs are not used for Medicare payment";
    return NULL;
}

/* Per-unit fee in cents: [(W x Gw) + (PE x Gpe) + (MP x Gmp)] x CF, all
 * x10^4, so the product is x10^12 and one rounding to cents divides by 10^10. */
static int64_t fee_unit(const tbl_rvu *r, const tbl_gpci *g, bool fac)
{
    __int128 pe = fac ? r->pe_fac : r->pe_nonfac;
    __int128 sum = (__int128)r->work * g->work + pe * g->pe + (__int128)r->mp * g->mp;
    return price_round_div(sum * r->conv_factor, 10);
}

/* Applies one percentage (tenths of a percent) to the amount and the
 * running adjustment, each rounded. */
static void adjust(int64_t *amount, uint32_t *pct, uint32_t by)
{
    *amount = price_round_div((__int128)*amount * by, 3);
    *pct = (uint32_t)price_round_div((__int128)*pct * by, 3);
}

/* Bilateral (50), co-surgeon (62), assistant (80/81/82, AS) by the row's
 * indicators. Returns NULL, or why the line is priced by report. */
static const char *line_adjust(price_ctx *x, uint32_t i, const tbl_rvu *r, int64_t *amount,
                               uint32_t *pct)
{
    const clm_line *l = &x->c->lines[i];
    if (line_has_mod(l, "66"))
        return "team surgery (66) is priced by report";
    if (line_has_mod(l, "50")) {
        static const uint16_t bilat_pct[4] = {1000, 1500, 1000, 2000};
        if (r->bilat <= 3)
            adjust(amount, pct, bilat_pct[r->bilat]);
        if (r->bilat == 0 && x->s->severity[EDIT_MOD_BILATERAL] != EDIT_SEV_OFF) {
            /* the pricer's MOD_BILATERAL is advice, never a rejection */
            edit_settings w = *x->s;
            w.severity[EDIT_MOD_BILATERAL] = EDIT_SEV_WARNING;
            edit_add(x->f, &w, EDIT_MOD_BILATERAL, line_no(x->c, i), l->seg_index,
                     "%s-50: bilateral indicator 0: priced at 100 %% of one side", l->code);
        }
    }
    if (line_has_mod(l, "62")) {
        if (r->co_surg != 2)
            return r->co_surg == 1 ? "co-surgery needs documentation (CO-SURG 1): by report"
                                   : "co-surgeons are not paid for this code (CO-SURG 0 or 9)";
        adjust(amount, pct, 625);
    }
    bool as = line_has_mod(l, "AS");
    if (as || line_has_mod(l, "80") || line_has_mod(l, "81") || line_has_mod(l, "82")) {
        if (r->asst != 2)
            return r->asst == 0 ? "assistant at surgery needs documentation (ASST SURG 0): by "
                                  "report"
                                : "assistants at surgery are not paid for this code (ASST SURG "
                                  "1 or 9)";
        adjust(amount, pct, as ? 136 : 160);
    }
    return NULL;
}

/* Pass 1 for one line: writes o, or marks it not priced. Returns 0. */
static int price_line_base(price_ctx *x, uint32_t i, price_line *o)
{
    const clm_claim *c = x->c;
    const clm_line *l = &c->lines[i];
    const char *mod = row_mod(l);
    *o = (price_line){.adj_pct = PCT_FULL};
    if (edit_line_has_error(x->f, line_no(c, i))) {
        *o = (price_line){.priced = true};
        return 0;
    }
    if (c->type == CLM_TYPE_837I)
        return unavailable(x, i, o, "", "institutional (837I) pricing is not built");
    if (l->qual[0] && strcmp(l->qual, "HC") != 0)
        return unavailable(x, i, o, "", "not a HCPCS code (qualifier %s)", l->qual);
    uint32_t dos = clm_line_dos(c, l);
    if (!dos)
        return unavailable(x, i, o, mod, "no date of service");
    const tbl_rvu *r;
    int rc = tbl_rvu_get(x->v, l->code, mod, dos, &r);
    if (rc != 0)
        return unavailable(x, i, o, mod, "%s",
                           rc == -CLAIMD_ETBL_NOT_EFFECTIVE
                               ? "no RVU row in force on the date of service"
                               : "no RVU row for the code and modifier");
    const char *why = status_why(r);
    if (why)
        return unavailable(x, i, o, mod, "%s", why);
    bool fac = price_pos_is_facility(l->pos[0] ? l->pos : c->pos);
    if (fac ? r->na_fac : r->na_nonfac)
        return unavailable(x, i, o, mod, "no %s PE RVU (NA)", fac ? "facility" : "non-facility");
    if ((fac ? r->pe_fac : r->pe_nonfac) == 0 && r->work == 0 && r->mp == 0)
        return unavailable(x, i, o, mod, "no RVUs");
    if (r->conv_factor <= 0)
        return unavailable(x, i, o, mod, "no conversion factor");
    resolve_locality(x, dos);
    if (!x->loc.g)
        return unavailable(x, i, o, mod, "no Medicare locality: the %s ZIP %s", x->loc.whose,
                           x->loc.why);
    int64_t fee = fee_unit(r, x->loc.g, fac);
    const tbl_oppscap *cap;
    if (tbl_oppscap_get(x->v, l->code, mod, x->loc.g->carrier, x->loc.g->locality, dos, &cap) ==
        0) {
        int64_t capc = fac ? cap->fac_cents : cap->nonfac_cents;
        if (capc < fee)
            fee = capc;
    }
    int64_t amount = price_round_div((__int128)fee * l->units_milli, 3);
    uint32_t pct = PCT_FULL;
    why = line_adjust(x, i, r, &amount, &pct);
    if (why)
        return unavailable(x, i, o, mod, "%s", why);
    *o = (price_line){.priced = true,
                      .allowed = amount,
                      .fee_unit = fee,
                      .adj_pct = (uint16_t)(pct > UINT16_MAX ? UINT16_MAX : pct),
                      .mult_proc = r->mult_proc};
    return 0;
}

/* ---- multiple procedures ---------------------------------------------- */

static bool mp_candidate(const price_line *o)
{
    return o->priced && o->mult_proc >= 2 && o->mult_proc <= 7;
}

/* Procedures a line counts for: its units, a fraction counting as one. */
static uint32_t mp_slots(const clm_line *l)
{
    return (l->units_milli + 999) / 1000;
}

/* Units of MULT PROC 3-7 lines on date d. */
static uint32_t family_slots(const clm_claim *c, const price_line *lines, uint32_t d)
{
    uint32_t n = 0;
    for (uint32_t j = 0; j < c->nlines; j++)
        if (mp_candidate(&lines[j]) && lines[j].mult_proc >= 3 &&
            clm_line_dos(c, &c->lines[j]) == d)
            n += mp_slots(&c->lines[j]);
    return n;
}

/* In the standard (MULT PROC 2) ranking: indicator 2, and a lone
 * endoscopy (3), which CMS ranks with the other procedures. */
static bool mp_standard(const price_line *o, uint32_t fam)
{
    return mp_candidate(o) && (o->mult_proc == 2 || (o->mult_proc == 3 && fam < 2));
}

/* j ranks ahead of i: a higher amount per unit (cross-multiplied, exact),
 * ties by line order. */
static bool mp_ahead(const clm_claim *c, const price_line *lines, uint32_t j, uint32_t i)
{
    __int128 aj = (__int128)lines[j].allowed * c->lines[i].units_milli;
    __int128 ai = (__int128)lines[i].allowed * c->lines[j].units_milli;
    return aj > ai || (aj == ai && j < i);
}

/* Pass 2a: the rank of every candidate, from pass-1 amounts only. */
static void mp_rank_all(const clm_claim *c, price_line *lines)
{
    for (uint32_t i = 0; i < c->nlines; i++) {
        price_line *o = &lines[i];
        o->mp_rank = 0;
        if (!mp_candidate(o))
            continue;
        uint32_t d = clm_line_dos(c, &c->lines[i]);
        uint32_t fam = family_slots(c, lines, d);
        if (o->mult_proc >= 3 && fam >= 2) {
            o->mp_rank = RANK_FAMILY;
            continue;
        }
        if (!mp_standard(o, fam))
            continue;
        uint32_t total = 0, ahead = 0;
        for (uint32_t j = 0; j < c->nlines; j++) {
            if (!mp_standard(&lines[j], fam) || clm_line_dos(c, &c->lines[j]) != d)
                continue;
            total += mp_slots(&c->lines[j]);
            if (j != i && mp_ahead(c, lines, j, i))
                ahead += mp_slots(&c->lines[j]);
        }
        o->mp_rank = total >= 2 ? ahead + 1 : 0;
    }
}

/* Pass 2b: 100 % for the first procedure, 50 % for the 2nd to 5th, by
 * report from the 6th; a line of n units takes n places. */
static void mp_apply(price_ctx *x, price_line *lines)
{
    const clm_claim *c = x->c;
    for (uint32_t i = 0; i < c->nlines; i++) {
        price_line *o = &lines[i];
        const clm_line *l = &c->lines[i];
        const char *mod = row_mod(l);
        if (o->mp_rank == RANK_FAMILY) {
            unavailable(x, i, o, mod,
                        "MULT PROC %u with another MULT PROC 3-7 procedure on the date: "
                        "family rules are not built",
                        o->mult_proc);
            continue;
        }
        if (!o->priced || o->mp_rank == 0)
            continue;
        uint32_t n = mp_slots(l);
        if (l->units_milli % 1000) {
            unavailable(x, i, o, mod, "fractional units of a multiple procedure");
            continue;
        }
        if (o->mp_rank + n - 1 >= 6) {
            unavailable(x, i, o, mod,
                        "the 6th and later procedures on a date are priced by "
                        "report");
            continue;
        }
        uint32_t halves = (o->mp_rank == 1 ? 2 : 1) + (n - 1); /* in halves of a procedure */
        if (halves == 2 * n)
            continue;
        o->allowed = price_div_half_away((__int128)o->allowed * halves, 2 * (int64_t)n);
        o->adj_pct = (uint16_t)price_div_half_away((__int128)o->adj_pct * halves, 2 * (int64_t)n);
    }
}

int price_claim(const tbl_version *v, const edit_settings *s, const clm_claim *c, edit_findings *f,
                price_line *lines, int64_t *claim_allowed, bool *any_priced)
{
    if (!v || !s || !c || !f || (!lines && c->nlines) || (!c->lines && c->nlines) ||
        !claim_allowed || !any_priced)
        return -EINVAL;
    price_ctx x = {.v = v, .s = s, .c = c, .f = f};
    uint32_t candidates = 0;
    for (uint32_t i = 0; i < c->nlines; i++) {
        (void)price_line_base(&x, i, &lines[i]);
        candidates += mp_candidate(&lines[i]);
    }
    if (candidates) {
        mp_rank_all(c, lines);
        mp_apply(&x, lines);
    }
    int64_t sum = 0;
    bool any = false;
    for (uint32_t i = 0; i < c->nlines; i++) {
        price_line *o = &lines[i];
        if (!o->priced)
            continue;
        if (c->lines[i].charge < o->allowed)
            o->allowed = c->lines[i].charge;
        if (o->allowed < 0)
            o->allowed = 0;
        sum += o->allowed;
        any = true;
    }
    *claim_allowed = sum;
    *any_priced = any;
    return 0;
}
