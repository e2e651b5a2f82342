#include "orchestrator/curves.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/file_util.h"
#include "core/jsonl.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace fulcrum {
namespace {

constexpr absl::Duration kGnuplotTimeout = absl::Seconds(60);
constexpr size_t kMaxStderrBytes = 64 * 1024;
// Beyond this many points a series is thinned (the smoothed line is computed on all of them first).
constexpr size_t kMaxPointsPerSeries = 1000;
constexpr int kPanelWidthPx = 480;
constexpr int kPanelHeightPx = 320;

using Series = std::map<int64_t, double>;  // step -> value; a resumed run's later record wins

struct StageMetrics {
  std::map<std::string, Series> train;
  std::map<std::string, Series> eval;
};

absl::StatusOr<StageMetrics> ReadStageMetrics(const std::string& path) {
  // std::ifstream reads a directory as an empty file; say what it is instead.
  struct stat info;
  if (stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat("reading ", path, ": not a regular file"));
  }
  StageMetrics metrics;
  FULCRUM_RETURN_IF_ERROR(ForEachJsonlObject(path, kDefaultMaxJsonlLineBytes, [&](const nlohmann::json& record) {
    const auto step = record.find("step");
    if (step == record.end() || !step->is_number() || std::floor(step->get<double>()) != step->get<double>()) {
      return absl::InvalidArgumentError("record has no integer \"step\"");
    }
    std::map<std::string, Series>* into = &metrics.train;
    if (const auto kind = record.find("kind"); kind != record.end()) {
      if (*kind == "eval") {
        into = &metrics.eval;
      } else if (*kind != "train") {
        return absl::OkStatus();  // a kind of record this picture does not draw
      }
    }
    for (const auto& [key, value] : record.items()) {
      if (key == "step" || !value.is_number()) continue;
      const double number = value.get<double>();
      if (std::isfinite(number)) (*into)[key][step->get<int64_t>()] = number;
    }
    return absl::OkStatus();
  }));
  return metrics;
}

// One series in the data file, drawn one way.
struct Line {
  enum class Style { kRaw, kSmoothed, kPoints };
  int block;  // gnuplot's `index` in the data file
  Style style;
  std::string label;  // empty: not in the key
  std::string color;
};

struct Panel {
  std::string title;
  std::vector<Line> lines;
  bool log_y = false;
  bool unit_range = false;  // accuracies: a fixed [0, 1] axis makes rows comparable
  std::string key_corner = "top right";  // where a falling loss leaves room; a rising accuracy wants "bottom right"
  int64_t first_step = 0, last_step = 0;  // the stage's steps, shared by its panels
};

