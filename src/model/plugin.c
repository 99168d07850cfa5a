/* plugin: a user's model in a shared library (ABI in include/umbra/plugin.h), loaded with
   dlopen(RTLD_NOW | RTLD_LOCAL) on every rank. Every way loading can fail is an input error
   reported with the model's communicator: each rank tries, the ranks agree on the first
   failure (lowest rank) and all raise the same message, so a library missing on one node
   still stops the job cleanly. Coordinates are named x1..xn. */
#include <umbra/private/modelimpl.h>
#include <umbra/plugin.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(PETSC_USE_REAL_DOUBLE)
  #error "the plugin ABI passes double arrays: umbra must be built with PetscReal = double"
#endif

typedef struct {
  char  path[PETSC_MAX_PATH_LEN]; /* as given to -model_plugin */
  char  options[4096];            /* -model_plugin_options */
  void *handle;                   /* dlopen handle */
  void *ctx;                      /* the plugin's context from umbra_plugin_create */
  int   n, cv_d;
  /* work arrays filled while loading, before the ranks agree */
  double *reference, *mobility;
  double  period[2];
  /* the ABI */
  umbra_plugin_abi_version_fn  abi_version;
  umbra_plugin_create_fn       create;
  umbra_plugin_energy_fn       energy;
  umbra_plugin_destroy_fn      destroy;
  umbra_plugin_reference_fn    reference_fn;
  umbra_plugin_mobility_fn     mobility_fn;
  umbra_plugin_cv_dimension_fn cv_dimension;
  umbra_plugin_cv_fn           cv;
  umbra_plugin_cv_period_fn    cv_period;
  umbra_plugin_error_fn        error;
} UmbPlugin;

static PetscErrorCode SetFromOptions_Plugin(UmbModel m, PetscOptionItems *PetscOptionsObject)
{
  UmbPlugin *p = (UmbPlugin *)m->data;
  PetscBool  set;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "plugin model");
  PetscCall(PetscOptionsString("-model_plugin", "Shared library with the model (see include/umbra/plugin.h)", "", p->path, p->path, sizeof(p->path), &set));
  PetscCall(PetscOptionsString("-model_plugin_options", "Options string passed to umbra_plugin_create", "", p->options, p->options, sizeof(p->options), NULL));
  PetscOptionsHeadEnd();
  PetscCheck(p->path[0], m->comm, PETSC_ERR_USER_INPUT, "-model plugin needs -model_plugin path/to/libmodel.so (a shared library built against include/umbra/plugin.h, see docs/models.md)");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The plugin's own text for its last failure, or "" */
static const char *PluginErrorText(const UmbPlugin *p, void *ctx)
{
  const char *t = p->error ? p->error(ctx) : NULL;
  return t ? t : "";
}

/* Writes a load failure into err and returns its error class */
static PetscErrorCode LoadFail(char err[], size_t len, PetscErrorCode code, const char fmt[], ...) PETSC_ATTRIBUTE_FORMAT(4, 5);
static PetscErrorCode LoadFail(char err[], size_t len, PetscErrorCode code, const char fmt[], ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, len, fmt, ap);
  va_end(ap);
  return code;
}
#define LOADFAIL(code, ...) return LoadFail(err, len, code, __VA_ARGS__)

/* Loads the library, checks the ABI, creates the context and asks for everything set-up
   needs. Returns 0 or an error class with the message in err; raises no PETSc error itself so
   that the ranks can agree first. */
