/* ctl_test: the control protocol (ctl.h): request lines (every verb, arity,
 * quoting, limits, junk), the authorization matrix, JSON replies with
 * hostile strings, and docs/control.md listing exactly the verbs. */
#include "claimd/ctl.h"
#include "claimd/error.h"
#include "testutil.h"

#include <errno.h>

static char err[CTL_ERRMSG_MAX];
static ctl_req req;

static void ok(const char *line, ctl_verb v, uint32_t argc)
{
    err[0] = 0;
    int rc = ctl_parse(line, strlen(line), &req, err, sizeof err);
    cr_assert_eq(rc, 0, "'%s': %d %s", line, rc, err);
    cr_assert_eq(req.verb, v, "'%s'", line);
    cr_assert_eq(req.argc, argc, "'%s'", line);
}

static void bad_n(const char *line, size_t len, int rc, const char *msg)
{
    err[0] = 0;
    int got = ctl_parse(line, len, &req, err, sizeof err);
    cr_assert_eq(got, rc, "rc %d, want %d (%s)", got, rc, err);
    if (msg)
        cr_assert_str_eq(err, msg);
    cr_assert_lt(strlen(err), CTL_ERRMSG_MAX - 1, "message may have been cut: %s", err);
}

static void bad(const char *line, int rc, const char *msg)
{
    bad_n(line, strlen(line), rc, msg);
}

/* An example argument of the right form for each argument kind. */
static const char *example_arg(uint8_t kind)
{
    switch ((ctl_arg)kind) {
    case CTL_ARG_PATH:
        return "/srv/drop/b.837";
    case CTL_ARG_STATE:
        return "running";
    case CTL_ARG_ID:
        return "20250101-000001";
    case CTL_ARG_LEVEL:
        return "debug";
    case CTL_ARG_NONE:
        break;
    }
    return "x";
}

Test(ctl, verb_table)
{
    size_t n;
    const ctl_verb_def *d = ctl_verbs(&n);
    cr_assert_eq(n, CTL_VERB_COUNT);
    static const char *const changing[] = {"submit", "cancel", "purge",    "pause",   "resume",
                                           "drain",  "reload", "loglevel", "shutdown"};
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(d[i].verb, (ctl_verb)i);
        cr_assert_eq(ctl_verb_def_of((ctl_verb)i), &d[i]);
        cr_assert_leq(d[i].min_args, d[i].max_args);
        cr_assert_leq(d[i].max_args, 1);
        cr_assert_eq(d[i].max_args == 0, d[i].arg == CTL_ARG_NONE, "%s", d[i].name);
        cr_assert_eq(strncmp(d[i].usage, d[i].name, strlen(d[i].name)), 0);
        bool ch = false;
        for (size_t j = 0; j < sizeof changing / sizeof changing[0]; j++)
            ch |= strcmp(changing[j], d[i].name) == 0;
        cr_assert_eq(d[i].changes, ch, "%s", d[i].name);
    }
    cr_assert_null(ctl_verb_def_of(CTL_VERB_COUNT));
    cr_assert_null(ctl_verb_def_of((ctl_verb)-1));
}

/* Every verb with a valid argument count, then one too few and one too many. */
Test(ctl, every_verb_and_its_arity)
{
    size_t n;
    const ctl_verb_def *d = ctl_verbs(&n);
    for (size_t i = 0; i < n; i++) {
        char line[256];
        const char *a = example_arg(d[i].arg);
        for (unsigned k = d[i].min_args; k <= d[i].max_args; k++) {
            snprintf(line, sizeof line, "%s%s%s\n", d[i].name, k ? " " : "", k ? a : "");
            ok(line, d[i].verb, k);
            if (k)
                cr_assert_str_eq(req.argv[0], a);
        }
        snprintf(line, sizeof line, "%s %s %s\n", d[i].name, a, a);
        char want[128];
        if (d[i].max_args == 0)
            snprintf(want, sizeof want, "%s takes no arguments", d[i].name);
        else
            snprintf(want, sizeof want, "usage: %s (2 arguments given)", d[i].usage);
        bad(line, -CLAIMD_ECTL_ARITY, want);
        if (d[i].min_args) {
            snprintf(line, sizeof line, "%s\n", d[i].name);
            snprintf(want, sizeof want, "usage: %s (0 arguments given)", d[i].usage);
            bad(line, -CLAIMD_ECTL_ARITY, want);
        }
    }
    bad("status a b c d e f g h i j\n", -CLAIMD_ECTL_ARITY, "status takes no arguments");
    bad("job a b c d e f g h i j\n", -CLAIMD_ECTL_ARITY, "usage: job ID (10 arguments given)");
}

