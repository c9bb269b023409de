/* tbl_: the code tables, one immutable LMDB environment per version.
 *
 * A version is a directory holding one LMDB environment (data.mdb, plus the
 * lock.mdb a reader creates): one named B-tree database per table, the source
 * of truth, and for every table an in-map hash index stored as one large LMDB
 * value ("idx" database). Readers probe the hash index in place in the map:
 * no transaction, no lock and no allocation per lookup. See docs/tables.md for
 * the key layouts and the index format.
 *
 * Lifetimes. A tbl_version holds one read transaction open for its whole life;
 * that transaction pins every pointer a lookup returns. Every `const T *`
 * returned by a lookup below points into the map and stays valid until the
 * caller's reference to the version is dropped (tbl_version_release, or
 * tbl_close for the opener's reference). Records are the tblsrc.h structs,
 * normalised (codes NUL-padded upper case, unused bytes zero).
 *
 * Threads. Lookups (tbl_*_get, tbl_ncci_any, tbl_*_valid, tbl_group) may run
 * on any number of threads at once on one version. tbl_version_acquire and
 * tbl_version_release are atomic. A tbl_reader (a B-tree read transaction)
 * belongs to one thread at a time. tbl_root_poll must be called by one thread
 * at a time (the daemon's reload path); tbl_root_acquire by any thread.
 *
 * Errors are negative: -errno, or minus a CLAIMD_ETBL_* code (claimd/error.h).
 * LMDB's own codes never cross this interface.
 */
#ifndef CLAIMD_TABLES_H
#define CLAIMD_TABLES_H

#include "claimd/tblsrc.h"

#include <stddef.h>
#include <stdint.h>

/* Bumped whenever a key layout, a record struct in tblsrc.h or the index
 * format changes; a version built with another layout is refused at open. */
#define TBL_LAYOUT_VERSION 2u

typedef enum tbl_table {
    TBL_ICD10CM = 0, /* key: code[8]                              record tbl_icd10 */
    TBL_HCPCS,       /* key: code[6] (procedures and modifiers)   record tbl_hcpcs */
    TBL_RVU,         /* key: code[6] mod[3]; grouped by code      record tbl_rvu */
    TBL_GPCI,        /* key: carrier[6] locality[3]               record tbl_gpci */
    TBL_ZIP5,        /* key: zip[6]                               record tbl_zip5 */
    TBL_ZIP9,        /* key: zip[6] plus4_lo[5]; grouped by zip   record tbl_zip9 */
    TBL_NCCI,        /* key: col1[6] col2[6]                      record tbl_ncci */
    TBL_MUE,         /* key: code[6]                              record tbl_mue */
    TBL_POS,         /* key: code[3]                              record tbl_pos */
    TBL_AGESEX,      /* key: code[8] sex[1]; grouped by code      record tbl_agesex */
    TBL_MODIFIER,    /* key: code[3]                              record tbl_modifier */
    TBL_OPPSCAP,     /* key: code[6] mod[3] carrier[6] locality[3] record tbl_oppscap */
    TBL_TABLE_COUNT
} tbl_table;

/* "icd10cm", "hcpcs", "pprrvu", "gpci", "zip5", "zip9", "ncci", "mue", "pos",
 * "agesex", "modifiers", "oppscap"; NULL for an invalid t. */
const char *tbl_table_name(tbl_table t);

/* The table for a name (also accepts the tblsrc kind names and the claimdb
 * flag spellings "ncci-ptp", "age-sex", "icd10", "rvu", "modifier").
 * Returns the table, or -CLAIMD_ETBL_NO_TABLE. */
int tbl_table_from_name(const char *name);

/* The table a kind of source file fills, or -CLAIMD_ETBL_NO_TABLE. */
int tbl_table_for_kind(tblsrc_kind kind);

/* sizeof the record struct of t (tbl_icd10, tbl_rvu ...), 0 for an invalid t. */
size_t tbl_record_size(tbl_table t);

/* ---- building a version ------------------------------------------------ */

typedef struct tbl_build tbl_build;

/* One source file, as recorded in the version's meta table. */
typedef struct tbl_source {
    char kind[16];       /* tblsrc_kind_name(), e.g. "pprrvu" */
    char name[128];      /* base name of the file */
    uint64_t size;       /* bytes */
    char checksum[48];   /* "xxh3-128:<32 hex digits>" of the file's bytes */
    uint64_t rows;       /* records imported */
    uint64_t skipped;    /* banner, header, blank lines */
    uint64_t mismatches; /* cross-check failures reported by the importer */
    tbl_period period;   /* {0,0} when the rows carry their own periods */
} tbl_source;

