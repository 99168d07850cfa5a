/* Private layout of UmbDmap and UmbDmapExt, and the internal steps of the computation. */
#ifndef UMBRA_DMAPIMPL_H
#define UMBRA_DMAPIMPL_H

#include <umbra/dmap.h>
#include <umbra/io.h>
#include <slepceps.h>
#include <stdint.h>

#define UMB_DMAP_MAX_NEV 64

/* automatic bandwidth (-dmap_eps auto): eps = UMB_DMAP_LOCAL_FACTOR times the median squared
   distance of a point of the bandwidth subsample to its UMB_DMAP_LOCAL_K-th nearest other point
   of the subsample (docs/dmap.md, "Defaults") */
#define UMB_DMAP_LOCAL_K      10
#define UMB_DMAP_LOCAL_FACTOR 0.5
/* automatic subsample of the cut-off kernel (-dmap_points auto): about this many kernel
   non-zeros in all, and never fewer points than UMB_DMAP_AUTO_MIN (or all of them) */
#define UMB_DMAP_AUTO_NNZ 4e6
#define UMB_DMAP_AUTO_MIN 2000
/* -dmap_eps auto: while psi_1 is localised (participation ratio below UMB_DMAP_MIN_PARTICIPATION:
   a few weakly joined points, not a coordinate of the data), eps is doubled and the map computed
   again, at most UMB_DMAP_MAX_WIDENINGS times (docs/dmap.md, "Defaults") */
#define UMB_DMAP_MIN_PARTICIPATION 0.1
#define UMB_DMAP_MAX_WIDENINGS     8

typedef enum {
  UMB_DMAP_EPS_USER  = 0, /* -dmap_eps <value> */
  UMB_DMAP_EPS_LOCAL = 1, /* auto: from the local scale (the kNN-distance median) */
  UMB_DMAP_EPS_BGH   = 2  /* bgh: the Berry-Giannakis-Harlim scan's largest slope */
} UmbDmapEpsRule;

typedef enum {
  UMB_DMAP_KERNEL_KNN    = 0, /* k nearest neighbours (the point itself included), union-symmetrised */
  UMB_DMAP_KERNEL_CUTOFF = 1  /* every pair closer than cutoff * sqrt(eps) */
} UmbDmapKernel;

struct _p_UmbDmap {
  MPI_Comm       comm;
  PetscMPIInt    rank, size;
  UmbModel       model;
  /* options */
  char           dir[PETSC_MAX_PATH_LEN];
  char           input[PETSC_MAX_PATH_LEN]; /* "" = <dir>/samples.h5 */
  char           atoms[256];                /* -dmap_atoms: all, heavy or 1-based atom ids */
  char           atoms_desc[128];           /* what was selected, for the view and dmap.h5 */
  PetscInt64     npoints_opt;               /* -dmap_points: 0 = every row, -1 = auto */
  PetscInt       k;                         /* -dmap_neighbors */
  PetscReal      cutoff;                    /* -dmap_cutoff (default 4; 0 = kNN kernel) */
  PetscInt       max_neighbors;             /* -dmap_max_neighbors (cut-off kernel) */
  PetscReal      eps_opt;                   /* -dmap_eps value; 0 = auto or bgh */
  UmbDmapEpsRule eps_rule;                  /* -dmap_eps: a value, auto or bgh */
  PetscReal      alpha;                     /* -dmap_alpha */
  UmbDmapWeights weights;                   /* -dmap_weights */
  PetscInt       nev;                       /* -dmap_nev: non-trivial eigenvectors */
  PetscInt       dim;                       /* -dmap_dim */
  PetscInt       coords_opt[2], ncoords_opt; /* -dmap_coords (0 = auto) */
  PetscReal      score_threshold;           /* -dmap_score_threshold */
  PetscInt       eps_points, score_points;  /* subsample sizes of the BGH scan and of the scores */
  PetscInt64     seed;                      /* subsample and exploration keys (UmbDmapSetSeed) */
  PetscInt64     explore_steps;             /* run: exploratory sampling */
  PetscInt       explore_walkers, explore_frames;
  PetscReal      explore_dt;                /* the sampler's time step (UmbDmapSetExploreTimeStep) */
  char           prefix[UMB_PREFIX_LEN];    /* of the options ("": none) */
  EPS            eps_solver;
  /* input: this rank's block of points, in global order */
  PetscBool      from_memory, setup, computed;
  PetscInt64     nfile;                     /* rows of the input file */
  PetscInt64     N, rstart;                 /* global points, global position of the first local one */
  PetscInt       nloc, n;                   /* n: coordinates mapped per point */
  PetscInt       nstate;                    /* coordinates of a state (n before -dmap_atoms) */
  PetscInt      *counts;                    /* points per rank (size) */
  PetscInt64    *starts;                    /* first global position per rank (size + 1) */
  PetscReal     *x;                         /* nloc x n */
  PetscInt64    *index;                     /* nloc: row in samples.h5 */
  PetscReal     *w;                         /* nloc: target-measure weights (1 without -dmap_weights) */
  /* graph: per local row, neighbours (global positions, ascending) and squared distances */
  PetscInt      *nbr_off;                   /* nloc + 1 */
  PetscInt64    *nbr_col;
  PetscReal     *nbr_d2;
  PetscReal     *rho2;                      /* kNN: squared distance of the k-th neighbour */
  PetscInt64     ncomp_graph, ncomp_eps;    /* connected components: any edge / edges K >= 2^-52 */
  /* bandwidth */
  PetscReal      eps, dimension;
  PetscReal      eps_local, eps_bgh;        /* the two automatic choices (both reported) */
  PetscReal      frac_mean, frac_max;       /* cut-off kernel: mean and largest fraction of the subsample within the cut-off */
  PetscInt       widenings;                 /* times eps was doubled because psi_1 was localised */
  PetscReal      participation;             /* participation ratio of psi_1 over the mapped points */
  PetscInt64     nauto;                     /* points before the automatic subsample (0: none taken) */
  PetscInt       nscan;
  PetscReal     *scan_eps, *scan_logsum, *scan_slope;
  PetscInt       scan_points;
  /* kernel and eigenpairs */
  PetscReal     *q, *g, *deg;               /* nloc: kernel row sums, column weights, degrees of K_alpha */
  PetscReal      lambda[UMB_DMAP_MAX_NEV + 1]; /* lambda_0 .. lambda_m */
  PetscReal      residual;                  /* largest relative residual |S v - lambda v| / |lambda| */
  PetscInt       eps_its;
  PetscReal     *psi;                       /* nloc x m (psi_1..psi_m) */
  PetscReal      scores[UMB_DMAP_MAX_NEV];
  PetscInt       coords[2], d;
  PetscInt64     nnz;
  PetscReal      kmax_trunc, kmed_trunc;    /* kNN: largest and median kernel value at the k-th neighbour */
  PetscReal      time_read, time_knn, time_bgh, time_kernel, time_eigen, time_score;
};

