/* umbra info FILE: what an umbra HDF5 file holds (kind, format, provenance, datasets). */
#include <umbra/private/app.h>

static herr_t PrintObject(hid_t obj, const char *name, const H5O_info_t *info, void *ctx)
{
  if (info->type == H5O_TYPE_DATASET) {
    hid_t   dset = H5Dopen2(obj, name, H5P_DEFAULT), space = H5Dget_space(dset);
    hsize_t dims[8];
    int     r = H5Sget_simple_extent_dims(space, dims, NULL);
    printf("  /%s  [", name);
    for (int i = 0; i < r; i++) printf("%s%llu", i ? " x " : "", (unsigned long long)dims[i]);
    printf("]\n");
    H5Sclose(space);
    H5Dclose(dset);
  } else if (info->type == H5O_TYPE_GROUP && strcmp(name, ".")) printf("  /%s/\n", name);
  return 0;
}

PetscErrorCode UmbCommandInfo(MPI_Comm comm, const char file[])
{
  UmbH5       h5;
  hid_t       id;
  PetscMPIInt rank;
  char        value[4096];
  const char *keys[] = {"version", "command", "ranks", "date", "host", "libraries", "options"};

  PetscFunctionBegin;
  PetscCheck(file && file[0], comm, PETSC_ERR_USER_INPUT, "usage: umbra info FILE.h5");
  PetscCall(UmbOptionsCheckUnused(comm));
  PetscCall(UmbH5Open(comm, file, NULL, &h5));
  PetscCall(UmbH5GetId(h5, &id));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(UmbH5ReadAttrString(h5, "/", "umbra_kind", value, sizeof(value)));
  if (!rank) printf("%s: umbra %s file", file, value);
  PetscCall(UmbH5ReadAttrString(h5, "/", "umbra_format", value, sizeof(value)));
  if (!rank) printf(", format %s\n", value);
  for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
    PetscCall(UmbH5ReadAttrString(h5, "/provenance", keys[i], value, sizeof(value)));
    if (!rank) printf("  %-10s %s\n", keys[i], value);
  }
  if (!rank) {
    printf("contents:\n");
    UmbCallHDF5(H5Ovisit(id, H5_INDEX_NAME, H5_ITER_INC, PrintObject, NULL));
    fflush(stdout);
  }
  PetscCall(UmbH5Close(&h5, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}
