# shellcheck shell=bash
# scripts/lib/fixture-fs.sh: the filesystems, each made in a temporary
# file (XFS and ext4 as CentOS 7 made them, swap), filled through a loop
# mount and copied into its partition or LV segment by segment.
# Sourced by scripts/make-fixture; uses its variables and helpers.

# --- filesystems in temporary files ---------------------------------------------

make_xfs() {  # FILE BYTES UUID [LABEL]
  local label=()
  if [[ $# -ge 4 ]]; then label=(-L "$4"); fi
  truncate -s "$2" -- "$1"
  run mkfs.xfs -f -q \
    -m crc=1,finobt=0,rmapbt=0,reflink=0,bigtime=0,inobtcount=0,uuid="$3" \
    -i sparse=0 -n ftype=1 "${label[@]}" "$1"
}

# ext4 as CentOS 7's e2fsprogs 1.42 made it (no metadata_csum, no 64bit).
make_ext4() {  # FILE BYTES UUID [mke2fs args...]
  local file=$1 bytes=$2 uuid=$3
  shift 3
  truncate -s "$bytes" -- "$file"
  run env E2FSPROGS_FAKE_TIME="$FIXTURE_EPOCH" mke2fs -F -q -t ext4 \
    -O ^metadata_csum,^64bit,uninit_bg -U "$uuid" -E hash_seed="$uuid" "$@" "$file"
}

make_swap_file() {  # FILE BYTES
  truncate -s "$2" -- "$1"
  chmod 600 -- "$1"
  run mkswap -U "$SWAP_UUID" "$1"
}

settle_times() {  # DIR: the host's install time on everything under DIR
  find "$1" -xdev -exec touch -h -d "@$FIXTURE_EPOCH" {} +
}

# --- root (and images) filesystem -------------------------------------------------------------

make_root_fs() {
  local rootfs=$WORK/root.fs imgfs=$WORK/images.xfs r=$WORK/mnt/root imgdir
  if [[ $OPT_ROOT == lvm ]]; then
    make_xfs "$rootfs" $(($(root_lv_mib) * MIB)) "$ROOT_FS_UUID"
    mount_file "$rootfs" "$r" xfs
  else
    make_ext4 "$rootfs" "$(part_len root)" "$ROOT_FS_UUID"
    mount_file "$rootfs" "$r" ext4
  fi
  imgdir=$r$IMAGES
  if [[ $OPT_IMAGES_VG -eq 1 ]]; then
    make_xfs "$imgfs" $((500 * MIB)) "$IMAGES_FS_UUID" vmimages
    imgdir=$WORK/mnt/images
    mount_file "$imgfs" "$imgdir" xfs
  fi
  if [[ $OPT_HOME_LAYOUT -eq 1 ]]; then
    home_begin
    imgdir=$HOME_DIR/images
  fi
  populate_root "$r"
  populate_images "$imgdir"
  if [[ $OPT_REAL_WORLD -eq 1 ]]; then realworld_populate "$r" "$imgdir"; fi
  if [[ $OPT_BOOT_VMS -eq 1 ]]; then bootvms_populate "$r" "$imgdir"; fi
  if [[ $OPT_HOME_LAYOUT -eq 1 ]]; then home_populate "$r"; fi
  settle_times "$r"
  failpoint mounted
  if [[ $OPT_HOME_LAYOUT -eq 1 ]]; then home_end; fi
  if [[ $OPT_IMAGES_VG -eq 1 ]]; then
    umount_dir "$imgdir"
    copy_lv "$imgfs" vmdata/images
    rm -f -- "$imgfs"
  fi
  if [[ $OPT_DIRTY_ROOT_LOG -eq 1 ]]; then dirty_xfs_log "$r" "${DIRTY_LOG_FILES[@]}"; fi
  umount_dir "$r"
  if [[ $OPT_ROOT == lvm ]]; then
    copy_lv "$rootfs" centos/root
  else
    copy_region "$rootfs" 0 "$TMP_OUT" "$(part_off root)" "$(part_len root)"
  fi
  rm -f -- "$rootfs"
}

make_swap() {
  local f=$WORK/swap.img
  if [[ $OPT_ROOT == lvm ]]; then
    make_swap_file "$f" $((64 * MIB))
    copy_lv "$f" centos/swap
  else
    make_swap_file "$f" "$(part_len swap)"
    copy_region "$f" 0 "$TMP_OUT" "$(part_off swap)" "$(part_len swap)"
  fi
  rm -f -- "$f"
}
