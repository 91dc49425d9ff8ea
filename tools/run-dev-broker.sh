#!/usr/bin/env bash
# Development broker: installs the build dependencies (tools/setup.sh), builds the release preset,
# makes a development PKI in ./var/pki (tools/dev-pki.sh) and runs arkmq-broker in the foreground
# with data in ./var, plain MQTT on 127.0.0.1:1883 and MQTT over TLS on 127.0.0.1:8883 (client
# certificates optional; the dev client certificate gives the identity "dev-client"). Anonymous
# clients are refused, as in production; pass --allow-anonymous to try it without certificates.
# Authorization is deny-by-default: on first run the script gives "dev-client" an allow-all rule
# in var/arkmq.db with arkmqctl (only when the database has no rules yet, so rules you made are
# kept). Extra arguments go to the broker. Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

./tools/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target arkmq-broker arkmqctl
./tools/dev-pki.sh var/pki

# Deny by default: without a rule the dev client could connect but do nothing. Idempotent: a
# database that already has rules (the dev rule, or your own) is left as it is.
arkmqctl=build/release/tools/arkmqctl/arkmqctl
rules=$("$arkmqctl" --data-dir var acl list --json)
if ! grep -q '"id"' <<<"$rules"; then
  "$arkmqctl" --data-dir var acl add --allow --all --topic '#' --user dev-client >/dev/null
  echo "arkmq dev: added an allow-all rule for dev-client (see: $arkmqctl --data-dir var acl list)" >&2
fi

pki=var/pki
cat >&2 <<HELP

arkmq development broker
  TLS with the dev client certificate (principal "dev-client"):
          mosquitto_sub -h 127.0.0.1 -p 8883 --cafile $pki/ca.pem --cert $pki/client.pem --key $pki/client.key -t 'demo/#' -v
          mosquitto_pub -h 127.0.0.1 -p 8883 --cafile $pki/ca.pem --cert $pki/client.pem --key $pki/client.key -t demo/hello -m hi
  anonymous clients (plain 1883, or TLS without a certificate) are refused unless the broker was
  started with --allow-anonymous, and then may do only what rules for "anonymous" allow:
          $arkmqctl --data-dir var acl add --allow --all --topic 'demo/#' --anonymous
          mosquitto_pub -h 127.0.0.1 -p 1883 -t demo/hello -m hi
  users and rules: $arkmqctl --data-dir var --help (changes apply while the broker runs)
  add -V mqttv5 for MQTT 5.0. Stop the broker with Ctrl-C.

HELP

exec build/release/broker/app/arkmq-broker \
  --data-dir var \
  --listen mqtt://127.0.0.1:1883 \
  --listen mqtts://127.0.0.1:8883 \
  --tls-cert "$pki/server.pem" --tls-key "$pki/server.key" --tls-ca "$pki/ca.pem" \
  "$@"
