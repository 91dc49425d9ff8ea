// ChildProcess: fork/exec with a stdout pipe read through poll(2), never by sleeping.
#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace arkmq::test {

std::string to_string(const ExitStatus& status) {
  if (status.exited) return "exit code " + std::to_string(status.code);
  return "signal " + std::to_string(status.signal);
}

namespace {

ExitStatus decode_status(int raw) {
  ExitStatus status;
  if (WIFEXITED(raw)) {
    status.exited = true;
    status.code = WEXITSTATUS(raw);
  } else if (WIFSIGNALED(raw)) {
    status.signal = WTERMSIG(raw);
  }
  return status;
}

}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> argv, const std::string& stderr_path) {
  if (argv.empty()) throw std::runtime_error("ChildProcess: empty argv");
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  int err_fd = -1;
  if (!stderr_path.empty()) {
    err_fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (err_fd < 0) {
      ::close(pipe_fds[0]);
      ::close(pipe_fds[1]);
      throw std::runtime_error("cannot open " + stderr_path);
    }
  }
  // Everything the child needs is prepared before fork: only async-signal-safe calls after it.
  std::vector<char*> args;
  for (auto& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  const pid_t parent = ::getpid();

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test binary
    if (::getppid() != parent) ::_exit(127);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, 0);
    ::dup2(pipe_fds[1], 1);
    ::dup2(err_fd >= 0 ? err_fd : pipe_fds[1], 2);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  if (err_fd >= 0) ::close(err_fd);
  stdout_fd_ = pipe_fds[0];
}

ChildProcess::~ChildProcess() {
  kill_and_reap();
  if (drainer_.joinable()) drainer_.join();
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

bool ChildProcess::read_some(const Deadline& deadline) {
  if (eof_ || stdout_fd_ < 0) return false;
  pollfd pfd{stdout_fd_, POLLIN, 0};
  const int ready = ::poll(&pfd, 1, deadline.remaining_ms());
  if (ready <= 0) return false;
  char buffer[4096];
  const ssize_t n = ::read(stdout_fd_, buffer, sizeof buffer);
  if (n <= 0) {
    if (n < 0 && errno == EINTR) return true;
    eof_ = true;
    return false;
  }
  output_.append(buffer, static_cast<std::size_t>(n));
  pending_.append(buffer, static_cast<std::size_t>(n));
  return true;
}

std::optional<std::string> ChildProcess::read_line_until(
    const std::function<bool(const std::string&)>& match, const Deadline& deadline) {
  for (;;) {
    for (auto newline = pending_.find('\n'); newline != std::string::npos;
         newline = pending_.find('\n')) {
      std::string line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      if (match(line)) return line;
    }
    if (!read_some(deadline)) return std::nullopt;
  }
}

bool ChildProcess::read_to_eof(const Deadline& deadline) {
  while (read_some(deadline)) {
  }
  return eof_;
}

void ChildProcess::send_signal(int sig) {
  if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

std::optional<ExitStatus> ChildProcess::wait(const Deadline& deadline) {
  if (status_) return status_;
  if (pid_ <= 0) return std::nullopt;
  // waitpid(WNOHANG) paced by poll on a pidfd, which becomes readable when the child ends.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  for (;;) {
    int raw = 0;
    const pid_t r = ::waitpid(pid_, &raw, WNOHANG);
    if (r == pid_) {
      status_ = decode_status(raw);
      break;
    }
    if (r < 0 || deadline.expired() || pidfd < 0) break;
    pollfd pfd{pidfd, POLLIN, 0};
    ::poll(&pfd, 1, deadline.remaining_ms());
  }
  if (pidfd >= 0) ::close(pidfd);
  return status_;
}

void ChildProcess::kill_and_reap() {
  if (pid_ <= 0 || status_) return;
  ::kill(pid_, SIGKILL);
  int raw = 0;
  if (::waitpid(pid_, &raw, 0) == pid_) status_ = decode_status(raw);
}

void ChildProcess::drain_stdout_to(const std::string& path) {
  if (drainer_.joinable() || stdout_fd_ < 0) return;
  const int fd = stdout_fd_;
  stdout_fd_ = -1;
  pending_.clear();
  {
    std::lock_guard lock(drained_mutex_);
    drained_ = output_;  // the log keeps the lines read_line_until consumed, too
  }
  drainer_ = std::thread([this, fd, path] {
    std::ofstream out(path, std::ios::app);
    out << output_;
    out.flush();
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      out.write(buffer, n);
      out.flush();
      {
        std::lock_guard lock(drained_mutex_);
        drained_.append(buffer, static_cast<std::size_t>(n));
      }
      drained_changed_.notify_all();
    }
    ::close(fd);
  });
}

bool ChildProcess::wait_for_output(const std::string& needle, const Deadline& deadline) {
  std::unique_lock lock(drained_mutex_);
  return drained_changed_.wait_until(lock, deadline.time_point(), [&] {
    return drained_.find(needle) != std::string::npos;
  });
}

std::string ChildProcess::all_output() {
  std::lock_guard lock(drained_mutex_);
  return drained_.empty() ? output_ : drained_;
}

}  // namespace arkmq::test
