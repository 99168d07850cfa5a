/* The generator route for a generator with a density: self-normalised importance sampling of
   its draws to the exact conditional p(y | z), with the delta-method error and the effective
   sample size per grid point (docs/closures.md, "Reweighted generator"). */
#include <umbra/private/closureimpl.h>

#define CHUNK 4096

/* Estimates at one grid point from L draws with log weights lw (any additive constant) and raw
   observables raw (L x nobs): out = nobs values, nobs errors, the ESS. A NaN or +inf log weight
   (a draw q says is impossible, or a broken U) leaves the ESS NaN: the point is not trusted. */
static void Estimate(UmbClosure c, PetscInt64 L, const PetscReal lw[], const PetscReal raw[], PetscReal out[])
{
  const PetscInt nobs = c->nobs;
  PetscReal      mx = PETSC_MIN_REAL, W = 0, W2 = 0, ess;
  PetscBool      bad = PETSC_FALSE;

  for (PetscInt64 i = 0; i < L; i++) {
    if (PetscIsNanReal(lw[i]) || (PetscIsInfReal(lw[i]) && lw[i] > 0)) bad = PETSC_TRUE;
    else if (lw[i] > mx) mx = lw[i];
  }
  /* subtract the largest log weight: exp cannot overflow, and the z-only normalisers cancel */
  for (PetscInt64 i = 0; i < L && !bad; i++) {
    const PetscReal w = PetscExpReal(lw[i] - mx);
    W += w;
    W2 += w * w;
  }
  ess = bad || !(W > 0) ? (PetscReal)NAN : W * W / W2;
  for (PetscInt k = 0; k < nobs; k++) {
    PetscReal mu = 0, v = 0, s = 0;
    if (PetscIsNanReal(ess)) {
      out[k] = out[nobs + k] = NAN;
      continue;
    }
    for (PetscInt64 i = 0; i < L; i++) mu += PetscExpReal(lw[i] - mx) * raw[i * nobs + k];
    mu /= W;
    if (c->kind[k] == UMB_OBS_VAR) {
      for (PetscInt64 i = 0; i < L; i++) v += PetscExpReal(lw[i] - mx) * PetscSqr(raw[i * nobs + k] - mu);
      v /= W * (1 - W2 / (W * W)); /* the weighted analogue of 1/(L-1): unbiased for equal weights */
      for (PetscInt64 i = 0; i < L; i++) s += PetscSqr(PetscExpReal(lw[i] - mx) * (PetscSqr(raw[i * nobs + k] - mu) - v));
      out[k] = v;
    } else {
      for (PetscInt64 i = 0; i < L; i++) s += PetscSqr(PetscExpReal(lw[i] - mx) * (raw[i * nobs + k] - mu));
      out[k] = mu;
    }
    /* delta method for the ratio sum w A / sum w: influence w_i (A_i - mean) / sum w */
    out[nobs + k] = PetscSqrtReal(s) / W;
  }
  out[2 * nobs] = ess;
}

