/* The closures on the grid: physics (MBAR-weighted bin averages, batch-means errors), generator
   (averages over lifted states, standard errors) and exact references. */
#include <umbra/private/closureimpl.h>
#include <umbra/sampler.h>

#define CHUNK 4096

/* Grid points g with |z_a - z_g,a| < bw_a in every component a: at most nmax of them, returned
   in gs[] with the basis of the local quadratic regression at the offsets u_a = (z_a - z_g,a) / bw_a
   in phi[] (p values each: 1, u, u^2 in 1-D; 1, u1, u2, u1^2, u1 u2, u2^2 in 2-D) */
static inline PetscInt Neighbours(UmbClosure c, const PetscReal z[], PetscInt gs[], PetscReal phi[], PetscInt nmax)
{
  PetscInt lo[2] = {0, 0}, hi[2] = {0, 0}, k = 0;
  for (PetscInt a = 0; a < c->d; a++) {
    const PetscReal z0 = c->grid[3 * a];
    lo[a]              = PetscMax((PetscInt)PetscCeilReal((z[a] - c->bwd[a] - z0) / c->hd[a]), 0);
    hi[a]              = PetscMin((PetscInt)PetscFloorReal((z[a] + c->bwd[a] - z0) / c->hd[a]), c->ngd[a] - 1);
  }
  for (PetscInt i = lo[0]; i <= hi[0]; i++)
    for (PetscInt j = lo[1]; j <= hi[1] && k < nmax; j++) {
      const PetscInt g = i * c->ngd[1] + j;
      PetscReal      u[2] = {0, 0}, *f = phi + k * (c->d == 1 ? 3 : 6);
      PetscBool      in   = PETSC_TRUE;
      for (PetscInt a = 0; a < c->d; a++) {
        u[a] = (z[a] - c->z[g * c->d + a]) / c->bwd[a];
        in   = (PetscBool)(in && PetscAbsReal(u[a]) < 1);
      }
      if (!in) continue;
      f[0] = 1;
      f[1] = u[0];
      if (c->d == 1) f[2] = u[0] * u[0];
      else {
        f[2] = u[1];
        f[3] = u[0] * u[0];
        f[4] = u[0] * u[1];
        f[5] = u[1] * u[1];
      }
      gs[k++] = g;
    }
  return k;
}

/* Inverse of the symmetric p x p matrix M by Gauss-Jordan elimination with partial pivoting;
   false when it is numerically singular: det M < 1e-13 M_00^p (the basis is scaled by the
   bandwidth, so the test is scale-free: the samples must spread on both sides of z_g in every
   component) */
static PetscBool Invert(PetscInt p, const PetscReal M[], PetscReal Mi[])
{
  PetscReal A[36], det = 1;
  for (PetscInt i = 0; i < p * p; i++) {
    A[i]  = M[i];
    Mi[i] = (i / p == i % p) ? 1 : 0;
  }
  for (PetscInt col = 0; col < p; col++) {
    PetscInt piv = col;
    for (PetscInt r = col + 1; r < p; r++)
      if (PetscAbsReal(A[r * p + col]) > PetscAbsReal(A[piv * p + col])) piv = r;
    if (piv != col) {
      for (PetscInt j = 0; j < p; j++) {
        PetscReal t = A[col * p + j];
        A[col * p + j] = A[piv * p + j], A[piv * p + j] = t;
        t = Mi[col * p + j], Mi[col * p + j] = Mi[piv * p + j], Mi[piv * p + j] = t;
      }
      det = -det;
    }
    det *= A[col * p + col];
    if (A[col * p + col] == 0) return PETSC_FALSE;
    for (PetscInt r = 0; r < p; r++) {
      PetscReal fct;
      if (r == col) continue;
      fct = A[r * p + col] / A[col * p + col];
      for (PetscInt j = 0; j < p; j++) {
        A[r * p + j] -= fct * A[col * p + j];
        Mi[r * p + j] -= fct * Mi[col * p + j];
      }
    }
  }
  if (!(det > 1e-13 * PetscPowReal(M[0], (PetscReal)p))) return PETSC_FALSE;
  for (PetscInt r = 0; r < p; r++) {
    const PetscReal dg = A[r * p + r];
    for (PetscInt j = 0; j < p; j++) Mi[r * p + j] /= dg;
  }
  return PETSC_TRUE;
}