static PetscErrorCode Load(UmbPlugin *p, char err[], size_t len)
{
  char        file[PETSC_MAX_PATH_LEN + 2];
  struct stat st;
  const char *missing[3];
  int         nmissing = 0, rc, version;

  /* a name without a slash means a file in the working directory, never a library search */
  snprintf(file, sizeof(file), "%s%s", strchr(p->path, '/') ? "" : "./", p->path);
  if (stat(file, &st)) LOADFAIL(PETSC_ERR_FILE_OPEN, "-model_plugin: file '%s' does not exist", p->path);
  if (S_ISDIR(st.st_mode)) LOADFAIL(PETSC_ERR_FILE_OPEN, "-model_plugin: '%s' is a directory, not a shared library", p->path);
  if (access(file, R_OK)) LOADFAIL(PETSC_ERR_FILE_OPEN, "-model_plugin: file '%s' is not readable", p->path);
  (void)dlerror();
  p->handle = dlopen(file, RTLD_NOW | RTLD_LOCAL);
  if (!p->handle) {
    const char *e = dlerror();
    LOADFAIL(PETSC_ERR_FILE_OPEN, "-model_plugin: cannot load '%s' as a shared library: %s", p->path, e ? e : "unknown dlopen error");
  }
  p->abi_version  = (umbra_plugin_abi_version_fn)dlsym(p->handle, "umbra_plugin_abi_version");
  p->create       = (umbra_plugin_create_fn)dlsym(p->handle, "umbra_plugin_create");
  p->energy       = (umbra_plugin_energy_fn)dlsym(p->handle, "umbra_plugin_energy");
  p->destroy      = (umbra_plugin_destroy_fn)dlsym(p->handle, "umbra_plugin_destroy");
  p->reference_fn = (umbra_plugin_reference_fn)dlsym(p->handle, "umbra_plugin_reference");
  p->mobility_fn  = (umbra_plugin_mobility_fn)dlsym(p->handle, "umbra_plugin_mobility");
  p->cv_dimension = (umbra_plugin_cv_dimension_fn)dlsym(p->handle, "umbra_plugin_cv_dimension");
  p->cv           = (umbra_plugin_cv_fn)dlsym(p->handle, "umbra_plugin_cv");
  p->cv_period    = (umbra_plugin_cv_period_fn)dlsym(p->handle, "umbra_plugin_cv_period");
  p->error        = (umbra_plugin_error_fn)dlsym(p->handle, "umbra_plugin_error");
  if (!p->abi_version) missing[nmissing++] = "umbra_plugin_abi_version";
  if (!p->create) missing[nmissing++] = "umbra_plugin_create";
  if (!p->energy) missing[nmissing++] = "umbra_plugin_energy";
  if (nmissing)
    LOADFAIL(PETSC_ERR_USER_INPUT, "-model_plugin '%s' is not an umbra plugin: it lacks the required symbol%s %s%s%s%s%s (see include/umbra/plugin.h)", p->path, nmissing > 1 ? "s" : "", missing[0], nmissing > 1 ? ", " : "", nmissing > 1 ? missing[1] : "", nmissing > 2 ? ", " : "", nmissing > 2 ? missing[2] : "");
  version = p->abi_version();
  if (version != UMBRA_PLUGIN_ABI_VERSION) LOADFAIL(PETSC_ERR_USER_INPUT, "plugin '%s' was built for plugin ABI version %d but this umbra uses version %d: rebuild it with this umbra's include/umbra/plugin.h", p->path, version, UMBRA_PLUGIN_ABI_VERSION);

  p->n = 0;
  rc   = p->create(p->options, &p->ctx, &p->n);
  if (rc) {
    const char *t = PluginErrorText(p, NULL); /* no context after a failed create */
    p->ctx        = NULL;
    if (t[0]) LOADFAIL(PETSC_ERR_USER_INPUT, "plugin '%s' failed to start with -model_plugin_options \"%s\": %s", p->path, p->options, t);
    LOADFAIL(PETSC_ERR_USER_INPUT, "plugin '%s' failed to start with -model_plugin_options \"%s\" (umbra_plugin_create returned %d)", p->path, p->options, rc);
  }
  if (p->n < 1) LOADFAIL(PETSC_ERR_USER_INPUT, "plugin '%s': umbra_plugin_create set the dimension n = %d; it must be at least 1", p->path, p->n);

  p->reference = (double *)calloc((size_t)p->n, sizeof(double));
  p->mobility  = (double *)malloc((size_t)p->n * sizeof(double));
  if (!p->reference || !p->mobility) LOADFAIL(PETSC_ERR_MEM, "plugin '%s': cannot allocate %d doubles", p->path, p->n);
  for (int i = 0; i < p->n; i++) p->mobility[i] = 1.0;
  if (p->reference_fn) {
    if ((rc = p->reference_fn(p->ctx, p->reference))) LOADFAIL(PETSC_ERR_USER_INPUT, "plugin '%s': umbra_plugin_reference failed (%d) %s", p->path, rc, PluginErrorText(p, p->ctx));
    for (int i = 0; i < p->n; i++)
      if (!isfinite(p->reference[i])) LOADFAIL(PETSC_ERR_USER_INPUT, "plugin '%s': umbra_plugin_reference gave a non-finite coordinate %d", p->path, i + 1);
  }
  if (p->mobility_fn) {
    if ((rc = p->mobility_fn(p->ctx, p->mobility))) LOADFAIL(PETSC_ERR_USER_INPUT, "plugin '%s': umbra_plugin_mobility failed (%d) %s", p->path, rc, PluginErrorText(p, p->ctx));
    for (int i = 0; i < p->n; i++)
      if (!(p->mobility[i] > 0) || !isfinite(p->mobility[i])) LOADFAIL(PETSC_ERR_USER_INPUT, "plugin '%s': umbra_plugin_mobility gave M[%d] = %g; mobilities must be positive and finite", p->path, i + 1, p->mobility[i]);
  }
  p->cv_d      = 0;
  p->period[0] = p->period[1] = 0;
  if (p->cv && !p->cv_dimension) LOADFAIL(PETSC_ERR_USER_INPUT, "plugin '%s' defines umbra_plugin_cv but not umbra_plugin_cv_dimension", p->path);
  if (p->cv_dimension) {
    p->cv_d = p->cv_dimension(p->ctx);
    if (p->cv_d < 0 || p->cv_d > 2) LOADFAIL(PETSC_ERR_USER_INPUT, "plugin '%s': umbra_plugin_cv_dimension returned %d; a CV has dimension 1 or 2 (0: none)", p->path, p->cv_d);
    if (p->cv_d > 0 && !p->cv) LOADFAIL(PETSC_ERR_USER_INPUT, "plugin '%s' defines umbra_plugin_cv_dimension but not umbra_plugin_cv", p->path);
    if (p->cv_d > 0 && p->cv_period) {
      if ((rc = p->cv_period(p->ctx, p->period))) LOADFAIL(PETSC_ERR_USER_INPUT, "plugin '%s': umbra_plugin_cv_period failed (%d) %s", p->path, rc, PluginErrorText(p, p->ctx));
      for (int a = 0; a < p->cv_d; a++)
        if (!(p->period[a] >= 0) || !isfinite(p->period[a])) LOADFAIL(PETSC_ERR_USER_INPUT, "plugin '%s': umbra_plugin_cv_period gave %g for component %d; it must be 0 (not periodic) or positive", p->path, p->period[a], a + 1);
    }
  }
  return 0;
}

