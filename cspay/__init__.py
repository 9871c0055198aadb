"""cspay: pay for customer-service agents from a YAML policy and a month of KPI metrics."""

__version__ = "0.1.0"