struct _p_UmbDmapExt {
  char       path[PETSC_MAX_PATH_LEN];
  PetscInt   M, n, m, d;
  UmbDmapKernel kernel;
  PetscInt   k;
  PetscReal  eps, alpha, cutoff, r2cut;
  PetscReal *x;       /* M x n */
  PetscReal *logg;    /* M: log of the column weights g_i = q_i^-alpha w_i^(1-alpha) */
  PetscReal *rho2;    /* M (kNN) */
  PetscReal *psi;     /* M x m, file order (chosen first) */
  PetscReal *lambda;  /* m, file order */
};

/* Squared distance, summed in coordinate order: the training kernel and the extension use this
   same function, so that the extension reproduces the training graph and values exactly. */
static inline PetscReal UmbDmapDist2(PetscInt n, const PetscReal *a, const PetscReal *b)
{
  PetscReal s = 0;
  for (PetscInt i = 0; i < n; i++) {
    PetscReal t = a[i] - b[i];
    s += t * t;
  }
  return s;
}

/* k-th smallest (0-based) of v[0..len-1]; reorders v */
PETSC_INTERN PetscReal UmbDmapSelect(PetscReal *, PetscInt, PetscInt);

PETSC_INTERN PetscErrorCode UmbDmapReadPoints(UmbDmap);
PETSC_INTERN PetscErrorCode UmbDmapLayout(UmbDmap);
PETSC_INTERN PetscErrorCode UmbDmapKeyThreshold(UmbDmap, PetscInt64, const PetscInt64[], PetscInt64, PetscInt64, uint64_t *);
PETSC_INTERN PetscBool      UmbDmapKeySelected(UmbDmap, PetscInt64, uint64_t);
PETSC_INTERN PetscErrorCode UmbDmapAutoSubsample(UmbDmap);
PETSC_INTERN PetscErrorCode UmbDmapNeighbours(UmbDmap);
PETSC_INTERN PetscErrorCode UmbDmapComponents(UmbDmap, PetscReal, PetscInt64 *);
PETSC_INTERN PetscErrorCode UmbDmapBandwidth(UmbDmap);
/* eps doubled, and the cut-off fractions of the automatic subsample at the new eps */
PETSC_INTERN PetscErrorCode UmbDmapWidenBandwidth(UmbDmap);
/* (sum psi_1^2)^2 / (N sum psi_1^4) over the mapped points: about 1/2 for a coordinate that
   varies over all of them, k / N for one localised on k points */
PETSC_INTERN PetscErrorCode UmbDmapParticipation(UmbDmap, PetscReal *);
PETSC_INTERN PetscErrorCode UmbDmapKernelMatrix(UmbDmap, Mat *);
PETSC_INTERN PetscErrorCode UmbDmapEigen(UmbDmap, Mat);
PETSC_INTERN PetscErrorCode UmbDmapScores(UmbDmap);
PETSC_INTERN PetscErrorCode UmbDmapSlepcInitialize(void);

#endif
