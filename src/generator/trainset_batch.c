/* Batches of the training set (include/umbra/private/trainset.h): the positions of every batch
   owned by each rank, the permutation of an epoch and its one exchange of rows, the gradient
   reductions and the parameter-drift check. */
#include <umbra/private/trainset.h>
#include <umbra/rng.h>

PetscErrorCode UmbTrainSetSetUpBatches(UmbTrainSet *ts)
{
  const UmbTrainSetOptions *o = &ts->opts;
  const PetscInt            B = o->batch;

  PetscFunctionBegin;
  PetscCheck(ts->W > 0, PETSC_COMM_SELF, PETSC_ERR_ORDER, "UmbTrainSetSetUpBatches needs UmbTrainSetBuildRows first");
  ts->B = B;
  ts->S = ts->T / ((PetscInt64)B * o->batches_per_step);
  PetscCall(PetscMalloc1(B, &ts->qowner));
  if (o->reduce == UMB_REDUCE_EXACT) { /* whole micro-batches per rank: the chunks do not depend on the rank count */
    const PetscInt mb = PetscMin(o->microbatch, B);
    ts->U             = (B + mb - 1) / mb;
    for (PetscMPIInt p = 0; p < ts->size; p++) {
      const PetscInt u0 = (PetscInt)(((PetscInt64)ts->U * p) / ts->size), u1 = (PetscInt)(((PetscInt64)ts->U * (p + 1)) / ts->size);
      for (PetscInt q = PetscMin(B, u0 * mb); q < PetscMin(B, u1 * mb); q++) ts->qowner[q] = p;
      if (p == ts->rank) {
        ts->qlo    = PetscMin(B, u0 * mb);
        ts->qhi    = PetscMin(B, u1 * mb);
        ts->nchunk = u1 - u0;
        PetscCall(PetscMalloc1(ts->nchunk + 1, &ts->chunk));
        for (PetscInt u = u0; u <= u1; u++) ts->chunk[u - u0] = PetscMin(B, u * mb) - ts->qlo;
      }
    }
  } else {
    ts->U = ts->size;
    for (PetscMPIInt p = 0; p < ts->size; p++) {
      const PetscInt q0 = (PetscInt)(((PetscInt64)B * p) / ts->size), q1 = (PetscInt)(((PetscInt64)B * (p + 1)) / ts->size);
      for (PetscInt q = q0; q < q1; q++) ts->qowner[q] = p;
      if (p == ts->rank) {
        ts->qlo = q0;
        ts->qhi = q1;
      }
    }
    ts->nchunk = ts->qhi > ts->qlo ? 1 : 0;
    PetscCall(PetscMalloc1(2, &ts->chunk));
    ts->chunk[0] = 0;
    ts->chunk[1] = ts->qhi - ts->qlo;
  }
  ts->bloc = ts->qhi - ts->qlo;
  PetscCall(PetscMalloc1(ts->S * o->batches_per_step * ts->bloc * ts->W + 1, &ts->ebuf));
  PetscCall(PetscMalloc1(ts->T, &ts->perm));
  PetscCall(PetscMalloc1(ts->bloc + 1, &ts->ids));
  ts->epoch_loaded = -1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbTrainSetAddReduction(UmbTrainSet *ts, PetscInt np, PetscInt nseg, const PetscInt seg[], PetscInt nloss, PetscInt *id)
{
  const PetscInt r = ts->nred, len = np + nloss;
  PetscInt      *s;

  PetscFunctionBegin;
  PetscCheck(r < UMB_TRAINSET_MAX_RED, PETSC_COMM_SELF, PETSC_ERR_SUP, "at most %d parameter vectors can be reduced", UMB_TRAINSET_MAX_RED);
  PetscCheck(ts->chunk, PETSC_COMM_SELF, PETSC_ERR_ORDER, "UmbTrainSetAddReduction needs UmbTrainSetSetUpBatches first");
  PetscCheck(nseg >= 1 && seg[0] == 0, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "the first reduction segment must start at 0");
  for (PetscInt k = 1; k < nseg; k++) PetscCheck(seg[k] > seg[k - 1] && seg[k] < np, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "reduction segments must increase inside the %" PetscInt_FMT " parameters", np);
  /* the segments (each with its own fixed-point scale in exact mode), then one per loss entry */
  PetscCall(PetscMalloc1(nseg + nloss + 1, &s));
  for (PetscInt k = 0; k < nseg; k++) s[k] = seg[k];
  for (PetscInt j = 0; j < nloss; j++) s[nseg + j] = np + j;
  s[nseg + nloss] = len;
  ts->seg[r]      = s;
  ts->nseg[r]     = nseg + nloss;
  ts->np[r]       = np;
  ts->nloss[r]    = nloss;
  ts->nred++;
  if (len > ts->veclen) {
    PetscCall(PetscFree(ts->vec));
    PetscCall(PetscFree(ts->red));
    PetscCall(PetscMalloc1((size_t)PetscMax(ts->nchunk, 1) * len, &ts->vec));
    PetscCall(PetscMalloc1(len, &ts->red));
    ts->veclen = len;
  }
  *id = r;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbTrainSetAddNetworks(UmbTrainSet *ts, PetscInt nnet, const UmbMLP nets[], PetscInt nloss, PetscInt *id)
{
  PetscInt *seg, nseg = 0, np = 0, cap = 0;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < nnet; k++) {
    PetscInt nl;
    PetscCall(UmbMLPGetLayers(nets[k], &nl, NULL, NULL, NULL));
    cap += 2 * nl;
  }
  PetscCall(PetscMalloc1(cap + 1, &seg));
  for (PetscInt k = 0; k < nnet; k++) { /* network k's parameters follow those before it */
    PetscInt nl, npk;
    PetscCall(UmbMLPGetLayers(nets[k], &nl, NULL, NULL, NULL));
    PetscCall(UmbMLPGetSizes(nets[k], NULL, NULL, &npk));
    for (PetscInt l = 1; l <= nl; l++) {
      PetscInt oW, ob;
      PetscCall(UmbMLPGetLayerOffsets(nets[k], l, &oW, &ob));
      seg[nseg++] = np + oW;
      seg[nseg++] = np + ob;
    }
    np += npk;
  }
  PetscCall(UmbTrainSetAddReduction(ts, np, nseg, seg, nloss, id));
  PetscCall(PetscFree(seg));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Fisher-Yates permutation of the T training rows for epoch e (the same on every rank) */
static void Permutation(const UmbTrainSetOptions *o, PetscInt64 e, PetscInt64 T, PetscInt64 *perm)
{
  UmbStream s;

  UmbStreamInit(&s, (uint64_t)o->seed, UMB_STREAM_SHUFFLE, UMB_TRAINSET_SHUFFLE_EPOCH);
  for (PetscInt64 i = 0; i < T; i++) perm[i] = i;
  for (PetscInt64 i = T - 1; i > 0; i--) {
    uint64_t   b[4];
    PetscInt64 j, t;
    UmbStreamBits(&s, (uint64_t)e, (uint64_t)i, 0, b);
    j       = (PetscInt64)(UmbU01(b[0]) * (double)(i + 1));
    j       = PetscMin(j, i);
    t       = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
}

/* The rank that holds training row t */
static PetscMPIInt TrainOwner(const UmbTrainSet *ts, PetscInt64 t)
{
  PetscMPIInt lo = 0, hi = ts->size; /* Toff[lo] <= t < Toff[hi] */
  while (hi - lo > 1) {
    PetscMPIInt mid = (lo + hi) / 2;
    if (ts->Toff[mid] <= t) lo = mid;
    else hi = mid;
  }
  return lo;
}

PetscErrorCode UmbTrainSetLoadEpoch(UmbTrainSet *ts, PetscInt64 e)
{
  const UmbTrainSetOptions *o = &ts->opts;
  const PetscInt64          J = ts->S * o->batches_per_step, used = J * ts->B;
  const PetscInt            W = ts->W;
  const PetscMPIInt         size = ts->size, rank = ts->rank;
  PetscMPIInt              *scount, *rcount, *sdisp, *rdisp, *cur;
  PetscReal                *sbuf, *rbuf;
  PetscInt64                ns = 0, nr = 0;

  PetscFunctionBegin;
  if (ts->epoch_loaded == e) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscLogEventBegin(o->event_data, 0, 0, 0, 0));
  Permutation(o, e, ts->T, ts->perm);
  PetscCall(PetscCalloc5(size, &scount, size, &rcount, size + 1, &sdisp, size + 1, &rdisp, size, &cur));
  for (PetscInt64 p = 0; p < used; p++) {
    const PetscInt64 t = ts->perm[p];
    if (t >= ts->Toff[rank] && t < ts->Toff[rank + 1]) {
      scount[ts->qowner[p % ts->B]]++;
      ns++;
    }
  }
  for (PetscInt64 j = 0; j < J; j++)
    for (PetscInt q = ts->qlo; q < ts->qhi; q++) {
      rcount[TrainOwner(ts, ts->perm[j * ts->B + q])]++;
      nr++;
    }
  PetscCheck(ns * W < PETSC_MPI_INT_MAX && nr * W < PETSC_MPI_INT_MAX, PETSC_COMM_SELF, PETSC_ERR_SUP, "too many samples per rank for one exchange (%lld rows): use more ranks", (long long)PetscMax(ns, nr));
  for (PetscMPIInt p = 0; p < size; p++) {
    scount[p] *= W;
    rcount[p] *= W;
    sdisp[p + 1] = sdisp[p] + scount[p];
    rdisp[p + 1] = rdisp[p] + rcount[p];
  }
  PetscCall(PetscMalloc2(ns * W + 1, &sbuf, nr * W + 1, &rbuf));
  for (PetscInt64 p = 0; p < used; p++) {
    const PetscInt64 t = ts->perm[p];
    if (t >= ts->Toff[rank] && t < ts->Toff[rank + 1]) {
      const PetscMPIInt dst = ts->qowner[p % ts->B];
      PetscCall(PetscArraycpy(sbuf + sdisp[dst] + cur[dst], ts->train + (t - ts->Toff[rank]) * W, W));
      cur[dst] += W;
    }
  }
  PetscCallMPI(MPI_Alltoallv(sbuf, scount, sdisp, MPIU_REAL, rbuf, rcount, rdisp, MPIU_REAL, o->comm));
  PetscCall(PetscArrayzero(cur, size));
  for (PetscInt64 j = 0; j < J; j++)
    for (PetscInt q = ts->qlo; q < ts->qhi; q++) {
      const PetscMPIInt src = TrainOwner(ts, ts->perm[j * ts->B + q]);
      PetscCall(PetscArraycpy(ts->ebuf + (j * ts->bloc + (q - ts->qlo)) * W, rbuf + rdisp[src] + cur[src], W));
      cur[src] += W;
    }
  PetscCall(PetscFree2(sbuf, rbuf));
  PetscCall(PetscFree5(scount, rcount, sdisp, rdisp, cur));
  ts->epoch_loaded = e;
  PetscCall(PetscLogEventEnd(o->event_data, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbTrainSetGetBatch(UmbTrainSet *ts, PetscInt64 step, PetscInt k, const PetscReal **rows)
{
  const PetscInt nb = ts->opts.batches_per_step;

  PetscFunctionBegin;
  PetscCheck(k >= 0 && k < nb, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "batch %" PetscInt_FMT " of a step of %" PetscInt_FMT, k, nb);
  PetscCall(UmbTrainSetLoadEpoch(ts, step / ts->S));
  *rows = ts->ebuf + ((step % ts->S) * nb + k) * ts->bloc * ts->W;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbTrainSetGetChunkVector(UmbTrainSet *ts, PetscInt id, PetscInt k, PetscReal **v)
{
  PetscFunctionBegin;
  PetscCheck(id >= 0 && id < ts->nred, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "no reduction %" PetscInt_FMT " registered", id);
  PetscCheck(k >= 0 && k < ts->nchunk, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "chunk %" PetscInt_FMT " of %" PetscInt_FMT, k, ts->nchunk);
  *v = ts->vec + (ts->opts.reduce == UMB_REDUCE_EXACT ? k * (ts->np[id] + ts->nloss[id]) : 0);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbTrainSetReduce(UmbTrainSet *ts, PetscInt id, PetscBool *finite)
{
  const UmbTrainSetOptions *o = &ts->opts;
  PetscInt                  len;

  PetscFunctionBegin;
  PetscCheck(id >= 0 && id < ts->nred, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "no reduction %" PetscInt_FMT " registered", id);
  len = ts->np[id] + ts->nloss[id];
  PetscCall(PetscLogEventBegin(o->event_reduce, 0, 0, 0, 0));
  if (o->reduce == UMB_REDUCE_EXACT) {
    PetscCall(UmbNNSumExact(o->comm, ts->nchunk, len, ts->nseg[id], ts->seg[id], ts->vec, ts->U, ts->red, finite));
  } else {
    if (ts->nchunk) PetscCall(PetscArraycpy(ts->red, ts->vec, len));
    else PetscCall(PetscArrayzero(ts->red, len));
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, ts->red, (PetscMPIInt)len, MPIU_REAL, MPI_SUM, o->comm));
    *finite = PETSC_TRUE;
    for (PetscInt i = 0; i < len; i++)
      if (PetscIsInfOrNanReal(ts->red[i])) *finite = PETSC_FALSE;
  }
  PetscCall(PetscLogEventEnd(o->event_reduce, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbTrainSetDriftCheck(UmbTrainSet *ts, PetscInt nbuf, const PetscInt n[], PetscReal *const buf[], PetscInt64 step, PetscBool *stop)
{
  const UmbTrainSetOptions *o = &ts->opts;
  uint64_t                  v[3], h = 0, mult = 1;

  PetscFunctionBegin;
  /* buffer k enters multiplied by the k-th power of an odd constant, so swapped buffers differ */
  for (PetscInt k = 0; k < nbuf; k++) {
    h ^= UmbNNHash(n[k], buf[k]) * mult;
    mult *= UINT64_C(0x9e3779b97f4a7c15);
  }
  v[0] = h; /* max of h and of ~h: equal to each other's complement only when every rank has h */
  v[1] = ~h;
  v[2] = (uint64_t)UmbStopSignal(); /* the stop agreement rides on this reduction */
  PetscCall(PetscLogEventBegin(o->event_reduce, 0, 0, 0, 0));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, v, 3, MPI_UINT64_T, MPI_MAX, o->comm));
  PetscCall(PetscLogEventEnd(o->event_reduce, 0, 0, 0, 0));
  PetscCheck(v[0] == ~v[1], o->comm, PETSC_ERR_PLIB, "the network parameters differ between ranks after %s %lld (parameter hashes %016llx and %016llx): a non-deterministic BLAS? Run with OPENBLAS_NUM_THREADS=1", o->step ? o->step : "step", (long long)step, (unsigned long long)v[0], (unsigned long long)~v[1]);
  *stop = (PetscBool)(v[2] != 0);
  PetscFunctionReturn(PETSC_SUCCESS);
}
