/* umbra export: the windows of samples.h5 in the input formats of the peers, so that any run can
   be cross-checked number for number (docs/export.md):
     pymbar      windows.txt, timeseries/winNNN.dat (time z), pymbar_mbar.py (builds u_kn as umbra
                 does and calls pymbar.MBAR)
     grossfield  metadata.dat (path center kappa correl_time), winNNN.dat (time z), run_wham.sh
     gmx         pullx files (time z, one per walker), a two-bead system (conf.gro, topol.top,
                 index.ndx) and one .mdp per window, make_tpr.sh (gmx grompp), run_gmx_wham.sh
     xyz         molecular models: minimum.xyz (saved frames in the lowest-F bin of fes.h5),
                 windows.xyz (the first saved frame of each window), lift.xyz (the states of
                 lift.h5), for molecular viewers
   1-D CVs (pymbar and xyz: 1-D or 2-D). Every rank writes the files of its own windows; rank 0 writes
   the rest (xyz: everything, from collective reads). The files go to
   <dir>/export/.<format>.tmp, which replaces <dir>/export/<format> when complete. */
#define _XOPEN_SOURCE 700
#include <umbra/private/fesimpl.h>
#include <umbra/samplesfile.h>
#include <umbra/generator.h>
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const UmbExportFormats[] = {"pymbar", "grossfield", "gmx", "xyz", "UmbExportFormat", "UMB_EXPORT_", NULL};

PetscErrorCode UmbExportCreate(MPI_Comm comm, UmbExport *out)
{
  UmbExport ex;

  PetscFunctionBegin;
  PetscCall(PetscNew(&ex));
  ex->comm       = comm;
  ex->format     = UMB_EXPORT_PYMBAR;
  ex->xyz_frames = 100;
  *out           = ex;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbExportSetFromOptions(UmbExport ex)
{
  PetscFunctionBegin;
  PetscOptionsBegin(ex->comm, NULL, "Export options (umbra export)", "UmbExport");
  PetscCall(PetscOptionsEnum("-export_format", "Format: pymbar, grossfield, gmx or xyz (molecular models)", "UmbExportSetFromOptions", UmbExportFormats, (PetscEnum)ex->format, (PetscEnum *)&ex->format, NULL));
  PetscCall(PetscOptionsInt("-export_xyz_frames", "xyz: at most this many saved frames of the lowest free-energy bin in minimum.xyz, taken evenly", "UmbExportSetFromOptions", ex->xyz_frames, &ex->xyz_frames, NULL));
  PetscOptionsEnd();
  PetscCheck(ex->xyz_frames >= 1, ex->comm, PETSC_ERR_USER_INPUT, "-export_xyz_frames must be at least 1, got %" PetscInt_FMT, ex->xyz_frames);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbExportDestroy(UmbExport *ex)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(*ex));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static int RemoveEntry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) { return remove(path); }

