/* Calibrated lifting (coordinate CVs, -gan_calibrate): per generated coordinate j

     x_j = mu_j(z) + sqrt(v_j(z) / v_G,j(z)) (G_j(eta, z) - m_G,j(z)),

   with mu, v the conditional mean and variance of the training rows and m_G, v_G those of the
   trained (averaged) generator. The generator keeps the shape of the conditional (modes,
   dependence between coordinates); the first two moments come from a regression, which reaches
   the resolution of the data where the generator's own optimisation does not (docs/closures.md).

   All four are penalised cubic B-spline regressions in z on one basis (uniform knots over the
   trained range, periodic for periodic components; a second-difference penalty, small in the
   data, extrapolates linearly where there are none): the mean of y, then the variance as the
   mean of (y - mean)^2 (smooth where the mean bends: a fit of y^2 would need the knots to
   resolve the square of the mean's oscillation). The generator's moments come from R lifted
   states per training row (latent stream UMB_GAN_RNG_CALIB, keyed by the draw index), so its
   normal matrix is R times the data's and one factorisation serves both. The end intervals of
   the range hold few rows (the tails of the outer windows), where a variance is poorly
   determined: CV values are clamped to the intervals that hold at least CAL_MIN_ROWS training
   rows. Sums are fixed point (exact, order-free) and the generator runs in blocks aligned to the
   global draw index: the coefficients do not depend on the rank count.

   The data's moments carry sampling error that the lifted states do not show (they are exact
   functions of the fit). CAL_GROUPS replicates of their coefficients, a grouped infinitesimal
   jackknife over segments of each window's series (RowGroup), let a closure measure it: its
   spread over the replicates, with the same latent draws (src/closure/estimate.c). */
#include <umbra/private/gantrain.h>
#include <gsl/gsl_linalg.h>
#include <math.h>

#define CAL_NNZ      16    /* basis functions that do not vanish at a point: 4 per component */
#define CAL_PENALTY  1e-4  /* second-difference penalty, relative to the mean diagonal of the normal matrix */
#define CAL_VAR_MIN  1e-10 /* floor of a variance (standardised units) */
#define CAL_MIN_ROWS 200   /* training rows an interval needs to be in the calibrated range */
#define CAL_BEYOND   16    /* a generated value beyond this times the largest training value (standardised) stops the calibration */
#define CAL_GROUPS   32    /* replicates of the data's moments: groups of consecutive rows per window */

static PetscInt BasisSize(UmbGan gan, PetscInt a) { return gan->period[a] > 0 ? gan->cal_nint[a] : gan->cal_nint[a] + 3; }

/* Indices and values of the basis functions that do not vanish at z (returns how many). Beyond
   the calibrated range a non-periodic component is clamped to its end. */
static PetscInt Basis(UmbGan gan, const PetscReal z[], PetscInt idx[], PetscReal val[])
{
  PetscInt  i1[2][4], n = 0;
  PetscReal b1[2][4];

  for (PetscInt a = 0; a < gan->d; a++) {
    const PetscInt m = gan->cal_nint[a];
    PetscReal      u, t;
    PetscInt       i;
    if (gan->period[a] > 0) u = (z[a] / gan->period[a] - PetscFloorReal(z[a] / gan->period[a])) * m;
    else {
      const PetscReal w = gan->zhi[a] - gan->zlo[a];
      u                 = w > 0 ? (PetscMin(PetscMax(z[a], gan->cal_lo[a]), gan->cal_hi[a]) - gan->zlo[a]) / w * m : 0;
    }
    i = PetscMin(PetscMax((PetscInt)PetscFloorReal(u), 0), m - 1);
    t = u - i;
    b1[a][0] = (1 - t) * (1 - t) * (1 - t) / 6;
    b1[a][1] = (3 * t * t * t - 6 * t * t + 4) / 6;
    b1[a][2] = (-3 * t * t * t + 3 * t * t + 3 * t + 1) / 6;
    b1[a][3] = t * t * t / 6;
    for (PetscInt s = 0; s < 4; s++) i1[a][s] = gan->period[a] > 0 ? (i + s) % m : i + s;
  }
  if (gan->d == 1) {
    for (PetscInt s = 0; s < 4; s++) {
      idx[s] = i1[0][s];
      val[s] = b1[0][s];
    }
    return 4;
  }
  for (PetscInt s = 0; s < 4; s++)
    for (PetscInt r = 0; r < 4; r++, n++) {
      idx[n] = i1[0][s] * BasisSize(gan, 1) + i1[1][r];
      val[n] = b1[0][s] * b1[1][r];
    }
  return n;
}