// The data file: one block per series, separated by two blank lines as gnuplot's `index` expects.
class DataFile {
 public:
  int Add(const std::string& comment, const std::vector<std::pair<int64_t, double>>& points) {
    if (blocks_ > 0) text_ += "\n\n";
    absl::StrAppend(&text_, "# ", comment, "\n");
    const size_t stride = (points.size() + kMaxPointsPerSeries - 1) / kMaxPointsPerSeries;
    for (size_t i = 0; i < points.size(); i += std::max<size_t>(stride, 1)) {
      absl::StrAppendFormat(&text_, "%d %.9g\n", points[i].first, points[i].second);
    }
    return blocks_++;
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  int blocks_ = 0;
};

std::vector<std::pair<int64_t, double>> Points(const Series& series) {
  return {series.begin(), series.end()};
}

// A centred moving average over a window of about 1/25 of the series (in log space for a log axis);
// empty when the series is too short to need one.
std::vector<std::pair<int64_t, double>> Smoothed(const Series& series, bool log_space) {
  const std::vector<std::pair<int64_t, double>> points = Points(series);
  const int64_t n = static_cast<int64_t>(points.size());
  const int64_t half = n / 50;
  if (half < 1) return {};
  std::vector<double> values;
  for (const auto& [step, value] : points) values.push_back(log_space ? std::log(value) : value);
  std::vector<double> prefix(n + 1, 0.0);
  for (int64_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + values[i];
  std::vector<std::pair<int64_t, double>> smoothed;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t h = std::min({half, i, n - 1 - i});  // symmetric, so the ends are not biased
    const double mean = (prefix[i + h + 1] - prefix[i - h]) / static_cast<double>(2 * h + 1);
    smoothed.emplace_back(points[i].first, log_space ? std::exp(mean) : mean);
  }
  return smoothed;
}

// Positive values spanning more than an order of magnitude (a language-model loss) read better on a log axis.
bool WantsLogAxis(const std::vector<const Series*>& all) {
  double low = INFINITY, high = 0;
  for (const Series* series : all) {
    for (const auto& [step, value] : *series) {
      if (value <= 0) return false;
      low = std::min(low, value);
      high = std::max(high, value);
    }
  }
  return high > 0 && high / low >= 20;
}

const Series* Find(const std::map<std::string, Series>& all, const std::string& key) {
  const auto it = all.find(key);
  return it == all.end() || it->second.empty() ? nullptr : &it->second;
}

constexpr const char* kTrainColors[] = {"#2b6cb0", "#2f855a"};
constexpr const char* kRawColors[] = {"#a9c8e8", "#a8d5ba"};
constexpr const char* kEvalColors[] = {"#d62728", "#ff7f0e", "#9467bd"};

// Adds a training series: faint raw values under their smoothed line.
void AddTrain(const std::string& stage, const std::string& key, const Series& series, bool log_space, int color,
              DataFile& data, Panel& panel) {
  const std::vector<std::pair<int64_t, double>> smoothed = Smoothed(series, log_space);
  const int raw = data.Add(absl::StrCat(stage, " ", key), Points(series));
  if (smoothed.empty()) {
    panel.lines.push_back({raw, Line::Style::kSmoothed, key, kTrainColors[color]});
    return;
  }
  panel.lines.push_back({raw, Line::Style::kRaw, "", kRawColors[color]});
  panel.lines.push_back({data.Add(absl::StrCat(stage, " ", key, " smoothed"), smoothed), Line::Style::kSmoothed,
                         key, kTrainColors[color]});
}

void AddEval(const std::string& stage, const std::string& key, const Series& series, int color, DataFile& data,
             Panel& panel) {
  panel.lines.push_back(
      {data.Add(absl::StrCat(stage, " ", key), Points(series)), Line::Style::kPoints, key, kEvalColors[color]});
}

// The panels of one stage, in the order loss, reward, KL, accuracy; each only if the stage logged it.
std::vector<Panel> StagePanels(const std::string& stage, const StageMetrics& metrics, DataFile& data) {
  std::vector<Panel> panels;
  const Series* loss = Find(metrics.train, "loss");
  const Series* heldout_loss = Find(metrics.eval, "heldout_loss");
  if (loss != nullptr || heldout_loss != nullptr) {
    Panel panel;
    panel.title = absl::StrCat(stage, ": loss");
    std::vector<const Series*> all;
    for (const Series* series : {loss, heldout_loss}) {
      if (series != nullptr) all.push_back(series);
    }
    panel.log_y = WantsLogAxis(all);
    if (loss != nullptr) AddTrain(stage, "loss", *loss, panel.log_y, 0, data, panel);
    if (heldout_loss != nullptr) AddEval(stage, "heldout_loss", *heldout_loss, 0, data, panel);
    panels.push_back(std::move(panel));
  }
  if (const Series* reward = Find(metrics.train, "reward_mean"); reward != nullptr) {
    Panel panel;
    panel.title = absl::StrCat(stage, ": reward");
    AddTrain(stage, "reward_mean", *reward, false, 0, data, panel);
    panels.push_back(std::move(panel));
  }
  const Series* kl = Find(metrics.train, "kl");
  if (kl != nullptr && std::any_of(kl->begin(), kl->end(), [](const auto& point) { return point.second != 0; })) {
    Panel panel;
    panel.title = absl::StrCat(stage, ": KL");
    AddTrain(stage, "kl", *kl, false, 0, data, panel);
    panels.push_back(std::move(panel));
  }
  Panel accuracy;
  accuracy.unit_range = true;
  accuracy.key_corner = "bottom right";
  int train_color = 0, eval_color = 0;
  for (const char* key : {"accuracy", "preference_accuracy"}) {
    if (const Series* series = Find(metrics.train, key); series != nullptr) {
      AddTrain(stage, key, *series, false, train_color++, data, accuracy);
    }
  }
  for (const char* key : {"heldout_accuracy", "heldout_pairwise_accuracy", "heldout_preference_accuracy"}) {
    if (const Series* series = Find(metrics.eval, key); series != nullptr) {
      AddEval(stage, key, *series, eval_color++, data, accuracy);
    }
  }
  if (!accuracy.lines.empty()) {
    accuracy.title = absl::StrCat(stage, train_color > 0 ? ": accuracy" : ": held-out accuracy");
    panels.push_back(std::move(accuracy));
  }
  int64_t first = INT64_MAX, last = INT64_MIN;
  for (const auto* all : {&metrics.train, &metrics.eval}) {
    for (const auto& [key, series] : *all) {
      if (series.empty()) continue;
      first = std::min(first, series.begin()->first);
      last = std::max(last, series.rbegin()->first);
    }
  }
  for (Panel& panel : panels) {
    panel.first_step = std::min<int64_t>(first, 0);  // axes from step 0, as a run reads from its start
    panel.last_step = last;
  }
  return panels;
}

// A gnuplot single-quoted string: only the quote itself needs escaping, by doubling it.
std::string Quoted(const std::string& text) { return absl::StrCat("'", absl::StrReplaceAll(text, {{"'", "''"}}), "'"); }

std::string Script(const std::vector<std::vector<Panel>>& rows, const std::string& data_path,
                   const std::string& out_path, bool png) {
  size_t columns = 1;
  for (const auto& row : rows) columns = std::max(columns, row.size());
  const int width = static_cast<int>(columns) * kPanelWidthPx;
  const int height = static_cast<int>(rows.size()) * kPanelHeightPx;
  std::string script = "# Fulcrum training curves: one row of panels per stage. Redraw with: gnuplot <this file>\n";
  const std::string size = absl::StrCat("size ", width, ",", height);
  if (png) {
    absl::StrAppend(&script, "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n",
                    "  set terminal pngcairo ", size, " font 'sans,10' noenhanced background '#ffffff'\n",
                    "} else {\n  set terminal png ", size, " font 'sans,10' noenhanced background '#ffffff'\n}\n");
  } else {
    absl::StrAppend(&script, "set terminal svg ", size, " font 'sans,12' noenhanced background '#ffffff'\n");
  }
  absl::StrAppend(&script, "set output ", Quoted(out_path), "\n", "set multiplot\n",
                  "set grid lc rgb '#e2e2e2'\nset border 3 lc rgb '#606060'\nset tics nomirror\n",
                  "set xlabel 'step' offset 0,0.5\nset key opaque box lc rgb '#d0d0d0' samplen 2 spacing 1.1 font ',9'\n",
                  "set title font ',12'\nset lmargin 9\nset rmargin 2\n");
  const std::string data = Quoted(data_path);
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t c = 0; c < rows[r].size(); ++c) {
      const Panel& panel = rows[r][c];
      absl::StrAppendFormat(&script, "\nset origin %.5f,%.5f\nset size %.5f,%.5f\n", 1.0 * c / columns,
                            1.0 - (r + 1.0) / rows.size(), 1.0 / columns, 1.0 / rows.size());
      absl::StrAppend(&script, "set title ", Quoted(panel.title), "\n",
                      panel.log_y ? "set logscale y\nset format y '%g'\n" : "unset logscale y\nset format y '% h'\n",
                      panel.unit_range ? "set yrange [-0.03:1.03]\n" : "set yrange [*:*]\n",
                      panel.last_step > panel.first_step
                          ? absl::StrCat("set xrange [", panel.first_step, ":", panel.last_step, "]\n")
                          : "set xrange [*:*]\n");
      const size_t titled =
          std::count_if(panel.lines.begin(), panel.lines.end(), [](const Line& line) { return !line.label.empty(); });
      // A panel with one series is named by its title; a key would only hide part of the curve.
      absl::StrAppend(&script, titled > 1 ? absl::StrCat("set key ", panel.key_corner, "\n") : "unset key\n", "plot ");
      for (size_t i = 0; i < panel.lines.size(); ++i) {
        const Line& line = panel.lines[i];
        std::string style;
        switch (line.style) {
          case Line::Style::kRaw: style = "lines lw 1"; break;
          case Line::Style::kSmoothed: style = "lines lw 2"; break;
          case Line::Style::kPoints: style = "linespoints lw 1.5 pt 7 ps 0.6"; break;
        }
        absl::StrAppend(&script, i == 0 ? "" : ", \\\n     ", data, " index ", line.block, " using 1:2 with ", style,
                        " lc rgb '", line.color, "' ", line.label.empty() ? "notitle" : "title " + Quoted(line.label));
      }
      script += "\n";
    }
  }
  script += "unset multiplot\nset output\n";
  return script;
}

