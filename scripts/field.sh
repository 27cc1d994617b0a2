#!/bin/sh
# Prints the first string field NAME of the JSON on standard input, for walk-throughs on machines
# without jq:   NOTICE_ID=$(curl -s ... | scripts/field.sh id)
set -eu
name=${1:?usage: scripts/field.sh NAME < answer.json}
grep -o "\"$name\":\"[^\"]*\"" | head -n 1 | sed "s/^\"$name\":\"\(.*\)\"$/\1/"
