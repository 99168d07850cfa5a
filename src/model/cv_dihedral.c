/* dihedral: the torsion angle of four atoms, one or two components (-cv_atoms a,b,c,d[,e,f,g,h],
   1-based ids; a state holds atom i at x[3 (i - 1) + 0..2]). In radians in (-pi, pi], period
   2 pi, IUPAC sign (trans = pi, cis = 0; positive when, looking from b to c, the bond to a turns
   clockwise onto the bond to d: the GROMACS and LAMMPS convention).

   Value and gradient after Blondel & Karplus (J Comput Chem 17:1132, 1996): with
   F = r_a - r_b, G = r_b - r_c, H = r_d - r_c, A = F x G, B = H x G,
     phi = atan2(-|G| F.B, A.B),
     dphi/dr_a = -|G|/|A|^2 A,                 dphi/dr_d = |G|/|B|^2 B,
     dphi/dr_b = (|G|/|A|^2 + F.G/(|A|^2 |G|)) A - H.G/(|B|^2 |G|) B,
     dphi/dr_c = -dphi/dr_a - dphi/dr_b - dphi/dr_d.
   Neither divides by sin phi or cos phi: both stay accurate at 0 and pi. Where three atoms of a
   component are collinear (|A| or |B| zero to round-off), the angle has no value and the
   evaluation stops with PETSC_ERR_FP naming the atoms (no NaN goes on into a run).
   -cv_angle_unit degree scales value and gradient by 180/pi (period 360): the CV, and with it
   -us_range, -us_centers, -us_kappa (per degree^2), windows.csv and fes.csv, in degrees. */
#include <umbra/private/cvimpl.h>
#include <umbra/private/modelimpl.h>
#include <umbra/private/vec3.h>

typedef struct {
  PetscInt  atoms[8]; /* 0-based atom ids, 4 per component */
  char      names[2][80];
  PetscInt  unit;     /* 0 radian, 1 degree */
  PetscReal scale;    /* 1 or 180 / pi */
} UmbCV_Dihedral;

static const char *const angle_units[] = {"radian", "degree"};

