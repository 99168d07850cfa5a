/* umbra import -import_format gmx: the files gmx wham reads. -import_it lists one run-parameter
   file per pullx file (.mdp: grompp's input or its -po output; .tpr files are not read, their
   binary format changes with the GROMACS version), -import_ix the pullx.xvg files, in the same
   order. Consecutive entries with the same .mdp are the walkers of one window. The pull
   coordinate is pull-coord1 (umbrella type); its value is the first column after time. Units:
   GROMACS's kJ/mol, nm, and degrees for angles with k in kJ/mol/rad^2. */
#include <umbra/private/importimpl.h>
#include <ctype.h>
#include <strings.h>

typedef struct {
  const char *name, *unit;
  PetscReal   period;   /* of the coordinate in its unit (0: none) */
  PetscReal   kscale;   /* k in the .mdp's unit -> per CV unit^2 */
} Geometry;

static const Geometry geometries[] = {
  {"distance", "nm", 0, 1},
  {"direction", "nm", 0, 1},
  {"direction-periodic", "nm", 0, 1},
  {"direction-relative", "nm", 0, 1},
  {"cylinder", "nm", 0, 1},
  {"angle", "deg", 0, (PETSC_PI / 180) * (PETSC_PI / 180)},
  {"angle-axis", "deg", 0, (PETSC_PI / 180) * (PETSC_PI / 180)},
  {"dihedral", "deg", 360, (PETSC_PI / 180) * (PETSC_PI / 180)},
};

