/* The numbers of the report (errors against the exact reference, sample counts, checks),
   summary.json (written atomically) and the one-screen summary. */
#include <umbra/private/reportimpl.h>
#include <umbra/fes.h>
#include <errno.h>
#include <stdlib.h>

static int CompareReals(const void *a, const void *b)
{
  PetscReal x = *(const PetscReal *)a, y = *(const PetscReal *)b;
  return (x > y) - (x < y);
}

/* The exact F at (z, z2) by linear (1-D) or bilinear (2-D, regular grid, first component
   slowest) interpolation; nan outside the grid */
static PetscReal ExactF(UmbReport r, PetscReal z, PetscReal z2)
{
  const UmbTable *t = &r->exact;
  PetscInt        cF = UmbTableColumn(t, "F"), n2 = 1, n1, i = -1, j = -1;
  PetscReal       u, v;
  if (r->d == 1) {
    for (PetscInt k = 0; k + 1 < t->nrows; k++) {
      PetscReal a = UmbTableReal(t, k, 0), b = UmbTableReal(t, k + 1, 0);
      if (z >= a && z <= b && b > a) return UmbTableReal(t, k, cF) + (z - a) / (b - a) * (UmbTableReal(t, k + 1, cF) - UmbTableReal(t, k, cF));
    }
    return (PetscReal)NAN;
  }
  while (n2 < t->nrows && UmbTableReal(t, n2, 0) == UmbTableReal(t, 0, 0)) n2++;
  n1 = t->nrows / n2;
  if (n1 < 2 || n2 < 2 || n1 * n2 != t->nrows) return (PetscReal)NAN;
  for (PetscInt k = 0; k + 1 < n1; k++)
    if (z >= UmbTableReal(t, k * n2, 0) && z <= UmbTableReal(t, (k + 1) * n2, 0)) i = k;
  for (PetscInt k = 0; k + 1 < n2; k++)
    if (z2 >= UmbTableReal(t, k, 1) && z2 <= UmbTableReal(t, k + 1, 1)) j = k;
  if (i < 0 || j < 0) return (PetscReal)NAN;
  u = (z - UmbTableReal(t, i * n2, 0)) / (UmbTableReal(t, (i + 1) * n2, 0) - UmbTableReal(t, i * n2, 0));
  v = (z2 - UmbTableReal(t, j, 1)) / (UmbTableReal(t, j + 1, 1) - UmbTableReal(t, j, 1));
  return (1 - u) * (1 - v) * UmbTableReal(t, i * n2 + j, cF) + u * (1 - v) * UmbTableReal(t, (i + 1) * n2 + j, cF) + (1 - u) * v * UmbTableReal(t, i * n2 + j + 1, cF) + u * v * UmbTableReal(t, (i + 1) * n2 + j + 1, cF);
}

/* The generator that made the run's generator results: the closure's -generator, else the
   training's (its option, else the columns only one type writes to train.csv), else the one
   generator file present, else flow when windows.csv has flow moves (they need flow.h5). */
