"""A TV season's episode counter."""

from pydantic import BaseModel


class Season(BaseModel):
    show: str
    season: int
    last_episode_assigned: int
    episodes: list[int]
