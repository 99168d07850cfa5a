/* The generated coordinates of a state (UmbGenSpace, src/generator/common.c). For linear CVs
   (1-D and 2-D, weights with every coordinate involved and one aligned with a coordinate) the
   basis Q is orthonormal (Q^T Q = I) and spans the null space of W (W Q = 0), Embed(z, y) lies
   on the level set (W x = z) with Project(x) = y, Replace sets y and keeps z, and the embedding
   of a state's own (z, y) gives the state back; for a coordinate CV the generated coordinates
   are the others and the CV coordinates are z; for a CV with curved level sets (the ring angle)
   HasFlatLevelSets is false and the space is every coordinate. All to 1e-13. A file trained
   for other weights is refused by UmbGeneratorCheckProblem. Catches a basis that is not
   orthonormal (a wrong volume element for the flow's density), a basis with a component along
   W (moves that change z), a wrong pseudo-inverse (states off the level set). */
// TEST: nsize=1
#include "tap.h"
#include <umbra/private/generatorcommon.h>

#define TOL 1e-13

static PetscErrorCode Setup(const char opts[], UmbModel *model, UmbCV *cv)
{
  PetscFunctionBegin;
  PetscCall(PetscOptionsClear(NULL));
  PetscCall(PetscOptionsInsertString(NULL, opts));
  PetscCall(UmbModelCreate(PETSC_COMM_WORLD, model));
  PetscCall(UmbModelSetFromOptions(*model));
  PetscCall(UmbModelSetUp(*model));
  PetscCall(UmbCVCreate(*model, cv));
  PetscCall(UmbCVSetFromOptions(*cv));
  PetscCall(UmbCVSetUp(*cv));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Teardown(UmbModel *model, UmbCV *cv)
{
  PetscFunctionBegin;
  PetscCall(UmbCVDestroy(cv));
  PetscCall(UmbModelDestroy(model));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* the checks of a linear CV with d components on a model of n coordinates */
static PetscErrorCode CheckLinear(const char opts[])
{
  UmbModel    model;
  UmbCV       cv;
  UmbGenSpace sp;
  PetscInt    n, d, ng;
  PetscBool   flat;
  PetscReal   x[16], y[16], y2[16], z[2], z2[2], x2[16];

  PetscFunctionBegin;
  PetscCall(Setup(opts, &model, &cv));
  PetscCall(UmbCVHasFlatLevelSets(cv, &flat));
  UMB_CHECK(flat, "%s: a linear CV without flat level sets", opts);
  PetscCall(UmbGenSpaceCreate(cv, PETSC_TRUE, &sp));
  n = sp.n, d = sp.d, ng = sp.ng;
  UMB_CHECK(sp.Q && !sp.idx && ng == n - d, "%s: %d generated of %d (d = %d), basis %p", opts, (int)ng, (int)n, (int)d, (void *)sp.Q);
  for (PetscInt j = 0; j < ng; j++) {
    for (PetscInt k = 0; k < ng; k++) {
      PetscReal dot = 0;
      for (PetscInt i = 0; i < n; i++) dot += sp.Q[i * ng + j] * sp.Q[i * ng + k];
      UMB_CHECK_CLOSE(dot, j == k, 0, TOL, "Q^T Q");
    }
    for (PetscInt a = 0; a < d; a++) {
      PetscReal dot = 0;
      for (PetscInt i = 0; i < n; i++) dot += sp.W[a * n + i] * sp.Q[i * ng + j];
      UMB_CHECK_CLOSE(dot, 0, 0, TOL, "W Q");
    }
  }
  /* Embed, then Project and the CV */
  for (PetscInt a = 0; a < d; a++) z[a] = 0.7 - 1.3 * a;
  for (PetscInt j = 0; j < ng; j++) y[j] = PetscSinReal(1.0 + j);
  UmbGenSpaceEmbed(&sp, z, y, x);
  PetscCall(UmbCVEvaluate(cv, 1, x, z2, NULL));
  UmbGenSpaceProject(&sp, x, y2);
  for (PetscInt a = 0; a < d; a++) UMB_CHECK_CLOSE(z2[a], z[a], 0, TOL, "W Embed(z, y) = z");
  for (PetscInt j = 0; j < ng; j++) UMB_CHECK_CLOSE(y2[j], y[j], 0, TOL, "Project(Embed(z, y)) = y");
  /* Replace: a state off the basis directions keeps its z */
  for (PetscInt i = 0; i < n; i++) x[i] = PetscCosReal(0.3 + 2.0 * i);
  PetscCall(UmbCVEvaluate(cv, 1, x, z, NULL));
  for (PetscInt j = 0; j < ng; j++) y[j] = -0.5 + 0.25 * j;
  PetscCall(PetscArraycpy(x2, x, n));
  UmbGenSpaceReplace(&sp, y, x2);
  PetscCall(UmbCVEvaluate(cv, 1, x2, z2, NULL));
  UmbGenSpaceProject(&sp, x2, y2);
  for (PetscInt a = 0; a < d; a++) UMB_CHECK_CLOSE(z2[a], z[a], 0, TOL, "Replace keeps z");
  for (PetscInt j = 0; j < ng; j++) UMB_CHECK_CLOSE(y2[j], y[j], 0, TOL, "Replace sets y");
  /* a state is the embedding of its own (z, y) */
  UmbGenSpaceProject(&sp, x, y);
  UmbGenSpaceEmbed(&sp, z, y, x2);
  for (PetscInt i = 0; i < n; i++) UMB_CHECK_CLOSE(x2[i], x[i], 0, TOL, "Embed(z(x), Project(x)) = x");
  PetscCall(UmbGenSpaceDestroy(&sp));
  PetscCall(Teardown(&model, &cv));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr;
  UmbModel       model;
  UmbCV          cv;
  UmbGenSpace    sp;
  PetscBool      flat;

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  PetscCall(CheckLinear("-model fastslow -fastslow_m 1 -cv linear -cv_weights 0.96,0.28"));
  PetscCall(CheckLinear("-model fastslow -fastslow_m 4 -cv linear -cv_weights 1,-2,0.5,3,0.25"));
  PetscCall(CheckLinear("-model fastslow -fastslow_m 4 -cv linear -cv_weights 0,0,1,0,0"));
  PetscCall(CheckLinear("-model fastslow -fastslow_m 4 -cv linear -cv_weights 1,1,1,1,1,1,-1,0.5,2,0"));
  PetscCall(CheckLinear("-model mullerbrown -cv linear -cv_weights 1,-1"));

  /* a coordinate CV: the other coordinates, the CV's set to z */
  PetscCall(Setup("-model fastslow -fastslow_m 2 -cv coord -cv_index 1", &model, &cv));
  PetscCall(UmbCVHasFlatLevelSets(cv, &flat));
  PetscCall(UmbGenSpaceCreate(cv, PETSC_TRUE, &sp));
  UMB_CHECK(flat && !sp.Q && sp.ng == 2 && sp.idx[0] == 0 && sp.idx[1] == 2, "coordinate CV: flat %d, %d generated (%d, %d)", (int)flat, (int)sp.ng, (int)sp.idx[0], (int)sp.idx[1]);
  {
    PetscReal z = 0.5, y[2] = {-1, 2}, x[3];
    UmbGenSpaceEmbed(&sp, &z, y, x);
    UMB_CHECK(x[0] == -1 && x[1] == 0.5 && x[2] == 2, "coordinate embedding %g %g %g", (double)x[0], (double)x[1], (double)x[2]);
  }
  PetscCall(UmbGenSpaceDestroy(&sp));
  PetscCall(Teardown(&model, &cv));

  /* the ring's angle: curved level sets, every coordinate generated */
  PetscCall(Setup("-model ring -ring_n 4", &model, &cv));
  PetscCall(UmbCVHasFlatLevelSets(cv, &flat));
  PetscCall(UmbGenSpaceCreate(cv, PETSC_TRUE, &sp));
  UMB_CHECK(!flat && !sp.Q && sp.ng == sp.n, "ring angle: flat %d, %d of %d generated", (int)flat, (int)sp.ng, (int)sp.n);
  PetscCall(UmbGenSpaceDestroy(&sp));
  PetscCall(Teardown(&model, &cv));

  /* a file written for other weights is refused */
  {
    UmbH5     h5;
    UmbModel  m2;
    UmbCV     cv2;
    PetscCall(Setup("-model fastslow -fastslow_m 1 -cv linear -cv_weights 0.96,0.28", &model, &cv));
    PetscCall(UmbGenSpaceCreate(cv, PETSC_TRUE, &sp));
    PetscCall(UmbH5Create(PETSC_COMM_WORLD, "space.h5", "test", &h5));
    PetscCall(UmbGeneratorWriteProblem(cv, &sp, h5, "/"));
    PetscCall(UmbGeneratorCheckProblem(cv, &sp, h5, "space.h5", "/"));
    PetscCall(UmbGenSpaceDestroy(&sp));
    PetscCall(Setup("-model fastslow -fastslow_m 1 -cv linear -cv_weights 0.28,0.96", &m2, &cv2));
    PetscCall(UmbGenSpaceCreate(cv2, PETSC_TRUE, &sp));
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = UmbGeneratorCheckProblem(cv2, &sp, h5, "space.h5", "/");
    PetscCall(PetscPopErrorHandler());
    UMB_CHECK(ierr == PETSC_ERR_USER_INPUT, "other weights gave code %d", (int)ierr);
    PetscCall(UmbGenSpaceDestroy(&sp));
    PetscCall(UmbH5Close(&h5, PETSC_FALSE));
    PetscCall(Teardown(&m2, &cv2));
    PetscCall(Teardown(&model, &cv));
  }
  PetscFunctionReturn(UmbTestFinalize(PETSC_SUCCESS));
}
