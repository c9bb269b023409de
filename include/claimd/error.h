/* claimd error codes.
 *
 * Every function that can fail returns int: 0 on success, or a negative error:
 * -errno for system errors, or minus one of the project's own codes below,
 * which live in a reserved band far above any errno (so `return -EINVAL;` and
 * `return -CLAIMD_EX12_NOT_X12;` read the same way). claimd_strerror() names
 * either kind. Each module owns a band of 100 codes; add codes at the end of
 * its band and a line for it in daemon/core/error.c.
 */
#ifndef CLAIMD_ERROR_H
#define CLAIMD_ERROR_H

enum claimd_err {
    CLAIMD_EBASE = 100000,

    /* x12_: reading X12 */
    CLAIMD_EX12_NOT_X12 = CLAIMD_EBASE + 1, /* no ISA segment where one must start */
    CLAIMD_EX12_BAD_ISA,                    /* ISA present but malformed: delimiters unusable */
    CLAIMD_EX12_SEG_TOO_LONG,               /* a segment longer than the reader's limit */
    CLAIMD_EX12_TRUNCATED,                  /* input ended inside a segment */
    CLAIMD_EX12_STOPPED,                    /* a sink callback asked the walk to stop */

    /* tbl_: code tables in LMDB */
    CLAIMD_ETBL_BASE = CLAIMD_EBASE + 100,
    CLAIMD_ETBL_WRONG_KIND,                 /* a source file given to the wrong flag */
    CLAIMD_ETBL_BAD_ROW,                    /* a source row that does not parse */
    CLAIMD_ETBL_EMPTY,                      /* a source file with no records */
    CLAIMD_ETBL_NOT_FOUND,                  /* no row with that key */
    CLAIMD_ETBL_NOT_EFFECTIVE,              /* the key exists but no period covers the date */
    CLAIMD_ETBL_NO_TABLE,                   /* no such table (name or kind) */
    CLAIMD_ETBL_NOT_VERSION,                /* a path that is neither a version nor a root */
    CLAIMD_ETBL_LAYOUT,                     /* a version built with another layout */
    CLAIMD_ETBL_BAD_INDEX,                  /* a hash index fails its header or checksum */
    CLAIMD_ETBL_CORRUPT,                    /* LMDB reports a corrupt or foreign file */
    CLAIMD_ETBL_LMDB,                       /* another LMDB error */
    CLAIMD_ETBL_MAP_FULL,                   /* the build's map size was too small */
    CLAIMD_ETBL_INDEX_FULL,                 /* a hash group too large for the index */
    CLAIMD_ETBL_VERIFY,                     /* claimdb verify found a broken invariant */
    CLAIMD_ETBL_NO_PERIOD,                  /* a source file whose period is unknown */
    CLAIMD_ETBL_NO_HEADER,                  /* a source file without its header row */

    /* edit_, price_, fp_ */
    CLAIMD_EEDIT_BASE = CLAIMD_EBASE + 200,

    /* ack_ */
    CLAIMD_EACK_BASE = CLAIMD_EBASE + 300,

    /* cfg_, ctl_, job_, spool_ */
    CLAIMD_ECFG_BASE = CLAIMD_EBASE + 400,
    CLAIMD_ECFG_TOO_BIG,                    /* a config larger than the parser's limit */
    CLAIMD_ECFG_LONG_LINE,                  /* a config line longer than the limit */
    CLAIMD_ECFG_BAD_BYTE,                   /* a NUL or control byte in a config */
    CLAIMD_ECFG_SYNTAX,                     /* a config line that is not `key = value` */
    CLAIMD_ECFG_UNKNOWN_KEY,                /* a config key the parser does not know */
    CLAIMD_ECFG_DUPLICATE,                  /* a config key set twice */
    CLAIMD_ECFG_BAD_VALUE,                  /* a config value out of range or of the wrong kind */
    CLAIMD_ECFG_TOO_MANY,                   /* more list entries than the limit */
    CLAIMD_ECTL_EMPTY,                      /* an empty control request */
    CLAIMD_ECTL_TOO_LONG,                   /* a control request line longer than the limit */
    CLAIMD_ECTL_BAD_BYTE,                   /* a control request byte that is not printable ASCII */
    CLAIMD_ECTL_SYNTAX,                     /* a control request with bad quoting */
    CLAIMD_ECTL_UNKNOWN_VERB,               /* a control verb the daemon does not know */
    CLAIMD_ECTL_ARITY,                      /* a control verb given the wrong number of arguments */
    CLAIMD_ECTL_BAD_ARG,                    /* a control argument of the wrong form */
    CLAIMD_ECTL_DENIED,                     /* the peer may not use that control verb */

    /* the daemon: journal, stats segment, jobs */
    CLAIMD_EDMN_BASE = CLAIMD_EBASE + 500,
    CLAIMD_ESTATS_LAYOUT,  /* a stats segment of another layout, short or foreign */
    CLAIMD_EJNL_LAYOUT,    /* a job journal of another layout */
    CLAIMD_EJNL_CORRUPT,   /* a job journal record that does not decode */
    CLAIMD_EJNL_LMDB,      /* the job journal's LMDB failed (logged with its message) */
    CLAIMD_EJNL_REPEAT,    /* the same input content was already submitted */
    CLAIMD_EJOB_CANCELLED, /* the job was cancelled */
    CLAIMD_EJOB_STOPPED,   /* the job was stopped by shutdown; it re-runs at the next start */

    CLAIMD_ELAST = CLAIMD_EBASE + 1000,
};

/* A static, human-readable description of err (minus a claimd code, or -errno).
 * Never NULL; never carries input data. */
const char *claimd_strerror(int err);

#endif
