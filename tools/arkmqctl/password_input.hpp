// Reading a password from stdin for --password-stdin (user add/passwd, audit replay).
// Main thread only: it changes the terminal's echo setting while it reads.
#pragma once

#include <string>

namespace arkmq::ctl {

// One line from stdin without its line end (LF or CRLF); no echo when stdin is a terminal.
std::string read_password_line();

}  // namespace arkmq::ctl
