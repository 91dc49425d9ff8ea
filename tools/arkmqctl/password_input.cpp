// Reading a password from stdin without echoing it on a terminal.
#include "tools/arkmqctl/password_input.hpp"

#include <termios.h>
#include <unistd.h>

#include <iostream>

namespace arkmq::ctl {

std::string read_password_line() {
  const bool tty = ::isatty(STDIN_FILENO) == 1;
  termios saved{};
  bool restore = false;
  if (tty) {
    std::cerr << "Password: " << std::flush;
    if (::tcgetattr(STDIN_FILENO, &saved) == 0) {
      termios quiet = saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      restore = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }
  }
  std::string line;
  std::getline(std::cin, line);
  if (restore) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::cerr << '\n';
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace arkmq::ctl
