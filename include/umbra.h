/* umbra: umbrella sampling, free energies, conditional GANs and closures on MPI. The generator
   types' own headers (umbra/gan.h) are left out: commands use the generator class. */
#ifndef UMBRA_H
#define UMBRA_H

#include <umbra/sys.h>
#include <umbra/rng.h>
#include <umbra/io.h>
#include <umbra/model.h>
#include <umbra/cv.h>
#include <umbra/exact.h>
#include <umbra/stats.h>
#include <umbra/sampler.h>
#include <umbra/samplesfile.h>
#include <umbra/fes.h>
#include <umbra/nn.h>
#include <umbra/generator.h>
#include <umbra/dmap.h>
#include <umbra/closure.h>
#include <umbra/coupling.h>
#include <umbra/report.h>

#endif
