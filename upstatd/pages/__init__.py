"""Public status pages: what a page shows (banner, daily bars, badges: pure) and
its HTML, feed and SVG (Jinja2, autoescape on, every asset inline)."""
