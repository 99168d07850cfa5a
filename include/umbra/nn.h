/* Small neural networks in double precision on CBLAS: multilayer perceptrons (dense layers
   with activations), their backward pass and its reverse (double backpropagation, for penalties
   on input gradients), GAN losses, Adam, and the gradient reductions of data-parallel training.
   Parameters and gradients of a network are ONE flat buffer each, layer after layer
   [W_1 (n_1 x n_0, row-major), b_1 (n_1), W_2, b_2, ...] (the order of PyTorch's nn.Linear
   state_dict); batches are row-major, one sample per row. docs/gan.md has the formulas. */
#ifndef UMBRA_NN_H
#define UMBRA_NN_H

#include <umbra/sys.h>
#include <stdint.h>
#include <math.h>

typedef enum {
  UMB_ACT_IDENTITY  = 0,
  UMB_ACT_LEAKYRELU = 1, /* max(a, 0) + slope min(a, 0) */
  UMB_ACT_TANH      = 2,
  UMB_ACT_SILU      = 3  /* a sigmoid(a) */
} UmbActivation;
/* Option values: identity, leakyrelu, tanh, silu (PETSc enum list) */
PETSC_EXTERN const char *const UmbActivations[];

typedef struct _p_UmbMLP *UmbMLP;

/* nlayers dense layers with widths[0] inputs, widths[l] outputs of layer l (l = 1..nlayers);
   hidden layers use the activation act (slope: leaky ReLU's negative slope), the last layer is
   linear. Not collective. */
PETSC_EXTERN PetscErrorCode UmbMLPCreate(PetscInt nlayers, const PetscInt widths[], UmbActivation act, PetscReal slope, UmbMLP *);
PETSC_EXTERN PetscErrorCode UmbMLPDestroy(UmbMLP *);
PETSC_EXTERN PetscErrorCode UmbMLPGetSizes(UmbMLP, PetscInt *nin, PetscInt *nout, PetscInt *nparams);
PETSC_EXTERN PetscErrorCode UmbMLPGetLayers(UmbMLP, PetscInt *nlayers, const PetscInt **widths, UmbActivation *, PetscReal *slope);
/* The flat parameter and gradient buffers (length nparams), owned by the network */
PETSC_EXTERN PetscErrorCode UmbMLPGetParameters(UmbMLP, PetscReal **theta, PetscReal **grad);
/* Offset of W_l and b_l (l = 1..nlayers) in the flat buffers */
PETSC_EXTERN PetscErrorCode UmbMLPGetLayerOffsets(UmbMLP, PetscInt l, PetscInt *offW, PetscInt *offb);
/* Weights and biases uniform on +-1/sqrt(fan_in) (PyTorch's nn.Linear default), drawn from the
   Philox stream (seed, UMB_STREAM_NN_INIT, id): the same on every rank */
PETSC_EXTERN PetscErrorCode UmbMLPInitialize(UmbMLP, uint64_t seed, uint64_t id);
/* Largest batch (rows) the work buffers hold; grown on demand by Forward */
PETSC_EXTERN PetscErrorCode UmbMLPSetBatchCapacity(UmbMLP, PetscInt);
/* Whether Forward keeps what the backward passes need (default true); false for inference */
PETSC_EXTERN PetscErrorCode UmbMLPSetTraining(UmbMLP, PetscBool);
PETSC_EXTERN PetscErrorCode UmbMLPZeroGradients(UmbMLP);

/* Y (B x nout) = network(X (B x nin)); Y may be NULL (then read it with UmbMLPGetOutput).
   Caches the activations of the B rows for the passes below. */
PETSC_EXTERN PetscErrorCode UmbMLPForward(UmbMLP, PetscInt B, const PetscReal X[], PetscReal Y[]);
PETSC_EXTERN PetscErrorCode UmbMLPGetOutput(UmbMLP, const PetscReal **Y);
/* Backward pass of the first B rows of the last Forward: given dY = dL/dY (B x nout), adds
   dL/dtheta to the gradient buffer (if param_grads) and writes dX = dL/dX (B x nin) if dX is not
   NULL. Adjoints injected by UmbMLPInputGradientAdjoint since the last Forward are included (and
   consumed); rows past B must carry none (always true when UmbMLPInjects is false). */
PETSC_EXTERN PetscErrorCode UmbMLPBackward(UmbMLP, PetscInt B, const PetscReal dY[], PetscReal dX[], PetscBool param_grads);
/* Input gradient of rows [r0, r0+nr) of the last Forward: G (nr x nin) = d(sum_j dY_j Y_j)/dX
   per row (dY: nr x nout). For a scalar network and dY = 1, G is grad_x network(x). */
PETSC_EXTERN PetscErrorCode UmbMLPInputGradient(UmbMLP, PetscInt r0, PetscInt nr, const PetscReal dY[], PetscReal G[]);
/* Double backpropagation: given Gbar = dP/dG (nr x nin) for a penalty P(G) of the last
   UmbMLPInputGradient, adds the part of dP/dtheta that flows through the weights of the
   backward pass and injects the adjoints of the pre-activations, which the next UmbMLPBackward
   carries through the forward pass. Then dP/dtheta is complete after that Backward. */
