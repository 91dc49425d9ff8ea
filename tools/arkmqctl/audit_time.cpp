// parse_audit_time and format_audit_time on C++20 calendar types (no time-zone database needed:
// offsets are numeric).
#include "tools/arkmqctl/audit_time.hpp"

#include <chrono>
#include <cstdio>
#include <optional>

namespace arkmq::ctl {

namespace {

constexpr std::int64_t kSecondUs = 1'000'000;

// A cursor over the text; every reader returns nullopt/false without consuming on a mismatch.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}
  bool done() const { return at_ == text_.size(); }
  char peek() const { return done() ? '\0' : text_[at_]; }
  bool take(char c) {
    if (peek() != c) return false;
    ++at_;
    return true;
  }
  bool take_any(std::string_view chars) {
    if (done() || chars.find(peek()) == std::string_view::npos) return false;
    ++at_;
    return true;
  }
  // Exactly `count` digits.
  std::optional<int> fixed(int count) {
    int value = 0;
    for (int i = 0; i < count; ++i) {
      if (!is_digit(peek())) return std::nullopt;
      value = value * 10 + (text_[at_++] - '0');
    }
    return value;
  }
  // 1 to `max_digits` digits, and how many there were.
  std::optional<std::int64_t> number(int max_digits, int* digits = nullptr) {
    std::int64_t value = 0;
    int count = 0;
    while (is_digit(peek())) {
      if (++count > max_digits) return std::nullopt;
      value = value * 10 + (text_[at_++] - '0');
    }
    if (digits != nullptr) *digits = count;
    if (count == 0) return std::nullopt;
    return value;
  }

 private:
  static bool is_digit(char c) { return c >= '0' && c <= '9'; }
  std::string_view text_;
  std::size_t at_ = 0;
};

std::optional<std::int64_t> parse_relative(std::string_view text, std::int64_t now_us) {
  Scanner in(text);
  if (!in.take('-')) return std::nullopt;
  std::int64_t total_s = 0;
  do {
    const auto count = in.number(9);
    if (!count) return std::nullopt;
    std::int64_t unit = 0;
    switch (in.peek()) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      case 'w':
        unit = 7 * 86400;
        break;
      default:
        return std::nullopt;
    }
    in.take(in.peek());
    total_s += *count * unit;  // at most 9 digits * a week per pair: far from overflowing
  } while (!in.done());
  return now_us - total_s * kSecondUs;
}

std::optional<std::int64_t> parse_rfc3339(std::string_view text) {
  namespace chr = std::chrono;
  Scanner in(text);
  const auto year = in.fixed(4);
  if (!year || !in.take('-')) return std::nullopt;
  const auto month = in.fixed(2);
  if (!month || !in.take('-')) return std::nullopt;
  const auto day = in.fixed(2);
  if (!day) return std::nullopt;
  const chr::year_month_day date{chr::year(*year), chr::month(static_cast<unsigned>(*month)),
                                 chr::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return std::nullopt;
  const std::int64_t days = chr::sys_days(date).time_since_epoch().count();
  if (in.done()) return days * 86400 * kSecondUs;  // a date alone: midnight UTC

  if (!in.take_any("Tt ")) return std::nullopt;
  const auto hour = in.fixed(2);
  if (!hour || *hour > 23 || !in.take(':')) return std::nullopt;
  const auto minute = in.fixed(2);
  if (!minute || *minute > 59 || !in.take(':')) return std::nullopt;
  const auto second = in.fixed(2);
  if (!second || *second > 60) return std::nullopt;  // 60: a leap second (RFC 3339 5.6)
  std::int64_t fraction_us = 0;
  if (in.take('.')) {
    int digits = 0;
    auto fraction = in.number(9, &digits);
    if (!fraction) return std::nullopt;
    for (; digits < 6; ++digits) *fraction *= 10;
    for (; digits > 6; --digits) *fraction /= 10;
    fraction_us = *fraction;
  }
  std::int64_t offset_s = 0;
  if (!in.take_any("Zz")) {
    int sign = 0;
    if (in.take('+')) {
      sign = 1;
    } else if (in.take('-')) {
      sign = -1;
    } else {
      return std::nullopt;
    }
    const auto offset_hour = in.fixed(2);
    if (!offset_hour || *offset_hour > 23 || !in.take(':')) return std::nullopt;
    const auto offset_minute = in.fixed(2);
    if (!offset_minute || *offset_minute > 59) return std::nullopt;
    offset_s = sign * (*offset_hour * 3600 + *offset_minute * 60);
  }
  if (!in.done()) return std::nullopt;
  // Local time minus its offset is UTC: 18:00+01:00 is 17:00Z.
  const std::int64_t seconds = days * 86400 + *hour * 3600 + *minute * 60 + *second - offset_s;
  return seconds * kSecondUs + fraction_us;
}

}  // namespace

tl::expected<std::int64_t, std::string> parse_audit_time(std::string_view text,
                                                         std::int64_t now_us) {
  std::optional<std::int64_t> parsed;
  if (text == "now") {
    parsed = now_us;
  } else if (!text.empty() && text.front() == '-') {
    parsed = parse_relative(text, now_us);
  } else {
    parsed = parse_rfc3339(text);
  }
  if (!parsed) {
    return tl::unexpected(
        "invalid time '" + std::string(text) +
        "': use RFC 3339 (2026-11-27T18:00:00Z, 2026-11-27T19:00:00.5+01:00, 2026-11-27) or a "
        "time relative to now (now, -10s, -30m, -1h, -2d, -1w, -1h30m)");
  }
  return *parsed;
}

std::string format_audit_time(std::int64_t time_us) {
  namespace chr = std::chrono;
  const chr::sys_time<chr::microseconds> point{chr::microseconds(time_us)};
  const auto day = chr::floor<chr::days>(point);
  const chr::year_month_day date{day};
  const chr::hh_mm_ss clock{point - day};
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(clock.hours().count()),
                static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()),
                static_cast<long long>(clock.subseconds().count()));
  return text;
}

}  // namespace arkmq::ctl
