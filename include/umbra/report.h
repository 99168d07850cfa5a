/* The report of a run directory: plots (gnuplot PNGs with their data and scripts), summary.json
   and a one-screen summary. It reads only the files in the directory; each plot is skipped with
   a reason when its input is absent. */
#ifndef UMBRA_REPORT_H
#define UMBRA_REPORT_H

#include <umbra/sys.h>

typedef struct _p_UmbReport *UmbReport;

PETSC_EXTERN PetscErrorCode UmbReportCreate(MPI_Comm, UmbReport *);
/* -report_plots, -report_z, -report_z_halfwidth, -report_gnuplot */
PETSC_EXTERN PetscErrorCode UmbReportSetFromOptions(UmbReport);
/* Collective. Rank 0 reads DIR and writes DIR/plots/ and DIR/summary.json; an error on rank 0
   stops every rank with its message (bad input when DIR has no fes.csv). */
PETSC_EXTERN PetscErrorCode UmbReportRun(UmbReport, const char[]);
/* Rank 0 prints the one-screen summary of the last UmbReportRun */
PETSC_EXTERN PetscErrorCode UmbReportPrintSummary(UmbReport);
PETSC_EXTERN PetscErrorCode UmbReportDestroy(UmbReport *);

#endif
