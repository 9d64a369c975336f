#!/bin/bash
# HTTPS (with a CA given by http.ca_file, and refused without it) and FTP
# sources, against servers on 127.0.0.1 started here.
source "$(dirname "$0")/common.sh"
require_root
"$PYTHON" -c 'import pyftpdlib' 2>/dev/null || fail "python3-pyftpdlib is not installed (./build.sh deps)"

sample_image "$T/sample.raw" 16
size=$(stat -c %s "$T/sample.raw")
mkdir -p "$T/www"
cp "$T/sample.raw" "$T/www/disk.img"
gzip -c "$T/sample.raw" > "$T/www/disk.img.gz"

step "a self-signed certificate for 127.0.0.1"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
cat "$T/cert.pem" "$T/key.pem" > "$T/server.pem"

exec {https_out}< <(exec "$PYTHON" "$SRC/tests/integration/http_server.py" --port 0 --root "$T/www" --cert "$T/server.pem")
PIDS+=($!)
read -r -t 10 HTTPS_PORT <&"$https_out" || fail "HTTPS server did not start"
exec {ftp_out}< <(exec "$PYTHON" "$SRC/tests/integration/ftp_server.py" --port 0 --root "$T/www")
PIDS+=($!)
read -r -t 10 FTP_PORT <&"$ftp_out" || fail "FTP server did not start"

step "https with an untrusted certificate is refused, nothing written"
dirty_disk "$T/disk" 24
expect_error 'certificate|SSL' deploy "$T/disk" "https://127.0.0.1:$HTTPS_PORT/ok/disk.img"
untouched_after "$T/disk" 0

write_config "http:" "  ca_file: $T/cert.pem"
for url in "https://127.0.0.1:$HTTPS_PORT/ok/disk.img" "https://127.0.0.1:$HTTPS_PORT/drop/disk.img.gz" \
           "ftp://127.0.0.1:$FTP_PORT/disk.img" "ftp://127.0.0.1:$FTP_PORT/disk.img.gz"; do
    step "$url"
    dirty_disk "$T/disk" 24
    disk=$(new_loop "$T/disk")
    deploy "$disk" "$url" 2>"$T/log" || { cat "$T/log"; fail "$url"; }
    same_prefix "$T/sample.raw" "$disk" "$size"
    untouched_after "$disk" "$size"
done

step "a missing file on the FTP server"
expect_error 'ftp://127.0.0.1' deploy "$T/disk" "ftp://127.0.0.1:$FTP_PORT/nosuch.img"
no_leftovers
echo PASS
