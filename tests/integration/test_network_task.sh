#!/bin/bash
# 50ConfigureNetwork on a copy of the real Debian 12 test image (ifupdown
# and iproute2 installed, systemd unit directories), mounted on the host and
# given the task environment the helper gives it. The result is checked
# with independent tools: the image's own ifquery (chroot), udev's
# net_setup_link builtin reading the .link files, and the image's own
# ifup configuring a veth with the NIC's MAC in a network namespace. Then
# the failing cases: malformed NIC data (one error line naming the task and
# the variable, nothing written), no NIC data, and cloud-init mode with and
# without a native network stack (YAML read back by python3-yaml and by
# netplan), and the netplan and BSD renderers on fixture trees.
source "$(dirname "$0")/common.sh"
require_root
TASKS_BIN=${IMGDEPLOY_TASKS_BIN:?set by ctest: tasks/bin of the build tree}
TASK=$TASKS_BIN/50ConfigureNetwork
[ -x "$TASK" ] || fail "$TASK is not built"
for tool in partx unshare chroot ip udevadm sha256sum netplan; do
    command -v "$tool" >/dev/null || skip "$tool is not installed"
done
"$PYTHON" -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"
# udev's builtin reads .link files from /etc/systemd/network: ours are bound there.
[ -d /etc/systemd/network ] || skip "no /etc/systemd/network on the host (udev)"

CACHE=${IMGDEPLOY_TEST_CACHE:-/var/cache/imgdeploy-tests}
IMG=$CACHE/debian-mbr-ext4.img
TARGET=$T/target
MAC0=52:54:00:12:34:56
MAC1=52:54:00:12:34:57

net_cleanup() {
    local rc=$?
    umount "$TARGET" 2>/dev/null || true
    (exit $rc)
    cleanup
}
trap net_cleanup EXIT

step "a copy of the Debian image, mounted"
[ -s "$IMG" ] || "$SRC/tests/lib/make-debian-image.sh" mbr-ext4 "$IMG" >/dev/null
cp --sparse=always "$IMG" "$T/disk.img"
DISK=$(new_loop "$T/disk.img")
partx -a "$DISK"
mkdir -p "$TARGET"
mount "${DISK}p1" "$TARGET"
[ -x "$TARGET/usr/sbin/ifup" ] && [ -f "$TARGET/etc/network/interfaces" ] || fail "the image has no ifupdown"
cp "$TARGET/etc/network/interfaces" "$T/interfaces.orig"
: > "$T/monitor"

# The boot test's NIC (static IPv4) and a second one with DHCP and SLAAC.
NICS=(SNF_IMAGE_NIC_COUNT=2
    SNF_IMAGE_NIC_0_MAC=$MAC0 SNF_IMAGE_NIC_0_IP=10.0.2.15 SNF_IMAGE_NIC_0_FRONTEND_TYPE=paravirtual
    SNF_IMAGE_NIC_0_NETWORK_SUBNET=10.0.2.0/24 SNF_IMAGE_NIC_0_NETWORK_GATEWAY=10.0.2.2
    SNF_IMAGE_NIC_1_MAC=$MAC1 SNF_IMAGE_NIC_1_IP=192.0.2.5 SNF_IMAGE_NIC_1_FRONTEND_TYPE=paravirtual
    SNF_IMAGE_NIC_1_NETWORK_SUBNET=192.0.2.0/24 SNF_IMAGE_NIC_1_NETWORK_TAGS=dhcp
    SNF_IMAGE_NIC_1_NETWORK_GATEWAY6=2001:db8::1 SNF_IMAGE_NIC_1_NETWORK_SUBNET6=2001:db8::/64)
TAGS=(SNF_IMAGE_DHCP_TAGS="auto dhcp nfdhcpd" SNF_IMAGE_STATEFUL_DHCPV6_TAGS="dhcpv6 stateful_dhcpv6"
    SNF_IMAGE_STATELESS_DHCPV6_TAGS="nfdhcpd stateless_dhcpv6" SNF_IMAGE_DEFAULT_NIC_CONFIG=dhcp)

