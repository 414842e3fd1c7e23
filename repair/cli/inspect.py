"""``repair inspect``: the layers of a model, and which of them Arachne can repair."""

from __future__ import annotations

import json

from repair.cli._options import JsonOutput, ModelDir


def _shape(shape: tuple[int | None, ...] | None) -> str:
    return (
        "?"
        if shape is None
        else "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"
    )


def inspect_command(model_dir: ModelDir, json_output: JsonOutput = False) -> None:
    """List the model's layers (index, name, type, output shape, parameters) and mark those
    Arachne can target with --target_layer."""
    from repair.app.commands import inspect_model

    result = inspect_model(model_dir=model_dir)
    rows, targets, default = result.layers, result.targets, result.default
    if json_output:
        layers = [{**row.to_dict(), "arachne_target": row.index in targets,
                   "nested_model": row.index in result.nested} for row in rows]  # fmt: skip
        print(json.dumps({"model": str(result.model_path), "layers": layers,
                          "arachne_default_target": default}))  # fmt: skip
        return
    print("| index | name | type | output shape | parameters | Arachne target |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        mark = "yes (default)" if row.index == default else "yes" if row.index in targets else ""
        if row.index in result.nested:
            mark = "no: a nested model (`repair utils flatten_model` inlines its layers)"
        print(f"| {row.index} | {row.name} | {row.type} | {_shape(row.output_shape)} "
              f"| {row.params:,} | {mark} |")  # fmt: skip
    print(f"parameters: {result.params:,}")
