/* The plots drawn from the CSV tables: closures.png, training.png, stages.png */
#include <umbra/private/reportimpl.h>

PetscErrorCode UmbReportPlotClosures(UmbReport r)
{
  static const char *obs[]    = {"mean_y1", "var_y1", "mean_force", "drift", "diffusion"};
  static const char *ylabel[] = {"E[y1 | z] (units of y1)", "Var[y1 | z] (units of y1 squared)", "mean force E[dU/dz | z] (kT per unit z)", "drift b(z) (unit z per unit time)", "diffusion σ²(z) (unit z² per unit time)"};
  const UmbTable    *t        = &r->closures;
  PetscInt           cz = UmbTableColumn(t, "z"), co = UmbTableColumn(t, "observable"), cols[5], nobs = 0, idx[5];
  PetscReal          lo[5], hi[5];
  PetscBool          has[5][3]; /* physics, generator, exact have a finite value */
  FILE              *f;

  PetscFunctionBegin;
  if (!r->has_closures) {
    PetscCall(UmbReportSkip(r, "closures.png", "%s", r->d > 1 ? "closures need a 1-D CV (fes.csv has z,z2)" : "no closures.csv (made by umbra closure)"));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  cols[0] = UmbTableColumn(t, "physics");
  cols[1] = UmbTableColumn(t, "physics_err");
  cols[2] = UmbTableColumn(t, "gan");
  cols[3] = UmbTableColumn(t, "gan_err");
  cols[4] = UmbTableColumn(t, "exact");
  PetscCheck(cz >= 0 && co >= 0 && cols[0] >= 0 && cols[1] >= 0 && cols[2] >= 0 && cols[3] >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s/closures.csv lacks a column of z,observable,physics,physics_err,gan,gan_err", r->dir);
  PetscCall(UmbReportOpen(r, "closures.dat", "w", &f));
  for (int k = 0; k < 5; k++) {
    PetscInt rows = 0;
    for (PetscInt i = 0; i < t->nrows; i++) rows += !strcmp(UmbTableString(t, i, co), obs[k]);
    if (!rows) continue;
    fprintf(f, "%s# %s: z physics physics_err gan gan_err exact\n", nobs ? "\n\n" : "", obs[k]);
    lo[nobs] = PETSC_MAX_REAL;
    hi[nobs] = -PETSC_MAX_REAL;
    has[nobs][0] = has[nobs][1] = has[nobs][2] = PETSC_FALSE;
    for (PetscInt i = 0; i < t->nrows; i++) {
      if (strcmp(UmbTableString(t, i, co), obs[k])) continue;
      for (int c = 0; c < 3; c++) {
        PetscReal v = UmbTableReal(t, i, cols[2 * c]);
        if (PetscIsInfOrNanReal(v)) continue;
        has[nobs][c] = PETSC_TRUE;
        lo[nobs]     = PetscMin(lo[nobs], v);
        hi[nobs]     = PetscMax(hi[nobs], v);
      }
      fprintf(f, "%s %s %s %s %s %s\n", UmbTableString(t, i, cz), UmbTableString(t, i, cols[0]), UmbTableString(t, i, cols[1]), UmbTableString(t, i, cols[2]), UmbTableString(t, i, cols[3]), cols[4] >= 0 ? UmbTableString(t, i, cols[4]) : "nan");
    }
    idx[nobs++] = k;
  }
  PetscCall(UmbReportClose(r, f, "closures.dat"));
  if (!nobs) {
    PetscCall(UmbReportSkip(r, "closures.png", "closures.csv has none of mean_y1, var_y1, mean_force, drift, diffusion"));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(UmbReportScriptBegin(r, "closures", 1400, 850, &f));
  fprintf(f, "set multiplot layout 2,3 title 'Closures: conditional averages given %s (error bars: 1 s.e.)'\nset xlabel '%s'\nset key top left font ',9' opaque\n", r->cvnames, r->cvnames);
  for (PetscInt j = 0; j < nobs; j++) {
    char        curve[3][160];
    const char *curves[3] = {curve[0], curve[1], curve[2]};
    snprintf(curve[0], sizeof(curve[0]), "'closures.dat' index %d using 1:2:3 with yerrorbars pt 7 ps 0.6 lc rgb '#1f4e9c' title 'physics'", (int)j);
    snprintf(curve[1], sizeof(curve[1]), "'closures.dat' index %d using 1:4 with lines lw 2 lc rgb '#d62728' title 'generator'", (int)j);
    snprintf(curve[2], sizeof(curve[2]), "'closures.dat' index %d using 1:6 with lines lw 2 dt 2 lc rgb 'black' title 'exact'", (int)j);
    fprintf(f, "set title '%s'\nset ylabel '%s'\n", obs[idx[j]], ylabel[idx[j]]);
    /* a constant closure (the diffusion of a coordinate CV) gets a range around its value */
    if (hi[j] >= lo[j] && hi[j] - lo[j] <= 1e-9 * PetscMax(1, PetscAbsReal(hi[j]))) fprintf(f, "set yrange [%.10g:%.10g]\n", (double)(lo[j] - 0.05 * PetscMax(1, PetscAbsReal(lo[j]))), (double)(hi[j] + 0.05 * PetscMax(1, PetscAbsReal(hi[j]))));
    else fprintf(f, "set autoscale y\n");
    PetscCall(UmbReportPlotCurves(f, 3, curves, has[j]));
  }
  fprintf(f, "unset multiplot\n");
  PetscCall(UmbReportScriptEnd(r, f, "closures"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The flow's train.csv (epoch, step, nll, valid_nll, ...): the training and held-out NLL */
static PetscErrorCode PlotTrainingFlow(UmbReport r)
{
  static const char *cols[]   = {"epoch", "nll", "valid_nll"};
  static const char *curves[] = {"'training.dat' using 1:2 with linespoints pt 7 ps 0.5 lw 2 title 'training NLL'", "'training.dat' using 1:3 with linespoints pt 5 ps 0.5 lw 2 title 'held-out NLL'"};
  const UmbTable    *t      = &r->train;
  PetscBool          has[2] = {PETSC_FALSE, PETSC_FALSE};
  PetscInt           c[3];
  FILE              *f;

  PetscFunctionBegin;
  for (int k = 0; k < 3; k++) {
    c[k] = UmbTableColumn(t, cols[k]);
    PetscCheck(c[k] >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s/train.csv has no column %s", r->dir, cols[k]);
  }
  PetscCall(UmbReportOpen(r, "training.dat", "w", &f));
  fprintf(f, "# train.csv (flow): epoch nll valid_nll\n");
  for (PetscInt i = 0; i < t->nrows; i++)
    for (int k = 0; k < 3; k++) {
      if (k && !PetscIsInfOrNanReal(UmbTableReal(t, i, c[k]))) has[k - 1] = PETSC_TRUE;
      fprintf(f, "%s%s", UmbTableString(t, i, c[k]), k < 2 ? " " : "\n");
    }
  PetscCall(UmbReportClose(r, f, "training.dat"));
  PetscCall(UmbReportScriptBegin(r, "training", 900, 550, &f));
  fprintf(f, "set xlabel 'epoch'\nset xrange [0:*]\nset key top right\nset ylabel 'negative log-likelihood per sample (standardised units)'\n");
  PetscCall(UmbReportPlotCurves(f, 2, curves, has));
  PetscCall(UmbReportScriptEnd(r, f, "training"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbReportPlotTraining(UmbReport r)
{
  static const char *cols[]   = {"epoch", "loss_d", "loss_g", "wdist", "swd", "swd_floor"};
  static const char *curves[] = {"'training.dat' using 1:2 with linespoints pt 7 ps 0.5 lw 2 title 'critic loss'", "'training.dat' using 1:3 with linespoints pt 5 ps 0.5 lw 2 title 'generator loss'", "'training.dat' using 1:4 with linespoints pt 9 ps 0.6 lw 2 title 'Wasserstein estimate'",
                                 "'training.dat' using 1:5 with linespoints pt 7 ps 0.6 lw 2 lc rgb '#d62728' title 'swd (generator vs held-out)'", "'training.dat' using 1:6 with linespoints pt 6 ps 0.5 lw 2 dt 2 lc rgb 'black' title 'floor (perfect generator)'"};
  const UmbTable    *t = &r->train;
  PetscInt           c[6];
  PetscBool          has[5] = {PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE};
  FILE              *f;

  PetscFunctionBegin;
  if (!r->has_train || !t->nrows) {
    PetscCall(UmbReportSkip(r, "training.png", "%s", r->has_train ? "train.csv has no epoch yet" : "no train.csv (made by umbra train)"));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (UmbTableColumn(t, "loss_d") < 0 && UmbTableColumn(t, "valid_nll") >= 0) { /* the flow's */
    PetscCall(PlotTrainingFlow(r));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  for (int k = 0; k < 6; k++) {
    c[k] = UmbTableColumn(t, cols[k]);
    PetscCheck(c[k] >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s/train.csv has no column %s", r->dir, cols[k]);
  }
  PetscCall(UmbReportOpen(r, "training.dat", "w", &f));
  fprintf(f, "# train.csv: epoch loss_d loss_g wdist swd swd_floor\n");
  for (PetscInt i = 0; i < t->nrows; i++)
    for (int k = 0; k < 6; k++) {
      PetscReal v = UmbTableReal(t, i, c[k]);
      if (k && !PetscIsInfOrNanReal(v) && (k < 4 || v > 0)) has[k - 1] = PETSC_TRUE; /* the swd panel is logarithmic */
      fprintf(f, "%s%s", UmbTableString(t, i, c[k]), k < 5 ? " " : "\n");
    }
  PetscCall(UmbReportClose(r, f, "training.dat"));
  PetscCall(UmbReportScriptBegin(r, "training", 1300, 550, &f));
  fprintf(f, "set multiplot layout 1,2\nset xlabel 'epoch'\nset xrange [0:*]\nset key outside top center horizontal font ',10'\n");
  fprintf(f, "set ylabel 'train.csv: losses (critic output units)'\n");
  PetscCall(UmbReportPlotCurves(f, 3, curves, has));
  fprintf(f, "set ylabel 'held-out sliced Wasserstein distance (standard deviations)'\n%s", has[3] ? "set logscale y\n" : "");
  PetscCall(UmbReportPlotCurves(f, 2, curves + 3, has + 3));
  fprintf(f, "unset multiplot\n");
  PetscCall(UmbReportScriptEnd(r, f, "training"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbReportPlotStages(UmbReport r)
{
  const UmbTable *t = &r->stages;
  PetscInt        cs = UmbTableColumn(t, "stage"), cst = UmbTableColumn(t, "status"), csec = UmbTableColumn(t, "seconds");
  PetscReal       total = 0;
  FILE           *f;

  PetscFunctionBegin;
  if (!r->has_stages) {
    PetscCall(UmbReportSkip(r, "stages.png", "no stages.csv (written by umbra run, not by the single commands)"));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCheck(cs >= 0 && cst >= 0 && csec >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s/stages.csv lacks a column of stage,status,seconds", r->dir);
  if (!t->nrows) {
    PetscCall(UmbReportSkip(r, "stages.png", "stages.csv has no stage yet"));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(UmbReportOpen(r, "stages.dat", "w", &f));
  fprintf(f, "# stages.csv: stage seconds status\n");
  for (PetscInt i = 0; i < t->nrows; i++) {
    PetscReal s = UmbTableReal(t, i, csec);
    if (!PetscIsInfOrNanReal(s)) total += s;
    fprintf(f, "%s %s %s\n", UmbTableString(t, i, cs), UmbTableString(t, i, csec), UmbTableString(t, i, cst));
  }
  PetscCall(UmbReportClose(r, f, "stages.dat"));
  PetscCall(UmbReportScriptBegin(r, "stages", 900, 550, &f));
  fprintf(f, "set title 'Wall time per stage (total %.1f s; hatched: checkpointed, not finished)'\nset ylabel 'wall time (s)'\nset xlabel 'stage'\n", (double)total);
  fprintf(f, "set style fill solid 0.6 border -1\nset boxwidth 0.7\nset yrange [0:*]\nset key off\nset xtics rotate by -30\n");
  fprintf(f, "plot 'stages.dat' using 0:(strcol(3) eq 'done' ? $2 : 1/0):xtic(1) with boxes lc rgb '#4a7fc1', \\\n");
  fprintf(f, "     '' using 0:(strcol(3) eq 'done' ? 1/0 : $2) with boxes fs pattern 4 lc rgb '#d62728', \\\n");
  fprintf(f, "     '' using 0:2:(sprintf('%%.1f', $2)) with labels offset 0,0.8\n");
  PetscCall(UmbReportScriptEnd(r, f, "stages"));
  PetscFunctionReturn(PETSC_SUCCESS);
}
