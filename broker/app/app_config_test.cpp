// Configuration: the shipped example files load, flags override the file, and every kind of bad
// input is one ConfigError naming the file:line or the setting.
#include "broker/app/app_config.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include <gtest/gtest.h>

namespace arkmq::app {
namespace {

namespace fs = std::filesystem;

const std::string kExamples = ARKMQ_EXAMPLES_DIR;

// The error text of resolving/parsing, or "" when it succeeded.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

FileConfig parse(const std::string& text) { return parse_config_text(text, "test.toml"); }

// A temp directory holding the development PKI in var/pki (made by tools/dev-pki.sh), which is
// also the working directory while the test runs, so relative paths in examples resolve.
class AppConfigWithDevPki : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device random;
    dir_ = fs::temp_directory_path() / ("arkmq-app-" + std::to_string(random()));
    fs::create_directories(dir_);
    const auto script = fs::path(kExamples).parent_path().parent_path() / "tools" / "dev-pki.sh";
    const std::string command =
        "bash '" + script.string() + "' '" + (dir_ / "var" / "pki").string() + "' 2>/dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    previous_ = fs::current_path();
    fs::current_path(dir_);
  }
  void TearDown() override {
    fs::current_path(previous_);
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  std::string pki(const std::string& name) const { return (dir_ / "var" / "pki" / name).string(); }

  fs::path dir_;
  fs::path previous_;
};

TEST(AppConfig, WithoutFileOrFlagsListensOnLoopback1883AndDeniesAnonymous) {
  const auto config = resolve_config(CommandLine{}, std::nullopt);
  ASSERT_EQ(config.listeners.size(), 1U);
  EXPECT_EQ(config.listeners[0].url, "mqtt://127.0.0.1:1883");
  EXPECT_FALSE(config.broker.allow_anonymous);
  EXPECT_FALSE(config.listeners[0].policy.allow_anonymous);
  EXPECT_FALSE(config.listeners[0].policy.require_password);
  // Deny by default (issue 3): what no rule allows is refused.
  EXPECT_EQ(config.broker.acl_default, core::AclDefault::deny);
  EXPECT_EQ(config.client_id_pattern, "");
  EXPECT_EQ(config.log_level, "info");
  EXPECT_EQ(config.workers, 0U);
  EXPECT_TRUE(config.data_dir.empty());
}

TEST_F(AppConfigWithDevPki, CompleteExampleFileLoadsAndResolves) {
  const auto file = load_config_file(kExamples + "/arkmq.toml");
  const auto config = resolve_config(CommandLine{}, file);
  EXPECT_TRUE(config.broker.allow_anonymous);
  EXPECT_EQ(config.broker.acl_default, core::AclDefault::deny);
  EXPECT_EQ(config.client_id_pattern, "");
  EXPECT_EQ(config.broker.max_packet_size, 1048576U);
  EXPECT_EQ(config.broker.connect_timeout, std::chrono::seconds(10));
  EXPECT_EQ(config.data_dir, "var");
  ASSERT_EQ(config.listeners.size(), 2U);
  EXPECT_EQ(config.listeners[1].url, "mqtts://127.0.0.1:8883");
  EXPECT_EQ(config.listeners[1].tls.client_certs, net::ClientCertMode::optional);
  EXPECT_EQ(config.listeners[1].tls.crl_file, "var/pki/crl.pem");
  EXPECT_EQ(config.listeners[1].tls.identity, net::TlsIdentity::cn);
  // The plain listener follows the top-level allow_anonymous; the TLS one says its own.
  EXPECT_TRUE(config.listeners[0].policy.allow_anonymous);
  EXPECT_FALSE(config.listeners[1].policy.allow_anonymous);
  EXPECT_FALSE(config.listeners[1].policy.require_password);
  EXPECT_TRUE(config.audit.enabled);
  EXPECT_EQ(config.audit.capture_payloads, std::vector<std::string>{"cmd/#"});
  EXPECT_EQ(config.audit.max_age_days, 90);
}

TEST(AppConfig, MinimalExampleFileLoadsAndResolves) {
  const auto config = resolve_config(CommandLine{}, load_config_file(kExamples + "/minimal.toml"));
  EXPECT_TRUE(config.broker.allow_anonymous);
  ASSERT_EQ(config.listeners.size(), 1U);
  EXPECT_FALSE(config.audit.enabled) << "no data_dir: no journal";
}

TEST(AuditConfig, JournalIsOnByDefaultWithADataDirAndOffWithout) {
  EXPECT_FALSE(resolve_config(CommandLine{}, std::nullopt).audit.enabled);
  CommandLine flags;
  flags.data_dir = "/tmp/somewhere";
  const AppConfig config = resolve_config(flags, std::nullopt);
  EXPECT_TRUE(config.audit.enabled);
  EXPECT_EQ(config.audit.publishes, AuditPublishes::summary);  // docs/audit.md: the decision
  EXPECT_TRUE(config.audit.capture_payloads.empty());
  EXPECT_EQ(config.audit.queue_capacity, 65536U);
  EXPECT_EQ(config.audit.overflow, AuditOverflow::drop);
  EXPECT_EQ(config.audit.max_age_days, 0);
  EXPECT_EQ(config.audit.max_rows, 0);
}

TEST(AuditConfig, PublishesAcceptsAllSummaryAndNone) {
  for (const auto& [text, expected] :
       {std::pair{"all", AuditPublishes::all}, std::pair{"summary", AuditPublishes::summary},
        std::pair{"none", AuditPublishes::none}}) {
    const auto file =
        parse(std::string("data_dir = \"d\"\n[audit]\npublishes = \"") + text + "\"\n");
    EXPECT_EQ(resolve_config(CommandLine{}, file).audit.publishes, expected) << text;
  }
}

TEST(AuditConfig, EveryKeyIsRead) {
  const auto file = parse(
      "data_dir = \"d\"\n[audit]\nenabled = true\npublishes = \"none\"\n"
      "capture_payloads = [\"a/#\", \"b/+/c\"]\nqueue_capacity = 100\noverflow = \"block\"\n"
      "max_age_days = 7\nmax_rows = 5000\n");
  const AppConfig config = resolve_config(CommandLine{}, file);
  EXPECT_TRUE(config.audit.enabled);
  EXPECT_EQ(config.audit.publishes, AuditPublishes::none);
  EXPECT_EQ(config.audit.capture_payloads, (std::vector<std::string>{"a/#", "b/+/c"}));
  EXPECT_EQ(config.audit.queue_capacity, 100U);
  EXPECT_EQ(config.audit.overflow, AuditOverflow::block);
  EXPECT_EQ(config.audit.max_age_days, 7);
  EXPECT_EQ(config.audit.max_rows, 5000);
}

TEST(AuditConfig, EnabledFalseTurnsTheJournalOff) {
  const auto file = parse("data_dir = \"d\"\n[audit]\nenabled = false\n");
  EXPECT_FALSE(resolve_config(CommandLine{}, file).audit.enabled);
}

TEST(AuditConfig, EnabledWithoutDataDirIsAnErrorNamingTheLine) {
  const auto file = parse("[audit]\nenabled = true\n");
  const std::string error = error_of([&] { resolve_config(CommandLine{}, file); });
  EXPECT_NE(error.find("test.toml:2:"), std::string::npos) << error;
  EXPECT_NE(error.find("data_dir"), std::string::npos) << error;
  CommandLine flags;
  flags.data_dir = "d";  // a --data-dir is a data dir too
  EXPECT_TRUE(resolve_config(flags, file).audit.enabled);
}

TEST(AuditConfig, BadValuesAreErrorsNamingTheKeyAndLine) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"[audit]\npublishes = \"some\"\n", "'publishes'"},
      {"[audit]\npublishes = 1\n", "'publishes'"},
      {"[audit]\nenabled = \"yes\"\n", "'enabled'"},
      {"[audit]\ncapture_payloads = \"a/#\"\n", "'capture_payloads'"},
      {"[audit]\ncapture_payloads = [\"a/#/b\"]\n", "'a/#/b'"},
      {"[audit]\ncapture_payloads = [1]\n", "'capture_payloads'"},
      {"[audit]\nqueue_capacity = 0\n", "'queue_capacity'"},
      {"[audit]\noverflow = \"wait\"\n", "'overflow'"},
      {"[audit]\nmax_age_days = -1\n", "'max_age_days'"},
      {"[audit]\nmax_rows = 1\n", "'max_rows'"},
      {"[audit]\nsurprise = 1\n", "unknown key 'surprise' in [audit]"},
      {"audit = 3\n", "'audit'"},
  };
  for (const auto& [text, expected] : cases) {
    const std::string error = error_of([&] { parse(text); });
    EXPECT_NE(error.find("test.toml:"), std::string::npos) << text << " -> " << error;
    EXPECT_NE(error.find(expected), std::string::npos) << text << " -> " << error;
  }
}

