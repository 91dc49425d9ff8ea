// Keeps docs/arkmqctl.md honest: every `$ ` line of its console blocks runs, in order, in one
// fresh data dir, and must print exactly the lines shown under it (stderr interleaved).
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "tests/support/temp_dir.hpp"
#include "tools/arkmqctl/ctl_runner.hpp"

namespace arkmq::ctl::test {
namespace {

struct Example {
  std::string command;
  std::string expected;  // the lines shown after the command, joined with '\n'
  int line = 0;          // in the document, for failure messages
};

// The examples of every ```console block.
std::vector<Example> examples(const std::string& markdown) {
  std::vector<Example> found;
  std::istringstream in(markdown);
  std::string line;
  bool in_console = false;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.rfind("```", 0) == 0) {
      in_console = !in_console && line == "```console";
      continue;
    }
    if (!in_console) continue;
    if (line.rfind("$ ", 0) == 0) {
      found.push_back({line.substr(2), "", number});
    } else if (!found.empty()) {
      auto& expected = found.back().expected;
      expected += (expected.empty() ? "" : "\n") + line;
    }
  }
  return found;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

TEST(ArkmqctlDocs, EveryExampleRunsAndPrintsWhatIsShown) {
  const std::string doc = arkmq::test::read_file(ARKMQCTL_DOC);
  ASSERT_FALSE(doc.empty()) << ARKMQCTL_DOC;
  const auto all = examples(doc);
  ASSERT_GE(all.size(), 30U);
  arkmq::test::TempDir dir("arkmqctl-docs");
  const std::string data_dir = dir.file("data");
  const std::string bin_dir = std::filesystem::path(ARKMQCTL_PATH).parent_path().string();
  const char* path = std::getenv("PATH");
  for (const auto& example : all) {
    CtlRun run;
    run.program = "/bin/sh";
    run.args = {"-c", "{ " + example.command + "\n} 2>&1"};
    run.env["PATH"] = bin_dir + ":" + (path != nullptr ? path : "/usr/bin:/bin");
    run.env["ARKMQ_DATA_DIR"] = data_dir;
    run.env["SUDO_USER"] = std::nullopt;
    const auto result = run_ctl(run);
    EXPECT_EQ(result.exit_code, 0) << "docs/arkmqctl.md:" << example.line << ": "
                                   << example.command << "\n" << result.out << result.err;
    std::string shown = replace_all(result.out, data_dir, "/var/lib/arkmq");
    while (!shown.empty() && shown.back() == '\n') shown.pop_back();
    EXPECT_EQ(shown, example.expected) << "docs/arkmqctl.md:" << example.line << ": "
                                       << example.command;
  }
}

}  // namespace
}  // namespace arkmq::ctl::test
