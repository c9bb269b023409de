/* libFuzzer target: the streaming 837 walker on arbitrary bytes.
 *
 * The input is fed in two or three chunks cut at offsets derived from its
 * first bytes and its size (the whole input is X12 text, so seeds stay real
 * interchanges), each chunk from its own exactly-sized heap copy, then
 * finished. The sink reads every field of every record handed out and checks
 * the documented invariants (NUL-terminated fields, counts within the model's
 * arrays, callback order); any violation aborts. Each input is walked twice,
 * through the per-segment fast handlers and through the general checks only,
 * and the two walks (claims, errors, verdicts, 999 and TA1 bytes) must agree.
 */
#include "x12_fuzz_util.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t h = xf_mix(UINT64_C(1469598103934665603), data, size < 8 ? size : 8);
    h = xf_u64(h, size);
    size_t cuts[2];
    size_t ncuts = 1 + (size_t)(h & 1);
    cuts[0] = size ? (size_t)((h >> 8) % (size + 1)) : 0;
    cuts[1] = size ? (size_t)((h >> 32) % (size + 1)) : 0;
    if (ncuts == 2 && cuts[1] < cuts[0]) {
        size_t t = cuts[0];
        cuts[0] = cuts[1];
        cuts[1] = t;
    }
    /* The per-segment fast handlers and the general checks must agree on
     * everything: claims, errors, verdicts and the 999 built from them. */
    xf_rec fast, general;
    uint64_t fast_ack, general_ack;
    xf_walk_mode(data, size, cuts, ncuts, &fast, &fast_ack, false);
    xf_walk_mode(data, size, cuts, ncuts, &general, &general_ack, true);
    if (!xf_rec_equal(&fast, &general) || fast_ack != general_ack) {
        fprintf(stderr,
                "x12 fuzz: fast and general walks differ: rc %d/%d claims %llu/%llu claim_h %s "
                "verdict_h %s 999/TA1 %s\n",
                fast.rc, general.rc, (unsigned long long)fast.claims,
                (unsigned long long)general.claims,
                fast.claim_h == general.claim_h ? "same" : "DIFF",
                fast.verdict_h == general.verdict_h ? "same" : "DIFF",
                fast_ack == general_ack ? "same" : "DIFF");
        abort();
    }
    return 0;
}
