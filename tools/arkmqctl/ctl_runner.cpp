// run_ctl: fork/exec with three pipes, polled until both outputs end or the deadline passes.
#include "tools/arkmqctl/ctl_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include "storage/config_store.hpp"
#include "tests/support/deadline.hpp"

namespace arkmq::ctl::test {

namespace {

void make_pipe(std::array<int, 2>& fds) {
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe2 failed");
  }
}

[[noreturn]] void exec_child(const CtlRun& run, int in, int out, int err) {
  ::dup2(in, STDIN_FILENO);
  ::dup2(out, STDOUT_FILENO);
  ::dup2(err, STDERR_FILENO);
  for (const auto& [name, value] : run.env) {
    if (value) {
      ::setenv(name.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
  std::vector<std::string> args;
  args.push_back(run.program.empty() ? std::string(ARKMQCTL_PATH) : run.program);
  args.insert(args.end(), run.args.begin(), run.args.end());
  std::vector<char*> argv;
  for (auto& arg : args) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

}  // namespace

CtlResult run_ctl(const CtlRun& run) {
  std::array<int, 2> in{};
  std::array<int, 2> out{};
  std::array<int, 2> err{};
  make_pipe(in);
  make_pipe(out);
  make_pipe(err);
  const pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    exec_child(run, in[0], out[1], err[1]);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  // The inputs are a line or two, far below the pipe's capacity: one blocking write is enough.
  ::signal(SIGPIPE, SIG_IGN);
  if (!run.stdin_data.empty()) {
    [[maybe_unused]] const auto written =
        ::write(in[1], run.stdin_data.data(), run.stdin_data.size());
  }
  ::close(in[1]);

  CtlResult result;
  const arkmq::test::Deadline deadline(std::chrono::seconds(30));
  std::array<pollfd, 2> fds{pollfd{out[0], POLLIN, 0}, pollfd{err[0], POLLIN, 0}};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  int open_count = 2;
  while (open_count > 0 && !deadline.expired()) {
    if (::poll(fds.data(), fds.size(), deadline.remaining_ms()) <= 0) {
      continue;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) {
        continue;
      }
      std::array<char, 4096> buffer{};
      const ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (n > 0) {
        sinks[i]->append(buffer.data(), static_cast<std::size_t>(n));
      } else {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  if (open_count > 0) {
    result.timed_out = true;
    ::kill(pid, SIGKILL);
    for (auto& fd : fds) {
      if (fd.fd >= 0) ::close(fd.fd);
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!result.timed_out && WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  }
  return result;
}

CtlFixtureBase::CtlFixtureBase() : dir_("arkmqctl"), data_dir_(dir_.file("data")) {}

std::string CtlFixtureBase::db_path() const { return storage::config_db_path(data_dir_); }

CtlResult CtlFixtureBase::ctl(std::vector<std::string> args, const std::string& stdin_data) const {
  CtlRun run;
  run.args = {"--data-dir", data_dir_};
  run.args.insert(run.args.end(), args.begin(), args.end());
  run.stdin_data = stdin_data;
  run.env["SUDO_USER"] = std::nullopt;
  run.env["ARKMQ_DATA_DIR"] = std::nullopt;
  return run_ctl(run);
}

void CtlFixtureBase::add_user(const std::string& name, const std::string& password,
                              const std::vector<std::string>& roles) const {
  std::vector<std::string> args{"user", "add", name, "--password-stdin", "--hash-iterations",
                                "10000"};
  for (const auto& role : roles) {
    args.push_back("--role");
    args.push_back(role);
  }
  const auto result = ctl(args, password + "\n");
  ASSERT_EQ(result.exit_code, 0) << result.err;
}

void CtlFixtureBase::add_role(const std::string& name) const {
  const auto result = ctl({"role", "add", name});
  ASSERT_EQ(result.exit_code, 0) << result.err;
}

bool is_one_error_line(const std::string& err) {
  const auto newline = err.find('\n');
  return err.rfind("arkmqctl: ", 0) == 0 && newline == err.size() - 1;
}

}  // namespace arkmq::ctl::test
