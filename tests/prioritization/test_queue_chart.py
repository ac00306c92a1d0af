"""The impact/effort matrix's SVG (prioritization/charts.py): bubble sizes, cards at one point spread apart,
and a chart that reads without script or hover (numbers and quadrant names drawn, a title and description
for assistive technology, its stylesheet under the page's nonce)."""

import math
import re
from decimal import Decimal

from prioritization.charts import MAX_RADIUS, MIN_RADIUS, Point, impact_effort_matrix, radius, spread


def point(number, quadrant="quick_wins", impact="75", effort="25", evidence=0):
    return Point(number, quadrant, Decimal(impact), Decimal(effort), evidence)


def test_a_bubble_grows_with_its_evidence_by_area_up_to_a_cap():
    sizes = [radius(n) for n in (0, 1, 4, 9, 36, 100)]
    assert sizes[0] == MIN_RADIUS and sizes[-1] == sizes[-2] == MAX_RADIUS
    assert sizes == sorted(sizes)
    area = [math.pi * r**2 for r in sizes[:5]]
    assert math.isclose(area[2] - area[0], 4 * (area[1] - area[0]))  # the area grows in step with the count


def test_cards_at_one_point_are_spread_around_it_and_kept_inside():
    at = spread(
        [point(1), point(2), point(3), point(4, impact="100", effort="0"), point(5, impact="100", effort="0")]
    )
    assert len({at[n] for n in (1, 2, 3)}) == 3
    for n in (1, 2, 3):
        assert math.dist(at[n], (25, 75)) < 5
    assert all(1 <= x <= 99 and 1 <= y <= 99 for x, y in at.values())
    assert spread([point(9, impact="40", effort="60")]) == {9: (60.0, 40.0)}


def test_the_chart_is_an_image_with_its_words_and_no_script():
    points = [
        point(1, evidence=9),
        point(2, "big_bets", "90", "75"),
        point(3, "fill_ins", "10", "0"),
        point(4, "money_pits", "20", "100", evidence=40),
    ]
    counts = {"quick_wins": 12, "big_bets": 1, "fill_ins": 1, "money_pits": 3, "unplaced": 7}
    svg = str(impact_effort_matrix(points, counts, nonce="n0nce"))
    assert svg.startswith("<svg") and 'role="img"' in svg and "<script" not in svg
    assert re.search(r'<style[^>]*nonce="n0nce"', svg)
    title = re.search(r'<title id="(t\w+)">Impact/effort matrix</title>', svg)
    assert title and re.search(rf'aria-labelledby="{title.group(1)} d\w+"', svg)
    assert "Quick wins: 12 cards, 1 shown. Big bets: 1 card, 1 shown." in svg
    numbers = re.findall(r'<text [^>]*class="matrix-number"[^>]*>(\d+)</text>', svg)
    assert sorted(numbers, key=int) == ["1", "2", "3", "4"]
    names = re.findall(r'<text [^>]*class="matrix-name matrix-\w+"[^>]*>([^<]+)</text>', svg)
    assert names == ["Quick wins", "Big bets", "Fill-ins", "Money pits"]
    radii = [float(r) for r in re.findall(r'<circle [^>]*r="([\d.]+)"', svg) if float(r) > 0]
    assert max(radii) == MAX_RADIUS and min(radii) == MIN_RADIUS
