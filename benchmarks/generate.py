"""Write a month of metrics for N agents under `policies/standard.yaml`, the same bytes every time.

Each column is drawn from a modest set of realistic values, as real exports repeat, and some cells
are written the way spreadsheets write them ("92.5%", "81%", "0:05:35"). With `--distinct`, CSAT, FCR and
handle time are drawn from continuous curves and written with 4, 6 and 2 decimals (92.3517, 0.784225,
317.72), as exports that compute them from counts write them: their values rarely repeat.

Example: python benchmarks/generate.py --agents 100000 --out /tmp/agents.csv --distinct
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

COLUMNS = (
    "agent_id",
    "name",
    "role",
    "team",
    "worked_days",
    "csat",
    "surveys",
    "fcr",
    "aht_sec",
    "qa_score",
    "attendance",
    "valid_complaints",
    "tickets",
)
SEED = 2026_11
CHUNK = 100_000

SURNAMES = (
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Huang",
    "Zhao",
    "Wu",
    "Zhou",
    "Xu",
    "Sun",
    "Ma",
    "Zhu",
    "Hu",
    "Guo",
    "He",
    "Lin",
    "Gao",
    "Luo",
)
GIVEN_NAMES = (
    "Wei",
    "Fang",
    "Na",
    "Min",
    "Jing",
    "Lei",
    "Jun",
    "Yan",
    "Tao",
    "Ming",
    "Xin",
    "Hui",
    "Qiang",
    "Li",
    "Ping",
    "Yu",
    "Hao",
    "Ting",
    "Bo",
    "Lan",
    "Jie",
    "Mei",
    "Chao",
    "Dan",
    "Kai",
)
TEAMS = tuple(
    f"{site}-{queue}"
    for site in ("Shanghai", "Chengdu", "Wuhan", "Xi'an")
    for queue in ("Billing", "Orders", "Returns", "Tech", "VIP")
)


@dataclass(frozen=True)
class Pool:
    """The texts a column can hold and their cumulative weights, ready for `random.choices`."""

    texts: list[str]
    cumulative: list[float]

    @classmethod
    def of(cls, weighted: Iterable[tuple[str, float]]) -> Pool:
        """Build a pool from (text, weight) pairs."""
        texts, weights = zip(*weighted, strict=True)
        return cls(list(texts), list(accumulate(weights)))

    def draw(self, rng: random.Random, count: int) -> list[str]:
        """`count` texts drawn at random according to the weights."""
        return rng.choices(self.texts, cum_weights=self.cumulative, k=count)


def bell(low: int, high: int, centre: float, spread: float) -> list[tuple[int, float]]:
    """Integers low..high with the weights of a normal curve around `centre`."""
    return [(n, math.exp(-(((n - centre) / spread) ** 2) / 2)) for n in range(low, high + 1)]


def with_variant(
    weighted: list[tuple[int, float]],
    plain: Callable[[int], str],
    variant: Callable[[int], str],
    share: float,
) -> list[tuple[str, float]]:
    """Each value written plainly, and a `share` of the time in its other spelling."""
    return [(plain(n), w * (1 - share)) for n, w in weighted] + [(variant(n), w * share) for n, w in weighted]


def tenths(n: int) -> str:
    """92.5 from 925: always one decimal."""
    return f"{n // 10}.{n % 10}"


def tenths_short(n: int) -> str:
    """97 from 970 and 98.5 from 985: a decimal only when needed."""
    return str(n // 10) if n % 10 == 0 else tenths(n)


def thousandths(n: int) -> str:
    """0.815 from 815 and 0.82 from 820: two or three decimals."""
    text = f"0.{n:03d}"
    return text[:-1] if text.endswith("0") else text


def per_cent_of_thousandths(n: int) -> str:
    """81% from 810 and 81.5% from 815."""
    return f"{tenths_short(n)}%"


def clock(seconds: int) -> str:
    """0:05:35 from 335."""
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def worked_days_pool() -> Pool:
    """Mostly a full month; some new hires and leavers; a few who worked extra days."""
    partial = [(str(n), 0.5) for n in range(5, 22)]
    halves = [(f"{n}.5", 0.4) for n in range(6, 21, 3)]
    return Pool.of([("21.75", 88.0), ("22", 0.6), ("23", 0.4), *partial, *halves])


def surveys_pool() -> Pool:
    """Survey counts 0-150; about 8% of agents have fewer than 20."""
    few = [(str(n), 0.4) for n in range(20)]
    many = bell(20, 150, 70, 30)
    scale = 92 / sum(w for _, w in many)
    return Pool.of(few + [(str(n), w * scale) for n, w in many])


def pools() -> dict[str, Pool]:
    """The value pool of every generated metrics column."""
    return {
        "worked_days": worked_days_pool(),
        "csat": Pool.of(with_variant(bell(700, 1000, 890, 60), tenths, lambda n: f"{tenths(n)}%", 0.15)),
        "surveys": surveys_pool(),
        "fcr": Pool.of(
            with_variant(  # steps of 0.005
                bell(110, 190, 156, 14),
                lambda n: thousandths(5 * n),
                lambda n: per_cent_of_thousandths(5 * n),
                0.1,
            )
        ),
        "aht_sec": Pool.of(with_variant(bell(240, 480, 355, 45), str, clock, 0.1)),
        "qa_score": Pool.of((tenths_short(5 * n), w) for n, w in bell(100, 200, 168, 20)),  # steps of 0.5
        "attendance": Pool.of(
            with_variant(
                bell(850, 1000, 985, 25),
                tenths_short,
                lambda n: f"{tenths_short(n)}%",
                0.15,
            )
        ),
        "valid_complaints": Pool.of(zip("01234", (82, 11, 4, 2, 1), strict=True)),
        "tickets": Pool.of((str(n), w) for n, w in bell(500, 1200, 850, 120)),
        "role": Pool.of([("L1", 75), ("L2", 25)]),
        "team": Pool.of((team, 1) for team in TEAMS),
        "name": Pool.of((f"{surname} {given}", 1) for surname in SURNAMES for given in GIVEN_NAMES),
    }


@dataclass(frozen=True)
class Continuous:
    """A column whose values rarely repeat: a normal curve cut to [low, high], written with `places` decimals;
    a `share` of the time as a percentage (a ratio times 100 when `ratio`, with two decimals fewer)."""

    centre: float
    spread: float
    low: float
    high: float
    places: int
    share: float = 0.0
    ratio: bool = False

    def draw(self, rng: random.Random, count: int) -> list[str]:
        """`count` texts drawn at random from the curve."""
        texts = []
        for _ in range(count):
            value = min(max(rng.gauss(self.centre, self.spread), self.low), self.high)
            if self.share and rng.random() < self.share:
                texts.append(f"{value * 100:.{self.places - 2}f}%" if self.ratio else f"{value:.{self.places}f}%")
            else:
                texts.append(f"{value:.{self.places}f}")
        return texts


def distinct_pools() -> dict[str, Continuous]:
    """CSAT, FCR and handle time as exports computing them from counts write them: 4, 6 and 2 decimals."""
    return {
        "csat": Continuous(89.0, 6.0, 70.0, 100.0, 4, share=0.15),
        "fcr": Continuous(0.78, 0.07, 0.55, 0.95, 6, share=0.1, ratio=True),
        "aht_sec": Continuous(355.0, 45.0, 240.0, 480.0, 2),
    }


def chunk_rows(
    rng: random.Random, column_pools: dict[str, Pool | Continuous], first: int, count: int
) -> Iterable[tuple]:
    """Rows for agents first+1 .. first+count, drawn column by column."""
    ids = [f"A{n:07d}" for n in range(first + 1, first + count + 1)]
    drawn = {name: pool.draw(rng, count) for name, pool in column_pools.items()}
    return zip(ids, *(drawn[name] for name in COLUMNS[1:]), strict=True)


def write_metrics(path: Path, agents: int, seed: int = SEED, *, distinct: bool = False) -> None:
    """Write the metrics CSV for `agents` agents to `path`; the same seed gives the same bytes. `distinct`:
    CSAT, FCR and handle time rarely repeat."""
    rng = random.Random(seed)
    column_pools: dict[str, Pool | Continuous] = {**pools(), **(distinct_pools() if distinct else {})}
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(COLUMNS)
        for first in range(0, agents, CHUNK):
            writer.writerows(chunk_rows(rng, column_pools, first, min(CHUNK, agents - first)))


def main() -> None:
    """Parse the command line and write the file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1_000_000, help="number of agents (default 1,000,000)")
    parser.add_argument("--out", type=Path, default=Path("agents.csv"), help="CSV file to write")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed (default %(default)s)")
    parser.add_argument(
        "--distinct", action="store_true", help="CSAT, FCR and handle time with 4, 6 and 2 decimals: rarely repeating"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    write_metrics(args.out, args.agents, args.seed, distinct=args.distinct)
    print(f"wrote {args.agents:,} agents to {args.out} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
