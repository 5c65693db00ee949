# Dependencies of the Windows (mingw-w64) build. Asio and msgpack-c are
# header-only and come from the build machine's Debian packages; Poco and
# OpenSSL (COPROC_WITH_POCO) are static mingw libraries that
# scripts/build-windows-deps cross-builds from Debian's source packages into
# COPROC_WINDEPS_DIR.
find_package(Threads REQUIRED)

set(COPROC_WIN_INCLUDE ${CMAKE_BINARY_DIR}/win32-include)
file(MAKE_DIRECTORY ${COPROC_WIN_INCLUDE})
foreach(entry asio asio.hpp msgpack msgpack.hpp)
  if(NOT EXISTS /usr/include/${entry})
    message(FATAL_ERROR "/usr/include/${entry} is missing: install libasio-dev and libmsgpack-cxx-dev")
  endif()
  file(CREATE_LINK /usr/include/${entry} ${COPROC_WIN_INCLUDE}/${entry} SYMBOLIC)
endforeach()

add_library(coproc_asio INTERFACE)
target_include_directories(coproc_asio SYSTEM INTERFACE ${COPROC_WIN_INCLUDE})
# Windows 10 API level; WIN32_LEAN_AND_MEAN keeps winsock.h out of windows.h.
target_compile_definitions(coproc_asio INTERFACE ASIO_STANDALONE ASIO_NO_DEPRECATED
  _WIN32_WINNT=0x0A00 WIN32_LEAN_AND_MEAN NOMINMAX)
target_link_libraries(coproc_asio INTERFACE Threads::Threads ws2_32 mswsock)

add_library(coproc_msgpack INTERFACE)
target_include_directories(coproc_msgpack SYSTEM INTERFACE ${COPROC_WIN_INCLUDE})
target_compile_definitions(coproc_msgpack INTERFACE MSGPACK_NO_BOOST)

# POSIX names the portable files use that mingw-w64 offers on request
# (gmtime_r, localtime_r).
add_compile_definitions(_POSIX_THREAD_SAFE_FUNCTIONS=200112L)

if(COPROC_WITH_POCO)
  set(COPROC_WINDEPS_DIR "$ENV{COPROC_WINDEPS_DIR}" CACHE PATH
      "Static mingw Poco + OpenSSL built by scripts/build-windows-deps")
  if(NOT COPROC_WINDEPS_DIR)
    set(COPROC_WINDEPS_DIR ${CMAKE_BINARY_DIR}/windeps CACHE PATH "" FORCE)
  endif()
  if(NOT EXISTS ${COPROC_WINDEPS_DIR}/.stamp)
    message(FATAL_ERROR "No Windows build of Poco and OpenSSL in ${COPROC_WINDEPS_DIR}: run "
                        "scripts/build-windows-deps ${COPROC_WINDEPS_DIR} (scripts/test-windows does), "
                        "or configure with -DCOPROC_WITH_POCO=OFF")
  endif()
  list(APPEND CMAKE_FIND_ROOT_PATH ${COPROC_WINDEPS_DIR})
  set(OPENSSL_ROOT_DIR ${COPROC_WINDEPS_DIR})
  set(OPENSSL_USE_STATIC_LIBS TRUE)
  find_package(OpenSSL 3.0 REQUIRED)
  find_package(Poco 1.11 REQUIRED COMPONENTS Foundation XML JSON Util Net Crypto NetSSL)
  # What the static libraries need from Windows (Poco's exported targets
  # name only MSVC's "Crypt32.lib"): all system DLLs.
  set_property(TARGET OpenSSL::Crypto APPEND PROPERTY INTERFACE_LINK_LIBRARIES ws2_32 crypt32)
  set_property(TARGET Poco::Net APPEND PROPERTY INTERFACE_LINK_LIBRARIES ws2_32 iphlpapi)
  set_property(TARGET Poco::Crypto APPEND PROPERTY INTERFACE_LINK_LIBRARIES crypt32)
endif()
