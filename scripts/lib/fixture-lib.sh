# shellcheck shell=bash
# scripts/lib/fixture-lib.sh: helpers for scripts/make-fixture. Messages,
# a work directory with a cleanup trap that undoes every mount and loop
# device the script made (and only those), and small byte/file writers.
# Sourced, never run; the caller has set -euo pipefail.

PROG=${PROG:-make-fixture}
WORK=''          # temporary directory (mktemp -d), removed on exit
TMP_OUT=''       # output under construction, removed unless finished
KEEP_TMP=0       # --keep-tmp: leave WORK in place for debugging
LOG=/dev/null    # tool output goes here; shown when a tool fails
LOOPS=()         # loop devices this run attached and has not detached
MOUNTS=()        # mount points this run mounted and has not unmounted

msg() { printf '%s: %s\n' "$PROG" "$*" >&2; }

die() {
  msg "error: $*"
  exit 1
}

# The ERR trap names the failing command; subshells leave it to the parent.
on_err() {
  local rc=$1 line=$2 cmd=$3
  if [[ $BASH_SUBSHELL -eq 0 ]]; then
    msg "error: line $line: '$cmd' failed (exit $rc)"
  fi
}

need_root() {
  [[ $(id -u) -eq 0 ]] || die "must run as root (loop devices, mount, LVM)"
}

need_cmds() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || die "required command not found: $c"
  done
}

# run CMD...: run a tool with its chatter sent to LOG; on failure show it.
run() {
  local rc=0
  "$@" >>"$LOG" 2>&1 || rc=$?
  if [[ $rc -ne 0 ]]; then
    msg "error: '$*' failed (exit $rc); its output:"
    tail -n 25 "$LOG" | sed 's/^/  /' >&2
    exit 1
  fi
}

# Testing hook: MAKE_FIXTURE_FAIL_AFTER=STEP makes the run fail there, so
# that tests can check that a failed run leaves nothing behind.
failpoint() {
  if [[ ${MAKE_FIXTURE_FAIL_AFTER:-} == "$1" ]]; then
    die "failing after step '$1' as MAKE_FIXTURE_FAIL_AFTER asks"
  fi
}

# --- work directory and cleanup ------------------------------------------

# Set first thing: a signal at any point ends the run through cleanup.
install_traps() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
}

work_init() {  # OUT: sets WORK, TMP_OUT and LOG
  local base=${TMPDIR:-/tmp}
  [[ $base =~ ^[[:graph:]]+$ ]] || base=/tmp
  TMP_OUT="$1.tmp.$$"
  WORK=$(mktemp -d "$base/make-fixture.XXXXXX")
  WORK=$(cd "$WORK" && pwd -P)
  LOG=$WORK/log
  : >"$LOG"
}

umount_all() {
  local i mp
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}" 2>/dev/null || true
  done
  MOUNTS=()
  # Anything mounted under WORK is ours, recorded or not (deepest first).
  [[ -n $WORK ]] || return 0
  while read -r mp; do
    umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || true
  done < <(awk -v w="$WORK/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r)
}

