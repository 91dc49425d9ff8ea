// EdgeNode wiring.
#include "edge-client/edge_node.hpp"

#include <charconv>
#include <stdexcept>

#include <mqtt/delivery_token.h>
#include <spdlog/spdlog.h>

#include "edge-client/announcement.hpp"
#include "edge-client/backend_factory.hpp"
#include "edge-client/paho_convert.hpp"

namespace arkmq::edge {
namespace {

constexpr std::size_t kOutboxWindow = 64;
constexpr std::size_t kCallQueue = 256;
constexpr auto kStatusRefresh = std::chrono::seconds(5);

std::string kind_name(BackendKind kind) {
  switch (kind) {
    case BackendKind::http:
      return "http";
    case BackendKind::tcp:
      return "tcp";
    case BackendKind::mqtt:
      return "mqtt";
  }
  return "?";
}

std::optional<std::int64_t> seq_of(const mqtt::token& token) {
  const auto* delivery = dynamic_cast<const mqtt::delivery_token*>(&token);
  if (delivery == nullptr || !delivery->get_message()) return std::nullopt;
  const auto value = from_paho(*delivery->get_message()).user_property(kSeqProperty);
  if (!value) return std::nullopt;
  std::int64_t seq = 0;
  const auto [ptr, ec] = std::from_chars(value->data(), value->data() + value->size(), seq);
  if (ec != std::errc()) return std::nullopt;
  return seq;
}

}  // namespace

EdgeNode::EdgeNode(EdgeConfig config)
    : config_(std::move(config)),
      bridge_(config_.bridges, config_.node, config_.loop_prevention, config_.max_hops),
      metrics_(config_.services) {
  auto outbox = Outbox::open(config_.outbox.path,
                             OutboxLimits{config_.outbox.max_messages, config_.outbox.max_bytes});
  if (!outbox) throw std::runtime_error("outbox: " + outbox.error());
  outbox_ = std::move(*outbox);
  sender_ = std::make_unique<OutboxSender>(*outbox_, kOutboxWindow);
  std::vector<HealthMonitor::Target> targets;
  for (const auto& service : config_.services) {
    backends_.push_back(make_backend(service, config_.node));
    targets.push_back({backends_.back().get(), service.health_interval});
  }
  health_ = std::make_unique<HealthMonitor>(std::move(targets), [this](std::size_t index, bool ok) {
    spdlog::warn("service {}: backend is now {}", config_.services[index].name, ok ? "up" : "down");
    announce(index);
    mark_status_dirty();
  });
  workers_ = std::make_unique<CallWorkers>(config_.call_workers, kCallQueue);
  local_ = std::make_unique<LocalLink>(config_.local);
  const auto site = parse_backend_url(config_.local.url);  // "tcp://HOST:PORT" after validation
  if (!site) throw std::runtime_error("local.url: " + site.error());
  subscriber_ = std::make_unique<LocalSubscriber>(
      LocalSubscriberConfig{site->host, site->port, config_.local.client_id, bridge_.local_filters()},
      [this](const EdgeMessage& m) { on_local_message(m); });
  std::vector<std::string> subscriptions{call_subscription(config_.node)};
  for (const auto& filter : bridge_.cloud_filters()) subscriptions.push_back(filter);
  CloudLinkHooks hooks;
  hooks.on_up = [this] {
    metrics_.link_connected(SteadyClock::now());
    sender_->link_up();
    announce_all();
    mark_status_dirty();
  };
  hooks.on_down = [this] {
    sender_->link_down();
    mark_status_dirty();
  };
  hooks.on_tick = [this] { on_link_tick(); };
  hooks.on_message = [this](const EdgeMessage& m) { on_cloud_message(m); };
  cloud_ = std::make_unique<CloudLink>(config_.cloud, std::move(subscriptions), std::move(hooks));
}

EdgeNode::~EdgeNode() { stop(); }

void EdgeNode::start() {
  // First, so that a port in use stops the edge before it connects anywhere.
  if (!config_.metrics.listen.empty()) {
    auto endpoint = start_metrics_endpoint(config_.metrics, [this] { return metrics_text(); });
    if (!endpoint) throw std::runtime_error("metrics: " + endpoint.error());
    metrics_endpoint_ = std::move(*endpoint);
    spdlog::info("metrics on {}/metrics", metrics_endpoint_->bound_url());
  }
  health_->check_all_now();
  for (std::size_t i = 0; i < config_.services.size(); ++i) {
    spdlog::info("service {} ({} backend): {}", config_.services[i].name,
                 kind_name(config_.services[i].backend.kind),
                 health_->available(i) ? "available" : "unavailable");
  }
  local_->start();
  subscriber_->start();
  health_->start();
  status_thread_ = std::thread([this] { status_loop(); });
  cloud_->start();
}

void EdgeNode::stop() {
  {
    std::lock_guard lock(status_mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  status_wake_.notify_all();
  if (metrics_endpoint_) metrics_endpoint_->stop();  // its handler reads every component
  if (status_thread_.joinable()) status_thread_.join();
  health_->stop();
  cloud_->stop([this] { withdraw_all(); });
  workers_->stop();
  subscriber_->stop();
  local_->stop();
}

void EdgeNode::AckListener::on_success(const mqtt::token& token) {
  if (auto seq = seq_of(token)) {
    node_.sender_->acked(*seq);
    node_.cloud_->wake();
  }
}

void EdgeNode::AckListener::on_failure(const mqtt::token& token) {
  // A PUBACK with an error code is final (e.g. not authorized): retrying cannot help. Anything
  // else is a lost connection, and the row is replayed after the reconnect.
  if (static_cast<int>(token.get_reason_code()) < 0x80) return;
  if (auto seq = seq_of(token)) {
    spdlog::warn("cloud refused bridged message {} (reason {})", *seq,
                 static_cast<int>(token.get_reason_code()));
    node_.sender_->refused(*seq);
    node_.cloud_->wake();
  }
}

void EdgeNode::on_local_message(const EdgeMessage& message) {
  auto out = bridge_.to_cloud(message);
  if (!out) return;
  ++bridged_out_;
  if (out->qos == 0) {
    if (cloud_->publish(*out)) {
      metrics_.forwarded();
    } else {
      ++dropped_qos0_;
    }
    return;
  }
  out->qos = 1;  // QoS 2 is carried as QoS 1 plus the outbox's sequence number
  // Committed before this returns, i.e. before LocalSubscriber sends the PUBACK.
  if (auto seq = outbox_->store(*out); !seq) {
    spdlog::error("outbox: {}", seq.error());
  }
  cloud_->wake();
}

void EdgeNode::on_cloud_message(const EdgeMessage& message) {
  if (message.topic.rfind("$svc/", 0) == 0) {
    handle_call(message);
    return;
  }
  if (auto in = bridge_.to_local(message)) {
    ++bridged_in_;
    local_->publish(*in);
  }
}

void EdgeNode::handle_call(const EdgeMessage& message) {
  const auto target = parse_call_topic(message.topic);
  if (!target) {
    spdlog::warn("cloud: unexpected message on {}", message.topic);
    return;
  }
  std::size_t index = config_.services.size();
  for (std::size_t i = 0; i < config_.services.size(); ++i) {
    if (config_.services[i].name == target->service) index = i;
  }
  const auto timeout = index < config_.services.size() ? config_.services[index].timeout
                                                        : std::chrono::milliseconds(10'000);
  auto request = parse_call(message, config_.node, timeout);
  if (!request) {
    metrics_.call_rejected(CallRejection::invalid);
    spdlog::warn("cloud: call dropped: {}", request.error());
    return;
  }
  if (index == config_.services.size()) {
    metrics_.call_rejected(CallRejection::unknown_service);
    ++calls_failed_;
    cloud_->publish(build_error_reply(*request, "this node does not serve " + target->service));
    return;
  }
  const auto& methods = config_.services[index].methods;
  if (std::find(methods.begin(), methods.end(), target->method) == methods.end()) {
    metrics_.call_rejected(CallRejection::unknown_method);
    ++calls_failed_;
    cloud_->publish(build_error_reply(*request, "service " + target->service + " has no method " + target->method));
    return;
  }
  if (!workers_->post([this, index, call = *request] { run_call(index, call); })) {
    metrics_.call_rejected(CallRejection::busy);
    ++calls_failed_;
    cloud_->publish(build_error_reply(*request, "node busy"));
  }
}

void EdgeNode::run_call(std::size_t service, const CallRequest& request) {
  const auto started = SteadyClock::now();
  BackendRequest backend_request{request.target.service, request.target.method, request.payload,
                                 request.content_type, started + request.budget};
  const BackendResult result = backends_[service]->call(backend_request);
  (result.status == CallStatus::ok ? calls_ok_ : calls_failed_)++;
  const auto took = SteadyClock::now() - started;
  metrics_.call_finished(service, request.target.method, result.status, took);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(took);
  spdlog::info("call {}.{} from '{}': {} in {} ms", request.target.service, request.target.method,
               request.caller, to_string(result.status), ms.count());
  if (!cloud_->publish(build_reply(request, result))) {
    spdlog::warn("call {}.{}: reply lost, the cloud link is down", request.target.service,
                 request.target.method);
  }
}

void EdgeNode::announce(std::size_t service) {
  const auto& config = config_.services[service];
  EdgeMessage message;
  message.topic = announce_topic(config_.node, config.name);
  message.payload = announcement_json(config, config_.labels, health_->available(service), config_.heartbeat);
  message.qos = 1;
  message.content_type = "application/json";
  if (cloud_->publish(message)) metrics_.announcement_sent(service);
}

void EdgeNode::announce_all() {
  std::lock_guard lock(announce_mutex_);
  for (std::size_t i = 0; i < config_.services.size(); ++i) announce(i);
  last_announce_ = SteadyClock::now();
}

void EdgeNode::withdraw_all() {
  for (const auto& service : config_.services) {
    EdgeMessage message;
    message.topic = announce_topic(config_.node, service.name);
    message.qos = 1;
    cloud_->publish(message);  // empty payload: withdrawn (docs/protocol.md, "Announce")
  }
}

void EdgeNode::on_link_tick() {
  const auto publish = [this](std::int64_t, const EdgeMessage& m) {
    if (!cloud_->publish(m, acks_)) return false;
    if (m.user_property(kReplayProperty)) {
      metrics_.replayed();
    } else {
      metrics_.forwarded();
    }
    return true;
  };
  if (auto pumped = sender_->pump(publish); !pumped) {
    spdlog::error("outbox: {}", pumped.error());
  }
  bool due = false;
  {
    std::lock_guard lock(announce_mutex_);
    due = SteadyClock::now() - last_announce_ >= config_.heartbeat;
  }
  if (due) announce_all();
}

void EdgeNode::mark_status_dirty() {
  {
    std::lock_guard lock(status_mutex_);
    status_dirty_ = true;
  }
  status_wake_.notify_all();
}

StatusSnapshot EdgeNode::status() const {
  StatusSnapshot s;
  s.node = config_.node;
  s.link = cloud_->is_up() ? LinkState::up : (cloud_->was_ever_up() ? LinkState::down : LinkState::connecting);
  s.reconnects = cloud_->reconnects();
  s.local_up = subscriber_->is_subscribed();
  for (std::size_t i = 0; i < config_.services.size(); ++i) {
    s.services.push_back({config_.services[i].name, kind_name(config_.services[i].backend.kind),
                          health_->available(i)});
  }
  s.outbox = outbox_->stats();
  s.outbox_in_flight = static_cast<std::int64_t>(sender_->in_flight());
  s.calls_ok = calls_ok_.load();
  s.calls_failed = calls_failed_.load();
  s.bridged_out = bridged_out_.load();
  s.bridged_in = bridged_in_.load();
  s.dropped_qos0 = dropped_qos0_.load();
  return s;
}

std::string EdgeNode::metrics_text() const {
  ScrapeState state;
  state.status = status();
  for (std::size_t i = 0; i < config_.services.size(); ++i) state.checks_failed.push_back(health_->checks_failed(i));
  if (const auto oldest = outbox_->oldest_stored_at()) {
    state.outbox_oldest_age = std::chrono::system_clock::now() - *oldest;
  }
  state.outbox_refused_by_cloud = sender_->refused_count();
  return metrics_.render(state, SteadyClock::now());
}

void EdgeNode::status_loop() {
  std::string last;
  auto last_sent = SteadyClock::now();
  while (true) {
    {
      std::unique_lock lock(status_mutex_);
      status_wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || status_dirty_; });
      if (stopping_) return;
      status_dirty_ = false;
    }
    if (!local_->started() && !local_->start()) continue;
    const std::string json = status_json(status());
    if (json == last && SteadyClock::now() - last_sent < kStatusRefresh) continue;
    EdgeMessage message;
    message.topic = config_.local.status_topic;
    message.payload = json;
    message.qos = 1;
    message.retain = true;
    message.content_type = "application/json";
    if (local_->publish(message)) {
      last = json;
      last_sent = SteadyClock::now();
    }
  }
}

}  // namespace arkmq::edge
