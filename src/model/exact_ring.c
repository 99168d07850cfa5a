/* Exact reference of the ring model for its native CV theta.
   In the internal coordinates (r, theta, w_1..w_{n-2}) U = (k_r/2)(r - 1)^2 + h((theta/theta0)^2 - 1)^2
   + (k_f/2)|w|^2; the rotation has unit Jacobian and the volume element is r dr dtheta dw, so
     int exp(-beta U) delta(theta(x) - z) dx = exp(-beta h((z/theta0)^2 - 1)^2) * int exp(-beta k_r (r-1)^2/2) r dr * (Gaussian in w),
   where the last two factors do not depend on z:
     beta F(theta) = beta h((theta/theta0)^2 - 1)^2 + const, theta wrapped into (-pi, pi].
   h and theta0 are the model's own (read and checked by the ring model). No observables: the
   fine conditional is isotropic. */
#include <umbra/private/exactimpl.h>
#include <umbra/private/modelimpl.h>
#include <umbra/private/ringimpl.h>

typedef struct {
  PetscReal h, theta0, period;
} ExactRing;

static PetscErrorCode Evaluate_Ring(UmbExact e, const PetscReal *z, PetscReal *F, PetscReal *obs)
{
  const ExactRing *r = (const ExactRing *)e->data;
  PetscReal        th = z[0], w;

  PetscFunctionBegin;
  if (r->period > 0) th -= r->period * PetscCeilReal((th - r->period / 2) / r->period); /* into (-P/2, P/2] */
  w  = (th / r->theta0) * (th / r->theta0) - 1;
  *F = e->beta * r->h * w * w;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Destroy_Ring(UmbExact e)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(e->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbExactAvailable_Ring(UmbCV cv, PetscBool *has, char why[], size_t len)
{
  UmbCVType type;
  PetscInt  d;
  char      desc[256];

  PetscFunctionBegin;
  PetscCall(UmbCVGetType(cv, &type));
  PetscCall(UmbCVGetDimension(cv, &d));
  *has = (PetscBool)(!strcmp(type, UMBCVNATIVE) && d == 1);
  if (!*has) {
    PetscCall(UmbExactDescribeCV(cv, desc, sizeof(desc)));
    snprintf(why, len, "model ring with CV %s: the exact reference is for the ring angle theta only (-cv native)", desc);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbExactSetUp_Ring(UmbExact e)
{
  const UmbRing *ring = (const UmbRing *)e->model->data;
  ExactRing     *r;
  PetscReal      period[2] = {0, 0};

  PetscFunctionBegin;
  PetscCheck(ring, e->comm, PETSC_ERR_ORDER, "the ring model is not created");
  PetscCall(PetscNew(&r));
  e->data        = r;
  e->ops.destroy = Destroy_Ring;
  r->h           = ring->h;
  r->theta0      = ring->theta0;
  PetscCall(UmbCVGetPeriod(e->cv, period));
  r->period = period[0];
  PetscCall(UmbExactSetObservableCount(e, 0));
  e->ops.evaluate = Evaluate_Ring;
  PetscFunctionReturn(PETSC_SUCCESS);
}
