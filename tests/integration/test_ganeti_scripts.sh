#!/bin/bash
# The Ganeti OS scripts (through the ganeti-os/ shims) with Ganeti's exact
# environment (reset, as ganeti-noded does), no Ganeti needed: create onto
# a file disk and a loop device, import/export round trip with EXP_SIZE_FD,
# rename, verify, and the progress monitor protocol.
source "$(dirname "$0")/common.sh"
require_root

OSDIR=$SRC/ganeti-os
sample_image "$T/sample.raw" 24
size=$(stat -c %s "$T/sample.raw")
cp "$T/sample.raw" "$T/images/debian.img"
echo '{"properties": {"OSFAMILY": "linux", "ROOT_PARTITION": "1", "EXCLUDE_ALL_TASKS": "yes"}}' > "$T/images/debian.img.meta"
cp "$T/sample.raw" "$T/images/needs-helper.img"

# ganeti SCRIPT VAR=VALUE...: runs ganeti-os/SCRIPT as ganeti-noded would.
ganeti() {
    local script=$1
    shift
    (cd "$OSDIR" && env -i PATH=/sbin:/bin:/usr/sbin:/usr/bin IMGDEPLOY_BIN="$IMGDEPLOY" \
        IMGDEPLOY_CONFIG="$IMGDEPLOY_CONFIG" OS_API_VERSION=20 OS_NAME=imgdeploy \
        OS_VARIANT=default DEBUG_LEVEL=0 "$@" "./$script" $([ "$script" = verify ] && echo parameters))
}
create_env() {  # DISK
    echo INSTANCE_NAME=inst1.gnt.test HYPERVISOR=kvm INSTANCE_HV_disk_type=paravirtual \
        DISK_COUNT=1 DISK_0_PATH="$1" DISK_0_ACCESS=rw DISK_0_BACKEND_TYPE=block \
        NIC_COUNT=1 NIC_0_MAC=aa:00:00:67:4d:8c NIC_0_MODE=bridged NIC_0_LINK=gntbr0
}

step "the OS definition files"
[ "$(head -1 "$OSDIR/ganeti_api_version")" = 20 ] || fail "ganeti_api_version"
grep -qx default "$OSDIR/variants.list" || fail "variants.list"
for p in img_id img_format img_passwd img_passwd_hash auth_keys img_properties inst_properties \
         img_personality config_url os_product_key os_answer_file cloud_userdata img_checksum; do
    grep -qE "^$p [^ ]" "$OSDIR/parameters.list" || fail "parameters.list lacks $p with a description"
done
for s in create import export rename verify; do [ -x "$OSDIR/$s" ] || fail "$s is not executable"; done

for kind in file loop; do
    step "create onto a $kind disk (API 20), properties from the .meta file"
    dirty_disk "$T/disk" 32
    disk=$T/disk
    [ $kind = loop ] && disk=$(new_loop "$T/disk")
    ganeti create $(create_env "$disk") OSP_IMG_ID=debian.img OSP_IMG_FORMAT=diskdump \
        OSP_IMG_PASSWD=Sup3r-Secret-pw >"$T/log" 2>&1 || { cat "$T/log"; fail "create on $kind"; }
    same_prefix "$T/sample.raw" "$disk" "$size"
    grep -q 'Sup3r-Secret-pw' "$T/log" && fail "the password reached the OS log"
    grep -q '\[MONITOR\] {"messages":\["Starting image copy..."\]' "$T/log" || fail "no [MONITOR] info line"
    grep -q '\[MONITOR\] .*"type":"image-copy-progress"' "$T/log" || fail "no [MONITOR] progress line"
done

step "create with API 10 and 15 (no OSP_*, variant from OS_VARIANT)"
dirty_disk "$T/disk" 32
ganeti create $(create_env "$T/disk") OS_API_VERSION=10 OS_VARIANT= >"$T/log" 2>&1 && fail "API 10 create without img_id must fail"
grep -q 'img_id' "$T/log" || fail "API 10: missing img_id not named"
ganeti create $(create_env "$T/disk") OS_API_VERSION=15 OSP_IMG_ID=debian.img OSP_IMG_FORMAT=diskdump >"$T/log" 2>&1 \
    || { cat "$T/log"; fail "API 15 create"; }
expect_error 'OS_API_VERSION' ganeti create $(create_env "$T/disk") OS_API_VERSION=5

step "create that needs the helper: copies, then fails clearly, boot areas wiped"
write_config "helper:" "  dir: $T/no-helper"
dirty_disk "$T/disk" 32
expect_error 'helper image is not installed.*imgdeploy-build-helper' \
    ganeti create $(create_env "$T/disk") OSP_IMG_ID=needs-helper.img OSP_IMG_FORMAT=diskdump
grep -q 'Image copy finished' "$T/err" || fail "the copy should finish before customization fails"
grep -q '"type":"image-error"' "$T/err" || fail "no image-error monitor message"
is_zero "$T/disk" 0 $MIB
is_zero "$T/disk" $((31 * MIB)) $MIB
write_config

