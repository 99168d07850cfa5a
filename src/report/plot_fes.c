/* fes.png: F(z) from MBAR with its error band, the exact F and the free energy integrated from
   the generator's mean force (1-D); a map of F for 2-D CVs. */
#include <umbra/private/reportimpl.h>

PetscErrorCode UmbReportIntegrate(PetscInt n, const PetscReal z[], const PetscReal f[], const PetscReal e[], PetscReal F[], PetscReal dF[])
{
  PetscInt  prev = -1, m = -1;
  PetscReal *c;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < n; i++) {
    F[i] = dF[i] = (PetscReal)NAN;
    if (PetscIsInfOrNanReal(f[i])) continue;
    F[i] = prev < 0 ? 0 : F[prev] + 0.5 * (z[i] - z[prev]) * (f[i] + f[prev]);
    prev = i;
    if (m < 0 || F[i] < F[m]) m = i;
  }
  if (m < 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscMalloc1(n, &c));
  for (PetscInt i = 0; i < n; i++) {
    PetscInt  lo = PetscMin(i, m), hi = PetscMax(i, m), last = -1;
    PetscReal v = 0;
    if (PetscIsInfOrNanReal(F[i])) continue;
    /* weights of the trapezoid integral from z_lo to z_hi on the finite points */
    PetscCall(PetscArrayzero(c, n));
    for (PetscInt j = lo; j <= hi; j++) {
      if (PetscIsInfOrNanReal(f[j])) continue;
      if (last >= 0) {
        c[last] += 0.5 * (z[j] - z[last]);
        c[j] += 0.5 * (z[j] - z[last]);
      }
      last = j;
    }
    for (PetscInt j = lo; j <= hi; j++)
      if (c[j] != 0) v += PetscSqr(c[j] * e[j]);
    dF[i] = PetscSqrtReal(v);
  }
  {
    const PetscReal Fm = F[m];
    for (PetscInt i = 0; i < n; i++) F[i] -= Fm;
  }
  PetscCall(PetscFree(c));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The mean_force rows of closures.csv, integrated: z, F_gan, dF_gan, F_physics, dF_physics */
