// FakeLink: records and decodes.
#include "broker/core/test_support/fake_link.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace arkmq::core::test {
namespace {

std::string hex(protocol::ByteView bytes) {
  static const char* const digits = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : bytes) {
    out += digits[b >> 4U];
    out += digits[b & 0x0FU];
    out += ' ';
  }
  return out;
}

}  // namespace

void FakeLink::send(SharedBytes bytes) {
  std::lock_guard lock(mutex_);
  sent_.push_back(std::move(bytes));
}

void FakeLink::clear() {
  std::lock_guard lock(mutex_);
  sent_.clear();
  taken_ = 0;
}

std::vector<protocol::Packet> FakeLink::take_packets(protocol::ProtocolVersion version) {
  std::lock_guard lock(mutex_);
  std::vector<protocol::Packet> packets;
  for (; taken_ < sent_.size(); ++taken_) {
    protocol::ByteView bytes(*sent_[taken_]);
    while (!bytes.empty()) {
      protocol::FrameHeader header;
      const auto status =
          protocol::peek_frame(bytes, std::numeric_limits<std::uint32_t>::max(), header);
      EXPECT_EQ(status, protocol::FrameStatus::complete);
      if (status != protocol::FrameStatus::complete) return packets;
      auto packet = protocol::decode_packet(bytes.first(header.total_size()), version);
      EXPECT_TRUE(packet.has_value())
          << "undecodable packet from the broker: "
          << (packet ? "" : protocol::to_string(packet.error())) << " " << hex(bytes.first(header.total_size()));
      if (!packet) return packets;
      packets.push_back(std::move(*packet));
      bytes = bytes.subspan(header.total_size());
    }
  }
  return packets;
}

}  // namespace arkmq::core::test