/* Rank 0: one warning naming the grid points whose ESS is below -closure_min_ess */
static PetscErrorCode WarnCollapsed(UmbClosure c)
{
  char     list[1024] = "";
  size_t   len        = 0;
  PetscInt shown      = 0;

  PetscFunctionBegin;
  for (PetscInt g = 0; g < c->ng; g++) {
    if (c->ess[g] >= c->min_ess) continue;
    if (shown < 12) {
      if (c->d > 1) len += (size_t)snprintf(list + len, sizeof(list) - len, "%sz = (%g, %g) (ESS %.3g)", shown ? ", " : "", (double)c->z[2 * g], (double)c->z[2 * g + 1], (double)c->ess[g]);
      else len += (size_t)snprintf(list + len, sizeof(list) - len, "%sz = %g (ESS %.3g)", shown ? ", " : "", (double)c->z[g], (double)c->ess[g]);
    } else if (shown == 12) len += (size_t)snprintf(list + len, sizeof(list) - len, ", ...");
    shown++;
    if (len >= sizeof(list)) len = sizeof(list) - 1;
  }
  PetscCall(UmbLogWarning(c->comm, "closure: the generator's importance weights collapsed at %" PetscInt_FMT " of %" PetscInt_FMT " grid points (effective sample size below -closure_min_ess %g of %" PetscInt_FMT " draws): %s. Their generator closures are not trusted: nan in closures.csv, and the ess rows of consistency.csv fail. Remedy: more draws (-closure_lift_n), a better trained generator (its q(y | z) misses where exp(-beta U) puts its mass), or more samples near those z to train it on.", c->nlow, c->ng, (double)c->min_ess, c->lift_n, list));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every grid point is computed whole by one rank (the block layout of the grid), draws and sums
   in a fixed order, then gathered: the results do not depend on the rank count, bit for bit.
   Draw l at point g: base noise from the stream (seed, closure, REWEIGHT_ID + g) at counter
   (l, 0), pushed forward to the state x = T(noise; z) on the level set of z, with log q. */
PetscErrorCode UmbClosureReweight(UmbClosure c)
{
  const PetscInt   ng = c->ng, nobs = c->nobs, n = c->n, d = c->d, rec = 2 * nobs + 1;
  const PetscInt64 L  = c->lift_n;
  PetscInt         g0, g1, k;
  PetscReal       *noise, *zr, *x, *logq, *U, *G, *lw, *raw, *res, *all;
  PetscMPIInt     *counts, *displs;
  UmbProgress      prog;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.clo_gan, 0, 0, 0, 0));
  PetscCall(UmbGeneratorGetNoiseDimension(c->generator, &k));
  UmbLayoutRange(ng, c->size, c->rank, &g0, &g1);
  PetscCall(PetscMalloc6(CHUNK * k, &noise, CHUNK * d, &zr, CHUNK * n, &x, CHUNK, &logq, CHUNK, &U, CHUNK * n, &G));
  PetscCall(PetscMalloc4(L, &lw, L * nobs, &raw, (g1 - g0) * rec + 1, &res, ng * rec, &all));
  PetscCall(UmbProgressCreate(c->comm, "closure: reweighting", "points", g1 - g0, &prog));
  for (PetscInt g = g0; g < g1; g++) {
    UmbStream s;
    UmbStreamInit(&s, (uint64_t)c->seed, UMB_STREAM_CLOSURE, UMB_CLOSURE_REWEIGHT_ID + (uint64_t)g);
    for (PetscInt64 l0 = 0; l0 < L; l0 += CHUNK) {
      const PetscInt mc = (PetscInt)PetscMin(CHUNK, L - l0);
      for (PetscInt i = 0; i < mc; i++) {
        UmbStreamGaussian(&s, (uint64_t)(l0 + i), 0, (int)k, noise + i * k);
        for (PetscInt a = 0; a < d; a++) zr[i * d + a] = c->z[g * d + a];
      }
      PetscCall(UmbGeneratorPushForward(c->generator, mc, zr, noise, x, logq));
      PetscCall(UmbModelEnergyGradient(c->model, mc, x, U, G));
      PetscCall(UmbClosureObsRaw(c, mc, x, raw + l0 * nobs));
      for (PetscInt i = 0; i < mc; i++) {
        PetscReal v = 0;
        switch (c->rw_variant) {
        case UMB_REWEIGHT_SNIS:
          v = -c->beta * U[i] - logq[i];
          break;
        case UMB_REWEIGHT_NONE:
          v = 0;
          break;
        case UMB_REWEIGHT_FLIP_LOGQ:
          v = -c->beta * U[i] + logq[i];
          break;
        case UMB_REWEIGHT_NO_LOGQ:
          v = -c->beta * U[i];
          break;
        }
        lw[l0 + i] = v;
      }
    }
    Estimate(c, L, lw, raw, res + (g - g0) * rec);
    PetscCall(UmbProgressUpdate(prog, g - g0 + 1));
  }
  PetscCall(UmbProgressFinish(prog));
  PetscCall(UmbProgressDestroy(&prog));
  PetscCall(PetscMalloc2(c->size, &counts, c->size, &displs));
  for (PetscMPIInt r = 0; r < c->size; r++) {
    PetscInt a, b;
    UmbLayoutRange(ng, c->size, r, &a, &b);
    counts[r] = (PetscMPIInt)((b - a) * rec);
    displs[r] = (PetscMPIInt)(a * rec);
  }
  PetscCallMPI(MPI_Allgatherv(res, counts[c->rank], MPIU_REAL, all, counts, displs, MPIU_REAL, c->comm));
  PetscCall(PetscMalloc2(ng * nobs, &c->gval, ng * nobs, &c->gerr));
  PetscCall(PetscMalloc1(ng, &c->ess));
  c->nlow = 0;
  for (PetscInt g = 0; g < ng; g++) {
    const PetscReal *r       = all + g * rec;
    const PetscBool  trusted = (PetscBool)(r[2 * nobs] >= c->min_ess); /* false for NaN */
    c->ess[g]                = r[2 * nobs];
    if (!trusted) c->nlow++;
    for (PetscInt o = 0; o < nobs; o++) { /* never a confident value from collapsed weights */
      c->gval[g * nobs + o] = trusted ? r[o] : (PetscReal)NAN;
      c->gerr[g * nobs + o] = trusted ? r[nobs + o] : (PetscReal)NAN;
    }
  }
  if (c->nlow) PetscCall(WarnCollapsed(c));
  PetscCall(PetscFree2(counts, displs));
  PetscCall(PetscFree4(lw, raw, res, all));
  PetscCall(PetscFree6(noise, zr, x, logq, U, G));
  PetscCall(PetscLogEventEnd(UMB_EVENT.clo_gan, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
