/* User observables for the closures from a shared library (-closure_plugin, ABI in
   include/umbra/plugin.h, "Observable plugins"): loaded with dlopen(RTLD_NOW | RTLD_LOCAL) on
   every rank; the ranks agree on the first failure (lowest rank) and all raise its message. */
#include <umbra/private/closureimpl.h>
#include <umbra/plugin.h>
#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

/* Loads the library and creates the context; 0 or an error class with the message in err */
static PetscErrorCode Load(UmbClosure c, char err[], size_t len)
{
  char        file[PETSC_MAX_PATH_LEN + 2];
  struct stat st;
  int         rc, nu = 0;

  snprintf(file, sizeof(file), "%s%s", strchr(c->uplugin, '/') ? "" : "./", c->uplugin);
  if (stat(file, &st) || S_ISDIR(st.st_mode) || access(file, R_OK)) {
    snprintf(err, len, "-closure_plugin: '%s' is not a readable file", c->uplugin);
    return PETSC_ERR_FILE_OPEN;
  }
  (void)dlerror();
  c->uhandle = dlopen(file, RTLD_NOW | RTLD_LOCAL);
  if (!c->uhandle) {
    const char *e = dlerror();
    snprintf(err, len, "-closure_plugin: cannot load '%s' as a shared library: %s", c->uplugin, e ? e : "unknown dlopen error");
    return PETSC_ERR_FILE_OPEN;
  }
  c->ucreate  = (umbra_observables_create_fn)dlsym(c->uhandle, "umbra_observables_create");
  c->uname    = (umbra_observables_name_fn)dlsym(c->uhandle, "umbra_observables_name");
  c->ueval    = (umbra_observables_evaluate_fn)dlsym(c->uhandle, "umbra_observables_evaluate");
  c->udestroy = (umbra_observables_destroy_fn)dlsym(c->uhandle, "umbra_observables_destroy");
  if (!c->ucreate || !c->uname || !c->ueval) {
    snprintf(err, len, "-closure_plugin '%s' defines no observables: it lacks umbra_observables_create, umbra_observables_name or umbra_observables_evaluate (see include/umbra/plugin.h)", c->uplugin);
    return PETSC_ERR_USER_INPUT;
  }
  rc = c->ucreate(c->uoptions, (int)c->n, &c->uctx, &nu);
  if (rc) {
    c->uctx = NULL;
    snprintf(err, len, "-closure_plugin '%s' failed to start with -closure_plugin_options \"%s\" (umbra_observables_create returned %d)", c->uplugin, c->uoptions, rc);
    return PETSC_ERR_USER_INPUT;
  }
  if (nu < 1 || nu > 64) {
    snprintf(err, len, "-closure_plugin '%s': umbra_observables_create set %d observables; it must be 1 to 64", c->uplugin, nu);
    return PETSC_ERR_USER_INPUT;
  }
  c->nuser = nu;
  for (int j = 0; j < nu; j++) {
    const char *nm = c->uname(c->uctx, j);
    if (!nm || !nm[0] || strlen(nm) > 60 || strpbrk(nm, ", \t\n")) {
      snprintf(err, len, "-closure_plugin '%s': observable %d has no valid name (1 to 60 characters, no comma or space)", c->uplugin, j);
      return PETSC_ERR_USER_INPUT;
    }
    for (PetscInt k = 0; k < c->nobs; k++)
      if (!strcmp(nm, c->names[k])) {
        snprintf(err, len, "-closure_plugin '%s': observable name '%s' is already a built-in observable", c->uplugin, nm);
        return PETSC_ERR_USER_INPUT;
      }
    for (int i = 0; i < j; i++)
      if (!strcmp(nm, c->uname(c->uctx, i))) {
        snprintf(err, len, "-closure_plugin '%s': observable name '%s' appears twice", c->uplugin, nm);
        return PETSC_ERR_USER_INPUT;
      }
  }
  return 0;
}

PetscErrorCode UmbClosureLoadUserObservables(UmbClosure c)
{
  char        err[2 * PETSC_MAX_PATH_LEN + 2048] = "";
  PetscMPIInt code, first, mine;
  PetscInt    nobs = c->nobs;
  char      **names;
  UmbObsKind *kind;
  PetscInt   *coordof;
  PetscBool  *sel;

  PetscFunctionBegin;
  code = (PetscMPIInt)Load(c, err, sizeof(err));
  mine = code ? c->rank : c->size;
  PetscCallMPI(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, c->comm));
  if (first < c->size) {
    PetscCallMPI(MPI_Bcast(err, (PetscMPIInt)sizeof(err), MPI_CHAR, first, c->comm));
    PetscCallMPI(MPI_Bcast(&code, 1, MPI_INT, first, c->comm));
    SETERRQ(c->comm, code, "%s", err);
  }
  PetscCall(PetscCalloc4(nobs + c->nuser, &names, nobs + c->nuser, &kind, nobs + c->nuser, &coordof, nobs + c->nuser, &sel));
  PetscCall(PetscArraycpy(names, c->names, nobs));
  PetscCall(PetscArraycpy(kind, c->kind, nobs));
  PetscCall(PetscArraycpy(coordof, c->coordof, nobs));
  PetscCall(PetscArraycpy(sel, c->sel, nobs));
  for (PetscInt j = 0; j < c->nuser; j++) {
    PetscCall(PetscStrallocpy(c->uname(c->uctx, (int)j), &names[nobs + j]));
    kind[nobs + j]    = UMB_OBS_USER;
    coordof[nobs + j] = j;
    sel[nobs + j]     = PETSC_TRUE;
  }
  PetscCall(PetscFree4(c->names, c->kind, c->coordof, c->sel));
  c->names   = names;
  c->kind    = kind;
  c->coordof = coordof;
  c->sel     = sel;
  c->nobs    = nobs + c->nuser;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbClosureEvaluateUser(UmbClosure c, PetscInt m, const PetscReal x[], PetscReal A[])
{
  int rc;

  PetscFunctionBegin;
  rc = c->ueval(c->uctx, (int)m, x, A);
  PetscCheck(!rc, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-closure_plugin '%s': umbra_observables_evaluate failed (%d)", c->uplugin, rc);
  for (PetscInt i = 0; i < m * c->nuser; i++) PetscCheck(PetscIsInfOrNanReal(A[i]) == PETSC_FALSE, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-closure_plugin '%s': observable '%s' is not finite at a state", c->uplugin, c->uname(c->uctx, (int)(i % c->nuser)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbClosureUnloadUserObservables(UmbClosure c)
{
  PetscFunctionBegin;
  if (c->uctx && c->udestroy) c->udestroy(c->uctx);
  c->uctx = NULL;
  if (c->uhandle) dlclose(c->uhandle);
  c->uhandle = NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}
