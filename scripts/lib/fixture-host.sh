# scripts/lib/fixture-host.sh: the CentOS 7 host's root filesystem of the
# dead-host fixture (/etc, network scripts, systemd links, kickstart).
# Sourced by scripts/make-fixture; uses its variables and helpers.
# shellcheck shell=bash

# --- the host's root filesystem --------------------------------------------------------

fsline() { printf '%-23s %-23s %-7s %-15s %s %s\n' "$@"; }

fstab() {
  cat <<'EOF'

#
# /etc/fstab
# Created by anaconda on Tue Mar  2 10:05:12 2021
#
# Accessible filesystems, by reference, are maintained under '/dev/disk'
# See man pages fstab(5), findfs(8), mount(8) and/or blkid(8) for more info
#
EOF
  if [[ $OPT_ROOT == lvm ]]; then
    fsline /dev/mapper/centos-root / xfs defaults 0 0
  else
    fsline "UUID=$ROOT_FS_UUID" / ext4 defaults 1 1
  fi
  fsline "UUID=$BOOT_FS_UUID" /boot xfs defaults 0 0
  if [[ $OPT_TABLE == gpt ]]; then
    fsline "UUID=${ESP_VOLID:0:4}-${ESP_VOLID:4:4}" /boot/efi vfat umask=0077,shortname=winnt 0 0
  fi
  if [[ ${OPT_HOME_LAYOUT:-0} -eq 1 ]]; then fsline /dev/mapper/centos-home /home xfs defaults 0 0; fi
  if [[ $OPT_ROOT == lvm ]]; then
    fsline /dev/mapper/centos-swap swap swap defaults 0 0
  else
    fsline "UUID=$SWAP_UUID" swap swap defaults 0 0
  fi
  if [[ $OPT_IMAGES_VG -eq 1 ]]; then
    fsline /dev/mapper/vmdata-images "$IMAGES" xfs defaults 0 0
  fi
}

kickstart_parts() {
  local disk=sda
  if [[ $OPT_TABLE == gpt ]]; then
    echo "part biosboot --fstype=\"biosboot\" --ondisk=$disk --size=1"
    echo "part /boot/efi --fstype=\"efi\" --ondisk=$disk --size=200 --fsoptions=\"umask=0077,shortname=winnt\""
  fi
  echo "part /boot --fstype=\"xfs\" --ondisk=$disk --size=500"
  if [[ $OPT_ROOT == lvm ]]; then
    echo "part pv.157 --fstype=\"lvmpv\" --ondisk=$disk --size=1200"
    echo "volgroup centos --pesize=4096 pv.157"
    echo "logvol /  --fstype=\"xfs\" --size=$(root_lv_mib) --name=root --vgname=centos"
    if [[ ${OPT_HOME_LAYOUT:-0} -eq 1 ]]; then
      echo "logvol /home  --fstype=\"xfs\" --size=$HOME_MIB --name=home --vgname=centos"
    fi
    echo "logvol swap  --fstype=\"swap\" --size=64 --name=swap --vgname=centos"
  else
    echo "part / --fstype=\"ext4\" --ondisk=$disk --size=1200"
    echo "part swap --fstype=\"swap\" --ondisk=$disk --size=64"
  fi
}

kickstart() {
  cat <<EOF
#version=DEVEL
# System authorization information
auth --enableshadow --passalgo=sha512
# Use CDROM installation media
cdrom
# Use graphical install
graphical
# Run the Setup Agent on first boot
firstboot --enable
ignoredisk --only-use=sda
# Keyboard layouts
keyboard --vckeymap=jp106 --xlayouts='jp'
# System language
lang ja_JP.UTF-8

# Network information
network  --bootproto=static --device=eth0 --gateway=192.168.10.1 --ip=192.168.10.5 --nameserver=192.168.10.1 --netmask=255.255.255.0 --ipv6=auto --activate
network  --hostname=$HOSTNAME

# Root password
rootpw --iscrypted \$6\$KVMRfixture0001\$Vx1oQ3bKcJ1Zr8uE0mN5yT2wH7pL4sD9fG6aJ3kQ1xC8vB5nM2zR7tY4uI0oP9eW6qS3dF1gH8jK5lZ2xC4vB.
# System services
services --enabled="chronyd"
# System timezone
timezone Asia/Tokyo --isUtc
# System bootloader configuration
bootloader --append=" crashkernel=auto" --location=mbr --boot-drive=sda
# Partition clearing information
clearpart --all --initlabel --drives=sda
# Disk partitioning information
$(kickstart_parts)

%packages
@^virtualization-host-environment
@base
@core
@virtualization-hypervisor
@virtualization-tools
chrony
kexec-tools

%end

%addon com_redhat_kdump --enable --reserve-mb='auto'

%end

%anaconda
pwpolicy root --minlen=6 --minquality=1 --notstrict --nochanges --notempty
pwpolicy user --minlen=6 --minquality=1 --notstrict --nochanges --emptyok
pwpolicy luks --minlen=6 --minquality=1 --notstrict --nochanges --notempty
%end
EOF
}

