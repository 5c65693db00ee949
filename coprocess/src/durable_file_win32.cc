#include <windows.h>

#include <algorithm>
#include <stdexcept>
#include <system_error>

#include "durable_file.h"
#include "win32_error.h"

namespace coproc {
namespace {

[[noreturn]] void fail(const std::string& what, DWORD code = ::GetLastError()) {
  throw std::system_error(static_cast<int>(code), std::system_category(),
                          what + ": " + win32_message(code));
}

struct Handle {
  HANDLE h;
  ~Handle() {
    if (h != INVALID_HANDLE_VALUE) ::CloseHandle(h);
  }
};

HANDLE open_file(const std::string& path, DWORD access, DWORD disposition) {
  // FILE_SHARE_DELETE: the outbox may rename or remove a file a reader holds.
  return ::CreateFileW(widen(path).c_str(), access,
                       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                       disposition, FILE_ATTRIBUTE_NORMAL, nullptr);
}

void write_all(HANDLE h, std::string_view content, const std::string& path) {
  std::size_t done = 0;
  while (done < content.size()) {
    const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(content.size() - done, 1u << 30));
    DWORD written = 0;
    if (!::WriteFile(h, content.data() + done, chunk, &written, nullptr)) fail("cannot write " + path);
    done += written;
  }
}

}  // namespace

namespace {

void write_through_temp(const std::string& dir, const std::string& name, std::string_view content,
                        bool flush) {
  const std::string tmp = dir + "/." + name + ".tmp";
  {
    Handle f{open_file(tmp, GENERIC_WRITE, CREATE_ALWAYS)};
    if (f.h == INVALID_HANDLE_VALUE) fail("cannot create " + tmp);
    try {
      write_all(f.h, content, tmp);
      if (flush && !::FlushFileBuffers(f.h)) fail("cannot flush " + tmp);
    } catch (...) {
      ::CloseHandle(f.h);
      f.h = INVALID_HANDLE_VALUE;
      remove_file(tmp);
      throw;
    }
  }
  try {
    rename_file(tmp, dir + "/" + name);
  } catch (...) {
    remove_file(tmp);
    throw;
  }
}

}  // namespace

void write_file_durably(const std::string& dir, const std::string& name, std::string_view content,
                        bool sync_dir) {
  write_through_temp(dir, name, content, true);
  if (sync_dir) fsync_directory(dir);
}

void write_file_unflushed(const std::string& dir, const std::string& name, std::string_view content) {
  write_through_temp(dir, name, content, false);
}

void flush_files(const std::string& dir, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    const std::string path = dir + "/" + name;
    Handle f{open_file(path, GENERIC_WRITE, OPEN_EXISTING)};
    if (f.h == INVALID_HANDLE_VALUE) {
      const DWORD code = ::GetLastError();
      if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND) continue;
      fail("cannot open " + path, code);
    }
    if (!::FlushFileBuffers(f.h)) fail("cannot flush " + path);
  }
}

void rename_file(const std::string& from, const std::string& to) {
  // Returns only once the rename is on disk: no directory flush is needed.
  if (!::MoveFileExW(widen(from).c_str(), widen(to).c_str(),
                     MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    fail("cannot rename " + from + " to " + to);
  }
}

void fsync_directory(const std::string&) {}

std::string read_whole_file(const std::string& path) {
  Handle f{open_file(path, GENERIC_READ, OPEN_EXISTING)};
  if (f.h == INVALID_HANDLE_VALUE) fail("cannot open " + path);
  std::string out;
  char buf[65536];
  for (;;) {
    DWORD n = 0;
    if (!::ReadFile(f.h, buf, sizeof buf, &n, nullptr)) fail("cannot read " + path);
    if (n == 0) break;
    out.append(buf, n);
  }
  return out;
}

std::string read_file_range(const std::string& path, std::uint64_t offset, std::size_t size) {
  Handle f{open_file(path, GENERIC_READ, OPEN_EXISTING)};
  if (f.h == INVALID_HANDLE_VALUE) fail("cannot open " + path);
  std::string out(size, '\0');
  std::size_t done = 0;
  while (done < size) {
    OVERLAPPED at{};
    const std::uint64_t pos = offset + done;
    at.Offset = static_cast<DWORD>(pos & 0xffffffffu);
    at.OffsetHigh = static_cast<DWORD>(pos >> 32);
    const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(size - done, 1u << 30));
    DWORD n = 0;
    if (!::ReadFile(f.h, out.data() + done, chunk, &n, &at)) {
      if (::GetLastError() == ERROR_HANDLE_EOF) throw std::runtime_error(path + " is truncated");
      fail("cannot read " + path);
    }
    if (n == 0) throw std::runtime_error(path + " is truncated");
    done += n;
  }
  return out;
}

