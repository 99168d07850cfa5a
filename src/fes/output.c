/* Outputs of the free-energy stage: fes.h5 (everything), fes.csv (F(z) with dF), and windows.csv
   rewritten with its f,df columns filled (every other column kept as the sampler wrote it). */
#include <umbra/private/fesimpl.h>
#include <errno.h>

/* "nan" for NaN whatever its sign bit, C formatting otherwise */
static const char *Num(char *buf, size_t len, const char *fmt, PetscReal v)
{
  if (PetscIsNanReal(v)) snprintf(buf, len, "nan");
  else snprintf(buf, len, fmt, (double)v);
  return buf;
}

static PetscErrorCode WriteReals(UmbH5 h5, const char name[], int rank, hsize_t d0, hsize_t d1, const PetscReal *v)
{
  hsize_t dims[2] = {d0, d1};

  PetscFunctionBegin;
  PetscCall(UmbH5WriteSmall(h5, name, H5T_NATIVE_DOUBLE, rank, dims, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WriteInts(UmbH5 h5, const char name[], int rank, hsize_t d0, hsize_t d1, const PetscInt64 *v)
{
  hsize_t    dims[2] = {d0, d1};
  long long *buf;
  size_t     n = (size_t)d0 * (rank > 1 ? d1 : 1);

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(n + 1, &buf));
  for (size_t i = 0; i < n; i++) buf[i] = (long long)v[i];
  PetscCall(UmbH5WriteSmall(h5, name, H5T_NATIVE_LLONG, rank, dims, buf));
  PetscCall(PetscFree(buf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WriteH5(UmbFes fes, const char path[])
{
  const UmbWindowData *w = &fes->data;
  const PetscInt       K = fes->K, d = fes->d, B = fes->B, np = fes->npairs;
  const PetscReal     *df = fes->errtype == UMB_FES_ERROR_BOOTSTRAP ? fes->df_boot : fes->df_asym, *dF = fes->errtype == UMB_FES_ERROR_BOOTSTRAP ? fes->dF_boot : fes->dF_asym;
  UmbH5                h5;
  PetscInt64          *tmp;

  PetscFunctionBegin;
  PetscCall(UmbH5Create(fes->comm, path, "fes", &h5));
  PetscCall(UmbH5WriteAttrString(h5, "/", "type", UmbFesTypes[fes->type]));
  PetscCall(UmbH5WriteAttrString(h5, "/", "solver", UmbFesSolvers[fes->solver]));
  PetscCall(UmbH5WriteAttrReals(h5, "/", "beta", 1, &w->beta));
  PetscCall(UmbH5WriteAttrString(h5, "/", "cv_names", w->cv_names));
  PetscCall(UmbH5WriteAttrReals(h5, "/", "cv_period", d, w->period));
  if (w->temperature > 0) PetscCall(UmbH5WriteAttrReals(h5, "/", "temperature", 1, &w->temperature));
  /* windows */
  PetscCall(PetscMalloc1((size_t)PetscMax(K, PetscMax(B, 2 * np)) + 1, &tmp));
  PetscCall(WriteReals(h5, "/windows/center", 2, K, d, w->center));
  PetscCall(WriteReals(h5, "/windows/kappa", 2, K, d, w->kappa));
  for (PetscInt k = 0; k < K; k++) tmp[k] = w->offset[k + 1] - w->offset[k];
  PetscCall(WriteInts(h5, "/windows/n_samples", 1, K, 1, tmp));
  if (w->Kfile > K) { /* windows superseded in samples.h5 are left out: where each window of fes.h5 is there */
    for (PetscInt k = 0; k < K; k++) tmp[k] = w->window[k];
    PetscCall(WriteInts(h5, "/windows/samples_window", 1, K, 1, tmp));
    PetscCall(UmbH5WriteAttrInt(h5, "/windows", "superseded", w->Kfile - K));
  }
  PetscCall(WriteReals(h5, "/windows/iact", 1, K, 1, w->iact));
  PetscCall(WriteReals(h5, "/windows/n_eff", 1, K, 1, fes->neff));
  PetscCall(WriteReals(h5, "/windows/f", 1, K, 1, fes->f));
  PetscCall(WriteReals(h5, "/windows/df", 1, K, 1, df));
  PetscCall(WriteReals(h5, "/windows/df_asymptotic", 1, K, 1, fes->df_asym));
  PetscCall(WriteReals(h5, "/windows/covariance", 2, K, K, fes->theta));
  if (fes->nboot) {
    PetscCall(WriteReals(h5, "/windows/df_bootstrap", 1, K, 1, fes->df_boot));
    PetscCall(WriteReals(h5, "/windows/f_bootstrap", 2, fes->nboot, K, fes->fboot));
  }
  PetscCall(UmbH5WriteAttrString(h5, "/windows", "gauge", "f_0 = 0"));
  PetscCall(UmbH5WriteAttrString(h5, "/windows", "df", UmbFesErrorTypes[fes->errtype]));
  /* grid and profile */
  for (PetscInt a = 0; a < d; a++) {
    PetscReal *e;
    char       name[32];
    PetscCall(PetscMalloc1(fes->nb[a] + 1, &e));
    for (PetscInt i = 0; i <= fes->nb[a]; i++) e[i] = fes->lo[a] + i * fes->width[a];
    e[fes->nb[a]] = fes->hi[a];
    snprintf(name, sizeof(name), "/grid/edges%d", (int)a + 1);
    PetscCall(WriteReals(h5, name, 1, fes->nb[a] + 1, 1, e));
    PetscCall(PetscFree(e));
  }
  PetscCall(WriteReals(h5, "/profile/z", 2, B, d, fes->zc));
  PetscCall(WriteReals(h5, "/profile/F", 1, B, 1, fes->F));
  PetscCall(WriteReals(h5, "/profile/dF", 1, B, 1, dF));
  PetscCall(WriteReals(h5, "/profile/dF_asymptotic", 1, B, 1, fes->dF_asym));
  PetscCall(WriteInts(h5, "/profile/counts", 1, B, 1, fes->counts));
  if (fes->nboot) {
    PetscCall(WriteReals(h5, "/profile/dF_bootstrap", 1, B, 1, fes->dF_boot));
    PetscCall(WriteReals(h5, "/profile/F_bootstrap", 2, fes->nboot, B, fes->Fboot));
  }
  PetscCall(UmbH5WriteAttrInt(h5, "/profile", "reference_bin", fes->jmin));
  PetscCall(UmbH5WriteAttrString(h5, "/profile", "dF", UmbFesErrorTypes[fes->errtype]));
  PetscCall(UmbH5WriteAttrInt(h5, "/profile", "bootstrap_replicas", fes->nboot));
  PetscCall(UmbH5WriteAttrInt(h5, "/profile", "seed", fes->seed));
  if (fes->type == UMB_FES_WHAM) {
    PetscCall(WriteReals(h5, "/wham/counts", 1, B, 1, fes->wham_M));
    PetscCall(WriteReals(h5, "/wham/n_in_range", 1, K, 1, fes->wham_N));
    PetscCall(UmbH5WriteAttrInt(h5, "/wham", "dropped", fes->wham_dropped));
  }
  /* diagnostics */
  PetscCall(WriteReals(h5, "/diagnostics/overlap", 2, K, K, fes->overlap));
  if (np) {
    for (PetscInt i = 0; i < 2 * np; i++) tmp[i] = fes->pairs[i];
    PetscCall(WriteInts(h5, "/diagnostics/neighbours", 2, np, 2, tmp));
    for (PetscInt i = 0; i < np; i++) tmp[i] = fes->pair_axis[i];
    PetscCall(WriteInts(h5, "/diagnostics/neighbour_axis", 1, np, 1, tmp));
    PetscCall(WriteReals(h5, "/diagnostics/neighbour_overlap", 2, np, 2, fes->pair_overlap));
    PetscCall(WriteReals(h5, "/diagnostics/consistency_chi2", 1, np, 1, fes->chi2));
    for (PetscInt i = 0; i < np; i++) tmp[i] = fes->dof[i];
    PetscCall(WriteInts(h5, "/diagnostics/consistency_dof", 1, np, 1, tmp));
    PetscCall(WriteReals(h5, "/diagnostics/consistency_p", 1, np, 1, fes->pval));
    PetscCall(UmbH5WriteAttrReals(h5, "/diagnostics", "min_neighbour_overlap", 1, &fes->min_overlap));
  }
  PetscCall(UmbH5WriteAttrInt(h5, "/diagnostics", "converged", fes->info.converged));
  PetscCall(UmbH5WriteAttrInt(h5, "/diagnostics", "sc_sweeps", fes->info.sweeps));
  PetscCall(UmbH5WriteAttrInt(h5, "/diagnostics", "start_bins", fes->start_bins));
  PetscCall(UmbH5WriteAttrInt(h5, "/diagnostics", "iterations", fes->info.its));
  PetscCall(UmbH5WriteAttrInt(h5, "/diagnostics", "passes", fes->info.passes));
  PetscCall(UmbH5WriteAttrReals(h5, "/diagnostics", "gradient_norm", 1, &fes->info.gnorm));
  PetscCall(UmbH5WriteAttrReals(h5, "/diagnostics", "tolerance", 1, &fes->tol));
  PetscCall(UmbH5WriteAttrReals(h5, "/diagnostics", "overlap_warn", 1, &fes->overlap_warn));
  PetscCall(UmbH5WriteAttrReals(h5, "/diagnostics", "consistency_alpha", 1, &fes->alpha));
  PetscCall(UmbH5WriteAttrInt(h5, "/diagnostics", "consistency_flagged", fes->nflagged));
  /* per-sample log normalisers, in samples.h5 row order (of the pooled windows' rows), written collectively */
  {
    hsize_t dims[1] = {(hsize_t)w->offset[K]};
    PetscCall(UmbH5CreateDataset(h5, "/samples/log_normaliser", H5T_IEEE_F64LE, 1, dims));
    PetscCall(UmbH5WriteRows(h5, "/samples/log_normaliser", H5T_NATIVE_DOUBLE, (hsize_t)w->offset[w->klo], (hsize_t)w->nloc, fes->lse));
  }
  PetscCall(PetscFree(tmp));
  PetscCall(UmbH5Close(&h5, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WriteProfileCsv(UmbFes fes, const char path[])
{
  const PetscReal *dF = fes->errtype == UMB_FES_ERROR_BOOTSTRAP ? fes->dF_boot : fes->dF_asym;
  const char      *u  = !strcmp(fes->units, "kJ/mol") ? "kJ_mol" : "kcal_mol";
  UmbCsv           csv;
  char             header[64];

  PetscFunctionBegin;
  snprintf(header, sizeof(header), "%s", fes->d == 1 ? "z,F,dF" : "z,z2,F,dF");
  if (fes->ukT > 0) snprintf(header + strlen(header), sizeof(header) - strlen(header), ",F_%s,dF_%s", u, u);
  PetscCall(UmbCsvCreate(fes->comm, path, header, &csv));
  for (PetscInt b = 0; b < fes->B; b++) {
    char s1[32], s2[32], z[64], extra[80] = "";
    if (fes->d == 1) snprintf(z, sizeof(z), "%.10g", (double)fes->zc[b]);
    else snprintf(z, sizeof(z), "%.10g,%.10g", (double)fes->zc[2 * b], (double)fes->zc[2 * b + 1]);
    if (fes->ukT > 0) {
      char s3[32], s4[32];
      snprintf(extra, sizeof(extra), ",%s,%s", Num(s3, sizeof(s3), "%.10g", fes->F[b] * fes->ukT), Num(s4, sizeof(s4), "%.6g", dF[b] * fes->ukT));
    }
    PetscCall(UmbCsvRow(csv, "%s,%s,%s%s", z, Num(s1, sizeof(s1), "%.10g", fes->F[b]), Num(s2, sizeof(s2), "%.6g", dF[b]), extra));
  }
  PetscCall(UmbCsvClose(&csv, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* windows.csv: the sampler's rows with f and df replaced; regenerated from samples.h5 when the
   file is missing or does not match the windows (e.g. samples.h5 written by another program). */
static PetscErrorCode WriteWindowsCsv(UmbFes fes, const char path[])
{
  const UmbWindowData *w  = &fes->data;
  const PetscReal     *df = fes->errtype == UMB_FES_ERROR_BOOTSTRAP ? fes->df_boot : fes->df_asym;
  char               **rows = NULL, header[512];
  PetscBool            keep = PETSC_FALSE;
  UmbCsv               csv;

  PetscFunctionBegin;
  snprintf(header, sizeof(header), "window,center%s,kappa%s,n_samples,iact,f,df", fes->d > 1 ? ",center2" : "", fes->d > 1 ? ",kappa2" : "");
  if (!fes->rank) {
    FILE *fd = fopen(path, "r");
    if (fd) {
      char   *line = NULL;
      size_t  cap  = 0;
      ssize_t len;
      PetscInt nrow = 0;
      keep          = PETSC_TRUE;
      PetscCall(PetscCalloc1(w->Kfile, &rows));
      while ((len = getline(&line, &cap, fd)) >= 0 && keep) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        if (line[0] == '#' || !len) continue;
        if (!strncmp(line, "window,", 7)) {
          keep = (PetscBool)(len > 5 && !strcmp(line + len - 5, ",f,df") && len < (ssize_t)sizeof(header));
          if (keep) snprintf(header, sizeof(header), "%s", line);
          continue;
        }
        {
          char    *c1 = strrchr(line, ','), *c2;
          PetscInt k  = -1;
          if (!c1) { keep = PETSC_FALSE; break; }
          *c1 = 0;
          c2  = strrchr(line, ',');
          if (!c2 || sscanf(line, "%" PetscInt_FMT, &k) != 1 || k != nrow || nrow >= w->Kfile) { keep = PETSC_FALSE; break; }
          *c2 = 0;
          rows[nrow++] = strdup(line);
        }
      }
      free(line);
      fclose(fd);
      if (nrow != w->Kfile) keep = PETSC_FALSE;
    }
  }
  PetscCall(UmbCsvCreate(fes->comm, path, header, &csv));
  /* the sampler's rows: a superseded window (left out of the estimate) gets nan, nan */
  for (PetscInt kf = 0, k = 0; keep && kf < w->Kfile && !fes->rank; kf++) {
    char s1[32], s2[32];
    if (k < fes->K && w->window[k] == kf) {
      PetscCall(UmbCsvRow(csv, "%s,%s,%s", rows[kf], Num(s1, sizeof(s1), "%.10g", fes->f[k]), Num(s2, sizeof(s2), "%.6g", df[k])));
      k++;
    } else PetscCall(UmbCsvRow(csv, "%s,nan,nan", rows[kf]));
  }
  for (PetscInt k = 0; !keep && k < fes->K && !fes->rank; k++) {
    char s1[32], s2[32], gen[512];
    {
      const PetscReal *c = w->center + k * fes->d, *kap = w->kappa + k * fes->d;
      const PetscInt64 n = w->offset[k + 1] - w->offset[k];
      if (fes->d == 1) snprintf(gen, sizeof(gen), "%" PetscInt_FMT ",%.17g,%.17g,%" PetscInt64_FMT ",%.6g", w->window[k], (double)c[0], (double)kap[0], n, (double)w->iact[k]);
      else snprintf(gen, sizeof(gen), "%" PetscInt_FMT ",%.17g,%.17g,%.17g,%.17g,%" PetscInt64_FMT ",%.6g", w->window[k], (double)c[0], (double)c[1], (double)kap[0], (double)kap[1], n, (double)w->iact[k]);
    }
    PetscCall(UmbCsvRow(csv, "%s,%s,%s", gen, Num(s1, sizeof(s1), "%.10g", fes->f[k]), Num(s2, sizeof(s2), "%.6g", df[k])));
  }
  if (rows) {
    for (PetscInt k = 0; k < w->Kfile; k++) free(rows[k]);
    PetscCall(PetscFree(rows));
  }
  PetscCall(UmbCsvClose(&csv, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesWrite(UmbFes fes)
{
  char path[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCheck(fes->solved, fes->comm, PETSC_ERR_ORDER, "call UmbFesSolve() first");
  PetscCall(PetscLogStagePush(UMB_STAGE.fes));
  PetscCall(UmbPathJoin(fes->dir, "fes.h5", path, sizeof(path)));
  PetscCall(WriteH5(fes, path));
  PetscCall(UmbPathJoin(fes->dir, "fes.csv", path, sizeof(path)));
  PetscCall(WriteProfileCsv(fes, path));
  PetscCall(UmbPathJoin(fes->dir, "windows.csv", path, sizeof(path)));
  PetscCall(WriteWindowsCsv(fes, path));
  PetscCall(PetscLogStagePop());
  PetscFunctionReturn(PETSC_SUCCESS);
}
