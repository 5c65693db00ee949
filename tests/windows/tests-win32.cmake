# Tests of the Windows build (mingw-w64 cross build; ctest runs them through
# CMAKE_CROSSCOMPILING_EMULATOR, i.e. wine — scripts/test-windows). Included
# by tests/CMakeLists.txt in place of the POSIX test tree.

# GoogleTest from Debian's sources (/usr/src/googletest), built for mingw.
set(COPROC_GTEST_SOURCE /usr/src/googletest CACHE PATH "GoogleTest sources for the Windows build")
set(BUILD_GMOCK OFF CACHE BOOL "" FORCE)
set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
add_subdirectory(${COPROC_GTEST_SOURCE} ${CMAKE_BINARY_DIR}/googletest EXCLUDE_FROM_ALL)
include(GoogleTest)

# Where the build products are, as a Windows program sees them: under wine
# the build machine's / is drive Z:.
set(COPROC_WIN_BIN_DIR ${CMAKE_BINARY_DIR})
if(CMAKE_HOST_UNIX)
  set(COPROC_WIN_BIN_DIR "Z:${CMAKE_BINARY_DIR}")
endif()
string(REPLACE "/" "\\\\" COPROC_WIN_BIN_DIR "${COPROC_WIN_BIN_DIR}")

# Where tests/windows/support/servers.py keeps the wine tests' servers.
set(COPROC_WINE_SERVERS_DIR ${CMAKE_BINARY_DIR}/wine-servers)
set(COPROC_WIN_SERVERS_DIR "Z:${COPROC_WINE_SERVERS_DIR}")
string(REPLACE "/" "\\\\" COPROC_WIN_SERVERS_DIR "${COPROC_WIN_SERVERS_DIR}")

add_library(test_support STATIC
  windows/support/child_process.cc
  windows/support/coprocess_win_fixture.cc
  support/raw_rpc_client.cc
  windows/support/raw_pipe_client_win32.cc
  windows/support/wine_servers.cc
)
target_include_directories(test_support PUBLIC windows/support support)
target_link_libraries(test_support PUBLIC protocol common coproc_asio coproc_msgpack GTest::gtest)
target_compile_definitions(test_support PUBLIC COPROC_BIN_DIR="${COPROC_WIN_BIN_DIR}"
  COPROC_WIN_SERVERS_DIR="${COPROC_WIN_SERVERS_DIR}")
coproc_warnings(test_support)

# Listing the tests runs the .exe under wine; its first start is slow.
set(COPROC_TEST_EXTRA_LABEL windows)
set(COPROC_TEST_DISCOVERY_TIMEOUT 120)
set(COPROC_TEST_DISCOVERY_OPTIONS DISCOVERY_MODE PRE_TEST)
include(${PROJECT_SOURCE_DIR}/cmake/CoprocTest.cmake)

add_subdirectory(protocol)  # platform-neutral unit tests, unchanged
add_subdirectory(windows)
