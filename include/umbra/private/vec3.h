/* Small vector helpers of the molecular geometry (dihedral CV, internal coordinates). */
#ifndef UMBRA_VEC3_H
#define UMBRA_VEC3_H

#include <petscsys.h>

static inline void UmbSub3(const PetscReal u[3], const PetscReal v[3], PetscReal w[3])
{
  for (int c = 0; c < 3; c++) w[c] = u[c] - v[c];
}

static inline void UmbCross3(const PetscReal u[3], const PetscReal v[3], PetscReal w[3])
{
  w[0] = u[1] * v[2] - u[2] * v[1];
  w[1] = u[2] * v[0] - u[0] * v[2];
  w[2] = u[0] * v[1] - u[1] * v[0];
}

static inline PetscReal UmbDot3(const PetscReal u[3], const PetscReal v[3])
{
  return u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
}

static inline PetscReal UmbNorm3(const PetscReal u[3])
{
  return PetscSqrtReal(UmbDot3(u, u));
}

#endif
