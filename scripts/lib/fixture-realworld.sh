# shellcheck shell=bash
# scripts/lib/fixture-realworld.sh: --real-world, domains shaped as
# virt-manager and virt-install write them on CentOS 7 (IDE cdroms,
# spice/qxl, USB redirection, channels, cache='none' io='native') with what
# real hosts hold beside plain image files:
#   rwcd01    host CD-ROM passthrough (/dev/cdrom) and an empty cdrom
#   rwvmdk01  a qcow2 overlay whose backing file is a VMDK (absolute name)
#   rwuefi01  UEFI, NVRAM named the newer way (<nvram type='file'><source>)
#   rwnet01   an rbd network disk beside its image
#   rwbyid01  a whole host disk (/dev/disk/by-id/...) beside its image
#   rwpool01  a volume of the dir pool rwpool whose target ends in "/"
# Sourced by scripts/make-fixture; uses its variables and helpers.

# Fixed identities of this variant (the others are in fixture-ids.env).
RW_UUID_PREFIX=4b564d52-5257-4000-8000-0000000000
RW_POOL_UUID=4b564d52-5257-4000-8000-0000000001ff
RW_POOL_DIR=/var/lib/libvirt/rwpool
RW_BYID=/dev/disk/by-id/ata-ST2000DM008-2FR102_ZFL0A1B2

# rw_disk TYPE DEVICE TARGET BUS [DRIVER_ATTRS] [SOURCE_ELEMENT]: one <disk>.
rw_disk() {
  local src=${6:-}
  cat <<EOF
    <disk type='$1' device='$2'>
      <driver name='qemu'${5:+ $5}/>
EOF
  if [[ -n $src ]]; then printf '      %s\n' "$src"; fi
  printf "      <target dev='%s' bus='%s'/>\n" "$3" "$4"
  if [[ $2 == cdrom ]]; then printf '      <readonly/>\n'; fi
  printf '    </disk>\n'
}

rw_qcow2_disk() {  # PATH
  rw_disk file disk vda virtio "type='qcow2' cache='none' io='native'" "<source file='$1'/>"
}

rw_empty_cdrom() {  # TARGET
  rw_disk file cdrom "$1" ide "type='raw'"
}

# The devices virt-install adds on CentOS 7 besides disks and NIC.
rw_devices_tail() {  # MAC
  cat <<EOF
    <controller type='usb' index='0' model='ich9-ehci1'/>
    <controller type='usb' index='0' model='ich9-uhci1'>
      <master startport='0'/>
    </controller>
    <controller type='ide' index='0'/>
    <controller type='virtio-serial' index='0'/>
    <interface type='bridge'>
      <mac address='$1'/>
      <source bridge='br0'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'>
      <target type='isa-serial' port='0'>
        <model name='isa-serial'/>
      </target>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <channel type='spicevmc'>
      <target type='virtio' name='com.redhat.spice.0'/>
    </channel>
    <input type='tablet' bus='usb'/>
    <input type='mouse' bus='ps2'/>
    <input type='keyboard' bus='ps2'/>
    <graphics type='spice' autoport='yes'>
      <listen type='address'/>
      <image compression='off'/>
    </graphics>
    <video>
      <model type='qxl' ram='65536' vram='65536' vgamem='16384' heads='1' primary='yes'/>
    </video>
    <redirdev bus='usb' type='spicevmc'/>
    <redirdev bus='usb' type='spicevmc'/>
    <memballoon model='virtio'/>
  </devices>
</domain>
EOF
}

rw_os_uefi_new_nvram() {  # NVRAM_PATH
  cat <<EOF
  <os>
    <type arch='x86_64' machine='pc-q35-rhel7.6.0'>hvm</type>
    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.secboot.fd</loader>
    <nvram type='file'>
      <source file='$1'/>
    </nvram>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>
    <smm state='on'/>
  </features>
EOF
}

rw_domain() {  # ROOT NAME N(uuid/mac suffix) OS_FUNCTION DISKS...
  local r=$1 name=$2 n=$3 os=$4
  shift 4
  {
    dom_begin "$name" "$RW_UUID_PREFIX$n" 2097152 2
    $os
    dom_middle
    printf '%s' "$@"
    rw_devices_tail "52:54:00:52:57:$n"
  } | write_domain "$r" "$name" 0
}

