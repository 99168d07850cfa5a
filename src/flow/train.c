/* Data-parallel maximum-likelihood training of the flow on the generators' training set
   (umbra/private/trainset.h): the same batches, reductions (mpi or exact), drift checks and
   stop agreement as the GAN, one batch per step and one flat parameter vector (the conditioners
   layer after layer) with the NLL behind it. Held-out NLL per epoch; checkpoints hold the
   parameters, Adam's state, the step and the epoch's running sums. */
#include <umbra/private/flowtrain.h>
#include <cblas.h> /* openblas_set_num_threads */

static const char csv_header[] = "epoch,step,nll,valid_nll,samples_per_s,time";

static void Features(void *ctx, PetscInt m, const PetscReal z[], PetscReal zf[]) { UmbFlowFeatures((UmbFlow)ctx, m, z, zf); }

/* Collective: stops as diverged (exit 1) on every rank when the reduced loss or gradient is not
   finite, or the loss exceeds -flow_loss_limit. Nothing is written. */
static PetscErrorCode CheckDiverged(UmbFlow flow, FlowTrain *ft, PetscBool finite, PetscReal loss, PetscInt64 epoch, PetscInt64 step)
{
  int  bad = !finite || PetscIsInfOrNanReal(loss) || (flow->loss_limit > 0 && PetscAbsReal(loss) > flow->loss_limit);
  char what[128], ckpt[320];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, flow->comm));
  if (!bad) PetscFunctionReturn(PETSC_SUCCESS);
  if (!finite || PetscIsInfOrNanReal(loss)) snprintf(what, sizeof(what), "the negative log-likelihood or its gradient became NaN or infinite");
  else snprintf(what, sizeof(what), "the negative log-likelihood reached %.3g, beyond -flow_loss_limit %.3g", (double)loss, (double)flow->loss_limit);
  if (ft->ckpt_step >= 0) snprintf(ckpt, sizeof(ckpt), "the last checkpoint, %s/ckpt/train.h5 at step %lld, is kept (-restart continues from it with the same options only)", ft->dir, (long long)ft->ckpt_step);
  else snprintf(ckpt, sizeof(ckpt), "no checkpoint was written before it");
  SETERRQ(flow->comm, PETSC_ERR_NOT_CONVERGED, "flow training diverged in epoch %lld (step %lld): %s; lower the learning rate (-flow_lr, now %.6g; try -flow_lr %.3g) or widen the splines' interval (-flow_bound, now %.6g); flow.h5 is not written, %s", (long long)(epoch + 1), (long long)(step + 1), what, (double)flow->lr, (double)(0.1 * flow->lr), (double)flow->spline.bound, ckpt);
}

/* One step on the rows of batch `step`: per chunk the NLL gradient (scaled by 1/B) into the
   reduction vector, one reduction, one Adam step per conditioner */
