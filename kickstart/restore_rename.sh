# kvm-rescue restore: --rename OLD NEW, a rescued domain under a new name.
#
# Part of the restore script (kickstart/restore.cpp embeds this file's text
# after restore_live.sh). A live KVM host refuses a rescued domain whose
# name or UUID it has (live_check_domains); `--rename OLD NEW` (two words,
# repeatable) defines the rescued domain OLD as NEW instead. Two separate
# words because a domain name may hold any character but a newline ('=',
# spaces, quotes, `$()`, Japanese): no split of one word can be
# unambiguous. Before anything is defined, live_renames checks every pair:
# OLD must be a rescued domain, named once; NEW must not be empty, hold a
# '/' or a control character (a newline), be longer than 200 bytes, be
# a rescued domain's name (renamed or not: no swaps or chains), another
# --rename's NEW, or a domain this
# host has (unless an earlier run of this script defined it as NEW: the
# script can run again). One that cannot be done stops the run (exit 2,
# nothing defined), each reason said. Then the domain is defined from a
# renamed copy of its XML (under $xml_dir; the payload is not changed):
# - its <name> is NEW;
# - its <uuid> is kept, unless this host has a domain with that UUID:
#   then a new one (from the kernel), which its snapshots' XML gets too, so
#   libvirt redefines them against it (an earlier run's NEW keeps the UUID
#   that run gave it);
# - its UEFI variable store goes to $nvram_dir/NEW_VARS.fd, which the XML
#   then names, so no file of this host is overwritten (a file of that name
#   refuses the rename, unless this host's NEW is an earlier run's);
# - its snapshots are redefined under NEW.
# The log, the report and the dry run say each rename, the UUID and the
# store. Values from the old disk and the user are only compared, printed
# (printf %s) and written into the copy after XML and sed escaping; each
# copy is read back (xmllint) before it is used.
# The caller sets: ren_old, ren_new (the pairs, in order), dry, xml_dir,
# nvram_dir, the arrays dom_name, dom_xml, snap_dom, snap_xml, and
# live_init's lvh_* rows; ad_x, ad_n, ad_sed_value, lv_* come from
# restore_adapt.sh and restore_live.sh.

dom_was=()                   # per rescued domain: its old name when renamed, else ""
ren_nv_from=() ren_nv_to=()  # UEFI variable stores moved by a rename
rn_dom=()                    # per --rename: the rescued domain's index
rn_to=                       # rn_store's answer

