#!/usr/bin/env bash
# Bad input to `umbra import` ends the run on every rank with one clear message naming the file
# and line (or the option), exit code 2, no hang and nothing written: no samples.h5 or
# windows.csv in the run directory, no *.tmp. Data cases run at 1 and 3 ranks (3 windows: with
# 3 ranks the bad file is read by a rank other than 0), option cases without mpiexec.
# Cases: window count mismatch between -import_it and -import_ix; a missing file; a .tpr in the
# .mdp list; a COLVAR without a FIELDS header or without the named column; a malformed line, a
# non-numeric and a non-finite value; time going backwards; unknown units; mixed temperatures
# (across windows, and within one .mdp); a pull geometry umbra does not support; a flat-bottom
# pull; a window with no frames after -import_begin; a plumed import in kJ/mol without a
# temperature; an unknown format; no format.
set -u
fail=0
. "$SRCDIR/tests/bad-input.sh"

# three windows of gmx files, 20 frames each
mkdir -p g
for k in 0 1 2; do
  printf '; window %d\npull = yes\npull-coord1-type = umbrella\npull-coord1-geometry = distance\npull-coord1-init = %d\npull-coord1-k = 500\nref-t = 300 300\n' $k $k >g/w$k.mdp
  { printf '# pullx\n@ title "x"\n'; for t in $(seq 0 19); do printf '%d %s\n' $t "$k.$t"; done; } >g/x$k.xvg
done
printf 'w0.mdp\nw1.mdp\nw2.mdp\n' >g/it.dat
printf 'x0.xvg\nx1.xvg\nx2.xvg\n' >g/ix.dat
cp -r g bad
printf 'w0.mdp\nw1.mdp\n' >bad/it-short.dat
printf 'w0.mdp\nw1.mdp\nw2.tpr\n' >bad/it-tpr.dat
printf 'x0.xvg\nx1.xvg\nmissing.xvg\n' >bad/ix-missing.dat
sed 's/ref-t = 300 300/ref-t = 310/' g/w2.mdp >bad/w2-hot.mdp
sed 's/ref-t = 300 300/ref-t = 300 310/' g/w2.mdp >bad/w2-split.mdp
sed 's/distance/transformation/' g/w2.mdp >bad/w2-geo.mdp
sed 's/umbrella/flat-bottom/' g/w2.mdp >bad/w2-flat.mdp
for v in hot split geo flat; do printf 'w0.mdp\nw1.mdp\nw2-%s.mdp\n' $v >bad/it-$v.dat; done
sed '10s/.*/9 abc/' g/x2.xvg >bad/x2-text.xvg
sed '10s/.*/9 nan/' g/x2.xvg >bad/x2-nan.xvg
sed '10s/.*/3 2.5/' g/x2.xvg >bad/x2-back.xvg
sed '10s/.*/9/' g/x2.xvg >bad/x2-short.xvg
for v in text nan back short; do printf 'x0.xvg\nx1.xvg\nx2-%s.xvg\n' $v >bad/ix-$v.dat; done
# PLUMED
mkdir -p p
for k in 0 1 2; do
  { printf '#! FIELDS time d1 y\n'; for t in $(seq 0 19); do printf '%d %s 0.5\n' $t "$k.$t"; done; } >p/c$k.dat
  printf 'c%d.dat %d 500\n' $k $k >>p/meta.dat
done
grep -v FIELDS p/c2.dat >p/c2-nofields.dat
sed 's/c2.dat/c2-nofields.dat/' p/meta.dat >p/meta-nofields.dat
printf 'c0.dat 0 500\nc1.dat 1\n' >p/meta-short.dat

