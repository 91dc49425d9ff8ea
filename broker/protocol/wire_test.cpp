// WireReader / sinks: bounds checks, sticky failure, variable byte integers (spec 1.5.5).
#include "broker/protocol/wire.hpp"

#include <gtest/gtest.h>

namespace arkmq::protocol {
namespace {

TEST(WireReader, ReadsBigEndianIntegers) {
  const std::vector<std::uint8_t> data{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  WireReader r{data};
  EXPECT_EQ(r.u8(), 0x01);
  EXPECT_EQ(r.u16(), 0x0203);
  EXPECT_EQ(r.u32(), 0x04050607u);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.empty());
}

TEST(WireReader, ReadingPastTheEndFailsAndStaysFailed) {
  const std::vector<std::uint8_t> data{0x01, 0x02, 0x03};
  WireReader r{data};
  EXPECT_EQ(r.u32(), 0u);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error(), ReasonCode::malformed_packet);
  EXPECT_EQ(r.u8(), 0);
  EXPECT_TRUE(r.empty());
}

TEST(WireReader, VariableByteIntegerRoundTripsAtEveryBoundary) {
  for (const std::uint32_t value : {0u, 127u, 128u, 16'383u, 16'384u, 2'097'151u, 2'097'152u,
                                    268'435'455u}) {
    std::vector<std::uint8_t> out;
    ByteSink{out}.varint(value);
    EXPECT_EQ(out.size(), variable_byte_integer_size(value));
    WireReader r{out};
    EXPECT_EQ(r.varint(), value);
    EXPECT_TRUE(r.ok() && r.empty());
  }
}

TEST(WireReader, FiveByteVariableByteIntegerIsMalformed) {
  const std::vector<std::uint8_t> data{0x80, 0x80, 0x80, 0x80, 0x01};
  WireReader r{data};
  r.varint();
  EXPECT_EQ(r.error(), ReasonCode::malformed_packet);
}

TEST(WireReader, Utf8StringRejectsNul) {
  const std::vector<std::uint8_t> data{0x00, 0x01, 0x00};
  WireReader r{data};
  r.utf8();
  EXPECT_EQ(r.error(), ReasonCode::malformed_packet);
}

TEST(SizeSink, CountsWhatByteSinkWrites) {
  std::vector<std::uint8_t> out;
  ByteSink bytes{out};
  SizeSink sizes;
  const auto write_all = [](auto& sink) {
    sink.u8(1);
    sink.u16(2);
    sink.u32(3);
    sink.varint(300);
    sink.string("abc");
  };
  write_all(bytes);
  write_all(sizes);
  EXPECT_EQ(out.size(), sizes.size());
}

}  // namespace
}  // namespace arkmq::protocol
