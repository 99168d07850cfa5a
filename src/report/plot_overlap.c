/* overlap.png: the MBAR overlap matrix of the windows (fes.h5 /diagnostics/overlap) */
#include <umbra/private/reportimpl.h>

PetscErrorCode UmbReportPlotOverlap(UmbReport r)
{
  char       path[PETSC_MAX_PATH_LEN];
  UmbH5      h;
  int        rank;
  hsize_t    dims[3];
  PetscBool  has;
  PetscReal *O;
  FILE      *f;

  PetscFunctionBegin;
  if (!r->has_fesh5) {
    PetscCall(UmbReportSkip(r, "overlap.png", "no fes.h5 (made by umbra fes)"));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(UmbReportPath(r, "fes.h5", path, sizeof(path), NULL));
  PetscCall(UmbH5Open(PETSC_COMM_SELF, path, "fes", &h));
  PetscCall(UmbH5HasObject(h, "/diagnostics/overlap", &has));
  if (!has) {
    PetscCall(UmbH5Close(&h, PETSC_FALSE));
    PetscCall(UmbReportSkip(r, "overlap.png", "fes.h5 has no /diagnostics/overlap"));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(UmbH5GetShape(h, "/diagnostics/overlap", &rank, dims));
  PetscCheck(rank == 2 && dims[0] == dims[1], PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /diagnostics/overlap is not a square matrix", path);
  PetscCall(PetscMalloc1(dims[0] * dims[1], &O));
  PetscCall(UmbH5ReadSmall(h, "/diagnostics/overlap", H5T_NATIVE_DOUBLE, dims[0] * dims[1], O));
  PetscCall(UmbH5Close(&h, PETSC_FALSE));
  PetscCall(UmbReportOpen(r, "overlap.dat", "w", &f));
  fprintf(f, "# MBAR overlap matrix O_kl (fes.h5 /diagnostics/overlap), row k = window k\n");
  for (hsize_t k = 0; k < dims[0]; k++)
    for (hsize_t l = 0; l < dims[1]; l++) fprintf(f, "%.6g%s", (double)O[k * dims[1] + l], l + 1 < dims[1] ? " " : "\n");
  PetscCall(UmbReportClose(r, f, "overlap.dat"));
  PetscCall(PetscFree(O));
  PetscCall(UmbReportScriptBegin(r, "overlap", 800, 720, &f));
  fprintf(f, "set title 'MBAR overlap matrix of the %d windows (good sampling: neighbours > 0.03)'\nset xlabel 'window l'\nset ylabel 'window k'\nset cblabel 'overlap O_kl'\n", (int)dims[0]);
  fprintf(f, "set size ratio -1\nset autoscale fix\nset yrange [] reverse\nset palette defined (0 'white', 0.05 '#c6dbef', 0.2 '#4292c6', 1 '#08306b')\nset cbrange [0:*]\nset key off\nset grid front\n");
  fprintf(f, "plot 'overlap.dat' matrix with image\n");
  PetscCall(UmbReportScriptEnd(r, f, "overlap"));
  PetscFunctionReturn(PETSC_SUCCESS);
}
