"""upstatd: uptime and cron-job monitoring daemon."""

__version__ = "0.1.0"
API_VERSIONS = ("2026-11-01",)  # the Upstat-Version values this upstatd answers in, newest last
