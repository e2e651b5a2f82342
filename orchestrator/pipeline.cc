#include "orchestrator/pipeline.h"

#include <filesystem>
#include <map>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/yaml_proto.h"
#include "yaml-cpp/yaml.h"

namespace fulcrum {
namespace {

namespace fs = std::filesystem;

// Checks and rewrites one stage at a time, knowing the stages before it.
class Resolver {
 public:
  Resolver(const std::string& source, v1::PipelineConfig* pipeline) : source_(source), pipeline_(pipeline) {
    try {
      const YAML::Node root = YAML::LoadFile(source);
      if (root["stages"] && root["stages"].IsSequence()) {
        for (const YAML::Node& stage : root["stages"]) lines_.push_back(stage.Mark().line + 1);
      }
    } catch (const YAML::Exception&) {
      // LoadYamlProto already accepted the file; without lines, errors name the file only.
    }
  }

  absl::Status Resolve() {
    if (pipeline_->name().empty()) return absl::InvalidArgumentError(absl::StrCat(source_, ": 'name' is required"));
    if (pipeline_->name().find('/') != std::string::npos || pipeline_->name() == "." || pipeline_->name() == "..") {
      return absl::InvalidArgumentError(absl::StrCat(source_, ": 'name' must be a plain folder name, got '",
                                                     pipeline_->name(), "'"));
    }
    if (pipeline_->runs_dir().empty()) pipeline_->set_runs_dir("runs");
    const std::string& launcher = pipeline_->launcher().kind();
    if (!launcher.empty() && launcher != "local" && launcher != "external") {
      return absl::InvalidArgumentError(
          absl::StrCat(source_, ": launcher.kind must be local or external, got '", launcher, "'"));
    }
    if (pipeline_->stages().empty()) return absl::InvalidArgumentError(absl::StrCat(source_, ": 'stages' is empty"));
    for (const v1::DatasetConfig& dataset : pipeline_->datasets()) {
      if (dataset.out().empty()) return absl::InvalidArgumentError(absl::StrCat(source_, ": every dataset needs 'out'"));
      for (const std::string& file : DatasetFiles()) produced_.insert((fs::path(dataset.out()) / file).lexically_normal());
    }
    for (int i = 0; i < pipeline_->stages_size(); ++i) {
      index_ = i;
      FULCRUM_RETURN_IF_ERROR(ResolveStage(pipeline_->mutable_stages(i)));
      kinds_[pipeline_->stages(i).name()] = StageKind(pipeline_->stages(i));
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Error(const std::string& message) const {
    const std::string where = index_ < static_cast<int>(lines_.size())
                                  ? absl::StrCat(source_, ":", lines_[index_])
                                  : source_;
    const std::string& name = pipeline_->stages(index_).name();
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": stages[", index_, "]", name.empty() ? "" : absl::StrCat(" '", name, "'"), ": ", message));
  }

  // An input file: must exist, or be written by one of the pipeline's datasets.
  absl::Status Input(const std::string& key, const std::string& path, bool required) {
    if (path.empty()) return required ? Error(absl::StrCat("'", key, "' is required")) : absl::OkStatus();
    if (produced_.count(fs::path(path).lexically_normal()) || fs::exists(path)) return absl::OkStatus();
    return Error(absl::StrCat("'", key, "' is ", path, ", which does not exist and no dataset of the pipeline "
                              "writes (generate it with fulcrum-data or add it under 'datasets')"));
  }

  // A checkpoint input: an earlier stage's name (of one of `kinds`) or a directory.
  absl::Status Checkpoint(const std::string& key, std::string* value, bool required,
                          const std::set<std::string>& kinds) {
    if (value->empty()) return required ? Error(absl::StrCat("'", key, "' is required")) : absl::OkStatus();
    if (const auto it = kinds_.find(*value); it != kinds_.end()) {
      if (!kinds.count(it->second)) {
        return Error(absl::StrCat("'", key, "' names stage '", *value, "', a ", it->second,
                                  " stage, which has no checkpoint of the kind needed here"));
      }
      *value = CheckpointRoot(*pipeline_, *value);
      return absl::OkStatus();
    }
    if (fs::is_directory(*value)) return absl::OkStatus();
    for (int j = index_ + 1; j < pipeline_->stages_size(); ++j) {
      if (pipeline_->stages(j).name() == *value) {
        return Error(absl::StrCat("'", key, "' names stage '", *value, "', which runs later; stages run in order"));
      }
    }
    return Error(absl::StrCat("'", key, "' is '", *value, "', which is neither an earlier stage nor a directory"));
  }

