# Writes OUT, a C++ file holding every file of CONSOLE_DIR as bytes, so the
# web console is part of the wharfd binary (run with cmake -P).
file(GLOB files RELATIVE "${CONSOLE_DIR}" "${CONSOLE_DIR}/*")
list(SORT files)
set(arrays "")
set(table "")
set(i 0)
foreach(f IN LISTS files)
  file(READ "${CONSOLE_DIR}/${f}" hex HEX)
  string(LENGTH "${hex}" digits)
  math(EXPR size "${digits} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND arrays "const unsigned char kFile${i}[] = {${bytes}0};\n")
  string(APPEND table "    {\"${f}\", {reinterpret_cast<const char*>(kFile${i}), ${size}}},\n")
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE "${OUT}.tmp" "// Generated from broker/http/console by cmake/embed_console.cmake.
#include \"broker/http/console_assets.h\"

namespace wharf::http {
namespace {
${arrays}}  // namespace

std::span<const ConsoleAsset> console_assets() {
  static const ConsoleAsset kAssets[] = {
${table}  };
  return kAssets;
}

}  // namespace wharf::http
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
