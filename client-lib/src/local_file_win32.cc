#include <windows.h>

#include <algorithm>
#include <cstring>

#include "local_file.h"
#include "pipe_io_win32.h"

namespace coproc::local {
namespace {

struct Handle {
  HANDLE h;
  ~Handle() {
    if (h != INVALID_HANDLE_VALUE) ::CloseHandle(h);
  }
};

std::string failure() { return std::strerror(net::errno_for(::GetLastError())); }

}  // namespace

bool open_attachment(const std::string& path, OpenedFile* out, std::string* error) {
  Handle f{::CreateFileW(net::widen(path).c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE,
                         nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr)};
  if (f.h == INVALID_HANDLE_VALUE) {
    const DWORD attributes = ::GetFileAttributesW(net::widen(path).c_str());
    if (attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_DIRECTORY)) {
      *error = "it is a directory";
    } else {
      *error = failure();
    }
    return false;
  }
  std::string bytes;
  char buf[65536];
  for (;;) {
    DWORD n = 0;
    if (!::ReadFile(f.h, buf, sizeof buf, &n, nullptr)) {
      *error = failure();
      return false;
    }
    if (n == 0) break;
    bytes.append(buf, n);
  }
  out->fd = -1;
  out->bytes = std::move(bytes);
  return true;
}

// The body arrives in the reply: the temporary file beside the target is
// created now (so a folder that cannot be written fails before the call),
// filled and renamed over the target when the request succeeded.
void rewind(int) noexcept {}

void close(int) noexcept {}

std::string base_name(const std::string& path) {
  const std::size_t slash = path.find_last_of("/\\");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace coproc::local
