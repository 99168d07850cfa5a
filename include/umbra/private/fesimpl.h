/* Private layout of UmbFes and UmbExport, and the MBAR kernel shared by MBAR and WHAM
   (src/fes/). */
#ifndef UMBRA_FESIMPL_H
#define UMBRA_FESIMPL_H

#include <umbra/fes.h>
#include <umbra/io.h>
#include <umbra/rng.h>
#include <petsctao.h>

/* ---- samples.h5 as the free-energy stage reads it --------------------------------------- */
typedef struct {
  MPI_Comm    comm;
  char        path[PETSC_MAX_PATH_LEN];
  PetscInt    K, d;             /* the pooled windows: those no continuation superseded */
  PetscInt    Kfile;            /* windows in samples.h5 (K plus the superseded ones) */
  PetscInt   *window;           /* K: the samples.h5 index of each window */
  PetscReal   beta, period[2];
  PetscReal   temperature;      /* K, of molecular or imported samples (0: none, reduced units only) */
  PetscReal  *center, *kappa;   /* K x d */
  PetscInt64 *offset;           /* K + 1: window k is rows offset[k] .. offset[k+1]-1 of the
                                   pooled windows' rows (the file's rows when none is superseded) */
  PetscInt64 *walkers, *frames; /* per window: walker series and frames per walker */
  PetscReal  *iact;             /* K: IACT of the CV in frames (from the file, or computed) */
  PetscBool   iact_from_file;
  PetscInt64  stride, burnin;   /* frame t of a walker is the state after step burnin + (t+1) stride - 1 */
  PetscReal   dt;
  char        cv_names[256];
  PetscInt    klo, khi;         /* windows held by this rank */
  PetscInt64  nloc;             /* rows held: offset[khi] - offset[klo] */
  PetscReal  *z;                /* nloc x d CV values, in file order */
} UmbWindowData;

/* Collective: opens <dir>/samples.h5 (UmbSamplesFile), checks it and reads the windows
   UmbLayoutRange assigns to this rank. Clear errors for a missing file (run `umbra sample`
   first), another kind or an incompatible version, windows without samples, CVs of dimension
   other than 1 or 2. */
PETSC_INTERN PetscErrorCode UmbWindowDataRead(MPI_Comm, const char[], UmbWindowData *);
PETSC_INTERN PetscErrorCode UmbWindowDataFree(UmbWindowData *);

/* ---- fes.h5 read back (src/fes/fesfile.c) ---------------------------------------------- */
struct _p_UmbFesFile {
  MPI_Comm comm;
  UmbH5    h5;
  char     path[PETSC_MAX_PATH_LEN];
};

/* ---- the MBAR kernel -------------------------------------------------------------------------
   Points z_n (local to each rank) with multiplicities m_n (NULL: all 1), drawn from K harmonic
   windows u_k(z) = sum_a h_ka (z_a - c_ka)^2 (h = beta kappa / 2, minimum image for periodic
   components), N_k = sum of the multiplicities of window k's points. MBAR minimises
     L(f) = sum_n m_n ln sum_k N_k exp(f_k - u_k(z_n)) - sum_k N_k f_k
   with the gauge f_0 = 0. A pass over the local points computes L, S_k = sum_n m_n p_nk and
   optionally PP_kl = sum_n m_n p_nk p_nl with p_nk = N_k exp(f_k - u_kn) / sum_l (...)
   (so grad = S - N and Hessian = diag(S) - PP), then reduces them over comm (the only
   communication). Used by MBAR on the samples (comm = the world) and by WHAM on the pooled
   histogram (points = bin centres, comm = PETSC_COMM_SELF). */
