// sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET (a path or an abstract
// socket "@..."). Without the variable every call does nothing, so a broker started by hand or
// by tests behaves the same. Any thread. Owner: ops-package.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace arkmq::app {

// Sends `state` ("READY=1", "RELOADING=1", "STOPPING=1", "STATUS=...") when NOTIFY_SOCKET is
// set. Returns false only when the variable is set and the datagram could not be sent.
bool systemd_notify(std::string_view state);

// "READY=1" plus a STATUS= line naming the bound listeners (shown by `systemctl status`).
std::string ready_message(const std::vector<std::string>& bound_urls);

}  // namespace arkmq::app
