/* umbra <command> [options]: dispatch to one command; every rank runs the same command. */
#include <umbra/private/app.h>

static const char help[] = "umbra: umbrella sampling, free energies, conditional GANs and closures\n"
                           "usage: umbra <command> [options]   (options: see docs/options.md or -help)\n"
                           "commands:\n"
                           "  run      the campaign: sample, then the exact reference where one exists\n"
                           "  sample   umbrella windows across ranks -> samples.h5, windows.csv\n"
                           "  exact    quadrature references of the built-in models -> exact.csv\n"
                           "  info F   what an umbra HDF5 file holds\n"
                           "  version  print the version\n";

static const char *const commands[] = {"run", "sample", "exact", "info", "version", "help"};

int main(int argc, char **argv)
{
  PetscErrorCode ierr;
  const char    *command = argc > 1 ? argv[1] : "help";
  char           file[PETSC_MAX_PATH_LEN] = "";
  int            known = 0;

  /* the command (and a file argument of info) are not PETSc options: take them out of argv */
  if (argc > 1 && argv[1][0] != '-') {
    for (int i = 1; i < argc - 1; i++) argv[i] = argv[i + 1];
    argc--;
  } else command = "help";
  if (!strcmp(command, "info") && argc > 1 && argv[1][0] != '-') {
    snprintf(file, sizeof(file), "%s", argv[1]);
    for (int i = 1; i < argc - 1; i++) argv[i] = argv[i + 1];
    argc--;
  }
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) known |= !strcmp(command, commands[i]);

  ierr = UmbInitialize(&argc, &argv, help);
  if (ierr) return UmbFinalize(ierr);
  ierr = UmbSetCommand(command);
  if (!ierr && !known) {
    ierr = PetscError(PETSC_COMM_WORLD, __LINE__, PETSC_FUNCTION_NAME, __FILE__, PETSC_ERR_USER_INPUT, PETSC_ERROR_INITIAL, "unknown command '%s'; commands are run, sample, exact, info, version (umbra help lists them)", command);
  } else if (!ierr && (!strcmp(command, "help") || !strcmp(command, "version"))) {
    if (!strcmp(command, "help")) ierr = PetscPrintf(PETSC_COMM_WORLD, "%s", help);
    else ierr = PetscPrintf(PETSC_COMM_WORLD, "umbra %s\n", UmbVersion());
  } else if (!ierr && !strcmp(command, "info")) {
    ierr = UmbCommandInfo(PETSC_COMM_WORLD, file);
  } else if (!ierr) {
    UmbApp app;
    ierr = UmbAppSetUp(PETSC_COMM_WORLD, &app);
    if (!ierr) {
      if (!strcmp(command, "sample")) ierr = UmbCommandSample(&app);
      else if (!strcmp(command, "exact")) ierr = UmbCommandExact(&app);
      else if (!strcmp(command, "run")) ierr = UmbCommandRun(&app);
    }
    if (!ierr) ierr = UmbAppDestroy(&app);
  }
  return UmbFinalize(ierr);
}