static PetscErrorCode WriteIntegrated(UmbReport r, FILE *f, PetscBool *written)
{
  const UmbTable *t = &r->closures;
  PetscInt        cz = UmbTableColumn(t, "z"), co = UmbTableColumn(t, "observable"), n = 0, ngan = 0;
  PetscInt        col[4] = {UmbTableColumn(t, "gan"), UmbTableColumn(t, "gan_err"), UmbTableColumn(t, "physics"), UmbTableColumn(t, "physics_err")};
  PetscReal      *z, *v[4], *F[2], *dF[2];

  PetscFunctionBegin;
  *written = PETSC_FALSE;
  if (!r->has_closures || cz < 0 || co < 0 || col[0] < 0 || col[1] < 0 || col[2] < 0 || col[3] < 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscMalloc5(t->nrows, &z, t->nrows, &v[0], t->nrows, &v[1], t->nrows, &v[2], t->nrows, &v[3]));
  PetscCall(PetscMalloc4(t->nrows, &F[0], t->nrows, &F[1], t->nrows, &dF[0], t->nrows, &dF[1]));
  for (PetscInt i = 0; i < t->nrows; i++) {
    if (strcmp(UmbTableString(t, i, co), "mean_force")) continue;
    z[n] = UmbTableReal(t, i, cz);
    for (int k = 0; k < 4; k++) v[k][n] = r->beta * UmbTableReal(t, i, col[k]); /* F in kT */
    ngan += !PetscIsInfOrNanReal(v[0][n]);
    n++;
  }
  if (ngan >= 2) {
    PetscCall(UmbReportIntegrate(n, z, v[0], v[1], F[0], dF[0]));
    PetscCall(UmbReportIntegrate(n, z, v[2], v[3], F[1], dF[1]));
    fprintf(f, "\n\n# integrated mean force (closures.csv, trapezoid rule, minimum 0): z F_gan dF_gan F_physics dF_physics\n");
    for (PetscInt i = 0; i < n; i++) fprintf(f, "%.10g %.10g %.6g %.10g %.6g\n", (double)z[i], (double)F[0][i], (double)dF[0][i], (double)F[1][i], (double)dF[1][i]);
    *written = PETSC_TRUE;
  }
  PetscCall(PetscFree5(z, v[0], v[1], v[2], v[3]));
  PetscCall(PetscFree4(F[0], F[1], dF[0], dF[1]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode PlotFes1(UmbReport r)
{
  FILE          *f;
  const UmbTable *t = &r->fes;
  PetscInt       cF = UmbTableColumn(t, "F"), cdF = UmbTableColumn(t, "dF"), iexact = -1, iint = -1, nblocks = 1;
  PetscBool      integrated, sampled = PETSC_FALSE;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < t->nrows; i++) sampled = (PetscBool)(sampled || !PetscIsInfOrNanReal(UmbTableReal(t, i, cF)));
  if (!sampled) {
    PetscCall(UmbReportSkip(r, "fes.png", "fes.csv has no bin with samples"));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(UmbReportOpen(r, "fes.dat", "w", &f));
  fprintf(f, "# F(z) from MBAR (fes.csv): z F dF, kT\n");
  for (PetscInt i = 0; i < t->nrows; i++) {
    PetscReal F = UmbTableReal(t, i, cF);
    if (!PetscIsInfOrNanReal(F)) fprintf(f, "%s %s %s\n", UmbTableString(t, i, 0), UmbTableString(t, i, cF), UmbTableString(t, i, cdF));
  }
  if (r->has_exact && UmbTableColumn(&r->exact, "F") == 1) {
    fprintf(f, "\n\n# exact F (exact.csv): z F, kT\n");
    for (PetscInt i = 0; i < r->exact.nrows; i++) fprintf(f, "%s %s\n", UmbTableString(&r->exact, i, 0), UmbTableString(&r->exact, i, 1));
    iexact = nblocks++;
  }
  PetscCall(WriteIntegrated(r, f, &integrated));
  if (integrated) iint = nblocks++;
  PetscCall(UmbReportClose(r, f, "fes.dat"));
  if (!integrated) PetscCall(UmbLog(PETSC_COMM_SELF, "report: fes.png without the integrated mean force (%s)", r->has_closures ? "closures.csv has no generator mean_force" : "no closures.csv"));

  PetscCall(UmbReportScriptBegin(r, "fes", 1000, 650, &f));
  fprintf(f, "set title 'Free energy along the CV %s'\nset xlabel '%s (CV)'\nset ylabel 'F (kT)'\nset key top center box opaque\n", r->cvnames, r->cvnames);
  fprintf(f, "plot 'fes.dat' index 0 using 1:($2-$3):($2+$3) with filledcurves lc rgb '#b8cff0' title 'MBAR ± 1 s.e.', \\\n");
  fprintf(f, "     '' index 0 using 1:2 with lines lw 2 lc rgb '#1f4e9c' title 'MBAR (fes.csv)'");
  if (iexact >= 0) fprintf(f, ", \\\n     '' index %" PetscInt_FMT " using 1:2 with lines lw 2 dt 2 lc rgb 'black' title 'exact (exact.csv)'", iexact);
  if (iint >= 0) fprintf(f, ", \\\n     '' index %" PetscInt_FMT " using 1:2:3 with yerrorlines pt 7 ps 0.6 lc rgb '#d62728' title 'integrated mean force of the generator'", iint);
  fprintf(f, "\n");
  PetscCall(UmbReportScriptEnd(r, f, "fes"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* 2-D: a map of F (first component slowest in fes.csv: one gnuplot scan per value of z) */
static PetscErrorCode PlotFes2(UmbReport r)
{
  FILE          *f;
  const UmbTable *t = &r->fes;
  PetscInt       cF = UmbTableColumn(t, "F");
  char           names[2][64] = {"z", "z2"};
  const PetscBool exact = (PetscBool)(r->has_exact && UmbTableColumn(&r->exact, "F") == 2);
  PetscReal       Fmax  = 0;

  PetscFunctionBegin;
  {
    char *comma = strchr(r->cvnames, ',');
    if (comma) {
      snprintf(names[0], sizeof(names[0]), "%.*s", (int)(comma - r->cvnames), r->cvnames);
      snprintf(names[1], sizeof(names[1]), "%s", comma + 1);
    }
  }
  for (PetscInt i = 0; i < t->nrows; i++) {
    PetscReal F = UmbTableReal(t, i, cF);
    if (!PetscIsInfOrNanReal(F)) Fmax = PetscMax(Fmax, F);
  }
  PetscCall(UmbReportOpen(r, "fes.dat", "w", &f));
  fprintf(f, "# F(z, z2) from MBAR (fes.csv): z z2 F dF, kT; a blank line between values of z\n");
  for (PetscInt i = 0; i < t->nrows; i++) {
    if (i && strcmp(UmbTableString(t, i, 0), UmbTableString(t, i - 1, 0))) fprintf(f, "\n");
    fprintf(f, "%s %s %s %s\n", UmbTableString(t, i, 0), UmbTableString(t, i, 1), UmbTableString(t, i, cF), UmbTableString(t, i, cF + 1));
  }
  if (exact) {
    const UmbTable *e = &r->exact;
    fprintf(f, "\n\n# exact F (exact.csv): z z2 F, kT\n");
    for (PetscInt i = 0; i < e->nrows; i++) {
      if (i && strcmp(UmbTableString(e, i, 0), UmbTableString(e, i - 1, 0))) fprintf(f, "\n");
      fprintf(f, "%s %s %s\n", UmbTableString(e, i, 0), UmbTableString(e, i, 1), UmbTableString(e, i, 2));
    }
  }
  PetscCall(UmbReportClose(r, f, "fes.dat"));
  PetscCall(UmbReportScriptBegin(r, "fes", 900, 750, &f));
  fprintf(f, "set title 'Free energy F(%s, %s): MBAR in colour (white: no samples)%s'\nset xlabel '%s'\nset ylabel '%s'\nset cblabel 'F (kT)'\n", names[0], names[1], exact ? ", exact contours every 2 kT" : "", names[0], names[1]);
  fprintf(f, "set view map\nset size ratio -1\nset palette rgb 33,13,10\nset autoscale fix\nset key off\nset cbrange [0:%g]\n", (double)(Fmax > 0 ? Fmax : 1));
  if (exact) {
    fprintf(f, "set contour base\nset cntrparam levels incremental 0,2,%g\nunset clabel\n", (double)Fmax);
    fprintf(f, "splot 'fes.dat' index 0 using 1:2:3 with pm3d nocontour, '' index 1 using 1:2:3 with lines nosurface lc rgb 'black' lw 1\n");
  } else fprintf(f, "splot 'fes.dat' index 0 using 1:2:3 with pm3d\n");
  PetscCall(UmbReportScriptEnd(r, f, "fes"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbReportPlotFes(UmbReport r)
{
  PetscFunctionBegin;
  if (r->d == 1) PetscCall(PlotFes1(r));
  else PetscCall(PlotFes2(r));
  PetscFunctionReturn(PETSC_SUCCESS);
}
