/* Out-of-sample (Nystrom) extension of a diffusion map stored in dmap.h5, with its gradient.

   For a state x and training points x_i with column weights g_i = q_i^-alpha w_i^(1-alpha),

       a_i(x) = exp(-|x - x_i|^2 / eps) g_i   for i in the neighbourhood N(x),
       psi_j(x) = (1/lambda_j) sum_i a_i psi_j(x_i) / sum_i a_i,

   i.e. psi_j(x) = (1/lambda_j) (P psi_j)(x) with P(x, x_i) the alpha-normalised Markov kernel
   row of x (the factor q(x)^-alpha of x itself cancels in the row normalisation). N(x) is the
   rule that made the training graph, applied to x: the cut-off kernel takes every x_i with
   |x - x_i|^2 <= cutoff^2 eps; the kNN kernel takes every x_i with |x - x_i| <= max(rho(x),
   rho_i), rho(x) the distance of the k-th nearest training point (the union graph). At a
   training point x_j this is exactly row j of the training kernel, so psi(x_j) reproduces the
   stored psi_j(x_j) up to the eigensolver's residual. Distances use UmbDmapDist2, as training.

   Gradient: with p_i = a_i / sum a and psibar = sum_i p_i psi_j(x_i),
       d psi_j / dx = 2 / (lambda_j eps) sum_i p_i (psi_j(x_i) - psibar) (x_i - x).
   It is exact for the cut-off kernel (away from the measure-zero set where a point crosses the
   cut-off, where psi jumps by at most exp(-cutoff^2) relative weight: 1e-7 at the default 4);
   the kNN kernel's N(x) changes with x, and psi jumps where it does (by the kernel value at the
   k-th neighbour, reported by umbra dmap, typically 1e-2). Those jumps are systematic: moving
   along psi, the points entering ahead and leaving behind both push psi the same way, so the
   gradient (which does not see them) underestimates the change of psi, the bias force is too
   weak for the bias energy MBAR reweights with, and the free energy comes out wrong (by 0.3 kT
   on the ring model's barrier, t607). Hence the cut-off kernel is the default, and -cv dmap
   warns about a kNN map.
   Cost per state: O(M n) for the distances plus one exp per neighbour. */
#include <umbra/private/dmapimpl.h>

