/* doublewell: an example umbra plugin, and a template for your own model.

   A 2-D model with a slow double well in x and a fast harmonic y that follows c x:
       U(x, y) = h (x^2 - 1)^2 + (k/2) (y - c x)^2
   Its collective variable is z = x. Integrating out y gives the exact free energy
   F(x) = h (x^2 - 1)^2 + const, whatever k and c.

   Options string (-model_plugin_options), "key=value" pairs separated by spaces or commas:
       h  barrier height (default 2, >= 0)
       k  spring constant of y (default 10, > 0)
       c  coupling: y relaxes to c x (default 0)

   Build (make does this for every file in inputs/plugins/) and run:
       cc -std=c11 -O2 -fPIC -shared -I<umbra>/include doublewell.c -o libdoublewell.so -lm
       mpiexec -n 2 umbra sample -model plugin -model_plugin ./libdoublewell.so \
           -model_plugin_options "h=2 k=10 c=0.5" -cv plugin -us_range -1.5,1.5

   The plugin uses plain C and the ABI header only: no PETSc, no MPI. Every rank loads the
   library and calls umbra_plugin_create with the same options string. */
#include <umbra/plugin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The context: everything the energy needs. umbra never looks inside. */
typedef struct {
  double h, k, c;
} DoubleWell;

/* Text of the last failure. umbra asks for it right after a call failed, on the same thread;
   thread-local storage keeps concurrent energy calls from overwriting each other's text.
   After a failed umbra_plugin_create umbra passes ctx = NULL, so the text must not live in
   the context. */
static _Thread_local char last_error[256];

static int Fail(const char *msg, const char *detail)
{
  snprintf(last_error, sizeof(last_error), "%s%s", msg, detail ? detail : "");
  return 1;
}

/* ---- required symbols ---------------------------------------------------------------- */

/* The ABI version of the header this plugin was compiled with; umbra refuses a mismatch. */
int umbra_plugin_abi_version(void) { return UMBRA_PLUGIN_ABI_VERSION; }

/* Parses the options, allocates the context and sets the dimension n. */
int umbra_plugin_create(const char *options, void **ctx, int *n)
{
  DoubleWell  p = {2.0, 10.0, 0.0};
  const char *s = options;

  while (*s) {
    char        key[32], *end;
    size_t      len;
    double      value;
    const char *eq;

    s += strspn(s, " \t\n,"); /* skip separators */
    if (!*s) break;
    len = strcspn(s, " \t\n,");
    eq  = memchr(s, '=', len);
    if (!eq || eq == s || (size_t)(eq - s) >= sizeof(key)) return Fail("doublewell: expected key=value in the options, got ", s);
    memcpy(key, s, (size_t)(eq - s));
    key[eq - s] = 0;
    value       = strtod(eq + 1, &end);
    if (end == eq + 1 || end != s + len || !isfinite(value)) return Fail("doublewell: not a number in the options: ", s);
    if (!strcmp(key, "h")) p.h = value;
    else if (!strcmp(key, "k")) p.k = value;
    else if (!strcmp(key, "c")) p.c = value;
    else return Fail("doublewell: unknown option (use h, k, c): ", key);
    s += len;
  }
  if (p.h < 0) return Fail("doublewell: h must be non-negative", NULL);
  if (p.k <= 0) return Fail("doublewell: k must be positive", NULL);

  DoubleWell *dw = malloc(sizeof(*dw));
  if (!dw) return Fail("doublewell: out of memory", NULL);
  *dw  = p;
  *ctx = dw;
  *n   = 2;
  return 0;
}

/* Energies U[w] and gradients grad[w*n + i] of nw states x[w*n + i]; U or grad may be NULL.
   Called concurrently from several threads with distinct outputs: no writes to the context. */
int umbra_plugin_energy(void *ctx, int nw, const double *x, double *U, double *grad)
{
  const DoubleWell *p = ctx;

  for (int w = 0; w < nw; w++) {
    const double X = x[2 * w], Y = x[2 * w + 1], d = Y - p->c * X;
    if (!isfinite(X) || !isfinite(Y)) return Fail("doublewell: non-finite state", NULL);
    if (U) U[w] = p->h * (X * X - 1) * (X * X - 1) + 0.5 * p->k * d * d;
    if (grad) {
      grad[2 * w]     = 4 * p->h * X * (X * X - 1) - p->k * p->c * d;
      grad[2 * w + 1] = p->k * d;
    }
  }
  return 0;
}

/* ---- optional symbols ---------------------------------------------------------------- */

void umbra_plugin_destroy(void *ctx) { free(ctx); }

/* A low-energy state from which umbra prepares the windows: the left well. */
int umbra_plugin_reference(void *ctx, double *x0)
{
  const DoubleWell *p = ctx;
  x0[0]               = -1;
  x0[1]               = -p->c;
  return 0;
}

/* The collective variable z = x, used with -cv plugin. umbra_plugin_mobility (default 1) and
   umbra_plugin_cv_period (default: not periodic) are left out. */
int umbra_plugin_cv_dimension(void *ctx)
{
  (void)ctx;
  return 1;
}

/* z[w*d + a] and, if J is not NULL, its gradient J[(w*d + a)*n + i] */
int umbra_plugin_cv(void *ctx, int nw, const double *x, double *z, double *J)
{
  (void)ctx;
  for (int w = 0; w < nw; w++) {
    z[w] = x[2 * w];
    if (J) {
      J[2 * w]     = 1;
      J[2 * w + 1] = 0;
    }
  }
  return 0;
}

const char *umbra_plugin_error(void *ctx)
{
  (void)ctx;
  return last_error;
}
