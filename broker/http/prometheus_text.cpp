// PrometheusText: the text exposition format 0.0.4 (see prometheus_text.hpp).
#include "broker/http/prometheus_text.hpp"

#include <charconv>
#include <cmath>

namespace arkmq::http {
namespace {

// Shortest round-trip form ("1", "0.25", "1e+21"), and Prometheus's spellings of the specials.
void append_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, result.ptr);
  }
}

// Label values escape backslash, double quote and newline.
void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

// HELP text escapes backslash and newline only.
void append_help(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void append_labels(std::string& out, const Labels& labels, const char* extra_name = nullptr,
                   std::string_view extra_value = {}) {
  if (labels.empty() && extra_name == nullptr) return;
  out += '{';
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += name;
    out += "=\"";
    append_label_value(out, value);
    out += '"';
  }
  if (extra_name != nullptr) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    append_label_value(out, extra_value);
    out += '"';
  }
  out += '}';
}

void append_sample(std::string& out, std::string_view name, std::string_view suffix,
                   const Labels& labels, double value, const char* extra_name = nullptr,
                   std::string_view extra_value = {}) {
  out += name;
  out += suffix;
  append_labels(out, labels, extra_name, extra_value);
  out += ' ';
  append_value(out, value);
  out += '\n';
}

}  // namespace

void PrometheusText::family(std::string_view name, std::string_view type, std::string_view help) {
  text_ += "# HELP ";
  text_ += name;
  text_ += ' ';
  append_help(text_, help);
  text_ += "\n# TYPE ";
  text_ += name;
  text_ += ' ';
  text_ += type;
  text_ += '\n';
}

void PrometheusText::sample(std::string_view name, const Labels& labels, double value) {
  append_sample(text_, name, "", labels, value);
}

// `bucket_counts[i]` counts the observations in (bounds[i-1], bounds[i]]; anything above the last
// bound is only in `count`, which is also the +Inf bucket. Extra counts past bounds are ignored.
void PrometheusText::histogram(std::string_view name, const Labels& labels,
                               std::span<const double> bounds,
                               std::span<const std::uint64_t> bucket_counts, double sum,
                               std::uint64_t count) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (i < bucket_counts.size()) cumulative += bucket_counts[i];
    std::string le;
    append_value(le, bounds[i]);
    append_sample(text_, name, "_bucket", labels, static_cast<double>(cumulative), "le", le);
  }
  append_sample(text_, name, "_bucket", labels, static_cast<double>(count), "le", "+Inf");
  append_sample(text_, name, "_sum", labels, sum);
  append_sample(text_, name, "_count", labels, static_cast<double>(count));
}

}  // namespace arkmq::http
