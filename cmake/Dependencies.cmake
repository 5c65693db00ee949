# All dependencies come from Debian packages (scripts/install-deps).
find_package(Threads REQUIRED)

if(WIN32)
  # mingw-w64 cross build: the header-only Asio and msgpack-c come from the
  # build machine's Debian packages, linked into a private include dir —
  # never -I/usr/include, which would mix glibc headers into a Windows build.
  include(${CMAKE_CURRENT_LIST_DIR}/Dependencies-win32.cmake)
  return()
endif()

# Asio ships no CMake or pkg-config file: an INTERFACE target gives its
# include dir and the standalone defines.
find_path(ASIO_INCLUDE_DIR asio.hpp REQUIRED)
add_library(coproc_asio INTERFACE)
target_include_directories(coproc_asio SYSTEM INTERFACE ${ASIO_INCLUDE_DIR})
target_compile_definitions(coproc_asio INTERFACE ASIO_STANDALONE ASIO_NO_DEPRECATED)
target_link_libraries(coproc_asio INTERFACE Threads::Threads)

# msgpack-c 4.1.3 (libmsgpack-cxx-dev): target msgpackc-cxx. No Boost.
find_package(msgpack 4.1 REQUIRED)
add_library(coproc_msgpack INTERFACE)
target_link_libraries(coproc_msgpack INTERFACE msgpackc-cxx)
target_compile_definitions(coproc_msgpack INTERFACE MSGPACK_NO_BOOST)

if(COPROC_WITH_POCO)
  find_package(Poco 1.11 REQUIRED COMPONENTS Foundation Net NetSSL Crypto Util)
endif()