static PetscErrorCode Step(UmbFlow flow, FlowTrain *ft, PetscInt64 step, PetscInt64 epoch)
{
  UmbTrainSet    *ts  = &ft->set;
  const PetscInt  np  = flow->nparams;
  const PetscReal scale = 1.0 / (PetscReal)ts->B;
  const PetscReal *rows;
  PetscReal      *v;
  PetscBool       finite;

  PetscFunctionBegin;
  PetscCall(UmbTrainSetGetBatch(ts, step, 0, &rows));
  if (flow->reduce == UMB_REDUCE_MPI && ts->nchunk) { /* one chunk: this rank's positions */
    PetscCall(UmbTrainSetGetChunkVector(ts, ft->red, 0, &v));
    PetscCall(PetscArrayzero(v, np + 1));
    PetscCall(UmbFlowZeroGradients(flow));
  }
  for (PetscInt k = 0; k < ts->nchunk; k++) {
    const PetscInt   q0 = ts->chunk[k], b = ts->chunk[k + 1] - q0;
    const PetscReal *r  = rows + q0 * ts->W;
    PetscCall(UmbTrainSetGetChunkVector(ts, ft->red, k, &v));
    if (flow->reduce == UMB_REDUCE_EXACT) {
      PetscCall(PetscArrayzero(v, np + 1));
      PetscCall(UmbFlowZeroGradients(flow));
    }
    PetscCall(UmbFlowLossRows(flow, b, r + ts->ox, ts->W, r + ts->oz, ts->W, scale, &v[np]));
    if (flow->reduce == UMB_REDUCE_EXACT) PetscCall(UmbFlowGetGradient(flow, v));
  }
  if (flow->reduce == UMB_REDUCE_MPI && ts->nchunk) {
    PetscCall(UmbTrainSetGetChunkVector(ts, ft->red, 0, &v));
    PetscCall(UmbFlowGetGradient(flow, v));
  }
  PetscCall(UmbTrainSetReduce(ts, ft->red, &finite));
  PetscCall(CheckDiverged(flow, ft, finite, ts->red[np], epoch, step));
  for (PetscInt l = 0; l < flow->ncoupling; l++) {
    PetscReal *theta;
    PetscCall(UmbMLPGetParameters(flow->net[l], &theta, NULL));
    PetscCall(UmbAdamStep(flow->adam[l], theta, ts->red + flow->poff[l]));
  }
  ft->acc[0] += ts->red[np];
  ft->acc[1] += 1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective: mean NLL per held-out row (exact sums: the same on any rank count) */
static PetscErrorCode Validate(UmbFlow flow, FlowTrain *ft, PetscReal *nll)
{
  UmbTrainSet *ts = &ft->set;
  PetscReal   *part, sum;
  PetscInt     nb = (PetscInt)((ts->vloc + UMB_FLOW_BLOCK - 1) / UMB_FLOW_BLOCK), seg[2] = {0, 1};
  PetscBool    finite;

  PetscFunctionBegin;
  *nll = NAN;
  if (ts->V == 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscLogEventBegin(UMB_EVENT.flow_valid, 0, 0, 0, 0));
  PetscCall(PetscCalloc1(ts->vloc + 1, &part));
  for (PetscInt kb = 0; kb < nb; kb++) {
    const PetscInt64 i0 = (PetscInt64)kb * UMB_FLOW_BLOCK;
    const PetscInt   b  = (PetscInt)PetscMin(UMB_FLOW_BLOCK, ts->vloc - i0);
    const PetscReal *r  = ts->valid + i0 * ts->W;
    PetscCall(UmbFlowNLLRows(flow, b, r + ts->ox, ts->W, r + ts->oz, ts->W, part + i0));
  }
  PetscCall(UmbNNSumExact(flow->comm, (PetscInt)ts->vloc, 1, 1, seg, part, ts->V, &sum, &finite));
  *nll = finite ? sum / (PetscReal)ts->V : NAN;
  PetscCall(PetscFree(part));
  PetscCall(PetscLogEventEnd(UMB_EVENT.flow_valid, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WriteCsv(UmbFlow flow, FlowTrain *ft)
{
  char   path[PETSC_MAX_PATH_LEN];
  UmbCsv csv;

  PetscFunctionBegin;
  PetscCall(UmbPathJoin(ft->dir, "train.csv", path, sizeof(path)));
  PetscCall(UmbCsvCreate(flow->comm, path, csv_header, &csv));
  for (PetscInt k = 0; k < ft->nhist; k++) {
    const PetscReal *h = ft->hist + k * UMB_FLOW_NCOL;
    PetscCall(UmbCsvRow(csv, "%lld,%lld,%.10g,%.10g,%.4g,%.4g", (long long)h[0], (long long)h[1], h[2], h[3], h[4], h[5]));
  }
  PetscCall(UmbCsvClose(&csv, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective: every rank holds the same parameters (each conditioner's buffer hashed); also
   agrees on a stop signal */
static PetscErrorCode DriftCheck(UmbFlow flow, FlowTrain *ft, PetscInt64 step, PetscBool *stop)
{
  PetscInt   n[UMB_FLOW_MAX_COUPLINGS];
  PetscReal *theta[UMB_FLOW_MAX_COUPLINGS];

  PetscFunctionBegin;
  for (PetscInt l = 0; l < flow->ncoupling; l++) {
    PetscCall(UmbMLPGetParameters(flow->net[l], &theta[l], NULL));
    n[l] = flow->poff[l + 1] - flow->poff[l];
  }
  PetscCall(UmbTrainSetDriftCheck(&ft->set, flow->ncoupling, n, theta, step, stop));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode LoadTrainingSet(UmbFlow flow, FlowTrain *ft, const char dir[])
{
  UmbTrainSetOptions o;
  UmbTrainSet       *ts = &ft->set;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(&o, sizeof(o)));
  o.comm             = flow->comm;
  o.seed             = flow->seed;
  o.val_frac         = flow->val_frac;
  o.batch            = flow->batch;
  o.batches_per_step = 1;
  o.reduce           = flow->reduce;
  o.microbatch       = flow->microbatch;
  o.cv               = flow->cv;
  o.modeltype        = flow->modeltype;
  o.cvtype           = flow->cvtype;
  o.n                = flow->n;
  o.space            = &flow->space;
  o.name             = "the flow";
  o.doc              = "docs/flow.md";
  o.step             = "step";
  o.opt_batch        = "-flow_batch";
  o.opt_steps        = NULL;
  o.event_data       = UMB_EVENT.flow_data;
  o.event_reduce     = UMB_EVENT.flow_allreduce;
  PetscCall(UmbTrainSetLoad(&o, dir, ts));
  PetscCall(UmbTrainSetGetStandardization(ts, &flow->ymean, &flow->ysd, flow->zmean, flow->zsd, flow->zlo, flow->zhi));
  PetscCall(UmbTrainSetBuildRows(ts, flow->dz, Features, flow));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowTrain(UmbFlow flow, const char dir[], PetscBool *finished)
{
  FlowTrain      ft;
  UmbTrainSet   *ts = &ft.set;
  PetscInt64     step = 0, total;
  PetscReal      elapsed = 0;
  PetscLogDouble tlast, tnow;
  UmbProgress    progress;
  PetscBool      stop = PETSC_FALSE;
  char           path[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCall(PetscMemzero(&ft, sizeof(ft)));
  *finished = PETSC_FALSE;
  PetscCall(UmbFlowCheckGenerates(flow));
#if defined(OPENBLAS_VERSION)
  if (!getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(1);
#endif
  PetscCall(LoadTrainingSet(flow, &ft, dir));
  PetscCall(UmbFlowBuildNetworks(flow));
  PetscCall(UmbFlowSetTraining(flow, PETSC_TRUE));
  PetscCall(UmbTrainSetSetUpBatches(ts));
  PetscCall(UmbTrainSetAddNetworks(ts, flow->ncoupling, flow->net, 1, &ft.red));
  total      = ts->S * flow->epochs;
  ft.maxhist = (PetscInt)flow->epochs;
  PetscCall(PetscMalloc1(ft.maxhist * UMB_FLOW_NCOL + 1, &ft.hist));
  ft.dir       = dir;
  ft.ckpt_step = -1;
  if (flow->restart) {
    PetscCall(UmbFlowReadCheckpoint(flow, &ft, &step, &elapsed));
    ft.ckpt_step = step > 0 ? step : -1;
  }
  PetscCall(UmbLog(flow->comm, "train: flow: %lld samples (%lld for training, %lld held out), %lld steps per epoch of %" PetscInt_FMT " samples, %lld steps in all; %" PetscInt_FMT " parameters in %" PetscInt_FMT " coupling layers, reduction %s over %d rank%s", (long long)ts->N, (long long)ts->T, (long long)ts->V, (long long)ts->S, flow->batch, (long long)total, flow->nparams, flow->ncoupling, UmbReduceModes[flow->reduce], (int)flow->size, flow->size > 1 ? "s" : ""));
  PetscCall(UmbStopInstall());
  PetscCall(DriftCheck(flow, &ft, step, &stop));
  PetscCall(UmbProgressCreate(flow->comm, "train", "steps", (double)total, &progress));
  PetscCall(PetscTime(&tlast));
  while (step < total && !stop) {
    const PetscInt64 e = step / ts->S;
    if (flow->lr_final != 1) { /* constant, then linear decay over the second half (a function of the step only) */
      const PetscReal f = 1 + (flow->lr_final - 1) * PetscMax(0, 2 * (PetscReal)step / (PetscReal)total - 1);
      for (PetscInt l = 0; l < flow->ncoupling; l++) PetscCall(UmbAdamSetLearningRate(flow->adam[l], f * flow->lr));
    }
    PetscCall(PetscLogEventBegin(UMB_EVENT.flow_step, 0, 0, 0, 0));
    PetscCall(Step(flow, &ft, step, e));
    PetscCall(PetscLogEventEnd(UMB_EVENT.flow_step, 0, 0, 0, 0));
    step++;
    PetscCall(UmbProgressUpdate(progress, (double)step));
    if (step % flow->drift_interval == 0 || step == total) PetscCall(DriftCheck(flow, &ft, step, &stop));
    if (step % ts->S == 0) { /* end of an epoch */
      PetscReal *h = ft.hist + ft.nhist * UMB_FLOW_NCOL, vnll;
      PetscCall(PetscTime(&tnow));
      ft.acc[2] += tnow - tlast;
      elapsed += tnow - tlast;
      h[4] = ft.acc[2] > 0 ? ft.acc[1] * flow->batch / ft.acc[2] : 0;
      PetscCall(Validate(flow, &ft, &vnll));
      h[0] = (PetscReal)(e + 1);
      h[1] = (PetscReal)step;
      h[2] = ft.acc[0] / ft.acc[1];
      h[3] = vnll;
      PetscCall(PetscTime(&tlast));
      elapsed += tlast - tnow;
      h[5] = elapsed;
      ft.nhist++;
      PetscCall(UmbLog(flow->comm, "train: epoch %lld/%" PetscInt_FMT ": nll %.5g  held-out nll %.5g  %.3g samples/s", (long long)(e + 1), flow->epochs, h[2], h[3], h[4]));
      PetscCall(WriteCsv(flow, &ft));
      PetscCall(PetscArrayzero(ft.acc, UMB_FLOW_NACC));
    }
    if (step < total && (stop || (flow->ckpt_interval > 0 && step % flow->ckpt_interval == 0) || step == flow->stop_step)) {
      PetscCall(PetscTime(&tnow));
      ft.acc[2] += tnow - tlast;
      elapsed += tnow - tlast;
      PetscCall(UmbFlowWriteCheckpoint(flow, &ft, step, elapsed));
      ft.ckpt_step = step;
      PetscCall(PetscTime(&tlast));
      if (stop) PetscCall(UmbLog(flow->comm, "train: signal received: checkpointed after step %lld; continue with -restart", (long long)step));
      else if (step == flow->stop_step) {
        PetscCall(UmbLog(flow->comm, "train: stopped after step %lld as asked (-flow_stop_step); continue with -restart", (long long)step));
        break;
      }
    }
  }
  PetscCall(UmbStopRemove());
  PetscCall(UmbProgressFinish(progress));
  PetscCall(UmbProgressDestroy(&progress));
  if (step >= total) {
    flow->trained_steps  = step;
    flow->trained_epochs = flow->epochs;
    flow->train_nll      = ft.nhist ? ft.hist[(ft.nhist - 1) * UMB_FLOW_NCOL + 2] : NAN;
    flow->valid_nll      = ft.nhist ? ft.hist[(ft.nhist - 1) * UMB_FLOW_NCOL + 3] : NAN;
    PetscCall(UmbPathJoin(dir, "flow.h5", path, sizeof(path)));
    PetscCall(UmbFlowWrite(flow, path));
    PetscCall(WriteCsv(flow, &ft));
    PetscCall(UmbCheckpointRemove(flow->comm, dir, "train"));
    PetscCall(UmbLog(flow->comm, "train: %lld flow steps in %.1f s; wrote %s and %s/train.csv", (long long)step, (double)elapsed, path, dir));
    *finished = PETSC_TRUE;
  }
  PetscCall(UmbFlowSetTraining(flow, PETSC_FALSE));
  PetscCall(PetscFree(ft.hist));
  PetscCall(UmbTrainSetDestroy(ts));
  PetscFunctionReturn(PETSC_SUCCESS);
}