static PetscErrorCode AddIt(UmbImport im, const UmbImportReader *r, char *tok[], int nt)
{
  const size_t l = strlen(tok[0]);

  PetscFunctionBegin;
  if (l > 4 && !strcmp(tok[0] + l - 4, ".tpr")) {
    UmbImportFail(im, "%s, line %" PetscInt64_FMT ": %s is a .tpr file; umbra reads the .mdp files instead (the grompp input, or its -po output), whose settings the .tpr holds (docs/import.md)", r->path, r->lineno, tok[0]);
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(UmbImportAddEntry(im, r, "", tok[0], NAN, NAN, NAN, NAN));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* the pullx files, entry after entry, into the entries the .mdp list made */
static PetscErrorCode AddIx(UmbImport im, const UmbImportReader *r, char *tok[], int nt)
{
  char path[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  if (im->nix < im->nent) {
    UmbImportResolve(r->path, tok[0], path, sizeof(path));
    PetscCall(PetscFree(im->series[im->nix]));
    PetscCall(PetscStrallocpy(path, &im->series[im->nix]));
  }
  im->nix++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbImportListGmx(UmbImport im)
{
  PetscFunctionBegin;
  PetscCheck(im->it[0] && im->ix[0], im->comm, PETSC_ERR_USER_INPUT, "-import_format gmx needs -import_it FILE (one .mdp per line) and -import_ix FILE (the matching pullx.xvg files), as gmx wham's -it and -ix");
  PetscCheck(!im->units_set || !strcmp(im->units, "kJ/mol"), im->comm, PETSC_ERR_USER_INPUT, "-import_units %s: GROMACS files are in kJ/mol", im->units);
  PetscCheck(!im->list[0] && !im->column[0] && !im->fine_set && !im->period_set, im->comm, PETSC_ERR_USER_INPUT, "-import_list, -import_column, -import_fine and -import_period are not for -import_format gmx (the .mdp gives the geometry and its period)");
  im->kB      = UMB_KB_KJMOL;
  im->entlist = im->it;
  PetscCall(UmbImportReadList(im, im->it, 1, 1, "one .mdp file", AddIt, im->listsha[0]));
  im->nix = 0;
  if (!im->err[0]) PetscCall(UmbImportReadList(im, im->ix, 1, 1, "one pullx.xvg file", AddIx, im->listsha[1]));
  if (!im->err[0] && im->nix != im->nent) UmbImportFail(im, "window count mismatch: %s lists %" PetscInt_FMT " .mdp files, %s lists %" PetscInt_FMT " pullx files", im->it, im->nent, im->ix, im->nix);
  if (im->err[0]) PetscFunctionReturn(PETSC_SUCCESS);
  /* windows: runs of entries with the same .mdp */
  PetscCall(PetscMalloc1(im->nent + 1, &im->first));
  im->K = 0;
  for (PetscInt e = 0; e < im->nent; e++)
    if (!e || strcmp(im->param[e], im->param[e - 1])) im->first[im->K++] = e;
  im->first[im->K] = im->nent;
  snprintf(im->engine, sizeof(im->engine), "GROMACS");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* "key = value ; comment" with the key in GROMACS's spelling (case and - or _ do not matter) */
typedef struct {
  char       key[64], value[256];
  PetscInt64 line;
} MdpEntry;

static void Normalise(char *s)
{
  for (; *s; s++) *s = *s == '_' ? '-' : (char)tolower((unsigned char)*s);
}

static char *Trim(char *s)
{
  char *e;
  while (*s == ' ' || *s == '\t') s++;
  e = s + strlen(s);
  while (e > s && (e[-1] == ' ' || e[-1] == '\t')) *--e = 0;
  return s;
}

static const MdpEntry *Find(const MdpEntry *m, PetscInt n, const char key[])
{
  for (PetscInt i = n - 1; i >= 0; i--) /* the last setting counts, as in grompp */
    if (!strcmp(m[i].key, key)) return &m[i];
  return NULL;
}

/* centre, spring (kT per CV unit^2), temperature, geometry of a window's .mdp */
static PetscErrorCode ReadMdp(UmbImport im, PetscInt k, const Geometry **geo)
{
  const char     *path = im->param[im->first[k]];
  UmbImportReader r;
  MdpEntry       *m = NULL;
  PetscInt        n = 0, cap = 0;
  const MdpEntry *e;
  double          init = 0, kk = 0, T = 0;
  ssize_t         len;

  PetscFunctionBegin;
  *geo = NULL;
  if (!UmbImportOpen(im, &r, path)) PetscFunctionReturn(PETSC_SUCCESS);
  while ((len = UmbImportNextLine(im, &r)) >= 0) {
    char *eq, *key, *val;
    if (strchr(r.line, ';')) *strchr(r.line, ';') = 0;
    key = Trim(r.line);
    if (!*key) continue;
    if (!(eq = strchr(key, '='))) {
      UmbImportFail(im, "%s, line %" PetscInt64_FMT ": malformed line, expected 'key = value'", path, r.lineno);
      break;
    }
    *eq = 0;
    key = Trim(key);
    val = Trim(eq + 1);
    if (n == cap) {
      cap = PetscMax(64, 2 * cap);
      PetscCall(PetscRealloc(sizeof(MdpEntry) * (size_t)cap, &m));
    }
    snprintf(m[n].key, sizeof(m[n].key), "%s", key);
    Normalise(m[n].key);
    snprintf(m[n].value, sizeof(m[n].value), "%s", val);
    m[n].line = r.lineno;
    n++;
  }
  UmbImportClose(&r, NULL);
#define MDP_FAIL(...) \
  do { \
    UmbImportFail(im, __VA_ARGS__); \
    goto done; \
  } while (0)
  if (im->err[0]) goto done;
  if (!(e = Find(m, n, "pull")) || strcasecmp(e->value, "yes")) MDP_FAIL("%s: pull = yes is not set: not an umbrella window", path);
  if ((e = Find(m, n, "pull-ncoords")) && strcmp(e->value, "1")) MDP_FAIL("%s, line %" PetscInt64_FMT ": pull-ncoords = %s: umbra imports one pull coordinate (pull-coord1)", path, e->line, e->value);
  if ((e = Find(m, n, "pull-coord1-type")) && strcasecmp(e->value, "umbrella")) MDP_FAIL("%s, line %" PetscInt64_FMT ": pull-coord1-type = %s: only umbrella restraints are imported", path, e->line, e->value);
  {
    const char *g = (e = Find(m, n, "pull-coord1-geometry")) ? e->value : "distance";
    for (size_t i = 0; i < sizeof(geometries) / sizeof(geometries[0]); i++)
      if (!strcasecmp(g, geometries[i].name)) *geo = &geometries[i];
    if (!*geo) MDP_FAIL("%s, line %" PetscInt64_FMT ": pull geometry %s is not supported (distance, direction, direction-periodic, direction-relative, cylinder, angle, angle-axis, dihedral)", path, e ? e->line : 0, g);
  }
  if ((e = Find(m, n, "pull-coord1-start")) && !strcasecmp(e->value, "yes")) MDP_FAIL("%s, line %" PetscInt64_FMT ": pull-coord1-start = yes: the centre depends on the starting structure; give pull-coord1-init the centre and pull-coord1-start = no", path, e->line);
  if ((e = Find(m, n, "pull-coord1-rate"))) {
    double rate;
    if (sscanf(e->value, "%lf", &rate) != 1 || rate != 0) MDP_FAIL("%s, line %" PetscInt64_FMT ": pull-coord1-rate = %s: a moving restraint is not an umbrella window", path, e->line, e->value);
  }
  if ((e = Find(m, n, "pull-coord1-init"))) {
    char *end;
    init = strtod(e->value, &end);
    if (end == e->value || !isfinite(init)) MDP_FAIL("%s, line %" PetscInt64_FMT ": pull-coord1-init '%s' is not a finite number", path, e->line, e->value);
  }
  if (!(e = Find(m, n, "pull-coord1-k"))) MDP_FAIL("%s: pull-coord1-k is not set", path);
  {
    char *end;
    kk = strtod(e->value, &end);
    if (end == e->value || *Trim(end) || !isfinite(kk) || kk <= 0) MDP_FAIL("%s, line %" PetscInt64_FMT ": pull-coord1-k '%s' is not a positive number", path, e->line, e->value);
  }
  if (im->temp_set) T = im->temp;
  else if (!(e = Find(m, n, "ref-t"))) MDP_FAIL("%s: ref-t is not set (or give -import_temp)", path);
  else { /* one value per temperature-coupling group: all equal */
    char  buf[256], *tok[64];
    int   nt;
    snprintf(buf, sizeof(buf), "%s", e->value);
    nt = UmbImportSplit(buf, tok, 63);
    if (nt < 1 || nt > 63) MDP_FAIL("%s, line %" PetscInt64_FMT ": ref-t '%s' is malformed", path, e->line, e->value);
    for (int i = 0; i < nt; i++) {
      char  *end;
      double Ti = strtod(tok[i], &end);
      if (end == tok[i] || *end || !(Ti > 0) || !isfinite(Ti)) MDP_FAIL("%s, line %" PetscInt64_FMT ": ref-t '%s' is not a positive temperature", path, e->line, tok[i]);
      if (i && Ti != T) MDP_FAIL("%s, line %" PetscInt64_FMT ": mixed temperatures: ref-t = %s couples the groups at different temperatures", path, e->line, e->value);
      T = Ti;
    }
  }
  im->center[k]      = init;
  im->kappa[k]       = kk * (*geo)->kscale / (UMB_KB_KJMOL * T);
  im->temperature[k] = T;
done:
#undef MDP_FAIL
  PetscCall(PetscFree(m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbImportReadGmx(UmbImport im)
{
  const Geometry *geo0 = NULL;

  PetscFunctionBegin;
  im->n = 1;
  for (PetscInt k = im->klo; k < im->khi && !im->err[0]; k++) {
    const Geometry *geo;
    PetscCall(ReadMdp(im, k, &geo));
    if (im->err[0]) break;
    if (geo0 && (geo->period != geo0->period || strcmp(geo->unit, geo0->unit))) {
      UmbImportFail(im, "%s: pull geometry %s, but %s has %s: one kind of coordinate per import", im->param[im->first[k]], geo->name, im->param[im->first[im->klo]], geo0->name);
      break;
    }
    if (!geo0) {
      geo0    = geo;
      im->per = geo->period;
      snprintf(im->cvunit, sizeof(im->cvunit), "%s", geo->unit);
      snprintf(im->cvtype, sizeof(im->cvtype), "gmx-%s", geo->name);
    }
    for (PetscInt e = im->first[k]; e < im->first[k + 1] && !im->err[0]; e++) PetscCall(UmbImportReadSeries(im, e, "#@", "pull coordinate")); /* pullx.xvg */
  }
  snprintf(im->cvname, sizeof(im->cvname), "pull_coord1");
  snprintf(im->coordinates, sizeof(im->coordinates), "pull_coord1");
  PetscFunctionReturn(PETSC_SUCCESS);
}
