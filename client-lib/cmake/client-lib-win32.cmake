# client-lib on Windows (mingw-w64): the same C++ core over named pipes,
# libcoproc.dll with the whole C ABI (coproc.h, mail.h, http.h),
# coprocctl.exe. Statically linked (toolchain-mingw64.cmake), so the DLL
# imports only system DLLs. Pipes carry no file descriptors: attachments
# travel as bytes and saved bodies come back in the reply (local_file.h).

# coproc_core_objs and coproc_client come from client-lib/CMakeLists.txt.

file(GLOB COPROC_CAPI_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/c_api*.cc)
add_library(coproc_capi_objs OBJECT ${COPROC_CAPI_SOURCES})
target_include_directories(coproc_capi_objs
  PUBLIC include ${CMAKE_CURRENT_BINARY_DIR}/include
  PRIVATE src)
target_link_libraries(coproc_capi_objs PUBLIC protocol coproc_asio coproc_msgpack)
target_compile_definitions(coproc_capi_objs PUBLIC COPROC_BUILDING)
coproc_warnings(coproc_capi_objs)

# libcoproc.dll (+ import library libcoproc.dll.a). COPROC_API is
# __declspec(dllexport) while building, so only coproc_* are exported.
add_library(coproc SHARED $<TARGET_OBJECTS:coproc_capi_objs> $<TARGET_OBJECTS:coproc_core_objs>)
target_link_libraries(coproc PRIVATE protocol coproc_asio coproc_msgpack)
target_include_directories(coproc PUBLIC
  $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
  $<BUILD_INTERFACE:${CMAKE_CURRENT_BINARY_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_link_options(coproc PRIVATE -Wl,--no-undefined)
set_target_properties(coproc PROPERTIES OUTPUT_NAME coproc PREFIX "lib")

file(GLOB COPROCCTL_WIN32_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/coprocctl/*.cc)
add_executable(coprocctl ${COPROCCTL_WIN32_SOURCES} $<TARGET_OBJECTS:coproc_capi_objs>)
target_include_directories(coprocctl PRIVATE src src/coprocctl)
target_link_libraries(coprocctl PRIVATE coproc_client)
target_compile_definitions(coprocctl PRIVATE COPROC_STATIC)  # C ABI linked in, not imported
coproc_warnings(coprocctl)

install(TARGETS coproc coprocctl
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY include/coproc DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "coproc.h" PATTERN "mail.h" PATTERN "http.h" PATTERN "client.hpp"
  PATTERN "export.h")
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/include/coproc/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/coproc)
