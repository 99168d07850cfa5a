#!/usr/bin/env bash
# The source tree keeps its layers and owners (docs/developers.md, "Layers and owners"):
# - no include runs from a lower layer to a higher one (sys < rng io nn stats < model <
#   sample gan generator < fes dmap < closure coupling < report < app), in src/ and in the headers;
# - no file outside its owner names a dataset of samples.h5 (src/sample/samplesfile*.c) or of
#   fes.h5 (src/fes/);
# - -seed, -out and -restart (the command set-up, src/app/setup.c) and -us_dt (the sampler) are
#   each parsed in one file.
set -u
cd "$SRCDIR"
fail=0

layer_of_folder() { # a folder of src/ or a header's module -> its layer
  case $1 in
  sys) echo 0 ;;
  rng | io | nn | stats) echo 1 ;;
  model) echo 2 ;;
  sample | gan | flow | generator) echo 3 ;;
  fes | dmap) echo 4 ;;
  closure | coupling) echo 5 ;;
  report) echo 6 ;;
  app) echo 7 ;;
  *) echo "?" ;;
  esac
}

module_of_header() { # include path as written (umbra/x.h, umbra/private/ximpl.h) -> module
  local h=${1#umbra/}
  h=${h#private/}
  h=${h%.h}
  case $h in
  sys | sysimpl) echo sys ;;
  rng) echo rng ;;
  io) echo io ;;
  nn | nnimpl) echo nn ;;
  stats) echo stats ;;
  model | modelimpl | fastslowimpl | mullerbrownimpl | ringimpl | cv | cvimpl | exact | exactimpl | plugin) echo model ;;
  sampler | samplerimpl | sampleoutimpl | samplesfile | samplesfileimpl) echo sample ;;
  gan | ganimpl | gantrain) echo gan ;;
  flow | flowimpl | flowtrain) echo flow ;;
  generator | generatorimpl | generatorcommon | trainset) echo generator ;;
  fes | fesimpl | fesexp | importimpl) echo fes ;;
  dmap | dmapimpl) echo dmap ;;
  closure | closureimpl) echo closure ;;
  coupling | couplingimpl) echo coupling ;;
  report | reportimpl) echo report ;;
  app | campaign) echo app ;;
  *) echo "?" ;;
  esac
}

check_includes() { # file module
  local file=$1 mine=$2 lm inc m li
  lm=$(layer_of_folder "$mine")
  while read -r inc; do
    m=$(module_of_header "$inc")
    li=$(layer_of_folder "$m")
    if [ "$li" = "?" ] || [ "$lm" = "?" ]; then
      echo "$file: include <$inc>: no layer known for it (add it to tests/t008-sys-layers.sh and docs/developers.md)"
      fail=1
    elif [ "$li" -gt "$lm" ]; then
      echo "$file ($mine, layer $lm) includes <$inc> ($m, layer $li): an arrow up the layers"
      fail=1
    fi
  done < <(grep -oE '^#include <umbra/[a-z/]+\.h>' "$file" | sed -E 's/#include <(.*)>/\1/')
}

for f in src/*/*.c; do
  d=${f#src/}
  check_includes "$f" "${d%%/*}"
done
for h in include/umbra/*.h include/umbra/private/*.h; do
  check_includes "$h" "$(module_of_header "${h#include/}")"
done

# dataset names of samples.h5 and fes.h5 outside their owners
owned='"/(samples|windows|profile|diagnostics|bootstrap|wham|grid)(/[a-z_0-9]+)*"'
stray=$(grep -rnE "$owned" src --include=*.c | grep -vE '^src/sample/samplesfile[a-z_]*\.c:|^src/fes/')
if [ -n "$stray" ]; then
  echo "samples.h5 or fes.h5 datasets named outside their owners:"
  echo "$stray"
  fail=1
fi

# options with one owner
one_place() { # option folder-regex: the files that parse the option (not those that only name it)
  local where
  where=$(grep -rlE "(PetscOptions[A-Za-z]*|UmbOptions(Int64|Get[A-Za-z]*))\\([^;]*\"$1\"" src --include=*.c | grep -vE "$2" || true)
  if [ -n "$where" ]; then
    echo "$1 is read outside its owner ($2): $where"
    fail=1
  fi
}
one_place -seed '^src/app/setup\.c$'
one_place -out '^src/app/setup\.c$'
one_place -restart '^src/app/setup\.c$'
one_place -us_dt '^src/sample/sampler\.c$'

# the model layer knows nothing of diffusion maps
if grep -nE '#include <umbra/(private/)?dmap(impl)?\.h>' src/model/*.c include/umbra/model.h include/umbra/cv.h include/umbra/private/cvimpl.h include/umbra/private/modelimpl.h; then
  echo "the model layer includes a dmap header"
  fail=1
fi
exit $fail
