// An announcement payload of `$svc/announce/N/S` (docs/protocol.md, "Announce"): parsing and
// validation into a plain value. Pure functions; any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace arkmq::services {

inline constexpr std::size_t kMaxAnnouncementBytes = 16 * 1024;
inline constexpr std::size_t kMaxMethods = 64;
inline constexpr std::size_t kMaxLabels = 32;
inline constexpr std::size_t kMaxLabelValueBytes = 256;
inline constexpr std::size_t kMaxVersionBytes = 64;
inline constexpr std::size_t kMaxDescriptionBytes = 1024;
inline constexpr std::chrono::seconds kDefaultHeartbeat{10};
inline constexpr std::chrono::seconds kMaxHeartbeat{3600};

// Only the fields the spec lists; unknown fields are dropped at parse time, so nothing else
// (an address, a credential) can reach the registry or `$svc/registry/S`.
struct Announcement {
  std::string service;
  std::string version;
  std::string description;
  std::vector<std::string> methods;  // sorted, unique, valid names; empty = not declared
  std::map<std::string, std::string> labels;  // keys valid names, values plain text
  bool available = true;
  std::chrono::seconds heartbeat = kDefaultHeartbeat;
  bool operator==(const Announcement&) const = default;
};

// `topic_service` is S from the topic. Returns nullopt for an empty payload (a withdrawal),
// the announcement when valid, or a message saying what is wrong. The body's "service", when
// present, must equal S; "heartbeat_s" is an integer in 1..3600 (default 10).
tl::expected<std::optional<Announcement>, std::string> parse_announcement(
    std::string_view topic_service, std::string_view payload);

}  // namespace arkmq::services
