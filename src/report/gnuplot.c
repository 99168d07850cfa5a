/* gnuplot: each plot is a data file and a script in DIR/plots/, run by gnuplot in that
   directory (fork and exec, no shell: paths are never parsed). */
#include <umbra/private/reportimpl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs gnuplot in the plot directory with the given arguments; quiet discards its output.
   Returns its exit status, 127 when it cannot be executed, -1 when it did not exit normally. */
static int RunGnuplot(UmbReport r, const char *arg0, const char *arg1, PetscBool quiet)
{
  pid_t pid;
  int   status;
  char *argv[4] = {r->gnuplot, (char *)arg0, (char *)arg1, NULL};

  fflush(stdout);
  fflush(stderr);
  pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) { /* child: only async-signal-safe calls */
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      if (quiet) {
        dup2(null, 1);
        dup2(null, 2);
      }
    }
    if (chdir(r->plotdir)) _exit(126);
    execvp(r->gnuplot, argv);
    _exit(127);
  }
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The terminal: pngcairo (antialiased, UTF-8) when this gnuplot has it, else png */
PetscErrorCode UmbReportGnuplotDetect(UmbReport r)
{
  int st;

  PetscFunctionBegin;
  PetscCall(PetscStrncpy(r->terminal, "pngcairo", sizeof(r->terminal)));
  r->gnuplot_missing = PETSC_FALSE;
  if (!r->run_gnuplot) PetscFunctionReturn(PETSC_SUCCESS);
  st = RunGnuplot(r, "-e", "set terminal pngcairo", PETSC_TRUE);
  if (st == 127 || st == 126) {
    r->gnuplot_missing = PETSC_TRUE;
    PetscCall(UmbLogWarning(PETSC_COMM_SELF, "report: cannot run gnuplot ('%s', -report_gnuplot): writing the plots' data and scripts only", r->gnuplot));
  } else if (st) PetscCall(PetscStrncpy(r->terminal, "png", sizeof(r->terminal)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Opens DIR/plots/<file> for writing */
PetscErrorCode UmbReportOpen(UmbReport r, const char file[], const char mode[], FILE **f)
{
  char path[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCall(UmbPathJoin(r->plotdir, file, path, sizeof(path)));
  *f = fopen(path, mode);
  PetscCheck(*f, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot write %s: %s", path, strerror(errno));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbReportClose(UmbReport r, FILE *f, const char file[])
{
  PetscFunctionBegin;
  PetscCheck(!ferror(f) && !fclose(f), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot write %s/%s: %s", r->plotdir, file, strerror(errno));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Opens <name>.gp with the terminal (width x height pixels) and the output <name>.png */
PetscErrorCode UmbReportScriptBegin(UmbReport r, const char name[], int width, int height, FILE **f)
{
  char file[64];

  PetscFunctionBegin;
  snprintf(file, sizeof(file), "%s.gp", name);
  PetscCall(UmbReportOpen(r, file, "w", f));
  fprintf(*f, "# %s.png from %s.dat: run 'gnuplot %s.gp' in this directory to remake it\n", name, name, name);
  fprintf(*f, "set terminal %s size %d,%d noenhanced font ',%d'\n", r->terminal, width, height, strcmp(r->terminal, "png") ? 12 : 10);
  if (!strcmp(r->terminal, "pngcairo")) fprintf(*f, "set encoding utf8\n");
  fprintf(*f, "set output '%s.png'\nset datafile missing 'nan'\nset grid lc rgb '#dddddd'\n", name);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Closes the script and runs gnuplot on it; the plot counts as made */
PetscErrorCode UmbReportScriptEnd(UmbReport r, FILE *f, const char name[])
{
  char script[64], png[64];
  int  st;

  PetscFunctionBegin;
  snprintf(script, sizeof(script), "%s.gp", name);
  snprintf(png, sizeof(png), "%s.png", name);
  fprintf(f, "unset output\n");
  PetscCall(UmbReportClose(r, f, script));
  if (!r->run_gnuplot || r->gnuplot_missing) {
    PetscCall(UmbReportSkip(r, png, "%s", r->run_gnuplot ? "gnuplot cannot be run; data and script written" : "-report_plots 0; data and script written"));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  st = RunGnuplot(r, script, NULL, PETSC_FALSE);
  PetscCheck(st == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "gnuplot failed on %s/%s (exit status %d; its message is above)", r->plotdir, script, st);
  PetscCall(UmbReportMade(r, png));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One plot command with the curves that have data (gnuplot stops on a curve without a valid
   point when it sets the range); a placeholder saying so when none has */
PetscErrorCode UmbReportPlotCurves(FILE *f, PetscInt n, const char *const curves[], const PetscBool has[])
{
  PetscBool first = PETSC_TRUE;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < n; i++) {
    if (!has[i]) continue;
    fprintf(f, "%s%s", first ? "plot " : ", \\\n     ", curves[i]);
    first = PETSC_FALSE;
  }
  if (first) fprintf(f, "set label 1 'no data' at graph 0.5, graph 0.5 center\nplot [0:1] [0:1] NaN notitle\nunset label 1\n");
  else fprintf(f, "\n");
  PetscFunctionReturn(PETSC_SUCCESS);
}
