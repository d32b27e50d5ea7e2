"""PPO settings follow the training budget and the robot's category."""

from tabrl.train.ppo import PPOConfig, ppo_config_for


def test_small_budgets_buy_more_iterations():
    small = ppo_config_for(10_000, "quadruped")
    assert small.num_envs * small.unroll_length == 256  # 40 PPO iterations in 10k steps, not 10
    big = ppo_config_for(100_000, "quadruped")
    assert big.num_envs * big.unroll_length > small.num_envs * small.unroll_length
    for category in ("arm", "hand", "classic", "humanoid", "unknown"):
        cfg = ppo_config_for(50_000, category)
        assert isinstance(cfg, PPOConfig) and cfg.num_envs % cfg.num_minibatches == 0
    # The network never changes with the budget, so a checkpoint fine-tunes under any budget.
    assert {ppo_config_for(s, c).policy_hidden for s in (10_000, 100_000) for c in ("quadruped", "arm")} == {
        PPOConfig().policy_hidden
    }
