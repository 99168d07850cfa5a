/* Which windows a coupling round adds, from the previous round's samples.h5 and fes.h5. */
#include <umbra/private/couplingimpl.h>
#include <umbra/fes.h>
#include <umbra/samplesfile.h>

/* Collective: the previous round's windows and diagnostics; prev points into the two tables */
static PetscErrorCode ReadPrev(MPI_Comm comm, const char dir[], UmbSamplesFile *sf, UmbFesDiagnostics *g, UmbCouplingPrevious *p)
{
  char                   path[PETSC_MAX_PATH_LEN];
  const UmbSamplesTable *t;
  UmbFesFile             ff;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(p, sizeof(*p)));
  PetscCall(UmbPathJoin(dir, "samples.h5", path, sizeof(path)));
  PetscCall(UmbSamplesFileOpen(comm, path, sf));
  PetscCall(UmbSamplesFileGetPooledTable(*sf, &t)); /* the windows fes pooled */
  p->K         = t->K;
  p->Kall      = t->Kfile;
  p->window    = t->window;
  p->d         = t->d;
  p->center    = t->center;
  p->kappa     = t->kappa;
  p->round     = t->round;
  p->period[0] = t->period[0];
  p->period[1] = t->period[1];
  for (PetscInt a = 0; a < p->d; a++) PetscCheck(!PetscIsInfOrNanReal(p->period[a]), comm, PETSC_ERR_FILE_UNEXPECTED, "%s: invalid cv_period", path);
  PetscCall(UmbPathJoin(dir, "fes.h5", path, sizeof(path)));
  PetscCall(UmbFesFileOpen(comm, path, &ff));
  PetscCall(UmbFesFileReadDiagnostics(ff, p->K, g));
  PetscCall(UmbFesFileClose(&ff));
  p->neff    = g->neff;
  p->alpha   = g->alpha;
  p->npairs  = g->npairs;
  p->pairs   = g->pairs;
  p->overlap = g->overlap;
  p->pvalue  = g->pvalue;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* the samples.h5 index of window k of the diagnostics */
static PetscInt Index(const UmbCouplingPrevious *p, PetscInt k)
{
  return p->window ? p->window[k] : k;
}

static PetscReal Diff(const UmbCouplingPrevious *p, PetscInt a, PetscReal x, PetscReal y)
{
  return UmbMinimumImage(x - y, p->period[a]);
}

static PetscBool Same(const UmbCouplingPrevious *p, const PetscReal x[], const PetscReal y[])
{
  for (PetscInt a = 0; a < p->d; a++)
    if (PetscAbsReal(Diff(p, a, x[a], y[a])) > 1e-9 * (1 + PetscAbsReal(x[a]))) return PETSC_FALSE;
  return PETSC_TRUE;
}

/* Appends a window unless the plan is full or (when unique) a window sits at c already */
static void Add(UmbCouplingPlan *plan, const UmbCouplingPrevious *p, PetscInt max, const PetscReal c[], const PetscReal kappa[], PetscBool unique, const char *reason, PetscInt *skipped)
{
  const PetscInt d = p->d;
  size_t         len;

  for (PetscInt j = 0; j < plan->nnew; j++)
    if (Same(p, plan->center + j * d, c)) return;
  if (unique)
    for (PetscInt k = 0; k < p->K; k++)
      if (Same(p, p->center + k * d, c)) return;
  if (plan->nnew >= max) {
    (*skipped)++;
    return;
  }
  for (PetscInt a = 0; a < d; a++) {
    plan->center[plan->nnew * d + a] = c[a];
    plan->kappa[plan->nnew * d + a]  = kappa[a];
  }
  plan->nnew++;
  len = strlen(plan->why);
  if (d == 1) snprintf(plan->why + len, sizeof(plan->why) - len, "%s%.6g (%s)", len ? ", " : "", (double)c[0], reason);
  else snprintf(plan->why + len, sizeof(plan->why) - len, "%s(%.6g, %.6g) (%s)", len ? ", " : "", (double)c[0], (double)c[1], reason);
}

