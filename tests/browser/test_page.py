"""End to end in a real browser: Debian's Chromium, driven by playwright, against `tabrl serve`.

Opens the page, picks a model, types a prompt, generates approaches, trains all three with a tiny
step count, watches progress reach 100 % and checks that the three videos play together.

``TABRL_E2E_MODEL`` picks another model and ``TABRL_E2E_SCREENSHOT`` another screenshot path
(the README's picture is made this way with Go1).
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import httpx
import pytest

from tabrl.api.app import STATIC
from tests.helpers.studio import FAST_MODEL, ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
MODEL = os.environ.get("TABRL_E2E_MODEL", FAST_MODEL)
SCREENSHOT = Path(os.environ.get("TABRL_E2E_SCREENSHOT", REPO / "artifacts" / "e2e-studio.png"))
PROMPT = "Keep shaking your hips aloha dude!"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    assert (STATIC / "index.html").is_file(), "the page is not built: run `make web` (make test does)"
    data_dir = tmp_path_factory.mktemp("browser") / "data"
    steps = os.environ.get("TABRL_E2E_STEPS", "2000")
    with ServerProcess(
        data_dir, TABRL_STEPS_MIN=steps, TABRL_MAX_WORKERS="2", TABRL_VIDEO_SECONDS="4"
    ) as srv:
        srv.wait_catalog()
        yield srv


def video_times(page) -> list[float]:
    return page.eval_on_selector_all('[data-testid="comparison-video"]', "vs => vs.map(v => v.currentTime)")


def test_pick_prompt_generate_train_all_and_watch_three_videos_in_sync(server, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url + "/")

    # 1. The gallery: pick the model; its line appears under the grid.
    model_button = page.get_by_role("button", name=MODEL, exact=True)
    expect(model_button).to_be_visible(timeout=120_000)
    model_button.click()
    expect(model_button).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("model-line")).to_contain_text(f"{MODEL} (")

    # 2. The behavior: a prompt and the smallest step count (Home on the slider).
    page.get_by_label("Describe the behavior you want").fill(PROMPT)
    slider = page.get_by_role("slider")
    slider.focus()
    slider.press("Home")
    expect(slider).to_have_value(os.environ.get("TABRL_E2E_STEPS", "2000"))
    page.get_by_role("button", name="Generate Training Approaches").click()

    # 3. Three approach cards, then train them all.
    train_all = page.get_by_role("button", name="Train All")
    expect(train_all).to_be_visible(timeout=120_000)
    expect(page.get_by_role("button", name=re.compile("Train This"))).to_have_count(3)
    train_all.click()

    # 4. Progress: three bars that reach 100 %.
    bars = page.get_by_role("progressbar")
    expect(bars).to_have_count(3, timeout=30_000)
    deadline = time.monotonic() + 900
    seen = set()
    while True:
        values = [
            int(v or 0) for v in bars.evaluate_all("bs => bs.map(b => b.getAttribute('aria-valuenow'))")
        ]
        seen.update(values)
        if all(v == 100 for v in values):
            break
        assert time.monotonic() < deadline, f"progress stuck at {values}"
        time.sleep(0.25)
    assert any(0 < v < 100 for v in seen), f"progress never moved between 0 and 100: {sorted(seen)}"

    # 5. Three videos, started together, advancing together.
    videos = page.locator('[data-testid="comparison-video"]')
    expect(videos).to_have_count(3, timeout=60_000)
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="comparison-video"]')]
                              .every(v => v.readyState >= 3)""",
        timeout=60_000,
    )
    page.get_by_role("button", name="Play All").click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="comparison-video"]')]
                              .every(v => !v.paused && v.currentTime > 0.2)""",
        timeout=30_000,
    )
    first = video_times(page)
    time.sleep(1.0)
    second = video_times(page)
    advanced = [b - a for a, b in zip(first, second, strict=True)]
    assert all(0.5 < d < 1.6 for d in advanced), f"videos did not advance together: {first} -> {second}"
    assert max(second) - min(second) < 0.3, f"videos drifted apart: {second}"

    # 6. A training curve beside each video and under each bar, with every progress update as a point.
    jobs = [
        page.evaluate(f"fetch('/api/jobs/{i}').then(r => r.json())")
        for i in page.eval_on_selector_all(
            '[data-testid="comparison-video"]', "vs => vs.map(v => +v.dataset.jobId)"
        )
    ]
    for job in jobs:
        updates = len(httpx.get(server.url + job["curves_url"]).text.strip().splitlines()) - 1
        assert updates >= 1
        charts = page.locator(
            f'[data-job-id="{job["id"]}"] .training-chart, .video-card:has([data-job-id="{job["id"]}"]) '
            ".training-chart"
        )
        expect(charts).to_have_count(2, timeout=30_000)
        for chart in charts.all():
            assert int(chart.get_attribute("data-points")) >= updates
            expect(chart.locator("canvas").first).to_be_visible(timeout=30_000)  # uPlot drew it
            # Compact and honest: the line says the reward per step, the legend is folded until asked,
            # names terms by their labels (no report keys), and is never taller than the chart.
            expect(chart.locator(".training-chart-text")).to_contain_text("Reward per step")
            expect(chart.locator(".training-chart-legend")).to_have_count(0)
            chart.get_by_role("button", name=re.compile(r"^Terms \(\d+\)$")).click()
            legend = chart.locator(".training-chart-legend")
            expect(legend).to_be_visible()
            labels = legend.locator("li").all_inner_texts()
            assert labels and not any("_" in t or "expr:" in t for t in labels), labels
            plot_box, legend_box = chart.locator(".training-chart-plot").bounding_box(), legend.bounding_box()
            assert plot_box and legend_box and plot_box["height"] <= 130
            assert legend_box["height"] <= plot_box["height"] + 1, (legend_box, plot_box)
            chart.get_by_role("button", name="Hide terms").click()

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header then sits at the top of the picture
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 20_000

    # 7. Hovering a video shows its contact sheet over it: the job's real sheet.jpg, loaded.
    videos.first.hover()
    sheet = page.get_by_test_id("contact-sheet")
    expect(sheet).to_be_visible(timeout=30_000)
    expect(sheet).to_have_attribute("src", jobs[0]["sheet_url"])
    page.wait_for_function(
        """() => { const img = document.querySelector('[data-testid="contact-sheet"]');
                   return img && img.complete && img.naturalWidth > 0 }""",
        timeout=30_000,
    )
    page.mouse.move(0, 0)
    expect(sheet).to_have_count(0)

    # 8. The layout for comparing: the comparison has the page's width (Past Sessions is below it,
    # not beside it), one video can be enlarged and back, and at 768 px the videos stack.
    check_comparison_layout(page, videos)
    assert errors == [], errors


def shoot_from(page, locator, path: Path) -> None:
    """A window-sized picture that starts at the element, just under the sticky header."""
    locator.evaluate("e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 64)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(path))
    assert path.stat().st_size > 20_000


def video_boxes(videos) -> list[dict]:
    return [v.bounding_box() for v in videos.all()]


def check_comparison_layout(page, videos) -> None:
    from playwright.sync_api import expect

    shots = SCREENSHOT.parent
    comparison = page.locator("section.comparison-panel")
    sessions = page.locator("#past-sessions")
    comparison.scroll_into_view_if_needed()

    boxes = video_boxes(videos)
    widths = [round(b["width"]) for b in boxes]
    measured: dict = {"widths_1280": widths}
    assert all(w >= 400 for w in widths), f"videos narrower than 400 px at 1280 px: {widths}"
    assert len({round(b["y"]) for b in boxes}) == 1, f"the three videos are not in one row: {boxes}"
    section, past = comparison.bounding_box(), sessions.bounding_box()
    assert past["y"] >= section["y"] + section["height"], f"Past Sessions shares the row: {past} {section}"
    shoot_from(page, comparison, shots / "compare-1280.png")

    # A click enlarges one video; the others stay below it, and they all keep playing in step.
    page.get_by_role("button", name=re.compile("^Enlarge: ")).nth(1).click()
    card = page.locator('[data-testid="video-card"][data-enlarged="true"]')
    expect(card).to_have_count(1)
    page.wait_for_timeout(500)  # the layout settles and the videos play on
    boxes = video_boxes(videos)
    big, others = boxes[1], boxes[:1] + boxes[2:]
    assert card.locator("video").get_attribute("data-job-id") == videos.nth(1).get_attribute("data-job-id")
    measured["enlarged_1280"] = [round(big["width"]), round(big["height"])]
    assert big["width"] >= 1000, big
    assert all(o["y"] >= big["y"] + big["height"] for o in others), (big, others)
    times = video_times(page)
    assert max(times) - min(times) < 0.3, f"videos drifted apart after enlarging: {times}"
    assert page.eval_on_selector_all('[data-testid="comparison-video"]', "vs => vs.every(v => !v.paused)")
    page.mouse.move(0, 0)  # no contact sheet over the enlarged video (the pointer was left over it)
    shoot_from(page, comparison, shots / "compare-1280-enlarged.png")
    page.get_by_role("button", name=re.compile("^Back to side by side: ")).click()
    expect(card).to_have_count(0)
    assert [round(b["width"]) for b in video_boxes(videos)] == widths

    # 768 px: one column, each video with its own controls under it, the set's buttons reachable.
    page.set_viewport_size({"width": 768, "height": 1000})
    page.wait_for_timeout(300)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than a 768 px window"
    boxes = video_boxes(videos)
    measured["boxes_768"] = [[round(b[k]) for k in ("x", "y", "width", "height")] for b in boxes]
    assert all(b["width"] >= 600 for b in boxes), boxes
    assert len({round(b["x"]) for b in boxes}) == 1, f"not stacked: {boxes}"
    assert all(a["y"] + a["height"] <= b["y"] for a, b in zip(boxes, boxes[1:], strict=False)), boxes
    for control in (
        comparison.get_by_role("button", name="Play All"),
        comparison.get_by_role("button", name="Pause"),
        comparison.get_by_role("button", name=re.compile("^Enlarge: ")).last,
        comparison.get_by_role("button", name=re.compile("^Full screen: ")).last,
    ):
        control.scroll_into_view_if_needed()
        expect(control).to_be_visible()
        assert control.bounding_box()["x"] + control.bounding_box()["width"] <= 768
    comparison.get_by_role("button", name="Pause").click()
    comparison.get_by_role("button", name="Play All").click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="comparison-video"]')].every(v => !v.paused)""",
        timeout=30_000,
    )
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shots / "compare-768.png"), full_page=True)
    shoot_from(page, comparison, shots / "compare-768-top.png")
    (shots / "compare-layout.json").write_text(json.dumps(measured) + "\n")


