/* The MBAR kernel: passes over the local points with log-sum-exp (max shift per point), the
   reductions of the K-vector S and the K x K matrix PP (the only communication), and the solver:
   self-consistent sweeps, then PETSc TAO (Newton with the exact Hessian, or LMVM) on
   PETSC_COMM_SELF on every rank, with callbacks whose sums are reduced over the kernel's
   communicator. The reduced sums are formed on rank 0 and broadcast, so every rank sees the same
   numbers and takes the same iterations.

   exp() cutoff: in sum_k exp(a_k - a_max) the terms with a_k < a_max - cut, cut = 64 ln 2 + ln K,
   are skipped. Together they are below 2^-64 of the largest term (which is 1), i.e. below 1/2048
   of the rounding unit of the sum, so the skipped terms cannot change the double-precision sum
   beyond its own last-bit rounding (see docs/fes.md; tests/t302 compares with cut = 745, where
   exp() underflows to zero). */
#include <umbra/private/fesimpl.h>
#include <umbra/private/fesexp.h>
#include <petscblaslapack.h>

#define UMB_PAIR_EPS 8.673617379884035e-19 /* 2^-60: p_nk p_nl pairs below this in either factor are not accumulated */
#define UMB_CHECK_EPS 1e-8  /* for the connectivity check before the solver: overlap entries > 1e-12 need pairs above 1e-8 */
#define UMB_HESS_EPS 1e-10                 /* the same for the Newton Hessian of the solver: an O(K 1e-10) relative
                                              error in the Hessian only changes the step, not the solution */
#define UMB_FINAL_GUESS 1e-6 /* a Newton pass after one with max_k |sum_n W_nk - 1| below this is expected to be the last */
/* Equally spaced windows (see UmbMbar): their terms are products T_k r^j whose factors stay within
   [e^-520, e^80] (no overflow, no subnormals), so a row needs A_k <= UMB_UNI_AMAX, a point
   J |L| <= UMB_UNI_LMAX, and T_k = 0 below A_k = -UMB_UNI_TZERO (such terms are far below the
   cutoff). The spacing may deviate from equal by what changes an exponent by UMB_UNI_SPACING at
   most. Per term the relative error is below that plus 64 units of 2^-52 (tests/t312). */
#define UMB_REP_VECS  4                     /* vectors of 8 replicas summed together in registers */
#define UMB_REP_CHUNK (8 * UMB_REP_VECS)
#define UMB_REP_BLOCK 32 /* points whose products with the replicas' q are summed per window at once */
#define UMB_UNI_AMAX    40.0
#define UMB_UNI_LMAX    40.0
#define UMB_UNI_TZERO   400.0
#define UMB_UNI_SPACING 1e-14

