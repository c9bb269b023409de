/* claimdb: build, inspect, verify and activate code-table versions.
 *
 *   claimdb build --out DIR [--name NAME] [--icd10cm FILE[@FROM:TO]] ... SOURCES
 *   claimdb info DIR [--json]
 *   claimdb get DIR TABLE KEY [--date YYYYMMDD] [--json]
 *   claimdb verify DIR
 *   claimdb activate ROOT NAME
 *
 * DIR is a version directory or a ROOT (its current version), or "default"
 * for the embedded default version. */
#define _GNU_SOURCE
#include "claimd/error.h"
#include "claimd/tables.h"
#include "claimd/tbl_default.h"
#include "claimd/tblsrc.h"
#include "claimdb_print.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

static void usage(void)
{
    fprintf(
        stderr,
        "usage: claimdb build --out DIR [--name NAME] SOURCES...\n"
        "         SOURCES: --icd10cm --hcpcs --pprrvu --gpci --zip5 --zip9 --ncci-ptp\n"
        "                  --mue --pos --age-sex --modifiers --oppscap FILE[@YYYYMMDD:YYYYMMDD]\n"
        "       claimdb info DIR [--json]\n"
        "       claimdb get DIR TABLE KEY [--date YYYYMMDD] [--json]\n"
        "       claimdb verify DIR\n"
        "       claimdb activate ROOT NAME\n"
        "DIR: a version directory, a ROOT (its current version) or \"default\"\n");
}