typedef struct {
  MPI_Comm          comm;
  PetscMPIInt       rank;
  PetscInt          K, d;
  const PetscReal  *center, *h; /* K x d */
  PetscReal         period[2];
  PetscReal        *Nk, *lnNk;  /* K */
  PetscReal         Ntot;       /* sum over all ranks */
  PetscInt          ngroups;    /* local groups of consecutive points (windows): sums are formed per group first */
  const PetscInt64 *gptr;       /* ngroups + 1 */
  const PetscReal  *z;          /* local points, gptr[ngroups] x d */
  const PetscReal  *m;          /* multiplicities or NULL */
  PetscBool         banded;     /* 1-D, not periodic, centres increasing, all h > 0: scan only nearby windows */
  PetscReal         hmin, cut;  /* exp() is skipped for terms below the per-point maximum exponent by more than cut */
  PetscReal         pair_eps;   /* PP sums only pairs with both p_nk, p_nl above this */
  PetscReal        *lse;        /* if set, every pass stores ln sum_k N_k exp(f_k - u_kn) per local point */
  PetscReal        *Sfin, *PPfin; /* if set, UmbMbarSolve (Newton) fills them with S and PP (pair_eps 2^-60) at the
                                     solution when its last pass was there, and sets fin (lse is then of that pass) */
  PetscBool         fin;
  /* equally spaced windows of one h (banded): a point near window k0 has the exponents
     a_k = a_k0 + A_k + (k - k0) L, L = 2 h delta (z - c_k0), so its terms are T_k r^(k - k0) with
     T_k = exp(A_k) tabulated per pass and r = exp(L): products instead of exponentials */
  PetscBool         uniform, uniform_off; /* uniform_off: developers and tests take the general path */
  PetscReal         delta, hu, tmax;      /* spacing, the common h, the largest |z - c_k0| taken this way */
  PetscInt         *trow, *tJ;            /* per k0: start of its table row, half width J */
  PetscBool        *tok;                  /* per k0: every A_k of the row is small enough for products */
  PetscReal        *tT;                   /* rows of T_k for k - k0 in [-J, J] */
  size_t            tcap, mcap;
  PetscInt64        nuniform;             /* points that took the products so far (tests) */
  /* pair sums of such points: p_nk p_nl = T_k T_l r^(k + l - 2 k0) / s^2 depends on the
     point through k + l only, so a pass sums the moments sum_n m_n s^-2 r^i per k0
     (i in [-2J, 2J]) and folds them into PP at its end: 4J + 1 terms per point instead of pairs */
  PetscInt         *mrow;                 /* per k0: start of its moments */
  PetscReal        *mom, up[8], ur8, uL;  /* moments; the last point's powers r^0..r^7 and r^8, L */
  PetscInt          uk0;                  /* the last point's k0, -1 if it took the general path */
  /* work */
  PetscReal        *g, *a, *S, *Sg, *PP, *PPcheck, *pv, *buf, *flast; /* flast: f of the last pass */
  PetscInt         *idx;
  PetscReal        *blk, *blkx;   /* banded pair sums: rows of up to UMB_MBAR_BLOCK points (K wide), packed */
  PetscInt         *blo, *bhi, nblk;
  PetscInt64        npass;
} UmbMbar;
#define UMB_MBAR_BLOCK 128

typedef struct {
  UmbFesSolver solver;
  PetscReal    tol;    /* on max_k |S_k / N_k - 1| = max_k |sum_n W_nk - 1| */
  PetscInt     max_it; /* solver iterations */
  PetscInt     sweeps; /* self-consistent sweeps before the solver */
} UmbMbarOptions;

typedef struct {
  PetscBool          converged;
  PetscInt           sweeps, its, passes;
  PetscReal          gnorm;
  TaoConvergedReason reason;
} UmbMbarInfo;

PETSC_INTERN PetscErrorCode UmbMbarCreate(MPI_Comm, PetscInt, PetscInt, const PetscReal[], const PetscReal[], const PetscReal[], UmbMbar **);
/* Local points: ngroups groups (gptr), coordinates z, multiplicities m (may be NULL) */
PETSC_INTERN PetscErrorCode UmbMbarSetPoints(UmbMbar *, PetscInt, const PetscInt64[], const PetscReal[], const PetscReal[]);
/* Global per-window counts N_k (sum of multiplicities), identical on every rank; all must be > 0 */
PETSC_INTERN PetscErrorCode UmbMbarSetCounts(UmbMbar *, const PetscReal[]);
/* Collective pass: L, S (K) and, if PP is not NULL, PP (K x K, full) at f */
PETSC_INTERN PetscErrorCode UmbMbarPass(UmbMbar *, const PetscReal[], PetscReal *, PetscReal[], PetscReal[]);
/* Collective: sweeps, then TAO; f (K) is the start on input and the solution on output. If check
   is given, it is called with the pair sums PP after the sweeps, before the solver, or (Newton
   without sweeps) with those of the solver's first pass, before its first step (the overlap
   check: a disconnected problem has a singular Hessian) */
PETSC_INTERN PetscErrorCode UmbMbarSolve(UmbMbar *, const UmbMbarOptions *, PetscReal[], UmbMbarInfo *, PetscErrorCode (*)(void *, const PetscReal[]), void *);
/* Collective pass for the asymptotic errors of a binned profile: with the normalised weights
   w_n = exp(-lse_n) of the unbiased state (lse from the last pass), per bin b (bin[n] < 0:
   none): wsum_b = sum m w_n exp(-shift), G_bk = sum m w_n exp(-shift) p_nk, w2_b = sum m (w_n exp(-shift))^2 */
