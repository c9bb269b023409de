/* A minimal JSON checker for the suites that read claimd's JSON output:
 * tu_js_line_ok(line) is true when line is exactly one JSON object. */
#ifndef CLAIMD_TU_JSON_H
#define CLAIMD_TU_JSON_H

#include <stdbool.h>
#include <string.h>

static inline bool tu_js_value(const char **p);

static inline void tu_js_ws(const char **p)
{
    while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
        (*p)++;
}

static inline bool tu_js_string(const char **p)
{
    if (**p != '"')
        return false;
    for ((*p)++; **p != '"'; (*p)++) {
        unsigned char c = (unsigned char)**p;
        if (c < 0x20)
            return false;
        if (c == '\\') {
            (*p)++;
            if (**p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!strchr("0123456789abcdefABCDEF", (*p)[i]) || !(*p)[i])
                        return false;
                *p += 4;
            } else if (!**p || !strchr("\"\\/bfnrt", **p)) {
                return false;
            }
        }
    }
    (*p)++;
    return true;
}

static inline bool tu_js_number(const char **p)
{
    const char *s = *p;
    if (**p == '-')
        (*p)++;
    if (**p < '0' || **p > '9')
        return false;
    while ((**p >= '0' && **p <= '9') || **p == '.')
        (*p)++;
    return *p > s;
}

static inline bool tu_js_list(const char **p, char close, bool keyed)
{
    (*p)++;
    tu_js_ws(p);
    if (**p == close) {
        (*p)++;
        return true;
    }
    for (;;) {
        tu_js_ws(p);
        if (keyed) {
            if (!tu_js_string(p))
                return false;
            tu_js_ws(p);
            if (*(*p)++ != ':')
                return false;
        }
        if (!tu_js_value(p))
            return false;
        tu_js_ws(p);
        if (**p == ',') {
            (*p)++;
            continue;
        }
        if (**p != close)
            return false;
        (*p)++;
        return true;
    }
}

static inline bool tu_js_value(const char **p)
{
    tu_js_ws(p);
    switch (**p) {
    case '{':
        return tu_js_list(p, '}', true);
    case '[':
        return tu_js_list(p, ']', false);
    case '"':
        return tu_js_string(p);
    case 'n':
        return strncmp(*p, "null", 4) == 0 && (*p += 4);
    case 't':
        return strncmp(*p, "true", 4) == 0 && (*p += 4);
    case 'f':
        return strncmp(*p, "false", 5) == 0 && (*p += 5);
    default:
        return tu_js_number(p);
    }
}

/* A whole line is one JSON object. */
static inline bool tu_js_line_ok(const char *line)
{
    const char *p = line;
    if (*p != '{' || !tu_js_value(&p))
        return false;
    return *p == 0;
}

#endif
