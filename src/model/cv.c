/* UmbCV: collective variables coord, linear, native (the model's own) and plugin. */
#include <umbra/private/cvimpl.h>
#include <umbra/private/modelimpl.h>

static const char *const cv_types[] = {UMBCVCOORD, UMBCVLINEAR, UMBCVNATIVE, UMBCVPLUGIN};

PetscErrorCode UmbCVCreate(UmbModel model, UmbCV *cvp)
{
  UmbCV cv;

  PetscFunctionBegin;
  PetscCall(PetscNew(&cv));
  cv->comm  = model->comm;
  cv->model = model;
  cv->d     = 1;
  *cvp      = cv;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Requires the model to be set up (its dimension and native CV are known) */
PetscErrorCode UmbCVSetFromOptions(UmbCV cv)
{
  UmbModel  m = cv->model;
  PetscInt  which, nidx = 2, nw;
  PetscInt  idx[2] = {0, 0};
  PetscBool set_idx, set_w;

  PetscFunctionBegin;
  PetscCall(UmbModelSetUp(m));
  cv->n = m->n;
  which = m->native_d > 0 ? 2 : 0;
  if (!strcmp(m->type, UMBMODELPLUGIN) && m->native_d > 0) which = 3;
  PetscOptionsBegin(cv->comm, NULL, "Collective variable options", "UmbCV");
  PetscCall(PetscOptionsEList("-cv", "Collective variable", "UmbCVSetFromOptions", cv_types, 4, cv_types[which], &which, NULL));
  PetscCall(PetscStrncpy(cv->type, cv_types[which], sizeof(cv->type)));
  if (which == 0) {
    PetscCall(PetscOptionsIntArray("-cv_index", "Coordinate index (0-based) of each CV component", "UmbCVSetFromOptions", idx, &nidx, &set_idx));
    if (!set_idx) nidx = 1;
    PetscCheck(nidx >= 1 && nidx <= 2, cv->comm, PETSC_ERR_USER_INPUT, "-cv_index takes one or two indices, got %" PetscInt_FMT, nidx);
    cv->d = nidx;
    for (PetscInt a = 0; a < cv->d; a++) {
      PetscCheck(idx[a] >= 0 && idx[a] < m->n, cv->comm, PETSC_ERR_USER_INPUT, "-cv_index %" PetscInt_FMT " is not a coordinate of model %s, which has %" PetscInt_FMT " (0..%" PetscInt_FMT ")", idx[a], m->type, m->n, m->n - 1);
      cv->index[a] = idx[a];
    }
    PetscCheck(cv->d == 1 || idx[0] != idx[1], cv->comm, PETSC_ERR_USER_INPUT, "-cv_index lists coordinate %" PetscInt_FMT " twice", idx[0]);
  } else if (which == 1) {
    PetscCall(PetscFree(cv->weights));
    PetscCall(PetscCalloc1(2 * m->n, &cv->weights));
    nw = 2 * m->n;
    PetscCall(PetscOptionsRealArray("-cv_weights", "Weights of the linear CV: n values (1-D) or 2n values (2-D, row after row)", "UmbCVSetFromOptions", cv->weights, &nw, &set_w));
    PetscCheck(set_w, cv->comm, PETSC_ERR_USER_INPUT, "-cv linear needs -cv_weights with %" PetscInt_FMT " values (or %" PetscInt_FMT " for a 2-D CV)", m->n, 2 * m->n);
    PetscCheck(nw == m->n || nw == 2 * m->n, cv->comm, PETSC_ERR_USER_INPUT, "-cv_weights needs %" PetscInt_FMT " values (or %" PetscInt_FMT " for a 2-D CV) for model %s, got %" PetscInt_FMT, m->n, 2 * m->n, m->type, nw);
    cv->d = nw / m->n;
    for (PetscInt a = 0; a < cv->d; a++) {
      PetscReal norm = 0;
      for (PetscInt i = 0; i < m->n; i++) norm += cv->weights[a * m->n + i] * cv->weights[a * m->n + i];
      PetscCheck(norm > 0, cv->comm, PETSC_ERR_USER_INPUT, "-cv_weights: component %" PetscInt_FMT " has all weights zero", a + 1);
    }
  } else {
    PetscCheck(m->native_d > 0, cv->comm, PETSC_ERR_USER_INPUT, "-cv %s: model %s defines no collective variable of its own%s", cv_types[which], m->type, !strcmp(m->type, UMBMODELPLUGIN) ? " (the plugin has no umbra_plugin_cv)" : "");
    PetscCheck(which != 3 || !strcmp(m->type, UMBMODELPLUGIN), cv->comm, PETSC_ERR_USER_INPUT, "-cv plugin needs -model plugin");
    cv->d = m->native_d;
    for (PetscInt a = 0; a < cv->d; a++) cv->period[a] = m->native_period[a];
  }
  PetscOptionsEnd();
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVSetUp(UmbCV cv)
{
  PetscFunctionBegin;
  if (cv->setup) PetscFunctionReturn(PETSC_SUCCESS);
  if (!cv->type[0]) PetscCall(UmbCVSetFromOptions(cv));
  for (PetscInt a = 0; a < cv->d; a++) {
    if (!strcmp(cv->type, UMBCVCOORD)) snprintf(cv->names[a], sizeof(cv->names[a]), "%s", cv->model->coord_names[cv->index[a]]);
    else snprintf(cv->names[a], sizeof(cv->names[a]), "%s%s", cv->type, cv->d > 1 ? (a ? "2" : "1") : "");
  }
  if (!strcmp(cv->model->type, UMBMODELFASTSLOW) && !strcmp(cv->type, UMBCVNATIVE)) snprintf(cv->names[0], sizeof(cv->names[0]), "x");
  if (!strcmp(cv->model->type, UMBMODELRING) && !strcmp(cv->type, UMBCVNATIVE)) snprintf(cv->names[0], sizeof(cv->names[0]), "theta");
  cv->setup = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVView(UmbCV cv, PetscViewer v)
{
  PetscFunctionBegin;
  PetscCall(UmbViewerPrintf(v, "CV %s: d = %" PetscInt_FMT " (%s%s%s)\n", cv->type, cv->d, cv->names[0], cv->d > 1 ? ", " : "", cv->d > 1 ? cv->names[1] : ""));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVDestroy(UmbCV *cvp)
{
  PetscFunctionBegin;
  if (!*cvp) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree((*cvp)->weights));
  PetscCall(PetscFree(*cvp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVGetType(UmbCV cv, UmbCVType *type)
{
  PetscFunctionBegin;
  *type = cv->type;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVGetDimension(UmbCV cv, PetscInt *d)
{
  PetscFunctionBegin;
  *d = cv->d;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVGetModel(UmbCV cv, UmbModel *m)
{
  PetscFunctionBegin;
  *m = cv->model;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVGetPeriod(UmbCV cv, PetscReal period[])
{
  PetscFunctionBegin;
  for (PetscInt a = 0; a < cv->d; a++) period[a] = cv->period[a];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVGetCoordinates(UmbCV cv, PetscBool *is, PetscInt idx[])
{
  PetscFunctionBegin;
  *is = (PetscBool)(!strcmp(cv->type, UMBCVCOORD) || (!strcmp(cv->type, UMBCVNATIVE) && !strcmp(cv->model->type, UMBMODELFASTSLOW)));
  if (*is && idx) {
    if (!strcmp(cv->type, UMBCVCOORD))
      for (PetscInt a = 0; a < cv->d; a++) idx[a] = cv->index[a];
    else idx[0] = 0;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVGetName(UmbCV cv, PetscInt a, const char **name)
{
  PetscFunctionBegin;
  PetscCheck(cv->setup, cv->comm, PETSC_ERR_ORDER, "call UmbCVSetUp() first");
  *name = cv->names[a];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVEvaluate(UmbCV cv, PetscInt nw, const PetscReal X[], PetscReal z[], PetscReal J[])
{
  const PetscInt n = cv->n, d = cv->d;

  PetscFunctionBegin;
  switch (cv->type[0]) {
  case 'c': /* coord */
    for (PetscInt k = 0; k < nw; k++)
      for (PetscInt a = 0; a < d; a++) z[k * d + a] = X[k * n + cv->index[a]];
    if (J) {
      PetscCall(PetscArrayzero(J, nw * d * n));
      for (PetscInt k = 0; k < nw; k++)
        for (PetscInt a = 0; a < d; a++) J[(k * d + a) * n + cv->index[a]] = 1;
    }
    break;
  case 'l': /* linear */
    for (PetscInt k = 0; k < nw; k++)
      for (PetscInt a = 0; a < d; a++) {
        PetscReal s = 0;
        for (PetscInt i = 0; i < n; i++) s += cv->weights[a * n + i] * X[k * n + i];
        z[k * d + a] = s;
        if (J) PetscCall(PetscArraycpy(J + (k * d + a) * n, cv->weights + a * n, n));
      }
    break;
  default: /* native, plugin */
    PetscCall(UmbModelNativeCV(cv->model, nw, X, z, J));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscReal UmbCVDifference(UmbCV cv, PetscInt a, PetscReal za, PetscReal zb)
{
  PetscReal diff = za - zb, L = cv->period[a];
  if (L > 0) diff -= L * PetscFloorReal(diff / L + 0.5);
  return diff;
}
