/* The data-parallel training set that every generator type trains on (src/generator/trainset*.c).

   Rows of <dir>/samples.h5 are sharded over the ranks in blocks of global row index; a row is
   held out for validation when a Philox draw keyed by (seed, row) falls below the validation
   fraction. Epoch e visits the T training rows in the order of a Fisher-Yates permutation keyed
   by (seed, e): batch j of the epoch holds the rows at positions [jB, (j+1)B), and an optimiser
   step uses batches_per_step consecutive batches. Position q of every batch belongs to a fixed
   rank (blocks of positions; whole micro-batches in exact mode), and one MPI_Alltoallv per epoch
   moves each row to the rank of its position. So the batches do not depend on the rank count,
   and in exact mode neither do the reduced gradients (int64 fixed point per micro-batch).

   Use (collective on opts.comm unless said otherwise):
     UmbTrainSetLoad            read this rank's rows, split, standardisation and CV range
     (the caller copies xmean, xsd, zmean, zsd, zlo, zhi into its object)
     UmbTrainSetBuildRows       payload rows, with the caller's conditioning features
     UmbTrainSetSetUpBatches    batch positions of this rank, chunks, epoch buffer
     UmbTrainSetAddReduction / UmbTrainSetAddNetworks   one per parameter vector to reduce
     per step: UmbTrainSetGetBatch, fill vec per chunk, UmbTrainSetReduce, then every
     drift interval UmbTrainSetDriftCheck
     UmbTrainSetDestroy */
#ifndef UMBRA_TRAINSET_H
#define UMBRA_TRAINSET_H

#include <umbra/cv.h>
#include <umbra/nn.h>
#include <umbra/private/generatorcommon.h>

/* Ids of the shuffle streams (domain UMB_STREAM_SHUFFLE) */
enum { UMB_TRAINSET_SHUFFLE_EPOCH = 0, UMB_TRAINSET_SHUFFLE_SPLIT = 1 };
/* parameter vectors that can be registered for reduction (GAN: G and D; a flow: one) */
#define UMB_TRAINSET_MAX_RED 4

/* Filled by the caller; the strings and space must outlive the set */
typedef struct {
  MPI_Comm      comm;
  PetscInt64    seed;
  PetscReal     val_frac;         /* fraction of rows held out for validation */
  PetscInt      batch;            /* global batch size B */
  PetscInt      batches_per_step; /* batches of one optimiser step (GAN: critic steps; flow: 1) */
  UmbReduceMode reduce;
  PetscInt      microbatch;       /* rows per chunk in exact mode */
  UmbCV         cv;               /* names, dimension and periods of the conditioning CV */
  const char   *modeltype, *cvtype;
  PetscInt      n;                /* coordinates of a state (the model's dimension) */
  const UmbGenSpace *space;       /* the generated coordinates (space->ng of them) */
  /* for messages: the generator ("the cGAN"), its documentation ("docs/gan.md"), what a step is
     called ("generator step"), its batch option ("-gan_batch") and batches-per-step option
     ("-gan_critic_steps", or NULL when a step is one batch) */
  const char   *name, *doc, *step, *opt_batch, *opt_steps;
  PetscLogEvent event_data, event_reduce; /* the caller's log events: epoch exchange, reductions */
} UmbTrainSetOptions;

typedef struct {
  UmbTrainSetOptions opts;
  PetscMPIInt        rank, size;
  PetscInt           d;         /* CV components */
  PetscReal          period[2]; /* of each CV component (0: not periodic) */
  /* rows: payload [x_std (ng) | zf (dz) | z (d) | global row index] at offsets ox, oz, or, oid */
  PetscInt   W, ox, oz, or, oid, dz;
  PetscInt64 N, row0, nloc, T, V, tloc, vloc, *Toff; /* Toff: first training row of each rank */
  PetscReal *train, *valid;
  /* window table of samples.h5: rows [woff[k], woff[k+1]) are window k */
  PetscInt    nwin;
  PetscInt64 *woff;
  /* outputs of UmbTrainSetLoad: standardisation of the generated coordinates (ng each) and of
     the CV (periodic components: mean 0, sd 1), the CV range over all rows */
  PetscReal *xmean, *xsd, zmean[2], zsd[2], zlo[2], zhi[2];
  /* batches: S steps per epoch; this rank owns positions [qlo, qhi) of every batch (bloc of
     them) in nchunk chunks [chunk[k], chunk[k+1]) relative to qlo; U chunks over all ranks */
  PetscInt64   S, epoch_loaded, *perm;
  PetscInt     B, qlo, qhi, bloc, nchunk, *chunk, U;
  PetscMPIInt *qowner;
  PetscReal   *ebuf; /* rows of this rank's positions of the loaded epoch, [batch][position] */
  PetscInt64  *ids;  /* bloc + 1 scratch ids for the caller */
  /* reductions: vec holds one [parameters | losses] vector per chunk (exact) or one (mpi);
     red the sum over ranks */
  PetscInt   nred, np[UMB_TRAINSET_MAX_RED], nloss[UMB_TRAINSET_MAX_RED], nseg[UMB_TRAINSET_MAX_RED], *seg[UMB_TRAINSET_MAX_RED];
  PetscReal *vec, *red;
  PetscInt   veclen; /* length vec and red were allocated for */
  /* raw rows between Load and BuildRows */
  PetscReal *x, *z;
} UmbTrainSet;

