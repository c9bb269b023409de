/* cfg_: the daemon's settings (cfg.h). One table of keys drives parsing,
 * overrides, printing and the docs test; each key has a kind that says how
 * its value is checked and where it is stored (an offset into struct cfg). */
#include "claimd/cfg.h"

#include "claimd/error.h"
#include "claimd/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The embedded default config: every key but severity.EDIT (the catalogue's)
 * and submit_root (none). Relative paths are relative to the daemon's
 * working directory, so a newcomer's first run keeps everything in one local
 * folder. docs/config.md shows the same values. */
static const char cfg_default_config[] =
    "# claimd embedded default config (claimd with no --config)\n"
    "spool = claimd-data/spool\n"
    "state_dir =\n"
    "tables = default\n"
    "socket = claimd-data/claimd.sock\n"
    "socket_group =\n"
    "control_admin_group =\n"
    "audit_log = claimd-data/audit.log\n"
    "threads = auto\n"
    "log_level = notice\n"
    "timely_filing_days = 0\n"
    "duplicate_history_days = 365\n"
    "input_retention_days = 30\n"
    "output_retention_days = 30\n"
    "min_free_disk_mb = 512\n"
    "shutdown_grace_seconds = 30\n"
    "repeat_policy = refuse\n"
    "# severity.EDIT = error|warning|off   (defaults: `claimd edits`)\n"
    "# submit_root = /absolute/folder      (none: root and the daemon's user submit any file)\n";

typedef enum cfg_kind {
    CFG_K_PATH,       /* non-empty path */
    CFG_K_PATH_EMPTY, /* path or "" */
    CFG_K_SOCKET,     /* non-empty path of at most CFG_SOCKET_MAX bytes */
    CFG_K_GROUP,      /* group name, numeric gid, or "" */
    CFG_K_U32,        /* decimal in [min, max] */
    CFG_K_U64,        /* decimal in [min, max] */
    CFG_K_THREADS,    /* "auto" or 1..CFG_THREADS_MAX */
    CFG_K_LOGLEVEL,   /* err|warning|notice|info|debug */
    CFG_K_REPEAT,     /* process|refuse */
    CFG_K_ROOT,       /* absolute path, repeatable */
    CFG_K_SEVERITY,   /* severity.EDIT = error|warning|off */
} cfg_kind;

typedef struct cfg_key {
    const char *name;
    cfg_kind kind;
    size_t off;
    uint64_t min, max;
} cfg_key;

#define CFG_OFF(f) offsetof(cfg, f)

/* In docs/config.md order. */
static const cfg_key cfg_keys[] = {
    {"spool", CFG_K_PATH, CFG_OFF(spool), 0, 0},
    {"state_dir", CFG_K_PATH_EMPTY, CFG_OFF(state_dir), 0, 0},
    {"tables", CFG_K_PATH, CFG_OFF(tables), 0, 0},
    {"socket", CFG_K_SOCKET, CFG_OFF(socket), 0, 0},
    {"socket_group", CFG_K_GROUP, CFG_OFF(socket_group), 0, 0},
    {"control_admin_group", CFG_K_GROUP, CFG_OFF(admin_group), 0, 0},
    {"audit_log", CFG_K_PATH, CFG_OFF(audit_log), 0, 0},
    {"threads", CFG_K_THREADS, CFG_OFF(threads), 1, CFG_THREADS_MAX},
    {"log_level", CFG_K_LOGLEVEL, CFG_OFF(log_level), 0, 0},
    {"severity.EDIT", CFG_K_SEVERITY, 0, 0, 0},
    {"timely_filing_days", CFG_K_U32, CFG_OFF(edits.timely_filing_days), 0, 3650},
    {"duplicate_history_days", CFG_K_U32, CFG_OFF(duplicate_history_days), 0, 3650},
    {"input_retention_days", CFG_K_U32, CFG_OFF(input_retention_days), 0, 3650},
    {"output_retention_days", CFG_K_U32, CFG_OFF(output_retention_days), 0, 3650},
    {"min_free_disk_mb", CFG_K_U64, CFG_OFF(min_free_disk_mb), 0, UINT64_C(1) << 32},
    {"shutdown_grace_seconds", CFG_K_U32, CFG_OFF(shutdown_grace_seconds), 0, 86400},
    {"repeat_policy", CFG_K_REPEAT, CFG_OFF(repeat_policy), 0, 0},
    {"submit_root", CFG_K_ROOT, 0, 0, 0},
};
#define CFG_NKEYS (sizeof cfg_keys / sizeof cfg_keys[0])

