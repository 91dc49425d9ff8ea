// BrokerProcess: command lines for arkmq-broker and the equivalent mosquitto.conf.
#include "tests/support/broker_process.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <regex>
#include <stdexcept>

#include "tests/support/raw_client.hpp"

namespace arkmq::test {

BrokerKind broker_kind_from_env() {
  const char* value = std::getenv("ARKMQ_TEST_BROKER");
  if (value != nullptr && std::string(value) == "mosquitto") return BrokerKind::mosquitto;
  return BrokerKind::arkmq;
}

std::string arkmq_broker_path() { return ARKMQ_BROKER_PATH; }

std::uint16_t pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind to a free port failed");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string tail_lines(const std::string& text, std::size_t lines) {
  std::size_t pos = text.size();
  for (std::size_t seen = 0; pos > 0 && seen <= lines; --pos) {
    if (text[pos - 1] == '\n') ++seen;
  }
  return text.substr(pos);
}

BrokerProcess::BrokerProcess(BrokerOptions options)
    : kind_(broker_kind_from_env()), options_(std::move(options)), dir_("arkmq-it") {
  log_path_ = dir_.file("broker.log");
  if (kind_ == BrokerKind::arkmq) {
    start_arkmq();
  } else {
    start_mosquitto();
  }
  process_->drain_stdout_to(log_path_);
}

BrokerProcess::~BrokerProcess() {
  if (process_) {
    // SIGTERM rather than SIGKILL, so a sanitizer's exit-time checks (LeakSanitizer, TSan's
    // exit code 66) run and a broker that crashed or reported an error fails the test.
    const auto status = stop();
    if (!status) {
      process_->kill_and_reap();
      ADD_FAILURE() << "broker still running 10 s after SIGTERM (killed)";
    } else {
      expect_clean_exit(*status);
    }
  }
  if (::testing::Test::HasFailure()) {
    std::fprintf(stderr, "[arkmq-test] broker log: %s\n--- tail ---\n%s--- end ---\n",
                 log_path_.c_str(), tail_lines(log_text(), 40).c_str());
  }
}

std::string BrokerProcess::tcp_uri() const { return "tcp://127.0.0.1:" + std::to_string(tcp_port_); }
std::string BrokerProcess::ssl_uri() const { return "ssl://127.0.0.1:" + std::to_string(tls_port_); }

std::string BrokerProcess::log_text() const { return process_->all_output(); }

bool BrokerProcess::wait_for_log(const std::string& needle, std::chrono::milliseconds timeout) const {
  return process_->wait_for_output(needle, Deadline(timeout));
}

std::uint16_t BrokerProcess::http_port(std::chrono::milliseconds timeout) const {
  static const std::regex listening(R"(listening on http://127\.0\.0\.1:([0-9]+))");
  if (!wait_for_log("listening on http://", timeout)) return 0;
  const std::string log = log_text();
  std::smatch m;
  if (!std::regex_search(log, m, listening)) return 0;
  return static_cast<std::uint16_t>(std::stoi(m[1].str()));
}

void BrokerProcess::fail(const std::string& what) {
  process_->kill_and_reap();
  write_file(log_path_, process_->output());
  throw std::runtime_error(what + "\nbroker log: " + log_path_ + "\n--- output tail ---\n" +
                           tail_lines(process_->output(), 30));
}

void BrokerProcess::start_arkmq() {
  const std::string binary = arkmq_broker_path();
  if (binary.empty()) throw std::runtime_error("arkmq-broker was not built");
  std::vector<std::string> argv{binary, "--log-level", options_.log_level};
  if (options_.with_data_dir || !options_.data_dir_path.empty()) {
    data_dir_ = options_.data_dir_path.empty() ? dir_.file("data") : options_.data_dir_path;
    argv.insert(argv.end(), {"--data-dir", data_dir_});
  }
  if (!options_.acl_default.empty()) argv.insert(argv.end(), {"--acl-default", options_.acl_default});
  std::string config = options_.arkmq_config;  // top-level keys first: TOML tables end them
  const auto flag = [](bool value) { return std::string(value ? "true" : "false"); };
  // A CRL, require_password and a listener's own allow_anonymous are per-listener settings of
  // the file ([[listener]]), and --listen would replace the file's listeners, so with any of
  // them all listeners are described in the file.
  const bool file_listeners =
      options_.tls && (!options_.tls_files.crl.empty() || options_.require_password ||
                       options_.tls_allow_anonymous.has_value());
  if (file_listeners) {
    if (options_.tcp) {
      config += "\n[[listener]]\nurl = \"mqtt://127.0.0.1:" + std::to_string(options_.tcp_port) +
                "\"\n";
    }
    config += "\n[[listener]]\nurl = \"mqtts://127.0.0.1:" + std::to_string(options_.tls_port) +
              "\"\n";
    config += "tls_cert = \"" + options_.tls_files.cert + "\"\n";
    config += "tls_key = \"" + options_.tls_files.key + "\"\n";
    config += "tls_ca = \"" + options_.tls_files.ca + "\"\n";
    if (!options_.tls_files.crl.empty()) {
      config += "tls_crl = \"" + options_.tls_files.crl + "\"\n";
    }
    config += "require_client_cert = " + flag(options_.require_client_cert) + "\n";
    config += "require_password = " + flag(options_.require_password) + "\n";
    if (options_.tls_allow_anonymous) {
      config += "allow_anonymous = " + flag(*options_.tls_allow_anonymous) + "\n";
    }
  } else {
    if (options_.tcp) {
      argv.insert(argv.end(),
                  {"--listen", "mqtt://127.0.0.1:" + std::to_string(options_.tcp_port)});
    }
    if (options_.tls) {
      argv.insert(argv.end(), {"--listen",
                               "mqtts://127.0.0.1:" + std::to_string(options_.tls_port),
                               "--tls-cert",
                               options_.tls_files.cert, "--tls-key", options_.tls_files.key,
                               "--tls-ca", options_.tls_files.ca});
      if (options_.require_client_cert) argv.emplace_back("--require-client-cert");
    }
  }
  if (options_.allow_anonymous) argv.emplace_back("--allow-anonymous");
  if (!config.empty()) {
    write_file(dir_.file("arkmq.toml"), config);
    argv.insert(argv.end(), {"-c", dir_.file("arkmq.toml")});
  }
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  // stderr shares the stdout pipe: one log, in order, and waitable (wait_for_log).
  process_ = std::make_unique<ChildProcess>(argv, "");

  // "listening on mqtt://127.0.0.1:NNNNN", one line per listener.
  static const std::regex listening(R"(listening on (mqtts?)://127\.0\.0\.1:([0-9]+))");
  const int expected = (options_.tcp ? 1 : 0) + (options_.tls ? 1 : 0);
  const Deadline deadline(std::chrono::seconds(10));
  for (int found = 0; found < expected;) {
    std::smatch m;
    auto line = process_->read_line_until(
        [&](const std::string& l) { return std::regex_search(l, m, listening); }, deadline);
    if (!line) fail("arkmq-broker did not print all its 'listening on' lines within 10 s");
    std::regex_search(*line, m, listening);
    const auto port = static_cast<std::uint16_t>(std::stoi(m[2].str()));
    (m[1].str() == "mqtt" ? tcp_port_ : tls_port_) = port;
    ++found;
  }
}

