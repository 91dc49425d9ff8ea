// SiteBroker and EdgeProcess: mosquitto.conf and edge.toml written from the test's values.
#include "tests/support/edge_process.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <stdexcept>

#include "tests/support/broker_process.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/wire.hpp"

namespace arkmq::test {

using namespace std::chrono_literals;

std::string arkmq_edge_path() { return ARKMQ_EDGE_BINARY; }

SiteBroker::SiteBroker() : dir_("arkmq-site"), port_(pick_free_port()) {
  const std::string conf = "listener " + std::to_string(port_) + " 127.0.0.1\n"
                           "user root\n"
                           "allow_anonymous true\n"
                           "persistence false\n"
                           "log_dest stderr\n"
                           "log_type error\nlog_type warning\nlog_type notice\n"
                           "log_type information\n"
                           "max_queued_messages 0\n"
                           "max_inflight_messages 0\n";
  const std::string conf_path = dir_.file("mosquitto.conf");
  write_file(conf_path, conf);
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"mosquitto", "-c", conf_path}, "");
  process_->drain_stdout_to(dir_.file("mosquitto.log"));
  if (!process_->wait_for_output(" running", Deadline(10s))) {
    throw std::runtime_error("site mosquitto did not start:\n" + process_->all_output());
  }
  // "running" comes just before the main loop: an answered CONNECT proves the loop runs.
  const Deadline deadline(10s);
  for (int attempt = 0; attempt < 100 && !deadline.expired(); ++attempt) {
    try {
      RawClient probe(port_);
      if (probe.connect(wire::connect_spec(4, "site-probe"), Deadline(1s))) {
        probe.send(wire::disconnect(4));
        return;
      }
    } catch (const std::runtime_error&) {
      // Refused: the listener is not open yet. The next attempt waits on the log (bounded).
      process_->wait_for_output("\n-never-printed-", Deadline(100ms));
    }
  }
  throw std::runtime_error("site mosquitto does not answer a CONNECT:\n" + process_->all_output());
}

SiteBroker::~SiteBroker() {
  process_->send_signal(SIGTERM);
  if (!process_->wait(Deadline(10s))) process_->kill_and_reap();
}

std::string edge_config(const EdgeSpec& spec) {
  return "[node]\nname = \"" + spec.node + "\"\nheartbeat_s = " + std::to_string(spec.heartbeat_s) +
         "\nlabels = { site = \"" + spec.node + "-site\" }\n"
         "[cloud]\nurl = \"" + spec.cloud_url + "\"\nca = \"" + spec.ca + "\"\n"
         "cert = \"" + spec.cert.cert + "\"\nkey = \"" + spec.cert.key + "\"\n"
         "reconnect_min_ms = 100\nreconnect_max_ms = 800\n"
         "[local]\nurl = \"" + spec.local_url + "\"\n"
         "[outbox]\npath = \"" + spec.outbox + "\"\n" +
         spec.services + spec.bridges;
}

EdgeProcess::EdgeProcess(const std::string& config, bool wait_for_link) : dir_("arkmq-edge") {
  const std::string binary = arkmq_edge_path();
  if (binary.empty()) throw std::runtime_error("arkmq-edge was not built");
  const std::string config_path = dir_.file("edge.toml");
  write_file(config_path, config);
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{binary, "--config", config_path, "--log-level", "debug"}, "");
  process_->drain_stdout_to(dir_.file("edge.log"));
  if (wait_for_link && !wait_for_log("cloud link up", 10s)) {
    throw std::runtime_error("arkmq-edge: no 'cloud link up' within 10 s\n--- edge log tail ---\n" +
                             tail_lines(log(), 30));
  }
}

EdgeProcess::~EdgeProcess() {
  if (!killed_) {
    const auto code = stop();
    if (code != std::optional<int>(0)) {
      ADD_FAILURE() << "arkmq-edge did not exit cleanly after SIGTERM (code "
                    << (code ? std::to_string(*code) : std::string("none: still running")) << ")";
    }
  }
  if (::testing::Test::HasFailure()) {
    std::fprintf(stderr, "[services-test] arkmq-edge log: %s\n--- tail ---\n%s--- end ---\n",
                 dir_.file("edge.log").c_str(), tail_lines(log(), 40).c_str());
  }
}

bool EdgeProcess::wait_for_log(const std::string& needle, std::chrono::milliseconds timeout) {
  return process_->wait_for_output(needle, Deadline(timeout));
}

std::string EdgeProcess::log() { return process_->all_output(); }

void EdgeProcess::kill() {
  killed_ = true;
  process_->kill_and_reap();
}

std::optional<int> EdgeProcess::stop() {
  if (stopped_) return *stopped_;
  process_->send_signal(SIGTERM);
  const auto status = process_->wait(Deadline(15s));
  if (!status) {
    process_->kill_and_reap();
    stopped_ = std::optional<int>();
  } else {
    stopped_ = std::optional<int>(status->exited ? status->code : 128 + status->signal);
  }
  return *stopped_;
}

}  // namespace arkmq::test
