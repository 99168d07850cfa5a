/* A well-formed HDF5 file from fuzz bytes, for the structured HDF5 targets: the bytes choose
   datasets and attributes by name from the names umbra's readers use, their types, shapes and
   values (with NaN, infinities, huge and negative numbers among them). libhdf5 writes the file, so
   the reader sees a valid file with wrong contents: this tests umbra's checks, not libhdf5's parser.

   Encoding, after the caller's own leading bytes: records until the input ends, each
     op:       bit 0: dataset (0) or attribute (1); bit 1: file 0 or 1; bits 2-7 pick the name
     dataset:  type byte, rank byte (0-3), one byte per dimension, then one byte per value
     attribute: object byte, type byte, count byte (0: scalar), one byte per value (strings:
                 the bytes themselves) */
#ifndef UMBRA_FUZZ_H5GEN_H
#define UMBRA_FUZZ_H5GEN_H

#include "fuzz.h"
#include <math.h>

typedef struct {
  const uint8_t *p, *end;
} FuzzBytes;

static unsigned FuzzByte(FuzzBytes *b) { return b->p < b->end ? *b->p++ : 0; }

/* a value: small integers, or one of the numbers readers must survive */
static double FuzzNumber(unsigned v)
{
  static const double special[16] = {0, -1, NAN, INFINITY, -INFINITY, 1e300, -1e300, 4.9e-324, 2147483648.0, 4294967296.0, 9.3e18, -9.3e18, 0.5, 1e-9, 65536, -2147483649.0};
  return v < 16 ? special[v] : (double)v - 16;
}

static hsize_t FuzzDim(unsigned v)
{
  static const hsize_t huge[8] = {16, 64, 1000, 65536, (hsize_t)1 << 31, ((hsize_t)1 << 32) + 1, (hsize_t)1 << 40, (hsize_t)1 << 60};
  return v < 248 ? v % 8 : huge[v - 248];
}

static hid_t FuzzType(unsigned v)
{
  switch (v % 5) {
  case 0: return H5T_NATIVE_DOUBLE;
  case 1: return H5T_NATIVE_LLONG;
  case 2: return H5T_NATIVE_INT;
  case 3: return H5T_NATIVE_FLOAT;
  default: return H5T_NATIVE_UCHAR;
  }
}

/* creates name's missing parent groups */
static hid_t FuzzLinkList(void)
{
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  return lcpl;
}

