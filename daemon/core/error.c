#include "claimd/error.h"

#include <string.h>

static const struct {
    int code;
    const char *text;
} claimd_errtab[] = {
    {CLAIMD_EX12_NOT_X12, "not an X12 interchange (no ISA segment at the start)"},
    {CLAIMD_EX12_BAD_ISA, "malformed ISA segment: delimiters cannot be read"},
    {CLAIMD_EX12_SEG_TOO_LONG, "segment longer than the reader's limit (missing terminator?)"},
    {CLAIMD_EX12_TRUNCATED, "input ends inside a segment"},
    {CLAIMD_EX12_STOPPED, "stopped by the consumer"},
    {CLAIMD_ETBL_WRONG_KIND, "source file is of another kind than the flag it was given to"},
    {CLAIMD_ETBL_BAD_ROW, "source file row does not parse"},
    {CLAIMD_ETBL_EMPTY, "source file has no records"},
    {CLAIMD_ETBL_NOT_FOUND, "no table row with that key"},
    {CLAIMD_ETBL_NOT_EFFECTIVE, "the key exists but is not effective on that date"},
    {CLAIMD_ETBL_NO_TABLE, "no such table"},
    {CLAIMD_ETBL_NOT_VERSION, "not a tables version or root directory"},
    {CLAIMD_ETBL_LAYOUT, "tables version built with another layout"},
    {CLAIMD_ETBL_BAD_INDEX, "tables hash index fails its header or checksum check"},
    {CLAIMD_ETBL_CORRUPT, "tables file is corrupt or not an LMDB environment"},
    {CLAIMD_ETBL_LMDB, "LMDB error in the tables store"},
    {CLAIMD_ETBL_MAP_FULL, "tables build ran out of map space"},
    {CLAIMD_ETBL_INDEX_FULL, "a table key has too many rows for the hash index"},
    {CLAIMD_ETBL_VERIFY, "tables verification failed"},
    {CLAIMD_ETBL_NO_PERIOD, "source file period unknown: give FILE@YYYYMMDD:YYYYMMDD"},
    {CLAIMD_ETBL_NO_HEADER, "source file lacks the header row its layout needs"},
    {CLAIMD_ECFG_TOO_BIG, "config file too large"},
    {CLAIMD_ECFG_LONG_LINE, "config line too long"},
    {CLAIMD_ECFG_BAD_BYTE, "config holds a NUL or control byte"},
    {CLAIMD_ECFG_SYNTAX, "config line is not `key = value`"},
    {CLAIMD_ECFG_UNKNOWN_KEY, "unknown config key"},
    {CLAIMD_ECFG_DUPLICATE, "config key set twice"},
    {CLAIMD_ECFG_BAD_VALUE, "config value out of range or of the wrong kind"},
    {CLAIMD_ECFG_TOO_MANY, "too many entries for a config list"},
    {CLAIMD_ECTL_EMPTY, "empty control request"},
    {CLAIMD_ECTL_TOO_LONG, "control request line too long"},
    {CLAIMD_ECTL_BAD_BYTE, "control request holds a byte that is not printable ASCII"},
    {CLAIMD_ECTL_SYNTAX, "control request has bad quoting"},
    {CLAIMD_ECTL_UNKNOWN_VERB, "unknown control verb"},
    {CLAIMD_ECTL_ARITY, "wrong number of arguments for the control verb"},
    {CLAIMD_ECTL_BAD_ARG, "control argument of the wrong form"},
    {CLAIMD_ECTL_DENIED, "not authorized for that control verb"},
    {CLAIMD_ESTATS_LAYOUT, "not a claimd stats segment of this layout"},
    {CLAIMD_EJNL_LAYOUT, "job journal of another layout"},
    {CLAIMD_EJNL_CORRUPT, "job journal record does not decode"},
    {CLAIMD_EJNL_LMDB, "job journal database error"},
    {CLAIMD_EJNL_REPEAT, "the same input content was already submitted"},
    {CLAIMD_EJOB_CANCELLED, "job cancelled"},
    {CLAIMD_EJOB_STOPPED, "job stopped by shutdown; it re-runs at the next start"},
};

const char *claimd_strerror(int err)
{
    int code = -err;
    if (code > 0 && code < CLAIMD_EBASE)
        return strerror(code); /* glibc: thread-safe for known codes */
    for (size_t i = 0; i < sizeof claimd_errtab / sizeof claimd_errtab[0]; i++)
        if (claimd_errtab[i].code == code)
            return claimd_errtab[i].text;
    return err == 0 ? "success" : "unknown error";
}
