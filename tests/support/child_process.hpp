// A child process with its stdout on a pipe we read line by line (with deadlines) and its stderr
// in a file. Owned by one test thread; killed (SIGKILL) on destruction if still running.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/deadline.hpp"

namespace arkmq::test {

struct ExitStatus {
  bool exited = false;    // normal exit (then `code` is the exit code)
  int code = -1;
  int signal = 0;         // the terminating signal otherwise
  bool operator==(const ExitStatus&) const = default;
};

std::string to_string(const ExitStatus& status);

class ChildProcess {
 public:
  // Starts argv[0] (looked up in PATH) with stdin from /dev/null. stderr goes to `stderr_path`,
  // or into the stdout pipe when it is empty. Throws std::runtime_error if it cannot start.
  ChildProcess(std::vector<std::string> argv, const std::string& stderr_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Reads stdout until a line satisfies `match`, returning that line; nullopt on deadline or EOF.
  // Every line read (matching or not) is kept in output().
  std::optional<std::string> read_line_until(const std::function<bool(const std::string&)>& match,
                                             const Deadline& deadline);

  // Reads the rest of stdout until EOF or the deadline; returns true on EOF.
  bool read_to_eof(const Deadline& deadline);

  // Everything read from stdout so far.
  const std::string& output() const { return output_; }

  void send_signal(int sig);

  // Waits for the child to end; nullopt on deadline (the child keeps running).
  std::optional<ExitStatus> wait(const Deadline& deadline);

  // SIGKILL and reap, if still running.
  void kill_and_reap();

  // Stops reading stdout here; all output (including what was read so far) is copied to `path`
  // by a background reader, so the child never blocks on a full pipe.
  void drain_stdout_to(const std::string& path);

  // After drain_stdout_to: true once the output contains `needle` (waits on the reader's
  // condition variable, not on the file).
  bool wait_for_output(const std::string& needle, const Deadline& deadline);
  // Everything the child has written so far (thread-safe after drain_stdout_to).
  std::string all_output();

 private:
  bool read_some(const Deadline& deadline);  // false on EOF or deadline

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  bool eof_ = false;
  std::optional<ExitStatus> status_;
  std::string output_;
  std::string pending_;  // bytes after the last full line
  std::thread drainer_;
  std::mutex drained_mutex_;
  std::condition_variable drained_changed_;
  std::string drained_;  // output_ plus what the drainer has read, under drained_mutex_
};

}  // namespace arkmq::test
