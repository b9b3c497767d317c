"""Sweep specs are checked in full before Ray starts: every mistake is a SpecError naming the
field. Also the configurations (shared by all seeds), the best-config file and the CLI's
--check, none of which start Ray."""

import json
import sys

import pytest
from tune_specs import tiny_spec

from softrl.agents import SAC
from softrl.cli.main import main as cli
from softrl.cli.train import _parse
from softrl.tune import SpecError, load_spec, run
from softrl.tune.results import write_config_toml


@pytest.mark.parametrize("change, message", [
    ({"space": {"learning_rat": {"grid": [1e-3]}}},
     r"space\.learning_rat: SAC has no hyperparameter 'learning_rat'\. Did you mean "
     r"'learning_rate'.*Its hyperparameters: batch_size, buffer_size"),
    ({"fixed": {"hidden_size": [8]}}, r"fixed\.hidden_size: SAC has no hyperparameter"),
    ({"space": {}}, r"space: the search space is empty"),
    ({"scheduler": {"type": "hyperband"}},
     r"scheduler\.type: unknown scheduler 'hyperband'; use one of 'none', 'asha', 'pbt'"),
    ({"scheduler": {"type": "asha", "perturbation_interval": 5}},
     r"the 'asha' scheduler has no field 'perturbation_interval'"),
    ({"scheduler": {"type": "pbt", "mutations": ["gamma"]}},
     r"scheduler\.mutations: 'gamma' is not in \[space\]"),
    ({"scheduler": {"type": "pbt", "synch": "yes"}}, r"scheduler\.synch: .*true"),
    ({"space": {"learning_rate": {"grid": ["fast"]}}},
     r"space\.learning_rate: The 'learning_rate' parameter of SAC must be a float"),
    ({"space": {"learning_rate": {"uniform": [1e-2, 1e-3]}}},
     r"space\.learning_rate\.uniform: must be \[low, high\] with numbers low < high"),
    ({"space": {"learning_rate": {"loguniform": [0, 1e-3]}}},
     r"space\.learning_rate\.loguniform: bounds must be > 0"),
    ({"space": {"learning_rate": {"normal": [0, 1]}}},
     r"space\.learning_rate: unknown distribution 'normal'"),
    ({"space": {"learning_rate": {"choice": []}}}, r"space\.learning_rate\.choice: must be a "
     r"non-empty list"),
    ({"space": {"seed": {"grid": [0, 1]}}}, r"space\.seed: set by the sweep itself; use 'seeds'"),
    ({"fixed": {"eval_every": 10}}, r"fixed\.eval_every: set by the sweep itself; use \[budget\]"),
    ({"fixed": {"learning_rate": 1e-3}}, r"space\.learning_rate: also in \[fixed\]"),
    ({"fixed": {"gamma": 2.0}}, r"fixed: The 'gamma' parameter of SAC must be a float in the "
     r"range \[0, 1\]"),
    ({"budget": {"total_timesteps": 300, "eval_every": 200}},
     r"budget\.eval_every: must be an integer in \[1, total_timesteps=300\] that divides"),
    ({"budget": {"total_timesteps": "300"}}, r"budget\.total_timesteps: must be an integer"),
    ({"budget": {"total_steps": 300}}, r"\[budget\] has no field 'total_steps'"),
    ({"resources": {"cpus_per_trial": 4, "num_cpus": 2}}, r"resources\.cpus_per_trial: 4 is "
     r"more than resources\.num_cpus"),
    ({"seeds": [0, 0]}, r"seeds: must be a non-empty list of distinct integers"),
    ({"agent": "DQN"}, r"agent: unknown agent 'DQN'; known agents: .*SAC"),
    ({"metric": "loss"}, r"metric: must be 'mean_return'"),
    ({"schedular": {}}, r"the sweep spec has no field 'schedular'\. Did you mean 'scheduler'"),
])
def test_bad_spec_is_an_error_naming_the_field(tmp_path, change, message):
    with pytest.raises(SpecError, match=message):
        load_spec(tiny_spec(tmp_path, **change))


def test_bad_spec_fails_before_ray_starts(tmp_path):
    ray = pytest.importorskip("ray")
    assert not ray.is_initialized()
    with pytest.raises(SpecError, match="unknown scheduler"):
        run(tiny_spec(tmp_path, scheduler={"type": "median"}))
    assert not ray.is_initialized()
    assert not (tmp_path / "sweep").exists()


