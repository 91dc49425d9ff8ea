// StopSignals: pthread_sigmask + sigtimedwait.
#include "tools/arkmqctl/audit_signals.hpp"

#include <pthread.h>

#include <ctime>

namespace arkmq::ctl {

StopSignals::StopSignals() {
  sigemptyset(&stop_set_);
  sigaddset(&stop_set_, SIGINT);
  sigaddset(&stop_set_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_set_, &old_set_);
}

StopSignals::~StopSignals() {
  wait(std::chrono::milliseconds(0));
  pthread_sigmask(SIG_SETMASK, &old_set_, nullptr);
}

bool StopSignals::wait(std::chrono::milliseconds timeout) {
  if (stopped_) return true;
  const auto ms = timeout.count() < 0 ? 0 : timeout.count();
  timespec left{static_cast<time_t>(ms / 1000), static_cast<long>((ms % 1000) * 1'000'000)};
  // A timeout (EAGAIN) or another signal (EINTR) returns false; an early return is harmless in
  // a poll loop.
  const int taken = sigtimedwait(&stop_set_, nullptr, &left);
  if (taken == SIGINT || taken == SIGTERM) stopped_ = true;
  return stopped_;
}

}  // namespace arkmq::ctl
