/* Eigenpairs of a diffusion map and the choice of coordinates.

   SLEPc EPS (Krylov-Schur by default, EPS_HEP, largest real eigenvalues, relative tolerance
   1e-12; -dmap_slepc_* options override) computes the m + 1 leading eigenpairs S phi = lambda
   phi of the symmetric conjugate S. The start vector is drawn from Philox by sample row, so the
   iteration does not depend on the rank count. The trivial pair (lambda = 1, phi ~ sqrt(D)) is
   dropped. The right eigenvectors of P are psi = D^-1/2 phi, scaled to unit mean square under
   the stationary distribution pi_i = D_i / sum_j D_j of P:  sum_i pi_i psi_i^2 = 1. The sign of
   each psi_j is fixed so that sum_i c_i psi_j(x_i) > 0 for fixed pseudo-random numbers c_i
   (Philox keyed by the sample row): deterministic, and the same at any rank count because the
   sum is far from 0 compared with round-off.

   Scores (Dsilva, Talmon, Coifman, Dietrich, Kevrekidis, Appl. Comput. Harmon. Anal. 44, 759,
   2018): psi_k is regressed on psi_1..psi_{k-1} by leave-one-out local linear regression with
   the Gaussian weights exp(-|Phi_i - Phi_j|^2 / h^2), Phi = (psi_1..psi_{k-1}), h = median pair
   distance in Phi / 3, on an evenly spread subsample of -dmap_score_points points; the score is
   r_k = sqrt(sum_i (psi_k,i - fit_i)^2 / sum_i psi_k,i^2), r_1 = 1. A harmonic of earlier
   eigenvectors (a function of them) has r_k near 0; a new direction has r_k near 1. */
#include <umbra/private/dmapimpl.h>
#include <umbra/rng.h>