/* Per-table counts recorded in meta at build time. */
typedef struct tbl_table_stats {
    uint64_t rows;       /* rows in the B-tree (after duplicates are folded) */
    uint64_t groups;     /* distinct hash keys */
    uint64_t duplicates; /* rows dropped: same key and period as a later row */
    uint64_t index_bytes;
} tbl_table_stats;

/* Creates an empty builder (records are staged in memory until tbl_build_write).
 * name is the version's name recorded in meta (copied; may be NULL).
 * Returns 0, or -ENOMEM. */
int tbl_build_create(const char *name, tbl_build **out);

/* Stages one record; rec is copied (normalised) and not kept.
 * Returns 0, or -CLAIMD_ETBL_NO_TABLE (a kind with no table), -EINVAL
 * (a record whose key starts with NUL: no code), -ENOMEM. Periods with to <
 * from are kept (in force on no date, e.g. an NCCI edit deleted the day it
 * took effect). */
int tbl_build_add(tbl_build *b, const tblsrc_rec *rec);

/* A tblsrc_emit_fn: ctx is the tbl_build. */
int tbl_build_emit(void *ctx, const tblsrc_rec *rec);

/* Records a source file in meta (copied). Returns 0 or -ENOMEM. */
int tbl_build_source(tbl_build *b, const tbl_source *src);

/* Writes the version into the new directory dir: builds it aside in
 * "dir.tmp.<pid>" and renames it to dir only when complete (so a failed build
 * leaves nothing behind). The CPT modifiers list (codes only) is added to the
 * modifier table. stats, when not NULL, receives per-table counts.
 * Returns 0, or -EEXIST (dir exists), -errno, -CLAIMD_ETBL_LMDB,
 * -CLAIMD_ETBL_MAP_FULL, -CLAIMD_ETBL_INDEX_FULL (a hash group over 65535 rows),
 * -ENOMEM. */
int tbl_build_write(tbl_build *b, const char *dir, tbl_table_stats stats[TBL_TABLE_COUNT]);

/* Frees the builder; NULL is a no-op. */
void tbl_build_free(tbl_build *b);

/* The two-digit CPT modifiers every version carries (a NULL-terminated list
 * of static strings). */
extern const char *const tbl_cpt_modifiers[];

/* ---- opening versions -------------------------------------------------- */

typedef struct tbl_version tbl_version;

#define TBL_OPEN_VERIFY 1u /* check every index's checksum (reads every index once) */

/* Opens a version: path is a version directory (holding data.mdb) or a ROOT
 * (holding a "current" symlink to versions/NAME), meaning its current version.
 * The environment is opened MDB_RDONLY|MDB_NOTLS|MDB_NORDAHEAD (and MDB_NOLOCK
 * when the directory is not writable, e.g. an installed default), one read
 * transaction is begun and kept, and every index header is checked (magic,
 * layout, sizes, header checksum); the indexes themselves are not read unless
 * flags has TBL_OPEN_VERIFY. The caller owns one reference (tbl_close).
 * Returns 0, or -CLAIMD_ETBL_NOT_VERSION (neither a version nor a root),
 * -CLAIMD_ETBL_LAYOUT (another layout version), -CLAIMD_ETBL_BAD_INDEX,
 * -CLAIMD_ETBL_CORRUPT, -CLAIMD_ETBL_LMDB, -ENOMEM, -errno. */
int tbl_open(const char *path, unsigned flags, tbl_version **out);

/* Drops the opener's reference (same as tbl_version_release). NULL is a no-op. */
void tbl_close(tbl_version *v);

/* Takes one more reference: v stays open (and every pointer into it valid)
 * until the matching release. */
void tbl_version_acquire(tbl_version *v);

/* Drops a reference; the last one ends the read transaction and closes the
 * environment. NULL is a no-op. */
void tbl_version_release(tbl_version *v);

/* The resolved version directory (realpath), valid for v's life. */
const char *tbl_version_path(const tbl_version *v);

/* What a version records about itself; valid for v's life. */
typedef struct tbl_info {
    char name[64];            /* --name given at build, or the directory's base name */
    char claimdb_version[32]; /* the claimdb that built it */
    char build_time[32];      /* UTC, ISO 8601 */
    uint32_t layout;          /* TBL_LAYOUT_VERSION */
    uint32_t nsources;
    const tbl_source *sources;
    tbl_table_stats tables[TBL_TABLE_COUNT];
} tbl_info;

const tbl_info *tbl_version_info(const tbl_version *v);

/* Checks every index's checksum (the whole index is read once).
 * Returns 0, or -CLAIMD_ETBL_BAD_INDEX naming nothing (see tbl_verify for detail). */
int tbl_version_check(const tbl_version *v);

/* ---- hot-path lookups (hash index, zero-copy) -------------------------- */

