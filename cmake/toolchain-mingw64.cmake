# Cross-build for 64-bit Windows with Debian's mingw-w64 (posix threads
# variant: std::thread and std::mutex through winpthreads), run under wine.
#
#   cmake -S . -B build-windows -G Ninja \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw64.cmake
#
# Everything links statically (libstdc++, libgcc, winpthreads), so the
# .exe/.dll files import only system DLLs and can be copied anywhere.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(COPROC_MINGW_PREFIX x86_64-w64-mingw32)

set(CMAKE_C_COMPILER ${COPROC_MINGW_PREFIX}-gcc-posix)
set(CMAKE_CXX_COMPILER ${COPROC_MINGW_PREFIX}-g++-posix)
set(CMAKE_RC_COMPILER ${COPROC_MINGW_PREFIX}-windres)

# Search the mingw sysroot only: never the build machine's /usr/include
# (asio and msgpack headers are linked into the build tree instead, see
# cmake/Dependencies.cmake).
set(CMAKE_FIND_ROOT_PATH /usr/${COPROC_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static")

# Tests run through wine; scripts/test-windows gives it a private prefix.
find_program(COPROC_WINE NAMES wine wine64 REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR ${COPROC_WINE})