Test(ctl, case_blanks_and_line_ends)
{
    ok("STATUS", CTL_STATUS, 0);
    ok("Status\r\n", CTL_STATUS, 0);
    ok("  \t help \t ", CTL_HELP, 0);
    ok("jobs\tdone\r\n", CTL_JOBS, 1);
    cr_assert_str_eq(req.argv[0], "done");
    ok("LogLevel   info\n", CTL_LOGLEVEL, 1);
    cr_assert_str_eq(req.argv[0], "info");
    /* Argument words keep their case: states and levels are lower case. */
    bad("jobs DONE", -CLAIMD_ECTL_BAD_ARG,
        "jobs: STATE must be queued, running, done, failed or cancelled");
}

Test(ctl, quoting)
{
    ok("submit \"/srv/drop/batch 7.837\"\n", CTL_SUBMIT, 1);
    cr_assert_str_eq(req.argv[0], "/srv/drop/batch 7.837");
    ok("submit \"/a \\\"b\\\" \\\\c\"", CTL_SUBMIT, 1);
    cr_assert_str_eq(req.argv[0], "/a \"b\" \\c");
    ok("submit /a\\b", CTL_SUBMIT, 1); /* backslashes outside quotes are plain */
    cr_assert_str_eq(req.argv[0], "/a\\b");
    ok("submit \"/x\\n\"", CTL_SUBMIT, 1);
    cr_assert_str_eq(req.argv[0], "/x\\n");
    ok("\"status\"", CTL_STATUS, 0);
    ok("submit \"/a\tb \"", CTL_SUBMIT, 1); /* blanks inside quotes are kept, tabs too */
    cr_assert_str_eq(req.argv[0], "/a\tb ");
    ok("submit\t\"/a\"\t", CTL_SUBMIT, 1);
    bad("submit \"/a b", -CLAIMD_ECTL_SYNTAX, "unterminated quote");
    bad("submit \"/a b\\\"", -CLAIMD_ECTL_SYNTAX, "unterminated quote");
    bad("submit \"", -CLAIMD_ECTL_SYNTAX, "unterminated quote");
    bad("submit \"/a\"b", -CLAIMD_ECTL_SYNTAX, "a closing quote must end its argument");
    bad("submit /a\"b\"", -CLAIMD_ECTL_SYNTAX, "a quote may only start an argument");
    bad("submit \"\"", -CLAIMD_ECTL_BAD_ARG, "submit: PATH must be absolute");
    bad("submit \"\" \"\"", -CLAIMD_ECTL_ARITY, "usage: submit PATH (2 arguments given)");
}

Test(ctl, argument_forms)
{
    bad("submit relative/b.837", -CLAIMD_ECTL_BAD_ARG, "submit: PATH must be absolute");
    bad("submit ~/b.837", -CLAIMD_ECTL_BAD_ARG, "submit: PATH must be absolute");
    const char *idmsg = "cancel: ID must be 1..64 letters, digits, '.', '_' or '-'";
    bad("cancel a/b", -CLAIMD_ECTL_BAD_ARG, idmsg);
    bad("cancel \"\"", -CLAIMD_ECTL_BAD_ARG, idmsg);
    bad("cancel \"a b\"", -CLAIMD_ECTL_BAD_ARG, idmsg);
    char line[128];
    snprintf(line, sizeof line, "job %.*s", CTL_ID_MAX,
             "0123456789abcdef0123456789abcdef"
             "0123456789abcdef0123456789abcdefXX");
    ok(line, CTL_JOB, 1);
    snprintf(line, sizeof line, "job %.*s", CTL_ID_MAX + 1,
             "0123456789abcdef0123456789abcdef"
             "0123456789abcdef0123456789abcdefXX");
    bad(line, -CLAIMD_ECTL_BAD_ARG, "job: ID must be 1..64 letters, digits, '.', '_' or '-'");
    ok("purge A.b_c-9", CTL_PURGE, 1);
    ok("purge", CTL_PURGE, 0);
    static const char *const states[] = {"queued", "running", "done", "failed", "cancelled"};
    for (size_t i = 0; i < 5; i++) {
        snprintf(line, sizeof line, "jobs %s", states[i]);
        ok(line, CTL_JOBS, 1);
    }
    bad("jobs all", -CLAIMD_ECTL_BAD_ARG,
        "jobs: STATE must be queued, running, done, failed or cancelled");
    static const char *const levels[] = {"err",   "warning", "notice", "info",
                                         "debug", "error",   "warn"};
    for (size_t i = 0; i < 7; i++) {
        snprintf(line, sizeof line, "loglevel %s", levels[i]);
        ok(line, CTL_LOGLEVEL, 1);
    }
    bad("loglevel trace", -CLAIMD_ECTL_BAD_ARG,
        "loglevel: LEVEL must be err, warning, notice, info or debug");
}

