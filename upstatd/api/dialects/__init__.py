"""Other products' API dialects, each a thin adapter over the same commands and serializers."""
