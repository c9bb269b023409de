/* claimd edits [--json | --markdown] [--severity EDIT=LEVEL]...
 *
 * Prints the edit catalogue: a table for people, a JSON array for programs,
 * or the Markdown table docs/edits.md carries (a test keeps the two equal).
 * --severity shows the effect of a site's overrides on the severity column. */
#include "claimd/edit.h"
#include "cmd.h"

#include <stdio.h>
#include <string.h>

typedef enum edits_fmt { EDITS_TEXT, EDITS_JSON, EDITS_MD } edits_fmt;

static const char *edits_sev_name(uint8_t sev)
{
    return sev == EDIT_SEV_ERROR ? "error" : sev == EDIT_SEV_WARNING ? "warning" : "off";
}

static const char *edits_lvl_name(uint8_t lvl)
{
    return lvl == EDIT_LVL_LINE ? "line" : "claim";
}

static void edits_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static void edits_json(FILE *f, const edit_settings *s)
{
    size_t n;
    const edit_def *d = edit_catalogue(&n);
    fputs("[\n", f);
    for (size_t i = 0; i < n; i++) {
        fputs("  {\"id\":", f);
        edits_json_str(f, d[i].name);
        fprintf(f, ",\"snip\":%u,\"level\":\"%s\",\"severity\":\"%s\",\"default_severity\":\"%s\"",
                d[i].snip, edits_lvl_name(d[i].level), edits_sev_name(s->severity[i]),
                edits_sev_name(d[i].severity));
        const char *keys[] = {"carc", "rarc", "stc_cat", "stc_code", "rule", "fix"};
        const char *vals[] = {d[i].carc,     d[i].rarc, d[i].stc_cat,
                              d[i].stc_code, d[i].rule, d[i].fix};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            fprintf(f, ",\"%s\":", keys[k]);
            edits_json_str(f, vals[k]);
        }
        fputs(i + 1 < n ? "},\n" : "}\n", f);
    }
    fputs("]\n", f);
}

static void edits_md(FILE *f, const edit_settings *s)
{
    size_t n;
    const edit_def *d = edit_catalogue(&n);
    fputs("| id | SNIP | level | severity | CARC | RARC | STC | rule | fix |\n"
          "|---|---|---|---|---|---|---|---|---|\n",
          f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "| `%s` | %u | %s | %s | %s | %s | %s:%s | %s | %s |\n", d[i].name, d[i].snip,
                edits_lvl_name(d[i].level), edits_sev_name(s->severity[i]),
                d[i].carc[0] ? d[i].carc : "-", d[i].rarc[0] ? d[i].rarc : "-", d[i].stc_cat,
                d[i].stc_code, d[i].rule, d[i].fix);
}

static void edits_text(FILE *f, const edit_settings *s)
{
    size_t n;
    const edit_def *d = edit_catalogue(&n);
    fprintf(f, "%-24s %-4s %-5s %-8s %-4s %-5s %-7s %s\n", "ID", "SNIP", "LEVEL", "SEVERITY",
            "CARC", "RARC", "STC", "RULE");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%-24s %-4u %-5s %-8s %-4s %-5s %s:%-4s %s\n", d[i].name, d[i].snip,
                edits_lvl_name(d[i].level), edits_sev_name(s->severity[i]),
                d[i].carc[0] ? d[i].carc : "-", d[i].rarc[0] ? d[i].rarc : "-", d[i].stc_cat,
                d[i].stc_code, d[i].rule);
}

static void edits_usage(FILE *f)
{
    fputs("usage: claimd edits [--json | --markdown] [--severity EDIT=LEVEL]...\n"
          "LEVEL is error, warning or off.\n",
          f);
}

int cmd_edits_main(int argc, char **argv)
{
    edit_settings s;
    edit_settings_default(&s);
    edits_fmt fmt = EDITS_TEXT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            fmt = EDITS_JSON;
        } else if (strcmp(a, "--markdown") == 0) {
            fmt = EDITS_MD;
        } else if (strcmp(a, "--severity") == 0 && i + 1 < argc) {
            if (edit_settings_apply(&s, argv[++i]) != 0) {
                fprintf(stderr, "claimd edits: bad --severity %s\n", argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            edits_usage(stdout);
            return 0;
        } else {
            edits_usage(stderr);
            return 2;
        }
    }
    if (fmt == EDITS_JSON)
        edits_json(stdout, &s);
    else if (fmt == EDITS_MD)
        edits_md(stdout, &s);
    else
        edits_text(stdout, &s);
    return fflush(stdout) == 0 ? 0 : 1;
}
