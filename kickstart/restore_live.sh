# kvm-rescue restore: never redefine what the host already has.
#
# Part of the restore script (kickstart/restore.cpp embeds this file's text
# after restore_adapt.sh). The script also runs on a live KVM host that has
# its own domains, networks, pools and secrets (issue 22). Before anything
# is defined it reads what the host has (virsh list/net-list/pool-list
# --uuid and the XML of each, secret-list) and then:
# - a domain whose name or UUID the host has is refused: not defined, nor
#   its snapshots, nor its UEFI variable store; the others go on;
# - a network or pool of the same name is reused when it is the same (a
#   network: the same bridge; a pool: the same target path), else refused,
#   as is one whose UUID, bridge or path another of the host's has; the
#   domains that use a refused one are still defined, and named;
# - a secret whose UUID the host has is compared (secret-get-value), never
#   replaced; another value is reported loudly (and counts as refused);
# - a MAC address that a host domain already uses is a warning.
# An object the host has because an earlier run of this script defined it
# (its UUID in $owned) is defined again as before: the script can run
# again. With --start the autostart VMs are started, none unless the sum
# of their memory fits MemAvailable; the report ends with each rescued
# VM's state on the host (virsh domstate) and each refusal.
#
# Safety: values read from any XML (the payload's or the host's) are only
# compared and printed (printf %s), never evaluated and never put into an
# XPath expression (elements are counted and taken by index). Runs under
# bash 4.2 with `set -u`: arrays that may be empty are counted and indexed.
# Tools: virsh (through v()), xmllint (ad_x/ad_n), grep, coreutils.
# The caller sets: v, run, dry, root, owned (the file listing what this
# script defined), start (0/1), refusals (0), the arrays dom_name, dom_xml
# and dom_auto; fd 9 is the caller's stderr in a real run.

lv_dir=  # the host's objects' XML
# The host's objects, one row each: kind (domain, network, pool), name,
# UUID, and the key compared: a domain's MAC addresses (" m1 m2 "), a
# network's bridge, a pool's target path.
lvh_kind=() lvh_name=() lvh_uuid=() lvh_key=()
lvh_secrets=' ' # the host's secret UUIDs
lvp_listed=0    # 1 when this virsh lists pools by UUID (else looked up by name)
dom_ref=()      # per rescued domain: why it was refused, "" when defined
lv_bad_net=() lv_bad_net_why=() lv_bad_pool=() lv_bad_pool_why=()
lv_skip_nvram=() # the UEFI variable stores of refused domains

lv_lc() { printf '%s' "${1,,}"; }
lv_uuid_ok() { [[ $1 =~ ^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$ ]]; }

# lv_tell TEXT: into the log (or the dry run's output), the report, and
# in a real run also the caller's stderr.
lv_tell() {
  ad_say "$1"
  [ "$dry" = 1 ] || printf '%s\n' "$1" >&9 2>/dev/null || true
}
lv_refuse() { refusals=$((refusals + 1)); lv_tell "REFUSED: $1"; }
# lv_line TEXT: a line of the log (or the dry run's output) and the report.
lv_line() {
  printf '%s\n' "$1"
  [ "$dry" = 1 ] || ad_report_add "$1"
}

# lv_owned KIND UUID: true when an earlier run of this script defined it.
lv_owned() { [ -n "$2" ] && [ -r "$owned" ] && grep -qxF -- "$1 $(lv_lc "$2")" "$owned"; }
# lv_own KIND UUID: notes that this run defined it.
lv_own() {
  [ "$dry" != 1 ] && lv_uuid_ok "$2" && ! lv_owned "$1" "$2" || return 0
  mkdir -p "$(dirname -- "$owned")" && printf '%s %s\n' "$1" "$(lv_lc "$2")" >>"$owned"
}

