/* flow.png: how well the flow serves the physics. The ESS fraction of the reweighted draws per
   grid point (closures.csv, a generator with a density) and the flow moves' acceptance and mode
   switches per window (windows.csv, -us_flow_file). Made only when one of them exists, so a GAN
   run's report has no entry for it. */
#include <umbra/private/reportimpl.h>

PetscErrorCode UmbReportPlotFlow(UmbReport r)
{
  const UmbTable *c = &r->closures, *w = &r->windows;
  PetscInt        cz = -1, co = -1, ce = -1, cf = -1, wc = -1, wa = -1, ws = -1, wp = -1, block = 0, panels, iess = -1, imov = -1;
  PetscBool       has_ess = PETSC_FALSE, has_moves = PETSC_FALSE, hess[2] = {PETSC_FALSE, PETSC_FALSE}, hmov[2] = {PETSC_FALSE, PETSC_FALSE};
  PetscReal       threshold = (PetscReal)NAN;
  FILE           *f;

  PetscFunctionBegin;
  if (r->has_closures) {
    cz      = UmbTableColumn(c, "z");
    co      = UmbTableColumn(c, "observable");
    ce      = UmbTableColumn(c, "ess");
    cf      = UmbTableColumn(c, "ess_fraction");
    has_ess = (PetscBool)(cz >= 0 && co >= 0 && ce >= 0 && cf >= 0 && c->nrows > 0);
  }
  if (r->has_windows) {
    wc        = UmbTableColumn(w, "center");
    wa        = UmbTableColumn(w, "flow_acceptance");
    ws        = UmbTableColumn(w, "flow_switch_rate");
    wp        = UmbTableColumn(w, "flow_proposals");
    has_moves = (PetscBool)(wc >= 0 && wa >= 0 && ws >= 0 && wp >= 0 && w->nrows > 0);
  }
  if (!has_ess && !has_moves) PetscFunctionReturn(PETSC_SUCCESS);
  /* the ESS fraction below which a point is not trusted: 1 - the tolerance of ess_loss_max */
  if (r->has_consistency) {
    PetscInt cc = UmbTableColumn(&r->consistency, "check"), ct = UmbTableColumn(&r->consistency, "tolerance");
    for (PetscInt i = 0; i < r->consistency.nrows; i++)
      if (!strcmp(UmbTableString(&r->consistency, i, cc), "ess_loss_max")) threshold = 1 - UmbTableReal(&r->consistency, i, ct);
  }
  PetscCall(UmbReportOpen(r, "flow.dat", "w", &f));
  if (has_ess) {
    /* every observable repeats the point's ESS: the rows of the first observable are the points */
    const char *first = UmbTableString(c, 0, co);
    fprintf(f, "# closures.csv: z ess ess_fraction min_fraction\n");
    for (PetscInt i = 0; i < c->nrows; i++) {
      PetscReal e = UmbTableReal(c, i, ce), fr = UmbTableReal(c, i, cf);
      if (strcmp(UmbTableString(c, i, co), first)) continue;
      if (!PetscIsInfOrNanReal(fr) && fr > 0) hess[0] = PETSC_TRUE; /* the panel is logarithmic */
      fprintf(f, "%s %.10g %.10g %.10g\n", UmbTableString(c, i, cz), (double)e, (double)fr, (double)threshold);
    }
    hess[1] = (PetscBool)(hess[0] && !PetscIsInfOrNanReal(threshold) && threshold > 0);
    iess    = block++;
  }
  if (has_moves) {
    fprintf(f, "%s# windows.csv: center flow_acceptance flow_switch_rate flow_proposals\n", block ? "\n\n" : "");
    for (PetscInt i = 0; i < w->nrows; i++) {
      for (int k = 0; k < 2; k++)
        if (!PetscIsInfOrNanReal(UmbTableReal(w, i, k ? ws : wa))) hmov[k] = PETSC_TRUE;
      fprintf(f, "%s %s %s %s\n", UmbTableString(w, i, wc), UmbTableString(w, i, wa), UmbTableString(w, i, ws), UmbTableString(w, i, wp));
    }
    imov = block++;
  }
  PetscCall(UmbReportClose(r, f, "flow.dat"));
  panels = block;
  PetscCall(UmbReportScriptBegin(r, "flow", panels > 1 ? 1300 : 800, 550, &f));
  fprintf(f, "set multiplot layout 1,%d title 'The flow: reweighted draws and flow moves'\nset key below font ',10'\n", (int)panels);
  if (has_ess) {
    char        curve[2][200];
    const char *curves[2] = {curve[0], curve[1]};
    /* lines join the grid points of a 1-D CV; a 2-D grid is drawn against its first component */
    snprintf(curve[0], sizeof(curve[0]), "'flow.dat' index %d using 1:($3 > 0 ? $3 : 1/0) with %s pt 7 ps 0.6 lw 2 lc rgb '#1f4e9c' title 'ESS / draws'", (int)iess, r->d > 1 ? "points" : "linespoints");
    snprintf(curve[1], sizeof(curve[1]), "'flow.dat' index %d using 1:4 with lines lw 2 dt 2 lc rgb '#d62728' title 'trusted above (-closure_min_ess)'", (int)iess);
    fprintf(f, "set title 'ESS fraction of the reweighted draws per grid point'\nset xlabel '%s'\nset ylabel 'ESS fraction (closures.csv)'\nset yrange [*:1.5]\n%s", r->d > 1 ? "z (first CV component)" : r->cvnames, hess[0] ? "set logscale y\n" : "");
    PetscCall(UmbReportPlotCurves(f, 2, curves, hess));
    fprintf(f, "unset logscale y\n");
  }
  if (has_moves) {
    char        curve[2][200];
    const char *curves[2] = {curve[0], curve[1]};
    snprintf(curve[0], sizeof(curve[0]), "'flow.dat' index %d using 1:2 with points pt 7 ps 1 lc rgb '#1f4e9c' title 'acceptance'", (int)imov);
    snprintf(curve[1], sizeof(curve[1]), "'flow.dat' index %d using 1:3 with points pt 5 ps 1 lc rgb '#d62728' title 'mode switches per proposal'", (int)imov);
    fprintf(f, "set title 'Flow moves per window (burn-in included)'\nset xlabel 'window centre%s'\nset ylabel 'per proposal (windows.csv)'\nset yrange [0:1.05]\n", r->d > 1 ? " (first CV component)" : "");
    PetscCall(UmbReportPlotCurves(f, 2, curves, hmov));
  }
  fprintf(f, "unset multiplot\n");
  PetscCall(UmbReportScriptEnd(r, f, "flow"));
  PetscFunctionReturn(PETSC_SUCCESS);
}
