// Test double for ClientLink: records every SharedBytes sent and whether close() was called,
// and decodes the recorded bytes with the codec. Test-only; send() may come from any thread.
#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

#include "broker/core/client_link.hpp"
#include "broker/protocol/codec.hpp"

namespace arkmq::core::test {

class FakeLink final : public ClientLink {
 public:
  void send(SharedBytes bytes) override;
  std::size_t queued_bytes() const override { return queued_bytes_; }
  void close() override { closed_ = true; }
  bool is_draining() const override { return draining_; }

  bool closed() const { return closed_; }
  void set_queued_bytes(std::size_t bytes) { queued_bytes_ = bytes; }
  void set_draining(bool draining) { draining_ = draining; }
  // Read only once the sending threads are done.
  const std::vector<SharedBytes>& sent() const { return sent_; }

  // Forgets everything recorded (benchmarks call it to bound memory).
  void clear();

  // Decodes every packet sent since the last call (frames must be whole and well-formed).
  std::vector<protocol::Packet> take_packets(protocol::ProtocolVersion version);

 private:
  std::mutex mutex_;  // routing threads send to a link they do not own
  std::vector<SharedBytes> sent_;
  std::size_t taken_ = 0;
  std::size_t queued_bytes_ = 0;
  bool closed_ = false;
  bool draining_ = false;
};

}  // namespace arkmq::core::test
