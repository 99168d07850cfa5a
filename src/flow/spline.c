/* The rational-quadratic spline of the coupling layers: forward, inverse and the reverse-mode
   derivative, written out by hand (docs/flow.md has the formulas). Inside bin k, with
   xi = (v - X_k) / w_k, s = h_k / w_k, t = xi (1 - xi):
     out  = Y_k + h_k (s xi^2 + d_k t) / (s + (d_k + d_{k+1} - 2 s) t)
     s'   = s^2 (d_{k+1} xi^2 + 2 s t + d_k (1 - xi)^2) / (s + (d_k + d_{k+1} - 2 s) t)^2 */
#include <umbra/private/flowimpl.h>

#define SPLINE_STACK (4 * 65) /* X, Y, D and spare for K <= UMB_FLOW_MAX_BINS */

/* knots: X (K + 1), Y (K + 1), D (K + 1); pw, ph: the softmax probabilities (K each) */
static void Knots(const UmbFlowSpline *sp, const PetscReal raw[], PetscReal X[], PetscReal Y[], PetscReal D[], PetscReal pw[], PetscReal ph[])
{
  const PetscInt  K = sp->K;
  const PetscReal B = sp->bound, c0 = PetscLogReal(PetscExpReal(1 - sp->min_derivative) - 1);

  for (int which = 0; which < 2; which++) {
    const PetscReal *r = raw + which * K, minb = which ? sp->min_height : sp->min_width;
    PetscReal       *p = which ? ph : pw, *E = which ? Y : X, mx = r[0], sum = 0;
    for (PetscInt k = 1; k < K; k++) mx = PetscMax(mx, r[k]);
    for (PetscInt k = 0; k < K; k++) sum += (p[k] = PetscExpReal(r[k] - mx));
    E[0] = -B;
    for (PetscInt k = 0; k < K; k++) {
      p[k] /= sum;
      E[k + 1] = E[k] + 2 * B * (minb + (1 - K * minb) * p[k]);
    }
    E[K] = B;
  }
  D[0] = D[K] = 1;
  for (PetscInt k = 1; k < K; k++) {
    const PetscReal a = raw[2 * K + k - 1] + c0;
    D[k]              = sp->min_derivative + (a > 30 ? a : log1p(PetscExpReal(a)));
  }
}

void UmbFlowSplineKnots(const UmbFlowSpline *sp, const PetscReal raw[], PetscReal X[])
{
  PetscReal buf[SPLINE_STACK + 2 * 64], *Y = buf, *D = Y + sp->K + 1, *pw = D + sp->K + 1, *ph = pw + sp->K;
  Knots(sp, raw, X, Y, D, pw, ph);
}

/* the bin of a value among K + 1 ascending edges E (E[0] <= value < E[K]) */
static PetscInt Bin(PetscInt K, const PetscReal E[], PetscReal value)
{
  PetscInt lo = 0, hi = K;
  while (hi - lo > 1) {
    const PetscInt mid = (lo + hi) / 2;
    if (E[mid] <= value) lo = mid;
    else hi = mid;
  }
  return lo;
}


void UmbFlowSplineForward(const UmbFlowSpline *sp, const PetscReal raw[], PetscReal v, PetscReal *out, PetscReal *logdet)
{
  const PetscInt K = sp->K;
  PetscReal      buf[SPLINE_STACK + 2 * 64], *X = buf, *Y = X + K + 1, *D = Y + K + 1, *pw = D + K + 1, *ph = pw + K;

  if (!(v >= -sp->bound && v < sp->bound)) {
    *out    = v;
    *logdet = 0;
    return;
  }
  Knots(sp, raw, X, Y, D, pw, ph);
  {
    const PetscInt  k = Bin(K, X, v);
    const PetscReal w = X[k + 1] - X[k], h = Y[k + 1] - Y[k], s = h / w, xi = (v - X[k]) / w, t = xi * (1 - xi);
    const PetscReal den = s + (D[k] + D[k + 1] - 2 * s) * t, P = D[k + 1] * xi * xi + 2 * s * t + D[k] * (1 - xi) * (1 - xi);
    *out    = Y[k] + h * (s * xi * xi + D[k] * t) / den;
    *logdet = 2 * PetscLogReal(s) + PetscLogReal(P) - 2 * PetscLogReal(den);
  }
}

