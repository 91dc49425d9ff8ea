// open_http / add_metrics_route / start_http (see http_wiring.hpp).
#include "broker/app/http_wiring.hpp"

#include <chrono>
#include <iostream>
#include <vector>

#include "broker/http/prometheus_text.hpp"

namespace arkmq::app {

std::unique_ptr<http::Endpoint> open_http(const HttpConfig& config,
                                          std::shared_ptr<spdlog::logger> log) {
  if (config.listen.empty()) return nullptr;
  http::EndpointOptions options;
  options.url = config.listen;
  options.allow_non_loopback = config.allow_non_loopback;
  options.log = std::move(log);
  auto endpoint = http::Endpoint::create(std::move(options));
  if (!endpoint) throw ConfigError("[http] " + endpoint.error());
  return std::move(*endpoint);
}

void add_metrics_route(http::Endpoint& endpoint, MetricsSources sources) {
  endpoint.add_route("/metrics", [sources](const http::Query&) {
    http::Response response;
    response.content_type = http::PrometheusText::kContentType;
    response.body = render_metrics(sources);
    return response;
  });
}

void watch_server(Metrics& metrics, net::Server& server) {
  metrics.set_loop_lag_source([&server] {
    std::vector<std::chrono::microseconds> lags;
    lags.reserve(server.worker_count());
    for (std::size_t i = 0; i < server.worker_count(); ++i) {
      lags.push_back(server.worker(i).loop_lag());
    }
    return lags;
  });
  for (const auto& url : server.bound_urls()) metrics.add_listener(url);
}

tl::expected<void, std::string> start_http(http::Endpoint* endpoint, spdlog::logger& log) {
  if (endpoint == nullptr) return {};
  if (auto started = endpoint->start(); !started) return started;
  std::cout << "listening on " << endpoint->bound_url() << std::endl;
  log.info("http: serving /metrics on {}", endpoint->bound_url());
  return {};
}

}  // namespace arkmq::app
