/* The generator class: its default type is flow on a coordinate CV (file flow.h5, a density) and
   gan on a CV with curved level sets (the ring's angle; file gan.h5, no density:
   UmbGeneratorLogDensity fails with PETSC_ERR_SUP); an unknown type is refused as bad input; a type registered from
   outside is chosen with -generator and its ops are called; an options prefix reaches
   -<prefix>generator and the GAN's own options. Catches a registry that loses or misnames
   types, a class that calls the wrong op, and a prefix that does not reach the type. */
// TEST: nsize=1
#include "tap.h"
#include <umbra/private/generatorimpl.h>
#include <umbra/private/ganimpl.h>

/* A test type "zero": every lifted state is 0 but for row i's noise index in its first
   coordinate; log-density -z per row */
typedef struct {
  PetscInt n;
} Zero;

static PetscErrorCode GetGenerated_Zero(UmbGenerator g, PetscInt *ng)
{
  PetscFunctionBegin;
  *ng = ((Zero *)g->data)->n;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Generate_Zero(UmbGenerator g, PetscInt m, const PetscReal z[], const PetscInt64 index[], PetscInt nrep, PetscReal x[])
{
  const PetscInt n = ((Zero *)g->data)->n;

  PetscFunctionBegin;
  PetscCall(PetscArrayzero(x, (nrep + 1) * m * n));
  for (PetscInt i = 0; i < m; i++) x[i * n] = (PetscReal)index[i];
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode LogDensity_Zero(UmbGenerator g, PetscInt m, const PetscReal z[], const PetscReal x[], PetscReal logq[], PetscReal noise[])
{
  PetscFunctionBegin;
  for (PetscInt i = 0; i < m; i++) logq[i] = -z[i];
  if (noise)
    for (PetscInt i = 0; i < m; i++) noise[i] = x[i * ((Zero *)g->data)->n];
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode GetNoiseDimension_Zero(UmbGenerator g, PetscInt *k)
{
  PetscFunctionBegin;
  *k = 1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode PushForward_Zero(UmbGenerator g, PetscInt m, const PetscReal z[], const PetscReal noise[], PetscReal x[], PetscReal logq[])
{
  const PetscInt n = ((Zero *)g->data)->n;

  PetscFunctionBegin;
  PetscCall(PetscArrayzero(x, m * n));
  for (PetscInt i = 0; i < m; i++) {
    x[i * n] = noise[i];
    if (logq) logq[i] = -z[i];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Destroy_Zero(UmbGenerator g)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(g->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Create_Zero(UmbGenerator g)
{
  Zero    *zero;
  UmbModel model;

  PetscFunctionBegin;
  PetscCall(PetscNew(&zero));
  PetscCall(UmbCVGetModel(g->cv, &model));
  PetscCall(UmbModelGetDimension(model, &zero->n));
  g->data             = zero;
  g->file             = "zero.h5";
  g->ops.destroy      = Destroy_Zero;
  g->ops.getgenerated = GetGenerated_Zero;
  g->ops.generate     = Generate_Zero;
  g->ops.logdensity   = LogDensity_Zero;
  g->ops.getnoisedim  = GetNoiseDimension_Zero;
  g->ops.pushforward  = PushForward_Zero;
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode   ierr;
  UmbModel         model;
  UmbCV            cv;
  UmbGenerator     g;
  UmbGeneratorType type;
  const char      *file, *prefix;
  PetscBool        has;
  PetscInt         ng, n;
  PetscReal        z[2] = {0.25, -0.5}, x[64], logq[2] = {0, 0};
  const PetscInt64 idx[2] = {7, 8};

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  PetscCall(PetscOptionsInsertString(NULL, "-model fastslow -cv native -t_generator zero -u_gan_epochs 7"));
  PetscCall(UmbModelCreate(PETSC_COMM_WORLD, &model));
  PetscCall(UmbModelSetFromOptions(model));
  PetscCall(UmbModelSetUp(model));
  PetscCall(UmbModelGetDimension(model, &n));
  PetscCall(UmbCVCreate(model, &cv));
  PetscCall(UmbCVSetFromOptions(cv));
  PetscCall(UmbCVSetUp(cv));

  /* the default on a coordinate CV (fastslow's native x): flow, with a density */
  PetscCall(UmbGeneratorCreate(cv, &g));
  PetscCall(UmbGeneratorSetFromOptions(g));
  PetscCall(UmbGeneratorSetUp(g));
  PetscCall(UmbGeneratorGetType(g, &type));
  PetscCall(UmbGeneratorGetFileName(g, &file));
  PetscCall(UmbGeneratorHasDensity(g, &has));
  UMB_CHECK(!strcmp(type, UMBGENERATORFLOW) && !strcmp(file, "flow.h5") && has, "default type on a coordinate CV %s (file %s, density %d)", type, file, (int)has);
  PetscCall(UmbGeneratorDestroy(&g));

  /* gan, without a density: chosen, or the default on the ring's angle */
  {
    UmbModel rmodel;
    UmbCV    rcv;
    PetscCall(UmbModelCreate(PETSC_COMM_WORLD, &rmodel)); /* not from options: -model is fastslow */
    PetscCall(UmbModelSetType(rmodel, UMBMODELRING));
    PetscCall(UmbModelSetUp(rmodel));
    PetscCall(UmbCVCreate(rmodel, &rcv));
    PetscCall(UmbCVSetType(rcv, UMBCVNATIVE));
    PetscCall(UmbCVSetUp(rcv));
    PetscCall(UmbGeneratorCreate(rcv, &g));
    PetscCall(UmbGeneratorSetUp(g));
    PetscCall(UmbGeneratorGetType(g, &type));
    UMB_CHECK(!strcmp(type, UMBGENERATORGAN), "default type on the ring's angle %s", type);
    PetscCall(UmbGeneratorDestroy(&g));
    PetscCall(UmbCVDestroy(&rcv));
    PetscCall(UmbModelDestroy(&rmodel));
  }
  PetscCall(UmbGeneratorCreate(cv, &g));
  PetscCall(UmbGeneratorSetType(g, UMBGENERATORGAN));
  PetscCall(UmbGeneratorSetFromOptions(g));
  PetscCall(UmbGeneratorSetUp(g));
  PetscCall(UmbGeneratorGetType(g, &type));
  PetscCall(UmbGeneratorGetFileName(g, &file));
  PetscCall(UmbGeneratorGetGenerated(g, &ng));
  PetscCall(UmbGeneratorHasDensity(g, &has));
  UMB_CHECK(!strcmp(type, UMBGENERATORGAN), "type %s", type);
  UMB_CHECK(!strcmp(file, "gan.h5"), "gan file %s", file);
  UMB_CHECK(ng == n - 1, "gan generates %d of %d coordinates", (int)ng, (int)n);
  UMB_CHECK(!has, "gan has a density");
  UMB_CHECK(((UmbGan)g->data)->epochs == 20, "unprefixed gan read -u_gan_epochs: %d epochs", (int)((UmbGan)g->data)->epochs);
  PetscCall(UmbGeneratorIsTrained(g, &has));
  UMB_CHECK(!has, "an untrained gan says it is trained");
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = UmbGeneratorLogDensity(g, 1, z, x, logq);
  PetscCall(PetscPopErrorHandler());
  UMB_CHECK(ierr == PETSC_ERR_SUP, "log-density of gan gave code %d, not PETSC_ERR_SUP", (int)ierr);
  PetscCall(UmbGeneratorDestroy(&g));
  UMB_CHECK(!g, "destroy leaves the handle");
  PetscCall(UmbGeneratorCreate(cv, &g));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = UmbGeneratorSetType(g, "nosuch");
  PetscCall(PetscPopErrorHandler());
  UMB_CHECK(ierr == PETSC_ERR_USER_INPUT, "unknown type gave code %d", (int)ierr);
  PetscCall(UmbGeneratorDestroy(&g));

  /* a prefix reaches the GAN's options */
  PetscCall(UmbGeneratorCreate(cv, &g));
  PetscCall(UmbGeneratorSetType(g, UMBGENERATORGAN));
  PetscCall(UmbGeneratorSetOptionsPrefix(g, "u_"));
  PetscCall(UmbGeneratorSetFromOptions(g));
  PetscCall(UmbGeneratorGetOptionsPrefix(g, &prefix));
  UMB_CHECK(prefix && !strcmp(prefix, "u_"), "prefix %s", prefix ? prefix : "(none)");
  UMB_CHECK(((UmbGan)g->data)->epochs == 7, "-u_gan_epochs 7 gave %d epochs", (int)((UmbGan)g->data)->epochs);
  PetscCall(UmbGeneratorDestroy(&g));

  /* a registered type, chosen by -t_generator */
  PetscCall(UmbGeneratorRegister("zero", Create_Zero));
  PetscCall(UmbGeneratorCreate(cv, &g));
  PetscCall(UmbGeneratorSetOptionsPrefix(g, "t_"));
  PetscCall(UmbGeneratorSetFromOptions(g));
  PetscCall(UmbGeneratorSetUp(g));
  PetscCall(UmbGeneratorGetType(g, &type));
  PetscCall(UmbGeneratorGetFileName(g, &file));
  PetscCall(UmbGeneratorHasDensity(g, &has));
  UMB_CHECK(!strcmp(type, "zero") && !strcmp(file, "zero.h5"), "registered type %s, file %s", type, file);
  UMB_CHECK(has, "the zero type has a density");
  PetscCall(UmbGeneratorGenerate(g, 2, z, idx, x));
  UMB_CHECK(x[0] == 7 && x[n] == 8 && x[1] == 0, "generated rows %g %g %g", (double)x[0], (double)x[n], (double)x[1]);
  PetscCall(UmbGeneratorLogDensity(g, 2, z, x, logq));
  UMB_CHECK(logq[0] == -0.25 && logq[1] == 0.5, "log-density %g %g", (double)logq[0], (double)logq[1]);
  {
    PetscReal noise[2] = {0, 0}, back[2];
    PetscInt  k;
    PetscCall(UmbGeneratorGetNoiseDimension(g, &k));
    PetscCall(UmbGeneratorInverse(g, 2, z, x, noise, NULL));
    UMB_CHECK(k == 1 && noise[0] == 7 && noise[1] == 8, "noise dimension %d, inverse %g %g", (int)k, (double)noise[0], (double)noise[1]);
    PetscCall(UmbGeneratorPushForward(g, 2, z, noise, x, back));
    UMB_CHECK(x[0] == 7 && x[n] == 8 && back[0] == -0.25 && back[1] == 0.5, "push-forward %g %g, log q %g %g", (double)x[0], (double)x[n], (double)back[0], (double)back[1]);
  }
  PetscCall(UmbGeneratorView(g, PETSC_VIEWER_STDOUT_WORLD));
  PetscCall(UmbGeneratorDestroy(&g));

  PetscCall(UmbCVDestroy(&cv));
  PetscCall(UmbModelDestroy(&model));
  PetscFunctionReturn(UmbTestFinalize(PETSC_SUCCESS));
}
