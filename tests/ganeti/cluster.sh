# A single-node Ganeti 3.0 test cluster (sourced by the Ganeti tests), as
# in GANETI-TESTING.md Part B: every Ganeti daemon runs in a network
# namespace and a UTS namespace made here, so the node has a name that
# resolves to a non-loopback address and no traffic leaves the machine.
# cluster_up brings it up, `G CMD...` runs a command inside, and
# cluster_down (called from the EXIT trap) removes everything it made:
# instances, the cluster, the daemons left in the namespace (by PID), the
# namespace, the UTS file, the test volumes and their loop devices, and
# the Ganeti state under /var/lib/ganeti, /var/log/ganeti and /srv/ganeti.
set -euo pipefail

NS=imgdeploy-gnt
BRIDGE=gntbr0
NODE=node1.gnt.test
NODE_IP=10.77.0.1
CLUSTER=cluster.gnt.test
CLUSTER_IP=10.77.0.100
STATE=/run/imgdeploy-ganeti-test
UTS=$STATE/uts
EXT_PROVIDER=loopfile
VOLUMES=/srv/ganeti/imgdeploy-test-volumes
FILE_STORAGE=/srv/ganeti/file-storage
GANETI_PATH=/usr/sbin:/usr/bin:/sbin:/bin
CLUSTER_IS_UP=

# G CMD...: CMD inside the cluster's namespaces, with a clean environment
# (Ganeti's import/export scripts inherit the daemons' environment).
G() { env -i PATH=$GANETI_PATH LC_ALL=C nsenter --uts="$UTS" -- ip netns exec "$NS" "$@"; }

# The hosts file of the namespace: the node, the cluster, inst1..inst40.gnt.test.
cluster_hosts() {
    echo "127.0.0.1 localhost"
    echo "$NODE_IP $NODE node1"
    echo "$CLUSTER_IP $CLUSTER"
    local i
    for i in $(seq 1 40); do echo "10.77.0.$((10 + i)) inst$i.gnt.test"; done
}

install_ganeti() {
    command -v gnt-cluster >/dev/null && return 0
    echo "-- installing ganeti (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends ganeti >/dev/null
}

cluster_up() {
    install_ganeti
    [ -s /etc/ssh/ssh_host_rsa_key.pub ] || ssh-keygen -q -A
    if [ -d "$STATE" ]; then
        # An earlier run was killed before its teardown: its state is ours.
        echo "-- removing the cluster of an earlier, interrupted run"
        CLUSTER_IS_UP=yes
        [ -e /var/lib/ganeti/config.data ] || CLUSTER_IS_UP=partly
        cluster_down
    fi
    if [ -e /var/lib/ganeti/config.data ]; then
        echo "FAIL: this machine already has a Ganeti cluster (/var/lib/ganeti/config.data)" >&2
        exit 1
    fi
    ip netns list | grep -qw "$NS" && { echo "FAIL: network namespace $NS exists (an earlier run?)" >&2; exit 1; }
    mkdir -p "$STATE"
    [ -d /srv/ganeti ] || touch "$STATE/made-srv-ganeti"
    [ -e /etc/ganeti/file-storage-paths ] || touch "$STATE/made-file-storage-paths"
    [ -d /etc/netns ] || touch "$STATE/made-etc-netns"
    CLUSTER_IS_UP=partly

    ip netns add "$NS"
    ip -n "$NS" link set lo up
    ip -n "$NS" link add "$BRIDGE" type bridge
    ip -n "$NS" addr add "$NODE_IP/24" dev "$BRIDGE"
    ip -n "$NS" link set "$BRIDGE" up
    mkdir -p "/etc/netns/$NS"
    cluster_hosts > "/etc/netns/$NS/hosts"
    echo "nameserver 127.0.0.1" > "/etc/netns/$NS/resolv.conf"
    touch "$UTS"
    unshare --uts="$UTS" hostname "$NODE"

    mkdir -p /etc/ganeti "$FILE_STORAGE" "$VOLUMES"
    echo "$FILE_STORAGE" > /etc/ganeti/file-storage-paths
    /usr/lib/ganeti/ensure-dirs
    install -d -o root -g gnt-daemons -m 0750 /var/log/ganeti/extstorage
    local ext=/srv/ganeti/extstorage/$EXT_PROVIDER a
    mkdir -p "$ext"
    for a in create attach detach remove grow setinfo verify; do
        install -m 0755 "$HERE/extstorage-loopfile" "$ext/$a"
    done
    : > "$ext/parameters.list"

    G gnt-cluster init --no-etc-hosts --no-ssh-init --master-netdev="$BRIDGE" \
        --nic-parameters=mode=bridged,link="$BRIDGE" --enabled-hypervisors=fake \
        --enabled-disk-templates=file,ext --ipolicy-disk-templates=file,ext \
        --file-storage-dir="$FILE_STORAGE" "$CLUSTER" >"$STATE/init.log" 2>&1 ||
        { cat "$STATE/init.log" >&2; echo "FAIL: gnt-cluster init" >&2; exit 1; }
    CLUSTER_IS_UP=yes
    G gnt-cluster modify --ipolicy-bounds-specs=min:cpu-count=1,disk-count=1,disk-size=1,memory-size=1,nic-count=0,spindle-use=0/max:cpu-count=64,disk-count=16,disk-size=1048576,memory-size=65536,nic-count=8,spindle-use=12 >/dev/null
}

cluster_down() {
    [ -n "$CLUSTER_IS_UP" ] || return 0
    local inst pid dev
    if [ "$CLUSTER_IS_UP" = yes ]; then
        for inst in $(G gnt-instance list --no-headers -o name 2>/dev/null); do
            G gnt-instance remove -f --ignore-failures "$inst" >/dev/null 2>&1 || true
        done
        G gnt-cluster destroy --yes-do-it >/dev/null 2>&1 || true
    fi
    # Whatever is left in the namespace was started by this cluster (noded
    # may still be forking): SIGTERM, then SIGKILL, until none is left.
    local round pids
    for round in $(seq 1 20); do
        pids=$(ip netns pids "$NS" 2>/dev/null || true)
        [ -n "$pids" ] || break
        for pid in $pids; do kill "$([ "$round" -le 4 ] && echo -TERM || echo -KILL)" "$pid" 2>/dev/null || true; done
        sleep 0.5
    done
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "/etc/netns/$NS"
    [ ! -e "$STATE/made-etc-netns" ] || rmdir /etc/netns 2>/dev/null || true
    umount "$UTS" 2>/dev/null || true
    for f in "$VOLUMES"/* "$FILE_STORAGE"/*/*; do
        [ -f "$f" ] || continue
        for dev in $(losetup -j "$f" -O NAME --noheadings 2>/dev/null); do
            partx -d "$dev" 2>/dev/null || true
            losetup -d "$dev" 2>/dev/null || true
        done
    done
    rm -rf /var/lib/ganeti/* /var/log/ganeti/*
    rm -rf "$VOLUMES" "$FILE_STORAGE" /srv/ganeti/extstorage/$EXT_PROVIDER
    [ ! -e "$STATE/made-file-storage-paths" ] || rm -f /etc/ganeti/file-storage-paths
    [ ! -e "$STATE/made-srv-ganeti" ] || rm -rf /srv/ganeti
    rm -rf "$STATE"
    CLUSTER_IS_UP=
}
