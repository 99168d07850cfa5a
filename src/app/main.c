/* umbra <command> [options]: dispatch to one command; every rank runs the same command. */
#include <umbra/private/app.h>

static const char help[] = "umbra: umbrella sampling, free energies, conditional GANs and closures\n"
                           "usage: umbra <command> [options]   (options: see docs/options.md or -help)\n"
                           "commands:\n"
                           "  run      the campaign: sample, then the exact reference where one exists\n"
                           "  sample   umbrella windows across ranks -> samples.h5, windows.csv\n"
                           "  exact    quadrature references of the built-in models -> exact.csv\n"
                           "  fes      free energies (MBAR or WHAM), errors, diagnostics -> fes.h5, fes.csv\n"
                           "  export   windows for pymbar, Grossfield WHAM or gmx wham -> export/\n"
                           "  import   umbrella data of GROMACS, PLUMED or Grossfield WHAM -> samples.h5, windows.csv\n"
                           "  train    data-parallel conditional GAN on samples.h5 -> gan.h5, train.csv\n"
                           "  lift     configurations at given CV values from gan.h5 -> lift.h5\n"
                           "  closure  closures from physics and the GAN, consistency checks -> closures.csv, consistency.csv\n"
                           "  report   plots (gnuplot), summary.json and a one-screen summary of -out DIR -> plots/, summary.json\n"
                           "  dmap     diffusion map of samples.h5: a learned CV (-cv dmap) -> dmap.h5, dmap.csv\n"
                           "  info F   what an umbra HDF5 file holds\n"
                           "  version  print the version\n";

static const char *const commands[] = {"run", "sample", "exact", "fes", "export", "import", "train", "lift", "closure", "report", "dmap", "info", "version", "help"};

/* PETSc aborts errors raised in a function named main: dispatch from here instead */
static PetscErrorCode RunCommand(const char *command, const char *file)
{
  PetscBool known = PETSC_FALSE;

  PetscFunctionBegin;
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) known = (PetscBool)(known || !strcmp(command, commands[i]));
  PetscCheck(known, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "unknown command '%s'; commands are run, sample, exact, fes, export, import, train, lift, closure, report, dmap, info, version (umbra help lists them)", command);
  PetscCall(UmbSetCommand(command));
  if (!strcmp(command, "help")) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s", help));
  else if (!strcmp(command, "version")) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "umbra %s\n", UmbVersion()));
  else if (!strcmp(command, "info")) PetscCall(UmbCommandInfo(PETSC_COMM_WORLD, file));
  else {
    UmbApp    app;
    PetscBool help_asked;
    PetscCall(UmbAppSetUp(PETSC_COMM_WORLD, &app));
    PetscCall(PetscOptionsHasHelp(NULL, &help_asked));
    if (!help_asked) { /* -help lists the options of every stage and stops */
      /* -cv dmap needs dmap.h5, except for the commands that make it and the report */
      if (strcmp(command, "run") && strcmp(command, "dmap") && strcmp(command, "report") && strcmp(command, "import")) PetscCall(UmbCVDmapRequire(app.cv));
      if (!strcmp(command, "sample")) PetscCall(UmbCommandSample(&app, NULL));
      else if (!strcmp(command, "exact")) PetscCall(UmbCommandExact(&app));
      else if (!strcmp(command, "fes")) PetscCall(UmbCommandFes(&app, NULL));
      else if (!strcmp(command, "export")) PetscCall(UmbCommandExport(&app));
      else if (!strcmp(command, "import")) PetscCall(UmbCommandImport(&app));
      else if (!strcmp(command, "train")) PetscCall(UmbCommandTrain(&app, NULL));
      else if (!strcmp(command, "lift")) PetscCall(UmbCommandLift(&app));
      else if (!strcmp(command, "closure")) PetscCall(UmbCommandClosure(&app));
      else if (!strcmp(command, "report")) PetscCall(UmbCommandReport(&app));
      else if (!strcmp(command, "dmap")) PetscCall(UmbCommandDmap(&app));
      else if (!strcmp(command, "run")) PetscCall(UmbCommandRun(&app));
    }
    PetscCall(UmbAppDestroy(&app));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr;
  const char    *command = "help";
  char           file[PETSC_MAX_PATH_LEN] = "";

  /* the command (and the file argument of info) are not PETSc options: take them out of argv */
  if (argc > 1 && argv[1][0] != '-') {
    command = argv[1];
    for (int i = 1; i < argc - 1; i++) argv[i] = argv[i + 1];
    argc--;
  }
  if (!strcmp(command, "info") && argc > 1 && argv[1][0] != '-') {
    snprintf(file, sizeof(file), "%s", argv[1]);
    for (int i = 1; i < argc - 1; i++) argv[i] = argv[i + 1];
    argc--;
  }
  ierr = UmbInitialize(&argc, &argv, help);
  if (!ierr) ierr = RunCommand(command, file);
  return UmbFinalize(ierr);
}
