/* umbra import of text formats with a list of windows:
     plumed      -import_list: lines COLVAR_FILE CENTER KAPPA (RESTRAINT's AT and KAPPA, in the
                 file's units, -import_units, default kJ/mol as PLUMED's); COLVAR files with a
                 '#! FIELDS time ...' header, '#! SET min_X/max_X' marking a periodic X; the CV is
                 -import_column (default the first column after time), -import_fine keeps others
     grossfield  -import_list: Grossfield's metadata file, lines PATH CENTER KAPPA [CORREL_TIME
                 [TEMPERATURE]]; time series 'time z'; units -import_units (default kT), the
                 period -import_period (WHAM takes it on its command line)
   One list line is one window. Paths are relative to the list's directory. */
#include <umbra/private/importimpl.h>

static PetscErrorCode AddPlumed(UmbImport im, const UmbImportReader *r, char *tok[], int nt)
{
  double c, k;

  PetscFunctionBegin;
  if (UmbImportReal(im, r, tok[1], "CENTER", &c) && UmbImportReal(im, r, tok[2], "KAPPA", &k)) {
    if (k < 0) UmbImportFail(im, "%s, line %" PetscInt64_FMT ": KAPPA %s is negative", r->path, r->lineno, tok[2]);
    else PetscCall(UmbImportAddEntry(im, r, tok[0], NULL, c, k, NAN, NAN));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode AddGrossfield(UmbImport im, const UmbImportReader *r, char *tok[], int nt)
{
  double c, k, tau = NAN, T = NAN;

  PetscFunctionBegin;
  if (!UmbImportReal(im, r, tok[1], "center", &c) || !UmbImportReal(im, r, tok[2], "spring constant", &k)) PetscFunctionReturn(PETSC_SUCCESS);
  if (nt > 3 && !UmbImportReal(im, r, tok[3], "correlation time", &tau)) PetscFunctionReturn(PETSC_SUCCESS);
  if (nt > 4 && !UmbImportReal(im, r, tok[4], "temperature", &T)) PetscFunctionReturn(PETSC_SUCCESS);
  if (k < 0) UmbImportFail(im, "%s, line %" PetscInt64_FMT ": spring constant %s is negative", r->path, r->lineno, tok[2]);
  else if (nt > 4 && !(T > 0)) UmbImportFail(im, "%s, line %" PetscInt64_FMT ": temperature %s is not positive", r->path, r->lineno, tok[4]);
  else PetscCall(UmbImportAddEntry(im, r, tok[0], NULL, c, k, tau, T));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbImportListText(UmbImport im)
{
  const PetscBool plumed = (PetscBool)(im->format == UMB_IMPORT_PLUMED);

  PetscFunctionBegin;
  PetscCheck(im->list[0], im->comm, PETSC_ERR_USER_INPUT, "-import_format %s needs -import_list FILE (%s)", UmbImportFormats[im->format], plumed ? "one line COLVAR_FILE CENTER KAPPA per window" : "Grossfield's metadata file");
  PetscCheck(!im->it[0] && !im->ix[0], im->comm, PETSC_ERR_USER_INPUT, "-import_it and -import_ix are for -import_format gmx; %s reads -import_list", UmbImportFormats[im->format]);
  PetscCheck(plumed || (!im->column[0] && !im->fine_set), im->comm, PETSC_ERR_USER_INPUT, "-import_column and -import_fine are for -import_format plumed");
  if (!im->units_set) im->kB = plumed ? UMB_KB_KJMOL : 0; /* PLUMED's default unit; Grossfield's WHAM as umbra exports it */
  im->entlist = im->list;
  if (plumed) PetscCall(UmbImportReadList(im, im->list, 3, 3, "COLVAR_FILE CENTER KAPPA", AddPlumed, im->listsha[0]));
  else PetscCall(UmbImportReadList(im, im->list, 3, 5, "PATH CENTER KAPPA [CORREL_TIME [TEMPERATURE]]", AddGrossfield, im->listsha[0]));
  if (im->err[0]) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscMalloc1(im->nent + 1, &im->first));
  for (PetscInt e = 0; e <= im->nent; e++) im->first[e] = e;
  im->K = im->nent;
  snprintf(im->engine, sizeof(im->engine), "%s", plumed ? "PLUMED" : "text (Grossfield's WHAM metadata)");
  snprintf(im->cvtype, sizeof(im->cvtype), "%s", UmbImportFormats[im->format]);
  snprintf(im->cvunit, sizeof(im->cvunit), "%s", "CV unit");
  if (im->period_set) im->per = im->period;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* the window of list line k: centre, and the spring constant in kT per CV unit^2 */
static void SetWindow(UmbImport im, PetscInt k)
{
  const PetscInt  e = im->first[k];
  const PetscReal T = !PetscIsInfOrNanReal(im->etemp[e]) ? im->etemp[e] : im->temp_set ? im->temp : 0;

  if (im->kB > 0 && !(T > 0)) {
    UmbImportFail(im, "%s, line %" PetscInt_FMT ": the spring constant is in %s: give the temperature (-import_temp)", im->list, im->entline[e], im->units_set ? im->units : "kJ/mol");
    return;
  }
  im->center[k]      = im->ecenter[e];
  im->kappa[k]       = im->kB > 0 ? im->ekappa[e] / (im->kB * T) : im->ekappa[e];
  im->temperature[k] = T;
}

PetscErrorCode UmbImportReadGrossfield(UmbImport im)
{
  PetscFunctionBegin;
  im->n = 1;
  snprintf(im->cvname, sizeof(im->cvname), "z");
  snprintf(im->coordinates, sizeof(im->coordinates), "z");
  for (PetscInt k = im->klo; k < im->khi && !im->err[0]; k++) {
    SetWindow(im, k);
    if (!im->err[0]) PetscCall(UmbImportReadSeries(im, k, "#", "coordinate"));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* PLUMED's bounds of a periodic variable: numbers, pi, -pi */
static PetscBool Bound(const char *s, double *v)
{
  char *end;
  if (!strcmp(s, "pi") || !strcmp(s, "+pi")) *v = PETSC_PI;
  else if (!strcmp(s, "-pi")) *v = -PETSC_PI;
  else {
    *v = strtod(s, &end);
    return (PetscBool)(end != s && !*end && isfinite(*v));
  }
  return PETSC_TRUE;
}

typedef struct {
  char     names[UMB_IMPORT_MAXCOL][64];
  int      nf, tcol, cols[UMB_IMPORT_MAXCOL]; /* fields, the time column, the columns of x (CV first) */
  PetscInt n;
  char     coordinates[256];
  double   min, max;                         /* SET min_/max_ of the CV (NaN: none) */
} Fields;

/* the columns of x from a FIELDS header: the CV (-import_column), then -import_fine */
static void ChooseColumns(UmbImport im, const UmbImportReader *r, Fields *f)
{
  char list[1024], *save = NULL, *name;
  int  zcol = -1;

  f->tcol = -1;
  for (int i = 0; i < f->nf; i++)
    if (!strcmp(f->names[i], "time")) f->tcol = i;
  if (f->tcol < 0) {
    UmbImportFail(im, "%s, line %" PetscInt64_FMT ": the FIELDS header names no time column", r->path, r->lineno);
    return;
  }
  for (int i = 0; i < f->nf && zcol < 0; i++)
    if (im->column[0] ? !strcmp(f->names[i], im->column) : i != f->tcol) zcol = i;
  if (zcol < 0 || zcol == f->tcol) {
    char have[1024] = "";
    for (int i = 0; i < f->nf; i++) snprintf(have + strlen(have), sizeof(have) - strlen(have), "%s%s", i ? " " : "", f->names[i]);
    UmbImportFail(im, "%s, line %" PetscInt64_FMT ": FIELDS has no column '%s' (it has: %s)", r->path, r->lineno, im->column[0] ? im->column : "after time", have);
    return;
  }
  f->cols[0] = zcol;
  f->n       = 1;
  snprintf(f->coordinates, sizeof(f->coordinates), "%s", f->names[zcol]);
  if (!im->fine_set) return;
  snprintf(list, sizeof(list), "%s", im->fine);
  for (name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
    const PetscBool all = (PetscBool)!strcmp(name, "all");
    PetscBool       found = PETSC_FALSE;
    for (int i = 0; i < f->nf; i++) {
      if (i == f->tcol || i == zcol || (!all && strcmp(f->names[i], name))) continue;
      f->cols[f->n++] = i;
      snprintf(f->coordinates + strlen(f->coordinates), sizeof(f->coordinates) - strlen(f->coordinates), ",%s", f->names[i]);
      found = PETSC_TRUE;
    }
    if (!found && !all) {
      UmbImportFail(im, "%s, line %" PetscInt64_FMT ": FIELDS has no column '%s' (-import_fine)", r->path, r->lineno, name);
      return;
    }
  }
}

/* a '#!' line: FIELDS (the first, or the same again after a restart) or SET */
static void HeaderLine(UmbImport im, const UmbImportReader *r, Fields *f)
{
  char *tok[UMB_IMPORT_MAXCOL + 3];
  int   nt = UmbImportSplit(r->line + 2, tok, UMB_IMPORT_MAXCOL + 2);

  if (nt < 1) return;
  if (!strcmp(tok[0], "FIELDS")) {
    if (nt - 1 > UMB_IMPORT_MAXCOL) {
      UmbImportFail(im, "%s, line %" PetscInt64_FMT ": more than %d FIELDS", r->path, r->lineno, UMB_IMPORT_MAXCOL);
      return;
    }
    if (f->nf) { /* a restarted PLUMED writes the header again */
      PetscBool same = (PetscBool)(f->nf == nt - 1);
      for (int i = 0; same && i < f->nf; i++) same = (PetscBool)!strcmp(f->names[i], tok[i + 1]);
      if (!same) UmbImportFail(im, "%s, line %" PetscInt64_FMT ": a FIELDS header with other columns than the first", r->path, r->lineno);
      return;
    }
    f->nf = nt - 1;
    for (int i = 0; i < f->nf; i++) snprintf(f->names[i], sizeof(f->names[i]), "%s", tok[i + 1]);
    ChooseColumns(im, r, f);
  } else if (!strcmp(tok[0], "SET") && nt == 3 && f->nf && (!strncmp(tok[1], "min_", 4) || !strncmp(tok[1], "max_", 4)) && !strcmp(tok[1] + 4, f->names[f->cols[0]])) {
    double v;
    if (!Bound(tok[2], &v)) UmbImportFail(im, "%s, line %" PetscInt64_FMT ": SET %s '%s' is not a number", r->path, r->lineno, tok[1], tok[2]);
    else if (tok[1][1] == 'i') f->min = v;
    else f->max = v;
  }
}

/* the CV's period and the columns of this file agree with the rank's other files */
static PetscBool CheckFile(UmbImport im, const UmbImportReader *r, Fields *f, PetscBool *first)
{
  PetscReal per = 0;

  if (!PetscIsInfOrNanReal(f->min) && !PetscIsInfOrNanReal(f->max)) per = f->max - f->min;
  if (im->period_set) per = im->period;
  if (*first) {
    im->per = per;
    im->n   = f->n;
    snprintf(im->cvname, sizeof(im->cvname), "%s", f->names[f->cols[0]]);
    snprintf(im->coordinates, sizeof(im->coordinates), "%s", f->coordinates);
    *first = PETSC_FALSE;
    return PETSC_TRUE;
  }
  if (PetscAbsReal(per - im->per) > 1e-12 * PetscMax(1, per)) return UmbImportFail(im, "%s: the CV %s has period %g here, %g in the files before: one CV per import", r->path, f->names[f->cols[0]], (double)per, (double)im->per);
  if (strcmp(im->coordinates, f->coordinates)) return UmbImportFail(im, "%s: columns %s, but %s in the files before: one set of columns per import", r->path, f->coordinates, im->coordinates);
  return PETSC_TRUE;
}

PetscErrorCode UmbImportReadPlumed(UmbImport im)
{
  PetscBool first = PETSC_TRUE;

  PetscFunctionBegin;
  for (PetscInt k = im->klo; k < im->khi && !im->err[0]; k++) {
    UmbImportReader r;
    Fields          f;
    PetscBool       checked = PETSC_FALSE;
    double          tprev   = -PETSC_MAX_REAL;
    ssize_t         len;
    PetscCall(PetscMemzero(&f, sizeof(f)));
    f.min = f.max = NAN;
    SetWindow(im, k);
    if (im->err[0] || !UmbImportOpen(im, &r, im->series[k])) break;
    while (!im->err[0] && (len = UmbImportNextLine(im, &r)) >= 0) {
      char  *tok[UMB_IMPORT_MAXCOL + 1];
      double v[UMB_IMPORT_MAXCOL], x[UMB_IMPORT_MAXCOL];
      int    nt;
      if (!strncmp(r.line, "#!", 2)) {
        HeaderLine(im, &r, &f);
        continue;
      }
      if (r.line[0] == '#') continue;
      nt = UmbImportSplit(r.line, tok, UMB_IMPORT_MAXCOL);
      if (nt == 0) continue;
      if (!f.nf) {
        UmbImportFail(im, "%s, line %" PetscInt64_FMT ": data before a '#! FIELDS' header: not a PLUMED COLVAR file", r.path, r.lineno);
        break;
      }
      if (!checked && !(checked = CheckFile(im, &r, &f, &first))) break;
      if (nt != f.nf) {
        UmbImportFail(im, "%s, line %" PetscInt64_FMT ": malformed line: %d values, the FIELDS header names %d", r.path, r.lineno, nt, f.nf);
        break;
      }
      for (int i = 0; i < nt; i++)
        if (!UmbImportReal(im, &r, tok[i], f.names[i], &v[i])) break;
      if (im->err[0]) break;
      for (PetscInt j = 0; j < f.n; j++) x[j] = v[f.cols[j]];
      PetscCall(UmbImportFrame(im, &r, k, v[f.tcol], &tprev, x));
    }
    if (!im->err[0] && !f.nf) UmbImportFail(im, "%s: no '#! FIELDS' header: not a PLUMED COLVAR file", r.path);
    UmbImportClose(&r, im->sha[k]);
  }
  snprintf(im->cvunit, sizeof(im->cvunit), "%s", "CV unit");
  PetscFunctionReturn(PETSC_SUCCESS);
}
