# shellcheck shell=bash
# scripts/lib/fixture-bootvms.sh: --boot-vms, three VMs whose disks really
# boot, each printing one line naming it on its first serial port
# ("kvm-rescue-boot: NAME") and then stopping:
#   bootbios01  BIOS (i440fx): a raw disk whose boot sector (GNU as) reads
#               the line from the disk (LBA 128, by int 13h extensions),
#               prints it on COM1 and halts. Autostart.
#   bootuefi01  UEFI (q35, OVMF_CODE.secboot.fd as CentOS 7's virt-manager
#               names it, secure pflash, SMM): a qcow2 GPT disk whose ESP
#               holds a grub-mkstandalone BOOTX64.EFI; its embedded
#               grub.cfg echoes the line on the serial port and powers off.
#               Its NVRAM is this machine's OVMF_VARS.fd (the 2 MiB build's
#               128 KiB store, the size EL7's OVMF uses) at
#               /var/lib/libvirt/qemu/nvram/bootuefi01_VARS.fd.
#   bootovl01   a qcow2 overlay over bootbase.qcow2, named by its absolute
#               path: the base holds the boot sector and a line naming the
#               base; the overlay's only cluster rewrites the line (64 KiB
#               in, past the first cluster), so the VM boots only through
#               both and prints its own name.
# Each domain's serial port logs to /var/log/libvirt/qemu/NAME-serial0.log
# (<log file=... append='off'/>, which libvirt 4.5 writes), so a test can
# read the line. Made from Debian packages only (binutils, grub-efi-amd64-bin,
# mtools, dosfstools, ovmf); no network.
# Sourced by scripts/make-fixture; uses its variables and helpers.

# Fixed identities of this variant (the others are in fixture-ids.env).
BV_UUID_PREFIX=4b564d52-4256-4000-8000-0000000000
BV_MAC_PREFIX=52:54:00:42:56
BV_ESP_VOLUME_ID=4b564252
BV_DISK_GUID=4b564d52-4256-4000-8000-0000000001ff
BV_ESP_GUID=4b564d52-4256-4000-8000-0000000001fe
BV_OVMF_VARS=/usr/share/OVMF/OVMF_VARS.fd
BV_LINE_OFFSET=65536 # where the boot sector reads its line (LBA 128)
BV_NVRAM_DIR=/var/lib/libvirt/qemu/nvram

bootvms_preflight() {
  need_cmds as ld grub-mkstandalone mmd mcopy mkfs.vfat qemu-io
  [[ -f $BV_OVMF_VARS ]] || die "required file not found: $BV_OVMF_VARS (ovmf)"
  [[ -d /usr/lib/grub/x86_64-efi ]] ||
    die "required directory not found: /usr/lib/grub/x86_64-efi (grub-efi-amd64-bin)"
}

bv_line() {  # NAME: the line a VM prints, NUL-terminated for the boot sector
  printf 'kvm-rescue-boot: %s\r\n\0' "$1"
}

# The boot sector: loads the sector at BV_LINE_OFFSET to 0x7e00 (int 13h,
# ah=42h, the drive SeaBIOS booted from), sets COM1 to 115200 8N1, writes
# the NUL-terminated text there to it and halts.
bv_boot_sector_source() {
  cat <<'EOF'
        .code16
        .globl  _start
_start: cli
        xorw    %ax, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movw    $0x7c00, %sp
        sti
        movw    $dap, %si
        movb    $0x42, %ah
        int     $0x13
        movw    $0x7e00, %si
        jnc     com1
        movw    $failed, %si
com1:   movw    $0x3f9, %dx             # no interrupts
        xorb    %al, %al
        outb    %al, %dx
        movw    $0x3fb, %dx             # divisor latch on
        movb    $0x80, %al
        outb    %al, %dx
        movw    $0x3f8, %dx             # divisor 1: 115200 baud
        movb    $1, %al
        outb    %al, %dx
        movw    $0x3f9, %dx
        xorb    %al, %al
        outb    %al, %dx
        movw    $0x3fb, %dx             # 8N1, latch off
        movb    $3, %al
        outb    %al, %dx
next:   lodsb
        testb   %al, %al
        jz      stop
        movb    %al, %ah
busy:   movw    $0x3fd, %dx             # wait for an empty transmitter
        inb     %dx, %al
        testb   $0x20, %al
        jz      busy
        movb    %ah, %al
        movw    $0x3f8, %dx
        outb    %al, %dx
        jmp     next
stop:   cli
        hlt
        jmp     stop
        .balign 4
dap:    .byte   16, 0
        .word   1, 0x7e00, 0
        .quad   128
failed: .asciz  "kvm-rescue-boot: reading the disk failed\r\n"
        . = _start + 510
        .byte   0x55, 0xaa
EOF
}

