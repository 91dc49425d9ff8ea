// Keeps the broker's acl::Authority in step with the configuration database: every 250 ms on the
// main thread's io_context it asks the ConfigStore whether arkmqctl committed a change, reloads
// and recompiles the policy, and disconnects the clients of users that were removed.
// Main thread only (the ConfigStore's SQLite connection belongs to it).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <spdlog/logger.h>

#include "acl/authority.hpp"
#include "broker/core/broker.hpp"
#include "storage/config_store.hpp"

namespace arkmq::app {

class PolicyWatcher {
 public:
  struct Params {
    asio::io_context& context;  // the main thread's
    storage::ConfigStore& store;
    acl::Authority& authority;
    core::Broker& broker;
    std::chrono::milliseconds interval{250};
    // Called on the main thread after every reload the poll triggers (the store changed), e.g.
    // to journal the new admin changes. May be empty.
    std::function<void()> on_change = {};
    std::shared_ptr<spdlog::logger> log = {};  // the "acl" module; null: spdlog's default
  };

  explicit PolicyWatcher(Params params);
  PolicyWatcher(const PolicyWatcher&) = delete;
  PolicyWatcher& operator=(const PolicyWatcher&) = delete;

  // Loads the store and makes it the current policy, once; logs "policy reloaded: generation N,
  // R rules, U users" (info) or "policy reload failed: ..." (warn, the old policy stays).
  // Returns the error message on failure. Clients of removed users are disconnected.
  std::string reload();

  // Starts polling the store (call once; stops with the io_context or the watcher).
  void start();

 private:
  void schedule();
  void poll();

  Params params_;
  asio::steady_timer timer_;
  bool poll_failing_ = false;  // a failing check is logged once, not every 250 ms
};

// "policy reloaded: generation N, R rules, U users": the line operators (and tests) wait for.
std::string policy_reloaded_line(std::uint64_t generation, std::size_t rules, std::size_t users);

}  // namespace arkmq::app
