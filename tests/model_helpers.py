"""Shared by the chat-model tests: one small structured request."""

from __future__ import annotations

from typing import Literal

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

MESSAGES = [
    SystemMessage(content="You describe one comic character as JSON."),
    HumanMessage(content="Mara, a stubborn lighthouse keeper in a yellow raincoat."),
]


class Character(BaseModel):
    name: str = Field(max_length=30)
    role: Literal["hero", "mentor", "villain"]
    look: str = Field(max_length=80)


SCHEMA = Character.model_json_schema()