  absl::Status OutDir(const std::string& current, const std::string& stage, std::string* out_dir) {
    if (!current.empty() && current != (fs::path(RunDir(*pipeline_)) / stage).string()) {
      return Error("'out_dir' is set by the pipeline (runs_dir/<pipeline>/<stage>); remove it");
    }
    *out_dir = (fs::path(RunDir(*pipeline_)) / stage).string();
    return absl::OkStatus();
  }

  absl::Status Reward(const std::string& key, v1::RewardConfig* reward) {
    const int set = !reward->scorer().empty() + !reward->reward_model().empty() + !reward->address().empty();
    if (set > 1) return Error(absl::StrCat("'", key, "' sets more than one of scorer, reward_model and address"));
    if (!reward->reward_model().empty()) {
      FULCRUM_RETURN_IF_ERROR(Checkpoint(absl::StrCat(key, ".reward_model"), reward->mutable_reward_model(), true, {"rm"}));
    }
    return absl::OkStatus();
  }

  absl::Status ResolveStage(v1::StageConfig* stage) {
    const std::string& name = stage->name();
    if (name.empty()) return Error("'name' is required");
    if (name.find('/') != std::string::npos || name == "logs" || name == "." || name == "..") {
      return Error("'name' must be a plain folder name other than 'logs'");
    }
    if (!names_.insert(name).second) return Error(absl::StrCat("a stage named '", name, "' comes earlier already"));
    const std::set<std::string> policies = {"sft", "dpo", "rl"};
    if (stage->has_reward() && !stage->has_rl()) return Error("'reward' belongs to rl stages");
    if (stage->actors() != 0 && !stage->has_rl()) return Error("'actors' belongs to rl stages");
    if (!stage->selectors().empty() && !stage->has_eval()) return Error("'selectors' belong to eval stages");
    switch (stage->kind_case()) {
      case v1::StageConfig::kSft: {
        v1::SftConfig* c = stage->mutable_sft();
        FULCRUM_RETURN_IF_ERROR(Input("sft.train_path", c->train_path(), true));
        FULCRUM_RETURN_IF_ERROR(Input("sft.heldout_path", c->heldout_path(), false));
        FULCRUM_RETURN_IF_ERROR(Input("sft.heldout_prompts_path", c->heldout_prompts_path(), false));
        FULCRUM_RETURN_IF_ERROR(Checkpoint("sft.init_from", c->mutable_init_from(), false, policies));
        return OutDir(c->out_dir(), name, c->mutable_out_dir());
      }
      case v1::StageConfig::kRm: {
        v1::RmConfig* c = stage->mutable_rm();
        FULCRUM_RETURN_IF_ERROR(Input("rm.train_path", c->train_path(), true));
        FULCRUM_RETURN_IF_ERROR(Input("rm.heldout_path", c->heldout_path(), false));
        FULCRUM_RETURN_IF_ERROR(Checkpoint("rm.init_from", c->mutable_init_from(), true, policies));
        return OutDir(c->out_dir(), name, c->mutable_out_dir());
      }
      case v1::StageConfig::kDpo: {
        v1::DpoConfig* c = stage->mutable_dpo();
        FULCRUM_RETURN_IF_ERROR(Input("dpo.train_path", c->train_path(), true));
        FULCRUM_RETURN_IF_ERROR(Input("dpo.heldout_path", c->heldout_path(), false));
        FULCRUM_RETURN_IF_ERROR(Input("dpo.heldout_prompts_path", c->heldout_prompts_path(), false));
        FULCRUM_RETURN_IF_ERROR(Checkpoint("dpo.policy_init", c->mutable_policy_init(), true, policies));
        return OutDir(c->out_dir(), name, c->mutable_out_dir());
      }
      case v1::StageConfig::kRl: {
        v1::RlConfig* c = stage->mutable_rl();
        FULCRUM_RETURN_IF_ERROR(Input("rl.prompts_path", c->prompts_path(), true));
        FULCRUM_RETURN_IF_ERROR(Input("rl.heldout_prompts_path", c->heldout_prompts_path(), false));
        FULCRUM_RETURN_IF_ERROR(Checkpoint("rl.policy_init", c->mutable_policy_init(), true, policies));
        if (stage->actors() < 0) return Error("'actors' must be positive");
        FULCRUM_RETURN_IF_ERROR(Reward("reward", stage->mutable_reward()));
        return OutDir(c->out_dir(), name, c->mutable_out_dir());
      }
      case v1::StageConfig::kEval: {
        v1::EvalConfig* c = stage->mutable_eval();
        FULCRUM_RETURN_IF_ERROR(Input("eval.prompts_path", c->prompts_path(), true));
        FULCRUM_RETURN_IF_ERROR(Checkpoint("eval.checkpoint", c->mutable_checkpoint(), true, policies));
        if (!c->selectors().empty()) return Error("list best-of-N selectors under the stage's 'selectors', not eval.selectors");
        std::set<std::string> selector_names;
        for (int i = 0; i < stage->selectors_size(); ++i) {
          v1::SelectorConfig* selector = stage->mutable_selectors(i);
          if (selector->name().empty() || !selector_names.insert(selector->name()).second) {
            return Error(absl::StrCat("selectors[", i, "] needs a name of its own"));
          }
          FULCRUM_RETURN_IF_ERROR(Reward(absl::StrCat("selectors[", i, "].reward"), selector->mutable_reward()));
        }
        return OutDir(c->out_dir(), name, c->mutable_out_dir());
      }
      case v1::StageConfig::KIND_NOT_SET:
        break;
    }
    return Error("says nothing to do: give it one of sft, rm, dpo, rl or eval");
  }

