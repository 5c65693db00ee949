# client-lib on Windows (mingw-w64): the same C++ core over named pipes,
# libcoproc.dll with the whole C ABI (coproc.h, mail.h, http.h),
# coprocctl.exe. Statically linked (toolchain-mingw64.cmake), so the DLL
# imports only system DLLs. Pipes carry no file descriptors: attachments
# travel as bytes and saved bodies come back in the reply (local_file.h).

# coproc_core_objs, coproc_capi_objs, coproc_client, coproc and coprocctl
# come from client-lib/CMakeLists.txt.

# libcoproc.dll (+ import library libcoproc.dll.a). COPROC_API is
# __declspec(dllexport) while building, so only coproc_* are exported.
set_target_properties(coproc PROPERTIES OUTPUT_NAME coproc PREFIX "lib")
target_compile_definitions(coprocctl PRIVATE COPROC_STATIC)  # C ABI linked in, not imported

install(TARGETS coproc coprocctl
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY include/coproc DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "coproc.h" PATTERN "mail.h" PATTERN "http.h" PATTERN "client.hpp"
  PATTERN "export.h")
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/include/coproc/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/coproc)
