/* Flow moves: Metropolis-Hastings moves of the generated coordinates y at fixed CV value z,
   proposed by a generator with an exact density q(y | z) (docs/sampling.md, "Flow moves").
   Proposal: with probability 1 - f, y' = T(eta; z); with probability f, y' = T(eta; c_j) at the
   centre of a window j drawn uniformly; eta ~ N(0, s^2 I). Its density is the mixture
   qmix(y | z) = (1 - f) q_s(y | z) + f/K sum_j q_s(y | c_j), and a move is accepted with
   probability min(1, exp(-beta [U(z, y') - U(z, y)]) qmix(y | z) / qmix(y' | z)): the bias
   depends on z alone, which the move keeps exactly (a coordinate or linear CV: y are the other
   coordinates, or those of the null space of the weights, and only they change), so it cancels
   and each window's stationary distribution is kept exactly. */
#include <umbra/private/samplerimpl.h>
#include <umbra/private/generatorcommon.h>
#include <umbra/rng.h>

PetscErrorCode UmbSamplerSetProposalGenerator(UmbSampler s, UmbGenerator g)
{
  PetscFunctionBegin;
  if (s->flow_owned) PetscCall(UmbGeneratorDestroy(&s->flow));
  s->flow       = g;
  s->flow_owned = PETSC_FALSE;
  s->setup      = PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplerSetFlowOptionsLater(UmbSampler s, PetscBool later)
{
  PetscFunctionBegin;
  s->flow_later = later;
  s->setup      = PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplerSetFlowMoveVariant(UmbSampler s, UmbFlowMoveVariant v)
{
  PetscFunctionBegin;
  s->flow_variant = v;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The CV must have flat level sets (coordinate or linear CV): a move of the generated
   coordinates then keeps z exactly, and they are exactly what the flow models */
static PetscErrorCode CheckCV(UmbSampler s, const char what[])
{
  UmbCVType type;
  PetscBool flat;

  PetscFunctionBegin;
  PetscCall(UmbCVGetType(s->cv, &type));
  PetscCall(UmbCVHasFlatLevelSets(s->cv, &flat));
  PetscCheck(flat, s->comm, PETSC_ERR_USER_INPUT, "%s: flow moves need a coordinate or linear CV (-cv coord, -cv linear), not -cv %s: the flow generates the coordinates outside a coordinate CV or in the null space of a linear one, and a move of them keeps z exactly only then", what, type);
  PetscCall(UmbGenSpaceCreate(s->cv, PETSC_TRUE, &s->space));
  s->ng = s->space.ng;
  PetscCheck(s->ng > 0, s->comm, PETSC_ERR_USER_INPUT, "%s: the CV is every coordinate of the model: there is nothing for a flow move to change", what);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplerFlowSetUp(UmbSampler s)
{
  const char *what = s->flow_file[0] ? "-us_flow_file" : "UmbSamplerSetProposalGenerator";
  PetscBool   has;
  PetscInt    ng;

  PetscFunctionBegin;
  if (s->flow_owned) PetscCall(UmbGeneratorDestroy(&s->flow));
  s->flow_owned = PETSC_FALSE;
  PetscCall(UmbGenSpaceDestroy(&s->space));
  s->ng = s->nk = 0;
  if (!s->flow && !s->flow_file[0]) {
    const char *opt = s->flow_moves_set ? "-us_flow_moves" : s->flow_scale_set ? "-us_flow_base_scale" : s->flow_mix_set ? "-us_flow_mix" : NULL;
    PetscCheck(!opt || s->flow_later, s->comm, PETSC_ERR_USER_INPUT, "%s needs -us_flow_file (the flow generator whose density proposes the moves)", opt);
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCheck(!s->flow || !s->flow_file[0], s->comm, PETSC_ERR_USER_INPUT, "-us_flow_file %s: a proposal generator was given already (UmbSamplerSetProposalGenerator); give one of them", s->flow_file);
  PetscCall(CheckCV(s, what));
  if (s->flow_file[0]) {
    PetscCall(UmbGeneratorCreate(s->cv, &s->flow));
    s->flow_owned = PETSC_TRUE;
    PetscCall(UmbGeneratorSetType(s->flow, "flow"));
    PetscCall(UmbGeneratorSetSeed(s->flow, s->seed));
    PetscCall(UmbGeneratorSetUp(s->flow));
    PetscCall(UmbGeneratorLoad(s->flow, s->flow_file)); /* checks model and CV */
  }
  PetscCall(UmbGeneratorHasDensity(s->flow, &has));
  PetscCheck(has, s->comm, PETSC_ERR_USER_INPUT, "%s: the proposal generator has no density, so the acceptance probability of its moves is unknown: use a flow (umbra train -generator flow)", what);
  PetscCall(UmbGeneratorIsTrained(s->flow, &has));
  PetscCheck(has, s->comm, PETSC_ERR_USER_INPUT, "%s: the proposal generator is not trained or loaded", what);
  PetscCall(UmbGeneratorGetGenerated(s->flow, &ng));
  PetscCheck(ng == s->ng, s->comm, PETSC_ERR_USER_INPUT, "%s: the generator produces %" PetscInt_FMT " coordinates, but the CV leaves %" PetscInt_FMT " of the model's to generate", what, ng, s->ng);
  PetscCall(UmbGeneratorGetNoiseDimension(s->flow, &s->nk));
  PetscCheck(s->nk > 0, s->comm, PETSC_ERR_USER_INPUT, "%s: the generator has no base noise", what);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* log qmix(y_i | z_i) of m states x (m x n) at CV values z (m x d). The rows (x_i, z_i) and
   (x_i, c_j) for every window j go to the generator in one call. */
static PetscErrorCode MixLogDensity(UmbSampler s, PetscInt m, const PetscReal z[], const PetscReal x[], PetscReal lq[])
{
  const PetscInt  n = s->n, d = s->d, nk = s->nk, R = s->flow_mix > 0 ? 1 + s->K : 1;
  const PetscReal sc = s->flow_scale, f = s->flow_mix;
  const PetscReal shift = 0.5 * (1 - 1 / (sc * sc)), logs = nk * PetscLogReal(sc);
  PetscReal      *zr, *xr, *eta, *a;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.smp_flowdens, 0, 0, 0, 0));
  PetscCall(PetscMalloc4(m * R * d, &zr, m * R * n, &xr, m * R * nk, &eta, m * R, &a));
  for (PetscInt i = 0; i < m; i++)
    for (PetscInt r = 0; r < R; r++) {
      PetscCall(PetscArraycpy(zr + (i * R + r) * d, r ? s->center + (r - 1) * d : z + i * d, d));
      PetscCall(PetscArraycpy(xr + (i * R + r) * n, x + i * n, n));
    }
  PetscCall(UmbGeneratorInverse(s->flow, m * R, zr, xr, eta, a));
  /* the broadened base N(0, s^2 I): log q_s = log q + |eta|^2 (1 - 1/s^2) / 2 - k log s */
  for (PetscInt r = 0; r < m * R; r++) {
    PetscReal e2 = 0;
    for (PetscInt j = 0; j < nk; j++) e2 += eta[r * nk + j] * eta[r * nk + j];
    a[r] += shift * e2 - logs;
  }
  for (PetscInt i = 0; i < m; i++) {
    const PetscReal *ai = a + i * R;
    PetscReal        mx, sum = 0;
    if (R == 1) {
      lq[i] = ai[0];
      continue;
    }
    mx = -INFINITY;
    for (PetscInt r = 0; r < R; r++) mx = PetscIsNanReal(ai[r]) || PetscIsNanReal(mx) ? ai[r] + mx : PetscMax(mx, ai[r]);
    if (PetscIsInfOrNanReal(mx)) { /* NaN, or no finite term: reported by the caller */
      lq[i] = mx;
      continue;
    }
    sum = (1 - f) * PetscExpReal(ai[0] - mx);
    for (PetscInt r = 1; r < R; r++) sum += f / s->K * PetscExpReal(ai[r] - mx);
    lq[i] = mx + PetscLogReal(sum);
  }
  PetscCall(PetscFree4(zr, xr, eta, a));
  PetscCall(PetscLogEventEnd(UMB_EVENT.smp_flowdens, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Whether some generated coordinate lies on the other side of ref in y and in yp */
static PetscBool Switched(UmbSampler s, const PetscReal y[], const PetscReal yp[], const PetscReal ref[])
{
  for (PetscInt j = 0; j < s->ng; j++)
    if ((y[j] > ref[j]) != (yp[j] > ref[j])) return PETSC_TRUE;
  return PETSC_FALSE;
}

static void Bad(UmbWindowState *ws, PetscInt w, PetscInt64 step, const char what[])
{
  ws->flow_bad_walker = w;
  ws->flow_bad_step   = step;
  snprintf(ws->flow_bad_what, sizeof(ws->flow_bad_what), "%s", what);
}

PetscErrorCode UmbWindowFlowMove(UmbSampler s, UmbWindowState *ws, PetscInt64 step)
{
  const PetscInt  nw = s->walkers, n = s->n, d = s->d, nk = s->nk, K = s->K;
  const PetscReal f = s->flow_mix;
  const PetscInt  ng = s->ng;
  PetscReal       beta, bound, *xp, *zc, *zp, *eta, *U0, *U1, *lq0, *lq1, *uacc, *ref, *y, *yp;
  UmbStream       stream;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.smp_flowmove, 0, 0, 0, 0));
  PetscCall(UmbModelGetBeta(s->model, &beta));
  PetscCall(UmbModelGetDomainBound(s->model, &bound));
  PetscCall(PetscMalloc5(nw * n, &xp, nw * d, &zc, nw * d, &zp, nw * nk, &eta, s->ng, &ref));
  PetscCall(PetscMalloc5(nw, &U0, nw, &U1, nw, &lq0, nw, &lq1, nw, &uacc));
  PetscCall(PetscMalloc2(nw * ng, &y, nw * ng, &yp));
  UmbStreamInit(&stream, (uint64_t)s->seed, UMB_STREAM_FLOWMOVE, (uint64_t)(s->stream0 + ws->k));
  PetscCall(UmbCVEvaluate(s->cv, nw, ws->x, zc, NULL));
  for (PetscInt w = 0; w < nw; w++) {
    double   u[4];
    UmbWords words;
    UmbStreamUniform4(&stream, (uint64_t)step, (uint64_t)w, 0, u);
    if (f > 0 && u[0] < f) {
      const PetscInt j = PetscMin(K - 1, (PetscInt)(u[1] * K));
      PetscCall(PetscArraycpy(zp + w * d, s->center + j * d, d));
    } else PetscCall(PetscArraycpy(zp + w * d, zc + w * d, d));
    uacc[w] = u[2];
    UmbWordsInit(&words, &stream, (uint64_t)step, (uint64_t)w, 1);
    for (PetscInt j = 0; j < nk; j++) eta[w * nk + j] = s->flow_scale * UmbNormal(&words);
  }
  PetscCall(UmbGeneratorPushForward(s->flow, nw, zp, eta, xp, NULL));
  /* the walker with the proposed generated coordinates: its CV value stays (a proposal from
     another centre too) */
  for (PetscInt w = 0; w < nw; w++) {
    UmbGenSpaceProject(&s->space, ws->x + w * n, y + w * ng);
    UmbGenSpaceProject(&s->space, xp + w * n, yp + w * ng);
    PetscCall(PetscArraycpy(xp + w * n, ws->x + w * n, n));
    UmbGenSpaceReplace(&s->space, yp + w * ng, xp + w * n);
  }
  PetscCall(MixLogDensity(s, nw, zc, ws->x, lq0));
  PetscCall(MixLogDensity(s, nw, zc, xp, lq1));
  PetscCall(UmbModelEnergyGradient(s->model, nw, ws->x, U0, ws->g)); /* g: scratch, recomputed by the next step */
  PetscCall(UmbModelEnergyGradient(s->model, nw, xp, U1, ws->g));

  /* a mode switch is judged against the mean of the generated coordinates over the window's
     saved frames so far (before the first frame: over its walkers now) */
  for (PetscInt j = 0; j < ng; j++) {
    if (ws->ysum_n > 0) ref[j] = ws->ysum[j] / (PetscReal)ws->ysum_n;
    else {
      ref[j] = 0;
      for (PetscInt w = 0; w < nw; w++) ref[j] += y[w * ng + j];
      ref[j] /= nw;
    }
  }
  for (PetscInt w = 0; w < nw; w++) {
    PetscReal *x = ws->x + w * n;
    PetscReal  logr;
    PetscBool  inside = PETSC_TRUE, accept;

    if (PetscIsInfOrNanReal(lq0[w])) {
      Bad(ws, w, step, "log-density of the current state");
      break;
    }
    if (PetscIsInfOrNanReal(lq1[w])) {
      Bad(ws, w, step, "log-density of the proposed state");
      break;
    }
    if (PetscIsInfOrNanReal(U1[w])) {
      Bad(ws, w, step, "energy of the proposed state");
      break;
    }
    for (PetscInt i = 0; i < n; i++) inside = (PetscBool)(inside && PetscAbsReal(xp[w * n + i]) <= bound);
    switch (s->flow_variant) {
    case UMB_FLOWMOVE_NO_RATIO:
      logr = -beta * (U1[w] - U0[w]);
      break;
    case UMB_FLOWMOVE_ALWAYS_ACCEPT:
      logr = 0;
      break;
    default:
      logr = -beta * (U1[w] - U0[w]) + lq0[w] - lq1[w];
    }
    /* outside the model's domain the target is taken to be zero: rejected */
    accept = (PetscBool)(inside && PetscLogReal(uacc[w]) < logr);
    ws->flow_prop++;
    if (!accept) continue;
    ws->flow_acc++;
    if (Switched(s, y + w * ng, yp + w * ng, ref)) ws->flow_switch++;
    PetscCall(PetscArraycpy(x, xp + w * n, n));
  }
  PetscCall(PetscFree5(xp, zc, zp, eta, ref));
  PetscCall(PetscFree5(U0, U1, lq0, lq1, uacc));
  PetscCall(PetscFree2(y, yp));
  PetscCall(PetscLogEventEnd(UMB_EVENT.smp_flowmove, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplerFlowCheckFinite(UmbSampler s, const UmbWindowState ws[], PetscInt nloc)
{
  PetscInt   bad = s->K, all;
  PetscInt64 info[2] = {0, 0};
  char       what[96] = "";

  PetscFunctionBegin;
  if (!s->flow) PetscFunctionReturn(PETSC_SUCCESS);
  for (PetscInt lw = 0; lw < nloc; lw++)
    if (ws[lw].flow_bad_walker >= 0) {
      bad = ws[lw].k;
      break;
    }
  PetscCallMPI(MPI_Allreduce(&bad, &all, 1, MPIU_INT, MPI_MIN, s->comm));
  if (all == s->K) PetscFunctionReturn(PETSC_SUCCESS);
  if (all >= s->klo && all < s->khi) {
    info[0] = ws[all - s->klo].flow_bad_step;
    info[1] = ws[all - s->klo].flow_bad_walker;
    PetscCall(PetscStrncpy(what, ws[all - s->klo].flow_bad_what, sizeof(what)));
  }
  PetscCallMPI(MPI_Bcast(info, 2, MPIU_INT64, UmbSamplerWindowOwner(s, all), s->comm));
  PetscCallMPI(MPI_Bcast(what, sizeof(what), MPI_CHAR, UmbSamplerWindowOwner(s, all), s->comm));
  SETERRQ(s->comm, PETSC_ERR_NOT_CONVERGED, "flow move of window %" PetscInt_FMT " (centre %.6g%s), walker %" PetscInt64_FMT ", step %" PetscInt64_FMT ": the %s is not finite, so the move can be neither accepted nor rejected; the flow%s%s does not cover this window's states: retrain it on samples that include them, lower -us_flow_base_scale (now %g), or sample without -us_flow_file; samples.h5 is not written", all, (double)s->center[all * s->d], s->d > 1 ? ", ..." : "", info[1], info[0], what, s->flow_file[0] ? " " : "", s->flow_file, (double)s->flow_scale);
}

PetscErrorCode UmbSamplerFlowGather(UmbSampler s, const UmbWindowState ws[], PetscInt64 counts[])
{
  PetscInt64 *local;

  PetscFunctionBegin;
  PetscCall(PetscCalloc1(3 * s->K, &local));
  for (PetscInt k = s->klo; k < s->khi; k++) {
    local[3 * k]     = ws[k - s->klo].flow_prop;
    local[3 * k + 1] = ws[k - s->klo].flow_acc;
    local[3 * k + 2] = ws[k - s->klo].flow_switch;
  }
  PetscCallMPI(MPI_Allreduce(local, counts, 3 * s->K, MPIU_INT64, MPI_SUM, s->comm));
  PetscCall(PetscFree(local));
  PetscFunctionReturn(PETSC_SUCCESS);
}
