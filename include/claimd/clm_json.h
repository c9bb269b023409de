/* clm_json_: one claim as one line of JSON, for the submitter (files,
 * stdout). The output carries PHI (names of fields are fixed, values are the
 * claim's): it never goes to a log.
 *
 * Field names follow DESIGN.md's results contract where they overlap
 * (claim_id, file_offset, charge, lines[].line/code/modifiers/units/charge).
 * Amounts are numbers with two decimals, units decimals, dates "YYYY-MM-DD"
 * or null; empty optional strings are null.
 */
#ifndef CLAIMD_CLM_JSON_H
#define CLAIMD_CLM_JSON_H

#include "claimd/cbuf.h"
#include "claimd/claim.h"

/* Appends the claim as a JSON object, without a trailing newline. ik5 is the
 * transaction's verdict ('A', 'E' or 'R'), or 0 for null when not known.
 * Returns cbuf_error(b): 0 or -ENOMEM. */
int clm_json_render(cbuf *b, const clm_claim *c, char ik5);

/* The same in two steps, for a caller that renders a claim before its
 * transaction's verdict is known: _open appends the object without its
 * closing part (every field but ik5; never a newline), _close appends
 * `,"ik5":…}`. */
int clm_json_render_open(cbuf *b, const clm_claim *c);
int clm_json_render_close(cbuf *b, char ik5);

/* The name of an issue kind ("bad_amount", ...), "unknown" past the end. */
const char *clm_json_issue_name(unsigned kind);

#endif
