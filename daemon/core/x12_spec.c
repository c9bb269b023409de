/* x12_spec: the element specifications of the segments the 837 walker reads
 * (005010X222A1 / 005010X223A2), and the dictionary of the other segment ids
 * an 837 may carry. Lengths and types are the X12 dictionary's; code lists
 * are those the implementation guides allow where the walker depends on them.
 */
#include "x12_walk_int.h"

#include <stddef.h>

#define E(req, t, mn, mx, ref, codes)                                                              \
    {                                                                                              \
        req, t, mn, mx, ref, codes                                                                 \
    }
#define OPT_AN(mn, mx, ref) E(0, 'A', mn, mx, ref, NULL)

static const x12_espec x12_ST[] = {E(1, 'I', 3, 3, 143, NULL), E(1, 'A', 4, 9, 329, NULL),
                                   OPT_AN(1, 35, 1705)};
static const x12_espec x12_SE[] = {E(1, 'N', 1, 10, 96, NULL), E(1, 'A', 4, 9, 329, NULL)};
static const x12_espec x12_GS[] = {E(1, 'I', 2, 2, 479, NULL),    E(1, 'A', 2, 15, 142, NULL),
                                   E(1, 'A', 2, 15, 124, NULL),   E(1, 'D', 8, 8, 373, NULL),
                                   E(1, 'T', 4, 8, 337, NULL),    E(1, 'N', 1, 9, 28, NULL),
                                   E(1, 'I', 1, 2, 455, "|X|T|"), E(1, 'A', 1, 12, 480, NULL)};
static const x12_espec x12_GE[] = {E(1, 'N', 1, 6, 97, NULL), E(1, 'N', 1, 9, 28, NULL)};
static const x12_espec x12_BHT[] = {
    E(1, 'I', 4, 4, 1005, "|0019|"), E(1, 'I', 2, 2, 353, "|00|18|"),
    E(1, 'A', 1, 50, 127, NULL),     E(1, 'D', 8, 8, 373, NULL),
    E(1, 'T', 4, 8, 337, NULL),      E(1, 'I', 2, 2, 640, "|31|CH|RP|")};
static const x12_espec x12_HL[] = {E(1, 'A', 1, 12, 628, NULL), OPT_AN(1, 12, 734),
                                   E(1, 'I', 1, 2, 735, "|20|22|23|"),
                                   E(0, 'I', 1, 1, 736, "|0|1|")};
static const x12_espec x12_NM1[] = {E(1, 'I', 2, 3, 98, NULL), E(1, 'I', 1, 1, 1065, "|1|2|"),
                                    OPT_AN(1, 60, 1035),       OPT_AN(1, 35, 1036),
                                    OPT_AN(1, 25, 1037),       OPT_AN(1, 10, 1038),
                                    OPT_AN(1, 10, 1039),       E(0, 'I', 1, 2, 66, NULL),
                                    OPT_AN(2, 80, 67),         E(0, 'I', 2, 2, 706, NULL),
                                    E(0, 'I', 2, 3, 98, NULL), OPT_AN(1, 60, 1035)};
static const x12_espec x12_N3[] = {E(1, 'A', 1, 55, 166, NULL), OPT_AN(1, 55, 166)};
static const x12_espec x12_N4[] = {OPT_AN(2, 30, 19),           E(0, 'I', 2, 2, 156, NULL),
                                   E(0, 'I', 3, 15, 116, NULL), E(0, 'I', 2, 3, 26, NULL),
                                   E(0, 'I', 1, 2, 309, NULL),  OPT_AN(1, 30, 310),
                                   E(0, 'I', 1, 3, 1715, NULL)};
static const x12_espec x12_REF[] = {E(1, 'I', 2, 3, 128, NULL), E(1, 'A', 1, 50, 127, NULL),
                                    OPT_AN(1, 80, 352), E(0, 'C', 0, 0, 0, NULL)};