step "a progress monitor receives the JSON stream, instance name as argv[1]"
cat > "$T/monitor" <<MON
#!/bin/bash
echo "argv1=\$1" > "$T/monitor.out"
cat >> "$T/monitor.out"
MON
chmod +x "$T/monitor"
write_config "progress_monitor: $T/monitor"
dirty_disk "$T/disk" 32
ganeti create $(create_env "$T/disk") OSP_IMG_ID=debian.img OSP_IMG_FORMAT=diskdump >"$T/log" 2>&1 || { cat "$T/log"; fail "create with monitor"; }
grep -qx 'argv1=inst1.gnt.test' "$T/monitor.out" || fail "monitor argv[1]"
"$PYTHON" - "$T/monitor.out" <<'PY' || fail "monitor stream is not the snf-image protocol"
import json, sys
lines = open(sys.argv[1]).read().splitlines()[1:]
msgs = [json.loads(l) for l in lines]
assert all(isinstance(m["timestamp"], float) for m in msgs)
types = [m["type"] for m in msgs]
assert types[0] == "image-info" and msgs[0]["messages"] == ["Starting image copy..."], types
prog = [m for m in msgs if m["type"] == "image-copy-progress"]
assert prog and prog[-1]["position"] == prog[-1]["total"] and prog[-1]["progress"] == 100.0, prog
assert {"position", "total", "progress"} <= set(prog[0])
assert any(m["type"] == "image-info" and m["messages"] == ["Image copy finished."] for m in msgs)
PY
grep -q '\[MONITOR\]' "$T/log" && fail "[MONITOR] lines with a monitor configured"

step "a monitor that dies at once does not stop the deployment"
printf '#!/bin/sh\nexit 0\n' > "$T/monitor"
dirty_disk "$T/disk" 32
ganeti create $(create_env "$T/disk") OSP_IMG_ID=debian.img OSP_IMG_FORMAT=diskdump >"$T/log" 2>&1 || { cat "$T/log"; fail "create with a dead monitor"; }
same_prefix "$T/sample.raw" "$T/disk" "$size"
write_config

step "export then import: byte-identical, size on EXP_SIZE_FD"
dirty_disk "$T/src" 32
ganeti create $(create_env "$T/src") OSP_IMG_ID=debian.img OSP_IMG_FORMAT=diskdump >/dev/null 2>&1
for kind in file loop; do
    src=$T/src
    [ $kind = loop ] && src=$(new_loop "$T/src")
    ganeti export INSTANCE_NAME=inst1 EXPORT_INDEX=0 EXPORT_DISK_PATH="$src" EXPORT_DEVICE="$src" EXP_SIZE_FD=11 \
        11>"$T/expsize" >"$T/stream" 2>"$T/log" || { cat "$T/log"; fail "export from $kind"; }
    [ "$(cat "$T/expsize")" = $((32 * MIB)) ] || fail "EXP_SIZE_FD said $(cat "$T/expsize")"
    cmp -s "$T/stream" "$T/src" || fail "export stream differs from the disk"
    dirty_disk "$T/dst" 32
    dst=$T/dst
    [ $kind = loop ] && dst=$(new_loop "$T/dst")
    ganeti import INSTANCE_NAME=inst1 IMPORT_INDEX=0 IMPORT_DISK_PATH="$dst" IMPORT_DEVICE="$dst" \
        <"$T/stream" >"$T/log" 2>&1 || { cat "$T/log"; fail "import to $kind"; }
    cmp -s "$T/src" "$T/dst" || fail "import result differs from the exported disk"
done

step "rename logs and succeeds"
ganeti rename INSTANCE_NAME=new.gnt.test OLD_INSTANCE_NAME=inst1.gnt.test $(create_env "$T/disk" | sed 's/INSTANCE_NAME=[^ ]*//') >"$T/log" 2>&1 \
    || { cat "$T/log"; fail "rename"; }
grep -q 'inst1.gnt.test.*new.gnt.test' "$T/log" || fail "rename not logged"

step "verify: good parameters pass, bad ones are all reported at once"
ganeti verify OSP_IMG_ID=debian.img OSP_IMG_FORMAT=diskdump >"$T/log" 2>&1 || { cat "$T/log"; fail "verify good"; }
expect_error 'img_format.*os_product_key|os_product_key.*img_format' ganeti verify OSP_IMG_ID=debian.img \
    OSP_IMG_FORMAT=vmdk OSP_OS_PRODUCT_KEY=short OSP_OS_ANSWER_FILE=gopher://x OSP_IMG_PERSONALITY='{"x":1}' \
    OSP_IMG_CHECKSUM=sha256:xyz OSP_IMG_PASSWD=hunter2-secret OSP_IMG_PASSWD_HASH=abc
for p in os_answer_file img_personality img_checksum img_passwd; do
    grep -q "$p" "$T/err" || fail "verify did not report $p"
done
grep -q 'hunter2-secret' "$T/err" && fail "verify printed a password"
expect_error 'img_id' ganeti verify OSP_IMG_FORMAT=diskdump
step "variant defaults apply (img_format from variants/<v>.yaml)"
mkdir -p "$T/variants"
echo "img_format: diskdump" > "$T/variants/web.yaml"
write_config "variants_dir: $T/variants"
ganeti verify OS_VARIANT=web OSP_IMG_ID=debian.img >"$T/log" 2>&1 || { cat "$T/log"; fail "variant default"; }
expect_error 'variant' ganeti verify OS_VARIANT=nosuch OSP_IMG_ID=debian.img
write_config
no_leftovers
echo PASS
