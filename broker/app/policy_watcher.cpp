// PolicyWatcher: poll the config store, reload, disconnect removed users.
#include "broker/app/policy_watcher.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace arkmq::app {

std::string policy_reloaded_line(std::uint64_t generation, std::size_t rules, std::size_t users) {
  return fmt::format("policy reloaded: generation {}, {} rules, {} users", generation, rules, users);
}

PolicyWatcher::PolicyWatcher(Params params) : params_(params), timer_(params.context) {
  if (!params_.log) params_.log = spdlog::default_logger();
}

std::string PolicyWatcher::reload() {
  auto data = params_.store.load();
  if (!data) {
    params_.log->warn("policy reload failed: {}", data.error().message);
    return data.error().message;
  }
  auto removed = params_.authority.update(*data);
  if (!removed) {
    params_.log->warn("policy reload failed: {}", removed.error());
    return removed.error();
  }
  params_.log->info("{}", policy_reloaded_line(params_.authority.generation(), data->rules.size(),
                                          data->users.size()));
  for (const std::string& principal : *removed) {
    const std::size_t closed =
        params_.broker.disconnect_principal(principal, protocol::ReasonCode::not_authorized);
    params_.log->info("user '{}' removed: {} client connection(s) closed", principal, closed);
  }
  return {};
}

void PolicyWatcher::start() { schedule(); }

void PolicyWatcher::schedule() {
  timer_.expires_after(params_.interval);
  timer_.async_wait([this](std::error_code error) {
    if (error) return;  // cancelled: the watcher or the io_context is going away
    poll();
    schedule();
  });
}

void PolicyWatcher::poll() {
  auto changed = params_.store.changed_since_last_check();
  if (!changed) {
    if (!poll_failing_) params_.log->warn("policy reload failed: {}", changed.error().message);
    poll_failing_ = true;
    return;
  }
  // After a failing check the store may have changed unseen: reload to be sure.
  if (*changed || poll_failing_) {
    reload();
    if (params_.on_change) params_.on_change();
  }
  poll_failing_ = false;
}

}  // namespace arkmq::app