Test(ctl, empty_and_unknown)
{
    bad("", -CLAIMD_ECTL_EMPTY, "empty request (send 'help')");
    bad("\n", -CLAIMD_ECTL_EMPTY, "empty request (send 'help')");
    bad("\r\n", -CLAIMD_ECTL_EMPTY, "empty request (send 'help')");
    bad(" \t \n", -CLAIMD_ECTL_EMPTY, "empty request (send 'help')");
    bad("stat\n", -CLAIMD_ECTL_UNKNOWN_VERB, "unknown verb (send 'help')");
    bad("\"\"", -CLAIMD_ECTL_UNKNOWN_VERB, "unknown verb (send 'help')");
    bad("GET / HTTP/1.1\r\n", -CLAIMD_ECTL_UNKNOWN_VERB, "unknown verb (send 'help')");
    bad("ISA*00*JOHN*DOE~", -CLAIMD_ECTL_UNKNOWN_VERB, "unknown verb (send 'help')");
}

Test(ctl, line_length_limits)
{
    static char line[CTL_LINE_MAX + 16];
    /* "submit /aaaa...": 4095 bytes and its '\n' is exactly the limit. */
    memcpy(line, "submit /", 8);
    memset(line + 8, 'a', CTL_LINE_MAX - 1 - 8);
    line[CTL_LINE_MAX - 1] = '\n';
    cr_assert_eq(ctl_parse(line, CTL_LINE_MAX, &req, err, sizeof err), 0, "%s", err);
    cr_assert_eq(strlen(req.argv[0]), CTL_LINE_MAX - 1 - 7);
    /* Without its '\n' the same text is fine too. */
    cr_assert_eq(ctl_parse(line, CTL_LINE_MAX - 1, &req, err, sizeof err), 0, "%s", err);
    /* 4095 bytes + "\r\n" is one byte too many. */
    line[CTL_LINE_MAX - 1] = '\r';
    line[CTL_LINE_MAX] = '\n';
    bad_n(line, CTL_LINE_MAX + 1, -CLAIMD_ECTL_TOO_LONG, "request longer than 4096 bytes");
    /* 4096 bytes of text without an end. */
    line[CTL_LINE_MAX - 1] = 'a';
    bad_n(line, CTL_LINE_MAX, -CLAIMD_ECTL_TOO_LONG, "request longer than 4096 bytes");
    bad_n(line, CTL_LINE_MAX + 16, -CLAIMD_ECTL_TOO_LONG, "request longer than 4096 bytes");
    /* The buffer holds the most quoted arguments a line can carry. */
    memset(line, 0, sizeof line);
    memcpy(line, "submit \"/", 9);
    memset(line + 9, 'b', CTL_LINE_MAX - 2 - 9);
    line[CTL_LINE_MAX - 2] = '"';
    cr_assert_eq(ctl_parse(line, CTL_LINE_MAX - 1, &req, err, sizeof err), 0, "%s", err);
    cr_assert_eq(strlen(req.argv[0]), CTL_LINE_MAX - 2 - 8);
}

