"""OpenAI-compatible chat-completions provider (OpenAI, Gemini, DeepSeek, OpenRouter, Ollama, vLLM, LM Studio).

Structured output modes, best first: ``json_schema`` (response_format with the reply schema),
``tools`` (a forced function call), ``json_object`` (JSON mode, schema in the prompt) and
``text``. A server that refuses a mode with 400 is asked again with the next simpler one.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from tabrl.design.providers.base import (
    OutputSpec,
    Provider,
    ProviderConfig,
    ProviderRequestError,
    Reply,
    Turn,
    classify_sdk_error,
    with_retries,
)

log = logging.getLogger(__name__)

MODES = ("json_schema", "tools", "json_object", "text")
_DEGRADE = {"json_schema": "json_object", "tools": "json_object", "json_object": "text"}
# Modes a server refused are remembered per (base URL, model) for the life of the process.
_LEARNED: dict[tuple[str | None, str], str] = {}


class OpenAICompatProvider(Provider):
    """Talks to any server that speaks OpenAI's ``/chat/completions`` through the ``openai`` SDK."""

    def __init__(self, config: ProviderConfig):
        super().__init__(config)
        import openai

        self._sdk = openai
        key = config.api_key.get_secret_value() if config.api_key else "unused"  # local servers need none
        self._client = openai.OpenAI(
            api_key=key, base_url=config.base_url, timeout=config.timeout_s, max_retries=0
        )
        self.mode = config.mode or _LEARNED.get((config.base_url, config.model), "json_schema")
        if self.mode not in MODES:
            raise ValueError(
                f"unknown mode '{self.mode}' for provider '{config.name}'; use one of {', '.join(MODES)}"
            )

    def close(self) -> None:
        self._client.close()

    def _messages(self, system: str, turns: list[Turn], output: OutputSpec) -> list[Any]:
        """The conversation as the SDK's ChatCompletionMessageParam dicts."""
        messages: list[Any] = [{"role": "system", "content": system}]
        open_call: str | None = None
        for turn in turns:
            if turn.role == "assistant" and turn.reply is not None:
                reply = turn.reply
                if reply.call_id:
                    messages.append(
                        {
                            "role": "assistant",
                            "content": None,
                            "tool_calls": [
                                {
                                    "id": reply.call_id,
                                    "type": "function",
                                    "function": {"name": output.tool_name, "arguments": reply.text},
                                }
                            ],
                        }
                    )
                    open_call = reply.call_id
                else:
                    messages.append({"role": "assistant", "content": reply.text})
            elif open_call is not None:
                messages.append({"role": "tool", "tool_call_id": open_call, "content": turn.text})
                open_call = None
            else:
                messages.append({"role": "user", "content": turn.text})
        return messages

    def _format_args(self, mode: str, output: OutputSpec) -> dict[str, Any]:
        if mode == "json_schema":
            return {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {
                        "name": output.tool_name,
                        "description": output.description,
                        "schema": output.schema,
                        "strict": False,
                    },
                }
            }
        if mode == "tools":
            return {
                "tools": [
                    {
                        "type": "function",
                        "function": {
                            "name": output.tool_name,
                            "description": output.description,
                            "parameters": output.schema,
                        },
                    }
                ],
                "tool_choice": {"type": "function", "function": {"name": output.tool_name}},
            }
        if mode == "json_object":
            return {"response_format": {"type": "json_object"}}
        return {}

    def _once(self, system: str, turns: list[Turn], output: OutputSpec, mode: str) -> Reply:
        response = self._client.chat.completions.create(
            model=self.config.model,
            messages=self._messages(system, turns, output),
            **self._format_args(mode, output),
        )
        if not response.choices:
            return Reply(text="", finish_reason="empty")
        choice = response.choices[0]
        message = choice.message
        for call in message.tool_calls or []:
            function = getattr(call, "function", None)
            if function is not None and function.name == output.tool_name:
                return Reply(
                    text=function.arguments or "", call_id=call.id, finish_reason=choice.finish_reason
                )
        refusal = getattr(message, "refusal", None)
        text = message.content or (f"(refused: {refusal})" if refusal else "")
        return Reply(text=text, finish_reason=choice.finish_reason)

    def ask(self, system: str, turns: list[Turn], output: OutputSpec) -> Reply:
        while True:
            mode = self.mode
            try:
                return with_retries(
                    self.config,
                    functools.partial(self._once, system, turns, output, mode),
                    lambda exc: classify_sdk_error(self.config, exc, self._sdk),
                )
            except ProviderRequestError as exc:
                simpler = _DEGRADE.get(mode)
                if exc.status != 400 or simpler is None:
                    raise
                log.info("%s refused mode %s (%s); trying %s", self.name, mode, exc, simpler)
                self.mode = simpler
                if self.config.mode is None:
                    _LEARNED[(self.config.base_url, self.config.model)] = simpler
