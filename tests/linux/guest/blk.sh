#!/bin/sh
# vessel.run=blk: /dev/vda is an ext4 image made on the host with
# `mkfs.ext4 -d` (holding hello.txt); /dev/vdb, if present, is read-only.
# Prints blk.* lines; the host checks them and the image afterwards.
mkdir -p /mnt
if ! mount -t ext4 /dev/vda /mnt; then
	echo "blk.error=mount /dev/vda failed"
	exit 1
fi
echo "blk.read=$(cat /mnt/hello.txt)"
echo "written by the guest" >/mnt/guest.txt
dd if=/dev/urandom of=/mnt/big.bin bs=1M count=8 2>/dev/null
echo "blk.big.sha256=$(sha256sum /mnt/big.bin | cut -d' ' -f1)"
sync
umount /mnt && echo "blk.umount=ok"
if [ -e /dev/vdb ]; then
	echo "blk.ro.sysfs=$(cat /sys/block/vdb/ro)"
	if echo overwrite | dd of=/dev/vdb bs=512 count=1 conv=fsync 2>/dev/null; then
		echo "blk.ro=written"
	else
		echo "blk.ro=refused"
	fi
fi
echo "blk.done=1"
