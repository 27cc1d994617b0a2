#!/bin/sh
# Makes sure the programs the test suite starts are installed: redis-server (the Redis store and
# cluster tests start their own), chromium and chromium-driver (the web page tests drive them),
# curl (the README walk-through test runs the README's curl commands), jq and openssl (the
# notice-verification recipe of docs/notices.md, which NoticeRecipeIT runs).
# `mvn verify` runs this before compiling the tests. When something is missing it installs it with
# apt-get if it can (root on a Debian-like system); otherwise it prints the exact command to run and
# fails, so nothing runs half-equipped.
#
# TEST_PREREQUISITES_NO_INSTALL=1 never installs, only tells (as for a user who is not root).
# TEST_PREREQUISITES_PRETEND_MISSING="redis-server chromium" treats those as missing (to try this
# script's two paths on a machine that has them).
set -eu

missing() {
  out=""
  for pkg in redis-server chromium chromium-driver curl jq openssl; do
    case " ${TEST_PREREQUISITES_PRETEND_MISSING:-} " in
      *" $pkg "*) out="$out $pkg"; continue ;;
    esac
    case "$pkg" in
      redis-server) [ -x /usr/bin/redis-server ] || [ -x /usr/local/bin/redis-server ] || out="$out $pkg" ;;
      chromium) [ -x /usr/bin/chromium ] || out="$out $pkg" ;;
      chromium-driver) [ -x /usr/bin/chromedriver ] || out="$out $pkg" ;;
      curl|jq|openssl) command -v "$pkg" >/dev/null 2>&1 || out="$out $pkg" ;;
    esac
  done
  echo "${out# }"
}

need=$(missing)
[ -z "$need" ] && exit 0

if [ "$(id -u)" = 0 ] && [ -z "${TEST_PREREQUISITES_NO_INSTALL:-}" ] && command -v apt-get >/dev/null 2>&1; then
  echo "test prerequisites: installing $need (apt-get, as root)"
  apt-get update -qq
  # shellcheck disable=SC2086 # one word per package
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need
  TEST_PREREQUISITES_PRETEND_MISSING=""
  still=$(missing)
  if [ -n "$still" ]; then
    echo "test prerequisites: still missing after apt-get: $still" >&2
    exit 1
  fi
  exit 0
fi

cat >&2 <<MSG

The test suite needs programs that are not installed: $need
Install them, then run \`mvn verify\` again:

    sudo apt-get update && sudo apt-get install -y $need

(Debian/Ubuntu package names; run \`mvn verify\` as root and it installs them itself.
\`mvn -q compile exec:java\`, which starts a hub, needs none of them.)

MSG
exit 1
