# scripts/lib/fixture-libvirt.sh: the libvirt configuration of the dead-host
# fixture (domains, network, pool, secret), as libvirt 4.5 on CentOS 7 writes
# it. Sourced by scripts/make-fixture; uses its variables and helpers.
# shellcheck shell=bash

# --- libvirt XML (as libvirt 4.5 on CentOS 7 writes it) -----------------------------

libvirt_warning() {  # VIRSH_VERB NAME
  cat <<EOF
<!--
WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE
OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:
  virsh $1 $2
or other application using the libvirt API.
-->

EOF
}

dom_begin() {  # NAME UUID MEM_KIB VCPUS
  libvirt_warning edit "$1"
  cat <<EOF
<domain type='kvm'>
  <name>$(xml_escape "$1")</name>
  <uuid>$2</uuid>
  <memory unit='KiB'>$3</memory>
  <currentMemory unit='KiB'>$3</currentMemory>
  <vcpu placement='static'>$4</vcpu>
EOF
}

dom_os_bios() {
  cat <<'EOF'
  <os>
    <type arch='x86_64' machine='pc-i440fx-rhel7.0.0'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
EOF
}

dom_os_uefi() {  # NVRAM_PATH
  cat <<EOF
  <os>
    <type arch='x86_64' machine='pc-q35-rhel7.6.0'>hvm</type>
    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.secboot.fd</loader>
    <nvram>$(xml_escape "$1")</nvram>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>
    <smm state='on'/>
  </features>
EOF
}

dom_middle() {
  cat <<'EOF'
  <cpu mode='custom' match='exact' check='partial'>
    <model fallback='allow'>Haswell-noTSX-IBRS</model>
  </cpu>
  <clock offset='utc'>
    <timer name='rtc' tickpolicy='catchup'/>
    <timer name='pit' tickpolicy='delay'/>
    <timer name='hpet' present='no'/>
  </clock>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <pm>
    <suspend-to-mem enabled='no'/>
    <suspend-to-disk enabled='no'/>
  </pm>
  <devices>
    <emulator>/usr/libexec/qemu-kvm</emulator>
EOF
}

dom_disk_file() {  # FORMAT PATH
  cat <<EOF
    <disk type='file' device='disk'>
      <driver name='qemu' type='$1'/>
      <source file='$(xml_escape "$2")'/>
      <target dev='vda' bus='virtio'/>
    </disk>
EOF
}

dom_disk_block() {  # DEV
  cat <<EOF
    <disk type='block' device='disk'>
      <driver name='qemu' type='raw' cache='none' io='native'/>
      <source dev='$(xml_escape "$1")'/>
      <target dev='vda' bus='virtio'/>
    </disk>
EOF
}

dom_iface_bridge() {  # MAC BRIDGE
  cat <<EOF
    <interface type='bridge'>
      <mac address='$1'/>
      <source bridge='$2'/>
      <model type='virtio'/>
    </interface>
EOF
}

dom_iface_network() {  # MAC NETWORK
  cat <<EOF
    <interface type='network'>
      <mac address='$1'/>
      <source network='$2'/>
      <model type='virtio'/>
    </interface>
EOF
}

dom_end() {
  cat <<'EOF'
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
    <input type='tablet' bus='usb'/>
    <input type='mouse' bus='ps2'/>
    <input type='keyboard' bus='ps2'/>
    <graphics type='vnc' port='-1' autoport='yes'>
      <listen type='address'/>
    </graphics>
    <video>
      <model type='cirrus' vram='16384' heads='1' primary='yes'/>
    </video>
    <memballoon model='virtio'/>
  </devices>
</domain>
EOF
}

# Domain XML on stdin to /etc/libvirt/qemu/FILE.xml, and its autostart link.
write_domain() {  # ROOT FILE AUTOSTART(0|1)
  local q=$1/etc/libvirt/qemu
  put "$q/$2.xml" 600
  if [[ $3 -eq 1 ]]; then put_link "/etc/libvirt/qemu/$2.xml" "$q/autostart/$2.xml"; fi
}

write_domains() {  # ROOT
  local r=$1
  {
    dom_begin web01 "$DOM_UUID_WEB01" 2097152 2
    dom_os_bios; dom_middle
    dom_disk_file raw "$IMAGES/web01.img"
    dom_iface_bridge "$MAC_WEB01" br0
    dom_end
  } | write_domain "$r" web01 1
  mail01_domain | write_domain "$r" mail01 0
  write_snapshot "$r" before-update "" 1612137600
  write_snapshot "$r" after-update before-update 1612224000
  {
    dom_begin app01 "$DOM_UUID_APP01" 4194304 2
    dom_os_uefi /var/lib/libvirt/qemu/nvram/app01_VARS.fd; dom_middle
    dom_disk_file qcow2 "$IMAGES/app01.qcow2"
    dom_iface_bridge "$MAC_APP01" br0
    dom_end
  } | write_domain "$r" app01 1
  if [[ $OPT_BLOCK_VM -eq 1 ]]; then
    {
      dom_begin db01 "$DOM_UUID_DB01" 4194304 4
      dom_os_bios; dom_middle
      dom_disk_block /dev/centos/db01
      dom_iface_bridge "$MAC_DB01" br0
      dom_end
    } | write_domain "$r" db01 1
  fi
  if [[ ${OPT_BROKEN_VMS:-0} -eq 1 ]]; then
    write_broken_domains "$r"
  fi
  if [[ $OPT_HOSTILE -eq 1 ]]; then
    {
      dom_begin "$HOSTILE_NAME" "$DOM_UUID_HOSTILE" 1048576 1
      dom_os_bios; dom_middle
      dom_disk_file raw "$IMAGES/$HOSTILE_FILE.img"
      dom_iface_network "$MAC_HOSTILE" default
      dom_end
    } | write_domain "$r" "$HOSTILE_FILE" 1
  fi
}

