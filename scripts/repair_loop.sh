#!/usr/bin/env bash
# Iterative repair: repair one label of a model over chunks of new repair data, one chunk per
# iteration, each iteration starting from the model the previous one repaired.
#
#   bash scripts/repair_loop.sh --data_dir DIR --model_dir DIR --label NAME [options] [-- OPTS]
#
# Iteration k (1..N) uses chunk CHUNKS_DIR/<k-1>/repair.h5 and writes OUTPUT_DIR/<k>/:
#   data/repair.h5 (a copy of the chunk) and data/{positive,negative}/   repair target
#   weights.csv, pareto_front.png                                        repair localize
#   repair/model.keras, history.csv, summary.json                        repair optimize
#   results.json, radar.png       (the repaired model on TEST_DATA)      repair utils draw_radar_chart
#   paired.json                   this model against the start, input by input (Wilson intervals,
#                                 McNemar's exact p-value)                 repair utils compare --paired
#   log.txt                       what these steps printed
# OUTPUT_DIR/0/ holds results.json and radar.png of the starting model. At the end:
#   OUTPUT_DIR/iterations.{csv,md,png}   the label's accuracy per iteration, with its 95 % interval
#                                        and the p-value of its change since the start
#                                        (repair utils iteration_table)
# The best iteration is the most accurate one whose gain over the start is significant at 0.05
# (or none): a gain within the noise of the test data is no reason to pick a model.
#   OUTPUT_DIR/radar_overlay.png         the start and the last iteration overlaid
# A chunk without misclassified inputs of the label is skipped (the model stays as it was).
# Options after `--` go to `repair optimize` (e.g. -- --num_input_pos_sampled=100).
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: bash scripts/repair_loop.sh [options] [-- extra options for repair optimize]

  --data_dir DIR          data folder holding TEST_DATA and repairsets/ [outputs/data]
  --model_dir DIR         model to repair (a folder with model.keras, or the file) [outputs/model]
  --label NAME            class name or label index to repair [6]
  --iterations N          iterations, one chunk each [every chunk in CHUNKS_DIR]
  --particles N           particles of the swarm (repair optimize --num_particles) [100]
  --swarm_iterations N    swarm iterations per repair (repair optimize --num_iterations) [100]
  --output_dir DIR        where each iteration's files and the table go [outputs/repair_loop]
  --chunks_dir DIR        chunks <k>/repair.h5 made by `repair utils split_dataset` [DATA_DIR/repairsets]
  --test_data FILE        split file in DATA_DIR that measures each model [test.h5]
  --method NAME           repair method [Arachne]
  --random_state N        seed; iteration k uses N + k [0]
  --require EXPRESSIONS   stop once met, e.g. 'pedestrian>=75!,car>=90,overall>=-1' ('!': with
                          95 % confidence; 'pedestrian+!': a significant rise); exit 1 if
                          never met (see `repair utils compare --help`)
  -h, --help              show this help

Options take --name value or --name=value, with _ or - in the name. Needs `repair` on PATH
(or REPAIR='python -m repair').
EOF
}

data_dir=outputs/data
model_dir=outputs/model
label=6
iterations=
particles=100
swarm_iterations=100
output_dir=outputs/repair_loop
chunks_dir=
test_data=test.h5
method=Arachne
random_state=0
require=
optimize_extra=()

die() {
    echo "repair_loop: $*" >&2
    exit 2
}

