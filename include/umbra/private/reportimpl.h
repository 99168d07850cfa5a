/* Private layout of UmbReport and the internal functions of src/report/. Everything here runs
   on rank 0 only (UmbReportRun shares its errors with the other ranks). */
#ifndef UMBRA_REPORTIMPL_H
#define UMBRA_REPORTIMPL_H

#include <umbra/report.h>
#include <umbra/io.h>
#include <umbra/samplesfile.h>
#include <stdio.h>

/* A CSV table of an umbra run directory: the provenance comment, the header, string cells */
typedef struct {
  char      provenance[4096]; /* the '#' line without the '# ', or "" */
  PetscInt  ncols, nrows;
  char    **names; /* ncols */
  char    **cells; /* nrows x ncols, row-major */
  char     *buf;
} UmbTable;

PETSC_INTERN PetscErrorCode UmbTableRead(const char[], UmbTable *);
PETSC_INTERN PetscErrorCode UmbTableDestroy(UmbTable *);
PETSC_INTERN PetscInt       UmbTableColumn(const UmbTable *, const char[]); /* -1 if absent */
PETSC_INTERN PetscReal      UmbTableReal(const UmbTable *, PetscInt, PetscInt); /* nan if not a number */
PETSC_INTERN const char    *UmbTableString(const UmbTable *, PetscInt, PetscInt);
PETSC_INTERN PetscBool      UmbTableOption(const UmbTable *, const char[], char[], size_t);

#define UMB_REPORT_MAX_PLOTS 8
typedef struct {
  char name[32];      /* file name, e.g. fes.png */
  char skipped[256];  /* why it was not made, or "" */
} UmbReportPlot;

struct _p_UmbReport {
  MPI_Comm  comm;
  /* options */
  PetscBool run_gnuplot;
  PetscReal zsel[3], halfwidth; /* the conditional histograms' z (nz of them) and half-width */
  PetscInt  nz;
  char      gnuplot[PETSC_MAX_PATH_LEN];
  /* the run directory and what was found in it */
  char      dir[PETSC_MAX_PATH_LEN], plotdir[PETSC_MAX_PATH_LEN + 8];
  char      terminal[16]; /* pngcairo or png */
  PetscBool gnuplot_missing;
  PetscInt  d;            /* CV dimension of fes.csv */
  UmbTable  fes, exact, closures, consistency, train, windows, stages;
  PetscBool has_exact, has_closures, has_consistency, has_train, has_windows, has_stages;
  PetscBool has_samples, has_lift, has_gan, has_flow, has_fesh5;
  char      model[64], cvnames[128], coordinates[UMB_COORDINATES_LEN];
  PetscReal beta;
  /* results */
  PetscInt      nplots;
  UmbReportPlot plots[UMB_REPORT_MAX_PLOTS];
  PetscInt      ncompared;              /* fes bins compared with the exact F */
  PetscReal     rms_exact, max_exact, zmax_exact, median_dF, min_overlap;
  PetscInt      checks, failed;
  char          worst[128];
  PetscReal     worst_value, worst_tolerance;
  PetscInt      nwindows, nfinite;
  PetscReal     nsamples, neffective, stage_seconds;
  PetscInt      epochs;
  PetscReal     swd, swd_floor;   /* gan: the last epoch of train.csv */
  PetscReal     nll, valid_nll;   /* flow: the last epoch of train.csv */
  char          generator[16];    /* gan, flow, or "" when nothing in the directory names one */
  PetscInt      ess_points;       /* grid points of closures.csv with a finite ESS (0: no ess column) */
  PetscReal     ess_min, ess_max, essf_min, essf_max;
  PetscInt      move_windows;     /* windows of windows.csv with flow moves (0: no flow-move columns) */
  PetscReal     acc_min, acc_max, switch_min, switch_max;
  PetscBool     done;
};

/* The path DIR/name and whether it exists */
PETSC_INTERN PetscErrorCode UmbReportPath(UmbReport, const char[], char[], size_t, PetscBool *);
/* Records a plot as made or skipped (with a log line saying why) */
PETSC_INTERN PetscErrorCode UmbReportSkip(UmbReport, const char[], const char[], ...) PETSC_ATTRIBUTE_FORMAT(3, 4);
PETSC_INTERN PetscErrorCode UmbReportMade(UmbReport, const char[]);

/* gnuplot: opens DIR/plots/<name>.gp with the terminal lines, runs a finished script */
PETSC_INTERN PetscErrorCode UmbReportGnuplotDetect(UmbReport);
PETSC_INTERN PetscErrorCode UmbReportOpen(UmbReport, const char[], const char[], FILE **);
PETSC_INTERN PetscErrorCode UmbReportScriptBegin(UmbReport, const char[], int, int, FILE **);
PETSC_INTERN PetscErrorCode UmbReportClose(UmbReport, FILE *, const char[]);
PETSC_INTERN PetscErrorCode UmbReportScriptEnd(UmbReport, FILE *, const char[]);
PETSC_INTERN PetscErrorCode UmbReportPlotCurves(FILE *, PetscInt, const char *const[], const PetscBool[]);

/* The plots */
PETSC_INTERN PetscErrorCode UmbReportPlotFes(UmbReport);
PETSC_INTERN PetscErrorCode UmbReportPlotConditional(UmbReport);
PETSC_INTERN PetscErrorCode UmbReportPlotClosures(UmbReport);
PETSC_INTERN PetscErrorCode UmbReportPlotTraining(UmbReport);
PETSC_INTERN PetscErrorCode UmbReportPlotOverlap(UmbReport);
PETSC_INTERN PetscErrorCode UmbReportPlotStages(UmbReport);
PETSC_INTERN PetscErrorCode UmbReportPlotFlow(UmbReport);

/* The cumulative trapezoid integral of f (nan points skipped) shifted to minimum 0, with the
   standard error of F(z) - F(z_min) from independent point errors e */
PETSC_INTERN PetscErrorCode UmbReportIntegrate(PetscInt, const PetscReal[], const PetscReal[], const PetscReal[], PetscReal[], PetscReal[]);

/* summary.json and the numbers it holds */
PETSC_INTERN PetscErrorCode UmbReportCompute(UmbReport);
PETSC_INTERN PetscErrorCode UmbReportWriteJson(UmbReport);

#endif
