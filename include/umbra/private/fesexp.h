/* exp() of the MBAR kernels (src/fes/): a branch-free kernel that the compiler vectorises, for
   the exponents a_k - a_max <= 0 of the log-sum-exp passes.

   x = n ln 2 + r with n = round(x / ln 2) (the 1.5 2^52 shift), r = (x - n ln2_hi) - n ln2_lo
   (Cody-Waite: n ln2_hi is exact for |n| < 2^11), |r| <= ln 2 / 2; exp(r) by its Taylor
   polynomial of degree 13 in Horner form (truncation below r^14 / 14! < 5e-18 relative), then
   2^n is added to the exponent bits. Written without fused multiply-adds, so every build and
   every vector width gives the same bits. Inputs below -708 return 0 (exp would be subnormal
   there, below 2^-1021 of the largest term: nothing the sums can see). The relative error
   against a long-double reference is below 4 units in the last place (2^-52) on [-708, 0]
   (tests/t310-fes-exp.c checks it on 10^7 points). */
#ifndef UMBRA_FESEXP_H
#define UMBRA_FESEXP_H

#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
  #define UMB_FES_INLINE_DEF static inline __attribute__((always_inline))
#else
  #define UMB_FES_INLINE_DEF static inline
#endif

UMB_FES_INLINE_DEF double UmbExpNeg(double x)
{
  const double log2e = 1.4426950408889634074, ln2hi = 6.93147180369123816490e-01, ln2lo = 1.90821492927058770002e-10, shift = 0x1.8p52;
  const double y = x < -708.0 ? -708.0 : x;
  const double t = y * log2e + shift, n = t - shift, r = (y - n * ln2hi) - n * ln2lo;
  double       p = 1.0 / 6227020800.0;
  uint64_t     tb, pb;

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
  memcpy(&tb, &t, sizeof(tb));
  memcpy(&pb, &p, sizeof(pb));
  pb += tb << 52; /* the low bits of t hold n (two's complement): 2^n times p */
  memcpy(&p, &pb, sizeof(p));
  return x < -708.0 ? 0.0 : p;
}

/* The kernels are compiled for AVX-512 and AVX2 as well as the baseline, chosen at load time by
   the CPU (GCC's function multi-versioning); without FMA contraction (-std=c11) all give the same
   bits. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
  #define UMB_FES_SIMD __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
  #define UMB_FES_SIMD
#endif
/* the helpers of such kernels are inlined, so that they are compiled for each target */
#define UMB_FES_INLINE UMB_FES_INLINE_DEF

/* Eight doubles as one vector (GCC/Clang vector extensions): one AVX-512 register, two AVX2 or
   four SSE2 ones, the same element-wise operations (and so the same bits) on every target.
   Unaligned loads and stores by memcpy (macros: a vector return would change the ABI between
   targets). */
typedef double UmbV8 __attribute__((vector_size(64)));
#define UMB_V8_LOAD(v, p)  memcpy(&(v), (p), sizeof(UmbV8))
#define UMB_V8_STORE(p, v) memcpy((p), &(v), sizeof(UmbV8))

#endif
