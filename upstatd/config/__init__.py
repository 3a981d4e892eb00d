"""YAML configuration: source.py reads, check.py and schema.py validate, load.py ties them."""
