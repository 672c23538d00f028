#!/usr/bin/env bash
# Release builds as the image ships them, used by the Dockerfile and `make bench`:
#   scripts/build-release.sh PRODUCT...
# - The Swift runtime and Foundation linked statically (no Swift libraries needed in the image).
# - Linked with lld, relative relocations packed (DT_RELR: the loader reads ~30 KB instead of a 3 MB table) and
#   only the symbols the C libraries need exported (the static-stdlib default exports all 43,000).
# - Every function in its own section and petrel-controller's functions ordered by scripts/petrel-controller.order
#   (regenerate with scripts/orderfile.sh): the ~1.4 MB of code a controller runs sits together, so the kernel's
#   64 KiB fault-around maps that instead of pulling in 12-15 MB of neighbours.
# Every release build must use the same flags, or SwiftPM recompiles everything (about 9 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
order_file="$PWD/scripts/petrel-controller.order"
flags=(-c release --static-swift-stdlib
    -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections
    -Xswiftc -use-ld=lld
    -Xlinker -z -Xlinker pack-relative-relocs
    -Xlinker --no-export-dynamic)
if [ -f "$order_file" ]; then
    flags+=(-Xlinker "--symbol-ordering-file=$order_file" -Xlinker --no-warn-symbol-ordering)
fi
for product in "$@"; do
    swift build "${flags[@]}" --product "$product"
done