/* Value at a point of the spline with coefficients c (column j of K x ng) */
static PetscReal Spline(UmbGan gan, const PetscReal *c, PetscInt nb, const PetscInt idx[], const PetscReal val[], PetscInt j)
{
  PetscReal f = 0;
  for (PetscInt q = 0; q < nb; q++) f += val[q] * c[idx[q] * gan->ng + j];
  return f;
}

/* mean and variance (standardised) of generated coordinate j from coefficients c (K x ng of the
   mean, then K x ng of the variance), perturbed by dm and dv (K x ng each) unless NULL */
static void Moments(UmbGan gan, const PetscReal *c, const PetscReal *dm, const PetscReal *dv, PetscInt nb, const PetscInt idx[], const PetscReal val[], PetscInt j, PetscReal *mean, PetscReal *var)
{
  *mean = Spline(gan, c, nb, idx, val, j) + (dm ? Spline(gan, dm, nb, idx, val, j) : 0);
  *var  = PetscMax(Spline(gan, c + gan->cal_K * gan->ng, nb, idx, val, j) + (dv ? Spline(gan, dv, nb, idx, val, j) : 0), CAL_VAR_MIN);
}

void UmbGanCalibrateApply(UmbGan gan, PetscInt rep, PetscInt b, const PetscReal z[], PetscReal xf[])
{
  const PetscInt   Kn = gan->cal_K * gan->ng;
  const PetscReal *cd = gan->cal_coef, *cg = gan->cal_coef + 2 * Kn;
  const PetscReal *dm = rep < 0 ? NULL : gan->cal_rep + rep * Kn, *dv = rep < 0 ? NULL : gan->cal_rep + (gan->cal_nrep + rep) * Kn;
  PetscInt         idx[CAL_NNZ];
  PetscReal        val[CAL_NNZ];

  if (!gan->cal_K || !gan->calibrate) return;
  for (PetscInt i = 0; i < b; i++) {
    const PetscInt nb = Basis(gan, z + i * gan->d, idx, val);
    for (PetscInt j = 0; j < gan->ng; j++) {
      PetscReal mu, v, mg, vg;
      Moments(gan, cd, dm, dv, nb, idx, val, j, &mu, &v);
      Moments(gan, cg, NULL, NULL, nb, idx, val, j, &mg, &vg);
      xf[i * gan->ng + j] = mu + PetscSqrtReal(v / vg) * (xf[i * gan->ng + j] - mg);
    }
  }
}

/* Fixed-point sums, per group of training rows, of a right-hand side sum_rows B_a(z) f_j with
   f_j = y_j, (y_j - m_j(z))^2, y_j - m_j(z) or (y_j - m_j(z))^2 - v_j(z) (m, v: the mean and
   variance splines of coefficients mv), for |y| <= bound */
typedef enum {
  RHS_Y,
  RHS_SQUARE,
  RHS_RESIDUAL,
  RHS_SQUARE_RESIDUAL
} RhsKind;

typedef struct {
  RhsKind          kind;
  int              k;
  PetscInt         ngroups;
  int64_t         *sum; /* ngroups x K x ng */
  const PetscReal *mv;  /* K x ng of the mean, then K x ng of the variance */
} Rhs;

