#!/usr/bin/env bash
# Flow moves (-us_flow_*): every bad input ends the run on every rank with one clear message
# and a non-zero exit, no hang and no partial output. Each case runs at 1 rank, the checks that
# stop in the sampler's set-up and the NaN proposal at 2 ranks too. The
# options without a flow file, values out of range, CVs on which a move at fixed z is not exact
# (a native CV that is not a coordinate: curved level sets), a generator type that is not available; and, with t228's analytic
# generator, a proposal whose log-density is NaN (exit 1, naming window, walker and step).
# Catches: a flow option silently ignored, an out-of-range value accepted, a move allowed on a
# CV where it would not keep z, a NaN proposal accepted or rejected silently, or a failure on
# one rank that hangs the others.
set -u
fail=0
. "$SRCDIR/tests/bad-input.sh"
printf 'not a flow\n' > f.h5
S="sample -us_windows 3 -us_steps 200 -us_stride 10"
cases=(
  # exit | pattern (extended regex) | arguments
  # with the GAN no coupling round proposes flow moves, so the options need a file (with the
  # default flow they are the rounds' of umbra run: t806)
  "2|-us_flow_moves needs -us_flow_file|$S -generator gan -us_flow_moves 5"
  "2|-us_flow_base_scale needs -us_flow_file|$S -generator gan -us_flow_base_scale 2"
  "2|-us_flow_moves must be positive|$S -cv coord -cv_index 0 -us_flow_file f.h5 -us_flow_moves 0"
  "2|-us_flow_base_scale must be finite and at least 1|$S -cv coord -cv_index 0 -us_flow_file f.h5 -us_flow_base_scale 0.5"
  "2|-us_flow_mix must be in \[0, 1\), got 1|$S -cv coord -cv_index 0 -us_flow_file f.h5 -us_flow_mix 1"
  "2|-us_flow_file: flow moves need a coordinate or linear CV \(-cv coord, -cv linear\), not -cv native: the flow generates the coordinates outside a coordinate CV or in the null space of a linear one|$S -model ring -ring_n 4 -cv native -us_flow_file f.h5"
  # a linear CV is accepted, so the file is read (and refused)
  "2|f.h5 is not an HDF5 file|$S -cv linear -cv_weights 1,0,0,0,0 -us_flow_file f.h5"
  # fastslow's native CV is its coordinate x: accepted, so the file is read (and refused)
  "2|f.h5 is not an HDF5 file|$S -us_flow_file f.h5"
  "2|-us_flow_file: the CV is every coordinate of the model|$S -fastslow_m 1 -cv coord -cv_index 0,1 -us_windows 2,2 -us_range -1,1,-1,1 -us_flow_file f.h5"
  # a file that is not a flow file (t522 refuses flow files of another model or CV)
  "2|f.h5 is not an HDF5 file|$S -cv coord -cv_index 0 -us_flow_file f.h5"
)
expect_errors "1"
expect_error 2 2 "-us_flow_moves needs -us_flow_file" "$S -generator gan -us_flow_moves 5"
expect_error 2 2 "flow moves need a coordinate or linear CV \(-cv coord, -cv linear\), not -cv native" "$S -model ring -ring_n 4 -cv native -us_flow_file f.h5"
# a NaN log-density in a proposal (t228's analytic generator, NaN above y = 1.2)
UMBRA="$BUILD/tests/t228-sample-flowmoves" expect_error 2 1 "flow move of window [0-9]+ \(centre [-0-9.]+\), walker [0-9]+, step [0-9]+: the log-density of the proposed state is not finite.*retrain it.*lower -us_flow_base_scale" "-t228_case nan -t228_nan_above 1.2"
[ -e nan/samples.h5 ] && { echo "a failed run left nan/samples.h5 behind"; fail=1; }
exit $fail
