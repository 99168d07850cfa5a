/* Helpers for tests that run the sampler in-process and read samples.h5 back. */
#ifndef UMBRA_TESTS_SAMPLING_H
#define UMBRA_TESTS_SAMPLING_H

#include "tap.h"

/* Adds "-name value ..." to the options database, except options already given on the command
   line (so a test can be rerun with, say, -seed 3 to check its calibration) */
static inline PetscErrorCode TestSetDefaultOptions(const char opts[])
{
  char  buf[4096], *save = NULL, *tok, *name = NULL;

  PetscFunctionBegin;
  PetscCall(PetscStrncpy(buf, opts, sizeof(buf)));
  for (tok = strtok_r(buf, " ", &save);; tok = strtok_r(NULL, " ", &save)) {
    if (name && (!tok || tok[0] == '-')) { /* flag without value */
      PetscBool has;
      PetscCall(PetscOptionsHasName(NULL, NULL, name, &has));
      if (!has) PetscCall(PetscOptionsSetValue(NULL, name, NULL));
      name = NULL;
    }
    if (!tok) break;
    if (tok[0] == '-' && !(tok[1] >= '0' && tok[1] <= '9') && tok[1] != '.') name = tok;
    else if (name) {
      PetscBool has;
      PetscCall(PetscOptionsHasName(NULL, NULL, name, &has));
      if (!has) PetscCall(PetscOptionsSetValue(NULL, name, tok));
      name = NULL;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Runs `umbra sample` with the given default options into dir */
static inline PetscErrorCode TestSample(MPI_Comm comm, const char opts[], const char dir[])
{
  UmbModel   model;
  UmbCV      cv;
  UmbSampler s;
  char       out[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCall(TestSetDefaultOptions(opts));
  PetscCall(UmbModelCreate(comm, &model));
  PetscCall(UmbModelSetFromOptions(model));
  PetscCall(UmbModelSetUp(model));
  PetscCall(UmbCVCreate(model, &cv));
  PetscCall(UmbCVSetFromOptions(cv));
  PetscCall(UmbCVSetUp(cv));
  PetscCall(UmbSamplerCreate(cv, &s));
  { /* -seed, as umbra passes it */
    PetscInt seed = 42;
    PetscCall(PetscOptionsGetInt(NULL, NULL, "-seed", &seed, NULL));
    PetscCall(UmbSamplerSetSeed(s, seed));
  }
  PetscCall(UmbSamplerSetFromOptions(s));
  PetscCall(UmbSamplerSetUp(s));
  PetscCall(PetscStrncpy(out, dir, sizeof(out)));
  PetscCall(UmbRunDirSetUp(comm, out));
  {
    PetscBool finished;
    PetscCall(UmbSamplerRun(s, out, &finished));
  }
  PetscCall(UmbSamplerDestroy(&s));
  PetscCall(UmbCVDestroy(&cv));
  PetscCall(UmbModelDestroy(&model));
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  PetscInt   n, d, walkers;
  PetscInt64 rows, frames;      /* rows of the window = walkers * frames */
  PetscReal *x, *z;             /* rows x n, rows x d (walker after walker) */
  PetscReal  center[2], kappa[2];
} TestWindow;

/* Collective: every rank reads window k of dir/samples.h5 */
static inline PetscErrorCode TestReadWindow(MPI_Comm comm, const char dir[], PetscInt k, TestWindow *w)
{
  UmbH5      h5;
  char       path[PETSC_MAX_PATH_LEN];
  int        r;
  hsize_t    dims[3];
  long long *offset;
  PetscReal *center, *kappa;
  PetscInt64 walkers, frames;

  PetscFunctionBegin;
  PetscCall(UmbPathJoin(dir, "samples.h5", path, sizeof(path)));
  PetscCall(UmbH5Open(comm, path, "samples", &h5));
  PetscCall(UmbH5GetShape(h5, "/samples/x", &r, dims));
  w->n = (PetscInt)dims[1];
  PetscCall(UmbH5GetShape(h5, "/samples/z", &r, dims));
  w->d = (PetscInt)dims[1];
  PetscCall(UmbH5GetShape(h5, "/windows/offset", &r, dims));
  PetscCall(PetscMalloc3(dims[0], &offset, dims[0] * w->d, &center, dims[0] * w->d, &kappa));
  PetscCall(UmbH5ReadSmall(h5, "/windows/offset", H5T_NATIVE_LLONG, dims[0], offset));
  PetscCall(UmbH5ReadSmall(h5, "/windows/center", H5T_NATIVE_DOUBLE, dims[0] * w->d, center));
  PetscCall(UmbH5ReadSmall(h5, "/windows/kappa", H5T_NATIVE_DOUBLE, dims[0] * w->d, kappa));
  PetscCall(UmbH5ReadAttrInt(h5, "/windows", "walkers", &walkers));
  PetscCall(UmbH5ReadAttrInt(h5, "/windows", "frames_per_walker", &frames));
  w->walkers = (PetscInt)walkers;
  w->frames  = frames;
  w->rows    = offset[k + 1] - offset[k];
  for (PetscInt a = 0; a < w->d; a++) {
    w->center[a] = center[k * w->d + a];
    w->kappa[a]  = kappa[k * w->d + a];
  }
  PetscCall(PetscMalloc2(w->rows * w->n, &w->x, w->rows * w->d, &w->z));
  PetscCall(UmbH5ReadRows(h5, "/samples/x", H5T_NATIVE_DOUBLE, (hsize_t)offset[k], (hsize_t)w->rows, w->x));
  PetscCall(UmbH5ReadRows(h5, "/samples/z", H5T_NATIVE_DOUBLE, (hsize_t)offset[k], (hsize_t)w->rows, w->z));
  PetscCall(PetscFree3(offset, center, kappa));
  PetscCall(UmbH5Close(&h5, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static inline PetscErrorCode TestWindowFree(TestWindow *w)
{
  PetscFunctionBegin;
  PetscCall(PetscFree2(w->x, w->z));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Mean, variance and IACT-corrected standard error of the mean of a window's series
   (walkers series of frames values, one after another) */
static inline PetscErrorCode TestSeriesStats(PetscInt walkers, PetscInt64 frames, const PetscReal *v, PetscReal *mean, PetscReal *var, PetscReal *tau)
{
  PetscInt64 N = walkers * frames;

  PetscFunctionBegin;
  *mean = 0;
  *var  = 0;
  for (PetscInt64 i = 0; i < N; i++) *mean += v[i];
  *mean /= (PetscReal)N;
  for (PetscInt64 i = 0; i < N; i++) *var += (v[i] - *mean) * (v[i] - *mean);
  *var /= (PetscReal)(N - 1);
  PetscCall(UmbIACT(walkers, (PetscInt)frames, v, tau));
  PetscFunctionReturn(PETSC_SUCCESS);
}

#endif
