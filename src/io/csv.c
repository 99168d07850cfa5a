/* CSV tables written by rank 0 through a temporary file; failures are broadcast so every
   rank stops with the same message. */
#include <umbra/io.h>
#include <errno.h>
#include <stdarg.h>

struct _p_UmbCsv {
  MPI_Comm comm;
  FILE    *fd;
  int      failed; /* errno of the first failed write on rank 0 */
  char     path[PETSC_MAX_PATH_LEN], tmp[PETSC_MAX_PATH_LEN + 8];
};

/* Collective. header is the column line without newline, e.g. "z,F". */
PetscErrorCode UmbCsvCreate(MPI_Comm comm, const char path[], const char header[], UmbCsv *out)
{
  UmbCsv               c;
  PetscMPIInt          rank;
  const UmbProvenance *p;
  int                  err = 0;

  PetscFunctionBegin;
  PetscCall(UmbProvenanceGet(comm, &p));
  PetscCall(PetscNew(&c));
  c->comm = comm;
  PetscCall(PetscStrncpy(c->path, path, sizeof(c->path)));
  snprintf(c->tmp, sizeof(c->tmp), "%s.tmp", path);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank) {
    PetscCall(UmbTempFileRegister(c->tmp));
    c->fd = fopen(c->tmp, "w");
    if (!c->fd) err = errno;
    else {
      fprintf(c->fd, "# umbra %s command=%s ranks=%d date=%s options=\"%s\"\n%s\n", p->version, p->command, p->nranks, p->date, p->options ? p->options : "", header);
    }
  }
  PetscCallMPI(MPI_Bcast(&err, 1, MPI_INT, 0, comm));
  PetscCheck(!err, comm, PETSC_ERR_FILE_WRITE, "cannot write %s: %s", c->tmp, strerror(err));
  *out = c;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Not collective: only rank 0 writes; other ranks may call it with any arguments. */
PetscErrorCode UmbCsvRow(UmbCsv c, const char fmt[], ...)
{
  va_list ap;

  PetscFunctionBegin;
  if (!c->fd || c->failed) PetscFunctionReturn(PETSC_SUCCESS);
  va_start(ap, fmt);
  if (vfprintf(c->fd, fmt, ap) < 0 || fputc('\n', c->fd) == EOF) c->failed = errno ? errno : EIO;
  va_end(ap);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective. With commit, the table replaces path atomically; otherwise it is discarded. */
PetscErrorCode UmbCsvClose(UmbCsv *cp, PetscBool commit)
{
  UmbCsv c = *cp;
  int    err;
  char   why[PETSC_MAX_PATH_LEN + 256] = "";

  PetscFunctionBegin;
  if (!c) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscLogEventBegin(UMB_EVENT.csv_write, 0, 0, 0, 0));
  if (c->fd) {
    err = c->failed;
    if (fclose(c->fd) && !err) err = errno;
    c->fd = NULL;
    if (err) snprintf(why, sizeof(why), "cannot write %s: %s", c->tmp, strerror(err));
    else if (commit) {
      PetscErrorCode ierr;
      PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
      ierr = UmbFileCommit(c->tmp, c->path);
      PetscCall(PetscPopErrorHandler());
      if (ierr) snprintf(why, sizeof(why), "cannot publish %s: %s", c->path, strerror(errno));
    }
    if (why[0] || !commit) remove(c->tmp);
    PetscCall(UmbTempFileRelease(c->tmp));
  }
  PetscCallMPI(MPI_Bcast(why, sizeof(why), MPI_CHAR, 0, c->comm));
  PetscCall(PetscLogEventEnd(UMB_EVENT.csv_write, 0, 0, 0, 0));
  PetscCheck(!why[0], c->comm, PETSC_ERR_FILE_WRITE, "%s", why);
  PetscCall(PetscFree(*cp));
  PetscFunctionReturn(PETSC_SUCCESS);
}
