#!/usr/bin/env bash
# Runs every bad-input test and prints the markdown table of docs/reliability.md: each distinct
# bad input (command line), the exit code and the message umbra gives, as measured now.
#   tests/reliability-table.sh [BUILD=dir] > table.md   (make reliability-table)
set -eu
cd "$(dirname "$0")/.."
build=$(realpath -m "${BUILD:-build}")
table=$(mktemp)
trap 'rm -f "$table"' EXIT
UMB_BAD_INPUT_TABLE=$table FILTER=${FILTER:-'bad-input|damaged|t202|t230|t309|t512|t706'} tests/run.sh >&2 || echo "note: some bad-input tests failed (see above)" >&2
echo "| test | command line | exit | message |"
echo "|---|---|---|---|"
# one row per distinct command line (the cases run at several rank counts); | escaped for markdown
awk -F'\t' '!seen[$3]++ { gsub(/\|/, "\\|"); sub(/ -progress_interval 1000$/, "", $3); printf "| %s | `umbra %s` | %s | %s |\n", $1, $3, $2, $4 }' "$table" | sed "s|$build/|build/|g"
echo
echo "$(awk -F'\t' '!seen[$3]++' "$table" | wc -l) distinct bad inputs."