absl::StatusOr<std::string> FindOnPath(const std::string& program) {
  const char* path = getenv("PATH");
  for (const absl::string_view dir : absl::StrSplit(path != nullptr ? path : "/usr/bin:/bin", ':')) {
    if (dir.empty()) continue;
    const std::string candidate = absl::StrCat(std::string(dir.data(), dir.size()), "/", program);
    struct stat info;
    if (stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) && access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return absl::FailedPreconditionError(
      absl::StrCat(program, " is not installed (not found on PATH); install it with: apt-get install gnuplot-nox"));
}

// Runs `gnuplot script` with stdin and stdout on /dev/null, killing it after `timeout`.
absl::Status RunGnuplot(const std::string& gnuplot, const std::string& script, absl::Duration timeout) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return absl::ErrnoToStatus(errno, "pipe2 for gnuplot's stderr");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  std::vector<char*> argv = {const_cast<char*>(gnuplot.c_str()), const_cast<char*>(script.c_str()), nullptr};
  pid_t pid = 0;
  const int error = posix_spawn(&pid, gnuplot.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (error != 0) {
    close(fds[0]);
    return absl::ErrnoToStatus(error, absl::StrCat("starting ", gnuplot));
  }
  std::string stderr_text;
  const absl::Time deadline = absl::Now() + timeout;
  bool timed_out = false;
  for (;;) {
    pollfd poll_fd{fds[0], POLLIN, 0};
    const int64_t wait_ms = std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now()));
    const int ready = poll(&poll_fd, 1, static_cast<int>(std::min<int64_t>(wait_ms, 1 << 30)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      timed_out = true;
      break;
    }
    char buffer[4096];
    const ssize_t got = read(fds[0], buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    if (stderr_text.size() < kMaxStderrBytes) stderr_text.append(buffer, static_cast<size_t>(got));
  }
  close(fds[0]);
  if (timed_out) kill(pid, SIGKILL);
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return absl::DeadlineExceededError(absl::StrCat("gnuplot ", script, " did not finish within ",
                                                    absl::FormatDuration(timeout), "; stderr: ", stderr_text));
  }
  if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
    const std::string how = WIFEXITED(wait_status) ? absl::StrCat("exit status ", WEXITSTATUS(wait_status))
                                                   : absl::StrCat("signal ", WTERMSIG(wait_status));
    return absl::InternalError(absl::StrCat("gnuplot ", script, " failed (", how, "): ", stderr_text));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteCurves(const std::vector<StageCurves>& stages, const std::string& out_path) {
  const std::filesystem::path out(out_path);
  const std::string extension = out.extension().string();
  if (extension != ".svg" && extension != ".png") {
    return absl::InvalidArgumentError(absl::StrCat("curves ", out_path, ": the picture must be .svg or .png"));
  }
  DataFile data;
  std::vector<std::vector<Panel>> rows;
  for (const StageCurves& stage : stages) {
    if (stage.kind == "eval") continue;
    absl::StatusOr<StageMetrics> metrics = ReadStageMetrics(stage.metrics_path);
    if (absl::IsNotFound(metrics.status())) continue;  // the stage has not started
    if (!metrics.ok()) return metrics.status();
    std::vector<Panel> panels = StagePanels(stage.name, *metrics, data);
    if (!panels.empty()) rows.push_back(std::move(panels));
  }
  if (rows.empty()) return absl::NotFoundError(absl::StrCat("curves ", out_path, ": no stage has metrics to draw"));

  FULCRUM_ASSIGN_OR_RETURN(const std::string gnuplot, FindOnPath("gnuplot"));
  const std::string stem = std::filesystem::path(out).replace_extension().string();
  const std::string data_path = stem + ".dat";
  const std::string script_path = stem + ".gp";
  FULCRUM_RETURN_IF_ERROR(WriteFileAtomic(data_path, data.text()));
  FULCRUM_RETURN_IF_ERROR(WriteFileAtomic(script_path, Script(rows, data_path, out_path, extension == ".png")));
  FULCRUM_RETURN_IF_ERROR(RunGnuplot(gnuplot, script_path, kGnuplotTimeout));
  std::error_code error;
  if (std::filesystem::file_size(out, error) == 0 || error) {
    return absl::InternalError(absl::StrCat("gnuplot ", script_path, " exited cleanly but wrote no ", out_path));
  }
  return absl::OkStatus();
}

}  // namespace fulcrum
