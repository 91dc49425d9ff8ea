// --check-config: every error of a file at once with its line, the resolve-time checks per part,
// data_dir usability without creating it, and the exit codes.
#include "broker/app/config_check.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

namespace arkmq::app {
namespace {

namespace fs = std::filesystem;

class ConfigCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    dir_ = fs::temp_directory_path() / ("arkmq-check-" + std::to_string(random()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::permissions(dir_, fs::perms::owner_all, ignored);
    fs::remove_all(dir_, ignored);
  }
  std::string write(const std::string& text) {
    const std::string path = (dir_ / "arkmq.toml").string();
    std::ofstream(path) << text;
    return path;
  }
  CommandLine flags_for(const std::string& path) {
    CommandLine flags;
    flags.check_config = path;
    return flags;
  }
  fs::path dir_;
};

bool has(const std::vector<std::string>& errors, const std::string& prefix,
         const std::string& part) {
  for (const auto& error : errors) {
    if (error.starts_with(prefix) && error.find(part) != std::string::npos) return true;
  }
  return false;
}

TEST_F(ConfigCheck, ReportsEveryParseAndResolveErrorWithItsLine) {
  const std::string path = write(
      "maximum_qos = 5\n"                                     // 1: range
      "[[listener]]\nurl = \"mqtt://127.0.0.1\"\n"            // 2: bad URL (resolve)
      "[[listener]]\nurl = \"mqtts://127.0.0.1:0\"\n"         // 4: TLS file missing (resolve)
      "tls_cert = \"/nonexistent/c.pem\"\ntls_key = \"/nonexistent/k.pem\"\n"
      "[audit]\nenabled = true\n"                              // 9: audit without data_dir
      "[log]\nformat = \"xml\"\n");                            // 11: bad format
  const auto errors = check_config(flags_for(path));
  ASSERT_EQ(errors.size(), 5U) << ::testing::PrintToString(errors);
  EXPECT_TRUE(has(errors, path + ":1:", "maximum_qos"));
  EXPECT_TRUE(has(errors, path + ":2:", "missing ':PORT'"));
  EXPECT_TRUE(has(errors, path + ":4:", "cannot be read"));
  EXPECT_TRUE(has(errors, path + ":9:", "data_dir"));
  EXPECT_TRUE(has(errors, path + ":11:", "'format'"));
  EXPECT_TRUE(errors[0].starts_with(path + ":1:")) << "in file order";
}

TEST_F(ConfigCheck, AGoodFileIsOkAndCreatesNothing) {
  const fs::path data = dir_ / "data" / "nested";
  const std::string path = write("data_dir = \"" + data.string() +
                                 "\"\n[[listener]]\nurl = \"mqtt://127.0.0.1:1\"\n");
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(run_config_check(flags_for(path), out, err), 0) << err.str();
  EXPECT_EQ(out.str(), path + ": configuration OK\n");
  EXPECT_EQ(err.str(), "");
  EXPECT_FALSE(fs::exists(dir_ / "data"));
}

TEST_F(ConfigCheck, TwoListenersOnOnePortAreAnError) {
  const std::string path = write(
      "[[listener]]\nurl = \"mqtt://127.0.0.1:1883\"\n"
      "[[listener]]\nurl = \"mqtt://127.0.0.1:0\"\n"
      "[[listener]]\nurl = \"mqtt://127.0.0.1:0\"\n"
      "[[listener]]\nurl = \"mqtt://0.0.0.0:1883\"\n"
      "[[listener]]\nurl = \"mqtt://[::1]:1883\"\n");
  const auto errors = check_config(flags_for(path));
  ASSERT_EQ(errors.size(), 1U) << ::testing::PrintToString(errors);
  EXPECT_TRUE(has(errors, path + ":7:", "binds the port of mqtt://127.0.0.1:1883"));
}

TEST_F(ConfigCheck, AnUnusableDataDirIsAnErrorNamingItsLine) {
  std::ofstream(dir_ / "plain-file") << "x";
  const std::string path = write("\ndata_dir = \"" + (dir_ / "plain-file").string() + "\"\n");
  const auto errors = check_config(flags_for(path));
  ASSERT_EQ(errors.size(), 1U) << ::testing::PrintToString(errors);
  EXPECT_TRUE(has(errors, path + ":2:", "not a directory"));
  if (::geteuid() != 0) {  // root may write anywhere
    fs::create_directories(dir_ / "locked");
    fs::permissions(dir_ / "locked", fs::perms::owner_read | fs::perms::owner_exec);
    const std::string locked =
        write("data_dir = \"" + (dir_ / "locked" / "data").string() + "\"\n");
    EXPECT_TRUE(has(check_config(flags_for(locked)), locked + ":1:", "not writable"));
    fs::permissions(dir_ / "locked", fs::perms::owner_all);
  }
}

TEST_F(ConfigCheck, ASyntaxErrorOrAMissingFileIsOneErrorAndExitCode1) {
  const std::string path = write("a = \n");
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(run_config_check(flags_for(path), out, err), 1);
  EXPECT_NE(err.str().find(path + ":1:"), std::string::npos) << err.str();
  EXPECT_EQ(out.str(), "");
  const auto missing = check_config(flags_for((dir_ / "none.toml").string()));
  ASSERT_EQ(missing.size(), 1U);
  EXPECT_NE(missing[0].find("cannot read"), std::string::npos) << missing[0];
}

TEST(ConfigErrorPrinting, EachLineIsPrefixed) {
  std::ostringstream err;
  print_config_error(err, ConfigError("a:1:1: one\na:2:1: two"));
  EXPECT_EQ(err.str(),
            "arkmq-broker: config error: a:1:1: one\narkmq-broker: config error: a:2:1: two\n");
}

}  // namespace
}  // namespace arkmq::app
