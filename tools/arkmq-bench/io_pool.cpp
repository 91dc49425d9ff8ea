// IoPool: threads running one io_context each.
#include "tools/arkmq-bench/io_pool.hpp"

namespace arkmq::bench {

IoPool::IoPool(unsigned threads) {
  if (threads == 0) threads = 1;
  for (unsigned i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_unique<asio::io_context>(1));
    guards_.push_back(asio::make_work_guard(*contexts_.back()));
  }
  for (auto& context : contexts_) {
    threads_.emplace_back([io = context.get()] { io->run(); });
  }
}

IoPool::~IoPool() { stop(); }

void IoPool::stop() {
  guards_.clear();
  for (auto& context : contexts_) context->stop();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

}  // namespace arkmq::bench
