/* The data-parallel training set of the generator types (include/umbra/private/trainset.h):
   this rank's rows of samples.h5, the held-out split, the standardisation and the payload rows.
   trainset_batch.c holds the batches, the epoch exchange and the reductions. */
#include <umbra/private/trainset.h>
#include <umbra/samplesfile.h>
#include <umbra/rng.h>

static PetscInt64 RowOwnerStart(PetscInt64 N, PetscMPIInt size, PetscMPIInt r) { return (PetscInt64)((N * (long double)r) / size); }

static PetscBool IsValidation(const UmbTrainSetOptions *o, PetscInt64 row)
{
  UmbStream s;
  uint64_t  b[4];
  if (o->val_frac <= 0) return PETSC_FALSE;
  UmbStreamInit(&s, (uint64_t)o->seed, UMB_STREAM_SHUFFLE, UMB_TRAINSET_SHUFFLE_SPLIT);
  UmbStreamBits(&s, (uint64_t)row, 0, 0, b);
  return (PetscBool)(UmbU01(b[0]) < o->val_frac);
}

/* Opens samples.h5, checks it against the model and CV and reads this rank's block of rows */
static PetscErrorCode ReadRows(UmbTrainSet *ts, const char path[])
{
  const UmbTrainSetOptions *o    = &ts->opts;
  const MPI_Comm            comm = o->comm;
  UmbSamplesFile            sf;
  const UmbSamplesTable    *t;
  PetscInt64                rows;
  PetscInt                  cols;

  PetscFunctionBegin;
  PetscCall(UmbSamplesFileOpen(comm, path, &sf));
  PetscCall(UmbSamplesFileGetShape(sf, UMB_SAMPLES_X, &ts->N, &cols));
  PetscCheck(cols == o->n, comm, PETSC_ERR_USER_INPUT, "%s holds states with %llu coordinates, but model %s has n = %" PetscInt_FMT ": use the model options of the sampling run", path, (unsigned long long)cols, o->modeltype, o->n);
  PetscCall(UmbSamplesFileGetShape(sf, UMB_SAMPLES_Z, &rows, &cols));
  PetscCheck(cols == ts->d && rows == ts->N, comm, PETSC_ERR_USER_INPUT, "%s holds %llu-D CV values, but the current CV is %" PetscInt_FMT "-D: use the CV options of the sampling run", path, (unsigned long long)cols, ts->d);
  PetscCall(UmbSamplesFileGetTable(sf, &t));
  PetscCheck(!strcmp(t->model, o->modeltype), comm, PETSC_ERR_USER_INPUT, "%s was sampled with model %s, but the current model is %s", path, t->model, o->modeltype);
  PetscCheck(!strcmp(t->cv, o->cvtype), comm, PETSC_ERR_USER_INPUT, "%s was sampled along CV %s, but the current CV is %s: %s must be conditioned on the biased CV (%s)", path, t->cv, o->cvtype, o->name, o->doc);
  {
    char names[256] = "";
    for (PetscInt a = 0; a < ts->d; a++) {
      const char *nm;
      PetscCall(UmbCVGetName(o->cv, a, &nm));
      PetscCall(UmbStrlcat(names, a ? "," : "", sizeof(names)));
      PetscCall(UmbStrlcat(names, nm, sizeof(names)));
    }
    PetscCheck(!strcmp(t->cv_names, names), comm, PETSC_ERR_USER_INPUT, "%s was sampled along CV %s, but the current CV is %s: use the CV options of the sampling run", path, t->cv_names, names);
  }
  /* the window table (rows offset[k] .. offset[k+1]-1 of window k) */
  ts->nwin = t->K;
  PetscCall(PetscMalloc1(ts->nwin + 1, &ts->woff));
  for (PetscInt k = 0; k <= ts->nwin; k++) ts->woff[k] = t->offset[k];
  ts->row0 = RowOwnerStart(ts->N, ts->size, ts->rank);
  ts->nloc = RowOwnerStart(ts->N, ts->size, ts->rank + 1) - ts->row0;
  PetscCall(PetscMalloc1(ts->nloc * o->n + 1, &ts->x));
  PetscCall(PetscMalloc1(ts->nloc * ts->d + 1, &ts->z));
  PetscCall(UmbSamplesFileReadRows(sf, UMB_SAMPLES_X, ts->row0, ts->nloc, ts->x));
  PetscCall(UmbSamplesFileReadRows(sf, UMB_SAMPLES_Z, ts->row0, ts->nloc, ts->z));
  PetscCall(UmbSamplesFileCheckFinite(sf, UMB_SAMPLES_X, ts->nloc, o->n, ts->x, ts->row0, NULL, "sample again (`umbra sample`)"));
  PetscCall(UmbSamplesFileClose(&sf, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Training and validation counts of every rank; Toff, T and V */
static PetscErrorCode Split(UmbTrainSet *ts)
{
  const UmbTrainSetOptions *o = &ts->opts;
  PetscInt64               *counts;

  PetscFunctionBegin;
  ts->tloc = ts->vloc = 0;
  for (PetscInt64 i = 0; i < ts->nloc; i++) {
    if (IsValidation(o, ts->row0 + i)) ts->vloc++;
    else ts->tloc++;
  }
  PetscCall(PetscMalloc1(2 * ts->size, &counts));
  {
    PetscInt64 mine[2] = {ts->tloc, ts->vloc};
    PetscCallMPI(MPI_Allgather(mine, 2, MPIU_INT64, counts, 2, MPIU_INT64, o->comm));
  }
  PetscCall(PetscMalloc1(ts->size + 1, &ts->Toff));
  ts->Toff[0] = 0;
  ts->V       = 0;
  for (PetscMPIInt p = 0; p < ts->size; p++) {
    ts->Toff[p + 1] = ts->Toff[p] + counts[2 * p];
    ts->V += counts[2 * p + 1];
  }
  ts->T = ts->Toff[ts->size];
  PetscCall(PetscFree(counts));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Standardisation from the training rows (means, then sums of squared deviations, both exact
   fixed-point sums, so identical for any rank count) and the CV range over all rows */
static PetscErrorCode Statistics(UmbTrainSet *ts, const char path[])
{
  const UmbTrainSetOptions *o    = &ts->opts;
  const MPI_Comm            comm = o->comm;
  const PetscInt            ng = o->space->ng, d = ts->d, n = o->n, ncs = ng + d;
  PetscReal                *stat, *sum;
  PetscInt                 *seg;
  PetscBool                 finite;

  PetscFunctionBegin;
  PetscCall(PetscMalloc2(ts->tloc * ncs, &stat, ncs, &sum));
  for (PetscInt64 i = 0, k = 0; i < ts->nloc; i++) {
    if (IsValidation(o, ts->row0 + i)) continue;
    UmbGenSpaceProject(o->space, ts->x + i * n, stat + k * ncs);
    for (PetscInt a = 0; a < d; a++) stat[k * ncs + ng + a] = ts->z[i * d + a];
    k++;
  }
  PetscCall(PetscMalloc1(ncs + 1, &seg));
  for (PetscInt j = 0; j <= ncs; j++) seg[j] = j;
  PetscCall(UmbNNSumExact(comm, (PetscInt)ts->tloc, ncs, ncs, seg, stat, ts->T, sum, &finite));
  PetscCheck(finite, comm, PETSC_ERR_FILE_UNEXPECTED, "%s holds non-finite values", path);
  PetscCall(PetscMalloc1(ng, &ts->xmean));
  PetscCall(PetscMalloc1(ng, &ts->xsd));
  for (PetscInt j = 0; j < ncs; j++) sum[j] /= (PetscReal)ts->T;
  for (PetscInt j = 0; j < ng; j++) ts->xmean[j] = sum[j];
  for (PetscInt a = 0; a < d; a++) ts->zmean[a] = ts->period[a] > 0 ? 0 : sum[ng + a];
  for (PetscInt64 k = 0; k < ts->tloc; k++)
    for (PetscInt j = 0; j < ncs; j++) {
      const PetscReal dv = stat[k * ncs + j] - sum[j];
      stat[k * ncs + j]  = dv * dv;
    }
  PetscCall(UmbNNSumExact(comm, (PetscInt)ts->tloc, ncs, ncs, seg, stat, ts->T, sum, &finite));
  for (PetscInt j = 0; j < ncs; j++) {
    PetscReal sd = ts->T > 1 ? PetscSqrtReal(sum[j] / (PetscReal)(ts->T - 1)) : 1;
    if (!(sd > 1e-12)) sd = 1;
    if (j < ng) ts->xsd[j] = sd;
    else ts->zsd[j - ng] = ts->period[j - ng] > 0 ? 1 : sd;
  }
  PetscCall(PetscFree2(stat, sum));
  PetscCall(PetscFree(seg));
  for (PetscInt a = 0; a < d; a++) {
    ts->zlo[a] = PETSC_MAX_REAL;
    ts->zhi[a] = -PETSC_MAX_REAL;
    for (PetscInt64 i = 0; i < ts->nloc; i++) {
      ts->zlo[a] = PetscMin(ts->zlo[a], ts->z[i * d + a]);
      ts->zhi[a] = PetscMax(ts->zhi[a], ts->z[i * d + a]);
    }
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, ts->zlo, (PetscMPIInt)d, MPIU_REAL, MPI_MIN, comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, ts->zhi, (PetscMPIInt)d, MPIU_REAL, MPI_MAX, comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbTrainSetLoad(const UmbTrainSetOptions *opts, const char dir[], UmbTrainSet *ts)
{
  const MPI_Comm comm = opts->comm;
  char           path[PETSC_MAX_PATH_LEN];
  PetscBool      exists;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(ts, sizeof(*ts)));
  ts->opts         = *opts;
  ts->epoch_loaded = -1;
  PetscCallMPI(MPI_Comm_rank(comm, &ts->rank));
  PetscCallMPI(MPI_Comm_size(comm, &ts->size));
  PetscCall(UmbCVGetDimension(opts->cv, &ts->d));
  PetscCall(UmbCVGetPeriod(opts->cv, ts->period));
  PetscCall(UmbPathJoin(dir, "samples.h5", path, sizeof(path)));
  PetscCall(PetscTestFile(path, 'r', &exists));
  PetscCheck(exists, comm, PETSC_ERR_USER_INPUT, "training needs %s: run `umbra sample` (or `umbra run`) with the same -out first", path);
  PetscCall(ReadRows(ts, path));
  PetscCall(Split(ts));
  {
    const PetscInt64 need = (PetscInt64)opts->batch * opts->batches_per_step;
    const char      *step = opts->step ? opts->step : "step";
    if (opts->opt_steps)
      PetscCheck(ts->T >= need, comm, PETSC_ERR_USER_INPUT, "%s: %lld training samples (after holding out %.6g%% for validation) are fewer than one %s needs (%s %" PetscInt_FMT " x %s %" PetscInt_FMT "): sample more or reduce them", path, (long long)ts->T, (double)(100 * opts->val_frac), step, opts->opt_batch, opts->batch, opts->opt_steps, opts->batches_per_step);
    else PetscCheck(ts->T >= need, comm, PETSC_ERR_USER_INPUT, "%s: %lld training samples (after holding out %.6g%% for validation) are fewer than one %s needs (%s %" PetscInt_FMT "): sample more or reduce it", path, (long long)ts->T, (double)(100 * opts->val_frac), step, opts->opt_batch, opts->batch);
  }
  PetscCall(Statistics(ts, path));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbTrainSetBuildRows(UmbTrainSet *ts, PetscInt dz, void (*features)(void *, PetscInt, const PetscReal[], PetscReal[]), void *ctx)
{
  const UmbTrainSetOptions *o = &ts->opts;
  const PetscInt            ng = o->space->ng, d = ts->d, n = o->n;

  PetscFunctionBegin;
  PetscCheck(ts->x && ts->z, PETSC_COMM_SELF, PETSC_ERR_ORDER, "UmbTrainSetBuildRows needs UmbTrainSetLoad first, once");
  ts->dz  = dz;
  ts->ox  = 0;
  ts->oz  = ng;
  ts->or  = ng + dz;
  ts->oid = ts->or + d;
  ts->W   = ts->oid + 1;
  PetscCall(PetscMalloc1(ts->tloc * ts->W, &ts->train));
  PetscCall(PetscMalloc1(PetscMax(ts->vloc, 1) * ts->W, &ts->valid));
  for (PetscInt64 i = 0, kt = 0, kv = 0; i < ts->nloc; i++) {
    const PetscInt64 row = ts->row0 + i;
    PetscReal       *p   = IsValidation(o, row) ? ts->valid + (kv++) * ts->W : ts->train + (kt++) * ts->W;
    UmbGenSpaceProject(o->space, ts->x + i * n, p + ts->ox);
    for (PetscInt j = 0; j < ng; j++) p[ts->ox + j] = (p[ts->ox + j] - ts->xmean[j]) / ts->xsd[j];
    features(ctx, 1, ts->z + i * d, p + ts->oz);
    for (PetscInt a = 0; a < d; a++) p[ts->or + a] = ts->z[i * d + a];
    p[ts->oid] = (PetscReal)row;
  }
  PetscCall(PetscFree(ts->x));
  PetscCall(PetscFree(ts->z));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbTrainSetDestroy(UmbTrainSet *ts)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(ts->Toff));
  PetscCall(PetscFree(ts->woff));
  PetscCall(PetscFree(ts->x));
  PetscCall(PetscFree(ts->z));
  PetscCall(PetscFree(ts->xmean));
  PetscCall(PetscFree(ts->xsd));
  PetscCall(PetscFree(ts->train));
  PetscCall(PetscFree(ts->valid));
  PetscCall(PetscFree(ts->perm));
  PetscCall(PetscFree(ts->chunk));
  PetscCall(PetscFree(ts->qowner));
  PetscCall(PetscFree(ts->ebuf));
  PetscCall(PetscFree(ts->ids));
  for (PetscInt r = 0; r < ts->nred; r++) PetscCall(PetscFree(ts->seg[r]));
  PetscCall(PetscFree(ts->vec));
  PetscCall(PetscFree(ts->red));
  PetscCall(PetscMemzero(ts, sizeof(*ts)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbTrainSetGetStandardization(const UmbTrainSet *ts, PetscReal **xmean, PetscReal **xsd, PetscReal zmean[], PetscReal zsd[], PetscReal zlo[], PetscReal zhi[])
{
  const PetscInt ng = ts->opts.space->ng;

  PetscFunctionBegin;
  PetscCall(PetscFree(*xmean));
  PetscCall(PetscFree(*xsd));
  PetscCall(PetscMalloc1(ng, xmean));
  PetscCall(PetscMalloc1(ng, xsd));
  PetscCall(PetscArraycpy(*xmean, ts->xmean, ng));
  PetscCall(PetscArraycpy(*xsd, ts->xsd, ng));
  for (PetscInt a = 0; a < ts->d; a++) {
    zmean[a] = ts->zmean[a];
    zsd[a]   = ts->zsd[a];
    zlo[a]   = ts->zlo[a];
    zhi[a]   = ts->zhi[a];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
