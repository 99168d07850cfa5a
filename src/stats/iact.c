/* Integrated autocorrelation time with Sokal's automatic window: tau(M) = 1 + 2 sum_{t<=M} rho(t),
   M the smallest lag with M >= 5 tau(M). Autocovariances by FFT (zero-padded, so not circular),
   pooled over the series around their common mean. */
#include <umbra/stats.h>
#include <gsl/gsl_fft_real.h>
#include <gsl/gsl_fft_halfcomplex.h>

PetscErrorCode UmbIACT(PetscInt nseries, PetscInt len, const PetscReal x[], PetscReal *tau)
{
  size_t     L2 = 1;
  PetscReal *buf, *acov, mean = 0, t = 1;

  PetscFunctionBegin;
  *tau = 1;
  if (len < 4 || nseries < 1) PetscFunctionReturn(PETSC_SUCCESS);
  while (L2 < 2 * (size_t)len) L2 <<= 1;
  PetscCall(PetscMalloc1(L2, &buf));
  PetscCall(PetscCalloc1(len, &acov));
  for (PetscInt i = 0; i < nseries * len; i++) mean += x[i];
  mean /= (PetscReal)(nseries * len);
  for (PetscInt s = 0; s < nseries; s++) {
    for (size_t i = 0; i < L2; i++) buf[i] = i < (size_t)len ? x[s * len + i] - mean : 0;
    UmbCallGSL(gsl_fft_real_radix2_transform(buf, 1, L2));
    /* halfcomplex: buf[0] and buf[L2/2] are real, pairs (re, im) at (k, L2-k) */
    buf[0] *= buf[0];
    buf[L2 / 2] *= buf[L2 / 2];
    for (size_t k = 1; k < L2 / 2; k++) {
      buf[k]      = buf[k] * buf[k] + buf[L2 - k] * buf[L2 - k];
      buf[L2 - k] = 0;
    }
    UmbCallGSL(gsl_fft_halfcomplex_radix2_inverse(buf, 1, L2));
    for (PetscInt i = 0; i < len; i++) acov[i] += buf[i] / (PetscReal)len;
  }
  if (acov[0] > 0) {
    for (PetscInt m = 1; m < len; m++) {
      t += 2 * acov[m] / acov[0];
      if ((PetscReal)m >= 5 * t) break;
    }
  }
  *tau = PetscMax(1.0, t);
  PetscCall(PetscFree(buf));
  PetscCall(PetscFree(acov));
  PetscFunctionReturn(PETSC_SUCCESS);
}