rw_domains() {  # ROOT
  local r=$1 i=$IMAGES
  rw_domain "$r" rwcd01 01 dom_os_bios "$(rw_qcow2_disk "$i/rwcd01.qcow2")
" "$(rw_disk block cdrom hda ide "type='raw'" "<source dev='/dev/cdrom'/>")
" "$(rw_empty_cdrom hdb)
"
  rw_domain "$r" rwvmdk01 02 dom_os_bios "$(rw_qcow2_disk "$i/rwvmdk01.qcow2")
" "$(rw_empty_cdrom hda)
"
  rw_domain "$r" rwuefi01 03 \
    "rw_os_uefi_new_nvram /var/lib/libvirt/qemu/nvram/rwuefi01_VARS.fd" \
    "$(rw_qcow2_disk "$i/rwuefi01.qcow2")
" "$(rw_empty_cdrom hda)
"
  rw_domain "$r" rwnet01 04 dom_os_bios "$(rw_qcow2_disk "$i/rwnet01.qcow2")
" "$(rw_disk network disk vdb virtio "type='raw' cache='none'" \
    "<source protocol='rbd' name='libvirt-pool/rwnet01-data'><host name='ceph-mon1.example.jp' port='6789'/></source>")
"
  rw_domain "$r" rwbyid01 05 dom_os_bios "$(rw_qcow2_disk "$i/rwbyid01.qcow2")
" "$(rw_disk block disk vdb virtio "type='raw' cache='none' io='native'" "<source dev='$RW_BYID'/>")
"
  rw_domain "$r" rwpool01 06 dom_os_bios "$(rw_disk volume disk vda virtio \
    "type='qcow2' cache='none' io='native'" "<source pool='rwpool' volume='rwpool01.qcow2'/>")
" "$(rw_empty_cdrom hda)
"
}

rw_pool() {  # ROOT
  dir_pool "$1" rwpool "$RW_POOL_UUID" "$RW_POOL_DIR/"
}

# rw_image FILE PATTERN...: a 256 MiB qcow2 with 1 MiB of each PATTERN byte
# at 0, 64, 128... MiB.
rw_image() {
  local f=$1 off=0 w=() p
  shift
  run qemu-img create -q -f qcow2 "$f" 256M
  for p in "$@"; do w+=("$p ${off}M 1M"); off=$((off + 64)); done
  qemu_write qcow2 "$f" "${w[@]}"
}

# realworld_populate ROOT IMAGES_DIR: after populate_images.
realworld_populate() {
  local r=$1 d=$2
  rw_image "$d/rwcd01.qcow2" 0xc1 0xc2
  rw_image "$d/rwuefi01.qcow2" 0xe1 0xe2 0xe3
  rw_image "$d/rwnet01.qcow2" 0xa1
  rw_image "$d/rwbyid01.qcow2" 0xb1 0xb2
  # rwvmdk01: an image imported from VMware, kept as the base of an overlay
  # that names it by its absolute path, as virt-manager writes it.
  run qemu-img create -q -f vmdk "$d/rwvmdk01-base.vmdk" 256M
  qemu_write vmdk "$d/rwvmdk01-base.vmdk" "0x91 0 1M" "0x92 100M 1M"
  run qemu-img create -q -f qcow2 -b rwvmdk01-base.vmdk -F vmdk "$d/rwvmdk01.qcow2" 256M
  qemu_write qcow2 "$d/rwvmdk01.qcow2" "0x93 1M 1M"
  run qemu-img rebase -u -F vmdk -b "$IMAGES/rwvmdk01-base.vmdk" "$d/rwvmdk01.qcow2"
  install -d -m 711 "$r$RW_POOL_DIR"
  rw_image "$r$RW_POOL_DIR/rwpool01.qcow2" 0xf1 0xf2
  head -c 131072 /dev/zero | tr '\0' '\016' |
    put "$r/var/lib/libvirt/qemu/nvram/rwuefi01_VARS.fd" 600
  find "$d" "$r$RW_POOL_DIR" -maxdepth 1 -type f -name 'rw*' -exec chmod 600 {} +
  rw_pool "$r"
  rw_domains "$r"
  settle_times "$d"
}
