/* UmbReport: the plots, summary.json and the one-screen summary of a run directory. Rank 0
   does the work (it is light); an error there is shared so that every rank stops with it. */
#include <umbra/private/reportimpl.h>
#include <umbra/fes.h>
#include <umbra/samplesfile.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>

PetscErrorCode UmbReportCreate(MPI_Comm comm, UmbReport *out)
{
  UmbReport r;

  PetscFunctionBegin;
  PetscCall(PetscNew(&r));
  r->comm        = comm;
  r->run_gnuplot = PETSC_TRUE;
  PetscCall(PetscStrncpy(r->gnuplot, "gnuplot", sizeof(r->gnuplot)));
  *out = r;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbReportSetFromOptions(UmbReport r)
{
  PetscInt  nz = 4;
  PetscReal z[4];
  PetscBool set;

  PetscFunctionBegin;
  PetscOptionsBegin(r->comm, NULL, "Report (umbra report)", NULL);
  PetscCall(PetscOptionsBool("-report_plots", "Run gnuplot to make the PNGs (0: write only their data and scripts)", NULL, r->run_gnuplot, &r->run_gnuplot, NULL));
  PetscCall(PetscOptionsRealArray("-report_z", "CV values of the conditional histograms (up to 3; default: the two deepest wells of fes.csv and the barrier between them)", NULL, z, &nz, &set));
  PetscCheck(!set || (nz >= 1 && nz <= 3), r->comm, PETSC_ERR_USER_INPUT, "-report_z needs 1 to 3 CV values");
  r->nz = set ? nz : 0;
  for (PetscInt k = 0; k < r->nz; k++) r->zsel[k] = z[k];
  PetscCall(PetscOptionsReal("-report_z_halfwidth", "Half-width of the CV slice |z - z0| < h of the physics histograms (0: 1% of the sampled CV range)", NULL, r->halfwidth, &r->halfwidth, NULL));
  PetscCheck(r->halfwidth >= 0, r->comm, PETSC_ERR_USER_INPUT, "-report_z_halfwidth must be >= 0, got %g", (double)r->halfwidth);
  PetscCall(PetscOptionsString("-report_gnuplot", "The gnuplot executable (a name in PATH or a path)", NULL, r->gnuplot, r->gnuplot, sizeof(r->gnuplot), NULL));
  PetscCheck(r->gnuplot[0], r->comm, PETSC_ERR_USER_INPUT, "-report_gnuplot needs the gnuplot executable");
  PetscOptionsEnd();
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbReportPath(UmbReport r, const char name[], char path[], size_t len, PetscBool *exists)
{
  struct stat st;

  PetscFunctionBegin;
  PetscCall(UmbPathJoin(r->dir, name, path, len));
  if (exists) *exists = (PetscBool)(!stat(path, &st) && S_ISREG(st.st_mode));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode AddPlot(UmbReport r, const char name[], UmbReportPlot **p)
{
  PetscFunctionBegin;
  PetscCheck(r->nplots < UMB_REPORT_MAX_PLOTS, PETSC_COMM_SELF, PETSC_ERR_PLIB, "too many plots");
  *p = &r->plots[r->nplots++];
  PetscCall(PetscMemzero(*p, sizeof(**p)));
  PetscCall(PetscStrncpy((*p)->name, name, sizeof((*p)->name)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbReportSkip(UmbReport r, const char name[], const char fmt[], ...)
{
  UmbReportPlot *p = NULL;
  va_list        ap;

  PetscFunctionBegin;
  PetscCall(AddPlot(r, name, &p));
  va_start(ap, fmt);
  vsnprintf(p->skipped, sizeof(p->skipped), fmt, ap);
  va_end(ap);
  PetscCall(UmbLog(PETSC_COMM_SELF, "report: %s skipped: %s", name, p->skipped));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbReportMade(UmbReport r, const char name[])
{
  UmbReportPlot *p = NULL;

  PetscFunctionBegin;
  PetscCall(AddPlot(r, name, &p));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadTable(UmbReport r, const char name[], UmbTable *t, PetscBool *has)
{
  char path[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCall(UmbReportPath(r, name, path, sizeof(path), has));
  if (*has) PetscCall(UmbTableRead(path, t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode FreeInputs(UmbReport r)
{
  PetscFunctionBegin;
  PetscCall(UmbTableDestroy(&r->fes));
  PetscCall(UmbTableDestroy(&r->exact));
  PetscCall(UmbTableDestroy(&r->closures));
  PetscCall(UmbTableDestroy(&r->consistency));
  PetscCall(UmbTableDestroy(&r->train));
  PetscCall(UmbTableDestroy(&r->windows));
  PetscCall(UmbTableDestroy(&r->stages));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Model, CV and coordinate names, beta: from samples.h5, else fes.h5, else the options that made fes.csv */
static PetscErrorCode ReadRunInfo(UmbReport r)
{
  char                   path[PETSC_MAX_PATH_LEN], value[64];
  UmbSamplesFile         sf;
  const UmbSamplesTable *t;
  UmbFesFile             ff;

  PetscFunctionBegin;
  PetscCall(PetscStrncpy(r->model, UmbTableOption(&r->fes, "-model", value, sizeof(value)) ? value : "fastslow", sizeof(r->model)));
  PetscCall(PetscStrncpy(r->cvnames, r->d > 1 ? "z,z2" : "z", sizeof(r->cvnames)));
  r->beta = UmbTableOption(&r->fes, "-beta", value, sizeof(value)) ? atof(value) : 1;
  r->coordinates[0] = 0;
  if (r->has_samples) {
    PetscCall(UmbReportPath(r, "samples.h5", path, sizeof(path), NULL));
    PetscCall(UmbSamplesFileOpen(PETSC_COMM_SELF, path, &sf));
    PetscCall(UmbSamplesFileGetTable(sf, &t));
    PetscCall(PetscStrncpy(r->model, t->model, sizeof(r->model)));
    PetscCall(PetscStrncpy(r->cvnames, t->cv_names, sizeof(r->cvnames)));
    PetscCall(PetscStrncpy(r->coordinates, t->coordinates, sizeof(r->coordinates)));
    r->beta = t->beta;
    PetscCall(UmbSamplesFileClose(&sf, PETSC_FALSE));
  } else if (r->has_fesh5) {
    PetscCall(UmbReportPath(r, "fes.h5", path, sizeof(path), NULL));
    PetscCall(UmbFesFileOpen(PETSC_COMM_SELF, path, &ff));
    PetscCall(UmbFesFileGetCV(ff, r->cvnames, sizeof(r->cvnames), &r->beta));
    PetscCall(UmbFesFileClose(&ff));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Rank 0: everything */
static PetscErrorCode Work(UmbReport r)
{
  char      path[PETSC_MAX_PATH_LEN];
  PetscBool has_fes = PETSC_FALSE;

  PetscFunctionBegin;
  PetscCall(FreeInputs(r));
  r->nplots = 0;
  PetscCall(UmbReportPath(r, "fes.csv", path, sizeof(path), &has_fes));
  PetscCheck(has_fes, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s not found: the report needs at least the free energy (made by 'umbra fes' or 'umbra run' with -out %s)", path, r->dir);
  PetscCall(UmbTableRead(path, &r->fes));
  PetscCheck(UmbTableColumn(&r->fes, "F") >= 1 && UmbTableColumn(&r->fes, "dF") >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s has no columns F and dF", path);
  r->d = UmbTableColumn(&r->fes, "z2") == 1 ? 2 : 1;
  PetscCall(ReadTable(r, "exact.csv", &r->exact, &r->has_exact));
  PetscCall(ReadTable(r, "closures.csv", &r->closures, &r->has_closures));
  PetscCall(ReadTable(r, "consistency.csv", &r->consistency, &r->has_consistency));
  PetscCall(ReadTable(r, "train.csv", &r->train, &r->has_train));
  PetscCall(ReadTable(r, "windows.csv", &r->windows, &r->has_windows));
  PetscCall(ReadTable(r, "stages.csv", &r->stages, &r->has_stages));
  PetscCall(UmbReportPath(r, "samples.h5", path, sizeof(path), &r->has_samples));
  PetscCall(UmbReportPath(r, "lift.h5", path, sizeof(path), &r->has_lift));
  PetscCall(UmbReportPath(r, "gan.h5", path, sizeof(path), &r->has_gan));
  PetscCall(UmbReportPath(r, "flow.h5", path, sizeof(path), &r->has_flow));
  PetscCall(UmbReportPath(r, "fes.h5", path, sizeof(path), &r->has_fesh5));
  PetscCall(ReadRunInfo(r));
  PetscCall(UmbPathJoin(r->dir, "plots", r->plotdir, sizeof(r->plotdir)));
  PetscCheck(!mkdir(r->plotdir, 0777) || errno == EEXIST, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot create directory %s: %s", r->plotdir, strerror(errno));
  PetscCall(UmbReportGnuplotDetect(r));
  PetscCall(UmbReportPlotFes(r));
  PetscCall(UmbReportPlotConditional(r));
  PetscCall(UmbReportPlotClosures(r));
  PetscCall(UmbReportPlotTraining(r));
  PetscCall(UmbReportPlotOverlap(r));
  PetscCall(UmbReportPlotStages(r));
  PetscCall(UmbReportPlotFlow(r));
  PetscCall(UmbReportCompute(r));
  PetscCall(UmbReportWriteJson(r));
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  PetscErrorCode code;
  char           message[1024];
} Caught;

static PetscErrorCode CatchError(MPI_Comm comm, int line, const char *fun, const char *file, PetscErrorCode n, PetscErrorType p, const char *mess, void *ctx)
{
  Caught *c = (Caught *)ctx;
  if (p == PETSC_ERROR_INITIAL && !c->code) {
    c->code = n;
    if (mess && mess[0] && strcmp(mess, " ")) snprintf(c->message, sizeof(c->message), "%s", mess);
    else snprintf(c->message, sizeof(c->message), "error %d in %s()", (int)n, fun ? fun : "?");
  }
  return n;
}

PetscErrorCode UmbReportRun(UmbReport r, const char dir[])
{
  PetscMPIInt rank;
  Caught      caught = {0, ""};
  int         code;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(r->comm, &rank));
  PetscCall(PetscStrncpy(r->dir, dir, sizeof(r->dir)));
  r->done = PETSC_FALSE;
  if (!rank) {
    PetscErrorCode ierr;
    PetscCall(PetscPushErrorHandler(CatchError, &caught));
    ierr = Work(r); /* not PetscCall: the error is shared below */
    PetscCall(PetscPopErrorHandler());
    if (ierr && !caught.code) {
      caught.code = ierr;
      snprintf(caught.message, sizeof(caught.message), "report failed (error %d)", (int)ierr);
    }
  }
  code = (int)caught.code;
  PetscCallMPI(MPI_Bcast(&code, 1, MPI_INT, 0, r->comm));
  PetscCallMPI(MPI_Bcast(caught.message, sizeof(caught.message), MPI_CHAR, 0, r->comm));
  PetscCheck(!code, r->comm, (PetscErrorCode)code, "%s", caught.message);
  r->done = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbReportDestroy(UmbReport *rp)
{
  PetscFunctionBegin;
  if (!*rp) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(FreeInputs(*rp));
  PetscCall(PetscFree(*rp));
  PetscFunctionReturn(PETSC_SUCCESS);
}
