// Early-return helpers for absl::Status and absl::StatusOr, used across Fulcrum.
#ifndef FULCRUM_CORE_STATUS_MACROS_H_
#define FULCRUM_CORE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define FULCRUM_RETURN_IF_ERROR(expr)          \
  do {                                         \
    absl::Status fulcrum_status_ = (expr);     \
    if (!fulcrum_status_.ok()) return fulcrum_status_; \
  } while (0)

#define FULCRUM_CONCAT_INNER_(a, b) a##b
#define FULCRUM_CONCAT_(a, b) FULCRUM_CONCAT_INNER_(a, b)
#define FULCRUM_ASSIGN_OR_RETURN(lhs, expr) \
  FULCRUM_ASSIGN_OR_RETURN_IMPL_(FULCRUM_CONCAT_(fulcrum_statusor_, __LINE__), lhs, expr)
#define FULCRUM_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()

#endif  // FULCRUM_CORE_STATUS_MACROS_H_
