/* systemd_test: the packaging's systemd files (systemd/) agree with the
 * daemon's contract and with each other: the shipped config parses with
 * cfg_parse and puts every path where the unit lets the daemon write; the
 * service is Type=notify with SIGHUP reload, a watchdog, EPERM for filtered
 * system calls and the ENGINEERING.md §4 hardening; the socket unit listens
 * on the config's socket path with its group; sysusers.d and tmpfiles.d make
 * the user and folders. `systemd-analyze verify` itself runs in the ctest
 * test systemd_verify (systemd/tests/verify.sh). */
#include "claimd/cfg.h"
#include "testutil.h"

#include <stdbool.h>

static char err[256];

/* Reads SOURCE/systemd/NAME (heap, NUL-terminated). */
static char *sd_read(const char *name)
{
    const char *src = getenv("CLAIMD_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/systemd/%s", src ? src : ".", name);
    char *text = tu_slurp(path, NULL);
    cr_assert_not_null(text, "cannot read %s (set CLAIMD_SOURCE_DIR)", path);
    return text;
}

static cfg *sd_config(void)
{
    char *text = sd_read("claimd.conf");
    cfg *c = NULL;
    int rc = cfg_parse(text, strlen(text), &c, err, sizeof err);
    cr_assert_eq(rc, 0, "systemd/claimd.conf does not parse (%d): %s", rc, err);
    free(text);
    return c;
}

/* Calls fn for every "Key=value" line of section sec (comments and blank
 * lines skipped; "[Section]" headers tracked). The line is passed without
 * its end. Stops when fn returns true; returns whether one did. */
typedef bool (*line_fn)(const char *line, size_t len, void *ctx);

static bool unit_each(const char *text, const char *sec, line_fn fn, void *ctx)
{
    char cur[64] = "";
    for (const char *l = text; *l;) {
        const char *e = strchr(l, '\n');
        size_t len = e ? (size_t)(e - l) : strlen(l);
        if (len && l[0] == '[' && l[len - 1] == ']' && len - 2 < sizeof cur) {
            memcpy(cur, l + 1, len - 2);
            cur[len - 2] = 0;
        } else if (len && l[0] != '#' && l[0] != ';' && strcmp(cur, sec) == 0) {
            if (fn(l, len, ctx))
                return true;
        }
        l += len + (e ? 1 : 0);
    }
    return false;
}

static bool eq_line(const char *line, size_t len, void *ctx)
{
    const char *want = ctx;
    return strlen(want) == len && memcmp(line, want, len) == 0;
}

/* Whether section sec holds exactly the line want. */
static bool unit_has(const char *text, const char *sec, const char *want)
{
    return unit_each(text, sec, eq_line, (void *)want);
}

typedef struct get_ctx {
    const char *key;
    char val[1024];
    int n;
} get_ctx;

static bool get_line(const char *line, size_t len, void *ctx)
{
    get_ctx *g = ctx;
    size_t k = strlen(g->key);
    if (len > k && memcmp(line, g->key, k) == 0 && line[k] == '=') {
        size_t v = len - k - 1;
        cr_assert_lt(v, sizeof g->val);
        memcpy(g->val, line + k + 1, v);
        g->val[v] = 0;
        g->n++;
    }
    return false;
}

/* The value of key in section sec (the last assignment), asserting it is
 * set once. */
static const char *unit_get(const char *text, const char *sec, const char *key, get_ctx *g)
{
    g->key = key;
    g->n = 0;
    unit_each(text, sec, get_line, g);
    cr_assert_eq(g->n, 1, "[%s] %s= is set %d times, want once", sec, key, g->n);
    return g->val;
}

/* Seconds of a systemd time span written as "N", "Ns" or "Nmin". */
static unsigned span_seconds(const char *v)
{
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    cr_assert_neq(end, v, "not a time span: %s", v);
    if (*end == 0 || strcmp(end, "s") == 0)
        return (unsigned)n;
    if (strcmp(end, "min") == 0)
        return (unsigned)n * 60;
    cr_assert_fail("unexpected time span unit: %s", v);
    return 0;
}

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

