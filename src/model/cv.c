/* UmbCV: collective variables coord, linear, native (the model's own), plugin and dmap (a
   diffusion map's Nystrom extension, src/dmap/nystrom.c). */
#include <umbra/private/cvimpl.h>
#include <umbra/private/modelimpl.h>
#include <umbra/private/dmapimpl.h>

static const char *const cv_types[] = {UMBCVCOORD, UMBCVLINEAR, UMBCVNATIVE, UMBCVPLUGIN, UMBCVDMAP};

/* -cv dmap: reads the map and checks it against the model */
static PetscErrorCode DmapLoad(UmbCV cv)
{
  PetscInt n, d;

  PetscFunctionBegin;
  PetscCall(UmbDmapExtDestroy(&cv->dmap));
  PetscCall(UmbDmapExtLoad(cv->comm, cv->dmap_file, &cv->dmap));
  PetscCall(UmbDmapExtGetSizes(cv->dmap, &n, &d, NULL));
  PetscCheck(n == cv->model->n, cv->comm, PETSC_ERR_USER_INPUT, "-cv dmap: %s maps states of dimension %" PetscInt_FMT ", but model %s has n = %" PetscInt_FMT " (a map of another model? give -cv_dmap_file or rerun `umbra dmap`)", cv->dmap_file, n, cv->model->type, cv->model->n);
  PetscCheck(!cv->setup || d == cv->d, cv->comm, PETSC_ERR_USER_INPUT, "-cv dmap: %s has %" PetscInt_FMT " coordinate%s, but the CV was set up with %" PetscInt_FMT " (-dmap_dim / -dmap_coords)", cv->dmap_file, d, d > 1 ? "s" : "", cv->d);
  cv->d = d;
  if (cv->dmap->kernel == UMB_DMAP_KERNEL_KNN) PetscCall(UmbLogWarning(cv->comm, "-cv dmap: %s uses the kNN kernel, whose extension jumps where a training point enters or leaves the neighbourhood; biased sampling along it is not exact (the bias force misses the jumps). Remake the map with the cut-off kernel (-dmap_cutoff 4, the default)", cv->dmap_file));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* -cv dmap: the map file, read if it exists; else d from -dmap_coords or -dmap_dim (umbra run makes the map) */
static PetscErrorCode DmapSetFromOptions(UmbCV cv, PetscOptionItems *PetscOptionsObject)
{
  char        out[PETSC_MAX_PATH_LEN];
  PetscMPIInt rank;
  int         exists = 0;

  PetscFunctionBegin;
  snprintf(out, sizeof(out), "runs/%s", cv->model->type);
  PetscCall(PetscOptionsGetString(NULL, NULL, "-out", out, sizeof(out), NULL));
  PetscCheck((size_t)snprintf(cv->dmap_file, sizeof(cv->dmap_file), "%s/dmap.h5", out) < sizeof(cv->dmap_file), cv->comm, PETSC_ERR_USER_INPUT, "-out %s: path too long", out);
  PetscCall(PetscOptionsString("-cv_dmap_file", "Diffusion map of -cv dmap (default: dmap.h5 in the run directory)", "UmbCVSetFromOptions", cv->dmap_file, cv->dmap_file, sizeof(cv->dmap_file), NULL));
  PetscCallMPI(MPI_Comm_rank(cv->comm, &rank));
  if (!rank) {
    FILE *f = fopen(cv->dmap_file, "r");
    if (f) {
      exists = 1;
      fclose(f);
    }
  }
  PetscCallMPI(MPI_Bcast(&exists, 1, MPI_INT, 0, cv->comm));
  cv->period[0] = cv->period[1] = 0;
  if (exists) PetscCall(DmapLoad(cv));
  else {
    char      coords[64] = "auto";
    PetscInt  dim        = 1;
    PetscBool set;
    PetscCall(PetscOptionsGetString(NULL, NULL, "-dmap_coords", coords, sizeof(coords), &set));
    PetscCall(PetscOptionsGetInt(NULL, NULL, "-dmap_dim", &dim, NULL));
    cv->d = (set && strcmp(coords, "auto")) ? (strchr(coords, ',') ? 2 : 1) : dim;
    PetscCheck(cv->d == 1 || cv->d == 2, cv->comm, PETSC_ERR_USER_INPUT, "-dmap_dim must be 1 or 2, got %" PetscInt_FMT, cv->d);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVDmapRequire(UmbCV cv)
{
  PetscFunctionBegin;
  if (!strcmp(cv->type, UMBCVDMAP)) PetscCheck(cv->dmap, cv->comm, PETSC_ERR_USER_INPUT, "-cv dmap needs %s: run `umbra dmap` (or `umbra run`, which makes it) with the same -out first, or name the map with -cv_dmap_file", cv->dmap_file);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVDmapLoad(UmbCV cv)
{
  PetscFunctionBegin;
  PetscCheck(!strcmp(cv->type, UMBCVDMAP), cv->comm, PETSC_ERR_ARG_WRONG, "the CV is %s, not dmap", cv->type);
  PetscCall(DmapLoad(cv));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVDmapGetFile(UmbCV cv, const char **file)
{
  PetscFunctionBegin;
  *file = cv->dmap_file;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVDmapGetExtension(UmbCV cv, UmbDmapExt *ext)
{
  PetscFunctionBegin;
  *ext = cv->dmap;
  PetscFunctionReturn(PETSC_SUCCESS);
}

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
  PetscCall(PetscOptionsEList("-cv", "Collective variable", "UmbCVSetFromOptions", cv_types, 5, cv_types[which], &which, NULL));
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
  } else if (which == 4) {
    PetscCall(DmapSetFromOptions(cv, PetscOptionsObject));
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
  if (!strcmp(cv->type, UMBCVDMAP)) /* the columns psi1, psi2 of dmap.csv */
    for (PetscInt a = 0; a < cv->d; a++) snprintf(cv->names[a], sizeof(cv->names[a]), "psi%d", (int)(a + 1));
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
  PetscCall(UmbDmapExtDestroy(&(*cvp)->dmap));
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
  case 'd': /* dmap */
    PetscCheck(cv->dmap, PETSC_COMM_SELF, PETSC_ERR_ORDER, "-cv dmap: %s is not loaded yet", cv->dmap_file);
    PetscCall(UmbDmapExtEvaluate(cv->dmap, nw, X, z, J));
    break;
  default: /* native, plugin */
    PetscCall(UmbModelNativeCV(cv->model, nw, X, z, J));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscReal UmbCVDifference(UmbCV cv, PetscInt a, PetscReal za, PetscReal zb)
{
  return UmbMinimumImage(za - zb, cv->period[a]);
}
