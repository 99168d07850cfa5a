/* Error paths of the system layer. Without options: GSL and HDF5 failures become PETSc errors
   with their own messages, error codes map to exit codes, UmbStrlcat truncates inside its
   buffer. Driven by t003-sys-error-paths.sh:
   -fail_rank r raises an error on rank r alone while the others wait in a collective (the job
   must end, not hang); -fail_all raises the same error on every rank (one message). */
// TEST: nsize=1,2
#include "tap.h"
#include <umbra/private/sysimpl.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_errno.h>

static PetscErrorCode CallGSL(void)
{
  gsl_sf_result r;
  PetscFunctionBegin;
  UmbCallGSL(gsl_sf_gamma_e(-1.0, &r)); /* pole: GSL_EDOM */
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CallHDF5(void)
{
  hid_t f;
  PetscFunctionBegin;
  UmbCallHDF5Id(f, H5Fopen("/nonexistent/file.h5", H5F_ACC_RDONLY, H5P_DEFAULT));
  UmbCallHDF5(H5Fclose(f));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Fail(MPI_Comm comm)
{
  PetscFunctionBegin;
  SETERRQ(comm, PETSC_ERR_USER_INPUT, "deliberate failure for the test");
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr;
  PetscInt       fail_rank = -1;
  PetscBool      fail_all  = PETSC_FALSE;
  PetscMPIInt    rank;

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-fail_rank", &fail_rank, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-fail_all", &fail_all, NULL));
  if (fail_rank >= 0) {
    if (rank == fail_rank) return UmbTestFinalize(Fail(PETSC_COMM_SELF));
    PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD)); /* never completes: the failed rank is gone */
    return UmbTestFinalize(0);
  }
  if (fail_all) return UmbTestFinalize(Fail(PETSC_COMM_WORLD));

  /* library failures become errors with a useful message */
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = CallGSL();
  PetscCall(PetscPopErrorHandler());
  UMB_CHECK(ierr == PETSC_ERR_LIB, "GSL failure gave code %d", (int)ierr);
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = CallHDF5();
  PetscCall(PetscPopErrorHandler());
  UMB_CHECK(ierr == PETSC_ERR_LIB, "HDF5 failure gave code %d", (int)ierr);
  UMB_CHECK(UmbExitCodeFromError(PETSC_ERR_USER_INPUT) == UMB_EXIT_INPUT, "input error exit code");
  UMB_CHECK(UmbExitCodeFromError(PETSC_ERR_FILE_OPEN) == UMB_EXIT_INPUT, "file error exit code");
  UMB_CHECK(UmbExitCodeFromError(PETSC_ERR_NOT_CONVERGED) == UMB_EXIT_FAILURE, "numerical failure exit code");
  {
    char msg[256] = "Input string xyz has no numeric value";
    PetscCall(PetscOptionsSetValue(NULL, "-some_option", "xyz"));
    UmbErrorExplainOptionValue(msg, sizeof(msg));
    UMB_CHECK(strstr(msg, "-some_option") != NULL, "option not named: %s", msg);
    PetscCall(PetscOptionsClearValue(NULL, "-some_option"));
  }
  { /* appending to a nearly full buffer truncates inside it (guards sit on both sides; PETSc
       3.18's PetscStrlcat wrote past the end here) */
    char buf[3 * 16], *s = buf + 16;
    memset(buf, '#', sizeof(buf));
    s[0] = 0;
    for (int i = 0; i < 5; i++) PetscCall(UmbStrlcat(s, "abcd", 16));
    UMB_CHECK(!strcmp(s, "abcdabcdabcdabc"), "appended and truncated: '%s'", s);
    for (int i = 0; i < 16; i++) UMB_CHECK(buf[i] == '#' && buf[32 + i] == '#', "guard byte %d overwritten", i);
    PetscCall(UmbStrlcat(s, "x", 16));
    UMB_CHECK(strlen(s) == 15, "a full buffer stays full: %d", (int)strlen(s));
  }
  PetscFunctionReturn(UmbTestFinalize(0));
}
