/* cfg_: the daemon's settings, parsed from text into an immutable struct.
 *
 * The format (docs/config.md documents every key, its default and meaning):
 *
 *     # a comment: a whole line whose first non-blank character is '#'
 *     spool = /var/lib/claimd/spool
 *     threads = auto
 *     severity.NCCI_PTP = warning
 *     submit_root = /srv/drop          (repeatable: each line adds a root)
 *     audit_log = "/var/log/claimd/audit log"
 *
 * One `key = value` per line; blanks around key, '=' and value are ignored; a
 * value may be written in double quotes (\" and \\ escape inside them) to keep
 * blanks or a leading '"'. There are no trailing comments: a '#' after a value
 * is part of the value (paths may hold one). Lines end in LF or CRLF; a UTF-8
 * byte order mark at the start is skipped. Keys are lower case; the edit name
 * of severity.EDIT is case-insensitive.
 *
 * Every key has a default (cfg_default_text(): the embedded default config,
 * severities from the edit catalogue). A file sets keys on top of them.
 * Unknown keys are errors, so typos never pass silently. A key set twice in
 * one file is an error (naming both lines), except submit_root, whose lines
 * add up. cfg_set() (command-line overrides) replaces a value instead.
 *
 * A cfg is built once (cfg_parse, then cfg_set for overrides) and then read
 * through a const pointer, by any number of threads, until cfg_free(); the
 * daemon swaps a whole new one in on reload and never changes a published one.
 *
 * Pure code: no I/O, no globals. Names (groups) and "auto" (threads) are kept
 * as written: the daemon resolves them (getgrnam, the online CPUs).
 */
#ifndef CLAIMD_CFG_H
#define CLAIMD_CFG_H

#include "claimd/cbuf.h"
#include "claimd/edit.h"

#include <stddef.h>
#include <stdint.h>

#define CFG_PATH_MAX    1024      /* bytes of a path setting, its NUL included */
#define CFG_NAME_MAX    64        /* bytes of a group name, its NUL included */
#define CFG_ROOTS_MAX   32        /* submit_root lines */
#define CFG_LINE_MAX    4096      /* bytes of one config line, its end included */
#define CFG_FILE_MAX    (1 << 20) /* bytes of a whole config */
#define CFG_SOCKET_MAX  107       /* bytes of the socket path (sockaddr_un.sun_path) */
#define CFG_THREADS_MAX 1024

typedef enum cfg_repeat {
    CFG_REPEAT_REFUSE = 0,  /* the same content again is refused as a repeat */
    CFG_REPEAT_PROCESS = 1, /* the same content again is a new job */
} cfg_repeat;

/* Read the fields; change them only through cfg_set() before publishing. */
typedef struct cfg {
    char spool[CFG_PATH_MAX];        /* spool folder: inbox/, out/, failed/ */
    char state_dir[CFG_PATH_MAX];    /* journal and histories; "" = SPOOL/state */
    char tables[CFG_PATH_MAX];       /* tables root or version; "default" = the embedded one */
    char socket[CFG_PATH_MAX];       /* control socket path (at most CFG_SOCKET_MAX bytes) */
    char socket_group[CFG_NAME_MAX]; /* name or gid; "" = the daemon's primary group */
    char admin_group[CFG_NAME_MAX];  /* control_admin_group; "" = none */
    char audit_log[CFG_PATH_MAX];    /* changing control actions are appended here */
    uint32_t threads;                /* 0 = auto (the online CPUs), else 1..CFG_THREADS_MAX */
    int log_level;                   /* enum log_level (log.h): 3 err .. 7 debug */
    edit_settings edits;             /* severity.EDIT and timely_filing_days */
    uint32_t duplicate_history_days; /* DUPLICATE history window; 0 = off */
    uint32_t input_retention_days;   /* 0 = kept until purged by hand */
    uint32_t output_retention_days;  /* 0 = kept until purged by hand */
    uint64_t min_free_disk_mb;       /* intake pauses below this much free space; 0 = never */
    uint32_t shutdown_grace_seconds; /* SIGTERM: how long running jobs may finish */
    cfg_repeat repeat_policy;
    uint32_t nroots;                         /* submit_root count; 0 = any readable file (root, */
    char roots[CFG_ROOTS_MAX][CFG_PATH_MAX]; /* daemon user) */
} cfg;

/* The embedded default config, in the file format (a static string). Parsing
 * it on top of the catalogue's severities gives the defaults. */
const char *cfg_default_text(void);

/* Allocates a cfg holding every default into *out (free with cfg_free).
 * Returns 0 or -ENOMEM; *out is written only on success. */
int cfg_default(cfg **out);

/* Parses buf[0..len) (need not be NUL-terminated) on top of the defaults into
 * a new cfg in *out (the caller frees it with cfg_free); *out is written only
 * on success. On failure err (when errlen > 0) holds one line naming the line
 * number and the problem, e.g. "line 12: threads must be auto or 1..1024";
 * the first problem stops the parse. Returns 0, or
 *   -EINVAL                  a NULL argument;
 *   -ENOMEM                  out of memory;
 *   -CLAIMD_ECFG_TOO_BIG     more than CFG_FILE_MAX bytes;
 *   -CLAIMD_ECFG_LONG_LINE   a line of CFG_LINE_MAX bytes or more;
 *   -CLAIMD_ECFG_BAD_BYTE    a NUL or other control byte (tab excepted);
 *   -CLAIMD_ECFG_SYNTAX      not `key = value`, a bad key, a bad quoted value;
 *   -CLAIMD_ECFG_UNKNOWN_KEY a key the parser does not know (named in err);
 *   -CLAIMD_ECFG_DUPLICATE   a key set twice (both lines named in err);
 *   -CLAIMD_ECFG_BAD_VALUE   a value out of range or of the wrong kind;
 *   -CLAIMD_ECFG_TOO_MANY    more than CFG_ROOTS_MAX submit_root lines. */
int cfg_parse(const char *buf, size_t len, cfg **out, char *err, size_t errlen);

/* Sets key to value (NUL-terminated, taken as is: no quotes, no trimming) on
 * an unpublished c: the command-line overrides (--spool -> "spool", --socket
 * -> "socket", --tables -> "tables", --threads -> "threads", --log-level ->
 * "log_level"). A scalar is replaced; submit_root adds a root. On failure c is
 * unchanged and err holds the problem without a line number ("threads must be
 * auto or 1..1024"). Returns 0, -EINVAL (NULL argument),
 * -CLAIMD_ECFG_UNKNOWN_KEY, -CLAIMD_ECFG_BAD_VALUE or -CLAIMD_ECFG_TOO_MANY. */
int cfg_set(cfg *c, const char *key, const char *value, char *err, size_t errlen);

/* Appends the effective config to out in the file format, every key in
 * docs/config.md order (every edit's severity included), so cfg_parse() of
 * the text gives the same settings. Returns 0 or cbuf_error(out). */
int cfg_print(const cfg *c, cbuf *out);

/* The key names the parser knows, in order; the edit severities appear once,
 * as the pattern "severity.EDIT". NULL past the last (i >= count). */
const char *cfg_key_name(size_t i);

/* Frees c; cfg_free(NULL) is a no-op. */
void cfg_free(cfg *c);

#endif