/* Re-seeds window k unless a later round already added a window at its centre */
static void Reseed(UmbCouplingPlan *plan, const UmbCouplingPrevious *p, PetscInt max, PetscInt k, const char *reason, PetscInt *skipped)
{
  const PetscInt d = p->d;
  for (PetscInt l = 0; l < p->K; l++)
    if (p->round[l] > p->round[k] && Same(p, p->center + l * d, p->center + k * d)) return;
  Add(plan, p, max, p->center + k * d, p->kappa + k * d, PETSC_FALSE, reason, skipped);
}

/* Windows at the end window's centre + sign j h, j = 1, 2, ... up to limit (1-D). Once the plan
   is full the rest are only counted: the limit may be any distance away. */
static void Extend(UmbCouplingPlan *plan, const UmbCouplingPrevious *p, PetscInt max, PetscInt kend, PetscReal h, PetscReal sign, PetscReal limit, PetscInt *skipped)
{
  const PetscReal end = p->center[kend], n = PetscFloorReal(sign * (limit - end) / h + 1e-9);
  char            why[96];
  PetscInt        j;

  if (!(n >= 1)) return; /* also h infinite (centres near the largest double) */
  snprintf(why, sizeof(why), "extend %s %.6g", sign < 0 ? "below" : "above", (double)end);
  for (j = 1; j <= n && plan->nnew < max; j++) {
    PetscReal c = end + sign * j * h;
    Add(plan, p, max, &c, p->kappa + kend, PETSC_TRUE, why, skipped);
  }
  if (j <= n) *skipped += (PetscInt)PetscMin(n - j + 1, 1e8);
}

