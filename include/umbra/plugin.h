/* The umbra plugin ABI: a user's model in a shared library, loaded with dlopen by
   `-model plugin -model_plugin path/to/libmodel.so [-model_plugin_options "text"]`.
   Plain C, no PETSc or MPI: a plugin is compiled with just this header, e.g.
     cc -std=c11 -O2 -fPIC -shared -I<umbra>/include mymodel.c -o libmymodel.so
   Every rank loads the library and creates its own context with the same options string.

   Required symbols
     int umbra_plugin_abi_version(void);
         returns UMBRA_PLUGIN_ABI_VERSION of the header the plugin was built with.
     int umbra_plugin_create(const char *options, void **ctx, int *n);
         parses the options string (may be empty, never NULL), allocates a context and sets the
         dimension n >= 1. Returns 0 on success; on failure writes nothing else and returns
         non-zero (umbra reports umbra_plugin_error(ctx) if present, the code otherwise).
     int umbra_plugin_energy(void *ctx, int nw, const double *x, double *U, double *grad);
         energies U[k] and gradients grad[k*n + i] of nw states x[k*n + i]. U or grad may be
         NULL (then skip it). Must be thread-safe with respect to distinct output buffers.
         Returns 0 on success.

   Optional symbols
     void umbra_plugin_destroy(void *ctx);
     int  umbra_plugin_reference(void *ctx, double *x0);
         a low-energy state from which windows are prepared (default: the origin).
     int  umbra_plugin_mobility(void *ctx, double *M);  diagonal mobility (default 1).
     int  umbra_plugin_cv_dimension(void *ctx);         1 or 2 when the plugin defines a CV
     int  umbra_plugin_cv(void *ctx, int nw, const double *x, double *z, double *J);
         the plugin's collective variable z[k*d + a] and its gradient J[(k*d + a)*n + i]
         (J may be NULL); used with -cv plugin.
     int  umbra_plugin_cv_period(void *ctx, double *period);  period per component, 0 = none
     const char *umbra_plugin_error(void *ctx);           text of the last failure

   Observable plugins (`umbra closure -closure_plugin path/to/libobs.so
   [-closure_plugin_options "text"]`): user observables A(x) whose closures E[A | xi = z] are
   estimated like the built-in mean_y<i> (physics and generator routes, closures.csv). Works with
   any model, built-in or plugin; the same library may also be a model plugin.
     int umbra_observables_create(const char *options, int n, void **ctx, int *nobs);
         n the model's dimension; sets the number of observables 1 <= nobs <= 64. 0 on success.
     const char *umbra_observables_name(void *ctx, int k);
         name of observable k (1 to 60 characters, no comma or space, not a built-in name).
     int umbra_observables_evaluate(void *ctx, int nw, const double *x, double *A);
         A[w*nobs + k] = A_k(x[w*n ...]) for nw states; finite values. 0 on success.
     void umbra_observables_destroy(void *ctx);           optional
*/
#ifndef UMBRA_PLUGIN_H
#define UMBRA_PLUGIN_H

#define UMBRA_PLUGIN_ABI_VERSION 1

#ifdef __cplusplus
extern "C" {
#endif

typedef int (*umbra_plugin_abi_version_fn)(void);
typedef int (*umbra_plugin_create_fn)(const char *, void **, int *);
typedef int (*umbra_plugin_energy_fn)(void *, int, const double *, double *, double *);
typedef void (*umbra_plugin_destroy_fn)(void *);
typedef int (*umbra_plugin_reference_fn)(void *, double *);
typedef int (*umbra_plugin_mobility_fn)(void *, double *);
typedef int (*umbra_plugin_cv_dimension_fn)(void *);
typedef int (*umbra_plugin_cv_fn)(void *, int, const double *, double *, double *);
typedef int (*umbra_plugin_cv_period_fn)(void *, double *);
typedef const char *(*umbra_plugin_error_fn)(void *);
typedef int (*umbra_observables_create_fn)(const char *, int, void **, int *);
typedef const char *(*umbra_observables_name_fn)(void *, int);
typedef int (*umbra_observables_evaluate_fn)(void *, int, const double *, double *);
typedef void (*umbra_observables_destroy_fn)(void *);

#ifdef __cplusplus
}
#endif

#endif
