/* claimd parse [--out DIR] [--hold-bytes N] FILE...
 *
 * Prints one JSON line per claim (clm_json) with its transaction's 999
 * verdict, and with --out writes DIR/NAME.999 and, when one is owed,
 * DIR/NAME.ta1. Claims arrive before their transaction's verdict, so each
 * transaction's rendered claims are held (in memory up to --hold-bytes, then
 * in an unlinked temporary file) and printed at txn_end.
 *
 * stderr carries file names, control numbers, versions, counts and error
 * text only: never a claim field (PHI).
 */
#define _POSIX_C_SOURCE 200809L

#include "claimd/ack.h"
#include "claimd/cbuf.h"
#include "claimd/clm_json.h"
#include "claimd/error.h"
#include "claimd/log.h"
#include "claimd/ofile.h"
#include "claimd/x12.h"
#include "claimd/xfeed.h"
#include "cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PARSE_HOLD_DEFAULT ((size_t)4 << 20)
#define PARSE_MOD          "parse"

typedef struct parse_totals {
    unsigned files, failed;
    uint64_t claims;
    uint64_t txn_acc, txn_rej;
} parse_totals;

/* One transaction's claims, each a JSON object missing its ik5 close and
 * ended by '\n' (JSON strings never hold a raw newline). */
typedef struct parse_hold {
    cbuf mem;
    size_t max;  /* bytes kept in memory before spilling */
    FILE *spill; /* unlinked temporary file, created on first need */
    bool spilling;
} parse_hold;

typedef struct parse_ctx {
    const char *name; /* the input's base name, for messages */
    FILE *out;
    cbuf one; /* the claim being rendered */
    parse_hold hold;
    parse_totals *tot;
    char isa13[10], gs06[10];
    bool group_unsupported;
    int err; /* first output error (-errno / -ENOMEM) */
} parse_ctx;

/* ---- holding a transaction's claims ------------------------------------ */

static FILE *parse_spill_open(void)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/claimd-parse-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    unlink(path); /* the claims (PHI) vanish with the process */
    FILE *f = fdopen(fd, "w+");
    if (!f)
        close(fd);
    return f;
}

static int parse_hold_put(parse_hold *h, const char *p, size_t n)
{
    if (!h->spilling && h->mem.len + n <= h->max) {
        cbuf_append(&h->mem, p, n);
        return cbuf_error(&h->mem);
    }
    if (!h->spilling) {
        if (!h->spill && !(h->spill = parse_spill_open()))
            return -errno;
        if (h->mem.len && fwrite(h->mem.p, 1, h->mem.len, h->spill) != h->mem.len)
            return -EIO;
        cbuf_clear(&h->mem);
        h->spilling = true;
    }
    return fwrite(p, 1, n, h->spill) == n ? 0 : -EIO;
}

/* Writes p[0..n), putting sfx in place of every '\n' (the end of a claim). */
static void parse_emit(FILE *out, const char *p, size_t n, const cbuf *sfx)
{
    while (n) {
        const char *nl = memchr(p, '\n', n);
        size_t k = nl ? (size_t)(nl - p) : n;
        fwrite(p, 1, k, out);
        if (!nl)
            break;
        fwrite(sfx->p, 1, sfx->len, out);
        p += k + 1;
        n -= k + 1;
    }
}

/* Prints every held claim with the verdict, then empties the hold. */
static int parse_hold_flush(parse_hold *h, FILE *out, char ik5)
{
    cbuf sfx;
    cbuf_init(&sfx);
    clm_json_render_close(&sfx, ik5);
    cbuf_putc(&sfx, '\n');
    int rc = cbuf_error(&sfx);
    if (rc == 0 && !h->spilling)
        parse_emit(out, h->mem.p, h->mem.len, &sfx);
    if (rc == 0 && h->spilling) {
        char buf[65536];
        size_t n;
        if (fflush(h->spill) != 0 || fseeko(h->spill, 0, SEEK_SET) != 0)
            rc = -EIO;
        /* a claim may straddle two chunks: parse_emit only reacts to '\n' */
        while (rc == 0 && (n = fread(buf, 1, sizeof buf, h->spill)) > 0)
            parse_emit(out, buf, n, &sfx);
        if (rc == 0 && ferror(h->spill))
            rc = -EIO;
        if (fseeko(h->spill, 0, SEEK_SET) != 0 || ftruncate(fileno(h->spill), 0) != 0)
            rc = rc ? rc : -EIO;
        h->spilling = false;
    }
    cbuf_clear(&h->mem);
    cbuf_release(&sfx);
    if (rc == 0 && ferror(out))
        rc = -EIO;
    return rc;
}

