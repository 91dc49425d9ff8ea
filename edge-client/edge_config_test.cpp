// Config parsing and validation, and `arkmq-edge --check-config` on docs/edge.md's example.
#include "edge-client/edge_config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "edge-client/announcement.hpp"
#include "edge-client/edge_fixture.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

namespace arkmq::edge {
namespace {

using namespace std::chrono_literals;

const std::string kMinimal =
    "[node]\nname = \"edge-1\"\n"
    "[cloud]\nurl = \"mqtt://127.0.0.1:1883\"\n"
    "[[service]]\nname = \"plc\"\nmethods = [\"read\"]\nbackend = \"http://127.0.0.1:8080/api\"\n";

std::string docs_example() {
  std::ifstream in(ARKMQ_EDGE_DOCS);
  std::stringstream text;
  text << in.rdbuf();
  const std::string docs = text.str();
  const auto start = docs.find("```toml\n");
  const auto end = docs.find("```\n", start + 8);
  if (start == std::string::npos || end == std::string::npos) return "";
  return docs.substr(start + 8, end - start - 8);
}

TEST(EdgeConfig, MinimalFileGetsDefaults) {
  auto config = parse_config_text(kMinimal, "edge.toml");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->node, "edge-1");
  EXPECT_EQ(config->cloud.url, "tcp://127.0.0.1:1883");
  EXPECT_EQ(config->cloud.client_id, "edge-1");
  EXPECT_EQ(config->local.status_topic, "arkmq-edge/status");
  EXPECT_TRUE(config->loop_prevention);
  ASSERT_EQ(config->services.size(), 1U);
  EXPECT_EQ(config->services[0].backend.kind, BackendKind::http);
  EXPECT_EQ(config->services[0].backend.port, 8080);
  EXPECT_EQ(config->services[0].backend.path, "/api");
  EXPECT_EQ(config_summary(*config), "config OK: node edge-1, 1 services, 0 bridge rules");
}

TEST(EdgeConfig, DocsExampleIsValid) {
  const std::string example = docs_example();
  ASSERT_FALSE(example.empty());
  auto config = parse_config_text(example, "docs/edge.md");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ(config->services.size(), 3U);
  EXPECT_EQ(config->bridges.size(), 2U);
}

struct BadCase {
  std::string text;
  std::string expected;  // part of the error, which always starts with the file and line
};

TEST(EdgeConfig, BadFilesNameFileLineAndProblem) {
  const std::vector<BadCase> cases = {
      {"[node]\nname = \"a/b\"\n[cloud]\nurl = \"mqtt://h:1\"\n", "edge.toml:2:"},
      {"[node]\nname = \"n\"\n", "[cloud] is required"},
      {"[node]\nname = \"n\"\n[cloud]\nurl = \"http://h:1\"\n", "url scheme"},
      {"[node]\nname = \"n\"\nnmae = 1\n[cloud]\nurl = \"mqtt://h:1\"\n", "edge.toml:3:1: unknown key node.nmae"},
      {"[node]\nname = \"n\"\n[cloud]\nurl = \"mqtts://h:1\"\n", "needs ca"},
      {kMinimal + "[[service]]\nname = \"plc\"\nmethods = [\"x\"]\nbackend = \"tcp://h:1\"\n", "defined twice"},
      {"[node]\nname = \"n\"\n[cloud]\nurl = \"mqtt://h:1\"\n[[service]]\nname = \"s\"\nmethods = []\nbackend = \"tcp://h:1\"\n",
       "at least one method"},
      {"[node]\nname = \"n\"\n[cloud]\nurl = \"mqtt://h:1\"\n[[service]]\nname = \"s\"\nmethods = [\"m\"]\nbackend = \"ftp://h:1\"\n",
       "backend must be"},
      {"[node]\nname = \"n\"\n[cloud]\nurl = \"mqtt://h:1\"\n[[service]]\nname = \"s\"\nmethods = [\"m\"]\nbackend = \"mqtt://h:1\"\n",
       "needs a topic"},
      {"[node]\nname = \"n\"\n[cloud]\nurl = \"mqtt://h:1\"\n[[service]]\nname = \"s\"\nmethods = [\"m\"]\nbackend = \"tcp://h:99999\"\n",
       "1-65535"},
      {"[node]\nname = \"n\"\n[cloud]\nurl = \"mqtt://h:1\"\n[[bridge]]\ndirection = \"out\"\nlocal = \"a/#\"\ncloud = \"b/+\"\n",
       "same wildcard levels"},
      {"[node]\nname = \"n\"\n[cloud]\nurl = \"mqtt://h:1\"\n[[bridge]]\ndirection = \"sideways\"\nlocal = \"a/#\"\ncloud = \"b/#\"\n",
       "direction"},
      {"[node]\nname = = \"n\"\n", "edge.toml:2:"},
  };
  for (const auto& c : cases) {
    auto config = parse_config_text(c.text, "edge.toml");
    ASSERT_FALSE(config) << c.text;
    EXPECT_EQ(config.error().rfind("edge.toml:", 0), 0U) << config.error();
    EXPECT_NE(config.error().find(c.expected), std::string::npos) << config.error();
  }
}

TEST(EdgeConfig, CheckConfigCommandAcceptsTheDocsExampleAndRejectsABadFile) {
  arkmq::test::TempDir dir("arkmq-edge-cfg");
  arkmq::test::write_file(dir.file("good.toml"), docs_example());
  auto good = arkmq::test::run_command({edge::test::edge_binary(), "--check-config", dir.file("good.toml")}, 10s);
  EXPECT_TRUE(good.ok()) << good.output;
  EXPECT_NE(good.output.find("config OK: node edge-plant-3, 3 services, 2 bridge rules"), std::string::npos)
      << good.output;

  arkmq::test::write_file(dir.file("bad.toml"), "[node]\nname = \"n\"\n[cloud]\nurl = \"mqtt://h:1\"\nport = 3\n");
  auto bad = arkmq::test::run_command({edge::test::edge_binary(), "--check-config", dir.file("bad.toml")}, 10s);
  EXPECT_TRUE(bad.status.exited);
  EXPECT_EQ(bad.status.code, 2);
  EXPECT_NE(bad.output.find("bad.toml:5:1: unknown key cloud.port"), std::string::npos) << bad.output;
}

TEST(Announcement, HasTheSpecFieldsAndNoBackendAddress) {
  auto config = parse_config_text(kMinimal, "edge.toml");
  ASSERT_TRUE(config);
  const std::string json = announcement_json(config->services[0], {{"site", "plant-3"}}, false, 10s);
  EXPECT_EQ(json,
            R"({"available":false,"description":"","heartbeat_s":10,"labels":{"site":"plant-3"},)"
            R"("methods":["read"],"service":"plc","version":""})");
  EXPECT_EQ(json.find("127.0.0.1"), std::string::npos);
  EXPECT_EQ(json.find("8080"), std::string::npos);
  EXPECT_EQ(json.find("api"), std::string::npos);
  EXPECT_EQ(announce_topic("edge-1", "plc"), "$svc/announce/edge-1/plc");
}

}  // namespace
}  // namespace arkmq::edge
