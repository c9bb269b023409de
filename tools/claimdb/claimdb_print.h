/* claimdb's output: info and records, as text or JSON. */
#ifndef CLAIMDB_PRINT_H
#define CLAIMDB_PRINT_H

#include "claimd/tables.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

void cdb_print_info(FILE *f, const tbl_version *v, bool json);

/* One lookup through the B-tree (the source of truth): KEY is the key's
 * fields joined by ':' (e.g. 20610:20611, 10112:00, 99213 or 99213:26).
 * date 0 lists every period. Returns the process exit status: 0 found,
 * 1 not found / not effective, 2 bad key. */
int cdb_get(FILE *f, tbl_version *v, tbl_table t, const char *key, uint32_t date, bool json);

#endif