bv_boot_sector() {  # OUT: the 512-byte boot sector
  bv_boot_sector_source >"$WORK/bootsect.S"
  run as --32 -o "$WORK/bootsect.o" "$WORK/bootsect.S"
  run ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o "$1" "$WORK/bootsect.o"
  [[ $(apparent_bytes "$1") -eq 512 ]] || die "the boot sector is not 512 bytes"
}

bv_bios_disk() {  # FILE NAME: an 8 MiB raw disk that boots and prints NAME's line
  truncate -s 8M -- "$1"
  write_at "$1" 0 <"$WORK/bootsect.bin"
  bv_line "$2" | write_at "$1" "$BV_LINE_OFFSET"
}

# bv_grub_efi OUT NAME: a standalone GRUB for x86_64 UEFI whose memdisk
# config says NAME's line on the serial port and powers off.
bv_grub_efi() {
  cat >"$WORK/grub.cfg" <<EOF
serial --unit=0 --speed=115200
terminal_output serial
echo "kvm-rescue-boot: $2"
halt
EOF
  run grub-mkstandalone -O x86_64-efi -o "$1" --modules="serial terminal echo halt" \
    --install-modules="serial terminal echo halt normal" --locales= --fonts= --themes= \
    "boot/grub/grub.cfg=$WORK/grub.cfg"
}

# bv_uefi_disk FILE NAME: a 32 MiB GPT disk, one ESP (FAT, made in place,
# never mounted) with \EFI\BOOT\BOOTX64.EFI, converted to qcow2 at FILE.
bv_uefi_disk() {
  local raw=$WORK/bootuefi.raw esp=$((1 * MIB)) sectors=61440
  truncate -s 32M -- "$raw"
  printf 'label: gpt\nlabel-id: %s\nunit: sectors\n\nstart=2048, size=%s, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=%s, name="EFI System Partition"\n' \
    "$BV_DISK_GUID" "$sectors" "$BV_ESP_GUID" >"$WORK/bootuefi.sfdisk"
  run sfdisk --quiet --no-reread --no-tell-kernel --wipe never "$raw" <"$WORK/bootuefi.sfdisk"
  run mkfs.vfat -i "$BV_ESP_VOLUME_ID" -n ESP --offset=2048 "$raw" $((sectors / 2))
  bv_grub_efi "$WORK/BOOTX64.EFI" "$2"
  run mmd -i "$raw@@$esp" ::/EFI ::/EFI/BOOT
  run mcopy -i "$raw@@$esp" "$WORK/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
  run qemu-img convert -f raw -O qcow2 "$raw" "$1"
  rm -f -- "$raw" "$WORK/BOOTX64.EFI"
}