void UmbFlowSplineInverse(const UmbFlowSpline *sp, const PetscReal raw[], PetscReal u, PetscReal *v, PetscReal *logdet)
{
  const PetscInt K = sp->K;
  PetscReal      buf[SPLINE_STACK + 2 * 64], *X = buf, *Y = X + K + 1, *D = Y + K + 1, *pw = D + K + 1, *ph = pw + K;

  if (!(u >= -sp->bound && u < sp->bound)) {
    *v      = u;
    *logdet = 0;
    return;
  }
  Knots(sp, raw, X, Y, D, pw, ph);
  {
    const PetscInt  k = Bin(K, Y, u);
    const PetscReal w = X[k + 1] - X[k], h = Y[k + 1] - Y[k], s = h / w, dy = u - Y[k], e = D[k] + D[k + 1] - 2 * s;
    const PetscReal a = h * (s - D[k]) + dy * e, b = h * D[k] - dy * e, c = -s * dy;
    const PetscReal disc = PetscMax(b * b - 4 * a * c, 0);
    PetscReal       xi   = (2 * c) / (-b - PetscSqrtReal(disc)), t, den, P;
    xi      = PetscMin(PetscMax(xi, 0), 1);
    t       = xi * (1 - xi);
    den     = s + e * t;
    P       = D[k + 1] * xi * xi + 2 * s * t + D[k] * (1 - xi) * (1 - xi);
    *v      = X[k] + xi * w;
    *logdet = 2 * PetscLogReal(s) + PetscLogReal(P) - 2 * PetscLogReal(den);
  }
}

PetscReal UmbFlowSplineBackward(const UmbFlowSpline *sp, const PetscReal raw[], PetscReal v, PetscReal a_out, PetscReal a_ld, PetscReal graw[])
{
  const PetscInt  K = sp->K;
  PetscReal       buf[SPLINE_STACK + 2 * 64], *X = buf, *Y = X + K + 1, *D = Y + K + 1, *pw = D + K + 1, *ph = pw + K;
  PetscReal       aw[64], ah[64], aD[65];
  const PetscReal B = sp->bound, c0 = PetscLogReal(PetscExpReal(1 - sp->min_derivative) - 1);

  if (!(v >= -B && v < B)) return a_out; /* identity tail: out = v, no parameters */
  Knots(sp, raw, X, Y, D, pw, ph);
  for (PetscInt k = 0; k <= K; k++) aD[k] = 0;
  for (PetscInt k = 0; k < K; k++) aw[k] = ah[k] = 0;
  {
    const PetscInt  k = Bin(K, X, v);
    const PetscReal w = X[k + 1] - X[k], h = Y[k + 1] - Y[k], s = h / w, xi = (v - X[k]) / w, t = xi * (1 - xi);
    const PetscReal d0 = D[k], d1 = D[k + 1], e = d0 + d1 - 2 * s;
    const PetscReal num = h * (s * xi * xi + d0 * t), den = s + e * t, P = d1 * xi * xi + 2 * s * t + d0 * (1 - xi) * (1 - xi);
    const PetscReal a_num = a_out / den, a_den = -a_out * num / (den * den) - 2 * a_ld / den, a_P = a_ld / P;
    PetscReal       a_s = 2 * a_ld / s, a_xi, a_h, a_w, a_X;
    a_s += a_num * h * xi * xi + a_den * (1 - 2 * t) + a_P * 2 * t;
    a_xi = a_num * h * (2 * s * xi + d0 * (1 - 2 * xi)) + a_den * e * (1 - 2 * xi) + a_P * (2 * d1 * xi + 2 * s * (1 - 2 * xi) - 2 * d0 * (1 - xi));
    aD[k] += a_num * h * t + a_den * t + a_P * (1 - xi) * (1 - xi);
    aD[k + 1] += a_den * t + a_P * xi * xi;
    a_h = a_num * (s * xi * xi + d0 * t) + a_s / w;
    a_w = -a_s * s / w - a_xi * xi / w;
    a_X = -a_xi / w;
    /* h = Y[k+1] - Y[k] and Y[k] enter as the heights before bin k; X[k] and w likewise */
    ah[k] += a_h;
    for (PetscInt j = 0; j < k; j++) ah[j] += a_out;
    aw[k] += a_w;
    for (PetscInt j = 0; j < k; j++) aw[j] += a_X;
    for (int which = 0; which < 2; which++) { /* through E = -B + cumsum of 2B (minb + (1 - K minb) softmax) */
      const PetscReal *p = which ? ph : pw, minb = which ? sp->min_height : sp->min_width, f = 2 * B * (1 - K * minb);
      PetscReal       *a = which ? ah : aw, dot = 0;
      for (PetscInt j = 0; j < K; j++) dot += p[j] * a[j] * f;
      for (PetscInt j = 0; j < K; j++) graw[which * K + j] += p[j] * (a[j] * f - dot);
    }
    for (PetscInt j = 1; j < K; j++) graw[2 * K + j - 1] += aD[j] * UmbNNSigmoid(raw[2 * K + j - 1] + c0);
    return a_xi / w;
  }
}
