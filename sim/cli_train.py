"""`run.py train`: run a scenario's training job headless, step by step in sim time.

Prints per step and in total: compute, communication and waiting time, tokens/s, the fraction
of the members' stated PFLOPS, the busiest laser link; then the ring all-reduce closed form
beside the routed collective of the first synchronising step, and the job's log. `--json`
prints the same as one JSON object.

With `--real-steps N` the command then really trains: a fresh model of the shipped onboard
architecture, as K data-parallel replicas (one per job member, `--replicas`, default
min(members, 4)) on shards of a Shakespeare excerpt, gradients averaged by a ring all-reduce
(sim/onboard/dataparallel.py); per step the mean loss, compute and all-reduce wall time, bytes
sent per replica; in `--json` a "real" section.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import statistics

from . import scenario as scenario_mod
from .commands import MAX_REAL_STEPS, MAX_REPLICAS
from .errors import UserError
from .training import (COLLECTIVES, CollectivePlan, JobRun, StepFigures, checked_setting,
                       closed_form_s, job_index)

MAX_STEPS = 10_000
DEFAULT_REPLICAS = 4  # at most, by default: each replica is a full model copy + AdamW state
REAL_BATCH, REAL_SEQ_LEN = 4, 256  # windows of bytes per replica per real step


def add_train_command(commands, add_scenario_args) -> None:
    p = commands.add_parser("train", help="run a scenario's [[training]] job headless")
    add_scenario_args(p)
    p.add_argument("--job", metavar="NAME", help="which [[training]] job (default: the first)")
    p.add_argument("--steps", type=int, default=5, help="training steps to run (default 5)")
    p.add_argument("--link-gbps", type=float, metavar="X",
                   help="laser link capacity, Gbps (default: the scenario's)")
    p.add_argument("--collective", choices=COLLECTIVES, help="override the job's collective")
    p.add_argument("--sync-every", type=int, metavar="H",
                   help="synchronise every H steps (DiLoCo-style local steps between)")
    p.add_argument("--real-steps", type=int, metavar="N",
                   help="then really train N data-parallel steps of a fresh onboard model")
    p.add_argument("--replicas", type=int, metavar="K",
                   help="replicas of the real run (default: min(job members, 4))")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_train)


def cmd_train(args) -> int:
    from .cli import world_from_args

    if not 1 <= args.steps <= MAX_STEPS:
        raise UserError(f"--steps: expected 1..{MAX_STEPS}, got {args.steps}")
    check_real_args(args)
    for flag, field in (("--sync-every", "sync_every"), ("--link-gbps", "link_gbps")):
        if getattr(args, field) is not None:
            checked_setting(field, getattr(args, field), flag)
    args.scenario = chosen_scenario(scenario_mod.resolve(args.scenario), args)
    world = world_from_args(args)
    run = world.training.runs[0]
    first_plan = world.training.check_paths(world.geometry, world.traffic, world.sim_time_s,
                                            world.link_gbps)[0]
    steps = run_steps(world, run, args.steps)
    report = train_report(world, run, steps, first_plan)
    if not args.json:
        print_report(report)
    if args.real_steps is not None:
        replicas = args.replicas or min(len(run.members), DEFAULT_REPLICAS)
        report["real"] = real_training(args.real_steps, replicas,
                                       on_step=None if args.json else print_real_step)
        if not args.json:
            print_real_total(report["real"])
    if args.json:
        print(json.dumps(report, indent=2))
    return 0


def check_real_args(args) -> None:
    """Refuse bad --real-steps / --replicas before any work."""
    if args.real_steps is not None and not 1 <= args.real_steps <= MAX_REAL_STEPS:
        raise UserError(f"--real-steps: expected 1..{MAX_REAL_STEPS}, got {args.real_steps}")
    if args.replicas is not None:
        if args.real_steps is None:
            raise UserError("--replicas: only with --real-steps N")
        if not 2 <= args.replicas <= MAX_REPLICAS:
            raise UserError(f"--replicas: expected 2..{MAX_REPLICAS}, got {args.replicas}")


def real_training(steps: int, replicas: int, on_step=None) -> dict:
    """Really train `steps` data-parallel steps of a fresh model of the shipped architecture
    with `replicas` replicas on the training excerpt; the figures as a dict (times in s)."""
    from .onboard import dataparallel as dp

    run = dp.fresh_run(steps, replicas, REAL_BATCH, REAL_SEQ_LEN, on_step=on_step)
    trainer = run.trainer
    records = run.run()
    shards = trainer.shards
    return {
        "replicas": replicas, "parameters": trainer.replicas[0].num_parameters(),
        "text": dp.EXCERPT_PATH.name, "shard_bytes": [len(s) for s in shards],
        "batch": REAL_BATCH, "seq_len": REAL_SEQ_LEN, "identical": trainer.check_identical(),
        "steps": [r.as_dict() for r in records], "loss_curve": run.loss_curve(),
    }


def print_real_step(r) -> None:
    print(f"real step {r.index:>4}: loss {r.mean_loss:.4f} (mean of {len(r.losses)} replicas), "
          f"compute {r.compute_s:.3f} s, all-reduce {r.allreduce_s * 1e3:.2f} ms, "
          f"{r.bytes_sent[0] / 1e6:.2f} MB sent per replica", flush=True)


def print_real_total(real: dict) -> None:
    steps = real["steps"]
    walls = [s["compute_s"] + s["allreduce_s"] + s["optimizer_s"] for s in steps]
    # the first step pays torch's one-off warm-up (seconds): shown apart from the median
    later = (f", then {statistics.median(walls[1:]):.3f} s per step (median)"
             if len(walls) > 1 else "")
    print(f"real training: {len(steps)} steps of a {real['parameters']:,}-parameter model as "
          f"{real['replicas']} data-parallel replicas ({real['batch']} x {real['seq_len']} bytes "
          f"each per step) on {real['text']}: loss {steps[0]['mean_loss']:.4f} -> "
          f"{steps[-1]['mean_loss']:.4f}; first step {walls[0]:.3f} s{later}; replicas "
          f"{'identical' if real['identical'] else 'DIFFER'}")


def chosen_scenario(scenario: scenario_mod.Scenario, args) -> scenario_mod.Scenario:
    """The scenario with only the chosen job, the command line's overrides applied."""
    if not scenario.training:
        raise UserError(f"scenario '{scenario.name}' declares no [[training]] job")
    job = scenario.training[job_index([j.name for j in scenario.training], args.job,
                                      f" in scenario '{scenario.name}'")]
    changes = {k: v for k, v in (("collective", args.collective),
                                 ("sync_every", args.sync_every)) if v is not None}
    changes["paused"] = False  # a headless run runs the job, even one declared paused
    links = scenario.links
    if args.link_gbps is not None:
        links = dataclasses.replace(links, capacity_gbps=args.link_gbps)
    return dataclasses.replace(scenario, training=(dataclasses.replace(job, **changes),),
                               links=links)