Test(ctl, line_len_scanner)
{
    static char buf[CTL_LINE_MAX + 8];
    cr_assert_eq(ctl_line_len("", 0), 0);
    cr_assert_eq(ctl_line_len(NULL, 0), 0);
    cr_assert_eq(ctl_line_len("stat", 4), 0);
    cr_assert_eq(ctl_line_len("status\n", 7), 7);
    cr_assert_eq(ctl_line_len("status\r\nhelp\n", 13), 8);
    cr_assert_eq(ctl_line_len("\n", 1), 1);
    memset(buf, 'a', sizeof buf);
    cr_assert_eq(ctl_line_len(buf, CTL_LINE_MAX - 1), 0);
    cr_assert_eq(ctl_line_len(buf, CTL_LINE_MAX), -CLAIMD_ECTL_TOO_LONG);
    cr_assert_eq(ctl_line_len(buf, sizeof buf), -CLAIMD_ECTL_TOO_LONG);
    buf[CTL_LINE_MAX - 1] = '\n';
    cr_assert_eq(ctl_line_len(buf, sizeof buf), CTL_LINE_MAX);
    buf[CTL_LINE_MAX - 1] = 'a';
    buf[CTL_LINE_MAX] = '\n'; /* a '\n' past the limit does not count */
    cr_assert_eq(ctl_line_len(buf, sizeof buf), -CLAIMD_ECTL_TOO_LONG);
}

Test(ctl, binary_junk)
{
    bad_n("stat\0us\n", 8, -CLAIMD_ECTL_BAD_BYTE, "byte 0x00 at column 5 is not printable ASCII");
    bad_n("\0", 1, -CLAIMD_ECTL_BAD_BYTE, "byte 0x00 at column 1 is not printable ASCII");
    bad("status\nhelp\n", -CLAIMD_ECTL_BAD_BYTE, "byte 0x0a at column 7 is not printable ASCII");
    bad("status\r\r\n", -CLAIMD_ECTL_BAD_BYTE, "byte 0x0d at column 7 is not printable ASCII");
    bad("sta\rtus", -CLAIMD_ECTL_BAD_BYTE, "byte 0x0d at column 4 is not printable ASCII");
    bad("status\r", -CLAIMD_ECTL_BAD_BYTE, "byte 0x0d at column 7 is not printable ASCII");
    bad("submit /caf\xc3\xa9", -CLAIMD_ECTL_BAD_BYTE,
        "byte 0xc3 at column 12 is not printable ASCII");
    bad("\x7f", -CLAIMD_ECTL_BAD_BYTE, "byte 0x7f at column 1 is not printable ASCII");
    bad("\xff\xfe", -CLAIMD_ECTL_BAD_BYTE, "byte 0xff at column 1 is not printable ASCII");
    bad("\x1b[2J", -CLAIMD_ECTL_BAD_BYTE, "byte 0x1b at column 1 is not printable ASCII");
    /* Every single byte value alone: printable words parse or are unknown
     * verbs, blanks are empty, the rest are bad bytes; never a crash. */
    for (int c = 0; c < 256; c++) {
        char b = (char)c;
        int rc = ctl_parse(&b, 1, &req, err, sizeof err);
        if (c == ' ' || c == '\t' || c == '\n')
            cr_assert_eq(rc, -CLAIMD_ECTL_EMPTY, "byte %d", c);
        else if (c == '"')
            cr_assert_eq(rc, -CLAIMD_ECTL_SYNTAX, "byte %d", c);
        else if (c > 0x20 && c < 0x7f)
            cr_assert_eq(rc, -CLAIMD_ECTL_UNKNOWN_VERB, "byte %d", c);
        else
            cr_assert_eq(rc, -CLAIMD_ECTL_BAD_BYTE, "byte %d", c);
    }
}

Test(ctl, bad_arguments)
{
    cr_assert_eq(ctl_parse(NULL, 0, &req, err, sizeof err), -EINVAL);
    cr_assert_eq(ctl_parse("status", 6, NULL, err, sizeof err), -EINVAL);
    cr_assert_eq(ctl_parse("stat", 4, &req, NULL, 0), -CLAIMD_ECTL_UNKNOWN_VERB);
    char tiny[5] = "zzzz";
    cr_assert_eq(ctl_parse("stat", 4, &req, tiny, sizeof tiny), -CLAIMD_ECTL_UNKNOWN_VERB);
    cr_assert_str_eq(tiny, "unkn");
}

