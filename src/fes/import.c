/* umbra import: umbrella data of other programs -> <dir>/samples.h5 and windows.csv
   (docs/import.md). Every rank reads the lists (small); the data files of a window are read, line
   by line, by the rank UmbLayoutRange gives the window to, and only that rank holds its rows.
   A bad input is recorded with the file and line that show it, agreed on by every rank and
   reported once before anything is written. Units: the spring constants become kT per CV unit^2
   (beta = 1), the temperature and the source units are recorded. */
#include <umbra/private/importimpl.h>
#include <umbra/stats.h>
#include <errno.h>
#include <stdarg.h>

const char *const UmbImportFormats[] = {"none", "gmx", "plumed", "grossfield", "UmbImportFormat", "UMB_IMPORT_", NULL};

PetscErrorCode UmbImportCreate(MPI_Comm comm, UmbImport *out)
{
  UmbImport im;

  PetscFunctionBegin;
  PetscCall(PetscNew(&im));
  im->comm = comm;
  PetscCallMPI(MPI_Comm_rank(comm, &im->rank));
  PetscCallMPI(MPI_Comm_size(comm, &im->size));
  im->format = UMB_IMPORT_NONE;
  *out       = im;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbImportSetFromOptions(UmbImport im)
{
  PetscFunctionBegin;
  PetscOptionsBegin(im->comm, NULL, "Import options (umbra import)", "UmbImport");
  PetscCall(PetscOptionsEnum("-import_format", "Format of the data: gmx, plumed or grossfield", "UmbImportSetFromOptions", UmbImportFormats, (PetscEnum)im->format, (PetscEnum *)&im->format, NULL));
  PetscCall(PetscOptionsString("-import_it", "gmx: file listing one .mdp per pullx file (as gmx wham -it)", "UmbImportSetFromOptions", im->it, im->it, sizeof(im->it), NULL));
  PetscCall(PetscOptionsString("-import_ix", "gmx: file listing the pullx.xvg files (as gmx wham -ix)", "UmbImportSetFromOptions", im->ix, im->ix, sizeof(im->ix), NULL));
  PetscCall(PetscOptionsString("-import_list", "plumed: lines COLVAR_FILE CENTER KAPPA; grossfield: its metadata file", "UmbImportSetFromOptions", im->list, im->list, sizeof(im->list), NULL));
  PetscCall(PetscOptionsString("-import_units", "Energy unit of the spring constants: kJ/mol, kcal/mol or kT", "UmbImportSetFromOptions", im->units, im->units, sizeof(im->units), &im->units_set));
  PetscCall(PetscOptionsReal("-import_temp", "Temperature in K (gmx: instead of ref-t)", "UmbImportSetFromOptions", im->temp, &im->temp, &im->temp_set));
  PetscCall(PetscOptionsString("-import_column", "plumed: the COLVAR column of the CV (default: the first after time)", "UmbImportSetFromOptions", im->column, im->column, sizeof(im->column), NULL));
  PetscCall(PetscOptionsString("-import_fine", "plumed: COLVAR columns kept as fine coordinates (comma-separated names, or all)", "UmbImportSetFromOptions", im->fine, im->fine, sizeof(im->fine), &im->fine_set));
  PetscCall(PetscOptionsReal("-import_begin", "Drop frames before this time (the files' time unit)", "UmbImportSetFromOptions", im->begin, &im->begin, &im->begin_set));
  PetscCall(PetscOptionsReal("-import_end", "Drop frames after this time (the files' time unit)", "UmbImportSetFromOptions", im->end, &im->end, &im->end_set));
  PetscCall(PetscOptionsReal("-import_period", "Period of the CV (0: not periodic; gmx and PLUMED files say it themselves)", "UmbImportSetFromOptions", im->period, &im->period, &im->period_set));
  PetscOptionsEnd();
  if (im->units_set) {
    if (!strcmp(im->units, "kJ/mol")) im->kB = UMB_KB_KJMOL;
    else if (!strcmp(im->units, "kcal/mol")) im->kB = UMB_KB_KCALMOL;
    else PetscCheck(!strcmp(im->units, "kT"), im->comm, PETSC_ERR_USER_INPUT, "unknown units '%s' (-import_units: kJ/mol, kcal/mol or kT)", im->units);
  }
  PetscCheck(!im->temp_set || (im->temp > 0 && PetscIsNormalReal(im->temp)), im->comm, PETSC_ERR_USER_INPUT, "-import_temp must be a positive temperature in K, got %.6g", (double)im->temp);
  PetscCheck(!im->period_set || (im->period >= 0 && !PetscIsInfOrNanReal(im->period)), im->comm, PETSC_ERR_USER_INPUT, "-import_period must be 0 (not periodic) or positive, got %.6g", (double)im->period);
  if (im->begin_set && im->end_set && im->begin > im->end) { /* formatted here: PETSc's error formatter turns %g of 5 into "5." */
    char msg[128];
    snprintf(msg, sizeof(msg), "-import_begin %g is after -import_end %g", (double)im->begin, (double)im->end);
    SETERRQ(im->comm, PETSC_ERR_USER_INPUT, "%s", msg);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode FreeData(UmbImport im)
{
  PetscFunctionBegin;
  for (PetscInt e = 0; e < im->nent; e++) {
    PetscCall(PetscFree(im->series[e]));
    if (im->param) PetscCall(PetscFree(im->param[e]));
  }
  PetscCall(PetscFree(im->series));
  PetscCall(PetscFree(im->param));
  PetscCall(PetscFree(im->entline)); /* grown one by one with PetscRealloc: freed one by one */
  PetscCall(PetscFree(im->ecenter));
  PetscCall(PetscFree(im->ekappa));
  PetscCall(PetscFree(im->ecorrel));
  PetscCall(PetscFree(im->etemp));
  PetscCall(PetscFree(im->first));
  PetscCall(PetscFree4(im->center, im->kappa, im->temperature, im->iact));
  PetscCall(PetscFree3(im->nk, im->walkers, im->frames));
  PetscCall(PetscFree3(im->eframes, im->edropped, im->sha));
  PetscCall(PetscFree(im->z));
  PetscCall(PetscFree(im->x));
  im->nent = im->K = 0;
  im->nloc = im->cap = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbImportDestroy(UmbImport *im)
{
  PetscFunctionBegin;
  if (!*im) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(FreeData(*im));
  PetscCall(PetscFree(*im));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- reading text ------------------------------------------------------------------------ */

PetscBool UmbImportFail(UmbImport im, const char fmt[], ...)
{
  va_list ap;
  if (im->err[0]) return PETSC_FALSE;
  va_start(ap, fmt);
  vsnprintf(im->err, sizeof(im->err), fmt, ap);
  va_end(ap);
  return PETSC_FALSE;
}

PetscBool UmbImportOpen(UmbImport im, UmbImportReader *r, const char path[])
{
  PetscMemzero(r, sizeof(*r));
  r->path = path;
  r->fd   = fopen(path, "r");
  if (!r->fd) return UmbImportFail(im, "cannot read %s: %s", path, strerror(errno));
  UmbSha256Init(&r->sha);
  return PETSC_TRUE;
}

ssize_t UmbImportNextLine(UmbImport im, UmbImportReader *r)
{
  ssize_t len;
  errno = 0;
  len   = getline(&r->line, &r->cap, r->fd);
  if (len < 0) {
    if (ferror(r->fd)) UmbImportFail(im, "cannot read %s after line %" PetscInt64_FMT ": %s", r->path, r->lineno, strerror(errno ? errno : EIO));
    return -1;
  }
  UmbSha256Update(&r->sha, r->line, (size_t)len);
  r->lineno++;
  while (len > 0 && (r->line[len - 1] == '\n' || r->line[len - 1] == '\r')) r->line[--len] = 0;
  return len;
}

void UmbImportClose(UmbImportReader *r, char sha[65])
{
  if (r->fd) {
    /* the rest of the file counts in its checksum too */
    char   buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof(buf), r->fd)) > 0) UmbSha256Update(&r->sha, buf, got);
    fclose(r->fd);
  }
  if (sha) UmbSha256Final(&r->sha, sha);
  free(r->line);
  r->fd   = NULL;
  r->line = NULL;
}

int UmbImportSplit(char *s, char *tok[], int max)
{
  int n = 0;
  while (*s) {
    while (*s == ' ' || *s == '\t') s++;
    if (!*s) break;
    if (n == max) return max + 1;
    tok[n++] = s;
    while (*s && *s != ' ' && *s != '\t') s++;
    if (*s) *s++ = 0;
  }
  return n;
}

PetscBool UmbImportReal(UmbImport im, const UmbImportReader *r, const char *tok, const char what[], double *v)
{
  char *end;
  errno = 0;
  *v    = strtod(tok, &end);
  if (end == tok || *end) return UmbImportFail(im, "%s, line %" PetscInt64_FMT ": %s '%s' is not a number", r->path, r->lineno, what, tok);
  if (!isfinite(*v)) return UmbImportFail(im, "%s, line %" PetscInt64_FMT ": %s '%s' is not finite", r->path, r->lineno, what, tok);
  return PETSC_TRUE;
}

void UmbImportResolve(const char list[], const char entry[], char out[], size_t len)
{
  const char *slash = strrchr(list, '/');
  if (entry[0] == '/' || !slash) snprintf(out, len, "%s", entry);
  else snprintf(out, len, "%.*s/%s", (int)(slash - list), list, entry);
}

PetscErrorCode UmbImportFrame(UmbImport im, const UmbImportReader *r, PetscInt e, double t, double *tprev, const double x[])
{
  PetscFunctionBegin;
  if (t < *tprev) {
    UmbImportFail(im, "%s, line %" PetscInt64_FMT ": time %.10g goes backwards (the line before: %.10g)", r->path, r->lineno, t, *tprev);
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  *tprev = t;
  if ((im->begin_set && t < im->begin) || (im->end_set && t > im->end)) {
    im->edropped[e]++;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (im->nloc == im->cap) {
    im->cap = PetscMax(1024, 2 * im->cap);
    PetscCall(PetscRealloc(sizeof(PetscReal) * (size_t)im->cap, &im->z));
    PetscCall(PetscRealloc(sizeof(PetscReal) * (size_t)(im->cap * im->n), &im->x));
  }
  im->z[im->nloc] = x[0];
  for (PetscInt j = 0; j < im->n; j++) im->x[im->nloc * im->n + j] = x[j];
  im->nloc++;
  im->eframes[e]++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbImportReadSeries(UmbImport im, PetscInt e, const char skip[], const char what[])
{
  UmbImportReader r;
  double          tprev = -PETSC_MAX_REAL;
  ssize_t         len;

  PetscFunctionBegin;
  if (!UmbImportOpen(im, &r, im->series[e])) PetscFunctionReturn(PETSC_SUCCESS);
  while (!im->err[0] && (len = UmbImportNextLine(im, &r)) >= 0) {
    char  *tok[UMB_IMPORT_MAXCOL + 1];
    int    nt;
    double t, v;
    if (r.line[0] && strchr(skip, r.line[0])) continue;
    nt = UmbImportSplit(r.line, tok, UMB_IMPORT_MAXCOL);
    if (nt == 0) continue;
    if (nt < 2) {
      UmbImportFail(im, "%s, line %" PetscInt64_FMT ": malformed line, expected time and the %s", r.path, r.lineno, what);
      break;
    }
    if (!UmbImportReal(im, &r, tok[0], "time", &t) || !UmbImportReal(im, &r, tok[1], what, &v)) break;
    PetscCall(UmbImportFrame(im, &r, e, t, &tprev, &v));
  }
  UmbImportClose(&r, im->sha[e]);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- lists ------------------------------------------------------------------------------- */

PetscErrorCode UmbImportAddEntry(UmbImport im, const UmbImportReader *r, const char series[], const char param[], PetscReal center, PetscReal kappa, PetscReal correl, PetscReal temp)
{
  const PetscInt e = im->nent;
  char           path[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  if (e % 256 == 0) {
    const size_t m = (size_t)e + 256;
    PetscCall(PetscRealloc(sizeof(char *) * m, &im->series));
    PetscCall(PetscRealloc(sizeof(char *) * m, &im->param));
    PetscCall(PetscRealloc(sizeof(PetscInt) * m, &im->entline));
    PetscCall(PetscRealloc(sizeof(PetscReal) * m, &im->ecenter));
    PetscCall(PetscRealloc(sizeof(PetscReal) * m, &im->ekappa));
    PetscCall(PetscRealloc(sizeof(PetscReal) * m, &im->ecorrel));
    PetscCall(PetscRealloc(sizeof(PetscReal) * m, &im->etemp));
  }
  UmbImportResolve(r->path, series, path, sizeof(path));
  PetscCall(PetscStrallocpy(path, &im->series[e]));
  im->param[e] = NULL;
  if (param) {
    UmbImportResolve(r->path, param, path, sizeof(path));
    PetscCall(PetscStrallocpy(path, &im->param[e]));
  }
  im->entline[e] = (PetscInt)r->lineno;
  im->ecenter[e] = center;
  im->ekappa[e]  = kappa;
  im->ecorrel[e] = correl;
  im->etemp[e]   = temp;
  im->nent++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbImportReadList(UmbImport im, const char path[], int mintok, int maxtok, const char form[], PetscErrorCode (*add)(UmbImport, const UmbImportReader *, char *[], int), char sha[65])
{
  UmbImportReader r;
  ssize_t         len;

  PetscFunctionBegin;
  if (!UmbImportOpen(im, &r, path)) PetscFunctionReturn(PETSC_SUCCESS);
  while (!im->err[0] && (len = UmbImportNextLine(im, &r)) >= 0) {
    char *tok[16];
    int   nt;
    if (strchr(r.line, '#')) *strchr(r.line, '#') = 0;
    nt = UmbImportSplit(r.line, tok, maxtok);
    if (nt == 0) continue;
    if (nt < mintok || nt > maxtok) {
      UmbImportFail(im, "%s, line %" PetscInt64_FMT ": malformed line, expected %s", path, r.lineno, form);
      break;
    }
    PetscCall(add(im, &r, tok, nt));
  }
  UmbImportClose(&r, sha);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- the windows of this rank, then the table on every rank --------------------------------- */

static PetscErrorCode Allocate(UmbImport im)
{
  const PetscInt K = im->K, E = im->nent;

  PetscFunctionBegin;
  PetscCall(PetscCalloc4(K, &im->center, K, &im->kappa, K, &im->temperature, K, &im->iact));
  PetscCall(PetscCalloc3(K, &im->nk, K, &im->walkers, K, &im->frames));
  PetscCall(PetscCalloc3(E, &im->eframes, E, &im->edropped, E, &im->sha));
  UmbLayoutRange(K, im->size, im->rank, &im->klo, &im->khi);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* rows, walkers and IACT of the local windows, every window with frames */
static PetscErrorCode LocalWindows(UmbImport im)
{
  PetscInt64 r0 = 0;

  PetscFunctionBegin;
  for (PetscInt k = im->klo; k < im->khi && !im->err[0]; k++) {
    PetscInt64 f = im->eframes[im->first[k]];
    for (PetscInt e = im->first[k]; e < im->first[k + 1]; e++) {
      im->nk[k] += im->eframes[e];
      if (im->eframes[e] != f) f = -1;
    }
    im->walkers[k] = im->first[k + 1] - im->first[k];
    im->frames[k]  = f;
    if (!im->nk[k]) {
      const PetscInt e = im->first[k];
      UmbImportFail(im, "window %" PetscInt_FMT " (%s, line %" PetscInt_FMT " of %s) has no frames%s%s", k, im->series[e], im->entline[e], im->entlist, im->begin_set || im->end_set ? " between -import_begin and -import_end" : "", im->eframes[e] + im->edropped[e] ? "" : ": the file holds no data");
      break;
    }
    if (!PetscIsInfOrNanReal(im->ecorrel[im->first[k]]) && im->format == UMB_IMPORT_GROSSFIELD) im->iact[k] = im->ecorrel[im->first[k]];
    else if (f > 0) PetscCall(UmbIACT((PetscInt)im->walkers[k], (PetscInt)f, im->z + r0, &im->iact[k]));
    else PetscCall(UmbIACT(1, (PetscInt)im->nk[k], im->z + r0, &im->iact[k]));
    r0 += im->nk[k];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Gather(UmbImport im)
{
  const PetscInt K = im->K, E = im->nent;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, im->center, (PetscMPIInt)K, MPIU_REAL, MPI_SUM, im->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, im->kappa, (PetscMPIInt)K, MPIU_REAL, MPI_SUM, im->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, im->temperature, (PetscMPIInt)K, MPIU_REAL, MPI_SUM, im->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, im->iact, (PetscMPIInt)K, MPIU_REAL, MPI_SUM, im->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, im->nk, (PetscMPIInt)K, MPIU_INT64, MPI_SUM, im->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, im->walkers, (PetscMPIInt)K, MPIU_INT64, MPI_SUM, im->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, im->frames, (PetscMPIInt)K, MPIU_INT64, MPI_SUM, im->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, im->eframes, (PetscMPIInt)E, MPIU_INT64, MPI_SUM, im->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, im->edropped, (PetscMPIInt)E, MPIU_INT64, MPI_SUM, im->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, im->sha, (PetscMPIInt)(65 * E), MPI_UNSIGNED_CHAR, MPI_MAX, im->comm));
  { /* the CV's description: from the rank of window 0 (every rank with windows checked it against its own) */
    PetscMPIInt owner = UmbLayoutOwner(K, im->size, 0);
    PetscCallMPI(MPI_Bcast(&im->per, 1, MPIU_REAL, owner, im->comm));
    PetscCallMPI(MPI_Bcast(&im->n, 1, MPIU_INT, owner, im->comm));
    PetscCallMPI(MPI_Bcast(im->cvname, sizeof(im->cvname), MPI_CHAR, owner, im->comm));
    PetscCallMPI(MPI_Bcast(im->cvunit, sizeof(im->cvunit), MPI_CHAR, owner, im->comm));
    PetscCallMPI(MPI_Bcast(im->cvtype, sizeof(im->cvtype), MPI_CHAR, owner, im->comm));
    PetscCallMPI(MPI_Bcast(im->coordinates, sizeof(im->coordinates), MPI_CHAR, owner, im->comm));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* one CV on every rank that read windows (period, columns), before window 0's rank gives its
   description to all */
static PetscErrorCode CheckCV(UmbImport im)
{
  const PetscBool none = (PetscBool)(im->klo == im->khi);
  PetscReal       lo[2], hi[2];

  PetscFunctionBegin;
  lo[0] = none ? PETSC_MAX_REAL : im->per;
  lo[1] = none ? PETSC_MAX_REAL : (PetscReal)im->n;
  hi[0] = none ? -PETSC_MAX_REAL : im->per;
  hi[1] = none ? -PETSC_MAX_REAL : (PetscReal)im->n;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, lo, 2, MPIU_REAL, MPI_MIN, im->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, hi, 2, MPIU_REAL, MPI_MAX, im->comm));
  if (lo[0] != hi[0]) {
    char msg[PETSC_MAX_PATH_LEN + 128];
    snprintf(msg, sizeof(msg), "the files of %s give the CV different periods (%g and %g): one CV per import", im->entlist, (double)lo[0], (double)hi[0]);
    SETERRQ(im->comm, PETSC_ERR_USER_INPUT, "%s", msg);
  }
  PetscCheck(lo[1] == hi[1], im->comm, PETSC_ERR_USER_INPUT, "the files of %s hold different columns: one set of fine coordinates per import", im->entlist);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* one temperature (identical on every rank after the gather) */
static PetscErrorCode CheckTemperatures(UmbImport im)
{
  PetscFunctionBegin;
  for (PetscInt k = 1; k < im->K; k++) {
    const PetscReal T0 = im->temperature[0], T = im->temperature[k];
    const PetscInt  e0 = im->first[0], e = im->first[k];
    PetscCheck(PetscAbsReal(T - T0) <= 1e-9 * PetscMax(T, T0), im->comm, PETSC_ERR_USER_INPUT, "mixed temperatures: window 0 (%s) is at %.10g K, window %" PetscInt_FMT " (%s) at %.10g K; umbra imports windows of one temperature", im->param[e0] ? im->param[e0] : im->series[e0], (double)T0, k, im->param[e] ? im->param[e] : im->series[e], (double)T);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every file read, with its checksum, window, frames kept and dropped */
static PetscErrorCode WriteProvenance(UmbImport im, UmbSamplesFile sf)
{
  const PetscInt    nl = im->format == UMB_IMPORT_GMX ? 2 : 1;
  const char       *lists[2] = {im->format == UMB_IMPORT_GMX ? im->it : im->list, im->ix};
  PetscInt          nf = nl + im->nent, width = 0, npar = 0;
  char             *files;
  PetscInt64       *window, *frames, *dropped;
  UmbSamplesImport  rec;
  char            **parsha = NULL;

  PetscFunctionBegin;
  /* gmx: the .mdp of each window too (read again for its checksum: small files) */
  if (im->format == UMB_IMPORT_GMX) {
    PetscCall(PetscMalloc1(im->K, &parsha));
    for (PetscInt k = 0; k < im->K; k++) {
      UmbImportReader r;
      PetscCall(PetscMalloc1(65, &parsha[k]));
      if (UmbImportOpen(im, &r, im->param[im->first[k]])) UmbImportClose(&r, parsha[k]);
      else snprintf(parsha[k], 65, "%s", "unreadable");
    }
    npar = im->K;
    nf += npar;
  }
  for (PetscInt i = 0; i < nl; i++) width = PetscMax(width, (PetscInt)strlen(lists[i]));
  for (PetscInt e = 0; e < im->nent; e++) width = PetscMax(width, (PetscInt)strlen(im->series[e]));
  for (PetscInt k = 0; k < npar; k++) width = PetscMax(width, (PetscInt)strlen(im->param[im->first[k]]));
  width += 64 + 2 + 1;
  PetscCall(PetscCalloc1((size_t)(nf * width), &files));
  PetscCall(PetscMalloc3(nf, &window, nf, &frames, nf, &dropped));
  for (PetscInt i = 0; i < nl; i++) {
    snprintf(files + i * width, (size_t)width, "%s  %s", im->listsha[i], lists[i]);
    window[i] = -1;
    frames[i] = dropped[i] = 0;
  }
  for (PetscInt k = 0, i = nl; k < im->K; k++) {
    if (npar) {
      snprintf(files + i * width, (size_t)width, "%s  %s", parsha[k], im->param[im->first[k]]);
      window[i] = k;
      frames[i] = dropped[i] = 0;
      i++;
    }
    for (PetscInt e = im->first[k]; e < im->first[k + 1]; e++, i++) {
      snprintf(files + i * width, (size_t)width, "%s  %s", im->sha[e], im->series[e]);
      window[i]  = k;
      frames[i]  = im->eframes[e];
      dropped[i] = im->edropped[e];
    }
  }
  rec.format  = UmbImportFormats[im->format];
  rec.engine  = im->engine;
  rec.units   = im->kB == UMB_KB_KJMOL ? "kJ/mol" : im->kB == UMB_KB_KCALMOL ? "kcal/mol" : "kT";
  rec.cv_unit = im->cvunit;
  rec.cv      = im->cvtype;
  rec.kB      = im->kB;
  rec.begin   = im->begin_set ? im->begin : NAN;
  rec.end     = im->end_set ? im->end : NAN;
  rec.nfiles  = nf;
  rec.width   = width;
  rec.files   = files;
  rec.window  = window;
  rec.frames  = frames;
  rec.dropped = dropped;
  PetscCall(UmbSamplesFileWriteImport(sf, &rec));
  PetscCall(PetscFree3(window, frames, dropped));
  PetscCall(PetscFree(files));
  for (PetscInt k = 0; k < npar; k++) PetscCall(PetscFree(parsha[k]));
  PetscCall(PetscFree(parsha));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WriteSamples(UmbImport im, const char dir[])
{
  UmbSamplesTable t;
  UmbSamplesFile  sf;
  char            path[PETSC_MAX_PATH_LEN];
  PetscInt64      nw = im->walkers[0], nf = im->frames[0], dropped = 0;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(&t, sizeof(t)));
  t.K      = im->K;
  t.d      = 1;
  t.center = im->center;
  t.kappa  = im->kappa;
  t.iact   = im->iact;
  PetscCall(PetscMalloc1(im->K + 1, &t.offset));
  t.offset[0] = 0;
  for (PetscInt k = 0; k < im->K; k++) {
    t.offset[k + 1] = t.offset[k] + im->nk[k];
    if (im->walkers[k] != nw || im->frames[k] != nf) nw = -1;
  }
  for (PetscInt e = 0; e < im->nent; e++) dropped += im->edropped[e];
  t.N           = t.offset[im->K];
  t.beta        = 1;
  t.period[0]   = im->per;
  t.temperature = im->temperature[0];
  t.nwalkers    = nw > 0 && nf > 0 ? nw : 1;
  t.nframes     = nw > 0 && nf > 0 ? nf : 0;
  t.stride      = 1;
  t.dt          = 1;
  snprintf(t.model, sizeof(t.model), "imported");
  snprintf(t.cv, sizeof(t.cv), "coord"); /* z is column 0 of x (-model imported -cv coord -cv_index 0) */
  snprintf(t.cv_names, sizeof(t.cv_names), "%s", im->cvname);
  snprintf(t.coordinates, sizeof(t.coordinates), "%s", im->coordinates);
  snprintf(t.integrator, sizeof(t.integrator), "%s", im->engine);

  PetscCall(UmbPathJoin(dir, "samples.h5", path, sizeof(path)));
  PetscCall(UmbSamplesFileCreate(im->comm, path, PETSC_FALSE, &sf));
  PetscCall(UmbSamplesFileCreateArrays(sf, t.N, im->n, 1));
  PetscCall(UmbSamplesFileWriteRows(sf, UMB_SAMPLES_X, t.offset[im->klo], im->nloc, im->x));
  PetscCall(UmbSamplesFileWriteRows(sf, UMB_SAMPLES_Z, t.offset[im->klo], im->nloc, im->z));
  PetscCall(UmbSamplesFileWriteTable(sf, &t));
  PetscCall(UmbSamplesFileWriteWindowStats(sf, im->K, im->iact, im->nk));
  PetscCall(WriteProvenance(im, sf));
  PetscCall(UmbSamplesFileClose(&sf, PETSC_TRUE));
  PetscCall(UmbPathJoin(dir, "windows.csv", path, sizeof(path)));
  PetscCall(UmbSamplesFileWriteWindowsCsv(im->comm, path, &t, NULL));
  PetscCall(UmbLog(im->comm, "import: %" PetscInt_FMT " windows, %" PetscInt64_FMT " samples (%" PetscInt64_FMT " frames dropped by time) from %s (%s); CV %s [%s]%s, T = %g K, kappa in kT/%s^2; coordinates %s -> %s", im->K, t.N, dropped, im->format == UMB_IMPORT_GMX ? im->ix : im->list, UmbImportFormats[im->format], im->cvname, im->cvunit, im->per > 0 ? " periodic" : "", (double)t.temperature, im->cvunit, im->coordinates, path));
  PetscCall(PetscFree(t.offset));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbImportWrite(UmbImport im, const char dir[])
{
  PetscFunctionBegin;
  PetscCheck(im->format != UMB_IMPORT_NONE, im->comm, PETSC_ERR_USER_INPUT, "umbra import needs -import_format gmx, plumed or grossfield");
  PetscCall(PetscLogEventBegin(UMB_EVENT.fes_import, 0, 0, 0, 0));
  PetscCall(FreeData(im));
  im->err[0] = 0;
  if (im->format == UMB_IMPORT_GMX) PetscCall(UmbImportListGmx(im));
  else PetscCall(UmbImportListText(im));
  PetscCall(UmbErrorAgree(im->comm, im->err, PETSC_ERR_USER_INPUT)); /* every rank read the same lists */
  PetscCheck(im->K > 0, im->comm, PETSC_ERR_USER_INPUT, "%s lists no windows", im->entlist);
  PetscCall(Allocate(im));
  if (im->format == UMB_IMPORT_GMX) PetscCall(UmbImportReadGmx(im));
  else if (im->format == UMB_IMPORT_PLUMED) PetscCall(UmbImportReadPlumed(im));
  else PetscCall(UmbImportReadGrossfield(im));
  if (!im->err[0]) PetscCall(LocalWindows(im));
  PetscCall(UmbErrorAgree(im->comm, im->err, PETSC_ERR_USER_INPUT));
  PetscCall(CheckCV(im));
  PetscCall(Gather(im));
  PetscCall(CheckTemperatures(im));
  PetscCall(WriteSamples(im, dir));
  PetscCall(PetscLogEventEnd(UMB_EVENT.fes_import, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
