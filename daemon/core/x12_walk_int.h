/* Internal to the x12 walker: element specifications and the loop rules.
 * Not installed; only x12_walk*.c include it. */
#ifndef CLAIMD_X12_WALK_INT_H
#define CLAIMD_X12_WALK_INT_H

#include "claimd/x12.h"

#include <stdint.h>

/* A segment id packed big-endian into 24 bits: X12_ID('C','L','M'). */
#define X12_ID3(a, b, c) (((uint32_t)(a) << 16) | ((uint32_t)(b) << 8) | (uint32_t)(c))
#define X12_ID2(a, b)    (((uint32_t)(a) << 8) | (uint32_t)(b))

/* Element types, as in the X12 dictionary. */
enum x12_etype {
    X12_T_AN = 'A', /* string: any characters but delimiters */
    X12_T_ID = 'I', /* code value */
    X12_T_N0 = 'N', /* unsigned integer */
    X12_T_R = 'R',  /* decimal */
    X12_T_DT = 'D', /* CCYYMMDD */
    X12_T_TM = 'T', /* HHMM[SS[d..]] */
    X12_T_C = 'C',  /* composite: checked by the segment's handler */
};

typedef struct x12_espec {
    uint8_t req; /* 1: required whenever the segment is present */
    char type;   /* enum x12_etype */
    uint8_t min;
    uint8_t max;
    uint16_t ref;      /* data element reference number (IK402) */
    const char *codes; /* "|85|87|": allowed values (case-insensitive), or NULL */
} x12_espec;

typedef struct x12_sspec {
    uint32_t id;
    uint8_t nelem;      /* elements defined (more is IK4 code 3) */
    const x12_espec *e; /* e[0] is element 1 */
} x12_sspec;

/* The segment dictionary. Every segment id an 837 may carry has a small
 * index, its sid (0 .. X12_NSID-1); the first X12_NSPEC have element specs.
 * x12_sid() returns -1 for an id the 837 does not define. */
#define X12_NSPEC 21
#define X12_NSID  48
int x12_sid(uint32_t id);

/* The sids the walker dispatches on (x12_spec.c's order; checked at create). */
enum x12_sid_name {
    X12_S_ST = 0,
    X12_S_SE = 1,
    X12_S_GE = 3,
    X12_S_BHT = 4,
    X12_S_HL = 5,
    X12_S_NM1 = 6,
    X12_S_N3 = 7,
    X12_S_N4 = 8,
    X12_S_REF = 9,
    X12_S_SBR = 10,
    X12_S_PAT = 11,
    X12_S_DMG = 12,
    X12_S_CLM = 13,
    X12_S_DTP = 14,
    X12_S_HI = 15,
    X12_S_LX = 16,
    X12_S_SV1 = 17,
    X12_S_SV2 = 18,
    X12_S_PRV = 19,
    X12_S_LIN = 20,
    X12_S_SVD = 42,
    X12_S_LQ = 43,
};
uint32_t x12_sid_id(int sid);
const x12_sspec *x12_sid_spec(int sid); /* NULL past the specs */

#endif
