/* lammps: a molecular system defined by a LAMMPS input (-lammps_input), one LAMMPS instance per
   rank on MPI_COMM_SELF, or per group of ranks (UmbModelSetEngineComm: the group's leader makes
   the calls, the other ranks serve them, see Serve_Lammps). x holds the atom positions by atom id (atom i at x[3(i-1) .. 3(i-1)+2]),
   unwrapped, relative to the centre of the box, in the engine's length unit; energies are in the
   engine's energy unit and beta = 1 / (k_B T) with T = -lammps_temp.
   Energies and gradients of given states: the state is scattered into LAMMPS and a "run 0"
   evaluates it. Dynamics (UmbModelAdvance): velocity Verlet with LAMMPS's Langevin thermostat
   (fix nve + fix langevin, without "zero yes", which overheats a lone small molecule) and the
   umbrella force through fix external's callback. The overdamped integrators of the sampler use
   the energy gradient, with mobility M_i = damp / m_i (the overdamped limit of the same
   Langevin equation). A LAMMPS error aborts the process in Debian's build (no exceptions): what
   can be checked before LAMMPS reads the input is checked here, and its messages go to
   -lammps_log. */
#include <umbra/private/modelimpl.h>

#if !defined(UMBRA_HAVE_LAMMPS)

PetscErrorCode UmbModelCreate_Lammps(UmbModel m)
{
  PetscFunctionBegin;
  SETERRQ(m->comm, PETSC_ERR_SUP, "-model lammps: this umbra was built without LAMMPS; install liblammps-dev (or give LAMMPS_PC, see INSTALL) and rebuild");
}

#else
  #include <lammps/library.h>
  #include <libgen.h>
  #include <inttypes.h>
  #include <errno.h>
  #include <limits.h>
  #include <unistd.h>

  #if defined(LAMMPS_BIGBIG)
typedef int64_t umb_tagint;
typedef int64_t umb_imageint;
  #else
typedef int umb_tagint;
typedef int umb_imageint;
  #endif

typedef struct {
  char         input[PETSC_MAX_PATH_LEN]; /* -lammps_input */
  char         log[PETSC_MAX_PATH_LEN];   /* -lammps_log ("": none) */
  char         logarg[PETSC_MAX_PATH_LEN + 16]; /* this rank's log file, or "none" */
  PetscReal    temp, damp;                /* -lammps_temp, -lammps_damp */
  PetscBool    align;                     /* -lammps_align */
  PetscReal   *xref;                      /* the reference structure, centred (n) */
  void        *lmp;
  MPI_Comm     ecomm, mcomm;              /* the engine's communicator; umbra's own messages on it (a duplicate) */
  PetscMPIInt  erank, esize;
  char         dir[PETSC_MAX_PATH_LEN];   /* of the input: ${umbra_dir} */
  char         units[16];                 /* the input's units: real or metal */
  PetscInt     natoms;
  PetscReal    center[3], prd[3];         /* box centre and lengths */
  PetscReal    boltz, mvv2e, ftm2v;
  char         data[2 * PETSC_MAX_PATH_LEN]; /* the (first) read_data file, "" if none */
  PetscReal   *xfull, *gfull, *xprev;     /* work of the callback (gfull: n + 2), the previous step */
  PetscInt64   blowup;                    /* step at which an atom jumped (-1: none) */
  umb_imageint image0;                    /* the encoded image (0, 0, 0) */
  /* the callback's mode and the dynamics of the current call */
  UmbDynamics   *dyn;
  PetscErrorCode cb_error;
  char           cb_why[256];
} UmbLammps;

static PetscErrorCode SetFromOptions_Lammps(UmbModel m, PetscOptionItems *PetscOptionsObject)
{
  UmbLammps *p = (UmbLammps *)m->data;
  PetscBool  set;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "lammps model");
  PetscCall(PetscOptionsString("-lammps_input", "LAMMPS input that defines the system (units, atom_style, data, force field); ${umbra_dir} is its directory", "", p->input, p->input, sizeof(p->input), &set));
  PetscCall(PetscOptionsReal("-lammps_temp", "Temperature (K)", "", p->temp, &p->temp, NULL));
  PetscCall(PetscOptionsReal("-lammps_damp", "Damping time of the Langevin thermostat (engine time unit); the overdamped mobility is damp / mass", "", p->damp, &p->damp, NULL));
  PetscCall(PetscOptionsBool("-lammps_align", "Saved frames rotated onto the reference structure (mass-weighted, Kabsch): the molecule's tumbling is not part of its conformation", "", p->align, &p->align, NULL));
  PetscCall(PetscOptionsString("-lammps_log", "LAMMPS's log file, where its own error messages go; rank r > 0 appends .r (default <run directory>/lammps.log; none: no log)", "", p->log, p->log, sizeof(p->log), NULL));
  PetscOptionsHeadEnd();
  PetscCheck(p->input[0], m->comm, PETSC_ERR_USER_INPUT, "-model lammps needs -lammps_input FILE (a LAMMPS input that defines the system, see docs/molecules.md)");
  {
    PetscBool beta;
    PetscCall(PetscOptionsHasName(NULL, m->prefix[0] ? m->prefix : NULL, "-beta", &beta));
    PetscCheck(!beta, m->comm, PETSC_ERR_USER_INPUT, "-model lammps takes its temperature from -lammps_temp (K) and the input's units: drop -beta");
  }
  PetscCheck(p->temp > 0 && PetscIsNormalReal(p->temp), m->comm, PETSC_ERR_USER_INPUT, "-lammps_temp must be positive (K), got %.6g", (double)p->temp);
  PetscCheck(p->damp > 0 && PetscIsNormalReal(p->damp), m->comm, PETSC_ERR_USER_INPUT, "-lammps_damp must be positive (engine time unit), got %.6g", (double)p->damp);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The files LAMMPS would abort on: the input and every read_data file it names (${umbra_dir}
   substituted), checked before LAMMPS sees them */
