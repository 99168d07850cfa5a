/* Diagnostics: neighbour windows on the grid of centres, the overlap matrix (pymbar's
   O = W^T W N) with its smallest neighbour overlap and the connectivity check, and a neighbour
   consistency test in the spirit of Zhu and Hummer (J Comput Chem 33, 453, 2012). */
#include <umbra/private/fesimpl.h>
#include <umbra/private/fesexp.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#define UMB_NO_OVERLAP 1e-12 /* overlap-matrix entries below this count as no overlap */

static PetscReal Diff(const UmbWindowData *w, PetscInt a, PetscReal x, PetscReal y)
{
  return UmbMinimumImage(x - y, w->period[a]);
}

/* Pairs (k, l): l is the nearest window with a larger centre along one CV component and the same
   centre in the other (minimum image for periodic components). */
PetscErrorCode UmbFesNeighbours(UmbFes fes)
{
  const UmbWindowData *w = &fes->data;
  const PetscInt       K = fes->K, d = fes->d;
  PetscInt             np = 0, *pk, *pl, *pa;

  PetscFunctionBegin;
  PetscCall(PetscMalloc3(K * d, &pk, K * d, &pl, K * d, &pa));
  for (PetscInt k = 0; k < K; k++)
    for (PetscInt a = 0; a < d; a++) {
      PetscInt  best = -1, dup = 0;
      PetscReal bd   = PETSC_MAX_REAL;
      for (PetscInt l = 0; l < K; l++) {
        PetscBool same = PETSC_TRUE;
        PetscReal dc;
        if (l == k) continue;
        for (PetscInt b = 0; b < d; b++)
          if (b != a && PetscAbsReal(Diff(w, b, w->center[l * d + b], w->center[k * d + b])) > 1e-9 * (1 + PetscAbsReal(w->center[k * d + b]))) same = PETSC_FALSE;
        dc = Diff(w, a, w->center[l * d + a], w->center[k * d + a]);
        if (same && dc > 1e-12 * (1 + PetscAbsReal(w->center[k * d + a])) && dc < bd) {
          bd   = dc;
          best = l;
        }
      }
      if (best < 0) continue;
      for (PetscInt q = 0; q < np; q++)
        if ((pk[q] == best && pl[q] == k) || (pk[q] == k && pl[q] == best)) dup = 1;
      if (dup) continue;
      pk[np]   = k;
      pl[np]   = best;
      pa[np++] = a;
    }
  fes->npairs = np;
  PetscCall(PetscMalloc3(2 * np + 1, &fes->pairs, np + 1, &fes->pair_axis, 2 * np + 1, &fes->pair_overlap));
  PetscCall(PetscMalloc3(np + 1, &fes->chi2, np + 1, &fes->pval, np + 1, &fes->dof));
  for (PetscInt q = 0; q < np; q++) {
    fes->pairs[2 * q]     = pk[q];
    fes->pairs[2 * q + 1] = pl[q];
    fes->pair_axis[q]     = pa[q];
    fes->chi2[q] = fes->pval[q] = ((PetscReal)NAN);
    fes->dof[q]                 = 0;
  }
  PetscCall(PetscFree3(pk, pl, pa));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscInt Find(PetscInt *parent, PetscInt i)
{
  while (parent[i] != i) i = parent[i] = parent[parent[i]];
  return i;
}

/* Overlap matrix O_kl = sum_n W_nk W_nl N_l = PP_kl / N_k; neighbour overlaps. Windows whose
   overlap graph (an edge where O_kl or O_lk exceeds UMB_NO_OVERLAP) falls apart into several
   connected components are an error: the estimator's free energies between the components are
   arbitrary (fixed by the starting point, not the data). The message names the neighbour
   pairs across the gaps. */
PetscErrorCode UmbFesOverlapCheck(UmbFes fes, const PetscReal PP[], const PetscReal Nk[])
{
  const PetscInt K = fes->K;
  PetscInt      *parent, *size, big = 0, nout = 0, ngroups = 0, ngaps = 0, kg = 0;
  char           gaps[640] = "";

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.fes_diag, 0, 0, 0, 0));
  for (PetscInt k = 0; k < K; k++)
    for (PetscInt l = 0; l < K; l++) fes->overlap[(size_t)k * K + l] = PP[(size_t)k * K + l] / Nk[k];
  fes->min_overlap = PETSC_MAX_REAL;
  fes->min_pair    = 0;
  for (PetscInt q = 0; q < fes->npairs; q++) {
    const PetscInt  k = fes->pairs[2 * q], l = fes->pairs[2 * q + 1];
    const PetscReal o1 = fes->overlap[(size_t)k * K + l], o2 = fes->overlap[(size_t)l * K + k];
    fes->pair_overlap[2 * q]     = o1;
    fes->pair_overlap[2 * q + 1] = o2;
    if (PetscMin(o1, o2) < fes->min_overlap) {
      fes->min_overlap = PetscMin(o1, o2);
      fes->min_pair    = q;
    }
  }
  PetscCall(PetscMalloc2(K, &parent, K, &size));
  for (PetscInt k = 0; k < K; k++) {
    parent[k] = k;
    size[k]   = 0;
  }
  for (PetscInt k = 0; k < K; k++)
    for (PetscInt l = k + 1; l < K; l++)
      if (fes->overlap[(size_t)k * K + l] > UMB_NO_OVERLAP || fes->overlap[(size_t)l * K + k] > UMB_NO_OVERLAP) parent[Find(parent, k)] = Find(parent, l);
  for (PetscInt k = 0; k < K; k++) size[Find(parent, k)]++;
  for (PetscInt k = 0; k < K; k++)
    if (size[k] > size[big]) big = k;
  for (PetscInt k = 0; k < K; k++) {
    if (size[k] > 0) ngroups++;
    if (Find(parent, k) != big) nout++;
  }
  /* the gaps: neighbour pairs on the grid of centres that fall into different groups */
  for (PetscInt q = 0; q < fes->npairs; q++) {
    const PetscInt k = fes->pairs[2 * q], l = fes->pairs[2 * q + 1];
    size_t         len = strlen(gaps);
    if (Find(parent, k) == Find(parent, l)) continue;
    if (!ngaps) kg = k;
    if (ngaps < 6) snprintf(gaps + len, sizeof(gaps) - len, "%s%" PetscInt_FMT " and %" PetscInt_FMT " (centres %g and %g%s)", ngaps ? "; " : "", k, l, (double)fes->data.center[k * fes->d], (double)fes->data.center[l * fes->d], fes->d > 1 ? ", ..." : "");
    else if (ngaps == 6) snprintf(gaps + len, sizeof(gaps) - len, "; ...");
    ngaps++;
  }
  if (!ngaps) /* no neighbour pair says where: name the windows outside the largest group */
    for (PetscInt k = 0, i = 0; k < K; k++)
      if (Find(parent, k) != big) {
        size_t len = strlen(gaps);
        if (!i) kg = k;
        if (i < 20) snprintf(gaps + len, sizeof(gaps) - len, "%s%" PetscInt_FMT " (centre %g%s)", i ? ", " : "windows ", k, (double)fes->data.center[k * fes->d], fes->d > 1 ? ", ..." : "");
        else if (i == 20) snprintf(gaps + len, sizeof(gaps) - len, ", ...");
        i++;
      }
  PetscCall(PetscFree2(parent, size));
  PetscCall(PetscLogEventEnd(UMB_EVENT.fes_diag, 0, 0, 0, 0));
  PetscCheck(!nout, fes->comm, PETSC_ERR_USER_INPUT, "the %" PetscInt_FMT " windows fall into %" PetscInt_FMT " groups that do not overlap (overlap matrix entries below %.6g), so the free energy of one group relative to another is undetermined; no overlap between %s%s: add windows in the gap%s (more -us_windows, now %" PetscInt_FMT ", or -us_centers), lower -us_kappa (now %.6g there) so that neighbours reach each other, or sample longer (-us_steps)", K, ngroups, UMB_NO_OVERLAP, ngaps ? "neighbour windows " : "", gaps, ngaps > 1 ? "s" : "", K, (double)fes->data.kappa[kg * fes->d]);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Neighbour consistency test (in the spirit of Zhu and Hummer 2012): do two neighbouring windows
   sample the same unbiased distribution? Pool their samples. If they do, a pooled sample at z
   came from window l with probability
     rho(z) = 1 / (1 + (N_k / N_l) exp(u_l(z) - u_k(z) - (f_l - f_k)))
   whatever the unbiased density (the two-state MBAR/BAR weights). f_l - f_k is fitted to the
   pair alone (the BAR condition sum_n rho_n = N_l, Newton iterations), so the test involves these
   two windows only. Along the pair's CV component, the count O_b of window-l samples in bin b is
   then compared with E_b = sum_{n in b} rho_n, whose variance for independent samples is
   V_b = sum rho (1 - rho) (exact, conditional on the positions). Correlated samples change
   this covariance, within a bin and between bins: it is estimated by batch means over blocks of
   L = ceil(20 IACT) frames of each walker series (nearly independent; shorter blocks
   under-estimate the variance by about IACT / L): with s_jb the sum of
   r_n = [n from l] - rho_n over block j in bin b, Sigma_bc = sum_windows m/(m-1) sum_j
   (s_jb - mean_b)(s_jc - mean_c), and
     chi^2 = (O - E)^T Sigma^-1 (O - E)  over bins with E_b and n_b - E_b >= 10 IACT,
   on p = bins - 1 degrees of freedom (the fitted f_l - f_k makes the residuals sum to zero);
   with Sigma estimated from m blocks this is Hotelling's T^2, and T^2 (m - p) / (p (m - 1))
   follows an F(p, m - p) distribution, which gives the p-value.
   Per-bin variances alone would ignore that neighbouring bins are correlated through the slow
   motion along the CV, and a single inflation factor pooled over the bins under-corrects the
   bins where the dynamics is slowest: both made the test flag correct sampling. A small
   p-value means the windows' histograms disagree beyond statistics: not equilibrated, a slow
   orthogonal degree of freedom, or a wrong bias. */