static PetscErrorCode SetFromOptions_Dihedral(UmbCV cv, PetscOptionItems *PetscOptionsObject)
{
  UmbCV_Dihedral *dh = (UmbCV_Dihedral *)cv->data;

  PetscFunctionBegin;
  PetscCall(UmbCVOptionsAtoms(cv, PetscOptionsObject, 4, dh->atoms));
  PetscCall(UmbCVOptionsNames(cv, PetscOptionsObject, 4, dh->atoms, dh->names));
  PetscCall(PetscOptionsEList("-cv_angle_unit", "Unit of the dihedral: radian or degree (then -us_range, -us_kappa, outputs in degrees)", "UmbCVSetFromOptions", angle_units, 2, angle_units[dh->unit], &dh->unit, NULL));
  dh->scale = dh->unit ? 180 / PETSC_PI : 1;
  for (PetscInt a = 0; a < cv->d; a++) cv->period[a] = dh->unit ? 360 : 2 * PETSC_PI;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SetUp_Dihedral(UmbCV cv)
{
  UmbCV_Dihedral *dh = (UmbCV_Dihedral *)cv->data;

  PetscFunctionBegin;
  for (PetscInt a = 0; a < cv->d; a++) PetscCall(PetscStrncpy(cv->names[a], dh->names[a], sizeof(cv->names[a])));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Evaluate_Dihedral(UmbCV cv, PetscInt nw, const PetscReal *X, PetscReal *z, PetscReal *J)
{
  UmbCV_Dihedral *dh = (UmbCV_Dihedral *)cv->data;
  const PetscInt  n = cv->n, d = cv->d;
  const PetscReal tol2 = 16 * PETSC_MACHINE_EPSILON * PETSC_MACHINE_EPSILON; /* sin^2 of a bond angle that is 0 or pi to round-off */

  PetscFunctionBegin;
  if (J) PetscCall(PetscArrayzero(J, nw * d * n));
  for (PetscInt k = 0; k < nw; k++)
    for (PetscInt a = 0; a < d; a++) {
      const PetscInt  *at = dh->atoms + 4 * a;
      const PetscReal *r[4];
      PetscReal        F[3], G[3], H[3], A[3], B[3], A2, B2, g, phi;

      for (PetscInt i = 0; i < 4; i++) r[i] = X + k * n + 3 * at[i];
      for (PetscInt c = 0; c < 3; c++) {
        F[c] = r[0][c] - r[1][c];
        G[c] = r[1][c] - r[2][c];
        H[c] = r[3][c] - r[2][c];
      }
      UmbCross3(F, G, A);
      UmbCross3(H, G, B);
      A2 = UmbDot3(A, A);
      B2 = UmbDot3(B, B);
      g  = PetscSqrtReal(UmbDot3(G, G));
      PetscCheck(A2 > tol2 * UmbDot3(F, F) * g * g, PETSC_COMM_SELF, PETSC_ERR_FP, "-cv dihedral: atoms %" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT " of %s are collinear (or coincide) in state %" PetscInt_FMT ": the dihedral angle is undefined", at[0] + 1, at[1] + 1, at[2] + 1, dh->names[a], k);
      PetscCheck(B2 > tol2 * UmbDot3(H, H) * g * g, PETSC_COMM_SELF, PETSC_ERR_FP, "-cv dihedral: atoms %" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT " of %s are collinear (or coincide) in state %" PetscInt_FMT ": the dihedral angle is undefined", at[1] + 1, at[2] + 1, at[3] + 1, dh->names[a], k);
      phi = PetscAtan2Real(-g * UmbDot3(F, B), UmbDot3(A, B));
      if (phi <= -PETSC_PI) phi += 2 * PETSC_PI; /* atan2 gives -pi for a sine of -0 */
      z[k * d + a] = dh->scale * phi;
      if (J) {
        PetscReal      *Jr = J + (k * d + a) * n;
        const PetscReal fg = UmbDot3(F, G) / (A2 * g), hg = UmbDot3(H, G) / (B2 * g), s = dh->scale;
        for (PetscInt c = 0; c < 3; c++) {
          const PetscReal ga = -s * g / A2 * A[c], gd = s * g / B2 * B[c];
          const PetscReal gb = s * ((g / A2 + fg) * A[c] - hg * B[c]);
          Jr[3 * at[0] + c] = ga;
          Jr[3 * at[1] + c] = gb;
          Jr[3 * at[2] + c] = -ga - gb - gd;
          Jr[3 * at[3] + c] = gd;
        }
      }
    }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode GetDihedrals_Dihedral(UmbCV cv, const PetscInt **atoms, PetscReal *scale)
{
  UmbCV_Dihedral *dh = (UmbCV_Dihedral *)cv->data;

  PetscFunctionBegin;
  *atoms = dh->atoms;
  *scale = dh->scale;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode View_Dihedral(UmbCV cv, PetscViewer v)
{
  UmbCV_Dihedral *dh = (UmbCV_Dihedral *)cv->data;

  PetscFunctionBegin;
  for (PetscInt a = 0; a < cv->d; a++) PetscCall(UmbViewerPrintf(v, "%s: dihedral of atoms %" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT " (%s)\n", dh->names[a], dh->atoms[4 * a] + 1, dh->atoms[4 * a + 1] + 1, dh->atoms[4 * a + 2] + 1, dh->atoms[4 * a + 3] + 1, dh->unit ? "degrees, period 360" : "radians, period 2 pi"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Destroy_Dihedral(UmbCV cv)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(cv->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCVCreate_Dihedral(UmbCV cv)
{
  UmbCV_Dihedral *dh;

  PetscFunctionBegin;
  PetscCall(PetscNew(&dh));
  cv->data               = dh;
  cv->ops.setfromoptions = SetFromOptions_Dihedral;
  cv->ops.setup          = SetUp_Dihedral;
  cv->ops.evaluate       = Evaluate_Dihedral;
  cv->ops.getdihedrals   = GetDihedrals_Dihedral;
  cv->ops.view           = View_Dihedral;
  cv->ops.destroy        = Destroy_Dihedral;
  PetscFunctionReturn(PETSC_SUCCESS);
}
