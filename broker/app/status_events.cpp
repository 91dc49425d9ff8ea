// StatusEvents: bounded rings of recent denials and quota hits for the status page.
#include "broker/app/status_events.hpp"

#include <iterator>
#include <string_view>
#include <utility>

namespace arkmq::app {
namespace {

constexpr std::string_view kEllipsis = "\u2026";

// The part of `text` that is kept: at most StatusEvents::kMaxTextBytes bytes, cut on a UTF-8
// character boundary.
std::string_view kept_part(std::string_view text) {
  if (text.size() <= StatusEvents::kMaxTextBytes) return text;
  std::size_t end = StatusEvents::kMaxTextBytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) --end;
  return text.substr(0, end);
}

std::string bounded(std::string_view text) {
  const std::string_view kept = kept_part(text);
  std::string out(kept);
  if (kept.size() < text.size()) out += kEllipsis;
  return out;
}

// `stored` == bounded(`text`), without building it.
bool same_text(const std::string& stored, std::string_view text) {
  const std::string_view kept = kept_part(text);
  if (kept.size() == text.size()) return stored == text;
  return stored.size() == kept.size() + kEllipsis.size() && stored.starts_with(kept) &&
         stored.ends_with(kEllipsis);
}

}  // namespace

void StatusEvents::denied(const core::ClientIdentity& who, core::DeniedAction action,
                          std::string_view topic, const core::PublishFacts* /*message*/) {
  // The message (and its payload) is deliberately ignored: the page never shows payloads.
  const auto now = std::chrono::system_clock::now();
  std::lock_guard lock(mutex_);
  remember(denials_, who, core::to_string(action), topic, now);
}

void StatusEvents::quota_hit(const core::ClientIdentity& who, core::QuotaKind kind,
                             std::string_view detail) {
  const auto now = std::chrono::system_clock::now();
  std::lock_guard lock(mutex_);
  remember(quota_hits_, who, core::to_string(kind), detail, now);
}

StatusEventList StatusEvents::denials() const {
  std::lock_guard lock(mutex_);
  return list(denials_);
}

StatusEventList StatusEvents::quota_hits() const {
  std::lock_guard lock(mutex_);
  return list(quota_hits_);
}

void StatusEvents::remember(Ring& ring, const core::ClientIdentity& who, std::string_view what,
                            std::string_view subject, std::chrono::system_clock::time_point now) {
  ++ring.total;
  if (capacity_ == 0) return;
  std::size_t looked = 0;
  for (auto it = ring.entries.rbegin(); it != ring.entries.rend() && looked < kRepeatLookback;
       ++it, ++looked) {
    if (now - it->time > kRepeatWindow) break;  // older entries are older still
    if (it->what == what && same_text(it->subject, subject) &&
        same_text(it->client_id, who.client_id) && same_text(it->principal, who.principal)) {
      StatusEvent repeated = std::move(*it);
      ++repeated.count;
      repeated.time = now;
      ring.entries.erase(std::next(it).base());  // the newest entry again: moved to the back
      ring.entries.push_back(std::move(repeated));
      return;
    }
  }
  if (ring.entries.size() == capacity_) ring.entries.pop_front();
  ring.entries.push_back(StatusEvent{now, bounded(who.client_id), bounded(who.principal),
                                     std::string(what), bounded(subject), 1});
}

StatusEventList StatusEvents::list(const Ring& ring) const {
  StatusEventList out;
  out.total = ring.total;
  out.recent.assign(ring.entries.rbegin(), ring.entries.rend());
  return out;
}

}  // namespace arkmq::app