static const struct {
    const char *flag;
    tblsrc_kind kind;
} flags[] = {
    {"--icd10cm", TBLSRC_ICD10CM},
    {"--hcpcs", TBLSRC_HCPCS},
    {"--pprrvu", TBLSRC_PPRRVU},
    {"--gpci", TBLSRC_GPCI},
    {"--zip5", TBLSRC_ZIP5},
    {"--zip9", TBLSRC_ZIP9},
    {"--ncci-ptp", TBLSRC_NCCI_PTP},
    {"--mue", TBLSRC_MUE},
    {"--pos", TBLSRC_POS},
    {"--age-sex", TBLSRC_AGESEX},
    {"--modifiers", TBLSRC_MODIFIERS},
    {"--oppscap", TBLSRC_OPPSCAP},
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_date(const char *s, uint32_t *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (end - s != 8 || *end || v < 19000101 || v > 99991231 || v % 100 == 0 || v % 100 > 31 ||
        v / 100 % 100 == 0 || v / 100 % 100 > 12)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* FILE or FILE@FROM:TO */
static int parse_source(const char *arg, char *path, size_t len, tbl_period *p)
{
    snprintf(path, len, "%s", arg);
    *p = (tbl_period){0, 0};
    char *at = strrchr(path, '@');
    if (!at)
        return 0;
    char *colon = strchr(at, ':');
    if (!colon)
        return -1;
    *at = 0;
    *colon = 0;
    if (parse_date(at + 1, &p->from) || parse_date(colon + 1, &p->to) || p->from > p->to)
        return -1;
    return 0;
}

static int import_one(tbl_build *b, tblsrc_kind kind, const char *arg, uint64_t *total)
{
    char path[PATH_MAX];
    tbl_period per;
    if (parse_source(arg, path, sizeof path, &per) < 0) {
        fprintf(stderr, "claimdb: %s: bad period (FILE@YYYYMMDD:YYYYMMDD)\n", arg);
        return -EINVAL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        fprintf(stderr, "claimdb: %s: %s\n", path, strerror(e));
        if (fd >= 0)
            close(fd);
        return -e;
    }
    size_t len = (size_t)st.st_size;
    const char *buf = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : "";
    close(fd);
    if (buf == MAP_FAILED) {
        fprintf(stderr, "claimdb: %s: %s\n", path, strerror(errno));
        return -errno;
    }
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    tblsrc_opts opts = {.kind = kind, .period = per, .name = base};
    tblsrc_stats stats = {0};
    tblsrc_err err = {0};
    double t0 = now_s();
    int rc = tblsrc_import(buf, len, &opts, tbl_build_emit, b, &stats, &err);
    double dt = now_s() - t0;
    tbl_source src;
    memset(&src, 0, sizeof src);
    if (rc == 0) {
        XXH128_canonical_t c;
        XXH128_canonicalFromHash(&c, XXH3_128bits(buf, len));
        int o = snprintf(src.checksum, sizeof src.checksum, "xxh3-128:");
        for (int i = 0; i < 16; i++)
            o += snprintf(src.checksum + o, sizeof src.checksum - (size_t)o, "%02x", c.digest[i]);
    }
    if (len)
        munmap((void *)buf, len);
    if (rc < 0) {
        if (err.line)
            fprintf(stderr, "claimdb: %s:%llu:%u: %s\n", path, (unsigned long long)err.line,
                    err.column, err.why[0] ? err.why : claimd_strerror(rc));
        else
            fprintf(stderr, "claimdb: %s: %s\n", path, err.why[0] ? err.why : claimd_strerror(rc));
        return rc;
    }
    snprintf(src.kind, sizeof src.kind, "%s", tblsrc_kind_name(kind));
    snprintf(src.name, sizeof src.name, "%.*s", (int)sizeof src.name - 1, base);
    src.size = len;
    src.rows = stats.rows;
    src.skipped = stats.skipped;
    src.mismatches = stats.mismatches;
    src.period = per.from ? per : stats.period;
    fprintf(stderr, "claimdb: %-9s %s: %llu rows in %.2f s (%.0f rows/s)", src.kind, base,
            (unsigned long long)stats.rows, dt, dt > 0 ? (double)stats.rows / dt : 0.0);
    if (stats.mismatches)
        fprintf(stderr, ", %llu total mismatches", (unsigned long long)stats.mismatches);
    fprintf(stderr, "\n");
    *total += stats.rows;
    return tbl_build_source(b, &src);
}

static int find_flag(const char *a)
{
    for (size_t f = 0; f < sizeof flags / sizeof flags[0]; f++)
        if (strcmp(a, flags[f].flag) == 0)
            return (int)f;
    return -1;
}

static void print_stats(const tbl_table_stats *ts)
{
    for (int t = 0; t < TBL_TABLE_COUNT; t++)
        if (ts[t].rows)
            fprintf(
                stderr,
                "claimdb: table %-9s %10llu rows %9llu keys %7llu duplicates %10llu index bytes\n",
                tbl_table_name((tbl_table)t), (unsigned long long)ts[t].rows,
                (unsigned long long)ts[t].groups, (unsigned long long)ts[t].duplicates,
                (unsigned long long)ts[t].index_bytes);
}

static int cmd_build(int argc, char **argv)
{
    const char *out = NULL, *name = NULL;
    for (int i = 0; i < argc; i += 2) {
        if (i + 1 >= argc || (strcmp(argv[i], "--out") != 0 && strcmp(argv[i], "--name") != 0 &&
                              find_flag(argv[i]) < 0)) {
            fprintf(stderr, "claimdb: %s: %s\n", argv[i],
                    i + 1 >= argc ? "needs a value" : "unknown option");
            usage();
            return 2;
        }
        if (strcmp(argv[i], "--out") == 0)
            out = argv[i + 1];
        else if (strcmp(argv[i], "--name") == 0)
            name = argv[i + 1];
    }
    if (!out) {
        usage();
        return 2;
    }
    struct stat st;
    if (stat(out, &st) == 0) {
        fprintf(stderr, "claimdb: %s exists: a version is built into a new directory\n", out);
        return 1;
    }
    tbl_build *b;
    if (tbl_build_create(name, &b) < 0)
        return 1;
    double t0 = now_s();
    uint64_t rows = 0;
    int rc = 0;
    for (int i = 0; rc == 0 && i < argc; i += 2) {
        int f = find_flag(argv[i]);
        if (f >= 0)
            rc = import_one(b, flags[f].kind, argv[i + 1], &rows);
    }
    double t1 = now_s();
    tbl_table_stats ts[TBL_TABLE_COUNT] = {0};
    if (rc == 0) {
        rc = tbl_build_write(b, out, ts);
        if (rc < 0)
            fprintf(stderr, "claimdb: writing %s: %s\n", out, claimd_strerror(rc));
    }
    tbl_build_free(b);
    if (rc != 0) { /* an importer's callback may stop it with any non-zero code */
        fprintf(stderr, "claimdb: build failed; no version written\n");
        return 1;
    }
    double t2 = now_s();
    print_stats(ts);
    fprintf(stderr,
            "claimdb: built %s: %llu source rows, import %.2f s, write %.2f s, total %.2f s "
            "(%.0f rows/s)\n",
            out, (unsigned long long)rows, t1 - t0, t2 - t1, t2 - t0,
            t2 > t0 ? (double)rows / (t2 - t0) : 0.0);
    return 0;
}

static int open_dir(const char *dir, unsigned flags_, tbl_version **v)
{
    char def[PATH_MAX];
    if (strcmp(dir, "default") == 0) {
        int rc = tbl_default_dir(def, sizeof def);
        if (rc < 0) {
            fprintf(stderr, "claimdb: no default tables version found: %s\n", claimd_strerror(rc));
            return rc;
        }
        dir = def;
    }
    int rc = tbl_open(dir, flags_, v);
    if (rc < 0)
        fprintf(stderr, "claimdb: %s: %s\n", dir, claimd_strerror(rc));
    return rc;
}

static int cmd_info(int argc, char **argv)
{
    if (argc < 1) {
        usage();
        return 2;
    }
    bool json = argc > 1 && strcmp(argv[1], "--json") == 0;
    tbl_version *v;
    if (open_dir(argv[0], 0, &v) < 0)
        return 1;
    cdb_print_info(stdout, v, json);
    tbl_close(v);
    return 0;
}

static int cmd_verify(int argc, char **argv)
{
    if (argc != 1) {
        usage();
        return 2;
    }
    tbl_version *v;
    if (open_dir(argv[0], 0, &v) < 0)
        return 1;
    char msg[256];
    double t0 = now_s();
    int rc = tbl_verify(v, msg, sizeof msg);
    if (rc < 0)
        fprintf(stderr, "claimdb: verify %s: %s%s%s\n", tbl_version_path(v), claimd_strerror(rc),
                msg[0] ? ": " : "", msg);
    else
        printf("ok: %s verified in %.2f s\n", tbl_version_path(v), now_s() - t0);
    tbl_close(v);
    return rc < 0 ? 1 : 0;
}

static int cmd_activate(int argc, char **argv)
{
    if (argc != 2) {
        usage();
        return 2;
    }
    int rc = tbl_root_activate(argv[0], argv[1]);
    if (rc < 0) {
        fprintf(stderr, "claimdb: activate %s in %s: %s\n", argv[1], argv[0], claimd_strerror(rc));
        return 1;
    }
    printf("%s/current -> versions/%s\n", argv[0], argv[1]);
    return 0;
}

static int cmd_get(int argc, char **argv)
{
    if (argc < 3) {
        usage();
        return 2;
    }
    uint32_t date = 0;
    bool json = false;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--date") == 0 && i + 1 < argc &&
                 parse_date(argv[i + 1], &date) == 0)
            i++;
        else {
            usage();
            return 2;
        }
    }
    int t = tbl_table_from_name(argv[1]);
    if (t < 0) {
        fprintf(stderr, "claimdb: %s: no such table\n", argv[1]);
        return 2;
    }
    tbl_version *v;
    if (open_dir(argv[0], 0, &v) < 0)
        return 1;
    int rc = cdb_get(stdout, v, (tbl_table)t, argv[2], date, json);
    tbl_close(v);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage();
        return 2;
    }
    const char *c = argv[1];
    if (strcmp(c, "build") == 0)
        return cmd_build(argc - 2, argv + 2);
    if (strcmp(c, "info") == 0)
        return cmd_info(argc - 2, argv + 2);
    if (strcmp(c, "get") == 0)
        return cmd_get(argc - 2, argv + 2);
    if (strcmp(c, "verify") == 0)
        return cmd_verify(argc - 2, argv + 2);
    if (strcmp(c, "activate") == 0)
        return cmd_activate(argc - 2, argv + 2);
    if (strcmp(c, "--help") == 0 || strcmp(c, "-h") == 0) {
        usage();
        return 0;
    }
    usage();
    return 2;
}
