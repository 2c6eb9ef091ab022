"""The parts of a Discord interaction Kefu reads. Discord sends many more fields (and adds
new ones), so unknown fields are ignored; the ones read must have the documented types."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

SNOWFLAKE = r"^[0-9]{1,25}$"


class Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class DiscordUser(Lenient):
    id: str = Field(..., pattern=SNOWFLAKE)
    username: str = Field("", max_length=100)
    global_name: str | None = Field(None, max_length=100)


class GuildMember(Lenient):
    user: DiscordUser


class CommandOption(Lenient):
    name: str = Field(..., max_length=100)
    type: int
    value: str | int | float | bool | None = None


class CommandData(Lenient):
    name: str = Field("", max_length=100)
    options: list[CommandOption] = Field(default_factory=list, max_length=25)


class Interaction(Lenient):
    id: str = Field(..., pattern=SNOWFLAKE)
    type: int
    data: CommandData | None = None
    member: GuildMember | None = None
    user: DiscordUser | None = None
    locale: str = Field("", max_length=16)
