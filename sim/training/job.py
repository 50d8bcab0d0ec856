"""A training job's settings (`[[training]]` in a scenario) and its members in ring order."""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from .. import commands as cmd
from ..errors import UserError, number_in
from ..snapshot import ROLE_NAMES
from ..tomlcheck import between

if TYPE_CHECKING:
    from ..constellation import Constellation


@dataclasses.dataclass(frozen=True)
class TrainingJob:
    """A `[[training]]` job of a scenario. Defaults are written here once (the schema in
    sim/scenario.py reads them); the default model is an 8-billion-parameter one, the size of
    the two models deployed on the first cluster (DESIGN.md reference facts)."""

    name: str = "train"
    shell: str = ""  #: members: this shell's satellites ("": by role)
    role: str = "training"  #: members when no shell is named: every satellite of this role
    count: int = 0  #: use only the first `count` members in ring order (0: all)
    parameters: float = 8e9  #: model parameters
    bytes_per_value: float = 2.0  #: bytes per gradient value (2: bf16)
    tokens_per_step: int = 32768  #: tokens per step per satellite
    mfu: float = 0.4  #: model FLOPs utilisation of the stated PFLOPS (an assumption)
    collective: str = "ring"  #: ring | grid | hierarchical
    sync_every: int = 1  #: synchronise every H steps (1: every step; >1: DiLoCo-style)
    paused: bool = False  #: the job waits to be started (the panel's Start, a timeline entry)

    @property
    def gradient_bytes(self) -> float:
        """S: bytes of one full gradient (or pseudo-gradient)."""
        return self.parameters * self.bytes_per_value

    def flops_per_member(self) -> float:
        """FLOPs one member computes per step: 6 x parameters x tokens."""
        return 6.0 * self.parameters * self.tokens_per_step


# --- members and ring order -------------------------------------------------------------------

def select_members(job: TrainingJob, con: "Constellation") -> np.ndarray:
    """The job's satellites, ordered shell, plane, slot; UserError for an unknown shell or
    no members."""
    if job.shell:
        if job.shell not in con.shell_names:
            raise UserError(f"training job '{job.name}': unknown shell '{job.shell}' "
                            f"(shells: {', '.join(con.shell_names)})")
        mask = con.shell_index == con.shell_names.index(job.shell)
        what = f"shell '{job.shell}'"
    else:
        mask = con.roles == ROLE_NAMES.index(job.role)
        what = f"role '{job.role}'"
    sats = np.flatnonzero(mask)
    sats = sats[np.lexsort((con.slot[sats], con.plane[sats], con.shell_index[sats]))]
    if job.count:
        sats = sats[: job.count]
    if len(sats) < 2:
        raise UserError(f"training job '{job.name}': {len(sats)} member(s) in {what}; "
                        "a data-parallel job needs at least 2")
    return sats


def plane_groups(sats: np.ndarray, con: "Constellation") -> list[np.ndarray]:
    """`sats` (ordered shell, plane, slot) split into their planes."""
    key = con.shell_index[sats].astype(np.int64) * 1_000_000 + con.plane[sats]
    cuts = np.flatnonzero(np.diff(key)) + 1
    return np.split(sats, cuts)


def ring_order(groups: list[np.ndarray]) -> np.ndarray:
    """Members in ring order, so that ring neighbours are laser neighbours where they can be.

    With an even number of equal planes this is a Hamiltonian cycle of the +Grid: snake over
    slots 1.. plane by plane, then come back along slot 0 of every plane, so every ring edge
    is one laser hop. Otherwise a plain snake (plane by plane, alternate directions), whose
    closing edge is routed over several hops."""
    sizes = {len(g) for g in groups}
    if len(groups) >= 2 and len(groups) % 2 == 0 and len(sizes) == 1 and sizes.pop() >= 2:
        body = [g[1:] if i % 2 == 0 else g[1:][::-1] for i, g in enumerate(groups)]
        back = np.array([g[0] for g in reversed(groups)])
        return np.concatenate(body + [back])
    return np.concatenate([g if i % 2 == 0 else g[::-1] for i, g in enumerate(groups)])



# --- settings a command, a timeline entry or the command line may change -----------------------

#: field of SetTraining -> (lowest, highest, how the message names it, unit); the one place
#: their limits are checked (the World, `run.py train`; timeline entries use the same limits)
SETTING_LIMITS = {
    "sync_every": (1, cmd.MAX_SYNC_EVERY, "sync every", ""),
    "parameters": (1.0, cmd.MAX_PARAMETERS, "parameters", ""),
    "link_gbps": (cmd.MIN_LINK_GBPS, cmd.MAX_QUANTITY, "link capacity", " Gbps"),
}


def setting_check(field: str):
    """The `tomlcheck` check of a SETTING_LIMITS field, for the files that set it (a
    scenario's [[training]] jobs, a timeline's training entries)."""
    low, high, _, unit = SETTING_LIMITS[field]
    return between(low, high, unit)


def checked_setting(field: str, value, what: str = ""):
    """A training setting (`collective` or a SETTING_LIMITS field) checked; UserError naming
    `what` (default: the setting's own words) and what was expected."""
    if field == "collective":
        if value not in cmd.COLLECTIVES:
            raise UserError(f"{what or 'collective'} must be one of "
                            f"{', '.join(cmd.COLLECTIVES)}, got {value!r}")
        return value
    low, high, words, unit = SETTING_LIMITS[field]
    number = number_in(value, low, high, what or words, unit)
    return int(number) if field == "sync_every" else number


def job_index(names, name: str | None, where: str = "") -> int:
    """Index of the training job called `name` among `names` (None or "": the first);
    UserError naming the jobs otherwise. `where`: " in scenario 'X'" for the message."""
    names = list(names)
    if not names:
        raise UserError(f"this scenario{where} has no [[training]] job")
    if not name:
        return 0
    if name not in names:
        raise UserError(f"no training job '{name}'{where}; jobs: {', '.join(names)}")
    return names.index(name)