TEST(AppConfig, EveryBrokerKeyIsRead) {
  const auto file = parse(
      "max_packet_size = 2000\nreceive_maximum = 10\ntopic_alias_maximum = 0\n"
      "max_keep_alive = 60\nmax_session_expiry = 3600\nmaximum_qos = 1\nretain_available = false\n"
      "wildcard_subscriptions = false\nsubscription_identifiers = false\n"
      "shared_subscriptions = false\nmax_client_id_length = 64\nmax_queued_messages = 5\n"
      "max_queued_bytes = 5000\nmax_link_buffer_bytes = 4096\nconnect_timeout = 3\n"
      "sys_interval = 0\nacl_default = \"deny\"\nworkers = 3\nv311_inflight_window = 7\n"
      "max_connections = 100\n");
  const auto& b = file.broker;
  EXPECT_EQ(b.max_packet_size, 2000U);
  EXPECT_EQ(b.receive_maximum, 10);
  EXPECT_EQ(b.topic_alias_maximum, 0);
  EXPECT_EQ(b.max_keep_alive, 60);
  EXPECT_EQ(b.max_session_expiry, 3600U);
  EXPECT_EQ(b.maximum_qos, 1);
  EXPECT_FALSE(b.retain_available);
  EXPECT_FALSE(b.wildcard_subscriptions);
  EXPECT_FALSE(b.subscription_identifiers);
  EXPECT_FALSE(b.shared_subscriptions);
  EXPECT_EQ(b.max_client_id_length, 64U);
  EXPECT_EQ(b.max_queued_messages, 5U);
  EXPECT_EQ(b.max_queued_bytes, 5000U);
  EXPECT_EQ(b.max_link_buffer_bytes, 4096U);
  EXPECT_EQ(b.connect_timeout, std::chrono::seconds(3));
  EXPECT_EQ(b.sys_interval, std::chrono::seconds(0));
  EXPECT_EQ(b.acl_default, core::AclDefault::deny);
  EXPECT_EQ(file.workers, 3U);
  EXPECT_EQ(b.v311_inflight_window, 7);
  EXPECT_EQ(b.max_connections, 100U);
}