static PetscErrorCode FindGenerator(UmbReport r)
{
  char value[sizeof(r->generator)];

  PetscFunctionBegin;
  r->generator[0] = 0;
  if (r->has_closures && UmbTableOption(&r->closures, "-generator", value, sizeof(value))) PetscCall(PetscStrncpy(r->generator, value, sizeof(r->generator)));
  else if (r->has_train && UmbTableOption(&r->train, "-generator", value, sizeof(value))) PetscCall(PetscStrncpy(r->generator, value, sizeof(r->generator)));
  else if (r->has_train && UmbTableColumn(&r->train, "valid_nll") >= 0) PetscCall(PetscStrncpy(r->generator, "flow", sizeof(r->generator)));
  else if (r->has_train && UmbTableColumn(&r->train, "swd") >= 0) PetscCall(PetscStrncpy(r->generator, "gan", sizeof(r->generator)));
  else if (r->has_gan != r->has_flow) PetscCall(PetscStrncpy(r->generator, r->has_flow ? "flow" : "gan", sizeof(r->generator)));
  else if (r->has_windows && UmbTableColumn(&r->windows, "flow_acceptance") >= 0) PetscCall(PetscStrncpy(r->generator, "flow", sizeof(r->generator)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Range(PetscReal v, PetscReal *lo, PetscReal *hi)
{
  PetscFunctionBegin;
  if (!PetscIsInfOrNanReal(v)) {
    *lo = PetscMin(*lo, v);
    *hi = PetscMax(*hi, v);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The ESS of the reweighted draws over the grid points (closures.csv repeats a point's ESS on
   each observable's row: the rows of the first observable are the points) and the flow moves'
   acceptance and mode-switch rate over the windows (windows.csv) */
static PetscErrorCode FlowRanges(UmbReport r)
{
  const UmbTable *c = &r->closures, *w = &r->windows;

  PetscFunctionBegin;
  r->ess_points = r->move_windows = 0;
  r->ess_min = r->essf_min = r->acc_min = r->switch_min = PETSC_MAX_REAL;
  r->ess_max = r->essf_max = r->acc_max = r->switch_max = -PETSC_MAX_REAL;
  if (r->has_closures && UmbTableColumn(c, "ess") >= 0 && UmbTableColumn(c, "ess_fraction") >= 0) {
    PetscInt co = UmbTableColumn(c, "observable"), ce = UmbTableColumn(c, "ess"), cf = UmbTableColumn(c, "ess_fraction");
    for (PetscInt i = 0; i < c->nrows; i++) {
      PetscReal e = UmbTableReal(c, i, ce);
      if (strcmp(UmbTableString(c, i, co), UmbTableString(c, 0, co)) || PetscIsInfOrNanReal(e)) continue;
      r->ess_points++;
      PetscCall(Range(e, &r->ess_min, &r->ess_max));
      PetscCall(Range(UmbTableReal(c, i, cf), &r->essf_min, &r->essf_max));
    }
  }
  if (r->has_windows && UmbTableColumn(w, "flow_acceptance") >= 0 && UmbTableColumn(w, "flow_switch_rate") >= 0) {
    PetscInt ca = UmbTableColumn(w, "flow_acceptance"), cs = UmbTableColumn(w, "flow_switch_rate");
    for (PetscInt i = 0; i < w->nrows; i++) {
      PetscReal a = UmbTableReal(w, i, ca);
      if (PetscIsInfOrNanReal(a)) continue; /* a window without proposals */
      r->move_windows++;
      PetscCall(Range(a, &r->acc_min, &r->acc_max));
      PetscCall(Range(UmbTableReal(w, i, cs), &r->switch_min, &r->switch_max));
    }
  }
  /* a range without a finite value is undefined */
  if (r->essf_min > r->essf_max) r->essf_min = r->essf_max = (PetscReal)NAN;
  if (r->switch_min > r->switch_max) r->switch_min = r->switch_max = (PetscReal)NAN;
  if (!r->ess_points) r->ess_min = r->ess_max = (PetscReal)NAN;
  if (!r->move_windows) r->acc_min = r->acc_max = (PetscReal)NAN;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbReportCompute(UmbReport r)
{
  const UmbTable *t  = &r->fes;
  PetscInt        cF = UmbTableColumn(t, "F"), cdF = UmbTableColumn(t, "dF"), m = 0;
  PetscReal      *dF, sum2 = 0;

  PetscFunctionBegin;
  /* free energy: median error, error against the exact F on the bins inside its grid */
  r->ncompared = 0;
  r->rms_exact = r->max_exact = r->zmax_exact = r->median_dF = r->min_overlap = (PetscReal)NAN;
  PetscCall(PetscMalloc1(t->nrows + 1, &dF));
  for (PetscInt i = 0; i < t->nrows; i++) {
    PetscReal F = UmbTableReal(t, i, cF), e = UmbTableReal(t, i, cdF);
    if (PetscIsInfOrNanReal(F)) continue;
    dF[m++] = e;
    if (r->has_exact && UmbTableColumn(&r->exact, "F") == r->d) {
      PetscReal Fe = ExactF(r, UmbTableReal(t, i, 0), r->d > 1 ? UmbTableReal(t, i, 1) : 0), diff = F - Fe;
      if (PetscIsInfOrNanReal(Fe)) continue;
      sum2 += diff * diff;
      if (!r->ncompared || PetscAbsReal(diff) > r->max_exact) {
        r->max_exact  = PetscAbsReal(diff);
        r->zmax_exact = UmbTableReal(t, i, 0);
      }
      r->ncompared++;
    }
  }
  r->nfinite = m;
  if (r->ncompared) r->rms_exact = PetscSqrtReal(sum2 / r->ncompared);
  if (m) {
    qsort(dF, (size_t)m, sizeof(*dF), CompareReals);
    r->median_dF = m % 2 ? dF[m / 2] : 0.5 * (dF[m / 2 - 1] + dF[m / 2]);
  }
  PetscCall(PetscFree(dF));
  if (r->has_fesh5) {
    char      path[PETSC_MAX_PATH_LEN];
    UmbFesFile ff;
    PetscBool  has;
    PetscReal  v;
    PetscCall(UmbReportPath(r, "fes.h5", path, sizeof(path), NULL));
    PetscCall(UmbFesFileOpen(PETSC_COMM_SELF, path, &ff));
    PetscCall(UmbFesFileGetMinNeighbourOverlap(ff, &has, &v));
    if (has) r->min_overlap = v;
    PetscCall(UmbFesFileClose(&ff));
  }
  /* samples */
  r->nwindows = 0;
  r->nsamples = r->neffective = 0;
  if (r->has_windows) {
    PetscInt cn = UmbTableColumn(&r->windows, "n_samples"), ci = UmbTableColumn(&r->windows, "iact");
    r->nwindows = r->windows.nrows;
    for (PetscInt i = 0; i < r->windows.nrows; i++) {
      PetscReal n = UmbTableReal(&r->windows, i, cn), tau = UmbTableReal(&r->windows, i, ci);
      r->nsamples += n;
      r->neffective += tau >= 1 ? n / tau : n;
    }
  }
  /* generator: its name and the last epoch */
  PetscCall(FindGenerator(r));
  r->epochs = 0;
  r->swd = r->swd_floor = r->nll = r->valid_nll = (PetscReal)NAN;
  if (r->has_train && r->train.nrows) {
    PetscInt last = r->train.nrows - 1;
    r->epochs     = (PetscInt)UmbTableReal(&r->train, last, UmbTableColumn(&r->train, "epoch"));
    r->swd        = UmbTableReal(&r->train, last, UmbTableColumn(&r->train, "swd"));
    r->swd_floor  = UmbTableReal(&r->train, last, UmbTableColumn(&r->train, "swd_floor"));
    r->nll        = UmbTableReal(&r->train, last, UmbTableColumn(&r->train, "nll"));
    r->valid_nll  = UmbTableReal(&r->train, last, UmbTableColumn(&r->train, "valid_nll"));
  }
  PetscCall(FlowRanges(r));
  /* checks: the worst is the failed one furthest over its tolerance, else the closest to it */
  r->checks = r->failed = 0;
  r->worst[0]       = 0;
  r->worst_value    = r->worst_tolerance = (PetscReal)NAN;
  if (r->has_consistency) {
    const UmbTable *c  = &r->consistency;
    PetscInt        cc = UmbTableColumn(c, "check"), cv = UmbTableColumn(c, "value"), ct = UmbTableColumn(c, "tolerance"), cp = UmbTableColumn(c, "pass");
    PetscReal       worst = -1;
    PetscBool       worst_failed = PETSC_FALSE;
    PetscCheck(cc >= 0 && cv >= 0 && ct >= 0 && cp >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s/consistency.csv lacks a column of check,value,tolerance,pass", r->dir);
    for (PetscInt i = 0; i < c->nrows; i++) {
      PetscBool pass  = (PetscBool)!strcmp(UmbTableString(c, i, cp), "true");
      PetscReal v     = UmbTableReal(c, i, cv), tol = UmbTableReal(c, i, ct);
      PetscReal ratio = tol > 0 ? v / tol : (PetscReal)NAN;
      r->checks++;
      r->failed += !pass;
      if (PetscIsInfOrNanReal(ratio)) ratio = pass ? 0 : PETSC_MAX_REAL;
      if ((!pass && !worst_failed) || ((!pass) == worst_failed && ratio > worst)) {
        worst        = ratio;
        worst_failed = (PetscBool)!pass;
        snprintf(r->worst, sizeof(r->worst), "%s", UmbTableString(c, i, cc));
        r->worst_value     = v;
        r->worst_tolerance = tol;
      }
    }
  }
  r->stage_seconds = 0;
  if (r->has_stages)
    for (PetscInt i = 0; i < r->stages.nrows; i++) {
      PetscReal s = UmbTableReal(&r->stages, i, UmbTableColumn(&r->stages, "seconds"));
      if (!PetscIsInfOrNanReal(s)) r->stage_seconds += s;
    }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* JSON values: strings escaped, non-finite numbers as null */
static void JString(FILE *f, const char *s)
{
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
    else if (*p == '\n') fputs("\\n", f);
    else if (*p == '\t') fputs("\\t", f);
    else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
    else fputc(*p, f);
  }
  fputc('"', f);
}

static void JNumber(FILE *f, PetscReal v)
{
  if (PetscIsInfOrNanReal(v)) fputs("null", f);
  else fprintf(f, "%.10g", (double)v);
}

static void JKey(FILE *f, int indent, const char *key)
{
  fprintf(f, "%*s", indent, "");
  JString(f, key);
  fputs(": ", f);
}

/* options="..." of a provenance line, into buf */
static void ProvenanceField(const char *prov, const char *key, char *buf, size_t len)
{
  const char *p = strstr(prov, key);
  size_t      k = 0;
  buf[0]        = 0;
  if (!p) return;
  p += strlen(key);
  if (*p == '"') {
    const char *end = strrchr(p + 1, '"');
    for (p++; end && p < end && k + 1 < len; p++) buf[k++] = *p;
  } else
    while (*p && *p != ' ' && k + 1 < len) buf[k++] = *p++;
  buf[k] = 0;
}

static const char *Verdict(UmbReport r) { return !r->has_consistency || !r->checks ? "no checks" : r->failed ? "fail" : "pass"; }

static PetscErrorCode WriteJson(UmbReport r, FILE *f)
{
  const UmbProvenance *p;
  char                 options[4096], ranks[32], version[128];

  PetscFunctionBegin;
  PetscCall(UmbProvenanceGet(PETSC_COMM_SELF, &p));
  ProvenanceField(r->fes.provenance, "options=", options, sizeof(options));
  ProvenanceField(r->fes.provenance, "ranks=", ranks, sizeof(ranks));
  ProvenanceField(r->fes.provenance, "umbra ", version, sizeof(version));
  fputs("{\n", f);
  JKey(f, 2, "umbra_version"), JString(f, p->version), fputs(",\n", f);
  JKey(f, 2, "report_date"), JString(f, p->date), fputs(",\n", f);
  JKey(f, 2, "run_directory"), JString(f, r->dir), fputs(",\n", f);
  JKey(f, 2, "model"), fputs("{\n", f);
  JKey(f, 4, "name"), JString(f, r->model), fputs(",\n", f);
  JKey(f, 4, "cv"), JString(f, r->cvnames), fputs(",\n", f);
  JKey(f, 4, "beta"), JNumber(f, r->beta), fputs(",\n", f);
  JKey(f, 4, "made_by"), JString(f, version), fputs(",\n", f);
  JKey(f, 4, "options"), JString(f, options), fputs("\n  },\n", f);
  JKey(f, 2, "ranks");
  if (ranks[0]) fprintf(f, "%d,\n", atoi(ranks));
  else fputs("null,\n", f);
  JKey(f, 2, "stages"), fputs("[", f);
  if (r->has_stages) {
    const UmbTable *t = &r->stages;
    for (PetscInt i = 0; i < t->nrows; i++) {
      fputs(i ? ",\n    {" : "\n    {", f);
      JKey(f, 0, "stage"), JString(f, UmbTableString(t, i, UmbTableColumn(t, "stage"))), fputs(", ", f);
      JKey(f, 0, "status"), JString(f, UmbTableString(t, i, UmbTableColumn(t, "status"))), fputs(", ", f);
      JKey(f, 0, "seconds"), JNumber(f, UmbTableReal(t, i, UmbTableColumn(t, "seconds"))), fputs("}", f);
    }
    if (t->nrows) fputs("\n  ", f);
  }
  fputs("],\n", f);
  JKey(f, 2, "total_seconds"), JNumber(f, r->has_stages ? r->stage_seconds : (PetscReal)NAN), fputs(",\n", f);
  JKey(f, 2, "samples"), fputs("{", f);
  JKey(f, 0, "windows"), fprintf(f, "%" PetscInt_FMT ", ", r->nwindows);
  JKey(f, 0, "total"), JNumber(f, r->nsamples), fputs(", ", f);
  JKey(f, 0, "effective"), JNumber(f, r->neffective), fputs("},\n", f);
  JKey(f, 2, "free_energy"), fputs("{\n", f);
  JKey(f, 4, "dimension"), fprintf(f, "%" PetscInt_FMT ",\n", r->d);
  JKey(f, 4, "bins"), fprintf(f, "%" PetscInt_FMT ",\n", r->fes.nrows);
  JKey(f, 4, "bins_with_samples"), fprintf(f, "%" PetscInt_FMT ",\n", r->nfinite);
  JKey(f, 4, "median_dF"), JNumber(f, r->median_dF), fputs(",\n", f);
  JKey(f, 4, "min_neighbour_overlap"), JNumber(f, r->min_overlap), fputs(",\n", f);
  JKey(f, 4, "exact_compared_bins"), fprintf(f, "%" PetscInt_FMT ",\n", r->ncompared);
  JKey(f, 4, "rms_error_vs_exact"), JNumber(f, r->rms_exact), fputs(",\n", f);
  JKey(f, 4, "max_error_vs_exact"), JNumber(f, r->max_exact), fputs(",\n", f);
  JKey(f, 4, "z_of_max_error"), JNumber(f, r->zmax_exact), fputs("\n  },\n", f);
  JKey(f, 2, "generator");
  if (r->generator[0] || r->has_train) {
    fputs("{", f);
    JKey(f, 0, "name"), r->generator[0] ? JString(f, r->generator) : (void)fputs("null", f), fputs(", ", f);
    JKey(f, 0, "epochs");
    if (r->has_train) fprintf(f, "%" PetscInt_FMT ", ", r->epochs);
    else fputs("null, ", f);
    if (!strcmp(r->generator, "flow")) {
      JKey(f, 0, "final_nll"), JNumber(f, r->nll), fputs(", ", f);
      JKey(f, 0, "final_valid_nll"), JNumber(f, r->valid_nll);
    } else {
      JKey(f, 0, "final_swd"), JNumber(f, r->swd), fputs(", ", f);
      JKey(f, 0, "swd_floor"), JNumber(f, r->swd_floor), fputs(", ", f);
      JKey(f, 0, "swd_over_floor"), JNumber(f, r->swd_floor > 0 ? r->swd / r->swd_floor : (PetscReal)NAN);
    }
    /* only where the run has them, so a GAN run's summary keeps its keys */
    if (r->ess_points) {
      fputs(",\n    ", f), JKey(f, 0, "ess"), fputs("{", f);
      JKey(f, 0, "points"), fprintf(f, "%" PetscInt_FMT ", ", r->ess_points);
      JKey(f, 0, "min"), JNumber(f, r->ess_min), fputs(", ", f);
      JKey(f, 0, "max"), JNumber(f, r->ess_max), fputs(", ", f);
      JKey(f, 0, "fraction_min"), JNumber(f, r->essf_min), fputs(", ", f);
      JKey(f, 0, "fraction_max"), JNumber(f, r->essf_max), fputs("}", f);
    }
    if (r->move_windows) {
      fputs(",\n    ", f), JKey(f, 0, "flow_moves"), fputs("{", f);
      JKey(f, 0, "windows"), fprintf(f, "%" PetscInt_FMT ", ", r->move_windows);
      JKey(f, 0, "acceptance_min"), JNumber(f, r->acc_min), fputs(", ", f);
      JKey(f, 0, "acceptance_max"), JNumber(f, r->acc_max), fputs(", ", f);
      JKey(f, 0, "switch_rate_min"), JNumber(f, r->switch_min), fputs(", ", f);
      JKey(f, 0, "switch_rate_max"), JNumber(f, r->switch_max), fputs("}", f);
    }
    fputs("},\n", f);
  } else fputs("null,\n", f);
  JKey(f, 2, "consistency"), fputs("[", f);
  if (r->has_consistency) {
    const UmbTable *c = &r->consistency;
    for (PetscInt i = 0; i < c->nrows; i++) {
      fputs(i ? ",\n    {" : "\n    {", f);
      JKey(f, 0, "check"), JString(f, UmbTableString(c, i, UmbTableColumn(c, "check"))), fputs(", ", f);
      JKey(f, 0, "value"), JNumber(f, UmbTableReal(c, i, UmbTableColumn(c, "value"))), fputs(", ", f);
      JKey(f, 0, "tolerance"), JNumber(f, UmbTableReal(c, i, UmbTableColumn(c, "tolerance"))), fputs(", ", f);
      JKey(f, 0, "pass"), fputs(strcmp(UmbTableString(c, i, UmbTableColumn(c, "pass")), "true") ? "false}" : "true}", f);
    }
    if (c->nrows) fputs("\n  ", f);
  }
  fputs("],\n", f);
  JKey(f, 2, "checks_passed"), fprintf(f, "%" PetscInt_FMT ",\n", r->checks - r->failed);
  JKey(f, 2, "checks_failed"), fprintf(f, "%" PetscInt_FMT ",\n", r->failed);
  JKey(f, 2, "worst_check"), r->worst[0] ? JString(f, r->worst) : (void)fputs("null", f), fputs(",\n", f);
  JKey(f, 2, "verdict"), JString(f, Verdict(r)), fputs(",\n", f);
  JKey(f, 2, "plots"), fputs("[", f);
  for (PetscInt i = 0; i < r->nplots; i++) {
    fputs(i ? ",\n    {" : "\n    {", f);
    JKey(f, 0, "file"), fprintf(f, "\"plots/%s\", ", r->plots[i].name);
    JKey(f, 0, "made"), fputs(r->plots[i].skipped[0] ? "false, " : "true", f);
    if (r->plots[i].skipped[0]) JKey(f, 0, "skipped"), JString(f, r->plots[i].skipped);
    fputs("}", f);
  }
  fputs("\n  ]\n}\n", f);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbReportWriteJson(UmbReport r)
{
  char  path[PETSC_MAX_PATH_LEN], tmp[PETSC_MAX_PATH_LEN + 8];
  FILE *f;
  int   bad;

  PetscFunctionBegin;
  PetscCall(UmbReportPath(r, "summary.json", path, sizeof(path), NULL));
  snprintf(tmp, sizeof(tmp), "%s.tmp", path);
  PetscCall(UmbTempFileRegister(tmp));
  f = fopen(tmp, "w");
  PetscCheck(f, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot write %s: %s", tmp, strerror(errno));
  PetscCall(WriteJson(r, f));
  bad = ferror(f);
  bad = fclose(f) || bad;
  PetscCheck(!bad, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot write %s: %s", tmp, strerror(errno));
  PetscCall(UmbFileCommit(tmp, path));
  PetscCall(UmbTempFileRelease(tmp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbReportPrintSummary(UmbReport r)
{
  PetscMPIInt rank;
  char        made[512] = "", skipped[1024] = "";

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(r->comm, &rank));
  if (rank || !r->done) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "report of %s: model %s, CV %s\n", r->dir, r->model, r->cvnames));
  if (r->nwindows) PetscCall(PetscPrintf(PETSC_COMM_SELF, "  samples:     %.0f in %" PetscInt_FMT " windows (%.0f effective); smallest neighbour overlap %.3g\n", (double)r->nsamples, r->nwindows, (double)r->neffective, (double)r->min_overlap));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "  free energy: %" PetscInt_FMT " of %" PetscInt_FMT " bins sampled, median error %.3g kT\n", r->nfinite, r->fes.nrows, (double)r->median_dF));
  if (r->ncompared) PetscCall(PetscPrintf(PETSC_COMM_SELF, "  vs exact F:  RMS %.3g kT, max %.3g kT at z = %.4g (%" PetscInt_FMT " bins)\n", (double)r->rms_exact, (double)r->max_exact, (double)r->zmax_exact, r->ncompared));
  else PetscCall(PetscPrintf(PETSC_COMM_SELF, "  vs exact F:  no exact reference (exact.csv)\n"));
  if (!strcmp(r->generator, "flow")) {
    if (r->epochs) PetscCall(PetscPrintf(PETSC_COMM_SELF, "  generator:   flow, %" PetscInt_FMT " epochs, held-out NLL %.4g per sample (training %.4g)\n", r->epochs, (double)r->valid_nll, (double)r->nll));
    else PetscCall(PetscPrintf(PETSC_COMM_SELF, "  generator:   flow (no train.csv)\n"));
  } else if (r->epochs) PetscCall(PetscPrintf(PETSC_COMM_SELF, "  generator:   %s, %" PetscInt_FMT " epochs, held-out swd %.3g (floor %.3g)\n", r->generator[0] ? r->generator : "unknown type", r->epochs, (double)r->swd, (double)r->swd_floor));
  else if (r->generator[0]) PetscCall(PetscPrintf(PETSC_COMM_SELF, "  generator:   %s (no train.csv)\n", r->generator));
  if (r->ess_points) PetscCall(PetscPrintf(PETSC_COMM_SELF, "  ESS:         %.4g .. %.4g reweighted draws over %" PetscInt_FMT " grid points (fraction %.3g .. %.3g)\n", (double)r->ess_min, (double)r->ess_max, r->ess_points, (double)r->essf_min, (double)r->essf_max));
  if (r->move_windows) PetscCall(PetscPrintf(PETSC_COMM_SELF, "  flow moves:  acceptance %.3g .. %.3g, mode switches per proposal %.3g .. %.3g over %" PetscInt_FMT " windows\n", (double)r->acc_min, (double)r->acc_max, (double)r->switch_min, (double)r->switch_max, r->move_windows));
  if (r->checks && r->failed) PetscCall(PetscPrintf(PETSC_COMM_SELF, "  checks:      %" PetscInt_FMT " of %" PetscInt_FMT " FAIL; worst %s = %.4g (tolerance %.4g)\n", r->failed, r->checks, r->worst, (double)r->worst_value, (double)r->worst_tolerance));
  else if (r->checks) PetscCall(PetscPrintf(PETSC_COMM_SELF, "  checks:      all %" PetscInt_FMT " pass; closest to its tolerance %s = %.4g (tolerance %.4g)\n", r->checks, r->worst, (double)r->worst_value, (double)r->worst_tolerance));
  else PetscCall(PetscPrintf(PETSC_COMM_SELF, "  checks:      none (no consistency.csv)\n"));
  if (r->has_stages) PetscCall(PetscPrintf(PETSC_COMM_SELF, "  wall time:   %.1f s over %" PetscInt_FMT " stages\n", (double)r->stage_seconds, r->stages.nrows));
  for (PetscInt i = 0; i < r->nplots; i++) {
    char  *dst = r->plots[i].skipped[0] ? skipped : made;
    size_t len = r->plots[i].skipped[0] ? sizeof(skipped) : sizeof(made), used = strlen(dst);
    if (r->plots[i].skipped[0]) snprintf(dst + used, len - used, "\n    %s: %s", r->plots[i].name, r->plots[i].skipped);
    else snprintf(dst + used, len - used, " %s", r->plots[i].name);
  }
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "  plots in %s/:%s\n", r->plotdir, made[0] ? made : " none"));
  if (skipped[0]) PetscCall(PetscPrintf(PETSC_COMM_SELF, "  not made:%s\n", skipped));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "  summary:     %s/summary.json\n", r->dir));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "verdict: %s\n", !r->checks ? "no consistency checks in this run directory" : r->failed ? "FAIL: some consistency checks fail (see consistency.csv)" : "pass: every consistency check passes"));
  PetscFunctionReturn(PETSC_SUCCESS);
}
