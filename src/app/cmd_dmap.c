/* umbra dmap: diffusion map of the states in samples.h5 -> dmap.h5, dmap.csv.
   UmbCommandDmapMakes/Make/Range: the first stage of `umbra run` with -cv dmap. */
#include <umbra/private/app.h>

PetscErrorCode UmbCommandDmap(UmbApp *app)
{
  PetscViewer v = PETSC_VIEWER_STDOUT_(app->comm);

  PetscFunctionBegin;
  PetscCall(UmbDmapSetDirectory(app->dmap, app->outdir));
  PetscCall(UmbDmapSetUp(app->dmap));
  PetscCall(UmbDmapCompute(app->dmap));
  PetscCall(UmbDmapView(app->dmap, v));
  PetscCall(UmbDmapWrite(app->dmap));
  PetscCall(UmbLog(app->comm, "wrote %s/dmap.h5 and %s/dmap.csv; use the learned coordinate with -cv dmap", app->outdir, app->outdir));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* umbra run with -cv dmap: whether the campaign makes the map (<out>/dmap.h5) itself; a map
   named by -cv_dmap_file elsewhere must exist. why says why not. */
PetscErrorCode UmbCommandDmapMakes(UmbApp *app, char why[], size_t len)
{
  UmbCVType   type;
  UmbDmapExt  ext;
  const char *file;
  char        mine[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCall(UmbCVGetType(app->cv, &type));
  snprintf(why, len, "-"); /* no map to make, nothing to say */
  if (strcmp(type, UMBCVDMAP)) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(UmbCVDmapGetExtension(app->cv, &ext));
  PetscCall(UmbCVDmapGetFile(app->cv, &file));
  PetscCall(UmbPathJoin(app->outdir, "dmap.h5", mine, sizeof(mine)));
  PetscCheck(ext || !strcmp(mine, file), app->comm, PETSC_ERR_USER_INPUT, "-cv_dmap_file %s does not exist (umbra run makes a map only as %s: drop -cv_dmap_file or run `umbra dmap` first)", file, mine);
  if (strcmp(mine, file)) snprintf(why, len, "using the diffusion map %s", file);
  else why[0] = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Exploratory sampling (<out>/explore.h5), the map of those states (<out>/dmap.h5, dmap.csv),
   and the CV loads it (again, when an older map was there). */
PetscErrorCode UmbCommandDmapMake(UmbApp *app)
{
  char explore[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCall(UmbPathJoin(app->outdir, "explore.h5", explore, sizeof(explore)));
  PetscCall(UmbLog(app->comm, "dmap: exploratory sampling, then the diffusion map"));
  PetscCall(UmbDmapExplore(app->dmap, explore));
  PetscCall(UmbDmapSetInput(app->dmap, explore));
  PetscCall(UmbCommandDmap(app));
  PetscCall(UmbCVDmapLoad(app->cv));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* With -cv dmap, unless -us_range was given: the window centres span the learned coordinates'
   1% .. 99% quantiles over the mapped states. */
PetscErrorCode UmbCommandDmapRange(UmbApp *app)
{
  UmbCVType  type;
  UmbDmapExt ext;
  PetscBool  set;

  PetscFunctionBegin;
  PetscCall(UmbCVGetType(app->cv, &type));
  if (strcmp(type, UMBCVDMAP)) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(UmbCVDmapRequire(app->cv));
  PetscCall(UmbCVDmapGetExtension(app->cv, &ext));
  PetscCall(PetscOptionsHasName(NULL, NULL, "-us_range", &set));
  if (!set) {
    PetscInt  d;
    char      range[256] = "";
    size_t    len        = 0;
    PetscCall(UmbDmapExtGetSizes(ext, NULL, &d, NULL));
    for (PetscInt a = 0; a < d; a++) {
      PetscReal lo, hi;
      PetscCall(UmbDmapExtGetRange(ext, a, 0.01, &lo, &hi));
      len += (size_t)snprintf(range + len, sizeof(range) - len, "%s%.17g,%.17g", a ? "," : "", (double)lo, (double)hi);
    }
    PetscCall(UmbLog(app->comm, "run: window centres along the learned coordinate%s from its 1%% .. 99%% quantiles: -us_range %s", d > 1 ? "s" : "", range));
    PetscCall(PetscOptionsSetValue(NULL, "-us_range", range));
    PetscCall(UmbSamplerSetFromOptions(app->sampler));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
