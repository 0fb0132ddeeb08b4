#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs once the Debian disk image (tests/linux/mkdisk.sh) reached
# multi-user.target: reports what the booted system sees on the console as
# key=value lines between VESSEL-DISK-BOOT-OK and VESSEL-DISK-BOOT-END, then
# shuts the system down cleanly (systemd, then ACPI power-off).
exec >/dev/console 2>&1

# The login prompt on ttyS0 is part of what the test checks: wait (20 s at
# most) until serial-getty's agetty has printed it and sleeps waiting for
# the user name, so that the report does not cut it off. agetty waits in
# ppoll(2) (or poll, select, read: x86-64 system calls 271, 7, 23, 270, 0).
# Until systemd has no more jobs to run (serial-getty is Type=idle) the
# service's process is systemd's, not yet agetty: hence the name check, and
# this service being Type=simple, so that it is no job that holds it back.
getty_waiting() {
	local pid
	pid=$(systemctl show -p MainPID --value serial-getty@ttyS0.service)
	[ -n "$pid" ] && [ "$pid" != 0 ] && [ "$(cat "/proc/$pid/comm")" = agetty ] &&
		read -r getty_syscall _ <"/proc/$pid/syscall" &&
		case $getty_syscall in 0|7|23|270|271) true ;; *) false ;; esac
} 2>/dev/null
login_prompt=not-seen
getty_syscall=
for _ in $(seq 100); do
	if getty_waiting; then login_prompt=shown; break; fi
	sleep 0.2
done

list() { tr '\n' ',' | sed 's/,$//'; }

echo
echo VESSEL-DISK-BOOT-OK
echo "kernel=$(uname -r)"
echo "nproc=$(nproc)"
echo "mem=$(awk '/^MemTotal:/ { print $2 "kB" }' /proc/meminfo)"
echo "root=$(findmnt -no SOURCE,FSTYPE,OPTIONS / | tr -s ' ' ' ')"
echo "pci_drivers=$(ls /sys/bus/pci/drivers | list)"
echo "virtio_drivers=$(ls /sys/bus/virtio/drivers | list)"
echo "disks=$(for d in /sys/block/vd*; do [ -e "$d" ] && echo "${d##*/}:$(cat "$d/size")"; done | list)"
echo "bios=$(cat /sys/class/dmi/id/bios_vendor 2>/dev/null) $(cat /sys/class/dmi/id/bios_version 2>/dev/null)"
echo "acpi_rsdp=$(dmesg | sed -n 's/.*ACPI: RSDP /RSDP /p' | head -n1)"
echo "login_prompt=$login_prompt (agetty in system call ${getty_syscall:-?})"
echo "failed_units=$(systemctl --failed --plain --no-legend | awk '{ print $1 }' | list)"
echo VESSEL-DISK-BOOT-END
# What `systemctl poweroff` does, without first asking logind over D-Bus
# (neither is installed: it would print "Failed to connect to bus").
systemctl start --no-block --job-mode=replace-irreversibly poweroff.target