PetscErrorCode UmbDmapEigen(UmbDmap dm, Mat S)
{
  EPS                eps = dm->eps_solver;
  Vec                v0, xr;
  PetscInt           nconv, m = dm->nev, triv = 0, nevset;
  PetscScalar       *a;
  const PetscScalar *xa;
  PetscReal         *phi, dsum = 0, gdsum, best = -1;
  UmbStream          st;
  EPSConvergedReason reason;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.dmap_eigen, 0, 0, 0, 0));
  PetscCall(EPSSetOperators(eps, S, NULL));
  PetscCall(EPSGetDimensions(eps, &nevset, NULL, NULL));
  PetscCheck(nevset >= m + 1, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_slepc_eps_nev %" PetscInt_FMT " is below the %" PetscInt_FMT " eigenpairs -dmap_nev %" PetscInt_FMT " needs (the trivial one included)", nevset, m + 1, m);
  PetscCall(MatCreateVecs(S, &v0, &xr));
  UmbStreamInit(&st, 0, UMB_STREAM_DMAP, 1);
  PetscCall(VecGetArray(v0, &a));
  for (PetscInt i = 0; i < dm->nloc; i++) {
    double u[4];
    UmbStreamUniform4(&st, (uint64_t)dm->index[i], 0, 0, u);
    a[i] = 2 * u[0] - 1;
  }
  PetscCall(VecRestoreArray(v0, &a));
  PetscCall(EPSSetInitialSpace(eps, 1, &v0));
  PetscCall(EPSSolve(eps));
  PetscCall(EPSGetConverged(eps, &nconv));
  PetscCall(EPSGetIterationNumber(eps, &dm->eps_its));
  PetscCall(EPSGetConvergedReason(eps, &reason));
  PetscCheck(nconv >= m + 1, dm->comm, PETSC_ERR_NOT_CONVERGED, "SLEPc converged %" PetscInt_FMT " of the %" PetscInt_FMT " eigenpairs needed (%s after %" PetscInt_FMT " iterations): raise -dmap_slepc_eps_max_it or -dmap_slepc_eps_ncv, or relax -dmap_slepc_eps_tol", nconv, m + 1, EPSConvergedReasons[reason], dm->eps_its);
  PetscCall(PetscMalloc1((size_t)dm->nloc * (m + 1) + 1, &phi));
  dm->residual = 0;
  for (PetscInt i = 0; i < dm->nloc; i++) dsum += dm->deg[i];
  PetscCallMPI(MPI_Allreduce(&dsum, &gdsum, 1, MPIU_REAL, MPI_SUM, dm->comm));
  for (PetscInt j = 0; j <= m; j++) {
    PetscScalar kr;
    PetscReal   err, dot = 0, gdot;
    PetscCall(EPSGetEigenpair(eps, j, &kr, NULL, xr, NULL));
    PetscCall(EPSComputeError(eps, j, EPS_ERROR_RELATIVE, &err));
    dm->residual  = PetscMax(dm->residual, err);
    dm->lambda[j] = PetscRealPart(kr);
    PetscCall(VecGetArrayRead(xr, &xa));
    for (PetscInt i = 0; i < dm->nloc; i++) {
      phi[(size_t)i * (m + 1) + j] = PetscRealPart(xa[i]);
      dot += PetscRealPart(xa[i]) * PetscSqrtReal(dm->deg[i]);
    }
    PetscCall(VecRestoreArrayRead(xr, &xa));
    PetscCallMPI(MPI_Allreduce(&dot, &gdot, 1, MPIU_REAL, MPI_SUM, dm->comm));
    gdot = PetscAbsReal(gdot) / PetscSqrtReal(gdsum); /* |cos| of the angle with sqrt(D) */
    if (gdot > best) {
      best = gdot;
      triv = j;
    }
  }
  PetscCheck(best > 0.5, dm->comm, PETSC_ERR_NOT_CONVERGED, "no computed eigenvector is the trivial one (largest |cos| with sqrt(D) %.3g): the eigensolve failed", (double)best);
  if (triv) { /* SLEPc orders by eigenvalue, so this means lambda_1 = 1 within round-off */
    PetscCall(UmbLogWarning(dm->comm, "dmap: the trivial eigenvector came out as number %" PetscInt_FMT " (eigenvalues %.15g and %.15g): the graph is nearly disconnected", triv, (double)dm->lambda[0], (double)dm->lambda[triv]));
    PetscReal t = dm->lambda[triv];
    for (PetscInt j = triv; j > 0; j--) dm->lambda[j] = dm->lambda[j - 1];
    dm->lambda[0] = t;
  }
  PetscCall(PetscFree(dm->psi));
  PetscCall(PetscMalloc1((size_t)dm->nloc * m + 1, &dm->psi));
  {
    PetscReal *sgn, *gsgn;
    UmbStream  sc;
    PetscCall(PetscCalloc2(m, &sgn, m, &gsgn));
    UmbStreamInit(&sc, 0, UMB_STREAM_DMAP, 2);
    for (PetscInt i = 0; i < dm->nloc; i++) {
      PetscReal f = PetscSqrtReal(gdsum / dm->deg[i]);
      double    u[4];
      UmbStreamUniform4(&sc, (uint64_t)dm->index[i], 0, 0, u);
      for (PetscInt j = 0, jj = 0; j <= m; j++) {
        if (j == triv) continue;
        dm->psi[(size_t)i * m + jj] = phi[(size_t)i * (m + 1) + j] * f;
        sgn[jj] += (2 * u[0] - 1) * dm->psi[(size_t)i * m + jj];
        jj++;
      }
    }
    PetscCallMPI(MPI_Allreduce(sgn, gsgn, (PetscMPIInt)m, MPIU_REAL, MPI_SUM, dm->comm));
    for (PetscInt j = 0; j < m; j++)
      if (gsgn[j] < 0)
        for (PetscInt i = 0; i < dm->nloc; i++) dm->psi[(size_t)i * m + j] *= -1;
    PetscCall(PetscFree2(sgn, gsgn));
  }
  PetscCall(PetscFree(phi));
  PetscCall(VecDestroy(&v0));
  PetscCall(VecDestroy(&xr));
  PetscCall(PetscLogEventEnd(UMB_EVENT.dmap_eigen, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapParticipation(UmbDmap dm, PetscReal *pr)
{
  const PetscInt m = dm->nev;
  PetscReal      s[2] = {0, 0}, gs[2];

  PetscFunctionBegin;
  for (PetscInt i = 0; i < dm->nloc; i++) {
    const PetscReal p2 = dm->psi[(size_t)i * m] * dm->psi[(size_t)i * m];
    s[0] += p2;
    s[1] += p2 * p2;
  }
  PetscCallMPI(MPI_Allreduce(s, gs, 2, MPIU_REAL, MPI_SUM, dm->comm));
  *pr = gs[1] > 0 ? gs[0] * gs[0] / ((PetscReal)dm->N * gs[1]) : 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Cholesky solve of the (k x k) system G c = r in place; returns PETSC_FALSE if G is not
   positive definite */
static PetscBool CholeskySolve(PetscInt k, PetscReal *G, PetscReal *r)
{
  for (PetscInt j = 0; j < k; j++) {
    PetscReal s = G[j * k + j];
    for (PetscInt l = 0; l < j; l++) s -= G[j * k + l] * G[j * k + l];
    if (!(s > 0)) return PETSC_FALSE;
    G[j * k + j] = PetscSqrtReal(s);
    for (PetscInt i = j + 1; i < k; i++) {
      PetscReal t = G[i * k + j];
      for (PetscInt l = 0; l < j; l++) t -= G[i * k + l] * G[j * k + l];
      G[i * k + j] = t / G[j * k + j];
    }
  }
  for (PetscInt i = 0; i < k; i++) {
    PetscReal t = r[i];
    for (PetscInt l = 0; l < i; l++) t -= G[i * k + l] * r[l];
    r[i] = t / G[i * k + i];
  }
  for (PetscInt i = k - 1; i >= 0; i--) {
    PetscReal t = r[i];
    for (PetscInt l = i + 1; l < k; l++) t -= G[l * k + i] * r[l];
    r[i] = t / G[i * k + i];
  }
  return PETSC_TRUE;
}

PetscErrorCode UmbDmapScores(UmbDmap dm)
{
  const PetscInt m = dm->nev;
  PetscInt       Ms, mine = 0, a, b;
  PetscReal     *Y, *loc, *dist, *G, *r;
  PetscMPIInt   *rc, *rd, nsend;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.dmap_score, 0, 0, 0, 0));
  Ms = (PetscInt)PetscMin((PetscInt64)dm->score_points, dm->N);
  PetscCall(PetscMalloc3((size_t)Ms * m, &Y, (size_t)Ms * m + 1, &loc, 2 * dm->size + 2, &rc));
  rd = rc + dm->size;
  for (PetscInt t = 0; t < Ms; t++) {
    PetscInt64 pos = (PetscInt64)((double)t * (double)dm->N / (double)Ms);
    if (pos >= dm->rstart && pos < dm->rstart + dm->nloc) PetscCall(PetscArraycpy(loc + (size_t)mine++ * m, dm->psi + (pos - dm->rstart) * m, m));
  }
  PetscCall(PetscMPIIntCast(mine * m, &nsend));
  PetscCallMPI(MPI_Allgather(&nsend, 1, MPI_INT, rc, 1, MPI_INT, dm->comm));
  rd[0] = 0;
  for (PetscMPIInt q = 1; q < dm->size; q++) rd[q] = rd[q - 1] + rc[q - 1];
  PetscCallMPI(MPI_Allgatherv(loc, nsend, MPIU_REAL, Y, rc, rd, MPIU_REAL, dm->comm));
  {
    PetscInt q = Ms / dm->size, rr = Ms % dm->size;
    a = dm->rank * q + PetscMin(dm->rank, rr);
    b = a + q + (dm->rank < rr ? 1 : 0);
  }
  PetscCall(PetscMalloc3((size_t)Ms * (Ms - 1) / 2 + 1, &dist, (size_t)(m + 1) * (m + 1), &G, m + 1, &r));
  dm->scores[0] = 1;
  for (PetscInt k = 1; k < m; k++) {
    PetscInt64 np = 0;
    PetscReal  h2, med, num = 0, den = 0, gl[2], gg[2];
    /* kernel scale: median pair distance in (psi_1..psi_k) over the subsample, / 3 */
    for (PetscInt t = 0; t < Ms; t++)
      for (PetscInt u = t + 1; u < Ms; u++) dist[np++] = UmbDmapDist2(k, Y + (size_t)t * m, Y + (size_t)u * m);
    med = PetscSqrtReal(UmbDmapSelect(dist, (PetscInt)np, (PetscInt)(np / 2)));
    h2  = (med / 3) * (med / 3);
    for (PetscInt t = a; t < b; t++) {
      const PetscInt K1 = k + 1;
      PetscReal      tr = 0, fit = 0, yt = Y[(size_t)t * m + k];
      PetscCall(PetscArrayzero(G, K1 * K1));
      PetscCall(PetscArrayzero(r, K1));
      for (PetscInt u = 0; u < Ms; u++) {
        PetscReal w, A[UMB_DMAP_MAX_NEV + 1];
        if (u == t) continue; /* leave one out */
        w = h2 > 0 ? PetscExpReal(-UmbDmapDist2(k, Y + (size_t)t * m, Y + (size_t)u * m) / h2) : 0;
        if (w < 1e-300) continue;
        A[0] = 1;
        for (PetscInt l = 0; l < k; l++) A[l + 1] = Y[(size_t)u * m + l] - Y[(size_t)t * m + l]; /* centred at the point: fit = c_0 */
        for (PetscInt p = 0; p < K1; p++) {
          r[p] += w * A[p] * Y[(size_t)u * m + k];
          for (PetscInt q = 0; q <= p; q++) G[p * K1 + q] += w * A[p] * A[q];
        }
      }
      for (PetscInt p = 0; p < K1; p++) {
        for (PetscInt q = p + 1; q < K1; q++) G[p * K1 + q] = G[q * K1 + p];
        tr += G[p * K1 + p];
      }
      if (tr > 1e-300) {
        for (PetscInt p = 0; p < K1; p++) G[p * K1 + p] += 1e-10 * tr / K1; /* ridge: isolated points and flat neighbourhoods */
        if (CholeskySolve(K1, G, r)) fit = r[0];
      }
      num += (yt - fit) * (yt - fit);
      den += yt * yt;
    }
    gl[0] = num;
    gl[1] = den;
    PetscCallMPI(MPI_Allreduce(gl, gg, 2, MPIU_REAL, MPI_SUM, dm->comm));
    dm->scores[k] = gg[1] > 0 ? PetscSqrtReal(gg[0] / gg[1]) : 0;
  }
  PetscCall(PetscFree3(dist, G, r));
  PetscCall(PetscFree3(Y, loc, rc));

  /* the coordinates */
  if (dm->ncoords_opt) {
    dm->d = dm->ncoords_opt;
    for (PetscInt c = 0; c < dm->d; c++) dm->coords[c] = dm->coords_opt[c];
  } else {
    dm->d         = dm->dim;
    dm->coords[0] = 1;
    if (dm->d == 2) {
      PetscInt pick = -1, hi = 1;
      for (PetscInt j = 2; j <= m && pick < 0; j++)
        if (dm->scores[j - 1] >= dm->score_threshold) pick = j;
      if (pick < 0) {
        for (PetscInt j = 2; j <= m; j++)
          if (hi == 1 || dm->scores[j - 1] > dm->scores[hi - 1]) hi = j;
        pick = hi;
        PetscCall(UmbLogWarning(dm->comm, "dmap: every eigenvector psi_2..psi_%" PetscInt_FMT " scores below -dmap_score_threshold %g (harmonics of psi_1): taking psi_%" PetscInt_FMT " (score %.3g) as the second coordinate; the data may be one-dimensional, or raise -dmap_nev", m, (double)dm->score_threshold, pick, (double)dm->scores[pick - 1]));
      }
      dm->coords[1] = pick;
    }
  }
  PetscCall(PetscLogEventEnd(UMB_EVENT.dmap_score, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