TEST(AppConfig, ClientIdPatternIsRead) {
  const auto config = resolve_config(CommandLine{}, parse("client_id_pattern = \"%u-*\"\n"));
  EXPECT_EQ(config.client_id_pattern, "%u-*");
  EXPECT_NE(error_of([] { parse("client_id_pattern = 3\n"); }).find("client_id_pattern"),
            std::string::npos);
}

TEST(AppConfig, ListenerAllowAnonymousDefaultsToTheTopLevelSetting) {
  const auto file = parse("allow_anonymous = true\n"
                          "[[listener]]\nurl = \"mqtt://127.0.0.1:1\"\n"
                          "[[listener]]\nurl = \"mqtt://127.0.0.1:2\"\nallow_anonymous = false\n");
  const auto config = resolve_config(CommandLine{}, file);
  ASSERT_EQ(config.listeners.size(), 2U);
  EXPECT_TRUE(config.listeners[0].policy.allow_anonymous);
  EXPECT_FALSE(config.listeners[1].policy.allow_anonymous);

  const auto closed = parse("[[listener]]\nurl = \"mqtt://127.0.0.1:1\"\n"
                            "[[listener]]\nurl = \"mqtt://127.0.0.1:2\"\nallow_anonymous = true\n");
  const auto by_file = resolve_config(CommandLine{}, closed);
  EXPECT_FALSE(by_file.listeners[0].policy.allow_anonymous);
  EXPECT_TRUE(by_file.listeners[1].policy.allow_anonymous);
  // --allow-anonymous is the top-level default, so it reaches listeners without their own key.
  CommandLine flags;
  flags.allow_anonymous = true;
  EXPECT_TRUE(resolve_config(flags, closed).listeners[0].policy.allow_anonymous);
  CommandLine listen;
  listen.allow_anonymous = true;
  listen.listen = {"mqtt://127.0.0.1:3"};
  EXPECT_TRUE(resolve_config(listen, std::nullopt).listeners[0].policy.allow_anonymous);
}

TEST(AppConfig, RequirePasswordOnAPlainListenerIsAnError) {
  const auto file = parse("[[listener]]\nurl = \"mqtt://127.0.0.1:1\"\nrequire_password = true\n");
  const auto error = error_of([&] { resolve_config(CommandLine{}, file); });
  EXPECT_NE(error.find("require_password"), std::string::npos) << error;
  EXPECT_NE(error.find("test.toml:1:"), std::string::npos) << error;
}

TEST(AppConfig, ListenerPolicyKeysMustBeBooleans) {
  EXPECT_NE(error_of([] { parse("[[listener]]\nurl = \"mqtt://127.0.0.1:1\"\nallow_anonymous = 1\n"); })
                .find("allow_anonymous"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse("[[listener]]\nurl = \"mqtts://127.0.0.1:1\"\nrequire_password = \"yes\"\n"); })
                .find("require_password"),
            std::string::npos);
}

TEST(AppConfig, UnknownKeyIsAnErrorNamingTheKeyAndLine) {
  const auto error = error_of([] { parse("allow_anonymous = true\nbogus = 1\n"); });
  EXPECT_NE(error.find("test.toml:2:"), std::string::npos) << error;
  EXPECT_NE(error.find("'bogus'"), std::string::npos) << error;
}

