/* The gan type of UmbGenerator: the conditional GAN of umbra/gan.h; each op wraps its UmbGan
   function. It has no density. */
#include <umbra/private/generatorimpl.h>
#include <umbra/private/ganimpl.h>

static PetscErrorCode SetFromOptions_GAN(UmbGenerator g)
{
  UmbGan gan = (UmbGan)g->data;

  PetscFunctionBegin;
  PetscCall(UmbGanSetOptionsPrefix(gan, g->prefix));
  PetscCall(UmbGanSetFromOptions(gan));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode View_GAN(UmbGenerator g, PetscViewer v)
{
  PetscFunctionBegin;
  PetscCall(UmbGanView((UmbGan)g->data, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Destroy_GAN(UmbGenerator g)
{
  UmbGan gan = (UmbGan)g->data;

  PetscFunctionBegin;
  PetscCall(UmbGanDestroy(&gan));
  g->data = NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SetSeed_GAN(UmbGenerator g, PetscInt64 seed)
{
  PetscFunctionBegin;
  PetscCall(UmbGanSetSeed((UmbGan)g->data, seed));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SetRestart_GAN(UmbGenerator g, PetscBool restart)
{
  PetscFunctionBegin;
  PetscCall(UmbGanSetRestart((UmbGan)g->data, restart));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode GetGenerated_GAN(UmbGenerator g, PetscInt *ng)
{
  PetscFunctionBegin;
  PetscCall(UmbGanGetGenerated((UmbGan)g->data, ng));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckGenerates_GAN(UmbGenerator g)
{
  PetscFunctionBegin;
  PetscCall(UmbGanCheckGenerates((UmbGan)g->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Train_GAN(UmbGenerator g, const char dir[], PetscBool *finished)
{
  PetscFunctionBegin;
  PetscCall(UmbGanTrain((UmbGan)g->data, dir, finished));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Load_GAN(UmbGenerator g, const char path[])
{
  PetscFunctionBegin;
  PetscCall(UmbGanLoad((UmbGan)g->data, path));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode IsTrained_GAN(UmbGenerator g, PetscBool *trained)
{
  UmbGan gan = (UmbGan)g->data;

  PetscFunctionBegin;
  *trained = (PetscBool)(gan->have_networks && gan->xmean);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* the lifting network in inference mode (no derivative buffers): after training in the same
   run it may still be in training mode */
static PetscErrorCode Generate_GAN(UmbGenerator g, PetscInt m, const PetscReal z[], const PetscInt64 index[], PetscInt nrep, PetscReal x[])
{
  UmbGan gan = (UmbGan)g->data;

  PetscFunctionBegin;
  if (gan->Gl) PetscCall(UmbMLPSetTraining(gan->Gl, PETSC_FALSE));
  PetscCall(UmbGanGenerateReplicates(gan, m, z, index, nrep, x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode GetReplicates_GAN(UmbGenerator g, PetscInt *nrep)
{
  PetscFunctionBegin;
  PetscCall(UmbGanGetCalibrationReplicates((UmbGan)g->data, nrep));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode GenerateSeeds_GAN(UmbGenerator g, uint64_t id, PetscInt m, const PetscReal z[], PetscReal x[])
{
  PetscFunctionBegin;
  PetscCall(UmbGanGenerateSeeds((UmbGan)g->data, id, m, z, x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode GetRange_GAN(UmbGenerator g, PetscReal range[])
{
  PetscFunctionBegin;
  PetscCall(UmbGanGetRange((UmbGan)g->data, range));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorCreate_GAN(UmbGenerator g)
{
  UmbGan gan;

  PetscFunctionBegin;
  PetscCall(UmbGanCreate(g->cv, &gan));
  g->data                = gan;
  g->file                = "gan.h5";
  g->ops.setfromoptions  = SetFromOptions_GAN;
  g->ops.view            = View_GAN;
  g->ops.destroy         = Destroy_GAN;
  g->ops.setseed         = SetSeed_GAN;
  g->ops.setrestart      = SetRestart_GAN;
  g->ops.getgenerated    = GetGenerated_GAN;
  g->ops.checkgenerates  = CheckGenerates_GAN;
  g->ops.train           = Train_GAN;
  g->ops.load            = Load_GAN;
  g->ops.istrained       = IsTrained_GAN;
  g->ops.generate        = Generate_GAN;
  g->ops.getreplicates   = GetReplicates_GAN;
  g->ops.generateseeds   = GenerateSeeds_GAN;
  g->ops.getrange        = GetRange_GAN;
  PetscFunctionReturn(PETSC_SUCCESS);
}