PetscErrorCode UmbMbarCreate(MPI_Comm comm, PetscInt K, PetscInt d, const PetscReal center[], const PetscReal h[], const PetscReal period[], UmbMbar **out)
{
  UmbMbar *mb;

  PetscFunctionBegin;
  PetscCall(PetscNew(&mb));
  mb->comm   = comm;
  mb->K      = K;
  mb->d      = d;
  mb->center = center;
  mb->h      = h;
  for (PetscInt a = 0; a < d; a++) mb->period[a] = period ? period[a] : 0;
  PetscCallMPI(MPI_Comm_rank(comm, &mb->rank));
  mb->cut    = 64 * 0.69314718055994530942 + PetscLogReal((PetscReal)K);
  mb->banded   = (PetscBool)(d == 1 && mb->period[0] <= 0);
  mb->pair_eps = UMB_PAIR_EPS;
  mb->hmin   = PETSC_MAX_REAL;
  for (PetscInt k = 0; k < K && mb->banded; k++) {
    if (h[k] <= 0 || (k > 0 && !(center[k] > center[k - 1]))) mb->banded = PETSC_FALSE;
    mb->hmin = PetscMin(mb->hmin, h[k]);
  }
  PetscCall(PetscMalloc7(K, &mb->g, K, &mb->a, K, &mb->S, K, &mb->Sg, K, &mb->pv, K, &mb->idx, K, &mb->flast));
  PetscCall(PetscMalloc2(K, &mb->Nk, K, &mb->lnNk));
  PetscCall(PetscMalloc2((size_t)K * K, &mb->PP, (size_t)K * K, &mb->PPcheck));
  PetscCall(PetscMalloc1(2 * (1 + K + (size_t)K * (K + 1) / 2), &mb->buf));
  if (mb->banded) PetscCall(PetscMalloc4((size_t)UMB_MBAR_BLOCK * K, &mb->blk, (size_t)UMB_MBAR_BLOCK * K, &mb->blkx, UMB_MBAR_BLOCK, &mb->blo, UMB_MBAR_BLOCK, &mb->bhi));
  if (mb->banded && K >= 2) { /* equally spaced, one h: the exponent's error from unequal spacing is 2 h |c_k - c_k0 - j delta| |t| <= 4 h dev tmax */
    PetscReal dev = 0;
    PetscBool same = PETSC_TRUE;
    mb->delta = (center[K - 1] - center[0]) / (K - 1);
    mb->hu    = h[0];
    mb->tmax  = 0.5 * mb->delta * (1 + 1e-9);
    for (PetscInt k = 0; k < K; k++) {
      dev = PetscMax(dev, PetscAbsReal(center[k] - (center[0] + k * mb->delta)));
      if (h[k] != h[0]) same = PETSC_FALSE;
    }
    mb->uniform = (PetscBool)(same && 4 * mb->hu * dev * mb->tmax <= UMB_UNI_SPACING);
  }
  if (mb->uniform) {
    PetscCall(PetscMalloc4(K, &mb->trow, K, &mb->tJ, K, &mb->tok, K, &mb->mrow));
  }
  *out = mb;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbMbarSetCutoff(UmbMbar *mb, PetscReal cut)
{
  PetscFunctionBegin;
  mb->cut = cut;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbMbarSetUniformPath(UmbMbar *mb, PetscBool on)
{
  PetscFunctionBegin;
  mb->uniform_off = (PetscBool)!on;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbMbarSetPoints(UmbMbar *mb, PetscInt ngroups, const PetscInt64 gptr[], const PetscReal z[], const PetscReal m[])
{
  PetscFunctionBegin;
  mb->ngroups = ngroups;
  mb->gptr    = gptr;
  mb->z       = z;
  mb->m       = m;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbMbarSetCounts(UmbMbar *mb, const PetscReal Nk[])
{
  PetscFunctionBegin;
  mb->Ntot = 0;
  for (PetscInt k = 0; k < mb->K; k++) {
    PetscCheck(Nk[k] > 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "window %" PetscInt_FMT " has no samples", k);
    mb->Nk[k]   = Nk[k];
    mb->lnNk[k] = PetscLogReal(Nk[k]);
    mb->Ntot += Nk[k];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbMbarDestroy(UmbMbar **mbp)
{
  UmbMbar *mb = *mbp;

  PetscFunctionBegin;
  if (!mb) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree7(mb->g, mb->a, mb->S, mb->Sg, mb->pv, mb->idx, mb->flast));
  PetscCall(PetscFree2(mb->Nk, mb->lnNk));
  PetscCall(PetscFree2(mb->PP, mb->PPcheck));
  PetscCall(PetscFree(mb->buf));
  PetscCall(PetscFree4(mb->blk, mb->blkx, mb->blo, mb->bhi));
  PetscCall(PetscFree4(mb->trow, mb->tJ, mb->tok, mb->mrow));
  PetscCall(PetscFree(mb->tT));
  PetscCall(PetscFree(mb->mom));
  PetscCall(PetscFree(*mbp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Reduced bias of window k at z */
UMB_FES_INLINE PetscReal Bias(const UmbMbar *mb, PetscInt k, const PetscReal *z)
{
  PetscReal u = 0;
  for (PetscInt a = 0; a < mb->d; a++) {
    const PetscReal dz = UmbMinimumImage(z[a] - mb->center[k * mb->d + a], mb->period[a]);
    u += mb->h[k * mb->d + a] * dz * dz;
  }
  return u;
}

/* sum of x[0..n) in an order that does not depend on the vector width: eight interleaved partial
   sums (the compiler vectorises the blocks of eight), combined pairwise */
UMB_FES_INLINE PetscReal SumFixed(const PetscReal *x, PetscInt n)
{
  PetscReal p[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  PetscInt  i    = 0;
  for (; i + 8 <= n; i += 8)
    for (PetscInt j = 0; j < 8; j++) p[j] += x[i + j];
  for (; i < n; i++) p[i & 7] += x[i];
  return ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
}

/* max of x[0..n), n >= 1, the same way */
UMB_FES_INLINE PetscReal MaxFixed(const PetscReal *x, PetscInt n)
{
  PetscReal p[8];
  PetscInt  i = 0;
  for (PetscInt j = 0; j < 8; j++) p[j] = x[0];
  for (; i + 8 <= n; i += 8)
    for (PetscInt j = 0; j < 8; j++) p[j] = x[i + j] > p[j] ? x[i + j] : p[j];
  for (; i < n; i++) p[0] = x[i] > p[0] ? x[i] : p[0];
  for (PetscInt j = 1; j < 8; j++) p[0] = p[j] > p[0] ? p[j] : p[0];
  return p[0];
}

/* the first k in [0, K) with c_k > x (strict) or c_k >= x, K if none; c increasing */
UMB_FES_INLINE PetscInt FirstAbove(const PetscReal *c, PetscInt K, PetscReal x, PetscBool strict)
{
  PetscInt lo = 0, n = K;
  while (n > 0) {
    const PetscInt half = n / 2;
    if (strict ? c[lo + half] <= x : c[lo + half] < x) {
      lo += half + 1;
      n -= half + 1;
    } else n = half;
  }
  return lo;
}

/* equally spaced windows take the products (not turned off for tests) */
UMB_FES_INLINE PetscBool UniformOn(const UmbMbar *mb)
{
  return (PetscBool)(mb->uniform && !mb->uniform_off);
}

/* A point near window k0 of equally spaced windows: fills a[lo..hi] with exp(x_k), x_k = A_k +
   (k - k0) L = a_k - a_k0, by the row's T_k times powers of r = exp(L): r^0..r^7 and a running
   factor r^(8 i) that starts at r^(lo - k0). The terms are relative to the nearest window's (x_k0
   = 0), not to the largest: with A_k <= UMB_UNI_AMAX, J |L| <= UMB_UNI_LMAX and T_k = 0 below
   -UMB_UNI_TZERO they lie within [e^-440, e^80], so no maximum is searched and every term of the
   row is summed (none can overflow or turn subnormal). */
UMB_FES_INLINE void UniformTerms(UmbMbar *mb, PetscInt k0, PetscInt lo, PetscInt hi, PetscReal L)
{
  const PetscInt   J = mb->tJ[k0], n = hi - lo + 1;
  const PetscReal *T = mb->tT + mb->trow[k0] + J - k0;
  PetscReal       *a = mb->a + lo, p[8], r8, rb;

  p[0] = 1;
  p[1] = PetscExpReal(L);
  p[2] = p[1] * p[1];
  p[3] = p[2] * p[1];
  p[4] = p[2] * p[2];
  p[5] = p[4] * p[1];
  p[6] = p[4] * p[2];
  p[7] = p[4] * p[3];
  r8   = p[4] * p[4];
  rb   = PetscExpReal((lo - k0) * L);
  for (PetscInt j = 0; j < 8; j++) mb->up[j] = p[j];
  mb->ur8 = r8;
  mb->uL  = L;
  mb->uk0 = k0;
  for (PetscInt i0 = 0; i0 < n; i0 += 8, rb *= r8) {
    const PetscInt   m  = PetscMin(8, n - i0);
    const PetscReal *tb = T + lo + i0;
    for (PetscInt j = 0; j < m; j++) a[i0 + j] = tb[j] * (p[j] * rb);
  }
}

/* The last point's (UniformTerms) pair sums with multiplicity wm and sum of terms s: its moments
   wm s^-2 r^i, i in [-2J, 2J], by the same powers */
UMB_FES_INLINE void UniformMoments(UmbMbar *mb, PetscReal wm, PetscReal s)
{
  const PetscInt   J = mb->tJ[mb->uk0], n = 4 * J + 1;
  const PetscReal *p = mb->up;
  PetscReal       *M  = mb->mom + mb->mrow[mb->uk0], rb = wm / (s * s) * PetscExpReal(-2 * J * mb->uL);

  for (PetscInt i0 = 0; i0 < n; i0 += 8, rb *= mb->ur8) {
    const PetscInt m = PetscMin(8, n - i0);
    for (PetscInt j = 0; j < m; j++) M[i0 + j] += p[j] * rb;
  }
}

/* PP_kl += T_k T_l M_(k + l - 2 k0) for every row (upper triangle, row-major) */
static void UniformFold(const UmbMbar *mb, PetscReal P[])
{
  const PetscInt K = mb->K;

  for (PetscInt k0 = 0; k0 < K; k0++) {
    const PetscInt   J = mb->tJ[k0], lo = PetscMax(0, k0 - J), hi = PetscMin(K - 1, k0 + J);
    const PetscReal *T = mb->tT + mb->trow[k0] + J - k0, *M = mb->mom + mb->mrow[k0] + 2 * J - 2 * k0;
    for (PetscInt i = lo; i <= hi; i++)
      for (PetscInt j = i; j <= hi; j++) P[(size_t)i * K + j] += T[i] * T[j] * M[i + j];
  }
}

/* One point: fills a[lo..hi] with exp(a_k - a_max) (0 for skipped terms), returns their sum s,
   a_max (if pamax) and ln sum_k N_k exp(f_k - u_k(z)) = a_max + ln s. g holds f_k + ln N_k, gmax its maximum.
   hint (banded windows): the previous point's nearest window and band, {0, -1, -1} for none. */
UMB_FES_INLINE PetscReal PointTerms(UmbMbar *mb, const PetscReal *zn, PetscReal gmax, PetscInt *hint, PetscInt *plo, PetscInt *phi, PetscReal *ps, PetscReal *pamax)
{
  const PetscReal *g = mb->g, cut = mb->cut;
  PetscReal       *a = mb->a, amax = PETSC_MIN_REAL, s = 0;
  PetscInt         lo = 0, hi = mb->K - 1;

  mb->uk0 = -1;
  if (UniformOn(mb)) {
    /* equally spaced windows: the nearest centre by division, the band the whole row (every
       term summed), no walk, no square root */
    const PetscReal u = (zn[0] - mb->center[0]) / mb->delta;
    if (u > -0.5 && u < mb->K - 0.5) {
      const PetscInt  k0 = (PetscInt)(u + 0.5), J = mb->tJ[k0];
      const PetscReal t = zn[0] - mb->center[k0], L = 2 * mb->hu * mb->delta * t;
      if (mb->tok[k0] && PetscAbsReal(t) <= mb->tmax && PetscAbsReal(L) * J <= UMB_UNI_LMAX) {
        lo      = PetscMax(0, k0 - J);
        hi      = PetscMin(mb->K - 1, k0 + J);
        amax    = g[k0] - mb->hu * t * t; /* a_k0, to which the terms are relative */
        UniformTerms(mb, k0, lo, hi, L);
        hint[0] = k0;
        mb->nuniform++;
        goto sum;
      }
    }
  }
  if (mb->banded) {
    /* windows farther than R from z cannot reach a_max - cut: a_k <= gmax - hmin (z - c_k)^2.
       The nearest centre is found by walking from the previous point's (points come window by
       window, so the walk is short). */
    const PetscReal *c = mb->center, *h = mb->h, z = zn[0];
    PetscInt         k0 = hint[0];
    PetscReal        a0, R2, R;
    while (k0 > 0 && z < 0.5 * (c[k0 - 1] + c[k0])) k0--;
    while (k0 < mb->K - 1 && z > 0.5 * (c[k0] + c[k0 + 1])) k0++;
    hint[0] = k0;
    a0    = g[k0] - h[k0] * (z - c[k0]) * (z - c[k0]);
    R2    = (gmax - a0 + cut) / mb->hmin;
    R     = PetscSqrtReal(R2) * (1 + 1e-12);
    if (hint[1] < 0) { /* the first point of a group: by bisection (tens of windows within reach) */
      lo = FirstAbove(c, mb->K, z - R, PETSC_FALSE);
      hi = FirstAbove(c, mb->K, z + R, PETSC_TRUE) - 1;
    } else { /* from the previous point's band: a few steps at most */
      lo = hint[1];
      hi = hint[2];
      while (lo > 0 && c[lo - 1] >= z - R) lo--;
      while (lo < mb->K && c[lo] < z - R) lo++;
      while (hi < mb->K - 1 && c[hi + 1] <= z + R) hi++;
      while (hi >= 0 && c[hi] > z + R) hi--;
    }
    hint[1] = lo;
    hint[2] = hi;
    lo      = PetscMin(k0, lo);
    hi      = PetscMax(k0, hi);
    for (PetscInt k = lo; k <= hi; k++) a[k] = g[k] - h[k] * (z - c[k]) * (z - c[k]);
    amax = MaxFixed(a + lo, hi - lo + 1);
  } else {
    for (PetscInt k = 0; k < mb->K; k++) {
      a[k] = g[k] - Bias(mb, k, zn);
      amax = PetscMax(amax, a[k]);
    }
  }
  for (PetscInt k = lo; k <= hi; k++) { /* vectorised: UmbExpNeg has no branches */
    const PetscReal e = a[k] - amax, v = UmbExpNeg(e);
    a[k] = e >= -cut ? v : 0;
  }
sum:
  s = SumFixed(a + lo, hi - lo + 1);
  *plo = lo;
  *phi = hi;
  *ps  = s;
  if (pamax) *pamax = amax;
  return amax + PetscLogReal(s);
}

/* The rows of equally spaced windows for the g of this pass. A row reaches as far as the band of
   any point within tmax of c_k0 can: a_k0 >= g_k0 - h tmax^2 bounds the band's radius R, and
   |c_k - c_k0| <= R + tmax. */
static PetscErrorCode UniformRows(UmbMbar *mb, PetscReal gmax)
{
  const PetscInt   K = mb->K;
  const PetscReal *g = mb->g, *c = mb->center, hu = mb->hu;
  size_t           need = 0, mneed = 0;

  PetscFunctionBegin;
  for (PetscInt k0 = 0; k0 < K; k0++) {
    const PetscReal R = PetscSqrtReal((gmax - g[k0] + hu * mb->tmax * mb->tmax + mb->cut) / hu) * (1 + 1e-12);
    const PetscReal J = (R + mb->tmax) / mb->delta * (1 + 1e-9) + 1;
    mb->tJ[k0]   = J < K - 1 ? (PetscInt)J : K - 1;
    mb->trow[k0] = (PetscInt)need;
    mb->mrow[k0] = (PetscInt)mneed;
    need += 2 * (size_t)mb->tJ[k0] + 1;
    mneed += 4 * (size_t)mb->tJ[k0] + 1;
  }
  if (mneed > mb->mcap) {
    PetscCall(PetscFree(mb->mom));
    PetscCall(PetscMalloc1(mneed, &mb->mom));
    mb->mcap = mneed;
  }
  if (need > mb->tcap) {
    PetscCall(PetscFree(mb->tT));
    PetscCall(PetscMalloc1(need, &mb->tT));
    mb->tcap = need;
  }
  for (PetscInt k0 = 0; k0 < K; k0++) {
    const PetscInt J = mb->tJ[k0];
    PetscReal     *T = mb->tT + mb->trow[k0] + J - k0;
    mb->tok[k0]      = PETSC_TRUE;
    for (PetscInt k = PetscMax(0, k0 - J); k <= PetscMin(K - 1, k0 + J); k++) {
      const PetscReal dc = c[k] - c[k0], A = g[k] - g[k0] - hu * dc * dc;
      T[k] = A < -UMB_UNI_TZERO ? 0 : PetscExpReal(A);
      if (!(A <= UMB_UNI_AMAX)) mb->tok[k0] = PETSC_FALSE;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* g_k = f_k + ln N_k for a pass at f, its maximum, and the rows of equally spaced windows */
static PetscErrorCode SetG(UmbMbar *mb, const PetscReal f[], PetscReal *gmax)
{
  PetscFunctionBegin;
  *gmax = PETSC_MIN_REAL;
  for (PetscInt k = 0; k < mb->K; k++) {
    mb->g[k] = f[k] + mb->lnNk[k];
    *gmax    = PetscMax(*gmax, mb->g[k]);
  }
  if (UniformOn(mb)) PetscCall(UniformRows(mb, *gmax));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The pair sums of the rows in the block (banded windows): PP += X X^T over the block's band of
   windows, X (band x rows) the rows p_nk sqrt(m_n) (0 outside each row's own band), by one BLAS
   dsyrk into the upper triangle of the row-major PP (the lower one of its column-major view). */
static PetscErrorCode BlockFlush(UmbMbar *mb, PetscReal P[])
{
  const PetscInt K = mb->K, nr = mb->nblk;
  PetscInt       clo = K, chi = -1, bw;
  PetscBLASInt   n, k, lda, ldc;
  const PetscReal one = 1;

  PetscFunctionBegin;
  if (!nr) PetscFunctionReturn(PETSC_SUCCESS);
  for (PetscInt i = 0; i < nr; i++) {
    clo = PetscMin(clo, mb->blo[i]);
    chi = PetscMax(chi, mb->bhi[i]);
  }
  bw = chi - clo + 1;
  for (PetscInt i = 0; i < nr; i++) { /* each row's band, zeros on either side of it */
    PetscReal *x = mb->blkx + (size_t)i * bw;
    PetscCall(PetscArrayzero(x, mb->blo[i] - clo));
    PetscCall(PetscArraycpy(x + (mb->blo[i] - clo), mb->blk + (size_t)i * K + mb->blo[i], mb->bhi[i] - mb->blo[i] + 1));
    PetscCall(PetscArrayzero(x + (mb->bhi[i] - clo) + 1, chi - mb->bhi[i]));
  }
  PetscCall(PetscBLASIntCast(bw, &n));
  PetscCall(PetscBLASIntCast(nr, &k));
  lda = n;
  PetscCall(PetscBLASIntCast(K, &ldc));
  PetscCallBLAS("BLASsyrk", BLASsyrk_("L", "N", &n, &k, &one, mb->blkx, &lda, &one, P + (size_t)clo * K + clo, &ldc));
  mb->nblk = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Sum over ranks, formed on rank 0 and broadcast so that every rank holds the same bits */
static PetscErrorCode ReduceSame(MPI_Comm comm, PetscReal *in, PetscReal *out, PetscMPIInt n)
{
  PetscMPIInt size;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  if (size == 1) {
    PetscCall(PetscArraycpy(out, in, n));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCallMPI(MPI_Reduce(in, out, n, MPIU_REAL, MPI_SUM, 0, comm));
  PetscCallMPI(MPI_Bcast(out, n, MPIU_REAL, 0, comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

UMB_FES_SIMD PetscErrorCode UmbMbarPass(UmbMbar *mb, const PetscReal f[], PetscReal *obj, PetscReal S[], PetscReal PP[])
{
  const PetscInt   K = mb->K, d = mb->d;
  const size_t     npp  = PP ? (size_t)K * (K + 1) / 2 : 0;
  PetscReal        gmax, osum = 0, ocomp = 0, *in = mb->buf, *out = mb->buf + 1 + K + npp;
  PetscReal       *a = mb->a, *Sg = mb->Sg, *pv = mb->pv, *P = mb->PP;
  PetscInt        *idx = mb->idx;
  const PetscBool  mom = (PetscBool)(PP && UniformOn(mb));

  PetscFunctionBegin;
  PetscCall(SetG(mb, f, &gmax));
  PetscCall(PetscArrayzero(mb->S, K));
  if (PP) PetscCall(PetscArrayzero(P, (size_t)K * K));
  if (mom) PetscCall(PetscArrayzero(mb->mom, mb->mrow[K - 1] + 4 * mb->tJ[K - 1] + 1));
  for (PetscInt grp = 0; grp < mb->ngroups; grp++) {
    PetscInt hint[3] = {0, -1, -1};
    PetscCall(PetscArrayzero(Sg, K));
    for (PetscInt64 n = mb->gptr[grp]; n < mb->gptr[grp + 1]; n++) {
      const PetscReal wm = mb->m ? mb->m[n] : 1.0;
      PetscReal       s, l, c, t;
      PetscInt        lo, hi;
      if (wm == 0) continue;
      l = PointTerms(mb, mb->z + n * d, gmax, hint, &lo, &hi, &s, NULL);
      if (mb->lse) mb->lse[n] = l;
      /* Neumaier summation of the objective: it is compared at round-off level by the line search */
      t = osum + wm * l;
      ocomp += PetscAbsReal(osum) >= PetscAbsReal(wm * l) ? (osum - t) + wm * l : (wm * l - t) + osum;
      osum = t;
      c    = wm / s;
      for (PetscInt k = lo; k <= hi; k++) Sg[k] += c * a[k];
      if (mom && mb->uk0 >= 0) UniformMoments(mb, wm, s);
      else if (PP && mb->banded) { /* contiguous windows: rows of a block for one BLAS rank update */
        const PetscReal thr = s * mb->pair_eps, sc = PetscSqrtReal(wm) / s;
        PetscReal      *row = mb->blk + (size_t)mb->nblk * K;
        PetscInt        k0 = lo, k1 = hi;
        while (k0 < k1 && !(a[k0] > thr)) k0++;
        while (k1 > k0 && !(a[k1] > thr)) k1--;
        for (PetscInt k = k0; k <= k1; k++) row[k] = a[k] > thr ? a[k] * sc : 0;
        mb->blo[mb->nblk]   = k0;
        mb->bhi[mb->nblk++] = k1;
        if (mb->nblk == UMB_MBAR_BLOCK) PetscCall(BlockFlush(mb, P));
      } else if (PP) {
        const PetscReal thr = s * mb->pair_eps, inv = 1 / s;
        PetscInt        ni  = 0;
        for (PetscInt k = lo; k <= hi; k++)
          if (a[k] > thr) {
            idx[ni]  = k;
            pv[ni++] = a[k] * inv;
          }
        for (PetscInt i = 0; i < ni; i++) {
          const PetscReal ci  = wm * pv[i];
          PetscReal      *row = P + (size_t)idx[i] * K;
          for (PetscInt j = i; j < ni; j++) row[idx[j]] += ci * pv[j];
        }
      }
    }
    if (PP && mb->banded) PetscCall(BlockFlush(mb, P));
    for (PetscInt k = 0; k < K; k++) mb->S[k] += Sg[k];
  }
  if (mom) UniformFold(mb, P);
  in[0] = osum + ocomp;
  PetscCall(PetscArraycpy(in + 1, mb->S, K));
  if (PP) {
    size_t q = 1 + K;
    for (PetscInt i = 0; i < K; i++)
      for (PetscInt j = i; j < K; j++) in[q++] = P[(size_t)i * K + j];
  }
  PetscCall(ReduceSame(mb->comm, in, out, (PetscMPIInt)(1 + K + npp)));
  *obj = out[0];
  for (PetscInt k = 0; k < K; k++) *obj -= mb->Nk[k] * f[k];
  PetscCall(PetscArraycpy(S, out + 1, K));
  if (PP) {
    size_t q = 1 + K;
    for (PetscInt i = 0; i < K; i++)
      for (PetscInt j = i; j < K; j++, q++) PP[(size_t)i * K + j] = PP[(size_t)j * K + i] = out[q];
  }
  PetscCall(PetscArraycpy(mb->flast, f, K));
  mb->npass++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

UMB_FES_SIMD PetscErrorCode UmbMbarBinSums(UmbMbar *mb, const PetscReal f[], const PetscInt bin[], PetscInt B, PetscReal shift, PetscReal wsum[], PetscReal G[], PetscReal w2[])
{
  const PetscInt  K = mb->K, d = mb->d;
  PetscReal       gmax, *loc;

  PetscFunctionBegin;
  PetscCall(SetG(mb, f, &gmax));
  PetscCall(PetscCalloc1((size_t)B * (K + 2), &loc));
  PetscInt        hint[3] = {0, -1, -1};

  for (PetscInt64 n = 0; n < mb->gptr[mb->ngroups]; n++) {
    const PetscReal wm = mb->m ? mb->m[n] : 1.0;
    PetscReal       s, l, w, c;
    PetscInt        lo, hi, b = bin[n];
    if (wm == 0 || b < 0) continue;
    l = PointTerms(mb, mb->z + n * d, gmax, hint, &lo, &hi, &s, NULL);
    w = PetscExpReal(-l - shift);
    loc[b] += wm * w;
    loc[B + b] += wm * w * w;
    c = wm * w / s;
    for (PetscInt k = lo; k <= hi; k++) loc[2 * B + (size_t)b * K + k] += c * mb->a[k];
  }
  {
    PetscReal *out;
    PetscCall(PetscMalloc1((size_t)B * (K + 2), &out));
    PetscCallMPI(MPI_Allreduce(loc, out, (PetscMPIInt)((size_t)B * (K + 2)), MPIU_REAL, MPI_SUM, mb->comm));
    PetscCall(PetscArraycpy(wsum, out, B));
    PetscCall(PetscArraycpy(w2, out + B, B));
    PetscCall(PetscArraycpy(G, out + 2 * B, (size_t)B * K));
    PetscCall(PetscFree(out));
  }
  PetscCall(PetscFree(loc));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- many replicas in one pass ---------------------------------------------------------------
   Replica r has multiplicities m_nr and free energies f^r = fbase + d^r. With a_nk = N_k exp(fbase_k
   - u_kn - amax_n) (the terms of a pass at fbase) and E_kr = exp(d^r_k), its terms are a_nk E_kr:
   one set of exponentials serves every replica, and the replicas cost 2 (windows in reach) R
   multiply-adds per point, vectorised over r: in blocks of UMB_REP_CHUNK replicas held in
   registers, sr_r = sum_k a_k E_kr per point, and S_kr += sum_i a_ik q_ir per block of
   UMB_REP_BLOCK points of one window (rows padded with exact zeros to the block's band). Every
   column is computed by the same element-wise operations in the same order whatever R and its
   place: a replica's numbers do not depend on the others in the batch. */
UMB_FES_SIMD PetscErrorCode UmbMbarReplicaPass(UmbMbar *mb, const PetscReal fbase[], PetscInt R, const PetscReal E[], UmbMbarMultFn mult, void *ctx, PetscReal M[], const PetscInt bin[], PetscInt B, PetscReal shift, PetscReal S[], PetscReal FB[])
{
  const PetscInt  K = mb->K, d = mb->d, C = UMB_REP_CHUNK, Rp = (R + C - 1) / C * C;
  const size_t    nS = (size_t)K * R, nF = bin ? (size_t)B * R : 0;
  PetscReal       gmax, *loc, *out, *Ep, *Sp, *Ab, *Qb, *a = mb->a;
  PetscInt        blo[UMB_REP_BLOCK], bhi[UMB_REP_BLOCK];

  PetscFunctionBegin;
  PetscCall(SetG(mb, fbase, &gmax));
  PetscCall(PetscCalloc2(2 * (nS + nF), &loc, (size_t)K * Rp, &Sp));
  PetscCall(PetscMalloc3((size_t)K * Rp, &Ep, (size_t)UMB_REP_BLOCK * K, &Ab, (size_t)UMB_REP_BLOCK * Rp, &Qb));
  out = loc + nS + nF;
  for (PetscInt k = 0; k < K; k++) /* padding columns: E = 1 (a positive sum), m = 0 (q = 0) */
    for (PetscInt r = 0; r < Rp; r++) Ep[(size_t)k * Rp + r] = r < R ? E[(size_t)k * R + r] : 1;
  for (PetscInt grp = 0; grp < mb->ngroups; grp++) {
    const PetscInt64 n0 = mb->gptr[grp], n1 = mb->gptr[grp + 1];
    PetscInt         hint[3] = {0, -1, -1};
    PetscCall(mult(ctx, grp, R, M));
    for (PetscInt64 nb0 = n0; nb0 < n1; nb0 += UMB_REP_BLOCK) {
      const PetscInt nb = (PetscInt)PetscMin(UMB_REP_BLOCK, n1 - nb0);
      PetscInt       ulo = K, uhi = -1;
      for (PetscInt i = 0; i < nb; i++) {
        const PetscInt64 n  = nb0 + i;
        const PetscReal *mn = M + (size_t)(n - n0) * R;
        PetscReal       *qi = Qb + (size_t)i * Rp, *ai = Ab + (size_t)i * K, s, amax;
        PetscInt         lo, hi;
        (void)PointTerms(mb, mb->z + n * d, gmax, hint, &lo, &hi, &s, &amax);
        blo[i] = lo;
        bhi[i] = hi;
        ulo    = PetscMin(ulo, lo);
        uhi    = PetscMax(uhi, hi);
        for (PetscInt k = lo; k <= hi; k++) ai[k] = a[k];
        for (PetscInt c = 0; c < Rp; c += C) { /* sr_r = sum_k a_k E_kr, k in order for every r; q = m / sr */
          UmbV8     acc[UMB_REP_VECS] = {{0}}, e;
          PetscReal mc[UMB_REP_CHUNK] = {0};
          for (PetscInt k = lo; k <= hi; k++)
            for (PetscInt v = 0; v < UMB_REP_VECS; v++) {
              UMB_V8_LOAD(e, Ep + (size_t)k * Rp + c + 8 * v);
              acc[v] += a[k] * e;
            }
          PetscCall(PetscArraycpy(mc, mn + c, PetscMin(C, R - c))); /* padding columns: m = 0 */
          for (PetscInt v = 0; v < UMB_REP_VECS; v++) {
            UMB_V8_LOAD(e, mc + 8 * v);
            e /= acc[v];
            UMB_V8_STORE(qi + c + 8 * v, e);
          }
        }
        if (bin && bin[n] >= 0) {
          const PetscReal w  = PetscExpReal(-amax - shift);
          PetscReal      *Fb = loc + nS + (size_t)bin[n] * R;
          for (PetscInt r = 0; r < R; r++) Fb[r] += qi[r] * w;
        }
      }
      for (PetscInt i = 0; i < nb; i++) { /* each row 0 outside its own band, over the block's */
        PetscReal *ai = Ab + (size_t)i * K;
        for (PetscInt k = ulo; k < blo[i]; k++) ai[k] = 0;
        for (PetscInt k = bhi[i] + 1; k <= uhi; k++) ai[k] = 0;
      }
      for (PetscInt k = ulo; k <= uhi; k++) /* S_kr += sum_i a_ik q_ir, i in order for every r */
        for (PetscInt c = 0; c < Rp; c += C) {
          UmbV8      acc[UMB_REP_VECS] = {{0}}, q;
          PetscReal *Sk     = Sp + (size_t)k * Rp + c;
          for (PetscInt i = 0; i < nb; i++)
            for (PetscInt v = 0; v < UMB_REP_VECS; v++) {
              UMB_V8_LOAD(q, Qb + (size_t)i * Rp + c + 8 * v);
              acc[v] += Ab[(size_t)i * K + k] * q;
            }
          for (PetscInt v = 0; v < UMB_REP_VECS; v++) {
            UMB_V8_LOAD(q, Sk + 8 * v);
            q += acc[v];
            UMB_V8_STORE(Sk + 8 * v, q);
          }
        }
    }
  }
  for (PetscInt k = 0; k < K; k++) PetscCall(PetscArraycpy(loc + (size_t)k * R, Sp + (size_t)k * Rp, R));
  PetscCall(ReduceSame(mb->comm, loc, out, (PetscMPIInt)(nS + nF)));
  for (size_t i = 0; i < nS; i++) S[i] = E[i] * out[i];
  if (bin) PetscCall(PetscArraycpy(FB, out + nS, nF));
  PetscCall(PetscFree2(loc, Sp));
  PetscCall(PetscFree3(Ep, Ab, Qb));
  mb->npass++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- solver ----------------------------------------------------------------------------- */

typedef struct {
  UmbMbar              *mb;
  const UmbMbarOptions *opt;
  PetscReal            *f, *S, *PP, *ycache;
  PetscBool             cached, hess_cached;
  PetscReal             gnorm, glast, eps; /* glast: max_k |S_k / N_k - 1| of the last pass, eps: its pair_eps */
  PetscErrorCode (*check)(void *, const PetscReal[]); /* still to be called with the first pass's pair sums */
  void *checkctx;
} SolveCtx;

static void ToF(SolveCtx *c, const PetscReal *y)
{
  c->f[0] = 0;
  for (PetscInt k = 1; k < c->mb->K; k++) c->f[k] = y[k - 1];
}

/* max_k |S_k / N_k - 1|, i.e. max_k |sum_n W_nk - 1| */
static PetscReal GradMeasure(const UmbMbar *mb, const PetscReal S[])
{
  PetscReal r = 0;
  for (PetscInt k = 0; k < mb->K; k++) r = PetscMax(r, PetscAbsReal(S[k] / mb->Nk[k] - 1));
  return r;
}

static PetscErrorCode FormObjGrad(Tao tao, Vec Y, PetscReal *obj, Vec G, void *ctx)
{
  SolveCtx          *c  = (SolveCtx *)ctx;
  UmbMbar           *mb = c->mb;
  const PetscReal   *y;
  PetscReal         *g, L;
  const PetscBool    newton = (PetscBool)(c->opt->solver == UMB_FES_NEWTON);

  PetscFunctionBegin;
  PetscCall(VecGetArrayRead(Y, &y));
  ToF(c, y);
  PetscCall(PetscArraycpy(c->ycache, y, mb->K - 1));
  PetscCall(VecRestoreArrayRead(Y, &y));
  /* near the solution (Newton converges quadratically: this pass is likely the last one) the pair
     sums are formed as the final pass needs them, which then is this pass */
  if (newton && mb->Sfin && c->glast <= UMB_FINAL_GUESS) mb->pair_eps = UMB_PAIR_EPS;
  c->eps = mb->pair_eps;
  PetscCall(PetscLogEventBegin(UMB_EVENT.fes_objgrad, 0, 0, 0, 0));
  PetscCall(UmbMbarPass(mb, c->f, &L, c->S, newton ? c->PP : NULL));
  PetscCall(PetscLogEventEnd(UMB_EVENT.fes_objgrad, 0, 0, 0, 0));
  mb->pair_eps   = UMB_HESS_EPS;
  if (c->check) { /* its pairs are those above UMB_HESS_EPS <= UMB_CHECK_EPS: all the check needs */
    PetscCall(c->check(c->checkctx, c->PP));
    c->check = NULL;
  }
  c->glast       = GradMeasure(mb, c->S);
  c->cached      = PETSC_TRUE;
  c->hess_cached = newton;
  *obj           = L / mb->Ntot;
  PetscCall(VecGetArray(G, &g));
  for (PetscInt k = 1; k < mb->K; k++) g[k - 1] = (c->S[k] - mb->Nk[k]) / mb->Ntot;
  PetscCall(VecRestoreArray(G, &g));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode FormHessian(Tao tao, Vec Y, Mat H, Mat Hpre, void *ctx)
{
  SolveCtx        *c  = (SolveCtx *)ctx;
  UmbMbar         *mb = c->mb;
  const PetscInt   n  = mb->K - 1;
  const PetscReal *y;
  PetscScalar     *h;
  PetscBool        same;

  PetscFunctionBegin;
  PetscCall(VecGetArrayRead(Y, &y));
  PetscCall(PetscArraycmp(y, c->ycache, n, &same));
  if (!same || !c->hess_cached) { /* not the point of the last objective: one more pass */
    PetscReal L;
    ToF(c, y);
    PetscCall(PetscArraycpy(c->ycache, y, n));
    PetscCall(PetscLogEventBegin(UMB_EVENT.fes_objgrad, 0, 0, 0, 0));
    PetscCall(UmbMbarPass(mb, c->f, &L, c->S, c->PP));
    PetscCall(PetscLogEventEnd(UMB_EVENT.fes_objgrad, 0, 0, 0, 0));
    c->glast       = GradMeasure(mb, c->S);
    c->eps         = mb->pair_eps;
    c->hess_cached = PETSC_TRUE;
  }
  PetscCall(VecRestoreArrayRead(Y, &y));
  PetscCall(PetscLogEventBegin(UMB_EVENT.fes_hess, 0, 0, 0, 0));
  PetscCall(MatDenseGetArray(H, &h));
  for (PetscInt j = 0; j < n; j++)
    for (PetscInt i = 0; i < n; i++) h[i + (size_t)j * n] = ((i == j ? c->S[i + 1] * (1 + 1e-12) : 0) - c->PP[(size_t)(i + 1) * mb->K + j + 1]) / mb->Ntot; /* 1e-12: keeps the Cholesky factorisation of a nearly singular Hessian alive */
  PetscCall(MatDenseRestoreArray(H, &h));
  PetscCall(MatAssemblyBegin(H, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(H, MAT_FINAL_ASSEMBLY));
  PetscCall(PetscLogEventEnd(UMB_EVENT.fes_hess, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ConvergenceTest(Tao tao, void *ctx)
{
  SolveCtx        *c  = (SolveCtx *)ctx;
  UmbMbar         *mb = c->mb;
  Vec              G;
  const PetscReal *g;
  PetscReal        r = 0, g0 = 0;
  PetscInt         its;

  PetscFunctionBegin;
  PetscCall(TaoGetGradient(tao, &G, NULL, NULL));
  PetscCall(VecGetArrayRead(G, &g));
  for (PetscInt k = 1; k < mb->K; k++) {
    const PetscReal gk = g[k - 1] * mb->Ntot;
    g0 -= gk; /* sum_k (S_k - N_k) = 0: the gauge window's gradient */
    r = PetscMax(r, PetscAbsReal(gk) / mb->Nk[k]);
  }
  r = PetscMax(r, PetscAbsReal(g0) / mb->Nk[0]);
  PetscCall(VecRestoreArrayRead(G, &g));
  PetscCall(TaoGetIterationNumber(tao, &its));
  c->gnorm = r;
  if (PetscIsInfOrNanReal(r)) PetscCall(TaoSetConvergedReason(tao, TAO_DIVERGED_NAN));
  else if (r <= c->opt->tol) PetscCall(TaoSetConvergedReason(tao, TAO_CONVERGED_USER));
  else if (its >= c->opt->max_it) PetscCall(TaoSetConvergedReason(tao, TAO_DIVERGED_MAXITS));
  else PetscCall(TaoSetConvergedReason(tao, TAO_CONTINUE_ITERATING));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbMbarSolve(UmbMbar *mb, const UmbMbarOptions *opt, PetscReal f[], UmbMbarInfo *info, PetscErrorCode (*check)(void *, const PetscReal[]), void *checkctx)
{
  const PetscInt K = mb->K;
  PetscInt64     pass0 = mb->npass;
  PetscReal     *S, L;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(info, sizeof(*info)));
  mb->fin = PETSC_FALSE;
  PetscCall(PetscMalloc1(K, &S));
  for (PetscInt k = 1; k < K; k++) f[k] -= f[0];
  f[0] = 0;
  /* self-consistent sweeps: f_k <- f_k - ln(S_k / N_k), which is the WHAM/MBAR fixed point */
  PetscCall(PetscLogEventBegin(UMB_EVENT.fes_sweep, 0, 0, 0, 0));
  if (K == 1) { /* nothing to solve: f_0 = 0 */
    PetscCall(UmbMbarPass(mb, f, &L, S, NULL));
    info->gnorm     = GradMeasure(mb, S);
    info->converged = PETSC_TRUE;
    info->reason    = TAO_CONVERGED_USER;
  }
  for (PetscInt s = 0; s < opt->sweeps && !info->converged; s++) {
    const PetscBool last = (PetscBool)(check && s == opt->sweeps - 1);
    if (last) mb->pair_eps = UMB_CHECK_EPS; /* the last sweep also gives the pair sums for the check */
    PetscCall(UmbMbarPass(mb, f, &L, S, last ? mb->PPcheck : NULL));
    mb->pair_eps = UMB_PAIR_EPS;
    if (last) PetscCall(check(checkctx, mb->PPcheck));
    info->gnorm = GradMeasure(mb, S);
    if (info->gnorm <= opt->tol) {
      info->converged = PETSC_TRUE;
      info->reason    = TAO_CONVERGED_USER;
      break;
    }
    for (PetscInt k = 0; k < K; k++) f[k] -= S[k] > 0 ? PetscLogReal(S[k] / mb->Nk[k]) : -700;
    for (PetscInt k = K - 1; k >= 0; k--) f[k] -= f[0];
    info->sweeps++;
  }
  if (check && !info->converged && opt->sweeps == 0 && opt->solver != UMB_FES_NEWTON) { /* no pass with pair sums to piggy-back on */
    mb->pair_eps = UMB_CHECK_EPS;
    PetscCall(UmbMbarPass(mb, f, &L, S, mb->PPcheck));
    mb->pair_eps = UMB_PAIR_EPS;
    PetscCall(check(checkctx, mb->PPcheck));
  }
  PetscCall(PetscLogEventEnd(UMB_EVENT.fes_sweep, 0, 0, 0, 0));
  if (!info->converged) {
    Tao       tao;
    Vec       Y;
    Mat       H = NULL;
    SolveCtx  c;
    PetscReal *y;

    PetscCall(PetscMemzero(&c, sizeof(c)));
    c.mb    = mb;
    c.opt   = opt;
    c.glast = PETSC_MAX_REAL;
    if (check && opt->sweeps == 0 && opt->solver == UMB_FES_NEWTON) { /* Newton's first pass sums the pairs: the check takes them */
      c.check    = check;
      c.checkctx = checkctx;
    }
    PetscCall(PetscMalloc4(K, &c.f, K, &c.S, (size_t)K * K, &c.PP, K, &c.ycache));
    PetscCall(VecCreateSeq(PETSC_COMM_SELF, K - 1, &Y));
    PetscCall(VecGetArray(Y, &y));
    for (PetscInt k = 1; k < K; k++) y[k - 1] = f[k];
    PetscCall(VecRestoreArray(Y, &y));
    PetscCall(TaoCreate(PETSC_COMM_SELF, &tao));
    PetscCall(TaoSetType(tao, opt->solver == UMB_FES_NEWTON ? TAONLS : TAOLMVM));
    PetscCall(TaoSetSolution(tao, Y));
    PetscCall(TaoSetObjectiveAndGradient(tao, NULL, FormObjGrad, &c));
    if (opt->solver == UMB_FES_NEWTON) {
      KSP ksp;
      PC  pc;
      PetscCall(MatCreateSeqDense(PETSC_COMM_SELF, K - 1, K - 1, NULL, &H));
      PetscCall(MatSetOption(H, MAT_SPD, PETSC_TRUE));
      PetscCall(TaoSetHessian(tao, H, H, FormHessian, &c));
      PetscCall(TaoGetKSP(tao, &ksp));
      PetscCall(KSPSetType(ksp, KSPPREONLY));
      PetscCall(KSPGetPC(ksp, &pc));
      PetscCall(PCSetType(pc, PCCHOLESKY));
    }
    PetscCall(TaoSetMaximumIterations(tao, opt->max_it));
    PetscCall(TaoSetMaximumFunctionEvaluations(tao, PETSC_MAX_INT));
    PetscCall(TaoSetConvergenceTest(tao, ConvergenceTest, &c));
    mb->pair_eps = UMB_HESS_EPS;
    PetscCall(TaoSolve(tao));
    mb->pair_eps = UMB_PAIR_EPS;
    PetscCall(TaoGetConvergedReason(tao, &info->reason));
    PetscCall(TaoGetIterationNumber(tao, &info->its));
    PetscCall(VecGetArray(Y, &y));
    for (PetscInt k = 1; k < K; k++) f[k] = y[k - 1];
    PetscCall(VecRestoreArray(Y, &y));
    info->gnorm     = c.gnorm;
    info->converged = (PetscBool)(info->reason == TAO_CONVERGED_USER && c.gnorm <= opt->tol);
    if (mb->Sfin && info->converged && c.hess_cached && c.eps == UMB_PAIR_EPS) { /* the last pass was at the solution? */
      PetscBool same;
      PetscCall(VecGetArray(Y, &y));
      PetscCall(PetscArraycmp(y, c.ycache, K - 1, &same));
      PetscCall(VecRestoreArray(Y, &y));
      if (same) {
        PetscCall(PetscArraycpy(mb->Sfin, c.S, K));
        PetscCall(PetscArraycpy(mb->PPfin, c.PP, (size_t)K * K));
        mb->fin = PETSC_TRUE;
      }
    }
    PetscCall(TaoDestroy(&tao));
    PetscCall(MatDestroy(&H));
    PetscCall(VecDestroy(&Y));
    PetscCall(PetscFree4(c.f, c.S, c.PP, c.ycache));
  }
  info->passes = (PetscInt)(mb->npass - pass0);
  PetscCall(PetscFree(S));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- asymptotic covariance ---------------------------------------------------------------- */

/* LAPACK's divide-and-conquer eigensolver, which PETSc does not wrap: at K = 400 windows dsyev's
   QR sweeps took a quarter of the stage */
extern void dsyevd_(const char *, const char *, const PetscBLASInt *, PetscReal *, const PetscBLASInt *, PetscReal *, PetscReal *, const PetscBLASInt *, PetscBLASInt *, const PetscBLASInt *, PetscBLASInt *);

/* Eigen-decomposition of a symmetric K x K matrix in place (columns of A become eigenvectors,
   eigenvalues ascending in w) */
static PetscErrorCode SymEig(PetscInt K, PetscReal A[], PetscReal w[])
{
  PetscBLASInt n, lwork = -1, liwork = -1, info, iq, *iwork;
  PetscReal   *work, wq;

  PetscFunctionBegin;
  PetscCall(PetscBLASIntCast(K, &n));
  PetscCallBLAS("LAPACKsyevd", dsyevd_("V", "U", &n, A, &n, w, &wq, &lwork, &iq, &liwork, &info));
  lwork  = (PetscBLASInt)wq;
  liwork = iq;
  PetscCall(PetscMalloc2(lwork, &work, liwork, &iwork));
  PetscCallBLAS("LAPACKsyevd", dsyevd_("V", "U", &n, A, &n, w, work, &lwork, iwork, &liwork, &info));
  PetscCall(PetscFree2(work, iwork));
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "LAPACK dsyevd failed (info %d)", (int)info);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* C = op(A) op(B) (K x K, column-major) by BLAS dgemm */
static PetscErrorCode Gemm(PetscInt K, const char *ta, const char *tb, const PetscReal A[], const PetscReal B[], PetscReal C[])
{
  PetscBLASInt    n;
  const PetscReal one = 1, zero = 0;

  PetscFunctionBegin;
  PetscCall(PetscBLASIntCast(K, &n));
  PetscCallBLAS("BLASgemm", BLASgemm_(ta, tb, &n, &n, &n, &one, A, &n, B, &n, &zero, C, &n));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* out = V diag(s) Mid diag(s) V^T (K x K; V, Mid column-major, out row-major), X, Y scratch */
static PetscErrorCode Congruence(PetscInt K, const PetscReal V[], const PetscReal s[], const PetscReal Mid[], PetscReal X[], PetscReal Y[], PetscReal out[])
{
  PetscFunctionBegin;
  for (PetscInt q = 0; q < K; q++)
    for (PetscInt i = 0; i < K; i++) Y[i + q * K] = V[i + q * K] * s[q]; /* V S */
  PetscCall(Gemm(K, "N", "N", Y, Mid, X));                                  /* V S Mid */
  PetscCall(Gemm(K, "N", "T", X, Y, out));                                  /* (V S Mid) (V S)^T */
  for (PetscInt i = 0; i < K; i++) /* column-major to row-major */
    for (PetscInt j = i + 1; j < K; j++) {
      const PetscReal t = out[i + j * K];
      out[i + j * K]    = out[j + i * K];
      out[j + i * K]    = t;
    }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* pymbar 3.1 _computeAsymptoticCovarianceMatrix, method 'svd-ew' (its default), and pinv with
   rcond 1e-10 as numpy.linalg.pinv. A = W^T W (K x K), N (K). Outputs Theta (K x K) and, if T is
   not NULL, T = V S^+ (pinv(M) - I) S^+ V^T with M = I - S V^T N V S, so that the covariance of
   extra (unsampled, N = 0) states with weight columns Wb is Wb^T Wb + G T G^T, G = Wb^T W. */
PetscErrorCode UmbFesCovariance(PetscInt K, const PetscReal A[], const PetscReal N[], PetscReal Theta[], PetscReal T[], PetscReal sv[])
{
  PetscReal *V, *s2, *M, *lam, *Mp, *X, *Y, smax = 0, lmax = 0;

  PetscFunctionBegin;
  PetscCall(PetscMalloc7((size_t)K * K, &V, K, &s2, (size_t)K * K, &M, K, &lam, (size_t)K * K, &Mp, (size_t)K * K, &X, (size_t)K * K, &Y));
  PetscCall(PetscArraycpy(V, A, (size_t)K * K));
  PetscCall(SymEig(K, V, s2)); /* V column-major: V[i + j K] = component i of eigenvector j */
  for (PetscInt j = 0; j < K; j++) {
    s2[j] = PetscSqrtReal(PetscMax(s2[j], 0)); /* singular values of W */
    smax  = PetscMax(smax, s2[j]);
  }
  if (sv) PetscCall(PetscArraycpy(sv, s2, K));
  /* M = I - S V^T N V S */
  for (PetscInt j = 0; j < K; j++)
    for (PetscInt k = 0; k < K; k++) Y[k + j * K] = N[k] * V[k + j * K];
  PetscCall(Gemm(K, "T", "N", V, Y, X));
  for (PetscInt i = 0; i < K; i++)
    for (PetscInt j = 0; j < K; j++) M[i + j * K] = (i == j ? 1 : 0) - s2[i] * X[i + j * K] * s2[j];
  PetscCall(SymEig(K, M, lam));
  for (PetscInt j = 0; j < K; j++) lmax = PetscMax(lmax, PetscAbsReal(lam[j]));
  /* Mp = pinv(M) = sum over the kept eigenpairs of m_q m_q^T / lam_q */
  for (PetscInt q = 0; q < K; q++) {
    const PetscReal iq = PetscAbsReal(lam[q]) <= 1e-10 * lmax ? 0 : 1 / lam[q];
    for (PetscInt i = 0; i < K; i++) Y[i + q * K] = M[i + q * K] * iq;
  }
  PetscCall(Gemm(K, "N", "T", Y, M, Mp));
  /* Theta = V S Mp S V^T */
  PetscCall(Congruence(K, V, s2, Mp, X, Y, Theta));
  if (T) {
    for (PetscInt q = 0; q < K; q++) s2[q] = s2[q] > 1e-10 * smax ? 1 / s2[q] : 0; /* S^+ */
    for (PetscInt q = 0; q < K; q++) Mp[q + q * K] -= 1;
    PetscCall(Congruence(K, V, s2, Mp, X, Y, T));
  }
  PetscCall(PetscFree7(V, s2, M, lam, Mp, X, Y));
  PetscFunctionReturn(PETSC_SUCCESS);
}
