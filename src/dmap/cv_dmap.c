/* The CV type dmap: a learned coordinate, the Nystrom extension (nystrom.c) of the diffusion
   map in dmap.h5 (-cv_dmap_file, default <run directory>/dmap.h5). The map is read at set-up
   when it exists; else d comes from -dmap_coords or -dmap_dim and `umbra run` makes the map
   first (UmbCVDmapLoad). Registered from here (UmbDmapRegisterCV), so that the model layer,
   which holds the other types, does not depend on the diffusion maps. */
#include <umbra/private/cvimpl.h>
#include <umbra/private/dmapimpl.h>

typedef struct {
  char       file[PETSC_MAX_PATH_LEN]; /* the map */
  char       coords[64];               /* -dmap_coords and -dmap_dim: d before the map exists */
  PetscBool  coords_set, dim_set;
  PetscInt   dim;
  UmbDmapExt ext;                      /* its extension, NULL until loaded */
} UmbCV_Dmap;

/* Reads the map and checks it against the model */
static PetscErrorCode Load(UmbCV cv)
{
  UmbCV_Dmap  *dm = (UmbCV_Dmap *)cv->data;
  UmbModelType mtype;
  PetscInt     n, d;

  PetscFunctionBegin;
  PetscCall(UmbModelGetType(cv->model, &mtype));
  PetscCall(UmbDmapExtDestroy(&dm->ext));
  PetscCall(UmbDmapExtLoad(cv->comm, dm->file, &dm->ext));
  PetscCall(UmbDmapExtGetSizes(dm->ext, &n, &d, NULL));
  PetscCheck(n == cv->n, cv->comm, PETSC_ERR_USER_INPUT, "-cv dmap: %s maps states of dimension %" PetscInt_FMT ", but model %s has n = %" PetscInt_FMT " (a map of another model, or of some atoms only (-dmap_atoms), which is for analysis? give -cv_dmap_file or rerun `umbra dmap`)", dm->file, n, mtype, cv->n);
  PetscCheck(!cv->setup || d == cv->d, cv->comm, PETSC_ERR_USER_INPUT, "-cv dmap: %s has %" PetscInt_FMT " coordinate%s, but the CV was set up with %" PetscInt_FMT " (-dmap_dim / -dmap_coords)", dm->file, d, d > 1 ? "s" : "", cv->d);
  if (!cv->setup) { /* a dimension asked for explicitly must be the map's */
    const PetscBool bycoords = (PetscBool)(dm->coords_set && strcmp(dm->coords, "auto"));
    const PetscInt  want     = bycoords ? (strchr(dm->coords, ',') ? 2 : 1) : dm->dim_set ? dm->dim : d;
    PetscCheck(want == d, cv->comm, PETSC_ERR_USER_INPUT, "-cv dmap: %s holds a map of %" PetscInt_FMT " coordinate%s, but %s asks for %" PetscInt_FMT ": remake the map with that option (`umbra dmap`), or leave it out", dm->file, d, d > 1 ? "s" : "", bycoords ? "-dmap_coords" : "-dmap_dim", want);
  }
  cv->d = d;
  if (dm->ext->kernel == UMB_DMAP_KERNEL_KNN) PetscCall(UmbLogWarning(cv->comm, "-cv dmap: %s uses the kNN kernel, whose extension jumps where a training point enters or leaves the neighbourhood; biased sampling along it is not exact (the bias force misses the jumps). Remake the map with the cut-off kernel (-dmap_cutoff 4, the default)", dm->file));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SetFromOptions_Dmap(UmbCV cv, PetscOptionItems *PetscOptionsObject)
{
  UmbCV_Dmap *dm = (UmbCV_Dmap *)cv->data;

  PetscFunctionBegin;
  if (cv->rundir[0]) PetscCheck((size_t)snprintf(dm->file, sizeof(dm->file), "%s/dmap.h5", cv->rundir) < sizeof(dm->file), cv->comm, PETSC_ERR_USER_INPUT, "-out %s: path too long", cv->rundir);
  else PetscCall(PetscStrncpy(dm->file, "dmap.h5", sizeof(dm->file)));
  PetscCall(PetscOptionsString("-cv_dmap_file", "Diffusion map of -cv dmap (default: dmap.h5 in the run directory)", "UmbCVSetFromOptions", dm->file, dm->file, sizeof(dm->file), NULL));
  /* the diffusion map's own options (UmbDmap reads them too): the dimension of a map to come */
  PetscCall(PetscStrncpy(dm->coords, "auto", sizeof(dm->coords)));
  dm->dim = 1;
  PetscCall(PetscOptionsGetString(NULL, NULL, "-dmap_coords", dm->coords, sizeof(dm->coords), &dm->coords_set));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-dmap_dim", &dm->dim, &dm->dim_set));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The map file, read if it exists; else d from -dmap_coords or -dmap_dim (umbra run makes the map) */
static PetscErrorCode SetUp_Dmap(UmbCV cv)
{
  UmbCV_Dmap *dm = (UmbCV_Dmap *)cv->data;
  PetscMPIInt rank;
  int         exists = 0;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(cv->comm, &rank));
  if (!rank) {
    FILE *f = fopen(dm->file, "r");
    if (f) {
      exists = 1;
      fclose(f);
    }
  }
  PetscCallMPI(MPI_Bcast(&exists, 1, MPI_INT, 0, cv->comm));
  cv->period[0] = cv->period[1] = 0;
  if (exists) PetscCall(Load(cv));
  else {
    cv->d = (dm->coords_set && strcmp(dm->coords, "auto")) ? (strchr(dm->coords, ',') ? 2 : 1) : dm->dim;
    PetscCheck(cv->d == 1 || cv->d == 2, cv->comm, PETSC_ERR_USER_INPUT, "-dmap_dim must be 1 or 2, got %" PetscInt_FMT, cv->d);
  }
  /* the columns psi1, psi2 of dmap.csv */
  for (PetscInt a = 0; a < cv->d; a++) snprintf(cv->names[a], sizeof(cv->names[a]), "psi%d", (int)(a + 1));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Evaluate_Dmap(UmbCV cv, PetscInt nw, const PetscReal *X, PetscReal *z, PetscReal *J)
{
  UmbCV_Dmap *dm = (UmbCV_Dmap *)cv->data;

  PetscFunctionBegin;
  PetscCheck(dm->ext, PETSC_COMM_SELF, PETSC_ERR_ORDER, "-cv dmap: %s is not loaded yet", dm->file);
  PetscCall(UmbDmapExtEvaluate(dm->ext, nw, X, z, J));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The type's data, or NULL when the CV is of another type */
static UmbCV_Dmap *DmapData(UmbCV cv)
{
  return cv->ops.evaluate == Evaluate_Dmap ? (UmbCV_Dmap *)cv->data : NULL;
}

static PetscErrorCode Destroy_Dmap(UmbCV cv)
{
  UmbCV_Dmap *dm = (UmbCV_Dmap *)cv->data;

  PetscFunctionBegin;
  PetscCall(UmbDmapExtDestroy(&dm->ext));
  PetscCall(PetscFree(cv->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode UmbCVCreate_Dmap(UmbCV cv)
{
  UmbCV_Dmap *dm;

  PetscFunctionBegin;
  PetscCall(PetscNew(&dm));
  cv->data               = dm;
  cv->ops.setfromoptions = SetFromOptions_Dmap;
  cv->ops.setup          = SetUp_Dmap;
  cv->ops.evaluate       = Evaluate_Dmap;
  cv->ops.destroy        = Destroy_Dmap;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapRegisterCV(void)
{
  PetscFunctionBegin;
  PetscCall(UmbCVRegister(UMBCVDMAP, UmbCVCreate_Dmap));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVDmapRequire(UmbCV cv)
{
  UmbCV_Dmap *dm = DmapData(cv);

  PetscFunctionBegin;
  if (dm) PetscCheck(dm->ext, cv->comm, PETSC_ERR_USER_INPUT, "-cv dmap needs %s: run `umbra dmap` (or `umbra run`, which makes it) with the same -out first, or name the map with -cv_dmap_file", dm->file);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVDmapLoad(UmbCV cv)
{
  PetscFunctionBegin;
  PetscCheck(DmapData(cv), cv->comm, PETSC_ERR_ARG_WRONG, "the CV is %s, not dmap", cv->type);
  PetscCall(Load(cv));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVDmapGetFile(UmbCV cv, const char **file)
{
  UmbCV_Dmap *dm = DmapData(cv);

  PetscFunctionBegin;
  *file = dm ? dm->file : "";
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVDmapGetExtension(UmbCV cv, UmbDmapExt *ext)
{
  UmbCV_Dmap *dm = DmapData(cv);

  PetscFunctionBegin;
  *ext = dm ? dm->ext : NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}