mail01_domain() {
  dom_begin mail01 "$DOM_UUID_MAIL01" 2097152 2
  dom_os_bios; dom_middle
  dom_disk_file qcow2 "$IMAGES/mail01.qcow2"
  dom_iface_network "$MAC_MAIL01" default
  dom_end
}

# write_snapshot ROOT NAME PARENT TIME: an internal snapshot of the shut-off
# mail01 as libvirt 4.5 keeps its metadata (snapshot-create-as; PARENT ""
# for the first), the domain as it was embedded. Only the metadata: the
# qcow2 itself is left without snapshots (libvirt redefines from the XML).
write_snapshot() {
  {
    libvirt_warning snapshot-edit mail01
    printf '<domainsnapshot>\n  <name>%s</name>\n  <state>shutoff</state>\n' "$2"
    if [[ -n $3 ]]; then
      printf '  <parent>\n    <name>%s</name>\n  </parent>\n' "$3"
    fi
    cat <<EOF
  <creationTime>$4</creationTime>
  <memory snapshot='no'/>
  <disks>
    <disk name='vda' snapshot='internal'/>
  </disks>
EOF
    mail01_domain | sed -e '1,/^-->$/d' -e '/^$/d' -e 's/^/  /'
    printf '  <active>0</active>\n</domainsnapshot>\n'
  } | put "$1/var/lib/libvirt/qemu/snapshot/mail01/$2.xml" 600
}

# Domains the rescue cannot take whole (--broken-vms).
write_broken_domains() {  # ROOT
  local r=$1
  {
    dom_begin ghost01 "$DOM_UUID_GHOST01" 1048576 1
    dom_os_bios; dom_middle
    dom_disk_file raw "$IMAGES/ghost01.img"
    dom_iface_bridge "$MAC_GHOST01" br0
    dom_end
  } | write_domain "$r" ghost01 0
  {
    dom_begin trunc01 "$DOM_UUID_TRUNC01" 1048576 1
    dom_os_bios; dom_middle
    dom_disk_file qcow2 "$IMAGES/trunc01.qcow2"
    dom_iface_bridge "$MAC_TRUNC01" br0
    dom_end
  } | write_domain "$r" trunc01 0
  {
    dom_begin loop01 "$DOM_UUID_LOOP01" 1048576 1
    dom_os_bios; dom_middle
    dom_disk_file qcow2 "$IMAGES/loop01-a.qcow2"
    dom_iface_bridge "$MAC_LOOP01" br0
    dom_end
  } | write_domain "$r" loop01 0
  # Cut off mid-element, as a full disk leaves a file being rewritten.
  printf "<domain type='kvm'>\n  <name>broken</name>\n  <memory unit='KiB'>1048576</mem" |
    put "$r/etc/libvirt/qemu/broken.xml" 600
}

write_network() {  # ROOT
  local n=$1/etc/libvirt/qemu/networks
  {
    libvirt_warning net-edit default
    cat <<EOF
<network>
  <name>default</name>
  <uuid>$NET_UUID_DEFAULT</uuid>
  <forward mode='nat'/>
  <bridge name='virbr0' stp='on' delay='0'/>
  <mac address='$NET_MAC_DEFAULT'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
    </dhcp>
  </ip>
</network>
EOF
  } | put "$n/default.xml" 600
  put_link /etc/libvirt/qemu/networks/default.xml "$n/autostart/default.xml"
}

# dir_pool ROOT NAME UUID PATH [autostart]: a dir pool as libvirt 4.5
# writes it (PATH as given, a trailing / kept), started with the host
# when asked.
dir_pool() {
  local s=$1/etc/libvirt/storage
  {
    libvirt_warning pool-edit "$2"
    cat <<EOF
<pool type='dir'>
  <name>$2</name>
  <uuid>$3</uuid>
  <capacity unit='bytes'>0</capacity>
  <allocation unit='bytes'>0</allocation>
  <available unit='bytes'>0</available>
  <source>
  </source>
  <target>
    <path>$4</path>
  </target>
</pool>
EOF
  } | put "$s/$2.xml" 600
  if [[ ${5:-} == autostart ]]; then
    put_link "/etc/libvirt/storage/$2.xml" "$s/autostart/$2.xml"
  fi
}

write_pool() {  # ROOT
  dir_pool "$1" default "$POOL_UUID_DEFAULT" "$IMAGES" autostart
}

write_secret() {  # ROOT
  local d=$1/etc/libvirt/secrets
  install -d -m 700 "$d"
  cat <<EOF | put "$d/$SECRET_UUID.xml" 600
<secret ephemeral='no' private='no'>
  <uuid>$SECRET_UUID</uuid>
  <description>CEPH passphrase for client.libvirt (backup pool)</description>
  <usage type='ceph'>
    <name>client.libvirt secret</name>
  </usage>
</secret>
EOF
  printf '%s' 'AQDLdUBgAAAAABAAS1ZNUmZpeHR1cmUtY2VwaC1rZXk=' | put "$d/$SECRET_UUID.base64" 600
}

