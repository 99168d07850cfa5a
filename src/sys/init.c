/* Start-up and shutdown: PETSc, GSL and HDF5 error settings, and a shutdown that prints one
   message per failure and never hangs when only some ranks failed. */
#include <umbra/sys.h>
#include <umbra/private/sysimpl.h>
#include <umbra_version.h>
#include <gsl/gsl_errno.h>
#include <hdf5.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include <signal.h>
#include <time.h>
#if defined(__SANITIZE_ADDRESS__)
  #include <sanitizer/lsan_interface.h>
#endif

static MPI_Comm  agree_comm    = MPI_COMM_NULL; /* private duplicate: never matches a pending user collective */
static PetscReal error_timeout = 10.0;
static int       umb_exit_status = UMB_EXIT_OK;

void UmbSetExitStatus(UmbExitCode status) { umb_exit_status = (int)status; }

const char *UmbVersion(void) { return UMBRA_VERSION_STRING; }

static int mpi_started_here = 0, petsc_start_failed = 0;

/* PETSc reports a missing options file with a multi-line block from every rank, and waits
   forever reading a directory: check the files named by -options_file first, so the run ends
   with one line instead. */
static int CheckOptionsFiles(int argc, char **argv)
{
  int  rank, bad = 0;
  char why[PETSC_MAX_PATH_LEN + 128] = "";

  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (!rank) {
    for (int i = 1; i < argc && !bad; i++) {
      struct stat st;
      if (strcmp(argv[i], "-options_file") && strcmp(argv[i], "-options_file_yaml")) continue;
      bad = 1;
      if (i + 1 >= argc || argv[i + 1][0] == '-') snprintf(why, sizeof(why), "%s needs a file name", argv[i]);
      else if (stat(argv[i + 1], &st)) snprintf(why, sizeof(why), "cannot read options file %s: %s", argv[i + 1], strerror(errno));
      else if (!S_ISREG(st.st_mode)) snprintf(why, sizeof(why), "options file %s is not a regular file", argv[i + 1]);
      else if (access(argv[i + 1], R_OK)) snprintf(why, sizeof(why), "cannot read options file %s: %s", argv[i + 1], strerror(errno));
      else bad = 0;
    }
  }
  (void)MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (bad && !rank) fprintf(stderr, "umbra: error: %s\n", why);
  return bad;
}

/* PETSc prints a failure of its start-up (a YAML options file it cannot parse, say) as a
   block of lines on every rank. Its output is caught in a temporary file: on failure rank 0
   prints one line with PETSc's reason; on success anything PETSc printed is passed on. */
static PetscErrorCode InitializePetscQuietly(int *argc, char ***argv, const char *help)
{
  PetscErrorCode ierr;
  FILE          *cap = tmpfile();
  int            saved = -1, rank;
  char           line[1024], reason[1024] = "";

  fflush(stderr);
  if (cap && (saved = dup(STDERR_FILENO)) >= 0) dup2(fileno(cap), STDERR_FILENO);
  ierr = PetscInitialize(argc, argv, NULL, help);
  if (saved < 0) return ierr; /* nothing was caught */
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  rewind(cap);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  while (fgets(line, sizeof(line), cap)) {
    const char *msg = strstr(line, "PETSC ERROR: ");
    if (!ierr) fputs(line, stderr);
    else if (msg && !reason[0] && !strstr(line, "-----") && !strstr(line, "Error in external library")) snprintf(reason, sizeof(reason), "%s", msg + 13);
  }
  fclose(cap);
  if (ierr && !rank) {
    reason[strcspn(reason, "\n")] = 0;
    fprintf(stderr, "umbra: error: cannot read the options (-options_file): %s\n", reason[0] ? reason : "PETSc failed to start");
  }
  return ierr;
}

/* A process started without a launcher (`umbra fes ...`, no mpiexec or srun) is one rank, an
   MPI singleton. Open MPI 4 then forks a daemon (orted) and probes every fabric library for a
   point-to-point layer before MPI_Init returns: 0.35 s of a 0.04 s start-up on a machine
   without such fabrics. A single process needs neither, so umbra asks for the isolated
   singleton and the shared-memory/self layer. Only defaults: a value the user set in the
   environment wins (setenv without overwrite), and a process started by a launcher is left
   alone (the isolated setting concerns singletons only; the layer is the site's choice). */
