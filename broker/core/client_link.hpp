// The core's handle on one network connection, implemented by broker/net. The only way the core
// sends bytes or closes a socket. Every method is thread-safe and non-blocking: it posts to the
// connection's worker thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace arkmq::core {

using SharedBytes = std::shared_ptr<const std::vector<std::uint8_t>>;

class ClientLink {
 public:
  virtual ~ClientLink() = default;

  // Queues bytes for writing. The same SharedBytes may be handed to many links (encode once).
  virtual void send(SharedBytes bytes) = 0;

  // Bytes queued and not yet written; a slow consumer's QoS 0 messages are dropped past a bound.
  virtual std::size_t queued_bytes() const = 0;

  // Writes what is queued, then closes the socket. Idempotent.
  virtual void close() = 0;

  // Flow control: true while the peer is still taking the bytes queued for it (a write
  // completed recently), so a full buffer means a slow consumer rather than a stalled one and
  // its publishers may be paused (delivery.hpp). The default, "unknown", never pauses anyone.
  virtual bool is_draining() const { return false; }
};

}  // namespace arkmq::core
