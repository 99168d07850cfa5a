/* samples.h5: the window table (/windows and the attributes of /samples), read and checked once
   for every reader, and written by the sampler, the merge of a coupling round and an
   exploration run. */
#include <umbra/private/samplesfileimpl.h>

static PetscErrorCode HasAttr(UmbH5 h5, const char obj[], const char name[], PetscBool *has)
{
  hid_t  file, o;
  htri_t e;

  PetscFunctionBegin;
  *has = PETSC_FALSE;
  PetscCall(UmbH5HasObject(h5, obj, has));
  if (!*has) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(UmbH5GetId(h5, &file));
  UmbCallHDF5Id(o, H5Oopen(file, obj, H5P_DEFAULT));
  e = H5Aexists(o, name);
  UmbCallHDF5(H5Oclose(o));
  *has = e > 0 ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadOptionalInt(UmbH5 h5, const char obj[], const char name[], PetscInt64 def, PetscInt64 *v)
{
  PetscBool has;

  PetscFunctionBegin;
  PetscCall(HasAttr(h5, obj, name, &has));
  if (has) PetscCall(UmbH5ReadAttrInt(h5, obj, name, v));
  else *v = def;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadOptionalString(UmbH5 h5, const char obj[], const char name[], const char def[], char v[], size_t len)
{
  PetscBool has;

  PetscFunctionBegin;
  PetscCall(HasAttr(h5, obj, name, &has));
  if (has) PetscCall(UmbH5ReadAttrString(h5, obj, name, v, len));
  else snprintf(v, len, "%s", def);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* a K-vector of integers, when the file has it with that shape (a dataset of another shape is an error) */
static PetscErrorCode ReadOptionalLongs(UmbSamplesFile sf, const char name[], PetscInt K, PetscInt64 v[], PetscBool *has)
{
  int        r;
  hsize_t    dims[3];
  long long *buf;

  PetscFunctionBegin;
  PetscCall(UmbH5HasObject(sf->h5, name, has));
  if (!*has) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(UmbH5GetShape(sf->h5, name, &r, dims));
  PetscCheck(r == 1 && dims[0] == (hsize_t)K, sf->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: %s must hold %" PetscInt_FMT " x 1 values", sf->path, name, K);
  PetscCall(PetscMalloc1(K, &buf));
  PetscCall(UmbH5ReadSmall(sf->h5, name, H5T_NATIVE_LLONG, K, buf));
  for (PetscInt k = 0; k < K; k++) v[k] = buf[k];
  PetscCall(PetscFree(buf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* /atoms, when the file has it: id 1..natoms, type, mass, name, element */
static PetscErrorCode ReadAtoms(UmbSamplesFile sf, UmbSamplesTable *t)
{
  const MPI_Comm comm = sf->comm;
  PetscBool      has;
  int            r;
  hsize_t        dims[3];
  hid_t          type;
  long long     *buf;
  PetscInt       na;

  PetscFunctionBegin;
  t->natoms = 0;
  PetscCall(UmbH5HasObject(sf->h5, "/atoms/id", &has));
  if (!has) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(UmbH5GetShape(sf->h5, "/atoms/id", &r, dims));
  PetscCheck(r == 1 && dims[0] >= 1 && dims[0] <= (hsize_t)PETSC_MAX_INT / 3, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /atoms/id must be a vector of atom ids", sf->path);
  na = (PetscInt)dims[0];
  for (int i = 0; i < 4; i++) {
    const char *const names[] = {"/atoms/type", "/atoms/mass", "/atoms/name", "/atoms/element"};
    PetscCall(UmbH5GetShape(sf->h5, names[i], &r, dims));
    PetscCheck(r == 1 && dims[0] == (hsize_t)na, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: %s must hold one entry for each of the %" PetscInt_FMT " atoms of /atoms/id", sf->path, names[i], na);
  }
  PetscCall(PetscMalloc1(na, &buf));
  PetscCall(PetscMalloc4(na, &t->atom_type, na, &t->atom_mass, na * UMB_ATOM_STRLEN, &t->atom_name, na * UMB_ATOM_STRLEN, &t->atom_element));
  t->natoms = na;
  PetscCall(UmbH5ReadSmall(sf->h5, "/atoms/id", H5T_NATIVE_LLONG, na, buf));
  for (PetscInt i = 0; i < na; i++) PetscCheck(buf[i] == i + 1, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /atoms/id[%" PetscInt_FMT "] = %lld, expected %" PetscInt_FMT " (atoms in the order of the coordinates)", sf->path, i, buf[i], i + 1);
  PetscCall(UmbH5ReadSmall(sf->h5, "/atoms/type", H5T_NATIVE_LLONG, na, buf));
  for (PetscInt i = 0; i < na; i++) t->atom_type[i] = buf[i];
  PetscCall(PetscFree(buf));
  PetscCall(UmbH5ReadSmall(sf->h5, "/atoms/mass", H5T_NATIVE_DOUBLE, na, t->atom_mass));
  UmbCallHDF5Id(type, H5Tcopy(H5T_C_S1));
  UmbCallHDF5(H5Tset_size(type, UMB_ATOM_STRLEN));
  UmbCallHDF5(H5Tset_strpad(type, H5T_STR_NULLTERM));
  PetscCall(UmbH5ReadSmall(sf->h5, "/atoms/name", type, na, t->atom_name));
  PetscCall(UmbH5ReadSmall(sf->h5, "/atoms/element", type, na, t->atom_element));
  UmbCallHDF5(H5Tclose(type));
  for (PetscInt i = 0; i < na; i++) {
    t->atom_name[i * UMB_ATOM_STRLEN + UMB_ATOM_STRLEN - 1]    = 0;
    t->atom_element[i * UMB_ATOM_STRLEN + UMB_ATOM_STRLEN - 1] = 0;
    PetscCheck(t->atom_mass[i] > 0 && !PetscIsInfOrNanReal(t->atom_mass[i]), comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /atoms/mass[%" PetscInt_FMT "] = %g is not a positive mass", sf->path, i, (double)t->atom_mass[i]);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadTable(UmbSamplesFile sf, UmbSamplesTable *t)
{
  const MPI_Comm comm = sf->comm;
  const char    *path = sf->path;
  UmbH5          h5   = sf->h5;
  PetscBool      has;
  int            r;
  hsize_t        dims[3];
  long long     *off;

  PetscFunctionBegin;
  PetscCall(UmbH5GetShape(h5, "/samples/z", &r, dims));
  PetscCheck(r == 2, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /samples/z has rank %d, expected 2", path, r);
  /* sizes are checked before they become PetscInt: 2^32 + 1 columns must not pass as 1 */
  PetscCheck(dims[1] == 1 || dims[1] == 2, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: CVs of dimension %llu are not supported (1 or 2)", path, (unsigned long long)dims[1]);
  t->N = (PetscInt64)dims[0];
  t->d = (PetscInt)dims[1];
  PetscCall(UmbH5GetShape(h5, "/windows/offset", &r, dims));
  PetscCheck(r == 1 && dims[0] >= 2 && dims[0] <= (hsize_t)PETSC_MAX_INT / 4, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /windows/offset must hold K + 1 >= 2 entries", path);
  t->K = (PetscInt)dims[0] - 1;
  PetscCall(PetscMalloc1(t->K + 1, &off));
  PetscCall(PetscMalloc3(t->K * t->d, &t->center, t->K * t->d, &t->kappa, t->K, &t->iact));
  PetscCall(PetscMalloc4(t->K + 1, &t->offset, t->K, &t->walkers, t->K, &t->frames, t->K, &t->round));
  PetscCall(PetscMalloc3(t->K, &t->superseded_by, t->K, &t->window, t->K, &t->row));
  PetscCall(UmbH5ReadSmall(h5, "/windows/offset", H5T_NATIVE_LLONG, t->K + 1, off));
  for (PetscInt k = 0; k <= t->K; k++) t->offset[k] = off[k];
  PetscCall(PetscFree(off));
  PetscCall(UmbH5GetShape(h5, "/windows/center", &r, dims));
  PetscCheck(dims[0] == (hsize_t)t->K && (r == 1 ? 1 : (PetscInt)dims[1]) == t->d, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /windows/center must be K x d = %" PetscInt_FMT " x %" PetscInt_FMT, path, t->K, t->d);
  PetscCall(UmbH5GetShape(h5, "/windows/kappa", &r, dims));
  PetscCheck(dims[0] == (hsize_t)t->K && (r == 1 ? 1 : (PetscInt)dims[1]) == t->d, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /windows/kappa must be K x d = %" PetscInt_FMT " x %" PetscInt_FMT, path, t->K, t->d);
  PetscCall(UmbH5ReadSmall(h5, "/windows/center", H5T_NATIVE_DOUBLE, t->K * t->d, t->center));
  PetscCall(UmbH5ReadSmall(h5, "/windows/kappa", H5T_NATIVE_DOUBLE, t->K * t->d, t->kappa));
  PetscCall(UmbH5ReadAttrReals(h5, "/samples", "beta", 1, &t->beta));
  PetscCall(HasAttr(h5, "/samples", "cv_period", &has));
  if (has) PetscCall(UmbH5ReadAttrReals(h5, "/samples", "cv_period", t->d, t->period));
  PetscCall(ReadOptionalString(h5, "/samples", "cv_names", t->d == 1 ? "z" : "z,z2", t->cv_names, sizeof(t->cv_names)));
  PetscCall(ReadOptionalString(h5, "/samples", "model", "", t->model, sizeof(t->model)));
  PetscCall(ReadOptionalString(h5, "/samples", "cv", "", t->cv, sizeof(t->cv)));
  PetscCall(ReadOptionalString(h5, "/samples", "coordinates", "", t->coordinates, sizeof(t->coordinates)));
  if (strlen(t->coordinates) == sizeof(t->coordinates) - 1) t->coordinates[0] = 0; /* may be cut short: unknown */
  PetscCall(ReadOptionalString(h5, "/samples", "energy_unit", "", t->energy_unit, sizeof(t->energy_unit)));
  PetscCall(ReadOptionalString(h5, "/windows", "integrator", "", t->integrator, sizeof(t->integrator)));
  PetscCall(ReadOptionalInt(h5, "/windows", "walkers", 1, &t->nwalkers));
  PetscCall(ReadOptionalInt(h5, "/windows", "frames_per_walker", 0, &t->nframes));
  PetscCall(ReadOptionalInt(h5, "/windows", "stride", 1, &t->stride));
  PetscCall(ReadOptionalInt(h5, "/windows", "burnin", 0, &t->burnin));
  PetscCall(ReadOptionalInt(h5, "/windows", "steps", 0, &t->steps));
  PetscCall(ReadOptionalInt(h5, "/windows", "seed", 0, &t->seed));
  PetscCall(HasAttr(h5, "/samples", "temperature", &has));
  if (has) PetscCall(UmbH5ReadAttrReals(h5, "/samples", "temperature", 1, &t->temperature));
  else t->temperature = 0;
  PetscCall(HasAttr(h5, "/windows", "dt", &has));
  if (has) PetscCall(UmbH5ReadAttrReals(h5, "/windows", "dt", 1, &t->dt));
  else t->dt = 1;
  PetscCall(UmbH5HasObject(h5, "/windows/iact", &has));
  if (has) {
    PetscCall(UmbH5GetShape(h5, "/windows/iact", &r, dims));
    has = (PetscBool)(r == 1 && dims[0] == (hsize_t)t->K);
  }
  if (has) PetscCall(UmbH5ReadSmall(h5, "/windows/iact", H5T_NATIVE_DOUBLE, t->K, t->iact));
  t->has_iact = has;
  PetscCall(ReadOptionalLongs(sf, "/windows/round", t->K, t->round, &t->has_round));
  if (!t->has_round)
    for (PetscInt k = 0; k < t->K; k++) t->round[k] = 0;
  PetscCall(ReadOptionalLongs(sf, "/windows/superseded_by", t->K, t->superseded_by, &has));
  t->Kfile       = t->K;
  t->nsuperseded = 0;
  for (PetscInt k = 0; k < t->K; k++) {
    if (!has) t->superseded_by[k] = -1;
    PetscCheck(t->superseded_by[k] == -1 || (t->superseded_by[k] > k && t->superseded_by[k] < t->K), comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /windows/superseded_by[%" PetscInt_FMT "] = %" PetscInt64_FMT " is not a later window", path, k, t->superseded_by[k]);
    if (t->superseded_by[k] >= 0) t->nsuperseded++;
    t->window[k] = k;
    t->row[k]    = t->offset[k];
  }
  PetscCheck(t->nsuperseded < t->K, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: every window is superseded", path);
  PetscCall(ReadAtoms(sf, t));

  /* checks */
  PetscCheck(t->temperature >= 0 && !PetscIsInfOrNanReal(t->temperature), comm, PETSC_ERR_FILE_UNEXPECTED, "%s: attribute temperature = %.6g is negative", path, (double)t->temperature);
  PetscCheck(t->beta > 0 && PetscIsNormalReal(t->beta), comm, PETSC_ERR_FILE_UNEXPECTED, "%s: attribute beta = %.6g is not positive", path, (double)t->beta);
  PetscCheck(t->offset[0] == 0 && t->offset[t->K] == t->N, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /windows/offset must run from 0 to the %" PetscInt64_FMT " rows of /samples/z", path, t->N);
  for (PetscInt k = 0; k < t->K; k++) {
    PetscCheck(t->offset[k + 1] >= t->offset[k], comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /windows/offset decreases at window %" PetscInt_FMT, path, k);
    for (PetscInt a = 0; a < t->d; a++) PetscCheck(t->kappa[k * t->d + a] >= 0 && PetscIsInfOrNanReal(t->kappa[k * t->d + a]) == PETSC_FALSE && !PetscIsInfOrNanReal(t->center[k * t->d + a]), comm, PETSC_ERR_FILE_UNEXPECTED, "%s: window %" PetscInt_FMT " has an invalid centre or spring constant", path, k);
  }
  for (PetscInt a = 0; a < t->d; a++) PetscCheck(t->period[a] >= 0, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: negative cv_period", path);
  /* walker series: the sampler's layout is walkers x frames per window; anything else is one series */
  for (PetscInt k = 0; k < t->K; k++) {
    const PetscInt64 nk = t->offset[k + 1] - t->offset[k];
    if (t->nwalkers >= 1 && t->nframes >= 1 && t->nwalkers * t->nframes == nk) {
      t->walkers[k] = t->nwalkers;
      t->frames[k]  = t->nframes;
    } else {
      t->walkers[k] = 1;
      t->frames[k]  = nk;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileGetTable(UmbSamplesFile sf, const UmbSamplesTable **t)
{
  PetscFunctionBegin;
  if (!sf->have_table) {
    PetscCall(ReadTable(sf, &sf->table));
    sf->have_table = PETSC_TRUE;
  }
  *t = &sf->table;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileGetPooledTable(UmbSamplesFile sf, const UmbSamplesTable **pt)
{
  const UmbSamplesTable *t;
  UmbSamplesTable       *p = &sf->pooled;

  PetscFunctionBegin;
  PetscCall(UmbSamplesFileGetTable(sf, &t));
  if (!sf->have_pooled) {
    if (!t->nsuperseded) *p = *t; /* shares the arrays of the table */
    else {
      PetscInt K = t->K - t->nsuperseded, d = t->d, j = 0;
      *p   = *t;
      p->K = K;
      PetscCall(PetscMalloc3(K * d, &p->center, K * d, &p->kappa, K, &p->iact));
      PetscCall(PetscMalloc4(K + 1, &p->offset, K, &p->walkers, K, &p->frames, K, &p->round));
      PetscCall(PetscMalloc3(K, &p->superseded_by, K, &p->window, K, &p->row));
      p->offset[0] = 0;
      for (PetscInt k = 0; k < t->K; k++) {
        if (t->superseded_by[k] >= 0) continue;
        for (PetscInt a = 0; a < d; a++) {
          p->center[j * d + a] = t->center[k * d + a];
          p->kappa[j * d + a]  = t->kappa[k * d + a];
        }
        p->iact[j]          = t->iact[k];
        p->walkers[j]       = t->walkers[k];
        p->frames[j]        = t->frames[k];
        p->round[j]         = t->round[k];
        p->superseded_by[j] = -1;
        p->window[j]        = k;
        p->row[j]           = t->offset[k];
        p->offset[j + 1]    = p->offset[j] + t->offset[k + 1] - t->offset[k];
        j++;
      }
      p->N           = p->offset[K];
      p->nsuperseded = 0;
    }
    sf->have_pooled = PETSC_TRUE;
  }
  *pt = p;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesTableFree(UmbSamplesTable *t)
{
  PetscFunctionBegin;
  PetscCall(PetscFree3(t->center, t->kappa, t->iact));
  PetscCall(PetscFree4(t->offset, t->walkers, t->frames, t->round));
  PetscCall(PetscFree3(t->superseded_by, t->window, t->row));
  PetscCall(PetscFree4(t->atom_type, t->atom_mass, t->atom_name, t->atom_element));
  t->natoms = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileWriteTable(UmbSamplesFile sf, const UmbSamplesTable *t)
{
  UmbH5      h5      = sf->h5;
  hsize_t    dims[2] = {(hsize_t)t->K, (hsize_t)t->d};
  long long *offset;

  PetscFunctionBegin;
  PetscCall(UmbH5WriteSmall(h5, "/windows/center", H5T_NATIVE_DOUBLE, 2, dims, t->center));
  PetscCall(UmbH5WriteSmall(h5, "/windows/kappa", H5T_NATIVE_DOUBLE, 2, dims, t->kappa));
  PetscCall(PetscMalloc1(t->K + 1, &offset));
  for (PetscInt k = 0; k <= t->K; k++) offset[k] = (long long)t->offset[k];
  dims[0] = (hsize_t)(t->K + 1);
  PetscCall(UmbH5WriteSmall(h5, "/windows/offset", H5T_NATIVE_LLONG, 1, dims, offset));
  PetscCall(PetscFree(offset));

  /* what a reader needs to interpret the samples without the options */
  PetscCall(UmbH5WriteAttrString(h5, "/samples", "model", t->model));
  PetscCall(UmbH5WriteAttrString(h5, "/samples", "cv", t->cv));
  PetscCall(UmbH5WriteAttrString(h5, "/samples", "cv_names", t->cv_names));
  PetscCall(UmbH5WriteAttrString(h5, "/samples", "coordinates", t->coordinates));
  PetscCall(UmbH5WriteAttrReals(h5, "/samples", "beta", 1, &t->beta));
  PetscCall(UmbH5WriteAttrReals(h5, "/samples", "cv_period", t->d, t->period));
  if (t->temperature > 0) PetscCall(UmbH5WriteAttrReals(h5, "/samples", "temperature", 1, &t->temperature));
  if (t->energy_unit[0]) PetscCall(UmbH5WriteAttrString(h5, "/samples", "energy_unit", t->energy_unit));
  if (t->natoms > 0) {
    hsize_t    na[1] = {(hsize_t)t->natoms};
    long long *buf;
    hid_t      type;

    PetscCall(PetscMalloc1(t->natoms, &buf));
    for (PetscInt i = 0; i < t->natoms; i++) buf[i] = i + 1;
    PetscCall(UmbH5WriteSmall(h5, "/atoms/id", H5T_NATIVE_LLONG, 1, na, buf));
    for (PetscInt i = 0; i < t->natoms; i++) buf[i] = (long long)t->atom_type[i];
    PetscCall(UmbH5WriteSmall(h5, "/atoms/type", H5T_NATIVE_LLONG, 1, na, buf));
    PetscCall(PetscFree(buf));
    PetscCall(UmbH5WriteSmall(h5, "/atoms/mass", H5T_NATIVE_DOUBLE, 1, na, t->atom_mass));
    UmbCallHDF5Id(type, H5Tcopy(H5T_C_S1));
    UmbCallHDF5(H5Tset_size(type, UMB_ATOM_STRLEN));
    UmbCallHDF5(H5Tset_strpad(type, H5T_STR_NULLTERM));
    PetscCall(UmbH5WriteSmall(h5, "/atoms/name", type, 1, na, t->atom_name));
    PetscCall(UmbH5WriteSmall(h5, "/atoms/element", type, 1, na, t->atom_element));
    UmbCallHDF5(H5Tclose(type));
  }
  {
    const char *const keys[]  = {"walkers", "stride", "frames_per_walker", "steps", "burnin", "seed"};
    const PetscInt64  vals[6] = {t->nwalkers, t->stride, t->nframes, t->steps, t->burnin, t->seed};
    for (int i = 0; i < 6; i++) PetscCall(UmbH5WriteAttrInt(h5, "/windows", keys[i], vals[i]));
    PetscCall(UmbH5WriteAttrReals(h5, "/windows", "dt", 1, &t->dt));
    PetscCall(UmbH5WriteAttrString(h5, "/windows", "integrator", t->integrator));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* a vector of n integers as int64 */
static PetscErrorCode WriteLongs(UmbSamplesFile sf, const char name[], PetscInt n, const PetscInt64 v[])
{
  hsize_t    dims[1] = {(hsize_t)n};
  long long *buf;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(n + 1, &buf));
  for (PetscInt i = 0; i < n; i++) buf[i] = (long long)v[i];
  PetscCall(UmbH5WriteSmall(sf->h5, name, H5T_NATIVE_LLONG, 1, dims, buf));
  PetscCall(PetscFree(buf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileWriteWindowStats(UmbSamplesFile sf, PetscInt K, const PetscReal iact[], const PetscInt64 n[])
{
  hsize_t dims[1] = {(hsize_t)K};

  PetscFunctionBegin;
  PetscCall(UmbH5WriteSmall(sf->h5, "/windows/iact", H5T_NATIVE_DOUBLE, 1, dims, iact));
  PetscCall(WriteLongs(sf, "/windows/n_samples", K, n));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileWriteFlowMoves(UmbSamplesFile sf, PetscInt K, const PetscInt64 counts[], PetscInt64 interval, PetscReal scale, PetscReal mix)
{
  static const char *const names[3] = {"/windows/flow_proposals", "/windows/flow_accepted", "/windows/flow_switches"};
  hsize_t                  dims[1]  = {(hsize_t)K};
  long long               *buf;
  PetscReal               *rate;

  PetscFunctionBegin;
  PetscCall(PetscMalloc2(K, &buf, K, &rate));
  for (int c = 0; c < 3; c++) {
    for (PetscInt k = 0; k < K; k++) buf[k] = (long long)counts[3 * k + c];
    PetscCall(UmbH5WriteSmall(sf->h5, names[c], H5T_NATIVE_LLONG, 1, dims, buf));
  }
  for (PetscInt k = 0; k < K; k++) rate[k] = counts[3 * k] ? (PetscReal)counts[3 * k + 1] / (PetscReal)counts[3 * k] : 0;
  PetscCall(UmbH5WriteSmall(sf->h5, "/windows/flow_acceptance", H5T_NATIVE_DOUBLE, 1, dims, rate));
  for (PetscInt k = 0; k < K; k++) rate[k] = counts[3 * k] ? (PetscReal)counts[3 * k + 2] / (PetscReal)counts[3 * k] : 0;
  PetscCall(UmbH5WriteSmall(sf->h5, "/windows/flow_switch_rate", H5T_NATIVE_DOUBLE, 1, dims, rate));
  PetscCall(PetscFree2(buf, rate));
  PetscCall(UmbH5WriteAttrInt(sf->h5, "/windows", "flow_moves", interval));
  PetscCall(UmbH5WriteAttrReals(sf->h5, "/windows", "flow_base_scale", 1, &scale));
  PetscCall(UmbH5WriteAttrReals(sf->h5, "/windows", "flow_mix", 1, &mix));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileWriteRounds(UmbSamplesFile sf, PetscInt K, const PetscInt64 round[], PetscInt nrounds)
{
  PetscFunctionBegin;
  PetscCall(WriteLongs(sf, "/windows/round", K, round));
  PetscCall(UmbH5WriteAttrInt(sf->h5, "/windows", "coupling_rounds", nrounds));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileWriteSuperseded(UmbSamplesFile sf, PetscInt K, const PetscInt64 by[])
{
  PetscFunctionBegin;
  PetscCall(WriteLongs(sf, "/windows/superseded_by", K, by));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileWriteUnbiased(UmbSamplesFile sf, const char model[], const char origin[], PetscInt64 walkers, PetscInt64 frames, PetscInt64 stride, PetscInt64 seed, PetscReal dt, PetscReal beta)
{
  UmbH5 h5 = sf->h5;

  PetscFunctionBegin;
  PetscCall(UmbH5WriteAttrString(h5, "/samples", "model", model));
  PetscCall(UmbH5WriteAttrString(h5, "/samples", "origin", origin));
  PetscCall(UmbH5WriteAttrInt(h5, "/samples", "walkers", walkers));
  PetscCall(UmbH5WriteAttrInt(h5, "/samples", "frames_per_walker", frames));
  PetscCall(UmbH5WriteAttrInt(h5, "/samples", "stride", stride));
  PetscCall(UmbH5WriteAttrInt(h5, "/samples", "seed", seed));
  PetscCall(UmbH5WriteAttrReals(h5, "/samples", "dt", 1, &dt));
  PetscCall(UmbH5WriteAttrReals(h5, "/samples", "beta", 1, &beta));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileWriteImport(UmbSamplesFile sf, const UmbSamplesImport *im)
{
  UmbH5   h5      = sf->h5;
  hsize_t dims[1] = {(hsize_t)im->nfiles};
  hid_t   type;

  PetscFunctionBegin;
  UmbCallHDF5Id(type, H5Tcopy(H5T_C_S1));
  UmbCallHDF5(H5Tset_size(type, (size_t)im->width));
  UmbCallHDF5(H5Tset_strpad(type, H5T_STR_NULLTERM));
  PetscCall(UmbH5WriteSmall(h5, "/import/files", type, 1, dims, im->files));
  UmbCallHDF5(H5Tclose(type));
  PetscCall(WriteLongs(sf, "/import/window", im->nfiles, im->window));
  PetscCall(WriteLongs(sf, "/import/frames", im->nfiles, im->frames));
  PetscCall(WriteLongs(sf, "/import/dropped", im->nfiles, im->dropped));
  PetscCall(UmbH5WriteAttrString(h5, "/import", "format", im->format));
  PetscCall(UmbH5WriteAttrString(h5, "/import", "engine", im->engine));
  PetscCall(UmbH5WriteAttrString(h5, "/import", "units", im->units));
  PetscCall(UmbH5WriteAttrString(h5, "/import", "cv_unit", im->cv_unit));
  PetscCall(UmbH5WriteAttrString(h5, "/import", "cv", im->cv));
  PetscCall(UmbH5WriteAttrReals(h5, "/import", "kB", 1, &im->kB));
  PetscCall(UmbH5WriteAttrReals(h5, "/import", "begin", 1, &im->begin));
  PetscCall(UmbH5WriteAttrReals(h5, "/import", "end", 1, &im->end));
  PetscFunctionReturn(PETSC_SUCCESS);
}
