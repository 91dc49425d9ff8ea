// BenchEnv: resolution, TLS context, run tag, progress line; /proc and rlimit helpers.
#include "tools/arkmq-bench/bench_env.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <thread>

namespace arkmq::bench {

BenchEnv::BenchEnv(const BenchOptions& options)
    : options_(options),
      tls_(asio::ssl::context::tls_client),
      node_tls_(asio::ssl::context::tls_client) {}

namespace {

// Verification and (optionally) a client certificate for one TLS context.
std::optional<SetupError> configure_tls(asio::ssl::context& tls, const BenchOptions& o,
                                        const std::string& cert, const std::string& key,
                                        const std::string& cert_option) {
  std::error_code ec;
  tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3, ec);
  if (o.insecure) {
    tls.set_verify_mode(asio::ssl::verify_none, ec);
  } else {
    tls.set_verify_mode(asio::ssl::verify_peer, ec);
    if (o.cafile.empty()) {
      tls.set_default_verify_paths(ec);
    } else {
      tls.load_verify_file(o.cafile, ec);
      if (ec) return SetupError{2, "--cafile " + o.cafile + ": " + ec.message()};
    }
  }
  if (!cert.empty()) {
    tls.use_certificate_chain_file(cert, ec);
    if (ec) return SetupError{2, cert_option + " " + cert + ": " + ec.message()};
    tls.use_private_key_file(key, asio::ssl::context::pem, ec);
    if (ec) return SetupError{2, "the key " + key + ": " + ec.message()};
  }
  return std::nullopt;
}

}  // namespace

tl::expected<std::unique_ptr<BenchEnv>, SetupError> BenchEnv::make(const BenchOptions& options) {
  std::unique_ptr<BenchEnv> env(new BenchEnv(options));
  const BenchOptions& o = env->options_;
  std::error_code ec;
  if (o.broker.tls) {
    if (auto error = configure_tls(env->tls_, o, o.cert, o.key, "--cert")) {
      return tl::make_unexpected(*error);
    }
    if (!o.node_cert.empty()) {
      if (auto error = configure_tls(env->node_tls_, o, o.node_cert, o.node_key, "--node-cert")) {
        return tl::make_unexpected(*error);
      }
    }
  }
  std::optional<std::string> password = o.password;
  if (!o.password_file.empty()) {
    password = read_first_line(o.password_file);
    if (!password) {
      return tl::make_unexpected(SetupError{2, "--password-file " + o.password_file + ": unreadable"});
    }
  }
  std::optional<std::string> node_password = o.node_password;
  if (!o.node_password_file.empty()) {
    node_password = read_first_line(o.node_password_file);
    if (!node_password) {
      return tl::make_unexpected(
          SetupError{2, "--node-password-file " + o.node_password_file + ": unreadable"});
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
  s.password = password;
  LinkSettings& n = env->node_settings_;
  n = s;
  if (o.node_username) {  // the node's own login; without one it logs in as the callers do
    n.username = o.node_username;
    n.password = node_password;
  }
  if (!o.node_cert.empty()) {
    n.tls_context = &env->node_tls_;
    if (!o.node_username) {  // the certificate is the node's identity, not the callers' login
      n.username.reset();
      n.password.reset();
    }
  }
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

std::optional<std::string> read_first_line(const std::string& path) {
  std::ifstream file(path);
  if (!file) return std::nullopt;
  std::string line;
  std::getline(file, line);
  if (file.bad()) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

void raise_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace arkmq::bench
