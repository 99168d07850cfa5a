/* imported: the coordinates of samples that `umbra import` read from another program (the CV
   and the fine coordinates of -import_fine), without a potential. It lets the stages that need
   only the samples and the CV (train, lift, closures of fine coordinates) run on
   imported data: -imported_coordinates names the columns of /samples/x as the import recorded
   them (attribute coordinates of /samples, printed by umbra import), and the CV is one of them
   (-cv coord -cv_index 0: the imported CV). Closures are the conditional moments of the fine
   coordinates (and user observables) without the mean force, drift and diffusion; anything
   else that needs the energy (sampling, exploration) stops with a message that says so. */
#include <umbra/private/modelimpl.h>

typedef struct {
  char names[1024];
} UmbImported;

static PetscErrorCode SetFromOptions_Imported(UmbModel m, PetscOptionItems *PetscOptionsObject)
{
  UmbImported *im = (UmbImported *)m->data;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "imported model");
  PetscCall(PetscOptionsString("-imported_coordinates", "Names of the imported coordinates (the attribute coordinates of samples.h5's /samples)", "", im->names, im->names, sizeof(im->names), NULL));
  PetscOptionsHeadEnd();
  PetscCheck(im->names[0], m->comm, PETSC_ERR_USER_INPUT, "-model imported needs -imported_coordinates NAME,... (the columns umbra import wrote: the attribute coordinates of /samples in samples.h5, e.g. d1,y1,y2)");
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SetUp_Imported(UmbModel m)
{
  UmbImported *im = (UmbImported *)m->data;
  char         buf[1024], *save = NULL, *tok;
  PetscInt     n = 1;

  PetscFunctionBegin;
  for (const char *c = im->names; *c; c++) n += *c == ',';
  PetscCall(UmbModelAllocate(m, n));
  snprintf(buf, sizeof(buf), "%s", im->names);
  n = 0;
  for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), n++) {
    PetscCall(PetscFree(m->coord_names[n]));
    PetscCall(PetscStrallocpy(tok, &m->coord_names[n]));
  }
  PetscCheck(n == m->n, m->comm, PETSC_ERR_USER_INPUT, "-imported_coordinates %s has an empty name", im->names);
  m->bound = PETSC_MAX_REAL;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Destroy_Imported(UmbModel m)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(m->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelCreate_Imported(UmbModel m)
{
  UmbImported *im;

  PetscFunctionBegin;
  PetscCall(PetscNew(&im));
  m->data               = im;
  m->ops.setfromoptions = SetFromOptions_Imported;
  m->ops.setup          = SetUp_Imported;
  m->ops.energygradient = NULL; /* no potential: UmbModelEnergyGradient says so */
  m->ops.destroy        = Destroy_Imported;
  PetscFunctionReturn(PETSC_SUCCESS);
}