ok=(-import_format gmx -import_it g/it.dat -import_ix g/ix.dat)
cases=(
  "2|n|window count mismatch: bad/it-short.dat lists 2 .mdp files, bad/ix.dat lists 3 pullx files|import -import_format gmx -import_it bad/it-short.dat -import_ix bad/ix.dat -out o"
  "2|n|cannot read bad/missing.xvg: No such file or directory|import -import_format gmx -import_it bad/it.dat -import_ix bad/ix-missing.dat -out o"
  "2|n|bad/it-tpr.dat, line 3: w2.tpr is a .tpr file; umbra reads the .mdp files instead|import -import_format gmx -import_it bad/it-tpr.dat -import_ix bad/ix.dat -out o"
  "2|n|mixed temperatures: window 0 \(bad/w0.mdp\) is at 300 K, window 2 \(bad/w2-hot.mdp\) at 310 K|import -import_format gmx -import_it bad/it-hot.dat -import_ix bad/ix.dat -out o"
  "2|n|bad/w2-split.mdp, line 7: mixed temperatures: ref-t = 300 310|import -import_format gmx -import_it bad/it-split.dat -import_ix bad/ix.dat -out o"
  "2|n|bad/w2-geo.mdp, line 4: pull geometry transformation is not supported|import -import_format gmx -import_it bad/it-geo.dat -import_ix bad/ix.dat -out o"
  "2|n|bad/w2-flat.mdp, line 3: pull-coord1-type = flat-bottom: only umbrella restraints|import -import_format gmx -import_it bad/it-flat.dat -import_ix bad/ix.dat -out o"
  "2|n|bad/x2-text.xvg, line 10: pull coordinate 'abc' is not a number|import -import_format gmx -import_it bad/it.dat -import_ix bad/ix-text.dat -out o"
  "2|n|bad/x2-nan.xvg, line 10: pull coordinate 'nan' is not finite|import -import_format gmx -import_it bad/it.dat -import_ix bad/ix-nan.dat -out o"
  "2|n|bad/x2-back.xvg, line 10: time 3 goes backwards \(the line before: 6\)|import -import_format gmx -import_it bad/it.dat -import_ix bad/ix-back.dat -out o"
  "2|n|bad/x2-short.xvg, line 10: malformed line, expected time and the pull coordinate|import -import_format gmx -import_it bad/it.dat -import_ix bad/ix-short.dat -out o"
  "2|n|window 0 \(g/x0.xvg, line 1 of g/it.dat\) has no frames between -import_begin and -import_end|import ${ok[*]} -import_begin 100 -out o"
  "2|n|p/c2-nofields.dat, line 1: data before a '#! FIELDS' header: not a PLUMED COLVAR file|import -import_format plumed -import_list p/meta-nofields.dat -import_units kT -out o"
  "2|n|p/c0.dat, line 1: FIELDS has no column 'psi' \(it has: time d1 y\)|import -import_format plumed -import_list p/meta.dat -import_units kT -import_column psi -out o"
  "2|n|p/c0.dat, line 1: FIELDS has no column 'z9' \(-import_fine\)|import -import_format plumed -import_list p/meta.dat -import_units kT -import_fine y,z9 -out o"
  "2|n|p/meta-short.dat, line 2: malformed line, expected COLVAR_FILE CENTER KAPPA|import -import_format plumed -import_list p/meta-short.dat -out o"
  "2|n|p/meta.dat, line 1: the spring constant is in kJ/mol: give the temperature \(-import_temp\)|import -import_format plumed -import_list p/meta.dat -out o"
  "2|s|unknown units 'eV' \(-import_units: kJ/mol, kcal/mol or kT\)|import -import_format plumed -import_list p/meta.dat -import_units eV -out o"
  "2|s|Unknown option foo for -import_format|import -import_format foo -out o"
  "2|s|umbra import needs -import_format gmx, plumed or grossfield|import -out o"
  "2|s|-import_format gmx needs -import_it FILE|import -import_format gmx -import_ix g/ix.dat -out o"
  "2|s|-import_begin 5 is after -import_end 1|import ${ok[*]} -import_begin 5 -import_end 1 -out o"
)
for c in "${cases[@]}"; do
  IFS='|' read -r want where pattern args <<<"$c"
  for np in $([ "$where" = s ] && echo s || echo 1 3); do
    expect_error "$np" "$want" "$pattern" "$args"
  done
done
[ -e o/samples.h5 ] || [ -e o/windows.csv ] && { echo "a failed import left samples.h5 or windows.csv in o/"; fail=1; }
# the good inputs import
timeout 120 $MPIEXEC -n 3 $MPIEXEC_FLAGS "$UMBRA" import "${ok[@]}" -out good </dev/null >good.log 2>&1 && [ -s good/samples.h5 ] || { echo "the good gmx import failed"; tail good.log; fail=1; }
exit $fail
