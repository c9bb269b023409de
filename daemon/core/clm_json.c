#include "claimd/clm_json.h"

#include <inttypes.h>
#include <string.h>

static void cj_key(cbuf *b, const char *key)
{
    cbuf_putc(b, '"');
    cbuf_puts(b, key);
    cbuf_puts(b, "\":");
}

/* ,"key":"value" or ,"key":null for an empty value */
static void cj_str(cbuf *b, const char *key, const char *v)
{
    cbuf_putc(b, ',');
    cj_key(b, key);
    cbuf_json_cstr_or_null(b, v);
}

static void cj_char(cbuf *b, const char *key, char v)
{
    char s[2] = {v, 0};
    cj_str(b, key, s);
}

static void cj_date(cbuf *b, const char *key, uint32_t d)
{
    cbuf_putc(b, ',');
    cj_key(b, key);
    cbuf_json_date(b, d);
}

static void cj_u64(cbuf *b, const char *key, uint64_t v)
{
    cbuf_putc(b, ',');
    cj_key(b, key);
    cbuf_printf(b, "%" PRIu64, v);
}

static void cj_cents(cbuf *b, const char *key, int64_t v)
{
    cbuf_putc(b, ',');
    cj_key(b, key);
    cbuf_json_cents(b, v);
}

static const char *cj_type(clm_type t)
{
    switch (t) {
    case CLM_TYPE_837P:
        return "837P";
    case CLM_TYPE_837I:
        return "837I";
    default:
        return "";
    }
}

const char *clm_json_issue_name(unsigned kind)
{
    static const char *const names[] = {"none",        "bad_amount", "bad_date", "bad_units",
                                        "bad_pointer", "too_long",   "too_many"};
    return kind < sizeof names / sizeof names[0] ? names[kind] : "unknown";
}

static void cj_billing(cbuf *b, const clm_claim *c)
{
    cbuf_puts(b, ",\"billing_provider\":{");
    cj_key(b, "entity");
    char e[2] = {c->bill_entity, 0};
    cbuf_json_cstr_or_null(b, e);
    cj_str(b, "npi", c->bill_npi);
    cj_str(b, "tin", c->bill_tin);
    cj_str(b, "tin_qualifier", c->bill_tin_qual);
    cj_str(b, "zip", c->bill_zip);
    cj_str(b, "state", c->bill_state);
    cj_str(b, "taxonomy", c->bill_taxonomy);
    cbuf_putc(b, '}');
}

static void cj_parties(cbuf *b, const clm_claim *c)
{
    cbuf_puts(b, ",\"subscriber\":{");
    cj_key(b, "responsibility");
    char r[2] = {c->sbr_resp, 0};
    cbuf_json_cstr_or_null(b, r);
    cj_str(b, "relationship", c->sbr_rel);
    cj_str(b, "filing_indicator", c->filing_ind);
    cj_str(b, "member_id", c->member_id);
    cj_date(b, "birth_date", c->sub_dob);
    cj_char(b, "sex", c->sub_sex);
    cbuf_putc(b, '}');

    cbuf_puts(b, ",\"patient\":");
    if (c->has_patient) {
        cbuf_putc(b, '{');
        cj_key(b, "relationship");
        cbuf_json_cstr_or_null(b, c->pat_rel);
        cj_date(b, "birth_date", c->pat_dob);
        cj_char(b, "sex", c->pat_sex);
        cbuf_putc(b, '}');
    } else {
        cbuf_puts(b, "null");
    }
    cbuf_puts(b, ",\"payer\":{");
    cj_key(b, "id");
    cbuf_json_cstr_or_null(b, c->payer_id);
    cbuf_putc(b, '}');
}

static void cj_dx(cbuf *b, const clm_claim *c)
{
    cbuf_puts(b, ",\"dx\":[");
    for (unsigned i = 0; i < c->ndx && i < CLM_MAX_DX; i++) {
        const clm_dx *d = &c->dx[i];
        cbuf_puts(b, i ? ",{" : "{");
        cj_key(b, "code");
        cbuf_json_cstr_or_null(b, d->code);
        cj_str(b, "qualifier", d->qual);
        cj_char(b, "poa", d->poa);
        cbuf_putc(b, '}');
    }
    cbuf_putc(b, ']');
}

