// A fresh directory under $TMPDIR (or /tmp) for one test's broker data, logs and certificates.
// Removed on destruction unless the test failed (then its path is printed so logs can be read).
#pragma once

#include <string>

namespace arkmq::test {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Writes `text` to `path`, replacing it. Throws std::runtime_error on failure.
void write_file(const std::string& path, const std::string& text);
// The whole file, or "" if it cannot be read.
std::string read_file(const std::string& path);

}  // namespace arkmq::test
