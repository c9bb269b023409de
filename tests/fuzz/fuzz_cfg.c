/* libFuzzer target: the config parser (cfg.h) on arbitrary bytes.
 *
 * The input is parsed from an exactly-sized heap copy (so a read past the end
 * is an ASan error). A refused input must leave *out alone and give a
 * message of printable ASCII naming its line. An accepted one must print to
 * a text that parses back and prints the same (printing and parsing agree on
 * quoting). The input's first line is also tried as a command-line override
 * ("key=value" through cfg_set): a refused override leaves the cfg as it was.
 */
#define _POSIX_C_SOURCE 200809L /* strnlen */

#include "claimd/cfg.h"
#include "claimd/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FC_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "cfg fuzz: contract violated: %s (%s:%d)\n", #cond, __FILE__,          \
                    __LINE__);                                                                     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fc_check_msg(const char *err, size_t cap)
{
    size_t n = strnlen(err, cap);
    FC_CHECK(n > 0 && n < cap);
    for (size_t i = 0; i < n; i++)
        FC_CHECK(err[i] >= 0x20 && err[i] < 0x7f);
}

static char *fc_print(const cfg *c)
{
    cbuf b;
    cbuf_init(&b);
    FC_CHECK(cfg_print(c, &b) == 0);
    return b.p;
}

/* Printing and parsing agree: print(parse(print(c))) == print(c). */
static void fc_round_trip(const cfg *c)
{
    char err[256];
    char *t = fc_print(c);
    cfg *r = NULL;
    int rc = cfg_parse(t, strlen(t), &r, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "cfg fuzz: printed config does not parse: %s\n%s", err, t);
    FC_CHECK(rc == 0);
    char *t2 = fc_print(r);
    FC_CHECK(strcmp(t, t2) == 0);
    free(t);
    free(t2);
    cfg_free(r);
}

/* The first line as "key=value" through cfg_set. */
static void fc_override(cfg *c, const char *buf, size_t size)
{
    const char *nl = memchr(buf, '\n', size);
    size_t n = nl ? (size_t)(nl - buf) : size;
    const char *eq = memchr(buf, '=', n);
    if (!eq || n > 2048)
        return;
    char kv[2050];
    memcpy(kv, buf, n);
    kv[n] = 0;
    kv[eq - buf] = 0;
    char err[256];
    char *before = fc_print(c);
    int rc = cfg_set(c, kv, kv + (eq - buf) + 1, err, sizeof err);
    if (rc < 0) {
        FC_CHECK(rc == -CLAIMD_ECFG_UNKNOWN_KEY || rc == -CLAIMD_ECFG_BAD_VALUE ||
                 rc == -CLAIMD_ECFG_TOO_MANY);
        fc_check_msg(err, sizeof err);
        char *after = fc_print(c);
        FC_CHECK(strcmp(before, after) == 0);
        free(after);
    } else {
        fc_round_trip(c);
    }
    free(before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);
    char err[256];
    cfg *c = (cfg *)0x1;
    int rc = cfg_parse(buf, size, &c, err, sizeof err);
    if (rc < 0) {
        FC_CHECK(c == (cfg *)0x1);
        FC_CHECK(rc <= -CLAIMD_ECFG_TOO_BIG && rc >= -CLAIMD_ECFG_TOO_MANY);
        fc_check_msg(err, sizeof err);
        FC_CHECK(strncmp(err, "line ", 5) == 0);
    } else {
        FC_CHECK(rc == 0 && c != NULL);
        FC_CHECK(c->threads <= CFG_THREADS_MAX && c->nroots <= CFG_ROOTS_MAX);
        FC_CHECK(strlen(c->socket) <= CFG_SOCKET_MAX && c->spool[0] && c->tables[0]);
        fc_round_trip(c);
        fc_override(c, buf, size);
        cfg_free(c);
    }
    free(buf);
    return 0;
}
