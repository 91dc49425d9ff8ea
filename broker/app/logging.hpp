// Logging: the broker's spdlog loggers, one per module, sharing one stderr sink; human-readable
// text by default, JSON lines on request; a level per module. Built on the main thread; apply()
// (SIGHUP reload) may run while workers log: spdlog's levels and sinks are thread-safe.
// Owner: ops-config. Never logs a secret; payloads only when [log] payloads = true.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/logger.h>

namespace arkmq::app {

enum class LogFormat { text, json };

// The modules a level can be set for ([log.modules] in the config file).
inline constexpr std::array<std::string_view, 9> kLogModules = {
    "broker", "net", "acl", "audit", "persistence", "services", "http", "reload", "edge"};

struct LogConfig {
  std::string level = "info";                  // trace, debug, info, warn, error, off
  LogFormat format = LogFormat::text;
  std::map<std::string, std::string> modules;  // module -> level; others use `level`
  bool payloads = false;                       // payload bytes may appear in debug lines
};

class Logging {
 public:
  explicit Logging(const LogConfig& config);
  // The same over another sink (tests capture lines in an ostream sink).
  Logging(const LogConfig& config, spdlog::sink_ptr sink);
  // The logger of `module` (one of kLogModules), created on first use with the current format
  // and level. Loggers stay valid for the process's life.
  std::shared_ptr<spdlog::logger> get(std::string_view module);
  // New format and levels for every logger (a reload).
  void apply(const LogConfig& config);
  const LogConfig& config() const { return config_; }

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
  LogConfig config_;
};

}  // namespace arkmq::app
