#include "endpoint_win32.h"

#include <windows.h>
#include <sddl.h>

#include <cstring>

#include "win32_error.h"

namespace coproc {
namespace {

constexpr DWORD kPipeBufferBytes = 64 * 1024;
constexpr std::size_t kMaxPipePath = 256;

}  // namespace

bool pipe_path(const std::string& name, std::string* out, std::string* error) {
  const std::string prefix = kPipePrefix;
  std::string path = name.compare(0, prefix.size(), prefix) == 0 ? name : prefix + name;
  const std::string rest = path.substr(prefix.size());
  if (rest.empty()) {
    *error = "the pipe name is empty";
    return false;
  }
  if (rest.find('\\') != std::string::npos) {
    *error = "a pipe name may not contain a backslash after " + prefix + ": " + name;
    return false;
  }
  if (path.size() > kMaxPipePath) {
    *error = "pipe name is " + std::to_string(path.size()) + " characters, longer than the " +
             std::to_string(kMaxPipePath) + " Windows allows: " + name;
    return false;
  }
  *out = std::move(path);
  return true;
}

PipeEndpoint::~PipeEndpoint() {
  if (first_) ::CloseHandle(first_);
  if (security_descriptor_) ::LocalFree(security_descriptor_);
}

bool PipeEndpoint::open(const std::string& path, const std::string& sddl, std::string* error) {
  path_ = path;
  wide_path_ = widen(path);
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(widen(sddl).c_str(), SDDL_REVISION_1,
                                                              &sd, nullptr)) {
    *error = "server.pipe_sddl is not a valid security descriptor (" + sddl +
             "): " + win32_message(::GetLastError());
    return false;
  }
  security_descriptor_ = sd;
  first_ = create(true, error);
  if (!first_) return false;
  // FILE_FLAG_FIRST_PIPE_INSTANCE already refuses a name in use on Windows;
  // counting the instances also catches it where the flag is not enforced
  // (Wine 8), so a second server never shares the name with the first.
  DWORD instances = 0;
  if (::GetNamedPipeHandleStateW(first_, nullptr, &instances, nullptr, nullptr, nullptr, 0) &&
      instances > 1) {
    ::CloseHandle(first_);
    first_ = nullptr;
    *error = "another process already serves " + path_ + " (" + std::to_string(instances - 1) +
             " instance(s) exist)";
    return false;
  }
  return true;
}

void* PipeEndpoint::take_first() {
  void* h = first_;
  first_ = nullptr;
  return h;
}

void* PipeEndpoint::create_instance(std::string* error) const { return create(false, error); }

void* PipeEndpoint::create(bool first, std::string* error) const {
  SECURITY_ATTRIBUTES sa{};
  sa.nLength = sizeof sa;
  sa.lpSecurityDescriptor = security_descriptor_;
  sa.bInheritHandle = FALSE;
  DWORD open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED;
  if (first) open_mode |= FILE_FLAG_FIRST_PIPE_INSTANCE;
  HANDLE h = ::CreateNamedPipeW(wide_path_.c_str(), open_mode,
                                PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT |
                                    PIPE_REJECT_REMOTE_CLIENTS,
                                PIPE_UNLIMITED_INSTANCES, kPipeBufferBytes, kPipeBufferBytes, 0,
                                &sa);
  if (h == INVALID_HANDLE_VALUE) {
    const DWORD err = ::GetLastError();
    if (first && (err == ERROR_ACCESS_DENIED || err == ERROR_PIPE_BUSY)) {
      *error = "another process already serves " + path_ + " (" + win32_message(err) + ")";
    } else {
      *error = "cannot create the named pipe " + path_ + ": " + win32_message(err);
    }
    return nullptr;
  }
  return h;
}

}  // namespace coproc
