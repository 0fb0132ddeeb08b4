#!/bin/sh
# vessel.run=net: DHCP on eth0 with udhcpc, then fetch vessel.url=URL with
# wget. Prints net.* lines.
ip link set lo up
ip link set eth0 up
if ! udhcpc -i eth0 -n -q -t 10 -T 1 -s /etc/udhcpc.script >/dev/null 2>&1; then
	echo "net.error=no DHCP lease"
	exit 1
fi
echo "net.ip=$(ip -4 addr show dev eth0 | awk '/inet / { print $2; exit }')"
url=$(tr ' ' '\n' </proc/cmdline | awk -F= '$1 == "vessel.url" { print $2; exit }')
if [ -n "$url" ]; then
	if wget -q -O /tmp/page "$url"; then
		echo "net.wget.sha256=$(sha256sum /tmp/page | cut -d' ' -f1)"
	else
		echo "net.error=wget $url failed"
	fi
fi
echo "net.done=1"
