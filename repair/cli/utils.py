"""``repair utils``: reports (charts, comparisons, iteration tables, risk), data, gate labels."""

from __future__ import annotations

from repair.cli import utils_charts, utils_conditions, utils_models, utils_results, utils_risk
from repair.cli._app import RepairTyper

utils_app = RepairTyper(help="Charts, comparisons and data chunking for the repair cycle.")
utils_app.command("draw_radar_chart")(utils_charts.draw_radar_chart_command)
utils_app.command("overlay_radar_charts")(utils_charts.overlay_radar_charts_command)
utils_app.command("draw_bubble_chart")(utils_charts.draw_bubble_chart_command)
utils_app.command("split_dataset")(utils_results.split_dataset_command)
utils_app.command("compare")(utils_results.compare_command)
utils_app.command("iteration_table")(utils_results.iteration_table_command)
utils_app.command("label_index")(utils_results.label_index_command)
utils_app.command("add_attributes")(utils_conditions.add_attributes_command)
utils_app.command("risk_calculation_tool")(utils_risk.risk_calculation_tool_command)
utils_app.command("create_gate_class")(utils_models.create_gate_class_command)
utils_app.command("flatten_model")(utils_models.flatten_model_command)