def test_spec_file_errors(tmp_path):
    with pytest.raises(SpecError, match="cannot read the sweep spec"):
        load_spec(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("agent = \n")
    with pytest.raises(SpecError, match="is not valid TOML"):
        load_spec(bad)


def test_configurations_grid_times_draws_and_shared_by_seeds(tmp_path):
    space = {"learning_rate": {"loguniform": [1e-4, 1e-2]},
             "target_update_interval": {"uniform": [1, 8]}, "tau": {"choice": [0.01, 0.1]}}
    spec = load_spec(tiny_spec(tmp_path, num_samples=3, sample_seed=7, space=space))
    configs = spec.configurations()
    assert len(configs) == 3 * 2
    again = load_spec(tiny_spec(tmp_path, num_samples=3, sample_seed=7, space=space))
    assert configs == again.configurations()
    for c in configs:
        assert 1e-4 <= c["learning_rate"] <= 1e-2
        interval = c["target_update_interval"]
        assert isinstance(interval, int) and 1 <= interval <= 8
    # each draw is paired with every grid value
    assert [c["tau"] for c in configs] == [0.01, 0.1] * 3
    assert configs[0]["learning_rate"] == configs[1]["learning_rate"]
    assert len({c["learning_rate"] for c in configs}) == 3
    hyper = spec.hyperparameters(configs[0], seed=1)
    assert hyper["seed"] == 1 and hyper["eval_every"] == 100 and hyper["eval_episodes"] == 2
    assert hyper["hidden_sizes"] == [16, 16] and hyper["checkpoint_every"] == 0


def test_best_config_file_is_read_by_softrl_train(tmp_path):
    values = {"hidden_sizes": [16, 16], "learning_rate": 0.003, "temperature": "auto",
              "target_entropy": None, "batch_size": 16, "eval_every": 100, "eval_episodes": 2}
    path = write_config_toml(tmp_path / "best.toml", values, "a header\nsecond line")
    args, _ = _parse("sac", SAC, ["--config", str(path), "--steps", "100"])
    assert args.hp.learning_rate == 0.003 and args.hp.hidden_sizes == (16, 16)
    assert args.hp.batch_size == 16 and args.hp.eval_every == 100
    assert args.hp.target_entropy is None


def test_cli_check_and_errors(tmp_path, capsys):
    import tomllib  # noqa: F401 - the spec below is TOML

    spec = tmp_path / "spec.toml"
    spec.write_text(f"""agent = "SAC"
env = "softrl/PointMass1D-v0"
output = "{tmp_path / 'out'}"
seeds = [0, 1, 2]
[space]
learning_rate = {{ grid = [1e-3, 3e-3] }}
tau = {{ choice = [0.01, 0.1] }}
""")
    assert cli(["tune", str(spec), "--check"]) == 0
    out = capsys.readouterr().out
    assert "4 configurations x 3 seeds = 12 trials" in out
    assert "#3: {'learning_rate': 0.003, 'tau': 0.1}" in out
    spec.write_text(spec.read_text().replace("tau =", "taux ="))
    assert cli(["tune", str(spec)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("softrl tune: error: space.taux: SAC has no hyperparameter 'taux'")
    assert "ray" not in sys.modules or not sys.modules["ray"].is_initialized()


def test_example_spec_is_valid():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spec = load_spec(root / "examples" / "tune_toy.toml")
    assert spec.scheduler["type"] == "asha" and len(spec.configurations()) == 4


def test_resume_refuses_a_missing_sweep_and_a_changed_spec(tmp_path):
    with pytest.raises(SpecError, match="holds no sweep to resume; drop --resume"):
        run(tiny_spec(tmp_path), resume=True)
    (tmp_path / "sweep").mkdir()
    (tmp_path / "spec.json").write_text(json.dumps(tiny_spec(tmp_path)))
    changed = tiny_spec(tmp_path, seeds=[0, 1, 2])
    with pytest.raises(SpecError, match="seeds: differs from the spec the sweep in"):
        run(changed, resume=True)
    with pytest.raises(SpecError, match="already holds a sweep; continue it with --resume"):
        run(tiny_spec(tmp_path))


def test_best_configuration_prefers_configurations_that_ran_the_whole_budget(tmp_path):
    from softrl.tune.results import _best

    spec = load_spec(tiny_spec(tmp_path, space={"learning_rate": {"grid": [1e-3, 2e-3, 3e-3]}}))

    def row(index, seed, status, ret):
        return {"config_index": index, "seed": seed, "status": status, "mean_return": ret,
                "learning_rate": [1e-3, 2e-3, 3e-3][index]}

    trials = [row(0, 0, "complete", -1.0), row(0, 1, "complete", -3.0),   # mean -2
              row(1, 0, "complete", -0.5), row(1, 1, "stopped", -9.0),    # one seed stopped
              row(2, 0, "complete", -1.5), row(2, 1, "complete", -2.0)]   # mean -1.75
    assert _best(trials, ["learning_rate"], spec) == (2, {"learning_rate": 3e-3})
    # no configuration complete on every seed: the complete trials decide
    trials[5]["status"] = "stopped"
    trials[1]["status"] = "error"
    assert _best(trials, ["learning_rate"], spec) == (1, {"learning_rate": 2e-3})