/* Collective (the counts are reduced): one warning listing the grid points without a physics
   estimate (fewer than 10 samples within the bandwidth, too little spread, or beyond the
   samples) as runs of consecutive points (along z2 at one z1 in 2-D), each marked as a gap
   inside the sampled range or as beyond it. */
static PetscErrorCode WarnEmptyPoints(UmbClosure c, PetscInt nempty)
{
  const PetscInt d = c->d, row = d == 1 ? c->ng : c->ngd[1], a = d - 1; /* a: the component along a run */
  char           list[768] = "";
  PetscInt       nruns = 0;
  PetscBool      gap = PETSC_FALSE, beyond = PETSC_FALSE;

  PetscFunctionBegin;
  for (PetscInt g = 0; g < c->ng; g++) {
    PetscInt    e = g;
    PetscBool   inside = PETSC_TRUE;
    size_t      len    = strlen(list);
    const char *what;
    if (c->counts[g]) continue;
    while ((e + 1) % row && !c->counts[e + 1]) e++;
    for (PetscInt b = 0; b < d; b++) inside = (PetscBool)(inside && c->z[g * d + b] > c->zlo_data[b] && c->z[e * d + b] < c->zhi_data[b]);
    gap    = (PetscBool)(gap || inside);
    beyond = (PetscBool)(beyond || !inside);
    what   = inside ? "a gap in the samples" : "beyond the samples";
    if (nruns < 8) {
      if (d > 1) len += (size_t)snprintf(list + len, sizeof(list) - len, "%sz1 = %g, z2", nruns ? "; " : "", (double)c->z[g * d]);
      else len += (size_t)snprintf(list + len, sizeof(list) - len, "%sz", nruns ? "; " : "");
      if (e > g) snprintf(list + len, sizeof(list) - len, " = %g .. %g (%d points, %s)", (double)c->z[g * d + a], (double)c->z[e * d + a], (int)(e - g + 1), what);
      else snprintf(list + len, sizeof(list) - len, " = %g (%s)", (double)c->z[g * d + a], what);
    } else if (nruns == 8) snprintf(list + len, sizeof(list) - len, "; ...");
    nruns++;
    g = e;
  }
  PetscCall(UmbLogWarning(c->comm, "closure: %" PetscInt_FMT " of %" PetscInt_FMT " grid points have no physics estimate (fewer than 10 samples within -closure_bandwidth %g, too little spread, or beyond the samples): %s. closures.csv has nan in their physics columns.%s%s", nempty, c->ng, (double)c->bw, list, gap ? " To fill a gap, sample windows there (-us_centers, more -us_windows, or umbra run -run_iterations, whose coupling rounds add windows where neighbours overlap little) or widen -closure_bandwidth." : "", beyond ? " To reach points beyond the samples, extend the windows (-us_range, or umbra run -run_extend) or narrow -closure_grid." : ""));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Local quadratic regression at each grid point: with the offsets u = (z - z_g) / bw inside the
   window and the MBAR weights w, fit A ~ c . phi(u) by weighted least squares (phi: the p
   quadratic monomials of Neighbours); the estimate is the intercept a0 (the bias of a plain
   bin average, F'' times the mean offset of z in the bin, is removed).
   Var[A | z] = a0(A^2) - a0(A)^2. Errors: the influence of sample n on a0 is c_n r_n with
   c_n = w_n e1^T (X^T W X)^{-1} phi_n and r_n its residual; the influences are summed over
   batches of consecutive frames of one walker (long against the IACT) and the batch sums
   treated as independent: var(a0) = sum_b (sum_{n in b} c_n r_n)^2. */
PetscErrorCode UmbClosurePhysics(UmbClosure c)
{
  const PetscInt ng = c->ng, nobs = c->nobs, p = c->d == 1 ? 3 : 6, ns = p * p + 2 * p * nobs; /* per grid point: sum w phi phi^T, then per obs sum w phi A, sum w phi A^2 */
  PetscReal     *raw, *S, *Q, *B, *Minv, *coef, lwmin = PETSC_MAX_REAL, phi[64 * 6];
  PetscInt64    *cnt;
  PetscInt       reduced = 0, gs[64], maxnb = 64;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.clo_phys, 0, 0, 0, 0));
  PetscCall(PetscMalloc1(c->nloc * nobs + 1, &raw));
  for (PetscInt64 i0 = 0; i0 < c->nloc; i0 += CHUNK) PetscCall(UmbClosureObsRaw(c, (PetscInt)PetscMin(CHUNK, c->nloc - i0), c->x + i0 * c->n, raw + i0 * nobs));
  for (PetscInt64 i = 0; i < c->nloc; i++) lwmin = PetscMin(lwmin, c->lw[i]);
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &lwmin, 1, MPIU_REAL, MPIU_MIN, c->comm));
  PetscCall(PetscCalloc3(ng * ns, &S, ng * nobs, &Q, ng * nobs, &B));
  PetscCall(PetscCalloc3(ng, &cnt, ng * p * p, &Minv, ng * nobs * 2 * p, &coef));
  for (PetscInt64 i = 0; i < c->nloc; i++) {
    const PetscReal w  = PetscExpReal(-(c->lw[i] - lwmin));
    const PetscInt  nn = Neighbours(c, c->zs + i * c->d, gs, phi, maxnb);
    for (PetscInt q = 0; q < nn; q++) {
      const PetscReal *f = phi + q * p;
      PetscReal       *s = S + gs[q] * ns;
      cnt[gs[q]]++;
      for (PetscInt r = 0; r < p; r++)
        for (PetscInt t = 0; t < p; t++) s[r * p + t] += w * f[r] * f[t];
      for (PetscInt k = 0; k < nobs; k++) {
        const PetscReal a = raw[i * nobs + k];
        for (PetscInt r = 0; r < p; r++) {
          s[p * p + 2 * p * k + r] += w * f[r] * a;
          s[p * p + 2 * p * k + p + r] += w * f[r] * a * a;
        }
      }
    }
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, S, (PetscMPIInt)(ng * ns), MPIU_REAL, MPIU_SUM, c->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, cnt, (PetscMPIInt)ng, MPIU_INT64, MPI_SUM, c->comm));
  PetscCall(PetscMalloc4(ng * nobs, &c->phys, ng * nobs, &c->phys_err, ng * nobs, &c->exval, ng, &c->counts));
  for (PetscInt g = 0; g < ng; g++) {
    const PetscReal *s = S + g * ns;
    PetscReal       *Mi = Minv + p * p * g;
    PetscBool        beyond = PETSC_FALSE; /* no estimate beyond the samples: the fit would extrapolate */
    for (PetscInt a = 0; a < c->d; a++) beyond = (PetscBool)(beyond || c->z[g * c->d + a] < c->zlo_data[a] || c->z[g * c->d + a] > c->zhi_data[a]);
    c->counts[g] = cnt[g];
    if (cnt[g] < 10 || beyond || !Invert(p, s, Mi)) {
      c->counts[g] = 0;
      for (PetscInt k = 0; k < nobs; k++) c->phys[g * nobs + k] = NAN;
      continue;
    }
    for (PetscInt k = 0; k < nobs; k++) {
      PetscReal       *cf = coef + (g * nobs + k) * 2 * p; /* coefficients of A (0..p-1) and A^2 (p..2p-1) */
      const PetscReal *sa = s + p * p + 2 * p * k;
      for (PetscInt r = 0; r < p; r++) {
        cf[r] = cf[p + r] = 0;
        for (PetscInt t = 0; t < p; t++) {
          cf[r] += Mi[p * r + t] * sa[t];
          cf[p + r] += Mi[p * r + t] * sa[p + t];
        }
      }
      c->phys[g * nobs + k] = c->kind[k] == UMB_OBS_VAR ? cf[p] - cf[0] * cf[0] : cf[0];
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
          const PetscInt   nn = Neighbours(c, c->zs + i * c->d, gs, phi, maxnb);
          for (PetscInt q = 0; q < nn; q++) {
            const PetscInt   g = gs[q];
            const PetscReal *f = phi + q * p, *Mi = Minv + p * p * g;
            PetscReal        cn = 0;
            if (!c->counts[g]) continue;
            for (PetscInt r = 0; r < p; r++) cn += Mi[r] * f[r];
            cn *= w;
            glo = PetscMin(glo, g);
            ghi = PetscMax(ghi, g);
            for (PetscInt o = 0; o < nobs; o++) {
              const PetscReal *cf = coef + (g * nobs + o) * 2 * p, a = raw[i * nobs + o];
              PetscReal        fit1 = 0, fit2 = 0, infl;
              for (PetscInt r = 0; r < p; r++) {
                fit1 += cf[r] * f[r];
                fit2 += cf[p + r] * f[r];
              }
              infl = a - fit1;
              if (c->kind[o] == UMB_OBS_VAR) infl = (a * a - fit2) - 2 * cf[0] * (a - fit1);
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
    PetscCheck(nempty < ng, c->comm, PETSC_ERR_USER_INPUT, "-closure_grid [%.6g, %.6g]: no grid point has samples on both sides within %.6g; the samples span [%.6g, %.6g]: move -closure_grid into that range, extend the windows (-us_range) or widen -closure_bandwidth", (double)c->grid[0], (double)c->grid[1], (double)c->bw, (double)c->zlo_data[0], (double)c->zhi_data[0]);
    if (nempty) PetscCall(WarnEmptyPoints(c, nempty));
  }
  PetscCall(PetscFree3(cnt, Minv, coef));
  PetscCall(PetscFree3(S, Q, B));
  PetscCall(PetscFree(raw));
  PetscCall(PetscLogEventEnd(UMB_EVENT.clo_phys, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Calibration error of the generator's closures at grid point g (calibrated lifting): the
   observables over the first REP_ROWS lifted states under each replicate of the calibration
   (the same draws, so the replicates differ only by smooth shifts of the moments, which these
   rows resolve to a few per cent), var = sum_r (theta_r - theta_0)^2, added to gerr in
   quadrature. This rank's mr of those rows: x, the (nrep + 1) x mr lifted states of
   UmbGeneratorGenerateReplicates; raw0, the observables of block 0 (the lifting itself). */
#define REP_ROWS 2048
static PetscErrorCode AddCalibrationError(UmbClosure c, PetscInt g, PetscInt nrep, PetscInt mr, PetscInt64 Lr, const PetscReal raw0[], const PetscReal x[], PetscReal raw[], PetscReal t[])
{
  const PetscInt nobs = c->nobs, n = c->n;

  PetscFunctionBegin;
  for (PetscInt64 i0 = 0; i0 < (PetscInt64)nrep * mr; i0 += CHUNK) PetscCall(UmbClosureObsRaw(c, (PetscInt)PetscMin(CHUNK, nrep * mr - i0), x + (mr + i0) * n, raw + i0 * nobs));
  PetscCall(PetscArrayzero(t, 2 * (nrep + 1) * nobs));
  for (PetscInt r = 0; r <= nrep; r++) {
    const PetscReal *rr = r ? raw + (PetscInt64)(r - 1) * mr * nobs : raw0;
    for (PetscInt i = 0; i < mr; i++)
      for (PetscInt k = 0; k < nobs; k++) {
        const PetscReal a = rr[i * nobs + k];
        t[2 * r * nobs + k] += a;
        t[2 * r * nobs + nobs + k] += a * a;
      }
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, t, (PetscMPIInt)(2 * (nrep + 1) * nobs), MPIU_REAL, MPIU_SUM, c->comm));
  for (PetscInt k = 0; k < nobs; k++) {
    PetscReal theta0 = 0, var = 0;
    for (PetscInt r = 0; r <= nrep; r++) {
      const PetscReal s1 = t[2 * r * nobs + k], s2 = t[2 * r * nobs + nobs + k];
      const PetscReal th = c->kind[k] == UMB_OBS_VAR ? (s2 - s1 * s1 / Lr) / (Lr - 1) : s1 / Lr;
      if (r == 0) theta0 = th;
      else var += PetscSqr(th - theta0);
    }
    c->gerr[g * nobs + k] = PetscSqrtReal(PetscSqr(c->gerr[g * nobs + k]) + var);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Lifted states at every grid point: rows l of grid point g use latent index BASE + g L + l;
   rank r makes rows UmbLayoutRange(L) of every point */
PetscErrorCode UmbClosureGenerator(UmbClosure c)
{
  const PetscInt ng = c->ng, nobs = c->nobs, n = c->n;
  const PetscInt64 L = c->lift_n;
  const PetscInt64 Lr = PetscMin(L, REP_ROWS);
  PetscInt       l0, l1, m, mr, nrep, done;
  PetscReal     *x, *raw, *zr, *s, *xr, *rawr, *t;
  PetscInt64    *idx;
  UmbProgress    prog;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.clo_gan, 0, 0, 0, 0));
  UmbLayoutRange((PetscInt)L, c->size, c->rank, &l0, &l1);
  m  = l1 - l0;
  mr = (PetscInt)PetscMax(0, PetscMin((PetscInt64)l1, Lr) - l0); /* this rank's part of the first Lr rows */
  PetscCall(UmbGeneratorGetCalibrationReplicates(c->generator, &nrep));
  done = nrep ? mr : 0; /* rows of each point lifted under every replicate */
  PetscCall(PetscMalloc5(m * n + 1, &x, m * nobs + 1, &raw, m * c->d + 1, &zr, m + 1, &idx, 2 * nobs, &s));
  PetscCall(PetscMalloc3(nrep ? (nrep + 1) * mr * n + 1 : 1, &xr, nrep ? nrep * mr * nobs + 1 : 1, &rawr, 2 * (nrep + 1) * nobs, &t));
  PetscCall(PetscMalloc2(ng * nobs, &c->gval, ng * nobs, &c->gerr));
  PetscCall(UmbProgressCreate(c->comm, "closure: lifting", "points", ng, &prog));
  for (PetscInt g = 0; g < ng; g++) {
    for (PetscInt i = 0; i < m; i++) {
      for (PetscInt a = 0; a < c->d; a++) zr[i * c->d + a] = c->z[g * c->d + a];
      idx[i] = UMB_CLOSURE_LIFT_BASE + (PetscInt64)g * L + l0 + i;
    }
    if (done) { /* the first rows under every replicate (block 0: the lifting itself), the rest once */
      PetscCall(UmbGeneratorGenerateReplicates(c->generator, done, zr, idx, nrep, xr));
      PetscCall(PetscArraycpy(x, xr, done * n));
    }
    if (m > done) PetscCall(UmbGeneratorGenerate(c->generator, m - done, zr + done * c->d, idx + done, x + done * n));
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
    if (nrep) PetscCall(AddCalibrationError(c, g, nrep, mr, Lr, raw, xr, rawr, t));
    PetscCall(UmbProgressUpdate(prog, g + 1));
  }
  PetscCall(UmbProgressFinish(prog));
  PetscCall(UmbProgressDestroy(&prog));
  PetscCall(PetscFree5(x, raw, zr, idx, s));
  PetscCall(PetscFree3(xr, rawr, t));
  PetscCall(PetscLogEventEnd(UMB_EVENT.clo_gan, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Restriction of lifted states (non-coordinate CVs): RMS of |xi(G(eta, z)) - z| over the grid,
   against half the grid spacing (the resolution of the physics bins; the smaller one in 2-D) */
PetscErrorCode UmbClosureCheckRestriction(UmbClosure c)
{
  const PetscInt m = 1000, d = c->d;
  PetscReal     *x, *zr, *zx, ss = 0;
  PetscInt64    *idx;
  PetscInt       g0, g1;

  PetscFunctionBegin;
  UmbLayoutRange(c->ng, c->size, c->rank, &g0, &g1);
  PetscCall(PetscMalloc4(m * c->n, &x, m * d, &zr, m * d, &zx, m, &idx));
  for (PetscInt g = g0; g < g1; g++) {
    for (PetscInt i = 0; i < m; i++) {
      for (PetscInt a = 0; a < d; a++) zr[i * d + a] = c->z[g * d + a];
      idx[i] = UMB_CLOSURE_LIFT_BASE + (PetscInt64)g * c->lift_n + i;
    }
    PetscCall(UmbGeneratorGenerate(c->generator, m, zr, idx, x));
    PetscCall(UmbCVEvaluate(c->cv, m, x, zx, NULL));
    for (PetscInt i = 0; i < m * d; i++) ss += PetscSqr(UmbCVDifference(c->cv, i % d, zx[i], zr[i]));
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &ss, 1, MPIU_REAL, MPIU_SUM, c->comm));
  PetscCall(UmbClosureAddCheck(c, "restriction_rms", PetscSqrtReal(ss / (m * c->ng)), 0.5 * (d == 1 ? c->h : PetscMin(c->hd[0], c->hd[1])), "restriction xi(G(eta, z)) - z of lifted states: RMS against half the grid spacing"));
  PetscCall(PetscFree4(x, zr, zx, idx));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Exact values: fine-coordinate moments by name from umbra/exact.h; for coordinate CVs the mean
   force grad F(z) (central differences of the exact beta F in each component) and, in 1-D, the
   drift -M_c F'(z) and diffusion M_c */
PetscErrorCode UmbClosureExactValues(UmbClosure c)
{
  const PetscInt     nobs = c->nobs, d = c->d;
  PetscInt           ne;
  const char *const *en;
  PetscReal         *ev;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < c->ng * nobs; i++) c->exval[i] = NAN;
  if (!c->has_exact) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(UmbExactGetObservables(c->exact, &ne, &en));
  PetscCall(PetscMalloc1(ne + 1, &ev));
  for (PetscInt g = 0; g < c->ng; g++) {
    PetscReal bF;
    PetscCall(UmbExactEvaluate(c->exact, c->z + g * d, &bF, ev));
    for (PetscInt k = 0; k < nobs; k++)
      for (PetscInt e = 0; e < ne; e++)
        if (!strcmp(en[e], c->names[k])) c->exval[g * nobs + k] = ev[e];
    if (!c->coord || c->imforce < 0) continue;
    for (PetscInt a = 0; a < d; a++) {
      PetscReal zp[2], zm[2], bFp, bFm, Fp;
      for (PetscInt b = 0; b < d; b++) zp[b] = zm[b] = c->z[g * d + b];
      zp[a] += 1e-4;
      zm[a] -= 1e-4;
      PetscCall(UmbExactEvaluate(c->exact, zp, &bFp, ev));
      PetscCall(UmbExactEvaluate(c->exact, zm, &bFm, ev));
      Fp                                  = (bFp - bFm) / (2e-4 * c->beta);
      c->exval[g * nobs + c->imforce + a] = Fp;
      if (d == 1) {
        c->exval[g * nobs + c->idrift] = -c->mob[c->cvidx] * Fp;
        c->exval[g * nobs + c->idiff]  = c->mob[c->cvidx];
      }
    }
  }
  PetscCall(PetscFree(ev));
  PetscFunctionReturn(PETSC_SUCCESS);
}
