// Cloud link: connect, subscribe, run, detect loss, back off with jitter, reconnect.
#include "edge-client/cloud_link.hpp"

#include <random>

#include <spdlog/spdlog.h>

#include "edge-client/paho_convert.hpp"

namespace arkmq::edge {
namespace {

constexpr auto kTick = std::chrono::milliseconds(250);

std::uint64_t random_seed() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) | device();
}

}  // namespace

CloudLink::CloudLink(const CloudConfig& config, std::vector<std::string> subscriptions,
                     CloudLinkHooks hooks)
    : config_(config), subscriptions_(std::move(subscriptions)), hooks_(std::move(hooks)),
      backoff_(config.reconnect_min, config.reconnect_max, random_seed()),
      client_(config.url, config.client_id, mqtt::create_options(MQTTVERSION_5)) {
  client_.set_message_callback([this](mqtt::const_message_ptr message) {
    if (hooks_.on_message) hooks_.on_message(from_paho(*message));
  });
  client_.set_connection_lost_handler([this](const std::string&) { lost(); });
  client_.set_disconnected_handler([this](const mqtt::properties&, mqtt::ReasonCode reason) {
    spdlog::warn("cloud: the broker disconnected us (reason {})", static_cast<int>(reason));
    lost();
  });
}

CloudLink::~CloudLink() {
  stop({});
}

void CloudLink::start() { thread_ = std::thread([this] { run(); }); }

void CloudLink::stop(const std::function<void()>& last) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (up_.load()) {
    if (last) last();
    try {
      client_.disconnect()->wait_for(std::chrono::seconds(3));
    } catch (const mqtt::exception& error) {
      spdlog::debug("cloud: disconnect: {}", error.what());
    }
    up_ = false;
    if (hooks_.on_down) hooks_.on_down();
  }
}

void CloudLink::lost() {
  {
    std::lock_guard lock(mutex_);
    lost_ = true;
  }
  wake_.notify_all();
}

void CloudLink::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

bool CloudLink::publish(const EdgeMessage& message) {
  if (!up_.load()) return false;
  try {
    client_.publish(to_paho(message));
    return true;
  } catch (const mqtt::exception& error) {
    spdlog::debug("cloud: publish to {} failed: {}", message.topic, error.what());
    return false;
  }
}

bool CloudLink::publish(const EdgeMessage& message, mqtt::iaction_listener& listener) {
  if (!up_.load()) return false;
  try {
    client_.publish(to_paho(message), nullptr, listener);
    return true;
  } catch (const mqtt::exception& error) {
    spdlog::debug("cloud: publish to {} failed: {}", message.topic, error.what());
    return false;
  }
}

bool CloudLink::connect_once() {
  auto builder = mqtt::connect_options_builder()
                     .mqtt_version(MQTTVERSION_5)
                     .clean_start(true)
                     .keep_alive_interval(config_.keep_alive)
                     .connect_timeout(std::chrono::seconds(10))
                     .max_inflight(256)
                     .automatic_reconnect(false);
  if (config_.url.rfind("ssl://", 0) == 0) {
    mqtt::ssl_options ssl;
    ssl.set_trust_store(config_.ca);
    if (!config_.cert.empty()) {
      ssl.set_key_store(config_.cert);
      ssl.set_private_key(config_.key);
    }
    ssl.set_enable_server_cert_auth(true);
    builder.ssl(std::move(ssl));
  }
  try {
    client_.connect(builder.finalize())->wait();
    for (const auto& filter : subscriptions_) {
      client_.subscribe(filter, 1)->wait_for(std::chrono::seconds(10));
    }
  } catch (const mqtt::exception& error) {
    spdlog::warn("cloud: connect to {} failed: {}", config_.url, error.what());
    try {
      // Connected but a subscription failed: start the next attempt from scratch.
      if (client_.is_connected()) client_.disconnect()->wait_for(std::chrono::seconds(3));
    } catch (const mqtt::exception&) {
      // already gone
    }
    return false;
  }
  return client_.is_connected();
}

void CloudLink::run() {
  bool first = true;
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      lost_ = false;
    }
    if (!connect_once()) {
      const auto delay = backoff_.next();
      spdlog::info("cloud: retrying in {} ms", delay.count());
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, delay, [&] { return stopping_; })) return;
      continue;
    }
    backoff_.reset();
    if (!first) ++reconnects_;
    first = false;
    up_ = true;
    ever_up_ = true;
    spdlog::info("cloud link up ({})", config_.url);
    if (hooks_.on_up) hooks_.on_up();
    while (true) {
      if (hooks_.on_tick) hooks_.on_tick();
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, kTick, [&] { return stopping_ || lost_ || woken_; });
      woken_ = false;
      if (stopping_) return;  // stop() disconnects
      if (lost_) break;
    }
    up_ = false;
    spdlog::warn("cloud link down");
    if (hooks_.on_down) hooks_.on_down();
  }
}

}  // namespace arkmq::edge