TEST(AppConfig, UnknownListenerKeyIsAnError) {
  const auto error = error_of([] { parse("[[listener]]\nurl = \"mqtt://127.0.0.1:1\"\nport = 3\n"); });
  EXPECT_NE(error.find("test.toml:3:"), std::string::npos) << error;
  EXPECT_NE(error.find("'port' in [[listener]]"), std::string::npos) << error;
}

TEST(AppConfig, WrongTypeIsAnErrorNamingTheKeyAndLine) {
  const auto error = error_of([] { parse("\n\nmax_packet_size = \"big\"\n"); });
  EXPECT_NE(error.find("test.toml:3:"), std::string::npos) << error;
  EXPECT_NE(error.find("'max_packet_size' must be an integer"), std::string::npos) << error;
  EXPECT_NE(error_of([] { parse("allow_anonymous = 1\n"); }).find("true or false"), std::string::npos);
}

TEST(AppConfig, OutOfRangeValueIsAnError) {
  const auto error = error_of([] { parse("maximum_qos = 3\n"); });
  EXPECT_NE(error.find("between 0 and 2"), std::string::npos) << error;
  EXPECT_NE(error_of([] { parse("receive_maximum = 0\n"); }), "");
  EXPECT_NE(error_of([] { parse("acl_default = \"maybe\"\n"); }).find("acl_default"), std::string::npos);
  EXPECT_NE(error_of([] { parse("log_level = \"loud\"\n"); }).find("log_level"), std::string::npos);
}

TEST(AppConfig, SyntaxErrorIsReportedWithItsPosition) {
  const auto error = error_of([] { parse("allow_anonymous = true\nlog_level = \n"); });
  EXPECT_NE(error.find("test.toml:2:"), std::string::npos) << error;
}

TEST(AppConfig, ListenerMustBeAnArrayOfTables) {
  const auto error = error_of([] { parse("[listener]\nurl = \"mqtt://127.0.0.1:1\"\n"); });
  EXPECT_NE(error.find("[[listener]]"), std::string::npos) << error;
  EXPECT_NE(error_of([] { parse("[[listener]]\ntls_cert = \"x\"\n"); }).find("needs a 'url'"),
            std::string::npos);
}

TEST(AppConfig, UnreadableFileIsAnError) {
  const auto error = error_of([] { load_config_file("/nonexistent/arkmq.toml"); });
  EXPECT_NE(error.find("/nonexistent/arkmq.toml: cannot read"), std::string::npos) << error;
}

TEST(AppConfig, FlagsOverrideTheFile) {
  const auto file = parse("allow_anonymous = false\nacl_default = \"allow\"\nlog_level = \"debug\"\n"
                          "data_dir = \"a\"\nworkers = 2\n");
  CommandLine flags;
  flags.allow_anonymous = true;
  flags.acl_default = core::AclDefault::deny;
  flags.log_level = "warn";
  flags.data_dir = "b";
  flags.workers = 4;
  const auto config = resolve_config(flags, file);
  EXPECT_TRUE(config.broker.allow_anonymous);
  EXPECT_EQ(config.broker.acl_default, core::AclDefault::deny);
  EXPECT_EQ(config.log_level, "warn");
  EXPECT_EQ(config.data_dir, "b");
  EXPECT_EQ(config.workers, 4U);
}

TEST(AppConfig, ListenFlagReplacesTheFileListeners) {
  const auto file = parse("[[listener]]\nurl = \"mqtt://127.0.0.1:1\"\n[[listener]]\n"
                          "url = \"mqtt://127.0.0.1:2\"\n");
  CommandLine flags;
  flags.listen = {"mqtt://127.0.0.1:3"};
  const auto config = resolve_config(flags, file);
  ASSERT_EQ(config.listeners.size(), 1U);
  EXPECT_EQ(config.listeners[0].url, "mqtt://127.0.0.1:3");
  EXPECT_EQ(resolve_config(CommandLine{}, file).listeners.size(), 2U);
}

TEST(AppConfig, BadListenerUrlIsAnErrorNamingTheLine) {
  const auto file = parse("\n[[listener]]\nurl = \"mqtt://127.0.0.1\"\n");
  const auto error = error_of([&] { resolve_config(CommandLine{}, file); });
  EXPECT_NE(error.find("test.toml:2:"), std::string::npos) << error;
  EXPECT_NE(error.find("missing ':PORT'"), std::string::npos) << error;
  CommandLine flags;
  flags.listen = {"http://x"};
  EXPECT_NE(error_of([&] { resolve_config(flags, std::nullopt); }).find("scheme"), std::string::npos);
}

TEST(AppConfig, TlsListenerWithoutCertificateIsAnError) {
  CommandLine flags;
  flags.listen = {"mqtts://127.0.0.1:0"};
  const auto error = error_of([&] { resolve_config(flags, std::nullopt); });
  EXPECT_NE(error.find("needs a certificate and key"), std::string::npos) << error;
}

