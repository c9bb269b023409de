/* edit_: what the engine's files share (not installed). */
#ifndef CLAIMD_EDIT_INT_H
#define CLAIMD_EDIT_INT_H

#include "claimd/edit.h"

/* One claim being edited: the inputs and what every check derives once. */
typedef struct edit_ctx {
    const tbl_version *v;
    const edit_settings *s;
    const clm_claim *c;
    edit_findings *out;
    uint32_t today;     /* the run's reference date, 0 unknown */
    uint32_t first_dos; /* earliest line date of service, else the statement start */
    uint32_t dob;       /* the patient's (2010CA when present, else 2010BA) */
    char sex;           /* 'M', 'F', or 0 when unknown */
    bool prof;          /* 837P: MPFS, NCCI, MUE, POS and pointer edits apply */
} edit_ctx;

static inline bool edit_on(const edit_ctx *x, edit_id id)
{
    return x->s->severity[id] != EDIT_SEV_OFF;
}

/* A line's procedure is a HCPCS/CPT code (qualifier HC, or none given). */
static inline bool edit_line_is_hcpcs(const clm_line *l)
{
    return l->code[0] && (l->qual[0] == 0 || (l->qual[0] == 'H' && l->qual[1] == 'C'));
}

bool edit_date_ok(uint32_t d);
int32_t edit_days(uint32_t d); /* days since 1970-01-01 of a valid date */

/* Age and sex limits of a code (diagnosis or procedure) for the patient on dos. */
void edit_agesex(edit_ctx *x, const char *code, uint32_t dos, bool is_dx, uint32_t line,
                 uint32_t seg);

void edit_check_ids(edit_ctx *x);
void edit_check_dx(edit_ctx *x);
void edit_check_lines(edit_ctx *x);
void edit_check_ncci(edit_ctx *x);
void edit_check_mue(edit_ctx *x);
void edit_check_charges(edit_ctx *x);
void edit_check_dates(edit_ctx *x);
void edit_check_freq(edit_ctx *x);
void edit_check_issues(edit_ctx *x);

#endif