static void SingletonDefaults(void)
{
#if defined(OPEN_MPI)
  static const char *launched[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_FD", "SLURM_STEP_ID", "SLURM_PROCID"};
  for (size_t i = 0; i < sizeof(launched) / sizeof(launched[0]); i++)
    if (getenv(launched[i])) return;
  setenv("OMPI_MCA_ess_singleton_isolated", "1", 0);
  setenv("OMPI_MCA_pml", "ob1", 0);
#endif
}

PetscErrorCode UmbInitialize(int *argc, char ***argv, const char *help)
{
  PetscErrorCode ierr;
  int            started;

  MPI_Initialized(&started);
  if (!started) {
    SingletonDefaults();
    if (MPI_Init(argc, argv)) return PETSC_ERR_MPI;
    mpi_started_here = 1;
  }
  if (CheckOptionsFiles(*argc, *argv)) return PETSC_ERR_FILE_OPEN;
  ierr = InitializePetscQuietly(argc, argv, help);
  if (ierr) { /* a bad options file: the cause is printed */
    petsc_start_failed = 1;
    return PETSC_ERR_FILE_OPEN;
  }
  PetscFunctionBeginUser;
  gsl_set_error_handler_off();
  UmbCallHDF5(H5Eset_auto2(H5E_DEFAULT, NULL, NULL));
  PetscCall(PetscPushErrorHandler(UmbErrorHandler, NULL));
  signal(SIGPIPE, SIG_DFL); /* `umbra ... | head` ends quietly, as Unix tools do */
  PetscCallMPI(MPI_Comm_dup(PETSC_COMM_WORLD, &agree_comm));
  PetscCall(UmbOptionsCheckValues(PETSC_COMM_WORLD)); /* before any of umbra's options is read */
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-error_traceback", &umb_error_traceback, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-error_timeout", &error_timeout, NULL));
  PetscCall(UmbLogSetStart());
  PetscCall(UmbLogRegisterAll());
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void PrintError(int rank, int size, PetscBool all_failed)
{
  UmbErrorExplainOptionValue(umb_first_error.message, sizeof(umb_first_error.message));
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

  if (agree_comm == MPI_COMM_NULL) { /* start-up failed; the cause is already printed */
    code = ierr == PETSC_ERR_FILE_OPEN ? UMB_EXIT_INPUT : UMB_EXIT_FAILURE;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    /* other ranks may be waiting in PETSc's start-up for this one: take the job down */
    if (size > 1 && petsc_start_failed) MPI_Abort(MPI_COMM_WORLD, code);
    if (mpi_started_here) MPI_Finalize();
    return code;
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
    (void)MPI_Iallreduce(mine, all, 2, MPI_INT, MPI_MAX, agree_comm, &req);
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
    UmbTempFilesRemoveAll();
    MPI_Abort(MPI_COMM_WORLD, code);
    return code;
  }
  if (all[0] && size - all[0] == rank) PrintError(rank, size, PETSC_TRUE);
  code = all[1];
  MPI_Comm_free(&agree_comm);
  if (ierr) {
    PetscPopErrorHandler();
    UmbTempFilesRemoveAll();
  }
  PetscFinalize();
  if (mpi_started_here) MPI_Finalize();
#if defined(__SANITIZE_ADDRESS__)
  /* make check-asan (LSAN_OPTIONS=leak_check_at_exit=0): a rank that finished its work must
     have freed everything; a failed one returns without destroying its objects, by design.
     Not after a read failed its checksum (a run that fell back to the previous checkpoint):
     libhdf5 1.10.8 loses a block of its own when an object header fails its checksum, even
     when every object is closed (a 20-line program opening a damaged file shows it) */
  if (!ierr && !UmbHDF5ChecksumFailed()) __lsan_do_leak_check();
#endif
  return code;
}