TEST(AppConfig, MissingTlsFileIsAnErrorNamingTheFile) {
  CommandLine flags;
  flags.listen = {"mqtts://127.0.0.1:0"};
  flags.tls_cert = "/nonexistent/server.pem";
  flags.tls_key = "/nonexistent/server.key";
  const auto error = error_of([&] { resolve_config(flags, std::nullopt); });
  EXPECT_NE(error.find("'/nonexistent/server.pem' cannot be read"), std::string::npos) << error;
}

TEST(AppConfig, TlsSettingsOnPlainListenerAreAnError) {
  const auto file = parse("[[listener]]\nurl = \"mqtt://127.0.0.1:1\"\ntls_cert = \"x.pem\"\n");
  const auto error = error_of([&] { resolve_config(CommandLine{}, file); });
  EXPECT_NE(error.find("mqtt:// listener"), std::string::npos) << error;
}

TEST_F(AppConfigWithDevPki, TlsFlagsApplyToMqttsListenersAndListenerTablesOverrideThem) {
  CommandLine flags;
  flags.tls_cert = pki("server.pem");
  flags.tls_key = pki("server.key");
  flags.tls_ca = pki("ca.pem");
  flags.require_client_cert = false;
  const auto file = parse("[[listener]]\nurl = \"mqtts://127.0.0.1:0\"\n"
                          "[[listener]]\nurl = \"mqtts://127.0.0.1:0\"\nrequire_client_cert = true\n"
                          "tls_identity = \"san-uri\"\ntls_crl = \"" + pki("crl.pem") + "\"\n");
  const auto config = resolve_config(flags, file);
  ASSERT_EQ(config.listeners.size(), 2U);
  EXPECT_EQ(config.listeners[0].tls.cert_file, pki("server.pem"));
  EXPECT_EQ(config.listeners[0].tls.client_certs, net::ClientCertMode::optional);
  EXPECT_EQ(config.listeners[1].tls.client_certs, net::ClientCertMode::required);
  EXPECT_EQ(config.listeners[1].tls.identity, net::TlsIdentity::san_uri);

  flags.require_client_cert = true;
  const auto forced = resolve_config(flags, file);
  EXPECT_EQ(forced.listeners[0].tls.client_certs, net::ClientCertMode::required);
}

TEST_F(AppConfigWithDevPki, RequirePasswordIsSetOnTlsListeners) {
  const auto file = parse("[[listener]]\nurl = \"mqtts://127.0.0.1:0\"\ntls_cert = \"" +
                          pki("server.pem") + "\"\ntls_key = \"" + pki("server.key") +
                          "\"\ntls_ca = \"" + pki("ca.pem") + "\"\nrequire_password = true\n");
  const auto config = resolve_config(CommandLine{}, file);
  ASSERT_EQ(config.listeners.size(), 1U);
  EXPECT_TRUE(config.listeners[0].policy.require_password);
  EXPECT_FALSE(config.listeners[0].policy.allow_anonymous);
}

TEST_F(AppConfigWithDevPki, BadCipherListIsAConfigError) {
  const auto file = parse("[[listener]]\nurl = \"mqtts://127.0.0.1:0\"\ntls_cert = \"" +
                          pki("server.pem") + "\"\ntls_key = \"" + pki("server.key") +
                          "\"\ntls_ciphers = \"NOPE\"\n");
  const auto error = error_of([&] { resolve_config(CommandLine{}, file); });
  EXPECT_NE(error.find("NOPE"), std::string::npos) << error;
}

int parse_args(std::vector<const char*> args, CommandLine& out) {
  args.insert(args.begin(), "arkmq-broker");
  testing::internal::CaptureStderr();
  testing::internal::CaptureStdout();
  const auto code = parse_command_line(static_cast<int>(args.size()), args.data(), out);
  testing::internal::GetCapturedStderr();
  testing::internal::GetCapturedStdout();
  return code.value_or(-1);
}

TEST(CommandLine, ReadsEveryFlag) {
  CommandLine flags;
  ASSERT_EQ(parse_args({"--listen", "mqtt://127.0.0.1:1", "--listen", "mqtts://[::1]:2",
                        "--data-dir", "d", "--allow-anonymous", "--acl-default", "deny",
                        "--tls-cert", "c", "--tls-key", "k", "--tls-ca", "a",
                        "--require-client-cert", "--log-level", "debug", "--workers", "3"},
                       flags),
            -1);
  EXPECT_EQ(flags.listen.size(), 2U);
  EXPECT_EQ(flags.data_dir, "d");
  EXPECT_TRUE(flags.allow_anonymous);
  EXPECT_EQ(flags.acl_default, core::AclDefault::deny);
  EXPECT_EQ(flags.tls_cert, "c");
  EXPECT_EQ(flags.tls_key, "k");
  EXPECT_EQ(flags.tls_ca, "a");
  EXPECT_TRUE(flags.require_client_cert);
  EXPECT_EQ(flags.log_level, "debug");
  EXPECT_EQ(flags.workers, 3U);
  EXPECT_FALSE(flags.config_file);
}

