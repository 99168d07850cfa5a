/* samples.h5 writing by the sampler (src/sample/output.c). */
#ifndef UMBRA_SAMPLEOUTIMPL_H
#define UMBRA_SAMPLEOUTIMPL_H

#include <umbra/private/samplerimpl.h>
#include <umbra/io.h>

PETSC_INTERN PetscErrorCode UmbSamplesFileCreate(UmbSampler, const char[], PetscInt64, UmbH5 *);
PETSC_INTERN PetscErrorCode UmbSamplesWriteFrames(UmbSampler, UmbH5, const char[], PetscInt, PetscInt64, PetscInt64, PetscInt64, PetscInt64, const PetscReal *);
PETSC_INTERN PetscErrorCode UmbSamplesReadFrames(UmbSampler, UmbH5, const char[], PetscInt, PetscInt64, PetscInt64, PetscInt64, PetscInt64, PetscReal *);
PETSC_INTERN PetscErrorCode UmbSamplesWriteWindowStats(UmbSampler, UmbH5, const PetscReal[], PetscInt64);

#endif
