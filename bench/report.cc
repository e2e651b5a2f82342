#include "bench/report.h"

#include <filesystem>
#include <fstream>
#include <iostream>

#include <torch/torch.h>

namespace fulcrum {

BenchReport::BenchReport(std::string name, std::string out_dir)
    : name_(std::move(name)), out_dir_(std::move(out_dir)) {}

void BenchReport::Add(const nlohmann::json& row) {
  std::cout << name_ << ": " << row.dump() << std::endl;
  rows_.push_back(row);
}

bool BenchReport::Write() const {
  std::error_code ec;
  std::filesystem::create_directories(out_dir_, ec);
  const std::string path = out_dir_ + "/" + name_ + ".json";
  std::ofstream out(path);
  out << nlohmann::json(rows_).dump(2) << "\n";
  if (!out) {
    std::cerr << name_ << ": cannot write " << path << "\n";
    return false;
  }
  std::cout << name_ << ": wrote " << path << "\n";
  return true;
}

double MeasurePeakGflops() {
  torch::NoGradGuard no_grad;
  torch::Tensor a = torch::randn({1024, 1024}), b = torch::randn({1024, 1024});
  const double seconds = SecondsPerCall([&] { a.mm(b); }, 3, 20);
  return 2.0 * 1024 * 1024 * 1024 / seconds / 1e9;
}

}  // namespace fulcrum
