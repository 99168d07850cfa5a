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
  UMB_STREAM_DMAP      = 8, /* diffusion maps: subsample keys (id 0), eigensolver start (id 1), sign projection (id 2), exploration walkers (id 3) */
  UMB_STREAM_CLOSURE   = 9, /* closures: permutation tests (id: test point), reduced-SDE walkers (id: 1000 + walker), direct runs (id: 2^32, counter (step, walker)) */
  UMB_STREAM_COUPLING  = 10, /* coupling rounds: latent noise of the lifted walker states, id = window in the merged campaign, counter (walker, 0, 0) */
  UMB_STREAM_FLOWMOVE  = 11, /* flow moves of the sampler: id = window (as the SDE noise), counter (step, walker, 0) the uniforms of the mixture choice, the window drawn and the acceptance, (step, walker, 1, *) the proposal's base noise */
  UMB_STREAM_ENGINE    = 12, /* models with dynamics: id = window, counter (walker, 0, 0) the initial velocities, (step, walker, 1) the engine's seed of a call */
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

/* Standard normal variates by the ziggurat method (Marsaglia and Tsang 2000; layer index and
   uniform from separate bits as in Doornik 2005). Each variate usually costs one 64-bit word:
   7 bits pick one of 128 layers, 53 other bits give a signed uniform; about 1.2% of draws
   need a second word (wedges) and a few in 10^4 the tail. Only multiplications and
   comparisons are on the common path, so every build and machine draws the same numbers.
   The words come from a counter-based sequence: Philox at counters (c0, c1, c2, block),
   block = 0, 1, 2, ... */
#define UMB_ZIG_LAYERS 128
extern const double umb_zig_x[UMB_ZIG_LAYERS + 1], umb_zig_r[UMB_ZIG_LAYERS];

typedef struct {
  const UmbStream *stream;
  uint64_t         c0, c1, c2, block;
  uint64_t         word[4];
  int              next; /* index of the next unused word; 4 = refill */
} UmbWords;

static inline void UmbWordsInit(UmbWords *w, const UmbStream *s, uint64_t c0, uint64_t c1, uint64_t c2)
{
  w->stream = s;
  w->c0     = c0;
  w->c1     = c1;
  w->c2     = c2;
  w->block  = 0;
  w->next   = 4;
}

static inline uint64_t UmbWordsNext(UmbWords *w)
{
  if (w->next == 4) {
    philox4x64_ctr_t ctr = {{w->c0, w->c1, w->c2, w->block++}};
    philox4x64_ctr_t r   = philox4x64(ctr, w->stream->key);
    for (int i = 0; i < 4; i++) w->word[i] = r.v[i];
    w->next = 0;
  }
  return w->word[w->next++];
}

/* The tail |x| > R by Marsaglia's method */
static inline double UmbNormalTail(UmbWords *w, int negative)
{
  const double R = umb_zig_x[1];
  double       x, y;
  do {
    x = log(UmbU01(UmbWordsNext(w))) / R;
    y = log(UmbU01(UmbWordsNext(w)));
  } while (-2 * y < x * x);
  return negative ? x - R : R - x;
}

static inline double UmbNormal(UmbWords *w)
{
  for (;;) {
    const uint64_t b = UmbWordsNext(w);
    const int      i = (int)(b & (UMB_ZIG_LAYERS - 1)); /* low 7 bits */
    const double   u = 2.0 * UmbU01(b) - 1.0;            /* bits 11..63 */
    if (fabs(u) < umb_zig_r[i]) return u * umb_zig_x[i];
    if (i == 0) return UmbNormalTail(w, u < 0);
    {
      const double x = u * umb_zig_x[i], xi = umb_zig_x[i], xn = umb_zig_x[i + 1];
      const double f0 = exp(-0.5 * (xi * xi - x * x)), f1 = exp(-0.5 * (xn * xn - x * x));
      if (f1 + UmbU01(UmbWordsNext(w)) * (f0 - f1) < 1.0) return x; /* under f in the wedge */
    }
  }
}

/* n standard normals for counter (c0, c1): the sequence at (c0, c1, 0, *) */
static inline void UmbStreamGaussian(const UmbStream *s, uint64_t c0, uint64_t c1, int n, double *g)
{
  UmbWords w;
  UmbWordsInit(&w, s, c0, c1, 0);
  for (int i = 0; i < n; i++) g[i] = UmbNormal(&w);
}

/* Four standard normals for counter (c0, c1, c2): the sequence at (c0, c1, c2, *) */
static inline void UmbStreamGaussian4(const UmbStream *s, uint64_t c0, uint64_t c1, uint64_t c2, double g[4])
{
  UmbWords w;
  UmbWordsInit(&w, s, c0, c1, c2);
  for (int i = 0; i < 4; i++) g[i] = UmbNormal(&w);
}

#endif
