/* Exploratory sampling before a diffusion map (`umbra run` with -cv dmap and no map yet).

   W = -dmap_explore_walkers independent walkers of the unbiased overdamped Langevin SDE
   dX = -M grad U dt + sqrt(2 M / beta) dW, Euler-Maruyama with the sampler's time step -us_dt,
   each for -dmap_explore_steps steps from the model's reference state, save F = ceil(frames / W)
   states each (-dmap_explore_frames in all, rounded up to a multiple of W), every
   stride = floor(steps / F) steps. The walkers are spread over the ranks in blocks; the noise of
   walker w at step t is the Gaussian sequence of the Philox stream (seed, UMB_STREAM_DMAP, 3) at
   counter (w, t), so the states do not depend on the rank count. Euler-Maruyama's O(dt) bias of
   the invariant measure does not matter here: the states only have to cover the accessible
   region (alpha = 1 removes their density from the map). Written as a samples-kind HDF5 file
   holding /samples/x (walker after walker, frame after frame), the input of the map. */
#include <umbra/private/dmapimpl.h>
#include <umbra/rng.h>
#include <umbra/sampler.h>
#include <umbra/samplesfile.h>

PetscErrorCode UmbDmapExplore(UmbDmap dm, const char path[])
{
  PetscInt         n, wlo, whi, F, stride;
  const PetscReal *mob;
  PetscReal        beta, bound, *x, *g, *xi, *out, *sig;
  UmbStream        s;
  UmbSamplesFile   sf;
  UmbModelType     type;
  UmbProgress      prog;
  PetscInt64       bad = -1, gbad;

  PetscFunctionBegin;
  PetscCheck(dm->model, dm->comm, PETSC_ERR_ORDER, "UmbDmapExplore needs the model (UmbDmapSetModel)");
  PetscCall(PetscLogStagePush(UMB_STAGE.dmap));
  PetscCall(UmbModelGetDimension(dm->model, &n));
  PetscCall(UmbModelGetMobility(dm->model, &mob));
  PetscCall(UmbModelGetBeta(dm->model, &beta));
  PetscCall(UmbModelGetDomainBound(dm->model, &bound));
  F      = (dm->explore_frames + dm->explore_walkers - 1) / dm->explore_walkers;
  stride = (PetscInt)PetscMax(1, dm->explore_steps / F);
  PetscCheck((PetscInt64)stride * F <= dm->explore_steps, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_explore_steps %" PetscInt64_FMT " is fewer than the %" PetscInt_FMT " frames per walker that -dmap_explore_frames %" PetscInt_FMT " over %" PetscInt_FMT " walkers needs", dm->explore_steps, F, dm->explore_frames, dm->explore_walkers);
  UmbLayoutRange(dm->explore_walkers, dm->size, dm->rank, &wlo, &whi);
  PetscCall(UmbLog(dm->comm, "dmap exploration: %" PetscInt_FMT " unbiased walkers x %" PetscInt64_FMT " steps (dt %g), %" PetscInt_FMT " states each -> %s", dm->explore_walkers, (PetscInt64)stride * F, (double)dm->explore_dt, F, path));
  PetscCall(PetscMalloc5(n, &x, n, &g, n, &xi, (size_t)(whi - wlo) * F * n + 1, &out, n, &sig));
  for (PetscInt i = 0; i < n; i++) sig[i] = PetscSqrtReal(2 * mob[i] * dm->explore_dt / beta);
  UmbStreamInit(&s, (uint64_t)dm->seed, UMB_STREAM_DMAP, 3);
  PetscCall(UmbProgressCreate(dm->comm, "dmap exploration", "walker-steps", (double)(whi - wlo) * stride * F, &prog));
  for (PetscInt w = wlo; w < whi && bad < 0; w++) {
    PetscCall(UmbModelGetReferenceState(dm->model, x));
    for (PetscInt64 t = 0; t < (PetscInt64)stride * F; t++) {
      PetscCall(UmbModelEnergyGradient(dm->model, 1, x, NULL, g));
      UmbStreamGaussian(&s, (uint64_t)w, (uint64_t)t, (int)n, xi);
      for (PetscInt i = 0; i < n; i++) x[i] += -mob[i] * g[i] * dm->explore_dt + sig[i] * xi[i];
      if ((t + 1) % stride == 0) {
        PetscInt f = (PetscInt)((t + 1) / stride - 1);
        for (PetscInt i = 0; i < n; i++)
          if (!(PetscAbsReal(x[i]) <= bound)) bad = w;
        if (bad >= 0) break;
        PetscCall(PetscArraycpy(out + ((size_t)(w - wlo) * F + f) * n, x, n));
        if ((f & 63) == 63) PetscCall(UmbProgressUpdate(prog, (double)(w - wlo) * stride * F + (double)(t + 1)));
      }
    }
  }
  PetscCall(UmbProgressFinish(prog));
  PetscCall(UmbProgressDestroy(&prog));
  PetscCallMPI(MPI_Allreduce(&bad, &gbad, 1, MPIU_INT64, MPI_MAX, dm->comm));
  if (gbad >= 0) {
    PetscCall(PetscFree5(x, g, xi, out, sig));
    PetscCall(PetscLogStagePop());
    SETERRQ(dm->comm, PETSC_ERR_USER_INPUT, "dmap exploration: walker %" PetscInt64_FMT " left the model's domain (|x| > %g): the time step -us_dt %g is too large for unbiased dynamics", gbad, (double)bound, (double)dm->explore_dt);
  }
  PetscCall(UmbSamplesFileCreate(dm->comm, path, PETSC_FALSE, &sf));
  PetscCall(UmbSamplesFileCreateArrays(sf, (PetscInt64)dm->explore_walkers * F, n, 0));
  PetscCall(UmbSamplesFileWriteRows(sf, UMB_SAMPLES_X, (PetscInt64)wlo * F, (PetscInt64)(whi - wlo) * F, out));
  PetscCall(UmbModelGetType(dm->model, &type));
  PetscCall(UmbSamplesFileWriteUnbiased(sf, type, "dmap exploration (unbiased Euler-Maruyama)", dm->explore_walkers, F, stride, dm->seed, dm->explore_dt, beta));
  PetscCall(UmbSamplesFileClose(&sf, PETSC_TRUE));
  PetscCall(PetscFree5(x, g, xi, out, sig));
  PetscCall(PetscLogStagePop());
  PetscFunctionReturn(PETSC_SUCCESS);
}
