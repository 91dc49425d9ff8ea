// Endpoint over httplib::Server: GET/HEAD routes by exact path, its own listening thread and a
// small worker pool, bounded requests and timeouts (see endpoint.hpp).
#include "broker/http/endpoint.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <thread>
#include <utility>

#include "broker/http/http_url.hpp"

namespace arkmq::http {
namespace {

// Every answer: the status page is read-only and same-origin only; what the broker shows of its
// clients (ids, topics) must never run as script, be sniffed as another type, be framed by
// another site or linger in a cache.
void set_security_headers(httplib::Response& response) {
  response.set_header("Content-Security-Policy",
                      "default-src 'none'; script-src 'self'; style-src 'self'; "
                      "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
                      "frame-ancestors 'none'");
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("X-Frame-Options", "DENY");
  response.set_header("Referrer-Policy", "no-referrer");
  response.set_header("Cache-Control", "no-store");
}

// Operators' pages are small and scraped rarely: two workers are plenty, and a slow or hostile
// client cannot hold a worker longer than the timeouts.
constexpr std::size_t kWorkerThreads = 2;
constexpr std::size_t kMaxRequestBody = 4096;  // a GET needs none
constexpr auto kReadTimeout = std::chrono::seconds(5);
constexpr auto kWriteTimeout = std::chrono::seconds(5);
constexpr std::time_t kKeepAliveSeconds = 5;
constexpr auto kStartTimeout = std::chrono::seconds(5);

const char* reason_text(int status) {
  switch (status) {
    case 400: return "bad request";
    case 404: return "not found";
    case 405: return "method not allowed";
    case 413: return "request too large";
    case 414: return "URI too long";
    case 500: return "internal error";
    default: return "error";
  }
}

class HttplibEndpoint final : public Endpoint {
 public:
  HttplibEndpoint(HttpUrl url, std::shared_ptr<spdlog::logger> log)
      : url_(std::move(url)), log_(std::move(log)) {
    server_.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
    server_.set_payload_max_length(kMaxRequestBody);
    // httplib's default also sets SO_REUSEPORT, which would let a second process bind the same
    // port silently; SO_REUSEADDR alone only allows a quick restart.
    server_.set_socket_options([](socket_t socket) {
      int on = 1;
      ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    });
    server_.set_read_timeout(kReadTimeout);
    server_.set_write_timeout(kWriteTimeout);
    server_.set_keep_alive_timeout(kKeepAliveSeconds);
    server_.set_keep_alive_max_count(100);
    // Read-only: anything but GET and HEAD is refused before routing (HEAD uses GET's routes).
    server_.set_pre_routing_handler([](const httplib::Request& request, httplib::Response& response) {
      if (request.method == "GET" || request.method == "HEAD") {
        return httplib::Server::HandlerResponse::Unhandled;
      }
      response.status = 405;
      response.set_header("Allow", "GET, HEAD");
      response.set_content("method not allowed\n", "text/plain; charset=utf-8");
      return httplib::Server::HandlerResponse::Handled;
    });
    server_.set_error_handler([this](const httplib::Request& request, httplib::Response& response) {
      if (response.body.empty()) {
        response.set_content(std::string(reason_text(response.status)) + "\n",
                             "text/plain; charset=utf-8");
      }
      log_->debug("http: {} {} -> {}", request.method, request.path, response.status);
    });
    server_.set_exception_handler(
        [this](const httplib::Request& request, httplib::Response& response, std::exception_ptr error) {
          std::string what = "unknown exception";
          try {
            if (error) std::rethrow_exception(error);
          } catch (const std::exception& caught) {
            what = caught.what();
          } catch (...) {
          }
          log_->error("http: {} {} failed: {}", request.method, request.path, what);
          response.status = 500;
          response.set_content("internal error\n", "text/plain; charset=utf-8");
        });
  }

  ~HttplibEndpoint() override { stop(); }

  void add_route(const std::string& path, Handler handler) override {
    // Exact match: httplib patterns are regular expressions, so the path is escaped.
    server_.Get(escape_regex(path), [handler = std::move(handler)](const httplib::Request& request,
                                                                   httplib::Response& response) {
      Query query;
      for (const auto& [key, value] : request.params) query.emplace(key, value);
      Response answer = handler(query);
      response.status = answer.status;
      set_security_headers(response);
      response.set_content(std::move(answer.body), answer.content_type.c_str());
    });
  }

  tl::expected<void, std::string> start() override {
    if (thread_.joinable()) return {};
    int port = url_.port;
    if (port == 0) {
      port = server_.bind_to_any_port(url_.host);
      if (port < 0) return tl::unexpected(bind_error());
    } else if (!server_.bind_to_port(url_.host, port)) {
      return tl::unexpected(bind_error());
    }
    port_ = static_cast<std::uint16_t>(port);
    thread_ = std::thread([this] {
      server_.listen_after_bind();
      listen_ended_ = true;
    });
    // stop() is only safe once the accept loop runs (httplib ignores stop() before it).
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (!server_.is_running() && !listen_ended_) {
      if (std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (!server_.is_running()) {
      stop();
      return tl::unexpected(url_.to_string(port_) + ": the HTTP listener did not start");
    }
    return {};
  }

  std::string bound_url() const override { return url_.to_string(port_); }

  void stop() override {
    if (!thread_.joinable()) return;
    server_.stop();
    thread_.join();
  }

 private:
  static std::string escape_regex(const std::string& path) {
    std::string out;
    for (char c : path) {
      if (std::string_view(R"(\^$.|?*+()[]{})").find(c) != std::string_view::npos) out += '\\';
      out += c;
    }
    return out;
  }

  std::string bind_error() const {
    return url_.to_string(url_.port) + ": cannot listen (address in use or not available)";
  }

  HttpUrl url_;
  std::shared_ptr<spdlog::logger> log_;
  httplib::Server server_;
  std::thread thread_;
  std::atomic<bool> listen_ended_{false};
  std::uint16_t port_ = 0;
};

}  // namespace

tl::expected<std::unique_ptr<Endpoint>, std::string> Endpoint::create(EndpointOptions options) {
  auto url = parse_http_url(options.url);
  if (!url) return tl::unexpected("http listener '" + options.url + "': " + url.error());
  if (!options.allow_non_loopback && !is_loopback_host(url->host)) {
    return tl::unexpected("http listener '" + options.url +
                          "': not a loopback address (the endpoint has no authentication; set "
                          "allow_non_loopback to expose it)");
  }
  auto log = options.log ? std::move(options.log) : spdlog::default_logger();
  return std::make_unique<HttplibEndpoint>(std::move(*url), std::move(log));
}

}  // namespace arkmq::http
