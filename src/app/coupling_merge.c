/* The merged samples.h5 of a coupling round: the previous file's rows bit for bit, then the new
   windows' rows (windows appended, not sorted by centre), in the layout of docs/outputs.md,
   with /windows/round telling the round that added each window. */
#include <umbra/private/coupling.h>

#define UMB_MERGE_ROWS 32768 /* rows per rank and copy step */

typedef struct {
  UmbH5      h5;
  PetscInt   K, d, n;
  PetscInt64 N;
  PetscReal *center, *kappa, *iact;
  PetscInt64 *offset, *round;
  PetscInt64 walkers, frames, stride, burnin;
  PetscReal  dt;
} Part;

static PetscErrorCode ReadLongs(UmbH5 h5, const char name[], PetscInt m, PetscInt64 v[])
{
  long long *buf;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(m, &buf));
  PetscCall(UmbH5ReadSmall(h5, name, H5T_NATIVE_LLONG, m, buf));
  for (PetscInt i = 0; i < m; i++) v[i] = buf[i];
  PetscCall(PetscFree(buf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode OpenPart(MPI_Comm comm, const char dir[], PetscInt round, Part *p)
{
  char      path[PETSC_MAX_PATH_LEN];
  int       r;
  hsize_t   dims[2];
  PetscBool has;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(p, sizeof(*p)));
  PetscCall(UmbPathJoin(dir, "samples.h5", path, sizeof(path)));
  PetscCall(UmbH5Open(comm, path, "samples", &p->h5));
  PetscCall(UmbH5GetShape(p->h5, "/samples/x", &r, dims));
  p->N = (PetscInt64)dims[0];
  p->n = (PetscInt)dims[1];
  PetscCall(UmbH5GetShape(p->h5, "/windows/center", &r, dims));
  p->K = (PetscInt)dims[0];
  p->d = r == 1 ? 1 : (PetscInt)dims[1];
  PetscCall(PetscMalloc5(p->K * p->d, &p->center, p->K * p->d, &p->kappa, p->K, &p->iact, p->K + 1, &p->offset, p->K, &p->round));
  PetscCall(UmbH5ReadSmall(p->h5, "/windows/center", H5T_NATIVE_DOUBLE, p->K * p->d, p->center));
  PetscCall(UmbH5ReadSmall(p->h5, "/windows/kappa", H5T_NATIVE_DOUBLE, p->K * p->d, p->kappa));
  PetscCall(UmbH5ReadSmall(p->h5, "/windows/iact", H5T_NATIVE_DOUBLE, p->K, p->iact));
  PetscCall(ReadLongs(p->h5, "/windows/offset", p->K + 1, p->offset));
  PetscCall(UmbH5HasObject(p->h5, "/windows/round", &has));
  if (has) PetscCall(ReadLongs(p->h5, "/windows/round", p->K, p->round));
  else
    for (PetscInt k = 0; k < p->K; k++) p->round[k] = round;
  PetscCall(UmbH5ReadAttrInt(p->h5, "/windows", "walkers", &p->walkers));
  PetscCall(UmbH5ReadAttrInt(p->h5, "/windows", "frames_per_walker", &p->frames));
  PetscCall(UmbH5ReadAttrInt(p->h5, "/windows", "stride", &p->stride));
  PetscCall(UmbH5ReadAttrInt(p->h5, "/windows", "burnin", &p->burnin));
  PetscCall(UmbH5ReadAttrReals(p->h5, "/windows", "dt", 1, &p->dt));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ClosePart(Part *p)
{
  PetscFunctionBegin;
  if (p->h5) PetscCall(UmbH5Close(&p->h5, PETSC_FALSE));
  PetscCall(PetscFree5(p->center, p->kappa, p->iact, p->offset, p->round));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective: rows [0, N) of name in src to rows [row0, row0 + N) of dst, in steps of
   UMB_MERGE_ROWS rows per rank; doubles are copied, so the values are bit-identical */
static PetscErrorCode CopyRows(MPI_Comm comm, UmbH5 src, UmbH5 dst, const char name[], PetscInt ncol, PetscInt64 N, PetscInt64 row0)
{
  PetscMPIInt rank, size;
  PetscReal  *buf;
  PetscInt64  per;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  per = (PetscInt64)UMB_MERGE_ROWS * size;
  PetscCall(PetscMalloc1((size_t)UMB_MERGE_ROWS * ncol, &buf));
  for (PetscInt64 s0 = 0; s0 < N; s0 += per) {
    const PetscInt64 a = PetscMin(N, s0 + (PetscInt64)rank * UMB_MERGE_ROWS), b = PetscMin(N, a + UMB_MERGE_ROWS);
    PetscCall(UmbH5ReadRows(src, name, H5T_NATIVE_DOUBLE, (hsize_t)a, (hsize_t)(b - a), buf));
    PetscCall(UmbH5WriteRows(dst, name, H5T_NATIVE_DOUBLE, (hsize_t)(row0 + a), (hsize_t)(b - a), buf));
  }
  PetscCall(PetscFree(buf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Attributes that describe the samples, copied from the previous file */
static PetscErrorCode CopyAttributes(UmbH5 src, UmbH5 dst, PetscInt d)
{
  const char *const strs[][2] = {
    {"/samples", "model"      },
    {"/samples", "cv"         },
    {"/samples", "cv_names"   },
    {"/samples", "coordinates"},
    {"/windows", "integrator" }
  };
  const char *const ints[] = {"walkers", "stride", "frames_per_walker", "steps", "burnin", "seed"};
  char              buf[4096];
  PetscReal         v[2];
  PetscInt64        iv;

  PetscFunctionBegin;
  for (int i = 0; i < 5; i++) {
    PetscCall(UmbH5ReadAttrString(src, strs[i][0], strs[i][1], buf, sizeof(buf)));
    PetscCall(UmbH5WriteAttrString(dst, strs[i][0], strs[i][1], buf));
  }
  for (int i = 0; i < 6; i++) {
    PetscCall(UmbH5ReadAttrInt(src, "/windows", ints[i], &iv));
    PetscCall(UmbH5WriteAttrInt(dst, "/windows", ints[i], iv));
  }
  PetscCall(UmbH5ReadAttrReals(src, "/samples", "beta", 1, v));
  PetscCall(UmbH5WriteAttrReals(dst, "/samples", "beta", 1, v));
  PetscCall(UmbH5ReadAttrReals(src, "/samples", "cv_period", d, v));
  PetscCall(UmbH5WriteAttrReals(dst, "/samples", "cv_period", d, v));
  PetscCall(UmbH5ReadAttrReals(src, "/windows", "dt", 1, v));
  PetscCall(UmbH5WriteAttrReals(dst, "/windows", "dt", 1, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WriteWindowsCsv(MPI_Comm comm, const char path[], PetscInt K, PetscInt d, const PetscReal center[], const PetscReal kappa[], const long long offset[], const PetscReal iact[])
{
  UmbCsv csv;

  PetscFunctionBegin;
  PetscCall(UmbCsvCreate(comm, path, d > 1 ? "window,center,center2,kappa,kappa2,n_samples,iact,f,df" : "window,center,kappa,n_samples,iact,f,df", &csv));
  for (PetscInt k = 0; k < K; k++) {
    const long long ns = offset[k + 1] - offset[k];
    if (d == 1) PetscCall(UmbCsvRow(csv, "%" PetscInt_FMT ",%.17g,%.17g,%lld,%.6g,nan,nan", k, (double)center[k], (double)kappa[k], ns, (double)iact[k]));
    else PetscCall(UmbCsvRow(csv, "%" PetscInt_FMT ",%.17g,%.17g,%.17g,%.17g,%lld,%.6g,nan,nan", k, (double)center[2 * k], (double)center[2 * k + 1], (double)kappa[2 * k], (double)kappa[2 * k + 1], ns, (double)iact[k]));
  }
  PetscCall(UmbCsvClose(&csv, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCouplingMerge(MPI_Comm comm, const char prev[], const char add[], PetscInt round, const char out[])
{
  Part       P[2];
  PetscInt   np = add ? 2 : 1, K = 0, d, n, k0 = 0;
  PetscInt64 N = 0;
  char       path[PETSC_MAX_PATH_LEN];
  UmbH5      h5;
  hsize_t    dims[2];
  PetscReal *center, *kappa, *iact;
  long long *offset, *rounds, *counts;

  PetscFunctionBegin;
  PetscCall(OpenPart(comm, prev, 0, &P[0]));
  if (add) PetscCall(OpenPart(comm, add, round, &P[1]));
  d = P[0].d;
  n = P[0].n;
  if (add) {
    const Part *a = &P[0], *b = &P[1];
    PetscCheck(b->d == d && b->n == n && b->walkers == a->walkers && b->frames == a->frames && b->stride == a->stride && b->burnin == a->burnin && b->dt == a->dt, comm, PETSC_ERR_FILE_UNEXPECTED, "the new windows of %s/samples.h5 were sampled with other -us_* settings (walkers, steps, burn-in, stride or dt) than those of %s/samples.h5: they cannot be merged", add, prev);
  }
  for (PetscInt i = 0; i < np; i++) {
    K += P[i].K;
    N += P[i].N;
  }
  PetscCall(PetscMalloc6(K * d, &center, K * d, &kappa, K, &iact, K + 1, &offset, K, &rounds, K, &counts));
  offset[0] = 0;
  for (PetscInt i = 0; i < np; i++) {
    for (PetscInt k = 0; k < P[i].K; k++) {
      for (PetscInt a = 0; a < d; a++) {
        center[(k0 + k) * d + a] = P[i].center[k * d + a];
        kappa[(k0 + k) * d + a]  = P[i].kappa[k * d + a];
      }
      iact[k0 + k]       = P[i].iact[k];
      rounds[k0 + k]     = P[i].round[k];
      counts[k0 + k]     = (long long)(P[i].offset[k + 1] - P[i].offset[k]);
      offset[k0 + k + 1] = offset[k0 + k] + counts[k0 + k];
    }
    k0 += P[i].K;
  }

  PetscCall(UmbPathJoin(out, "samples.h5", path, sizeof(path)));
  PetscCall(UmbH5Create(comm, path, "samples", &h5));
  dims[0] = (hsize_t)N;
  dims[1] = (hsize_t)n;
  PetscCall(UmbH5CreateDataset(h5, "/samples/x", H5T_IEEE_F64LE, 2, dims));
  dims[1] = (hsize_t)d;
  PetscCall(UmbH5CreateDataset(h5, "/samples/z", H5T_IEEE_F64LE, 2, dims));
  for (PetscInt i = 0; i < np; i++) {
    const PetscInt64 row0 = i ? P[0].N : 0;
    PetscCall(CopyRows(comm, P[i].h5, h5, "/samples/x", n, P[i].N, row0));
    PetscCall(CopyRows(comm, P[i].h5, h5, "/samples/z", d, P[i].N, row0));
  }
  dims[0] = (hsize_t)K;
  PetscCall(UmbH5WriteSmall(h5, "/windows/center", H5T_NATIVE_DOUBLE, 2, dims, center));
  PetscCall(UmbH5WriteSmall(h5, "/windows/kappa", H5T_NATIVE_DOUBLE, 2, dims, kappa));
  PetscCall(UmbH5WriteSmall(h5, "/windows/iact", H5T_NATIVE_DOUBLE, 1, dims, iact));
  PetscCall(UmbH5WriteSmall(h5, "/windows/n_samples", H5T_NATIVE_LLONG, 1, dims, counts));
  PetscCall(UmbH5WriteSmall(h5, "/windows/round", H5T_NATIVE_LLONG, 1, dims, rounds));
  dims[0] = (hsize_t)(K + 1);
  PetscCall(UmbH5WriteSmall(h5, "/windows/offset", H5T_NATIVE_LLONG, 1, dims, offset));
  PetscCall(CopyAttributes(P[0].h5, h5, d));
  PetscCall(UmbH5WriteAttrInt(h5, "/windows", "coupling_rounds", round));
  PetscCall(UmbH5Close(&h5, PETSC_TRUE));
  PetscCall(UmbPathJoin(out, "windows.csv", path, sizeof(path)));
  PetscCall(WriteWindowsCsv(comm, path, K, d, center, kappa, offset, iact));
  PetscCall(UmbLog(comm, "coupling round %" PetscInt_FMT ": wrote %s/samples.h5: %" PetscInt_FMT " windows (%" PetscInt_FMT " new, appended), %" PetscInt64_FMT " samples", round, out, K, K - P[0].K, N));
  PetscCall(PetscFree6(center, kappa, iact, offset, rounds, counts));
  for (PetscInt i = 0; i < np; i++) PetscCall(ClosePart(&P[i]));
  PetscFunctionReturn(PETSC_SUCCESS);
}
