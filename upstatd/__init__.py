"""upstatd: uptime and cron-job monitoring daemon."""

__version__ = "0.1.0"
