# shellcheck shell=bash
# scripts/lib/fixture-home.sh: --home-layout, the disk a default CentOS 7
# install leaves (VG centos with LVs root, home and swap, /home the biggest,
# XFS, mounted by the root's fstab) after the admin moved the images to
# /home: /var/lib/libvirt/images -> /home/images (an absolute link), one
# image linked on its own (link01), a dir pool under /home written loosely
# (homepool, target "/home/pool/"), and one image whose absolute link leads
# to a path the old root does not have (outside01: a rescue must not follow
# it to the rescue machine's own file of that name).
# Sourced by scripts/make-fixture; uses its variables and helpers.

# Fixed identities of this layout (the others are in fixture-ids.env).
# shellcheck disable=SC2034 # read by fix_vg_metadata as ${!key}
LV_UUID_HOME=KVMRlv-0000-0000-0000-0000-0000-000006
HOME_FS_UUID=5b0e7a11-0000-4000-8000-00000000f00e
DOM_UUID_LINK01=4b564d52-4400-4000-8000-000000000101
DOM_UUID_POOL01=4b564d52-4400-4000-8000-000000000102
DOM_UUID_OUTSIDE01=4b564d52-4400-4000-8000-000000000103
POOL_UUID_HOME=4b564d52-5000-4000-8000-000000000102
MAC_LINK01=52:54:00:4b:01:01
MAC_POOL01=52:54:00:4b:01:02
MAC_OUTSIDE01=52:54:00:4b:01:03
# outside01's link target: absent from the old root; tests make it here.
OUTSIDE_TARGET=/srv/kvmr-outside/outside01.img

HOME_MIB=720
# shellcheck disable=SC2034 # read by root_lv_mib (fixture-lvm.sh)
HOME_ROOT_MIB=400 # the root LV and its XFS with --home-layout (otherwise 640)
HOME_DIR=''       # where the home filesystem is mounted while it is filled

create_lv_home() {
  lvcreate_ centos home "${HOME_MIB}m"
}

# home_begin: the home XFS made and mounted; prints nothing.
home_begin() {
  HOME_DIR=$WORK/mnt/home
  make_xfs "$WORK/home.xfs" $((HOME_MIB * MIB)) "$HOME_FS_UUID"
  mount_file "$WORK/home.xfs" "$HOME_DIR" xfs
  install -d -m 711 "$HOME_DIR/images"
}

home_domain_volume() {  # POOL VOLUME
  cat <<EOF
    <disk type='volume' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source pool='$1' volume='$2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
EOF
}

home_pool() {  # ROOT
  dir_pool "$1" homepool "$POOL_UUID_HOME" /home/pool/ autostart
}

home_domains() {  # ROOT
  local r=$1
  {
    dom_begin link01 "$DOM_UUID_LINK01" 1048576 1
    dom_os_bios; dom_middle
    dom_disk_file qcow2 "$IMAGES/link01.qcow2"
    dom_iface_bridge "$MAC_LINK01" br0
    dom_end
  } | write_domain "$r" link01 1
  {
    dom_begin pool01 "$DOM_UUID_POOL01" 1048576 1
    dom_os_bios; dom_middle
    home_domain_volume homepool pool01.qcow2
    dom_iface_bridge "$MAC_POOL01" br0
    dom_end
  } | write_domain "$r" pool01 0
  {
    dom_begin outside01 "$DOM_UUID_OUTSIDE01" 1048576 1
    dom_os_bios; dom_middle
    dom_disk_file raw "$IMAGES/outside01.img"
    dom_iface_bridge "$MAC_OUTSIDE01" br0
    dom_end
  } | write_domain "$r" outside01 0
}

# home_populate ROOT: after populate_root and populate_images (into
# $HOME_DIR/images): the links, the other images, the pool and its VMs.
home_populate() {
  local r=$1 h=$HOME_DIR
  rmdir -- "$r$IMAGES"
  put_link /home/images "$r$IMAGES"
  install -d -m 711 "$h/images2" "$h/pool"
  run qemu-img create -q -f qcow2 "$h/images2/link01.qcow2" 256M
  qemu_write qcow2 "$h/images2/link01.qcow2" "0x71 0 1M" "0x72 200M 1M"
  put_link /home/images2/link01.qcow2 "$h/images/link01.qcow2"
  run qemu-img create -q -f qcow2 "$h/pool/pool01.qcow2" 256M
  qemu_write qcow2 "$h/pool/pool01.qcow2" "0x81 0 1M" "0x82 128M 1M"
  put_link "$OUTSIDE_TARGET" "$h/images/outside01.img"
  find "$h/images2" "$h/pool" -maxdepth 1 -type f -exec chmod 600 {} +
  home_pool "$r"
  home_domains "$r"
}

# home_end: /home settled, unmounted and copied onto its LV.
home_end() {
  settle_times "$HOME_DIR"
  umount_dir "$HOME_DIR"
  copy_lv "$WORK/home.xfs" centos/home
  rm -f -- "$WORK/home.xfs"
}
