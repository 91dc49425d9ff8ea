// Startup and shutdown of persistence for arkmq-broker: opens <data_dir>/state.db per the
// [persistence] settings, restores the broker from it and hands it the DurableState; flushes at
// shutdown. Owned by the durable-store engineer; main thread only.
#pragma once

#include <memory>

#include <spdlog/logger.h>

#include "broker/app/app_config.hpp"
#include "broker/app/durable_store.hpp"
#include "broker/core/broker.hpp"

namespace arkmq::app {

// nullptr when persistence is off (no data_dir, or [persistence] enabled = false). A file that
// is refused (damaged, truncated, newer, not a state database) throws ConfigError naming it.
std::shared_ptr<DurableStore> open_persistence(const AppConfig& config,
                                               std::shared_ptr<spdlog::logger> log);

// Broker::restore with what the file held, then Broker::set_durable_state; logs
// "persistence: restored N sessions, M messages, R retained from <path>". Before serving.
void start_persistence(core::Broker& broker, const std::shared_ptr<DurableStore>& durable,
                       spdlog::logger& log);

// After the broker stopped (no more reports): commits what is queued, stops the writer thread.
void stop_persistence(DurableStore& durable, spdlog::logger& log);

}  // namespace arkmq::app