TEST(FlowControlConfig, ConnectionRateIsOnByDefaultAndTheBudgetOff) {
  const AppConfig config = resolve_config(CommandLine{}, std::nullopt);
  EXPECT_EQ(config.connection_rate.max_per_window, 100U);
  EXPECT_EQ(config.connection_rate.window, std::chrono::seconds(10));
  EXPECT_EQ(config.connection_rate.ban, std::chrono::seconds(60));
  EXPECT_EQ(config.broker.memory_budget_bytes, 0U);
}

TEST(FlowControlConfig, EveryKeyIsRead) {
  const auto file = parse(
      "[flow_control]\nmax_connections_per_window = 5\nconnection_window_seconds = 2\n"
      "ban_seconds = 3\nmax_tracked_addresses = 7\nmemory_budget_bytes = 1048576\n"
      "quota_disconnect_after = 4\n");
  const AppConfig config = resolve_config(CommandLine{}, file);
  EXPECT_EQ(config.connection_rate.max_per_window, 5U);
  EXPECT_EQ(config.connection_rate.window, std::chrono::seconds(2));
  EXPECT_EQ(config.connection_rate.ban, std::chrono::seconds(3));
  EXPECT_EQ(config.connection_rate.max_tracked_addresses, 7U);
  EXPECT_EQ(config.broker.memory_budget_bytes, 1048576U);
  EXPECT_EQ(config.broker.quota_disconnect_after, 4U);
  EXPECT_EQ(resolve_config(CommandLine{}, parse("[flow_control]\nmax_connections_per_window = 0\n"))
                .connection_rate.max_per_window,
            0U);
}

TEST(FlowControlConfig, BadValuesAreErrorsNamingTheKeyAndLine) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"[flow_control]\nmax_connections_per_window = -1\n", "'max_connections_per_window'"},
      {"[flow_control]\nconnection_window_seconds = 0\n", "'connection_window_seconds'"},
      {"[flow_control]\nban_seconds = \"60\"\n", "'ban_seconds'"},
      {"[flow_control]\nmax_tracked_addresses = 0\n", "'max_tracked_addresses'"},
      {"[flow_control]\nmemory_budget_bytes = 1000\n", "'memory_budget_bytes'"},
      {"[flow_control]\nquota_disconnect_after = -2\n", "'quota_disconnect_after'"},
      {"[flow_control]\nsurprise = 1\n", "unknown key 'surprise' in [flow_control]"},
      {"flow_control = 3\n", "'flow_control'"},
  };
  for (const auto& [text, expected] : cases) {
    const std::string error = error_of([&] { parse(text); });
    EXPECT_NE(error.find("test.toml:"), std::string::npos) << text << " -> " << error;
    EXPECT_NE(error.find(expected), std::string::npos) << text << " -> " << error;
  }
}

TEST(PersistenceConfig, OnWithADataDirOffWithoutOne) {
  EXPECT_TRUE(resolve_config(CommandLine{}, parse("data_dir = \"d\"\n")).persistence.enabled);
  EXPECT_FALSE(resolve_config(CommandLine{}, std::nullopt).persistence.enabled);
  const AppConfig normal = resolve_config(
      CommandLine{}, parse("data_dir = \"d\"\n[persistence]\nsynchronous = \"normal\"\n"));
  EXPECT_EQ(normal.persistence.synchronous, PersistenceSync::normal);
  EXPECT_FALSE(resolve_config(CommandLine{}, parse("data_dir = \"d\"\n[persistence]\nenabled = false\n"))
                   .persistence.enabled);
}

TEST(PersistenceConfig, BadValuesAndEnabledWithoutADataDirAreErrors) {
  for (const std::string text : {"[persistence]\nsynchronous = \"sometimes\"\n",
                                 "[persistence]\nenabled = \"yes\"\n",
                                 "[persistence]\nsurprise = 1\n", "persistence = 1\n"}) {
    const std::string error = error_of([&] { parse(text); });
    EXPECT_NE(error.find("test.toml:"), std::string::npos) << text << " -> " << error;
  }
  const std::string error = error_of(
      [&] { resolve_config(CommandLine{}, parse("[persistence]\nenabled = true\n")); });
  EXPECT_NE(error.find("data_dir"), std::string::npos) << error;
}

TEST(CommandLine, LastAclDefaultWins) {
  CommandLine flags;
  ASSERT_EQ(parse_args({"--acl-default", "allow", "--acl-default", "deny"}, flags), -1);
  EXPECT_EQ(flags.acl_default, core::AclDefault::deny);
}

