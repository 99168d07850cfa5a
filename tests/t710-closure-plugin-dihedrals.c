/* The observable plugin inputs/plugins/dihedrals.c (built into $BUILD/plugins/libdihedrals.so),
   loaded with dlopen as umbra closure loads it, on states of 5 atoms (fastslow -fastslow_m 14,
   n = 15). Options "psi=2,3,4,5 d14=1,4 w=5,1,2,3": observables cos_psi, sin_psi, d14, cos_w,
   sin_w. At random geometries (batched, nw = 7) each equals the direct computation with umbra's
   own CVs: cos and sin of -cv dihedral -cv_atoms 2,3,4,5 (and 5,1,2,3), -cv distance -cv_atoms
   1,4, to 1e-13; at geometries built with a chosen dihedral (cis 0, trans pi, +-90 degrees,
   within 1e-3 of +-pi) cos and sin are those of the angle to 1e-12. Bad options are refused
   (non-zero return): none, a missing '=', 3 or 5 ids, an id of 0 or beyond n/3, a repeated id,
   a bad name, two items of the same name, a model whose n is not a multiple of 3. Collinear atoms
   make the evaluation fail rather than return NaN.
   Would catch: another sign convention, atoms off by one (ids are 1-based), observables of one
   state written into another's row, cos and sin swapped, distance of the wrong pair. */
// TEST: nsize=1
#include "tap.h"
#include <umbra/plugin.h>
#include <umbra/rng.h>
#include <dlfcn.h>

#define NA 5
#define N  (3 * NA)
#define NW 7

static umbra_observables_create_fn   ocreate;
static umbra_observables_name_fn     oname;
static umbra_observables_evaluate_fn oeval;
static umbra_observables_destroy_fn  odestroy;