os_release() {
  cat <<'EOF'
NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:centos:centos:7"
HOME_URL="https://www.centos.org/"
BUG_REPORT_URL="https://bugs.centos.org/"

CENTOS_MANTISBT_PROJECT="CentOS-7"
CENTOS_MANTISBT_PROJECT_VERSION="7"
REDHAT_SUPPORT_PRODUCT="centos"
REDHAT_SUPPORT_PRODUCT_VERSION="7"

EOF
}

# A valid TZif (v2) for Asia/Tokyo: no transitions, one type JST +9.
tzif_block() {
  printf 'TZif2'
  head -c 15 /dev/zero
  be_bytes 0 4; be_bytes 0 4; be_bytes 0 4; be_bytes 0 4  # ut, std, leap, time
  be_bytes 1 4; be_bytes 4 4                              # types, chars
  be_bytes 32400 4; be_bytes 0 1; be_bytes 0 1            # +09:00, std, "JST"
  printf 'JST\0'
}

tzif_tokyo() {
  tzif_block
  tzif_block
  printf '\nJST-9\n'
}

root_tree() {  # ROOT: the directories of a CentOS 7 root
  local r=$1 d
  chmod 555 "$r"
  for d in boot dev home media mnt opt proc run srv sys etc usr usr/bin usr/sbin \
    usr/lib usr/lib64 usr/share var var/log var/lib var/cache; do
    install -d -m 755 "$r/$d"
  done
  install -d -m 555 "$r/proc" "$r/sys" "$r/boot"
  install -d -m 550 "$r/root"
  install -d -m 1777 "$r/tmp" "$r/var/tmp"
  ln -s usr/bin "$r/bin"
  ln -s usr/sbin "$r/sbin"
  ln -s usr/lib "$r/lib"
  ln -s usr/lib64 "$r/lib64"
}

write_etc() {  # ROOT
  local r=$1 e=$1/etc
  fstab | put "$e/fstab" 644
  printf '%s\n' "$HOSTNAME" | put "$e/hostname" 644
  printf 'LANG="ja_JP.UTF-8"\n' | put "$e/locale.conf" 644
  printf 'KEYMAP="jp106"\nFONT="latarcyrheb-sun16"\n' | put "$e/vconsole.conf" 644
  tzif_tokyo | put "$r/usr/share/zoneinfo/Asia/Tokyo" 644
  put_link ../usr/share/zoneinfo/Asia/Tokyo "$e/localtime"
  printf 'CentOS Linux release 7.9.2009 (Core)\n' | put "$e/centos-release" 644
  put_link centos-release "$e/redhat-release"
  put_link centos-release "$e/system-release"
  os_release | put "$e/os-release" 644
  printf '4b564d52000040008000000000000001\n' | put "$e/machine-id" 444
  cat <<'EOF' | put "$e/selinux/config" 644

# This file controls the state of SELinux on the system.
# SELINUX= can take one of these three values:
#     enforcing - SELinux security policy is enforced.
#     permissive - SELinux prints warnings instead of enforcing.
#     disabled - No SELinux policy is loaded.
SELINUX=enforcing
# SELINUXTYPE= can take one of three values:
#     targeted - Targeted processes are protected,
#     minimum - Modification of targeted policy. Only selected processes are protected. 
#     mls - Multi Level Security protection.
SELINUXTYPE=targeted 


EOF
  cat <<'EOF' | put "$e/passwd" 644
root:x:0:0:root:/root:/bin/bash
bin:x:1:1:bin:/bin:/sbin/nologin
daemon:x:2:2:daemon:/sbin:/sbin/nologin
nobody:x:99:99:Nobody:/:/sbin/nologin
qemu:x:107:107:qemu user:/:/sbin/nologin
sshd:x:74:74:Privilege-separated SSH:/var/empty/sshd:/sbin/nologin
EOF
  cat <<'EOF' | put "$e/group" 644
root:x:0:
bin:x:1:
daemon:x:2:
kvm:x:36:qemu
nobody:x:99:
qemu:x:107:
libvirt:x:990:
EOF
  cat <<'EOF' | put "$e/shadow" 000
root:$6$KVMRfixture0001$Vx1oQ3bKcJ1Zr8uE0mN5yT2wH7pL4sD9fG6aJ3kQ1xC8vB5nM2zR7tY4uI0oP9eW6qS3dF1gH8jK5lZ2xC4vB.::0:99999:7:::
bin:*:18353:0:99999:7:::
daemon:*:18353:0:99999:7:::
nobody:*:18353:0:99999:7:::
qemu:!!:18688::::::
sshd:!!:18688::::::
EOF
  cat <<EOF | put "$e/default/grub" 644
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR="\$(sed 's, release .*\$,,g' /etc/system-release)"
GRUB_DEFAULT=saved
GRUB_DISABLE_SUBMENU=true
GRUB_TERMINAL_OUTPUT="console"
GRUB_CMDLINE_LINUX="$(kernel_args | sed 's/^root=[^ ]* ro //')"
GRUB_DISABLE_RECOVERY="true"
EOF
}

