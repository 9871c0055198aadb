"""The pay run: policy, inputs and period in, every payslip, the totals, notes and provenance out."""