static void FuzzDataset(hid_t file, const char name[], FuzzBytes *b)
{
  hid_t   type = FuzzType(FuzzByte(b)), space, dset, lcpl;
  int     rank = (int)(FuzzByte(b) % 4);
  hsize_t dims[3] = {1, 1, 1}, n = 1;

  for (int i = 0; i < rank; i++) {
    dims[i] = FuzzDim(FuzzByte(b));
    n = dims[i] && n > ((hsize_t)1 << 62) / dims[i] ? ((hsize_t)1 << 62) : n * dims[i];
  }
  if (H5Lexists(file, "/", H5P_DEFAULT) <= 0) return;
  space = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
  lcpl  = FuzzLinkList();
  H5E_BEGIN_TRY { dset = H5Dcreate2(file, name, H5T_NATIVE_DOUBLE, space, lcpl, H5P_DEFAULT, H5P_DEFAULT); }
  H5E_END_TRY;
  /* small datasets get values; large ones stay unwritten (read as the fill value 0) */
  if (dset >= 0 && n <= 4096) {
    double *v = malloc((size_t)(n ? n : 1) * sizeof(double));
    for (hsize_t i = 0; i < n; i++) v[i] = FuzzNumber(FuzzByte(b));
    if (type == H5T_NATIVE_DOUBLE) H5Dwrite(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    else { /* stored as another type: recreate it with that type and convert */
      H5Dclose(dset);
      H5Ldelete(file, name, H5P_DEFAULT);
      H5E_BEGIN_TRY { dset = H5Dcreate2(file, name, type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT); }
      H5E_END_TRY;
      if (dset >= 0) {
        hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
        H5E_BEGIN_TRY { H5Dwrite(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, dxpl, v); }
        H5E_END_TRY;
        H5Pclose(dxpl);
      }
    }
    free(v);
  }
  if (dset >= 0) H5Dclose(dset);
  H5Pclose(lcpl);
  H5Sclose(space);
}

static void FuzzAttribute(hid_t file, const char obj[], const char name[], FuzzBytes *b)
{
  unsigned t = FuzzByte(b) % 3, count = FuzzByte(b) % 32;
  hid_t    o, space, type, attr;
  hsize_t  n = count;

  if (H5Lexists(file, "/", H5P_DEFAULT) <= 0) return;
  H5E_BEGIN_TRY
  {
    o = strcmp(obj, "/") ? H5Oopen(file, obj, H5P_DEFAULT) : H5Oopen(file, "/", H5P_DEFAULT);
    if (o < 0) {
      hid_t lcpl = FuzzLinkList();
      hid_t g    = H5Gcreate2(file, obj, lcpl, H5P_DEFAULT, H5P_DEFAULT);
      H5Pclose(lcpl);
      if (g >= 0) H5Gclose(g);
      o = H5Oopen(file, obj, H5P_DEFAULT);
    }
  }
  H5E_END_TRY;
  if (o < 0) return;
  H5E_BEGIN_TRY { H5Adelete(o, name); }
  H5E_END_TRY;
  if (t == 0) { /* a fixed-length string of count bytes, not always terminated */
    char s[33] = "";
    for (unsigned i = 0; i < count; i++) s[i] = (char)FuzzByte(b);
    type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, count ? count : 1);
    H5Tset_strpad(type, (count & 1) ? H5T_STR_NULLPAD : H5T_STR_NULLTERM);
    space = H5Screate(H5S_SCALAR);
    if ((attr = H5Acreate2(o, name, type, space, H5P_DEFAULT, H5P_DEFAULT)) >= 0) {
      H5Awrite(attr, type, s);
      H5Aclose(attr);
    }
    H5Tclose(type);
  } else {
    double v[32];
    for (unsigned i = 0; i < (count ? count : 1); i++) v[i] = FuzzNumber(FuzzByte(b));
    space = count ? H5Screate_simple(1, &n, NULL) : H5Screate(H5S_SCALAR);
    type  = t == 1 ? H5T_NATIVE_DOUBLE : H5T_NATIVE_LLONG;
    if ((attr = H5Acreate2(o, name, type, space, H5P_DEFAULT, H5P_DEFAULT)) >= 0) {
      H5E_BEGIN_TRY { H5Awrite(attr, H5T_NATIVE_DOUBLE, v); }
      H5E_END_TRY;
      H5Aclose(attr);
    }
  }
  H5Sclose(space);
  H5Oclose(o);
}

static void FuzzWriteRootString(hid_t file, const char name[], const char value[])
{
  hid_t type = H5Tcopy(H5T_C_S1), space = H5Screate(H5S_SCALAR), attr;
  H5Tset_size(type, strlen(value) + 1);
  if ((attr = H5Acreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT)) >= 0) {
    H5Awrite(attr, type, value);
    H5Aclose(attr);
  }
  H5Sclose(space);
  H5Tclose(type);
}

/* Writes up to two files from the records in b; a file with a kind starts as an umbra file of
   that kind (format 1.0), which records may change. names, objects and attrs are the tables the
   records choose from (NULL-terminated). Returns 0, or 1 if a file cannot be created. */
static int FuzzWriteH5(FuzzBytes *b, const char *const paths[2], const char *const kinds[2], const char *const names[], const char *const objects[], const char *const attrs[])
{
  hid_t  files[2] = {-1, -1};
  size_t nn = 0, no = 0, na = 0;

  while (names[nn]) nn++;
  while (objects[no]) no++;
  while (attrs[na]) na++;
  for (int f = 0; f < 2; f++)
    if (paths[f]) {
      if ((files[f] = H5Fcreate(paths[f], H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)) < 0) return 1;
      if (kinds[f]) {
        FuzzWriteRootString(files[f], "umbra_format", "1.0");
        FuzzWriteRootString(files[f], "umbra_kind", kinds[f]);
      }
    }
  while (b->p < b->end) {
    unsigned op = FuzzByte(b);
    hid_t    file = files[(op >> 1) & 1] >= 0 ? files[(op >> 1) & 1] : files[0];
    if (!(op & 1)) FuzzDataset(file, names[(op >> 2) % nn], b);
    else {
      const char *obj = objects[FuzzByte(b) % no];
      FuzzAttribute(file, obj, attrs[(op >> 2) % na], b);
    }
  }
  for (int f = 0; f < 2; f++)
    if (files[f] >= 0) H5Fclose(files[f]);
  return 0;
}

#endif
