"""What a run pays from: metrics files, a period's monthly files, raw exports and rosters."""
