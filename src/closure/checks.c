/* Consistency checks between the physics samples and the generator: conditional distributions
   (two-sample Kolmogorov-Smirnov distance with a permutation threshold), F(z) from MBAR against
   the integrated mean force of the lifted states, and the reduced SDE driven by the generator's
   closures (stationary histogram against exp(-beta F_MBAR), mean first-passage times against the
   exact 1-D formula). */
#include <umbra/private/closureimpl.h>
#include <umbra/sampler.h>
#include <gsl/gsl_cdf.h>

/* KS distance of the labelling lab (1: first sample, n1 of them) along the sorted order */
static PetscReal KS(PetscInt N, const PetscInt order[], const char lab[], PetscInt n1)
{
  PetscInt  c1 = 0, c2 = 0;
  PetscReal D = 0;
  for (PetscInt i = 0; i < N; i++) {
    if (lab[order[i]]) c1++;
    else c2++;
    D = PetscMax(D, PetscAbsReal((PetscReal)c1 / n1 - (PetscReal)c2 / (N - n1)));
  }
  return D;
}

/* Largest difference, over the pairs of coordinates, between the Pearson correlations of the
   two samples (lab 1 and lab 0; v: nf columns of N centred values): the dependence between the
   coordinates, which the per-coordinate KS distances do not see. work: 2 nf (nf + 1) reals. */
static PetscReal CorrelationGap(PetscInt N, PetscInt nf, const PetscReal v[], const char lab[], PetscReal work[])
{
  PetscReal *S = work, *P = work + 2 * nf, n[2] = {0, 0}, gap = 0;

  for (PetscInt q = 0; q < 2 * nf * (nf + 1); q++) work[q] = 0;
  for (PetscInt i = 0; i < N; i++) {
    const PetscInt g = lab[i] ? 1 : 0;
    n[g] += 1;
    for (PetscInt j = 0; j < nf; j++) {
      const PetscReal a = v[j * N + i];
      S[g * nf + j] += a;
      for (PetscInt k = j; k < nf; k++) P[(g * nf + j) * nf + k] += a * v[k * N + i];
    }
  }
  for (PetscInt j = 0; j < nf; j++)
    for (PetscInt k = j + 1; k < nf; k++) {
      PetscReal r[2];
      for (PetscInt g = 0; g < 2; g++) {
        const PetscReal mj = S[g * nf + j] / n[g], mk = S[g * nf + k] / n[g];
        const PetscReal cjk = P[(g * nf + j) * nf + k] / n[g] - mj * mk, cjj = P[(g * nf + j) * nf + j] / n[g] - mj * mj, ckk = P[(g * nf + k) * nf + k] / n[g] - mk * mk;
        r[g] = cjj > 0 && ckk > 0 ? cjk / PetscSqrtReal(cjj * ckk) : 0;
      }
      gap = PetscMax(gap, PetscAbsReal(r[1] - r[0]));
    }
  return gap;
}