/* Error messages name the verb and the problem, never argument contents. */
Test(ctl, errors_never_echo_arguments)
{
    static const char *const lines[] = {
        "cancel MARKER/PHI", "job MARKER PHI",  "jobs MARKERPHI",       "loglevel MARKERPHI",
        "status MARKERPHI",  "MARKERPHI",       "submit MARKERPHI",     "submit /MARKERPHI x",
        "purge \"MARKERPHI", "job MARKER\"PHI", "help \"MARKERPHI\"\"", "cancel \"MARKER PHI\"",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        err[0] = 0;
        cr_assert_lt(ctl_parse(lines[i], strlen(lines[i]), &req, err, sizeof err), 0, "%s",
                     lines[i]);
        cr_assert_null(strstr(err, "MARKER"), "'%s' -> '%s'", lines[i], err);
        cr_assert_null(strstr(err, "PHI"), "'%s' -> '%s'", lines[i], err);
    }
}

/* Authorization: the five kinds of peer against every verb. */
enum { DAEMON_UID = 990, READ_GID = 991, ADMIN_GID = 992, OTHER_GID = 100 };

static bool allowed(const ctl_policy *pol, const ctl_peer *peer, ctl_verb v)
{
    err[0] = 0;
    int rc = ctl_authorize(pol, peer, v, err, sizeof err);
    cr_assert(rc == 0 || rc == -CLAIMD_ECTL_DENIED, "rc %d", rc);
    cr_assert_eq(rc == 0, err[0] == 0, "message iff denied: %s", err);
    return rc == 0;
}

Test(ctl, authorization_matrix)
{
    ctl_policy pol = {.daemon_uid = DAEMON_UID, .read_gid = READ_GID, .admin_gid = ADMIN_GID};
    gid_t sup_read[] = {5, READ_GID}, sup_admin[] = {ADMIN_GID}, sup_none[] = {5, 6, 7};
    const struct {
        const char *who;
        ctl_peer peer;
        bool read, change;
    } t[] = {
        {"root", {0, 0, NULL, 0}, true, true},
        {"root in no group", {0, OTHER_GID, NULL, 0}, true, true},
        {"daemon user", {DAEMON_UID, OTHER_GID, NULL, 0}, true, true},
        {"admin group (primary)", {1000, ADMIN_GID, NULL, 0}, true, true},
        {"admin group (supplementary)", {1000, OTHER_GID, sup_admin, 1}, true, true},
        {"socket group (primary)", {1001, READ_GID, NULL, 0}, true, false},
        {"socket group (supplementary)", {1001, OTHER_GID, sup_read, 2}, true, false},
        {"stranger", {1002, OTHER_GID, sup_none, 3}, false, false},
        {"stranger, groups unknown", {1002, OTHER_GID, NULL, 5}, false, false},
        {"stranger with gid -1", {1003, CTL_GID_NONE, NULL, 0}, false, false},
    };
    size_t n;
    const ctl_verb_def *d = ctl_verbs(&n);
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        for (size_t v = 0; v < n; v++) {
            bool want = d[v].changes ? t[i].change : t[i].read;
            cr_assert_eq(allowed(&pol, &t[i].peer, d[v].verb), want, "%s, %s: %s", t[i].who,
                         d[v].name, err);
        }
    }
    /* The reasons. */
    ctl_peer member = {1001, READ_GID, NULL, 0}, stranger = {1002, OTHER_GID, NULL, 0};
    allowed(&pol, &member, CTL_CANCEL);
    cr_assert_str_eq(err, "cancel changes state: only root, the daemon's user and the control "
                          "admin group may use it (uid 1001)");
    allowed(&pol, &stranger, CTL_STATUS);
    cr_assert_str_eq(err, "status: uid 1002 is not in the control socket's group");
    allowed(&pol, &stranger, CTL_SHUTDOWN);
    cr_assert_str_eq(err, "shutdown changes state: only root, the daemon's user and the control "
                          "admin group may use it (uid 1002)");

    /* No admin group (the default): a group member still reads, never changes;
     * a peer whose gid is CTL_GID_NONE is not in an unset group. */
    ctl_policy noadmin = {
        .daemon_uid = DAEMON_UID, .read_gid = READ_GID, .admin_gid = CTL_GID_NONE};
    ctl_peer nogid = {1003, CTL_GID_NONE, NULL, 0};
    cr_assert(allowed(&noadmin, &member, CTL_STATUS));
    cr_assert_not(allowed(&noadmin, &member, CTL_RELOAD));
    cr_assert_not(allowed(&noadmin, &nogid, CTL_RELOAD));
    /* Admin group = socket group: every socket user may change state. */
    ctl_policy open = {.daemon_uid = DAEMON_UID, .read_gid = READ_GID, .admin_gid = READ_GID};
    cr_assert(allowed(&open, &member, CTL_SUBMIT));
    cr_assert_not(allowed(&open, &stranger, CTL_STATUS));

    cr_assert_eq(ctl_authorize(NULL, &member, CTL_STATUS, err, sizeof err), -EINVAL);
    cr_assert_eq(ctl_authorize(&pol, NULL, CTL_STATUS, err, sizeof err), -EINVAL);
    cr_assert_eq(ctl_authorize(&pol, &member, CTL_VERB_COUNT, err, sizeof err), -EINVAL);
}

