"""Anthropic (Claude) provider through the ``anthropic`` SDK's Messages API.

Mode ``tools`` (default) forces one tool call whose ``input_schema`` is the reply schema, so the
answer arrives as a parsed JSON object; errors go back as a ``tool_result`` with ``is_error``.
Mode ``text`` asks for plain JSON text instead.
"""

from __future__ import annotations

import json
from typing import Any

from tabrl.design.providers.base import (
    OutputSpec,
    Provider,
    ProviderConfig,
    Reply,
    Turn,
    classify_sdk_error,
    with_retries,
)

MODES = ("tools", "text")


class AnthropicProvider(Provider):
    """Claude models via ``messages.create``."""

    def __init__(self, config: ProviderConfig):
        super().__init__(config)
        import anthropic

        self._sdk = anthropic
        key = config.api_key.get_secret_value() if config.api_key else None
        self._client = anthropic.Anthropic(
            api_key=key, base_url=config.base_url, timeout=config.timeout_s, max_retries=0
        )
        self.mode = config.mode or "tools"
        if self.mode not in MODES:
            raise ValueError(
                f"unknown mode '{self.mode}' for provider '{config.name}'; use one of {', '.join(MODES)}"
            )

    def close(self) -> None:
        self._client.close()

    @staticmethod
    def _messages(turns: list[Turn]) -> list[Any]:
        """The conversation as the SDK's MessageParam dicts."""
        messages: list[Any] = []
        open_call: str | None = None
        for turn in turns:
            if turn.role == "assistant" and turn.reply is not None:
                reply = turn.reply
                content = reply.raw if reply.raw else [{"type": "text", "text": reply.text or "(empty)"}]
                messages.append({"role": "assistant", "content": content})
                open_call = reply.call_id
            elif open_call is not None:
                result = {
                    "type": "tool_result",
                    "tool_use_id": open_call,
                    "content": turn.text,
                    "is_error": turn.is_error,
                }
                messages.append({"role": "user", "content": [result]})
                open_call = None
            else:
                messages.append({"role": "user", "content": turn.text})
        return messages

    def _once(self, system: str, turns: list[Turn], output: OutputSpec) -> Reply:
        kwargs: dict[str, Any] = {}
        if self.mode == "tools":
            kwargs["tools"] = [
                {"name": output.tool_name, "description": output.description, "input_schema": output.schema}
            ]
            kwargs["tool_choice"] = {"type": "tool", "name": output.tool_name}
        response = self._client.messages.create(
            model=self.config.model,
            max_tokens=self.config.max_tokens,
            system=system,
            messages=self._messages(turns),
            **kwargs,
        )
        raw: list[dict[str, Any]] = []
        texts: list[str] = []
        tool: Reply | None = None
        for block in response.content:
            if block.type == "text":
                raw.append({"type": "text", "text": block.text})
                texts.append(block.text)
            elif block.type == "tool_use":
                raw.append({"type": "tool_use", "id": block.id, "name": block.name, "input": block.input})
                if tool is None and block.name == output.tool_name:
                    tool = Reply(text=json.dumps(block.input), data=block.input, call_id=block.id)
        if tool is not None:
            tool.raw, tool.finish_reason = raw, response.stop_reason
            return tool
        return Reply(text="".join(texts), raw=raw or None, finish_reason=response.stop_reason)

    def ask(self, system: str, turns: list[Turn], output: OutputSpec) -> Reply:
        return with_retries(
            self.config,
            lambda: self._once(system, turns, output),
            lambda exc: classify_sdk_error(self.config, exc, self._sdk),
        )
