#!/bin/sh
# vessel.run=fio: run fio on /dev/vda (raw, no file system; it is
# overwritten) and print each job's JSON report on the console. Only in the
# initramfs that `fetch.sh --with-fio` makes.
#
# Kernel command line:
#   vessel.fio=seqread,seqwrite,randread1,randread32   jobs, in this order
#   vessel.fio.runtime=SECONDS   per job (default 10), fio's time_based
#   vessel.fio.engine=libaio|io_uring   (default libaio)
#
# bench/blk also runs this script on the host, so both sides run the same
# jobs: FIO_FILENAME, FIO_DIRECT (default 1), FIO_JOBS, FIO_RUNTIME and
# FIO_ENGINE in the environment win over the command line.
#
# Output, per job:
#   VESSEL-FIO-BEGIN <job>
#   <fio --output-format=json report>
#   VESSEL-FIO-END <job> rc=<fio exit status>
# then fio.done=1. fio's stderr is printed as "fio.stderr: ..." lines after
# the END marker, never inside the JSON.

arg() {
	tr ' ' '\n' </proc/cmdline | awk -F= -v k="$1" '$1 == k { print $2; exit }'
}

jobs=${FIO_JOBS:-$(arg vessel.fio)}
runtime=${FIO_RUNTIME:-$(arg vessel.fio.runtime)}
engine=${FIO_ENGINE:-$(arg vessel.fio.engine)}
filename=${FIO_FILENAME:-/dev/vda}
direct=${FIO_DIRECT:-1}
: "${jobs:=seqread,seqwrite,randread1,randread32}"
: "${runtime:=10}"
: "${engine:=libaio}"

if ! command -v fio >/dev/null; then
	echo "fio.error=no fio in this initramfs (build it with fetch.sh --with-fio)"
	exit 1
fi
if [ ! -e "$filename" ]; then
	echo "fio.error=no $filename"
	exit 1
fi
echo "fio.version=$(fio --version)"
echo "fio.engine=$engine"
echo "fio.runtime=$runtime"

report=$(mktemp) && errors=$(mktemp) || exit 1
status=0
for job in $(echo "$jobs" | tr ',' ' '); do
	case $job in
	seqread) set -- --rw=read --bs=1M --iodepth=4 ;;
	seqwrite) set -- --rw=write --bs=1M --iodepth=4 ;;
	randread1) set -- --rw=randread --bs=4k --iodepth=1 ;;
	randread32) set -- --rw=randread --bs=4k --iodepth=32 ;;
	*)
		echo "fio.error=unknown job $job"
		status=1
		continue ;;
	esac
	# invalidate=0: on the host, fio would otherwise drop the image from the
	# page cache the VMMs read it from.
	fio --name="$job" --filename="$filename" --direct="$direct" --ioengine="$engine" \
		--time_based=1 --runtime="$runtime" --numjobs=1 --norandommap=1 \
		--randrepeat=0 --invalidate=0 --eta=never "$@" --output-format=json --output="$report" \
		2>"$errors"
	rc=$?
	[ $rc = 0 ] || status=1
	echo "VESSEL-FIO-BEGIN $job"
	cat "$report"
	echo "VESSEL-FIO-END $job rc=$rc"
	sed 's/^/fio.stderr: /' "$errors"
	: >"$report"
done
rm -f "$report" "$errors"
echo "fio.done=1"
exit $status