write_network_scripts() {  # ROOT
  local n=$1/etc/sysconfig/network-scripts
  printf '# Created by anaconda\n' | put "$1/etc/sysconfig/network" 644
  cat <<'EOF' | put "$n/ifcfg-lo" 644
DEVICE=lo
IPADDR=127.0.0.1
NETMASK=255.0.0.0
NETWORK=127.0.0.0
# If you're having problems with gated making 127.0.0.0/8 a martian,
# you can change this to something else (255.255.255.255, for example)
BROADCAST=127.255.255.255
ONBOOT=yes
NAME=loopback
EOF
  cat <<'EOF' | put "$n/ifcfg-br0" 644
TYPE=Bridge
BOOTPROTO=static
IPADDR=192.168.10.5
PREFIX=24
GATEWAY=192.168.10.1
DNS1=192.168.10.1
ONBOOT=yes
DEVICE=br0
NAME=br0
EOF
  cat <<EOF | put "$n/ifcfg-eth0" 644
DEVICE=eth0
HWADDR=$HOST_ETH0_MAC
BRIDGE=br0
ONBOOT=yes
TYPE=Ethernet
EOF
}

write_systemd() {  # ROOT
  local u=$1/usr/lib/systemd/system w=$1/etc/systemd/system/multi-user.target.wants
  cat <<'EOF' | put "$u/libvirtd.service" 644
[Unit]
Description=Virtualization daemon

[Service]
Type=notify
ExecStart=/usr/sbin/libvirtd $LIBVIRTD_ARGS

[Install]
WantedBy=multi-user.target
EOF
  cat <<'EOF' | put "$u/sshd.service" 644
[Unit]
Description=OpenSSH server daemon

[Service]
Type=notify
ExecStart=/usr/sbin/sshd -D $OPTIONS

[Install]
WantedBy=multi-user.target
EOF
  put_link /usr/lib/systemd/system/libvirtd.service "$w/libvirtd.service"
  put_link /usr/lib/systemd/system/sshd.service "$w/sshd.service"
}

write_libvirt() {  # ROOT
  local r=$1
  install -d -m 700 "$r/etc/libvirt" "$r/etc/libvirt/qemu"
  install -d -m 755 "$r/etc/libvirt/qemu/autostart" "$r/etc/libvirt/qemu/networks" \
    "$r/etc/libvirt/qemu/networks/autostart" "$r/etc/libvirt/storage" \
    "$r/etc/libvirt/storage/autostart" "$r/var/lib/libvirt"
  install -d -m 711 "$r$IMAGES"
  install -d -m 751 "$r/var/lib/libvirt/qemu"
  install -d -m 755 "$r/var/lib/libvirt/qemu/nvram"
  write_domains "$r"
  write_network "$r"
  write_pool "$r"
  write_secret "$r"
  # app01's UEFI variable store: erased flash (0xff) behind an FV header.
  local vars=$r/var/lib/libvirt/qemu/nvram/app01_VARS.fd
  head -c 131072 /dev/zero | tr '\0' '\377' | put "$vars" 600
  head -c 16 /dev/zero | write_at "$vars" 0
  printf '\215\053\361\377\226\166\213\114\251\205\047\107\007\133\117\120' | write_at "$vars" 16
  le_bytes 131072 8 | write_at "$vars" 32
  printf '_FVH' | write_at "$vars" 40
  printf 'fixture app01 NVRAM: BootOrder=0001 Boot0001=centos\\shimx64.efi\0' | write_at "$vars" 4096
}

populate_root() {  # ROOT
  local r=$1
  root_tree "$r"
  write_etc "$r"
  write_network_scripts "$r"
  write_systemd "$r"
  write_libvirt "$r"
  kickstart | put "$r/root/anaconda-ks.cfg" 600
}

