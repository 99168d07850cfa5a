/* Private layout of UmbFlow and the functions its source files share (and tests call). */
#ifndef UMBRA_FLOWIMPL_H
#define UMBRA_FLOWIMPL_H

#include <umbra/flow.h>
#include <umbra/private/generatorcommon.h>
#include <umbra/nn.h>
#include <umbra/io.h>
#include <umbra/rng.h>

#define UMB_FLOW_MAX_LAYERS 16 /* hidden layers of a conditioner */
#define UMB_FLOW_MAX_COUPLINGS 32
#define UMB_FLOW_MAX_BINS 64
#define UMB_FLOW_BLOCK 256 /* = UMB_LIFT_BLOCK */ /* rows per block of generation: noise keyed by row, blocks aligned */

/* Rational-quadratic spline (Durkan et al. 2019) on [-bound, bound) with K bins and identity
   tails, parametrised by 3K - 1 unconstrained values: K widths and K heights (softmax), K - 1
   interior knot derivatives (softplus, 1 at raw 0); the end derivatives are 1 so the tails join
   smoothly. */
typedef struct {
  PetscInt  K;
  PetscReal bound, min_width, min_height, min_derivative;
} UmbFlowSpline;

/* out = s(v), logdet = log s'(v) */
PETSC_INTERN void UmbFlowSplineForward(const UmbFlowSpline *, const PetscReal raw[], PetscReal v, PetscReal *out, PetscReal *logdet);
/* v = s^{-1}(u), logdet = log s'(v) (of the forward map) */
PETSC_INTERN void UmbFlowSplineInverse(const UmbFlowSpline *, const PetscReal raw[], PetscReal u, PetscReal *v, PetscReal *logdet);
/* The K + 1 knots X of the input (tests place quadrature panels between them) */
PETSC_INTERN void UmbFlowSplineKnots(const UmbFlowSpline *, const PetscReal raw[], PetscReal X[]);
/* Given adjoints a_out, a_logdet of out and logdet at v: adds d/draw into graw (3K - 1) and
   returns d/dv */
PETSC_INTERN PetscReal UmbFlowSplineBackward(const UmbFlowSpline *, const PetscReal raw[], PetscReal v, PetscReal a_out, PetscReal a_logdet, PetscReal graw[]);


/* Ids of the Philox streams (domain UMB_STREAM_LATENT, shared with the GAN's ids 0-6) */
enum { UMB_FLOW_RNG_LIFT = 16, UMB_FLOW_RNG_VALID = 17 };
/* Ids of the shuffle streams and initialisation streams */
enum { UMB_FLOW_INIT = 16 };

struct _p_UmbFlow {
  MPI_Comm    comm;
  PetscMPIInt rank, size;
  UmbCV       cv;
  UmbModel    model;

  /* problem: n coordinates, d CV components; the flow models the ng generated coordinates of
     space (outside a coordinate CV, or in the null space of a linear CV) */
  UmbGenSpace space;
  PetscInt    n, d, ng, dz;
  PetscReal period[2];
  char      modeltype[64], cvtype[32];

  /* architecture: ncoupling layers; layer l transforms the coordinates B_l (ng = 1: the one
     coordinate; else those j with (j + l) even) given the others A_l and the CV features */
  PetscInt      ncoupling, nhidden, hidden[UMB_FLOW_MAX_LAYERS], fourier, harmonics;
  UmbActivation act;
  PetscReal     slope;
  UmbFlowSpline spline;
  PetscInt      nA[UMB_FLOW_MAX_COUPLINGS], nB[UMB_FLOW_MAX_COUPLINGS], *Aidx[UMB_FLOW_MAX_COUPLINGS], *Bidx[UMB_FLOW_MAX_COUPLINGS];

  /* training options */
  PetscReal     lr, lr_final, beta1, beta2, val_frac, loss_limit;
  PetscInt      batch, epochs, microbatch;
  PetscInt64    ckpt_interval, stop_step, drift_interval, seed;
  UmbReduceMode reduce;
  PetscBool     restart;
  char          prefix[UMB_PREFIX_LEN];


