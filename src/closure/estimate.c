/* The closures on the grid: physics (MBAR-weighted bin averages, batch-means errors), generator
   (averages over lifted states, standard errors) and exact references. */
#include <umbra/private/closureimpl.h>
#include <umbra/sampler.h>

#define CHUNK 4096

/* Grid points g with |z - z_g| < bw: at most nmax of them, returned in gs[] */
static inline PetscInt Neighbours(UmbClosure c, PetscReal z, PetscInt gs[], PetscInt nmax)
{
  const PetscInt g0 = (PetscInt)PetscCeilReal((z - c->bw - c->z[0]) / c->h), g1 = (PetscInt)PetscFloorReal((z + c->bw - c->z[0]) / c->h);
  PetscInt       k  = 0;
  for (PetscInt g = PetscMax(g0, 0); g <= PetscMin(g1, c->ng - 1) && k < nmax; g++)
    if (PetscAbsReal(z - c->z[g]) < c->bw) gs[k++] = g;
  return k;
}

/* Collective (the counts are reduced): one warning listing the grid points without a physics
   estimate (fewer than 10 samples within the bandwidth, too little spread, or beyond the
   samples), as runs of
   consecutive points, each marked as a gap inside the sampled range or as beyond it. */
static PetscErrorCode WarnEmptyPoints(UmbClosure c, PetscInt nempty)
{
  char      list[768] = "";
  PetscInt  nruns = 0;
  PetscBool gap = PETSC_FALSE, beyond = PETSC_FALSE;

  PetscFunctionBegin;
  for (PetscInt g = 0; g < c->ng; g++) {
    PetscInt  e = g;
    PetscBool inside;
    size_t    len = strlen(list);
    if (c->counts[g]) continue;
    while (e + 1 < c->ng && !c->counts[e + 1]) e++;
    inside = (PetscBool)(c->z[g] > c->zmin_data && c->z[e] < c->zmax_data);
    gap    = (PetscBool)(gap || inside);
    beyond = (PetscBool)(beyond || !inside);
    if (nruns < 8) {
      if (e > g) snprintf(list + len, sizeof(list) - len, "%sz = %g .. %g (%d points, %s)", nruns ? "; " : "", (double)c->z[g], (double)c->z[e], (int)(e - g + 1), inside ? "a gap in the samples" : "beyond the samples");
      else snprintf(list + len, sizeof(list) - len, "%sz = %g (%s)", nruns ? "; " : "", (double)c->z[g], inside ? "a gap in the samples" : "beyond the samples");
    } else if (nruns == 8) snprintf(list + len, sizeof(list) - len, "; ...");
    nruns++;
    g = e;
  }
  PetscCall(UmbLogWarning(c->comm, "closure: %" PetscInt_FMT " of %" PetscInt_FMT " grid points have no physics estimate (fewer than 10 samples within -closure_bandwidth %g, too little spread, or beyond the samples): %s. closures.csv has nan in their physics columns.%s%s", nempty, c->ng, (double)c->bw, list, gap ? " To fill a gap, sample windows there (-us_centers, more -us_windows, or umbra run -run_iterations, whose coupling rounds add windows where neighbours overlap little) or widen -closure_bandwidth." : "", beyond ? " To reach points beyond the samples, extend the windows (-us_range, or umbra run -run_extend) or narrow -closure_grid." : ""));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Local quadratic regression at each grid point: with delta = z - z_g, |delta| < bw, and the MBAR
   weights w, fit A ~ a0 + a1 delta + a2 delta^2 by weighted least squares; the estimate is a0
   (the bias of a plain bin average, F'' times the mean offset of z in the bin, is removed).
   Var[A | z] = a0(A^2) - a0(A)^2. Errors: the influence of sample n on a0 is
   c_n r_n with c_n = w_n e1^T (X^T W X)^{-1} (1, delta, delta^2) and r_n its residual; the
   influences are summed over batches of consecutive frames of one walker (long against the
   IACT) and the batch sums treated as independent: var(a0) = sum_b (sum_{n in b} c_n r_n)^2. */
PetscErrorCode UmbClosurePhysics(UmbClosure c)
{
  const PetscInt ng = c->ng, nobs = c->nobs, ns = 5 + 6 * nobs; /* per grid point: S_0..4, then per obs sum w d^p A, w d^p A^2 (p < 3) */
  PetscReal     *raw, *S, *Q, *B, *Minv, *coef, lwmin = PETSC_MAX_REAL;
  PetscInt64    *cnt;
  PetscInt       reduced = 0, gs[64], maxnb = 64;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.clo_phys, 0, 0, 0, 0));
  PetscCall(PetscMalloc1(c->nloc * nobs + 1, &raw));
  for (PetscInt64 i0 = 0; i0 < c->nloc; i0 += CHUNK) PetscCall(UmbClosureObsRaw(c, (PetscInt)PetscMin(CHUNK, c->nloc - i0), c->x + i0 * c->n, raw + i0 * nobs));
  for (PetscInt64 i = 0; i < c->nloc; i++) lwmin = PetscMin(lwmin, c->lw[i]);
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &lwmin, 1, MPIU_REAL, MPIU_MIN, c->comm));
  PetscCall(PetscCalloc3(ng * ns, &S, ng * nobs, &Q, ng * nobs, &B));
  PetscCall(PetscCalloc3(ng, &cnt, ng * 9, &Minv, ng * nobs * 6, &coef));
  for (PetscInt64 i = 0; i < c->nloc; i++) {
    const PetscReal w  = PetscExpReal(-(c->lw[i] - lwmin));
    const PetscInt  nn = Neighbours(c, c->zs[i], gs, maxnb);
    for (PetscInt q = 0; q < nn; q++) {
      const PetscInt  g = gs[q];
      const PetscReal dl = c->zs[i] - c->z[g], dp[3] = {1, dl, dl * dl};
      PetscReal      *s = S + g * ns;
      cnt[g]++;
      for (PetscInt p = 0; p < 5; p++) s[p] += w * (p < 3 ? dp[p] : dp[2] * (p == 3 ? dl : dp[2]));
      for (PetscInt k = 0; k < nobs; k++) {
        const PetscReal a = raw[i * nobs + k];
        for (PetscInt p = 0; p < 3; p++) {
          s[5 + 6 * k + p] += w * dp[p] * a;
          s[5 + 6 * k + 3 + p] += w * dp[p] * a * a;
        }
      }
    }
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, S, (PetscMPIInt)(ng * ns), MPIU_REAL, MPIU_SUM, c->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, cnt, (PetscMPIInt)ng, MPIU_INT64, MPI_SUM, c->comm));
  PetscCall(PetscMalloc4(ng * nobs, &c->phys, ng * nobs, &c->phys_err, ng * nobs, &c->exval, ng, &c->counts));
  for (PetscInt g = 0; g < ng; g++) {
    const PetscReal *s = S + g * ns;
    PetscReal        M[9] = {s[0], s[1], s[2], s[1], s[2], s[3], s[2], s[3], s[4]}, *Mi = Minv + 9 * g, det;
    /* scale-free determinant check: the samples must spread on both sides of z_g */
    det = M[0] * (M[4] * M[8] - M[5] * M[7]) - M[1] * (M[3] * M[8] - M[5] * M[6]) + M[2] * (M[3] * M[7] - M[4] * M[6]);
    c->counts[g] = cnt[g];
    /* no estimate beyond the samples either: the fit would extrapolate */
    if (cnt[g] < 10 || c->z[g] < c->zmin_data || c->z[g] > c->zmax_data || !(det > 1e-10 * s[0] * s[0] * s[0] * PetscPowReal(c->bw, 6) * 1e-3)) {
      c->counts[g] = 0;
      for (PetscInt k = 0; k < nobs; k++) c->phys[g * nobs + k] = NAN;
      continue;
    }
    Mi[0] = (M[4] * M[8] - M[5] * M[7]) / det;
    Mi[1] = -(M[1] * M[8] - M[2] * M[7]) / det;
    Mi[2] = (M[1] * M[5] - M[2] * M[4]) / det;
    Mi[3] = -(M[3] * M[8] - M[5] * M[6]) / det;
    Mi[4] = (M[0] * M[8] - M[2] * M[6]) / det;
    Mi[5] = -(M[0] * M[5] - M[2] * M[3]) / det;
    Mi[6] = (M[3] * M[7] - M[4] * M[6]) / det;
    Mi[7] = -(M[0] * M[7] - M[1] * M[6]) / det;
    Mi[8] = (M[0] * M[4] - M[1] * M[3]) / det;
    for (PetscInt k = 0; k < nobs; k++) {
      PetscReal *cf = coef + (g * nobs + k) * 6; /* coefficients of A (0..2) and A^2 (3..5) */
      for (PetscInt r = 0; r < 3; r++) {
        cf[r] = cf[3 + r] = 0;
        for (PetscInt p = 0; p < 3; p++) {
          cf[r] += Mi[3 * r + p] * s[5 + 6 * k + p];
          cf[3 + r] += Mi[3 * r + p] * s[5 + 6 * k + 3 + p];
        }
      }
      c->phys[g * nobs + k] = c->kind[k] == UMB_OBS_VAR ? cf[3] - cf[0] * cf[0] : cf[0];
    }
  }
  /* batch sums of the influences */
  for (PetscInt k = c->klo; k < c->khi; k++) {
    const PetscInt64 T  = c->frames[k];
    PetscInt64       nb = PetscMin(c->batches, (PetscInt64)(T / (5 * c->iact[k])));
    if (nb < c->batches) reduced++;
    nb = PetscMax(1, nb);
    for (PetscInt64 wk = 0; wk < c->walkers[k]; wk++) {
      for (PetscInt64 b = 0; b < nb; b++) {
        const PetscInt64 t0 = b * T / nb, t1 = (b + 1) * T / nb;
        PetscInt         glo = ng, ghi = -1;
        for (PetscInt64 t = t0; t < t1; t++) {
          const PetscInt64 i  = c->offset[k] - c->offset[c->klo] + wk * T + t;
          const PetscReal  w  = PetscExpReal(-(c->lw[i] - lwmin));
          const PetscInt   nn = Neighbours(c, c->zs[i], gs, maxnb);
          for (PetscInt q = 0; q < nn; q++) {
            const PetscInt   g = gs[q];
            const PetscReal  dl = c->zs[i] - c->z[g], *Mi = Minv + 9 * g;
            const PetscReal  cn = w * (Mi[0] + Mi[1] * dl + Mi[2] * dl * dl);
            if (!c->counts[g]) continue;
            glo = PetscMin(glo, g);
            ghi = PetscMax(ghi, g);
            for (PetscInt o = 0; o < nobs; o++) {
              const PetscReal *cf = coef + (g * nobs + o) * 6, a = raw[i * nobs + o];
              const PetscReal  r1 = a - (cf[0] + cf[1] * dl + cf[2] * dl * dl);
              PetscReal        infl = r1;
              if (c->kind[o] == UMB_OBS_VAR) infl = (a * a - (cf[3] + cf[4] * dl + cf[5] * dl * dl)) - 2 * cf[0] * r1;
              B[g * nobs + o] += cn * infl;
            }
          }
        }
        for (PetscInt g = glo; g <= ghi; g++)
          for (PetscInt o = 0; o < nobs; o++) {
            Q[g * nobs + o] += PetscSqr(B[g * nobs + o]);
            B[g * nobs + o] = 0;
          }
      }
    }
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, Q, (PetscMPIInt)(ng * nobs), MPIU_REAL, MPIU_SUM, c->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &reduced, 1, MPIU_INT, MPI_SUM, c->comm));
  if (reduced) PetscCall(UmbLogWarning(c->comm, "closure: %" PetscInt_FMT " windows have walker series shorter than %" PetscInt_FMT " x 5 IACT: fewer batches there (-closure_batches)", reduced, c->batches));
  for (PetscInt g = 0; g < ng; g++)
    for (PetscInt o = 0; o < nobs; o++) c->phys_err[g * nobs + o] = c->counts[g] ? PetscSqrtReal(Q[g * nobs + o]) : NAN;
  {
    PetscInt nempty = 0;
    for (PetscInt g = 0; g < ng; g++) nempty += c->counts[g] ? 0 : 1;
    PetscCheck(nempty < ng, c->comm, PETSC_ERR_USER_INPUT, "-closure_grid [%.6g, %.6g]: no grid point has samples on both sides within %.6g; the samples span [%.6g, %.6g]: move -closure_grid into that range, extend the windows (-us_range) or widen -closure_bandwidth", (double)c->grid[0], (double)c->grid[1], (double)c->bw, (double)c->zmin_data, (double)c->zmax_data);
    if (nempty) PetscCall(WarnEmptyPoints(c, nempty));
  }
  PetscCall(PetscFree3(cnt, Minv, coef));
  PetscCall(PetscFree3(S, Q, B));
  PetscCall(PetscFree(raw));
  PetscCall(PetscLogEventEnd(UMB_EVENT.clo_phys, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Lifted states at every grid point: rows l of grid point g use latent index BASE + g L + l;
   rank r makes rows UmbLayoutRange(L) of every point */
PetscErrorCode UmbClosureGenerator(UmbClosure c)
{
  const PetscInt ng = c->ng, nobs = c->nobs, n = c->n;
  const PetscInt64 L = c->lift_n;
  PetscInt       l0, l1, m;
  PetscReal     *x, *raw, *zr, *s;
  PetscInt64    *idx;
  UmbProgress    prog;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.clo_gan, 0, 0, 0, 0));
  UmbLayoutRange((PetscInt)L, c->size, c->rank, &l0, &l1);
  m = l1 - l0;
  PetscCall(PetscMalloc5(m * n + 1, &x, m * nobs + 1, &raw, m + 1, &zr, m + 1, &idx, 2 * nobs, &s));
  PetscCall(PetscMalloc2(ng * nobs, &c->gval, ng * nobs, &c->gerr));
  PetscCall(UmbProgressCreate(c->comm, "closure: lifting", "points", ng, &prog));
  for (PetscInt g = 0; g < ng; g++) {
    for (PetscInt i = 0; i < m; i++) {
      zr[i]  = c->z[g];
      idx[i] = UMB_CLOSURE_LIFT_BASE + (PetscInt64)g * L + l0 + i;
    }
    if (m) PetscCall(UmbGanGenerate(c->gan, m, zr, idx, x));
    for (PetscInt i0 = 0; i0 < m; i0 += CHUNK) PetscCall(UmbClosureObsRaw(c, PetscMin(CHUNK, m - i0), x + i0 * n, raw + i0 * nobs));
    PetscCall(PetscArrayzero(s, 2 * nobs));
    for (PetscInt i = 0; i < m; i++)
      for (PetscInt k = 0; k < nobs; k++) s[k] += raw[i * nobs + k];
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, s, (PetscMPIInt)nobs, MPIU_REAL, MPIU_SUM, c->comm));
    for (PetscInt k = 0; k < nobs; k++) s[k] /= L;
    for (PetscInt i = 0; i < m; i++)
      for (PetscInt k = 0; k < nobs; k++) s[nobs + k] += PetscSqr(raw[i * nobs + k] - s[k]);
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, s + nobs, (PetscMPIInt)nobs, MPIU_REAL, MPIU_SUM, c->comm));
    for (PetscInt k = 0; k < nobs; k++) {
      const PetscReal v = s[nobs + k] / (L - 1);
      c->gval[g * nobs + k] = c->kind[k] == UMB_OBS_VAR ? v : s[k];
      c->gerr[g * nobs + k] = PetscSqrtReal(v / L);
    }
    /* standard error of a variance: sum of squared influences (a - m)^2 - v */
    {
      PetscReal *q = s + nobs;
      PetscCall(PetscArrayzero(q, nobs));
      for (PetscInt i = 0; i < m; i++)
        for (PetscInt k = 0; k < nobs; k++)
          if (c->kind[k] == UMB_OBS_VAR) q[k] += PetscSqr(PetscSqr(raw[i * nobs + k] - s[k]) - c->gval[g * nobs + k]);
      PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, q, (PetscMPIInt)nobs, MPIU_REAL, MPIU_SUM, c->comm));
      for (PetscInt k = 0; k < nobs; k++)
        if (c->kind[k] == UMB_OBS_VAR) c->gerr[g * nobs + k] = PetscSqrtReal(q[k]) / L;
    }
    PetscCall(UmbProgressUpdate(prog, g + 1));
  }
  PetscCall(UmbProgressFinish(prog));
  PetscCall(UmbProgressDestroy(&prog));
  PetscCall(PetscFree5(x, raw, zr, idx, s));
  PetscCall(PetscLogEventEnd(UMB_EVENT.clo_gan, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Restriction of lifted states (non-coordinate CVs): RMS of xi(G(eta, z)) - z over the grid,
   against half the grid spacing (the resolution of the physics bins) */
PetscErrorCode UmbClosureCheckRestriction(UmbClosure c)
{
  const PetscInt m = 1000;
  PetscReal     *x, *zr, *zx, ss = 0;
  PetscInt64    *idx;
  PetscInt       g0, g1;

  PetscFunctionBegin;
  UmbLayoutRange(c->ng, c->size, c->rank, &g0, &g1);
  PetscCall(PetscMalloc4(m * c->n, &x, m, &zr, m, &zx, m, &idx));
  for (PetscInt g = g0; g < g1; g++) {
    for (PetscInt i = 0; i < m; i++) {
      zr[i]  = c->z[g];
      idx[i] = UMB_CLOSURE_LIFT_BASE + (PetscInt64)g * c->lift_n + i;
    }
    PetscCall(UmbGanGenerate(c->gan, m, zr, idx, x));
    PetscCall(UmbCVEvaluate(c->cv, m, x, zx, NULL));
    for (PetscInt i = 0; i < m; i++) ss += PetscSqr(UmbCVDifference(c->cv, 0, zx[i], zr[i]));
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &ss, 1, MPIU_REAL, MPIU_SUM, c->comm));
  PetscCall(UmbClosureAddCheck(c, "restriction_rms", PetscSqrtReal(ss / (m * c->ng)), 0.5 * c->h, "restriction xi(G(eta, z)) - z of lifted states: RMS against half the grid spacing"));
  PetscCall(PetscFree4(x, zr, zx, idx));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Exact values: fine-coordinate moments by name from umbra/exact.h; for coordinate CVs the mean
   force F'(z) (central difference of the exact beta F), drift -M_c F'(z), diffusion M_c */
PetscErrorCode UmbClosureExactValues(UmbClosure c)
{
  const PetscInt     nobs = c->nobs;
  PetscInt           ne;
  const char *const *en;
  PetscReal         *ev;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < c->ng * nobs; i++) c->exval[i] = NAN;
  if (!c->has_exact) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(UmbExactGetObservables(c->exact, &ne, &en));
  PetscCall(PetscMalloc1(ne + 1, &ev));
  for (PetscInt g = 0; g < c->ng; g++) {
    PetscReal bF, bFp, bFm, zp = c->z[g] + 1e-4, zm = c->z[g] - 1e-4;
    PetscCall(UmbExactEvaluate(c->exact, &c->z[g], &bF, ev));
    for (PetscInt k = 0; k < nobs; k++)
      for (PetscInt e = 0; e < ne; e++)
        if (!strcmp(en[e], c->names[k])) c->exval[g * nobs + k] = ev[e];
    if (c->coord) {
      PetscReal Fp;
      PetscCall(UmbExactEvaluate(c->exact, &zp, &bFp, ev));
      PetscCall(UmbExactEvaluate(c->exact, &zm, &bFm, ev));
      Fp                               = (bFp - bFm) / (2e-4 * c->beta);
      c->exval[g * nobs + c->imforce] = Fp;
      c->exval[g * nobs + c->idrift]  = -c->mob[c->cvidx] * Fp;
      c->exval[g * nobs + c->idiff]   = c->mob[c->cvidx];
    }
  }
  PetscCall(PetscFree(ev));
  PetscFunctionReturn(PETSC_SUCCESS);
}
