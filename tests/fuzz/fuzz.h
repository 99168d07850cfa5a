/* Shared set-up of the fuzz targets in tests/fuzz: each target is one file defining
   LLVMFuzzerTestOneInput, built with clang -fsanitize=fuzzer (make fuzz) or with the project's
   compiler against replay.c (the regression test t110).

   umbra starts once per process on one rank (MPI_COMM_SELF-sized world). A PETSc error is an
   ordinary return: the reader refused the input, which is what it should do with a bad one.
   Readers that take a path get the input written to a file in a private temporary directory. */
#ifndef UMBRA_FUZZ_H
#define UMBRA_FUZZ_H

#include <umbra.h>
#include <umbra/io.h>
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir[256]; /* short: file names are appended */

static void FuzzRemoveDir(void)
{
  char cmd[PETSC_MAX_PATH_LEN + 16];
  if (!fuzz_dir[0]) return;
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_dir);
  if (system(cmd)) fprintf(stderr, "fuzz: cannot remove %s\n", fuzz_dir);
}

/* Starts MPI, PETSc and umbra's error settings; makes the temporary directory */
static void FuzzStart(void)
{
  /* PETSc's signal handler would hide crashes from the sanitizers; -malloc_coalesce 0 gives
     each array of PetscMalloc2..7 its own block, so an overflow into the next one is seen */
  static char  arg0[] = "umbra-fuzz", arg1[] = "-no_signal_handler", arg2[] = "-malloc_coalesce", arg3[] = "0";
  static char *args[] = {arg0, arg1, arg2, arg3, NULL};
  static char **argv  = args;
  static int    argc  = 4;
  const char   *tmp   = getenv("TMPDIR");

  snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/umbra-fuzz-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : tmp ? tmp : "/tmp");
  if (!mkdtemp(fuzz_dir) || UmbInitialize(&argc, &argv, NULL)) {
    fprintf(stderr, "fuzz: cannot start (temporary directory %s)\n", fuzz_dir);
    exit(1);
  }
  atexit(FuzzRemoveDir);
  /* silent: a refused input is the expected outcome, not a report (UMBRA_FUZZ_VERBOSE=1 shows
     why each input was refused, to check that seeds reach the reader's end) */
  if (PetscPushErrorHandler(getenv("UMBRA_FUZZ_VERBOSE") ? PetscTraceBackErrorHandler : PetscReturnErrorHandler, NULL)) exit(1);
}

/* Writes size bytes to <fuzz_dir>/<name>; path receives the full name */
static inline void FuzzWriteFile(const char name[], const uint8_t *data, size_t size, char path[], size_t len)
{
  FILE *f;
  snprintf(path, len, "%s/%s", fuzz_dir, name);
  f = fopen(path, "wb");
  if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f)) {
    fprintf(stderr, "fuzz: cannot write %s\n", path);
    abort();
  }
}

/* Closes every HDF5 object left open and returns how many there were: after a successful read
   none may be open (a leaked handle), after a refused one the reader may have returned early */
static inline ssize_t FuzzCloseHDF5(void)
{
  ssize_t n = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
  if (n > 0) {
    hid_t *ids = malloc((size_t)n * sizeof(hid_t));
    n          = H5Fget_obj_ids(H5F_OBJ_ALL, H5F_OBJ_ALL, (size_t)n, ids);
    for (ssize_t i = 0; i < n; i++) {
      switch (H5Iget_type(ids[i])) {
      case H5I_FILE: break; /* after the objects in it */
      case H5I_GROUP: H5Gclose(ids[i]); break;
      case H5I_DATASET: H5Dclose(ids[i]); break;
      case H5I_ATTR: H5Aclose(ids[i]); break;
      case H5I_DATATYPE: H5Tclose(ids[i]); break;
      default: break;
      }
    }
    for (ssize_t i = 0; i < n; i++)
      if (H5Iget_type(ids[i]) == H5I_FILE) H5Fclose(ids[i]);
    free(ids);
  }
  return n;
}

/* The end of every input: on success nothing may stay open */
static inline void FuzzFinish(PetscErrorCode ierr, const char what[])
{
  ssize_t open = FuzzCloseHDF5();
  if (getenv("UMBRA_FUZZ_VERBOSE")) fprintf(stderr, "fuzz: %s %s the input\n", what, ierr ? "refused" : "accepted");
  if (!ierr && open > 0) {
    fprintf(stderr, "fuzz: %s succeeded but left %zd HDF5 objects open\n", what, open);
    abort();
  }
}

#endif
