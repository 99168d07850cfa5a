/* Start-up and shutdown: PETSc, GSL and HDF5 error settings, and a shutdown that prints one
   message per failure and never hangs when only some ranks failed. */
#include <umbra/sys.h>
#include <umbra/private/sysimpl.h>
#include <umbra_version.h>
#include <gsl/gsl_errno.h>
#include <hdf5.h>
#include <signal.h>
#include <time.h>

static MPI_Comm  agree_comm    = MPI_COMM_NULL; /* private duplicate: never matches a pending user collective */
static PetscReal error_timeout = 10.0;
static int       umb_exit_status = UMB_EXIT_OK;

void UmbSetExitStatus(UmbExitCode status) { umb_exit_status = (int)status; }

const char *UmbVersion(void) { return UMBRA_VERSION_STRING; }

PetscErrorCode UmbInitialize(int *argc, char ***argv, const char *help)
{
  PetscErrorCode ierr;

  ierr = PetscInitialize(argc, argv, NULL, help);
  if (ierr) return ierr;
  PetscFunctionBeginUser;
  gsl_set_error_handler_off();
  UmbCallHDF5(H5Eset_auto2(H5E_DEFAULT, NULL, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-error_traceback", &umb_error_traceback, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-error_timeout", &error_timeout, NULL));
  PetscCall(PetscPushErrorHandler(UmbErrorHandler, NULL));
  signal(SIGPIPE, SIG_DFL); /* `umbra ... | head` ends quietly, as Unix tools do */
  PetscCallMPI(MPI_Comm_dup(PETSC_COMM_WORLD, &agree_comm));
  PetscCall(UmbLogSetStart());
  PetscCall(UmbLogRegisterAll());
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void PrintError(int rank, int size, PetscBool all_failed)
{
  if (size > 1 && !all_failed) fprintf(stderr, "umbra: error (rank %d): %s\n", rank, umb_first_error.message);
  else fprintf(stderr, "umbra: error: %s\n", umb_first_error.message);
  if (umb_error_traceback) fprintf(stderr, "umbra: raised in %s\n", umb_first_error.where);
  fflush(stderr);
}

/* Every rank calls this with the result of its work. Ranks agree on the outcome through a
   non-blocking reduction: a failed rank waits at most -error_timeout seconds for the others,
   and aborts the job if some rank never arrives (it is stuck in a collective). */
int UmbFinalize(PetscErrorCode ierr)
{
  int rank = 0, size = 1, code, mine[2], all[2], done = 0;

  if (agree_comm == MPI_COMM_NULL) { /* PetscInitialize itself failed */
    fprintf(stderr, "umbra: error: initialisation failed (code %d)\n", (int)ierr);
    return UMB_EXIT_FAILURE;
  }
  MPI_Comm_rank(agree_comm, &rank);
  MPI_Comm_size(agree_comm, &size);
  if (ierr && !umb_first_error.set) snprintf(umb_first_error.message, sizeof(umb_first_error.message), "error code %d", (int)ierr);
  code    = ierr ? UmbExitCodeFromError(umb_first_error.set ? umb_first_error.code : ierr) : UMB_EXIT_OK;
  if (!ierr) code = umb_exit_status;
  mine[0] = ierr ? size - rank : 0; /* max over ranks -> lowest failed rank */
  mine[1] = code;
  {
    MPI_Request req;
    double      t0 = MPI_Wtime();
    MPI_Iallreduce(mine, all, 2, MPI_INT, MPI_MAX, agree_comm, &req);
    if (!ierr) {
      (void)MPI_Wait(&req, MPI_STATUS_IGNORE);
      done = 1;
    } else {
      struct timespec ms = {0, 1000000};
      while (!done && MPI_Wtime() - t0 < error_timeout) {
        (void)MPI_Test(&req, &done, MPI_STATUS_IGNORE);
        if (!done) nanosleep(&ms, NULL);
      }
    }
  }
  if (!done) { /* some rank is stuck in a collective: take the job down */
    PrintError(rank, size, PETSC_FALSE);
    MPI_Abort(MPI_COMM_WORLD, code);
    return code;
  }
  if (all[0] && size - all[0] == rank) PrintError(rank, size, PETSC_TRUE);
  code = all[1];
  MPI_Comm_free(&agree_comm);
  if (ierr) PetscPopErrorHandler();
  PetscFinalize();
  return code;
}
