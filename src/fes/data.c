/* samples.h5 as the free-energy stage and the exporters read it: the window table on every rank,
   the CV values of the windows UmbLayoutRange assigns to this rank (any rank count, whatever the
   sampling run used). Only z is read, never the states x. */
#include <umbra/private/fesimpl.h>
#include <umbra/sampler.h>
#include <umbra/stats.h>

static PetscErrorCode HasAttr(UmbH5 h5, const char obj[], const char name[], PetscBool *has)
{
  hid_t  file, o;
  htri_t e;

  PetscFunctionBegin;
  *has = PETSC_FALSE;
  PetscCall(UmbH5HasObject(h5, obj, has));
  if (!*has) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(UmbH5GetId(h5, &file));
  UmbCallHDF5Id(o, H5Oopen(file, obj, H5P_DEFAULT));
  e = H5Aexists(o, name);
  UmbCallHDF5(H5Oclose(o));
  *has = e > 0 ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadOptionalInt(UmbH5 h5, const char obj[], const char name[], PetscInt64 def, PetscInt64 *v)
{
  PetscBool has;

  PetscFunctionBegin;
  PetscCall(HasAttr(h5, obj, name, &has));
  if (has) PetscCall(UmbH5ReadAttrInt(h5, obj, name, v));
  else *v = def;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* IACT of the local windows when the file has none (files not written by umbra sample) */
static PetscErrorCode ComputeIACT(UmbWindowData *w)
{
  PetscReal *local, *series;
  PetscInt64 maxn = 1;

  PetscFunctionBegin;
  for (PetscInt k = w->klo; k < w->khi; k++) maxn = PetscMax(maxn, w->offset[k + 1] - w->offset[k]);
  PetscCall(PetscCalloc1(w->K, &local));
  PetscCall(PetscMalloc1(maxn, &series));
  for (PetscInt k = w->klo; k < w->khi; k++) {
    const PetscInt64 r0 = w->offset[k] - w->offset[w->klo], nk = w->offset[k + 1] - w->offset[k];
    for (PetscInt a = 0; a < w->d; a++) {
      PetscReal tau;
      for (PetscInt64 i = 0; i < nk; i++) series[i] = w->z[(r0 + i) * w->d + a];
      PetscCall(UmbIACT((PetscInt)w->walkers[k], (PetscInt)w->frames[k], series, &tau));
      local[k] = PetscMax(local[k], tau);
    }
  }
  PetscCallMPI(MPI_Allreduce(local, w->iact, (PetscMPIInt)w->K, MPIU_REAL, MPI_SUM, w->comm));
  PetscCall(PetscFree(series));
  PetscCall(PetscFree(local));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbWindowDataRead(MPI_Comm comm, const char dir[], UmbWindowData *w)
{
  UmbH5       h5;
  PetscBool   exists, has;
  int         r;
  hsize_t     dims[3];
  long long  *off;
  PetscInt64  walkers, frames, N;
  PetscMPIInt rank, size;
  char        empty[256] = "";
  PetscInt    nempty     = 0;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(w, sizeof(*w)));
  w->comm = comm;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(UmbPathJoin(dir, "samples.h5", w->path, sizeof(w->path)));
  PetscCall(PetscTestFile(w->path, 'r', &exists));
  PetscCheck(exists, comm, PETSC_ERR_FILE_OPEN, "%s not found: run `umbra sample` first (with the same -out)", w->path);
  PetscCall(PetscLogEventBegin(UMB_EVENT.fes_read, 0, 0, 0, 0));
  PetscCall(UmbH5Open(comm, w->path, "samples", &h5));

  PetscCall(UmbH5GetShape(h5, "/samples/z", &r, dims));
  PetscCheck(r == 2, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /samples/z has rank %d, expected 2", w->path, r);
  /* sizes are checked before they become PetscInt: 2^32 + 1 columns must not pass as 1 */
  PetscCheck(dims[1] == 1 || dims[1] == 2, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: CVs of dimension %llu are not supported (1 or 2)", w->path, (unsigned long long)dims[1]);
  N    = (PetscInt64)dims[0];
  w->d = (PetscInt)dims[1];
  PetscCall(UmbH5GetShape(h5, "/windows/offset", &r, dims));
  PetscCheck(r == 1 && dims[0] >= 2 && dims[0] <= (hsize_t)PETSC_MAX_INT / 4, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /windows/offset must hold K + 1 >= 2 entries", w->path);
  w->K = (PetscInt)dims[0] - 1;
  PetscCall(PetscMalloc1(w->K + 1, &off));
  PetscCall(PetscMalloc6(w->K * w->d, &w->center, w->K * w->d, &w->kappa, w->K + 1, &w->offset, w->K, &w->walkers, w->K, &w->frames, w->K, &w->iact));
  PetscCall(UmbH5ReadSmall(h5, "/windows/offset", H5T_NATIVE_LLONG, w->K + 1, off));
  for (PetscInt k = 0; k <= w->K; k++) w->offset[k] = off[k];
  PetscCall(PetscFree(off));
  PetscCall(UmbH5GetShape(h5, "/windows/center", &r, dims));
  PetscCheck(dims[0] == (hsize_t)w->K && (r == 1 ? 1 : (PetscInt)dims[1]) == w->d, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /windows/center must be K x d = %" PetscInt_FMT " x %" PetscInt_FMT, w->path, w->K, w->d);
  PetscCall(UmbH5GetShape(h5, "/windows/kappa", &r, dims));
  PetscCheck(dims[0] == (hsize_t)w->K && (r == 1 ? 1 : (PetscInt)dims[1]) == w->d, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /windows/kappa must be K x d = %" PetscInt_FMT " x %" PetscInt_FMT, w->path, w->K, w->d);
  PetscCall(UmbH5ReadSmall(h5, "/windows/center", H5T_NATIVE_DOUBLE, w->K * w->d, w->center));
  PetscCall(UmbH5ReadSmall(h5, "/windows/kappa", H5T_NATIVE_DOUBLE, w->K * w->d, w->kappa));
  PetscCall(UmbH5ReadAttrReals(h5, "/samples", "beta", 1, &w->beta));
  PetscCall(HasAttr(h5, "/samples", "cv_period", &has));
  if (has) PetscCall(UmbH5ReadAttrReals(h5, "/samples", "cv_period", w->d, w->period));
  PetscCall(HasAttr(h5, "/samples", "cv_names", &has));
  if (has) PetscCall(UmbH5ReadAttrString(h5, "/samples", "cv_names", w->cv_names, sizeof(w->cv_names)));
  else snprintf(w->cv_names, sizeof(w->cv_names), "%s", w->d == 1 ? "z" : "z,z2");
  PetscCall(ReadOptionalInt(h5, "/windows", "walkers", 1, &walkers));
  PetscCall(ReadOptionalInt(h5, "/windows", "frames_per_walker", 0, &frames));
  PetscCall(ReadOptionalInt(h5, "/windows", "stride", 1, &w->stride));
  PetscCall(ReadOptionalInt(h5, "/windows", "burnin", 0, &w->burnin));
  PetscCall(HasAttr(h5, "/windows", "dt", &has));
  if (has) PetscCall(UmbH5ReadAttrReals(h5, "/windows", "dt", 1, &w->dt));
  else w->dt = 1;

  /* checks of the window table */
  PetscCheck(w->beta > 0 && PetscIsNormalReal(w->beta), comm, PETSC_ERR_FILE_UNEXPECTED, "%s: attribute beta = %.6g is not positive", w->path, (double)w->beta);
  PetscCheck(w->offset[0] == 0 && w->offset[w->K] == N, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /windows/offset must run from 0 to the %" PetscInt64_FMT " rows of /samples/z", w->path, N);
  for (PetscInt k = 0; k < w->K; k++) {
    PetscCheck(w->offset[k + 1] >= w->offset[k], comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /windows/offset decreases at window %" PetscInt_FMT, w->path, k);
    if (w->offset[k + 1] == w->offset[k]) {
      size_t l = strlen(empty);
      if (nempty < 12) snprintf(empty + l, sizeof(empty) - l, "%s%" PetscInt_FMT, nempty ? ", " : "", k);
      else if (nempty == 12) snprintf(empty + l, sizeof(empty) - l, ", ...");
      nempty++;
    }
    for (PetscInt a = 0; a < w->d; a++) PetscCheck(w->kappa[k * w->d + a] >= 0 && PetscIsInfOrNanReal(w->kappa[k * w->d + a]) == PETSC_FALSE && !PetscIsInfOrNanReal(w->center[k * w->d + a]), comm, PETSC_ERR_FILE_UNEXPECTED, "%s: window %" PetscInt_FMT " has an invalid centre or spring constant", w->path, k);
  }
  PetscCheck(!nempty, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: %" PetscInt_FMT " window%s without samples (%s): free energies need samples in every window", w->path, nempty, nempty > 1 ? "s" : "", empty);
  for (PetscInt a = 0; a < w->d; a++) PetscCheck(w->period[a] >= 0, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: negative cv_period", w->path);
  /* walker series: the sampler's layout is walkers x frames per window; anything else is one series */
  for (PetscInt k = 0; k < w->K; k++) {
    const PetscInt64 nk = w->offset[k + 1] - w->offset[k];
    if (walkers >= 1 && frames >= 1 && walkers * frames == nk) {
      w->walkers[k] = walkers;
      w->frames[k]  = frames;
    } else {
      w->walkers[k] = 1;
      w->frames[k]  = nk;
    }
  }

  /* the local windows' CV values in one collective read */
  UmbLayoutRange(w->K, size, rank, &w->klo, &w->khi);
  w->nloc = w->offset[w->khi] - w->offset[w->klo];
  PetscCall(PetscMalloc1(w->nloc * w->d + 1, &w->z));
  PetscCall(UmbH5ReadRows(h5, "/samples/z", H5T_NATIVE_DOUBLE, (hsize_t)w->offset[w->klo], (hsize_t)w->nloc, w->z));
  PetscCall(UmbCheckFiniteRows(comm, w->path, "/samples/z", w->nloc, w->d, w->z, w->offset[w->klo], NULL, "sample again (`umbra sample`)"));
  PetscCall(UmbH5HasObject(h5, "/windows/iact", &has));
  if (has) {
    PetscCall(UmbH5GetShape(h5, "/windows/iact", &r, dims));
    has = (PetscBool)(r == 1 && dims[0] == (hsize_t)w->K);
  }
  if (has) PetscCall(UmbH5ReadSmall(h5, "/windows/iact", H5T_NATIVE_DOUBLE, w->K, w->iact));
  w->iact_from_file = has;
  PetscCall(UmbH5Close(&h5, PETSC_FALSE));
  if (!has) PetscCall(ComputeIACT(w));
  for (PetscInt k = 0; k < w->K; k++) w->iact[k] = PetscMax(1.0, w->iact[k]);
  PetscCall(PetscLogEventEnd(UMB_EVENT.fes_read, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbWindowDataFree(UmbWindowData *w)
{
  PetscFunctionBegin;
  PetscCall(PetscFree6(w->center, w->kappa, w->offset, w->walkers, w->frames, w->iact));
  PetscCall(PetscFree(w->z));
  PetscFunctionReturn(PETSC_SUCCESS);
}
