/* Overdamped Langevin integrators for one window's walkers:
   Euler-Maruyama     x' = x - dt M grad V(x) + sqrt(2 dt M / beta) R_s
   Leimkuhler-Matthews x' = x - dt M grad V(x) + sqrt(2 dt M / beta) (R_s + R_{s+1}) / 2
   with V = U + W_k and R_s the standard normals of step s, walker w (counter-based). */
#include <umbra/private/samplerimpl.h>
#include <umbra/rng.h>

PetscErrorCode UmbWindowStateCreate(UmbSampler s, PetscInt k, UmbWindowState *ws)
{
  const PetscInt nw = s->walkers, n = s->n, d = s->d;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(ws, sizeof(*ws)));
  ws->k          = k;
  ws->bad_walker      = -1;
  ws->flow_bad_walker = -1;
  PetscCall(PetscMalloc5(nw * n, &ws->x, nw * n, &ws->g, nw * n, &ws->noise, nw * n, &ws->noise_next, nw * d, &ws->zw));
  PetscCall(PetscMalloc1(nw * d * n, &ws->Jw));
  PetscCall(PetscCalloc2(s->ng + 1, &ws->ysum, s->ng + 1, &ws->ytmp));
  if (s->integrator == UMB_INTEGRATOR_LANGEVIN) PetscCall(PetscCalloc1(nw * n, &ws->v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbWindowStateDestroy(UmbWindowState *ws)
{
  PetscFunctionBegin;
  PetscCall(PetscFree5(ws->x, ws->g, ws->noise, ws->noise_next, ws->zw));
  PetscCall(PetscFree(ws->Jw));
  PetscCall(PetscFree2(ws->ysum, ws->ytmp));
  PetscCall(PetscFree(ws->v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static inline void DrawNoise(const UmbStream *stream, PetscInt64 step, PetscInt nw, PetscInt n, PetscReal *R)
{
  for (PetscInt w = 0; w < nw; w++) UmbStreamGaussian(stream, (uint64_t)step, (uint64_t)w, (int)n, R + w * n);
}

PetscErrorCode UmbWindowAdvance(UmbSampler s, UmbWindowState *ws, PetscInt64 s0, PetscInt64 s1, UmbSaveFn save, void *ctx)
{
  const PetscInt   nw = s->walkers, n = s->n, k = ws->k;
  const PetscReal *M, *center = s->center + k * s->d, *kappa = s->kappa + k * s->d;
  PetscReal        beta, bound, *c, *h;
  UmbStream        stream;
  const PetscBool  lm = (PetscBool)(s->integrator == UMB_INTEGRATOR_LM);

  PetscFunctionBegin;
  if (ws->bad_walker >= 0 || ws->flow_bad_walker >= 0) PetscFunctionReturn(PETSC_SUCCESS);
  if (s->integrator == UMB_INTEGRATOR_LANGEVIN) {
    PetscCall(UmbWindowAdvanceEngine(s, ws, s0, s1, save, ctx));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(UmbModelGetMobility(s->model, &M));
  PetscCall(UmbModelGetBeta(s->model, &beta));
  PetscCall(UmbModelGetDomainBound(s->model, &bound));
  PetscCall(PetscMalloc2(n, &c, n, &h));
  for (PetscInt i = 0; i < n; i++) {
    h[i] = s->dt * M[i];                             /* drift factor */
    c[i] = PetscSqrtReal(2 * s->dt * M[i] / beta) * (lm ? 0.5 : 1.0); /* noise factor */
  }
  UmbStreamInit(&stream, (uint64_t)s->seed, UMB_STREAM_NOISE, (uint64_t)(s->stream0 + k));
  if (lm) DrawNoise(&stream, s0, nw, n, ws->noise); /* R_{s0}: regenerated, so chunks and restarts agree */

  for (PetscInt64 step = s0; step < s1; step++) {
    PetscInt bad = -1;

    PetscCall(UmbModelEnergyGradient(s->model, nw, ws->x, NULL, ws->g));
    PetscCall(UmbBiasAdd(s->cv, center, kappa, nw, ws->x, ws->g, NULL, ws->zw, ws->Jw));
    if (lm) {
      DrawNoise(&stream, step + 1, nw, n, ws->noise_next);
      for (PetscInt w = 0; w < nw; w++) {
        PetscReal *x = ws->x + w * n;
        const PetscReal *g = ws->g + w * n, *r0 = ws->noise + w * n, *r1 = ws->noise_next + w * n;
        int ok = 1;
        for (PetscInt i = 0; i < n; i++) {
          x[i] += -h[i] * g[i] + c[i] * (r0[i] + r1[i]);
          ok &= PetscAbsReal(x[i]) <= bound; /* false for NaN too */
        }
        if (!ok && bad < 0) bad = w;
      }
      PetscReal *t   = ws->noise;
      ws->noise      = ws->noise_next;
      ws->noise_next = t;
    } else {
      DrawNoise(&stream, step, nw, n, ws->noise);
      for (PetscInt w = 0; w < nw; w++) {
        PetscReal *x = ws->x + w * n;
        const PetscReal *g = ws->g + w * n, *r = ws->noise + w * n;
        int ok = 1;
        for (PetscInt i = 0; i < n; i++) {
          x[i] += -h[i] * g[i] + c[i] * r[i];
          ok &= PetscAbsReal(x[i]) <= bound;
        }
        if (!ok && bad < 0) bad = w;
      }
    }
    if (bad >= 0) {
      ws->bad_walker = bad;
      ws->bad_step   = step;
      break;
    }
    if (s->flow && (step + 1) % s->flow_moves == 0) { /* by the global step: chunks and restarts agree */
      PetscCall(UmbWindowFlowMove(s, ws, step));
      if (ws->flow_bad_walker >= 0) break;
    }
    if (step >= s->burnin && (step - s->burnin + 1) % s->stride == 0) {
      if (s->flow) { /* the reference of a mode switch: mean generated coordinates of the saved frames */
        for (PetscInt w = 0; w < nw; w++) {
          UmbGenSpaceProject(&s->space, ws->x + w * n, ws->ytmp);
          for (PetscInt j = 0; j < s->ng; j++) ws->ysum[j] += ws->ytmp[j];
        }
        ws->ysum_n += nw;
      }
      if (save) PetscCall((*save)(ctx, ws, step));
    }
  }
  PetscCall(PetscFree2(c, h));
  PetscFunctionReturn(PETSC_SUCCESS);
}
