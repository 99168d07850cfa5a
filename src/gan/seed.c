/* Lifted starting states for the walkers of new umbrella windows (coupling rounds): the same
   generator as UmbGanGenerate, with latent noise from a stream of its own. */
#include <umbra/private/ganimpl.h>
#include <umbra/rng.h>

PetscErrorCode UmbGanGenerateSeeds(UmbGan gan, uint64_t id, PetscInt m, const PetscReal z[], PetscReal x[])
{
  PetscReal *eta, *work;
  UmbStream  stream;

  PetscFunctionBegin;
  PetscCheck(gan->have_networks && gan->xmean, PETSC_COMM_SELF, PETSC_ERR_ORDER, "UmbGanGenerateSeeds needs trained or loaded networks (UmbGanTrain or UmbGanLoad)");
  UmbStreamInit(&stream, (uint64_t)gan->seed, UMB_STREAM_COUPLING, id);
  PetscCall(UmbMLPSetTraining(gan->Gl, PETSC_FALSE));
  PetscCall(PetscMalloc2(UMB_GAN_BLOCK * gan->latent, &eta, UMB_GAN_LIFT_WORK(gan), &work));
  for (PetscInt i0 = 0; i0 < m; i0 += UMB_GAN_BLOCK) {
    const PetscInt b = PetscMin(UMB_GAN_BLOCK, m - i0);
    for (PetscInt i = 0; i < b; i++) UmbStreamGaussian(&stream, (uint64_t)(i0 + i), 0, (int)gan->latent, eta + i * gan->latent);
    PetscCall(UmbGanLiftBlock(gan, b, z + i0 * gan->d, eta, 0, 0, work, x + i0 * gan->n));
  }
  PetscCall(PetscFree2(eta, work));
  PetscFunctionReturn(PETSC_SUCCESS);
}
