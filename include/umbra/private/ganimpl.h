/* Private layout of UmbGan and the functions its source files share (and tests call). */
#ifndef UMBRA_GANIMPL_H
#define UMBRA_GANIMPL_H

#include <umbra/gan.h>
#include <umbra/private/generatorcommon.h>
#include <umbra/io.h>
#include <umbra/rng.h>

#define UMB_GAN_MAX_LAYERS 16
#define UMB_GAN_NLOSS_D    3 /* critic partial sums: D(real), D(fake), penalty (each / B) */
#define UMB_GAN_NLOSS_G    2 /* generator partial sums: adversarial loss, consistency penalty */

/* Ids of the Philox streams (domain UMB_STREAM_LATENT) */
enum { UMB_GAN_RNG_CRITIC = 0, UMB_GAN_RNG_EPS = 1, UMB_GAN_RNG_GEN = 2, UMB_GAN_RNG_LIFT = 3, UMB_GAN_RNG_VALID = 4, UMB_GAN_RNG_PROJ = 5, UMB_GAN_RNG_CALIB = 6 };
/* The shuffle streams (domain UMB_STREAM_SHUFFLE) belong to the training set (trainset.h) */
/* Ids of the initialisation streams (domain UMB_STREAM_NN_INIT) */
enum { UMB_GAN_INIT_G = 0, UMB_GAN_INIT_D = 1 };

struct _p_UmbGan {
  MPI_Comm    comm;
  PetscMPIInt rank, size;
  UmbCV       cv;
  UmbModel    model;

  /* problem: n coordinates, d CV components; the generator makes ng coordinates gidx[] (those of
     space: the GAN generates coordinates, not a basis) */
  UmbGenSpace space;
  PetscInt    n, d, ng, dz, *gidx;
  PetscBool coord;      /* coordinate CV: lifted state = (z, G) */
  PetscInt  cvidx[2];
  PetscReal period[2];
  char      modeltype[64], cvtype[32];

  /* options (what defines the networks and the training) */
  PetscInt      nhidden, hidden[UMB_GAN_MAX_LAYERS], latent, fourier;
  PetscBool     latent_set;
  UmbActivation act;
  PetscReal     slope;
  UmbGanLoss    loss;
  PetscReal     lr_g, lr_d, beta1, beta2, gp_lambda, cons_lambda, val_frac, ema, lr_final;
  PetscReal     loss_limit; /* a step whose critic or generator loss exceeds this in size has diverged (0: no limit) */
  PetscInt      batch, critic_steps, epochs, microbatch, val_bins;
  PetscInt64    ckpt_interval, stop_step, drift_interval, seed;
  UmbReduceMode reduce;
  PetscBool     restart;
  char          prefix[UMB_PREFIX_LEN]; /* of the options ("": none) */


  /* networks and optimisers; Gl lifts: the running average of G's parameters (-gan_ema), or G */
  UmbMLP    G, D, Gl;
  UmbAdam   adam_g, adam_d;
  PetscBool have_networks;
  PetscInt  cap; /* rows of the work buffers below */
  PetscReal *Xg, *xf, *Xd, *dY, *Gin, *Gbar, *dXd, *dxf, *eta, *eps, *zc, *Jc;

  /* standardisation: x_std = (x - xmean) / xsd per generated coordinate, z likewise for
     non-periodic components; periodic components enter as (cos, sin) of 2 pi z / period */
  PetscReal *xmean, *xsd, zmean[2], zsd[2], zlo[2], zhi[2];
  PetscInt64 trained_steps, trained_epochs;

  /* calibrated lifting (src/gan/calibrate.c): cal_K basis functions (0: not calibrated), the
     coefficients (4 x cal_K x ng) of y and y^2 of the data, then of the generator; CV values
     are clamped to [cal_lo, cal_hi], the intervals with enough training rows; cal_nrep
     replicates of the data's coefficients (cal_rep: 2 cal_nrep x cal_K x ng perturbations of the
     mean's, then of the variance's) carry their sampling error into the closures */
  PetscBool  calibrate;
  PetscInt   cal_nint[2], cal_K, cal_nrep;
  PetscReal *cal_rep;
  PetscReal  cal_lo[2], cal_hi[2];
  PetscInt64 cal_draws;
  PetscReal *cal_coef;
};