Test(systemd, config_parses_with_the_daemon_parser)
{
    cfg *c = sd_config();
    cr_assert_str_eq(c->spool, "/var/lib/claimd/spool");
    cr_assert_str_eq(c->state_dir, "");
    cr_assert_str_eq(c->tables, "default");
    cr_assert_str_eq(c->socket, "/run/claimd/ctl.sock");
    cr_assert_str_eq(c->socket_group, "claimd");
    cr_assert_str_eq(c->audit_log, "/var/log/claimd/audit.log");
    cr_assert_eq(c->threads, 0, "threads = auto");
    cr_assert_eq(c->shutdown_grace_seconds, 30);
    /* what cfg_print writes of it reads back as the same settings */
    cbuf b;
    cbuf_init(&b);
    cr_assert_eq(cfg_print(c, &b), 0);
    cfg *again = NULL;
    cr_assert_eq(cfg_parse(b.p, b.len, &again, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(again->socket, c->socket);
    cr_assert_str_eq(again->spool, c->spool);
    cfg_free(again);
    cbuf_release(&b);
    cfg_free(c);
}

Test(systemd, service_has_the_required_lines)
{
    char *u = sd_read("claimd.service.in");
    static const char *const unit[] = {"Requires=claimd.socket", "After=claimd.socket"};
    static const char *const svc[] = {
        "Type=notify",
        "NotifyAccess=main",
        ("ExecStart=@CMAKE_INSTALL_FULL_BINDIR@/claimd --config "
         "@CMAKE_INSTALL_FULL_SYSCONFDIR@/claimd/claimd.conf"),
        "ExecReload=/bin/kill -HUP $MAINPID",
        "WatchdogSec=30s",
        "Restart=on-failure",
        "User=claimd",
        "Group=claimd",
        "UMask=0027",
        "StateDirectory=claimd",
        "RuntimeDirectory=claimd",
        "RuntimeDirectoryPreserve=yes",
        "LogsDirectory=claimd",
        /* ENGINEERING.md §4 */
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "PrivateDevices=yes",
        "NoNewPrivileges=yes",
        "RestrictAddressFamilies=AF_UNIX",
        "MemoryDenyWriteExecute=yes",
        "LockPersonality=yes",
        "RestrictNamespaces=yes",
        "ProtectKernelTunables=yes",
        "ProtectKernelModules=yes",
        "ProtectControlGroups=yes",
        "SystemCallArchitectures=native",
        "CapabilityBoundingSet=",
        "SystemCallFilter=@system-service",
        "SystemCallErrorNumber=EPERM",
    };
    for (size_t i = 0; i < sizeof unit / sizeof *unit; i++)
        cr_expect(unit_has(u, "Unit", unit[i]), "claimd.service.in [Unit] lacks %s", unit[i]);
    for (size_t i = 0; i < sizeof svc / sizeof *svc; i++)
        cr_expect(unit_has(u, "Service", svc[i]), "claimd.service.in [Service] lacks %s", svc[i]);
    cr_expect(unit_has(u, "Install", "WantedBy=multi-user.target"));
    /* io_uring is in @aio: blocking it would leave only the fallbacks;
     * notify-reload needs systemd 253; DynamicUser would not own the
     * sysusers.d user's files */
    cr_expect_null(strstr(u, "~@aio"), "io_uring (@aio) must stay allowed");
    cr_expect(!unit_has(u, "Service", "Type=notify-reload"),
              "Type=notify-reload needs systemd >= 253");
    cr_expect(!unit_has(u, "Service", "DynamicUser=yes"));
    free(u);
}

/* SIGTERM gives jobs shutdown_grace_seconds: systemd must not SIGKILL
 * before that, and the watchdog must leave the daemon time to ping. */
Test(systemd, stop_timeout_above_the_grace_period)
{
    cfg *c = sd_config();
    char *u = sd_read("claimd.service.in");
    get_ctx g;
    unsigned stop = span_seconds(unit_get(u, "Service", "TimeoutStopSec", &g));
    cr_assert_gt(stop, c->shutdown_grace_seconds, "TimeoutStopSec=%us is not above the grace %us",
                 stop, c->shutdown_grace_seconds);
    cr_assert_geq(stop, c->shutdown_grace_seconds + 5, "leave the daemon time to exit");
    unsigned wd = span_seconds(unit_get(u, "Service", "WatchdogSec", &g));
    cr_assert_geq(wd, 10);
    free(u);
    cfg_free(c);
}

/* The socket unit listens where the config says, in the service's runtime
 * directory, with the config's group, and activates claimd.service. */
Test(systemd, socket_matches_the_config)
{
    cfg *c = sd_config();
    char *s = sd_read("claimd.socket");
    char *u = sd_read("claimd.service.in");
    get_ctx g;
    cr_assert_str_eq(unit_get(s, "Socket", "ListenStream", &g), c->socket);
    cr_assert_leq(strlen(c->socket), CFG_SOCKET_MAX);
    cr_assert_str_eq(unit_get(s, "Socket", "SocketGroup", &g), c->socket_group);
    cr_assert_str_eq(unit_get(s, "Socket", "SocketMode", &g), "0660");
    cr_assert_str_eq(unit_get(s, "Socket", "Service", &g), "claimd.service");
    cr_assert(unit_has(s, "Install", "WantedBy=sockets.target"));
    char run[128];
    snprintf(run, sizeof run, "/run/%s/", unit_get(u, "Service", "RuntimeDirectory", &g));
    cr_assert(has_prefix(c->socket, run), "socket %s is not in RuntimeDirectory %s", c->socket,
              run);
    free(u);
    free(s);
    cfg_free(c);
}

/* Under ProtectSystem=strict the daemon writes only to its StateDirectory=,
 * LogsDirectory= and RuntimeDirectory=: every path it writes is in one. */
Test(systemd, config_paths_are_writable_under_the_unit)
{
    cfg *c = sd_config();
    char *u = sd_read("claimd.service.in");
    get_ctx g;
    char state[128], logs[128];
    snprintf(state, sizeof state, "/var/lib/%s/", unit_get(u, "Service", "StateDirectory", &g));
    snprintf(logs, sizeof logs, "/var/log/%s/", unit_get(u, "Service", "LogsDirectory", &g));
    cr_assert(has_prefix(c->spool, state), "spool %s is not under %s", c->spool, state);
    /* an empty state_dir is SPOOL/state */
    cr_assert(c->state_dir[0] == 0 || has_prefix(c->state_dir, state));
    cr_assert(has_prefix(c->audit_log, logs), "audit_log %s is not under %s", c->audit_log, logs);
    free(u);
    cfg_free(c);
}

/* sysusers.d makes the unit's User=/Group= (home: the state directory);
 * tmpfiles.d makes the spool and its inbox for that user, never aged. */
Test(systemd, sysusers_and_tmpfiles_make_the_user_and_folders)
{
    cfg *c = sd_config();
    char *su = sd_read("claimd.sysusers");
    cr_assert_not_null(
        strstr(su, "\nu claimd - \"claimd claims scrubbing daemon\" /var/lib/claimd "),
        "sysusers.d: no `u claimd` line with home /var/lib/claimd");
    free(su);
    char *tf = sd_read("claimd.tmpfiles");
    char want[1200];
    const char *dirs[] = {c->spool, "/var/lib/claimd/spool/inbox", "/run/claimd",
                          "/var/log/claimd"};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        bool found = false;
        for (const char *l = tf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
            char type[8], path[1024], mode[8], user[64], group[64], age[16];
            if (sscanf(l, "%7s %1023s %7s %63s %63s %15s", type, path, mode, user, group, age) !=
                    6 ||
                strcmp(path, dirs[i]) != 0)
                continue;
            found = true;
            cr_expect_str_eq(type, "d", "%s", path);
            cr_expect_str_eq(user, "claimd", "%s", path);
            cr_expect_str_eq(group, "claimd", "%s", path);
            cr_expect_str_eq(age, "-", "%s must not be cleaned by age", path);
            cr_expect_eq(strtol(mode, NULL, 8) & 07, 0, "%s is open to others (%s)", path, mode);
        }
        snprintf(want, sizeof want, "tmpfiles.d has no line for %s", dirs[i]);
        cr_expect(found, "%s", want);
    }
    free(tf);
    cfg_free(c);
}
