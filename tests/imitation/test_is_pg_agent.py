"""ISPGfD, the importance-sampled policy gradient with demonstrations as an agent: its
gradient equals the exact gradient of E_pi[sum r - T log pi] by enumeration on a tiny finite
MDP (through FiniteMDPEnv), its weights match a hand computation for both proposals, bad
options are refused, and save / load / resume equals an uninterrupted run."""

import itertools
import json

import gymnasium as gym
import numpy as np
import pytest
import torch
from imitation_helpers import tabular_demos

from softrl.demos import DemonstrationError, record_demos, save_demos
from softrl.envs import FiniteMDPEnv
from softrl.imitation import ISPGfD
from softrl.mdp import FiniteMDP
from softrl.training.toy_env import POINT_MASS_DISCRETE_ID, POINT_MASS_ID

torch.set_num_threads(1)
S, A, H = 2, 2, 3


def _mdp() -> FiniteMDP:
    rng = np.random.default_rng(5)
    P = rng.dirichlet(np.ones(S), size=(S, A))
    return FiniteMDP(P, reward=rng.normal(size=(S, A)), initial=np.array([0.3, 0.7]),
                     horizon=H)


def _agent(**kw) -> ISPGfD:
    mdp = _mdp()
    agent = ISPGfD(FiniteMDPEnv(mdp), torch_threads=1, hidden_sizes=(4,), gamma=1.0,
                   temperature=0.3, proposal_epochs=30, **kw)
    expert = np.array([[0.9, 0.1], [0.2, 0.8]])
    agent.add_demos(tabular_demos(mdp, expert, 20, seed=1, length=H))
    if agent.proposal_net is not None:
        agent.fit_proposal()
    return agent


def _enumeration(agent: ISPGfD):
    """Every trajectory (s_0, a_0, ..., a_{H-1}) as a batch, with log p(tau) of the dynamics
    and the rewards r(s, a)."""
    mdp = _mdp()
    P = mdp.transitions.toarray().reshape(S, A, S)
    rows = torch.tensor(list(itertools.product(range(S), repeat=2 * H)))
    s, a = rows[:, 0::2], rows[:, 1::2]
    log_dyn = torch.log(torch.tensor(np.array(mdp.initial))[s[:, 0]]) + sum(
        torch.log(torch.tensor(P)[s[:, t], a[:, t], s[:, t + 1]]) for t in range(H - 1))
    obs = torch.nn.functional.one_hot(s, S).float()
    rewards = torch.tensor(np.array(mdp.reward))[s, a].float()
    batch = agent.trajectory_batch(obs, a, rewards, torch.ones(len(rows), H),
                                   torch.zeros(len(rows), dtype=torch.bool))
    return batch, log_dyn, rewards


def _select(batch, j):
    from softrl.imitation import TrajectoryBatch

    return TrajectoryBatch(*(x[j:j + 1] for x in (batch.obs, batch.actions, batch.rewards,
                                                   batch.mask, batch.is_demo,
                                                   batch.log_behavior)))


def _exact_and_expected(agent: ISPGfD, share: float):
    batch, log_dyn, rewards = _enumeration(agent)
    params = list(agent.actor.parameters())
    m = batch.shape[0]
    log_pi = agent.actor.log_prob(batch.obs.reshape(m * H, S), batch.actions.reshape(-1)
                                  ).reshape(m, H)
    # J = sum_tau p(tau) pi(tau) sum_t (r_t - T log pi(a_t|s_t)), differentiated exactly
    J = (torch.exp(log_dyn + log_pi.sum(-1).double()) *
         (rewards - agent.config.temperature * log_pi).sum(-1).double()).sum()
    exact = torch.autograd.grad(J, params)
    # E_q[estimate] = sum_tau q(tau) estimate(tau), q = p(tau) (c q_demo + (1 - c) pi)(tau)
    log_q = log_dyn + agent.log_proposal(batch, share)[:, -1].double()
    total = sum(torch.exp(log_q[j]) * agent.surrogate(_select(batch, j), share).double()
                for j in range(m))
    expected = [-g for g in torch.autograd.grad(total, params)]
    return exact, expected


