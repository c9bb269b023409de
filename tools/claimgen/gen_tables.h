/* claimgen tables: what the per-source generators share.
 *
 * The procedure-code universe is built once (sorted by code, ASCII order, as
 * the CMS files sort) and read by the PPRRVU, HCPCS, NCCI and MUE generators;
 * the starter rows (data/starter, through starter_rows.inc) are merged into
 * every file so batches made from the starter codes hit the big tables too.
 */
#ifndef CLAIMGEN_GEN_TABLES_H
#define CLAIMGEN_GEN_TABLES_H

#include "claimgen.h"

#include <stddef.h>
#include <stdint.h>

enum cg_kind {
    CG_CPT,    /* 5 digits */
    CG_CAT2,   /* 4 digits + F */
    CG_CAT3,   /* 4 digits + T */
    CG_DENTAL, /* D + 4 digits: in PPRRVU, not in the HCPCS file */
    CG_LEVEL2, /* HCPCS Level II: letter + 4 digits */
};

enum {
    CG_IN_RVU = 1,   /* has PPRRVU rows */
    CG_IN_HCPCS = 2, /* has a HCPCS Level II record */
    CG_ST_RVU = 4,   /* its PPRRVU rows are the starter's */
    CG_ST_HCPCS = 8, /* its HCPCS records are the starter's */
    CG_ST_ANY = 16,  /* a starter code (any table) */
};

typedef struct cg_proc {
    char code[6];
    uint8_t kind;
    uint8_t flags;
} cg_proc;

typedef struct cg_strs {
    const char *const *v;
    size_t n;
} cg_strs;

/* Starter rows, without line endings (see tools/starter/mkstarter.py). */
typedef struct cg_starter {
    cg_strs icd10;  /* order-file rows from the code column on */
    cg_strs hcpcs;  /* 320-byte records and continuations */
    cg_strs pprrvu; /* CSV rows */
    cg_strs ncci;   /* tab-separated rows */
    cg_strs mue;    /* CSV rows */
    cg_strs zip5;   /* ZIP codes */
} cg_starter;

typedef struct cg_ctx {
    const char *dir;
    uint64_t seed;
    double scale;
    cg_starter st;
    cg_proc *proc; /* sorted by code, unique */
    uint32_t nproc;
} cg_ctx;

/* Independent random streams, one per generator. */
enum cg_stream {
    CG_S_UNIVERSE = 1,
    CG_S_ICD,
    CG_S_HCPCS,
    CG_S_RVU,
    CG_S_GPCI,
    CG_S_ZIP,
    CG_S_NCCI,
    CG_S_MUE,
};

/* Each writes its file(s) into ctx->dir; 0 or -errno (already reported). */
int cg_gen_gpci_zip5(const cg_ctx *ctx);
int cg_gen_ncci(const cg_ctx *ctx);

/* Index of code in ctx->proc, or -1. */
long cg_proc_find(const cg_ctx *ctx, const char *code, size_t len);

/* round(x * scale), at least 0. */
uint32_t cg_scaled(const cg_ctx *ctx, double x);

void cg_report(const char *name, const cg_file *f, double seconds);
double cg_now(void);

#endif