static void cj_line(cbuf *b, const clm_line *l)
{
    cbuf_putc(b, '{');
    cj_key(b, "line");
    cbuf_printf(b, "%" PRIu32, l->number);
    cj_u64(b, "lx", l->lx);
    cj_str(b, "qualifier", l->qual);
    cj_str(b, "code", l->code);
    cbuf_puts(b, ",\"modifiers\":[");
    for (unsigned m = 0; m < l->nmods && m < CLM_MAX_MODS; m++) {
        if (m)
            cbuf_putc(b, ',');
        cbuf_json_cstr_or_null(b, l->mods[m]);
    }
    cbuf_puts(b, "],\"units\":");
    cbuf_json_milli(b, l->units_milli);
    cj_str(b, "unit_type", l->unit_type);
    cj_cents(b, "charge", l->charge);
    cj_date(b, "from", l->from);
    cj_date(b, "to", l->to);
    cj_str(b, "pos", l->pos);
    cj_str(b, "revenue_code", l->rev);
    cbuf_puts(b, ",\"dx_pointers\":[");
    for (unsigned p = 0; p < l->nptrs && p < CLM_MAX_PTRS; p++)
        cbuf_printf(b, p ? ",%u" : "%u", l->ptrs[p]);
    cbuf_putc(b, ']');
    cj_str(b, "ndc", l->ndc);
    cj_str(b, "rendering_npi", l->rendering_npi);
    cbuf_putc(b, '}');
}

static void cj_issues(cbuf *b, const clm_claim *c)
{
    cbuf_puts(b, ",\"issues\":[");
    for (unsigned i = 0; i < c->nissues && i < CLM_MAX_ISSUES; i++) {
        const clm_issue *is = &c->issues[i];
        cbuf_puts(b, i ? ",{" : "{");
        cj_key(b, "kind");
        cbuf_json_cstr_or_null(b, clm_json_issue_name(is->kind));
        cj_str(b, "segment", is->seg_id);
        cj_u64(b, "element", is->elem);
        cj_u64(b, "line", is->line);
        cj_u64(b, "seg_index", is->seg_index);
        cbuf_putc(b, '}');
    }
    cbuf_putc(b, ']');
    cj_u64(b, "issues_dropped", c->issues_dropped);
}

int clm_json_render_open(cbuf *b, const clm_claim *c)
{
    cbuf_putc(b, '{');
    cj_key(b, "claim_id");
    cbuf_json_str(b, c->claim_id, strlen(c->claim_id));
    cj_u64(b, "file_offset", c->file_off);
    cj_u64(b, "seg_index", c->seg_index);
    cj_str(b, "type", cj_type(c->type));
    cj_str(b, "isa13", c->isa13);
    cj_str(b, "gs06", c->gs06);
    cj_str(b, "st02", c->st02);
    cj_date(b, "bht_date", c->bht_date);
    cj_cents(b, "charge", c->charge);
    cj_str(b, "pos", c->pos);
    cj_char(b, "freq", c->freq);
    cj_str(b, "type_of_bill", c->tob);
    cj_str(b, "ref_f8", c->ref_f8);
    cj_date(b, "statement_from", c->stmt_from);
    cj_date(b, "statement_to", c->stmt_to);
    cj_date(b, "admit_date", c->admit_date);
    cj_billing(b, c);
    cj_parties(b, c);
    cj_str(b, "rendering_npi", c->rendering_npi);
    cj_str(b, "referring_npi", c->referring_npi);
    cj_str(b, "facility_zip", c->facility_zip);
    cj_dx(b, c);
    cbuf_puts(b, ",\"lines\":[");
    for (uint32_t i = 0; i < c->nlines; i++) {
        if (i)
            cbuf_putc(b, ',');
        cj_line(b, &c->lines[i]);
    }
    cbuf_putc(b, ']');
    cj_issues(b, c);
    return cbuf_error(b);
}

int clm_json_render_close(cbuf *b, char ik5)
{
    cj_char(b, "ik5", ik5);
    cbuf_putc(b, '}');
    return cbuf_error(b);
}

int clm_json_render(cbuf *b, const clm_claim *c, char ik5)
{
    clm_json_render_open(b, c);
    return clm_json_render_close(b, ik5);
}