PETSC_EXTERN PetscErrorCode UmbMLPInputGradientAdjoint(UmbMLP, const PetscReal Gbar[]);
/* Whether the double backpropagation injects adjoints into the forward pass: only for
   activations with a second derivative (tanh, SiLU); for piecewise-linear ones (leaky ReLU,
   identity) the penalty's gradient is complete after UmbMLPInputGradientAdjoint, and rows with
   zero dY need no Backward at all. */
PETSC_EXTERN PetscBool      UmbMLPInjects(UmbMLP);

/* Losses on a vector y of n network outputs (one per sample), each scaled by `scale` (usually
   1/global batch size), returning the loss (added to *loss) and writing dy = dloss/dy:
   Linear:      loss = scale * sign * sum y                              (Wasserstein terms)
   Softplus:    loss = scale * sum softplus(sign * y)    (BCE with logits: sign = -1 for label 1,
                                                          +1 for label 0; stable for any y)
   GradPenalty: loss = scale * lambda * sum_i (|g_i|_2 - 1)^2 over rows g_i = the first ncol
                entries of row i of G (nr rows, leading dimension ld); Gbar (same layout) =
                dloss/dG (the other columns zero). */
PETSC_EXTERN PetscErrorCode UmbNNLossLinear(PetscInt n, const PetscReal y[], PetscReal sign, PetscReal scale, PetscReal *loss, PetscReal dy[]);
PETSC_EXTERN PetscErrorCode UmbNNLossSoftplus(PetscInt n, const PetscReal y[], PetscReal sign, PetscReal scale, PetscReal *loss, PetscReal dy[]);
PETSC_EXTERN PetscErrorCode UmbNNLossGradPenalty(PetscInt nr, PetscInt ncol, PetscInt ld, const PetscReal G[], PetscReal lambda, PetscReal scale, PetscReal *loss, PetscReal Gbar[]);
PETSC_EXTERN PetscReal      UmbNNSoftplus(PetscReal);
PETSC_EXTERN PetscReal      UmbNNSigmoid(PetscReal);

/* Adam with bias correction (Kingma & Ba), in PyTorch's operation order:
   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  t += 1;
   theta -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps) */
typedef struct _p_UmbAdam *UmbAdam;
PETSC_EXTERN PetscErrorCode UmbAdamCreate(PetscInt n, PetscReal lr, PetscReal beta1, PetscReal beta2, PetscReal eps, UmbAdam *);
PETSC_EXTERN PetscErrorCode UmbAdamStep(UmbAdam, PetscReal theta[], const PetscReal g[]);
/* The state (moments m, v of length n and the step count t) for checkpoints */
PETSC_EXTERN PetscErrorCode UmbAdamGetState(UmbAdam, PetscInt *n, PetscInt64 *t, PetscReal **m, PetscReal **v);
PETSC_EXTERN PetscErrorCode UmbAdamSetStep(UmbAdam, PetscInt64);
PETSC_EXTERN PetscErrorCode UmbAdamSetLearningRate(UmbAdam, PetscReal);
PETSC_EXTERN PetscErrorCode UmbAdamDestroy(UmbAdam *);

/* Data-parallel reductions of gradients. */
typedef enum {
  UMB_REDUCE_MPI   = 0, /* MPI_Allreduce of doubles: results depend on the rank count at round-off */
  UMB_REDUCE_EXACT = 1  /* fixed-point int64 sums: bitwise independent of the rank count */
} UmbReduceMode;
PETSC_EXTERN const char *const UmbReduceModes[];

/* Collective. sum (len) = the sum over all ranks of their nvec local vectors v (nvec x len,
   row-major), computed exactly: every value is converted to an int64 multiple of 2^-k_s with
   one exponent k_s per segment s (entries seg[s] .. seg[s+1]-1, nseg segments) chosen from the
   global largest magnitude so that nglobal values cannot overflow (one MPI_MAX allreduce of nseg
   doubles), the integers are added (exact and order-free: one MPI_SUM allreduce on int64), and
   converted back. The result does not depend on how the vectors are spread over the ranks.
   nglobal: an upper bound on the number of vectors over all ranks. finite is false (on every
   rank) when some value is NaN or infinite; sum is then NaN. */
PETSC_EXTERN PetscErrorCode UmbNNSumExact(MPI_Comm, PetscInt nvec, PetscInt len, PetscInt nseg, const PetscInt seg[], const PetscReal v[], PetscInt64 nglobal, PetscReal sum[], PetscBool *finite);
/* The exponent k of fixed-point sums (int64 multiples of 2^-k) of at most nglobal values no larger
   than bound in magnitude: large enough to keep about 62 - log2(nglobal) bits, small enough
   that the sum cannot overflow */
PETSC_EXTERN int UmbNNFixedPointExponent(PetscReal bound, PetscInt64 nglobal);
/* v as an int64 multiple of 2^-k (k from UmbNNFixedPointExponent): such terms add exactly */
static inline int64_t UmbNNToFixed(PetscReal v, int k) { return (int64_t)llrint(ldexp(v, k)); }
/* Collective: sum (n reals) = the sums over the ranks of the fixed-point values isum (multiples
   of 2^-k; summed in place) */
PETSC_EXTERN PetscErrorCode UmbNNFixedAllreduce(MPI_Comm, PetscInt n, int k, int64_t isum[], PetscReal sum[]);
/* 64-bit hash of n doubles (their bit patterns), for drift checks */
PETSC_EXTERN uint64_t UmbNNHash(PetscInt n, const PetscReal v[]);

#endif
