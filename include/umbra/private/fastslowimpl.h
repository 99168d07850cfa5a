/* Parameters of the fastslow model, shared with its exact reference. */
#ifndef UMBRA_FASTSLOWIMPL_H
#define UMBRA_FASTSLOWIMPL_H

#include <petscsys.h>

typedef enum {
  UMB_FASTSLOW_GAUSSIAN = 0,
  UMB_FASTSLOW_TILTED   = 1
} UmbFastSlowCoupling;

typedef struct {
  PetscInt            m;
  PetscReal           eps, h;
  UmbFastSlowCoupling coupling;
  PetscReal           a, s, gamma; /* gaussian */
  PetscReal           cw, t;       /* tilted */
} UmbFastSlow;

#endif
