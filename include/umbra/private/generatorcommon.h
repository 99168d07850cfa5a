/* What the generator types share (src/generator/common.c): the coordinates a type generates, the
   conditioning features of the CV values, and the record of the model and CV in their files. */
#ifndef UMBRA_GENERATORCOMMON_H
#define UMBRA_GENERATORCOMMON_H

#include <umbra/cv.h>
#include <umbra/io.h>

/* Internal coordinates of a molecule whose CV components are dihedrals (src/generator/zmatrix.c):
   atom atom[p] is placed at position p by the length of its bond to the atom at position
   ref[3p], the angle with ref[3p + 1] and the dihedral with ref[3p + 2]; the dihedral of position
   cvpos[a] is CV component a (in the CV's unit: scale per radian). The generated coordinates are
   the other 3 N - 6 - d: bond lengths, angles and dihedrals (radians, each dihedral within pi of
   centre[p], its value in the model's reference structure), position by position. */
#define UMB_ZMATRIX_MAX_ATOMS 1024
typedef struct {
  PetscInt   natoms, nplaced, d, ng;
  PetscInt  *atom, *ref, cvpos[2];
  PetscReal *centre, scale;
  uint32_t   hash; /* of the table: files record it */
} UmbZMatrix;
/* The table for the CV's model and reference structure, or NULL with the reason in why */
PETSC_INTERN PetscErrorCode UmbZMatrixCreate(UmbCV, UmbZMatrix **, char why[], size_t len);
PETSC_INTERN PetscErrorCode UmbZMatrixDestroy(UmbZMatrix **);
PETSC_INTERN void           UmbZMatrixProject(const UmbZMatrix *, const PetscReal x[], PetscReal y[]);
/* x in the table's frame: the first atom at the origin, the second on the x axis, the third in
   the xy plane */
PETSC_INTERN void           UmbZMatrixEmbed(const UmbZMatrix *, const PetscReal z[], const PetscReal y[], PetscReal x[]);
PETSC_INTERN void           UmbZMatrixReplace(const UmbZMatrix *, const PetscReal y[], PetscReal x[]);
/* log of the volume element of the generated coordinates: dx = (rigid motions) J dz dy with
   log J = sum 2 log r + sum log sin(angle) */
PETSC_INTERN PetscReal      UmbZMatrixLogVolume(const UmbZMatrix *, const PetscReal y[]);
PETSC_INTERN void           UmbZMatrixName(const UmbZMatrix *, PetscInt j, char buf[], size_t len);

/* The generated coordinates y of a state x (n values) with CV value z (d values):
   - coordinate CV: the coordinates outside it, y_j = x[idx[j]];
   - linear CV z = W x, when a basis is asked for: the coordinates of x in an orthonormal basis Q
     of the null space of W, y = Q^T x, and x = W^+ z + Q y (W^+ = W^T (W W^T)^-1). The level
     set {x : W x = z} is then all of R^(n-d) in y, with a volume element dy that is a constant
     times its surface measure: a density in y is a density on the level set;
   - dihedral CVs of a molecule, when a basis is asked for: internal coordinates (zm above);
   - otherwise all n coordinates (generators of whole states: the GAN). */
typedef struct {
  PetscInt         n, d, ng;
  PetscBool        coord; /* coordinate CV: its coordinates in cvidx */
  PetscInt         cvidx[2];
  PetscInt        *idx;   /* the ng generated coordinates (NULL with a basis) */
  const PetscReal *W;     /* with a basis: the CV's weights (d x n), */
  PetscReal       *Q, *Wp; /* Q (n x ng) and W^+ (n x d), row-major */
  UmbZMatrix      *zm;     /* internal coordinates (NULL otherwise) */
  char             why[256]; /* why a basis was asked for and neither a linear basis nor internal coordinates apply */
} UmbGenSpace;
PETSC_INTERN PetscErrorCode UmbGenSpaceCreate(UmbCV, PetscBool basis, UmbGenSpace *);
PETSC_INTERN PetscErrorCode UmbGenSpaceDestroy(UmbGenSpace *);
/* y (ng) of a state x (n) */
PETSC_INTERN void UmbGenSpaceProject(const UmbGenSpace *, const PetscReal x[], PetscReal y[]);
/* the state x (n) of CV value z and generated coordinates y (without a basis or coordinate CV,
   x[idx] = y only) */
PETSC_INTERN void UmbGenSpaceEmbed(const UmbGenSpace *, const PetscReal z[], const PetscReal y[], PetscReal x[]);
/* x (n) with its generated coordinates set to y and its CV value kept */
PETSC_INTERN void UmbGenSpaceReplace(const UmbGenSpace *, const PetscReal y[], PetscReal x[]);

/* Conditioning features of CV values: a periodic component as (cos, sin) of k 2 pi z / period
   for k = 1..harmonics (the GAN's: 1);
   any other as (z - mean) / sd, then `fourier` pairs sin, cos of pi 2^k u (k < fourier), u the
   position in the trained range [lo, hi] mapped to [-1, 1] */
typedef struct {
  PetscInt         d, fourier, harmonics;
  const PetscReal *period, *mean, *sd, *lo, *hi; /* d each */
} UmbFeatureMap;
PETSC_INTERN PetscInt UmbFeatureDim(PetscInt d, const PetscReal period[], PetscInt fourier, PetscInt harmonics);
PETSC_INTERN void     UmbFeatures(const UmbFeatureMap *, PetscInt m, const PetscReal z[], PetscReal zf[]);

/* Attributes model, cv, n, d, coordinate_cv, generated_coordinates, cv_period (and cv_weights
   with a basis) of group g */
PETSC_INTERN PetscErrorCode UmbGeneratorWriteProblem(UmbCV, const UmbGenSpace *, UmbH5, const char g[]);
/* Refuses (bad input, naming the file) a file of group g written for another model, dimension,
   CV, set of generated coordinates or linear CV's weights */
PETSC_INTERN PetscErrorCode UmbGeneratorCheckProblem(UmbCV, const UmbGenSpace *, UmbH5, const char path[], const char g[]);

#endif