void BrokerProcess::start_mosquitto() {
  std::string conf =
      "per_listener_settings false\n"
      "user root\n"
      "persistence false\n"
      "log_dest stderr\n"  // unbuffered, unlike stdout on a pipe

      "log_type all\n"
      "connection_messages true\n"
      "set_tcp_nodelay true\n";
  conf += std::string("allow_anonymous ") + (options_.allow_anonymous ? "true" : "false") + "\n";
  if (options_.tcp) {
    tcp_port_ = pick_free_port();
    conf += "listener " + std::to_string(tcp_port_) + " 127.0.0.1\n";
  }
  if (options_.tls) {
    tls_port_ = pick_free_port();
    conf += "listener " + std::to_string(tls_port_) + " 127.0.0.1\n";
    conf += "cafile " + options_.tls_files.ca + "\n";
    conf += "certfile " + options_.tls_files.cert + "\n";
    conf += "keyfile " + options_.tls_files.key + "\n";
    conf += "tls_version tlsv1.2\n";
    if (!options_.tls_files.crl.empty()) conf += "crlfile " + options_.tls_files.crl + "\n";
    if (options_.require_client_cert) {
      conf += "require_certificate true\nuse_identity_as_username true\n";
    }
  }
  conf += options_.mosquitto_config;
  const std::string conf_path = dir_.file("mosquitto.conf");
  write_file(conf_path, conf);
  // Its log (stderr) shares the stdout pipe, so readiness is read like arkmq's "listening" lines.
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"mosquitto", "-c", conf_path}, "");
  auto line = process_->read_line_until(
      [](const std::string& l) { return l.find(" running") != std::string::npos; },
      Deadline(std::chrono::seconds(10)));
  if (!line) fail("mosquitto did not report 'running' within 10 s");
  // mosquitto logs "running" a moment before its main loop starts; a SIGTERM in that window is
  // lost. One CONNECT/CONNACK proves the loop runs.
  if (options_.tcp) {
    RawClient probe(tcp_port_);
    if (!probe.connect(wire::connect_spec(4, "arkmq-test-probe"), Deadline(std::chrono::seconds(5)))) {
      fail("mosquitto did not answer a CONNECT");
    }
    probe.send(wire::disconnect(4));
  }
}

std::optional<ExitStatus> BrokerProcess::stop(std::chrono::milliseconds deadline) {
  process_->send_signal(SIGTERM);
  auto status = process_->wait(Deadline(deadline));
  if (status) expect_clean_exit(*status);
  return status;
}

void BrokerProcess::kill() {
  clean_exit_checked_ = true;  // a SIGKILLed broker exits by the signal, by design
  process_->kill_and_reap();
}

void BrokerProcess::expect_clean_exit(const ExitStatus& status) {
  if (clean_exit_checked_) return;  // once per process: stop() and the destructor both get here
  clean_exit_checked_ = true;
  if (status == ExitStatus{true, 0, 0}) return;
  // Sanitizers exit non-zero (ASan, its leak check and UBSan 1, TSan 66). The report ends with a
  // SUMMARY line; give the log reader a moment to copy it, so the printed tail shows it.
  if (kind_ == BrokerKind::arkmq) wait_for_log("SUMMARY: ", std::chrono::seconds(2));
  std::string reports;
  const std::string log = log_text();
  for (const char* report : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                             "WARNING: ThreadSanitizer", "runtime error:"}) {
    if (log.find(report) != std::string::npos) reports += std::string(" [") + report + "]";
  }
  ADD_FAILURE() << "broker did not exit cleanly (" << to_string(status)
                << "); a crash or a sanitizer report ends it non-zero"
                << (reports.empty() ? "" : "; in its log:") << reports;
}

}  // namespace arkmq::test
