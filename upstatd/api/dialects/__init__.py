"""The other products' API dialects: thin adapters over the same commands and serializers."""
