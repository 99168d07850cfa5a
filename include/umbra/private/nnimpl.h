/* Private layout of UmbMLP and UmbAdam. */
#ifndef UMBRA_NNIMPL_H
#define UMBRA_NNIMPL_H

#include <umbra/nn.h>

/* One dense layer y = act(x W^T + b); W, b, dW, db are views into the network's flat buffers.
   Work buffers hold cap rows; row r of every buffer belongs to row r of the last Forward. */
typedef struct {
  PetscInt      nin, nout;
  UmbActivation act;
  PetscReal    *W, *b, *dW, *db;
  PetscReal    *A;    /* pre-activations a = x W^T + b */
  PetscReal    *H;    /* outputs act(a) (aliases A for a linear layer) */
  PetscReal    *S1;   /* act'(a) (training mode; NULL for a linear layer) */
  PetscReal    *Dl;   /* input-gradient pass: delta = d(dY.Y)/dH of this layer's output */
  PetscReal    *E;    /* input-gradient pass: e = delta * act'(a) */
  PetscReal    *Abar; /* adjoints of a injected by the double backpropagation */
} UmbLayer;

struct _p_UmbMLP {
  PetscInt      nlayers, *widths, nparams, maxw, cap, B;
  UmbActivation act;
  PetscReal     slope;
  PetscBool     training;
  PetscReal    *theta, *grad;
  UmbLayer     *layers;
  PetscReal    *X;            /* copy of the last input (cap x nin) */
  PetscReal    *work1, *work2; /* cap x maxw scratch */
  PetscInt      ig_r0, ig_nr; /* rows of the last UmbMLPInputGradient */
  PetscBool     ig_done;      /* an input gradient waits for its adjoint */
  PetscBool     injected;     /* Abar of rows ig_r0.. holds adjoints for the next Backward */
};

struct _p_UmbAdam {
  PetscInt   n;
  PetscInt64 t;
  PetscReal  lr, beta1, beta2, eps;
  PetscReal *m, *v;
};

#endif
