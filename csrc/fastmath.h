/*
 * fastmath.h - branch-free elementary functions that compilers can vectorise (internal header).
 *
 * fast_exp is exp in double to about 1 ulp over the normal range: Cody-Waite reduction by ln 2,
 * a degree-13 Taylor polynomial on |r| <= ln2/2 (truncation error < 1e-17 relative) and 2^k built
 * from its bits. Results below exp(-707.7) flush to 0 and above exp(709.78) become +Inf; NaN
 * propagates. It has no table and no call, so loops using it vectorise.
 */
#ifndef GRPO_FASTMATH_H
#define GRPO_FASTMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline __attribute__((always_inline)) double fast_exp(double x) {
    const double shifter = 0x1.8p52;
    double clamped = x < -707.7 ? -707.7 : (x > 709.78 ? 709.78 : x);
    double kf = clamped * 1.4426950408889634 + shifter;
    uint64_t kbits;
    memcpy(&kbits, &kf, sizeof kbits);
    kf -= shifter;
    double r = clamped - kf * 0x1.62e42fefa3800p-1 - kf * 0x1.ef35793c76730p-45;
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    /* kbits holds shifter + k in its low bits; (k - 1 + 1023) << 52 is the double 2^(k-1), a
     * normal number for every k the clamp allows, and the final * 2 restores 2^k */
    uint64_t sbits = (kbits + 1022u - 0x18000000000000u) << 52;
    double scale;
    memcpy(&scale, &sbits, sizeof scale);
    double y = p * scale * 2.0;
    y = x > 709.78 ? INFINITY : y;
    y = x < -707.7 ? 0.0 : y;
    return x != x ? x : y;
}

/* exp in float to about 1 ulp: the same scheme with a degree-7 polynomial (truncation error
 * < 6e-9 relative). Below exp(-86.5) flushes to 0, above exp(88.72) is +Inf, NaN propagates. */
static inline __attribute__((always_inline)) float fast_expf(float x) {
    const float shifter = 0x1.8p23f;
    float clamped = x < -86.5f ? -86.5f : (x > 88.72f ? 88.72f : x);
    float kf = clamped * 1.44269504f + shifter;
    uint32_t kbits;
    memcpy(&kbits, &kf, sizeof kbits);
    kf -= shifter;
    float r = clamped - kf * 0x1.62e400p-1f - kf * 0x1.7f7d1cp-20f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    uint32_t sbits = (kbits + 126u - 0x4B400000u) << 23; /* the float 2^(k-1) */
    float scale;
    memcpy(&scale, &sbits, sizeof scale);
    float y = p * scale * 2.0f;
    y = x > 88.72f ? INFINITY : y;
    y = x < -86.5f ? 0.0f : y;
    return x != x ? x : y;
}

#endif /* GRPO_FASTMATH_H */
