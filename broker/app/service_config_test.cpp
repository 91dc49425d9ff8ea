// [services]: every key is read, overrides inherit the defaults, every bad value is one
// ConfigError naming the key and its line; the settings handed to the broker; the call-id source
// never hands out predictable bytes; the TOML examples in docs/configuration.md parse.
#include "broker/app/service_config.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <vector>

#include <gtest/gtest.h>

#include "broker/app/app_config.hpp"

namespace arkmq::app {
namespace {

FileConfig parse(const std::string& text) { return parse_config_text(text, "test.toml"); }

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

TEST(ServicesConfig, WithoutTheTableTheLibraryDefaultsApply) {
  const ServicesConfig config = parse("").services;
  EXPECT_EQ(config, ServicesConfig{});
  EXPECT_EQ(config.default_rates.per_caller_rate, 0U);  // unlimited
  EXPECT_EQ(config.registry.max_services, 4096U);
  EXPECT_EQ(config.registry.max_nodes_per_service, 256U);
  EXPECT_EQ(config.calls.max_per_caller, 64U);
  EXPECT_EQ(config.calls.max_total, 10000U);
  EXPECT_TRUE(config.rates.empty());
}

TEST(ServicesConfig, EveryKeyIsRead) {
  const ServicesConfig config = parse(R"(
[services]
per_caller_rate = 5
per_caller_burst = 10
total_rate = 100
total_burst = 200
max_services = 50
max_nodes_per_service = 8
max_outstanding_calls_per_caller = 16
max_outstanding_calls = 1000

[services.rates.plc]
per_caller_rate = 1
per_caller_burst = 2
total_rate = 3
total_burst = 4
)").services;
  EXPECT_EQ(config.default_rates.per_caller_rate, 5U);
  EXPECT_EQ(config.default_rates.per_caller_burst, 10U);
  EXPECT_EQ(config.default_rates.total_rate, 100U);
  EXPECT_EQ(config.default_rates.total_burst, 200U);
  EXPECT_EQ(config.registry.max_services, 50U);
  EXPECT_EQ(config.registry.max_nodes_per_service, 8U);
  EXPECT_EQ(config.calls.max_per_caller, 16U);
  EXPECT_EQ(config.calls.max_total, 1000U);
  ASSERT_EQ(config.rates.size(), 1U);
  const auto& plc = config.rates.at("plc");
  EXPECT_EQ(plc.per_caller_rate, 1U);
  EXPECT_EQ(plc.per_caller_burst, 2U);
  EXPECT_EQ(plc.total_rate, 3U);
  EXPECT_EQ(plc.total_burst, 4U);
}

TEST(ServicesConfig, AnOverrideInheritsTheKeysItDoesNotSet) {
  // Inline tables put "rates" before "total_rate" in the table: the order must not matter.
  const ServicesConfig config = parse(R"(
[services]
rates = { plc = { per_caller_rate = 10 }, scale = { total_rate = 0, per_caller_rate = 0 } }
total_rate = 100
per_caller_rate = 2
)").services;
  const auto& plc = config.rates.at("plc");
  EXPECT_EQ(plc.per_caller_rate, 10U);
  EXPECT_EQ(plc.total_rate, 100U);
  const auto& scale = config.rates.at("scale");  // explicitly unlimited
  EXPECT_EQ(scale.per_caller_rate, 0U);
  EXPECT_EQ(scale.total_rate, 0U);
}

TEST(ServicesConfig, BadValuesAreErrorsNamingTheKeyAndLine) {
  EXPECT_EQ(error_of("[services]\nper_caller_rate = -1\n"),
            "test.toml:2:19: 'services.per_caller_rate' must be between 0 and 1000000, not -1");
  EXPECT_EQ(error_of("[services]\ntotal_burst = 1000001\n"),
            "test.toml:2:15: 'services.total_burst' must be between 0 and 1000000, not 1000001");
  EXPECT_EQ(error_of("[services]\ntotal_rate = \"10\"\n"),
            "test.toml:2:14: 'services.total_rate' must be an integer");
  EXPECT_EQ(error_of("[services]\nmax_services = 0\n"),
            "test.toml:2:16: 'services.max_services' must be between 1 and 1000000, not 0");
  EXPECT_EQ(error_of("[services]\nmax_nodes_per_service = 70000\n"),
            "test.toml:2:25: 'services.max_nodes_per_service' must be between 1 and 65536, not 70000");
  EXPECT_EQ(error_of("[services]\nmax_outstanding_calls_per_caller = 0\n"),
            "test.toml:2:36: 'services.max_outstanding_calls_per_caller' must be between 1 and "
            "100000, not 0");
  EXPECT_EQ(error_of("[services]\nmax_outstanding_calls = 1.5\n"),
            "test.toml:2:25: 'services.max_outstanding_calls' must be an integer");
  EXPECT_EQ(error_of("[services]\nper_caler_rate = 1\n"),
            "test.toml:2:1: unknown key 'per_caler_rate' in [services]");
  EXPECT_EQ(error_of("services = 3\n"), "test.toml:1:12: 'services' must be a table ([services])");
}

TEST(ServicesConfig, BadOverridesAreErrorsNamingTheServiceAndKey) {
  EXPECT_EQ(error_of("[services.rates.plc]\ntotal_rate = -5\n"),
            "test.toml:2:14: 'services.rates.plc.total_rate' must be between 0 and 1000000, not -5");
  EXPECT_EQ(error_of("[services.rates.plc]\nrate = 5\n"),
            "test.toml:2:1: unknown key 'rate' in [services.rates.plc] (per_caller_rate, "
            "per_caller_burst, total_rate, total_burst)");
  EXPECT_EQ(error_of("[services]\nrates = 5\n"),
            "test.toml:2:9: 'services.rates' must be a table ([services.rates])");
  EXPECT_EQ(error_of("[services.rates]\nplc = 5\n"),
            "test.toml:2:7: 'services.rates.plc' must be a table ([services.rates.plc])");
  const std::string bad_name = error_of("[services.rates.\"a/b\"]\ntotal_rate = 1\n");
  EXPECT_NE(bad_name.find("test.toml:1:"), std::string::npos) << bad_name;
  EXPECT_NE(bad_name.find("'a/b' is not a valid service name"), std::string::npos) << bad_name;
  for (const char* name : {"\"$plc\"", "\"%plc\"", "\"a+b\"", "\"a#\"", "\"a*\"", "\"\""}) {
    const std::string text = std::string("[services.rates.") + name + "]\ntotal_rate = 1\n";
    EXPECT_NE(error_of(text).find("is not a valid service name"), std::string::npos) << name;
  }
}

TEST(ServicesConfig, ResolvedConfigCarriesTheSection) {
  const FileConfig file = parse("[services]\ntotal_rate = 7\n");
  const AppConfig config = resolve_config(CommandLine{}, file);
  EXPECT_EQ(config.services.default_rates.total_rate, 7U);
}

TEST(ServiceSettings, TheConfigBecomesTheBrokersSettingsWithASecureRandomSource) {
  ServicesConfig config;
  config.default_rates.per_caller_rate = 3;
  config.rates["plc"].total_rate = 9;
  config.registry.max_services = 12;
  config.registry.max_nodes_per_service = 3;
  config.calls.max_per_caller = 2;
  config.calls.max_total = 20;
  const core::ServiceSettings settings = service_settings(config);
  EXPECT_EQ(settings.default_rates.per_caller_rate, 3U);
  ASSERT_EQ(settings.rates.count("plc"), 1U);
  EXPECT_EQ(settings.rates.at("plc").total_rate, 9U);
  EXPECT_EQ(settings.registry.max_services, 12U);
  EXPECT_EQ(settings.registry.max_nodes_per_service, 3U);
  EXPECT_EQ(settings.calls.max_per_caller, 2U);
  EXPECT_EQ(settings.calls.max_total, 20U);
  ASSERT_TRUE(settings.random);
  std::array<std::uint8_t, 16> a{};
  std::array<std::uint8_t, 16> b{};
  settings.random(a);
  settings.random(b);
  EXPECT_NE(a, b);  // 2^-128 to fail by chance
}

TEST(SecureRandomSource, UsesTheFallbackWhenThePrimaryFails) {
  int fallback_calls = 0;
  const auto source = secure_random_source(
      [](std::span<std::uint8_t>) { return false; },
      [&fallback_calls](std::span<std::uint8_t> out) {
        ++fallback_calls;
        std::fill(out.begin(), out.end(), std::uint8_t{0xAB});
        return true;
      });
  std::array<std::uint8_t, 4> out{};
  source(out);
  EXPECT_EQ(fallback_calls, 1);
  EXPECT_EQ(out, (std::array<std::uint8_t, 4>{0xAB, 0xAB, 0xAB, 0xAB}));
}

TEST(SecureRandomSource, AbandonsTheDrawWhenNoSourceWorksAndLeavesNothingBehind) {
  const auto failing = [](std::span<std::uint8_t> out) {
    std::fill(out.begin(), out.end(), std::uint8_t{0x42});  // a partial, predictable fill
    return false;
  };
  const auto source = secure_random_source(failing, failing);
  std::array<std::uint8_t, 8> out{};
  EXPECT_THROW(source(out), std::runtime_error);
  EXPECT_EQ(out, (std::array<std::uint8_t, 8>{}));
}

TEST(SecureRandomSource, OpenSslSourceFillsLargeAndEmptySpans) {
  const auto source = openssl_random_source();
  std::vector<std::uint8_t> big(4096, 0);
  source(big);
  EXPECT_GT(std::count_if(big.begin(), big.end(), [](std::uint8_t v) { return v != 0; }), 3000);
  std::span<std::uint8_t> empty;
  source(empty);  // nothing to fill: no throw
}

// Every ```toml block of docs/configuration.md is a file the broker accepts.
TEST(ConfigurationDoc, EveryTomlExampleParses) {
  const auto path = std::filesystem::path(ARKMQ_EXAMPLES_DIR).parent_path() / "configuration.md";
  std::ifstream file(path);
  ASSERT_TRUE(file) << path;
  std::string line;
  std::string block;
  bool in_block = false;
  int blocks = 0;
  bool saw_services = false;
  while (std::getline(file, line)) {
    if (!in_block && line == "```toml") {
      in_block = true;
      block.clear();
    } else if (in_block && line == "```") {
      in_block = false;
      ++blocks;
      if (block.find("[services]") != std::string::npos) saw_services = true;
      EXPECT_NO_THROW(parse_config_text(block, "configuration.md block " + std::to_string(blocks)))
          << block;
    } else if (in_block) {
      block += line + "\n";
    }
  }
  EXPECT_FALSE(in_block);
  EXPECT_GE(blocks, 2);
  EXPECT_TRUE(saw_services);
}

TEST(ConfigurationDoc, TheServicesExampleMeansWhatTheDocSays) {
  const ServicesConfig config = parse(R"(
[services]
per_caller_rate = 5
per_caller_burst = 10
total_rate = 200
max_outstanding_calls_per_caller = 32

[services.rates.plc]
per_caller_rate = 1
total_rate = 20

[services.rates.scale]
per_caller_rate = 0
per_caller_burst = 0
total_rate = 0
total_burst = 0
)").services;
  EXPECT_EQ(config.rates.at("plc").per_caller_burst, 10U);  // inherited
  EXPECT_EQ(config.rates.at("scale").total_rate, 0U);
  EXPECT_EQ(config.calls.max_per_caller, 32U);
}

}  // namespace
}  // namespace arkmq::app
