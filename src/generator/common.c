/* What the generator types share: generated coordinates, CV features, the model/CV record of
   their files (umbra/private/generatorcommon.h). */
#include <umbra/private/generatorcommon.h>

/* r minus its projections on the nb orthonormal vectors B (n each), twice for round-off */
static void Orthogonalise(PetscInt n, PetscInt nb, const PetscReal B[], PetscReal r[])
{
  for (PetscInt pass = 0; pass < 2; pass++)
    for (PetscInt b = 0; b < nb; b++) {
      PetscReal dot = 0;
      for (PetscInt l = 0; l < n; l++) dot += B[b * n + l] * r[l];
      for (PetscInt l = 0; l < n; l++) r[l] -= dot * B[b * n + l];
    }
}

/* Appends r, orthogonalised and normalised, to B; then removes it from the remainders R of the
   unused unit vectors */
static void Append(PetscInt n, PetscInt *nb, PetscReal B[], PetscReal r[], PetscReal R[], const PetscBool used[])
{
  PetscReal  nr = 0;
  PetscReal *b  = B + *nb * n;

  Orthogonalise(n, *nb, B, r);
  for (PetscInt l = 0; l < n; l++) nr += r[l] * r[l];
  for (PetscInt l = 0; l < n; l++) b[l] = r[l] / PetscSqrtReal(nr);
  (*nb)++;
  for (PetscInt i = 0; i < n; i++) {
    PetscReal dot = 0;
    if (used[i]) continue;
    for (PetscInt l = 0; l < n; l++) dot += b[l] * R[i * n + l];
    for (PetscInt l = 0; l < n; l++) R[i * n + l] -= dot * b[l];
  }
}

/* An orthonormal basis Q (n x (n - d), row-major) of the null space of W (d x n, independent
   rows): the rows of W orthonormalised, then the unit vector with the largest remainder after
   everything chosen so far, one at a time (pivoted Gram-Schmidt: well conditioned whatever W) */
