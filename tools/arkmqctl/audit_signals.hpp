// Stop requests for the long-running audit commands (follow, replay): SIGINT and SIGTERM stay
// blocked while a StopSignals lives and are taken with sigtimedwait, so the wait between polls
// is also the signal check and no global flag is needed. Main thread only; create it before any
// other thread (Paho's) so those threads inherit the blocked mask.
#pragma once

#include <signal.h>

#include <chrono>

namespace arkmq::ctl {

class StopSignals {
 public:
  StopSignals();
  ~StopSignals();  // takes a signal that is still pending, then restores the old mask
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Waits up to `timeout` (0: just checks); true once SIGINT or SIGTERM has arrived.
  bool wait(std::chrono::milliseconds timeout);
  bool stopped() const { return stopped_; }

 private:
  sigset_t stop_set_{};
  sigset_t old_set_{};
  bool stopped_ = false;
};

}  // namespace arkmq::ctl
