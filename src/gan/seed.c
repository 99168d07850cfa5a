/* Lifted starting states for the walkers of new umbrella windows (coupling rounds): the same
   generator as UmbGanGenerate, with latent noise from a stream of its own. */
#include <umbra/private/ganimpl.h>
#include <umbra/rng.h>

PetscErrorCode UmbGanGenerateSeeds(UmbGan gan, uint64_t id, PetscInt m, const PetscReal z[], PetscReal x[])
{
  PetscReal *zf, *eta, *xf;
  UmbStream  stream;

  PetscFunctionBegin;
  PetscCheck(gan->have_networks && gan->xmean, PETSC_COMM_SELF, PETSC_ERR_ORDER, "UmbGanGenerateSeeds needs trained or loaded networks (UmbGanTrain or UmbGanLoad)");
  UmbStreamInit(&stream, (uint64_t)gan->seed, UMB_STREAM_COUPLING, id);
  PetscCall(UmbMLPSetTraining(gan->Gl, PETSC_FALSE));
  PetscCall(PetscMalloc3(UMB_GAN_BLOCK * gan->dz, &zf, UMB_GAN_BLOCK * gan->latent, &eta, UMB_GAN_BLOCK * gan->ng, &xf));
  for (PetscInt i0 = 0; i0 < m; i0 += UMB_GAN_BLOCK) {
    const PetscInt b = PetscMin(UMB_GAN_BLOCK, m - i0);
    for (PetscInt i = 0; i < b; i++) UmbStreamGaussian(&stream, (uint64_t)(i0 + i), 0, (int)gan->latent, eta + i * gan->latent);
    UmbGanFeatures(gan, b, z + i0 * gan->d, zf);
    PetscCall(UmbGanGeneratorForward(gan, gan->Gl, b, zf, gan->dz, eta, xf));
    UmbGanCalibrateApply(gan, -1, b, z + i0 * gan->d, xf);
    UmbGanAssemble(gan, b, xf, z + i0 * gan->d, x + i0 * gan->n);
  }
  PetscCall(PetscFree3(zf, eta, xf));
  PetscFunctionReturn(PETSC_SUCCESS);
}