PetscErrorCode UmbCouplingPlanChoose(UmbCoupling o, const UmbCouplingPrevious *prev, PetscInt iround, UmbCouplingPlan *plan)
{
  const UmbCouplingPrevious p = *prev;
  PetscInt        d, cap, skipped = 0, max = o->max_windows;
  char            why[96];

  PetscFunctionBegin;
  d   = p.d;
  cap = max + 1;
  PetscCall(PetscMemzero(plan, sizeof(*plan)));
  plan->d    = d;
  plan->kold = p.Kall > p.K ? p.Kall : p.K; /* new windows are appended after all of samples.h5's */
  PetscCall(PetscMalloc2(cap * d, &plan->center, cap * d, &plan->kappa));
  /* gaps: a window between neighbours that barely overlap */
  for (PetscInt q = 0; q < p.npairs; q++) {
    const PetscInt  k = (PetscInt)p.pairs[2 * q], l = (PetscInt)p.pairs[2 * q + 1];
    const PetscReal ov = PetscMin(p.overlap[2 * q], p.overlap[2 * q + 1]);
    PetscReal       c[2], kap[2];
    if (!(ov < o->overlap_min)) continue;
    for (PetscInt a = 0; a < d; a++) {
      c[a]   = p.center[k * d + a] + 0.5 * Diff(&p, a, p.center[l * d + a], p.center[k * d + a]);
      kap[a] = 0.5 * (p.kappa[k * d + a] + p.kappa[l * d + a]);
      if (PetscAbsReal(c[a]) > 0.5 * p.period[a]) c[a] = UmbMinimumImage(c[a], p.period[a]);
    }
    snprintf(why, sizeof(why), "gap: windows %" PetscInt_FMT ",%" PetscInt_FMT " overlap %.3g", Index(&p, k), Index(&p, l), (double)ov);
    Add(plan, &p, max, c, kap, PETSC_TRUE, why, &skipped);
  }
  /* failed diagnostics: too few effective samples, a failed neighbour consistency test */
  for (PetscInt k = 0; k < p.K; k++)
    if (p.neff[k] < o->neff_min) {
      snprintf(why, sizeof(why), "re-seed window %" PetscInt_FMT ": n_eff %.3g", Index(&p, k), (double)p.neff[k]);
      Reseed(plan, &p, max, k, why, &skipped);
    }
  if (o->reseed_flagged)
    for (PetscInt q = 0; q < p.npairs; q++)
      if (p.pvalue[q] < p.alpha)
        for (PetscInt i = 0; i < 2; i++) {
          snprintf(why, sizeof(why), "re-seed window %" PetscInt_FMT ": consistency p %.3g with window %" PetscInt_FMT, Index(&p, (PetscInt)p.pairs[2 * q + i]), (double)p.pvalue[q], Index(&p, (PetscInt)p.pairs[2 * q + 1 - i]));
          Reseed(plan, &p, max, (PetscInt)p.pairs[2 * q + i], why, &skipped);
        }
  /* extension of a 1-D range at the spacing of the end windows */
  if (o->have_extend && d == 1) {
    PetscInt  klo = 0, khi = 0, k2lo = -1, k2hi = -1;
    PetscReal h;
    for (PetscInt k = 0; k < p.K; k++) {
      if (p.center[k] < p.center[klo]) klo = k;
      if (p.center[k] > p.center[khi]) khi = k;
    }
    for (PetscInt k = 0; k < p.K; k++) { /* the next distinct centres inwards */
      if (p.center[k] > p.center[klo] + 1e-9 && (k2lo < 0 || p.center[k] < p.center[k2lo])) k2lo = k;
      if (p.center[k] < p.center[khi] - 1e-9 && (k2hi < 0 || p.center[k] > p.center[k2hi])) k2hi = k;
    }
    h = k2lo >= 0 ? p.center[k2lo] - p.center[klo] : 2 / PetscSqrtReal(PetscMax(p.kappa[klo], PETSC_SMALL));
    Extend(plan, &p, max, klo, h, -1, o->extend[0], &skipped);
    h = k2hi >= 0 ? p.center[khi] - p.center[k2hi] : h;
    Extend(plan, &p, max, khi, h, 1, o->extend[1], &skipped);
  }
  /* explicit centres, round 1, with the spring constant of the nearest window */
  if (iround == 1)
    for (PetscInt i = 0; i < o->ncenters / d; i++) {
      PetscInt  best = 0;
      PetscReal bd   = PETSC_MAX_REAL;
      for (PetscInt k = 0; k < p.K; k++) {
        PetscReal s = 0;
        for (PetscInt a = 0; a < d; a++) s += PetscSqr(Diff(&p, a, p.center[k * d + a], o->centers[i * d + a]));
        if (s < bd) {
          bd   = s;
          best = k;
        }
      }
      Add(plan, &p, max, o->centers + i * d, p.kappa + best * d, PETSC_TRUE, "-run_centers", &skipped);
    }
  if (skipped) {
    size_t len = strlen(plan->why);
    snprintf(plan->why + len, sizeof(plan->why) - len, "; %" PetscInt_FMT " more left for later rounds (-run_max_windows %" PetscInt_FMT ")", skipped, max);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCouplingPlanCreate(UmbCoupling o, const char prev[], PetscInt iround, UmbCouplingPlan *plan)
{
  UmbSamplesFile      sf;
  UmbFesDiagnostics   g;
  UmbCouplingPrevious p;

  PetscFunctionBegin;
  PetscCall(ReadPrev(o->comm, prev, &sf, &g, &p));
  PetscCall(UmbCouplingPlanChoose(o, &p, iround, plan));
  PetscCall(UmbFesDiagnosticsFree(&g));
  PetscCall(UmbSamplesFileClose(&sf, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCouplingPlanDestroy(UmbCouplingPlan *plan)
{
  PetscFunctionBegin;
  PetscCall(PetscFree2(plan->center, plan->kappa));
  PetscFunctionReturn(PETSC_SUCCESS);
}