/* ---- sink --------------------------------------------------------------- */

/* Copies an input value for a message: printable ASCII only, bounded. */
static void parse_safe(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (src[i] > 0x20 && src[i] < 0x7f) ? src[i] : '?';
    dst[i] = 0;
}

static bool parse_version_ok(const char *v)
{
    return strncmp(v, "005010X222", 10) == 0 || strncmp(v, "005010X223", 10) == 0;
}

static int parse_on_ichg_begin(void *ctx, const x12_isa *isa)
{
    parse_ctx *p = ctx;
    parse_safe(p->isa13, sizeof p->isa13, isa->ctrl);
    return 0;
}

static int parse_on_group_begin(void *ctx, const x12_gs *gs)
{
    parse_ctx *p = ctx;
    char ver[sizeof gs->version];
    parse_safe(p->gs06, sizeof p->gs06, gs->ctrl);
    parse_safe(ver, sizeof ver, gs->version);
    p->group_unsupported = !parse_version_ok(gs->version);
    if (p->group_unsupported)
        log_err(PARSE_MOD,
                "%s: interchange %s group %s: version %s is not supported (5010 837P "
                "005010X222A1 and 837I 005010X223A2 only); rejected in the 999",
                p->name, p->isa13, p->gs06, ver[0] ? ver : "(none)");
    return 0;
}

static int parse_on_txn_begin(void *ctx, const x12_st *st)
{
    (void)st;
    parse_ctx *p = ctx;
    cbuf_clear(&p->hold.mem);
    return 0;
}

static int parse_on_claim(void *ctx, const clm_claim *c)
{
    parse_ctx *p = ctx;
    cbuf_clear(&p->one);
    clm_json_render_open(&p->one, c);
    cbuf_putc(&p->one, '\n');
    int rc = cbuf_error(&p->one);
    if (rc == 0)
        rc = parse_hold_put(&p->hold, p->one.p, p->one.len);
    p->tot->claims++;
    if (rc)
        p->err = rc;
    return rc;
}

static int parse_on_txn_end(void *ctx, const x12_txn_result *r)
{
    parse_ctx *p = ctx;
    if (r->st && r->st->type == CLM_TYPE_NONE && !p->group_unsupported) {
        char id[sizeof r->st->id], ctl[sizeof r->st->ctrl], impl[sizeof r->st->impl];
        parse_safe(id, sizeof id, r->st->id);
        parse_safe(ctl, sizeof ctl, r->st->ctrl);
        parse_safe(impl, sizeof impl, r->st->impl);
        log_err(PARSE_MOD,
                "%s: interchange %s group %s transaction %s: %s %s is not supported; "
                "rejected in the 999",
                p->name, p->isa13, p->gs06, ctl, id, impl[0] ? impl : "(no version)");
    }
    if (r->verdict == 'R')
        p->tot->txn_rej++;
    else
        p->tot->txn_acc++;
    int rc = parse_hold_flush(&p->hold, p->out, r->verdict);
    if (rc)
        p->err = rc;
    return rc;
}

static int parse_on_ichg_end(void *ctx, const x12_ichg_result *r)
{
    parse_ctx *p = ctx;
    for (uint32_t i = 0; i < r->nerrs; i++) {
        if (r->errs[i].level != X12_ERR_ICHG)
            continue;
        log_warn(PARSE_MOD, "%s: interchange %s: envelope error, TA1 %c with note %03u", p->name,
                 p->isa13, r->verdict ? r->verdict : '?', r->errs[i].code % 1000u);
        break;
    }
    return 0;
}

/* ---- output files ------------------------------------------------------- */

static int parse_write_acks(const char *dir, const char *name, const ack_999 *ack)
{
    size_t n999, nta1;
    const char *t999 = ack_999_text(ack, &n999);
    const char *ta1 = ack_ta1_text(ack, &nta1);
    int rc = ofile_write_atomic(dir, name, "999", n999 ? t999 : NULL, n999);
    if (rc == 0)
        rc = ofile_write_atomic(dir, name, "ta1", ta1, nta1);
    if (rc)
        log_err(PARSE_MOD, "%s: cannot write its acknowledgments in %s: %s", name, dir,
                claimd_strerror(rc));
    return rc;
}