def test_gallery_opens_on_go1_with_the_featured_robots_first(server, browser):
    """A first visit at 1280 px: the product's own robots lead the grid, Go1 is selected, one card per robot."""
    from playwright.sync_api import expect

    from tabrl.robots.catalog import FEATURED

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url + "/")
    go1 = page.get_by_role("button", name="Go1JoystickFlatTerrain", exact=True)
    expect(go1).to_have_attribute("aria-pressed", "true", timeout=120_000)
    expect(page.get_by_test_id("featured-heading")).to_be_visible()

    cards = page.locator(".model-grid .model-card")
    labels = cards.evaluate_all("cs => cs.map(c => c.getAttribute('aria-label'))")
    assert labels[: len(FEATURED)] == list(FEATURED), labels
    models = server.wait_catalog()
    assert len(labels) == len({m["group"] for m in models}) < len(models)  # robots, not ids
    assert "Go1Getup" not in labels and "Go1Handstand" not in labels

    # The featured row is in view without scrolling the grid, and their thumbnails are real pictures.
    grid = page.locator(".model-grid").bounding_box()
    for i in range(len(FEATURED)):
        box = cards.nth(i).bounding_box()
        assert (
            box and grid and grid["y"] <= box["y"] and box["y"] + box["height"] <= grid["y"] + grid["height"]
        ), (
            FEATURED[i],
            box,
            grid,
        )
    page.wait_for_function(
        f"""() => [...document.querySelectorAll('.model-grid .model-card')].slice(0, {len(FEATURED)})
                  .every(c => {{ const img = c.querySelector('img'); return img && img.complete && img.naturalWidth > 0; }})""",
        timeout=180_000,
    )

    line = page.get_by_test_id("model-line")
    expect(line).to_contain_text("Unitree Go1 · joystick, flat terrain")
    expect(line).to_contain_text("Go1JoystickFlatTerrain (Quadruped Robot)")
    expect(go1).to_contain_text("+4 variants")
    variant = page.get_by_role("combobox", name="Variant")
    assert variant.locator("option").count() == 5
    expect(page.get_by_test_id("model-body")).to_be_visible()

    shot = SCREENSHOT.parent / "gallery-1280.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000

    # Picking another variant moves the selection within the card; the next visit keeps it.
    variant.select_option("Go1Handstand")
    handstand = page.get_by_role("button", name="Go1Handstand", exact=True)
    expect(handstand).to_have_attribute("aria-pressed", "true")
    expect(go1).to_have_count(0)
    page.reload()
    expect(page.get_by_role("button", name="Go1Handstand", exact=True)).to_have_attribute(
        "aria-pressed", "true", timeout=120_000
    )
    assert errors == [], errors


def test_page_fits_a_768_px_window_and_shows_errors_where_they_happen(server, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 768, "height": 1000})
    page.goto(server.url + "/")
    expect(page.get_by_role("button", name=FAST_MODEL, exact=True).first).to_be_visible(timeout=120_000)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than a 768 px window"
    # From the keyboard: a model card is a real button (focus + Enter selects it).
    card = page.get_by_role("button", name=FAST_MODEL, exact=True)
    card.focus()
    page.keyboard.press("Enter")
    expect(card).to_have_attribute("aria-pressed", "true")
    page.get_by_label("Describe the behavior you want").fill("x" * 10)
    # The server refuses what the page cannot know is wrong: its message is shown next to the button.
    page.route(
        "**/api/training/configure",
        lambda route: route.continue_(
            post_data=route.request.post_data.replace(f'"{FAST_MODEL}"', '"NoSuchRobot"')
        ),
    )
    page.get_by_role("button", name="Generate Training Approaches").click()
    expect(page.get_by_text(re.compile("NoSuchRobot"))).to_be_visible(timeout=30_000)
