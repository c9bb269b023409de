/* cfg_test: the daemon's config (cfg.h): defaults, every key, overrides,
 * every error with its line number, the format's corners, printing, and
 * docs/config.md listing exactly the keys the parser knows. */
#include "claimd/cfg.h"
#include "claimd/error.h"
#include "claimd/log.h"
#include "testutil.h"

#include <errno.h>

static char err[256];

/* Parses a NUL-terminated text; asserts success. */
static cfg *ok(const char *text)
{
    cfg *c = NULL;
    int rc = cfg_parse(text, strlen(text), &c, err, sizeof err);
    cr_assert_eq(rc, 0, "parse failed (%d): %s\n--\n%s", rc, err, text);
    cr_assert_not_null(c);
    return c;
}

/* Parses text expecting code rc and the exact message msg. */
static void bad(const char *text, int rc, const char *msg)
{
    cfg *c = (cfg *)0x1;
    err[0] = 0;
    int got = cfg_parse(text, strlen(text), &c, err, sizeof err);
    cr_assert_eq(got, rc, "rc %d, want %d (%s) for:\n%s", got, rc, err, text);
    cr_assert_eq(c, (cfg *)0x1, "out written on failure");
    cr_assert_str_eq(err, msg);
}

static char *print(const cfg *c)
{
    cbuf b;
    cbuf_init(&b);
    cr_assert_eq(cfg_print(c, &b), 0);
    return b.p; /* the test frees it */
}

Test(cfg, defaults)
{
    cfg *c;
    cr_assert_eq(cfg_default(&c), 0);
    cr_assert_str_eq(c->spool, "claimd-data/spool");
    cr_assert_str_eq(c->state_dir, "");
    cr_assert_str_eq(c->tables, "default");
    cr_assert_str_eq(c->socket, "claimd-data/claimd.sock");
    cr_assert_str_eq(c->socket_group, "");
    cr_assert_str_eq(c->admin_group, "");
    cr_assert_str_eq(c->audit_log, "claimd-data/audit.log");
    cr_assert_eq(c->threads, 0);
    cr_assert_eq(c->log_level, LOG_LVL_NOTICE);
    cr_assert_eq(c->edits.timely_filing_days, 0);
    cr_assert_eq(c->duplicate_history_days, 365);
    cr_assert_eq(c->input_retention_days, 30);
    cr_assert_eq(c->output_retention_days, 30);
    cr_assert_eq(c->min_free_disk_mb, 512);
    cr_assert_eq(c->shutdown_grace_seconds, 30);
    cr_assert_eq(c->repeat_policy, CFG_REPEAT_REFUSE);
    cr_assert_eq(c->nroots, 0);
    edit_settings es;
    edit_settings_default(&es);
    cr_assert_eq(memcmp(c->edits.severity, es.severity, sizeof es.severity), 0);
    cfg_free(c);
    cfg_free(NULL);
}

Test(cfg, empty_input_is_the_defaults)
{
    cfg *d, *c = ok("");
    cr_assert_eq(cfg_default(&d), 0);
    char *a = print(c), *b = print(d);
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
    cfg_free(c);
    cfg_free(d);
    c = NULL;
    cr_assert_eq(cfg_parse(NULL, 0, &c, err, sizeof err), 0);
    cfg_free(c);
}

/* The embedded text sets every scalar key once (severities come from the
 * catalogue, submit_root has no default). */
Test(cfg, embedded_default_sets_every_key)
{
    const char *t = cfg_default_text();
    for (size_t i = 0; cfg_key_name(i); i++) {
        const char *k = cfg_key_name(i);
        if (strcmp(k, "severity.EDIT") == 0 || strcmp(k, "submit_root") == 0)
            continue;
        char pat[80];
        snprintf(pat, sizeof pat, "\n%s =", k);
        cr_assert_not_null(strstr(t, pat), "embedded default lacks %s", k);
    }
    cfg *c = ok(t);
    cfg_free(c);
}

