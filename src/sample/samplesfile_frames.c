/* samples.h5 as the sampler writes it: window after window, walker after walker, frame after
   frame, so h5py reads one window's samples in one slice (rows offset[k] .. offset[k+1]-1). A
   chunk of steps writes frames [f0, f1) of every walker of the rank's windows in one collective
   call; a restart reads them back. */
#include <umbra/private/samplesfileimpl.h>

static PetscErrorCode FramesIO(UmbSamplesFile sf, UmbSamplesArray a, PetscInt klo, PetscInt khi, PetscInt walkers, PetscInt64 nsave, PetscInt64 F, PetscInt64 f0, PetscInt64 f1, PetscReal *buf, PetscBool write)
{
  const char *name = UmbSamplesArrayNames[a];
  hid_t       file, dset, fspace, mspace, dxpl;
  hsize_t     nsel = 0, ncol, dims[2];
  herr_t      status;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.smp_write, 0, 0, 0, 0));
  PetscCall(UmbH5GetId(sf->h5, &file));
  UmbCallHDF5Id(dset, H5Dopen2(file, name, H5P_DEFAULT));
  UmbCallHDF5Id(fspace, H5Dget_space(dset));
  UmbCallHDF5(H5Sget_simple_extent_dims(fspace, dims, NULL));
  ncol = dims[1];
  UmbCallHDF5(H5Sselect_none(fspace));
  for (PetscInt k = klo; k < khi && f1 > f0; k++) {
    hsize_t start[2]  = {(hsize_t)((PetscInt64)k * walkers * nsave + f0), 0};
    hsize_t stride[2] = {(hsize_t)nsave, 1};
    hsize_t count[2]  = {(hsize_t)walkers, 1};
    hsize_t block[2]  = {(hsize_t)(f1 - f0), ncol};
    UmbCallHDF5(H5Sselect_hyperslab(fspace, H5S_SELECT_OR, start, stride, count, block));
    nsel += (hsize_t)walkers * (hsize_t)(f1 - f0);
  }
  {
    /* the buffer holds F frames per walker, of which f1 - f0 are filled */
    const hsize_t nblocks = (hsize_t)((khi - klo) * walkers);
    hsize_t       mdims[2] = {nblocks * (hsize_t)F + 1, ncol};
    hsize_t       start[2] = {0, 0}, stride[2] = {(hsize_t)F, 1}, count[2] = {nblocks, 1}, block[2] = {(hsize_t)(f1 - f0), ncol};
    UmbCallHDF5Id(mspace, H5Screate_simple(2, mdims, NULL));
    if (nsel) UmbCallHDF5(H5Sselect_hyperslab(mspace, H5S_SELECT_SET, start, stride, count, block));
    else UmbCallHDF5(H5Sselect_none(mspace));
  }
  PetscCall(UmbH5TransferList(sf->h5, &dxpl));
  status = write ? H5Dwrite(dset, H5T_NATIVE_DOUBLE, mspace, fspace, dxpl, buf) : H5Dread(dset, H5T_NATIVE_DOUBLE, mspace, fspace, dxpl, buf);
  PetscCall(UmbH5CheckIO(sf->h5, name, write, status));
  UmbCallHDF5(H5Pclose(dxpl));
  UmbCallHDF5(H5Sclose(mspace));
  UmbCallHDF5(H5Sclose(fspace));
  UmbCallHDF5(H5Dclose(dset));
  PetscCall(PetscLogEventEnd(UMB_EVENT.smp_write, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileWriteFrames(UmbSamplesFile sf, UmbSamplesArray a, PetscInt klo, PetscInt khi, PetscInt walkers, PetscInt64 nsave, PetscInt64 F, PetscInt64 f0, PetscInt64 f1, const PetscReal *buf)
{
  PetscFunctionBegin;
  PetscCall(FramesIO(sf, a, klo, khi, walkers, nsave, F, f0, f1, (PetscReal *)buf, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileReadFrames(UmbSamplesFile sf, UmbSamplesArray a, PetscInt klo, PetscInt khi, PetscInt walkers, PetscInt64 nsave, PetscInt64 F, PetscInt64 f0, PetscInt64 f1, PetscReal *buf)
{
  PetscFunctionBegin;
  PetscCall(FramesIO(sf, a, klo, khi, walkers, nsave, F, f0, f1, buf, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}
