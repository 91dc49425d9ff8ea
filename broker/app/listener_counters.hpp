// ListenerCounters: per-listener counters for the metrics (connections accepted and current,
// messages and payload bytes in, MQTT bytes in and out), found without a lock on the data
// path. Any thread; owned by Metrics (ops-metrics).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace arkmq::app {

class ListenerCounters {
 public:
  struct Counters {
    std::atomic<std::uint64_t> accepted{0};        // transport connections that reached the core
    std::atomic<std::int64_t> connected{0};        // clients logged in and still connected
    std::atomic<std::uint64_t> messages_in{0};     // PUBLISHes accepted and routed
    std::atomic<std::uint64_t> payload_bytes_in{0};  // their payload bytes
    std::atomic<std::uint64_t> bytes_in{0};   // MQTT bytes read (after TLS), metered_handler.hpp
    std::atomic<std::uint64_t> bytes_out{0};  // MQTT bytes handed to the connection to write
  };
  struct Values {
    std::string listener;
    std::uint64_t accepted = 0;
    std::int64_t connected = 0;
    std::uint64_t messages_in = 0;
    std::uint64_t payload_bytes_in = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
  };

  // More listeners than this share one slot labelled kOverflow (a broker has a handful).
  static constexpr std::size_t kMaxListeners = 31;
  static constexpr std::string_view kOverflow = "other";

  ListenerCounters();

  // The counters of `listener` (its bound URL), claimed on first use. Lock-free once claimed.
  Counters& of(std::string_view listener);
  // Every claimed listener, in the order first seen.
  std::vector<Values> values() const;

 private:
  struct Slot {
    std::string name;  // written once, before `used_` publishes the slot
    Counters counters;
  };
  std::array<Slot, kMaxListeners + 1> slots_;  // the last one is the overflow slot
  std::atomic<std::size_t> used_{0};
  std::mutex claim_;  // serialises claiming a slot
};

}  // namespace arkmq::app
