// Client-id glob matching for `client` rules (`*` and `%u`).
// Pure; any thread.
#include "acl/client_glob.hpp"

namespace arkmq::acl::detail {

ClientGlob::ClientGlob(std::string_view pattern) {
  pieces_.emplace_back();
  std::size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] == '*') {
      pieces_.emplace_back();
      ++i;
    } else if (pattern.substr(i, 2) == "%u") {
      pieces_.back().push_back(Part{true, {}});
      i += 2;
    } else {
      auto& piece = pieces_.back();
      if (piece.empty() || piece.back().is_user) piece.push_back(Part{false, {}});
      piece.back().text.push_back(pattern[i]);
      ++i;
    }
  }
}

std::size_t ClientGlob::length(const Piece& piece, std::string_view user) {
  std::size_t size = 0;
  for (const auto& part : piece) size += part.is_user ? user.size() : part.text.size();
  return size;
}

bool ClientGlob::matches_at(const Piece& piece, std::string_view text, std::size_t at,
                            std::string_view user) {
  for (const auto& part : piece) {
    const std::string_view expected = part.is_user ? user : std::string_view(part.text);
    if (text.substr(at, expected.size()) != expected) return false;
    at += expected.size();
  }
  return true;
}

bool ClientGlob::matches(std::string_view client_id, std::string_view user) const {
  const Piece& first = pieces_.front();
  const std::size_t first_size = length(first, user);
  if (pieces_.size() == 1) {
    return first_size == client_id.size() && matches_at(first, client_id, 0, user);
  }
  // With stars: the first piece is anchored at the start, the last at the end, and each middle
  // piece taken at its leftmost place in between (leftmost is never worse for the pieces after).
  const Piece& last = pieces_.back();
  const std::size_t last_size = length(last, user);
  if (first_size + last_size > client_id.size()) return false;
  if (!matches_at(first, client_id, 0, user)) return false;
  const std::size_t end = client_id.size() - last_size;
  if (!matches_at(last, client_id, end, user)) return false;
  std::size_t at = first_size;
  for (std::size_t k = 1; k + 1 < pieces_.size(); ++k) {
    const Piece& piece = pieces_[k];
    const std::size_t size = length(piece, user);
    bool found = false;
    for (; at + size <= end; ++at) {
      if (matches_at(piece, client_id, at, user)) {
        found = true;
        break;
      }
    }
    if (!found) return false;
    at += size;
  }
  return true;
}

}  // namespace arkmq::acl::detail
