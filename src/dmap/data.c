/* Input of a diffusion map: the rows of samples.h5 /samples/x (all of them, or a random
   subsample whose rows are chosen by a Philox key per row, so the choice does not depend on the
   rank count), each rank holding a contiguous block of the chosen rows in file order; and, with
   -dmap_weights mbar, the unbiased weights of those rows from fes.h5. */
#include <umbra/private/dmapimpl.h>
#include <umbra/rng.h>
#include <umbra/sampler.h>
#include <umbra/samplesfile.h>
#include <umbra/fes.h>

#define UMB_DMAP_READ_CHUNK 65536

static uint64_t RowKey(const UmbStream *s, PetscInt64 row)
{
  uint64_t b[4];
  UmbStreamBits(s, (uint64_t)row, 0, 0, b);
  return b[0];
}

/* A random subsample by row: row r is kept when its Philox key (seed, UMB_STREAM_DMAP, 0) at
   counter r is at most a threshold, so the choice depends on the rows only, not on the rank
   count. KeySelected tests one row against a threshold. */
PetscBool UmbDmapKeySelected(UmbDmap dm, PetscInt64 row, uint64_t thr)
{
  UmbStream s;
  UmbStreamInit(&s, (uint64_t)dm->seed, UMB_STREAM_DMAP, 0);
  return RowKey(&s, row) <= thr ? PETSC_TRUE : PETSC_FALSE;
}

/* The threshold that keeps the `want` rows with the smallest keys among the rows held by the
   ranks together (collective): this rank's nrows rows are rows[] or, when rows is NULL,
   lo .. lo + nrows - 1. Bisection on the key. */
