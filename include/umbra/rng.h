/* Counter-based random streams (Random123 Philox4x64-10).
   A stream is keyed by (seed, domain, id); a draw is addressed by a counter, typically
   (step, walker, block). Every number is a pure function of these, so results do not depend
   on the rank layout and nothing but the seed and the step needs to be checkpointed.
   Domains separate the consumers so that a new consumer never shifts another one's numbers. */
#ifndef UMBRA_RNG_H
#define UMBRA_RNG_H

#include <stdint.h>
#include <math.h>
#include <Random123/philox.h>

typedef enum {
  UMB_STREAM_NOISE     = 1, /* SDE noise: id = window, counter = (step, walker, block) */
  UMB_STREAM_INIT      = 2, /* initial states and perturbations */
  UMB_STREAM_MODEL     = 3, /* model construction (ring rotation) */
  UMB_STREAM_NN_INIT   = 4, /* neural-network weight initialisation */
  UMB_STREAM_LATENT    = 5, /* generator latent noise */
  UMB_STREAM_SHUFFLE   = 6, /* mini-batch shuffles */
  UMB_STREAM_BOOTSTRAP = 7, /* bootstrap resampling */
  UMB_STREAM_TEST      = 15 /* tests only */
} UmbStreamDomain;

typedef struct {
  philox4x64_key_t key;
} UmbStream;

/* id must be below 2^56 */
static inline void UmbStreamInit(UmbStream *s, uint64_t seed, UmbStreamDomain domain, uint64_t id)
{
  s->key.v[0] = seed;
  s->key.v[1] = ((uint64_t)domain << 56) | (id & ((UINT64_C(1) << 56) - 1));
}

/* Four raw 64-bit words at counter (c0, c1, c2) */
static inline void UmbStreamBits(const UmbStream *s, uint64_t c0, uint64_t c1, uint64_t c2, uint64_t out[4])
{
  philox4x64_ctr_t ctr = {{c0, c1, c2, 0}};
  philox4x64_ctr_t r   = philox4x64(ctr, s->key);
  out[0] = r.v[0];
  out[1] = r.v[1];
  out[2] = r.v[2];
  out[3] = r.v[3];
}

/* Uniform on the open interval (0, 1) with 53 random bits */
static inline double UmbU01(uint64_t x) { return ((double)(x >> 11) + 0.5) * 0x1.0p-53; }

static inline void UmbStreamUniform4(const UmbStream *s, uint64_t c0, uint64_t c1, uint64_t c2, double u[4])
{
  uint64_t b[4];
  UmbStreamBits(s, c0, c1, c2, b);
  for (int i = 0; i < 4; i++) u[i] = UmbU01(b[i]);
}

/* Four standard normal variates by Box-Muller (both outputs of each pair) */
static inline void UmbStreamGaussian4(const UmbStream *s, uint64_t c0, uint64_t c1, uint64_t c2, double g[4])
{
  uint64_t b[4];
  UmbStreamBits(s, c0, c1, c2, b);
  for (int j = 0; j < 4; j += 2) {
    double r = sqrt(-2.0 * log(UmbU01(b[j]))), t = 6.283185307179586476925 * UmbU01(b[j + 1]);
    g[j]     = r * cos(t);
    g[j + 1] = r * sin(t);
  }
}

/* n standard normals for counter (c0, c1), drawn in blocks of four (block index = counter c2) */
static inline void UmbStreamGaussian(const UmbStream *s, uint64_t c0, uint64_t c1, int n, double *g)
{
  double   tmp[4];
  uint64_t block = 0;
  int      i     = 0;
  for (; i + 4 <= n; i += 4, block++) UmbStreamGaussian4(s, c0, c1, block, g + i);
  if (i < n) {
    UmbStreamGaussian4(s, c0, c1, block, tmp);
    for (int j = 0; i < n; i++, j++) g[i] = tmp[j];
  }
}

#endif
