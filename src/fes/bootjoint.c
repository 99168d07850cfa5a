/* The MBAR block bootstrap with the replicas of a batch solved together: every iteration is one
   pass over the samples for all of them (UmbMbarReplicaPass: one set of exponentials at the
   full-data solution, each sample carrying its multiplicity in every replica), and a Newton step
   with the full-data Hessian H = diag(N) - PP, factored once (a chord method). A replica starts
   at the full-data f, its Hessian differs from H by the resampling noise, so the error shrinks by
   that relative difference per iteration; it stops at its own tolerance, so its numbers do not
   depend on the other replicas of the batch. Replicas that do not converge in UMB_JOINT_MAX_IT
   iterations, or move by more than UMB_JOINT_MAX_STEP kT (where the exponentials of the base
   point would be a poor start), are left to the caller's separate solve. */
#include <umbra/private/fesimpl.h>
#include <petscblaslapack.h>

#define UMB_JOINT_MAX_IT   40
#define UMB_JOINT_MAX_STEP 4.0

typedef struct {
  UmbFes          fes;
  const PetscInt *ids; /* the replica number of each column */
} MultCtx;

static PetscErrorCode Mult(void *ctx, PetscInt grp, PetscInt R, PetscReal M[])
{
  MultCtx             *c = (MultCtx *)ctx;
  const UmbWindowData *w = &c->fes->data;
  const PetscInt       k = w->klo + grp;

  PetscFunctionBegin;
  PetscCall(PetscArrayzero(M, (size_t)(w->offset[k + 1] - w->offset[k]) * R));
  for (PetscInt r = 0; r < R; r++) PetscCall(UmbFesBootstrapWindowWeights(c->fes, k, c->ids[r], M + r, R));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* column a of the profile sums -> the replica's F(z), minimum 0 (as UmbFesProfileFromLse) */
static void Profile(PetscInt B, const PetscReal FB[], PetscInt R, PetscInt a, PetscReal F[])
{
  PetscReal Fmin = PETSC_MAX_REAL;
  for (PetscInt b = 0; b < B; b++) {
    const PetscReal v = FB[(size_t)b * R + a];
    F[b]              = v > 0 ? -PetscLogReal(v) : ((PetscReal)NAN);
    if (!PetscIsInfOrNanReal(F[b])) Fmin = PetscMin(Fmin, F[b]);
  }
  for (PetscInt b = 0; b < B; b++)
    if (!PetscIsInfOrNanReal(F[b])) F[b] -= Fmin;
}

PetscErrorCode UmbFesBootstrapJoint(UmbFes fes, UmbMbar *mb, const PetscReal PP[], PetscReal shift, PetscInt r0, PetscInt r1, PetscReal tol, PetscBool left[])
{
  const PetscInt       K = fes->K, B = fes->B, n = K - 1, R = r1 - r0;
  const UmbWindowData *w = &fes->data;
  PetscReal           *H, *fr, *E, *S, *FB, *M, *x;
  PetscInt            *ids, Ra = R;
  PetscInt64           maxn = 1;
  PetscBLASInt         bn, one = 1, info = 0;
  MultCtx              mc;

  PetscFunctionBegin;
  for (PetscInt r = 0; r < R; r++) left[r] = PETSC_TRUE;
  if (K < 2) PetscFunctionReturn(PETSC_SUCCESS);
  for (PetscInt k = w->klo; k < w->khi; k++) maxn = PetscMax(maxn, w->offset[k + 1] - w->offset[k]);
  PetscCall(PetscMalloc6((size_t)n * n, &H, (size_t)R * K, &fr, (size_t)K * R, &E, (size_t)K * R, &S, (size_t)B * R + 1, &FB, n, &x));
  PetscCall(PetscMalloc2((size_t)maxn * R, &M, R, &ids));
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt j = 0; j < n; j++) H[i + (size_t)j * n] = (i == j ? fes->Nk[i + 1] : 0) - PP[(size_t)(i + 1) * K + j + 1];
  PetscCall(PetscBLASIntCast(n, &bn));
  PetscCallBLAS("LAPACKpotrf", LAPACKpotrf_("L", &bn, H, &bn, &info));
  if (info) Ra = 0; /* not positive definite (no overlap): every replica to the separate solve */
  for (PetscInt r = 0; r < R; r++) {
    PetscCall(PetscArraycpy(fr + (size_t)r * K, fes->f, K));
    ids[r] = r0 + r;
  }
  mc.fes = fes;
  mc.ids = ids;
  for (PetscInt it = 0; Ra > 0 && it <= UMB_JOINT_MAX_IT; it++) {
    PetscInt na = 0;
    for (PetscInt k = 0; k < K; k++)
      for (PetscInt a = 0; a < Ra; a++) E[(size_t)k * Ra + a] = PetscExpReal(fr[(size_t)(ids[a] - r0) * K + k] - fes->f[k]);
    PetscCall(PetscLogEventBegin(UMB_EVENT.fes_objgrad, 0, 0, 0, 0));
    PetscCall(UmbMbarReplicaPass(mb, fes->f, Ra, E, Mult, &mc, M, fes->bin, B, shift, S, FB));
    PetscCall(PetscLogEventEnd(UMB_EVENT.fes_objgrad, 0, 0, 0, 0));
    for (PetscInt a = 0; a < Ra; a++) {
      const PetscInt r   = ids[a] - r0;
      PetscReal     *f   = fr + (size_t)r * K, gn = 0, dmax = 0;
      for (PetscInt k = 0; k < K; k++) gn = PetscMax(gn, PetscAbsReal(S[(size_t)k * Ra + a] / fes->Nk[k] - 1));
      if (gn <= tol) { /* done: its f and F(z) */
        PetscCall(PetscArraycpy(fes->fboot + (size_t)ids[a] * K, f, K));
        Profile(B, FB, Ra, a, fes->Fboot + (size_t)ids[a] * B);
        left[r] = PETSC_FALSE;
        continue;
      }
      if (PetscIsInfOrNanReal(gn) || it == UMB_JOINT_MAX_IT) continue; /* left to the separate solve */
      for (PetscInt k = 1; k < K; k++) x[k - 1] = S[(size_t)k * Ra + a] - fes->Nk[k];
      PetscCallBLAS("LAPACKpotrs", LAPACKpotrs_("L", &bn, &one, H, &bn, x, &bn, &info));
      for (PetscInt k = 1; k < K; k++) {
        f[k] -= x[k - 1];
        dmax = PetscMax(dmax, PetscAbsReal(f[k] - fes->f[k]));
      }
      if (!(dmax <= UMB_JOINT_MAX_STEP)) continue;
      ids[na++] = ids[a];
    }
    Ra = na;
  }
  PetscCall(PetscFree6(H, fr, E, S, FB, x));
  PetscCall(PetscFree2(M, ids));
  PetscFunctionReturn(PETSC_SUCCESS);
}
