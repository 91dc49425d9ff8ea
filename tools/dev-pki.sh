#!/usr/bin/env bash
# Generates a development PKI for arkmq in DIR (default ./var/pki): a CA, a server certificate
# for 127.0.0.1 / localhost / ::1, a client certificate (CN=dev-client) and an empty CRL.
# Keys are mode 0600. Idempotent: an existing complete set is kept as is. Development only.
# Usage: tools/dev-pki.sh [DIR]
set -euo pipefail
dir=${1:-var/pki}
days=825
files=(ca.pem ca.key server.pem server.key client.pem client.key crl.pem)

complete=1
for f in "${files[@]}"; do
  [ -s "$dir/$f" ] || complete=0
done
if [ "$complete" -eq 1 ]; then
  echo "dev-pki: keeping the existing PKI in $dir" >&2
  exit 0
fi

umask 077
mkdir -p "$dir"
chmod 700 "$dir"
cd "$dir"
key=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)

openssl req -x509 "${key[@]}" -keyout ca.key -out ca.pem -days "$days" \
  -subj "/CN=arkmq development CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  2>/dev/null

cat > server.ext <<'EXT'
subjectAltName=IP:127.0.0.1,DNS:localhost,IP:::1
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
EXT
cat > client.ext <<'EXT'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
EXT

openssl req "${key[@]}" -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days "$days" \
  -extfile server.ext -out server.pem 2>/dev/null
openssl req "${key[@]}" -keyout client.key -out client.csr -subj "/CN=dev-client" 2>/dev/null
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days "$days" \
  -extfile client.ext -out client.pem 2>/dev/null

# An empty CRL, so a CRL-checking listener can be tried (revoke with `openssl ca -revoke`).
cat > ca.cnf <<'CNF'
[ca]
default_ca = dev
[dev]
database = index.txt
crlnumber = crlnumber
default_md = sha256
default_crl_days = 825
certificate = ca.pem
private_key = ca.key
CNF
: > index.txt
[ -s crlnumber ] || echo 01 > crlnumber
openssl ca -config ca.cnf -gencrl -out crl.pem 2>/dev/null

rm -f server.csr client.csr
chmod 600 ./*.key
chmod 644 ca.pem server.pem client.pem crl.pem
echo "dev-pki: wrote CA, server (127.0.0.1, localhost, ::1) and client (CN=dev-client) certificates to $dir" >&2
