/* libFuzzer target: the streaming 837 walker on arbitrary bytes.
 *
 * The input is fed in two or three chunks cut at offsets derived from its
 * first bytes and its size (the whole input is X12 text, so seeds stay real
 * interchanges), each chunk from its own exactly-sized heap copy, then
 * finished. The sink reads every field of every record handed out and checks
 * the documented invariants (NUL-terminated fields, counts within the model's
 * arrays, callback order); any violation aborts.
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
    xf_rec r;
    xf_walk(data, size, cuts, ncuts, &r);
    return 0;
}
