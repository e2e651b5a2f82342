// The wire protocol version of every Fulcrum service (learner, reward, reference, orchestrator).
// Every request carries it; a server that speaks another version refuses the request.
#ifndef FULCRUM_CORE_PROTOCOL_H_
#define FULCRUM_CORE_PROTOCOL_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace fulcrum {

inline constexpr uint32_t kProtocolVersion = 1;

// FAILED_PRECONDITION naming both versions when `requested` is not kProtocolVersion; `server` names
// the refusing server ("learner", "reward server", ...).
inline absl::Status CheckProtocolVersion(uint32_t requested, const std::string& server) {
  if (requested == kProtocolVersion) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("request protocol_version is ", requested, " but this ", server,
                                                    " speaks protocol_version ", kProtocolVersion));
}

}  // namespace fulcrum

#endif  // FULCRUM_CORE_PROTOCOL_H_