def run_steps(world, run: JobRun, count: int) -> list[StepFigures]:
    """Step the World from one event of the job to the next (compute ends, step ends) until
    `count` steps have finished; the inference traffic runs alongside."""
    done: list[StepFigures] = []
    for _ in range(count * 4 + 1000):  # waits for a path retry every second; bounded
        if len(done) >= count:
            return done[:count]
        needs_plan = run.synced and run.plan is None
        target = run.comm_start_s if needs_plan else run.end_s()
        world.step(max(target - world.sim_time_s, 0.0))
        done += [f for f in run.history if f.index > (done[-1].index if done else 0)]
    raise UserError(f"training job '{run.job.name}': {len(done)} of {count} steps finished; "
                    f"the rest kept waiting for a laser path (see its log)")


def step_report(world, figures: StepFigures) -> dict:
    names = world.constellation.names
    a, b = figures.busiest_pair
    return {
        "step": figures.index, "start_utc": _iso(world, figures.start_s),
        "synced": figures.synced, "compute_s": figures.compute_s,
        "communication_s": figures.communication_s, "waiting_s": figures.waiting_s,
        "step_s": figures.step_s, "tokens_per_s": figures.tokens_per_s,
        "pflops_fraction": figures.pflops_fraction, "bytes_moved": figures.bytes_moved,
        "link_bytes": figures.link_bytes,
        "busiest_link": f"{names[a]} - {names[b]}" if a >= 0 else None,
        "busiest_utilisation": figures.busiest_utilisation, "ring_reformed": figures.reformed,
    }


def closed_form_report(run: JobRun, plan: CollectivePlan, gbps: float) -> dict:
    """The ring closed form (full link rate, the ring's mean hop light-time) beside the routed
    collective, and what makes them differ."""
    n = len(plan.members)
    report = {
        "members": n, "gradient_bytes": run.job.gradient_bytes, "link_gbps": gbps,
        "mean_edge_light_s": plan.mean_hop_light_s,
        "closed_form_s": closed_form_s(n, run.job.gradient_bytes, gbps, plan.mean_hop_light_s),
        "routed_s": plan.duration_s, "collective": run.job.collective,
        "rounds": sum(p.rounds for p in plan.phases), "ring_rounds": 2 * (n - 1),
        "phases": [{"name": p.name, "rounds": p.rounds, "chunk_bytes": p.chunk_bytes,
                    "round_s": p.round_s, "duration_s": p.duration_s} for p in plan.phases],
        "slowest_edge_light_s": max(float(p.edge_light_s.max()) for p in plan.phases),
        "slowest_edge_gbps": min(float(p.edge_gbps.min()) for p in plan.phases),
        "multi_hop_edges": sum(int(sum(len(r) > 1 for r in p.edge_links)) for p in plan.phases),
    }
    report["departure_s"] = report["routed_s"] - report["closed_form_s"]
    return report


