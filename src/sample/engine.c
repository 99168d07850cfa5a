/* -us_integrator langevin: the walkers of a window advance through the model's own dynamics
   (UmbModelAdvance), one walker after the other over the chunk, with the umbrella force from
   UmbBiasAdd. Each call keys the engine's thermostat by (seed, window, walker, first step), so a
   run is reproducible when the chunks are, and their automatic length does not depend on the
   rank count (run.c); a restart continues bit for bit (chunks restart at the same boundaries,
   and positions and velocities are checkpointed). Frames are kept per walker and handed to the
   sampler's save function step by step afterwards, as the overdamped integrators do. */
#include <umbra/private/samplerimpl.h>
#include <umbra/rng.h>

typedef struct {
  UmbSampler       s;
  const PetscReal *center, *kappa;
  PetscReal       *zw, *Jw;
  PetscReal       *frames;    /* frames of the current walker: nf x n */
  PetscInt64       first, nf; /* step of frame 0 and the number of frames in the call */
  PetscInt64       saved;
} EngineCtx;

static PetscErrorCode Bias(void *ctx, const PetscReal x[], PetscReal *W, PetscReal g[])
{
  EngineCtx *e = (EngineCtx *)ctx;

  PetscFunctionBegin;
  PetscCall(UmbBiasAdd(e->s->cv, e->center, e->kappa, 1, x, g, W, e->zw, e->Jw));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Save(void *ctx, PetscInt64 step, const PetscReal x[])
{
  EngineCtx     *e = (EngineCtx *)ctx;
  const PetscInt n = e->s->n;
  PetscInt64     j = (step - e->first) / e->s->stride;

  PetscFunctionBegin;
  PetscCheck(j >= 0 && j < e->nf, PETSC_COMM_SELF, PETSC_ERR_PLIB, "engine frame at step %" PetscInt64_FMT " outside the call's %" PetscInt64_FMT " frames", step, e->nf);
  PetscCall(PetscArraycpy(e->frames + j * n, x, n));
  e->saved++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbWindowInitialVelocities(UmbSampler s, UmbWindowState *ws)
{
  const PetscReal *sigma;
  UmbStream        stream;

  PetscFunctionBegin;
  PetscCall(UmbModelGetThermalVelocity(s->model, &sigma));
  UmbStreamInit(&stream, (uint64_t)s->seed, UMB_STREAM_ENGINE, (uint64_t)(s->stream0 + ws->k));
  for (PetscInt w = 0; w < s->walkers; w++) {
    PetscReal *v = ws->v + w * s->n;
    UmbStreamGaussian(&stream, (uint64_t)w, 0, (int)s->n, v);
    for (PetscInt i = 0; i < s->n; i++) v[i] *= sigma[i];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbWindowAdvanceEngine(UmbSampler s, UmbWindowState *ws, PetscInt64 s0, PetscInt64 s1, UmbSaveFn save, void *ctx)
{
  const PetscInt   nw = s->walkers, n = s->n, k = ws->k;
  const PetscInt64 save_first = s->burnin + s->stride - 1;
  PetscInt64       first, nf;
  PetscReal       *frames, *xend, bound;
  EngineCtx        e;
  UmbStream        stream;
  UmbDynamics      dyn;

  PetscFunctionBegin;
  /* the saved steps in [s0, s1): first, first + stride, ... */
  first = save_first >= s0 ? save_first : save_first + ((s0 - save_first + s->stride - 1) / s->stride) * s->stride;
  nf    = first < s1 ? (s1 - 1 - first) / s->stride + 1 : 0;
  PetscCall(UmbModelGetDomainBound(s->model, &bound));
  PetscCall(PetscMalloc2(nw * nf * n + 1, &frames, nw * n, &xend));
  e.s      = s;
  e.center = s->center + k * s->d;
  e.kappa  = s->kappa + k * s->d;
  e.zw     = ws->zw;
  e.Jw     = ws->Jw;
  e.first  = first;
  e.nf     = nf;
  UmbStreamInit(&stream, (uint64_t)s->seed, UMB_STREAM_ENGINE, (uint64_t)(s->stream0 + k));
  PetscCall(PetscMemzero(&dyn, sizeof(dyn)));
  dyn.dt          = s->dt;
  dyn.s0          = s0;
  dyn.s1          = s1;
  dyn.save_first  = save_first;
  dyn.save_stride = s->stride;
  dyn.bias        = Bias;
  dyn.save        = Save;
  dyn.ctx         = &e;
  for (PetscInt w = 0; w < nw; w++) {
    uint64_t bits[4];
    int      ok = 1;

    UmbStreamBits(&stream, (uint64_t)s0, (uint64_t)w, 1, bits);
    dyn.seed = 1 + bits[0] % 900000000; /* LAMMPS takes seeds in 1 .. 9e8 */
    e.frames = frames + w * nf * n;
    e.saved  = 0;
    PetscCall(UmbModelAdvance(s->model, &dyn, ws->x + w * n, ws->v + w * n));
    for (PetscInt i = 0; i < n; i++) ok &= PetscAbsReal(ws->x[w * n + i]) <= bound && PetscAbsReal(ws->v[w * n + i]) < PETSC_MAX_REAL; /* false for NaN too */
    if (!ok || e.saved != nf) {
      ws->bad_walker = w;
      ws->bad_step   = dyn.blowup >= 0 ? dyn.blowup : s1 - 1;
      break;
    }
    ws->tsum += dyn.temperature * (PetscReal)(s1 - s0);
    ws->tsteps += s1 - s0;
  }
  if (ws->bad_walker < 0 && save && nf > 0) {
    PetscCall(PetscArraycpy(xend, ws->x, nw * n));
    for (PetscInt64 j = 0; j < nf; j++) {
      for (PetscInt w = 0; w < nw; w++) PetscCall(PetscArraycpy(ws->x + w * n, frames + (w * nf + j) * n, n));
      PetscCall((*save)(ctx, ws, first + j * s->stride));
    }
    PetscCall(PetscArraycpy(ws->x, xend, nw * n));
  }
  PetscCall(PetscFree2(frames, xend));
  PetscFunctionReturn(PETSC_SUCCESS);
}
