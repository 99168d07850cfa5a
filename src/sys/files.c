/* Bookkeeping of files being written, so a failed run leaves no partial output behind. */
#include <umbra/sys.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#define MAX_TEMP 64
static char temp_files[MAX_TEMP][PETSC_MAX_PATH_LEN];

PetscErrorCode UmbTempFileRegister(const char path[])
{
  PetscFunctionBegin;
  for (int i = 0; i < MAX_TEMP; i++) {
    if (!temp_files[i][0]) {
      PetscCall(PetscStrncpy(temp_files[i], path, sizeof(temp_files[i])));
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  }
  SETERRQ(PETSC_COMM_SELF, PETSC_ERR_PLIB, "too many files open for writing");
}

PetscErrorCode UmbTempFileRelease(const char path[])
{
  PetscFunctionBegin;
  for (int i = 0; i < MAX_TEMP; i++)
    if (!strcmp(temp_files[i], path)) temp_files[i][0] = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

void UmbTempFilesRemoveAll(void)
{
  for (int i = 0; i < MAX_TEMP; i++) {
    if (temp_files[i][0]) unlink(temp_files[i]);
    temp_files[i][0] = 0;
  }
}

PetscErrorCode UmbFileCommit(const char tmp[], const char path[])
{
  PetscFunctionBegin;
  PetscCall(UmbFileCommitKeep(tmp, path, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFileCommitKeep(const char tmp[], const char path[], const char prev[])
{
  int fd;

  PetscFunctionBegin;
  fd = open(tmp, O_RDONLY);
  PetscCheck(fd >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot reopen %s: %s", tmp, strerror(errno));
  PetscCheck(!fsync(fd), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot flush %s to disk: %s", tmp, strerror(errno));
  close(fd);
  /* the one before stays until the new one is in place: a crash leaves path or prev */
  if (prev && access(path, F_OK) == 0) PetscCheck(!rename(path, prev), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot rename %s to %s: %s", path, prev, strerror(errno));
  PetscCheck(!rename(tmp, path), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
  PetscCall(UmbTempFileRelease(tmp));
  PetscFunctionReturn(PETSC_SUCCESS);
}
