/* fes.h5 read back by the later stages: the per-sample log normalisers (closure weights, dmap
   weights), the profile F(z) (closure checks), the window diagnostics (coupling rounds), the
   overlap matrix and the CV names and beta (report). The fes module writes the file (output.c) and is the only code that
   names its datasets. */
#include <umbra/private/fesimpl.h>

PetscErrorCode UmbFesFileOpen(MPI_Comm comm, const char path[], UmbFesFile *ff)
{
  PetscFunctionBegin;
  PetscCall(PetscNew(ff));
  (*ff)->comm = comm;
  PetscCall(PetscStrncpy((*ff)->path, path, sizeof((*ff)->path)));
  PetscCall(UmbH5Open(comm, path, "fes", &(*ff)->h5));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesFileClose(UmbFesFile *ff)
{
  PetscFunctionBegin;
  if (!*ff) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(UmbH5Close(&(*ff)->h5, PETSC_FALSE));
  PetscCall(PetscFree(*ff));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesFileGetCV(UmbFesFile ff, char names[], size_t len, PetscReal *beta)
{
  PetscFunctionBegin;
  PetscCall(UmbH5ReadAttrString(ff->h5, "/", "cv_names", names, len));
  PetscCall(UmbH5ReadAttrReals(ff->h5, "/", "beta", 1, beta));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesFileGetSampleCount(UmbFesFile ff, PetscInt64 *N)
{
  int     r;
  hsize_t dims[3];

  PetscFunctionBegin;
  PetscCall(UmbH5GetShape(ff->h5, "/samples/log_normaliser", &r, dims));
  *N = r == 1 ? (PetscInt64)dims[0] : -1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesFileReadLogNormalisers(UmbFesFile ff, PetscInt64 row0, PetscInt64 nrows, PetscReal lw[])
{
  PetscFunctionBegin;
  PetscCall(UmbH5ReadRows(ff->h5, "/samples/log_normaliser", H5T_NATIVE_DOUBLE, (hsize_t)row0, (hsize_t)nrows, lw));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesFileCheckLogNormalisers(UmbFesFile ff, PetscInt64 nrows, const PetscReal lw[], PetscInt64 row0, const PetscInt64 rowid[])
{
  PetscFunctionBegin;
  PetscCall(UmbCheckFiniteRows(ff->comm, ff->path, "/samples/log_normaliser", nrows, 1, lw, row0, rowid, "rerun `umbra fes`"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesFileReadProfile(UmbFesFile ff, PetscInt d, PetscInt *nb, PetscReal **z, PetscReal **F, PetscReal **dF)
{
  int     r;
  hsize_t dims[3];

  PetscFunctionBegin;
  PetscCall(UmbH5GetShape(ff->h5, "/profile/F", &r, dims));
  *nb = (PetscInt)dims[0];
  PetscCall(PetscMalloc3(*nb * d, z, *nb, F, *nb, dF));
  PetscCall(UmbH5ReadSmall(ff->h5, "/profile/z", H5T_NATIVE_DOUBLE, *nb * d, *z));
  PetscCall(UmbH5ReadSmall(ff->h5, "/profile/F", H5T_NATIVE_DOUBLE, *nb, *F));
  PetscCall(UmbH5ReadSmall(ff->h5, "/profile/dF", H5T_NATIVE_DOUBLE, *nb, *dF));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* dataset name holds n x m values (m = 1: a vector) */
static PetscErrorCode CheckShape(UmbFesFile ff, const char name[], PetscInt n, PetscInt m)
{
  int     r;
  hsize_t dims[3];

  PetscFunctionBegin;
  PetscCall(UmbH5GetShape(ff->h5, name, &r, dims));
  PetscCheck(r >= 1 && dims[0] == (hsize_t)n && (r == 1 ? 1 : r == 2 ? (PetscInt)dims[1] : -1) == m, ff->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: %s must hold %" PetscInt_FMT " x %" PetscInt_FMT " values", ff->path, name, n, m);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesFileReadDiagnostics(UmbFesFile ff, PetscInt K, UmbFesDiagnostics *g)
{
  int       r;
  hsize_t   dims[3];
  PetscBool has;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(g, sizeof(*g)));
  PetscCall(UmbH5GetShape(ff->h5, "/windows/n_eff", &r, dims));
  PetscCheck(r == 1 && dims[0] == (hsize_t)K, ff->comm, PETSC_ERR_FILE_UNEXPECTED, "%s holds %d windows, samples.h5 %" PetscInt_FMT ": run fes on these samples first", ff->path, (int)dims[0], K);
  g->K = K;
  PetscCall(PetscMalloc1(K, &g->neff));
  PetscCall(UmbH5ReadSmall(ff->h5, "/windows/n_eff", H5T_NATIVE_DOUBLE, K, g->neff));
  PetscCall(UmbH5ReadAttrReals(ff->h5, "/diagnostics", "consistency_alpha", 1, &g->alpha));
  PetscCall(UmbH5HasObject(ff->h5, "/diagnostics/neighbours", &has));
  if (has) {
    PetscCall(UmbH5GetShape(ff->h5, "/diagnostics/neighbours", &r, dims));
    PetscCheck(r == 2 && dims[1] == 2 && dims[0] < PETSC_MAX_INT / 2, ff->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /diagnostics/neighbours must be a list of pairs of windows", ff->path);
    has = (PetscBool)(dims[0] > 0);
  }
  if (has) {
    g->npairs = (PetscInt)dims[0];
    PetscCall(CheckShape(ff, "/diagnostics/neighbour_overlap", g->npairs, 2));
    PetscCall(CheckShape(ff, "/diagnostics/consistency_p", g->npairs, 1));
    PetscCall(PetscMalloc3(2 * g->npairs, &g->pairs, 2 * g->npairs, &g->overlap, g->npairs, &g->pvalue));
    PetscCall(UmbH5ReadSmall(ff->h5, "/diagnostics/neighbours", H5T_NATIVE_LLONG, 2 * g->npairs, g->pairs));
    PetscCall(UmbH5ReadSmall(ff->h5, "/diagnostics/neighbour_overlap", H5T_NATIVE_DOUBLE, 2 * g->npairs, g->overlap));
    PetscCall(UmbH5ReadSmall(ff->h5, "/diagnostics/consistency_p", H5T_NATIVE_DOUBLE, g->npairs, g->pvalue));
    for (PetscInt q = 0; q < 2 * g->npairs; q++) PetscCheck(g->pairs[q] >= 0 && g->pairs[q] < K, ff->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /diagnostics/neighbours names window %" PetscInt64_FMT ", but there are %" PetscInt_FMT, ff->path, g->pairs[q], K);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesDiagnosticsFree(UmbFesDiagnostics *g)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(g->neff));
  if (g->npairs) PetscCall(PetscFree3(g->pairs, g->overlap, g->pvalue));
  g->npairs = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesFileReadOverlap(UmbFesFile ff, PetscInt *K, PetscReal **O)
{
  int       r;
  hsize_t   dims[3];
  PetscBool has;

  PetscFunctionBegin;
  *K = 0;
  *O = NULL;
  PetscCall(UmbH5HasObject(ff->h5, "/diagnostics/overlap", &has));
  if (!has) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(UmbH5GetShape(ff->h5, "/diagnostics/overlap", &r, dims));
  PetscCheck(r == 2 && dims[0] == dims[1], ff->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /diagnostics/overlap is not a square matrix", ff->path);
  *K = (PetscInt)dims[0];
  PetscCall(PetscMalloc1(dims[0] * dims[1], O));
  PetscCall(UmbH5ReadSmall(ff->h5, "/diagnostics/overlap", H5T_NATIVE_DOUBLE, dims[0] * dims[1], *O));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesFileGetMinNeighbourOverlap(UmbFesFile ff, PetscBool *has, PetscReal *v)
{
  PetscFunctionBegin;
  PetscCall(UmbH5HasObject(ff->h5, "/diagnostics", has));
  if (*has) PetscCall(UmbH5ReadAttrReals(ff->h5, "/diagnostics", "min_neighbour_overlap", 1, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}
