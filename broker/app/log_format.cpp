// Text and JSON-lines log formats; see log_format.hpp.
#include "broker/app/log_format.hpp"

#include <chrono>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>

namespace arkmq::app {

namespace {

// ISO-8601 UTC with milliseconds: "2026-11-28T02:46:24.123Z".
std::string iso_time(spdlog::log_clock::time_point time) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
  const std::time_t whole = static_cast<std::time_t>(seconds.count());
  std::tm utc{};
  gmtime_r(&whole, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
}

}  // namespace

std::string_view log_level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    case spdlog::level::err: return "error";
    case spdlog::level::critical: return "critical";
    case spdlog::level::off: return "off";
    case spdlog::level::n_levels: break;
  }
  return "unknown";
}

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  nlohmann::ordered_json line;
  line["time"] = iso_time(msg.time);
  line["level"] = log_level_name(msg.level);
  line["module"] = std::string_view(msg.logger_name.data(), msg.logger_name.size());
  line["msg"] = std::string_view(msg.payload.data(), msg.payload.size());
  // A message may carry attacker-chosen bytes (client ids, topics): never fail on them.
  const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  dest.append(text.data(), text.data() + text.size());
  dest.push_back('\n');
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format) {
  switch (format) {
    case LogFormat::text: return std::make_unique<spdlog::pattern_formatter>(kTextLogPattern);
    case LogFormat::json: return std::make_unique<JsonLogFormatter>();
  }
  return std::make_unique<spdlog::pattern_formatter>(kTextLogPattern);
}

std::string payload_for_log(std::span<const std::uint8_t> payload, std::size_t limit) {
  std::string out;
  const std::size_t shown = std::min(payload.size(), limit);
  out.reserve(shown + 16);
  for (std::size_t i = 0; i < shown; ++i) {
    const std::uint8_t byte = payload[i];
    if (byte >= 0x20 && byte < 0x7f && byte != '\\') {
      out.push_back(static_cast<char>(byte));
    } else {
      out += fmt::format("\\x{:02x}", byte);
    }
  }
  if (shown < payload.size()) {
    out += fmt::format("... ({} bytes)", payload.size());
  }
  return out;
}

}  // namespace arkmq::app
