// The wire protocol version every request the actor sends carries (docs/services.md).
#ifndef FULCRUM_ACTOR_PROTOCOL_H_
#define FULCRUM_ACTOR_PROTOCOL_H_

#include <cstdint>

namespace fulcrum {

inline constexpr uint32_t kActorProtocolVersion = 1;

}  // namespace fulcrum

#endif  // FULCRUM_ACTOR_PROTOCOL_H_
