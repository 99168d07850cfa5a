/* Fuzz target: umbra's readers of its own HDF5 files, on well-formed files with fuzzed contents
   (h5gen.h): samples.h5 as fes reads it, dmap.h5 (the -cv dmap extension), a sampling checkpoint
   with its fallback, the previous round's samples.h5 + fes.h5 of a coupling round, and
   `umbra info`. Input: the reader (byte 0), flags (byte 1: bit 0 makes the files umbra files of
   the expected kind), a few reader parameters, then h5gen.h records. */
#include "h5gen.h"
#include <umbra/dmap.h>
#include <umbra/private/fesimpl.h>
#include <umbra/private/couplingimpl.h>
#include <umbra/private/app.h>
#include <sys/stat.h>


int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  FuzzStart();
  return 0;
}

static const char *const samples_names[] = {"/samples/z", "/samples/x", "/windows/offset", "/windows/center", "/windows/kappa", "/windows/iact", "/windows/round", "/samples/log_normaliser", NULL};
static const char *const samples_objs[]  = {"/", "/samples", "/windows", NULL};
static const char *const samples_attrs[] = {"beta", "cv_period", "cv_names", "walkers", "frames_per_walker", "stride", "burnin", "dt", "umbra_format", "umbra_kind", NULL};

static const char *const dmap_names[] = {"/dmap/points", "/dmap/eigenvectors", "/dmap/coordinates", "/dmap/column_weight", "/dmap/eigenvalues", "/dmap/column_order", "/dmap/rho2", NULL};
static const char *const dmap_objs[]  = {"/", "/dmap", NULL};
static const char *const dmap_attrs[] = {"kernel", "eps", "alpha", "cutoff", "neighbors", "umbra_format", "umbra_kind", NULL};

static const char *const ckpt_names[] = {"/state/x", "/state/step", "/state", NULL};
static const char *const ckpt_objs[]  = {"/", "/state", NULL};
static const char *const ckpt_attrs[] = {"options", "step", "umbra_format", "umbra_kind", NULL};

static const char *const plan_names[] = {"/windows/center", "/windows/kappa", "/windows/round", "/windows/n_eff", "/diagnostics/neighbours", "/diagnostics/neighbour_overlap", "/diagnostics/consistency_p", "/samples/z", NULL};
static const char *const plan_objs[]  = {"/", "/samples", "/diagnostics", "/windows", NULL};
static const char *const plan_attrs[] = {"cv_period", "consistency_alpha", "umbra_format", "umbra_kind", NULL};

static const char *const info_names[] = {"/samples/z", "/provenance", "/a/b/c", NULL};
static const char *const info_objs[]  = {"/", "/provenance", NULL};
static const char *const info_attrs[] = {"umbra_kind", "umbra_format", "version", "command", "ranks", "date", "host", "libraries", "options", NULL};

static void Path(char path[], size_t len, const char name[]) { snprintf(path, len, "%s/%s", fuzz_dir, name); }

static PetscErrorCode ReadSamples(FuzzBytes *b, PetscBool umbra)
{
  char                path[PETSC_MAX_PATH_LEN];
  const char         *paths[2] = {path, NULL}, *kinds[2] = {umbra ? "samples" : NULL, NULL};
  UmbWindowData       w;
  PetscErrorCode      ierr;

  Path(path, sizeof(path), "samples.h5");
  if (FuzzWriteH5(b, paths, kinds, samples_names, samples_objs, samples_attrs)) return PETSC_ERR_FILE_WRITE;
  ierr = UmbWindowDataRead(PETSC_COMM_SELF, fuzz_dir, &w);
  if (!ierr) ierr = UmbWindowDataFree(&w);
  return ierr;
}

static PetscErrorCode ReadDmap(FuzzBytes *b, PetscBool umbra)
{
  char           path[PETSC_MAX_PATH_LEN];
  const char    *paths[2] = {path, NULL}, *kinds[2] = {umbra ? "dmap" : NULL, NULL};
  UmbDmapExt     e = NULL;
  PetscErrorCode ierr;
  PetscInt       n, d, M;

  Path(path, sizeof(path), "dmap.h5");
  if (FuzzWriteH5(b, paths, kinds, dmap_names, dmap_objs, dmap_attrs)) return PETSC_ERR_FILE_WRITE;
  ierr = UmbDmapExtLoad(PETSC_COMM_SELF, path, &e);
  if (!ierr) ierr = UmbDmapExtGetSizes(e, &n, &d, &M);
  if (!ierr && n <= 4096) { /* the extension at one state: every stored point's kernel */
    PetscReal *x, z[2], lo, hi;
    PetscCall(PetscCalloc1(n + 1, &x));
    ierr = UmbDmapExtEvaluate(e, 1, x, z, NULL);
    if (!ierr) ierr = UmbDmapExtGetRange(e, 0, 0.05, &lo, &hi);
    PetscCall(PetscFree(x));
  }
  if (e) PetscCall(UmbDmapExtDestroy(&e));
  return ierr;
}