/* All take a date of service dos (YYYYMMDD) and return 0 with *out pointing
 * at the record whose period [from, to] covers dos (the latest `from` when
 * periods overlap), or
 *   -CLAIMD_ETBL_NOT_FOUND      no row with that key
 *   -CLAIMD_ETBL_NOT_EFFECTIVE  the key exists but no period covers dos
 * *out is written only on success. Codes are given as C strings, upper or
 * lower case, without dots; a code longer than its field is NOT_FOUND.
 * Cost: one hash probe (one 64-byte bucket, usually one record cache line). */
int tbl_icd10_get(const tbl_version *v, const char *code, uint32_t dos, const tbl_icd10 **out);
int tbl_hcpcs_get(const tbl_version *v, const char *code, uint32_t dos, const tbl_hcpcs **out);
/* mod "" or NULL is the blank-modifier row (the global service). */
int tbl_rvu_get(const tbl_version *v, const char *code, const char *mod, uint32_t dos,
                const tbl_rvu **out);
int tbl_gpci_get(const tbl_version *v, const char *carrier, const char *locality, uint32_t dos,
                 const tbl_gpci **out);
int tbl_zip5_get(const tbl_version *v, const char *zip, uint32_t dos, const tbl_zip5 **out);
/* The ZIP9 row whose [plus4_lo, plus4_hi] holds plus4 (4 digits). */
int tbl_zip9_get(const tbl_version *v, const char *zip, const char *plus4, uint32_t dos,
                 const tbl_zip9 **out);
/* Filters first: when either code is in no edit, NOT_FOUND without a probe. */
int tbl_ncci_get(const tbl_version *v, const char *col1, const char *col2, uint32_t dos,
                 const tbl_ncci **out);
int tbl_mue_get(const tbl_version *v, const char *code, uint32_t dos, const tbl_mue **out);
/* The limits of a code for a patient's sex: the row of that sex ('M' or 'F'),
 * else the row without a sex limit (sex 0), else any row of the code: compare
 * (*out)->sex with the patient's to find a sex conflict. sex 0 asks for the
 * row without a limit first. */
int tbl_agesex_get(const tbl_version *v, const char *code, char sex, uint32_t dos,
                   const tbl_agesex **out);
int tbl_oppscap_get(const tbl_version *v, const char *code, const char *mod, const char *carrier,
                    const char *locality, uint32_t dos, const tbl_oppscap **out);
int tbl_pos_get(const tbl_version *v, const char *code, uint32_t dos, const tbl_pos **out);
int tbl_modifier_get(const tbl_version *v, const char *code, uint32_t dos,
                     const tbl_modifier **out);

/* 1 when the code exists and is effective on dos, else 0. */
int tbl_pos_valid(const tbl_version *v, const char *code, uint32_t dos);
int tbl_modifier_valid(const tbl_version *v, const char *code, uint32_t dos);

/* The per-code NCCI filter: 0 when code is certainly in no edit (as column 1
 * or column 2) of any period, 1 when it may be. A few cache lines, no probe. */
int tbl_ncci_any(const tbl_version *v, const char *code);

/* Starts loading the index lines that tbl_ncci_get(v, col1, col2, ...) will
 * read, and returns at once. A caller with several pairs to check (every
 * pair of a claim's lines) prefetches them all, then looks them up: the
 * memory latencies overlap instead of adding up. Never fails. */
void tbl_ncci_prefetch(const tbl_version *v, const char *col1, const char *col2);

/* Looks up n pairs at once: each key is hashed once, all are prefetched,
 * then probed, so the cache misses of a claim's pairs overlap. For each
 * query, rc and out are what tbl_ncci_get(v, col1, col2, dos, &out) gives
 * (out NULL unless rc is 0). Never fails as a whole. */
typedef struct tbl_ncci_query {
    const char *col1, *col2;
    uint32_t dos;
    int rc;
    const tbl_ncci *out;
} tbl_ncci_query;
void tbl_ncci_get_many(const tbl_version *v, tbl_ncci_query *q, size_t n);

/* The same for a table keyed by one code (icd10cm, hcpcs, pprrvu, zip5, mue,
 * pos, agesex, modifiers): a claim's edits prefetch all their codes first,
 * then look them up. Does nothing for other tables or bad codes. */
void tbl_prefetch(const tbl_version *v, tbl_table t, const char *code);

/* Every row (all periods) of one hash group, e.g. every modifier row of a code
 * in TBL_RVU: *recs points at n consecutive records of tbl_record_size(t)
 * bytes, sorted by key then period. gkey holds the group key's fields as
 * strings (TBL_RVU: {code}; TBL_NCCI: {col1, col2}; TBL_GPCI: {carrier,
 * locality}; TBL_ZIP9: {zip}; TBL_AGESEX: {code}; TBL_OPPSCAP: {code, mod,
 * carrier, locality}; the others {code}).
 * Returns 0, -CLAIMD_ETBL_NOT_FOUND, -CLAIMD_ETBL_NO_TABLE, -EINVAL (wrong
 * number of fields). */
