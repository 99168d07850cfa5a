/* Mean first-passage times of the full model from direct unbiased runs, compared with those of
   the reduced SDE driven by the generator's closures (UmbClosureCheckSDE runs first: it sets the
   wells and the reduced-SDE times).

   W = -closure_direct_walkers independent walkers of the unbiased overdamped Langevin SDE
   dX = -M grad U dt + sqrt(2 M / beta) dW, integrated by the Leimkuhler-Matthews scheme (the
   sampler's default: second-order accurate invariant measure) with -closure_direct_dt (default
   the sampler's -us_dt), -closure_direct_time each. Walker w starts from the model's reference
   state with the CV coordinate set to well A (w even) or B (w odd); the passage times A -> B and
   B -> A are the renewal times of the CV coordinate between the wells, as for the reduced SDE.
   The noise of walker w at step t is the Gaussian sequence of the Philox stream
   (seed, UMB_STREAM_CLOSURE, UMB_CLOSURE_DIRECT_ID) at counter (t, w): the result does not
   depend on the rank count. Coordinate CVs only (the wells are values of one coordinate). */
#include <umbra/private/closureimpl.h>
#include <umbra/sampler.h>
#include <gsl/gsl_cdf.h>

PetscErrorCode UmbClosureCheckDirect(UmbClosure c)
{
  const PetscInt   n = c->n, ci = c->cvidx;
  const PetscReal  dt = c->direct_dt;
  const PetscInt64 nsteps = (PetscInt64)PetscCeilReal(c->direct_time / dt);
  PetscInt         w0, w1, nw;
  PetscReal        bound, *x, *g, *r0, *r1, *h, *s, *tlast, acc[6] = {0, 0, 0, 0, 0, 0};
  int             *last;
  UmbStream        st;
  UmbProgress      prog;
  PetscInt64       bad = -1, gbad;

  PetscFunctionBegin;
  if (c->direct_walkers <= 0 || PetscIsInfOrNanReal(c->zA)) PetscFunctionReturn(PETSC_SUCCESS); /* no wells: said by ChooseWells */
  if (!c->coord) {
    PetscCall(UmbLog(c->comm, "closure: no direct runs of the full model (the first-passage wells need a coordinate CV)"));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(PetscLogEventBegin(UMB_EVENT.clo_direct, 0, 0, 0, 0));
  PetscCall(UmbModelGetDomainBound(c->model, &bound));
  UmbLayoutRange(c->direct_walkers, c->size, c->rank, &w0, &w1);
  nw = w1 - w0;
  PetscCall(PetscMalloc6(nw * n + 1, &x, nw * n + 1, &g, nw * n + 1, &r0, nw * n + 1, &r1, n, &h, n, &s));
  PetscCall(PetscMalloc2(nw + 1, &tlast, nw + 1, &last));
  for (PetscInt i = 0; i < n; i++) {
    h[i] = dt * c->mob[i];
    s[i] = 0.5 * PetscSqrtReal(2 * dt * c->mob[i] / c->beta); /* LM: x += -h g + s (R_t + R_t+1) */
  }
  UmbStreamInit(&st, (uint64_t)c->seed, UMB_STREAM_CLOSURE, UMB_CLOSURE_DIRECT_ID);
  for (PetscInt w = 0; w < nw; w++) {
    PetscCall(UmbModelGetReferenceState(c->model, x + w * n));
    x[w * n + ci] = ((w0 + w) % 2) ? c->zB : c->zA;
    last[w]       = ((w0 + w) % 2) ? 1 : 0; /* 0: last in A, 1: last in B */
    tlast[w]      = 0;
    UmbStreamGaussian(&st, 0, (uint64_t)(w0 + w), (int)n, r0 + w * n);
  }
  PetscCall(UmbLog(c->comm, "closure: direct runs of the full model: %" PetscInt_FMT " unbiased walkers x %" PetscInt64_FMT " steps (dt %g, Leimkuhler-Matthews) between %g and %g", c->direct_walkers, nsteps, (double)dt, (double)c->zA, (double)c->zB));
  PetscCall(UmbProgressCreate(c->comm, "closure direct runs", "walker-steps", (double)nw * nsteps, &prog));
  for (PetscInt64 t = 0; t < nsteps && bad < 0; t++) {
    if (nw) PetscCall(UmbModelEnergyGradient(c->model, nw, x, NULL, g));
    for (PetscInt w = 0; w < nw; w++) {
      PetscReal *xw = x + w * n, *a = r0 + w * n, *b = r1 + w * n, z;
      UmbStreamGaussian(&st, (uint64_t)(t + 1), (uint64_t)(w0 + w), (int)n, b);
      for (PetscInt i = 0; i < n; i++) {
        xw[i] += -h[i] * g[w * n + i] + s[i] * (a[i] + b[i]);
        if (!(PetscAbsReal(xw[i]) <= bound)) bad = w0 + w; /* NaN too */
      }
      z = xw[ci];
      if (last[w] == 0 && z >= c->zB) {
        const PetscReal tt = (t + 1) * dt - tlast[w];
        acc[0] += 1, acc[1] += tt, acc[2] += tt * tt;
        last[w] = 1, tlast[w] = (t + 1) * dt;
      } else if (last[w] == 1 && z <= c->zA) {
        const PetscReal tt = (t + 1) * dt - tlast[w];
        acc[3] += 1, acc[4] += tt, acc[5] += tt * tt;
        last[w] = 0, tlast[w] = (t + 1) * dt;
      }
    }
    {
      PetscReal *tmp = r0;
      r0             = r1;
      r1             = tmp;
    }
    if ((t & 4095) == 4095) PetscCall(UmbProgressUpdate(prog, (double)nw * (t + 1)));
  }
  PetscCall(UmbProgressFinish(prog));
  PetscCall(UmbProgressDestroy(&prog));
  PetscCallMPI(MPI_Allreduce(&bad, &gbad, 1, MPIU_INT64, MPI_MAX, c->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, acc, 6, MPIU_REAL, MPIU_SUM, c->comm));
  PetscCall(PetscFree6(x, g, r0, r1, h, s));
  PetscCall(PetscFree2(tlast, last));
  PetscCall(PetscLogEventEnd(UMB_EVENT.clo_direct, 0, 0, 0, 0));
  PetscCheck(gbad < 0, c->comm, PETSC_ERR_USER_INPUT, "closure: direct run walker %" PetscInt64_FMT " left the model's domain (|x| > %g): -closure_direct_dt %g is too large for unbiased dynamics", gbad, (double)bound, (double)dt);
  {
    /* Bonferroni over the two directions, two-sided */
    const PetscReal zq = gsl_cdf_ugaussian_Pinv(1 - c->alpha / 4);
    for (int i = 0; i < 2; i++) {
      const PetscReal nn = acc[3 * i], mu = nn > 0 ? acc[3 * i + 1] / nn : NAN;
      char            name[64], what[384];
      PetscReal       val = NAN, tol = c->mfpt_rtol;
      c->direct_n[i]   = nn;
      c->mfpt_dir[i]   = mu;
      c->mfpt_dir_err[i] = nn > 1 ? PetscSqrtReal(PetscMax(acc[3 * i + 2] / nn - mu * mu, 0) / (nn - 1)) : NAN;
      if (nn < 10) PetscCall(UmbLogWarning(c->comm, "closure: only %g transitions %s in the direct runs: raise -closure_direct_time or -closure_direct_walkers", (double)nn, i ? "B -> A" : "A -> B"));
      else {
        val = PetscAbsReal(c->mfpt_sde[i] - mu) / mu;
        tol = c->mfpt_rtol + zq * PetscSqrtReal(PetscSqr(c->mfpt_err[i]) + PetscSqr(c->mfpt_dir_err[i])) / mu;
      }
      snprintf(name, sizeof(name), "mfpt_direct_%s", i ? "B_to_A" : "A_to_B");
      snprintf(what, sizeof(what), "mean first-passage time %.3g -> %.3g of the reduced SDE vs %g transitions of direct unbiased runs of the full model: relative error, tolerance %g + %.2f combined relative standard errors", (double)(i ? c->zB : c->zA), (double)(i ? c->zA : c->zB), (double)nn, (double)c->mfpt_rtol, (double)zq);
      PetscCall(UmbClosureAddCheck(c, name, val, tol, what));
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
