"""``attack`` as a keyword-only function: adversarial copies of a split, one file per eps."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from repair.robustness.attack_files import AttackResult


def attack(
    *,
    model_dir: Path,
    source: Path,
    output_dir: Path,
    method: str = "fgm",
    eps: Sequence[float] = (0.01, 0.03, 0.1),
    norm: str = "inf",
    targeted: str | None = None,
    max_iter: int = 20,
    random_state: int = 0,
    batch_size: int = 256,
) -> list[AttackResult]:
    """Write ``output_dir/<kind>_<eps>.h5`` for each budget in ``eps``.

    ``method``: fgm or pgd; ``norm``: inf or 2; ``targeted``: a class name or label index to
    push every image towards (None: untargeted). Bad settings raise ConfigError; a missing
    ``adversarial`` extra raises MissingExtraError before any work.
    """
    from repair.core.data import inspect_split
    from repair.errors import ConfigError
    from repair.robustness.attack_files import run_attack
    from repair.robustness.attacks import AttackSpec, import_art

    import_art()
    target = None
    if targeted is not None:
        info = inspect_split(source)
        target = info.label_index(targeted)
        if target is None:
            known = ", ".join(info.class_name(i) for i in range(info.num_classes))
            raise ConfigError(f"--targeted {targeted!r} is not a class of {source}. Known: {known}")
    specs = [AttackSpec(method, float(e), norm, target, max_iter) for e in dict.fromkeys(eps)]
    return run_attack(
        model_dir=model_dir,
        source=source,
        output_dir=output_dir,
        specs=specs,
        random_state=random_state,
        batch_size=batch_size,
    )
