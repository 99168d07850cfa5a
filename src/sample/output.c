/* samples.h5 as the sampler writes it: window after window, walker after walker, frame after
   frame, so h5py reads one window's samples in one slice (rows offset[k] .. offset[k+1]-1). */
#include <umbra/private/samplerimpl.h>
#include <umbra/private/sampleoutimpl.h>
#include <umbra/io.h>

PetscErrorCode UmbSamplesFileCreate(UmbSampler s, const char path[], PetscInt64 nsave, UmbH5 *h5)
{
  const PetscInt64 per = (PetscInt64)s->walkers * nsave, N = per * s->K;
  hsize_t          dims[2];
  long long       *offset;
  const char      *name;
  UmbModelType     mtype;
  UmbCVType        cvtype;
  PetscReal        beta, period[2] = {0, 0};
  char             names[256] = "";

  PetscFunctionBegin;
  PetscCall(UmbH5CreatePartial(s->comm, path, "samples", h5)); /* samples.h5.partial until the end */
  dims[0] = (hsize_t)N;
  dims[1] = (hsize_t)s->n;
  PetscCall(UmbH5CreateDataset(*h5, "/samples/x", H5T_IEEE_F64LE, 2, dims));
  dims[1] = (hsize_t)s->d;
  PetscCall(UmbH5CreateDataset(*h5, "/samples/z", H5T_IEEE_F64LE, 2, dims));
  dims[0] = (hsize_t)s->K;
  dims[1] = (hsize_t)s->d;
  PetscCall(UmbH5WriteSmall(*h5, "/windows/center", H5T_NATIVE_DOUBLE, 2, dims, s->center));
  PetscCall(UmbH5WriteSmall(*h5, "/windows/kappa", H5T_NATIVE_DOUBLE, 2, dims, s->kappa));
  PetscCall(PetscMalloc1(s->K + 1, &offset));
  for (PetscInt k = 0; k <= s->K; k++) offset[k] = (long long)k * per;
  dims[0] = (hsize_t)(s->K + 1);
  PetscCall(UmbH5WriteSmall(*h5, "/windows/offset", H5T_NATIVE_LLONG, 1, dims, offset));
  PetscCall(PetscFree(offset));

  /* what a reader needs to interpret the samples without the options */
  PetscCall(UmbModelGetType(s->model, &mtype));
  PetscCall(UmbModelGetBeta(s->model, &beta));
  PetscCall(UmbCVGetType(s->cv, &cvtype));
  PetscCall(UmbCVGetPeriod(s->cv, period));
  PetscCall(UmbH5WriteAttrString(*h5, "/samples", "model", mtype));
  PetscCall(UmbH5WriteAttrString(*h5, "/samples", "cv", cvtype));
  for (PetscInt a = 0; a < s->d; a++) {
    PetscCall(UmbCVGetName(s->cv, a, &name));
    PetscCall(PetscStrlcat(names, a ? "," : "", sizeof(names)));
    PetscCall(PetscStrlcat(names, name, sizeof(names)));
  }
  PetscCall(UmbH5WriteAttrString(*h5, "/samples", "cv_names", names));
  names[0] = 0;
  for (PetscInt i = 0; i < s->n; i++) {
    PetscCall(UmbModelGetCoordinateName(s->model, i, &name));
    PetscCall(PetscStrlcat(names, i ? "," : "", sizeof(names)));
    PetscCall(PetscStrlcat(names, name, sizeof(names)));
  }
  PetscCall(UmbH5WriteAttrString(*h5, "/samples", "coordinates", names));
  PetscCall(UmbH5WriteAttrReals(*h5, "/samples", "beta", 1, &beta));
  PetscCall(UmbH5WriteAttrReals(*h5, "/samples", "cv_period", s->d, period));
  {
    const char *const keys[]  = {"walkers", "stride", "frames_per_walker", "steps", "burnin", "seed"};
    const PetscInt64  vals[6] = {s->walkers, s->stride, nsave, s->steps, s->burnin, s->seed};
    for (int i = 0; i < 6; i++) PetscCall(UmbH5WriteAttrInt(*h5, "/windows", keys[i], vals[i]));
    PetscCall(UmbH5WriteAttrReals(*h5, "/windows", "dt", 1, &s->dt));
    PetscCall(UmbH5WriteAttrString(*h5, "/windows", "integrator", UmbIntegrators[s->integrator]));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode FramesIO(UmbSampler s, UmbH5 h5, const char name[], PetscInt ncol, PetscInt64 nsave, PetscInt64 F, PetscInt64 f0, PetscInt64 f1, PetscReal *buf, PetscBool write)
{
  hid_t   file, dset, fspace, mspace, dxpl;
  hsize_t nsel = 0;
  herr_t  status;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.smp_write, 0, 0, 0, 0));
  PetscCall(UmbH5GetId(h5, &file));
  UmbCallHDF5Id(dset, H5Dopen2(file, name, H5P_DEFAULT));
  UmbCallHDF5Id(fspace, H5Dget_space(dset));
  UmbCallHDF5(H5Sselect_none(fspace));
  for (PetscInt k = s->klo; k < s->khi && f1 > f0; k++) {
    hsize_t start[2]  = {(hsize_t)((PetscInt64)k * s->walkers * nsave + f0), 0};
    hsize_t stride[2] = {(hsize_t)nsave, 1};
    hsize_t count[2]  = {(hsize_t)s->walkers, 1};
    hsize_t block[2]  = {(hsize_t)(f1 - f0), (hsize_t)ncol};
    UmbCallHDF5(H5Sselect_hyperslab(fspace, H5S_SELECT_OR, start, stride, count, block));
    nsel += (hsize_t)s->walkers * (hsize_t)(f1 - f0);
  }
  {
    /* the buffer holds F frames per walker, of which f1 - f0 are filled */
    const hsize_t nblocks = (hsize_t)((s->khi - s->klo) * s->walkers);
    hsize_t       mdims[2] = {nblocks * (hsize_t)F + 1, (hsize_t)ncol};
    hsize_t       start[2] = {0, 0}, stride[2] = {(hsize_t)F, 1}, count[2] = {nblocks, 1}, block[2] = {(hsize_t)(f1 - f0), (hsize_t)ncol};
    UmbCallHDF5Id(mspace, H5Screate_simple(2, mdims, NULL));
    if (nsel) UmbCallHDF5(H5Sselect_hyperslab(mspace, H5S_SELECT_SET, start, stride, count, block));
    else UmbCallHDF5(H5Sselect_none(mspace));
  }
  UmbCallHDF5Id(dxpl, H5Pcreate(H5P_DATASET_XFER));
  UmbCallHDF5(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE));
  status = write ? H5Dwrite(dset, H5T_NATIVE_DOUBLE, mspace, fspace, dxpl, buf) : H5Dread(dset, H5T_NATIVE_DOUBLE, mspace, fspace, dxpl, buf);
  PetscCall(UmbH5CheckIO(h5, name, write, status));
  UmbCallHDF5(H5Pclose(dxpl));
  UmbCallHDF5(H5Sclose(mspace));
  UmbCallHDF5(H5Sclose(fspace));
  UmbCallHDF5(H5Dclose(dset));
  PetscCall(PetscLogEventEnd(UMB_EVENT.smp_write, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective: writes frames [f0, f1) of every walker of the local windows from buf, laid out
   [local window][walker][F frames][component] with ncol components. */
PetscErrorCode UmbSamplesWriteFrames(UmbSampler s, UmbH5 h5, const char name[], PetscInt ncol, PetscInt64 nsave, PetscInt64 F, PetscInt64 f0, PetscInt64 f1, const PetscReal *buf)
{
  PetscFunctionBegin;
  PetscCall(FramesIO(s, h5, name, ncol, nsave, F, f0, f1, (PetscReal *)buf, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective: the inverse, for a restart */
PetscErrorCode UmbSamplesReadFrames(UmbSampler s, UmbH5 h5, const char name[], PetscInt ncol, PetscInt64 nsave, PetscInt64 F, PetscInt64 f0, PetscInt64 f1, PetscReal *buf)
{
  PetscFunctionBegin;
  PetscCall(FramesIO(s, h5, name, ncol, nsave, F, f0, f1, buf, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective: per-window counts and IACTs (K-vectors known on every rank) into samples.h5 */
PetscErrorCode UmbSamplesWriteWindowStats(UmbSampler s, UmbH5 h5, const PetscReal iact[], PetscInt64 per_window)
{
  hsize_t    dims[1] = {(hsize_t)s->K};
  long long *counts;

  PetscFunctionBegin;
  PetscCall(UmbH5WriteSmall(h5, "/windows/iact", H5T_NATIVE_DOUBLE, 1, dims, iact));
  PetscCall(PetscMalloc1(s->K, &counts));
  for (PetscInt k = 0; k < s->K; k++) counts[k] = (long long)per_window;
  PetscCall(UmbH5WriteSmall(h5, "/windows/n_samples", H5T_NATIVE_LLONG, 1, dims, counts));
  PetscCall(PetscFree(counts));
  PetscFunctionReturn(PETSC_SUCCESS);
}
