// HttpEndpoint: a small read-only HTTP listener (cpp-httplib) for operators: /metrics, the status
// page and its JSON. Used by arkmq-broker and arkmq-edge. Routes are added before start(); the
// handlers then run on the endpoint's own threads, so they must be thread-safe. Owner: ops-metrics.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include <spdlog/logger.h>
#include <tl/expected.hpp>

namespace arkmq::http {

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// The query string, decoded ("?window=300" -> {"window": "300"}).
using Query = std::map<std::string, std::string>;
using Handler = std::function<Response(const Query& query)>;

struct EndpointOptions {
  std::string url;  // "http://HOST:PORT"; port 0 binds a free port
  // Loopback addresses only unless set: the endpoint has no authentication (docs/operations.md).
  bool allow_non_loopback = false;
  std::shared_ptr<spdlog::logger> log;  // null: spdlog's default logger
};

class Endpoint {
 public:
  // Checks the URL (and that its host is loopback unless allowed). Errors are one line naming
  // the URL. Nothing is bound yet.
  static tl::expected<std::unique_ptr<Endpoint>, std::string> create(EndpointOptions options);
  virtual ~Endpoint() = default;

  // GET (and HEAD) only, exact path match; other methods get 405, unknown paths 404. Before
  // start() only.
  virtual void add_route(const std::string& path, Handler handler) = 0;

  // Binds and starts serving on its own thread. Errors (port in use, ...) are one line.
  virtual tl::expected<void, std::string> start() = 0;
  // "http://127.0.0.1:40123", valid after start().
  virtual std::string bound_url() const = 0;
  // Stops serving and joins its threads; idempotent. The destructor calls it.
  virtual void stop() = 0;
};

}  // namespace arkmq::http
