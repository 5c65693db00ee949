// Who may connect to the Unix sockets coproc.sock and control.sock:
// server.socket_mode and server.allowed_group. The same setting holds
// whoever creates the sockets: the service or the co-process binding them
// (listen_unix), the service fixing sockets that systemd made
// (apply_socket_access), and coproc.socket's SocketMode=/SocketGroup=,
// which the systemd generator writes from it (socket_unit_settings).
// POSIX only: on Windows the pipe's DACL (server.pipe_sddl) decides.
#pragma once

#include <string>

#include "config.h"

namespace coproc {

struct SocketAccess {
  unsigned mode = 0666;
  std::string group;  // empty: the sockets keep the group they were made with
};

/// A mode as the messages about sockets and files write it: "0660".
std::string octal_mode(unsigned mode);

/// Reads server.socket_mode (an octal mode) and server.allowed_group (a
/// group that must exist). False with a sentence naming the option when
/// either is wrong.
bool socket_access_from_config(const Config& config, SocketAccess* out, std::string* error);

/// Gives the socket file at `path` the mode and group of `access`. Sets
/// `*changed` to "0666 coproc:coproc -> 0660 coproc:legacy" when it had to
/// change something, to "" when the file was already so. When the group
/// cannot be given (a process may only give a file to a group it is a
/// member of, unless root), the socket is closed to everyone but its owner
/// and root (mode 0600) and false is returned with the reason: failing
/// closed, never leaving it more open than configured.
bool apply_socket_access(const std::string& path, const SocketAccess& access, std::string* changed,
                         std::string* error);

/// The [Socket] section of a coproc.socket drop-in with the SocketMode= and
/// SocketGroup= that `access` means; `config_path` is named in its comment.
std::string socket_unit_settings(const SocketAccess& access, const std::string& config_path);

}  // namespace coproc
