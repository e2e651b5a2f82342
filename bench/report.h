// Benchmark output: rows printed as they are measured and written to <out_dir>/<name>.json.
#ifndef FULCRUM_BENCH_REPORT_H_
#define FULCRUM_BENCH_REPORT_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fulcrum {

class BenchReport {
 public:
  BenchReport(std::string name, std::string out_dir);
  void Add(const nlohmann::json& row);  // prints the row
  // Writes the rows; returns false (after saying why on stderr) when the file cannot be written.
  bool Write() const;

 private:
  std::string name_, out_dir_;
  std::vector<nlohmann::json> rows_;
};

// GFLOP/s of a 1024x1024 fp32 matmul on the current LibTorch threads: the machine's peak here.
double MeasurePeakGflops();

// Seconds per call of fn, after `warmup` untimed calls, over `repeats` timed calls.
template <typename Fn>
double SecondsPerCall(Fn&& fn, int warmup, int repeats);

}  // namespace fulcrum

#include "bench/report_inl.h"

#endif  // FULCRUM_BENCH_REPORT_H_
