/* Counter-based streams: Philox4x64-10 known answers (Random123's published vectors), pinned
   stream values, the ziggurat tables (equal layer areas, closing at 0), and the normal variates:
   moments, a KS test, and a chi-square test on 2^22 draws with bins out to the far tails, so a
   wrong layer, wedge or tail branch shows. Independence of domains and ids. */
// TEST: nsize=1
#include "tap.h"
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>

static int CompareDouble(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  {
    /* counter (4 words), key (2 words), expected result: Random123 kat_vectors */
    const uint64_t kat[3][10] = {
      {0, 0, 0, 0, 0, 0, 0x16554d9eca36314cULL, 0xdb20fe9d672d0fdcULL, 0xd7e772cee186176bULL, 0x7e68b68aec7ba23bULL},
      {~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, 0x87b092c3013fe90bULL, 0x438c3c67be8d0224ULL, 0x9cc7d7c69cd777b6ULL, 0xa09caebf594f0ba0ULL},
      {0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL, 0xa4093822299f31d0ULL, 0x082efa98ec4e6c89ULL, 0x452821e638d01377ULL, 0xbe5466cf34e90c6cULL, 0xa528f45403e61d95ULL, 0x38c72dbd566e9788ULL, 0xa5a1610e72fd18b5ULL, 0x57bd43b5e52b7fe6ULL},
    };
    for (int t = 0; t < 3; t++) {
      philox4x64_ctr_t c = {{kat[t][0], kat[t][1], kat[t][2], kat[t][3]}};
      philox4x64_key_t k = {{kat[t][4], kat[t][5]}};
      philox4x64_ctr_t r = philox4x64(c, k);
      for (int i = 0; i < 4; i++) UMB_CHECK(r.v[i] == kat[t][6 + i], "KAT %d word %d: %016llx", t, i, (unsigned long long)r.v[i]);
    }
  }
  {
    /* UmbStream layout: key (seed, domain << 56 | id), counter (c0, c1, c2, 0) */
    UmbStream s;
    uint64_t  b[4];
    UmbStreamInit(&s, 0x452821e638d01377ULL, UMB_STREAM_NOISE, 5);
    UMB_CHECK(s.key.v[0] == 0x452821e638d01377ULL && s.key.v[1] == ((uint64_t)1 << 56 | 5), "stream key");
    UmbStreamBits(&s, 1, 2, 3, b);
    {
      philox4x64_ctr_t c = {{1, 2, 3, 0}};
      philox4x64_ctr_t r = philox4x64(c, s.key);
      for (int i = 0; i < 4; i++) UMB_CHECK(b[i] == r.v[i], "stream bits word %d", i);
    }
  }
  {
    /* pinned values: a change here changes every sample umbra has ever produced */
    const double pinned[6] = {1.0511967033294269, -0.40455915209720483, -1.2614394841278882, -1.5047203029980289, 0.82874882938803773, 1.2380570659283863};
    double       g[6];
    UmbStream    s;
    UmbStreamInit(&s, 42, UMB_STREAM_NOISE, 3);
    UmbStreamGaussian(&s, 7, 2, 6, g);
    for (int i = 0; i < 6; i++) UMB_CHECK_CLOSE(g[i], pinned[i], 0, 1e-12, "pinned Gaussian");
  }
  {
    /* moments and KS test of 2^20 Gaussians; thresholds at significance ~1e-4 */
    const int N = 1 << 20;
    double   *g, mean = 0, var = 0, D = 0;
    UmbStream s;
    PetscCall(PetscMalloc1(N, &g));
    UmbStreamInit(&s, 2024, UMB_STREAM_TEST, 0);
    for (int i = 0; i < N; i += 4) UmbStreamGaussian4(&s, (uint64_t)i, 0, 0, g + i);
    for (int i = 0; i < N; i++) mean += g[i];
    mean /= N;
    for (int i = 0; i < N; i++) var += (g[i] - mean) * (g[i] - mean);
    var /= (N - 1);
    UMB_CHECK(fabs(mean) < 4 / sqrt((double)N), "mean %g", mean);
    UMB_CHECK(fabs(var - 1) < 4 * sqrt(2.0 / N), "variance %g", var);
    qsort(g, N, sizeof(double), CompareDouble);
    for (int i = 0; i < N; i++) {
      double F = gsl_cdf_ugaussian_P(g[i]);
      D = fmax(D, fmax(fabs(F - (double)i / N), fabs(F - (double)(i + 1) / N)));
    }
    UMB_CHECK(D * sqrt((double)N) < 1.95, "KS statistic sqrt(N) D = %g", D * sqrt((double)N));
    UMB_NOTE("N = %d: mean %.3g, variance %.6f, sqrt(N) D = %.3f", N, mean, var, D * sqrt((double)N));
    PetscCall(PetscFree(g));
  }
  {
    /* ziggurat tables: layers of f(x) = exp(-x^2/2) of equal area V, the last closing at f(0) = 1 */
    const double R = umb_zig_x[1], V = R * exp(-0.5 * R * R) + sqrt(PETSC_PI / 2) * erfc(R / sqrt(2.0));
    UMB_CHECK_CLOSE(umb_zig_x[0] * exp(-0.5 * R * R), V, 1e-14, 0, "base strip area");
    for (int i = 1; i < UMB_ZIG_LAYERS; i++) {
      const double area = umb_zig_x[i] * (exp(-0.5 * umb_zig_x[i + 1] * umb_zig_x[i + 1]) - exp(-0.5 * umb_zig_x[i] * umb_zig_x[i]));
      UMB_CHECK_CLOSE(area, V, 1e-11, 0, "layer area");
      UMB_CHECK(fabs(umb_zig_r[i] - umb_zig_x[i + 1] / umb_zig_x[i]) < 4e-16, "ratio %d", i); /* both rounded from 60 digits */
    }
    UMB_CHECK(umb_zig_x[UMB_ZIG_LAYERS] == 0, "top layer reaches 0");
  }
  {
    /* chi-square of 2^22 normals in 240 bins of width 0.05 on [-6, 6] plus two tails; each bin's
       expected count from erfc; bins with fewer than 5 expected are merged into neighbours */
    const int    N = 1 << 22, B = 240;
    const double lo = -6, width = 0.05;
    long        *count;
    double       chi2 = 0, dof = -1, acc_e = 0, acc_o = 0, g[8], crit;
    UmbStream    s;
    PetscCall(PetscCalloc1(B + 2, &count));
    UmbStreamInit(&s, 7, UMB_STREAM_TEST, 1);
    for (int i = 0; i < N; i += 8) {
      UmbStreamGaussian(&s, (uint64_t)i, 0, 8, g);
      for (int j = 0; j < 8; j++) {
        int b = g[j] < lo ? 0 : g[j] >= -lo ? B + 1 : 1 + (int)((g[j] - lo) / width);
        count[b < B + 1 ? b : B]++;
      }
    }
    for (int b = 0; b < B + 2; b++) {
      const double a = b == 0 ? -INFINITY : lo + (b - 1) * width, e = b == B + 1 ? INFINITY : lo + b * width;
      const double P = 0.5 * (erfc(-e / sqrt(2.0)) - erfc(-a / sqrt(2.0)));
      acc_e += P * N;
      acc_o += (double)count[b];
      if (acc_e >= 5 || b == B + 1) {
        chi2 += (acc_o - acc_e) * (acc_o - acc_e) / acc_e;
        dof += 1;
        acc_e = acc_o = 0;
      }
    }
    crit = gsl_cdf_chisq_Qinv(1e-4, dof);
    UMB_CHECK(chi2 < crit, "chi-square %g > %g (%g dof)", chi2, crit, dof);
    UMB_NOTE("normals: chi-square %.1f with %.0f dof (critical %.1f at 1e-4)", chi2, dof, crit);
    PetscCall(PetscFree(count));
  }
  {
    /* the tail branch (reached by ~6e-4 of all draws): 2^18 direct draws against the exact law
       of X given X > R, by a KS test, on both sides */
    const int N = 1 << 18;
    double   *t, D = 0;
    const double R = umb_zig_x[1], Q = 0.5 * erfc(R / sqrt(2.0));
    UmbStream s;
    UmbWords  w;
    PetscCall(PetscMalloc1(N, &t));
    UmbStreamInit(&s, 3, UMB_STREAM_TEST, 2);
    UmbWordsInit(&w, &s, 0, 0, 0);
    for (int i = 0; i < N; i++) t[i] = i % 2 ? UmbNormalTail(&w, 0) : -UmbNormalTail(&w, 1);
    qsort(t, N, sizeof(double), CompareDouble);
    for (int i = 0; i < N; i++) {
      const double F = 1 - 0.5 * erfc(t[i] / sqrt(2.0)) / Q; /* P(X <= t | X > R) */
      UMB_CHECK(t[i] > R, "tail draw %g below R", t[i]);
      D = fmax(D, fmax(fabs(F - (double)i / N), fabs(F - (double)(i + 1) / N)));
    }
    UMB_CHECK(D * sqrt((double)N) < 1.95, "tail KS statistic sqrt(N) D = %g", D * sqrt((double)N));
    PetscCall(PetscFree(t));
  }
  {
    /* different domains, ids and counters give different numbers */
    UmbStream a, b;
    double    ga[4], gb[4];
    UmbStreamInit(&a, 1, UMB_STREAM_NOISE, 0);
    UmbStreamInit(&b, 1, UMB_STREAM_INIT, 0);
    UmbStreamGaussian4(&a, 0, 0, 0, ga);
    UmbStreamGaussian4(&b, 0, 0, 0, gb);
    UMB_CHECK(ga[0] != gb[0], "domains differ");
    UmbStreamInit(&b, 1, UMB_STREAM_NOISE, 1);
    UmbStreamGaussian4(&b, 0, 0, 0, gb);
    UMB_CHECK(ga[0] != gb[0], "ids differ");
    UmbStreamGaussian4(&a, 0, 1, 0, gb);
    UMB_CHECK(ga[0] != gb[0], "walkers differ");
  }
  return UmbTestFinalize(0);
}
