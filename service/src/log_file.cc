#include "log_file.h"

#include <filesystem>
#include <system_error>

namespace coproc {
namespace fs = std::filesystem;

RotatingLogFile::RotatingLogFile(std::string path, std::uint64_t max_bytes, int keep)
    : path_(std::move(path)), max_bytes_(max_bytes), keep_(keep) {}

bool RotatingLogFile::open(std::string* error) {
  std::lock_guard<std::mutex> lk(mu_);
  const fs::path p = fs::u8path(path_);
  std::error_code ec;
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  if (ec) {
    *error = "cannot create the log folder " + p.parent_path().u8string() + ": " + ec.message();
    return false;
  }
  out_.open(p, std::ios::binary | std::ios::app);
  if (!out_) {
    *error = "cannot open the log file " + path_;
    return false;
  }
  const auto size = fs::file_size(p, ec);
  size_ = ec ? 0 : size;
  return true;
}

void RotatingLogFile::write(std::string_view line) {
  std::lock_guard<std::mutex> lk(mu_);
  if (!out_.is_open()) return;
  if (size_ > 0 && size_ + line.size() > max_bytes_) rotate();
  out_.write(line.data(), static_cast<std::streamsize>(line.size()));
  out_.flush();
  size_ += line.size();
}

void RotatingLogFile::rotate() {
  out_.close();
  std::error_code ec;
  const auto numbered = [this](int n) { return fs::u8path(path_ + "." + std::to_string(n)); };
  fs::remove(numbered(keep_), ec);
  for (int n = keep_ - 1; n >= 1; --n) {
    if (fs::exists(numbered(n), ec)) fs::rename(numbered(n), numbered(n + 1), ec);
  }
  if (keep_ >= 1) {
    fs::rename(fs::u8path(path_), numbered(1), ec);
  } else {
    fs::remove(fs::u8path(path_), ec);
  }
  out_.open(fs::u8path(path_), std::ios::binary | std::ios::trunc);
  size_ = 0;
}

}  // namespace coproc
