# Install this build of sluice into a scratch prefix, then build the SDK's
# template plugin out of tree against it, as an outside author would: once
# with the CMake package (three lines) and once with pkg-config.
set -euo pipefail
cmake --install "$SLUICE_BUILD_DIR" --prefix "$PWD/prefix" >/dev/null
cmake -S "$SLUICE_SOURCE_DIR/sdk/template" -B template-build -DCMAKE_PREFIX_PATH="$PWD/prefix" >/dev/null
cmake --build template-build >/dev/null
test -f template-build/sluice_transform_char_count.so
mkdir -p pc
PKG_CONFIG_PATH="$PWD/prefix/lib/pkgconfig:$PWD/prefix/lib64/pkgconfig:$(ls -d "$PWD"/prefix/lib/*/pkgconfig 2>/dev/null | tr '\n' ':')" \
  sh -c 'cc -shared $(pkg-config --cflags sluice-plugin) -o pc/sluice_transform_char_count.so "$SLUICE_SOURCE_DIR/sdk/template/char_count.c"'
test -f pc/sluice_transform_char_count.so
