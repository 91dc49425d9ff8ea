// Edge test processes and helpers.
#include "edge-client/edge_fixture.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <stdexcept>

#include "tests/support/broker_process.hpp"

namespace arkmq::edge::test {

using arkmq::test::ChildProcess;
using arkmq::test::Deadline;

std::string edge_binary() { return ARKMQ_EDGE_BINARY; }

Mosquitto::Mosquitto(bool persistent)
    : dir_("arkmq-edge-mosq"), persistent_(persistent), port_(arkmq::test::pick_free_port()) {
  start();
}

Mosquitto::Mosquitto(const MosquittoTls& tls)
    : dir_("arkmq-edge-mosq"), persistent_(false), port_(arkmq::test::pick_free_port()), tls_(tls),
      tls_port_(arkmq::test::pick_free_port()) {
  start();
}

Mosquitto::~Mosquitto() { stop(); }

void Mosquitto::start() {
  std::string conf = "listener " + std::to_string(port_) + " 127.0.0.1\n"
                     "user root\n"  // keep root's rights to the temp dir (persistence files)
                     "allow_anonymous true\n"
                     "log_dest stderr\n"
                     "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
                     "max_queued_messages 0\n"
                     "max_inflight_messages 0\n";
  if (tls_) {
    conf += "listener " + std::to_string(tls_port_) + " 127.0.0.1\n"
            "cafile " + tls_->ca + "\ncertfile " + tls_->cert + "\nkeyfile " + tls_->key + "\n"
            "require_certificate true\nuse_identity_as_username true\n";
  }
  if (persistent_) {
    conf += "persistence true\npersistence_location " + dir_.path() + "/\nautosave_interval 1\n";
  } else {
    conf += "persistence false\n";
  }
  const std::string conf_path = dir_.file("mosquitto.conf");
  arkmq::test::write_file(conf_path, conf);
  ++runs_;
  process_ = std::make_unique<ChildProcess>(std::vector<std::string>{"mosquitto", "-c", conf_path}, "");
  process_->drain_stdout_to(dir_.file("mosquitto-" + std::to_string(runs_) + ".log"));
  if (!process_->wait_for_output(" running", Deadline(std::chrono::seconds(10)))) {
    throw std::runtime_error("mosquitto did not start: " + process_->all_output());
  }
  // "running" is logged just before the main loop: one successful connect proves it runs.
  for (int attempt = 0; attempt < 50; ++attempt) {
    try {
      arkmq::test::PahoClient probe(uri(), arkmq::test::unique_client_id("probe"), 5);
      probe.connect(arkmq::test::v5_options());
      probe.disconnect();
      return;
    } catch (const mqtt::exception&) {
      process_->wait_for_output("never-printed", Deadline(std::chrono::milliseconds(100)));
    }
  }
  throw std::runtime_error("mosquitto does not accept connections");
}

void Mosquitto::stop() {
  if (!process_) return;
  process_->send_signal(SIGTERM);
  if (!process_->wait(Deadline(std::chrono::seconds(10)))) process_->kill_and_reap();
  process_.reset();
}

EdgeProcess::EdgeProcess(const std::string& config, bool wait_for_link) : dir_("arkmq-edge-it") {
  config_path_ = dir_.file("edge.toml");
  arkmq::test::write_file(config_path_, config);
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{edge_binary(), "--config", config_path_, "--log-level", "debug"}, "");
  process_->drain_stdout_to(dir_.file("edge.log"));
  if (wait_for_link) {
    if (!wait_for_log("cloud link up", std::chrono::seconds(10)) ||
        !wait_for_log("bridge filters subscribed", std::chrono::seconds(10))) {
      throw std::runtime_error("arkmq-edge did not come up:\n" + log());
    }
  }
}

EdgeProcess::~EdgeProcess() {
  // Any exit but 0 (a crash, a sanitizer report, a hang at shutdown) fails the test.
  const int code = stop();
  if (code != 0) ADD_FAILURE() << "arkmq-edge did not exit cleanly (code " << code << ")";
  if (::testing::Test::HasFailure()) {
    std::fprintf(stderr, "[edge-test] arkmq-edge log:\n%s\n",
                 arkmq::test::tail_lines(log(), 60).c_str());
  }
}

bool EdgeProcess::wait_for_log(const std::string& needle, std::chrono::milliseconds timeout) {
  return process_->wait_for_output(needle, Deadline(timeout));
}

std::string EdgeProcess::log() { return process_->all_output(); }

int EdgeProcess::stop() {
  if (!process_) return -1;
  if (stopped_code_) return *stopped_code_;
  process_->send_signal(SIGTERM);
  const auto status = process_->wait(Deadline(std::chrono::seconds(15)));
  if (!status) {
    process_->kill_and_reap();
    stopped_code_ = -1;
  } else {
    stopped_code_ = status->exited ? status->code : 128 + status->signal;
  }
  return *stopped_code_;
}

std::string temp_outbox_path(const arkmq::test::TempDir& dir) { return dir.file("outbox.db"); }

std::unique_ptr<arkmq::test::PahoClient> connect_client(const std::string& uri, const std::string& stem,
                                                        bool clean_start, std::uint32_t session_expiry,
                                                        const std::string& client_id) {
  auto client = std::make_unique<arkmq::test::PahoClient>(
      uri, client_id.empty() ? arkmq::test::unique_client_id(stem) : client_id, 5);
  client->connect(arkmq::test::v5_options(clean_start, session_expiry));
  return client;
}

mqtt::const_message_ptr call_and_wait(arkmq::test::PahoClient& cloud, const std::string& node,
                                      const std::string& service, const std::string& method,
                                      const std::string& payload, const std::string& correlation,
                                      int deadline_ms, std::chrono::milliseconds timeout) {
  mqtt::properties props;
  props.add({mqtt::property::RESPONSE_TOPIC, "$svc/reply/" + node + "/" + correlation});
  props.add({mqtt::property::CORRELATION_DATA, correlation});
  props.add({mqtt::property::USER_PROPERTY, "svc-deadline-ms", std::to_string(deadline_ms)});
  props.add({mqtt::property::USER_PROPERTY, "svc-caller", "alice"});
  const std::size_t before = cloud.messages().size();
  cloud.publish("$svc/node/" + node + "/call/" + service + "/" + method, payload, 1, false, props);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (std::size_t seen = before; std::chrono::steady_clock::now() < deadline;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (!cloud.messages().wait_for(seen + 1, left)) return nullptr;
    const auto messages = cloud.messages().messages();
    for (; seen < messages.size(); ++seen) {
      const auto& props_in = messages[seen]->get_properties();
      if (props_in.contains(mqtt::property::CORRELATION_DATA) &&
          mqtt::get<std::string>(props_in, mqtt::property::CORRELATION_DATA) == correlation) {
        return messages[seen];
      }
    }
  }
  return nullptr;
}

}  // namespace arkmq::edge::test
