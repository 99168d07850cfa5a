/* dmap.h5 (everything the out-of-sample extension needs, and the diagnostics) and dmap.csv
   (index,psi1,psi2,... with the chosen coordinates first). docs/outputs.md lists every dataset. */
#include <umbra/private/dmapimpl.h>

static PetscErrorCode WriteRowsReal(UmbDmap dm, UmbH5 h5, const char name[], PetscInt ncol, const PetscReal *v)
{
  hsize_t dims[2] = {(hsize_t)dm->N, (hsize_t)ncol};

  PetscFunctionBegin;
  PetscCall(UmbH5CreateDataset(h5, name, H5T_NATIVE_DOUBLE, ncol > 1 ? 2 : 1, dims));
  PetscCall(UmbH5WriteRows(h5, name, H5T_NATIVE_DOUBLE, (hsize_t)dm->rstart, (hsize_t)dm->nloc, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapWrite(UmbDmap dm)
{
  char        path[PETSC_MAX_PATH_LEN], header[64 * (UMB_DMAP_MAX_NEV + 2)];
  UmbH5       h5;
  UmbCsv      csv;
  hsize_t     dims[2];
  PetscInt    m = dm->nev, order[UMB_DMAP_MAX_NEV];
  PetscReal   attr;
  long long  *idx;

  PetscFunctionBegin;
  PetscCheck(dm->computed, dm->comm, PETSC_ERR_ORDER, "call UmbDmapCompute() first");
  PetscCall(PetscLogEventBegin(UMB_EVENT.dmap_write, 0, 0, 0, 0));
  /* column order of dmap.csv and of the extension: the chosen coordinates, then the others */
  {
    PetscInt c = 0;
    for (PetscInt a = 0; a < dm->d; a++) order[c++] = dm->coords[a];
    for (PetscInt j = 1; j <= m; j++) {
      PetscBool chosen = PETSC_FALSE;
      for (PetscInt a = 0; a < dm->d; a++) chosen = (PetscBool)(chosen || dm->coords[a] == j);
      if (!chosen) order[c++] = j;
    }
  }
  PetscCall(UmbPathJoin(dm->dir, "dmap.h5", path, sizeof(path)));
  PetscCall(UmbH5Create(dm->comm, path, "dmap", &h5));
  PetscCall(WriteRowsReal(dm, h5, "/dmap/points", dm->n, dm->x));
  dims[0] = (hsize_t)dm->N;
  PetscCall(UmbH5CreateDataset(h5, "/dmap/index", H5T_NATIVE_LLONG, 1, dims));
  PetscCall(PetscMalloc1(dm->nloc + 1, &idx));
  for (PetscInt i = 0; i < dm->nloc; i++) idx[i] = (long long)dm->index[i];
  PetscCall(UmbH5WriteRows(h5, "/dmap/index", H5T_NATIVE_LLONG, (hsize_t)dm->rstart, (hsize_t)dm->nloc, idx));
  PetscCall(PetscFree(idx));
  PetscCall(WriteRowsReal(dm, h5, "/dmap/density", 1, dm->q));
  PetscCall(WriteRowsReal(dm, h5, "/dmap/weights", 1, dm->w));
  PetscCall(WriteRowsReal(dm, h5, "/dmap/column_weight", 1, dm->g));
  PetscCall(WriteRowsReal(dm, h5, "/dmap/degree", 1, dm->deg));
  if (dm->cutoff <= 0) PetscCall(WriteRowsReal(dm, h5, "/dmap/rho2", 1, dm->rho2));
  PetscCall(WriteRowsReal(dm, h5, "/dmap/eigenvectors", m, dm->psi));
  dims[0] = (hsize_t)m;
  PetscCall(UmbH5WriteSmall(h5, "/dmap/eigenvalues", H5T_NATIVE_DOUBLE, 1, dims, dm->lambda + 1));
  PetscCall(UmbH5WriteSmall(h5, "/dmap/scores", H5T_NATIVE_DOUBLE, 1, dims, dm->scores));
  {
    long long c[2] = {dm->coords[0], dm->coords[1]}, o[UMB_DMAP_MAX_NEV];
    dims[0] = (hsize_t)dm->d;
    PetscCall(UmbH5WriteSmall(h5, "/dmap/coordinates", H5T_NATIVE_LLONG, 1, dims, c));
    for (PetscInt j = 0; j < m; j++) o[j] = order[j];
    dims[0] = (hsize_t)m;
    PetscCall(UmbH5WriteSmall(h5, "/dmap/column_order", H5T_NATIVE_LLONG, 1, dims, o));
  }
  if (dm->eps_opt <= 0) {
    dims[0] = (hsize_t)dm->nscan;
    PetscCall(UmbH5WriteSmall(h5, "/dmap/bandwidth_scan/eps", H5T_NATIVE_DOUBLE, 1, dims, dm->scan_eps));
    PetscCall(UmbH5WriteSmall(h5, "/dmap/bandwidth_scan/log_sum", H5T_NATIVE_DOUBLE, 1, dims, dm->scan_logsum));
    PetscCall(UmbH5WriteSmall(h5, "/dmap/bandwidth_scan/slope", H5T_NATIVE_DOUBLE, 1, dims, dm->scan_slope));
    PetscCall(UmbH5WriteAttrInt(h5, "/dmap/bandwidth_scan", "points", dm->scan_points));
    PetscCall(UmbH5WriteAttrReals(h5, "/dmap/bandwidth_scan", "eps_local", 1, &dm->eps_local));
    PetscCall(UmbH5WriteAttrReals(h5, "/dmap/bandwidth_scan", "eps_bgh", 1, &dm->eps_bgh));
  }
  PetscCall(UmbH5WriteAttrString(h5, "/dmap", "input", dm->from_memory ? "(in memory)" : dm->input));
  if (dm->model) {
    UmbModelType type;
    PetscCall(UmbModelGetType(dm->model, &type));
    PetscCall(UmbH5WriteAttrString(h5, "/dmap", "model", type));
  }
  PetscCall(UmbH5WriteAttrString(h5, "/dmap", "kernel", dm->cutoff > 0 ? "cutoff" : "knn"));
  PetscCall(UmbH5WriteAttrString(h5, "/dmap", "weights", UmbDmapWeightsTypes[dm->weights]));
  PetscCall(UmbH5WriteAttrString(h5, "/dmap", "eps_source", dm->eps_rule == UMB_DMAP_EPS_USER ? "user" : dm->eps_rule == UMB_DMAP_EPS_BGH ? "bgh" : "local"));
  PetscCall(UmbH5WriteAttrInt(h5, "/dmap", "n", dm->n));
  PetscCall(UmbH5WriteAttrString(h5, "/dmap", "atoms", dm->atoms_desc[0] ? dm->atoms_desc : "all"));
  PetscCall(UmbH5WriteAttrInt(h5, "/dmap", "points", dm->N));
  PetscCall(UmbH5WriteAttrInt(h5, "/dmap", "points_before_subsample", dm->nauto ? dm->nauto : dm->N));
  PetscCall(UmbH5WriteAttrInt(h5, "/dmap", "input_rows", dm->nfile));
  PetscCall(UmbH5WriteAttrInt(h5, "/dmap", "neighbors", dm->k));
  PetscCall(UmbH5WriteAttrInt(h5, "/dmap", "nnz", dm->nnz));
  PetscCall(UmbH5WriteAttrInt(h5, "/dmap", "seed", dm->seed));
  PetscCall(UmbH5WriteAttrInt(h5, "/dmap", "eigensolver_iterations", dm->eps_its));
  PetscCall(UmbH5WriteAttrReals(h5, "/dmap", "participation", 1, &dm->participation));
  PetscCall(UmbH5WriteAttrInt(h5, "/dmap", "eps_doublings", dm->widenings));
  PetscCall(UmbH5WriteAttrReals(h5, "/dmap", "eps", 1, &dm->eps));
  PetscCall(UmbH5WriteAttrReals(h5, "/dmap", "alpha", 1, &dm->alpha));
  PetscCall(UmbH5WriteAttrReals(h5, "/dmap", "cutoff", 1, &dm->cutoff));
  attr = dm->eps_opt > 0 ? 0 : dm->dimension;
  PetscCall(UmbH5WriteAttrReals(h5, "/dmap", "intrinsic_dimension", 1, &attr));
  PetscCall(UmbH5WriteAttrReals(h5, "/dmap", "lambda0", 1, &dm->lambda[0]));
  PetscCall(UmbH5WriteAttrReals(h5, "/dmap", "residual", 1, &dm->residual));
  PetscCall(UmbH5WriteAttrReals(h5, "/dmap", "score_threshold", 1, &dm->score_threshold));
  PetscCall(UmbH5Close(&h5, PETSC_TRUE));

  /* dmap.csv: rank 0 writes the blocks of every rank in turn */
  {
    size_t l = (size_t)snprintf(header, sizeof(header), "index");
    for (PetscInt j = 0; j < m; j++) l += (size_t)snprintf(header + l, sizeof(header) - l, ",psi%d", (int)(j + 1));
  }
  PetscCall(UmbPathJoin(dm->dir, "dmap.csv", path, sizeof(path)));
  PetscCall(UmbCsvCreate(dm->comm, path, header, &csv));
  {
    PetscInt    maxloc = 0;
    PetscReal  *buf;
    PetscInt64 *ibuf;
    char       *line;
    size_t      linelen = (size_t)(m + 1) * 32 + 8;
    for (PetscMPIInt r = 0; r < dm->size; r++) maxloc = PetscMax(maxloc, dm->counts[r]);
    PetscCall(PetscMalloc3((size_t)maxloc * m + 1, &buf, maxloc + 1, &ibuf, linelen, &line));
    for (PetscMPIInt r = 0; r < dm->size; r++) {
      PetscInt cnt = dm->counts[r];
      if (r == 0 && !dm->rank) {
        PetscCall(PetscArraycpy(buf, dm->psi, (size_t)cnt * m));
        PetscCall(PetscArraycpy(ibuf, dm->index, cnt));
      } else if (!dm->rank) {
        PetscCallMPI(MPI_Recv(buf, (PetscMPIInt)(cnt * m), MPIU_REAL, r, 91, dm->comm, MPI_STATUS_IGNORE));
        PetscCallMPI(MPI_Recv(ibuf, (PetscMPIInt)cnt, MPIU_INT64, r, 92, dm->comm, MPI_STATUS_IGNORE));
      } else if (dm->rank == r) {
        PetscCallMPI(MPI_Send(dm->psi, (PetscMPIInt)(cnt * m), MPIU_REAL, 0, 91, dm->comm));
        PetscCallMPI(MPI_Send(dm->index, (PetscMPIInt)cnt, MPIU_INT64, 0, 92, dm->comm));
      }
      if (!dm->rank)
        for (PetscInt i = 0; i < cnt; i++) {
          size_t l = (size_t)snprintf(line, linelen, "%" PetscInt64_FMT, ibuf[i]);
          for (PetscInt j = 0; j < m; j++) l += (size_t)snprintf(line + l, linelen - l, ",%.15g", (double)buf[(size_t)i * m + order[j] - 1]);
          PetscCall(UmbCsvRow(csv, "%s", line));
        }
    }
    PetscCall(PetscFree3(buf, ibuf, line));
  }
  PetscCall(UmbCsvClose(&csv, PETSC_TRUE));
  PetscCall(PetscLogEventEnd(UMB_EVENT.dmap_write, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
