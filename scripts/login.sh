#!/bin/sh
# Signs a person in on a hub in dev SMS mode and prints their session token:
#   ALICE_TOKEN=$(scripts/login.sh +15551234567)
# It asks for a one-time code (POST /api/v1/otp), reads the code from the dev SMS outbox
# (GET /dev/sms/messages) and exchanges it for a token (POST /api/v1/sessions). The hub is $HUB
# (default http://localhost:8080). Needs curl.
set -eu
phone=${1:?usage: scripts/login.sh +15551234567}
hub=${HUB:-http://localhost:8080}
encoded=$(printf '%s' "$phone" | sed 's/+/%2B/')
curl -sS --fail-with-body -XPOST "$hub/api/v1/otp" -d "{\"phone\":\"$phone\"}" >/dev/null
code=$(curl -sS --fail-with-body "$hub/dev/sms/messages?to=$encoded" | grep -o 'code: [0-9]\{6\}' | tail -n 1 | cut -c7-)
[ -n "$code" ] || { echo "login.sh: no code for $phone in the dev SMS outbox (is HUB_SMS=dev?)" >&2; exit 1; }
answer=$(curl -sS --fail-with-body -XPOST "$hub/api/v1/sessions" -d "{\"phone\":\"$phone\",\"code\":\"$code\"}")
token=$(printf '%s' "$answer" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "login.sh: no token in $answer" >&2; exit 1; }
printf '%s\n' "$token"
