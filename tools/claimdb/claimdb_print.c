#define _GNU_SOURCE /* strnlen, strsep, strcasecmp */
#include "claimdb_print.h"

#include "claimd/error.h"

#include <inttypes.h>
#include <string.h>

typedef struct pr {
    FILE *f;
    bool json;
    int n;
} pr;

static void sep(pr *p, const char *name)
{
    if (p->json)
        fprintf(p->f, "%s\"%s\":", p->n++ ? "," : "", name);
    else
        fprintf(p->f, "%s%s=", p->n++ ? " " : "", name);
}

static void jstr(FILE *f, const char *s, size_t max)
{
    fputc('"', f);
    for (size_t i = 0; i < max && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void f_str(pr *p, const char *name, const char *s, size_t max)
{
    sep(p, name);
    if (p->json)
        jstr(p->f, s, max);
    else
        fprintf(p->f, "%.*s", (int)strnlen(s, max), s);
}

static void f_chr(pr *p, const char *name, char c)
{
    char s[2] = {c == ' ' ? 0 : c, 0};
    f_str(p, name, s, 1);
}

static void f_int(pr *p, const char *name, int64_t v)
{
    sep(p, name);
    fprintf(p->f, "%" PRId64, v);
}

static void f_bool(pr *p, const char *name, bool b)
{
    sep(p, name);
    fputs(b ? "true" : "false", p->f);
}

/* A value scaled by 10^4, printed exactly with at least two decimals. */
static void f_dec4(pr *p, const char *name, int64_t v)
{
    sep(p, name);
    const char *sign = v < 0 ? "-" : "";
    uint64_t a = (uint64_t)(v < 0 ? -v : v);
    char frac[8];
    snprintf(frac, sizeof frac, "%04" PRIu64, a % 10000);
    for (int i = 3; i >= 2 && frac[i] == '0'; i--)
        frac[i] = 0;
    fprintf(p->f, "%s%" PRIu64 ".%s", sign, a / 10000, frac);
}

static void f_cents(pr *p, const char *name, int64_t v)
{
    sep(p, name);
    fprintf(p->f, "%s%" PRId64 ".%02" PRId64, v < 0 ? "-" : "", (v < 0 ? -v : v) / 100,
            (v < 0 ? -v : v) % 100);
}

static void f_date(pr *p, const char *name, uint32_t d)
{
    sep(p, name);
    if (d == 0)
        fputs(p->json ? "null" : "-", p->f);
    else
        fprintf(p->f, p->json ? "\"%04u-%02u-%02u\"" : "%04u-%02u-%02u", d / 10000, d / 100 % 100,
                d % 100);
}

static void f_period(pr *p, tbl_period per)
{
    f_date(p, "effective_from", per.from);
    f_date(p, "effective_to", per.to);
}

static void rec_icd10(pr *p, const tbl_icd10 *r)
{
    f_str(p, "code", r->code, sizeof r->code);
    f_bool(p, "billable", r->billable);
    f_str(p, "short_description", r->short_desc, sizeof r->short_desc);
    f_period(p, r->period);
}

static void rec_hcpcs(pr *p, const tbl_hcpcs *r)
{
    f_str(p, "code", r->code, sizeof r->code);
    f_bool(p, "is_modifier", r->is_modifier);
    f_str(p, "short_description", r->short_desc, sizeof r->short_desc);
    f_chr(p, "action_code", r->action);
    f_date(p, "add_date", r->add_date);
    f_date(p, "action_effective_date", r->action_eff_date);
    f_date(p, "termination_date", r->term_date);
    f_period(p, r->period);
}

static void rec_rvu(pr *p, const tbl_rvu *r)
{
    f_str(p, "hcpcs", r->code, sizeof r->code);
    f_str(p, "mod", r->mod, sizeof r->mod);
    f_chr(p, "status_code", r->status);
    f_bool(p, "not_used_for_medicare_payment", r->not_used_medicare);
    f_dec4(p, "work_rvu", r->work);
    f_dec4(p, "non_fac_pe_rvu", r->pe_nonfac);
    f_bool(p, "non_fac_na_indicator", r->na_nonfac);
    f_dec4(p, "facility_pe_rvu", r->pe_fac);
    f_bool(p, "facility_na_indicator", r->na_fac);
    f_dec4(p, "mp_rvu", r->mp);
    f_dec4(p, "non_facility_total", r->total_nonfac);
    f_dec4(p, "facility_total", r->total_fac);
    f_int(p, "pctc_ind", r->pctc);
    f_str(p, "glob_days", r->glob_days, sizeof r->glob_days);
    f_dec4(p, "pre_op", r->pre_op);
    f_dec4(p, "intra_op", r->intra_op);
    f_dec4(p, "post_op", r->post_op);
    f_int(p, "mult_proc", r->mult_proc);
    f_int(p, "bilat_surg", r->bilat);
    f_int(p, "asst_surg", r->asst);
    f_int(p, "co_surg", r->co_surg);
    f_int(p, "team_surg", r->team);
    f_str(p, "endo_base", r->endo_base, sizeof r->endo_base);
    f_dec4(p, "conv_factor", r->conv_factor);
    f_str(p, "physician_supervision", r->phys_superv, sizeof r->phys_superv);
    f_int(p, "calculation_flag", r->calc_flag);
    f_str(p, "diagnostic_imaging_family", r->img_family, sizeof r->img_family);
    f_dec4(p, "non_facility_pe_used_for_opps", r->opps_pe_nonfac);
    f_dec4(p, "facility_pe_used_for_opps", r->opps_pe_fac);
    f_dec4(p, "mp_used_for_opps", r->opps_mp);
    f_period(p, r->period);
}

static void rec_gpci(pr *p, const tbl_gpci *r)
{
    f_str(p, "mac", r->carrier, sizeof r->carrier);
    f_str(p, "state", r->state, sizeof r->state);
    f_str(p, "locality_number", r->locality, sizeof r->locality);
    f_str(p, "locality_name", r->name, sizeof r->name);
    f_dec4(p, "pw_gpci", r->work);
    f_dec4(p, "pe_gpci", r->pe);
    f_dec4(p, "mp_gpci", r->mp);
    f_period(p, r->period);
}

static void rec_zip5(pr *p, const tbl_zip5 *r)
{
    f_str(p, "state", r->state, sizeof r->state);
    f_str(p, "zip_code", r->zip, sizeof r->zip);
    f_str(p, "carrier", r->carrier, sizeof r->carrier);
    f_str(p, "pricing_locality", r->locality, sizeof r->locality);
    f_chr(p, "rural_ind", r->rural);
    f_str(p, "lab_cb_locality", r->lab_cb, sizeof r->lab_cb);
    f_chr(p, "rural_ind2", r->rural2);
    f_bool(p, "plus_four_flag", r->plus4);
    f_chr(p, "part_b_payment_ind", r->partb);
    f_int(p, "year_qtr", r->yearq);
    f_period(p, r->period);
}

static void rec_zip9(pr *p, const tbl_zip9 *r)
{
    f_str(p, "state", r->state, sizeof r->state);
    f_str(p, "zip_code", r->zip, sizeof r->zip);
    f_str(p, "plus_four_low", r->plus4_lo, sizeof r->plus4_lo);
    f_str(p, "plus_four_high", r->plus4_hi, sizeof r->plus4_hi);
    f_str(p, "carrier", r->carrier, sizeof r->carrier);
    f_str(p, "pricing_locality", r->locality, sizeof r->locality);
    f_chr(p, "rural_ind", r->rural);
    f_chr(p, "part_b_payment_ind", r->partb);
    f_int(p, "year_qtr", r->yearq);
    f_period(p, r->period);
}

static void rec_ncci(pr *p, const tbl_ncci *r)
{
    f_str(p, "column_1", r->col1, sizeof r->col1);
    f_str(p, "column_2", r->col2, sizeof r->col2);
    f_bool(p, "in_existence_prior_to_1996", r->pre1996);
    f_date(p, "effective_date", r->eff_date);
    f_date(p, "deletion_date", r->del_date);
    f_int(p, "modifier_indicator", r->mod_ind);
    f_period(p, r->period);
}

static void rec_mue(pr *p, const tbl_mue *r)
{
    f_str(p, "hcpcs_cpt_code", r->code, sizeof r->code);
    f_int(p, "mue_value", r->value);
    f_int(p, "mue_adjudication_indicator", r->mai);
    f_period(p, r->period);
}

static void rec_pos(pr *p, const tbl_pos *r)
{
    f_str(p, "code", r->code, sizeof r->code);
    f_str(p, "name", r->name, sizeof r->name);
    f_period(p, r->period);
}

static void rec_agesex(pr *p, const tbl_agesex *r)
{
    f_str(p, "code", r->code, sizeof r->code);
    f_chr(p, "sex", r->sex);
    f_int(p, "min_age", r->min_age);
    f_int(p, "max_age", r->max_age);
    f_period(p, r->period);
}

static void rec_modifier(pr *p, const tbl_modifier *r)
{
    f_str(p, "code", r->code, sizeof r->code);
    f_period(p, r->period);
}

static void rec_oppscap(pr *p, const tbl_oppscap *r)
{
    f_str(p, "hcpcs", r->code, sizeof r->code);
    f_str(p, "mod", r->mod, sizeof r->mod);
    f_chr(p, "procstat", r->procstat);
    f_str(p, "carrier", r->carrier, sizeof r->carrier);
    f_str(p, "locality", r->locality, sizeof r->locality);
    f_cents(p, "facility_price", r->fac_cents);
    f_cents(p, "non_facility_price", r->nonfac_cents);
    f_period(p, r->period);
}

static void print_rec(pr *p, tbl_table t, const void *r)
{
    switch (t) {
    case TBL_ICD10CM:
        rec_icd10(p, r);
        break;
    case TBL_HCPCS:
        rec_hcpcs(p, r);
        break;
    case TBL_RVU:
        rec_rvu(p, r);
        break;
    case TBL_GPCI:
        rec_gpci(p, r);
        break;
    case TBL_ZIP5:
        rec_zip5(p, r);
        break;
    case TBL_ZIP9:
        rec_zip9(p, r);
        break;
    case TBL_NCCI:
        rec_ncci(p, r);
        break;
    case TBL_MUE:
        rec_mue(p, r);
        break;
    case TBL_POS:
        rec_pos(p, r);
        break;
    case TBL_AGESEX:
        rec_agesex(p, r);
        break;
    case TBL_MODIFIER:
        rec_modifier(p, r);
        break;
    case TBL_OPPSCAP:
        rec_oppscap(p, r);
        break;
    default:
        break;
    }
}

/* ---- info ----------------------------------------------------------- */

void cdb_print_info(FILE *f, const tbl_version *v, bool json)
{
    const tbl_info *in = tbl_version_info(v);
    if (!json) {
        fprintf(f, "version   %s\npath      %s\nbuilt     %s by claimdb %s (layout %u)\n", in->name,
                tbl_version_path(v), in->build_time, in->claimdb_version, in->layout);
        fprintf(f, "sources:\n");
        for (uint32_t i = 0; i < in->nsources; i++) {
            const tbl_source *s = &in->sources[i];
            fprintf(f, "  %-9s %-36s %10" PRIu64 " bytes %9" PRIu64 " rows", s->kind, s->name,
                    s->size, s->rows);
            if (s->period.from || s->period.to)
                fprintf(f, "  %u-%u", s->period.from, s->period.to);
            else
                fprintf(f, "  (periods per row)");
            if (s->mismatches)
                fprintf(f, "  %" PRIu64 " total mismatches", s->mismatches);
            fprintf(f, "  %s\n", s->checksum);
        }
        fprintf(f, "tables:\n");
        for (int t = 0; t < TBL_TABLE_COUNT; t++)
            if (in->tables[t].rows)
                fprintf(f,
                        "  %-9s %10" PRIu64 " rows %9" PRIu64 " keys %12" PRIu64 " index bytes\n",
                        tbl_table_name((tbl_table)t), in->tables[t].rows, in->tables[t].groups,
                        in->tables[t].index_bytes);
        return;
    }
    pr p = {f, true, 0};
    fputc('{', f);
    f_str(&p, "name", in->name, sizeof in->name);
    f_str(&p, "path", tbl_version_path(v), 4096);
    f_str(&p, "build_time", in->build_time, sizeof in->build_time);
    f_str(&p, "claimdb_version", in->claimdb_version, sizeof in->claimdb_version);
    f_int(&p, "layout", in->layout);
    fputs(",\"sources\":[", f);
    for (uint32_t i = 0; i < in->nsources; i++) {
        const tbl_source *s = &in->sources[i];
        pr q = {f, true, 0};
        fputs(i ? ",{" : "{", f);
        f_str(&q, "kind", s->kind, sizeof s->kind);
        f_str(&q, "name", s->name, sizeof s->name);
        f_int(&q, "size", (int64_t)s->size);
        f_str(&q, "checksum", s->checksum, sizeof s->checksum);
        f_int(&q, "rows", (int64_t)s->rows);
        f_int(&q, "skipped", (int64_t)s->skipped);
        f_int(&q, "mismatches", (int64_t)s->mismatches);
        f_date(&q, "period_from", s->period.from);
        f_date(&q, "period_to", s->period.to);
        fputc('}', f);
    }
    fputs("],\"tables\":{", f);
    int n = 0;
    for (int t = 0; t < TBL_TABLE_COUNT; t++) {
        if (!in->tables[t].rows)
            continue;
        pr q = {f, true, 0};
        fprintf(f, "%s\"%s\":{", n++ ? "," : "", tbl_table_name((tbl_table)t));
        f_int(&q, "rows", (int64_t)in->tables[t].rows);
        f_int(&q, "keys", (int64_t)in->tables[t].groups);
        f_int(&q, "duplicates", (int64_t)in->tables[t].duplicates);
        f_int(&q, "index_bytes", (int64_t)in->tables[t].index_bytes);
        fputc('}', f);
    }
    fputs("}}\n", f);
}

/* ---- get ------------------------------------------------------------ */

typedef struct getctx {
    tbl_table t;
    uint32_t date;
    const char *extra; /* RVU mod, ZIP9 plus4, age/sex sex */
    bool has_extra;
    _Alignas(16) uint8_t best[512];
    bool found, seen;
    size_t nrows;
    pr *p;
} getctx;

static bool extra_match(const getctx *g, const void *rec)
{
    const char *x = g->has_extra ? g->extra : "";
    switch (g->t) {
    case TBL_RVU:
        return (g->has_extra || g->date) ? strcasecmp(((const tbl_rvu *)rec)->mod, x) == 0 : true;
    case TBL_ZIP9: {
        const tbl_zip9 *z = rec;
        const char *hi = z->plus4_hi[0] ? z->plus4_hi : z->plus4_lo;
        return !g->has_extra || (strncmp(z->plus4_lo, x, 4) <= 0 && strncmp(x, hi, 4) <= 0);
    }
    case TBL_AGESEX:
        return !g->has_extra || ((const tbl_agesex *)rec)->sex == (x[0] & ~0x20);
    default:
        return true;
    }
}

static int on_row(void *ctx, const void *rec)
{
    getctx *g = ctx;
    if (!extra_match(g, rec))
        return 0;
    g->seen = true;
    size_t sz = tbl_record_size(g->t);
    if (g->date) {
        tbl_period per;
        /* every record ends its key part with a tbl_period; find it by key */
        uint8_t k[TBL_KEY_MAX];
        size_t kl = tbl_record_key(g->t, rec, k);
        per.from = (uint32_t)k[kl - 8] << 24 | (uint32_t)k[kl - 7] << 16 |
                   (uint32_t)k[kl - 6] << 8 | k[kl - 5];
        per.to = (uint32_t)k[kl - 4] << 24 | (uint32_t)k[kl - 3] << 16 | (uint32_t)k[kl - 2] << 8 |
                 k[kl - 1];
        if (per.from <= g->date && g->date <= per.to) {
            memcpy(g->best, rec, sz);
            g->found = true;
        }
        return 0;
    }
    pr q = {g->p->f, g->p->json, 0};
    if (g->p->json)
        fputs(g->nrows ? ",{" : "{", g->p->f);
    else
        fputs("  ", g->p->f);
    print_rec(&q, g->t, rec);
    fputs(g->p->json ? "}" : "\n", g->p->f);
    g->nrows++;
    return 0;
}

int cdb_get(FILE *f, tbl_version *v, tbl_table t, const char *key, uint32_t date, bool json)
{
    char buf[128];
    const char *fields[5];
    size_t n = 0;
    snprintf(buf, sizeof buf, "%s", key);
    for (char *s = buf, *tok; n < 5 && (tok = strsep(&s, ":")) != NULL;)
        fields[n++] = tok;
    size_t ng = (t == TBL_GPCI || t == TBL_NCCI) ? 2 : t == TBL_OPPSCAP ? 4 : 1;
    bool extra_ok = t == TBL_RVU || t == TBL_ZIP9 || t == TBL_AGESEX;
    if (n < ng || n > ng + (extra_ok ? 1 : 0)) {
        fprintf(stderr, "claimdb: %s: a %s key has %zu field(s) joined by ':'\n", key,
                tbl_table_name(t), ng);
        return 2;
    }
    pr p = {f, json, 0};
    getctx g = {
        .t = t, .date = date, .p = &p, .has_extra = n > ng, .extra = n > ng ? fields[ng] : NULL};
    tbl_reader *rd;
    int rc = tbl_reader_open(v, &rd);
    if (rc < 0) {
        fprintf(stderr, "claimdb: %s\n", claimd_strerror(rc));
        return 1;
    }
    if (json) {
        fputc('{', f);
        f_str(&p, "table", tbl_table_name(t), 16);
        f_str(&p, "key", key, 128);
        if (date)
            f_date(&p, "date", date);
        if (!date)
            fputs(",\"periods\":[", f);
    } else if (!date) {
        fprintf(f, "%s %s: every period\n", tbl_table_name(t), key);
    }
    uint64_t rows = 0;
    rc = tbl_reader_group(rd, t, fields, ng, on_row, &g, &rows);
    tbl_reader_close(rd);
    int status = 0;
    const char *err = NULL;
    if (rc < 0 && rc != -CLAIMD_ETBL_NOT_FOUND) {
        err = claimd_strerror(rc);
        status = 1;
    } else if (!g.seen) {
        err = "not found";
        status = 1;
    } else if (date && !g.found) {
        err = "not effective on that date";
        status = 1;
    }
    if (json) {
        if (!date)
            fputc(']', f);
        if (err) {
            f_bool(&p, "found", false);
            f_str(&p, "error", err, 64);
        } else {
            f_bool(&p, "found", true);
            if (date) {
                fputs(",\"row\":{", f);
                pr q = {f, true, 0};
                print_rec(&q, t, g.best);
                fputc('}', f);
            }
        }
        fputs("}\n", f);
    } else if (!err && date) {
        pr q = {f, false, 0};
        print_rec(&q, t, g.best);
        fputc('\n', f);
    }
    if (err)
        fprintf(stderr, "claimdb: %s %s%s%s: %s\n", tbl_table_name(t), key, date ? " on " : "",
                date ? "that date" : "", err);
    return status;
}