while (($#)); do
    arg=$1
    shift
    case $arg in
        -h | --help) usage; exit 0 ;;
        --) optimize_extra=("$@"); break ;;
        --*) ;;
        *) die "unexpected argument '$arg' (see --help)" ;;
    esac
    name=${arg%%=*}
    name=${name#--}
    name=${name//-/_}
    if [[ $arg == *=* ]]; then
        value=${arg#*=}
    else
        (($#)) || die "--$name needs a value"
        value=$1
        shift
    fi
    case $name in
        data_dir | model_dir | label | iterations | particles | swarm_iterations | output_dir | \
            chunks_dir | test_data | method | random_state | require)
            printf -v "$name" '%s' "$value" ;;
        *) die "unknown option --$name (see --help)" ;;
    esac
done

for number in particles swarm_iterations random_state ${iterations:+iterations}; do
    [[ ${!number} =~ ^[0-9]+$ ]] || die "--$number must be a non-negative integer; got '${!number}'"
done
((particles > 0)) || die "--particles must be a positive integer; got $particles"
read -r -a repair <<<"${REPAIR:-repair}"
command -v "${repair[0]}" >/dev/null || die "'${repair[0]}' not found: activate the virtualenv"
chunks_dir=${chunks_dir:-$data_dir/repairsets}
[[ -f $data_dir/$test_data ]] || die "test data not found: $data_dir/$test_data"

available=0
while [[ -f $chunks_dir/$available/repair.h5 ]]; do
    available=$((available + 1))
done
((available > 0)) || die "no chunks in $chunks_dir (make them with: repair utils split_dataset \
--input $data_dir/repair.h5 --chunk_size 100)"
iterations=${iterations:-$available}
((iterations <= available)) || die "--iterations $iterations, but $chunks_dir has only $available chunks"

# Run one repair command, its stdout appended to $log; on failure, say which step failed and stop.
log=/dev/null
step() {
    local what=$1 status=0
    shift
    "${repair[@]}" "$@" >>"$log" || status=$?
    if ((status)); then
        echo "repair_loop: $what failed (exit status $status); stopping. Its output: $log" >&2
        exit "$status"
    fi
}

# Print the table row of iteration $1 (the table so far is rewritten each time).
show_row() {
    local rows
    rows=$("${repair[@]}" utils iteration_table --run_dir "$output_dir" --label "$label" \
        --iterations "$1") || die "cannot tabulate iteration $1"
    if (($1 == 0)); then
        sed -n '1,2p' <<<"$rows"
    fi
    grep -m 1 "^| $1 |" <<<"$rows"
}

# Compare the model of iteration $1 with the start input by input: $output_dir/$1/paired.json.
compare_with_start() {
    local json status=0
    json=$("${repair[@]}" utils compare --paired --model_dirs "$model_dir,$model" \
        --data_dir "$data_dir" --target_data "$test_data" --json 2>>"$log") || status=$?
    if ((status)); then
        echo "repair_loop: iteration $1: compare failed (exit status $status); stopping. Its output: $log" >&2
        exit "$status"
    fi
    printf '%s\n' "$json" >"$output_dir/$1/.paired.json.tmp"
    mv "$output_dir/$1/.paired.json.tmp" "$output_dir/$1/paired.json"
}

# 0 when the requirements hold between the start and iteration $1 (compared input by input, so
# the '!' forms work: 'pedestrian>=75!', 'pedestrian+!').
requirements_met() {
    local status=0
    "${repair[@]}" utils compare --paired --model_dirs "$model_dir,$model" --data_dir "$data_dir" \
        --target_data "$test_data" --require "$require" >>"$log" 2>&1 || status=$?
    ((status != 2)) || die "bad --require '$require' (see $log)"
    return "$status"
}

index=$("${repair[@]}" utils label_index --data_dir "$data_dir" --target_data "$test_data" --label "$label") ||
    die "cannot resolve --label '$label'"
model=$model_dir
mkdir -p "$output_dir/0"
log=$output_dir/0/log.txt
: >"$log"
echo "repair_loop: label $label (index $index) of $model, measured on $data_dir/$test_data;"
echo "repair_loop: each step's output goes to $output_dir/<iteration>/log.txt"
step "measuring the starting model" utils draw_radar_chart --model_dir "$model" \
    --data_dir "$data_dir" --target_data "$test_data" --output_dir "$output_dir/0"
show_row 0

met=
last=0
for ((k = 1; k <= iterations; k++)); do
    chunk=$chunks_dir/$((k - 1))
    work=$output_dir/$k
    mkdir -p "$work/data"
    # A rerun into the same --output_dir: forget what an earlier run's repair of this iteration
    # wrote (files this script owns), so a skipped iteration cannot show old counts.
    rm -rf "$work/summary.json" "$work/history.csv" "$work/weights.csv" "$work/repair" \
        "$work/paired.json"
    log=$work/log.txt
    : >"$log"
    cp "$chunk/repair.h5" "$work/data/repair.h5"
    step "iteration $k: target" target --model_dir "$model" --data_dir "$work/data"
    negatives=$work/data/negative/$index
    if [[ -f $negatives/repair.h5 ]]; then
        step "iteration $k: localize" localize --method "$method" --model_dir "$model" \
            --target_data_dir "$negatives" --output_dir "$work"
        step "iteration $k: optimize" optimize --method "$method" --model_dir "$model" \
            --target_data_dir "$negatives" --positive_inputs_dir "$work/data/positive" \
            --output_dir "$work" --num_particles "$particles" --num_iterations "$swarm_iterations" \
            --random_state "$((random_state + k))" "${optimize_extra[@]}"
        model=$work/repair/model.keras
    else
        echo "(iteration $k: no misclassified '$label' inputs in $chunk; the model stays as it was)"
    fi
    step "iteration $k: draw_radar_chart" utils draw_radar_chart --model_dir "$model" \
        --data_dir "$data_dir" --target_data "$test_data" --output_dir "$work"
    compare_with_start "$k"
    show_row "$k"
    last=$k
    if [[ -n $require ]] && requirements_met "$k"; then
        met=$k
        echo "repair_loop: requirements '$require' met at iteration $k; stopping"
        break
    fi
done

table=$("${repair[@]}" utils iteration_table --run_dir "$output_dir" --label "$label" \
    --iterations "$last") || die "cannot tabulate the iterations"
best=$(grep -m 1 '^best iteration' <<<"$table")
log=/dev/stdout
step "overlay_radar_charts" utils overlay_radar_charts --input_dirs "$output_dir/0,$output_dir/$last" \
    --legends "start: $model_dir,iteration $last: $model" --output_dir "$output_dir" \
    --title "Accuracy per label (%) on $data_dir/$test_data" >/dev/null
echo "wrote $output_dir/iterations.csv, iterations.md, iterations.png and radar_overlay.png"
echo "final model: $model"
echo "$best"
best_k=$(sed -n 's/^best iteration: \([0-9][0-9]*\).*/\1/p' <<<"$best")
if [[ -n $best_k ]]; then
    # A skipped iteration keeps the previous model: the best model is the latest repair up to it.
    while ((best_k > 0)) && [[ ! -f $output_dir/$best_k/repair/model.keras ]]; do
        best_k=$((best_k - 1))
    done
    echo "best model: $output_dir/$best_k/repair/model.keras"
fi
if [[ -n $require && -z $met ]]; then
    echo "repair_loop: requirements '$require' not met after $last iterations" >&2
    exit 1
fi