/* The ranks agree on the first failure (lowest rank) and its message */
PetscErrorCode UmbModelAgreeError(MPI_Comm comm, PetscErrorCode *code, char err[], int len)
{
  PetscMPIInt rank, size, mine, first;
  int         c = (int)*code;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  mine = c ? rank : size;
  PetscCallMPI(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm));
  if (first < size) {
    PetscCallMPI(MPI_Bcast(&c, 1, MPI_INT, first, comm));
    PetscCallMPI(MPI_Bcast(err, len, MPI_CHAR, first, comm));
    err[len - 1] = 0;
    if (first > 0) { /* a condition that differs between ranks: say where */
      size_t l = strlen(err);
      snprintf(err + l, (size_t)len - l, " (on rank %d)", first);
    }
  }
  *code = (PetscErrorCode)c;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SetUp_Plugin(UmbModel m)
{
  UmbPlugin     *p = (UmbPlugin *)m->data;
  char           err[1024] = "";
  PetscErrorCode code;
  int            mine[4], all[4];

  PetscFunctionBegin;
  code = Load(p, err, sizeof(err));
  PetscCall(UmbModelAgreeError(m->comm, &code, err, (int)sizeof(err)));
  PetscCheck(!code, m->comm, code, "%s", err);
  /* the same library and options must give the same model everywhere */
  mine[0] = p->n;
  mine[1] = -p->n;
  mine[2] = p->cv_d;
  mine[3] = -p->cv_d;
  PetscCallMPI(MPI_Allreduce(mine, all, 4, MPI_INT, MPI_MAX, m->comm));
  PetscCheck(all[0] == -all[1] && all[2] == -all[3], m->comm, PETSC_ERR_USER_INPUT, "plugin '%s' reports different dimensions on different ranks", p->path);

  PetscCall(UmbModelAllocate(m, p->n));
  for (PetscInt i = 0; i < m->n; i++) {
    m->reference[i] = p->reference[i];
    m->mobility[i]  = p->mobility[i];
  }
  free(p->reference);
  free(p->mobility);
  p->reference = p->mobility = NULL;
  m->bound            = 1e6;
  m->native_d         = p->cv_d;
  m->native_period[0] = p->period[0];
  m->native_period[1] = p->period[1];
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode EnergyGradient_Plugin(UmbModel m, PetscInt nw, const PetscReal *X, PetscReal *U, PetscReal *G)
{
  UmbPlugin *p = (UmbPlugin *)m->data;
  int        rc;

  PetscFunctionBegin;
  PetscCheck(nw >= 0 && nw <= INT_MAX, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "plugin: %" PetscInt_FMT " states do not fit the ABI's int", nw);
  rc = p->energy(p->ctx, (int)nw, X, U, G);
  PetscCheck(rc == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "plugin '%s': umbra_plugin_energy failed (returned %d)%s%s", p->path, rc, p->error ? ": " : "", PluginErrorText(p, p->ctx));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode NativeCV_Plugin(UmbModel m, PetscInt nw, const PetscReal *X, PetscReal *z, PetscReal *J)
{
  UmbPlugin *p = (UmbPlugin *)m->data;
  int        rc;

  PetscFunctionBegin;
  PetscCheck(nw >= 0 && nw <= INT_MAX, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "plugin: %" PetscInt_FMT " states do not fit the ABI's int", nw);
  rc = p->cv(p->ctx, (int)nw, X, z, J);
  PetscCheck(rc == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "plugin '%s': umbra_plugin_cv failed (returned %d)%s%s", p->path, rc, p->error ? ": " : "", PluginErrorText(p, p->ctx));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode View_Plugin(UmbModel m, PetscViewer v)
{
  UmbPlugin *p = (UmbPlugin *)m->data;

  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(v, "plugin: %s, options \"%s\", n = %d, CV dimension %d\n", p->path, p->options, p->n, p->cv_d));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Destroy_Plugin(UmbModel m)
{
  UmbPlugin *p = (UmbPlugin *)m->data;

  PetscFunctionBegin;
  if (p->ctx && p->destroy) p->destroy(p->ctx);
  if (p->handle) dlclose(p->handle);
  free(p->reference);
  free(p->mobility);
  PetscCall(PetscFree(m->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelCreate_Plugin(UmbModel m)
{
  UmbPlugin *p;

  PetscFunctionBegin;
  PetscCall(PetscNew(&p));
  m->data               = p;
  m->ops.setfromoptions = SetFromOptions_Plugin;
  m->ops.setup          = SetUp_Plugin;
  m->ops.energygradient = EnergyGradient_Plugin;
  m->ops.nativecv       = NativeCV_Plugin;
  m->ops.view           = View_Plugin;
  m->ops.destroy        = Destroy_Plugin;
  PetscFunctionReturn(PETSC_SUCCESS);
}
