"""``repair prepare NAME``: turn a dataset's own files into HDF5 splits."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from repair.cli._options import OutputDir, RandomState, parse_float_list
from repair.cli._plugin_options import describe_plugin_options, parse_plugin_options


def datasets_help() -> str:
    from repair import registry

    lines = ["Datasets and their own options:"]
    for name in registry.available(registry.DATASETS):
        plugin = registry.load(registry.DATASETS, name)
        lines.append(f"\n{name}: {plugin.description}")
        options = describe_plugin_options(plugin.options_class)
        lines.extend(f"  {line}" for line in options.splitlines())
    return "\n".join(lines)


def prepare_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Dataset name, e.g. digits or bdd-objects.")],
    output_dir: OutputDir = Path("outputs"),
    input_dir: Annotated[
        Path | None,
        typer.Option(help="Folder with the dataset's own files.", exists=True, file_okay=False),
    ] = None,
    data_ratio: Annotated[
        str, typer.Option(help="Shares of train,val,test,repair; they must sum to 1.")
    ] = "0.6,0.1,0.2,0.1",
    random_state: RandomState = 0,
    scenario: Annotated[
        str | None,
        typer.Option(
            help="Weaken train.h5 only: holdout:LABEL:FRACTION removes that share of a label's "
            "images, holdout-dup:LABEL:FRACTION also duplicates the rest of the label to keep its "
            "count, grayscale:LABEL:FRACTION turns them gray, augmentation-all:FRACTION turns that "
            "share of every label gray; the choice is seeded and recorded in scenario.json.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Prepare a dataset: shuffle, split by --data_ratio and write train/val/test/repair.h5.

    Options after the dataset name that are not listed here belong to the dataset
    (see `repair prepare --help` for each dataset's options).
    """
    from repair import registry
    from repair.app.commands import prepare
    from repair.cli._app import UsageError
    from repair.datasets.packing import check_ratios

    ratios = parse_float_list("--data_ratio", data_ratio, length=4)
    try:
        check_ratios(ratios)
    except ValueError as error:
        raise UsageError(str(error)) from None
    from repair.variability.scenarios import parse_scenario

    try:
        chosen = None if scenario is None else parse_scenario(scenario)
    except ValueError as error:
        raise UsageError(str(error)) from None
    plugin_class = registry.load(registry.DATASETS, name)
    options = parse_plugin_options(plugin_class.options_class, ctx.args, f"dataset '{name}'")
    if plugin_class.needs_input_dir and input_dir is None:
        raise UsageError(f"dataset '{name}' needs --input_dir")
    result = prepare(
        plugin_class=plugin_class,
        options=options,
        output_dir=output_dir,
        ratios=ratios,
        random_state=random_state,
        input_dir=input_dir,
        scenario=chosen,
    )
    for split in result.splits:
        print(f"{split.name}_images: {split.shape}")
        print(f"{split.name}_labels: ({split.shape[0]}, {split.num_classes})")
    if result.scenario is not None:
        record = result.scenario
        which = (
            f"of {record['label_count_before']} training images of label {record['class_name']}"
            if record["label"] is not None
            else "training images of all labels"
        )
        copies = f", {record['duplicated']} duplicated" if "duplicated" in record else ""
        print(f"scenario {chosen}: {record['affected']} {which}{copies}; recorded in scenario.json")
    print(f"wrote {output_dir}")


PREPARE_CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": True}
