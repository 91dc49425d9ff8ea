// StatusSampler: feeds the status page's rate history once a second from a steady_timer on the
// main thread's io_context (where the broker's housekeeping tick runs too). Lives on that thread;
// destroy it before the io_context. Owner: ops-status.
#pragma once

#include <chrono>
#include <system_error>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include "broker/app/status_page.hpp"

namespace arkmq::app {

class StatusSampler {
 public:
  StatusSampler(asio::io_context& context, StatusPage& page) : timer_(context), page_(page) {
    page_.sample(core::Clock::now());  // the baseline: the first rate comes one second later
    schedule();
  }
  StatusSampler(const StatusSampler&) = delete;
  StatusSampler& operator=(const StatusSampler&) = delete;

 private:
  void schedule() {
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([this](std::error_code error) {
      if (error) return;  // cancelled: the io_context is going away
      page_.sample(core::Clock::now());
      schedule();
    });
  }

  asio::steady_timer timer_;
  StatusPage& page_;
};

}  // namespace arkmq::app
