/* UmbFesSolve: MBAR on the distributed samples or WHAM on the pooled histogram, then the
   asymptotic covariance, F(z), the block bootstrap and the diagnostics. */
#include <umbra/private/fesimpl.h>

static PetscReal StdDev(PetscInt n, const PetscReal v[], PetscInt stride)
{
  PetscReal m = 0, s = 0;
  PetscInt  c = 0;
  for (PetscInt i = 0; i < n; i++)
    if (!PetscIsInfOrNanReal(v[i * stride])) {
      m += v[i * stride];
      c++;
    }
  if (c < 2) return ((PetscReal)NAN);
  m /= c;
  for (PetscInt i = 0; i < n; i++)
    if (!PetscIsInfOrNanReal(v[i * stride])) s += (v[i * stride] - m) * (v[i * stride] - m);
  return PetscSqrtReal(s / (c - 1));
}

/* F_b = -ln sum_{n in b} m_n exp(-lse_n), minimum 0 over the bins with samples (nan elsewhere).
   Points with bin < 0 or m = 0 do not count. Sums over comm. Optionally the (multiplicity)
   counts per bin and the shift used (max_n -lse_n). */
PetscErrorCode UmbFesProfileFromLse(UmbFes fes, MPI_Comm comm, const PetscReal lse[], const PetscReal m[], PetscInt64 npts, const PetscInt bin[], PetscReal F[], PetscInt64 counts[], PetscReal *shift)
{
  const PetscInt B = fes->B;
  PetscReal      M = PETSC_MIN_REAL, *sums, Fmin = PETSC_MAX_REAL;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.fes_pmf, 0, 0, 0, 0));
  for (PetscInt64 n = 0; n < npts; n++)
    if (bin[n] >= 0 && (!m || m[n] > 0)) M = PetscMax(M, -lse[n]);
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &M, 1, MPIU_REAL, MPI_MAX, comm));
  PetscCall(PetscCalloc1(2 * (size_t)B, &sums));
  for (PetscInt64 n = 0; n < npts; n++) {
    const PetscReal wm = m ? m[n] : 1.0;
    if (bin[n] < 0 || wm == 0) continue;
    sums[bin[n]] += wm * PetscExpReal(-lse[n] - M);
    sums[B + bin[n]] += wm;
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, sums, (PetscMPIInt)(2 * B), MPIU_REAL, MPI_SUM, comm));
  for (PetscInt b = 0; b < B; b++) {
    F[b] = sums[B + b] > 0 && sums[b] > 0 ? -PetscLogReal(sums[b]) : ((PetscReal)NAN);
    if (!PetscIsInfOrNanReal(F[b])) Fmin = PetscMin(Fmin, F[b]);
    if (counts) counts[b] = (PetscInt64)round(sums[B + b]);
  }
  for (PetscInt b = 0; b < B; b++)
    if (!PetscIsInfOrNanReal(F[b])) F[b] -= Fmin;
  if (shift) *shift = M;
  PetscCall(PetscFree(sums));
  PetscCall(PetscLogEventEnd(UMB_EVENT.fes_pmf, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Asymptotic errors of F_b - F_jmin as pymbar's computePMF(uncertainties='from-lowest'): each
   bin is an extra state with N = 0 and weights W_n,b = w_n / sum_{m in b} w_m, so its covariance
   block is D + G T G^T (see UmbFesCovariance) with D_b = sum_{n in b} W_nb^2, G_bk = sum W_nb W_nk. */
PetscErrorCode UmbFesProfileErrors(UmbFes fes, UmbMbar *mb, const PetscReal f[], const PetscReal T[], PetscReal shift, const PetscInt bin[])
{
  const PetscInt B = fes->B, K = fes->K, j = fes->jmin;
  PetscReal     *wsum, *G, *w2, *X, qjj;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.fes_cov, 0, 0, 0, 0));
  PetscCall(PetscMalloc4(B, &wsum, (size_t)B * K, &G, B, &w2, K, &X));
  PetscCall(UmbMbarBinSums(mb, f, bin, B, shift, wsum, G, w2));
  for (PetscInt b = 0; b < B; b++) {
    if (!(wsum[b] > 0)) continue;
    w2[b] /= wsum[b] * wsum[b];
    for (PetscInt k = 0; k < K; k++) G[(size_t)b * K + k] /= wsum[b] * mb->Nk[k];
  }
  /* X = T g_j */
  for (PetscInt k = 0; k < K; k++) {
    PetscReal t = 0;
    for (PetscInt l = 0; l < K; l++) t += T[(size_t)k * K + l] * G[(size_t)j * K + l];
    X[k] = t;
  }
  qjj = 0;
  for (PetscInt k = 0; k < K; k++) qjj += G[(size_t)j * K + k] * X[k];
  for (PetscInt b = 0; b < B; b++) {
    PetscReal qbb = 0, qbj = 0, var;
    if (b == j) {
      fes->dF_asym[b] = 0;
      continue;
    }
    if (PetscIsInfOrNanReal(fes->F[b]) || !(wsum[b] > 0)) {
      fes->dF_asym[b] = ((PetscReal)NAN);
      continue;
    }
    for (PetscInt k = 0; k < K; k++) {
      const PetscReal *Tk = T + (size_t)k * K, *gb = G + (size_t)b * K;
      PetscReal        t  = 0;
      for (PetscInt l = 0; l < K; l++) t += Tk[l] * gb[l];
      qbb += gb[k] * t;
      qbj += gb[k] * X[k];
    }
    var             = w2[b] + w2[j] + qbb + qjj - 2 * qbj;
    fes->dF_asym[b] = PetscSqrtReal(PetscMax(var, 0));
  }
  PetscCall(PetscFree4(wsum, G, w2, X));
  PetscCall(PetscLogEventEnd(UMB_EVENT.fes_cov, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Block-bootstrap multiplicities of the local samples of window k for replica r, added to
   m[i stride] for the window's i-th local sample: every walker series (F frames) is rebuilt from
   circular blocks of L = round(10 IACT_k) frames (at least 1, at most F/4) with uniformly drawn
   starts. Blocks of L frames see the correlations up to about L only: the variance of a mean comes
   out low by about IACT / (2 L) for an exponential autocorrelation, and more where the
   autocorrelation has a slow tail (a slow orthogonal coordinate), so 2 IACT made dF 10-40% too
   small on molecules; 10 IACT leaves ~5%, and F/4 keeps four blocks per walker. Draws come
   from Philox keyed by (seed, bootstrap domain, window) at counter (replica, walker, block / 4),
   so they do not depend on the rank count. */
PetscErrorCode UmbFesBootstrapWindowWeights(UmbFes fes, PetscInt k, PetscInt r, PetscReal m[], PetscInt stride)
{
  const UmbWindowData *w = &fes->data;
  const PetscInt64     F = w->frames[k];
  const PetscInt64     L = PetscMax(1, PetscMin(F / 4, (PetscInt64)round(10 * w->iact[k])));
  UmbStream            s;

  PetscFunctionBegin;
  UmbStreamInit(&s, (uint64_t)fes->seed, UMB_STREAM_BOOTSTRAP, (uint64_t)k);
  for (PetscInt64 wk = 0; wk < w->walkers[k]; wk++) {
    PetscReal *mw     = m + wk * F * stride;
    PetscInt64 filled = 0;
    uint64_t   bits[4];
    for (PetscInt64 j = 0; filled < F; j++) {
      PetscInt64 start, len;
      if (j % 4 == 0) UmbStreamBits(&s, (uint64_t)r, (uint64_t)wk, (uint64_t)(j / 4), bits);
      start = (PetscInt64)(UmbU01(bits[j % 4]) * (double)F);
      if (start >= F) start = F - 1;
      len = PetscMin(L, F - filled);
      for (PetscInt64 t = start; t < PetscMin(start + len, F); t++) mw[t * stride] += 1;
      for (PetscInt64 t = 0; t < start + len - F; t++) mw[t * stride] += 1; /* the circular wrap */
      filled += len;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The multiplicities of all local samples for replica r */
PetscErrorCode UmbFesBootstrapWeights(UmbFes fes, PetscInt r, PetscReal m[])
{
  const UmbWindowData *w = &fes->data;

  PetscFunctionBegin;
  PetscCall(PetscArrayzero(m, w->nloc));
  for (PetscInt k = w->klo; k < w->khi; k++) PetscCall(UmbFesBootstrapWindowWeights(fes, k, r, m + (w->offset[k] - w->offset[w->klo]), 1));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode NotConverged(UmbFes fes, const UmbMbarInfo *info, const char *what)
{
  PetscFunctionBegin;
  SETERRQ(fes->comm, PETSC_ERR_NOT_CONVERGED, "%s did not converge: after %" PetscInt_FMT " self-consistent sweeps and %" PetscInt_FMT " %s iterations (-fes_max_it %" PetscInt_FMT ") the gradient norm max_k |sum_n W_nk - 1| is %.3g > -fes_tol %.3g (%s); check the overlap diagnostics, or raise -fes_max_it", what, info->sweeps, info->its, UmbFesSolvers[fes->solver], fes->max_it, (double)info->gnorm, (double)fes->tol, TaoConvergedReasons[info->reason]);
}

static PetscErrorCode Options(UmbFes fes, UmbMbarOptions *opt, PetscBool boot)
{
  PetscFunctionBegin;
  opt->solver = fes->solver;
  opt->tol    = boot ? PetscMax(fes->tol, 1e-8) : fes->tol; /* replicas: f to ~1e-8 kT, far below their spread */
  opt->max_it = fes->max_it;
  opt->sweeps = boot ? 0 : fes->sweeps; /* replicas start from the full-data solution */
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Covariance of f and the errors of f_k - f_0 */
static PetscErrorCode WindowErrors(UmbFes fes, const PetscReal Nk[], const PetscReal PP[], PetscReal T[])
{
  const PetscInt K = fes->K;
  PetscReal     *A;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.fes_cov, 0, 0, 0, 0));
  PetscCall(PetscMalloc1((size_t)K * K, &A));
  for (PetscInt k = 0; k < K; k++)
    for (PetscInt l = 0; l < K; l++) A[(size_t)k * K + l] = PP[(size_t)k * K + l] / (Nk[k] * Nk[l]);
  PetscCall(UmbFesCovariance(K, A, Nk, fes->theta, T, NULL));
  for (PetscInt k = 0; k < K; k++) {
    const PetscReal v = fes->theta[0] + fes->theta[(size_t)k * K + k] - 2 * fes->theta[k];
    fes->df_asym[k]   = PetscSqrtReal(PetscMax(v, 0));
  }
  PetscCall(PetscFree(A));
  PetscCall(PetscLogEventEnd(UMB_EVENT.fes_cov, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode BootstrapSummary(UmbFes fes)
{
  PetscFunctionBegin;
  for (PetscInt k = 0; k < fes->K; k++) fes->df_boot[k] = k ? StdDev(fes->nboot, fes->fboot + k, fes->K) : 0;
  for (PetscInt b = 0; b < fes->B; b++) fes->dF_boot[b] = PetscIsInfOrNanReal(fes->F[b]) ? ((PetscReal)NAN) : b == fes->jmin ? 0 : StdDev(fes->nboot, fes->Fboot + b, fes->B);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* the replica's profile relative to the full-data minimum bin (pymbar's from-lowest) */
static void ShiftReplica(UmbFes fes, PetscReal *Fr)
{
  const PetscReal ref = Fr[fes->jmin];
  for (PetscInt b = 0; b < fes->B; b++) Fr[b] = PetscIsInfOrNanReal(ref) ? ((PetscReal)NAN) : Fr[b] - ref;
}

typedef struct {
  UmbFes           fes;
  const PetscReal *Nk;
} CheckCtx;

static PetscErrorCode CheckOverlap(void *ctx, const PetscReal PP[])
{
  CheckCtx *c = (CheckCtx *)ctx;

  PetscFunctionBegin;
  PetscCall(UmbFesOverlapCheck(c->fes, PP, c->Nk));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One estimator's bootstrap replica, for the driver below. solve: from fr (the full-data f on
   entry) on the multiplicities m of the local samples; profile (once solve converged): the
   replica's F(z) into Fr, from fr. r numbers the replica. joint (may be NULL): replicas r0 .. r1-1
   together, their rows of fboot and Fboot (not yet shifted); those it leaves (left[r - r0]) are
   solved one by one. */
typedef struct {
  const char *name; /* the estimator, in messages */
  UmbMbar    *mb;   /* the solver whose passes the checkpoints count */
  PetscErrorCode (*solve)(UmbFes, void *, PetscInt, const PetscReal[], const UmbMbarOptions *, PetscReal[], UmbMbarInfo *);
  PetscErrorCode (*profile)(UmbFes, void *, const PetscReal[], const PetscReal[], PetscReal[]);
  PetscErrorCode (*joint)(UmbFes, void *, PetscInt, PetscInt, const UmbMbarOptions *, PetscBool[]);
  void *ctx;
} Replica;

/* replica r on its own: rows r of fboot and Fboot (not yet shifted) */
static PetscErrorCode SolveReplica(UmbFes fes, const Replica *rep, PetscInt r, const UmbMbarOptions *opt, PetscReal m[], PetscReal fr[])
{
  UmbMbarInfo info;

  PetscFunctionBegin;
  PetscCall(UmbFesBootstrapWeights(fes, r, m));
  PetscCall(PetscArraycpy(fr, fes->f, fes->K));
  PetscCall(rep->solve(fes, rep->ctx, r, m, opt, fr, &info));
  if (!info.converged) {
    char what[64];
    snprintf(what, sizeof(what), "%s on bootstrap replica %" PetscInt_FMT, rep->name, r);
    PetscCall(NotConverged(fes, &info, what));
  }
  PetscCall(rep->profile(fes, rep->ctx, m, fr, fes->Fboot + (size_t)r * fes->B));
  PetscCall(PetscArraycpy(fes->fboot + (size_t)r * fes->K, fr, fes->K));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The block bootstrap of either estimator: continues from the checkpoint (-restart), reports
   progress, and checkpoints between replicas, or between batches of UMB_FES_BATCH replicas solved
   together (stopping on a signal or -fes_stop_replica, where a batch ends) */
#define UMB_FES_BATCH 64
static PetscErrorCode Bootstrap(UmbFes fes, const Replica *rep)
{
  const PetscInt K = fes->K, B = fes->B;
  PetscReal     *m, *fr;
  PetscBool     *left;
  UmbMbarOptions opt;
  UmbProgress    progress;
  PetscInt64     pass0 = rep->mb->npass, passes;
  PetscInt       r0;
  PetscBool      stop = PETSC_FALSE;
  PetscLogDouble t0, t1, tckpt;

  PetscFunctionBegin;
  PetscCall(PetscTime(&t0));
  tckpt = t0;
  PetscCall(PetscLogEventBegin(UMB_EVENT.fes_boot, 0, 0, 0, 0));
  PetscCall(UmbFesBootstrapResume(fes, &r0, &passes));
  fes->boot_left = 0;
  PetscCall(PetscMalloc3(fes->data.nloc + 1, &m, K, &fr, UMB_FES_BATCH, &left));
  PetscCall(Options(fes, &opt, PETSC_TRUE));
  PetscCall(UmbProgressCreate(fes->comm, "fes bootstrap", "replicas", (double)fes->nboot, &progress));
  for (PetscInt r = r0, r1; r < fes->nboot && !stop; r = r1) {
    r1 = r + 1;
    if (rep->joint) {
      r1 = PetscMin(fes->nboot, r + UMB_FES_BATCH);
      if (fes->stop_replica > r) r1 = PetscMin(r1, fes->stop_replica);
      PetscCall(rep->joint(fes, rep->ctx, r, r1, &opt, left));
      for (PetscInt q = r; q < r1; q++)
        if (left[q - r]) {
          PetscCall(SolveReplica(fes, rep, q, &opt, m, fr));
          fes->boot_left++;
        }
    } else PetscCall(SolveReplica(fes, rep, r, &opt, m, fr));
    for (PetscInt q = r; q < r1; q++) ShiftReplica(fes, fes->Fboot + (size_t)q * B);
    PetscCall(UmbProgressUpdate(progress, (double)r1));
    PetscCall(UmbFesBootstrapMaybeCheckpoint(fes, r1, passes + rep->mb->npass - pass0, &tckpt, &stop));
  }
  PetscCall(UmbProgressFinish(progress));
  PetscCall(UmbProgressDestroy(&progress));
  PetscCall(PetscFree3(m, fr, left));
  fes->boot_passes  = passes + rep->mb->npass - pass0;
  fes->boot_stopped = stop;
  PetscCall(BootstrapSummary(fes));
  PetscCall(PetscLogEventEnd(UMB_EVENT.fes_boot, 0, 0, 0, 0));
  PetscCall(PetscTime(&t1));
  fes->t_boot = t1 - t0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* MBAR replicas: the distributed samples with multiplicities m */
typedef struct {
  UmbMbar         *mb;
  PetscReal       *S, *lse; /* work: K, and the replica's log normalisers (nloc) */
  const PetscReal *PP;      /* the full-data pair sums (K x K) and the profile's shift, for the joint solve */
  PetscReal        shift;
} MbarReplica;

static PetscErrorCode MbarReplicaSolve(UmbFes fes, void *ctx, PetscInt r, const PetscReal m[], const UmbMbarOptions *opt, PetscReal fr[], UmbMbarInfo *info)
{
  MbarReplica *c = (MbarReplica *)ctx;

  PetscFunctionBegin;
  PetscCall(UmbMbarSetPoints(c->mb, fes->data.khi - fes->data.klo, fes->gptr, fes->data.z, m));
  PetscCall(UmbMbarSolve(c->mb, opt, fr, info, NULL, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode MbarReplicaJoint(UmbFes fes, void *ctx, PetscInt r0, PetscInt r1, const UmbMbarOptions *opt, PetscBool left[])
{
  MbarReplica *c = (MbarReplica *)ctx;

  PetscFunctionBegin;
  PetscCall(UmbFesBootstrapJoint(fes, c->mb, c->PP, c->shift, r0, r1, opt->tol, left));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode MbarReplicaProfile(UmbFes fes, void *ctx, const PetscReal m[], const PetscReal fr[], PetscReal Fr[])
{
  MbarReplica *c = (MbarReplica *)ctx;
  PetscReal    L;
  PetscBool    same;

  PetscFunctionBegin;
  PetscCall(PetscArraycmp(fr, c->mb->flast, fes->K, &same));
  if (!same) PetscCall(UmbMbarPass(c->mb, fr, &L, c->S, NULL)); /* log normalisers at the solution */
  PetscCall(UmbFesProfileFromLse(fes, fes->comm, c->lse, m, fes->data.nloc, fes->bin, Fr, NULL, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The MBAR solver's start: WHAM on the pooled histogram of all samples, UMB_START_BINS bins over
   their range (64 x 64 for a 2-D CV), bias at the bin centres. Its f differs from MBAR's by the
   binning error (the bias changes by 2 h |z - c_k| dz across a bin), so Newton starts within a
   few steps of the solution and no sweep is needed. Counts and extremes reduce exactly: the start
   is the same on every rank and rank count. A histogram solve that does not converge leaves
   f = 0 and the sweeps (a problem without overlap is then reported by the check on the samples). */
#define UMB_START_BINS 4096
static PetscErrorCode HistogramStart(UmbFes fes, PetscReal f[], UmbMbarOptions *opt)
{
  const UmbWindowData *w = &fes->data;
  const PetscInt       d = fes->d, nb = d == 1 ? UMB_START_BINS : 64;
  const PetscInt64     n = fes->gptr[w->khi - w->klo];
  const UmbMbarOptions o = {UMB_FES_NEWTON, 1e-10, 100, 1};
  PetscReal            ext[4], dz[2], *cnt, *zc;
  PetscInt64           gptr[2] = {0, 0};
  PetscInt             nbins = 1;
  UmbMbar             *mb;
  UmbMbarInfo          info;

  PetscFunctionBegin;
  for (PetscInt a = 0; a < d; a++) { /* min and -max of each component */
    ext[2 * a] = ext[2 * a + 1] = PETSC_MAX_REAL;
    nbins *= nb;
  }
  for (PetscInt64 i = 0; i < n; i++)
    for (PetscInt a = 0; a < d; a++) {
      ext[2 * a]     = PetscMin(ext[2 * a], w->z[i * d + a]);
      ext[2 * a + 1] = PetscMin(ext[2 * a + 1], -w->z[i * d + a]);
    }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, ext, (PetscMPIInt)(2 * d), MPIU_REAL, MPI_MIN, fes->comm));
  for (PetscInt a = 0; a < d; a++) {
    dz[a] = (-ext[2 * a + 1] - ext[2 * a]) / nb;
    if (!(dz[a] > 0) || !PetscIsNormalReal(dz[a])) PetscFunctionReturn(PETSC_SUCCESS); /* one value: nothing to bin */
  }
  PetscCall(PetscCalloc2(nbins, &cnt, (size_t)nbins * d, &zc));
  for (PetscInt64 i = 0; i < n; i++) {
    PetscInt b = 0;
    for (PetscInt a = 0; a < d; a++) b = b * nb + PetscMin(nb - 1, (PetscInt)((w->z[i * d + a] - ext[2 * a]) / dz[a]));
    cnt[b] += 1;
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, cnt, (PetscMPIInt)nbins, MPIU_REAL, MPI_SUM, fes->comm));
  for (PetscInt b = 0; b < nbins; b++)
    if (cnt[b] > 0) {
      for (PetscInt a = d - 1, r = b; a >= 0; a--, r /= nb) zc[gptr[1] * d + a] = ext[2 * a] + (r % nb + 0.5) * dz[a];
      cnt[gptr[1]++] = cnt[b];
    }
  PetscCall(UmbMbarCreate(PETSC_COMM_SELF, fes->K, d, w->center, fes->h, w->period, &mb));
  PetscCall(UmbMbarSetPoints(mb, 1, gptr, zc, cnt));
  PetscCall(UmbMbarSetCounts(mb, fes->Nk));
  PetscCall(PetscArrayzero(f, fes->K));
  PetscCall(UmbMbarSolve(mb, &o, f, &info, NULL, NULL));
  for (PetscInt k = 0; k < fes->K; k++)
    if (PetscIsInfOrNanReal(f[k])) info.converged = PETSC_FALSE;
  if (info.converged) {
    opt->sweeps     = 0;
    fes->start_bins = (PetscInt)gptr[1];
  } else PetscCall(PetscArrayzero(f, fes->K));
  PetscCall(UmbMbarDestroy(&mb));
  PetscCall(PetscFree2(cnt, zc));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesSolveMBAR(UmbFes fes)
{
  const PetscInt       K = fes->K;
  const UmbWindowData *w = &fes->data;
  UmbMbar             *mb;
  UmbMbarOptions       opt;
  CheckCtx             cc;
  PetscReal           *S, *PP, *T, L, shift;
  PetscLogDouble       t0, t1;

  PetscFunctionBegin;
  PetscCall(PetscTime(&t0));
  PetscCall(UmbMbarCreate(fes->comm, K, fes->d, w->center, fes->h, w->period, &mb));
  if (fes->cut > 0) PetscCall(UmbMbarSetCutoff(mb, fes->cut));
  PetscCall(UmbMbarSetPoints(mb, w->khi - w->klo, fes->gptr, w->z, NULL));
  PetscCall(UmbMbarSetCounts(mb, fes->Nk));
  PetscCall(Options(fes, &opt, PETSC_FALSE));
  PetscCall(PetscArrayzero(fes->f, K));
  fes->start_bins = 0;
  if (fes->hist_start) PetscCall(HistogramStart(fes, fes->f, &opt));
  cc.fes = fes;
  cc.Nk  = fes->Nk;
  /* the final pass: log normalisers of every sample, S and the pair sums for the overlap matrix
     and the covariance; the solver's last pass when it was at the solution */
  PetscCall(PetscMalloc3(K, &S, (size_t)K * K, &PP, (size_t)K * K, &T));
  mb->lse   = fes->lse;
  mb->Sfin  = S;
  mb->PPfin = PP;
  PetscCall(UmbMbarSolve(mb, &opt, fes->f, &fes->info, CheckOverlap, &cc));
  mb->Sfin = mb->PPfin = NULL;
  if (!mb->fin) {
    PetscCall(PetscLogEventBegin(UMB_EVENT.fes_objgrad, 0, 0, 0, 0));
    PetscCall(UmbMbarPass(mb, fes->f, &L, S, PP));
    PetscCall(PetscLogEventEnd(UMB_EVENT.fes_objgrad, 0, 0, 0, 0));
    fes->info.passes++;
  }
  PetscCall(UmbFesOverlapCheck(fes, PP, fes->Nk)); /* windows without overlap: an error naming them */
  if (!fes->info.converged) PetscCall(NotConverged(fes, &fes->info, "MBAR"));
  PetscCall(PetscTime(&t1));
  fes->t_solve = t1 - t0;
  PetscCall(WindowErrors(fes, fes->Nk, PP, T));
  PetscCall(UmbFesProfileFromLse(fes, fes->comm, fes->lse, NULL, w->nloc, fes->bin, fes->F, fes->counts, &shift));
  fes->jmin    = -1;
  fes->nfilled = 0;
  for (PetscInt b = 0; b < fes->B; b++)
    if (!PetscIsInfOrNanReal(fes->F[b])) {
      fes->nfilled++;
      if (fes->jmin < 0 || fes->F[b] < fes->F[fes->jmin]) fes->jmin = b;
    }
  PetscCall(UmbFesProfileErrors(fes, mb, fes->f, T, shift, fes->bin));

  if (fes->nboot) {
    MbarReplica   c   = {mb, S, NULL, PP, shift};
    const Replica rep = {"MBAR", mb, MbarReplicaSolve, MbarReplicaProfile, fes->boot_joint ? MbarReplicaJoint : NULL, &c};

    PetscCall(PetscMalloc1(w->nloc + 1, &c.lse));
    mb->lse = c.lse;
    PetscCall(Bootstrap(fes, &rep));
    PetscCall(PetscFree(c.lse));
  }
  PetscCall(PetscFree3(S, PP, T));
  PetscCall(UmbMbarDestroy(&mb));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Binned WHAM with Grossfield's and gmx wham's conventions: samples outside the grid are dropped,
   N_k = in-range counts, the bias of window k in bin b is evaluated at the bin centre. The WHAM
   equations are the stationarity conditions of the MBAR objective on the pooled histogram
   (points = bin centres, multiplicity = pooled count), so the same Newton solver runs, redundantly
   on every rank after one reduction of the histograms. */
typedef struct {
  PetscInt    npts;
  PetscReal  *z, *M, *lse;
  PetscInt   *bin;
  PetscInt64  gptr[2];
} WhamPoints;

static PetscErrorCode WhamHistogram(UmbFes fes, const PetscReal m[], PetscReal M[], PetscReal Nin[])
{
  const UmbWindowData *w = &fes->data;
  const PetscInt       B = fes->B, K = fes->K;
  PetscReal           *loc;

  PetscFunctionBegin;
  PetscCall(PetscCalloc1(B + K, &loc));
  for (PetscInt k = w->klo; k < w->khi; k++)
    for (PetscInt64 n = w->offset[k] - w->offset[w->klo]; n < w->offset[k + 1] - w->offset[w->klo]; n++) {
      const PetscReal wm = m ? m[n] : 1.0;
      if (fes->bin[n] < 0 || wm == 0) continue;
      loc[fes->bin[n]] += wm;
      loc[B + k] += wm;
    }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, loc, (PetscMPIInt)(B + K), MPIU_REAL, MPI_SUM, fes->comm));
  PetscCall(PetscArraycpy(M, loc, B));
  PetscCall(PetscArraycpy(Nin, loc + B, K));
  PetscCall(PetscFree(loc));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WhamPointsBuild(UmbFes fes, const PetscReal M[], WhamPoints *p)
{
  PetscFunctionBegin;
  p->npts = 0;
  for (PetscInt b = 0; b < fes->B; b++)
    if (M[b] > 0) {
      for (PetscInt a = 0; a < fes->d; a++) p->z[p->npts * fes->d + a] = fes->zc[b * fes->d + a];
      p->M[p->npts]     = M[b];
      p->bin[p->npts++] = b;
    }
  p->gptr[0] = 0;
  p->gptr[1] = p->npts;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* WHAM replicas: the pooled histogram of the samples with multiplicities m */
typedef struct {
  UmbMbar    *mb;
  WhamPoints *p;
  PetscReal  *S, *M, *Nin; /* work: K, the replica's histogram (B) and in-range counts (K) */
} WhamReplica;

static PetscErrorCode WhamReplicaSolve(UmbFes fes, void *ctx, PetscInt r, const PetscReal m[], const UmbMbarOptions *opt, PetscReal fr[], UmbMbarInfo *info)
{
  WhamReplica *c = (WhamReplica *)ctx;

  PetscFunctionBegin;
  PetscCall(WhamHistogram(fes, m, c->M, c->Nin));
  for (PetscInt k = 0; k < fes->K; k++) PetscCheck(c->Nin[k] > 0, fes->comm, PETSC_ERR_USER_INPUT, "bootstrap replica %" PetscInt_FMT ": window %" PetscInt_FMT " has no samples inside the WHAM grid; widen -fes_range", r, k);
  PetscCall(WhamPointsBuild(fes, c->M, c->p));
  PetscCall(UmbMbarSetPoints(c->mb, 1, c->p->gptr, c->p->z, c->p->M));
  PetscCall(UmbMbarSetCounts(c->mb, c->Nin));
  PetscCall(UmbMbarSolve(c->mb, opt, fr, info, NULL, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WhamReplicaProfile(UmbFes fes, void *ctx, const PetscReal m[], const PetscReal fr[], PetscReal Fr[])
{
  WhamReplica *c = (WhamReplica *)ctx;
  PetscReal    L;

  PetscFunctionBegin;
  PetscCall(UmbMbarPass(c->mb, fr, &L, c->S, NULL));
  PetscCall(UmbFesProfileFromLse(fes, PETSC_COMM_SELF, c->p->lse, c->p->M, c->p->npts, c->p->bin, Fr, NULL, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesSolveWHAM(UmbFes fes)
{
  const PetscInt       K = fes->K, B = fes->B;
  const UmbWindowData *w = &fes->data;
  UmbMbar             *mb, *ms;
  UmbMbarOptions       opt;
  CheckCtx             cc;
  WhamPoints           p;
  PetscReal           *S, *PP, *T, *Nin, L, shift;
  PetscLogDouble       t0, t1;
  PetscInt64           N = w->offset[K], inrange = 0;

  PetscFunctionBegin;
  PetscCall(PetscTime(&t0));
  PetscCall(PetscMalloc2(B, &fes->wham_M, K, &fes->wham_N));
  PetscCall(PetscMalloc4((size_t)B * fes->d, &p.z, B, &p.M, B, &p.lse, B, &p.bin));
  PetscCall(WhamHistogram(fes, NULL, fes->wham_M, fes->wham_N));
  for (PetscInt k = 0; k < K; k++) {
    inrange += (PetscInt64)fes->wham_N[k];
    PetscCheck(fes->wham_N[k] > 0, fes->comm, PETSC_ERR_USER_INPUT, "window %" PetscInt_FMT " (centre %.6g%s) has no samples inside the WHAM grid [%.6g, %.6g]%s: widen -fes_range", k, (double)w->center[k * fes->d], fes->d > 1 ? ", ..." : "", (double)fes->lo[0], (double)fes->hi[0], fes->d > 1 ? " x ..." : "");
  }
  fes->wham_dropped = N - inrange;
  PetscCall(WhamPointsBuild(fes, fes->wham_M, &p));
  PetscCall(UmbMbarCreate(PETSC_COMM_SELF, K, fes->d, w->center, fes->h, w->period, &mb));
  if (fes->cut > 0) PetscCall(UmbMbarSetCutoff(mb, fes->cut));
  PetscCall(UmbMbarSetPoints(mb, 1, p.gptr, p.z, p.M));
  PetscCall(UmbMbarSetCounts(mb, fes->wham_N));
  PetscCall(Options(fes, &opt, PETSC_FALSE));
  PetscCall(PetscArrayzero(fes->f, K));
  cc.fes = fes;
  cc.Nk  = fes->wham_N;
  PetscCall(UmbMbarSolve(mb, &opt, fes->f, &fes->info, CheckOverlap, &cc));
  PetscCall(PetscMalloc4(K, &S, (size_t)K * K, &PP, (size_t)K * K, &T, K, &Nin));
  mb->lse = p.lse;
  PetscCall(UmbMbarPass(mb, fes->f, &L, S, PP));
  fes->info.passes++;
  PetscCall(UmbFesOverlapCheck(fes, PP, fes->wham_N));
  if (!fes->info.converged) PetscCall(NotConverged(fes, &fes->info, "WHAM"));
  PetscCall(PetscTime(&t1));
  fes->t_solve = t1 - t0;
  PetscCall(WindowErrors(fes, fes->wham_N, PP, T));
  PetscCall(UmbFesProfileFromLse(fes, PETSC_COMM_SELF, p.lse, p.M, p.npts, p.bin, fes->F, fes->counts, &shift));
  fes->jmin    = -1;
  fes->nfilled = 0;
  for (PetscInt b = 0; b < B; b++)
    if (!PetscIsInfOrNanReal(fes->F[b])) {
      fes->nfilled++;
      if (fes->jmin < 0 || fes->F[b] < fes->F[fes->jmin]) fes->jmin = b;
    }
  PetscCall(UmbFesProfileErrors(fes, mb, fes->f, T, shift, p.bin)); /* point i is bin p.bin[i] */
  /* per-sample log normalisers with WHAM's f and each sample's own bias (one pass) */
  PetscCall(UmbMbarCreate(fes->comm, K, fes->d, w->center, fes->h, w->period, &ms));
  PetscCall(UmbMbarSetPoints(ms, w->khi - w->klo, fes->gptr, w->z, NULL));
  PetscCall(UmbMbarSetCounts(ms, fes->wham_N)); /* WHAM's N_k: the in-range counts */
  ms->lse = fes->lse;
  PetscCall(UmbMbarPass(ms, fes->f, &L, S, NULL));
  PetscCall(UmbMbarDestroy(&ms));

  if (fes->nboot) {
    WhamReplica   c   = {mb, &p, S, NULL, Nin};
    const Replica rep = {"WHAM", mb, WhamReplicaSolve, WhamReplicaProfile, NULL, &c};

    PetscCall(PetscMalloc1(B, &c.M));
    PetscCall(Bootstrap(fes, &rep));
    PetscCall(PetscFree(c.M));
  }
  PetscCall(PetscFree4(S, PP, T, Nin));
  PetscCall(PetscFree4(p.z, p.M, p.lse, p.bin));
  PetscCall(UmbMbarDestroy(&mb));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbFesSolve(UmbFes fes, PetscBool *finished)
{
  const PetscInt K = fes->K, B = fes->B;
  PetscLogDouble t0, t1;

  PetscFunctionBegin;
  PetscCheck(fes->setup, fes->comm, PETSC_ERR_ORDER, "call UmbFesSetUp() first");
  PetscCall(PetscLogStagePush(UMB_STAGE.fes));
  PetscCall(PetscTime(&t0));
  PetscCall(PetscMalloc5(K, &fes->f, K, &fes->df_asym, K, &fes->df_boot, (size_t)K * K, &fes->theta, (size_t)K * K, &fes->overlap));
  PetscCall(PetscMalloc1((size_t)fes->nboot * K + 1, &fes->fboot));
  PetscCall(PetscMalloc5(B, &fes->F, B, &fes->dF_asym, B, &fes->dF_boot, B, &fes->counts, fes->data.nloc + 1, &fes->lse));
  PetscCall(PetscMalloc1((size_t)fes->nboot * B + 1, &fes->Fboot));
  for (PetscInt k = 0; k < K; k++) fes->df_boot[k] = ((PetscReal)NAN);
  for (PetscInt b = 0; b < B; b++) fes->dF_boot[b] = ((PetscReal)NAN);
  fes->boot_stopped = PETSC_FALSE;
  PetscCall(UmbStopInstall());
  if (fes->type == UMB_FES_MBAR) PetscCall(UmbFesSolveMBAR(fes));
  else PetscCall(UmbFesSolveWHAM(fes));
  PetscCall(UmbStopRemove());
  *finished = (PetscBool)!fes->boot_stopped;
  if (fes->boot_stopped) {
    PetscCall(PetscLogStagePop());
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(UmbCheckpointRemove(fes->comm, fes->dir, "fes")); /* finished: nothing to continue */
  PetscCall(UmbFesConsistency(fes));
  PetscCall(PetscTime(&t1));
  fes->t_total = t1 - t0;
  fes->solved  = PETSC_TRUE;
  PetscCall(PetscLogStagePop());
  PetscFunctionReturn(PETSC_SUCCESS);
}