Test(cfg, every_key)
{
    cfg *c = ok("spool = /var/spool/claimd\n"
                "state_dir = /var/lib/claimd/state\n"
                "tables = /var/lib/claimd/tables\n"
                "socket = /run/claimd/ctl.sock\n"
                "socket_group = claimd-ops\n"
                "control_admin_group = 1234\n"
                "audit_log = /var/log/claimd/audit.log\n"
                "threads = 8\n"
                "log_level = debug\n"
                "severity.NCCI_PTP = warning\n"
                "severity.mod_invalid = off\n"
                "severity.UNITS_INVALID = error\n"
                "timely_filing_days = 365\n"
                "duplicate_history_days = 0\n"
                "input_retention_days = 7\n"
                "output_retention_days = 90\n"
                "min_free_disk_mb = 4294967296\n"
                "shutdown_grace_seconds = 120\n"
                "repeat_policy = process\n"
                "submit_root = /srv/drop/\n"
                "submit_root = /\n");
    cr_assert_str_eq(c->spool, "/var/spool/claimd");
    cr_assert_str_eq(c->state_dir, "/var/lib/claimd/state");
    cr_assert_str_eq(c->tables, "/var/lib/claimd/tables");
    cr_assert_str_eq(c->socket, "/run/claimd/ctl.sock");
    cr_assert_str_eq(c->socket_group, "claimd-ops");
    cr_assert_str_eq(c->admin_group, "1234");
    cr_assert_str_eq(c->audit_log, "/var/log/claimd/audit.log");
    cr_assert_eq(c->threads, 8);
    cr_assert_eq(c->log_level, LOG_LVL_DEBUG);
    cr_assert_eq(c->edits.severity[EDIT_NCCI_PTP], EDIT_SEV_WARNING);
    cr_assert_eq(c->edits.severity[EDIT_MOD_INVALID], EDIT_SEV_OFF);
    cr_assert_eq(c->edits.severity[EDIT_UNITS_INVALID], EDIT_SEV_ERROR);
    cr_assert_eq(c->edits.severity[EDIT_DX_INVALID], edit_def_of(EDIT_DX_INVALID)->severity);
    cr_assert_eq(c->edits.timely_filing_days, 365);
    cr_assert_eq(c->duplicate_history_days, 0);
    cr_assert_eq(c->input_retention_days, 7);
    cr_assert_eq(c->output_retention_days, 90);
    cr_assert_eq(c->min_free_disk_mb, UINT64_C(4294967296));
    cr_assert_eq(c->shutdown_grace_seconds, 120);
    cr_assert_eq(c->repeat_policy, CFG_REPEAT_PROCESS);
    cr_assert_eq(c->nroots, 2);
    cr_assert_str_eq(c->roots[0], "/srv/drop");
    cr_assert_str_eq(c->roots[1], "/");
    cfg_free(c);
}

Test(cfg, log_levels_and_aliases)
{
    static const struct {
        const char *v;
        int lvl;
    } t[] = {{"err", 3},    {"error", 3}, {"warning", 4}, {"warn", 4},
             {"notice", 5}, {"info", 6},  {"debug", 7}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "log_level = %s\n", t[i].v);
        cfg *c = ok(text);
        cr_assert_eq(c->log_level, t[i].lvl, "%s", t[i].v);
        cfg_free(c);
    }
    bad("log_level = DEBUG\n", -CLAIMD_ECFG_BAD_VALUE,
        "line 1: log_level must be err, warning, notice, info or debug");
}

Test(cfg, every_edit_severity_key)
{
    size_t n;
    const edit_def *defs = edit_catalogue(&n);
    for (size_t i = 0; i < n; i++) {
        char text[128];
        snprintf(text, sizeof text, "severity.%s = off\n", defs[i].name);
        cfg *c = ok(text);
        for (size_t j = 0; j < n; j++)
            cr_assert_eq(c->edits.severity[j], i == j ? EDIT_SEV_OFF : defs[j].severity);
        cfg_free(c);
    }
    bad("severity.NO_SUCH_EDIT = off\n", -CLAIMD_ECFG_UNKNOWN_KEY,
        "line 1: unknown key 'severity.NO_SUCH_EDIT'");
    bad("severity. = off\n", -CLAIMD_ECFG_UNKNOWN_KEY, "line 1: unknown key 'severity.'");
    bad("severity.EDIT = off\n", -CLAIMD_ECFG_UNKNOWN_KEY, "line 1: unknown key 'severity.EDIT'");
    bad("severity.DUPLICATE = fatal\n", -CLAIMD_ECFG_BAD_VALUE,
        "line 1: severity.DUPLICATE must be error, warning or off");
    bad("severity.DUPLICATE = warning\nseverity.duplicate = off\n", -CLAIMD_ECFG_DUPLICATE,
        "line 2: 'severity.duplicate' already set on line 1");
}

