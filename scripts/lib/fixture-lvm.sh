# shellcheck shell=bash
# scripts/lib/fixture-lvm.sh: LVM without device-mapper: VGs made on a
# scratch PV with activation off, their UUIDs fixed, the final metadata
# restored onto the real PV, and content written onto the LVs' segments.
# Sourced by scripts/make-fixture; uses its variables and helpers.

# --- LVM without device-mapper -------------------------------------------------------

LVM_DEV=''
declare -A LV_SEGS=()   # "vg/lv" -> "src_off:dst_off:len ..." (bytes)

lvm_init() {
  mkdir -p "$WORK/lvm" "$WORK/lvm-lock"
  cat >"$WORK/lvm/lvm.conf" <<EOF
global {
	activation = 0
	locking_dir = "$WORK/lvm-lock"
}
devices {
	obtain_device_list_from_udev = 0
	use_devicesfile = 0
	scan_lvs = 0
	hints = "none"
}
activation {
	udev_sync = 0
	udev_rules = 0
}
backup {
	backup = 0
	archive = 0
}
EOF
}

# lvm_cmd ARGS...: an LVM command that sees only LVM_DEV, with the project's
# own lvm.conf, and the dead host's name recorded as creation_host.
lvm_cmd() {
  # shellcheck disable=SC2016 # $0 and $@ are for the inner sh
  run env LVM_SYSTEM_DIR="$WORK/lvm" LVM_SUPPRESS_FD_WARNINGS=1 \
    unshare --uts sh -c 'hostname "$0" && exec "$@"' "$HOSTNAME" \
    lvm "$@" --devices "$LVM_DEV"
}

lvm_query() {  # ARGS...: report output on stdout
  env LVM_SYSTEM_DIR="$WORK/lvm" LVM_SUPPRESS_FD_WARNINGS=1 \
    lvm "$@" --devices "$LVM_DEV" --noheadings --units b --nosuffix 2>>"$LOG"
}

lvcreate_() {  # VG LV SIZE
  lvm_cmd lvcreate -an -Zn -Wn -y -L "$3" -n "$2" "$1"
}

create_lvs_centos() {
  lvcreate_ centos root "$(root_lv_mib)m"
  lvcreate_ centos swap 64m
  if [[ $OPT_HOME_LAYOUT -eq 1 ]]; then create_lv_home; fi
  if [[ $OPT_MULTISEG -eq 1 ]]; then
    lvcreate_ centos db01 24m
    lvcreate_ centos filler 8m
    lvm_cmd lvextend -y -L 48m centos/db01
  elif [[ $OPT_BLOCK_VM -eq 1 ]]; then
    lvcreate_ centos db01 48m
  fi
}

root_lv_mib() {
  if [[ $OPT_HOME_LAYOUT -eq 1 ]]; then echo "$HOME_ROOT_MIB"; else echo 640; fi
}

create_lvs_vmdata() {
  lvcreate_ vmdata images 500m
}

# Fixed VG/LV UUIDs and creation times in a vgcfgbackup file.
fix_vg_metadata() {  # META VG VG_UUID
  local old name uuid key
  old=$(lvm_query vgs -o vg_uuid "$2" | tr -d ' ')
  [[ -n $old ]] || die "cannot read the UUID of VG $2"
  sed -i "s/$old/$3/" "$1"
  while read -r name uuid; do
    key=LV_UUID_${name^^}
    [[ -n ${!key:-} ]] || die "no $key in fixture-ids.env"
    sed -i "s/$uuid/${!key}/" "$1"
  done < <(lvm_query lvs -o lv_name,lv_uuid "$2")
  sed -i -e "s/creation_time = [0-9]*/creation_time = $FIXTURE_EPOCH/" "$1"
}

read_vg_geometry() {  # VG PV_OFFSET
  local pe_start ext name le n ranges pe
  pe_start=$(lvm_query pvs -o pe_start "$LVM_DEV" | tr -d ' ')
  ext=$(lvm_query vgs -o vg_extent_size "$1" | tr -d ' ')
  [[ $pe_start =~ ^[0-9]+$ && $ext =~ ^[0-9]+$ ]] || die "cannot read geometry of VG $1"
  while read -r name le n ranges; do
    pe=${ranges##*:}
    pe=${pe%%-*}
    LV_SEGS[$1/$name]+="$((le * ext)):$(($2 + pe_start + pe * ext)):$((n * ext)) "
  done < <(lvm_query lvs --segments -o lv_name,seg_start_pe,seg_size_pe,seg_pe_ranges "$1")
}

# make_vg VG PV_UUID VG_UUID ROLE CREATE_FN: build the VG on a scratch PV,
# fix its UUIDs, then write only that final metadata onto the real PV.
make_vg() {
  local vg=$1 off len scratch=$WORK/$1.pv meta=$WORK/$1.vg
  off=$(part_off "$4")
  len=$(part_len "$4")
  truncate -s "$len" -- "$scratch"
  loop_attach "$scratch"
  LVM_DEV=$LOOP_DEV
  lvm_cmd pvcreate -y --uuid "$2" --norestorefile "$LVM_DEV"
  lvm_cmd vgcreate -y -s 4m "$vg" "$LVM_DEV"
  "$5"
  lvm_cmd vgcfgbackup -f "$meta" "$vg"
  fix_vg_metadata "$meta" "$vg" "$3"
  loop_detach "$LVM_DEV"
  rm -f -- "$scratch"

  loop_attach "$TMP_OUT" "$off" "$len"
  LVM_DEV=$LOOP_DEV
  # From WORK, so that the metadata's description names no temporary path.
  (cd "$WORK" && lvm_cmd pvcreate -y --uuid "$2" --restorefile "$vg.vg" "$LVM_DEV")
  (cd "$WORK" && lvm_cmd vgcfgrestore -f "$vg.vg" "$vg")
  read_vg_geometry "$vg" "$off"
  loop_detach "$LVM_DEV"
}

# copy_lv FILE VG/LV: the file's bytes onto the LV's segments.
copy_lv() {
  local seg s d l total=0 segs=()
  [[ -n ${LV_SEGS[$2]:-} ]] || die "no segments known for LV $2"
  read -r -a segs <<<"${LV_SEGS[$2]}"
  for seg in "${segs[@]}"; do
    IFS=: read -r s d l <<<"$seg"
    copy_region "$1" "$s" "$TMP_OUT" "$d" "$l"
    total=$((total + l))
  done
  [[ $total -eq $(apparent_bytes "$1") ]] || die "LV $2 is $total bytes, its content $(apparent_bytes "$1")"
}
