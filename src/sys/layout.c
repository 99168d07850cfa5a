/* Block distribution of items (windows, rows) over ranks. */
#include <umbra/sys.h>

void UmbLayoutRange(PetscInt K, PetscMPIInt size, PetscMPIInt rank, PetscInt *lo, PetscInt *hi)
{
  PetscInt q = K / size, r = K % size;
  *lo = rank * q + PetscMin(rank, r);
  *hi = *lo + q + (rank < r ? 1 : 0);
}

PetscMPIInt UmbLayoutOwner(PetscInt K, PetscMPIInt size, PetscInt k)
{
  for (PetscMPIInt r = 0; r < size; r++) {
    PetscInt lo, hi;
    UmbLayoutRange(K, size, r, &lo, &hi);
    if (k >= lo && k < hi) return r;
  }
  return -1;
}
