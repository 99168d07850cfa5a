/* Fuzz target: umbra's handling of its own option values. The input is a line of options (only
   umbra's own: -us_, -fes_, -gan_, -lift_, -closure_, -dmap_, -cv_, -model_, ... such as
   -us_centers, -closure_wells, -run_extend, -gan_layers, -dmap_coords, -dmap_eps); every object
   of every command reads them and checks them (UmbAppSetUp), as before any command runs.
   Options that name files, libraries or directories are refused by the harness. */
#include "fuzz.h"
#include <ctype.h>
#include <umbra/private/app.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  FuzzStart();
  return 0;
}

/* every option name is one of umbra's and names no file, library or directory */
static int Acceptable(const char *text)
{
  static const char *const prefixes[] = {"-us_", "-fes_", "-gan_", "-lift_", "-closure_", "-dmap_", "-cv_", "-model", "-fastslow_", "-mb_", "-ring_", "-exact_", "-export_", "-run_", "-report_", "-seed", "-beta", "-cv", "-progress_interval", NULL};
  static const char *const banned[]   = {"plugin", "file", "input", "gnuplot", "-out", NULL};

  for (const char *p = text; *p; p++) {
    int ok = 0;
    if (!isprint((unsigned char)*p) && !isspace((unsigned char)*p)) return 0;
    if (*p != '-' || (p > text && !isspace((unsigned char)p[-1])) || !isalpha((unsigned char)p[1])) continue;
    for (const char *const *q = prefixes; *q && !ok; q++) ok = !strncmp(p, *q, strlen(*q));
    for (const char *const *q = banned; *q && ok; q++) {
      const char *end = p;
      while (*end && !isspace((unsigned char)*end)) end++;
      for (const char *s = p; s + strlen(*q) <= end && ok; s++) ok = strncmp(s, *q, strlen(*q)) != 0;
    }
    if (!ok) return 0;
  }
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char          *text, out[512];
  PetscOptions   opts;
  UmbApp         app;
  PetscErrorCode ierr;

  if (size > 4096) return 0;
  text = calloc(size + 1, 1);
  memcpy(text, data, size);
  if (!Acceptable(text)) {
    free(text);
    return 0;
  }
  /* a fresh options database holding only this input and the run directory */
  snprintf(out, sizeof(out), "-out %s/run", fuzz_dir);
  if (PetscOptionsCreate(&opts) || PetscOptionsPush(opts)) abort();
  ierr = PetscOptionsInsertString(NULL, text);
  if (!ierr) ierr = PetscOptionsInsertString(NULL, out);
  if (!ierr) ierr = UmbAppSetUp(PETSC_COMM_SELF, &app);
  else PetscMemzero(&app, sizeof(app));
  /* also after a refusal: every object destroys from any state (keeps the process small) */
  if (UmbAppDestroy(&app)) abort();
  if (PetscOptionsPop() || PetscOptionsDestroy(&opts)) abort();
  free(text);
  FuzzFinish(ierr, "UmbAppSetUp");
  return 0;
}
