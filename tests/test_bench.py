"""``benchmarks/bench.py``: verdicts only for what a run measured, and results written only when asked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import bench


def plans(*sizes: int) -> list[bench.PlanFigures]:
    out = [bench.PlanFigures("dev", None, runs=1, wall_s=0.9, resources=11, depth=3, mandatory=0, advisory=1)]
    out += [bench.PlanFigures(f"bench{n}", n, runs=1, wall_s=0.01 * n + 1, resources=7 * n + 7, depth=3,
                              mandatory=0, advisory=0) for n in sizes]
    return out


def overhead(*sizes: int) -> list[bench.Overhead]:
    return [bench.Overhead(n, 7 * n, 7 * n, 0.1, 0.1, 1.1, 3, True) for n in sizes]


def policy(resources: int) -> list[bench.PolicyFigures]:
    return [bench.PolicyFigures("this pack", resources, 0.7, 0.1, 1)]


def verdicts(targets: list[bench.Target]) -> dict[str, str]:
    return {t.name: t.verdict for t in targets}


def test_a_quick_run_reports_targets_it_did_not_measure_as_not_run():
    targets = bench.evaluate(plans(1, 10), overhead(1, 10), policy(77), 0.3, 0.3, policy_windows=10)
    assert verdicts(targets) == {
        "program overhead vs flat, 100 windows": "not run",
        "`mw plan`, 500 windows": "not run",
        "`mw plan`, 100 windows": "not run",
        "policy pack, Analyze per resource (100 windows)": "not run",
        "deploy depth, any size": "PASS",
        "`mw plan`, dev stack": "PASS",
    }
    assert "MISS" not in bench.render(bench.machine(), plans(1, 10), overhead(1, 10), policy(77), (0.3, 50.0), 0.3,
                                      targets, bench.QUICK)


def test_a_full_run_judges_every_target():
    slow = plans(1, 10, 100, 500)
    slow[-1].wall_s = 20.0
    targets = bench.evaluate(slow, overhead(1, 10, 100), policy(708), 0.3, 0.3)
    assert verdicts(targets)["`mw plan`, 500 windows"] == "MISS"
    assert set(verdicts(targets).values()) == {"PASS", "MISS"}


def test_a_failed_plan_is_a_miss_not_a_skip():
    failed = plans(1, 10, 100, 500)
    failed[-1].wall_s, failed[-1].error = None, "pack crashed"
    targets = bench.evaluate(failed, overhead(1, 10, 100), policy(708), 0.3, 0.3)
    target = next(t for t in targets if t.name == "`mw plan`, 500 windows")
    assert (target.verdict, target.measured) == ("MISS", "failed (pack crashed)")


@pytest.fixture
def measured(monkeypatch, tmp_path):
    """``bench.main`` with every measurement replaced by fixed figures, and results.json moved to tmp."""
    results = tmp_path / "results.json"
    monkeypatch.setattr(bench, "RESULTS", results)
    monkeypatch.setattr(bench, "ROOT", tmp_path)
    monkeypatch.setattr(bench, "make_project", lambda tmp, sizes: Path(bench.ROOT))
    monkeypatch.setattr("mw_config.load_stack_file", lambda path: {})
    monkeypatch.setattr(bench, "measure_floor", lambda repeats: (0.3, 50.0))
    monkeypatch.setattr(bench, "measure_pack_startup", lambda project, config, repeats: 0.3)
    monkeypatch.setattr(bench, "plan_once", lambda project, stack, *extra: (0.0, {}, None, ""))
    monkeypatch.setattr(bench, "measure_plan", lambda project, stack, n, repeats, *extra: bench.PlanFigures(
        stack, n, runs=1, wall_s=1.0, resources=11, depth=3, mandatory=0, advisory=0))
    monkeypatch.setattr(bench, "measure_overhead", lambda project, configs, settings: (overhead(1, 10), None))
    monkeypatch.setattr(bench, "measure_policy", lambda project, tmp, run, config, settings: policy(77))
    monkeypatch.setattr(bench, "measure_overlap", lambda project, settings: [bench.OverlapFigures(20, 1, 85, 0.2, 12, 1)])
    monkeypatch.setattr(bench, "add_account_stacks", lambda project, sizes: None)
    monkeypatch.setattr(bench, "measure_schedules", lambda settings: [
        bench.ScheduleFigures("cron(0 0 30 2 ? *)", "count=1", 3.5, 1)])
    return results


@pytest.mark.parametrize("argv", [[], ["--quick"]])
def test_a_run_leaves_results_json_alone_unless_asked(measured, argv):
    assert bench.main(argv) == 0
    assert not measured.exists()


def test_a_quick_run_prints_not_run(measured, capsys):
    assert bench.main(["--quick"]) == 0
    assert "| `mw plan`, 500 windows | < 15 s | not run | not run |" in capsys.readouterr().out


def test_save_writes_every_figure(measured, tmp_path):
    assert bench.main(["--quick", "--save"]) == 0
    saved = json.loads(measured.read_text(encoding="utf-8"))
    assert {t["name"]: t["verdict"] for t in saved["targets"]}["`mw plan`, 100 windows"] == "not run"
    elsewhere = tmp_path / "elsewhere.json"
    assert bench.main(["--quick", "--save", str(elsewhere)]) == 0
    assert json.loads(elsewhere.read_text(encoding="utf-8"))["plan"][0]["stack"] == "dev"


def test_timings_that_left_the_test_suite_are_reported(measured, capsys):
    assert bench.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "| 20 | 1 | 85 | 0.200 s | 12 | 1 |" in out
    assert "| `cron(0 0 30 2 ? *)` | count=1 | 3.5 ms |" in out


def test_the_overlap_stacks_are_valid_configs_in_the_groups_asked():
    from mw_config import namespaced, parse

    config = bench.overlap_config(8, 2)
    parsed = parse(namespaced(config), source="overlap", stack="overlap")
    assert len(parsed.windows) == 8
    apps = [w["targets"][0]["tags"]["App"] for w in config["maintenance-windows:windows"]]
    assert sorted(set(apps)) == ["app-0", "app-1"]


def accounts(*walls: float | None, depth: int = 4) -> list[bench.AccountFigures]:
    return [bench.AccountFigures(n, 4, bench.PlanFigures(f"org{n}", None, runs=1, wall_s=wall, depth=depth,
                                                         error=None if wall else "exit 2: boom"))
            for n, wall in zip(bench.ACCOUNT_SIZES, walls, strict=False)]


@pytest.mark.parametrize(("figures", "expected"), [
    # 1 -> 10: 100 ms per account, 10 -> 50: 100 ms: flat, 50 accounts in 6 s
    (accounts(1.0, 1.9, 5.9), {"`mw plan`, 50 accounts x 4 regions (prod windows, pack)": "PASS",
                               "deploy depth, accounts": "PASS", "cost per account flat": "PASS"}),
    # 10 -> 50 costs 3x as much per account as 1 -> 10, and 50 accounts take 25 s
    (accounts(1.0, 1.9, 12.7 + 12.0, depth=5), {"`mw plan`, 50 accounts x 4 regions (prod windows, pack)": "MISS",
                                                "deploy depth, accounts": "MISS", "cost per account flat": "MISS"}),
    # the 50-account plan failed: its target is missed, the flatness cannot be told
    (accounts(1.0, 1.9, None), {"`mw plan`, 50 accounts x 4 regions (prod windows, pack)": "MISS",
                                "deploy depth, accounts": "PASS", "cost per account flat": "MISS"}),
    # --quick: 1 and 10 accounts only
    (accounts(1.0, 1.9), {"`mw plan`, 50 accounts x 4 regions (prod windows, pack)": "not run",
                          "deploy depth, accounts": "PASS", "cost per account flat": "MISS"}),
])
def test_account_targets(figures, expected):
    assert verdicts(bench.account_targets(figures)) == expected


def test_accounts_config_lists_the_home_account_then_members_with_roles():
    config = bench.accounts_config(3)
    listed = config["maintenance-windows:accounts"]
    assert [a["id"] for a in listed] == [bench.HOME_ACCOUNT, "100000000001", "100000000002"]
    assert "roleArn" not in listed[0]
    assert listed[2]["roleArn"] == "arn:aws:iam::100000000002:role/OrganizationAccountAccessRole"
    assert all(a["regions"] == list(bench.ACCOUNT_REGIONS) for a in listed)
    assert config["aws:allowedAccountIds"] == [bench.HOME_ACCOUNT]
    assert config["maintenance-windows:windows"] == bench.accounts_config(1)["maintenance-windows:windows"]