/* A minimal check that s is exactly one JSON object on one line: balanced
 * braces/brackets outside strings, no raw control bytes, one '\n' at the end. */
static void one_json_line(const char *s)
{
    size_t n = strlen(s);
    cr_assert_gt(n, 2);
    cr_assert_eq(s[0], '{');
    cr_assert_eq(s[n - 1], '\n', "%s", s);
    cr_assert_eq(s[n - 2], '}', "%s", s);
    int depth = 0;
    bool str = false;
    for (size_t i = 0; i + 1 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        cr_assert_geq(c, 0x20, "raw control byte at %zu: %s", i, s);
        if (str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                str = false;
            continue;
        }
        if (c == '"')
            str = true;
        else if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']')
            depth--;
        cr_assert(depth > 0 || i == n - 2, "closes early at %zu: %s", i, s);
    }
    cr_assert_not(str);
    cr_assert_eq(depth, 0);
}

Test(ctl, replies)
{
    cbuf b;
    cbuf_init(&b);
    ctl_reply_ok(&b);
    ctl_reply_end(&b);
    cr_assert_str_eq(b.p, "{\"ok\":true}\n");
    cbuf_clear(&b);
    ctl_reply_ok(&b);
    ctl_reply_str(&b, "job", "20250101-000001");
    ctl_reply_u64(&b, "claims", UINT64_MAX);
    ctl_reply_i64(&b, "delta", INT64_MIN);
    ctl_reply_bool(&b, "paused", true);
    ctl_reply_bool(&b, "draining", false);
    ctl_reply_str(&b, "reason", NULL);
    ctl_reply_strn(&b, "nul", "a\0b", 3);
    ctl_reply_strn(&b, "none", NULL, 0);
    ctl_reply_raw(&b, "jobs", "[1,2]", 5);
    ctl_reply_raw(&b, "empty", NULL, 0);
    ctl_reply_end(&b);
    cr_assert_str_eq(b.p,
                     "{\"ok\":true,\"job\":\"20250101-000001\",\"claims\":18446744073709551615,"
                     "\"delta\":-9223372036854775808,\"paused\":true,\"draining\":false,"
                     "\"reason\":null,\"nul\":\"a\\u0000b\",\"none\":null,\"jobs\":[1,2],"
                     "\"empty\":null}\n");
    one_json_line(b.p);
    cbuf_clear(&b);
    ctl_reply_error(&b, "usage: job ID (0 arguments given)");
    cr_assert_str_eq(b.p, "{\"ok\":false,\"error\":\"usage: job ID (0 arguments given)\"}\n");
    cbuf_clear(&b);
    ctl_reply_error(&b, NULL);
    cr_assert_str_eq(b.p, "{\"ok\":false,\"error\":\"error\"}\n");
    cr_assert_eq(cbuf_error(&b), 0);
    cbuf_release(&b);
}