static const x12_espec x12_SBR[] = {E(1, 'I', 1, 1, 1138, "|A|B|C|D|E|F|G|H|P|S|T|U|"),
                                    E(0, 'I', 2, 2, 1069, NULL),
                                    OPT_AN(1, 50, 127),
                                    OPT_AN(1, 60, 93),
                                    E(0, 'I', 1, 3, 1336, NULL),
                                    E(0, 'I', 1, 1, 1143, NULL),
                                    E(0, 'I', 1, 1, 1073, NULL),
                                    E(0, 'I', 2, 2, 584, NULL),
                                    E(0, 'I', 1, 2, 1032, NULL)};
static const x12_espec x12_PAT[] = {
    E(0, 'I', 2, 2, 1069, NULL), E(0, 'I', 1, 1, 1384, NULL), E(0, 'I', 1, 1, 584, NULL),
    E(0, 'I', 1, 1, 1220, NULL), E(0, 'I', 2, 3, 1250, NULL), OPT_AN(1, 35, 1251),
    E(0, 'I', 2, 2, 355, NULL),  E(0, 'R', 1, 10, 81, NULL),  E(0, 'I', 1, 1, 1073, NULL)};
static const x12_espec x12_DMG[] = {E(1, 'I', 2, 3, 1250, "|D8|"), E(1, 'D', 8, 8, 1251, NULL),
                                    E(1, 'I', 1, 1, 1068, "|M|F|U|")};
static const x12_espec x12_CLM[] = {
    E(1, 'A', 1, 38, 1028, NULL), E(1, 'R', 1, 18, 782, NULL), OPT_AN(1, 2, 1032),
    OPT_AN(1, 2, 1343),           E(1, 'C', 0, 0, 0, NULL),    E(0, 'I', 1, 1, 1073, "|Y|N|"),
    E(0, 'I', 1, 1, 1359, NULL),  E(0, 'I', 1, 1, 1073, NULL), E(0, 'I', 1, 1, 1363, NULL),
    E(0, 'I', 1, 1, 1351, NULL),  E(0, 'C', 0, 0, 0, NULL),    E(0, 'I', 2, 3, 1366, NULL),
    E(0, 'I', 1, 2, 1338, NULL),  E(0, 'I', 1, 2, 1360, NULL), E(0, 'I', 1, 1, 1029, NULL),
    E(0, 'I', 1, 1, 1073, NULL),  E(0, 'I', 1, 1, 1383, NULL), E(0, 'I', 1, 1, 1073, NULL),
    E(0, 'I', 1, 3, 1514, NULL),  E(0, 'I', 1, 2, 1514, NULL)};
static const x12_espec x12_DTP[] = {E(1, 'I', 3, 3, 374, NULL),
                                    E(1, 'I', 2, 3, 1250, "|D8|RD8|DT|TM|"),
                                    E(1, 'A', 1, 35, 1251, NULL)};
#define C_OPT E(0, 'C', 0, 0, 0, NULL)
static const x12_espec x12_HI[] = {E(1, 'C', 0, 0, 0, NULL),
                                   C_OPT,
                                   C_OPT,
                                   C_OPT,
                                   C_OPT,
                                   C_OPT,
                                   C_OPT,
                                   C_OPT,
                                   C_OPT,
                                   C_OPT,
                                   C_OPT,
                                   C_OPT};
static const x12_espec x12_LX[] = {E(1, 'N', 1, 6, 554, NULL)};
static const x12_espec x12_SV1[] = {
    E(1, 'C', 0, 0, 0, NULL),    E(1, 'R', 1, 18, 782, NULL),  E(1, 'I', 2, 2, 355, "|MJ|UN|"),
    E(1, 'R', 1, 15, 380, NULL), OPT_AN(1, 2, 1331),           OPT_AN(1, 2, 1365),
    E(0, 'C', 0, 0, 0, NULL),    E(0, 'R', 1, 10, 1371, NULL), E(0, 'I', 1, 1, 1073, NULL),
    E(0, 'I', 1, 1, 1073, NULL), E(0, 'I', 1, 2, 1340, NULL),  E(0, 'I', 1, 1, 1073, NULL),
    E(0, 'I', 1, 2, 1364, NULL), E(0, 'I', 1, 1, 1341, NULL),  E(0, 'I', 1, 1, 1327, NULL),
    E(0, 'I', 1, 1, 1334, NULL), E(0, 'R', 1, 15, 380, NULL),  E(0, 'I', 1, 2, 116, NULL),
    E(0, 'I', 1, 1, 1337, NULL), E(0, 'I', 1, 1, 1360, NULL),  E(0, 'C', 0, 0, 0, NULL)};
