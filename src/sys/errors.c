/* Errors: one record of the first failure on each rank, wrappers that turn GSL and HDF5
   failures into PETSc errors, and the mapping of error codes to exit codes. */
#include <string.h>
#include <umbra/sys.h>
#include <umbra/private/sysimpl.h>
#include <gsl/gsl_errno.h>
#include <hdf5.h>

UmbFirstError umb_first_error;
PetscBool     umb_error_traceback = PETSC_FALSE;

const char *UmbGSLErrorString(int status) { return gsl_strerror(status); }

/* Records the first error of this rank; the message is printed once, by UmbFinalize. */
PetscErrorCode UmbErrorHandler(MPI_Comm comm, int line, const char *fun, const char *file, PetscErrorCode n, PetscErrorType p, const char *mess, void *ctx)
{
  if (p == PETSC_ERROR_INITIAL && !umb_first_error.set) {
    umb_first_error.set  = PETSC_TRUE;
    umb_first_error.code = n;
    umb_first_error.comm = comm;
    if (mess && mess[0] && strcmp(mess, " ")) snprintf(umb_first_error.message, sizeof(umb_first_error.message), "%s", mess);
    else {
      const char *text = NULL;
      PetscErrorMessage(n, &text, NULL);
      snprintf(umb_first_error.message, sizeof(umb_first_error.message), "%s", text ? text : "unknown error");
    }
    snprintf(umb_first_error.where, sizeof(umb_first_error.where), "%s() at %s:%d", fun ? fun : "?", file ? file : "?", line);
  }
  if (umb_error_traceback) return PetscTraceBackErrorHandler(comm, line, fun, file, n, p, mess, ctx);
  return n;
}

typedef struct {
  char  *buf;
  size_t len;
} H5Detail;

static herr_t KeepInnermost(unsigned n, const H5E_error2_t *err, void *data)
{
  H5Detail *d = (H5Detail *)data;
  /* walked upward: the first entry is the innermost, the most specific reason */
  if (err && err->desc && err->desc[0] && !d->buf[0]) snprintf(d->buf, d->len, "%s", err->desc);
  return 0;
}

static PetscBool hdf5_checksum_failed = PETSC_FALSE;

void UmbHDF5LastError(char detail[], size_t len)
{
  H5Detail d     = {detail, len};
  hid_t    stack = H5Eget_current_stack();

  detail[0] = 0;
  if (stack >= 0) {
    H5Ewalk2(stack, H5E_WALK_UPWARD, KeepInnermost, &d);
    H5Eclose_stack(stack);
  }
  if (strstr(detail, "checksum")) hdf5_checksum_failed = PETSC_TRUE;
}

PetscBool UmbHDF5ChecksumFailed(void) { return hdf5_checksum_failed; }

PetscErrorCode UmbHDF5Error(int line, const char *func, const char *file, const char *call)
{
  char detail[512];

  UmbHDF5LastError(detail, sizeof(detail));
  return PetscError(PETSC_COMM_SELF, line, func, file, PETSC_ERR_LIB, PETSC_ERROR_INITIAL, "HDF5 call failed: %s%s%s", call, detail[0] ? ": " : "", detail);
}

int UmbExitCodeFromError(PetscErrorCode code)
{
  switch (code) {
  case 0:
    return UMB_EXIT_OK;
  case PETSC_ERR_USER_INPUT:
  case PETSC_ERR_USER: /* PETSc's options parser: unknown value of a list option */
  case PETSC_ERR_ARG_WRONG:
  case PETSC_ERR_ARG_OUTOFRANGE:
  case PETSC_ERR_ARG_INCOMP:
  case PETSC_ERR_ARG_UNKNOWN_TYPE:
  case PETSC_ERR_ARG_SIZ:
  case PETSC_ERR_FILE_OPEN:
  case PETSC_ERR_FILE_READ:
  case PETSC_ERR_FILE_WRITE:
  case PETSC_ERR_FILE_UNEXPECTED:
  case PETSC_ERR_WRONG_MPI_SIZE:
    return UMB_EXIT_INPUT;
  default:
    return UMB_EXIT_FAILURE;
  }
}

/* PETSc's parser says "Input string abc has no numeric value" without naming the option:
   find the option(s) holding that value so the message names the cause. */
void UmbErrorExplainOptionValue(char *msg, size_t len)
{
  char  value[256], *all = NULL, found[512] = "", *save = NULL, *tok, *prev = NULL;
  char *copy;

  if (sscanf(msg, "Input string %255s has no", value) != 1 && sscanf(msg, "Unknown logical value: %255s", value) != 1) return;
  if (PetscOptionsGetAll(NULL, &all) || !all) return;
  copy = strdup(all);
  for (tok = strtok_r(copy, " ", &save); tok; prev = tok, tok = strtok_r(NULL, " ", &save)) {
    if (prev && prev[0] == '-' && !strcmp(tok, value)) {
      size_t l = strlen(found);
      snprintf(found + l, sizeof(found) - l, "%s%s", l ? ", " : "", prev);
    }
  }
  if (found[0]) {
    char old[1024];
    snprintf(old, sizeof(old), "%s", msg);
    snprintf(msg, len, "invalid value '%s' for %s (%s)", value, found, old);
  }
  free(copy);
  PetscFree(all);
}

PetscErrorCode UmbErrorAgree(MPI_Comm comm, const char msg[], PetscErrorCode code)
{
  struct {
    int err, rank;
  } in, out;
  PetscMPIInt rank;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  in.err  = msg && msg[0] ? 1 : 0;
  in.rank = rank;
  PetscCallMPI(MPI_Allreduce(&in, &out, 1, MPI_2INT, MPI_MAXLOC, comm)); /* ties: the lowest rank */
  if (out.err) {
    char buf[2048] = "";
    if (rank == out.rank) snprintf(buf, sizeof(buf), "%s", msg);
    PetscCallMPI(MPI_Bcast(buf, sizeof(buf), MPI_CHAR, out.rank, comm));
    SETERRQ(comm, code, "%s", buf);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
