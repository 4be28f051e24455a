# kvm-rescue restore: fit each domain to the host it lands on.
#
# Part of the first-boot restore script (kickstart/restore.cpp embeds this
# file's text) and sourced as it is by the tests. From `virsh capabilities`
# and `virsh domcapabilities` it writes an adapted copy of a domain's (or a
# snapshot's embedded domain's) XML: the virt type (kvm, or qemu with
# --allow-emulation on a host without KVM), the emulator, the machine type
# (the host's canonical type of the same family, i440fx or q35), the UEFI
# loader and NVRAM template, and the CPU mode. Every change is logged with
# its reason and written to the report; the payload's XML is not changed.
#
# Runs under bash 4.2 (EL7) with `set -u`: arrays that may be empty are
# counted and indexed, never expanded whole, except `args` after a check.
# Tools: virsh (through v()), xmllint (libxml2 2.9.1 on EL7: --xpath, only
# string() and count() results), sed, grep, md5sum, mktemp, coreutils.
#
# Safety: values read from the old disk's XML go into XPath expressions
# only after ad_safe() checked their characters, never into sed scripts:
# the sed expressions match the element by its shape and put in the host's
# own values (also checked, and escaped for sed). Both quote styles of
# attributes are handled; libvirt writes one element per line, and every
# adapted copy is read back: a file laid out otherwise is defined as it is.
#
# The caller sets: v (virsh), dry (0/1), root (prefix of host paths checked,
# for tests), xml_dir, report, allow_emu (0/1), the firmware hint table
# fw_hint_from/fw_hint_to (old path -> this dialect's path, may be empty),
# fw_package, and for adapt_preflight the arrays dom_xml and snap_xml.

ad_ok=0  # 1 once this host's capabilities were read
ad_dir=  # temporary directory: capabilities, domcapabilities, previews

# ad_x FILE XPATH: the string value of XPATH in FILE ("" when none).
ad_x() { xmllint --xpath "string($2)" "$1" 2>/dev/null || true; }
# ad_n FILE XPATH: the number of nodes XPATH selects in FILE.
ad_n() { xmllint --xpath "count($2)" "$1" 2>/dev/null || echo 0; }
# ad_safe VALUE: true when VALUE may go into an XPath literal or the XML:
# names and paths of letters, digits and ._/+- only.
ad_safe() { [ -n "$1" ] && [[ $1 =~ ^[A-Za-z0-9._/+-]+$ ]]; }
# ad_sed_value VALUE: VALUE escaped for the replacement side of s|..|..|.
ad_sed_value() { printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'; }

# adapt_init: reads this host's capabilities; without them nothing is
# adapted (said once) and the XML is defined as the old host wrote it.
adapt_init() {
  ad_dir=$(mktemp -d "${TMPDIR:-/tmp}/kvmr-adapt.XXXXXX") || return 1
  trap 'rm -rf "$ad_dir"' EXIT
  if v capabilities >"$ad_dir/caps.xml" 2>/dev/null &&
    [ "$(ad_n "$ad_dir/caps.xml" '/capabilities/guest')" != 0 ]; then
    ad_ok=1
  else
    echo "WARNING: this host's capabilities (virsh capabilities) cannot be read: domains are defined as the old host wrote them" >&2
  fi
}

# ad_arch_xp ARCH: the XPath of this host's hvm guest ARCH.
ad_arch_xp() { printf "/capabilities/guest[os_type='hvm']/arch[@name='%s']" "$1"; }

# ad_has_type ARCH TYPE: true when this host runs ARCH guests with TYPE.
ad_has_type() {
  ad_safe "$1" && ad_safe "$2" || return 1
  [ "$(ad_n "$ad_dir/caps.xml" "$(ad_arch_xp "$1")/domain[@type='$2']")" != 0 ]
}

# ad_emulator ARCH TYPE: this host's emulator for ARCH guests of TYPE.
ad_emulator() {
  local a e
  a=$(ad_arch_xp "$1")
  e=$(ad_x "$ad_dir/caps.xml" "$a/domain[@type='$2']/emulator")
  [ -n "$e" ] || e=$(ad_x "$ad_dir/caps.xml" "$a/emulator")
  printf '%s' "$e"
}

# ad_machines_xp ARCH TYPE: XPath of the machine types offered for them.
ad_machines_xp() {
  local a
  a=$(ad_arch_xp "$1")
  printf '%s' "$a/machine | $a/domain[@type='$2']/machine"
}

# ad_machine_offered ARCH TYPE MACHINE: true when the host lists MACHINE.
ad_machine_offered() {
  ad_safe "$3" || return 1
  [ "$(ad_n "$ad_dir/caps.xml" "($(ad_machines_xp "$1" "$2"))[.='$3']")" != 0 ]
}

# ad_family MACHINE: i440fx, q35, or "" for any other machine type.
ad_family() {
  case $1 in
    q35 | pc-q35-*) echo q35 ;;
    pc | pc-i440fx-* | pc-[0-9]* | rhel[0-9]*) echo i440fx ;;
    *) echo "" ;;
  esac
}