static const x12_espec x12_SV2[] = {E(1, 'A', 1, 48, 234, NULL), E(0, 'C', 0, 0, 0, NULL),
                                    E(1, 'R', 1, 18, 782, NULL), E(1, 'I', 2, 2, 355, "|DA|UN|"),
                                    E(1, 'R', 1, 15, 380, NULL), E(0, 'R', 1, 10, 1371, NULL),
                                    E(0, 'R', 1, 18, 782, NULL), E(0, 'I', 1, 1, 1073, NULL),
                                    E(0, 'I', 1, 1, 1345, NULL), E(0, 'I', 1, 1, 1337, NULL)};
static const x12_espec x12_PRV[] = {E(1, 'I', 1, 3, 1221, NULL), E(1, 'I', 2, 3, 128, NULL),
                                    E(1, 'A', 1, 50, 127, NULL)};
static const x12_espec x12_LIN[] = {OPT_AN(1, 20, 350), E(1, 'I', 2, 2, 235, NULL),
                                    E(1, 'A', 1, 48, 234, NULL)};

#define S(a, b, c, arr)                                                                            \
    {                                                                                              \
        X12_ID3(a, b, c), (uint8_t)(sizeof(arr) / sizeof((arr)[0])), arr                           \
    }
#define S2(a, b, arr)                                                                              \
    {                                                                                              \
        X12_ID2(a, b), (uint8_t)(sizeof(arr) / sizeof((arr)[0])), arr                              \
    }

static const x12_sspec x12_specs[] = {
    S2('S', 'T', x12_ST),      S2('S', 'E', x12_SE),      S2('G', 'S', x12_GS),
    S2('G', 'E', x12_GE),      S('B', 'H', 'T', x12_BHT), S2('H', 'L', x12_HL),
    S('N', 'M', '1', x12_NM1), S2('N', '3', x12_N3),      S2('N', '4', x12_N4),
    S('R', 'E', 'F', x12_REF), S('S', 'B', 'R', x12_SBR), S('P', 'A', 'T', x12_PAT),
    S('D', 'M', 'G', x12_DMG), S('C', 'L', 'M', x12_CLM), S('D', 'T', 'P', x12_DTP),
    S2('H', 'I', x12_HI),      S2('L', 'X', x12_LX),      S('S', 'V', '1', x12_SV1),
    S('S', 'V', '2', x12_SV2), S('P', 'R', 'V', x12_PRV), S('L', 'I', 'N', x12_LIN),
};

/* Every segment id an 837P or 837I may carry, indexed by its small segment
 * index (sid). The first X12_NSPEC have element specs (x12_specs, same
 * order); the others are read without element checks. */
