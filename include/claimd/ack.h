/* ack_: the acknowledgments claimd returns for an input file.
 *
 * ack_999 builds, from the walker's envelope events (x12.h), one 999
 * (005010X231A1) per input file: for every input interchange an output
 * interchange with one FA functional group holding one 999 transaction set per
 * input functional group (AK1, AK2 per transaction, IK3/IK4 per error, IK5,
 * AK9), plus a TA1 (in a separate buffer) for interchanges that owe one.
 *
 * Determinism: by default every control number and date in the output is
 * derived from the input interchange (ISA13, ISA09/ISA10), so the same input
 * gives the same bytes. A site may instead configure a counter.
 *
 * The builder keeps the acknowledgment text in memory: it grows with the
 * number of transactions and errors, not with the claims (the walker caps
 * errors per transaction).
 */
#ifndef CLAIMD_ACK_H
#define CLAIMD_ACK_H

#include "claimd/x12.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ack_opts {
    /* When use_counter is set, the 999 and TA1 interchanges take control
     * numbers counter, counter+1, ... instead of the input's ISA13. */
    int use_counter;
    uint64_t counter;
    /* Delimiters of the output; 0 means: those of the input interchange. */
    char elem, comp, rep, seg;
    int newline; /* 1: write "\n" after each segment terminator */
} ack_opts;

typedef struct ack_999 ack_999;

/* Creates a builder. opts may be NULL for the defaults. Returns 0 or -ENOMEM. */
int ack_999_create(const ack_opts *opts, ack_999 **out);
void ack_999_free(ack_999 *a);

/* Fills *sink with callbacks that feed this builder (claim is left NULL).
 * Use x12_sink_tee() to combine it with another sink. */
void ack_999_sink(ack_999 *a, x12_sink *sink);

/* The 999 text built so far (complete interchanges only) and its length.
 * Valid until the next event or ack_999_free(). */
const char *ack_999_text(const ack_999 *a, size_t *len);

/* The TA1 text (one standalone interchange per input interchange that owes a
 * TA1), or NULL with *len = 0 when none is owed. */
const char *ack_ta1_text(const ack_999 *a, size_t *len);

/* Sticky allocation failure of the builder: 0 or -ENOMEM. */
int ack_999_error(const ack_999 *a);

/* Combines two sinks into one that calls a then b for every event; stops at
 * the first non-zero return. *tee must outlive the walk. */
typedef struct x12_sink_pair {
    x12_sink a, b;
} x12_sink_pair;
void x12_sink_tee(x12_sink_pair *pair, x12_sink *out);

#endif
