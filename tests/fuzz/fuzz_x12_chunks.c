/* libFuzzer target: chunking never changes what the walker reports.
 *
 * The input is walked once whole, then once per cut offset k (fed as
 * [0, k) and [k, size), then finished); every walk must give the same result
 * code, claim and line counts, claim fields and verdicts (with their errors),
 * and the same 999 and TA1 bytes (the events also feed an ack_999 builder,
 * as xfeed_walk_acked does), else the target aborts. Every offset is tried
 * for inputs up to XF_ALL_CUTS_MAX bytes; longer inputs (the walk is linear,
 * so all offsets are quadratic) get XF_ALL_CUTS_MAX offsets spread over the
 * input, plus a three-chunk walk cut at offsets derived from the first bytes.
 * (A walk of a 1 KB input takes about 0.3 ms in the sanitized build: all 1024
 * offsets gave 3-16 executions a second; 256 keep the fuzzer moving.)
 */
#include "x12_fuzz_util.h"

#include <stddef.h>
#include <stdint.h>

#define XF_ALL_CUTS_MAX 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void xf_mismatch(size_t k, const xf_rec *whole, const xf_rec *cut, int ack_differs)
{
    fprintf(stderr,
            "x12 chunks: cut at %zu differs from one feed: rc %d/%d claims %llu/%llu "
            "lines %llu/%llu txns %u/%u claim_h %s verdict_h %s 999/TA1 %s\n",
            k, whole->rc, cut->rc, (unsigned long long)whole->claims,
            (unsigned long long)cut->claims, (unsigned long long)whole->lines,
            (unsigned long long)cut->lines, whole->txns, cut->txns,
            whole->claim_h == cut->claim_h ? "same" : "DIFF",
            whole->verdict_h == cut->verdict_h ? "same" : "DIFF", ack_differs ? "DIFF" : "same");
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    xf_rec whole, cut;
    uint64_t whole_ack, cut_ack;
    xf_walk_ack(data, size, NULL, 0, &whole, &whole_ack);
    size_t step = size <= XF_ALL_CUTS_MAX ? 1 : size / XF_ALL_CUTS_MAX;
    for (size_t k = 0; k <= size; k += step) {
        xf_walk_ack(data, size, &k, 1, &cut, &cut_ack);
        if (!xf_rec_equal(&whole, &cut) || whole_ack != cut_ack)
            xf_mismatch(k, &whole, &cut, whole_ack != cut_ack);
    }
    uint64_t h = xf_u64(xf_mix(UINT64_C(1469598103934665603), data, size < 8 ? size : 8), size);
    size_t cuts[2] = {(size_t)(h % (size + 1)), (size_t)((h >> 32) % (size + 1))};
    if (cuts[1] < cuts[0]) {
        size_t t = cuts[0];
        cuts[0] = cuts[1];
        cuts[1] = t;
    }
    xf_walk_ack(data, size, cuts, 2, &cut, &cut_ack);
    if (!xf_rec_equal(&whole, &cut) || whole_ack != cut_ack)
        xf_mismatch(cuts[0], &whole, &cut, whole_ack != cut_ack);
    return 0;
}
