/* edit_lines: the service-line edits (procedure, modifiers, place of
 * service, age/sex, diagnosis pointers, units). Each code is looked up on its
 * own line's date of service. */
#include "claimd/error.h"
#include "edit_int.h"

#include <string.h>

void edit_agesex(edit_ctx *x, const char *code, uint32_t dos, bool is_dx, uint32_t line,
                 uint32_t seg)
{
    const tbl_agesex *r;
    if (tbl_agesex_get(x->v, code, x->sex, dos, &r) != 0)
        return; /* no limits for this code */
    const char *kind = is_dx ? "diagnosis" : "procedure";
    if (r->sex && x->sex && r->sex != x->sex) {
        edit_add_codes(x->out, x->s, EDIT_SEX_CONFLICT, is_dx ? "10" : "7", "",
                       is_dx ? "255" : "474", line, seg, "%s %.8s is for %s patients only", kind,
                       code, r->sex == 'F' ? "female" : "male");
        return;
    }
    if (r->sex && !x->sex)
        return; /* limits of one sex, patient's sex unknown: nothing to compare */
    int age = edit_age_years(x->dob, dos);
    if (age < 0 || (age >= r->min_age && age <= r->max_age))
        return;
    edit_add_codes(x->out, x->s, EDIT_AGE_CONFLICT, is_dx ? "9" : "6", "", is_dx ? "255" : "475",
                   line, seg, "%s %.8s is for ages %u-%u; the patient is %d", kind, code,
                   r->min_age, r->max_age, age);
}

/* MPFS status codes Medicare does not pay under any fee schedule: N
 * non-covered, I not valid for Medicare (another code is), G/H not valid or
 * deleted, D/F deleted. Bundled (B, P), statutory exclusions paid elsewhere (X:
 * labs, ambulance), drugs (E) and reporting codes (M, Q) are not flagged. */
static bool edit_status_unpayable(char st)
{
    return st && strchr("NIGHDF", st) != NULL;
}

static bool edit_proc_known(edit_ctx *x, const clm_line *l, uint32_t dos, const tbl_rvu **rvu)
{
    int rc = tbl_rvu_get(x->v, l->code, "", dos, rvu);
    if (rc == 0)
        return true;
    *rvu = NULL;
    const tbl_hcpcs *h;
    int rc2 = tbl_hcpcs_get(x->v, l->code, dos, &h);
    if (rc2 == 0 && !h->is_modifier)
        return true;
    bool not_eff = rc == -CLAIMD_ETBL_NOT_EFFECTIVE || rc2 == -CLAIMD_ETBL_NOT_EFFECTIVE;
    if (not_eff)
        edit_add(x->out, x->s, EDIT_PROC_INVALID, l->number, l->seg_index,
                 "line %u procedure %.8s is not effective on %u", l->number, l->code, dos);
    else
        edit_add(x->out, x->s, EDIT_PROC_INVALID, l->number, l->seg_index,
                 "line %u procedure %.8s is not a HCPCS/CPT code", l->number, l->code);
    return false;
}

static bool edit_mod_known(edit_ctx *x, const char *m, uint32_t dos)
{
    if (tbl_modifier_valid(x->v, m, dos))
        return true;
    const tbl_hcpcs *h;
    return tbl_hcpcs_get(x->v, m, dos, &h) == 0 && h->is_modifier;
}

static bool edit_mod_is(const char *m, char a, char b)
{
    return m[0] == a && m[1] == b && m[2] == 0;
}

/* 26 is allowed on PCTC 1 (split), 6 and 8 (physician interpretation); TC on 1. */
static void edit_mod_rules(edit_ctx *x, const clm_line *l, const char *m, const tbl_rvu *rvu)
{
    bool pc = edit_mod_is(m, '2', '6'), tc = edit_mod_is(m, 'T', 'C');
    if ((pc && rvu->pctc != 1 && rvu->pctc != 6 && rvu->pctc != 8) || (tc && rvu->pctc != 1))
        edit_add(x->out, x->s, EDIT_MOD_PCTC, l->number, l->seg_index,
                 "line %u modifier %s is not allowed on %.8s (PCTC indicator %u)", l->number, m,
                 l->code, rvu->pctc);
    if (edit_mod_is(m, '5', '0') && rvu->bilat == 9)
        edit_add(x->out, x->s, EDIT_MOD_BILATERAL, l->number, l->seg_index,
                 "line %u modifier 50 does not apply to %.8s (bilateral indicator 9)", l->number,
                 l->code);
}

