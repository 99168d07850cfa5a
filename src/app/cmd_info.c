/* umbra info FILE: what an umbra HDF5 file holds (kind, format, provenance, datasets, and the
   attributes of its groups: a generator's architecture and training record, for example). */
#include <umbra/private/app.h>

#define INFO_SMALL 8 /* datasets and attributes of at most this many numbers are printed in full */

/* n numbers of an attribute or dataset (integers or reals) as "v1,v2,..." */
static void PrintNumbers(hid_t type, hsize_t n, herr_t (*read)(hid_t, hid_t, void *), hid_t id)
{
  if (H5Tget_class(type) == H5T_INTEGER) {
    long long v[INFO_SMALL];
    if (read(id, H5T_NATIVE_LLONG, v) >= 0)
      for (hsize_t i = 0; i < n; i++) printf("%s%lld", i ? "," : "", v[i]);
  } else {
    double v[INFO_SMALL];
    if (read(id, H5T_NATIVE_DOUBLE, v) >= 0)
      for (hsize_t i = 0; i < n; i++) printf("%s%.6g", i ? "," : "", v[i]);
  }
}

static herr_t ReadAttribute(hid_t a, hid_t t, void *buf) { return H5Aread(a, t, buf); }
static herr_t ReadDataset(hid_t d, hid_t t, void *buf) { return H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf); }

static herr_t PrintAttribute(hid_t loc, const char *name, const H5A_info_t *ainfo, void *ctx)
{
  hid_t    a = H5Aopen(loc, name, H5P_DEFAULT), type = H5Aget_type(a), space = H5Aget_space(a);
  hssize_t n = H5Sget_simple_extent_npoints(space);

  (void)ainfo;
  (void)ctx;
  printf("      %s = ", name);
  if (H5Tget_class(type) == H5T_STRING) {
    char buf[1024] = "";
    if (H5Tis_variable_str(type) > 0) {
      char *v = NULL;
      hid_t mt = H5Tcopy(H5T_C_S1);
      H5Tset_size(mt, H5T_VARIABLE);
      if (H5Aread(a, mt, &v) >= 0 && v) snprintf(buf, sizeof(buf), "%s", v);
      if (v) H5free_memory(v);
      H5Tclose(mt);
    } else {
      size_t len = H5Tget_size(type);
      hid_t  mt  = H5Tcopy(H5T_C_S1);
      if (len < sizeof(buf)) {
        H5Tset_size(mt, len);
        if (H5Aread(a, mt, buf) >= 0) buf[len] = 0;
      }
      H5Tclose(mt);
    }
    printf("%s", buf);
  } else if (n >= 1 && n <= INFO_SMALL) PrintNumbers(type, (hsize_t)n, ReadAttribute, a);
  else printf("(%lld values)", (long long)n);
  printf("\n");
  H5Sclose(space);
  H5Tclose(type);
  H5Aclose(a);
  return 0;
}

static herr_t PrintObject(hid_t obj, const char *name, const H5O_info_t *info, void *ctx)
{
  (void)ctx;
  if (info->type == H5O_TYPE_DATASET) {
    hid_t    dset = H5Dopen2(obj, name, H5P_DEFAULT), space = H5Dget_space(dset), type = H5Dget_type(dset);
    hsize_t  dims[8];
    int      r = H5Sget_simple_extent_dims(space, dims, NULL);
    hssize_t n = H5Sget_simple_extent_npoints(space);
    printf("  /%s  [", name);
    for (int i = 0; i < r; i++) printf("%s%llu", i ? " x " : "", (unsigned long long)dims[i]);
    printf("]");
    if (n >= 1 && n <= INFO_SMALL && (H5Tget_class(type) == H5T_FLOAT || H5Tget_class(type) == H5T_INTEGER)) {
      printf(" = ");
      PrintNumbers(type, (hsize_t)n, ReadDataset, dset);
    }
    printf("\n");
    H5Tclose(type);
    H5Sclose(space);
    H5Dclose(dset);
  } else if (info->type == H5O_TYPE_GROUP && strcmp(name, ".") && strncmp(name, "provenance", 10)) {
    hid_t   g = H5Gopen2(obj, name, H5P_DEFAULT);
    hsize_t idx = 0;
    printf("  /%s/\n", name);
    H5Aiterate2(g, H5_INDEX_NAME, H5_ITER_INC, &idx, PrintAttribute, NULL);
    H5Gclose(g);
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
