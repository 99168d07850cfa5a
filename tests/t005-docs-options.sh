#!/usr/bin/env bash
# Every option umbra reads is documented in docs/options.md.
set -u
cd "$SRCDIR"
missing=$(grep -rhoE '"-[a-z][a-z0-9]*(_[a-z0-9]+)+"' src | tr -d '"' | sort -u | while read -r o; do
  grep -q -- "\`$o" docs/options.md || echo "$o"
done)
[ -z "$missing" ] || { echo "options not documented in docs/options.md:"; echo "$missing"; exit 1; }
# Every boolean umbra reads is in the list of options that may stand without a value
# (src/sys/options.c); any other of its options given without a value stops the run.
flags=$(sed -n '/flag_options\[\] = {/,/};/p' src/sys/options.c)
unlisted=$(grep -rhoE '(PetscOptionsBool|PetscOptionsGetBool)\([^"]*"-[a-z_]+"' src | grep -oE '"-[a-z_]+"' | sort -u | while read -r o; do
  grep -qF -- "$o" <<<"$flags" || echo "${o//\"/}"
done)
[ -z "$unlisted" ] || { echo "boolean options missing from flag_options in src/sys/options.c:"; echo "$unlisted"; exit 1; }