static const struct {
    const char *name;
    int lvl;
} cfg_levels[] = {
    {"err", LOG_LVL_ERR},   {"warning", LOG_LVL_WARN}, {"notice", LOG_LVL_NOTICE},
    {"info", LOG_LVL_INFO}, {"debug", LOG_LVL_DEBUG},  {"error", LOG_LVL_ERR},
    {"warn", LOG_LVL_WARN},
};

static const char *const cfg_sev_names[] = {"off", "warning", "error"};

__attribute__((format(printf, 3, 4))) static void cfg_errf(char *err, size_t errlen,
                                                           const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

const char *cfg_default_text(void)
{
    return cfg_default_config;
}

const char *cfg_key_name(size_t i)
{
    return i < CFG_NKEYS ? cfg_keys[i].name : NULL;
}

/* The key entry for name, or NULL; *edit gets the edit of severity.EDIT. */
static const cfg_key *cfg_key_find(const char *name, int *edit)
{
    if (strncmp(name, "severity.", 9) == 0) {
        int id = edit_id_from_name(name + 9);
        if (id < 0)
            return NULL;
        *edit = id;
        for (size_t i = 0; i < CFG_NKEYS; i++)
            if (cfg_keys[i].kind == CFG_K_SEVERITY)
                return &cfg_keys[i];
    }
    for (size_t i = 0; i < CFG_NKEYS; i++)
        if (cfg_keys[i].kind != CFG_K_SEVERITY && strcmp(cfg_keys[i].name, name) == 0)
            return &cfg_keys[i];
    return NULL;
}

/* Decimal digits only (no sign, no blanks), at most max. */
static bool cfg_parse_u64(const char *v, uint64_t max, uint64_t *out)
{
    uint64_t n = 0;
    if (!*v)
        return false;
    for (; *v; v++) {
        if (*v < '0' || *v > '9')
            return false;
        unsigned d = (unsigned)(*v - '0');
        if (n > (max - d) / 10)
            return false;
        n = n * 10 + d;
    }
    *out = n;
    return true;
}

static int cfg_set_path(const cfg_key *k, char *dst, const char *v, char *err, size_t errlen)
{
    size_t n = strlen(v);
    size_t lim = k->kind == CFG_K_SOCKET ? CFG_SOCKET_MAX : CFG_PATH_MAX - 1;
    if (n == 0 && k->kind != CFG_K_PATH_EMPTY) {
        cfg_errf(err, errlen, "%s must not be empty", k->name);
        return -CLAIMD_ECFG_BAD_VALUE;
    }
    if (n > lim) {
        cfg_errf(err, errlen, "%s is longer than %zu bytes", k->name, lim);
        return -CLAIMD_ECFG_BAD_VALUE;
    }
    memcpy(dst, v, n + 1);
    return 0;
}

/* A POSIX-portable group name ([A-Za-z0-9._-], not starting with '-') or a
 * gid; "" for the default. */
static int cfg_set_group(const cfg_key *k, char *dst, const char *v, char *err, size_t errlen)
{
    size_t n = strlen(v);
    bool ok = n < CFG_NAME_MAX && v[0] != '-';
    for (size_t i = 0; ok && i < n; i++)
        ok = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
             (v[i] >= '0' && v[i] <= '9') || v[i] == '_' || v[i] == '-' || v[i] == '.';
    if (!ok) {
        cfg_errf(err, errlen, "%s must be a group name or gid of at most %d characters", k->name,
                 CFG_NAME_MAX - 1);
        return -CLAIMD_ECFG_BAD_VALUE;
    }
    memcpy(dst, v, n + 1);
    return 0;
}

/* An absolute path without "." or ".." components (roots are compared by
 * prefix, so they must be canonical); a trailing '/' is dropped. */
static int cfg_add_root(cfg *c, const char *v, char *err, size_t errlen)
{
    size_t n = strlen(v);
    if (v[0] != '/' || n >= CFG_PATH_MAX) {
        cfg_errf(err, errlen, "submit_root must be an absolute path of at most %d bytes",
                 CFG_PATH_MAX - 1);
        return -CLAIMD_ECFG_BAD_VALUE;
    }
    for (const char *p = v; *p; p++) {
        if (p[0] != '/')
            continue;
        size_t seg = strcspn(p + 1, "/");
        if ((seg == 1 && p[1] == '.') || (seg == 2 && p[1] == '.' && p[2] == '.')) {
            cfg_errf(err, errlen, "submit_root must not hold '.' or '..' components");
            return -CLAIMD_ECFG_BAD_VALUE;
        }
    }
    if (c->nroots >= CFG_ROOTS_MAX) {
        cfg_errf(err, errlen, "more than %d submit_root lines", CFG_ROOTS_MAX);
        return -CLAIMD_ECFG_TOO_MANY;
    }
    while (n > 1 && v[n - 1] == '/')
        n--;
    memcpy(c->roots[c->nroots], v, n);
    c->roots[c->nroots][n] = 0;
    c->nroots++;
    return 0;
}

static int cfg_set_enum(cfg *c, const cfg_key *k, int edit, const char *v, char *err, size_t errlen)
{
    if (k->kind == CFG_K_LOGLEVEL) {
        for (size_t i = 0; i < sizeof cfg_levels / sizeof cfg_levels[0]; i++) {
            if (strcmp(v, cfg_levels[i].name) == 0) {
                c->log_level = cfg_levels[i].lvl;
                return 0;
            }
        }
        cfg_errf(err, errlen, "log_level must be err, warning, notice, info or debug");
    } else if (k->kind == CFG_K_REPEAT) {
        if (strcmp(v, "process") == 0 || strcmp(v, "refuse") == 0) {
            c->repeat_policy = v[0] == 'p' ? CFG_REPEAT_PROCESS : CFG_REPEAT_REFUSE;
            return 0;
        }
        cfg_errf(err, errlen, "repeat_policy must be process or refuse");
    } else {
        for (int s = 0; s < 3; s++) {
            if (strcmp(v, cfg_sev_names[s]) == 0) {
                c->edits.severity[edit] = (uint8_t)s;
                return 0;
            }
        }
        cfg_errf(err, errlen, "severity.%s must be error, warning or off",
                 edit_def_of((edit_id)edit)->name);
    }
    return -CLAIMD_ECFG_BAD_VALUE;
}

static int cfg_set_number(cfg *c, const cfg_key *k, const char *v, char *err, size_t errlen)
{
    char *base = (char *)c;
    uint64_t n;
    if (k->kind == CFG_K_THREADS && strcmp(v, "auto") == 0) {
        c->threads = 0;
        return 0;
    }
    if (!cfg_parse_u64(v, k->max, &n) || n < k->min) {
        if (k->kind == CFG_K_THREADS)
            cfg_errf(err, errlen, "threads must be auto or %d..%d", 1, CFG_THREADS_MAX);
        else
            cfg_errf(err, errlen, "%s must be a whole number %llu..%llu", k->name,
                     (unsigned long long)k->min, (unsigned long long)k->max);
        return -CLAIMD_ECFG_BAD_VALUE;
    }
    if (k->kind == CFG_K_U64) {
        memcpy(base + k->off, &n, sizeof n);
    } else {
        uint32_t n32 = (uint32_t)n;
        memcpy(base + k->off, &n32, sizeof n32);
    }
    return 0;
}

/* Applies one value; c is unchanged on failure. */
static int cfg_apply(cfg *c, const cfg_key *k, int edit, const char *v, char *err, size_t errlen)
{
    char *base = (char *)c;
    for (const char *q = v; *q; q++) {
        if ((unsigned char)*q < 0x20 || *q == 0x7f) {
            cfg_errf(err, errlen, "%s holds a control byte", k->name);
            return -CLAIMD_ECFG_BAD_VALUE;
        }
    }
    switch (k->kind) {
    case CFG_K_PATH:
    case CFG_K_PATH_EMPTY:
    case CFG_K_SOCKET:
        return cfg_set_path(k, base + k->off, v, err, errlen);
    case CFG_K_GROUP:
        return cfg_set_group(k, base + k->off, v, err, errlen);
    case CFG_K_ROOT:
        return cfg_add_root(c, v, err, errlen);
    case CFG_K_U32:
    case CFG_K_U64:
    case CFG_K_THREADS:
        return cfg_set_number(c, k, v, err, errlen);
    case CFG_K_LOGLEVEL:
    case CFG_K_REPEAT:
    case CFG_K_SEVERITY:
        return cfg_set_enum(c, k, edit, v, err, errlen);
    }
    return -EINVAL;
}

/* A printable, bounded copy of a key for an error message. */
static void cfg_key_echo(char *dst, size_t cap, const char *key)
{
    size_t n = 0;
    for (; *key && n + 1 < cap; key++)
        dst[n++] = (*key > 0x20 && *key < 0x7f) ? *key : '?';
    dst[n] = 0;
}

int cfg_set(cfg *c, const char *key, const char *value, char *err, size_t errlen)
{
    if (!c || !key || !value) {
        cfg_errf(err, errlen, "missing argument");
        return -EINVAL;
    }
    int edit = -1;
    const cfg_key *k = cfg_key_find(key, &edit);
    if (!k) {
        char echo[72];
        cfg_key_echo(echo, sizeof echo, key);
        cfg_errf(err, errlen, "unknown key '%s'", echo);
        return -CLAIMD_ECFG_UNKNOWN_KEY;
    }
    return cfg_apply(c, k, edit, value, err, errlen);
}

/* State of one parse: where each key was first set (0 = not yet). */
typedef struct cfg_parser {
    cfg *c;
    uint32_t line;
    uint32_t seen[CFG_NKEYS];
    uint32_t seen_sev[EDIT_COUNT];
    char *err;
    size_t errlen;
} cfg_parser;

__attribute__((format(printf, 3, 4))) static int cfg_fail(cfg_parser *p, int rc, const char *fmt,
                                                          ...)
{
    if (p->err && p->errlen) {
        int n = snprintf(p->err, p->errlen, "line %u: ", p->line);
        if (n >= 0 && (size_t)n < p->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return rc;
}

/* Unquotes s[0..n) (which starts with '"') into out; false when the quote is
 * not closed or text follows it. */
static bool cfg_unquote(const char *s, size_t n, char *out)
{
    size_t i = 1, o = 0;
    for (; i < n && s[i] != '"'; i++) {
        if (s[i] == '\\' && i + 1 < n && (s[i + 1] == '"' || s[i + 1] == '\\'))
            i++;
        out[o++] = s[i];
    }
    if (i >= n || i + 1 != n)
        return false;
    out[o] = 0;
    return true;
}

static bool cfg_is_blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* Splits a trimmed, non-comment line into key and value and applies it. */
static int cfg_line_apply(cfg_parser *p, const char *s, size_t n)
{
    const char *eq = memchr(s, '=', n);
    if (!eq)
        return cfg_fail(p, -CLAIMD_ECFG_SYNTAX, "expected 'key = value'");
    size_t kn = (size_t)(eq - s);
    while (kn && cfg_is_blank(s[kn - 1]))
        kn--;
    char key[80], echo[72], val[CFG_LINE_MAX];
    bool kok = kn > 0 && kn < sizeof key;
    for (size_t i = 0; kok && i < kn; i++)
        kok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.';
    if (!kok)
        return cfg_fail(p, -CLAIMD_ECFG_SYNTAX,
                        "expected 'key = value' (a key is letters, digits, '_' and '.')");
    memcpy(key, s, kn);
    key[kn] = 0;
    const char *v = eq + 1, *end = s + n;
    while (v < end && cfg_is_blank(*v))
        v++;
    size_t vn = (size_t)(end - v);
    if (vn && v[0] == '"') {
        if (!cfg_unquote(v, vn, val))
            return cfg_fail(p, -CLAIMD_ECFG_SYNTAX,
                            "a quoted value must end with '\"' at the end of the line");
    } else {
        memcpy(val, v, vn);
        val[vn] = 0;
    }
    int edit = -1;
    const cfg_key *k = cfg_key_find(key, &edit);
    if (!k) {
        cfg_key_echo(echo, sizeof echo, key);
        return cfg_fail(p, -CLAIMD_ECFG_UNKNOWN_KEY, "unknown key '%s'", echo);
    }
    uint32_t *seen = k->kind == CFG_K_SEVERITY ? &p->seen_sev[edit] : &p->seen[k - cfg_keys];
    if (*seen && k->kind != CFG_K_ROOT) {
        cfg_key_echo(echo, sizeof echo, key);
        return cfg_fail(p, -CLAIMD_ECFG_DUPLICATE, "'%s' already set on line %u", echo, *seen);
    }
    char why[160];
    int rc = cfg_apply(p->c, k, edit, val, why, sizeof why);
    if (rc < 0)
        return cfg_fail(p, rc, "%s", why);
    *seen = p->line;
    return 0;
}

/* Checks the bytes of one line (without its end) and applies it. */
static int cfg_line(cfg_parser *p, const char *s, size_t n)
{
    if (n >= CFG_LINE_MAX)
        return cfg_fail(p, -CLAIMD_ECFG_LONG_LINE, "longer than %d bytes", CFG_LINE_MAX - 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return cfg_fail(p, -CLAIMD_ECFG_BAD_BYTE, "control byte 0x%02x at column %zu", ch,
                            i + 1);
    }
    while (n && cfg_is_blank(s[0])) {
        s++;
        n--;
    }
    while (n && cfg_is_blank(s[n - 1]))
        n--;
    if (n == 0 || s[0] == '#')
        return 0;
    return cfg_line_apply(p, s, n);
}

/* Parses buf onto c, line by line. */
static int cfg_parse_into(cfg *c, const char *buf, size_t len, char *err, size_t errlen)
{
    cfg_parser *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->c = c;
    p->err = err;
    p->errlen = errlen;
    size_t pos = 0;
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
        pos = 3;
    int rc = 0;
    while (rc == 0 && pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        size_t n = end - pos;
        if (nl && n && buf[end - 1] == '\r')
            n--;
        p->line++;
        rc = cfg_line(p, buf + pos, n);
        pos = end + 1;
    }
    free(p);
    return rc;
}

int cfg_default(cfg **out)
{
    if (!out)
        return -EINVAL;
    cfg *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    edit_settings_default(&c->edits);
    int rc = cfg_parse_into(c, cfg_default_config, sizeof cfg_default_config - 1, NULL, 0);
    if (rc < 0) { /* only out of memory: a test parses the embedded text */
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int cfg_parse(const char *buf, size_t len, cfg **out, char *err, size_t errlen)
{
    if ((!buf && len) || !out) {
        cfg_errf(err, errlen, "missing argument");
        return -EINVAL;
    }
    if (len > CFG_FILE_MAX) {
        cfg_errf(err, errlen, "config larger than %d bytes", CFG_FILE_MAX);
        return -CLAIMD_ECFG_TOO_BIG;
    }
    cfg *c;
    int rc = cfg_default(&c);
    if (rc < 0) {
        cfg_errf(err, errlen, "out of memory");
        return rc;
    }
    rc = len ? cfg_parse_into(c, buf, len, err, errlen) : 0;
    if (rc < 0) {
        if (rc == -ENOMEM)
            cfg_errf(err, errlen, "out of memory");
        cfg_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

/* Appends `key = value`, quoting a value that would not read back as is. */
static void cfg_print_kv(cbuf *b, const char *key, const char *v)
{
    size_t n = strlen(v);
    cbuf_puts(b, key);
    if (n == 0) {
        cbuf_puts(b, " =\n");
        return;
    }
    cbuf_puts(b, " = ");
    if (v[0] != '"' && !cfg_is_blank(v[0]) && !cfg_is_blank(v[n - 1])) {
        cbuf_puts(b, v);
    } else {
        cbuf_putc(b, '"');
        for (; *v; v++) {
            if (*v == '"' || *v == '\\')
                cbuf_putc(b, '\\');
            cbuf_putc(b, *v);
        }
        cbuf_putc(b, '"');
    }
    cbuf_putc(b, '\n');
}

static const char *cfg_level_name(int lvl)
{
    for (size_t i = 0; i < sizeof cfg_levels / sizeof cfg_levels[0]; i++)
        if (cfg_levels[i].lvl == lvl)
            return cfg_levels[i].name;
    return "notice";
}

static void cfg_print_key(const cfg *c, const cfg_key *k, cbuf *b)
{
    const char *base = (const char *)c;
    char num[32];
    uint32_t u32;
    uint64_t u64;
    switch (k->kind) {
    case CFG_K_PATH:
    case CFG_K_PATH_EMPTY:
    case CFG_K_SOCKET:
    case CFG_K_GROUP:
        cfg_print_kv(b, k->name, base + k->off);
        break;
    case CFG_K_U32:
        memcpy(&u32, base + k->off, sizeof u32);
        snprintf(num, sizeof num, "%u", u32);
        cfg_print_kv(b, k->name, num);
        break;
    case CFG_K_U64:
        memcpy(&u64, base + k->off, sizeof u64);
        snprintf(num, sizeof num, "%llu", (unsigned long long)u64);
        cfg_print_kv(b, k->name, num);
        break;
    case CFG_K_THREADS:
        snprintf(num, sizeof num, "%u", c->threads);
        cfg_print_kv(b, k->name, c->threads ? num : "auto");
        break;
    case CFG_K_LOGLEVEL:
        cfg_print_kv(b, k->name, cfg_level_name(c->log_level));
        break;
    case CFG_K_REPEAT:
        cfg_print_kv(b, k->name, c->repeat_policy == CFG_REPEAT_PROCESS ? "process" : "refuse");
        break;
    case CFG_K_SEVERITY:
        for (int e = 0; e < EDIT_COUNT; e++) {
            uint8_t s = c->edits.severity[e];
            cbuf_printf(b, "severity.%s = %s\n", edit_def_of((edit_id)e)->name,
                        s < 3 ? cfg_sev_names[s] : "error");
        }
        break;
    case CFG_K_ROOT:
        if (c->nroots == 0)
            cbuf_puts(b, "# no submit_root: root and the daemon's user may submit any file\n");
        for (uint32_t i = 0; i < c->nroots; i++)
            cfg_print_kv(b, k->name, c->roots[i]);
        break;
    }
}

int cfg_print(const cfg *c, cbuf *out)
{
    if (!c || !out)
        return -EINVAL;
    for (size_t i = 0; i < CFG_NKEYS; i++)
        cfg_print_key(c, &cfg_keys[i], out);
    return cbuf_error(out);
}

void cfg_free(cfg *c)
{
    free(c);
}