static PetscReal PairDu(const UmbWindowData *w, const PetscReal h[], PetscInt k, PetscInt l, const PetscReal *z)
{
  PetscReal du = 0;
  for (PetscInt b = 0; b < w->d; b++) {
    const PetscReal dl = Diff(w, b, z[b], w->center[l * w->d + b]), dk = Diff(w, b, z[b], w->center[k * w->d + b]);
    du += h[l * w->d + b] * dl * dl - h[k * w->d + b] * dk * dk;
  }
  return du;
}

/* bin of z along axis a of the grid, -1 outside it */
static inline PetscInt AxisBin(const UmbFes fes, PetscInt a, const PetscReal *z)
{
  PetscReal v = z[a], p = fes->data.period[a];
  if (p > 0) v = fes->lo[a] + (v - fes->lo[a]) - p * PetscFloorReal((v - fes->lo[a]) / p);
  if (!(v >= fes->lo[a] && v < fes->hi[a])) return -1;
  return PetscMin((PetscInt)((v - fes->lo[a]) / fes->width[a]), fes->nb[a] - 1);
}

#define UMB_PAIR_BLOCK 256 /* samples whose logistic is evaluated together */

/* r_i = 1 / (1 + exp(-x_i)) from exp(-|x_i|) <= 1 (no overflow), vectorised: the test's
   exponentials were most of its time */