PetscErrorCode UmbDmapKeyThreshold(UmbDmap dm, PetscInt64 nrows, const PetscInt64 rows[], PetscInt64 lo, PetscInt64 want, uint64_t *thr)
{
  UmbStream  s;
  uint64_t   tlo = 0, thi = UINT64_MAX, *key;
  PetscInt64 cnt;

  PetscFunctionBegin;
  UmbStreamInit(&s, (uint64_t)dm->seed, UMB_STREAM_DMAP, 0);
  PetscCall(PetscMalloc1(nrows + 1, &key));
  for (PetscInt64 i = 0; i < nrows; i++) key[i] = RowKey(&s, rows ? rows[i] : lo + i);
  while (tlo < thi) {
    uint64_t   mid = tlo + (thi - tlo) / 2;
    PetscInt64 c   = 0;
    for (PetscInt64 i = 0; i < nrows; i++) c += key[i] <= mid;
    PetscCallMPI(MPI_Allreduce(&c, &cnt, 1, MPIU_INT64, MPI_SUM, dm->comm));
    if (cnt >= want) thi = mid;
    else tlo = mid + 1;
  }
  PetscCall(PetscFree(key));
  *thr = tlo;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode FileExists(MPI_Comm comm, const char path[], PetscBool *exists)
{
  PetscMPIInt rank;
  int         e = 0;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank) {
    FILE *f = fopen(path, "r");
    if (f) {
      e = 1;
      fclose(f);
    }
  }
  PetscCallMPI(MPI_Bcast(&e, 1, MPI_INT, 0, comm));
  *exists = e ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Rows [r0, r0 + nr) of one array into buf */
typedef PetscErrorCode (*ReadFn)(void *, PetscInt64, PetscInt64, PetscReal[]);

static PetscErrorCode ReadStates(void *ctx, PetscInt64 r0, PetscInt64 nr, PetscReal buf[])
{
  PetscFunctionBegin;
  PetscCall(UmbSamplesFileReadRows((UmbSamplesFile)ctx, UMB_SAMPLES_X, r0, nr, buf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadLogNormalisers(void *ctx, PetscInt64 r0, PetscInt64 nr, PetscReal buf[])
{
  PetscFunctionBegin;
  PetscCall(UmbFesFileReadLogNormalisers((UmbFesFile)ctx, r0, nr, buf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Reads rows [lo, hi) of an array with ncol columns in chunks (collective: every rank loops the
   same number of times) and keeps the rows listed in sel (ascending, within [lo, hi)), or every
   row when sel is NULL */
static PetscErrorCode ReadSelectedRows(UmbDmap dm, ReadFn read, void *ctx, PetscInt ncol, PetscInt64 lo, PetscInt64 hi, const PetscInt64 *sel, PetscInt nsel, PetscReal *out)
{
  PetscInt64 nchunk = (hi - lo + UMB_DMAP_READ_CHUNK - 1) / UMB_DMAP_READ_CHUNK, nmax, s = 0;
  PetscReal *buf;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Allreduce(&nchunk, &nmax, 1, MPIU_INT64, MPI_MAX, dm->comm));
  PetscCall(PetscMalloc1((size_t)PetscMin(hi - lo, UMB_DMAP_READ_CHUNK) * ncol + 1, &buf));
  for (PetscInt64 c = 0; c < nmax; c++) {
    PetscInt64 r0 = PetscMin(lo + c * UMB_DMAP_READ_CHUNK, hi), nr = PetscMin((PetscInt64)UMB_DMAP_READ_CHUNK, hi - r0);
    PetscCall(read(ctx, r0, nr, buf));
    if (!sel) PetscCall(PetscArraycpy(out + (r0 - lo) * ncol, buf, nr * ncol));
    else
      for (; s < nsel && sel[s] < r0 + nr; s++) PetscCall(PetscArraycpy(out + s * ncol, buf + (sel[s] - r0) * ncol, ncol));
  }
  PetscCall(PetscFree(buf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The coordinate columns of -dmap_atoms (heavy: every atom whose element is not H; or 1-based
   ids), ascending, into cols (3 per atom; *ncols 0 for all); bad input names the file */
static PetscErrorCode SelectColumns(UmbDmap dm, UmbSamplesFile sf, const char path[], PetscInt *ncols, PetscInt **cols)
{
  const UmbSamplesTable *t;
  PetscBool             *keep;
  PetscBool              heavy;
  PetscInt               na = 0;

  PetscFunctionBegin;
  *ncols           = 0;
  *cols            = NULL;
  dm->atoms_desc[0] = 0;
  if (!strcmp(dm->atoms, "all")) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(UmbSamplesFileGetTable(sf, &t));
  PetscCheck(t->natoms > 0 && 3 * t->natoms == dm->n, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_atoms %s needs the samples of a molecular model, but %s has no atoms (/atoms)", dm->atoms, path);
  PetscCall(PetscCalloc1(t->natoms, &keep));
  PetscCall(PetscStrcmp(dm->atoms, "heavy", &heavy));
  if (heavy)
    for (PetscInt i = 0; i < t->natoms; i++) keep[i] = strcmp(t->atom_element + i * UMB_ATOM_STRLEN, "H") ? PETSC_TRUE : PETSC_FALSE;
  else {
    char  buf[256], *tok, *save = NULL, *end;
    PetscCall(PetscStrncpy(buf, dm->atoms, sizeof(buf)));
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
      const long id = strtol(tok, &end, 10);
      PetscCheck(*end == 0 && end != tok, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_atoms takes all, heavy or 1-based atom ids separated by commas, got '%s'", dm->atoms);
      PetscCheck(id >= 1 && id <= t->natoms, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_atoms: atom %ld does not exist (%s has atoms 1 to %" PetscInt_FMT ")", id, path, t->natoms);
      PetscCheck(!keep[id - 1], dm->comm, PETSC_ERR_USER_INPUT, "-dmap_atoms: atom %ld is given twice", id);
      keep[id - 1] = PETSC_TRUE;
    }
  }
  for (PetscInt i = 0; i < t->natoms; i++) na += keep[i];
  PetscCheck(na >= 1, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_atoms %s selects no atom of %s", dm->atoms, path);
  PetscCall(PetscMalloc1(3 * na, cols));
  for (PetscInt i = 0; i < t->natoms; i++)
    for (PetscInt c = 0; c < 3 && keep[i]; c++) (*cols)[(*ncols)++] = 3 * i + c;
  PetscCall(PetscFree(keep));
  snprintf(dm->atoms_desc, sizeof(dm->atoms_desc), "%d of the %d atoms (-dmap_atoms %.64s)", (int)na, (int)t->natoms, dm->atoms);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapReadPoints(UmbDmap dm)
{
  char           path[PETSC_MAX_PATH_LEN];
  UmbSamplesFile sf;
  PetscInt64     lo, hi, *sel = NULL;
  PetscInt       nsel;
  PetscBool      exists;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.dmap_read, 0, 0, 0, 0));
  if (dm->input[0]) PetscCall(PetscStrncpy(path, dm->input, sizeof(path)));
  else PetscCall(UmbPathJoin(dm->dir, "samples.h5", path, sizeof(path)));
  PetscCall(PetscStrncpy(dm->input, path, sizeof(dm->input)));
  PetscCall(FileExists(dm->comm, path, &exists));
  PetscCheck(exists, dm->comm, PETSC_ERR_USER_INPUT, "%s not found: run `umbra sample` (or `umbra run`) with the same -out first, or name the samples with -dmap_input", path);
  PetscCall(UmbSamplesFileOpen(dm->comm, path, &sf));
  PetscCall(UmbSamplesFileGetShape(sf, UMB_SAMPLES_X, &dm->nfile, &dm->n));
  PetscCheck(dm->nfile > 0 && dm->n > 0, dm->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /samples/x must be a non-empty N x n array", path);
  /* this rank's block of file rows; the chosen rows inside it stay here, in file order */
  {
    PetscInt64 q = dm->nfile / dm->size, rem = dm->nfile % dm->size;
    lo = dm->rank * q + PetscMin((PetscInt64)dm->rank, rem);
    hi = lo + q + (dm->rank < rem ? 1 : 0);
  }
  if (dm->npoints_opt > 0 && dm->npoints_opt < dm->nfile) {
    uint64_t thr;

    /* the rows with the npoints smallest keys */
    PetscCall(UmbDmapKeyThreshold(dm, hi - lo, NULL, lo, dm->npoints_opt, &thr));
    nsel = 0;
    for (PetscInt64 row = lo; row < hi; row++) nsel += UmbDmapKeySelected(dm, row, thr);
    PetscCall(PetscMalloc1(nsel + 1, &sel));
    nsel = 0;
    for (PetscInt64 row = lo; row < hi; row++)
      if (UmbDmapKeySelected(dm, row, thr)) sel[nsel++] = row;
  } else {
    PetscCall(PetscIntCast(hi - lo, &nsel));
  }
  dm->nloc = nsel;
  PetscCall(PetscFree(dm->x));
  PetscCall(PetscFree(dm->index));
  PetscCall(PetscFree(dm->w));
  PetscCall(PetscMalloc1((size_t)nsel * dm->n + 1, &dm->x));
  PetscCall(PetscMalloc1(nsel + 1, &dm->index));
  PetscCall(PetscMalloc1(nsel + 1, &dm->w));
  for (PetscInt i = 0; i < nsel; i++) {
    dm->index[i] = sel ? sel[i] : lo + i;
    dm->w[i]     = 1;
  }
  PetscCall(ReadSelectedRows(dm, ReadStates, sf, dm->n, lo, hi, sel, nsel, dm->x));
  PetscCall(UmbSamplesFileCheckFinite(sf, UMB_SAMPLES_X, nsel, dm->n, dm->x, 0, dm->index, "sample again (`umbra sample`)"));
  {
    PetscInt ncols, *cols;
    dm->nstate = dm->n;
    PetscCall(SelectColumns(dm, sf, path, &ncols, &cols));
    if (ncols) { /* in place: row i's column j comes from at or after where it goes */
      for (PetscInt i = 0; i < nsel; i++)
        for (PetscInt j = 0; j < ncols; j++) dm->x[(size_t)i * ncols + j] = dm->x[(size_t)i * dm->n + cols[j]];
      dm->n = ncols;
    }
    PetscCall(PetscFree(cols));
  }
  PetscCall(UmbSamplesFileClose(&sf, PETSC_FALSE));

  if (dm->weights == UMB_DMAP_WEIGHTS_MBAR) {
    char       fes[PETSC_MAX_PATH_LEN], dir[PETSC_MAX_PATH_LEN];
    char      *slash;
    PetscReal *ln, lmin = PETSC_MAX_REAL, gmin;
    PetscInt64 nf;
    UmbFesFile ff;

    PetscCall(PetscStrncpy(dir, path, sizeof(dir)));
    slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    else snprintf(dir, sizeof(dir), ".");
    PetscCall(UmbPathJoin(dir, "fes.h5", fes, sizeof(fes)));
    PetscCall(FileExists(dm->comm, fes, &exists));
    PetscCheck(exists, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_weights mbar needs %s: run `umbra fes` on %s first", fes, path);
    PetscCall(UmbFesFileOpen(dm->comm, fes, &ff));
    PetscCall(UmbFesFileGetSampleCount(ff, &nf));
    PetscCheck(nf == dm->nfile, dm->comm, PETSC_ERR_USER_INPUT, "%s has %llu per-sample weights but %s has %" PetscInt64_FMT " samples: rerun `umbra fes` on these samples", fes, (unsigned long long)nf, path, dm->nfile);
    PetscCall(PetscMalloc1(nsel + 1, &ln));
    PetscCall(ReadSelectedRows(dm, ReadLogNormalisers, ff, 1, lo, hi, sel, nsel, ln));
    PetscCall(UmbFesFileCheckLogNormalisers(ff, nsel, ln, 0, dm->index));
    PetscCall(UmbFesFileClose(&ff));
    for (PetscInt i = 0; i < nsel; i++) lmin = PetscMin(lmin, ln[i]);
    PetscCallMPI(MPI_Allreduce(&lmin, &gmin, 1, MPIU_REAL, MPI_MIN, dm->comm));
    /* w_n = exp(-log_normaliser_n), scaled so that the largest weight is 1 */
    for (PetscInt i = 0; i < nsel; i++) dm->w[i] = PetscExpReal(gmin - ln[i]);
    PetscCall(PetscFree(ln));
  }
  PetscCall(PetscFree(sel));
  PetscCall(PetscLogEventEnd(UMB_EVENT.dmap_read, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
