// What a run needs before its first connection: the broker's address resolved once, the TLS
// context, the CONNECT settings, a tag that keeps this run's topics and client ids apart, and the
// progress line. Built on the main thread; read-only once connections exist.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <tl/expected.hpp>

#include "tools/arkmq-bench/bench_options.hpp"
#include "tools/arkmq-bench/mqtt_link.hpp"

namespace arkmq::bench {

struct SetupError {
  int exit_code = 1;  // 2 when an option names a file that cannot be used
  std::string text;
};

class BenchEnv {
 public:
  static tl::expected<std::unique_ptr<BenchEnv>, SetupError> make(const BenchOptions& options);

  const BenchOptions& options() const { return options_; }
  const LinkSettings& settings() const { return settings_; }
  // reqresp: how the node connects (its own credentials and certificate when given, else the
  // callers'); the same as settings() otherwise.
  const LinkSettings& node_settings() const { return node_settings_; }
  unsigned threads() const { return threads_; }
  const std::string& tag() const { return tag_; }  // unique per run: pid and start time

  // One progress line on stderr: "t=3s <text>" (overwritten in place on a terminal).
  void progress(double elapsed_s, const std::string& text) const;
  void end_progress() const;  // ends the progress line before the summary

 private:
  explicit BenchEnv(const BenchOptions& options);

  BenchOptions options_;
  asio::ssl::context tls_;
  asio::ssl::context node_tls_;  // with --node-cert
  LinkSettings settings_;
  LinkSettings node_settings_;
  unsigned threads_ = 1;
  std::string tag_;
  bool tty_ = false;
};

// The broker's resident memory (VmRSS of /proc/PID/status) in bytes; nullopt if unreadable.
std::optional<std::uint64_t> process_rss_bytes(int pid);

// The first line of a file, without its line end (a password file); nullopt if unreadable.
std::optional<std::string> read_first_line(const std::string& path);

// Raises the open-file limit to its hard maximum (idle and connect need many sockets).
void raise_file_limit();

}  // namespace arkmq::bench
