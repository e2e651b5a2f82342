#!/usr/bin/python3
"""A real Prometheus scrapes a short local `fulcrum run`.

Starts Debian's `prometheus` with a file_sd scrape config on the run's prometheus_targets.json,
runs a tiny SFT -> RL pipeline (reward server, reference server, one actor) with
`fulcrum run --metrics_port=P`, then asks Prometheus's HTTP API that:
  - every role (orchestrator, learner, actor, reward, reference) was scraped and up;
  - the learner's step counter and the actor's token counter moved;
  - every fulcrum_* metric the Grafana dashboard plots exists.
Usage: prometheus_scrape_test.py <bin_dir> <source_dir>
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROLES = ["orchestrator", "learner", "actor", "reward", "reference"]

PIPELINE = """name: scrape
runs_dir: {d}/runs
launcher: {{threads: 2}}
datasets:
  - out: {d}/data
    task: {{name: addition, min_digits: 1, max_digits: 1}}
    train: 2000
    heldout: 40
stages:
  - name: sft
    sft:
      train_path: {d}/data/sft_train.jsonl
      heldout_prompts_path: {d}/data/rl_heldout.jsonl
      task: {{name: addition, min_digits: 1, max_digits: 1}}
      model: {{n_layer: 1, n_head: 2, d_model: 32, max_seq_len: 16, init_seed: 1}}
      optimizer: {{lr: 0.003, warmup_steps: 5}}
      steps: 60
      batch_size: 32
      eval_every: 20
      max_new_tokens: 4
  - name: rl
    reward: {{scorer: verifier}}
    actors: 1
    rl:
      algorithm: grpo
      policy_init: sft
      prompts_path: {d}/data/rl_train.jsonl
      heldout_prompts_path: {d}/data/rl_heldout.jsonl
      task: {{name: addition, min_digits: 1, max_digits: 1}}
      optimizer: {{lr: 0.0001}}
      steps: 120
      prompts_per_step: 8
      group_size: 4
      prompts_per_unit: 4
      sampling: {{max_new_tokens: 4}}
      max_staleness: 1
      kl_coef: 0.05
      eval_every: 40
      eval_examples: 40
"""

PROMETHEUS = """global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: fulcrum
    file_sd_configs:
      - files: ['{targets}']
        refresh_interval: 1s
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_block(n):
    """A port P with P..P+n-1 all free (the orchestrator gives its processes the ports after its own)."""
    for _ in range(50):
        base = free_port()
        if base + n > 65535:
            continue
        try:
            sockets = []
            for p in range(base, base + n):
                s = socket.socket()
                sockets.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no block of free ports")


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


class Prometheus:
    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port

    def query(self, promql):
        reply = get(self.base + "/api/v1/query?" + urllib.parse.urlencode({"query": promql}))
        if reply.get("status") != "success":
            raise RuntimeError("query %s failed: %s" % (promql, reply))
        return reply["data"]["result"]

    def names(self):
        return set(get(self.base + "/api/v1/label/__name__/values")["data"])


def dashboard_metrics(source_dir):
    path = os.path.join(source_dir, "deploy", "grafana", "dashboards", "fulcrum.json")
    with open(path) as f:
        text = f.read()
    json.loads(text)
    names = set()
    for name in re.findall(r"fulcrum_[a-z_]+", text):
        names.add(re.sub(r"_(bucket|sum|count)$", "", name))
    return names


def main():
    bin_dir, source_dir = sys.argv[1], sys.argv[2]
    prometheus_bin = shutil.which("prometheus")
    if prometheus_bin is None:
        print("FAIL: Debian's prometheus is not installed (scripts/setup.sh installs it)")
        return 1
    work = tempfile.mkdtemp(prefix="fulcrum-scrape-")
    failures, passed = [], 0
    prometheus = None
    try:
        pipeline = os.path.join(work, "scrape.yaml")
        with open(pipeline, "w") as f:
            f.write(PIPELINE.format(d=work))
        targets = os.path.join(work, "runs", "scrape", "prometheus_targets.json")
        config = os.path.join(work, "prometheus.yml")
        with open(config, "w") as f:
            f.write(PROMETHEUS.format(targets=targets))
        web_port = free_port()
        with open(os.path.join(work, "prometheus.log"), "w") as log:
            prometheus = subprocess.Popen(
                [prometheus_bin, "--config.file=" + config, "--storage.tsdb.path=" + os.path.join(work, "tsdb"),
                 "--web.listen-address=127.0.0.1:%d" % web_port], stdout=log, stderr=subprocess.STDOUT)
        api = Prometheus(web_port)
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(api.base + "/-/ready", timeout=2)
                break
            except OSError:
                if time.time() > deadline or prometheus.poll() is not None:
                    raise RuntimeError("prometheus did not become ready; see " + os.path.join(work, "prometheus.log"))
                time.sleep(0.3)

        metrics_port = free_port_block(8)
        start = time.time()
        run = subprocess.run([os.path.join(bin_dir, "fulcrum"), "run", pipeline, "--metrics_port=%d" % metrics_port],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
        print("fulcrum run: exit %d in %.0f s" % (run.returncode, time.time() - start))
        if run.returncode != 0:
            print(run.stdout)
            raise RuntimeError("fulcrum run failed")
        time.sleep(2)  # the last scrape of every target
        window = "[%ds]" % (int(time.time() - start) + 30)

        def check(name, ok, detail):
            nonlocal passed
            print("%s: %s (%s)" % ("ok" if ok else "FAIL", name, detail))
            if ok:
                passed += 1
            else:
                failures.append(name)

        up = {r["metric"].get("role"): float(r["value"][1])
              for r in api.query("max by (role) (max_over_time(up%s))" % window)}
        for role in ROLES:
            check("%s scraped and up" % role, up.get(role) == 1.0, "max up = %s" % up.get(role))
        for metric in ["fulcrum_learner_steps_total", "fulcrum_actor_tokens_generated_total"]:
            result = api.query("max(max_over_time(%s%s)) - min(min_over_time(%s%s))" % (metric, window, metric, window))
            moved = float(result[0]["value"][1]) if result else 0.0
            check("%s moved" % metric, moved > 0, "rose by %g over the run" % moved)
        names = api.names()
        wanted = dashboard_metrics(source_dir)
        missing = sorted(n for n in wanted if n not in names and n + "_bucket" not in names)
        check("every metric the dashboard plots is scraped", not missing and wanted,
              "%d metrics, missing: %s" % (len(wanted), missing or "none"))
    except Exception as error:  # noqa: BLE001 - reported as a failure with its message
        failures.append(str(error))
        print("FAIL:", error)
    finally:
        if prometheus is not None:
            prometheus.terminate()
            prometheus.wait(timeout=30)
        if not failures:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("kept for a look:", work)
    print("%d passed, %d failed" % (passed, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
