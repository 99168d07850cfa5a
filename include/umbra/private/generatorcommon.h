/* What the generator types share (src/generator/common.c): the coordinates a type generates, the
   conditioning features of the CV values, and the record of the model and CV in their files. */
#ifndef UMBRA_GENERATORCOMMON_H
#define UMBRA_GENERATORCOMMON_H

#include <umbra/cv.h>
#include <umbra/io.h>

/* The coordinates outside a coordinate CV (all n for any other CV): ng of them into gidx (n) */
PETSC_INTERN PetscErrorCode UmbGeneratorGeneratedCoordinates(UmbCV, PetscInt *ng, PetscInt gidx[]);

/* Conditioning features of CV values: a periodic component as (cos, sin) of 2 pi z / period;
   any other as (z - mean) / sd, then `fourier` pairs sin, cos of pi 2^k u (k < fourier), u the
   position in the trained range [lo, hi] mapped to [-1, 1] */
typedef struct {
  PetscInt         d, fourier;
  const PetscReal *period, *mean, *sd, *lo, *hi; /* d each */
} UmbFeatureMap;
PETSC_INTERN PetscInt UmbFeatureDim(PetscInt d, const PetscReal period[], PetscInt fourier);
PETSC_INTERN void     UmbFeatures(const UmbFeatureMap *, PetscInt m, const PetscReal z[], PetscReal zf[]);

/* Attributes model, cv, n, d, coordinate_cv, generated_coordinates, cv_period of group g */
PETSC_INTERN PetscErrorCode UmbGeneratorWriteProblem(UmbCV, PetscInt ng, const PetscInt gidx[], UmbH5, const char g[]);
/* Refuses (bad input, naming the file) a file of group g written for another model, dimension,
   CV or set of generated coordinates */
PETSC_INTERN PetscErrorCode UmbGeneratorCheckProblem(UmbCV, PetscInt ng, const PetscInt gidx[], UmbH5, const char path[], const char g[]);

#endif