# lv_macs FILE: the MAC addresses of FILE's domain interfaces, " a b ".
lv_macs() {
  local k n m out=' '
  n=$(ad_n "$1" /domain/devices/interface/mac/@address)
  for ((k = 1; k <= n; k++)); do
    m=$(ad_x "$1" "(/domain/devices/interface/mac/@address)[$k]")
    [[ $m =~ ^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$ ]] && out+="$(lv_lc "$m") "
  done
  printf '%s' "$out"
}
# lv_net_key FILE: what makes a network the same: its bridge.
lv_net_key() {
  local b
  b=$(ad_x "$1" /network/bridge/@name)
  [ -z "$b" ] || { printf 'bridge %s' "$b"; return 0; }
  printf 'no bridge (forward mode %s)' "$(ad_x "$1" /network/forward/@mode)"
}
# lv_pool_key FILE: what makes a pool the same: its target path.
lv_pool_key() {
  local p
  p=$(ad_x "$1" 'normalize-space(/pool/target/path)')
  while [ "${#p}" -gt 1 ] && [ "${p%/}" != "$p" ]; do p=${p%/}; done
  [ -z "$p" ] || { printf 'target path %s' "$p"; return 0; }
  printf 'no target path (type %s, source %s)' "$(ad_x "$1" /pool/@type)" "$(ad_x "$1" /pool/source/name)"
}

# lv_add KIND FILE: one row for the host's object in FILE.
lv_add() {
  local name uuid key i=${#lvh_kind[@]}
  name=$(ad_x "$2" "/$1/name")
  [ -n "$name" ] || return 0
  uuid=$(lv_lc "$(ad_x "$2" "/$1/uuid")")
  case $1 in
    domain) key=$(lv_macs "$2") ;;
    network) key=$(lv_net_key "$2") ;;
    *) key=$(lv_pool_key "$2") ;;
  esac
  lvh_kind[$i]=$1 lvh_name[$i]=$name lvh_uuid[$i]=$uuid lvh_key[$i]=$key
}

