/* The flow type of UmbGenerator: the conditional normalizing flow of umbra/flow.h; each op wraps
   its UmbFlow function. It has an exact density. */
#include <umbra/private/generatorimpl.h>
#include <umbra/private/flowimpl.h>

#define FLOW(g) ((UmbFlow)(g)->data)

static PetscErrorCode SetFromOptions_Flow(UmbGenerator g)
{
  PetscFunctionBegin;
  PetscCall(UmbFlowSetOptionsPrefix(FLOW(g), g->prefix));
  PetscCall(UmbFlowSetFromOptions(FLOW(g)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode View_Flow(UmbGenerator g, PetscViewer v)
{
  PetscFunctionBegin;
  PetscCall(UmbFlowView(FLOW(g), v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Destroy_Flow(UmbGenerator g)
{
  UmbFlow flow = FLOW(g);

  PetscFunctionBegin;
  PetscCall(UmbFlowDestroy(&flow));
  g->data = NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SetSeed_Flow(UmbGenerator g, PetscInt64 seed)
{
  PetscFunctionBegin;
  PetscCall(UmbFlowSetSeed(FLOW(g), seed));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SetRestart_Flow(UmbGenerator g, PetscBool restart)
{
  PetscFunctionBegin;
  PetscCall(UmbFlowSetRestart(FLOW(g), restart));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode GetGenerated_Flow(UmbGenerator g, PetscInt *ng)
{
  PetscFunctionBegin;
  PetscCall(UmbFlowGetGenerated(FLOW(g), ng));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckGenerates_Flow(UmbGenerator g)
{
  PetscFunctionBegin;
  PetscCall(UmbFlowCheckGenerates(FLOW(g)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Train_Flow(UmbGenerator g, const char dir[], PetscBool *finished)
{
  PetscFunctionBegin;
  PetscCall(UmbFlowTrain(FLOW(g), dir, finished));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Load_Flow(UmbGenerator g, const char path[])
{
  PetscFunctionBegin;
  PetscCall(UmbFlowLoad(FLOW(g), path));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode IsTrained_Flow(UmbGenerator g, PetscBool *trained)
{
  PetscFunctionBegin;
  PetscCall(UmbFlowIsTrained(FLOW(g), trained));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* no calibration: nrep is 0 (UmbGeneratorGetCalibrationReplicates) */
static PetscErrorCode Generate_Flow(UmbGenerator g, PetscInt m, const PetscReal z[], const PetscInt64 index[], PetscInt nrep, PetscReal x[])
{
  PetscFunctionBegin;
  PetscCheck(nrep == 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "the flow has no calibration replicates");
  PetscCall(UmbFlowSetTraining(FLOW(g), PETSC_FALSE));
  PetscCall(UmbFlowGenerate(FLOW(g), m, z, index, x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode GetReplicates_Flow(UmbGenerator g, PetscInt *nrep)
{
  PetscFunctionBegin;
  (void)g;
  *nrep = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode GenerateSeeds_Flow(UmbGenerator g, uint64_t id, PetscInt m, const PetscReal z[], PetscReal x[])
{
  PetscFunctionBegin;
  PetscCall(UmbFlowGenerateSeeds(FLOW(g), id, m, z, x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode GetRange_Flow(UmbGenerator g, PetscReal range[])
{
  PetscFunctionBegin;
  PetscCall(UmbFlowGetRange(FLOW(g), range));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode LogDensity_Flow(UmbGenerator g, PetscInt m, const PetscReal z[], const PetscReal x[], PetscReal logq[], PetscReal noise[])
{
  PetscFunctionBegin;
  PetscCall(UmbFlowLogDensity(FLOW(g), m, z, x, logq, noise));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode GetNoiseDimension_Flow(UmbGenerator g, PetscInt *k)
{
  PetscFunctionBegin;
  PetscCall(UmbFlowGetGenerated(FLOW(g), k));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode PushForward_Flow(UmbGenerator g, PetscInt m, const PetscReal z[], const PetscReal noise[], PetscReal x[], PetscReal logq[])
{
  PetscFunctionBegin;
  PetscCall(UmbFlowPushForward(FLOW(g), m, z, noise, x, logq));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorCreate_Flow(UmbGenerator g)
{
  UmbFlow flow;

  PetscFunctionBegin;
  PetscCall(UmbFlowCreate(g->cv, &flow));
  g->data               = flow;
  g->file               = "flow.h5";
  g->ops.setfromoptions = SetFromOptions_Flow;
  g->ops.view           = View_Flow;
  g->ops.destroy        = Destroy_Flow;
  g->ops.setseed        = SetSeed_Flow;
  g->ops.setrestart     = SetRestart_Flow;
  g->ops.getgenerated   = GetGenerated_Flow;
  g->ops.checkgenerates = CheckGenerates_Flow;
  g->ops.train          = Train_Flow;
  g->ops.load           = Load_Flow;
  g->ops.istrained      = IsTrained_Flow;
  g->ops.generate       = Generate_Flow;
  g->ops.getreplicates  = GetReplicates_Flow;
  g->ops.generateseeds  = GenerateSeeds_Flow;
  g->ops.getrange       = GetRange_Flow;
  g->ops.logdensity     = LogDensity_Flow;
  g->ops.getnoisedim    = GetNoiseDimension_Flow;
  g->ops.pushforward    = PushForward_Flow;
  PetscFunctionReturn(PETSC_SUCCESS);
}