static const uint32_t x12_ids[X12_NSID] = {
    X12_ID2('S', 'T'),      X12_ID2('S', 'E'),      X12_ID2('G', 'S'),      X12_ID2('G', 'E'),
    X12_ID3('B', 'H', 'T'), X12_ID2('H', 'L'),      X12_ID3('N', 'M', '1'), X12_ID2('N', '3'),
    X12_ID2('N', '4'),      X12_ID3('R', 'E', 'F'), X12_ID3('S', 'B', 'R'), X12_ID3('P', 'A', 'T'),
    X12_ID3('D', 'M', 'G'), X12_ID3('C', 'L', 'M'), X12_ID3('D', 'T', 'P'), X12_ID2('H', 'I'),
    X12_ID2('L', 'X'),      X12_ID3('S', 'V', '1'), X12_ID3('S', 'V', '2'), X12_ID3('P', 'R', 'V'),
    X12_ID3('L', 'I', 'N'), X12_ID3('P', 'E', 'R'), X12_ID3('C', 'U', 'R'), X12_ID3('P', 'W', 'K'),
    X12_ID3('C', 'N', '1'), X12_ID3('A', 'M', 'T'), X12_ID2('K', '3'),      X12_ID3('N', 'T', 'E'),
    X12_ID3('C', 'R', '1'), X12_ID3('C', 'R', '2'), X12_ID3('C', 'R', '3'), X12_ID3('C', 'R', 'C'),
    X12_ID3('H', 'C', 'P'), X12_ID3('C', 'A', 'S'), X12_ID2('O', 'I'),      X12_ID3('M', 'O', 'A'),
    X12_ID3('M', 'I', 'A'), X12_ID3('S', 'V', '5'), X12_ID3('Q', 'T', 'Y'), X12_ID3('M', 'E', 'A'),
    X12_ID3('P', 'S', '1'), X12_ID3('C', 'T', 'P'), X12_ID3('S', 'V', 'D'), X12_ID2('L', 'Q'),
    X12_ID3('F', 'R', 'M'), X12_ID3('C', 'L', '1'), X12_ID2('N', '2'),      X12_ID3('T', 'O', 'O'),
};

_Static_assert(sizeof x12_specs / sizeof x12_specs[0] == X12_NSPEC, "x12_specs and X12_NSPEC");

uint32_t x12_sid_id(int sid)
{
    return sid >= 0 && sid < X12_NSID ? x12_ids[sid] : 0;
}

const x12_sspec *x12_sid_spec(int sid)
{
    return sid >= 0 && sid < X12_NSPEC ? &x12_specs[sid] : NULL;
}

int x12_sid(uint32_t id)
{
    /* A switch: the compiler makes a jump table or a short binary search,
     * cheaper than scanning a table on every segment. */
    switch (id) {
#define X(a, b, c, i)                                                                              \
    case X12_ID3(a, b, c):                                                                         \
        return i;
#define X2(a, b, i)                                                                                \
    case X12_ID2(a, b):                                                                            \
        return i;
        X2('S', 'T', 0)
        X2('S', 'E', 1)
        X2('G', 'S', 2)
        X2('G', 'E', 3)
        X('B', 'H', 'T', 4)
        X2('H', 'L', 5)
        X('N', 'M', '1', 6)
        X2('N', '3', 7)
        X2('N', '4', 8)
        X('R', 'E', 'F', 9)
        X('S', 'B', 'R', 10)
        X('P', 'A', 'T', 11)
        X('D', 'M', 'G', 12)
        X('C', 'L', 'M', 13)
        X('D', 'T', 'P', 14)
        X2('H', 'I', 15)
        X2('L', 'X', 16)
        X('S', 'V', '1', 17)
        X('S', 'V', '2', 18)
        X('P', 'R', 'V', 19)
        X('L', 'I', 'N', 20)
        X('P', 'E', 'R', 21)
        X('C', 'U', 'R', 22)
        X('P', 'W', 'K', 23)
        X('C', 'N', '1', 24)
        X('A', 'M', 'T', 25)
        X2('K', '3', 26)
        X('N', 'T', 'E', 27)
        X('C', 'R', '1', 28)
        X('C', 'R', '2', 29)
        X('C', 'R', '3', 30)
        X('C', 'R', 'C', 31)
        X('H', 'C', 'P', 32)
        X('C', 'A', 'S', 33)
        X2('O', 'I', 34)
        X('M', 'O', 'A', 35)
        X('M', 'I', 'A', 36)
        X('S', 'V', '5', 37)
        X('Q', 'T', 'Y', 38)
        X('M', 'E', 'A', 39)
        X('P', 'S', '1', 40)
        X('C', 'T', 'P', 41)
        X('S', 'V', 'D', 42)
        X2('L', 'Q', 43)
        X('F', 'R', 'M', 44)
        X('C', 'L', '1', 45)
        X2('N', '2', 46)
        X('T', 'O', 'O', 47)
#undef X
#undef X2
    default:
        return -1;
    }
}