detach_all() {
  local dev f
  for dev in "${LOOPS[@]}"; do
    losetup -d "$dev" 2>/dev/null || true
  done
  LOOPS=()
  # Any loop device whose backing file is one of ours, recorded or not.
  for f in "$TMP_OUT" "$WORK"/*; do
    [[ -n $f && -f $f ]] || continue
    while read -r dev; do
      if [[ -n $dev ]]; then losetup -d "$dev" 2>/dev/null || true; fi
    done < <(losetup -n -O NAME -j "$f" 2>/dev/null)
  done
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM HUP ERR
  umount_all
  detach_all
  if [[ $rc -ne 0 && -n $TMP_OUT ]]; then
    rm -f -- "$TMP_OUT"
  fi
  if [[ -n $WORK && -d $WORK ]]; then
    if [[ $KEEP_TMP -eq 1 ]]; then
      msg "kept work directory $WORK"
    else
      rm -rf -- "$WORK"
    fi
  fi
  exit "$rc"
}

# --- loop devices and mounts ---------------------------------------------

LOOP_DEV=''
loop_attach() {  # FILE [OFFSET SIZE]: sets LOOP_DEV
  local args=()
  if [[ $# -ge 3 ]]; then args=(--offset "$2" --sizelimit "$3"); fi
  LOOP_DEV=$(losetup --find --show "${args[@]}" "$1")
  LOOPS+=("$LOOP_DEV")
}

loop_detach() {  # DEV
  local keep=() d
  run losetup -d "$1"
  for d in "${LOOPS[@]}"; do
    [[ $d == "$1" ]] || keep+=("$d")
  done
  LOOPS=("${keep[@]}")
}

# mount_file FILE DIR TYPE: mount a filesystem image file through a loop.
# nouuid lets XFS mount while a filesystem with the same UUID is mounted.
declare -A MOUNT_LOOP=()
mount_file() {
  local opts=rw
  if [[ $3 == xfs ]]; then opts=rw,nouuid; fi
  loop_attach "$1"
  mkdir -p "$2"
  run mount -t "$3" -o "$opts" "$LOOP_DEV" "$2"
  MOUNTS+=("$2")
  MOUNT_LOOP[$2]=$LOOP_DEV
}

umount_dir() {  # DIR
  local keep=() m
  run umount "$1"
  for m in "${MOUNTS[@]}"; do
    [[ $m == "$1" ]] || keep+=("$m")
  done
  MOUNTS=("${keep[@]}")
  loop_detach "${MOUNT_LOOP[$1]}"
  unset 'MOUNT_LOOP[$1]'
}

# dirty_xfs_log DIR FILE...: leave the XFS mounted at DIR as a power cut
# would, with changes that exist only in its log. What is there so far is
# written back in place first (freeze, thaw); then the FILEs (relative to
# DIR) are created, their creation forced into the log (fsync of the last)
# and the filesystem shut down, so the log is never written back. The
# caller still unmounts DIR. Afterwards `xfs_repair -n` reports "valuable
# metadata changes in a log", and a mount with norecovery shows DIR
# without the FILEs.
dirty_xfs_log() {
  local dir=$1 f
  shift
  run xfs_io -x -c freeze -c thaw "$dir"
  for f in "$@"; do
    printf 'written just before the power cut\n' >"$dir/$f"
  done
  run xfs_io -c fsync "$dir/${*: -1}"
  run xfs_io -x -c shutdown "$dir"
}

# --- bytes and files -----------------------------------------------------

# put PATH MODE: write stdin to PATH (parents made 0755), then chmod MODE.
put() {
  mkdir -p -- "$(dirname -- "$1")"
  cat >"$1"
  chmod "$2" -- "$1"
}

# put_link TARGET PATH: a symlink, parents made.
put_link() {
  mkdir -p -- "$(dirname -- "$2")"
  ln -sfn -- "$1" "$2"
}

# write_pattern FILE HEXBYTE OFFSET LENGTH: LENGTH bytes of one value.
write_pattern() {
  local oct
  oct=$(printf '%03o' "0x$2")
  head -c "$4" /dev/zero | tr '\0' "\\$oct" |
    dd of="$1" bs=1M oflag=seek_bytes seek="$3" conv=notrunc status=none
}

# le_bytes VALUE N: VALUE as N little-endian bytes on stdout.
le_bytes() {
  local i fmt=''
  for ((i = 0; i < $2; i++)); do
    fmt+=$(printf '\\%03o' $((($1 >> (8 * i)) & 255)))
  done
  # shellcheck disable=SC2059 # fmt holds only octal escapes
  printf "$fmt"
}

# write_at FILE OFFSET: stdin written into FILE at byte OFFSET, in place.
write_at() {
  dd of="$1" bs=64K oflag=seek_bytes seek="$2" conv=notrunc status=none
}

# copy_region SRC SRC_OFF DST DST_OFF LENGTH: copy bytes, keeping holes.
copy_region() {
  run dd if="$1" of="$3" bs=1M iflag=skip_bytes,count_bytes \
    oflag=seek_bytes skip="$2" seek="$4" count="$5" conv=notrunc,sparse
}

# xml_escape STRING: for both element text and attribute values.
xml_escape() {
  local s=$1
  s=${s//'&'/'&amp;'}
  s=${s//'<'/'&lt;'}
  s=${s//'>'/'&gt;'}
  s=${s//'"'/'&quot;'}
  s=${s//"'"/'&apos;'}
  printf '%s' "$s"
}

# Allocated and apparent size of a file, in bytes.
alloc_bytes() { echo $(($(stat -c '%b * %B' -- "$1"))); }
apparent_bytes() { stat -c %s -- "$1"; }

# be_bytes VALUE N: VALUE as N big-endian bytes on stdout.
be_bytes() {
  local i fmt=''
  for ((i = $2 - 1; i >= 0; i--)); do
    fmt+=$(printf '\\%03o' $((($1 >> (8 * i)) & 255)))
  done
  # shellcheck disable=SC2059 # fmt holds only octal escapes
  printf "$fmt"
}