# ad_canonical ARCH TYPE FAMILY: the host's machine type for FAMILY: what
# its alias (pc, q35) stands for, or the alias when no canonical is given.
ad_canonical() {
  local alias=pc m
  [ "$3" = q35 ] && alias=q35
  ad_machine_offered "$1" "$2" "$alias" || return 1
  m=$(ad_x "$ad_dir/caps.xml" "(($(ad_machines_xp "$1" "$2"))[.='$alias']/@canonical)[1]")
  printf '%s' "${m:-$alias}"
}

# ad_missing_kvm XML: prints the guest arch when XML's domain wants KVM
# and this host has none for that arch.
ad_missing_kvm() {
  local b arch
  b=/domain
  [ "$(ad_n "$1" /domain)" = 1 ] || b=/domainsnapshot/domain
  [ "$(ad_x "$1" "$b/@type")" = kvm ] || return 0
  arch=$(ad_x "$1" "$b/os/type/@arch")
  [ -n "$arch" ] || arch=$(ad_x "$ad_dir/caps.xml" /capabilities/host/cpu/arch)
  ad_has_type "$arch" kvm || printf '%s\n' "$arch"
}

# adapt_preflight: before anything is defined, stops (returns 1) with the
# advice when a domain or snapshot wants KVM that this host lacks, unless
# --allow-emulation was given; then it says loudly what that means.
adapt_preflight() {
  local i arch=
  [ "$dry" = 1 ] || ad_report_init
  [ "$ad_ok" = 1 ] || return 0
  for ((i = 0; i < ${#dom_xml[@]}; i++)); do
    [ -n "$arch" ] || arch=$(ad_missing_kvm "${dom_xml[$i]}")
  done
  for ((i = 0; i < ${#snap_xml[@]}; i++)); do
    [ -n "$arch" ] || arch=$(ad_missing_kvm "${snap_xml[$i]}")
  done
  [ -n "$arch" ] || return 0
  if [ "$allow_emu" = 1 ]; then
    ad_say "WARNING: THIS HOST HAS NO KVM (hardware virtualization) for $arch: as asked (--allow-emulation), the domains are defined with type 'qemu': EMULATED, many times slower than before, fit for a rescue, not for production. Switch on VT-x/AMD-V in the firmware setup and change the type back to 'kvm' (virsh edit) as soon as you can."
    return 0
  fi
  ad_say "STOP: this host has no KVM (hardware virtualization) for $arch, which the rescued domains use; nothing was defined. Usually VT-x/AMD-V (\"Intel Virtualization Technology\", \"SVM\") is off in the firmware setup: switch it on and boot again (the restore then runs by itself), or check that /dev/kvm exists (modprobe kvm_intel or kvm_amd). To define the domains anyway, emulated and much slower, run: $0 --allow-emulation"
  return 1
}

# ad_say TEXT: into the log (or the dry run's output) and the report.
ad_say() {
  printf '%s\n' "$1" >&2
  [ "$dry" = 1 ] || ad_report_add "$1"
}

# ad_report_add TEXT: a line of the report, which a real run starts
# afresh (ad_report_init) and writes only when it has something to say.
ad_report_add() {
  if [ ! -e "$report" ]; then
    mkdir -p "$(dirname "$report")" && : >"$report" && chmod 0600 "$report" || return 0
    {
      echo "kvm-rescue restore report, $(date)"
      echo "What this host needed changed in the rescued domains (each one so changed is"
      echo "defined from an adapted copy, the old host's XML is kept as it was, both named),"
      echo "what it already had (reused or REFUSED, never redefined), and at the end each"
      echo "rescued VM's state here."
      echo
    } >>"$report"
  fi
  printf '%s\n' "$1" >>"$report"
}

ad_report_init() { rm -f "$report"; }

# ad_change WHAT OLD NEW WHY: records one change for the current domain.
ad_change() { ad_changes+="  $1: ${2:-(none)} -> ${3:-(none)} ($4)"$'\n'; }
# ad_expect XPATH VALUE: what the adapted copy must then say.
ad_expect() { chk_xp+=("$1") chk_val+=("$2"); }
# ad_sub SED-EXPRESSION...: adds the edits for the current domain.
ad_sub() { local e; for e in "$@"; do args+=(-e "$e"); done; }
# ad_attr_sub LINE-RE ATTR VALUE: sets ATTR on the line matching LINE-RE,
# in either quote style.
ad_attr_sub() {
  local val
  val=$(ad_sed_value "$3")
  ad_sub "/$1/s|\\([[:space:]]$2=\\)'[^']*'|\\1'$val'|" "/$1/s|\\([[:space:]]$2=\\)\"[^\"]*\"|\\1\"$val\"|"
}

# ad_domcaps_for TYPE ARCH MACHINE EMULATOR: prints the file holding this
# host's domcapabilities for them (asked once per combination); the
# machine and emulator are left out when unknown (libvirt's defaults).
ad_domcaps_for() {
  local f key dc=(domcapabilities --virttype "$1" --arch "$2")
  [ -z "$3" ] || dc+=(--machine "$3")
  [ -z "$4" ] || dc+=(--emulatorbin "$4")
  key=$(printf '%s\n' "${dc[@]}" | md5sum | cut -c1-16)
  f=$ad_dir/dc-$key.xml
  if [ ! -s "$f" ]; then
    v "${dc[@]}" >"$f" 2>/dev/null
    [ "$(ad_n "$f" /domainCapabilities)" = 1 ] || { rm -f "$f"; return 1; }
  fi
  printf '%s' "$f"
}

# ad_hint OLD: the firmware file the hint table maps OLD to, when this
# host has it.
ad_hint() {
  local i
  for ((i = 0; i < ${#fw_hint_from[@]}; i++)); do
    if [ "${fw_hint_from[$i]}" = "$1" ] && [ -e "$root${fw_hint_to[$i]}" ]; then
      printf '%s' "${fw_hint_to[$i]}"
      return 0
    fi
  done
}

# ad_pick_loader OLD SECURE: this host's UEFI code file for a domain whose
# loader OLD is not here: the hint table's, else the best of the loaders
# domcapabilities lists (same file name, same Secure Boot kind, the 2 MB
# layout EL7's variable stores were made for), or "".
ad_pick_loader() {
  local i n c score best='' top=-1 base=${1##*/}
  c=$(ad_hint "$1")
  [ -z "$c" ] || { printf '%s' "$c"; return 0; }
  [ -n "$ad_dc" ] || return 0
  n=$(ad_n "$ad_dc" /domainCapabilities/os/loader/value)
  for ((i = 1; i <= n; i++)); do
    c=$(ad_x "$ad_dc" "(/domainCapabilities/os/loader/value)[$i]")
    ad_safe "$c" || continue
    case $c in *AAVMF* | *ArmVirt* | *amdsev* | *inteltdx* | *.qcow2 | *riscv* | *loongarch*) continue ;; esac
    score=0
    [ "${c##*/}" = "$base" ] && score=4
    case $c in
      *secboot*) [ "$2" = yes ] && score=$((score + 2)) ;;
      *) [ "$2" = yes ] || score=$((score + 2)) ;;
    esac
    case $c in *_4M*) ;; *) score=$((score + 1)) ;; esac
    [ "$score" -gt "$top" ] && best=$c top=$score
  done
  printf '%s' "$best"
}

# ad_pick_template LOADER OLD: this host's variable store template that
# goes with the code file LOADER, for a domain whose template OLD will not
# do: the same file name beside LOADER, LOADER's name with CODE read VARS,
# or (no loader named) the hint table's; "" when none is here.
ad_pick_template() {
  local dir=${1%/*} lb=${1##*/}
  if [ -z "$1" ]; then
    ad_hint "$2"
  elif [ -e "$root$dir/${2##*/}" ]; then
    printf '%s' "$dir/${2##*/}"
  elif [ "${lb/CODE/VARS}" != "$lb" ] && [ -e "$root$dir/${lb/CODE/VARS}" ]; then
    printf '%s' "$dir/${lb/CODE/VARS}"
  fi
}

# The steps of adapt_xml. They read ad_src (the XML), ad_B (the XPath of
# its domain), ad_label, and add to args (sed), ad_changes and chk_*.

ad_step_type() {
  ad_type=$(ad_x "$ad_src" "$ad_B/@type")
  [ "$ad_type" = kvm ] || return 0
  ad_has_type "$ad_arch" kvm && return 0
  if [ "$allow_emu" != 1 ] || ! ad_has_type "$ad_arch" qemu; then
    ad_say "WARNING: $ad_label: this host has no KVM for $ad_arch: its virt type kvm is left as it is (libvirt refuses it; see --allow-emulation)"
    return 0
  fi
  ad_type=qemu
  ad_sub "0,/<domain[[:space:]]/{/<domain[[:space:]]/{s/\\([[:space:]]type=\\)'kvm'/\\1'qemu'/;s/\\([[:space:]]type=\\)\"kvm\"/\\1\"qemu\"/}}"
  ad_change "virt type" kvm qemu "WARNING: this host has no KVM for $ad_arch: emulated, much slower, as asked with --allow-emulation"
  ad_expect "$ad_B/@type" qemu
}

ad_step_emulator() {
  local cur new
  cur=$(ad_x "$ad_src" "$ad_B/devices/emulator")
  ad_emu=$cur
  [ -n "$cur" ] && [ ! -e "$root$cur" ] || return 0
  new=$(ad_emulator "$ad_arch" "$ad_type")
  if ! ad_safe "$new"; then
    ad_say "WARNING: $ad_label: its emulator $cur is not on this host, which names none for $ad_arch ($ad_type): left as it is"
    return 0
  fi
  ad_emu=$new
  [ "$new" != "$cur" ] || return 0
  ad_sub "s|<emulator>[^<]*</emulator>|<emulator>$(ad_sed_value "$new")</emulator>|"
  ad_change emulator "$cur" "$new" "not on this host; this host's emulator for $ad_arch ($ad_type), virsh capabilities"
  ad_expect "$ad_B/devices/emulator" "$new"
}

ad_step_machine() {
  local cur fam new
  cur=$(ad_x "$ad_src" "$ad_B/os/type/@machine")
  ad_mach=$cur
  [ -n "$cur" ] || return 0
  ad_machine_offered "$ad_arch" "$ad_type" "$cur" && return 0
  fam=$(ad_family "$cur")
  if [ -n "$fam" ] && new=$(ad_canonical "$ad_arch" "$ad_type" "$fam") && ad_safe "$new"; then
    ad_mach=$new
    ad_attr_sub '<type[[:space:]]' machine "$new"
    ad_change "machine type" "$cur" "$new" "not offered by this host's qemu (virsh capabilities); the host's own $fam type, the nearest hardware"
    ad_expect "$ad_B/os/type/@machine" "$new"
  else
    ad_say "WARNING: $ad_label: machine type $cur is not offered by this host's qemu, which has no ${fam:-machine type of the same family}: left as it is; libvirt refuses the domain until its <type machine=...> names one from virsh capabilities"
  fi
}

ad_step_loader() {
  local cur secure new
  cur=$(ad_x "$ad_src" "normalize-space($ad_B/os/loader)")
  ad_loader=$cur ad_loader_old=$cur
  [ -n "$cur" ] && [ ! -e "$root$cur" ] || return 0
  secure=$(ad_x "$ad_src" "$ad_B/os/loader/@secure")
  new=$(ad_pick_loader "$cur" "$secure")
  if [ -z "$new" ]; then
    ad_say "WARNING: $ad_label: its UEFI firmware $cur is not on this host, and this host's libvirt offers none: install $fw_package, then run $0 again"
    return 0
  fi
  ad_loader=$new
  [ "$new" != "$cur" ] || return 0 # listed by libvirt: the host has it
  ad_sub "/<loader[[:space:]>]/s|>[^<]*</loader>|>$(ad_sed_value "$new")</loader>|"
  ad_change "UEFI loader" "$cur" "$new" "not on this host; this host's firmware (virsh domcapabilities)"
  ad_expect "normalize-space($ad_B/os/loader)" "$new"
  case $new in *secboot*) return 0 ;; esac
  [ "$secure" = yes ] || return 0
  ad_attr_sub '<loader[[:space:]]' secure no
  ad_change "Secure Boot" on off "this host has no Secure Boot build of the firmware"
  ad_expect "$ad_B/os/loader/@secure" no
}

# A template the host lacks, or one that no longer goes with a loader
# that changed, becomes the one beside the (new) loader.
ad_step_template() {
  local cur new store
  cur=$(ad_x "$ad_src" "$ad_B/os/nvram/@template")
  [ -n "$cur" ] || return 0
  if [ -e "$root$cur" ]; then
    [ "$ad_loader" != "$ad_loader_old" ] || return 0
    new=$(ad_pick_template "$ad_loader" "$cur")
    ad_safe "$new" && [ "$new" != "$cur" ] || return 0
    ad_attr_sub '<nvram[[:space:]]' template "$new"
    ad_change "NVRAM template" "$cur" "$new" "the one beside the new loader (a store made from the old one may not fit it)"
    ad_expect "$ad_B/os/nvram/@template" "$new"
    return 0
  fi
  new=$(ad_pick_template "$ad_loader" "$cur")
  if ad_safe "$new"; then
    ad_attr_sub '<nvram[[:space:]]' template "$new"
    ad_change "NVRAM template" "$cur" "$new" "not on this host; the variable store template beside the loader"
    ad_expect "$ad_B/os/nvram/@template" "$new"
    return 0
  fi
  store=$(ad_x "$ad_src" "normalize-space($ad_B/os/nvram)")
  [ -n "$store" ] || store=$(ad_x "$ad_src" "$ad_B/os/nvram/source/@file")
  if [ -n "$store" ] && [ -e "$root$store" ]; then
    ad_sub "/<nvram[[:space:]]/s|[[:space:]]template='[^']*'||" "/<nvram[[:space:]]/s|[[:space:]]template=\"[^\"]*\"||"
    ad_change "NVRAM template" "$cur" "" "not on this host, no matching one; the domain's variable store is installed, so libvirt needs none (it takes its own firmware's if the store is ever removed)"
    ad_expect "$ad_B/os/nvram/@template" ""
  else
    ad_say "WARNING: $ad_label: its NVRAM template $cur is not on this host and its variable store ${store:-(none named)} is not installed: libvirt cannot make one at start; install $fw_package"
  fi
}

# ad_cpu_to MODE: rewrites the domain's <cpu> to MODE (host-model), or
# takes what depends on the old CPU away (none): the element goes when
# nothing else (topology, NUMA cells) is in it.
ad_cpu_to() {
  local open="<cpu mode='$1'>"
  [ "$1" = none ] && open="<cpu>"
  if grep -Eq '<cpu([[:space:]][^>]*)?>.*<' "$ad_src"; then
    return 1 # children on the <cpu> line: not laid out as libvirt writes it
  fi
  if grep -Eq '<cpu([[:space:]][^>]*)?/>' "$ad_src"; then
    if [ "$1" = none ]; then
      ad_sub '/<cpu\([[:space:]][^>]*\)\{0,1\}\/>/d'
    else
      ad_sub "s|<cpu\\([[:space:]][^>]*\\)\\{0,1\\}/>|<cpu mode='$1'/>|"
    fi
  elif [ "$1" = none ] && [ "$(ad_n "$ad_src" "$ad_B/cpu/*[not(self::model or self::vendor or self::feature)]")" = 0 ]; then
    ad_sub '/<cpu[[:space:]>]/,/<\/cpu>/d'
  else
    ad_sub "/<cpu[[:space:]>]/,/<\\/cpu>/{/<model[[:space:]>\\/]/d;/<vendor[[:space:]>]/d;/<feature[[:space:]]/d;s|<cpu\\([[:space:]][^>]*\\)\\{0,1\\}>|$open|}"
  fi
  ad_expect "count($ad_B/cpu/model | $ad_B/cpu/feature)" 0
  [ "$1" = none ] || ad_expect "$ad_B/cpu/@mode" "$1"
  [ "$1" != none ] || ad_expect "$ad_B/cpu/@mode" ""
}

ad_step_cpu() {
  local mode model cpu=/domainCapabilities/cpu pt hm why
  [ -n "$ad_dc" ] && [ "$(ad_n "$ad_src" "$ad_B/cpu")" = 1 ] && [ "$(ad_n "$ad_dc" "$cpu")" = 1 ] || return 0
  mode=$(ad_x "$ad_src" "$ad_B/cpu/@mode")
  model=$(ad_x "$ad_src" "normalize-space($ad_B/cpu/model)")
  pt=$(ad_x "$ad_dc" "$cpu/mode[@name='host-passthrough']/@supported")
  hm=$(ad_x "$ad_dc" "$cpu/mode[@name='host-model']/@supported")
  case ${mode:-custom} in
    host-passthrough)
      [ "$pt" = yes ] && return 0
      why="this host's $ad_type does not offer host-passthrough" ;;
    host-model)
      [ "$hm" = yes ] && return 0
      why="this host's $ad_type does not offer host-model" ;;
    custom)
      [ -n "$model" ] || return 0
      if ad_safe "$model" && [ "$(ad_n "$ad_dc" "$cpu/mode[@name='custom']/model[.='$model']")" != 0 ] &&
        [ "$(ad_x "$ad_dc" "$cpu/mode[@name='custom']/model[.='$model']/@usable")" != no ]; then
        return 0
      fi
      mode="custom $model"
      why="this host cannot give the guest CPU model $model (virsh domcapabilities)" ;;
    *) return 0 ;;
  esac
  if [ "$hm" = yes ] && [ "$mode" != host-model ]; then
    ad_cpu_to host-model && ad_change "CPU" "$mode" host-model "$why; host-model is offered" && return 0
  elif ad_cpu_to none; then
    ad_change "CPU" "$mode" "libvirt's default" "$why, nor host-model"
    return 0
  fi
  ad_say "WARNING: $ad_label: $why, and its <cpu> is not laid out as libvirt writes it (one element per line): left as it is"
}

# ad_verify FILE: true when FILE is well-formed, says what the edits meant
# it to, and has every element of ad_src outside <cpu> still.
ad_verify() {
  local i keep='//*[not(ancestor-or-self::cpu)]'
  xmllint --noout "$1" 2>/dev/null || return 1
  [ "$(ad_n "$1" "$keep")" = "$(ad_n "$ad_src" "$keep")" ] || return 1
  for ((i = 0; i < ${#chk_xp[@]}; i++)); do
    [ "$(ad_x "$1" "${chk_xp[$i]}")" = "${chk_val[$i]}" ] || return 1
  done
}

# ad_write: writes the adapted copy of ad_src and prints its path (the
# source's in a dry run, or when the edits did not give what they meant).
ad_write() {
  local dst
  if [ "$dry" = 1 ]; then
    dst=$ad_dir/preview.xml
  else
    mkdir -p "$xml_dir" || return 1
    dst=$xml_dir/$(printf '%s' "$ad_src" | md5sum | cut -c1-16).xml # one per payload file
  fi
  if ! sed "${args[@]}" "$ad_src" >"$dst.new" 2>/dev/null || ! ad_verify "$dst.new"; then
    rm -f "$dst.new"
    ad_say "WARNING: $ad_label: $ad_src is not laid out as libvirt writes it (one element per line): defined as it is, though this host needs:"$'\n'"${ad_changes%$'\n'}"
    printf '%s\n' "$ad_src"
    return 0
  fi
  mv -f "$dst.new" "$dst"
  if [ "$dry" = 1 ]; then
    printf '%s\n' "would adapt $ad_label for this host, defining an adapted copy of $ad_src:" "${ad_changes%$'\n'}" >&2
    printf '%s\n' "$ad_src"
    return 0
  fi
  ad_say "adapted $ad_label for this host: $ad_src -> $dst"$'\n'"${ad_changes%$'\n'}"
  printf '%s\n' "$dst"
}

# adapt_xml LABEL XML: prints the file to define for the domain (or
# snapshot) XML: XML itself when this host needs nothing changed, else an
# adapted copy under $xml_dir. LABEL names it in the log and the report.
adapt_xml() {
  local ad_label=$1 ad_src=$2 ad_B=/domain ad_arch ad_type ad_emu ad_mach ad_dc=''
  local ad_loader='' ad_loader_old=''
  local ad_changes='' args=() chk_xp=() chk_val=()
  if [ "$ad_ok" != 1 ] || [ "$(ad_n "$ad_src" /domain)" != 1 ]; then
    ad_B=/domainsnapshot/domain
    if [ "$ad_ok" != 1 ] || [ "$(ad_n "$ad_src" "$ad_B")" != 1 ]; then
      printf '%s\n' "$ad_src"
      return 0
    fi
  fi
  ad_arch=$(ad_x "$ad_src" "$ad_B/os/type/@arch")
  [ -n "$ad_arch" ] || ad_arch=$(ad_x "$ad_dir/caps.xml" /capabilities/host/cpu/arch)
  ad_safe "$ad_arch" || { printf '%s\n' "$ad_src"; return 0; }
  ad_step_type
  ad_step_emulator
  ad_step_machine
  if ! ad_safe "$ad_type" || ! ad_dc=$(ad_domcaps_for "$ad_type" "$ad_arch" "$ad_mach" "$ad_emu"); then
    ad_dc=
    ad_say "WARNING: $ad_label: this host's domcapabilities for it cannot be read: its firmware and CPU are left as they are"
  fi
  ad_step_loader
  ad_step_template
  ad_step_cpu
  if [ "${#args[@]}" -eq 0 ]; then
    printf '%s\n' "$ad_src"
    return 0
  fi
  ad_write
}
