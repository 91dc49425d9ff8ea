// How main wires the operators' HTTP listener ([http], docs/metrics.md): the endpoint opened
// from the config, the /metrics route, and its start with the "listening on" line. Startup and
// shutdown on the main thread; the route then runs on the endpoint's threads. Owner: ops-metrics.
#pragma once

#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "broker/app/app_config.hpp"
#include "broker/app/metrics_render.hpp"
#include "broker/http/endpoint.hpp"
#include "broker/net/server.hpp"

namespace arkmq::app {

// Null when [http] listen is empty (off). A URL that is not http://HOST:PORT, or not loopback
// without allow_non_loopback, throws ConfigError (exit 2). Nothing is bound yet.
std::unique_ptr<http::Endpoint> open_http(const HttpConfig& config,
                                          std::shared_ptr<spdlog::logger> log);

// GET /metrics: render_metrics(sources) at every scrape.
void add_metrics_route(http::Endpoint& endpoint, MetricsSources sources);

// After server.start(): the workers' loop lag becomes the metrics' source, and every bound
// listener is listed (at 0) before its first connection. `server` outlives every reader.
void watch_server(Metrics& metrics, net::Server& server);

// Binds and serves, then prints "listening on http://127.0.0.1:PORT" on stdout (as the MQTT
// listeners do; tests read the port from it). Null: nothing. The error is one line.
tl::expected<void, std::string> start_http(http::Endpoint* endpoint, spdlog::logger& log);

}  // namespace arkmq::app
