/* Sampling checkpoints, ckpt/sample.h5: the global step every window reached at a chunk boundary
   and every walker's position as one array indexed by window (row = window * walkers + walker),
   so a restart may run on another rank count. The frames saved so far stay in
   samples.h5.partial, flushed to disk before the checkpoint is written; the LM integrator's
   noise is regenerated from its counter. With flow moves, each window's counts and the sum of
   its generated coordinates (the mode-switch reference) go in too. */
#include <umbra/private/samplerimpl.h>
#include <umbra/io.h>

/* A fingerprint of the model and the CV (their parameters are options of their own: energy,
   gradient, mobility and CV at a test point catch them), taken when each rank has its own engine
   instance: a shared one sums in another order */
PetscErrorCode UmbSamplerFingerprint(UmbSampler s)
{
  PetscReal       *x, *g, *fp = s->fingerprint;
  const PetscReal *M;

  PetscFunctionBegin;
  PetscCall(PetscMalloc2(s->n, &x, s->n, &g));
  PetscCall(UmbModelGetReferenceState(s->model, x));
  for (PetscInt i = 0; i < s->n; i++) x[i] += 0.1 * (PetscReal)(i + 1);
  PetscCall(UmbModelEnergyGradient(s->model, 1, x, &fp[0], g));
  PetscCall(UmbModelGetMobility(s->model, &M));
  fp[1] = fp[2] = 0;
  for (PetscInt i = 0; i < s->n; i++) { /* one number each, whatever n */
    fp[1] += (PetscReal)(i + 1) * g[i];
    fp[2] += (PetscReal)(i + 1) * M[i];
  }
  PetscCall(UmbCVEvaluate(s->cv, 1, x, fp + 3, NULL));
  PetscCall(PetscFree2(x, g));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The options that define the trajectory, and the fingerprint of the model and the CV */
static PetscErrorCode Record(UmbSampler s, UmbOptionRecord *rec)
{
  PetscReal        beta;
  UmbModelType     mtype;
  UmbCVType        cvtype;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(rec, sizeof(*rec)));
  PetscCall(UmbModelGetType(s->model, &mtype));
  PetscCall(UmbCVGetType(s->cv, &cvtype));
  PetscCall(UmbOptionRecordAdd(rec, "-model", "%s", mtype));
  PetscCall(UmbOptionRecordAdd(rec, "-cv", "%s", cvtype));
  if (s->d > 1) PetscCall(UmbOptionRecordAdd(rec, "-us_windows", "%" PetscInt_FMT ",%" PetscInt_FMT, s->nwin[0], s->nwin[1]));
  else PetscCall(UmbOptionRecordAdd(rec, "-us_windows", "%" PetscInt_FMT, s->nwin[0]));
  PetscCall(UmbOptionRecordAddReals(rec, "-us_range", 2 * s->d, s->range));
  PetscCall(UmbOptionRecordAddReals(rec, "-us_kappa", s->d, s->kappa_opt));
  PetscCall(UmbOptionRecordAdd(rec, "-us_walkers", "%" PetscInt_FMT, s->walkers));
  PetscCall(UmbOptionRecordAdd(rec, "-us_steps", "%" PetscInt64_FMT, s->steps));
  PetscCall(UmbOptionRecordAdd(rec, "-us_burnin", "%" PetscInt64_FMT, s->burnin));
  PetscCall(UmbOptionRecordAdd(rec, "-us_stride", "%" PetscInt_FMT, s->stride));
  PetscCall(UmbOptionRecordAddReals(rec, "-us_dt", 1, &s->dt));
  PetscCall(UmbOptionRecordAdd(rec, "-us_integrator", "%s", UmbIntegrators[s->integrator]));
  PetscCall(UmbOptionRecordAdd(rec, "-us_minimize_its", "%" PetscInt_FMT, s->minimize_its));
  PetscCall(UmbOptionRecordAdd(rec, "-seed", "%" PetscInt64_FMT, s->seed));
  if (s->flow) { /* only then: checkpoints of runs without flow moves keep their record */
    PetscCall(UmbOptionRecordAdd(rec, "-us_flow_file", "%s", s->flow_file[0] ? s->flow_file : "(a given generator)"));
    PetscCall(UmbOptionRecordAdd(rec, "-us_flow_moves", "%" PetscInt_FMT, s->flow_moves));
    PetscCall(UmbOptionRecordAddReals(rec, "-us_flow_base_scale", 1, &s->flow_scale));
    PetscCall(UmbOptionRecordAddReals(rec, "-us_flow_mix", 1, &s->flow_mix));
  }
  PetscCall(UmbModelGetBeta(s->model, &beta));
  PetscCall(UmbOptionRecordAddReals(rec, "-beta", 1, &beta));
  PetscCall(UmbOptionRecordAddReals(rec, "the model fingerprint (energy, weighted gradient and mobility at a test point: its parameters)", 3, s->fingerprint));
  PetscCall(UmbOptionRecordAddReals(rec, "the CV fingerprint (its value at a test point: its options)", s->d, s->fingerprint + 3));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* /state/flow_counts (K x 4: proposals, accepted, mode switches, frames summed) and
   /state/flow_ysum (K x ng) */
static PetscErrorCode WriteFlow(UmbSampler s, UmbH5 h5, const UmbWindowState ws[])
{
  const PetscInt nloc = s->khi - s->klo, ng = s->ng;
  long long     *c;
  PetscReal     *y;
  hsize_t        dims[2] = {(hsize_t)s->K, 4};

  PetscFunctionBegin;
  PetscCall(PetscMalloc2(4 * nloc + 1, &c, ng * nloc + 1, &y));
  for (PetscInt lw = 0; lw < nloc; lw++) {
    c[4 * lw]     = ws[lw].flow_prop;
    c[4 * lw + 1] = ws[lw].flow_acc;
    c[4 * lw + 2] = ws[lw].flow_switch;
    c[4 * lw + 3] = ws[lw].ysum_n;
    PetscCall(PetscArraycpy(y + lw * ng, ws[lw].ysum, ng));
  }
  PetscCall(UmbH5CreateDataset(h5, "/state/flow_counts", H5T_STD_I64LE, 2, dims));
  PetscCall(UmbH5WriteRows(h5, "/state/flow_counts", H5T_NATIVE_LLONG, (hsize_t)s->klo, (hsize_t)nloc, c));
  dims[1] = (hsize_t)ng;
  PetscCall(UmbH5CreateDataset(h5, "/state/flow_ysum", H5T_IEEE_F64LE, 2, dims));
  PetscCall(UmbH5WriteRows(h5, "/state/flow_ysum", H5T_NATIVE_DOUBLE, (hsize_t)s->klo, (hsize_t)nloc, y));
  PetscCall(PetscFree2(c, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadFlow(UmbSampler s, UmbH5 h5, const char path[], UmbWindowState ws[])
{
  const PetscInt nloc = s->khi - s->klo, ng = s->ng;
  long long     *c;
  PetscReal     *y;
  int            r;
  hsize_t        dims[3];
  PetscBool      has;

  PetscFunctionBegin;
  PetscCall(UmbH5HasObject(h5, "/state/flow_counts", &has));
  PetscCheck(has, s->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: no /state/flow_counts: the checkpoint was written without flow moves", path);
  PetscCall(UmbH5GetShape(h5, "/state/flow_counts", &r, dims));
  PetscCheck(r == 2 && dims[0] == (hsize_t)s->K && dims[1] == 4, s->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /state/flow_counts must be %" PetscInt_FMT " x 4", path, s->K);
  PetscCall(UmbH5GetShape(h5, "/state/flow_ysum", &r, dims));
  PetscCheck(r == 2 && dims[0] == (hsize_t)s->K && dims[1] == (hsize_t)ng, s->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /state/flow_ysum must be %" PetscInt_FMT " x %" PetscInt_FMT, path, s->K, ng);
  PetscCall(PetscMalloc2(4 * nloc + 1, &c, ng * nloc + 1, &y));
  PetscCall(UmbH5ReadRows(h5, "/state/flow_counts", H5T_NATIVE_LLONG, (hsize_t)s->klo, (hsize_t)nloc, c));
  PetscCall(UmbH5ReadRows(h5, "/state/flow_ysum", H5T_NATIVE_DOUBLE, (hsize_t)s->klo, (hsize_t)nloc, y));
  for (PetscInt lw = 0; lw < nloc; lw++) {
    ws[lw].flow_prop   = c[4 * lw];
    ws[lw].flow_acc    = c[4 * lw + 1];
    ws[lw].flow_switch = c[4 * lw + 2];
    ws[lw].ysum_n      = c[4 * lw + 3];
    PetscCall(PetscArraycpy(ws[lw].ysum, y + lw * ng, ng));
  }
  PetscCall(PetscFree2(c, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Models with dynamics: /state/v (as /state/x) and /state/temperature (K x 2: the sum of the
   mean kinetic temperature over steps, and the steps) */
static PetscErrorCode WriteEngine(UmbSampler s, UmbH5 h5, const UmbWindowState ws[])
{
  const PetscInt nloc = s->khi - s->klo, nw = s->walkers, n = s->n;
  PetscReal     *v, *t;
  hsize_t        dims[2] = {(hsize_t)(s->K * nw), (hsize_t)n};

  PetscFunctionBegin;
  PetscCall(PetscMalloc2(nloc * nw * n + 1, &v, 2 * nloc + 1, &t));
  for (PetscInt lw = 0; lw < nloc; lw++) {
    PetscCall(PetscArraycpy(v + lw * nw * n, ws[lw].v, nw * n));
    t[2 * lw]     = ws[lw].tsum;
    t[2 * lw + 1] = (PetscReal)ws[lw].tsteps;
  }
  PetscCall(UmbH5CreateDataset(h5, "/state/v", H5T_IEEE_F64LE, 2, dims));
  PetscCall(UmbH5WriteRows(h5, "/state/v", H5T_NATIVE_DOUBLE, (hsize_t)(s->klo * nw), (hsize_t)(nloc * nw), v));
  dims[0] = (hsize_t)s->K;
  dims[1] = 2;
  PetscCall(UmbH5CreateDataset(h5, "/state/temperature", H5T_IEEE_F64LE, 2, dims));
  PetscCall(UmbH5WriteRows(h5, "/state/temperature", H5T_NATIVE_DOUBLE, (hsize_t)s->klo, (hsize_t)nloc, t));
  PetscCall(PetscFree2(v, t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadEngine(UmbSampler s, UmbH5 h5, const char path[], UmbWindowState ws[])
{
  const PetscInt nloc = s->khi - s->klo, nw = s->walkers, n = s->n;
  PetscReal     *v, *t;
  int            r;
  hsize_t        dims[3];
  PetscBool      has;

  PetscFunctionBegin;
  PetscCall(UmbH5HasObject(h5, "/state/v", &has));
  PetscCheck(has, s->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: no /state/v: the checkpoint was written without velocities", path);
  PetscCall(UmbH5GetShape(h5, "/state/v", &r, dims));
  PetscCheck(r == 2 && dims[0] == (hsize_t)(s->K * nw) && dims[1] == (hsize_t)n, s->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /state/v has the wrong shape", path);
  PetscCall(UmbH5GetShape(h5, "/state/temperature", &r, dims));
  PetscCheck(r == 2 && dims[0] == (hsize_t)s->K && dims[1] == 2, s->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /state/temperature must be %" PetscInt_FMT " x 2", path, s->K);
  PetscCall(PetscMalloc2(nloc * nw * n + 1, &v, 2 * nloc + 1, &t));
  PetscCall(UmbH5ReadRows(h5, "/state/v", H5T_NATIVE_DOUBLE, (hsize_t)(s->klo * nw), (hsize_t)(nloc * nw), v));
  PetscCall(UmbH5ReadRows(h5, "/state/temperature", H5T_NATIVE_DOUBLE, (hsize_t)s->klo, (hsize_t)nloc, t));
  for (PetscInt lw = 0; lw < nloc; lw++) {
    PetscCall(PetscArraycpy(ws[lw].v, v + lw * nw * n, nw * n));
    ws[lw].tsum   = t[2 * lw];
    ws[lw].tsteps = (PetscInt64)t[2 * lw + 1];
  }
  PetscCall(PetscFree2(v, t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplerWriteCheckpoint(UmbSampler s, const char dir[], const UmbWindowState ws[], PetscInt64 step)
{
  const PetscInt  nloc = s->khi - s->klo, nw = s->walkers, n = s->n;
  UmbOptionRecord rec;
  UmbH5           h5;
  PetscReal      *x;
  hsize_t         dims[2] = {(hsize_t)(s->K * nw), (hsize_t)n};

  PetscFunctionBegin;
  PetscCall(Record(s, &rec));
  PetscCall(UmbCheckpointCreate(s->comm, dir, "sample", &rec, &h5));
  PetscCall(UmbH5WriteAttrInt(h5, "/state", "step", step));
  PetscCall(PetscMalloc1(nloc * nw * n + 1, &x));
  for (PetscInt lw = 0; lw < nloc; lw++) PetscCall(PetscArraycpy(x + lw * nw * n, ws[lw].x, nw * n));
  PetscCall(UmbH5CreateDataset(h5, "/state/x", H5T_IEEE_F64LE, 2, dims));
  PetscCall(UmbH5WriteRows(h5, "/state/x", H5T_NATIVE_DOUBLE, (hsize_t)(s->klo * nw), (hsize_t)(nloc * nw), x));
  PetscCall(PetscFree(x));
  if (s->flow) PetscCall(WriteFlow(s, h5, ws));
  if (s->integrator == UMB_INTEGRATOR_LANGEVIN) PetscCall(WriteEngine(s, h5, ws));
  PetscCall(UmbCheckpointCommit(&h5));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplerReadCheckpoint(UmbSampler s, const char dir[], UmbWindowState ws[], PetscInt64 *step)
{
  static const char *const required[] = {"/state/x", NULL};
  const PetscInt           nloc = s->khi - s->klo, nw = s->walkers, n = s->n;
  UmbOptionRecord          rec;
  UmbH5                    h5;
  PetscReal               *x;
  const char              *path;
  int                      r;
  hsize_t                  dims[3];

  PetscFunctionBegin;
  PetscCall(Record(s, &rec));
  PetscCall(UmbCheckpointOpen(s->comm, dir, "sample", &rec, required, "umbra sample (or umbra run) with -us_checkpoint_interval, -us_stop_step or a signal", &h5));
  PetscCall(UmbH5GetPath(h5, &path));
  PetscCall(UmbH5ReadAttrInt(h5, "/state", "step", step));
  PetscCall(UmbH5GetShape(h5, "/state/x", &r, dims));
  PetscCheck(r == 2 && dims[0] == (hsize_t)(s->K * nw) && dims[1] == (hsize_t)n, s->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /state/x has the wrong shape for %" PetscInt_FMT " windows x %" PetscInt_FMT " walkers x %" PetscInt_FMT " coordinates", path, s->K, nw, n);
  PetscCheck(*step > 0 && *step <= s->burnin + s->steps, s->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: step %" PetscInt64_FMT " is outside the run (1 .. %" PetscInt64_FMT ")", path, *step, s->burnin + s->steps);
  PetscCall(PetscMalloc1(nloc * nw * n + 1, &x));
  PetscCall(UmbH5ReadRows(h5, "/state/x", H5T_NATIVE_DOUBLE, (hsize_t)(s->klo * nw), (hsize_t)(nloc * nw), x));
  for (PetscInt lw = 0; lw < nloc; lw++) PetscCall(PetscArraycpy(ws[lw].x, x + lw * nw * n, nw * n));
  PetscCall(PetscFree(x));
  if (s->flow) PetscCall(ReadFlow(s, h5, path, ws));
  if (s->integrator == UMB_INTEGRATOR_LANGEVIN) PetscCall(ReadEngine(s, h5, path, ws));
  PetscCall(UmbLog(s->comm, "sample: restarting from %s at step %" PetscInt64_FMT " of %" PetscInt64_FMT, path, *step, s->burnin + s->steps));
  PetscCall(UmbH5Close(&h5, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}