/* ---- one file ----------------------------------------------------------- */

static const char *parse_base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int parse_walk(parse_ctx *p, ack_999 *ack, const char *path)
{
    const x12_sink sink = {.ctx = p,
                           .ichg_begin = parse_on_ichg_begin,
                           .group_begin = parse_on_group_begin,
                           .txn_begin = parse_on_txn_begin,
                           .claim = parse_on_claim,
                           .txn_end = parse_on_txn_end,
                           .ichg_end = parse_on_ichg_end};
    uint64_t off = 0;
    int rc = xfeed_walk_acked(path, ack, &sink, &off);
    if (rc == -CLAIMD_EX12_STOPPED)
        rc = p->err ? p->err : ack_999_error(ack);
    bool walk_err = rc <= -CLAIMD_EBASE && rc > -CLAIMD_ETBL_BASE;
    if (rc && !walk_err)
        log_err(PARSE_MOD, "%s: %s", p->name, claimd_strerror(rc));
    else if (rc)
        log_err(PARSE_MOD, "%s: %s (at byte %" PRIu64 ")", p->name, claimd_strerror(rc), off);
    /* claims of a transaction the walk never finished have no verdict */
    if (p->hold.mem.len || p->hold.spilling)
        parse_hold_flush(&p->hold, p->out, 0);
    return rc;
}

static int parse_file(const char *path, const char *outdir, size_t hold_max, parse_totals *tot)
{
    parse_ctx p = {.name = parse_base(path), .out = stdout, .tot = tot};
    cbuf_init(&p.one);
    cbuf_init(&p.hold.mem);
    p.hold.max = hold_max;
    ack_999 *ack = NULL;
    /* a line break after each segment: easier to read, and every X12 reader
     * skips it */
    ack_opts ao = {.newline = 1};
    int rc = ack_999_create(&ao, &ack);
    if (rc == 0)
        rc = parse_walk(&p, ack, path);
    else
        log_err(PARSE_MOD, "%s: %s", p.name, claimd_strerror(rc));
    if (outdir && ack) {
        int wrc = parse_write_acks(outdir, p.name, ack);
        rc = rc ? rc : wrc;
    }
    ack_999_free(ack);
    if (p.hold.spill)
        fclose(p.hold.spill);
    cbuf_release(&p.hold.mem);
    cbuf_release(&p.one);
    return rc;
}

/* ---- arguments ---------------------------------------------------------- */

static void parse_usage(void)
{
    fputs("usage: claimd parse [--out DIR] [--hold-bytes N] FILE...\n", stderr);
}

static int parse_outdir(const char *dir)
{
    if (mkdir(dir, 0750) == 0 || errno == EEXIST)
        return 0;
    int rc = -errno;
    log_err(PARSE_MOD, "cannot create %s: %s", dir, claimd_strerror(rc));
    return rc;
}

int cmd_parse_main(int argc, char **argv)
{
    const char *outdir = NULL;
    size_t hold_max = PARSE_HOLD_DEFAULT;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            outdir = argv[++i];
        } else if (strcmp(argv[i], "--hold-bytes") == 0 && i + 1 < argc) {
            hold_max = (size_t)strtoull(argv[++i], NULL, 10);
        } else {
            parse_usage();
            return 2;
        }
    }
    if (i >= argc) {
        parse_usage();
        return 2;
    }
    if (outdir && parse_outdir(outdir) != 0)
        return 1;
    static char obuf[1 << 16];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    parse_totals tot = {0};
    for (; i < argc; i++) {
        tot.files++;
        if (parse_file(argv[i], outdir, hold_max, &tot) != 0)
            tot.failed++;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        log_err(PARSE_MOD, "cannot write the claims to stdout");
        tot.failed++;
    }
    log_notice(PARSE_MOD,
               "%u files (%u failed), %" PRIu64 " claims, %" PRIu64 " transactions: %" PRIu64
               " accepted, %" PRIu64 " rejected",
               tot.files, tot.failed, tot.claims, tot.txn_acc + tot.txn_rej, tot.txn_acc,
               tot.txn_rej);
    return tot.failed ? 1 : 0;
}
