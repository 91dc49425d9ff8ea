// Logging: one stderr sink shared by a logger per module; see logging.hpp.
#include "broker/app/logging.hpp"

#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>

#include "broker/app/log_format.hpp"

namespace arkmq::app {

struct Logging::Impl {
  spdlog::sink_ptr sink;
  std::mutex mutex;  // guards loggers (get() may be called from any thread)
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
};

namespace {

spdlog::level::level_enum level_of(const LogConfig& config, std::string_view module) {
  const auto own = config.modules.find(std::string(module));
  return spdlog::level::from_str(own == config.modules.end() ? config.level : own->second);
}

}  // namespace

Logging::Logging(const LogConfig& config)
    : Logging(config, std::make_shared<spdlog::sinks::stderr_color_sink_mt>()) {}

Logging::Logging(const LogConfig& config, spdlog::sink_ptr sink)
    : impl_(std::make_shared<Impl>()), config_(config) {
  impl_->sink = std::move(sink);
  impl_->sink->set_formatter(make_log_formatter(config_.format));
  // The sink filters nothing: each logger's level decides.
  impl_->sink->set_level(spdlog::level::trace);
}

std::shared_ptr<spdlog::logger> Logging::get(std::string_view module) {
  const std::lock_guard lock(impl_->mutex);
  if (const auto found = impl_->loggers.find(module); found != impl_->loggers.end()) {
    return found->second;
  }
  auto logger = std::make_shared<spdlog::logger>(std::string(module), impl_->sink);
  logger->set_level(level_of(config_, module));
  // Warnings and errors reach the terminal (or journald) before a crash could lose them.
  logger->flush_on(spdlog::level::warn);
  impl_->loggers.emplace(std::string(module), logger);
  return logger;
}

void Logging::apply(const LogConfig& config) {
  const std::lock_guard lock(impl_->mutex);
  config_ = config;
  // The sink formats under its own lock, so a worker's line is wholly old or wholly new format.
  impl_->sink->set_formatter(make_log_formatter(config_.format));
  for (const auto& [module, logger] : impl_->loggers) {
    logger->set_level(level_of(config_, module));
  }
}

}  // namespace arkmq::app