def train_report(world, run: JobRun, steps: list[StepFigures], plan: CollectivePlan) -> dict:
    job = run.job
    total_s = sum(f.step_s for f in steps)
    flops = sum(f.flops for f in steps)
    stated = run.stated_pflops * 1e15
    return {
        "scenario": world.scenario.name,
        "job": dataclasses.asdict(job), "members": len(run.members),
        "shell_or_role": job.shell or job.role, "stated_pflops": run.stated_pflops,
        "link_gbps": world.scenario.links.capacity_gbps,
        "steps": [step_report(world, f) for f in steps],
        "total": {
            "steps": len(steps), "sim_s": total_s,
            "compute_s": sum(f.compute_s for f in steps),
            "communication_s": sum(f.communication_s for f in steps),
            "waiting_s": sum(f.waiting_s for f in steps),
            "tokens": sum(f.tokens for f in steps),
            "tokens_per_s": sum(f.tokens for f in steps) / total_s,
            "pflops_fraction": flops / total_s / stated,
            "bytes_moved": sum(f.bytes_moved for f in steps),
            "busiest_utilisation": max(f.busiest_utilisation for f in steps),
        },
        "closed_form": closed_form_report(run, plan, world.scenario.links.capacity_gbps),
        "log": list(run.log),
    }


def print_report(r: dict) -> None:
    job = r["job"]
    print(f"{r['scenario']}: job {job['name']} on {r['shell_or_role']}: {r['members']} members, "
          f"{job['parameters']:.3g} parameters, {job['collective']} collective of "
          f"{job['parameters'] * job['bytes_per_value'] / 1e9:.3g} GB every "
          f"{job['sync_every']} step(s), links {r['link_gbps']:g} Gbps")
    print(f"{'step':>4} {'start (UTC)':<20} {'compute':>10} {'comm':>9} {'waiting':>9} "
          f"{'step':>9} {'tokens/s':>10} {'of PFLOPS':>10}  busiest link")
    for s in r["steps"]:
        busiest = (f"{s['busiest_link']} ({s['busiest_utilisation']:.0%})"
                   if s["busiest_link"] else "-")
        print(f"{s['step']:>4} {s['start_utc']:<20} {s['compute_s']:>9.4f}s "
              f"{s['communication_s']:>8.3f}s {s['waiting_s']:>8.3f}s {s['step_s']:>8.3f}s "
              f"{s['tokens_per_s']:>10.4g} {s['pflops_fraction']:>10.3%}  {busiest}")
    t = r["total"]
    print(f"total: {t['steps']} steps in {t['sim_s']:.3f} s: compute {t['compute_s']:.4f} s, "
          f"communication {t['communication_s']:.3f} s, waiting {t['waiting_s']:.3f} s; "
          f"{t['tokens_per_s']:.4g} tokens/s, {t['pflops_fraction']:.3%} of the stated "
          f"{r['stated_pflops']:,.0f} PFLOPS; {t['bytes_moved'] / 1e12:.3f} TB moved")
    c = r["closed_form"]
    if c["collective"] != "ring":
        print(f"ring all-reduce closed form over the same {c['members']} members: "
              f"{c['closed_form_s']:.3f} s in {c['ring_rounds']} rounds; the {c['collective']} "
              f"collective routed: {c['routed_s']:.3f} s in {c['rounds']} rounds (slowest edge "
              f"{c['slowest_edge_light_s'] * 1e3:.3f} ms of light-time at "
              f"{c['slowest_edge_gbps']:.3g} Gbps; {c['multi_hop_edges']} edge(s) routed over "
              "several hops)")
    else:
        print(f"closed form 2(N-1)/N x S/B + 2(N-1) x alpha (N={c['members']}, alpha = mean "
              f"edge light-time {c['mean_edge_light_s'] * 1e3:.3f} ms): "
              f"{c['closed_form_s']:.3f} s; "
              f"routed: {c['routed_s']:.3f} s ({c['departure_s']:+.3f} s: every round waits "
              f"for its slowest edge, {c['slowest_edge_light_s'] * 1e3:.3f} ms of light-time "
              f"at {c['slowest_edge_gbps']:.3g} Gbps; {c['multi_hop_edges']} edge(s) routed "
              "over several hops)")
    for line in r["log"]:
        print(f"log: {line}")


def _iso(world, sim_s: float) -> str:
    when = world.scenario.epoch + dt.timedelta(seconds=sim_s)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"  # milliseconds
