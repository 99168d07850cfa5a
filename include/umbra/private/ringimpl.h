/* Parameters of the ring model, shared with its exact reference and the tests. */
#ifndef UMBRA_RINGIMPL_H
#define UMBRA_RINGIMPL_H

#include <petscsys.h>

typedef struct {
  PetscInt   n;         /* -ring_n: dimension, >= 2 */
  PetscReal  h;         /* -ring_h: barrier height of the angular double well */
  PetscReal  theta0;    /* -ring_theta0: the angular minima are at theta = +-theta0 */
  PetscReal  kr, kf;    /* -ring_kr, -ring_kf: radial and fast spring constants */
  PetscInt64 seed;      /* -ring_seed: seed of the rotation */
  PetscReal *Q;         /* n x n orthogonal, row-major (Q[i*n + j]); internal coordinates q = Q^T x */
  PetscReal *e1, *e2;   /* copies of the first two columns of Q: the plane of the ring */
} UmbRing;

#endif
