"""PPO settings follow the training budget and the robot's category."""

from tabrl.robots.catalog import CATEGORY_WORDS, all_ids
from tabrl.train import params
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


def test_the_settings_table_covers_every_robot_category():
    """Each category the catalog knows reaches a budget row for every budget, and the per-category and
    per-model entries name real categories and models (a typo would silently fall back to a default)."""
    for category in CATEGORY_WORDS:
        kind = params.CATEGORY_OF[category]
        assert any(row_kind == kind and 10**8 <= most for row_kind, most, _ in params.BUDGET_TABLE), kind
        for steps in (10_000, 50_000, 100_000):
            settings = next(s for k, most, s in params.BUDGET_TABLE if k == kind and steps <= most)
            assert ppo_config_for(steps, category) == PPOConfig(**settings)
    assert set(params.FROM_BASE_DEFAULT) <= set(CATEGORY_WORDS)
    assert set(params.STEPS_FOR_MODEL) <= set(all_ids())