  const std::string source_;
  v1::PipelineConfig* const pipeline_;
  std::vector<int> lines_;
  int index_ = 0;
  std::set<std::string> names_;
  std::map<std::string, std::string> kinds_;  // earlier stages
  std::set<fs::path> produced_;
};

}  // namespace

absl::StatusOr<v1::PipelineConfig> LoadPipeline(const std::string& path) {
  v1::PipelineConfig pipeline;
  FULCRUM_RETURN_IF_ERROR(LoadYamlProto(path, &pipeline));
  FULCRUM_RETURN_IF_ERROR(Resolver(path, &pipeline).Resolve());
  return pipeline;
}

const std::vector<std::string>& DatasetFiles() {
  static const auto* const files =
      new std::vector<std::string>{"sft_train.jsonl", "sft_heldout.jsonl", "preference_train.jsonl",
                                   "preference_heldout.jsonl", "rl_train.jsonl", "rl_heldout.jsonl"};
  return *files;
}

std::string RunDir(const v1::PipelineConfig& pipeline) {
  return (fs::path(pipeline.runs_dir().empty() ? "runs" : pipeline.runs_dir()) / pipeline.name()).string();
}

std::string StageKind(const v1::StageConfig& stage) {
  switch (stage.kind_case()) {
    case v1::StageConfig::kSft: return "sft";
    case v1::StageConfig::kRm: return "rm";
    case v1::StageConfig::kDpo: return "dpo";
    case v1::StageConfig::kRl: return "rl";
    case v1::StageConfig::kEval: return "eval";
    case v1::StageConfig::KIND_NOT_SET: break;
  }
  return "";
}

std::string CheckpointRoot(const v1::PipelineConfig& pipeline, const std::string& stage) {
  return (fs::path(RunDir(pipeline)) / stage / "checkpoints").string();
}

int64_t StageSteps(const v1::StageConfig& stage) {
  switch (stage.kind_case()) {
    case v1::StageConfig::kSft: return stage.sft().steps();
    case v1::StageConfig::kRm: return stage.rm().steps();
    case v1::StageConfig::kDpo: return stage.dpo().steps();
    case v1::StageConfig::kRl: return stage.rl().steps();
    default: return 0;
  }
}

}  // namespace fulcrum