PetscErrorCode UmbClosureCheckDistributions(UmbClosure c)
{
  const PetscInt nt = c->ntest, nf = c->nfine, d = c->d, w = d + nf; /* record: z, fine coordinates */
  PetscReal     *res; /* nt x nf KS values, nt thresholds, nt counts, nt correlation gaps, nt thresholds */
  PetscInt       g0;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.clo_test, 0, 0, 0, 0));
  if (!c->test_z_set) {
    for (PetscInt t = 0; t < nt; t++) {
      g0 = (PetscInt)PetscFloorReal((t + 0.5) / nt * (c->ngd[0] - 1) + 0.5);
      if (d == 1) c->test_z[t] = c->z[g0];
      else { /* spread along z1; along z2 the point of that column with the most samples */
        PetscInt best = g0 * c->ngd[1];
        for (PetscInt j = 0; j < c->ngd[1]; j++)
          if (c->counts[g0 * c->ngd[1] + j] > c->counts[best]) best = g0 * c->ngd[1] + j;
        c->test_z[t]  = c->z[2 * best];
        c->test_z2[t] = c->z[2 * best + 1];
      }
    }
  }
  PetscCall(PetscCalloc1(nt * (nf + 4), &res));
  for (PetscInt t = 0; t < nt; t++) {
    const PetscReal zt = c->test_z[t];
    PetscReal      *loc, *all = NULL;
    PetscInt        nloc = 0, cap = 1024;
    PetscMPIInt    *counts = NULL, *displs = NULL, mycount;
    /* local records: frames at a stride of 2 IACT within each walker series, |z - zt| < h/2 */
    PetscCall(PetscMalloc1(cap * w, &loc));
    for (PetscInt k = c->klo; k < c->khi; k++) {
      const PetscInt64 T = c->frames[k], stride = (PetscInt64)PetscCeilReal(2 * c->iact[k]);
      for (PetscInt64 wk = 0; wk < c->walkers[k]; wk++)
        for (PetscInt64 f = 0; f < T; f += stride) {
          const PetscInt64 i = c->offset[k] - c->offset[c->klo] + wk * T + f;
          if (PetscAbsReal(c->zs[i * d] - zt) >= 0.5 * c->h || (d > 1 && PetscAbsReal(c->zs[i * d + 1] - c->test_z2[t]) >= 0.5 * c->hd[1])) continue;
          if (nloc == cap) {
            PetscReal *nw;
            PetscCall(PetscMalloc1(2 * cap * w, &nw));
            PetscCall(PetscArraycpy(nw, loc, cap * w));
            PetscCall(PetscFree(loc));
            loc = nw;
            cap *= 2;
          }
          for (PetscInt a = 0; a < d; a++) loc[nloc * w + a] = c->zs[i * d + a];
          for (PetscInt j = 0; j < nf; j++) loc[nloc * w + d + j] = c->x[i * c->n + c->fine[j]];
          nloc++;
        }
    }
    mycount = (PetscMPIInt)(nloc * w);
    if (!c->rank) PetscCall(PetscMalloc2(c->size, &counts, c->size, &displs));
    PetscCallMPI(MPI_Gather(&mycount, 1, MPI_INT, counts, 1, MPI_INT, 0, c->comm));
    if (!c->rank) {
      PetscInt tot = 0;
      for (PetscMPIInt r = 0; r < c->size; r++) {
        displs[r] = (PetscMPIInt)tot;
        tot += counts[r];
      }
      PetscCall(PetscMalloc1(tot + 1, &all));
      res[nt * nf + nt + t] = (PetscReal)(tot / w);
    }
    PetscCallMPI(MPI_Gatherv(loc, mycount, MPIU_REAL, all, counts, displs, MPIU_REAL, 0, c->comm));
    PetscCall(PetscFree(loc));
    if (!c->rank) {
      const PetscInt ntot = (PetscInt)res[nt * nf + nt + t], n1 = PetscMin(ntot, c->test_n), N = 2 * n1;
      if (n1 >= 20) {
        PetscReal *v, *zr, *xg, *perm, *permc, *work;
        PetscInt  *order;
        PetscInt64 *idx;
        char      *lab;
        UmbStream  s;
        PetscCall(PetscMalloc6(N * nf, &v, n1 * d, &zr, n1 * c->n, &xg, N * nf, &order, n1, &idx, N, &lab));
        PetscCall(PetscMalloc3(c->nperm, &perm, c->nperm, &permc, 2 * nf * (nf + 1), &work));
        /* physics rows evenly spaced in the gathered list; the generator lifted at the same z */
        for (PetscInt i = 0; i < n1; i++) {
          const PetscInt r = (PetscInt)(((PetscInt64)i * ntot) / n1);
          for (PetscInt a = 0; a < d; a++) zr[i * d + a] = all[r * w + a];
          idx[i] = 2 * UMB_CLOSURE_LIFT_BASE + (PetscInt64)t * c->test_n + i;
          for (PetscInt j = 0; j < nf; j++) v[j * N + i] = all[r * w + d + j];
        }
        PetscCall(UmbGeneratorGenerate(c->generator, n1, zr, idx, xg));
        for (PetscInt i = 0; i < n1; i++)
          for (PetscInt j = 0; j < nf; j++) v[j * N + n1 + i] = xg[i * c->n + c->fine[j]];
        for (PetscInt j = 0; j < nf; j++) {
          for (PetscInt i = 0; i < N; i++) order[j * N + i] = i;
          PetscCall(PetscSortRealWithPermutation(N, v + j * N, order + j * N));
        }
        for (PetscInt i = 0; i < N; i++) lab[i] = (char)(i < n1);
        for (PetscInt j = 0; j < nf; j++) res[t * nf + j] = KS(N, order + j * N, lab, n1);
        for (PetscInt j = 0; j < nf; j++) { /* centred (the sort orders above stay valid) */
          PetscReal m = 0;
          for (PetscInt i = 0; i < N; i++) m += v[j * N + i];
          for (PetscInt i = 0; i < N; i++) v[j * N + i] -= m / N;
        }
        res[nt * (nf + 2) + t] = CorrelationGap(N, nf, v, lab, work);
        /* permutation null of max_j KS_j (rows permuted jointly) */
        UmbStreamInit(&s, (uint64_t)c->seed, UMB_STREAM_CLOSURE, (uint64_t)t);
        for (PetscInt p = 0; p < c->nperm; p++) {
          UmbWords wd;
          PetscReal mx = 0;
          UmbWordsInit(&wd, &s, (uint64_t)p, 0, 0);
          for (PetscInt i = N - 1; i > 0; i--) {
            const PetscInt jj = (PetscInt)(UmbWordsNext(&wd) % (uint64_t)(i + 1));
            const char     tmp = lab[i];
            lab[i]              = lab[jj];
            lab[jj]             = tmp;
          }
          for (PetscInt j = 0; j < nf; j++) mx = PetscMax(mx, KS(N, order + j * N, lab, n1));
          perm[p]  = mx;
          permc[p] = CorrelationGap(N, nf, v, lab, work);
        }
        PetscCall(PetscSortReal(c->nperm, perm));
        PetscCall(PetscSortReal(c->nperm, permc));
        {
          const PetscReal at = c->alpha / nt; /* Bonferroni over the test points */
          PetscInt        q  = PetscMin(PetscMax((PetscInt)PetscCeilReal((1 - at) * (c->nperm + 1)) - 1, 0), c->nperm - 1);
          res[nt * nf + t]       = perm[q];
          res[nt * (nf + 3) + t] = permc[q];
        }
        PetscCall(PetscFree6(v, zr, xg, order, idx, lab));
        PetscCall(PetscFree3(perm, permc, work));
      } else {
        for (PetscInt j = 0; j < nf; j++) res[t * nf + j] = NAN;
        res[nt * nf + t] = NAN;
      }
      PetscCall(PetscFree(all));
      PetscCall(PetscFree2(counts, displs));
    }
  }
  PetscCallMPI(MPI_Bcast(res, (PetscMPIInt)(nt * (nf + 4)), MPIU_REAL, 0, c->comm));
  c->ks_worst = -1;
  for (PetscInt t = 0; t < nt; t++) {
    if (PetscIsInfOrNanReal(res[nt * nf + t])) {
      PetscCall(UmbLogWarning(c->comm, "closure: only %g physics samples (at a stride of 2 IACT) within %g of z = %g: no distribution test there", (double)res[nt * nf + nt + t], (double)(0.5 * c->h), (double)c->test_z[t]));
      continue;
    }
    for (PetscInt j = 0; j < nf; j++) {
      const char *cn;
      char        name[128], what[256];
      PetscCall(UmbModelGetCoordinateName(c->model, c->fine[j], &cn));
      if (d == 1) {
        snprintf(name, sizeof(name), "distribution_%s_z%.4g", cn, (double)c->test_z[t]);
        snprintf(what, sizeof(what), "distribution of %s at z = %.4g, generator vs %g physics samples: KS distance", cn, (double)c->test_z[t], (double)PetscMin(res[nt * nf + nt + t], c->test_n));
      } else {
        snprintf(name, sizeof(name), "distribution_%s_z%.4g_%.4g", cn, (double)c->test_z[t], (double)c->test_z2[t]);
        snprintf(what, sizeof(what), "distribution of %s at z = (%.4g, %.4g), generator vs %g physics samples: KS distance", cn, (double)c->test_z[t], (double)c->test_z2[t], (double)PetscMin(res[nt * nf + nt + t], c->test_n));
      }
      PetscCall(UmbClosureAddCheck(c, name, res[t * nf + j], res[nt * nf + t], what));
      if (res[t * nf + j] - res[nt * nf + t] > c->ks_worst - c->ks_tol_worst) {
        c->ks_worst     = res[t * nf + j];
        c->ks_tol_worst = res[nt * nf + t];
      }
    }
  }
  for (PetscInt t = 0; t < nt && nf > 1; t++) { /* a family of its own, after the distributions */
    char name[128], what[256], at[64];
    if (PetscIsInfOrNanReal(res[nt * nf + t])) continue;
    if (d == 1) {
      snprintf(name, sizeof(name), "dependence_z%.4g", (double)c->test_z[t]);
      snprintf(at, sizeof(at), "%.4g", (double)c->test_z[t]);
    } else {
      snprintf(name, sizeof(name), "dependence_z%.4g_%.4g", (double)c->test_z[t], (double)c->test_z2[t]);
      snprintf(at, sizeof(at), "(%.4g, %.4g)", (double)c->test_z[t], (double)c->test_z2[t]);
    }
    snprintf(what, sizeof(what), "correlations between the fine coordinates at z = %s, generator vs %g physics samples: largest difference over the pairs", at, (double)PetscMin(res[nt * nf + nt + t], c->test_n));
    PetscCall(UmbClosureAddCheck(c, name, res[nt * (nf + 2) + t], res[nt * (nf + 3) + t], what));
  }
  PetscCall(PetscFree(res));
  PetscCall(PetscLogEventEnd(UMB_EVENT.clo_test, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Weights Q (ng x ng) of the cumulative integral int_{z_0}^{z_j} f from the values at the grid
   points: each interval by the cubic through the 4 nearest points (error O(h^4)) */
static PetscErrorCode IntegrationWeights(PetscInt ng, PetscReal h, PetscReal Q[])
{
  PetscFunctionBegin;
  PetscCall(PetscArrayzero(Q, ng * ng));
  for (PetscInt j = 1; j < ng; j++) {
    const PetscInt i = j - 1; /* interval [z_i, z_i+1] */
    PetscReal     *q = Q + j * ng;
    PetscCall(PetscArraycpy(q, Q + i * ng, ng));
    if (i == 0) {
      q[0] += 9 * h / 24;
      q[1] += 19 * h / 24;
      q[2] -= 5 * h / 24;
      q[3] += h / 24;
    } else if (i == ng - 2) {
      q[ng - 4] += h / 24;
      q[ng - 3] -= 5 * h / 24;
      q[ng - 2] += 19 * h / 24;
      q[ng - 1] += 9 * h / 24;
    } else {
      q[i - 1] -= h / 24;
      q[i] += 13 * h / 24;
      q[i + 1] += 13 * h / 24;
      q[i + 2] -= h / 24;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscInt Anchor(UmbClosure c)
{
  PetscInt a = -1;
  for (PetscInt g = 0; g < c->ng; g++)
    if (!PetscIsInfOrNanReal(c->Fm[g]) && (a < 0 || c->Fm[g] < c->Fm[a])) a = g;
  return a;
}

PetscErrorCode UmbClosureCheckFreeEnergy(UmbClosure c)
{
  const PetscInt ng = c->ng, nobs = c->nobs;
  PetscReal     *Q, *FG, *d, *s;
  PetscInt       a = Anchor(c), m = 0;

  PetscFunctionBegin;
  PetscCheck(a >= 0, c->comm, PETSC_ERR_USER_INPUT, "fes.h5: the free-energy profile covers no point of -closure_grid [%.6g, %.6g]", (double)c->grid[0], (double)c->grid[1]);
  PetscCall(PetscMalloc4(ng * ng, &Q, ng, &FG, ng, &d, ng, &s));
  PetscCall(IntegrationWeights(ng, c->h, Q));
  for (PetscInt j = 0; j < ng; j++) {
    FG[j] = 0;
    for (PetscInt i = 0; i < ng; i++) FG[j] += c->beta * Q[j * ng + i] * c->gval[i * nobs + c->imforce];
  }
  for (PetscInt j = 0; j < ng; j++) {
    PetscReal v = 0;
    if (j == a || PetscIsInfOrNanReal(c->Fm[j])) continue;
    for (PetscInt i = 0; i < ng; i++) v += PetscSqr(c->beta * (Q[j * ng + i] - Q[a * ng + i]) * c->gerr[i * nobs + c->imforce]);
    d[m] = (c->Fm[j] - c->Fm[a]) - (FG[j] - FG[a]);
    s[m] = PetscSqrtReal(v + PetscSqr(c->dFm[j]) + PetscSqr(c->dFm[a]));
    m++;
  }
  PetscCall(UmbClosureCompareProfiles(c, "free_energy", m, d, s, "F(z) from MBAR (fes.h5) vs the integrated mean force of the lifted states"));
  c->F_rms = c->cvalue[c->nchecks - 2];
  PetscCall(PetscFree4(Q, FG, d, s));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Cubic Lagrange interpolation of grid values f at z (4 nearest points), linear beyond the grid */
static inline PetscReal Interp(UmbClosure c, const PetscReal f[], PetscReal z)
{
  const PetscInt  ng = c->ng;
  const PetscReal t  = (z - c->z[0]) / c->h;
  PetscInt        i;
  PetscReal       u, l0, l1, l2, l3;
  if (t <= 0) return f[0] + t * (f[1] - f[0]);
  if (t >= ng - 1) return f[ng - 1] + (t - (ng - 1)) * (f[ng - 1] - f[ng - 2]);
  i = (PetscInt)t - 1;
  i = PetscMax(0, PetscMin(i, ng - 4));
  u  = t - i; /* nodes at u = 0, 1, 2, 3 */
  l0 = -(u - 1) * (u - 2) * (u - 3) / 6;
  l1 = u * (u - 2) * (u - 3) / 2;
  l2 = -u * (u - 1) * (u - 3) / 2;
  l3 = u * (u - 1) * (u - 2) / 6;
  return l0 * f[i] + l1 * f[i + 1] + l2 * f[i + 2] + l3 * f[i + 3];
}

/* The same for a periodic CV (period P): Lagrange interpolation through the 4 nearest grid
   points and their periodic images, z in [z_0, z_0 + P). The grid need not divide the period:
   the gap between the last point and z_0 + P may differ from the spacing. */
static inline PetscReal InterpPeriodic(UmbClosure c, const PetscReal f[], PetscReal z, PetscReal P)
{
  const PetscInt ng = c->ng;
  PetscInt       i  = (PetscInt)PetscFloorReal((z - c->z[0]) / c->h); /* z_i <= z, or the last point */
  PetscReal      x[4], v[4], r = 0;
  i = PetscMin(i, ng - 1);
  for (PetscInt k = 0; k < 4; k++) {
    const PetscInt j = i - 1 + k, jm = ((j % ng) + ng) % ng;
    x[k]             = c->z[jm] + P * (PetscReal)((j - jm) / ng);
    v[k]             = f[jm];
  }
  for (PetscInt k = 0; k < 4; k++) {
    PetscReal l = 1;
    for (PetscInt q = 0; q < 4; q++)
      if (q != k) l *= (z - x[q]) / (x[k] - x[q]);
    r += l * v[k];
  }
  return r;
}

/* Width of grid point g's bin (the points nearest to it); on a circle the gap from the last
   point round to the first is shared by their bins */
static inline PetscReal BinWidth(UmbClosure c, PetscInt g, PetscReal P)
{
  const PetscReal gap = c->z[0] + P - c->z[c->ng - 1];
  return P > 0 && (g == 0 || g == c->ng - 1) ? 0.5 * (c->h + gap) : c->h;
}

/* Whether the unwrapped path from a to b crosses an image y + k P of y (P > 0), or y itself (P = 0) */
static inline PetscBool Crosses(PetscReal a, PetscReal b, PetscReal y, PetscReal P)
{
  if (P > 0) return (PetscBool)(PetscFloorReal((b - y) / P) != PetscFloorReal((a - y) / P));
  return (PetscBool)((a < y) != (b < y));
}

/* Exact MFPTs A -> B and B -> A of dZ = -D F' dt + sqrt(2D/beta) dW (D = M_c constant):
   T(A->B) = beta/D int_A^B e^{beta F(y)} int_{-inf}^y e^{-beta F}, T(B->A) likewise with int_y^inf */
static PetscErrorCode ExactMFPT(UmbClosure c, PetscReal zA, PetscReal zB, PetscReal T[2])
{
  const PetscInt  M = 4001;
  const PetscReal lo = PetscMin(c->grid[0], zA) - 0.5 * (c->grid[1] - c->grid[0]), hi = PetscMax(c->grid[1], zB) + 0.5 * (c->grid[1] - c->grid[0]);
  const PetscReal dz = (hi - lo) / (M - 1), D = c->mob[c->cvidx];
  PetscReal      *bF, *left, *right, ev[256], mn = PETSC_MAX_REAL;
  PetscInt        i0, i1, ne;

  PetscFunctionBegin;
  PetscCall(UmbExactGetObservables(c->exact, &ne, NULL));
  PetscCheck(ne <= 256, PETSC_COMM_SELF, PETSC_ERR_SUP, "too many exact observables");
  PetscCall(PetscCalloc3(M, &bF, M, &left, M, &right));
  UmbLayoutRange(M, c->size, c->rank, &i0, &i1);
  for (PetscInt i = i0; i < i1; i++) {
    PetscReal zi = lo + i * dz;
    PetscCall(UmbExactEvaluate(c->exact, &zi, &bF[i], ev));
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, bF, M, MPIU_REAL, MPIU_SUM, c->comm));
  for (PetscInt i = 0; i < M; i++) mn = PetscMin(mn, bF[i]);
  for (PetscInt i = 1; i < M; i++) left[i] = left[i - 1] + 0.5 * dz * (PetscExpReal(-(bF[i] - mn)) + PetscExpReal(-(bF[i - 1] - mn)));
  for (PetscInt i = M - 2; i >= 0; i--) right[i] = right[i + 1] + 0.5 * dz * (PetscExpReal(-(bF[i] - mn)) + PetscExpReal(-(bF[i + 1] - mn)));
  T[0] = T[1] = 0;
  for (PetscInt i = 0; i + 1 < M; i++) {
    const PetscReal za = lo + i * dz, zb = za + dz;
    PetscReal       fa, fb;
    if (za < zA - 1e-12 || zb > zB + 1e-12) continue;
    fa = PetscExpReal(bF[i] - mn), fb = PetscExpReal(bF[i + 1] - mn);
    T[0] += 0.5 * dz * (fa * left[i] + fb * left[i + 1]);
    T[1] += 0.5 * dz * (fa * right[i] + fb * right[i + 1]);
  }
  T[0] *= c->beta / D;
  T[1] *= c->beta / D;
  PetscCall(PetscFree3(bF, left, right));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbClosureCheckSDE(UmbClosure c)
{
  const PetscInt   ng = c->ng, nobs = c->nobs;
  const PetscInt64 nsteps = (PetscInt64)PetscCeilReal(c->sde_time / c->sde_dt), nburn = (PetscInt64)(c->sde_burn * nsteps);
  const PetscReal  dt = c->sde_dt;
  PetscReal       *b, *s2, *H, *hist, *cdf, acc[6] = {0, 0, 0, 0, 0, 0}, zA, zB, period[2], P, Fmin = PETSC_MAX_REAL;
  PetscInt         w0, w1, a = Anchor(c);

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.clo_sde, 0, 0, 0, 0));
  /* a periodic CV whose grid covers the whole period: the reduced dynamics lives on the circle
     (else the grid's ends are open, with linear extrapolation beyond them) */
  PetscCall(UmbCVGetPeriod(c->cv, period));
  P = period[0] > 0 && c->z[c->ng - 1] < c->z[0] + period[0] ? period[0] : 0;
  PetscCall(PetscMalloc5(ng, &b, ng, &s2, 2 * ng, &H, ng, &hist, ng, &cdf));
  for (PetscInt g = 0; g < ng; g++) {
    b[g]  = c->gval[g * nobs + c->idrift];
    s2[g] = PetscMax(c->gval[g * nobs + c->idiff], 0);
  }
  zA = c->zA; /* NaN without two wells (ChooseWells): no passage is counted */
  zB = c->zB;
  /* the walkers start from exp(-beta F_MBAR) over the bins that have a free energy, so that the
     histogram tests that this density stays stationary under the generator's b, sigma^2 also
     where the wells exchange no walker within -closure_sde_time (a molecule's barriers) */
  for (PetscInt g = 0; g < ng; g++)
    if (!PetscIsInfOrNanReal(c->Fm[g])) Fmin = PetscMin(Fmin, c->Fm[g]);
  for (PetscInt g = 0; g < ng; g++) cdf[g] = (g ? cdf[g - 1] : 0) + (PetscIsInfOrNanReal(c->Fm[g]) ? 0 : PetscExpReal(-(c->Fm[g] - Fmin)) * BinWidth(c, g, P));
  PetscCall(PetscArrayzero(H, 2 * ng));
  UmbLayoutRange(c->sde_walkers, c->size, c->rank, &w0, &w1);
  for (PetscInt wk = w0; wk < w1; wk++) {
    UmbStream s;
    PetscReal z, tlast = 0, gss[4], zstep;
    int       last = -1; /* 0: last in A, 1: last in B, -1: in neither yet */
    PetscInt64 nrec = 0;
    double     u[4];
    PetscInt   g0 = 0;
    PetscCall(PetscArrayzero(hist, ng));
    UmbStreamInit(&s, (uint64_t)c->seed, UMB_STREAM_CLOSURE, 1000 + (uint64_t)wk);
    UmbStreamUniform4(&s, 0, 1, 0, u); /* the noise uses counters (step / 4, 0, 0) */
    while (g0 < ng - 1 && cdf[g0] <= u[0] * cdf[ng - 1]) g0++;
    z = c->z[g0] + (u[1] - 0.5) * c->h;
    if (P > 0) z -= P * PetscFloorReal((z - c->z[0]) / P);
    for (PetscInt64 st = 0; st < nsteps; st++) {
      const PetscReal bz = P > 0 ? InterpPeriodic(c, b, z, P) : Interp(c, b, z), sz = PetscMax(P > 0 ? InterpPeriodic(c, s2, z, P) : Interp(c, s2, z), 0), zold = z;
      if (st % 4 == 0) UmbStreamGaussian4(&s, (uint64_t)(st / 4), 0, 0, gss);
      z += bz * dt + PetscSqrtReal(2 * sz * dt / c->beta) * gss[st % 4];
      if (PetscIsInfOrNanReal(z) || PetscAbsReal(z) > 1e6) break; /* blown up: the check fails below */
      if (P > 0) z -= P * PetscFloorReal((z - c->z[0]) / P); /* back onto [z_0, z_0 + P) */
      zstep = zold + UmbMinimumImage(z - zold, P); /* the step's end, unwrapped */
      /* renewal times: from a crossing of one well's centre to the next crossing of the other's
         (on a circle: either way round) */
      if (!PetscIsInfOrNanReal(zA)) {
        if (last != 1 && Crosses(zold, zstep, zB, P)) {
          const PetscReal tt = (st + 1) * dt - tlast;
          if (last == 0) acc[0] += 1, acc[1] += tt, acc[2] += tt * tt;
          last = 1, tlast = (st + 1) * dt;
        } else if (last != 0 && Crosses(zold, zstep, zA, P)) {
          const PetscReal tt = (st + 1) * dt - tlast;
          if (last == 1) acc[3] += 1, acc[4] += tt, acc[5] += tt * tt;
          last = 0, tlast = (st + 1) * dt;
        }
      }
      if (st >= nburn) {
        PetscInt g = (PetscInt)PetscFloorReal((z - c->z[0]) / c->h + 0.5);
        if (P > 0 && z > c->z[ng - 1]) g = z - c->z[ng - 1] < c->z[0] + P - z ? ng - 1 : 0;
        if (g >= 0 && g < ng) hist[g] += 1;
        nrec++;
      }
    }
    for (PetscInt g = 0; g < ng; g++) { /* per-walker density: replicas for the error */
      const PetscReal p = nrec ? hist[g] / (nrec * BinWidth(c, g, P)) : 0;
      H[g] += p;
      H[ng + g] += p * p;
    }
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, H, (PetscMPIInt)(2 * ng), MPIU_REAL, MPIU_SUM, c->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, acc, 6, MPIU_REAL, MPIU_SUM, c->comm));
  {
    const PetscInt W = c->sde_walkers;
    PetscReal     *d, *sd, pA, sA;
    PetscInt       m = 0;
    PetscCall(PetscMalloc2(ng, &d, ng, &sd));
    for (PetscInt g = 0; g < ng; g++) {
      const PetscReal p = H[g] / W, v = PetscMax(H[ng + g] / W - p * p, 0) * W / (W - 1);
      H[g]              = p;
      H[ng + g]         = PetscSqrtReal(v / W);
    }
    pA = H[a];
    sA = H[ng + a];
    for (PetscInt g = 0; g < ng; g++) {
      /* bins visited often enough (about 100 hits or more) for a Gaussian error of -ln p */
      if (g == a || PetscIsInfOrNanReal(c->Fm[g]) || !(H[g] > 0) || H[g] * BinWidth(c, g, P) * W * (nsteps - nburn) < 100 || !(pA > 0)) continue;
      d[m]  = (-PetscLogReal(H[g]) + PetscLogReal(pA)) - (c->Fm[g] - c->Fm[a]);
      sd[m] = PetscSqrtReal(PetscSqr(H[ng + g] / H[g]) + PetscSqr(sA / pA) + PetscSqr(c->dFm[g]) + PetscSqr(c->dFm[a]));
      m++;
    }
    PetscCall(UmbClosureCompareProfiles(c, "sde_histogram", m, d, sd, "stationary histogram of the reduced SDE (generator's b, sigma^2) vs exp(-beta F_MBAR)"));
    PetscCall(PetscFree2(d, sd));
  }
  for (int i = 0; i < 2; i++) {
    const PetscReal nn = acc[3 * i], mu = nn > 0 ? acc[3 * i + 1] / nn : NAN;
    c->mfpt_sde[i] = mu;
    c->mfpt_err[i] = nn > 1 ? PetscSqrtReal(PetscMax(acc[3 * i + 2] / nn - mu * mu, 0) / (nn - 1)) : NAN;
    c->mfpt_exact[i] = NAN;
  }
  if (!PetscIsInfOrNanReal(zA) && c->has_exact && c->coord) { /* without wells, ChooseWells said why there are no MFPT checks */
    char what[256];
    PetscCall(ExactMFPT(c, zA, zB, c->mfpt_exact));
    snprintf(what, sizeof(what), "mean first-passage time %.3g -> %.3g of the reduced SDE vs the exact 1-D formula: relative error", (double)zA, (double)zB);
    PetscCall(UmbClosureAddCheck(c, "mfpt_A_to_B", PetscAbsReal(c->mfpt_sde[0] - c->mfpt_exact[0]) / c->mfpt_exact[0], c->mfpt_rtol, what));
    snprintf(what, sizeof(what), "mean first-passage time %.3g -> %.3g of the reduced SDE vs the exact 1-D formula: relative error", (double)zB, (double)zA);
    PetscCall(UmbClosureAddCheck(c, "mfpt_B_to_A", PetscAbsReal(c->mfpt_sde[1] - c->mfpt_exact[1]) / c->mfpt_exact[1], c->mfpt_rtol, what));
  } else if (!PetscIsInfOrNanReal(zA)) PetscCall(UmbLog(c->comm, "closure: no exact reference for the mean first-passage times (exact 1-D formula needs an exact F and a coordinate CV)"));
  PetscCall(PetscFree5(b, s2, H, hist, cdf));
  PetscCall(PetscLogEventEnd(UMB_EVENT.clo_sde, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Rows of the reweighted generator route. Its closures are exact up to their Monte Carlo error
   (no bias of approximation: the weights correct q to p(y | z)), so unlike a learned generator's
   they can be held to the physics closures: one row per observable, the largest |G - P| /
   sqrt(gan_err^2 + physics_err^2) over the grid, against the two-sided Bonferroni quantile over
   every compared (observable, point) pair (the rows are one family). Observables that are a
   function of z alone are left out (their error bars vanish, the physics regression's smoothing
   bias would be compared). Then the ESS: ess_loss_max = 1 - min ESS / L against
   1 - min_ess / L, and ess_low_points, the number of points below min_ess, against 0. */
PetscErrorCode UmbClosureCheckReweighted(UmbClosure c)
{
  PetscInt  m = 0, *cnt, gmin = 0;
  PetscReal *mz, tol, emin = PETSC_MAX_REAL;
  char      what[512], name[160];

  PetscFunctionBegin;
  PetscCall(PetscMalloc2(c->nobs, &cnt, c->nobs, &mz));
  for (PetscInt k = 0; k < c->nobs; k++) {
    mz[k] = UmbClosureMaxZ(c, k, c->gval, c->gerr, c->phys, c->phys_err, &cnt[k]);
    if (UmbClosureFunctionOfZOnly(c, k)) cnt[k] = 0;
    m += cnt[k];
  }
  tol = m ? gsl_cdf_ugaussian_Qinv(c->alpha / (2 * m)) : (PetscReal)NAN;
  for (PetscInt k = 0; k < c->nobs; k++) {
    if (!cnt[k]) continue;
    snprintf(name, sizeof(name), "gan_vs_physics_%s", c->names[k]);
    snprintf(what, sizeof(what), "reweighted generator vs physics closure of %s: largest difference over %" PetscInt_FMT " grid points with ESS >= %g, in combined standard errors", c->names[k], cnt[k], (double)c->min_ess);
    PetscCall(UmbClosureAddCheck(c, name, mz[k], tol, what));
  }
  for (PetscInt g = 0; g < c->ng; g++)
    if (!(c->ess[g] >= emin)) emin = c->ess[g], gmin = g; /* NaN wins: it is the worst */
  if (c->d > 1) snprintf(name, sizeof(name), "(%g, %g)", (double)c->z[2 * gmin], (double)c->z[2 * gmin + 1]);
  else snprintf(name, sizeof(name), "%g", (double)c->z[gmin]);
  snprintf(what, sizeof(what), "effective sample size of the reweighted draws: 1 - smallest ESS / draws (ESS %.4g of %" PetscInt_FMT " at z = %s), against 1 - -closure_min_ess / draws", (double)emin, c->lift_n, name);
  PetscCall(UmbClosureAddCheck(c, "ess_loss_max", 1 - emin / c->lift_n, 1 - c->min_ess / c->lift_n, what));
  snprintf(what, sizeof(what), "grid points whose reweighted draws have an ESS below -closure_min_ess %g (their generator closures are nan)", (double)c->min_ess);
  PetscCall(UmbClosureAddCheck(c, "ess_low_points", (PetscReal)c->nlow, 0, what));
  PetscCall(PetscFree2(cnt, mz));
  PetscFunctionReturn(PETSC_SUCCESS);
}
