// BenchEnv: resolution, TLS context, run tag, progress line; /proc and rlimit helpers.
#include "tools/arkmq-bench/bench_env.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <thread>

namespace arkmq::bench {

BenchEnv::BenchEnv(const BenchOptions& options)
    : options_(options), tls_(asio::ssl::context::tls_client) {}

tl::expected<std::unique_ptr<BenchEnv>, SetupError> BenchEnv::make(const BenchOptions& options) {
  std::unique_ptr<BenchEnv> env(new BenchEnv(options));
  const BenchOptions& o = env->options_;
  std::error_code ec;
  if (o.broker.tls) {
    env->tls_.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                          asio::ssl::context::no_sslv3, ec);
    if (o.insecure) {
      env->tls_.set_verify_mode(asio::ssl::verify_none, ec);
    } else {
      env->tls_.set_verify_mode(asio::ssl::verify_peer, ec);
      if (o.cafile.empty()) {
        env->tls_.set_default_verify_paths(ec);
      } else {
        env->tls_.load_verify_file(o.cafile, ec);
        if (ec) return tl::make_unexpected(SetupError{2, "--cafile " + o.cafile + ": " + ec.message()});
      }
    }
    if (!o.cert.empty()) {
      env->tls_.use_certificate_chain_file(o.cert, ec);
      if (ec) return tl::make_unexpected(SetupError{2, "--cert " + o.cert + ": " + ec.message()});
      env->tls_.use_private_key_file(o.key, asio::ssl::context::pem, ec);
      if (ec) return tl::make_unexpected(SetupError{2, "--key " + o.key + ": " + ec.message()});
    }
  }
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  const auto results = resolver.resolve(o.broker.host, std::to_string(o.broker.port), ec);
  if (ec || results.empty()) {
    return tl::make_unexpected(SetupError{1, "cannot resolve " + o.broker.host + ": " + ec.message()});
  }
  LinkSettings& s = env->settings_;
  s.endpoint = results.begin()->endpoint();
  s.host = o.broker.host;
  s.tls = o.broker.tls;
  s.verify_host = !o.insecure;
  s.tls_context = &env->tls_;
  s.version = o.protocol == 5 ? protocol::ProtocolVersion::v5 : protocol::ProtocolVersion::v311;
  s.username = o.username;
  s.password = o.password;
  const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
  env->threads_ = o.threads != 0 ? o.threads : cores;
  env->tag_ = std::to_string(::getpid()) + "-" + std::to_string(now_ns() % 1'000'000'000);
  env->tty_ = ::isatty(STDERR_FILENO) != 0;
  return env;
}

void BenchEnv::progress(double elapsed_s, const std::string& text) const {
  std::fprintf(stderr, "%st=%.0fs %s%s", tty_ ? "\r\033[K" : "", elapsed_s, text.c_str(),
               tty_ ? "" : "\n");
  std::fflush(stderr);
}

void BenchEnv::end_progress() const {
  if (tty_) std::fputs("\n", stderr);
}

std::optional<std::uint64_t> process_rss_bytes(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      try {
        return std::stoull(line.substr(6)) * 1024;  // "VmRSS:   1234 kB"
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

void raise_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace arkmq::bench
