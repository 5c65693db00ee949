# Run by `cmake --install` (and by CPack): writes the systemd units with the
# paths of the prefix chosen at INSTALL time (cmake --install --prefix, or
# /usr for the .deb), so one build tree serves both, and installs the live
# config once. Inputs: COPROC_SRC (installer/linux), COPROC_SAMPLE_CONFIG,
# COPROC_SBINDIR and COPROC_DOCDIR (relative to the prefix, GNUInstallDirs).
set(_root "$ENV{DESTDIR}")
set(_prefix "${CMAKE_INSTALL_PREFIX}")
set(SBINDIR "${_prefix}/${COPROC_SBINDIR}")
set(DOCDIR "${_prefix}/${COPROC_DOCDIR}")

set(_unit "${_root}${_prefix}/lib/systemd/system/coproc.service")
message(STATUS "Installing: ${_unit}")
configure_file("${COPROC_SRC}/coproc.service.in" "${_unit}" @ONLY)
file(CHMOD "${_unit}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${_unit}")
set(_socket "${_root}${_prefix}/lib/systemd/system/coproc.socket")
message(STATUS "Installing: ${_socket}")
configure_file("${COPROC_SRC}/coproc.socket" "${_socket}" @ONLY)
file(CHMOD "${_socket}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${_socket}")

# The generator that writes coproc.socket's SocketMode=/SocketGroup= from
# coproc.conf (server.socket_mode, server.allowed_group).
set(_generator "${_root}${_prefix}/lib/systemd/system-generators/coproc-generator")
message(STATUS "Installing: ${_generator}")
configure_file("${COPROC_SRC}/coproc-generator.in" "${_generator}" @ONLY)
file(CHMOD "${_generator}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
     GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${_generator}")

# The live config is installed once and never overwritten by a re-install
# (an administrator edits it); the package marks it as a conffile instead.
set(_conf "${_root}/etc/coproc/coproc.conf")
if(EXISTS "${_conf}")
  message(STATUS "Keeping: ${_conf}")
else()
  message(STATUS "Installing: ${_conf}")
  file(MAKE_DIRECTORY "${_root}/etc/coproc")
  file(COPY_FILE "${COPROC_SAMPLE_CONFIG}" "${_conf}")
  file(CHMOD "${_conf}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
  list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${_conf}")
endif()