# run_task [VAR=value...]: the task with a clean environment, as the helper
# runs it; monitor lines go to $T/monitor, output to $T/task.out/err.
run_task() {
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HYPERVISOR=kvm \
        SNF_IMAGE_HOSTNAME=net1.example.org SNF_IMAGE_TYPE=diskdump \
        SNF_IMAGE_DEV="$DISK" SNF_IMAGE_DEV_0="$DISK" SNF_IMAGE_DEV_COUNT=1 SNF_IMAGE_TARGET="$TARGET" \
        SNF_IMAGE_PROPERTY_OSFAMILY=linux SNF_IMAGE_PROPERTY_ROOT_PARTITION=1 \
        TASKNAME=50ConfigureNetwork IMGDEPLOY_MONITOR_FD=3 "${TAGS[@]}" "$@" \
        "$TASK" 3>>"$T/monitor" >"$T/task.out" 2>"$T/task.err"
}
run_ok() {
    run_task "$@" || { cat "$T/task.out" "$T/task.err" >&2; fail "50ConfigureNetwork failed"; }
    if grep -E 'terminate called|Aborted|AddressSanitizer|runtime error' "$T/task.err" >/dev/null; then
        cat "$T/task.err" >&2
        fail "crash output"
    fi
}
# run_fails PATTERN [VAR=value...]: non-zero, one "50ConfigureNetwork: ..."
# stderr line matching PATTERN and an ERROR monitor line.
run_fails() {
    local pattern=$1 rc=0 before lines
    shift
    before=$(wc -l < "$T/monitor")
    run_task "$@" || rc=$?
    [ $rc -ne 0 ] || { cat "$T/task.out" "$T/task.err" >&2; fail "succeeded, expected a failure /$pattern/"; }
    lines=$(grep -c '^50ConfigureNetwork: ' "$T/task.err" || true)
    [ "$lines" = 1 ] || { cat "$T/task.err" >&2; fail "expected one error line, got $lines"; }
    grep -E "^50ConfigureNetwork: .*($pattern)" "$T/task.err" >/dev/null || {
        cat "$T/task.err" >&2
        fail "no error line matching /$pattern/"
    }
    tail -n +$((before + 1)) "$T/monitor" | grep -E "^ERROR:.*($pattern)" >/dev/null ||
        fail "no ERROR monitor line matching /$pattern/"
    echo "   ok: $(head -1 "$T/task.err" | cut -c1-150)"
}
# snapshot: names, modes and contents of the image's /etc and /var/lib.
snapshot() {
    (cd "$TARGET" && find etc var/lib -xdev -printf '%p %m %l\n' | sort &&
        find etc var/lib -xdev -type f -print0 | sort -z | xargs -0 sha256sum)
}
# in_netns SCRIPT ARGS...: SCRIPT (bash) in new mount and network namespaces,
# with proc, sysfs, a tmpfs /run and /dev in the image; all gone at its end.
in_netns() {
    unshare -m -n bash -euc "
        t=$TARGET
        mount -t proc proc \$t/proc; mount -t sysfs sysfs \$t/sys
        mount -t tmpfs tmpfs \$t/run; mount --bind /dev \$t/dev
        mount -t sysfs sysfs /sys
        $1" _ "${@:2}"
}

step "two NICs: ifupdown with .link names"
run_ok "${NICS[@]}"
grep -q 'renderer: ifupdown' "$T/task.out" || { cat "$T/task.out"; fail "ifupdown not chosen"; }
grep -E '^(ERROR|WARNING):' "$T/monitor" && fail "unexpected monitor lines"
# The image's own ifupdown reads what we wrote.
[ "$(chroot "$TARGET" ifquery --list | tr '\n' ' ')" = "lo eth0 eth1 " ] ||
    fail "ifquery --list: $(chroot "$TARGET" ifquery --list | tr '\n' ' ')"