static PetscErrorCode CheckFiles(UmbModel m, const char dir[])
{
  UmbLammps *p = (UmbLammps *)m->data;
  char       line[4096], why[3 * PETSC_MAX_PATH_LEN + 256] = "";
  FILE      *f;
  PetscErrorCode code;

  PetscFunctionBegin;
  f = fopen(p->input, "r");
  if (!f) snprintf(why, sizeof(why), "-lammps_input: cannot read '%s' (%s)", p->input, strerror(errno));
  while (f && !why[0] && fgets(line, sizeof(line), f)) {
    char  cmd[64], arg[PETSC_MAX_PATH_LEN], path[2 * PETSC_MAX_PATH_LEN];
    char *var;
    if (sscanf(line, " %63s %1023s", cmd, arg) != 2 || strcmp(cmd, "read_data")) continue;
    if ((var = strstr(arg, "${umbra_dir}"))) {
      *var = 0;
      snprintf(path, sizeof(path), "%s%s%s", arg, dir, var + strlen("${umbra_dir}"));
    } else snprintf(path, sizeof(path), "%s", arg);
    if (!p->data[0]) snprintf(p->data, sizeof(p->data), "%s", path);
    if (access(path, R_OK)) snprintf(why, sizeof(why), "-lammps_input %s: its read_data file '%s' cannot be read (%s)", p->input, path, strerror(errno));
  }
  if (f) fclose(f);
  code = why[0] ? PETSC_ERR_FILE_OPEN : PETSC_SUCCESS;
  PetscCall(UmbModelAgreeError(m->comm, &code, why, (int)sizeof(why)));
  PetscCheck(!code, m->comm, code, "%s", why);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Command(UmbModel m, const char fmt[], ...) PETSC_ATTRIBUTE_FORMAT(2, 3);
static PetscErrorCode Command(UmbModel m, const char fmt[], ...)
{
  UmbLammps *p = (UmbLammps *)m->data;
  char       cmd[1024];
  va_list    ap;

  PetscFunctionBegin;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof(cmd), fmt, ap);
  va_end(ap);
  lammps_command(p->lmp, cmd);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Positions of the local atoms, unwrapped and relative to the box centre, into xfull by id */
static void Unwrap(UmbLammps *p, int nlocal, const umb_tagint *ids, double **x)
{
  const umb_imageint *image = (const umb_imageint *)lammps_extract_atom(p->lmp, "image");

  for (int i = 0; i < nlocal; i++) {
    int        flags[3];
    PetscReal *xi = p->xfull + 3 * (ids[i] - 1);
    lammps_decode_image_flags(image[i], flags);
    for (int c = 0; c < 3; c++) xi[c] = x[i][c] + flags[c] * p->prd[c] - p->center[c];
  }
}

/* Moves the centre of mass of a state to the origin: translation changes neither the energy nor
   a molecular CV, and it keeps a drifting molecule's coordinates bounded */
static void CentreOfMass(UmbModel m, PetscReal x[])
{
  const UmbLammps *p = (const UmbLammps *)m->data;
  PetscReal c[3] = {0, 0, 0}, M = 0;

  for (PetscInt i = 0; i < p->natoms; i++) {
    M += m->atom_mass[i];
    for (int a = 0; a < 3; a++) c[a] += m->atom_mass[i] * x[3 * i + a];
  }
  for (PetscInt i = 0; i < p->natoms; i++)
    for (int a = 0; a < 3; a++) x[3 * i + a] -= c[a] / M;
}

/* fix external's callback after the force field's forces: the umbrella force, and the frames
   to save. Errors cannot pass through LAMMPS: the first one is kept and the run cut short. */
static void Callback(void *ctx, int64_t step, int nlocal, umb_tagint *ids, double **x, double **fext)
{
  UmbModel     m   = (UmbModel)ctx;
  UmbLammps   *p   = (UmbLammps *)m->data;
  UmbDynamics *dyn = p->dyn;
  PetscReal    W   = 0;

  for (int i = 0; i < nlocal; i++) fext[i][0] = fext[i][1] = fext[i][2] = 0;
  if (!dyn || p->cb_error) {
    lammps_fix_external_set_energy_global(p->lmp, "umbra_bias", 0.0);
    return;
  }
  if (p->esize > 1) { /* every rank of the group gets the whole molecule: one owner per atom, so the sum is exact */
    for (PetscInt i = 0; i < m->n; i++) p->xfull[i] = 0;
    Unwrap(p, nlocal, ids, x);
    if (MPI_Allreduce(MPI_IN_PLACE, p->xfull, (int)m->n, MPI_DOUBLE, MPI_SUM, p->mcomm)) p->cb_error = PETSC_ERR_MPI;
  } else Unwrap(p, nlocal, ids, x);
  /* an atom that moves half an Angstrom in one step, or a non-finite one, means the step is
     too large: stop before LAMMPS loses the atom (which would end the process) */
  for (PetscInt i = 0; i < m->n && p->blowup < 0; i++)
    if (!(PetscAbsReal(p->xfull[i] - p->xprev[i]) < 0.5) && step > dyn->s0) p->blowup = step;
  memcpy(p->xprev, p->xfull, (size_t)m->n * sizeof(PetscReal));
  if (p->blowup >= 0) {
    lammps_force_timeout(p->lmp);
    return;
  }
  if (p->erank == 0) { /* the leader: bias, and the frames to save */
    for (PetscInt i = 0; i < m->n; i++) p->gfull[i] = 0;
    if (!p->cb_error) p->cb_error = dyn->bias(dyn->ctx, p->xfull, &W, p->gfull);
    if (!p->cb_error && !PetscIsNormalReal(W) && W != 0) {
      p->cb_error = PETSC_ERR_FP;
      snprintf(p->cb_why, sizeof(p->cb_why), "the umbrella energy is %g at step %" PetscInt64_FMT, (double)W, (PetscInt64)step);
    }
    /* LAMMPS step t ends the sampler's step t - 1: positions are final after the force call */
    if (!p->cb_error && step > dyn->s0 && step - 1 >= dyn->save_first && (step - 1 - dyn->save_first) % dyn->save_stride == 0) p->cb_error = dyn->save(dyn->ctx, step - 1, p->xfull);
  }
  if (p->esize > 1) { /* the leader's umbrella force, energy and verdict to the group */
    p->gfull[m->n]     = W;
    p->gfull[m->n + 1] = (PetscReal)p->cb_error;
    if (MPI_Bcast(p->gfull, (int)m->n + 2, MPI_DOUBLE, 0, p->mcomm)) p->cb_error = PETSC_ERR_MPI;
    W = p->gfull[m->n];
    if (!p->cb_error) p->cb_error = (PetscErrorCode)p->gfull[m->n + 1];
  }
  for (int i = 0; i < nlocal; i++)
    for (int c = 0; c < 3; c++) fext[i][c] = -p->gfull[3 * (ids[i] - 1) + c];
  lammps_fix_external_set_energy_global(p->lmp, "umbra_bias", W);
  if (p->cb_error) lammps_force_timeout(p->lmp);
}

/* State into LAMMPS: positions around the box centre (every image flag 0), velocities if given */
static PetscErrorCode Scatter(UmbModel m, const PetscReal x[], const PetscReal v[])
{
  UmbLammps    *p = (UmbLammps *)m->data;
  umb_imageint *img;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(p->natoms, &img));
  for (PetscInt i = 0; i < p->natoms; i++) img[i] = p->image0;
  for (PetscInt i = 0; i < m->n; i++) p->xfull[i] = x[i] + p->center[i % 3];
  lammps_scatter_atoms(p->lmp, (char *)"x", 1, 3, p->xfull);
  lammps_scatter_atoms(p->lmp, (char *)"image", 0, 1, img);
  if (v) lammps_scatter_atoms(p->lmp, (char *)"v", 1, 3, (void *)v);
  PetscCall(PetscFree(img));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* State out of LAMMPS: unwrapped positions relative to the box centre */
static PetscErrorCode Gather(UmbModel m, PetscReal x[], PetscReal v[])
{
  UmbLammps    *p = (UmbLammps *)m->data;
  umb_imageint *img;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(p->natoms, &img));
  lammps_gather_atoms(p->lmp, (char *)"x", 1, 3, x);
  lammps_gather_atoms(p->lmp, (char *)"image", 0, 1, img);
  for (PetscInt i = 0; i < p->natoms; i++) {
    int flags[3];
    lammps_decode_image_flags(img[i], flags);
    for (int c = 0; c < 3; c++) x[3 * i + c] += flags[c] * p->prd[c] - p->center[c];
  }
  if (v) lammps_gather_atoms(p->lmp, (char *)"v", 1, 3, v);
  PetscCall(PetscFree(img));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Where LAMMPS writes: -lammps_log, else lammps.log in the run directory (created), else none;
   rank r > 0 of the model's communicator appends .r */
static PetscErrorCode LogPath(UmbModel m, char path[], size_t len)
{
  UmbLammps  *p = (UmbLammps *)m->data;
  PetscMPIInt rank;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(m->comm, &rank));
  if (!p->log[0] && m->rundir[0]) {
    PetscCall(UmbRunDirSetUp(m->comm, m->rundir));
    PetscCall(UmbPathJoin(m->rundir, "lammps.log", p->log, sizeof(p->log)));
  }
  if (!p->log[0] || !strcmp(p->log, "none")) snprintf(path, len, "none");
  else if (rank) snprintf(path, len, "%s.%d", p->log, rank);
  else snprintf(path, len, "%s", p->log);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The element of an atom from its mass (within 0.1 of the standard atomic weight) */
static const char *Element(PetscReal mass)
{
  static const struct {
    const char *symbol;
    double      mass;
  } table[] = {{"H", 1.008}, {"C", 12.011}, {"N", 14.007}, {"O", 15.999}, {"F", 18.998}, {"Na", 22.990}, {"Mg", 24.305}, {"P", 30.974}, {"S", 32.06}, {"Cl", 35.45}, {"K", 39.098}, {"Ca", 40.078}};
  for (size_t e = 0; e < sizeof(table) / sizeof(table[0]); e++)
    if (PetscAbsReal(mass - table[e].mass) < 0.1) return table[e].symbol;
  return "X";
}

/* Atom names from the comments of the data file's Atoms lines ("1 1 3 0.1 x y z # CA"), where
   present; the element and id otherwise */
static PetscErrorCode ReadAtomNames(UmbModel m)
{
  UmbLammps *p = (UmbLammps *)m->data;
  FILE      *f = p->data[0] ? fopen(p->data, "r") : NULL;
  char       line[1024];
  PetscBool  atoms = PETSC_FALSE;

  PetscFunctionBegin;
  while (f && fgets(line, sizeof(line), f)) {
    char      word[64], name[32];
    long long id;
    char     *hash;
    if (sscanf(line, " %63s", word) != 1) continue;
    if (!atoms) {
      atoms = (PetscBool)!strcmp(word, "Atoms");
      continue;
    }
    if (sscanf(line, " %lld", &id) != 1) break; /* the next section */
    hash = strchr(line, '#');
    if (id < 1 || id > p->natoms || !hash || sscanf(hash + 1, " %31s", name) != 1 || m->atom_names[id - 1]) continue;
    PetscCall(PetscStrallocpy(name, &m->atom_names[id - 1]));
  }
  if (f) fclose(f);
  for (PetscInt i = 0; i < p->natoms; i++)
    if (!m->atom_names[i]) {
      char name[32];
      snprintf(name, sizeof(name), "%s%" PetscInt_FMT, m->atom_elements[i], i + 1);
      PetscCall(PetscStrallocpy(name, &m->atom_names[i]));
    }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* LAMMPS on the engine's communicator: reads the input, checks what umbra relies on, adds umbra's
   fixes. Collective over the engine's communicator. A new instance (append) continues the log. */
static PetscErrorCode Open(UmbModel m, PetscBool append)
{
  UmbLammps  *p = (UmbLammps *)m->data;
  const char *units;
  char       *argv[] = {(char *)"umbra", (char *)"-screen", (char *)"none", (char *)"-log", append ? (char *)"none" : p->logarg, (char *)"-nocite", (char *)"-var", (char *)"umbra_dir", p->dir, NULL};
  double      lo[3], hi[3], xy, yz, xz;
  int         periodic[3], box_change;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(p->ecomm, &p->erank));
  PetscCallMPI(MPI_Comm_size(p->ecomm, &p->esize));
  PetscCallMPI(MPI_Comm_dup(p->ecomm, &p->mcomm));
  p->lmp = lammps_open(9, argv, p->ecomm, NULL);
  PetscCheck(p->lmp, m->comm, PETSC_ERR_LIB, "LAMMPS did not start");
  if (append && strcmp(p->logarg, "none")) PetscCall(Command(m, "log %s append", p->logarg));
  lammps_file(p->lmp, p->input);
  units = (const char *)lammps_extract_global(p->lmp, "units");
  PetscCheck(units && (!strcmp(units, "real") || !strcmp(units, "metal")), m->comm, PETSC_ERR_USER_INPUT, "-lammps_input %s: units %s are not supported: use units real (kcal/mol, Angstrom, fs) or metal (eV, Angstrom, ps)", p->input, units ? units : "(none)");
  PetscCall(PetscStrncpy(m->energy_unit, !strcmp(units, "real") ? "kcal/mol" : "eV", sizeof(m->energy_unit)));
  PetscCall(PetscStrncpy(p->units, units, sizeof(p->units)));
  p->natoms = (PetscInt)lammps_get_natoms(p->lmp);
  PetscCheck(p->natoms >= 1, m->comm, PETSC_ERR_USER_INPUT, "-lammps_input %s defines no atoms", p->input);
  PetscCheck(lammps_extract_setting(p->lmp, "map_style") != 0, m->comm, PETSC_ERR_USER_INPUT, "-lammps_input %s: add \"atom_modify map array\" before the box is defined: umbra addresses atoms by id", p->input);
  lammps_extract_box(p->lmp, lo, hi, &xy, &yz, &xz, periodic, &box_change);
  PetscCheck(xy == 0 && yz == 0 && xz == 0, m->comm, PETSC_ERR_USER_INPUT, "-lammps_input %s: a triclinic box is not supported", p->input);
  for (int c = 0; c < 3; c++) {
    p->center[c] = 0.5 * (lo[c] + hi[c]);
    p->prd[c]    = hi[c] - lo[c];
  }
  p->boltz  = *(double *)lammps_extract_global(p->lmp, "boltz");
  p->mvv2e  = *(double *)lammps_extract_global(p->lmp, "mvv2e");
  p->ftm2v  = *(double *)lammps_extract_global(p->lmp, "ftm2v");
  p->image0 = (umb_imageint)lammps_encode_image_flags(0, 0, 0);
  /* umbra's fixes: the umbrella force (zero outside dynamics) and its energy in pe */
  PetscCall(Command(m, "fix umbra_bias all external pf/callback 1 1"));
  PetscCall(Command(m, "fix_modify umbra_bias energy yes"));
  lammps_set_fix_external_callback(p->lmp, "umbra_bias", Callback, m);
  PetscCall(Command(m, "thermo_style custom step pe"));
  PetscCall(Command(m, "thermo 0"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Close(UmbModel m)
{
  UmbLammps *p = (UmbLammps *)m->data;

  PetscFunctionBegin;
  if (p->lmp) lammps_close(p->lmp);
  p->lmp = NULL;
  if (p->mcomm != MPI_COMM_NULL) PetscCallMPI(MPI_Comm_free(&p->mcomm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SetUp_Lammps(UmbModel m)
{
  UmbLammps  *p = (UmbLammps *)m->data;
  char        copy[PETSC_MAX_PATH_LEN];
  int        *type;
  double     *tmass, *rmass;

  PetscFunctionBegin;
  PetscCall(PetscStrncpy(copy, p->input, sizeof(copy)));
  PetscCall(PetscStrncpy(p->dir, dirname(copy), sizeof(p->dir)));
  PetscCall(CheckFiles(m, p->dir));
  PetscCall(LogPath(m, p->logarg, sizeof(p->logarg)));
  /* a LAMMPS error ends the process: say first where its message will be */
  if (strcmp(p->logarg, "none")) PetscCall(UmbLog(m->comm, "lammps: reading %s; should LAMMPS stop the run, its message is at the end of %s (of %s.<rank> for rank > 0)", p->input, p->log, p->log));
  p->ecomm = PETSC_COMM_SELF;
  PetscCall(Open(m, PETSC_FALSE));
  m->beta        = 1.0 / (p->boltz * p->temp);
  m->temperature = p->temp;
  PetscCall(UmbModelAllocate(m, 3 * p->natoms));
  m->natoms = p->natoms;
  PetscCall(PetscMalloc2(p->natoms, &m->atom_mass, p->natoms, &m->atom_type));
  PetscCall(PetscCalloc2(p->natoms, &m->atom_names, p->natoms, &m->atom_elements));
  PetscCall(PetscMalloc3(m->n, &p->xfull, m->n + 2, &p->gfull, m->n, &p->xprev));
  PetscCall(PetscMalloc1(p->natoms, &type));
  PetscCall(PetscMalloc1(m->n, &m->vthermal));
  lammps_gather_atoms(p->lmp, (char *)"type", 0, 1, type);
  rmass = (double *)lammps_extract_atom(p->lmp, "rmass");
  tmass = (double *)lammps_extract_atom(p->lmp, "mass");
  if (rmass) lammps_gather_atoms(p->lmp, (char *)"rmass", 1, 1, m->atom_mass);
  for (PetscInt i = 0; i < p->natoms; i++) {
    if (!rmass) m->atom_mass[i] = tmass ? tmass[type[i]] : 0;
    PetscCheck(m->atom_mass[i] > 0 && PetscIsNormalReal(m->atom_mass[i]), m->comm, PETSC_ERR_USER_INPUT, "-lammps_input %s: atom %" PetscInt_FMT " has no positive mass", p->input, i + 1);
    for (int c = 0; c < 3; c++) {
      char name[48];
      m->mobility[3 * i + c] = p->ftm2v * p->damp / m->atom_mass[i];
      m->vthermal[3 * i + c] = PetscSqrtReal(p->boltz * p->temp / (m->atom_mass[i] * p->mvv2e));
      snprintf(name, sizeof(name), "a%" PetscInt_FMT "_%c", i + 1, "xyz"[c]);
      PetscCall(PetscFree(m->coord_names[3 * i + c]));
      PetscCall(PetscStrallocpy(name, &m->coord_names[3 * i + c]));
    }
  }
  for (PetscInt i = 0; i < p->natoms; i++) {
    m->atom_type[i] = type[i];
    PetscCall(PetscStrallocpy(Element(m->atom_mass[i]), &m->atom_elements[i]));
  }
  PetscCall(PetscFree(type));
  PetscCall(ReadAtomNames(m));
  PetscCall(Gather(m, m->reference, NULL));
  CentreOfMass(m, m->reference);
  PetscCall(PetscMalloc1(m->n, &p->xref));
  PetscCall(PetscArraycpy(p->xref, m->reference, m->n));
  if (strcmp(p->logarg, "none")) PetscCall(Command(m, "log none")); /* on again for the dynamics (LogOn) */
  PetscCall(UmbLog(m->comm, "lammps: %s, %" PetscInt_FMT " atoms, units %s, T = %g K (beta = %.6g per %s); LAMMPS's messages go to %s", p->input, p->natoms, p->units, (double)p->temp, (double)m->beta, m->energy_unit, strcmp(p->logarg, "none") ? p->log : "nowhere (-lammps_log FILE keeps them)"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A new instance on comm (the same input; collective over the model's communicator) */
static PetscErrorCode SetEngineComm_Lammps(UmbModel m, MPI_Comm comm)
{
  UmbLammps  *p = (UmbLammps *)m->data;
  PetscMPIInt same;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_compare(comm, p->ecomm, &same));
  if (same == MPI_IDENT) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(Close(m));
  p->ecomm = comm;
  PetscCall(Open(m, PETSC_TRUE));
  /* each rank's atoms in spatial order at every set-up (0.5 A bins: two atoms never share one),
     so that the order of the sums does not depend on which states the instance ran before */
  if (p->esize > 1) PetscCall(Command(m, "atom_modify sort 1000000000 0.5"));
  if (strcmp(p->logarg, "none")) PetscCall(Command(m, "log none"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* LAMMPS's log during the dynamics only: a "run 0" per energy evaluation would write lines by
   the million (the input's errors are in it: the log is on until set-up ends) */
static PetscErrorCode LogOn(UmbModel m, PetscBool on)
{
  UmbLammps *p = (UmbLammps *)m->data;

  PetscFunctionBegin;
  if (!strcmp(p->logarg, "none")) PetscFunctionReturn(PETSC_SUCCESS);
  if (on) PetscCall(Command(m, "log %s append", p->logarg));
  else PetscCall(Command(m, "log none"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Canonical_Lammps(UmbModel m, PetscInt nw, PetscReal *X)
{
  UmbLammps *p = (UmbLammps *)m->data;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < nw; k++) {
    CentreOfMass(m, X + k * m->n);
    if (p->align) PetscCall(UmbAlignToReference(p->natoms, m->atom_mass, p->xref, X + k * m->n));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A group's leader tells the other ranks which call they take part in (Serve_Lammps), with its
   numbers; they are broadcast, so every rank of the group does the same LAMMPS calls */
typedef enum { CALL_ENERGY = 1, CALL_ADVANCE, CALL_FORCES, CALL_RELEASE } CallKind;
typedef struct {
  PetscInt64 kind, nw, want_u, want_g, has_v, s0, s1, save_first, save_stride;
  uint64_t   seed;
  double     dt;
} Call;

static PetscErrorCode Tell(UmbLammps *p, Call *call)
{
  PetscFunctionBegin;
  PetscCallMPI(MPI_Bcast(call, (int)sizeof(*call), MPI_BYTE, 0, p->mcomm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Energy and gradient of each state: scattered in, "run 0", forces gathered (every rank of the
   engine's communicator, with the same states) */
static PetscErrorCode EnergyGradientGroup(UmbModel m, PetscInt nw, const PetscReal *X, PetscReal *U, PetscReal *G)
{
  UmbLammps *p = (UmbLammps *)m->data;

  PetscFunctionBegin;
  p->dyn = NULL;
  for (PetscInt k = 0; k < nw; k++) {
    const PetscReal *x = X + k * m->n;
    for (PetscInt i = 0; i < m->n; i++) PetscCheck(PetscIsNormalReal(x[i]) || x[i] == 0, PETSC_COMM_SELF, PETSC_ERR_FP, "lammps: coordinate %" PetscInt_FMT " of a state is %g", i, (double)x[i]);
    PetscCall(Scatter(m, x, NULL));
    PetscCall(Command(m, "run 0 pre yes post no"));
    if (U) {
      U[k] = lammps_get_thermo(p->lmp, "pe");
      PetscCheck(!PetscIsInfOrNanReal(U[k]), PETSC_COMM_SELF, PETSC_ERR_FP, "lammps: the potential energy of a state is %g", (double)U[k]);
    }
    if (G) {
      PetscReal *g = G + k * m->n;
      lammps_gather_atoms(p->lmp, (char *)"f", 1, 3, g);
      for (PetscInt i = 0; i < m->n; i++) {
        g[i] = -g[i];
        PetscCheck(!PetscIsInfOrNanReal(g[i]), PETSC_COMM_SELF, PETSC_ERR_FP, "lammps: the force on coordinate %s of a state is %g", m->coord_names[i], (double)-g[i]);
      }
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One state over [s0, s1) (s1 > s0: Advance_Lammps sees to it): velocity Verlet, Langevin thermostat keyed by dyn->seed, the umbrella
   force through the callback; the mean kinetic temperature over all 3N degrees of freedom (the
   thermostat acts on the centre of mass too) */
static PetscErrorCode AdvanceGroup(UmbModel m, UmbDynamics *dyn, PetscReal *x, PetscReal *v)
{
  UmbLammps      *p = (UmbLammps *)m->data;
  const PetscInt64 nsteps = dyn->s1 - dyn->s0;
  double         *ke;

  PetscFunctionBegin;
  PetscCall(Scatter(m, x, v));
  p->dyn      = dyn;
  p->cb_error = 0;
  p->blowup   = -1;
  PetscCall(Command(m, "reset_timestep %" PetscInt64_FMT, dyn->s0));
  PetscCall(Command(m, "timestep %.17g", (double)dyn->dt));
  PetscCall(Command(m, "fix umbra_nve all nve"));
  PetscCall(Command(m, "fix umbra_lgv all langevin %.17g %.17g %.17g %" PRIu64, (double)p->temp, (double)p->temp, (double)p->damp, dyn->seed));
  PetscCall(Command(m, "compute umbra_ke all ke"));
  PetscCall(Command(m, "fix umbra_kavg all ave/time 10 1 10 c_umbra_ke ave running")); /* every 10th step: 0.15% of the step's cost, not 1.5% */
  PetscCall(LogOn(m, PETSC_TRUE));
  PetscCall(Command(m, "run %" PetscInt64_FMT " pre yes post no", nsteps));
  PetscCall(LogOn(m, PETSC_FALSE));
  ke = (double *)lammps_extract_fix(p->lmp, "umbra_kavg", 0, 0, 0, 0);
  dyn->temperature = ke ? 2 * *ke / (3 * p->natoms * p->boltz) : 0;
  if (ke) lammps_free(ke);
  PetscCall(Command(m, "unfix umbra_kavg"));
  PetscCall(Command(m, "uncompute umbra_ke"));
  PetscCall(Command(m, "unfix umbra_lgv"));
  PetscCall(Command(m, "unfix umbra_nve"));
  p->dyn = NULL;
  PetscCheck(!p->cb_error, PETSC_COMM_SELF, p->cb_error, "lammps: the umbrella callback failed%s%s", p->cb_why[0] ? ": " : "", p->cb_why);
  PetscCall(Gather(m, x, v));
  CentreOfMass(m, x);
  /* a state that blew up is returned non-finite: the caller reports it, collectively */
  dyn->blowup = p->blowup >= 0 ? p->blowup - 1 : -1; /* LAMMPS step t ends step t - 1 */
  if (p->blowup >= 0) x[0] = (PetscReal)NAN;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The engine's energy and forces at x with the umbrella force of the callback (dyn->bias on the
   leader), as the dynamics sees them */
static PetscErrorCode BiasedForcesGroup(UmbModel m, UmbDynamics *dyn, const PetscReal x[], PetscReal *pe, PetscReal f[])
{
  UmbLammps *p = (UmbLammps *)m->data;

  PetscFunctionBegin;
  PetscCall(Scatter(m, x, NULL));
  p->dyn      = dyn;
  p->cb_error = 0;
  p->blowup   = -1;
  dyn->s0     = 0; /* no frame is saved at set-up */
  PetscCall(Command(m, "reset_timestep 0"));
  PetscCall(Command(m, "run 0 pre yes post no"));
  p->dyn = NULL;
  PetscCheck(!p->cb_error, PETSC_COMM_SELF, p->cb_error, "lammps: the umbrella callback failed");
  *pe = lammps_get_thermo(p->lmp, "pe");
  lammps_gather_atoms(p->lmp, (char *)"f", 1, 3, f);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode EnergyGradient_Lammps(UmbModel m, PetscInt nw, const PetscReal *X, PetscReal *U, PetscReal *G)
{
  UmbLammps *p = (UmbLammps *)m->data;

  PetscFunctionBegin;
  if (p->esize > 1) {
    Call call = {.kind = CALL_ENERGY, .nw = nw, .want_u = U != NULL, .want_g = G != NULL};
    PetscCall(Tell(p, &call));
    PetscCallMPI(MPI_Bcast((void *)X, (PetscMPIInt)(nw * m->n), MPIU_REAL, 0, p->mcomm));
  }
  PetscCall(EnergyGradientGroup(m, nw, X, U, G));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Advance_Lammps(UmbModel m, UmbDynamics *dyn, PetscReal *x, PetscReal *v)
{
  UmbLammps *p = (UmbLammps *)m->data;

  PetscFunctionBegin;
  if (dyn->s1 <= dyn->s0) PetscFunctionReturn(PETSC_SUCCESS);
  if (p->esize > 1) {
    Call call = {.kind = CALL_ADVANCE, .has_v = v != NULL, .s0 = dyn->s0, .s1 = dyn->s1, .save_first = dyn->save_first, .save_stride = dyn->save_stride, .seed = dyn->seed, .dt = dyn->dt};
    PetscCall(Tell(p, &call));
    PetscCallMPI(MPI_Bcast(x, (PetscMPIInt)m->n, MPIU_REAL, 0, p->mcomm));
    if (v) PetscCallMPI(MPI_Bcast(v, (PetscMPIInt)m->n, MPIU_REAL, 0, p->mcomm));
  }
  PetscCall(AdvanceGroup(m, dyn, x, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The other ranks of a group: the leader's calls, until it releases them. Their states are
   copies of the leader's; the umbrella force comes from the leader in the callback. */
static PetscErrorCode Serve_Lammps(UmbModel m)
{
  UmbLammps *p = (UmbLammps *)m->data;
  PetscReal *X = NULL, *U = NULL, *G = NULL, *v;
  PetscInt   cap = 0;

  PetscFunctionBegin;
  if (p->esize == 1 || p->erank == 0) PetscFunctionReturn(PETSC_SUCCESS);
  for (;;) {
    Call call;
    PetscCall(Tell(p, &call));
    if (call.kind == CALL_RELEASE) break;
    /* states: nw (energy), one (forces), or positions and velocities (dynamics) */
    const PetscInt need = call.kind == CALL_ENERGY ? call.nw : call.kind == CALL_FORCES ? 1 : 2;
    if (need > cap) {
      PetscCall(PetscFree3(X, U, G));
      cap = need;
      PetscCall(PetscMalloc3(cap * m->n, &X, cap, &U, cap * m->n, &G));
    }
    if (call.kind == CALL_ENERGY) {
      PetscCallMPI(MPI_Bcast(X, (PetscMPIInt)(call.nw * m->n), MPIU_REAL, 0, p->mcomm));
      PetscCall(EnergyGradientGroup(m, call.nw, X, call.want_u ? U : NULL, call.want_g ? G : NULL));
    } else if (call.kind == CALL_FORCES) {
      UmbDynamics dyn = {.save_stride = 1};
      PetscCallMPI(MPI_Bcast(X, (PetscMPIInt)m->n, MPIU_REAL, 0, p->mcomm));
      PetscCall(BiasedForcesGroup(m, &dyn, X, U, G));
    } else {
      UmbDynamics dyn = {.dt = call.dt, .s0 = call.s0, .s1 = call.s1, .save_first = call.save_first, .save_stride = call.save_stride, .seed = call.seed};
      v = call.has_v ? X + m->n : NULL;
      PetscCallMPI(MPI_Bcast(X, (PetscMPIInt)m->n, MPIU_REAL, 0, p->mcomm));
      if (v) PetscCallMPI(MPI_Bcast(v, (PetscMPIInt)m->n, MPIU_REAL, 0, p->mcomm));
      PetscCall(AdvanceGroup(m, &dyn, X, v));
    }
  }
  PetscCall(PetscFree3(X, U, G));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Release_Lammps(UmbModel m)
{
  UmbLammps *p = (UmbLammps *)m->data;
  Call       call = {.kind = CALL_RELEASE};

  PetscFunctionBegin;
  if (p->esize > 1 && p->erank == 0) PetscCall(Tell(p, &call));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelLammpsEnergyTerms(UmbModel m, const PetscReal x[], PetscReal terms[6])
{
  UmbLammps *p = (UmbLammps *)m->data;

  PetscFunctionBegin;
  PetscCall(EnergyGradient_Lammps(m, 1, x, NULL, NULL));
  PetscCall(Command(m, "thermo_style custom step pe ebond eangle edihed eimp evdwl ecoul elong"));
  PetscCall(Command(m, "run 0 pre yes post no"));
  terms[0] = lammps_get_thermo(p->lmp, "ebond");
  terms[1] = lammps_get_thermo(p->lmp, "eangle");
  terms[2] = lammps_get_thermo(p->lmp, "edihed");
  terms[3] = lammps_get_thermo(p->lmp, "eimp");
  terms[4] = lammps_get_thermo(p->lmp, "evdwl");
  terms[5] = lammps_get_thermo(p->lmp, "ecoul") + lammps_get_thermo(p->lmp, "elong");
  PetscCall(Command(m, "thermo_style custom step pe"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelLammpsBiasedForces(UmbModel m, UmbDynamics *dyn, const PetscReal x[], PetscReal *pe, PetscReal f[])
{
  UmbLammps *p = (UmbLammps *)m->data;

  PetscFunctionBegin;
  if (p->esize > 1) {
    Call call = {.kind = CALL_FORCES};
    PetscCall(Tell(p, &call));
    PetscCallMPI(MPI_Bcast((void *)x, (PetscMPIInt)m->n, MPIU_REAL, 0, p->mcomm));
  }
  PetscCall(BiasedForcesGroup(m, dyn, x, pe, f));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode View_Lammps(UmbModel m, PetscViewer viewer)
{
  UmbLammps *p = (UmbLammps *)m->data;

  PetscFunctionBegin;
  PetscCall(UmbViewerPrintf(viewer, "LAMMPS input %s: %" PetscInt_FMT " atoms, T = %g K, damp %g, energy unit %s\n", p->input, p->natoms, (double)p->temp, (double)p->damp, m->energy_unit));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Destroy_Lammps(UmbModel m)
{
  UmbLammps *p = (UmbLammps *)m->data;

  PetscFunctionBegin;
  PetscCall(Close(m));
  PetscCall(PetscFree3(p->xfull, p->gfull, p->xprev));
  PetscCall(PetscFree(p->xref));
  PetscCall(PetscFree(m->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelCreate_Lammps(UmbModel m)
{
  UmbLammps *p;

  PetscFunctionBegin;
  PetscCall(PetscNew(&p));
  p->temp              = 300;
  p->damp              = 100;
  p->align             = PETSC_TRUE;
  m->data              = p;
  m->ops.setfromoptions = SetFromOptions_Lammps;
  m->ops.setup         = SetUp_Lammps;
  m->ops.energygradient = EnergyGradient_Lammps;
  m->ops.advance       = Advance_Lammps;
  m->ops.canonical     = Canonical_Lammps;
  m->ops.setenginecomm = SetEngineComm_Lammps;
  m->ops.serve         = Serve_Lammps;
  m->ops.release       = Release_Lammps;
  p->ecomm             = PETSC_COMM_SELF;
  p->mcomm             = MPI_COMM_NULL;
  m->ops.view          = View_Lammps;
  m->ops.destroy       = Destroy_Lammps;
  PetscFunctionReturn(PETSC_SUCCESS);
}

#endif