# bv_overlay DIR: bootbase.qcow2 (boots, names the base) and bootovl01.qcow2
# over it, whose one written cluster holds bootovl01's line.
bv_overlay() {
  local d=$1
  bv_bios_disk "$WORK/bootbase.raw" bootbase
  run qemu-img convert -f raw -O qcow2 "$WORK/bootbase.raw" "$d/bootbase.qcow2"
  rm -f -- "$WORK/bootbase.raw"
  run qemu-img create -q -f qcow2 -b bootbase.qcow2 -F qcow2 "$d/bootovl01.qcow2" 8M
  bv_line bootovl01 >"$WORK/bootovl01.line"
  run qemu-io -f qcow2 -c "write -s $WORK/bootovl01.line $BV_LINE_OFFSET 512" "$d/bootovl01.qcow2"
  run qemu-img rebase -u -F qcow2 -b "$IMAGES/bootbase.qcow2" "$d/bootovl01.qcow2"
}

# --- domains (as libvirt 4.5 on CentOS 7 writes what virt-manager made) -----------------------

bv_os_uefi() {  # NAME
  cat <<EOF
  <os>
    <type arch='x86_64' machine='pc-q35-rhel7.6.0'>hvm</type>
    <loader readonly='yes' secure='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.secboot.fd</loader>
    <nvram>$BV_NVRAM_DIR/$1_VARS.fd</nvram>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>
    <vmport state='off'/>
    <smm state='on'/>
  </features>
EOF
}

bv_cpu() {  # MODE: host-passthrough or host-model
  if [[ $1 == host-passthrough ]]; then
    printf "  <cpu mode='host-passthrough' check='none'/>\n"
  else
    printf "  <cpu mode='host-model' check='partial'>\n    <model fallback='allow'/>\n  </cpu>\n"
  fi
}

bv_middle() {  # CPU_MODE
  bv_cpu "$1"
  cat <<'EOF'
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

bv_end() {  # NAME: serial console logged to a file, then the usual devices
  local log=/var/log/libvirt/qemu/$1-serial0.log
  cat <<EOF
    <serial type='pty'>
      <log file='$log' append='off'/>
      <target type='isa-serial' port='0'>
        <model name='isa-serial'/>
      </target>
    </serial>
    <console type='pty'>
      <log file='$log' append='off'/>
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

bv_domains() {  # ROOT
  local r=$1
  {
    dom_begin bootbios01 "${BV_UUID_PREFIX}01" 262144 1
    dom_os_bios; bv_middle host-model
    dom_disk_file raw "$IMAGES/bootbios01.img"
    dom_iface_bridge "$BV_MAC_PREFIX:01" br0
    bv_end bootbios01
  } | write_domain "$r" bootbios01 1
  {
    dom_begin bootuefi01 "${BV_UUID_PREFIX}02" 262144 1
    bv_os_uefi bootuefi01; bv_middle host-passthrough
    dom_disk_file qcow2 "$IMAGES/bootuefi01.qcow2"
    dom_iface_network "$BV_MAC_PREFIX:02" default
    bv_end bootuefi01
  } | write_domain "$r" bootuefi01 0
  {
    dom_begin bootovl01 "${BV_UUID_PREFIX}03" 262144 1
    dom_os_bios; bv_middle host-model
    dom_disk_file qcow2 "$IMAGES/bootovl01.qcow2"
    dom_iface_bridge "$BV_MAC_PREFIX:03" br0
    bv_end bootovl01
  } | write_domain "$r" bootovl01 0
}

# bootvms_populate ROOT IMAGES_DIR: after populate_images.
bootvms_populate() {
  local r=$1 d=$2
  bv_boot_sector "$WORK/bootsect.bin"
  bv_bios_disk "$d/bootbios01.img" bootbios01
  bv_uefi_disk "$d/bootuefi01.qcow2" bootuefi01
  bv_overlay "$d"
  put "$r$BV_NVRAM_DIR/bootuefi01_VARS.fd" 600 <"$BV_OVMF_VARS"
  find "$d" -maxdepth 1 -type f -name 'boot*' -exec chmod 600 {} +
  rm -f -- "$WORK"/bootsect.* "$WORK"/grub.cfg "$WORK"/bootuefi.sfdisk "$WORK"/bootovl01.line
  bv_domains "$r"
  settle_times "$d"
}