chroot "$TARGET" ifquery eth0 > "$T/eth0"
for want in 'address: 10.0.2.15' 'netmask: 255.255.255.0' 'gateway: 10.0.2.2'; do
    grep -qx "$want" "$T/eth0" || { cat "$T/eth0"; fail "ifquery eth0: no '$want'"; }
done
[ "$(chroot "$TARGET" ifquery --list --allow=hotplug | tr '\n' ' ')" = "eth0 eth1 " ] || fail "allow-hotplug"
grep -q '^iface eth1 inet dhcp$' "$TARGET/etc/network/interfaces" || fail "eth1: no DHCP"
grep -q '^iface eth1 inet6 auto$' "$TARGET/etc/network/interfaces" || fail "eth1: no SLAAC"
backup=$(ls "$TARGET"/etc/network/interfaces.imgdeploy-*.bak)
cmp -s "$backup" "$T/interfaces.orig" || fail "the backup $backup differs from the image's file"
[ ! -e "$TARGET/etc/cloud" ] || fail "cloud-init files written in an image without cloud-init"
[ ! -e /etc/systemd/network/10-imgdeploy-eth0.link ] || fail "a .link file on the host"

# udev's own .link handling names each NIC by its MAC.
for i in 0 1; do
    mac_var=MAC$i
    out=$(in_netns 'mount --bind $t/etc/systemd/network /etc/systemd/network
        ip link add nic address $1 type veth peer name peer
        udevadm test-builtin net_setup_link /sys/class/net/nic 2>&1' "${!mac_var}")
    grep -qx "ID_NET_NAME=eth$i" <<<"$out" || { echo "$out"; fail "udev does not name ${!mac_var} eth$i"; }
    grep -qx "ID_NET_LINK_FILE=/etc/systemd/network/10-imgdeploy-eth$i.link" <<<"$out" || fail "link file"
done
echo "   ok: udev names $MAC0 eth0 and $MAC1 eth1"

# The image's ifup brings eth0 (the name udev gives it) up as asked.
out=$(in_netns 'ip link add eth0 address $1 type veth peer name peer0
    ip link set peer0 up
    mkdir -p $t/run/network
    chroot $t ifup eth0 >/dev/null 2>&1
    ip -4 -o addr show dev eth0
    ip -4 route show default' "$MAC0")
grep -q 'inet 10.0.2.15/24 ' <<<"$out" || { echo "$out"; fail "ifup eth0: no 10.0.2.15/24"; }
grep -q '^default via 10.0.2.2 dev eth0' <<<"$out" || { echo "$out"; fail "ifup eth0: no default route"; }
echo "   ok: the image's ifup: $(head -1 <<<"$out" | awk '{print $2, $3, $4}'), $(tail -1 <<<"$out")"

step "a second run keeps one backup"
run_ok "${NICS[@]}"
[ "$(ls "$TARGET"/etc/network/interfaces.imgdeploy-*.bak | wc -l)" = 1 ] || fail "a second backup"

step "malformed NIC data: an error naming the variable, nothing written"
before=$(snapshot)
run_fails "SNF_IMAGE_NIC_0_MAC='52:54:00:12:34'.*not a MAC address" "${NICS[@]}" SNF_IMAGE_NIC_0_MAC=52:54:00:12:34
run_fails "SNF_IMAGE_NIC_0_IP='10.0.3.15' is not in SNF_IMAGE_NIC_0_NETWORK_SUBNET=10.0.2.0/24" \
    "${NICS[@]}" SNF_IMAGE_NIC_0_IP=10.0.3.15
run_fails "SNF_IMAGE_NIC_1_NETWORK_SUBNET='192.0.2.0/40'.*prefix" "${NICS[@]}" SNF_IMAGE_NIC_1_NETWORK_SUBNET=192.0.2.0/40
no_mac1=()
for v in "${NICS[@]}"; do [[ $v == SNF_IMAGE_NIC_1_MAC=* ]] || no_mac1+=("$v"); done
run_fails "SNF_IMAGE_NIC_1_MAC is not set" "${no_mac1[@]}"
run_fails "SNF_IMAGE_DEFAULT_NIC_CONFIG='dhcp4'" SNF_IMAGE_NIC_COUNT=1 SNF_IMAGE_NIC_0_MAC=$MAC0 \
    SNF_IMAGE_DEFAULT_NIC_CONFIG=dhcp4
[ "$(snapshot)" = "$before" ] || fail "malformed data changed the image"

step "no NIC data, or a default NIC left alone: nothing written"
run_ok
grep -q 'nothing to do' "$T/task.out" || { cat "$T/task.out"; fail "no 'nothing to do'"; }
run_ok SNF_IMAGE_NIC_COUNT=1 SNF_IMAGE_NIC_0_MAC=$MAC0 SNF_IMAGE_DEFAULT_NIC_CONFIG=
grep -q 'left alone' "$T/task.out" || { cat "$T/task.out"; fail "no 'left alone'"; }
[ "$(snapshot)" = "$before" ] || fail "the image changed"

# yaml_get FILE EXPR: EXPR (Python, over `d`) of the YAML document in FILE.
yaml_get() { "$PYTHON" -c "import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print($2)" "$1"; }
DROPIN=$TARGET/etc/cloud/cloud.cfg.d/98_imgdeploy-ConfigureNetwork.cfg
SEED=$TARGET/var/lib/cloud/seed/nocloud-net/network-config

step "cloud-init mode with ifupdown: native files, cloud-init's network off"
run_ok "${NICS[@]}" SNF_IMAGE_PROPERTY_CLOUD_INIT=yes
[ "$(yaml_get "$DROPIN" 'd')" = "{'network': {'config': 'disabled'}}" ] || fail "drop-in: $(cat "$DROPIN")"
[ ! -e "$SEED" ] || fail "a seed network-config next to a native configuration"

step "cloud-init installed, CLOUD_INIT unset: cloud-init's network off all the same"
rm -f "$DROPIN"
mkdir -p "$TARGET/etc/cloud"
echo 'datasource_list: [ None ]' > "$TARGET/etc/cloud/cloud.cfg"
run_ok "${NICS[@]}"
[ "$(yaml_get "$DROPIN" 'd')" = "{'network': {'config': 'disabled'}}" ] || fail "drop-in: $(cat "$DROPIN")"
rm -f "$TARGET/etc/cloud/cloud.cfg"

step "cloud-init mode without a native stack: network config v2 in the drop-in and the seed"
mv "$TARGET/usr/sbin/ifup" "$T/ifup.moved"
run_ok "${NICS[@]}" SNF_IMAGE_PROPERTY_CLOUD_INIT=yes
grep -q 'renderer: cloud-init' "$T/task.out" || { cat "$T/task.out"; fail "cloud-init not chosen"; }
for doc in "$DROPIN:d['network']" "$SEED:d"; do
    file=${doc%%:*} root=${doc#*:}
    [ "$(yaml_get "$file" "$root['version']")" = 2 ] || fail "$file: not version 2"
    [ "$(yaml_get "$file" "$root['ethernets']['eth0']['match']['macaddress']")" = $MAC0 ] || fail "$file: MAC"
    [ "$(yaml_get "$file" "$root['ethernets']['eth0']['addresses']")" = "['10.0.2.15/24']" ] || fail "$file: address"
    [ "$(yaml_get "$file" "$root['ethernets']['eth0']['routes'][0]['via']")" = 10.0.2.2 ] || fail "$file: gateway"
    [ "$(yaml_get "$file" "$root['ethernets']['eth1']['dhcp4']")" = True ] || fail "$file: eth1 DHCP"
done
# cloud-init hands version 2 to netplan where it renders with it: netplan
# itself must take the drop-in's `network:` as it is.
mkdir -p "$T/np/etc/netplan"
install -m 0600 "$DROPIN" "$T/np/etc/netplan/50-cloud-init.yaml"
netplan generate --root-dir "$T/np" || fail "netplan rejects the cloud-init network config"
grep -qx 'Address=10.0.2.15/24' "$T/np/run/systemd/network/10-netplan-eth0.network" || fail "netplan: eth0 address"
grep -qx 'DHCP=ipv4' "$T/np/run/systemd/network/10-netplan-eth1.network" || fail "netplan: eth1 DHCP"
echo "   ok: $(yaml_get "$SEED" "sorted(d['ethernets'])")"

step "no native stack and no cloud-init: a warning, nothing written"
rm -rf "$TARGET/etc/cloud" "$TARGET/var/lib/cloud/seed"
before=$(snapshot)
run_ok "${NICS[@]}"
grep -q '^WARNING:network not configured' "$T/monitor" || fail "no warning"
[ "$(snapshot)" = "$before" ] || fail "the image changed"
mv "$T/ifup.moved" "$TARGET/usr/sbin/ifup"

umount "$TARGET"

step "netplan fixture: our file, the image's ethernets moved aside, netplan generate"
mount -t tmpfs -o size=4m tmpfs "$TARGET"
mkdir -p "$TARGET/etc/netplan" "$TARGET/usr/sbin"
: > "$TARGET/usr/sbin/netplan"
printf 'network:\n  version: 2\n  ethernets:\n    ens3:\n      dhcp4: true\n' > "$TARGET/etc/netplan/50-cloud-init.yaml"
printf 'network:\n  version: 2\n  renderer: NetworkManager\n' > "$TARGET/etc/netplan/01-network-manager-all.yaml"
chmod 600 "$TARGET"/etc/netplan/*.yaml
run_ok "${NICS[@]}"
grep -q 'renderer: netplan' "$T/task.out" || { cat "$T/task.out"; fail "netplan not chosen"; }
[ ! -e "$TARGET/etc/netplan/50-cloud-init.yaml" ] || fail "50-cloud-init.yaml still read by netplan"
ls "$TARGET"/etc/netplan/50-cloud-init.yaml.imgdeploy-*.bak >/dev/null || fail "50-cloud-init.yaml not kept"
[ -e "$TARGET/etc/netplan/01-network-manager-all.yaml" ] || fail "the renderer file was moved"
[ "$(stat -c %a "$TARGET/etc/netplan/90-imgdeploy.yaml")" = 600 ] || fail "90-imgdeploy.yaml mode"
netplan generate --root-dir "$TARGET" || fail "netplan rejects 90-imgdeploy.yaml"
nm=$TARGET/run/NetworkManager/system-connections
for want in 'interface-name=eth0' 'address1=10.0.2.15/24' 'route1=0.0.0.0/0,10.0.2.2'; do
    grep -qx "$want" "$nm/netplan-eth0.nmconnection" || { cat "$nm/netplan-eth0.nmconnection"; fail "netplan eth0: $want"; }
done
grep -qx 'method=auto' "$nm/netplan-eth1.nmconnection" || fail "netplan eth1: no DHCP"
echo "   ok: netplan generate: $(ls "$nm" | tr '\n' ' ')"
umount "$TARGET"

step "NetworkManager (forced by NM_NETWORKING) and systemd-networkd (enabled) fixtures"
mount -t tmpfs -o size=4m tmpfs "$TARGET"
mkdir -p "$TARGET/etc/systemd/system/multi-user.target.wants"
run_ok "${NICS[@]}" SNF_IMAGE_PROPERTY_NM_NETWORKING=yes
grep -q '^WARNING:NM_NETWORKING is set, but the image has no NetworkManager' "$T/monitor" || fail "no NM warning"
key=$TARGET/etc/NetworkManager/system-connections/imgdeploy-nic0.nmconnection
[ "$(stat -c '%a %u' "$key")" = "600 0" ] || fail "keyfile mode/owner: $(stat -c '%a %u' "$key")"
grep -qx 'mac-address=52:54:00:12:34:56' "$key" && grep -qx 'address1=10.0.2.15/24,10.0.2.2' "$key" || fail "keyfile"
ln -s /usr/lib/systemd/system/systemd-networkd.service "$TARGET/etc/systemd/system/multi-user.target.wants/"
run_ok "${NICS[@]}"
grep -q 'renderer: systemd-networkd' "$T/task.out" || { cat "$T/task.out"; fail "networkd not chosen"; }
grep -qx 'Address=10.0.2.15/24' "$TARGET/etc/systemd/network/10-imgdeploy-nic0.network" || fail ".network nic0"
grep -qx 'DHCP=ipv4' "$TARGET/etc/systemd/network/10-imgdeploy-nic1.network" || fail ".network nic1"
[ ! -e "$TARGET/etc/systemd/network/10-imgdeploy-eth0.link" ] || fail "a .link file for networkd, which matches by MAC"
umount "$TARGET"

# The BSD renderers through the whole task, on fixture trees (a tmpfs with
# the files they read), since no BSD image is at hand; rc.conf is read back
# by sh, as the BSDs' rc does.
step "BSD fixtures: FreeBSD rc.conf, OpenBSD hostname.if, NetBSD ifconfig.if"
BSD_NICS=("${NICS[@]/paravirtual/e1000}")
bsd_fixture() {
    mount -t tmpfs -o size=4m tmpfs "$TARGET"
    mkdir -p "$TARGET/etc"
    printf '%s\n' "$@" > "$TARGET/etc/rc.conf"
}
bsd_fixture 'hostname="template"' 'ifconfig_em0="DHCP"' 'defaultrouter="10.9.9.9"'
run_ok "${BSD_NICS[@]}" SNF_IMAGE_PROPERTY_OSFAMILY=freebsd
(. "$TARGET/etc/rc.conf"
    [ "$ifconfig_em0" = "inet 10.0.2.15 netmask 255.255.255.0" ] && [ "$defaultrouter" = 10.0.2.2 ] &&
        [ "$ifconfig_em1" = DHCP ] && [ "$ifconfig_em1_ipv6" = "inet6 accept_rtadv" ] &&
        [ "$rtsold_enable" = YES ] && [ "$hostname" = template ]) || { cat "$TARGET/etc/rc.conf"; fail "FreeBSD rc.conf"; }
ls "$TARGET"/etc/rc.conf.imgdeploy-*.bak >/dev/null || fail "no rc.conf backup"
umount "$TARGET"

bsd_fixture 'hostname=template' 'rc_configured=YES'
run_ok "${NICS[@]}" SNF_IMAGE_PROPERTY_OSFAMILY=openbsd
[ "$(cat "$TARGET/etc/hostname.vio0")" = "$(printf 'inet 10.0.2.15 255.255.255.0 NONE\nup')" ] || fail "hostname.vio0"
[ "$(stat -c %a "$TARGET/etc/hostname.vio1")" = 640 ] || fail "hostname.vio1 mode"
grep -qx dhcp "$TARGET/etc/hostname.vio1" || fail "hostname.vio1: no dhcp"
[ "$(cat "$TARGET/etc/mygate")" = 10.0.2.2 ] || fail "mygate"
run_ok "${NICS[@]}" SNF_IMAGE_PROPERTY_OSFAMILY=netbsd
[ "$(cat "$TARGET/etc/ifconfig.vioif0")" = "$(printf 'up\ninet 10.0.2.15 netmask 255.255.255.0')" ] ||
    fail "ifconfig.vioif0"
grep -qx '!dhcpcd -q -b $int' "$TARGET/etc/ifconfig.vioif1" || fail "ifconfig.vioif1: no dhcpcd"
(. "$TARGET/etc/rc.conf"; [ "$defaultroute" = 10.0.2.2 ] && [ "$rc_configured" = YES ]) || fail "NetBSD rc.conf"
run_fails "SNF_IMAGE_NIC_1_FRONTEND_TYPE='virtio'" "${NICS[@]}" SNF_IMAGE_NIC_1_FRONTEND_TYPE=virtio \
    SNF_IMAGE_PROPERTY_OSFAMILY=netbsd
run_ok "${NICS[@]}" SNF_IMAGE_PROPERTY_OSFAMILY=windows
grep -q '^WARNING:skipped: OSFAMILY' "$T/monitor" || fail "windows not skipped"
umount "$TARGET"
no_leftovers
echo "PASS"
