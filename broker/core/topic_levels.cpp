// Topic level splitting shared by SubscriptionTree and RetainedStore.
#include "broker/core/topic_levels.hpp"

namespace arkmq::core {

void split_topic_levels(std::string_view topic, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = topic.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(topic.substr(start));
      return;
    }
    out.push_back(topic.substr(start, slash - start));
    start = slash + 1;
  }
}

}  // namespace arkmq::core
