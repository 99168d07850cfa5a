/* What the generator types share: generated coordinates, CV features, the model/CV record of
   their files (umbra/private/generatorcommon.h). */
#include <umbra/private/generatorcommon.h>

PetscErrorCode UmbGeneratorGeneratedCoordinates(UmbCV cv, PetscInt *ng, PetscInt gidx[])
{
  UmbModel  model;
  PetscInt  n, d, cvidx[2];
  PetscBool coord;

  PetscFunctionBegin;
  PetscCall(UmbCVGetModel(cv, &model));
  PetscCall(UmbModelGetDimension(model, &n));
  PetscCall(UmbCVGetDimension(cv, &d));
  PetscCall(UmbCVGetCoordinates(cv, &coord, cvidx));
  *ng = 0;
  for (PetscInt i = 0; i < n; i++) {
    PetscBool incv = PETSC_FALSE;
    for (PetscInt a = 0; a < d && coord; a++) incv = (PetscBool)(incv || cvidx[a] == i);
    if (!incv) gidx[(*ng)++] = i;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscInt UmbFeatureDim(PetscInt d, const PetscReal period[], PetscInt fourier)
{
  PetscInt dz = 0;
  for (PetscInt a = 0; a < d; a++) dz += period[a] > 0 ? 2 : 1 + 2 * fourier;
  return dz;
}

void UmbFeatures(const UmbFeatureMap *fm, PetscInt m, const PetscReal z[], PetscReal zf[])
{
  const PetscInt dz = UmbFeatureDim(fm->d, fm->period, fm->fourier);

  for (PetscInt i = 0; i < m; i++) {
    PetscReal *f = zf + i * dz;
    PetscInt   k = 0;
    for (PetscInt a = 0; a < fm->d; a++) {
      const PetscReal za = z[i * fm->d + a];
      if (fm->period[a] > 0) {
        const PetscReal t = 2 * PETSC_PI * za / fm->period[a];
        f[k++]            = PetscCosReal(t);
        f[k++]            = PetscSinReal(t);
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

static void FormatCoordinates(PetscInt ng, const PetscInt gidx[], char buf[], size_t len)
{
  buf[0] = 0;
  for (PetscInt j = 0; j < ng; j++) {
    size_t k = strlen(buf);
    snprintf(buf + k, len - k, "%s%d", j ? "," : "", (int)gidx[j]);
  }
}

PetscErrorCode UmbGeneratorWriteProblem(UmbCV cv, PetscInt ng, const PetscInt gidx[], UmbH5 h5, const char g[])
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
  FormatCoordinates(ng, gidx, coords, sizeof(coords));
  PetscCall(UmbH5WriteAttrString(h5, g, "model", mt));
  PetscCall(UmbH5WriteAttrString(h5, g, "cv", ct));
  PetscCall(UmbH5WriteAttrInt(h5, g, "n", n));
  PetscCall(UmbH5WriteAttrInt(h5, g, "d", d));
  PetscCall(UmbH5WriteAttrInt(h5, g, "coordinate_cv", coord));
  PetscCall(UmbH5WriteAttrString(h5, g, "generated_coordinates", coords));
  PetscCall(UmbH5WriteAttrReals(h5, g, "cv_period", d, period));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorCheckProblem(UmbCV cv, PetscInt ng, const PetscInt gidx[], UmbH5 h5, const char path[], const char g[])
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
  FormatCoordinates(ng, gidx, coords, sizeof(coords));
  PetscCheck(!strcmp(buf, coords), comm, PETSC_ERR_USER_INPUT, "%s generates coordinates %s, but with the current CV (-cv_index) the generated coordinates are %s", path, buf, coords);
  PetscFunctionReturn(PETSC_SUCCESS);
}
