/* The options of the molecular CVs (dihedral, distance): -cv_atoms, the 1-based ids of the atoms
   of each component, and -cv_names, the components' names. A state holds atom positions: atom i
   at x[3 (i - 1) + 0..2]. */
#include <umbra/private/cvimpl.h>
#include <umbra/private/modelimpl.h>

/* Reads -cv_atoms: per ids for a 1-D CV or 2 per for a 2-D one, each in 1..n/3 and distinct
   within a component; sets cv->d and atoms[] (0-based: the atom's first coordinate is
   3 atoms[i]). */
PetscErrorCode UmbCVOptionsAtoms(UmbCV cv, PetscOptionItems *PetscOptionsObject, PetscInt per, PetscInt atoms[])
{
  UmbModel m = cv->model;
  PetscInt ids[2 * UMB_CV_MAX_ATOMS + 1], nids = 2 * per + 1, natoms; /* one slot more than allowed: an extra id is seen */
  PetscBool set;
  char      help[128];

  PetscFunctionBegin;
  PetscCheck(per >= 1 && per <= UMB_CV_MAX_ATOMS, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "a CV component of %" PetscInt_FMT " atoms: at most %d", per, UMB_CV_MAX_ATOMS);
  PetscCheck(m->n % 3 == 0, cv->comm, PETSC_ERR_USER_INPUT, "-cv %s needs a model whose coordinates are atom positions (n a multiple of 3), model %s has n = %" PetscInt_FMT, cv->type, m->type, m->n);
  natoms = m->n / 3;
  snprintf(help, sizeof(help), "%s: the 1-based ids of its %d atoms (or %d for a 2-D CV)", cv->type, (int)per, (int)(2 * per));
  PetscCall(PetscOptionsIntArray("-cv_atoms", help, "UmbCVSetFromOptions", ids, &nids, &set));
  PetscCheck(set, cv->comm, PETSC_ERR_USER_INPUT, "-cv %s needs -cv_atoms with %" PetscInt_FMT " atom ids (or %" PetscInt_FMT " for a 2-D CV)", cv->type, per, 2 * per);
  PetscCheck(nids == per || nids == 2 * per, cv->comm, PETSC_ERR_USER_INPUT, "-cv_atoms: -cv %s takes %" PetscInt_FMT " atom ids (or %" PetscInt_FMT " for a 2-D CV), got %s%" PetscInt_FMT, cv->type, per, 2 * per, nids > 2 * per ? "more than " : "", nids > 2 * per ? 2 * per : nids);
  cv->d = nids / per;
  for (PetscInt i = 0; i < nids; i++) {
    PetscCheck(ids[i] >= 1 && ids[i] <= natoms, cv->comm, PETSC_ERR_USER_INPUT, "-cv_atoms: atom %" PetscInt_FMT " is not an atom of model %s, which has %" PetscInt_FMT " (ids 1..%" PetscInt_FMT ")", ids[i], m->type, natoms, natoms);
    for (PetscInt j = i - i % per; j < i; j++) PetscCheck(ids[j] != ids[i], cv->comm, PETSC_ERR_USER_INPUT, "-cv_atoms: component %" PetscInt_FMT " lists atom %" PetscInt_FMT " twice", i / per + 1, ids[i]);
    atoms[i] = ids[i] - 1;
  }
  if (cv->d == 2) { /* a dihedral or distance read backwards is the same coordinate */
    PetscBool same = PETSC_TRUE, reversed = PETSC_TRUE;
    for (PetscInt i = 0; i < per; i++) {
      same     = (PetscBool)(same && ids[i] == ids[per + i]);
      reversed = (PetscBool)(reversed && ids[i] == ids[2 * per - 1 - i]);
    }
    PetscCheck(!same && !reversed, cv->comm, PETSC_ERR_USER_INPUT, "-cv_atoms: the two components of this 2-D CV are the same %s, so they define one coordinate, not two", cv->type);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Reads -cv_names (one name per component) into names[]; without it, names[a] is
   "<type>(id-id-...)". A name is a non-empty word of letters, digits and _ + - . ( ) [ ]: outputs
   list the names separated by commas and plot scripts quote them. */
PetscErrorCode UmbCVOptionsNames(UmbCV cv, PetscOptionItems *PetscOptionsObject, PetscInt per, const PetscInt atoms[], char names[][80])
{
  char     *given[3] = {NULL, NULL, NULL};
  PetscInt  ngiven   = 3;
  PetscBool set;

  PetscFunctionBegin;
  PetscCall(PetscOptionsStringArray("-cv_names", "Name of each CV component (default <type>(id-id-...))", "UmbCVSetFromOptions", given, &ngiven, &set));
  for (PetscInt a = 0; a < cv->d; a++) {
    size_t len = 0;
    len += (size_t)snprintf(names[a], 80, "%s(", cv->type);
    for (PetscInt i = 0; i < per; i++) len += (size_t)snprintf(names[a] + len, 80 - len, "%s%" PetscInt_FMT, i ? "-" : "", atoms[a * per + i] + 1);
    snprintf(names[a] + len, 80 - len, ")");
  }
  if (set) {
    const char *ok  = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-.()[]";
    char        bad[80] = "";
    PetscBool   isbad   = PETSC_FALSE;
    for (PetscInt a = 0; a < ngiven; a++) {
      const size_t len = strlen(given[a]);
      if (!isbad && (!len || len >= 80 || strspn(given[a], ok) != len)) {
        isbad = PETSC_TRUE;
        snprintf(bad, sizeof(bad), "%s", given[a]);
      }
      if (a < cv->d) PetscCall(PetscStrncpy(names[a], given[a], 80));
      PetscCall(PetscFree(given[a]));
    }
    PetscCheck(ngiven == cv->d, cv->comm, PETSC_ERR_USER_INPUT, "-cv_names: this %" PetscInt_FMT "-D CV takes %" PetscInt_FMT " name%s, got %s%" PetscInt_FMT, cv->d, cv->d, cv->d > 1 ? "s" : "", ngiven > 2 ? "more than " : "", ngiven > 2 ? (PetscInt)2 : ngiven);
    PetscCheck(!isbad, cv->comm, PETSC_ERR_USER_INPUT, "-cv_names: '%s' is not a name: use 1 to 79 letters, digits and _ + - . ( ) [ ]", bad);
    PetscCheck(cv->d == 1 || strcmp(names[0], names[1]), cv->comm, PETSC_ERR_USER_INPUT, "-cv_names: both components are named %s", names[0]);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
