// Windows: named pipes carry no descriptors, so fd() stays -1 and the body
// comes back in the reply. The temporary file beside the target is created
// at open() (a folder that cannot be written fails before the call), filled
// by write() and renamed over the target by finish(true).
#include <windows.h>

#include <algorithm>
#include <cstring>

#include "output_file.h"
#include "pipe_io_win32.h"

namespace coproc {
namespace {

std::string reason() { return std::strerror(net::errno_for(::GetLastError())); }

}  // namespace

bool OutputFile::open(const std::string& path, std::string* error) {
  finish(false);
  path_ = path;
  fd_ = -1;
  temp_ = path + ".coproc-" + std::to_string(::GetCurrentProcessId()) + "-" +
          std::to_string(::GetTickCount64());
  HANDLE h = ::CreateFileW(net::widen(temp_).c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW,
                           FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) {
    *error = "cannot open output file '" + path + "': " + reason();
    temp_.clear();
    return false;
  }
  ::CloseHandle(h);
  return true;
}

bool OutputFile::write(std::string_view body, std::string* error) {
  HANDLE h = ::CreateFileW(net::widen(temp_).c_str(), GENERIC_WRITE, 0, nullptr, TRUNCATE_EXISTING,
                           FILE_ATTRIBUTE_NORMAL, nullptr);
  bool ok = h != INVALID_HANDLE_VALUE;
  std::size_t done = 0;
  while (ok && done < body.size()) {
    const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(body.size() - done, 1u << 30));
    DWORD written = 0;
    ok = ::WriteFile(h, body.data() + done, chunk, &written, nullptr) != 0;
    done += written;
  }
  if (!ok) *error = "cannot write output file '" + path_ + "': " + reason();
  if (h != INVALID_HANDLE_VALUE) ::CloseHandle(h);
  return ok;
}

void OutputFile::finish(bool ok) {
  if (temp_.empty()) return;
  const std::wstring temp = net::widen(temp_);
  if (!ok || !::MoveFileExW(temp.c_str(), net::widen(path_).c_str(), MOVEFILE_REPLACE_EXISTING)) {
    ::DeleteFileW(temp.c_str());
  }
  temp_.clear();
}

}  // namespace coproc