int tbl_group(const tbl_version *v, tbl_table t, const char *const *fields, size_t nfields,
              const void **recs, size_t *n);

/* ---- B-tree readers (claimdb, verification, range queries) ------------ */

typedef struct tbl_reader tbl_reader;

/* A read transaction on v for one thread at a time; holds a reference to v.
 * Returns 0, -ENOMEM, -CLAIMD_ETBL_LMDB, -errno (e.g. reader table full). */
int tbl_reader_open(tbl_version *v, tbl_reader **out);
/* Between batches: reset releases the snapshot, renew takes it again.
 * renew returns 0 or -CLAIMD_ETBL_LMDB / -errno. */
void tbl_reader_reset(tbl_reader *rd);
int tbl_reader_renew(tbl_reader *rd);
/* Ends the transaction and drops the reference. NULL is a no-op. */
void tbl_reader_close(tbl_reader *rd);

/* Called per B-tree row, in key order; rec is an aligned copy valid for the
 * call only. A non-zero return stops the walk and is returned. */
typedef int (*tbl_row_fn)(void *ctx, const void *rec);

/* Walks the B-tree rows of one group (fields as for tbl_group) with a range
 * seek (MDB_SET_RANGE on the group key). Returns 0 (even with no rows: *nrows
 * says how many, when not NULL), what fn returned, -CLAIMD_ETBL_NO_TABLE,
 * -EINVAL, -CLAIMD_ETBL_LMDB. */
int tbl_reader_group(tbl_reader *rd, tbl_table t, const char *const *fields, size_t nfields,
                     tbl_row_fn fn, void *ctx, uint64_t *nrows);

/* For benchmarks: the raw environment and a table's B-tree database handle,
 * valid for rd's life (an MDB_env * and an MDB_dbi; lmdb.h not required). */
struct MDB_env;
struct MDB_txn;
struct MDB_env *tbl_reader_env(tbl_reader *rd);
struct MDB_txn *tbl_reader_txn(tbl_reader *rd);
unsigned int tbl_reader_dbi(tbl_reader *rd, tbl_table t);

/* The B-tree key of a record: key fields then from and to as big-endian
 * uint32. buf must hold TBL_KEY_MAX bytes. Returns the key length. */
#define TBL_KEY_MAX 32
size_t tbl_record_key(tbl_table t, const void *rec, uint8_t *buf);

/* ---- verification ------------------------------------------------------ */

/* Re-reads every table: index headers and checksums; every B-tree row has a
 * key that matches its record, from <= to and keys in order; every row is
 * found through the hash index at the same position and every index slot
 * points at a group that hashes to it (so the two hold the same rows).
 * On failure msg (when not NULL) says which table and what.
 * Returns 0, -CLAIMD_ETBL_VERIFY, or an error of tbl_reader_open. */
int tbl_verify(tbl_version *v, char *msg, size_t msglen);

/* ---- versions under a ROOT -------------------------------------------- */

/* ROOT/versions/NAME are versions; ROOT/current is a symlink to one. */
typedef struct tbl_root tbl_root;

/* Opens ROOT's current version. Returns 0 or an error of tbl_open, -ENOMEM. */
int tbl_root_open(const char *root, tbl_root **out);

/* Looks at ROOT/current; when it names another version, opens it and
 * publishes it atomically: readers calling tbl_root_acquire or
 * tbl_root_update afterwards get the new one, and the old one closes when its
 * last reader releases it. One thread at a time. Returns 1 when it switched,
 * 0 when current is unchanged, or an error of tbl_open (the old version stays). */
int tbl_root_poll(tbl_root *r);

/* The current version with a reference taken (release it with
 * tbl_version_release). Any thread; lock-free. */
tbl_version *tbl_root_acquire(tbl_root *r);

/* Between batches: when *held is not the current version, releases it and
 * acquires the current one. Returns 1 when *held changed, else 0. */
int tbl_root_update(tbl_root *r, tbl_version **held);

/* Drops the root's reference to its current version and frees r; readers'
 * references stay valid. NULL is a no-op. */
void tbl_root_close(tbl_root *r);

/* Points ROOT/current at versions/NAME atomically (a new symlink renamed over
 * the old one), after opening it with TBL_OPEN_VERIFY. Returns 0, or an error
 * of tbl_open, -ENAMETOOLONG, -errno. */
int tbl_root_activate(const char *root, const char *name);

#endif
