"""Write a raw per-call export shaped like the PwC call-centre file, and a roster of its agents, the same
bytes every time for the same arguments.

Columns and spellings are the PwC export's (examples/pwc/pwc-call-center-2021q1.csv): `Y`/`N` flags,
`h:mm:ss` talk times, ratings 1 to 5, and empty cells on unanswered calls. Calls spread evenly over the
90 days of 2021-Q1 and over the agents; about 81% are answered, 90% of those resolved and rated.

Example: python benchmarks/generate_export.py --rows 1000000 --agents 50000 --out /tmp/calls.csv
"""

from __future__ import annotations

import argparse
import random
from datetime import date, timedelta
from pathlib import Path

HEADER = ("Call Id,Agent,Date,Time,Topic,Answered (Y/N),Resolved,Speed of answer in seconds,AvgTalkDuration,"
          "Satisfaction rating\n")  # fmt: skip
TOPICS = ("Contract related", "Technical Support", "Payment related", "Streaming", "Admin Support")
TEAMS = ("Contracts", "Technical", "Payments", "Streaming", "Admin")
SEED = 2021_01
CHUNK = 100_000
DAYS = [(date(2021, 1, 1) + timedelta(days)).isoformat() for days in range(90)]


def agent_ids(agents: int) -> list[str]:
    return [f"AG{number:05d}" for number in range(1, agents + 1)]


def write_export(path: Path, rows: int, agents: int, seed: int = SEED) -> None:
    """`rows` calls by `agents` agents, in date order, as the PwC export lists them."""
    rng = random.Random(seed)
    ids = agent_ids(agents)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        lines = []
        for number in range(rows):
            day = DAYS[number * len(DAYS) // rows]
            clock = f"{rng.randrange(8, 18)}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
            start = f"ID{number + 1:08d},{rng.choice(ids)},{day},{clock},{rng.choice(TOPICS)}"
            if rng.random() < 0.81:
                talk = rng.randrange(30, 420)
                resolved = "Y" if rng.random() < 0.9 else "N"
                rating = str(rng.randint(1, 5)) if rng.random() < 0.9 else ""
                lines.append(f"{start},Y,{resolved},{rng.randrange(10, 126)},0:{talk // 60:02d}:{talk % 60:02d},"
                             f"{rating}\n")  # fmt: skip
            else:
                lines.append(f"{start},N,N,,,\n")
            if len(lines) == CHUNK:
                out.write("".join(lines))
                lines.clear()
        out.write("".join(lines))


def write_roster(path: Path, agents: int, seed: int = SEED) -> None:
    """One line per agent: id, name, role (L1 or L2), team and worked days, for every month of the quarter."""
    rng = random.Random(seed + 1)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("agent_id,name,role,team,worked_days\n")
        for agent in agent_ids(agents):
            role = "L2" if rng.random() < 0.25 else "L1"
            days = "21.75" if rng.random() < 0.9 else f"{rng.randrange(10, 22)}"
            out.write(f"{agent},{agent},{role},{rng.choice(TEAMS)},{days}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="calls in the export")
    parser.add_argument("--agents", type=int, default=50_000, help="agents taking them")
    parser.add_argument("--out", type=Path, required=True, help="the export to write")
    parser.add_argument("--roster", type=Path, help="also write the agents' roster here")
    parser.add_argument("--seed", type=int, default=SEED, help="another seed gives other calls")
    args = parser.parse_args()
    write_export(args.out, args.rows, args.agents, args.seed)
    if args.roster:
        write_roster(args.roster, args.agents, args.seed)


if __name__ == "__main__":
    main()
