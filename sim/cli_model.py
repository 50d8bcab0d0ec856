"""`run.py model pull|list|rm`: real Qwen3 checkpoints in the Hugging Face cache.

    run.py model pull Qwen/Qwen3-0.6B     download it (progress bar; a second pull continues)
    run.py model list [--json]            the shipped model and every Qwen3 model in the cache
    run.py model rm Qwen/Qwen3-0.6B       remove it from the cache

The work is in sim/onboard/hub.py; this file parses and prints.
"""
from __future__ import annotations

import json
import pathlib
import sys


def add_model_command(commands) -> None:
    p = commands.add_parser("model", help="get, list and remove Qwen3 checkpoints "
                                          "(Hugging Face cache)")
    actions = p.add_subparsers(dest="model_action", metavar="ACTION", required=True)

    a = actions.add_parser("pull", help="download a Qwen3 checkpoint from the Hugging Face hub")
    a.add_argument("name", metavar="NAME", help="repo id, e.g. Qwen/Qwen3-0.6B")
    a.set_defaults(handler=cmd_pull)

    a = actions.add_parser("list", help="the shipped model and the Qwen3 checkpoints in the "
                                        "Hugging Face cache")
    a.add_argument("--model-dir", type=pathlib.Path, action="append", default=[],
                   help="also check this checkpoint folder (repeatable)")
    a.add_argument("--json", action="store_true", help="print one JSON array")
    a.set_defaults(handler=cmd_list)

    a = actions.add_parser("rm", help="remove a model from the Hugging Face cache")
    a.add_argument("name", metavar="NAME", help="repo id, as `model list` shows it")
    a.set_defaults(handler=cmd_rm)


def cmd_pull(args) -> int:
    from sim.onboard import hub

    # stdout: stderr is for huggingface_hub's progress bar and, on failure, our one line.
    print(f"pulling {args.name} into {hub.cache_dir()} (config.json first)", flush=True)
    entry = hub.pull_model(args.name, announce=lambda line: print(line, flush=True))
    print(f"{entry.name}: {hub.human_count(entry.parameters)} parameters, {entry.dtype}, "
          f"{hub.human_bytes(entry.size_bytes)} in {entry.folder}")
    print(f"use it with: run.py ask --model {entry.name} ...   or   run.py --model {entry.name}")
    return 0


def cmd_list(args) -> int:
    from sim.onboard import hub

    entries = hub.list_models(args.model_dir)
    if args.json:
        print(json.dumps([e.to_json() for e in entries], indent=2))
        return 0
    width = max(len(e.name) for e in entries)
    print(f"{'NAME':<{width}}  {'PARAMS':>7}  {'DTYPE':<5}  {'SIZE':>9}  STATUS")
    for e in entries:
        status = "ready" if e.usable else f"incomplete: {e.problem}"
        print(f"{e.name:<{width}}  {hub.human_count(e.parameters):>7}  {e.dtype or '-':<5}  "
              f"{hub.human_bytes(e.size_bytes):>9}  {status}")
    print(f"cache: {hub.cache_dir()}", file=sys.stderr)
    return 0


def cmd_rm(args) -> int:
    from sim.onboard import hub

    folder, freed = hub.remove_model(args.name)
    print(f"removed {args.name} from the Hugging Face cache ({folder}), "
          f"{hub.human_bytes(freed)} freed")
    return 0
