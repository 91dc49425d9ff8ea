// Persistence startup and shutdown (see durable_store_wiring.hpp).
// Owned by the durable-store engineer.
#include "broker/app/durable_store_wiring.hpp"

#include <spdlog/spdlog.h>

namespace arkmq::app {

std::shared_ptr<DurableStore> open_persistence(const AppConfig& config,
                                               std::shared_ptr<spdlog::logger> log) {
  if (!config.persistence.enabled) {
    log->info(config.data_dir.empty() ? "persistence off: no data_dir"
                                      : "persistence off: [persistence] enabled = false");
    return nullptr;
  }
  DurableStoreOptions options;
  options.data_dir = config.data_dir;
  options.normal_sync = config.persistence.synchronous == PersistenceSync::normal;
  // Commits are retried with a growing delay (at most every 2 s), so this cannot flood.
  options.on_write_error = [log](const std::string& error) {
    log->error("persistence: commit failed, acknowledgements wait and it is retried: {}", error);
  };
  auto durable = open_durable_store(options);
  if (!durable) {
    throw ConfigError(durable.error() + " (move the file away to start with an empty state)");
  }
  return std::move(*durable);
}

void start_persistence(core::Broker& broker, const std::shared_ptr<DurableStore>& durable,
                       spdlog::logger& log) {
  auto restored = durable->restore();
  if (!restored) {
    throw ConfigError(restored.error() + " (move the file away to start with an empty state)");
  }
  log.info("persistence: restored {} sessions, {} messages, {} retained from {}",
           restored->sessions.size(), restored->messages.size(), restored->retained.size(),
           durable->path());
  broker.restore(*restored, core::Clock::now());
  broker.set_durable_state(durable);
}

void stop_persistence(DurableStore& durable, spdlog::logger& log) {
  if (auto flushed = durable.flush_and_close(); !flushed) {
    log.error("persistence: final commit failed: {}", flushed.error().message);
  }
  const auto stats = durable.store().stats();
  if (stats.lost != 0) {
    log.error("persistence: {} change(s) could not be committed before shutdown", stats.lost);
  }
}

}  // namespace arkmq::app
