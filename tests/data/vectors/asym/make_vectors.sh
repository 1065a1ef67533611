#!/bin/sh
# Regenerates the self-made certificates, keys and OpenSSL signatures in
# this directory (OpenSSL 3.0.19 was used; any 3.x works). Keys are
# random, so a rerun produces different files: the tests only rely on
# the relations between them. Run from this directory.
set -eu
umask 022
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

cat > "$T/ca.cnf" <<'CNF'
[req]
distinguished_name = req_dn
[req_dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[inter]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ee_ike]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = 1.3.6.1.5.5.7.3.17
subjectAltName = DNS:vpn.example.com, email:ike@example.com, IP:192.0.2.1, IP:2001:db8::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ee_server]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:gw.example.org
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ee_noeku]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
subjectAltName = email:peer@example.net
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ee_codesign]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF

# Keys (PKCS#8 PEM), plus the other encodings the loader accepts.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out root-rsa.key
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out inter-p384.key
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ee-p256.key
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out ee-rsa.key
openssl genpkey -algorithm ED25519 -out ee-ed25519.key
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out ee-p521.key
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other-root.key
openssl pkey -in ee-rsa.key -traditional -out ee-rsa.pkcs1.pem          # RSA PRIVATE KEY
openssl pkey -in ee-p256.key -traditional -out ee-p256.sec1.pem         # EC PRIVATE KEY
openssl pkey -in ee-p256.key -outform DER -out ee-p256.pk8.der          # PKCS#8 DER
openssl pkey -in ee-ed25519.key -outform DER -out ee-ed25519.pk8.der

# Root CA (RSA-2048, sha256WithRSAEncryption), an unrelated root, and a
# P-384 intermediate signed by the root.
openssl req -new -x509 -key root-rsa.key -sha256 -days 7300 -set_serial 1 \
    -subj "/C=XX/O=rike test/CN=rike test root" -config "$T/ca.cnf" \
    -extensions ca -out root.pem
openssl req -new -x509 -key other-root.key -sha256 -days 7300 -set_serial 2 \
    -subj "/C=XX/O=rike test/CN=unrelated root" -config "$T/ca.cnf" \
    -extensions ca -out other-root.pem

csr() { openssl req -new -config "$T/ca.cnf" -key "$1" -subj "$2" -out "$T/$3.csr"; }
sign() { # csr-name ca-cert ca-key ext serial out [extra args]
    n=$1 ca=$2 cakey=$3 ext=$4 serial=$5 out=$6; shift 6
    openssl x509 -req -in "$T/$n.csr" -CA "$ca" -CAkey "$cakey" -set_serial "$serial" \
        -days 3650 -extfile "$T/ca.cnf" -extensions "$ext" "$@" -out "$out"
}

csr inter-p384.key "/C=XX/O=rike test/CN=rike test intermediate" inter
sign inter root.pem root-rsa.key inter 10 inter.pem -sha256

# End entities.
csr ee-p256.key "/C=XX/O=rike test/CN=vpn.example.com" ee-p256
sign ee-p256 inter.pem inter-p384.key ee_ike 100 ee-p256.pem -sha384          # ecdsa-with-SHA384
csr ee-rsa.key "/C=XX/O=rike test/CN=gw.example.org" ee-rsa
sign ee-rsa inter.pem inter-p384.key ee_server 101 ee-rsa.pem -sha384
csr ee-ed25519.key "/C=XX/O=rike test/CN=peer@example.net" ee-ed25519
sign ee-ed25519 root.pem root-rsa.key ee_noeku 102 ee-ed25519.pem -sha256 \
    -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest -sigopt rsa_mgf1_md:sha256  # RSASSA-PSS
csr ee-p521.key "/C=XX/O=rike test/CN=codesign" ee-p521
sign ee-p521 root.pem root-rsa.key ee_codesign 103 ee-p521-codesign.pem -sha512

# Signatures made by OpenSSL over msg.bin (deterministic ones are
# known answers; the others are verified).
printf 'rike: InitiatorSignedOctets stand-in\n' > msg.bin
for h in sha1 sha256 sha384 sha512; do
    openssl dgst -$h -sign ee-rsa.key -out ee-rsa.pkcs1-$h.sig msg.bin
done
for h in sha256 sha384 sha512; do
    openssl dgst -$h -sign ee-rsa.key -sigopt rsa_padding_mode:pss \
        -sigopt rsa_pss_saltlen:digest -sigopt rsa_mgf1_md:$h -out ee-rsa.pss-$h.sig msg.bin
done
# IKEv1 raw RSA signature: PKCS#1 type 1 padding over a 20-byte "HASH_I",
# no DigestInfo.
openssl dgst -sha1 -binary -out hash_i.bin msg.bin
openssl pkeyutl -sign -inkey ee-rsa.key -pkeyopt rsa_padding_mode:pkcs1 -in hash_i.bin -out ee-rsa.raw.sig
openssl dgst -sha256 -sign ee-p256.key -out ee-p256.sha256.der.sig msg.bin
openssl dgst -sha512 -sign ee-p521.key -out ee-p521.sha512.der.sig msg.bin
openssl pkeyutl -sign -rawin -inkey ee-ed25519.key -in msg.bin -out ee-ed25519.sig

# Show what was made.
for c in root other-root inter ee-p256 ee-rsa ee-ed25519 ee-p521-codesign; do
    printf '%s: ' $c; openssl x509 -in $c.pem -noout -subject -dates | tr '\n' ' '; echo
done
openssl verify -CAfile root.pem -untrusted inter.pem ee-p256.pem ee-rsa.pem
openssl verify -CAfile root.pem ee-ed25519.pem ee-p521-codesign.pem