/* Reads this rank's block of <dir>/samples.h5 (checking model, CV and CV names against opts),
   splits training and validation rows, computes the standardisation (exact sums: identical for
   any rank count) and the CV range. Checks that one step's batches fit in the training rows. */
PETSC_INTERN PetscErrorCode UmbTrainSetLoad(const UmbTrainSetOptions *, const char dir[], UmbTrainSet *);
/* Builds the payload rows; features(ctx, m, z, zf) gives dz conditioning features of m CV
   values (called after Load, so it may use the standardisation) */
/* Not collective: the standardisation of the last Load into the caller's object: xmean, xsd
   (re)allocated with ng values, the CV's zmean, zsd, zlo, zhi (d values each) */
PETSC_INTERN PetscErrorCode UmbTrainSetGetStandardization(const UmbTrainSet *, PetscReal **xmean, PetscReal **xsd, PetscReal zmean[], PetscReal zsd[], PetscReal zlo[], PetscReal zhi[]);
PETSC_INTERN PetscErrorCode UmbTrainSetBuildRows(UmbTrainSet *, PetscInt dz, void (*features)(void *ctx, PetscInt m, const PetscReal z[], PetscReal zf[]), void *ctx);
/* Batch positions of this rank and its chunks (one in mpi mode, micro-batches in exact mode) */
PETSC_INTERN PetscErrorCode UmbTrainSetSetUpBatches(UmbTrainSet *);
/* Registers a parameter vector of np entries whose reduction segments start at seg[0..nseg)
   (seg[0] = 0, increasing), followed by nloss loss entries (one segment each); *id names it in
   UmbTrainSetReduce. (Re)allocates vec and red for the longest. After SetUpBatches. */
PETSC_INTERN PetscErrorCode UmbTrainSetAddReduction(UmbTrainSet *, PetscInt np, PetscInt nseg, const PetscInt seg[], PetscInt nloss, PetscInt *id);
/* The same for nnet networks concatenated into one flat vector: one segment per layer's W and b */
PETSC_INTERN PetscErrorCode UmbTrainSetAddNetworks(UmbTrainSet *, PetscInt nnet, const UmbMLP nets[], PetscInt nloss, PetscInt *id);
/* Collective: brings the rows of this rank's batch positions of epoch e into ebuf (nothing to
   do when e is loaded) */
PETSC_INTERN PetscErrorCode UmbTrainSetLoadEpoch(UmbTrainSet *, PetscInt64 e);
/* Collective: rows (bloc x W) of batch k of global step `step` (loads its epoch when needed) */
PETSC_INTERN PetscErrorCode UmbTrainSetGetBatch(UmbTrainSet *, PetscInt64 step, PetscInt k, const PetscReal **rows);
/* Where chunk k (0 <= k < nchunk) puts its [parameters | losses] of reduction id: its own
   vector in exact mode (vec + k (np + nloss), zeroed by the caller), the one shared vector in
   mpi mode (vec, which the caller zeroes once per step and the chunks add to) */
PETSC_INTERN PetscErrorCode UmbTrainSetGetChunkVector(UmbTrainSet *, PetscInt id, PetscInt k, PetscReal **v);
/* Collective: red = the sum over ranks of the chunk vectors in vec of reduction id; finite is
   false when a sum is not finite */
PETSC_INTERN PetscErrorCode UmbTrainSetReduce(UmbTrainSet *, PetscInt id, PetscBool *finite);
/* Collective: the hash of the nbuf parameter buffers (buf[k] of n[k] reals) must agree over the
   ranks (error naming the step otherwise); also agrees on a stop signal (*stop) */
PETSC_INTERN PetscErrorCode UmbTrainSetDriftCheck(UmbTrainSet *, PetscInt nbuf, const PetscInt n[], PetscReal *const buf[], PetscInt64 step, PetscBool *stop);
PETSC_INTERN PetscErrorCode UmbTrainSetDestroy(UmbTrainSet *);

#endif
