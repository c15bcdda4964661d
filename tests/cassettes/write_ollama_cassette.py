"""Write ollama_chat_structured.yaml from Ollama's documented /api/chat protocol.

No Ollama server runs where Atelier is developed, so this exchange is not recorded: it is
written from Ollama's API reference (docs/api.md: "Chat request (Streaming)" and "Chat
request (Structured outputs)"): a POST of model, messages, stream, format (a JSON schema)
and options (Modelfile parameter names), answered by a stream of NDJSON objects, each with
a piece of message.content and done=false, then a final object with done=true,
done_reason, and the counts and durations (nanoseconds).

Run from the repository root: ``uv run python tests/cassettes/write_ollama_cassette.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

HERE = Path(__file__).parent
MODEL = "llama3.2"
SCHEMA = {  # tests/test_models_http.py: Character.model_json_schema()
    "properties": {
        "name": {"maxLength": 30, "title": "Name", "type": "string"},
        "role": {"enum": ["hero", "mentor", "villain"], "title": "Role", "type": "string"},
        "look": {"maxLength": 80, "title": "Look", "type": "string"},
    },
    "required": ["name", "role", "look"],
    "title": "Character",
    "type": "object",
}

REQUEST = {
    "model": MODEL,
    "messages": [
        {"role": "system", "content": "You describe one comic character as JSON."},
        {"role": "user", "content": "Mara, a stubborn lighthouse keeper in a yellow raincoat."},
    ],
    "tools": [],  # the ollama client always sends the (here empty) tool list
    "stream": True,
    "format": SCHEMA,
    "options": {
        "temperature": 0.2, "top_p": 0.9, "num_predict": 120, "repeat_penalty": 1.1, "seed": 5,
    },
}

PIECES = ['{"name": "Mara", ', '"role": "hero", ', '"look": "Yellow raincoat, ',
          'wind-blown hair, ', 'a brass lantern"}']


def chunks() -> str:
    lines = []
    for i, piece in enumerate(PIECES):
        lines.append({
            "model": MODEL,
            "created_at": f"2025-11-20T10:15:0{i}.{120000 + i * 20000}Z",
            "message": {"role": "assistant", "content": piece},
            "done": False,
        })
    lines.append({
        "model": MODEL,
        "created_at": "2025-11-20T10:15:05.230000Z",
        "message": {"role": "assistant", "content": ""},
        "done_reason": "stop",
        "done": True,
        "total_duration": 650_000_000,
        "load_duration": 30_000_000,
        "prompt_eval_count": 58,
        "prompt_eval_duration": 120_000_000,
        "eval_count": 24,
        "eval_duration": 480_000_000,
    })
    return "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)


class _LiteralDumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks, so the JSON reads as written."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _text)


def main() -> None:
    cassette = {
        "interactions": [{
            "request": {
                "body": json.dumps(REQUEST, indent=2) + "\n",
                "headers": {"Content-Type": ["application/json"], "Accept": ["application/json"]},
                "method": "POST",
                "uri": "http://127.0.0.1:11434/api/chat",
            },
            "response": {
                "body": {"string": chunks()},
                "headers": {
                    "Content-Type": ["application/x-ndjson"],
                    "Date": ["Thu, 20 Nov 2025 10:15:05 GMT"],
                    "Transfer-Encoding": ["chunked"],
                },
                "status": {"code": 200, "message": "OK"},
            },
        }],
        "version": 1,
    }
    header = (
        "# Written by tests/cassettes/write_ollama_cassette.py from Ollama's documented\n"
        "# /api/chat protocol; NOT recorded from a server (see README.md).\n"
    )
    text = yaml.dump(cassette, Dumper=_LiteralDumper, sort_keys=False, allow_unicode=True)
    (HERE / "ollama_chat_structured.yaml").write_text(header + text, encoding="utf-8")


if __name__ == "__main__":
    main()
