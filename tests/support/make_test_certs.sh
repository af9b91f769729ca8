#!/bin/sh
# Makes a throwaway PKI for the TLS tests in directory $1 (never committed):
#   ca.pem/.key          the CA the broker's and the client's certificates chain to
#   other-ca.pem         an unrelated CA (a client trusting it must refuse the broker)
#   server.pem/.key      CN=localhost, SANs localhost and 127.0.0.1, signed by ca
#   expired.pem/.key     the same, but its validity ended yesterday
#   client.pem/.key      CN=alice, for mutual TLS, signed by ca
#   rsa-server.pem/.key  as server, with an RSA key (static-RSA suites need one)
set -eu
cd "$1"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; }
key ca.key
openssl req -x509 -key ca.key -out ca.pem -days 2 -subj "/CN=Wharf Test CA" 2>/dev/null
key other-ca.key
openssl req -x509 -key other-ca.key -out other-ca.pem -days 2 -subj "/CN=Some Other CA" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
printf 'extendedKeyUsage=clientAuth\n' > client.ext
sign() {  # name subject days extfile [keytype]
  if [ "${5:-}" = rsa ]; then openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" 2>/dev/null
  else key "$1.key"; fi
  openssl req -new -key "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" -days "$3" \
    -extfile "$4" 2>/dev/null
}
sign server "/CN=localhost" 2 server.ext
sign expired "/CN=localhost" -1 server.ext
sign client "/CN=alice" 2 client.ext
sign rsa-server "/CN=localhost" 2 server.ext rsa
