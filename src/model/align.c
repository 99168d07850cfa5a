/* Rigid-body superposition of a molecule onto a reference (Kabsch 1976, mass-weighted): the
   rotation R minimising sum_i m_i |R x_i - r_i|^2 for centred x and r, from the SVD of the 3x3
   covariance H = sum_i m_i x_i r_i^T = U S V^T: R = V diag(1, 1, sign det(V U^T)) U^T. */
#include <umbra/private/modelimpl.h>
#include <gsl/gsl_linalg.h>

PetscErrorCode UmbAlignToReference(PetscInt natoms, const PetscReal mass[], const PetscReal ref[], PetscReal x[])
{
  double      H[9] = {0}, V[9], S[3], work[3], R[9], det;
  gsl_matrix_view Hm = gsl_matrix_view_array(H, 3, 3), Vm = gsl_matrix_view_array(V, 3, 3);
  gsl_vector_view Sv = gsl_vector_view_array(S, 3), Wv = gsl_vector_view_array(work, 3);

  PetscFunctionBegin;
  for (PetscInt i = 0; i < natoms; i++)
    for (int a = 0; a < 3; a++)
      for (int b = 0; b < 3; b++) H[3 * a + b] += mass[i] * x[3 * i + a] * ref[3 * i + b];
  UmbCallGSL(gsl_linalg_SV_decomp(&Hm.matrix, &Vm.matrix, &Sv.vector, &Wv.vector)); /* H becomes U */
  /* d = sign det(V U^T) = sign(det V det U) */
  det = (H[0] * (H[4] * H[8] - H[5] * H[7]) - H[1] * (H[3] * H[8] - H[5] * H[6]) + H[2] * (H[3] * H[7] - H[4] * H[6])) *
        (V[0] * (V[4] * V[8] - V[5] * V[7]) - V[1] * (V[3] * V[8] - V[5] * V[6]) + V[2] * (V[3] * V[7] - V[4] * V[6]));
  for (int a = 0; a < 3; a++)
    for (int b = 0; b < 3; b++) R[3 * a + b] = V[3 * a + 0] * H[3 * b + 0] + V[3 * a + 1] * H[3 * b + 1] + (det < 0 ? -1 : 1) * V[3 * a + 2] * H[3 * b + 2];
  for (PetscInt i = 0; i < natoms; i++) {
    const PetscReal p[3] = {x[3 * i], x[3 * i + 1], x[3 * i + 2]};
    for (int a = 0; a < 3; a++) x[3 * i + a] = R[3 * a] * p[0] + R[3 * a + 1] * p[1] + R[3 * a + 2] * p[2];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
