# Shared by the proxy tests (sourced): the real chat-server and real proxies in front of it
# (tests/support/processes.sh: a private directory, everything stopped by pid), plus:
#
#   make_certificate NAME           writes $work/cert.pem and $work/key.pem for NAME
# doc_block reads docs/deploy.md.

suite=proxy
doc=docs/deploy.md
source "$(dirname "${BASH_SOURCE[0]}")/../support/processes.sh"

make_certificate() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
    -addext "subjectAltName=DNS:$1" -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null ||
    fail "openssl could not make a certificate"
}