@pytest.mark.parametrize("baseline", [False, True])
def test_gradient_equals_enumeration_under_the_fused_proposal(baseline) -> None:
    agent = _agent(future_ratios=True, baseline=baseline)
    with torch.no_grad():  # a critic far from zero: the baseline must still cancel
        agent.critic.net[-1].bias.fill_(3.0)
    for share in (0.5, 0.9):
        exact, expected = _exact_and_expected(agent, share)
        for e, x in zip(exact, expected, strict=True):
            torch.testing.assert_close(x.double(), e.double(), rtol=1e-4, atol=1e-5)


def test_seed_form_is_exact_on_policy_only() -> None:
    agent = _agent(future_ratios=False)
    exact, expected = _exact_and_expected(agent, 0.0)
    for e, x in zip(exact, expected, strict=True):
        torch.testing.assert_close(x.double(), e.double(), rtol=1e-4, atol=1e-5)
    exact, expected = _exact_and_expected(agent, 0.5)
    gap = max(float((x.double() - e.double()).abs().max()) for e, x in zip(exact, expected,
                                                                          strict=True))
    assert gap > 1e-3  # dropping the future ratios is an approximation off-policy


def test_weights_by_hand_for_both_proposals() -> None:
    agent = _agent()
    batch, _, _ = _enumeration(agent)
    m = batch.shape[0]
    with torch.no_grad():
        pi = agent.actor.probs(batch.obs.reshape(-1, S)).reshape(m, H, A)
        qb = agent.proposal_net.probs(batch.obs.reshape(-1, S)).reshape(m, H, A)
    pick = lambda p: p.gather(-1, batch.actions.unsqueeze(-1)).squeeze(-1).double()  # noqa: E731
    pi_a, q_a = pick(pi), pick(qb)
    c = 0.25
    hand = pi_a.cumprod(-1) / (c * q_a.cumprod(-1) + (1 - c) * pi_a.cumprod(-1))
    got = agent.importance_log_weights(batch, c).exp().double()
    torch.testing.assert_close(got, hand, rtol=1e-5, atol=1e-7)
    # clipping at 1 through the agent: the surrogate's gradient uses min(w, 1)
    clipped = _agent(clip=1.0, baseline=False)
    lp = clipped.actor.log_prob(batch.obs.reshape(-1, S), batch.actions.reshape(-1))
    w = clipped.importance_log_weights(batch, c).exp().clamp(max=1.0)
    rtg = batch.rewards.flip(-1).cumsum(-1).flip(-1)  # gamma = 1
    manual = -(lp.reshape(m, H) * w * rtg).sum(-1).mean()
    torch.testing.assert_close(clipped.surrogate(batch, c), manual)
    # Dirac: a demo tau gets pi(tau) / (c / N + (1 - c) pi(tau)), a policy sample 1 / (1 - c)
    dirac = _agent(proposal="dirac")
    assert dirac.proposal_net is None
    n = dirac._demo_starts.shape[0]
    demo_rows = batch.is_demo.clone()
    demo_rows[:3] = True
    from dataclasses import replace

    b2 = replace(batch, is_demo=demo_rows)
    with torch.no_grad():
        pi_d = pick(dirac.actor.probs(batch.obs.reshape(-1, S)).reshape(m, H, A)).cumprod(-1)
    got = dirac.importance_log_weights(b2, c).exp().double()
    torch.testing.assert_close(got[:3], pi_d[:3] / (c / n + (1 - c) * pi_d[:3]))
    torch.testing.assert_close(got[3:], torch.full_like(got[3:], 1 / (1 - c)))


def _demos(episodes=4, seed=0):
    expert = lambda o: 0 if o[0] > 0.25 else (2 if o[0] < -0.25 else 1)  # noqa: E731
    return record_demos(expert, episodes, env=gym.make(POINT_MASS_DISCRETE_ID), seed=seed)


SMALL = {"torch_threads": 1, "hidden_sizes": (16,), "n_steps": 12, "proposal_epochs": 5,
         "log_every": 24}


