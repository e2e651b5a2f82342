// The one boundary where LibTorch's exceptions become absl::Status. Code that calls LibTorch on
// data a user supplied wraps the call in TorchCall so a bad shape is an error value, not a crash.
#ifndef FULCRUM_CORE_TORCH_STATUS_H_
#define FULCRUM_CORE_TORCH_STATUS_H_

#include <exception>
#include <string>
#include <type_traits>
#include <utility>

#include <c10/util/Exception.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace fulcrum {

// The message of an exception LibTorch threw, without the C++ backtrace c10::Error carries.
inline const char* TorchErrorMessage(const std::exception& e) {
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e)) {
    return c10_error->what_without_backtrace();
  }
  return e.what();
}

// Runs fn(); a thrown c10::Error or std::exception becomes INTERNAL with `what` as context.
// fn returns void, absl::Status or a value T (then TorchCall returns absl::StatusOr<T>).
template <typename Fn>
auto TorchCall(absl::string_view what, Fn&& fn) {
  using R = std::invoke_result_t<Fn>;
  auto fail = [&](const std::exception& e) {
    return absl::InternalError(absl::StrCat(what, ": ", TorchErrorMessage(e)));
  };
  if constexpr (std::is_void_v<R>) {
    try {
      fn();
      return absl::OkStatus();
    } catch (const std::exception& e) {
      return fail(e);
    }
  } else if constexpr (std::is_same_v<R, absl::Status>) {
    try {
      return fn();
    } catch (const std::exception& e) {
      return fail(e);
    }
  } else {
    try {
      return absl::StatusOr<R>(fn());
    } catch (const std::exception& e) {
      return absl::StatusOr<R>(fail(e));
    }
  }
}

}  // namespace fulcrum

#endif  // FULCRUM_CORE_TORCH_STATUS_H_