# lv_read KIND LIST-VERB DUMP-VERB DUMP-OPTION: every object of KIND.
lv_read() {
  local k u uuids=()
  mapfile -t uuids < <(v "$2" --all --uuid 2>/dev/null </dev/null)
  for ((k = 0; k < ${#uuids[@]}; k++)); do
    u=${uuids[$k]//[[:space:]]/}
    lv_uuid_ok "$u" || continue
    v "$3" "$4" "$u" >"$lv_dir/$1-$k.xml" 2>/dev/null </dev/null && lv_add "$1" "$lv_dir/$1-$k.xml"
  done
}

# live_init: reads what this host already has.
live_init() {
  if [ -n "${ad_dir:-}" ] && [ -d "$ad_dir" ]; then
    lv_dir=$ad_dir/live
  else
    lv_dir=$(mktemp -d "${TMPDIR:-/tmp}/kvmr-live.XXXXXX") || return 1
    trap 'rm -rf "$lv_dir"' EXIT
  fi
  mkdir -p "$lv_dir" || return 1
  lv_read domain list dumpxml --domain
  lv_read network net-list net-dumpxml --network
  if v help pool-list 2>/dev/null </dev/null | grep -q -- '--uuid'; then
    lvp_listed=1 # EL7's virsh 4.5 may not list pools by UUID: then by name
    lv_read pool pool-list pool-dumpxml --pool
  fi
  lvh_secrets=" $(v secret-list 2>/dev/null </dev/null |
    grep -oE '^[[:space:]]*[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}' | tr -d '[:blank:]' | tr 'A-F\n' 'a-f ')"
}

# lv_pool_lookup NAME UUID: where pools are not listed by UUID, the host's
# pool of that name and the one of that UUID.
lv_pool_lookup() {
  local w f
  [ "$lvp_listed" = 1 ] && return 0
  for w in "$1" "$2"; do
    [ -n "$w" ] || continue
    f=$lv_dir/pool-lookup-${#lvh_kind[@]}.xml
    v pool-dumpxml --pool "$w" >"$f" 2>/dev/null </dev/null && lv_add pool "$f"
  done
}

# lv_clash KIND NAME UUID KEY: sets lv_verdict (define, reuse, refuse)
# and lv_why for the rescued object against the host's of KIND (a
# network or pool is the same when KEY is; a domain has no KEY).
lv_clash() {
  local i byname='' byuuid='' bykey=''
  for ((i = 0; i < ${#lvh_kind[@]}; i++)); do
    [ "${lvh_kind[$i]}" = "$1" ] || continue
    [ "${lvh_name[$i]}" != "$2" ] || byname=$i
    [ -z "$3" ] || [ "${lvh_uuid[$i]}" != "$3" ] || byuuid=$i
    [ -z "$4" ] || [ "$1" = domain ] || [ "${lvh_key[$i]}" != "$4" ] || [ "${lvh_name[$i]}" = "$2" ] || bykey=$i
  done
  lv_verdict=define lv_why=
  if [ -n "$byname" ] && [ "$byuuid" = "$byname" ] && lv_owned "$1" "$3"; then
    return 0 # defined by an earlier run of this script: again, as before
  fi
  lv_verdict=refuse
  if [ -n "$byname" ]; then
    if [ "$1" != domain ] && [ "${lvh_key[$byname]}" = "$4" ] && { [ -z "$byuuid" ] || [ "$byuuid" = "$byname" ]; }; then
      lv_verdict=reuse lv_why="this host already has a $1 of that name with the same $4"
      return 0
    fi
    if [ "$1" = domain ]; then
      lv_why="this host already has a domain of that name (UUID ${lvh_uuid[$byname]})"
      [ "$byuuid" != "$byname" ] || lv_why+=", with the same UUID: the same VM, which this restore did not define here"
    else
      lv_why="this host already has a $1 of that name, with ${lvh_key[$byname]}; the rescued one has $4"
    fi
    [ -z "$byuuid" ] || [ "$byuuid" = "$byname" ] || lv_why+="; and its UUID $3 is this host's $1 ${lvh_name[$byuuid]}"
  elif [ -n "$byuuid" ]; then
    lv_why="this host's $1 ${lvh_name[$byuuid]} already has its UUID $3"
  elif [ -n "$bykey" ]; then
    lv_why="this host's $1 ${lvh_name[$bykey]} already has its $4"
  else
    lv_verdict=define
  fi
}

# restore_secret UUID XML VALUE-FILE: defines the secret and sets its
# value, unless this host has that UUID: then the values are compared.
restore_secret() {
  local uuid=$1
  if ! lv_uuid_ok "$uuid" || [ "${lvh_secrets/ $(lv_lc "$uuid") /}" = "$lvh_secrets" ] ||
    lv_owned secret "$uuid"; then
    run v secret-define "$2" && lv_own secret "$uuid"
    [ -z "$3" ] || set_secret "$uuid" "$3"
    return 0
  fi
  lv_secret_compare "$uuid" "$3"
}

# lv_secret_compare UUID VALUE-FILE: the host's value against the old
# host's, neither shown; the host's is kept whatever they are.
lv_secret_compare() {
  local have want
  if [ -z "$2" ]; then
    lv_tell "secret $1: this host already has it (the old host's had no value to compare): kept, not redefined"
    return 0
  fi
  if [ ! -r "$2" ]; then
    echo "FAILED: the value of secret $1 is not readable at $2"
    failures=$((failures + 1))
    return 1
  fi
  want=$(tr -d '[:space:]' <"$2")
  have=$(v secret-get-value --secret "$1" 2>/dev/null </dev/null | tr -d '[:space:]')
  if [ -z "$have" ]; then
    lv_tell "WARNING: secret $1: this host already has it, and its value cannot be read back (a private secret, or none set): not compared, kept as it is, not replaced; if the rescued VMs cannot open their storage, compare it with $2 by hand"
  elif [ "$have" = "$want" ]; then
    lv_tell "secret $1: reused: this host already has it, with the same value"
  else
    lv_refuse "secret $1: THIS HOST ALREADY HAS IT WITH ANOTHER VALUE: kept this host's, not replaced; the rescued VMs that use it (encrypted or network disks) get this host's value and may not open their storage; the old host's value is in $2"
  fi
}

# restore_pool NAME XML AUTOSTART: defines and starts the pool (and sets
# its autostart), or reuses or refuses the host's of the same name.
restore_pool() {
  local name uuid key
  name=$(ad_x "$2" /pool/name)
  name=${name:-$1}
  uuid=$(lv_lc "$(ad_x "$2" /pool/uuid)")
  key=$(lv_pool_key "$2")
  [ -s "$2" ] || key=
  lv_pool_lookup "$name" "$uuid"
  lv_clash pool "$name" "$uuid" "$key"
  case $lv_verdict in
    reuse)
      lv_tell "storage pool $name: reused: $lv_why; not redefined"
      return 0 ;;
    refuse)
      lv_refuse "storage pool $name: $lv_why: not defined (the rescued domains are defined; those that name it are listed)"
      lv_bad_pool+=("$name") lv_bad_pool_why+=("$lv_why")
      return 0 ;;
  esac
  run v pool-define "$2" && lv_own pool "$uuid"
  is_active pool "$1" || run v pool-start "$1"
  [ "$3" != 1 ] || run v pool-autostart "$1"
}

# restore_net NAME XML AUTOSTART: defines the network (autostarted and
# started when it was), or reuses or refuses the host's of the same name.
restore_net() {
  local name uuid key
  name=$(ad_x "$2" /network/name)
  name=${name:-$1}
  uuid=$(lv_lc "$(ad_x "$2" /network/uuid)")
  key=$(lv_net_key "$2")
  [ -s "$2" ] || key=
  lv_clash network "$name" "$uuid" "$key"
  case $lv_verdict in
    reuse)
      is_active net "$name" || lv_why+=" (not active here: virsh net-start it before the VMs that use it)"
      lv_tell "network $name: reused: $lv_why; not redefined"
      return 0 ;;
    refuse)
      lv_refuse "network $name: $lv_why: not defined (the rescued domains are defined; those that use it are listed)"
      lv_bad_net+=("$name") lv_bad_net_why+=("$lv_why")
      return 0 ;;
  esac
  run v net-define "$2" && lv_own network "$uuid"
  [ "$3" = 1 ] || return 0
  run v net-autostart "$1"
  is_active net "$1" || run v net-start "$1"
}

# lv_dom_name I, lv_dom_uuid I, lv_dom_nvram I: the rescued domain's name,
# UUID and UEFI variable store ("" when none), from its XML.
lv_dom_name() {
  local n
  n=$(ad_x "${dom_xml[$1]}" /domain/name)
  printf '%s' "${n:-${dom_name[$1]}}"
}
lv_dom_uuid() { lv_lc "$(ad_x "${dom_xml[$1]}" /domain/uuid)"; }
lv_dom_nvram() { ad_x "${dom_xml[$1]}" 'normalize-space(/domain/os/nvram)'; }

# lv_store_taken I: true, with lv_why, when the rescued domain I's UEFI
# variable store names a file this host already has and no earlier run of
# this script defined the domain: another domain's store (virsh domrename
# keeps the old name's) or one left behind. Defined so, the VM would boot
# with that file and write into it.
lv_store_taken() {
  local nv
  nv=$(lv_dom_nvram "$1")
  [ -n "$nv" ] && [ -e "$nv" ] && ! lv_owned domain "$(lv_dom_uuid "$1")" || return 1
  lv_why="this host already has a file $nv, the UEFI variable store it names (another domain's, or left behind): defined, it would boot with that file and write into it"
}

# live_check_domains: before anything is defined, refuses each domain
# whose name or UUID this host has, or whose UEFI variable store is a file
# here (dom_ref), with its variable store.
live_check_domains() {
  local i name nv
  for ((i = 0; i < ${#dom_xml[@]}; i++)); do
    dom_ref[$i]=
    name=$(lv_dom_name "$i")
    lv_clash domain "$name" "$(lv_dom_uuid "$i")" ""
    [ "$lv_verdict" = refuse ] || lv_store_taken "$i" || continue
    dom_ref[$i]=$lv_why
    lv_refuse "domain $name: $lv_why: not defined, nor its snapshots; to restore it beside this host's, run this again with --rename, its name and a new one (two words; a new UUID is given where this host has its UUID), or remove this host's first"
    nv=$(lv_dom_nvram "$i")
    [ -z "$nv" ] || lv_skip_nvram+=("$nv")
  done
}

# lv_refused_domain NAME: true when the rescued domain NAME was refused.
lv_refused_domain() {
  local i
  for ((i = 0; i < ${#dom_xml[@]}; i++)); do
    [ "${dom_name[$i]}" = "$1" ] && [ -n "${dom_ref[$i]:-}" ] && return 0
  done
  return 1
}

# lv_nvram_refused PATH: true when PATH is a refused domain's store.
lv_nvram_refused() {
  local i
  for ((i = 0; i < ${#lv_skip_nvram[@]}; i++)); do
    [ "${lv_skip_nvram[$i]}" = "$1" ] && return 0
  done
  return 1
}

# live_domain_notes I: what the log and report must say about the
# defined domain I: a MAC address a host domain uses, a refused network or
# pool it names.
live_domain_notes() {
  local x=${dom_xml[$1]} name uuid macs m j k n what
  name=$(lv_dom_name "$1")
  uuid=$(lv_dom_uuid "$1")
  macs=$(lv_macs "$x")
  for m in $macs; do
    for ((j = 0; j < ${#lvh_kind[@]}; j++)); do
      [ "${lvh_kind[$j]}" = domain ] && [ "${lvh_uuid[$j]}" != "$uuid" ] || continue
      [ "${lvh_key[$j]/ $m /}" = "${lvh_key[$j]}" ] ||
        lv_tell "WARNING: domain $name: its MAC address $m is already used by this host's domain ${lvh_name[$j]}: two VMs with one MAC address on a network disturb each other; give one another address (virsh edit) before both run"
    done
  done
  n=$(ad_n "$x" "/domain/devices/interface[@type='network']/source/@network")
  for ((k = 1; k <= n; k++)); do
    what=$(ad_x "$x" "(/domain/devices/interface[@type='network']/source/@network)[$k]")
    for ((j = 0; j < ${#lv_bad_net[@]}; j++)); do
      [ "${lv_bad_net[$j]}" = "$what" ] &&
        lv_tell "WARNING: domain $name: it uses network $what, which was refused (${lv_bad_net_why[$j]}): it is defined, but its interface joins this host's network $what"
    done
  done
  n=$(ad_n "$x" '/domain/devices/disk/source/@pool')
  for ((k = 1; k <= n; k++)); do
    what=$(ad_x "$x" "(/domain/devices/disk/source/@pool)[$k]")
    for ((j = 0; j < ${#lv_bad_pool[@]}; j++)); do
      [ "${lv_bad_pool[$j]}" = "$what" ] &&
        lv_tell "WARNING: domain $name: a disk of it is in pool $what, which was refused (${lv_bad_pool_why[$j]}): it is defined, but that disk is looked for in this host's pool $what"
    done
  done
  return 0
}

# lv_state I: the rescued domain's state here (virsh domstate), or "".
lv_state() { v domstate "${dom_name[$1]}" 2>/dev/null </dev/null | head -n 1; }

# lv_mem_kib XML: the domain's memory in KiB (<currentMemory>, else
# <memory>, in its unit); fails when it cannot be read.
lv_mem_kib() {
  local val unit el=currentMemory p mult=1 base=1024 max=4611686018427387904
  val=$(ad_x "$1" "normalize-space(/domain/currentMemory)")
  [ -n "$val" ] || el=memory
  val=$(ad_x "$1" "normalize-space(/domain/$el)")
  unit=$(lv_lc "$(ad_x "$1" "/domain/$el/@unit")")
  unit=${unit:-kib}
  [[ $val =~ ^[0-9]{1,18}$ ]] || return 1
  val=$((10#$val))
  case $unit in
    b | bytes) echo $(((val + 1023) / 1024)); return 0 ;;
    k | kib | m | mib | g | gib | t | tib | p | pib | e | eib) ;;
    kb | mb | gb | tb | pb | eb) base=1000 ;;
    *) return 1 ;;
  esac
  case ${unit:0:1} in k) p=1 ;; m) p=2 ;; g) p=3 ;; t) p=4 ;; p) p=5 ;; *) p=6 ;; esac
  if [ "$base" = 1024 ]; then
    for ((; p > 1; p--)); do mult=$((mult * 1024)); done
    [ "$val" -le $((max / mult)) ] && echo $((val * mult)) || echo "$max"
  else
    for ((; p > 0; p--)); do mult=$((mult * 1000)); done
    [ "$val" -le $((max / mult)) ] && echo $(((val * mult + 1023) / 1024)) || echo "$max"
  fi
}

# lv_mem_available: MemAvailable of this host in KiB, or "".
lv_mem_available() {
  local k val rest
  while read -r k val rest; do
    [ "$k" = MemAvailable: ] && [[ $val =~ ^[0-9]{1,18}$ ]] && { echo "$val"; return 0; }
  done <"$root/proc/meminfo"
}

# live_start: the autostart VMs that are defined and not running: with
# --start, started when their memory together fits MemAvailable (else
# none, and the report says why); without, named.
live_start() {
  local i k kib total=0 avail list='' bad='' idx=()
  for ((i = 0; i < ${#dom_xml[@]}; i++)); do
    [ "${dom_auto[$i]}" = 1 ] && [ -z "${dom_ref[$i]:-}" ] || continue
    [ "$(lv_state "$i")" != running ] || continue
    idx+=("$i")
    if kib=$(lv_mem_kib "${dom_xml[$i]}"); then
      total=$((total + kib)) list+=", ${dom_name[$i]} ($((kib / 1024)) MiB)"
    else
      bad+=", ${dom_name[$i]}" list+=", ${dom_name[$i]} (memory unreadable)"
    fi
  done
  [ "${#idx[@]}" -gt 0 ] || return 0
  list=${list#, }
  if [ "$start" != 1 ]; then
    lv_line "autostart VMs not started now (--start starts them; libvirt starts them at the host's next boot): $list"
    return 0
  fi
  avail=$(lv_mem_available 2>/dev/null)
  if [ -n "$bad" ] || [ -z "$avail" ] || [ "$total" -gt "$avail" ]; then
    if [ -n "$bad" ]; then
      lv_refuse "nothing started: the memory of ${bad#, } cannot be read from its XML, so the autostart VMs' memory cannot be compared with what this host has free; start them by hand (virsh start NAME)"
    elif [ -z "$avail" ]; then
      lv_refuse "nothing started: this host's available memory (MemAvailable in /proc/meminfo) cannot be read; the autostart VMs need $((total / 1024)) MiB together: $list; start them by hand (virsh start NAME)"
    else
      lv_refuse "nothing started: the autostart VMs need $((total / 1024)) MiB together, this host has $((avail / 1024)) MiB available (MemAvailable): $list; start them by hand as memory allows (virsh start NAME), or free memory and run this again with --start"
    fi
    return 0
  fi
  lv_line "$([ "$dry" = 1 ] && echo 'would start' || echo starting) the autostart VMs: $list; $((total / 1024)) MiB of $((avail / 1024)) MiB available"
  for ((k = 0; k < ${#idx[@]}; k++)); do
    run v start "${dom_name[${idx[$k]}]}"
  done
}

# lv_shown I: the rescued domain's name here, and its old one when
# --rename changed it (restore_rename.sh).
lv_shown() {
  printf '%s' "${dom_name[$1]}"
  [ -z "${dom_was[$1]:-}" ] || printf ' (%s on the old host)' "${dom_was[$1]}"
}

# live_report: each rescued VM's state on this host, and each refusal.
live_report() {
  local i s
  lv_line "== the rescued VMs on this host$([ "$dry" != 1 ] || echo ' (dry run: as they are now)')"
  for ((i = 0; i < ${#dom_xml[@]}; i++)); do
    if [ -n "${dom_ref[$i]:-}" ]; then
      lv_line "$(lv_shown "$i"): REFUSED: ${dom_ref[$i]}"
      continue
    fi
    s=$(lv_state "$i")
    if [ "$dry" = 1 ]; then
      lv_line "$(lv_shown "$i"): ${s:-not defined yet}; would be defined"
    else
      lv_line "$(lv_shown "$i"): ${s:-not defined}"
    fi
  done
  [ "$refusals" = 0 ] || lv_line "$refusals refused or not started: see the lines starting with REFUSED"
}