PetscErrorCode UmbDmapExtLoad(MPI_Comm comm, const char path[], UmbDmapExt *ep)
{
  UmbDmapExt e;
  UmbH5      h5;
  int        r;
  hsize_t    dims[3];
  char       kernel[32];
  PetscInt64 v;
  PetscReal *lam, *psi, *g;
  long long  coords[2], order[UMB_DMAP_MAX_NEV];

  PetscFunctionBegin;
  PetscCall(PetscNew(&e));
  PetscCall(PetscStrncpy(e->path, path, sizeof(e->path)));
  PetscCall(UmbH5Open(comm, path, "dmap", &h5));
  PetscCall(UmbH5GetShape(h5, "/dmap/points", &r, dims));
  PetscCheck(r == 2, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /dmap/points must be M x n", path);
  e->M = (PetscInt)dims[0];
  e->n = (PetscInt)dims[1];
  PetscCall(UmbH5GetShape(h5, "/dmap/eigenvectors", &r, dims));
  e->m = r == 2 ? (PetscInt)dims[1] : 1;
  PetscCheck(e->m >= 1 && e->m <= UMB_DMAP_MAX_NEV, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: %" PetscInt_FMT " eigenvectors, expected 1 .. %d", path, e->m, UMB_DMAP_MAX_NEV);
  PetscCall(UmbH5GetShape(h5, "/dmap/coordinates", &r, dims));
  e->d = (PetscInt)dims[0];
  PetscCheck(e->d >= 1 && e->d <= 2, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: %" PetscInt_FMT " chosen coordinates, expected 1 or 2", path, e->d);
  PetscCall(UmbH5ReadAttrString(h5, "/dmap", "kernel", kernel, sizeof(kernel)));
  e->kernel = strcmp(kernel, "cutoff") ? UMB_DMAP_KERNEL_KNN : UMB_DMAP_KERNEL_CUTOFF;
  PetscCall(UmbH5ReadAttrReals(h5, "/dmap", "eps", 1, &e->eps));
  PetscCall(UmbH5ReadAttrReals(h5, "/dmap", "alpha", 1, &e->alpha));
  PetscCall(UmbH5ReadAttrReals(h5, "/dmap", "cutoff", 1, &e->cutoff));
  PetscCall(UmbH5ReadAttrInt(h5, "/dmap", "neighbors", &v));
  e->k     = (PetscInt)v;
  e->r2cut = e->cutoff * e->cutoff * e->eps;
  PetscCheck(e->eps > 0 && e->k >= 1 && e->M >= 1, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: invalid map (eps %.6g, %" PetscInt_FMT " neighbours, %" PetscInt_FMT " points)", path, (double)e->eps, e->k, e->M);
  PetscCall(PetscMalloc5((size_t)e->M * e->n, &e->x, e->M, &e->logg, (size_t)e->M * e->m, &e->psi, e->m, &e->lambda, e->M, &e->rho2));
  PetscCall(PetscMalloc3((size_t)e->M * e->m, &psi, e->m, &lam, e->M, &g));
  PetscCall(UmbH5ReadSmall(h5, "/dmap/points", H5T_NATIVE_DOUBLE, (size_t)e->M * e->n, e->x));
  PetscCall(UmbH5ReadSmall(h5, "/dmap/column_weight", H5T_NATIVE_DOUBLE, (size_t)e->M, g));
  PetscCall(UmbH5ReadSmall(h5, "/dmap/eigenvectors", H5T_NATIVE_DOUBLE, (size_t)e->M * e->m, psi));
  PetscCall(UmbH5ReadSmall(h5, "/dmap/eigenvalues", H5T_NATIVE_DOUBLE, (size_t)e->m, lam));
  PetscCall(UmbH5ReadSmall(h5, "/dmap/coordinates", H5T_NATIVE_LLONG, 2, coords));
  PetscCall(UmbH5ReadSmall(h5, "/dmap/column_order", H5T_NATIVE_LLONG, UMB_DMAP_MAX_NEV, order));
  if (e->kernel == UMB_DMAP_KERNEL_KNN) PetscCall(UmbH5ReadSmall(h5, "/dmap/rho2", H5T_NATIVE_DOUBLE, (size_t)e->M, e->rho2));
  PetscCall(UmbH5Close(&h5, PETSC_FALSE));
  for (PetscInt i = 0; i < e->M; i++) e->logg[i] = g[i] > 0 ? PetscLogReal(g[i]) : PETSC_NINFINITY;
  for (PetscInt c = 0; c < e->m; c++) {
    PetscInt j = (PetscInt)order[c] - 1;
    PetscCheck(j >= 0 && j < e->m, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /dmap/column_order holds %lld, not an eigenvector index 1 .. %" PetscInt_FMT, path, order[c], e->m);
    PetscCheck(c >= e->d || order[c] == coords[c], comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /dmap/column_order does not start with the chosen coordinates", path);
    e->lambda[c] = lam[j];
    PetscCheck(PetscAbsReal(lam[j]) > 0, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: eigenvalue %" PetscInt_FMT " is 0", path, j + 1);
    for (PetscInt i = 0; i < e->M; i++) e->psi[(size_t)i * e->m + c] = psi[(size_t)i * e->m + j];
  }
  PetscCall(PetscFree3(psi, lam, g));
  *ep = e;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapExtDestroy(UmbDmapExt *ep)
{
  PetscFunctionBegin;
  if (!*ep) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree5((*ep)->x, (*ep)->logg, (*ep)->psi, (*ep)->lambda, (*ep)->rho2));
  PetscCall(PetscFree(*ep));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapExtGetSizes(UmbDmapExt e, PetscInt *n, PetscInt *d, PetscInt *M)
{
  PetscFunctionBegin;
  if (n) *n = e->n;
  if (d) *d = e->d;
  if (M) *M = e->M;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapExtGetNumberOfEigenvectors(UmbDmapExt e, PetscInt *m)
{
  PetscFunctionBegin;
  *m = e->m;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapExtGetRange(UmbDmapExt e, PetscInt a, PetscReal q, PetscReal *lo, PetscReal *hi)
{
  PetscReal *v;
  PetscInt   klo, khi;

  PetscFunctionBegin;
  PetscCheck(a >= 0 && a < e->m, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "coordinate %" PetscInt_FMT " of %" PetscInt_FMT, a, e->m);
  PetscCall(PetscMalloc1(e->M, &v));
  for (PetscInt i = 0; i < e->M; i++) v[i] = e->psi[(size_t)i * e->m + a];
  klo = (PetscInt)PetscFloorReal(q * (PetscReal)(e->M - 1));
  khi = (PetscInt)PetscCeilReal((1 - q) * (PetscReal)(e->M - 1));
  *lo = UmbDmapSelect(v, e->M, klo);
  *hi = UmbDmapSelect(v, e->M, khi);
  PetscCall(PetscFree(v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Evaluate(UmbDmapExt e, PetscInt nc, PetscInt nw, const PetscReal X[], PetscReal z[], PetscReal J[])
{
  const PetscInt M = e->M, n = e->n, m = e->m;
  PetscReal     *d2, *sel = NULL, *a;
  PetscInt      *nb, cnt;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.dmap_ext, 0, 0, 0, 0));
  PetscCall(PetscMalloc3(M, &d2, M, &a, M, &nb));
  if (e->kernel == UMB_DMAP_KERNEL_KNN) PetscCall(PetscMalloc1(M, &sel));
  for (PetscInt w = 0; w < nw; w++) {
    const PetscReal *x = X + (size_t)w * n;
    PetscReal        amax = PETSC_NINFINITY, A = 0, S[UMB_DMAP_MAX_NEV];

    for (PetscInt i = 0; i < M; i++) d2[i] = UmbDmapDist2(n, x, e->x + (size_t)i * n);
    cnt = 0;
    if (e->kernel == UMB_DMAP_KERNEL_KNN) {
      PetscReal rho2x;
      PetscCall(PetscArraycpy(sel, d2, M));
      rho2x = UmbDmapSelect(sel, M, PetscMin(e->k, M) - 1);
      for (PetscInt i = 0; i < M; i++)
        if (d2[i] <= rho2x || d2[i] <= e->rho2[i]) nb[cnt++] = i;
    } else {
      for (PetscInt i = 0; i < M; i++)
        if (d2[i] <= e->r2cut) nb[cnt++] = i;
    }
    if (!cnt) { /* beyond the cut-off of every training point: the nearest one decides */
      PetscInt best = 0;
      for (PetscInt i = 1; i < M; i++)
        if (d2[i] < d2[best]) best = i;
      nb[cnt++] = best;
    }
    for (PetscInt t = 0; t < cnt; t++) {
      PetscInt i = nb[t];
      a[t]       = -d2[i] / e->eps + e->logg[i];
      amax       = PetscMax(amax, a[t]);
    }
    for (PetscInt c = 0; c < nc; c++) S[c] = 0;
    for (PetscInt t = 0; t < cnt; t++) {
      const PetscReal *p = e->psi + (size_t)nb[t] * m;
      a[t]               = PetscExpReal(a[t] - amax);
      A += a[t];
      for (PetscInt c = 0; c < nc; c++) S[c] += a[t] * p[c];
    }
    for (PetscInt c = 0; c < nc; c++) z[(size_t)w * nc + c] = S[c] / (A * e->lambda[c]);
    if (J) {
      PetscReal *Jw = J + (size_t)w * nc * n;
      PetscCall(PetscArrayzero(Jw, (size_t)nc * n));
      for (PetscInt t = 0; t < cnt; t++) {
        const PetscReal *xi = e->x + (size_t)nb[t] * n, *p = e->psi + (size_t)nb[t] * m;
        PetscReal        pt = a[t] / A;
        for (PetscInt c = 0; c < nc; c++) {
          PetscReal f = pt * (p[c] - S[c] / A);
          for (PetscInt l = 0; l < n; l++) Jw[c * n + l] += f * (xi[l] - x[l]);
        }
      }
      for (PetscInt c = 0; c < nc; c++)
        for (PetscInt l = 0; l < n; l++) Jw[c * n + l] *= 2 / (e->lambda[c] * e->eps);
    }
  }
  PetscCall(PetscFree3(d2, a, nb));
  PetscCall(PetscFree(sel));
  PetscCall(PetscLogEventEnd(UMB_EVENT.dmap_ext, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapExtEvaluate(UmbDmapExt e, PetscInt nw, const PetscReal X[], PetscReal z[], PetscReal J[])
{
  PetscFunctionBegin;
  PetscCall(Evaluate(e, e->d, nw, X, z, J));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapExtEvaluateAll(UmbDmapExt e, PetscInt nw, const PetscReal X[], PetscReal z[], PetscReal J[])
{
  PetscFunctionBegin;
  PetscCall(Evaluate(e, e->m, nw, X, z, J));
  PetscFunctionReturn(PETSC_SUCCESS);
}