def test_bad_options_and_demos_are_refused() -> None:
    for bad, match in (({"proposal": "gauss"}, "'proposal' parameter"),
                       ({"clip": 0.0}, "'clip' parameter"),
                       ({"demo_episodes": 0}, "'demo_episodes' parameter"),
                       ({"batch_size": 64}, "does not use batch_size"),
                       ({"normalize_advantages": True}, "does not use normalize_advantages"),
                       ({"clip_range": 0.2}, "does not use clip_range")):
        with pytest.raises(ValueError, match=match):
            ISPGfD(POINT_MASS_DISCRETE_ID, **SMALL, **bad)
    agent = ISPGfD(POINT_MASS_DISCRETE_ID, **SMALL)
    with pytest.raises(ValueError, match="needs demonstrations"):
        agent.learn(12)
    with pytest.raises(DemonstrationError, match="needs the demos' rewards"):
        agent.add_demos(_demos().to(rewards=None))
    cont = record_demos(lambda o: np.full(1, 0.5, np.float32), 1, env=gym.make(POINT_MASS_ID))
    with pytest.raises(DemonstrationError, match="recorded in"):
        agent.add_demos(cont)


@pytest.mark.parametrize("env_id,proposal", [(POINT_MASS_DISCRETE_ID, "bc"),
                                             (POINT_MASS_ID, "dirac")])
def test_resume_equals_uninterrupted(env_id, proposal, tmp_path) -> None:
    if env_id == POINT_MASS_ID:
        demos = record_demos(lambda o: np.clip(-2 * o, -1, 1).astype(np.float32), 4,
                             env=gym.make(POINT_MASS_ID))
    else:
        demos = _demos()
    opts = {"seed": 3, "proposal": proposal, "n_epochs": 2, "self_normalize": True,
            "clip": 5.0, "bc_weight": 0.1, **SMALL}
    full = ISPGfD(env_id, **opts).add_demos(demos).learn(72)
    half = ISPGfD(env_id, **opts).add_demos(demos).learn(36)
    resumed = ISPGfD.load(half.save(tmp_path / "ckpt"), tensorboard=False)
    assert resumed._demos is not None and len(resumed._demos) == len(demos)
    resumed.learn(36)
    assert resumed.num_steps == full.num_steps == 72
    a, b = full.get_parameters(), resumed.get_parameters()
    assert set(a) == set(b) == ({"actor", "critic", "proposal"} if proposal == "bc"
                                else {"actor", "critic"})
    for name, state in a.items():
        for k, v in state.items():
            assert torch.equal(v, b[name][k]), (name, k)
    assert torch.equal(full.rngs.torch.get_state(), resumed.rngs.torch.get_state())


def test_cli_trains_and_resumes_without_the_demos_file(tmp_path, capsys) -> None:
    from softrl.cli.main import main

    path = save_demos(_demos(), tmp_path / "demos.npz")
    run = tmp_path / "run"
    args = ["--env", POINT_MASS_DISCRETE_ID, "--run-dir", str(run), "--demos", str(path),
            "--proposal", "dirac", "--future-ratios", "--clip", "10", "--n-steps", "12",
            "--checkpoint-every", "24", "--hidden-sizes", "16", "--torch-threads", "1",
            "--no-progress", "--no-tensorboard", "--final-eval-episodes", "1"]
    assert main(["train", "ispgfd", "--steps", "24", *args]) == 0
    path.unlink()  # the demonstrations travel in the checkpoint
    assert main(["train", "ispgfd", "--steps", "48", "--resume", *args]) == 0
    capsys.readouterr()
    assert main(["eval", str(run), "--episodes", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["agent"] == "ISPGfD"
    assert main(["train", "ispgfd", "--steps", "12", "--run-dir", str(tmp_path / "x"),
                 "--env", POINT_MASS_DISCRETE_ID, "--no-progress"]) == 2
    assert "needs demonstrations" in capsys.readouterr().err
    loaded = ISPGfD.load(run, tensorboard=False)
    assert loaded.num_steps == 48 and loaded.config.proposal == "dirac"
    assert loaded.config.clip == 10.0 and loaded.config.future_ratios
