#ifndef FULCRUM_BENCH_REPORT_INL_H_
#define FULCRUM_BENCH_REPORT_INL_H_

#include <chrono>

namespace fulcrum {

template <typename Fn>
double SecondsPerCall(Fn&& fn, int warmup, int repeats) {
  for (int i = 0; i < warmup; ++i) fn();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < repeats; ++i) fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / repeats;
}

}  // namespace fulcrum

#endif  // FULCRUM_BENCH_REPORT_INL_H_
