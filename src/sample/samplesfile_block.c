/* samples.h5: the windows UmbLayoutRange assigns to this rank and their CV values, whatever the
   rank count of the sampling run, and the IACT of each window (files not written by umbra sample
   may have none: it is then computed from the walker series). */
#include <umbra/private/samplesfileimpl.h>
#include <umbra/stats.h>

/* IACT of the local windows, summed over the ranks (each window is on one rank) */
static PetscErrorCode ComputeIACT(UmbSamplesFile sf, const UmbSamplesTable *t, UmbSamplesBlock *b)
{
  PetscReal *local, *series;
  PetscInt64 maxn = 1;

  PetscFunctionBegin;
  for (PetscInt k = b->klo; k < b->khi; k++) maxn = PetscMax(maxn, t->offset[k + 1] - t->offset[k]);
  PetscCall(PetscCalloc1(t->K, &local));
  PetscCall(PetscMalloc1(maxn, &series));
  for (PetscInt k = b->klo; k < b->khi; k++) {
    const PetscInt64 r0 = t->offset[k] - t->offset[b->klo], nk = t->offset[k + 1] - t->offset[k];
    for (PetscInt a = 0; a < t->d; a++) {
      PetscReal tau;
      for (PetscInt64 i = 0; i < nk; i++) series[i] = b->z[(r0 + i) * t->d + a];
      PetscCall(UmbIACT((PetscInt)t->walkers[k], (PetscInt)t->frames[k], series, &tau));
      local[k] = PetscMax(local[k], tau);
    }
  }
  PetscCallMPI(MPI_Allreduce(local, b->iact, (PetscMPIInt)t->K, MPIU_REAL, MPI_SUM, sf->comm));
  PetscCall(PetscFree(series));
  PetscCall(PetscFree(local));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileReadBlock(UmbSamplesFile sf, UmbSamplesBlock *b)
{
  const UmbSamplesTable *t;
  PetscMPIInt            rank, size;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(b, sizeof(*b)));
  PetscCall(UmbSamplesFileGetPooledTable(sf, &t));
  PetscCallMPI(MPI_Comm_rank(sf->comm, &rank));
  PetscCallMPI(MPI_Comm_size(sf->comm, &size));
  /* the local windows' CV values in one collective read */
  UmbLayoutRange(t->K, size, rank, &b->klo, &b->khi);
  b->row0 = t->offset[b->klo];
  b->nloc = t->offset[b->khi] - b->row0;
  PetscCall(PetscMalloc1(b->nloc * t->d + 1, &b->z));
  PetscCall(PetscMalloc1(t->K, &b->iact));
  PetscCall(UmbSamplesFileReadBlockRows(sf, b, UMB_SAMPLES_Z, t->d, b->z));
  if (t->nsuperseded == 0 && t->K == t->Kfile) PetscCall(UmbSamplesFileCheckFinite(sf, UMB_SAMPLES_Z, b->nloc, t->d, b->z, b->row0, NULL, "sample again (`umbra sample`)"));
  else { /* rows named by their file row */
    PetscInt64 *rowid;
    PetscCall(PetscMalloc1(b->nloc + 1, &rowid));
    for (PetscInt k = b->klo; k < b->khi; k++)
      for (PetscInt64 i = t->offset[k]; i < t->offset[k + 1]; i++) rowid[i - b->row0] = t->row[k] + (i - t->offset[k]);
    PetscCall(UmbSamplesFileCheckFinite(sf, UMB_SAMPLES_Z, b->nloc, t->d, b->z, 0, rowid, "sample again (`umbra sample`)"));
    PetscCall(PetscFree(rowid));
  }
  b->iact_from_file = t->has_iact;
  if (t->has_iact) PetscCall(PetscArraycpy(b->iact, t->iact, t->K));
  else PetscCall(ComputeIACT(sf, t, b));
  for (PetscInt k = 0; k < t->K; k++) b->iact[k] = PetscMax(1.0, b->iact[k]);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileReadBlockRows(UmbSamplesFile sf, const UmbSamplesBlock *b, UmbSamplesArray a, PetscInt ncol, PetscReal buf[])
{
  const UmbSamplesTable *t;
  PetscInt               nmax, nloc;

  PetscFunctionBegin;
  PetscCall(UmbSamplesFileGetPooledTable(sf, &t));
  if (t->K == t->Kfile) { /* nothing left out: the block is one run of rows */
    PetscCall(UmbSamplesFileReadRows(sf, a, b->row0, b->nloc, buf));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  /* window by window (the reads are collective: ranks with fewer windows read nothing) */
  nloc = b->khi - b->klo;
  PetscCallMPI(MPI_Allreduce(&nloc, &nmax, 1, MPIU_INT, MPI_MAX, sf->comm));
  for (PetscInt i = 0; i < nmax; i++) {
    const PetscInt k = b->klo + i;
    if (i < nloc) PetscCall(UmbSamplesFileReadRows(sf, a, t->row[k], t->offset[k + 1] - t->offset[k], buf + (size_t)(t->offset[k] - b->row0) * ncol));
    else PetscCall(UmbSamplesFileReadRows(sf, a, 0, 0, buf));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesBlockFree(UmbSamplesBlock *b)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(b->z));
  PetscCall(PetscFree(b->iact));
  PetscFunctionReturn(PETSC_SUCCESS);
}