static PetscErrorCode RhsStart(UmbGan gan, Rhs *r, RhsKind kind, PetscInt ngroups, PetscReal bound, PetscInt64 n, const PetscReal *mv)
{
  /* |m| <= bound (a least-squares fit of |y| <= bound, up to the penalty), 0 <= v <= 4 bound^2 */
  const PetscReal fmax[] = {bound, 4 * bound * bound, 2 * bound, 8 * bound * bound};

  PetscFunctionBegin;
  r->kind    = kind;
  r->mv      = mv;
  r->ngroups = ngroups;
  r->k       = UmbNNFixedPointExponent(fmax[kind], n);
  PetscCall(PetscCalloc1(ngroups * gan->cal_K * gan->ng, &r->sum));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void RhsAdd(UmbGan gan, Rhs *r, PetscInt group, const PetscReal z[], const PetscReal y[])
{
  const PetscInt ng = gan->ng;
  int64_t       *sum = r->sum + group * gan->cal_K * ng;
  PetscInt       idx[CAL_NNZ];
  PetscReal      val[CAL_NNZ];
  const PetscInt nb = Basis(gan, z, idx, val);

  for (PetscInt j = 0; j < ng; j++) {
    const PetscReal e = r->kind == RHS_Y ? y[j] : y[j] - Spline(gan, r->mv, nb, idx, val, j);
    PetscReal       f = e;
    if (r->kind == RHS_SQUARE) f = e * e;
    if (r->kind == RHS_SQUARE_RESIDUAL) f = e * e - Spline(gan, r->mv + gan->cal_K * ng, nb, idx, val, j);
    for (PetscInt q = 0; q < nb; q++) sum[idx[q] * ng + j] += UmbNNToFixed(val[q] * f, r->k);
  }
}

/* Collective: rhs (ngroups x K x ng) = the summed fixed-point sums / scale */
static PetscErrorCode RhsFinish(UmbGan gan, Rhs *r, PetscReal scale, PetscReal rhs[])
{
  const PetscInt n = r->ngroups * gan->cal_K * gan->ng;

  PetscFunctionBegin;
  PetscCall(UmbNNFixedAllreduce(gan->comm, n, r->k, r->sum, rhs));
  for (PetscInt i = 0; i < n; i++) rhs[i] /= scale;
  PetscCall(PetscFree(r->sum));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective: the normal matrix sum_rows B(z) B(z)^T of the training rows (exact) plus the
   penalty, Cholesky-factored in place (K x K) */
static PetscErrorCode NormalMatrix(UmbGan gan, const UmbTrainSet *ts, PetscReal *M)
{
  const PetscInt K = gan->cal_K;
  const int      k = UmbNNFixedPointExponent(1, ts->T);
  int64_t       *iM;
  PetscInt       idx[CAL_NNZ];
  PetscReal      val[CAL_NNZ], lambda = 0;
  gsl_matrix_view A;

  PetscFunctionBegin;
  PetscCall(PetscCalloc1(K * K, &iM));
  for (PetscInt64 i = 0; i < ts->tloc; i++) {
    const PetscInt nb = Basis(gan, ts->train + i * ts->W + ts->or, idx, val);
    for (PetscInt p = 0; p < nb; p++)
      for (PetscInt q = 0; q < nb; q++) iM[idx[p] * K + idx[q]] += UmbNNToFixed(val[p] * val[q], k);
  }
  PetscCall(UmbNNFixedAllreduce(gan->comm, K * K, k, iM, M));
  PetscCall(PetscFree(iM));
  for (PetscInt i = 0; i < K; i++) lambda += M[i * K + i];
  lambda *= CAL_PENALTY / K;
  /* second differences of the coefficients along each component (wrapped when periodic) */
  for (PetscInt a = 0; a < gan->d; a++) {
    const PetscInt  Ka = BasisSize(gan, a), K1 = gan->d == 1 ? 1 : BasisSize(gan, 1), other = K / Ka, nd = gan->period[a] > 0 ? Ka : Ka - 2;
    const PetscReal w[3] = {1, -2, 1};
    for (PetscInt o = 0; o < other; o++)
      for (PetscInt s = 0; s < nd; s++) {
        PetscInt c[3]; /* flat index i0 K1 + i1; o runs over the other component */
        for (PetscInt t = 0; t < 3; t++) c[t] = a == 0 ? ((s + t) % Ka) * K1 + o : o * Ka + (s + t) % Ka;
        for (PetscInt t = 0; t < 3; t++)
          for (PetscInt u = 0; u < 3; u++) M[c[t] * K + c[u]] += lambda * w[t] * w[u];
      }
  }
  for (PetscInt i = 0; i < K; i++) M[i * K + i] += 1e-12 * lambda / CAL_PENALTY; /* the penalty's null space, if no data pin it */
  A = gsl_matrix_view_array(M, (size_t)K, (size_t)K);
  UmbCallGSL(gsl_linalg_cholesky_decomp1(&A.matrix));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Solves the factored system for the ng columns of rhs (K x ng), in place */
static PetscErrorCode Solve(UmbGan gan, PetscReal *L, PetscReal *rhs)
{
  const PetscInt  K = gan->cal_K, ng = gan->ng;
  gsl_matrix_view A = gsl_matrix_view_array(L, (size_t)K, (size_t)K);

  PetscFunctionBegin;
  for (PetscInt j = 0; j < ng; j++) {
    gsl_vector_view col = gsl_vector_view_array_with_stride(rhs + j, (size_t)ng, (size_t)K);
    UmbCallGSL(gsl_linalg_cholesky_svx(&A.matrix, &col.vector));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Group of training row `row` for the replicates: its window's rows, in file order (walker by
   walker, frame by frame), cut into CAL_GROUPS consecutive segments, so that every group spans
   the whole CV range and groups are nearly independent (segments long against the IACT) */
static PetscInt RowGroup(const UmbTrainSet *ts, PetscInt64 row)
{
  PetscInt lo = 0, hi = ts->nwin; /* woff[lo] <= row < woff[hi] */
  while (hi - lo > 1) {
    const PetscInt mid = (lo + hi) / 2;
    if (ts->woff[mid] <= row) lo = mid;
    else hi = mid;
  }
  return (PetscInt)(((row - ts->woff[lo]) * CAL_GROUPS) / (ts->woff[lo + 1] - ts->woff[lo]));
}

/* Collective: the data's mean and variance coefficients (2 x K x ng) and their replicates
   (2 x CAL_GROUPS x K x ng: perturbations of the mean's, then of the variance's coefficients);
   *ymax: the largest |y|. Replicate g is the grouped infinitesimal jackknife: the influence
   A^-1 sum_{rows in g} B(z) r of the group's residuals r (centred over the groups, times
   sqrt(G / (G - 1))), so that sum_g (theta(coef + rep_g) - theta(coef))^2 estimates the
   variance of any smooth function theta of the data's moments. */
static PetscErrorCode FitData(UmbGan gan, const UmbTrainSet *ts, PetscReal *L, PetscReal coef[], PetscReal rep[], PetscReal *ymax)
{
  const RhsKind  kind[4] = {RHS_Y, RHS_SQUARE, RHS_RESIDUAL, RHS_SQUARE_RESIDUAL};
  const PetscInt Kn      = gan->cal_K * gan->ng, G = CAL_GROUPS;

  PetscFunctionBegin;
  *ymax = 0;
  for (PetscInt64 i = 0; i < ts->tloc * ts->W; i += ts->W)
    for (PetscInt j = 0; j < gan->ng; j++) *ymax = PetscMax(*ymax, PetscAbsReal(ts->train[i + ts->ox + j]));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, ymax, 1, MPIU_REAL, MPI_MAX, gan->comm));
  for (PetscInt pass = 0; pass < 4; pass++) {
    const PetscInt ngroups = pass < 2 ? 1 : G;
    PetscReal     *out     = pass < 2 ? coef + pass * Kn : rep + (pass - 2) * G * Kn;
    Rhs            r;
    PetscCall(RhsStart(gan, &r, kind[pass], ngroups, *ymax, ts->T, coef));
    for (PetscInt64 i = 0; i < ts->tloc; i++) {
      const PetscReal *row = ts->train + i * ts->W;
      RhsAdd(gan, &r, ngroups > 1 ? RowGroup(ts, (PetscInt64)row[ts->oid]) : 0, row + ts->or, row + ts->ox);
    }
    PetscCall(RhsFinish(gan, &r, 1, out));
    for (PetscInt g = 0; g < ngroups; g++) PetscCall(Solve(gan, L, out + g * Kn));
  }
  for (PetscInt h = 0; h < 2; h++) {
    PetscReal *d = rep + h * G * Kn;
    for (PetscInt i = 0; i < Kn; i++) {
      PetscReal mean = 0;
      for (PetscInt g = 0; g < G; g++) mean += d[g * Kn + i] / G;
      for (PetscInt g = 0; g < G; g++) d[g * Kn + i] = (d[g * Kn + i] - mean) * PetscSqrtReal((PetscReal)G / (G - 1));
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective: the generator's mean and variance coefficients from R draws per training row, its
   outputs bounded by bound (*beyond: some were not; coef is then not set) */
static PetscErrorCode FitGenerator(UmbGan gan, const UmbTrainSet *ts, PetscInt R, PetscReal *L, PetscReal bound, PetscReal coef[], PetscBool *beyond)
{
  const PetscInt64 G = ts->T * R, nblock = (G + UMB_GAN_BLOCK - 1) / UMB_GAN_BLOCK;
  const PetscInt64 b0 = (nblock * gan->rank) / gan->size, b1 = (nblock * (gan->rank + 1)) / gan->size;
  PetscReal       *zall, *zloc, *zb, *zf, *eta, *xf;
  PetscInt64      *ids;
  PetscMPIInt     *counts, *displs;
  PetscInt         out = 0;

  PetscFunctionBegin;
  /* every rank needs the CV values of the training rows its blocks draw from */
  PetscCall(PetscMalloc4(ts->T * gan->d, &zall, PetscMax(ts->tloc, 1) * gan->d, &zloc, gan->size, &counts, gan->size, &displs));
  for (PetscInt64 i = 0; i < ts->tloc; i++)
    for (PetscInt a = 0; a < gan->d; a++) zloc[i * gan->d + a] = ts->train[i * ts->W + ts->or + a];
  for (PetscMPIInt p = 0; p < gan->size; p++) {
    PetscCheck(ts->Toff[p + 1] * gan->d < PETSC_MPI_INT_MAX, gan->comm, PETSC_ERR_SUP, "calibrated lifting: too many training rows for one MPI message");
    counts[p] = (PetscMPIInt)((ts->Toff[p + 1] - ts->Toff[p]) * gan->d);
    displs[p] = (PetscMPIInt)(ts->Toff[p] * gan->d);
  }
  PetscCallMPI(MPI_Allgatherv(zloc, counts[gan->rank], MPIU_REAL, zall, counts, displs, MPIU_REAL, gan->comm));
  PetscCall(PetscMalloc5(UMB_GAN_BLOCK * gan->d, &zb, UMB_GAN_BLOCK * gan->dz, &zf, UMB_GAN_BLOCK * gan->latent, &eta, UMB_GAN_BLOCK * gan->ng, &xf, UMB_GAN_BLOCK, &ids));
  PetscCall(UmbMLPSetTraining(gan->Gl, PETSC_FALSE));
  *beyond = PETSC_FALSE;
  for (PetscInt pass = 0; pass < 2 && !*beyond; pass++) {
    Rhs r;
    PetscCall(RhsStart(gan, &r, pass ? RHS_SQUARE : RHS_Y, 1, bound, G, coef));
    for (PetscInt64 blk = b0; blk < b1; blk++) {
      const PetscInt64 g0 = blk * UMB_GAN_BLOCK;
      const PetscInt   b  = (PetscInt)PetscMin(UMB_GAN_BLOCK, G - g0);
      for (PetscInt i = 0; i < b; i++) {
        ids[i] = g0 + i;
        for (PetscInt a = 0; a < gan->d; a++) zb[i * gan->d + a] = zall[((g0 + i) / R) * gan->d + a];
      }
      UmbGanFeatures(gan, b, zb, zf);
      UmbGanLatent(gan, UMB_GAN_RNG_CALIB, 0, b, ids, eta);
      PetscCall(UmbGanGeneratorForward(gan, gan->Gl, b, zf, gan->dz, eta, xf));
      for (PetscInt i = 0; i < b * gan->ng; i++)
        if (!(PetscAbsReal(xf[i]) <= bound)) { /* NaN included */
          out = 1;
          xf[i] = 0;
        }
      for (PetscInt i = 0; i < b; i++) RhsAdd(gan, &r, 0, zb + i * gan->d, xf + i * gan->ng);
    }
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &out, 1, MPIU_INT, MPI_MAX, gan->comm));
    *beyond = (PetscBool)(out != 0);
    PetscCall(RhsFinish(gan, &r, (PetscReal)R, coef + pass * gan->cal_K * gan->ng));
    PetscCall(Solve(gan, L, coef + pass * gan->cal_K * gan->ng));
  }
  PetscCall(PetscFree5(zb, zf, eta, xf, ids));
  PetscCall(PetscFree4(zall, zloc, counts, displs));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Log line: how far the generator's moments were from the data's, over the trained range */
static PetscErrorCode Summary(UmbGan gan, PetscInt R)
{
  const PetscInt   n1 = gan->d == 1 ? 201 : 41, npts = gan->d == 1 ? n1 : n1 * n1;
  const PetscReal *cd = gan->cal_coef, *cg = gan->cal_coef + 2 * gan->cal_K * gan->ng;
  PetscReal        dmax = 0, rlo = PETSC_MAX_REAL, rhi = 0, val[CAL_NNZ];
  PetscInt         idx[CAL_NNZ];

  PetscFunctionBegin;
  for (PetscInt p = 0; p < npts; p++) {
    PetscReal z[2];
    PetscInt  nb;
    for (PetscInt a = 0; a < gan->d; a++) {
      const PetscInt  i  = a == 0 ? p % n1 : p / n1;
      const PetscReal lo = gan->period[a] > 0 ? 0 : gan->cal_lo[a], hi = gan->period[a] > 0 ? gan->period[a] : gan->cal_hi[a];
      z[a]               = lo + (hi - lo) * i / (n1 - 1);
    }
    nb = Basis(gan, z, idx, val);
    for (PetscInt j = 0; j < gan->ng; j++) {
      PetscReal mu, v, mg, vg;
      Moments(gan, cd, NULL, NULL, nb, idx, val, j, &mu, &v);
      Moments(gan, cg, NULL, NULL, nb, idx, val, j, &mg, &vg);
      dmax = PetscMax(dmax, PetscAbsReal(mu - mg) / PetscSqrtReal(v));
      rlo  = PetscMin(rlo, PetscSqrtReal(v / vg));
      rhi  = PetscMax(rhi, PetscSqrtReal(v / vg));
    }
  }
  PetscCall(UmbLog(gan->comm, "train: calibrated lifting (%" PetscInt_FMT " basis functions, %" PetscInt_FMT " generated states per training row, z in [%.4g, %.4g]%s): the generator's conditional means were off by up to %.3g conditional sd, its sd scaled by %.3g to %.3g", gan->cal_K, R, (double)gan->cal_lo[0], (double)gan->cal_hi[0], gan->d > 1 ? " x ..." : "", (double)dmax, (double)rlo, (double)rhi));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective: [cal_lo, cal_hi] per non-periodic component, the intervals from the first to the
   last that hold at least CAL_MIN_ROWS training rows (the whole range if none does) */
static PetscErrorCode CalibratedRange(UmbGan gan, const UmbTrainSet *ts)
{
  PetscFunctionBegin;
  for (PetscInt a = 0; a < gan->d; a++) {
    const PetscInt  m = gan->cal_nint[a];
    const PetscReal w = gan->zhi[a] - gan->zlo[a];
    PetscInt64     *count;
    PetscInt        first = 0, last = m - 1;
    gan->cal_lo[a] = gan->zlo[a];
    gan->cal_hi[a] = gan->zhi[a];
    if (gan->period[a] > 0 || !(w > 0)) continue;
    PetscCall(PetscCalloc1(m, &count));
    for (PetscInt64 i = 0; i < ts->tloc; i++) {
      const PetscReal u = (ts->train[i * ts->W + ts->or + a] - gan->zlo[a]) / w * m;
      count[PetscMin(PetscMax((PetscInt)PetscFloorReal(u), 0), m - 1)]++;
    }
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, count, (PetscMPIInt)m, MPIU_INT64, MPI_SUM, gan->comm));
    while (first < m - 1 && count[first] < CAL_MIN_ROWS) first++;
    while (last > first && count[last] < CAL_MIN_ROWS) last--;
    PetscCall(PetscFree(count));
    if (first > 0) gan->cal_lo[a] = gan->zlo[a] + w * first / m;
    if (last < m - 1) gan->cal_hi[a] = gan->zlo[a] + w * (last + 1) / m;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanCalibrationFree(UmbGan gan)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(gan->cal_coef));
  PetscCall(PetscFree(gan->cal_rep));
  gan->cal_K = gan->cal_nrep = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanCalibrate(UmbGan gan, const UmbTrainSet *ts)
{
  const PetscInt R = (PetscInt)gan->cal_draws;
  PetscInt       K = 1;
  PetscReal     *L, ymax;
  PetscBool      beyond;

  PetscFunctionBegin;
  PetscCall(UmbGanCalibrationFree(gan));
  if (!gan->calibrate || !gan->coord) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscLogEventBegin(UMB_EVENT.gan_calibrate, 0, 0, 0, 0));
  for (PetscInt a = 0; a < gan->d; a++) K *= BasisSize(gan, a);
  gan->cal_K = K;
  PetscCall(CalibratedRange(gan, ts));
  PetscCall(PetscMalloc1(K * K, &L));
  PetscCall(PetscMalloc1(4 * K * gan->ng, &gan->cal_coef));
  PetscCall(PetscMalloc1(2 * CAL_GROUPS * K * gan->ng, &gan->cal_rep));
  gan->cal_nrep = CAL_GROUPS;
  PetscCall(NormalMatrix(gan, ts, L));
  PetscCall(FitData(gan, ts, L, gan->cal_coef, gan->cal_rep, &ymax));
  PetscCall(FitGenerator(gan, ts, R, L, CAL_BEYOND * ymax, gan->cal_coef + 2 * K * gan->ng, &beyond));
  PetscCall(PetscFree(L));
  PetscCall(PetscLogEventEnd(UMB_EVENT.gan_calibrate, 0, 0, 0, 0));
  if (beyond) {
    PetscCall(UmbGanCalibrationFree(gan));
    PetscCall(UmbLogWarning(gan->comm, "train: the generator lifts states beyond %g times the largest training value (or not finite): lifting is not calibrated (docs/gan.md); check train.csv and consider training again", (double)CAL_BEYOND));
  } else PetscCall(Summary(gan, R));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanWriteCalibration(UmbGan gan, UmbH5 h5)
{
  hsize_t  dims[3] = {4, (hsize_t)gan->cal_K, (hsize_t)gan->ng};
  PetscInt nint[2] = {gan->cal_nint[0], gan->cal_nint[1]};

  PetscFunctionBegin;
  if (!gan->cal_K) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(UmbH5WriteSmall(h5, "/gan/calibration/coefficients", H5T_NATIVE_DOUBLE, 3, dims, gan->cal_coef));
  if (gan->cal_nrep) {
    hsize_t rdims[3] = {2 * (hsize_t)gan->cal_nrep, (hsize_t)gan->cal_K, (hsize_t)gan->ng};
    PetscCall(UmbH5WriteSmall(h5, "/gan/calibration/replicates", H5T_NATIVE_DOUBLE, 3, rdims, gan->cal_rep));
  }
  for (PetscInt a = 0; a < gan->d; a++) PetscCall(UmbH5WriteAttrInt(h5, "/gan/calibration", a ? "intervals_2" : "intervals", nint[a]));
  PetscCall(UmbH5WriteAttrReals(h5, "/gan/calibration", "z_min", gan->d, gan->cal_lo));
  PetscCall(UmbH5WriteAttrReals(h5, "/gan/calibration", "z_max", gan->d, gan->cal_hi));
  PetscCall(UmbH5WriteAttrInt(h5, "/gan/calibration", "draws_per_row", gan->cal_draws));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanReadCalibration(UmbGan gan, UmbH5 h5, const char path[])
{
  PetscBool  has;
  PetscInt64 v;
  PetscInt   K = 1;
  int        r;
  hsize_t    dims[3];

  PetscFunctionBegin;
  PetscCall(UmbGanCalibrationFree(gan));
  PetscCall(UmbH5HasObject(h5, "/gan/calibration/coefficients", &has));
  if (!has) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(gan->coord, gan->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: calibrated lifting for a CV that is not a set of coordinates (corrupt file?)", path);
  for (PetscInt a = 0; a < gan->d; a++) {
    PetscCall(UmbH5ReadAttrInt(h5, "/gan/calibration", a ? "intervals_2" : "intervals", &v));
    PetscCheck(v >= 4 && v <= 1000, gan->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: bad calibration interval count %lld (corrupt file?)", path, (long long)v);
    gan->cal_nint[a] = (PetscInt)v;
    K *= BasisSize(gan, a);
  }
  PetscCall(UmbH5GetShape(h5, "/gan/calibration/coefficients", &r, dims));
  PetscCheck(r == 3 && dims[0] == 4 && dims[1] == (hsize_t)K && dims[2] == (hsize_t)gan->ng, gan->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /gan/calibration/coefficients has the wrong shape for %" PetscInt_FMT " basis functions and %" PetscInt_FMT " generated coordinates (corrupt file?)", path, K, gan->ng);
  PetscCall(PetscMalloc1(4 * K * gan->ng, &gan->cal_coef));
  PetscCall(UmbGanReadFiniteReals(gan, h5, path, "/gan/calibration/coefficients", 4 * K * gan->ng, gan->cal_coef));
  PetscCall(UmbH5HasObject(h5, "/gan/calibration/replicates", &has));
  if (has) { /* files written before the replicates have none: the closures then carry no calibration error */
    PetscCall(UmbH5GetShape(h5, "/gan/calibration/replicates", &r, dims));
    PetscCheck(r == 3 && dims[0] >= 4 && dims[0] % 2 == 0 && dims[0] <= 2000 && dims[1] == (hsize_t)K && dims[2] == (hsize_t)gan->ng, gan->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /gan/calibration/replicates has the wrong shape (corrupt file?)", path);
    gan->cal_nrep = (PetscInt)dims[0] / 2;
    PetscCall(PetscMalloc1(2 * gan->cal_nrep * K * gan->ng, &gan->cal_rep));
    PetscCall(UmbGanReadFiniteReals(gan, h5, path, "/gan/calibration/replicates", 2 * gan->cal_nrep * K * gan->ng, gan->cal_rep));
  }
  PetscCall(UmbH5ReadAttrInt(h5, "/gan/calibration", "draws_per_row", &gan->cal_draws));
  PetscCall(UmbH5ReadAttrReals(h5, "/gan/calibration", "z_min", gan->d, gan->cal_lo));
  PetscCall(UmbH5ReadAttrReals(h5, "/gan/calibration", "z_max", gan->d, gan->cal_hi));
  for (PetscInt a = 0; a < gan->d; a++) PetscCheck(gan->period[a] > 0 || (gan->cal_lo[a] >= gan->zlo[a] && gan->cal_lo[a] <= gan->cal_hi[a] && gan->cal_hi[a] <= gan->zhi[a]), gan->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: the calibrated range is not within the trained range (corrupt file?)", path);
  gan->cal_K = K;
  PetscFunctionReturn(PETSC_SUCCESS);
}
