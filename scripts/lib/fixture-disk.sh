# shellcheck shell=bash
# scripts/lib/fixture-disk.sh: the dead-host disk image itself: where
# each partition lies, the GPT or MBR table written by sfdisk, and the boot
# area (MBR boot code and GRUB core, zeroed or as grub2-install writes it).
# Sourced by scripts/make-fixture; uses its variables and helpers.

# --- partition layout ------------------------------------------------------

ROLES=()
declare -A P_START=() P_SIZE=()
NEXT_SECTOR=2048
DISK_SECTORS=0

add_part() {  # ROLE MIB
  ROLES+=("$1")
  P_START[$1]=$NEXT_SECTOR
  P_SIZE[$1]=$(($2 * 2048))
  NEXT_SECTOR=$((NEXT_SECTOR + P_SIZE[$1]))
}

part_off() { echo $((P_START[$1] * 512)); }
part_len() { echo $((P_SIZE[$1] * 512)); }

plan_layout() {
  if [[ $OPT_TABLE == gpt ]]; then
    add_part biosboot 1
    add_part esp 200
  fi
  add_part boot 500
  if [[ $OPT_ROOT == lvm ]]; then
    add_part pv 1200
  else
    add_part root 1200
    add_part swap 64
  fi
  if [[ $OPT_IMAGES_VG -eq 1 ]]; then add_part pv2 640; fi
  # 1 MiB after the last partition (room for the backup GPT).
  DISK_SECTORS=$((NEXT_SECTOR + 2048))
}

gpt_line() {  # ROLE
  local type uuid name=''
  case $1 in
    biosboot) type=21686148-6449-6E6F-744E-656564454649 uuid=$PART_UUID_BIOSBOOT ;;
    esp) type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B uuid=$PART_UUID_ESP
      name=', name="EFI System Partition"' ;;
    boot) type=0FC63DAF-8483-4772-8E79-3D69D8477DE4 uuid=$PART_UUID_BOOT ;;
    root) type=0FC63DAF-8483-4772-8E79-3D69D8477DE4 uuid=$PART_UUID_ROOT ;;
    swap) type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F uuid=$PART_UUID_SWAP ;;
    pv) type=E6D6D379-F507-44C2-A23C-238F2A3DF928 uuid=$PART_UUID_PV ;;
    pv2) type=E6D6D379-F507-44C2-A23C-238F2A3DF928 uuid=$PART_UUID_PV2 ;;
  esac
  echo "start=${P_START[$1]}, size=${P_SIZE[$1]}, type=$type, uuid=$uuid$name"
}

dos_line() {  # ROLE
  local type flags=''
  case $1 in
    boot) type=83 flags=', bootable' ;;
    root) type=83 ;;
    swap) type=82 ;;
    pv | pv2) type=8e ;;
  esac
  echo "start=${P_START[$1]}, size=${P_SIZE[$1]}, type=$type$flags"
}

sfdisk_script() {
  local role
  if [[ $OPT_TABLE == gpt ]]; then
    # first-lba 34 as parted (anaconda) writes it; partitions still 1 MiB aligned.
    printf 'label: gpt\nlabel-id: %s\nunit: sectors\nfirst-lba: 34\n\n' "$DISK_GUID"
    for role in "${ROLES[@]}"; do gpt_line "$role"; done
  else
    printf 'label: dos\nlabel-id: %s\nunit: sectors\n\n' "$DOS_DISK_ID"
    for role in "${ROLES[@]}"; do dos_line "$role"; done
  fi
}

make_table() {
  truncate -s $((DISK_SECTORS * 512)) -- "$TMP_OUT"
  sfdisk_script >"$WORK/sfdisk.script"
  run sfdisk --quiet --no-reread --no-tell-kernel --wipe never "$TMP_OUT" <"$WORK/sfdisk.script"
}

# --- boot area: MBR boot code and GRUB core ----------------------------------

core_sector() {
  if [[ $OPT_TABLE == gpt ]]; then echo "${P_START[biosboot]}"; else echo 1; fi
}

core_room_sectors() {
  if [[ $OPT_TABLE == gpt ]]; then echo "${P_SIZE[biosboot]}"; else echo 2047; fi
}

zero_boot_area() {
  head -c 440 /dev/zero | write_at "$TMP_OUT" 0
  fallocate --punch-hole --keep-size --offset $(($(core_sector) * 512)) \
    --length $(($(core_room_sectors) * 512)) -- "$TMP_OUT"
}

# As grub2-install does: boot.img's code with the core's first sector at
# 0x5c and the boot-drive check nopped at 0x66; diskboot's block list
# (start at 0x1f4) pointing at the rest of the core.
install_grub() {
  local sector core=$WORK/core.img mbr=$WORK/mbr.bin prefix nsec
  sector=$(core_sector)
  if [[ $OPT_TABLE == gpt ]]; then prefix='(hd0,gpt3)/grub2'; else prefix='(hd0,msdos1)/grub2'; fi
  run grub-mkimage -O i386-pc -p "$prefix" -o "$core" biosdisk part_gpt part_msdos xfs lvm
  nsec=$((($(apparent_bytes "$core") + 511) / 512))
  [[ $nsec -le $(core_room_sectors) ]] || die "GRUB core image ($nsec sectors) does not fit"
  le_bytes $((sector + 1)) 8 | write_at "$core" $((0x1f4))
  head -c 440 /usr/lib/grub/i386-pc/boot.img >"$mbr"
  le_bytes "$sector" 8 | write_at "$mbr" $((0x5c))
  printf '\220\220' | write_at "$mbr" $((0x66))
  write_at "$TMP_OUT" 0 <"$mbr"
  write_at "$TMP_OUT" $((sector * 512)) <"$core"
}

make_boot_area() {
  zero_boot_area
  if [[ $OPT_BOOT == intact ]]; then install_grub; fi
}
