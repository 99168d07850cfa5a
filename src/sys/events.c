/* Log stages and events of every umbra stage, so -log_view shows where time goes. */
#include <umbra/sys.h>
#include <umbra/private/sysimpl.h>

UmbLogStages UMB_STAGE;
UmbLogEvents UMB_EVENT;
PetscClassId UMB_CLASSID;

PetscErrorCode UmbLogRegisterAll(void)
{
  PetscFunctionBegin;
  PetscCall(PetscClassIdRegister("umbra", &UMB_CLASSID));
  PetscCall(PetscLogStageRegister("Sample", &UMB_STAGE.sample));
  PetscCall(PetscLogStageRegister("FreeEnergy", &UMB_STAGE.fes));
  PetscCall(PetscLogStageRegister("Train", &UMB_STAGE.train));
  PetscCall(PetscLogStageRegister("Lift", &UMB_STAGE.lift));
  PetscCall(PetscLogStageRegister("Closure", &UMB_STAGE.closure));
  PetscCall(PetscLogStageRegister("DiffMap", &UMB_STAGE.dmap));
  PetscCall(PetscLogStageRegister("Exact", &UMB_STAGE.exact));
  PetscCall(PetscLogEventRegister("UmbSmpSetUp", UMB_CLASSID, &UMB_EVENT.smp_setup));
  PetscCall(PetscLogEventRegister("UmbSmpMinim", UMB_CLASSID, &UMB_EVENT.smp_minimize));
  PetscCall(PetscLogEventRegister("UmbSmpStep", UMB_CLASSID, &UMB_EVENT.smp_step));
  PetscCall(PetscLogEventRegister("UmbSmpWrite", UMB_CLASSID, &UMB_EVENT.smp_write));
  PetscCall(PetscLogEventRegister("UmbSmpIACT", UMB_CLASSID, &UMB_EVENT.smp_iact));
  PetscCall(PetscLogEventRegister("UmbExactQuad", UMB_CLASSID, &UMB_EVENT.exact_quad));
  PetscCall(PetscLogEventRegister("UmbH5Write", UMB_CLASSID, &UMB_EVENT.h5_write));
  PetscCall(PetscLogEventRegister("UmbH5Read", UMB_CLASSID, &UMB_EVENT.h5_read));
  PetscCall(PetscLogEventRegister("UmbCsvWrite", UMB_CLASSID, &UMB_EVENT.csv_write));
  PetscFunctionReturn(PETSC_SUCCESS);
}
