/* Reductions for data-parallel training: an exact (fixed-point) sum whose result does not
   depend on how the summands are spread over the ranks, and a hash for drift checks. */
#include <umbra/nn.h>
#include <math.h>

const char *const UmbReduceModes[] = {"mpi", "exact", "UmbReduceMode", "UMB_REDUCE_", NULL};

int UmbNNFixedPointExponent(PetscReal bound, PetscInt64 nglobal)
{
  int c = 0, e = 0;
  while (c < 62 && (INT64_C(1) << c) < nglobal) c++; /* nglobal <= 2^c */
  if (bound > 0) (void)frexp(bound, &e);             /* bound < 2^e */
  return 62 - c - e;                                 /* nglobal * bound * 2^k < 2^62 */
}

PetscErrorCode UmbNNFixedAllreduce(MPI_Comm comm, PetscInt n, int k, int64_t isum[], PetscReal sum[])
{
  PetscFunctionBegin;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, isum, (PetscMPIInt)n, MPI_INT64_T, MPI_SUM, comm));
  for (PetscInt i = 0; i < n; i++) sum[i] = ldexp((double)isum[i], -k);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbNNSumExact(MPI_Comm comm, PetscInt nvec, PetscInt len, PetscInt nseg, const PetscInt seg[], const PetscReal v[], PetscInt64 nglobal, PetscReal sum[], PetscBool *finite)
{
  PetscReal *mx;
  int       *k;
  int64_t   *isum;
  PetscBool  ok = PETSC_TRUE;

  PetscFunctionBegin;
  PetscCheck(seg[0] == 0 && seg[nseg] == len, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "segments must cover 0..%" PetscInt_FMT, len);
  PetscCall(PetscCalloc3(nseg, &mx, nseg, &k, len, &isum));
  /* largest magnitude per segment; a NaN makes it NaN, an infinity infinite */
  for (PetscInt s = 0; s < nseg; s++)
    for (PetscInt i = 0; i < nvec; i++)
      for (PetscInt j = seg[s]; j < seg[s + 1]; j++) {
        const PetscReal a = PetscAbsReal(v[(size_t)i * len + j]);
        if (!(a <= mx[s])) mx[s] = isnan(a) ? (PetscReal)INFINITY : a; /* MPI_MAX may drop a NaN, never an infinity */
      }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, mx, (PetscMPIInt)nseg, MPIU_REAL, MPI_MAX, comm));
  for (PetscInt s = 0; s < nseg; s++) {
    if (!isfinite(mx[s])) ok = PETSC_FALSE;
    if (!ok) break;
    k[s] = UmbNNFixedPointExponent(mx[s], nglobal);
  }
  if (ok)
    for (PetscInt i = 0; i < nvec; i++)
      for (PetscInt s = 0; s < nseg; s++)
        for (PetscInt j = seg[s]; j < seg[s + 1]; j++) isum[j] += UmbNNToFixed(v[(size_t)i * len + j], k[s]);
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, isum, (PetscMPIInt)len, MPI_INT64_T, MPI_SUM, comm));
  for (PetscInt s = 0; s < nseg; s++)
    for (PetscInt j = seg[s]; j < seg[s + 1]; j++) sum[j] = ok ? ldexp((double)isum[j], -k[s]) : NAN;
  if (finite) *finite = ok;
  PetscCall(PetscFree3(mx, k, isum));
  PetscFunctionReturn(PETSC_SUCCESS);
}

uint64_t UmbNNHash(PetscInt n, const PetscReal v[])
{
  uint64_t h = UINT64_C(0xcbf29ce484222325);
  for (PetscInt i = 0; i < n; i++) {
    uint64_t w;
    memcpy(&w, &v[i], sizeof(w));
    h ^= w;
    h *= UINT64_C(0x100000001b3);
    h ^= h >> 29;
  }
  return h;
}
