/* Bandwidth and kernel of a diffusion map.

   Bandwidth, from an evenly spread subsample of M = min(N, -dmap_eps_points) points (positions
   floor(t N / M) in the input order), gathered on every rank. -dmap_eps auto (the default), the
   local scale: eps = UMB_DMAP_LOCAL_FACTOR (0.5) times the median over the subsample of the
   squared distance of a point to its UMB_DMAP_LOCAL_K-th (10th) nearest other point of the
   subsample (coincident points skipped); its size is fixed, so eps does not shrink with N, and
   a squared distance to a near neighbour carries the transverse noise of the data, which the
   bandwidth must exceed for the kernel to see the slow manifold (docs/dmap.md, "Defaults").
   -dmap_eps bgh: the scan of Berry, Giannakis and Harlim (Phys. Rev. E 91, 032915,
   2015). T(eps) = sum_ij exp(-|x_i - x_j|^2 / eps) over all ordered pairs (i = j included) of the
   subsample; for eps = 2^j on an integer grid of j covering the pair distances, the slope
   s_j = (ln T_{j+1} - ln T_{j-1}) / (2 ln 2) of ln T against ln eps; eps = 2^j at the largest
   slope, and the intrinsic dimension is estimated as 2 s_j (T ~ eps^(dim/2) in the scaling
   regime). The subsample makes the sum exact over its pairs (a sum over the sparse graph would
   saturate at large eps); its size does not change the slope in the scaling regime.

   Kernel: K_ij = exp(-d_ij^2 / eps) on the neighbour graph, K_ii = 1 (pyDiffMap's convention;
   jmbr/diffusion-maps uses exp(-d^2/(2 eps)), i.e. its eps is half of ours). With the kernel
   density q_i = sum_j K_ij and target-measure weights w_i (1 without -dmap_weights),
   the normalised kernel is K~_ij = g_i K_ij g_j with g_i = q_i^-alpha w_i^(1-alpha): without
   weights this is the alpha-normalisation K_ij / (q_i q_j)^alpha of Coifman and Lafon; with
   weights it is the target-measure map (Banisch et al. 2020) for the target density
   pi_i ~ q_i w_i, generalised to any alpha (alpha = 1/2 gives their TMDmap, alpha = 1 removes
   every density and the weights with it). With D_i = sum_j K~_ij the Markov matrix is
   P = D^-1 K~ and its symmetric conjugate S = D^-1/2 K~ D^-1/2, assembled here as the
   distributed matrix S_ij = s_i K_ij s_j, s_i = g_i / sqrt(D_i). */
#include <umbra/private/dmapimpl.h>
#include <float.h>

/* k-th smallest positive value (1-based; the largest positive one when there are fewer, 0 when
   none) of v[0..len-1]; reorders v */
static PetscReal KthPositive(PetscReal *v, PetscInt len, PetscInt k)
{
  PetscInt np = 0;
  for (PetscInt i = 0; i < len; i++)
    if (v[i] > 0) v[np++] = v[i];
  if (!np) return 0;
  return UmbDmapSelect(v, np, PetscMin(k, np) - 1);
}

/* The bandwidth subsample, gathered on every rank in input order: M = min(N, -dmap_eps_points)
   points at positions floor(t N / M) of the current points; [a, b) is this rank's share of its
   rows. rc (2 size + 2) is work space; the caller frees both with PetscFree2(Y, rc). */
