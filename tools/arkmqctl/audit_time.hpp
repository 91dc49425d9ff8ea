// Times for `arkmqctl audit`: parses --since/--until (RFC 3339, or relative to now) and prints a
// row's time as RFC 3339 UTC with microseconds. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace arkmq::ctl {

// Microseconds since the Unix epoch (UTC) for:
//  - RFC 3339: 2026-11-27T18:00:00Z, 2026-11-27T18:00:00.250+01:00 ('t', 'z' and a space for 'T'
//    are accepted, fractions are cut to microseconds), or a date alone (midnight UTC);
//  - "now", or '-' and one or more NUMBER UNIT pairs, units s m h d w: -10s, -30m, -1h30m, -2d.
// Otherwise the error says what is accepted.
tl::expected<std::int64_t, std::string> parse_audit_time(std::string_view text,
                                                         std::int64_t now_us);

// "2026-11-27T18:00:00.000000Z"
std::string format_audit_time(std::int64_t time_us);

}  // namespace arkmq::ctl