TEST(CommandLine, UsageErrorsExitWithCode2) {
  CommandLine flags;
  EXPECT_EQ(parse_args({"--acl-default", "maybe"}, flags), 2);
  EXPECT_EQ(parse_args({"--log-level", "loud"}, flags), 2);
  EXPECT_EQ(parse_args({"--no-such-flag"}, flags), 2);
  EXPECT_EQ(parse_args({"-c", "/nonexistent/arkmq.toml"}, flags), 2);
  EXPECT_EQ(parse_args({"--tls-cert", "only-cert.pem"}, flags), 2);
}

TEST(CommandLine, CheckConfigTakesAFileThatNeedNotExistAndExcludesConfig) {
  CommandLine flags;
  ASSERT_EQ(parse_args({"--check-config", "/nonexistent/arkmq.toml"}, flags), -1);
  EXPECT_EQ(flags.check_config, "/nonexistent/arkmq.toml");
  EXPECT_FALSE(flags.config_file);
  CommandLine both;
  EXPECT_EQ(parse_args({"--check-config", "a.toml", "-c", "/dev/null"}, both), 2);
}

TEST(CommandLine, VersionAndHelpExitWithCode0) {
  CommandLine flags;
  EXPECT_EQ(parse_args({"--version"}, flags), 0);
  EXPECT_EQ(parse_args({"--help"}, flags), 0);
}


TEST(HttpConfig, OffByDefaultAndEveryKeyIsRead) {
  const AppConfig none = resolve_config(CommandLine{}, std::nullopt);
  EXPECT_EQ(none.http.listen, "");
  EXPECT_TRUE(none.http.status_page);
  EXPECT_FALSE(none.http.allow_non_loopback);
  const AppConfig config = resolve_config(
      CommandLine{},
      parse("[http]\nlisten = \"http://127.0.0.1:9090\"\nstatus_page = false\n"));
  EXPECT_EQ(config.http.listen, "http://127.0.0.1:9090");
  EXPECT_FALSE(config.http.status_page);
  EXPECT_FALSE(config.http.allow_non_loopback);
  const AppConfig open = resolve_config(
      CommandLine{},
      parse("[http]\nlisten = \"http://0.0.0.0:9090\"\nallow_non_loopback = true\n"));
  EXPECT_EQ(open.http.listen, "http://0.0.0.0:9090");
  EXPECT_TRUE(open.http.allow_non_loopback);
  EXPECT_EQ(resolve_config(CommandLine{}, parse("[http]\nlisten = \"http://[::1]:0\"\n")).http.listen,
            "http://[::1]:0");
}

TEST(HttpConfig, BadValuesAreErrorsNamingTheKeyAndLine) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"[http]\nlisten = \"mqtt://127.0.0.1:9090\"\n", "scheme must be http://"},
      {"[http]\nlisten = \"http://127.0.0.1\"\n", "missing ':PORT'"},
      {"[http]\nlisten = \"http://example.com:80\"\n", "IP address literal"},
      {"[http]\nlisten = \"http://0.0.0.0:9090\"\n", "allow_non_loopback"},
      {"[http]\nlisten = 9090\n", "'listen' must be a string"},
      {"[http]\nstatus_page = \"yes\"\n", "'status_page'"},
      {"[http]\nallow_non_loopback = 1\n", "'allow_non_loopback'"},
      {"[http]\nport = 1\n", "unknown key 'port' in [http]"},
      {"http = \"http://127.0.0.1:1\"\n", "'http' must be a table"},
  };
  for (const auto& [text, expected] : cases) {
    const std::string error = error_of([&] { parse(text); });
    EXPECT_NE(error.find("test.toml:"), std::string::npos) << text << " -> " << error;
    EXPECT_NE(error.find(expected), std::string::npos) << text << " -> " << error;
  }
}

TEST(LogConfig, DefaultsAreTextAtInfoWithoutPayloads) {
  const AppConfig config = resolve_config(CommandLine{}, std::nullopt);
  EXPECT_EQ(config.log.level, "info");
  EXPECT_EQ(config.log.format, LogFormat::text);
  EXPECT_TRUE(config.log.modules.empty());
  EXPECT_FALSE(config.log.payloads);
}

TEST(LogConfig, EveryKeyIsRead) {
  const AppConfig config = resolve_config(
      CommandLine{}, parse("[log]\nlevel = \"warn\"\nformat = \"json\"\npayloads = true\n"
                           "[log.modules]\nnet = \"debug\"\nacl = \"off\"\n"));
  EXPECT_EQ(config.log.level, "warn");
  EXPECT_EQ(config.log_level, "warn");
  EXPECT_EQ(config.log.format, LogFormat::json);
  EXPECT_TRUE(config.log.payloads);
  EXPECT_EQ(config.log.modules, (std::map<std::string, std::string>{{"net", "debug"}, {"acl", "off"}}));
}

