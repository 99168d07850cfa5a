/* dihedrals: an observable plugin for `umbra closure` (include/umbra/plugin.h, "Observable
   plugins") giving torsion angles and distances of a molecular model's atoms (-model lammps, or
   any model whose state holds atom i, 1-based, at x[3 (i - 1) + 0..2]).

   The options string (-closure_plugin_options) is a list of items separated by spaces:
       NAME=a,b,c,d   the dihedral of atoms a, b, c, d (1-based ids), as the observables
                      cos_NAME and sin_NAME
       NAME=a,b       the distance |r_a - r_b| (the model's length unit, Angstrom for LAMMPS's
                      units real), as the observable NAME
   e.g. "psi=7,9,15,17 dOH=6,18" for alanine dipeptide gives cos_psi, sin_psi and dOH. A dihedral
   is periodic: its conditional mean E[psi | z] is not the mean of psi in (-pi, pi] (a
   distribution straddling +-pi would average to about 0), so the closures are those of cos psi
   and sin psi, and the circular mean is atan2(E[sin psi | z], E[cos psi | z]), with
   R = sqrt(E[cos]^2 + E[sin]^2) <= 1 measuring its concentration (1: a single angle).

   The dihedral is that of -cv dihedral (src/model/cv_dihedral.c): IUPAC sign, in (-pi, pi],
   phi = atan2(-|G| F.B, A.B) with F = r_a - r_b, G = r_b - r_c, H = r_d - r_c, A = F x G,
   B = H x G. Ids must lie in 1..n/3 and differ within an item; names are 1 to 50 characters of
   letters, digits and _. Three collinear atoms of a dihedral (no angle) or two coinciding atoms
   of a distance make the evaluation fail.

   Build (make does this for every file in inputs/plugins/) and run:
       mpiexec -n 2 umbra closure -options_file inputs/ala2-phi.opts \
           -closure_plugin build/plugins/libdihedrals.so -closure_plugin_options "psi=7,9,15,17" */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include <umbra/plugin.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXITEMS 32 /* a dihedral is two observables: at most 64 */

typedef struct {
  int  n, nitems, nobs;
  int  natoms[MAXITEMS], atoms[MAXITEMS][4]; /* 0-based atom ids; 4: dihedral, 2: distance */
  char name[2 * MAXITEMS][64];
} Dihedrals;

static int ValidName(const char *s, size_t len)
{
  if (len < 1 || len > 50) return 0;
  for (size_t i = 0; i < len; i++)
    if (!isalnum((unsigned char)s[i]) && s[i] != '_') return 0;
  return 1;
}

int umbra_observables_create(const char *options, int n, void **ctx, int *nobs)
{
  Dihedrals *p = calloc(1, sizeof(*p));
  char       buf[4096], *save = NULL, *tok;
  if (!p) return 1;
  if (n < 6 || n % 3) goto fail; /* atoms: 3 coordinates each */
  p->n = n;
  if (!options || strlen(options) >= sizeof(buf)) goto fail;
  snprintf(buf, sizeof(buf), "%s", options);
  for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
    const char *eq = strchr(tok, '=');
    int         k = p->nitems, ids[5], cnt = 0;
    char       *s, *end;
    if (k == MAXITEMS || !eq || !ValidName(tok, (size_t)(eq - tok))) goto fail;
    for (s = (char *)eq + 1;; s = end + 1) { /* a,b[,c,d] */
      long v = strtol(s, &end, 10);
      if (end == s || cnt == 5 || v < 1 || v > n / 3) goto fail;
      ids[cnt++] = (int)v - 1;
      if (*end == 0) break;
      if (*end != ',') goto fail;
    }
    if (cnt != 2 && cnt != 4) goto fail;
    for (int i = 0; i < cnt; i++)
      for (int j = 0; j < i; j++)
        if (ids[i] == ids[j]) goto fail;
    p->natoms[k] = cnt;
    for (int i = 0; i < cnt; i++) p->atoms[k][i] = ids[i];
    if (cnt == 4) {
      snprintf(p->name[p->nobs++], sizeof(p->name[0]), "cos_%.*s", (int)(eq - tok), tok);
      snprintf(p->name[p->nobs++], sizeof(p->name[0]), "sin_%.*s", (int)(eq - tok), tok);
    } else snprintf(p->name[p->nobs++], sizeof(p->name[0]), "%.*s", (int)(eq - tok), tok);
    p->nitems++;
  }
  if (!p->nobs) goto fail;
  for (int i = 0; i < p->nobs; i++) /* names must differ */
    for (int j = 0; j < i; j++)
      if (!strcmp(p->name[i], p->name[j])) goto fail;
  *ctx  = p;
  *nobs = p->nobs;
  return 0;
fail:
  free(p);
  return 2;
}

const char *umbra_observables_name(void *ctx, int k)
{
  Dihedrals *p = ctx;
  return k >= 0 && k < p->nobs ? p->name[k] : NULL;
}

static void Cross(const double u[3], const double v[3], double w[3])
{
  w[0] = u[1] * v[2] - u[2] * v[1];
  w[1] = u[2] * v[0] - u[0] * v[2];
  w[2] = u[0] * v[1] - u[1] * v[0];
}

static double Dot(const double u[3], const double v[3]) { return u[0] * v[0] + u[1] * v[1] + u[2] * v[2]; }

int umbra_observables_evaluate(void *ctx, int nw, const double *x, double *A)
{
  const Dihedrals *p   = ctx;
  const double     eps = 2.220446049250313e-16, tol2 = 16 * eps * eps;
  for (int w = 0; w < nw; w++) {
    const double *xw = x + (size_t)w * p->n;
    double       *Aw = A + (size_t)w * p->nobs;
    for (int k = 0, o = 0; k < p->nitems; k++) {
      const double *ra = xw + 3 * p->atoms[k][0], *rb = xw + 3 * p->atoms[k][1];
      if (p->natoms[k] == 2) {
        const double dr[3] = {ra[0] - rb[0], ra[1] - rb[1], ra[2] - rb[2]}, r = sqrt(Dot(dr, dr));
        if (!(r > 0) || !isfinite(r)) return 3;
        Aw[o++] = r;
      } else {
        const double *rc = xw + 3 * p->atoms[k][2], *rd = xw + 3 * p->atoms[k][3];
        const double  F[3] = {ra[0] - rb[0], ra[1] - rb[1], ra[2] - rb[2]};
        const double  G[3] = {rb[0] - rc[0], rb[1] - rc[1], rb[2] - rc[2]};
        const double  H[3] = {rd[0] - rc[0], rd[1] - rc[1], rd[2] - rc[2]};
        double        Av[3], Bv[3], phi;
        Cross(F, G, Av);
        Cross(H, G, Bv);
        /* three collinear atoms (|A| or |B| zero to round-off): no angle */
        if (!(Dot(Av, Av) > tol2 * Dot(F, F) * Dot(G, G)) || !(Dot(Bv, Bv) > tol2 * Dot(H, H) * Dot(G, G))) return 4;
        phi     = atan2(-sqrt(Dot(G, G)) * Dot(F, Bv), Dot(Av, Bv));
        Aw[o++] = cos(phi);
        Aw[o++] = sin(phi);
      }
    }
  }
  return 0;
}

void umbra_observables_destroy(void *ctx) { free(ctx); }