static int RemoveTree(const char *path)
{
  struct stat st;
  if (stat(path, &st)) return 0;
  return nftw(path, RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
}

typedef struct {
  int  err;
  char what[2 * PETSC_MAX_PATH_LEN + 64];
} IOStatus;

static void Fail(IOStatus *st, const char *path)
{
  if (st->err) return;
  st->err = errno ? errno : EIO;
  snprintf(st->what, sizeof(st->what), "cannot write %s", path);
}

static FILE *Open(IOStatus *st, const char *dir, const char *name)
{
  char  path[2 * PETSC_MAX_PATH_LEN];
  FILE *fd;
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  fd = st->err ? NULL : fopen(path, "w");
  if (!fd) Fail(st, path);
  return fd;
}

static void Close(IOStatus *st, FILE *fd, const char *dir, const char *name)
{
  char path[2 * PETSC_MAX_PATH_LEN];
  if (!fd) return;
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  if (ferror(fd) | fclose(fd)) Fail(st, path);
}

/* every rank learns the first failure */
static PetscErrorCode Agree(MPI_Comm comm, IOStatus *st)
{
  char msg[sizeof(st->what) + 64] = "";

  PetscFunctionBegin;
  if (st->err) snprintf(msg, sizeof(msg), "%s: %s", st->what, strerror(st->err));
  PetscCall(UmbErrorAgree(comm, msg, PETSC_ERR_FILE_WRITE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* time of frame t of a walker: the state after step burnin + (t + 1) stride - 1 */
static double FrameTime(const UmbWindowData *w, PetscInt64 t) { return (double)(w->burnin + (t + 1) * w->stride) * (double)w->dt; }

/* d values of a window's centre or spring constant, comma-separated */
static void Components(char *buf, size_t len, const PetscReal v[], PetscInt d)
{
  buf[0] = 0;
  for (PetscInt a = 0; a < d; a++) snprintf(buf + strlen(buf), len - strlen(buf), "%s%.17g", a ? "," : "", (double)v[a]);
}

/* one file per window: walkers one after another, time continuing (walker j's frames follow
   walker j-1's); columns time z (time z1 z2 for a 2-D CV) */
static void WriteWindowSeries(IOStatus *st, const UmbWindowData *w, PetscInt k, const char *dir, const char *name)
{
  FILE            *fd = Open(st, dir, name);
  const PetscInt   d  = w->d;
  const PetscInt64 r0 = w->offset[k] - w->offset[w->klo], nk = w->offset[k + 1] - w->offset[k];
  char             c[128], kap[128];
  if (!fd) return;
  Components(c, sizeof(c), w->center + k * d, d);
  Components(kap, sizeof(kap), w->kappa + k * d, d);
  fprintf(fd, "# umbra window %" PetscInt_FMT ": center %s kappa %s; %" PetscInt64_FMT " walkers x %" PetscInt64_FMT " frames, concatenated; columns: time %s\n", k, c, kap, w->walkers[k], w->frames[k], d == 1 ? "z" : "z1 z2");
  for (PetscInt64 i = 0; i < nk; i++) {
    fprintf(fd, "%.10g", FrameTime(w, i));
    for (PetscInt a = 0; a < d; a++) fprintf(fd, " %.17g", (double)w->z[(r0 + i) * d + a]);
    fputc('\n', fd);
  }
  Close(st, fd, dir, name);
}

static PetscErrorCode ExportPymbar(MPI_Comm comm, const UmbWindowData *w, const char *dir, IOStatus *st)
{
  PetscMPIInt rank;
  char        sub[2 * PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  snprintf(sub, sizeof(sub), "%s/timeseries", dir);
  if (!rank && mkdir(sub, 0777) && errno != EEXIST) Fail(st, sub);
  PetscCall(Agree(comm, st));
  for (PetscInt k = w->klo; k < w->khi; k++) {
    char name[64];
    snprintf(name, sizeof(name), "win%03d.dat", (int)k);
    WriteWindowSeries(st, w, k, sub, name);
  }
  if (!rank) {
    FILE *fd = Open(st, dir, "windows.txt");
    if (fd) {
      const PetscInt d = w->d;
      char           per[128];
      Components(per, sizeof(per), w->period, d);
      fprintf(fd, "# umbra windows for pymbar; beta = %.17g; period = %s (0: not periodic); dimension = %" PetscInt_FMT "\n", (double)w->beta, per, d);
      fprintf(fd, "# reduced bias of window k at z: u_k(z) = sum over the CV components a of beta * kappa_ka / 2 * (z_a - center_ka)^2 (minimum image when periodic)\n");
      fprintf(fd, "# samples: timeseries/winNNN.dat, columns time %s, N_k rows each\n", d == 1 ? "z" : "z1 z2");
      fprintf(fd, "# window %s N_k iact\n", d == 1 ? "center kappa" : "center1 center2 kappa1 kappa2");
      for (PetscInt k = 0; k < w->K; k++) {
        fprintf(fd, "%" PetscInt_FMT, k);
        for (PetscInt a = 0; a < d; a++) fprintf(fd, " %.17g", (double)w->center[k * d + a]);
        for (PetscInt a = 0; a < d; a++) fprintf(fd, " %.17g", (double)w->kappa[k * d + a]);
        fprintf(fd, " %" PetscInt64_FMT " %.10g\n", w->offset[k + 1] - w->offset[k], (double)w->iact[k]);
      }
      Close(st, fd, dir, "windows.txt");
    }
    fd = Open(st, dir, "pymbar_mbar.py");
    if (fd) {
      fprintf(fd, "#!/usr/bin/env python3\n"
                  "\"\"\"MBAR with pymbar on windows exported by `umbra export -export_format pymbar`.\n\n"
                  "Builds the reduced potentials exactly as umbra does, u_kn[k, n] = sum_a beta*kappa_ka/2*(z_na - center_ka)^2\n"
                  "(minimum image for a periodic CV component), calls pymbar.MBAR (3.x or 4.x API) and prints f_k - f_0 with the\n"
                  "asymptotic error. u_kn is K x N doubles: mind the memory for large runs.\n"
                  "Usage: python3 pymbar_mbar.py [--compare FES_H5]   (--compare: max |f_pymbar - f_umbra| against fes.h5)\n"
                  "\"\"\"\n"
                  "import os, re, sys\n"
                  "import numpy as np\n"
                  "import pymbar\n\n"
                  "here = os.path.dirname(os.path.abspath(__file__))\n"
                  "head = open(os.path.join(here, 'windows.txt')).readline()\n"
                  "beta = float(re.search(r'beta = ([^;]+);', head).group(1))\n"
                  "period = [float(p) for p in re.search(r'period = (\\S+)', head).group(1).split(',')]\n"
                  "d = len(period)\n"
                  "tab = np.loadtxt(os.path.join(here, 'windows.txt'), ndmin=2)\n"
                  "K = tab.shape[0]\n"
                  "center, kappa, N_k = tab[:, 1:1 + d], tab[:, 1 + d:1 + 2 * d], tab[:, 1 + 2 * d].astype(np.int64)\n"
                  "z = np.concatenate([np.loadtxt(os.path.join(here, 'timeseries', 'win%%03d.dat' %% k), ndmin=2)[:, 1:1 + d] for k in range(K)])\n"
                  "assert z.shape[0] == N_k.sum(), 'time series do not match windows.txt'\n"
                  "u_kn = np.zeros((K, z.shape[0]))\n"
                  "for a in range(d):\n"
                  "    dz = z[None, :, a] - center[:, a, None]\n"
                  "    if period[a] > 0:\n"
                  "        dz -= period[a] * np.round(dz / period[a])\n"
                  "    u_kn += 0.5 * beta * kappa[:, a, None] * dz**2\n"
                  "mbar = pymbar.MBAR(u_kn, N_k)\n"
                  "if hasattr(mbar, 'getFreeEnergyDifferences'):  # pymbar 3\n"
                  "    r = mbar.getFreeEnergyDifferences(return_dict=True)\n"
                  "    f, df = r['Delta_f'][0], r['dDelta_f'][0]\n"
                  "else:  # pymbar 4\n"
                  "    r = mbar.compute_free_energy_differences()\n"
                  "    f, df = r['Delta_f'][0], r['dDelta_f'][0]\n"
                  "print('window f df')\n"
                  "for k in range(K):\n"
                  "    print(k, repr(float(f[k])), repr(float(df[k])))\n"
                  "if len(sys.argv) > 2 and sys.argv[1] == '--compare':\n"
                  "    import h5py\n"
                  "    fu = h5py.File(sys.argv[2], 'r')['windows/f'][:]\n"
                  "    print('max |f_pymbar - f_umbra| =', float(np.max(np.abs(f - fu))))\n");
      Close(st, fd, dir, "pymbar_mbar.py");
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ExportGrossfield(MPI_Comm comm, const UmbWindowData *w, const char *dir, IOStatus *st)
{
  PetscMPIInt rank;
  PetscReal   zmin = PETSC_MAX_REAL, zmax = PETSC_MIN_REAL;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  for (PetscInt k = w->klo; k < w->khi; k++) {
    char name[64];
    snprintf(name, sizeof(name), "win%03d.dat", (int)k);
    WriteWindowSeries(st, w, k, dir, name);
  }
  for (PetscInt k = 0; k < w->K; k++) {
    zmin = PetscMin(zmin, w->center[k]);
    zmax = PetscMax(zmax, w->center[k]);
  }
  if (!rank) {
    FILE     *fd = Open(st, dir, "metadata.dat");
    const double T_lj = 1.0 / (double)w->beta, T_kcal = 1.0 / ((double)w->beta * UMB_KB_KCALMOL);
    if (fd) {
      for (PetscInt k = 0; k < w->K; k++) fprintf(fd, "win%03d.dat %.17g %.17g %.10g\n", (int)k, (double)w->center[k], (double)w->kappa[k], (double)w->iact[k]);
      Close(st, fd, dir, "metadata.dat");
    }
    fd = Open(st, dir, "run_wham.sh");
    if (fd) {
      fprintf(fd, "#!/bin/sh\n"
                  "# Grossfield's WHAM (http://membrane.urmc.rochester.edu/content/wham) on the exported windows.\n"
                  "# metadata.dat: path center kappa correl_time (correl_time = umbra's IACT in frames, used by\n"
                  "# its Monte Carlo bootstrap). Bias 0.5*kappa*(z - center)^2 as in umbra. Energies: umbra works in\n"
                  "# units where kT = 1/beta = %.10g. With the GitHub version, 'units lj' sets k_B = 1, so T = 1/beta:\n"
                  "#   wham units lj LO HI BINS TOL %.10g 0 metadata.dat free.dat [MC_TRIALS SEED]\n"
                  "# With the classic 2.0.x release (k_B in kcal/mol/K compiled in) use T = 1/(beta k_B) = %.10g K so\n"
                  "# that kT = 1/beta kcal/mol:\n"
                  "#   wham LO HI BINS TOL %.10g 0 metadata.dat free.dat\n"
                  "# free.dat columns: coor F +-F P +-P in the same units; its window table (#window F_k) has F_0 = 0.\n"
                  "# %s"
                  "# umbra's equivalent: umbra fes -fes_type wham -fes_range LO,HI -fes_bins BINS\n"
                  "# (Grossfield keeps samples in the open interval (LO, HI); umbra in [LO, HI).)\n"
                  "LO=${LO:-%.6g}\nHI=${HI:-%.6g}\nBINS=${BINS:-100}\nTOL=${TOL:-1e-8}\n"
                  "cd \"$(dirname \"$0\")\" && exec ${WHAM:-wham} units lj \"$LO\" \"$HI\" \"$BINS\" \"$TOL\" %.10g 0 metadata.dat free.dat \"$@\"\n",
              (double)(1.0 / w->beta), T_lj, T_kcal, T_kcal, w->period[0] > 0 ? "Periodic CV: add Grossfield's periodicity flag (P, Ppi or Pval); not done here.\n" : "\n", (double)zmin, (double)zmax, T_lj);
      Close(st, fd, dir, "run_wham.sh");
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ExportGmx(MPI_Comm comm, const UmbWindowData *w, const char *dir, IOStatus *st)
{
  PetscMPIInt  rank;
  const double kB = UMB_KB_KJMOL, T = 1.0 / ((double)w->beta * kB);
  double       zabs = 0;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  /* pullx: one file per walker, 2 columns (time in ps, coordinate in nm) */
  for (PetscInt k = w->klo; k < w->khi; k++) {
    const PetscInt64 r0 = w->offset[k] - w->offset[w->klo];
    for (PetscInt64 wk = 0; wk < w->walkers[k]; wk++) {
      char  name[64];
      FILE *fd;
      snprintf(name, sizeof(name), "pullx_%03d_%03d.xvg", (int)k, (int)wk);
      fd = Open(st, dir, name);
      if (!fd) break;
      fprintf(fd, "# umbra window %" PetscInt_FMT " walker %" PetscInt64_FMT " (center %.17g, kappa %.17g)\n@    title \"Pull COM\"\n@    xaxis  label \"Time (ps)\"\n@    yaxis  label \"Position (nm)\"\n@TYPE xy\n@ s0 legend \"1\"\n", k, wk, (double)w->center[k], (double)w->kappa[k]);
      for (PetscInt64 t = 0; t < w->frames[k]; t++) fprintf(fd, "%.10g\t%.17g\n", FrameTime(w, t), (double)w->z[r0 + wk * w->frames[k] + t]);
      Close(st, fd, dir, name);
    }
  }
  for (PetscInt k = 0; k < w->K; k++) zabs = PetscMax(zabs, PetscAbsReal(w->center[k]));
  if (!rank) {
    const double box = PetscMax(100.0, 4 * zabs + 10);
    FILE        *fd  = Open(st, dir, "conf.gro");
    if (fd) {
      fprintf(fd, "umbra export: two beads at the origin\n    2\n    1REF     R1    1   0.000   0.000   0.000\n    2MOV     M1    2   0.000   0.000   0.000\n %10.5f %10.5f %10.5f\n", box, box, box);
      Close(st, fd, dir, "conf.gro");
    }
    fd = Open(st, dir, "topol.top");
    if (fd) {
      fprintf(fd, "; umbra export: a dummy system whose only purpose is to carry the pull settings to gmx wham\n"
                  "[ defaults ]\n1 1 no 1.0 1.0\n\n[ atomtypes ]\nB 1.0 0.0 A 0.0 0.0\n\n"
                  "[ moleculetype ]\nREF 1\n[ atoms ]\n1 B 1 REF R1 1 0.0 1.0\n\n"
                  "[ moleculetype ]\nMOV 1\n[ atoms ]\n1 B 1 MOV M1 1 0.0 1.0\n\n"
                  "[ system ]\numbra windows\n\n[ molecules ]\nREF 1\nMOV 1\n");
      Close(st, fd, dir, "topol.top");
    }
    fd = Open(st, dir, "index.ndx");
    if (fd) {
      fprintf(fd, "[ System ]\n1 2\n[ REF ]\n1\n[ MOV ]\n2\n"); /* grompp -n needs System for tc-grps */
      Close(st, fd, dir, "index.ndx");
    }
    for (PetscInt k = 0; k < w->K && !st->err; k++) {
      char name[64];
      snprintf(name, sizeof(name), "win%03d.mdp", (int)k);
      fd = Open(st, dir, name);
      if (!fd) break;
      fprintf(fd, "; umbra window %" PetscInt_FMT "; ref-t makes kT = 1/beta kJ/mol\n"
                  "integrator = sd\nnsteps = 0\ncutoff-scheme = Verlet\ncoulombtype = cut-off\nvdwtype = cut-off\nrcoulomb = 1.0\nrvdw = 1.0\n"
                  "tc-grps = System\ntau-t = 1\nref-t = %.17g\n"
                  "pull = yes\npull-ncoords = 1\npull-ngroups = 2\npull-group1-name = REF\npull-group2-name = MOV\n"
                  "pull-coord1-type = umbrella\npull-coord1-geometry = direction\npull-coord1-vec = 1 0 0\npull-coord1-groups = 1 2\n"
                  "pull-coord1-start = no\npull-coord1-init = %.17g\npull-coord1-k = %.17g\n",
              k, T, (double)w->center[k], (double)w->kappa[k]);
      Close(st, fd, dir, name);
    }
    fd = Open(st, dir, "tpr-files.dat");
    if (fd) {
      for (PetscInt k = 0; k < w->K; k++)
        for (PetscInt64 wk = 0; wk < w->walkers[k]; wk++) fprintf(fd, "win%03d.tpr\n", (int)k);
      Close(st, fd, dir, "tpr-files.dat");
    }
    fd = Open(st, dir, "pullx-files.dat");
    if (fd) {
      for (PetscInt k = 0; k < w->K; k++)
        for (PetscInt64 wk = 0; wk < w->walkers[k]; wk++) fprintf(fd, "pullx_%03d_%03d.xvg\n", (int)k, (int)wk);
      Close(st, fd, dir, "pullx-files.dat");
    }
    fd = Open(st, dir, "make_tpr.sh");
    if (fd) {
      fprintf(fd, "#!/bin/sh\n# One .tpr per window for gmx wham (GROMACS >= 2022 reads no .pdo files). Checked with GROMACS 2022.5\n# (tests/t306 runs it when gmx is installed).\nset -e\ncd \"$(dirname \"$0\")\"\nfor k in $(seq 0 %d); do\n  n=$(printf %%03d \"$k\")\n  ${GMX:-gmx} grompp -f win$n.mdp -c conf.gro -p topol.top -n index.ndx -o win$n.tpr -po mdout_$n.mdp -maxwarn 5 >grompp_$n.log 2>&1\ndone\n", (int)w->K - 1);
      Close(st, fd, dir, "make_tpr.sh");
    }
    fd = Open(st, dir, "run_gmx_wham.sh");
    if (fd) {
      fprintf(fd, "#!/bin/sh\n# gmx wham on the exported windows (after make_tpr.sh). -b 0 is essential: the default -b 50 drops\n"
                  "# the first 50 time units. -temp %.10g makes kT = 1/beta kJ/mol; -unit kT prints the profile in kT\n"
                  "# (gmx sets its first bin to 0; -zprof0 moves the reference). Bias at bin centres, as umbra fes -fes_type wham.\n"
                  "cd \"$(dirname \"$0\")\" && exec ${GMX:-gmx} wham -it tpr-files.dat -ix pullx-files.dat -o profile.xvg -hist histo.xvg \\\n"
                  "  -min ${LO:-%.6g} -max ${HI:-%.6g} -bins ${BINS:-100} -temp %.10g -unit kT -b 0 -tol 1e-8 \"$@\"\n",
              T, -zabs, zabs, T);
      Close(st, fd, dir, "run_gmx_wham.sh");
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- xyz: molecular viewers ------------------------------------------------------------- */

typedef struct {
  UmbSamplesFile         sf;
  const UmbSamplesTable *t;  /* the whole table (atoms) */
  const UmbSamplesTable *pt; /* the pooled windows (those of fes.h5) */
  PetscInt               n;  /* coordinates: 3 natoms */
} XyzData;

/* one XYZ frame: atom count, comment, "element x y z" per atom (Angstrom) */
static void WriteXyzFrame(FILE *fd, const UmbSamplesTable *t, const char *comment, const PetscReal *x)
{
  if (!fd) return;
  fprintf(fd, "%" PetscInt_FMT "\n%s\n", t->natoms, comment);
  for (PetscInt i = 0; i < t->natoms; i++) fprintf(fd, "%-2s %14.8f %14.8f %14.8f\n", t->atom_element + i * UMB_ATOM_STRLEN, (double)x[3 * i], (double)x[3 * i + 1], (double)x[3 * i + 2]);
}

/* "name = value" of each CV component */
static void CVText(char *buf, size_t len, const char *names, PetscInt d, const PetscReal *z)
{
  char        nm[256];
  const char *c = strchr(names, ',');
  buf[0]        = 0;
  for (PetscInt a = 0; a < d; a++) {
    if (a == 0) snprintf(nm, sizeof(nm), "%.*s", c ? (int)(c - names) : (int)strlen(names), names);
    else snprintf(nm, sizeof(nm), "%s", c ? c + 1 : "z2");
    snprintf(buf + strlen(buf), len - strlen(buf), "%s%s = %.10g", a ? ", " : "", nm, (double)z[a]);
  }
}

/* Collective: the state of file row `row` on rank 0 (the others read nothing) */
static PetscErrorCode ReadStateRow(MPI_Comm comm, XyzData *xd, PetscInt64 row, PetscReal *x)
{
  PetscMPIInt rank;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(UmbSamplesFileReadRows(xd->sf, UMB_SAMPLES_X, row, rank ? 0 : 1, x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* windows.xyz: the first saved frame of each pooled window */
static PetscErrorCode XyzWindows(MPI_Comm comm, XyzData *xd, const char *dir, IOStatus *st)
{
  const UmbSamplesTable *pt = xd->pt;
  PetscMPIInt            rank;
  PetscReal             *x;
  FILE                  *fd = NULL;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(PetscMalloc1(xd->n, &x));
  if (!rank) fd = Open(st, dir, "windows.xyz");
  for (PetscInt k = 0; k < pt->K; k++) {
    char comment[512], cv[300];
    PetscCall(ReadStateRow(comm, xd, pt->row[k], x));
    CVText(cv, sizeof(cv), pt->cv_names, pt->d, pt->center + k * pt->d);
    snprintf(comment, sizeof(comment), "umbra window %" PetscInt_FMT ": centre %s; first saved frame (samples.h5 row %" PetscInt64_FMT ")", pt->window[k], cv, pt->row[k]);
    if (!rank) WriteXyzFrame(fd, xd->t, comment, x);
  }
  if (!rank) Close(st, fd, dir, "windows.xyz");
  PetscCall(PetscFree(x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* minimum.xyz: up to nmax saved frames (taken evenly, in file order) whose CV lies in the bin of
   fes.h5 with the lowest F. Bins are [c - h/2, c + h/2) per component, h the grid spacing. */
static PetscErrorCode XyzMinimum(MPI_Comm comm, const UmbWindowData *w, XyzData *xd, const char *fespath, PetscInt nmax, const char *dir, IOStatus *st)
{
  const UmbSamplesTable *pt = xd->pt;
  const PetscInt         d  = w->d;
  UmbFesFile             ff;
  PetscInt               nb, jmin = -1;
  PetscReal             *zc, *F, *dF, h[2] = {0, 0};
  PetscInt64            *mine, nmine = 0, ntot = 0, nsel;
  PetscInt64            *all = NULL;
  PetscMPIInt            rank, size, *cnt, *disp, nm;
  PetscReal             *x;
  FILE                  *fd = NULL;
  char                   cvmin[300];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(UmbFesFileOpen(comm, fespath, &ff));
  PetscCall(UmbFesFileReadProfile(ff, d, &nb, &zc, &F, &dF));
  PetscCall(UmbFesFileClose(&ff));
  for (PetscInt b = 0; b < nb; b++)
    if (!PetscIsInfOrNanReal(F[b]) && (jmin < 0 || F[b] < F[jmin])) jmin = b;
  PetscCheck(jmin >= 0, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: no bin has a free energy", fespath);
  for (PetscInt a = 0; a < d; a++) /* the grid spacing: the smallest gap between bin centres */
    for (PetscInt b = 0; b < nb; b++) {
      const PetscReal g = PetscAbsReal(zc[b * d + a] - zc[jmin * d + a]);
      if (g > 1e-12 * (1 + PetscAbsReal(zc[jmin * d + a])) && (h[a] == 0 || g < h[a])) h[a] = g;
    }
  for (PetscInt a = 0; a < d; a++) PetscCheck(h[a] > 0, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: the profile has a single bin along component %" PetscInt_FMT ": no bin width", fespath, a + 1);
  /* this rank's pooled rows in the bin */
  PetscCall(PetscMalloc1(w->nloc + 1, &mine));
  for (PetscInt64 i = 0; i < w->nloc; i++) {
    PetscBool in = PETSC_TRUE;
    for (PetscInt a = 0; a < d; a++) {
      PetscReal dz = w->z[i * d + a] - zc[jmin * d + a];
      if (w->period[a] > 0) dz -= w->period[a] * PetscFloorReal(dz / w->period[a] + 0.5);
      if (!(dz >= -h[a] / 2 && dz < h[a] / 2)) in = PETSC_FALSE;
    }
    if (in) mine[nmine++] = w->offset[w->klo] + i;
  }
  /* every rank learns the rows in the bin, in pooled order (ranks hold consecutive windows) */
  PetscCall(PetscMalloc2(size, &cnt, size, &disp));
  PetscCall(PetscMPIIntCast(nmine, &nm));
  PetscCallMPI(MPI_Allgather(&nm, 1, MPI_INT, cnt, 1, MPI_INT, comm));
  for (PetscMPIInt r = 0; r < size; r++) {
    disp[r] = (PetscMPIInt)ntot;
    ntot += cnt[r];
  }
  PetscCheck(ntot < PETSC_MPI_INT_MAX, comm, PETSC_ERR_SUP, "too many samples in the minimum bin");
  PetscCall(PetscMalloc1(ntot + 1, &all));
  PetscCallMPI(MPI_Allgatherv(mine, nm, MPIU_INT64, all, cnt, disp, MPIU_INT64, comm));
  PetscCall(PetscFree2(cnt, disp));
  PetscCall(PetscFree(mine));
  CVText(cvmin, sizeof(cvmin), pt->cv_names, d, zc + jmin * d);
  nsel = PetscMin(ntot, (PetscInt64)nmax);
  PetscCall(PetscMalloc1(xd->n, &x));
  if (!rank) fd = Open(st, dir, "minimum.xyz");
  for (PetscInt64 s = 0; s < nsel; s++) {
    const PetscInt64 p = all[(PetscInt64)(((long double)s * (long double)ntot) / (long double)nsel)];
    PetscInt         k = 0;
    PetscInt64       row;
    char             comment[1024];
    while (k + 1 < pt->K && pt->offset[k + 1] <= p) k++;
    row = pt->row[k] + (p - pt->offset[k]);
    PetscCall(ReadStateRow(comm, xd, row, x));
    /* the frame's own CV value, read from its file row (rank 0) */
    {
      PetscReal zr[2] = {0, 0};
      char      cv[300];
      PetscCall(UmbSamplesFileReadRows(xd->sf, UMB_SAMPLES_Z, row, rank ? 0 : 1, zr));
      CVText(cv, sizeof(cv), pt->cv_names, d, zr);
      snprintf(comment, sizeof(comment), "umbra minimum bin %s (%" PetscInt64_FMT " of its %" PetscInt64_FMT " frames): window %" PetscInt_FMT ", samples.h5 row %" PetscInt64_FMT ", %s", cvmin, s + 1, ntot, pt->window[k], row, cv);
    }
    if (!rank) WriteXyzFrame(fd, xd->t, comment, x);
  }
  if (!rank) Close(st, fd, dir, "minimum.xyz");
  PetscCall(UmbLog(comm, "export: minimum.xyz: %" PetscInt64_FMT " of the %" PetscInt64_FMT " frames in the lowest free-energy bin (%s, width %g%s)", nsel, ntot, cvmin, (double)h[0], d > 1 ? " x ..." : ""));
  PetscCall(PetscFree(x));
  PetscCall(PetscFree(all));
  PetscCall(PetscFree3(zc, F, dF));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* lift.xyz: every state of lift.h5, one frame each */
static PetscErrorCode XyzLift(MPI_Comm comm, XyzData *xd, const char *liftpath, const char *dir, IOStatus *st)
{
  PetscInt    M, L, d, n;
  PetscReal  *z, *x;
  PetscMPIInt rank;
  FILE       *fd = NULL;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(UmbLiftFileRead(comm, liftpath, &M, &L, &d, &n, &z, &x));
  PetscCheck(n == xd->n && d == xd->t->d, comm, PETSC_ERR_FILE_UNEXPECTED, "%s holds states of %" PetscInt_FMT " coordinates at a %" PetscInt_FMT "-D CV, the samples %" PetscInt_FMT " coordinates and a %" PetscInt_FMT "-D CV: lift again on these samples", liftpath, n, d, xd->n, xd->t->d);
  if (!rank) {
    fd = Open(st, dir, "lift.xyz");
    for (PetscInt m = 0; m < M; m++)
      for (PetscInt l = 0; l < L; l++) {
        char comment[512], cv[300];
        CVText(cv, sizeof(cv), xd->t->cv_names, d, z + m * d);
        snprintf(comment, sizeof(comment), "umbra lift: %s (value %" PetscInt_FMT ", state %" PetscInt_FMT ")", cv, m, l);
        WriteXyzFrame(fd, xd->t, comment, x + ((size_t)m * L + l) * n);
      }
    Close(st, fd, dir, "lift.xyz");
  }
  PetscCall(UmbLog(comm, "export: lift.xyz: %" PetscInt_FMT " x %" PetscInt_FMT " lifted states from %s", M, L, liftpath));
  PetscCall(PetscFree2(z, x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ExportXyz(MPI_Comm comm, const UmbWindowData *w, XyzData *xd, const char *top, PetscInt nmax, const char *dir, IOStatus *st)
{
  char      path[PETSC_MAX_PATH_LEN];
  PetscBool has;

  PetscFunctionBegin;
  PetscCall(XyzWindows(comm, xd, dir, st));
  PetscCall(PetscStrncpy(path, top, sizeof(path)));
  PetscCall(UmbPathJoin(top, "fes.h5", path, sizeof(path)));
  PetscCall(PetscTestFile(path, 'r', &has));
  if (has) PetscCall(XyzMinimum(comm, w, xd, path, nmax, dir, st));
  else PetscCall(UmbLog(comm, "export: no %s: minimum.xyz left out (run umbra fes first)", path));
  PetscCall(UmbPathJoin(top, "lift.h5", path, sizeof(path)));
  PetscCall(PetscTestFile(path, 'r', &has));
  if (has) PetscCall(XyzLift(comm, xd, path, dir, st));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbExportWrite(UmbExport ex, const char dir[])
{
  UmbWindowData w;
  XyzData       xd = {NULL, NULL, NULL, 0};
  PetscInt64    N;
  IOStatus      st;
  PetscMPIInt   rank;
  char          top[PETSC_MAX_PATH_LEN], tmp[PETSC_MAX_PATH_LEN + 64], final[PETSC_MAX_PATH_LEN + 64];

  PetscFunctionBegin;
  PetscCall(PetscMemzero(&st, sizeof(st)));
  PetscCallMPI(MPI_Comm_rank(ex->comm, &rank));
  PetscCall(UmbWindowDataRead(ex->comm, dir, &w));
  if (ex->format == UMB_EXPORT_XYZ) {
    PetscCall(UmbSamplesFileOpen(ex->comm, w.path, &xd.sf));
    PetscCall(UmbSamplesFileGetTable(xd.sf, &xd.t));
    PetscCall(UmbSamplesFileGetPooledTable(xd.sf, &xd.pt));
    PetscCall(UmbSamplesFileGetShape(xd.sf, UMB_SAMPLES_X, &N, &xd.n));
    PetscCheck(xd.t->natoms > 0, ex->comm, PETSC_ERR_USER_INPUT, "umbra export -export_format xyz needs the atoms of a molecular model (-model lammps), and %s has none (no /atoms: an analytic model, or a file written before samples.h5 described the atoms)", w.path);
    PetscCheck(xd.n == 3 * xd.t->natoms, ex->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /samples/x has %" PetscInt_FMT " coordinates, but /atoms %" PetscInt_FMT " atoms (3 coordinates each)", w.path, xd.n, xd.t->natoms);
  } else PetscCheck(w.d == 1 || ex->format == UMB_EXPORT_PYMBAR, ex->comm, PETSC_ERR_USER_INPUT, "umbra export -export_format %s supports 1-D CVs only (pymbar and xyz take 2-D ones too); %s holds a %" PetscInt_FMT "-D CV", UmbExportFormats[ex->format], w.path, w.d);
  PetscCall(PetscLogEventBegin(UMB_EVENT.fes_export, 0, 0, 0, 0));
  PetscCall(UmbPathJoin(dir, "export", top, sizeof(top)));
  snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", top, UmbExportFormats[ex->format]);
  snprintf(final, sizeof(final), "%s/%s", top, UmbExportFormats[ex->format]);
  if (!rank) {
    if (mkdir(top, 0777) && errno != EEXIST) Fail(&st, top);
    else if (RemoveTree(tmp) || (mkdir(tmp, 0777) && errno != EEXIST)) Fail(&st, tmp);
  }
  PetscCall(Agree(ex->comm, &st));
  switch (ex->format) {
  case UMB_EXPORT_PYMBAR:
    PetscCall(ExportPymbar(ex->comm, &w, tmp, &st));
    break;
  case UMB_EXPORT_GROSSFIELD:
    PetscCall(ExportGrossfield(ex->comm, &w, tmp, &st));
    break;
  case UMB_EXPORT_GMX:
    PetscCall(ExportGmx(ex->comm, &w, tmp, &st));
    break;
  case UMB_EXPORT_XYZ:
    PetscCall(ExportXyz(ex->comm, &w, &xd, dir, ex->xyz_frames, tmp, &st));
    break;
  }
  PetscCall(Agree(ex->comm, &st));
  PetscCallMPI(MPI_Barrier(ex->comm));
  if (!rank) {
    if (RemoveTree(final) || rename(tmp, final)) Fail(&st, final);
  }
  PetscCall(Agree(ex->comm, &st));
  PetscCall(PetscLogEventEnd(UMB_EVENT.fes_export, 0, 0, 0, 0));
  PetscCall(UmbLog(ex->comm, "export: %" PetscInt_FMT " windows, %" PetscInt64_FMT " samples in %s format -> %s", w.K, w.offset[w.K], UmbExportFormats[ex->format], final));
  PetscCall(UmbWindowDataFree(&w));
  PetscCall(UmbSamplesFileClose(&xd.sf, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}