static PetscErrorCode MakeCV(UmbModel m, const char *type, const char *atoms, UmbCV *cv)
{
  PetscFunctionBegin;
  PetscCall(PetscOptionsSetValue(NULL, "-cv", type));
  PetscCall(PetscOptionsSetValue(NULL, "-cv_atoms", atoms));
  PetscCall(UmbCVCreate(m, cv));
  PetscCall(UmbCVSetFromOptions(*cv));
  PetscCall(UmbCVSetUp(*cv));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Run(void)
{
  const char *build = getenv("BUILD");
  char        lib[PETSC_MAX_PATH_LEN];
  void       *h, *ctx = NULL;
  int         nobs = 0;
  UmbModel    m;
  UmbCV       dih, dih2, dist;
  UmbStream   s;
  PetscReal   x[NW * N], A[NW * 5], zd[NW], zd2[NW], zr[NW];

  PetscFunctionBegin;
  snprintf(lib, sizeof(lib), "%s/plugins/libdihedrals.so", build && build[0] ? build : "build");
  h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
  UMB_CHECK(h, "cannot load %s: %s", lib, dlerror());
  if (!h) PetscFunctionReturn(PETSC_SUCCESS);
  ocreate  = (umbra_observables_create_fn)dlsym(h, "umbra_observables_create");
  oname    = (umbra_observables_name_fn)dlsym(h, "umbra_observables_name");
  oeval    = (umbra_observables_evaluate_fn)dlsym(h, "umbra_observables_evaluate");
  odestroy = (umbra_observables_destroy_fn)dlsym(h, "umbra_observables_destroy");
  UMB_CHECK(ocreate && oname && oeval && odestroy, "%s lacks a function of the observable ABI", lib);

  /* umbra's CVs on a model of 5 atoms */
  PetscCall(PetscOptionsClear(NULL));
  PetscCall(PetscOptionsSetValue(NULL, "-fastslow_m", "14"));
  PetscCall(UmbModelCreate(PETSC_COMM_WORLD, &m));
  PetscCall(UmbModelSetType(m, UMBMODELFASTSLOW));
  PetscCall(UmbModelSetFromOptions(m));
  PetscCall(UmbModelSetUp(m));
  PetscCall(MakeCV(m, "dihedral", "2,3,4,5", &dih));
  PetscCall(MakeCV(m, "dihedral", "5,1,2,3", &dih2));
  PetscCall(MakeCV(m, "distance", "1,4", &dist));

  UMB_CHECK(ocreate("psi=2,3,4,5 d14=1,4  w=5,1,2,3", N, &ctx, &nobs) == 0 && nobs == 5, "create: nobs %d", nobs);
  if (ctx) {
    const char *want[5] = {"cos_psi", "sin_psi", "d14", "cos_w", "sin_w"};
    for (int k = 0; k < 5; k++) UMB_CHECK(oname(ctx, k) && !strcmp(oname(ctx, k), want[k]), "observable %d is named %s, want %s", k, oname(ctx, k) ? oname(ctx, k) : "(null)", want[k]);
    UMB_CHECK(oname(ctx, 5) == NULL, "a sixth observable name");

    /* random geometries, batched */
    UmbStreamInit(&s, 7, UMB_STREAM_INIT, 0);
    for (int rep = 0; rep < 40; rep++) {
      for (int w = 0; w < NW; w++) UmbStreamGaussian(&s, (uint64_t)rep, (uint64_t)w, N, x + w * N);
      UMB_CHECK(oeval(ctx, NW, x, A) == 0, "evaluate failed at random geometries");
      PetscCall(UmbCVEvaluate(dih, NW, x, zd, NULL));
      PetscCall(UmbCVEvaluate(dih2, NW, x, zd2, NULL));
      PetscCall(UmbCVEvaluate(dist, NW, x, zr, NULL));
      for (int w = 0; w < NW; w++) {
        UMB_CHECK_CLOSE(A[w * 5 + 0], PetscCosReal(zd[w]), 0, 1e-13, "cos_psi");
        UMB_CHECK_CLOSE(A[w * 5 + 1], PetscSinReal(zd[w]), 0, 1e-13, "sin_psi");
        UMB_CHECK_CLOSE(A[w * 5 + 2], zr[w], 1e-13, 0, "d14");
        UMB_CHECK_CLOSE(A[w * 5 + 3], PetscCosReal(zd2[w]), 0, 1e-13, "cos_w");
        UMB_CHECK_CLOSE(A[w * 5 + 4], PetscSinReal(zd2[w]), 0, 1e-13, "sin_w");
      }
    }
    /* chosen angles: atoms 3, 4 on the z axis, atom 2 at azimuth 0, atom 5 at azimuth phi
       (IUPAC: looking from 3 to 4, positive when 2 turns clockwise onto 5) */
    {
      const PetscReal phis[] = {0, PETSC_PI, PETSC_PI / 2, -PETSC_PI / 2, PETSC_PI - 1e-3, -PETSC_PI + 1e-3, 1.234, -2.5};
      for (size_t i = 0; i < sizeof(phis) / sizeof(phis[0]); i++) {
        PetscReal xs[N] = {0.3, -1.2, 0.7, /* atom 1 */ 1.1, 0, 0.2, /* 2 */ 0, 0, 0, /* 3 */ 0, 0, 1.5, /* 4 */ 0, 0, 0 /* 5 */};
        xs[12] = 0.9 * PetscCosReal(phis[i]);
        xs[13] = 0.9 * PetscSinReal(phis[i]);
        xs[14] = 1.9;
        PetscCall(UmbCVEvaluate(dih, 1, xs, zd, NULL));
        UMB_CHECK(oeval(ctx, 1, xs, A) == 0, "evaluate failed at phi = %g", (double)phis[i]);
        UMB_CHECK_CLOSE(A[0], PetscCosReal(zd[0]), 0, 1e-12, "cos_psi at a chosen angle vs the CV");
        UMB_CHECK_CLOSE(A[1], PetscSinReal(zd[0]), 0, 1e-12, "sin_psi at a chosen angle vs the CV");
        UMB_CHECK_CLOSE(A[0], PetscCosReal(phis[i]), 0, 1e-12, "cos_psi at a chosen angle");
        UMB_CHECK_CLOSE(A[1], PetscSinReal(phis[i]), 0, 1e-12, "sin_psi at a chosen angle");
      }
    }
    { /* collinear atoms 2, 3, 4: no dihedral */
      PetscReal xs[N] = {0.3, -1.2, 0.7, 0, 0, -1, 0, 0, 0, 0, 0, 1.5, 0.9, 0.1, 1.9};
      UMB_CHECK(oeval(ctx, 1, xs, A) != 0, "collinear atoms evaluate to %g, %g", (double)A[0], (double)A[1]);
    }
    odestroy(ctx);
  }
  { /* bad options */
    const char *bad[] = {"", "psi", "psi=1,2,3", "psi=1,2,3,4,5", "d=0,1", "d=1,6", "d=2,2", "psi=1,2,3,1", "c-x=1,2", "d=1,2 d=2,3", "psi=1,2,3,4 cos_psi=1,2", "d=1,,2", "d=1,2,", NULL};
    for (int i = 0; bad[i]; i++) {
      ctx = NULL;
      UMB_CHECK(ocreate(bad[i], N, &ctx, &nobs) != 0, "options '%s' accepted", bad[i]);
      if (ctx) odestroy(ctx);
    }
    ctx = NULL;
    UMB_CHECK(ocreate("d=1,2", 14, &ctx, &nobs) != 0, "n = 14 accepted");
    if (ctx) odestroy(ctx);
  }
  PetscCall(UmbCVDestroy(&dih));
  PetscCall(UmbCVDestroy(&dih2));
  PetscCall(UmbCVDestroy(&dist));
  PetscCall(UmbModelDestroy(&m));
  PetscCall(PetscOptionsClear(NULL));
  dlclose(h);
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  ierr = Run();
  return UmbTestFinalize(ierr);
}
