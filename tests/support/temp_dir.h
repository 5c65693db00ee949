// A fresh directory under $TMPDIR (or /tmp), removed with its contents at
// the end of the test. Kept short so socket paths stay under 107 bytes.
#pragma once

#include <string>

namespace coproc::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// Whole content of a file ("" when missing).
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);

}  // namespace coproc::test
