/* umbra lift for every generator type: L lifted states at each of M CV values, generated in
   parallel and written to lift.h5 as /lift/z (M x d) and /lift/x (M x L x n). Row g = m L + l of
   the flattened output is generated with the noise keyed by (seed, g), and the rows are split
   over the ranks in blocks of UMB_LIFT_BLOCK aligned to g (the types generate in such aligned
   blocks), so the file does not depend on the rank count. */
#include <umbra/private/generatorimpl.h>
#include <umbra/io.h>

/* Collective: rows [g0, g1) of the flattened first two dimensions of a dataset (M x L x ncol,
   or M x L when ncol is 0) from buf */
static PetscErrorCode WriteFlat(UmbH5 h5, const char name[], PetscInt64 L, PetscInt ncol, PetscInt64 g0, PetscInt64 g1, const PetscReal *buf)
{
  hid_t   file, dset, fspace, mspace, dxpl;
  hsize_t nel = (hsize_t)((g1 - g0) * PetscMax(ncol, 1));
  herr_t  status;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.h5_write, 0, 0, 0, 0));
  PetscCall(UmbH5GetId(h5, &file));
  UmbCallHDF5Id(dset, H5Dopen2(file, name, H5P_DEFAULT));
  UmbCallHDF5Id(fspace, H5Dget_space(dset));
  UmbCallHDF5(H5Sselect_none(fspace));
  for (PetscInt64 g = g0; g < g1;) { /* pieces: the rest of a point's states, whole points, the start of a point */
    const PetscInt64 m = g / L, l = g % L;
    hsize_t          start[3] = {(hsize_t)m, (hsize_t)l, 0}, count[3] = {1, 0, (hsize_t)ncol};
    PetscInt64       adv;
    if (l == 0 && g + L <= g1) {
      count[0] = (hsize_t)((g1 - g) / L);
      count[1] = (hsize_t)L;
      adv      = (PetscInt64)count[0] * L;
    } else {
      count[1] = (hsize_t)PetscMin(L - l, g1 - g);
      adv      = (PetscInt64)count[1];
    }
    UmbCallHDF5(H5Sselect_hyperslab(fspace, H5S_SELECT_OR, start, NULL, count, NULL));
    g += adv;
  }
  UmbCallHDF5Id(mspace, H5Screate_simple(1, &nel, NULL));
  if (g1 <= g0) {
    hsize_t one = 1;
    UmbCallHDF5(H5Sclose(mspace));
    UmbCallHDF5Id(mspace, H5Screate_simple(1, &one, NULL));
    UmbCallHDF5(H5Sselect_none(mspace));
  }
  PetscCall(UmbH5TransferList(h5, &dxpl));
  status = H5Dwrite(dset, H5T_NATIVE_DOUBLE, mspace, fspace, dxpl, buf);
  PetscCall(UmbH5CheckIO(h5, name, PETSC_TRUE, status));
  UmbCallHDF5(H5Pclose(dxpl));
  UmbCallHDF5(H5Sclose(mspace));
  UmbCallHDF5(H5Sclose(fspace));
  UmbCallHDF5(H5Dclose(dset));
  PetscCall(PetscLogEventEnd(UMB_EVENT.h5_write, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The CV values to lift: -lift_z, -lift_grid, or 11 points per component over the trained range */
static PetscErrorCode LiftPoints(UmbGenerator g, PetscInt d, const PetscReal range[], PetscInt *M, PetscReal **zp)
{
  PetscReal      grid[6];
  PetscInt       np[2] = {1, 1};
  PetscReal     *z;

  PetscFunctionBegin;
  if (g->nlift_z) {
    *M = g->nlift_z;
    PetscCall(PetscMalloc1(*M * d, zp));
    PetscCall(PetscArraycpy(*zp, g->lift_z, *M * d));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (g->nlift_grid)
    for (PetscInt k = 0; k < 3 * d && k < 6; k++) grid[k] = g->lift_grid[k];
  else
    for (PetscInt a = 0; a < d; a++) {
      grid[3 * a]     = range[2 * a];
      grid[3 * a + 1] = range[2 * a + 1];
      grid[3 * a + 2] = 11;
    }
  for (PetscInt a = 0; a < d; a++) np[a] = (PetscInt)grid[3 * a + 2];
  *M = np[0] * np[1];
  PetscCall(PetscMalloc1(*M * d, &z));
  for (PetscInt i = 0; i < np[0]; i++)
    for (PetscInt j = 0; j < np[1]; j++) {
      const PetscInt k = i * np[1] + j, idx[2] = {i, j};
      for (PetscInt a = 0; a < d; a++) {
        const PetscReal lo = grid[3 * a], hi = grid[3 * a + 1];
        z[k * d + a] = np[a] > 1 ? lo + (hi - lo) * idx[a] / (np[a] - 1) : lo;
      }
    }
  *zp = z;
  PetscFunctionReturn(PETSC_SUCCESS);
}

#define UMB_LIFT_PROJECT_TOL 1e-10
#define UMB_LIFT_PROJECT_ITS 50

/* Not collective. Projects the state x (n) onto {x : xi(x) = z} by Newton steps
   x <- x - J^T (J J^T)^{-1} r, r = xi(x) - z (minimum image per periodic component), each step
   halved until |r| decreases; until every |r_a| <= UMB_LIFT_PROJECT_TOL. On failure x is left as
   it came. work: n + n d + n. */
static PetscErrorCode ProjectState(UmbCV cv, PetscInt n, PetscInt d, const PetscReal z[], PetscReal x[], PetscReal work[], PetscBool *ok, PetscInt *its)
{
  PetscReal *J = work, *x0 = work + n * d, *xt = x0 + n, zc[2], r[2], rn, dx[2] = {0, 0};

  PetscFunctionBegin;
  *ok  = PETSC_FALSE;
  *its = 0;
  PetscCall(PetscArraycpy(x0, x, n));
  PetscCall(UmbCVEvaluate(cv, 1, x, zc, J));
  rn = 0;
  for (PetscInt a = 0; a < d; a++) {
    r[a] = UmbCVDifference(cv, a, zc[a], z[a]);
    rn   = PetscMax(rn, PetscAbsReal(r[a]));
  }
  for (PetscInt it = 0; it <= UMB_LIFT_PROJECT_ITS; it++) {
    PetscReal G[3] = {0, 0, 0}, det, t = 1;
    PetscBool better = PETSC_FALSE;
    if (!(rn > UMB_LIFT_PROJECT_TOL)) {
      *ok  = (PetscBool)!PetscIsInfOrNanReal(rn);
      *its = it;
      break;
    }
    if (it == UMB_LIFT_PROJECT_ITS) break;
    /* dx = (J J^T)^{-1} r */
    for (PetscInt i = 0; i < n; i++) {
      G[0] += J[i] * J[i];
      if (d > 1) {
        G[1] += J[i] * J[n + i];
        G[2] += J[n + i] * J[n + i];
      }
    }
    if (d == 1) {
      if (!(G[0] > 0)) break;
      dx[0] = r[0] / G[0];
    } else {
      det = G[0] * G[2] - G[1] * G[1];
      if (!(det > 1e-14 * G[0] * G[2])) break;
      dx[0] = (G[2] * r[0] - G[1] * r[1]) / det;
      dx[1] = (G[0] * r[1] - G[1] * r[0]) / det;
    }
    for (int h = 0; h < 30 && !better; h++, t *= 0.5) { /* the full step, else halves of it */
      PetscReal zt[2], rt[2], rtn = 0;
      for (PetscInt i = 0; i < n; i++) {
        PetscReal s = J[i] * dx[0];
        if (d > 1) s += J[n + i] * dx[1];
        xt[i] = x[i] - t * s;
      }
      PetscCall(UmbCVEvaluate(cv, 1, xt, zt, NULL));
      for (PetscInt a = 0; a < d; a++) {
        rt[a] = UmbCVDifference(cv, a, zt[a], z[a]);
        rtn   = PetscMax(rtn, PetscAbsReal(rt[a]));
      }
      if (rtn < rn) better = PETSC_TRUE;
    }
    if (!better) break;
    PetscCall(PetscArraycpy(x, xt, n));
    PetscCall(UmbCVEvaluate(cv, 1, x, zc, J));
    rn = 0;
    for (PetscInt a = 0; a < d; a++) {
      r[a] = UmbCVDifference(cv, a, zc[a], z[a]);
      rn   = PetscMax(rn, PetscAbsReal(r[a]));
    }
  }
  if (!*ok) PetscCall(PetscArraycpy(x, x0, n));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGeneratorLiftToFile(UmbGenerator g, const char dir[])
{
  const MPI_Comm comm = g->comm;
  UmbModel       model;
  PetscInt       d, n, M, nwarn = 0, cvidx[2];
  PetscMPIInt    rank, size;
  PetscBool      coord, trained;
  PetscReal      period[2], zlo[2], zhi[2], range[4];
  char           path[PETSC_MAX_PATH_LEN], names[4096] = "";
  UmbModelType   modeltype;
  UmbCVType      cvtype;
  PetscInt64     L = g->lift_n, total, nblk, b0, b1, g0, g1;
  PetscReal     *z, *zrows, *x, *restr = NULL, rstat[2] = {0, 0};
  PetscInt64    *idx, pstat[2] = {0, 0}, pfirst = INT64_MAX; /* states not converged, Newton steps of the others, the first not converged */
  UmbH5          h5;
  hsize_t        dims[3];
  PetscLogDouble t0, t1;

  PetscFunctionBegin;
  PetscCall(UmbGeneratorCheckGenerates(g));
  PetscCall(UmbCVGetModel(g->cv, &model));
  PetscCall(UmbModelGetDimension(model, &n));
  PetscCall(UmbModelGetType(model, &modeltype));
  PetscCall(UmbCVGetDimension(g->cv, &d));
  PetscCall(UmbCVGetType(g->cv, &cvtype));
  PetscCall(UmbCVGetPeriod(g->cv, period));
  PetscCall(UmbCVGetCoordinates(g->cv, &coord, cvidx));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(PetscLogStagePush(UMB_STAGE.lift));
  PetscCall(PetscLogEventBegin(UMB_EVENT.lift, 0, 0, 0, 0));
  PetscCall(PetscTime(&t0));
  PetscCall(UmbGeneratorIsTrained(g, &trained));
  if (!trained) {
    PetscCall(UmbPathJoin(dir, g->file, path, sizeof(path)));
    PetscCall(UmbGeneratorLoad(g, path));
  }
  PetscCall(UmbGeneratorGetRange(g, range));
  for (PetscInt a = 0; a < d; a++) {
    zlo[a] = range[2 * a];
    zhi[a] = range[2 * a + 1];
  }
  PetscCall(LiftPoints(g, d, range, &M, &z));
  /* outside the trained range: the generator extrapolates; say by how much (a grid end that
     misses the stored range by rounding, 1e-9 of its width, is not extrapolation) */
  for (PetscInt k = 0; k < M; k++)
    for (PetscInt a = 0; a < d; a++) {
      const PetscReal za = z[k * d + a], out = za < zlo[a] ? zlo[a] - za : za > zhi[a] ? za - zhi[a] : 0;
      const char     *nm;
      if (period[a] > 0 || out <= 1e-9 * (zhi[a] - zlo[a])) continue;
      PetscCall(UmbCVGetName(g->cv, a, &nm));
      if (nwarn++ < 5) PetscCall(UmbLogWarning(comm, "lift: %s = %g is outside the trained range [%g, %g] by %g (%.0f%% of its width): the generator extrapolates there", nm, (double)za, (double)zlo[a], (double)zhi[a], (double)out, (double)(100 * out / PetscMax(zhi[a] - zlo[a], PETSC_SMALL))));
    }
  if (nwarn > 5) PetscCall(UmbLogWarning(comm, "lift: %" PetscInt_FMT " values outside the trained range in all", nwarn));

  /* blocks of UMB_LIFT_BLOCK rows of the flattened output, in contiguous runs per rank */
  total = (PetscInt64)M * L;
  nblk  = (total + UMB_LIFT_BLOCK - 1) / UMB_LIFT_BLOCK;
  b0    = (PetscInt64)(((long double)nblk * rank) / size);
  b1    = (PetscInt64)(((long double)nblk * (rank + 1)) / size);
  g0    = PetscMin(total, b0 * UMB_LIFT_BLOCK);
  g1    = PetscMin(total, b1 * UMB_LIFT_BLOCK);
  PetscCall(PetscMalloc4((g1 - g0) * d + 1, &zrows, (g1 - g0) + 1, &idx, (g1 - g0) * n + 1, &x, (g1 - g0) + 1, &restr));
  for (PetscInt64 g = g0; g < g1; g++) {
    idx[g - g0] = g;
    for (PetscInt a = 0; a < d; a++) zrows[(g - g0) * d + a] = z[(g / L) * d + a];
  }
  PetscCall(UmbGeneratorGenerate(g, (PetscInt)(g1 - g0), zrows, idx, x));
  if (g->lift_project) { /* onto the level sets: states that do not converge stay as generated */
    PetscReal *work;
    PetscCall(PetscMalloc1(n * d + 2 * n, &work));
    for (PetscInt64 i = 0; i < g1 - g0; i++) {
      PetscBool ok;
      PetscInt  its;
      PetscCall(ProjectState(g->cv, n, d, zrows + i * d, x + i * n, work, &ok, &its));
      if (ok) pstat[1] += its;
      else {
        pfirst = PetscMin(pfirst, g0 + i);
        pstat[0] += 1;
      }
    }
    PetscCall(PetscFree(work));
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, pstat, 2, MPIU_INT64, MPI_SUM, comm));
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &pfirst, 1, MPIU_INT64, MPI_MIN, comm));
  }
  if (!coord) { /* restriction error |xi(x) - z| of every lifted state */
    PetscReal *zc;
    PetscCall(PetscMalloc1((g1 - g0) * d + 1, &zc));
    PetscCall(UmbCVEvaluate(g->cv, (PetscInt)(g1 - g0), x, zc, NULL));
    for (PetscInt64 i = 0; i < g1 - g0; i++) {
      PetscReal s = 0;
      for (PetscInt a = 0; a < d; a++) {
        const PetscReal df = UmbCVDifference(g->cv, a, zc[i * d + a], zrows[i * d + a]);
        s += df * df;
      }
      restr[i] = PetscSqrtReal(s);
      rstat[0] += restr[i];
      rstat[1] = PetscMax(rstat[1], restr[i]);
    }
    PetscCall(PetscFree(zc));
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &rstat[0], 1, MPIU_REAL, MPI_SUM, comm));
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &rstat[1], 1, MPIU_REAL, MPI_MAX, comm));
  }

  PetscCall(UmbPathJoin(dir, "lift.h5", path, sizeof(path)));
  PetscCall(UmbH5Create(comm, path, "lift", &h5));
  dims[0] = (hsize_t)M;
  dims[1] = (hsize_t)d;
  PetscCall(UmbH5WriteSmall(h5, "/lift/z", H5T_NATIVE_DOUBLE, 2, dims, z));
  dims[1] = (hsize_t)L;
  dims[2] = (hsize_t)n;
  PetscCall(UmbH5CreateDataset(h5, "/lift/x", H5T_IEEE_F64LE, 3, dims));
  PetscCall(WriteFlat(h5, "/lift/x", L, n, g0, g1, x));
  if (!coord) {
    PetscCall(UmbH5CreateDataset(h5, "/lift/restriction", H5T_IEEE_F64LE, 2, dims));
    PetscCall(WriteFlat(h5, "/lift/restriction", L, 0, g0, g1, restr));
  }
  { /* the coordinate names, or "" when they do not fit */
    size_t len = 0;
    for (PetscInt i = 0; i < n; i++) {
      const char *nm;
      PetscCall(UmbModelGetCoordinateName(model, i, &nm));
      len += strlen(nm) + (i ? 1 : 0);
    }
    for (PetscInt i = 0; len < sizeof(names) && i < n; i++) {
      const char *nm;
      PetscCall(UmbModelGetCoordinateName(model, i, &nm));
      PetscCall(UmbStrlcat(names, i ? "," : "", sizeof(names)));
      PetscCall(UmbStrlcat(names, nm, sizeof(names)));
    }
  }
  PetscCall(UmbH5WriteAttrString(h5, "/lift", "coordinates", names));
  names[0] = 0;
  for (PetscInt a = 0; a < d; a++) {
    const char *nm;
    PetscCall(UmbCVGetName(g->cv, a, &nm));
    PetscCall(UmbStrlcat(names, a ? "," : "", sizeof(names)));
    PetscCall(UmbStrlcat(names, nm, sizeof(names)));
  }
  PetscCall(UmbH5WriteAttrString(h5, "/lift", "cv_names", names));
  PetscCall(UmbH5WriteAttrString(h5, "/lift", "model", modeltype));
  PetscCall(UmbH5WriteAttrString(h5, "/lift", "cv", cvtype));
  PetscCall(UmbH5WriteAttrInt(h5, "/lift", "seed", g->seed));
  PetscCall(UmbH5WriteAttrInt(h5, "/lift", "coordinate_cv", coord));
  PetscCall(UmbH5WriteAttrReals(h5, "/lift", "z_min", d, zlo));
  PetscCall(UmbH5WriteAttrReals(h5, "/lift", "z_max", d, zhi));
  PetscCall(UmbH5WriteAttrInt(h5, "/lift", "projected", g->lift_project));
  if (g->lift_project) {
    const PetscReal tol = UMB_LIFT_PROJECT_TOL;
    PetscCall(UmbH5WriteAttrInt(h5, "/lift", "project_failures", pstat[0]));
    PetscCall(UmbH5WriteAttrReals(h5, "/lift", "project_tolerance", 1, &tol));
  }
  PetscCall(UmbH5Close(&h5, PETSC_TRUE));
  PetscCall(PetscTime(&t1));
  PetscCall(UmbLog(comm, "lift: %" PetscInt_FMT " CV value%s x %lld states in %.2f s; wrote %s", M, M > 1 ? "s" : "", (long long)L, (double)(t1 - t0), path));
  if (g->lift_project) {
    PetscCall(UmbLog(comm, "lift: projected %lld of %lld states onto xi(x) = z to %g (Newton, %.2g steps on average)", (long long)(total - pstat[0]), (long long)total, (double)UMB_LIFT_PROJECT_TOL, (double)pstat[1] / (double)PetscMax(total - pstat[0], 1)));
    if (pstat[0]) PetscCall(UmbLogWarning(comm, "lift: %lld state%s did not converge in %d Newton steps (one is state %lld of value %lld) and stay as generated: /lift/restriction gives their |xi(x) - z|", (long long)pstat[0], pstat[0] > 1 ? "s" : "", UMB_LIFT_PROJECT_ITS, (long long)(pfirst % L), (long long)(pfirst / L)));
  }
  if (!coord) PetscCall(UmbLog(comm, "lift: restriction error |xi(x) - z|%s: mean %.3g, max %.3g%s", g->lift_project ? " after projection" : "", (double)(rstat[0] / (PetscReal)PetscMax(total, 1)), (double)rstat[1], g->lift_project || rstat[1] <= 1e-9 ? "" : " (with -generator gan, -gan_consistency_lambda reduces it; -lift_project projects the states)"));
  PetscCall(PetscFree4(zrows, idx, x, restr));
  PetscCall(PetscFree(z));
  PetscCall(PetscLogEventEnd(UMB_EVENT.lift, 0, 0, 0, 0));
  PetscCall(PetscLogStagePop());
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbLiftFileRead(MPI_Comm comm, const char path[], PetscInt *M, PetscInt *L, PetscInt *d, PetscInt *n, PetscReal **z, PetscReal **x)
{
  UmbH5   h5;
  int     r;
  hsize_t dz[3], dx[3];

  PetscFunctionBegin;
  PetscCall(UmbH5Open(comm, path, "lift", &h5));
  PetscCall(UmbH5GetShape(h5, "/lift/z", &r, dz));
  PetscCheck(r == 2 && dz[0] >= 1 && (dz[1] == 1 || dz[1] == 2), comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /lift/z must hold M x d values (d = 1 or 2)", path);
  PetscCall(UmbH5GetShape(h5, "/lift/x", &r, dx));
  PetscCheck(r == 3 && dx[0] == dz[0] && dx[1] >= 1 && dx[2] >= 1 && dx[0] * dx[1] * dx[2] <= (hsize_t)PETSC_MAX_INT, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /lift/x must hold M x L x n values, M = %llu the values of /lift/z", path, (unsigned long long)dz[0]);
  *M = (PetscInt)dz[0];
  *d = (PetscInt)dz[1];
  *L = (PetscInt)dx[1];
  *n = (PetscInt)dx[2];
  PetscCall(PetscMalloc2(*M * *d, z, *M * *L * *n, x));
  PetscCall(UmbH5ReadSmall(h5, "/lift/z", H5T_NATIVE_DOUBLE, (size_t)(*M * *d), *z));
  PetscCall(UmbH5ReadSmall(h5, "/lift/x", H5T_NATIVE_DOUBLE, (size_t)(*M * *L * *n), *x));
  PetscCall(UmbH5Close(&h5, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}
