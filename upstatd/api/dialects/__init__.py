"""The API's dialects: other products' request and answer shapes over upstatd's own commands."""
