"""The pay policy: its models, the YAML loader with file:line:col errors, cross-key checks and the schema."""