/* Conditioning features (dz per row) of m CV values (UmbFeatures with the GAN's standardisation) */
PETSC_INTERN void UmbGanFeatures(UmbGan, PetscInt m, const PetscReal z[], PetscReal zf[]);
/* Builds G and D (and the optimisers) for the current sizes and options */
PETSC_INTERN PetscErrorCode UmbGanBuildNetworks(UmbGan);
PETSC_INTERN PetscErrorCode UmbGanReserve(UmbGan, PetscInt rows);

/* One chunk of b rows of the critic loss: xr (b x ng standardised real states), zf (b x dz),
   eta (b x latent), eps (b, interpolation weights). Adds scale * the gradient of
   E[D(fake)] - E[D(real)] + lambda E[(|grad_x D(xhat)| - 1)^2] (wgan-gp) or of the
   cross-entropy (ns) to D's gradient buffer and scale * the partial sums to loss[0..2]
   (sum D(real), sum D(fake), sum penalty). */
PETSC_INTERN PetscErrorCode UmbGanCriticChunk(UmbGan, PetscInt b, const PetscReal xr[], PetscInt ldx, const PetscReal zf[], PetscInt ldz, const PetscReal eta[], const PetscReal eps[], PetscReal scale, PetscReal loss[]);
/* One chunk of the generator loss -E[D(G(eta, z), z)] (wgan-gp) or E[softplus(-D)] (ns), plus
   the consistency penalty lambda |xi(G) - z|^2 for non-coordinate CVs (zraw: b x d, ld ldr).
   Adds scale * its gradient to G's gradient buffer and scale * the partial sums to loss[0..1]. */
PETSC_INTERN PetscErrorCode UmbGanGeneratorChunk(UmbGan, PetscInt b, const PetscReal zf[], PetscInt ldz, const PetscReal zraw[], PetscInt ldr, const PetscReal eta[], PetscReal scale, PetscReal loss[]);
/* Forward of generator net (G or Gl) on b rows (standardised output xf, b x ng) */
PETSC_INTERN PetscErrorCode UmbGanGeneratorForward(UmbGan, UmbMLP net, PetscInt b, const PetscReal zf[], PetscInt ldz, const PetscReal eta[], PetscReal xf[]);
/* Full states (b x n) from standardised generator output and the CV values */
PETSC_INTERN void UmbGanAssemble(UmbGan, PetscInt b, const PetscReal xf[], const PetscReal z[], PetscReal x[]);

/* Lifted states of a block of b <= UMB_GAN_BLOCK rows at z from their latent noise eta: the
   averaged generator, the calibration, the full states. x holds nrep + 1 blocks of b x n, stride
   rows apart: the calibrated lifting, then each of the first nrep replicates of the calibration.
   work: UMB_GAN_LIFT_WORK reals. */
#define UMB_GAN_LIFT_WORK(gan) (UMB_GAN_BLOCK * ((gan)->dz + 2 * (gan)->ng))
PETSC_INTERN PetscErrorCode UmbGanLiftBlock(UmbGan, PetscInt b, const PetscReal z[], const PetscReal eta[], PetscInt nrep, PetscInt64 stride, PetscReal work[], PetscReal x[]);
/* Latent noise of a row: stream (seed, LATENT, id), counter (c0, row) */
PETSC_INTERN void UmbGanLatent(UmbGan, uint64_t id, uint64_t c0, PetscInt b, const PetscInt64 rows[], PetscReal eta[]);

/* Calibrated lifting: replaces the standardised generator output xf (b x ng) at the CV values z
   by the calibrated one, with replicate rep of the data's moments (-1: the fit itself; nothing
   when not calibrated) */
PETSC_INTERN void           UmbGanCalibrateApply(UmbGan, PetscInt rep, PetscInt b, const PetscReal z[], PetscReal xf[]);
PETSC_INTERN PetscErrorCode UmbGanCalibrationFree(UmbGan);
PETSC_INTERN PetscErrorCode UmbGanWriteCalibration(UmbGan, UmbH5);
PETSC_INTERN PetscErrorCode UmbGanReadCalibration(UmbGan, UmbH5, const char path[]);
/* Reads n reals of a gan.h5 dataset and refuses non-finite ones */
PETSC_INTERN PetscErrorCode UmbGanReadFiniteReals(UmbGan, UmbH5, const char path[], const char name[], PetscInt n, PetscReal v[]);

/* gan.h5 */
PETSC_INTERN PetscErrorCode UmbGanWrite(UmbGan, const char path[]);
/* Architecture and training attributes shared by gan.h5 and checkpoints */
PETSC_INTERN PetscErrorCode UmbGanWriteAttributes(UmbGan, UmbH5, const char group[]);

#endif