PETSC_INTERN PetscErrorCode UmbMbarBinSums(UmbMbar *, const PetscReal[], const PetscInt[], PetscInt, PetscReal, PetscReal[], PetscReal[], PetscReal[]);
/* Multiplicities of the points of local group grp for R replicas: M[i R + r] for its i-th point */
typedef PetscErrorCode (*UmbMbarMultFn)(void *, PetscInt, PetscInt, PetscReal[]);
/* Collective pass for R replicas at once (src/fes/bootjoint.c): replica r at f^r with
   E[k R + r] = exp(f^r_k - fbase_k) and multiplicities from mult (M: work, largest group x R).
   Out: S[k R + r] = sum_n m_nr p^r_nk and, if bin is not NULL, the profile sums
   FB[b R + r] = sum_{n in b} m_nr exp(-lse^r_n - shift) */
PETSC_INTERN PetscErrorCode UmbMbarReplicaPass(UmbMbar *, const PetscReal[], PetscInt, const PetscReal[], UmbMbarMultFn, void *, PetscReal[], const PetscInt[], PetscInt, PetscReal, PetscReal[], PetscReal[]);
PETSC_INTERN PetscErrorCode UmbMbarDestroy(UmbMbar **);
/* Developers and tests: the exp() cutoff (default 64 ln 2 + ln K, see docs/fes.md) */
PETSC_INTERN PetscErrorCode UmbMbarSetCutoff(UmbMbar *, PetscReal);
/* Developers and tests: PETSC_FALSE makes equally spaced windows take the general path as well */
PETSC_INTERN PetscErrorCode UmbMbarSetUniformPath(UmbMbar *, PetscBool);

/* Asymptotic covariance as pymbar 3.1 computes it by default ('svd-ew'): from A = W^T W (K x K)
   and N, Theta = V S pinv(I - S V^T N V S) S V^T with A = V S^2 V^T (outputs: Theta, K x K).
   Optionally T = V S^+ (pinv(I - S V^T N V S) - I) S^+ V^T (K x K, for the profile errors: the
   covariance of unsampled extra states is Wb^T Wb + G T G^T, G = Wb^T W) and the singular values
   of W (K); either may be NULL. */
PETSC_INTERN PetscErrorCode UmbFesCovariance(PetscInt, const PetscReal[], const PetscReal[], PetscReal[], PetscReal[], PetscReal[]);

/* ---- the free-energy stage ---------------------------------------------------------------- */
struct _p_UmbFes {
  MPI_Comm        comm;
  PetscMPIInt     rank, size;
  /* options */
  UmbFesType      type;
  UmbFesSolver    solver;
  UmbFesErrorType errtype;
  PetscBool       errtype_set;
  PetscReal       tol;
  PetscInt        max_it, sweeps, nboot;
  PetscBool       boot_joint; /* MBAR: the replicas of a batch solved together (-fes_bootstrap_joint) */
  PetscBool       hist_start; /* MBAR: start from WHAM on a fine pooled histogram (-fes_histogram_start) */
  PetscInt        start_bins; /* the bins with samples that start used, 0 if it was not used */
  PetscInt        boot_left;  /* replicas of the joint bootstrap that needed a separate solve (this run) */
  PetscBool       tol_set, max_it_set;
  /* cut > 0 replaces the exp() cutoff of the kernels (tests) */
  PetscInt64      seed;
  char            prefix[UMB_PREFIX_LEN]; /* of the options ("": none) */
  PetscInt        nbins_opt[2], nbins_n, range_n;
  PetscReal       range_opt[4];
  PetscReal       overlap_warn, alpha;
  PetscReal       cut;
  char            units[16];     /* -fes_units: fes.csv's F and dF also in kJ/mol or kcal/mol */
  PetscReal       ukT;           /* 1 kT in those units (0: kT only) */
  char            dir[PETSC_MAX_PATH_LEN];
  /* checkpoints of the bootstrap */
  PetscReal       ckpt_interval; /* wall seconds between checkpoints (0: only on a signal or -fes_stop_replica) */
  PetscInt        stop_replica;  /* checkpoint and stop after this many replicas (0: off) */
  PetscBool       restart;
  /* data */
  UmbWindowData   data;
  PetscInt        K, d;
  PetscReal      *h;  /* K x d: beta kappa / 2 */
  PetscReal      *Nk; /* K: samples per window */
  PetscInt64     *gptr;
  PetscReal      *neff;
  /* grid */
  PetscInt        nb[2], B;
  PetscReal       lo[2], hi[2], width[2];
  PetscInt       *bin; /* nloc: bin of each local sample, -1 outside */
  /* results */
  PetscReal      *f, *df_asym, *df_boot, *theta, *fboot;
  PetscReal      *F, *dF_asym, *dF_boot, *Fboot, *zc;
  PetscInt64     *counts;
  PetscInt        jmin, nfilled;
  PetscReal      *lse; /* nloc: ln sum_k N_k exp(f_k - u_kn) */
  PetscReal      *overlap;
  UmbMbarInfo     info;
  PetscInt64      boot_passes;
  PetscBool       boot_stopped; /* the bootstrap checkpointed and stopped before its last replica */
  PetscLogDouble  t_read, t_solve, t_boot, t_total;
  /* WHAM */
  PetscReal      *wham_M, *wham_N; /* pooled bin counts (B), in-range window counts (K) */
  PetscInt64      wham_dropped;
  /* diagnostics */
  PetscInt        npairs, nflagged;
  PetscInt       *pairs, *pair_axis; /* 2 x npairs, npairs */
  PetscReal      *pair_overlap;      /* 2 x npairs: O_kl, O_lk */
  PetscReal      *chi2, *pval;
  PetscInt       *dof;
  PetscReal       min_overlap;
  PetscInt        min_pair;
  PetscBool       setup, solved;
};

