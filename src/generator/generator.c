/* UmbGenerator: the registry of types, the common life cycle, and dispatch to the type's ops. */
#include <umbra/private/generatorimpl.h>
#include <umbra/private/generatorcommon.h>

static PetscFunctionList generator_list = NULL;
static PetscBool         generator_registered = PETSC_FALSE;

static PetscErrorCode UmbGeneratorFinalizePackage(void)
{
  PetscFunctionBegin;
  PetscCall(PetscFunctionListDestroy(&generator_list));
  generator_registered = PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The built-in types; the list is emptied at PetscFinalize */
static PetscErrorCode UmbGeneratorRegisterAll(void)
{
  PetscFunctionBegin;
  if (generator_registered) PetscFunctionReturn(PETSC_SUCCESS);
  generator_registered = PETSC_TRUE;
  PetscCall(PetscFunctionListAdd(&generator_list, UMBGENERATORGAN, UmbGeneratorCreate_GAN));
  PetscCall(PetscFunctionListAdd(&generator_list, UMBGENERATORFLOW, UmbGeneratorCreate_Flow));
  PetscCall(PetscRegisterFinalize(UmbGeneratorFinalizePackage));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorRegister(const char name[], PetscErrorCode (*create)(UmbGenerator))
{
  PetscFunctionBegin;
  PetscCall(UmbGeneratorRegisterAll());
  PetscCall(PetscFunctionListAdd(&generator_list, name, create));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* "gan", "gan or flow", "gan, flow or x": for the message that refuses an unknown type */
static PetscErrorCode TypeNames(char buf[], size_t size)
{
  const char **names;
  int          n, len;

  PetscFunctionBegin;
  PetscCall(PetscFunctionListGet(generator_list, &names, &len)); /* NULL-terminated; len counts the NULL */
  for (n = 0; n < len && names[n]; n++) {}
  buf[0] = 0;
  for (int i = 0; i < n; i++) {
    size_t k = strlen(buf);
    snprintf(buf + k, size - k, "%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ", names[i]);
  }
  PetscCall(PetscFree(names));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorCreate(UmbCV cv, UmbGenerator *gp)
{
  UmbGenerator g;
  UmbModel     model;

  PetscFunctionBegin;
  PetscCall(PetscNew(&g));
  g->cv     = cv;
  g->seed   = 42;
  g->lift_n = 1000;
  PetscCall(UmbCVGetModel(cv, &model));
  PetscCall(UmbModelGetComm(model, &g->comm));
  *gp = g;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorSetType(UmbGenerator g, UmbGeneratorType type)
{
  PetscErrorCode (*create)(UmbGenerator) = NULL;
  PetscBool match;

  PetscFunctionBegin;
  PetscCall(PetscStrcmp(g->type, type, &match));
  if (match) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(!g->setup, g->comm, PETSC_ERR_ORDER, "cannot change the generator type after set-up");
  PetscCall(UmbGeneratorRegisterAll());
  PetscCall(PetscFunctionListFind(generator_list, type, &create));
  if (!create) {
    char names[256];
    PetscCall(TypeNames(names, sizeof(names)));
    SETERRQ(g->comm, PETSC_ERR_USER_INPUT, "unknown generator type '%s' for -%sgenerator: choose %s", type, g->prefix, names);
  }
  if (g->ops.destroy) PetscCall((*g->ops.destroy)(g));
  PetscCall(PetscMemzero(&g->ops, sizeof(g->ops)));
  g->data = NULL;
  g->file = NULL;
  PetscCall(PetscStrncpy(g->type, type, sizeof(g->type)));
  PetscCall((*create)(g));
  if (g->ops.setseed) PetscCall((*g->ops.setseed)(g, g->seed));
  if (g->ops.setrestart) PetscCall((*g->ops.setrestart)(g, g->restart));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorGetType(UmbGenerator g, UmbGeneratorType *type)
{
  PetscFunctionBegin;
  *type = g->type;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorSetOptionsPrefix(UmbGenerator g, const char prefix[])
{
  PetscFunctionBegin;
  PetscCall(UmbOptionsPrefixCopy(g->comm, prefix, g->prefix));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorGetOptionsPrefix(UmbGenerator g, const char *prefix[])
{
  PetscFunctionBegin;
  *prefix = UmbOptionsPrefix(g->prefix);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* -lift_z, -lift_grid, -lift_n: what umbra lift lifts, for every type */
static PetscErrorCode LiftFromOptions(UmbGenerator g, PetscOptionItems *PetscOptionsObject, const char type[])
{
  const MPI_Comm comm = g->comm;
  PetscInt       d, nz = 4096, ngrid = 6;
  PetscReal     *zbuf;
  PetscBool      set_z, set_grid;

  PetscFunctionBegin;
  PetscCall(UmbCVGetDimension(g->cv, &d));
  PetscCall(PetscMalloc1(nz, &zbuf));
  PetscCall(PetscOptionsRealArray("-lift_z", "CV values to lift (d values each)", "UmbGeneratorSetFromOptions", zbuf, &nz, &set_z));
  PetscCall(PetscOptionsRealArray("-lift_grid", "Grid of CV values to lift: lo,hi,n per component", "UmbGeneratorSetFromOptions", g->lift_grid, &ngrid, &set_grid));
  PetscCall(PetscOptionsInt("-lift_n", "Lifted states per CV value", "UmbGeneratorSetFromOptions", g->lift_n, &g->lift_n, NULL));
  { /* default: project where the generator does not embed the CV value exactly (CVs whose level
       sets are not flat: dihedral, distance, ring angle, dmap), unless it is the flow (its
       coordinates are those of the level sets, or internal coordinates around dihedrals) */
    PetscBool flat, flow;
    PetscCall(UmbCVHasFlatLevelSets(g->cv, &flat));
    PetscCall(PetscStrcmp(type, UMBGENERATORFLOW, &flow));
    g->lift_project = (PetscBool)(!flat && !flow);
    PetscCall(PetscOptionsBool("-lift_project", "Project every lifted state onto its level set xi(x) = z by Newton steps (default: for CVs without flat level sets)", "UmbGeneratorSetFromOptions", g->lift_project, &g->lift_project, NULL));
  }
  PetscCheck(g->lift_n >= 1, comm, PETSC_ERR_USER_INPUT, "-lift_n must be positive, got %" PetscInt_FMT, g->lift_n);
  PetscCheck(!(set_z && set_grid), comm, PETSC_ERR_USER_INPUT, "give either -lift_z or -lift_grid, not both");
  if (set_z) {
    PetscCheck(nz >= 1 && nz % d == 0, comm, PETSC_ERR_USER_INPUT, "-lift_z needs %" PetscInt_FMT " value%s per point for this %" PetscInt_FMT "-D CV, got %" PetscInt_FMT, d, d > 1 ? "s" : "", d, nz);
    for (PetscInt i = 0; i < nz; i++) PetscCheck(!PetscIsInfOrNanReal(zbuf[i]), comm, PETSC_ERR_USER_INPUT, "-lift_z: value %" PetscInt_FMT " is not a finite number", i + 1);
    PetscCall(PetscFree(g->lift_z));
    PetscCall(PetscMalloc1(nz, &g->lift_z));
    PetscCall(PetscArraycpy(g->lift_z, zbuf, nz));
    g->nlift_z = nz / d;
  }
  if (set_grid) {
    PetscCheck(ngrid == 3 * d, comm, PETSC_ERR_USER_INPUT, "-lift_grid needs %" PetscInt_FMT " values (lo,hi,n%s) for this %" PetscInt_FMT "-D CV, got %" PetscInt_FMT, 3 * d, d > 1 ? ",lo2,hi2,n2" : "", d, ngrid);
    for (PetscInt a = 0; a < d; a++) {
      const PetscReal lo = g->lift_grid[3 * a], hi = g->lift_grid[3 * a + 1], np = g->lift_grid[3 * a + 2];
      PetscCheck(!PetscIsInfOrNanReal(lo) && !PetscIsInfOrNanReal(hi), comm, PETSC_ERR_USER_INPUT, "-lift_grid: lo and hi must be finite numbers");
      PetscCheck(np >= 1 && np == PetscFloorReal(np) && np <= 1e6, comm, PETSC_ERR_USER_INPUT, "-lift_grid: the number of points must be a positive integer, got %.6g", (double)np);
      PetscCheck(lo <= hi, comm, PETSC_ERR_USER_INPUT, "-lift_grid: lo must not exceed hi, got lo = %.6g, hi = %.6g", (double)lo, (double)hi);
      PetscCheck(np == 1 || lo < hi, comm, PETSC_ERR_USER_INPUT, "-lift_grid: %.6g points need lo < hi", (double)np);
    }
    g->nlift_grid = ngrid;
  }
  PetscCall(PetscFree(zbuf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The default type, chosen by measurement (docs/flow.md, "Which generator by default"): the flow
   where its density lives on the level sets (coordinate and linear CVs that leave coordinates to
   generate), so that the physics can correct it; the GAN for every other CV */
static PetscErrorCode DefaultType(UmbGenerator g, const char **type)
{
  PetscBool   flat;
  UmbGenSpace sp;

  PetscFunctionBegin;
  PetscCall(UmbCVHasFlatLevelSets(g->cv, &flat));
  PetscCall(UmbGenSpaceCreate(g->cv, PETSC_TRUE, &sp));
  *type = (flat || sp.zm) && sp.ng > 0 ? UMBGENERATORFLOW : UMBGENERATORGAN;
  PetscCall(UmbGenSpaceDestroy(&sp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorSetFromOptions(UmbGenerator g)
{
  const char *deft = g->type;
  char        type[64];
  PetscBool   set;

  PetscFunctionBegin;
  if (!g->type[0]) PetscCall(DefaultType(g, &deft));
  PetscCall(UmbGeneratorRegisterAll());
  PetscOptionsBegin(g->comm, UmbOptionsPrefix(g->prefix), "Generator options", "UmbGenerator");
  PetscCall(PetscOptionsFList("-generator", "Generator type", "UmbGeneratorSetType", generator_list, deft, type, sizeof(type), &set));
  PetscCall(LiftFromOptions(g, PetscOptionsObject, set ? type : deft));
  PetscOptionsEnd();
  PetscCall(UmbGeneratorSetType(g, set ? type : deft));
  if (g->ops.setfromoptions) PetscCall((*g->ops.setfromoptions)(g));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorSetUp(UmbGenerator g)
{
  PetscFunctionBegin;
  if (g->setup) PetscFunctionReturn(PETSC_SUCCESS);
  if (!g->type[0]) {
    const char *deft;
    PetscCall(DefaultType(g, &deft));
    PetscCall(UmbGeneratorSetType(g, deft));
  }
  if (g->ops.setup) PetscCall((*g->ops.setup)(g));
  g->setup = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorView(UmbGenerator g, PetscViewer v)
{
  PetscFunctionBegin;
  if (g->ops.view) PetscCall((*g->ops.view)(g, v));
  else PetscCall(UmbViewerPrintf(v, "generator %s\n", g->type[0] ? g->type : "(no type)"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorDestroy(UmbGenerator *gp)
{
  UmbGenerator g = *gp;

  PetscFunctionBegin;
  if (!g) PetscFunctionReturn(PETSC_SUCCESS);
  if (g->ops.destroy) PetscCall((*g->ops.destroy)(g));
  PetscCall(PetscFree(g->lift_z));
  PetscCall(PetscFree(*gp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The ops below need a type; those that are not collective report on PETSC_COMM_SELF */
#define UmbGeneratorCheckType(g, comm) PetscCheck((g)->type[0], comm, PETSC_ERR_ORDER, "call UmbGeneratorSetType() or UmbGeneratorSetFromOptions() first")
#define UmbGeneratorCheckSetUp(g)      PetscCheck((g)->setup, PETSC_COMM_SELF, PETSC_ERR_ORDER, "call UmbGeneratorSetUp() first")

PetscErrorCode UmbGeneratorSetSeed(UmbGenerator g, PetscInt64 seed)
{
  PetscFunctionBegin;
  g->seed = seed;
  if (g->ops.setseed) PetscCall((*g->ops.setseed)(g, seed));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorSetRestart(UmbGenerator g, PetscBool restart)
{
  PetscFunctionBegin;
  g->restart = restart;
  if (g->ops.setrestart) PetscCall((*g->ops.setrestart)(g, restart));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorGetFileName(UmbGenerator g, const char *name[])
{
  PetscFunctionBegin;
  UmbGeneratorCheckType(g, PETSC_COMM_SELF);
  *name = g->file;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorGetGenerated(UmbGenerator g, PetscInt *ng)
{
  PetscFunctionBegin;
  UmbGeneratorCheckType(g, PETSC_COMM_SELF);
  PetscCall((*g->ops.getgenerated)(g, ng));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorCheckGenerates(UmbGenerator g)
{
  PetscFunctionBegin;
  UmbGeneratorCheckType(g, g->comm);
  PetscCall((*g->ops.checkgenerates)(g));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorTrain(UmbGenerator g, const char dir[], PetscBool *finished)
{
  PetscFunctionBegin;
  PetscCall(UmbGeneratorSetUp(g));
  PetscCall((*g->ops.train)(g, dir, finished));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorLoad(UmbGenerator g, const char path[])
{
  PetscFunctionBegin;
  PetscCall(UmbGeneratorSetUp(g));
  PetscCall((*g->ops.load)(g, path));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorIsTrained(UmbGenerator g, PetscBool *trained)
{
  PetscFunctionBegin;
  UmbGeneratorCheckType(g, PETSC_COMM_SELF);
  PetscCall((*g->ops.istrained)(g, trained));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorLift(UmbGenerator g, const char dir[])
{
  PetscFunctionBegin;
  PetscCall(UmbGeneratorSetUp(g));
  PetscCall(UmbGeneratorLiftToFile(g, dir));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorGenerate(UmbGenerator g, PetscInt m, const PetscReal z[], const PetscInt64 index[], PetscReal x[])
{
  PetscFunctionBegin;
  UmbGeneratorCheckSetUp(g);
  PetscCall((*g->ops.generate)(g, m, z, index, 0, x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorGenerateReplicates(UmbGenerator g, PetscInt m, const PetscReal z[], const PetscInt64 index[], PetscInt nrep, PetscReal x[])
{
  PetscFunctionBegin;
  UmbGeneratorCheckSetUp(g);
  PetscCall((*g->ops.generate)(g, m, z, index, nrep, x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorGetCalibrationReplicates(UmbGenerator g, PetscInt *nrep)
{
  PetscFunctionBegin;
  UmbGeneratorCheckType(g, PETSC_COMM_SELF);
  PetscCall((*g->ops.getreplicates)(g, nrep));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorGenerateSeeds(UmbGenerator g, uint64_t id, PetscInt m, const PetscReal z[], PetscReal x[])
{
  PetscFunctionBegin;
  UmbGeneratorCheckSetUp(g);
  PetscCall((*g->ops.generateseeds)(g, id, m, z, x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorGetRange(UmbGenerator g, PetscReal range[])
{
  PetscFunctionBegin;
  UmbGeneratorCheckType(g, g->comm);
  PetscCall((*g->ops.getrange)(g, range));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorHasDensity(UmbGenerator g, PetscBool *has)
{
  PetscFunctionBegin;
  UmbGeneratorCheckType(g, PETSC_COMM_SELF);
  *has = (PetscBool)(g->ops.logdensity != NULL);
  PetscFunctionReturn(PETSC_SUCCESS);
}

#define UmbGeneratorCheckDensity(g) PetscCheck((g)->ops.logdensity, PETSC_COMM_SELF, PETSC_ERR_SUP, "the %s generator has no density: use -generator flow", (g)->type)

PetscErrorCode UmbGeneratorLogDensity(UmbGenerator g, PetscInt m, const PetscReal z[], const PetscReal x[], PetscReal logq[])
{
  PetscFunctionBegin;
  UmbGeneratorCheckSetUp(g);
  UmbGeneratorCheckDensity(g);
  PetscCall((*g->ops.logdensity)(g, m, z, x, logq, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorGetNoiseDimension(UmbGenerator g, PetscInt *k)
{
  PetscFunctionBegin;
  UmbGeneratorCheckType(g, PETSC_COMM_SELF);
  UmbGeneratorCheckDensity(g);
  PetscCall((*g->ops.getnoisedim)(g, k));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorPushForward(UmbGenerator g, PetscInt m, const PetscReal z[], const PetscReal noise[], PetscReal x[], PetscReal logq[])
{
  PetscFunctionBegin;
  UmbGeneratorCheckSetUp(g);
  UmbGeneratorCheckDensity(g);
  PetscCall((*g->ops.pushforward)(g, m, z, noise, x, logq));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorInverse(UmbGenerator g, PetscInt m, const PetscReal z[], const PetscReal x[], PetscReal noise[], PetscReal logq[])
{
  PetscReal *tmp = NULL;

  PetscFunctionBegin;
  UmbGeneratorCheckSetUp(g);
  UmbGeneratorCheckDensity(g);
  if (!logq) PetscCall(PetscMalloc1(m, &tmp));
  PetscCall((*g->ops.logdensity)(g, m, z, x, logq ? logq : tmp, noise));
  PetscCall(PetscFree(tmp));
  PetscFunctionReturn(PETSC_SUCCESS);
}
