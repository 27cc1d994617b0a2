#!/bin/sh
# Regenerates the release fixture of issue 14 (src/test/resources/fixtures/release-<commit>/): a data
# set written by the hub of an earlier release, which ReleaseFixtureIT opens with the current code.
#
# It MUST run the release's own code: it clones this repository at RELEASE (default 5f0a623, the
# last commit before the store was split by concern), copies scripts/release-fixture/
# ReleaseFixtureWriter.java into that clone's test sources, compiles there and runs the writer
# twice: once on the embedded store (data/hub.db) and once on Redis (a redis-server 7 folder with
# appendonly yes, appendfsync always, stopped with SHUTDOWN: redis/appendonlydir). The writer drives
# a real hub of that release only through its public API (HTTP and the signed Twilio webhook, SMS to a
# fake Twilio) and writes expected.json: what the API showed, plus the outbox rows as stored.
#
# Usage: [ENGINES="embedded redis"] scripts/make-release-fixture.sh [RELEASE]   (needs git, a JDK, Maven with ~/.m2 filled,
# redis-server). Times in the fixture are when it was made: regenerating changes every file.
set -eu
RELEASE=${1:-5f0a623}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q --no-checkout "$repo" "$work/src"
git -C "$work/src" checkout -q "$RELEASE"
mkdir -p "$work/src/src/test/java/org/crisishub/fixtures"
cp "$repo/scripts/release-fixture/ReleaseFixtureWriter.java" "$work/src/src/test/java/org/crisishub/fixtures/"
# Some tests of that release read ../shared (the product spec); compiling does not need it.
cd "$work/src"
mvn -o -q test-compile -Dtest.prerequisites.skip
mvn -o -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$work/cp.txt"
cp="target/test-classes:target/classes:$(cat "$work/cp.txt")"
short=$(git rev-parse --short=7 HEAD)
dest="$repo/src/test/resources/fixtures/release-$short"
for engine in ${ENGINES:-embedded redis}; do
  out="$work/out/$engine"
  java -cp "$cp" org.crisishub.fixtures.ReleaseFixtureWriter "$engine" "$out" "$(git rev-parse HEAD)"
  rm -rf "$dest/$engine"
  mkdir -p "$dest/$engine"
  cp "$out/expected.json" "$dest/$engine/"
  if [ "$engine" = embedded ]; then
    mkdir -p "$dest/$engine/data"
    cp "$out/data/hub.db" "$dest/$engine/data/"
  else
    cp -r "$out/redis/appendonlydir" "$dest/$engine/"
  fi
done
echo "release fixture of $short written to $dest"
du -sh "$dest"/*
