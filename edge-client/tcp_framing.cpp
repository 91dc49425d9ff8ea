// Length-prefixed frames.
#include "edge-client/tcp_framing.hpp"

namespace arkmq::edge {

std::string encode_frame(std::string_view payload) {
  const auto length = static_cast<std::uint32_t>(payload.size());
  std::string out;
  out.reserve(4 + payload.size());
  out.push_back(static_cast<char>((length >> 24) & 0xff));
  out.push_back(static_cast<char>((length >> 16) & 0xff));
  out.push_back(static_cast<char>((length >> 8) & 0xff));
  out.push_back(static_cast<char>(length & 0xff));
  out.append(payload);
  return out;
}

FrameReader::State FrameReader::feed(std::string_view bytes) {
  while (!length_ && !bytes.empty()) {
    header_.push_back(bytes.front());
    bytes.remove_prefix(1);
    if (header_.size() == 4) {
      std::uint32_t length = 0;
      for (const char c : header_) length = (length << 8) | static_cast<unsigned char>(c);
      if (length > kMaxTcpFrame) return State::too_large;
      length_ = length;
    }
  }
  if (!length_) return State::need_more;
  const std::size_t want = *length_ - payload_.size();
  payload_.append(bytes.substr(0, want));
  return payload_.size() == *length_ ? State::complete : State::need_more;
}

}  // namespace arkmq::edge