/* pieces of the stage, in src/fes/ */
PETSC_INTERN PetscErrorCode UmbFesBuildGrid(UmbFes);
PETSC_INTERN PetscInt       UmbFesBinOf(UmbFes, const PetscReal[]);
PETSC_INTERN PetscErrorCode UmbFesSolveMBAR(UmbFes);
PETSC_INTERN PetscErrorCode UmbFesSolveWHAM(UmbFes);
PETSC_INTERN PetscErrorCode UmbFesProfileFromLse(UmbFes, MPI_Comm, const PetscReal[], const PetscReal[], PetscInt64, const PetscInt[], PetscReal[], PetscInt64[], PetscReal *);
PETSC_INTERN PetscErrorCode UmbFesBootstrapWeights(UmbFes, PetscInt, PetscReal[]);
PETSC_INTERN PetscErrorCode UmbFesBootstrapWindowWeights(UmbFes, PetscInt, PetscInt, PetscReal[], PetscInt);
/* Replicas r0 .. r1-1 of the MBAR bootstrap solved together (src/fes/bootjoint.c) from the full-data
   f with the full-data pair sums PP (K x K) to tolerance tol: rows of fboot and Fboot (F minimum 0,
   not yet shifted), and left[r - r0] for those it leaves to a separate solve */
PETSC_INTERN PetscErrorCode UmbFesBootstrapJoint(UmbFes, UmbMbar *, const PetscReal[], PetscReal, PetscInt, PetscInt, PetscReal, PetscBool[]);
PETSC_INTERN PetscErrorCode UmbFesProfileErrors(UmbFes, UmbMbar *, const PetscReal[], const PetscReal[], PetscReal, const PetscInt[]);
PETSC_INTERN PetscErrorCode UmbFesNeighbours(UmbFes);
/* Bootstrap checkpoints, ckpt/fes.h5 (src/fes/checkpoint.c). Resume: with -restart, the replicas
   already done (rows of fboot and Fboot), and the solver passes they took; otherwise 0 and stale
   checkpoints are removed. MaybeCheckpoint: collective, after done replicas; *stop when the
   stage is to end here (signal, -fes_stop_replica). */
PETSC_INTERN PetscErrorCode UmbFesBootstrapResume(UmbFes, PetscInt *, PetscInt64 *);
PETSC_INTERN PetscErrorCode UmbFesBootstrapMaybeCheckpoint(UmbFes, PetscInt, PetscInt64, PetscLogDouble *, PetscBool *);
PETSC_INTERN PetscErrorCode UmbFesOverlapCheck(UmbFes, const PetscReal[], const PetscReal[]);
PETSC_INTERN PetscErrorCode UmbFesConsistency(UmbFes);

struct _p_UmbExport {
  MPI_Comm        comm;
  UmbExportFormat format;
  PetscInt        xyz_frames; /* -export_xyz_frames */
};

#endif