static PetscErrorCode GatherSubsample(UmbDmap dm, PetscInt *Mout, PetscReal **Yout, PetscMPIInt **rcout, PetscInt *a, PetscInt *b)
{
  const PetscInt n = dm->n;
  PetscInt       M, mine = 0;
  PetscReal     *Y, *loc;
  PetscMPIInt   *rc, *rd, nsend;

  PetscFunctionBegin;
  M = (PetscInt)PetscMin((PetscInt64)dm->eps_points, dm->N);
  PetscCall(PetscMalloc2((size_t)M * n, &Y, 2 * dm->size + 2, &rc));
  PetscCall(PetscMalloc1((size_t)M * n + 1, &loc));
  rd = rc + dm->size;
  for (PetscInt t = 0; t < M; t++) {
    PetscInt64 pos = (PetscInt64)((double)t * (double)dm->N / (double)M);
    if (pos >= dm->rstart && pos < dm->rstart + dm->nloc) PetscCall(PetscArraycpy(loc + (size_t)mine++ * n, dm->x + (pos - dm->rstart) * n, n));
  }
  PetscCall(PetscMPIIntCast(mine * n, &nsend));
  PetscCallMPI(MPI_Allgather(&nsend, 1, MPI_INT, rc, 1, MPI_INT, dm->comm));
  rd[0] = 0;
  for (PetscMPIInt r = 1; r < dm->size; r++) rd[r] = rd[r - 1] + rc[r - 1];
  PetscCallMPI(MPI_Allgatherv(loc, nsend, MPIU_REAL, Y, rc, rd, MPIU_REAL, dm->comm));
  PetscCall(PetscFree(loc));
  {
    PetscInt q = M / dm->size, r = M % dm->size;
    *a = dm->rank * q + PetscMin(dm->rank, r);
    *b = *a + q + (dm->rank < r ? 1 : 0);
  }
  *Mout  = M;
  *Yout  = Y;
  *rcout = rc;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* cut-off kernel: the fraction of the subsample within the cut-off of each of its points at the
   current eps, from which the automatic subsample (UmbDmapAutoSubsample) bounds the kernel's
   non-zeros */
static PetscErrorCode CutoffFraction(UmbDmap dm, PetscInt M, const PetscReal *Y, PetscInt a, PetscInt b)
{
  PetscFunctionBegin;
  dm->frac_mean = dm->frac_max = 0;
  if (dm->cutoff > 0 && dm->eps > 0) {
    const PetscReal rc2 = dm->cutoff * dm->cutoff * dm->eps;
    PetscInt64      cnt, tot = 0, mx = 0, gl[2], gg[2];
    for (PetscInt t = a; t < b; t++) {
      cnt = 0;
      for (PetscInt u = 0; u < M; u++) cnt += UmbDmapDist2(dm->n, Y + (size_t)t * dm->n, Y + (size_t)u * dm->n) <= rc2;
      tot += cnt;
      mx = PetscMax(mx, cnt);
    }
    gl[0] = tot;
    gl[1] = mx;
    PetscCallMPI(MPI_Allreduce(&gl[0], &gg[0], 1, MPIU_INT64, MPI_SUM, dm->comm));
    PetscCallMPI(MPI_Allreduce(&gl[1], &gg[1], 1, MPIU_INT64, MPI_MAX, dm->comm));
    dm->frac_mean = (PetscReal)gg[0] / ((PetscReal)M * (PetscReal)M);
    dm->frac_max  = (PetscReal)gg[1] / (PetscReal)M;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapWidenBandwidth(UmbDmap dm)
{
  PetscInt     M, a, b;
  PetscReal   *Y;
  PetscMPIInt *rc;

  PetscFunctionBegin;
  dm->eps *= 2;
  dm->widenings++;
  PetscCall(GatherSubsample(dm, &M, &Y, &rc, &a, &b));
  PetscCall(CutoffFraction(dm, M, Y, a, b));
  PetscCall(PetscFree2(Y, rc));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapBandwidth(UmbDmap dm)
{
  const PetscInt n = dm->n;
  PetscInt       M, a, b, J, jlo, jhi, best = -1, nl = 0;
  PetscReal     *Y, *d2, *row, *rho2, *grho2, dmin = PETSC_MAX_REAL, dmax = 0, g[2], *sums, *gsum;
  PetscInt64     npair = 0;
  PetscMPIInt   *rc, *rd;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.dmap_bgh, 0, 0, 0, 0));
  PetscCall(GatherSubsample(dm, &M, &Y, &rc, &a, &b));
  rd              = rc + dm->size;
  dm->scan_points = M;
  dm->widenings   = 0;
  /* this rank's rows of the subsample: the upper triangle for the scan, and each row's squared
     distance to its UMB_DMAP_LOCAL_K-th nearest other point for the local scale */
  for (PetscInt t = a; t < b; t++) npair += M - 1 - t;
  PetscCall(PetscMalloc4(npair + 1, &d2, M + 1, &row, M + 1, &rho2, M + 1, &grho2));
  npair = 0;
  for (PetscInt t = a; t < b; t++) {
    PetscInt len = 0;
    for (PetscInt u = 0; u < M; u++) {
      PetscReal v;
      if (u == t) continue;
      v = UmbDmapDist2(n, Y + (size_t)t * n, Y + (size_t)u * n);
      row[len++] = v;
      if (u < t) continue;
      d2[npair++] = v;
      if (v > 0) dmin = PetscMin(dmin, v);
      dmax = PetscMax(dmax, v);
    }
    rho2[nl++] = KthPositive(row, len, UMB_DMAP_LOCAL_K);
  }
  g[0] = -dmin;
  g[1] = dmax;
  {
    PetscReal gg[2];
    PetscCallMPI(MPI_Allreduce(g, gg, 2, MPIU_REAL, MPI_MAX, dm->comm));
    dmin = -gg[0];
    dmax = gg[1];
  }
  PetscCheck(dmax > 0 || dm->eps_rule == UMB_DMAP_EPS_USER, dm->comm, PETSC_ERR_USER_INPUT, "-dmap_eps auto: the %" PetscInt_FMT " points of the bandwidth subsample all coincide; give -dmap_eps", M);
  /* the local scale: median over the subsample (the same values at any rank count) */
  for (PetscMPIInt r = 0; r < dm->size; r++) {
    PetscInt q = M / dm->size, rr = M % dm->size;
    rc[r] = (PetscMPIInt)(q + (r < rr ? 1 : 0));
    rd[r] = (PetscMPIInt)(r * q + PetscMin(r, rr));
  }
  PetscCallMPI(MPI_Allgatherv(rho2, (PetscMPIInt)nl, MPIU_REAL, grho2, rc, rd, MPIU_REAL, dm->comm));
  dm->eps_local = UMB_DMAP_LOCAL_FACTOR * KthPositive(grho2, M, (M + 1) / 2);

  if (dm->eps_rule != UMB_DMAP_EPS_USER) { /* the Berry-Giannakis-Harlim scan */
    PetscCall(PetscSortReal((PetscInt)npair, d2));
    jlo = (PetscInt)PetscFloorReal(PetscLog2Real(dmin)) - 3;
    jhi = (PetscInt)PetscCeilReal(PetscLog2Real(dmax)) + 3;
    J   = jhi - jlo + 1;
    PetscCall(PetscFree3(dm->scan_eps, dm->scan_logsum, dm->scan_slope));
    PetscCall(PetscMalloc3(J, &dm->scan_eps, J, &dm->scan_logsum, J, &dm->scan_slope));
    PetscCall(PetscMalloc2(J, &sums, J, &gsum));
    for (PetscInt j = 0; j < J; j++) {
      PetscReal eps = PetscPowReal(2.0, (PetscReal)(jlo + j)), s = 0;
      /* terms below exp(-40) are dropped: at most M^2 e^-40 < 4e-12 M^2, against T >= M */
      for (PetscInt64 t = 0; t < npair && d2[t] <= 40 * eps; t++) s += PetscExpReal(-d2[t] / eps);
      sums[j]         = 2 * s;
      dm->scan_eps[j] = eps;
    }
    PetscCallMPI(MPI_Allreduce(sums, gsum, (PetscMPIInt)J, MPIU_REAL, MPI_SUM, dm->comm));
    for (PetscInt j = 0; j < J; j++) dm->scan_logsum[j] = PetscLogReal((PetscReal)M + gsum[j]);
    for (PetscInt j = 0; j < J; j++) {
      dm->scan_slope[j] = (j == 0 || j == J - 1) ? 0 : (dm->scan_logsum[j + 1] - dm->scan_logsum[j - 1]) / (2 * PetscLogReal(2.0));
      if (j > 0 && j < J - 1 && (best < 0 || dm->scan_slope[j] > dm->scan_slope[best])) best = j;
    }
    dm->nscan     = J;
    dm->eps_bgh   = dm->scan_eps[best];
    dm->dimension = 2 * dm->scan_slope[best];
    PetscCall(PetscFree2(sums, gsum));
  }
  dm->eps = dm->eps_rule == UMB_DMAP_EPS_USER ? dm->eps_opt : dm->eps_rule == UMB_DMAP_EPS_BGH ? dm->eps_bgh : dm->eps_local;

  PetscCall(CutoffFraction(dm, M, Y, a, b));
  PetscCall(PetscFree4(d2, row, rho2, grho2));
  PetscCall(PetscFree2(Y, rc));
  PetscCall(PetscLogEventEnd(UMB_EVENT.dmap_bgh, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapKernelMatrix(UmbDmap dm, Mat *Sout)
{
  const PetscInt64 r0 = dm->rstart, r1 = dm->rstart + dm->nloc;
  Mat              K;
  Vec              vg, vk;
  PetscInt        *dnz, *onz, *cols, maxrow = 0, row0;
  PetscReal       *vals, thr;
  PetscScalar     *a;

  PetscFunctionBegin;
  PetscCheck(dm->N < PETSC_MAX_INT, dm->comm, PETSC_ERR_SUP, "%" PetscInt64_FMT " points exceed PETSc's 32-bit indices: map a subsample (-dmap_points)", dm->N);
  /* connected components: of the graph, and of its numerically non-zero part */
  PetscCall(UmbDmapComponents(dm, PETSC_MAX_REAL, &dm->ncomp_graph));
  if (dm->ncomp_graph > 1) {
    if (dm->cutoff > 0) SETERRQ(dm->comm, PETSC_ERR_USER_INPUT, "the kernel graph (pairs closer than -dmap_cutoff %.6g times sqrt(eps), eps = %.6g) falls apart into %" PetscInt64_FMT " connected components: eps or the cut-off is too small; increase -dmap_eps or -dmap_cutoff", (double)dm->cutoff, (double)dm->eps, dm->ncomp_graph);
    SETERRQ(dm->comm, PETSC_ERR_USER_INPUT, "the %" PetscInt_FMT "-nearest-neighbour graph of the %" PetscInt64_FMT " points has %" PetscInt64_FMT " connected components (separate clusters): increase -dmap_neighbors, or map the clusters separately", dm->k, dm->N, dm->ncomp_graph);
  }
  thr = dm->eps * PetscLogReal(1.0 / DBL_EPSILON); /* exp(-d2/eps) >= 2^-52 */
  PetscCall(UmbDmapComponents(dm, thr, &dm->ncomp_eps));
  PetscCheck(dm->ncomp_eps == 1, dm->comm, PETSC_ERR_USER_INPUT, "eps = %.6g%s is too small: the kernel graph falls apart into %" PetscInt64_FMT " connected components (kernel values exp(-d^2/eps) below 2.2e-16 count as missing edges); %s", (double)dm->eps, dm->eps_opt > 0 ? " (-dmap_eps)" : " (chosen automatically)", dm->ncomp_eps, dm->eps_opt > 0 ? "increase -dmap_eps or use -dmap_eps auto" : "give a larger -dmap_eps (the automatic choices are in the log above)");

  PetscCall(PetscLogEventBegin(UMB_EVENT.dmap_kernel, 0, 0, 0, 0));
  PetscCall(PetscMalloc2(dm->nloc + 1, &dnz, dm->nloc + 1, &onz));
  for (PetscInt i = 0; i < dm->nloc; i++) {
    dnz[i] = onz[i] = 0;
    for (PetscInt t = dm->nbr_off[i]; t < dm->nbr_off[i + 1]; t++) {
      if (dm->nbr_col[t] >= r0 && dm->nbr_col[t] < r1) dnz[i]++;
      else onz[i]++;
    }
    maxrow = PetscMax(maxrow, dm->nbr_off[i + 1] - dm->nbr_off[i]);
  }
  PetscCall(MatCreateAIJ(dm->comm, dm->nloc, dm->nloc, (PetscInt)dm->N, (PetscInt)dm->N, 0, dnz, 0, onz, &K));
  PetscCall(MatSetOption(K, MAT_NO_OFF_PROC_ENTRIES, PETSC_TRUE));
  PetscCall(MatSetOption(K, MAT_SYMMETRIC, PETSC_TRUE));
  PetscCall(PetscMalloc2(maxrow + 1, &cols, maxrow + 1, &vals));
  PetscCall(PetscFree3(dm->q, dm->g, dm->deg));
  PetscCall(PetscMalloc3(dm->nloc + 1, &dm->q, dm->nloc + 1, &dm->g, dm->nloc + 1, &dm->deg));
  PetscCall(PetscIntCast(r0, &row0));
  for (PetscInt i = 0; i < dm->nloc; i++) {
    PetscInt  len = dm->nbr_off[i + 1] - dm->nbr_off[i], row = row0 + i;
    PetscReal q   = 0;
    for (PetscInt t = 0; t < len; t++) {
      PetscInt64 c = dm->nbr_col[dm->nbr_off[i] + t];
      cols[t]      = (PetscInt)c;
      vals[t]      = PetscExpReal(-dm->nbr_d2[dm->nbr_off[i] + t] / dm->eps);
      q += vals[t]; /* in column order, so q does not depend on the rank count */
    }
    dm->q[i] = q;
    dm->g[i] = PetscPowReal(q, -dm->alpha) * (dm->alpha < 1 ? PetscPowReal(dm->w[i], 1 - dm->alpha) : 1);
    PetscCall(MatSetValues(K, 1, &row, len, cols, vals, INSERT_VALUES));
  }
  PetscCall(MatAssemblyBegin(K, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(K, MAT_FINAL_ASSEMBLY));
  /* D_i = g_i (K g)_i */
  PetscCall(MatCreateVecs(K, &vg, &vk));
  PetscCall(VecGetArray(vg, &a));
  for (PetscInt i = 0; i < dm->nloc; i++) a[i] = dm->g[i];
  PetscCall(VecRestoreArray(vg, &a));
  PetscCall(MatMult(K, vg, vk));
  PetscCall(VecGetArray(vk, &a));
  for (PetscInt i = 0; i < dm->nloc; i++) {
    dm->deg[i] = dm->g[i] * PetscRealPart(a[i]);
    a[i]       = dm->g[i] / PetscSqrtReal(dm->deg[i]);
  }
  PetscCall(VecRestoreArray(vk, &a));
  PetscCall(MatDiagonalScale(K, vk, vk));
  PetscCall(VecDestroy(&vg));
  PetscCall(VecDestroy(&vk));
  PetscCall(PetscFree2(cols, vals));
  PetscCall(PetscFree2(dnz, onz));
  PetscCall(PetscLogEventEnd(UMB_EVENT.dmap_kernel, 0, 0, 0, 0));
  *Sout = K;
  PetscFunctionReturn(PETSC_SUCCESS);
}
