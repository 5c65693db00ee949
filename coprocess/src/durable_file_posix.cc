#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "durable_file.h"

namespace coproc {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

void write_all(int fd, std::string_view content, const std::string& path) {
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write " + path);
    done += static_cast<std::size_t>(n);
  }
}

void write_through_temp(const std::string& dir, const std::string& name, std::string_view content,
                        bool flush) {
  const std::string tmp = dir + "/." + name + ".tmp";
  const std::string final_path = dir + "/" + name;
  {
    Fd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    if (f.fd < 0) fail("cannot create " + tmp);
    try {
      write_all(f.fd, content, tmp);
      if (flush && ::fsync(f.fd) != 0) fail("cannot fsync " + tmp);
    } catch (...) {
      remove_file(tmp);
      throw;
    }
  }
  try {
    rename_file(tmp, final_path);
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
  if (names.empty()) return;
#ifdef __linux__
  Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0) fail("cannot open directory " + dir);
  if (::syncfs(d.fd) != 0) fail("cannot flush the file system of " + dir);
#else
  for (const std::string& name : names) {
    const std::string path = dir + "/" + name;
    Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (f.fd < 0 && errno == ENOENT) continue;
    if (f.fd < 0) fail("cannot open " + path);
    if (::fsync(f.fd) != 0) fail("cannot fsync " + path);
  }
  fsync_directory(dir);
#endif
}

void rename_file(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) fail("cannot rename " + from + " to " + to);
}

void fsync_directory(const std::string& dir) {
  Fd f{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (f.fd < 0) fail("cannot open directory " + dir);
  if (::fsync(f.fd) != 0) fail("cannot fsync directory " + dir);
}

std::string read_whole_file(const std::string& path) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) fail("cannot open " + path);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot read " + path);
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

std::string read_file_range(const std::string& path, std::uint64_t offset, std::size_t size) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) fail("cannot open " + path);
  std::string out(size, '\0');
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(f.fd, out.data() + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot read " + path);
    if (n == 0) throw std::runtime_error(path + " is truncated");
    done += static_cast<std::size_t>(n);
  }
  return out;
}

std::vector<std::string> list_directory(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) fail("cannot read directory " + dir);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(d);
  return names;
}

bool remove_file(const std::string& path, std::string* error) noexcept {
  if (::unlink(path.c_str()) == 0 || errno == ENOENT) return true;
  if (error) {
    try {
      *error = "cannot remove " + path + ": " + std::strerror(errno);
    } catch (...) {
    }
  }
  return false;
}

void remove_file_checked(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) fail("cannot remove " + path);
}

void make_private_directory(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) fail("cannot create " + dir);
}

void AppendFile::open(const std::string& path, bool create) {
  close();
  const int flags = O_WRONLY | O_APPEND | O_CLOEXEC | (create ? O_CREAT : 0);
  const int fd = ::open(path.c_str(), flags, 0600);
  if (fd < 0) fail("cannot open " + path);
  path_ = path;
  handle_ = fd;
}

void AppendFile::append(std::string_view data) {
  write_all(static_cast<int>(handle_), data, path_);
}

void AppendFile::sync() {
  // The file's size is part of what fdatasync writes: appends are durable.
  if (::fdatasync(static_cast<int>(handle_)) != 0) fail("cannot flush " + path_);
}

void AppendFile::truncate(std::uint64_t size) {
  if (::ftruncate(static_cast<int>(handle_), static_cast<off_t>(size)) != 0) {
    fail("cannot truncate " + path_);
  }
}

void AppendFile::close() noexcept {
  if (handle_ >= 0) ::close(static_cast<int>(handle_));
  handle_ = -1;
}

}  // namespace coproc
