#!/bin/sh
# mkstatic.sh LD OBJCOPY AR ARCHIVE OBJECT...
#
# Makes libcqlproxy.a as one relocatable object whose only global symbols
# are the cqlp_ ones.  A plain archive would also export the library's
# internal names (io_read, sbuf_add, client_ensure ...), which a program
# linking it statically could well define for itself; the shared library
# hides them with its symbol list, and this does the same for the archive.
set -e
ld=$1 objcopy=$2 ar=$3 archive=$4
shift 4
obj="${archive%.a}.o"
$ld -r -o "$obj" "$@"
$objcopy -w --keep-global-symbol='cqlp_*' "$obj"
rm -f "$archive"
$ar cr "$archive" "$obj"
rm -f "$obj"
