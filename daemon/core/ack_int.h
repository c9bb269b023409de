/* Internal to the acknowledgment writers (ack.c: 999/TA1, ack_277.c: 277CA):
 * the choices both make the same way, so their envelopes agree. */
#ifndef CLAIMD_ACK_INT_H
#define CLAIMD_ACK_INT_H

#include "claimd/ack.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACK_CTRL_MOD 1000000000u /* control numbers have 9 digits */

/* The output delimiters: the configured ones, else the input's, else the
 * first usable default; all four distinct and never alphanumeric or space.
 * *repl is the byte that replaces a delimiter found inside a value. */
void ack_delims_choose(const ack_opts *o, const x12_delims *in, x12_delims *out, char *repl);

/* The number a control number stands for: its value when it is 1..9
 * digits, else a stable hash of it (mod 10^9). */
uint32_t ack_ctrl_value(const char *s);

/* true when s is exactly n decimal digits. */
bool ack_all_digits(const char *s, size_t n);

/* ISA09/ISA10 of the output: the input's YYMMDD and HHMM (so the output is a
 * function of the input); a fixed placeholder when they are malformed. */
void ack_isa_datetime(const x12_isa *isa, char date[7], char time[5]);

#endif
