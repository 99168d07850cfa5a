/* The ring angle theta of every state in a samples.h5: the helper of the campaign test
   t607-dmap-campaign.sh, which maps the free energy learned along a diffusion coordinate back to
   theta (theta needs the model's seeded rotation, which only umbra can build).
     t606-dmap-theta -in DIR/samples.h5 -out DIR/theta.csv [ring options]
   writes theta.csv with one column `theta` in the row order of /samples/x.
   Run by the test runner (no -in), it checks itself: 3000 exact ring draws with known theta
   (t600-dmap-ringdraw.h) are written as /samples/x of a samples-kind file, read back in chunks
   of rows and converted; every theta must equal the drawn one to 1e-12 (atan2 of the rotated
   state: round-off only). Catches: rows read out of order or from the wrong offset, a wrong
   model (rotation) or dimension. */
// TEST: nsize=1
#include "tap.h"
#include "t600-dmap-ringdraw.h"

#define CHUNK 4096

static PetscErrorCode Convert(MPI_Comm comm, UmbModel model, const char *in, const char *out, PetscReal **thetap, PetscInt64 *Np)
{
  UmbH5      h5;
  UmbCsv     csv;
  int        r;
  hsize_t    dims[3];
  PetscInt   n, nm;
  PetscInt64 N;
  PetscReal *x, *th;

  PetscFunctionBegin;
  PetscCall(UmbModelGetDimension(model, &nm));
  PetscCall(UmbH5Open(comm, in, "samples", &h5));
  PetscCall(UmbH5GetShape(h5, "/samples/x", &r, dims));
  PetscCheck(r == 2, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /samples/x is not N x n", in);
  N = (PetscInt64)dims[0];
  n = (PetscInt)dims[1];
  PetscCheck(n == nm, comm, PETSC_ERR_USER_INPUT, "%s holds states of dimension %d, the ring model has %d", in, (int)n, (int)nm);
  PetscCall(PetscMalloc1((size_t)CHUNK * n, &x));
  PetscCall(PetscMalloc1(N + 1, &th));
  for (PetscInt64 r0 = 0; r0 < N; r0 += CHUNK) {
    PetscInt nr = (PetscInt)PetscMin((PetscInt64)CHUNK, N - r0);
    PetscCall(UmbH5ReadRows(h5, "/samples/x", H5T_NATIVE_DOUBLE, (hsize_t)r0, (hsize_t)nr, x));
    PetscCall(UmbModelNativeCV(model, nr, x, th + r0, NULL));
  }
  PetscCall(UmbH5Close(&h5, PETSC_FALSE));
  if (out) {
    PetscCall(UmbCsvCreate(comm, out, "theta", &csv));
    for (PetscInt64 i = 0; i < N; i++) PetscCall(UmbCsvRow(csv, "%.17g", (double)th[i]));
    PetscCall(UmbCsvClose(&csv, PETSC_TRUE));
  }
  PetscCall(PetscFree(x));
  *thetap = th;
  *Np     = N;
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr;
  char           in[PETSC_MAX_PATH_LEN] = "", out[PETSC_MAX_PATH_LEN] = "theta.csv";
  PetscBool      has_in;
  UmbModel       model;
  PetscReal     *th;
  PetscInt64     N;

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  PetscCall(PetscOptionsGetString(NULL, NULL, "-in", in, sizeof(in), &has_in));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-out", out, sizeof(out), NULL));
  PetscCall(UmbModelCreate(PETSC_COMM_WORLD, &model));
  PetscCall(UmbModelSetType(model, UMBMODELRING));
  PetscCall(UmbModelSetFromOptions(model));
  PetscCall(UmbModelSetUp(model));
  if (has_in) {
    PetscCall(Convert(PETSC_COMM_WORLD, model, in, out, &th, &N));
    PetscCall(PetscFree(th));
  } else { /* self-test */
    const PetscInt M = 3000;
    PetscInt       n;
    PetscReal     *x, *th0, worst = 0;
    UmbH5          h5;
    hsize_t        dims[2];
    PetscCall(UmbModelGetDimension(model, &n));
    PetscCall(PetscMalloc2((size_t)M * n, &x, M, &th0));
    PetscCall(RingDraw(model, 7, 0, M, x, th0));
    PetscCall(UmbH5Create(PETSC_COMM_WORLD, "self.h5", "samples", &h5));
    dims[0] = (hsize_t)M;
    dims[1] = (hsize_t)n;
    PetscCall(UmbH5CreateDataset(h5, "/samples/x", H5T_NATIVE_DOUBLE, 2, dims));
    PetscCall(UmbH5WriteRows(h5, "/samples/x", H5T_NATIVE_DOUBLE, 0, (hsize_t)M, x));
    PetscCall(UmbH5Close(&h5, PETSC_TRUE));
    PetscCall(Convert(PETSC_COMM_WORLD, model, "self.h5", NULL, &th, &N));
    UMB_CHECK(N == M, "read %d rows, wrote %d", (int)N, (int)M);
    for (PetscInt i = 0; i < M && i < N; i++) worst = PetscMax(worst, PetscAbsReal(th[i] - th0[i]));
    UMB_NOTE("largest |theta - drawn theta| over %d states: %.3g", (int)M, (double)worst);
    UMB_CHECK(worst <= 1e-12, "theta differs from the drawn angle by %.3g", (double)worst);
    PetscCall(PetscFree(th));
    PetscCall(PetscFree2(x, th0));
  }
  PetscCall(UmbModelDestroy(&model));
  PetscFunctionReturn(UmbTestFinalize(0));
}
