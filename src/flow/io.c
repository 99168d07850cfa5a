/* flow.h5: the architecture and the model/CV it was trained for (attributes of /flow), the
   conditioners' parameters (/flow/theta, one flat vector, layer after layer), the
   standardisation and the training record. */
#include <umbra/private/flowimpl.h>
#include <umbra/private/generatorcommon.h>

PetscErrorCode UmbFlowWriteAttributes(UmbFlow flow, UmbH5 h5, const char g[])
{
  char      layers[256] = "";
  PetscReal v[2];

  PetscFunctionBegin;
  for (PetscInt l = 0; l < flow->nhidden; l++) {
    size_t k = strlen(layers);
    snprintf(layers + k, sizeof(layers) - k, "%s%d", l ? "," : "", (int)flow->hidden[l]);
  }
  PetscCall(UmbGeneratorWriteProblem(flow->cv, &flow->space, h5, g));
  PetscCall(UmbH5WriteAttrInt(h5, g, "couplings", flow->ncoupling));
  PetscCall(UmbH5WriteAttrString(h5, g, "layers", layers));
  PetscCall(UmbH5WriteAttrString(h5, g, "activation", UmbActivations[flow->act]));
  PetscCall(UmbH5WriteAttrInt(h5, g, "bins", flow->spline.K));
  PetscCall(UmbH5WriteAttrReals(h5, g, "bound", 1, &flow->spline.bound));
  PetscCall(UmbH5WriteAttrInt(h5, g, "fourier", flow->fourier));
  PetscCall(UmbH5WriteAttrInt(h5, g, "harmonics", flow->harmonics));
  PetscCall(UmbH5WriteAttrInt(h5, g, "batch", flow->batch));
  PetscCall(UmbH5WriteAttrInt(h5, g, "seed", flow->seed));
  PetscCall(UmbH5WriteAttrReals(h5, g, "lr", 1, &flow->lr));
  PetscCall(UmbH5WriteAttrReals(h5, g, "lr_final", 1, &flow->lr_final));
  v[0] = flow->beta1;
  v[1] = flow->beta2;
  PetscCall(UmbH5WriteAttrReals(h5, g, "adam_betas", 2, v));
  PetscCall(UmbH5WriteAttrReals(h5, g, "validation", 1, &flow->val_frac));
  PetscCall(UmbH5WriteAttrString(h5, g, "reduce_mode", UmbReduceModes[flow->reduce]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowWrite(UmbFlow flow, const char path[])
{
  UmbH5      h5;
  hsize_t    dims[1];
  PetscReal *theta, nll[2] = {flow->train_nll, flow->valid_nll};

  PetscFunctionBegin;
  PetscCall(UmbH5Create(flow->comm, path, "flow", &h5));
  PetscCall(UmbFlowWriteAttributes(flow, h5, "/flow"));
  PetscCall(UmbH5WriteAttrInt(h5, "/flow", "epochs", flow->trained_epochs));
  PetscCall(UmbH5WriteAttrInt(h5, "/flow", "steps", flow->trained_steps));
  PetscCall(UmbH5WriteAttrReals(h5, "/flow", "nll", 2, nll));
  PetscCall(UmbH5WriteAttrReals(h5, "/flow", "z_min", flow->d, flow->zlo));
  PetscCall(UmbH5WriteAttrReals(h5, "/flow", "z_max", flow->d, flow->zhi));
  PetscCall(PetscMalloc1(flow->nparams, &theta));
  PetscCall(UmbFlowGetParameters(flow, theta));
  dims[0] = (hsize_t)flow->nparams;
  PetscCall(UmbH5WriteSmall(h5, "/flow/theta", H5T_NATIVE_DOUBLE, 1, dims, theta));
  PetscCall(PetscFree(theta));
  dims[0] = (hsize_t)flow->ng;
  PetscCall(UmbH5WriteSmall(h5, "/flow/standardization/y_mean", H5T_NATIVE_DOUBLE, 1, dims, flow->ymean));
  PetscCall(UmbH5WriteSmall(h5, "/flow/standardization/y_sd", H5T_NATIVE_DOUBLE, 1, dims, flow->ysd));
  dims[0] = (hsize_t)flow->d;
  PetscCall(UmbH5WriteSmall(h5, "/flow/standardization/z_mean", H5T_NATIVE_DOUBLE, 1, dims, flow->zmean));
  PetscCall(UmbH5WriteSmall(h5, "/flow/standardization/z_sd", H5T_NATIVE_DOUBLE, 1, dims, flow->zsd));
  PetscCall(UmbH5Close(&h5, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* a damaged file must not lift NaN states or give NaN densities without a word */
static PetscErrorCode ReadFinite(UmbFlow flow, UmbH5 h5, const char path[], const char name[], PetscInt n, PetscReal v[], PetscBool positive)
{
  PetscFunctionBegin;
  PetscCall(UmbH5ReadSmall(h5, name, H5T_NATIVE_DOUBLE, (size_t)n, v));
  for (PetscInt i = 0; i < n; i++) PetscCheck((PetscIsNormalReal(v[i]) || v[i] == 0) && (!positive || v[i] > 0), flow->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: %s[%" PetscInt_FMT "] is %s: the file is damaged; train again (`umbra train -generator flow`)", path, name, i, positive ? "not a positive number" : "not a finite number");
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadArchitecture(UmbFlow flow, UmbH5 h5, const char path[])
{
  const MPI_Comm comm = flow->comm;
  const char    *g    = "/flow";
  char           buf[256], *save = NULL, *tok;
  PetscInt64     v;

  PetscFunctionBegin;
  PetscCall(UmbGeneratorCheckProblem(flow->cv, &flow->space, h5, path, g));
  PetscCall(UmbH5ReadAttrInt(h5, g, "couplings", &v));
  PetscCheck(v >= 1 && v <= UMB_FLOW_MAX_COUPLINGS, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: bad couplings attribute %lld", path, (long long)v);
  flow->ncoupling = (PetscInt)v;
  PetscCall(UmbH5ReadAttrString(h5, g, "layers", buf, sizeof(buf)));
  flow->nhidden = 0;
  for (tok = strtok_r(buf, ",", &save); tok && flow->nhidden < UMB_FLOW_MAX_LAYERS; tok = strtok_r(NULL, ",", &save)) {
    long w = strtol(tok, NULL, 10);
    PetscCheck(w >= 1 && w <= 100000, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: bad layers attribute (width %s)", path, tok);
    flow->hidden[flow->nhidden++] = (PetscInt)w;
  }
  PetscCheck(flow->nhidden >= 1, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: bad layers attribute", path);
  PetscCall(UmbH5ReadAttrString(h5, g, "activation", buf, sizeof(buf)));
  flow->act = (UmbActivation)-1;
  for (int a = 0; a < 4; a++)
    if (!strcmp(buf, UmbActivations[a])) flow->act = (UmbActivation)a;
  PetscCheck((int)flow->act >= 0, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: unknown activation %s", path, buf);
  PetscCall(UmbH5ReadAttrInt(h5, g, "bins", &v));
  PetscCheck(v >= 2 && v <= UMB_FLOW_MAX_BINS, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: bad bins attribute %lld", path, (long long)v);
  flow->spline.K = (PetscInt)v;
  PetscCall(UmbH5ReadAttrReals(h5, g, "bound", 1, &flow->spline.bound));
  PetscCheck(flow->spline.bound > 0 && flow->spline.bound <= 100, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: bad bound attribute %g", path, (double)flow->spline.bound);
  PetscCall(UmbH5ReadAttrInt(h5, g, "fourier", &v));
  PetscCheck(v >= 0 && v <= 16, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: bad fourier attribute %lld (0..16)", path, (long long)v);
  flow->fourier = (PetscInt)v;
  PetscCall(UmbH5ReadAttrInt(h5, g, "harmonics", &v));
  PetscCheck(v >= 1 && v <= 16, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: bad harmonics attribute %lld (1..16)", path, (long long)v);
  flow->harmonics = (PetscInt)v;
  flow->dz = UmbFeatureDim(flow->d, flow->period, flow->fourier, flow->harmonics);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFlowLoad(UmbFlow flow, const char path[])
{
  UmbH5      h5;
  PetscBool  exists;
  PetscReal *theta, nll[2];
  int        r;
  hsize_t    dims[3];

  PetscFunctionBegin;
  PetscCall(PetscTestFile(path, 'r', &exists));
  PetscCheck(exists, flow->comm, PETSC_ERR_USER_INPUT, "cannot read %s: no such file; `umbra train -generator flow` (or `umbra run -generator flow`) writes it", path);
  PetscCall(UmbFlowCheckGenerates(flow));
  PetscCall(UmbH5Open(flow->comm, path, "flow", &h5));
  PetscCall(ReadArchitecture(flow, h5, path));
  PetscCall(UmbFlowBuildNetworks(flow));
  PetscCall(UmbH5GetShape(h5, "/flow/theta", &r, dims));
  PetscCheck(r == 1 && dims[0] == (hsize_t)flow->nparams, flow->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /flow/theta has %llu parameters, its architecture needs %" PetscInt_FMT " (corrupt file?)", path, (unsigned long long)dims[0], flow->nparams);
  PetscCall(PetscMalloc1(flow->nparams, &theta));
  PetscCall(ReadFinite(flow, h5, path, "/flow/theta", flow->nparams, theta, PETSC_FALSE));
  PetscCall(UmbFlowSetParameters(flow, theta));
  PetscCall(PetscFree(theta));
  PetscCall(UmbH5ReadAttrInt(h5, "/flow", "epochs", &flow->trained_epochs));
  PetscCall(UmbH5ReadAttrInt(h5, "/flow", "steps", &flow->trained_steps));
  PetscCall(UmbH5ReadAttrReals(h5, "/flow", "nll", 2, nll));
  flow->train_nll = nll[0];
  flow->valid_nll = nll[1];
  PetscCall(UmbH5ReadAttrReals(h5, "/flow", "z_min", flow->d, flow->zlo));
  PetscCall(UmbH5ReadAttrReals(h5, "/flow", "z_max", flow->d, flow->zhi));
  PetscCall(PetscFree(flow->ymean));
  PetscCall(PetscFree(flow->ysd));
  PetscCall(PetscMalloc1(flow->ng, &flow->ymean));
  PetscCall(PetscMalloc1(flow->ng, &flow->ysd));
  PetscCall(ReadFinite(flow, h5, path, "/flow/standardization/y_mean", flow->ng, flow->ymean, PETSC_FALSE));
  PetscCall(ReadFinite(flow, h5, path, "/flow/standardization/y_sd", flow->ng, flow->ysd, PETSC_TRUE));
  PetscCall(ReadFinite(flow, h5, path, "/flow/standardization/z_mean", flow->d, flow->zmean, PETSC_FALSE));
  PetscCall(ReadFinite(flow, h5, path, "/flow/standardization/z_sd", flow->d, flow->zsd, PETSC_TRUE));
  PetscCall(UmbH5Close(&h5, PETSC_FALSE));
  PetscCall(UmbFlowSetTraining(flow, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}
