"""The benchmark's pieces work: every case answers correctly and the report renders.

Nothing here is timed against a threshold; `make bench` does the measuring.
"""

from __future__ import annotations

import pytest

from bench import run


def tiny() -> run.Settings:
    return run.Settings(
        rounds=2, max_per_round=3, round_seconds=0.0, warmup_seconds=0.0, min_per_round=2
    )


async def test_every_case_answers_what_it_expects() -> None:
    for case in run.build_cases().values():
        await run.check(case)


async def test_check_rejects_a_wrong_answer() -> None:
    case = run.build_cases()["aio_plain"]
    case.expected = b"something else"
    with pytest.raises(RuntimeError, match="Fix the app before timing it"):
        await run.check(case)


async def test_starlette_and_aioflask_send_the_same_bodies() -> None:
    cases = run.build_cases()
    for kind in ("plain", "json", "param", "sync"):
        aio_case, star_case = cases[f"aio_{kind}"], cases[f"star_{kind}"]
        aio = await run.call_once(aio_case.app, run.make_scope(aio_case.path))
        star = await run.call_once(star_case.app, run.make_scope(star_case.path))
        assert aio[0] == star[0] == 200
        assert aio[1].strip() == star[1].strip()


def test_many_routes_app_has_the_requested_number_of_rules() -> None:
    app = run.make_many_routes_app(run.MANY_ROUTES)
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    assert len(rules) == run.MANY_ROUTES
    assert {rule.rule.split("/")[1][0] for rule in rules} == {"r", "s"}


async def test_measure_all_and_report() -> None:
    results = await run.measure_all(tiny())
    assert set(results) == set(run.build_cases())
    for timing in results.values():
        assert len(timing.rounds_us) == 2
        assert timing.per_round == 2
        assert timing.best > 0
    report = run.format_report(results, tiny())
    for text in ("plaintext", "json", "path param", "sync def", "1000 routes", "summary:"):
        assert text in report
    assert report.count("PASS") + report.count("MISS") >= 3
    assert isinstance(run.missed_targets(results), list)


async def test_measure_only_selected_cases() -> None:
    results = await run.measure_all(tiny(), only=["aio_plain", "star_plain"])
    assert set(results) == {"aio_plain", "star_plain"}


def test_verdicts_follow_the_targets() -> None:
    case = run.build_cases()["aio_plain"]
    fast = run.Timing(case, 1, [10.0, 12.0])
    slow = run.Timing(case, 1, [16.0, 16.5])
    assert run.Row("x", slow, fast, 1.5).verdict == "MISS"
    assert run.Row("x", fast, fast, 1.5).verdict == "PASS"
    assert run.Row("x", slow, fast, None).verdict == "info"
    assert run.Row("x", slow, fast, 1.5).ratio == pytest.approx(1.6)
    assert fast.median == pytest.approx(11.0)


def test_instruction_counter_runs_each_case_and_reads_callgrinds_total() -> None:
    from bench import instructions

    for kind, path in instructions.CASES.values():
        instructions.serve(kind, path, 2)  # the child's work, without valgrind
    assert instructions.collected("==12== Events    : Ir\n==12== Collected : 1,234,567\n") == (
        1_234_567
    )
    with pytest.raises(RuntimeError, match="no instruction count"):
        instructions.collected("valgrind: command not found")