Test(cfg, numbers_and_their_limits)
{
    cfg *c = ok("threads = 1\nshutdown_grace_seconds = 0\ntimely_filing_days = 3650\n");
    cr_assert_eq(c->threads, 1);
    cr_assert_eq(c->shutdown_grace_seconds, 0);
    cfg_free(c);
    c = ok("threads = 1024\n");
    cr_assert_eq(c->threads, 1024);
    cfg_free(c);
    c = ok("threads = 007\n");
    cr_assert_eq(c->threads, 7);
    cfg_free(c);
    const char *msg = "line 1: threads must be auto or 1..1024";
    bad("threads = 0\n", -CLAIMD_ECFG_BAD_VALUE, msg);
    bad("threads = 1025\n", -CLAIMD_ECFG_BAD_VALUE, msg);
    bad("threads = -1\n", -CLAIMD_ECFG_BAD_VALUE, msg);
    bad("threads = +4\n", -CLAIMD_ECFG_BAD_VALUE, msg);
    bad("threads = 4 # four\n", -CLAIMD_ECFG_BAD_VALUE, msg);
    bad("threads = 99999999999999999999999\n", -CLAIMD_ECFG_BAD_VALUE, msg);
    bad("threads = AUTO\n", -CLAIMD_ECFG_BAD_VALUE, msg);
    bad("threads =\n", -CLAIMD_ECFG_BAD_VALUE, msg);
    bad("timely_filing_days = 3651\n", -CLAIMD_ECFG_BAD_VALUE,
        "line 1: timely_filing_days must be a whole number 0..3650");
    bad("duplicate_history_days = 1.5\n", -CLAIMD_ECFG_BAD_VALUE,
        "line 1: duplicate_history_days must be a whole number 0..3650");
    bad("input_retention_days = x\n", -CLAIMD_ECFG_BAD_VALUE,
        "line 1: input_retention_days must be a whole number 0..3650");
    bad("output_retention_days = 1e3\n", -CLAIMD_ECFG_BAD_VALUE,
        "line 1: output_retention_days must be a whole number 0..3650");
    bad("min_free_disk_mb = 4294967297\n", -CLAIMD_ECFG_BAD_VALUE,
        "line 1: min_free_disk_mb must be a whole number 0..4294967296");
    bad("min_free_disk_mb = 18446744073709551616\n", -CLAIMD_ECFG_BAD_VALUE,
        "line 1: min_free_disk_mb must be a whole number 0..4294967296");
    bad("shutdown_grace_seconds = 86401\n", -CLAIMD_ECFG_BAD_VALUE,
        "line 1: shutdown_grace_seconds must be a whole number 0..86400");
    bad("repeat_policy = again\n", -CLAIMD_ECFG_BAD_VALUE,
        "line 1: repeat_policy must be process or refuse");
}

