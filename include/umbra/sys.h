/* System layer: start-up and shutdown, error macros for foreign libraries, option checks,
   rank-0 logging, progress lines, log stages and events, provenance. */
#ifndef UMBRA_SYS_H
#define UMBRA_SYS_H

#include <petscsys.h>
#include <petscviewer.h>
#include <stdint.h>

#if PETSC_VERSION_LT(3, 19, 0)
  #define PETSC_SUCCESS 0
#endif

/* Exit codes of the umbra executable */
typedef enum {
  UMB_EXIT_OK           = 0,
  UMB_EXIT_FAILURE      = 1, /* numerical or internal failure */
  UMB_EXIT_INPUT        = 2, /* bad input: option, value, file */
  UMB_EXIT_CHECKPOINTED = 3  /* stopped after a checkpoint, not finished */
} UmbExitCode;

/* GSL: the default GSL handler aborts the process; UmbInitialize switches it off and every
   GSL status is turned into a PETSc error here. */
#define UmbCallGSL(...) \
  do { \
    int umb_gsl_status_ = (__VA_ARGS__); \
    PetscCheck(umb_gsl_status_ == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "GSL error %d (%s) in %s", umb_gsl_status_, UmbGSLErrorString(umb_gsl_status_), #__VA_ARGS__); \
  } while (0)

/* HDF5: calls returning a negative herr_t or hid_t fail; the message includes the innermost
   HDF5 error description (its automatic stack printing is switched off in UmbInitialize). */
#define UmbCallHDF5(...) \
  do { \
    long long umb_h5_status_ = (long long)(__VA_ARGS__); \
    if (PetscUnlikely(umb_h5_status_ < 0)) return UmbHDF5Error(__LINE__, PETSC_FUNCTION_NAME, __FILE__, #__VA_ARGS__); \
  } while (0)

/* Same as UmbCallHDF5 but assigns the returned id: UmbCallHDF5Id(file, H5Fopen(...)) */
#define UmbCallHDF5Id(id, ...) \
  do { \
    (id) = (__VA_ARGS__); \
    if (PetscUnlikely((long long)(id) < 0)) return UmbHDF5Error(__LINE__, PETSC_FUNCTION_NAME, __FILE__, #__VA_ARGS__); \
  } while (0)

/* the innermost description on HDF5's current error stack ("" if none), for messages */
PETSC_EXTERN void            UmbHDF5LastError(char[], size_t);
PETSC_EXTERN PetscBool       UmbHDF5ChecksumFailed(void); /* a damaged file was read in this process */
PETSC_EXTERN const char    *UmbGSLErrorString(int);
PETSC_EXTERN PetscErrorCode UmbHDF5Error(int, const char *, const char *, const char *);

/* Start-up and shutdown. UmbInitialize wraps PetscInitialize and registers log stages and events;
   UmbFinalize maps an error code to an exit code, prints the single error message and shuts down
   without hanging when only some ranks failed. */
PETSC_EXTERN PetscErrorCode UmbInitialize(int *, char ***, const char *);
PETSC_EXTERN int            UmbFinalize(PetscErrorCode);
PETSC_EXTERN const char    *UmbVersion(void);
PETSC_EXTERN void           UmbSetExitStatus(UmbExitCode); /* exit status of a run without error */

/* Options: fail before any work when an option was given that nothing reads. */
PETSC_EXTERN PetscErrorCode UmbOptionsCheckUnused(MPI_Comm);
/* At start-up: fail when one of umbra's options that is not a boolean was given without a value */
PETSC_EXTERN PetscErrorCode UmbOptionsCheckValues(MPI_Comm);
/* A 64-bit integer option inside PetscOptionsBegin/End (accepts 100000 or 1e5) */
PETSC_EXTERN PetscErrorCode UmbOptionsInt64(PetscOptionItems *, const char[], const char[], PetscInt64, PetscInt64 *, PetscBool *);

/* Options prefixes of the objects (UmbXSetOptionsPrefix): stored in a buffer of this size; ""
   means none, and UmbOptionsPrefix gives what PetscOptionsBegin takes */
#define UMB_PREFIX_LEN 64
#define UmbOptionsPrefix(p) ((p)[0] ? (p) : NULL)
/* Copies prefix (NULL: none) into buf, refusing a leading hyphen or one too long */
PETSC_EXTERN PetscErrorCode UmbOptionsPrefixCopy(MPI_Comm, const char[], char[UMB_PREFIX_LEN]);

/* Logging: rank-0 lines prefixed with the elapsed wall time. */
PETSC_EXTERN PetscErrorCode UmbLog(MPI_Comm, const char[], ...) PETSC_ATTRIBUTE_FORMAT(2, 3);
PETSC_EXTERN PetscErrorCode UmbLogWarning(MPI_Comm, const char[], ...) PETSC_ATTRIBUTE_FORMAT(2, 3);
PETSC_EXTERN PetscLogDouble UmbElapsed(void);
/* PetscViewerASCIIPrintf with C formatting (PETSc's own rewrites %g as "1.") */
PETSC_EXTERN PetscErrorCode UmbViewerPrintf(PetscViewer, const char[], ...) PETSC_ATTRIBUTE_FORMAT(2, 3);

/* Progress line for long loops: printed by rank 0 at a steady pace (-progress_interval seconds)
   with rate and ETA. Update is not collective; pass globally reduced counts. */
typedef struct _p_UmbProgress *UmbProgress;
PETSC_EXTERN PetscErrorCode UmbProgressCreate(MPI_Comm, const char[], const char[], double, UmbProgress *);
PETSC_EXTERN PetscErrorCode UmbProgressUpdate(UmbProgress, double);
PETSC_EXTERN PetscErrorCode UmbProgressFinish(UmbProgress);
PETSC_EXTERN PetscErrorCode UmbProgressDestroy(UmbProgress *);

/* Log stages and events (registered in UmbInitialize, visible in -log_view). */
typedef struct {
  PetscLogStage sample, fes, train, lift, closure, dmap, exact;
} UmbLogStages;
typedef struct {
  PetscLogEvent smp_setup, smp_minimize, smp_step, smp_write, smp_iact, smp_flowmove, smp_flowdens, exact_quad, h5_write, h5_read, csv_write;
  PetscLogEvent fes_read, fes_sweep, fes_objgrad, fes_hess, fes_cov, fes_boot, fes_pmf, fes_diag, fes_export, fes_import;
  PetscLogEvent nn_forward, nn_backward, nn_dblback, nn_adam, gan_step, gan_allreduce, gan_data, gan_valid, gan_ckpt, lift, gan_calibrate;
  PetscLogEvent flow_forward, flow_backward, flow_step, flow_valid, flow_ckpt, flow_data, flow_allreduce;
  PetscLogEvent dmap_read, dmap_bgh, dmap_knn, dmap_comp, dmap_kernel, dmap_eigen, dmap_score, dmap_write, dmap_ext;
  PetscLogEvent clo_read, clo_phys, clo_gan, clo_test, clo_sde, clo_direct;
} UmbLogEvents;
PETSC_EXTERN UmbLogStages UMB_STAGE;
PETSC_EXTERN UmbLogEvents UMB_EVENT;
PETSC_EXTERN PetscClassId UMB_CLASSID;

/* Provenance: one string describing the build and the run, stored in every output file. */
typedef struct {
  char version[128];
  char command[64];
  char date[64];
  char host[128];
  char libraries[256];
  int  nranks;
  char *options; /* the whole options database, as given */
} UmbProvenance;
PETSC_EXTERN PetscErrorCode UmbProvenanceGet(MPI_Comm, const UmbProvenance **);
PETSC_EXTERN PetscErrorCode UmbSetCommand(const char[]);

/* Stop requests (src/sys/stop.c): SIGUSR1 and SIGTERM set a flag and nothing else. Install
   before a long loop, remove after it (calls nest). UmbStopAgree is collective: *stop is true on
   every rank when any rank got a signal, so all ranks checkpoint after the same step.
   UmbStopSignal is the local flag (the signal number, 0 if none), for loops that reduce it
   together with other values. */
PETSC_EXTERN PetscErrorCode UmbStopInstall(void);
PETSC_EXTERN PetscErrorCode UmbStopRemove(void);
PETSC_EXTERN PetscErrorCode UmbStopAgree(MPI_Comm, PetscBool *);
/* The same for a stage that also checkpoints every interval wall seconds (0: never) since last:
   *due when a checkpoint is to be written now (a signal, or the interval passed on rank 0's
   clock, which every rank follows). One reduction. */
PETSC_EXTERN PetscErrorCode UmbStopAgreeInterval(MPI_Comm, PetscReal, PetscLogDouble, PetscBool *, PetscBool *);
PETSC_EXTERN int            UmbStopSignal(void);

/* Collective. The run directory (umbra's -out): created and checked for writing on rank 0. */
PETSC_EXTERN PetscErrorCode UmbRunDirSetUp(MPI_Comm, const char[]);
PETSC_EXTERN PetscErrorCode UmbPathJoin(const char[], const char[], char[], size_t);
/* Appends t to s (buffer of n bytes), truncated to fit and terminated (PETSc 3.18's
   PetscStrlcat overflows when s is long) */
PETSC_EXTERN PetscErrorCode UmbStrlcat(char[], const char[], size_t);

/* Files being written (src/sys/files.c): removed at shutdown if the run fails, so no partial
   output survives */
PETSC_EXTERN PetscErrorCode UmbTempFileRegister(const char[]);
PETSC_EXTERN PetscErrorCode UmbTempFileRelease(const char[]);
PETSC_EXTERN void           UmbTempFilesRemoveAll(void);
/* Atomic publish: fsync then rename (rank-local; callers synchronise) */
PETSC_EXTERN PetscErrorCode UmbFileCommit(const char[], const char[]);
/* Same, and an existing file at path is first renamed to prev (NULL: replaced) */
PETSC_EXTERN PetscErrorCode UmbFileCommitKeep(const char[], const char[], const char[]);

/* Block distribution of K items over size ranks (src/sys/layout.c): items [lo, hi) belong to
   rank; UmbLayoutOwner is the rank that holds item k */
PETSC_EXTERN void        UmbLayoutRange(PetscInt, PetscMPIInt, PetscMPIInt, PetscInt *, PetscInt *);
PETSC_EXTERN PetscMPIInt UmbLayoutOwner(PetscInt, PetscMPIInt, PetscInt);

/* SHA-256 of a byte stream (src/sys/sha256.c), hex digest as sha256sum prints it */
typedef struct {
  uint32_t      h[8];
  uint64_t      len;
  unsigned char buf[64];
  size_t        nbuf;
} UmbSha256;
PETSC_EXTERN void UmbSha256Init(UmbSha256 *);
PETSC_EXTERN void UmbSha256Update(UmbSha256 *, const void *, size_t);
PETSC_EXTERN void UmbSha256Final(UmbSha256 *, char[65]);

/* Collective: every rank learns the first failure that any rank recorded in msg (empty: none)
   and stops with it (error code code, raised on comm so that rank 0 prints it once) */
PETSC_EXTERN PetscErrorCode UmbErrorAgree(MPI_Comm, const char[], PetscErrorCode);

/* Minimum-image difference of a periodic coordinate (period <= 0: not periodic). The result lies
   in [-period/2, period/2): exactly half a period maps to -period/2 from either side. */
static inline PetscReal UmbMinimumImage(PetscReal diff, PetscReal period)
{
  return period > 0 ? diff - period * PetscFloorReal(diff / period + 0.5) : diff;
}

#endif
