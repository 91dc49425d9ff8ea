// A client-id pattern of a `client` rule, compiled once: `*` is any run of characters, `%u` the
// principal's user name, everything else literal. Immutable; any thread may match.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace arkmq::acl::detail {

class ClientGlob {
 public:
  explicit ClientGlob(std::string_view pattern);

  // True when the whole `client_id` matches, with `%u` standing for `user`. No allocation.
  bool matches(std::string_view client_id, std::string_view user) const;

 private:
  // Literal text, or the user name when `is_user`.
  struct Part {
    bool is_user = false;
    std::string text;
  };
  using Piece = std::vector<Part>;  // the text between two `*`

  static std::size_t length(const Piece& piece, std::string_view user);
  static bool matches_at(const Piece& piece, std::string_view text, std::size_t at,
                         std::string_view user);

  std::vector<Piece> pieces_;  // pattern split at `*`: one more piece than there are stars
};

}  // namespace arkmq::acl::detail