Test(cfg, paths_groups_and_their_limits)
{
    char text[CFG_LINE_MAX + 64];
    char path[CFG_PATH_MAX + 8];
    memset(path, 'a', sizeof path);
    path[0] = '/';
    path[CFG_PATH_MAX - 1] = 0; /* 1023 bytes: the most a path may be */
    snprintf(text, sizeof text, "spool = %s\n", path);
    cfg *c = ok(text);
    cr_assert_eq(strlen(c->spool), CFG_PATH_MAX - 1);
    cfg_free(c);
    path[CFG_PATH_MAX - 1] = 'a';
    path[CFG_PATH_MAX] = 0;
    snprintf(text, sizeof text, "audit_log = %s\n", path);
    bad(text, -CLAIMD_ECFG_BAD_VALUE, "line 1: audit_log is longer than 1023 bytes");
    snprintf(text, sizeof text, "submit_root = %s\n", path);
    bad(text, -CLAIMD_ECFG_BAD_VALUE,
        "line 1: submit_root must be an absolute path of at most 1023 bytes");

    path[CFG_SOCKET_MAX] = 0; /* 107 bytes: sun_path holds it with its NUL */
    snprintf(text, sizeof text, "socket = %s\n", path);
    c = ok(text);
    cfg_free(c);
    path[CFG_SOCKET_MAX] = 'a';
    path[CFG_SOCKET_MAX + 1] = 0;
    snprintf(text, sizeof text, "socket = %s\n", path);
    bad(text, -CLAIMD_ECFG_BAD_VALUE, "line 1: socket is longer than 107 bytes");

    bad("spool =\n", -CLAIMD_ECFG_BAD_VALUE, "line 1: spool must not be empty");
    bad("tables = \"\"\n", -CLAIMD_ECFG_BAD_VALUE, "line 1: tables must not be empty");
    bad("socket =   \n", -CLAIMD_ECFG_BAD_VALUE, "line 1: socket must not be empty");
    bad("audit_log =\n", -CLAIMD_ECFG_BAD_VALUE, "line 1: audit_log must not be empty");
    c = ok("state_dir =\nsocket_group =\ncontrol_admin_group = \"\"\n");
    cfg_free(c);

    const char *gmsg = "line 1: socket_group must be a group name or gid of at most 63 characters";
    bad("socket_group = claimd ops\n", -CLAIMD_ECFG_BAD_VALUE, gmsg);
    bad("socket_group = -x\n", -CLAIMD_ECFG_BAD_VALUE, gmsg);
    bad("socket_group = a/b\n", -CLAIMD_ECFG_BAD_VALUE, gmsg);
    bad("socket_group = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
        -CLAIMD_ECFG_BAD_VALUE, gmsg); /* 64 */
    c = ok(
        "control_admin_group = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
    cfg_free(c); /* 63 */
    bad("control_admin_group = wheel!\n", -CLAIMD_ECFG_BAD_VALUE,
        "line 1: control_admin_group must be a group name or gid of at most 63 characters");
}

Test(cfg, submit_roots)
{
    const char *abs = "line 1: submit_root must be an absolute path of at most 1023 bytes";
    bad("submit_root = srv/drop\n", -CLAIMD_ECFG_BAD_VALUE, abs);
    bad("submit_root =\n", -CLAIMD_ECFG_BAD_VALUE, abs);
    const char *dots = "line 1: submit_root must not hold '.' or '..' components";
    bad("submit_root = /srv/../etc\n", -CLAIMD_ECFG_BAD_VALUE, dots);
    bad("submit_root = /srv/.\n", -CLAIMD_ECFG_BAD_VALUE, dots);
    bad("submit_root = /..\n", -CLAIMD_ECFG_BAD_VALUE, dots);
    cfg *c = ok("submit_root = /srv/..drop/.x/a..b//\n");
    cr_assert_str_eq(c->roots[0], "/srv/..drop/.x/a..b");
    cfg_free(c);

    /* 32 roots are fine, the 33rd is refused on its line. */
    cbuf b;
    cbuf_init(&b);
    for (int i = 0; i < CFG_ROOTS_MAX; i++)
        cbuf_printf(&b, "submit_root = /r%d\n", i);
    c = ok(b.p);
    cr_assert_eq(c->nroots, CFG_ROOTS_MAX);
    cr_assert_str_eq(c->roots[31], "/r31");
    cfg_free(c);
    cbuf_puts(&b, "submit_root = /r32\n");
    bad(b.p, -CLAIMD_ECFG_TOO_MANY, "line 33: more than 32 submit_root lines");
    cbuf_release(&b);
}

Test(cfg, comments_blanks_crlf_bom_quotes)
{
    cfg *c = ok("\xef\xbb\xbf# a comment\r\n"
                "\r\n"
                "   # an indented comment = with an equals sign\r\n"
                "\t\r\n"
                "  threads\t=\t3  \r\n"
                "spool=/a b/c#d\r\n"
                "audit_log = \"  /x \\\"q\\\" \\\\ y  \"  \r\n"
                "tables = \"#not a comment\"\r\n"
                "socket = /s # with hash");
    cr_assert_eq(c->threads, 3);
    cr_assert_str_eq(c->spool, "/a b/c#d");
    cr_assert_str_eq(c->audit_log, "  /x \"q\" \\ y  ");
    cr_assert_str_eq(c->tables, "#not a comment");
    cr_assert_str_eq(c->socket, "/s # with hash");
    cfg_free(c);
    /* A backslash before any other character is itself. */
    c = ok("spool = \"C:\\dir\\n\"\n");
    cr_assert_str_eq(c->spool, "C:\\dir\\n");
    cfg_free(c);
    /* Line numbers count CRLF lines and comments. */
    bad("# one\r\n\r\nthreads = 2\r\nthreads = 3\r\n", -CLAIMD_ECFG_DUPLICATE,
        "line 4: 'threads' already set on line 3");
}

Test(cfg, syntax_errors)
{
    const char *kv = "line 2: expected 'key = value'";
    bad("threads = 2\nthreads 2\n", -CLAIMD_ECFG_SYNTAX, kv);
    const char *kc = "line 1: expected 'key = value' (a key is letters, digits, '_' and '.')";
    bad("= 2\n", -CLAIMD_ECFG_SYNTAX, kc);
    bad("thr eads = 2\n", -CLAIMD_ECFG_SYNTAX, kc);
    bad("[daemon]\n", -CLAIMD_ECFG_SYNTAX, "line 1: expected 'key = value'");
    bad("threads-x = 2\n", -CLAIMD_ECFG_SYNTAX, kc);
    bad("\"threads\" = 2\n", -CLAIMD_ECFG_SYNTAX, kc);
    const char *q = "line 1: a quoted value must end with '\"' at the end of the line";
    bad("spool = \"/a\n", -CLAIMD_ECFG_SYNTAX, q);
    bad("spool = \"/a\" b\n", -CLAIMD_ECFG_SYNTAX, q);
    bad("spool = \"/a\\\"\n", -CLAIMD_ECFG_SYNTAX, q);
    bad("spool = \"\n", -CLAIMD_ECFG_SYNTAX, q);
}

Test(cfg, unknown_keys)
{
    bad("threads = 2\n\nthraeds = 2\n", -CLAIMD_ECFG_UNKNOWN_KEY, "line 3: unknown key 'thraeds'");
    bad("Threads = 2\n", -CLAIMD_ECFG_UNKNOWN_KEY, "line 1: unknown key 'Threads'");
    bad("severity = error\n", -CLAIMD_ECFG_UNKNOWN_KEY, "line 1: unknown key 'severity'");
    /* A key too long to be one is a syntax error. */
    char text[200];
    memset(text, 'k', 100);
    strcpy(text + 100, " = 1\n");
    bad(text, -CLAIMD_ECFG_SYNTAX,
        "line 1: expected 'key = value' (a key is letters, digits, '_' and '.')");
}

Test(cfg, duplicates_are_errors_except_submit_root)
{
    bad("spool = /a\nthreads = 2\nspool = /b\n", -CLAIMD_ECFG_DUPLICATE,
        "line 3: 'spool' already set on line 1");
    bad("state_dir =\nstate_dir =\n", -CLAIMD_ECFG_DUPLICATE,
        "line 2: 'state_dir' already set on line 1");
    /* A failed value does not count as set: the error is the first line's. */
    bad("threads = 0\nthreads = 2\n", -CLAIMD_ECFG_BAD_VALUE,
        "line 1: threads must be auto or 1..1024");
    cfg *c = ok("submit_root = /a\nsubmit_root = /a\n");
    cr_assert_eq(c->nroots, 2);
    cfg_free(c);
}

Test(cfg, bytes_and_sizes)
{
    char text[CFG_LINE_MAX + 64];
    bad("threads = 2\nspool = /a\x01\n", -CLAIMD_ECFG_BAD_BYTE,
        "line 2: control byte 0x01 at column 11");
    bad("# comment \x7f\n", -CLAIMD_ECFG_BAD_BYTE, "line 1: control byte 0x7f at column 11");
    bad("spool = /a\rb\n", -CLAIMD_ECFG_BAD_BYTE, "line 1: control byte 0x0d at column 11");
    bad("threads = 2\r\r\n", -CLAIMD_ECFG_BAD_BYTE, "line 1: control byte 0x0d at column 12");
    static const char nul[] = "threads = 2\n\0\n";
    cfg *c = NULL;
    cr_assert_eq(cfg_parse(nul, sizeof nul - 1, &c, err, sizeof err), -CLAIMD_ECFG_BAD_BYTE);
    cr_assert_str_eq(err, "line 2: control byte 0x00 at column 1");
    /* Bytes >= 0x80 are fine (UTF-8 paths and comments). */
    c = ok("# r\xc3\xa9sum\xc3\xa9\nspool = /srv/caf\xc3\xa9\n");
    cr_assert_str_eq(c->spool, "/srv/caf\xc3\xa9");
    cfg_free(c);
    bad("spool = \"/a\tb\"\n", -CLAIMD_ECFG_BAD_VALUE, "line 1: spool holds a control byte");

    /* A line of 4095 bytes is read; of 4096 it is refused. */
    memset(text, '#', CFG_LINE_MAX - 1);
    strcpy(text + CFG_LINE_MAX - 1, "\nthreads = 2\n");
    c = ok(text);
    cfg_free(c);
    memset(text, '#', CFG_LINE_MAX);
    strcpy(text + CFG_LINE_MAX, "\r\n");
    bad(text, -CLAIMD_ECFG_LONG_LINE, "line 1: longer than 4095 bytes");

    char *big = malloc(CFG_FILE_MAX + 1);
    memset(big, '\n', CFG_FILE_MAX + 1);
    c = NULL;
    cr_assert_eq(cfg_parse(big, CFG_FILE_MAX, &c, err, sizeof err), 0);
    cfg_free(c);
    cr_assert_eq(cfg_parse(big, CFG_FILE_MAX + 1, &c, err, sizeof err), -CLAIMD_ECFG_TOO_BIG);
    cr_assert_str_eq(err, "config larger than 1048576 bytes");
    free(big);
}

Test(cfg, no_trailing_newline_and_not_nul_terminated)
{
    char text[] = "threads = 12XXXX";
    cfg *c = NULL;
    cr_assert_eq(cfg_parse(text, 12, &c, err, sizeof err), 0);
    cr_assert_eq(c->threads, 12);
    cfg_free(c);
}

Test(cfg, bad_arguments_and_small_error_buffers)
{
    cfg *c = NULL;
    cr_assert_eq(cfg_parse("x", 1, NULL, err, sizeof err), -EINVAL);
    cr_assert_eq(cfg_parse(NULL, 1, &c, err, sizeof err), -EINVAL);
    cr_assert_eq(cfg_default(NULL), -EINVAL);
    /* No error buffer, or a tiny one: still the right code, no overflow. */
    cr_assert_eq(cfg_parse("threads = 0", 11, &c, NULL, 0), -CLAIMD_ECFG_BAD_VALUE);
    char tiny[4] = "zzz";
    cr_assert_eq(cfg_parse("threads = 0", 11, &c, tiny, 1), -CLAIMD_ECFG_BAD_VALUE);
    cr_assert_eq(tiny[0], 0);
    cr_assert_eq(cfg_parse("threads = 0", 11, &c, tiny, sizeof tiny), -CLAIMD_ECFG_BAD_VALUE);
    cr_assert_str_eq(tiny, "lin");
    cr_assert_null(c);
    cr_assert_eq(cfg_print(NULL, NULL), -EINVAL);
}

Test(cfg, overrides)
{
    cfg *c = ok("spool = /from/file\nthreads = 2\nlog_level = info\n");
    cr_assert_eq(cfg_set(c, "spool", "/from/flag", err, sizeof err), 0);
    cr_assert_eq(cfg_set(c, "socket", "/run/x.sock", err, sizeof err), 0);
    cr_assert_eq(cfg_set(c, "tables", "/t", err, sizeof err), 0);
    cr_assert_eq(cfg_set(c, "threads", "auto", err, sizeof err), 0);
    cr_assert_eq(cfg_set(c, "log_level", "debug", err, sizeof err), 0);
    cr_assert_eq(cfg_set(c, "severity.DUPLICATE", "off", err, sizeof err), 0);
    cr_assert_eq(cfg_set(c, "submit_root", "/a", err, sizeof err), 0);
    cr_assert_eq(cfg_set(c, "submit_root", "/b", err, sizeof err), 0);
    cr_assert_str_eq(c->spool, "/from/flag");
    cr_assert_str_eq(c->socket, "/run/x.sock");
    cr_assert_str_eq(c->tables, "/t");
    cr_assert_eq(c->threads, 0);
    cr_assert_eq(c->log_level, LOG_LVL_DEBUG);
    cr_assert_eq(c->edits.severity[EDIT_DUPLICATE], EDIT_SEV_OFF);
    cr_assert_eq(c->nroots, 2);

    /* Values are taken as they are: no trimming, no quotes. */
    cr_assert_eq(cfg_set(c, "spool", " \"/q\" ", err, sizeof err), 0);
    cr_assert_str_eq(c->spool, " \"/q\" ");

    /* A refused override leaves the cfg as it was. */
    char *before = print(c);
    cr_assert_eq(cfg_set(c, "threads", "0", err, sizeof err), -CLAIMD_ECFG_BAD_VALUE);
    cr_assert_str_eq(err, "threads must be auto or 1..1024");
    cr_assert_eq(cfg_set(c, "threads", " 4", err, sizeof err), -CLAIMD_ECFG_BAD_VALUE);
    cr_assert_eq(cfg_set(c, "log_level", "loud", err, sizeof err), -CLAIMD_ECFG_BAD_VALUE);
    cr_assert_eq(cfg_set(c, "spool", "", err, sizeof err), -CLAIMD_ECFG_BAD_VALUE);
    cr_assert_eq(cfg_set(c, "spool", "/a\nb", err, sizeof err), -CLAIMD_ECFG_BAD_VALUE);
    cr_assert_str_eq(err, "spool holds a control byte");
    cr_assert_eq(cfg_set(c, "spol", "/x", err, sizeof err), -CLAIMD_ECFG_UNKNOWN_KEY);
    cr_assert_str_eq(err, "unknown key 'spol'");
    cr_assert_eq(cfg_set(c, "x\ny", "/x", err, sizeof err), -CLAIMD_ECFG_UNKNOWN_KEY);
    cr_assert_str_eq(err, "unknown key 'x?y'");
    cr_assert_eq(cfg_set(c, "severity.EDIT", "off", err, sizeof err), -CLAIMD_ECFG_UNKNOWN_KEY);
    cr_assert_eq(cfg_set(c, NULL, "x", err, sizeof err), -EINVAL);
    cr_assert_eq(cfg_set(c, "spool", NULL, err, sizeof err), -EINVAL);
    cr_assert_eq(cfg_set(NULL, "spool", "/x", err, sizeof err), -EINVAL);
    char *after = print(c);
    cr_assert_str_eq(before, after);
    free(before);
    free(after);

    for (int i = 2; i < CFG_ROOTS_MAX; i++)
        cr_assert_eq(cfg_set(c, "submit_root", "/r", err, sizeof err), 0);
    cr_assert_eq(cfg_set(c, "submit_root", "/r", err, sizeof err), -CLAIMD_ECFG_TOO_MANY);
    cr_assert_str_eq(err, "more than 32 submit_root lines");
    cfg_free(c);
}

/* Printing gives every key, and reads back to the same settings. */
Test(cfg, print_reads_back)
{
    cfg *d;
    cr_assert_eq(cfg_default(&d), 0);
    char *t = print(d);
    cr_assert_not_null(strstr(t, "\nthreads = auto\n"));
    cr_assert_not_null(strstr(t, "\nstate_dir =\n"));
    cr_assert_not_null(strstr(t, "\nseverity.PRICE_UNAVAILABLE = warning\n"));
    cr_assert_not_null(strstr(t, "# no submit_root"));
    for (size_t i = 0; cfg_key_name(i); i++) {
        const char *k = cfg_key_name(i);
        if (strcmp(k, "severity.EDIT") && strcmp(k, "submit_root"))
            cr_assert_not_null(strstr(t, k), "%s not printed", k);
    }
    size_t n;
    const edit_def *defs = edit_catalogue(&n);
    for (size_t i = 0; i < n; i++) {
        char k[80];
        snprintf(k, sizeof k, "\nseverity.%s = ", defs[i].name);
        cr_assert_not_null(strstr(t, k), "%s not printed", k);
    }
    cfg *r = ok(t);
    char *t2 = print(r);
    cr_assert_str_eq(t, t2);
    free(t);
    free(t2);
    cfg_free(r);
    cfg_free(d);

    /* Values that need quotes get them. */
    cfg *c = ok("threads = 5\nrepeat_policy = process\nseverity.NCCI_PTP = off\n"
                "submit_root = /x\nsubmit_root = /y z\n");
    cr_assert_eq(cfg_set(c, "spool", " lead\\ \"q\"", err, sizeof err), 0);
    cr_assert_eq(cfg_set(c, "tables", "\"quoted", err, sizeof err), 0);
    t = print(c);
    cr_assert_eq(strncmp(t, "spool = \" lead\\\\ \\\"q\\\"\"\n", 24), 0, "%s", t);
    cr_assert_not_null(strstr(t, "\ntables = \"\\\"quoted\"\n"), "%s", t);
    cr_assert_not_null(strstr(t, "\nsubmit_root = /x\nsubmit_root = /y z\n"), "%s", t);
    r = ok(t);
    cr_assert_str_eq(r->spool, " lead\\ \"q\"");
    cr_assert_str_eq(r->tables, "\"quoted");
    cr_assert_eq(r->threads, 5);
    cr_assert_eq(r->repeat_policy, CFG_REPEAT_PROCESS);
    t2 = print(r);
    cr_assert_str_eq(t, t2);
    free(t);
    free(t2);
    cfg_free(r);
    cfg_free(c);
}

/* docs/config.md's key table lists exactly the keys the parser knows, in
 * the parser's order, and shows the embedded default verbatim. */
Test(cfg, docs_list_exactly_the_keys)
{
    const char *src = getenv("CLAIMD_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/docs/config.md", src ? src : ".");
    char *doc = tu_slurp(path, NULL);
    cr_assert_not_null(doc, "cannot read %s", path);
    char *keys = strstr(doc, "\n## Keys\n");
    cr_assert_not_null(keys);
    char *end = strstr(keys + 1, "\n## ");
    cr_assert_not_null(end);
    size_t i = 0;
    for (char *l = keys; l && l < end; l = strchr(l + 1, '\n')) {
        if (strncmp(l, "\n| `", 4) != 0)
            continue;
        char *k = l + 4, *q = strchr(k, '`');
        cr_assert_not_null(q);
        *q = 0;
        cr_assert_not_null(cfg_key_name(i), "docs list '%s', the parser has no more keys", k);
        cr_assert_str_eq(k, cfg_key_name(i), "docs key %zu", i);
        *q = '`';
        i++;
    }
    cr_assert_null(cfg_key_name(i), "the parser knows '%s', docs/config.md does not list it",
                   cfg_key_name(i));
    /* The embedded default, without its first comment line, is in the docs. */
    const char *body = strchr(cfg_default_text(), '\n') + 1;
    cr_assert_not_null(strstr(doc, body), "docs/config.md does not show the embedded default");
    free(doc);
}
