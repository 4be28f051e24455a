# shellcheck shell=bash
# scripts/lib/fixture-images.sh: the guests' disk images (raw, qcow2
# overlays, the broken ones) and the content of the block-device VM's LV.
# Sourced by scripts/make-fixture; uses its variables and helpers.

# --- guests' images ---------------------------------------------------------------------------

# libguestfs takes a filesystem for a Linux root only with /etc, /bin (or
# CentOS 7's /bin -> usr/bin) and /etc/fstab or /etc/hosts.
guest_tree() {  # DIR: web01's guest root
  local g=$1
  install -d -m 755 "$g/etc" "$g/usr/bin" "$g/usr/sbin"
  put_link usr/bin "$g/bin"
  put_link usr/sbin "$g/sbin"
  install -d -m 555 "$g/boot"
  install -d -m 550 "$g/root"
  os_release | put "$g/etc/os-release" 644
  printf 'CentOS Linux release 7.9.2009 (Core)\n' | put "$g/etc/centos-release" 644
  printf 'web01.example.jp\n' | put "$g/etc/hostname" 644
  printf 'UUID=%s / ext4 defaults 1 1\n' "$WEB01_GUEST_FS_UUID" | put "$g/etc/fstab" 644
  settle_times "$g"
}

# web01: 256 MiB raw. With --guest-fs, an MBR disk with one 64 MiB Linux
# partition holding ext4; otherwise 0x5a in its first MiB. Both: 0xa5 at
# 100 MiB (2 MiB) and 0x3c in the last MiB.
make_web01() {  # FILE
  local f=$1
  truncate -s 256M -- "$f"
  if [[ $OPT_GUEST_FS -eq 1 ]]; then
    printf 'label: dos\nlabel-id: %s\nunit: sectors\n\nstart=2048, size=131072, type=83, bootable\n' \
      "$WEB01_GUEST_DISK_ID" >"$WORK/web01.sfdisk"
    run sfdisk --quiet --no-reread --no-tell-kernel --wipe never "$f" <"$WORK/web01.sfdisk"
    guest_tree "$WORK/web01-root"
    make_ext4 "$WORK/web01.ext4" $((64 * MIB)) "$WEB01_GUEST_FS_UUID" -d "$WORK/web01-root"
    copy_region "$WORK/web01.ext4" 0 "$f" "$MIB" $((64 * MIB))
    rm -f -- "$WORK/web01.ext4"
  else
    write_pattern "$f" 5a 0 "$MIB"
  fi
  write_pattern "$f" a5 $((100 * MIB)) $((2 * MIB))
  write_pattern "$f" 3c $((255 * MIB)) "$MIB"
}

qemu_write() {  # FORMAT FILE "PATTERN OFFSET LENGTH"...
  local fmt=$1 file=$2 w args=()
  shift 2
  for w in "$@"; do args+=(-c "write -P $w"); done
  run qemu-io -f "$fmt" "${args[@]}" "$file"
}

populate_images() {  # DIR
  local d=$1
  chmod 711 "$d"
  make_web01 "$d/web01.img"
  # mail01: overlay over centos7-base; the stored backing name is the
  # host's absolute path (rebased -u, it does not exist here).
  run qemu-img create -q -f qcow2 "$d/centos7-base.qcow2" 1G
  qemu_write qcow2 "$d/centos7-base.qcow2" "0x11 0 1M" "0x22 512M 1M"
  run qemu-img create -q -f qcow2 -b centos7-base.qcow2 -F qcow2 "$d/mail01.qcow2" 1G
  qemu_write qcow2 "$d/mail01.qcow2" "0x33 1M 1M" "0x44 768M 512K"
  run qemu-img rebase -u -F qcow2 -b "$IMAGES/centos7-base.qcow2" "$d/mail01.qcow2"
  run qemu-img create -q -f qcow2 "$d/app01.qcow2" 1G
  qemu_write qcow2 "$d/app01.qcow2" "0x55 0 1M" "0x66 900M 1M"
  if [[ $OPT_HOSTILE -eq 1 ]]; then
    local h="$d/$HOSTILE_FILE.img"
    truncate -s 64M -- "$h"
    write_pattern "$h" 77 0 "$MIB"
    write_pattern "$h" 78 $((63 * MIB)) "$MIB"
  fi
  if [[ $OPT_BROKEN_VMS -eq 1 ]]; then
    # trunc01: a qcow2 cut inside its header; loop01: a -> b -> a.
    run qemu-img create -q -f qcow2 "$d/trunc01.qcow2" 1G
    truncate -s 40 -- "$d/trunc01.qcow2"
    run qemu-img create -q -f qcow2 "$d/loop01-b.qcow2" 1G
    run qemu-img create -q -f qcow2 -b loop01-b.qcow2 -F qcow2 "$d/loop01-a.qcow2" 1G
    run qemu-img rebase -u -F qcow2 -b loop01-a.qcow2 "$d/loop01-b.qcow2"
  fi
  find "$d" -maxdepth 1 -type f -exec chmod 600 {} +
  settle_times "$d"
}

# db01's LV content: 0xdb in the first MiB, 0xd1 over 23..25 MiB (across
# the segment boundary at 24 MiB with --multiseg), 0xd2 in the last MiB.
make_db01() {
  local f=$WORK/db01.raw
  truncate -s $((48 * MIB)) -- "$f"
  write_pattern "$f" db 0 "$MIB"
  write_pattern "$f" d1 $((23 * MIB)) $((2 * MIB))
  write_pattern "$f" d2 $((47 * MIB)) "$MIB"
  copy_lv "$f" centos/db01
  rm -f -- "$f"
}