static PetscErrorCode ReadCheckpoint(FuzzBytes *b, PetscBool umbra)
{
  static const char *const required[] = {"/state/x", NULL};
  char                     dir[PETSC_MAX_PATH_LEN], cur[PETSC_MAX_PATH_LEN], prev[PETSC_MAX_PATH_LEN];
  const char              *paths[2] = {cur, prev}, *kinds[2] = {umbra ? "sample-checkpoint" : NULL, umbra ? "sample-checkpoint" : NULL};
  UmbOptionRecord          rec = {"seed=1\n"};
  UmbH5                    h5  = NULL;
  PetscErrorCode           ierr;

  Path(dir, sizeof(dir), "ckpt");
  mkdir(dir, 0777);
  Path(cur, sizeof(cur), "ckpt/sample.h5");
  Path(prev, sizeof(prev), "ckpt/sample.prev.h5");
  if (FuzzWriteH5(b, paths, kinds, ckpt_names, ckpt_objs, ckpt_attrs)) return PETSC_ERR_FILE_WRITE;
  ierr = UmbCheckpointOpen(PETSC_COMM_SELF, fuzz_dir, "sample", &rec, required, "umbra sample", &h5);
  if (!ierr) {
    PetscInt64 step;
    ierr = UmbH5ReadAttrInt(h5, "/state", "step", &step);
    PetscCall(UmbH5Close(&h5, PETSC_FALSE));
  }
  return ierr;
}

static PetscErrorCode ReadPreviousRound(FuzzBytes *b, PetscBool umbra)
{
  char               s[PETSC_MAX_PATH_LEN], f[PETSC_MAX_PATH_LEN];
  const char        *paths[2] = {s, f}, *kinds[2] = {umbra ? "samples" : NULL, umbra ? "fes" : NULL};
  struct _p_UmbCoupling o;
  UmbCouplingPlan       plan;
  PetscReal             centers[4];
  PetscInt              round;
  PetscErrorCode        ierr;

  /* the options of the round, as -run_* would give them */
  PetscCall(PetscMemzero(&o, sizeof(o)));
  o.comm           = PETSC_COMM_SELF;
  o.overlap_min    = FuzzNumber(FuzzByte(b));
  o.neff_min       = FuzzNumber(FuzzByte(b));
  o.reseed_flagged = (PetscBool)(FuzzByte(b) & 1);
  o.have_extend    = (PetscBool)(FuzzByte(b) & 1);
  o.extend[0]      = FuzzNumber(FuzzByte(b));
  o.extend[1]      = FuzzNumber(FuzzByte(b));
  o.max_windows    = (PetscInt)(FuzzByte(b) % 64) + 1;
  o.ncenters       = (PetscInt)(FuzzByte(b) % 5);
  for (PetscInt i = 0; i < o.ncenters; i++) centers[i] = FuzzNumber(FuzzByte(b));
  o.centers = centers;
  round     = (PetscInt)(FuzzByte(b) % 3);
  /* what UmbCouplingSetFromOptions lets through */
  if (!(o.overlap_min >= 0 && o.overlap_min <= 1)) o.overlap_min = 0.05;
  if (!(o.neff_min >= 0) || PetscIsInfOrNanReal(o.neff_min)) o.neff_min = 50;
  if (!(o.extend[0] < o.extend[1]) || PetscIsInfOrNanReal(o.extend[0]) || PetscIsInfOrNanReal(o.extend[1])) o.have_extend = PETSC_FALSE;
  for (PetscInt i = 0; i < o.ncenters; i++)
    if (PetscIsInfOrNanReal(centers[i])) o.ncenters = 0;
  Path(s, sizeof(s), "samples.h5");
  Path(f, sizeof(f), "fes.h5");
  if (FuzzWriteH5(b, paths, kinds, plan_names, plan_objs, plan_attrs)) return PETSC_ERR_FILE_WRITE;
  ierr = UmbCouplingPlanCreate(&o, fuzz_dir, round, &plan);
  if (!ierr) PetscCall(UmbCouplingPlanDestroy(&plan));
  return ierr;
}

static PetscErrorCode Info(FuzzBytes *b, PetscBool umbra)
{
  char        path[PETSC_MAX_PATH_LEN];
  const char *paths[2] = {path, NULL}, *kinds[2] = {umbra ? "samples" : NULL, NULL};

  Path(path, sizeof(path), "info.h5");
  if (FuzzWriteH5(b, paths, kinds, info_names, info_objs, info_attrs)) return PETSC_ERR_FILE_WRITE;
  return UmbCommandInfo(PETSC_COMM_SELF, path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const char *const what[] = {"UmbWindowDataRead", "UmbDmapExtLoad", "UmbCheckpointOpen", "UmbCouplingPlanCreate", "UmbCommandInfo"};
  FuzzBytes                b      = {data, data + size};
  unsigned                 reader = FuzzByte(&b) % 5;
  PetscBool                umbra  = (PetscBool)(FuzzByte(&b) & 1);
  PetscErrorCode           ierr;

  switch (reader) {
  case 0: ierr = ReadSamples(&b, umbra); break;
  case 1: ierr = ReadDmap(&b, umbra); break;
  case 2: ierr = ReadCheckpoint(&b, umbra); break;
  case 3: ierr = ReadPreviousRound(&b, umbra); break;
  default: ierr = Info(&b, umbra); break;
  }
  FuzzFinish(ierr, what[reader]);
  return 0;
}
