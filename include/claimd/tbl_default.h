/* Where a binary finds the embedded default tables version. */
#ifndef CLAIMD_TBL_DEFAULT_H
#define CLAIMD_TBL_DEFAULT_H

#include <stddef.h>

/* Writes into buf the directory of the default tables version, looked up
 * relative to the running binary (/proc/self/exe), first match wins:
 *   $CLAIMD_TABLES when set (a version directory or a ROOT);
 *   <dir>/tables/default for the binary's directory and up to three parents
 *   (the build tree: <build>/tables/default, binaries in <build>/tools/x);
 *   <dir>/../share/claimd/tables/default (installed: <prefix>/bin/x).
 * Returns 0, -ENOENT (none found), -ENAMETOOLONG, or -errno of readlink. */
int tbl_default_dir(char *buf, size_t len);

#endif
