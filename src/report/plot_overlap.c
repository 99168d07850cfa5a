/* overlap.png: the MBAR overlap matrix of the windows (fes.h5 /diagnostics/overlap) */
#include <umbra/private/reportimpl.h>
#include <umbra/fes.h>

PetscErrorCode UmbReportPlotOverlap(UmbReport r)
{
  char       path[PETSC_MAX_PATH_LEN];
  UmbFesFile ff;
  PetscInt   K;
  PetscReal *O;
  FILE      *f;

  PetscFunctionBegin;
  if (!r->has_fesh5) {
    PetscCall(UmbReportSkip(r, "overlap.png", "no fes.h5 (made by umbra fes)"));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(UmbReportPath(r, "fes.h5", path, sizeof(path), NULL));
  PetscCall(UmbFesFileOpen(PETSC_COMM_SELF, path, &ff));
  PetscCall(UmbFesFileReadOverlap(ff, &K, &O));
  PetscCall(UmbFesFileClose(&ff));
  if (!O) {
    PetscCall(UmbReportSkip(r, "overlap.png", "fes.h5 has no /diagnostics/overlap"));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(UmbReportOpen(r, "overlap.dat", "w", &f));
  fprintf(f, "# MBAR overlap matrix O_kl (fes.h5 /diagnostics/overlap), row k = window k\n");
  for (PetscInt k = 0; k < K; k++)
    for (PetscInt l = 0; l < K; l++) fprintf(f, "%.6g%s", (double)O[k * K + l], l + 1 < K ? " " : "\n");
  PetscCall(UmbReportClose(r, f, "overlap.dat"));
  PetscCall(PetscFree(O));
  PetscCall(UmbReportScriptBegin(r, "overlap", 800, 720, &f));
  fprintf(f, "set title 'MBAR overlap matrix of the %d windows (good sampling: neighbours > 0.03)'\nset xlabel 'window l'\nset ylabel 'window k'\nset cblabel 'overlap O_kl'\n", (int)K);
  fprintf(f, "set size ratio -1\nset autoscale fix\nset yrange [] reverse\nset palette defined (0 'white', 0.05 '#c6dbef', 0.2 '#4292c6', 1 '#08306b')\nset cbrange [0:*]\nset key off\nset grid front\n");
  fprintf(f, "plot 'overlap.dat' matrix with image\n");
  PetscCall(UmbReportScriptEnd(r, f, "overlap"));
  PetscFunctionReturn(PETSC_SUCCESS);
}