std::vector<std::string> list_directory(const std::string& dir) {
  WIN32_FIND_DATAW entry;
  HANDLE find = ::FindFirstFileW(widen(dir + "/*").c_str(), &entry);
  if (find == INVALID_HANDLE_VALUE) fail("cannot read directory " + dir);
  std::vector<std::string> names;
  do {
    std::string name = narrow(entry.cFileName);
    if (name != "." && name != "..") names.push_back(std::move(name));
  } while (::FindNextFileW(find, &entry));
  const DWORD code = ::GetLastError();
  ::FindClose(find);
  if (code != ERROR_NO_MORE_FILES) fail("cannot read directory " + dir, code);
  return names;
}

bool remove_file(const std::string& path, std::string* error) noexcept {
  try {
    if (::DeleteFileW(widen(path).c_str())) return true;
    const DWORD code = ::GetLastError();
    if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND) return true;
    if (error) *error = "cannot remove " + path + ": " + win32_message(code);
  } catch (...) {
  }
  return false;
}

void remove_file_checked(const std::string& path) {
  if (!::DeleteFileW(widen(path).c_str())) {
    const DWORD code = ::GetLastError();
    if (code != ERROR_FILE_NOT_FOUND && code != ERROR_PATH_NOT_FOUND) fail("cannot remove " + path, code);
  }
}

void make_private_directory(const std::string& dir) {
  if (!::CreateDirectoryW(widen(dir).c_str(), nullptr) && ::GetLastError() != ERROR_ALREADY_EXISTS) {
    fail("cannot create " + dir);
  }
}

void AppendFile::open(const std::string& path, bool create) {
  close();
  // FILE_APPEND_DATA without FILE_WRITE_DATA: every write goes to the end.
  HANDLE h = ::CreateFileW(widen(path).c_str(), FILE_APPEND_DATA | SYNCHRONIZE,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                           create ? OPEN_ALWAYS : OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) fail("cannot open " + path);
  path_ = path;
  handle_ = reinterpret_cast<std::intptr_t>(h);
}

void AppendFile::append(std::string_view data) {
  if (handle_ == -1) fail("cannot append to " + path_ + " (not open)", ERROR_INVALID_HANDLE);
  write_all(reinterpret_cast<HANDLE>(handle_), data, path_);
}

void AppendFile::sync() {
  if (handle_ == -1 || !::FlushFileBuffers(reinterpret_cast<HANDLE>(handle_))) {
    fail("cannot flush " + path_);
  }
}

void AppendFile::truncate(std::uint64_t size) {
  // The append handle has no FILE_WRITE_DATA, which SetEndOfFile needs.
  Handle f{open_file(path_, GENERIC_WRITE, OPEN_EXISTING)};
  if (f.h == INVALID_HANDLE_VALUE) fail("cannot open " + path_);
  LARGE_INTEGER at;
  at.QuadPart = static_cast<LONGLONG>(size);
  if (!::SetFilePointerEx(f.h, at, nullptr, FILE_BEGIN) || !::SetEndOfFile(f.h)) {
    fail("cannot truncate " + path_);
  }
}

void AppendFile::close() noexcept {
  if (handle_ != -1) ::CloseHandle(reinterpret_cast<HANDLE>(handle_));
  handle_ = -1;
}

}  // namespace coproc