  /* networks: one conditioner per coupling layer, each with its Adam */
  UmbMLP    net[UMB_FLOW_MAX_COUPLINGS];
  UmbAdam   adam[UMB_FLOW_MAX_COUPLINGS];
  PetscInt  nparams, poff[UMB_FLOW_MAX_COUPLINGS + 1]; /* offsets of each layer in the flat vector */
  PetscBool have_networks;
  /* work rows: V (ncoupling + 1 blocks of cap x ng: the input of each layer, then the output),
     conditioner inputs Xc, adjoints G, Gn, dTheta, dXc; log-Jacobian ld, NLL nll and the loss's
     adjoints au (of u), ald (of ld) per row */
  PetscInt   cap;
  PetscReal *V, *Xc, *G, *Gn, *dTheta, *dXc, *ld, *nll, *au, *ald;

  /* standardisation: y_std = (y - ymean) / ysd; z features as the GAN's */
  PetscReal *ymean, *ysd, zmean[2], zsd[2], zlo[2], zhi[2];
  PetscInt64 trained_steps, trained_epochs;
  PetscReal  train_nll, valid_nll; /* per sample, in standardised units, at the end of training */
};

/* Conditioning features (dz per row): periodic: cos, sin of -flow_harmonics harmonics; else the
   standardised value and -flow_fourier sine/cosine pairs over the trained range */
PETSC_INTERN void           UmbFlowFeatures(UmbFlow, PetscInt m, const PetscReal z[], PetscReal zf[]);
PETSC_INTERN PetscErrorCode UmbFlowBuildNetworks(UmbFlow);
PETSC_INTERN PetscErrorCode UmbFlowDestroyNetworks(UmbFlow);
PETSC_INTERN PetscErrorCode UmbFlowReserve(UmbFlow, PetscInt rows);
/* b rows of standardised y (leading dimension ldy) and features zf (ldz) through the layers:
   u (b x ng, may be NULL: then in the work rows) and logdet (b). Keeps what the backward pass needs. */
PETSC_INTERN PetscErrorCode UmbFlowForwardRows(UmbFlow, PetscInt b, const PetscReal y[], PetscInt ldy, const PetscReal zf[], PetscInt ldz, PetscReal u[], PetscReal logdet[]);
/* The inverse: y (b x ng) from u (b x ng) at zf; logdet of the forward map at y */
PETSC_INTERN PetscErrorCode UmbFlowInverseRows(UmbFlow, PetscInt b, const PetscReal u[], const PetscReal zf[], PetscInt ldz, PetscReal y[], PetscReal logdet[]);
/* Backward pass of the last UmbFlowForwardRows given the adjoints of u (b x ng) and of logdet
   (b): adds the parameter gradients to each conditioner's buffer; dy (may be NULL) = d/dy */
PETSC_INTERN PetscErrorCode UmbFlowBackwardRows(UmbFlow, PetscInt b, const PetscReal au[], const PetscReal ald[], PetscReal dy[]);
/* Per-row negative log-likelihood of b rows in standardised units into nll (b); the forward
   state stays in the work rows */
PETSC_INTERN PetscErrorCode UmbFlowNLLRows(UmbFlow, PetscInt b, const PetscReal y[], PetscInt ldy, const PetscReal zf[], PetscInt ldz, PetscReal nll[]);
/* Negative log-likelihood of b rows in standardised units: adds scale * its gradient to the
   conditioners' buffers and scale * sum of the NLL to *loss */
PETSC_INTERN PetscErrorCode UmbFlowLossRows(UmbFlow, PetscInt b, const PetscReal y[], PetscInt ldy, const PetscReal zf[], PetscInt ldz, PetscReal scale, PetscReal *loss);
/* The flat parameter vector (copy out / in) and gradient (copy out), nparams long */
PETSC_INTERN PetscErrorCode UmbFlowGetParameters(UmbFlow, PetscReal theta[]);
PETSC_INTERN PetscErrorCode UmbFlowSetParameters(UmbFlow, const PetscReal theta[]);
PETSC_INTERN PetscErrorCode UmbFlowGetGradient(UmbFlow, PetscReal grad[]);
PETSC_INTERN PetscErrorCode UmbFlowZeroGradients(UmbFlow);
PETSC_INTERN PetscErrorCode UmbFlowSetTraining(UmbFlow, PetscBool);
/* flow.h5 */
PETSC_INTERN PetscErrorCode UmbFlowWrite(UmbFlow, const char path[]);
PETSC_INTERN PetscErrorCode UmbFlowWriteAttributes(UmbFlow, UmbH5, const char group[]);

#endif
