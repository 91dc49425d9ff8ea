// StatusPage: routes of the status page and the JSON handler.
#include "broker/app/status_page.hpp"

#include <charconv>
#include <utility>

#include "broker/app/status_assets.hpp"
#include "broker/app/status_json.hpp"

namespace arkmq::app {
namespace {

http::Response asset(std::string_view content_type, std::string_view body) {
  http::Response response;
  response.content_type = std::string(content_type);
  response.body = std::string(body);
  return response;
}

// `?window=S`: a whole number of seconds; anything else means "all samples".
std::chrono::seconds window_of(const http::Query& query, std::chrono::seconds all) {
  const auto it = query.find("window");
  if (it == query.end()) return all;
  long long seconds = 0;
  const std::string& text = it->second;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (error != std::errc{} || end != text.data() + text.size() || seconds <= 0) return all;
  return std::chrono::seconds(seconds);
}

}  // namespace

StatusPage::StatusPage(const core::Broker& broker, StatusPageOptions options)
    : broker_(broker),
      options_(options),
      started_(core::Clock::now()),
      events_(std::make_shared<StatusEvents>(options.max_events)),
      rates_(std::make_shared<RateHistory>(options.rate_samples)) {}

void StatusPage::sample(core::Clock::time_point now) {
  rates_->sample(broker_.stats(), now, std::chrono::system_clock::now());
}

http::Response StatusPage::api_status(const http::Query& query) const {
  StatusInputs in;
  in.version = broker_.config().version;
  in.uptime = std::chrono::duration_cast<std::chrono::seconds>(core::Clock::now() - started_);
  in.now = std::chrono::system_clock::now();
  in.client_limit = options_.max_clients;
  in.snapshot = broker_.snapshot(options_.max_clients);
  in.stats = broker_.stats();
  in.rates = rates_->samples(
      window_of(query, std::chrono::seconds(static_cast<long long>(options_.rate_samples))));
  in.denials = events_->denials();
  in.quota_hits = events_->quota_hits();
  http::Response response;
  response.content_type = "application/json";
  response.body = status_json(in);
  return response;
}

void StatusPage::add_routes(http::Endpoint& endpoint) const {
  endpoint.add_route("/", [](const http::Query&) {
    return asset("text/html; charset=utf-8", status_index_html());
  });
  endpoint.add_route("/status.js", [](const http::Query&) {
    return asset("text/javascript; charset=utf-8", status_script());
  });
  endpoint.add_route("/status.css", [](const http::Query&) {
    return asset("text/css; charset=utf-8", status_stylesheet());
  });
  // The page (this object) outlives the endpoint: main.cpp declares it first.
  endpoint.add_route("/api/status", [this](const http::Query& query) { return api_status(query); });
}

}  // namespace arkmq::app
