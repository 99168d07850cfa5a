/* conditional.png: the distribution of one fine coordinate at a few CV values z0, from the
   physics (samples.h5 rows with |z - z0| < h, pooled over windows: the conditional does not
   depend on the bias), from the generator (lift.h5 at the nearest lifted z) and, for a
   Gaussian exact conditional, its density. */
#include <umbra/private/reportimpl.h>
#include <umbra/samplesfile.h>

#define NBINS 40
#define CHUNK 65536

/* The default z: the deepest well of F, the well most separated from it by a barrier, and
   the top of that barrier; the quartiles of the range when F has one well. A well counts when
   the barrier exceeds 1 kT plus twice the error of the difference (noise makes small dips). */
static PetscErrorCode DefaultZ(UmbReport r, PetscReal zs[3], PetscInt *nz)
{
  const UmbTable *t = &r->fes;
  PetscInt        n = t->nrows, cF = UmbTableColumn(t, "F"), cdF = UmbTableColumn(t, "dF"), a = -1, b = -1, top = -1, m = 0;
  PetscReal      *z, *F, *dF, best = 0;

  PetscFunctionBegin;
  PetscCall(PetscMalloc3(n, &z, n, &F, n, &dF));
  for (PetscInt i = 0; i < n; i++) {
    F[m]  = UmbTableReal(t, i, cF);
    dF[m] = UmbTableReal(t, i, cdF);
    if (PetscIsInfOrNanReal(dF[m])) dF[m] = 0;
    z[m] = UmbTableReal(t, i, 0);
    if (!PetscIsInfOrNanReal(F[m])) m++;
  }
  *nz = 0;
  if (m < 3) { /* no profile to choose from */
    PetscCall(PetscFree3(z, F, dF));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  for (PetscInt i = 0; i < m; i++)
    if (a < 0 || F[i] < F[a]) a = i;
  for (PetscInt j = 0; j < m; j++) { /* depth of j below the highest point between it and a */
    PetscInt  lo = PetscMin(a, j), hi = PetscMax(a, j), k = lo;
    for (PetscInt i = lo; i <= hi; i++)
      if (F[i] > F[k]) k = i;
    if (F[k] - F[j] > best && F[k] - F[j] > 1 + 2 * PetscSqrtReal(PetscSqr(dF[k]) + PetscSqr(dF[j]))) {
      best = F[k] - F[j];
      b    = j;
      top  = k;
    }
  }
  if (b >= 0) {
    zs[0] = z[PetscMin(a, b)];
    zs[1] = z[top];
    zs[2] = z[PetscMax(a, b)];
  } else
    for (int k = 0; k < 3; k++) zs[k] = z[0] + (k + 1) * (z[m - 1] - z[0]) / 4;
  *nz = 3;
  PetscCall(PetscFree3(z, F, dF));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Index of the first coordinate that is not one of the CV's, or -1 */
static PetscInt FineCoordinate(UmbReport r, char name[], size_t len)
{
  char     coords[sizeof(r->coordinates)], cvs[sizeof(r->cvnames) + 2];
  PetscInt i = 0;
  snprintf(coords, sizeof(coords), "%s", r->coordinates);
  snprintf(cvs, sizeof(cvs), ",%s,", r->cvnames);
  for (char *tok = strtok(coords, ","); tok; tok = strtok(NULL, ","), i++) {
    char key[300];
    snprintf(key, sizeof(key), ",%s,", tok);
    if (!strstr(cvs, key)) {
      snprintf(name, len, "%s", tok);
      return i;
    }
  }
  return -1;
}

/* Exact mean and variance of the first fine coordinate at z (linear interpolation), when the
   exact conditional is Gaussian (fastslow with Gaussian coupling) */
static PetscBool ExactGaussian(UmbReport r, PetscReal z, PetscReal *mean, PetscReal *var)
{
  const UmbTable *t = &r->exact;
  PetscInt        cm = UmbTableColumn(t, "mean_y1"), cv = UmbTableColumn(t, "var_y1");
  char            coupling[64];
  if (!r->has_exact || cm < 0 || cv < 0 || strcmp(r->model, "fastslow")) return PETSC_FALSE;
  if (UmbTableOption(t, "-fastslow_coupling", coupling, sizeof(coupling)) && strcmp(coupling, "gaussian")) return PETSC_FALSE;
  for (PetscInt i = 0; i + 1 < t->nrows; i++) {
    PetscReal z0 = UmbTableReal(t, i, 0), z1 = UmbTableReal(t, i + 1, 0), w;
    if (z < z0 || z > z1) continue;
    w     = z1 > z0 ? (z - z0) / (z1 - z0) : 0;
    *mean = (1 - w) * UmbTableReal(t, i, cm) + w * UmbTableReal(t, i + 1, cm);
    *var  = (1 - w) * UmbTableReal(t, i, cv) + w * UmbTableReal(t, i + 1, cv);
    return (PetscBool)(*var > 0);
  }
  return PETSC_FALSE;
}

/* Widens [lo, hi] to hold mean +- 4 sd of v[0..n) */
static void Widen(PetscInt n, const PetscReal v[], PetscReal *lo, PetscReal *hi)
{
  PetscReal mean = 0, var = 0;
  for (PetscInt i = 0; i < n; i++) mean += v[i] / n;
  for (PetscInt i = 0; i < n; i++) var += PetscSqr(v[i] - mean) / (n - 1);
  *lo = PetscMin(*lo, mean - 4 * PetscSqrtReal(var));
  *hi = PetscMax(*hi, mean + 4 * PetscSqrtReal(var));
}

/* Density histogram of v[0..n) on NBINS bins from lo with width h */
static void Histogram(PetscInt n, const PetscReal v[], PetscReal lo, PetscReal h, PetscReal dens[])
{
  for (int b = 0; b < NBINS; b++) dens[b] = 0;
  for (PetscInt i = 0; i < n; i++) {
    PetscInt b = (PetscInt)PetscFloorReal((v[i] - lo) / h);
    if (b >= 0 && b < NBINS) dens[b] += 1;
  }
  for (int b = 0; b < NBINS; b++) dens[b] = n ? dens[b] / (n * h) : (PetscReal)NAN;
}

/* Rows of samples.h5 with |z - zs[k]| < hw: their fine coordinate ic into sel[k] */
static PetscErrorCode ReadPhysics(UmbReport r, PetscInt ic, PetscInt nz, const PetscReal zs[], PetscReal *hw, PetscInt nsel[], PetscReal *sel[])
{
  char           path[PETSC_MAX_PATH_LEN];
  UmbSamplesFile sf;
  PetscInt64     N, Nz;
  PetscInt       n, d;
  PetscInt       cap[3] = {0, 0, 0};
  PetscReal     *z, *x, zmin = PETSC_MAX_REAL, zmax = -PETSC_MAX_REAL;

  PetscFunctionBegin;
  PetscCall(UmbReportPath(r, "samples.h5", path, sizeof(path), NULL));
  PetscCall(UmbSamplesFileOpen(PETSC_COMM_SELF, path, &sf));
  PetscCall(UmbSamplesFileGetShape(sf, UMB_SAMPLES_X, &N, &n));
  PetscCheck(n >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /samples/x is not rows x coordinates", path);
  PetscCall(UmbSamplesFileGetShape(sf, UMB_SAMPLES_Z, &Nz, &d));
  PetscCheck(Nz == N && d == 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /samples/z does not match /samples/x", path);
  PetscCall(PetscMalloc2(CHUNK, &z, CHUNK * n, &x));
  if (*hw <= 0) { /* 1% of the sampled range */
    for (PetscInt64 r0 = 0; r0 < N; r0 += CHUNK) {
      PetscInt64 rows = PetscMin((PetscInt64)CHUNK, N - r0);
      PetscCall(UmbSamplesFileReadRows(sf, UMB_SAMPLES_Z, r0, rows, z));
      for (PetscInt64 i = 0; i < rows; i++) {
        zmin = PetscMin(zmin, z[i]);
        zmax = PetscMax(zmax, z[i]);
      }
    }
    *hw = 0.01 * (zmax - zmin);
  }
  for (PetscInt64 r0 = 0; r0 < N; r0 += CHUNK) {
    PetscInt64 rows = PetscMin((PetscInt64)CHUNK, N - r0);
    PetscCall(UmbSamplesFileReadRows(sf, UMB_SAMPLES_Z, r0, rows, z));
    PetscCall(UmbSamplesFileReadRows(sf, UMB_SAMPLES_X, r0, rows, x));
    for (PetscInt64 i = 0; i < rows; i++)
      for (PetscInt k = 0; k < nz; k++) {
        if (PetscAbsReal(z[i] - zs[k]) >= *hw) continue;
        if (nsel[k] == cap[k]) {
          PetscReal *s;
          cap[k] = cap[k] ? 2 * cap[k] : 1024;
          PetscCall(PetscMalloc1(cap[k], &s));
          if (nsel[k]) PetscCall(PetscArraycpy(s, sel[k], nsel[k]));
          PetscCall(PetscFree(sel[k]));
          sel[k] = s;
        }
        sel[k][nsel[k]++] = x[i * n + ic];
      }
  }
  PetscCall(PetscFree2(z, x));
  PetscCall(UmbSamplesFileClose(&sf, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The lifted states of lift.h5 at the lifted z nearest to z0: coordinate ic into y (L values) */
static PetscErrorCode ReadLifted(UmbReport r, PetscInt ic, PetscReal z0, PetscReal *zl, PetscInt *L, PetscReal **y)
{
  char       path[PETSC_MAX_PATH_LEN];
  UmbH5      h;
  int        rank;
  hsize_t    dims[3], M, m = 0;
  PetscReal *lz, *lx;

  PetscFunctionBegin;
  PetscCall(UmbReportPath(r, "lift.h5", path, sizeof(path), NULL));
  PetscCall(UmbH5Open(PETSC_COMM_SELF, path, "lift", &h));
  PetscCall(UmbH5GetShape(h, "/lift/x", &rank, dims));
  PetscCheck(rank == 3 && ic < (PetscInt)dims[2], PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /lift/x is not M x L x n with n > %" PetscInt_FMT, path, ic);
  M  = dims[0];
  *L = (PetscInt)dims[1];
  PetscCall(PetscMalloc2(M, &lz, dims[1] * dims[2], &lx));
  PetscCall(UmbH5ReadSmall(h, "/lift/z", H5T_NATIVE_DOUBLE, M, lz));
  for (hsize_t i = 1; i < M; i++)
    if (PetscAbsReal(lz[i] - z0) < PetscAbsReal(lz[m] - z0)) m = i;
  PetscCall(UmbH5ReadRows(h, "/lift/x", H5T_NATIVE_DOUBLE, m, 1, lx));
  PetscCall(PetscMalloc1(*L, y));
  for (PetscInt l = 0; l < *L; l++) (*y)[l] = lx[l * dims[2] + ic];
  *zl = lz[m];
  PetscCall(PetscFree2(lz, lx));
  PetscCall(UmbH5Close(&h, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The default z moved to the nearest lifted values, so that all three curves share their z */
static PetscErrorCode SnapToLifted(UmbReport r, PetscInt *nz, PetscReal zs[])
{
  char       path[PETSC_MAX_PATH_LEN];
  UmbH5      h;
  int        rank;
  hsize_t    dims[3];
  PetscReal *lz;

  PetscFunctionBegin;
  PetscCall(UmbReportPath(r, "lift.h5", path, sizeof(path), NULL));
  PetscCall(UmbH5Open(PETSC_COMM_SELF, path, "lift", &h));
  PetscCall(UmbH5GetShape(h, "/lift/z", &rank, dims));
  PetscCall(PetscMalloc1(dims[0] + 1, &lz));
  PetscCall(UmbH5ReadSmall(h, "/lift/z", H5T_NATIVE_DOUBLE, dims[0], lz));
  PetscCall(UmbH5Close(&h, PETSC_FALSE));
  for (PetscInt k = 0; k < *nz && dims[0]; k++) {
    hsize_t m = 0;
    for (hsize_t i = 1; i < dims[0]; i++)
      if (PetscAbsReal(lz[i] - zs[k]) < PetscAbsReal(lz[m] - zs[k])) m = i;
    zs[k] = lz[m];
  }
  for (PetscInt k = 1; k < *nz; k++) /* two default z at the same lifted value: keep one */
    if (zs[k] == zs[k - 1]) {
      for (PetscInt j = k; j + 1 < *nz; j++) zs[j] = zs[j + 1];
      (*nz)--;
      k--;
    }
  PetscCall(PetscFree(lz));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbReportPlotConditional(UmbReport r)
{
  char      yname[64] = "", lifted[3][96];
  PetscInt  ic, nz = 0, nsel[3] = {0, 0, 0}, nlift[3] = {0, 0, 0};
  PetscBool has_exact[3] = {PETSC_FALSE, PETSC_FALSE, PETSC_FALSE};
  PetscReal range[3][2];
  PetscReal zs[3], *sel[3] = {NULL, NULL, NULL}, hw = r->halfwidth;
  FILE     *f;

  PetscFunctionBegin;
  if (r->d > 1) {
    PetscCall(UmbReportSkip(r, "conditional.png", "conditional histograms need a 1-D CV (fes.csv has z,z2)"));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (!r->has_samples) {
    PetscCall(UmbReportSkip(r, "conditional.png", "no samples.h5 (made by umbra sample)"));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  ic = FineCoordinate(r, yname, sizeof(yname));
  if (ic < 0) {
    PetscCall(UmbReportSkip(r, "conditional.png", "the CV uses every coordinate (%s): no fine coordinate", r->coordinates));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (r->nz) {
    nz = r->nz;
    for (PetscInt k = 0; k < nz; k++) zs[k] = r->zsel[k];
  } else {
    PetscCall(DefaultZ(r, zs, &nz));
    if (!nz) {
      PetscCall(UmbReportSkip(r, "conditional.png", "fes.csv has fewer than 3 sampled bins to choose z from (give -report_z)"));
      PetscFunctionReturn(PETSC_SUCCESS);
    }
    if (r->has_lift) PetscCall(SnapToLifted(r, &nz, zs));
  }
  PetscCall(ReadPhysics(r, ic, nz, zs, &hw, nsel, sel));
  if (!r->has_lift) PetscCall(UmbLog(PETSC_COMM_SELF, "report: conditional.png without the generator (no lift.h5, made by umbra lift)"));

  PetscCall(UmbReportOpen(r, "conditional.dat", "w", &f));
  for (PetscInt k = 0; k < nz; k++) {
    PetscReal lo, hi, bw, em, ev, ph[NBINS], gh[NBINS], zl = 0, *y = NULL;
    PetscInt  L = 0;
    PetscBool exact = has_exact[k] = ExactGaussian(r, zs[k], &em, &ev);
    if (r->has_lift) PetscCall(ReadLifted(r, ic, zs[k], &zl, &L, &y));
    /* bins: the union of mean +- 4 sd of each distribution shown */
    lo = PETSC_MAX_REAL;
    hi = -PETSC_MAX_REAL;
    if (nsel[k] > 1) Widen(nsel[k], sel[k], &lo, &hi);
    if (L > 1) Widen(L, y, &lo, &hi);
    if (exact) {
      lo = PetscMin(lo, em - 4 * PetscSqrtReal(ev));
      hi = PetscMax(hi, em + 4 * PetscSqrtReal(ev));
    }
    if (!(hi > lo)) { /* nothing, or one value */
      lo = lo < PETSC_MAX_REAL ? lo - 1 : -1;
      hi = lo + 2;
    }
    bw = (hi - lo) / NBINS;
    range[k][0] = lo;
    range[k][1] = hi;
    nlift[k]    = L;
    Histogram(nsel[k], sel[k], lo, bw, ph);
    Histogram(L, y, lo, bw, gh);
    if (L) snprintf(lifted[k], sizeof(lifted[k]), "generator at z = %.4g (%" PetscInt_FMT " states)", (double)zl, L);
    else snprintf(lifted[k], sizeof(lifted[k]), "%s", r->has_lift ? "generator: lift.h5 is empty" : "generator: absent (no lift.h5)");
    fprintf(f, "%s# z0 = %.6g, half-width %.4g: %" PetscInt_FMT " physics samples; %s\n# %s physics generator exact(density)\n", k ? "\n\n" : "", (double)zs[k], (double)hw, nsel[k], lifted[k], yname);
    for (int b = 0; b < NBINS; b++) {
      PetscReal c = lo + (b + 0.5) * bw;
      fprintf(f, "%.8g %.8g %.8g %.8g\n", (double)c, (double)ph[b], (double)(L ? gh[b] : NAN), (double)(exact ? PetscExpReal(-PetscSqr(c - em) / (2 * ev)) / PetscSqrtReal(2 * PETSC_PI * ev) : NAN));
    }
    PetscCall(PetscFree(y));
  }
  PetscCall(UmbReportClose(r, f, "conditional.dat"));

  PetscCall(UmbReportScriptBegin(r, "conditional", PetscMax(600, 400 * (int)nz + 100), 540, &f));
  fprintf(f, "set multiplot layout 1,%d title \"Conditional distribution of %s given %s\\nphysics: |%s - z0| < %.3g, pooled over windows\"\n", (int)nz, yname, r->cvnames, r->cvnames, (double)hw);
  fprintf(f, "set xlabel '%s'\nset ylabel 'probability density (1/unit of %s)'\nset key top right font ',9'\nset style fill solid 0.35 noborder\nset yrange [0:*]\n", yname, yname);
  for (PetscInt k = 0; k < nz; k++) {
    char        curve[3][128];
    const char *curves[3] = {curve[0], curve[1], curve[2]};
    PetscBool   has[3]    = {(PetscBool)(nsel[k] > 0), (PetscBool)(nlift[k] > 0), has_exact[k]};
    snprintf(curve[0], sizeof(curve[0]), "'conditional.dat' index %d using 1:2 with boxes lc rgb '#4a7fc1' title 'physics'", (int)k);
    snprintf(curve[1], sizeof(curve[1]), "'conditional.dat' index %d using 1:3 with histeps lw 2 lc rgb '#d62728' title 'generator'", (int)k);
    snprintf(curve[2], sizeof(curve[2]), "'conditional.dat' index %d using 1:4 with lines lw 2 dt 2 lc rgb 'black' title 'exact'", (int)k);
    fprintf(f, "set title \"%s = %.4g: %" PetscInt_FMT " physics samples\\n%s\" font ',10'\n", r->cvnames, (double)zs[k], nsel[k], lifted[k]);
    fprintf(f, "set xrange [%.8g:%.8g]\n", (double)range[k][0], (double)range[k][1]);
    PetscCall(UmbReportPlotCurves(f, 3, curves, has));
  }
  fprintf(f, "unset multiplot\n");
  PetscCall(UmbReportScriptEnd(r, f, "conditional"));
  for (PetscInt k = 0; k < nz; k++) PetscCall(PetscFree(sel[k]));
  PetscFunctionReturn(PETSC_SUCCESS);
}
