/* products: an example observable plugin for `umbra closure` (include/umbra/plugin.h,
   "Observable plugins"), and a template for your own observables.

   Observables of the coordinates x1..xn (1-based indices i, j):
       sq<i>      x_i^2
       prod<i>_<j> x_i x_j
   chosen by the options string (-closure_plugin_options), a list of items separated by spaces or
   commas: "sq2 prod2_3" (default: sq2, i.e. the square of the second coordinate, the first fast
   variable y1 of fastslow). With fastslow, E[y1^2 | x] = Var[y1 | x] + E[y1 | x]^2 is known
   exactly, which tests/t705 uses.

   Build (make does this for every file in inputs/plugins/) and run:
       cc -std=c11 -O2 -fPIC -shared -I<umbra>/include products.c -o libproducts.so
       mpiexec -n 2 umbra closure -options_file inputs/fastslow.opts \
           -closure_plugin build/plugins/libproducts.so -closure_plugin_options "sq2 prod2_3" */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include <umbra/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXOBS 64

typedef struct {
  int  n, nobs, i[MAXOBS], j[MAXOBS]; /* 0-based coordinates; j = i for squares */
  char name[MAXOBS][32];
} Products;

int umbra_observables_create(const char *options, int n, void **ctx, int *nobs)
{
  Products *p = calloc(1, sizeof(*p));
  char      buf[1024], *save = NULL, *tok;
  if (!p) return 1;
  p->n = n;
  snprintf(buf, sizeof(buf), "%s", options && options[0] ? options : "sq2");
  for (tok = strtok_r(buf, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
    int a, b, k = p->nobs;
    char extra;
    if (k == MAXOBS) goto fail;
    if (sscanf(tok, "sq%d%c", &a, &extra) == 1) b = a;
    else if (sscanf(tok, "prod%d_%d%c", &a, &b, &extra) != 2) goto fail;
    if (a < 1 || a > n || b < 1 || b > n) goto fail;
    p->i[k] = a - 1;
    p->j[k] = b - 1;
    snprintf(p->name[k], sizeof(p->name[k]), "%s", tok);
    p->nobs++;
  }
  if (!p->nobs) goto fail;
  *ctx  = p;
  *nobs = p->nobs;
  return 0;
fail:
  free(p);
  return 2;
}

const char *umbra_observables_name(void *ctx, int k)
{
  Products *p = ctx;
  return k >= 0 && k < p->nobs ? p->name[k] : NULL;
}

int umbra_observables_evaluate(void *ctx, int nw, const double *x, double *A)
{
  const Products *p = ctx;
  for (int w = 0; w < nw; w++)
    for (int k = 0; k < p->nobs; k++) A[w * p->nobs + k] = x[w * p->n + p->i[k]] * x[w * p->n + p->j[k]];
  return 0;
}

void umbra_observables_destroy(void *ctx) { free(ctx); }
