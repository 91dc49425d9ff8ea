// The two shapes of a log line: spdlog's text pattern (what operators read) and JSON lines (what
// log shippers parse), plus the rendering of a payload for the payload-logging opt-in.
// Pure values; a formatter is owned by one sink, which calls it under the sink's lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include <spdlog/formatter.h>

#include "broker/app/logging.hpp"

namespace arkmq::app {

// "[2026-11-28 02:46:24.123] [net] [info] text", spdlog's default pattern with the module name.
inline constexpr const char* kTextLogPattern = "[%Y-%m-%d %H:%M:%S.%e] [%n] [%^%l%$] %v";

// One JSON object per line: {"time":"2026-11-28T02:46:24.123Z","level":"info","module":"net",
// "msg":"..."}; the message is escaped by nlohmann_json (invalid UTF-8 becomes U+FFFD).
class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format);

// The level names of the config file ("warn", not spdlog's "warning").
std::string_view log_level_name(spdlog::level::level_enum level);

// A payload for a log line: printable ASCII as is, other bytes as \xNN, cut after `limit` bytes
// with "... (N bytes)". Only for [log] payloads = true.
std::string payload_for_log(std::span<const std::uint8_t> payload, std::size_t limit = 256);

}  // namespace arkmq::app
