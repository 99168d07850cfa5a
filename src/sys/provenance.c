/* Provenance of a run: version, command, options, rank count, host, date and library
   versions. Computed once, stored in every output file. */
#include <umbra/sys.h>
#include <umbra/private/sysimpl.h>
#include <gsl/gsl_version.h>
#include <hdf5.h>
#include <time.h>
#include <unistd.h>

static UmbProvenance prov;
static PetscBool     have_prov = PETSC_FALSE;
static char          command[64] = "none";

PetscErrorCode UmbSetCommand(const char name[])
{
  PetscFunctionBegin;
  PetscCall(PetscStrncpy(command, name, sizeof(command)));
  have_prov = PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on comm the first time (rank 0's host and date are used everywhere) */
PetscErrorCode UmbProvenanceGet(MPI_Comm comm, const UmbProvenance **p)
{
  PetscFunctionBegin;
  if (!have_prov) {
    char        petsc[64], *all;
    PetscMPIInt size, rank;
    unsigned    h5maj, h5min, h5rel;
    time_t      now = time(NULL);
    struct tm   utc;

    PetscCallMPI(MPI_Comm_size(comm, &size));
    PetscCallMPI(MPI_Comm_rank(comm, &rank));
    PetscCall(PetscFree(prov.options));
    PetscCall(PetscMemzero(&prov, sizeof(prov)));
    PetscCall(PetscStrncpy(prov.version, UmbVersion(), sizeof(prov.version)));
    PetscCall(PetscStrncpy(prov.command, command, sizeof(prov.command)));
    gmtime_r(&now, &utc);
    strftime(prov.date, sizeof(prov.date), "%Y-%m-%dT%H:%M:%SZ", &utc);
    if (gethostname(prov.host, sizeof(prov.host) - 1)) PetscCall(PetscStrncpy(prov.host, "unknown", sizeof(prov.host)));
    PetscCallMPI(MPI_Bcast(prov.date, sizeof(prov.date), MPI_CHAR, 0, comm));
    PetscCallMPI(MPI_Bcast(prov.host, sizeof(prov.host), MPI_CHAR, 0, comm));
    PetscCall(PetscGetVersion(petsc, sizeof(petsc)));
    UmbCallHDF5(H5get_libversion(&h5maj, &h5min, &h5rel));
    snprintf(prov.libraries, sizeof(prov.libraries), "%s; HDF5 %u.%u.%u; GSL %s", petsc, h5maj, h5min, h5rel, GSL_VERSION);
    prov.nranks = size;
    PetscCall(PetscOptionsGetAll(NULL, &all));
    PetscCall(PetscStrallocpy(all, &prov.options));
    PetscCall(PetscFree(all));
    have_prov = PETSC_TRUE;
  }
  *p = &prov;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbProvenanceReset(void)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(prov.options));
  have_prov = PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}