UMB_FES_SIMD static void Logistics(PetscInt n, const PetscReal x[], PetscReal r[])
{
  for (PetscInt i = 0; i < n; i++) {
    const PetscReal e = UmbExpNeg(-PetscAbsReal(x[i])), s = 1 / (1 + e);
    r[i] = x[i] >= 0 ? s : e * s;
  }
}

/* rho of the samples n0..n1-1 for pair (k, l) with constant c, UMB_PAIR_BLOCK at a time */
static void PairRho(const UmbWindowData *w, const PetscReal h[], PetscInt k, PetscInt l, PetscReal c, PetscInt64 n0, PetscInt64 n1, PetscReal rho[])
{
  for (PetscInt64 n = n0; n < n1; n++) rho[n - n0] = c - PairDu(w, h, k, l, w->z + n * w->d);
  Logistics((PetscInt)(n1 - n0), rho, rho);
}

PetscErrorCode UmbFesConsistency(UmbFes fes)
{
  const UmbWindowData *w = &fes->data;
  const PetscInt       np = fes->npairs, d = fes->d;
  PetscInt             nbmax = 0;
  PetscReal           *acc, *delta, *sums, rho[UMB_PAIR_BLOCK];

  PetscFunctionBegin;
  fes->nflagged = 0;
  if (!np) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscLogEventBegin(UMB_EVENT.fes_diag, 0, 0, 0, 0));
  for (PetscInt a = 0; a < d; a++) nbmax = PetscMax(nbmax, fes->nb[a]);
  PetscCall(PetscMalloc2(np, &delta, 2 * np, &sums));
  /* f_l - f_k fitted to the pair: Newton on sum_n rho_n = N_l, started from the solution */
  for (PetscInt q = 0; q < np; q++) delta[q] = fes->f[fes->pairs[2 * q + 1]] - fes->f[fes->pairs[2 * q]];
  for (PetscInt it = 0; it < 50; it++) {
    PetscReal worst = 0;
    PetscCall(PetscArrayzero(sums, 2 * np));
    for (PetscInt q = 0; q < np; q++) {
      const PetscInt  k = fes->pairs[2 * q], l = fes->pairs[2 * q + 1];
      const PetscReal c = PetscLogReal(fes->Nk[l] / fes->Nk[k]) + delta[q];
      for (PetscInt win = 0; win < 2; win++) {
        const PetscInt kk = win ? l : k;
        if (kk < w->klo || kk >= w->khi) continue;
        const PetscInt64 end = w->offset[kk + 1] - w->offset[w->klo];
        for (PetscInt64 n0 = w->offset[kk] - w->offset[w->klo]; n0 < end; n0 += UMB_PAIR_BLOCK) {
          const PetscInt64 n1 = PetscMin(end, n0 + UMB_PAIR_BLOCK);
          PairRho(w, fes->h, k, l, c, n0, n1, rho);
          for (PetscInt64 i = 0; i < n1 - n0; i++) {
            sums[2 * q] += rho[i];
            sums[2 * q + 1] += rho[i] * (1 - rho[i]);
          }
        }
      }
    }
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, sums, (PetscMPIInt)(2 * np), MPIU_REAL, MPI_SUM, fes->comm));
    for (PetscInt q = 0; q < np; q++) {
      const PetscReal Nl = fes->Nk[fes->pairs[2 * q + 1]], hq = sums[2 * q] - Nl;
      worst = PetscMax(worst, PetscAbsReal(hq) / Nl);
      if (sums[2 * q + 1] > 0) delta[q] -= PetscMax(-5, PetscMin(5, hq / sums[2 * q + 1]));
    }
    /* the same decision on every rank, even if the reduced sums differed in the last bit */
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPIU_REAL, MPI_MAX, fes->comm));
    if (worst < 1e-10) break; /* the fitted constant to ~1e-10 kT: far below what the test resolves */
  }
  /* per pair, on the bins b0..b0+nr-1 that samples of its two windows reach (global): O_b
     (window-l samples), E_b = sum rho, C_b (all samples), and per window the block sums' first
     moments S1_b, second moments S2_bc and the number of blocks m */
  {
    PetscReal *cur;
    PetscInt  *touched, *brange, *b0, *nr;
    size_t    *off, tot = 0;
    PetscCall(PetscMalloc5(2 * np, &brange, np, &b0, np, &nr, np + 1, &off, nbmax, &touched));
    for (PetscInt q = 0; q < np; q++) {
      const PetscInt k = fes->pairs[2 * q], l = fes->pairs[2 * q + 1], a = fes->pair_axis[q];
      PetscInt       bmin = PETSC_MAX_INT, bmax = -1;
      for (PetscInt win = 0; win < 2; win++) {
        const PetscInt kk = win ? l : k;
        if (kk < w->klo || kk >= w->khi) continue;
        for (PetscInt64 n = w->offset[kk] - w->offset[w->klo]; n < w->offset[kk + 1] - w->offset[w->klo]; n++) {
          const PetscInt ib = AxisBin(fes, a, w->z + n * d);
          if (ib < 0) continue;
          bmin = PetscMin(bmin, ib);
          bmax = PetscMax(bmax, ib);
        }
      }
      brange[2 * q]     = -bmin;
      brange[2 * q + 1] = bmax;
    }
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, brange, (PetscMPIInt)(2 * np), MPIU_INT, MPI_MAX, fes->comm));
    for (PetscInt q = 0; q < np; q++) {
      b0[q]  = -brange[2 * q];
      nr[q]  = brange[2 * q + 1] >= b0[q] ? brange[2 * q + 1] - b0[q] + 1 : 0;
      off[q] = tot;
      tot += 3 * (size_t)nr[q] + 2 * ((size_t)nr[q] + (size_t)nr[q] * nr[q] + 1);
    }
    off[np] = tot;
    PetscCall(PetscCalloc1(tot, &acc));
    PetscCall(PetscCalloc1(nbmax, &cur));
    for (PetscInt q = 0; q < np; q++) {
      const PetscInt  k = fes->pairs[2 * q], l = fes->pairs[2 * q + 1], a = fes->pair_axis[q], nq = nr[q];
      const PetscReal c = PetscLogReal(fes->Nk[l] / fes->Nk[k]) + delta[q];
      PetscReal      *O = acc + off[q], *E = O + nq, *C = E + nq;
      for (PetscInt win = 0; win < 2; win++) {
        const PetscInt   kk = win ? l : k;
        PetscReal       *S1 = C + nq + (size_t)win * (nq + (size_t)nq * nq + 1), *S2 = S1 + nq, *m = S2 + (size_t)nq * nq;
        const PetscInt64 F = w->frames[kk], L = PetscMax(1, (PetscInt64)PetscCeilReal(60 * w->iact[kk]));
        if (kk < w->klo || kk >= w->khi) continue;
        for (PetscInt64 wk = 0; wk < w->walkers[kk]; wk++)
          for (PetscInt64 t0 = 0; t0 < F; t0 += L) {
            const PetscInt64 nb0 = w->offset[kk] - w->offset[w->klo] + wk * F, t1 = PetscMin(F, t0 + L);
            PetscInt         ntouched = 0;
            for (PetscInt64 t = t0; t < t1; t++) {
              const PetscInt64 n  = nb0 + t;
              const PetscInt   i  = (PetscInt)((t - t0) % UMB_PAIR_BLOCK);
              PetscInt         ib = AxisBin(fes, a, w->z + n * d);
              PetscReal        r;
              if (!i) PairRho(w, fes->h, k, l, c, n, nb0 + PetscMin(t1, t + UMB_PAIR_BLOCK), rho);
              if (ib < 0) continue;
              ib -= b0[q];
              r = rho[i];
              O[ib] += win;
              E[ib] += r;
              C[ib] += 1;
              if (cur[ib] == 0) touched[ntouched++] = ib;
              cur[ib] += win - r;
              if (cur[ib] == 0) cur[ib] = 1e-300; /* keep it marked as touched */
            }
            for (PetscInt i = 0; i < ntouched; i++) {
              S1[touched[i]] += cur[touched[i]];
              for (PetscInt j = 0; j < ntouched; j++) S2[(size_t)touched[i] * nq + touched[j]] += cur[touched[i]] * cur[touched[j]];
            }
            for (PetscInt i = 0; i < ntouched; i++) cur[touched[i]] = 0;
            *m += 1;
          }
      }
    }
    PetscCall(PetscFree(cur));
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, acc, (PetscMPIInt)tot, MPIU_REAL, MPI_SUM, fes->comm));
    for (PetscInt q = 0; q < np; q++) {
      const PetscInt   nb = nr[q];
      const PetscReal *O = acc + off[q], *E = O + nb, *C = E + nb;
      PetscInt        *sel, nsel = 0;
      PetscReal        chi2 = 0, mtot = 0;
      gsl_matrix      *Sigma;
      gsl_vector      *r;
      PetscCall(PetscMalloc1(nb, &sel));
      /* bins with at least 10 effective samples from each window: the normal approximation of
         the counts of correlated samples needs effective, not raw, counts */
      const PetscReal tau = PetscMax(w->iact[fes->pairs[2 * q]], w->iact[fes->pairs[2 * q + 1]]);
      for (PetscInt b = 0; b < nb; b++)
        if (E[b] >= 10 * tau && C[b] - E[b] >= 10 * tau) sel[nsel++] = b;
      fes->dof[q]  = 0;
      fes->chi2[q] = fes->pval[q] = ((PetscReal)NAN);
      if (nsel >= 2) {
        int status;
        Sigma = gsl_matrix_calloc((size_t)nsel, (size_t)nsel);
        r     = gsl_vector_alloc((size_t)nsel);
        PetscCheck(Sigma && r, PETSC_COMM_SELF, PETSC_ERR_MEM, "cannot allocate the consistency test");
        for (PetscInt win = 0; win < 2; win++) {
          const PetscReal *S1 = C + nb + (size_t)win * (nb + (size_t)nb * nb + 1), *S2 = S1 + nb, m = S2[(size_t)nb * nb];
          if (m < 2) continue;
          mtot += m - 1; /* each window's block mean is estimated */
          for (PetscInt i = 0; i < nsel; i++)
            for (PetscInt j = 0; j < nsel; j++) {
              const PetscInt bi = sel[i], bj = sel[j];
              *gsl_matrix_ptr(Sigma, (size_t)i, (size_t)j) += (S2[(size_t)bi * nb + bj] - S1[bi] * S1[bj] / m) * m / (m - 1);
            }
        }
        for (PetscInt i = 0; i < nsel; i++) gsl_vector_set(r, (size_t)i, O[sel[i]] - E[sel[i]]);
        /* chi^2 = r^T Sigma^-1 r by Cholesky; a singular estimate leaves the pair untested */
        status = gsl_linalg_cholesky_decomp1(Sigma);
        if (!status && mtot > nsel) {
          gsl_vector *y = gsl_vector_alloc((size_t)nsel);
          PetscCheck(y, PETSC_COMM_SELF, PETSC_ERR_MEM, "cannot allocate the consistency test");
          UmbCallGSL(gsl_linalg_cholesky_solve(Sigma, r, y));
          for (PetscInt i = 0; i < nsel; i++) chi2 += gsl_vector_get(r, (size_t)i) * gsl_vector_get(y, (size_t)i);
          gsl_vector_free(y);
          fes->dof[q]  = nsel - 1;
          fes->chi2[q] = chi2;
          fes->pval[q] = gsl_cdf_fdist_Q(chi2 * (mtot + 1 - fes->dof[q]) / (fes->dof[q] * mtot), (double)fes->dof[q], mtot + 1 - fes->dof[q]);
          if (fes->pval[q] < fes->alpha) fes->nflagged++;
        }
        gsl_matrix_free(Sigma);
        gsl_vector_free(r);
      }
      PetscCall(PetscFree(sel));
    }
    PetscCall(PetscFree5(brange, b0, nr, off, touched));
  }
  PetscCall(PetscFree2(delta, sums));
  PetscCall(PetscFree(acc));
  PetscCall(PetscLogEventEnd(UMB_EVENT.fes_diag, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
