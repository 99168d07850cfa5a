/* Options hygiene: PETSc silently ignores options that nothing reads, so a misspelled option
   would cost a whole allocation. Every command calls UmbOptionsCheckUnused after all of its
   objects have read their options, before any work starts. Also the objects' options prefixes. */
#include <umbra/sys.h>
#include <math.h>

/* Options PETSc reads only at shutdown: mark them as read so they are not reported */
static const char *const read_at_finalize[] = {"-log_view", "-log_view_memory", "-log_view_gpu_time", "-log_all", "-log_trace", "-malloc_dump", "-malloc_view", "-malloc_view_threshold", "-memory_view", "-options_left", "-objects_dump", "-options_view", "-log_summary", "-log_perfstubs", NULL};

/* umbra's boolean options: the only ones of its own that may stand without a value. Any other
   (-us_dt alone, or at the end of a line of an options file) would silently keep its default,
   because PETSc stores it as a flag. t005 checks that every boolean umbra reads is listed. */
static const char *const flag_options[] = {"-restart", "-closure_gan", "-gan_calibrate", "-us_stability_check", "-report_plots", "-run_overwrite", "-run_reseed_flagged", "-run_flow_moves", "-run_continue", "-run_supersede", "-fes_bootstrap_joint", "-fes_histogram_start", "-lift_project", "-lammps_align", "-options_allow_unused", "-error_traceback", NULL};
static const char *const own_prefixes[] = {"-us_", "-fes_", "-gan_", "-lift_", "-closure_", "-dmap_", "-cv_", "-model_", "-fastslow_", "-mb_", "-ring_", "-lammps_", "-exact_", "-export_", "-run_", "-report_", NULL};
static const char *const own_names[]    = {"-seed", "-beta", "-out", "-model", "-cv", "-generator", "-progress_interval", "-error_timeout", NULL};

static PetscBool InList(const char *const list[], const char name[], PetscBool prefix)
{
  for (const char *const *o = list; *o; o++)
    if (prefix ? !strncmp(name, *o, strlen(*o)) : !strcmp(name, *o)) return PETSC_TRUE;
  return PETSC_FALSE;
}

/* One of umbra's options that is not a boolean: given without a value, it stops the run */
static PetscBool TakesValue(const char name[])
{
  return (PetscBool)((InList(own_prefixes, name, PETSC_TRUE) || InList(own_names, name, PETSC_FALSE)) && !InList(flag_options, name, PETSC_FALSE));
}

/* Collective (the database is the same on every rank), at start-up before anything reads an
   option of umbra's: every one is still unread, so the list of unread options holds them all
   with their values, and looking at it marks none as read. Runs before an object would parse
   the missing value as 0 and report that instead. No option without a value is added later. */
PetscErrorCode UmbOptionsCheckValues(MPI_Comm comm)
{
  PetscInt n;
  char   **names, **values, name[256] = "";

  PetscFunctionBegin;
  PetscCall(PetscOptionsLeftGet(NULL, &n, &names, &values));
  for (PetscInt i = 0; i < n && !name[0]; i++) {
    snprintf(name, sizeof(name), "-%s", names[i]);
    if (values[i] || !TakesValue(name)) name[0] = 0;
  }
  PetscCall(PetscOptionsLeftRestore(NULL, &n, &names, &values));
  PetscCheck(!name[0], comm, PETSC_ERR_USER_INPUT, "option %s needs a value (given without one, it would keep its default)", name);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbOptionsCheckUnused(MPI_Comm comm)
{
  PetscInt  n, nleft;
  char    **names, **values;
  PetscBool allow = PETSC_FALSE;
  char      list[2048] = "";

  PetscFunctionBegin;
  for (const char *const *o = read_at_finalize; *o; o++) {
    PetscBool set;
    PetscCall(PetscOptionsHasName(NULL, NULL, *o, &set));
  }
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-options_allow_unused", &allow, NULL));
  PetscCall(PetscOptionsLeftGet(NULL, &nleft, &names, &values));
  n = nleft;
  for (PetscInt i = 0; i < n; i++) {
    size_t len = strlen(list);
    snprintf(list + len, sizeof(list) - len, "%s-%s", i ? ", " : "", names[i]);
  }
  PetscCall(PetscOptionsLeftRestore(NULL, &nleft, &names, &values)); /* zeroes nleft */
  if (n && allow) {
    PetscCall(UmbLogWarning(comm, "option%s not used by this command: %s", n > 1 ? "s" : "", list));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCheck(!n, comm, PETSC_ERR_USER_INPUT, "unknown or unused option%s: %s (misspelled, or not used with these settings; see docs/options.md or -help)", n > 1 ? "s" : "", list);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbOptionsInt64(PetscOptionItems *PetscOptionsObject, const char opt[], const char text[], PetscInt64 defval, PetscInt64 *value, PetscBool *set)
{
  char      buf[64];
  PetscBool flg;

  PetscFunctionBegin;
  snprintf(buf, sizeof(buf), "%" PetscInt64_FMT, defval);
  PetscCall(PetscOptionsString(opt, text, "", buf, buf, sizeof(buf), &flg));
  if (set) *set = flg;
  if (flg) {
    char     *end;
    long long v = strtoll(buf, &end, 10);
    if (*end) { /* scientific notation such as 1e6 */
      double r = strtod(buf, &end);
      PetscCheck(!*end && r == floor(r) && fabs(r) < 9.2e18, PetscOptionsObject->comm, PETSC_ERR_USER_INPUT, "option %s needs an integer, got '%s'", opt, buf);
      v = (long long)r;
    }
    *value = (PetscInt64)v;
  } else *value = defval;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbOptionsPrefixCopy(MPI_Comm comm, const char prefix[], char buf[UMB_PREFIX_LEN])
{
  PetscFunctionBegin;
  if (!prefix) prefix = "";
  PetscCheck(prefix[0] != '-', comm, PETSC_ERR_ARG_WRONG, "an options prefix does not begin with a hyphen, got %s", prefix);
  PetscCheck(strlen(prefix) < UMB_PREFIX_LEN, comm, PETSC_ERR_ARG_SIZ, "options prefix %s is too long (at most %d characters)", prefix, UMB_PREFIX_LEN - 1);
  PetscCall(PetscStrncpy(buf, prefix, UMB_PREFIX_LEN));
  PetscFunctionReturn(PETSC_SUCCESS);
}
