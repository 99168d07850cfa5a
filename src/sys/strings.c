/* String helpers. PETSc 3.18's UmbStrlcat(s, t, n) keeps n - strlen(t) characters of t
   whatever s already holds, so it writes past s once s is long: umbra appends with its own. */
#include <umbra/sys.h>

PetscErrorCode UmbStrlcat(char s[], const char t[], size_t n)
{
  size_t len;

  PetscFunctionBegin;
  PetscCheck(n > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "string buffer length must be positive");
  len = strnlen(s, n);
  if (len < n && t) snprintf(s + len, n - len, "%s", t); /* truncates, always terminated */
  s[n - 1] = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}
