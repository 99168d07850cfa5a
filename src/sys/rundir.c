/* The run directory (-out, read by the command set-up): created by rank 0, checked for writing
   before any work, so a campaign never computes for hours and then fails to save. */
#include <umbra/sys.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

PetscErrorCode UmbPathJoin(const char dir[], const char name[], char path[], size_t len)
{
  PetscFunctionBegin;
  PetscCheck((size_t)snprintf(path, len, "%s/%s", dir, name) < len, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "path too long: %s/%s", dir, name);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static int MakeDirs(const char *path, char *why, size_t len)
{
  char tmp[PETSC_MAX_PATH_LEN];
  snprintf(tmp, sizeof(tmp), "%s", path);
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(tmp, 0777) && errno != EEXIST) {
      snprintf(why, len, "cannot create directory %s: %s", tmp, strerror(errno));
      return 1;
    }
    *p = '/';
  }
  if (mkdir(tmp, 0777) && errno != EEXIST) {
    snprintf(why, len, "cannot create directory %s: %s", tmp, strerror(errno));
    return 1;
  }
  return 0;
}

/* Collective. Creates dir and checks it can be written. */
PetscErrorCode UmbRunDirSetUp(MPI_Comm comm, const char dir[])
{
  PetscMPIInt rank;
  char        why[PETSC_MAX_PATH_LEN + 128] = "";

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCheck(dir[0], comm, PETSC_ERR_USER_INPUT, "-out needs a directory name");
  if (!rank) {
    struct stat st;
    char        probe[PETSC_MAX_PATH_LEN];
    if (!MakeDirs(dir, why, sizeof(why))) {
      if (stat(dir, &st) || !S_ISDIR(st.st_mode)) snprintf(why, sizeof(why), "-out %s is not a directory", dir);
      else {
        FILE *f;
        snprintf(probe, sizeof(probe), "%s/.umbra-write-test", dir);
        f = fopen(probe, "w");
        if (!f || fclose(f)) snprintf(why, sizeof(why), "output directory %s cannot be written: %s", dir, strerror(errno));
        else unlink(probe);
      }
    }
  }
  PetscCallMPI(MPI_Bcast(why, sizeof(why), MPI_CHAR, 0, comm));
  PetscCheck(!why[0], comm, PETSC_ERR_FILE_WRITE, "%s", why);
  PetscFunctionReturn(PETSC_SUCCESS);
}