# rn_store PATH: sets rn_to to where the variable store PATH is installed.
rn_store() {
  local k
  rn_to=$1
  for ((k = 0; k < ${#ren_nv_from[@]}; k++)); do
    [ "${ren_nv_from[$k]}" != "$1" ] || rn_to=${ren_nv_to[$k]}
  done
}

# rn_host_domain NAME: the index of this host's domain NAME, or fails.
rn_host_domain() {
  local j
  for ((j = 0; j < ${#lvh_kind[@]}; j++)); do
    [ "${lvh_kind[$j]}" = domain ] && [ "${lvh_name[$j]}" = "$1" ] && { echo "$j"; return 0; }
  done
  return 1
}

# rn_rescued NAME: the index of the rescued domain NAME, or fails.
rn_rescued() {
  local i
  for ((i = 0; i < ${#dom_name[@]}; i++)); do
    [ "${dom_name[$i]}" = "$1" ] && { echo "$i"; return 0; }
  done
  return 1
}

# rn_is_new NAME BEFORE: true when NAME is the NEW of a --rename before
# index BEFORE.
rn_is_new() {
  local k
  for ((k = 0; k < $2; k++)); do [ "${ren_new[$k]}" != "$1" ] || return 0; done
  return 1
}

# rn_why K: why the K-th --rename cannot be done ("" when it can).
rn_why() {
  local old=${ren_old[$1]} new=${ren_new[$1]} i j nv all=''
  if ! i=$(rn_rescued "$old"); then
    for ((j = 0; j < ${#dom_name[@]}; j++)); do all+=", ${dom_name[$j]}"; done
    printf 'no rescued domain %s (the rescued domains: %s)' "$old" "${all:2}"
    return 0
  fi
  j=$1
  while ((j-- > 0)); do
    [ "${ren_old[$j]}" != "$old" ] || { printf '%s is renamed twice' "$old"; return 0; }
  done
  if [ -z "$new" ]; then
    echo "the new name is empty"
  elif [[ $new == */* ]]; then
    echo "the new name holds a '/', which no domain name may (libvirt names files after it)"
  elif [[ $new =~ [[:cntrl:]] ]]; then
    echo "the new name holds a newline or another control character"
  elif [ "$(LC_ALL=C; echo "${#new}")" -gt 200 ]; then
    echo "the new name is longer than 200 bytes"
  elif [ "$new" = "$old" ]; then
    echo "the new name is the old one"
  elif rn_is_new "$new" "$1"; then
    printf 'another --rename gives the name %s too' "$new"
  elif rn_rescued "$new" >/dev/null; then
    printf 'another rescued domain is named %s' "$new"
  elif j=$(rn_host_domain "$new") && ! lv_owned domain "${lvh_uuid[$j]}"; then
    printf 'this host already has a domain %s (UUID %s): choose another name' "$new" "${lvh_uuid[$j]}"
  else
    nv=$(lv_dom_nvram "$i")
    if [ -z "$nv" ] && [ "$(ad_n "${dom_xml[$i]}" /domain/os/nvram/source)" != 0 ]; then
      echo "its UEFI variable store is not named as this script can move it (<nvram>PATH</nvram>)"
    elif [ -n "$nv" ] && [ -e "$nvram_dir/${new}_VARS.fd" ] && ! rn_host_domain "$new" >/dev/null; then
      printf 'this host already has a file %s, the name its UEFI variable store would get: choose another name' "$nvram_dir/${new}_VARS.fd"
    fi
  fi
}

# rn_xml_text VALUE: VALUE escaped for XML character data, then for the
# replacement side of s|..|..|.
rn_xml_text() { ad_sed_value "$(printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g')"; }

# rn_edit SRC DST BASE NAME UUID NVRAM: writes DST, a copy of SRC whose
# domain (BASE: /domain, or /domainsnapshot/domain) is named NAME, has the
# UUID UUID (unchanged when it is SRC's) and, when NVRAM is not empty, the
# variable store NVRAM. The element is matched by its shape (one per line,
# as libvirt writes it: the first <name> and <uuid> after the <domain> line);
# true when DST, read back, says so and has every element of SRC.
rn_edit() {
  local d='^[[:space:]]*<domain[[:space:]>]' args=()
  args+=(-e "/$d/,/^[[:space:]]*<name>/s|^\\([[:space:]]*<name>\\).*\\(</name>[[:space:]]*\\)\$|\\1$(rn_xml_text "$4")\\2|")
  [ "$(lv_lc "$(ad_x "$1" "$3/uuid")")" = "$5" ] ||
    args+=(-e "/$d/,/^[[:space:]]*<uuid>/s|^\\([[:space:]]*<uuid>\\).*\\(</uuid>[[:space:]]*\\)\$|\\1$5\\2|")
  [ -z "$6" ] ||
    args+=(-e "/$d/,/<\\/domain>/s|^\\([[:space:]]*<nvram\\([[:space:]][^>]*\\)\\{0,1\\}>\\)[^<]*\\(</nvram>\\)|\\1$(rn_xml_text "$6")\\3|")
  sed "${args[@]}" "$1" >"$2" 2>/dev/null && xmllint --noout "$2" 2>/dev/null || return 1
  [ "$(ad_n "$2" '//*')" = "$(ad_n "$1" '//*')" ] && [ "$(ad_x "$2" "$3/name")" = "$4" ] &&
    [ "$(lv_lc "$(ad_x "$2" "$3/uuid")")" = "$5" ] || return 1
  [ -z "$6" ] || [ "$(ad_x "$2" "normalize-space($3/os/nvram)")" = "$6" ]
}

# rn_copy SRC NEW: the path of the renamed copy of SRC for NEW.
rn_copy() {
  local dir=$xml_dir
  [ "$dry" != 1 ] || dir=$lv_dir
  mkdir -p "$dir/renamed" || return 1
  printf '%s/renamed/%s.xml' "$dir" "$(printf '%s\n%s' "$1" "$2" | md5sum | cut -c1-16)"
}

# rn_uuid I NEW: sets rn_uuid_to (the UUID the renamed domain gets) and
# rn_uuid_why (why it is not the rescued one's; "" when kept).
rn_uuid() {
  local uuid j
  uuid=$(lv_dom_uuid "$1")
  rn_uuid_to=$uuid rn_uuid_why=
  if j=$(rn_host_domain "$2"); then
    rn_uuid_to=${lvh_uuid[$j]}
    [ "$rn_uuid_to" = "$uuid" ] ||
      rn_uuid_why="an earlier run of this script defined $2 with the UUID $rn_uuid_to"
    return 0
  fi
  [ -n "$uuid" ] || return 0
  for ((j = 0; j < ${#lvh_kind[@]}; j++)); do
    [ "${lvh_kind[$j]}" = domain ] && [ "${lvh_uuid[$j]}" = "$uuid" ] || continue
    rn_uuid_to=$(lv_lc "$(tr -d '[:space:]' </proc/sys/kernel/random/uuid)")
    rn_uuid_why="its UUID $uuid is this host's domain ${lvh_name[$j]}'s"
    return 0
  done
}

# rn_snapshots I OLD NEW NVRAM: the rescued domain's snapshots under NEW,
# from renamed copies (their domain's name, UUID and store); fails, with
# the reason in rn_fail, when one cannot be copied.
rn_snapshots() {
  local s b=/domainsnapshot/domain dst nv
  for ((s = 0; s < ${#snap_xml[@]}; s++)); do
    [ "${snap_dom[$s]}" = "$2" ] || continue
    if [ "$(ad_n "${snap_xml[$s]}" "$b")" = 1 ]; then
      nv=$(ad_x "${snap_xml[$s]}" "normalize-space($b/os/nvram)")
      [ -z "$nv" ] || nv=$4
      if ! dst=$(rn_copy "${snap_xml[$s]}" "$3") ||
        ! rn_edit "${snap_xml[$s]}" "$dst" "$b" "$3" "$rn_uuid_to" "$nv"; then
        rn_fail="its snapshot ${snap_name[$s]} (${snap_xml[$s]}) is not laid out as libvirt writes it (one element per line): it cannot be renamed"
        return 1
      fi
      snap_xml[$s]=$dst
    fi
    snap_dom[$s]=$3
  done
}

# rn_apply K: points the K-th --rename's domain at its renamed copy.
rn_apply() {
  local i=${rn_dom[$1]} old=${ren_old[$1]} new=${ren_new[$1]} nv='' to='' dst note n k
  rn_uuid "$i" "$new"
  nv=$(lv_dom_nvram "$i")
  [ -z "$nv" ] || to=$nvram_dir/${new}_VARS.fd
  rn_fail="its XML ${dom_xml[$i]} is not laid out as libvirt writes it (one element per line)"
  if ! dst=$(rn_copy "${dom_xml[$i]}" "$new") ||
    ! rn_edit "${dom_xml[$i]}" "$dst" /domain "$new" "$rn_uuid_to" "$to" ||
    ! rn_snapshots "$i" "$old" "$new" "$to"; then
    lv_refuse "--rename $old $new: $rn_fail"
    return 1
  fi
  n=0
  for ((k = 0; k < ${#snap_dom[@]}; k++)); do [ "${snap_dom[$k]}" != "$new" ] || n=$((n + 1)); done
  if [ -n "$rn_uuid_why" ]; then
    note="; $rn_uuid_why: it gets the UUID $rn_uuid_to"
    [ "$n" = 0 ] || note+=" (so do its $n snapshots' XML)"
  else
    note="; its UUID ${rn_uuid_to:-(none)} kept"
  fi
  [ -z "$to" ] || note+="; its UEFI variable store $nv becomes $to"
  if rn_host_domain "$new" >/dev/null; then
    note="$new is the domain an earlier run of this script defined (defined again)$note"
  else
    note="$new is free on this host$note"
  fi
  lv_tell "rename: domain $old is defined as $new: $note"
  [ -z "$to" ] || ren_nv_from+=("$nv") ren_nv_to+=("$to")
  dom_was[$i]=$old dom_name[$i]=$new dom_xml[$i]=$dst
}

# live_renames: checks every --rename, then (when each can be done)
# applies them; fails, each reason said, when one cannot be done.
live_renames() {
  local k i bad=0 why
  for ((i = 0; i < ${#dom_xml[@]}; i++)); do dom_was[$i]=; done
  [ "${#ren_old[@]}" -gt 0 ] || return 0
  echo "== renamed domains (--rename)"
  for ((k = 0; k < ${#ren_old[@]}; k++)); do
    why=$(rn_why "$k")
    [ -n "$why" ] || continue
    lv_refuse "--rename ${ren_old[$k]} ${ren_new[$k]}: $why"
    bad=1
  done
  [ "$bad" = 0 ] || return 1
  for ((k = 0; k < ${#ren_old[@]}; k++)); do
    rn_dom[$k]=$(rn_rescued "${ren_old[$k]}")
  done
  for ((k = 0; k < ${#ren_old[@]}; k++)); do
    rn_apply "$k" || bad=1
  done
  [ "$bad" = 0 ]
}
