/* UmbSamplerRun: all ranks advance their windows in lock-step chunks. Between chunks they
   agree on blow-ups, write the chunk's frames collectively, report progress and agree on
   whether to checkpoint. Chunking changes nothing in the numbers: the noise is addressed by
   (window, walker, step), so a restart may use another rank count (and so other chunks). */
#include <umbra/private/samplerimpl.h>
#include <umbra/stats.h>

typedef struct {
  UmbSampler  s;
  PetscInt64  nsave;  /* frames per walker */
  PetscInt64  f0, F;  /* first frame of the chunk, frames per chunk */
  PetscReal  *xbuf;   /* [local window][walker][F][n] */
  PetscReal  *zbuf;   /* [local window][walker][F][d] */
  PetscReal  *zall;   /* [local window][walker][nsave][d] for the IACT */
  PetscReal  *zwork;
} Frames;

/* Frames saved before global step c: production step p = c - burnin, one frame per stride */
static PetscInt64 FramesBefore(UmbSampler s, PetscInt64 nsave, PetscInt64 c)
{
  PetscInt64 p = c - s->burnin;
  return p <= 0 ? 0 : PetscMin(nsave, p / s->stride);
}

static PetscErrorCode SaveFrame(void *ctx, UmbWindowState *ws, PetscInt64 step)
{
  Frames        *fr = (Frames *)ctx;
  UmbSampler     s  = fr->s;
  const PetscInt n = s->n, d = s->d, nw = s->walkers, lw = ws->k - s->klo;
  PetscInt64     t  = (step - s->burnin + 1) / s->stride - 1, tc = t - fr->f0;

  PetscFunctionBegin;
  if (t >= fr->nsave) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(UmbCVEvaluate(s->cv, nw, ws->x, fr->zwork, NULL));
  for (PetscInt w = 0; w < nw; w++) {
    PetscCall(PetscArraycpy(fr->xbuf + ((lw * nw + w) * fr->F + tc) * n, ws->x + w * n, n));
    PetscCall(UmbModelCanonicalFrame(s->model, 1, fr->xbuf + ((lw * nw + w) * fr->F + tc) * n)); /* the saved copy only */
    PetscCall(PetscArraycpy(fr->zbuf + ((lw * nw + w) * fr->F + tc) * d, fr->zwork + w * d, d));
    PetscCall(PetscArraycpy(fr->zall + ((lw * nw + w) * fr->nsave + t) * d, fr->zwork + w * d, d));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Steps per chunk: a multiple of the stride, about a second of work per rank, buffers of at
   most ~64 MB. Depends on global quantities only, so every rank agrees. The engine's dynamics
   reseeds its thermostat at every chunk, so there the chunk does not depend on the rank count
   (sized as if one rank held every window) and is at least 2000 steps (each chunk restarts the
   engine's run). */
static PetscInt64 ChunkSteps(UmbSampler s, PetscInt64 nsave)
{
  if (s->chunk_steps > 0) return PetscMax(1, s->chunk_steps / s->stride) * s->stride;
  if (s->integrator == UMB_INTEGRATOR_LANGEVIN) {
    const PetscInt64 frames = PetscMax(1, (PetscInt64)(5e7 / (double)(s->K * s->walkers * (s->n + 8)))) / s->stride;
    return PetscMin(PetscMax(frames, (2000 + s->stride - 1) / s->stride), nsave) * s->stride;
  }
  {
  const PetscInt64 groups = s->size / s->group_size, nloc_max = (s->K + groups - 1) / groups, per_step = nloc_max * s->walkers * (s->n + 8);
  PetscInt64       frames   = PetscMax(1, (PetscInt64)(8e6 / (double)(nloc_max * s->walkers * (s->n + s->d))));
  PetscInt64       work     = PetscMax(1, (PetscInt64)(5e7 / (double)per_step));
  frames                    = PetscMin(frames, PetscMax(1, work / s->stride));
  return PetscMin(frames, nsave) * s->stride;
  }
}

static PetscErrorCode CheckBlowUp(UmbSampler s, UmbWindowState *ws, PetscInt nloc)
{
  PetscInt   bad = s->K, all;
  PetscInt64 info[2] = {0, 0};
  char       why[256];

  PetscFunctionBegin;
  for (PetscInt lw = 0; lw < nloc; lw++)
    if (ws[lw].bad_walker >= 0) {
      bad = ws[lw].k;
      break;
    }
  PetscCallMPI(MPI_Allreduce(&bad, &all, 1, MPIU_INT, MPI_MIN, s->comm));
  if (all == s->K) PetscFunctionReturn(PETSC_SUCCESS);
  if (all >= s->klo && all < s->khi) {
    info[0] = ws[all - s->klo].bad_step;
    info[1] = ws[all - s->klo].bad_walker;
  }
  PetscCallMPI(MPI_Bcast(info, 2, MPIU_INT64, UmbSamplerWindowOwner(s, all), s->comm));
  if (s->dt_limit > 0) snprintf(why, sizeof(why), "the stability check allowed it at the start (limit %.4g), but the walker reached a stiffer region: take about a tenth of the limit, -us_dt %.2g", (double)s->dt_limit, (double)(0.1 * s->dt_limit));
  else snprintf(why, sizeof(why), "%s", s->stability_check ? "try a tenth of it" : "-us_stability_check 1 estimates the largest stable step");
  SETERRQ(s->comm, PETSC_ERR_NOT_CONVERGED, "window %" PetscInt_FMT " (centre %.6g%s) blew up at step %" PetscInt64_FMT ", walker %" PetscInt64_FMT ": a coordinate became non-finite or left the domain, so the time step is too large for this model; lower -us_dt (now %.6g; %s); samples.h5 is not written", all, (double)s->center[all * s->d], s->d > 1 ? ", ..." : "", info[0], info[1], (double)s->dt, why);
}

/* Collective: refuses a time step beyond the stability limit (dt * rate >= 2) of any window's
   prepared state and warns close to it (dt * rate >= 1, where the invariant measure is poor) */
static PetscErrorCode CheckTimeStep(UmbSampler s, const UmbWindowState *ws, PetscInt nloc)
{
  struct {
    double v;
    int    k;
  } mine = {0, -1}, worst;
  PetscInt    coord = 0, c;
  PetscReal   rate, worst_rate;
  const char *name;

  PetscFunctionBegin;
  s->dt_limit = 0;
  /* the estimate is of the overdamped step; an engine's dynamics has its own limits */
  if (!s->stability_check || s->integrator == UMB_INTEGRATOR_LANGEVIN) PetscFunctionReturn(PETSC_SUCCESS);
  for (PetscInt lw = 0; lw < nloc; lw++) {
    PetscCall(UmbSamplerStiffness(s, ws[lw].k, ws[lw].x, &rate, &c));
    if (s->dt * rate > mine.v) {
      mine.v = s->dt * rate;
      mine.k = (int)ws[lw].k;
      coord  = c;
    }
  }
  PetscCall(UmbSamplerGroupSync(s));
  PetscCallMPI(MPI_Allreduce(&mine, &worst, 1, MPI_DOUBLE_INT, MPI_MAXLOC, s->comm));
  if (worst.v > 0) s->dt_limit = 2 * s->dt / worst.v;
  if (worst.k < 0 || worst.v < 1) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCallMPI(MPI_Bcast(&coord, 1, MPIU_INT, UmbSamplerWindowOwner(s, worst.k), s->comm));
  PetscCall(UmbModelGetCoordinateName(s->model, coord, &name));
  worst_rate = worst.v / s->dt;
  PetscCheck(worst.v < 2, s->comm, PETSC_ERR_USER_INPUT, "-us_dt %.6g is unstable: window %d (centre %.6g%s) has a mode relaxing at rate %.4g, mostly along coordinate %s; the largest stable time step is 2/rate = %.4g: lower -us_dt to about a tenth of it, %.2g (or -us_stability_check 0 to run anyway)", (double)s->dt, worst.k, (double)s->center[worst.k * s->d], s->d > 1 ? ", ..." : "", (double)worst_rate, name, (double)(2 / worst_rate), (double)(0.2 / worst_rate));
  PetscCall(UmbLogWarning(s->comm, "-us_dt %.6g is close to the stability limit %.4g (window %d, coordinate %s): the sampled distribution will be distorted, and a walker that wanders into a stiffer region blows up; lower -us_dt to about a tenth of the limit, %.2g", (double)s->dt, (double)(2 / worst_rate), worst.k, name, (double)(0.2 / worst_rate)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ComputeIACT(UmbSampler s, const Frames *fr, PetscReal iact[])
{
  const PetscInt nw = s->walkers, d = s->d;
  PetscReal     *local, *series;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.smp_iact, 0, 0, 0, 0));
  PetscCall(PetscCalloc1(s->K, &local));
  PetscCall(PetscMalloc1(nw * fr->nsave, &series));
  for (PetscInt k = s->klo; k < s->khi; k++) {
    const PetscInt lw = k - s->klo;
    for (PetscInt a = 0; a < d; a++) {
      PetscReal tau;
      for (PetscInt w = 0; w < nw; w++)
        for (PetscInt64 t = 0; t < fr->nsave; t++) series[w * fr->nsave + t] = fr->zall[((lw * nw + w) * fr->nsave + t) * d + a];
      PetscCall(UmbIACT(nw, (PetscInt)fr->nsave, series, &tau));
      local[k] = PetscMax(local[k], tau);
    }
  }
  /* one non-zero contribution per entry: the sum is exact and rank-count independent */
  PetscCallMPI(MPI_Allreduce(local, iact, s->K, MPIU_REAL, MPI_SUM, s->comm));
  PetscCall(PetscFree(series));
  PetscCall(PetscFree(local));
  PetscCall(PetscLogEventEnd(UMB_EVENT.smp_iact, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* flow: K x 3 counts of the flow moves (NULL: none, and no flow columns); temp: K mean kinetic
   temperatures of models with dynamics (NULL: none, no column) */
static PetscErrorCode WriteWindowsCsv(UmbSampler s, const char path[], const PetscReal iact[], PetscInt64 per_window, const PetscInt64 flow[], const PetscReal temp[])
{
  UmbCsv csv;
  char   header[256];

  PetscFunctionBegin;
  /* f,df stay last: umbra fes fills them in */
  snprintf(header, sizeof(header), "window,center%s,kappa%s,n_samples,iact%s%s,f,df", s->d > 1 ? ",center2" : "", s->d > 1 ? ",kappa2" : "", flow ? ",flow_proposals,flow_acceptance,flow_switch_rate" : "", temp ? ",temperature" : "");
  PetscCall(UmbCsvCreate(s->comm, path, header, &csv));
  for (PetscInt k = 0; k < s->K; k++) {
    char extra[128] = "";
    if (flow) snprintf(extra, sizeof(extra), ",%" PetscInt64_FMT ",%.6g,%.6g", flow[3 * k], flow[3 * k] ? (double)flow[3 * k + 1] / (double)flow[3 * k] : 0.0, flow[3 * k] ? (double)flow[3 * k + 2] / (double)flow[3 * k] : 0.0);
    if (temp) snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), ",%.6f", (double)temp[k]);
    if (s->d == 1) PetscCall(UmbCsvRow(csv, "%" PetscInt_FMT ",%.17g,%.17g,%" PetscInt64_FMT ",%.6g%s,nan,nan", k, (double)s->center[k], (double)s->kappa[k], per_window, (double)iact[k], extra));
    else PetscCall(UmbCsvRow(csv, "%" PetscInt_FMT ",%.17g,%.17g,%.17g,%.17g,%" PetscInt64_FMT ",%.6g%s,nan,nan", k, (double)s->center[2 * k], (double)s->center[2 * k + 1], (double)s->kappa[2 * k], (double)s->kappa[2 * k + 1], per_window, (double)iact[k], extra));
  }
  PetscCall(UmbCsvClose(&csv, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The mean kinetic temperature of each window over all its steps, on every rank */
static PetscErrorCode GatherTemperatures(UmbSampler s, const UmbWindowState ws[], PetscInt nloc, PetscReal **temp)
{
  PetscFunctionBegin;
  PetscCall(PetscCalloc1(s->K, temp));
  for (PetscInt lw = 0; lw < nloc; lw++) (*temp)[ws[lw].k] = ws[lw].tsteps > 0 ? ws[lw].tsum / (PetscReal)ws[lw].tsteps : 0;
  /* one non-zero contribution per entry: exact on any rank count */
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, *temp, s->K, MPIU_REAL, MPI_SUM, s->comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Summarise(UmbSampler s, const PetscReal iact[], PetscInt64 per_window, PetscLogDouble seconds, const PetscInt64 flow[], const PetscReal temp[])
{
  PetscReal  lo = PETSC_MAX_REAL, hi = 0, neff_min = PETSC_MAX_REAL;
  PetscInt   kmin = 0;
  PetscReal  total = (PetscReal)s->K * s->walkers * (PetscReal)(s->steps + s->burnin);

  PetscFunctionBegin;
  for (PetscInt k = 0; k < s->K; k++) {
    lo = PetscMin(lo, iact[k]);
    hi = PetscMax(hi, iact[k]);
    if (per_window / iact[k] < neff_min) {
      neff_min = per_window / iact[k];
      kmin     = k;
    }
  }
  PetscCall(UmbLog(s->comm, "sample: %" PetscInt_FMT " windows x %" PetscInt_FMT " walkers, %.4g walker-steps in %.3g s (%.3g walker-steps/s on %d rank%s); %" PetscInt64_FMT " samples per window, IACT %.3g .. %.3g frames", s->K, s->walkers, (double)total, (double)seconds, (double)(total / PetscMax(seconds, 1e-9)), s->size, s->size > 1 ? "s" : "", per_window, (double)lo, (double)hi));
  if (flow) {
    PetscReal alo = 1, ahi = 0, swi = 0;
    PetscInt  klo = 0;
    for (PetscInt k = 0; k < s->K; k++) {
      const PetscReal acc = flow[3 * k] ? (PetscReal)flow[3 * k + 1] / (PetscReal)flow[3 * k] : 0;
      if (acc < alo) {
        alo = acc;
        klo = k;
      }
      ahi = PetscMax(ahi, acc);
      swi += (PetscReal)flow[3 * k + 2];
    }
    PetscCall(UmbLog(s->comm, "sample: flow moves every %" PetscInt_FMT " steps: acceptance %.3g .. %.3g over the windows (lowest in window %" PetscInt_FMT "), %.0f mode switches", s->flow_moves, (double)alo, (double)ahi, klo, (double)swi));
    if (alo < 0.01) PetscCall(UmbLogWarning(s->comm, "window %" PetscInt_FMT " accepted %.2g%% of its flow moves: the flow proposes poorly there (train it on more samples of that window, or lower -us_flow_base_scale)", klo, (double)(100 * alo)));
  }
  if (temp) {
    PetscReal tlo = PETSC_MAX_REAL, thi = 0, target;
    for (PetscInt k = 0; k < s->K; k++) {
      tlo = PetscMin(tlo, temp[k]);
      thi = PetscMax(thi, temp[k]);
    }
    PetscCall(UmbModelGetTemperature(s->model, &target));
    PetscCall(UmbLog(s->comm, "sample: mean kinetic temperature %.4g .. %.4g K over the windows (thermostat at %.4g K)", (double)tlo, (double)thi, (double)target));
  }
  if (neff_min < 50) PetscCall(UmbLogWarning(s->comm, "window %" PetscInt_FMT " has only %.1f effective samples (IACT %.3g frames): sample longer or increase -us_stride", kmin, (double)neff_min, (double)iact[kmin]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Where a run starts: from the checkpoint and samples.h5.partial (-restart), else from the
   prepared windows with a new partial file. A partial file that cannot be used (missing, damaged,
   another shape) is reported and the stage starts over. */
static PetscErrorCode Start(UmbSampler s, const char dir[], const char path[], UmbWindowState ws[], Frames *fr, UmbSamplesFile *sf, PetscInt64 *c)
{
  const PetscInt nloc = s->khi - s->klo, nw = s->walkers;
  char           why[256] = "";

  PetscFunctionBegin;
  *c = 0;
  if (s->restart) {
    PetscCall(UmbSamplerReadCheckpoint(s, dir, ws, c));
    PetscCall(UmbSamplesFileReopenPartial(s->comm, path, s->K * nw * fr->nsave, s->n, why, sizeof(why), sf));
    if (why[0]) {
      PetscCall(UmbLogWarning(s->comm, "-restart: %s.partial cannot be used (%s); sampling starts over", path, why));
      *c = 0;
    } else {
      /* the CV values of the frames saved so far, for the IACT at the end */
      PetscCall(UmbSamplesFileReadFrames(*sf, UMB_SAMPLES_Z, s->klo, s->khi, nw, fr->nsave, fr->nsave, 0, FramesBefore(s, fr->nsave, *c), fr->zall));
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  }
  /* a fresh start: a checkpoint left from an earlier run would not match the new partial file */
  PetscCall(UmbCheckpointRemove(s->comm, dir, "sample"));
  PetscCall(UmbSamplerCreateSamplesFile(s, path, fr->nsave, sf));
  for (PetscInt lw = 0; lw < nloc; lw++) {
    PetscCall(UmbSamplerInitialWalkers(s, s->klo + lw, ws[lw].x));
    if (ws[lw].v) PetscCall(UmbWindowInitialVelocities(s, &ws[lw]));
  }
  PetscCall(UmbSamplerGroupSync(s));
  PetscCall(CheckTimeStep(s, ws, nloc));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective, at the chunk boundary c (< total): checkpoints when a signal arrived on any rank,
   when -us_checkpoint_interval seconds passed on rank 0's clock, or at -us_stop_step; *stop
   when the run is to end here */
static PetscErrorCode MaybeCheckpoint(UmbSampler s, const char dir[], UmbSamplesFile sf, const UmbWindowState ws[], PetscInt64 c, PetscLogDouble *tlast, PetscBool *stop)
{
  PetscLogDouble  t0, t1;
  PetscBool       signal, due;
  const PetscBool at_stop = (PetscBool)(s->stop_step > 0 && c >= s->stop_step);

  PetscFunctionBegin;
  PetscCall(UmbStopAgreeInterval(s->comm, s->ckpt_interval, *tlast, &signal, &due));
  *stop = (PetscBool)(signal || at_stop);
  if (!due && !at_stop) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscTime(&t0));
  PetscCall(UmbSamplesFileFlush(sf)); /* the frames the checkpoint counts on are on disk first */
  PetscCall(UmbSamplerWriteCheckpoint(s, dir, ws, c));
  PetscCall(PetscTime(&t1));
  *tlast = t1;
  PetscCall(UmbLog(s->comm, "sample: checkpoint at step %" PetscInt64_FMT " of %" PetscInt64_FMT " written in %.3g s", c, s->burnin + s->steps, (double)(t1 - t0)));
  if (signal) PetscCall(UmbLog(s->comm, "sample: signal received: checkpointed at step %" PetscInt64_FMT "; continue with -restart", c));
  else if (at_stop) PetscCall(UmbLog(s->comm, "sample: stopped at step %" PetscInt64_FMT " as asked (-us_stop_step); continue with -restart", c));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplerRun(UmbSampler s, const char dir[], PetscBool *finished)
{
  const PetscInt   nloc = s->khi - s->klo, nw = s->walkers;
  const PetscInt64 nsave = s->steps / s->stride, total = s->burnin + s->steps, per_window = nw * nsave;
  char             path[PETSC_MAX_PATH_LEN];
  UmbSamplesFile   sf;
  UmbWindowState  *ws;
  Frames           fr;
  UmbProgress      progress;
  PetscReal       *iact;
  PetscInt64      *counts, *flow = NULL;
  PetscReal       *temp = NULL;
  PetscInt64       C = ChunkSteps(s, nsave), c0;
  PetscLogDouble   t0, t1, tckpt;
  PetscBool        stop = PETSC_FALSE;

  PetscFunctionBegin;
  PetscCheck(s->setup, s->comm, PETSC_ERR_ORDER, "call UmbSamplerSetUp() first");
  *finished = PETSC_FALSE;
  PetscCall(PetscLogStagePush(UMB_STAGE.sample));
  PetscCall(PetscTime(&t0));
  tckpt = t0;
  PetscCall(UmbPathJoin(dir, "samples.h5", path, sizeof(path)));

  PetscCall(PetscLogEventBegin(UMB_EVENT.smp_setup, 0, 0, 0, 0));
  PetscCall(UmbSamplerFingerprint(s));
  PetscCall(UmbModelSetEngineComm(s->model, s->group_size > 1 ? s->gcomm : PETSC_COMM_SELF));
  PetscCall(PetscCalloc1(nloc, &ws));
  for (PetscInt lw = 0; lw < nloc; lw++) PetscCall(UmbWindowStateCreate(s, s->klo + lw, &ws[lw]));
  fr.s     = s;
  fr.nsave = nsave;
  fr.F     = C / s->stride;
  fr.f0    = 0;
  PetscCall(PetscMalloc4(nloc * nw * fr.F * s->n + 1, &fr.xbuf, nloc * nw * fr.F * s->d + 1, &fr.zbuf, nloc * nw * nsave * s->d + 1, &fr.zall, nw * s->d, &fr.zwork));
  PetscCall(UmbStopInstall()); /* a signal during the preparation stops at the first chunk boundary */
  PetscCall(Start(s, dir, path, ws, &fr, &sf, &c0));
  PetscCall(PetscLogEventEnd(UMB_EVENT.smp_setup, 0, 0, 0, 0));

  PetscCall(UmbProgressCreate(s->comm, "sample", "walker-steps", (double)s->K * nw * total, &progress));
  for (; c0 < total && !stop; c0 += C) {
    const PetscInt64 c1 = PetscMin(total, c0 + C), f1 = FramesBefore(s, nsave, c1);
    fr.f0 = FramesBefore(s, nsave, c0);
    PetscCall(PetscLogEventBegin(UMB_EVENT.smp_step, 0, 0, 0, 0));
    for (PetscInt lw = 0; lw < nloc; lw++) PetscCall(UmbWindowAdvance(s, &ws[lw], c0, c1, SaveFrame, &fr));
    PetscCall(UmbSamplerGroupSync(s));
    PetscCall(PetscLogEventEnd(UMB_EVENT.smp_step, 0, 0, 0, 0));
    PetscCall(CheckBlowUp(s, ws, nloc));
    PetscCall(UmbSamplerFlowCheckFinite(s, ws, nloc));
    if (f1 > fr.f0) {
      PetscCall(UmbSamplesFileWriteFrames(sf, UMB_SAMPLES_X, s->klo, s->khi, nw, nsave, fr.F, fr.f0, f1, fr.xbuf));
      PetscCall(UmbSamplesFileWriteFrames(sf, UMB_SAMPLES_Z, s->klo, s->khi, nw, nsave, fr.F, fr.f0, f1, fr.zbuf));
    }
    PetscCall(UmbProgressUpdate(progress, (double)s->K * nw * c1));
    if (c1 < total) PetscCall(MaybeCheckpoint(s, dir, sf, ws, c1, &tckpt, &stop));
  }
  PetscCall(UmbStopRemove());
  PetscCall(UmbProgressFinish(progress));
  PetscCall(UmbProgressDestroy(&progress));

  if (!stop) {
    PetscCall(PetscMalloc1(s->K, &iact));
    PetscCall(ComputeIACT(s, &fr, iact));
    PetscCall(PetscMalloc1(s->K, &counts));
    for (PetscInt k = 0; k < s->K; k++) counts[k] = per_window;
    PetscCall(UmbSamplesFileWriteWindowStats(sf, s->K, iact, counts));
    PetscCall(PetscFree(counts));
    if (s->flow) {
      PetscCall(PetscMalloc1(3 * s->K, &flow));
      PetscCall(UmbSamplerFlowGather(s, ws, flow));
      PetscCall(UmbSamplesFileWriteFlowMoves(sf, s->K, flow, s->flow_moves, s->flow_scale, s->flow_mix));
    }
    if (s->integrator == UMB_INTEGRATOR_LANGEVIN) PetscCall(GatherTemperatures(s, ws, nloc, &temp));
    PetscCall(UmbSamplesFileClose(&sf, PETSC_TRUE)); /* samples.h5.partial becomes samples.h5 */
    PetscCall(UmbPathJoin(dir, "windows.csv", path, sizeof(path)));
    PetscCall(WriteWindowsCsv(s, path, iact, per_window, flow, temp));
    PetscCall(UmbCheckpointRemove(s->comm, dir, "sample")); /* finished: nothing to continue */
    PetscCall(PetscTime(&t1));
    PetscCall(Summarise(s, iact, per_window, t1 - t0, flow, temp));
    PetscCall(PetscFree(iact));
    PetscCall(PetscFree(temp));
    PetscCall(PetscFree(flow));
    *finished = PETSC_TRUE;
  } else PetscCall(UmbSamplesFileClose(&sf, PETSC_FALSE)); /* the partial file stays for -restart */

  PetscCall(PetscFree4(fr.xbuf, fr.zbuf, fr.zall, fr.zwork));
  for (PetscInt lw = 0; lw < nloc; lw++) PetscCall(UmbWindowStateDestroy(&ws[lw]));
  PetscCall(PetscFree(ws));
  PetscCall(UmbModelSetEngineComm(s->model, PETSC_COMM_SELF)); /* later stages evaluate states rank by rank */
  PetscCall(PetscLogStagePop());
  PetscFunctionReturn(PETSC_SUCCESS);
}