Test(ctl, hostile_strings_are_escaped)
{
    static const char *const hostile[] = {
        "\"},\"ok\":true,\"x\":\"",
        "back\\slash \\\" \\u0000",
        "line\nbreak\r\n{\"ok\":true}\n",
        "\x01\x02\x1f\x7f tab\t",
        "\xff\xfe invalid \xc3\x28 utf8 \xed\xa0\x80 surrogate \xf4\x90\x80\x80",
        "\xe2\x80\xa8 U+2028 \xe2\x80\xa9 U+2029",
        "</script><!--",
        "",
    };
    cbuf b;
    cbuf_init(&b);
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        cbuf_clear(&b);
        ctl_reply_error(&b, hostile[i]);
        one_json_line(b.p);
        cr_assert_eq(strncmp(b.p, "{\"ok\":false,\"error\":\"", 21), 0, "%s", b.p);
        cbuf_clear(&b);
        ctl_reply_ok(&b);
        ctl_reply_str(&b, hostile[i], hostile[i]); /* even a hostile key */
        ctl_reply_end(&b);
        one_json_line(b.p);
        cr_assert_eq(strncmp(b.p, "{\"ok\":true,\"", 12), 0, "%s", b.p);
    }
    cbuf_clear(&b);
    ctl_reply_error(&b, "\"},\"ok\":true,\"x\":\"");
    cr_assert_str_eq(b.p, "{\"ok\":false,\"error\":\"\\\"},\\\"ok\\\":true,\\\"x\\\":\\\"\"}\n");
    cbuf_clear(&b);
    ctl_reply_error(&b, "a\nb\\c\x01");
    cr_assert_str_eq(b.p, "{\"ok\":false,\"error\":\"a\\nb\\\\c\\u0001\"}\n");
    cbuf_clear(&b);
    ctl_reply_error(&b, "\xff");
    cr_assert_str_eq(b.p, "{\"ok\":false,\"error\":\"\\ufffd\"}\n");
    cbuf_release(&b);
}

Test(ctl, help_lists_every_verb)
{
    cbuf b;
    cbuf_init(&b);
    ctl_reply_help(&b);
    one_json_line(b.p);
    cr_assert_eq(strncmp(b.p, "{\"ok\":true,\"verbs\":[{\"verb\":\"status\",", 37), 0, "%s", b.p);
    size_t n;
    const ctl_verb_def *d = ctl_verbs(&n);
    for (size_t i = 0; i < n; i++) {
        char want[128];
        snprintf(want, sizeof want, "{\"verb\":\"%s\",\"usage\":\"%s\",\"changes\":%s,", d[i].name,
                 d[i].usage, d[i].changes ? "true" : "false");
        cr_assert_not_null(strstr(b.p, want), "%s", want);
    }
    cbuf_release(&b);
}

/* docs/control.md's verb table lists exactly the verbs, in table order, with
 * their usage and whether they change state. */
Test(ctl, docs_list_exactly_the_verbs)
{
    const char *src = getenv("CLAIMD_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/docs/control.md", src ? src : ".");
    char *doc = tu_slurp(path, NULL);
    cr_assert_not_null(doc, "cannot read %s", path);
    char *sec = strstr(doc, "\n## Verbs\n");
    cr_assert_not_null(sec);
    char *end = strstr(sec + 1, "\n## ");
    cr_assert_not_null(end);
    size_t n, i = 0;
    const ctl_verb_def *d = ctl_verbs(&n);
    for (char *l = sec; l && l < end; l = strchr(l + 1, '\n')) {
        if (strncmp(l, "\n| `", 4) != 0)
            continue;
        char *u = l + 4, *q = strchr(u, '`');
        cr_assert_not_null(q);
        cr_assert_lt(i, n, "docs list more verbs than the table");
        char want[128];
        snprintf(want, sizeof want, "%s` | %s |", d[i].usage, d[i].changes ? "yes" : "no");
        cr_assert_eq(strncmp(u, want, strlen(want)), 0, "docs row %zu: want `%s", i, want);
        i++;
    }
    cr_assert_eq(i, n, "docs/control.md lists %zu verbs, the table has %zu", i, n);
    free(doc);
}
