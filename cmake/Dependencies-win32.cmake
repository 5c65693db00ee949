# Dependencies of the Windows (mingw-w64) build. Only the parts without Poco
# are built: protocol, common, the co-process core, libcoproc, coprocctl.
if(COPROC_WITH_POCO)
  message(FATAL_ERROR "Debian has no mingw build of Poco: configure the Windows build with "
                      "-DCOPROC_WITH_POCO=OFF (scripts/test-windows does)")
endif()
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
