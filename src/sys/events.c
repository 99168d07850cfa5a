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
  PetscCall(PetscLogEventRegister("UmbSmpFlowMove", UMB_CLASSID, &UMB_EVENT.smp_flowmove));
  PetscCall(PetscLogEventRegister("UmbSmpFlowDens", UMB_CLASSID, &UMB_EVENT.smp_flowdens));
  PetscCall(PetscLogEventRegister("UmbExactQuad", UMB_CLASSID, &UMB_EVENT.exact_quad));
  PetscCall(PetscLogEventRegister("UmbH5Write", UMB_CLASSID, &UMB_EVENT.h5_write));
  PetscCall(PetscLogEventRegister("UmbH5Read", UMB_CLASSID, &UMB_EVENT.h5_read));
  PetscCall(PetscLogEventRegister("UmbCsvWrite", UMB_CLASSID, &UMB_EVENT.csv_write));
  PetscCall(PetscLogEventRegister("UmbFesRead", UMB_CLASSID, &UMB_EVENT.fes_read));
  PetscCall(PetscLogEventRegister("UmbFesSweep", UMB_CLASSID, &UMB_EVENT.fes_sweep));
  PetscCall(PetscLogEventRegister("UmbFesObjGrad", UMB_CLASSID, &UMB_EVENT.fes_objgrad));
  PetscCall(PetscLogEventRegister("UmbFesHess", UMB_CLASSID, &UMB_EVENT.fes_hess));
  PetscCall(PetscLogEventRegister("UmbFesCov", UMB_CLASSID, &UMB_EVENT.fes_cov));
  PetscCall(PetscLogEventRegister("UmbFesBoot", UMB_CLASSID, &UMB_EVENT.fes_boot));
  PetscCall(PetscLogEventRegister("UmbFesPMF", UMB_CLASSID, &UMB_EVENT.fes_pmf));
  PetscCall(PetscLogEventRegister("UmbFesDiag", UMB_CLASSID, &UMB_EVENT.fes_diag));
  PetscCall(PetscLogEventRegister("UmbFesExport", UMB_CLASSID, &UMB_EVENT.fes_export));
  PetscCall(PetscLogEventRegister("UmbFesImport", UMB_CLASSID, &UMB_EVENT.fes_import));
  PetscCall(PetscLogEventRegister("UmbNNForward", UMB_CLASSID, &UMB_EVENT.nn_forward));
  PetscCall(PetscLogEventRegister("UmbNNBackward", UMB_CLASSID, &UMB_EVENT.nn_backward));
  PetscCall(PetscLogEventRegister("UmbNNDblBack", UMB_CLASSID, &UMB_EVENT.nn_dblback));
  PetscCall(PetscLogEventRegister("UmbNNAdam", UMB_CLASSID, &UMB_EVENT.nn_adam));
  PetscCall(PetscLogEventRegister("UmbGanStep", UMB_CLASSID, &UMB_EVENT.gan_step));
  PetscCall(PetscLogEventRegister("UmbGanAllred", UMB_CLASSID, &UMB_EVENT.gan_allreduce));
  PetscCall(PetscLogEventRegister("UmbGanData", UMB_CLASSID, &UMB_EVENT.gan_data));
  PetscCall(PetscLogEventRegister("UmbGanValid", UMB_CLASSID, &UMB_EVENT.gan_valid));
  PetscCall(PetscLogEventRegister("UmbGanCkpt", UMB_CLASSID, &UMB_EVENT.gan_ckpt));
  PetscCall(PetscLogEventRegister("UmbLift", UMB_CLASSID, &UMB_EVENT.lift));
  PetscCall(PetscLogEventRegister("UmbGanCalib", UMB_CLASSID, &UMB_EVENT.gan_calibrate));
  PetscCall(PetscLogEventRegister("UmbFlowForward", UMB_CLASSID, &UMB_EVENT.flow_forward));
  PetscCall(PetscLogEventRegister("UmbFlowBackward", UMB_CLASSID, &UMB_EVENT.flow_backward));
  PetscCall(PetscLogEventRegister("UmbFlowStep", UMB_CLASSID, &UMB_EVENT.flow_step));
  PetscCall(PetscLogEventRegister("UmbFlowValid", UMB_CLASSID, &UMB_EVENT.flow_valid));
  PetscCall(PetscLogEventRegister("UmbFlowCkpt", UMB_CLASSID, &UMB_EVENT.flow_ckpt));
  PetscCall(PetscLogEventRegister("UmbFlowData", UMB_CLASSID, &UMB_EVENT.flow_data));
  PetscCall(PetscLogEventRegister("UmbFlowAllred", UMB_CLASSID, &UMB_EVENT.flow_allreduce));
  PetscCall(PetscLogEventRegister("UmbDmapRead", UMB_CLASSID, &UMB_EVENT.dmap_read));
  PetscCall(PetscLogEventRegister("UmbDmapBGH", UMB_CLASSID, &UMB_EVENT.dmap_bgh));
  PetscCall(PetscLogEventRegister("UmbDmapKNN", UMB_CLASSID, &UMB_EVENT.dmap_knn));
  PetscCall(PetscLogEventRegister("UmbDmapComp", UMB_CLASSID, &UMB_EVENT.dmap_comp));
  PetscCall(PetscLogEventRegister("UmbDmapKernel", UMB_CLASSID, &UMB_EVENT.dmap_kernel));
  PetscCall(PetscLogEventRegister("UmbDmapEigen", UMB_CLASSID, &UMB_EVENT.dmap_eigen));
  PetscCall(PetscLogEventRegister("UmbDmapScore", UMB_CLASSID, &UMB_EVENT.dmap_score));
  PetscCall(PetscLogEventRegister("UmbDmapWrite", UMB_CLASSID, &UMB_EVENT.dmap_write));
  PetscCall(PetscLogEventRegister("UmbDmapExt", UMB_CLASSID, &UMB_EVENT.dmap_ext));
  /* closures */
  PetscCall(PetscLogEventRegister("UmbCloRead", UMB_CLASSID, &UMB_EVENT.clo_read));
  PetscCall(PetscLogEventRegister("UmbCloPhysics", UMB_CLASSID, &UMB_EVENT.clo_phys));
  PetscCall(PetscLogEventRegister("UmbCloGenerator", UMB_CLASSID, &UMB_EVENT.clo_gan));
  PetscCall(PetscLogEventRegister("UmbCloTest", UMB_CLASSID, &UMB_EVENT.clo_test));
  PetscCall(PetscLogEventRegister("UmbCloSDE", UMB_CLASSID, &UMB_EVENT.clo_sde));
  PetscCall(PetscLogEventRegister("UmbCloDirect", UMB_CLASSID, &UMB_EVENT.clo_direct));
  PetscFunctionReturn(PETSC_SUCCESS);
}
