#!/usr/bin/env bash
# Every option umbra reads is documented in docs/options.md.
set -u
cd "$SRCDIR"
missing=$(grep -rhoE '"-[a-z][a-z0-9]*(_[a-z0-9]+)+"' src | tr -d '"' | sort -u | while read -r o; do
  grep -q -- "\`$o" docs/options.md || echo "$o"
done)
[ -z "$missing" ] || { echo "options not documented in docs/options.md:"; echo "$missing"; exit 1; }
