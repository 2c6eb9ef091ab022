"""The channel adapters. Importing this package registers each with kefu.intake.adapters."""

from kefu.intake.channels.discord import adapter as discord_adapter  # noqa: F401
from kefu.intake.channels.email import adapter as email_adapter  # noqa: F401
from kefu.intake.channels.phone import adapter as phone_adapter  # noqa: F401
from kefu.intake.channels.telegram import adapter as telegram_adapter  # noqa: F401
from kefu.intake.channels.webhook import adapter as webhook_adapter  # noqa: F401