static PetscErrorCode NullSpaceBasis(PetscInt n, PetscInt d, const PetscReal W[], PetscReal Q[])
{
  const PetscInt ng = n - d;
  PetscReal     *B, *R, *r;
  PetscBool     *used;
  PetscInt       nb = 0;

  PetscFunctionBegin;
  PetscCall(PetscMalloc4(n * n, &B, n * n, &R, n, &r, n, &used));
  for (PetscInt i = 0; i < n; i++) {
    used[i] = PETSC_FALSE;
    for (PetscInt l = 0; l < n; l++) R[i * n + l] = l == i;
  }
  for (PetscInt a = 0; a < d; a++) {
    PetscCall(PetscArraycpy(r, W + a * n, n));
    Append(n, &nb, B, r, R, used);
  }
  for (PetscInt k = 0; k < ng; k++) {
    PetscInt  best = -1;
    PetscReal nbest = 0;
    for (PetscInt i = 0; i < n; i++) {
      PetscReal nr = 0;
      if (used[i]) continue;
      for (PetscInt l = 0; l < n; l++) nr += R[i * n + l] * R[i * n + l];
      if (nr > nbest) {
        nbest = nr;
        best  = i;
      }
    }
    /* the remainders' squared norms sum to ng - k, over at most n - k of them */
    PetscCheck(best >= 0 && nbest > 0.5 / (PetscReal)n, PETSC_COMM_SELF, PETSC_ERR_PLIB, "no null-space vector of the linear CV's weights left (%g)", (double)nbest);
    used[best] = PETSC_TRUE;
    PetscCall(PetscArraycpy(r, R + best * n, n));
    Append(n, &nb, B, r, R, used);
    for (PetscInt l = 0; l < n; l++) Q[l * ng + k] = B[(nb - 1) * n + l];
  }
  PetscCall(PetscFree4(B, R, r, used));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGenSpaceCreate(UmbCV cv, PetscBool basis, UmbGenSpace *sp)
{
  UmbModel  model;
  PetscBool linear;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(sp, sizeof(*sp)));
  PetscCall(UmbCVGetModel(cv, &model));
  PetscCall(UmbModelGetDimension(model, &sp->n));
  PetscCall(UmbCVGetDimension(cv, &sp->d));
  PetscCall(UmbCVGetCoordinates(cv, &sp->coord, sp->cvidx));
  PetscCall(UmbCVGetLinear(cv, &linear, &sp->W));
  if (basis && linear) {
    const PetscInt n = sp->n, d = sp->d;
    PetscReal      G[4] = {0, 0, 0, 0}, det, Gi[4];
    sp->ng = n - d;
    PetscCall(PetscMalloc2(n * sp->ng, &sp->Q, n * d, &sp->Wp));
    PetscCall(NullSpaceBasis(n, d, sp->W, sp->Q));
    /* W^+ = W^T (W W^T)^-1 */
    for (PetscInt a = 0; a < d; a++)
      for (PetscInt b = 0; b < d; b++)
        for (PetscInt i = 0; i < n; i++) G[a * d + b] += sp->W[a * n + i] * sp->W[b * n + i];
    if (d == 1) Gi[0] = 1 / G[0];
    else {
      det   = G[0] * G[3] - G[1] * G[2];
      Gi[0] = G[3] / det;
      Gi[1] = -G[1] / det;
      Gi[2] = -G[2] / det;
      Gi[3] = G[0] / det;
    }
    for (PetscInt i = 0; i < n; i++)
      for (PetscInt b = 0; b < d; b++) {
        PetscReal v = 0;
        for (PetscInt a = 0; a < d; a++) v += sp->W[a * n + i] * Gi[a * d + b];
        sp->Wp[i * d + b] = v;
      }
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  sp->W = NULL;
  if (basis && !sp->coord) {
    PetscCall(UmbZMatrixCreate(cv, &sp->zm, sp->why, sizeof(sp->why)));
    if (sp->zm) {
      sp->ng = sp->zm->ng;
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  }
  PetscCall(PetscMalloc1(sp->n, &sp->idx));
  for (PetscInt i = 0; i < sp->n; i++) {
    PetscBool incv = PETSC_FALSE;
    for (PetscInt a = 0; a < sp->d && sp->coord; a++) incv = (PetscBool)(incv || sp->cvidx[a] == i);
    if (!incv) sp->idx[sp->ng++] = i;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGenSpaceDestroy(UmbGenSpace *sp)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(sp->idx));
  PetscCall(PetscFree2(sp->Q, sp->Wp));
  PetscCall(UmbZMatrixDestroy(&sp->zm));
  PetscCall(PetscMemzero(sp, sizeof(*sp)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

void UmbGenSpaceProject(const UmbGenSpace *sp, const PetscReal x[], PetscReal y[])
{
  const PetscInt n = sp->n, ng = sp->ng;

  if (sp->zm) {
    UmbZMatrixProject(sp->zm, x, y);
    return;
  }
  if (!sp->Q) {
    for (PetscInt j = 0; j < ng; j++) y[j] = x[sp->idx[j]];
    return;
  }
  for (PetscInt j = 0; j < ng; j++) y[j] = 0;
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt j = 0; j < ng; j++) y[j] += sp->Q[i * ng + j] * x[i];
}

void UmbGenSpaceEmbed(const UmbGenSpace *sp, const PetscReal z[], const PetscReal y[], PetscReal x[])
{
  const PetscInt n = sp->n, ng = sp->ng, d = sp->d;

  if (sp->zm) {
    UmbZMatrixEmbed(sp->zm, z, y, x);
    return;
  }
  if (!sp->Q) {
    for (PetscInt j = 0; j < ng; j++) x[sp->idx[j]] = y[j];
    for (PetscInt a = 0; a < d && sp->coord; a++) x[sp->cvidx[a]] = z[a];
    return;
  }
  for (PetscInt i = 0; i < n; i++) {
    PetscReal v = 0;
    for (PetscInt a = 0; a < d; a++) v += sp->Wp[i * d + a] * z[a];
    for (PetscInt j = 0; j < ng; j++) v += sp->Q[i * ng + j] * y[j];
    x[i] = v;
  }
}

void UmbGenSpaceReplace(const UmbGenSpace *sp, const PetscReal y[], PetscReal x[])
{
  const PetscInt n = sp->n, ng = sp->ng;

  if (sp->zm) {
    UmbZMatrixReplace(sp->zm, y, x);
    return;
  }
  if (!sp->Q) {
    for (PetscInt j = 0; j < ng; j++) x[sp->idx[j]] = y[j];
    return;
  }
  /* x + Q (y - Q^T x): the component in the row space of W (which fixes z) is kept */
  for (PetscInt j = 0; j < ng; j++) {
    PetscReal c = 0;
    for (PetscInt i = 0; i < n; i++) c += sp->Q[i * ng + j] * x[i];
    for (PetscInt i = 0; i < n; i++) x[i] += sp->Q[i * ng + j] * (y[j] - c);
  }
}

PetscInt UmbFeatureDim(PetscInt d, const PetscReal period[], PetscInt fourier, PetscInt harmonics)
{
  PetscInt dz = 0;
  for (PetscInt a = 0; a < d; a++) dz += period[a] > 0 ? 2 * harmonics : 1 + 2 * fourier;
  return dz;
}

void UmbFeatures(const UmbFeatureMap *fm, PetscInt m, const PetscReal z[], PetscReal zf[])
{
  const PetscInt dz = UmbFeatureDim(fm->d, fm->period, fm->fourier, fm->harmonics);

  for (PetscInt i = 0; i < m; i++) {
    PetscReal *f = zf + i * dz;
    PetscInt   k = 0;
    for (PetscInt a = 0; a < fm->d; a++) {
      const PetscReal za = z[i * fm->d + a];
      if (fm->period[a] > 0) {
        const PetscReal t = 2 * PETSC_PI * za / fm->period[a];
        for (PetscInt j = 1; j <= fm->harmonics; j++) {
          f[k++] = PetscCosReal(j * t);
          f[k++] = PetscSinReal(j * t);
        }
      } else {
        const PetscReal w = fm->hi[a] - fm->lo[a], u = w > 0 ? 2 * (za - fm->lo[a]) / w - 1 : 0;
        f[k++]            = (za - fm->mean[a]) / fm->sd[a];
        for (PetscInt j = 0; j < fm->fourier; j++) {
          const PetscReal t = PETSC_PI * (PetscReal)(1 << j) * u;
          f[k++]            = PetscSinReal(t);
          f[k++]            = PetscCosReal(t);
        }
      }
    }
  }
}

static void FormatCoordinates(const UmbGenSpace *sp, char buf[], size_t len)
{
  buf[0] = 0;
  if (sp->zm) snprintf(buf, len, "internal coordinates of %d atoms (table %08x)", (int)sp->zm->natoms, (unsigned)sp->zm->hash);
  else if (sp->Q) snprintf(buf, len, "null space of the linear CV (%d)", (int)sp->ng);
  else
    for (PetscInt j = 0; j < sp->ng; j++) {
      size_t k = strlen(buf);
      snprintf(buf + k, len - k, "%s%d", j ? "," : "", (int)sp->idx[j]);
    }
}

PetscErrorCode UmbGeneratorWriteProblem(UmbCV cv, const UmbGenSpace *sp, UmbH5 h5, const char g[])
{
  UmbModel     model;
  UmbModelType mt;
  UmbCVType    ct;
  PetscInt     n, d, cvidx[2];
  PetscBool    coord;
  PetscReal    period[2];
  char         coords[256];

  PetscFunctionBegin;
  PetscCall(UmbCVGetModel(cv, &model));
  PetscCall(UmbModelGetType(model, &mt));
  PetscCall(UmbModelGetDimension(model, &n));
  PetscCall(UmbCVGetType(cv, &ct));
  PetscCall(UmbCVGetDimension(cv, &d));
  PetscCall(UmbCVGetCoordinates(cv, &coord, cvidx));
  PetscCall(UmbCVGetPeriod(cv, period));
  FormatCoordinates(sp, coords, sizeof(coords));
  PetscCall(UmbH5WriteAttrString(h5, g, "model", mt));
  PetscCall(UmbH5WriteAttrString(h5, g, "cv", ct));
  PetscCall(UmbH5WriteAttrInt(h5, g, "n", n));
  PetscCall(UmbH5WriteAttrInt(h5, g, "d", d));
  PetscCall(UmbH5WriteAttrInt(h5, g, "coordinate_cv", coord));
  PetscCall(UmbH5WriteAttrString(h5, g, "generated_coordinates", coords));
  PetscCall(UmbH5WriteAttrReals(h5, g, "cv_period", d, period));
  if (sp->Q) PetscCall(UmbH5WriteAttrReals(h5, g, "cv_weights", d * n, sp->W));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorCheckProblem(UmbCV cv, const UmbGenSpace *sp, UmbH5 h5, const char path[], const char g[])
{
  UmbModel     model;
  UmbModelType mt;
  UmbCVType    ct;
  MPI_Comm     comm;
  PetscInt     n, d;
  PetscInt64   v;
  char         buf[256], coords[256];

  PetscFunctionBegin;
  PetscCall(UmbCVGetModel(cv, &model));
  PetscCall(UmbModelGetComm(model, &comm));
  PetscCall(UmbModelGetType(model, &mt));
  PetscCall(UmbModelGetDimension(model, &n));
  PetscCall(UmbCVGetType(cv, &ct));
  PetscCall(UmbCVGetDimension(cv, &d));
  PetscCall(UmbH5ReadAttrString(h5, g, "model", buf, sizeof(buf)));
  PetscCheck(!strcmp(buf, mt), comm, PETSC_ERR_USER_INPUT, "%s was trained on model %s, not %s: use the model options of the training run (stored in %s, /provenance options)", path, buf, mt, path);
  PetscCall(UmbH5ReadAttrInt(h5, g, "n", &v));
  PetscCheck(v == n, comm, PETSC_ERR_USER_INPUT, "%s was trained on states with n = %lld coordinates, but model %s now has n = %" PetscInt_FMT ": use the model options of the training run (stored in %s, /provenance options)", path, (long long)v, mt, n, path);
  PetscCall(UmbH5ReadAttrString(h5, g, "cv", buf, sizeof(buf)));
  PetscCall(UmbH5ReadAttrInt(h5, g, "d", &v));
  PetscCheck(v == d && !strcmp(buf, ct), comm, PETSC_ERR_USER_INPUT, "%s was trained for a %lld-D CV of type %s, but the current CV is %" PetscInt_FMT "-D of type %s: use the CV options of the training run", path, (long long)v, buf, d, ct);
  PetscCall(UmbH5ReadAttrString(h5, g, "generated_coordinates", buf, sizeof(buf)));
  FormatCoordinates(sp, coords, sizeof(coords));
  PetscCheck(!strcmp(buf, coords), comm, PETSC_ERR_USER_INPUT, "%s generates coordinates %s, but with the current CV (-cv_index) the generated coordinates are %s", path, buf, coords);
  if (sp->Q) { /* the basis follows from the weights: the same weights, the same basis */
    PetscReal *w, diff = 0, norm = 0;
    PetscCall(PetscMalloc1(d * n, &w));
    PetscCall(UmbH5ReadAttrReals(h5, g, "cv_weights", d * n, w));
    for (PetscInt i = 0; i < d * n; i++) norm = PetscMax(norm, PetscAbsReal(sp->W[i]));
    for (PetscInt i = 0; i < d * n; i++) /* NaN counts as different */
      if (!(PetscAbsReal(w[i] - sp->W[i]) <= diff)) diff = PetscIsNanReal(w[i]) ? PETSC_INFINITY : PetscAbsReal(w[i] - sp->W[i]);
    PetscCall(PetscFree(w));
    PetscCheck(diff <= 1e-12 * norm, comm, PETSC_ERR_USER_INPUT, "%s was trained for a linear CV with other weights (largest difference %.3g): use the -cv_weights of the training run", path, (double)diff);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