static void edit_mods(edit_ctx *x, const clm_line *l, uint32_t dos, const tbl_rvu *rvu)
{
    for (uint32_t k = 0; k < l->nmods && k < CLM_MAX_MODS; k++) {
        const char *m = l->mods[k];
        bool shape = m[0] && m[1] && !m[2];
        if (!shape || !edit_mod_known(x, m, dos)) {
            edit_add(x->out, x->s, EDIT_MOD_INVALID, l->number, l->seg_index,
                     "line %u modifier %.2s is not a valid modifier on %u", l->number, m, dos);
            continue;
        }
        if (rvu && x->prof)
            edit_mod_rules(x, l, m, rvu);
    }
}

static void edit_pointers(edit_ctx *x, const clm_line *l)
{
    const clm_claim *c = x->c;
    if (l->nptrs == 0) {
        /* a pointer that did not parse is reported from the issue list */
        for (uint32_t i = 0; i < c->nissues && i < CLM_MAX_ISSUES; i++)
            if (c->issues[i].kind == CLM_ISSUE_BAD_POINTER && c->issues[i].line == l->number)
                return;
        edit_add(x->out, x->s, EDIT_DX_POINTER, l->number, l->seg_index,
                 "line %u has no diagnosis pointer", l->number);
        return;
    }
    unsigned seen = 0;
    for (uint32_t k = 0; k < l->nptrs && k < CLM_MAX_PTRS; k++) {
        uint8_t p = l->ptrs[k];
        if (p == 0 || p > c->ndx) {
            edit_add(x->out, x->s, EDIT_DX_POINTER, l->number, l->seg_index,
                     "line %u diagnosis pointer %u is outside 1-%u", l->number, p, c->ndx);
        } else if (seen & (1u << p)) {
            edit_add(x->out, x->s, EDIT_DX_POINTER, l->number, l->seg_index,
                     "line %u diagnosis pointer %u is repeated", l->number, p);
        } else {
            seen |= 1u << p;
        }
    }
}

static void edit_pos(edit_ctx *x, const char *pos, uint32_t dos, uint32_t line, uint32_t seg)
{
    if (!pos[0] || !tbl_pos_valid(x->v, pos, dos))
        edit_add(x->out, x->s, EDIT_POS_INVALID, line, seg, "place of service %.2s is not valid",
                 pos[0] ? pos : "(none)");
}

static void edit_line_proc(edit_ctx *x, const clm_line *l, uint32_t dos)
{
    const tbl_rvu *rvu = NULL;
    if (!edit_proc_known(x, l, dos, &rvu)) {
        if (l->nmods)
            edit_mods(x, l, dos, NULL); /* still report every bad modifier */
        return;
    }
    if (rvu && x->prof && edit_status_unpayable(rvu->status))
        edit_add(x->out, x->s, EDIT_PROC_NOT_PAYABLE, l->number, l->seg_index,
                 "line %u procedure %.8s is not payable by Medicare (status %c)", l->number,
                 l->code, rvu->status);
    if (l->nmods)
        edit_mods(x, l, dos, rvu);
    if (edit_on(x, EDIT_AGE_CONFLICT) || edit_on(x, EDIT_SEX_CONFLICT))
        edit_agesex(x, l->code, dos, false, l->number, l->seg_index);
}

static void edit_line(edit_ctx *x, const clm_line *l)
{
    const clm_claim *c = x->c;
    uint32_t dos = clm_line_dos(c, l);
    if (dos && edit_line_is_hcpcs(l))
        edit_line_proc(x, l, dos);
    if (x->prof) {
        edit_pointers(x, l);
        if (dos && l->pos[0] && strcmp(l->pos, c->pos) != 0)
            edit_pos(x, l->pos, dos, l->number, l->seg_index);
    }
    if (l->units_milli == 0) {
        bool bad = false;
        for (uint32_t i = 0; i < c->nissues && i < CLM_MAX_ISSUES; i++)
            bad |= c->issues[i].kind == CLM_ISSUE_BAD_UNITS && c->issues[i].line == l->number;
        if (!bad)
            edit_add(x->out, x->s, EDIT_UNITS_INVALID, l->number, l->seg_index,
                     "line %u has no units of service", l->number);
    }
}

void edit_check_lines(edit_ctx *x)
{
    const clm_claim *c = x->c;
    if (x->prof && x->first_dos)
        edit_pos(x, c->pos, x->first_dos, 0, c->seg_index);
    for (uint32_t i = 0; i < c->nlines; i++)
        edit_line(x, &c->lines[i]);
}