TEST(LogConfig, TopLevelLogLevelIsTheLogLevelAndTheFlagWins) {
  const auto file = parse("log_level = \"debug\"\n[log]\nformat = \"json\"\n");
  const AppConfig config = resolve_config(CommandLine{}, file);
  EXPECT_EQ(config.log.level, "debug");
  EXPECT_EQ(config.log_level, "debug");
  EXPECT_EQ(config.log.format, LogFormat::json);
  EXPECT_EQ(resolve_config(CommandLine{}, parse("log_level = \"error\"\n")).log.level, "error");
  CommandLine flags;
  flags.log_level = "trace";
  const AppConfig flagged = resolve_config(flags, parse("[log]\nlevel = \"warn\"\n"));
  EXPECT_EQ(flagged.log.level, "trace");
  EXPECT_EQ(flagged.log_level, "trace");
  const std::string both = error_of([] { parse("log_level = \"info\"\n[log]\nlevel = \"warn\"\n"); });
  EXPECT_NE(both.find("test.toml:1:"), std::string::npos) << both;
  EXPECT_NE(both.find("both set"), std::string::npos) << both;
}

TEST(LogConfig, BadValuesAreErrorsNamingTheKeyAndLine) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"[log]\nlevel = \"loud\"\n", "'level' must be one of"},
      {"[log]\nformat = \"xml\"\n", "'format' must be \"text\" or \"json\""},
      {"[log]\npayloads = \"yes\"\n", "'payloads'"},
      {"[log]\ncolour = true\n", "unknown key 'colour' in [log]"},
      {"[log.modules]\nkernel = \"debug\"\n", "unknown module 'kernel'"},
      {"[log.modules]\nnet = \"chatty\"\n", "'net' must be one of"},
      {"[log.modules]\nnet = 3\n", "'net' must be a string"},
      {"[log]\nmodules = \"net\"\n", "'modules' must be a table"},
      {"log = 1\n", "'log' must be a table"},
  };
  for (const auto& [text, expected] : cases) {
    const std::string error = error_of([&] { parse(text); });
    EXPECT_NE(error.find("test.toml:"), std::string::npos) << text << " -> " << error;
    EXPECT_NE(error.find(expected), std::string::npos) << text << " -> " << error;
  }
}

TEST(ConfigErrors, EverySemanticErrorOfAFileIsReportedOnePerLineInFileOrder) {
  const std::string error = error_of([] {
    parse("maximum_qos = 7\nbogus = 1\n[log]\nformat = \"xml\"\n[log.modules]\nkernel = \"debug\"\n"
          "[[listener]]\nport = 3\n[audit]\noverflow = \"wait\"\nqueue_capacity = 0\n");
  });
  std::vector<std::string> lines;
  for (std::size_t start = 0; start <= error.size();) {
    const auto end = std::min(error.find('\n', start), error.size());
    lines.push_back(error.substr(start, end - start));
    start = end + 1;
  }
  ASSERT_EQ(lines.size(), 8U) << error;
  EXPECT_TRUE(lines[0].starts_with("test.toml:1:")) << lines[0];
  EXPECT_NE(lines[0].find("maximum_qos"), std::string::npos);
  EXPECT_TRUE(lines[1].starts_with("test.toml:2:")) << lines[1];
  EXPECT_TRUE(lines[2].starts_with("test.toml:4:")) << lines[2];
  EXPECT_TRUE(lines[3].starts_with("test.toml:6:")) << lines[3];
  // The listener without a url: its unknown key and its missing url.
  EXPECT_NE(error.find("'port' in [[listener]]"), std::string::npos);
  EXPECT_NE(error.find("needs a 'url'"), std::string::npos);
  EXPECT_NE(error.find("'overflow'"), std::string::npos);
  EXPECT_NE(error.find("'queue_capacity'"), std::string::npos);
}

TEST(ConfigErrors, EveryErrorInFlowControlAndServicesTablesIsReported) {
  const std::string error = error_of([] {
    parse("[flow_control]\nban_seconds = 0\nmax_connections_per_window = -1\nsurprise = 1\n"
          "[services]\nmax_services = 0\nper_caller_rate = -5\n");
  });
  for (const std::string expected :
       {"test.toml:2:15: 'ban_seconds'", "test.toml:3:30: 'max_connections_per_window'",
        "test.toml:4:1: unknown key 'surprise'", "test.toml:6:16: 'services.max_services'",
        "test.toml:7:19: 'services.per_caller_rate'"}) {
    EXPECT_NE(error.find(expected), std::string::npos) << expected << "\n" << error;
  }
  EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 4) << error;
}

TEST(ConfigErrors, ASyntaxErrorStopsParsingWithOneMessage) {
  const std::string error = error_of([] { parse("bogus = 1\nmaximum_qos = \n"); });
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  EXPECT_NE(error.find("test.toml:2:"), std::string::npos) << error;
}

}  // namespace
}  // namespace arkmq::app
