/* Rank-0 logging with elapsed wall time, and progress lines at a steady pace. */
#include <umbra/sys.h>
#include <umbra/private/sysimpl.h>
#include <stdarg.h>

static PetscLogDouble start_time;
static PetscReal      progress_interval = 10.0;

/* Called once at start-up: the clock of the log prefix and the progress pace */
PetscErrorCode UmbLogSetStart(void)
{
  PetscFunctionBegin;
  PetscCall(PetscTime(&start_time));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-progress_interval", &progress_interval, NULL));
  PetscCheck(progress_interval > 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-progress_interval must be positive, got %.6g", (double)progress_interval);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscLogDouble UmbElapsed(void)
{
  PetscLogDouble now = start_time;
  if (PetscTime(&now)) return 0;
  return now - start_time;
}

static PetscErrorCode LogV(MPI_Comm comm, FILE *fd, const char *tag, const char fmt[], va_list ap)
{
  PetscMPIInt rank;
  char        line[4096];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank) PetscFunctionReturn(PETSC_SUCCESS);
  vsnprintf(line, sizeof(line), fmt, ap); /* plain C formatting: PetscPrintf rewrites %g */
  fprintf(fd, "[%8.1fs] %s%s\n", (double)UmbElapsed(), tag, line);
  fflush(fd);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbLog(MPI_Comm comm, const char fmt[], ...)
{
  va_list ap;

  PetscFunctionBegin;
  va_start(ap, fmt);
  PetscCall(LogV(comm, stdout, "", fmt, ap));
  va_end(ap);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbLogWarning(MPI_Comm comm, const char fmt[], ...)
{
  va_list ap;

  PetscFunctionBegin;
  va_start(ap, fmt);
  PetscCall(LogV(comm, stderr, "warning: ", fmt, ap));
  va_end(ap);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbViewerPrintf(PetscViewer v, const char fmt[], ...)
{
  char    line[4096];
  va_list ap;

  PetscFunctionBegin;
  va_start(ap, fmt);
  vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  PetscCall(PetscViewerASCIIPrintf(v, "%s", line));
  PetscFunctionReturn(PETSC_SUCCESS);
}

struct _p_UmbProgress {
  MPI_Comm       comm;
  char           label[64], unit[64];
  double         total, done;
  PetscLogDouble t0, last;
  PetscReal      interval;
  PetscBool      finished;
};

PetscErrorCode UmbProgressCreate(MPI_Comm comm, const char label[], const char unit[], double total, UmbProgress *progress)
{
  UmbProgress p;

  PetscFunctionBegin;
  PetscCall(PetscNew(&p));
  p->comm     = comm;
  p->total    = total;
  p->interval = progress_interval;
  PetscCall(PetscStrncpy(p->label, label, sizeof(p->label)));
  PetscCall(PetscStrncpy(p->unit, unit, sizeof(p->unit)));
  PetscCall(PetscTime(&p->t0));
  p->last  = p->t0;
  *progress = p;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void FormatDuration(double s, char *buf, size_t len)
{
  if (!(s >= 0) || s > 1e9) snprintf(buf, len, "?");
  else if (s < 60) snprintf(buf, len, "%.0fs", s);
  else if (s < 3600) snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)s % 60);
  else snprintf(buf, len, "%dh%02dm", (int)(s / 3600), ((int)s % 3600) / 60);
}

static PetscErrorCode ProgressPrint(UmbProgress p, PetscLogDouble now)
{
  double elapsed = now - p->t0, rate = elapsed > 0 ? p->done / elapsed : 0;
  char   eta[32], took[32];

  PetscFunctionBegin;
  FormatDuration(rate > 0 ? (p->total - p->done) / rate : -1, eta, sizeof(eta));
  FormatDuration(elapsed, took, sizeof(took));
  PetscCall(UmbLog(p->comm, "%s: %5.1f%%  %.4g/%.4g %s  %.3g %s/s  elapsed %s  ETA %s", p->label, p->total > 0 ? 100.0 * p->done / p->total : 100.0, p->done, p->total, p->unit, rate, p->unit, took, eta));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbProgressUpdate(UmbProgress p, double done)
{
  PetscLogDouble now;

  PetscFunctionBegin;
  p->done = done;
  PetscCall(PetscTime(&now));
  if (now - p->last >= p->interval) {
    p->last = now;
    PetscCall(ProgressPrint(p, now));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbProgressFinish(UmbProgress p)
{
  PetscLogDouble now;

  PetscFunctionBegin;
  if (p->finished) PetscFunctionReturn(PETSC_SUCCESS);
  p->finished = PETSC_TRUE;
  PetscCall(PetscTime(&now));
  PetscCall(ProgressPrint(p, now));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbProgressDestroy(UmbProgress *p)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(*p));
  PetscFunctionReturn(PETSC_SUCCESS);
}
